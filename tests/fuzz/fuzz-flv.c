/* Fuzz target: FLV stream parser, RTMP -> FLV tag mapping, aggregates,
 * script data, tag classification and the timestamp extender.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input layout: byte 0 = how to cut the rest into pushed buffers (0: one
 * buffer, n: pieces of n bytes), byte 1 = max DataSize in KiB for the
 * parser (0: default); the rest is an FLV stream (with or without header).
 * Each tag that comes out is mapped back to an FLV tag, which must re-parse
 * to the same tag; it is also classified and (type 18) parsed as script
 * data. The same bytes are then split as an aggregate payload and fed to
 * the timestamp extender. Invariant violations abort().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gst/gst.h>

#include "rtmp-flv.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort (); } while (0)

static gboolean
buffers_equal (GstBuffer * a, GstBuffer * b)
{
  GstMapInfo ma, mb;
  gboolean eq;

  if (gst_buffer_get_size (a) != gst_buffer_get_size (b))
    return FALSE;
  CHECK (gst_buffer_map (a, &ma, GST_MAP_READ));
  CHECK (gst_buffer_map (b, &mb, GST_MAP_READ));
  /* an empty buffer maps to NULL: memcmp must not see it */
  eq = ma.size == 0 || memcmp (ma.data, mb.data, ma.size) == 0;
  gst_buffer_unmap (a, &ma);
  gst_buffer_unmap (b, &mb);
  return eq;
}

static void
classify (const RtmpMessage * m)
{
  gint32 cts = 0;
  gchar *name = NULL;
  RtmpAmfValue *value = NULL;
  GError *err = NULL;

  (void) rtmp_flv_is_sequence_header (m->type, m->payload);
  (void) rtmp_flv_is_keyframe (m->payload);
  (void) rtmp_flv_is_enhanced (m->type, m->payload);
  (void) rtmp_flv_video_codec_id (m->payload);
  (void) rtmp_flv_video_frame_type (m->payload);
  (void) rtmp_flv_audio_sound_format (m->payload);
  (void) rtmp_flv_enhanced_fourcc (m->type, m->payload);
  if (!rtmp_flv_video_composition_time (m->payload, &cts))
    CHECK (cts == 0);
  CHECK (cts >= -0x800000 && cts < 0x800000);

  if (m->type == RTMP_MESSAGE_DATA_AMF0) {
    if (rtmp_flv_parse_script (m->payload, NULL, &name, &value, &err)) {
      gboolean a, v;

      CHECK (name != NULL && err == NULL);
      (void) rtmp_flv_metadata_has_audio_video (value, &a, &v);
      g_free (name);
      if (value)
        rtmp_amf_value_unref (value);
    } else {
      CHECK (err != NULL && name == NULL && value == NULL);
      g_error_free (err);
    }
  }
}

/* tag -> FLV bytes -> parser -> the same tag */
static void
round_trip (const RtmpMessage * m)
{
  GError *err = NULL;
  GstBuffer *tag = rtmp_flv_tag_from_message (m, &err);
  RtmpFlvParser *p;
  RtmpMessage back = { 0, };
  GstBuffer *expected;

  CHECK (tag != NULL && err == NULL);
  expected = (m->type == RTMP_MESSAGE_DATA_AMF0) ?
      rtmp_flv_strip_set_data_frame (m->payload) : gst_buffer_ref (m->payload);
  CHECK (gst_buffer_get_size (tag) == gst_buffer_get_size (expected) + 15);

  p = rtmp_flv_parser_new ();
  rtmp_flv_parser_push (p, tag);
  CHECK (rtmp_flv_parser_pull (p, &back, &err) == RTMP_FLV_PARSE_TAG);
  CHECK (back.type == m->type && back.timestamp == m->timestamp);
  CHECK (buffers_equal (back.payload, expected));
  rtmp_message_clear (&back);
  CHECK (rtmp_flv_parser_pull (p, &back, &err) == RTMP_FLV_PARSE_NEED_MORE);
  rtmp_flv_parser_free (p);

  /* @setDataFrame: when add() added it, strip (add (x)) has x's bytes
   * (x itself may start with a second "@setDataFrame") */
  if (m->type == RTMP_MESSAGE_DATA_AMF0) {
    GstBuffer *with = rtmp_flv_add_set_data_frame (expected);
    GstBuffer *without = rtmp_flv_strip_set_data_frame (with);

    if (with != expected)
      CHECK (buffers_equal (without, expected));
    gst_buffer_unref (without);
    gst_buffer_unref (with);
  }
  gst_buffer_unref (expected);
}

