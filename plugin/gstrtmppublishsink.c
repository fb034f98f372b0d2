/* GStreamer RTMP publishing sink.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-rtmppublishsink
 * @title: rtmppublishsink
 *
 * Publishes an FLV stream (the output of `flvmux streamable=true`) to an
 * RTMP server (nginx-rtmp, SRS, MediaMTX, ffmpeg -listen, YouTube/Twitch
 * ingest, rtmpingestsrc), optionally reconnecting when the connection is
 * lost.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! x264enc tune=zerolatency ! \
 *   flvmux name=m streamable=true ! \
 *   rtmppublishsink location=rtmp://127.0.0.1/live/key \
 *   audiotestsrc is-live=true ! voaacenc ! m.
 * ]|
 *
 * See docs/rtmppublishsink.md for properties, bus messages and statistics.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtmppublishsink.h"

#include <string.h>

#include "rtmp-error.h"
#include "rtmp-flv.h"
#include "rtmp-net-client.h"
#include "rtmp-session.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtmp_publish_sink_debug);
#define GST_CAT_DEFAULT gst_rtmp_publish_sink_debug

#define DEFAULT_PORT 1935
/* reference §1, §13: ffmpeg, librtmp and rtmp2 default rtmps to 443 */
#define DEFAULT_TLS_PORT 443
#define DEFAULT_TLS_VALIDATION TRUE
#define DEFAULT_CHUNK_SIZE RTMP_SESSION_DEFAULT_CHUNK_SIZE
#define DEFAULT_TIMEOUT 10
#define DEFAULT_FLASH_VERSION RTMP_SESSION_DEFAULT_FLASH_VER
#define DEFAULT_RECONNECT FALSE
#define DEFAULT_MAX_RECONNECT_ATTEMPTS -1
#define DEFAULT_RECONNECT_DELAY 1000
#define DEFAULT_MAX_QUEUE_BYTES (2 * 1024 * 1024)
#define DEFAULT_DROP_WHEN_CONGESTED FALSE
/* Input whose running time has run this much further than the clock since
 * the segment's first buffer, and is ahead of the clock, is faster than
 * real time: its messages may wait for a batch (RtmpNetClientPushFlags). */
#define AHEAD_NS (1 * GST_SECOND)

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_HOST,
  PROP_PORT,
  PROP_APPLICATION,
  PROP_STREAM,
  PROP_CHUNK_SIZE,
  PROP_TIMEOUT,
  PROP_FLASH_VERSION,
  PROP_RECONNECT,
  PROP_MAX_RECONNECT_ATTEMPTS,
  PROP_RECONNECT_DELAY,
  PROP_MAX_QUEUE_BYTES,
  PROP_DROP_WHEN_CONGESTED,
  PROP_STATS,
  PROP_TLS_CA_FILE,
  PROP_TLS_VALIDATION,
  PROP_USERNAME,
  PROP_PASSWORD,
};

struct _GstRtmpPublishSink
{
  GstBaseSink parent;

  /* properties, under the object lock */
  gchar *host;
  guint port;
  gchar *application;
  gchar *stream;
  guint chunk_size;
  guint timeout;
  gchar *flash_version;
  gboolean reconnect;
  gint max_reconnect_attempts;
  guint reconnect_delay;
  guint max_queue_bytes;
  gboolean drop_when_congested;
  gboolean tls;                 /* rtmps:// */
  gchar *tls_ca_file;
  gboolean tls_validation;
  gchar *username;
  gchar *password;

  /* between start() and stop() */
  RtmpNetClient *client;
  GstStructure *last_stats;     /* object lock; after stop() */
  gboolean error_posted;        /* atomic */
  gboolean failed;              /* atomic: set once the error is on the bus */
  gboolean was_lost;            /* network thread */

  /* streaming thread */
  RtmpFlvParser *parser;
  GstBufferList *streamheader;
  gboolean first_buffer_done;
  gboolean have_base;
  guint32 base_ts;
  gboolean have_pace;           /* pace_rt / pace_clock are set */
  GstClockTime pace_rt;         /* running time of the segment's first */
  GstClockTime pace_clock;      /* clock running time when it came */
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-flv"));

static void gst_rtmp_publish_sink_uri_handler_init (gpointer g_iface,
    gpointer iface_data);

#define gst_rtmp_publish_sink_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstRtmpPublishSink, gst_rtmp_publish_sink,
    GST_TYPE_BASE_SINK,
    G_IMPLEMENT_INTERFACE (GST_TYPE_URI_HANDLER,
        gst_rtmp_publish_sink_uri_handler_init);
    GST_DEBUG_CATEGORY_INIT (gst_rtmp_publish_sink_debug, "rtmppublishsink",
        0, "RTMP publishing sink"));
GST_ELEMENT_REGISTER_DEFINE (rtmppublishsink, "rtmppublishsink",
    GST_RANK_NONE, GST_TYPE_RTMP_PUBLISH_SINK);

/* ------------------------------------------------------------------------ */
/* Location                                                                 */
/* ------------------------------------------------------------------------ */

/* rtmp://host[:port]/app[/instance]/stream[?query] (reference §1): the app
 * is everything up to the last '/', the stream the rest incl. the query. */
