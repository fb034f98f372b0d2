/* RTMP net layer: the publishing client connection (one RtmpSession in the
 * client role at a time) driven on its own thread, with a bounded queue
 * toward it, timeouts and reconnection.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMP_NET_CLIENT_H__
#define __RTMP_NET_CLIENT_H__

#include <gio/gio.h>
#include <gst/gst.h>

#include "rtmp-limits.h"
#include "rtmp-message.h"
#include "rtmp-session.h"

G_BEGIN_DECLS

typedef struct _RtmpNetClient RtmpNetClient;

typedef enum
{
  RTMP_NET_CLIENT_STATE_IDLE,   /* before rtmp_net_client_start() */
  RTMP_NET_CLIENT_STATE_CONNECTING,     /* resolve, TCP, handshake, connect,
                                         * createStream, publish */
  RTMP_NET_CLIENT_STATE_PUBLISHING,
  RTMP_NET_CLIENT_STATE_RECONNECT_WAIT, /* lost; the next attempt is timed */
  RTMP_NET_CLIENT_STATE_FINISHING,      /* unpublish, flush, half-close, drain */
  RTMP_NET_CLIENT_STATE_CLOSED, /* finished cleanly */
  RTMP_NET_CLIENT_STATE_ERROR,  /* fatal: see rtmp_net_client_get_error() */
} RtmpNetClientState;

const gchar *rtmp_net_client_state_get_name (RtmpNetClientState state);

/**
 * RtmpNetClientConfig:
 * @host: host name, IPv4 or IPv6 literal (no brackets)
 * @port: TCP port
 * @app, @tc_url, @stream, @flash_ver, @chunk_size: see #RtmpClientConfig
 * @timeout_ms: limit for one connection attempt (resolve to
 *     NetStream.Publish.Start) and for a write that makes no progress
 * @reconnect: reconnect after a lost connection (never after a refusal)
 * @max_reconnect_attempts: consecutive failed attempts before giving up
 *     (-1: no limit)
 * @reconnect_delay_ms: wait before the first attempt; doubles per failed
 *     attempt up to @max_reconnect_delay_ms
 * @max_queue_bytes: payload bytes queued toward the network thread; a push
 *     beyond it blocks (or drops, see @drop_when_congested)
 * @drop_when_congested: when the queue is full, drop video instead of
 *     blocking: the frame that does not fit, or the newest queued frames
 *     to make room for audio, metadata and sequence headers, then every
 *     video frame up to the next key frame; block only when no queued
 *     video is left to drop
 * @tls: RTMPS: TLS (OpenSSL) before the RTMP handshake (reference §13)
 * @tls_ca_file: PEM file of extra trusted CA certificates (NULL: system
 *     store only)
 * @tls_validation: verify the server certificate and host name (default
 *     %TRUE); a refused certificate is fatal (G_TLS_ERROR_BAD_CERTIFICATE)
 * @username, @password: Adobe authentication credentials (NULL: none); a
 *     refusal of them is fatal (RTMP_ERROR_AUTH)
 *
 * Strings are copied by rtmp_net_client_new().
 * rtmp_net_client_config_init() fills the defaults (strings %NULL).
 */
typedef struct
{
  const gchar *host;
  guint port;
  const gchar *app;
  const gchar *tc_url;
  const gchar *stream;
  const gchar *flash_ver;
  guint32 chunk_size;
  guint timeout_ms;
  gboolean reconnect;
  gint max_reconnect_attempts;
  guint reconnect_delay_ms;
  guint max_reconnect_delay_ms;
  gsize max_queue_bytes;
  gboolean drop_when_congested;
  gboolean tls;
  const gchar *tls_ca_file;
  gboolean tls_validation;
  const gchar *username;
  const gchar *password;
} RtmpNetClientConfig;

void rtmp_net_client_config_init (RtmpNetClientConfig * config);

/**
 * RtmpNetClientCallbacks:
 * @state_changed: runs on the network thread whenever the state changes.
 *     @attempt is the reconnect attempt number (0 for the first
 *     connection); @error is set for RECONNECT_WAIT (why the connection was
 *     lost) and ERROR (the fatal error: RTMP_ERROR_REJECTED with the
 *     server's code and description in the message, G_IO_ERROR_TIMED_OUT,
 *     G_IO_ERROR_CONNECTION_CLOSED, ...). ERROR is reported here before any
 *     waiting rtmp_net_client_push() returns it, so an element can post its
 *     error message first. Must not call back into the client except the
 *     thread-safe getters.
 */
