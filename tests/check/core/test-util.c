/* Helpers shared by the core unit tests.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "test-util.h"

GBytes *
test_util_load_fixture (const gchar * name)
{
  const gchar *dir = g_getenv ("RTMP_FIXTURES_DIR");
  gchar *path, *contents = NULL;
  gsize len = 0;
  GError *err = NULL;

  fail_unless (dir != NULL, "RTMP_FIXTURES_DIR is not set (run via meson test)");
  path = g_build_filename (dir, name, NULL);
  if (!g_file_get_contents (path, &contents, &len, &err))
    fail ("cannot read fixture %s: %s", path, err->message);
  g_free (path);
  return g_bytes_new_take (contents, len);
}

GPtrArray *
test_util_load_tsv (const gchar * name)
{
  GBytes *bytes = test_util_load_fixture (name);
  gchar *text = g_strndup (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes));
  gchar **lines = g_strsplit (text, "\n", -1);
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  gboolean header_seen = FALSE;

  for (guint i = 0; lines[i]; i++) {
    if (lines[i][0] == '\0' || lines[i][0] == '#')
      continue;
    if (!header_seen) {
      header_seen = TRUE;
      continue;
    }
    g_ptr_array_add (rows, g_strsplit (lines[i], "\t", -1));
  }
  g_strfreev (lines);
  g_free (text);
  g_bytes_unref (bytes);
  return rows;
}

GBytes *
test_util_hex (const gchar * hex)
{
  GByteArray *out = g_byte_array_new ();
  gint hi = -1;

  for (const gchar * p = hex; *p; p++) {
    gint v = g_ascii_xdigit_value (*p);
    if (v < 0)
      continue;
    if (hi < 0) {
      hi = v;
    } else {
      guint8 b = (guint8) ((hi << 4) | v);
      g_byte_array_append (out, &b, 1);
      hi = -1;
    }
  }
  fail_unless (hi < 0, "odd number of hex digits in '%s'", hex);
  return g_byte_array_free_to_bytes (out);
}

gchar *
test_util_md5 (const guint8 * data, gsize size)
{
  return g_compute_checksum_for_data (G_CHECKSUM_MD5, data, size);
}

gchar *
test_util_buffer_md5 (GstBuffer * buf)
{
  GstMapInfo map;
  gchar *md5;

  if (buf == NULL)
    return test_util_md5 ((const guint8 *) "", 0);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  md5 = test_util_md5 (map.data, map.size);
  gst_buffer_unmap (buf, &map);
  return md5;
}

GstBuffer *
test_util_buffer_new (const guint8 * data, gsize size)
{
  return gst_buffer_new_memdup (data, size);
}

gboolean
test_util_buffer_equal (GstBuffer * buf, const guint8 * data, gsize size)
{
  if (gst_buffer_get_size (buf) != size)
    return FALSE;
  return gst_buffer_memcmp (buf, 0, data, size) == 0;
}
