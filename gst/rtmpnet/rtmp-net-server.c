/* RTMP net layer: a listening TCP server that drives one RtmpSession per
 * connection on its own thread.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/*
 * Threading: a small pool of network threads per server, each running its
 * own GMainContext (the pattern of GStreamer's rtmp2 elements: a private
 * context pushed as the thread default). The first thread also accepts.
 * A connection lives on one thread for its whole life (the one serving the
 * fewest connections when it was accepted); a thread is added, up to
 * config.max_threads, when every running one already serves a connection,
 * so one publisher costs one thread and many publishers on a shared port
 * spread over the cores. Every socket is non-blocking and watched by
 * GSources on its thread's context, so a peer that stops reading or
 * writing never blocks the others. Other threads talk to connections only
 * through g_main_context_invoke_full() (resume, close) and to the server
 * through start/stop.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "rtmp-net-server.h"
#include "rtmp-net-output.h"
#include "rtmp-error.h"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

GST_DEBUG_CATEGORY_STATIC (rtmp_net_debug);
#define GST_CAT_DEFAULT rtmp_net_debug

/* Most memories one vectored write takes (IOV_MAX is 1024 on Linux; a
 * session's output rarely has more than a few dozen). */
/* Small outgoing messages (acknowledgements, ping answers, command
 * results) are copied into shared blocks of this size instead of being
 * queued one GstBuffer each: a peer flooding commands then costs us about
 * the bytes of the answers, which max_output_bytes bounds. Media is never
 * sent by the server, so nothing large is copied. */
#define COALESCE_BLOCK_SIZE 16384
#define COALESCE_MAX_MESSAGE 512
#define OUT_FLAG_COALESCE GST_BUFFER_FLAG_LAST
/* A refused publisher gets this long to read its onStatus before we close. */
#define CLOSE_LINGER_US (2 * G_USEC_PER_SEC)

typedef struct _Worker Worker;

/* one network thread */
struct _Worker
{
  RtmpNetServer *server;
  guint index;
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  gint n_connections;           /* atomic: open or being handed over */

  /* this worker's thread only */
  GList *connections;
  gboolean stopping;
};

struct _RtmpNetServer
{
  gint refcount;

  gchar *address;
  guint port;
  RtmpNetServerConfig config;
  RtmpNetServerCallbacks callbacks;
  gpointer user_data;
  GDestroyNotify user_data_free;

  GMutex lock;                  /* start/stop and the fields below */
  GSocket *listen_socket;
  GSource *listen_source;       /* on workers[0] */
  guint bound_port;
  gchar *bound_string;
  /* max_threads slots; filled by the accepting thread (workers[0]) only,
   * each before n_workers counts it, so any thread may read the first
   * n_workers entries */
  Worker **workers;
  gint n_workers;               /* atomic */

  /* connections moved to a consumer's context
   * (rtmp_net_connection_move_to_context) */
  GMutex detached_lock;
  GList *detached;

  /* accepting thread only */
  guint64 next_id;
  gint stopping;                /* atomic */
  gint n_connections;           /* atomic */
  gint n_pending;               /* atomic: connections not publishing */
};

struct _RtmpNetConnection
{
  gint refcount;

  RtmpNetServer *server;        /* not owned; valid until closed */
  /* the network thread it lives on (not owned), or NULL while a consumer's
   * thread serves it (moved with rtmp_net_connection_move_to_context) */
  Worker *worker;
  /* owned: its worker's or the consumer's; written by the thread serving
   * the connection under ctx_lock, read by others under it */
  GMainContext *context;
  GMutex ctx_lock;
  /* a move asked for by a callback, done once the dispatch that ran the
   * callback is over (the connection's thread only) */
  GMainContext *move_to;        /* owned */
  gboolean move_back;
  guint64 id;
  gchar *peer;
  gchar *tc_url;                /* from connect, server thread only */
  gchar *flash_ver;

  GSocket *socket;
  RtmpSession *session;
  GSource *read_source;
  GSource *write_source;
  GSource *timer_source;

  guint8 *inbuf;
  gsize in_off;
  gsize in_len;

  GQueue out;                   /* GstBuffer * */
  gsize out_offset;             /* bytes of the head buffer already sent */
  gsize out_bytes;              /* bytes queued, minus out_offset */
  guint64 bytes_sent;

  gint64 accepted_time;
  gint64 last_activity;
  gint64 close_deadline;

  gboolean closed;
  gint closed_atomic;           /* the same, for other threads */
  gboolean paused;
  gboolean handshake_done;
  gboolean write_failed;
  gboolean refused;             /* publish refused: close after flushing */
  gboolean pending;             /* counted in n_pending (not publishing) */
  gboolean eof;
  gboolean last_read_full;      /* the last read filled the read buffer */
  guint64 reads_in;             /* reads that returned data */

  /* RTMPS (reference §13): decided by the first byte received */
  gboolean mode_decided;
  gint is_tls;                  /* atomic */
  RtmpNetTls *tls;
  guint8 *cipherbuf;            /* socket reads before decryption */
};

static void
ensure_debug (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtmp_net_debug, "rtmpnet", 0,
        "RTMP network layer (listener, connections)");
    g_once_init_leave (&once, 1);
  }
}

void
rtmp_net_server_config_init (RtmpNetServerConfig * config)
{
  g_return_if_fail (config != NULL);

  memset (config, 0, sizeof (*config));
  rtmp_limits_init (&config->limits);
  rtmp_server_config_init (&config->session);
  /* One publisher per element, plus refused ones being closed and port
   * scanners; a small bound keeps a flood from exhausting descriptors. */
  config->max_connections = 32;
  /* Encoders finish their handshake and connect within milliseconds, so
   * few connections are ever in that state at once; the bound keeps peers
   * that never publish (slow handshakes, scanners, refused peers) from
   * taking every connection slot of a port that serves many streams. */
  config->max_pending = 32;
  /* A server only sends small control messages to a publisher (acks,
   * pings, onStatus); 1 MiB unsent means the peer stopped reading. */
  config->max_output_bytes = 1024 * 1024;
  /* Large reads keep the syscall count low at high bitrates. */
  config->read_size = 256 * 1024;
  /* One network thread per core: real-time publishers cost a wake-up per
   * message each, and with many of them on one port a single thread
   * competes with every element's streaming thread for the CPU. Threads
   * are only started as connections arrive. */
  config->max_threads = CLAMP (g_get_num_processors (), 1, 8);
}

/* ------------------------------------------------------------------ */
/* Connections                                                         */
/* ------------------------------------------------------------------ */

static void conn_close (RtmpNetConnection * conn, GError * error,
    gboolean notify);
static void conn_flush_output (RtmpNetConnection * conn);
static void conn_process_input (RtmpNetConnection * conn);
static void conn_start_reading (RtmpNetConnection * conn);
static void conn_apply_move (RtmpNetConnection * conn);

RtmpNetConnection *
rtmp_net_connection_ref (RtmpNetConnection * conn)
{
  g_return_val_if_fail (conn != NULL, NULL);
  g_atomic_int_inc (&conn->refcount);
  return conn;
}

void
rtmp_net_connection_unref (RtmpNetConnection * conn)
{
  g_return_if_fail (conn != NULL);

  if (!g_atomic_int_dec_and_test (&conn->refcount))
    return;

  GST_TRACE ("freeing connection %" G_GUINT64_FORMAT, conn->id);
  g_warn_if_fail (conn->read_source == NULL && conn->write_source == NULL
      && conn->timer_source == NULL);
  g_queue_clear_full (&conn->out, (GDestroyNotify) gst_buffer_unref);
  if (conn->session)
    rtmp_session_free (conn->session);
  rtmp_net_tls_free (conn->tls);
  g_free (conn->cipherbuf);
  g_clear_object (&conn->socket);
  g_main_context_unref (conn->context);
  if (conn->move_to)
    g_main_context_unref (conn->move_to);
  g_mutex_clear (&conn->ctx_lock);
  g_free (conn->inbuf);
  g_free (conn->peer);
  g_free (conn->tc_url);
  g_free (conn->flash_ver);
  g_free (conn);
}

