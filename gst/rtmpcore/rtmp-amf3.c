/* RTMP core: AMF3 decoder and encoder.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmp-amf3.h"
#include "rtmp-error.h"

#include <gst/gst.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (rtmp_amf3_debug);
#define GST_CAT_DEFAULT rtmp_amf3_debug

/* AMF3 markers, [AMF3] §3.1 */
enum
{
  AMF3_UNDEFINED = 0x00,
  AMF3_NULL = 0x01,
  AMF3_FALSE = 0x02,
  AMF3_TRUE = 0x03,
  AMF3_INTEGER = 0x04,
  AMF3_DOUBLE = 0x05,
  AMF3_STRING = 0x06,
  AMF3_XML_DOC = 0x07,
  AMF3_DATE = 0x08,
  AMF3_ARRAY = 0x09,
  AMF3_OBJECT = 0x0A,
  AMF3_XML = 0x0B,
  AMF3_BYTE_ARRAY = 0x0C,
  AMF3_VECTOR_INT = 0x0D,
  AMF3_VECTOR_UINT = 0x0E,
  AMF3_VECTOR_DOUBLE = 0x0F,
  AMF3_VECTOR_OBJECT = 0x10,
  AMF3_DICTIONARY = 0x11,
};

#define U29_MAX 0x1FFFFFFFu
/* Signed 29-bit integer range ([AMF3] §3.6) */
#define AMF3_INT_MIN (-0x10000000)
#define AMF3_INT_MAX 0x0FFFFFFF
/* Whatever max_amf_depth says, the recursive parser never goes deeper than
 * this (keeps the C stack bounded even under a misconfigured limit). */
#define HARD_MAX_DEPTH 512

/* A string of the string table: points into the parsed data. */
typedef struct
{
  const guint8 *ptr;
  gsize len;
} Amf3Str;

/* [AMF3] §3.12: class name, dynamic flag, sealed member names. Never
 * externalizable (those are refused before they reach the table). */
typedef struct
{
  Amf3Str class_name;
  gboolean dynamic;
  guint n_sealed;
  Amf3Str *sealed;
  gsize names_len;              /* class name + all sealed names, bytes */
} Amf3Traits;

struct _RtmpAmf3Context
{
  RtmpLimits limits;
  GArray *strings;              /* Amf3Str */
  GPtrArray *objects;           /* RtmpAmfValue, owned refs */
  GArray *objects_done;         /* guint8: FALSE while still being parsed */
  GArray *traits;               /* Amf3Traits */
  /* String and traits references make us copy bytes again and again (a
   * 2-byte reference to a 60 KB string); the bytes copied out of tables
   * are bounded by max_message_size, i.e. no worse than one big message. */
  gsize copied;
};

typedef struct
{
  RtmpAmf3Context *ctx;
  const guint8 *data;
  gsize size;
  gsize pos;
  guint max_depth;
  guint *n_values;
} Amf3Parser;

static void
ensure_debug (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtmp_amf3_debug, "rtmpamf3", 0, "RTMP AMF3");
    g_once_init_leave (&once, 1);
  }
}

static void
traits_clear (gpointer data)
{
  Amf3Traits *traits = data;

  g_free (traits->sealed);
}

RtmpAmf3Context *
rtmp_amf3_context_new (const RtmpLimits * limits)
{
  RtmpAmf3Context *ctx = g_new0 (RtmpAmf3Context, 1);

  ensure_debug ();
  if (limits)
    ctx->limits = *limits;
  else
    rtmp_limits_init (&ctx->limits);
  ctx->strings = g_array_new (FALSE, FALSE, sizeof (Amf3Str));
  ctx->objects = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_amf_value_unref);
  ctx->objects_done = g_array_new (FALSE, FALSE, sizeof (guint8));
  ctx->traits = g_array_new (FALSE, FALSE, sizeof (Amf3Traits));
  g_array_set_clear_func (ctx->traits, traits_clear);
  return ctx;
}

