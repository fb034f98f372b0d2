/* RTMP core: recycled payload memory for received messages.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The chunk reader copies every payload byte once, into memory that then
 * travels downstream inside FLV tag buffers and is freed on a streaming
 * thread. With one malloc() per message glibc serves these from the
 * network thread's arena, trims the arena's top when the blocks come
 * back and faults the pages in again for the next message: at a few
 * thousand messages per second, page faults and sysmalloc() cost more
 * than the copy itself. Blocks here come in power-of-two classes and go
 * back to a free list per class (bounded by RTMP_BLOCK_CACHE_BYTES), so
 * their pages stay mapped and warm.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "rtmp-block.h"

#define MIN_CLASS_SHIFT 10      /* 1 KiB */
#define MAX_CLASS_SHIFT 22      /* 4 MiB = RTMP_BLOCK_MAX_CACHED_SIZE */
#define N_CLASSES (MAX_CLASS_SHIFT - MIN_CLASS_SHIFT + 1)
#define NO_CLASS G_MAXUINT
/* the header in front of the data, rounded to a cache line */
#define HEADER_SIZE ((sizeof (RtmpBlockMemory) + 63) & ~(gsize) 63)

G_STATIC_ASSERT ((1u << MAX_CLASS_SHIFT) == RTMP_BLOCK_MAX_CACHED_SIZE);

typedef struct _RtmpBlockMemory RtmpBlockMemory;

struct _RtmpBlockMemory
{
  GstMemory mem;
  guint8 *data;                 /* start of the block (also in shares) */
  guint cls;                    /* size class, NO_CLASS: not cached */
  gboolean owner;               /* FALSE: shared from a parent block */
  /* rtmp_block_alloc_with_room(): the layout as allocated, and whether the
   * room is still free (atomic) */
  gsize room_offset, room_size;
  gint room;
  RtmpBlockMemory *next;        /* free list link while cached */
};

typedef struct
{
  GstAllocator parent;
} RtmpBlockAllocator;

typedef struct
{
  GstAllocatorClass parent_class;
} RtmpBlockAllocatorClass;

static GType rtmp_block_allocator_get_type (void);
G_DEFINE_TYPE (RtmpBlockAllocator, rtmp_block_allocator, GST_TYPE_ALLOCATOR);

static GMutex cache_lock;
static RtmpBlockMemory *free_lists[N_CLASSES];
static guint cached_blocks;
static gsize cached_bytes;
static GstAllocator *block_allocator;

static guint
size_class (gsize size)
{
  guint shift = MIN_CLASS_SHIFT;

  if (size > RTMP_BLOCK_MAX_CACHED_SIZE)
    return NO_CLASS;
  while (((gsize) 1 << shift) < size)
    shift++;
  return shift - MIN_CLASS_SHIFT;
}

static gsize
class_size (guint cls)
{
  return (gsize) 1 << (cls + MIN_CLASS_SHIFT);
}

static GstAllocator *
get_allocator (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    block_allocator = g_object_new (rtmp_block_allocator_get_type (), NULL);
    gst_object_ref_sink (block_allocator);
    /* lives as long as the process: blocks in the cache reference it */
    GST_OBJECT_FLAG_SET (block_allocator, GST_OBJECT_FLAG_MAY_BE_LEAKED);
    g_once_init_leave (&once, 1);
  }
  return block_allocator;
}

GstMemory *
rtmp_block_alloc (gsize size)
{
  GstAllocator *allocator = get_allocator ();
  RtmpBlockMemory *b = NULL;
  guint cls = size_class (size);
  gsize maxsize;

  if (cls != NO_CLASS) {
    maxsize = class_size (cls);
    g_mutex_lock (&cache_lock);
    b = free_lists[cls];
    if (b) {
      free_lists[cls] = b->next;
      cached_blocks--;
      cached_bytes -= maxsize;
    }
    g_mutex_unlock (&cache_lock);
  } else {
    maxsize = size;
  }

  if (b == NULL) {
    b = g_malloc (HEADER_SIZE + maxsize);
    b->data = (guint8 *) b + HEADER_SIZE;
    b->cls = cls;
  }
  b->owner = TRUE;
  b->next = NULL;
  b->room = FALSE;
  b->room_offset = b->room_size = 0;
  gst_memory_init (GST_MEMORY_CAST (b), 0, allocator, NULL, maxsize, 15, 0,
      size);
  return GST_MEMORY_CAST (b);
}

GstMemory *
rtmp_block_alloc_with_room (gsize size, gsize before, gsize after)
{
  RtmpBlockMemory *b;
  guint cls = size_class (size);

  /* only where the room costs no larger block */
  if (cls == NO_CLASS || before > G_MAXSIZE / 4 || after > G_MAXSIZE / 4
      || class_size (cls) < before + after
      || size > class_size (cls) - before - after)
    return rtmp_block_alloc (size);
  b = (RtmpBlockMemory *) rtmp_block_alloc (size);
  gst_memory_resize (GST_MEMORY_CAST (b), before, size);
  b->room_offset = before;
  b->room_size = size;
  g_atomic_int_set (&b->room, TRUE);
  return GST_MEMORY_CAST (b);
}