const gchar *
rtmp_net_connection_get_peer (RtmpNetConnection * conn)
{
  return conn->peer;
}

gboolean
rtmp_net_connection_is_closed (RtmpNetConnection * conn)
{
  return g_atomic_int_get (&conn->closed_atomic);
}

gboolean
rtmp_net_connection_is_tls (RtmpNetConnection * conn)
{
  return g_atomic_int_get (&conn->is_tls);
}

gboolean
rtmp_net_connection_input_pending (RtmpNetConnection * conn)
{
  return conn->last_read_full;
}

guint64
rtmp_net_connection_get_reads_in (RtmpNetConnection * conn)
{
  return conn->reads_in;
}

guint64
rtmp_net_connection_get_id (RtmpNetConnection * conn)
{
  return conn->id;
}

const gchar *
rtmp_net_connection_get_tc_url (RtmpNetConnection * conn)
{
  return conn->tc_url;
}

const gchar *
rtmp_net_connection_get_flash_ver (RtmpNetConnection * conn)
{
  return conn->flash_ver;
}

guint64
rtmp_net_connection_get_bytes_in (RtmpNetConnection * conn)
{
  return rtmp_session_get_bytes_in (conn->session);
}

guint64
rtmp_net_connection_get_bytes_out (RtmpNetConnection * conn)
{
  return conn->bytes_sent;
}

guint64
rtmp_net_connection_get_messages_in (RtmpNetConnection * conn)
{
  return rtmp_session_get_messages_in (conn->session);
}

guint32
rtmp_net_connection_get_peer_chunk_size (RtmpNetConnection * conn)
{
  return rtmp_session_get_peer_chunk_size (conn->session);
}

static void
clear_source (GSource ** source)
{
  if (*source) {
    g_source_destroy (*source);
    g_source_unref (*source);
    *source = NULL;
  }
}

/* The one deadline of a connection: handshake (from accept), idle (from
 * the last byte received), or the linger of a refused peer. */
static void
conn_update_timer (RtmpNetConnection * conn)
{
  const RtmpLimits *limits = &conn->server->config.limits;
  gint64 deadline = -1;

  if (conn->closed || conn->timer_source == NULL)
    return;

  if (conn->refused) {
    deadline = conn->close_deadline;
  } else if (conn->paused) {
    /* we stopped reading on purpose: the peer is not idle */
    deadline = -1;
  } else if (!conn->handshake_done) {
    if (limits->handshake_timeout_ms)
      deadline = conn->accepted_time +
          (gint64) limits->handshake_timeout_ms * 1000;
  } else if (limits->idle_timeout_ms) {
    gint64 cur = g_source_get_ready_time (conn->timer_source);

    deadline = conn->last_activity + (gint64) limits->idle_timeout_ms * 1000;
    /* Every change of a ready time wakes the context up (an eventfd write
     * and one more poll round): once per read at high rates. An idle
     * deadline that only moves later is left alone: conn_timer_cb() checks
     * the real idle deadline when the earlier one fires and re-arms. */
    if (cur >= 0 && cur <= deadline)
      return;
  }
  g_source_set_ready_time (conn->timer_source, deadline);
}

static gboolean
conn_timer_dispatch (GSource * source, GSourceFunc callback,
    gpointer user_data)
{
  return callback (user_data);
}

static GSourceFuncs conn_timer_funcs = {
  NULL, NULL, conn_timer_dispatch, NULL, NULL, NULL
};

static gboolean
conn_timer_cb (gpointer user_data)
{
  RtmpNetConnection *conn = user_data;
  const RtmpLimits *limits = &conn->server->config.limits;
  gint64 now = g_get_monotonic_time ();

  g_source_set_ready_time (conn->timer_source, -1);

  if (conn->refused) {
    GST_INFO ("connection %" G_GUINT64_FORMAT " (%s): refused peer did not "
        "close, closing it", conn->id, conn->peer);
    conn_close (conn, NULL, TRUE);
  } else if (!conn->handshake_done && limits->handshake_timeout_ms &&
      now >= conn->accepted_time +
      (gint64) limits->handshake_timeout_ms * 1000) {
    conn_close (conn, g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
            "No RTMP handshake within %u ms (handshake-timeout); the peer "
            "is not an RTMP client or is too slow",
            limits->handshake_timeout_ms), TRUE);
  } else if (conn->handshake_done && !conn->paused &&
      limits->idle_timeout_ms &&
      now >= conn->last_activity + (gint64) limits->idle_timeout_ms * 1000 &&
      (g_socket_condition_check (conn->socket, G_IO_IN) & G_IO_IN)) {
    /* the peer did send: we did not read (a consumer serving the
     * connection from its own thread was busy downstream) */
    conn->last_activity = now;
    conn_update_timer (conn);
  } else if (conn->handshake_done && !conn->paused &&
      limits->idle_timeout_ms &&
      now >= conn->last_activity + (gint64) limits->idle_timeout_ms * 1000) {
    conn_close (conn, g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
            "Nothing received for %u ms (idle-timeout); dropping the peer. "
            "Raise idle-timeout if the publisher pauses on purpose",
            limits->idle_timeout_ms), TRUE);
  } else {
    conn_update_timer (conn);
  }
  return G_SOURCE_CONTINUE;
}

/* whether @conn counts toward max_pending (not publishing) */
static void
conn_set_pending (RtmpNetConnection * conn, gboolean pending)
{
  if (conn->pending == pending)
    return;
  conn->pending = pending;
  g_atomic_int_add (&conn->server->n_pending, pending ? 1 : -1);
}

static void
conn_close (RtmpNetConnection * conn, GError * error, gboolean notify)
{
  RtmpNetServer *server = conn->server;

  if (conn->closed) {
    g_clear_error (&error);
    return;
  }
  conn->closed = TRUE;

  if (error)
    GST_INFO ("connection %" G_GUINT64_FORMAT " (%s) closed: %s", conn->id,
        conn->peer, error->message);
  else
    GST_INFO ("connection %" G_GUINT64_FORMAT " (%s) closed", conn->id,
        conn->peer);

  clear_source (&conn->read_source);
  clear_source (&conn->write_source);
  clear_source (&conn->timer_source);
  g_socket_close (conn->socket, NULL);
  g_queue_clear_full (&conn->out, (GDestroyNotify) gst_buffer_unref);
  conn->out_bytes = 0;

  if (conn->worker) {
    conn->worker->connections = g_list_remove (conn->worker->connections,
        conn);
    g_atomic_int_add (&conn->worker->n_connections, -1);
    if (conn->worker->stopping)
      notify = FALSE;
  } else {
    g_mutex_lock (&server->detached_lock);
    server->detached = g_list_remove (server->detached, conn);
    g_mutex_unlock (&server->detached_lock);
    if (g_atomic_int_get (&server->stopping))
      notify = FALSE;
  }
  g_atomic_int_add (&server->n_connections, -1);
  conn_set_pending (conn, FALSE);

  if (notify && server->callbacks.closed)
    server->callbacks.closed (server, conn, error, server->user_data);
  /* only now, for the threads that wait for it (a consumer that stops):
   * no callback for this connection runs any more */
  g_atomic_int_set (&conn->closed_atomic, TRUE);

  g_clear_error (&error);
  rtmp_net_connection_unref (conn);     /* the server's reference */
}

static gboolean
conn_write_cb (GSocket * socket, GIOCondition cond, gpointer user_data)
{
  RtmpNetConnection *conn = user_data;

  rtmp_net_connection_ref (conn);
  /* the flush re-creates the watch if it still would block */
  clear_source (&conn->write_source);
  conn_flush_output (conn);
  rtmp_net_connection_unref (conn);
  return G_SOURCE_REMOVE;
}

/* Writes as much queued output as the socket takes, with one vectored
 * sendmsg() per round. */
