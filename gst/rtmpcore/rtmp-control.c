/* RTMP core: protocol control (types 1,2,3,5,6) and user control (type 4)
 * messages.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmp-control.h"
#include "rtmp-error.h"

/* Byte-wise accessors: GST_READ_UINT32_BE and friends do unaligned word
 * accesses on x86, which UBSan (rightly) reports as undefined. */
static inline guint32
rd_be32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | p[3];
}

static inline guint16
rd_be16 (const guint8 * p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static inline void
wr_be32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = (v >> 16) & 0xFF;
  p[2] = (v >> 8) & 0xFF;
  p[3] = v & 0xFF;
}

static inline void
wr_be16 (guint8 * p, guint16 v)
{
  p[0] = v >> 8;
  p[1] = v & 0xFF;
}

/* Bytes of event data after the u16 event type, RTMP spec 7.1.7;
 * -1 for events we do not know (their data is kept opaque). */
static gint
user_event_data_size (guint16 event)
{
  switch (event) {
    case RTMP_USER_STREAM_BEGIN:
    case RTMP_USER_STREAM_EOF:
    case RTMP_USER_STREAM_DRY:
    case RTMP_USER_STREAM_IS_RECORDED:
    case RTMP_USER_PING_REQUEST:
    case RTMP_USER_PING_RESPONSE:
      return 4;
    case RTMP_USER_SET_BUFFER_LENGTH:
      return 8;
    default:
      return -1;
  }
}

static gboolean
too_short (const RtmpMessage * msg, gsize size, gsize need, GError ** error)
{
  g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
      "%s message too short: %" G_GSIZE_FORMAT " bytes, %" G_GSIZE_FORMAT
      " needed", rtmp_message_type_get_name (msg->type), size, need);
  return FALSE;
}

gboolean
rtmp_control_parse (const RtmpMessage * msg, RtmpControl * out,
    GError ** error)
{
  guint8 b[10];
  gsize size;

  g_return_val_if_fail (msg != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  size = msg->payload ? gst_buffer_extract (msg->payload, 0, b,
      sizeof (b)) : 0;
  *out = (RtmpControl) {
  0};
  out->type = msg->type;

  switch (msg->type) {
    case RTMP_MESSAGE_SET_CHUNK_SIZE:
    case RTMP_MESSAGE_ABORT:
    case RTMP_MESSAGE_ACKNOWLEDGEMENT:
    case RTMP_MESSAGE_WINDOW_ACK_SIZE:
      /* RTMP spec 5.4.1-5.4.4: one u32 */
      if (size < 4)
        return too_short (msg, size, 4, error);
      out->value = rd_be32 (b);
      if (msg->type == RTMP_MESSAGE_SET_CHUNK_SIZE
          && (out->value == 0 || (out->value & 0x80000000))) {
        g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
            "Invalid Set Chunk Size 0x%08x (spec 5.4.1: 1..0x7FFFFFFF)",
            out->value);
        return FALSE;
      }
      return TRUE;
    case RTMP_MESSAGE_SET_PEER_BANDWIDTH:
      /* RTMP spec 5.4.5: u32 window + u8 limit type */
      if (size < 5)
        return too_short (msg, size, 5, error);
      out->value = rd_be32 (b);
      out->limit_type = b[4];
      return TRUE;
    case RTMP_MESSAGE_USER_CONTROL:{
      gint data;

      /* RTMP spec 7.1.7: u16 event type + event data */
      if (size < 2)
        return too_short (msg, size, 2, error);
      out->event = rd_be16 (b);
      data = user_event_data_size (out->event);
      if (data < 0) {
        /* unknown (e.g. FMS SWFVerification 26, BufferEmpty 31): kept
         * opaque, callers ignore them (reference §5) */
        if (size >= 6)
          out->value = rd_be32 (b + 2);
        return TRUE;
      }
      if (size < 2 + (gsize) data)
        return too_short (msg, size, 2 + data, error);
      out->value = rd_be32 (b + 2);
      if (out->event == RTMP_USER_SET_BUFFER_LENGTH)
        out->value2 = rd_be32 (b + 6);
      return TRUE;
    }
    default:
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
          "Message type %u (%s) is not a control message", msg->type,
          rtmp_message_type_get_name (msg->type));
      return FALSE;
  }
}

