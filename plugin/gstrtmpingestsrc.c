/* GStreamer RTMP ingest server source.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-rtmpingestsrc
 *
 * A live source that is an RTMP server: encoders (OBS, ffmpeg, GStreamer
 * rtmp2sink/rtmpsink...) publish to rtmp://host:port/app/key and the
 * element outputs the published stream as FLV (video/x-flv) for flvdemux.
 *
 * |[
 * gst-launch-1.0 -e rtmpingestsrc port=1935 ! flvdemux name=d \
 *     d.video ! queue ! h264parse ! mp4mux name=m ! filesink location=out.mp4 \
 *     d.audio ! queue ! aacparse ! m.
 * ]|
 *
 * Threading: the network threads of the port (RtmpNetServer, shared with
 * the other elements on it) accept, do the handshakes and the commands up
 * to publish. The accepted publisher's connection then moves to this
 * element's GMainContext, which the streaming thread iterates in create()
 * while its queue is empty: it reads the socket, and the media callbacks
 * queue messages that create() turns into FLV tags (one wake-up per
 * message, no hand-off). At unpublish the connection goes back to a
 * network thread. The queue is bounded: when it is full reading stops
 * (TCP back-pressure) instead of dropping data.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtmpingestsrc.h"

#include <string.h>

#include "rtmp-net-server.h"
#include "rtmp-net-listener.h"
#include "rtmp-net-thread-group.h"
#include "rtmp-net-tls.h"
#include "rtmp-flv.h"
#include "rtmp-error.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtmp_ingest_src_debug);
#define GST_CAT_DEFAULT gst_rtmp_ingest_src_debug

#define DEFAULT_ADDRESS NULL
#define DEFAULT_PORT 1935
#define DEFAULT_APPLICATION NULL
#define DEFAULT_STREAM_KEY NULL
#define DEFAULT_CHUNK_SIZE RTMP_SESSION_DEFAULT_CHUNK_SIZE
#define DEFAULT_WINDOW_ACK_SIZE RTMP_SESSION_DEFAULT_WINDOW_ACK_SIZE
#define DEFAULT_HANDSHAKE_TIMEOUT 10000
#define DEFAULT_IDLE_TIMEOUT 30000
#define DEFAULT_ON_UNPUBLISH GST_RTMP_INGEST_ON_UNPUBLISH_EOS
#define DEFAULT_LATENCY 200
#define DEFAULT_BATCH_INTERVAL 0
#define DEFAULT_MAX_QUEUE_BYTES (16 * 1024 * 1024)
#define DEFAULT_MAX_QUEUE_TIME 5000
#define DEFAULT_MAX_MESSAGE_SIZE 0xFFFFFF
#define DEFAULT_MAX_CONNECTIONS 32
#define DEFAULT_MAX_PENDING_CONNECTIONS 32
/* the core's defaults (rtmp-limits.c explains them) */
#define DEFAULT_MAX_CHUNK_STREAMS 64
#define DEFAULT_MAX_AMF_DEPTH 32
#define DEFAULT_MAX_BYTES_IN_FLIGHT (2 * 0x1000000)
#define DEFAULT_STATS_INTERVAL 0

enum
{
  PROP_0,
  PROP_ADDRESS,
  PROP_PORT,
  PROP_CURRENT_PORT,
  PROP_APPLICATION,
  PROP_STREAM_KEY,
  PROP_CHUNK_SIZE,
  PROP_WINDOW_ACK_SIZE,
  PROP_HANDSHAKE_TIMEOUT,
  PROP_IDLE_TIMEOUT,
  PROP_ON_UNPUBLISH,
  PROP_LATENCY,
  PROP_BATCH_INTERVAL,
  PROP_THREAD_GROUP,
  PROP_MAX_QUEUE_BYTES,
  PROP_MAX_QUEUE_TIME,
  PROP_MAX_MESSAGE_SIZE,
  PROP_MAX_CONNECTIONS,
  PROP_MAX_PENDING_CONNECTIONS,
  PROP_MAX_CHUNK_STREAMS,
  PROP_MAX_AMF_DEPTH,
  PROP_MAX_BYTES_IN_FLIGHT,
  PROP_STATS,
  PROP_STATS_INTERVAL,
  PROP_TLS_MODE,
  PROP_TLS_CERTIFICATE,
  PROP_TLS_KEY,
  PROP_USERNAME,
  PROP_PASSWORD,
};

#define DEFAULT_TLS_MODE RTMP_NET_TLS_MODE_PLAIN

enum
{
  SIGNAL_AUTHORIZE,
  SIGNAL_GET_PASSWORD,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef enum
{
  ITEM_START,                   /* a publisher started */
  ITEM_MESSAGE,                 /* a media message */
  ITEM_META_FLAGS,              /* onMetaData said which streams exist */
  ITEM_END,                     /* the publisher stopped */
  ITEM_EOS,                     /* an EOS event: drain, then end the stream */
} ItemType;

typedef struct
{
  GList link;                   /* in the queue: no list node per item */
  ItemType type;
  RtmpMessage msg;
  gboolean seq;                 /* msg is a codec sequence header */
  gsize size;
  GstClockTime arrival;         /* clock time, first message only */
  gboolean has_audio, has_video;
} Item;

struct _GstRtmpIngestSrc
{
  GstPushSrc parent;

  /* properties, object lock */
  gchar *address;
  guint port;
  gchar *application;
  gchar *stream_key;
  guint chunk_size;
  guint window_ack_size;
  guint handshake_timeout;
  guint idle_timeout;
  GstRtmpIngestOnUnpublish on_unpublish;
  guint latency;
  guint batch_interval;
  gchar *thread_group;
  guint max_queue_bytes;
  guint max_queue_time;
  guint max_message_size;
  guint max_connections;
  guint max_pending_connections;
  guint max_chunk_streams;
  guint max_amf_depth;
  guint max_bytes_in_flight;
  guint stats_interval;
  RtmpNetTlsMode tls_mode;
  gchar *tls_certificate;
  gchar *tls_key;
  gchar *username;
  gchar *password;

  RtmpNetServer *server;        /* start/stop (state change thread) */
  RtmpNetConsumer *consumer;    /* our place on the listener (qlock) */
  gint current_port;            /* atomic */

  /* hand-off to the streaming thread and publisher state: qlock */
  GMutex qlock;
  GCond qcond;
  guint qwaiters;               /* streaming threads in g_cond_wait */
  GQueue queue;                 /* Item * */
  gsize queue_bytes;
  gboolean flushing;
  gboolean ended;               /* EOS queued: refuse new publishers */
  gboolean eos_requested;       /* by an EOS event (send_event) */
  RtmpNetConnection *active;    /* the publisher (ref) */
  RtmpNetConnection *paused;    /* waiting for rtmp_net_connection_resume */
  /* the publisher's connection is served by our streaming thread, which
   * iterates @context instead of waiting on qcond (no wake-up of a network
   * thread and of the streaming thread per message; set at publish, moved
   * back to a network thread at unpublish) */
  RtmpNetConnection *reader;    /* ref */
  /* thread-group: past publishers left on the group's thread (they are
   * not moved back to a network thread while it may be stopping) */
  GList *lingering;             /* RtmpNetConnection * (ref) */
  gboolean iterating;           /* the streaming thread is in the poll */
  /* thread-group: the group's thread reads the publisher and, while
   * create() is parked (@direct_ok), outputs for us. Whoever outputs sets
   * @pushing and owns the "output state" below meanwhile. */
  RtmpNetThreadGroup *group;    /* start..stop */
  guint group_interval;         /* the group's batch interval, ms */
  gboolean direct_ok;
  /* create() pushed a buffer since it last returned: downstream has
   * prerolled (a sink that waits for PLAYING would block the group) */
  gboolean own_pushed;
  gboolean pushing;
  guint push_waiters;           /* threads waiting for !pushing */
  GstFlowReturn direct_flow;    /* a failed push of the group's thread */
  guint unlocks;                /* unlock() calls: a push that fails after
                                 * one is not create()'s business */
  guint64 mseq;                 /* media messages queued so far */
  guint kick;                   /* something for create() to do */
  gboolean first_message_pending;
  /* stats */
  gchar *peer, *app, *stream, *query, *tc_url, *flash_ver;
  GstStructure *metadata;
  gint64 publish_start_us;
  guint64 bytes_in, messages_in, reads_in;
  guint32 peer_chunk_size;
  guint64 rate_window_bytes;
  gint64 rate_window_start;
  guint64 bitrate;
  guint64 video_frames, audio_frames;
  guint64 dropped_messages;
  guint64 refused, dropped_peers, publishers;
  guint64 read_pauses;

  /* iterated by the streaming thread (or stop() once it has stopped) */
  GMainContext *context;

  /* output state: the streaming thread's (or, with a thread-group, the
   * thread that set @pushing) */
  GPtrArray *pending;           /* GstBuffer * ready to be returned, */
  guint pending_head;           /* from this index on */
  gboolean header_sent;
  gboolean had_publisher;
  gboolean have_base;
  gboolean discont;
  guint64 base_ms;
  guint64 offset_ms;
  guint64 last_out_ms;
  gint64 end_time_us;           /* when the last publisher stopped */
  gint64 next_stats;            /* next rtmp-ingest-stats message */
  gint64 next_read;             /* batch-interval: no read before this */
  RtmpTimestampExtender ext;
  GstBuffer *sh_header, *sh_meta, *sh_video, *sh_audio;
  gboolean streamheader_dirty;
  gboolean caps_pushed;
  gboolean segment_pushed;      /* thread-group: our own segment event */
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-flv"));

#define gst_rtmp_ingest_src_parent_class parent_class
G_DEFINE_TYPE (GstRtmpIngestSrc, gst_rtmp_ingest_src, GST_TYPE_PUSH_SRC);
GST_ELEMENT_REGISTER_DEFINE (rtmpingestsrc, "rtmpingestsrc", GST_RANK_NONE,
    GST_TYPE_RTMP_INGEST_SRC);

GType
gst_rtmp_ingest_on_unpublish_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    {GST_RTMP_INGEST_ON_UNPUBLISH_EOS,
        "End of stream: the pipeline gets EOS (recordings finalise)", "eos"},
    {GST_RTMP_INGEST_ON_UNPUBLISH_STAY_ALIVE,
          "Stay alive: wait for the next publisher and continue the same "
          "FLV stream", "stay-alive"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&id)) {
    GType t = g_enum_register_static ("GstRtmpIngestOnUnpublish", values);
    g_once_init_leave (&id, t);
  }
  return id;
}

#define GST_TYPE_RTMP_INGEST_TLS_MODE (gst_rtmp_ingest_tls_mode_get_type ())
static GType
gst_rtmp_ingest_tls_mode_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    {RTMP_NET_TLS_MODE_PLAIN, "Plain RTMP only (rtmp://)", "plain"},
    {RTMP_NET_TLS_MODE_TLS, "RTMPS only (rtmps://, TLS)", "tls"},
    {RTMP_NET_TLS_MODE_BOTH, "Both on the same port (the first byte tells "
          "a TLS ClientHello from an RTMP handshake)", "both"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&id)) {
    GType t = g_enum_register_static ("GstRtmpIngestTlsMode", values);
    g_once_init_leave (&id, t);
  }
  return id;
}

static void
item_free (Item * item)
{
  rtmp_message_clear (&item->msg);
  g_free (item);
}

static void
item_queue_push (GQueue * queue, Item * item)
{
  item->link.data = item;
  item->link.prev = item->link.next = NULL;
  g_queue_push_tail_link (queue, &item->link);
}

static Item *
item_queue_pop (GQueue * queue)
{
  GList *link = g_queue_pop_head_link (queue);

  return link ? link->data : NULL;
}

static void
item_queue_clear (GQueue * queue)
{
  Item *item;

  while ((item = item_queue_pop (queue)))
    item_free (item);
}

/* The tags ready for downstream, in order: an array with a read index (no
 * list node per tag) */
static void
pending_push (GstRtmpIngestSrc * self, GstBuffer * tag)
{
  g_ptr_array_add (self->pending, tag);
}

static guint
pending_length (GstRtmpIngestSrc * self)
{
  return self->pending->len - self->pending_head;
}

static GstBuffer *
pending_pop (GstRtmpIngestSrc * self)
{
  GstBuffer *tag;

  if (pending_length (self) == 0)
    return NULL;
  tag = g_ptr_array_index (self->pending, self->pending_head);
  if (++self->pending_head == self->pending->len) {
    g_ptr_array_set_size (self->pending, 0);
    self->pending_head = 0;
  } else if (self->pending_head >= 256 &&
      self->pending_head >= self->pending->len / 2) {
    /* never emptied (not seen: create() drains it before it takes the
     * next item): keep the array from growing */
    g_ptr_array_remove_range (self->pending, 0, self->pending_head);
    self->pending_head = 0;
  }
  return tag;
}

