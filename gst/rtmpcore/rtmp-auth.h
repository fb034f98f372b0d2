/* RTMP core: Adobe-style connect authentication (authmod=adobe), both
 * roles. Sans-I/O: strings in, strings out.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMP_AUTH_H__
#define __RTMP_AUTH_H__

#include <glib.h>

G_BEGIN_DECLS

/* The exchange (reference §1, §9.3), over three TCP connections:
 *   1. connect app "live"                 -> _error Connect.Rejected,
 *      description RTMP_AUTH_DESC_NEED_AUTH
 *   2. connect app "live?authmod=adobe&user=U"
 *                                         -> _error Connect.Rejected,
 *      "[ AccessManager.Reject ] : [ authmod=adobe ] : ?reason=needauth&user=U
 *       &salt=S&challenge=C&opaque=O"
 *   3. connect app "live?authmod=adobe&user=U&challenge=C2&response=R
 *      &opaque=O"                         -> _result, or _error with
 *      "... : ?reason=authfailed&opaque=O"
 * R = base64 (md5 (base64 (md5 (U + S + password)) + O + C2)), where O is
 * the opaque if the server sent one, else its challenge (ffmpeg
 * do_adobe_auth, GStreamer rtmp2 rtmpclient.c). ffmpeg and rtmp2 search
 * the descriptions for exactly these substrings ("code=403 need auth",
 * "authmod=adobe" followed by a space, "?reason=needauth",
 * "?reason=authfailed"); rtmp2 also needs the "[ authmod=adobe ] : ?query"
 * frame to the end of the string. ffmpeg truncates a description to 255
 * bytes. */
#define RTMP_AUTH_DESC_NEED_AUTH \
  "[ AccessManager.Reject ] : [ code=403 need auth; authmod=adobe ] : "
#define RTMP_AUTH_DESC_PREFIX \
  "[ AccessManager.Reject ] : [ authmod=adobe ] : "

/* Longest user name the server role takes (keeps the needauth description
 * below ffmpeg's 255 bytes). */
#define RTMP_AUTH_MAX_USER_LENGTH 64
/* Challenges the server role remembers at once, and for how long. */
#define RTMP_AUTH_MAX_PENDING 256
#define RTMP_AUTH_CHALLENGE_LIFETIME_US (60 * G_USEC_PER_SEC)

/* base64 (md5 (base64 (md5 (user + salt + password)) + opaque +
 * client_challenge)) (transfer full) */
gchar *rtmp_auth_adobe_response (const gchar * user, const gchar * password,
    const gchar * salt, const gchar * opaque, const gchar * client_challenge);

/* The value of @key in an "a=b&c=d" query (a leading '?' is skipped), not
 * URL-decoded (publishers send the values raw); NULL if absent.
 * (transfer full) */
gchar *rtmp_auth_query_get (const gchar * query, const gchar * key);

/* --- client role --- */

typedef enum
{
  RTMP_AUTH_CLIENT_NOT_AUTH,    /* not an Adobe challenge: a plain refusal */
  RTMP_AUTH_CLIENT_RETRY,       /* reconnect with *query */
  RTMP_AUTH_CLIENT_FAILED,      /* the server refused our credentials, or
                                 * we have none: *reason says which */
} RtmpAuthClientResult;

/* Reacts to a connect _error @description. @sent_query is the query we
 * sent on this connection (NULL: none). On RETRY, *query is the next
 * connection's app/tcUrl query (without '?'); on FAILED, *reason is a
 * sentence for the user. @client_challenge: NULL = random. */
RtmpAuthClientResult rtmp_auth_client_handle_error (const gchar * description,
    const gchar * user, const gchar * password, const gchar * sent_query,
    const gchar * client_challenge, gchar ** query, gchar ** reason);

/* --- server role --- */

/* Returns the password of @user (g_strdup'd) or NULL if there is no such
 * user. Called on the server thread. */
typedef gchar *(*RtmpAuthPasswordFunc) (const gchar * user,
    gpointer user_data);

/* The challenges the server issued: shared by every connection of one
 * listener (the answer comes on a new TCP connection). Thread-safe. */
typedef struct _RtmpAuthServer RtmpAuthServer;

RtmpAuthServer *rtmp_auth_server_new (RtmpAuthPasswordFunc func,
    gpointer user_data, GDestroyNotify notify);
RtmpAuthServer *rtmp_auth_server_ref (RtmpAuthServer * auth);
void rtmp_auth_server_unref (RtmpAuthServer * auth);
/* Tests: salts and challenges from a GRand seeded with @seed instead of
 * the system's random source. */
void rtmp_auth_server_set_seed (RtmpAuthServer * auth, guint32 seed);
guint rtmp_auth_server_get_n_pending (RtmpAuthServer * auth);

typedef enum
{
  RTMP_AUTH_SERVER_ACCEPT,
  RTMP_AUTH_SERVER_CHALLENGE,   /* need auth / needauth: not an error */
  RTMP_AUTH_SERVER_REFUSE,      /* wrong response, unknown challenge */
} RtmpAuthServerResult;

/* Decides about one connect whose app carried @query (the part after
 * '?', NULL if none). ACCEPT sets *user; the others set *description to
 * the _error description to send (NetConnection.Connect.Rejected). */
RtmpAuthServerResult rtmp_auth_server_check (RtmpAuthServer * auth,
    const gchar * query, gchar ** user, gchar ** description);

G_END_DECLS

#endif /* __RTMP_AUTH_H__ */