static gboolean
parse_location (const gchar * location, gchar ** host, guint * port,
    gchar ** app, gchar ** stream, gboolean * tls, gchar ** user,
    gchar ** password, GError ** error)
{
  gchar *scheme = NULL, *h = NULL, *path = NULL, *query = NULL;
  gchar *userinfo = NULL;
  gint p = -1;
  const gchar *pp, *slash;
  gboolean ret = FALSE;

  if (!g_uri_split_network (location, G_URI_FLAGS_ENCODED_PATH |
          G_URI_FLAGS_ENCODED_QUERY | G_URI_FLAGS_NON_DNS, &scheme, &h, &p,
          error))
    goto out;
  /* g_uri_split_network() gives no path: split again for it */
  if (!g_uri_split (location, G_URI_FLAGS_ENCODED_PATH |
          G_URI_FLAGS_ENCODED_QUERY | G_URI_FLAGS_NON_DNS, NULL, &userinfo,
          NULL, NULL, &path, &query, NULL, error))
    goto out;
  if (g_ascii_strcasecmp (scheme, "rtmp") == 0) {
    *tls = FALSE;
  } else if (g_ascii_strcasecmp (scheme, "rtmps") == 0) {
    *tls = TRUE;
  } else {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_UNSUPPORTED_PROTOCOL,
        "Unsupported scheme '%s' in '%s': use rtmp:// or rtmps://", scheme,
        location);
    goto out;
  }
  if (h == NULL || *h == '\0') {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
        "No host in '%s': use rtmp://host[:port]/app/stream", location);
    goto out;
  }
  pp = path;
  while (*pp == '/')
    pp++;
  slash = strrchr (pp, '/');
  if (slash == NULL || slash == pp || slash[1] == '\0') {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
        "'%s' lacks an application or a stream name: use "
        "rtmp://host[:port]/app/stream", location);
    goto out;
  }
  *host = g_strdup (h);
  *port = p > 0 ? (guint) p : (*tls ? DEFAULT_TLS_PORT : DEFAULT_PORT);
  /* rtmp://user:password@host/... as ffmpeg and rtmp2 take it (Adobe
   * authentication); %-escapes decoded */
  *user = *password = NULL;
  if (userinfo && *userinfo) {
    const gchar *colon = strchr (userinfo, ':');
    gchar *u = colon ? g_strndup (userinfo, colon - userinfo) :
        g_strdup (userinfo);

    *user = g_uri_unescape_string (u, NULL);
    g_free (u);
    if (colon)
      *password = g_uri_unescape_string (colon + 1, NULL);
  }
  *app = g_strndup (pp, slash - pp);
  *stream = query ? g_strdup_printf ("%s?%s", slash + 1, query) :
      g_strdup (slash + 1);
  ret = TRUE;

out:
  g_free (scheme);
  g_free (userinfo);
  g_free (path);
  g_free (h);
  g_free (query);
  return ret;
}

/* object lock held */
static gchar *
build_location (GstRtmpPublishSink * self)
{
  const gchar *h = self->host ? self->host : "";
  gboolean v6 = strchr (h, ':') != NULL;
  GString *s = g_string_new (self->tls ? "rtmps://" : "rtmp://");

  /* the credentials are not repeated (they would end up in logs) */
  g_string_append_printf (s, v6 ? "[%s]" : "%s", h);
  if (self->port != (self->tls ? DEFAULT_TLS_PORT : DEFAULT_PORT))
    g_string_append_printf (s, ":%u", self->port);
  g_string_append_printf (s, "/%s/%s", self->application ?
      self->application : "", self->stream ? self->stream : "");
  return g_string_free (s, FALSE);
}

/* object lock held */
static gchar *
build_tc_url (GstRtmpPublishSink * self)
{
  gboolean v6 = strchr (self->host, ':') != NULL;

  /* reference §13: tcUrl keeps the rtmps scheme */
  return g_strdup_printf (v6 ? "%s://[%s]:%u/%s" : "%s://%s:%u/%s",
      self->tls ? "rtmps" : "rtmp", self->host, self->port,
      self->application);
}

