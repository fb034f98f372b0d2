/* RTMP net layer: a listening TCP server that drives one RtmpSession per
 * connection on its own thread.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMP_NET_SERVER_H__
#define __RTMP_NET_SERVER_H__

#include <gio/gio.h>
#include <gst/gst.h>

#include "rtmp-limits.h"
#include "rtmp-message.h"
#include "rtmp-session.h"
#include "rtmp-net-tls.h"

G_BEGIN_DECLS

typedef struct _RtmpNetServer RtmpNetServer;
typedef struct _RtmpNetConnection RtmpNetConnection;

/**
 * RtmpNetServerConfig:
 * @limits: what each connection's session may allocate, plus the
 *     handshake and idle timeouts (0 = none)
 * @session: what the server side of each session announces
 * @max_connections: simultaneous TCP connections; more are closed at once
 * @max_pending: connections that are not publishing (handshaking,
 *     connecting, refused and lingering, or done publishing); more are
 *     closed at once. 0 = no limit of its own (only @max_connections)
 * @max_output_bytes: bytes queued toward one peer that does not read;
 *     beyond it the peer is dropped
 * @read_size: bytes read from a socket at a time
 * @max_threads: network threads of the server (0 = 1). The first one
 *     accepts; each connection lives on the thread serving the fewest
 *     connections when it arrived, and a thread is added when every
 *     running one serves a connection. Default: one per core, at most 8
 * @tls_mode: plain RTMP, RTMPS or both on the port (reference §13)
 * @tls_context: the server context for RTMPS (rtmp_net_tls_context_new_server;
 *     the server takes a reference); required unless @tls_mode is PLAIN
 * @auth: Adobe authentication for every connection (the server takes a
 *     reference); %NULL: none
 *
 * rtmp_net_server_config_init() fills the defaults.
 */
typedef struct
{
  RtmpLimits limits;
  RtmpServerConfig session;
  guint max_connections;
  guint max_pending;
  gsize max_output_bytes;
  gsize read_size;
  guint max_threads;
  RtmpNetTlsMode tls_mode;
  RtmpNetTlsContext *tls_context;
  RtmpAuthServer *auth;
} RtmpNetServerConfig;

void rtmp_net_server_config_init (RtmpNetServerConfig * config);

/**
 * RtmpNetServerCallbacks:
 *
 * How a consumer (an element) hears about connections. Every callback
 * runs on one of the server's network threads (all of one connection's on
 * the same thread; callbacks of different connections may run at the same
 * time); none may call rtmp_net_server_stop() or block on the streaming
 * thread. Any may be %NULL.
 *
 * @accepted: a TCP connection was accepted.
 * @connect: the peer sent connect (@event: app, tc_url, flash_ver...).
 * @publish_request: the peer wants to publish (@event: app, stream_name,
 *     query, raw_name, publish_type). Return %TRUE to accept; to refuse
 *     return %FALSE and set @code (a NetStream.Publish.* code) and
 *     @description (g_strdup'd; the server frees them): the peer gets an
 *     error onStatus and is closed once it has been sent.
 * @publish_started: the accepted publish started.
 * @media: an audio/video/data message of the published stream (transfer
 *     none: ref what you keep). Return %FALSE to stop reading from this
 *     peer until rtmp_net_connection_resume() (back-pressure).
 * @metadata: onMetaData of the published stream (transfer none).
 * @unpublished: the peer ended its publish (FCUnpublish, deleteStream,
 *     closeStream); @reason names the command.
 * @closed: the connection is gone. @error is %NULL for a clean close by
 *     the peer, else what went wrong (timeouts: G_IO_ERROR_TIMED_OUT). Not
 *     called for connections closed by rtmp_net_server_stop().
 */
typedef struct
{
  void (*accepted) (RtmpNetServer * server, RtmpNetConnection * conn,
      gpointer user_data);
  void (*connect) (RtmpNetServer * server, RtmpNetConnection * conn,
      const RtmpSessionEvent * event, gpointer user_data);
  gboolean (*publish_request) (RtmpNetServer * server,
      RtmpNetConnection * conn, const RtmpSessionEvent * event,
      gchar ** code, gchar ** description, gpointer user_data);
  void (*publish_started) (RtmpNetServer * server, RtmpNetConnection * conn,
      gpointer user_data);
  gboolean (*media) (RtmpNetServer * server, RtmpNetConnection * conn,
      const RtmpMessage * msg, gpointer user_data);
  void (*metadata) (RtmpNetServer * server, RtmpNetConnection * conn,
      const RtmpAmfValue * metadata, gpointer user_data);
  void (*unpublished) (RtmpNetServer * server, RtmpNetConnection * conn,
      const gchar * reason, gpointer user_data);
  void (*closed) (RtmpNetServer * server, RtmpNetConnection * conn,
      const GError * error, gpointer user_data);
  /* optional: everything read so far has been processed (called once per
   * read, after its burst of @media calls), so a consumer can wake its
   * own thread once per burst instead of once per message */
  void (*input_processed) (RtmpNetServer * server, RtmpNetConnection * conn,
      gpointer user_data);
} RtmpNetServerCallbacks;

