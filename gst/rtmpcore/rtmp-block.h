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

/* TRUE if @mem (or the memory it was shared from) came from
 * rtmp_block_alloc(). */
gboolean rtmp_block_is_block (GstMemory * mem);

/* Blocks and bytes in the cache now (for tests). */
void rtmp_block_cache_stats (guint * blocks, gsize * bytes);

G_END_DECLS

#endif /* __RTMP_BLOCK_H__ */
