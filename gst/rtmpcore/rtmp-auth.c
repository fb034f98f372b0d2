/* RTMP core: Adobe-style connect authentication (authmod=adobe).
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <openssl/rand.h>

#include "rtmp-auth.h"

/* md5 of the concatenation, base64 (no line breaks) */
static gchar *
md5_base64 (const gchar * a, const gchar * b, const gchar * c)
{
  GChecksum *md5 = g_checksum_new (G_CHECKSUM_MD5);
  guint8 digest[16];
  gsize len = sizeof (digest);
  gchar *ret;

  g_checksum_update (md5, (const guchar *) a, -1);
  g_checksum_update (md5, (const guchar *) b, -1);
  g_checksum_update (md5, (const guchar *) c, -1);
  g_checksum_get_digest (md5, digest, &len);
  g_checksum_free (md5);
  ret = g_base64_encode (digest, len);
  return ret;
}

gchar *
rtmp_auth_adobe_response (const gchar * user, const gchar * password,
    const gchar * salt, const gchar * opaque, const gchar * client_challenge)
{
  gchar *first, *ret;

  g_return_val_if_fail (user && password && salt, NULL);

  first = md5_base64 (user, salt, password);
  ret = md5_base64 (first, opaque ? opaque : "",
      client_challenge ? client_challenge : "");
  g_free (first);
  return ret;
}

gchar *
rtmp_auth_query_get (const gchar * query, const gchar * key)
{
  gsize klen;
  const gchar *p;

  if (query == NULL || key == NULL)
    return NULL;
  if (*query == '?')
    query++;
  klen = strlen (key);
  p = query;
  while (*p) {
    const gchar *end = strchr (p, '&');
    gsize len = end ? (gsize) (end - p) : strlen (p);

    if (len > klen && p[klen] == '=' && strncmp (p, key, klen) == 0)
      return g_strndup (p + klen + 1, len - klen - 1);
    if (len == klen && strncmp (p, key, klen) == 0)
      return g_strdup ("");
    if (!end)
      break;
    p = end + 1;
  }
  return NULL;
}

/* 8 lowercase hex digits, like ffmpeg's client challenge */
static gchar *
random_hex (GRand * rand)
{
  guint32 v;

  if (rand) {
    v = g_rand_int (rand);
  } else if (RAND_bytes ((unsigned char *) &v, sizeof (v)) != 1) {
    /* OpenSSL's generator failed (never on Linux): GLib's, still fine for
     * a nonce that only has to be unpredictable enough to stop replays */
    v = g_random_int ();
  }
  return g_strdup_printf ("%08x", v);
}

/* ------------------------------------------------------------------ */
/* Client                                                              */
/* ------------------------------------------------------------------ */

RtmpAuthClientResult
rtmp_auth_client_handle_error (const gchar * description, const gchar * user,
    const gchar * password, const gchar * sent_query,
    const gchar * client_challenge, gchar ** query, gchar ** reason)
{
  const gchar *p;
  gchar *salt = NULL, *opaque = NULL, *challenge = NULL, *resp, *c2;

  *query = NULL;
  *reason = NULL;

  if (description == NULL || strstr (description, "authmod=adobe") == NULL)
    return RTMP_AUTH_CLIENT_NOT_AUTH;

  if (user == NULL || *user == '\0' || password == NULL || *password == '\0') {
    *reason = g_strdup ("The server requires a user name and password "
        "(Adobe authentication) and none are set");
    return RTMP_AUTH_CLIENT_FAILED;
  }
  if (strstr (description, "?reason=authfailed")) {
    *reason = g_strdup_printf ("The server refused user '%s': wrong user "
        "name or password", user);
    return RTMP_AUTH_CLIENT_FAILED;
  }
  if (strstr (description, "?reason=nosuchuser")) {
    *reason = g_strdup_printf ("The server does not know user '%s'", user);
    return RTMP_AUTH_CLIENT_FAILED;
  }
  /* ffmpeg's auth_tried: a response was already sent, no second try */
  if (sent_query && strstr (sent_query, "response=")) {
    *reason = g_strdup_printf ("The server refused the response for user "
        "'%s' (%s)", user, description);
    return RTMP_AUTH_CLIENT_FAILED;
  }
  if (strstr (description, "code=403 need auth")) {
    if (sent_query && strstr (sent_query, "authmod=adobe")) {
      *reason = g_strdup ("The server asked again for authentication "
          "after we sent the user name");
      return RTMP_AUTH_CLIENT_FAILED;
    }
    *query = g_strdup_printf ("authmod=adobe&user=%s", user);
    return RTMP_AUTH_CLIENT_RETRY;
  }
  p = strstr (description, "?reason=needauth");
  if (p == NULL) {
    *reason = g_strdup_printf ("Unknown authentication answer: %s",
        description);
    return RTMP_AUTH_CLIENT_FAILED;
  }
  salt = rtmp_auth_query_get (p, "salt");
  opaque = rtmp_auth_query_get (p, "opaque");
  challenge = rtmp_auth_query_get (p, "challenge");
  if (salt == NULL) {
    *reason = g_strdup_printf ("No salt in the server's challenge: %s",
        description);
    g_free (opaque);
    g_free (challenge);
    return RTMP_AUTH_CLIENT_FAILED;
  }
  c2 = client_challenge ? g_strdup (client_challenge) : random_hex (NULL);
  resp = rtmp_auth_adobe_response (user, password, salt,
      opaque ? opaque : challenge, c2);
  if (opaque)
    *query = g_strdup_printf ("authmod=adobe&user=%s&challenge=%s"
        "&response=%s&opaque=%s", user, c2, resp, opaque);
  else
    *query = g_strdup_printf ("authmod=adobe&user=%s&challenge=%s"
        "&response=%s", user, c2, resp);
  g_free (resp);
  g_free (c2);
  g_free (salt);
  g_free (opaque);
  g_free (challenge);
  return RTMP_AUTH_CLIENT_RETRY;
}

