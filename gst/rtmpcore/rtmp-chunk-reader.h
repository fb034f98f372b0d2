/* RTMP core: chunk stream reader (bytes in, reassembled messages out).
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMP_CHUNK_READER_H__
#define __RTMP_CHUNK_READER_H__

#include "rtmp-message.h"
#include "rtmp-limits.h"

G_BEGIN_DECLS

typedef enum
{
  RTMP_READ_NEED_MORE,          /* all input consumed, no message complete */
  RTMP_READ_MESSAGE,            /* one message complete; more input may remain */
  RTMP_READ_ERROR,              /* error set; the connection must be dropped */
} RtmpReadResult;

typedef struct _RtmpChunkReader RtmpChunkReader;

/* A message that fits in one payload block gets this many free bytes in
 * front of and behind its payload where the block has room for them
 * (rtmp_block_alloc_with_room(): the FLV layer frames the message there,
 * rtmp_block_take_room()) */
#define RTMP_CHUNK_READER_ROOM 16

/* @limits is copied */
RtmpChunkReader *rtmp_chunk_reader_new (const RtmpLimits * limits);
void rtmp_chunk_reader_free (RtmpChunkReader * reader);

/* Consumes bytes from @data (sets @consumed, which may be less than @size
 * only when a message is returned) until one message is complete.
 * Partial headers are kept internally, partial payloads are copied (once)
 * into the message being assembled, so the caller never keeps bytes.
 * Set Chunk Size and Abort are applied by the reader itself (effective
 * for the next chunk) and still returned so the caller can log them.
 * On RTMP_READ_MESSAGE, @msg is filled (caller owns msg->payload). */
RtmpReadResult rtmp_chunk_reader_feed (RtmpChunkReader * reader,
    const guint8 * data, gsize size, gsize * consumed, RtmpMessage * msg,
    GError ** error);

guint32 rtmp_chunk_reader_get_chunk_size (const RtmpChunkReader * reader);
/* total bytes consumed so far (for Acknowledgements), modulo 2^64 */
guint64 rtmp_chunk_reader_get_bytes_read (const RtmpChunkReader * reader);
/* bytes currently held in partially assembled messages */
gsize rtmp_chunk_reader_get_bytes_in_flight (const RtmpChunkReader * reader);

/* Sets the incoming chunk size as if the peer had sent Set Chunk Size
 * (tests, out-of-band agreement); clamped to limits.max_chunk_size. */
void rtmp_chunk_reader_set_chunk_size (RtmpChunkReader * reader,
    guint32 chunk_size);
/* Header type (0-3) of the first chunk of the message last returned */
guint8 rtmp_chunk_reader_get_last_fmt (const RtmpChunkReader * reader);

G_END_DECLS

#endif /* __RTMP_CHUNK_READER_H__ */