void
rtmp_amf3_context_free (RtmpAmf3Context * ctx)
{
  if (ctx == NULL)
    return;
  g_array_unref (ctx->strings);
  g_ptr_array_unref (ctx->objects);
  g_array_unref (ctx->objects_done);
  g_array_unref (ctx->traits);
  g_free (ctx);
}

/* [AMF3] §1.3.1: up to 3 bytes with a continuation bit and 7 value bits,
 * then a 4th byte with 8 value bits. */
gboolean
rtmp_amf3_read_u29 (const guint8 * data, gsize size, guint32 * value,
    gsize * consumed)
{
  guint32 v = 0;

  for (gsize i = 0; i < 4; i++) {
    guint8 b;

    if (i >= size)
      return FALSE;
    b = data[i];
    if (i == 3) {
      v = (v << 8) | b;
    } else {
      v = (v << 7) | (b & 0x7f);
      if (b & 0x80)
        continue;
    }
    *value = v;
    *consumed = i + 1;
    return TRUE;
  }
  g_assert_not_reached ();
  return FALSE;
}

void
rtmp_amf3_write_u29 (GByteArray * out, guint32 value)
{
  guint8 b[4];
  guint n;

  g_return_if_fail (value <= U29_MAX);

  if (value < 0x80) {
    b[0] = value;
    n = 1;
  } else if (value < 0x4000) {
    b[0] = (value >> 7) | 0x80;
    b[1] = value & 0x7f;
    n = 2;
  } else if (value < 0x200000) {
    b[0] = (value >> 14) | 0x80;
    b[1] = ((value >> 7) & 0x7f) | 0x80;
    b[2] = value & 0x7f;
    n = 3;
  } else {
    b[0] = (value >> 22) | 0x80;
    b[1] = ((value >> 15) & 0x7f) | 0x80;
    b[2] = ((value >> 8) & 0x7f) | 0x80;
    b[3] = value & 0xff;
    n = 4;
  }
  g_byte_array_append (out, b, n);
}

/* ---- parsing ---- */

static gboolean
need (Amf3Parser * p, gsize n, const gchar * what, GError ** error)
{
  if (p->size - p->pos < n) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_AMF,
        "AMF3: truncated %s at offset %" G_GSIZE_FORMAT " (need %"
        G_GSIZE_FORMAT " bytes, %" G_GSIZE_FORMAT " left)", what, p->pos, n,
        p->size - p->pos);
    return FALSE;
  }
  return TRUE;
}

static gboolean
read_u29 (Amf3Parser * p, guint32 * out, const gchar * what, GError ** error)
{
  gsize used;

  if (!rtmp_amf3_read_u29 (p->data + p->pos, p->size - p->pos, out, &used)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_AMF,
        "AMF3: truncated U29 (%s) at offset %" G_GSIZE_FORMAT, what, p->pos);
    return FALSE;
  }
  p->pos += used;
  return TRUE;
}

static gdouble
read_double (Amf3Parser * p)
{
  guint64 bits;
  gdouble d;

  memcpy (&bits, p->data + p->pos, 8);
  bits = GUINT64_FROM_BE (bits);
  memcpy (&d, &bits, 8);
  p->pos += 8;
  return d;
}

static gboolean
copy_budget (Amf3Parser * p, gsize n, GError ** error)
{
  RtmpAmf3Context *ctx = p->ctx;

  if (n > ctx->limits.max_message_size
      || ctx->copied > ctx->limits.max_message_size - n) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
        "AMF3: references expand to more than max_message_size (%u) bytes",
        ctx->limits.max_message_size);
    return FALSE;
  }
  ctx->copied += n;
  return TRUE;
}

static gboolean
table_room (Amf3Parser * p, guint len, const gchar * table, GError ** error)
{
  if (len >= p->ctx->limits.max_amf3_table) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
        "AMF3: %s reference table exceeds max_amf3_table (%u)", table,
        p->ctx->limits.max_amf3_table);
    return FALSE;
  }
  return TRUE;
}

