/* RTMP core: one RTMP message (after chunk reassembly) and its types.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMP_MESSAGE_H__
#define __RTMP_MESSAGE_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* Message type ids, RTMP spec 5.4, 6.2, 7.1 */
typedef enum
{
  RTMP_MESSAGE_SET_CHUNK_SIZE = 1,
  RTMP_MESSAGE_ABORT = 2,
  RTMP_MESSAGE_ACKNOWLEDGEMENT = 3,
  RTMP_MESSAGE_USER_CONTROL = 4,
  RTMP_MESSAGE_WINDOW_ACK_SIZE = 5,
  RTMP_MESSAGE_SET_PEER_BANDWIDTH = 6,
  RTMP_MESSAGE_AUDIO = 8,
  RTMP_MESSAGE_VIDEO = 9,
  RTMP_MESSAGE_DATA_AMF3 = 15,
  RTMP_MESSAGE_SHARED_OBJECT_AMF3 = 16,
  RTMP_MESSAGE_COMMAND_AMF3 = 17,
  RTMP_MESSAGE_DATA_AMF0 = 18,
  RTMP_MESSAGE_SHARED_OBJECT_AMF0 = 19,
  RTMP_MESSAGE_COMMAND_AMF0 = 20,
  RTMP_MESSAGE_AGGREGATE = 22,
} RtmpMessageType;

/* Chunk stream ids we use when sending (RTMP spec 5.3.1.1: 2 is reserved
 * for protocol control). */
#define RTMP_CSID_CONTROL 2
#define RTMP_CSID_COMMAND 3
#define RTMP_CSID_DATA 4
#define RTMP_CSID_AUDIO 5
#define RTMP_CSID_VIDEO 6

#define RTMP_CSID_MIN 2
#define RTMP_CSID_MAX 65599

/**
 * RtmpMessage:
 * @type: the message type id (#RtmpMessageType or any other byte)
 * @csid: the chunk stream it arrived on / is to be sent on
 * @msid: the message stream id
 * @timestamp: absolute 32-bit timestamp in ms (deltas already applied,
 *     modulo 2^32)
 * @payload: (transfer full) (nullable): the payload; a 0-length message
 *     has an empty buffer or %NULL
 *
 * A plain struct, usually on the stack. rtmp_message_clear() drops the
 * payload reference.
 */
typedef struct
{
  guint8 type;
  guint32 csid;
  guint32 msid;
  guint32 timestamp;
  GstBuffer *payload;
} RtmpMessage;

void rtmp_message_clear (RtmpMessage * msg);
gsize rtmp_message_get_size (const RtmpMessage * msg);
const gchar *rtmp_message_type_get_name (guint type);
gboolean rtmp_message_type_is_protocol_control (guint type);

G_END_DECLS

#endif /* __RTMP_MESSAGE_H__ */