static void
pending_clear (GstRtmpIngestSrc * self)
{
  GstBuffer *tag;

  while ((tag = pending_pop (self)))
    gst_buffer_unref (tag);
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* Constant-time comparison of the stream key: the time taken does not
 * depend on where the first difference is. */
static gboolean
key_equal (const gchar * a, const gchar * b)
{
  gsize la = strlen (a), lb = strlen (b), i;
  guint diff = (la != lb);

  for (i = 0; i < lb; i++)
    diff |= (guint) ((guint8) b[i] ^ (guint8) (i < la ? a[i] : 0));
  return diff == 0;
}

static gchar *
sanitize_field_name (const gchar * key)
{
  GString *s = g_string_new (NULL);
  const gchar *p;

  if (!key || !g_ascii_isalpha (key[0]))
    g_string_append (s, "k-");
  for (p = key; p && *p; p++)
    g_string_append_c (s, (g_ascii_isalnum (*p) || strchr ("-_+.", *p)) ?
        *p : '-');
  return g_string_free (s, FALSE);
}

/* GstStructure field names are GQuarks, interned for the life of the
 * process: a publisher inventing new onMetaData keys would grow memory
 * without bound. Names GLib already knows cost nothing; new ones are
 * accepted up to MAX_NEW_METADATA_NAMES per process (encoders use a few
 * dozen, always the same), each at most MAX_METADATA_NAME_LENGTH long;
 * other keys are left out of the structure. */
#define MAX_METADATA_NAME_LENGTH 64
#define MAX_NEW_METADATA_NAMES 1024

/* interned at class init, so they are always kept (FLV spec, ffmpeg, OBS,
 * E-RTMP) */
static const gchar *const known_metadata_names[] = {
  "duration", "width", "height", "videodatarate", "framerate",
  "videocodecid", "audiodatarate", "audiosamplerate", "audiosamplesize",
  "stereo", "audiocodecid", "encoder", "filesize", "fps", "audiochannels",
  "major_brand", "minor_version", "compatible_brands", "creationdate",
  "hasAudio", "hasVideo", "hasMetadata", "hasKeyframes", "canSeekToEnd",
  "lasttimestamp", "lastkeyframetimestamp", "datasize", "videosize",
  "audiosize", "audioTrackIdInfoMap", "videoTrackIdInfoMap", NULL
};

static gboolean
metadata_name_allowed (const gchar * name)
{
  static gint new_names = 0;

  if (strlen (name) > MAX_METADATA_NAME_LENGTH)
    return FALSE;
  if (g_quark_try_string (name) != 0)
    return TRUE;
  if (g_atomic_int_add (&new_names, 1) < MAX_NEW_METADATA_NAMES)
    return TRUE;
  g_atomic_int_add (&new_names, -1);
  return FALSE;
}

/* onMetaData → GstStructure (scalars only; nested values as strings) */
static GstStructure *
metadata_to_structure (const RtmpAmfValue * meta)
{
  GstStructure *s = gst_structure_new_empty ("metadata");
  guint i, n = rtmp_amf_value_get_n_children (meta);

  for (i = 0; i < n; i++) {
    const gchar *key = rtmp_amf_value_get_child_key (meta, i);
    RtmpAmfValue *v = rtmp_amf_value_get_child (meta, i);
    gchar *name;

    if (!key || !v)
      continue;
    name = sanitize_field_name (key);
    if (!metadata_name_allowed (name)) {
      GST_DEBUG ("onMetaData key '%.64s' left out (too long, or too many "
          "distinct keys seen)", name);
      g_free (name);
      continue;
    }
    switch (rtmp_amf_value_get_type (v)) {
      case RTMP_AMF_NUMBER:
      case RTMP_AMF_INTEGER:
        gst_structure_set (s, name, G_TYPE_DOUBLE,
            rtmp_amf_value_get_number (v), NULL);
        break;
      case RTMP_AMF_BOOLEAN:
        gst_structure_set (s, name, G_TYPE_BOOLEAN,
            rtmp_amf_value_get_boolean (v), NULL);
        break;
      case RTMP_AMF_STRING:{
        const gchar *str = rtmp_amf_value_get_string (v, NULL);
        if (str && g_utf8_validate (str, -1, NULL))
          gst_structure_set (s, name, G_TYPE_STRING, str, NULL);
        break;
      }
      default:{
        gchar *str = rtmp_amf_value_to_string (v);
        if (str && g_utf8_validate (str, -1, NULL))
          gst_structure_set (s, name, G_TYPE_STRING, str, NULL);
        g_free (str);
        break;
      }
    }
    g_free (name);
  }
  return s;
}

static void
post_element_message (GstRtmpIngestSrc * self, GstStructure * s)
{
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static void
clear_publisher_info_locked (GstRtmpIngestSrc * self)
{
  g_clear_pointer (&self->peer, g_free);
  g_clear_pointer (&self->app, g_free);
  g_clear_pointer (&self->stream, g_free);
  g_clear_pointer (&self->query, g_free);
  g_clear_pointer (&self->tc_url, g_free);
  g_clear_pointer (&self->flash_ver, g_free);
  g_clear_pointer (&self->metadata, gst_structure_free);
  self->bytes_in = self->messages_in = self->reads_in = 0;
  self->bitrate = 0;
  self->peer_chunk_size = 0;
  self->rate_window_bytes = 0;
  self->rate_window_start = 0;
}

static gboolean
queue_full_locked (GstRtmpIngestSrc * self)
{
  Item *head, *tail;

  if (self->queue_bytes >= self->max_queue_bytes)
    return TRUE;
  head = g_queue_peek_head (&self->queue);
  tail = g_queue_peek_tail (&self->queue);
  if (head && tail && head->type == ITEM_MESSAGE &&
      tail->type == ITEM_MESSAGE) {
    guint32 span = tail->msg.timestamp - head->msg.timestamp;
    if (span < 0x80000000u && span >= self->max_queue_time)
      return TRUE;
  }
  return FALSE;
}

static void
push_item_locked (GstRtmpIngestSrc * self, Item * item)
{
  item_queue_push (&self->queue, item);
  self->queue_bytes += item->size;
  self->kick++;
  /* g_cond_broadcast() is a futex syscall even with nobody waiting: only
   * wake the streaming thread when it sleeps. While it works through the
   * queue, further messages are picked up without any wake-up. */
  if (self->qwaiters > 0)
    g_cond_broadcast (&self->qcond);
  else if (self->iterating)
    g_main_context_wakeup (self->context);
}

/* ------------------------------------------------------------------ */
/* Network thread callbacks                                            */
/* ------------------------------------------------------------------ */

static void
on_connect (RtmpNetServer * server, RtmpNetConnection * conn,
    const RtmpSessionEvent * ev, gpointer user_data)
{
  GstRtmpIngestSrc *self = user_data;

  GST_INFO_OBJECT (self, "%s: connect app='%s' tcUrl='%s' flashVer='%s'",
      rtmp_net_connection_get_peer (conn), GST_STR_NULL (ev->app),
      GST_STR_NULL (ev->tc_url), GST_STR_NULL (ev->flash_ver));
  post_element_message (self, gst_structure_new ("rtmp-publisher-connected",
          "peer", G_TYPE_STRING, rtmp_net_connection_get_peer (conn),
          "application", G_TYPE_STRING, ev->app,
          "tc-url", G_TYPE_STRING, ev->tc_url,
          "flash-ver", G_TYPE_STRING, ev->flash_ver, NULL));
}

static gboolean
on_publish_request (RtmpNetServer * server, RtmpNetConnection * conn,
    const RtmpSessionEvent * ev, gchar ** code, gchar ** description,
    gpointer user_data)
{
  GstRtmpIngestSrc *self = user_data;
  const gchar *peer = rtmp_net_connection_get_peer (conn);
  const gchar *tc_url = ev->tc_url ? ev->tc_url :
      rtmp_net_connection_get_tc_url (conn);
  const gchar *flash_ver = ev->flash_ver ? ev->flash_ver :
      rtmp_net_connection_get_flash_ver (conn);
  gchar *want_app, *want_key;
  gboolean allow = TRUE;

  GST_OBJECT_LOCK (self);
  want_app = g_strdup (self->application);
  want_key = g_strdup (self->stream_key);
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->qlock);
  if (self->ended) {
    *code = g_strdup ("NetStream.Publish.BadName");
    *description = g_strdup ("This ingest point has ended");
    goto refuse_locked;
  }
  if (self->active) {
    *code = g_strdup ("NetStream.Publish.BadName");
    *description = g_strdup_printf ("Already publishing (from %s)",
        self->peer ? self->peer : "another peer");
    goto refuse_locked;
  }
  g_mutex_unlock (&self->qlock);

  if (want_app && g_strcmp0 (want_app, ev->app) != 0) {
    *code = g_strdup ("NetStream.Publish.BadName");
    *description = g_strdup_printf ("Unknown application '%s'",
        GST_STR_NULL (ev->app));
    goto refuse;
  }
  if (want_key && !key_equal (ev->stream_name ? ev->stream_name : "",
          want_key)) {
    *code = g_strdup ("NetStream.Publish.Unauthorized");
    *description = g_strdup ("Wrong stream key");
    goto refuse;
  }

  if (g_signal_has_handler_pending (self, signals[SIGNAL_AUTHORIZE], 0,
          FALSE)) {
    g_signal_emit (self, signals[SIGNAL_AUTHORIZE], 0, peer, ev->app,
        ev->stream_name, ev->query, tc_url, flash_ver, &allow);
    if (!allow) {
      *code = g_strdup ("NetStream.Publish.Denied");
      *description = g_strdup ("Refused by the application");
      goto refuse;
    }
  }

  g_mutex_lock (&self->qlock);
  if (self->active || self->ended) {
    /* lost a race with another element sharing the server (not possible
     * with one server thread today, but cheap to check) */
    *code = g_strdup ("NetStream.Publish.BadName");
    *description = g_strdup ("Already publishing");
    goto refuse_locked;
  }
  self->active = rtmp_net_connection_ref (conn);
  clear_publisher_info_locked (self);
  self->peer = g_strdup (peer);
  self->app = g_strdup (ev->app);
  self->stream = g_strdup (ev->stream_name);
  self->query = g_strdup (ev->query);
  self->tc_url = g_strdup (tc_url);
  self->flash_ver = g_strdup (flash_ver);
  g_mutex_unlock (&self->qlock);

  g_free (want_app);
  g_free (want_key);
  return TRUE;

refuse_locked:
  g_mutex_unlock (&self->qlock);
refuse:
  GST_WARNING_OBJECT (self,
      "%s: refusing publish of '%s' to app '%s': %s (%s)",
      peer, GST_STR_NULL (ev->stream_name), GST_STR_NULL (ev->app), *code,
      *description);
  g_mutex_lock (&self->qlock);
  self->refused++;
  g_mutex_unlock (&self->qlock);
  post_element_message (self, gst_structure_new ("rtmp-publisher-refused",
          "peer", G_TYPE_STRING, peer,
          "application", G_TYPE_STRING, ev->app,
          "stream", G_TYPE_STRING, ev->stream_name,
          "code", G_TYPE_STRING, *code,
          "description", G_TYPE_STRING, *description, NULL));
  g_free (want_app);
  g_free (want_key);
  return FALSE;
}

static void
on_publish_started (RtmpNetServer * server, RtmpNetConnection * conn,
    gpointer user_data)
{
  GstRtmpIngestSrc *self = user_data;
  GstStructure *s;
  Item *item;

  g_mutex_lock (&self->qlock);
  if (conn != self->active) {
    g_mutex_unlock (&self->qlock);
    return;
  }
  self->publish_start_us = g_get_monotonic_time ();
  self->rate_window_start = self->publish_start_us;
  self->publishers++;
  /* from now on our streaming thread reads the publisher's socket (not
   * once stop() began: it closes what it finds there) */
  if (self->consumer) {
    rtmp_net_connection_move_to_context (conn, self->group ?
        rtmp_net_thread_group_get_context (self->group) : self->context);
    g_clear_pointer (&self->reader, rtmp_net_connection_unref);
    self->reader = rtmp_net_connection_ref (conn);
  }
  self->first_message_pending = TRUE;
  item = g_new0 (Item, 1);
  item->type = ITEM_START;
  push_item_locked (self, item);
  s = gst_structure_new ("rtmp-publisher-publishing",
      "peer", G_TYPE_STRING, self->peer,
      "application", G_TYPE_STRING, self->app,
      "stream", G_TYPE_STRING, self->stream,
      "query", G_TYPE_STRING, self->query,
      "tc-url", G_TYPE_STRING, self->tc_url,
      "flash-ver", G_TYPE_STRING, self->flash_ver, NULL);
  g_mutex_unlock (&self->qlock);

  GST_INFO_OBJECT (self, "%s publishes '%s' to app '%s'",
      rtmp_net_connection_get_peer (conn),
      GST_STR_NULL (gst_structure_get_string (s, "stream")),
      GST_STR_NULL (gst_structure_get_string (s, "application")));
  post_element_message (self, s);
}

static gboolean
on_media (RtmpNetServer * server, RtmpNetConnection * conn,
    const RtmpMessage * msg, gpointer user_data)
{
  GstRtmpIngestSrc *self = user_data;
  gboolean more = TRUE;
  gint64 now;
  Item *item;

  g_mutex_lock (&self->qlock);
  if (conn != self->active || self->ended) {
    g_mutex_unlock (&self->qlock);
    return TRUE;
  }

  item = g_new0 (Item, 1);
  item->type = ITEM_MESSAGE;
  item->msg = *msg;
  if (msg->payload)
    item->msg.payload = gst_buffer_ref (msg->payload);
  item->size = rtmp_message_get_size (msg) + sizeof (Item);
  item->seq = rtmp_flv_is_sequence_header (msg->type, msg->payload);
  if (self->first_message_pending) {
    GstClock *clock = gst_element_get_clock (GST_ELEMENT (self));
    if (clock) {
      item->arrival = gst_clock_get_time (clock);
      gst_object_unref (clock);
    } else {
      item->arrival = GST_CLOCK_TIME_NONE;
    }
    self->first_message_pending = FALSE;
  } else {
    item->arrival = GST_CLOCK_TIME_NONE;
  }
  /* no wake-up per message: on_input_processed() wakes the streaming
   * thread once per read, after the whole burst is queued */
  item_queue_push (&self->queue, item);
  self->queue_bytes += item->size;
  self->mseq++;

  /* stats */
  self->bytes_in = rtmp_net_connection_get_bytes_in (conn);
  self->messages_in = rtmp_net_connection_get_messages_in (conn);
  self->reads_in = rtmp_net_connection_get_reads_in (conn);
  self->peer_chunk_size = rtmp_net_connection_get_peer_chunk_size (conn);
  if (msg->type == RTMP_MESSAGE_VIDEO && !item->seq)
    self->video_frames++;
  else if (msg->type == RTMP_MESSAGE_AUDIO && !item->seq)
    self->audio_frames++;
  now = g_get_monotonic_time ();
  if (now - self->rate_window_start >= G_USEC_PER_SEC) {
    self->bitrate = (self->bytes_in - self->rate_window_bytes) * 8 *
        G_USEC_PER_SEC / (now - self->rate_window_start);
    self->rate_window_bytes = self->bytes_in;
    self->rate_window_start = now;
  }

  if (queue_full_locked (self)) {
    GST_LOG_OBJECT (self, "queue full (%" G_GSIZE_FORMAT " bytes): pausing "
        "the publisher", self->queue_bytes);
    if (!self->paused) {
      self->paused = rtmp_net_connection_ref (conn);
      self->read_pauses++;
    }
    more = FALSE;
  }
  g_mutex_unlock (&self->qlock);
  return more;
}

static void group_output (GstRtmpIngestSrc * self);

static void
on_input_processed (RtmpNetServer * server, RtmpNetConnection * conn,
    gpointer user_data)
{
  GstRtmpIngestSrc *self = user_data;
  gboolean wake;

  if (self->group) {
    if (rtmp_net_thread_group_is_current (self->group)) {
      group_output (self);
      return;
    }
    /* read on a network thread, before the publisher came to the group's
     * thread: create() outputs it */
    g_mutex_lock (&self->qlock);
    if (!g_queue_is_empty (&self->queue)) {
      self->kick++;
      if (self->qwaiters > 0)
        g_cond_broadcast (&self->qcond);
    }
    g_mutex_unlock (&self->qlock);
    return;
  }

  g_mutex_lock (&self->qlock);
  wake = self->qwaiters > 0 && !g_queue_is_empty (&self->queue);
  g_mutex_unlock (&self->qlock);
  /* after unlocking: the woken thread does not block on qlock at once (a
   * futex wait + wake more per message). No wake-up is lost: the queue
   * was filled under qlock, and a waiter checks it under qlock. */
  if (wake)
    g_cond_broadcast (&self->qcond);
}

static void
on_metadata (RtmpNetServer * server, RtmpNetConnection * conn,
    const RtmpAmfValue * meta, gpointer user_data)
{
  GstRtmpIngestSrc *self = user_data;
  gboolean has_audio = FALSE, has_video = FALSE;
  GstStructure *s;
  Item *item;

  g_mutex_lock (&self->qlock);
  if (conn != self->active || self->ended) {
    g_mutex_unlock (&self->qlock);
    return;
  }
  s = metadata_to_structure (meta);
  if (self->metadata)
    gst_structure_free (self->metadata);
  self->metadata = gst_structure_copy (s);
  if (rtmp_flv_metadata_has_audio_video (meta, &has_audio, &has_video) &&
      (has_audio || has_video)) {
    item = g_new0 (Item, 1);
    item->type = ITEM_META_FLAGS;
    item->has_audio = has_audio;
    item->has_video = has_video;
    push_item_locked (self, item);
  }
  g_mutex_unlock (&self->qlock);

  GST_DEBUG_OBJECT (self, "metadata: %" GST_PTR_FORMAT, s);
  post_element_message (self, gst_structure_new ("rtmp-publisher-metadata",
          "peer", G_TYPE_STRING, rtmp_net_connection_get_peer (conn),
          "encoder", G_TYPE_STRING, gst_structure_get_string (s, "encoder"),
          "metadata", GST_TYPE_STRUCTURE, s, NULL));
  gst_structure_free (s);
}

/* The active publisher is gone (unpublish or close): queue the end. */
static void
end_publisher (GstRtmpIngestSrc * self, RtmpNetConnection * conn,
    const gchar * reason, const GError * error)
{
  GstStructure *s;
  GstRtmpIngestOnUnpublish mode;
  Item *item;
  gint64 uptime;

  GST_OBJECT_LOCK (self);
  mode = self->on_unpublish;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->qlock);
  if (conn != self->active) {
    g_mutex_unlock (&self->qlock);
    return;
  }
  if (mode == GST_RTMP_INGEST_ON_UNPUBLISH_EOS) {
    self->ended = TRUE;
    /* on a shared port, publishers for other keys must not be routed to
     * us any more (wildcards); ours still get BadName */
    if (self->consumer)
      rtmp_net_consumer_set_available (self->consumer, FALSE);
  }
  uptime = self->publish_start_us ?
      g_get_monotonic_time () - self->publish_start_us : 0;
  s = gst_structure_new ("rtmp-publisher-stopped",
      "peer", G_TYPE_STRING, self->peer,
      "application", G_TYPE_STRING, self->app,
      "stream", G_TYPE_STRING, self->stream,
      "reason", G_TYPE_STRING, reason,
      "error", G_TYPE_STRING, error ? error->message : NULL,
      "bytes-in", G_TYPE_UINT64, self->bytes_in,
      "messages-in", G_TYPE_UINT64, self->messages_in,
      "bytes-out", G_TYPE_UINT64, rtmp_net_connection_get_bytes_out (conn),
      "duration", G_TYPE_UINT64, (guint64) uptime * GST_USECOND, NULL);
  g_clear_pointer (&self->active, rtmp_net_connection_unref);
  self->publish_start_us = 0;
  self->bitrate = 0;
  if (conn == self->reader && self->group) {
    /* what is left of the connection stays on the group's thread, which
     * does not stop with us; stop() closes it if the peer did not */
    GList *l = self->lingering;

    while (l) {
      GList *next = l->next;

      if (rtmp_net_connection_is_closed (l->data)) {
        rtmp_net_connection_unref (l->data);
        self->lingering = g_list_delete_link (self->lingering, l);
      }
      l = next;
    }
    self->lingering = g_list_prepend (self->lingering,
        g_steal_pointer (&self->reader));
  } else if (conn == self->reader) {
    /* what is left of the connection (the peer's close, a refused second
     * publish) is served by a network thread again: our streaming thread
     * may stop iterating (EOS) */
    rtmp_net_connection_move_to_server (conn);
    g_clear_pointer (&self->reader, rtmp_net_connection_unref);
  }
  g_mutex_unlock (&self->qlock);

  /* the message goes out before the end is queued, so an application
   * sees "stopped" before the EOS that may make it quit */
  GST_INFO_OBJECT (self, "publisher stopped: %" GST_PTR_FORMAT, s);
  post_element_message (self, s);

  item = g_new0 (Item, 1);
  item->type = ITEM_END;
  g_mutex_lock (&self->qlock);
  push_item_locked (self, item);
  g_mutex_unlock (&self->qlock);
}

