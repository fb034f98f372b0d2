/* Unit tests: Adobe authentication (rtmp-auth, and the session's use of it)
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "rtmp-auth.h"
#include "rtmp-session.h"

/* computed independently: base64 (md5 (base64 (md5 (u + salt + pw)) +
 * opaque + c2)) with GChecksum here, and with Python's hashlib for the
 * literal */
static gchar *
independent_response (const gchar * user, const gchar * salt,
    const gchar * password, const gchar * opaque, const gchar * c2)
{
  gchar *first, *joined, *ret;
  guint8 d[16];
  gsize len = 16;
  GChecksum *md5 = g_checksum_new (G_CHECKSUM_MD5);

  joined = g_strconcat (user, salt, password, NULL);
  g_checksum_update (md5, (guchar *) joined, -1);
  g_checksum_get_digest (md5, d, &len);
  first = g_base64_encode (d, len);
  g_free (joined);
  joined = g_strconcat (first, opaque, c2, NULL);
  g_checksum_reset (md5);
  g_checksum_update (md5, (guchar *) joined, -1);
  len = 16;
  g_checksum_get_digest (md5, d, &len);
  ret = g_base64_encode (d, len);
  g_checksum_free (md5);
  g_free (joined);
  g_free (first);
  return ret;
}

GST_START_TEST (test_response_known_answer)
{
  gchar *r = rtmp_auth_adobe_response ("alice", "s3cret", "1ee144a7",
      "1c208680", "0badc0de");
  gchar *i = independent_response ("alice", "1ee144a7", "s3cret",
      "1c208680", "0badc0de");

  /* python3: b64(md5(b64(md5("alice1ee144a7s3cret")) + "1c208680" +
   * "0badc0de")) */
  fail_unless_equals_string (r, "+75JD2ti5ryMYlrY3Abp9w==");
  fail_unless_equals_string (r, i);
  g_free (r);
  g_free (i);
}

GST_END_TEST;

GST_START_TEST (test_query_get)
{
  gchar *v;

  v = rtmp_auth_query_get ("?authmod=adobe&user=bob&x", "user");
  fail_unless_equals_string (v, "bob");
  g_free (v);
  v = rtmp_auth_query_get ("authmod=adobe&user=bob&x", "authmod");
  fail_unless_equals_string (v, "adobe");
  g_free (v);
  v = rtmp_auth_query_get ("authmod=adobe&user=bob&x", "x");
  fail_unless_equals_string (v, "");
  g_free (v);
  /* a response may hold '+', '/' and '=': taken raw */
  v = rtmp_auth_query_get ("response=+75J/9w==&u=1", "response");
  fail_unless_equals_string (v, "+75J/9w==");
  g_free (v);
  fail_unless (rtmp_auth_query_get ("users=1&use=2", "user") == NULL);
  fail_unless (rtmp_auth_query_get (NULL, "user") == NULL);
  fail_unless (rtmp_auth_query_get ("", "user") == NULL);
}

GST_END_TEST;

