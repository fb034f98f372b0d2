/* RTMP core: the protocol session (one connection's state), server and
 * client roles. Sans-I/O: bytes in, events and bytes out.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "rtmp-session.h"
#include "rtmp-amf0.h"
#include "rtmp-chunk-reader.h"
#include "rtmp-chunk-writer.h"
#include "rtmp-control.h"
#include "rtmp-error.h"
#include "rtmp-handshake.h"

GST_DEBUG_CATEGORY_STATIC (rtmp_session_debug);
#define GST_CAT_DEFAULT rtmp_session_debug

/* Stream ids handed out by createStream in one connection (1..64): every
 * publisher uses exactly one; the bound keeps the bookkeeping a bit mask. */
#define RTMP_SESSION_MAX_STREAMS 64

/* Chunk stream for stream-level commands we send (onStatus), like
 * nginx-rtmp does (reference §9.1, [CAP] s2c csid 5). */
#define RTMP_CSID_STREAM_COMMAND 5

/* A queued event, linked by its own node; the session keeps a few
 * finished ones for reuse (a media event per message: no allocation per
 * message) */
typedef struct
{
  GList link;
  RtmpSessionEvent ev;
} QueuedEvent;

#define SPARE_EVENTS_MAX 32

struct _RtmpSession
{
  RtmpSessionRole role;
  RtmpSessionState state;
  RtmpLimits limits;

  /* configuration */
  RtmpServerConfig server;
  gchar *app;
  gchar *tc_url;
  gchar *stream;
  gchar *flash_ver;
  gchar *swf_url;
  guint32 client_chunk_size;
  guint32 client_window_ack_size;
  gchar *username;
  gchar *password;
  gchar *auth_query;

  /* server: Adobe authentication (NULL: none) */
  RtmpAuthServer *auth;

  RtmpHandshake *hs;
  gboolean handshake_done;
  RtmpChunkReader *reader;
  RtmpChunkWriter *writer;

  GstBufferList *out;
  gsize out_size;
  GQueue events;                /* QueuedEvent, by their links */
  GQueue spare_events;          /* finished ones kept for reuse */

  /* acknowledgements (reference §4): bytes received after the handshake */
  guint64 ack_received;
  guint64 ack_last;
  guint32 peer_window;
  guint32 announced_window;     /* last Window Ack Size we sent, 0 none */

  /* server: streams and the publish */
  guint64 created_streams;      /* bit n-1: stream id n created */
  guint64 deleted_streams;
  guint32 last_stream_id;
  gboolean blocked;
  guint8 publish_cmd_type;      /* 17 or 20: answer in the same flavour */
  gchar *publish_app;
  gchar *publish_raw_name;
  gchar *publish_name;

  /* client */
  gdouble next_tid;
  gdouble connect_tid;
  gdouble create_stream_tid;
  gdouble publish_tid;

  guint32 stream_id;

  /* stats */
  guint64 bytes_in;
  guint64 bytes_out;
  guint64 messages_in;
  guint64 messages_out;
};

/* A decoded command message (reference §6.1) */
typedef struct
{
  guint8 type;                  /* 17 or 20 */
  guint32 msid;
  const gchar *name;
  gdouble tid;
  GPtrArray *args;              /* every value, [0] is the name */
} RtmpCommand;

static void
debug_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtmp_session_debug, "rtmpsession", 0,
        "RTMP protocol session");
    g_once_init_leave (&once, 1);
  }
}

/* --- names --------------------------------------------------------------- */

const gchar *
rtmp_session_state_get_name (RtmpSessionState state)
{
  switch (state) {
    case RTMP_SESSION_STATE_NEW:
      return "new";
    case RTMP_SESSION_STATE_HANDSHAKE:
      return "handshake";
    case RTMP_SESSION_STATE_CONNECTING:
      return "connecting";
    case RTMP_SESSION_STATE_CONNECTED:
      return "connected";
    case RTMP_SESSION_STATE_PUBLISH_REQUESTED:
      return "publish-requested";
    case RTMP_SESSION_STATE_PUBLISHING:
      return "publishing";
    case RTMP_SESSION_STATE_UNPUBLISHED:
      return "unpublished";
    case RTMP_SESSION_STATE_REJECTED:
      return "rejected";
    case RTMP_SESSION_STATE_FAILED:
      return "failed";
  }
  return "unknown";
}

const gchar *
rtmp_session_event_type_get_name (RtmpSessionEventType type)
{
  switch (type) {
    case RTMP_SESSION_EVENT_NONE:
      return "none";
    case RTMP_SESSION_EVENT_HANDSHAKE_DONE:
      return "handshake-done";
    case RTMP_SESSION_EVENT_ACK_RECEIVED:
      return "ack-received";
    case RTMP_SESSION_EVENT_PEER_CHUNK_SIZE:
      return "peer-chunk-size";
    case RTMP_SESSION_EVENT_COMMAND:
      return "command";
    case RTMP_SESSION_EVENT_CONNECT:
      return "connect";
    case RTMP_SESSION_EVENT_PUBLISH_REQUEST:
      return "publish-request";
    case RTMP_SESSION_EVENT_MEDIA:
      return "media";
    case RTMP_SESSION_EVENT_METADATA:
      return "metadata";
    case RTMP_SESSION_EVENT_UNPUBLISHED:
      return "unpublished";
    case RTMP_SESSION_EVENT_PUBLISH_STARTED:
      return "publish-started";
    case RTMP_SESSION_EVENT_CONNECTED:
      return "connected";
    case RTMP_SESSION_EVENT_REJECTED:
      return "rejected";
    case RTMP_SESSION_EVENT_ERROR:
      return "error";
    case RTMP_SESSION_EVENT_STATUS:
      return "status";
    case RTMP_SESSION_EVENT_CLOSE_REQUESTED:
      return "close-requested";
    case RTMP_SESSION_EVENT_CONNECT_REJECTED:
      return "connect-rejected";
    case RTMP_SESSION_EVENT_AUTH_RETRY:
      return "auth-retry";
  }
  return "unknown";
}

/* --- configuration, life cycle -------------------------------------------- */

void
rtmp_server_config_init (RtmpServerConfig * config)
{
  config->chunk_size = RTMP_SESSION_DEFAULT_CHUNK_SIZE;
  config->window_ack_size = RTMP_SESSION_DEFAULT_WINDOW_ACK_SIZE;
  config->peer_bandwidth = RTMP_SESSION_DEFAULT_PEER_BANDWIDTH;
}

void
rtmp_client_config_init (RtmpClientConfig * config)
{
  memset (config, 0, sizeof (*config));
  config->chunk_size = RTMP_SESSION_DEFAULT_CHUNK_SIZE;
  config->window_ack_size = RTMP_SESSION_DEFAULT_WINDOW_ACK_SIZE;
  config->digest_handshake = TRUE;
}

/* a chunk size we may announce: 1..0x7FFFFFFF (spec 5.4.1) */
static guint32
sanitize_chunk_size (guint32 size)
{
  if (size == 0)
    return RTMP_SESSION_DEFAULT_CHUNK_SIZE;
  return MIN (size, 0x7FFFFFFF);
}

static RtmpSession *
session_new (RtmpSessionRole role, const RtmpLimits * limits)
{
  RtmpSession *s;

  debug_init ();
  s = g_new0 (RtmpSession, 1);
  s->role = role;
  if (limits)
    s->limits = *limits;
  else
    rtmp_limits_init (&s->limits);
  s->hs = rtmp_handshake_new (role == RTMP_SESSION_ROLE_SERVER ?
      RTMP_HANDSHAKE_ROLE_SERVER : RTMP_HANDSHAKE_ROLE_CLIENT);
  s->reader = rtmp_chunk_reader_new (&s->limits);
  s->writer = rtmp_chunk_writer_new ();
  g_queue_init (&s->events);
  g_queue_init (&s->spare_events);
  s->next_tid = 1;
  return s;
}

RtmpSession *
rtmp_session_new_server (const RtmpLimits * limits,
    const RtmpServerConfig * config)
{
  RtmpSession *s = session_new (RTMP_SESSION_ROLE_SERVER, limits);

  if (config)
    s->server = *config;
  else
    rtmp_server_config_init (&s->server);
  s->server.chunk_size = sanitize_chunk_size (s->server.chunk_size);
  s->state = RTMP_SESSION_STATE_HANDSHAKE;
  return s;
}

