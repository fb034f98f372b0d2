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
 * header line; each line split at tabs (a NULL-terminated array of
 * strings, one block: free it with g_free, not g_strfreev). Free with
 * g_ptr_array_unref. */
GPtrArray *test_util_load_tsv (const gchar * name);
/* "02 00 07 63 6f" or "0200076f" -> bytes (spaces ignored) */
GBytes *test_util_hex (const gchar * hex);
/* lower-case hex MD5 of the bytes */
gchar *test_util_md5 (const guint8 * data, gsize size);
gchar *test_util_buffer_md5 (GstBuffer * buf);
GstBuffer *test_util_buffer_new (const guint8 * data, gsize size);
gboolean test_util_buffer_equal (GstBuffer * buf, const guint8 * data,
    gsize size);

/* An assertion for loops that run per byte or per split: libcheck writes a
 * location record (two allocations and a write) for every *passing*
 * fail_unless(), which under a memory checker costs more than the code under
 * test; this reaches libcheck only when @cond is false. */
#define TEST_CHECK(cond, ...) \
  G_STMT_START { if (G_UNLIKELY (!(cond))) fail (__VA_ARGS__); } G_STMT_END
/* fail_unless_equals_uint64 (any integers) the same way */
#define TEST_CHECK_EQ(a, b) \
  G_STMT_START { \
    guint64 test_check_a = (a), test_check_b = (b); \
    if (G_UNLIKELY (test_check_a != test_check_b)) \
      fail ("'" #a "' (%" G_GUINT64_FORMAT ") is not equal to '" #b "' (%" \
          G_GUINT64_FORMAT ")", test_check_a, test_check_b); \
  } G_STMT_END

/* qsort order of gsize values */
gint test_util_compare_gsize (gconstpointer a, gconstpointer b);

/* TRUE when the test runs under a memory checker that makes every
 * allocation expensive: valgrind (`meson test --setup=valgrind` sets
 * RTMP_TEST_SLOWDOWN=8; any value above 1 counts) or a build with
 * AddressSanitizer. RTMP_TEST_EXHAUSTIVE=1 in the environment makes it
 * FALSE anyway (full sweeps under a checker, for a long run by hand). */
gboolean test_util_under_checker (void);

/* Cut positions. A parser fed an input in pieces must give the same
 * result wherever the pieces end; the tests try a small input cut at every
 * position. For a large input, and under a memory checker, that is too
 * slow, and the positions that matter are those near its structure
 * boundaries: the parser's state at a cut depends on which header field
 * the cut falls in (and how much of it has come) or, inside a body, only
 * on how many bytes are still to come, where every position runs the same
 * code. So the tests take every position from TEST_UTIL_CUT_WINDOW bytes
 * before to TEST_UTIL_CUT_WINDOW bytes after every position of every header
 * (which covers each partial header, an empty piece at a boundary, and
 * body cuts one to a few bytes away from either end), and every n-th
 * position in between. */
#define TEST_UTIL_CUT_WINDOW 4

/* The cut positions of an input of @size bytes, sorted, each once, in
 * 0..@size (0 and @size included): all of them if @all, else those within
 * TEST_UTIL_CUT_WINDOW of 0, of @size and of each offset in @bounds
 * (gsize; any order, duplicates and offsets past @size allowed), and the
 * multiples of @stride (0: none). Free with g_array_unref. */
GArray *test_util_cut_positions (gsize size, const GArray * bounds,
    gsize stride, gboolean all);

/* The boundaries of an RTMP handshake as one peer sends it (C0+C1+C2 or
 * S0+S1+S2, RTMP spec 5.2), appended to @bounds: after the version byte,
 * after packet 1, after packet 2. */
void test_util_handshake_bounds (GArray * bounds);

/* The structure of an RTMP chunk stream that starts at offset @from of
 * @data, with @chunk_size in force until a Set Chunk Size message in it,
 * appended to @bounds (gsize offsets in @data): every position of the
 * header of each of the first @edge and the last @edge chunks of every
 * message (from its first byte to the first payload byte), the end of
 * every message, and where the chunk reader starts a new payload block
 * (64 KiB into a message, then 128 KiB later, 256 KiB later...). The
 * chunks in between are fmt-3 continuations of the form and size of their
 * neighbours. A fmt-3 chunk after an extended timestamp
 * counts as repeating it when its next 4 bytes are the extended value (as
 * the reader decides). Returns the offset where the walk stopped: @size
 * when the stream ends with a complete chunk. */
gsize test_util_chunk_bounds (const guint8 * data, gsize size, gsize from,
    guint32 chunk_size, guint edge, GArray * bounds);

G_END_DECLS

#endif
