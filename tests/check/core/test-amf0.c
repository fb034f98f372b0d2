/* Unit tests: AMF values and the AMF0 parser/serialiser.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "rtmp-amf.h"
#include "rtmp-amf0.h"
#include "rtmp-amf3.h"
#include "rtmp-error.h"
#include "test-util.h"

/* ---- helpers ---- */

/* Parses @size bytes from an exact-size heap copy, so ASan sees any read
 * past the end. */
static RtmpAmfValue *
parse_exact (const guint8 * data, gsize size, gsize * consumed,
    const RtmpLimits * limits, GError ** error)
{
  guint8 *copy = g_memdup2 (data, size);
  RtmpAmfValue *v = rtmp_amf0_parse (copy, size, consumed, limits, error);

  g_free (copy);
  return v;
}

static GBytes *
serialize (const RtmpAmfValue * v)
{
  GByteArray *out = g_byte_array_new ();

  rtmp_amf0_serialize (out, v);
  return g_byte_array_free_to_bytes (out);
}

static void
assert_error (GError * err, gint code, const gchar * substring)
{
  fail_unless (err != NULL, "no error set");
  fail_unless (g_error_matches (err, RTMP_ERROR, code),
      "expected code %d, got %s/%d: %s", code,
      g_quark_to_string (err->domain), err->code, err->message);
  if (substring)
    fail_unless (strstr (err->message, substring) != NULL,
        "'%s' not in '%s'", substring, err->message);
}

/* Every proper prefix of a complete single value must fail as truncated
 * (the parser takes whole message bodies, so "need more" is an error). */
static void
check_all_prefixes (const guint8 * data, gsize size)
{
  for (gsize cut = 0; cut < size; cut++) {
    GError *err = NULL;
    gsize consumed = 12345;
    RtmpAmfValue *v = parse_exact (data, cut, &consumed, NULL, &err);

    fail_unless (v == NULL, "prefix of %" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT
        " bytes parsed", cut, size);
    fail_unless (consumed == 12345, "consumed set on failure");
    assert_error (err, RTMP_ERROR_AMF, "truncated");
    g_error_free (err);
  }
}

/* ---- expected values for the vector table ---- */

static RtmpAmfValue *
v_number_one (void)
{
  return rtmp_amf_value_new_number (1.0);
}

static RtmpAmfValue *
v_number_neg (void)
{
  return rtmp_amf_value_new_number (-1234.5);
}

static RtmpAmfValue *
v_true (void)
{
  return rtmp_amf_value_new_boolean (TRUE);
}

static RtmpAmfValue *
v_false (void)
{
  return rtmp_amf_value_new_boolean (FALSE);
}

static RtmpAmfValue *
v_connect (void)
{
  return rtmp_amf_value_new_string ("connect");
}

static RtmpAmfValue *
v_empty_string (void)
{
  return rtmp_amf_value_new_string ("");
}

static RtmpAmfValue *
v_binary_string (void)
{
  return rtmp_amf_value_new_string_len ("a\0\xff" "b", 4);
}

static RtmpAmfValue *
v_abc (void)
{
  return rtmp_amf_value_new_string ("abc");
}

static RtmpAmfValue *
v_app_live (void)
{
  RtmpAmfValue *o = rtmp_amf_value_new_object ();

  rtmp_amf_value_set_string (o, "app", "live");
  return o;
}

static RtmpAmfValue *
v_empty_object (void)
{
  return rtmp_amf_value_new_object ();
}

static RtmpAmfValue *
v_empty_key (void)
{
  RtmpAmfValue *o = rtmp_amf_value_new_object ();

  rtmp_amf_value_set (o, "", rtmp_amf_value_new_null ());
  return o;
}

static RtmpAmfValue *
v_null (void)
{
  return rtmp_amf_value_new_null ();
}

static RtmpAmfValue *
v_undefined (void)
{
  return rtmp_amf_value_new_undefined ();
}

static RtmpAmfValue *
v_unsupported (void)
{
  return rtmp_amf_value_new_unsupported ();
}

static RtmpAmfValue *
v_ref_array (void)
{
  RtmpAmfValue *a = rtmp_amf_value_new_strict_array ();
  RtmpAmfValue *o = v_app_live ();

  rtmp_amf_value_append (a, rtmp_amf_value_ref (o));
  rtmp_amf_value_append (a, o);
  return a;
}

static RtmpAmfValue *
v_ecma (void)
{
  RtmpAmfValue *e = rtmp_amf_value_new_ecma_array ();

  rtmp_amf_value_set_number (e, "a", 1.0);
  return e;
}

static RtmpAmfValue *
v_empty_ecma (void)
{
  return rtmp_amf_value_new_ecma_array ();
}

static RtmpAmfValue *
v_strict (void)
{
  RtmpAmfValue *a = rtmp_amf_value_new_strict_array ();

  rtmp_amf_value_append (a, rtmp_amf_value_new_number (1.0));
  rtmp_amf_value_append (a, rtmp_amf_value_new_string ("a"));
  return a;
}

static RtmpAmfValue *
v_empty_strict (void)
{
  return rtmp_amf_value_new_strict_array ();
}

static RtmpAmfValue *
v_date (void)
{
  return rtmp_amf_value_new_date (1.0, -60);
}

static RtmpAmfValue *
v_xml (void)
{
  return rtmp_amf_value_new_xml ("<a/>", 4);
}

static RtmpAmfValue *
v_typed (void)
{
  RtmpAmfValue *t = rtmp_amf_value_new_typed_object ("Foo");

  rtmp_amf_value_set (t, "x", rtmp_amf_value_new_null ());
  return t;
}

static RtmpAmfValue *
v_amf3_int (void)
{
  return rtmp_amf_value_new_integer (5);
}

static RtmpAmfValue *
v_amf3_string (void)
{
  return rtmp_amf_value_new_string ("hi");
}

static RtmpAmfValue *
v_nested (void)
{
  RtmpAmfValue *o = rtmp_amf_value_new_object ();
  RtmpAmfValue *inner = rtmp_amf_value_new_object ();
  RtmpAmfValue *arr = rtmp_amf_value_new_strict_array ();

  rtmp_amf_value_append (arr, rtmp_amf_value_new_number (1.0));
  rtmp_amf_value_set (inner, "b", arr);
  rtmp_amf_value_set (o, "a", inner);
  return o;
}

typedef struct
{
  const gchar *name;
  const gchar *hex;
  RtmpAmfValue *(*expected) (void);
  gboolean canonical;           /* serialising the value gives these bytes */
} Vector;

