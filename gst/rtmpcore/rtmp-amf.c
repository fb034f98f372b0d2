/* RTMP core: AMF values (the tree both the AMF0 and the AMF3 codecs use).
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmp-amf.h"

#include <math.h>
#include <string.h>

/* One property of an OBJECT / ECMA_ARRAY / TYPED_OBJECT, or one element of
 * a STRICT_ARRAY (key NULL). Keys are kept with their length because AMF
 * strings may hold NUL bytes. */
typedef struct
{
  gchar *key;
  gsize key_len;
  RtmpAmfValue *value;
} RtmpAmfProperty;

struct _RtmpAmfValue
{
  gint refcount;
  RtmpAmfType type;
  union
  {
    gdouble number;
    gint32 integer;
    gboolean boolean;
    struct
    {
      gdouble ms;
      gint16 tz;
    } date;
    struct
    {
      gchar *data;              /* NUL-terminated copy */
      gsize len;
    } bytes;                    /* STRING, XML, BYTE_ARRAY */
    struct
    {
      gchar *class_name;        /* TYPED_OBJECT only */
      gsize class_name_len;
      GArray *props;            /* RtmpAmfProperty */
    } container;
  } v;
};

/* Bounds of rtmp_amf_value_to_string(): it dumps hostile input into debug
 * logs, so neither a 16 MiB string nor a 32-deep tree of 65536 values may
 * turn into a huge log line. */
#define TO_STRING_MAX_LEN 1024
#define TO_STRING_MAX_STRING 64
#define TO_STRING_MAX_DEPTH 6
#define TO_STRING_MAX_CHILDREN 32

static RtmpAmfValue *
value_new (RtmpAmfType type)
{
  RtmpAmfValue *value = g_new0 (RtmpAmfValue, 1);

  value->refcount = 1;
  value->type = type;
  return value;
}

static gboolean
type_is_container (RtmpAmfType type)
{
  return type == RTMP_AMF_OBJECT || type == RTMP_AMF_ECMA_ARRAY
      || type == RTMP_AMF_TYPED_OBJECT || type == RTMP_AMF_STRICT_ARRAY;
}

static gboolean
type_is_bytes (RtmpAmfType type)
{
  return type == RTMP_AMF_STRING || type == RTMP_AMF_XML
      || type == RTMP_AMF_BYTE_ARRAY;
}

static void
property_clear (gpointer data)
{
  RtmpAmfProperty *prop = data;

  g_free (prop->key);
  if (prop->value)
    rtmp_amf_value_unref (prop->value);
}

static RtmpAmfValue *
container_new (RtmpAmfType type)
{
  RtmpAmfValue *value = value_new (type);

  value->v.container.props =
      g_array_new (FALSE, FALSE, sizeof (RtmpAmfProperty));
  g_array_set_clear_func (value->v.container.props, property_clear);
  return value;
}

static RtmpAmfValue *
bytes_new (RtmpAmfType type, const gchar * data, gsize len)
{
  RtmpAmfValue *value = value_new (type);

  value->v.bytes.data = g_malloc (len + 1);
  if (len > 0)
    memcpy (value->v.bytes.data, data, len);
  value->v.bytes.data[len] = '\0';
  value->v.bytes.len = len;
  return value;
}

RtmpAmfValue *
rtmp_amf_value_ref (RtmpAmfValue * value)
{
  g_return_val_if_fail (value != NULL, NULL);

  g_atomic_int_inc (&value->refcount);
  return value;
}

void
rtmp_amf_value_unref (RtmpAmfValue * value)
{
  g_return_if_fail (value != NULL);

  if (!g_atomic_int_dec_and_test (&value->refcount))
    return;

  if (type_is_container (value->type)) {
    g_free (value->v.container.class_name);
    g_array_unref (value->v.container.props);
  } else if (type_is_bytes (value->type)) {
    g_free (value->v.bytes.data);
  }
  g_free (value);
}

