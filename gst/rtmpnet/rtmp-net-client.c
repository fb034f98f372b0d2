/* RTMP net layer: the publishing client connection driven on its own
 * thread, with a bounded queue toward it, timeouts and reconnection.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/*
 * Threading: one thread per client runs its own GMainContext, pushed as the
 * thread default (the pattern of GStreamer's rtmp2 elements), so resolution,
 * connection, reads, writes and every timer are GSources of that context and
 * the RtmpSession is touched by that thread, or by a pusher that writes
 * while that thread sleeps (see io_lock below). A plain GThread is
 * enough (no GstTask): the thread has no pause/resume, it lives from
 * rtmp_net_client_start() to rtmp_net_client_stop().
 *
 * The streaming thread talks to it through a mutex-protected queue of
 * RtmpMessages (bounded in payload bytes: rtmp_net_client_push() blocks on a
 * GCond while it is full) and wakes it with g_main_context_invoke(). When
 * the network thread is idle in its poll and nothing is queued or waiting
 * for the socket, the pusher sends the message itself instead (the
 * network thread holds io_lock except while it polls; the pusher only
 * try-locks it), which spares a wake-up of the network thread per message.
 * A message pushed with RTMP_NET_CLIENT_PUSH_FLAG_AHEAD (input faster than
 * real time) may instead stay in the queue, with nobody woken, until a
 * batch of RTMP_NET_CLIENT_BATCH_BYTES is queued and the pusher writes the
 * batch in one go; the network thread's tick writes what is left. That
 * spares the server (and us) a wake-up per message.
 * The network thread takes messages from the queue only while less than
 * OUT_HIGH_WATER bytes of chunked output wait for the socket, so memory is
 * bounded by max_queue_bytes + OUT_HIGH_WATER + one message.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "rtmp-net-client.h"
#include "rtmp-error.h"
#include "rtmp-flv.h"
#include "rtmp-net-tls.h"
#include "rtmp-net-output.h"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

GST_DEBUG_CATEGORY_STATIC (rtmp_net_client_debug);
#define GST_CAT_DEFAULT rtmp_net_client_debug

/* Most memories one vectored write takes (IOV_MAX is 1024 on Linux). */
/* Chunked output waiting for the socket above which no more messages are
 * taken from the queue. */
#define OUT_HIGH_WATER (128 * 1024)
/* A pusher waiting for room in a full queue is woken once the queue is
 * down to this fraction of max_queue_bytes (or empty): one wake-up per
 * many messages rather than one per message taken. */
#define PUSH_RESUME_FRACTION 2
/* pump() hands the socket one vectored write per this many bytes of
 * messages (or per burst, when the queue runs empty) instead of one
 * write per message */
#define FLUSH_BYTES (64 * 1024)
#define READ_SIZE (64 * 1024)
/* After our half-close, how long we read what the server still sends (its
 * answers to FCUnpublish/deleteStream) before closing. */
#define DRAIN_TIMEOUT_MS 500
/* the tick also writes what AHEAD pushes left in the queue */
#define TICK_MS RTMP_NET_CLIENT_MAX_HOLD_MS
/* Adobe authentication takes two extra connections (reference §1); a
 * server that keeps challenging is refused after this many. */
#define MAX_AUTH_RETRIES 3

enum
{
  HEADER_META,
  HEADER_VIDEO,
  HEADER_AUDIO,
  N_HEADERS
};

struct _RtmpNetClient
{
  /* immutable after new() */
  RtmpNetClientConfig config;   /* strings point to the copies below */
  gchar *host, *app, *tc_url, *stream, *flash_ver;
  gchar *tls_ca_file, *username, *password;
  gchar *host_port;             /* "host:port" / "[v6]:port" for messages */
  RtmpNetClientCallbacks callbacks;
  gpointer user_data;

  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;

  GMutex lock;
  GCond cond;
  /* held by the network thread except while it waits in poll(); a pusher
   * that gets it may run pump() (the "network thread only" state below) */
  GMutex io_lock;
  /* protected by lock */
  RtmpNetClientState state;
  GError *error;
  GQueue queue;                 /* RtmpMessage * */
  gsize queued_bytes;
  guint push_waiters;           /* pushers waiting for room in queue */
  gboolean flushing;
  gboolean stopping;
  gboolean ever_published;
  gboolean finish_requested;
  gboolean started;             /* rtmp_net_client_start() was called */
  gboolean wakeup_pending;
  /* the network thread waits for the socket to take its output and takes
   * more from the queue once it did: pushes need not wake it */
  gboolean write_blocked;
  /* messages sit in the queue that no write or wake-up is due for (AHEAD
   * pushes waiting for a batch): the tick writes them */
  gboolean holding;
  /* drop_when_congested dropped video: every video frame up to the next
   * key frame goes too, so that no frame refers to one dropped */
  gboolean skip_video;
  RtmpMessage headers[N_HEADERS];
  guint64 bytes_out, bytes_in, messages_out, acked_bytes, writes;
  guint64 reconnects, dropped_messages, dropped_bytes, bitrate;
  guint32 peer_chunk_size;
  gchar *server_address;

  /* network thread only */
  GCancellable *cancellable;
  GSocketClient *sock_client;
  guint connect_pending;        /* asynchronous connects not finished */
  GSocketConnection *connection;
  GSocket *socket;
  RtmpSession *session;
  GSource *read_source;
  GSource *write_source;
  GSource *attempt_timer;
  GSource *reconnect_timer;
  GSource *drain_timer;
  GSource *tick;
  GQueue out;                   /* GstBuffer * */
  gsize out_offset;             /* into the head buffer */
  gsize out_bytes;
  guint attempt;
  gboolean need_keyframe;
  gboolean half_closed;
  gint64 last_progress_us;
  gint64 publish_start_us;      /* of the current connection, 0 = none */
  guint64 tick_bytes;
  gint64 tick_time_us;
  guint8 *inbuf;
  /* RTMPS */
  RtmpNetTlsContext *tls_context;
  RtmpNetTls *tls;
  guint8 *plainbuf;             /* decrypted bytes */
  /* Adobe authentication: the query of the next connection */
  gchar *auth_query;
  guint auth_retries;
};

static void connect_attempt (RtmpNetClient * self);
static void connection_lost (RtmpNetClient * self, GError * err);
static void fatal (RtmpNetClient * self, GError * err);
static void flush_output (RtmpNetClient * self);
static void pump (RtmpNetClient * self);

static void
debug_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtmp_net_client_debug, "rtmpnetclient", 0,
        "RTMP publishing client: sockets and reconnection");
    g_once_init_leave (&once, 1);
  }
}

const gchar *
rtmp_net_client_state_get_name (RtmpNetClientState state)
{
  switch (state) {
    case RTMP_NET_CLIENT_STATE_IDLE:
      return "idle";
    case RTMP_NET_CLIENT_STATE_CONNECTING:
      return "connecting";
    case RTMP_NET_CLIENT_STATE_PUBLISHING:
      return "publishing";
    case RTMP_NET_CLIENT_STATE_RECONNECT_WAIT:
      return "reconnect-wait";
    case RTMP_NET_CLIENT_STATE_FINISHING:
      return "finishing";
    case RTMP_NET_CLIENT_STATE_CLOSED:
      return "closed";
    case RTMP_NET_CLIENT_STATE_ERROR:
      return "error";
  }
  return "unknown";
}

