/* RTMP core: the protocol session (one connection's state), server and
 * client roles. Sans-I/O: bytes in, events and bytes out.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMP_SESSION_H__
#define __RTMP_SESSION_H__

#include <gst/gst.h>

#include "rtmp-amf.h"
#include "rtmp-auth.h"
#include "rtmp-limits.h"
#include "rtmp-message.h"

G_BEGIN_DECLS

/* Longest app / stream name (bytes) the server role accepts in connect and
 * publish; longer is an %RTMP_ERROR_LIMIT error naming this constant. */
#define RTMP_SESSION_MAX_NAME_LENGTH 1024

/* Defaults (reference §4, §9.4) */
#define RTMP_SESSION_DEFAULT_CHUNK_SIZE 4096
#define RTMP_SESSION_DEFAULT_WINDOW_ACK_SIZE 2500000
#define RTMP_SESSION_DEFAULT_PEER_BANDWIDTH 2500000
#define RTMP_SESSION_DEFAULT_FLASH_VER "FMLE/3.0 (compatible; gst-rtmp-ingest)"

typedef struct _RtmpSession RtmpSession;

typedef enum
{
  RTMP_SESSION_ROLE_SERVER,
  RTMP_SESSION_ROLE_CLIENT,
} RtmpSessionRole;

/**
 * RtmpServerConfig:
 * @chunk_size: our outgoing chunk size, announced after connect
 * @window_ack_size: the Window Acknowledgement Size we announce
 * @peer_bandwidth: the Set Peer Bandwidth we announce (limit dynamic)
 *
 * rtmp_server_config_init() fills the defaults.
 */
typedef struct
{
  guint32 chunk_size;
  guint32 window_ack_size;
  guint32 peer_bandwidth;
} RtmpServerConfig;

/**
 * RtmpClientConfig:
 * @app: the application (connect's "app"), required
 * @tc_url: connect's "tcUrl", required
 * @stream: the stream name incl. an optional "?query" (reference §1)
 * @flash_ver: connect's "flashVer"; %NULL: RTMP_SESSION_DEFAULT_FLASH_VER
 * @swf_url: connect's "swfUrl"; %NULL: not sent
 * @chunk_size: our outgoing chunk size, sent right after connect's _result
 * @window_ack_size: the window we announce after connect's _result (0: none)
 * @digest_handshake: send a digest C1 (default %TRUE)
 * @username, @password: credentials for Adobe authentication (reference
 *     §1, rtmp-auth.h); %NULL: none (a challenge is then a refusal)
 * @auth_query: the authentication query of this connection (appended to
 *     app and tcUrl after '?'), from an earlier %RTMP_SESSION_EVENT_AUTH_RETRY;
 *     %NULL for the first connection
 *
 * The strings are copied by rtmp_session_new_client().
 * rtmp_client_config_init() fills the defaults (strings %NULL).
 */
typedef struct
{
  const gchar *app;
  const gchar *tc_url;
  const gchar *stream;
  const gchar *flash_ver;
  const gchar *swf_url;
  guint32 chunk_size;
  guint32 window_ack_size;
  gboolean digest_handshake;
  const gchar *username;
  const gchar *password;
  const gchar *auth_query;
} RtmpClientConfig;

void rtmp_server_config_init (RtmpServerConfig * config);
void rtmp_client_config_init (RtmpClientConfig * config);

typedef enum
{
  RTMP_SESSION_STATE_NEW,       /* client: before rtmp_session_client_start() */
  RTMP_SESSION_STATE_HANDSHAKE,
  RTMP_SESSION_STATE_CONNECTING,        /* server: waiting for connect;
                                         * client: waiting for its _result */
  RTMP_SESSION_STATE_CONNECTED, /* client: createStream sent */
  RTMP_SESSION_STATE_PUBLISH_REQUESTED, /* server: waiting for accept/reject;
                                         * client: publish sent */
  RTMP_SESSION_STATE_PUBLISHING,
  RTMP_SESSION_STATE_UNPUBLISHED,
  RTMP_SESSION_STATE_REJECTED,  /* client: the server refused */
  RTMP_SESSION_STATE_FAILED,    /* a GError was returned: unusable */
} RtmpSessionState;

