/* Helpers shared by the core unit tests.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __TEST_UTIL_H__
#define __TEST_UTIL_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* Contents of tests/fixtures/<name> (directory from $RTMP_FIXTURES_DIR);
 * fails the test if it cannot be read. */
GBytes *test_util_load_fixture (const gchar * name);
/* Lines of a fixture TSV file without comment ('#') lines and without the
 * header line; each line split at tabs. Free with g_ptr_array_unref. */
GPtrArray *test_util_load_tsv (const gchar * name);
/* "02 00 07 63 6f" or "0200076f" -> bytes (spaces ignored) */
GBytes *test_util_hex (const gchar * hex);
/* lower-case hex MD5 of the bytes */
gchar *test_util_md5 (const guint8 * data, gsize size);
gchar *test_util_buffer_md5 (GstBuffer * buf);
GstBuffer *test_util_buffer_new (const guint8 * data, gsize size);
gboolean test_util_buffer_equal (GstBuffer * buf, const guint8 * data,
    gsize size);

G_END_DECLS

#endif
