/* Unit tests: the RTMP protocol session, server and client roles.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "rtmp-amf0.h"
#include "rtmp-chunk-reader.h"
#include "rtmp-chunk-writer.h"
#include "rtmp-control.h"
#include "rtmp-error.h"
#include "rtmp-flv.h"
#include "rtmp-handshake.h"
#include "rtmp-session.h"
#include "test-util.h"

/* ------------------------------------------------------------------------ */
/* helpers                                                                  */
/* ------------------------------------------------------------------------ */

static void
append_list (GByteArray * dst, GstBufferList * list)
{
  if (list == NULL)
    return;
  for (guint i = 0; i < gst_buffer_list_length (list); i++) {
    GstBuffer *b = gst_buffer_list_get (list, i);
    GstMapInfo map;

    fail_unless (gst_buffer_map (b, &map, GST_MAP_READ));
    g_byte_array_append (dst, map.data, map.size);
    gst_buffer_unmap (b, &map);
  }
  gst_buffer_list_unref (list);
}

static void
take_output (RtmpSession * s, GByteArray * dst)
{
  append_list (dst, rtmp_session_take_output (s));
}

/* What a test saw from a session */
typedef struct
{
  RtmpSession *s;
  GByteArray *out;              /* everything the session produced */
  GPtrArray *media;             /* RtmpMessage * (g_new0) */
  GPtrArray *commands;          /* gchar * */
  GPtrArray *unpublished;       /* gchar * reasons */
  GPtrArray *metadata;          /* RtmpAmfValue * */
  guint n_publish_requests;
  guint n_publish_started;
  guint n_connected;
  guint n_handshake_done;
  guint n_close_requested;
  guint n_acks;
  gchar *app;
  gchar *tc_url;
  gchar *flash_ver;
  gchar *stream_name;
  gchar *query;
  gchar *raw_name;
  gchar *publish_type;
  gchar *rejected_code;
  gchar *rejected_description;
  gchar *rejected_command;
  gchar *error_code;
  gchar *last_status_code;
  guint32 peer_chunk_size;
  gsize delivered;              /* bytes of out already given to the peer */
  /* server: what to answer a publish request with */
  const gchar *reject_code;
  const gchar *reject_description;
} Peer;

static void
message_free (gpointer p)
{
  rtmp_message_clear (p);
  g_free (p);
}

static void
peer_init (Peer * p, RtmpSession * s)
{
  memset (p, 0, sizeof (*p));
  p->s = s;
  p->out = g_byte_array_new ();
  p->media = g_ptr_array_new_with_free_func (message_free);
  p->commands = g_ptr_array_new_with_free_func (g_free);
  p->unpublished = g_ptr_array_new_with_free_func (g_free);
  p->metadata =
      g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_amf_value_unref);
}

static void
peer_clear (Peer * p)
{
  rtmp_session_free (p->s);
  g_byte_array_unref (p->out);
  g_ptr_array_unref (p->media);
  g_ptr_array_unref (p->commands);
  g_ptr_array_unref (p->unpublished);
  g_ptr_array_unref (p->metadata);
  g_free (p->app);
  g_free (p->tc_url);
  g_free (p->flash_ver);
  g_free (p->stream_name);
  g_free (p->query);
  g_free (p->raw_name);
  g_free (p->publish_type);
  g_free (p->rejected_code);
  g_free (p->rejected_description);
  g_free (p->rejected_command);
  g_free (p->error_code);
  g_free (p->last_status_code);
}

#define STEAL(dst, src) G_STMT_START { g_free (dst); dst = src; src = NULL; } G_STMT_END

static void
peer_drain (Peer * p)
{
  RtmpSessionEvent ev;

  while (rtmp_session_next_event (p->s, &ev)) {
    switch (ev.type) {
      case RTMP_SESSION_EVENT_HANDSHAKE_DONE:
        p->n_handshake_done++;
        break;
      case RTMP_SESSION_EVENT_COMMAND:
        g_ptr_array_add (p->commands, g_strdup (ev.command));
        break;
      case RTMP_SESSION_EVENT_CONNECT:
        fail_unless (ev.amf != NULL);
        STEAL (p->app, ev.app);
        STEAL (p->tc_url, ev.tc_url);
        STEAL (p->flash_ver, ev.flash_ver);
        break;
      case RTMP_SESSION_EVENT_PUBLISH_REQUEST:
        p->n_publish_requests++;
        fail_unless (rtmp_session_is_blocked (p->s));
        fail_unless_equals_int (rtmp_session_get_state (p->s),
            RTMP_SESSION_STATE_PUBLISH_REQUESTED);
        STEAL (p->stream_name, ev.stream_name);
        STEAL (p->query, ev.query);
        STEAL (p->raw_name, ev.raw_name);
        STEAL (p->publish_type, ev.publish_type);
        fail_unless (ev.stream_id >= 1);
        if (p->reject_code)
          rtmp_session_reject_publish (p->s, p->reject_code,
              p->reject_description);
        else
          rtmp_session_accept_publish (p->s);
        fail_if (rtmp_session_is_blocked (p->s));
        break;
      case RTMP_SESSION_EVENT_PUBLISH_STARTED:
        p->n_publish_started++;
        break;
      case RTMP_SESSION_EVENT_MEDIA:{
        RtmpMessage *m = g_new0 (RtmpMessage, 1);
        *m = ev.message;
        ev.message.payload = NULL;
        g_ptr_array_add (p->media, m);
        break;
      }
      case RTMP_SESSION_EVENT_METADATA:
        fail_unless (ev.amf != NULL);
        g_ptr_array_add (p->metadata, rtmp_amf_value_ref (ev.amf));
        break;
      case RTMP_SESSION_EVENT_UNPUBLISHED:
        g_ptr_array_add (p->unpublished, g_strdup (ev.reason));
        break;
      case RTMP_SESSION_EVENT_CONNECTED:
        p->n_connected++;
        break;
      case RTMP_SESSION_EVENT_REJECTED:
        STEAL (p->rejected_code, ev.code);
        STEAL (p->rejected_description, ev.description);
        STEAL (p->rejected_command, ev.command);
        break;
      case RTMP_SESSION_EVENT_ERROR:
        STEAL (p->error_code, ev.code);
        break;
      case RTMP_SESSION_EVENT_STATUS:
        STEAL (p->last_status_code, ev.code);
        break;
      case RTMP_SESSION_EVENT_CLOSE_REQUESTED:
        p->n_close_requested++;
        break;
      case RTMP_SESSION_EVENT_ACK_RECEIVED:
        p->n_acks++;
        break;
      case RTMP_SESSION_EVENT_PEER_CHUNK_SIZE:
        p->peer_chunk_size = ev.value;
        break;
      default:
        fail ("unexpected event %s", rtmp_session_event_type_get_name
            (ev.type));
    }
    rtmp_session_event_clear (&ev);
  }
  take_output (p->s, p->out);
}

/* Feeds @data completely (answering publish requests), checking that the
 * session only stops early while blocked. Returns FALSE on error. */
static gboolean
peer_feed (Peer * p, const guint8 * data, gsize size, GError ** error)
{
  gsize off = 0;

  while (TRUE) {
    gsize consumed = 0;
    gboolean ok;

    ok = rtmp_session_feed (p->s, data + off, size - off, &consumed, error);
    /* TEST_CHECK: this runs for every piece of a byte-by-byte feed */
    TEST_CHECK (consumed <= size - off, "consumed %" G_GSIZE_FORMAT " of %"
        G_GSIZE_FORMAT, consumed, size - off);
    off += consumed;
    if (!ok) {
      peer_drain (p);
      return FALSE;
    }
    if (off < size)
      TEST_CHECK (rtmp_session_is_blocked (p->s),
          "feed stopped at %" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT
          " without a pending decision", off, size);
    peer_drain (p);
    if (off == size)
      return TRUE;
  }
}

static void
peer_feed_ok (Peer * p, const guint8 * data, gsize size)
{
  GError *err = NULL;

  if (!peer_feed (p, data, size, &err))
    fail ("feed failed: %s", err->message);
}

/* Parsed messages of a byte stream (after @skip handshake bytes) */
static GPtrArray *
parse_messages (const guint8 * data, gsize size, gsize skip)
{
  RtmpLimits limits;
  RtmpChunkReader *r;
  GPtrArray *msgs = g_ptr_array_new_with_free_func (message_free);
  gsize off = skip;
  GError *err = NULL;

  rtmp_limits_init (&limits);
  r = rtmp_chunk_reader_new (&limits);
  fail_unless (size >= skip);
  while (off < size) {
    RtmpMessage *m = g_new0 (RtmpMessage, 1);
    gsize c = 0;
    RtmpReadResult res = rtmp_chunk_reader_feed (r, data + off, size - off,
        &c, m, &err);

    off += c;
    if (res == RTMP_READ_ERROR)
      fail ("our output does not parse: %s", err->message);
    if (res == RTMP_READ_NEED_MORE) {
      g_free (m);
      fail ("our output ends with a partial message");
      break;
    }
    g_ptr_array_add (msgs, m);
  }
  rtmp_chunk_reader_free (r);
  return msgs;
}

/* AMF values of a command message (format byte of type 17 skipped) */
static GPtrArray *
command_values (const RtmpMessage * m)
{
  GstMapInfo map;
  GPtrArray *vals;
  GError *err = NULL;
  gsize skip = m->type == RTMP_MESSAGE_COMMAND_AMF3 ? 1 : 0;

  fail_unless (m->type == RTMP_MESSAGE_COMMAND_AMF0
      || m->type == RTMP_MESSAGE_COMMAND_AMF3);
  fail_unless (gst_buffer_map (m->payload, &map, GST_MAP_READ));
  vals = rtmp_amf0_parse_all (map.data + skip, map.size - skip, NULL, &err);
  gst_buffer_unmap (m->payload, &map);
  fail_unless (vals != NULL, "command does not parse: %s",
      err ? err->message : "");
  fail_unless (vals->len >= 2);
  return vals;
}

static const gchar *
val_string (GPtrArray * vals, guint i)
{
  RtmpAmfValue *v;

  if (i >= vals->len)
    return NULL;
  v = g_ptr_array_index (vals, i);
  if (rtmp_amf_value_get_type (v) != RTMP_AMF_STRING)
    return NULL;
  return rtmp_amf_value_get_string (v, NULL);
}

/* Finds, from *@pos on, a command called @name whose info object (value
 * @info_index) has code @code (or any if NULL); advances *@pos past it. */