static void
on_unpublished (RtmpNetServer * server, RtmpNetConnection * conn,
    const gchar * reason, gpointer user_data)
{
  GstRtmpIngestSrc *self = user_data;

  /* the bytes counters are final enough: unpublish is the last message */
  g_mutex_lock (&self->qlock);
  if (conn == self->active) {
    self->bytes_in = rtmp_net_connection_get_bytes_in (conn);
    self->messages_in = rtmp_net_connection_get_messages_in (conn);
    self->reads_in = rtmp_net_connection_get_reads_in (conn);
  }
  g_mutex_unlock (&self->qlock);
  end_publisher (self, conn, reason ? reason : "unpublished", NULL);
}

static void
on_closed (RtmpNetServer * server, RtmpNetConnection * conn,
    const GError * error, gpointer user_data)
{
  GstRtmpIngestSrc *self = user_data;

  if (error) {
    GST_WARNING_OBJECT (self, "Dropped peer %s: %s",
        rtmp_net_connection_get_peer (conn), error->message);
    g_mutex_lock (&self->qlock);
    self->dropped_peers++;
    g_mutex_unlock (&self->qlock);
  } else {
    GST_DEBUG_OBJECT (self, "peer %s closed the connection",
        rtmp_net_connection_get_peer (conn));
  }
  end_publisher (self, conn, error ? "error" : "disconnected", error);
}

static GstStructure *build_stats_locked (GstRtmpIngestSrc * self);

/* ------------------------------------------------------------------ */
/* Streaming thread                                                    */
/* ------------------------------------------------------------------ */

static GstBuffer *
header_copy (GstBuffer * buf)
{
  GstBuffer *copy = gst_buffer_copy (buf);

  GST_BUFFER_FLAG_SET (copy, GST_BUFFER_FLAG_HEADER);
  GST_BUFFER_PTS (copy) = GST_BUFFER_DTS (copy) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_FLAG_UNSET (copy, GST_BUFFER_FLAG_DISCONT);
  return copy;
}

static void
update_caps (GstRtmpIngestSrc * self)
{
  GValue array = G_VALUE_INIT;
  GstBuffer *parts[4] = { self->sh_header, self->sh_meta, self->sh_video,
    self->sh_audio
  };
  GstCaps *caps;
  guint i;

  g_value_init (&array, GST_TYPE_ARRAY);
  for (i = 0; i < G_N_ELEMENTS (parts); i++) {
    GValue v = G_VALUE_INIT;

    if (!parts[i])
      continue;
    g_value_init (&v, GST_TYPE_BUFFER);
    gst_value_take_buffer (&v, header_copy (parts[i]));
    gst_value_array_append_and_take_value (&array, &v);
  }
  caps = gst_caps_new_empty_simple ("video/x-flv");
  gst_structure_take_value (gst_caps_get_structure (caps, 0), "streamheader",
      &array);
  GST_DEBUG_OBJECT (self, "new caps %" GST_PTR_FORMAT, caps);
  gst_base_src_set_caps (GST_BASE_SRC (self), caps);
  gst_caps_unref (caps);
  self->streamheader_dirty = FALSE;
  self->caps_pushed = TRUE;
}

/* Header flags: from onMetaData if it came before the first coded frame,
 * else from the tags queued up to the first coded frame. Returns FALSE if
 * we cannot tell yet. */
/* qlock held: TRUE if the queue holds the end of a publisher before any
 * audio or video of it (nothing to put an FLV header in front of) */
static gboolean
ends_without_media_locked (GstRtmpIngestSrc * self)
{
  GList *l;

  for (l = self->queue.head; l; l = l->next) {
    Item *item = l->data;

    if (item->type == ITEM_END)
      return TRUE;
    if (item->type == ITEM_EOS)
      return FALSE;
    if (item->type == ITEM_MESSAGE && (item->msg.type == RTMP_MESSAGE_AUDIO
            || item->msg.type == RTMP_MESSAGE_VIDEO
            || item->msg.type == RTMP_MESSAGE_AGGREGATE))
      return FALSE;
  }
  return FALSE;
}

static gboolean
header_flags_locked (GstRtmpIngestSrc * self, gboolean * audio,
    gboolean * video)
{
  gboolean a = FALSE, v = FALSE;
  GList *l;

  for (l = self->queue.head; l; l = l->next) {
    Item *item = l->data;

    switch (item->type) {
      case ITEM_META_FLAGS:
        *audio = item->has_audio;
        *video = item->has_video;
        return TRUE;
      case ITEM_END:
      case ITEM_EOS:
        goto decide;
      case ITEM_MESSAGE:
        if (item->msg.type == RTMP_MESSAGE_AUDIO) {
          a = TRUE;
          if (!item->seq && v)
            goto decide;
        } else if (item->msg.type == RTMP_MESSAGE_VIDEO) {
          v = TRUE;
          if (!item->seq && a)
            goto decide;
        } else if (item->msg.type == RTMP_MESSAGE_AGGREGATE) {
          a = v = TRUE;
          goto decide;
        }
        break;
      default:
        break;
    }
  }
  /* waited long enough: a stream with one kind of track */
  if (self->queue_bytes >= 256 * 1024 || g_queue_get_length (&self->queue)
      >= 64)
    goto decide;
  return FALSE;

decide:
  if (!a && !v)
    a = v = TRUE;
  *audio = a;
  *video = v;
  return TRUE;
}