static void
conn_write_queued (RtmpNetConnection * conn)
{
  while (!conn->closed && !g_queue_is_empty (&conn->out)) {
    RtmpNetOutput out;
    GError *err = NULL;
    gssize sent;
    guint i;

    rtmp_net_output_gather (&out, &conn->out, conn->out_offset);
    if (out.n_vecs == 0) {
      /* only empty / fully sent buffers queued */
      gst_buffer_unref (g_queue_pop_head (&conn->out));
      conn->out_offset = 0;
      continue;
    }

    sent = g_socket_send_message (conn->socket, NULL, out.vecs, out.n_vecs,
        NULL, 0, G_SOCKET_MSG_NONE, NULL, &err);

    if (sent > 0 && gst_debug_category_get_threshold (rtmp_net_debug) >=
        GST_LEVEL_MEMDUMP) {
      gsize left = sent;
      for (i = 0; i < out.n_vecs && left > 0; i++) {
        gsize n = MIN (left, out.vecs[i].size);
        GST_MEMDUMP (">>> sent", out.vecs[i].buffer, n);
        left -= n;
      }
    }
    rtmp_net_output_release (&out);

    if (sent < 0) {
      if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        g_error_free (err);
        if (!conn->write_source) {
          conn->write_source = g_socket_create_source (conn->socket,
              G_IO_OUT, NULL);
          g_source_set_callback (conn->write_source,
              G_SOURCE_FUNC (conn_write_cb), conn, NULL);
          g_source_attach (conn->write_source, conn->context);
        }
        return;
      }
      /* A failed write must never stop us from reading what the peer
       * already sent (ffmpeg half-closes after its last message: the
       * acknowledgement we owe it fails, its media must still be used). */
      GST_DEBUG ("connection %" G_GUINT64_FORMAT " (%s): write failed (%s); "
          "dropping output, still reading", conn->id, conn->peer,
          err->message);
      g_error_free (err);
      conn->write_failed = TRUE;
      g_queue_clear_full (&conn->out, (GDestroyNotify) gst_buffer_unref);
      conn->out_offset = 0;
      conn->out_bytes = 0;
      break;
    }

    conn->bytes_sent += sent;
    conn->out_bytes -= MIN ((gsize) sent, conn->out_bytes);
    {
      gsize left = sent + conn->out_offset;

      while (left > 0 && !g_queue_is_empty (&conn->out)) {
        GstBuffer *head = g_queue_peek_head (&conn->out);
        gsize size = gst_buffer_get_size (head);

        if (left >= size) {
          left -= size;
          gst_buffer_unref (g_queue_pop_head (&conn->out));
        } else {
          break;
        }
      }
      conn->out_offset = left;
    }
  }

  if (g_queue_is_empty (&conn->out) && conn->refused && !conn->closed) {
    GST_DEBUG ("connection %" G_GUINT64_FORMAT " (%s): refusal sent, "
        "closing", conn->id, conn->peer);
    conn_close (conn, NULL, TRUE);
  }
}

/* RTMPS: encrypts @buf into the TLS layer's output (FALSE: failed and
 * the connection is closed) */
static gboolean
conn_encrypt (RtmpNetConnection * conn, GstBuffer * buf)
{
  GError *err = NULL;

  if (!rtmp_net_tls_write_buffer (conn->tls, buf, &err)) {
    GST_WARNING ("connection %" G_GUINT64_FORMAT " (%s): %s, dropping "
        "the peer", conn->id, conn->peer, err->message);
    conn_close (conn, err, TRUE);
    return FALSE;
  }
  return TRUE;
}

/* RTMPS: moves what the TLS layer produced to the socket queue */
static void
conn_queue_tls_output (RtmpNetConnection * conn)
{
  GstBuffer *buf;

  while (conn->tls && (buf = rtmp_net_tls_take_output (conn->tls))) {
    if (conn->write_failed) {
      gst_buffer_unref (buf);
      continue;
    }
    conn->out_bytes += gst_buffer_get_size (buf);
    g_queue_push_tail (&conn->out, buf);
  }
}

/* Queues @buf (not taken) for sending; small ones are appended to the
 * tail block when it is one of ours and has room (the tail may be partly
 * sent already: bytes are only ever added after out_offset). */
static void
conn_queue_output (RtmpNetConnection * conn, GstBuffer * buf, gsize size)
{
  GstBuffer *tail;
  gsize used, maxsize;
  GstMapInfo map;

  conn->out_bytes += size;
  if (size > COALESCE_MAX_MESSAGE) {
    g_queue_push_tail (&conn->out, gst_buffer_ref (buf));
    return;
  }

  tail = g_queue_peek_tail (&conn->out);
  if (tail == NULL || !GST_BUFFER_FLAG_IS_SET (tail, OUT_FLAG_COALESCE)
      || (gst_buffer_get_sizes (tail, NULL, &maxsize),
          (used = gst_buffer_get_size (tail)) + size > maxsize)) {
    tail = gst_buffer_new_allocate (NULL, COALESCE_BLOCK_SIZE, NULL);
    GST_BUFFER_FLAG_SET (tail, OUT_FLAG_COALESCE);
    gst_buffer_set_size (tail, 0);
    g_queue_push_tail (&conn->out, tail);
    used = 0;
  }
  gst_buffer_set_size (tail, used + size);
  if (!gst_buffer_map (tail, &map, GST_MAP_WRITE)) {
    /* cannot happen with system memory; send it on its own instead */
    gst_buffer_set_size (tail, used);
    g_queue_push_tail (&conn->out, gst_buffer_ref (buf));
    return;
  }
  rtmp_net_output_extract (buf, map.data + used);
  gst_buffer_unmap (tail, &map);
}

static void
conn_flush_output (RtmpNetConnection * conn)
{
  GstBufferList *list;
  guint i, n;

  if (conn->closed)
    return;

  while ((list = rtmp_session_take_output (conn->session))) {
    n = gst_buffer_list_length (list);
    for (i = 0; i < n && !conn->write_failed; i++) {
      GstBuffer *buf = gst_buffer_list_get (list, i);
      gsize size = gst_buffer_get_size (buf);

      if (size == 0)
        continue;
      if (conn->tls) {
        if (!conn_encrypt (conn, buf)) {
          gst_buffer_list_unref (list);
          return;
        }
        continue;
      }
      conn_queue_output (conn, buf, size);
    }
    gst_buffer_list_unref (list);
  }
  conn_queue_tls_output (conn);

  if (conn->out_bytes > conn->server->config.max_output_bytes) {
    conn_close (conn, g_error_new (RTMP_ERROR, RTMP_ERROR_LIMIT,
            "The peer does not read what we send: %" G_GSIZE_FORMAT
            " bytes queued toward it (limit max_output_bytes %"
            G_GSIZE_FORMAT ")", conn->out_bytes,
            conn->server->config.max_output_bytes), TRUE);
    return;
  }

  if (!conn->write_source)
    conn_write_queued (conn);
  else if (conn->write_failed && conn->refused)
    conn_close (conn, NULL, TRUE);
}

static void
conn_refuse (RtmpNetConnection * conn)
{
  conn->refused = TRUE;
  conn->close_deadline = g_get_monotonic_time () + CLOSE_LINGER_US;
  /* nothing more is read from a refused peer */
  clear_source (&conn->read_source);
  conn->in_off = conn->in_len = 0;
  conn_update_timer (conn);
}

