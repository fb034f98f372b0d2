/* RTMP core: AMF0 parser and serialiser.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmp-amf0.h"
#include "rtmp-amf3.h"
#include "rtmp-error.h"

#include <gst/gst.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (rtmp_amf0_debug);
#define GST_CAT_DEFAULT rtmp_amf0_debug

/* AMF0 markers, [AMF0] §2.1 (reference §7) */
enum
{
  AMF0_NUMBER = 0x00,
  AMF0_BOOLEAN = 0x01,
  AMF0_STRING = 0x02,
  AMF0_OBJECT = 0x03,
  AMF0_MOVIECLIP = 0x04,
  AMF0_NULL = 0x05,
  AMF0_UNDEFINED = 0x06,
  AMF0_REFERENCE = 0x07,
  AMF0_ECMA_ARRAY = 0x08,
  AMF0_OBJECT_END = 0x09,
  AMF0_STRICT_ARRAY = 0x0A,
  AMF0_DATE = 0x0B,
  AMF0_LONG_STRING = 0x0C,
  AMF0_UNSUPPORTED = 0x0D,
  AMF0_RECORDSET = 0x0E,
  AMF0_XML_DOCUMENT = 0x0F,
  AMF0_TYPED_OBJECT = 0x10,
  AMF0_AVMPLUS = 0x11,
};

/* see rtmp-amf3.c: a stack bound independent of the configured limit */
#define HARD_MAX_DEPTH 512

/* The cursor: every read is preceded by need(). */
typedef struct
{
  const guint8 *data;
  gsize size;
  gsize pos;
  RtmpLimits limits;
  guint max_depth;
  guint n_values;
  /* [AMF0] §2.9: the complex values (object, typed object, ECMA and strict
   * array) in the order their markers were read; owned refs */
  GPtrArray *refs;
  GArray *refs_done;            /* guint8: FALSE while still being parsed */
  RtmpAmf3Context *amf3;        /* created at the first AVM+ switch */
} Amf0Parser;

static void
ensure_debug (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtmp_amf0_debug, "rtmpamf0", 0, "RTMP AMF0");
    g_once_init_leave (&once, 1);
  }
}

static void
parser_init (Amf0Parser * p, const guint8 * data, gsize size,
    const RtmpLimits * limits)
{
  ensure_debug ();
  memset (p, 0, sizeof (*p));
  p->data = data;
  p->size = size;
  if (limits)
    p->limits = *limits;
  else
    rtmp_limits_init (&p->limits);
  p->max_depth = MIN (p->limits.max_amf_depth, HARD_MAX_DEPTH);
  p->refs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_amf_value_unref);
  p->refs_done = g_array_new (FALSE, FALSE, sizeof (guint8));
}

static void
parser_clear (Amf0Parser * p)
{
  g_ptr_array_unref (p->refs);
  g_array_unref (p->refs_done);
  rtmp_amf3_context_free (p->amf3);
}

static gboolean
need (Amf0Parser * p, gsize n, const gchar * what, GError ** error)
{
  if (p->size - p->pos < n) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_AMF,
        "AMF0: truncated %s at offset %" G_GSIZE_FORMAT " (need %"
        G_GSIZE_FORMAT " bytes, %" G_GSIZE_FORMAT " left)", what, p->pos, n,
        p->size - p->pos);
    return FALSE;
  }
  return TRUE;
}

/* byte-wise big-endian reads: the data has no alignment guarantee */
static guint16
read_u16 (Amf0Parser * p)
{
  const guint8 *d = p->data + p->pos;

  p->pos += 2;
  return (guint16) ((d[0] << 8) | d[1]);
}

static guint32
read_u32 (Amf0Parser * p)
{
  const guint8 *d = p->data + p->pos;

  p->pos += 4;
  return ((guint32) d[0] << 24) | ((guint32) d[1] << 16) |
      ((guint32) d[2] << 8) | d[3];
}