/* @seq: @msg is a codec sequence header (rtmp_flv_is_sequence_header()) */
static void
output_message (GstRtmpIngestSrc * self, RtmpMessage * msg, gboolean seq,
    GstClockTime arrival)
{
  GError *err = NULL;
  GstBuffer *tag;
  guint64 ext, out_ms;
  gint32 cts = 0;
  gboolean delta = FALSE, meta = FALSE;

  ext = rtmp_timestamp_extend (&self->ext, msg->timestamp);
  if (!self->have_base) {
    self->have_base = TRUE;
    self->base_ms = ext;
    GST_DEBUG_OBJECT (self, "publisher timeline starts at %" G_GUINT64_FORMAT
        " ms, output continues at %" G_GUINT64_FORMAT " ms", ext,
        self->offset_ms);
    if (self->offset_ms == 0) {
      /* align the stream's time 0 with the running time at which its
       * first message arrived, so that synchronised sinks are on time */
      GstClockTime base_time = gst_element_get_base_time (GST_ELEMENT (self));
      if (GST_CLOCK_TIME_IS_VALID (arrival) && arrival > base_time) {
        GstSegment seg;

        gst_segment_init (&seg, GST_FORMAT_TIME);
        seg.base = arrival - base_time;
        GST_DEBUG_OBJECT (self, "segment base %" GST_TIME_FORMAT,
            GST_TIME_ARGS (seg.base));
        gst_base_src_new_segment (GST_BASE_SRC (self), &seg);
        self->segment_pushed = FALSE;
      }
    }
  }
  out_ms = self->offset_ms + (ext > self->base_ms ? ext - self->base_ms : 0);
  msg->timestamp = (guint32) out_ms;

  /* peeks first: the tag may take the payload */
  if (msg->type == RTMP_MESSAGE_VIDEO) {
    if (!rtmp_flv_video_composition_time (msg->payload, &cts))
      cts = 0;
    delta = !seq && !rtmp_flv_is_keyframe (msg->payload);
  }
  if (!seq && (msg->type == RTMP_MESSAGE_DATA_AMF0 ||
          msg->type == RTMP_MESSAGE_DATA_AMF3)) {
    gchar *name = NULL;
    RtmpAmfValue *value = NULL;

    if (rtmp_flv_parse_script (msg->payload, NULL, &name, &value, NULL)) {
      meta = g_strcmp0 (name, "onMetaData") == 0;
      g_free (name);
      if (value)
        rtmp_amf_value_unref (value);
    }
  }

  tag = rtmp_flv_tag_take_message (msg, &err);
  if (!tag) {
    GST_WARNING_OBJECT (self, "Skipping a %s message of %" G_GSIZE_FORMAT
        " bytes: %s", rtmp_message_type_get_name (msg->type),
        rtmp_message_get_size (msg), err->message);
    g_error_free (err);
    g_mutex_lock (&self->qlock);
    self->dropped_messages++;
    g_mutex_unlock (&self->qlock);
    return;
  }

  if (out_ms > self->last_out_ms)
    self->last_out_ms = out_ms;

  GST_BUFFER_DTS (tag) = out_ms * GST_MSECOND;
  GST_BUFFER_PTS (tag) = GST_BUFFER_DTS (tag);
  if (cts != 0) {
    gint64 pts = (gint64) out_ms + cts;
    GST_BUFFER_PTS (tag) = MAX (pts, 0) * GST_MSECOND;
  }
  if (delta)
    GST_BUFFER_FLAG_SET (tag, GST_BUFFER_FLAG_DELTA_UNIT);

  if (seq) {
    GstBuffer **slot = msg->type == RTMP_MESSAGE_VIDEO ?
        &self->sh_video : &self->sh_audio;
    GST_BUFFER_FLAG_SET (tag, GST_BUFFER_FLAG_HEADER);
    gst_buffer_replace (slot, tag);
    self->streamheader_dirty = TRUE;
  } else if (meta) {
    gboolean changed = self->sh_meta == NULL;
    gst_buffer_replace (&self->sh_meta, tag);
    /* flvmux streamable=true repeats it: only a new one (the first)
     * changes the caps */
    if (changed)
      self->streamheader_dirty = TRUE;
  }

  if (!seq && self->streamheader_dirty &&
      (msg->type == RTMP_MESSAGE_AUDIO || msg->type == RTMP_MESSAGE_VIDEO))
    update_caps (self);

  if (self->discont) {
    GST_BUFFER_FLAG_SET (tag, GST_BUFFER_FLAG_DISCONT);
    self->discont = FALSE;
  }
  pending_push (self, tag);
}

static void
process_item (GstRtmpIngestSrc * self, Item * item)
{
  switch (item->type) {
    case ITEM_START:
      rtmp_timestamp_extender_init (&self->ext);
      self->have_base = FALSE;
      if (self->had_publisher) {
        /* next publisher in stay-alive mode: continue the timeline after
         * the last tag, plus the time nobody was publishing */
        gint64 gap_ms = self->end_time_us ?
            (g_get_monotonic_time () - self->end_time_us) / 1000 : 0;
        self->offset_ms = self->last_out_ms + MAX (gap_ms, 1);
        self->discont = TRUE;
      }
      self->had_publisher = TRUE;
      break;
    case ITEM_MESSAGE:
      if (item->msg.type == RTMP_MESSAGE_AGGREGATE) {
        GPtrArray *subs =
            g_ptr_array_new_with_free_func (rtmp_flv_message_free);
        GError *err = NULL;
        guint i;

        if (rtmp_flv_split_aggregate (&item->msg, subs, &err)) {
          for (i = 0; i < subs->len; i++) {
            RtmpMessage *sub = g_ptr_array_index (subs, i);

            output_message (self, sub,
                rtmp_flv_is_sequence_header (sub->type, sub->payload),
                i == 0 ? item->arrival : GST_CLOCK_TIME_NONE);
          }
        } else {
          GST_WARNING_OBJECT (self, "Skipping a bad aggregate message from "
              "the publisher: %s", err->message);
          g_error_free (err);
        }
        g_ptr_array_unref (subs);
      } else {
        output_message (self, &item->msg, item->seq, item->arrival);
      }
      break;
    case ITEM_META_FLAGS:
    case ITEM_END:
    case ITEM_EOS:
      break;
  }
}

/* only ends the poll of create() when the next statistics are due */
static gboolean
stats_timer_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}


/* qlock held: posts the periodic statistics (stats-interval) if they are
 * due, releasing qlock meanwhile; TRUE if it did */
static gboolean
stats_due_locked (GstRtmpIngestSrc * self, guint stats_interval)
{
  GstStructure *stats;

  if (!stats_interval || g_get_monotonic_time () < self->next_stats)
    return FALSE;
  stats = build_stats_locked (self);
  gst_structure_set_name (stats, "rtmp-ingest-stats");
  self->next_stats = g_get_monotonic_time () + stats_interval * 1000;
  g_mutex_unlock (&self->qlock);
  post_element_message (self, stats);
  g_mutex_lock (&self->qlock);
  return TRUE;
}

/* How next_output() gets its buffer */
typedef enum
{
  OUTPUT_WAIT,                  /* create(): wait (serving our context) */
  OUTPUT_NOWAIT,                /* return NOTHING instead of waiting */
  OUTPUT_DIRECT,                /* the same, and NEEDS_CREATE before the end
                                 * of a publisher or an EOS (only create()
                                 * can return a flow to GstBaseSrc) */
} OutputMode;

#define OUTPUT_NOTHING GST_FLOW_CUSTOM_SUCCESS
#define OUTPUT_NEEDS_CREATE GST_FLOW_CUSTOM_SUCCESS_1

/* A buffer list from create() holds at most this many tags */
#define OUTPUT_LIST_MAX 64

/* qlock held, create() with tags pending: whether the next queued item can
 * join them in one buffer list (a plain audio or video message, nothing
 * that makes new caps or a new segment in between: those go out at once,
 * so they stay in order with the tags) */
static gboolean
more_for_list_locked (GstRtmpIngestSrc * self)
{
  Item *head = g_queue_peek_head (&self->queue);

  return head && head->type == ITEM_MESSAGE && !self->flushing &&
      self->header_sent && self->have_base && !self->streamheader_dirty &&
      pending_length (self) < OUTPUT_LIST_MAX &&
      (head->msg.type == RTMP_MESSAGE_AUDIO ||
      head->msg.type == RTMP_MESSAGE_VIDEO) &&
      !head->seq;
}

/* The tags ready: one for @outbuf, or all of them in one buffer list for
 * GstBaseSrc to push (one push downstream for what one read brought) */
static GstFlowReturn
take_pending (GstRtmpIngestSrc * self, GstBuffer ** outbuf, OutputMode omode)
{
  guint n = pending_length (self);

  if (omode == OUTPUT_WAIT && n > 1) {
    GstBufferList *list = gst_buffer_list_new_sized (n);
    GstBuffer *buf;

    while ((buf = pending_pop (self)))
      gst_buffer_list_add (list, buf);
    GST_LOG_OBJECT (self, "output a list of %u tags", n);
    gst_base_src_submit_buffer_list (GST_BASE_SRC (self), list);
    *outbuf = NULL;
    return GST_FLOW_OK;
  }
  *outbuf = pending_pop (self);
  GST_LOG_OBJECT (self, "output %" GST_PTR_FORMAT, *outbuf);
  return GST_FLOW_OK;
}

/* The next buffer for downstream (GST_FLOW_OK and @outbuf), or the flow
 * create() returns. Called by the thread that owns the output state. */
static GstFlowReturn
next_output (GstRtmpIngestSrc * self, GstBuffer ** outbuf, OutputMode omode)
{
  GstRtmpIngestOnUnpublish mode;
  guint stats_interval;
  gint64 batch_us;
  Item *item;

  GST_OBJECT_LOCK (self);
  mode = self->on_unpublish;
  stats_interval = omode == OUTPUT_WAIT ? self->stats_interval : 0;
  batch_us = (gint64) self->batch_interval * 1000;
  GST_OBJECT_UNLOCK (self);
  if (stats_interval && self->next_stats == 0)
    self->next_stats = g_get_monotonic_time () + stats_interval * 1000;

  for (;;) {
    gboolean audio = FALSE, video = FALSE;
    RtmpNetConnection *resume = NULL;

    g_mutex_lock (&self->qlock);
    if (pending_length (self) > 0 &&
        !(omode == OUTPUT_WAIT && more_for_list_locked (self))) {
      g_mutex_unlock (&self->qlock);
      return take_pending (self, outbuf, omode);
    }
    for (;;) {
      if (self->flushing)
        goto flushing;
      if (stats_due_locked (self, stats_interval))
        continue;
      if (!g_queue_is_empty (&self->queue)) {
        if (self->header_sent)
          break;
        /* an EOS before any publisher: no FLV header to send */
        if (((Item *) g_queue_peek_head (&self->queue))->type == ITEM_EOS)
          break;
        if (header_flags_locked (self, &audio, &video))
          break;
      }
      if (omode != OUTPUT_WAIT) {
        g_mutex_unlock (&self->qlock);
        return OUTPUT_NOTHING;
      }
      if (self->reader && batch_us > 0 &&
          !rtmp_net_connection_input_pending (self->reader) &&
          g_get_monotonic_time () < self->next_read) {
        /* batch-interval: let the publisher's next messages collect in the
         * socket and read them with one wake-up; an unlock, an item queued
         * by another thread or the statistics timer end the wait early */
        gint64 until = self->next_read;

        if (stats_interval && self->next_stats < until)
          until = self->next_stats;
        self->qwaiters++;
        g_cond_wait_until (&self->qcond, &self->qlock, until);
        self->qwaiters--;
        continue;
      }
      if (self->reader) {
        /* serve the publisher's socket ourselves until something is
         * queued (its callbacks run here), we are unlocked, or another
         * thread queues an item (push_item_locked wakes the context) */
        GSource *timer = NULL;

        self->iterating = TRUE;
        g_mutex_unlock (&self->qlock);
        if (stats_interval) {
          gint64 left = self->next_stats - g_get_monotonic_time ();

          timer = g_timeout_source_new (MAX (left, 0) / 1000 + 1);
          g_source_set_callback (timer, stats_timer_cb, NULL, NULL);
          g_source_attach (timer, self->context);
        }
        g_main_context_iteration (self->context, TRUE);
        /* the next read is at the next multiple of the interval on the
         * monotonic clock: every element of the process with the same
         * interval reads at the same instants, so the CPU wakes up once
         * for all of them instead of once per stream (20-25 % less CPU at
         * 100 streams and 40 ms than with a deadline per element) */
        if (batch_us > 0)
          self->next_read = (g_get_monotonic_time () / batch_us + 1) *
              batch_us;
        if (timer) {
          g_source_destroy (timer);
          g_source_unref (timer);
        }
        g_mutex_lock (&self->qlock);
        self->iterating = FALSE;
        continue;
      }
      self->qwaiters++;
      if (stats_interval == 0)
        g_cond_wait (&self->qcond, &self->qlock);
      else
        g_cond_wait_until (&self->qcond, &self->qlock, self->next_stats);
      self->qwaiters--;
    }

    if (omode == OUTPUT_DIRECT) {
      ItemType head = ((Item *) g_queue_peek_head (&self->queue))->type;

      if (head == ITEM_END || head == ITEM_EOS) {
        g_mutex_unlock (&self->qlock);
        return OUTPUT_NEEDS_CREATE;
      }
    }

    if (!self->header_sent &&
        ((Item *) g_queue_peek_head (&self->queue))->type != ITEM_EOS &&
        !ends_without_media_locked (self)) {
      GstBuffer *hdr = rtmp_flv_header_new (audio, video);

      GST_DEBUG_OBJECT (self, "FLV header: audio %d video %d", audio, video);
      self->header_sent = TRUE;
      GST_BUFFER_FLAG_SET (hdr, GST_BUFFER_FLAG_HEADER);
      gst_buffer_replace (&self->sh_header, hdr);
      pending_push (self, hdr);
      self->streamheader_dirty = TRUE;
      g_mutex_unlock (&self->qlock);
      continue;
    }

    item = item_queue_pop (&self->queue);
    self->queue_bytes -= MIN (item->size, self->queue_bytes);
    if (self->paused && self->queue_bytes <= self->max_queue_bytes / 2 &&
        !queue_full_locked (self))
      resume = g_steal_pointer (&self->paused);
    g_mutex_unlock (&self->qlock);

    if (resume) {
      rtmp_net_connection_resume (resume);
      rtmp_net_connection_unref (resume);
    }

    if (item->type == ITEM_EOS) {
      item_free (item);
      GST_INFO_OBJECT (self, "end of stream: everything received before the "
          "EOS event was output");
      return GST_FLOW_EOS;
    }
    if (item->type == ITEM_END) {
      item_free (item);
      self->end_time_us = g_get_monotonic_time ();
      if (mode == GST_RTMP_INGEST_ON_UNPUBLISH_EOS && !self->header_sent) {
        /* The publisher left before sending any audio or video: nothing
         * was output, and an EOS now would only end an empty stream
         * (flvdemux fails on an EOS before any data). An encoder that
         * gives up at once must not take the pipeline down: wait for the
         * next publisher instead, unless an EOS event asked to end. */
        g_mutex_lock (&self->qlock);
        if (!self->eos_requested) {
          self->ended = FALSE;
          if (self->consumer)
            rtmp_net_consumer_set_available (self->consumer, TRUE);
        }
        g_mutex_unlock (&self->qlock);
        self->had_publisher = FALSE;
        GST_WARNING_OBJECT (self, "the publisher left before sending any "
            "audio or video: not ending the stream, waiting for the next "
            "publisher");
        continue;
      }
      if (mode == GST_RTMP_INGEST_ON_UNPUBLISH_EOS) {
        GST_INFO_OBJECT (self, "publisher stopped: end of stream");
        return GST_FLOW_EOS;
      }
      GST_INFO_OBJECT (self, "publisher stopped: waiting for the next one");
      continue;
    }
    if (item->type == ITEM_MESSAGE && !self->header_sent) {
      /* only the script data of a publisher that left before any audio or
       * video gets here (the FLV header goes out before the first message
       * otherwise): there is no stream to put it in */
      GST_DEBUG_OBJECT (self, "dropping a %s message of a publisher that "
          "sent no audio or video", rtmp_message_type_get_name
          (item->msg.type));
      item_free (item);
      continue;
    }
    process_item (self, item);
    item_free (item);
  }

flushing:
  g_mutex_unlock (&self->qlock);
  GST_DEBUG_OBJECT (self, "flushing");
  return GST_FLOW_FLUSHING;
}