const gchar *rtmp_session_state_get_name (RtmpSessionState state);

typedef enum
{
  RTMP_SESSION_EVENT_NONE,
  /* both */
  RTMP_SESSION_EVENT_HANDSHAKE_DONE,
  RTMP_SESSION_EVENT_ACK_RECEIVED,      /* value: sequence number */
  RTMP_SESSION_EVENT_PEER_CHUNK_SIZE,   /* value: new chunk size */
  RTMP_SESSION_EVENT_COMMAND,   /* command, transaction_id, stream_id (msid):
                                 * every command received, before it is
                                 * handled (logs, stats) */
  /* server */
  RTMP_SESSION_EVENT_CONNECT,   /* app, tc_url, flash_ver, swf_url,
                                 * object_encoding, amf (command object) */
  RTMP_SESSION_EVENT_PUBLISH_REQUEST,   /* app, stream_name, query, raw_name,
                                         * publish_type, stream_id */
  RTMP_SESSION_EVENT_MEDIA,     /* message (types 8, 9, 15, 18, 22) */
  RTMP_SESSION_EVENT_METADATA,  /* amf (the onMetaData value) */
  RTMP_SESSION_EVENT_UNPUBLISHED,       /* reason: "FCUnpublish",
                                         * "deleteStream", "closeStream" */
  /* both: server after accept, client on NetStream.Publish.Start;
   * stream_name, stream_id */
  RTMP_SESSION_EVENT_PUBLISH_STARTED,
  /* client */
  RTMP_SESSION_EVENT_CONNECTED, /* amf: the _result information object */
  RTMP_SESSION_EVENT_REJECTED,  /* command, level, code, description: the
                                 * server refused connect / createStream /
                                 * publish (_error or onStatus level error) */
  RTMP_SESSION_EVENT_ERROR,     /* same fields: an error-level onStatus or an
                                 * _error after publishing started */
  RTMP_SESSION_EVENT_STATUS,    /* level, code, description: other onStatus */
  RTMP_SESSION_EVENT_CLOSE_REQUESTED,   /* command: "deleteStream"/"close" */
  /* server: connect refused by authentication (code, description: what
   * the peer got in its _error, reason: "challenge" or "refused"); the
   * caller closes the connection once the output is sent. Later input is
   * discarded. */
  RTMP_SESSION_EVENT_CONNECT_REJECTED,
  /* client: the server challenged us (Adobe authentication): reconnect
   * with a new session whose auth_query is @query (description: the
   * server's). This session is finished. */
  RTMP_SESSION_EVENT_AUTH_RETRY,
} RtmpSessionEventType;

const gchar *rtmp_session_event_type_get_name (RtmpSessionEventType type);

/**
 * RtmpSessionEvent:
 *
 * One event. Only the fields listed for its type are set; all pointers
 * are owned by the event and freed by rtmp_session_event_clear().
 */
typedef struct
{
  RtmpSessionEventType type;

  gchar *app;
  gchar *tc_url;
  gchar *flash_ver;
  gchar *swf_url;
  gdouble object_encoding;

  gchar *stream_name;           /* without "?query" */
  gchar *query;                 /* after '?', or NULL */
  gchar *raw_name;              /* as the client sent it */
  gchar *publish_type;          /* "live", "record", "append" */
  guint32 stream_id;

  RtmpMessage message;

  RtmpAmfValue *amf;

  gchar *reason;

  gchar *command;
  gchar *level;
  gchar *code;
  gchar *description;
  gdouble transaction_id;

  guint32 value;

  gchar *user;                  /* CONNECT: the authenticated user, or NULL */
} RtmpSessionEvent;

void rtmp_session_event_clear (RtmpSessionEvent * event);

