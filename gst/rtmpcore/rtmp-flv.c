/* RTMP core: RTMP message <-> FLV tag mapping, FLV parsing, timestamps.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmp-flv.h"
#include "rtmp-block.h"

#include <string.h>
#include <gst/base/gstadapter.h>

#include "rtmp-amf0.h"

GST_DEBUG_CATEGORY_STATIC (rtmp_flv_debug);
#define GST_CAT_DEFAULT rtmp_flv_debug

static void
debug_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (rtmp_flv_debug, "rtmpflv", 0,
        "RTMP <-> FLV mapping");
    g_once_init_leave (&done, 1);
  }
}

/* AMF0 string values as they appear at the start of data bodies:
 * marker 0x02, u16 length, bytes (reference §7, §9.8). */
static const guint8 set_data_frame_amf0[16] = {
  0x02, 0x00, 0x0d, '@', 's', 'e', 't', 'D', 'a', 't', 'a', 'F', 'r', 'a',
  'm', 'e'
};

static const guint8 on_meta_data_amf0[13] = {
  0x02, 0x00, 0x0a, 'o', 'n', 'M', 'e', 't', 'a', 'D', 'a', 't', 'a'
};

/* AMF0 marker that switches to AMF3 (reference §7) */
#define AMF0_AVMPLUS_MARKER 0x11

/* E-RTMP FourCCs with a composition time (reference §12.1) */
#define FOURCC_AVC1 0x61766331
#define FOURCC_HVC1 0x68766331
#define FOURCC_VVC1 0x76766331

/* E-RTMP packet types (reference §12.1, 12.2) */
#define VIDEO_PACKET_SEQUENCE_START 0
#define VIDEO_PACKET_CODED_FRAMES 1
#define VIDEO_PACKET_CODED_FRAMES_X 3
#define VIDEO_PACKET_MPEG2TS_SEQUENCE_START 5
#define VIDEO_PACKET_MULTITRACK 6
#define VIDEO_PACKET_MODEX 7
#define AUDIO_PACKET_SEQUENCE_START 0
#define AUDIO_PACKET_MULTITRACK 5
#define AUDIO_PACKET_MODEX 7

static inline guint32
read_u24 (const guint8 * p)
{
  return ((guint32) p[0] << 16) | ((guint32) p[1] << 8) | p[2];
}

static inline guint32
read_u32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | p[3];
}

static inline gint32
read_si24 (const guint8 * p)
{
  gint32 v = (gint32) read_u24 (p);

  if (v & 0x800000)
    v -= 0x1000000;
  return v;
}

static inline void
write_u24 (guint8 * p, guint32 v)
{
  p[0] = (v >> 16) & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = v & 0xff;
}

static inline void
write_u32 (guint8 * p, guint32 v)
{
  p[0] = (v >> 24) & 0xff;
  p[1] = (v >> 16) & 0xff;
  p[2] = (v >> 8) & 0xff;
  p[3] = v & 0xff;
}

static gsize
payload_size (GstBuffer * payload)
{
  return payload ? gst_buffer_get_size (payload) : 0;
}

/* Copies up to @n leading bytes of @payload into @out; returns how many. */
static gsize
peek (GstBuffer * payload, guint8 * out, gsize n)
{
  GstMemory *mem;
  const guint8 *data;
  guint n_mem;

  if (payload == NULL || (n_mem = gst_buffer_n_memory (payload)) == 0)
    return 0;
  /* the chunk reader's payloads: read in place, no map (a few bytes per
   * message, several times: gst_buffer_extract()'s locking was ~10 % of
   * the ingest path's instructions) */
  mem = gst_buffer_peek_memory (payload, 0);
  if ((mem->size >= n || n_mem == 1) && (data = rtmp_block_peek (mem))) {
    n = MIN (n, mem->size);
    memcpy (out, data, n);
    return n;
  }
  return gst_buffer_extract (payload, 0, out, n);
}

static gboolean
buffer_has_prefix (GstBuffer * buf, gsize offset, const guint8 * prefix,
    gsize len)
{
  gsize size = payload_size (buf);

  if (size < offset || size - offset < len)
    return FALSE;
  return gst_buffer_memcmp (buf, offset, prefix, len) == 0;
}

static GstMemory *
memory_new_filled (const guint8 * data, gsize size)
{
  GstMemory *mem = gst_allocator_alloc (NULL, size, NULL);
  GstMapInfo map;

  if (!gst_memory_map (mem, &map, GST_MAP_WRITE))
    g_assert_not_reached ();    /* system memory always maps */
  memcpy (map.data, data, size);
  gst_memory_unmap (mem, &map);
  return mem;
}

/* Appends shares of @src[offset, offset + size) to @dest (no copy). */
static void
append_shared (GstBuffer * dest, GstBuffer * src, gsize offset, gsize size)
{
  if (size == 0)
    return;
  if (!gst_buffer_copy_into (dest, src, GST_BUFFER_COPY_MEMORY, offset, size))
    g_assert_not_reached ();    /* offset/size checked by the callers */
}