RtmpAmfValue *
rtmp_amf_value_new_number (gdouble n)
{
  RtmpAmfValue *value = value_new (RTMP_AMF_NUMBER);

  value->v.number = n;
  return value;
}

RtmpAmfValue *
rtmp_amf_value_new_integer (gint32 n)
{
  RtmpAmfValue *value = value_new (RTMP_AMF_INTEGER);

  value->v.integer = n;
  return value;
}

RtmpAmfValue *
rtmp_amf_value_new_boolean (gboolean b)
{
  RtmpAmfValue *value = value_new (RTMP_AMF_BOOLEAN);

  value->v.boolean = b ? TRUE : FALSE;
  return value;
}

RtmpAmfValue *
rtmp_amf_value_new_string (const gchar * s)
{
  g_return_val_if_fail (s != NULL, NULL);

  return bytes_new (RTMP_AMF_STRING, s, strlen (s));
}

RtmpAmfValue *
rtmp_amf_value_new_string_len (const gchar * s, gsize len)
{
  g_return_val_if_fail (s != NULL || len == 0, NULL);

  return bytes_new (RTMP_AMF_STRING, s, len);
}

RtmpAmfValue *
rtmp_amf_value_new_null (void)
{
  return value_new (RTMP_AMF_NULL);
}

RtmpAmfValue *
rtmp_amf_value_new_undefined (void)
{
  return value_new (RTMP_AMF_UNDEFINED);
}

RtmpAmfValue *
rtmp_amf_value_new_unsupported (void)
{
  return value_new (RTMP_AMF_UNSUPPORTED);
}

RtmpAmfValue *
rtmp_amf_value_new_object (void)
{
  return container_new (RTMP_AMF_OBJECT);
}

RtmpAmfValue *
rtmp_amf_value_new_ecma_array (void)
{
  return container_new (RTMP_AMF_ECMA_ARRAY);
}

RtmpAmfValue *
rtmp_amf_value_new_typed_object (const gchar * class_name)
{
  g_return_val_if_fail (class_name != NULL, NULL);

  return rtmp_amf_value_new_typed_object_len (class_name, strlen (class_name));
}

RtmpAmfValue *
rtmp_amf_value_new_typed_object_len (const gchar * class_name, gsize len)
{
  RtmpAmfValue *value;

  g_return_val_if_fail (class_name != NULL || len == 0, NULL);

  value = container_new (RTMP_AMF_TYPED_OBJECT);
  value->v.container.class_name = g_malloc (len + 1);
  if (len > 0)
    memcpy (value->v.container.class_name, class_name, len);
  value->v.container.class_name[len] = '\0';
  value->v.container.class_name_len = len;
  return value;
}

RtmpAmfValue *
rtmp_amf_value_new_strict_array (void)
{
  return container_new (RTMP_AMF_STRICT_ARRAY);
}

RtmpAmfValue *
rtmp_amf_value_new_date (gdouble ms, gint16 tz)
{
  RtmpAmfValue *value = value_new (RTMP_AMF_DATE);

  value->v.date.ms = ms;
  value->v.date.tz = tz;
  return value;
}

RtmpAmfValue *
rtmp_amf_value_new_xml (const gchar * s, gsize len)
{
  g_return_val_if_fail (s != NULL || len == 0, NULL);

  return bytes_new (RTMP_AMF_XML, s, len);
}

RtmpAmfValue *
rtmp_amf_value_new_byte_array (const guint8 * data, gsize len)
{
  g_return_val_if_fail (data != NULL || len == 0, NULL);

  return bytes_new (RTMP_AMF_BYTE_ARRAY, (const gchar *) data, len);
}

RtmpAmfType
rtmp_amf_value_get_type (const RtmpAmfValue * value)
{
  g_return_val_if_fail (value != NULL, RTMP_AMF_UNDEFINED);

  return value->type;
}