static gdouble
read_double (Amf0Parser * p)
{
  guint64 bits;
  gdouble d;

  memcpy (&bits, p->data + p->pos, 8);
  bits = GUINT64_FROM_BE (bits);
  memcpy (&d, &bits, 8);
  p->pos += 8;
  return d;
}

/* @len bytes of string data after a length prefix: fails before any copy
 * when the claimed length exceeds the input (so 0xFFFFFFFF fails fast). */
static const gchar *
read_bytes (Amf0Parser * p, gsize len, const gchar * what, GError ** error)
{
  const gchar *ptr;

  if (!need (p, len, what, error))
    return NULL;
  ptr = (const gchar *) p->data + p->pos;
  p->pos += len;
  return ptr;
}

static gint
ref_add (Amf0Parser * p, RtmpAmfValue * value)
{
  guint8 flag = FALSE;

  g_ptr_array_add (p->refs, rtmp_amf_value_ref (value));
  g_array_append_val (p->refs_done, flag);
  return p->refs->len - 1;
}

static void
ref_done (Amf0Parser * p, gint idx)
{
  g_array_index (p->refs_done, guint8, idx) = TRUE;
}

static gboolean
enter (Amf0Parser * p, guint depth, GError ** error)
{
  if (depth + 1 > p->max_depth) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
        "AMF0: nesting deeper than max_amf_depth (%u)", p->max_depth);
    return FALSE;
  }
  return TRUE;
}

static RtmpAmfValue *parse_value (Amf0Parser * p, guint depth, GError ** error);

/* [AMF0] §2.5: (u16 key length, key, value)* then an empty key and the
 * object-end marker. An empty key followed by anything but 0x09 is taken
 * as a property with an empty name (tolerant; never seen in captures). */
static gboolean
parse_properties (Amf0Parser * p, RtmpAmfValue * container, guint depth,
    GError ** error)
{
  for (;;) {
    RtmpAmfValue *child;
    const gchar *key;
    guint16 key_len;

    if (!need (p, 2, "property name length", error))
      return FALSE;
    key_len = read_u16 (p);
    key = read_bytes (p, key_len, "property name", error);
    if (key == NULL)
      return FALSE;
    if (key_len == 0) {
      if (!need (p, 1, "object end marker", error))
        return FALSE;
      if (p->data[p->pos] == AMF0_OBJECT_END) {
        p->pos++;
        return TRUE;
      }
    }
    child = parse_value (p, depth + 1, error);
    if (child == NULL)
      return FALSE;
    rtmp_amf_value_set_full (container, key, key_len, child);
  }
}

/* Object (§2.5), ECMA array (§2.10), typed object (§2.18): @value is
 * registered for references before its members are read. */
static RtmpAmfValue *
parse_keyed (Amf0Parser * p, RtmpAmfValue * value, guint depth, GError ** error)
{
  gint idx = ref_add (p, value);

  if (!parse_properties (p, value, depth, error)) {
    rtmp_amf_value_unref (value);
    return NULL;
  }
  ref_done (p, idx);
  return value;
}

static RtmpAmfValue *
parse_strict_array (Amf0Parser * p, guint depth, GError ** error)
{
  RtmpAmfValue *array;
  guint32 count;
  gint idx;

  if (!need (p, 4, "strict array count", error))
    return NULL;
  count = read_u32 (p);
  /* §2.12: every element takes at least its marker byte; a count beyond
   * the bytes left is a lie, found before looping or allocating */
  if (count > p->size - p->pos) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_AMF,
        "AMF0: truncated strict array: %u elements declared, %"
        G_GSIZE_FORMAT " bytes left", count, p->size - p->pos);
    return NULL;
  }

  array = rtmp_amf_value_new_strict_array ();
  idx = ref_add (p, array);
  for (guint32 i = 0; i < count; i++) {
    RtmpAmfValue *child = parse_value (p, depth + 1, error);

    if (child == NULL) {
      rtmp_amf_value_unref (array);
      return NULL;
    }
    rtmp_amf_value_append (array, child);
  }
  ref_done (p, idx);
  return array;
}

