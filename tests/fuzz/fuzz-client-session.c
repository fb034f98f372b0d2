/* Fuzz target: a whole client (publisher) RTMP session against a hostile
 * server.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input layout: the server's byte stream from its first handshake byte
 * (S0, a recorded .s2c.bin), optionally preceded by one control byte:
 *  - first byte 0x03 (S0): no control byte; fed whole, no credentials;
 *  - otherwise the first byte is a control byte and the rest is the
 *    server's stream from S0:
 *      0x80: feed in pieces of varying size instead of whole
 *      0x40: once publishing, send media (audio, video, data) after each
 *            feed, so the chunk writer and the acknowledgement window run
 *      0x20: set credentials (Adobe authentication): a challenge in the
 *            stream drives the authentication code
 *      0x10: unpublish once everything was fed
 *      0x08: plain (non-digest) C1
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

#define CTL_PIECES 0x80
#define CTL_MEDIA 0x40
#define CTL_AUTH 0x20
#define CTL_UNPUBLISH 0x10
#define CTL_PLAIN 0x08

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  gst_init (NULL, NULL);
  return 0;
}

typedef struct
{
  RtmpSession *s;
  guint8 ctl;
  gboolean publishing;
  guint32 ts;
} Client;

static void
send_media (Client * c)
{
  /* an AAC raw frame, an AVC inter frame and a small data message */
  static const guint8 audio[] = { 0xaf, 0x01, 0x21, 0x10, 0x04, 0x60 };
  static const guint8 video[] = { 0x27, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x02, 0x09, 0x10
  };
  static const guint8 data[] = { 0x02, 0x00, 0x04, 'n', 'o', 'n', 'e', 0x05 };
  static const struct
  {
    RtmpMessageType type;
    const guint8 *bytes;
    gsize size;
  } msgs[] = {
    {RTMP_MESSAGE_AUDIO, audio, sizeof (audio)},
    {RTMP_MESSAGE_VIDEO, video, sizeof (video)},
    {RTMP_MESSAGE_DATA_AMF0, data, sizeof (data)},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (msgs); i++) {
    RtmpMessage msg;
    GError *err = NULL;

    memset (&msg, 0, sizeof (msg));
    msg.type = msgs[i].type;
    msg.timestamp = c->ts;
    msg.payload = gst_buffer_new_wrapped_full (GST_MEMORY_FLAG_READONLY,
        (gpointer) msgs[i].bytes, msgs[i].size, 0, msgs[i].size, NULL, NULL);
    if (!rtmp_session_send_media (c->s, &msg, &err))
      g_clear_error (&err);
    gst_buffer_unref (msg.payload);
  }
  c->ts += 23;
}

static void
drain (Client * c)
{
  RtmpSessionEvent ev;
  GstBufferList *out;

  memset (&ev, 0, sizeof (ev));
  while (rtmp_session_next_event (c->s, &ev)) {
    if (ev.type == RTMP_SESSION_EVENT_PUBLISH_STARTED)
      c->publishing = TRUE;
    rtmp_session_event_clear (&ev);
    memset (&ev, 0, sizeof (ev));
  }
  if (c->publishing && (c->ctl & CTL_MEDIA))
    send_media (c);
  out = rtmp_session_take_output (c->s);
  if (out)
    gst_buffer_list_unref (out);
}

/* Feeds everything (or until the session fails) */
static gboolean
feed_all (Client * c, const guint8 * data, gsize size)
{
  gsize off = 0;

  while (off < size) {
    gsize consumed = 0;
    GError *err = NULL;

    if (!rtmp_session_feed (c->s, data + off, size - off, &consumed, &err)) {
      g_error_free (err);
      drain (c);
      return FALSE;
    }
    drain (c);
    /* a client never blocks on a decision: consuming nothing is a bug */
    if (consumed == 0)
      abort ();
    off += consumed;
  }
  return TRUE;
}

static void
feed_pieces (Client * c, const guint8 * data, gsize size)
{
  static const gsize sizes[] = { 1, 13, 200, 4096, 2, 777, 1537 };
  gsize off = 0;
  guint i = 0;

  if (!(c->ctl & CTL_PIECES)) {
    feed_all (c, data, size);
    return;
  }
  while (off < size) {
    gsize want = sizes[i++ % G_N_ELEMENTS (sizes)];
    gsize n = MIN (size - off, want);

    if (!feed_all (c, data + off, n))
      return;
    off += n;
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  RtmpClientConfig cfg;
  Client c;

  if (!gst_is_initialized ())   /* the standalone runner skips Initialize */
    gst_init (NULL, NULL);
  if (size == 0)
    return 0;

  memset (&c, 0, sizeof (c));
  if (data[0] != RTMP_HANDSHAKE_VERSION) {
    c.ctl = data[0];
    data++;
    size--;
  }

  rtmp_client_config_init (&cfg);
  cfg.app = "live";
  cfg.tc_url = "rtmp://127.0.0.1/live";
  cfg.stream = "key?token=1";
  cfg.digest_handshake = !(c.ctl & CTL_PLAIN);
  if (c.ctl & CTL_AUTH) {
    cfg.username = "user";
    cfg.password = "secret";
  }
  c.s = rtmp_session_new_client (NULL, &cfg);
  rtmp_session_client_start (c.s);
  drain (&c);
  feed_pieces (&c, data, size);
  if (c.ctl & CTL_UNPUBLISH) {
    rtmp_session_client_unpublish (c.s);
    drain (&c);
  }
  rtmp_session_free (c.s);
  return 0;
}