static void
conn_handle_event (RtmpNetConnection * conn, RtmpSessionEvent * ev)
{
  RtmpNetServer *server = conn->server;
  const RtmpNetServerCallbacks *cb = &server->callbacks;

  if (ev->type == RTMP_SESSION_EVENT_MEDIA)
    GST_LOG ("connection %" G_GUINT64_FORMAT ": media %s ts %u size %"
        G_GSIZE_FORMAT, conn->id, rtmp_message_type_get_name (ev->message.type),
        ev->message.timestamp, rtmp_message_get_size (&ev->message));
  else
    GST_DEBUG ("connection %" G_GUINT64_FORMAT " (%s): event %s", conn->id,
        conn->peer, rtmp_session_event_type_get_name (ev->type));

  switch (ev->type) {
    case RTMP_SESSION_EVENT_HANDSHAKE_DONE:
      conn->handshake_done = TRUE;
      conn_update_timer (conn);
      break;
    case RTMP_SESSION_EVENT_CONNECT:
      GST_INFO ("connection %" G_GUINT64_FORMAT " (%s): connect app '%s' "
          "tcUrl '%s' flashVer '%s'", conn->id, conn->peer,
          GST_STR_NULL (ev->app), GST_STR_NULL (ev->tc_url),
          GST_STR_NULL (ev->flash_ver));
      g_free (conn->tc_url);
      conn->tc_url = g_strdup (ev->tc_url);
      g_free (conn->flash_ver);
      conn->flash_ver = g_strdup (ev->flash_ver);
      if (cb->connect)
        cb->connect (server, conn, ev, server->user_data);
      break;
    case RTMP_SESSION_EVENT_PUBLISH_REQUEST:{
      gboolean accept = TRUE;
      gchar *code = NULL, *description = NULL;

      if (cb->publish_request)
        accept = cb->publish_request (server, conn, ev, &code, &description,
            server->user_data);
      if (conn->closed) {
        g_free (code);
        g_free (description);
        break;
      }
      if (accept) {
        GST_INFO ("connection %" G_GUINT64_FORMAT " (%s): publish of '%s' "
            "accepted", conn->id, conn->peer, GST_STR_NULL (ev->raw_name));
        rtmp_session_accept_publish (conn->session);
      } else {
        GST_INFO ("connection %" G_GUINT64_FORMAT " (%s): publish of '%s' "
            "refused: %s (%s)", conn->id, conn->peer,
            GST_STR_NULL (ev->raw_name), GST_STR_NULL (code),
            GST_STR_NULL (description));
        rtmp_session_reject_publish (conn->session,
            code ? code : "NetStream.Publish.Denied",
            description ? description : "Publishing refused");
        conn_refuse (conn);
      }
      g_free (code);
      g_free (description);
      break;
    }
    case RTMP_SESSION_EVENT_CONNECT_REJECTED:
      /* Adobe authentication: a challenge is part of the exchange, a
       * refusal is worth a warning (wrong password, replayed answer) */
      if (g_strcmp0 (ev->reason, "refused") == 0)
        GST_WARNING ("connection %" G_GUINT64_FORMAT " (%s): authentication "
            "failed (%s): %s", conn->id, conn->peer,
            GST_STR_NULL (ev->code), GST_STR_NULL (ev->description));
      else
        GST_INFO ("connection %" G_GUINT64_FORMAT " (%s): authentication "
            "challenge sent: %s", conn->id, conn->peer,
            GST_STR_NULL (ev->description));
      conn_refuse (conn);
      break;
    case RTMP_SESSION_EVENT_PUBLISH_STARTED:
      conn_set_pending (conn, FALSE);
      if (cb->publish_started)
        cb->publish_started (server, conn, server->user_data);
      break;
    case RTMP_SESSION_EVENT_MEDIA:
      if (cb->media && !cb->media (server, conn, &ev->message,
              server->user_data) && !conn->paused) {
        GST_LOG ("connection %" G_GUINT64_FORMAT ": consumer is full, "
            "pausing reads", conn->id);
        conn->paused = TRUE;
        clear_source (&conn->read_source);
        conn_update_timer (conn);
      }
      break;
    case RTMP_SESSION_EVENT_METADATA:
      if (cb->metadata && ev->amf)
        cb->metadata (server, conn, ev->amf, server->user_data);
      break;
    case RTMP_SESSION_EVENT_UNPUBLISHED:
      GST_INFO ("connection %" G_GUINT64_FORMAT " (%s): unpublished (%s)",
          conn->id, conn->peer, GST_STR_NULL (ev->reason));
      /* connected but no longer publishing: counts as pending again */
      conn_set_pending (conn, TRUE);
      if (cb->unpublished)
        cb->unpublished (server, conn, ev->reason, server->user_data);
      break;
    default:
      break;
  }
}

static void
conn_drain_events (RtmpNetConnection * conn)
{
  RtmpSessionEvent ev;

  memset (&ev, 0, sizeof (ev));
  while (!conn->closed && rtmp_session_next_event (conn->session, &ev)) {
    conn_handle_event (conn, &ev);
    rtmp_session_event_clear (&ev);
    memset (&ev, 0, sizeof (ev));
  }
}

/* Feeds what is left of the read buffer to the session. Stops when the
 * consumer asked for a pause (the rest stays in the buffer). */
static void
conn_process_input (RtmpNetConnection * conn)
{
  while (!conn->closed && !conn->paused && !conn->refused &&
      conn->in_off < conn->in_len) {
    gsize consumed = 0;
    GError *err = NULL;
    gboolean ok;

    ok = rtmp_session_feed (conn->session, conn->inbuf + conn->in_off,
        conn->in_len - conn->in_off, &consumed, &err);
    conn->in_off += MIN (consumed, conn->in_len - conn->in_off);

    conn_drain_events (conn);
    conn_flush_output (conn);

    if (!ok) {
      if (!err)
        err = g_error_new (RTMP_ERROR, RTMP_ERROR_PROTOCOL,
            "The session failed without saying why");
      g_prefix_error (&err, "Protocol error from the peer, dropping it: ");
      conn_close (conn, err, TRUE);
      return;
    }
    if (consumed == 0 && !rtmp_session_is_blocked (conn->session) &&
        !conn->paused && !conn->refused) {
      /* nothing consumed and nothing to wait for: never spin */
      GST_ERROR ("connection %" G_GUINT64_FORMAT ": session consumed "
          "nothing of %" G_GSIZE_FORMAT " bytes", conn->id,
          conn->in_len - conn->in_off);
      conn_close (conn, g_error_new (RTMP_ERROR, RTMP_ERROR_STATE,
              "The session stopped accepting input"), TRUE);
      return;
    }
  }
  if (conn->in_off >= conn->in_len)
    conn->in_off = conn->in_len = 0;

  /* not once closed: a consumer that waits for the close may be gone */
  if (!conn->closed && conn->server->callbacks.input_processed)
    conn->server->callbacks.input_processed (conn->server, conn,
        conn->server->user_data);

  /* the peer closed after its last bytes: now that everything it sent is
   * delivered, report the close (RTMPS: conn_pump_tls() does, once the TLS
   * layer holds nothing more) */
  if (conn->eof && !conn->closed && !conn->paused && conn->in_len == 0
      && conn->tls == NULL)
    conn_close (conn, NULL, TRUE);
}

/* RTMPS: advances the TLS handshake, then decrypts and processes records
 * while the session takes them */
static void
conn_pump_tls (RtmpNetConnection * conn)
{
  GError *err = NULL;

  if (conn->closed || conn->tls == NULL)
    return;

  if (!rtmp_net_tls_handshake (conn->tls, &err))
    goto tls_failed;
  conn_queue_tls_output (conn);

  while (rtmp_net_tls_is_established (conn->tls) && !conn->closed &&
      !conn->paused && !conn->refused && conn->in_off >= conn->in_len) {
    gsize n = 0;
    RtmpNetTlsReadResult r;

    r = rtmp_net_tls_read (conn->tls, conn->inbuf,
        conn->server->config.read_size, &n, &err);
    if (r == RTMP_NET_TLS_READ_DATA) {
      GST_MEMDUMP ("<<< decrypted", conn->inbuf, n);
      conn->in_off = 0;
      conn->in_len = n;
      conn_process_input (conn);
      continue;
    }
    if (r == RTMP_NET_TLS_READ_ERROR)
      goto tls_failed;
    if (r == RTMP_NET_TLS_READ_CLOSED || conn->eof) {
      /* close_notify, or end of the TCP stream with nothing complete
       * left: everything the peer sent is delivered */
      conn_queue_tls_output (conn);
      conn_close (conn, NULL, TRUE);
      return;
    }
    break;                      /* NEED_MORE */
  }
  if (conn->eof && !rtmp_net_tls_is_established (conn->tls)) {
    conn_close (conn, g_error_new (G_TLS_ERROR, G_TLS_ERROR_EOF,
            "The peer closed the connection during the TLS handshake"), TRUE);
    return;
  }
  if (!conn->closed) {
    conn_queue_tls_output (conn);
    if (!conn->write_source)
      conn_write_queued (conn);
  }
  return;

tls_failed:
  GST_WARNING ("connection %" G_GUINT64_FORMAT " (%s): %s; dropping the "
      "peer", conn->id, conn->peer, err->message);
  conn_close (conn, err, TRUE);
}

