/* Fuzz target: a whole RTMP session over hostile input.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input layout:
 *  - first byte 0x03: the input is a client byte stream from its first
 *    handshake byte (a recorded .c2s.bin), fed to a server session whole;
 *  - otherwise the first byte is a control byte and the rest is what
 *    follows the handshake; a valid handshake is played first so the
 *    fuzzer spends its time on chunks and commands:
 *      0x80: feed in pieces of varying size instead of whole
 *      0x40: reject publish requests (BadName) instead of accepting them
 *      0x20: drive a client session (fed as if it were the server's
 *            bytes) instead of a server session
 * Every event is drained and every output buffer dropped after each feed;
 * everything is freed (LeakSanitizer must stay quiet).
 */
#include <gst/gst.h>
#include <stdint.h>
#include <string.h>

#include "rtmp-handshake.h"
#include "rtmp-session.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  gst_init (NULL, NULL);
  return 0;
}

static void
drain (RtmpSession * s, gboolean reject)
{
  RtmpSessionEvent ev;
  GstBufferList *out;

  while (rtmp_session_next_event (s, &ev)) {
    if (ev.type == RTMP_SESSION_EVENT_PUBLISH_REQUEST) {
      if (reject)
        rtmp_session_reject_publish (s, "NetStream.Publish.BadName",
            "Already publishing");
      else
        rtmp_session_accept_publish (s);
    }
    rtmp_session_event_clear (&ev);
  }
  out = rtmp_session_take_output (s);
  if (out)
    gst_buffer_list_unref (out);
}

/* Feeds everything (or until the session fails) */
static gboolean
feed_all (RtmpSession * s, const guint8 * data, gsize size, gboolean reject)
{
  gsize off = 0;

  while (off < size) {
    gsize consumed = 0;
    GError *err = NULL;

    if (!rtmp_session_feed (s, data + off, size - off, &consumed, &err)) {
      g_error_free (err);
      drain (s, reject);
      return FALSE;
    }
    off += consumed;
    drain (s, reject);
    /* the drain answered any publish request: never stuck */
    if (rtmp_session_is_blocked (s))
      abort ();
  }
  return TRUE;
}

static gboolean
feed_pieces (RtmpSession * s, const guint8 * data, gsize size,
    gboolean pieces, gboolean reject)
{
  static const gsize sizes[] = { 1, 13, 200, 4096, 2, 777 };
  gsize off = 0;
  guint i = 0;

  if (!pieces)
    return feed_all (s, data, size, reject);
  while (off < size) {
    gsize want = sizes[i++ % G_N_ELEMENTS (sizes)];
    gsize n = MIN (size - off, want);

    if (!feed_all (s, data + off, n, reject))
      return FALSE;
    off += n;
  }
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  RtmpSession *s;
  guint8 ctl;

  if (!gst_is_initialized ())   /* the standalone runner skips Initialize */
    gst_init (NULL, NULL);
  if (size == 0)
    return 0;
  ctl = data[0];

  if (ctl == RTMP_HANDSHAKE_VERSION) {
    s = rtmp_session_new_server (NULL, NULL);
    feed_all (s, data, size, FALSE);
    rtmp_session_free (s);
    return 0;
  }

  if (ctl & 0x20) {
    /* client: handshake against a plain server (S0 + S1 + S2 of zeros) */
    RtmpClientConfig cfg;
    guint8 *hs = g_malloc0 (RTMP_HANDSHAKE_TOTAL_SIZE);

    rtmp_client_config_init (&cfg);
    cfg.app = "live";
    cfg.tc_url = "rtmp://127.0.0.1/live";
    cfg.stream = "key";
    s = rtmp_session_new_client (NULL, &cfg);
    rtmp_session_client_start (s);
    hs[0] = RTMP_HANDSHAKE_VERSION;
    if (feed_all (s, hs, RTMP_HANDSHAKE_TOTAL_SIZE, FALSE))
      feed_pieces (s, data + 1, size - 1, ctl & 0x80, FALSE);
    g_free (hs);
    rtmp_session_free (s);
    return 0;
  }

  {
    /* server: a plain C0 + C1 + C2 of zeros */
    guint8 *hs = g_malloc0 (RTMP_HANDSHAKE_TOTAL_SIZE);

    hs[0] = RTMP_HANDSHAKE_VERSION;
    s = rtmp_session_new_server (NULL, NULL);
    if (feed_all (s, hs, RTMP_HANDSHAKE_TOTAL_SIZE, ctl & 0x40))
      feed_pieces (s, data + 1, size - 1, ctl & 0x80, ctl & 0x40);
    g_free (hs);
    rtmp_session_free (s);
  }
  return 0;
}
