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
/* Messages of more chunks (tiny chunk sizes on big messages) are copied
 * once into one flat memory instead: two vectors per chunk would cost more
 * than the copy */
#define MAX_VECTOR_CHUNKS 8192

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
  /* the current message's chunk headers and slices, reused */
  guint8 *hdr;
  gsize hdr_alloc;
  struct _ChunkSlice *slices;
  guint slices_alloc;
};

/* Where the bytes of one chunk are: a header slice and a payload slice */
typedef struct _ChunkSlice
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
  g_free (writer->hdr);
  g_free (writer->slices);
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

/* Builds the chunk headers of @msg (writer->hdr, returns their size) and
 * the list of chunk slices (writer->slices, @out_n of them). */
static gsize
build_chunks (RtmpChunkWriter * writer, const RtmpMessage * msg,
    guint32 length, guint * out_n)
{
  WriterStream *ws;
  gboolean is_new = FALSE;
  guint32 field;
  guint8 fmt, bh[3];
  guint bh_len, cont_len, first_len, mh_len;
  guint n, i;
  gsize total, off = 0, pay = 0;
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

  if (writer->hdr_alloc < total) {
    writer->hdr_alloc = MAX (total, 2 * writer->hdr_alloc);
    writer->hdr = g_realloc (writer->hdr, writer->hdr_alloc);
  }
  if (writer->slices_alloc < n) {
    writer->slices_alloc = MAX (n, 2 * writer->slices_alloc);
    writer->slices = g_renew (ChunkSlice, writer->slices,
        writer->slices_alloc);
  }
  slices = writer->slices;

  for (i = 0; i < n; i++) {
    guint8 *p = writer->hdr + off;
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

  GST_LOG (">>> fmt %u csid %u ts %u len %u type %u msid %u, %u chunk(s)%s",
      fmt, msg->csid, msg->timestamp, length, msg->type, msg->msid, n,
      ws->extended ? " (extended)" : "");

  writer->bytes_written += total + length;
  *out_n = n;
  return total;
}

/* --- message memory -------------------------------------------------------
 *
 * One GstMemory per chunked message: the chunk headers (in the memory's own
 * allocation) interleaved with slices of the payload, which stays where it
 * is (its memories are referenced and mapped for the memory's life). One
 * allocation per message whatever the number of chunks, where shares cost
 * two GstMemory objects, two locks and two maps per chunk. Socket writers
 * take its bytes as vectors; a plain gst_memory_map() gets a flat copy
 * made on the first map. */

typedef struct
{
  GstMemory mem;
  GstBuffer *payload;           /* (nullable) kept for its memories */
  GstMapInfo *maps;             /* one per payload memory, read-mapped */
  guint n_maps;
  RtmpChunkVector *vecs;        /* the message's bytes, in order */
  guint n_vecs;
  gpointer flat;                /* (atomic) the flat copy, once mapped */
} MessageMemory;

typedef struct
{
  GstAllocator parent;
} MessageAllocator;

typedef struct
{
  GstAllocatorClass parent_class;
} MessageAllocatorClass;

static GType message_allocator_get_type (void);
G_DEFINE_TYPE (MessageAllocator, message_allocator, GST_TYPE_ALLOCATOR);

static GstAllocator *message_allocator;

static GstAllocator *
get_message_allocator (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    message_allocator = g_object_new (message_allocator_get_type (), NULL);
    gst_object_ref_sink (message_allocator);
    GST_OBJECT_FLAG_SET (message_allocator, GST_OBJECT_FLAG_MAY_BE_LEAKED);
    g_once_init_leave (&once, 1);
  }
  return message_allocator;
}

/* Copies the bytes of @m into @dest (maxsize bytes) */
static void
message_flatten (MessageMemory * m, guint8 * dest)
{
  for (guint i = 0; i < m->n_vecs; i++) {
    memcpy (dest, m->vecs[i].data, m->vecs[i].size);
    dest += m->vecs[i].size;
  }
}

static gpointer
message_map (GstMemory * mem, gsize maxsize, GstMapFlags flags)
{
  MessageMemory *m = (MessageMemory *) mem;
  guint8 *flat = g_atomic_pointer_get (&m->flat);

  if (flags & GST_MAP_WRITE)
    return NULL;
  if (flat == NULL) {
    flat = g_malloc (MAX (mem->maxsize, 1));
    message_flatten (m, flat);
    if (!g_atomic_pointer_compare_and_exchange (&m->flat, NULL, flat)) {
      g_free (flat);
      flat = g_atomic_pointer_get (&m->flat);
    }
  }
  return flat;
}

static void
message_unmap (GstMemory * mem)
{
}

