/* Unit tests: RTMP <-> FLV mapping, FLV parser, timestamp extender.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "rtmp-flv.h"
#include "rtmp-block.h"
#include "rtmp-chunk-reader.h"
#include "rtmp-amf0.h"
#include "test-util.h"

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

static GPtrArray *
messages_new (void)
{
  return g_ptr_array_new_with_free_func (rtmp_flv_message_free);
}

/* Pulls every available tag into @out; returns the last result. */
static RtmpFlvParseResult
pull_all (RtmpFlvParser * p, GPtrArray * out, GError ** error)
{
  for (;;) {
    RtmpMessage m = { 0, };
    RtmpFlvParseResult r = rtmp_flv_parser_pull (p, &m, error);

    /* no fail_unless in hot loops: libcheck writes to a pipe for every
     * passing assertion */
    if (r != RTMP_FLV_PARSE_TAG) {
      if (m.payload != NULL)
        ck_abort_msg ("payload set without a tag");
      return r;
    }
    g_ptr_array_add (out, g_memdup2 (&m, sizeof (m)));
  }
}

static GstBuffer *
buf_from (const guint8 * data, gsize size)
{
  if (size == 0)
    return gst_buffer_new ();
  return test_util_buffer_new (data, size);
}

static GstBuffer *
buf_hex (const gchar * hex)
{
  GBytes *b = test_util_hex (hex);
  GstBuffer *buf = buf_from (g_bytes_get_data (b, NULL), g_bytes_get_size (b));

  g_bytes_unref (b);
  return buf;
}

/* End offsets (incl. PreviousTagSize) of the tags of an FLV file. */
static GArray *
tag_ends (const guint8 * data, gsize size)
{
  GArray *ends = g_array_new (FALSE, FALSE, sizeof (gsize));
  gsize pos = 13;

  while (pos + 11 <= size) {
    gsize len = ((gsize) data[pos + 1] << 16) | (data[pos + 2] << 8) |
        data[pos + 3];
    pos += 11 + len + 4;
    fail_unless (pos <= size);
    g_array_append_val (ends, pos);
  }
  return ends;
}

static guint
n_complete (GArray * ends, gsize prefix)
{
  guint n = 0;

  while (n < ends->len && g_array_index (ends, gsize, n) <= prefix)
    n++;
  return n;
}

/* Offset of tag @i of an FLV file with the tag ends @ends */
static gsize
tag_start (GArray * ends, guint i)
{
  return i == 0 ? 13 : g_array_index (ends, gsize, i - 1);
}

/* Appends the structure of tag @i to @bounds: every position of its tag
 * header and of its PreviousTagSize (see test_util_cut_positions) */
static void
add_tag_bounds (GArray * bounds, GArray * ends, guint i)
{
  gsize start = tag_start (ends, i), end = g_array_index (ends, gsize, i);

  for (gsize at = start; at <= start + 11; at++)
    g_array_append_val (bounds, at);
  for (gsize at = end - 4; at <= end; at++)
    g_array_append_val (bounds, at);
}

/* The structure of a whole FLV file: the file header, PreviousTagSize0 and
 * every tag */
static GArray *
flv_bounds (GArray * ends)
{
  GArray *bounds = g_array_new (FALSE, FALSE, sizeof (gsize));

  for (gsize at = 0; at <= 13; at++)
    g_array_append_val (bounds, at);
  for (guint i = 0; i < ends->len; i++)
    add_tag_bounds (bounds, ends, i);
  return bounds;
}

/* Parses an FLV file @data fed in pieces ending at the positions @cuts
 * (sorted; the last piece ends at @size); after every piece, exactly the
 * tags complete in the prefix fed so far must have come out, and the parser
 * must say NEED_MORE. */
static GPtrArray *
parse_pieces (const guint8 * data, gsize size, GArray * cuts)
{
  RtmpFlvParser *p = rtmp_flv_parser_new ();
  GPtrArray *out = messages_new ();
  GArray *ends = tag_ends (data, size);
  GError *err = NULL;
  gsize pos = 0;

  for (guint i = 0; i <= cuts->len && pos < size; i++) {
    gsize end = i < cuts->len ? g_array_index (cuts, gsize, i) : size;
    RtmpFlvParseResult r;

    if (end <= pos || end > size)
      continue;
    rtmp_flv_parser_push (p, buf_from (data + pos, end - pos));
    pos = end;
    r = pull_all (p, out, &err);
    if (r != RTMP_FLV_PARSE_NEED_MORE || err != NULL)
      ck_abort_msg ("prefix %" G_GSIZE_FORMAT ": result %d", pos, r);
    if (out->len != n_complete (ends, pos))
      ck_abort_msg ("prefix %" G_GSIZE_FORMAT ": %u tags, expected %u", pos,
          out->len, n_complete (ends, pos));
  }
  fail_unless_equals_uint64 (pos, size);
  fail_unless_equals_int (out->len, ends->len);
  g_array_unref (ends);
  rtmp_flv_parser_free (p);
  return out;
}

/* The same, in pieces of @step bytes (0 = whole) */
static GPtrArray *
parse_stepped (const guint8 * data, gsize size, gsize step)
{
  GArray *cuts = g_array_new (FALSE, FALSE, sizeof (gsize));
  GPtrArray *out;

  for (gsize end = step; step > 0 && end < size; end += step)
    g_array_append_val (cuts, end);
  out = parse_pieces (data, size, cuts);
  g_array_unref (cuts);
  return out;
}

static void
check_against_tags_tsv (GPtrArray * msgs, const gchar * tsv)
{
  GPtrArray *rows = test_util_load_tsv (tsv);

  fail_unless_equals_int (msgs->len, rows->len);
  for (guint i = 0; i < rows->len; i++) {
    gchar **row = g_ptr_array_index (rows, i);
    RtmpMessage *m = g_ptr_array_index (msgs, i);
    gchar *md5 = test_util_buffer_md5 (m->payload);
    guint8 head5[5];
    gsize n;
    gchar *hex;

    fail_unless_equals_int (atoi (row[0]), i);
    fail_unless_equals_int (m->type, atoi (row[1]));
    fail_unless_equals_uint64 (m->timestamp, g_ascii_strtoull (row[2], NULL,
            10));
    n = gst_buffer_extract (m->payload, 0, head5, 5);
    hex = g_malloc0 (11);
    for (gsize k = 0; k < n; k++)
      g_snprintf (hex + 2 * k, 3, "%02x", head5[k]);
    fail_unless_equals_string (hex, row[4]);
    /* The onMetaData of the .flv files is the one ffmpeg's file muxer
     * wrote (268 bytes, with duration and filesize); the one in tags.tsv
     * is what ffmpeg re-muxed while publishing (293 bytes). Only the
     * media tags are byte-identical; test_set_data_frame checks the
     * captured one. */
    if (i == 0 && m->type == 18)
      goto next;
    fail_unless_equals_uint64 (gst_buffer_get_size (m->payload),
        g_ascii_strtoull (row[3], NULL, 10));
    fail_unless_equals_string (md5, row[5]);
  next:
    fail_unless_equals_int (m->msid, 0);
    fail_unless_equals_int (m->csid, m->type == 8 ? RTMP_CSID_AUDIO :
        m->type == 9 ? RTMP_CSID_VIDEO : RTMP_CSID_DATA);
    g_free (hex);
    g_free (md5);
  }
  g_ptr_array_unref (rows);
}

static GstBuffer *
concat (GstBuffer * a, GstBuffer * b)
{
  return gst_buffer_append (a, b);
}

/* ------------------------------------------------------------------ */
/* Parser over the fixtures                                            */
/* ------------------------------------------------------------------ */