GST_START_TEST (test_client_stages)
{
  gchar *q, *why;
  const gchar *needauth = RTMP_AUTH_DESC_PREFIX
      "?reason=needauth&user=alice&salt=1ee144a7&challenge=1c208680"
      "&opaque=1c208680";

  /* not an auth answer */
  fail_unless_equals_int (rtmp_auth_client_handle_error ("Invalid app",
          "alice", "s3cret", NULL, NULL, &q, &why),
      RTMP_AUTH_CLIENT_NOT_AUTH);
  fail_unless_equals_int (rtmp_auth_client_handle_error (NULL,
          "alice", "s3cret", NULL, NULL, &q, &why),
      RTMP_AUTH_CLIENT_NOT_AUTH);
  /* stage 1 */
  fail_unless_equals_int (rtmp_auth_client_handle_error
      (RTMP_AUTH_DESC_NEED_AUTH, "alice", "s3cret", NULL, NULL, &q, &why),
      RTMP_AUTH_CLIENT_RETRY);
  fail_unless_equals_string (q, "authmod=adobe&user=alice");
  g_free (q);
  /* stage 1 again after we sent the user: a loop, refused */
  fail_unless_equals_int (rtmp_auth_client_handle_error
      (RTMP_AUTH_DESC_NEED_AUTH, "alice", "s3cret",
          "authmod=adobe&user=alice", NULL, &q, &why),
      RTMP_AUTH_CLIENT_FAILED);
  g_free (why);
  /* stage 2 (opaque wins over challenge, like ffmpeg and rtmp2) */
  fail_unless_equals_int (rtmp_auth_client_handle_error (needauth, "alice",
          "s3cret", "authmod=adobe&user=alice", "0badc0de", &q, &why),
      RTMP_AUTH_CLIENT_RETRY);
  fail_unless_equals_string (q, "authmod=adobe&user=alice&challenge=0badc0de"
      "&response=+75JD2ti5ryMYlrY3Abp9w==&opaque=1c208680");
  g_free (q);
  /* without opaque: the challenge is hashed, no opaque sent */
  fail_unless_equals_int (rtmp_auth_client_handle_error
      (RTMP_AUTH_DESC_PREFIX "?reason=needauth&user=alice&salt=1ee144a7"
          "&challenge=1c208680", "alice", "s3cret", NULL, "0badc0de", &q,
          &why), RTMP_AUTH_CLIENT_RETRY);
  fail_unless_equals_string (q, "authmod=adobe&user=alice&challenge=0badc0de"
      "&response=+75JD2ti5ryMYlrY3Abp9w==");
  g_free (q);
  /* a random client challenge: 8 hex digits */
  fail_unless_equals_int (rtmp_auth_client_handle_error (needauth, "alice",
          "s3cret", NULL, NULL, &q, &why), RTMP_AUTH_CLIENT_RETRY);
  {
    gchar *c2 = rtmp_auth_query_get (q, "challenge");
    fail_unless_equals_int (strlen (c2), 8);
    fail_unless (strspn (c2, "0123456789abcdef") == 8);
    g_free (c2);
  }
  g_free (q);
  /* refusals */
  fail_unless_equals_int (rtmp_auth_client_handle_error
      (RTMP_AUTH_DESC_PREFIX "?reason=authfailed&opaque=1", "alice", "x",
          NULL, NULL, &q, &why), RTMP_AUTH_CLIENT_FAILED);
  fail_unless (strstr (why, "wrong user name or password") != NULL);
  g_free (why);
  fail_unless_equals_int (rtmp_auth_client_handle_error
      (RTMP_AUTH_DESC_PREFIX "?reason=nosuchuser", "alice", "x",
          NULL, NULL, &q, &why), RTMP_AUTH_CLIENT_FAILED);
  fail_unless (strstr (why, "does not know") != NULL);
  g_free (why);
  fail_unless_equals_int (rtmp_auth_client_handle_error (needauth, "alice",
          "s3cret", "authmod=adobe&user=alice&response=abc", NULL, &q, &why),
      RTMP_AUTH_CLIENT_FAILED);
  g_free (why);
  fail_unless_equals_int (rtmp_auth_client_handle_error
      (RTMP_AUTH_DESC_NEED_AUTH, NULL, NULL, NULL, NULL, &q, &why),
      RTMP_AUTH_CLIENT_FAILED);
  fail_unless (strstr (why, "requires a user name and password") != NULL);
  g_free (why);
  fail_unless_equals_int (rtmp_auth_client_handle_error
      (RTMP_AUTH_DESC_PREFIX "?reason=odd", "alice", "x", NULL, NULL, &q,
          &why), RTMP_AUTH_CLIENT_FAILED);
  g_free (why);
  fail_unless_equals_int (rtmp_auth_client_handle_error
      (RTMP_AUTH_DESC_PREFIX "?reason=needauth&user=alice", "alice", "x",
          NULL, NULL, &q, &why), RTMP_AUTH_CLIENT_FAILED);
  fail_unless (strstr (why, "No salt") != NULL);
  g_free (why);
}

GST_END_TEST;

static gchar *
lookup (const gchar * user, gpointer data)
{
  return g_str_equal (user, "alice") ? g_strdup ("s3cret") : NULL;
}

