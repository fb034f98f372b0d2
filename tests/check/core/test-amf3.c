/* Unit tests: the AMF3 decoder and encoder.
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

static RtmpAmfValue *
parse_exact (const guint8 * data, gsize size, gsize * consumed,
    const RtmpLimits * limits, GError ** error)
{
  guint8 *copy = g_memdup2 (data, size);
  RtmpAmfValue *v = rtmp_amf3_parse (copy, size, consumed, limits, error);

  g_free (copy);
  return v;
}

static RtmpAmfValue *
parse_hex (const gchar * hex, const RtmpLimits * limits, GError ** error)
{
  GBytes *bytes = test_util_hex (hex);
  gsize size, consumed = 0;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  RtmpAmfValue *v = parse_exact (data, size, &consumed, limits, error);

  if (v)
    fail_unless_equals_uint64 (consumed, size);
  g_bytes_unref (bytes);
  return v;
}

static GBytes *
serialize (const RtmpAmfValue * v)
{
  GByteArray *out = g_byte_array_new ();

  rtmp_amf3_serialize (out, v);
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

static void
check_all_prefixes (const guint8 * data, gsize size)
{
  for (gsize cut = 0; cut < size; cut++) {
    GError *err = NULL;
    RtmpAmfValue *v = parse_exact (data, cut, NULL, NULL, &err);

    fail_unless (v == NULL, "prefix %" G_GSIZE_FORMAT " parsed", cut);
    assert_error (err, RTMP_ERROR_AMF, "truncated");
    g_error_free (err);
  }
}

/* ---- U29, reference §8 ---- */

static const struct
{
  guint32 value;
  const gchar *hex;
} u29_table[] = {
  {0x00, "00"},
  {0x01, "01"},
  {0x7F, "7f"},
  {0x80, "81 00"},
  {300, "82 2c"},
  {0x3FFF, "ff 7f"},
  {0x4000, "81 80 00"},
  {0x1FFFFF, "ff ff 7f"},
  {0x200000, "80 c0 80 00"},
  {0x3FFFFF, "80 ff ff ff"},
  {0x400000, "81 80 80 00"},
  {0x0FFFFFFF, "bf ff ff ff"},
  {0x10000000, "c0 80 80 00"},
  {0x1FFFFFFF, "ff ff ff ff"},
};

GST_START_TEST (test_u29)
{
  for (guint i = 0; i < G_N_ELEMENTS (u29_table); i++) {
    GBytes *expected = test_util_hex (u29_table[i].hex);
    gsize size;
    const guint8 *data = g_bytes_get_data (expected, &size);
    GByteArray *out = g_byte_array_new ();
    guint32 v = 0;
    gsize consumed = 0;

    rtmp_amf3_write_u29 (out, u29_table[i].value);
    fail_unless (out->len == size && memcmp (out->data, data, size) == 0,
        "write 0x%x", u29_table[i].value);

    fail_unless (rtmp_amf3_read_u29 (data, size, &v, &consumed));
    fail_unless_equals_int (v, u29_table[i].value);
    fail_unless_equals_uint64 (consumed, size);
    /* trailing bytes are not read */
    g_byte_array_append (out, (const guint8 *) "\xff\xff", 2);
    fail_unless (rtmp_amf3_read_u29 (out->data, out->len, &v, &consumed));
    fail_unless_equals_int (v, u29_table[i].value);
    fail_unless_equals_uint64 (consumed, size);

    for (gsize cut = 0; cut < size; cut++)
      fail_unless (!rtmp_amf3_read_u29 (data, cut, &v, &consumed));

    g_byte_array_unref (out);
    g_bytes_unref (expected);
  }
}

GST_END_TEST;

/* signed 29-bit integers (§3.6) */
static const struct
{
  gint32 value;
  const gchar *hex;
} int_table[] = {
  {0, "04 00"},
  {1, "04 01"},
  {127, "04 7f"},
  {128, "04 81 00"},
  {0x0FFFFFFF, "04 bf ff ff ff"},
  {-1, "04 ff ff ff ff"},
  {-2, "04 ff ff ff fe"},
  {-0x10000000, "04 c0 80 80 00"},
};