static RtmpAmfValue *
parse_reference (Amf0Parser * p, GError ** error)
{
  guint16 idx;

  if (!need (p, 2, "reference", error))
    return NULL;
  idx = read_u16 (p);
  if (idx >= p->refs->len) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_AMF,
        "AMF0: reference %u out of range (%u complex values so far)", idx,
        p->refs->len);
    return NULL;
  }
  if (!g_array_index (p->refs_done, guint8, idx)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_AMF,
        "AMF0: reference %u points to a container still being parsed "
        "(cyclic structures are not supported)", idx);
    return NULL;
  }
  return rtmp_amf_value_ref (g_ptr_array_index (p->refs, idx));
}

static RtmpAmfValue *
parse_value (Amf0Parser * p, guint depth, GError ** error)
{
  const gchar *s;
  guint8 marker;
  guint32 len;

  if (++p->n_values > p->limits.max_amf_values) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
        "AMF0: more than max_amf_values (%u) values", p->limits.max_amf_values);
    return NULL;
  }
  if (!need (p, 1, "value marker", error))
    return NULL;
  marker = p->data[p->pos++];

  switch (marker) {
    case AMF0_NUMBER:
      if (!need (p, 8, "number", error))
        return NULL;
      return rtmp_amf_value_new_number (read_double (p));
    case AMF0_BOOLEAN:
      if (!need (p, 1, "boolean", error))
        return NULL;
      return rtmp_amf_value_new_boolean (p->data[p->pos++] != 0);
    case AMF0_STRING:
      if (!need (p, 2, "string length", error))
        return NULL;
      len = read_u16 (p);
      if (!(s = read_bytes (p, len, "string", error)))
        return NULL;
      return rtmp_amf_value_new_string_len (s, len);
    case AMF0_LONG_STRING:
      if (!need (p, 4, "long string length", error))
        return NULL;
      len = read_u32 (p);
      if (!(s = read_bytes (p, len, "long string", error)))
        return NULL;
      return rtmp_amf_value_new_string_len (s, len);
    case AMF0_XML_DOCUMENT:
      if (!need (p, 4, "XML document length", error))
        return NULL;
      len = read_u32 (p);
      if (!(s = read_bytes (p, len, "XML document", error)))
        return NULL;
      return rtmp_amf_value_new_xml (s, len);
    case AMF0_NULL:
      return rtmp_amf_value_new_null ();
    case AMF0_UNDEFINED:
      return rtmp_amf_value_new_undefined ();
    case AMF0_UNSUPPORTED:
      return rtmp_amf_value_new_unsupported ();
    case AMF0_DATE:{
      gdouble ms;

      /* §2.13: double + s16 time zone (reserved, should be 0; kept) */
      if (!need (p, 10, "date", error))
        return NULL;
      ms = read_double (p);
      return rtmp_amf_value_new_date (ms, (gint16) read_u16 (p));
    }
    case AMF0_OBJECT:
      if (!enter (p, depth, error))
        return NULL;
      return parse_keyed (p, rtmp_amf_value_new_object (), depth, error);
    case AMF0_ECMA_ARRAY:
      if (!enter (p, depth, error))
        return NULL;
      /* the count is advisory: writers get it wrong and ffmpeg's reader
       * ignores it; the end marker decides (reference §7) */
      if (!need (p, 4, "ECMA array count", error))
        return NULL;
      p->pos += 4;
      return parse_keyed (p, rtmp_amf_value_new_ecma_array (), depth, error);
    case AMF0_TYPED_OBJECT:
      if (!enter (p, depth, error))
        return NULL;
      if (!need (p, 2, "class name length", error))
        return NULL;
      len = read_u16 (p);
      if (!(s = read_bytes (p, len, "class name", error)))
        return NULL;
      return parse_keyed (p, rtmp_amf_value_new_typed_object_len (s, len),
          depth, error);
    case AMF0_STRICT_ARRAY:
      if (!enter (p, depth, error))
        return NULL;
      return parse_strict_array (p, depth, error);
    case AMF0_REFERENCE:
      return parse_reference (p, error);
    case AMF0_AVMPLUS:{
      RtmpAmfValue *value;
      gsize used = 0;

      /* §3.1: the next value is AMF3; its tables live for the message */
      if (p->amf3 == NULL)
        p->amf3 = rtmp_amf3_context_new (&p->limits);
      value = rtmp_amf3_context_parse (p->amf3, p->data + p->pos,
          p->size - p->pos, &used, depth, &p->n_values, error);
      if (value)
        p->pos += used;
      return value;
    }
    case AMF0_OBJECT_END:
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_AMF,
          "AMF0: object-end marker outside an object at offset %"
          G_GSIZE_FORMAT, p->pos - 1);
      return NULL;
    case AMF0_MOVIECLIP:
    case AMF0_RECORDSET:
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_AMF,
          "AMF0: reserved marker 0x%02x at offset %" G_GSIZE_FORMAT, marker,
          p->pos - 1);
      return NULL;
    default:
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_AMF,
          "AMF0: unknown marker 0x%02x at offset %" G_GSIZE_FORMAT, marker,
          p->pos - 1);
      return NULL;
  }
}

