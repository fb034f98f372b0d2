/* RTMP core: protocol control (types 1,2,3,5,6) and user control (type 4)
 * messages.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMP_CONTROL_H__
#define __RTMP_CONTROL_H__

#include "rtmp-message.h"

G_BEGIN_DECLS

/* User control event types, RTMP spec 7.1.7 */
typedef enum
{
  RTMP_USER_STREAM_BEGIN = 0,
  RTMP_USER_STREAM_EOF = 1,
  RTMP_USER_STREAM_DRY = 2,
  RTMP_USER_SET_BUFFER_LENGTH = 3,
  RTMP_USER_STREAM_IS_RECORDED = 4,
  RTMP_USER_PING_REQUEST = 6,
  RTMP_USER_PING_RESPONSE = 7,
} RtmpUserControlEvent;

typedef enum
{
  RTMP_PEER_BANDWIDTH_HARD = 0,
  RTMP_PEER_BANDWIDTH_SOFT = 1,
  RTMP_PEER_BANDWIDTH_DYNAMIC = 2,
} RtmpPeerBandwidthLimit;

/**
 * RtmpControl:
 * @type: message type (1, 2, 3, 4, 5 or 6)
 * @event: for type 4, the user control event type (any u16)
 * @value: the first u32: chunk size, csid, sequence number, window,
 *     stream id, ping timestamp
 * @value2: SetBufferLength buffer length (ms)
 * @limit_type: Set Peer Bandwidth limit type
 */
typedef struct
{
  guint8 type;
  guint16 event;
  guint32 value;
  guint32 value2;
  guint8 limit_type;
} RtmpControl;

/* Parses a control message; short payloads, a Set Chunk Size of 0 or with
 * the top bit set give RTMP_ERROR_PROTOCOL. Unknown user control events
 * parse fine (value = first u32 if present). */
gboolean rtmp_control_parse (const RtmpMessage * msg, RtmpControl * out,
    GError ** error);

/* Fills @msg (csid 2, msid 0, timestamp 0, new payload) */
void rtmp_control_build (const RtmpControl * ctrl, RtmpMessage * msg);

/* Convenience builders */
void rtmp_control_build_set_chunk_size (guint32 size, RtmpMessage * msg);
void rtmp_control_build_abort (guint32 csid, RtmpMessage * msg);
void rtmp_control_build_ack (guint32 sequence, RtmpMessage * msg);
void rtmp_control_build_window_ack_size (guint32 window, RtmpMessage * msg);
void rtmp_control_build_set_peer_bandwidth (guint32 window, guint8 limit,
    RtmpMessage * msg);
void rtmp_control_build_user (guint16 event, guint32 value,
    RtmpMessage * msg);
void rtmp_control_build_set_buffer_length (guint32 msid, guint32 ms,
    RtmpMessage * msg);

G_END_DECLS

#endif /* __RTMP_CONTROL_H__ */