static gboolean
set_location (GstRtmpPublishSink * self, const gchar * location,
    GError ** error)
{
  gchar *host = NULL, *app = NULL, *stream = NULL, *user = NULL, *pass = NULL;
  guint port = 0;
  gboolean tls = FALSE;

  if (location == NULL) {
    GST_OBJECT_LOCK (self);
    g_clear_pointer (&self->host, g_free);
    g_clear_pointer (&self->application, g_free);
    g_clear_pointer (&self->stream, g_free);
    self->port = DEFAULT_PORT;
    self->tls = FALSE;
    GST_OBJECT_UNLOCK (self);
    return TRUE;
  }
  if (!parse_location (location, &host, &port, &app, &stream, &tls, &user,
          &pass, error))
    return FALSE;
  GST_OBJECT_LOCK (self);
  self->tls = tls;
  if (user) {
    g_free (self->username);
    self->username = user;
    g_free (self->password);
    self->password = pass;
  }
  g_free (self->host);
  g_free (self->application);
  g_free (self->stream);
  self->host = host;
  self->port = port;
  self->application = app;
  self->stream = stream;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Network client callbacks (network thread)                                */
/* ------------------------------------------------------------------------ */

static void
post_element_message (GstRtmpPublishSink * self, GstStructure * s)
{
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static void
on_state_changed (RtmpNetClient * client, RtmpNetClientState state,
    guint attempt, const GError * error, gpointer user_data)
{
  GstRtmpPublishSink *self = user_data;

  switch (state) {
    case RTMP_NET_CLIENT_STATE_PUBLISHING:{
      GstStructure *stats = rtmp_net_client_get_stats (client);

      GST_INFO_OBJECT (self, "publishing to %s",
          gst_structure_get_string (stats, "server"));
      post_element_message (self, gst_structure_new (self->was_lost ?
              "rtmppublishsink-reconnected" : "rtmppublishsink-connected",
              "server", G_TYPE_STRING, gst_structure_get_string (stats,
                  "server"), NULL));
      self->was_lost = FALSE;
      gst_structure_free (stats);
      break;
    }
    case RTMP_NET_CLIENT_STATE_RECONNECT_WAIT:
      GST_WARNING_OBJECT (self, "connection lost (%s), reconnection "
          "attempt %u", error ? error->message : "?", attempt);
      if (!self->was_lost)
        post_element_message (self,
            gst_structure_new ("rtmppublishsink-connection-lost",
                "reason", G_TYPE_STRING, error ? error->message : "",
                "attempt", G_TYPE_UINT, attempt, NULL));
      else
        post_element_message (self,
            gst_structure_new ("rtmppublishsink-reconnect-failed",
                "reason", G_TYPE_STRING, error ? error->message : "",
                "attempt", G_TYPE_UINT, attempt, NULL));
      self->was_lost = TRUE;
      break;
    case RTMP_NET_CLIENT_STATE_ERROR:{
      gchar *location;

      if (!g_atomic_int_compare_and_exchange (&self->error_posted, FALSE, TRUE))
        break;
      GST_OBJECT_LOCK (self);
      location = build_location (self);
      GST_OBJECT_UNLOCK (self);
      if (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_AUTH)) {
        GST_ELEMENT_ERROR (self, RESOURCE, NOT_AUTHORIZED,
            ("Could not publish to %s. %s. Check the username and password "
                "properties (or rtmp://user:password@host/... in location).",
                location, error->message), ("%s", error->message));
      } else if (g_error_matches (error, G_TLS_ERROR,
              G_TLS_ERROR_BAD_CERTIFICATE)) {
        GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
            ("Could not publish to %s: %s", location, error->message),
            ("%s", error->message));
      } else if (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_REJECTED)) {
        GST_ELEMENT_ERROR (self, RESOURCE, NOT_AUTHORIZED,
            ("Could not publish to %s. %s. Check the application name, the "
                "stream key and the server's publish permissions.", location,
                error->message), ("%s", error->message));
      } else {
        gboolean reconnect;

        GST_OBJECT_LOCK (self);
        reconnect = self->reconnect;
        GST_OBJECT_UNLOCK (self);
        GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
            ("Could not publish to %s. %s. Check the address, the network "
                "and that the server is running%s.", location,
                error->message, reconnect ? "" :
                "; set reconnect=true to survive connection losses"), ("%s",
                error->message));
      }
      g_free (location);
      /* only now may the streaming thread fail: its flow error would make
       * upstream post a vaguer error of its own, which must come second */
      g_atomic_int_set (&self->failed, TRUE);
      break;
    }
    default:
      break;
  }
}

/* ------------------------------------------------------------------------ */
/* GstBaseSink                                                              */
/* ------------------------------------------------------------------------ */

static gboolean
gst_rtmp_publish_sink_start (GstBaseSink * bsink)
{
  GstRtmpPublishSink *self = GST_RTMP_PUBLISH_SINK (bsink);
  RtmpNetClientConfig config;
  RtmpNetClientCallbacks callbacks = { on_state_changed };
  gchar *tc_url;

  GST_OBJECT_LOCK (self);
  if (self->host == NULL || self->application == NULL
      || self->stream == NULL || *self->host == '\0'
      || *self->application == '\0' || *self->stream == '\0') {
    GST_OBJECT_UNLOCK (self);
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("No complete RTMP address: set location=rtmp://host[:port]/app/"
            "stream (or host, application and stream)."), (NULL));
    return FALSE;
  }
  tc_url = build_tc_url (self);
  rtmp_net_client_config_init (&config);
  config.host = self->host;
  config.port = self->port;
  config.app = self->application;
  config.tc_url = tc_url;
  config.stream = self->stream;
  config.flash_ver = self->flash_version;
  config.chunk_size = self->chunk_size;
  config.timeout_ms = self->timeout * 1000;
  config.reconnect = self->reconnect;
  config.max_reconnect_attempts = self->max_reconnect_attempts;
  config.reconnect_delay_ms = MAX (self->reconnect_delay, 1);
  config.max_queue_bytes = self->max_queue_bytes;
  config.drop_when_congested = self->drop_when_congested;
  config.tls = self->tls;
  config.tls_ca_file = self->tls_ca_file;
  config.tls_validation = self->tls_validation;
  config.username = self->username;
  config.password = self->password;
  if (self->tls && !self->tls_validation)
    GST_WARNING_OBJECT (self, "tls-validation=false: the server's "
        "certificate is not checked, anyone on the path can impersonate it");
  self->client = rtmp_net_client_new (&config, &callbacks, self);
  g_clear_pointer (&self->last_stats, gst_structure_free);
  GST_OBJECT_UNLOCK (self);
  g_free (tc_url);

  self->error_posted = FALSE;
  self->failed = FALSE;
  self->was_lost = FALSE;
  self->parser = rtmp_flv_parser_new ();
  self->first_buffer_done = FALSE;
  self->have_base = FALSE;
  self->have_pace = FALSE;
  rtmp_net_client_start (self->client);
  return TRUE;
}