void
rtmp_net_client_config_init (RtmpNetClientConfig * config)
{
  g_return_if_fail (config != NULL);

  memset (config, 0, sizeof (*config));
  config->port = 1935;
  config->chunk_size = RTMP_SESSION_DEFAULT_CHUNK_SIZE;
  config->timeout_ms = 10000;
  config->reconnect = FALSE;
  config->max_reconnect_attempts = -1;
  config->reconnect_delay_ms = 1000;
  config->max_reconnect_delay_ms = 30000;
  /* ~2 s of a 8 Mbit/s stream */
  config->max_queue_bytes = 2 * 1024 * 1024;
  config->drop_when_congested = FALSE;
  config->tls_validation = TRUE;
}

RtmpNetClient *
rtmp_net_client_new (const RtmpNetClientConfig * config,
    const RtmpNetClientCallbacks * callbacks, gpointer user_data)
{
  RtmpNetClient *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->host != NULL && config->app != NULL
      && config->tc_url != NULL && config->stream != NULL, NULL);

  debug_init ();

  self = g_new0 (RtmpNetClient, 1);
  self->config = *config;
  self->host = g_strdup (config->host);
  self->app = g_strdup (config->app);
  self->tc_url = g_strdup (config->tc_url);
  self->stream = g_strdup (config->stream);
  self->flash_ver = g_strdup (config->flash_ver);
  self->tls_ca_file = g_strdup (config->tls_ca_file);
  self->username = g_strdup (config->username);
  self->password = g_strdup (config->password);
  self->config.tls_ca_file = self->tls_ca_file;
  self->config.username = self->username;
  self->config.password = self->password;
  self->host_port = g_strdup_printf (strchr (config->host, ':') ?
      "[%s]:%u" : "%s:%u", config->host, config->port);
  self->config.host = self->host;
  self->config.app = self->app;
  self->config.tc_url = self->tc_url;
  self->config.stream = self->stream;
  self->config.flash_ver = self->flash_ver;
  if (self->config.timeout_ms == 0)
    self->config.timeout_ms = G_MAXUINT;
  if (callbacks)
    self->callbacks = *callbacks;
  self->user_data = user_data;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_mutex_init (&self->io_lock);
  g_queue_init (&self->queue);
  g_queue_init (&self->out);
  self->state = RTMP_NET_CLIENT_STATE_IDLE;
  self->server_address = g_strdup ("");
  return self;
}

static void
message_free (RtmpMessage * msg)
{
  rtmp_message_clear (msg);
  g_free (msg);
}

void
rtmp_net_client_free (RtmpNetClient * self)
{
  guint i;

  if (self == NULL)
    return;
  rtmp_net_client_stop (self);
  g_queue_clear_full (&self->queue, (GDestroyNotify) message_free);
  for (i = 0; i < N_HEADERS; i++)
    rtmp_message_clear (&self->headers[i]);
  g_clear_error (&self->error);
  g_free (self->server_address);
  g_free (self->host);
  g_free (self->host_port);
  g_free (self->app);
  g_free (self->tc_url);
  g_free (self->stream);
  g_free (self->flash_ver);
  g_free (self->tls_ca_file);
  g_free (self->username);
  if (self->password)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  g_free (self->auth_query);
  rtmp_net_tls_context_unref (self->tls_context);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->io_lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

/* ------------------------------------------------------------------------ */
/* Helpers (network thread)                                                 */
/* ------------------------------------------------------------------------ */

static void
destroy_source (GSource ** source)
{
  if (*source) {
    g_source_destroy (*source);
    g_source_unref (*source);
    *source = NULL;
  }
}

static GSource *
add_timeout (RtmpNetClient * self, guint ms, GSourceFunc func)
{
  GSource *s = g_timeout_source_new (ms);

  g_source_set_callback (s, func, self, NULL);
  g_source_attach (s, self->context);
  return s;
}

/* every state change except ERROR goes through here (ERROR: fatal()) */
static void
set_state (RtmpNetClient * self, RtmpNetClientState state, const GError * error)
{
  g_mutex_lock (&self->lock);
  if (self->state == state) {
    g_mutex_unlock (&self->lock);
    return;
  }
  GST_INFO ("state %s -> %s", rtmp_net_client_state_get_name (self->state),
      rtmp_net_client_state_get_name (state));
  self->state = state;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  if (self->callbacks.state_changed)
    self->callbacks.state_changed (self, state, self->attempt, error,
        self->user_data);
}

static RtmpNetClientState
read_state (RtmpNetClient * self)
{
  RtmpNetClientState s;

  g_mutex_lock (&self->lock);
  s = self->state;
  g_mutex_unlock (&self->lock);
  return s;
}

/* counts a message dropped (lock held) */
static void
count_drop_locked (RtmpNetClient * self, gsize size)
{
  self->dropped_messages++;
  self->dropped_bytes += size;
}

/* drops every queued message, counting it (lock held) */
static void
drop_queue_locked (RtmpNetClient * self)
{
  RtmpMessage *msg;

  while ((msg = g_queue_pop_head (&self->queue))) {
    count_drop_locked (self, rtmp_message_get_size (msg));
    message_free (msg);
  }
  self->queued_bytes = 0;
  self->holding = FALSE;
  g_cond_broadcast (&self->cond);
}

static void
set_write_blocked (RtmpNetClient * self, gboolean blocked)
{
  g_mutex_lock (&self->lock);
  self->write_blocked = blocked;
  g_mutex_unlock (&self->lock);
}

static void
teardown_connection (RtmpNetClient * self)
{
  destroy_source (&self->read_source);
  destroy_source (&self->write_source);
  set_write_blocked (self, FALSE);
  destroy_source (&self->attempt_timer);
  destroy_source (&self->drain_timer);
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  if (self->socket)
    g_socket_close (self->socket, NULL);
  self->socket = NULL;
  g_clear_object (&self->connection);
  g_clear_pointer (&self->session, rtmp_session_free);
  g_clear_pointer (&self->tls, rtmp_net_tls_free);
  g_queue_clear_full (&self->out, (GDestroyNotify) gst_buffer_unref);
  self->out_offset = 0;
  self->out_bytes = 0;
  self->half_closed = FALSE;
  self->publish_start_us = 0;
}

static const gchar *
stage_name (RtmpNetClient * self)
{
  if (self->tls && !rtmp_net_tls_is_established (self->tls))
    return "the TLS handshake";
  if (self->session == NULL)
    return "the TCP connection";
  switch (rtmp_session_get_state (self->session)) {
    case RTMP_SESSION_STATE_NEW:
    case RTMP_SESSION_STATE_HANDSHAKE:
      return "the RTMP handshake";
    case RTMP_SESSION_STATE_CONNECTING:
      return "the connect command";
    case RTMP_SESSION_STATE_CONNECTED:
      return "the createStream command";
    case RTMP_SESSION_STATE_PUBLISH_REQUESTED:
      return "the publish command";
    default:
      return "the stream";
  }
}

/* nginx-rtmp closes without _error on an unknown application (reference
 * §1) and on `deny publish`: a close (or a reset, or EPIPE on our next
 * write) before NetStream.Publish.Start is the server's refusal. Takes
 * @cause (may be NULL). */
static GError *
closed_during_setup (RtmpNetClient * self, GError * cause)
{
  gboolean published;
  GError *err;

  g_mutex_lock (&self->lock);
  published = self->ever_published;
  g_mutex_unlock (&self->lock);
  /* when reconnecting, the same close is more likely a server (or a load
   * balancer in front of it) still starting: retried */
  err = g_error_new (published ? G_IO_ERROR : RTMP_ERROR,
      published ? G_IO_ERROR_CONNECTION_CLOSED : RTMP_ERROR_REJECTED,
      "The server %s closed the connection during %s without an answer "
      "(application '%s')%s%s", self->server_address, stage_name (self),
      self->app, cause ? ": " : "", cause ? cause->message : "");

  g_clear_error (&cause);
  return err;
}

/* a read/write error on an established connection; takes @cause */
static GError *
io_failed (RtmpNetClient * self, GError * cause, const gchar * what)
{
  GError *err;
  const gchar *hint = "";

  if (read_state (self) == RTMP_NET_CLIENT_STATE_CONNECTING && self->session)
    return closed_during_setup (self, cause);
  /* nginx-rtmp with `deny publish` answers NetStream.Publish.Start and
   * then closes: a loss right after the start is most likely a refusal */
  if (self->publish_start_us
      && g_get_monotonic_time () - self->publish_start_us < 2 * G_USEC_PER_SEC)
    hint = " right after the publish started (the server may refuse this "
        "stream: check its publish permissions)";
  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE)
      || g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
    err = g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
        "The server %s closed the connection%s (%s)", self->server_address,
        hint, cause->message);
  else
    err = g_error_new (cause->domain, cause->code, "%s %s failed%s: %s",
        what, self->server_address, hint, cause->message);
  g_error_free (cause);
  return err;
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                  */
/* ------------------------------------------------------------------------ */