/* A payload that is one whole block with framing room (the chunk
 * reader's, rtmp_block_alloc_with_room()): the tag header and the
 * PreviousTagSize go in front of and behind it in the same block, and the
 * tag is one memory instead of three. With @take and a payload that is
 * only ours (the buffer and its memory writable), the payload buffer
 * itself becomes the tag, grown over the room: no new buffer or memory.
 * NULL (nothing done) otherwise. */
static GstBuffer *
frame_in_room (RtmpMessage * msg, gboolean take, gsize offset,
    gsize body_size, const guint8 * hdr, const guint8 * pts)
{
  GstBuffer *payload = msg->payload, *tag;
  GstMemory *mem;
  guint8 *room;
  gboolean in_place;

  if (offset != 0 || payload == NULL || gst_buffer_n_memory (payload) != 1)
    return NULL;
  mem = gst_buffer_peek_memory (payload, 0);
  if (mem->size != body_size)
    return NULL;
  in_place = take && gst_buffer_is_writable (payload)
      && gst_memory_is_writable (mem);
  room = rtmp_block_take_room (mem, RTMP_FLV_TAG_HEADER_SIZE,
      RTMP_FLV_PREVIOUS_TAG_SIZE_SIZE);
  if (room == NULL)
    return NULL;
  memcpy (room, hdr, RTMP_FLV_TAG_HEADER_SIZE);
  memcpy (room + RTMP_FLV_TAG_HEADER_SIZE + body_size, pts,
      RTMP_FLV_PREVIOUS_TAG_SIZE_SIZE);
  if (in_place) {
    tag = payload;
    msg->payload = NULL;
    gst_buffer_resize (tag, -(gssize) RTMP_FLV_TAG_HEADER_SIZE,
        RTMP_FLV_TAG_HEADER_SIZE + body_size + RTMP_FLV_PREVIOUS_TAG_SIZE_SIZE);
    return tag;
  }
  tag = gst_buffer_new ();
  gst_buffer_append_memory (tag, gst_memory_share (mem,
          -(gssize) RTMP_FLV_TAG_HEADER_SIZE, RTMP_FLV_TAG_HEADER_SIZE +
          body_size + RTMP_FLV_PREVIOUS_TAG_SIZE_SIZE));
  return tag;
}

/* ------------------------------------------------------------------ */
/* Src side                                                            */
/* ------------------------------------------------------------------ */

/**
 * rtmp_flv_header_new:
 *
 * The FLV file header (reference §10.1) followed by PreviousTagSize0.
 */
GstBuffer *
rtmp_flv_header_new (gboolean has_audio, gboolean has_video)
{
  guint8 data[RTMP_FLV_HEADER_SIZE + RTMP_FLV_PREVIOUS_TAG_SIZE_SIZE] = {
    'F', 'L', 'V', 0x01, 0x00, 0x00, 0x00, 0x00, RTMP_FLV_HEADER_SIZE,
    0x00, 0x00, 0x00, 0x00
  };
  GstBuffer *buf = gst_buffer_new ();

  data[4] = (has_audio ? RTMP_FLV_FLAG_AUDIO : 0) |
      (has_video ? RTMP_FLV_FLAG_VIDEO : 0);
  gst_buffer_append_memory (buf, memory_new_filled (data, sizeof (data)));
  return buf;
}

static GstBuffer *tag_from_message (RtmpMessage * msg, gboolean take,
    GError ** error);

GstBuffer *
rtmp_flv_tag_from_message (const RtmpMessage * msg, GError ** error)
{
  g_return_val_if_fail (msg != NULL, NULL);
  /* without @take, @msg is not modified */
  return tag_from_message ((RtmpMessage *) msg, FALSE, error);
}

GstBuffer *
rtmp_flv_tag_take_message (RtmpMessage * msg, GError ** error)
{
  g_return_val_if_fail (msg != NULL, NULL);
  return tag_from_message (msg, TRUE, error);
}