GST_START_TEST (test_integer)
{
  for (guint i = 0; i < G_N_ELEMENTS (int_table); i++) {
    GError *err = NULL;
    RtmpAmfValue *v = parse_hex (int_table[i].hex, NULL, &err);
    RtmpAmfValue *expected = rtmp_amf_value_new_integer (int_table[i].value);
    GBytes *out = serialize (expected), *hex = test_util_hex (int_table[i].hex);

    fail_unless (v != NULL, "%s", err ? err->message : "");
    fail_unless (rtmp_amf_value_equal (v, expected), "%d", int_table[i].value);
    fail_unless (g_bytes_equal (out, hex), "serialise %d", int_table[i].value);
    check_all_prefixes (g_bytes_get_data (hex, NULL), g_bytes_get_size (hex));
    rtmp_amf_value_unref (v);
    rtmp_amf_value_unref (expected);
    g_bytes_unref (out);
    g_bytes_unref (hex);
  }

  /* out of the 29-bit range: written as double */
  {
    RtmpAmfValue *v = rtmp_amf_value_new_integer (0x10000000);
    GBytes *out = serialize (v);
    GBytes *hex = test_util_hex ("05 41b0000000000000");

    fail_unless (g_bytes_equal (out, hex));
    rtmp_amf_value_unref (v);
    g_bytes_unref (out);
    g_bytes_unref (hex);
  }
}

GST_END_TEST;

/* ---- one vector per type ---- */

static RtmpAmfValue *
e_undefined (void)
{
  return rtmp_amf_value_new_undefined ();
}

static RtmpAmfValue *
e_null (void)
{
  return rtmp_amf_value_new_null ();
}

static RtmpAmfValue *
e_false (void)
{
  return rtmp_amf_value_new_boolean (FALSE);
}

static RtmpAmfValue *
e_true (void)
{
  return rtmp_amf_value_new_boolean (TRUE);
}

static RtmpAmfValue *
e_double (void)
{
  return rtmp_amf_value_new_number (1.0);
}

static RtmpAmfValue *
e_hi (void)
{
  return rtmp_amf_value_new_string ("hi");
}

static RtmpAmfValue *
e_empty (void)
{
  return rtmp_amf_value_new_string ("");
}

static RtmpAmfValue *
e_xml (void)
{
  return rtmp_amf_value_new_xml ("<a/>", 4);
}

static RtmpAmfValue *
e_date (void)
{
  return rtmp_amf_value_new_date (1.0, 0);
}

static RtmpAmfValue *
e_dense (void)
{
  RtmpAmfValue *a = rtmp_amf_value_new_strict_array ();

  rtmp_amf_value_append (a, rtmp_amf_value_new_integer (1));
  rtmp_amf_value_append (a, rtmp_amf_value_new_integer (2));
  return a;
}

static RtmpAmfValue *
e_empty_array (void)
{
  return rtmp_amf_value_new_strict_array ();
}

static RtmpAmfValue *
e_assoc (void)
{
  RtmpAmfValue *a = rtmp_amf_value_new_ecma_array ();

  rtmp_amf_value_set (a, "a", rtmp_amf_value_new_integer (1));
  return a;
}

static RtmpAmfValue *
e_mixed (void)
{
  RtmpAmfValue *a = e_assoc ();

  rtmp_amf_value_set (a, "0", rtmp_amf_value_new_integer (7));
  return a;
}

static RtmpAmfValue *
e_dynamic (void)
{
  RtmpAmfValue *o = rtmp_amf_value_new_object ();

  rtmp_amf_value_set (o, "a", rtmp_amf_value_new_integer (1));
  return o;
}

static RtmpAmfValue *
e_empty_object (void)
{
  return rtmp_amf_value_new_object ();
}

static RtmpAmfValue *
e_sealed (void)
{
  RtmpAmfValue *o = rtmp_amf_value_new_typed_object ("Foo");

  rtmp_amf_value_set (o, "x", rtmp_amf_value_new_integer (5));
  return o;
}

static RtmpAmfValue *
e_sealed_dynamic (void)
{
  RtmpAmfValue *o = rtmp_amf_value_new_object ();

  rtmp_amf_value_set (o, "x", rtmp_amf_value_new_null ());
  rtmp_amf_value_set (o, "y", rtmp_amf_value_new_boolean (TRUE));
  return o;
}