/* @limits (NULL: defaults) and @config (NULL: defaults) are copied */
RtmpSession *rtmp_session_new_server (const RtmpLimits * limits,
    const RtmpServerConfig * config);
RtmpSession *rtmp_session_new_client (const RtmpLimits * limits,
    const RtmpClientConfig * config);
void rtmp_session_free (RtmpSession * session);

RtmpSessionRole rtmp_session_get_role (const RtmpSession * session);

/* Feeds received bytes. Consumes as much as it can (sets @consumed);
 * returns FALSE with an RTMP_ERROR (and the session becomes unusable) on
 * peer misbehaviour. Stops early (*consumed < @size, TRUE) while a
 * decision is pending (server: a publish request, until
 * rtmp_session_accept_publish() / rtmp_session_reject_publish()), so
 * nothing after that message is processed before the decision; feed the
 * rest again afterwards. */
gboolean rtmp_session_feed (RtmpSession * session, const guint8 * data,
    gsize size, gsize * consumed, GError ** error);

/* server: require Adobe authentication (authmod=adobe) in connect; the
 * session takes a reference. Call before feeding. With it, the CONNECT
 * event's app and tc_url are without the "?authmod=..." query and its
 * user is set. */
void rtmp_session_set_auth (RtmpSession * session, RtmpAuthServer * auth);

/* TRUE while a publish request waits for accept/reject */
gboolean rtmp_session_is_blocked (const RtmpSession * session);

/* Pops the oldest event (FALSE when none). The caller owns @event's
 * fields and clears it with rtmp_session_event_clear(). */
gboolean rtmp_session_next_event (RtmpSession * session,
    RtmpSessionEvent * event);

/* Bytes to send: everything produced since the last call, in order, or
 * NULL if none. Chunk headers are small memories; media payloads are shared
 * (never copied), which is why this is a list (a GstBuffer holds at most 16
 * memories). (transfer full) */
GstBufferList *rtmp_session_take_output (RtmpSession * session);
gboolean rtmp_session_has_output (const RtmpSession * session);

/* server: answer the pending publish request */
void rtmp_session_accept_publish (RtmpSession * session);
/* @code e.g. "NetStream.Publish.BadName" / ".Unauthorized" / ".Denied";
 * sends onStatus level error; the caller then closes the connection. */
void rtmp_session_reject_publish (RtmpSession * session, const gchar * code,
    const gchar * description);

/* client: produce C0+C1 */
void rtmp_session_client_start (RtmpSession * session);
/* client: sends a media message (type 8, 9 or 18; any other type is an
 * RTMP_ERROR_UNSUPPORTED error) on the published stream. The session sets
 * msid and csid (data 4, audio 5, video 6); type, timestamp and payload are
 * used as given (the payload is shared, not copied; @msg is not modified,
 * the caller keeps its reference). Data messages are sent as given: the
 * caller (FLV layer) adds "@setDataFrame". Before PUBLISH_STARTED or after
 * unpublish: RTMP_ERROR_STATE. */
gboolean rtmp_session_send_media (RtmpSession * session,
    const RtmpMessage * msg, GError ** error);
/* client: FCUnpublish + deleteStream(stream id) */
void rtmp_session_client_unpublish (RtmpSession * session);

/* stats */
RtmpSessionState rtmp_session_get_state (const RtmpSession * session);
guint64 rtmp_session_get_bytes_in (const RtmpSession * session);
guint64 rtmp_session_get_bytes_out (const RtmpSession * session);
guint64 rtmp_session_get_messages_in (const RtmpSession * session);
guint64 rtmp_session_get_messages_out (const RtmpSession * session);
guint32 rtmp_session_get_peer_chunk_size (const RtmpSession * session);
/* the message stream id of the (requested / published) stream, 0 if none */
guint32 rtmp_session_get_stream_id (const RtmpSession * session);

G_END_DECLS

#endif /* __RTMP_SESSION_H__ */