GST_START_TEST (test_parse_source_whole)
{
  GBytes *flv = test_util_load_fixture ("source.flv");
  gsize size;
  const guint8 *data = g_bytes_get_data (flv, &size);
  GPtrArray *msgs = parse_stepped (data, size, 0);
  GPtrArray *demux = test_util_load_tsv ("source.flvdemux.tsv");
  GPtrArray *probe = test_util_load_tsv ("source.ffprobe_packets.csv");
  guint n_video = 0, n_audio = 0, n_demux_video = 0, n_demux_audio = 0;
  guint vi = 0;

  check_against_tags_tsv (msgs, "ffmpeg.tags.tsv");

  /* Coded frames (no sequence headers, no AVC end of sequence) agree in
   * number with flvdemux and ffprobe; CTS and key flags with ffprobe. */
  for (guint i = 0; i < demux->len; i++) {
    gchar **row = g_ptr_array_index (demux, i);
    if (g_str_equal (row[0], "video"))
      n_demux_video++;
    else if (g_str_equal (row[0], "audio"))
      n_demux_audio++;
  }
  /* ffprobe's csv: one packet per line; the loader drops the first line as
   * a header, so count it back */
  fail_unless_equals_int (probe->len + 1, n_demux_video + n_demux_audio);

  for (guint i = 0; i < msgs->len; i++) {
    RtmpMessage *m = g_ptr_array_index (msgs, i);
    guint8 b[2] = { 0, 0 };

    gst_buffer_extract (m->payload, 0, b, 2);
    if (m->type == 9 && !rtmp_flv_is_sequence_header (9, m->payload) &&
        b[1] != 2) {
      gint32 cts;
      gint pts = 0, dts = 0;
      gboolean key;

      n_video++;
      fail_unless (rtmp_flv_video_composition_time (m->payload, &cts));
      /* find the vi-th video row of flvdemux */
      for (guint k = 0, seen = 0; k < demux->len; k++) {
        gchar **row = g_ptr_array_index (demux, k);
        if (!g_str_equal (row[0], "video"))
          continue;
        if (seen++ == vi) {
          pts = (gint) g_ascii_strtod (row[2], NULL);
          dts = (gint) g_ascii_strtod (row[3], NULL);
          key = atoi (row[5]);
          fail_unless_equals_int (rtmp_flv_is_keyframe (m->payload), key);
          break;
        }
      }
      fail_unless_equals_int (dts, m->timestamp);
      fail_unless_equals_int (cts, pts - dts);
      fail_unless_equals_int (rtmp_flv_video_codec_id (m->payload), 7);
      fail_if (rtmp_flv_is_enhanced (9, m->payload));
      vi++;
    } else if (m->type == 8 && !rtmp_flv_is_sequence_header (8, m->payload)) {
      n_audio++;
      fail_unless_equals_int (rtmp_flv_audio_sound_format (m->payload), 10);
      fail_if (rtmp_flv_is_enhanced (8, m->payload));
    }
  }
  fail_unless_equals_int (n_video, 63);
  fail_unless_equals_int (n_audio, 109);
  fail_unless_equals_int (n_video, n_demux_video);
  fail_unless_equals_int (n_audio, n_demux_audio);

  g_ptr_array_unref (probe);
  g_ptr_array_unref (demux);
  g_ptr_array_unref (msgs);
  g_bytes_unref (flv);
}

GST_END_TEST;

GST_START_TEST (test_parse_source_bytewise)
{
  GBytes *flv = test_util_load_fixture ("source.flv");
  gsize size;
  const guint8 *data = g_bytes_get_data (flv, &size);
  GArray *ends = tag_ends (data, size);
  GArray *bounds = flv_bounds (ends);
  /* byte by byte; under a memory checker byte by byte around every tag
   * boundary and header field (test_util_cut_positions) */
  GArray *cuts = test_util_cut_positions (size, bounds, 61,
      !test_util_under_checker ());
  GPtrArray *msgs = parse_pieces (data, size, cuts);

  check_against_tags_tsv (msgs, "ffmpeg.tags.tsv");
  g_ptr_array_unref (msgs);
  g_array_unref (cuts);
  g_array_unref (bounds);
  g_array_unref (ends);

  /* a few odd step sizes too */
  msgs = parse_stepped (data, size, 7);
  check_against_tags_tsv (msgs, "ffmpeg.tags.tsv");
  g_ptr_array_unref (msgs);
  msgs = parse_stepped (data, size, 4096);
  check_against_tags_tsv (msgs, "ffmpeg.tags.tsv");
  g_ptr_array_unref (msgs);
  g_bytes_unref (flv);
}

GST_END_TEST;

/* Split at every position: the first part yields exactly the tags that are
 * complete in it (every proper prefix: no more), the rest yields the others,
 * bodies identical to the whole parse. A loop test: run _i of split_runs()
 * covers its share of positions, so each stays well inside its timeout;
 * under a memory checker, where there are far fewer positions and each
 * run is a process of its own with its own leak check, one run. */
static gint
split_runs (void)
{
  if (test_util_under_checker ())
    return 1;
  return 8;
}

/* body size of tag @i */
static gsize
body_size (GArray * ends, guint i)
{
  return g_array_index (ends, gsize, i) - tag_start (ends, i) - 15;
}

/* Where test_parse_source_split splits: everywhere, or under a memory
 * checker (where a split, a parse of all 176 tags, costs milliseconds)
 * around the file header, around every position of the headers of
 * representative tags (add_tag_bounds), and at every 251st position. The
 * parser keeps nothing from one tag to the next but the position (a
 * GstAdapter holding the bytes of the tag in progress), so what a split can
 * do to it depends on the tag it falls in and where in that tag; the
 * representatives are the first tag of every kind (type, and the FLV
 * audio/video header bytes: sequence header, key frame, inter frame, end of
 * sequence), the first three tags (right after the file header), the last
 * two (up to the end of the file), and the tags with the smallest and the
 * largest body. */
static GArray *
split_positions (const guint8 * data, gsize size, GArray * ends)
{
  GArray *bounds, *cuts;
  GHashTable *kinds;
  guint smallest = 0, largest = 0;

  if (!test_util_under_checker ())
    return test_util_cut_positions (size, NULL, 0, TRUE);
  bounds = g_array_new (FALSE, FALSE, sizeof (gsize));
  kinds = g_hash_table_new (NULL, NULL);
  for (gsize at = 0; at <= 13; at++)
    g_array_append_val (bounds, at);
  for (guint i = 0; i < ends->len; i++) {
    if (body_size (ends, i) < body_size (ends, smallest))
      smallest = i;
    if (body_size (ends, i) > body_size (ends, largest))
      largest = i;
  }
  for (guint i = 0; i < ends->len; i++) {
    gsize body = tag_start (ends, i) + 11, len = body_size (ends, i);
    guint type = data[body - 11];
    guint kind = type << 16 | (len > 0 ? data[body] << 8 : 0) |
        (len > 1 && type != 18 ? data[body + 1] : 0);

    if (i < 3 || i + 2 >= ends->len || i == smallest || i == largest
        || !g_hash_table_contains (kinds, GUINT_TO_POINTER (kind)))
      add_tag_bounds (bounds, ends, i);
    g_hash_table_add (kinds, GUINT_TO_POINTER (kind));
  }
  /* the seven kinds of source.flv: onMetaData, AVC and AAC sequence
   * headers, AVC key and inter frames, AAC frames, AVC end of sequence */
  fail_unless_equals_int (g_hash_table_size (kinds), 7);
  cuts = test_util_cut_positions (size, bounds, 251, FALSE);
  g_hash_table_unref (kinds);
  g_array_unref (bounds);
  return cuts;
}

/* Pulls the tags available from @p, checking each (tag *n and on) against
 * the file: type, timestamp and body. */
static RtmpFlvParseResult
pull_and_check (RtmpFlvParser * p, const guint8 * data, GArray * ends,
    guint * n, gsize split)
{
  for (;;) {
    RtmpMessage m = { 0, };
    GError *err = NULL;
    RtmpFlvParseResult r = rtmp_flv_parser_pull (p, &m, &err);
    gsize end, len;
    guint32 ts;

    if (r != RTMP_FLV_PARSE_TAG) {
      if (m.payload != NULL)
        ck_abort_msg ("payload set without a tag");
      if (err != NULL)
        ck_abort_msg ("split %" G_GSIZE_FORMAT ": %s", split, err->message);
      return r;
    }
    if (*n >= ends->len)
      ck_abort_msg ("split %" G_GSIZE_FORMAT ": more than %u tags", split,
          ends->len);
    end = g_array_index (ends, gsize, *n);
    len = gst_buffer_get_size (m.payload);
    ts = ((guint32) data[end - 4 - len - 7] << 16) |
        ((guint32) data[end - 4 - len - 6] << 8) |
        (guint32) data[end - 4 - len - 5] |
        ((guint32) data[end - 4 - len - 4] << 24);
    if (m.type != data[end - 4 - len - 11] || m.timestamp != ts ||
        gst_buffer_memcmp (m.payload, 0, data + end - 4 - len, len) != 0)
      ck_abort_msg ("split %" G_GSIZE_FORMAT ": tag %u differs", split, *n);
    rtmp_message_clear (&m);
    (*n)++;
  }
}