/* [AMF3] §1.3.2 / §3.8: U29S-ref or U29S-value + bytes. The empty string is
 * never added to (nor referenced from) the table. */
static gboolean
read_string (Amf3Parser * p, Amf3Str * out, const gchar * what, GError ** error)
{
  guint32 v;

  if (!read_u29 (p, &v, what, error))
    return FALSE;

  if ((v & 1) == 0) {
    guint32 idx = v >> 1;

    if (idx >= p->ctx->strings->len) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_AMF,
          "AMF3: string reference %u out of range (table has %u) in %s",
          idx, p->ctx->strings->len, what);
      return FALSE;
    }
    *out = g_array_index (p->ctx->strings, Amf3Str, idx);
    return copy_budget (p, out->len, error);
  }

  out->len = v >> 1;
  if (!need (p, out->len, what, error))
    return FALSE;
  out->ptr = p->data + p->pos;
  p->pos += out->len;
  if (out->len > 0) {
    if (!table_room (p, p->ctx->strings->len, "string", error))
      return FALSE;
    g_array_append_val (p->ctx->strings, *out);
  }
  return TRUE;
}

static RtmpAmfValue *
object_reference (Amf3Parser * p, guint32 idx, GError ** error)
{
  RtmpAmf3Context *ctx = p->ctx;

  if (idx >= ctx->objects->len) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_AMF,
        "AMF3: object reference %u out of range (table has %u)", idx,
        ctx->objects->len);
    return NULL;
  }
  if (!g_array_index (ctx->objects_done, guint8, idx)) {
    /* legal AMF3, but it would make a cycle of references we cannot free */
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_AMF,
        "AMF3: object reference %u points to an object still being parsed "
        "(cyclic structures are not supported)", idx);
    return NULL;
  }
  return rtmp_amf_value_ref (g_ptr_array_index (ctx->objects, idx));
}

/* Adds @value to the object table; returns its index or -1 on error. */
static gint
object_add (Amf3Parser * p, RtmpAmfValue * value, gboolean done,
    GError ** error)
{
  RtmpAmf3Context *ctx = p->ctx;
  guint8 flag = done;

  if (!table_room (p, ctx->objects->len, "object", error))
    return -1;
  g_ptr_array_add (ctx->objects, rtmp_amf_value_ref (value));
  g_array_append_val (ctx->objects_done, flag);
  return ctx->objects->len - 1;
}

static void
object_done (Amf3Parser * p, gint idx)
{
  g_array_index (p->ctx->objects_done, guint8, idx) = TRUE;
}

/* A scalar object-table value (date, XML, ByteArray): complete at once. */
static RtmpAmfValue *
add_scalar (Amf3Parser * p, RtmpAmfValue * value, GError ** error)
{
  if (object_add (p, value, TRUE, error) < 0) {
    rtmp_amf_value_unref (value);
    return NULL;
  }
  return value;
}

static gboolean
enter (Amf3Parser * p, guint depth, GError ** error)
{
  if (depth + 1 > p->max_depth) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
        "AMF3: nesting deeper than max_amf_depth (%u)", p->max_depth);
    return FALSE;
  }
  return TRUE;
}

static RtmpAmfValue *parse_value (Amf3Parser * p, guint depth, GError ** error);