/* RTMPS on a port: the first byte tells (reference §13): 0x16 is a TLS
 * handshake record, RTMP's C0 is 0x03. FALSE: the peer was dropped. */
static gboolean
conn_decide_mode (RtmpNetConnection * conn, guint8 first)
{
  RtmpNetServer *server = conn->server;
  gboolean tls = (first == RTMP_NET_TLS_RECORD_HANDSHAKE);

  conn->mode_decided = TRUE;
  if (server->config.tls_mode == RTMP_NET_TLS_MODE_TLS && !tls) {
    GST_WARNING ("connection %" G_GUINT64_FORMAT " (%s): plain RTMP (first "
        "byte 0x%02x) on an RTMPS-only port (tls-mode=tls); dropping the "
        "peer: it should use rtmps://", conn->id, conn->peer, first);
    conn_close (conn, g_error_new (G_TLS_ERROR, G_TLS_ERROR_NOT_TLS,
            "The peer does not speak TLS (first byte 0x%02x) on an RTMPS "
            "port", first), TRUE);
    return FALSE;
  }
  if (server->config.tls_mode == RTMP_NET_TLS_MODE_PLAIN && tls) {
    GST_WARNING ("connection %" G_GUINT64_FORMAT " (%s): a TLS ClientHello "
        "on a plain RTMP port; dropping the peer. It uses rtmps://: set "
        "tls-mode to tls or both", conn->id, conn->peer);
    conn_close (conn, g_error_new (RTMP_ERROR, RTMP_ERROR_UNSUPPORTED,
            "The peer speaks TLS (rtmps://) on a plain RTMP port"), TRUE);
    return FALSE;
  }
  if (tls) {
    if (server->config.tls_context == NULL) {
      GST_ERROR ("TLS mode without a TLS context");
      conn_close (conn, g_error_new (RTMP_ERROR, RTMP_ERROR_STATE,
              "No TLS context"), TRUE);
      return FALSE;
    }
    GST_INFO ("connection %" G_GUINT64_FORMAT " (%s): RTMPS", conn->id,
        conn->peer);
    conn->tls = rtmp_net_tls_new_server (server->config.tls_context);
    g_atomic_int_set (&conn->is_tls, 1);
  }
  return TRUE;
}

static gboolean
conn_read_cb (GSocket * socket, GIOCondition cond, gpointer user_data)
{
  RtmpNetConnection *conn = user_data;
  GError *err = NULL;
  gssize n;

  rtmp_net_connection_ref (conn);

  n = g_socket_receive (conn->socket, (gchar *) (conn->cipherbuf ?
          conn->cipherbuf : conn->inbuf), conn->server->config.read_size,
      NULL, &err);
  if (n > 0 && !conn->mode_decided && !conn_decide_mode (conn,
          conn->inbuf[0])) {
    rtmp_net_connection_unref (conn);
    return G_SOURCE_CONTINUE;
  }
  conn->last_read_full = n == (gssize) conn->server->config.read_size;
  if (n > 0)
    conn->reads_in++;
  if (n > 0 && conn->tls) {
    if (conn->cipherbuf == NULL) {
      /* the first read went to inbuf */
      conn->cipherbuf = conn->inbuf;
      conn->inbuf = g_malloc (conn->server->config.read_size);
    }
    GST_LOG ("connection %" G_GUINT64_FORMAT ": read %" G_GSSIZE_FORMAT
        " TLS bytes", conn->id, n);
    conn->last_activity = g_get_monotonic_time ();
    rtmp_net_tls_feed (conn->tls, conn->cipherbuf, n);
    conn_pump_tls (conn);
    conn_update_timer (conn);
    conn_apply_move (conn);
    rtmp_net_connection_unref (conn);
    return G_SOURCE_CONTINUE;
  }
  if (n < 0) {
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_error_free (err);
    } else {
      g_prefix_error (&err, "Reading from the peer failed: ");
      conn_close (conn, err, TRUE);
    }
  } else if (n == 0) {
    GST_DEBUG ("connection %" G_GUINT64_FORMAT " (%s): end of stream",
        conn->id, conn->peer);
    conn->eof = TRUE;
    clear_source (&conn->read_source);
    conn_process_input (conn);
    conn_pump_tls (conn);
  } else {
    GST_LOG ("connection %" G_GUINT64_FORMAT ": read %" G_GSSIZE_FORMAT
        " bytes", conn->id, n);
    GST_MEMDUMP ("<<< received", conn->inbuf, n);
    conn->last_activity = g_get_monotonic_time ();
    conn->in_off = 0;
    conn->in_len = n;
    conn_process_input (conn);
    conn_update_timer (conn);
  }

  conn_apply_move (conn);
  rtmp_net_connection_unref (conn);
  /* the source is destroyed explicitly (clear_source) when reading stops */
  return G_SOURCE_CONTINUE;
}

static void
conn_start_reading (RtmpNetConnection * conn)
{
  if (conn->closed || conn->read_source || conn->eof || conn->refused)
    return;
  conn->read_source = g_socket_create_source (conn->socket,
      G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (conn->read_source, G_SOURCE_FUNC (conn_read_cb),
      conn, NULL);
  /* GLib blocks a non-recursive source around each dispatch by removing
   * and re-adding its fd, and each of those writes the context's eventfd:
   * two wake-up writes, one more poll() and an eventfd read per read of
   * the socket. conn_read_cb() never iterates this context, so letting
   * the source "recurse" is safe and removes all four syscalls. */
  g_source_set_can_recurse (conn->read_source, TRUE);
  g_source_attach (conn->read_source, conn->context);
}

/* ------------------------------------------------------------------ */
/* Moving a connection between threads                                 */
/* ------------------------------------------------------------------ */

static Worker *server_least_busy_worker (RtmpNetServer * server);

/* Any thread: a reference to the context serving @conn now. */
static GMainContext *
conn_get_context (RtmpNetConnection * conn)
{
  GMainContext *context;

  g_mutex_lock (&conn->ctx_lock);
  context = g_main_context_ref (conn->context);
  g_mutex_unlock (&conn->ctx_lock);
  return context;
}

/* Whether the caller is the thread serving @conn (it owns the context):
 * a request queued on the context @conn had before a move is re-posted to
 * its new one instead of being run on the wrong thread. */
static gboolean
conn_is_own_thread (RtmpNetConnection * conn)
{
  GMainContext *context = conn_get_context (conn);
  gboolean own = g_main_context_is_owner (context);

  g_main_context_unref (context);
  return own;
}

static void
conn_drop_sources (RtmpNetConnection * conn)
{
  clear_source (&conn->read_source);
  clear_source (&conn->write_source);
  clear_source (&conn->timer_source);
}

/* On the connection's new thread: watch its socket and timer there. */
static gboolean
conn_adopt_cb (gpointer user_data)
{
  RtmpNetConnection *conn = user_data;

  if (conn->closed)
    return G_SOURCE_REMOVE;
  if (conn->worker) {
    if (conn->worker->stopping) {
      conn_close (conn, NULL, FALSE);
      return G_SOURCE_REMOVE;
    }
    conn->worker->connections = g_list_prepend (conn->worker->connections,
        conn);
  }
  GST_DEBUG ("connection %" G_GUINT64_FORMAT " (%s) now served by %s",
      conn->id, conn->peer, conn->worker ? "a network thread" :
      "its consumer's thread");
  conn->timer_source = g_source_new (&conn_timer_funcs, sizeof (GSource));
  g_source_set_callback (conn->timer_source, conn_timer_cb, conn, NULL);
  g_source_attach (conn->timer_source, conn->context);
  conn_update_timer (conn);
  conn_start_reading (conn);
  if (!g_queue_is_empty (&conn->out))
    conn_flush_output (conn);
  return G_SOURCE_REMOVE;
}

/* On the connection's thread, once a dispatch is over (no code of ours
 * touches @conn on this thread after it): carry out a move asked for by a
 * callback. The connection has no source until the new thread adopts it,
 * so the two threads never serve it at the same time. */
static void
conn_apply_move (RtmpNetConnection * conn)
{
  RtmpNetServer *server = conn->server;
  GMainContext *target, *old;
  GSource *source;

  if (!conn->closed && conn->move_to && conn->worker) {
    Worker *w = conn->worker;

    target = g_steal_pointer (&conn->move_to);
    conn_drop_sources (conn);
    w->connections = g_list_remove (w->connections, conn);
    g_atomic_int_add (&w->n_connections, -1);
    conn->worker = NULL;
    g_mutex_lock (&server->detached_lock);
    server->detached = g_list_prepend (server->detached, conn);
    g_mutex_unlock (&server->detached_lock);
  } else if (!conn->closed && conn->move_back && conn->worker == NULL) {
    Worker *w = server_least_busy_worker (server);

    conn->move_back = FALSE;
    conn_drop_sources (conn);
    g_mutex_lock (&server->detached_lock);
    server->detached = g_list_remove (server->detached, conn);
    g_mutex_unlock (&server->detached_lock);
    g_atomic_int_inc (&w->n_connections);
    conn->worker = w;
    target = g_main_context_ref (w->context);
  } else {
    if (conn->move_to)
      g_main_context_unref (g_steal_pointer (&conn->move_to));
    conn->move_back = FALSE;
    return;
  }

  g_mutex_lock (&conn->ctx_lock);
  old = conn->context;
  conn->context = target;
  g_mutex_unlock (&conn->ctx_lock);
  g_main_context_unref (old);

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, conn_adopt_cb,
      rtmp_net_connection_ref (conn),
      (GDestroyNotify) rtmp_net_connection_unref);
  g_source_attach (source, target);
  g_source_unref (source);
}