static gboolean on_writable (GSocket * socket, GIOCondition cond,
    gpointer user_data);

static void
finish_done (RtmpNetClient * self)
{
  GST_DEBUG ("finished: everything written, connection closed");
  teardown_connection (self);
  set_state (self, RTMP_NET_CLIENT_STATE_CLOSED, NULL);
}

static gboolean
on_drain_timeout (gpointer user_data)
{
  RtmpNetClient *self = user_data;

  GST_DEBUG ("drain timeout: closing");
  g_clear_pointer (&self->drain_timer, g_source_unref);
  finish_done (self);
  return G_SOURCE_REMOVE;
}

static void
half_close (RtmpNetClient * self)
{
  GError *err = NULL;

  /* everything is on the wire: FIN, then read what the server still says
   * (nginx answers FCUnpublish with onFCUnpublish and closes) */
  if (!g_socket_shutdown (self->socket, FALSE, TRUE, &err)) {
    GST_DEBUG ("shutdown: %s", err->message);
    g_clear_error (&err);
    finish_done (self);
    return;
  }
  self->half_closed = TRUE;
  self->drain_timer = add_timeout (self, DRAIN_TIMEOUT_MS, on_drain_timeout);
}

/* writes as much of the pending output as the socket takes, with one
 * vectored write per call; FALSE if the connection was lost */
static gboolean
write_pending (RtmpNetClient * self)
{
  while (self->out_bytes > 0) {
    RtmpNetOutput out;
    gssize sent;
    GError *err = NULL;

    rtmp_net_output_gather (&out, &self->out, self->out_offset);
    sent = g_socket_send_message (self->socket, NULL, out.vecs, out.n_vecs,
        NULL, 0, 0, NULL, &err);
    rtmp_net_output_release (&out);

    if (sent < 0) {
      if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        g_clear_error (&err);
        if (self->write_source == NULL) {
          self->write_source = g_socket_create_source (self->socket,
              G_IO_OUT | G_IO_ERR | G_IO_HUP, NULL);
          g_source_set_callback (self->write_source,
              (GSourceFunc) (GCallback) on_writable, self, NULL);
          g_source_attach (self->write_source, self->context);
          set_write_blocked (self, TRUE);
        }
        return TRUE;
      }
      connection_lost (self, io_failed (self, err, "Writing to"));
      return FALSE;
    }

    GST_LOG (">>> wrote %" G_GSSIZE_FORMAT " bytes in %u vectors", sent,
        out.n_vecs);
    self->last_progress_us = g_get_monotonic_time ();
    g_mutex_lock (&self->lock);
    self->bytes_out += sent;
    self->writes++;
    g_mutex_unlock (&self->lock);
    self->out_bytes -= sent;
    self->out_offset += sent;
    while (!g_queue_is_empty (&self->out)) {
      GstBuffer *head = g_queue_peek_head (&self->out);
      gsize size = gst_buffer_get_size (head);

      if (self->out_offset < size)
        break;
      self->out_offset -= size;
      gst_buffer_unref (g_queue_pop_head (&self->out));
    }
  }

  if (self->write_source) {
    destroy_source (&self->write_source);
    set_write_blocked (self, FALSE);
  }
  if (read_state (self) == RTMP_NET_CLIENT_STATE_FINISHING
      && !self->half_closed)
    half_close (self);
  return TRUE;
}

/* RTMPS: encrypts @buf; FALSE (and the connection is lost) on failure */
static gboolean
encrypt_buffer (RtmpNetClient * self, GstBuffer * buf)
{
  GError *err = NULL;

  if (!rtmp_net_tls_write_buffer (self->tls, buf, &err)) {
    connection_lost (self, err);
    return FALSE;
  }
  return TRUE;
}

static void
queue_tls_output (RtmpNetClient * self)
{
  GstBuffer *buf;

  while (self->tls && (buf = rtmp_net_tls_take_output (self->tls))) {
    self->out_bytes += gst_buffer_get_size (buf);
    g_queue_push_tail (&self->out, buf);
  }
}

static void
flush_output (RtmpNetClient * self)
{
  GstBufferList *list;
  guint i, n;

  if (self->socket == NULL)
    return;
  list = self->session ? rtmp_session_take_output (self->session) : NULL;
  if (list) {
    n = gst_buffer_list_length (list);
    for (i = 0; i < n; i++) {
      GstBuffer *buf = gst_buffer_list_get (list, i);

      if (self->tls) {
        if (!encrypt_buffer (self, buf)) {
          gst_buffer_list_unref (list);
          return;
        }
        continue;
      }
      self->out_bytes += gst_buffer_get_size (buf);
      g_queue_push_tail (&self->out, gst_buffer_ref (buf));
    }
    gst_buffer_list_unref (list);
  }
  queue_tls_output (self);
  if (self->write_source == NULL)
    write_pending (self);
}