/* [AMF3] §3.11 */
static RtmpAmfValue *
parse_array (Amf3Parser * p, guint depth, GError ** error)
{
  RtmpAmfValue *array = NULL;
  Amf3Str key;
  guint32 v, dense;
  gint idx;

  if (!read_u29 (p, &v, "array header", error))
    return NULL;
  if ((v & 1) == 0)
    return object_reference (p, v >> 1, error);
  dense = v >> 1;
  if (!enter (p, depth, error))
    return NULL;

  /* the first associative key decides between STRICT and ECMA; the string
   * table is separate from the object table, so reading it first does not
   * change the array's object index */
  if (!read_string (p, &key, "array key", error))
    return NULL;
  array = key.len == 0 ? rtmp_amf_value_new_strict_array ()
      : rtmp_amf_value_new_ecma_array ();
  idx = object_add (p, array, FALSE, error);
  if (idx < 0)
    goto fail;

  while (key.len > 0) {
    RtmpAmfValue *child = parse_value (p, depth + 1, error);

    if (child == NULL)
      goto fail;
    rtmp_amf_value_set_full (array, (const gchar *) key.ptr, key.len, child);
    if (!read_string (p, &key, "array key", error))
      goto fail;
  }

  /* every dense element takes at least one byte: check the declared count
   * against what is left before looping on it */
  if (dense > p->size - p->pos) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_AMF,
        "AMF3: truncated array: %u dense elements declared, %" G_GSIZE_FORMAT
        " bytes left", dense, p->size - p->pos);
    goto fail;
  }
  for (guint32 i = 0; i < dense; i++) {
    RtmpAmfValue *child = parse_value (p, depth + 1, error);

    if (child == NULL)
      goto fail;
    if (rtmp_amf_value_get_type (array) == RTMP_AMF_STRICT_ARRAY) {
      rtmp_amf_value_append (array, child);
    } else {
      gchar name[16];
      gint n = g_snprintf (name, sizeof (name), "%u", i);

      rtmp_amf_value_set_full (array, name, n, child);
    }
  }
  object_done (p, idx);
  return array;

fail:
  rtmp_amf_value_unref (array);
  return NULL;
}

/* [AMF3] §3.12 */
static RtmpAmfValue *
parse_object (Amf3Parser * p, guint depth, GError ** error)
{
  RtmpAmf3Context *ctx = p->ctx;
  RtmpAmfValue *object = NULL;
  Amf3Traits traits;
  guint32 v;
  gint idx;

  if (!read_u29 (p, &v, "object header", error))
    return NULL;
  if ((v & 1) == 0)
    return object_reference (p, v >> 1, error);

  if ((v & 2) == 0) {
    guint32 tidx = v >> 2;

    if (tidx >= ctx->traits->len) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_AMF,
          "AMF3: traits reference %u out of range (table has %u)", tidx,
          ctx->traits->len);
      return NULL;
    }
    /* a copy: the table may grow (and move) while members are parsed; the
     * sealed names array itself stays put */
    traits = g_array_index (ctx->traits, Amf3Traits, tidx);
    if (!copy_budget (p, traits.names_len, error))
      return NULL;
  } else if (v & 4) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED,
        "AMF3: externalizable objects are not supported");
    return NULL;
  } else {
    traits.dynamic = (v & 8) != 0;
    traits.n_sealed = v >> 4;
    if (!read_string (p, &traits.class_name, "class name", error))
      return NULL;
    /* each sealed name takes at least one byte, each member one value */
    if (traits.n_sealed > p->size - p->pos) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_AMF,
          "AMF3: truncated traits: %u sealed members declared, %"
          G_GSIZE_FORMAT " bytes left", traits.n_sealed, p->size - p->pos);
      return NULL;
    }
    if (traits.n_sealed > ctx->limits.max_amf_values) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
          "AMF3: %u sealed members exceed max_amf_values (%u)",
          traits.n_sealed, ctx->limits.max_amf_values);
      return NULL;
    }
    traits.names_len = traits.class_name.len;
    traits.sealed = g_new (Amf3Str, traits.n_sealed);
    for (guint i = 0; i < traits.n_sealed; i++) {
      if (!read_string (p, &traits.sealed[i], "sealed member name", error)) {
        g_free (traits.sealed);
        return NULL;
      }
      traits.names_len += traits.sealed[i].len;
    }
    if (!table_room (p, ctx->traits->len, "traits", error)) {
      g_free (traits.sealed);
      return NULL;
    }
    g_array_append_val (ctx->traits, traits);
  }

  if (!enter (p, depth, error))
    return NULL;

  if (traits.class_name.len == 0)
    object = rtmp_amf_value_new_object ();
  else
    object = rtmp_amf_value_new_typed_object_len ((const gchar *)
        traits.class_name.ptr, traits.class_name.len);
  idx = object_add (p, object, FALSE, error);
  if (idx < 0)
    goto fail;

  for (guint i = 0; i < traits.n_sealed; i++) {
    RtmpAmfValue *child = parse_value (p, depth + 1, error);

    if (child == NULL)
      goto fail;
    rtmp_amf_value_set_full (object, (const gchar *) traits.sealed[i].ptr,
        traits.sealed[i].len, child);
  }

  while (traits.dynamic) {
    Amf3Str key;
    RtmpAmfValue *child;

    if (!read_string (p, &key, "dynamic member name", error))
      goto fail;
    if (key.len == 0)
      break;
    child = parse_value (p, depth + 1, error);
    if (child == NULL)
      goto fail;
    rtmp_amf_value_set_full (object, (const gchar *) key.ptr, key.len, child);
  }
  object_done (p, idx);
  return object;

