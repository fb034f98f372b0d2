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

/* One allocation per row (the fields' pointers, then their text): the
 * fixture tables have thousands of fields, and a g_strsplit() per line
 * costs an allocation per field, which shows under a memory checker. */
static gchar **
split_row (const gchar * line, gsize len)
{
  guint n = 1;
  gchar **row, *text;

  for (gsize i = 0; i < len; i++)
    n += line[i] == '\t';
  row = g_malloc ((n + 1) * sizeof (gchar *) + len + 1);
  text = (gchar *) (row + n + 1);
  memcpy (text, line, len);
  text[len] = '\0';
  n = 0;
  row[n++] = text;
  for (gsize i = 0; i < len; i++) {
    if (text[i] == '\t') {
      text[i] = '\0';
      row[n++] = text + i + 1;
    }
  }
  row[n] = NULL;
  return row;
}

GPtrArray *
test_util_load_tsv (const gchar * name)
{
  GBytes *bytes = test_util_load_fixture (name);
  gsize size;
  const gchar *text = g_bytes_get_data (bytes, &size);
  GPtrArray *rows = g_ptr_array_new_with_free_func (g_free);
  gboolean header_seen = FALSE;

  for (gsize pos = 0; pos < size;) {
    const gchar *nl = memchr (text + pos, '\n', size - pos);
    gsize len = nl ? (gsize) (nl - (text + pos)) : size - pos;
    const gchar *line = text + pos;

    pos += len + 1;
    if (len == 0 || line[0] == '#')
      continue;
    if (!header_seen) {
      header_seen = TRUE;
      continue;
    }
    g_ptr_array_add (rows, split_row (line, len));
  }
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

/* clang: __has_feature; gcc: __SANITIZE_ADDRESS__ */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_UTIL_ASAN 1
#elif defined(__has_feature)
#if __has_feature (address_sanitizer)
#define TEST_UTIL_ASAN 1
#endif
#endif

gboolean
test_util_under_checker (void)
{
  if (g_strcmp0 (g_getenv ("RTMP_TEST_EXHAUSTIVE"), "1") == 0)
    return FALSE;
#ifdef TEST_UTIL_ASAN
  return TRUE;
#else
  {
    const gchar *slowdown = g_getenv ("RTMP_TEST_SLOWDOWN");

    return slowdown != NULL && g_ascii_strtod (slowdown, NULL) > 1.0;
  }
#endif
}

gint
test_util_compare_gsize (gconstpointer a, gconstpointer b)
{
  gsize x = *(const gsize *) a, y = *(const gsize *) b;

  return x < y ? -1 : x > y;
}

/* Appends every position within TEST_UTIL_CUT_WINDOW of @at (up to @size) */
static void
add_window (GArray * cuts, gsize size, gsize at)
{
  gsize from = at > TEST_UTIL_CUT_WINDOW ? at - TEST_UTIL_CUT_WINDOW : 0;

  for (gsize i = from; i <= at + TEST_UTIL_CUT_WINDOW && i <= size; i++)
    g_array_append_val (cuts, i);
}

GArray *
test_util_cut_positions (gsize size, const GArray * bounds, gsize stride,
    gboolean all)
{
  GArray *cuts = g_array_new (FALSE, FALSE, sizeof (gsize));
  guint n = 0;

  if (all) {
    g_array_set_size (cuts, size + 1);
    for (gsize i = 0; i <= size; i++)
      g_array_index (cuts, gsize, i) = i;
    return cuts;
  }
  /* candidates, then sorted without repeats */
  add_window (cuts, size, 0);
  add_window (cuts, size, size);
  for (guint i = 0; bounds && i < bounds->len; i++)
    add_window (cuts, size, g_array_index (bounds, gsize, i));
  for (gsize i = 0; stride > 0 && i <= size; i += stride)
    g_array_append_val (cuts, i);
  g_array_sort (cuts, test_util_compare_gsize);
  for (guint i = 0; i < cuts->len; i++) {
    if (n == 0 || g_array_index (cuts, gsize, i) !=
        g_array_index (cuts, gsize, n - 1))
      g_array_index (cuts, gsize, n++) = g_array_index (cuts, gsize, i);
  }
  g_array_set_size (cuts, n);
  return cuts;
}

void
test_util_handshake_bounds (GArray * bounds)
{
  /* C0/S0: 1 byte; C1/S1, C2/S2: 1536 bytes each */
  const gsize edges[] = { 1, 1 + 1536, 1 + 2 * 1536 };

  g_array_append_vals (bounds, edges, G_N_ELEMENTS (edges));
}

/* message types (rtmp-message.h, which the element tests that share this
 * file do not see) */
#define SET_CHUNK_SIZE 1
#define ABORT 2
/* the first payload block of the chunk reader (rtmp-chunk-reader.c) */
#define READER_FIRST_BLOCK (64 * 1024)

/* What test_util_chunk_bounds() keeps per chunk stream id */
typedef struct
{
  guint32 length;
  guint32 received;             /* 0: no message in progress */
  guint8 type;
  gboolean extended;            /* last fmt 0-2 header had the field */
  guint32 ext_value;
  guint chunk;                  /* index of the next chunk in the message */
  guint8 head[4];               /* first payload bytes of the message */
} ChunkStreamState;

static inline guint32
read_u24 (const guint8 * p)
{
  return ((guint32) p[0] << 16) | ((guint32) p[1] << 8) | p[2];
}

static void
add_bound (GArray * bounds, gsize at)
{
  g_array_append_val (bounds, at);
}

gsize
test_util_chunk_bounds (const guint8 * data, gsize size, gsize from,
    guint32 chunk_size, guint edge, GArray * bounds)
{
  GHashTable *streams = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  gsize pos = from;

  while (pos < size) {
    guint8 fmt = data[pos] >> 6, low = data[pos] & 0x3F;
    gsize bh = low == 0 ? 2 : low == 1 ? 3 : 1;
    gsize mh = fmt == 0 ? 11 : fmt == 1 ? 7 : fmt == 2 ? 3 : 0;
    gsize hl = bh + mh, n;
    guint32 csid;
    guint chunks;
    ChunkStreamState *cs;

    if (size - pos < hl)
      break;
    if (low == 0)
      csid = 64 + data[pos + 1];
    else if (low == 1)
      csid = 64 + data[pos + 1] + ((guint32) data[pos + 2] << 8);
    else
      csid = low;
    cs = g_hash_table_lookup (streams, GUINT_TO_POINTER (csid));
    if (cs == NULL) {
      if (fmt != 0)
        break;
      cs = g_new0 (ChunkStreamState, 1);
      g_hash_table_insert (streams, GUINT_TO_POINTER (csid), cs);
    }
    if (fmt <= 1) {
      cs->length = read_u24 (data + pos + bh + 3);
      cs->type = data[pos + bh + 6];
    }
    if (fmt <= 2) {
      cs->extended = read_u24 (data + pos + bh) == 0xFFFFFF;
      if (cs->extended) {
        if (size - pos < hl + 4)
          break;
        cs->ext_value = GST_READ_UINT32_BE (data + pos + hl);
        hl += 4;
      }
    } else if (cs->extended && size - pos >= hl + 4
        && GST_READ_UINT32_BE (data + pos + hl) == cs->ext_value) {
      hl += 4;
    }
    if (cs->received == 0)
      cs->chunk = 0;
    n = MIN (chunk_size, cs->length - cs->received);
    if (size - pos - hl < n)
      break;
    chunks = cs->length == 0 ? 1 : (cs->length - 1) / chunk_size + 1;
    if (cs->chunk < edge || cs->chunk + edge >= chunks) {
      for (gsize at = pos; at <= pos + hl; at++)
        add_bound (bounds, at);
    }
    /* where the reader starts a new payload block (see reader_payload_blocks
     * in test-chunk.c): at 64 KiB into the message, then after blocks
     * twice as large as the one before */
    for (guint64 block = READER_FIRST_BLOCK, end = block; end < cs->length;
        block *= 2, end += block) {
      if (end > cs->received && end <= cs->received + n)
        add_bound (bounds, pos + hl + (end - cs->received));
    }
    if (cs->received < sizeof (cs->head))
      memcpy (cs->head + cs->received, data + pos + hl,
          MIN (n, sizeof (cs->head) - cs->received));
    cs->chunk++;
    cs->received += n;
    pos += hl + n;
    if (cs->received == cs->length) {
      /* message complete: Set Chunk Size applies from the next chunk on
       * (RTMP spec 5.4.1); Abort drops the message in progress (5.4.2) */
      add_bound (bounds, pos);
      if (cs->type == SET_CHUNK_SIZE && cs->length >= 4)
        chunk_size = GST_READ_UINT32_BE (cs->head) & 0x7FFFFFFF;
      if (cs->type == ABORT && cs->length >= 4) {
        ChunkStreamState *other = g_hash_table_lookup (streams,
            GUINT_TO_POINTER (GST_READ_UINT32_BE (cs->head)));
        if (other)
          other->received = 0;
      }
      cs->received = 0;
      if (chunk_size == 0)
        break;
    }
  }
  g_hash_table_unref (streams);
  return pos;
}