GST_START_TEST (test_parse_source_split)
{
  GBytes *flv = test_util_load_fixture ("source.flv");
  gsize size;
  const guint8 *data = g_bytes_get_data (flv, &size);
  GArray *ends = tag_ends (data, size);
  GArray *splits = split_positions (data, size, ends);
  RtmpFlvParser *p = rtmp_flv_parser_new ();
  GstBuffer *whole = buf_from (data, size);

  guint from = splits->len * __i__ / split_runs ();
  guint to = splits->len * (__i__ + 1) / split_runs ();

  fail_unless_equals_int (ends->len, 176);
  for (guint s = from; s < to; s++) {
    gsize k = g_array_index (splits, gsize, s);
    guint complete = n_complete (ends, k), n = 0;

    rtmp_flv_parser_reset (p);
    /* shares of one input buffer: no copy per split */
    if (k > 0)
      rtmp_flv_parser_push (p, gst_buffer_copy_region (whole,
              GST_BUFFER_COPY_MEMORY, 0, k));
    if (pull_and_check (p, data, ends, &n, k) != RTMP_FLV_PARSE_NEED_MORE)
      ck_abort_msg ("split %" G_GSIZE_FORMAT ": error on first part", k);
    if (n != complete)
      ck_abort_msg ("split %" G_GSIZE_FORMAT ": %u tags from the first part,"
          " expected %u", k, n, complete);
    if (k < size)
      rtmp_flv_parser_push (p, gst_buffer_copy_region (whole,
              GST_BUFFER_COPY_MEMORY, k, size - k));
    if (pull_and_check (p, data, ends, &n, k) != RTMP_FLV_PARSE_NEED_MORE)
      ck_abort_msg ("split %" G_GSIZE_FORMAT ": error on second part", k);
    if (n != ends->len)
      ck_abort_msg ("split %" G_GSIZE_FORMAT ": %u tags", k, n);
  }
  rtmp_flv_parser_free (p);
  gst_buffer_unref (whole);
  g_array_unref (splits);
  g_array_unref (ends);
  g_bytes_unref (flv);
}

GST_END_TEST;