fail:
  rtmp_amf_value_unref (object);
  return NULL;
}

/* XMLDocument (§3.9), XML (§3.13) and ByteArray (§3.14): U29 length or
 * object reference, then bytes. */
static RtmpAmfValue *
parse_bytes (Amf3Parser * p, guint8 marker, GError ** error)
{
  const gchar *what = marker == AMF3_BYTE_ARRAY ? "ByteArray" : "XML";
  RtmpAmfValue *value;
  guint32 v;
  const guint8 *ptr;

  if (!read_u29 (p, &v, what, error))
    return NULL;
  if ((v & 1) == 0)
    return object_reference (p, v >> 1, error);
  v >>= 1;
  if (!need (p, v, what, error))
    return NULL;
  ptr = p->data + p->pos;
  p->pos += v;
  if (marker == AMF3_BYTE_ARRAY)
    value = rtmp_amf_value_new_byte_array (ptr, v);
  else
    value = rtmp_amf_value_new_xml ((const gchar *) ptr, v);
  return add_scalar (p, value, error);
}

static RtmpAmfValue *
parse_value (Amf3Parser * p, guint depth, GError ** error)
{
  guint8 marker;
  guint32 v;

  if (++(*p->n_values) > p->ctx->limits.max_amf_values) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
        "AMF3: more than max_amf_values (%u) values",
        p->ctx->limits.max_amf_values);
    return NULL;
  }
  if (!need (p, 1, "value marker", error))
    return NULL;
  marker = p->data[p->pos++];

  switch (marker) {
    case AMF3_UNDEFINED:
      return rtmp_amf_value_new_undefined ();
    case AMF3_NULL:
      return rtmp_amf_value_new_null ();
    case AMF3_FALSE:
      return rtmp_amf_value_new_boolean (FALSE);
    case AMF3_TRUE:
      return rtmp_amf_value_new_boolean (TRUE);
    case AMF3_INTEGER:{
      gint32 n;

      if (!read_u29 (p, &v, "integer", error))
        return NULL;
      /* §3.6: sign-extend the 29-bit value */
      n = (v & 0x10000000) ? (gint32) v - 0x20000000 : (gint32) v;
      return rtmp_amf_value_new_integer (n);
    }
    case AMF3_DOUBLE:
      if (!need (p, 8, "double", error))
        return NULL;
      return rtmp_amf_value_new_number (read_double (p));
    case AMF3_STRING:{
      Amf3Str s;

      if (!read_string (p, &s, "string", error))
        return NULL;
      return rtmp_amf_value_new_string_len ((const gchar *) s.ptr, s.len);
    }
    case AMF3_XML_DOC:
    case AMF3_XML:
    case AMF3_BYTE_ARRAY:
      return parse_bytes (p, marker, error);
    case AMF3_DATE:
      /* §3.10: U29O-ref or U29D-value (flag only) + double */
      if (!read_u29 (p, &v, "date", error))
        return NULL;
      if ((v & 1) == 0)
        return object_reference (p, v >> 1, error);
      if (!need (p, 8, "date", error))
        return NULL;
      return add_scalar (p, rtmp_amf_value_new_date (read_double (p), 0),
          error);
    case AMF3_ARRAY:
      return parse_array (p, depth, error);
    case AMF3_OBJECT:
      return parse_object (p, depth, error);
    case AMF3_VECTOR_INT:
    case AMF3_VECTOR_UINT:
    case AMF3_VECTOR_DOUBLE:
    case AMF3_VECTOR_OBJECT:
    case AMF3_DICTIONARY:
      /* Flash Player 10 types; no RTMP peer sends them in commands */
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED,
          "AMF3: marker 0x%02x (vector/dictionary) is not supported", marker);
      return NULL;
    default:
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_AMF,
          "AMF3: unknown marker 0x%02x at offset %" G_GSIZE_FORMAT, marker,
          p->pos - 1);
      return NULL;
  }
}