static const Vector vectors[] = {
  {"number", "00 3ff0000000000000", v_number_one, TRUE},
  {"negative number", "00 c0934a0000000000", v_number_neg, TRUE},
  {"true", "01 01", v_true, TRUE},
  {"false", "01 00", v_false, TRUE},
  {"true (non-zero)", "01 05", v_true, FALSE},
  {"string", "02 0007 636f6e6e656374", v_connect, TRUE},
  {"empty string", "02 0000", v_empty_string, TRUE},
  {"string with NUL and non-UTF-8", "02 0004 6100ff62", v_binary_string,
      TRUE},
  {"object", "03 0003 617070 02 0004 6c697665 0000 09", v_app_live, TRUE},
  {"empty object", "03 0000 09", v_empty_object, TRUE},
  {"object with empty key", "03 0000 05 0000 09", v_empty_key, TRUE},
  {"null", "05", v_null, TRUE},
  {"undefined", "06", v_undefined, TRUE},
  {"reference", "0a 00000002 03 0003 617070 02 0004 6c697665 0000 09 "
        "07 0001", v_ref_array, FALSE},
  {"ecma array", "08 00000001 0001 61 00 3ff0000000000000 0000 09", v_ecma,
      TRUE},
  {"ecma array, wrong count", "08 00000007 0001 61 00 3ff0000000000000 "
        "0000 09", v_ecma, FALSE},
  {"empty ecma array", "08 00000000 0000 09", v_empty_ecma, TRUE},
  {"strict array", "0a 00000002 00 3ff0000000000000 02 0001 61", v_strict,
      TRUE},
  {"empty strict array", "0a 00000000", v_empty_strict, TRUE},
  {"date with timezone", "0b 3ff0000000000000 ffc4", v_date, TRUE},
  {"long string", "0c 00000003 616263", v_abc, FALSE},
  {"unsupported", "0d", v_unsupported, TRUE},
  {"xml document", "0f 00000004 3c612f3e", v_xml, TRUE},
  {"typed object", "10 0003 466f6f 0001 78 05 0000 09", v_typed, TRUE},
  {"avm+ integer", "11 04 05", v_amf3_int, FALSE},
  {"avm+ string", "11 06 05 6869", v_amf3_string, FALSE},
  {"nested", "03 0001 61 03 0001 62 0a 00000001 00 3ff0000000000000 0000 09 "
        "0000 09", v_nested, TRUE},
};

GST_START_TEST (test_vectors)
{
  for (guint i = 0; i < G_N_ELEMENTS (vectors); i++) {
    const Vector *vec = &vectors[i];
    GBytes *bytes = test_util_hex (vec->hex);
    gsize size;
    const guint8 *data = g_bytes_get_data (bytes, &size);
    RtmpAmfValue *expected = vec->expected ();
    RtmpAmfValue *v;
    GPtrArray *all;
    GError *err = NULL;
    gsize consumed = 0;
    GByteArray *trailing;

    /* whole */
    v = parse_exact (data, size, &consumed, NULL, &err);
    fail_unless (v != NULL, "%s: %s", vec->name, err ? err->message : "");
    fail_unless_equals_uint64 (consumed, size);
    if (!rtmp_amf_value_equal (v, expected)) {
      gchar *a = rtmp_amf_value_to_string (v);
      gchar *b = rtmp_amf_value_to_string (expected);
      fail ("%s: got %s, expected %s", vec->name, a, b);
    }
    rtmp_amf_value_unref (v);

    /* with trailing data: consumed stops at the value's end */
    trailing = g_byte_array_new ();
    g_byte_array_append (trailing, data, size);
    g_byte_array_append (trailing, (const guint8 *) "\x05\x05", 2);
    v = parse_exact (trailing->data, trailing->len, &consumed, NULL, &err);
    fail_unless (v != NULL, "%s", vec->name);
    fail_unless_equals_uint64 (consumed, size);
    rtmp_amf_value_unref (v);
    all = rtmp_amf0_parse_all (trailing->data, trailing->len, NULL, &err);
    fail_unless (all != NULL && all->len == 3, "%s", vec->name);
    fail_unless (rtmp_amf_value_equal (g_ptr_array_index (all, 0), expected));
    g_ptr_array_unref (all);
    g_byte_array_unref (trailing);

    /* every truncation point */
    check_all_prefixes (data, size);

    /* serialise */
    if (vec->canonical) {
      GBytes *out = serialize (expected);

      fail_unless (g_bytes_equal (out, bytes), "%s: serialised differently",
          vec->name);
      g_bytes_unref (out);
    }
    rtmp_amf_value_unref (expected);
    g_bytes_unref (bytes);
  }
}

GST_END_TEST;

/* ---- malformed input ---- */

typedef struct
{
  const gchar *name;
  const gchar *hex;
  gint code;
  const gchar *substring;
} BadVector;

static const BadVector bad_vectors[] = {
  {"movieclip", "04", RTMP_ERROR_AMF, "reserved marker 0x04"},
  {"recordset", "0e", RTMP_ERROR_AMF, "reserved marker 0x0e"},
  {"unknown 0x12", "12", RTMP_ERROR_AMF, "unknown marker 0x12"},
  {"unknown 0xff", "ff", RTMP_ERROR_AMF, "unknown marker 0xff"},
  {"object end at top", "09", RTMP_ERROR_AMF, "object-end"},
  {"object end as property value", "03 0001 61 09", RTMP_ERROR_AMF,
      "object-end"},
  {"object end in strict array", "0a 00000001 09", RTMP_ERROR_AMF,
      "object-end"},
  {"missing object end", "03 0001 61 05", RTMP_ERROR_AMF, "truncated"},
  {"missing ecma end", "08 00000001 0001 61 05", RTMP_ERROR_AMF,
      "truncated"},
  {"empty key then end of data", "03 0000", RTMP_ERROR_AMF, "truncated"},
  {"reference at top, empty table", "07 0000", RTMP_ERROR_AMF,
      "out of range"},
  {"reference out of range", "0a 00000002 03 0000 09 07 0002",
      RTMP_ERROR_AMF, "out of range"},
  {"reference to the object being parsed", "03 0001 61 07 0000",
      RTMP_ERROR_AMF, "still being parsed"},
  {"reference to an enclosing array", "0a 00000001 03 0001 61 07 0000 0000 09",
      RTMP_ERROR_AMF, "still being parsed"},
  {"long string 0xffffffff", "0c ffffffff 616263", RTMP_ERROR_AMF,
      "truncated"},
  {"xml 0xffffffff", "0f ffffffff 61", RTMP_ERROR_AMF, "truncated"},
  {"strict array 0xffffffff", "0a ffffffff 05 05", RTMP_ERROR_AMF,
      "truncated strict array"},
  {"string longer than input", "02 ffff 61", RTMP_ERROR_AMF, "truncated"},
  {"avm+ externalizable", "11 0a 07 07 466f6f", RTMP_ERROR_UNSUPPORTED,
      "externalizable"},
  {"avm+ vector", "11 0d 01 00", RTMP_ERROR_UNSUPPORTED, "vector"},
  {"avm+ unknown marker", "11 20", RTMP_ERROR_AMF, "unknown marker 0x20"},
  {"avm+ bad reference", "11 06 00", RTMP_ERROR_AMF, "out of range"},
};

