/* RTMP core: the error domain shared by every core module.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMP_ERROR_H__
#define __RTMP_ERROR_H__

#include <glib.h>

G_BEGIN_DECLS

#define RTMP_ERROR (rtmp_error_quark ())

/**
 * RtmpError:
 * @RTMP_ERROR_PROTOCOL: the peer broke the chunk stream or command rules
 * @RTMP_ERROR_LIMIT: the peer exceeded one of our #RtmpLimits
 * @RTMP_ERROR_HANDSHAKE: the handshake failed (bad version, bad digest)
 * @RTMP_ERROR_AMF: malformed or truncated AMF0/AMF3 data
 * @RTMP_ERROR_UNSUPPORTED: valid RTMP we do not implement (RTMPE, ...)
 * @RTMP_ERROR_AUTH: authentication or authorisation failed
 * @RTMP_ERROR_REJECTED: the remote side refused a command (_error, onStatus error)
 * @RTMP_ERROR_FLV: malformed FLV input
 * @RTMP_ERROR_STATE: a call that is not valid in the current state
 */
typedef enum
{
  RTMP_ERROR_PROTOCOL,
  RTMP_ERROR_LIMIT,
  RTMP_ERROR_HANDSHAKE,
  RTMP_ERROR_AMF,
  RTMP_ERROR_UNSUPPORTED,
  RTMP_ERROR_AUTH,
  RTMP_ERROR_REJECTED,
  RTMP_ERROR_FLV,
  RTMP_ERROR_STATE,
} RtmpError;

GQuark rtmp_error_quark (void);

G_END_DECLS

#endif /* __RTMP_ERROR_H__ */