const gchar *
rtmp_amf_type_get_name (RtmpAmfType type)
{
  switch (type) {
    case RTMP_AMF_NUMBER:
      return "number";
    case RTMP_AMF_BOOLEAN:
      return "boolean";
    case RTMP_AMF_STRING:
      return "string";
    case RTMP_AMF_OBJECT:
      return "object";
    case RTMP_AMF_NULL:
      return "null";
    case RTMP_AMF_UNDEFINED:
      return "undefined";
    case RTMP_AMF_ECMA_ARRAY:
      return "ecma-array";
    case RTMP_AMF_STRICT_ARRAY:
      return "strict-array";
    case RTMP_AMF_DATE:
      return "date";
    case RTMP_AMF_XML:
      return "xml";
    case RTMP_AMF_TYPED_OBJECT:
      return "typed-object";
    case RTMP_AMF_UNSUPPORTED:
      return "unsupported";
    case RTMP_AMF_INTEGER:
      return "integer";
    case RTMP_AMF_BYTE_ARRAY:
      return "byte-array";
  }
  return "invalid";
}

gdouble
rtmp_amf_value_get_number (const RtmpAmfValue * value)
{
  g_return_val_if_fail (value != NULL, 0.0);

  switch (value->type) {
    case RTMP_AMF_NUMBER:
      return value->v.number;
    case RTMP_AMF_INTEGER:
      return value->v.integer;
    case RTMP_AMF_DATE:
      return value->v.date.ms;
    default:
      return 0.0;
  }
}

gboolean
rtmp_amf_value_get_boolean (const RtmpAmfValue * value)
{
  g_return_val_if_fail (value != NULL, FALSE);

  return value->type == RTMP_AMF_BOOLEAN ? value->v.boolean : FALSE;
}

const gchar *
rtmp_amf_value_get_string (const RtmpAmfValue * value, gsize * len)
{
  g_return_val_if_fail (value != NULL, NULL);

  if (!type_is_bytes (value->type)) {
    if (len)
      *len = 0;
    return NULL;
  }
  if (len)
    *len = value->v.bytes.len;
  return value->v.bytes.data;
}

gint16
rtmp_amf_value_get_date_timezone (const RtmpAmfValue * value)
{
  g_return_val_if_fail (value != NULL, 0);

  return value->type == RTMP_AMF_DATE ? value->v.date.tz : 0;
}

const gchar *
rtmp_amf_value_get_class_name (const RtmpAmfValue * value)
{
  return rtmp_amf_value_get_class_name_full (value, NULL);
}

const gchar *
rtmp_amf_value_get_class_name_full (const RtmpAmfValue * value, gsize * len)
{
  g_return_val_if_fail (value != NULL, NULL);

  if (value->type != RTMP_AMF_TYPED_OBJECT) {
    if (len)
      *len = 0;
    return NULL;
  }
  if (len)
    *len = value->v.container.class_name_len;
  return value->v.container.class_name;
}

gboolean
rtmp_amf_value_is_container (const RtmpAmfValue * value)
{
  g_return_val_if_fail (value != NULL, FALSE);

  return type_is_container (value->type);
}

guint
rtmp_amf_value_get_n_children (const RtmpAmfValue * value)
{
  g_return_val_if_fail (value != NULL, 0);

  if (!type_is_container (value->type))
    return 0;
  return value->v.container.props->len;
}

static const RtmpAmfProperty *
get_property (const RtmpAmfValue * value, guint index)
{
  if (!type_is_container (value->type)
      || index >= value->v.container.props->len)
    return NULL;
  return &g_array_index (value->v.container.props, RtmpAmfProperty, index);
}

const gchar *
rtmp_amf_value_get_child_key (const RtmpAmfValue * value, guint index)
{
  return rtmp_amf_value_get_child_key_full (value, index, NULL);
}