static gboolean
find_command (GPtrArray * msgs, guint * pos, const gchar * name,
    guint info_index, const gchar * code, GPtrArray ** vals_out)
{
  for (guint i = *pos; i < msgs->len; i++) {
    RtmpMessage *m = g_ptr_array_index (msgs, i);
    GPtrArray *vals;

    if (m->type != RTMP_MESSAGE_COMMAND_AMF0
        && m->type != RTMP_MESSAGE_COMMAND_AMF3)
      continue;
    vals = command_values (m);
    if (g_strcmp0 (val_string (vals, 0), name) == 0) {
      gboolean match = TRUE;

      if (code) {
        RtmpAmfValue *info = info_index < vals->len ?
            g_ptr_array_index (vals, info_index) : NULL;
        match = info && g_strcmp0 (rtmp_amf_value_lookup_string (info,
                "code"), code) == 0;
      }
      if (match) {
        *pos = i + 1;
        if (vals_out)
          *vals_out = vals;
        else
          g_ptr_array_unref (vals);
        return TRUE;
      }
    }
    g_ptr_array_unref (vals);
  }
  return FALSE;
}

static gboolean
find_control (GPtrArray * msgs, guint * pos, guint8 type, gint event,
    RtmpControl * out)
{
  for (guint i = *pos; i < msgs->len; i++) {
    RtmpMessage *m = g_ptr_array_index (msgs, i);
    RtmpControl c;

    if (m->type != type)
      continue;
    fail_unless (rtmp_control_parse (m, &c, NULL));
    if (event >= 0 && c.event != event)
      continue;
    *pos = i + 1;
    if (out)
      *out = c;
    return TRUE;
  }
  return FALSE;
}

/* The command names of the c2s part of the decoded summary in <name>.txt */
static GPtrArray *
txt_commands (const gchar * name)
{
  gchar *fname = g_strdup_printf ("%s.txt", name);
  GBytes *b = test_util_load_fixture (fname);
  gchar *text = g_strndup (g_bytes_get_data (b, NULL), g_bytes_get_size (b));
  gchar **lines = g_strsplit (text, "\n", -1);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  gboolean in_c2s = FALSE;

  for (guint i = 0; lines[i]; i++) {
    const gchar *l = lines[i];
    const gchar *q;

    if (g_str_has_prefix (l, "== c2s"))
      in_c2s = TRUE;
    else if (g_str_has_prefix (l, "== "))
      in_c2s = FALSE;
    if (!in_c2s || strstr (l, " 20 (CommandAMF0) ") == NULL)
      continue;
    q = strchr (l, '\'');
    fail_unless (q != NULL);
    g_ptr_array_add (names, g_strndup (q + 1, strchr (q + 1, '\'') - q - 1));
  }
  fail_unless (names->len > 0);
  g_strfreev (lines);
  g_free (text);
  g_bytes_unref (b);
  g_free (fname);
  return names;
}

typedef enum
{
  SPLIT_WHOLE,
  SPLIT_READS,
  SPLIT_BYTES,
} SplitMode;

/* Where a byte-by-byte feed of @data (what one peer sends: a handshake,
 * then a chunk stream that starts with chunk size 128) ends its pieces:
 * after every byte, or under a memory checker after every byte around the
 * handshake packet edges, the chunk headers and the message ends of
 * test_util_chunk_bounds() (the first and last two chunks of every
 * message), and every 61st: inside a chunk's payload the session only
 * hands the bytes to its chunk reader (test-chunk cuts those everywhere). */
static GArray *
stream_cuts (const guint8 * data, gsize size)
{
  GArray *bounds = g_array_new (FALSE, FALSE, sizeof (gsize));
  GArray *cuts;

  test_util_handshake_bounds (bounds);
  if (size > RTMP_HANDSHAKE_TOTAL_SIZE)
    TEST_CHECK_EQ (test_util_chunk_bounds (data, size,
            RTMP_HANDSHAKE_TOTAL_SIZE, 128, 2, bounds), size);
  cuts = test_util_cut_positions (size, bounds, 61,
      !test_util_under_checker ());
  g_array_unref (bounds);
  return cuts;
}

static void
feed_capture (Peer * p, const gchar * name, GBytes * c2s, SplitMode mode)
{
  const guint8 *data = g_bytes_get_data (c2s, NULL);
  gsize size = g_bytes_get_size (c2s);

  if (mode == SPLIT_WHOLE) {
    peer_feed_ok (p, data, size);
  } else if (mode == SPLIT_BYTES) {
    GArray *cuts = stream_cuts (data, size);
    gsize pos = 0;

    for (guint i = 0; i < cuts->len; i++) {
      gsize end = g_array_index (cuts, gsize, i);

      if (end > pos)
        peer_feed_ok (p, data + pos, end - pos);
      pos = end;
    }
    g_array_unref (cuts);
  } else {
    gchar *fname = g_strdup_printf ("%s.reads.tsv", name);
    GPtrArray *rows = test_util_load_tsv (fname);
    gsize expect = 0;

    for (guint i = 0; i < rows->len; i++) {
      gchar **row = g_ptr_array_index (rows, i);
      guint64 off, len;

      if (g_strcmp0 (row[1], "c2s") != 0)
        continue;
      off = g_ascii_strtoull (row[2], NULL, 10);
      len = g_ascii_strtoull (row[3], NULL, 10);
      fail_unless_equals_uint64 (off, expect);
      fail_unless (off + len <= size);
      peer_feed_ok (p, data + off, len);
      expect = off + len;
    }
    fail_unless_equals_uint64 (expect, size);
    g_ptr_array_unref (rows);
    g_free (fname);
  }
}

/* tag body md5 / size / ts / type of an FLV tag buffer */
static void
check_tag (GstBuffer * tag, gchar ** row)
{
  gsize size = gst_buffer_get_size (tag);
  guint8 hdr[11];
  guint32 data_size, ts;
  GstBuffer *body;
  gchar *md5;

  /* TEST_CHECK here and in check_media_against_fixture: these run for
   * every message of every capture */
  TEST_CHECK (size >= 15, "tag of %" G_GSIZE_FORMAT " bytes", size);
  gst_buffer_extract (tag, 0, hdr, 11);
  data_size = (hdr[1] << 16) | (hdr[2] << 8) | hdr[3];
  ts = ((guint32) hdr[7] << 24) | (hdr[4] << 16) | (hdr[5] << 8) | hdr[6];
  TEST_CHECK_EQ (hdr[0], atoi (row[1]));
  TEST_CHECK_EQ (ts, g_ascii_strtoull (row[2], NULL, 10));
  TEST_CHECK_EQ (data_size, g_ascii_strtoull (row[3], NULL, 10));
  TEST_CHECK_EQ (size, 11 + data_size + 4);
  body = gst_buffer_copy_region (tag, GST_BUFFER_COPY_MEMORY, 11, data_size);
  md5 = test_util_buffer_md5 (body);
  TEST_CHECK (g_strcmp0 (md5, row[5]) == 0, "tag %s: md5 %s, expected %s",
      row[0], md5, row[5]);
  g_free (md5);
  gst_buffer_unref (body);
}

static void
check_media_against_fixture (Peer * p, const gchar * name)
{
  gchar *fname = g_strdup_printf ("%s.messages.tsv", name);
  GPtrArray *rows = test_util_load_tsv (fname);
  guint n = 0;

  for (guint i = 0; i < rows->len; i++) {
    gchar **row = g_ptr_array_index (rows, i);
    guint type;
    RtmpMessage *m;
    gchar *md5;

    if (g_strcmp0 (row[0], "c2s") != 0)
      continue;
    type = atoi (row[7]);
    if (type != 8 && type != 9 && type != 18)
      continue;
    TEST_CHECK (n < p->media->len, "%s: only %u media messages", name,
        p->media->len);
    m = g_ptr_array_index (p->media, n);
    TEST_CHECK_EQ (m->type, type);
    TEST_CHECK_EQ (m->timestamp, g_ascii_strtoull (row[5], NULL, 10));
    TEST_CHECK_EQ (rtmp_message_get_size (m), g_ascii_strtoull (row[8], NULL,
            10));
    TEST_CHECK_EQ (m->msid, atoi (row[9]));
    md5 = test_util_buffer_md5 (m->payload);
    TEST_CHECK (g_strcmp0 (md5, row[13]) == 0, "%s message %s: md5 %s, "
        "expected %s", name, row[1], md5, row[13]);
    g_free (md5);
    n++;
  }
  fail_unless_equals_int (n, p->media->len);
  g_ptr_array_unref (rows);
  g_free (fname);

  /* FLV mapping, reference §11 */
  fname = g_strdup_printf ("%s.tags.tsv", name);
  rows = test_util_load_tsv (fname);
  fail_unless_equals_int (rows->len, p->media->len);
  for (guint i = 0; i < rows->len; i++) {
    GError *err = NULL;
    GstBuffer *tag = rtmp_flv_tag_from_message (g_ptr_array_index (p->media,
            i), &err);

    TEST_CHECK (tag != NULL, "tag %u: %s", i, err ? err->message : "");
    check_tag (tag, g_ptr_array_index (rows, i));
    gst_buffer_unref (tag);
  }
  g_ptr_array_unref (rows);
  g_free (fname);
}

static void
check_commands_against_fixture (Peer * p, const gchar * name)
{
  GPtrArray *expected = txt_commands (name);

  fail_unless_equals_int (p->commands->len, expected->len);
  for (guint i = 0; i < expected->len; i++)
    fail_unless_equals_string (g_ptr_array_index (p->commands, i),
        g_ptr_array_index (expected, i));
  g_ptr_array_unref (expected);
}

static void
replay_capture (const gchar * name, SplitMode mode)
{
  gchar *fname = g_strdup_printf ("%s.c2s.bin", name);
  GBytes *c2s = test_util_load_fixture (fname);
  gboolean nginxpush = g_str_equal (name, "nginxpush");
  Peer p;

  GST_INFO ("capture %s", name);
  peer_init (&p, rtmp_session_new_server (NULL, NULL));
  feed_capture (&p, name, c2s, mode);

  fail_unless_equals_int (p.n_handshake_done, 1);
  fail_unless_equals_int (p.n_publish_requests, 1);
  fail_unless_equals_int (p.n_publish_started, 1);
  fail_unless_equals_string (p.app, "live");
  fail_unless_equals_string (p.tc_url, "rtmp://127.0.0.1:19351/live");
  fail_unless_equals_string (p.publish_type, "live");
  if (g_str_equal (name, "ffmpeg_query")) {
    fail_unless_equals_string (p.stream_name, "key");
    fail_unless_equals_string (p.query, "token=abc");
    fail_unless_equals_string (p.raw_name, "key?token=abc");
  } else if (nginxpush) {
    fail_unless_equals_string (p.stream_name, "pushed");
    fail_unless (p.query == NULL);
  } else {
    fail_unless_equals_string (p.stream_name, "key");
    fail_unless (p.query == NULL);
  }

  check_media_against_fixture (&p, name);
  check_commands_against_fixture (&p, name);

  /* metadata: one per data message carrying onMetaData */
  fail_unless (p.metadata->len >= 1);
  for (guint i = 0; i < p.metadata->len; i++) {
    RtmpAmfValue *meta = g_ptr_array_index (p.metadata, i);
    gdouble w = 0;

    fail_unless (rtmp_amf_value_lookup_number (meta, "width", &w));
    fail_unless_equals_float (w, 320);
  }
  if (g_str_equal (name, "librtmp"))
    fail_unless_equals_int (p.metadata->len, 24);

  if (nginxpush) {
    /* nginx push ends with a TCP close */
    fail_unless_equals_int (p.unpublished->len, 0);
    fail_unless_equals_int (rtmp_session_get_state (p.s),
        RTMP_SESSION_STATE_PUBLISHING);
  } else {
    fail_unless_equals_int (p.unpublished->len, 1);
    fail_unless_equals_string (g_ptr_array_index (p.unpublished, 0),
        "FCUnpublish");
    fail_unless_equals_int (rtmp_session_get_state (p.s),
        RTMP_SESSION_STATE_UNPUBLISHED);
  }
  fail_unless_equals_uint64 (rtmp_session_get_bytes_in (p.s),
      g_bytes_get_size (c2s));
  fail_unless_equals_uint64 (rtmp_session_get_bytes_out (p.s), p.out->len);
  fail_unless (rtmp_session_get_messages_in (p.s) > p.media->len);
  fail_unless (rtmp_session_get_messages_out (p.s) >= 7);
  fail_unless_equals_int (rtmp_session_get_stream_id (p.s), 1);

  peer_clear (&p);
  g_bytes_unref (c2s);
  g_free (fname);
}

