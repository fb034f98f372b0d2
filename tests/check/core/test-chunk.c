/* Unit tests: chunk stream reader and writer.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "rtmp-chunk-reader.h"
#include "rtmp-chunk-writer.h"
#include "rtmp-control.h"
#include "rtmp-error.h"
#include "test-util.h"

#define HANDSHAKE_SIZE 3073

/* A message as received, with the fmt of its first chunk */
typedef struct
{
  RtmpMessage msg;
  guint8 fmt;
  guint32 chunk_size;           /* reader chunk size when it was returned */
} Got;

static void
got_clear (gpointer data)
{
  Got *g = data;

  rtmp_message_clear (&g->msg);
}

static GArray *
got_array_new (void)
{
  GArray *a = g_array_new (FALSE, TRUE, sizeof (Got));

  g_array_set_clear_func (a, got_clear);
  return a;
}

/* Feeds one piece; every piece must end in NEED_MORE with everything
 * consumed and no error. */
static void
feed_piece (RtmpChunkReader * reader, const guint8 * data, gsize size,
    GArray * out)
{
  gsize off = 0;

  for (;;) {
    GError *err = NULL;
    gsize consumed = 0;
    Got g = { {0}, 0, 0 };
    RtmpReadResult r = rtmp_chunk_reader_feed (reader, data + off,
        size - off, &consumed, &g.msg, &err);

    TEST_CHECK (consumed <= size - off, "consumed too much");
    off += consumed;
    if (r == RTMP_READ_NEED_MORE) {
      TEST_CHECK (off == size, "NEED_MORE with %" G_GSIZE_FORMAT " of %"
          G_GSIZE_FORMAT " bytes consumed", off, size);
      TEST_CHECK (err == NULL, "error set on NEED_MORE");
      return;
    }
    if (r == RTMP_READ_ERROR)
      fail ("unexpected error: %s", err ? err->message : "(none)");
    TEST_CHECK (r == RTMP_READ_MESSAGE, "bad result %d", r);
    g.fmt = rtmp_chunk_reader_get_last_fmt (reader);
    g.chunk_size = rtmp_chunk_reader_get_chunk_size (reader);
    g_array_append_val (out, g);
  }
}

/* Feeds @data cut at the sorted offsets @cuts (the last piece ends at
 * @size) into a fresh reader; the messages go to @out, emptied first (one
 * array for many feeds: fewer allocations under a memory checker). */
static void
feed_cuts_into (const RtmpLimits * limits, const guint8 * data, gsize size,
    const gsize * cuts, guint n_cuts, GArray * out)
{
  RtmpChunkReader *reader = rtmp_chunk_reader_new (limits);
  gsize prev = 0;

  g_array_set_size (out, 0);
  for (guint i = 0; i <= n_cuts; i++) {
    gsize end = i < n_cuts ? cuts[i] : size;

    TEST_CHECK (end >= prev && end <= size, "bad cut");
    feed_piece (reader, data + prev, end - prev, out);
    prev = end;
  }
  TEST_CHECK (rtmp_chunk_reader_get_bytes_read (reader) == size,
      "%" G_GUINT64_FORMAT " of %" G_GSIZE_FORMAT " bytes read",
      rtmp_chunk_reader_get_bytes_read (reader), size);
  TEST_CHECK (rtmp_chunk_reader_get_bytes_in_flight (reader) == 0,
      "%" G_GSIZE_FORMAT " bytes in flight",
      (gsize) rtmp_chunk_reader_get_bytes_in_flight (reader));
  rtmp_chunk_reader_free (reader);
}

static GArray *
feed_cuts (const RtmpLimits * limits, const guint8 * data, gsize size,
    const gsize * cuts, guint n_cuts)
{
  GArray *out = got_array_new ();

  feed_cuts_into (limits, data, size, cuts, n_cuts, out);
  return out;
}

static GArray *
feed_whole (const RtmpLimits * limits, const guint8 * data, gsize size)
{
  return feed_cuts (limits, data, size, NULL, 0);
}

/* Where to cut @data (a chunk stream from its first chunk, chunk size 128
 * until a Set Chunk Size in it) for a piece-by-piece feed or a split: every
 * position, or under a memory checker every position around the chunk
 * boundaries of test_util_chunk_bounds() (each header and the bytes on
 * either side of it, for the first and last two chunks of every message)
 * and every @stride-th position. The continuation chunks in between are
 * fmt-3 chunks of the same form and size as those around them, and the
 * stride, prime to every chunk period here (chunk size plus a header of 1
 * to 7 bytes), ends pieces at every offset within such chunks over a long
 * message (after period x stride bytes: 8 KB at chunk size 128). */
static GArray *
chunk_cuts (const guint8 * data, gsize size, gsize stride)
{
  GArray *bounds = g_array_new (FALSE, FALSE, sizeof (gsize));
  GArray *cuts;

  /* walked in any case: the walk must understand the whole stream */
  fail_unless_equals_uint64 (test_util_chunk_bounds (data, size, 0, 128, 2,
          bounds), size);
  cuts = test_util_cut_positions (size, bounds, stride,
      !test_util_under_checker ());
  g_array_unref (bounds);
  return cuts;
}

/* Byte by byte (see chunk_cuts) */
static GArray *
feed_bytewise (const RtmpLimits * limits, const guint8 * data, gsize size)
{
  GArray *cuts = chunk_cuts (data, size, 61);
  GArray *out = feed_cuts (limits, data, size, (gsize *) cuts->data,
      cuts->len);

  g_array_unref (cuts);
  return out;
}

static void
check_payload (GstBuffer * got, GstBuffer * expect)
{
  gsize size = expect ? gst_buffer_get_size (expect) : 0;

  TEST_CHECK (got != NULL, "no payload");
  TEST_CHECK (gst_buffer_get_size (got) == size, "payload size %" G_GSIZE_FORMAT
      " != %" G_GSIZE_FORMAT, gst_buffer_get_size (got), size);
  if (size > 0) {
    GstMapInfo map;

    TEST_CHECK (gst_buffer_map (expect, &map, GST_MAP_READ), "map");
    TEST_CHECK (gst_buffer_memcmp (got, 0, map.data, map.size) == 0,
        "payload differs");
    gst_buffer_unmap (expect, &map);
  }
}

/* @expect: array of RtmpMessage */
static void
check_messages (GArray * got, GArray * expect)
{
  TEST_CHECK (got->len == expect->len, "%u messages, expected %u", got->len,
      expect->len);
  for (guint i = 0; i < got->len; i++) {
    RtmpMessage *g = &g_array_index (got, Got, i).msg;
    RtmpMessage *e = &g_array_index (expect, RtmpMessage, i);

    TEST_CHECK (g->type == e->type && g->csid == e->csid && g->msid == e->msid
        && g->timestamp == e->timestamp, "message %u: got type %u csid %u "
        "msid %u ts %u, expected type %u csid %u msid %u ts %u", i, g->type,
        g->csid, g->msid, g->timestamp, e->type, e->csid, e->msid,
        e->timestamp);
    check_payload (g->payload, e->payload);
  }
}

/* One feed of @data cut at @cuts (see feed_cuts_into), checked */
static void
check_feed (const RtmpLimits * limits, const guint8 * data, gsize size,
    const gsize * cuts, guint n_cuts, GArray * expect, GArray * got)
{
  feed_cuts_into (limits, data, size, cuts, n_cuts, got);
  check_messages (got, expect);
}