/* thread-group: buffers are pushed here, by create() or by the group's
 * thread, never returned to GstBaseSrc, which therefore never sends its
 * segment: we send it (again after gst_base_src_new_segment()). */
static GstFlowReturn
push_out (GstRtmpIngestSrc * self, GstBuffer * buf)
{
  GstPad *pad = GST_BASE_SRC_PAD (self);

  if (!self->segment_pushed) {
    GstSegment seg;

    GST_OBJECT_LOCK (self);
    gst_segment_copy_into (&GST_BASE_SRC (self)->segment, &seg);
    GST_OBJECT_UNLOCK (self);
    self->segment_pushed = TRUE;
    gst_pad_push_event (pad, gst_event_new_segment (&seg));
  }
  GST_LOG_OBJECT (self, "push %" GST_PTR_FORMAT, buf);
  return gst_pad_push (pad, buf);
}

/* thread-group, with @pushing set: pushes what next_output() gives in
 * @omode until it gives no buffer (its flow in @next) or a push fails (the
 * push's flow is returned; GST_FLOW_OK otherwise). Sets @pushed if a
 * buffer went through. */
static GstFlowReturn
output_all (GstRtmpIngestSrc * self, OutputMode omode, GstFlowReturn * next,
    gboolean * pushed)
{
  GstFlowReturn ret;
  GstBuffer *buf;

  for (;;) {
    *next = next_output (self, &buf, omode);
    if (*next != GST_FLOW_OK)
      return GST_FLOW_OK;
    ret = push_out (self, buf);
    if (ret != GST_FLOW_OK)
      return ret;
    if (pushed)
      *pushed = TRUE;
  }
}

/* thread-group, the group's thread after a read of our publisher: output
 * what was queued, if create() is parked (else it does so itself). */
static void
group_output (GstRtmpIngestSrc * self)
{
  GstFlowReturn ret, pret;
  gboolean wake;
  guint unlocks;

  g_mutex_lock (&self->qlock);
  if (!self->direct_ok || self->pushing || self->flushing) {
    /* create() outputs itself (busy, or waiting for its first buffer to go
     * through): wake it if it waits */
    if (!self->pushing && self->qwaiters > 0 &&
        !g_queue_is_empty (&self->queue)) {
      self->kick++;
      g_cond_broadcast (&self->qcond);
    }
    g_mutex_unlock (&self->qlock);
    return;
  }
  self->pushing = TRUE;
  unlocks = self->unlocks;
  g_mutex_unlock (&self->qlock);

  pret = output_all (self, OUTPUT_DIRECT, &ret, NULL);

  g_mutex_lock (&self->qlock);
  self->pushing = FALSE;
  wake = self->push_waiters > 0;
  if (pret != GST_FLOW_OK && unlocks != self->unlocks) {
    /* create() was unlocked meanwhile (a state change): it has returned,
     * and a later create() must not get this flow (GstBaseSrc would
     * stop its task on a stale FLUSHING) */
    GST_DEBUG_OBJECT (self, "push failed after an unlock: %s",
        gst_flow_get_name (pret));
    self->direct_ok = FALSE;
  } else if (pret != GST_FLOW_OK) {
    /* create() returns it to GstBaseSrc, which pauses and posts the error
     * (or stops on flushing) as for a buffer it pushed itself */
    GST_DEBUG_OBJECT (self, "push failed: %s", gst_flow_get_name (pret));
    self->direct_flow = pret;
    self->direct_ok = FALSE;
    wake = TRUE;
  } else if (ret == OUTPUT_NEEDS_CREATE) {
    self->kick++;
    wake = TRUE;
  }
  /* no broadcast per message: create() sleeps through our pushes */
  if (wake && self->qwaiters > 0)
    g_cond_broadcast (&self->qcond);
  g_mutex_unlock (&self->qlock);
}

/* thread-group: create() outputs what it finds, then parks while the
 * group's thread outputs for us, until a flow is to be returned (EOS,
 * flushing, a failed push), an item needs it (the end of a publisher, an
 * EOS event) or statistics are due. It never returns a buffer. */
static GstFlowReturn
create_grouped (GstRtmpIngestSrc * self)
{
  GstFlowReturn ret = GST_FLOW_OK;
  guint stats_interval;

  GST_OBJECT_LOCK (self);
  stats_interval = self->stats_interval;
  GST_OBJECT_UNLOCK (self);
  if (stats_interval && self->next_stats == 0)
    self->next_stats = g_get_monotonic_time () + stats_interval * 1000;

  g_mutex_lock (&self->qlock);
  for (;;) {
    GstFlowReturn pret;
    gboolean pushed = FALSE;
    guint64 mseq;
    guint kick;

    /* take the output back from the group's thread: wait for its push to
     * end, unless unlocked (it may be blocked downstream by the state
     * change that unlocks us) */
    self->direct_ok = FALSE;
    while (self->pushing && !self->flushing) {
      self->push_waiters++;
      self->qwaiters++;
      g_cond_wait (&self->qcond, &self->qlock);
      self->qwaiters--;
      self->push_waiters--;
    }
    if (self->flushing) {
      ret = GST_FLOW_FLUSHING;
      break;
    }
    if (self->direct_flow != GST_FLOW_OK) {
      ret = self->direct_flow;
      self->direct_flow = GST_FLOW_OK;
      break;
    }
    if (stats_due_locked (self, stats_interval))
      continue;
    self->pushing = TRUE;
    mseq = self->mseq;
    g_mutex_unlock (&self->qlock);

    pret = output_all (self, OUTPUT_NOWAIT, &ret, &pushed);
    if (pret != GST_FLOW_OK)
      ret = pret;

    g_mutex_lock (&self->qlock);
    self->pushing = FALSE;
    if (pushed)
      self->own_pushed = TRUE;
    if (ret != OUTPUT_NOTHING)
      break;
    ret = GST_FLOW_OK;
    /* messages queued while we were outputting: the group's thread found
     * us busy and left them */
    if (self->mseq != mseq)
      continue;
    kick = self->kick;
    /* the first buffer after a (re)start goes through our own thread: the
     * sink may hold it until the whole pipeline is PLAYING (preroll),
     * which with one thread for many elements would never happen */
    self->direct_ok = self->own_pushed;
    while (!self->flushing && self->direct_flow == GST_FLOW_OK &&
        self->kick == kick && !(stats_interval &&
            g_get_monotonic_time () >= self->next_stats)) {
      self->qwaiters++;
      if (stats_interval)
        g_cond_wait_until (&self->qcond, &self->qlock, self->next_stats);
      else
        g_cond_wait (&self->qcond, &self->qlock);
      self->qwaiters--;
    }
  }
  self->direct_ok = FALSE;
  if (ret == GST_FLOW_FLUSHING)
    self->own_pushed = FALSE;
  g_mutex_unlock (&self->qlock);
  GST_DEBUG_OBJECT (self, "create returns %s", gst_flow_get_name (ret));
  return ret;
}

static GstFlowReturn
gst_rtmp_ingest_src_create (GstPushSrc * psrc, GstBuffer ** outbuf)
{
  GstRtmpIngestSrc *self = GST_RTMP_INGEST_SRC (psrc);

  GstFlowReturn ret;

  if (self->group)
    ret = create_grouped (self);
  else
    ret = next_output (self, outbuf, OUTPUT_WAIT);
  /* the task may stop now (unlocked, EOS, an error): its thread goes back
   * to GStreamer's pool and lives on, with what OpenSSL allocated for it
   * while it read an RTMPS publisher */
  if (ret != GST_FLOW_OK)
    rtmp_net_tls_thread_release ();
  return ret;
}

/* An EOS event sent to the element (gst-launch-1.0 -e on Ctrl-C, an
 * application finishing a recording): GstBaseSrc would unlock create() and
 * drop whatever is still queued, so a recording stopped right after a
 * publish started could hold only the FLV header. Instead the end is
 * queued behind what was received: create() outputs all of it, then
 * returns EOS. Publishers are refused from now on, as after an unpublish
 * in on-unpublish=eos mode. Before start() (nothing queued, no streaming
 * thread) GstBaseSrc handles it. */
static gboolean
gst_rtmp_ingest_src_send_event (GstElement * element, GstEvent * event)
{
  GstRtmpIngestSrc *self = GST_RTMP_INGEST_SRC (element);
  Item *item;

  if (GST_EVENT_TYPE (event) != GST_EVENT_EOS)
    return GST_ELEMENT_CLASS (parent_class)->send_event (element, event);

  g_mutex_lock (&self->qlock);
  if (self->consumer == NULL) {
    g_mutex_unlock (&self->qlock);
    return GST_ELEMENT_CLASS (parent_class)->send_event (element, event);
  }
  self->eos_requested = TRUE;
  if (!self->ended) {
    self->ended = TRUE;
    rtmp_net_consumer_set_available (self->consumer, FALSE);
  }
  item = g_new0 (Item, 1);
  item->type = ITEM_EOS;
  /* push_item_locked() only wakes a waiting thread: a thread that is about
   * to wait checks the queue under qlock first */
  push_item_locked (self, item);
  g_mutex_unlock (&self->qlock);
  GST_INFO_OBJECT (self, "EOS event: the stream ends after what is queued");
  gst_event_unref (event);
  return TRUE;
}

static gboolean
gst_rtmp_ingest_src_unlock (GstBaseSrc * bsrc)
{
  GstRtmpIngestSrc *self = GST_RTMP_INGEST_SRC (bsrc);

  GST_DEBUG_OBJECT (self, "unlock");
  g_mutex_lock (&self->qlock);
  self->flushing = TRUE;
  self->unlocks++;
  g_cond_broadcast (&self->qcond);
  g_mutex_unlock (&self->qlock);
  g_main_context_wakeup (self->context);
  return TRUE;
}

static gboolean
gst_rtmp_ingest_src_unlock_stop (GstBaseSrc * bsrc)
{
  GstRtmpIngestSrc *self = GST_RTMP_INGEST_SRC (bsrc);

  GST_DEBUG_OBJECT (self, "unlock_stop");
  g_mutex_lock (&self->qlock);
  self->flushing = FALSE;
  g_mutex_unlock (&self->qlock);
  return TRUE;
}

