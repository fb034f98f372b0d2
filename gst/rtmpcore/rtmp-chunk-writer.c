/* RTMP core: chunk stream writer (messages in, chunk bytes out).
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "rtmp-chunk-writer.h"

GST_DEBUG_CATEGORY_STATIC (rtmp_chunk_writer_debug);
#define GST_CAT_DEFAULT rtmp_chunk_writer_debug

#define EXTENDED_TS 0xFFFFFF
#define MAX_MESSAGE_LENGTH 0xFFFFFF
/* GstMemory keeps its share count in 16 bits (gstminiobject.c); stay well
 * below it when sharing one header and one payload memory per chunk */
#define MAX_SHARED_CHUNKS 8192

/* Byte-wise accessors: GST_READ_UINT32_BE and friends do unaligned word
 * accesses on x86, which UBSan (rightly) reports as undefined. */
static inline void
wr_be32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = (v >> 16) & 0xFF;
  p[2] = (v >> 8) & 0xFF;
  p[3] = v & 0xFF;
}

static inline void
wr_le32 (guint8 * p, guint32 v)
{
  p[0] = v & 0xFF;
  p[1] = (v >> 8) & 0xFF;
  p[2] = (v >> 16) & 0xFF;
  p[3] = v >> 24;
}

typedef struct
{
  guint32 timestamp;
  guint32 delta;
  guint32 length;
  guint32 msid;
  guint8 type;
  guint8 last_fmt;
  gboolean extended;
  guint32 ext_value;
} WriterStream;

struct _RtmpChunkWriter
{
  guint32 chunk_size;
  guint64 bytes_written;
  GHashTable *streams;          /* csid -> WriterStream */
};

/* Where the bytes of one chunk are: a header slice and a payload slice */
typedef struct
{
  gsize hdr_off;
  gsize hdr_len;
  gsize pay_off;
  gsize pay_len;
} ChunkSlice;

static void
debug_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtmp_chunk_writer_debug, "rtmpchunkwriter", 0,
        "RTMP chunk stream writer");
    g_once_init_leave (&once, 1);
  }
}

RtmpChunkWriter *
rtmp_chunk_writer_new (void)
{
  RtmpChunkWriter *writer;

  debug_init ();
  writer = g_new0 (RtmpChunkWriter, 1);
  /* RTMP spec 5.4.1: 128 until we announce something else */
  writer->chunk_size = 128;
  writer->streams = g_hash_table_new_full (g_direct_hash, g_direct_equal,
      NULL, g_free);
  return writer;
}

void
rtmp_chunk_writer_free (RtmpChunkWriter * writer)
{
  if (writer == NULL)
    return;
  g_hash_table_unref (writer->streams);
  g_free (writer);
}

void
rtmp_chunk_writer_set_chunk_size (RtmpChunkWriter * writer,
    guint32 chunk_size)
{
  g_return_if_fail (writer != NULL);
  /* RTMP spec 5.4.1: 1..0x7FFFFFFF */
  g_return_if_fail (chunk_size > 0 && chunk_size <= 0x7FFFFFFF);
  writer->chunk_size = chunk_size;
}

guint32
rtmp_chunk_writer_get_chunk_size (const RtmpChunkWriter * writer)
{
  g_return_val_if_fail (writer != NULL, 0);
  return writer->chunk_size;
}

guint64
rtmp_chunk_writer_get_bytes_written (const RtmpChunkWriter * writer)
{
  g_return_val_if_fail (writer != NULL, 0);
  return writer->bytes_written;
}

/* Shortest basic header form, RTMP spec 5.3.1.1 */
static guint
write_basic_header (guint8 * p, guint8 fmt, guint32 csid)
{
  if (csid < 64) {
    p[0] = (fmt << 6) | csid;
    return 1;
  }
  if (csid < 320) {
    p[0] = fmt << 6;
    p[1] = csid - 64;
    return 2;
  }
  p[0] = (fmt << 6) | 1;
  p[1] = (csid - 64) & 0xFF;
  p[2] = (csid - 64) >> 8;
  return 3;
}

static inline void
write_u24 (guint8 * p, guint32 v)
{
  p[0] = (v >> 16) & 0xFF;
  p[1] = (v >> 8) & 0xFF;
  p[2] = v & 0xFF;
}

/* Picks the header type for a new message and updates the csid state,
 * RTMP spec 5.3.1.2. */
static guint8
choose_fmt (WriterStream * ws, gboolean is_new, const RtmpMessage * msg,
    guint32 length, guint32 * field)
{
  guint32 delta = msg->timestamp - ws->timestamp;
  guint8 fmt;

  if (is_new || msg->msid != ws->msid || msg->timestamp < ws->timestamp) {
    fmt = 0;
    *field = msg->timestamp;
    ws->delta = msg->timestamp;
    ws->msid = msg->msid;
  } else if (length != ws->length || msg->type != ws->type) {
    fmt = 1;
    *field = delta;
    ws->delta = delta;
  } else if (delta != ws->delta || ws->last_fmt == 0) {
    /* never fmt 3 right after fmt 0: nginx-rtmp would take the delta as
     * 0 there, the spec as the fmt-0 timestamp (reference §3.5) */
    fmt = 2;
    *field = delta;
    ws->delta = delta;
  } else {
    fmt = 3;
    *field = ws->ext_value;
  }

  if (fmt != 3) {
    ws->extended = *field >= EXTENDED_TS;
    ws->ext_value = *field;
  }
  ws->timestamp = msg->timestamp;
  ws->length = length;
  ws->type = msg->type;
  ws->last_fmt = fmt;
  return fmt;
}