/* The first and last few positions of a big stream, and some in between,
 * sorted */
static GArray *
sample_cuts (gsize size, guint samples)
{
  GArray *cuts = g_array_new (FALSE, FALSE, sizeof (gsize));
  GRand *rand = g_rand_new_with_seed ((guint32) size);

  for (guint i = 0; i < 3 * samples; i++) {
    gsize at;

    if (i < samples)
      at = i;
    else if (i < 2 * samples)
      at = size - (i - samples);
    else
      at = g_rand_int_range (rand, 0, (gint32) MIN (size, G_MAXINT32));
    g_array_append_val (cuts, at);
  }
  g_rand_free (rand);
  g_array_sort (cuts, test_util_compare_gsize);
  return cuts;
}

/* Feeds whole, byte by byte, split at every position (or, for big
 * streams, at a sample of positions) and checks every result. Under a
 * memory checker, "every position" is every position of chunk_cuts(), and
 * the sample of a big stream is cut in one feed at all its positions, not
 * in one feed per position: a feed that has just read a long piece up to a
 * cut is in the same state, whatever cuts came before, and feeding a big
 * stream six times over is the bulk of this test under a checker. */
static void
check_all_feeds (const RtmpLimits * limits, const guint8 * data, gsize size,
    GArray * expect, gboolean bytewise, guint samples)
{
  GArray *got = got_array_new (), *cuts;

  check_feed (limits, data, size, NULL, 0, expect, got);
  if (bytewise) {
    cuts = chunk_cuts (data, size, 61);
    check_feed (limits, data, size, (gsize *) cuts->data, cuts->len, expect,
        got);
    g_array_unref (cuts);
  }

  cuts = size <= 4096 ? chunk_cuts (data, size, 61) : sample_cuts (size,
      samples);
  if (size > 4096 && test_util_under_checker ()) {
    check_feed (limits, data, size, (gsize *) cuts->data, cuts->len, expect,
        got);
  } else {
    for (guint i = 0; i < cuts->len; i++)
      check_feed (limits, data, size, &g_array_index (cuts, gsize, i), 1,
          expect, got);
  }
  g_array_unref (cuts);
  g_array_unref (got);
}

/* Writes @msgs (array of RtmpMessage) into one byte array, applying
 * @chunk_size after a Set Chunk Size message that is put first (and
 * added to @msgs as expected message 0). Alternates between the buffer
 * and the buffer-list writer. */
static GBytes *
write_stream (GArray * msgs, guint32 chunk_size, gboolean use_list)
{
  RtmpChunkWriter *writer = rtmp_chunk_writer_new ();
  GByteArray *out;
  gsize estimate = 0;

  /* room for the payloads and up to 18 header bytes per chunk: no copying
   * of a growing array of megabytes */
  for (guint i = 0; i < msgs->len; i++) {
    gsize n = rtmp_message_get_size (&g_array_index (msgs, RtmpMessage, i));

    estimate += n + (n / chunk_size + 1) * 18;
  }
  out = g_byte_array_sized_new (MIN (estimate, G_MAXUINT));
  for (guint i = 0; i < msgs->len; i++) {
    RtmpMessage *m = &g_array_index (msgs, RtmpMessage, i);

    if (use_list) {
      GstBufferList *list = gst_buffer_list_new ();

      rtmp_chunk_writer_write_list (writer, m, list);
      for (guint j = 0; j < gst_buffer_list_length (list); j++) {
        GstBuffer *b = gst_buffer_list_get (list, j);
        GstMapInfo map;

        fail_unless (gst_buffer_map (b, &map, GST_MAP_READ));
        g_byte_array_append (out, map.data, map.size);
        gst_buffer_unmap (b, &map);
      }
      gst_buffer_list_unref (list);
    } else {
      GstBuffer *b = gst_buffer_new ();
      GstMapInfo map;

      rtmp_chunk_writer_write (writer, m, b);
      fail_unless (gst_buffer_n_memory (b) <= gst_buffer_get_max_memory ());
      fail_unless (gst_buffer_map (b, &map, GST_MAP_READ));
      g_byte_array_append (out, map.data, map.size);
      gst_buffer_unmap (b, &map);
      gst_buffer_unref (b);
    }
    if (m->type == RTMP_MESSAGE_SET_CHUNK_SIZE)
      rtmp_chunk_writer_set_chunk_size (writer, chunk_size);
  }
  fail_unless_equals_uint64 (rtmp_chunk_writer_get_bytes_written (writer),
      out->len);
  rtmp_chunk_writer_free (writer);
  return g_byte_array_free_to_bytes (out);
}

static GArray *
msg_array_new (void)
{
  GArray *a = g_array_new (FALSE, TRUE, sizeof (RtmpMessage));

  g_array_set_clear_func (a, (GDestroyNotify) rtmp_message_clear);
  return a;
}

static GstBuffer *
pattern_buffer (gsize size, guint seed)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (gsize i = 0; i < size; i++)
    map.data[i] = (guint8) ((i * 31 + seed * 7 + (i >> 8)) & 0xFF);
  gst_buffer_unmap (buf, &map);
  return buf;
}

/* Appends a message with @payload (taken) */
static void
add_msg_payload (GArray * msgs, guint32 csid, guint8 type, guint32 msid,
    guint32 ts, GstBuffer * payload)
{
  RtmpMessage m = { 0 };

  m.csid = csid;
  m.type = type;
  m.msid = msid;
  m.timestamp = ts;
  m.payload = payload;
  g_array_append_val (msgs, m);
}

static void
add_msg (GArray * msgs, guint32 csid, guint8 type, guint32 msid,
    guint32 ts, gsize size)
{
  add_msg_payload (msgs, csid, type, msid, ts, pattern_buffer (size,
          msgs->len));
}

static void
add_set_chunk_size (GArray * msgs, guint32 size)
{
  RtmpMessage m = { 0 };

  rtmp_control_build_set_chunk_size (size, &m);
  g_array_append_val (msgs, m);
}

static const guint32 csids[] = { 2, 63, 64, 319, 320, 65599 };
static const guint32 chunk_sizes[] = { 1, 128, 4096, 65536, 0x7FFFFFFF };

/* A sequence that makes the writer use every header type with payloads
 * around the chunk size and timestamps around the extended boundary. */
static GArray *
build_sequence (guint32 csid, guint32 chunk_size)
{
  GArray *msgs = msg_array_new ();
  gint64 sizes[] = { 0, (gint64) chunk_size - 1, chunk_size,
    (gint64) chunk_size + 1, 7
  };
  static const guint32 stamps[] = { 0, 0xFFFFFE, 0xFFFFFF, 0x1000000,
    0x2000000, 0x3000000, 0xFFFFFFF0, 0x10
  };

  add_set_chunk_size (msgs, chunk_size);
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
    guint32 ts = 1000 * i;

    if (sizes[i] < 0 || sizes[i] > 70000)
      continue;
    /* fmt 0 (or 1), 2, 3, 3 */
    for (guint k = 0; k < 4; k++)
      add_msg (msgs, csid, RTMP_MESSAGE_VIDEO, 1, ts + 40 * k, sizes[i]);
    /* another csid in between */
    add_msg (msgs, csid == 3 ? 4 : 3, RTMP_MESSAGE_COMMAND_AMF0, 0, ts, 20);
  }
  /* extended timestamps: absolute and delta, fmt 3 new messages after an
   * extended delta, wrap-around (going backwards = fmt 0) */
  for (guint i = 0; i < G_N_ELEMENTS (stamps); i++)
    add_msg (msgs, csid, RTMP_MESSAGE_AUDIO, 1, stamps[i],
        MIN (300, chunk_size + 1));
  /* msid change */
  add_msg (msgs, csid, RTMP_MESSAGE_AUDIO, 2, 0x20, 10);
  add_msg (msgs, csid, RTMP_MESSAGE_DATA_AMF0, 2, 0x20, 0);
  return msgs;
}

