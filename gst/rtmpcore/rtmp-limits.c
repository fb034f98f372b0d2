/* RTMP core: the resource limits every parser enforces.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmp-limits.h"

/**
 * rtmp_limits_init:
 * @limits: the struct to fill with the defaults
 *
 * The defaults must let every real encoder through while keeping what a
 * hostile peer can make us hold small.
 */
void
rtmp_limits_init (RtmpLimits * limits)
{
  /* A 4K H.264/HEVC key frame at high bitrates is a few MB; 16 MiB - 1 is
   * also the largest length the 24-bit header field can express, so the
   * default accepts every message the protocol allows. Lower it to protect
   * small boxes. */
  limits->max_message_size = 0xFFFFFF;
  /* Publishers use 3-5 csids (ffmpeg 2,3,4,6,8; rtmp2sink 2-6; nginx push
   * 2,3,5,6,7). nginx-rtmp allows 32 by default; we allow twice that. */
  limits->max_chunk_streams = 64;
  /* RFC-style spec allows 1; the cost of tiny chunks is CPU, bounded by the
   * idle timeout and the bytes-in-flight limit, so we accept them. */
  limits->min_chunk_size = 1;
  /* Sizes above the largest message length are equivalent to it (spec
   * 5.4.1: "0x7FFFFFFF" allowed, no message exceeds 0xFFFFFF). */
  limits->max_chunk_size = 0xFFFFFF;
  /* Commands nest objects 2-3 deep; onMetaData with E-RTMP maps 4. */
  limits->max_amf_depth = 32;
  /* onMetaData carries ~20 keys; connect ~10. */
  limits->max_amf_values = 65536;
  /* Partial messages across all csids: two concurrent maximal messages. */
  limits->max_bytes_in_flight = 2 * 0x1000000;
  /* AMF3 reference tables: nothing in RTMP commands comes close. */
  limits->max_amf3_table = 4096;
  /* The handshake is 3 KiB each way; 10 s survives a lossy link. */
  limits->handshake_timeout_ms = 10000;
  /* Encoders send audio every ~23 ms; 30 s without a byte is a dead peer. */
  limits->idle_timeout_ms = 30000;
}
