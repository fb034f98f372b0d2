/* RTMP core: the resource limits every parser enforces.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMP_LIMITS_H__
#define __RTMP_LIMITS_H__

#include <glib.h>

G_BEGIN_DECLS

/**
 * RtmpLimits:
 *
 * Every bound the core applies to what a peer may make us allocate or do.
 * Exceeding one is an %RTMP_ERROR_LIMIT error that names the field.
 * The defaults (rtmp_limits_init()) are explained in rtmp-limits.c.
 */
typedef struct
{
  guint32 max_message_size;     /* bytes of one reassembled message */
  guint max_chunk_streams;      /* csids with state, per connection */
  guint32 min_chunk_size;       /* smallest Set Chunk Size accepted */
  guint32 max_chunk_size;       /* largest Set Chunk Size honoured as is */
  guint max_amf_depth;          /* nesting of AMF objects/arrays */
  guint max_amf_values;         /* values in one AMF message (incl. nested) */
  gsize max_bytes_in_flight;    /* bytes held in partial messages, all csids */
  guint max_amf3_table;         /* entries per AMF3 reference table */
  guint handshake_timeout_ms;   /* used by the net layer */
  guint idle_timeout_ms;        /* used by the net layer */
} RtmpLimits;

void rtmp_limits_init (RtmpLimits * limits);

G_END_DECLS

#endif /* __RTMP_LIMITS_H__ */