RtmpAmfValue *
rtmp_amf0_parse (const guint8 * data, gsize size, gsize * consumed,
    const RtmpLimits * limits, GError ** error)
{
  Amf0Parser p;
  RtmpAmfValue *value;

  g_return_val_if_fail (data != NULL || size == 0, NULL);

  parser_init (&p, data, size, limits);
  value = parse_value (&p, 0, error);
  if (value) {
    if (consumed)
      *consumed = p.pos;
  } else {
    GST_DEBUG ("AMF0 parse failed: %s", error && *error ? (*error)->message
        : "(no error requested)");
  }
  parser_clear (&p);
  return value;
}

GPtrArray *
rtmp_amf0_parse_all (const guint8 * data, gsize size,
    const RtmpLimits * limits, GError ** error)
{
  Amf0Parser p;
  GPtrArray *values;

  g_return_val_if_fail (data != NULL || size == 0, NULL);

  parser_init (&p, data, size, limits);
  values = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_amf_value_unref);
  while (p.pos < p.size) {
    RtmpAmfValue *value = parse_value (&p, 0, error);

    if (value == NULL) {
      GST_DEBUG ("AMF0 parse of value %u failed: %s", values->len,
          error && *error ? (*error)->message : "(no error requested)");
      g_ptr_array_unref (values);
      values = NULL;
      break;
    }
    g_ptr_array_add (values, value);
  }
  parser_clear (&p);
  return values;
}

/* ---- serialising ---- */

static void
put_u8 (GByteArray * out, guint8 b)
{
  g_byte_array_append (out, &b, 1);
}

static void
put_u16 (GByteArray * out, guint16 v)
{
  guint8 b[2] = { v >> 8, v & 0xff };

  g_byte_array_append (out, b, 2);
}

static void
put_u32 (GByteArray * out, guint32 v)
{
  guint8 b[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };

  g_byte_array_append (out, b, 4);
}

static void
put_double (GByteArray * out, gdouble d)
{
  guint64 bits;

  memcpy (&bits, &d, 8);
  bits = GUINT64_TO_BE (bits);
  g_byte_array_append (out, (const guint8 *) &bits, 8);
}

/* u16 length + bytes (keys, class names, short strings). Longer keys
 * cannot be expressed in AMF0; we never build such keys ourselves. */
static void
put_short (GByteArray * out, const gchar * s, gsize len)
{
  if (len > G_MAXUINT16) {
    GST_WARNING ("AMF0: %" G_GSIZE_FORMAT "-byte name truncated to 65535", len);
    len = G_MAXUINT16;
  }
  put_u16 (out, len);
  g_byte_array_append (out, (const guint8 *) s, len);
}

/* u32 length + bytes; nothing beyond 4 GiB fits in a 16 MiB message */
static void
put_long (GByteArray * out, const gchar * s, gsize len)
{
  if (len > G_MAXUINT32)
    len = G_MAXUINT32;
  put_u32 (out, len);
  g_byte_array_append (out, (const guint8 *) s, len);
}