static GstBuffer *
tag_from_message (RtmpMessage * msg, gboolean take, GError ** error)
{
  gsize size, offset = 0, body_size;
  guint8 tag_type;
  guint8 hdr[RTMP_FLV_TAG_HEADER_SIZE];
  guint8 pts[RTMP_FLV_PREVIOUS_TAG_SIZE_SIZE];
  guint8 head[2] = { 0, 0 };
  GstBuffer *tag;

  debug_init ();

  size = payload_size (msg->payload);

  switch (msg->type) {
    case RTMP_MESSAGE_AUDIO:
    case RTMP_MESSAGE_VIDEO:
      tag_type = msg->type;
      break;
    case RTMP_MESSAGE_DATA_AMF3:
      /* Type 15 = format byte 0 + AMF0 values, possibly switching to AMF3
       * (reference §6); FLV script tags (type 18) must be AMF0. */
      if (peek (msg->payload, head, 2) < 2)
        goto amf3_too_short;
      if (head[0] != 0)
        goto amf3_bad_format;
      if (head[1] == AMF0_AVMPLUS_MARKER)
        goto amf3_not_amf0;
      offset = 1;
      tag_type = RTMP_FLV_TAG_SCRIPT;
      break;
    case RTMP_MESSAGE_DATA_AMF0:
      tag_type = RTMP_FLV_TAG_SCRIPT;
      break;
    default:
      goto no_mapping;
  }

  /* Reference §9.8, §11: the server strips "@setDataFrame" (ffmpeg and
   * librtmp add it to the FLV onMetaData they publish). */
  if (tag_type == RTMP_FLV_TAG_SCRIPT && buffer_has_prefix (msg->payload,
          offset, set_data_frame_amf0, sizeof (set_data_frame_amf0)))
    offset += sizeof (set_data_frame_amf0);

  body_size = size - offset;
  if (body_size > RTMP_FLV_MAX_DATA_SIZE)
    goto too_large;

  hdr[0] = tag_type;
  write_u24 (hdr + 1, (guint32) body_size);
  write_u24 (hdr + 4, msg->timestamp & 0xffffff);
  hdr[7] = (msg->timestamp >> 24) & 0xff;
  write_u24 (hdr + 8, 0);
  write_u32 (pts, (guint32) (body_size + RTMP_FLV_TAG_HEADER_SIZE));

  tag = frame_in_room (msg, take, offset, body_size, hdr, pts);
  if (tag == NULL) {
    tag = gst_buffer_new ();
    gst_buffer_append_memory (tag, memory_new_filled (hdr, sizeof (hdr)));
    append_shared (tag, msg->payload, offset, body_size);
    gst_buffer_append_memory (tag, memory_new_filled (pts, sizeof (pts)));
  }

  GST_LOG ("tag type %u ts %u size %" G_GSIZE_FORMAT " (message type %u, "
      "%" G_GSIZE_FORMAT " bytes dropped)", tag_type, msg->timestamp,
      body_size, msg->type, offset);
  return tag;

  /* ERRORS */
no_mapping:
  {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_FLV,
        "RTMP message type %u (%s) has no FLV tag mapping", msg->type,
        rtmp_message_type_get_name (msg->type));
    return NULL;
  }
amf3_too_short:
  {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_FLV,
        "AMF3 data message of %" G_GSIZE_FORMAT " bytes has no body", size);
    return NULL;
  }
amf3_bad_format:
  {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_FLV,
        "AMF3 data message with format byte %u (expected 0)", head[0]);
    return NULL;
  }
amf3_not_amf0:
  {
    g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_FLV,
        "AMF3-encoded data message cannot become an FLV script tag");
    return NULL;
  }
too_large:
  {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_FLV,
        "message body of %" G_GSIZE_FORMAT " bytes exceeds the FLV DataSize "
        "maximum %u", body_size, RTMP_FLV_MAX_DATA_SIZE);
    return NULL;
  }
}

void
rtmp_flv_message_free (gpointer msg)
{
  if (msg == NULL)
    return;
  rtmp_message_clear (msg);
  g_free (msg);
}

static gboolean
aggregate_type_ok (guint type)
{
  switch (type) {
    case RTMP_MESSAGE_AUDIO:
    case RTMP_MESSAGE_VIDEO:
    case RTMP_MESSAGE_DATA_AMF3:
    case RTMP_MESSAGE_DATA_AMF0:
      return TRUE;
    default:
      return FALSE;
  }
}

gboolean
rtmp_flv_split_aggregate (const RtmpMessage * agg, GPtrArray * out_messages,
    GError ** error)
{
  GstMapInfo map = GST_MAP_INFO_INIT;
  GPtrArray *subs;
  gsize pos = 0;
  guint32 offset = 0;
  gboolean first = TRUE;
  guint8 bad_type = 0;
  guint32 bad_len = 0;

  g_return_val_if_fail (agg != NULL, FALSE);
  g_return_val_if_fail (out_messages != NULL, FALSE);
  debug_init ();

  if (payload_size (agg->payload) == 0)
    return TRUE;
  if (!gst_buffer_map (agg->payload, &map, GST_MAP_READ))
    goto map_failed;

  subs = g_ptr_array_new_with_free_func (rtmp_flv_message_free);

  /* Reference §6.3: records back to back, each an FLV tag + back pointer */
  while (pos < map.size) {
    const guint8 *p = map.data + pos;
    gsize left = map.size - pos;
    guint32 len, ts, back;
    RtmpMessage *sub;

    if (left < RTMP_FLV_TAG_HEADER_SIZE)
      goto truncated_header;
    bad_type = p[0];
    if (!aggregate_type_ok (p[0]))
      goto bad_type;
    len = read_u24 (p + 1);
    bad_len = len;
    if (len > left - RTMP_FLV_TAG_HEADER_SIZE ||
        left - RTMP_FLV_TAG_HEADER_SIZE - len < RTMP_FLV_PREVIOUS_TAG_SIZE_SIZE)
      goto truncated_record;
    ts = read_u24 (p + 4) | ((guint32) p[7] << 24);
    back = read_u32 (p + RTMP_FLV_TAG_HEADER_SIZE + len);
    if (back != len + RTMP_FLV_TAG_HEADER_SIZE)
      GST_DEBUG ("aggregate record %u: back pointer %u, expected %u "
          "(tolerated)", subs->len, back, len + RTMP_FLV_TAG_HEADER_SIZE);

    if (first) {
      offset = agg->timestamp - ts;     /* modulo 2^32 */
      first = FALSE;
    }

    sub = g_new0 (RtmpMessage, 1);
    sub->type = p[0];
    sub->csid = agg->csid;
    sub->msid = agg->msid;
    sub->timestamp = ts + offset;
    sub->payload = gst_buffer_copy_region (agg->payload,
        GST_BUFFER_COPY_MEMORY, pos + RTMP_FLV_TAG_HEADER_SIZE, len);
    g_ptr_array_add (subs, sub);

    GST_LOG ("aggregate record %u: type %u, ts %u -> %u, %u bytes",
        subs->len - 1, sub->type, ts, sub->timestamp, len);
    pos += RTMP_FLV_TAG_HEADER_SIZE + (gsize) len +
        RTMP_FLV_PREVIOUS_TAG_SIZE_SIZE;
  }

  gst_buffer_unmap (agg->payload, &map);
  for (guint i = 0; i < subs->len; i++)
    g_ptr_array_add (out_messages, g_ptr_array_index (subs, i));
  g_ptr_array_set_free_func (subs, NULL);
  g_ptr_array_unref (subs);
  return TRUE;

  /* ERRORS */
map_failed:
  {
    g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_FLV,
        "cannot map aggregate payload");
    return FALSE;
  }