GST_START_TEST (test_malformed)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_vectors); i++) {
    const BadVector *vec = &bad_vectors[i];
    GBytes *bytes = test_util_hex (vec->hex);
    gsize size;
    const guint8 *data = g_bytes_get_data (bytes, &size);
    GError *err = NULL;
    RtmpAmfValue *v = parse_exact (data, size, NULL, NULL, &err);
    GPtrArray *all;

    fail_unless (v == NULL, "%s parsed", vec->name);
    assert_error (err, vec->code, vec->substring);
    g_clear_error (&err);

    /* the same inside a message: no partial list */
    all = rtmp_amf0_parse_all (data, size, NULL, &err);
    fail_unless (all == NULL, "%s parsed by parse_all", vec->name);
    assert_error (err, vec->code, vec->substring);
    g_clear_error (&err);
    g_bytes_unref (bytes);
  }
}

GST_END_TEST;

/* n nested strict arrays of one element around a null */
static GByteArray *
nested_arrays (guint n)
{
  GByteArray *b = g_byte_array_new ();
  static const guint8 head[] = { 0x0a, 0, 0, 0, 1 };

  for (guint i = 0; i < n; i++)
    g_byte_array_append (b, head, sizeof (head));
  g_byte_array_append (b, (const guint8 *) "\x05", 1);
  return b;
}

GST_START_TEST (test_depth_limit)
{
  RtmpLimits limits;
  GError *err = NULL;
  GByteArray *b;
  RtmpAmfValue *v;
  gint64 start = g_get_monotonic_time ();

  rtmp_limits_init (&limits);

  /* hostile: 100000 levels */
  b = nested_arrays (100000);
  v = rtmp_amf0_parse (b->data, b->len, NULL, &limits, &err);
  fail_unless (v == NULL);
  assert_error (err, RTMP_ERROR_LIMIT, "max_amf_depth");
  g_clear_error (&err);
  g_byte_array_unref (b);
  fail_unless (g_get_monotonic_time () - start < G_USEC_PER_SEC);

  /* exactly at the limit passes, one more fails */
  b = nested_arrays (limits.max_amf_depth);
  v = rtmp_amf0_parse (b->data, b->len, NULL, &limits, &err);
  fail_unless (v != NULL, "%s", err ? err->message : "");
  {
    GBytes *out = serialize (v);
    fail_unless_equals_uint64 (g_bytes_get_size (out), b->len);
    g_bytes_unref (out);
  }
  rtmp_amf_value_unref (v);
  g_byte_array_unref (b);

  b = nested_arrays (limits.max_amf_depth + 1);
  v = rtmp_amf0_parse (b->data, b->len, NULL, &limits, &err);
  fail_unless (v == NULL);
  assert_error (err, RTMP_ERROR_LIMIT, "max_amf_depth");
  g_clear_error (&err);
  g_byte_array_unref (b);

  /* objects count as well; a configurable smaller limit */
  limits.max_amf_depth = 2;
  b = g_byte_array_new ();
  g_byte_array_append (b, (const guint8 *) "\x03\x00\x01" "a" "\x03\x00\x01"
      "b" "\x03\x00\x00\x09\x00\x00\x09\x00\x00\x09", 19);
  v = rtmp_amf0_parse (b->data, b->len, NULL, &limits, &err);
  fail_unless (v == NULL);
  assert_error (err, RTMP_ERROR_LIMIT, "max_amf_depth");
  g_clear_error (&err);
  limits.max_amf_depth = 3;
  v = rtmp_amf0_parse (b->data, b->len, NULL, &limits, &err);
  fail_unless (v != NULL);
  rtmp_amf_value_unref (v);
  g_byte_array_unref (b);
}

GST_END_TEST;

GST_START_TEST (test_value_count_limit)
{
  RtmpLimits limits;
  GError *err = NULL;
  GByteArray *b = g_byte_array_new ();
  static const guint8 head[] = { 0x0a, 0, 0, 0, 20 };
  RtmpAmfValue *v;
  GPtrArray *all;

  rtmp_limits_init (&limits);
  limits.max_amf_values = 21;
  g_byte_array_append (b, head, sizeof (head));
  for (guint i = 0; i < 20; i++)
    g_byte_array_append (b, (const guint8 *) "\x05", 1);

  /* 1 array + 20 nulls = 21 values: fits */
  v = rtmp_amf0_parse (b->data, b->len, NULL, &limits, &err);
  fail_unless (v != NULL);
  fail_unless_equals_int (rtmp_amf_value_get_n_children (v), 20);
  rtmp_amf_value_unref (v);

  /* one more value in the message: too many */
  g_byte_array_append (b, (const guint8 *) "\x05", 1);
  all = rtmp_amf0_parse_all (b->data, b->len, &limits, &err);
  fail_unless (all == NULL);
  assert_error (err, RTMP_ERROR_LIMIT, "max_amf_values");
  g_clear_error (&err);

  limits.max_amf_values = 20;
  v = rtmp_amf0_parse (b->data, b->len, NULL, &limits, &err);
  fail_unless (v == NULL);
  assert_error (err, RTMP_ERROR_LIMIT, "max_amf_values");
  g_clear_error (&err);
  g_byte_array_unref (b);
}

GST_END_TEST;

/* ---- parse_all: references and AMF3 tables span the message ---- */