/* Builds the header memory of @msg and the list of chunk slices. */
static GstMemory *
build_chunks (RtmpChunkWriter * writer, const RtmpMessage * msg,
    guint32 length, ChunkSlice ** out_slices, guint * out_n)
{
  WriterStream *ws;
  gboolean is_new = FALSE;
  guint32 field;
  guint8 fmt, bh[3];
  guint bh_len, cont_len, first_len, mh_len;
  guint n, i;
  gsize total, off = 0, pay = 0;
  GstMemory *mem;
  GstMapInfo map;
  ChunkSlice *slices;

  ws = g_hash_table_lookup (writer->streams, GUINT_TO_POINTER (msg->csid));
  if (ws == NULL) {
    ws = g_new0 (WriterStream, 1);
    g_hash_table_insert (writer->streams, GUINT_TO_POINTER (msg->csid), ws);
    is_new = TRUE;
  }
  fmt = choose_fmt (ws, is_new, msg, length, &field);

  n = length == 0 ? 1 : (length - 1) / writer->chunk_size + 1;
  bh_len = write_basic_header (bh, 3, msg->csid);
  mh_len = fmt == 0 ? 11 : fmt == 1 ? 7 : fmt == 2 ? 3 : 0;
  first_len = bh_len + mh_len + (ws->extended ? 4 : 0);
  /* continuation chunks repeat the extended field (ffmpeg, librtmp and
   * rtmp2sink do, nginx reads it by default; reference §3.4) */
  cont_len = bh_len + (ws->extended ? 4 : 0);
  total = first_len + (gsize) (n - 1) * cont_len;

  mem = gst_allocator_alloc (NULL, total, NULL);
  gst_memory_map (mem, &map, GST_MAP_WRITE);
  slices = g_new (ChunkSlice, n);

  for (i = 0; i < n; i++) {
    guint8 *p = map.data + off;
    guint8 f = i == 0 ? fmt : 3;
    guint h = write_basic_header (p, f, msg->csid);

    if (f <= 2)
      write_u24 (p + h, ws->extended ? EXTENDED_TS : field);
    if (f <= 1) {
      write_u24 (p + h + 3, length);
      p[h + 6] = msg->type;
    }
    if (f == 0)
      wr_le32 (p + h + 7, msg->msid);
    h += f == 0 ? 11 : f == 1 ? 7 : f == 2 ? 3 : 0;
    if (ws->extended) {
      wr_be32 (p + h, ws->ext_value);
      h += 4;
    }
    slices[i].hdr_off = off;
    slices[i].hdr_len = h;
    slices[i].pay_off = pay;
    slices[i].pay_len = MIN ((gsize) writer->chunk_size, length - pay);
    off += h;
    pay += slices[i].pay_len;
  }
  gst_memory_unmap (mem, &map);

  GST_LOG (">>> fmt %u csid %u ts %u len %u type %u msid %u, %u chunk(s)%s",
      fmt, msg->csid, msg->timestamp, length, msg->type, msg->msid, n,
      ws->extended ? " (extended)" : "");

  writer->bytes_written += total + length;
  *out_slices = slices;
  *out_n = n;
  return mem;
}

static gboolean
check_message (const RtmpMessage * msg, guint32 * length)
{
  gsize size = msg->payload ? gst_buffer_get_size (msg->payload) : 0;

  g_return_val_if_fail (msg->csid >= RTMP_CSID_MIN
      && msg->csid <= RTMP_CSID_MAX, FALSE);
  g_return_val_if_fail (size <= MAX_MESSAGE_LENGTH, FALSE);
  *length = size;
  return TRUE;
}

/* Number of memories the payload slices of @slices span */
static guint
count_payload_memories (GstBuffer * payload, const ChunkSlice * slices,
    guint n)
{
  guint count = 0;

  for (guint i = 0; i < n; i++) {
    guint idx, len;
    gsize skip;

    if (slices[i].pay_len == 0)
      continue;
    if (!gst_buffer_find_memory (payload, slices[i].pay_off,
            slices[i].pay_len, &idx, &len, &skip))
      return G_MAXUINT;
    count += len;
  }
  return count;
}

