/* Runs a fuzz target over every file in the directories (or files) given
 * on the command line, once each. Used when libFuzzer is not available so
 * the committed corpus, crash inputs included, is replayed by meson test.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);
/* optional in a target, as with libFuzzer */
int LLVMFuzzerInitialize (int *argc, char ***argv) __attribute__ ((weak));

static int
run_file (const gchar * path)
{
  gchar *contents = NULL;
  gsize len = 0;
  GError *err = NULL;

  if (!g_file_get_contents (path, &contents, &len, &err)) {
    fprintf (stderr, "cannot read %s: %s\n", path, err->message);
    g_error_free (err);
    return 1;
  }
  LLVMFuzzerTestOneInput ((const uint8_t *) contents, len);
  g_free (contents);
  return 0;
}

int
main (int argc, char **argv)
{
  guint n = 0;
  int failed = 0;

  if (LLVMFuzzerInitialize)
    LLVMFuzzerInitialize (&argc, &argv);

  for (int i = 1; i < argc; i++) {
    GDir *dir = g_dir_open (argv[i], 0, NULL);
    if (dir == NULL) {
      failed |= run_file (argv[i]);
      n++;
      continue;
    }
    for (const gchar * name; (name = g_dir_read_name (dir));) {
      gchar *path = g_build_filename (argv[i], name, NULL);
      failed |= run_file (path);
      g_free (path);
      n++;
    }
    g_dir_close (dir);
  }
  printf ("ran %u inputs\n", n);
  if (n == 0) {
    fprintf (stderr, "no corpus input found\n");
    return 1;
  }
  return failed;
}