static RtmpAmfValue *
e_typed_dynamic (void)
{
  RtmpAmfValue *o = rtmp_amf_value_new_typed_object ("Foo");

  rtmp_amf_value_set (o, "y", rtmp_amf_value_new_string ("hi"));
  return o;
}

static RtmpAmfValue *
e_bytes (void)
{
  return rtmp_amf_value_new_byte_array ((const guint8 *) "\x01\x00\x03", 3);
}

static RtmpAmfValue *
e_two_hi (void)
{
  RtmpAmfValue *a = rtmp_amf_value_new_strict_array ();

  rtmp_amf_value_append (a, rtmp_amf_value_new_string ("hi"));
  rtmp_amf_value_append (a, rtmp_amf_value_new_string ("hi"));
  return a;
}

static RtmpAmfValue *
e_two_foo (void)
{
  RtmpAmfValue *a = rtmp_amf_value_new_strict_array ();
  RtmpAmfValue *o1 = rtmp_amf_value_new_typed_object ("Foo");
  RtmpAmfValue *o2 = rtmp_amf_value_new_typed_object ("Foo");

  rtmp_amf_value_set (o1, "x", rtmp_amf_value_new_integer (1));
  rtmp_amf_value_set (o2, "x", rtmp_amf_value_new_integer (2));
  rtmp_amf_value_append (a, o1);
  rtmp_amf_value_append (a, o2);
  return a;
}

static RtmpAmfValue *
e_same_object_twice (void)
{
  RtmpAmfValue *a = rtmp_amf_value_new_strict_array ();
  RtmpAmfValue *o = rtmp_amf_value_new_object ();

  rtmp_amf_value_append (a, rtmp_amf_value_ref (o));
  rtmp_amf_value_append (a, o);
  return a;
}

static RtmpAmfValue *
e_dates (void)
{
  RtmpAmfValue *a = rtmp_amf_value_new_strict_array ();

  rtmp_amf_value_append (a, e_date ());
  rtmp_amf_value_append (a, e_date ());
  rtmp_amf_value_append (a, e_xml ());
  rtmp_amf_value_append (a, e_xml ());
  rtmp_amf_value_append (a, e_bytes ());
  rtmp_amf_value_append (a, e_bytes ());
  return a;
}

static RtmpAmfValue *
e_key_ref (void)
{
  RtmpAmfValue *o = rtmp_amf_value_new_object ();

  rtmp_amf_value_set (o, "a", rtmp_amf_value_new_string ("a"));
  return o;
}

typedef struct
{
  const gchar *name;
  const gchar *hex;
  RtmpAmfValue *(*expected) (void);
  gboolean canonical;
} Vector;

static const Vector vectors[] = {
  {"undefined", "00", e_undefined, TRUE},
  {"null", "01", e_null, TRUE},
  {"false", "02", e_false, TRUE},
  {"true", "03", e_true, TRUE},
  {"double", "05 3ff0000000000000", e_double, TRUE},
  {"string", "06 05 6869", e_hi, TRUE},
  {"empty string", "06 01", e_empty, TRUE},
  {"xml document", "07 09 3c612f3e", e_xml, FALSE},
  {"xml", "0b 09 3c612f3e", e_xml, TRUE},
  {"date", "08 01 3ff0000000000000", e_date, TRUE},
  {"dense array", "09 05 01 04 01 04 02", e_dense, TRUE},
  {"empty array", "09 01 01", e_empty_array, TRUE},
  {"associative array", "09 01 03 61 04 01 01", e_assoc, TRUE},
  {"mixed array", "09 03 03 61 04 01 01 04 07", e_mixed, FALSE},
  {"dynamic object", "0a 0b 01 03 61 04 01 01", e_dynamic, TRUE},
  {"empty dynamic object", "0a 0b 01 01", e_empty_object, TRUE},
  {"empty sealed object", "0a 03 01", e_empty_object, FALSE},
  {"sealed typed object", "0a 13 07 466f6f 03 78 04 05", e_sealed, FALSE},
  {"sealed + dynamic", "0a 1b 01 03 78 01 03 79 03 01", e_sealed_dynamic,
      FALSE},
  {"typed dynamic object", "0a 0b 07 466f6f 03 79 06 05 6869 01",
      e_typed_dynamic, TRUE},
  {"byte array", "0c 07 010003", e_bytes, TRUE},
  /* reference tables */
  {"string reference", "09 05 01 06 05 6869 06 00", e_two_hi, FALSE},
  {"string reference in a key", "0a 0b 01 03 61 06 00 01", e_key_ref, FALSE},
  {"traits reference", "09 05 01 0a 13 07 466f6f 03 78 04 01 0a 01 04 02",
      e_two_foo, FALSE},
  {"object reference", "09 05 01 0a 0b 01 01 0a 02", e_same_object_twice,
      FALSE},
  {"date/xml/bytes references", "09 0d 01 08 01 3ff0000000000000 08 02 "
        "0b 09 3c612f3e 07 04 0c 07 010003 0c 06", e_dates, FALSE},
};