const gchar *
rtmp_amf_value_get_child_key_full (const RtmpAmfValue * value, guint index,
    gsize * len)
{
  const RtmpAmfProperty *prop;

  g_return_val_if_fail (value != NULL, NULL);

  prop = get_property (value, index);
  if (len)
    *len = prop ? prop->key_len : 0;
  return prop ? prop->key : NULL;
}

RtmpAmfValue *
rtmp_amf_value_get_child (const RtmpAmfValue * value, guint index)
{
  const RtmpAmfProperty *prop;

  g_return_val_if_fail (value != NULL, NULL);

  prop = get_property (value, index);
  return prop ? prop->value : NULL;
}

RtmpAmfValue *
rtmp_amf_value_lookup (const RtmpAmfValue * value, const gchar * key)
{
  GArray *props;
  gsize key_len;

  g_return_val_if_fail (value != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  if (!type_is_container (value->type)
      || value->type == RTMP_AMF_STRICT_ARRAY)
    return NULL;

  /* Linear: commands carry ~10 properties, onMetaData ~20. */
  key_len = strlen (key);
  props = value->v.container.props;
  for (guint i = 0; i < props->len; i++) {
    const RtmpAmfProperty *prop = &g_array_index (props, RtmpAmfProperty, i);

    if (prop->key_len == key_len && memcmp (prop->key, key, key_len) == 0)
      return prop->value;
  }
  return NULL;
}

const gchar *
rtmp_amf_value_lookup_string (const RtmpAmfValue * value, const gchar * key)
{
  RtmpAmfValue *v = rtmp_amf_value_lookup (value, key);

  if (v == NULL || v->type != RTMP_AMF_STRING)
    return NULL;
  return v->v.bytes.data;
}

gboolean
rtmp_amf_value_lookup_number (const RtmpAmfValue * value, const gchar * key,
    gdouble * out)
{
  RtmpAmfValue *v = rtmp_amf_value_lookup (value, key);

  if (v == NULL || (v->type != RTMP_AMF_NUMBER && v->type != RTMP_AMF_INTEGER))
    return FALSE;
  if (out)
    *out = rtmp_amf_value_get_number (v);
  return TRUE;
}

void
rtmp_amf_value_set_full (RtmpAmfValue * value, const gchar * key,
    gsize key_len, RtmpAmfValue * v)
{
  RtmpAmfProperty prop;

  g_return_if_fail (value != NULL);
  g_return_if_fail (v != NULL);
  g_return_if_fail (key != NULL || key_len == 0);
  if (!type_is_container (value->type)
      || value->type == RTMP_AMF_STRICT_ARRAY) {
    g_critical ("rtmp_amf_value_set on a %s",
        rtmp_amf_type_get_name (value->type));
    rtmp_amf_value_unref (v);
    return;
  }

  prop.key = g_malloc (key_len + 1);
  if (key_len > 0)
    memcpy (prop.key, key, key_len);
  prop.key[key_len] = '\0';
  prop.key_len = key_len;
  prop.value = v;
  g_array_append_val (value->v.container.props, prop);
}

void
rtmp_amf_value_set (RtmpAmfValue * value, const gchar * key, RtmpAmfValue * v)
{
  g_return_if_fail (key != NULL);

  rtmp_amf_value_set_full (value, key, strlen (key), v);
}

void
rtmp_amf_value_set_string (RtmpAmfValue * value, const gchar * key,
    const gchar * s)
{
  rtmp_amf_value_set (value, key, rtmp_amf_value_new_string (s));
}

void
rtmp_amf_value_set_number (RtmpAmfValue * value, const gchar * key, gdouble n)
{
  rtmp_amf_value_set (value, key, rtmp_amf_value_new_number (n));
}

void
rtmp_amf_value_set_boolean (RtmpAmfValue * value, const gchar * key, gboolean b)
{
  rtmp_amf_value_set (value, key, rtmp_amf_value_new_boolean (b));
}

void
rtmp_amf_value_append (RtmpAmfValue * value, RtmpAmfValue * v)
{
  RtmpAmfProperty prop = { NULL, 0, v };

  g_return_if_fail (value != NULL);
  g_return_if_fail (v != NULL);
  if (value->type != RTMP_AMF_STRICT_ARRAY) {
    g_critical ("rtmp_amf_value_append on a %s",
        rtmp_amf_type_get_name (value->type));
    rtmp_amf_value_unref (v);
    return;
  }
  g_array_append_val (value->v.container.props, prop);
}

static gboolean
double_equal (gdouble a, gdouble b)
{
  /* NaN == NaN here: a round trip must compare equal to itself */
  return a == b || (isnan (a) && isnan (b));
}

gboolean
rtmp_amf_value_equal (const RtmpAmfValue * a, const RtmpAmfValue * b)
{
  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL || a->type != b->type)
    return FALSE;

  switch (a->type) {
    case RTMP_AMF_NUMBER:
      return double_equal (a->v.number, b->v.number);
    case RTMP_AMF_INTEGER:
      return a->v.integer == b->v.integer;
    case RTMP_AMF_BOOLEAN:
      return a->v.boolean == b->v.boolean;
    case RTMP_AMF_DATE:
      return double_equal (a->v.date.ms, b->v.date.ms)
          && a->v.date.tz == b->v.date.tz;
    case RTMP_AMF_STRING:
    case RTMP_AMF_XML:
    case RTMP_AMF_BYTE_ARRAY:
      return a->v.bytes.len == b->v.bytes.len
          && memcmp (a->v.bytes.data, b->v.bytes.data, a->v.bytes.len) == 0;
    case RTMP_AMF_NULL:
    case RTMP_AMF_UNDEFINED:
    case RTMP_AMF_UNSUPPORTED:
      return TRUE;
    case RTMP_AMF_TYPED_OBJECT:
      if (a->v.container.class_name_len != b->v.container.class_name_len
          || memcmp (a->v.container.class_name, b->v.container.class_name,
              a->v.container.class_name_len) != 0)
        return FALSE;
      /* fall through */
    case RTMP_AMF_OBJECT:
    case RTMP_AMF_ECMA_ARRAY:
    case RTMP_AMF_STRICT_ARRAY:{
      GArray *pa = a->v.container.props, *pb = b->v.container.props;

      if (pa->len != pb->len)
        return FALSE;
      for (guint i = 0; i < pa->len; i++) {
        const RtmpAmfProperty *x = &g_array_index (pa, RtmpAmfProperty, i);
        const RtmpAmfProperty *y = &g_array_index (pb, RtmpAmfProperty, i);

        if (x->key_len != y->key_len || (x->key_len > 0
                && memcmp (x->key, y->key, x->key_len) != 0))
          return FALSE;
        if (!rtmp_amf_value_equal (x->value, y->value))
          return FALSE;
      }
      return TRUE;
    }
  }
  return FALSE;
}