typedef struct
{
  void (*state_changed) (RtmpNetClient * client, RtmpNetClientState state,
      guint attempt, const GError * error, gpointer user_data);
} RtmpNetClientCallbacks;

RtmpNetClient *rtmp_net_client_new (const RtmpNetClientConfig * config,
    const RtmpNetClientCallbacks * callbacks, gpointer user_data);
/* Stops (see rtmp_net_client_stop()) and frees. */
void rtmp_net_client_free (RtmpNetClient * client);

/* Starts the network thread and the first connection attempt; returns at
 * once (nothing blocks: resolution and connection are asynchronous). */
void rtmp_net_client_start (RtmpNetClient * client);

/* Aborts at once (no unpublish, no drain), closes the socket and joins the
 * thread. No callback runs after it returns. */
void rtmp_net_client_stop (RtmpNetClient * client);

typedef enum
{
  RTMP_NET_CLIENT_PUSH_OK,
  RTMP_NET_CLIENT_PUSH_DROPPED, /* counted in the stats */
  RTMP_NET_CLIENT_PUSH_FLUSHING,
  RTMP_NET_CLIENT_PUSH_ERROR,
} RtmpNetClientPushResult;

/**
 * RtmpNetClientPushFlags:
 * @RTMP_NET_CLIENT_PUSH_FLAG_AHEAD: the message is well ahead of real time
 *     (its input arrives faster than it plays): it may wait in the queue
 *     until RTMP_NET_CLIENT_BATCH_BYTES are queued, to go out in one write,
 *     or at the latest RTMP_NET_CLIENT_MAX_HOLD_MS after it was queued.
 *     Without it a message is written at once whenever the socket has room.
 */
typedef enum
{
  RTMP_NET_CLIENT_PUSH_FLAG_NONE = 0,
  RTMP_NET_CLIENT_PUSH_FLAG_AHEAD = 1 << 0,
} RtmpNetClientPushFlags;

/* What a message flagged AHEAD may wait for (less when max_queue_bytes is
 * small: half of it), and for how long at most. */
#define RTMP_NET_CLIENT_BATCH_BYTES (64 * 1024)
#define RTMP_NET_CLIENT_MAX_HOLD_MS 250

/* Any thread (the streaming thread): queues a media message (type 8, 9 or
 * 18, timestamp already final; the payload is shared, not copied). Blocks
 * while the queue is full, until there is room, flushing is set or the
 * client failed. While disconnected after a publish had started, messages
 * are dropped (and counted); after a reconnection nothing is sent before the
 * next video key frame, which is preceded by the stored headers. */
RtmpNetClientPushResult rtmp_net_client_push (RtmpNetClient * client,
    const RtmpMessage * msg, RtmpNetClientPushFlags flags, GError ** error);

/* Stores the message re-sent after each reconnection before the first key
 * frame: by type, 18 = metadata (with @setDataFrame), 9 = video sequence
 * header, 8 = audio sequence header. NULL payload clears it. */
void rtmp_net_client_set_header (RtmpNetClient * client,
    const RtmpMessage * msg);

/* Any thread: makes blocking calls return FLUSHING (TRUE) / allows them
 * again (FALSE). */
void rtmp_net_client_set_flushing (RtmpNetClient * client, gboolean flushing);

/* Blocks until everything queued is written, FCUnpublish + deleteStream are
 * written, the socket is half-closed and the server's last bytes drained
 * (briefly) or the server closed. FALSE with @error on failure or
 * G_IO_ERROR_CANCELLED when flushing. */
gboolean rtmp_net_client_finish (RtmpNetClient * client, GError ** error);

RtmpNetClientState rtmp_net_client_get_state (RtmpNetClient * client);
/* (transfer full) (nullable) the fatal error */
GError *rtmp_net_client_get_error (RtmpNetClient * client);

/* (transfer full) a "rtmp-net-client-stats" structure: bytes-out,
 * bytes-in, messages-out, acked-bytes (u64), chunk-size, peer-chunk-size
 * (u32), reconnects, dropped-messages, dropped-bytes, queued-bytes (u64),
 * bitrate (u64, bits/s over the last second), state (string), server
 * (string "ip:port" or empty). */
GstStructure *rtmp_net_client_get_stats (RtmpNetClient * client);

G_END_DECLS

#endif /* __RTMP_NET_CLIENT_H__ */