static GstMemory *
message_copy (GstMemory * mem, gssize offset, gssize size)
{
  GstMemory *copy;
  GstMapInfo map;

  if (size == -1)
    size = mem->size > (gsize) offset ? mem->size - offset : 0;
  copy = gst_allocator_alloc (NULL, size, NULL);
  if (!gst_memory_map (mem, &map, GST_MAP_READ)) {
    gst_memory_unref (copy);
    return NULL;
  }
  {
    GstMapInfo cmap;

    if (gst_memory_map (copy, &cmap, GST_MAP_WRITE)) {
      memcpy (cmap.data, map.data + offset, size);
      gst_memory_unmap (copy, &cmap);
    }
  }
  gst_memory_unmap (mem, &map);
  return copy;
}

static gboolean
message_is_span (GstMemory * mem1, GstMemory * mem2, gsize * offset)
{
  return FALSE;
}

static GstMemory *
message_alloc (GstAllocator * allocator, gsize size,
    GstAllocationParams * params)
{
  /* only made by the chunk writer */
  return NULL;
}

static void
message_free (GstAllocator * allocator, GstMemory * mem)
{
  MessageMemory *m = (MessageMemory *) mem;

  for (guint i = 0; i < m->n_maps; i++)
    gst_memory_unmap (m->maps[i].memory, &m->maps[i]);
  if (m->payload)
    gst_buffer_unref (m->payload);
  g_free (m->flat);
  g_free (m);
}

static void
message_allocator_class_init (MessageAllocatorClass * klass)
{
  GstAllocatorClass *allocator_class = GST_ALLOCATOR_CLASS (klass);

  allocator_class->alloc = message_alloc;
  allocator_class->free = message_free;
}

static void
message_allocator_init (MessageAllocator * self)
{
  GstAllocator *alloc = GST_ALLOCATOR_CAST (self);

  alloc->mem_type = "RtmpChunkedMessage";
  alloc->mem_map = message_map;
  alloc->mem_unmap = message_unmap;
  alloc->mem_copy = message_copy;
  alloc->mem_is_span = message_is_span;
  GST_OBJECT_FLAG_SET (self, GST_ALLOCATOR_FLAG_CUSTOM_ALLOC);
}

gboolean
rtmp_chunk_writer_is_message_memory (GstMemory * mem)
{
  g_return_val_if_fail (mem != NULL, FALSE);
  return message_allocator != NULL && mem->allocator == message_allocator;
}

guint
rtmp_chunk_writer_message_vectors (GstMemory * mem, gsize skip,
    RtmpChunkVector * vecs, guint max)
{
  MessageMemory *m = (MessageMemory *) mem;
  gsize start, left;
  guint i, n = 0;

  g_return_val_if_fail (rtmp_chunk_writer_is_message_memory (mem), 0);
  if (skip >= mem->size)
    return 0;
  start = mem->offset + skip;
  left = mem->size - skip;
  for (i = 0; i < m->n_vecs && n < max && left > 0; i++) {
    gsize size = m->vecs[i].size;

    if (start >= size) {
      start -= size;
      continue;
    }
    vecs[n].data = m->vecs[i].data + start;
    vecs[n].size = MIN (size - start, left);
    left -= vecs[n].size;
    start = 0;
    n++;
  }
  return n;
}

/* The message memory of @msg (chunk headers in @hdr), or NULL when a
 * payload memory does not map */