void
rtmp_net_connection_move_to_context (RtmpNetConnection * conn,
    GMainContext * context)
{
  g_return_if_fail (conn != NULL);
  g_return_if_fail (context != NULL);

  if (conn->move_to)
    g_main_context_unref (conn->move_to);
  conn->move_to = g_main_context_ref (context);
  conn->move_back = FALSE;
}

void
rtmp_net_connection_move_to_server (RtmpNetConnection * conn)
{
  g_return_if_fail (conn != NULL);

  if (conn->move_to)
    g_main_context_unref (g_steal_pointer (&conn->move_to));
  conn->move_back = TRUE;
}

static gboolean
conn_resume_in_thread (gpointer user_data)
{
  RtmpNetConnection *conn = user_data;

  if (!conn_is_own_thread (conn)) {
    /* queued before the connection moved */
    rtmp_net_connection_resume (conn);
    return G_SOURCE_REMOVE;
  }
  if (conn->closed || !conn->paused)
    return G_SOURCE_REMOVE;

  GST_LOG ("connection %" G_GUINT64_FORMAT ": resuming reads", conn->id);
  conn->paused = FALSE;
  /* the reset of the idle timer: we were the reason for the silence */
  conn->last_activity = g_get_monotonic_time ();
  conn_process_input (conn);
  conn_pump_tls (conn);
  if (!conn->closed && !conn->paused) {
    conn_start_reading (conn);
    conn_update_timer (conn);
  }
  conn_apply_move (conn);
  return G_SOURCE_REMOVE;
}

void
rtmp_net_connection_resume (RtmpNetConnection * conn)
{
  GMainContext *context;

  g_return_if_fail (conn != NULL);

  context = conn_get_context (conn);
  g_main_context_invoke_full (context, G_PRIORITY_DEFAULT,
      conn_resume_in_thread, rtmp_net_connection_ref (conn),
      (GDestroyNotify) rtmp_net_connection_unref);
  g_main_context_unref (context);
}

typedef struct
{
  RtmpNetConnection *conn;
  GError *reason;
} CloseRequest;

static gboolean
conn_close_in_thread (gpointer user_data)
{
  CloseRequest *req = user_data;

  if (!conn_is_own_thread (req->conn)) {
    /* queued before the connection moved */
    rtmp_net_connection_close (req->conn, req->reason);
    return G_SOURCE_REMOVE;
  }
  if (!req->conn->closed)
    conn_close (req->conn, g_steal_pointer (&req->reason), TRUE);
  return G_SOURCE_REMOVE;
}

static void
close_request_free (gpointer user_data)
{
  CloseRequest *req = user_data;

  rtmp_net_connection_unref (req->conn);
  g_clear_error (&req->reason);
  g_free (req);
}

void
rtmp_net_connection_close (RtmpNetConnection * conn, const GError * reason)
{
  CloseRequest *req;
  GMainContext *context;

  g_return_if_fail (conn != NULL);

  req = g_new0 (CloseRequest, 1);
  req->conn = rtmp_net_connection_ref (conn);
  req->reason = reason ? g_error_copy (reason) : NULL;
  context = conn_get_context (conn);
  g_main_context_invoke_full (context, G_PRIORITY_DEFAULT,
      conn_close_in_thread, req, close_request_free);
  g_main_context_unref (context);
}

/* ------------------------------------------------------------------ */
/* Server                                                              */
/* ------------------------------------------------------------------ */

RtmpNetServer *
rtmp_net_server_new (const gchar * address, guint port,
    const RtmpNetServerConfig * config,
    const RtmpNetServerCallbacks * callbacks, gpointer user_data,
    GDestroyNotify user_data_free)
{
  RtmpNetServer *server;

  g_return_val_if_fail (port <= 65535, NULL);

  ensure_debug ();

  server = g_new0 (RtmpNetServer, 1);
  server->refcount = 1;
  server->address = g_strdup (address);
  server->port = port;
  if (config)
    server->config = *config;
  else
    rtmp_net_server_config_init (&server->config);
  if (server->config.read_size == 0)
    server->config.read_size = 64 * 1024;
  if (server->config.max_threads == 0)
    server->config.max_threads = 1;
  if (server->config.tls_context)
    rtmp_net_tls_context_ref (server->config.tls_context);
  if (server->config.auth)
    rtmp_auth_server_ref (server->config.auth);
  if (callbacks)
    server->callbacks = *callbacks;
  server->user_data = user_data;
  server->user_data_free = user_data_free;
  g_mutex_init (&server->lock);
  g_mutex_init (&server->detached_lock);
  return server;
}

RtmpNetServer *
rtmp_net_server_ref (RtmpNetServer * server)
{
  g_return_val_if_fail (server != NULL, NULL);
  g_atomic_int_inc (&server->refcount);
  return server;
}

void
rtmp_net_server_unref (RtmpNetServer * server)
{
  g_return_if_fail (server != NULL);

  if (!g_atomic_int_dec_and_test (&server->refcount))
    return;

  rtmp_net_server_stop (server);
  if (server->user_data_free)
    server->user_data_free (server->user_data);
  g_mutex_clear (&server->lock);
  g_mutex_clear (&server->detached_lock);
  rtmp_net_tls_context_unref (server->config.tls_context);
  if (server->config.auth)
    rtmp_auth_server_unref (server->config.auth);
  g_free (server->workers);
  g_free (server->bound_string);
  g_free (server->address);
  g_free (server);
}

static gchar *
format_socket_address (GSocketAddress * addr)
{
  GInetAddress *inet;
  gchar *ip, *ret;
  guint port;

  if (!G_IS_INET_SOCKET_ADDRESS (addr))
    return g_strdup ("?");
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (addr));
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr));
  ip = g_inet_address_to_string (inet);
  /* IPv4 peers on a dual-stack socket appear as ::ffff:a.b.c.d */
  if (g_str_has_prefix (ip, "::ffff:") && strchr (ip, '.'))
    ret = g_strdup_printf ("%s:%u", ip + 7, port);
  else if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    ret = g_strdup_printf ("[%s]:%u", ip, port);
  else
    ret = g_strdup_printf ("%s:%u", ip, port);
  g_free (ip);
  return ret;
}

/* undoes what the accepting thread counted for a connection that is not
 * served after all */