static void
fill_message (guint8 type, const guint8 * data, gsize size,
    RtmpMessage * msg)
{
  /* RTMP spec 5.4 / 6.2: msid 0, csid 2, timestamp ignored */
  msg->type = type;
  msg->csid = RTMP_CSID_CONTROL;
  msg->msid = 0;
  msg->timestamp = 0;
  msg->payload = gst_buffer_new_memdup (data, size);
}

void
rtmp_control_build (const RtmpControl * ctrl, RtmpMessage * msg)
{
  guint8 b[10];
  gsize size = 4;

  g_return_if_fail (ctrl != NULL);
  g_return_if_fail (msg != NULL);

  switch (ctrl->type) {
    case RTMP_MESSAGE_SET_CHUNK_SIZE:
    case RTMP_MESSAGE_ABORT:
    case RTMP_MESSAGE_ACKNOWLEDGEMENT:
    case RTMP_MESSAGE_WINDOW_ACK_SIZE:
      wr_be32 (b, ctrl->value);
      break;
    case RTMP_MESSAGE_SET_PEER_BANDWIDTH:
      wr_be32 (b, ctrl->value);
      b[4] = ctrl->limit_type;
      size = 5;
      break;
    case RTMP_MESSAGE_USER_CONTROL:
      wr_be16 (b, ctrl->event);
      wr_be32 (b + 2, ctrl->value);
      size = 6;
      if (ctrl->event == RTMP_USER_SET_BUFFER_LENGTH) {
        wr_be32 (b + 6, ctrl->value2);
        size = 10;
      }
      break;
    default:
      g_return_if_reached ();
  }
  fill_message (ctrl->type, b, size, msg);
}

void
rtmp_control_build_set_chunk_size (guint32 size, RtmpMessage * msg)
{
  RtmpControl c = {.type = RTMP_MESSAGE_SET_CHUNK_SIZE,.value = size };

  /* spec 5.4.1: bit 31 must be 0 */
  g_return_if_fail (size > 0 && size <= 0x7FFFFFFF);
  rtmp_control_build (&c, msg);
}

void
rtmp_control_build_abort (guint32 csid, RtmpMessage * msg)
{
  RtmpControl c = {.type = RTMP_MESSAGE_ABORT,.value = csid };

  rtmp_control_build (&c, msg);
}

void
rtmp_control_build_ack (guint32 sequence, RtmpMessage * msg)
{
  RtmpControl c = {.type = RTMP_MESSAGE_ACKNOWLEDGEMENT,.value = sequence };

  rtmp_control_build (&c, msg);
}

void
rtmp_control_build_window_ack_size (guint32 window, RtmpMessage * msg)
{
  RtmpControl c = {.type = RTMP_MESSAGE_WINDOW_ACK_SIZE,.value = window };

  rtmp_control_build (&c, msg);
}

void
rtmp_control_build_set_peer_bandwidth (guint32 window, guint8 limit,
    RtmpMessage * msg)
{
  RtmpControl c = {.type = RTMP_MESSAGE_SET_PEER_BANDWIDTH,.value = window,
    .limit_type = limit
  };

  rtmp_control_build (&c, msg);
}

void
rtmp_control_build_user (guint16 event, guint32 value, RtmpMessage * msg)
{
  RtmpControl c = {.type = RTMP_MESSAGE_USER_CONTROL,.event = event,
    .value = value
  };

  rtmp_control_build (&c, msg);
}

void
rtmp_control_build_set_buffer_length (guint32 msid, guint32 ms,
    RtmpMessage * msg)
{
  RtmpControl c = {.type = RTMP_MESSAGE_USER_CONTROL,
    .event = RTMP_USER_SET_BUFFER_LENGTH,.value = msid,.value2 = ms
  };

  rtmp_control_build (&c, msg);
}