static const gchar *captures[] = {
  "ffmpeg", "ffmpeg_chunk1000", "ffmpeg_extts", "ffmpeg_query", "librtmp",
  "librtmp_extts", "nginxpush", "ffmpeg_ffmpegserver",
};

/* ------------------------------------------------------------------------ */
/* server role: fixture replay                                              */
/* ------------------------------------------------------------------------ */

/* Loop tests over the captures: run _i replays capture _i, or under a
 * memory checker, where every run is a process of its own with its own
 * leak check (a quarter of a second under ASan), the one run replays them
 * all. */
static gint
capture_runs (void)
{
  if (test_util_under_checker ())
    return 1;
  return G_N_ELEMENTS (captures);
}

GST_START_TEST (test_server_replay_whole)
{
  for (guint i = __i__; i < G_N_ELEMENTS (captures); i += capture_runs ())
    replay_capture (captures[i], SPLIT_WHOLE);
}

GST_END_TEST;

GST_START_TEST (test_server_replay_reads)
{
  for (guint i = __i__; i < G_N_ELEMENTS (captures); i += capture_runs ())
    replay_capture (captures[i], SPLIT_READS);
}

GST_END_TEST;

GST_START_TEST (test_server_replay_bytes)
{
  replay_capture ("ffmpeg_extts", SPLIT_BYTES);
  replay_capture ("librtmp_extts", SPLIT_BYTES);
  replay_capture ("nginxpush", SPLIT_BYTES);
}

GST_END_TEST;

/* Our server's answers for the ffmpeg capture, parsed back (reference §9.4) */
GST_START_TEST (test_server_output)
{
  GBytes *c2s = test_util_load_fixture ("ffmpeg.c2s.bin");
  GPtrArray *msgs, *vals = NULL;
  RtmpControl c;
  Peer p;
  guint pos = 0;
  RtmpAmfValue *v;

  peer_init (&p, rtmp_session_new_server (NULL, NULL));
  feed_capture (&p, "ffmpeg", c2s, SPLIT_READS);
  fail_unless (p.out->len > RTMP_HANDSHAKE_TOTAL_SIZE);
  fail_unless_equals_int (p.out->data[0], 3);
  msgs = parse_messages (p.out->data, p.out->len, RTMP_HANDSHAKE_TOTAL_SIZE);

  fail_unless (find_control (msgs, &pos, RTMP_MESSAGE_WINDOW_ACK_SIZE, -1,
          &c));
  fail_unless_equals_int (c.value, RTMP_SESSION_DEFAULT_WINDOW_ACK_SIZE);
  fail_unless_equals_int (pos, 1);
  fail_unless (find_control (msgs, &pos, RTMP_MESSAGE_SET_PEER_BANDWIDTH, -1,
          &c));
  fail_unless_equals_int (c.value, RTMP_SESSION_DEFAULT_PEER_BANDWIDTH);
  fail_unless_equals_int (c.limit_type, RTMP_PEER_BANDWIDTH_DYNAMIC);
  fail_unless (find_control (msgs, &pos, RTMP_MESSAGE_USER_CONTROL,
          RTMP_USER_STREAM_BEGIN, &c));
  fail_unless_equals_int (c.value, 0);
  fail_unless (find_control (msgs, &pos, RTMP_MESSAGE_SET_CHUNK_SIZE, -1,
          &c));
  fail_unless_equals_int (c.value, RTMP_SESSION_DEFAULT_CHUNK_SIZE);
  fail_unless_equals_int (pos, 4);

  fail_unless (find_command (msgs, &pos, "_result", 3,
          "NetConnection.Connect.Success", &vals));
  fail_unless_equals_float (rtmp_amf_value_get_number (g_ptr_array_index
          (vals, 1)), 1);
  v = g_ptr_array_index (vals, 2);
  fail_unless_equals_string (rtmp_amf_value_lookup_string (v, "fmsVer"),
      "FMS/3,0,1,123");
  v = g_ptr_array_index (vals, 3);
  fail_unless_equals_string (rtmp_amf_value_lookup_string (v, "level"),
      "status");
  g_ptr_array_unref (vals);
  vals = NULL;

  /* releaseStream (2) and FCPublish (3) get a _result too, then
   * createStream (4) gets stream id 1 */
  while (find_command (msgs, &pos, "_result", 0, NULL, &vals)) {
    if (rtmp_amf_value_get_number (g_ptr_array_index (vals, 1)) == 4)
      break;
    g_ptr_array_unref (vals);
    vals = NULL;
  }
  fail_unless (vals != NULL);
  fail_unless_equals_int (vals->len, 4);
  fail_unless_equals_float (rtmp_amf_value_get_number (g_ptr_array_index
          (vals, 3)), 1);
  g_ptr_array_unref (vals);

  fail_unless (find_control (msgs, &pos, RTMP_MESSAGE_USER_CONTROL,
          RTMP_USER_STREAM_BEGIN, &c));
  fail_unless_equals_int (c.value, 1);
  fail_unless (find_command (msgs, &pos, "onStatus", 3,
          "NetStream.Publish.Start", NULL));
  fail_unless_equals_int (((RtmpMessage *) g_ptr_array_index (msgs,
              pos - 1))->msid, 1);
  fail_unless (find_command (msgs, &pos, "onStatus", 3,
          "NetStream.Unpublish.Success", NULL));
  fail_unless_equals_int (pos, msgs->len);

  g_ptr_array_unref (msgs);
  peer_clear (&p);
  g_bytes_unref (c2s);
}

GST_END_TEST;

GST_START_TEST (test_server_badname)
{
  GBytes *c2s = test_util_load_fixture ("ffmpeg_badname.c2s.bin");
  GPtrArray *msgs, *vals;
  guint pos = 0;
  RtmpAmfValue *info;
  Peer p;

  peer_init (&p, rtmp_session_new_server (NULL, NULL));
  p.reject_code = "NetStream.Publish.BadName";
  p.reject_description = "Already publishing";
  feed_capture (&p, "ffmpeg_badname", c2s, SPLIT_READS);
  fail_unless_equals_int (p.n_publish_requests, 1);
  fail_unless_equals_int (p.n_publish_started, 0);
  fail_unless_equals_string (p.stream_name, "dup");
  fail_unless_equals_int (p.media->len, 0);
  check_commands_against_fixture (&p, "ffmpeg_badname");
  fail_unless_equals_int (rtmp_session_get_state (p.s),
      RTMP_SESSION_STATE_CONNECTED);

  msgs = parse_messages (p.out->data, p.out->len, RTMP_HANDSHAKE_TOTAL_SIZE);
  fail_unless (find_command (msgs, &pos, "onStatus", 3,
          "NetStream.Publish.BadName", &vals));
  info = g_ptr_array_index (vals, 3);
  fail_unless_equals_string (rtmp_amf_value_lookup_string (info, "level"),
      "error");
  fail_unless_equals_string (rtmp_amf_value_lookup_string (info,
          "description"), "Already publishing");
  g_ptr_array_unref (vals);
  pos = 0;
  fail_if (find_command (msgs, &pos, "onStatus", 3,
          "NetStream.Publish.Start", NULL));
  g_ptr_array_unref (msgs);
  peer_clear (&p);
  g_bytes_unref (c2s);
}

GST_END_TEST;

/* The feed stops right after the publish message until the decision */
GST_START_TEST (test_server_blocks_on_publish)
{
  GBytes *c2s = test_util_load_fixture ("ffmpeg.c2s.bin");
  const guint8 *data = g_bytes_get_data (c2s, NULL);
  gsize size = g_bytes_get_size (c2s), consumed = 0, c2 = 0;
  RtmpSession *s = rtmp_session_new_server (NULL, NULL);
  RtmpSessionEvent ev;
  GError *err = NULL;
  gboolean saw_request = FALSE;

  fail_unless (rtmp_session_feed (s, data, size, &consumed, &err));
  /* publish ends at 3396 in this capture (ffmpeg.messages.tsv) */
  fail_unless_equals_uint64 (consumed, 3396);
  fail_unless (rtmp_session_is_blocked (s));
  /* feeding again without a decision consumes nothing */
  fail_unless (rtmp_session_feed (s, data + consumed, size - consumed, &c2,
          &err));
  fail_unless_equals_uint64 (c2, 0);
  while (rtmp_session_next_event (s, &ev)) {
    fail_if (ev.type == RTMP_SESSION_EVENT_MEDIA);
    if (ev.type == RTMP_SESSION_EVENT_PUBLISH_REQUEST)
      saw_request = TRUE;
    rtmp_session_event_clear (&ev);
  }
  fail_unless (saw_request);
  rtmp_session_accept_publish (s);
  fail_unless (rtmp_session_feed (s, data + consumed, size - consumed, &c2,
          &err));
  fail_unless_equals_uint64 (c2, size - consumed);
  rtmp_session_free (s);
  g_bytes_unref (c2s);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* client <-> server in memory                                              */
/* ------------------------------------------------------------------------ */

typedef enum
{
  PUMP_WHOLE,
  PUMP_BYTES,
  PUMP_RANDOM,
} PumpMode;

/* Delivers what @from produced and @to has not seen yet, in pieces per
 * @mode. from->out keeps everything (for later checks). */
static gboolean
deliver (Peer * from, Peer * to, PumpMode mode, GRand * rand)
{
  gboolean moved = FALSE;

  GArray *cuts = NULL;
  guint next = 0;

  take_output (from->s, from->out);
  /* byte by byte (see stream_cuts): pieces end at the cuts of all that
   * @from has sent so far, which ends with a complete message */
  if (mode == PUMP_BYTES && from->delivered < from->out->len)
    cuts = stream_cuts (from->out->data, from->out->len);
  while (from->delivered < from->out->len) {
    gsize n = from->out->len - from->delivered;

    if (mode == PUMP_BYTES) {
      while (g_array_index (cuts, gsize, next) <= from->delivered)
        next++;
      n = g_array_index (cuts, gsize, next) - from->delivered;
    } else if (mode == PUMP_RANDOM) {
      gsize r = g_rand_int_range (rand, 1, 3000);
      n = MIN (n, r);
    }
    peer_feed_ok (to, from->out->data + from->delivered, n);
    from->delivered += n;
    moved = TRUE;
  }
  if (cuts)
    g_array_unref (cuts);
  return moved;
}

static void
pump (Peer * client, Peer * server, PumpMode mode, GRand * rand)
{
  gboolean moved;

  do {
    moved = deliver (client, server, mode, rand);
    moved |= deliver (server, client, mode, rand);
  } while (moved);
}

static void
client_config (RtmpClientConfig * cfg, const gchar * stream)
{
  rtmp_client_config_init (cfg);
  cfg->app = "live";
  cfg->tc_url = "rtmp://127.0.0.1/live";
  cfg->stream = stream;
}

static GstBuffer *
make_payload (GRand * rand, guint8 first, gsize size)
{
  guint8 *data;

  if (size == 0)
    return gst_buffer_new ();
  data = g_malloc (size);
  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) g_rand_int (rand);
  if (size > 0)
    data[0] = first;
  return gst_buffer_new_wrapped (data, size);
}