static void
server_uncount (RtmpNetServer * server, Worker * worker)
{
  g_atomic_int_add (&worker->n_connections, -1);
  g_atomic_int_add (&server->n_connections, -1);
  g_atomic_int_add (&server->n_pending, -1);
}

/* On @worker's thread: @socket was accepted (and counted) for it. */
static void
server_add_connection (RtmpNetServer * server, Worker * worker,
    GSocket * socket, guint64 id)
{
  RtmpNetConnection *conn;
  GSocketAddress *remote;
  GError *err = NULL;

  remote = g_socket_get_remote_address (socket, &err);
  if (remote == NULL) {
    /* the peer reset the connection while it waited in the accept queue:
     * nothing to serve and nobody to name */
    GST_DEBUG ("dropping an accepted connection that is already gone: %s",
        err->message);
    g_clear_error (&err);
    g_socket_close (socket, NULL);
    g_object_unref (socket);
    server_uncount (server, worker);
    return;
  }

  conn = g_new0 (RtmpNetConnection, 1);
  conn->refcount = 1;           /* the server's */
  conn->server = server;
  conn->worker = worker;
  conn->context = g_main_context_ref (worker->context);
  g_mutex_init (&conn->ctx_lock);
  conn->id = id;
  conn->socket = socket;
  conn->peer = format_socket_address (remote);
  g_object_unref (remote);
  g_queue_init (&conn->out);
  conn->inbuf = g_malloc (server->config.read_size);
  conn->accepted_time = conn->last_activity = g_get_monotonic_time ();
  conn->session = rtmp_session_new_server (&server->config.limits,
      &server->config.session);
  if (server->config.auth)
    rtmp_session_set_auth (conn->session, server->config.auth);
  conn->pending = TRUE;         /* counted at accept */

  g_socket_set_blocking (socket, FALSE);
  if (!g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, &err)) {
    GST_DEBUG ("TCP_NODELAY: %s", err->message);
    g_clear_error (&err);
  }

  worker->connections = g_list_prepend (worker->connections, conn);

  GST_INFO ("connection %" G_GUINT64_FORMAT " accepted from %s (network "
      "thread %u)", conn->id, conn->peer, worker->index);

  conn->timer_source = g_source_new (&conn_timer_funcs, sizeof (GSource));
  g_source_set_callback (conn->timer_source, conn_timer_cb, conn, NULL);
  g_source_attach (conn->timer_source, conn->context);
  conn_update_timer (conn);

  if (server->callbacks.accepted)
    server->callbacks.accepted (server, conn, server->user_data);
  conn_start_reading (conn);
}

/* an accepted socket on its way to another worker's thread */
typedef struct
{
  Worker *worker;
  GSocket *socket;              /* NULL once taken */
  guint64 id;
} Handover;

static gboolean
handover_cb (gpointer user_data)
{
  Handover *h = user_data;

  if (!h->worker->stopping)
    server_add_connection (h->worker->server, h->worker,
        g_steal_pointer (&h->socket), h->id);
  return G_SOURCE_REMOVE;
}

static void
handover_free (gpointer user_data)
{
  Handover *h = user_data;

  /* not served: the worker stopped first */
  if (h->socket) {
    g_socket_close (h->socket, NULL);
    g_object_unref (h->socket);
    server_uncount (h->worker->server, h->worker);
  }
  g_free (h);
}

static gpointer
worker_thread_func (gpointer user_data)
{
  Worker *w = user_data;

  g_main_context_push_thread_default (w->context);
  GST_DEBUG ("network thread %u for %s running", w->index,
      w->server->bound_string);
  g_main_loop_run (w->loop);
  GST_DEBUG ("network thread %u for %s done", w->index,
      w->server->bound_string);
  g_main_context_pop_thread_default (w->context);
  return NULL;
}

static Worker *
worker_new (RtmpNetServer * server, guint index)
{
  Worker *w = g_new0 (Worker, 1);

  w->server = server;
  w->index = index;
  w->context = g_main_context_new ();
  w->loop = g_main_loop_new (w->context, FALSE);
  return w;
}

/* after its thread was joined */
static void
worker_free (Worker * w)
{
  /* run what other threads queued meanwhile (resume/close requests hold
   * connection references; handovers hold sockets): every connection is
   * closed and w->stopping is set, so they only let go */
  while (g_main_context_iteration (w->context, FALSE));
  g_main_loop_unref (w->loop);
  g_main_context_unref (w->context);
  g_free (w);
}

/* Any thread: the running worker serving the fewest connections. */
static Worker *
server_least_busy_worker (RtmpNetServer * server)
{
  guint n = g_atomic_int_get (&server->n_workers), i;
  Worker *best = server->workers[0];

  for (i = 1; i < n; i++) {
    if (g_atomic_int_get (&server->workers[i]->n_connections) <
        g_atomic_int_get (&best->n_connections))
      best = server->workers[i];
  }
  return best;
}

/* Accepting thread: the worker for a new connection, started if needed;
 * its connection count is taken. */
static Worker *
server_pick_worker (RtmpNetServer * server)
{
  guint n = g_atomic_int_get (&server->n_workers);
  Worker *best = server_least_busy_worker (server);

  if (g_atomic_int_get (&best->n_connections) > 0 &&
      n < server->config.max_threads) {
    Worker *w = worker_new (server, n);
    gchar *name = g_strdup_printf ("rtmp-net-%u", n);

    w->thread = g_thread_new (name, worker_thread_func, w);
    g_free (name);
    server->workers[n] = w;
    g_atomic_int_set (&server->n_workers, n + 1);
    GST_INFO ("%s: network thread %u started", server->bound_string, n);
    best = w;
  }
  g_atomic_int_inc (&best->n_connections);
  return best;
}

static gboolean
server_accept_cb (GSocket * listen_socket, GIOCondition cond,
    gpointer user_data)
{
  RtmpNetServer *server = user_data;

  while (!g_atomic_int_get (&server->stopping)) {
    GError *err = NULL;
    GSocket *socket = g_socket_accept (listen_socket, NULL, &err);
    Worker *w;

    if (!socket) {
      if (!g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        GST_WARNING ("accept() failed: %s", err->message);
      g_error_free (err);
      break;
    }
    if ((guint) g_atomic_int_get (&server->n_connections) >=
        server->config.max_connections) {
      GST_WARNING ("refusing a connection: %u connections open "
          "(limit max_connections)", server->config.max_connections);
      g_socket_close (socket, NULL);
      g_object_unref (socket);
      continue;
    }
    if (server->config.max_pending && (guint) g_atomic_int_get
        (&server->n_pending) >= server->config.max_pending) {
      GST_WARNING ("refusing a connection: %u connections open that are not "
          "publishing (limit max_pending); raise max-pending-connections if "
          "that many encoders connect at once", server->config.max_pending);
      g_socket_close (socket, NULL);
      g_object_unref (socket);
      continue;
    }
    /* counted here, so the limits hold while the socket is handed over */
    g_atomic_int_inc (&server->n_connections);
    g_atomic_int_inc (&server->n_pending);
    w = server_pick_worker (server);
    if (w == server->workers[0]) {
      server_add_connection (server, w, socket, ++server->next_id);
    } else {
      Handover *h = g_new0 (Handover, 1);
      GSource *source = g_idle_source_new ();

      h->worker = w;
      h->socket = socket;
      h->id = ++server->next_id;
      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, handover_cb, h, handover_free);
      g_source_attach (source, w->context);
      g_source_unref (source);
    }
  }
  return G_SOURCE_CONTINUE;
}