GST_START_TEST (test_parse_all)
{
  GBytes *bytes;
  GPtrArray *all;
  GError *err = NULL;
  gsize size;
  const guint8 *data;

  /* empty body: empty list */
  all = rtmp_amf0_parse_all ((const guint8 *) "", 0, NULL, &err);
  fail_unless (all != NULL && all->len == 0);
  g_ptr_array_unref (all);

  /* an object, then a reference to it in the next value */
  bytes = test_util_hex ("02 0001 78 03 0001 61 05 0000 09 07 0000");
  data = g_bytes_get_data (bytes, &size);
  all = rtmp_amf0_parse_all (data, size, NULL, &err);
  fail_unless (all != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (all->len, 3);
  fail_unless (g_ptr_array_index (all, 1) == g_ptr_array_index (all, 2));
  g_ptr_array_unref (all);
  /* but a single-value parse starts with an empty table */
  fail_unless (rtmp_amf0_parse (data + 12, size - 12, NULL, NULL, &err) ==
      NULL);
  assert_error (err, RTMP_ERROR_AMF, "out of range");
  g_clear_error (&err);
  g_bytes_unref (bytes);

  /* two AVM+ values share the AMF3 string table */
  bytes = test_util_hex ("11 06 05 6869 11 06 00");
  data = g_bytes_get_data (bytes, &size);
  all = rtmp_amf0_parse_all (data, size, NULL, &err);
  fail_unless (all != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (all->len, 2);
  fail_unless_equals_string (rtmp_amf_value_get_string (g_ptr_array_index
          (all, 1), NULL), "hi");
  g_ptr_array_unref (all);
  g_bytes_unref (bytes);

  /* a failure in the last value discards the whole list */
  bytes = test_util_hex ("02 0001 78 05 0e");
  data = g_bytes_get_data (bytes, &size);
  all = rtmp_amf0_parse_all (data, size, NULL, &err);
  fail_unless (all == NULL);
  assert_error (err, RTMP_ERROR_AMF, "0x0e");
  g_clear_error (&err);
  g_bytes_unref (bytes);
}

GST_END_TEST;

/* ---- round trips ---- */

static RtmpAmfValue *
build_everything (void)
{
  RtmpAmfValue *root = rtmp_amf_value_new_object ();
  RtmpAmfValue *ecma = rtmp_amf_value_new_ecma_array ();
  RtmpAmfValue *arr = rtmp_amf_value_new_strict_array ();
  RtmpAmfValue *typed = rtmp_amf_value_new_typed_object_len ("C\0x", 3);
  gchar *long_str = g_malloc (70000);

  memset (long_str, 'z', 70000);
  long_str[100] = '\0';

  rtmp_amf_value_set_number (root, "number", 3.25);
  rtmp_amf_value_set_number (root, "nan", NAN);
  rtmp_amf_value_set_number (root, "-inf", -INFINITY);
  rtmp_amf_value_set_boolean (root, "t", TRUE);
  rtmp_amf_value_set_boolean (root, "f", FALSE);
  rtmp_amf_value_set_string (root, "s", "hello");
  rtmp_amf_value_set (root, "bin", rtmp_amf_value_new_string_len ("\0\1\xfe",
          3));
  rtmp_amf_value_set (root, "long", rtmp_amf_value_new_string_len (long_str,
          70000));
  rtmp_amf_value_set (root, "max short",
      rtmp_amf_value_new_string_len (long_str, 65535));
  rtmp_amf_value_set_full (root, "k\0ey", 4, rtmp_amf_value_new_null ());
  rtmp_amf_value_set (root, "undef", rtmp_amf_value_new_undefined ());
  rtmp_amf_value_set (root, "unsup", rtmp_amf_value_new_unsupported ());
  rtmp_amf_value_set (root, "date", rtmp_amf_value_new_date (1.7e12, 120));
  rtmp_amf_value_set (root, "xml", rtmp_amf_value_new_xml ("<x/>", 4));
  rtmp_amf_value_set (root, "empty obj", rtmp_amf_value_new_object ());
  rtmp_amf_value_set (root, "empty ecma", rtmp_amf_value_new_ecma_array ());
  rtmp_amf_value_set (root, "empty arr", rtmp_amf_value_new_strict_array ());
  rtmp_amf_value_set (root, "empty typed",
      rtmp_amf_value_new_typed_object (""));
  rtmp_amf_value_set_string (ecma, "codec", "avc1");
  rtmp_amf_value_set_number (ecma, "width", 320);
  rtmp_amf_value_set (ecma, "dup", rtmp_amf_value_new_null ());
  rtmp_amf_value_set (ecma, "dup", rtmp_amf_value_new_boolean (TRUE));
  rtmp_amf_value_append (arr, rtmp_amf_value_new_number (1));
  rtmp_amf_value_append (arr, rtmp_amf_value_ref (ecma));
  rtmp_amf_value_set (typed, "arr", arr);
  rtmp_amf_value_set (root, "ecma", ecma);
  rtmp_amf_value_set (root, "typed", typed);
  g_free (long_str);
  return root;
}

GST_START_TEST (test_round_trip)
{
  RtmpAmfValue *root = build_everything ();
  GBytes *out = serialize (root);
  GError *err = NULL;
  gsize consumed = 0, size;
  const guint8 *data = g_bytes_get_data (out, &size);
  RtmpAmfValue *back = rtmp_amf0_parse (data, size, &consumed, NULL, &err);
  const gchar *s;
  gsize len;

  fail_unless (back != NULL, "%s", err ? err->message : "");
  fail_unless_equals_uint64 (consumed, size);
  fail_unless (rtmp_amf_value_equal (root, back));

  /* the long one really went out as 0x0C, the 65535 one as 0x02 */
  s = (const gchar *) data;
  fail_unless (memmem (s, size, "\x00\x04long\x0c\x00\x01\x11\x70", 10));
  fail_unless (memmem (s, size, "\x00\x09max short\x02\xff\xff", 14));
  s = rtmp_amf_value_get_string (rtmp_amf_value_lookup (back, "long"), &len);
  fail_unless_equals_uint64 (len, 70000);
  fail_unless (s[100] == '\0' && s[101] == 'z' && s[70000] == '\0');
  fail_unless_equals_int (rtmp_amf_value_get_date_timezone
      (rtmp_amf_value_lookup (back, "date")), 120);
  s = rtmp_amf_value_get_class_name_full (rtmp_amf_value_lookup (back,
          "typed"), &len);
  fail_unless (len == 3 && memcmp (s, "C\0x", 3) == 0);
  /* a NUL inside a key does not make it match its prefix */
  fail_unless (rtmp_amf_value_lookup (back, "k") == NULL);

  /* every child on its own, too */
  for (guint i = 0; i < rtmp_amf_value_get_n_children (root); i++) {
    RtmpAmfValue *child = rtmp_amf_value_get_child (root, i);
    GBytes *o = serialize (child);
    RtmpAmfValue *b = rtmp_amf0_parse (g_bytes_get_data (o, NULL),
        g_bytes_get_size (o), NULL, NULL, &err);

    fail_unless (b != NULL, "%s", rtmp_amf_value_get_child_key (root, i));
    fail_unless (rtmp_amf_value_equal (child, b), "%s",
        rtmp_amf_value_get_child_key (root, i));
    rtmp_amf_value_unref (b);
    g_bytes_unref (o);
  }

  rtmp_amf_value_unref (back);
  rtmp_amf_value_unref (root);
  g_bytes_unref (out);
}

GST_END_TEST;

GST_START_TEST (test_serialize_conversions)
{
  RtmpAmfValue *v;
  GBytes *out, *expected;

  /* INTEGER goes out as a number */
  v = rtmp_amf_value_new_integer (-7);
  out = serialize (v);
  expected = test_util_hex ("00 c01c000000000000");
  fail_unless (g_bytes_equal (out, expected));
  rtmp_amf_value_unref (v);
  g_bytes_unref (out);
  g_bytes_unref (expected);

  /* BYTE_ARRAY as a long string */
  v = rtmp_amf_value_new_byte_array ((const guint8 *) "\x01\x02", 2);
  out = serialize (v);
  expected = test_util_hex ("0c 00000002 0102");
  fail_unless (g_bytes_equal (out, expected));
  rtmp_amf_value_unref (v);
  g_bytes_unref (out);
  g_bytes_unref (expected);

  /* serialize_string, short and long */
  {
    GByteArray *b = g_byte_array_new ();
    gchar *big = g_strnfill (65536, 'q');

    rtmp_amf0_serialize_string (b, "connect");
    expected = test_util_hex ("02 0007 636f6e6e656374");
    fail_unless (b->len == 10 && memcmp (b->data, g_bytes_get_data (expected,
                NULL), 10) == 0);
    g_bytes_unref (expected);
    g_byte_array_set_size (b, 0);
    rtmp_amf0_serialize_string (b, big);
    fail_unless_equals_int (b->len, 5 + 65536);
    fail_unless (memcmp (b->data, "\x0c\x00\x01\x00\x00", 5) == 0);
    g_byte_array_unref (b);
    g_free (big);
  }
}

GST_END_TEST;

/* ---- real payloads from the captures ---- */

/* Reassembles the payload of one message row of <capture>.messages.tsv out
 * of <capture>.<dir>.bin: the continuation chunks of command/data messages
 * follow right after the first one (fmt 3, one-byte basic header) in every
 * capture; the MD5 column proves the reassembly right. */
static GBytes *
fixture_payload (const gchar * capture, gchar ** row)
{
  static const guint header_size[] = { 12, 8, 4, 1 };
  gchar *bin_name = g_strdup_printf ("%s.%s.bin", capture, row[0]);
  GBytes *bin = test_util_load_fixture (bin_name);
  gsize bin_size;
  const guint8 *bin_data = g_bytes_get_data (bin, &bin_size);
  guint64 off = g_ascii_strtoull (row[2], NULL, 10);
  guint fmt = atoi (row[3]);
  guint32 len = g_ascii_strtoull (row[8], NULL, 10);
  gboolean ext = atoi (row[11]);
  guint32 chunk_size = g_ascii_strtoull (row[12], NULL, 10);
  GByteArray *payload = g_byte_array_new ();
  gsize pos = off + header_size[fmt] + (ext ? 4 : 0);
  gchar *md5;

  while (payload->len < len) {
    guint32 n = MIN (len - payload->len, chunk_size);

    fail_unless (pos + n <= bin_size);
    g_byte_array_append (payload, bin_data + pos, n);
    pos += n + 1 + (ext ? 4 : 0);
  }
  md5 = test_util_md5 (payload->data, payload->len);
  fail_unless_equals_string (md5, row[13]);
  g_free (md5);
  g_free (bin_name);
  g_bytes_unref (bin);
  return g_byte_array_free_to_bytes (payload);
}

/* The command/data messages (types 18, 20) of a capture, in order, for one
 * direction. */
static GPtrArray *
fixture_amf_messages (const gchar * capture, const gchar * dir)
{
  gchar *tsv_name = g_strdup_printf ("%s.messages.tsv", capture);
  GPtrArray *rows = test_util_load_tsv (tsv_name);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);

  for (guint i = 0; i < rows->len; i++) {
    gchar **row = g_ptr_array_index (rows, i);

    if (g_strv_length (row) < 14 || strcmp (row[0], dir) != 0)
      continue;
    if (strcmp (row[7], "18") != 0 && strcmp (row[7], "20") != 0)
      continue;
    g_ptr_array_add (out, fixture_payload (capture, row));
  }
  g_ptr_array_unref (rows);
  g_free (tsv_name);
  return out;
}

static GPtrArray *
parse_message (GBytes * payload)
{
  GError *err = NULL;
  gsize size;
  const guint8 *data = g_bytes_get_data (payload, &size);
  GPtrArray *values = rtmp_amf0_parse_all (data, size, NULL, &err);

  fail_unless (values != NULL, "%s", err ? err->message : "");
  return values;
}

#define VALUE(values, i) ((RtmpAmfValue *) g_ptr_array_index (values, i))

GST_START_TEST (test_fixture_ffmpeg)
{
  GPtrArray *c2s = fixture_amf_messages ("ffmpeg", "c2s");
  GPtrArray *s2c = fixture_amf_messages ("ffmpeg", "s2c");
  GPtrArray *values;
  RtmpAmfValue *obj;
  gdouble n;

  fail_unless (c2s->len >= 6);

  /* connect */
  values = parse_message (g_ptr_array_index (c2s, 0));
  fail_unless_equals_int (values->len, 3);
  fail_unless_equals_string (rtmp_amf_value_get_string (VALUE (values, 0),
          NULL), "connect");
  fail_unless_equals_float (rtmp_amf_value_get_number (VALUE (values, 1)), 1);
  obj = VALUE (values, 2);
  fail_unless_equals_int (rtmp_amf_value_get_type (obj), RTMP_AMF_OBJECT);
  fail_unless_equals_string (rtmp_amf_value_lookup_string (obj, "app"), "live");
  fail_unless_equals_string (rtmp_amf_value_lookup_string (obj, "type"),
      "nonprivate");
  fail_unless_equals_string (rtmp_amf_value_lookup_string (obj, "flashVer"),
      "FMLE/3.0 (compatible; Lavf59.27.100)");
  fail_unless_equals_string (rtmp_amf_value_lookup_string (obj, "tcUrl"),
      "rtmp://127.0.0.1:19351/live");
  g_ptr_array_unref (values);

  /* releaseStream "key" */
  values = parse_message (g_ptr_array_index (c2s, 1));
  fail_unless_equals_int (values->len, 4);
  fail_unless_equals_string (rtmp_amf_value_get_string (VALUE (values, 0),
          NULL), "releaseStream");
  fail_unless_equals_int (rtmp_amf_value_get_type (VALUE (values, 2)),
      RTMP_AMF_NULL);
  fail_unless_equals_string (rtmp_amf_value_get_string (VALUE (values, 3),
          NULL), "key");
  g_ptr_array_unref (values);

  /* publish "key" "live" */
  values = parse_message (g_ptr_array_index (c2s, 4));
  fail_unless_equals_string (rtmp_amf_value_get_string (VALUE (values, 0),
          NULL), "publish");
  fail_unless_equals_float (rtmp_amf_value_get_number (VALUE (values, 1)), 5);
  fail_unless_equals_string (rtmp_amf_value_get_string (VALUE (values, 4),
          NULL), "live");
  g_ptr_array_unref (values);

  /* @setDataFrame onMetaData {ECMA} */
  values = parse_message (g_ptr_array_index (c2s, 5));
  fail_unless_equals_int (values->len, 3);
  fail_unless_equals_string (rtmp_amf_value_get_string (VALUE (values, 0),
          NULL), "@setDataFrame");
  fail_unless_equals_string (rtmp_amf_value_get_string (VALUE (values, 1),
          NULL), "onMetaData");
  obj = VALUE (values, 2);
  fail_unless_equals_int (rtmp_amf_value_get_type (obj), RTMP_AMF_ECMA_ARRAY);
  fail_unless (rtmp_amf_value_lookup_number (obj, "width", &n));
  fail_unless_equals_float (n, 320);
  fail_unless (rtmp_amf_value_lookup_number (obj, "height", &n));
  fail_unless_equals_float (n, 240);
  fail_unless (rtmp_amf_value_lookup_number (obj, "videocodecid", &n));
  fail_unless_equals_float (n, 7);
  fail_unless (rtmp_amf_value_lookup_number (obj, "audiocodecid", &n));
  fail_unless_equals_float (n, 10);
  fail_unless (rtmp_amf_value_lookup_number (obj, "framerate", &n));
  fail_unless_equals_float (n, 25);
  fail_unless_equals_string (rtmp_amf_value_lookup_string (obj, "encoder"),
      "Lavf59.27.100");
  fail_unless (rtmp_amf_value_lookup (obj, "stereo") != NULL);
  fail_unless (rtmp_amf_value_get_boolean (rtmp_amf_value_lookup (obj,
              "stereo")));
  g_ptr_array_unref (values);

  /* nginx's connect _result and onStatus */
  values = parse_message (g_ptr_array_index (s2c, 0));
  fail_unless_equals_string (rtmp_amf_value_get_string (VALUE (values, 0),
          NULL), "_result");
  fail_unless_equals_string (rtmp_amf_value_lookup_string (VALUE (values, 2),
          "fmsVer"), "FMS/3,0,1,123");
  fail_unless_equals_string (rtmp_amf_value_lookup_string (VALUE (values, 3),
          "code"), "NetConnection.Connect.Success");
  g_ptr_array_unref (values);
  values = parse_message (g_ptr_array_index (s2c, 2));
  fail_unless_equals_string (rtmp_amf_value_get_string (VALUE (values, 0),
          NULL), "onStatus");
  fail_unless_equals_string (rtmp_amf_value_lookup_string (VALUE (values, 3),
          "code"), "NetStream.Publish.Start");
  fail_unless_equals_string (rtmp_amf_value_lookup_string (VALUE (values, 3),
          "level"), "status");
  g_ptr_array_unref (values);

  g_ptr_array_unref (c2s);
  g_ptr_array_unref (s2c);
}

GST_END_TEST;

GST_START_TEST (test_fixture_others)
{
  GPtrArray *msgs, *values;
  RtmpAmfValue *obj;

  /* librtmp: no flashVer, ECMA metadata from flvmux */
  msgs = fixture_amf_messages ("librtmp", "c2s");
  values = parse_message (g_ptr_array_index (msgs, 0));
  obj = VALUE (values, 2);
  fail_unless_equals_string (rtmp_amf_value_lookup_string (obj, "app"), "live");
  fail_unless (rtmp_amf_value_lookup (obj, "flashVer") == NULL);
  g_ptr_array_unref (values);
  values = parse_message (g_ptr_array_index (msgs, 5));
  fail_unless_equals_string (rtmp_amf_value_get_string (VALUE (values, 1),
          NULL), "onMetaData");
  fail_unless_equals_int (rtmp_amf_value_get_type (VALUE (values, 2)),
      RTMP_AMF_ECMA_ARRAY);
  g_ptr_array_unref (values);
  g_ptr_array_unref (msgs);

  /* nginx push: bare onMetaData with a plain Object */
  msgs = fixture_amf_messages ("nginxpush", "c2s");
  values = parse_message (g_ptr_array_index (msgs, 3));
  fail_unless_equals_int (values->len, 2);
  fail_unless_equals_string (rtmp_amf_value_get_string (VALUE (values, 0),
          NULL), "onMetaData");
  obj = VALUE (values, 1);
  fail_unless_equals_int (rtmp_amf_value_get_type (obj), RTMP_AMF_OBJECT);
  fail_unless (g_str_has_prefix (rtmp_amf_value_lookup_string (obj, "Server"),
          "NGINX RTMP"));
  g_ptr_array_unref (values);
  g_ptr_array_unref (msgs);

  /* badname: onStatus error */
  msgs = fixture_amf_messages ("ffmpeg_badname", "s2c");
  values = parse_message (g_ptr_array_index (msgs, 2));
  obj = VALUE (values, 3);
  fail_unless_equals_string (rtmp_amf_value_lookup_string (obj, "level"),
      "error");
  fail_unless_equals_string (rtmp_amf_value_lookup_string (obj, "code"),
      "NetStream.Publish.BadName");
  g_ptr_array_unref (values);
  g_ptr_array_unref (msgs);

  /* query string stays in the stream name */
  msgs = fixture_amf_messages ("ffmpeg_query", "c2s");
  values = parse_message (g_ptr_array_index (msgs, 4));
  fail_unless_equals_string (rtmp_amf_value_get_string (VALUE (values, 3),
          NULL), "key?token=abc");
  g_ptr_array_unref (values);
  g_ptr_array_unref (msgs);
}

GST_END_TEST;

/* Every command/data message of every capture parses, and serialising the
 * values gives back the exact payload (all writers here are canonical). */
GST_START_TEST (test_fixture_all_reserialize)
{
  static const gchar *captures[] = { "ffmpeg", "ffmpeg_badname",
    "ffmpeg_chunk1000", "ffmpeg_extts", "ffmpeg_ffmpegserver", "ffmpeg_query",
    "librtmp", "librtmp_extts", "nginxpush"
  };
  static const gchar *dirs[] = { "c2s", "s2c" };
  guint total = 0;

  for (guint c = 0; c < G_N_ELEMENTS (captures); c++) {
    for (guint d = 0; d < 2; d++) {
      GPtrArray *msgs = fixture_amf_messages (captures[c], dirs[d]);

      for (guint i = 0; i < msgs->len; i++) {
        GBytes *payload = g_ptr_array_index (msgs, i);
        GPtrArray *values = parse_message (payload);
        GByteArray *out = g_byte_array_new ();
        GBytes *out_bytes;

        fail_unless (values->len >= 1);
        for (guint j = 0; j < values->len; j++) {
          gchar *str = rtmp_amf_value_to_string (VALUE (values, j));

          fail_unless (strlen (str) < 1100);
          g_free (str);
          rtmp_amf0_serialize (out, VALUE (values, j));
        }
        out_bytes = g_byte_array_free_to_bytes (out);
        fail_unless (g_bytes_equal (out_bytes, payload),
            "%s %s message %u not reproduced", captures[c], dirs[d], i);
        g_bytes_unref (out_bytes);
        g_ptr_array_unref (values);
        total++;
      }
      g_ptr_array_unref (msgs);
    }
  }
  fail_unless (total > 60);
}

GST_END_TEST;

/* Cutting a real message body anywhere never succeeds for the value that
 * straddles the cut, and never reads past the end. */
GST_START_TEST (test_fixture_truncation)
{
  GPtrArray *msgs = fixture_amf_messages ("ffmpeg", "c2s");

  for (guint i = 0; i < msgs->len; i++) {
    GBytes *payload = g_ptr_array_index (msgs, i);
    gsize size;
    const guint8 *data = g_bytes_get_data (payload, &size);
    GPtrArray *values = parse_message (payload);
    gsize start = 0;

    /* value by value: every prefix of each value fails as truncated */
    for (guint j = 0; j < values->len; j++) {
      gsize consumed = 0;
      RtmpAmfValue *v = rtmp_amf0_parse (data + start, size - start,
          &consumed, NULL, NULL);

      fail_unless (v != NULL);
      fail_unless (rtmp_amf_value_equal (v, VALUE (values, j)));
      rtmp_amf_value_unref (v);
      check_all_prefixes (data + start, consumed);
      start += consumed;
    }
    fail_unless_equals_uint64 (start, size);
    g_ptr_array_unref (values);
  }
  g_ptr_array_unref (msgs);
}

GST_END_TEST;

/* ---- the value API ---- */

GST_START_TEST (test_value_api)
{
  RtmpAmfValue *o = rtmp_amf_value_new_object ();
  RtmpAmfValue *n = rtmp_amf_value_new_number (2.5);
  RtmpAmfValue *i = rtmp_amf_value_new_integer (-3);
  RtmpAmfValue *s = rtmp_amf_value_new_string ("x");
  RtmpAmfValue *b = rtmp_amf_value_new_byte_array ((const guint8 *) "\0a", 2);
  RtmpAmfValue *d = rtmp_amf_value_new_date (10, 0);
  gsize len = 99;
  gdouble num = 0;

  /* wrong-kind getters */
  fail_unless (rtmp_amf_value_get_string (n, &len) == NULL && len == 0);
  fail_unless (rtmp_amf_value_get_boolean (n) == FALSE);
  fail_unless (rtmp_amf_value_get_number (s) == 0.0);
  fail_unless (rtmp_amf_value_get_class_name (o) == NULL);
  fail_unless (rtmp_amf_value_get_class_name_full (o, &len) == NULL
      && len == 0);
  fail_unless (rtmp_amf_value_get_date_timezone (n) == 0);
  fail_unless (rtmp_amf_value_get_n_children (n) == 0);
  fail_unless (rtmp_amf_value_get_child (n, 0) == NULL);
  fail_unless (rtmp_amf_value_get_child (o, 0) == NULL);
  fail_unless (rtmp_amf_value_get_child_key (o, 5) == NULL);
  fail_unless (rtmp_amf_value_get_child_key_full (o, 5, &len) == NULL
      && len == 0);
  fail_unless (rtmp_amf_value_lookup (n, "x") == NULL);
  fail_unless (rtmp_amf_value_is_container (o));
  fail_unless (!rtmp_amf_value_is_container (n));

  /* conversions */
  fail_unless_equals_float (rtmp_amf_value_get_number (i), -3);
  fail_unless_equals_float (rtmp_amf_value_get_number (d), 10);
  fail_unless_equals_string (rtmp_amf_value_get_string (b, &len) + 1, "a");
  fail_unless_equals_uint64 (len, 2);

  /* lookup helpers */
  rtmp_amf_value_set (o, "n", rtmp_amf_value_ref (n));
  rtmp_amf_value_set (o, "i", rtmp_amf_value_ref (i));
  rtmp_amf_value_set (o, "s", rtmp_amf_value_ref (s));
  rtmp_amf_value_set_string (o, "s", "second"); /* no replace */
  fail_unless (rtmp_amf_value_lookup_number (o, "n", &num) && num == 2.5);
  fail_unless (rtmp_amf_value_lookup_number (o, "i", &num) && num == -3);
  fail_unless (rtmp_amf_value_lookup_number (o, "i", NULL));
  fail_unless (!rtmp_amf_value_lookup_number (o, "s", &num));
  fail_unless (!rtmp_amf_value_lookup_number (o, "missing", &num));
  fail_unless_equals_string (rtmp_amf_value_lookup_string (o, "s"), "x");
  fail_unless (rtmp_amf_value_lookup_string (o, "n") == NULL);
  fail_unless (rtmp_amf_value_lookup_string (o, "zz") == NULL);
  fail_unless_equals_int (rtmp_amf_value_get_n_children (o), 4);
  fail_unless_equals_string (rtmp_amf_value_get_child_key (o, 3), "s");

  /* equal */
  fail_unless (!rtmp_amf_value_equal (n, i));
  fail_unless (!rtmp_amf_value_equal (n, NULL));
  fail_unless (rtmp_amf_value_equal (NULL, NULL));
  {
    RtmpAmfValue *t1 = rtmp_amf_value_new_typed_object ("A");
    RtmpAmfValue *t2 = rtmp_amf_value_new_typed_object ("B");
    RtmpAmfValue *o2 = rtmp_amf_value_new_object ();
    RtmpAmfValue *o3 = rtmp_amf_value_new_object ();
    RtmpAmfValue *d2 = rtmp_amf_value_new_date (10, 1);

    fail_unless (!rtmp_amf_value_equal (t1, t2));
    fail_unless (!rtmp_amf_value_equal (d, d2));
    rtmp_amf_value_set_number (o2, "a", 1);
    rtmp_amf_value_set_number (o3, "b", 1);
    fail_unless (!rtmp_amf_value_equal (o2, o3));
    fail_unless (!rtmp_amf_value_equal (o, o2));
    fail_unless (!rtmp_amf_value_equal (rtmp_amf_value_get_child (o, 0), s));
    rtmp_amf_value_unref (t1);
    rtmp_amf_value_unref (t2);
    rtmp_amf_value_unref (o2);
    rtmp_amf_value_unref (o3);
    rtmp_amf_value_unref (d2);
  }

  /* type names */
  for (guint t = RTMP_AMF_NUMBER; t <= RTMP_AMF_BYTE_ARRAY; t++)
    fail_unless (strcmp (rtmp_amf_type_get_name (t), "invalid") != 0);
  fail_unless_equals_string (rtmp_amf_type_get_name (99), "invalid");
  fail_unless_equals_string (rtmp_amf_type_get_name (RTMP_AMF_ECMA_ARRAY),
      "ecma-array");

  rtmp_amf_value_unref (o);
  rtmp_amf_value_unref (n);
  rtmp_amf_value_unref (i);
  rtmp_amf_value_unref (s);
  rtmp_amf_value_unref (b);
  rtmp_amf_value_unref (d);
}

GST_END_TEST;

GST_START_TEST (test_to_string)
{
  RtmpAmfValue *root = build_everything ();
  gchar *str = rtmp_amf_value_to_string (root);
  GByteArray *b;
  RtmpAmfValue *v;
  GError *err = NULL;

  /* bounded despite a 70000-byte string */
  fail_unless (strlen (str) <= 1100, "%" G_GSIZE_FORMAT, strlen (str));
  fail_unless (strstr (str, "\"number\": 3.25") != NULL, "%s", str);
  fail_unless (strstr (str, "\"bin\": \"\\x00\\x01\\xfe\"") != NULL, "%s", str);
  fail_unless (strstr (str, "(70000 bytes)") != NULL, "%s", str);
  g_free (str);
  rtmp_amf_value_unref (root);

  v = v_app_live ();
  str = rtmp_amf_value_to_string (v);
  fail_unless_equals_string (str, "{\"app\": \"live\"}");
  g_free (str);
  rtmp_amf_value_unref (v);

  {
    RtmpAmfValue *a = rtmp_amf_value_new_strict_array ();
    rtmp_amf_value_append (a, rtmp_amf_value_new_integer (4));
    rtmp_amf_value_append (a, rtmp_amf_value_new_boolean (FALSE));
    rtmp_amf_value_append (a, rtmp_amf_value_new_null ());
    rtmp_amf_value_append (a, rtmp_amf_value_new_undefined ());
    rtmp_amf_value_append (a, rtmp_amf_value_new_unsupported ());
    rtmp_amf_value_append (a, rtmp_amf_value_new_date (5, -1));
    rtmp_amf_value_append (a, rtmp_amf_value_new_xml ("<\"", 2));
    rtmp_amf_value_append (a, rtmp_amf_value_new_byte_array ((const guint8 *)
            "\\", 1));
    rtmp_amf_value_append (a, v_typed ());
    rtmp_amf_value_append (a, v_ecma ());
    str = rtmp_amf_value_to_string (a);
    fail_unless_equals_string (str, "[4i, false, null, undefined, "
        "unsupported, date(5, tz -1), xml:\"<\\\"\", bytes:\"\\\\\", "
        "\"Foo\"{\"x\": null}, ecma{\"a\": 1}]");
    g_free (str);
    rtmp_amf_value_unref (a);
  }
  str = rtmp_amf_value_to_string (NULL);
  fail_unless_equals_string (str, "(NULL)");
  g_free (str);

  /* hostile shape: 30 levels of [r, r] where r is the previous level; the
   * tree is 2^30 leaves wide through shared references, and to_string must
   * still return at once with a bounded string */
  b = g_byte_array_new ();
  g_byte_array_append (b, (const guint8 *) "\x0a\x00\x00\x00\x1f", 5);
  g_byte_array_append (b, (const guint8 *) "\x0a\x00\x00\x00\x00", 5);
  for (guint k = 0; k < 30; k++) {
    guint8 level[] = { 0x0a, 0, 0, 0, 2, 0x07, 0, 0, 0x07, 0, 0 };

    /* array k+1 holds two references to array k (index 0 is the root) */
    level[7] = k + 1;
    level[10] = k + 1;
    g_byte_array_append (b, level, sizeof (level));
  }
  v = rtmp_amf0_parse (b->data, b->len, NULL, NULL, &err);
  fail_unless (v != NULL, "%s", err ? err->message : "");
  str = rtmp_amf_value_to_string (v);
  fail_unless (strlen (str) <= 1100);
  g_free (str);
  rtmp_amf_value_unref (v);
  g_byte_array_unref (b);

  /* deep tree is cut at a fixed depth */
  b = nested_arrays (30);
  v = rtmp_amf0_parse (b->data, b->len, NULL, NULL, &err);
  str = rtmp_amf_value_to_string (v);
  fail_unless (strstr (str, "...1") != NULL, "%s", str);
  fail_unless (strlen (str) < 64);
  g_free (str);
  rtmp_amf_value_unref (v);
  g_byte_array_unref (b);

  /* many children */
  v = rtmp_amf_value_new_ecma_array ();
  for (guint k = 0; k < 1000; k++) {
    gchar key[16];
    g_snprintf (key, sizeof (key), "k%u", k);
    rtmp_amf_value_set_number (v, key, k);
  }
  str = rtmp_amf_value_to_string (v);
  fail_unless (strlen (str) <= 1100);
  fail_unless (strstr (str, "...+968") != NULL, "%s", str);
  g_free (str);
  rtmp_amf_value_unref (v);
}

GST_END_TEST;

static Suite *
amf0_suite (void)
{
  Suite *s = suite_create ("amf0");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_vectors);
  tcase_add_test (tc, test_malformed);
  tcase_add_test (tc, test_depth_limit);
  tcase_add_test (tc, test_value_count_limit);
  tcase_add_test (tc, test_parse_all);
  tcase_add_test (tc, test_round_trip);
  tcase_add_test (tc, test_serialize_conversions);
  tcase_add_test (tc, test_fixture_ffmpeg);
  tcase_add_test (tc, test_fixture_others);
  tcase_add_test (tc, test_fixture_all_reserialize);
  tcase_add_test (tc, test_fixture_truncation);
  tcase_add_test (tc, test_value_api);
  tcase_add_test (tc, test_to_string);
  return s;
}

GST_CHECK_MAIN (amf0);
