/* RTMP network layer: the bytes of queued output buffers as vectors.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMP_NET_OUTPUT_H__
#define __RTMP_NET_OUTPUT_H__

#include <gio/gio.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define RTMP_NET_OUTPUT_MAX_VECTORS 128

/* The vectors of one vectored write, and the maps they need */
typedef struct
{
  GOutputVector vecs[RTMP_NET_OUTPUT_MAX_VECTORS];
  guint n_vecs;
  GstMapInfo maps[RTMP_NET_OUTPUT_MAX_VECTORS];
  guint n_maps;
} RtmpNetOutput;

/* Gathers the bytes of the buffers queued in @queue (GstBuffer *), from
 * byte @skip of the first one on, into at most RTMP_NET_OUTPUT_MAX_VECTORS
 * vectors. The chunk writer's message memories give their headers and
 * payload slices as they are (no map, no copy); other memories are
 * read-mapped until rtmp_net_output_release(). */
void rtmp_net_output_gather (RtmpNetOutput * out, GQueue * queue, gsize skip);

/* Unmaps what rtmp_net_output_gather() mapped (after the write). */
void rtmp_net_output_release (RtmpNetOutput * out);

typedef gboolean (*RtmpNetOutputFunc) (gpointer user_data,
    const guint8 * data, gsize size, GError ** error);

/* Calls @func on the bytes of @buf in order, stretch by stretch, without
 * copying message memories (for the TLS writers). Stops at the first
 * FALSE, which it returns with @func's error. */
gboolean rtmp_net_output_foreach (GstBuffer * buf, RtmpNetOutputFunc func,
    gpointer user_data, GError ** error);

/* Copies all bytes of @buf to @dest (gst_buffer_get_size() of them),
 * message memories without their flat copy. */
void rtmp_net_output_extract (GstBuffer * buf, guint8 * dest);

G_END_DECLS

#endif /* __RTMP_NET_OUTPUT_H__ */
