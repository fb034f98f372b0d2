/* RTMP network layer: the bytes of queued output buffers as vectors.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "rtmp-net-output.h"
#include "rtmp-chunk-writer.h"

#include <string.h>

void
rtmp_net_output_gather (RtmpNetOutput * out, GQueue * queue, gsize skip)
{
  GList *l;

  out->n_vecs = out->n_maps = 0;
  for (l = queue->head; l && out->n_vecs < RTMP_NET_OUTPUT_MAX_VECTORS;
      l = l->next) {
    GstBuffer *buf = l->data;
    guint n = gst_buffer_n_memory (buf), m;

    for (m = 0; m < n && out->n_vecs < RTMP_NET_OUTPUT_MAX_VECTORS; m++) {
      GstMemory *mem = gst_buffer_peek_memory (buf, m);
      GstMapInfo *map;

      if (skip >= mem->size) {
        skip -= mem->size;
        continue;
      }
      if (rtmp_chunk_writer_is_message_memory (mem)) {
        RtmpChunkVector v[RTMP_NET_OUTPUT_MAX_VECTORS];
        guint i, k = rtmp_chunk_writer_message_vectors (mem, skip, v,
            RTMP_NET_OUTPUT_MAX_VECTORS - out->n_vecs);

        for (i = 0; i < k; i++) {
          out->vecs[out->n_vecs].buffer = v[i].data;
          out->vecs[out->n_vecs++].size = v[i].size;
        }
        skip = 0;
        continue;
      }
      map = &out->maps[out->n_maps];
      if (!gst_memory_map (mem, map, GST_MAP_READ)) {
        /* not for system memory; what follows cannot be sent before it */
        GST_ERROR ("cannot map an output memory");
        return;
      }
      out->n_maps++;
      out->vecs[out->n_vecs].buffer = map->data + skip;
      out->vecs[out->n_vecs++].size = map->size - skip;
      skip = 0;
    }
  }
}

void
rtmp_net_output_release (RtmpNetOutput * out)
{
  guint i;

  for (i = 0; i < out->n_maps; i++)
    gst_memory_unmap (out->maps[i].memory, &out->maps[i]);
  out->n_maps = out->n_vecs = 0;
}

gboolean
rtmp_net_output_foreach (GstBuffer * buf, RtmpNetOutputFunc func,
    gpointer user_data, GError ** error)
{
  guint m, n_mem = gst_buffer_n_memory (buf);

  for (m = 0; m < n_mem; m++) {
    GstMemory *mem = gst_buffer_peek_memory (buf, m);
    GstMapInfo map;
    gboolean ok;

    if (rtmp_chunk_writer_is_message_memory (mem)) {
      RtmpChunkVector v[16];
      gsize done = 0;
      guint i, k;

      while ((k = rtmp_chunk_writer_message_vectors (mem, done, v, 16))) {
        for (i = 0; i < k; i++) {
          if (!func (user_data, v[i].data, v[i].size, error))
            return FALSE;
          done += v[i].size;
        }
      }
      continue;
    }
    if (!gst_memory_map (mem, &map, GST_MAP_READ)) {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
          "Cannot map an output memory");
      return FALSE;
    }
    ok = func (user_data, map.data, map.size, error);
    gst_memory_unmap (mem, &map);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

static gboolean
append_bytes (gpointer user_data, const guint8 * data, gsize size,
    GError ** error)
{
  guint8 **dest = user_data;

  memcpy (*dest, data, size);
  *dest += size;
  return TRUE;
}

void
rtmp_net_output_extract (GstBuffer * buf, guint8 * dest)
{
  if (!rtmp_net_output_foreach (buf, append_bytes, &dest, NULL))
    GST_ERROR ("cannot map an output memory");
}