truncated_header:
  {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_FLV,
        "aggregate record %u at offset %" G_GSIZE_FORMAT ": only %"
        G_GSIZE_FORMAT " bytes left for an 11-byte header", subs->len, pos,
        map.size - pos);
    goto fail;
  }
bad_type:
  {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_FLV,
        "aggregate record %u at offset %" G_GSIZE_FORMAT ": message type %u "
        "not allowed in an aggregate", subs->len, pos, bad_type);
    goto fail;
  }
truncated_record:
  {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_FLV,
        "aggregate record %u at offset %" G_GSIZE_FORMAT ": length %u + "
        "header + back pointer exceeds the %" G_GSIZE_FORMAT
        " bytes left", subs->len, pos, bad_len, map.size - pos);
    goto fail;
  }
fail:
  {
    gst_buffer_unmap (agg->payload, &map);
    g_ptr_array_unref (subs);
    return FALSE;
  }
}

GstBuffer *
rtmp_flv_strip_set_data_frame (GstBuffer * body)
{
  g_return_val_if_fail (GST_IS_BUFFER (body), NULL);

  if (!buffer_has_prefix (body, 0, set_data_frame_amf0,
          sizeof (set_data_frame_amf0)))
    return gst_buffer_ref (body);
  return gst_buffer_copy_region (body, GST_BUFFER_COPY_MEMORY,
      sizeof (set_data_frame_amf0), -1);
}

GstBuffer *
rtmp_flv_add_set_data_frame (GstBuffer * script_body)
{
  GstBuffer *out;

  g_return_val_if_fail (GST_IS_BUFFER (script_body), NULL);

  /* ffmpeg (rtmpproto.c) and librtmp (RTMP_Write) only prefix onMetaData;
   * other script tags (onCuePoint, ...) go out as they are. */
  if (!buffer_has_prefix (script_body, 0, on_meta_data_amf0,
          sizeof (on_meta_data_amf0)))
    return gst_buffer_ref (script_body);

  out = gst_buffer_new ();
  gst_buffer_append_memory (out,
      gst_memory_new_wrapped (GST_MEMORY_FLAG_READONLY,
          (gpointer) set_data_frame_amf0, sizeof (set_data_frame_amf0), 0,
          sizeof (set_data_frame_amf0), NULL, NULL));
  append_shared (out, script_body, 0, gst_buffer_get_size (script_body));
  return out;
}

/* ------------------------------------------------------------------ */
/* Classification                                                      */
/* ------------------------------------------------------------------ */

#define PEEK_MAX 8

gboolean
rtmp_flv_is_sequence_header (guint type, GstBuffer * payload)
{
  guint8 d[PEEK_MAX];
  gsize n = peek (payload, d, sizeof (d));

  if (n < 1)
    return FALSE;

  if (type == RTMP_MESSAGE_VIDEO) {
    if (d[0] & 0x80) {
      /* E-RTMP (reference §12.1); Multitrack carries the real packet type
       * in the low nibble of the next byte (§12.3) */
      guint pkt = d[0] & 0x0f;

      if (pkt == VIDEO_PACKET_MULTITRACK) {
        if (n < 2)
          return FALSE;
        pkt = d[1] & 0x0f;
      }
      return pkt == VIDEO_PACKET_SEQUENCE_START ||
          pkt == VIDEO_PACKET_MPEG2TS_SEQUENCE_START;
    } else {
      guint codec = d[0] & 0x0f;

      return (codec == RTMP_FLV_VIDEO_CODEC_AVC ||
          codec == RTMP_FLV_VIDEO_CODEC_HEVC) && n >= 2 && d[1] == 0;
    }
  } else if (type == RTMP_MESSAGE_AUDIO) {
    guint fmt = d[0] >> 4;

    if (fmt == RTMP_FLV_SOUND_FORMAT_AAC)
      return n >= 2 && d[1] == 0;
    if (fmt == RTMP_FLV_SOUND_FORMAT_EX_HEADER) {
      guint pkt = d[0] & 0x0f;

      if (pkt == AUDIO_PACKET_MULTITRACK) {
        if (n < 2)
          return FALSE;
        pkt = d[1] & 0x0f;
      }
      return pkt == AUDIO_PACKET_SEQUENCE_START;
    }
  }
  return FALSE;
}