/* Appends @len bytes as a quoted, escaped string, cut at
 * TO_STRING_MAX_STRING bytes (non-printable bytes become \xNN). */
static void
append_escaped (GString * out, const gchar * s, gsize len)
{
  gsize n = MIN (len, TO_STRING_MAX_STRING);

  g_string_append_c (out, '"');
  for (gsize i = 0; i < n; i++) {
    guchar c = (guchar) s[i];

    if (c == '"' || c == '\\')
      g_string_append_printf (out, "\\%c", c);
    else if (c >= 0x20 && c < 0x7f)
      g_string_append_c (out, (gchar) c);
    else
      g_string_append_printf (out, "\\x%02x", c);
  }
  g_string_append_c (out, '"');
  if (len > n)
    g_string_append_printf (out, "...(%" G_GSIZE_FORMAT " bytes)", len);
}

static void
append_double (GString * out, gdouble d)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (out, g_ascii_formatd (buf, sizeof (buf), "%.15g", d));
}

static void
append_value (GString * out, const RtmpAmfValue * value, guint depth)
{
  /* Every call appends at least one byte, so stopping at the length bound
   * also bounds the walk (a hostile tree of shared references could
   * otherwise be exponential in size). */
  if (out->len >= TO_STRING_MAX_LEN)
    return;

  switch (value->type) {
    case RTMP_AMF_NUMBER:
      append_double (out, value->v.number);
      break;
    case RTMP_AMF_INTEGER:
      g_string_append_printf (out, "%" G_GINT32_FORMAT "i", value->v.integer);
      break;
    case RTMP_AMF_BOOLEAN:
      g_string_append (out, value->v.boolean ? "true" : "false");
      break;
    case RTMP_AMF_STRING:
      append_escaped (out, value->v.bytes.data, value->v.bytes.len);
      break;
    case RTMP_AMF_XML:
      g_string_append (out, "xml:");
      append_escaped (out, value->v.bytes.data, value->v.bytes.len);
      break;
    case RTMP_AMF_BYTE_ARRAY:
      g_string_append (out, "bytes:");
      append_escaped (out, value->v.bytes.data, value->v.bytes.len);
      break;
    case RTMP_AMF_NULL:
      g_string_append (out, "null");
      break;
    case RTMP_AMF_UNDEFINED:
      g_string_append (out, "undefined");
      break;
    case RTMP_AMF_UNSUPPORTED:
      g_string_append (out, "unsupported");
      break;
    case RTMP_AMF_DATE:
      g_string_append (out, "date(");
      append_double (out, value->v.date.ms);
      g_string_append_printf (out, ", tz %d)", value->v.date.tz);
      break;
    case RTMP_AMF_TYPED_OBJECT:
    case RTMP_AMF_OBJECT:
    case RTMP_AMF_ECMA_ARRAY:
    case RTMP_AMF_STRICT_ARRAY:{
      GArray *props = value->v.container.props;
      gboolean is_array = value->type == RTMP_AMF_STRICT_ARRAY;

      if (value->type == RTMP_AMF_TYPED_OBJECT) {
        append_escaped (out, value->v.container.class_name,
            value->v.container.class_name_len);
      } else if (value->type == RTMP_AMF_ECMA_ARRAY) {
        g_string_append (out, "ecma");
      }
      g_string_append_c (out, is_array ? '[' : '{');
      if (depth >= TO_STRING_MAX_DEPTH && props->len > 0) {
        g_string_append_printf (out, "...%u", props->len);
      } else {
        for (guint i = 0; i < props->len; i++) {
          const RtmpAmfProperty *prop =
              &g_array_index (props, RtmpAmfProperty, i);

          if (i > 0)
            g_string_append (out, ", ");
          if (i >= TO_STRING_MAX_CHILDREN || out->len >= TO_STRING_MAX_LEN) {
            g_string_append_printf (out, "...+%u", props->len - i);
            break;
          }
          if (!is_array) {
            append_escaped (out, prop->key, prop->key_len);
            g_string_append (out, ": ");
          }
          append_value (out, prop->value, depth + 1);
        }
      }
      g_string_append_c (out, is_array ? ']' : '}');
      break;
    }
  }
}

gchar *
rtmp_amf_value_to_string (const RtmpAmfValue * value)
{
  GString *out;

  if (value == NULL)
    return g_strdup ("(NULL)");

  out = g_string_sized_new (64);
  append_value (out, value, 0);
  if (out->len >= TO_STRING_MAX_LEN) {
    /* children stop being added once past the bound; closing brackets and
     * one last escaped string may go slightly over: cut hard */
    g_string_truncate (out, TO_STRING_MAX_LEN);
    g_string_append (out, "...");
  }
  return g_string_free (out, FALSE);
}