static gboolean
gst_rtmp_publish_sink_stop (GstBaseSink * bsink)
{
  GstRtmpPublishSink *self = GST_RTMP_PUBLISH_SINK (bsink);
  RtmpNetClient *client;

  GST_OBJECT_LOCK (self);
  client = self->client;
  GST_OBJECT_UNLOCK (self);
  if (client) {
    GstStructure *stats;

    rtmp_net_client_stop (client);
    stats = rtmp_net_client_get_stats (client);
    GST_OBJECT_LOCK (self);
    self->client = NULL;
    g_clear_pointer (&self->last_stats, gst_structure_free);
    self->last_stats = stats;
    GST_OBJECT_UNLOCK (self);
    rtmp_net_client_free (client);
  }
  g_clear_pointer (&self->parser, rtmp_flv_parser_free);
  g_clear_pointer (&self->streamheader, gst_buffer_list_unref);
  return TRUE;
}

static gboolean
gst_rtmp_publish_sink_unlock (GstBaseSink * bsink)
{
  GstRtmpPublishSink *self = GST_RTMP_PUBLISH_SINK (bsink);

  if (self->client)
    rtmp_net_client_set_flushing (self->client, TRUE);
  return TRUE;
}

static gboolean
gst_rtmp_publish_sink_unlock_stop (GstBaseSink * bsink)
{
  GstRtmpPublishSink *self = GST_RTMP_PUBLISH_SINK (bsink);

  if (self->client)
    rtmp_net_client_set_flushing (self->client, FALSE);
  return TRUE;
}

static gboolean
gst_rtmp_publish_sink_set_caps (GstBaseSink * bsink, GstCaps * caps)
{
  GstRtmpPublishSink *self = GST_RTMP_PUBLISH_SINK (bsink);
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  const GValue *sh = gst_structure_get_value (s, "streamheader");
  guint i;

  g_clear_pointer (&self->streamheader, gst_buffer_list_unref);
  if (sh == NULL || !GST_VALUE_HOLDS_ARRAY (sh))
    return TRUE;
  self->streamheader = gst_buffer_list_new ();
  for (i = 0; i < gst_value_array_get_size (sh); i++) {
    const GValue *v = gst_value_array_get_value (sh, i);

    if (G_VALUE_HOLDS (v, GST_TYPE_BUFFER))
      gst_buffer_list_add (self->streamheader,
          gst_buffer_ref (gst_value_get_buffer (v)));
  }
  GST_DEBUG_OBJECT (self, "%u streamheader buffers",
      gst_buffer_list_length (self->streamheader));
  return TRUE;
}

static GstFlowReturn
post_push_error (GstRtmpPublishSink * self, GError * err)
{
  if (g_atomic_int_compare_and_exchange (&self->error_posted, FALSE, TRUE))
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("Could not publish: %s", err ? err->message : "unknown error"),
        (NULL));
  g_clear_error (&err);
  return GST_FLOW_ERROR;
}

static GstFlowReturn
handle_tag (GstRtmpPublishSink * self, RtmpMessage * msg,
    RtmpNetClientPushFlags flags)
{
  GError *err = NULL;
  RtmpNetClientPushResult res;

  /* rebase so the first tag is at 0; modulo 2^32 as on the wire (the
   * peer extends across the wrap, reference §3.5) */
  if (!self->have_base) {
    self->base_ts = msg->timestamp;
    self->have_base = TRUE;
  }
  msg->timestamp -= self->base_ts;

  if (msg->type == RTMP_MESSAGE_DATA_AMF0) {
    gchar *name = NULL;
    RtmpAmfValue *value = NULL;

    if (rtmp_flv_parse_script (msg->payload, NULL, &name, &value, &err)
        && g_strcmp0 (name, "onMetaData") == 0) {
      GstBuffer *body = rtmp_flv_add_set_data_frame (msg->payload);

      gst_buffer_unref (msg->payload);
      msg->payload = body;
      rtmp_net_client_set_header (self->client, msg);
    } else if (err) {
      GST_DEBUG_OBJECT (self, "script tag not parsed (%s): sent as is",
          err->message);
      g_clear_error (&err);
    }
    g_free (name);
    if (value)
      rtmp_amf_value_unref (value);
  } else if (rtmp_flv_is_sequence_header (msg->type, msg->payload)) {
    GST_DEBUG_OBJECT (self, "%s sequence header",
        rtmp_message_type_get_name (msg->type));
    rtmp_net_client_set_header (self->client, msg);
  }

  res = rtmp_net_client_push (self->client, msg, flags, &err);
  switch (res) {
    case RTMP_NET_CLIENT_PUSH_OK:
    case RTMP_NET_CLIENT_PUSH_DROPPED:
      return GST_FLOW_OK;
    case RTMP_NET_CLIENT_PUSH_FLUSHING:
      return GST_FLOW_FLUSHING;
    case RTMP_NET_CLIENT_PUSH_ERROR:
    default:
      return post_push_error (self, err);
  }
}

static GstFlowReturn
parse_and_push (GstRtmpPublishSink * self, GstBuffer * buf,
    RtmpNetClientPushFlags flags)
{
  GstFlowReturn ret = GST_FLOW_OK;

  rtmp_flv_parser_push (self->parser, gst_buffer_ref (buf));
  while (ret == GST_FLOW_OK) {
    RtmpMessage msg = { 0, };
    GError *err = NULL;

    switch (rtmp_flv_parser_pull (self->parser, &msg, &err)) {
      case RTMP_FLV_PARSE_NEED_MORE:
        return GST_FLOW_OK;
      case RTMP_FLV_PARSE_TAG:
        ret = handle_tag (self, &msg, flags);
        rtmp_message_clear (&msg);
        break;
      case RTMP_FLV_PARSE_ERROR:
      default:
        GST_ELEMENT_ERROR (self, STREAM, DECODE,
            ("Invalid FLV input: %s. Feed the output of flvmux "
                "streamable=true.", err ? err->message : "unknown"), (NULL));
        g_clear_error (&err);
        return GST_FLOW_ERROR;
    }
  }
  return ret;
}