static gboolean
on_writable (GSocket * socket, GIOCondition cond, gpointer user_data)
{
  RtmpNetClient *self = user_data;

  if (!write_pending (self))
    return G_SOURCE_REMOVE;     /* connection_lost() destroyed the source */
  if (self->write_source == NULL) {
    /* room again: take more from the queue */
    pump (self);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------------ */
/* Queue -> session                                                         */
/* ------------------------------------------------------------------------ */

static gboolean
send_one (RtmpNetClient * self, const RtmpMessage * msg)
{
  GError *err = NULL;

  if (!rtmp_session_send_media (self->session, msg, &err)) {
    /* our own invariant (the session is publishing) or a message the
     * session cannot carry (> 16 MiB): drop it, count it */
    GST_WARNING ("cannot send %s message: %s",
        rtmp_message_type_get_name (msg->type), err->message);
    g_clear_error (&err);
    g_mutex_lock (&self->lock);
    count_drop_locked (self, rtmp_message_get_size (msg));
    g_mutex_unlock (&self->lock);
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  self->messages_out++;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* after a reconnection: metadata and sequence headers, stamped with the
 * time of the frame that resumes the stream */
static void
send_headers (RtmpNetClient * self, guint32 timestamp)
{
  RtmpMessage copies[N_HEADERS];
  guint i;

  g_mutex_lock (&self->lock);
  for (i = 0; i < N_HEADERS; i++) {
    copies[i] = self->headers[i];
    if (copies[i].payload)
      gst_buffer_ref (copies[i].payload);
  }
  g_mutex_unlock (&self->lock);

  for (i = 0; i < N_HEADERS; i++) {
    if (copies[i].payload == NULL)
      continue;
    copies[i].timestamp = timestamp;
    GST_DEBUG ("re-sending %s header", rtmp_message_type_get_name
        (copies[i].type));
    send_one (self, &copies[i]);
    rtmp_message_clear (&copies[i]);
  }
}

static gboolean
is_video_keyframe (const RtmpMessage * msg)
{
  return msg->type == RTMP_MESSAGE_VIDEO && rtmp_flv_is_keyframe (msg->payload)
      && !rtmp_flv_is_sequence_header (msg->type, msg->payload);
}

static void
pump (RtmpNetClient * self)
{
  gboolean unpublish = FALSE;
  gsize unflushed = 0;

  if (self->session == NULL)
    return;

  g_mutex_lock (&self->lock);
  while (self->state == RTMP_NET_CLIENT_STATE_PUBLISHING
      && self->out_bytes < OUT_HIGH_WATER && !g_queue_is_empty (&self->queue)) {
    RtmpMessage *msg = g_queue_pop_head (&self->queue);
    gboolean have_video_header;
    gsize size = rtmp_message_get_size (msg);

    self->queued_bytes -= size;
    /* a broadcast is a futex syscall even with nobody waiting */
    if (self->push_waiters > 0 && self->queued_bytes <=
        self->config.max_queue_bytes / PUSH_RESUME_FRACTION)
      g_cond_broadcast (&self->cond);
    have_video_header = self->headers[HEADER_VIDEO].payload != NULL;
    g_mutex_unlock (&self->lock);

    if (self->need_keyframe) {
      /* resume at a video key frame; an audio-only stream at once */
      if (is_video_keyframe (msg) || (msg->type == RTMP_MESSAGE_AUDIO
              && !have_video_header)) {
        GST_INFO ("resuming the stream at %u ms", msg->timestamp);
        self->need_keyframe = FALSE;
        send_headers (self, msg->timestamp);
        send_one (self, msg);
      } else {
        GST_LOG ("waiting for a key frame: dropping a %s message",
            rtmp_message_type_get_name (msg->type));
        g_mutex_lock (&self->lock);
        count_drop_locked (self, rtmp_message_get_size (msg));
        g_mutex_unlock (&self->lock);
      }
    } else {
      send_one (self, msg);
    }
    message_free (msg);
    unflushed += size;
    g_mutex_lock (&self->lock);
    if (unflushed >= FLUSH_BYTES || g_queue_is_empty (&self->queue)) {
      g_mutex_unlock (&self->lock);
      flush_output (self);
      unflushed = 0;
      if (self->session == NULL)
        return;                 /* lost while writing */
      g_mutex_lock (&self->lock);
    }
  }
  if (unflushed > 0) {
    g_mutex_unlock (&self->lock);
    flush_output (self);
    if (self->session == NULL)
      return;                   /* lost while writing */
    g_mutex_lock (&self->lock);
  }
  /* what is left waits for the socket (on_writable() pumps) */
  if (g_queue_is_empty (&self->queue) || self->write_blocked)
    self->holding = FALSE;
  if (self->state == RTMP_NET_CLIENT_STATE_PUBLISHING
      && self->finish_requested && g_queue_is_empty (&self->queue))
    unpublish = TRUE;
  g_mutex_unlock (&self->lock);

  if (unpublish) {
    GST_DEBUG ("queue drained: FCUnpublish + deleteStream");
    rtmp_session_client_unpublish (self->session);
    set_state (self, RTMP_NET_CLIENT_STATE_FINISHING, NULL);
    flush_output (self);
  }
}

/* ------------------------------------------------------------------------ */
/* Reading and session events                                               */
/* ------------------------------------------------------------------------ */

/* FALSE if the connection is gone */
static gboolean
handle_events (RtmpNetClient * self)
{
  RtmpSessionEvent ev;

  while (self->session && rtmp_session_next_event (self->session, &ev)) {
    switch (ev.type) {
      case RTMP_SESSION_EVENT_CONNECTED:
        GST_INFO ("connected to application '%s'", self->app);
        break;
      case RTMP_SESSION_EVENT_AUTH_RETRY:
        /* reference §1: the next connection carries the query */
        if (++self->auth_retries > MAX_AUTH_RETRIES) {
          GError *err = g_error_new (RTMP_ERROR, RTMP_ERROR_AUTH,
              "Authentication at %s failed: the server keeps challenging "
              "(%s)", self->server_address, GST_STR_NULL (ev.description));

          rtmp_session_event_clear (&ev);
          fatal (self, err);
          return FALSE;
        }
        GST_INFO ("authentication: reconnecting to %s with %s",
            self->host_port, strstr (ev.query, "response=") ?
            "our response" : "the user name");
        g_free (self->auth_query);
        self->auth_query = g_steal_pointer (&ev.query);
        rtmp_session_event_clear (&ev);
        teardown_connection (self);
        destroy_source (&self->attempt_timer);
        connect_attempt (self);
        return FALSE;
      case RTMP_SESSION_EVENT_PUBLISH_STARTED:{
        gboolean again;

        GST_INFO ("publishing '%s' on stream %u", self->stream, ev.stream_id);
        destroy_source (&self->attempt_timer);
        /* a later reconnection starts the authentication afresh (the
         * server's challenge is single-use) */
        g_clear_pointer (&self->auth_query, g_free);
        self->auth_retries = 0;
        self->attempt = 0;
        g_mutex_lock (&self->lock);
        again = self->ever_published;
        if (again)
          self->reconnects++;
        self->ever_published = TRUE;
        g_mutex_unlock (&self->lock);
        self->need_keyframe = again;
        self->publish_start_us = g_get_monotonic_time ();
        set_state (self, RTMP_NET_CLIENT_STATE_PUBLISHING, NULL);
        break;
      }
      case RTMP_SESSION_EVENT_REJECTED:
      case RTMP_SESSION_EVENT_ERROR:{
        gboolean published, retry;
        GError *err;

        g_mutex_lock (&self->lock);
        published = self->ever_published;
        g_mutex_unlock (&self->lock);
        /* after a network cut the server may still hold our previous
         * publish until it times out: BadName then is worth retrying */
        retry = published
            && g_strcmp0 (ev.code, "NetStream.Publish.BadName") == 0;
        if (ev.reason) {
          /* Adobe authentication refused (rtmp-auth.h): say so first */
          err = g_error_new (RTMP_ERROR, RTMP_ERROR_AUTH,
              "Authentication at %s failed: %s (%s: %s)",
              self->server_address, ev.reason, ev.code ? ev.code :
              "no code", ev.description ? ev.description : "no description");
          rtmp_session_event_clear (&ev);
          fatal (self, err);
          return FALSE;
        }
        err = g_error_new (retry ? G_IO_ERROR : RTMP_ERROR,
            retry ? G_IO_ERROR_EXISTS : RTMP_ERROR_REJECTED,
            "The server %s refused %s: %s (%s)", self->server_address,
            GST_STR_NULL (ev.command), ev.code ? ev.code : "no code",
            ev.description ? ev.description : "no description");
        rtmp_session_event_clear (&ev);
        if (retry)
          connection_lost (self, err);
        else
          fatal (self, err);
        return FALSE;
      }
      case RTMP_SESSION_EVENT_STATUS:
        GST_INFO ("onStatus %s: %s (%s)", GST_STR_NULL (ev.level),
            GST_STR_NULL (ev.code), GST_STR_NULL (ev.description));
        break;
      case RTMP_SESSION_EVENT_CLOSE_REQUESTED:
        if (read_state (self) != RTMP_NET_CLIENT_STATE_FINISHING) {
          GError *err = g_error_new (G_IO_ERROR,
              G_IO_ERROR_CONNECTION_CLOSED,
              "The server %s ended the stream (%s)", self->server_address,
              GST_STR_NULL (ev.command));

          rtmp_session_event_clear (&ev);
          connection_lost (self, err);
          return FALSE;
        }
        break;
      case RTMP_SESSION_EVENT_ACK_RECEIVED:
        g_mutex_lock (&self->lock);
        self->acked_bytes = ev.value;
        g_mutex_unlock (&self->lock);
        break;
      case RTMP_SESSION_EVENT_PEER_CHUNK_SIZE:
        g_mutex_lock (&self->lock);
        self->peer_chunk_size = ev.value;
        g_mutex_unlock (&self->lock);
        break;
      default:
        GST_LOG ("session event %s", rtmp_session_event_type_get_name
            (ev.type));
        break;
    }
    rtmp_session_event_clear (&ev);
  }
  return self->session != NULL;
}

/* FALSE if the connection is gone */
static gboolean
feed_session (RtmpNetClient * self, const guint8 * data, gsize n)
{
  gsize off = 0;
  GError *err = NULL;

  while (off < n) {
    gsize consumed = 0;

    if (!rtmp_session_feed (self->session, data + off, n - off, &consumed,
            &err)) {
      g_prefix_error (&err, "Protocol error from %s: ", self->server_address);
      connection_lost (self, err);
      return FALSE;
    }
    off += consumed;
    if (!handle_events (self))
      return FALSE;
    flush_output (self);
    if (self->session == NULL)
      return FALSE;
    if (consumed == 0)
      break;                    /* client sessions never block */
  }
  pump (self);
  return self->session != NULL;
}

static void start_session (RtmpNetClient * self);

/* RTMPS: advances the TLS handshake (then starts the RTMP session) and
 * feeds decrypted bytes to the session; FALSE if the connection is gone */
static gboolean
pump_tls (RtmpNetClient * self)
{
  GError *err = NULL;

  if (!rtmp_net_tls_is_established (self->tls)) {
    if (!rtmp_net_tls_handshake (self->tls, &err)) {
      /* a refused certificate is not worth retrying: the configuration
       * must change */
      if (g_error_matches (err, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE)) {
        GError *e = g_error_new (G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
            "%s. Set tls-ca-file to the CA certificate that signed it, or "
            "tls-validation=false to skip the check (insecure)",
            err->message);

        g_error_free (err);
        fatal (self, e);
        return FALSE;
      }
      g_prefix_error (&err, "RTMPS connection to %s: ", self->host_port);
      connection_lost (self, err);
      return FALSE;
    }
    flush_output (self);
    if (self->socket == NULL)
      return FALSE;
    if (!rtmp_net_tls_is_established (self->tls))
      return TRUE;
    start_session (self);
    if (self->session == NULL)
      return FALSE;
  }

  for (;;) {
    gsize n = 0;
    RtmpNetTlsReadResult r;

    r = rtmp_net_tls_read (self->tls, self->plainbuf, READ_SIZE, &n, &err);
    if (r == RTMP_NET_TLS_READ_DATA) {
      GST_MEMDUMP ("<<< decrypted", self->plainbuf, n);
      if (!feed_session (self, self->plainbuf, n))
        return FALSE;
      continue;
    }
    if (r == RTMP_NET_TLS_READ_ERROR) {
      g_prefix_error (&err, "RTMPS connection to %s: ", self->host_port);
      connection_lost (self, err);
      return FALSE;
    }
    if (r == RTMP_NET_TLS_READ_CLOSED) {
      connection_lost (self, read_state (self) ==
          RTMP_NET_CLIENT_STATE_CONNECTING ? closed_during_setup (self,
              NULL) : io_failed (self, g_error_new_literal (G_IO_ERROR,
                  G_IO_ERROR_CONNECTION_CLOSED, "TLS close_notify"),
              "Reading from"));
      return FALSE;
    }
    break;
  }
  flush_output (self);
  return self->session != NULL;
}

static gboolean
on_readable (GSocket * socket, GIOCondition cond, gpointer user_data)
{
  RtmpNetClient *self = user_data;

  for (;;) {
    GError *err = NULL;
    gssize n;

    n = g_socket_receive_with_blocking (self->socket, (gchar *) self->inbuf,
        READ_SIZE, FALSE, NULL, &err);
    if (n < 0) {
      if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        g_clear_error (&err);
        return G_SOURCE_CONTINUE;
      }
      /* after our FIN a clean close is EOF (n == 0); a reset means the
       * server dropped the connection with our data unread (nginx-rtmp
       * `deny publish` closes right after Publish.Start): not a success */
      if (self->half_closed
          && !g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED)
          && !g_error_matches (err, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE)) {
        g_clear_error (&err);
        finish_done (self);
        return G_SOURCE_REMOVE;
      }
      connection_lost (self, io_failed (self, err, "Reading from"));
      return G_SOURCE_REMOVE;
    }
    if (n == 0) {
      RtmpNetClientState st = read_state (self);

      if (self->half_closed) {
        finish_done (self);
        return G_SOURCE_REMOVE;
      }
      if (st == RTMP_NET_CLIENT_STATE_CONNECTING) {
        err = closed_during_setup (self, NULL);
      } else {
        err = io_failed (self, g_error_new_literal (G_IO_ERROR,
                G_IO_ERROR_CONNECTION_CLOSED, "end of stream"), "Reading from");
      }
      connection_lost (self, err);
      return G_SOURCE_REMOVE;
    }

    g_mutex_lock (&self->lock);
    self->bytes_in += n;
    g_mutex_unlock (&self->lock);
    GST_LOG ("<<< read %" G_GSSIZE_FORMAT " bytes", n);
    if (self->half_closed)
      continue;                 /* draining: the answers do not matter */

    if (self->tls) {
      rtmp_net_tls_feed (self->tls, self->inbuf, n);
      if (!pump_tls (self))
        return G_SOURCE_REMOVE;
      continue;
    }
    if (!feed_session (self, self->inbuf, n))
      return G_SOURCE_REMOVE;
  }
}

/* ------------------------------------------------------------------------ */
/* Connecting, losing, reconnecting                                         */
/* ------------------------------------------------------------------------ */

static gboolean
on_attempt_timeout (gpointer user_data)
{
  RtmpNetClient *self = user_data;
  GError *err;

  g_clear_pointer (&self->attempt_timer, g_source_unref);
  err = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
      "No answer from %s to %s within %u ms; check that an RTMP server "
      "listens there, or raise the timeout", self->host_port,
      stage_name (self), self->config.timeout_ms);
  connection_lost (self, err);
  return G_SOURCE_REMOVE;
}

static void
on_connected (GObject * source, GAsyncResult * res, gpointer user_data)
{
  RtmpNetClient *self = user_data;
  GSocketConnection *conn;
  GError *err = NULL;
  GSocketAddress *addr;

  self->connect_pending--;
  conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), res, &err);
  if (conn == NULL) {
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      /* the attempt timer or stop() did it and reported it */
      g_clear_error (&err);
      return;
    }
    g_prefix_error (&err, "Could not connect to %s: ", self->host_port);
    connection_lost (self, err);
    return;
  }
  if (g_cancellable_is_cancelled (self->cancellable)) {
    g_object_unref (conn);
    return;
  }

  self->connection = conn;
  self->socket = g_socket_connection_get_socket (conn);
  g_socket_set_blocking (self->socket, FALSE);
  /* small control messages and chunk headers must not wait for Nagle */
  if (!g_socket_set_option (self->socket, IPPROTO_TCP, TCP_NODELAY, 1, &err)) {
    GST_DEBUG ("TCP_NODELAY: %s", err->message);
    g_clear_error (&err);
  }
  addr = g_socket_get_remote_address (self->socket, NULL);
  g_mutex_lock (&self->lock);
  g_free (self->server_address);
  if (G_IS_INET_SOCKET_ADDRESS (addr)) {
    GInetSocketAddress *ia = G_INET_SOCKET_ADDRESS (addr);
    gchar *ip = g_inet_address_to_string (g_inet_socket_address_get_address
        (ia));

    self->server_address = g_strdup_printf (strchr (ip, ':') ? "[%s]:%u" :
        "%s:%u", ip, g_inet_socket_address_get_port (ia));
    g_free (ip);
  } else {
    self->server_address = g_strdup (self->host_port);
  }
  g_mutex_unlock (&self->lock);
  g_clear_object (&addr);
  GST_INFO ("TCP connection to %s established", self->server_address);

  self->read_source = g_socket_create_source (self->socket,
      G_IO_IN | G_IO_ERR | G_IO_HUP, NULL);
  g_source_set_callback (self->read_source,
      (GSourceFunc) (GCallback) on_readable, self, NULL);
  g_source_attach (self->read_source, self->context);
  self->last_progress_us = g_get_monotonic_time ();

  if (self->config.tls) {
    /* reference §13: TLS first, the RTMP handshake inside it */
    self->tls = rtmp_net_tls_new_client (self->tls_context, self->host);
    pump_tls (self);
    return;
  }
  start_session (self);
}