static void
reset_stream_state (GstRtmpIngestSrc * self)
{
  pending_clear (self);
  g_clear_pointer (&self->sh_header, gst_buffer_unref);
  g_clear_pointer (&self->sh_meta, gst_buffer_unref);
  g_clear_pointer (&self->sh_video, gst_buffer_unref);
  g_clear_pointer (&self->sh_audio, gst_buffer_unref);
  self->header_sent = FALSE;
  self->had_publisher = FALSE;
  self->have_base = FALSE;
  self->discont = FALSE;
  self->base_ms = self->offset_ms = self->last_out_ms = 0;
  self->end_time_us = 0;
  self->next_stats = 0;
  self->streamheader_dirty = FALSE;
  self->caps_pushed = FALSE;
  self->segment_pushed = FALSE;
  rtmp_timestamp_extender_init (&self->ext);
}

/* Adobe authentication: the password of @user (server thread) */
static gchar *
lookup_password (const gchar * user, gpointer user_data)
{
  GstRtmpIngestSrc *self = user_data;
  gchar *password = NULL;

  if (g_signal_has_handler_pending (self, signals[SIGNAL_GET_PASSWORD], 0,
          FALSE)) {
    g_signal_emit (self, signals[SIGNAL_GET_PASSWORD], 0, user, &password);
    if (password)
      return password;
  }
  GST_OBJECT_LOCK (self);
  if (self->username && self->password && g_str_equal (self->username, user))
    password = g_strdup (self->password);
  GST_OBJECT_UNLOCK (self);
  if (password == NULL)
    GST_INFO_OBJECT (self, "authentication: unknown user '%s'", user);
  return password;
}

/* The settings every element on one address/port must agree on: the
 * listener (one socket, one thread) applies those of the first. */
static GstStructure *
listener_settings_locked (GstRtmpIngestSrc * self, gboolean auth)
{
  return gst_structure_new ("rtmp-listener-settings",
      "tls-mode", G_TYPE_STRING, self->tls_mode == RTMP_NET_TLS_MODE_PLAIN ?
      "plain" : self->tls_mode == RTMP_NET_TLS_MODE_TLS ? "tls" : "both",
      "tls-certificate", G_TYPE_STRING, self->tls_certificate,
      "tls-key", G_TYPE_STRING, self->tls_key,
      "authentication", G_TYPE_BOOLEAN, auth,
      "username", G_TYPE_STRING, self->username,
      "password", G_TYPE_STRING, self->password,
      "chunk-size", G_TYPE_UINT, self->chunk_size,
      "window-ack-size", G_TYPE_UINT, self->window_ack_size,
      "handshake-timeout", G_TYPE_UINT, self->handshake_timeout,
      "idle-timeout", G_TYPE_UINT, self->idle_timeout,
      "max-message-size", G_TYPE_UINT, self->max_message_size,
      "max-connections", G_TYPE_UINT, self->max_connections,
      "max-pending-connections", G_TYPE_UINT, self->max_pending_connections,
      "max-chunk-streams", G_TYPE_UINT, self->max_chunk_streams,
      "max-amf-depth", G_TYPE_UINT, self->max_amf_depth,
      "max-bytes-in-flight", G_TYPE_UINT, self->max_bytes_in_flight, NULL);
}

/* thread-group: the group's thread will read our publishers (start) */
static void
join_thread_group (GstRtmpIngestSrc * self)
{
  RtmpNetThreadGroup *group;
  gchar *name;
  guint batch, interval;

  GST_OBJECT_LOCK (self);
  name = g_strdup (self->thread_group);
  batch = self->batch_interval;
  GST_OBJECT_UNLOCK (self);
  if (name == NULL || name[0] == '\0') {
    g_free (name);
    return;
  }
  group = rtmp_net_thread_group_get (name, batch);
  interval = rtmp_net_thread_group_get_interval (group);
  if (interval != batch)
    GST_WARNING_OBJECT (self, "thread-group '%s' reads every %u ms (the "
        "batch-interval of the element that started it), not every %u ms: "
        "give the elements of a group the same batch-interval", name,
        interval, batch);
  else
    GST_INFO_OBJECT (self, "in thread-group '%s' (batch-interval %u ms)",
        name, interval);
  GST_OBJECT_LOCK (self);
  self->group = group;
  self->group_interval = interval;
  GST_OBJECT_UNLOCK (self);
  g_free (name);
}

/* (stop, once no publisher of ours is served by the group's thread) */
static void
leave_thread_group (GstRtmpIngestSrc * self)
{
  RtmpNetThreadGroup *group;

  GST_OBJECT_LOCK (self);
  group = g_steal_pointer (&self->group);
  GST_OBJECT_UNLOCK (self);
  if (group)
    rtmp_net_thread_group_unref (group);
}

static gboolean
gst_rtmp_ingest_src_start (GstBaseSrc * bsrc)
{
  GstRtmpIngestSrc *self = GST_RTMP_INGEST_SRC (bsrc);
  RtmpNetConsumerInfo info = { 0, };
  RtmpNetServerConfig config;
  RtmpNetConsumer *consumer;
  GstStructure *settings;
  GError *err = NULL;
  gchar *address, *bound, *tls_cert, *tls_key, *name;
  gboolean use_auth;
  guint port, sharing;

  rtmp_net_server_config_init (&config);
  GST_OBJECT_LOCK (self);
  address = g_strdup (self->address);
  port = self->port;
  config.session.chunk_size = self->chunk_size;
  config.session.window_ack_size = self->window_ack_size;
  config.session.peer_bandwidth = self->window_ack_size;
  config.limits.handshake_timeout_ms = self->handshake_timeout;
  config.limits.idle_timeout_ms = self->idle_timeout;
  config.limits.max_message_size = self->max_message_size;
  config.max_connections = self->max_connections;
  config.max_pending = self->max_pending_connections;
  config.limits.max_chunk_streams = self->max_chunk_streams;
  config.limits.max_amf_depth = self->max_amf_depth;
  config.limits.max_bytes_in_flight = self->max_bytes_in_flight;
  config.tls_mode = self->tls_mode;
  tls_cert = g_strdup (self->tls_certificate);
  tls_key = g_strdup (self->tls_key);
  use_auth = (self->username && *self->username);
  GST_OBJECT_UNLOCK (self);

  if (config.tls_mode != RTMP_NET_TLS_MODE_PLAIN) {
    config.tls_context = rtmp_net_tls_context_new_server (tls_cert, tls_key,
        &err);
    if (config.tls_context == NULL) {
      g_free (tls_cert);
      g_free (tls_key);
      g_free (address);
      goto tls_failed;
    }
  }
  g_free (tls_cert);
  g_free (tls_key);
  /* Adobe authentication: from the username/password properties or any
   * get-password handler */
  if (use_auth || g_signal_has_handler_pending (self,
          signals[SIGNAL_GET_PASSWORD], 0, FALSE)) {
    use_auth = TRUE;
    info.lookup_password = lookup_password;
    GST_INFO_OBJECT (self, "publishers must authenticate (authmod=adobe)");
  }

  g_mutex_lock (&self->qlock);
  self->ended = FALSE;
  self->eos_requested = FALSE;
  self->refused = self->dropped_peers = self->publishers = 0;
  self->read_pauses = 0;
  self->video_frames = self->audio_frames = self->dropped_messages = 0;
  self->direct_ok = self->pushing = self->own_pushed = FALSE;
  self->direct_flow = GST_FLOW_OK;
  g_mutex_unlock (&self->qlock);
  reset_stream_state (self);
  join_thread_group (self);

  info.callbacks.connect = on_connect;
  info.callbacks.publish_request = on_publish_request;
  info.callbacks.publish_started = on_publish_started;
  info.callbacks.media = on_media;
  info.callbacks.metadata = on_metadata;
  info.callbacks.unpublished = on_unpublished;
  info.callbacks.closed = on_closed;
  info.callbacks.input_processed = on_input_processed;
  info.user_data = self;

  /* elements on one address and port share one listener (first to start
   * binds, last to stop closes); the claims are copied */
  name = gst_object_get_name (GST_OBJECT (self));
  info.name = name;
  GST_OBJECT_LOCK (self);
  settings = listener_settings_locked (self, use_auth);
  info.application = g_strdup (self->application);
  info.stream_key = g_strdup (self->stream_key);
  GST_OBJECT_UNLOCK (self);
  consumer = rtmp_net_consumer_acquire (address, port, &config, settings,
      &info, &err);
  gst_structure_free (settings);
  g_free ((gchar *) info.application);
  g_free ((gchar *) info.stream_key);
  g_free (name);
  /* the listener holds its own reference */
  rtmp_net_tls_context_unref (config.tls_context);
  g_free (address);
  if (consumer == NULL) {
    leave_thread_group (self);
    goto listen_failed;
  }

  self->server = rtmp_net_server_ref (rtmp_net_consumer_get_server (consumer));
  g_mutex_lock (&self->qlock);
  self->consumer = consumer;
  g_mutex_unlock (&self->qlock);

  g_atomic_int_set (&self->current_port,
      rtmp_net_server_get_port (self->server));
  bound = rtmp_net_server_get_address_string (self->server);
  sharing = rtmp_net_consumer_get_n_sharing (consumer);
  if (sharing > 1)
    GST_INFO_OBJECT (self, "RTMP server listening on %s, shared by %u "
        "elements", bound, sharing);
  else
    GST_INFO_OBJECT (self, "RTMP server listening on %s", bound);
  g_free (bound);
  g_object_notify (G_OBJECT (self), "current-port");
  return TRUE;

  /* ERRORS */
tls_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Cannot set up TLS (tls-mode %s): %s", config.tls_mode ==
            RTMP_NET_TLS_MODE_TLS ? "tls" : "both", err->message),
        ("set tls-certificate (and tls-key) to readable PEM files"));
    g_error_free (err);
    return FALSE;
  }
listen_failed:
  {
    /* the net layer's message already names the address (or the element
     * whose settings conflict) and the fix */
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", err->message),
          (NULL));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("%s", err->message),
          (NULL));
    g_error_free (err);
    return FALSE;
  }
}

static gboolean
gst_rtmp_ingest_src_stop (GstBaseSrc * bsrc)
{
  GstRtmpIngestSrc *self = GST_RTMP_INGEST_SRC (bsrc);
  RtmpNetConsumer *consumer;
  RtmpNetConnection *reader;
  GList *lingering;

  GST_DEBUG_OBJECT (self, "stopping");
  /* without a consumer, on_publish_started no longer moves a publisher to
   * our context */
  g_mutex_lock (&self->qlock);
  consumer = g_steal_pointer (&self->consumer);
  reader = g_steal_pointer (&self->reader);
  lingering = g_steal_pointer (&self->lingering);
  g_mutex_unlock (&self->qlock);
  if (reader)
    lingering = g_list_prepend (lingering, reader);
  /* The streaming thread has stopped: this thread serves our context now.
   * The publisher it served is closed (at once if it is on our context;
   * a move asked for just before may still be on its way from a network
   * thread: the close request follows it here). Leaving the listener
   * closes our other connections; no callback of ours runs after it. The
   * other elements on the port keep streaming. */
  if (!g_main_context_acquire (self->context))
    GST_ERROR_OBJECT (self, "the streaming thread still serves the context");
  if (lingering) {
    gint64 deadline = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
    GList *l;

    for (l = lingering; l; l = l->next)
      rtmp_net_connection_close (l->data, NULL);
    for (l = lingering; l; l = l->next) {
      RtmpNetConnection *conn = l->data;

      while (!rtmp_net_connection_is_closed (conn)) {
        while (g_main_context_iteration (self->context, FALSE));
        if (rtmp_net_connection_is_closed (conn))
          break;
        if (g_get_monotonic_time () > deadline) {
          GST_WARNING_OBJECT (self, "publisher %s not closed within 2 s",
              rtmp_net_connection_get_peer (conn));
          break;
        }
        g_usleep (1000);
      }
    }
    g_list_free_full (lingering, (GDestroyNotify) rtmp_net_connection_unref);
  }
  /* only now: with a thread-group, the group's thread closes our
   * publishers, and must be done with them before the listener goes */
  if (consumer)
    rtmp_net_consumer_release (consumer);
  while (g_main_context_iteration (self->context, FALSE));
  g_main_context_release (self->context);
  leave_thread_group (self);
  g_clear_pointer (&self->server, rtmp_net_server_unref);
  g_atomic_int_set (&self->current_port, 0);

  g_mutex_lock (&self->qlock);
  item_queue_clear (&self->queue);
  self->queue_bytes = 0;
  g_clear_pointer (&self->active, rtmp_net_connection_unref);
  g_clear_pointer (&self->paused, rtmp_net_connection_unref);
  clear_publisher_info_locked (self);
  self->publish_start_us = 0;
  g_mutex_unlock (&self->qlock);
  reset_stream_state (self);
  return TRUE;
}