gint
rtmp_flv_video_frame_type (GstBuffer * payload)
{
  guint8 b;

  if (peek (payload, &b, 1) < 1)
    return -1;
  if (b & 0x80)
    return (b >> 4) & 0x07;
  return b >> 4;
}

gboolean
rtmp_flv_is_keyframe (GstBuffer * payload)
{
  return rtmp_flv_video_frame_type (payload) == 1;
}

gboolean
rtmp_flv_is_enhanced (guint type, GstBuffer * payload)
{
  guint8 b;

  if (peek (payload, &b, 1) < 1)
    return FALSE;
  if (type == RTMP_MESSAGE_VIDEO)
    return (b & 0x80) != 0;
  if (type == RTMP_MESSAGE_AUDIO)
    return (b >> 4) == RTMP_FLV_SOUND_FORMAT_EX_HEADER;
  return FALSE;
}

gint
rtmp_flv_video_codec_id (GstBuffer * payload)
{
  guint8 b;

  if (peek (payload, &b, 1) < 1 || (b & 0x80))
    return -1;
  return b & 0x0f;
}

gint
rtmp_flv_audio_sound_format (GstBuffer * payload)
{
  guint8 b;

  if (peek (payload, &b, 1) < 1)
    return -1;
  return b >> 4;
}

guint32
rtmp_flv_enhanced_fourcc (guint type, GstBuffer * payload)
{
  guint8 d[5];
  guint pkt;

  if (!rtmp_flv_is_enhanced (type, payload))
    return 0;
  if (peek (payload, d, sizeof (d)) < sizeof (d))
    return 0;
  pkt = d[0] & 0x0f;
  if (type == RTMP_MESSAGE_VIDEO && (pkt == VIDEO_PACKET_MULTITRACK ||
          pkt == VIDEO_PACKET_MODEX))
    return 0;
  if (type == RTMP_MESSAGE_AUDIO && (pkt == AUDIO_PACKET_MULTITRACK ||
          pkt == AUDIO_PACKET_MODEX))
    return 0;
  return read_u32 (d + 1);
}

gboolean
rtmp_flv_video_composition_time (GstBuffer * payload, gint32 * cts)
{
  guint8 d[PEEK_MAX];
  gsize n = peek (payload, d, sizeof (d));

  g_return_val_if_fail (cts != NULL, FALSE);
  *cts = 0;

  if (n < 1)
    return FALSE;

  if (d[0] & 0x80) {
    /* E-RTMP (reference §12.1): only avc1/hvc1/vvc1 carry an SI24 */
    guint pkt = d[0] & 0x0f;
    guint32 fourcc;

    if (n < 5)
      return FALSE;
    fourcc = read_u32 (d + 1);
    if (fourcc != FOURCC_AVC1 && fourcc != FOURCC_HVC1 && fourcc != FOURCC_VVC1)
      return FALSE;
    if (pkt == VIDEO_PACKET_CODED_FRAMES_X)
      return TRUE;
    if (pkt != VIDEO_PACKET_CODED_FRAMES || n < 8)
      return FALSE;
    *cts = read_si24 (d + 5);
    return TRUE;
  } else {
    /* Legacy AVC, and HEVC as codec 12 (CDN convention, reference §10.4) */
    guint codec = d[0] & 0x0f;

    if ((codec != RTMP_FLV_VIDEO_CODEC_AVC &&
            codec != RTMP_FLV_VIDEO_CODEC_HEVC) || n < 5 || d[1] != 1)
      return FALSE;
    *cts = read_si24 (d + 2);
    return TRUE;
  }
}

/* ------------------------------------------------------------------ */
/* Script data                                                         */
/* ------------------------------------------------------------------ */

gboolean
rtmp_flv_parse_script (GstBuffer * payload, const RtmpLimits * limits,
    gchar ** name, RtmpAmfValue ** value, GError ** error)
{
  RtmpLimits default_limits;
  GstMapInfo map;
  gsize off = 0, consumed = 0;
  RtmpAmfValue *name_value = NULL, *val = NULL;
  const gchar *str;
  gsize len = 0;

  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);
  debug_init ();

  *name = NULL;
  *value = NULL;

  if (limits == NULL) {
    rtmp_limits_init (&default_limits);
    limits = &default_limits;
  }

  if (payload_size (payload) == 0)
    goto empty;
  if (!gst_buffer_map (payload, &map, GST_MAP_READ))
    goto map_failed;

  if (map.size >= sizeof (set_data_frame_amf0) &&
      memcmp (map.data, set_data_frame_amf0, sizeof (set_data_frame_amf0)) == 0)
    off = sizeof (set_data_frame_amf0);
  if (off == map.size)
    goto only_set_data_frame;

  name_value = rtmp_amf0_parse (map.data + off, map.size - off, &consumed,
      limits, error);
  if (name_value == NULL)
    goto fail;
  if (rtmp_amf_value_get_type (name_value) != RTMP_AMF_STRING)
    goto not_a_string;
  off += consumed;

  if (off < map.size) {
    val = rtmp_amf0_parse (map.data + off, map.size - off, &consumed,
        limits, error);
    if (val == NULL)
      goto fail;
  }

  str = rtmp_amf_value_get_string (name_value, &len);
  *name = g_strndup (str, len);
  *value = val;
  rtmp_amf_value_unref (name_value);
  gst_buffer_unmap (payload, &map);
  return TRUE;

  /* ERRORS */