static GstMemory *
message_memory_new (const guint8 * hdr, gsize hdr_size,
    const ChunkSlice * slices, guint n, const RtmpMessage * msg,
    guint32 length)
{
  guint n_maps = length > 0 ? gst_buffer_n_memory (msg->payload) : 0;
  guint max_vecs = 2 * n + n_maps, i, m = 0;
  gsize mem_off = 0;            /* payload offset of maps[m] */
  MessageMemory *mm;
  guint8 *headers;

  /* one allocation: the struct, the maps, the vectors, the headers */
  mm = g_malloc (sizeof (MessageMemory) + n_maps * sizeof (GstMapInfo) +
      max_vecs * sizeof (RtmpChunkVector) + hdr_size);
  mm->maps = (GstMapInfo *) (mm + 1);
  mm->vecs = (RtmpChunkVector *) (mm->maps + n_maps);
  headers = (guint8 *) (mm->vecs + max_vecs);
  memcpy (headers, hdr, hdr_size);
  mm->payload = NULL;
  mm->flat = NULL;
  mm->n_vecs = 0;

  for (mm->n_maps = 0; mm->n_maps < n_maps; mm->n_maps++) {
    if (!gst_memory_map (gst_buffer_peek_memory (msg->payload, mm->n_maps),
            &mm->maps[mm->n_maps], GST_MAP_READ)) {
      for (i = 0; i < mm->n_maps; i++)
        gst_memory_unmap (mm->maps[i].memory, &mm->maps[i]);
      g_free (mm);
      return NULL;
    }
  }
  if (n_maps > 0)
    mm->payload = gst_buffer_ref (msg->payload);

  for (i = 0; i < n; i++) {
    gsize pay = slices[i].pay_off, left = slices[i].pay_len;

    mm->vecs[mm->n_vecs].data = headers + slices[i].hdr_off;
    mm->vecs[mm->n_vecs++].size = slices[i].hdr_len;
    while (left > 0 && m < n_maps) {
      gsize msize = mm->maps[m].size, in = pay - mem_off, take;

      if (in >= msize) {
        mem_off += msize;
        m++;
        continue;
      }
      take = MIN (left, msize - in);
      mm->vecs[mm->n_vecs].data = mm->maps[m].data + in;
      mm->vecs[mm->n_vecs++].size = take;
      pay += take;
      left -= take;
    }
  }
  g_assert (mm->n_vecs <= max_vecs);

  gst_memory_init (GST_MEMORY_CAST (mm), GST_MINI_OBJECT_FLAG_LOCK_READONLY
      | GST_MEMORY_FLAG_NO_SHARE, get_message_allocator (), NULL,
      hdr_size + length, 0, 0, hdr_size + length);
  return GST_MEMORY_CAST (mm);
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

/* The whole message in one new memory (one copy of the payload) */
static GstMemory *
write_flat (const guint8 * hdr, gsize hdr_size, const ChunkSlice * slices,
    guint n, const RtmpMessage * msg, guint32 length)
{
  GstMemory *flat = gst_allocator_alloc (NULL, hdr_size + length, NULL);
  GstMapInfo fmap;
  gsize off = 0;

  gst_memory_map (flat, &fmap, GST_MAP_WRITE);
  for (guint i = 0; i < n; i++) {
    memcpy (fmap.data + off, hdr + slices[i].hdr_off, slices[i].hdr_len);
    off += slices[i].hdr_len;
    if (slices[i].pay_len > 0) {
      gst_buffer_extract (msg->payload, slices[i].pay_off, fmap.data + off,
          slices[i].pay_len);
      off += slices[i].pay_len;
    }
  }
  gst_memory_unmap (flat, &fmap);
  return flat;
}

/* The chunks of @msg as one memory */
static GstMemory *
write_message (RtmpChunkWriter * writer, const RtmpMessage * msg)
{
  GstMemory *mem = NULL;
  guint32 length;
  gsize hdr_size;
  guint n;

  if (!check_message (msg, &length))
    return NULL;
  hdr_size = build_chunks (writer, msg, length, &n);
  if (n <= MAX_VECTOR_CHUNKS)
    mem = message_memory_new (writer->hdr, hdr_size, writer->slices, n, msg,
        length);
  if (mem == NULL) {
    GST_DEBUG ("message of %u bytes in %u chunks: copying", length, n);
    mem = write_flat (writer->hdr, hdr_size, writer->slices, n, msg, length);
  }
  if (writer->slices_alloc > MAX_VECTOR_CHUNKS) {
    /* kept for the next message only up to the usual sizes */
    g_clear_pointer (&writer->slices, g_free);
    g_clear_pointer (&writer->hdr, g_free);
    writer->slices_alloc = 0;
    writer->hdr_alloc = 0;
  }
  return mem;
}

/**
 * rtmp_chunk_writer_write:
 *
 * Appends one memory holding the chunks of @msg to @out (see the header).
 */
void
rtmp_chunk_writer_write (RtmpChunkWriter * writer, const RtmpMessage * msg,
    GstBuffer * out)
{
  GstMemory *mem;

  g_return_if_fail (writer != NULL);
  g_return_if_fail (msg != NULL);
  g_return_if_fail (GST_IS_BUFFER (out));
  if ((mem = write_message (writer, msg)))
    gst_buffer_append_memory (out, mem);
}

/**
 * rtmp_chunk_writer_write_list:
 *
 * Appends one buffer with the chunks of @msg to @list.
 */
void
rtmp_chunk_writer_write_list (RtmpChunkWriter * writer,
    const RtmpMessage * msg, GstBufferList * list)
{
  GstMemory *mem;

  g_return_if_fail (writer != NULL);
  g_return_if_fail (msg != NULL);
  g_return_if_fail (GST_IS_BUFFER_LIST (list));
  if ((mem = write_message (writer, msg))) {
    GstBuffer *buf = gst_buffer_new ();

    gst_buffer_append_memory (buf, mem);
    gst_buffer_list_add (list, buf);
  }
}