static GSocket *
server_bind (RtmpNetServer * server, GInetAddress * inet, GError ** error)
{
  GSocketAddress *saddr;
  GSocket *socket;

  socket = g_socket_new (g_inet_address_get_family (inet),
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (!socket)
    return NULL;
  /* GSocket clears IPV6_V6ONLY, so "::" also takes IPv4 (dual stack) */
  saddr = g_inet_socket_address_new (inet, server->port);
  if (!g_socket_bind (socket, saddr, TRUE, error)) {
    g_object_unref (saddr);
    g_object_unref (socket);
    return NULL;
  }
  g_object_unref (saddr);
  /* Many encoders may connect at the same moment (a shared port after a
   * network outage): connections beyond a full accept queue are dropped
   * by the kernel, or reset after the client believes it is connected.
   * nginx's default; the kernel caps it at net.core.somaxconn. */
  g_socket_set_listen_backlog (socket, 511);
  if (!g_socket_listen (socket, error)) {
    g_object_unref (socket);
    return NULL;
  }
  g_socket_set_blocking (socket, FALSE);
  return socket;
}

gboolean
rtmp_net_server_start (RtmpNetServer * server, GError ** error)
{
  GInetAddress *inet = NULL;
  GSocket *socket = NULL;
  GSocketAddress *local;
  GError *err = NULL;
  const gchar *addr = server->address;
  gboolean any = (addr == NULL || *addr == '\0' || g_str_equal (addr, "*"));

  g_return_val_if_fail (server != NULL, FALSE);

  g_mutex_lock (&server->lock);
  if (g_atomic_int_get (&server->n_workers) > 0) {
    g_mutex_unlock (&server->lock);
    return TRUE;
  }

  if (any) {
    inet = g_inet_address_new_any (G_SOCKET_FAMILY_IPV6);
    socket = server_bind (server, inet, &err);
    g_object_unref (inet);
    if (!socket) {
      /* no IPv6 on this host: IPv4 only */
      GST_DEBUG ("IPv6 any failed (%s), trying IPv4", err->message);
      g_clear_error (&err);
      inet = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
      socket = server_bind (server, inet, &err);
      g_object_unref (inet);
    }
  } else {
    inet = g_inet_address_new_from_string (addr);
    if (!inet) {
      GResolver *resolver = g_resolver_get_default ();
      GList *list = g_resolver_lookup_by_name (resolver, addr, NULL, &err);

      if (list) {
        inet = g_object_ref (list->data);
        g_resolver_free_addresses (list);
      }
      g_object_unref (resolver);
    }
    if (inet) {
      socket = server_bind (server, inet, &err);
      g_object_unref (inet);
    }
  }

  if (!socket)
    goto bind_failed;

  local = g_socket_get_local_address (socket, NULL);
  server->bound_port = local ?
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)) : 0;
  g_free (server->bound_string);
  server->bound_string = local ? format_socket_address (local) :
      g_strdup ("?");
  g_clear_object (&local);

  server->listen_socket = socket;
  g_atomic_int_set (&server->stopping, FALSE);
  if (server->workers == NULL)
    server->workers = g_new0 (Worker *, server->config.max_threads);
  server->workers[0] = worker_new (server, 0);
  server->listen_source = g_socket_create_source (socket, G_IO_IN, NULL);
  g_source_set_callback (server->listen_source,
      G_SOURCE_FUNC (server_accept_cb), server, NULL);
  g_source_attach (server->listen_source, server->workers[0]->context);
  server->workers[0]->thread = g_thread_new ("rtmp-net-server",
      worker_thread_func, server->workers[0]);
  g_atomic_int_set (&server->n_workers, 1);
  GST_INFO ("listening on %s (up to %u network threads)",
      server->bound_string, server->config.max_threads);
  g_mutex_unlock (&server->lock);
  return TRUE;

  /* ERRORS */
bind_failed:
  {
    g_set_error (error, err ? err->domain : G_IO_ERROR,
        err ? err->code : G_IO_ERROR_FAILED,
        "Could not listen on %s port %u: %s. Check the address property, "
        "choose another port (port=0 picks a free one) or stop the program "
        "using this one", any ? "all addresses" : addr, server->port,
        err ? err->message : "unknown error");
    g_clear_error (&err);
    g_mutex_unlock (&server->lock);
    return FALSE;
  }
}

/* on the worker's thread: close its connections (no callback) and end
 * its loop; the first worker also stops accepting */
static gboolean
worker_stop_in_thread (gpointer user_data)
{
  Worker *w = user_data;
  RtmpNetServer *server = w->server;

  w->stopping = TRUE;
  if (w->index == 0) {
    g_atomic_int_set (&server->stopping, TRUE);
    clear_source (&server->listen_source);
    g_socket_close (server->listen_socket, NULL);
  }
  while (w->connections)
    conn_close (w->connections->data, NULL, FALSE);
  g_main_loop_quit (w->loop);
  return G_SOURCE_REMOVE;
}

static void
worker_stop_and_join (Worker * w)
{
  /* An attached source rather than g_main_context_invoke(): it runs on the
   * worker's thread even if its loop has not started running yet. */
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, worker_stop_in_thread, w, NULL);
  g_source_attach (source, w->context);
  g_source_unref (source);
  g_thread_join (w->thread);
  w->thread = NULL;
}

void
rtmp_net_server_stop (RtmpNetServer * server)
{
  guint i, n;

  g_return_if_fail (server != NULL);

  g_mutex_lock (&server->lock);
  if (g_atomic_int_get (&server->n_workers) == 0) {
    g_mutex_unlock (&server->lock);
    return;
  }
  if (rtmp_net_server_is_server_thread (server)) {
    g_mutex_unlock (&server->lock);
    g_critical ("rtmp_net_server_stop() called from a server callback");
    return;
  }

  GST_DEBUG ("stopping server on %s", server->bound_string);
  /* the accepting thread first: once it is joined no socket is handed to
   * another worker any more, and the worker count is final */
  worker_stop_and_join (server->workers[0]);
  n = g_atomic_int_get (&server->n_workers);
  for (i = 1; i < n; i++)
    worker_stop_and_join (server->workers[i]);
  g_atomic_int_set (&server->n_workers, 0);
  for (i = 0; i < n; i++)
    g_clear_pointer (&server->workers[i], worker_free);
  /* connections still served by a consumer's thread (a consumer stops
   * serving them before it leaves, so normally none) */
  for (;;) {
    RtmpNetConnection *conn;

    g_mutex_lock (&server->detached_lock);
    conn = server->detached ? server->detached->data : NULL;
    g_mutex_unlock (&server->detached_lock);
    if (conn == NULL)
      break;
    GST_WARNING ("connection %" G_GUINT64_FORMAT " (%s) still served by a "
        "consumer's thread at stop: closing it", conn->id, conn->peer);
    conn_close (conn, NULL, FALSE);
  }

  g_clear_object (&server->listen_socket);
  server->bound_port = 0;
  g_mutex_unlock (&server->lock);
  GST_DEBUG ("server stopped");
}

guint
rtmp_net_server_get_port (RtmpNetServer * server)
{
  guint port;

  g_return_val_if_fail (server != NULL, 0);

  g_mutex_lock (&server->lock);
  port = server->bound_port;
  g_mutex_unlock (&server->lock);
  return port;
}

gchar *
rtmp_net_server_get_address_string (RtmpNetServer * server)
{
  gchar *s;

  g_return_val_if_fail (server != NULL, NULL);

  g_mutex_lock (&server->lock);
  s = g_strdup (server->bound_string);
  g_mutex_unlock (&server->lock);
  return s;
}

guint
rtmp_net_server_get_n_connections (RtmpNetServer * server)
{
  g_return_val_if_fail (server != NULL, 0);
  return g_atomic_int_get (&server->n_connections);
}

guint
rtmp_net_server_get_n_pending (RtmpNetServer * server)
{
  g_return_val_if_fail (server != NULL, 0);
  return g_atomic_int_get (&server->n_pending);
}

gboolean
rtmp_net_server_is_server_thread (RtmpNetServer * server)
{
  GThread *self = g_thread_self ();
  guint i, n;

  g_return_val_if_fail (server != NULL, FALSE);

  /* not under the lock: stop() holds it while it joins the threads; the
   * worker slots stay allocated until then */
  n = g_atomic_int_get (&server->n_workers);
  for (i = 0; i < n; i++) {
    if (server->workers[i]->thread == self)
      return TRUE;
  }
  return FALSE;
}

guint
rtmp_net_server_get_n_threads (RtmpNetServer * server)
{
  g_return_val_if_fail (server != NULL, 0);
  return g_atomic_int_get (&server->n_workers);
}