/* Once the connection failed for good (the error is posted from the
 * network thread), neither preroll nor render may succeed: a pipeline
 * that completed its preroll after the error would leave gst-launch-1.0
 * waiting forever (1.22 handles an ERROR that comes during its first
 * set_state (PAUSED) by quitting a main loop that is not running yet, then
 * runs it and waits; a failed preroll makes the state change fail, which
 * it does handle). The failed preroll aborts the state change
 * (gst_element_abort_state()); see tests/valgrind.supp for what flvmux
 * 1.22 sometimes loses on that path. */
static GstFlowReturn
gst_rtmp_publish_sink_preroll (GstBaseSink * bsink, GstBuffer * buf)
{
  GstRtmpPublishSink *self = GST_RTMP_PUBLISH_SINK (bsink);

  if (g_atomic_int_get (&self->failed))
    return GST_FLOW_ERROR;
  return GST_FLOW_OK;
}

/* TRUE when @buf is ahead of the clock and the input's running time has
 * advanced AHEAD_NS more than the clock's since the segment's first
 * buffer: the input comes faster than real time (a file read as fast as
 * it can be), so its messages can wait a little for a batch and still go
 * out long before they are due. Live input (never ahead of the clock),
 * sync=true and real-time input (paced like the clock) never are. */
static gboolean
input_is_ahead (GstRtmpPublishSink * self, GstBuffer * buf)
{
  GstBaseSink *bsink = GST_BASE_SINK (self);
  GstClockTime ts, rt, now, base;
  GstClock *clock;

  ts = GST_BUFFER_DTS_OR_PTS (buf);
  if (!GST_CLOCK_TIME_IS_VALID (ts) || bsink->segment.format != GST_FORMAT_TIME)
    return FALSE;
  rt = gst_segment_to_running_time (&bsink->segment, GST_FORMAT_TIME, ts);
  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return FALSE;

  GST_OBJECT_LOCK (self);
  clock = GST_ELEMENT_CLOCK (self) ? gst_object_ref (GST_ELEMENT_CLOCK (self))
      : NULL;
  base = GST_ELEMENT_CAST (self)->base_time;
  GST_OBJECT_UNLOCK (self);
  if (clock == NULL)
    return FALSE;
  now = gst_clock_get_time (clock);
  gst_object_unref (clock);
  if (!GST_CLOCK_TIME_IS_VALID (now) || now < base)
    return FALSE;
  now -= base;

  if (!self->have_pace || rt < self->pace_rt || now < self->pace_clock) {
    self->have_pace = TRUE;
    self->pace_rt = rt;
    self->pace_clock = now;
    return FALSE;
  }
  return rt > now && rt - self->pace_rt > now - self->pace_clock + AHEAD_NS;
}

static GstFlowReturn
gst_rtmp_publish_sink_render (GstBaseSink * bsink, GstBuffer * buf)
{
  GstRtmpPublishSink *self = GST_RTMP_PUBLISH_SINK (bsink);
  GstFlowReturn ret;

  if (g_atomic_int_get (&self->failed))
    return GST_FLOW_ERROR;

  if (!self->first_buffer_done) {
    self->first_buffer_done = TRUE;
    /* joined after the in-band headers: send the caps' streamheader first
     * (FLV header, onMetaData, sequence headers) */
    if (self->streamheader
        && !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_HEADER)) {
      guint i;

      GST_DEBUG_OBJECT (self, "sending the streamheader from the caps");
      for (i = 0; i < gst_buffer_list_length (self->streamheader); i++) {
        ret = parse_and_push (self, gst_buffer_list_get (self->streamheader,
                i), RTMP_NET_CLIENT_PUSH_FLAG_NONE);
        if (ret != GST_FLOW_OK)
          return ret;
      }
    }
  }
  return parse_and_push (self, buf, input_is_ahead (self, buf) ?
      RTMP_NET_CLIENT_PUSH_FLAG_AHEAD : RTMP_NET_CLIENT_PUSH_FLAG_NONE);
}

static gboolean
gst_rtmp_publish_sink_event (GstBaseSink * bsink, GstEvent * event)
{
  GstRtmpPublishSink *self = GST_RTMP_PUBLISH_SINK (bsink);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:{
      GError *err = NULL;

      /* EOS is posted only once every byte is on the wire */
      GST_DEBUG_OBJECT (self, "EOS: unpublishing");
      if (self->client && !rtmp_net_client_finish (self->client, &err)) {
        if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
          GST_DEBUG_OBJECT (self, "flushing during EOS");
        } else if (g_atomic_int_compare_and_exchange (&self->error_posted,
                FALSE, TRUE)) {
          GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
              ("Could not finish the stream: %s", err->message), (NULL));
        }
        g_clear_error (&err);
        gst_event_unref (event);
        return FALSE;
      }
      GST_DEBUG_OBJECT (self, "EOS: stream finished");
      break;
    }
    case GST_EVENT_FLUSH_STOP:
      if (self->parser)
        rtmp_flv_parser_reset (self->parser);
      self->have_pace = FALSE;
      break;
    case GST_EVENT_SEGMENT:
      self->have_pace = FALSE;
      break;
    default:
      break;
  }
  return GST_BASE_SINK_CLASS (parent_class)->event (bsink, event);
}