GST_START_TEST (round_trip_table)
{
  RtmpLimits limits;

  rtmp_limits_init (&limits);
  for (guint c = 0; c < G_N_ELEMENTS (csids); c++) {
    for (guint s = 0; s < G_N_ELEMENTS (chunk_sizes); s++) {
      GArray *msgs = build_sequence (csids[c], chunk_sizes[s]);
      GBytes *bytes = write_stream (msgs, chunk_sizes[s], (c + s) % 2);
      gsize size;
      const guint8 *data = g_bytes_get_data (bytes, &size);

      GST_INFO ("csid %u chunk size %u: %u messages, %" G_GSIZE_FORMAT
          " bytes", csids[c], chunk_sizes[s], msgs->len, size);
      check_all_feeds (&limits, data, size, msgs, size < 300000, 16);
      g_bytes_unref (bytes);
      g_array_unref (msgs);
    }
  }
}

GST_END_TEST;

GST_START_TEST (round_trip_large)
{
  RtmpLimits limits;
  /* the same two payloads in every configuration (1 MiB, or 256 KiB),
   * made once */
  GstBuffer *payloads[2][2] = { {NULL, NULL}, {NULL, NULL} };

  rtmp_limits_init (&limits);
  for (guint c = 0; c < G_N_ELEMENTS (csids); c++) {
    for (guint s = 0; s < G_N_ELEMENTS (chunk_sizes); s++) {
      GArray *msgs = msg_array_new ();
      GBytes *bytes;
      gsize size, large = 1024 * 1024;
      const guint8 *data;
      GstBuffer **payload;

      /* With 1-byte chunks, each payload byte is a chunk of its own (5-7
       * header bytes, a writer memory, a reader header step): under a
       * memory checker, 256 KiB there: still three payload blocks of the
       * reader (64, 128 and 64 KiB) and far more chunks than a buffer
       * holds memories; the larger blocks of a 1 MiB message (256 and
       * 512 KiB) are the same doubling, met at the other chunk sizes. */
      if (chunk_sizes[s] == 1 && test_util_under_checker ())
        large = 256 * 1024;
      payload = payloads[large == 1024 * 1024 ? 0 : 1];
      if (payload[0] == NULL) {
        /* what add_msg() makes for messages 1 and 2 */
        payload[0] = pattern_buffer (large, 1);
        payload[1] = pattern_buffer (large + 1, 2);
      }
      add_set_chunk_size (msgs, chunk_sizes[s]);
      add_msg_payload (msgs, csids[c], RTMP_MESSAGE_VIDEO, 1, 5,
          gst_buffer_ref (payload[0]));
      /* extended delta; the 1-byte chunk case only on some csids (each
       * chunk costs 5-7 header bytes) */
      if (chunk_sizes[s] > 1 || c % 3 == 0)
        add_msg_payload (msgs, csids[c], RTMP_MESSAGE_VIDEO, 1, 0x1000005,
            gst_buffer_ref (payload[1]));
      bytes = write_stream (msgs, chunk_sizes[s], c % 2);
      data = g_bytes_get_data (bytes, &size);
      check_all_feeds (&limits, data, size, msgs, chunk_sizes[s] > 1
          || c == 0, 2);
      g_bytes_unref (bytes);
      g_array_unref (msgs);
    }
  }
  for (guint k = 0; k < 2; k++) {
    for (guint i = 0; i < 2; i++)
      gst_clear_buffer (&payloads[k][i]);
  }
}

GST_END_TEST;

/* The reader assembles a big message in a few growing blocks */
GST_START_TEST (reader_payload_blocks)
{
  RtmpLimits limits;
  GArray *msgs = msg_array_new ();
  GBytes *bytes;
  gsize size;
  const guint8 *data;
  GArray *got;
  GstBuffer *p;

  rtmp_limits_init (&limits);
  add_set_chunk_size (msgs, 4096);
  add_msg (msgs, 6, RTMP_MESSAGE_VIDEO, 1, 0, 1024 * 1024);
  bytes = write_stream (msgs, 4096, TRUE);
  data = g_bytes_get_data (bytes, &size);
  got = feed_whole (&limits, data, size);
  check_messages (got, msgs);
  p = g_array_index (got, Got, 1).msg.payload;
  /* 64 + 128 + 256 + 512 + 64 KiB */
  fail_unless_equals_int (gst_buffer_n_memory (p), 5);
  fail_unless_equals_uint64 (gst_buffer_get_sizes_range (p, 0, 1, NULL,
          NULL), 65536);
  fail_unless_equals_uint64 (gst_buffer_get_sizes_range (p, 3, 1, NULL,
          NULL), 512 * 1024);
  g_array_unref (got);
  g_bytes_unref (bytes);
  g_array_unref (msgs);
}

GST_END_TEST;

static GArray *
read_hex_ok (const gchar * hex, guint32 chunk_size)
{
  RtmpLimits limits;
  GBytes *bytes = test_util_hex (hex);
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  RtmpChunkReader *reader;
  GArray *ref, *got;

  rtmp_limits_init (&limits);
  reader = rtmp_chunk_reader_new (&limits);
  if (chunk_size)
    rtmp_chunk_reader_set_chunk_size (reader, chunk_size);
  ref = got_array_new ();
  feed_piece (reader, data, size, ref);
  rtmp_chunk_reader_free (reader);

  /* byte by byte and every split give the same */
  for (gsize at = 0; at <= size + 1; at++) {
    reader = rtmp_chunk_reader_new (&limits);
    if (chunk_size)
      rtmp_chunk_reader_set_chunk_size (reader, chunk_size);
    got = got_array_new ();
    if (at == size + 1) {
      for (gsize i = 0; i < size; i++)
        feed_piece (reader, data + i, 1, got);
    } else {
      feed_piece (reader, data, at, got);
      feed_piece (reader, data + at, size - at, got);
    }
    fail_unless_equals_int (got->len, ref->len);
    for (guint i = 0; i < got->len; i++) {
      Got *a = &g_array_index (got, Got, i), *b = &g_array_index (ref, Got, i);

      fail_unless_equals_int (a->msg.type, b->msg.type);
      fail_unless_equals_int (a->msg.csid, b->msg.csid);
      fail_unless_equals_uint64 (a->msg.timestamp, b->msg.timestamp);
      fail_unless_equals_int (a->fmt, b->fmt);
      check_payload (a->msg.payload, b->msg.payload);
    }
    g_array_unref (got);
    rtmp_chunk_reader_free (reader);
  }
  g_bytes_unref (bytes);
  return ref;
}

#define GOT(a, i) (&g_array_index (a, Got, i))