GST_START_TEST (test_server_stages)
{
  RtmpAuthServer *auth = rtmp_auth_server_new (lookup, NULL, NULL);
  GRand *same = g_rand_new_with_seed (7);
  gchar *user, *desc, *salt, *opaque, *exp, *resp, *q;

  rtmp_auth_server_set_seed (auth, 7);
  /* stage 1: no query, another authmod, no user */
  fail_unless_equals_int (rtmp_auth_server_check (auth, NULL, &user, &desc),
      RTMP_AUTH_SERVER_CHALLENGE);
  fail_unless_equals_string (desc, "[ AccessManager.Reject ] : "
      "[ code=403 need auth; authmod=adobe ] : ");
  g_free (desc);
  fail_unless_equals_int (rtmp_auth_server_check (auth, "authmod=llnw&user=a",
          &user, &desc), RTMP_AUTH_SERVER_CHALLENGE);
  fail_unless_equals_string (desc, RTMP_AUTH_DESC_NEED_AUTH);
  g_free (desc);
  /* stage 2: salt then opaque from the seeded source */
  salt = g_strdup_printf ("%08x", g_rand_int (same));
  opaque = g_strdup_printf ("%08x", g_rand_int (same));
  fail_unless_equals_int (rtmp_auth_server_check (auth,
          "authmod=adobe&user=alice", &user, &desc),
      RTMP_AUTH_SERVER_CHALLENGE);
  exp = g_strdup_printf ("[ AccessManager.Reject ] : [ authmod=adobe ] : "
      "?reason=needauth&user=alice&salt=%s&challenge=%s&opaque=%s", salt,
      opaque, opaque);
  fail_unless_equals_string (desc, exp);
  fail_unless (strlen (desc) < 256);    /* ffmpeg's buffer */
  g_free (exp);
  g_free (desc);
  fail_unless_equals_int (rtmp_auth_server_get_n_pending (auth), 1);
  /* stage 3, right */
  resp = independent_response ("alice", salt, "s3cret", opaque, "12345678");
  q = g_strdup_printf ("authmod=adobe&user=alice&challenge=12345678"
      "&response=%s&opaque=%s", resp, opaque);
  fail_unless_equals_int (rtmp_auth_server_check (auth, q, &user, &desc),
      RTMP_AUTH_SERVER_ACCEPT);
  fail_unless_equals_string (user, "alice");
  fail_unless (desc == NULL);
  g_free (user);
  fail_unless_equals_int (rtmp_auth_server_get_n_pending (auth), 0);
  /* replayed: the challenge is single-use */
  fail_unless_equals_int (rtmp_auth_server_check (auth, q, &user, &desc),
      RTMP_AUTH_SERVER_REFUSE);
  fail_unless_equals_string (desc, RTMP_AUTH_DESC_PREFIX
      "?reason=authfailed&opaque=");
  g_free (desc);
  g_free (q);
  g_free (resp);
  g_free (salt);
  g_free (opaque);

  /* stage 3, wrong password; the client omits the opaque (found by user) */
  salt = g_strdup_printf ("%08x", g_rand_int (same));
  opaque = g_strdup_printf ("%08x", g_rand_int (same));
  fail_unless_equals_int (rtmp_auth_server_check (auth,
          "authmod=adobe&user=alice", &user, &desc),
      RTMP_AUTH_SERVER_CHALLENGE);
  g_free (desc);
  resp = independent_response ("alice", salt, "wrong", opaque, "12345678");
  q = g_strdup_printf ("authmod=adobe&user=alice&challenge=12345678"
      "&response=%s", resp);
  fail_unless_equals_int (rtmp_auth_server_check (auth, q, &user, &desc),
      RTMP_AUTH_SERVER_REFUSE);
  exp = g_strdup_printf (RTMP_AUTH_DESC_PREFIX "?reason=authfailed&opaque=%s",
      opaque);
  fail_unless_equals_string (desc, exp);
  g_free (exp);
  g_free (desc);
  g_free (q);
  g_free (resp);
  g_free (salt);
  g_free (opaque);

  /* unknown user: challenged like anyone, then refused */
  fail_unless_equals_int (rtmp_auth_server_check (auth,
          "authmod=adobe&user=mallory", &user, &desc),
      RTMP_AUTH_SERVER_CHALLENGE);
  fail_unless (strstr (desc, "?reason=needauth&user=mallory&salt=") != NULL);
  g_free (desc);
  fail_unless_equals_int (rtmp_auth_server_check (auth,
          "authmod=adobe&user=mallory&challenge=1&response=x", &user, &desc),
      RTMP_AUTH_SERVER_REFUSE);
  g_free (desc);
  /* hostile user names are refused without being echoed */
  fail_unless_equals_int (rtmp_auth_server_check (auth,
          "authmod=adobe&user=a]b", &user, &desc), RTMP_AUTH_SERVER_REFUSE);
  fail_unless_equals_string (desc, RTMP_AUTH_DESC_PREFIX
      "?reason=authfailed");
  g_free (desc);
  {
    gchar *longq = g_strdup_printf ("authmod=adobe&user=%0100d", 0);
    fail_unless_equals_int (rtmp_auth_server_check (auth, longq, &user,
            &desc), RTMP_AUTH_SERVER_REFUSE);
    g_free (desc);
    g_free (longq);
  }
  /* the pending table is bounded */
  for (guint i = 0; i < RTMP_AUTH_MAX_PENDING + 10; i++) {
    fail_unless_equals_int (rtmp_auth_server_check (auth,
            "authmod=adobe&user=alice", &user, &desc),
        RTMP_AUTH_SERVER_CHALLENGE);
    g_free (desc);
  }
  fail_unless_equals_int (rtmp_auth_server_get_n_pending (auth),
      RTMP_AUTH_MAX_PENDING);
  rtmp_auth_server_set_seed (auth, 8);
  rtmp_auth_server_unref (rtmp_auth_server_ref (auth));
  rtmp_auth_server_unref (auth);
  g_rand_free (same);
}