RtmpSession *
rtmp_session_new_client (const RtmpLimits * limits,
    const RtmpClientConfig * config)
{
  RtmpSession *s = session_new (RTMP_SESSION_ROLE_CLIENT, limits);
  RtmpClientConfig defaults;

  if (config == NULL) {
    rtmp_client_config_init (&defaults);
    config = &defaults;
  }
  s->app = g_strdup (config->app ? config->app : "");
  s->tc_url = g_strdup (config->tc_url ? config->tc_url : "");
  s->stream = g_strdup (config->stream ? config->stream : "");
  s->flash_ver = g_strdup (config->flash_ver ? config->flash_ver :
      RTMP_SESSION_DEFAULT_FLASH_VER);
  s->swf_url = g_strdup (config->swf_url);
  s->client_chunk_size = sanitize_chunk_size (config->chunk_size);
  s->client_window_ack_size = config->window_ack_size;
  s->username = g_strdup (config->username);
  s->password = g_strdup (config->password);
  s->auth_query = g_strdup (config->auth_query);
  if (s->auth_query && *s->auth_query) {
    /* reference §1: the query goes on both app and tcUrl (ffmpeg, rtmp2) */
    gchar *tmp = s->app;

    s->app = g_strdup_printf ("%s?%s", tmp, s->auth_query);
    g_free (tmp);
    tmp = s->tc_url;
    s->tc_url = g_strdup_printf ("%s?%s", tmp, s->auth_query);
    g_free (tmp);
  }
  rtmp_handshake_set_client_digest (s->hs, config->digest_handshake);
  s->state = RTMP_SESSION_STATE_NEW;
  return s;
}

void
rtmp_session_event_clear (RtmpSessionEvent * event)
{
  g_free (event->app);
  g_free (event->tc_url);
  g_free (event->flash_ver);
  g_free (event->swf_url);
  g_free (event->stream_name);
  g_free (event->query);
  g_free (event->raw_name);
  g_free (event->publish_type);
  rtmp_message_clear (&event->message);
  if (event->amf)
    rtmp_amf_value_unref (event->amf);
  g_free (event->reason);
  g_free (event->command);
  g_free (event->level);
  g_free (event->code);
  g_free (event->description);
  g_free (event->user);
  memset (event, 0, sizeof (*event));
}

static void
event_queue_clear (GQueue * queue, gboolean owned)
{
  GList *link;

  while ((link = g_queue_pop_head_link (queue))) {
    QueuedEvent *q = link->data;

    if (owned)
      rtmp_session_event_clear (&q->ev);
    g_free (q);
  }
}

void
rtmp_session_free (RtmpSession * s)
{
  if (s == NULL)
    return;
  rtmp_handshake_free (s->hs);
  rtmp_chunk_reader_free (s->reader);
  rtmp_chunk_writer_free (s->writer);
  if (s->out)
    gst_buffer_list_unref (s->out);
  event_queue_clear (&s->events, TRUE);
  /* what spare events point to was handed out with them */
  event_queue_clear (&s->spare_events, FALSE);
  g_free (s->app);
  g_free (s->tc_url);
  g_free (s->stream);
  g_free (s->flash_ver);
  g_free (s->swf_url);
  g_free (s->username);
  if (s->password)
    memset (s->password, 0, strlen (s->password));
  g_free (s->password);
  g_free (s->auth_query);
  if (s->auth)
    rtmp_auth_server_unref (s->auth);
  g_free (s->publish_app);
  g_free (s->publish_raw_name);
  g_free (s->publish_name);
  g_free (s);
}

void
rtmp_session_set_auth (RtmpSession * s, RtmpAuthServer * auth)
{
  g_return_if_fail (s != NULL);
  g_return_if_fail (s->role == RTMP_SESSION_ROLE_SERVER);

  if (auth)
    rtmp_auth_server_ref (auth);
  if (s->auth)
    rtmp_auth_server_unref (s->auth);
  s->auth = auth;
}

RtmpSessionRole
rtmp_session_get_role (const RtmpSession * s)
{
  return s->role;
}

/* --- events and output ---------------------------------------------------- */

static RtmpSessionEvent *
push_event (RtmpSession * s, RtmpSessionEventType type)
{
  GList *link = g_queue_pop_head_link (&s->spare_events);
  QueuedEvent *q = link ? link->data : g_new (QueuedEvent, 1);

  memset (&q->ev, 0, sizeof (q->ev));
  q->ev.type = type;
  q->link.data = q;
  q->link.prev = q->link.next = NULL;
  g_queue_push_tail_link (&s->events, &q->link);
  GST_DEBUG ("event %s", rtmp_session_event_type_get_name (type));
  return &q->ev;
}

gboolean
rtmp_session_next_event (RtmpSession * s, RtmpSessionEvent * event)
{
  GList *link;
  QueuedEvent *q;

  g_return_val_if_fail (s != NULL && event != NULL, FALSE);

  link = g_queue_pop_head_link (&s->events);
  if (link == NULL) {
    memset (event, 0, sizeof (*event));
    return FALSE;
  }
  q = link->data;
  /* the event's pointers now belong to the caller */
  *event = q->ev;
  if (s->spare_events.length < SPARE_EVENTS_MAX)
    g_queue_push_tail_link (&s->spare_events, link);
  else
    g_free (q);
  return TRUE;
}

static GstBufferList *
ensure_out (RtmpSession * s)
{
  if (s->out == NULL)
    s->out = gst_buffer_list_new ();
  return s->out;
}

GstBufferList *
rtmp_session_take_output (RtmpSession * s)
{
  GstBufferList *out;

  g_return_val_if_fail (s != NULL, NULL);

  out = s->out;
  s->out = NULL;
  s->bytes_out += s->out_size;
  s->out_size = 0;
  if (out && gst_buffer_list_length (out) == 0) {
    gst_buffer_list_unref (out);
    out = NULL;
  }
  return out;
}

gboolean
rtmp_session_has_output (const RtmpSession * s)
{
  return s->out_size > 0;
}

static void
append_bytes (RtmpSession * s, GByteArray * bytes)
{
  gsize len = bytes->len;

  if (len == 0) {
    g_byte_array_unref (bytes);
    return;
  }
  gst_buffer_list_add (ensure_out (s),
      gst_buffer_new_wrapped (g_byte_array_free (bytes, FALSE), len));
  s->out_size += len;
}

/* Chunks @msg into the output (payload shared, never copied) */
static void
write_message (RtmpSession * s, const RtmpMessage * msg)
{
  guint64 before = rtmp_chunk_writer_get_bytes_written (s->writer);

  GST_LOG (">>> %s csid %u msid %u ts %u len %" G_GSIZE_FORMAT,
      rtmp_message_type_get_name (msg->type), msg->csid, msg->msid,
      msg->timestamp, rtmp_message_get_size (msg));
  rtmp_chunk_writer_write_list (s->writer, msg, ensure_out (s));
  s->out_size += rtmp_chunk_writer_get_bytes_written (s->writer) - before;
  s->messages_out++;
}

/* Chunks @msg into the output and drops @msg's payload. */
static void
queue_message (RtmpSession * s, RtmpMessage * msg)
{
  write_message (s, msg);
  rtmp_message_clear (msg);
}

static void
send_set_chunk_size (RtmpSession * s, guint32 size)
{
  RtmpMessage msg = { 0, };

  /* reference §3.6: announce first, then use it */
  rtmp_control_build_set_chunk_size (size, &msg);
  queue_message (s, &msg);
  rtmp_chunk_writer_set_chunk_size (s->writer, size);
}

static void
send_window_ack_size (RtmpSession * s, guint32 window)
{
  RtmpMessage msg = { 0, };

  rtmp_control_build_window_ack_size (window, &msg);
  queue_message (s, &msg);
  s->announced_window = window;
}

static void
send_user_control (RtmpSession * s, guint16 event, guint32 value)
{
  RtmpMessage msg = { 0, };

  rtmp_control_build_user (event, value, &msg);
  queue_message (s, &msg);
}

/* Sends a command: @name, @tid, then the NULL-terminated list of values
 * (owned). @type 17 gets the leading AMF0 format byte (reference §6). */