/* ------------------------------------------------------------------ */
/* Server                                                              */
/* ------------------------------------------------------------------ */

typedef struct
{
  gchar *opaque;                /* = the challenge; the table key */
  gchar *user;
  gchar *salt;
  gint64 expires;
} Pending;

struct _RtmpAuthServer
{
  gint refcount;
  RtmpAuthPasswordFunc func;
  gpointer user_data;
  GDestroyNotify notify;

  GMutex lock;
  GRand *rand;                  /* tests only */
  GQueue pending;               /* Pending *, oldest first */
};

static void
pending_free (Pending * p)
{
  g_free (p->opaque);
  g_free (p->user);
  g_free (p->salt);
  g_free (p);
}

RtmpAuthServer *
rtmp_auth_server_new (RtmpAuthPasswordFunc func, gpointer user_data,
    GDestroyNotify notify)
{
  RtmpAuthServer *auth = g_new0 (RtmpAuthServer, 1);

  auth->refcount = 1;
  auth->func = func;
  auth->user_data = user_data;
  auth->notify = notify;
  g_mutex_init (&auth->lock);
  g_queue_init (&auth->pending);
  return auth;
}

RtmpAuthServer *
rtmp_auth_server_ref (RtmpAuthServer * auth)
{
  g_atomic_int_inc (&auth->refcount);
  return auth;
}

void
rtmp_auth_server_unref (RtmpAuthServer * auth)
{
  if (auth == NULL || !g_atomic_int_dec_and_test (&auth->refcount))
    return;
  if (auth->notify)
    auth->notify (auth->user_data);
  g_queue_clear_full (&auth->pending, (GDestroyNotify) pending_free);
  if (auth->rand)
    g_rand_free (auth->rand);
  g_mutex_clear (&auth->lock);
  g_free (auth);
}

void
rtmp_auth_server_set_seed (RtmpAuthServer * auth, guint32 seed)
{
  g_mutex_lock (&auth->lock);
  if (auth->rand)
    g_rand_free (auth->rand);
  auth->rand = g_rand_new_with_seed (seed);
  g_mutex_unlock (&auth->lock);
}

guint
rtmp_auth_server_get_n_pending (RtmpAuthServer * auth)
{
  guint n;

  g_mutex_lock (&auth->lock);
  n = auth->pending.length;
  g_mutex_unlock (&auth->lock);
  return n;
}

/* lock held: drops expired challenges */
static void
expire_locked (RtmpAuthServer * auth, gint64 now)
{
  GList *l = auth->pending.head;

  while (l) {
    GList *next = l->next;
    Pending *p = l->data;

    if (p->expires <= now) {
      pending_free (p);
      g_queue_delete_link (&auth->pending, l);
    }
    l = next;
  }
}

/* lock held: removes and returns the challenge for @opaque (or, when a
 * client does not echo the opaque, the newest for @user) */
static Pending *
take_pending_locked (RtmpAuthServer * auth, const gchar * opaque,
    const gchar * user)
{
  GList *l;

  for (l = auth->pending.tail; l; l = l->prev) {
    Pending *p = l->data;

    if (opaque ? strcmp (p->opaque, opaque) == 0 :
        strcmp (p->user, user) == 0) {
      g_queue_delete_link (&auth->pending, l);
      return p;
    }
  }
  return NULL;
}