empty:
  {
    g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_AMF,
        "empty script data");
    return FALSE;
  }
map_failed:
  {
    g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_AMF,
        "cannot map script data");
    return FALSE;
  }
only_set_data_frame:
  {
    g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_AMF,
        "script data holds only \"@setDataFrame\"");
    goto fail;
  }
not_a_string:
  {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_AMF,
        "script data starts with an AMF %s, not a string (method name)",
        rtmp_amf_type_get_name (rtmp_amf_value_get_type (name_value)));
    goto fail;
  }
fail:
  {
    if (name_value)
      rtmp_amf_value_unref (name_value);
    gst_buffer_unmap (payload, &map);
    return FALSE;
  }
}

static gboolean
has_any_key (const RtmpAmfValue * meta, const gchar * const *keys)
{
  for (guint i = 0; keys[i]; i++)
    if (rtmp_amf_value_lookup (meta, keys[i]) != NULL)
      return TRUE;
  return FALSE;
}

gboolean
rtmp_flv_metadata_has_audio_video (const RtmpAmfValue * meta,
    gboolean * audio, gboolean * video)
{
  /* onMetaData keys, reference §10.5 */
  static const gchar *const audio_keys[] = { "audiocodecid",
    "audiosamplerate", "audiosamplesize", "stereo", "audiodatarate", NULL
  };
  static const gchar *const video_keys[] = { "videocodecid", "width",
    "height", "framerate", "videodatarate", NULL
  };
  gboolean a = FALSE, v = FALSE, ret = FALSE;

  if (meta != NULL) {
    switch (rtmp_amf_value_get_type (meta)) {
      case RTMP_AMF_OBJECT:
      case RTMP_AMF_ECMA_ARRAY:
      case RTMP_AMF_TYPED_OBJECT:
        a = has_any_key (meta, audio_keys);
        v = has_any_key (meta, video_keys);
        ret = TRUE;
        break;
      default:
        break;
    }
  }
  if (audio)
    *audio = a;
  if (video)
    *video = v;
  return ret;
}

/* ------------------------------------------------------------------ */
/* Timestamps                                                          */
/* ------------------------------------------------------------------ */

void
rtmp_timestamp_extender_init (RtmpTimestampExtender * ext)
{
  g_return_if_fail (ext != NULL);
  ext->last = 0;
  ext->have_last = FALSE;
}

guint64
rtmp_timestamp_extend (RtmpTimestampExtender * ext, guint32 ts)
{
  guint32 step;
  guint64 out;

  g_return_val_if_fail (ext != NULL, ts);

  if (!ext->have_last) {
    ext->have_last = TRUE;
    ext->last = ts;
    return ts;
  }

  /* Reference §3.5: arithmetic modulo 2^32; a step back of more than 2^31
   * is read as a wrap forward. */
  step = ts - (guint32) ext->last;
  if (step <= 0x80000000u) {
    out = ext->last + step;
  } else {
    guint64 back = (guint64) 0x100000000ull - step;

    if (back > ext->last)
      out = ts;                 /* would go below 0: take the raw value */
    else
      out = ext->last - back;
  }
  ext->last = out;
  return out;
}

/* ------------------------------------------------------------------ */
/* FLV stream parser (sink side)                                       */
/* ------------------------------------------------------------------ */

typedef enum
{
  PARSER_BOUNDARY,              /* a tag or an FLV header comes next */
  PARSER_SKIP_HEADER,           /* bytes between 9 and the data offset */
  PARSER_PREVIOUS_TAG_SIZE0,
  PARSER_ERROR,
} ParserState;

struct _RtmpFlvParser
{
  GstAdapter *adapter;
  ParserState state;
  guint32 skip;
  guint32 max_data_size;
  gboolean have_header;
  guint8 header_flags;
  guint64 n_tags;
  GError *error;                /* sticky error (state PARSER_ERROR) */
};

RtmpFlvParser *
rtmp_flv_parser_new (void)
{
  RtmpFlvParser *p = g_new0 (RtmpFlvParser, 1);

  debug_init ();
  p->adapter = gst_adapter_new ();
  p->max_data_size = RTMP_FLV_MAX_DATA_SIZE;
  p->state = PARSER_BOUNDARY;
  return p;
}

void
rtmp_flv_parser_free (RtmpFlvParser * parser)
{
  if (parser == NULL)
    return;
  g_object_unref (parser->adapter);
  g_clear_error (&parser->error);
  g_free (parser);
}

