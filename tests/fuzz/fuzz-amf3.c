/* Fuzz target: one AMF3 value.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Parses one value (fresh tables) with small table limits so the limit
 * paths are reached; on success checks to_string is bounded and that
 * serialise → parse is stable (first re-parse may only fail on a limit;
 * after that it is the identity).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtmp-amf.h"
#include "rtmp-amf3.h"
#include "rtmp-error.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

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

static RtmpAmfValue *
reparse (const RtmpAmfValue * v, const RtmpLimits * limits, GError ** err)
{
  GByteArray *out = g_byte_array_new ();
  RtmpAmfValue *back;
  gsize consumed = 0;

  rtmp_amf3_serialize (out, v);
  back = rtmp_amf3_parse (out->data, out->len, &consumed, limits, err);
  if (back && consumed != out->len)
    abort ();
  g_byte_array_unref (out);
  return back;
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  RtmpLimits limits;
  GError *err = NULL;
  RtmpAmfValue *v, *v2, *v3;
  gsize consumed = 0;
  guint budget = 100000;
  gchar *str;

  rtmp_limits_init (&limits);
  limits.max_amf3_table = 64;
  limits.max_message_size = 1024 * 1024;
  v = rtmp_amf3_parse (data, size, &consumed, &limits, &err);
  if (v == NULL) {
    if (err == NULL || err->domain != RTMP_ERROR)
      abort ();
    g_error_free (err);
    return 0;
  }
  if (consumed == 0 || consumed > size)
    abort ();

  str = rtmp_amf_value_to_string (v);
  if (strlen (str) > 2048)
    abort ();
  g_free (str);
  if (!expanded_size_ok (v, &budget))
    goto done;

  /* the re-encoding is all inline: give it room */
  limits.max_amf3_table = 1 << 20;
  v2 = reparse (v, &limits, &err);
  if (v2 == NULL) {
    if (!g_error_matches (err, RTMP_ERROR, RTMP_ERROR_LIMIT))
      abort ();
    g_error_free (err);
    goto done;
  }
  v3 = reparse (v2, &limits, &err);
  if (v3 == NULL || !rtmp_amf_value_equal (v2, v3))
    abort ();
  rtmp_amf_value_unref (v3);
  rtmp_amf_value_unref (v2);

done:
  rtmp_amf_value_unref (v);
  return 0;
}