/* ------------------------------------------------------------------------ */
/* GObject                                                                  */
/* ------------------------------------------------------------------------ */

static GstStructure *
get_stats (GstRtmpPublishSink * self)
{
  RtmpNetClient *client;
  GstStructure *s = NULL;

  /* under the object lock: stop() clears self->client under it before
   * freeing the client (lock order: object lock, then the client's) */
  GST_OBJECT_LOCK (self);
  client = self->client;
  if (client)
    s = rtmp_net_client_get_stats (client);
  else if (self->last_stats)
    s = gst_structure_copy (self->last_stats);
  GST_OBJECT_UNLOCK (self);
  if (s == NULL)
    s = gst_structure_new ("rtmp-net-client-stats",
        "bytes-out", G_TYPE_UINT64, (guint64) 0,
        "bytes-in", G_TYPE_UINT64, (guint64) 0,
        "messages-out", G_TYPE_UINT64, (guint64) 0,
        "writes", G_TYPE_UINT64, (guint64) 0,
        "acked-bytes", G_TYPE_UINT64, (guint64) 0,
        "chunk-size", G_TYPE_UINT, 0, "peer-chunk-size", G_TYPE_UINT, 0,
        "reconnects", G_TYPE_UINT64, (guint64) 0,
        "dropped-messages", G_TYPE_UINT64, (guint64) 0,
        "dropped-bytes", G_TYPE_UINT64, (guint64) 0,
        "queued-bytes", G_TYPE_UINT64, (guint64) 0,
        "bitrate", G_TYPE_UINT64, (guint64) 0,
        "state", G_TYPE_STRING, "idle", "server", G_TYPE_STRING, "", NULL);
  gst_structure_set_name (s, "application/x-rtmppublishsink-stats");
  return s;
}