/* the RTMP session of this connection: handshake and connect */
static void
start_session (RtmpNetClient * self)
{
  RtmpClientConfig cfg;

  rtmp_client_config_init (&cfg);
  cfg.app = self->app;
  cfg.tc_url = self->tc_url;
  cfg.stream = self->stream;
  cfg.flash_ver = self->flash_ver;
  cfg.chunk_size = self->config.chunk_size;
  cfg.username = self->username;
  cfg.password = self->password;
  cfg.auth_query = self->auth_query;
  self->session = rtmp_session_new_client (NULL, &cfg);
  rtmp_session_client_start (self->session);
  flush_output (self);
}

static void
connect_attempt (RtmpNetClient * self)
{
  GSocketConnectable *addr;

  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->half_closed = FALSE;
  set_state (self, RTMP_NET_CLIENT_STATE_CONNECTING, NULL);

  if (self->config.tls && self->tls_context == NULL) {
    GError *err = NULL;

    if (!self->config.tls_validation)
      GST_WARNING ("TLS certificate validation is off (tls-validation="
          "false): the connection to %s is encrypted but the server is not "
          "authenticated", self->host_port);
    self->tls_context = rtmp_net_tls_context_new_client (self->tls_ca_file,
        self->config.tls_validation, &err);
    if (self->tls_context == NULL) {
      fatal (self, err);
      return;
    }
  }
  GST_INFO ("connecting to %s (attempt %u)", self->host_port, self->attempt);
  /* GNetworkAddress takes host names and IPv4/IPv6 literals alike */
  addr = g_network_address_new (self->host, self->config.port);
  self->connect_pending++;
  g_socket_client_connect_async (self->sock_client, addr, self->cancellable,
      on_connected, self);
  g_object_unref (addr);
  self->attempt_timer = add_timeout (self, self->config.timeout_ms,
      on_attempt_timeout);
}