GST_END_TEST;

/* --- sessions: client and server role, in memory ------------------------ */

typedef struct
{
  GPtrArray *types;             /* event types, as pointers */
  gchar *query;                 /* AUTH_RETRY */
  gchar *user;                  /* CONNECT */
  gchar *app, *tc_url;
  gchar *description;
  gchar *reason;
} Seen;

static void
drain (RtmpSession * s, Seen * seen)
{
  RtmpSessionEvent ev;

  while (rtmp_session_next_event (s, &ev)) {
    g_ptr_array_add (seen->types, GINT_TO_POINTER (ev.type));
    switch (ev.type) {
      case RTMP_SESSION_EVENT_AUTH_RETRY:
        g_free (seen->query);
        seen->query = g_strdup (ev.query);
        break;
      case RTMP_SESSION_EVENT_CONNECT:
        g_free (seen->user);
        g_free (seen->app);
        g_free (seen->tc_url);
        seen->user = g_strdup (ev.user);
        seen->app = g_strdup (ev.app);
        seen->tc_url = g_strdup (ev.tc_url);
        break;
      case RTMP_SESSION_EVENT_CONNECT_REJECTED:
      case RTMP_SESSION_EVENT_REJECTED:
        g_free (seen->description);
        g_free (seen->reason);
        seen->description = g_strdup (ev.description);
        seen->reason = g_strdup (ev.reason);
        break;
      case RTMP_SESSION_EVENT_PUBLISH_REQUEST:
        rtmp_session_accept_publish (s);
        break;
      default:
        break;
    }
    rtmp_session_event_clear (&ev);
  }
}

static gboolean
seen_has (Seen * seen, RtmpSessionEventType t)
{
  for (guint i = 0; i < seen->types->len; i++)
    if (GPOINTER_TO_INT (g_ptr_array_index (seen->types, i)) == (gint) t)
      return TRUE;
  return FALSE;
}

static void
seen_clear (Seen * seen)
{
  g_ptr_array_unref (seen->types);
  g_free (seen->query);
  g_free (seen->user);
  g_free (seen->app);
  g_free (seen->tc_url);
  g_free (seen->description);
  g_free (seen->reason);
  memset (seen, 0, sizeof (*seen));
}

/* moves bytes both ways, one byte at a time when @bytewise, until
 * nothing moves */
static void
run (RtmpSession * c, RtmpSession * s, Seen * cs, Seen * ss,
    gboolean bytewise)
{
  gboolean moved = TRUE;

  while (moved) {
    RtmpSession *pair[2][2] = { {c, s}, {s, c} };
    Seen *seen[2] = { ss, cs };

    moved = FALSE;
    for (guint k = 0; k < 2; k++) {
      GstBufferList *list = rtmp_session_take_output (pair[k][0]);

      if (list == NULL)
        continue;
      for (guint i = 0; i < gst_buffer_list_length (list); i++) {
        GstBuffer *b = gst_buffer_list_get (list, i);
        GstMapInfo map;
        gsize off = 0;

        gst_buffer_map (b, &map, GST_MAP_READ);
        while (off < map.size) {
          gsize n = bytewise ? 1 : map.size - off, used = 0;
          GError *err = NULL;

          fail_unless (rtmp_session_feed (pair[k][1], map.data + off, n,
                  &used, &err), "feed: %s", err ? err->message : "");
          fail_unless_equals_int (used, n);
          off += n;
          drain (pair[k][1], seen[k]);
        }
        gst_buffer_unmap (b, &map);
        moved = TRUE;
      }
      gst_buffer_list_unref (list);
    }
  }
}

/* one connection: a client with @query against a server sharing @auth */
static void
connection (RtmpAuthServer * auth, const gchar * password,
    const gchar * query, Seen * cs, Seen * ss, gboolean bytewise)
{
  RtmpClientConfig cfg;
  RtmpSession *c, *s;

  rtmp_client_config_init (&cfg);
  cfg.app = "live";
  cfg.tc_url = "rtmp://127.0.0.1/live";
  cfg.stream = "key";
  cfg.username = "alice";
  cfg.password = password;
  cfg.auth_query = query;
  cfg.digest_handshake = FALSE;
  c = rtmp_session_new_client (NULL, &cfg);
  s = rtmp_session_new_server (NULL, NULL);
  rtmp_session_set_auth (s, auth);
  memset (cs, 0, sizeof (*cs));
  memset (ss, 0, sizeof (*ss));
  cs->types = g_ptr_array_new ();
  ss->types = g_ptr_array_new ();
  rtmp_session_client_start (c);
  run (c, s, cs, ss, bytewise);
  rtmp_session_free (c);
  rtmp_session_free (s);
}