GST_START_TEST (test_vectors)
{
  for (guint i = 0; i < G_N_ELEMENTS (vectors); i++) {
    const Vector *vec = &vectors[i];
    GBytes *bytes = test_util_hex (vec->hex);
    gsize size, consumed = 0;
    const guint8 *data = g_bytes_get_data (bytes, &size);
    RtmpAmfValue *expected = vec->expected ();
    GError *err = NULL;
    RtmpAmfValue *v = parse_exact (data, size, &consumed, NULL, &err);
    GByteArray *avm;
    RtmpAmfValue *v0;

    fail_unless (v != NULL, "%s: %s", vec->name, err ? err->message : "");
    fail_unless_equals_uint64 (consumed, size);
    if (!rtmp_amf_value_equal (v, expected)) {
      gchar *a = rtmp_amf_value_to_string (v);
      gchar *b = rtmp_amf_value_to_string (expected);
      fail ("%s: got %s, expected %s", vec->name, a, b);
    }

    check_all_prefixes (data, size);

    /* the same value behind an AMF0 AVM+ switch */
    avm = g_byte_array_new ();
    g_byte_array_append (avm, (const guint8 *) "\x11", 1);
    g_byte_array_append (avm, data, size);
    v0 = rtmp_amf0_parse (avm->data, avm->len, &consumed, NULL, &err);
    fail_unless (v0 != NULL, "%s: %s", vec->name, err ? err->message : "");
    fail_unless_equals_uint64 (consumed, avm->len);
    fail_unless (rtmp_amf_value_equal (v0, expected), "%s", vec->name);
    rtmp_amf_value_unref (v0);
    g_byte_array_unref (avm);

    if (vec->canonical) {
      GBytes *out = serialize (expected);

      fail_unless (g_bytes_equal (out, bytes), "%s: serialised differently",
          vec->name);
      g_bytes_unref (out);
    }
    rtmp_amf_value_unref (v);
    rtmp_amf_value_unref (expected);
    g_bytes_unref (bytes);
  }
}

GST_END_TEST;

GST_START_TEST (test_references_share)
{
  GError *err = NULL;
  RtmpAmfValue *v = parse_hex ("09 05 01 0a 0b 01 01 0a 02", NULL, &err);

  fail_unless (v != NULL);
  /* an object reference is the same value, not a copy */
  fail_unless (rtmp_amf_value_get_child (v, 0) ==
      rtmp_amf_value_get_child (v, 1));
  rtmp_amf_value_unref (v);
}

GST_END_TEST;

typedef struct
{
  const gchar *name;
  const gchar *hex;
  gint code;
  const gchar *substring;
} BadVector;