static void
send_command (RtmpSession * s, guint8 type, guint32 csid, guint32 msid,
    const gchar * name, gdouble tid, ...)
{
  GByteArray *ba = g_byte_array_new ();
  RtmpAmfValue *v;
  RtmpMessage msg = { 0, };
  gsize len;
  va_list ap;

  if (type == RTMP_MESSAGE_COMMAND_AMF3) {
    guint8 zero = 0;
    g_byte_array_append (ba, &zero, 1);
  } else {
    type = RTMP_MESSAGE_COMMAND_AMF0;
  }
  rtmp_amf0_serialize_string (ba, name);
  v = rtmp_amf_value_new_number (tid);
  rtmp_amf0_serialize (ba, v);
  rtmp_amf_value_unref (v);

  va_start (ap, tid);
  while ((v = va_arg (ap, RtmpAmfValue *)) != NULL) {
    if (gst_debug_category_get_threshold (rtmp_session_debug) >= GST_LEVEL_LOG) {
      gchar *str = rtmp_amf_value_to_string (v);
      GST_LOG (">>> %s arg %s", name, str);
      g_free (str);
    }
    rtmp_amf0_serialize (ba, v);
    rtmp_amf_value_unref (v);
  }
  va_end (ap);

  GST_DEBUG (">>> command '%s' tid %.0f csid %u msid %u", name, tid, csid,
      msid);
  msg.type = type;
  msg.csid = csid;
  msg.msid = msid;
  msg.timestamp = 0;
  len = ba->len;
  msg.payload = gst_buffer_new_wrapped (g_byte_array_free (ba, FALSE), len);
  queue_message (s, &msg);
}

static RtmpAmfValue *
make_status (const gchar * level, const gchar * code,
    const gchar * description)
{
  RtmpAmfValue *info = rtmp_amf_value_new_object ();

  rtmp_amf_value_set_string (info, "level", level);
  rtmp_amf_value_set_string (info, "code", code);
  rtmp_amf_value_set_string (info, "description", description);
  return info;
}

/* onStatus(0, null, info) on the stream (reference §9.7) */
static void
send_on_status (RtmpSession * s, guint8 type, guint32 msid,
    RtmpAmfValue * info)
{
  send_command (s, type, RTMP_CSID_STREAM_COMMAND, msid, "onStatus", 0.0,
      rtmp_amf_value_new_null (), info, NULL);
}

/* --- command decoding helpers --------------------------------------------- */

static RtmpAmfValue *
cmd_arg (const RtmpCommand * cmd, guint index)
{
  if (index >= cmd->args->len)
    return NULL;
  return g_ptr_array_index (cmd->args, index);
}

static gboolean
is_absent (const RtmpAmfValue * v)
{
  return v == NULL || rtmp_amf_value_get_type (v) == RTMP_AMF_NULL
      || rtmp_amf_value_get_type (v) == RTMP_AMF_UNDEFINED;
}

/* A string where one is expected: absent (missing, null, undefined) gives
 * *out NULL; any other type is an RTMP_ERROR_PROTOCOL error naming the
 * command and the field. */
static gboolean
get_string (const RtmpCommand * cmd, const RtmpAmfValue * v,
    const gchar * field, const gchar ** out, gsize * len, GError ** error)
{
  *out = NULL;
  if (len)
    *len = 0;
  if (is_absent (v))
    return TRUE;
  if (rtmp_amf_value_get_type (v) != RTMP_AMF_STRING) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "%s: %s is %s, expected a string", cmd->name, field,
        rtmp_amf_type_get_name (rtmp_amf_value_get_type (v)));
    return FALSE;
  }
  *out = rtmp_amf_value_get_string (v, len);
  return TRUE;
}

static gboolean
get_object_string (const RtmpCommand * cmd, const RtmpAmfValue * obj,
    const gchar * key, const gchar ** out, gsize * len, GError ** error)
{
  gchar *field = g_strdup_printf ("'%s'", key);
  gboolean ret = get_string (cmd, rtmp_amf_value_lookup (obj, key), field,
      out, len, error);

  g_free (field);
  return ret;
}

static gboolean
is_object (const RtmpAmfValue * v)
{
  RtmpAmfType t;

  if (v == NULL)
    return FALSE;
  t = rtmp_amf_value_get_type (v);
  return t == RTMP_AMF_OBJECT || t == RTMP_AMF_ECMA_ARRAY
      || t == RTMP_AMF_TYPED_OBJECT;
}

/* A name we keep and pass on (app, stream): bounded, valid UTF-8 without
 * NULs. Returns FALSE with RTMP_ERROR_LIMIT (too long) or
 * RTMP_ERROR_PROTOCOL (invalid); *invalid tells which. */
static gboolean
check_name (const RtmpCommand * cmd, const gchar * field, const gchar * str,
    gsize len, gboolean * invalid, GError ** error)
{
  *invalid = FALSE;
  if (len > RTMP_SESSION_MAX_NAME_LENGTH) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
        "%s: %s is %" G_GSIZE_FORMAT " bytes long, more than "
        "RTMP_SESSION_MAX_NAME_LENGTH (%u)", cmd->name, field, len,
        RTMP_SESSION_MAX_NAME_LENGTH);
    return FALSE;
  }
  if (memchr (str, '\0', len) != NULL || !g_utf8_validate (str, len, NULL)) {
    gchar *valid = g_utf8_make_valid (str, len);

    *invalid = TRUE;
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "%s: %s '%s' contains a NUL or is not valid UTF-8", cmd->name,
        field, valid);
    g_free (valid);
    return FALSE;
  }
  return TRUE;
}

/* Parses a command message (type 17 or 20). */
static gboolean
parse_command (RtmpSession * s, const RtmpMessage * msg, RtmpCommand * cmd,
    GError ** error)
{
  GstMapInfo map;
  const guint8 *data;
  gsize size;
  RtmpAmfValue *v;

  memset (cmd, 0, sizeof (*cmd));
  cmd->type = msg->type;
  cmd->msid = msg->msid;

  if (msg->payload == NULL || gst_buffer_get_size (msg->payload) == 0) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "empty command message on msid %u", msg->msid);
    return FALSE;
  }
  if (!gst_buffer_map (msg->payload, &map, GST_MAP_READ)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "cannot map command payload");
    return FALSE;
  }
  data = map.data;
  size = map.size;
  /* type 17: a format byte (0) precedes AMF0 values that may switch to
   * AMF3 with marker 0x11 (reference §6; nginx-rtmp skips it the same way) */
  if (msg->type == RTMP_MESSAGE_COMMAND_AMF3) {
    data++;
    size--;
  }
  cmd->args = rtmp_amf0_parse_all (data, size, &s->limits, error);
  gst_buffer_unmap (msg->payload, &map);
  if (cmd->args == NULL) {
    g_prefix_error (error, "command message on msid %u: ", msg->msid);
    return FALSE;
  }

  v = cmd_arg (cmd, 0);
  if (v == NULL || rtmp_amf_value_get_type (v) != RTMP_AMF_STRING) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "command message on msid %u does not start with a name string "
        "(%s)", msg->msid, v ? rtmp_amf_type_get_name (rtmp_amf_value_get_type
            (v)) : "empty");
    g_ptr_array_unref (cmd->args);
    cmd->args = NULL;
    return FALSE;
  }
  cmd->name = rtmp_amf_value_get_string (v, NULL);

  /* The transaction id. ffmpeg's server sends a bare 'onFCPublish' without
   * one ([CAP] ffmpeg_ffmpegserver): missing counts as 0. */
  v = cmd_arg (cmd, 1);
  if (v && rtmp_amf_value_get_type (v) == RTMP_AMF_NUMBER)
    cmd->tid = rtmp_amf_value_get_number (v);
  else
    cmd->tid = 0;
  if (!isfinite (cmd->tid))
    cmd->tid = 0;

  if (gst_debug_category_get_threshold (rtmp_session_debug) >= GST_LEVEL_LOG) {
    for (guint i = 2; i < cmd->args->len; i++) {
      gchar *str = rtmp_amf_value_to_string (cmd_arg (cmd, i));
      GST_LOG ("<<< %s arg %u %s", cmd->name, i, str);
      g_free (str);
    }
  }
  GST_DEBUG ("<<< command '%s' tid %.0f msid %u", cmd->name, cmd->tid,
      cmd->msid);
  return TRUE;
}

/* A transaction id that asks for an answer (reference §6.1) */
static gboolean
wants_answer (const RtmpCommand * cmd)
{
  return cmd->tid != 0;
}

/* ========================================================================== */
/* Server role (reference §9, §14 "rtmpingestsrc")                            */
/* ========================================================================== */

static gboolean
stream_is_open (RtmpSession * s, guint32 id)
{
  guint64 bit;

  if (id == 0 || id > RTMP_SESSION_MAX_STREAMS)
    return FALSE;
  bit = G_GUINT64_CONSTANT (1) << (id - 1);
  return (s->created_streams & bit) && !(s->deleted_streams & bit);
}