static void
check_got (GArray * a, guint i, guint8 fmt, guint32 csid, guint32 ts,
    guint8 type, guint32 msid, const gchar * payload_hex)
{
  Got *g;
  GBytes *p = test_util_hex (payload_hex);

  fail_unless (i < a->len, "only %u messages", a->len);
  g = GOT (a, i);
  fail_unless_equals_int (g->fmt, fmt);
  fail_unless_equals_int (g->msg.csid, csid);
  fail_unless_equals_uint64 (g->msg.timestamp, ts);
  fail_unless_equals_int (g->msg.type, type);
  fail_unless_equals_int (g->msg.msid, msid);
  fail_unless (g->msg.payload != NULL);
  fail_unless_equals_uint64 (gst_buffer_get_size (g->msg.payload),
      g_bytes_get_size (p));
  if (g_bytes_get_size (p) > 0)
    fail_unless (test_util_buffer_equal (g->msg.payload, g_bytes_get_data (p,
                NULL), g_bytes_get_size (p)));
  g_bytes_unref (p);
}

GST_START_TEST (reader_basic_header_forms)
{
  /* csid 100 in the 2-byte form, then in the 3-byte form (both legal for
   * 64..319, spec 5.3.1.1), then csid 65599 and csid 63 */
  GArray *a = read_hex_ok ("00 24 000010 000002 09 01000000 aabb"
      "41 24 00 000005 000001 08 cc"
      "01 ff ff 000001 000001 12 05000000 dd"
      "3f 000007 000000 14 00000000", 0);

  fail_unless_equals_int (a->len, 4);
  check_got (a, 0, 0, 100, 16, 9, 1, "aabb");
  check_got (a, 1, 1, 100, 21, 8, 1, "cc");
  check_got (a, 2, 0, 65599, 1, 18, 5, "dd");
  check_got (a, 3, 0, 63, 7, 20, 0, "");
  g_array_unref (a);
}

GST_END_TEST;

GST_START_TEST (reader_fmt3_new_message)
{
  /* fmt 3 as a new message after fmt 0 (spec: delta = fmt-0 timestamp,
   * so T then 2T), after fmt 2 (delta repeated), and as a zero-length
   * message */
  GArray *a = read_hex_ok ("04 000064 000001 08 01000000 11"
      "c4 22" "84 00000a 33" "c4 44"
      "05 000005 000000 08 01000000" "c5", 0);

  fail_unless_equals_int (a->len, 6);
  check_got (a, 0, 0, 4, 100, 8, 1, "11");
  check_got (a, 1, 3, 4, 200, 8, 1, "22");
  check_got (a, 2, 2, 4, 210, 8, 1, "33");
  check_got (a, 3, 3, 4, 220, 8, 1, "44");
  check_got (a, 4, 0, 5, 5, 8, 1, "");
  check_got (a, 5, 3, 5, 10, 8, 1, "");
  g_array_unref (a);
}

GST_END_TEST;

GST_START_TEST (reader_extended_timestamps)
{
  GArray *a;
  GString *s = g_string_new (NULL);

  /* fmt 0 extended absolute, fmt 1 extended negative delta as librtmp
   * sends it (0xFFFFFFAB = -85, librtmp_extts), fmt 2 delta wrapping
   * past 2^32 */
  a = read_hex_ok ("04 ffffff 000001 09 01000000 01000010 aa"
      "44 ffffff 000001 09 ffffffab bb"
      "06 ffffff 000001 09 01000000 fffffff0 cc" "86 000020 dd", 0);
  check_got (a, 0, 0, 4, 0x1000010, 9, 1, "aa");
  check_got (a, 1, 1, 4, 0x1000010 - 85, 9, 1, "bb");
  check_got (a, 2, 0, 6, 0xFFFFFFF0, 9, 1, "cc");
  check_got (a, 3, 2, 6, 0x10, 9, 1, "dd");
  g_array_unref (a);

  /* chunk size 2: fmt 3 continuations repeating the extended value
   * (ffmpeg, librtmp), then a fmt-3 new message repeating it, then the
   * same without repetition (nginx with publish_time_fix off) */
  a = read_hex_ok ("04 ffffff 000005 09 01000000 01000000 0102"
      "c4 01000000 0304" "c4 01000000 05"
      "c4 01000000 0a0b" "c4 01000000 0c0d" "c4 01000000 0e", 2);
  fail_unless_equals_int (a->len, 2);
  check_got (a, 0, 0, 4, 0x1000000, 9, 1, "0102030405");
  check_got (a, 1, 3, 4, 0x2000000, 9, 1, "0a0b0c0d0e");
  g_array_unref (a);

  /* not repeated: the payload bytes happen to start like the value
   * (01 00), and the last continuation carries fewer than 4 bytes so the
   * peeked bytes run into the next chunk's header */
  a = read_hex_ok ("04 ffffff 000005 09 01000000 01000000 0102"
      "c4 0100" "c4 01" "00 05 000000 000002 14 00000000 abcd", 2);
  fail_unless_equals_int (a->len, 2);
  check_got (a, 0, 0, 4, 0x1000000, 9, 1, "0102010001");
  check_got (a, 1, 0, 69, 0, 20, 0, "abcd");
  g_array_unref (a);

  /* fmt 3 new message without repetition, chunk size 128 */
  g_string_append (s, "04 000001 000003 08 01000000 112233"
      "84 ffffff 01000000 445566" "c4 778899" "c4 aabbcc");
  a = read_hex_ok (s->str, 0);
  fail_unless_equals_int (a->len, 4);
  check_got (a, 1, 2, 4, 0x1000001, 8, 1, "445566");
  check_got (a, 2, 3, 4, 0x2000001, 8, 1, "778899");
  check_got (a, 3, 3, 4, 0x3000001, 8, 1, "aabbcc");
  g_array_unref (a);
  g_string_free (s, TRUE);
}

GST_END_TEST;

GST_START_TEST (reader_interleaved)
{
  /* chunk size 2: csid 4 and 6 interleaved chunk by chunk */
  GArray *a = read_hex_ok ("04 000001 000005 09 01000000 0102"
      "06 000002 000003 08 01000000 a1a2" "c4 0304" "c6 a3" "c4 05", 2);

  fail_unless_equals_int (a->len, 2);
  check_got (a, 0, 0, 6, 2, 8, 1, "a1a2a3");
  check_got (a, 1, 0, 4, 1, 9, 1, "0102030405");
  g_array_unref (a);
}

GST_END_TEST;

GST_START_TEST (reader_set_chunk_size)
{
  GArray *a;
  RtmpLimits limits;
  RtmpChunkReader *r;

  /* Set Chunk Size applies from the next chunk on; a size above
   * max-chunk-size is clamped */
  a = read_hex_ok ("02 000000 000004 01 00000000 00000003"
      "04 000000 000005 09 01000000 010203" "c4 0405"
      "02 000000 000004 01 00000000 7fffff" "c2 ff"
      "04 000000 000005 09 01000000 0102030405", 0);
  fail_unless_equals_int (a->len, 4);
  fail_unless_equals_int (GOT (a, 0)->chunk_size, 3);
  check_got (a, 1, 0, 4, 0, 9, 1, "0102030405");
  fail_unless_equals_int (GOT (a, 2)->chunk_size, 0xFFFFFF);
  check_got (a, 3, 0, 4, 0, 9, 1, "0102030405");
  g_array_unref (a);

  rtmp_limits_init (&limits);
  limits.max_chunk_size = 4096;
  r = rtmp_chunk_reader_new (&limits);
  fail_unless_equals_int (rtmp_chunk_reader_get_chunk_size (r), 128);
  rtmp_chunk_reader_set_chunk_size (r, 100000);
  fail_unless_equals_int (rtmp_chunk_reader_get_chunk_size (r), 4096);
  rtmp_chunk_reader_free (r);
}

