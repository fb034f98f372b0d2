/* RTMP core: one RTMP message (after chunk reassembly) and its types.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmp-message.h"

void
rtmp_message_clear (RtmpMessage * msg)
{
  gst_clear_buffer (&msg->payload);
}

gsize
rtmp_message_get_size (const RtmpMessage * msg)
{
  return msg->payload ? gst_buffer_get_size (msg->payload) : 0;
}

const gchar *
rtmp_message_type_get_name (guint type)
{
  switch (type) {
    case RTMP_MESSAGE_SET_CHUNK_SIZE:
      return "set-chunk-size";
    case RTMP_MESSAGE_ABORT:
      return "abort";
    case RTMP_MESSAGE_ACKNOWLEDGEMENT:
      return "acknowledgement";
    case RTMP_MESSAGE_USER_CONTROL:
      return "user-control";
    case RTMP_MESSAGE_WINDOW_ACK_SIZE:
      return "window-ack-size";
    case RTMP_MESSAGE_SET_PEER_BANDWIDTH:
      return "set-peer-bandwidth";
    case RTMP_MESSAGE_AUDIO:
      return "audio";
    case RTMP_MESSAGE_VIDEO:
      return "video";
    case RTMP_MESSAGE_DATA_AMF3:
      return "data-amf3";
    case RTMP_MESSAGE_SHARED_OBJECT_AMF3:
      return "shared-object-amf3";
    case RTMP_MESSAGE_COMMAND_AMF3:
      return "command-amf3";
    case RTMP_MESSAGE_DATA_AMF0:
      return "data-amf0";
    case RTMP_MESSAGE_SHARED_OBJECT_AMF0:
      return "shared-object-amf0";
    case RTMP_MESSAGE_COMMAND_AMF0:
      return "command-amf0";
    case RTMP_MESSAGE_AGGREGATE:
      return "aggregate";
    default:
      return "unknown";
  }
}

gboolean
rtmp_message_type_is_protocol_control (guint type)
{
  return type == RTMP_MESSAGE_SET_CHUNK_SIZE || type == RTMP_MESSAGE_ABORT
      || type == RTMP_MESSAGE_ACKNOWLEDGEMENT
      || type == RTMP_MESSAGE_WINDOW_ACK_SIZE
      || type == RTMP_MESSAGE_SET_PEER_BANDWIDTH;
}