/* The whole message in one new memory (one copy of the payload) */
static GstMemory *
write_flat (GstMemory * hdr, const ChunkSlice * slices, guint n,
    const RtmpMessage * msg, guint32 length)
{
  gsize hsize = gst_memory_get_sizes (hdr, NULL, NULL);
  GstMemory *flat = gst_allocator_alloc (NULL, hsize + length, NULL);
  GstMapInfo fmap, hmap;
  gsize off = 0;

  gst_memory_map (flat, &fmap, GST_MAP_WRITE);
  gst_memory_map (hdr, &hmap, GST_MAP_READ);
  for (guint i = 0; i < n; i++) {
    memcpy (fmap.data + off, hmap.data + slices[i].hdr_off,
        slices[i].hdr_len);
    off += slices[i].hdr_len;
    if (slices[i].pay_len > 0) {
      gst_buffer_extract (msg->payload, slices[i].pay_off, fmap.data + off,
          slices[i].pay_len);
      off += slices[i].pay_len;
    }
  }
  gst_memory_unmap (hdr, &hmap);
  gst_memory_unmap (flat, &fmap);
  return flat;
}

/**
 * rtmp_chunk_writer_write:
 *
 * A #GstBuffer holds at most gst_buffer_get_max_memory() (16) memories
 * and merges (copies) everything beyond. When the shared header and
 * payload slices of @msg fit into @out, they are appended as they are;
 * otherwise the whole message is written into one new memory (one copy
 * of the payload). Use rtmp_chunk_writer_write_list() for messages of
 * many chunks to keep them copy-free.
 */
void
rtmp_chunk_writer_write (RtmpChunkWriter * writer, const RtmpMessage * msg,
    GstBuffer * out)
{
  ChunkSlice *slices;
  GstMemory *hdr;
  guint32 length;
  guint n, needed;

  g_return_if_fail (writer != NULL);
  g_return_if_fail (msg != NULL);
  g_return_if_fail (GST_IS_BUFFER (out));
  if (!check_message (msg, &length))
    return;

  hdr = build_chunks (writer, msg, length, &slices, &n);
  needed = n;
  if (length > 0) {
    guint pm = count_payload_memories (msg->payload, slices, n);
    needed = pm == G_MAXUINT ? G_MAXUINT : needed + pm;
  }

  if (needed != G_MAXUINT && gst_buffer_n_memory (out) + needed <=
      gst_buffer_get_max_memory ()) {
    for (guint i = 0; i < n; i++) {
      gst_buffer_append_memory (out, gst_memory_share (hdr,
              slices[i].hdr_off, slices[i].hdr_len));
      if (slices[i].pay_len > 0)
        gst_buffer_copy_into (out, msg->payload, GST_BUFFER_COPY_MEMORY,
            slices[i].pay_off, slices[i].pay_len);
    }
  } else {
    GST_DEBUG ("message of %u bytes in %u chunks does not fit in %u "
        "memories: copying", length, n, gst_buffer_get_max_memory ());
    gst_buffer_append_memory (out, write_flat (hdr, slices, n, msg, length));
  }

  gst_memory_unref (hdr);
  g_free (slices);
}

/**
 * rtmp_chunk_writer_write_list:
 *
 * Like rtmp_chunk_writer_write() but appends buffers to @list, each
 * holding the shared header and payload slices of as many chunks as fit
 * in one buffer, so that the payload is never copied whatever the number
 * of chunks.
 */
void
rtmp_chunk_writer_write_list (RtmpChunkWriter * writer,
    const RtmpMessage * msg, GstBufferList * list)
{
  ChunkSlice *slices;
  GstMemory *hdr;
  GstBuffer *cur = NULL;
  guint32 length;
  guint n;
  guint max_mem = gst_buffer_get_max_memory ();

  g_return_if_fail (writer != NULL);
  g_return_if_fail (msg != NULL);
  g_return_if_fail (GST_IS_BUFFER_LIST (list));
  if (!check_message (msg, &length))
    return;

  hdr = build_chunks (writer, msg, length, &slices, &n);
  if (n > MAX_SHARED_CHUNKS) {
    /* GstMemory counts shares in 16 bits: tiny chunk sizes (e.g. 1) on big
     * messages cannot be expressed as shared slices; copy once instead */
    cur = gst_buffer_new ();
    gst_buffer_append_memory (cur, write_flat (hdr, slices, n, msg, length));
    gst_buffer_list_add (list, cur);
    gst_memory_unref (hdr);
    g_free (slices);
    return;
  }
  for (guint i = 0; i < n; i++) {
    guint need = 1;

    if (slices[i].pay_len > 0) {
      guint pm = count_payload_memories (msg->payload, slices + i, 1);
      need += pm;
    }
    if (cur && gst_buffer_n_memory (cur) + need > max_mem) {
      gst_buffer_list_add (list, cur);
      cur = NULL;
    }
    if (cur == NULL)
      cur = gst_buffer_new ();
    gst_buffer_append_memory (cur, gst_memory_share (hdr,
            slices[i].hdr_off, slices[i].hdr_len));
    if (slices[i].pay_len > 0)
      gst_buffer_copy_into (cur, msg->payload, GST_BUFFER_COPY_MEMORY,
          slices[i].pay_off, slices[i].pay_len);
  }
  if (cur)
    gst_buffer_list_add (list, cur);

  gst_memory_unref (hdr);
  g_free (slices);
}