static gboolean
on_reconnect_timer (gpointer user_data)
{
  RtmpNetClient *self = user_data;

  g_clear_pointer (&self->reconnect_timer, g_source_unref);
  connect_attempt (self);
  return G_SOURCE_REMOVE;
}

/* takes @err; reports it to the element first, then makes it visible to
 * the waiting streaming thread */
static void
fatal (RtmpNetClient * self, GError * err)
{
  GST_WARNING ("fatal: %s", err->message);
  teardown_connection (self);
  destroy_source (&self->reconnect_timer);
  if (self->callbacks.state_changed)
    self->callbacks.state_changed (self, RTMP_NET_CLIENT_STATE_ERROR,
        self->attempt, err, self->user_data);
  g_mutex_lock (&self->lock);
  drop_queue_locked (self);
  self->state = RTMP_NET_CLIENT_STATE_ERROR;
  g_clear_error (&self->error);
  self->error = err;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* takes @err */
static void
connection_lost (RtmpNetClient * self, GError * err)
{
  gboolean retry;
  guint64 delay;
  guint i;

  teardown_connection (self);
  /* authentication starts afresh on the next connection */
  g_clear_pointer (&self->auth_query, g_free);
  self->auth_retries = 0;

  g_mutex_lock (&self->lock);
  /* refusals are final; reconnection only after a publish had started
   * (before that, a failure is a configuration problem to report) */
  retry = self->config.reconnect && self->ever_published
      && !self->stopping && !self->finish_requested
      && !g_error_matches (err, RTMP_ERROR, RTMP_ERROR_REJECTED)
      && (self->config.max_reconnect_attempts < 0
      || self->attempt < (guint) self->config.max_reconnect_attempts);
  if (retry)
    drop_queue_locked (self);
  g_mutex_unlock (&self->lock);

  if (!retry) {
    if (self->config.reconnect && self->ever_published
        && !g_error_matches (err, RTMP_ERROR, RTMP_ERROR_REJECTED)
        && self->attempt > 0)
      g_prefix_error (&err, "Gave up after %u reconnection attempts: ",
          self->attempt);
    fatal (self, err);
    return;
  }

  delay = self->config.reconnect_delay_ms;
  for (i = 0; i < self->attempt && delay < self->config.max_reconnect_delay_ms;
      i++)
    delay *= 2;
  delay = MIN (delay, self->config.max_reconnect_delay_ms);
  self->attempt++;
  GST_WARNING ("connection lost (%s); reconnection attempt %u in %"
      G_GUINT64_FORMAT " ms", err->message, self->attempt, delay);
  set_state (self, RTMP_NET_CLIENT_STATE_RECONNECT_WAIT, err);
  g_error_free (err);
  self->reconnect_timer = add_timeout (self, (guint) delay, on_reconnect_timer);
}

static gboolean
on_tick (gpointer user_data)
{
  RtmpNetClient *self = user_data;
  gint64 now = g_get_monotonic_time ();
  gboolean held;

  g_mutex_lock (&self->lock);
  if (self->tick_time_us && now > self->tick_time_us + 900 * 1000) {
    self->bitrate = (self->bytes_out - self->tick_bytes) * 8 *
        G_USEC_PER_SEC / (now - self->tick_time_us);
    self->tick_bytes = self->bytes_out;
    self->tick_time_us = now;
  } else if (self->tick_time_us == 0) {
    self->tick_bytes = self->bytes_out;
    self->tick_time_us = now;
  }
  held = self->holding;
  g_mutex_unlock (&self->lock);

  /* AHEAD messages that waited for a batch go now */
  if (held) {
    GST_LOG ("writing what waited for a batch");
    pump (self);
  }

  /* a server that stops reading (or a dead path) must not keep us forever */
  if (self->socket && self->out_bytes > 0 && self->config.timeout_ms
      != G_MAXUINT && now - self->last_progress_us >
      (gint64) self->config.timeout_ms * 1000) {
    GError *err = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "The server %s has not read anything for %u ms", self->server_address,
        self->config.timeout_ms);

    connection_lost (self, err);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_wakeup (gpointer user_data)
{
  RtmpNetClient *self = user_data;
  RtmpNetClientState st;
  gboolean finish, published;

  g_mutex_lock (&self->lock);
  self->wakeup_pending = FALSE;
  st = self->state;
  finish = self->finish_requested;
  published = self->ever_published;
  g_mutex_unlock (&self->lock);

  if (finish && (st == RTMP_NET_CLIENT_STATE_RECONNECT_WAIT
          || (st == RTMP_NET_CLIENT_STATE_CONNECTING && published))) {
    /* nothing can reach the server any more: end now */
    GST_INFO ("finishing while disconnected: closing");
    destroy_source (&self->reconnect_timer);
    teardown_connection (self);
    g_mutex_lock (&self->lock);
    drop_queue_locked (self);
    g_mutex_unlock (&self->lock);
    set_state (self, RTMP_NET_CLIENT_STATE_CLOSED, NULL);
    return G_SOURCE_REMOVE;
  }
  pump (self);
  return G_SOURCE_REMOVE;
}

static gboolean
on_stop (gpointer user_data)
{
  RtmpNetClient *self = user_data;

  teardown_connection (self);
  destroy_source (&self->reconnect_timer);
  g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

/* the client whose network thread this is (for poll_releasing_io) */
static GPrivate thread_client;

/* the network thread's poll function: io_lock is free while it waits */
static gint
poll_releasing_io (GPollFD * fds, guint nfds, gint timeout)
{
  RtmpNetClient *self = g_private_get (&thread_client);
  gint ret;

  g_mutex_unlock (&self->io_lock);
  ret = g_poll (fds, nfds, timeout);
  g_mutex_lock (&self->io_lock);
  return ret;
}

static gpointer
thread_func (gpointer user_data)
{
  RtmpNetClient *self = user_data;

  g_private_set (&thread_client, self);
  g_mutex_lock (&self->io_lock);
  g_main_context_set_poll_func (self->context, poll_releasing_io);
  g_main_context_push_thread_default (self->context);
  self->sock_client = g_socket_client_new ();
  /* no system proxy for RTMP, no TLS here (rtmps is for later) */
  g_socket_client_set_enable_proxy (self->sock_client, FALSE);
  self->inbuf = g_malloc (READ_SIZE);
  self->plainbuf = g_malloc (READ_SIZE);
  self->tick = add_timeout (self, TICK_MS, on_tick);

  connect_attempt (self);
  g_main_loop_run (self->loop);

  teardown_connection (self);
  destroy_source (&self->reconnect_timer);
  /* let a cancelled asynchronous connect complete before we go */
  while (self->connect_pending > 0)
    g_main_context_iteration (self->context, TRUE);
  destroy_source (&self->tick);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->sock_client);
  g_clear_pointer (&self->inbuf, g_free);
  g_clear_pointer (&self->plainbuf, g_free);
  g_main_context_pop_thread_default (self->context);
  g_mutex_unlock (&self->io_lock);
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* Public API (any thread)                                                  */
/* ------------------------------------------------------------------------ */

void
rtmp_net_client_start (RtmpNetClient * self)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->thread == NULL);

  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  g_mutex_lock (&self->lock);
  /* the state stays IDLE until the new thread runs: finish() must not
   * take that for "never started" on a loaded machine */
  self->started = TRUE;
  g_mutex_unlock (&self->lock);
  self->thread = g_thread_new ("rtmpnetclient", thread_func, self);
}

void
rtmp_net_client_stop (RtmpNetClient * self)
{
  g_return_if_fail (self != NULL);

  if (self->thread == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  self->flushing = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  g_main_context_invoke (self->context, on_stop, self);
  g_thread_join (self->thread);
  self->thread = NULL;
  g_main_loop_unref (self->loop);
  self->loop = NULL;
  g_main_context_unref (self->context);
  self->context = NULL;
}

static void
wakeup_locked (RtmpNetClient * self)
{
  /* while write-blocked, the thread pumps when the socket drains */
  if (!self->wakeup_pending && !self->write_blocked && self->context) {
    self->wakeup_pending = TRUE;
    g_main_context_invoke (self->context, on_wakeup, self);
  }
}

/* a video frame (not a sequence header): what drop_when_congested drops */
static gboolean
is_video_frame (const RtmpMessage * msg)
{
  return msg->type == RTMP_MESSAGE_VIDEO
      && !rtmp_flv_is_sequence_header (msg->type, msg->payload);
}

/* drop_when_congested, for a message that must not be dropped (audio,
 * metadata, a sequence header) and does not fit: drops the newest queued
 * video frames (a suffix of the video stream: later frames are skipped up
 * to a key frame) until @size would fit; TRUE if it dropped any (lock
 * held) */
static gboolean
evict_video_locked (RtmpNetClient * self, gsize size)
{
  GList *l, *prev;
  gboolean evicted = FALSE;

  for (l = self->queue.tail; l != NULL
      && self->queued_bytes + size > self->config.max_queue_bytes; l = prev) {
    RtmpMessage *msg = l->data;
    gsize msize;

    prev = l->prev;
    if (!is_video_frame (msg))
      continue;
    msize = rtmp_message_get_size (msg);
    self->queued_bytes -= msize;
    count_drop_locked (self, msize);
    g_queue_delete_link (&self->queue, l);
    message_free (msg);
    evicted = TRUE;
  }
  if (evicted)
    self->skip_video = TRUE;
  return evicted;
}

RtmpNetClientPushResult
rtmp_net_client_push (RtmpNetClient * self, const RtmpMessage * msg,
    RtmpNetClientPushFlags flags, GError ** error)
{
  gsize size, batch;
  RtmpMessage *copy;
  gboolean direct, fits;

  g_return_val_if_fail (self != NULL, RTMP_NET_CLIENT_PUSH_ERROR);
  g_return_val_if_fail (msg != NULL, RTMP_NET_CLIENT_PUSH_ERROR);

  size = rtmp_message_get_size (msg);
  g_mutex_lock (&self->lock);
  for (;;) {
    if (self->flushing) {
      g_mutex_unlock (&self->lock);
      return RTMP_NET_CLIENT_PUSH_FLUSHING;
    }
    switch (self->state) {
      case RTMP_NET_CLIENT_STATE_ERROR:
        if (error)
          *error = self->error ? g_error_copy (self->error) :
              g_error_new (RTMP_ERROR, RTMP_ERROR_STATE, "failed");
        g_mutex_unlock (&self->lock);
        return RTMP_NET_CLIENT_PUSH_ERROR;
      case RTMP_NET_CLIENT_STATE_FINISHING:
      case RTMP_NET_CLIENT_STATE_CLOSED:
        g_set_error (error, RTMP_ERROR, RTMP_ERROR_STATE,
            "The stream was already unpublished");
        g_mutex_unlock (&self->lock);
        return RTMP_NET_CLIENT_PUSH_ERROR;
      case RTMP_NET_CLIENT_STATE_RECONNECT_WAIT:
        goto drop;
      case RTMP_NET_CLIENT_STATE_CONNECTING:
        if (self->ever_published)
          goto drop;
        break;
      default:
        break;
    }
    fits = g_queue_is_empty (&self->queue)
        || self->queued_bytes + size <= self->config.max_queue_bytes;
    if (self->config.drop_when_congested && is_video_frame (msg)) {
      /* what does not fit goes, and every video frame after it up to a
       * key frame that fits */
      if (!fits || (self->skip_video && !rtmp_flv_is_keyframe (msg->payload))) {
        self->skip_video = TRUE;
        goto drop;
      }
      self->skip_video = FALSE;
      break;
    }
    if (fits)
      break;
    if (self->config.drop_when_congested && evict_video_locked (self, size))
      continue;                 /* room made: check again */
    GST_LOG ("queue full (%" G_GSIZE_FORMAT " bytes): waiting",
        self->queued_bytes);
    if (self->holding) {
      /* nobody is due to write what waits for a batch */
      self->holding = FALSE;
      wakeup_locked (self);
    }
    self->push_waiters++;
    g_cond_wait (&self->cond, &self->lock);
    self->push_waiters--;
  }

  copy = g_new0 (RtmpMessage, 1);
  *copy = *msg;
  if (copy->payload)
    gst_buffer_ref (copy->payload);
  g_queue_push_tail (&self->queue, copy);
  self->queued_bytes += size;
  batch = MIN (RTMP_NET_CLIENT_BATCH_BYTES, self->config.max_queue_bytes / 2);
  if ((flags & RTMP_NET_CLIENT_PUSH_FLAG_AHEAD)
      && self->state == RTMP_NET_CLIENT_STATE_PUBLISHING
      && !self->write_blocked && self->queued_bytes < batch) {
    /* a batch is filling: the pusher that completes it writes it (or the
     * tick, within RTMP_NET_CLIENT_MAX_HOLD_MS) */
    self->holding = TRUE;
    g_mutex_unlock (&self->lock);
    return RTMP_NET_CLIENT_PUSH_OK;
  }
  /* the socket not full and nothing queued but this message (or a batch
   * that nobody else is due to write): send it from here if the network
   * thread sleeps in its poll (io_lock free) */
  direct = self->state == RTMP_NET_CLIENT_STATE_PUBLISHING
      && !self->write_blocked && (self->holding
      || g_queue_get_length (&self->queue) == 1);
  self->holding = FALSE;
  if (!direct)
    wakeup_locked (self);
  g_mutex_unlock (&self->lock);
  if (direct) {
    if (g_mutex_trylock (&self->io_lock)) {
      pump (self);
      g_mutex_unlock (&self->io_lock);
    }
    /* what pump() left (or all of it, if the network thread was busy) is
     * for the network thread */
    g_mutex_lock (&self->lock);
    if (!g_queue_is_empty (&self->queue))
      wakeup_locked (self);
    g_mutex_unlock (&self->lock);
  }
  return RTMP_NET_CLIENT_PUSH_OK;

drop:
  count_drop_locked (self, size);
  g_mutex_unlock (&self->lock);
  return RTMP_NET_CLIENT_PUSH_DROPPED;
}

void
rtmp_net_client_set_header (RtmpNetClient * self, const RtmpMessage * msg)
{
  guint idx;

  g_return_if_fail (self != NULL && msg != NULL);

  switch (msg->type) {
    case RTMP_MESSAGE_DATA_AMF0:
      idx = HEADER_META;
      break;
    case RTMP_MESSAGE_VIDEO:
      idx = HEADER_VIDEO;
      break;
    case RTMP_MESSAGE_AUDIO:
      idx = HEADER_AUDIO;
      break;
    default:
      g_return_if_reached ();
  }
  g_mutex_lock (&self->lock);
  rtmp_message_clear (&self->headers[idx]);
  self->headers[idx] = *msg;
  if (msg->payload)
    gst_buffer_ref (msg->payload);
  g_mutex_unlock (&self->lock);
}

void
rtmp_net_client_set_flushing (RtmpNetClient * self, gboolean flushing)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->flushing = flushing;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

gboolean
rtmp_net_client_finish (RtmpNetClient * self, GError ** error)
{
  gboolean ret;

  g_return_val_if_fail (self != NULL, FALSE);

  g_mutex_lock (&self->lock);
  self->finish_requested = TRUE;
  wakeup_locked (self);
  while (!self->flushing && self->state != RTMP_NET_CLIENT_STATE_CLOSED
      && self->state != RTMP_NET_CLIENT_STATE_ERROR
      && (self->state != RTMP_NET_CLIENT_STATE_IDLE || self->started))
    g_cond_wait (&self->cond, &self->lock);

  if (self->state == RTMP_NET_CLIENT_STATE_CLOSED) {
    ret = TRUE;
  } else if (self->state == RTMP_NET_CLIENT_STATE_ERROR) {
    if (error)
      *error = self->error ? g_error_copy (self->error) :
          g_error_new (RTMP_ERROR, RTMP_ERROR_STATE, "failed");
    ret = FALSE;
  } else if (self->flushing) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
        "Flushing while finishing the stream");
    ret = FALSE;
  } else {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_STATE,
        "The client was never started");
    ret = FALSE;
  }
  g_mutex_unlock (&self->lock);
  return ret;
}

