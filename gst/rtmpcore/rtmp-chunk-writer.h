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

/* Appends the chunks of @msg to @out: the chunk headers of this message
 * live in one small memory, and @out gets, per chunk, a shared slice of
 * that header memory followed by a shared slice of the payload (the
 * payload bytes are never copied). Uses the most compact legal header
 * type per csid; fmt 0 on the first message of a csid, on an msid change
 * and when the timestamp goes backwards; extended timestamps repeated in
 * fmt 3 chunks. */
void rtmp_chunk_writer_write (RtmpChunkWriter * writer,
    const RtmpMessage * msg, GstBuffer * out);

/* Same as rtmp_chunk_writer_write(), but appends one or more buffers to
 * @list so that the payload is shared, never copied, whatever the number
 * of chunks (a GstBuffer holds at most 16 memories; beyond that
 * rtmp_chunk_writer_write() writes the message into one copied memory). */
void rtmp_chunk_writer_write_list (RtmpChunkWriter * writer,
    const RtmpMessage * msg, GstBufferList * list);

/* total bytes produced so far */
guint64 rtmp_chunk_writer_get_bytes_written (const RtmpChunkWriter * writer);

G_END_DECLS

#endif /* __RTMP_CHUNK_WRITER_H__ */
