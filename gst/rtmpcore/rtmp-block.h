/* RTMP core: recycled payload memory for received messages.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMP_BLOCK_H__
#define __RTMP_BLOCK_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* The largest block kept for reuse, and the bytes kept in all (process
 * wide). Larger blocks, or blocks freed while the cache is full, go back
 * to the C library. */
#define RTMP_BLOCK_MAX_CACHED_SIZE (4 * 1024 * 1024)
#define RTMP_BLOCK_CACHE_BYTES (16 * 1024 * 1024)

/* A writable GstMemory of exactly @size bytes (its maxsize is @size
 * rounded up to a power of two, at least 1 KiB). The block returns to a
 * process-wide cache when its last reference (and that of every memory
 * shared from it) goes, on whatever thread that happens, so a steady
 * stream of messages reuses the same few blocks instead of asking the C
 * library for fresh pages per message. Never NULL. */
GstMemory *rtmp_block_alloc (gsize size);

/* The same, with framing room: when @before + @size + @after bytes fit
 * in the block that @size alone would get, the visible bytes start
 * @before bytes into it and @after bytes stay free behind them, for the
 * one who frames the message (the FLV tag header and PreviousTagSize),
 * so that the frame is one memory. Otherwise a plain block. */
GstMemory *rtmp_block_alloc_with_room (gsize size, gsize before,
    gsize after);

/* If @mem is a block from rtmp_block_alloc_with_room() with its room,
 * still laid out as allocated (not resized) and with at least @before /
 * @after bytes of room: takes the room (once: a second call returns NULL)
 * and returns a pointer @before bytes in front of the visible bytes. The
 * caller writes its frame there and behind the visible bytes, and shares
 * the whole with gst_memory_share (mem, -@before, @before + size +
 * @after). NULL otherwise (a share, another allocator, no room). */
guint8 *rtmp_block_take_room (GstMemory * mem, gsize before, gsize after);

/* TRUE if @mem (or the memory it was shared from) came from
 * rtmp_block_alloc(). */
gboolean rtmp_block_is_block (GstMemory * mem);

/* The visible bytes of @mem when it is a block (or a share of one), read
 * without gst_memory_map(): blocks are plain memory whose map does
 * nothing, and their received bytes are never written again. NULL for
 * memory of any other allocator. For peeks on the per-message path, where
 * a map's locking costs more than the bytes read. */
const guint8 *rtmp_block_peek (GstMemory * mem);

/* Blocks and bytes in the cache now (for tests). */
void rtmp_block_cache_stats (guint * blocks, gsize * bytes);

G_END_DECLS

#endif /* __RTMP_BLOCK_H__ */