static void
stream_delete (RtmpSession * s, guint32 id)
{
  if (id == 0 || id > RTMP_SESSION_MAX_STREAMS)
    return;
  s->deleted_streams |= G_GUINT64_CONSTANT (1) << (id - 1);
}

static gboolean
server_connect (RtmpSession * s, const RtmpCommand * cmd, GError ** error)
{
  const RtmpAmfValue *obj = cmd_arg (cmd, 2);
  const gchar *app, *tc_url, *flash_ver, *swf_url;
  gsize app_len = 0;
  gdouble object_encoding = 0;
  RtmpAmfValue *enc, *props, *info;
  RtmpSessionEvent *ev;
  gboolean invalid;
  gchar *user = NULL, *tc_url_stripped = NULL;

  if (s->state != RTMP_SESSION_STATE_CONNECTING) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "connect: received a second time (state %s)",
        rtmp_session_state_get_name (s->state));
    return FALSE;
  }
  if (!is_object (obj)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "connect: command object is %s, expected an object",
        obj ? rtmp_amf_type_get_name (rtmp_amf_value_get_type (obj)) :
        "missing");
    return FALSE;
  }
  if (!get_object_string (cmd, obj, "app", &app, &app_len, error)
      || !get_object_string (cmd, obj, "tcUrl", &tc_url, NULL, error)
      || !get_object_string (cmd, obj, "flashVer", &flash_ver, NULL, error)
      || !get_object_string (cmd, obj, "swfUrl", &swf_url, NULL, error))
    return FALSE;
  if (app == NULL)
    app = "";
  if (!check_name (cmd, "'app'", app, app_len, &invalid, error)) {
    if (invalid) {
      /* reference §9.3: refusal is _error with Connect.Rejected */
      send_command (s, cmd->type, RTMP_CSID_COMMAND, 0, "_error", cmd->tid,
          rtmp_amf_value_new_null (), make_status ("error",
              "NetConnection.Connect.Rejected", "Invalid application name."),
          NULL);
    }
    return FALSE;
  }
  enc = rtmp_amf_value_lookup (obj, "objectEncoding");
  if (!is_absent (enc)) {
    if (rtmp_amf_value_get_type (enc) != RTMP_AMF_NUMBER) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
          "connect: 'objectEncoding' is %s, expected a number",
          rtmp_amf_type_get_name (rtmp_amf_value_get_type (enc)));
      return FALSE;
    }
    object_encoding = rtmp_amf_value_get_number (enc);
  }
  /* we only know AMF0 (0) and AMF3 (3); echo those, else say 0 */
  if (object_encoding != 3)
    object_encoding = 0;

  if (s->auth) {
    /* reference §1, §9.3: Adobe authentication travels as a query on app
     * (and tcUrl); refusals and challenges are _error Connect.Rejected */
    const gchar *q = memchr (app, '?', app_len);
    gchar *query = q ? g_strndup (q + 1, app_len - (q + 1 - app)) : NULL;
    gchar *description = NULL;
    RtmpAuthServerResult r;

    r = rtmp_auth_server_check (s->auth, query, &user, &description);
    g_free (query);
    if (r != RTMP_AUTH_SERVER_ACCEPT) {
      GST_INFO ("connect: authentication %s: %s", r ==
          RTMP_AUTH_SERVER_CHALLENGE ? "challenge" : "refused", description);
      send_command (s, cmd->type, RTMP_CSID_COMMAND, 0, "_error", cmd->tid,
          rtmp_amf_value_new_null (), make_status ("error",
              "NetConnection.Connect.Rejected", description), NULL);
      ev = push_event (s, RTMP_SESSION_EVENT_CONNECT_REJECTED);
      ev->code = g_strdup ("NetConnection.Connect.Rejected");
      ev->description = description;
      ev->reason = g_strdup (r == RTMP_AUTH_SERVER_CHALLENGE ? "challenge" :
          "refused");
      s->state = RTMP_SESSION_STATE_REJECTED;
      return TRUE;
    }
    if (q)
      app_len = q - app;
    if (tc_url && strchr (tc_url, '?'))
      tc_url_stripped = g_strndup (tc_url, strchr (tc_url, '?') - tc_url);
  }

  ev = push_event (s, RTMP_SESSION_EVENT_CONNECT);
  ev->app = g_strndup (app, app_len);
  ev->tc_url = tc_url_stripped ? tc_url_stripped : g_strdup (tc_url);
  ev->user = user;
  ev->flash_ver = g_strdup (flash_ver);
  ev->swf_url = g_strdup (swf_url);
  ev->object_encoding = object_encoding;
  ev->amf = rtmp_amf_value_ref ((RtmpAmfValue *) obj);
  g_free (s->publish_app);
  s->publish_app = g_strndup (app, app_len);

  GST_INFO ("connect: app '%s' tcUrl '%s' flashVer '%s' user '%s'",
      s->publish_app, GST_STR_NULL (ev->tc_url), GST_STR_NULL (flash_ver),
      GST_STR_NULL (ev->user));

  /* reference §9.4: WinAck, SetPeerBandwidth (dynamic), StreamBegin(0),
   * SetChunkSize, _result */
  send_window_ack_size (s, s->server.window_ack_size);
  {
    RtmpMessage msg = { 0, };
    rtmp_control_build_set_peer_bandwidth (s->server.peer_bandwidth,
        RTMP_PEER_BANDWIDTH_DYNAMIC, &msg);
    queue_message (s, &msg);
  }
  send_user_control (s, RTMP_USER_STREAM_BEGIN, 0);
  send_set_chunk_size (s, s->server.chunk_size);

  props = rtmp_amf_value_new_object ();
  rtmp_amf_value_set_string (props, "fmsVer", "FMS/3,0,1,123");
  rtmp_amf_value_set_number (props, "capabilities", 31);
  info = make_status ("status", "NetConnection.Connect.Success",
      "Connection succeeded.");
  rtmp_amf_value_set_number (info, "objectEncoding", object_encoding);
  send_command (s, cmd->type, RTMP_CSID_COMMAND, 0, "_result", cmd->tid,
      props, info, NULL);

  s->state = RTMP_SESSION_STATE_CONNECTED;
  return TRUE;
}

static gboolean
server_require_connected (RtmpSession * s, const RtmpCommand * cmd,
    GError ** error)
{
  if (s->state == RTMP_SESSION_STATE_CONNECTING) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "%s: received before connect", cmd->name);
    return FALSE;
  }
  return TRUE;
}

/* releaseStream / FCPublish / _checkbw: _result(tid, null, undefined) like
 * SRS (reference §9.5); nothing for tid 0 */
static gboolean
server_simple_result (RtmpSession * s, const RtmpCommand * cmd,
    GError ** error)
{
  if (!server_require_connected (s, cmd, error))
    return FALSE;
  if (wants_answer (cmd))
    send_command (s, cmd->type, RTMP_CSID_COMMAND, 0, "_result", cmd->tid,
        rtmp_amf_value_new_null (), rtmp_amf_value_new_undefined (), NULL);
  return TRUE;
}

static gboolean
server_create_stream (RtmpSession * s, const RtmpCommand * cmd,
    GError ** error)
{
  guint32 id;

  if (!server_require_connected (s, cmd, error))
    return FALSE;
  if (s->last_stream_id >= RTMP_SESSION_MAX_STREAMS) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
        "createStream: more than RTMP_SESSION_MAX_STREAMS (%u) streams",
        RTMP_SESSION_MAX_STREAMS);
    return FALSE;
  }
  /* reference §9.1: nginx's push client assumes 1 for the first stream */
  id = ++s->last_stream_id;
  s->created_streams |= G_GUINT64_CONSTANT (1) << (id - 1);
  send_command (s, cmd->type, RTMP_CSID_COMMAND, 0, "_result", cmd->tid,
      rtmp_amf_value_new_null (), rtmp_amf_value_new_number (id), NULL);
  return TRUE;
}

