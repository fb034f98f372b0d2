/* Fuzz target: AMF0 message bodies (command/data messages), incl. the
 * AVM+ switch into AMF3.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Parses the input as a message body; on success checks that to_string is
 * bounded, and that serialise → parse is stable: the first re-parse may
 * differ from the input (AMF3 values become AMF0 ones, references are
 * expanded) but must parse (or hit a limit, since expanded references
 * count again), and from then on serialise → parse is the identity.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtmp-amf.h"
#include "rtmp-amf0.h"
#include "rtmp-error.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

/* Shared references can make a small tree expand hugely when serialised;
 * only round-trip trees whose expanded size stays small. */
static gboolean
expanded_size_ok (const RtmpAmfValue * v, guint * budget)
{
  guint n = rtmp_amf_value_get_n_children (v);
  gsize len = 0;

  if (*budget == 0)
    return FALSE;
  (*budget)--;
  if (rtmp_amf_value_get_string (v, &len) && len > 1024 * 1024)
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (!expanded_size_ok (rtmp_amf_value_get_child (v, i), budget))
      return FALSE;
  return TRUE;
}

static GByteArray *
serialize_all (GPtrArray * values)
{
  GByteArray *out = g_byte_array_new ();

  for (guint i = 0; i < values->len; i++)
    rtmp_amf0_serialize (out, g_ptr_array_index (values, i));
  return out;
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  RtmpLimits limits;
  GError *err = NULL;
  GPtrArray *values, *v2, *v3;
  GByteArray *s1, *s2;
  guint budget = 100000;

  rtmp_limits_init (&limits);
  /* a message body is at most max_message_size; the AMF3 reference copy
   * budget uses the same limit: 1 MiB keeps the fuzzer's memory churn low */
  limits.max_message_size = 1024 * 1024;
  values = rtmp_amf0_parse_all (data, size, &limits, &err);
  if (values == NULL) {
    if (err == NULL || err->domain != RTMP_ERROR)
      abort ();
    g_error_free (err);
    return 0;
  }

  for (guint i = 0; i < values->len; i++) {
    RtmpAmfValue *v = g_ptr_array_index (values, i);
    gchar *str = rtmp_amf_value_to_string (v);

    if (strlen (str) > 2048)
      abort ();
    g_free (str);
    if (!expanded_size_ok (v, &budget))
      goto done;
  }

  s1 = serialize_all (values);
  v2 = rtmp_amf0_parse_all (s1->data, s1->len, &limits, &err);
  g_byte_array_unref (s1);
  if (v2 == NULL) {
    if (!g_error_matches (err, RTMP_ERROR, RTMP_ERROR_LIMIT))
      abort ();
    g_error_free (err);
    goto done;
  }
  if (v2->len != values->len)
    abort ();

  s2 = serialize_all (v2);
  v3 = rtmp_amf0_parse_all (s2->data, s2->len, &limits, &err);
  g_byte_array_unref (s2);
  if (v3 == NULL || v3->len != v2->len)
    abort ();
  for (guint i = 0; i < v2->len; i++)
    if (!rtmp_amf_value_equal (g_ptr_array_index (v2, i),
            g_ptr_array_index (v3, i)))
      abort ();
  g_ptr_array_unref (v3);
  g_ptr_array_unref (v2);

done:
  g_ptr_array_unref (values);
  return 0;
}