static void
session_exchange (gboolean bytewise)
{
  RtmpAuthServer *auth = rtmp_auth_server_new (lookup, NULL, NULL);
  Seen cs, ss;
  gchar *q1, *q2;

  /* 1: plain connect -> need auth */
  connection (auth, "s3cret", NULL, &cs, &ss, bytewise);
  fail_unless (seen_has (&ss, RTMP_SESSION_EVENT_CONNECT_REJECTED));
  fail_if (seen_has (&ss, RTMP_SESSION_EVENT_CONNECT));
  fail_unless_equals_string (ss.description, RTMP_AUTH_DESC_NEED_AUTH);
  fail_unless_equals_string (ss.reason, "challenge");
  fail_unless_equals_string (cs.query, "authmod=adobe&user=alice");
  q1 = g_strdup (cs.query);
  seen_clear (&cs);
  seen_clear (&ss);
  /* 2: the user -> needauth */
  connection (auth, "s3cret", q1, &cs, &ss, bytewise);
  fail_unless (strstr (ss.description, "?reason=needauth&user=alice&salt=")
      != NULL);
  fail_unless (cs.query && strstr (cs.query, "&response=") != NULL);
  q2 = g_strdup (cs.query);
  seen_clear (&cs);
  seen_clear (&ss);
  /* 3: the response -> connected and published, app without the query */
  connection (auth, "s3cret", q2, &cs, &ss, bytewise);
  fail_unless (seen_has (&ss, RTMP_SESSION_EVENT_CONNECT));
  fail_unless_equals_string (ss.user, "alice");
  fail_unless_equals_string (ss.app, "live");
  fail_unless_equals_string (ss.tc_url, "rtmp://127.0.0.1/live");
  fail_unless (seen_has (&cs, RTMP_SESSION_EVENT_PUBLISH_STARTED));
  seen_clear (&cs);
  seen_clear (&ss);
  /* replaying connection 3 is refused (single-use challenge) */
  connection (auth, "s3cret", q2, &cs, &ss, bytewise);
  fail_unless_equals_string (ss.reason, "refused");
  fail_unless (seen_has (&cs, RTMP_SESSION_EVENT_REJECTED));
  fail_unless (strstr (cs.reason, "wrong user name or password") != NULL);
  seen_clear (&cs);
  seen_clear (&ss);
  /* wrong password: stage 2 then refused */
  connection (auth, "bad", q1, &cs, &ss, bytewise);
  g_free (q2);
  q2 = g_strdup (cs.query);
  seen_clear (&cs);
  seen_clear (&ss);
  connection (auth, "bad", q2, &cs, &ss, bytewise);
  fail_unless (strstr (ss.description, "?reason=authfailed&opaque=") != NULL);
  fail_unless (seen_has (&cs, RTMP_SESSION_EVENT_REJECTED));
  fail_if (seen_has (&ss, RTMP_SESSION_EVENT_CONNECT));
  seen_clear (&cs);
  seen_clear (&ss);
  g_free (q1);
  g_free (q2);
  rtmp_auth_server_unref (auth);
}

GST_START_TEST (test_session_exchange)
{
  session_exchange (FALSE);
}

GST_END_TEST;

GST_START_TEST (test_session_exchange_bytes)
{
  session_exchange (TRUE);
}

GST_END_TEST;

GST_START_TEST (test_session_names)
{
  fail_unless_equals_string (rtmp_session_event_type_get_name
      (RTMP_SESSION_EVENT_CONNECT_REJECTED), "connect-rejected");
  fail_unless_equals_string (rtmp_session_event_type_get_name
      (RTMP_SESSION_EVENT_AUTH_RETRY), "auth-retry");
}

GST_END_TEST;

static Suite *
auth_suite (void)
{
  Suite *s = suite_create ("auth");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_response_known_answer);
  tcase_add_test (tc, test_query_get);
  tcase_add_test (tc, test_client_stages);
  tcase_add_test (tc, test_server_stages);
  tcase_add_test (tc, test_session_exchange);
  tcase_add_test (tc, test_session_exchange_bytes);
  tcase_add_test (tc, test_session_names);
  return s;
}

GST_CHECK_MAIN (auth);