static gboolean
server_publish (RtmpSession * s, const RtmpCommand * cmd, GError ** error)
{
  const gchar *name, *type, *q;
  gsize name_len = 0, type_len = 0;
  gboolean invalid;
  RtmpSessionEvent *ev;

  if (!server_require_connected (s, cmd, error))
    return FALSE;
  if (s->state == RTMP_SESSION_STATE_PUBLISHING
      || s->state == RTMP_SESSION_STATE_PUBLISH_REQUESTED) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "publish: already publishing on stream %u", s->stream_id);
    return FALSE;
  }
  if (!stream_is_open (s, cmd->msid)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "publish: on message stream %u, which createStream did not return "
        "or which was deleted", cmd->msid);
    return FALSE;
  }
  if (!get_string (cmd, cmd_arg (cmd, 3), "stream name", &name, &name_len,
          error)
      || !get_string (cmd, cmd_arg (cmd, 4), "publish type", &type,
          &type_len, error))
    return FALSE;
  if (name == NULL) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "publish: no stream name");
    return FALSE;
  }
  if (!check_name (cmd, "stream name", name, name_len, &invalid, error)) {
    if (invalid) {
      /* refuse the name on the wire too, then fail the session */
      send_on_status (s, cmd->type, cmd->msid, make_status ("error",
              "NetStream.Publish.BadName", "Invalid stream name."));
    }
    return FALSE;
  }
  if (type == NULL) {
    type = "live";
    type_len = 4;
  } else if (!check_name (cmd, "publish type", type, type_len, &invalid,
          error)) {
    return FALSE;
  }

  s->stream_id = cmd->msid;
  s->publish_cmd_type = cmd->type;
  g_free (s->publish_raw_name);
  s->publish_raw_name = g_strndup (name, name_len);
  /* reference §1: the query stays glued to the stream name; split at the
   * first '?' like nginx-rtmp */
  q = memchr (name, '?', name_len);
  g_free (s->publish_name);
  s->publish_name = g_strndup (name, q ? (gsize) (q - name) : name_len);

  ev = push_event (s, RTMP_SESSION_EVENT_PUBLISH_REQUEST);
  ev->app = g_strdup (s->publish_app);
  ev->stream_name = g_strdup (s->publish_name);
  ev->query = q ? g_strndup (q + 1, name_len - (q + 1 - name)) : NULL;
  ev->raw_name = g_strdup (s->publish_raw_name);
  ev->publish_type = g_strndup (type, type_len);
  ev->stream_id = s->stream_id;

  GST_INFO ("publish request: app '%s' name '%s' type '%s' on stream %u",
      s->publish_app, s->publish_raw_name, ev->publish_type, s->stream_id);

  s->state = RTMP_SESSION_STATE_PUBLISH_REQUESTED;
  s->blocked = TRUE;
  return TRUE;
}

static void
server_end_publish (RtmpSession * s, const gchar * reason)
{
  RtmpSessionEvent *ev;
  gchar *desc;

  if (s->state != RTMP_SESSION_STATE_PUBLISHING) {
    GST_DEBUG ("%s while not publishing: ignored", reason);
    return;
  }
  ev = push_event (s, RTMP_SESSION_EVENT_UNPUBLISHED);
  ev->reason = g_strdup (reason);
  ev->stream_name = g_strdup (s->publish_name);
  ev->stream_id = s->stream_id;
  GST_INFO ("unpublished (%s)", reason);

  desc = g_strdup_printf ("%s is now unpublished.", s->publish_name);
  send_on_status (s, s->publish_cmd_type, s->stream_id, make_status ("status",
          "NetStream.Unpublish.Success", desc));
  g_free (desc);
  s->state = RTMP_SESSION_STATE_UNPUBLISHED;
}

static gboolean
server_delete_stream (RtmpSession * s, const RtmpCommand * cmd,
    GError ** error)
{
  const RtmpAmfValue *v = cmd_arg (cmd, 3);

  if (!server_require_connected (s, cmd, error))
    return FALSE;
  if (v && rtmp_amf_value_get_type (v) == RTMP_AMF_NUMBER) {
    gdouble n = rtmp_amf_value_get_number (v);

    if (s->stream_id != 0 && n == s->stream_id)
      server_end_publish (s, "deleteStream");
    if (n >= 1 && n <= RTMP_SESSION_MAX_STREAMS)
      stream_delete (s, (guint32) n);
  } else if (v && rtmp_amf_value_get_type (v) == RTMP_AMF_STRING) {
    /* GStreamer rtmp2sink 1.22 passes the stream name (reference §9.9) */
    const gchar *str = rtmp_amf_value_get_string (v, NULL);

    if (s->stream_id != 0 && (g_strcmp0 (str, s->publish_raw_name) == 0
            || g_strcmp0 (str, s->publish_name) == 0)) {
      server_end_publish (s, "deleteStream");
      stream_delete (s, s->stream_id);
    }
  } else {
    GST_DEBUG ("deleteStream without a stream id: ignored");
  }
  return TRUE;
}

static gboolean
server_handle_command (RtmpSession * s, const RtmpCommand * cmd,
    GError ** error)
{
  const gchar *n = cmd->name;

  if (strcmp (n, "connect") == 0)
    return server_connect (s, cmd, error);
  if (strcmp (n, "releaseStream") == 0 || strcmp (n, "FCPublish") == 0
      || strcmp (n, "_checkbw") == 0)
    return server_simple_result (s, cmd, error);
  if (strcmp (n, "createStream") == 0)
    return server_create_stream (s, cmd, error);
  if (strcmp (n, "publish") == 0)
    return server_publish (s, cmd, error);
  if (strcmp (n, "FCUnpublish") == 0) {
    if (!server_require_connected (s, cmd, error))
      return FALSE;
    server_end_publish (s, "FCUnpublish");
    return TRUE;
  }
  if (strcmp (n, "deleteStream") == 0)
    return server_delete_stream (s, cmd, error);
  if (strcmp (n, "closeStream") == 0) {
    if (!server_require_connected (s, cmd, error))
      return FALSE;
    if (cmd->msid == s->stream_id)
      server_end_publish (s, "closeStream");
    return TRUE;
  }
  /* Anything else (play, getStreamLength, _result, onStatus, ...) is
   * ignored, like nginx-rtmp does: answering _error would be fatal in ffmpeg
   * for a method it tracks. */
  GST_DEBUG ("ignoring command '%s' (tid %.0f)", n, cmd->tid);
  return TRUE;
}

/* @setDataFrame("onMetaData", value) or bare onMetaData(value) (reference
 * §9.8); returns the value if it is an object or ECMA array. */
static RtmpAmfValue *
parse_metadata (RtmpSession * s, const RtmpMessage * msg)
{
  GstMapInfo map;
  const guint8 *data;
  gsize size, used = 0;
  RtmpAmfValue *v, *ret = NULL;
  const gchar *str;

  if (msg->payload == NULL || !gst_buffer_map (msg->payload, &map,
          GST_MAP_READ))
    return NULL;
  data = map.data;
  size = map.size;
  if (msg->type == RTMP_MESSAGE_DATA_AMF3 && size > 0) {
    data++;
    size--;
  }

  v = rtmp_amf0_parse (data, size, &used, &s->limits, NULL);
  if (v == NULL)
    goto done;
  str = rtmp_amf_value_get_type (v) == RTMP_AMF_STRING ?
      rtmp_amf_value_get_string (v, NULL) : NULL;
  if (g_strcmp0 (str, "@setDataFrame") == 0) {
    rtmp_amf_value_unref (v);
    data += used;
    size -= used;
    v = rtmp_amf0_parse (data, size, &used, &s->limits, NULL);
    if (v == NULL)
      goto done;
    str = rtmp_amf_value_get_type (v) == RTMP_AMF_STRING ?
        rtmp_amf_value_get_string (v, NULL) : NULL;
  }
  if (g_strcmp0 (str, "onMetaData") == 0) {
    rtmp_amf_value_unref (v);
    data += used;
    size -= used;
    v = rtmp_amf0_parse (data, size, &used, &s->limits, NULL);
    if (v == NULL)
      goto done;
    if (rtmp_amf_value_get_type (v) == RTMP_AMF_OBJECT
        || rtmp_amf_value_get_type (v) == RTMP_AMF_ECMA_ARRAY)
      ret = rtmp_amf_value_ref (v);
  }
  rtmp_amf_value_unref (v);

done:
  gst_buffer_unmap (msg->payload, &map);
  return ret;
}

/* takes @msg's payload */
static void
server_handle_media (RtmpSession * s, RtmpMessage * msg)
{
  RtmpSessionEvent *ev;
  RtmpAmfValue *meta = NULL;

  if (s->state != RTMP_SESSION_STATE_PUBLISHING) {
    GST_DEBUG ("dropping %s message: not publishing (state %s)",
        rtmp_message_type_get_name (msg->type),
        rtmp_session_state_get_name (s->state));
    return;
  }
  if (msg->msid != s->stream_id) {
    GST_DEBUG ("dropping %s message on msid %u (publishing on %u)",
        rtmp_message_type_get_name (msg->type), msg->msid, s->stream_id);
    return;
  }
  if (msg->type == RTMP_MESSAGE_DATA_AMF0
      || msg->type == RTMP_MESSAGE_DATA_AMF3)
    meta = parse_metadata (s, msg);

  ev = push_event (s, RTMP_SESSION_EVENT_MEDIA);
  ev->message = *msg;
  msg->payload = NULL;

  if (meta) {
    ev = push_event (s, RTMP_SESSION_EVENT_METADATA);
    ev->amf = meta;
  }
}