static const BadVector bad_vectors[] = {
  {"string ref, empty table", "06 00", RTMP_ERROR_AMF, "out of range"},
  {"string ref out of range", "09 05 01 06 05 6869 06 02", RTMP_ERROR_AMF,
      "string reference 1 out of range"},
  {"empty string is not in the table", "09 05 01 06 01 06 00",
      RTMP_ERROR_AMF, "out of range"},
  {"object ref, empty table", "0a 00", RTMP_ERROR_AMF, "out of range"},
  {"object ref out of range", "09 03 01 0a 02", RTMP_ERROR_AMF,
      "object reference 1 out of range"},
  {"array ref to itself", "09 03 01 09 00", RTMP_ERROR_AMF,
      "still being parsed"},
  {"object ref to its parent", "0a 0b 01 03 61 0a 00 01", RTMP_ERROR_AMF,
      "still being parsed"},
  {"date ref out of range", "08 00", RTMP_ERROR_AMF, "out of range"},
  {"xml ref out of range", "0b 00", RTMP_ERROR_AMF, "out of range"},
  {"bytes ref out of range", "0c 04", RTMP_ERROR_AMF, "out of range"},
  {"traits ref, empty table", "0a 01", RTMP_ERROR_AMF,
      "traits reference 0 out of range"},
  {"traits ref out of range", "09 05 01 0a 0b 01 01 0a 05", RTMP_ERROR_AMF,
      "traits reference 1 out of range"},
  {"externalizable", "0a 07 07 466f6f 00", RTMP_ERROR_UNSUPPORTED,
      "externalizable"},
  {"vector int", "0d 03 00 00000001", RTMP_ERROR_UNSUPPORTED, "0x0d"},
  {"vector uint", "0e 01 00", RTMP_ERROR_UNSUPPORTED, "0x0e"},
  {"vector double", "0f 01 00", RTMP_ERROR_UNSUPPORTED, "0x0f"},
  {"vector object", "10 01 00 01", RTMP_ERROR_UNSUPPORTED, "0x10"},
  {"dictionary", "11 01 00", RTMP_ERROR_UNSUPPORTED, "0x11"},
  {"unknown marker", "12", RTMP_ERROR_AMF, "unknown marker 0x12"},
  {"unknown marker 0xff", "ff", RTMP_ERROR_AMF, "unknown marker 0xff"},
  {"huge dense count", "09 ff ff ff ff 01 01", RTMP_ERROR_AMF,
      "truncated array"},
  {"huge dense count after assoc", "09 ff ff ff ff 03 61 01 01",
      RTMP_ERROR_AMF, "truncated array"},
  {"huge sealed count", "0a ff ff ff f3 01 01", RTMP_ERROR_AMF,
      "truncated traits"},
  {"huge string", "06 ff ff ff ff 61", RTMP_ERROR_AMF, "truncated"},
  {"huge bytes", "0c ff ff ff ff 61", RTMP_ERROR_AMF, "truncated"},
  {"missing dynamic end", "0a 0b 01 03 61 01", RTMP_ERROR_AMF, "truncated"},
};

GST_START_TEST (test_malformed)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_vectors); i++) {
    GError *err = NULL;
    RtmpAmfValue *v = parse_hex (bad_vectors[i].hex, NULL, &err);

    fail_unless (v == NULL, "%s parsed", bad_vectors[i].name);
    assert_error (err, bad_vectors[i].code, bad_vectors[i].substring);
    g_error_free (err);
  }
}

GST_END_TEST;