void
rtmp_flv_parser_set_max_data_size (RtmpFlvParser * parser,
    guint32 max_data_size)
{
  g_return_if_fail (parser != NULL);
  parser->max_data_size = MIN (max_data_size, RTMP_FLV_MAX_DATA_SIZE);
}

void
rtmp_flv_parser_push (RtmpFlvParser * parser, GstBuffer * buf)
{
  g_return_if_fail (parser != NULL);
  g_return_if_fail (GST_IS_BUFFER (buf));

  if (parser->state == PARSER_ERROR) {
    gst_buffer_unref (buf);
    return;
  }
  gst_adapter_push (parser->adapter, buf);
}

void
rtmp_flv_parser_reset (RtmpFlvParser * parser)
{
  g_return_if_fail (parser != NULL);
  gst_adapter_clear (parser->adapter);
  g_clear_error (&parser->error);
  parser->state = PARSER_BOUNDARY;
  parser->skip = 0;
  parser->have_header = FALSE;
  parser->header_flags = 0;
  parser->n_tags = 0;
}

gboolean
rtmp_flv_parser_get_header_flags (RtmpFlvParser * parser, guint8 * flags)
{
  g_return_val_if_fail (parser != NULL, FALSE);
  if (parser->have_header && flags)
    *flags = parser->header_flags;
  return parser->have_header;
}

static RtmpFlvParseResult parser_fail (RtmpFlvParser * parser,
    GError ** error, const gchar * format, ...) G_GNUC_PRINTF (3, 4);

/* Sets the sticky error; always RTMP_ERROR_FLV. */
static RtmpFlvParseResult
parser_fail (RtmpFlvParser * parser, GError ** error, const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  parser->error = g_error_new_valist (RTMP_ERROR, RTMP_ERROR_FLV, format, args);
  va_end (args);
  parser->state = PARSER_ERROR;
  gst_adapter_clear (parser->adapter);
  GST_DEBUG ("FLV error: %s", parser->error->message);
  g_propagate_error (error, g_error_copy (parser->error));
  return RTMP_FLV_PARSE_ERROR;
}

/* At a boundary starting with 'F': the FLV header (reference §10.1). */
static RtmpFlvParseResult
parse_header (RtmpFlvParser * parser, gsize avail, GError ** error)
{
  static const guint8 sig[4] = { 'F', 'L', 'V', 0x01 };
  guint8 h[RTMP_FLV_HEADER_SIZE];
  gsize n = MIN (avail, sizeof (h));
  guint32 data_offset;

  gst_adapter_copy (parser->adapter, h, 0, n);
  /* Fail as soon as the signature or version is wrong */
  if (memcmp (h, sig, MIN (n, 3)) != 0)
    return parser_fail (parser, error, "bad FLV signature %02x %02x %02x",
        h[0], n > 1 ? h[1] : 0, n > 2 ? h[2] : 0);
  if (n >= 4 && h[3] != 0x01)
    return parser_fail (parser, error, "unsupported FLV version %u", h[3]);
  if (n < sizeof (h))
    return RTMP_FLV_PARSE_NEED_MORE;

  data_offset = read_u32 (h + 5);
  if (data_offset < RTMP_FLV_HEADER_SIZE)
    return parser_fail (parser, error, "FLV data offset %u is below the "
        "header size %u", data_offset, RTMP_FLV_HEADER_SIZE);
  if (data_offset - RTMP_FLV_HEADER_SIZE > RTMP_FLV_MAX_DATA_SIZE)
    return parser_fail (parser, error, "FLV data offset %u is implausibly "
        "large", data_offset);
  /* flvmux writes only bits 0 and 2; others are tolerated (§10.1) */
  if (h[4] & ~(RTMP_FLV_FLAG_AUDIO | RTMP_FLV_FLAG_VIDEO))
    GST_DEBUG ("FLV header flags 0x%02x have reserved bits set", h[4]);

  GST_DEBUG ("FLV header: flags 0x%02x, data offset %u", h[4], data_offset);
  parser->have_header = TRUE;
  parser->header_flags = h[4];
  gst_adapter_flush (parser->adapter, sizeof (h));
  parser->skip = data_offset - RTMP_FLV_HEADER_SIZE;
  parser->state = PARSER_SKIP_HEADER;
  return RTMP_FLV_PARSE_NEED_MORE;      /* caller loops */
}