static void
client_server_run (PumpMode mode, guint32 seed)
{
  RtmpClientConfig cfg;
  Peer c, s;
  GRand *rand = g_rand_new_with_seed (seed);
  GPtrArray *sent = g_ptr_array_new_with_free_func (message_free);
  GError *err = NULL;
  RtmpMessage early = { 0, };
  guint32 ts = 0;

  client_config (&cfg, "key?token=abc");
  cfg.swf_url = "http://example.invalid/player.swf";
  peer_init (&c, rtmp_session_new_client (NULL, &cfg));
  peer_init (&s, rtmp_session_new_server (NULL, NULL));
  fail_unless_equals_int (rtmp_session_get_role (c.s),
      RTMP_SESSION_ROLE_CLIENT);
  fail_unless_equals_int (rtmp_session_get_role (s.s),
      RTMP_SESSION_ROLE_SERVER);
  fail_unless_equals_int (rtmp_session_get_state (c.s),
      RTMP_SESSION_STATE_NEW);

  rtmp_session_client_start (c.s);
  fail_unless_equals_int (rtmp_session_get_state (c.s),
      RTMP_SESSION_STATE_HANDSHAKE);
  fail_unless (rtmp_session_has_output (c.s));

  /* media before the publish started: a state error */
  early.type = RTMP_MESSAGE_AUDIO;
  early.payload = make_payload (rand, 0xaf, 10);
  fail_if (rtmp_session_send_media (c.s, &early, &err));
  fail_unless (g_error_matches (err, RTMP_ERROR, RTMP_ERROR_STATE));
  g_clear_error (&err);

  pump (&c, &s, mode, rand);
  fail_unless_equals_int (c.n_handshake_done, 1);
  fail_unless_equals_int (s.n_handshake_done, 1);
  fail_unless_equals_int (c.n_connected, 1);
  fail_unless_equals_int (c.n_publish_started, 1);
  fail_unless_equals_int (s.n_publish_started, 1);
  fail_unless_equals_int (rtmp_session_get_state (c.s),
      RTMP_SESSION_STATE_PUBLISHING);
  fail_unless_equals_string (s.app, "live");
  fail_unless_equals_string (s.tc_url, "rtmp://127.0.0.1/live");
  fail_unless_equals_string (s.flash_ver, RTMP_SESSION_DEFAULT_FLASH_VER);
  fail_unless_equals_string (s.stream_name, "key");
  fail_unless_equals_string (s.query, "token=abc");
  /* the server's chunk size reached the client and vice versa */
  fail_unless_equals_int (rtmp_session_get_peer_chunk_size (c.s),
      RTMP_SESSION_DEFAULT_CHUNK_SIZE);
  fail_unless_equals_int (rtmp_session_get_peer_chunk_size (s.s),
      RTMP_SESSION_DEFAULT_CHUNK_SIZE);
  fail_unless_equals_int (rtmp_session_get_stream_id (c.s), 1);

  /* a few hundred messages: metadata, audio, video, a 1 MiB video
   * message, timestamps across 0xFFFFFF */
  for (guint i = 0; i < 300; i++) {
    RtmpMessage *m = g_new0 (RtmpMessage, 1);
    gsize size;

    if (i == 0) {
      m->type = RTMP_MESSAGE_DATA_AMF0;
      size = 200;
    } else if (i % 3 == 0) {
      m->type = RTMP_MESSAGE_VIDEO;
      size = g_rand_int_range (rand, 1, 9000);
    } else {
      m->type = RTMP_MESSAGE_AUDIO;
      size = g_rand_int_range (rand, 1, 400);
    }
    if (i == 150)
      size = 1024 * 1024;
    if (i == 200)
      ts = 0xFFFFF0;
    if (i == 250)
      size = 0;
    ts += g_rand_int_range (rand, 0, 40);
    m->timestamp = ts;
    m->payload = make_payload (rand, m->type == 9 ? 0x17 : 0xaf, size);
    fail_unless (rtmp_session_send_media (c.s, m, &err));
    g_ptr_array_add (sent, m);
    if (i % 37 == 0 || i == 150)
      pump (&c, &s, mode, rand);
  }
  pump (&c, &s, mode, rand);
  fail_unless_equals_int (s.media->len, sent->len);
  for (guint i = 0; i < sent->len; i++) {
    RtmpMessage *a = g_ptr_array_index (sent, i);
    RtmpMessage *b = g_ptr_array_index (s.media, i);
    gchar *ma = test_util_buffer_md5 (a->payload);
    gchar *mb = test_util_buffer_md5 (b->payload);

    TEST_CHECK_EQ (a->type, b->type);
    TEST_CHECK_EQ (a->timestamp, b->timestamp);
    TEST_CHECK_EQ (rtmp_message_get_size (a), rtmp_message_get_size (b));
    TEST_CHECK (g_strcmp0 (ma, mb) == 0, "message %u: md5 %s, sent %s", i,
        mb, ma);
    TEST_CHECK_EQ (b->msid, 1);
    g_free (ma);
    g_free (mb);
  }

  rtmp_session_client_unpublish (c.s);
  pump (&c, &s, mode, rand);
  fail_unless_equals_int (s.unpublished->len, 1);
  fail_unless_equals_string (g_ptr_array_index (s.unpublished, 0),
      "FCUnpublish");
  fail_unless_equals_string (c.last_status_code,
      "NetStream.Unpublish.Success");
  fail_unless_equals_int (rtmp_session_get_state (c.s),
      RTMP_SESSION_STATE_UNPUBLISHED);
  /* sending after unpublish is a state error; unpublish twice is a no-op */
  fail_if (rtmp_session_send_media (c.s, &early, &err));
  fail_unless (g_error_matches (err, RTMP_ERROR, RTMP_ERROR_STATE));
  g_clear_error (&err);
  rtmp_session_client_unpublish (c.s);
  fail_if (rtmp_session_has_output (c.s));
  fail_unless (rtmp_session_get_bytes_out (c.s) > 1024 * 1024);
  fail_unless_equals_uint64 (rtmp_session_get_bytes_out (c.s),
      rtmp_session_get_bytes_in (s.s));
  fail_unless_equals_uint64 (rtmp_session_get_bytes_out (s.s),
      rtmp_session_get_bytes_in (c.s));

  rtmp_message_clear (&early);
  g_ptr_array_unref (sent);
  peer_clear (&c);
  peer_clear (&s);
  g_rand_free (rand);
}

GST_START_TEST (test_client_server_whole)
{
  client_server_run (PUMP_WHOLE, 1);
}

GST_END_TEST;

GST_START_TEST (test_client_server_random)
{
  client_server_run (PUMP_RANDOM, 2);
  client_server_run (PUMP_RANDOM, 3);
}

GST_END_TEST;

GST_START_TEST (test_client_server_bytes)
{
  client_server_run (PUMP_BYTES, 4);
}

GST_END_TEST;