RtmpAmfValue *
rtmp_amf3_context_parse (RtmpAmf3Context * ctx, const guint8 * data,
    gsize size, gsize * consumed, guint depth, guint * n_values,
    GError ** error)
{
  Amf3Parser p;
  RtmpAmfValue *value;

  g_return_val_if_fail (ctx != NULL, NULL);
  g_return_val_if_fail (data != NULL || size == 0, NULL);
  g_return_val_if_fail (n_values != NULL, NULL);

  p.ctx = ctx;
  p.data = data;
  p.size = size;
  p.pos = 0;
  p.max_depth = MIN (ctx->limits.max_amf_depth, HARD_MAX_DEPTH);
  p.n_values = n_values;

  value = parse_value (&p, depth, error);
  if (value == NULL) {
    GST_DEBUG ("AMF3 parse failed: %s", error && *error ? (*error)->message :
        "(no error requested)");
    return NULL;
  }
  if (consumed)
    *consumed = p.pos;
  return value;
}

RtmpAmfValue *
rtmp_amf3_parse (const guint8 * data, gsize size, gsize * consumed,
    const RtmpLimits * limits, GError ** error)
{
  RtmpAmf3Context *ctx = rtmp_amf3_context_new (limits);
  RtmpAmfValue *value;
  guint n_values = 0;

  value = rtmp_amf3_context_parse (ctx, data, size, consumed, 0, &n_values,
      error);
  rtmp_amf3_context_free (ctx);
  return value;
}

/* ---- serialising ---- */

static void
put_u8 (GByteArray * out, guint8 b)
{
  g_byte_array_append (out, &b, 1);
}

static void
put_double (GByteArray * out, gdouble d)
{
  guint64 bits;

  memcpy (&bits, &d, 8);
  bits = GUINT64_TO_BE (bits);
  g_byte_array_append (out, (const guint8 *) &bits, 8);
}

/* U29 length with the inline flag, then the bytes. Lengths above 2^28-1
 * cannot be expressed; nothing that large fits in an RTMP message. */
static void
put_inline_bytes (GByteArray * out, const gchar * data, gsize len)
{
  if (len > (U29_MAX >> 1)) {
    GST_WARNING ("AMF3: %" G_GSIZE_FORMAT " bytes do not fit a U29 length, "
        "truncating", len);
    len = U29_MAX >> 1;
  }
  rtmp_amf3_write_u29 (out, ((guint32) len << 1) | 1);
  g_byte_array_append (out, (const guint8 *) data, len);
}