static gboolean
gst_rtmp_ingest_src_query (GstBaseSrc * bsrc, GstQuery * query)
{
  GstRtmpIngestSrc *self = GST_RTMP_INGEST_SRC (bsrc);

  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    GstClockTime min;

    GST_OBJECT_LOCK (self);
    /* batch-interval (the group's, with a thread-group) holds data back
     * by up to that much more */
    min = ((guint64) self->latency + (self->group ? self->group_interval :
            self->batch_interval)) * GST_MSECOND;
    GST_OBJECT_UNLOCK (self);
    /* timestamps are the arrival time of the first message plus the
     * publisher's own clock: network and encoder jitter is what sinks must
     * wait for; we can hold any amount (back-pressure), so no maximum */
    gst_query_set_latency (query, TRUE, min, GST_CLOCK_TIME_NONE);
    GST_DEBUG_OBJECT (self, "latency: live, min %" GST_TIME_FORMAT,
        GST_TIME_ARGS (min));
    return TRUE;
  }
  return GST_BASE_SRC_CLASS (parent_class)->query (bsrc, query);
}

static GstStructure *
build_stats_locked (GstRtmpIngestSrc * self)
{
  GstStructure *s;
  guint64 uptime;

  uptime = self->publish_start_us ?
      (g_get_monotonic_time () - self->publish_start_us) * GST_USECOND : 0;
  s = gst_structure_new ("rtmpingestsrc-stats",
      "publishing", G_TYPE_BOOLEAN, self->active != NULL,
      "peer", G_TYPE_STRING, self->peer,
      "application", G_TYPE_STRING, self->app,
      "stream", G_TYPE_STRING, self->stream,
      "query", G_TYPE_STRING, self->query,
      "flash-ver", G_TYPE_STRING, self->flash_ver,
      "bytes-in", G_TYPE_UINT64, self->bytes_in,
      "messages-in", G_TYPE_UINT64, self->messages_in,
      "reads-in", G_TYPE_UINT64, self->reads_in,
      "chunk-size", G_TYPE_UINT, self->peer_chunk_size,
      "bitrate", G_TYPE_UINT64, self->bitrate,
      "uptime", G_TYPE_UINT64, uptime,
      "video-frames", G_TYPE_UINT64, self->video_frames,
      "audio-frames", G_TYPE_UINT64, self->audio_frames,
      "queued-bytes", G_TYPE_UINT64, (guint64) self->queue_bytes,
      "dropped", G_TYPE_UINT64, self->dropped_messages,
      "dropped-peers", G_TYPE_UINT64, self->dropped_peers,
      "refused", G_TYPE_UINT64, self->refused,
      "publishers", G_TYPE_UINT64, self->publishers,
      "read-pauses", G_TYPE_UINT64, self->read_pauses,
      "connections", G_TYPE_UINT,
      self->server ? rtmp_net_server_get_n_connections (self->server) : 0,
      "pending-connections", G_TYPE_UINT,
      self->server ? rtmp_net_server_get_n_pending (self->server) : 0,
      "network-threads", G_TYPE_UINT,
      self->server ? rtmp_net_server_get_n_threads (self->server) : 0, NULL);
  if (self->metadata)
    gst_structure_set (s, "metadata", GST_TYPE_STRUCTURE, self->metadata,
        NULL);
  return s;
}

static GstStructure *
build_stats (GstRtmpIngestSrc * self)
{
  GstStructure *s;

  g_mutex_lock (&self->qlock);
  s = build_stats_locked (self);
  g_mutex_unlock (&self->qlock);
  return s;
}

/* ------------------------------------------------------------------ */
/* GObject                                                             */
/* ------------------------------------------------------------------ */