GST_START_TEST (test_limits)
{
  RtmpLimits limits;
  GError *err = NULL;
  RtmpAmfValue *v;
  GByteArray *b;

  rtmp_limits_init (&limits);

  /* string table */
  limits.max_amf3_table = 3;
  v = parse_hex ("09 07 01 06 03 61 06 03 62 06 03 63", &limits, &err);
  fail_unless (v != NULL, "%s", err ? err->message : "");
  rtmp_amf_value_unref (v);
  v = parse_hex ("09 09 01 06 03 61 06 03 62 06 03 63 06 03 64", &limits, &err);
  fail_unless (v == NULL);
  assert_error (err, RTMP_ERROR_LIMIT, "max_amf3_table");
  fail_unless (strstr (err->message, "string") != NULL);
  g_clear_error (&err);

  /* object table: the array + 3 objects */
  v = parse_hex ("09 07 01 0a 0b 01 01 0a 0b 01 01 0a 0b 01 01", &limits, &err);
  fail_unless (v == NULL);
  assert_error (err, RTMP_ERROR_LIMIT, "max_amf3_table");
  fail_unless (strstr (err->message, "object") != NULL);
  g_clear_error (&err);

  /* traits table: an object holding an object with new traits; inline
   * traits are added before their object, so the traits table overflows
   * first */
  limits.max_amf3_table = 1;
  v = parse_hex ("0a 0b 01 03 61 0a 03 01 01", &limits, &err);
  fail_unless (v == NULL);
  assert_error (err, RTMP_ERROR_LIMIT, "max_amf3_table");
  fail_unless (strstr (err->message, "traits") != NULL);
  g_clear_error (&err);
  limits.max_amf3_table = 2;
  v = parse_hex ("0a 0b 01 03 61 0a 03 01 01", &limits, &err);
  fail_unless (v != NULL, "%s", err ? err->message : "");
  rtmp_amf_value_unref (v);

  /* values */
  rtmp_limits_init (&limits);
  limits.max_amf_values = 3;
  v = parse_hex ("09 05 01 01 01", &limits, &err);
  fail_unless (v != NULL);
  rtmp_amf_value_unref (v);
  v = parse_hex ("09 07 01 01 01 01", &limits, &err);
  fail_unless (v == NULL);
  assert_error (err, RTMP_ERROR_LIMIT, "max_amf_values");
  g_clear_error (&err);
  v = parse_hex ("0a 33 01 03 61 03 62 03 63 01 01 01", &limits, &err);
  fail_unless (v == NULL);
  assert_error (err, RTMP_ERROR_LIMIT, "max_amf_values");
  g_clear_error (&err);

  v = parse_hex ("0a 43 01 03 61 03 62 03 63 03 64 01 01 01 01", &limits, &err);
  fail_unless (v == NULL);
  assert_error (err, RTMP_ERROR_LIMIT, "sealed members exceed max_amf_values");
  g_clear_error (&err);

  /* object table full when a date / an array arrives */
  rtmp_limits_init (&limits);
  limits.max_amf3_table = 1;
  v = parse_hex ("09 05 01 08 01 3ff0000000000000", &limits, &err);
  fail_unless (v == NULL);
  assert_error (err, RTMP_ERROR_LIMIT, "object reference table");
  g_clear_error (&err);
  v = parse_hex ("0a 0b 01 03 61 09 01 01 01", &limits, &err);
  fail_unless (v == NULL);
  assert_error (err, RTMP_ERROR_LIMIT, "object reference table");
  g_clear_error (&err);

  /* depth: 100000 nested arrays fail fast */
  rtmp_limits_init (&limits);
  b = g_byte_array_new ();
  for (guint i = 0; i < 100000; i++)
    g_byte_array_append (b, (const guint8 *) "\x09\x03\x01", 3);
  g_byte_array_append (b, (const guint8 *) "\x01", 1);
  v = rtmp_amf3_parse (b->data, b->len, NULL, &limits, &err);
  fail_unless (v == NULL);
  assert_error (err, RTMP_ERROR_LIMIT, "max_amf_depth");
  g_clear_error (&err);
  /* exactly the limit is fine */
  g_byte_array_set_size (b, 0);
  for (guint i = 0; i < limits.max_amf_depth; i++)
    g_byte_array_append (b, (const guint8 *) "\x09\x03\x01", 3);
  g_byte_array_append (b, (const guint8 *) "\x01", 1);
  v = rtmp_amf3_parse (b->data, b->len, NULL, &limits, &err);
  fail_unless (v != NULL, "%s", err ? err->message : "");
  rtmp_amf_value_unref (v);
  /* objects count too */
  limits.max_amf_depth = 1;
  v = parse_hex ("0a 0b 01 03 61 0a 0b 01 01 01", &limits, &err);
  fail_unless (v == NULL);
  assert_error (err, RTMP_ERROR_LIMIT, "max_amf_depth");
  g_clear_error (&err);
  g_byte_array_unref (b);

  /* copies made through references are bounded by max_message_size */
  rtmp_limits_init (&limits);
  limits.max_message_size = 100;
  b = g_byte_array_new ();
  g_byte_array_append (b, (const guint8 *) "\x09\x07\x01\x06\x51", 5);
  for (guint i = 0; i < 40; i++)
    g_byte_array_append (b, (const guint8 *) "x", 1);
  g_byte_array_append (b, (const guint8 *) "\x06\x00\x06\x00", 4);
  v = rtmp_amf3_parse (b->data, b->len, NULL, &limits, &err);
  fail_unless (v != NULL, "%s", err ? err->message : "");
  rtmp_amf_value_unref (v);
  b->data[1] = 0x09;            /* 4 elements: a third copy */
  g_byte_array_append (b, (const guint8 *) "\x06\x00", 2);
  v = rtmp_amf3_parse (b->data, b->len, NULL, &limits, &err);
  fail_unless (v == NULL);
  assert_error (err, RTMP_ERROR_LIMIT, "max_message_size");
  g_clear_error (&err);
  g_byte_array_unref (b);
  /* ... and traits references count their names */
  v = parse_hex ("09 07 01 0a 13 01 0f 61616161616161 01 0a 01 01 0a 01 01",
      &limits, &err);
  fail_unless (v != NULL, "%s", err ? err->message : "");
  rtmp_amf_value_unref (v);
  limits.max_message_size = 13;
  v = parse_hex ("09 07 01 0a 13 01 0f 61616161616161 01 0a 01 01 0a 01 01",
      &limits, &err);
  fail_unless (v == NULL);
  assert_error (err, RTMP_ERROR_LIMIT, "max_message_size");
  g_clear_error (&err);
}