GST_END_TEST;

GST_START_TEST (reader_abort)
{
  GArray *a;
  RtmpLimits limits;
  RtmpChunkReader *r;
  GBytes *b;
  gsize consumed;
  RtmpMessage m = { 0 };
  GError *err = NULL;

  /* Abort for a csid we never saw: harmless; Abort mid-message discards
   * the partial message; the csid then starts a new one with another
   * length */
  a = read_hex_ok ("02 000000 000004 02 00000000 0000" "c2 0009"
      "04 000000 000005 09 01000000 0102"
      "02 000000 000004 02 00000000 0000" "c2 0004"
      "04 000007 000003 08 01000000 0a0b" "c4 0c", 2);
  fail_unless_equals_int (a->len, 3);
  check_got (a, 0, 0, 2, 0, 2, 0, "00000009");
  check_got (a, 1, 0, 2, 0, 2, 0, "00000004");
  check_got (a, 2, 0, 4, 7, 8, 1, "0a0b0c");
  g_array_unref (a);

  /* the in-flight count goes back to 0 */
  rtmp_limits_init (&limits);
  r = rtmp_chunk_reader_new (&limits);
  {
    gchar *z = g_strnfill (256, '0');
    gchar *h = g_strconcat ("04 000000 000100 09 01000000", z, NULL);

    b = test_util_hex (h);
    g_free (h);
    g_free (z);
  }
  fail_unless_equals_int (rtmp_chunk_reader_feed (r, g_bytes_get_data (b,
              NULL), g_bytes_get_size (b), &consumed, &m, &err),
      RTMP_READ_NEED_MORE);
  fail_unless_equals_uint64 (rtmp_chunk_reader_get_bytes_in_flight (r), 256);
  g_bytes_unref (b);
  b = test_util_hex ("02 000000 000004 02 00000000 00000004");
  fail_unless_equals_int (rtmp_chunk_reader_feed (r, g_bytes_get_data (b,
              NULL), g_bytes_get_size (b), &consumed, &m, &err),
      RTMP_READ_MESSAGE);
  rtmp_message_clear (&m);
  fail_unless_equals_uint64 (rtmp_chunk_reader_get_bytes_in_flight (r), 0);
  g_bytes_unref (b);
  rtmp_chunk_reader_free (r);
}

GST_END_TEST;

/* Feeds @data (whole, then byte by byte) and expects @code, with @what in
 * the message when not NULL. */
static void
expect_error_data (const RtmpLimits * limits, const guint8 * data,
    gsize size, gint code, const gchar * what)
{
  for (guint mode = 0; mode < 2; mode++) {
    RtmpChunkReader *r = rtmp_chunk_reader_new (limits);
    GError *err = NULL;
    gsize off = 0, step = mode == 0 ? size : 1;
    RtmpReadResult res = RTMP_READ_NEED_MORE;
    gsize consumed;
    RtmpMessage m = { 0 };

    while (off < size) {
      consumed = 0;
      res = rtmp_chunk_reader_feed (r, data + off, MIN (step, size - off),
          &consumed, &m, &err);
      rtmp_message_clear (&m);
      if (res == RTMP_READ_ERROR)
        break;
      off += consumed;
    }
    fail_unless_equals_int (res, RTMP_READ_ERROR);
    fail_unless (g_error_matches (err, RTMP_ERROR, code), "got %s",
        err ? err->message : "no error");
    if (what)
      fail_unless (strstr (err->message, what) != NULL, "'%s' not in '%s'",
          what, err->message);
    GST_INFO ("expected error: %s", err->message);
    g_clear_error (&err);

    /* stays failed */
    fail_unless_equals_int (rtmp_chunk_reader_feed (r, data, size,
            &consumed, &m, &err), RTMP_READ_ERROR);
    fail_unless (g_error_matches (err, RTMP_ERROR, RTMP_ERROR_STATE));
    g_clear_error (&err);
    rtmp_chunk_reader_free (r);
  }
}

static void
expect_error (const RtmpLimits * limits, const gchar * hex, gint code,
    const gchar * what)
{
  GBytes *b = test_util_hex (hex);

  expect_error_data (limits, g_bytes_get_data (b, NULL), g_bytes_get_size (b),
      code, what);
  g_bytes_unref (b);
}

GST_START_TEST (reader_malformed)
{
  RtmpLimits limits;
  gchar *zeros = g_strnfill (256, '0');
  gchar *hex;

  rtmp_limits_init (&limits);
  /* fmt 1/2/3 with no previous header */
  expect_error (&limits, "c4 00", RTMP_ERROR_PROTOCOL, "no previous header");
  expect_error (&limits, "44 000000 000001 09 00", RTMP_ERROR_PROTOCOL,
      "no previous header");
  expect_error (&limits, "04 000000 000001 09 01000000 00" "85 000001",
      RTMP_ERROR_PROTOCOL, "no previous header");
  /* Set Chunk Size 0, 0x80000000, too short; Abort too short */
  expect_error (&limits, "02 000000 000004 01 00000000 00000000",
      RTMP_ERROR_PROTOCOL, "Set Chunk Size");
  expect_error (&limits, "02 000000 000004 01 00000000 80000000",
      RTMP_ERROR_PROTOCOL, "Set Chunk Size");
  expect_error (&limits, "02 000000 000002 01 00000000 0001",
      RTMP_ERROR_PROTOCOL, "too short");
  expect_error (&limits, "02 000000 000003 02 00000000 000001",
      RTMP_ERROR_PROTOCOL, "too short");
  expect_error (&limits, "02 000000 000000 01 00000000",
      RTMP_ERROR_PROTOCOL, "too short");

  /* message length / type / msid changed mid-message (200 bytes, chunk
   * size 128) */
  hex = g_strconcat ("04 000000 0000c8 09 01000000", zeros,
      "44 000000 00012c 09", NULL);
  expect_error (&limits, hex, RTMP_ERROR_PROTOCOL, "changed");
  g_free (hex);
  hex = g_strconcat ("04 000000 0000c8 09 01000000", zeros,
      "04 000000 0000c9 09 01000000", NULL);
  expect_error (&limits, hex, RTMP_ERROR_PROTOCOL, "changed");
  g_free (hex);
  hex = g_strconcat ("04 000000 0000c8 09 01000000", zeros,
      "04 000000 0000c8 09 02000000", NULL);
  expect_error (&limits, hex, RTMP_ERROR_PROTOCOL, "changed");
  g_free (hex);
  /* ... but an identical header is a continuation */
  {
    GArray *a;

    hex = g_strconcat ("04 000000 000081 09 01000000", zeros,
        "44 000000 000081 09 ab", NULL);
    a = read_hex_ok (hex, 0);
    fail_unless_equals_int (a->len, 1);
    fail_unless_equals_uint64 (gst_buffer_get_size (GOT (a, 0)->msg.payload),
        129);
    g_array_unref (a);
    g_free (hex);
  }

  g_free (zeros);
}

GST_END_TEST;