GST_START_TEST (test_client_server_reject)
{
  RtmpClientConfig cfg;
  Peer c, s;
  GRand *rand = g_rand_new_with_seed (5);

  client_config (&cfg, "dup");
  cfg.digest_handshake = FALSE;
  cfg.window_ack_size = 0;
  peer_init (&c, rtmp_session_new_client (NULL, &cfg));
  peer_init (&s, rtmp_session_new_server (NULL, NULL));
  s.reject_code = "NetStream.Publish.BadName";
  s.reject_description = "Already publishing";
  rtmp_session_client_start (c.s);
  pump (&c, &s, PUMP_WHOLE, rand);
  fail_unless_equals_string (c.rejected_code, "NetStream.Publish.BadName");
  fail_unless_equals_string (c.rejected_description, "Already publishing");
  fail_unless_equals_int (c.n_publish_started, 0);
  fail_unless_equals_int (rtmp_session_get_state (c.s),
      RTMP_SESSION_STATE_REJECTED);
  peer_clear (&c);
  peer_clear (&s);
  g_rand_free (rand);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* client fed a real server's post-handshake bytes                          */
/* ------------------------------------------------------------------------ */

/* A client that completed a handshake against our server role; c->out
 * holds everything it sent (C0, C1, C2, connect). */
static Peer *
client_after_handshake (Peer * c)
{
  RtmpClientConfig cfg;
  Peer s;

  client_config (&cfg, "key");
  peer_init (c, rtmp_session_new_client (NULL, &cfg));
  peer_init (&s, rtmp_session_new_server (NULL, NULL));
  rtmp_session_client_start (c->s);
  peer_drain (c);
  fail_unless_equals_int (c->out->len, 1 + RTMP_HANDSHAKE_PACKET_SIZE);
  peer_feed_ok (&s, c->out->data, c->out->len);  /* C0 + C1 */
  fail_unless_equals_int (s.out->len, RTMP_HANDSHAKE_TOTAL_SIZE);
  peer_feed_ok (c, s.out->data, RTMP_HANDSHAKE_TOTAL_SIZE);
  fail_unless_equals_int (c->n_handshake_done, 1);
  fail_unless_equals_int (rtmp_session_get_state (c->s),
      RTMP_SESSION_STATE_CONNECTING);
  fail_unless (c->out->len > RTMP_HANDSHAKE_TOTAL_SIZE);
  peer_clear (&s);
  return c;
}

static void
feed_s2c (Peer * c, const gchar * name)
{
  gchar *fname = g_strdup_printf ("%s.s2c.bin", name);
  GBytes *s2c = test_util_load_fixture (fname);

  peer_feed_ok (c, (const guint8 *) g_bytes_get_data (s2c, NULL) +
      RTMP_HANDSHAKE_TOTAL_SIZE,
      g_bytes_get_size (s2c) - RTMP_HANDSHAKE_TOTAL_SIZE);
  g_bytes_unref (s2c);
  g_free (fname);
}

GST_START_TEST (test_client_fixture_nginx)
{
  Peer c;
  GPtrArray *msgs, *vals;
  guint pos = 0;

  client_after_handshake (&c);
  feed_s2c (&c, "ffmpeg");
  fail_unless_equals_int (c.n_connected, 1);
  fail_unless_equals_int (c.n_publish_started, 1);
  fail_unless_equals_int (c.peer_chunk_size, 4096);
  fail_unless_equals_string (c.last_status_code,
      "NetStream.Unpublish.Success");
  fail_unless_equals_int (rtmp_session_get_state (c.s),
      RTMP_SESSION_STATE_PUBLISHING);

  /* what we sent: connect was before; now Set Chunk Size, WinAck answers,
   * releaseStream, FCPublish, createStream, publish on msid 1 */
  msgs = parse_messages (c.out->data, c.out->len, RTMP_HANDSHAKE_TOTAL_SIZE);
  fail_unless (find_command (msgs, &pos, "connect", 0, NULL, &vals));
  fail_unless_equals_string (rtmp_amf_value_lookup_string (g_ptr_array_index
          (vals, 2), "app"), "live");
  fail_unless_equals_string (rtmp_amf_value_lookup_string (g_ptr_array_index
          (vals, 2), "type"), "nonprivate");
  g_ptr_array_unref (vals);
  fail_unless (find_command (msgs, &pos, "releaseStream", 0, NULL, NULL));
  fail_unless (find_command (msgs, &pos, "FCPublish", 0, NULL, NULL));
  fail_unless (find_command (msgs, &pos, "createStream", 0, NULL, NULL));
  fail_unless (find_command (msgs, &pos, "publish", 0, NULL, &vals));
  fail_unless_equals_string (val_string (vals, 3), "key");
  fail_unless_equals_string (val_string (vals, 4), "live");
  fail_unless_equals_int (((RtmpMessage *) g_ptr_array_index (msgs,
              pos - 1))->msid, 1);
  g_ptr_array_unref (vals);
  g_ptr_array_unref (msgs);
  peer_clear (&c);
}

GST_END_TEST;

GST_START_TEST (test_client_fixture_ffmpegserver)
{
  Peer c;

  client_after_handshake (&c);
  feed_s2c (&c, "ffmpeg_ffmpegserver");
  fail_unless_equals_int (c.n_connected, 1);
  fail_unless_equals_int (c.n_publish_started, 1);
  fail_unless (c.rejected_code == NULL);
  fail_unless_equals_int (c.n_close_requested, 1);
  fail_unless_equals_int (rtmp_session_get_state (c.s),
      RTMP_SESSION_STATE_PUBLISHING);
  peer_clear (&c);
}

GST_END_TEST;

GST_START_TEST (test_client_fixture_badname)
{
  Peer c;

  client_after_handshake (&c);
  feed_s2c (&c, "ffmpeg_badname");
  fail_unless_equals_int (c.n_connected, 1);
  fail_unless_equals_int (c.n_publish_started, 0);
  fail_unless_equals_string (c.rejected_code, "NetStream.Publish.BadName");
  fail_unless_equals_string (c.rejected_description, "Already publishing");
  fail_unless_equals_string (c.rejected_command, "publish");
  fail_unless_equals_int (rtmp_session_get_state (c.s),
      RTMP_SESSION_STATE_REJECTED);
  peer_clear (&c);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* hand-made streams                                                        */
/* ------------------------------------------------------------------------ */

/* A client byte stream: the recorded ffmpeg handshake + our own chunks */
typedef struct
{
  GByteArray *bytes;
  RtmpChunkWriter *w;
} Stream;

static void
stream_init (Stream * st, gboolean handshake)
{
  st->bytes = g_byte_array_new ();
  st->w = rtmp_chunk_writer_new ();
  if (handshake) {
    GBytes *c2s = test_util_load_fixture ("ffmpeg.c2s.bin");
    g_byte_array_append (st->bytes, g_bytes_get_data (c2s, NULL),
        RTMP_HANDSHAKE_TOTAL_SIZE);
    g_bytes_unref (c2s);
  }
}

static void
stream_clear (Stream * st)
{
  g_byte_array_unref (st->bytes);
  rtmp_chunk_writer_free (st->w);
}

static void
stream_msg (Stream * st, RtmpMessage * m)
{
  GstBufferList *l = gst_buffer_list_new ();

  rtmp_chunk_writer_write_list (st->w, m, l);
  append_list (st->bytes, l);
  rtmp_message_clear (m);
}

static void
stream_raw (Stream * st, guint8 type, guint32 msid, guint32 ts,
    const guint8 * data, gsize size)
{
  RtmpMessage m = { 0, };

  m.type = type;
  m.csid = type == RTMP_MESSAGE_COMMAND_AMF0
      || type == RTMP_MESSAGE_COMMAND_AMF3 ? 3 : 6;
  m.msid = msid;
  m.timestamp = ts;
  m.payload = size ? gst_buffer_new_memdup (data, size) : gst_buffer_new ();
  stream_msg (st, &m);
}

static void
stream_control (Stream * st, RtmpMessage * m)
{
  stream_msg (st, m);
}

/* name, tid, then NULL-terminated owned values */
static void
stream_command (Stream * st, guint8 type, guint32 msid, const gchar * name,
    gdouble tid, ...)
{
  GByteArray *ba = g_byte_array_new ();
  RtmpAmfValue *v;
  va_list ap;

  if (type == RTMP_MESSAGE_COMMAND_AMF3)
    g_byte_array_append (ba, (const guint8 *) "", 1);
  rtmp_amf0_serialize_string (ba, name);
  v = rtmp_amf_value_new_number (tid);
  rtmp_amf0_serialize (ba, v);
  rtmp_amf_value_unref (v);
  va_start (ap, tid);
  while ((v = va_arg (ap, RtmpAmfValue *)) != NULL) {
    rtmp_amf0_serialize (ba, v);
    rtmp_amf_value_unref (v);
  }
  va_end (ap);
  stream_raw (st, type, msid, 0, ba->data, ba->len);
  g_byte_array_unref (ba);
}

static RtmpAmfValue *
connect_object (const gchar * app)
{
  RtmpAmfValue *o = rtmp_amf_value_new_object ();

  rtmp_amf_value_set_string (o, "app", app);
  rtmp_amf_value_set_string (o, "type", "nonprivate");
  rtmp_amf_value_set_string (o, "tcUrl", "rtmp://h/live");
  return o;
}

static void
stream_connect (Stream * st)
{
  stream_command (st, 20, 0, "connect", 1, connect_object ("live"), NULL);
}

static void
stream_publish_sequence (Stream * st, guint8 type)
{
  stream_command (st, type, 0, "connect", 1, connect_object ("live"), NULL);
  stream_command (st, type, 0, "createStream", 2, rtmp_amf_value_new_null (),
      NULL);
  stream_command (st, type, 1, "publish", 0, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_string ("key"), rtmp_amf_value_new_string ("live"),
      NULL);
}

/* Feeds the whole stream to a fresh server; returns the error (or NULL) */
static GError *
run_stream (Peer * p, Stream * st)
{
  GError *err = NULL;

  peer_init (p, rtmp_session_new_server (NULL, NULL));
  peer_feed (p, st->bytes->data, st->bytes->len, &err);
  return err;
}

static void
expect_error (Stream * st, gint code, const gchar * substring)
{
  Peer p;
  GError *err = run_stream (&p, st);
  GError *err2 = NULL;
  gsize consumed = 1;

  fail_unless (err != NULL, "no error (expected '%s')", substring);
  fail_unless (g_error_matches (err, RTMP_ERROR, code),
      "wrong error code %d: %s", err->code, err->message);
  if (substring)
    fail_unless (strstr (err->message, substring) != NULL,
        "'%s' not in '%s'", substring, err->message);
  GST_INFO ("expected error: %s", err->message);
  fail_unless_equals_int (rtmp_session_get_state (p.s),
      RTMP_SESSION_STATE_FAILED);
  /* an unusable session says so */
  fail_if (rtmp_session_feed (p.s, (const guint8 *) "x", 1, &consumed,
          &err2));
  fail_unless_equals_int (consumed, 0);
  fail_unless (g_error_matches (err2, RTMP_ERROR, RTMP_ERROR_STATE));
  g_error_free (err2);
  g_error_free (err);
  peer_clear (&p);
}

GST_START_TEST (test_hostile_publish_before_connect)
{
  Stream st;

  stream_init (&st, TRUE);
  stream_command (&st, 20, 1, "publish", 0, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_string ("key"), NULL);
  expect_error (&st, RTMP_ERROR_PROTOCOL, "publish: received before connect");
  stream_clear (&st);

  stream_init (&st, TRUE);
  stream_command (&st, 20, 0, "createStream", 2, rtmp_amf_value_new_null (),
      NULL);
  expect_error (&st, RTMP_ERROR_PROTOCOL, "createStream");
  stream_clear (&st);

  /* publish before createStream, on a stream id never handed out */
  stream_init (&st, TRUE);
  stream_connect (&st);
  stream_command (&st, 20, 1, "publish", 0, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_string ("key"), NULL);
  expect_error (&st, RTMP_ERROR_PROTOCOL, "createStream did not return");
  stream_clear (&st);
}

GST_END_TEST;

GST_START_TEST (test_hostile_connect_types)
{
  Stream st;
  RtmpAmfValue *o;

  /* app as a number */
  stream_init (&st, TRUE);
  o = rtmp_amf_value_new_object ();
  rtmp_amf_value_set_number (o, "app", 12);
  stream_command (&st, 20, 0, "connect", 1, o, NULL);
  expect_error (&st, RTMP_ERROR_PROTOCOL, "connect: 'app' is");
  stream_clear (&st);

  /* tcUrl as a boolean */
  stream_init (&st, TRUE);
  o = connect_object ("live");
  rtmp_amf_value_set_boolean (o, "flashVer", TRUE);
  stream_command (&st, 20, 0, "connect", 1, o, NULL);
  expect_error (&st, RTMP_ERROR_PROTOCOL, "'flashVer'");
  stream_clear (&st);

  /* objectEncoding as a string */
  stream_init (&st, TRUE);
  o = connect_object ("live");
  rtmp_amf_value_set_string (o, "objectEncoding", "3");
  stream_command (&st, 20, 0, "connect", 1, o, NULL);
  expect_error (&st, RTMP_ERROR_PROTOCOL, "objectEncoding");
  stream_clear (&st);

  /* no command object */
  stream_init (&st, TRUE);
  stream_command (&st, 20, 0, "connect", 1, rtmp_amf_value_new_string ("x"),
      NULL);
  expect_error (&st, RTMP_ERROR_PROTOCOL, "command object");
  stream_clear (&st);

  /* connect twice */
  stream_init (&st, TRUE);
  stream_connect (&st);
  stream_connect (&st);
  expect_error (&st, RTMP_ERROR_PROTOCOL, "second time");
  stream_clear (&st);

  /* a command that is not a name string */
  stream_init (&st, TRUE);
  {
    GByteArray *ba = g_byte_array_new ();
    RtmpAmfValue *n = rtmp_amf_value_new_number (1);
    rtmp_amf0_serialize (ba, n);
    rtmp_amf_value_unref (n);
    stream_raw (&st, 20, 0, 0, ba->data, ba->len);
    g_byte_array_unref (ba);
  }
  expect_error (&st, RTMP_ERROR_PROTOCOL, "name string");
  stream_clear (&st);

  /* an empty command */
  stream_init (&st, TRUE);
  stream_raw (&st, 20, 0, 0, NULL, 0);
  expect_error (&st, RTMP_ERROR_PROTOCOL, "empty command");
  stream_clear (&st);

  /* truncated AMF */
  stream_init (&st, TRUE);
  stream_raw (&st, 20, 0, 0, (const guint8 *) "\x02\x00\x07" "conn", 7);
  expect_error (&st, RTMP_ERROR_AMF, NULL);
  stream_clear (&st);
}

GST_END_TEST;

GST_START_TEST (test_hostile_deep_nest)
{
  Stream st;
  GByteArray *ba = g_byte_array_new ();

  stream_init (&st, TRUE);
  rtmp_amf0_serialize_string (ba, "connect");
  g_byte_array_append (ba, (const guint8 *) "\x00\x3f\xf0\0\0\0\0\0\0", 9);
  /* 100000 objects, each the value of key "a" of the one before */
  for (guint i = 0; i < 100000; i++)
    g_byte_array_append (ba, (const guint8 *) "\x03\x00\x01" "a", 4);
  stream_raw (&st, 20, 0, 0, ba->data, ba->len);
  g_byte_array_unref (ba);
  expect_error (&st, RTMP_ERROR_LIMIT, "max_amf_depth");
  stream_clear (&st);
}

GST_END_TEST;

GST_START_TEST (test_hostile_names)
{
  Stream st;
  gchar *big = g_strnfill (65536, 'a');
  RtmpAmfValue *o;
  GPtrArray *msgs;
  guint pos = 0;
  Peer p;
  GError *err;

  /* a 64 KiB app name (an AMF0 long string) */
  stream_init (&st, TRUE);
  stream_command (&st, 20, 0, "connect", 1, connect_object (big), NULL);
  expect_error (&st, RTMP_ERROR_LIMIT, "RTMP_SESSION_MAX_NAME_LENGTH");
  stream_clear (&st);

  /* an app with a NUL: refused with _error, then the error */
  stream_init (&st, TRUE);
  o = rtmp_amf_value_new_object ();
  rtmp_amf_value_set (o, "app", rtmp_amf_value_new_string_len ("li\0ve", 5));
  stream_command (&st, 20, 0, "connect", 1, o, NULL);
  err = run_stream (&p, &st);
  fail_unless (g_error_matches (err, RTMP_ERROR, RTMP_ERROR_PROTOCOL));
  g_error_free (err);
  msgs = parse_messages (p.out->data, p.out->len, RTMP_HANDSHAKE_TOTAL_SIZE);
  fail_unless (find_command (msgs, &pos, "_error", 3,
          "NetConnection.Connect.Rejected", NULL));
  g_ptr_array_unref (msgs);
  peer_clear (&p);
  stream_clear (&st);

  /* a stream name that is not UTF-8: BadName on the wire, then the error */
  stream_init (&st, TRUE);
  stream_connect (&st);
  stream_command (&st, 20, 0, "createStream", 2, rtmp_amf_value_new_null (),
      NULL);
  stream_command (&st, 20, 1, "publish", 3, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_string ("k\xff\xfe"), NULL);
  err = run_stream (&p, &st);
  fail_unless (g_error_matches (err, RTMP_ERROR, RTMP_ERROR_PROTOCOL));
  fail_unless (strstr (err->message, "UTF-8") != NULL);
  g_error_free (err);
  msgs = parse_messages (p.out->data, p.out->len, RTMP_HANDSHAKE_TOTAL_SIZE);
  pos = 0;
  fail_unless (find_command (msgs, &pos, "onStatus", 3,
          "NetStream.Publish.BadName", NULL));
  g_ptr_array_unref (msgs);
  fail_unless_equals_int (p.n_publish_requests, 0);
  peer_clear (&p);
  stream_clear (&st);

  /* a long stream name */
  stream_init (&st, TRUE);
  stream_connect (&st);
  stream_command (&st, 20, 0, "createStream", 2, rtmp_amf_value_new_null (),
      NULL);
  stream_command (&st, 20, 1, "publish", 3, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_string (big + 65536 - 1025), NULL);
  expect_error (&st, RTMP_ERROR_LIMIT, "stream name");
  stream_clear (&st);

  /* a stream name that is a number */
  stream_init (&st, TRUE);
  stream_connect (&st);
  stream_command (&st, 20, 0, "createStream", 2, rtmp_amf_value_new_null (),
      NULL);
  stream_command (&st, 20, 1, "publish", 3, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_number (5), NULL);
  expect_error (&st, RTMP_ERROR_PROTOCOL, "publish: stream name is");
  stream_clear (&st);

  /* no stream name */
  stream_init (&st, TRUE);
  stream_connect (&st);
  stream_command (&st, 20, 0, "createStream", 2, rtmp_amf_value_new_null (),
      NULL);
  stream_command (&st, 20, 1, "publish", 3, rtmp_amf_value_new_null (), NULL);
  expect_error (&st, RTMP_ERROR_PROTOCOL, "no stream name");
  stream_clear (&st);

  /* a publish type that is an object */
  stream_init (&st, TRUE);
  stream_connect (&st);
  stream_command (&st, 20, 0, "createStream", 2, rtmp_amf_value_new_null (),
      NULL);
  stream_command (&st, 20, 1, "publish", 3, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_string ("key"), rtmp_amf_value_new_object (), NULL);
  expect_error (&st, RTMP_ERROR_PROTOCOL, "publish type");
  stream_clear (&st);

  g_free (big);
}

GST_END_TEST;

GST_START_TEST (test_hostile_order)
{
  Stream st;
  Peer p;
  GError *err;
  RtmpMessage m = { 0, };

  /* double publish */
  stream_init (&st, TRUE);
  stream_publish_sequence (&st, 20);
  stream_command (&st, 20, 1, "publish", 0, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_string ("key2"), NULL);
  expect_error (&st, RTMP_ERROR_PROTOCOL, "already publishing");
  stream_clear (&st);

  /* publish on a deleted stream */
  stream_init (&st, TRUE);
  stream_connect (&st);
  stream_command (&st, 20, 0, "createStream", 2, rtmp_amf_value_new_null (),
      NULL);
  stream_command (&st, 20, 0, "deleteStream", 3, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_number (1), NULL);
  stream_command (&st, 20, 1, "publish", 0, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_string ("key"), NULL);
  expect_error (&st, RTMP_ERROR_PROTOCOL, "deleted");
  stream_clear (&st);

  /* media before publish, on the wrong msid, unknown types: dropped; then a
   * normal publish works */
  stream_init (&st, TRUE);
  stream_raw (&st, 9, 1, 0, (const guint8 *) "\x17\x00", 2);
  stream_connect (&st);
  stream_command (&st, 20, 0, "createStream", 2, rtmp_amf_value_new_null (),
      NULL);
  stream_command (&st, 20, 0, "createStream", 3, rtmp_amf_value_new_null (),
      NULL);
  stream_raw (&st, 8, 1, 0, (const guint8 *) "\xaf\x00", 2);
  stream_command (&st, 20, 2, "publish", 0, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_string ("key"), NULL);
  stream_raw (&st, 8, 1, 5, (const guint8 *) "\xaf\x01", 2);   /* wrong msid */
  stream_raw (&st, 19, 2, 5, (const guint8 *) "\x00\x00", 2);  /* shared object */
  stream_raw (&st, 8, 2, 6, (const guint8 *) "\xaf\x01", 2);
  stream_command (&st, 20, 0, "getStreamLength", 9,
      rtmp_amf_value_new_null (), NULL);
  stream_command (&st, 20, 2, "closeStream", 0, rtmp_amf_value_new_null (),
      NULL);
  stream_raw (&st, 8, 2, 7, (const guint8 *) "\xaf\x01", 2);   /* after close */
  err = run_stream (&p, &st);
  fail_unless (err == NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (p.media->len, 1);
  fail_unless_equals_int (((RtmpMessage *) g_ptr_array_index (p.media,
              0))->timestamp, 6);
  fail_unless_equals_int (p.unpublished->len, 1);
  fail_unless_equals_string (g_ptr_array_index (p.unpublished, 0),
      "closeStream");
  fail_unless_equals_int (rtmp_session_get_stream_id (p.s), 2);
  peer_clear (&p);
  stream_clear (&st);

  /* the server role cannot send media */
  peer_init (&p, rtmp_session_new_server (NULL, NULL));
  m.type = 8;
  fail_if (rtmp_session_send_media (p.s, &m, &err));
  fail_unless (g_error_matches (err, RTMP_ERROR, RTMP_ERROR_STATE));
  g_clear_error (&err);
  peer_clear (&p);

  /* too many streams */
  stream_init (&st, TRUE);
  stream_connect (&st);
  for (guint i = 0; i < 65; i++)
    stream_command (&st, 20, 0, "createStream", 2 + i,
        rtmp_amf_value_new_null (), NULL);
  expect_error (&st, RTMP_ERROR_LIMIT, "RTMP_SESSION_MAX_STREAMS");
  stream_clear (&st);

  /* RTMPE (handshake version 6): the handshake's error */
  stream_init (&st, FALSE);
  g_byte_array_append (st.bytes, (const guint8 *) "\x06", 1);
  g_byte_array_set_size (st.bytes, RTMP_HANDSHAKE_TOTAL_SIZE);
  expect_error (&st, RTMP_ERROR_UNSUPPORTED, "RTMPE");
  stream_clear (&st);

  /* a chunk stream error: Set Chunk Size 0 */
  stream_init (&st, TRUE);
  g_byte_array_append (st.bytes, (const guint8 *)
      "\x02\x00\x00\x00\x00\x00\x04\x01\x00\x00\x00\x00" "\x00\x00\x00\x00",
      16);
  expect_error (&st, RTMP_ERROR_PROTOCOL, NULL);
  stream_clear (&st);
}

GST_END_TEST;

/* rtmp2sink-style teardown (deleteStream with the name), AMF3 commands
 * (type 17) answered in kind, bare onMetaData, data type 15 */
GST_START_TEST (test_server_variants)
{
  Stream st;
  Peer p;
  GError *err;
  GPtrArray *msgs, *vals;
  guint pos = 0;
  GByteArray *ba = g_byte_array_new ();
  RtmpAmfValue *o, *meta;

  stream_init (&st, TRUE);
  o = connect_object ("live/inst");
  rtmp_amf_value_set_number (o, "objectEncoding", 3);
  stream_command (&st, 17, 0, "connect", 1, o, NULL);
  stream_command (&st, 17, 0, "releaseStream", 2, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_string ("key"), NULL);
  stream_command (&st, 17, 0, "FCPublish", 0, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_string ("key"), NULL);
  stream_command (&st, 17, 0, "_checkbw", 3, rtmp_amf_value_new_null (),
      NULL);
  stream_command (&st, 17, 0, "createStream", 4, rtmp_amf_value_new_null (),
      NULL);
  stream_command (&st, 17, 1, "publish", 0, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_string ("key"), rtmp_amf_value_new_string ("record"),
      NULL);
  /* type 15 data: format byte + @setDataFrame onMetaData {object} */
  g_byte_array_append (ba, (const guint8 *) "", 1);
  rtmp_amf0_serialize_string (ba, "@setDataFrame");
  rtmp_amf0_serialize_string (ba, "onMetaData");
  meta = rtmp_amf_value_new_object ();
  rtmp_amf_value_set_number (meta, "width", 640);
  rtmp_amf0_serialize (ba, meta);
  stream_raw (&st, 15, 1, 0, ba->data, ba->len);
  /* bare onMetaData with an ECMA array (nginx push) */
  g_byte_array_set_size (ba, 0);
  rtmp_amf0_serialize_string (ba, "onMetaData");
  o = rtmp_amf_value_new_ecma_array ();
  rtmp_amf_value_set_number (o, "width", 640);
  rtmp_amf0_serialize (ba, o);
  rtmp_amf_value_unref (o);
  stream_raw (&st, 18, 1, 0, ba->data, ba->len);
  /* other data: onCuePoint, a number, truncated, @setDataFrame + number */
  g_byte_array_set_size (ba, 0);
  rtmp_amf0_serialize_string (ba, "onCuePoint");
  stream_raw (&st, 18, 1, 1, ba->data, ba->len);
  stream_raw (&st, 18, 1, 1, (const guint8 *) "\x00\0\0\0\0\0\0\0\0", 9);
  stream_raw (&st, 18, 1, 1, (const guint8 *) "\x02\x00\x09" "ab", 5);
  g_byte_array_set_size (ba, 0);
  rtmp_amf0_serialize_string (ba, "@setDataFrame");
  stream_raw (&st, 18, 1, 1, ba->data, ba->len);
  rtmp_amf0_serialize_string (ba, "onMetaData");
  stream_raw (&st, 18, 1, 1, ba->data, ba->len);
  g_byte_array_append (ba, (const guint8 *) "\x00\0\0\0\0\0\0\0\0", 9);
  stream_raw (&st, 18, 1, 1, ba->data, ba->len);
  /* aggregate passes as media */
  stream_raw (&st, 22, 1, 2, (const guint8 *) "", 0);
  /* teardown the rtmp2sink way */
  stream_command (&st, 20, 0, "FCUnpublish", 0, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_string ("key"), NULL);
  stream_command (&st, 20, 0, "deleteStream", 0, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_string ("key"), NULL);
  stream_command (&st, 20, 0, "deleteStream", 0, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_object (), NULL);
  err = run_stream (&p, &st);
  fail_unless (err == NULL, "%s", err ? err->message : "");
  fail_unless_equals_string (p.app, "live/inst");
  fail_unless_equals_string (p.publish_type, "record");
  fail_unless_equals_int (p.media->len, 9);
  fail_unless_equals_int (p.metadata->len, 2);
  fail_unless (rtmp_amf_value_equal (g_ptr_array_index (p.metadata, 0),
          meta));
  fail_unless_equals_int (p.unpublished->len, 1);
  fail_unless_equals_string (g_ptr_array_index (p.unpublished, 0),
      "FCUnpublish");

  msgs = parse_messages (p.out->data, p.out->len, RTMP_HANDSHAKE_TOTAL_SIZE);
  fail_unless (find_command (msgs, &pos, "_result", 3,
          "NetConnection.Connect.Success", &vals));
  fail_unless_equals_int (((RtmpMessage *) g_ptr_array_index (msgs,
              pos - 1))->type, RTMP_MESSAGE_COMMAND_AMF3);
  fail_unless (rtmp_amf_value_lookup_number (g_ptr_array_index (vals, 3),
          "objectEncoding", NULL));
  {
    gdouble enc = 0;
    rtmp_amf_value_lookup_number (g_ptr_array_index (vals, 3),
        "objectEncoding", &enc);
    fail_unless_equals_float (enc, 3);
  }
  g_ptr_array_unref (vals);
  /* _result for releaseStream (tid 2) and _checkbw (3), none for tid 0 */
  fail_unless (find_command (msgs, &pos, "_result", 0, NULL, &vals));
  fail_unless_equals_float (rtmp_amf_value_get_number (g_ptr_array_index
          (vals, 1)), 2);
  g_ptr_array_unref (vals);
  fail_unless (find_command (msgs, &pos, "_result", 0, NULL, &vals));
  fail_unless_equals_float (rtmp_amf_value_get_number (g_ptr_array_index
          (vals, 1)), 3);
  g_ptr_array_unref (vals);
  fail_unless (find_command (msgs, &pos, "onStatus", 3,
          "NetStream.Publish.Start", NULL));
  fail_unless_equals_int (((RtmpMessage *) g_ptr_array_index (msgs,
              pos - 1))->type, RTMP_MESSAGE_COMMAND_AMF3);
  fail_unless (find_command (msgs, &pos, "onStatus", 3,
          "NetStream.Unpublish.Success", NULL));
  g_ptr_array_unref (msgs);
  peer_clear (&p);
  stream_clear (&st);

  /* deleteStream by number ends the publish too */
  stream_init (&st, TRUE);
  stream_publish_sequence (&st, 20);
  stream_command (&st, 20, 0, "deleteStream", 5, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_number (1), NULL);
  err = run_stream (&p, &st);
  fail_unless (err == NULL);
  fail_unless_equals_int (p.unpublished->len, 1);
  fail_unless_equals_string (g_ptr_array_index (p.unpublished, 0),
      "deleteStream");
  peer_clear (&p);
  stream_clear (&st);

  rtmp_amf_value_unref (meta);
  g_byte_array_unref (ba);
}

GST_END_TEST;

GST_START_TEST (test_server_ping_and_acks)
{
  Stream st;
  Peer p;
  GError *err;
  GPtrArray *msgs;
  RtmpMessage m = { 0, };
  RtmpControl c;
  guint pos = 0;
  guint8 junk[3000];
  RtmpServerConfig cfg;

  memset (junk, 0x17, sizeof (junk));
  stream_init (&st, TRUE);
  rtmp_control_build_window_ack_size (1000, &m);
  stream_control (&st, &m);
  rtmp_control_build_user (RTMP_USER_PING_REQUEST, 123456, &m);
  stream_control (&st, &m);
  rtmp_control_build_user (RTMP_USER_STREAM_BEGIN, 1, &m);
  stream_control (&st, &m);
  rtmp_control_build_set_buffer_length (1, 3000, &m);
  stream_control (&st, &m);
  rtmp_control_build_ack (77, &m);
  stream_control (&st, &m);
  rtmp_control_build_abort (9, &m);
  stream_control (&st, &m);
  rtmp_control_build_set_peer_bandwidth (1000000, 2, &m);
  stream_control (&st, &m);
  /* a user control message too short for its event: ignored */
  stream_raw (&st, 4, 0, 0, (const guint8 *) "\x00", 1);
  stream_connect (&st);
  /* 3000 + 3000 bytes of (dropped) video */
  stream_raw (&st, 9, 0, 0, junk, sizeof (junk));
  stream_raw (&st, 9, 0, 0, junk, sizeof (junk));

  rtmp_server_config_init (&cfg);
  cfg.chunk_size = 0;           /* means the default */
  peer_init (&p, rtmp_session_new_server (NULL, &cfg));
  err = NULL;
  peer_feed (&p, st.bytes->data, st.bytes->len, &err);
  fail_unless (err == NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (p.n_acks, 1);

  msgs = parse_messages (p.out->data, p.out->len, RTMP_HANDSHAKE_TOTAL_SIZE);
  fail_unless (find_control (msgs, &pos, RTMP_MESSAGE_USER_CONTROL,
          RTMP_USER_PING_RESPONSE, &c));
  fail_unless_equals_int (c.value, 123456);
  /* Set Peer Bandwidth answered with our Window Ack Size */
  fail_unless (find_control (msgs, &pos, RTMP_MESSAGE_WINDOW_ACK_SIZE, -1,
          &c));
  fail_unless_equals_int (c.value, 1000000);
  pos = 0;
  {
    guint n_acks = 0;
    guint32 last = 0;
    while (find_control (msgs, &pos, RTMP_MESSAGE_ACKNOWLEDGEMENT, -1, &c)) {
      fail_unless (c.value >= last + 1000);
      last = c.value;
      n_acks++;
    }
    /* about 6.5 KB received after the handshake with a 1000 byte window:
     * acks at message boundaries, never a full window left unacknowledged */
    fail_unless (n_acks >= 2, "only %u acks", n_acks);
    fail_unless (last <= st.bytes->len - RTMP_HANDSHAKE_TOTAL_SIZE);
    fail_unless (last + 1000 > st.bytes->len - RTMP_HANDSHAKE_TOTAL_SIZE);
  }
  g_ptr_array_unref (msgs);
  peer_clear (&p);
  stream_clear (&st);
}

GST_END_TEST;

static RtmpAmfValue *
make_status_for_test (const gchar * level, const gchar * code,
    const gchar * desc)
{
  RtmpAmfValue *info = rtmp_amf_value_new_object ();

  rtmp_amf_value_set_string (info, "level", level);
  rtmp_amf_value_set_string (info, "code", code);
  rtmp_amf_value_set_string (info, "description", desc);
  return info;
}

/* Client robustness: odd server commands, _error on connect, pings */
GST_START_TEST (test_client_odd_server)
{
  Peer c;
  Stream st;
  RtmpMessage m = { 0, };
  RtmpAmfValue *info;
  GPtrArray *msgs;
  guint pos = 0;
  RtmpControl ctl;
  GError *err = NULL;

  /* connect refused */
  client_after_handshake (&c);
  stream_init (&st, FALSE);
  info = rtmp_amf_value_new_object ();
  rtmp_amf_value_set_string (info, "level", "error");
  rtmp_amf_value_set_string (info, "code", "NetConnection.Connect.Rejected");
  rtmp_amf_value_set_string (info, "description",
      "[ AccessManager.Reject ] : [ code=403 need auth; authmod=adobe ]");
  stream_command (&st, 20, 0, "_error", 1, rtmp_amf_value_new_null (), info,
      NULL);
  peer_feed_ok (&c, st.bytes->data, st.bytes->len);
  fail_unless_equals_string (c.rejected_command, "connect");
  fail_unless_equals_string (c.rejected_code,
      "NetConnection.Connect.Rejected");
  fail_unless (strstr (c.rejected_description, "authmod=adobe") != NULL);
  fail_unless_equals_int (rtmp_session_get_state (c.s),
      RTMP_SESSION_STATE_REJECTED);
  stream_clear (&st);
  peer_clear (&c);

  /* createStream refused; pings, acks, odd commands, media from the server */
  client_after_handshake (&c);
  stream_init (&st, FALSE);
  rtmp_control_build_window_ack_size (100, &m);
  stream_control (&st, &m);
  rtmp_control_build_set_peer_bandwidth (100, 0, &m);
  stream_control (&st, &m);
  rtmp_control_build_user (RTMP_USER_PING_REQUEST, 42, &m);
  stream_control (&st, &m);
  rtmp_control_build_ack (1000, &m);
  stream_control (&st, &m);
  stream_command (&st, 20, 0, "_result", 0, rtmp_amf_value_new_null (), NULL);
  stream_command (&st, 20, 0, "_result", 1, rtmp_amf_value_new_null (), NULL);
  stream_command (&st, 20, 0, "onBWDone", 0, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_number (8192), NULL);
  {
    GByteArray *ba = g_byte_array_new ();
    rtmp_amf0_serialize_string (ba, "onFCPublish");
    stream_raw (&st, 20, 0, 0, ba->data, ba->len);
    g_byte_array_unref (ba);
  }
  stream_raw (&st, 9, 1, 0, (const guint8 *) "\x17", 1);
  stream_command (&st, 20, 0, "_result", 2, rtmp_amf_value_new_null (), NULL);
  stream_command (&st, 20, 0, "_error", 3, rtmp_amf_value_new_null (), NULL);
  stream_command (&st, 20, 0, "_error", 4, rtmp_amf_value_new_null (),
      make_status_for_test ("error", "NetStream.Failed", "no"), NULL);
  peer_feed_ok (&c, st.bytes->data, st.bytes->len);
  fail_unless_equals_int (c.n_connected, 1);
  fail_unless_equals_int (c.n_acks, 1);
  fail_unless_equals_string (c.rejected_command, "createStream");
  fail_unless_equals_string (c.rejected_code, "NetStream.Failed");
  msgs = parse_messages (c.out->data, c.out->len, RTMP_HANDSHAKE_TOTAL_SIZE);
  fail_unless (find_control (msgs, &pos, RTMP_MESSAGE_WINDOW_ACK_SIZE, -1,
          &ctl));
  fail_unless_equals_int (ctl.value, 100);
  fail_unless (find_control (msgs, &pos, RTMP_MESSAGE_USER_CONTROL,
          RTMP_USER_PING_RESPONSE, &ctl));
  fail_unless_equals_int (ctl.value, 42);
  pos = 0;
  fail_unless (find_control (msgs, &pos, RTMP_MESSAGE_ACKNOWLEDGEMENT, -1,
          &ctl));
  g_ptr_array_unref (msgs);
  stream_clear (&st);
  peer_clear (&c);

  /* createStream answered with a string: protocol error */
  client_after_handshake (&c);
  stream_init (&st, FALSE);
  stream_command (&st, 20, 0, "_result", 1, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_null (), NULL);
  stream_command (&st, 20, 0, "_result", 4, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_string ("1"), NULL);
  fail_if (peer_feed (&c, st.bytes->data, st.bytes->len, &err));
  fail_unless (g_error_matches (err, RTMP_ERROR, RTMP_ERROR_PROTOCOL));
  g_clear_error (&err);
  stream_clear (&st);
  peer_clear (&c);

  /* createStream answered with 0: protocol error */
  client_after_handshake (&c);
  stream_init (&st, FALSE);
  stream_command (&st, 20, 0, "_result", 1, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_null (), NULL);
  stream_command (&st, 20, 0, "_result", 4, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_number (0), NULL);
  fail_if (peer_feed (&c, st.bytes->data, st.bytes->len, &err));
  fail_unless (g_error_matches (err, RTMP_ERROR, RTMP_ERROR_PROTOCOL));
  g_clear_error (&err);
  stream_clear (&st);
  peer_clear (&c);

  /* publish refused with _error; then an error after publishing; close */
  client_after_handshake (&c);
  stream_init (&st, FALSE);
  stream_command (&st, 20, 0, "_result", 1, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_null (), NULL);
  stream_command (&st, 20, 0, "_result", 4, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_number (7), NULL);
  stream_command (&st, 20, 7, "onStatus", 0, rtmp_amf_value_new_null (),
      make_status_for_test ("status", "NetStream.Publish.Start", "go"), NULL);
  stream_command (&st, 20, 7, "onStatus", 0, rtmp_amf_value_new_null (),
      make_status_for_test ("error", "NetStream.Failed", "boom"), NULL);
  stream_command (&st, 20, 0, "close", 0, rtmp_amf_value_new_null (), NULL);
  peer_feed_ok (&c, st.bytes->data, st.bytes->len);
  fail_unless_equals_int (c.n_publish_started, 1);
  fail_unless_equals_string (c.error_code, "NetStream.Failed");
  fail_unless_equals_int (c.n_close_requested, 1);
  fail_unless_equals_int (rtmp_session_get_stream_id (c.s), 7);
  fail_unless_equals_int (rtmp_session_get_state (c.s),
      RTMP_SESSION_STATE_PUBLISHING);
  stream_clear (&st);
  peer_clear (&c);

  client_after_handshake (&c);
  stream_init (&st, FALSE);
  stream_command (&st, 20, 0, "_result", 1, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_null (), NULL);
  stream_command (&st, 20, 0, "_result", 4, rtmp_amf_value_new_null (),
      rtmp_amf_value_new_number (1), NULL);
  stream_command (&st, 20, 0, "_error", 5, rtmp_amf_value_new_null (),
      make_status_for_test ("error", "NetStream.Publish.Denied", "no"), NULL);
  peer_feed_ok (&c, st.bytes->data, st.bytes->len);
  fail_unless_equals_string (c.rejected_command, "publish");
  fail_unless_equals_string (c.rejected_code, "NetStream.Publish.Denied");
  stream_clear (&st);
  peer_clear (&c);
}

GST_END_TEST;

GST_START_TEST (test_client_api)
{
  RtmpSession *s = rtmp_session_new_client (NULL, NULL);
  GError *err = NULL;
  gsize consumed = 5;
  RtmpSessionEvent ev;
  RtmpMessage m = { 0, };

  /* fed before start */
  fail_if (rtmp_session_feed (s, (const guint8 *) "\x03", 1, &consumed,
          &err));
  fail_unless_equals_int (consumed, 0);
  fail_unless (g_error_matches (err, RTMP_ERROR, RTMP_ERROR_STATE));
  g_clear_error (&err);
  fail_if (rtmp_session_next_event (s, &ev));
  fail_unless_equals_int (ev.type, RTMP_SESSION_EVENT_NONE);
  fail_unless (rtmp_session_take_output (s) == NULL);
  /* nothing to unpublish */
  rtmp_session_client_unpublish (s);
  fail_if (rtmp_session_has_output (s));
  rtmp_session_free (s);
  rtmp_session_free (NULL);

  /* unsupported media type / oversized payload while publishing */
  {
    Peer c, sv;
    RtmpClientConfig cfg;
    GRand *rand = g_rand_new_with_seed (9);

    client_config (&cfg, "k");
    peer_init (&c, rtmp_session_new_client (NULL, &cfg));
    peer_init (&sv, rtmp_session_new_server (NULL, NULL));
    rtmp_session_client_start (c.s);
    pump (&c, &sv, PUMP_WHOLE, rand);
    fail_unless_equals_int (c.n_publish_started, 1);
    m.type = 20;
    fail_if (rtmp_session_send_media (c.s, &m, &err));
    fail_unless (g_error_matches (err, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED));
    g_clear_error (&err);
    m.type = 9;
    m.payload = gst_buffer_new_allocate (NULL, 0x1000000, NULL);
    fail_if (rtmp_session_send_media (c.s, &m, &err));
    fail_unless (g_error_matches (err, RTMP_ERROR, RTMP_ERROR_LIMIT));
    g_clear_error (&err);
    rtmp_message_clear (&m);
    peer_clear (&c);
    peer_clear (&sv);
    g_rand_free (rand);
  }

  /* names */
  for (gint i = RTMP_SESSION_STATE_NEW; i <= RTMP_SESSION_STATE_FAILED; i++)
    fail_if (g_str_equal (rtmp_session_state_get_name (i), "unknown"));
  fail_unless_equals_string (rtmp_session_state_get_name (99), "unknown");
  for (gint i = RTMP_SESSION_EVENT_NONE;
      i <= RTMP_SESSION_EVENT_CLOSE_REQUESTED; i++)
    fail_if (g_str_equal (rtmp_session_event_type_get_name (i), "unknown"));
  fail_unless_equals_string (rtmp_session_event_type_get_name (99),
      "unknown");
}

GST_END_TEST;

static Suite *
session_suite (void)
{
  Suite *s = suite_create ("session");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 300);
  tcase_add_loop_test (tc, test_server_replay_whole, 0, capture_runs ());
  tcase_add_loop_test (tc, test_server_replay_reads, 0, capture_runs ());
  tcase_add_test (tc, test_server_replay_bytes);
  tcase_add_test (tc, test_server_output);
  tcase_add_test (tc, test_server_badname);
  tcase_add_test (tc, test_server_blocks_on_publish);
  tcase_add_test (tc, test_server_variants);
  tcase_add_test (tc, test_server_ping_and_acks);
  tcase_add_test (tc, test_client_server_whole);
  tcase_add_test (tc, test_client_server_random);
  tcase_add_test (tc, test_client_server_bytes);
  tcase_add_test (tc, test_client_server_reject);
  tcase_add_test (tc, test_client_fixture_nginx);
  tcase_add_test (tc, test_client_fixture_ffmpegserver);
  tcase_add_test (tc, test_client_fixture_badname);
  tcase_add_test (tc, test_client_odd_server);
  tcase_add_test (tc, test_client_api);
  tcase_add_test (tc, test_hostile_publish_before_connect);
  tcase_add_test (tc, test_hostile_connect_types);
  tcase_add_test (tc, test_hostile_deep_nest);
  tcase_add_test (tc, test_hostile_names);
  tcase_add_test (tc, test_hostile_order);
  return s;
}

GST_CHECK_MAIN (session);