static void
put_string (GByteArray * out, const gchar * s, gsize len)
{
  if (len > G_MAXUINT16) {
    put_u8 (out, AMF0_LONG_STRING);
    put_long (out, s, len);
  } else {
    put_u8 (out, AMF0_STRING);
    put_short (out, s, len);
  }
}

static void
put_properties (GByteArray * out, const RtmpAmfValue * value)
{
  guint n = rtmp_amf_value_get_n_children (value);

  for (guint i = 0; i < n; i++) {
    gsize key_len;
    const gchar *key = rtmp_amf_value_get_child_key_full (value, i, &key_len);

    put_short (out, key, key_len);
    rtmp_amf0_serialize (out, rtmp_amf_value_get_child (value, i));
  }
  put_u16 (out, 0);
  put_u8 (out, AMF0_OBJECT_END);
}

void
rtmp_amf0_serialize (GByteArray * out, const RtmpAmfValue * value)
{
  const gchar *s;
  gsize len;

  g_return_if_fail (out != NULL);
  g_return_if_fail (value != NULL);

  switch (rtmp_amf_value_get_type (value)) {
    case RTMP_AMF_NUMBER:
    case RTMP_AMF_INTEGER:
      put_u8 (out, AMF0_NUMBER);
      put_double (out, rtmp_amf_value_get_number (value));
      break;
    case RTMP_AMF_BOOLEAN:
      put_u8 (out, AMF0_BOOLEAN);
      put_u8 (out, rtmp_amf_value_get_boolean (value) ? 1 : 0);
      break;
    case RTMP_AMF_STRING:
      s = rtmp_amf_value_get_string (value, &len);
      put_string (out, s, len);
      break;
    case RTMP_AMF_BYTE_ARRAY:
      /* no AMF0 equivalent: the bytes as a long string (header contract) */
      s = rtmp_amf_value_get_string (value, &len);
      put_u8 (out, AMF0_LONG_STRING);
      put_long (out, s, len);
      break;
    case RTMP_AMF_XML:
      s = rtmp_amf_value_get_string (value, &len);
      put_u8 (out, AMF0_XML_DOCUMENT);
      put_long (out, s, len);
      break;
    case RTMP_AMF_NULL:
      put_u8 (out, AMF0_NULL);
      break;
    case RTMP_AMF_UNDEFINED:
      put_u8 (out, AMF0_UNDEFINED);
      break;
    case RTMP_AMF_UNSUPPORTED:
      put_u8 (out, AMF0_UNSUPPORTED);
      break;
    case RTMP_AMF_DATE:
      put_u8 (out, AMF0_DATE);
      put_double (out, rtmp_amf_value_get_number (value));
      put_u16 (out, (guint16) rtmp_amf_value_get_date_timezone (value));
      break;
    case RTMP_AMF_OBJECT:
      put_u8 (out, AMF0_OBJECT);
      put_properties (out, value);
      break;
    case RTMP_AMF_ECMA_ARRAY:
      put_u8 (out, AMF0_ECMA_ARRAY);
      put_u32 (out, rtmp_amf_value_get_n_children (value));
      put_properties (out, value);
      break;
    case RTMP_AMF_TYPED_OBJECT:
      put_u8 (out, AMF0_TYPED_OBJECT);
      s = rtmp_amf_value_get_class_name_full (value, &len);
      put_short (out, s, len);
      put_properties (out, value);
      break;
    case RTMP_AMF_STRICT_ARRAY:{
      guint n = rtmp_amf_value_get_n_children (value);

      put_u8 (out, AMF0_STRICT_ARRAY);
      put_u32 (out, n);
      for (guint i = 0; i < n; i++)
        rtmp_amf0_serialize (out, rtmp_amf_value_get_child (value, i));
      break;
    }
  }
}

void
rtmp_amf0_serialize_string (GByteArray * out, const gchar * s)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (s != NULL);

  put_string (out, s, strlen (s));
}