static void
gst_rtmp_publish_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtmpPublishSink *self = GST_RTMP_PUBLISH_SINK (object);

  switch (prop_id) {
    case PROP_LOCATION:{
      GError *err = NULL;

      if (!set_location (self, g_value_get_string (value), &err)) {
        g_warning ("rtmppublishsink: %s", err->message);
        g_clear_error (&err);
      }
      return;
    }
    default:
      break;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_HOST:{
      const gchar *h = g_value_get_string (value);
      gsize len = h ? strlen (h) : 0;

      g_free (self->host);
      /* accept "[::1]" as well as "::1" */
      if (len > 2 && h[0] == '[' && h[len - 1] == ']')
        self->host = g_strndup (h + 1, len - 2);
      else
        self->host = g_strdup (h);
      break;
    }
    case PROP_PORT:
      self->port = g_value_get_uint (value);
      break;
    case PROP_APPLICATION:
      g_free (self->application);
      self->application = g_value_dup_string (value);
      break;
    case PROP_STREAM:
      g_free (self->stream);
      self->stream = g_value_dup_string (value);
      break;
    case PROP_CHUNK_SIZE:
      self->chunk_size = g_value_get_uint (value);
      break;
    case PROP_TIMEOUT:
      self->timeout = g_value_get_uint (value);
      break;
    case PROP_FLASH_VERSION:
      g_free (self->flash_version);
      self->flash_version = g_value_dup_string (value);
      if (self->flash_version == NULL)
        self->flash_version = g_strdup (DEFAULT_FLASH_VERSION);
      break;
    case PROP_RECONNECT:
      self->reconnect = g_value_get_boolean (value);
      break;
    case PROP_MAX_RECONNECT_ATTEMPTS:
      self->max_reconnect_attempts = g_value_get_int (value);
      break;
    case PROP_RECONNECT_DELAY:
      self->reconnect_delay = g_value_get_uint (value);
      break;
    case PROP_MAX_QUEUE_BYTES:
      self->max_queue_bytes = g_value_get_uint (value);
      break;
    case PROP_DROP_WHEN_CONGESTED:
      self->drop_when_congested = g_value_get_boolean (value);
      break;
    case PROP_TLS_CA_FILE:
      g_free (self->tls_ca_file);
      self->tls_ca_file = g_value_dup_string (value);
      break;
    case PROP_TLS_VALIDATION:
      self->tls_validation = g_value_get_boolean (value);
      break;
    case PROP_USERNAME:
      g_free (self->username);
      self->username = g_value_dup_string (value);
      break;
    case PROP_PASSWORD:
      g_free (self->password);
      self->password = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rtmp_publish_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtmpPublishSink *self = GST_RTMP_PUBLISH_SINK (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, get_stats (self));
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      if (self->host && self->application && self->stream)
        g_value_take_string (value, build_location (self));
      else
        g_value_set_string (value, NULL);
      break;
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_APPLICATION:
      g_value_set_string (value, self->application);
      break;
    case PROP_STREAM:
      g_value_set_string (value, self->stream);
      break;
    case PROP_CHUNK_SIZE:
      g_value_set_uint (value, self->chunk_size);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    case PROP_FLASH_VERSION:
      g_value_set_string (value, self->flash_version);
      break;
    case PROP_RECONNECT:
      g_value_set_boolean (value, self->reconnect);
      break;
    case PROP_MAX_RECONNECT_ATTEMPTS:
      g_value_set_int (value, self->max_reconnect_attempts);
      break;
    case PROP_RECONNECT_DELAY:
      g_value_set_uint (value, self->reconnect_delay);
      break;
    case PROP_MAX_QUEUE_BYTES:
      g_value_set_uint (value, self->max_queue_bytes);
      break;
    case PROP_DROP_WHEN_CONGESTED:
      g_value_set_boolean (value, self->drop_when_congested);
      break;
    case PROP_TLS_CA_FILE:
      g_value_set_string (value, self->tls_ca_file);
      break;
    case PROP_TLS_VALIDATION:
      g_value_set_boolean (value, self->tls_validation);
      break;
    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;
    case PROP_PASSWORD:
      g_value_set_string (value, self->password);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rtmp_publish_sink_finalize (GObject * object)
{
  GstRtmpPublishSink *self = GST_RTMP_PUBLISH_SINK (object);

  g_free (self->host);
  g_free (self->application);
  g_free (self->stream);
  g_free (self->flash_version);
  g_free (self->tls_ca_file);
  g_free (self->username);
  g_free (self->password);
  g_clear_pointer (&self->last_stats, gst_structure_free);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_rtmp_publish_sink_init (GstRtmpPublishSink * self)
{
  self->port = DEFAULT_PORT;
  self->chunk_size = DEFAULT_CHUNK_SIZE;
  self->timeout = DEFAULT_TIMEOUT;
  self->flash_version = g_strdup (DEFAULT_FLASH_VERSION);
  self->reconnect = DEFAULT_RECONNECT;
  self->max_reconnect_attempts = DEFAULT_MAX_RECONNECT_ATTEMPTS;
  self->reconnect_delay = DEFAULT_RECONNECT_DELAY;
  self->max_queue_bytes = DEFAULT_MAX_QUEUE_BYTES;
  self->drop_when_congested = DEFAULT_DROP_WHEN_CONGESTED;
  self->tls_validation = DEFAULT_TLS_VALIDATION;
  /* a network sink: render as data comes, the server paces nothing */
  gst_base_sink_set_sync (GST_BASE_SINK (self), FALSE);
}

static void
gst_rtmp_publish_sink_class_init (GstRtmpPublishSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *base_class = GST_BASE_SINK_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  gobject_class->set_property = gst_rtmp_publish_sink_set_property;
  gobject_class->get_property = gst_rtmp_publish_sink_get_property;
  gobject_class->finalize = gst_rtmp_publish_sink_finalize;

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "RTMP URL to publish to: rtmp://host[:port]/app[/instance]/stream"
          "[?query]. The application is everything up to the last '/', the "
          "stream key the rest (with the query). IPv6 hosts in brackets. "
          "Setting it sets host, port, application and stream; reading it "
          "rebuilds it from them", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_HOST,
      g_param_spec_string ("host", "Host",
          "RTMP server to connect to: a host name or an IPv4/IPv6 address "
          "(the host part of location, kept in sync with it)", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_PORT,
      g_param_spec_uint ("port", "Port",
          "TCP port of the RTMP server (1935 unless the server or the "
          "location says otherwise; kept in sync with location)", 1, 65535,
          DEFAULT_PORT, rw));
  g_object_class_install_property (gobject_class, PROP_APPLICATION,
      g_param_spec_string ("application", "Application",
          "RTMP application (connect's app, e.g. 'live' or 'live/instance'; "
          "kept in sync with location)", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_STREAM,
      g_param_spec_string ("stream", "Stream",
          "Stream name / key, with an optional '?query' for the server "
          "(kept in sync with location)", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_CHUNK_SIZE,
      g_param_spec_uint ("chunk-size", "Chunk size",
          "Outgoing RTMP chunk size in bytes, announced with Set Chunk Size "
          "right after connect. Larger means fewer chunk headers; lower it "
          "only for servers that mishandle large chunks", 128, 0xFFFFFF,
          DEFAULT_CHUNK_SIZE, rw));
  g_object_class_install_property (gobject_class, PROP_TIMEOUT,
      g_param_spec_uint ("timeout", "Timeout",
          "Seconds one connection attempt may take (TCP connect, handshake, "
          "connect, createStream, publish) and that a write may stall "
          "before the connection counts as lost (0 = no limit)", 0,
          G_MAXUINT / 1000, DEFAULT_TIMEOUT, rw));
  g_object_class_install_property (gobject_class, PROP_FLASH_VERSION,
      g_param_spec_string ("flash-version", "Flash version",
          "flashVer string sent in the connect command; some ingest "
          "servers look at it, OBS and ffmpeg send FMLE/3.0 (compatible; ...)",
          DEFAULT_FLASH_VERSION, rw));
  g_object_class_install_property (gobject_class, PROP_RECONNECT,
      g_param_spec_boolean ("reconnect", "Reconnect",
          "After a lost connection (once publishing had started), reconnect, "
          "republish, resend metadata and sequence headers and resume at the "
          "next key frame; data is dropped (and counted) meanwhile. Server "
          "refusals are not retried, except BadName (the server still holds "
          "the old publish)", DEFAULT_RECONNECT, rw));
  g_object_class_install_property (gobject_class, PROP_MAX_RECONNECT_ATTEMPTS,
      g_param_spec_int ("max-reconnect-attempts", "Max reconnect attempts",
          "Consecutive failed reconnection attempts before giving up with an "
          "error (-1 = never give up)", -1, G_MAXINT,
          DEFAULT_MAX_RECONNECT_ATTEMPTS, rw));
  g_object_class_install_property (gobject_class, PROP_RECONNECT_DELAY,
      g_param_spec_uint ("reconnect-delay", "Reconnect delay",
          "Milliseconds before the first reconnection attempt; doubled after "
          "each failed attempt, up to 30 s", 1, 3600 * 1000,
          DEFAULT_RECONNECT_DELAY, rw));
  g_object_class_install_property (gobject_class, PROP_MAX_QUEUE_BYTES,
      g_param_spec_uint ("max-queue-bytes", "Max queue bytes",
          "Payload bytes queued toward the network; when full, rendering "
          "blocks (or drops video, see drop-when-congested). Raise it "
          "to absorb longer network stalls", 1024, G_MAXUINT,
          DEFAULT_MAX_QUEUE_BYTES, rw));
  g_object_class_install_property (gobject_class, PROP_DROP_WHEN_CONGESTED,
      g_param_spec_boolean ("drop-when-congested", "Drop when congested",
          "When the queue is full, drop video instead of blocking: the frame "
          "that does not fit (or the newest queued ones, to make room for "
          "audio), then every video frame up to the next key frame, so the "
          "picture resumes cleanly. Counted in stats. For live sources that "
          "must not stall", DEFAULT_DROP_WHEN_CONGESTED, rw));
  g_object_class_install_property (gobject_class, PROP_TLS_CA_FILE,
      g_param_spec_string ("tls-ca-file", "TLS CA file",
          "PEM file of CA certificates trusted for rtmps:// in addition to "
          "the system store (for a self-signed or private CA)", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_TLS_VALIDATION,
      g_param_spec_boolean ("tls-validation", "TLS validation",
          "Verify the rtmps:// server's certificate and host name. FALSE "
          "(insecure, warns): encrypt without knowing who the server is",
          DEFAULT_TLS_VALIDATION, rw));
  g_object_class_install_property (gobject_class, PROP_USERNAME,
      g_param_spec_string ("username", "User name",
          "User for Adobe authentication (authmod=adobe), answered when "
          "the server challenges; also taken from "
          "rtmp://user:password@host/... in location", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_PASSWORD,
      g_param_spec_string ("password", "Password",
          "Password for Adobe authentication (never sent in clear: the "
          "server gets a salted hash)", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "bytes-out, bytes-in, messages-out, writes, acked-bytes, "
          "chunk-size, peer-chunk-size, reconnects, dropped-messages, "
          "dropped-bytes, queued-bytes, bitrate (bit/s, last second), state, "
          "server",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "RTMP publishing sink", "Sink/Network",
      "RTMP client: publishes an FLV stream (from flvmux streamable=true) "
      "to an RTMP server such as nginx-rtmp, YouTube/Twitch ingest or "
      "rtmpingestsrc, optionally reconnecting. Example: gst-launch-1.0 -e "
      "videotestsrc is-live=true ! x264enc tune=zerolatency ! flvmux "
      "streamable=true ! rtmppublishsink "
      "location=rtmp://HOST:1935/live/KEY", "The gst-rtmp-ingest authors");

  base_class->start = GST_DEBUG_FUNCPTR (gst_rtmp_publish_sink_start);
  base_class->stop = GST_DEBUG_FUNCPTR (gst_rtmp_publish_sink_stop);
  base_class->unlock = GST_DEBUG_FUNCPTR (gst_rtmp_publish_sink_unlock);
  base_class->unlock_stop =
      GST_DEBUG_FUNCPTR (gst_rtmp_publish_sink_unlock_stop);
  base_class->set_caps = GST_DEBUG_FUNCPTR (gst_rtmp_publish_sink_set_caps);
  base_class->preroll = GST_DEBUG_FUNCPTR (gst_rtmp_publish_sink_preroll);
  base_class->render = GST_DEBUG_FUNCPTR (gst_rtmp_publish_sink_render);
  base_class->event = GST_DEBUG_FUNCPTR (gst_rtmp_publish_sink_event);
}

/* ------------------------------------------------------------------------ */
/* GstURIHandler                                                            */
/* ------------------------------------------------------------------------ */

static GstURIType
uri_get_type (GType type)
{
  return GST_URI_SINK;
}

static const gchar *const *
uri_get_protocols (GType type)
{
  static const gchar *protocols[] = { "rtmp", "rtmps", NULL };

  return protocols;
}

static gchar *
uri_get_uri (GstURIHandler * handler)
{
  GstRtmpPublishSink *self = GST_RTMP_PUBLISH_SINK (handler);
  gchar *uri = NULL;

  GST_OBJECT_LOCK (self);
  if (self->host && self->application && self->stream)
    uri = build_location (self);
  GST_OBJECT_UNLOCK (self);
  return uri;
}

static gboolean
uri_set_uri (GstURIHandler * handler, const gchar * uri, GError ** error)
{
  GstRtmpPublishSink *self = GST_RTMP_PUBLISH_SINK (handler);

  if (GST_STATE (self) > GST_STATE_READY) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_STATE,
        "Changing the location of a running rtmppublishsink is not "
        "supported; set it in the NULL or READY state");
    return FALSE;
  }
  return set_location (self, uri, error);
}

static void
gst_rtmp_publish_sink_uri_handler_init (gpointer g_iface, gpointer iface_data)
{
  GstURIHandlerInterface *iface = g_iface;

  iface->get_type = uri_get_type;
  iface->get_protocols = uri_get_protocols;
  iface->get_uri = uri_get_uri;
  iface->set_uri = uri_set_uri;
}