GST_START_TEST (reader_limits)
{
  RtmpLimits limits;
  GString *s;
  RtmpChunkReader *r;
  GByteArray *big;
  GBytes *b;

  /* max-message-size, at the first header */
  rtmp_limits_init (&limits);
  limits.max_message_size = 1000;
  expect_error (&limits, "04 000000 0003e9 09 01000000", RTMP_ERROR_LIMIT,
      "max-message-size");

  /* Set Chunk Size below min-chunk-size */
  rtmp_limits_init (&limits);
  limits.min_chunk_size = 128;
  expect_error (&limits, "02 000000 000004 01 00000000 00000040",
      RTMP_ERROR_LIMIT, "min-chunk-size");

  /* csid flood: 65 csids with a partial message each (chunk size 1) */
  rtmp_limits_init (&limits);
  s = g_string_new ("02 000000 000004 01 00000000 00000001");
  for (guint csid = 3; csid < 3 + 65; csid++) {
    if (csid < 64)
      g_string_append_printf (s, "%02x", csid);
    else
      g_string_append_printf (s, "00%02x", csid - 64);
    g_string_append (s, "000000 000002 09 01000000 00");
  }
  expect_error (&limits, s->str, RTMP_ERROR_LIMIT, "max-chunk-streams");
  g_string_free (s, TRUE);

  /* 16 MB declared on many csids with 1-byte bodies: 64 KiB each */
  s = g_string_new ("02 000000 000004 01 00000000 00000001");
  for (guint csid = 3; csid < 3 + 63; csid++) {
    if (csid < 64)
      g_string_append_printf (s, "%02x", csid);
    else
      g_string_append_printf (s, "00%02x", csid - 64);
    g_string_append (s, "000000 ffffff 09 01000000 00");
  }
  b = test_util_hex (s->str);
  rtmp_limits_init (&limits);
  r = rtmp_chunk_reader_new (&limits);
  {
    GArray *a = got_array_new ();

    feed_piece (r, g_bytes_get_data (b, NULL), g_bytes_get_size (b), a);
    fail_unless_equals_int (a->len, 1);   /* the Set Chunk Size */
    fail_unless_equals_uint64 (rtmp_chunk_reader_get_bytes_in_flight (r),
        63 * 65536);
    g_array_unref (a);
  }
  rtmp_chunk_reader_free (r);
  limits.max_bytes_in_flight = 16 * 65536 + 100;
  expect_error_data (&limits, g_bytes_get_data (b, NULL),
      g_bytes_get_size (b), RTMP_ERROR_LIMIT, "max-bytes-in-flight");
  g_bytes_unref (b);
  g_string_free (s, TRUE);

  /* in-flight limit hit while a message grows */
  rtmp_limits_init (&limits);
  limits.max_bytes_in_flight = 100000;
  big = g_byte_array_new ();
  b = test_util_hex ("02 000000 000004 01 00000000 00030000"
      "04 000000 030000 09 01000000");
  g_byte_array_append (big, g_bytes_get_data (b, NULL), g_bytes_get_size (b));
  g_bytes_unref (b);
  g_byte_array_set_size (big, big->len + 65537);
  expect_error_data (&limits, big->data, big->len, RTMP_ERROR_LIMIT,
      "max-bytes-in-flight");
  g_byte_array_unref (big);
}

GST_END_TEST;

/* ---- writer ---- */

static GBytes *
write_one (RtmpChunkWriter * w, guint32 csid, guint8 type, guint32 msid,
    guint32 ts, gsize size, GstBuffer ** out_buf)
{
  RtmpMessage m = { 0 };
  GstBuffer *out = gst_buffer_new ();
  GBytes *bytes;
  GstMapInfo map;

  m.csid = csid;
  m.type = type;
  m.msid = msid;
  m.timestamp = ts;
  m.payload = size ? pattern_buffer (size, 0) : NULL;
  rtmp_chunk_writer_write (w, &m, out);
  gst_buffer_map (out, &map, GST_MAP_READ);
  bytes = g_bytes_new (map.data, map.size);
  gst_buffer_unmap (out, &map);
  if (out_buf)
    *out_buf = out;
  else
    gst_buffer_unref (out);
  rtmp_message_clear (&m);
  return bytes;
}

static void
check_header (GBytes * bytes, const gchar * hex)
{
  GBytes *e = test_util_hex (hex);

  fail_unless (g_bytes_get_size (bytes) >= g_bytes_get_size (e));
  fail_unless (memcmp (g_bytes_get_data (bytes, NULL), g_bytes_get_data (e,
              NULL), g_bytes_get_size (e)) == 0, "header mismatch for %s",
      hex);
  g_bytes_unref (e);
}