void
rtmp_session_accept_publish (RtmpSession * s)
{
  RtmpSessionEvent *ev;
  gchar *desc;

  g_return_if_fail (s != NULL);
  g_return_if_fail (s->role == RTMP_SESSION_ROLE_SERVER);
  g_return_if_fail (s->state == RTMP_SESSION_STATE_PUBLISH_REQUESTED);

  /* reference §9.4: StreamBegin(stream id) + onStatus Publish.Start */
  send_user_control (s, RTMP_USER_STREAM_BEGIN, s->stream_id);
  desc = g_strdup_printf ("%s is now published.", s->publish_name);
  send_on_status (s, s->publish_cmd_type, s->stream_id, make_status ("status",
          "NetStream.Publish.Start", desc));
  g_free (desc);

  s->state = RTMP_SESSION_STATE_PUBLISHING;
  s->blocked = FALSE;
  ev = push_event (s, RTMP_SESSION_EVENT_PUBLISH_STARTED);
  ev->app = g_strdup (s->publish_app);
  ev->stream_name = g_strdup (s->publish_name);
  ev->stream_id = s->stream_id;
}

void
rtmp_session_reject_publish (RtmpSession * s, const gchar * code,
    const gchar * description)
{
  g_return_if_fail (s != NULL);
  g_return_if_fail (s->role == RTMP_SESSION_ROLE_SERVER);
  g_return_if_fail (s->state == RTMP_SESSION_STATE_PUBLISH_REQUESTED);

  send_on_status (s, s->publish_cmd_type, s->stream_id, make_status ("error",
          code ? code : "NetStream.Publish.Denied",
          description ? description : "Publishing refused."));
  GST_INFO ("publish of '%s' rejected: %s", s->publish_raw_name,
      GST_STR_NULL (code));
  /* the stream stays created; the client may try again (or we close) */
  s->state = RTMP_SESSION_STATE_CONNECTED;
  s->stream_id = 0;
  s->blocked = FALSE;
}

gboolean
rtmp_session_is_blocked (const RtmpSession * s)
{
  return s->blocked;
}

/* ========================================================================== */
/* Client role (reference §9, §14 "rtmppublishsink")                          */
/* ========================================================================== */

static gdouble
client_next_tid (RtmpSession * s)
{
  return s->next_tid++;
}

static void
client_send_connect (RtmpSession * s)
{
  RtmpAmfValue *obj = rtmp_amf_value_new_object ();

  /* reference §9.2: what FMLE-style publishers send */
  rtmp_amf_value_set_string (obj, "app", s->app);
  rtmp_amf_value_set_string (obj, "type", "nonprivate");
  rtmp_amf_value_set_string (obj, "flashVer", s->flash_ver);
  if (s->swf_url)
    rtmp_amf_value_set_string (obj, "swfUrl", s->swf_url);
  rtmp_amf_value_set_string (obj, "tcUrl", s->tc_url);

  s->connect_tid = client_next_tid (s);
  send_command (s, RTMP_MESSAGE_COMMAND_AMF0, RTMP_CSID_COMMAND, 0, "connect",
      s->connect_tid, obj, NULL);
  s->state = RTMP_SESSION_STATE_CONNECTING;
}

void
rtmp_session_client_start (RtmpSession * s)
{
  GByteArray *out;

  g_return_if_fail (s != NULL);
  g_return_if_fail (s->role == RTMP_SESSION_ROLE_CLIENT);
  g_return_if_fail (s->state == RTMP_SESSION_STATE_NEW);

  out = g_byte_array_new ();
  rtmp_handshake_start (s->hs, out);
  append_bytes (s, out);
  s->state = RTMP_SESSION_STATE_HANDSHAKE;
}

/* fills the REJECTED/ERROR/STATUS fields from an onStatus / _error info */
static void
fill_status (RtmpSessionEvent * ev, const RtmpCommand * cmd,
    const gchar * command)
{
  const RtmpAmfValue *info = cmd_arg (cmd, 3);

  ev->command = g_strdup (command);
  if (is_object (info)) {
    ev->level = g_strdup (rtmp_amf_value_lookup_string (info, "level"));
    ev->code = g_strdup (rtmp_amf_value_lookup_string (info, "code"));
    ev->description =
        g_strdup (rtmp_amf_value_lookup_string (info, "description"));
    ev->amf = rtmp_amf_value_ref ((RtmpAmfValue *) info);
  }
}

static void
client_rejected (RtmpSession * s, const RtmpCommand * cmd,
    const gchar * command)
{
  RtmpSessionEvent *ev;

  ev = push_event (s, s->state == RTMP_SESSION_STATE_PUBLISHING ?
      RTMP_SESSION_EVENT_ERROR : RTMP_SESSION_EVENT_REJECTED);
  fill_status (ev, cmd, command);
  GST_WARNING ("server refused %s: %s (%s)", command, GST_STR_NULL (ev->code),
      GST_STR_NULL (ev->description));
  if (s->state != RTMP_SESSION_STATE_PUBLISHING)
    s->state = RTMP_SESSION_STATE_REJECTED;
}

/* reference §1, §9.3: a refused connect may be an Adobe challenge */
static void
client_connect_error (RtmpSession * s, const RtmpCommand * cmd)
{
  const RtmpAmfValue *info = cmd_arg (cmd, 3);
  const gchar *desc = NULL;
  gchar *query = NULL, *reason = NULL;
  RtmpAuthClientResult r;
  RtmpSessionEvent *ev;

  if (is_object (info))
    desc = rtmp_amf_value_lookup_string (info, "description");
  r = rtmp_auth_client_handle_error (desc, s->username, s->password,
      s->auth_query, NULL, &query, &reason);
  if (r == RTMP_AUTH_CLIENT_NOT_AUTH) {
    client_rejected (s, cmd, "connect");
    return;
  }
  if (r == RTMP_AUTH_CLIENT_RETRY) {
    GST_INFO ("connect: authentication challenge, reconnecting with "
        "authmod=adobe (%s)", strstr (query, "response=") ? "response" :
        "user name");
    ev = push_event (s, RTMP_SESSION_EVENT_AUTH_RETRY);
    ev->query = query;
    ev->description = g_strdup (desc);
    s->state = RTMP_SESSION_STATE_REJECTED;
    return;
  }
  /* FAILED: a refusal whose description says why */
  ev = push_event (s, RTMP_SESSION_EVENT_REJECTED);
  fill_status (ev, cmd, "connect");
  ev->reason = reason;
  GST_WARNING ("server refused connect: %s (%s)", reason, GST_STR_NULL (desc));
  s->state = RTMP_SESSION_STATE_REJECTED;
}

static void
client_connected (RtmpSession * s, const RtmpCommand * cmd)
{
  RtmpSessionEvent *ev;
  const RtmpAmfValue *info = cmd_arg (cmd, 3);

  ev = push_event (s, RTMP_SESSION_EVENT_CONNECTED);
  if (is_object (info))
    ev->amf = rtmp_amf_value_ref ((RtmpAmfValue *) info);

  /* reference §14: Set Chunk Size early, then the FMLE sequence
   * back-to-back (releaseStream, FCPublish, createStream) */
  send_set_chunk_size (s, s->client_chunk_size);
  if (s->client_window_ack_size && s->announced_window == 0)
    send_window_ack_size (s, s->client_window_ack_size);
  send_command (s, RTMP_MESSAGE_COMMAND_AMF0, RTMP_CSID_COMMAND, 0,
      "releaseStream", client_next_tid (s), rtmp_amf_value_new_null (),
      rtmp_amf_value_new_string (s->stream), NULL);
  send_command (s, RTMP_MESSAGE_COMMAND_AMF0, RTMP_CSID_COMMAND, 0,
      "FCPublish", client_next_tid (s), rtmp_amf_value_new_null (),
      rtmp_amf_value_new_string (s->stream), NULL);
  s->create_stream_tid = client_next_tid (s);
  send_command (s, RTMP_MESSAGE_COMMAND_AMF0, RTMP_CSID_COMMAND, 0,
      "createStream", s->create_stream_tid, rtmp_amf_value_new_null (), NULL);
  s->state = RTMP_SESSION_STATE_CONNECTED;
}

