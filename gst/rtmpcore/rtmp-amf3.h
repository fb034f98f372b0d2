/* RTMP core: AMF3 decoder and encoder.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMP_AMF3_H__
#define __RTMP_AMF3_H__

#include "rtmp-amf.h"
#include "rtmp-limits.h"

G_BEGIN_DECLS

/* Mapping to RtmpAmfValue (reference §8):
 *   undefined → UNDEFINED, null → NULL, false/true → BOOLEAN,
 *   integer → INTEGER (signed 29-bit), double → NUMBER, string → STRING,
 *   XMLDocument and XML → XML, date → DATE (timezone 0),
 *   array without associative part → STRICT_ARRAY,
 *   array with associative part → ECMA_ARRAY (associative pairs first, then
 *     the dense elements under the keys "0", "1", ...),
 *   object with an empty class name → OBJECT, otherwise TYPED_OBJECT
 *     (sealed members first, then dynamic ones), ByteArray → BYTE_ARRAY.
 * Refused: externalizable objects, vectors and dictionaries
 * (RTMP_ERROR_UNSUPPORTED). */

/* Parses one AMF3 value at @data with fresh reference tables. On success
 * returns it and sets @consumed; on truncated or malformed input returns
 * NULL and an RTMP_ERROR_AMF / RTMP_ERROR_LIMIT / RTMP_ERROR_UNSUPPORTED
 * error. @limits may be NULL (defaults). */
RtmpAmfValue *rtmp_amf3_parse (const guint8 * data, gsize size,
    gsize * consumed, const RtmpLimits * limits, GError ** error);

/* Appends the AMF3 encoding of @value to @out (everything inline, no
 * references). OBJECT/TYPED_OBJECT are written as dynamic objects without
 * sealed members; ECMA_ARRAY as an array with only an associative part
 * (an empty one therefore reads back as an empty STRICT_ARRAY); INTEGER
 * outside the 29-bit range and NUMBER as double; UNSUPPORTED as undefined;
 * DATE drops its timezone. Properties with an empty key cannot be
 * expressed in AMF3 and are skipped. */
void rtmp_amf3_serialize (GByteArray * out, const RtmpAmfValue * value);

/* U29 (reference §8): FALSE if @size is too short. */
gboolean rtmp_amf3_read_u29 (const guint8 * data, gsize size,
    guint32 * value, gsize * consumed);
/* @value must be <= 0x1FFFFFFF */
void rtmp_amf3_write_u29 (GByteArray * out, guint32 value);

/* For the AMF0 parser's AVM+ switch (marker 0x11): AMF3 reference tables
 * live for a whole message, across several switched values. The string
 * table points into the parsed data, so every @data passed to one context
 * must stay valid until the context is freed. @depth is the nesting level
 * the value sits at, @n_values the message's running value count (both
 * checked against @limits). */
typedef struct _RtmpAmf3Context RtmpAmf3Context;

RtmpAmf3Context *rtmp_amf3_context_new (const RtmpLimits * limits);
void rtmp_amf3_context_free (RtmpAmf3Context * ctx);
RtmpAmfValue *rtmp_amf3_context_parse (RtmpAmf3Context * ctx,
    const guint8 * data, gsize size, gsize * consumed, guint depth,
    guint * n_values, GError ** error);

G_END_DECLS

#endif /* __RTMP_AMF3_H__ */