/* @address: NULL, "" or "*" = every IPv6 and IPv4 address; otherwise an IP
 * literal or a host name (resolved in rtmp_net_server_start()).
 * @port: 0 = any free port. @config: NULL = defaults (copied). */
RtmpNetServer *rtmp_net_server_new (const gchar * address, guint port,
    const RtmpNetServerConfig * config,
    const RtmpNetServerCallbacks * callbacks, gpointer user_data,
    GDestroyNotify user_data_free);
RtmpNetServer *rtmp_net_server_ref (RtmpNetServer * server);
/* The last unref stops the server if it still runs. */
void rtmp_net_server_unref (RtmpNetServer * server);

/* Binds and listens (synchronously: errors such as "address in use" are
 * returned here), then starts the server thread. */
gboolean rtmp_net_server_start (RtmpNetServer * server, GError ** error);
/* Closes the listener and every connection and joins the thread. No
 * callback runs after it returns. Must not be called from a callback. */
void rtmp_net_server_stop (RtmpNetServer * server);
/* The bound port (after start), else 0. */
guint rtmp_net_server_get_port (RtmpNetServer * server);
/* "ip:port" strings of the bound address, for logs. (transfer full) */
gchar *rtmp_net_server_get_address_string (RtmpNetServer * server);
/* Number of open connections. */
guint rtmp_net_server_get_n_connections (RtmpNetServer * server);
/* Number of open connections that are not publishing. */
guint rtmp_net_server_get_n_pending (RtmpNetServer * server);
/* Whether the caller runs on one of the server's network threads (i.e. in
 * a callback). */
gboolean rtmp_net_server_is_server_thread (RtmpNetServer * server);
/* Number of network threads running (0 when stopped). */
guint rtmp_net_server_get_n_threads (RtmpNetServer * server);

/* Connections are reference counted; the server holds one while open. */
RtmpNetConnection *rtmp_net_connection_ref (RtmpNetConnection * conn);
void rtmp_net_connection_unref (RtmpNetConnection * conn);

/* Thread-safe: the peer's "ip:port", a per-server connection number. */
const gchar *rtmp_net_connection_get_peer (RtmpNetConnection * conn);
guint64 rtmp_net_connection_get_id (RtmpNetConnection * conn);

/* The connection's network thread only (i.e. inside its callbacks):
 * connect's tcUrl and flashVer (NULL before connect or when the peer sent
 * none), the session's counters. */
const gchar *rtmp_net_connection_get_tc_url (RtmpNetConnection * conn);
const gchar *rtmp_net_connection_get_flash_ver (RtmpNetConnection * conn);
guint64 rtmp_net_connection_get_bytes_in (RtmpNetConnection * conn);
guint64 rtmp_net_connection_get_bytes_out (RtmpNetConnection * conn);
guint64 rtmp_net_connection_get_messages_in (RtmpNetConnection * conn);
/* socket reads that returned data (plain or TLS bytes) */
guint64 rtmp_net_connection_get_reads_in (RtmpNetConnection * conn);
guint32 rtmp_net_connection_get_peer_chunk_size (RtmpNetConnection * conn);

/* Thread-safe: whether the connection is closed, its closed callback
 * included (no callback for it runs afterwards). */
gboolean rtmp_net_connection_is_closed (RtmpNetConnection * conn);
/* Thread-safe: whether the connection is RTMPS (known after its first
 * byte). */
gboolean rtmp_net_connection_is_tls (RtmpNetConnection * conn);
/* In the thread serving @conn: whether its last read filled the whole read
 * buffer, so more input is probably waiting in the socket. */
gboolean rtmp_net_connection_input_pending (RtmpNetConnection * conn);

/* In one of @conn's callbacks: once the dispatch that runs the callback is
 * over (the rest of the data read with it is processed first), the
 * connection is served by whichever thread iterates @context, the
 * consumer's own loop, instead of a network thread: its later callbacks
 * run there. A consumer that reads in its own thread saves the wake-up of
 * a network thread per message. The consumer must iterate @context while
 * it wants data, and close the connection (rtmp_net_connection_close()
 * with @context acquired runs at once) or move it back before it leaves
 * the server. */
void rtmp_net_connection_move_to_context (RtmpNetConnection * conn,
    GMainContext * context);
/* In one of @conn's callbacks: undoes rtmp_net_connection_move_to_context()
 * (or cancels it if not done yet): once the dispatch is over the
 * connection goes back to a network thread of its server. */
void rtmp_net_connection_move_to_server (RtmpNetConnection * conn);

/* Thread-safe: resume reading after @media returned FALSE. */
void rtmp_net_connection_resume (RtmpNetConnection * conn);
/* Thread-safe: close the connection (@closed is called with @reason, a
 * copy of it is made; NULL = clean). */
void rtmp_net_connection_close (RtmpNetConnection * conn,
    const GError * reason);

G_END_DECLS

#endif /* __RTMP_NET_SERVER_H__ */