static gboolean
client_stream_created (RtmpSession * s, const RtmpCommand * cmd,
    GError ** error)
{
  const RtmpAmfValue *v = cmd_arg (cmd, 3);
  gdouble id;

  if (v == NULL || rtmp_amf_value_get_type (v) != RTMP_AMF_NUMBER) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "_result of createStream: stream id is %s, expected a number",
        v ? rtmp_amf_type_get_name (rtmp_amf_value_get_type (v)) : "missing");
    return FALSE;
  }
  id = rtmp_amf_value_get_number (v);
  if (!(id >= 1 && id <= G_MAXUINT32) || id != (gdouble) (guint32) id) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "_result of createStream: invalid stream id %g", id);
    return FALSE;
  }
  s->stream_id = (guint32) id;
  /* reference §9.7: publish(name, "live") on the new stream; the next tid
   * like ffmpeg and librtmp */
  s->publish_tid = client_next_tid (s);
  send_command (s, RTMP_MESSAGE_COMMAND_AMF0, RTMP_CSID_COMMAND, s->stream_id,
      "publish", s->publish_tid, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_string (s->stream),
      rtmp_amf_value_new_string ("live"), NULL);
  s->state = RTMP_SESSION_STATE_PUBLISH_REQUESTED;
  return TRUE;
}

static void
client_on_status (RtmpSession * s, const RtmpCommand * cmd)
{
  const RtmpAmfValue *info = cmd_arg (cmd, 3);
  const gchar *level = NULL, *code = NULL;
  RtmpSessionEvent *ev;

  if (is_object (info)) {
    level = rtmp_amf_value_lookup_string (info, "level");
    code = rtmp_amf_value_lookup_string (info, "code");
  }
  if (g_strcmp0 (level, "error") == 0) {
    /* ffmpeg treats every error-level onStatus as fatal (reference §9.7) */
    client_rejected (s, cmd, "publish");
    return;
  }
  if (g_strcmp0 (code, "NetStream.Publish.Start") == 0
      && s->state == RTMP_SESSION_STATE_PUBLISH_REQUESTED) {
    s->state = RTMP_SESSION_STATE_PUBLISHING;
    ev = push_event (s, RTMP_SESSION_EVENT_PUBLISH_STARTED);
    ev->stream_name = g_strdup (s->stream);
    ev->stream_id = s->stream_id;
    return;
  }
  ev = push_event (s, RTMP_SESSION_EVENT_STATUS);
  fill_status (ev, cmd, "onStatus");
}

static gboolean
client_handle_command (RtmpSession * s, const RtmpCommand * cmd,
    GError ** error)
{
  const gchar *n = cmd->name;
  gboolean is_result = strcmp (n, "_result") == 0;
  gboolean is_error = strcmp (n, "_error") == 0;

  /* reference §9.4: match _result/_error by tid, react to onStatus codes,
   * ignore every other command (bare onFCPublish, onBWDone, _result with
   * only a null for releaseStream / _checkbw / publish) */
  if (is_result || is_error) {
    if (cmd->tid == 0) {
      GST_DEBUG ("%s without a transaction id: ignored", n);
      return TRUE;
    }
    if (cmd->tid == s->connect_tid
        && s->state == RTMP_SESSION_STATE_CONNECTING) {
      if (is_error)
        client_connect_error (s, cmd);
      else
        client_connected (s, cmd);
      return TRUE;
    }
    if (cmd->tid == s->create_stream_tid
        && s->state == RTMP_SESSION_STATE_CONNECTED) {
      if (is_error) {
        client_rejected (s, cmd, "createStream");
        return TRUE;
      }
      return client_stream_created (s, cmd, error);
    }
    if (is_error && cmd->tid == s->publish_tid
        && s->state == RTMP_SESSION_STATE_PUBLISH_REQUESTED) {
      client_rejected (s, cmd, "publish");
      return TRUE;
    }
    GST_DEBUG ("%s for tid %.0f: ignored", n, cmd->tid);
    return TRUE;
  }
  if (strcmp (n, "onStatus") == 0) {
    client_on_status (s, cmd);
    return TRUE;
  }
  if (strcmp (n, "deleteStream") == 0 || strcmp (n, "close") == 0) {
    /* ffmpeg's server sends deleteStream at shutdown ([CAP]) */
    RtmpSessionEvent *ev = push_event (s,
        RTMP_SESSION_EVENT_CLOSE_REQUESTED);
    ev->command = g_strdup (n);
    return TRUE;
  }
  GST_DEBUG ("ignoring command '%s' (tid %.0f)", n, cmd->tid);
  return TRUE;
}

gboolean
rtmp_session_send_media (RtmpSession * s, const RtmpMessage * msg,
    GError ** error)
{
  RtmpMessage out = { 0, };

  g_return_val_if_fail (s != NULL && msg != NULL, FALSE);

  if (s->role != RTMP_SESSION_ROLE_CLIENT
      || s->state != RTMP_SESSION_STATE_PUBLISHING) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_STATE,
        "cannot send media in state %s", rtmp_session_state_get_name
        (s->state));
    return FALSE;
  }
  switch (msg->type) {
    case RTMP_MESSAGE_AUDIO:
      out.csid = RTMP_CSID_AUDIO;
      break;
    case RTMP_MESSAGE_VIDEO:
      out.csid = RTMP_CSID_VIDEO;
      break;
    case RTMP_MESSAGE_DATA_AMF0:
      out.csid = RTMP_CSID_DATA;
      break;
    default:
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED,
          "cannot send a %s message (type %u) as media",
          rtmp_message_type_get_name (msg->type), msg->type);
      return FALSE;
  }
  if (rtmp_message_get_size (msg) > 0xFFFFFF) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
        "%s message of %" G_GSIZE_FORMAT " bytes does not fit the 24-bit "
        "message length", rtmp_message_type_get_name (msg->type),
        rtmp_message_get_size (msg));
    return FALSE;
  }
  out.type = msg->type;
  out.msid = s->stream_id;
  out.timestamp = msg->timestamp;
  /* the writer takes its own references to slices of the payload */
  out.payload = msg->payload;
  write_message (s, &out);
  return TRUE;
}

void
rtmp_session_client_unpublish (RtmpSession * s)
{
  g_return_if_fail (s != NULL);
  g_return_if_fail (s->role == RTMP_SESSION_ROLE_CLIENT);

  if (s->stream_id == 0 || s->state == RTMP_SESSION_STATE_UNPUBLISHED
      || s->state == RTMP_SESSION_STATE_FAILED)
    return;
  /* reference §9.9 */
  send_command (s, RTMP_MESSAGE_COMMAND_AMF0, RTMP_CSID_COMMAND, 0,
      "FCUnpublish", client_next_tid (s), rtmp_amf_value_new_null (),
      rtmp_amf_value_new_string (s->stream), NULL);
  send_command (s, RTMP_MESSAGE_COMMAND_AMF0, RTMP_CSID_COMMAND, 0,
      "deleteStream", client_next_tid (s), rtmp_amf_value_new_null (),
      rtmp_amf_value_new_number (s->stream_id), NULL);
  s->state = RTMP_SESSION_STATE_UNPUBLISHED;
}

/* ========================================================================== */
/* Shared: control messages, dispatch, feed                                   */
/* ========================================================================== */