GST_START_TEST (test_parse_zero_copy)
{
  GBytes *flv = test_util_load_fixture ("source.flv");
  gsize size;
  const guint8 *data = g_bytes_get_data (flv, &size);
  RtmpFlvParser *p = rtmp_flv_parser_new ();
  GstBuffer *in = buf_from (data, size);
  GstMapInfo in_map, m_map;
  RtmpMessage m = { 0, };
  gsize pos = 13;

  fail_unless (gst_buffer_map (in, &in_map, GST_MAP_READ));
  rtmp_flv_parser_push (p, gst_buffer_ref (in));
  while (rtmp_flv_parser_pull (p, &m, NULL) == RTMP_FLV_PARSE_TAG) {
    gsize len = gst_buffer_get_size (m.payload);

    /* the body is the input's memory at the tag body offset */
    fail_unless (gst_buffer_map (m.payload, &m_map, GST_MAP_READ));
    fail_unless (m_map.data == in_map.data + pos + 11);
    gst_buffer_unmap (m.payload, &m_map);
    pos += 11 + len + 4;
    rtmp_message_clear (&m);
  }
  fail_unless_equals_uint64 (pos, size);
  gst_buffer_unmap (in, &in_map);
  gst_buffer_unref (in);
  rtmp_flv_parser_free (p);
  g_bytes_unref (flv);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Round trip: FLV -> messages -> FLV                                  */
/* ------------------------------------------------------------------ */

static void
round_trip (const gchar * fixture, const gchar * tags_tsv)
{
  GBytes *flv = test_util_load_fixture (fixture);
  gsize size;
  const guint8 *data = g_bytes_get_data (flv, &size);
  GPtrArray *msgs = parse_stepped (data, size, 0);
  GstBuffer *out;
  gboolean has_extended = FALSE;

  check_against_tags_tsv (msgs, tags_tsv);
  out = rtmp_flv_header_new (data[4] & 0x04, data[4] & 0x01);
  for (guint i = 0; i < msgs->len; i++) {
    RtmpMessage *m = g_ptr_array_index (msgs, i);
    RtmpMessage wire = *m;
    GstBuffer *tag;
    GError *err = NULL;

    if (m->timestamp > 0xffffff)
      has_extended = TRUE;
    /* as a publisher sends it: onMetaData with @setDataFrame */
    if (m->type == 18)
      wire.payload = rtmp_flv_add_set_data_frame (m->payload);
    else
      wire.payload = gst_buffer_ref (m->payload);
    wire.msid = 1;
    tag = rtmp_flv_tag_from_message (&wire, &err);
    fail_unless (tag != NULL);
    fail_unless (err == NULL);
    out = concat (out, tag);
    gst_buffer_unref (wire.payload);
  }
  fail_unless (test_util_buffer_equal (out, data, size));
  if (g_str_has_prefix (fixture, "source_extts"))
    fail_unless (has_extended);
  gst_buffer_unref (out);
  g_ptr_array_unref (msgs);
  g_bytes_unref (flv);
}

GST_START_TEST (test_round_trip_source)
{
  round_trip ("source.flv", "ffmpeg.tags.tsv");
}

GST_END_TEST;

GST_START_TEST (test_round_trip_extts)
{
  round_trip ("source_extts.flv", "ffmpeg_extts.tags.tsv");
}

GST_END_TEST;

GST_START_TEST (test_header)
{
  const gchar *hex[4] = {
    "464c5601 00 00000009 00000000",
    "464c5601 01 00000009 00000000",
    "464c5601 04 00000009 00000000",
    "464c5601 05 00000009 00000000",
  };

  for (guint i = 0; i < 4; i++) {
    GstBuffer *h = rtmp_flv_header_new (i & 2, i & 1);
    GBytes *exp = test_util_hex (hex[i]);

    fail_unless (test_util_buffer_equal (h, g_bytes_get_data (exp, NULL),
            g_bytes_get_size (exp)));
    g_bytes_unref (exp);
    gst_buffer_unref (h);
  }
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Tag building                                                        */
/* ------------------------------------------------------------------ */

GST_START_TEST (test_tag_zero_copy)
{
  GstBuffer *payload = buf_hex ("af 01 21 10 04 60 8c 1c");
  RtmpMessage m = { 8, 5, 1, 0x12345678, payload };
  GstBuffer *tag = rtmp_flv_tag_from_message (&m, NULL);
  GstMapInfo a, b;

  fail_unless (tag != NULL);
  fail_unless_equals_int (gst_buffer_n_memory (tag), 3);
  /* the middle memory is the payload's memory itself */
  fail_unless (gst_buffer_peek_memory (tag, 1) ==
      gst_buffer_peek_memory (payload, 0));
  fail_unless (test_util_buffer_equal (tag, (const guint8 *)
          "\x08\x00\x00\x08\x34\x56\x78\x12\x00\x00\x00"
          "\xaf\x01\x21\x10\x04\x60\x8c\x1c" "\x00\x00\x00\x13", 23));
  gst_buffer_unref (tag);

  /* @setDataFrame stripped: a share of the payload memory at offset 16 */
  m.type = 18;
  m.payload = buf_hex ("02000d 4073657444617461467261 6d65"
      "02000a 6f6e4d65746144617461 05");
  tag = rtmp_flv_tag_from_message (&m, NULL);
  fail_unless (tag != NULL);
  fail_unless_equals_int (gst_buffer_n_memory (tag), 3);
  fail_unless (gst_buffer_map (m.payload, &a, GST_MAP_READ));
  {
    GstMemory *mid = gst_buffer_peek_memory (tag, 1);
    fail_unless (gst_memory_map (mid, &b, GST_MAP_READ));
    fail_unless (b.data == a.data + 16);
    fail_unless_equals_int (b.size, 14);
    fail_unless (mid->parent == gst_buffer_peek_memory (m.payload, 0) ||
        mid->parent == gst_buffer_peek_memory (m.payload, 0)->parent);
    gst_memory_unmap (mid, &b);
  }
  gst_buffer_unmap (m.payload, &a);
  fail_unless (test_util_buffer_equal (tag, (const guint8 *)
          "\x12\x00\x00\x0e\x34\x56\x78\x12\x00\x00\x00"
          "\x02\x00\x0aonMetaData\x05" "\x00\x00\x00\x19", 29));
  gst_buffer_unref (tag);
  gst_buffer_unref (m.payload);
  gst_buffer_unref (payload);
}

GST_END_TEST;

/* A payload in a block with framing room (what the chunk reader gives a
 * message that fits one block): the tag is one memory of that block, the
 * header and PreviousTagSize written around the payload; the room is
 * taken once, a second tag of the same message is the three-memory kind
 * with the same bytes; a payload without room, or resized, is never
 * written around. */
/* A payload as the chunk reader makes it: one block with framing room,
 * holding @body */
static GstBuffer *
payload_in_room (const guint8 * body, gsize size)
{
  GstMemory *mem = rtmp_block_alloc_with_room (size, RTMP_CHUNK_READER_ROOM,
      RTMP_CHUNK_READER_ROOM);
  GstBuffer *payload = gst_buffer_new ();
  GstMapInfo map;

  fail_unless_equals_int (mem->offset, RTMP_CHUNK_READER_ROOM);
  fail_unless (gst_memory_map (mem, &map, GST_MAP_WRITE));
  memcpy (map.data, body, size);
  gst_memory_unmap (mem, &map);
  gst_buffer_append_memory (payload, mem);
  return payload;
}

GST_START_TEST (test_tag_in_room)
{
  static const guint8 body[8] = { 0xaf, 0x01, 0x21, 0x10, 0x04, 0x60, 0x8c,
    0x1c
  };
  static const guint8 want[23] = { 0x08, 0x00, 0x00, 0x08, 0x34, 0x56, 0x78,
    0x12, 0x00, 0x00, 0x00, 0xaf, 0x01, 0x21, 0x10, 0x04, 0x60, 0x8c, 0x1c,
    0x00, 0x00, 0x00, 0x13
  };
  GstBuffer *payload = payload_in_room (body, sizeof (body));
  GstMemory *mem = gst_buffer_peek_memory (payload, 0);
  RtmpMessage m = { 8, 5, 1, 0x12345678, payload };
  GstBuffer *tag, *tag2;

  tag = rtmp_flv_tag_from_message (&m, NULL);
  fail_unless (tag != NULL);
  fail_unless_equals_int (gst_buffer_n_memory (tag), 1);
  fail_unless (gst_buffer_peek_memory (tag, 0)->parent == mem);
  fail_unless (test_util_buffer_equal (tag, want, sizeof (want)));
  /* the payload's own view is untouched */
  fail_unless (test_util_buffer_equal (payload, body, sizeof (body)));

  tag2 = rtmp_flv_tag_from_message (&m, NULL);
  fail_unless (tag2 != NULL);
  fail_unless_equals_int (gst_buffer_n_memory (tag2), 3);
  fail_unless (test_util_buffer_equal (tag2, want, sizeof (want)));
  fail_unless (test_util_buffer_equal (tag, want, sizeof (want)));
  gst_buffer_unref (tag2);
  gst_buffer_unref (tag);
  gst_buffer_unref (payload);

  /* taking the message: the payload buffer itself becomes the tag */
  payload = payload_in_room (body, sizeof (body));
  mem = gst_buffer_peek_memory (payload, 0);
  fail_unless (rtmp_block_peek (mem) != NULL);
  fail_unless (memcmp (rtmp_block_peek (mem), body, sizeof (body)) == 0);
  m.payload = payload;
  tag = rtmp_flv_tag_take_message (&m, NULL);
  fail_unless (tag == payload);
  fail_unless (m.payload == NULL);
  fail_unless_equals_int (gst_buffer_n_memory (tag), 1);
  fail_unless (gst_buffer_peek_memory (tag, 0) == mem);
  fail_unless (test_util_buffer_equal (tag, want, sizeof (want)));
  gst_buffer_unref (tag);

  /* a payload someone else holds too is not taken, only shared */
  payload = payload_in_room (body, sizeof (body));
  mem = gst_buffer_peek_memory (payload, 0);
  m.payload = gst_buffer_ref (payload);
  tag = rtmp_flv_tag_take_message (&m, NULL);
  fail_unless (tag != NULL && tag != payload);
  fail_unless (m.payload == payload);
  fail_unless_equals_int (gst_buffer_n_memory (tag), 1);
  fail_unless (gst_buffer_peek_memory (tag, 0)->parent == mem);
  fail_unless (test_util_buffer_equal (tag, want, sizeof (want)));
  fail_unless (test_util_buffer_equal (payload, body, sizeof (body)));
  gst_buffer_unref (tag);
  gst_buffer_unref (m.payload);
  gst_buffer_unref (payload);
  /* not a block: nothing to peek in place */
  mem = gst_allocator_alloc (NULL, 8, NULL);
  fail_unless (rtmp_block_peek (mem) == NULL);
  gst_memory_unref (mem);

  /* resized after allocation: no longer laid out as allocated */
  mem = rtmp_block_alloc_with_room (8, RTMP_CHUNK_READER_ROOM,
      RTMP_CHUNK_READER_ROOM);
  gst_memory_resize (mem, 1, 7);
  fail_unless (rtmp_block_take_room (mem, 11, 4) == NULL);
  gst_memory_unref (mem);
  /* a plain block, and a block too full for the room */
  mem = rtmp_block_alloc (8);
  fail_unless (rtmp_block_take_room (mem, 11, 4) == NULL);
  gst_memory_unref (mem);
  mem = rtmp_block_alloc_with_room (1024 - 8, RTMP_CHUNK_READER_ROOM,
      RTMP_CHUNK_READER_ROOM);
  fail_unless_equals_int (mem->offset, 0);
  fail_unless (rtmp_block_take_room (mem, 11, 4) == NULL);
  gst_memory_unref (mem);
}

GST_END_TEST;

GST_START_TEST (test_tag_types)
{
  RtmpMessage m = { 0, 4, 1, 40, NULL };
  GError *err = NULL;
  GstBuffer *tag;
  const guint bad[] = { 1, 2, 3, 4, 5, 6, 16, 17, 19, 20, 22, 0, 7, 255 };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    m.type = bad[i];
    m.payload = buf_hex ("0200");
    fail_unless (rtmp_flv_tag_from_message (&m, &err) == NULL);
    fail_unless (g_error_matches (err, RTMP_ERROR, RTMP_ERROR_FLV));
    g_clear_error (&err);
    gst_buffer_unref (m.payload);
  }

  /* empty audio message (legacy silence) and NULL payload: DataSize 0 */
  m.type = 8;
  m.payload = NULL;
  tag = rtmp_flv_tag_from_message (&m, &err);
  fail_unless (tag != NULL);
  fail_unless (test_util_buffer_equal (tag, (const guint8 *)
          "\x08\x00\x00\x00\x00\x00\x28\x00\x00\x00\x00\x00\x00\x00\x0b", 15));
  gst_buffer_unref (tag);

  /* type 15 with AMF0 body: format byte dropped, then @setDataFrame too */
  m.type = 15;
  m.payload = buf_hex ("00 02000d 4073657444617461467261 6d65"
      "02000a 6f6e4d65746144617461 05");
  tag = rtmp_flv_tag_from_message (&m, &err);
  fail_unless (tag != NULL);
  fail_unless (test_util_buffer_equal (tag, (const guint8 *)
          "\x12\x00\x00\x0e\x00\x00\x28\x00\x00\x00\x00"
          "\x02\x00\x0aonMetaData\x05" "\x00\x00\x00\x19", 29));
  gst_buffer_unref (tag);
  gst_buffer_unref (m.payload);

  m.payload = buf_hex ("00 02 0001 41");
  tag = rtmp_flv_tag_from_message (&m, &err);
  fail_unless (test_util_buffer_equal (tag, (const guint8 *)
          "\x12\x00\x00\x04\x00\x00\x28\x00\x00\x00\x00"
          "\x02\x00\x01\x41" "\x00\x00\x00\x0f", 19));
  gst_buffer_unref (tag);
  gst_buffer_unref (m.payload);

  /* type 15: AMF3 body, bad format byte, too short */
  {
    const gchar *bad15[] = { "00 11 0601", "01 02 0001 41", "00", "" };
    for (guint i = 0; i < G_N_ELEMENTS (bad15); i++) {
      m.payload = buf_hex (bad15[i]);
      fail_unless (rtmp_flv_tag_from_message (&m, &err) == NULL);
      fail_unless (g_error_matches (err, RTMP_ERROR, RTMP_ERROR_FLV));
      g_clear_error (&err);
      gst_buffer_unref (m.payload);
    }
  }

  /* DataSize above 0xFFFFFF */
  m.type = 9;
  m.payload = gst_buffer_new_allocate (NULL, 0x1000000, NULL);
  fail_unless (rtmp_flv_tag_from_message (&m, &err) == NULL);
  fail_unless (g_error_matches (err, RTMP_ERROR, RTMP_ERROR_FLV));
  g_clear_error (&err);
  gst_buffer_set_size (m.payload, 0xffffff);
  tag = rtmp_flv_tag_from_message (&m, &err);
  fail_unless (tag != NULL);
  fail_unless_equals_uint64 (gst_buffer_get_size (tag), 0xffffff + 15);
  gst_buffer_unref (tag);
  gst_buffer_unref (m.payload);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* @setDataFrame                                                       */
/* ------------------------------------------------------------------ */

GST_START_TEST (test_set_data_frame)
{
  GBytes *c2s = test_util_load_fixture ("ffmpeg.c2s.bin");
  GPtrArray *rows = test_util_load_tsv ("ffmpeg.messages.tsv");
  gsize size;
  const guint8 *data = g_bytes_get_data (c2s, &size);
  GstBuffer *with = NULL, *without, *again, *other, *same;
  gsize msg_off = 0;
  gchar *md5;

  /* the captured @setDataFrame message: fmt 0 on csid 4 (12-byte chunk
   * header), one chunk (309 < chunk size 4096) */
  for (guint i = 0; i < rows->len && with == NULL; i++) {
    gchar **row = g_ptr_array_index (rows, i);
    gsize off, len;

    if (!g_str_equal (row[0], "c2s") || atoi (row[7]) != 18)
      continue;
    off = g_ascii_strtoull (row[2], NULL, 10);
    len = g_ascii_strtoull (row[8], NULL, 10);
    fail_unless_equals_string (row[3], "0");
    fail_unless_equals_string (row[10], "1");
    fail_unless (off + 12 + len <= size);
    msg_off = off + 12;
    with = buf_from (data + msg_off, len);
    md5 = test_util_buffer_md5 (with);
    fail_unless_equals_string (md5, row[13]);
    g_free (md5);
  }
  fail_unless (with != NULL);
  fail_unless (gst_buffer_memcmp (with, 0, "\x02\x00\x0d@setDataFrame",
          16) == 0);

  /* stripped: the FLV body of ffmpeg.tags.tsv idx 0, shared memory */
  without = rtmp_flv_strip_set_data_frame (with);
  md5 = test_util_buffer_md5 (without);
  fail_unless_equals_string (md5, "7a5b6bcb1a75488374f2bdf1fd6f86c7");
  g_free (md5);
  fail_unless_equals_uint64 (gst_buffer_get_size (without), 293);
  fail_unless (gst_buffer_peek_memory (without, 0)->parent ==
      gst_buffer_peek_memory (with, 0));

  /* adding it back gives the message again, sharing the body's memory */
  again = rtmp_flv_add_set_data_frame (without);
  fail_unless (gst_buffer_get_size (again) == gst_buffer_get_size (with));
  fail_unless (gst_buffer_memcmp (again, 0, data + msg_off,
          gst_buffer_get_size (with)) == 0);
  fail_unless_equals_int (gst_buffer_n_memory (again), 2);
  fail_unless (gst_buffer_peek_memory (again, 1) ==
      gst_buffer_peek_memory (without, 0));

  /* adding to a body that already has it changes nothing */
  same = rtmp_flv_add_set_data_frame (with);
  fail_unless (same == with);
  gst_buffer_unref (same);

  /* stripping a body without the prefix: the same buffer */
  same = rtmp_flv_strip_set_data_frame (without);
  fail_unless (same == without);
  gst_buffer_unref (same);

  /* other script tags are not touched */
  other = buf_hex ("02000a 6f6e437565506f696e74 05");
  same = rtmp_flv_add_set_data_frame (other);
  fail_unless (same == other);
  gst_buffer_unref (same);
  gst_buffer_unref (other);

  /* exactly "@setDataFrame": strips to empty */
  other = buf_hex ("02000d 4073657444617461467261 6d65");
  same = rtmp_flv_strip_set_data_frame (other);
  fail_unless_equals_uint64 (gst_buffer_get_size (same), 0);
  gst_buffer_unref (same);
  gst_buffer_unref (other);

  gst_buffer_unref (again);
  gst_buffer_unref (without);
  gst_buffer_unref (with);
  g_ptr_array_unref (rows);
  g_bytes_unref (c2s);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Aggregates                                                          */
/* ------------------------------------------------------------------ */

#define AGG_3 \
  "09 000003 000064 00 000001 170001 0000000e" \
  "08 000002 00007d 00 000000 af01   0000000d" \
  "12 000001 000096 00 000000 05     0000000c"

GST_START_TEST (test_aggregate_split)
{
  GPtrArray *out = messages_new ();
  RtmpMessage agg = { 22, 7, 1, 1000, buf_hex (AGG_3) };
  GError *err = NULL;
  GstMapInfo a, s;
  const guint32 exp_ts[3] = { 1000, 1025, 1050 };
  const guint8 exp_type[3] = { 9, 8, 18 };
  const gsize exp_off[3] = { 11, 29, 46 };
  const gsize exp_len[3] = { 3, 2, 1 };

  fail_unless (rtmp_flv_split_aggregate (&agg, out, &err));
  fail_unless (err == NULL);
  fail_unless_equals_int (out->len, 3);
  fail_unless (gst_buffer_map (agg.payload, &a, GST_MAP_READ));
  for (guint i = 0; i < 3; i++) {
    RtmpMessage *m = g_ptr_array_index (out, i);

    fail_unless_equals_int (m->type, exp_type[i]);
    fail_unless_equals_int (m->timestamp, exp_ts[i]);
    fail_unless_equals_int (m->csid, 7);
    fail_unless_equals_int (m->msid, 1);
    fail_unless_equals_uint64 (gst_buffer_get_size (m->payload), exp_len[i]);
    /* shared, not copied */
    fail_unless (gst_buffer_map (m->payload, &s, GST_MAP_READ));
    fail_unless (s.data == a.data + exp_off[i]);
    gst_buffer_unmap (m->payload, &s);
  }
  gst_buffer_unmap (agg.payload, &a);

  /* offset wraps modulo 2^32: aggregate at 10, first record at 100 */
  agg.timestamp = 10;
  fail_unless (rtmp_flv_split_aggregate (&agg, out, &err));
  fail_unless_equals_int (out->len, 6);
  fail_unless_equals_int (((RtmpMessage *) g_ptr_array_index (out,
              3))->timestamp, 10);
  fail_unless_equals_int (((RtmpMessage *) g_ptr_array_index (out,
              4))->timestamp, 35);
  gst_buffer_unref (agg.payload);

  /* extended timestamp byte in the record; wrong back pointer tolerated */
  agg.timestamp = 0x01000000;
  agg.payload = buf_hex ("09 000001 000000 01 000000 17 00000000");
  fail_unless (rtmp_flv_split_aggregate (&agg, out, &err));
  fail_unless_equals_int (out->len, 7);
  fail_unless_equals_int (((RtmpMessage *) g_ptr_array_index (out,
              6))->timestamp, 0x01000000);
  gst_buffer_unref (agg.payload);

  /* empty aggregate: nothing */
  agg.payload = NULL;
  fail_unless (rtmp_flv_split_aggregate (&agg, out, &err));
  fail_unless_equals_int (out->len, 7);

  g_ptr_array_unref (out);
}

GST_END_TEST;

GST_START_TEST (test_aggregate_malformed)
{
  GPtrArray *out = messages_new ();
  RtmpMessage agg = { 22, 7, 1, 1000, NULL };
  GError *err = NULL;
  GBytes *good = test_util_hex (AGG_3);
  gsize size;
  const guint8 *data = g_bytes_get_data (good, &size);
  const gchar *bad[] = {
    /* length past the end */
    "09 000010 000064 00 000001 170001 0000000e",
    /* back pointer missing */
    "09 000003 000064 00 000001 170001",
    /* back pointer cut */
    "09 000003 000064 00 000001 170001 000000",
    /* trailing garbage shorter than a header */
    "09 000001 000064 00 000000 17 0000000c 08",
    /* nested aggregate */
    "16 000001 000064 00 000000 17 0000000c",
    /* protocol control */
    "01 000004 000064 00 000000 00000080 0000000f",
    /* command */
    "14 000001 000064 00 000000 05 0000000c",
    /* length 0xffffff */
    "09 ffffff 000064 00 000000 17 0000000c",
  };

  /* every proper prefix of a good aggregate is an error, nothing added
   * (except those ending at a record boundary: valid aggregates) */
  for (gsize k = 1; k < size; k++) {
    if (k == 18 || k == 35)
      continue;
    agg.payload = buf_from (data, k);
    fail_if (rtmp_flv_split_aggregate (&agg, out, &err));
    fail_unless (g_error_matches (err, RTMP_ERROR, RTMP_ERROR_FLV));
    g_clear_error (&err);
    fail_unless_equals_int (out->len, 0);
    gst_buffer_unref (agg.payload);
  }
  /* overlong: a byte too many */
  agg.payload = buf_hex (AGG_3 "00");
  fail_if (rtmp_flv_split_aggregate (&agg, out, &err));
  fail_unless (g_error_matches (err, RTMP_ERROR, RTMP_ERROR_FLV));
  g_clear_error (&err);
  gst_buffer_unref (agg.payload);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    agg.payload = buf_hex (bad[i]);
    fail_if (rtmp_flv_split_aggregate (&agg, out, &err), "case %u", i);
    fail_unless (g_error_matches (err, RTMP_ERROR, RTMP_ERROR_FLV));
    g_clear_error (&err);
    fail_unless_equals_int (out->len, 0);
    gst_buffer_unref (agg.payload);
  }
  g_bytes_unref (good);
  g_ptr_array_unref (out);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Timestamps                                                          */
/* ------------------------------------------------------------------ */

GST_START_TEST (test_timestamp_extender)
{
  RtmpTimestampExtender ext;
  const struct
  {
    guint32 in;
    guint64 out;
  } seq[] = {
    {0xfffffe00u, 0xfffffe00ull},
    {0xffffff00u, 0xffffff00ull},
    {0xfffffff0u, 0xfffffff0ull},
    {0x00000010u, 0x100000010ull},      /* wrap forward */
    {0x00000005u, 0x100000005ull},      /* small step back across nothing */
    {0xffffffa0u, 0xffffffa0ull},       /* small step back across the wrap */
    {0x00000100u, 0x100000100ull},      /* forward again */
    {0x80000100u, 0x180000100ull},      /* exactly 2^31 forward */
    {0x00000100u, 0x200000100ull},      /* back by exactly 2^31 = forward */
    {0x00000050u, 0x200000050ull},
    {0x90000000u, 0x190000000ull},      /* back by < 2^31 */
    {0x10000000u, 0x210000000ull},      /* back by > 2^31 = forward */
  };

  rtmp_timestamp_extender_init (&ext);
  for (guint i = 0; i < G_N_ELEMENTS (seq); i++)
    fail_unless_equals_uint64 (rtmp_timestamp_extend (&ext, seq[i].in),
        seq[i].out);

  /* monotonic stream through the wrap keeps increasing */
  rtmp_timestamp_extender_init (&ext);
  {
    guint64 prev = 0;
    guint32 ts = 0xffff0000u;
    for (guint i = 0; i < 5000; i++, ts += 23) {
      guint64 v = rtmp_timestamp_extend (&ext, ts);
      if (i > 0)
        fail_unless_equals_uint64 (v, prev + 23);
      prev = v;
    }
    fail_unless (prev > G_MAXUINT32);
  }

  /* backwards below zero in the first epoch: raw value, not underflow */
  rtmp_timestamp_extender_init (&ext);
  fail_unless_equals_uint64 (rtmp_timestamp_extend (&ext, 10), 10);
  fail_unless_equals_uint64 (rtmp_timestamp_extend (&ext, 0xfffffff0u),
      0xfffffff0ull);
  fail_unless_equals_uint64 (rtmp_timestamp_extend (&ext, 20), 0x100000014ull);
  /* small steps back stay steps back */
  rtmp_timestamp_extender_init (&ext);
  fail_unless_equals_uint64 (rtmp_timestamp_extend (&ext, 1000), 1000);
  fail_unless_equals_uint64 (rtmp_timestamp_extend (&ext, 915), 915);
  fail_unless_equals_uint64 (rtmp_timestamp_extend (&ext, 915), 915);
  fail_unless_equals_uint64 (rtmp_timestamp_extend (&ext, 1040), 1040);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Parser edge cases                                                   */
/* ------------------------------------------------------------------ */

static void
expect_flv_error (const gchar * hex, guint32 max)
{
  RtmpFlvParser *p = rtmp_flv_parser_new ();
  GPtrArray *out = messages_new ();
  GError *err = NULL;
  RtmpMessage m = { 0, };
  GBytes *b = test_util_hex (hex);
  gsize size;
  const guint8 *data = g_bytes_get_data (b, &size);

  if (max)
    rtmp_flv_parser_set_max_data_size (p, max);
  /* whole */
  rtmp_flv_parser_push (p, buf_from (data, size));
  fail_unless_equals_int (pull_all (p, out, &err), RTMP_FLV_PARSE_ERROR);
  fail_unless (g_error_matches (err, RTMP_ERROR, RTMP_ERROR_FLV), "%s", hex);
  g_clear_error (&err);
  /* sticky, also after more input */
  rtmp_flv_parser_push (p, buf_from (data, size));
  fail_unless_equals_int (rtmp_flv_parser_pull (p, &m, &err),
      RTMP_FLV_PARSE_ERROR);
  fail_unless (g_error_matches (err, RTMP_ERROR, RTMP_ERROR_FLV));
  g_clear_error (&err);
  /* byte by byte: same error eventually */
  rtmp_flv_parser_reset (p);
  {
    RtmpFlvParseResult r = RTMP_FLV_PARSE_NEED_MORE;
    for (gsize i = 0; i < size && r != RTMP_FLV_PARSE_ERROR; i++) {
      rtmp_flv_parser_push (p, buf_from (data + i, 1));
      r = pull_all (p, out, &err);
    }
    fail_unless_equals_int (r, RTMP_FLV_PARSE_ERROR);
    fail_unless (g_error_matches (err, RTMP_ERROR, RTMP_ERROR_FLV));
    g_clear_error (&err);
  }
  g_bytes_unref (b);
  g_ptr_array_unref (out);
  rtmp_flv_parser_free (p);
}

GST_START_TEST (test_parse_malformed)
{
  /* bad signature */
  expect_flv_error ("464c58 01 05 00000009 00000000", 0);
  expect_flv_error ("465a", 0);
  /* version 2 */
  expect_flv_error ("464c56 02 05 00000009 00000000", 0);
  /* data offset below 9 */
  expect_flv_error ("464c56 01 05 00000005 00000000", 0);
  /* data offset huge */
  expect_flv_error ("464c56 01 05 ffffffff 00000000", 0);
  /* tag type 7 (after a header, and at the start) */
  expect_flv_error ("464c56 01 05 00000009 00000000"
      "07 000001 000000 00 000000 00 0000000c", 0);
  expect_flv_error ("07 000001 000000 00 000000 00 0000000c", 0);
  /* Filter bit, reserved bits */
  expect_flv_error ("29 000001 000000 00 000000 00 0000000c", 0);
  expect_flv_error ("88 000001 000000 00 000000 00 0000000c", 0);
  /* DataSize past the max */
  expect_flv_error ("09 000065 000000 00 000000", 100);
  expect_flv_error ("09 001000 000000 00 000000", 0xfff);
}

GST_END_TEST;

GST_START_TEST (test_parse_edge_cases)
{
  RtmpFlvParser *p = rtmp_flv_parser_new ();
  GPtrArray *out = messages_new ();
  GError *err = NULL;
  RtmpMessage *m;
  guint8 flags = 0;

  /* starts directly with a tag (header sent as streamheader before) */
  fail_if (rtmp_flv_parser_get_header_flags (p, &flags));
  rtmp_flv_parser_push (p, buf_hex ("08 000002 000102 03 000000 af01 0000000d"
          "09 000000 000000 00 000000 0000000b"));
  fail_unless_equals_int (pull_all (p, out, &err), RTMP_FLV_PARSE_NEED_MORE);
  fail_unless_equals_int (out->len, 2);
  m = g_ptr_array_index (out, 0);
  fail_unless_equals_int (m->type, 8);
  fail_unless_equals_int (m->timestamp, 0x03000102);
  fail_unless_equals_int (m->csid, RTMP_CSID_AUDIO);
  m = g_ptr_array_index (out, 1);
  fail_unless_equals_int (m->type, 9);
  fail_unless_equals_uint64 (gst_buffer_get_size (m->payload), 0);
  fail_if (rtmp_flv_parser_get_header_flags (p, &flags));

  /* a header (re-sent) in the middle, with data offset 12 (3 extra bytes),
   * a reserved flag bit, a non-zero PreviousTagSize0, a wrong
   * PreviousTagSize and a StreamID != 0: all tolerated */
  rtmp_flv_parser_push (p, buf_hex ("464c56 01 0d 0000000c aabbcc 00000007"));
  fail_unless_equals_int (pull_all (p, out, &err), RTMP_FLV_PARSE_NEED_MORE);
  fail_unless (rtmp_flv_parser_get_header_flags (p, &flags));
  fail_unless_equals_int (flags, 0x0d);
  rtmp_flv_parser_push (p, buf_hex ("12 000001 000005 00 000001 05 00000099"));
  fail_unless_equals_int (pull_all (p, out, &err), RTMP_FLV_PARSE_NEED_MORE);
  fail_unless (err == NULL);
  fail_unless_equals_int (out->len, 3);
  m = g_ptr_array_index (out, 2);
  fail_unless_equals_int (m->type, 18);
  fail_unless_equals_int (m->csid, RTMP_CSID_DATA);
  fail_unless_equals_int (m->timestamp, 5);

  /* header with extra bytes fed byte by byte */
  {
    GBytes *b = test_util_hex ("464c56 01 05 0000000e 0102030405 00000000"
        "09 000001 000007 00 000000 17 0000000c");
    gsize size;
    const guint8 *d = g_bytes_get_data (b, &size);

    rtmp_flv_parser_reset (p);
    for (gsize i = 0; i < size; i++) {
      rtmp_flv_parser_push (p, buf_from (d + i, 1));
      fail_unless_equals_int (pull_all (p, out, &err),
          RTMP_FLV_PARSE_NEED_MORE);
      fail_unless_equals_int (out->len, i == size - 1 ? 4 : 3);
    }
    m = g_ptr_array_index (out, 3);
    fail_unless_equals_int (m->timestamp, 7);
    fail_unless_equals_int (m->csid, RTMP_CSID_VIDEO);
    g_bytes_unref (b);
  }

  /* a body spanning two input buffers is still correct */
  rtmp_flv_parser_push (p, buf_hex ("08 000004 000008 00 000000 af01"));
  rtmp_flv_parser_push (p, buf_hex ("0203 0000000f"));
  fail_unless_equals_int (pull_all (p, out, &err), RTMP_FLV_PARSE_NEED_MORE);
  fail_unless_equals_int (out->len, 5);
  m = g_ptr_array_index (out, 4);
  fail_unless (test_util_buffer_equal (m->payload,
          (const guint8 *) "\xaf\x01\x02\x03", 4));

  /* max-data-size above the FLV maximum is clamped; exactly max passes */
  rtmp_flv_parser_set_max_data_size (p, 0xffffffff);
  rtmp_flv_parser_set_max_data_size (p, 2);
  rtmp_flv_parser_push (p,
      buf_hex ("08 000002 000008 00 000000 af01 0000000d"));
  fail_unless_equals_int (pull_all (p, out, &err), RTMP_FLV_PARSE_NEED_MORE);
  fail_unless_equals_int (out->len, 6);

  g_ptr_array_unref (out);
  rtmp_flv_parser_free (p);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Classification                                                      */
/* ------------------------------------------------------------------ */

GST_START_TEST (test_classify)
{
  struct
  {
    guint type;
    const gchar *hex;
    gboolean seq, key, enhanced, has_cts;
    gint32 cts;
    gint codec, frame_type, sound;
    guint32 fourcc;
  } v[] = {
    /* AVC sequence header, NALU key (CTS 80), inter (CTS -40), EOS */
    {9, "1700000000 01", TRUE, TRUE, FALSE, FALSE, 0, 7, 1, 1, 0},
    {9, "1701000050 00", FALSE, TRUE, FALSE, TRUE, 80, 7, 1, 2, 0},
    {9, "2701ffffd8 00", FALSE, FALSE, FALSE, TRUE, -40, 7, 2, 2, 0},
    {9, "1702000000", FALSE, TRUE, FALSE, FALSE, 0, 7, 1, 1, 0},
    /* AVC NALU too short for the CTS */
    {9, "270100", FALSE, FALSE, FALSE, FALSE, 0, 7, 2, 2, 0},
    /* HEVC as codec 12 */
    {9, "1c00000000", TRUE, TRUE, FALSE, FALSE, 0, 12, 1, 1, 0},
    {9, "2c01000028", FALSE, FALSE, FALSE, TRUE, 40, 12, 2, 2, 0},
    /* Sorenson H.263, VP6 */
    {9, "22 0000", FALSE, FALSE, FALSE, FALSE, 0, 2, 2, 2, 0},
    {9, "14 00", FALSE, TRUE, FALSE, FALSE, 0, 4, 1, 1, 0},
    /* E-RTMP: hvc1 SequenceStart, CodedFrames CTS 33, CodedFramesX */
    {9, "90 68766331 01", TRUE, TRUE, TRUE, FALSE, 0, -1, 1, 9, 0x68766331},
    {9, "a1 68766331 000021 00", FALSE, FALSE, TRUE, TRUE, 33, -1, 2, 10,
        0x68766331},
    {9, "93 68766331 00", FALSE, TRUE, TRUE, TRUE, 0, -1, 1, 9, 0x68766331},
    /* CodedFrames too short for the CTS */
    {9, "a1 61766331 00", FALSE, FALSE, TRUE, FALSE, 0, -1, 2, 10,
        0x61766331},
    /* av01 SequenceStart / CodedFrames (no CTS), MPEG2TS start */
    {9, "90 61763031 81", TRUE, TRUE, TRUE, FALSE, 0, -1, 1, 9, 0x61763031},
    {9, "91 61763031 12", FALSE, TRUE, TRUE, FALSE, 0, -1, 1, 9, 0x61763031},
    {9, "95 61763031 12", TRUE, TRUE, TRUE, FALSE, 0, -1, 1, 9, 0x61763031},
    /* vvc1 CodedFrames */
    {9, "91 76766331 fffffe", FALSE, TRUE, TRUE, TRUE, -2, -1, 1, 9,
        0x76766331},
    /* Multitrack (6) holding a SequenceStart / CodedFrames; ModEx */
    {9, "96 00 68766331 00", TRUE, TRUE, TRUE, FALSE, 0, -1, 1, 9, 0},
    {9, "96 01 68766331 00", FALSE, TRUE, TRUE, FALSE, 0, -1, 1, 9, 0},
    {9, "96", FALSE, TRUE, TRUE, FALSE, 0, -1, 1, 9, 0},
    {9, "97 00 00 01 68766331", FALSE, TRUE, TRUE, FALSE, 0, -1, 1, 9, 0},
    /* enhanced but too short for a FourCC */
    {9, "90 6876", TRUE, TRUE, TRUE, FALSE, 0, -1, 1, 9, 0},
    /* AAC config / frame, MP3, Speex */
    {8, "af00 1210", TRUE, FALSE, FALSE, FALSE, 0, -1, -1, 10, 0},
    {8, "af01 2110", FALSE, FALSE, FALSE, FALSE, 0, -1, -1, 10, 0},
    {8, "af", FALSE, FALSE, FALSE, FALSE, 0, -1, -1, 10, 0},
    {8, "2f ff", FALSE, FALSE, FALSE, FALSE, 0, -1, -1, 2, 0},
    {8, "b2 00", FALSE, FALSE, FALSE, FALSE, 0, -1, -1, 11, 0},
    /* E-RTMP audio: Opus SequenceStart, CodedFrames, Multitrack, ModEx */
    {8, "90 4f707573", TRUE, FALSE, TRUE, FALSE, 0, -1, -1, 9, 0x4f707573},
    {8, "91 4f707573 00", FALSE, FALSE, TRUE, FALSE, 0, -1, -1, 9,
        0x4f707573},
    {8, "95 00 4f707573", TRUE, FALSE, TRUE, FALSE, 0, -1, -1, 9, 0},
    {8, "95", FALSE, FALSE, TRUE, FALSE, 0, -1, -1, 9, 0},
    {8, "97 00 00 01", FALSE, FALSE, TRUE, FALSE, 0, -1, -1, 9, 0},
    /* empty */
    {9, "", FALSE, FALSE, FALSE, FALSE, 0, -1, -1, -1, 0},
    {8, "", FALSE, FALSE, FALSE, FALSE, 0, -1, -1, -1, 0},
    /* script data is never a sequence header / enhanced */
    {18, "02000a6f6e", FALSE, FALSE, FALSE, FALSE, 0, 2, 0, 0, 0},
  };

  for (guint i = 0; i < G_N_ELEMENTS (v); i++) {
    GstBuffer *b = buf_hex (v[i].hex);
    gint32 cts = 12345;

    fail_unless_equals_int (rtmp_flv_is_sequence_header (v[i].type, b),
        v[i].seq);
    fail_unless_equals_int (rtmp_flv_is_enhanced (v[i].type, b), v[i].enhanced);
    fail_unless_equals_int (rtmp_flv_enhanced_fourcc (v[i].type, b),
        v[i].fourcc);
    if (v[i].type == 9) {
      fail_unless_equals_int (rtmp_flv_is_keyframe (b), v[i].key);
      fail_unless_equals_int (rtmp_flv_video_composition_time (b, &cts),
          v[i].has_cts);
      fail_unless_equals_int (cts, v[i].cts);
      fail_unless_equals_int (rtmp_flv_video_codec_id (b), v[i].codec);
      fail_unless_equals_int (rtmp_flv_video_frame_type (b), v[i].frame_type);
    } else if (v[i].type == 8) {
      fail_unless_equals_int (rtmp_flv_audio_sound_format (b), v[i].sound);
    }
    gst_buffer_unref (b);
  }

  /* NULL payloads */
  fail_if (rtmp_flv_is_sequence_header (9, NULL));
  fail_if (rtmp_flv_is_keyframe (NULL));
  fail_unless_equals_int (rtmp_flv_audio_sound_format (NULL), -1);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Script data                                                         */
/* ------------------------------------------------------------------ */

GST_START_TEST (test_parse_script)
{
  GBytes *flv = test_util_load_fixture ("source.flv");
  gsize size;
  const guint8 *data = g_bytes_get_data (flv, &size);
  GPtrArray *msgs = parse_stepped (data, size, 0);
  RtmpMessage *meta = g_ptr_array_index (msgs, 0);
  GstBuffer *with = rtmp_flv_add_set_data_frame (meta->payload);
  GstBuffer *bodies[2] = { meta->payload, with };
  GError *err = NULL;

  for (guint i = 0; i < 2; i++) {
    gchar *name = NULL;
    RtmpAmfValue *value = NULL;
    gboolean audio = FALSE, video = FALSE;
    gdouble w = 0;

    fail_unless (rtmp_flv_parse_script (bodies[i], NULL, &name, &value,
            &err), "%s", err ? err->message : "");
    fail_unless_equals_string (name, "onMetaData");
    fail_unless (value != NULL);
    fail_unless (rtmp_flv_metadata_has_audio_video (value, &audio, &video));
    fail_unless (audio);
    fail_unless (video);
    fail_unless (rtmp_amf_value_lookup_number (value, "width", &w));
    fail_unless_equals_float (w, 320);
    g_free (name);
    rtmp_amf_value_unref (value);
  }
  gst_buffer_unref (with);

  /* name only, trailing values ignored, custom limits */
  {
    const gchar *ok[] = { "02000a6f6e437565506f696e74",
      "02000a6f6e437565506f696e74 05 05"
    };
    RtmpLimits limits;

    rtmp_limits_init (&limits);
    for (guint i = 0; i < G_N_ELEMENTS (ok); i++) {
      GstBuffer *b = buf_hex (ok[i]);
      gchar *name = NULL;
      RtmpAmfValue *value = NULL;

      fail_unless (rtmp_flv_parse_script (b, &limits, &name, &value, &err));
      fail_unless_equals_string (name, "onCuePoint");
      fail_unless_equals_int (value != NULL, i == 1);
      if (value) {
        fail_unless_equals_int (rtmp_amf_value_get_type (value), RTMP_AMF_NULL);
        rtmp_amf_value_unref (value);
      }
      g_free (name);
      gst_buffer_unref (b);
    }
  }

  /* errors: empty, only @setDataFrame, not a string, truncated */
  {
    const gchar *bad[] = { "",
      "02000d 4073657444617461467261 6d65",
      "00 0000000000000000",
      "02000a 6f6e4d657461",
      "02000a 6f6e4d65746144617461 08 00000001 0001",
    };
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
      GstBuffer *b = buf_hex (bad[i]);
      gchar *name = (gchar *) "x";
      RtmpAmfValue *value = (RtmpAmfValue *) "x";

      fail_if (rtmp_flv_parse_script (b, NULL, &name, &value, &err));
      fail_unless (g_error_matches (err, RTMP_ERROR, RTMP_ERROR_AMF), "%u", i);
      fail_unless (name == NULL && value == NULL);
      g_clear_error (&err);
      gst_buffer_unref (b);
    }
  }

  /* metadata that is not an object; audio-only; video-only */
  {
    gboolean a = TRUE, v = TRUE;
    RtmpAmfValue *n = rtmp_amf_value_new_number (1);
    RtmpAmfValue *o = rtmp_amf_value_new_ecma_array ();

    fail_if (rtmp_flv_metadata_has_audio_video (n, &a, &v));
    fail_if (a || v);
    fail_if (rtmp_flv_metadata_has_audio_video (NULL, &a, &v));
    fail_unless (rtmp_flv_metadata_has_audio_video (o, &a, &v));
    fail_if (a || v);
    rtmp_amf_value_set_boolean (o, "stereo", TRUE);
    fail_unless (rtmp_flv_metadata_has_audio_video (o, &a, &v));
    fail_unless (a && !v);
    rtmp_amf_value_unref (o);
    o = rtmp_amf_value_new_object ();
    rtmp_amf_value_set_number (o, "height", 240);
    fail_unless (rtmp_flv_metadata_has_audio_video (o, &a, NULL));
    fail_unless (rtmp_flv_metadata_has_audio_video (o, NULL, &v));
    fail_unless (!a && v);
    rtmp_amf_value_unref (o);
    rtmp_amf_value_unref (n);
  }

  g_ptr_array_unref (msgs);
  g_bytes_unref (flv);
}

GST_END_TEST;

static Suite *
flv_suite (void)
{
  Suite *s = suite_create ("rtmp-flv");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 240);
  tcase_add_test (tc, test_parse_source_whole);
  tcase_add_test (tc, test_parse_source_bytewise);
  tcase_add_loop_test (tc, test_parse_source_split, 0, split_runs ());
  tcase_add_test (tc, test_parse_zero_copy);
  tcase_add_test (tc, test_round_trip_source);
  tcase_add_test (tc, test_round_trip_extts);
  tcase_add_test (tc, test_header);
  tcase_add_test (tc, test_tag_zero_copy);
  tcase_add_test (tc, test_tag_in_room);
  tcase_add_test (tc, test_tag_types);
  tcase_add_test (tc, test_set_data_frame);
  tcase_add_test (tc, test_aggregate_split);
  tcase_add_test (tc, test_aggregate_malformed);
  tcase_add_test (tc, test_timestamp_extender);
  tcase_add_test (tc, test_parse_malformed);
  tcase_add_test (tc, test_parse_edge_cases);
  tcase_add_test (tc, test_classify);
  tcase_add_test (tc, test_parse_script);
  return s;
}

GST_CHECK_MAIN (flv);