static void
put_properties (GByteArray * out, const RtmpAmfValue * value)
{
  guint n = rtmp_amf_value_get_n_children (value);

  for (guint i = 0; i < n; i++) {
    gsize key_len;
    const gchar *key = rtmp_amf_value_get_child_key_full (value, i, &key_len);

    if (key_len == 0) {
      /* the empty string ends the member list */
      GST_WARNING ("AMF3: skipping a property with an empty key");
      continue;
    }
    put_inline_bytes (out, key, key_len);
    rtmp_amf3_serialize (out, rtmp_amf_value_get_child (value, i));
  }
  put_u8 (out, 0x01);           /* empty string: end of members */
}

void
rtmp_amf3_serialize (GByteArray * out, const RtmpAmfValue * value)
{
  const gchar *s;
  gsize len;

  g_return_if_fail (out != NULL);
  g_return_if_fail (value != NULL);

  ensure_debug ();

  switch (rtmp_amf_value_get_type (value)) {
    case RTMP_AMF_NUMBER:
      put_u8 (out, AMF3_DOUBLE);
      put_double (out, rtmp_amf_value_get_number (value));
      break;
    case RTMP_AMF_INTEGER:{
      gint32 n = (gint32) rtmp_amf_value_get_number (value);

      if (n >= AMF3_INT_MIN && n <= AMF3_INT_MAX) {
        put_u8 (out, AMF3_INTEGER);
        rtmp_amf3_write_u29 (out, ((guint32) n) & U29_MAX);
      } else {
        put_u8 (out, AMF3_DOUBLE);
        put_double (out, n);
      }
      break;
    }
    case RTMP_AMF_BOOLEAN:
      put_u8 (out, rtmp_amf_value_get_boolean (value) ? AMF3_TRUE : AMF3_FALSE);
      break;
    case RTMP_AMF_STRING:
      s = rtmp_amf_value_get_string (value, &len);
      put_u8 (out, AMF3_STRING);
      put_inline_bytes (out, s, len);
      break;
    case RTMP_AMF_XML:
      s = rtmp_amf_value_get_string (value, &len);
      put_u8 (out, AMF3_XML);
      put_inline_bytes (out, s, len);
      break;
    case RTMP_AMF_BYTE_ARRAY:
      s = rtmp_amf_value_get_string (value, &len);
      put_u8 (out, AMF3_BYTE_ARRAY);
      put_inline_bytes (out, s, len);
      break;
    case RTMP_AMF_NULL:
      put_u8 (out, AMF3_NULL);
      break;
    case RTMP_AMF_UNDEFINED:
    case RTMP_AMF_UNSUPPORTED:
      put_u8 (out, AMF3_UNDEFINED);
      break;
    case RTMP_AMF_DATE:
      put_u8 (out, AMF3_DATE);
      put_u8 (out, 0x01);
      put_double (out, rtmp_amf_value_get_number (value));
      break;
    case RTMP_AMF_OBJECT:
    case RTMP_AMF_TYPED_OBJECT:
      put_u8 (out, AMF3_OBJECT);
      /* inline object, inline traits, not externalizable, dynamic, no
       * sealed members: 0b1011 */
      put_u8 (out, 0x0B);
      s = rtmp_amf_value_get_class_name_full (value, &len);
      put_inline_bytes (out, s, len);
      put_properties (out, value);
      break;
    case RTMP_AMF_ECMA_ARRAY:
      put_u8 (out, AMF3_ARRAY);
      put_u8 (out, 0x01);       /* no dense part */
      put_properties (out, value);
      break;
    case RTMP_AMF_STRICT_ARRAY:{
      guint n = rtmp_amf_value_get_n_children (value);

      put_u8 (out, AMF3_ARRAY);
      rtmp_amf3_write_u29 (out, (MIN (n, U29_MAX >> 1) << 1) | 1);
      put_u8 (out, 0x01);       /* no associative part */
      for (guint i = 0; i < n && i < (U29_MAX >> 1); i++)
        rtmp_amf3_serialize (out, rtmp_amf_value_get_child (value, i));
      break;
    }
  }
}