guint8 *
rtmp_block_take_room (GstMemory * mem, gsize before, gsize after)
{
  RtmpBlockMemory *b = (RtmpBlockMemory *) mem;

  g_return_val_if_fail (mem != NULL, NULL);
  if (!rtmp_block_is_block (mem) || !b->owner || mem->parent != NULL)
    return NULL;
  if (mem->offset != b->room_offset || mem->size != b->room_size ||
      before > mem->offset || after > mem->maxsize - mem->offset - mem->size)
    return NULL;
  if (!g_atomic_int_compare_and_exchange (&b->room, TRUE, FALSE))
    return NULL;
  return b->data + mem->offset - before;
}

gboolean
rtmp_block_is_block (GstMemory * mem)
{
  g_return_val_if_fail (mem != NULL, FALSE);
  return mem->allocator != NULL && mem->allocator == block_allocator;
}

const guint8 *
rtmp_block_peek (GstMemory * mem)
{
  g_return_val_if_fail (mem != NULL, NULL);
  if (!rtmp_block_is_block (mem))
    return NULL;
  return ((RtmpBlockMemory *) mem)->data + mem->offset;
}

void
rtmp_block_cache_stats (guint * blocks, gsize * bytes)
{
  g_mutex_lock (&cache_lock);
  if (blocks)
    *blocks = cached_blocks;
  if (bytes)
    *bytes = cached_bytes;
  g_mutex_unlock (&cache_lock);
}

/* --- GstAllocator / GstMemory implementation ------------------------------ */

static GstMemory *
block_allocator_alloc (GstAllocator * allocator, gsize size,
    GstAllocationParams * params)
{
  GstMemory *mem;
  gsize total;

  /* only rtmp_block_alloc() is meant to be used; this keeps a generic
   * gst_allocator_alloc() on us correct (prefix and padding honoured) */
  if (params && (params->prefix + params->padding > G_MAXSIZE - size))
    return NULL;
  total = size + (params ? params->prefix + params->padding : 0);
  mem = rtmp_block_alloc (total);
  if (params && params->prefix)
    gst_memory_resize (mem, params->prefix, size);
  return mem;
}

static void
block_allocator_free (GstAllocator * allocator, GstMemory * mem)
{
  RtmpBlockMemory *b = (RtmpBlockMemory *) mem;
  gsize maxsize;

  if (!b->owner) {
    g_free (b);
    return;
  }
  if (b->cls != NO_CLASS) {
    maxsize = class_size (b->cls);
    g_mutex_lock (&cache_lock);
    if (cached_bytes + maxsize <= RTMP_BLOCK_CACHE_BYTES) {
      b->next = free_lists[b->cls];
      free_lists[b->cls] = b;
      cached_blocks++;
      cached_bytes += maxsize;
      b = NULL;
    }
    g_mutex_unlock (&cache_lock);
  }
  g_free (b);
}

static gpointer
block_map (GstMemory * mem, gsize maxsize, GstMapFlags flags)
{
  return ((RtmpBlockMemory *) mem)->data;
}

static void
block_unmap (GstMemory * mem)
{
}

static GstMemory *
block_share (GstMemory * mem, gssize offset, gssize size)
{
  RtmpBlockMemory *b = (RtmpBlockMemory *) mem, *sub;
  GstMemory *parent;

  if (size == -1)
    size = mem->size > (gsize) offset ? mem->size - offset : 0;
  if ((parent = mem->parent) == NULL)
    parent = mem;

  sub = g_new (RtmpBlockMemory, 1);
  sub->data = b->data;
  sub->cls = NO_CLASS;
  sub->owner = FALSE;
  sub->next = NULL;
  gst_memory_init (GST_MEMORY_CAST (sub), GST_MINI_OBJECT_FLAGS (parent) |
      GST_MINI_OBJECT_FLAG_LOCK_READONLY, mem->allocator, parent,
      mem->maxsize, mem->align, mem->offset + offset, size);
  return GST_MEMORY_CAST (sub);
}

static GstMemory *
block_copy (GstMemory * mem, gssize offset, gssize size)
{
  RtmpBlockMemory *b = (RtmpBlockMemory *) mem;
  GstMemory *copy;

  if (size == -1)
    size = mem->size > (gsize) offset ? mem->size - offset : 0;
  copy = rtmp_block_alloc (size);
  memcpy (((RtmpBlockMemory *) copy)->data, b->data + mem->offset + offset,
      size);
  return copy;
}

static gboolean
block_is_span (GstMemory * mem1, GstMemory * mem2, gsize * offset)
{
  RtmpBlockMemory *b1 = (RtmpBlockMemory *) mem1;
  RtmpBlockMemory *b2 = (RtmpBlockMemory *) mem2;

  if (offset)
    *offset = mem1->offset - mem1->parent->offset;
  return b1->data + mem1->offset + mem1->size == b2->data + mem2->offset;
}

static void
rtmp_block_allocator_class_init (RtmpBlockAllocatorClass * klass)
{
  GstAllocatorClass *allocator_class = GST_ALLOCATOR_CLASS (klass);

  allocator_class->alloc = block_allocator_alloc;
  allocator_class->free = block_allocator_free;
}

static void
rtmp_block_allocator_init (RtmpBlockAllocator * self)
{
  GstAllocator *alloc = GST_ALLOCATOR_CAST (self);

  alloc->mem_type = "RtmpBlock";
  alloc->mem_map = block_map;
  alloc->mem_unmap = block_unmap;
  alloc->mem_share = block_share;
  alloc->mem_copy = block_copy;
  alloc->mem_is_span = block_is_span;
  GST_OBJECT_FLAG_SET (self, GST_ALLOCATOR_FLAG_CUSTOM_ALLOC);
}
