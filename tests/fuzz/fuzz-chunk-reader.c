/* Fuzz target: chunk stream reader (and writer, as a round trip).
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input: one config byte, then chunk stream bytes (as after the
 * handshake). Config bits 0-1: how the bytes are fed (0/3 whole, 1 one
 * byte at a time, 2 in pieces of ((cfg >> 2) + 1) bytes); bits 2-3 also
 * pick the chunk size used to write the messages back.
 *
 * Every message read (except Set Chunk Size and Abort, which change the
 * reader) is written again with our writer and read back by a second
 * reader; any difference aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gst/gst.h>

#include "rtmp-chunk-reader.h"
#include "rtmp-chunk-writer.h"
#include "rtmp-control.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static gboolean initialized;

/* GLib's library constructor allocates the first quark block, which
 * g_quark_new() abandons (on purpose, for lock-free readers) once
 * gst_init() has registered more quarks than it holds: LeakSanitizer
 * reports it at exit, and it is not ours. With full stacks it is matched
 * by the suppression; the fuzzing loop unwinds malloc stacks too shallowly
 * for that, so the at-exit check is off. libFuzzer's own per-input leak
 * detection (-detect_leaks=1, the default) still finds every leak an
 * input causes. */
const char *__lsan_default_suppressions (void);
const char *__lsan_default_options (void);

__attribute__ ((used)) const char *
__lsan_default_suppressions (void)
{
  return "leak:_dl_init\n";
}

__attribute__ ((used)) const char *
__lsan_default_options (void)
{
  return "leak_check_at_exit=0";
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  gst_init (NULL, NULL);
  initialized = TRUE;
  return 0;
}

/* Feeds @data in pieces of @step bytes; appends messages to @out (if
 * not NULL, else drops them). Returns FALSE on a reader error. */
static gboolean
feed (RtmpChunkReader * reader, const guint8 * data, gsize size, gsize step,
    GArray * out)
{
  gsize off = 0;

  while (off < size) {
    gsize piece = MIN (step, size - off), poff = 0;

    for (;;) {
      RtmpMessage msg = { 0 };
      GError *err = NULL;
      gsize consumed = 0;
      RtmpReadResult r = rtmp_chunk_reader_feed (reader, data + off + poff,
          piece - poff, &consumed, &msg, &err);

      if (consumed > piece - poff)
        abort ();
      poff += consumed;
      if (r == RTMP_READ_ERROR) {
        if (err == NULL || msg.payload != NULL)
          abort ();
        g_error_free (err);
        return FALSE;
      }
      if (r == RTMP_READ_NEED_MORE) {
        if (poff != piece || msg.payload != NULL)
          abort ();
        break;
      }
      if (msg.payload == NULL)
        abort ();
      if (rtmp_message_type_is_protocol_control (msg.type)
          || msg.type == RTMP_MESSAGE_USER_CONTROL) {
        RtmpControl ctrl;

        if (rtmp_control_parse (&msg, &ctrl, &err)) {
          RtmpMessage again = { 0 };

          rtmp_control_build (&ctrl, &again);
          rtmp_message_clear (&again);
        } else {
          g_error_free (err);
        }
      }
      if (out)
        g_array_append_val (out, msg);
      else
        rtmp_message_clear (&msg);
    }
    off += piece;
  }
  return TRUE;
}

static gboolean
same_payload (GstBuffer * a, GstBuffer * b)
{
  GstMapInfo ma, mb;
  gboolean same;

  if (gst_buffer_get_size (a) != gst_buffer_get_size (b))
    return FALSE;
  if (gst_buffer_get_size (a) == 0)
    return TRUE;
  gst_buffer_map (a, &ma, GST_MAP_READ);
  gst_buffer_map (b, &mb, GST_MAP_READ);
  same = memcmp (ma.data, mb.data, ma.size) == 0;
  gst_buffer_unmap (a, &ma);
  gst_buffer_unmap (b, &mb);
  return same;
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static const guint32 write_sizes[] = { 128, 1, 60, 4096 };
  RtmpLimits limits;
  RtmpChunkReader *reader, *reader2;
  RtmpChunkWriter *writer;
  GArray *msgs, *again;
  GByteArray *bytes;
  guint8 cfg;
  gsize step;
  guint32 wsize;

  if (!initialized)
    LLVMFuzzerInitialize (NULL, NULL);
  if (size < 1)
    return 0;
  cfg = data[0];
  data++;
  size--;
  switch (cfg & 3) {
    case 1:
      step = 1;
      break;
    case 2:
      step = (cfg >> 2) + 1;
      break;
    default:
      step = G_MAXSIZE;
      break;
  }
  wsize = write_sizes[(cfg >> 2) & 3];

  rtmp_limits_init (&limits);
  msgs = g_array_new (FALSE, TRUE, sizeof (RtmpMessage));
  g_array_set_clear_func (msgs, (GDestroyNotify) rtmp_message_clear);
  reader = rtmp_chunk_reader_new (&limits);
  feed (reader, data, size, step, msgs);
  if (rtmp_chunk_reader_get_bytes_read (reader) > size)
    abort ();
  rtmp_chunk_reader_free (reader);

  /* write back what was read, read it again */
  writer = rtmp_chunk_writer_new ();
  rtmp_chunk_writer_set_chunk_size (writer, wsize);
  bytes = g_byte_array_new ();
  for (guint i = 0; i < msgs->len; i++) {
    RtmpMessage *m = &g_array_index (msgs, RtmpMessage, i);
    GstBuffer *out;
    GstMapInfo map;

    if (m->type == RTMP_MESSAGE_SET_CHUNK_SIZE
        || m->type == RTMP_MESSAGE_ABORT)
      continue;
    out = gst_buffer_new ();
    rtmp_chunk_writer_write (writer, m, out);
    gst_buffer_map (out, &map, GST_MAP_READ);
    g_byte_array_append (bytes, map.data, map.size);
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
  }
  rtmp_chunk_writer_free (writer);

  again = g_array_new (FALSE, TRUE, sizeof (RtmpMessage));
  g_array_set_clear_func (again, (GDestroyNotify) rtmp_message_clear);
  reader2 = rtmp_chunk_reader_new (&limits);
  rtmp_chunk_reader_set_chunk_size (reader2, wsize);
  if (!feed (reader2, bytes->data, bytes->len, G_MAXSIZE, again))
    abort ();
  {
    guint j = 0;

    for (guint i = 0; i < msgs->len; i++) {
      RtmpMessage *a = &g_array_index (msgs, RtmpMessage, i), *b;

      if (a->type == RTMP_MESSAGE_SET_CHUNK_SIZE
          || a->type == RTMP_MESSAGE_ABORT)
        continue;
      if (j >= again->len)
        abort ();
      b = &g_array_index (again, RtmpMessage, j++);
      if (a->type != b->type || a->csid != b->csid || a->msid != b->msid
          || a->timestamp != b->timestamp
          || !same_payload (a->payload, b->payload))
        abort ();
    }
    if (j != again->len)
      abort ();
  }
  rtmp_chunk_reader_free (reader2);
  g_array_unref (again);
  g_byte_array_unref (bytes);
  g_array_unref (msgs);
  return 0;
}