static RtmpFlvParseResult
parse_tag (RtmpFlvParser * parser, gsize avail, RtmpMessage * msg,
    GError ** error)
{
  guint8 h[RTMP_FLV_TAG_HEADER_SIZE];
  guint8 pts[RTMP_FLV_PREVIOUS_TAG_SIZE_SIZE];
  guint type;
  guint32 data_size, timestamp, prev;
  GstBuffer *body;

  if (avail < sizeof (h))
    return RTMP_FLV_PARSE_NEED_MORE;
  gst_adapter_copy (parser->adapter, h, 0, sizeof (h));

  /* Tag header, reference §10.2 */
  if (h[0] & 0xc0)
    return parser_fail (parser, error, "FLV tag %" G_GUINT64_FORMAT
        ": reserved bits set in tag type byte 0x%02x", parser->n_tags, h[0]);
  if (h[0] & 0x20)
    return parser_fail (parser, error, "FLV tag %" G_GUINT64_FORMAT
        ": Filter bit set (encrypted tags are not supported)", parser->n_tags);
  type = h[0] & 0x1f;
  if (type != RTMP_FLV_TAG_AUDIO && type != RTMP_FLV_TAG_VIDEO &&
      type != RTMP_FLV_TAG_SCRIPT)
    return parser_fail (parser, error, "FLV tag %" G_GUINT64_FORMAT
        ": unknown tag type %u", parser->n_tags, type);
  data_size = read_u24 (h + 1);
  if (data_size > parser->max_data_size)
    return parser_fail (parser, error, "FLV tag %" G_GUINT64_FORMAT
        ": DataSize %u exceeds max-data-size %u", parser->n_tags, data_size,
        parser->max_data_size);
  timestamp = read_u24 (h + 4) | ((guint32) h[7] << 24);

  if (avail - sizeof (h) < (gsize) data_size + sizeof (pts))
    return RTMP_FLV_PARSE_NEED_MORE;

  if (read_u24 (h + 8) != 0)
    GST_DEBUG ("FLV tag %" G_GUINT64_FORMAT ": StreamID %u (should be 0)",
        parser->n_tags, read_u24 (h + 8));

  gst_adapter_flush (parser->adapter, sizeof (h));
  if (data_size > 0)
    /* a sub-buffer, no copy, when the body lies within one input buffer */
    body = gst_adapter_take_buffer_fast (parser->adapter, data_size);
  else
    body = gst_buffer_new ();
  gst_adapter_copy (parser->adapter, pts, 0, sizeof (pts));
  gst_adapter_flush (parser->adapter, sizeof (pts));

  prev = read_u32 (pts);
  if (prev != data_size + RTMP_FLV_TAG_HEADER_SIZE)
    GST_DEBUG ("FLV tag %" G_GUINT64_FORMAT ": PreviousTagSize %u, expected "
        "%u (tolerated)", parser->n_tags, prev,
        data_size + RTMP_FLV_TAG_HEADER_SIZE);

  msg->type = type;
  msg->timestamp = timestamp;
  msg->msid = 0;
  switch (type) {
    case RTMP_FLV_TAG_AUDIO:
      msg->csid = RTMP_CSID_AUDIO;
      break;
    case RTMP_FLV_TAG_VIDEO:
      msg->csid = RTMP_CSID_VIDEO;
      break;
    default:
      msg->csid = RTMP_CSID_DATA;
      break;
  }
  msg->payload = body;

  GST_LOG ("FLV tag %" G_GUINT64_FORMAT ": type %u, ts %u, %u bytes",
      parser->n_tags, type, timestamp, data_size);
  parser->n_tags++;
  return RTMP_FLV_PARSE_TAG;
}

RtmpFlvParseResult
rtmp_flv_parser_pull (RtmpFlvParser * parser, RtmpMessage * msg,
    GError ** error)
{
  g_return_val_if_fail (parser != NULL, RTMP_FLV_PARSE_ERROR);
  g_return_val_if_fail (msg != NULL, RTMP_FLV_PARSE_ERROR);

  for (;;) {
    gsize avail = gst_adapter_available (parser->adapter);

    switch (parser->state) {
      case PARSER_ERROR:
        g_propagate_error (error, g_error_copy (parser->error));
        return RTMP_FLV_PARSE_ERROR;
      case PARSER_BOUNDARY:{
        guint8 first;
        RtmpFlvParseResult res;

        if (avail < 1)
          return RTMP_FLV_PARSE_NEED_MORE;
        gst_adapter_copy (parser->adapter, &first, 0, 1);
        /* 'F' (0x46) has reserved tag-type bits set, so it can only start
         * a header: flvmux sends it at the start (streamheader buffers),
         * possibly again later. */
        if (first == 'F') {
          res = parse_header (parser, avail, error);
          if (parser->state == PARSER_BOUNDARY || res == RTMP_FLV_PARSE_ERROR)
            return res;
          continue;
        }
        return parse_tag (parser, avail, msg, error);
      }
      case PARSER_SKIP_HEADER:{
        gsize n = MIN (avail, parser->skip);

        if (n > 0)
          gst_adapter_flush (parser->adapter, n);
        parser->skip -= n;
        if (parser->skip > 0)
          return RTMP_FLV_PARSE_NEED_MORE;
        parser->state = PARSER_PREVIOUS_TAG_SIZE0;
        continue;
      }
      case PARSER_PREVIOUS_TAG_SIZE0:{
        guint8 pts[RTMP_FLV_PREVIOUS_TAG_SIZE_SIZE];
        guint32 v;

        if (avail < sizeof (pts))
          return RTMP_FLV_PARSE_NEED_MORE;
        gst_adapter_copy (parser->adapter, pts, 0, sizeof (pts));
        gst_adapter_flush (parser->adapter, sizeof (pts));
        v = read_u32 (pts);
        if (v != 0)
          GST_DEBUG ("PreviousTagSize0 is %u, expected 0 (tolerated)", v);
        parser->state = PARSER_BOUNDARY;
        continue;
      }
    }
  }
}