static void
fuzz_parser (const uint8_t * data, size_t size, guint step, guint max_kib)
{
  RtmpFlvParser *p = rtmp_flv_parser_new ();
  GError *err = NULL;
  size_t pos = 0;
  RtmpFlvParseResult r = RTMP_FLV_PARSE_NEED_MORE;
  guint8 flags;

  if (max_kib)
    rtmp_flv_parser_set_max_data_size (p, max_kib * 1024);
  if (step == 0)
    step = size ? size : 1;

  while (pos < size && r != RTMP_FLV_PARSE_ERROR) {
    size_t n = MIN (step, size - pos);

    rtmp_flv_parser_push (p, gst_buffer_new_memdup (data + pos, n));
    pos += n;
    for (;;) {
      RtmpMessage m = { 0, };

      r = rtmp_flv_parser_pull (p, &m, &err);
      if (r != RTMP_FLV_PARSE_TAG)
        break;
      CHECK (m.payload != NULL);
      CHECK (m.type == 8 || m.type == 9 || m.type == 18);
      CHECK (max_kib == 0 || gst_buffer_get_size (m.payload) <= max_kib * 1024);
      classify (&m);
      round_trip (&m);
      rtmp_message_clear (&m);
    }
    if (r == RTMP_FLV_PARSE_ERROR) {
      CHECK (err != NULL);
      g_clear_error (&err);
    }
  }
  (void) rtmp_flv_parser_get_header_flags (p, &flags);
  rtmp_flv_parser_reset (p);
  rtmp_flv_parser_free (p);
}

static void
fuzz_aggregate (const uint8_t * data, size_t size, guint32 ts)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (rtmp_flv_message_free);
  RtmpMessage agg = { 22, 4, 1, ts, NULL };
  GError *err = NULL;

  if (size > 0)
    agg.payload = gst_buffer_new_memdup (data, size);
  if (rtmp_flv_split_aggregate (&agg, out, &err)) {
    CHECK (err == NULL);
    for (guint i = 0; i < out->len; i++) {
      RtmpMessage *m = g_ptr_array_index (out, i);
      GstBuffer *tag;

      CHECK (m->msid == 1 && m->csid == 4);
      if (i == 0)
        CHECK (m->timestamp == ts);
      classify (m);
      tag = rtmp_flv_tag_from_message (m, &err);
      if (tag)
        gst_buffer_unref (tag);
      else
        g_clear_error (&err);
    }
  } else {
    CHECK (err != NULL && out->len == 0);
    g_error_free (err);
  }
  g_ptr_array_unref (out);
  if (agg.payload)
    gst_buffer_unref (agg.payload);
}

static void
fuzz_timestamps (const uint8_t * data, size_t size)
{
  RtmpTimestampExtender ext;

  rtmp_timestamp_extender_init (&ext);
  for (size_t i = 0; i + 4 <= size && i < 4096; i += 4) {
    guint32 ts = ((guint32) data[i] << 24) | ((guint32) data[i + 1] << 16) |
        ((guint32) data[i + 2] << 8) | data[i + 3];
    guint64 v = rtmp_timestamp_extend (&ext, ts);

    CHECK ((guint32) v == ts);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  guint step, max_kib;

  gst_init (NULL, NULL);        /* once; later calls return at once */
  if (size < 2)
    return 0;
  step = data[0];
  max_kib = data[1];
  data += 2;
  size -= 2;

  fuzz_parser (data, size, step, max_kib);
  {
    guint32 ts = 0;

    if (size >= 4)
      memcpy (&ts, data, 4);
    fuzz_aggregate (data, size, ts);
  }
  fuzz_timestamps (data, size);
  return 0;
}
