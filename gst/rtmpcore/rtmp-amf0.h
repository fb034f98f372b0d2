/* RTMP core: AMF0 parser and serialiser.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMP_AMF0_H__
#define __RTMP_AMF0_H__

#include "rtmp-amf.h"
#include "rtmp-limits.h"

G_BEGIN_DECLS

/* Parses one value at @data. On success returns it and sets @consumed.
 * Truncated or malformed input (incl. limits) returns NULL and an
 * RTMP_ERROR_AMF / RTMP_ERROR_LIMIT error; nothing partial is returned.
 * The AVM+ marker (0x11) switches to AMF3 for the next value. */
RtmpAmfValue *rtmp_amf0_parse (const guint8 * data, gsize size,
    gsize * consumed, const RtmpLimits * limits, GError ** error);

/* Parses values until @size is used up (a command or data message body);
 * returns a GPtrArray of RtmpAmfValue (free func set) or NULL + error.
 * References (marker 0x07) resolve within this one call. */
GPtrArray *rtmp_amf0_parse_all (const guint8 * data, gsize size,
    const RtmpLimits * limits, GError ** error);

/* Appends the AMF0 encoding of @value to @out. Strings longer than 65535
 * bytes are written as long strings; INTEGER as number; BYTE_ARRAY as a
 * long string. */
void rtmp_amf0_serialize (GByteArray * out, const RtmpAmfValue * value);
/* Appends a bare AMF0 string value (marker 0x02). */
void rtmp_amf0_serialize_string (GByteArray * out, const gchar * s);

G_END_DECLS

#endif /* __RTMP_AMF0_H__ */