RtmpNetClientState
rtmp_net_client_get_state (RtmpNetClient * self)
{
  g_return_val_if_fail (self != NULL, RTMP_NET_CLIENT_STATE_ERROR);
  return read_state (self);
}

GError *
rtmp_net_client_get_error (RtmpNetClient * self)
{
  GError *err;

  g_return_val_if_fail (self != NULL, NULL);
  g_mutex_lock (&self->lock);
  err = self->error ? g_error_copy (self->error) : NULL;
  g_mutex_unlock (&self->lock);
  return err;
}

GstStructure *
rtmp_net_client_get_stats (RtmpNetClient * self)
{
  GstStructure *s;

  g_return_val_if_fail (self != NULL, NULL);
  g_mutex_lock (&self->lock);
  s = gst_structure_new ("rtmp-net-client-stats",
      "bytes-out", G_TYPE_UINT64, self->bytes_out,
      "bytes-in", G_TYPE_UINT64, self->bytes_in,
      "messages-out", G_TYPE_UINT64, self->messages_out,
      "writes", G_TYPE_UINT64, self->writes,
      "acked-bytes", G_TYPE_UINT64, self->acked_bytes,
      "chunk-size", G_TYPE_UINT, self->config.chunk_size,
      "peer-chunk-size", G_TYPE_UINT, self->peer_chunk_size ?
      self->peer_chunk_size : 128,
      "reconnects", G_TYPE_UINT64, self->reconnects,
      "dropped-messages", G_TYPE_UINT64, self->dropped_messages,
      "dropped-bytes", G_TYPE_UINT64, self->dropped_bytes,
      "queued-bytes", G_TYPE_UINT64, (guint64) self->queued_bytes,
      "bitrate", G_TYPE_UINT64, self->bitrate,
      "state", G_TYPE_STRING, rtmp_net_client_state_get_name (self->state),
      "server", G_TYPE_STRING, self->server_address, NULL);
  g_mutex_unlock (&self->lock);
  return s;
}