static void
gst_rtmp_ingest_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtmpIngestSrc *self = GST_RTMP_INGEST_SRC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_ADDRESS:
      g_free (self->address);
      self->address = g_value_dup_string (value);
      break;
    case PROP_PORT:
      self->port = g_value_get_uint (value);
      break;
    case PROP_APPLICATION:
      g_free (self->application);
      self->application = g_value_dup_string (value);
      break;
    case PROP_STREAM_KEY:
      g_free (self->stream_key);
      self->stream_key = g_value_dup_string (value);
      break;
    case PROP_CHUNK_SIZE:
      self->chunk_size = g_value_get_uint (value);
      break;
    case PROP_WINDOW_ACK_SIZE:
      self->window_ack_size = g_value_get_uint (value);
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      self->handshake_timeout = g_value_get_uint (value);
      break;
    case PROP_IDLE_TIMEOUT:
      self->idle_timeout = g_value_get_uint (value);
      break;
    case PROP_ON_UNPUBLISH:
      self->on_unpublish = g_value_get_enum (value);
      break;
    case PROP_LATENCY:
      self->latency = g_value_get_uint (value);
      break;
    case PROP_BATCH_INTERVAL:
      self->batch_interval = g_value_get_uint (value);
      break;
    case PROP_THREAD_GROUP:
      g_free (self->thread_group);
      self->thread_group = g_value_dup_string (value);
      break;
    case PROP_MAX_QUEUE_BYTES:
      self->max_queue_bytes = g_value_get_uint (value);
      break;
    case PROP_MAX_QUEUE_TIME:
      self->max_queue_time = g_value_get_uint (value);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      self->max_message_size = g_value_get_uint (value);
      break;
    case PROP_MAX_CONNECTIONS:
      self->max_connections = g_value_get_uint (value);
      break;
    case PROP_MAX_PENDING_CONNECTIONS:
      self->max_pending_connections = g_value_get_uint (value);
      break;
    case PROP_MAX_CHUNK_STREAMS:
      self->max_chunk_streams = g_value_get_uint (value);
      break;
    case PROP_MAX_AMF_DEPTH:
      self->max_amf_depth = g_value_get_uint (value);
      break;
    case PROP_MAX_BYTES_IN_FLIGHT:
      self->max_bytes_in_flight = g_value_get_uint (value);
      break;
    case PROP_TLS_MODE:
      self->tls_mode = g_value_get_enum (value);
      break;
    case PROP_TLS_CERTIFICATE:
      g_free (self->tls_certificate);
      self->tls_certificate = g_value_dup_string (value);
      break;
    case PROP_TLS_KEY:
      g_free (self->tls_key);
      self->tls_key = g_value_dup_string (value);
      break;
    case PROP_USERNAME:
      g_free (self->username);
      self->username = g_value_dup_string (value);
      break;
    case PROP_PASSWORD:
      g_free (self->password);
      self->password = g_value_dup_string (value);
      break;
    case PROP_STATS_INTERVAL:
      self->stats_interval = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rtmp_ingest_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtmpIngestSrc *self = GST_RTMP_INGEST_SRC (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, build_stats (self));
    return;
  }
  if (prop_id == PROP_CURRENT_PORT) {
    g_value_set_int (value, g_atomic_int_get (&self->current_port));
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_ADDRESS:
      g_value_set_string (value, self->address);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_APPLICATION:
      g_value_set_string (value, self->application);
      break;
    case PROP_STREAM_KEY:
      g_value_set_string (value, self->stream_key);
      break;
    case PROP_CHUNK_SIZE:
      g_value_set_uint (value, self->chunk_size);
      break;
    case PROP_WINDOW_ACK_SIZE:
      g_value_set_uint (value, self->window_ack_size);
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      g_value_set_uint (value, self->handshake_timeout);
      break;
    case PROP_IDLE_TIMEOUT:
      g_value_set_uint (value, self->idle_timeout);
      break;
    case PROP_ON_UNPUBLISH:
      g_value_set_enum (value, self->on_unpublish);
      break;
    case PROP_LATENCY:
      g_value_set_uint (value, self->latency);
      break;
    case PROP_BATCH_INTERVAL:
      g_value_set_uint (value, self->batch_interval);
      break;
    case PROP_THREAD_GROUP:
      g_value_set_string (value, self->thread_group);
      break;
    case PROP_MAX_QUEUE_BYTES:
      g_value_set_uint (value, self->max_queue_bytes);
      break;
    case PROP_MAX_QUEUE_TIME:
      g_value_set_uint (value, self->max_queue_time);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      g_value_set_uint (value, self->max_message_size);
      break;
    case PROP_MAX_CONNECTIONS:
      g_value_set_uint (value, self->max_connections);
      break;
    case PROP_MAX_PENDING_CONNECTIONS:
      g_value_set_uint (value, self->max_pending_connections);
      break;
    case PROP_MAX_CHUNK_STREAMS:
      g_value_set_uint (value, self->max_chunk_streams);
      break;
    case PROP_MAX_AMF_DEPTH:
      g_value_set_uint (value, self->max_amf_depth);
      break;
    case PROP_MAX_BYTES_IN_FLIGHT:
      g_value_set_uint (value, self->max_bytes_in_flight);
      break;
    case PROP_STATS_INTERVAL:
      g_value_set_uint (value, self->stats_interval);
      break;
    case PROP_TLS_MODE:
      g_value_set_enum (value, self->tls_mode);
      break;
    case PROP_TLS_CERTIFICATE:
      g_value_set_string (value, self->tls_certificate);
      break;
    case PROP_TLS_KEY:
      g_value_set_string (value, self->tls_key);
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
gst_rtmp_ingest_src_finalize (GObject * object)
{
  GstRtmpIngestSrc *self = GST_RTMP_INGEST_SRC (object);

  g_free (self->address);
  g_free (self->application);
  g_free (self->stream_key);
  g_free (self->tls_certificate);
  g_free (self->tls_key);
  g_free (self->thread_group);
  g_free (self->username);
  g_free (self->password);
  item_queue_clear (&self->queue);
  clear_publisher_info_locked (self);
  reset_stream_state (self);
  g_ptr_array_unref (self->pending);
  g_mutex_clear (&self->qlock);
  g_main_context_unref (self->context);
  g_cond_clear (&self->qcond);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static gboolean
authorize_accumulator (GSignalInvocationHint * ihint, GValue * return_accu,
    const GValue * handler_return, gpointer data)
{
  gboolean allow = g_value_get_boolean (handler_return);

  g_value_set_boolean (return_accu, allow);
  /* the first handler that says no decides */
  return allow;
}

static void
gst_rtmp_ingest_src_class_init (GstRtmpIngestSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *pushsrc_class = GST_PUSH_SRC_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  const GParamFlags rw_ready = rw | GST_PARAM_MUTABLE_READY;
  guint i;

  for (i = 0; known_metadata_names[i]; i++)
    g_quark_from_static_string (known_metadata_names[i]);

  GST_DEBUG_CATEGORY_INIT (gst_rtmp_ingest_src_debug, "rtmpingestsrc", 0,
      "RTMP ingest server source");

  gobject_class->set_property = gst_rtmp_ingest_src_set_property;
  gobject_class->get_property = gst_rtmp_ingest_src_get_property;
  gobject_class->finalize = gst_rtmp_ingest_src_finalize;

  g_object_class_install_property (gobject_class, PROP_ADDRESS,
      g_param_spec_string ("address", "Address",
          "Local address to listen on: an IPv4/IPv6 literal or a host name. "
          "Unset (default) listens on every IPv6 and IPv4 address; "
          "\"0.0.0.0\" means IPv4 only, \"127.0.0.1\" local publishers only",
          DEFAULT_ADDRESS, rw_ready));
  g_object_class_install_property (gobject_class, PROP_PORT,
      g_param_spec_uint ("port", "Port",
          "TCP port to listen on (RTMP's default is 1935). 0 picks a free "
          "port: read it back from current-port", 0, 65535, DEFAULT_PORT,
          rw_ready));
  g_object_class_install_property (gobject_class, PROP_CURRENT_PORT,
      g_param_spec_int ("current-port", "Current port",
          "The port the server actually listens on (useful with port=0); "
          "0 when not listening", 0, 65535, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_APPLICATION,
      g_param_spec_string ("application", "Application",
          "The application (the URL path before the stream key, e.g. "
          "\"live\" in rtmp://host/live/key) this element takes; unset: any. "
          "Elements sharing a port (same address and port) are chosen by "
          "application and stream-key: exact claims first, then elements "
          "without a key. A publisher no element takes gets "
          "NetStream.Publish.BadName", DEFAULT_APPLICATION, rw));
  g_object_class_install_property (gobject_class, PROP_STREAM_KEY,
      g_param_spec_string ("stream-key", "Stream key",
          "The stream key (the stream name without its ?query) this "
          "element takes, compared exactly (in constant time); unset: any "
          "key no other element on the port claims. Alone on its port, a "
          "wrong key gets NetStream.Publish.Unauthorized; on a shared port "
          "a key no element claims (or one already live) gets "
          "NetStream.Publish.BadName. The query reaches the stats, the "
          "bus messages and the authorize signal", DEFAULT_STREAM_KEY, rw));
  g_object_class_install_property (gobject_class, PROP_CHUNK_SIZE,
      g_param_spec_uint ("chunk-size", "Chunk size",
          "Outgoing RTMP chunk size announced to publishers (Set Chunk "
          "Size). Larger means fewer chunk headers; publishers such as "
          "ffmpeg mirror it", 128, 0xFFFFFF, DEFAULT_CHUNK_SIZE, rw_ready));
  g_object_class_install_property (gobject_class, PROP_WINDOW_ACK_SIZE,
      g_param_spec_uint ("window-ack-size", "Window acknowledgement size",
          "Window Acknowledgement Size and Set Peer Bandwidth announced to "
          "publishers (bytes between acknowledgements)", 1, G_MAXINT32,
          DEFAULT_WINDOW_ACK_SIZE, rw_ready));
  g_object_class_install_property (gobject_class, PROP_HANDSHAKE_TIMEOUT,
      g_param_spec_uint ("handshake-timeout", "Handshake timeout",
          "Milliseconds a new connection has to complete the RTMP handshake "
          "before it is dropped (0 = no limit)", 0, G_MAXUINT,
          DEFAULT_HANDSHAKE_TIMEOUT, rw_ready));
  g_object_class_install_property (gobject_class, PROP_IDLE_TIMEOUT,
      g_param_spec_uint ("idle-timeout", "Idle timeout",
          "Milliseconds without any data from a peer after which it is "
          "dropped with a warning (0 = never). Encoders send audio every "
          "~25 ms, so a few seconds detects a dead publisher", 0, G_MAXUINT,
          DEFAULT_IDLE_TIMEOUT, rw_ready));
  g_object_class_install_property (gobject_class, PROP_ON_UNPUBLISH,
      g_param_spec_enum ("on-unpublish", "On unpublish",
          "What to do when the publisher stops or disconnects: end the "
          "stream (EOS, so recordings finalise; a publisher that sent no "
          "audio or video does not end it) or stay alive for the next "
          "publisher (24/7 ingest; the FLV stream continues)",
          GST_TYPE_RTMP_INGEST_ON_UNPUBLISH, DEFAULT_ON_UNPUBLISH, rw));
  g_object_class_install_property (gobject_class, PROP_LATENCY,
      g_param_spec_uint ("latency", "Latency",
          "Milliseconds of network and encoder jitter reported as this "
          "live source's latency (LATENCY query); raise it if a "
          "synchronised sink drops late frames", 0, 60000, DEFAULT_LATENCY,
          rw_ready));
  g_object_class_install_property (gobject_class, PROP_BATCH_INTERVAL,
      g_param_spec_uint ("batch-interval", "Batch interval",
          "Milliseconds between two reads of the publisher's socket (0 = "
          "read each message as it arrives). With many streams in one "
          "process, reading every 40-100 ms handles several messages per "
          "wake-up of the streaming thread and saves CPU, at the cost of "
          "up to that much delay (added to the reported latency)", 0, 1000,
          DEFAULT_BATCH_INTERVAL, rw_ready));
  g_object_class_install_property (gobject_class, PROP_THREAD_GROUP,
      g_param_spec_string ("thread-group", "Thread group",
          "Name of a thread shared by the elements of this process that "
          "give the same name (empty = a thread of our own): it reads "
          "their publishers and pushes their buffers, so many streams cost "
          "one wake-up per burst instead of one per stream and message. "
          "Its batch-interval is that of the first element that started "
          "it. A downstream that blocks (a full queue, a paused sink) "
          "stalls every stream of the group: group the elements of one "
          "pipeline, with downstreams that do not block", NULL, rw_ready));
  g_object_class_install_property (gobject_class, PROP_MAX_QUEUE_BYTES,
      g_param_spec_uint ("max-queue-bytes", "Max queue bytes",
          "Bytes received but not yet output after which the element stops "
          "reading from the publisher (TCP back-pressure; nothing is "
          "dropped)", 64 * 1024, G_MAXUINT, DEFAULT_MAX_QUEUE_BYTES, rw));
  g_object_class_install_property (gobject_class, PROP_MAX_QUEUE_TIME,
      g_param_spec_uint ("max-queue-time", "Max queue time",
          "Milliseconds of media received but not yet output after which "
          "the element stops reading from the publisher", 100, G_MAXUINT,
          DEFAULT_MAX_QUEUE_TIME, rw));
  g_object_class_install_property (gobject_class, PROP_MAX_MESSAGE_SIZE,
      g_param_spec_uint ("max-message-size", "Max message size",
          "Largest RTMP message (e.g. a video key frame) accepted from a "
          "publisher; a larger one drops the publisher. The default is the "
          "protocol's maximum", 1024, 0xFFFFFF, DEFAULT_MAX_MESSAGE_SIZE,
          rw_ready));
  g_object_class_install_property (gobject_class, PROP_MAX_CONNECTIONS,
      g_param_spec_uint ("max-connections", "Max connections",
          "Simultaneous TCP connections (publisher, refused peers, "
          "scanners); more are closed at once", 1, 4096,
          DEFAULT_MAX_CONNECTIONS, rw_ready));
  g_object_class_install_property (gobject_class,
      PROP_MAX_PENDING_CONNECTIONS, g_param_spec_uint
      ("max-pending-connections", "Max pending connections",
          "Connections on the port that are not publishing (handshaking, "
          "connecting, refused, done); more are closed at once, so peers "
          "that never publish cannot take every connection slot. Raise it "
          "when more encoders than this connect at the same moment. "
          "0 = only max-connections applies", 0, 4096,
          DEFAULT_MAX_PENDING_CONNECTIONS, rw_ready));
  g_object_class_install_property (gobject_class, PROP_MAX_CHUNK_STREAMS,
      g_param_spec_uint ("max-chunk-streams", "Max chunk streams",
          "Chunk streams (csids) one connection may use; one more drops "
          "the peer. Publishers use 3-5 (ffmpeg 2,3,4,6,8; rtmp2sink 2-6; "
          "nginx push 2,3,5,6,7); the default is twice nginx-rtmp's 32",
          4, 65599, DEFAULT_MAX_CHUNK_STREAMS, rw_ready));
  g_object_class_install_property (gobject_class, PROP_MAX_AMF_DEPTH,
      g_param_spec_uint ("max-amf-depth", "Max AMF depth",
          "Nesting of AMF objects/arrays accepted in commands and metadata; "
          "deeper drops the peer. Commands nest 2-3 levels, E-RTMP "
          "onMetaData 4", 4, 64, DEFAULT_MAX_AMF_DEPTH, rw_ready));
  g_object_class_install_property (gobject_class, PROP_MAX_BYTES_IN_FLIGHT,
      g_param_spec_uint ("max-bytes-in-flight", "Max bytes in flight",
          "Bytes one connection may hold in partly received messages "
          "(all chunk streams together); more drops the peer. The default "
          "is two messages of the largest size the protocol allows",
          64 * 1024, G_MAXUINT, DEFAULT_MAX_BYTES_IN_FLIGHT, rw_ready));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Statistics of the current publisher and the server "
          "(rtmpingestsrc-stats: publishing, peer, application, stream, "
          "query, flash-ver, bytes-in, messages-in, reads-in, chunk-size, "
          "bitrate (bit/s), uptime (ns), video-frames, audio-frames, "
          "queued-bytes, dropped, dropped-peers, refused, publishers, "
          "read-pauses, connections, pending-connections, network-threads, "
          "metadata)",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_TLS_MODE,
      g_param_spec_enum ("tls-mode", "TLS mode",
          "Plain RTMP, RTMPS (TLS, needs tls-certificate) or both on the "
          "same port", GST_TYPE_RTMP_INGEST_TLS_MODE, DEFAULT_TLS_MODE,
          rw_ready));
  g_object_class_install_property (gobject_class, PROP_TLS_CERTIFICATE,
      g_param_spec_string ("tls-certificate", "TLS certificate",
          "PEM file with the server certificate for RTMPS, followed by its "
          "intermediate CA certificates (a chain file works)", NULL,
          rw_ready));
  g_object_class_install_property (gobject_class, PROP_TLS_KEY,
      g_param_spec_string ("tls-key", "TLS key",
          "PEM file with the private key of tls-certificate (unset: read "
          "from the tls-certificate file)", NULL, rw_ready));
  g_object_class_install_property (gobject_class, PROP_USERNAME,
      g_param_spec_string ("username", "User name",
          "Require Adobe authentication (authmod=adobe, as OBS, ffmpeg and "
          "rtmp2sink do): publishers must log in as this user with "
          "password. Unset: no authentication (unless get-password has a "
          "handler)", NULL, rw_ready));
  g_object_class_install_property (gobject_class, PROP_PASSWORD,
      g_param_spec_string ("password", "Password",
          "Password of username (Adobe authentication). Without TLS the "
          "password itself is not sent, but the stream is not protected",
          NULL, rw_ready));
  g_object_class_install_property (gobject_class, PROP_STATS_INTERVAL,
      g_param_spec_uint ("stats-interval", "Stats interval",
          "Post the stats structure as an element message named "
          "rtmp-ingest-stats every this many milliseconds while PLAYING "
          "(0 = never; read the stats property instead)", 0, G_MAXUINT,
          DEFAULT_STATS_INTERVAL, rw_ready));

  /**
   * GstRtmpIngestSrc::authorize:
   * @src: the element
   * @peer: the publisher's "ip:port"
   * @app: the application it connected to
   * @stream: the stream name (key) without its query
   * @query: the query string after '?', or %NULL
   * @tc_url: connect's tcUrl, or %NULL
   * @flash_ver: connect's flashVer (the encoder), or %NULL
   *
   * Emitted from the network thread when a publisher asks to publish and
   * the application / stream-key checks passed. Return %FALSE to refuse
   * (NetStream.Publish.Denied); the first handler returning %FALSE
   * decides. Do not block for long: other connections wait meanwhile.
   *
   * Returns: %TRUE to allow
   */
  signals[SIGNAL_AUTHORIZE] = g_signal_new ("authorize",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
      authorize_accumulator, NULL, NULL, G_TYPE_BOOLEAN, 6, G_TYPE_STRING,
      G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
      G_TYPE_STRING);

  /**
   * GstRtmpIngestSrc::get-password:
   * @src: the element
   * @user: the user name a publisher authenticates as (authmod=adobe)
   *
   * Emitted from the network thread during Adobe authentication. Connect
   * a handler before the element starts to make every publisher
   * authenticate (as setting #GstRtmpIngestSrc:username does); the first
   * handler returning a string decides. Return %NULL for an unknown user
   * (it is then refused like a wrong password; the username/password
   * properties are still checked).
   *
   * Returns: (transfer full) (nullable): the password of @user
   */
  signals[SIGNAL_GET_PASSWORD] = g_signal_new ("get-password",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
      g_signal_accumulator_first_wins, NULL, NULL, G_TYPE_STRING, 1,
      G_TYPE_STRING);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "RTMP ingest server source", "Source/Network",
      "RTMP server: listens for publishers (OBS, ffmpeg, hardware "
      "encoders, rtmp2sink) on rtmp://HOST:PORT/APP/KEY and outputs the "
      "published stream as FLV for flvdemux, one publisher at a time. "
      "Example: gst-launch-1.0 -e rtmpingestsrc stream-key=mykey ! "
      "filesink location=recording.flv (publish to "
      "rtmp://HOST:1935/live/mykey)", "The gst-rtmp-ingest authors");

  basesrc_class->start = GST_DEBUG_FUNCPTR (gst_rtmp_ingest_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR (gst_rtmp_ingest_src_stop);
  element_class->send_event =
      GST_DEBUG_FUNCPTR (gst_rtmp_ingest_src_send_event);
  basesrc_class->unlock = GST_DEBUG_FUNCPTR (gst_rtmp_ingest_src_unlock);
  basesrc_class->unlock_stop =
      GST_DEBUG_FUNCPTR (gst_rtmp_ingest_src_unlock_stop);
  basesrc_class->query = GST_DEBUG_FUNCPTR (gst_rtmp_ingest_src_query);
  pushsrc_class->create = GST_DEBUG_FUNCPTR (gst_rtmp_ingest_src_create);

  gst_type_mark_as_plugin_api (GST_TYPE_RTMP_INGEST_ON_UNPUBLISH, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_RTMP_INGEST_TLS_MODE, 0);
}

static void
gst_rtmp_ingest_src_init (GstRtmpIngestSrc * self)
{
  self->address = g_strdup (DEFAULT_ADDRESS);
  self->port = DEFAULT_PORT;
  self->chunk_size = DEFAULT_CHUNK_SIZE;
  self->window_ack_size = DEFAULT_WINDOW_ACK_SIZE;
  self->handshake_timeout = DEFAULT_HANDSHAKE_TIMEOUT;
  self->idle_timeout = DEFAULT_IDLE_TIMEOUT;
  self->on_unpublish = DEFAULT_ON_UNPUBLISH;
  self->latency = DEFAULT_LATENCY;
  self->batch_interval = DEFAULT_BATCH_INTERVAL;
  self->max_queue_bytes = DEFAULT_MAX_QUEUE_BYTES;
  self->max_queue_time = DEFAULT_MAX_QUEUE_TIME;
  self->max_message_size = DEFAULT_MAX_MESSAGE_SIZE;
  self->max_connections = DEFAULT_MAX_CONNECTIONS;
  self->max_pending_connections = DEFAULT_MAX_PENDING_CONNECTIONS;
  self->max_chunk_streams = DEFAULT_MAX_CHUNK_STREAMS;
  self->max_amf_depth = DEFAULT_MAX_AMF_DEPTH;
  self->max_bytes_in_flight = DEFAULT_MAX_BYTES_IN_FLIGHT;
  self->stats_interval = DEFAULT_STATS_INTERVAL;
  self->tls_mode = DEFAULT_TLS_MODE;
  g_mutex_init (&self->qlock);
  self->context = g_main_context_new ();
  g_cond_init (&self->qcond);
  g_queue_init (&self->queue);
  self->pending = g_ptr_array_new ();
  rtmp_timestamp_extender_init (&self->ext);

  gst_base_src_set_live (GST_BASE_SRC (self), TRUE);
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
  gst_base_src_set_do_timestamp (GST_BASE_SRC (self), FALSE);
}