static gboolean
handle_control (RtmpSession * s, const RtmpMessage * msg, GError ** error)
{
  RtmpControl ctrl;
  RtmpSessionEvent *ev;
  GError *err = NULL;

  if (!rtmp_control_parse (msg, &ctrl, &err)) {
    if (msg->type == RTMP_MESSAGE_USER_CONTROL) {
      /* unknown / short user control events: ignore (reference §5) */
      GST_DEBUG ("ignoring user control message: %s", err->message);
      g_clear_error (&err);
      return TRUE;
    }
    g_propagate_error (error, err);
    return FALSE;
  }

  switch (msg->type) {
    case RTMP_MESSAGE_SET_CHUNK_SIZE:
      /* the reader already applied it */
      ev = push_event (s, RTMP_SESSION_EVENT_PEER_CHUNK_SIZE);
      ev->value = rtmp_chunk_reader_get_chunk_size (s->reader);
      GST_DEBUG ("peer chunk size %u", ev->value);
      break;
    case RTMP_MESSAGE_ABORT:
      GST_DEBUG ("peer aborted csid %u", ctrl.value);
      break;
    case RTMP_MESSAGE_ACKNOWLEDGEMENT:
      ev = push_event (s, RTMP_SESSION_EVENT_ACK_RECEIVED);
      ev->value = ctrl.value;
      break;
    case RTMP_MESSAGE_USER_CONTROL:
      if (ctrl.event == RTMP_USER_PING_REQUEST) {
        GST_DEBUG ("ping request %u", ctrl.value);
        send_user_control (s, RTMP_USER_PING_RESPONSE, ctrl.value);
      } else {
        /* StreamBegin from nginx's push client, SetBufferLength, ... */
        GST_DEBUG ("ignoring user control event %u (%u)", ctrl.event,
            ctrl.value);
      }
      break;
    case RTMP_MESSAGE_WINDOW_ACK_SIZE:
      GST_DEBUG ("peer window ack size %u", ctrl.value);
      s->peer_window = ctrl.value;
      break;
    case RTMP_MESSAGE_SET_PEER_BANDWIDTH:
      /* reference §4: answer with Window Ack Size if it differs */
      GST_DEBUG ("peer bandwidth %u limit %u", ctrl.value, ctrl.limit_type);
      if (ctrl.value != s->announced_window && ctrl.value != 0)
        send_window_ack_size (s, ctrl.value);
      break;
    default:
      break;
  }
  return TRUE;
}

/* Handles one message; takes its payload. */
static gboolean
handle_message (RtmpSession * s, RtmpMessage * msg, GError ** error)
{
  s->messages_in++;
  GST_LOG ("<<< %s csid %u msid %u ts %u len %" G_GSIZE_FORMAT,
      rtmp_message_type_get_name (msg->type), msg->csid, msg->msid,
      msg->timestamp, rtmp_message_get_size (msg));

  switch (msg->type) {
    case RTMP_MESSAGE_SET_CHUNK_SIZE:
    case RTMP_MESSAGE_ABORT:
    case RTMP_MESSAGE_ACKNOWLEDGEMENT:
    case RTMP_MESSAGE_USER_CONTROL:
    case RTMP_MESSAGE_WINDOW_ACK_SIZE:
    case RTMP_MESSAGE_SET_PEER_BANDWIDTH:
      return handle_control (s, msg, error);
    case RTMP_MESSAGE_COMMAND_AMF0:
    case RTMP_MESSAGE_COMMAND_AMF3:{
      RtmpCommand cmd;
      gboolean ret;

      RtmpSessionEvent *ev;

      if (!parse_command (s, msg, &cmd, error))
        return FALSE;
      ev = push_event (s, RTMP_SESSION_EVENT_COMMAND);
      ev->command = g_strdup (cmd.name);
      ev->transaction_id = cmd.tid;
      ev->stream_id = cmd.msid;
      if (s->role == RTMP_SESSION_ROLE_SERVER)
        ret = server_handle_command (s, &cmd, error);
      else
        ret = client_handle_command (s, &cmd, error);
      g_ptr_array_unref (cmd.args);
      return ret;
    }
    case RTMP_MESSAGE_AUDIO:
    case RTMP_MESSAGE_VIDEO:
    case RTMP_MESSAGE_DATA_AMF0:
    case RTMP_MESSAGE_DATA_AMF3:
    case RTMP_MESSAGE_AGGREGATE:
      if (s->role == RTMP_SESSION_ROLE_SERVER)
        server_handle_media (s, msg);
      else
        GST_DEBUG ("ignoring %s message from the server",
            rtmp_message_type_get_name (msg->type));
      return TRUE;
    default:
      /* shared objects (16/19) and unknown types */
      GST_DEBUG ("ignoring %s message (type %u)",
          rtmp_message_type_get_name (msg->type), msg->type);
      return TRUE;
  }
}

/* reference §4: an Acknowledgement every time the peer's window is filled
 * (bytes after the handshake, sequence number modulo 2^32) */
static void
maybe_send_ack (RtmpSession * s)
{
  RtmpMessage msg = { 0, };

  if (s->peer_window == 0 || s->ack_received - s->ack_last < s->peer_window)
    return;
  GST_DEBUG ("acknowledging %" G_GUINT64_FORMAT " bytes", s->ack_received);
  rtmp_control_build_ack ((guint32) s->ack_received, &msg);
  queue_message (s, &msg);
  s->ack_last = s->ack_received;
}

static void
on_handshake_done (RtmpSession * s)
{
  GST_DEBUG ("handshake done (digest %d)", rtmp_handshake_is_digest (s->hs));
  s->handshake_done = TRUE;
  push_event (s, RTMP_SESSION_EVENT_HANDSHAKE_DONE);
  s->state = RTMP_SESSION_STATE_CONNECTING;
  if (s->role == RTMP_SESSION_ROLE_CLIENT)
    client_send_connect (s);
}

gboolean
rtmp_session_feed (RtmpSession * s, const guint8 * data, gsize size,
    gsize * consumed, GError ** error)
{
  gsize off = 0;
  GError *err = NULL;

  g_return_val_if_fail (s != NULL, FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);

  if (consumed)
    *consumed = 0;
  if (s->state == RTMP_SESSION_STATE_FAILED) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_STATE,
        "the session failed earlier and cannot take more input");
    return FALSE;
  }
  if (s->state == RTMP_SESSION_STATE_NEW) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_STATE,
        "client session fed before rtmp_session_client_start()");
    return FALSE;
  }

  if (s->role == RTMP_SESSION_ROLE_SERVER
      && s->state == RTMP_SESSION_STATE_REJECTED) {
    /* authentication refused the connect: the peer is being closed */
    s->bytes_in += size;
    if (consumed)
      *consumed = size;
    return TRUE;
  }

  while (off < size && !s->blocked) {
    gsize c = 0;

    if (!s->handshake_done) {
      GByteArray *out = g_byte_array_new ();
      RtmpHandshakeResult r;

      r = rtmp_handshake_feed (s->hs, data + off, size - off, &c, out, &err);
      append_bytes (s, out);
      off += c;
      s->bytes_in += c;
      if (r == RTMP_HANDSHAKE_ERROR)
        goto failed;
      if (r == RTMP_HANDSHAKE_DONE) {
        on_handshake_done (s);
        continue;
      }
      break;
    } else {
      RtmpMessage msg = { 0, };
      RtmpReadResult r;

      r = rtmp_chunk_reader_feed (s->reader, data + off, size - off, &c, &msg,
          &err);
      off += c;
      s->bytes_in += c;
      s->ack_received += c;
      if (r == RTMP_READ_ERROR)
        goto failed;
      maybe_send_ack (s);
      if (r == RTMP_READ_MESSAGE) {
        gboolean ok = handle_message (s, &msg, &err);

        rtmp_message_clear (&msg);
        if (!ok)
          goto failed;
        if (s->role == RTMP_SESSION_ROLE_SERVER
            && s->state == RTMP_SESSION_STATE_REJECTED) {
          /* refused by authentication: the rest is discarded */
          s->bytes_in += size - off;
          off = size;
          break;
        }
        continue;
      }
      break;
    }
  }

  if (consumed)
    *consumed = off;
  return TRUE;

failed:
  if (err == NULL)
    g_set_error (&err, RTMP_ERROR, RTMP_ERROR_PROTOCOL, "unknown failure");
  GST_WARNING ("session failed: %s", err->message);
  g_propagate_error (error, err);
  s->state = RTMP_SESSION_STATE_FAILED;
  s->blocked = FALSE;
  if (consumed)
    *consumed = off;
  return FALSE;
}

/* --- stats ------------------------------------------------------------------ */

RtmpSessionState
rtmp_session_get_state (const RtmpSession * s)
{
  return s->state;
}

guint64
rtmp_session_get_bytes_in (const RtmpSession * s)
{
  return s->bytes_in;
}

guint64
rtmp_session_get_bytes_out (const RtmpSession * s)
{
  return s->bytes_out + s->out_size;
}

guint64
rtmp_session_get_messages_in (const RtmpSession * s)
{
  return s->messages_in;
}

guint64
rtmp_session_get_messages_out (const RtmpSession * s)
{
  return s->messages_out;
}

guint32
rtmp_session_get_peer_chunk_size (const RtmpSession * s)
{
  return rtmp_chunk_reader_get_chunk_size (s->reader);
}

guint32
rtmp_session_get_stream_id (const RtmpSession * s)
{
  return s->stream_id;
}