GST_START_TEST (writer_header_types)
{
  RtmpChunkWriter *w = rtmp_chunk_writer_new ();
  static const struct
  {
    guint32 csid, msid, ts;
    guint8 type;
    gsize size;
    const gchar *hdr;
  } seq[] = {
    {6, 1, 0, 9, 10, "06 000000 00000a 09 01000000"},
    /* after fmt 0: fmt 2, not fmt 3 */
    {6, 1, 40, 9, 10, "86 000028"},
    {6, 1, 80, 9, 10, "c6"},
    {6, 1, 120, 9, 11, "46 000028 00000b 09"},
    /* backwards */
    {6, 1, 100, 9, 11, "06 000064 00000b 09 01000000"},
    /* msid change */
    {6, 2, 100, 9, 11, "06 000064 00000b 09 02000000"},
    {6, 2, 140, 8, 11, "46 000028 00000b 08"},
    {6, 2, 140, 8, 11, "86 000000"},
    {6, 2, 140, 8, 11, "c6"},
    /* zero length */
    {6, 2, 150, 8, 0, "46 00000a 000000 08"},
    /* shortest basic header forms */
    {64, 0, 0, 20, 1, "00 00 000000 000001 14 00000000"},
    {319, 0, 0, 20, 1, "00 ff 000000 000001 14 00000000"},
    {320, 0, 0, 20, 1, "01 00 01 000000 000001 14 00000000"},
    {65599, 0, 0, 20, 1, "01 ff ff 000000 000001 14 00000000"},
    {65599, 0, 5, 20, 1, "81 ff ff 000005"},
    /* extended: absolute, delta, fmt 3 repeating it */
    {7, 1, 0x1000000, 9, 1, "07 ffffff 000001 09 01000000 01000000"},
    {7, 1, 0x2000000, 9, 1, "87 ffffff 01000000"},
    {7, 1, 0x3000000, 9, 1, "c7 01000000"},
    {7, 1, 0x3000001, 9, 1, "87 000001"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (seq); i++) {
    GBytes *b = write_one (w, seq[i].csid, seq[i].type, seq[i].msid,
        seq[i].ts, seq[i].size, NULL);

    check_header (b, seq[i].hdr);
    g_bytes_unref (b);
  }
  rtmp_chunk_writer_free (w);
}

GST_END_TEST;

GST_START_TEST (writer_extended_continuation)
{
  RtmpChunkWriter *w = rtmp_chunk_writer_new ();
  GstBuffer *out;
  GBytes *b = write_one (w, 4, 9, 1, 0x1000000, 300, &out);
  const guint8 *d = g_bytes_get_data (b, NULL);

  /* 16 + 128, 5 + 128, 5 + 44 */
  fail_unless_equals_int (g_bytes_get_size (b), 300 + 16 + 5 + 5);
  check_header (b, "04 ffffff 00012c 09 01000000 01000000");
  fail_unless (memcmp (d + 16 + 128, "\xc4\x01\x00\x00\x00", 5) == 0);
  fail_unless (memcmp (d + 16 + 128 + 5 + 128, "\xc4\x01\x00\x00\x00",
          5) == 0);
  g_bytes_unref (b);
  gst_buffer_unref (out);
  rtmp_chunk_writer_free (w);
}

GST_END_TEST;

/* Concatenates the vectors of message memory @mem from @skip on */
static GByteArray *
message_vector_bytes (GstMemory * mem, gsize skip, guint * n_vecs)
{
  GByteArray *cat = g_byte_array_new ();
  RtmpChunkVector v[4];
  guint n;

  *n_vecs = 0;
  /* a few at a time: continuing with @skip must give the rest */
  while ((n = rtmp_chunk_writer_message_vectors (mem, skip, v, 4)) > 0) {
    for (guint i = 0; i < n; i++) {
      g_byte_array_append (cat, v[i].data, v[i].size);
      skip += v[i].size;
    }
    *n_vecs += n;
  }
  return cat;
}

GST_START_TEST (writer_zero_copy)
{
  RtmpChunkWriter *w = rtmp_chunk_writer_new ();
  RtmpMessage m = { 0 };
  GstBuffer *out = gst_buffer_new ();
  GstMemory *mem, *copy;
  GstMapInfo pmap, map;
  RtmpChunkVector v[8];
  GstBufferList *list;
  GByteArray *cat;
  guint n;

  m.csid = 6;
  m.type = 9;
  m.msid = 1;
  m.payload = pattern_buffer (300, 1);
  rtmp_chunk_writer_write (w, &m, out);
  /* one message memory: header, payload, header, payload, header, payload
   * as vectors, the payload ones pointing into the payload itself */
  fail_unless_equals_int (gst_buffer_n_memory (out), 1);
  mem = gst_buffer_peek_memory (out, 0);
  fail_unless (rtmp_chunk_writer_is_message_memory (mem));
  fail_unless_equals_int (mem->size, 12 + 300 + 1 + 1);
  gst_buffer_map (m.payload, &pmap, GST_MAP_READ);
  n = rtmp_chunk_writer_message_vectors (mem, 0, v, G_N_ELEMENTS (v));
  fail_unless_equals_int (n, 6);
  for (guint i = 0; i < 3; i++) {
    fail_unless_equals_int (v[2 * i].size, i == 0 ? 12 : 1);
    fail_unless (v[2 * i + 1].data == pmap.data + 128 * i);
    fail_unless_equals_int (v[2 * i + 1].size, i < 2 ? 128 : 44);
  }
  /* from the middle of the first header, and from the second payload
   * slice on */
  n = rtmp_chunk_writer_message_vectors (mem, 5, v, G_N_ELEMENTS (v));
  fail_unless_equals_int (n, 6);
  fail_unless_equals_int (v[0].size, 7);
  n = rtmp_chunk_writer_message_vectors (mem, 12 + 128 + 1 + 10, v,
      G_N_ELEMENTS (v));
  fail_unless_equals_int (n, 3);
  fail_unless (v[0].data == pmap.data + 128 + 10);
  fail_unless_equals_int (rtmp_chunk_writer_message_vectors (mem,
          mem->size, v, G_N_ELEMENTS (v)), 0);
  gst_buffer_unmap (m.payload, &pmap);

  /* a plain map is a flat copy with the same bytes; read-only */
  cat = message_vector_bytes (mem, 0, &n);
  fail_unless (gst_memory_map (mem, &map, GST_MAP_READ));
  fail_unless_equals_int (map.size, cat->len);
  fail_unless (memcmp (map.data, cat->data, cat->len) == 0);
  gst_memory_unmap (mem, &map);
  fail_if (gst_memory_map (mem, &map, GST_MAP_WRITE));
  copy = gst_memory_copy (mem, 12, 300);
  fail_unless (gst_memory_map (copy, &map, GST_MAP_READ));
  fail_unless (memcmp (map.data, cat->data + 12, 128) == 0);
  gst_memory_unmap (copy, &map);
  gst_memory_unref (copy);
  g_byte_array_unref (cat);
  gst_buffer_unref (out);
  rtmp_message_clear (&m);

  /* a payload of two memories: a slice crosses their boundary */
  m.timestamp = 40;
  m.payload = pattern_buffer (300, 2);
  {
    GstBuffer *two = gst_buffer_copy_region (m.payload, GST_BUFFER_COPY_MEMORY,
        0, 100);

    gst_buffer_copy_into (two, m.payload, GST_BUFFER_COPY_MEMORY, 100, 200);
    fail_unless_equals_int (gst_buffer_n_memory (two), 2);
    gst_buffer_unref (m.payload);
    m.payload = two;
  }
  list = gst_buffer_list_new ();
  rtmp_chunk_writer_write_list (w, &m, list);
  fail_unless_equals_int (gst_buffer_list_length (list), 1);
  mem = gst_buffer_peek_memory (gst_buffer_list_get (list, 0), 0);
  fail_unless (rtmp_chunk_writer_is_message_memory (mem));
  cat = message_vector_bytes (mem, 0, &n);
  /* fmt 2 header of 4 bytes, 100 + 28, 1, 128, 1, 44 */
  fail_unless_equals_int (n, 7);
  fail_unless_equals_int (cat->len, 4 + 300 + 2);
  {
    guint8 *p = g_malloc (300);

    gst_buffer_extract (m.payload, 0, p, 300);
    fail_unless (memcmp (cat->data + 4, p, 128) == 0);
    fail_unless (memcmp (cat->data + 4 + 128 + 1, p + 128, 128) == 0);
    fail_unless (memcmp (cat->data + 4 + 256 + 2, p + 256, 44) == 0);
    g_free (p);
  }
  g_byte_array_unref (cat);
  gst_buffer_list_unref (list);
  rtmp_message_clear (&m);

  /* more chunks than vectors are worth: one plain copied memory with the
   * same bytes as the vectors would have */
  rtmp_chunk_writer_set_chunk_size (w, 1);
  m.timestamp = 80;
  m.payload = pattern_buffer (9000, 3);
  out = gst_buffer_new ();
  rtmp_chunk_writer_write (w, &m, out);
  fail_unless_equals_int (gst_buffer_n_memory (out), 1);
  mem = gst_buffer_peek_memory (out, 0);
  fail_if (rtmp_chunk_writer_is_message_memory (mem));
  /* 8-byte fmt 1 header (new length), then 8999 x (1 byte + header) */
  fail_unless_equals_int (gst_buffer_get_size (out), 8 + 9000 + 8999);
  gst_buffer_map (out, &map, GST_MAP_READ);
  {
    guint8 *p = g_malloc (9000);

    gst_buffer_extract (m.payload, 0, p, 9000);
    for (guint i = 0; i < 9000; i++)
      fail_unless (map.data[8 + 2 * i] == p[i]);
    g_free (p);
  }
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
  rtmp_message_clear (&m);
  rtmp_chunk_writer_free (w);
}

GST_END_TEST;

/* ---- fixtures ---- */

static const gchar *captures[] = {
  "ffmpeg", "ffmpeg_chunk1000", "ffmpeg_extts", "ffmpeg_query",
  "ffmpeg_badname", "ffmpeg_ffmpegserver", "librtmp", "librtmp_extts",
  "nginxpush",
};

enum
{
  COL_DIR, COL_IDX, COL_OFF, COL_FMT, COL_CSID, COL_TS, COL_DELTA, COL_TYPE,
  COL_LEN, COL_SID, COL_CHUNKS, COL_EXT, COL_IN_CHUNK_SIZE, COL_MD5,
  N_COLS
};

static void
check_fixture_messages (const gchar * name, const gchar * dir, GArray * got,
    GPtrArray * rows)
{
  guint n = 0;

  for (guint i = 0; i < rows->len; i++) {
    gchar **row = g_ptr_array_index (rows, i);
    Got *g;
    gchar *md5;

    TEST_CHECK (g_strv_length (row) >= N_COLS, "short row %u", i);
    if (strcmp (row[COL_DIR], dir) != 0)
      continue;
    TEST_CHECK (n < got->len, "%s %s: only %u messages read", name, dir,
        got->len);
    g = GOT (got, n);
    /* TEST_CHECK: this runs for every message of every capture, thrice */
    TEST_CHECK_EQ (g->fmt, atoi (row[COL_FMT]));
    TEST_CHECK_EQ (g->msg.csid, atoi (row[COL_CSID]));
    TEST_CHECK_EQ (g->msg.timestamp, g_ascii_strtoull (row[COL_TS], NULL, 10));
    TEST_CHECK_EQ (g->msg.type, atoi (row[COL_TYPE]));
    TEST_CHECK_EQ (gst_buffer_get_size (g->msg.payload),
        g_ascii_strtoull (row[COL_LEN], NULL, 10));
    TEST_CHECK_EQ (g->msg.msid, g_ascii_strtoull (row[COL_SID], NULL, 10));
    if (g->msg.type != RTMP_MESSAGE_SET_CHUNK_SIZE)
      TEST_CHECK_EQ (g->chunk_size, g_ascii_strtoull (row[COL_IN_CHUNK_SIZE],
              NULL, 10));
    md5 = test_util_buffer_md5 (g->msg.payload);
    TEST_CHECK (g_strcmp0 (md5, row[COL_MD5]) == 0, "%s %s message %u: md5 "
        "%s, expected %s", name, dir, n, md5, row[COL_MD5]);
    g_free (md5);
    n++;
  }
  fail_unless_equals_int (got->len, n);
}

/* Offsets where the relay's recv() calls ended, for one direction */
static GArray *
read_cuts (const gchar * name, const gchar * dir, gsize size)
{
  gchar *file = g_strdup_printf ("%s.reads.tsv", name);
  GPtrArray *rows = test_util_load_tsv (file);
  GArray *cuts = g_array_new (FALSE, FALSE, sizeof (gsize));

  for (guint i = 0; i < rows->len; i++) {
    gchar **row = g_ptr_array_index (rows, i);
    guint64 off, len, end;

    if (g_strv_length (row) < 4 || strcmp (row[1], dir) != 0)
      continue;
    off = g_ascii_strtoull (row[2], NULL, 10);
    len = g_ascii_strtoull (row[3], NULL, 10);
    end = off + len;
    if (end > HANDSHAKE_SIZE && end - HANDSHAKE_SIZE < size) {
      gsize cut = end - HANDSHAKE_SIZE;

      g_array_append_val (cuts, cut);
    }
  }
  fail_unless (cuts->len > 0);
  g_ptr_array_unref (rows);
  g_free (file);
  return cuts;
}

GST_START_TEST (fixture_replay)
{
  RtmpLimits limits;

  rtmp_limits_init (&limits);
  for (guint c = 0; c < G_N_ELEMENTS (captures); c++) {
    gchar *tsv = g_strdup_printf ("%s.messages.tsv", captures[c]);
    GPtrArray *rows = test_util_load_tsv (tsv);

    for (guint d = 0; d < 2; d++) {
      const gchar *dir = d == 0 ? "c2s" : "s2c";
      gchar *file = g_strdup_printf ("%s.%s.bin", captures[c], dir);
      GBytes *bytes = test_util_load_fixture (file);
      gsize size = g_bytes_get_size (bytes) - HANDSHAKE_SIZE;
      const guint8 *data = (const guint8 *) g_bytes_get_data (bytes, NULL)
          + HANDSHAKE_SIZE;
      GArray *got, *cuts;

      GST_INFO ("%s: %" G_GSIZE_FORMAT " bytes", file, size);
      got = feed_whole (&limits, data, size);
      check_fixture_messages (captures[c], dir, got, rows);
      g_array_unref (got);

      got = feed_bytewise (&limits, data, size);
      check_fixture_messages (captures[c], dir, got, rows);
      g_array_unref (got);

      cuts = read_cuts (captures[c], dir, size);
      got = feed_cuts (&limits, data, size, (gsize *) cuts->data, cuts->len);
      check_fixture_messages (captures[c], dir, got, rows);
      g_array_unref (got);
      g_array_unref (cuts);

      g_bytes_unref (bytes);
      g_free (file);
    }
    g_ptr_array_unref (rows);
    g_free (tsv);
  }
}

GST_END_TEST;

/* Every fixture message written again by our writer reads back the same */
GST_START_TEST (fixture_rewrite)
{
  RtmpLimits limits;

  rtmp_limits_init (&limits);
  for (guint c = 0; c < G_N_ELEMENTS (captures); c++) {
    gchar *file = g_strdup_printf ("%s.c2s.bin", captures[c]);
    GBytes *bytes = test_util_load_fixture (file);
    GArray *got = feed_whole (&limits,
        (const guint8 *) g_bytes_get_data (bytes, NULL) + HANDSHAKE_SIZE,
        g_bytes_get_size (bytes) - HANDSHAKE_SIZE);
    GArray *msgs = msg_array_new ();
    GBytes *out;
    GArray *again;
    guint32 chunk_size = 128;

    for (guint i = 0; i < got->len; i++) {
      RtmpMessage m = GOT (got, i)->msg;

      m.payload = gst_buffer_ref (m.payload);
      g_array_append_val (msgs, m);
      if (m.type == RTMP_MESSAGE_SET_CHUNK_SIZE)
        chunk_size = GOT (got, i)->chunk_size;
    }
    /* write_stream applies one chunk size after each Set Chunk Size */
    out = write_stream (msgs, chunk_size, c % 2);
    again = feed_whole (&limits, g_bytes_get_data (out, NULL),
        g_bytes_get_size (out));
    check_messages (again, msgs);
    g_array_unref (again);
    g_bytes_unref (out);
    g_array_unref (msgs);
    g_array_unref (got);
    g_bytes_unref (bytes);
    g_free (file);
  }
}

GST_END_TEST;

static Suite *
chunk_suite (void)
{
  Suite *s = suite_create ("chunk");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, reader_basic_header_forms);
  tcase_add_test (tc, reader_fmt3_new_message);
  tcase_add_test (tc, reader_extended_timestamps);
  tcase_add_test (tc, reader_interleaved);
  tcase_add_test (tc, reader_set_chunk_size);
  tcase_add_test (tc, reader_abort);
  tcase_add_test (tc, reader_malformed);
  tcase_add_test (tc, reader_limits);
  tcase_add_test (tc, writer_header_types);
  tcase_add_test (tc, writer_extended_continuation);
  tcase_add_test (tc, writer_zero_copy);
  tcase_add_test (tc, fixture_replay);
  tcase_add_test (tc, fixture_rewrite);
  tcase_add_test (tc, reader_payload_blocks);
  tcase_add_test (tc, round_trip_table);
  tcase_add_test (tc, round_trip_large);
  return s;
}

GST_CHECK_MAIN (chunk);