GST_END_TEST;

/* ---- round trips ---- */

static RtmpAmfValue *
build_everything (void)
{
  RtmpAmfValue *root = rtmp_amf_value_new_object ();
  RtmpAmfValue *ecma = rtmp_amf_value_new_ecma_array ();
  RtmpAmfValue *arr = rtmp_amf_value_new_strict_array ();
  RtmpAmfValue *typed = rtmp_amf_value_new_typed_object ("flex.Thing");
  gchar *big = g_strnfill (70000, 'b');

  rtmp_amf_value_set (root, "undef", rtmp_amf_value_new_undefined ());
  rtmp_amf_value_set (root, "null", rtmp_amf_value_new_null ());
  rtmp_amf_value_set_boolean (root, "t", TRUE);
  rtmp_amf_value_set_boolean (root, "f", FALSE);
  rtmp_amf_value_set (root, "int", rtmp_amf_value_new_integer (-100000));
  rtmp_amf_value_set (root, "int max", rtmp_amf_value_new_integer (0x0FFFFFFF));
  rtmp_amf_value_set_number (root, "double", -0.125);
  rtmp_amf_value_set_string (root, "s", "hello");
  rtmp_amf_value_set (root, "bin", rtmp_amf_value_new_string_len ("\0\xff", 2));
  rtmp_amf_value_set (root, "big", rtmp_amf_value_new_string (big));
  rtmp_amf_value_set_full (root, "k\0", 2, rtmp_amf_value_new_null ());
  rtmp_amf_value_set (root, "date", rtmp_amf_value_new_date (1.7e12, 0));
  rtmp_amf_value_set (root, "xml", rtmp_amf_value_new_xml ("<x/>", 4));
  rtmp_amf_value_set (root, "bytes",
      rtmp_amf_value_new_byte_array ((const guint8 *) big, 300));
  rtmp_amf_value_set (root, "empty obj", rtmp_amf_value_new_object ());
  rtmp_amf_value_set (root, "empty arr", rtmp_amf_value_new_strict_array ());
  rtmp_amf_value_set_string (ecma, "codec", "avc1");
  rtmp_amf_value_set (ecma, "n", rtmp_amf_value_new_integer (7));
  rtmp_amf_value_append (arr, rtmp_amf_value_new_integer (1));
  rtmp_amf_value_append (arr, rtmp_amf_value_ref (ecma));
  rtmp_amf_value_append (arr, rtmp_amf_value_new_strict_array ());
  rtmp_amf_value_set (typed, "arr", arr);
  rtmp_amf_value_set (root, "ecma", ecma);
  rtmp_amf_value_set (root, "typed", typed);
  g_free (big);
  return root;
}

GST_START_TEST (test_round_trip)
{
  RtmpAmfValue *root = build_everything ();
  GBytes *out = serialize (root);
  GError *err = NULL;
  gsize size, consumed = 0;
  const guint8 *data = g_bytes_get_data (out, &size);
  RtmpAmfValue *back = rtmp_amf3_parse (data, size, &consumed, NULL, &err);

  fail_unless (back != NULL, "%s", err ? err->message : "");
  fail_unless_equals_uint64 (consumed, size);
  fail_unless (rtmp_amf_value_equal (root, back));
  rtmp_amf_value_unref (back);

  for (guint i = 0; i < rtmp_amf_value_get_n_children (root); i++) {
    RtmpAmfValue *child = rtmp_amf_value_get_child (root, i);
    GBytes *o = serialize (child);
    RtmpAmfValue *b = rtmp_amf3_parse (g_bytes_get_data (o, NULL),
        g_bytes_get_size (o), NULL, NULL, &err);

    fail_unless (b != NULL, "%s", rtmp_amf_value_get_child_key (root, i));
    fail_unless (rtmp_amf_value_equal (child, b), "%s",
        rtmp_amf_value_get_child_key (root, i));
    rtmp_amf_value_unref (b);
    g_bytes_unref (o);
  }
  rtmp_amf_value_unref (root);
  g_bytes_unref (out);
}

