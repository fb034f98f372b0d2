/* RTMP core: AMF values (the tree both the AMF0 and the AMF3 codecs use).
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMP_AMF_H__
#define __RTMP_AMF_H__

#include <glib.h>

G_BEGIN_DECLS

/**
 * RtmpAmfType:
 *
 * The kinds of value AMF0 and AMF3 can carry. Where both formats have the
 * same concept they share one kind (AMF3 false/true are BOOLEAN, AMF0 long
 * string is STRING, AMF3 dense array is STRICT_ARRAY, AMF3 array with an
 * associative part is ECMA_ARRAY).
 */
typedef enum
{
  RTMP_AMF_NUMBER,
  RTMP_AMF_BOOLEAN,
  RTMP_AMF_STRING,
  RTMP_AMF_OBJECT,              /* ordered key/value properties */
  RTMP_AMF_NULL,
  RTMP_AMF_UNDEFINED,
  RTMP_AMF_ECMA_ARRAY,          /* ordered key/value properties */
  RTMP_AMF_STRICT_ARRAY,        /* ordered values */
  RTMP_AMF_DATE,                /* number (ms since epoch) + timezone */
  RTMP_AMF_XML,                 /* string content */
  RTMP_AMF_TYPED_OBJECT,        /* class name + properties */
  RTMP_AMF_UNSUPPORTED,
  RTMP_AMF_INTEGER,             /* AMF3 29-bit integer */
  RTMP_AMF_BYTE_ARRAY,          /* AMF3 ByteArray: bytes */
} RtmpAmfType;

typedef struct _RtmpAmfValue RtmpAmfValue;

/* Reference counted: AMF0/AMF3 references share the referenced value. */
RtmpAmfValue *rtmp_amf_value_ref (RtmpAmfValue * value);
void rtmp_amf_value_unref (RtmpAmfValue * value);

RtmpAmfValue *rtmp_amf_value_new_number (gdouble n);
RtmpAmfValue *rtmp_amf_value_new_integer (gint32 n);
RtmpAmfValue *rtmp_amf_value_new_boolean (gboolean b);
RtmpAmfValue *rtmp_amf_value_new_string (const gchar * s);     /* copies, NUL-terminated */
RtmpAmfValue *rtmp_amf_value_new_string_len (const gchar * s, gsize len);     /* may hold NULs */
RtmpAmfValue *rtmp_amf_value_new_null (void);
RtmpAmfValue *rtmp_amf_value_new_undefined (void);
RtmpAmfValue *rtmp_amf_value_new_unsupported (void);
RtmpAmfValue *rtmp_amf_value_new_object (void);
RtmpAmfValue *rtmp_amf_value_new_ecma_array (void);
RtmpAmfValue *rtmp_amf_value_new_typed_object (const gchar * class_name);
RtmpAmfValue *rtmp_amf_value_new_strict_array (void);
RtmpAmfValue *rtmp_amf_value_new_date (gdouble ms, gint16 timezone);
RtmpAmfValue *rtmp_amf_value_new_xml (const gchar * s, gsize len);
RtmpAmfValue *rtmp_amf_value_new_byte_array (const guint8 * data, gsize len);

RtmpAmfType rtmp_amf_value_get_type (const RtmpAmfValue * value);
const gchar *rtmp_amf_type_get_name (RtmpAmfType type);

/* Scalars; a getter on the wrong kind returns 0 / FALSE / NULL.
 * get_number also converts an INTEGER. */
gdouble rtmp_amf_value_get_number (const RtmpAmfValue * value);
gboolean rtmp_amf_value_get_boolean (const RtmpAmfValue * value);
/* STRING, XML, BYTE_ARRAY: contents (always NUL-terminated), length out */
const gchar *rtmp_amf_value_get_string (const RtmpAmfValue * value,
    gsize * len);
gint16 rtmp_amf_value_get_date_timezone (const RtmpAmfValue * value);
const gchar *rtmp_amf_value_get_class_name (const RtmpAmfValue * value);

/* Containers. OBJECT, ECMA_ARRAY, TYPED_OBJECT: properties (key, value);
 * STRICT_ARRAY: elements (key NULL). set/append take ownership of @v. */
guint rtmp_amf_value_get_n_children (const RtmpAmfValue * value);
const gchar *rtmp_amf_value_get_child_key (const RtmpAmfValue * value,
    guint index);
RtmpAmfValue *rtmp_amf_value_get_child (const RtmpAmfValue * value,
    guint index);
/* first property with that key, or NULL */
RtmpAmfValue *rtmp_amf_value_lookup (const RtmpAmfValue * value,
    const gchar * key);
/* convenience: the property as a string / number if it has that type */
const gchar *rtmp_amf_value_lookup_string (const RtmpAmfValue * value,
    const gchar * key);
gboolean rtmp_amf_value_lookup_number (const RtmpAmfValue * value,
    const gchar * key, gdouble * out);
/* appends (keeps order, does not replace an existing key) */
void rtmp_amf_value_set (RtmpAmfValue * value, const gchar * key,
    RtmpAmfValue * v);
void rtmp_amf_value_set_string (RtmpAmfValue * value, const gchar * key,
    const gchar * s);
void rtmp_amf_value_set_number (RtmpAmfValue * value, const gchar * key,
    gdouble n);
void rtmp_amf_value_set_boolean (RtmpAmfValue * value, const gchar * key,
    gboolean b);
void rtmp_amf_value_append (RtmpAmfValue * value, RtmpAmfValue * v);

/* Deep comparison (for tests and round trips) */
gboolean rtmp_amf_value_equal (const RtmpAmfValue * a, const RtmpAmfValue * b);
/* Human-readable one-line dump for debug logs; bounded in length. */
gchar *rtmp_amf_value_to_string (const RtmpAmfValue * value);

/* Length-aware variants (added by the AMF module owner): keys and class
 * names read from the wire may hold NUL bytes or be non-UTF-8; these keep
 * them byte-exact. The plain variants above use strlen(). Returned strings
 * are always NUL-terminated. lookup() compares the whole key (length
 * included), so "app\0x" never matches "app". */
RtmpAmfValue *rtmp_amf_value_new_typed_object_len (const gchar * class_name,
    gsize len);
const gchar *rtmp_amf_value_get_class_name_full (const RtmpAmfValue * value,
    gsize * len);
const gchar *rtmp_amf_value_get_child_key_full (const RtmpAmfValue * value,
    guint index, gsize * len);
void rtmp_amf_value_set_full (RtmpAmfValue * value, const gchar * key,
    gsize key_len, RtmpAmfValue * v);
/* TRUE for OBJECT, ECMA_ARRAY, TYPED_OBJECT and STRICT_ARRAY */
gboolean rtmp_amf_value_is_container (const RtmpAmfValue * value);

G_END_DECLS

#endif /* __RTMP_AMF_H__ */
