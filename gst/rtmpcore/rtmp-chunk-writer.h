/* RTMP core: chunk stream writer (messages in, chunk bytes out).
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMP_CHUNK_WRITER_H__
#define __RTMP_CHUNK_WRITER_H__

#include "rtmp-message.h"

G_BEGIN_DECLS

typedef struct _RtmpChunkWriter RtmpChunkWriter;

RtmpChunkWriter *rtmp_chunk_writer_new (void);
void rtmp_chunk_writer_free (RtmpChunkWriter * writer);

/* The outgoing chunk size (default 128). The caller sends Set Chunk Size
 * itself (rtmp-control) *before* changing it here. */
void rtmp_chunk_writer_set_chunk_size (RtmpChunkWriter * writer,
    guint32 chunk_size);
guint32 rtmp_chunk_writer_get_chunk_size (const RtmpChunkWriter * writer);

/* Appends the chunks of @msg to @out as one memory: a message memory
 * holding the chunk headers and referencing the payload, never copying it
 * (rtmp_chunk_writer_is_message_memory()). Uses the most compact legal
 * header type per csid; fmt 0 on the first message of a csid, on an msid
 * change and when the timestamp goes backwards; extended timestamps
 * repeated in fmt 3 chunks. A message of more than 8192 chunks (tiny
 * chunk sizes) is copied into one plain memory instead. */
void rtmp_chunk_writer_write (RtmpChunkWriter * writer,
    const RtmpMessage * msg, GstBuffer * out);

/* Same as rtmp_chunk_writer_write(), but appends a buffer holding that
 * memory to @list. */
void rtmp_chunk_writer_write_list (RtmpChunkWriter * writer,
    const RtmpMessage * msg, GstBufferList * list);

/* A stretch of a message memory's bytes */
typedef struct
{
  const guint8 *data;
  gsize size;
} RtmpChunkVector;

/* TRUE if @mem is a message memory of the chunk writer. Such a memory is
 * read-only; gst_memory_map() gives a flat copy of its bytes (made on the
 * first map and kept with the memory), for whoever needs them in one
 * piece. Socket writers use rtmp_chunk_writer_message_vectors() instead. */
gboolean rtmp_chunk_writer_is_message_memory (GstMemory * mem);

/* Fills @vecs with up to @max stretches of the visible bytes of the message
 * memory @mem from byte @skip on, in order, without copying: chunk headers
 * and payload slices alternate. Returns how many were filled (0 once @skip
 * reaches the end). */
guint rtmp_chunk_writer_message_vectors (GstMemory * mem, gsize skip,
    RtmpChunkVector * vecs, guint max);

/* total bytes produced so far */
guint64 rtmp_chunk_writer_get_bytes_written (const RtmpChunkWriter * writer);

G_END_DECLS

#endif /* __RTMP_CHUNK_WRITER_H__ */