/* constant time in the length of @b */
static gboolean
secret_equal (const gchar * a, const gchar * b)
{
  gsize la = strlen (a), lb = strlen (b), i;
  guint diff = (la != lb);

  for (i = 0; i < lb; i++)
    diff |= (guint) ((guint8) b[i] ^ (guint8) (i < la ? a[i] : 0));
  return diff == 0;
}

/* a user name we repeat in a description: printable, no query syntax */
static gboolean
user_is_sane (const gchar * user)
{
  const gchar *p;

  if (*user == '\0' || strlen (user) > RTMP_AUTH_MAX_USER_LENGTH)
    return FALSE;
  for (p = user; *p; p++)
    if ((guchar) * p < 0x21 || (guchar) * p > 0x7e || strchr ("&?=[]", *p))
      return FALSE;
  return TRUE;
}

RtmpAuthServerResult
rtmp_auth_server_check (RtmpAuthServer * auth, const gchar * query,
    gchar ** user_out, gchar ** description)
{
  gchar *authmod, *user, *response, *c2, *opaque;
  RtmpAuthServerResult ret;
  gint64 now = g_get_monotonic_time ();

  *user_out = NULL;
  *description = NULL;

  authmod = rtmp_auth_query_get (query, "authmod");
  user = rtmp_auth_query_get (query, "user");
  if (g_strcmp0 (authmod, "adobe") != 0 || user == NULL) {
    /* stage 1 (also for another authmod: we only offer adobe) */
    g_free (authmod);
    g_free (user);
    *description = g_strdup (RTMP_AUTH_DESC_NEED_AUTH);
    return RTMP_AUTH_SERVER_CHALLENGE;
  }
  g_free (authmod);

  if (!user_is_sane (user)) {
    g_free (user);
    *description = g_strdup (RTMP_AUTH_DESC_PREFIX "?reason=authfailed");
    return RTMP_AUTH_SERVER_REFUSE;
  }

  response = rtmp_auth_query_get (query, "response");
  c2 = rtmp_auth_query_get (query, "challenge");
  opaque = rtmp_auth_query_get (query, "opaque");

  g_mutex_lock (&auth->lock);
  expire_locked (auth, now);

  if (response == NULL) {
    /* stage 2: a challenge. Unknown users get one too (and fail at stage
     * 3): the answer does not tell who exists. */
    Pending *p = g_new0 (Pending, 1);

    p->user = g_strdup (user);
    p->salt = random_hex (auth->rand);
    p->opaque = random_hex (auth->rand);
    p->expires = now + RTMP_AUTH_CHALLENGE_LIFETIME_US;
    if (auth->pending.length >= RTMP_AUTH_MAX_PENDING)
      pending_free (g_queue_pop_head (&auth->pending));
    g_queue_push_tail (&auth->pending, p);
    /* challenge = opaque: ffmpeg hashes the opaque, Wirecast the challenge;
     * equal values satisfy both */
    *description = g_strdup_printf (RTMP_AUTH_DESC_PREFIX
        "?reason=needauth&user=%s&salt=%s&challenge=%s&opaque=%s", user,
        p->salt, p->opaque, p->opaque);
    ret = RTMP_AUTH_SERVER_CHALLENGE;
  } else {
    Pending *p = take_pending_locked (auth, opaque, user);
    gchar *password = NULL;
    gboolean ok = FALSE;

    g_mutex_unlock (&auth->lock);
    if (p && strcmp (p->user, user) == 0 && auth->func)
      password = auth->func (user, auth->user_data);
    if (password && *password) {
      gchar *expected = rtmp_auth_adobe_response (user, password, p->salt,
          p->opaque, c2 ? c2 : "");

      ok = secret_equal (expected, response);
      g_free (expected);
    }
    g_free (password);
    g_mutex_lock (&auth->lock);

    if (ok) {
      *user_out = g_strdup (user);
      ret = RTMP_AUTH_SERVER_ACCEPT;
    } else {
      *description = g_strdup_printf (RTMP_AUTH_DESC_PREFIX
          "?reason=authfailed&opaque=%s", p ? p->opaque : "");
      ret = RTMP_AUTH_SERVER_REFUSE;
    }
    if (p)
      pending_free (p);
  }
  g_mutex_unlock (&auth->lock);

  g_free (user);
  g_free (response);
  g_free (c2);
  g_free (opaque);
  return ret;
}