GST_END_TEST;

/* Values AMF3 cannot express exactly come back in their nearest form. */
GST_START_TEST (test_serialize_lossy)
{
  RtmpAmfValue *v;
  GBytes *out, *hex;

  v = rtmp_amf_value_new_unsupported ();
  out = serialize (v);
  hex = test_util_hex ("00");
  fail_unless (g_bytes_equal (out, hex));
  rtmp_amf_value_unref (v);
  g_bytes_unref (out);
  g_bytes_unref (hex);

  v = rtmp_amf_value_new_date (2.0, 60);
  out = serialize (v);
  hex = test_util_hex ("08 01 4000000000000000");
  fail_unless (g_bytes_equal (out, hex));
  rtmp_amf_value_unref (v);
  g_bytes_unref (out);
  g_bytes_unref (hex);

  /* empty key skipped; empty ECMA reads back as an empty array */
  v = rtmp_amf_value_new_object ();
  rtmp_amf_value_set (v, "", rtmp_amf_value_new_null ());
  rtmp_amf_value_set (v, "a", rtmp_amf_value_new_ecma_array ());
  out = serialize (v);
  hex = test_util_hex ("0a 0b 01 03 61 09 01 01 01");
  fail_unless (g_bytes_equal (out, hex));
  rtmp_amf_value_unref (v);
  g_bytes_unref (out);
  g_bytes_unref (hex);
}

GST_END_TEST;

/* The context API keeps the tables across values (the AVM+ case). */
GST_START_TEST (test_context)
{
  RtmpAmf3Context *ctx = rtmp_amf3_context_new (NULL);
  GBytes *bytes = test_util_hex ("0a 0b 01 03 61 06 05 6869 01 "
      "0a 00 06 02 0a 01 03 62 02 01");
  gsize size, used = 0, pos = 0;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  guint n_values = 0;
  GError *err = NULL;
  RtmpAmfValue *a, *b, *c, *d;

  a = rtmp_amf3_context_parse (ctx, data, size, &used, 0, &n_values, &err);
  fail_unless (a != NULL, "%s", err ? err->message : "");
  pos += used;
  /* object reference 0 from the previous value */
  b = rtmp_amf3_context_parse (ctx, data + pos, size - pos, &used, 0,
      &n_values, &err);
  fail_unless (b == a);
  pos += used;
  /* string reference 1 ("hi") */
  c = rtmp_amf3_context_parse (ctx, data + pos, size - pos, &used, 0,
      &n_values, &err);
  fail_unless_equals_string (rtmp_amf_value_get_string (c, NULL), "hi");
  pos += used;
  /* traits reference 0 (anonymous dynamic) */
  d = rtmp_amf3_context_parse (ctx, data + pos, size - pos, &used, 0,
      &n_values, &err);
  fail_unless (d != NULL, "%s", err ? err->message : "");
  fail_unless (rtmp_amf_value_get_boolean (rtmp_amf_value_lookup (d, "b"))
      == FALSE);
  pos += used;
  fail_unless_equals_uint64 (pos, size);
  fail_unless_equals_int (n_values, 6);

  rtmp_amf_value_unref (a);
  rtmp_amf_value_unref (b);
  rtmp_amf_value_unref (c);
  rtmp_amf_value_unref (d);
  rtmp_amf3_context_free (ctx);
  rtmp_amf3_context_free (NULL);
  g_bytes_unref (bytes);
}

GST_END_TEST;

static Suite *
amf3_suite (void)
{
  Suite *s = suite_create ("amf3");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_u29);
  tcase_add_test (tc, test_integer);
  tcase_add_test (tc, test_vectors);
  tcase_add_test (tc, test_references_share);
  tcase_add_test (tc, test_malformed);
  tcase_add_test (tc, test_limits);
  tcase_add_test (tc, test_round_trip);
  tcase_add_test (tc, test_serialize_lossy);
  tcase_add_test (tc, test_context);
  return s;
}

GST_CHECK_MAIN (amf3);
