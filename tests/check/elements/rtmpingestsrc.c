/* Element tests of rtmpingestsrc with GstHarness: the recorded client
 * bytes of each capture are written into the element's socket and its FLV
 * output is checked tag by tag against <capture>.tags.tsv.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <gio/gio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/base/gstbasesrc.h>

#include "../core/test-util.h"

static GstHarness *
start_harness (const gchar * props)
{
  GstHarness *h = gst_harness_new ("rtmpingestsrc");

  g_object_set (h->element, "address", "127.0.0.1", "port", 0, NULL);
  if (props)
    gst_util_set_object_arg (G_OBJECT (h->element), "latency", props);
  gst_harness_play (h);
  return h;
}

static gint
harness_port (GstHarness * h)
{
  gint port = 0;

  g_object_get (h->element, "current-port", &port, NULL);
  return port;
}

static GSocketConnection *
connect_to_host (const gchar * host, gint port)
{
  GSocketClient *client = g_socket_client_new ();
  GError *err = NULL;
  GSocketConnection *conn;

  /* no proxy lookup (libproxy): a plain loopback connection */
  g_socket_client_set_enable_proxy (client, FALSE);
  conn = g_socket_client_connect_to_host (client, host, port, NULL, &err);
  g_assert_no_error (err);
  g_object_unref (client);
  return conn;
}

static GSocketConnection *
connect_to (gint port)
{
  return connect_to_host ("127.0.0.1", port);
}

static void
send_bytes (GSocketConnection * conn, const guint8 * data, gsize size)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  GError *err = NULL;

  g_output_stream_write_all (out, data, size, NULL, NULL, &err);
  g_assert_no_error (err);
}

static guint32
tag_timestamp (const guint8 * t)
{
  return ((guint32) t[7] << 24) | ((guint32) t[4] << 16) |
      ((guint32) t[5] << 8) | t[6];
}

/* Writes <capture>.c2s.bin at once, half-closes, and checks every output
 * buffer: the FLV header, then one tag per buffer equal to the TSV (type,
 * timestamp rebased to the first tag, size, body md5), then EOS. */
static void
check_replay (const gchar * capture)
{
  gchar *name = g_strdup_printf ("%s.c2s.bin", capture);
  gchar *tsv_name = g_strdup_printf ("%s.tags.tsv", capture);
  GBytes *c2s = test_util_load_fixture (name);
  GPtrArray *tags = test_util_load_tsv (tsv_name);
  GstHarness *h = start_harness (NULL);
  GSocketConnection *conn;
  GstBuffer *buf = NULL;
  GstMapInfo map;
  guint i, first_ts;
  GstCaps *caps;

  fail_unless (harness_port (h) > 0);
  conn = connect_to (harness_port (h));
  send_bytes (conn, g_bytes_get_data (c2s, NULL), g_bytes_get_size (c2s));
  g_socket_shutdown (g_socket_connection_get_socket (conn), FALSE, TRUE,
      NULL);

  /* the FLV header, flagged as a header */
  fail_unless (gst_harness_pull_until_eos (h, &buf));
  fail_unless (buf != NULL);
  fail_unless (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_HEADER));
  gst_buffer_map (buf, &map, GST_MAP_READ);
  fail_unless_equals_int (map.size, 13);
  fail_unless (memcmp (map.data, "FLV\x01", 4) == 0);
  fail_unless_equals_int (map.data[4], 0x05);   /* audio + video */
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);

  first_ts = g_ascii_strtoull (((gchar **) tags->pdata[0])[2], NULL, 10);
  for (i = 0; i < tags->len; i++) {
    gchar **row = tags->pdata[i];
    guint type = atoi (row[1]);
    guint32 ts = g_ascii_strtoull (row[2], NULL, 10);
    guint size = atoi (row[3]);
    gchar *md5;

    buf = NULL;
    fail_unless (gst_harness_pull_until_eos (h, &buf));
    fail_unless (buf != NULL, "%s: EOS after %u of %u tags", capture, i,
        tags->len);
    gst_buffer_map (buf, &map, GST_MAP_READ);
    fail_unless_equals_int (map.size, 11 + size + 4);
    fail_unless_equals_int (map.data[0], type);
    fail_unless_equals_int (tag_timestamp (map.data), ts - first_ts);
    md5 = test_util_md5 (map.data + 11, size);
    fail_unless_equals_string (md5, row[5]);
    g_free (md5);
    /* PreviousTagSize */
    fail_unless_equals_int (GST_READ_UINT32_BE (map.data + 11 + size),
        11 + size);
    gst_buffer_unmap (buf, &map);
    fail_unless_equals_uint64 (GST_BUFFER_DTS (buf),
        (guint64) (ts - first_ts) * GST_MSECOND);
    gst_buffer_unref (buf);
  }
  buf = NULL;
  fail_unless (gst_harness_pull_until_eos (h, &buf));
  fail_unless (buf == NULL, "%s: more tags than expected", capture);

  /* caps carry the stream headers: FLV header, onMetaData, AVC, AAC */
  caps = gst_pad_get_current_caps (h->sinkpad);
  fail_unless (caps != NULL);
  {
    const GValue *sh = gst_structure_get_value (gst_caps_get_structure (caps,
            0), "streamheader");
    fail_unless (sh != NULL && GST_VALUE_HOLDS_ARRAY (sh));
    fail_unless (gst_value_array_get_size (sh) >= 3);
  }
  gst_caps_unref (caps);

  g_object_unref (conn);
  gst_harness_teardown (h);
  g_ptr_array_unref (tags);
  g_bytes_unref (c2s);
  g_free (tsv_name);
  g_free (name);
}

GST_START_TEST (test_defaults)
{
  GstElement *e = gst_element_factory_make ("rtmpingestsrc", NULL);
  guint port, chunk;
  gint current;
  gchar *address;
  GstStructure *stats;
  gboolean live;

  fail_unless (e != NULL);
  g_object_get (e, "port", &port, "current-port", &current, "address",
      &address, "chunk-size", &chunk, "stats", &stats, NULL);
  live = gst_base_src_is_live (GST_BASE_SRC (e));
  fail_unless_equals_int (port, 1935);
  fail_unless_equals_int (current, 0);
  fail_unless (address == NULL);
  fail_unless_equals_int (chunk, 4096);
  fail_unless (live);
  fail_unless (stats != NULL);
  fail_unless (gst_structure_has_field (stats, "bytes-in"));
  gst_structure_free (stats);
  gst_object_unref (e);
}

GST_END_TEST;

GST_START_TEST (test_listen_in_start)
{
  GstElement *e = gst_element_factory_make ("rtmpingestsrc", NULL);
  gint current;
  GSocketConnection *conn;

  g_object_set (e, "port", 0, "address", "127.0.0.1", NULL);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_NO_PREROLL);
  g_object_get (e, "current-port", &current, NULL);
  fail_unless (current > 0);
  /* listening already in PAUSED: a client can connect */
  conn = connect_to (current);
  g_object_unref (conn);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  g_object_get (e, "current-port", &current, NULL);
  fail_unless_equals_int (current, 0);
  gst_object_unref (e);
}

GST_END_TEST;

/* a port held by someone else (here a plain socket) fails the start */
GST_START_TEST (test_port_in_use)
{
  GstElement *b = gst_element_factory_make ("rtmpingestsrc", NULL);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *sa = g_inet_socket_address_new (lo, 0), *bound;
  GSocket *sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  guint port;

  fail_unless (g_socket_bind (sock, sa, TRUE, NULL));
  fail_unless (g_socket_listen (sock, NULL));
  bound = g_socket_get_local_address (sock, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_set (b, "port", port, "address", "127.0.0.1", NULL);
  fail_unless_equals_int (gst_element_set_state (b, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (b, GST_STATE_NULL);
  gst_object_unref (b);
  g_object_unref (bound);
  g_object_unref (sa);
  g_object_unref (lo);
  g_socket_close (sock, NULL);
  g_object_unref (sock);
}

GST_END_TEST;

/* elements of one process on one address/port share the listener; the
 * last to stop closes it */
GST_START_TEST (test_port_shared)
{
  GstElement *a = gst_element_factory_make ("rtmpingestsrc", NULL);
  GstElement *b = gst_element_factory_make ("rtmpingestsrc", NULL);
  GSocketConnection *conn;
  gint port, port_b;

  g_object_set (a, "port", 0, "address", "127.0.0.1", "stream-key", "ka",
      NULL);
  fail_unless (gst_element_set_state (a, GST_STATE_PAUSED) !=
      GST_STATE_CHANGE_FAILURE);
  g_object_get (a, "current-port", &port, NULL);
  g_object_set (b, "port", port, "address", "127.0.0.1", "stream-key", "kb",
      NULL);
  fail_unless (gst_element_set_state (b, GST_STATE_PAUSED) !=
      GST_STATE_CHANGE_FAILURE);
  g_object_get (b, "current-port", &port_b, NULL);
  fail_unless_equals_int (port_b, port);
  /* the first to stop does not close the port */
  gst_element_set_state (a, GST_STATE_NULL);
  conn = connect_to (port);
  g_object_unref (conn);
  gst_element_set_state (b, GST_STATE_NULL);
  gst_object_unref (a);
  gst_object_unref (b);
}

GST_END_TEST;

GST_START_TEST (test_latency_query)
{
  GstHarness *h = start_harness ("300");
  GstQuery *q = gst_query_new_latency ();
  gboolean live;
  GstClockTime min, max;

  fail_unless (gst_pad_peer_query (h->sinkpad, q));
  gst_query_parse_latency (q, &live, &min, &max);
  fail_unless (live);
  fail_unless_equals_uint64 (min, 300 * GST_MSECOND);
  gst_query_unref (q);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_replay_ffmpeg)
{
  check_replay ("ffmpeg");
}

GST_END_TEST;

GST_START_TEST (test_replay_ffmpeg_chunk1000)
{
  check_replay ("ffmpeg_chunk1000");
}

GST_END_TEST;

GST_START_TEST (test_replay_ffmpeg_extts)
{
  check_replay ("ffmpeg_extts");
}

GST_END_TEST;

GST_START_TEST (test_replay_librtmp)
{
  check_replay ("librtmp");
}

GST_END_TEST;

GST_START_TEST (test_replay_nginxpush)
{
  check_replay ("nginxpush");
}

GST_END_TEST;

/* NULL while a client is mid-handshake or mid-message: quick, no leak */
GST_START_TEST (test_stop_mid_stream)
{
  GBytes *c2s = test_util_load_fixture ("ffmpeg.c2s.bin");
  const gsize cuts[] = { 1, 1000, 3073, 3073 + 200, 20000 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cuts); i++) {
    GstHarness *h = start_harness (NULL);
    GSocketConnection *conn = connect_to (harness_port (h));

    send_bytes (conn, g_bytes_get_data (c2s, NULL), cuts[i]);
    g_usleep (50 * 1000);
    gst_harness_teardown (h);
    g_object_unref (conn);
  }
  g_bytes_unref (c2s);
}

GST_END_TEST;

/* A peer that is not RTMP is dropped; the element then serves a real
 * publisher. */
GST_START_TEST (test_bad_peer_then_publisher)
{
  GstHarness *h = start_harness (NULL);
  GBytes *c2s = test_util_load_fixture ("ffmpeg.c2s.bin");
  GSocketConnection *bad, *good;
  GstStructure *stats;
  GstBuffer *buf = NULL;
  guint64 dropped = 0;
  guint n = 0;
  gint tries;

  bad = connect_to (harness_port (h));
  send_bytes (bad, (const guint8 *) "GET / HTTP/1.1\r\n\r\n", 18);
  for (tries = 0; tries < 100 && dropped == 0; tries++) {
    g_usleep (20 * 1000);
    g_object_get (h->element, "stats", &stats, NULL);
    gst_structure_get_uint64 (stats, "dropped-peers", &dropped);
    gst_structure_free (stats);
  }
  fail_unless_equals_uint64 (dropped, 1);

  good = connect_to (harness_port (h));
  send_bytes (good, g_bytes_get_data (c2s, NULL), g_bytes_get_size (c2s));
  g_socket_shutdown (g_socket_connection_get_socket (good), FALSE, TRUE,
      NULL);
  while (gst_harness_pull_until_eos (h, &buf) && buf) {
    n++;
    gst_buffer_unref (buf);
    buf = NULL;
  }
  /* header + the 176 tags of the ffmpeg capture */
  fail_unless_equals_int (n, 1 + 176);

  g_object_unref (bad);
  g_object_unref (good);
  g_bytes_unref (c2s);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Pulls every buffer up to EOS; their number. */
static guint
pull_until_eos_count (GstHarness * h)
{
  GstBuffer *buf = NULL;
  guint n = 0;

  while (gst_harness_pull_until_eos (h, &buf) && buf) {
    n++;
    gst_buffer_unref (buf);
    buf = NULL;
  }
  return n;
}

/* The value of a guint64 field of the element's stats. */
static guint64
stats_uint64 (GstHarness * h, const gchar * field)
{
  GstStructure *stats;
  guint64 v = 0;

  g_object_get (h->element, "stats", &stats, NULL);
  gst_structure_get_uint64 (stats, field, &v);
  gst_structure_free (stats);
  return v;
}

static GstPadProbeReturn
block_buffers (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  return GST_PAD_PROBE_OK;
}

/* An EOS event sent to the element (gst-launch-1.0 -e on Ctrl-C) while
 * tags are still queued: every tag received before it is output, then
 * EOS. Downstream is held with a blocking probe until the whole publish
 * is queued in the element (stay-alive: the unpublish does not end it). */
GST_START_TEST (test_eos_event_drains)
{
  GBytes *c2s = test_util_load_fixture ("ffmpeg.c2s.bin");
  GstHarness *h = gst_harness_new ("rtmpingestsrc");
  GSocketConnection *conn;
  GstStructure *stats;
  GstPad *srcpad;
  gboolean publishing = TRUE;
  guint64 publishers = 0;
  gulong probe;
  gint tries;

  g_object_set (h->element, "address", "127.0.0.1", "port", 0, NULL);
  gst_util_set_object_arg (G_OBJECT (h->element), "on-unpublish",
      "stay-alive");
  srcpad = gst_element_get_static_pad (h->element, "src");
  probe = gst_pad_add_probe (srcpad, GST_PAD_PROBE_TYPE_BLOCK |
      GST_PAD_PROBE_TYPE_BUFFER, block_buffers, NULL, NULL);
  gst_harness_play (h);

  conn = connect_to (harness_port (h));
  send_bytes (conn, g_bytes_get_data (c2s, NULL), g_bytes_get_size (c2s));
  g_socket_shutdown (g_socket_connection_get_socket (conn), FALSE, TRUE,
      NULL);
  /* the publisher is gone once all it sent is queued */
  for (tries = 0; tries < 500 && (publishers == 0 || publishing); tries++) {
    g_usleep (10 * 1000);
    g_object_get (h->element, "stats", &stats, NULL);
    gst_structure_get_uint64 (stats, "publishers", &publishers);
    gst_structure_get_boolean (stats, "publishing", &publishing);
    gst_structure_free (stats);
  }
  fail_unless_equals_uint64 (publishers, 1);
  fail_if (publishing);

  fail_unless (gst_element_send_event (h->element, gst_event_new_eos ()));
  gst_pad_remove_probe (srcpad, probe);
  gst_object_unref (srcpad);

  /* header + the 176 tags of the ffmpeg capture, then EOS */
  fail_unless_equals_int (pull_until_eos_count (h), 1 + 176);

  g_object_unref (conn);
  g_bytes_unref (c2s);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The publisher's socket is read by the streaming thread: while downstream
 * holds that thread for longer than idle-timeout, what the publisher sends
 * waits in the socket. That is our stall, not the peer's silence: the
 * publisher is not dropped and everything comes out once downstream
 * flows again. */
GST_START_TEST (test_downstream_stall_not_idle)
{
  GBytes *c2s = test_util_load_fixture ("ffmpeg.c2s.bin");
  const guint8 *data = g_bytes_get_data (c2s, NULL);
  gsize size = g_bytes_get_size (c2s), half = size / 2;
  GstHarness *h = gst_harness_new ("rtmpingestsrc");
  GSocketConnection *conn;
  GstPad *srcpad;
  guint64 publishers = 0;
  gulong probe;
  gint tries;

  g_object_set (h->element, "address", "127.0.0.1", "port", 0,
      "idle-timeout", 1000, NULL);
  srcpad = gst_element_get_static_pad (h->element, "src");
  probe = gst_pad_add_probe (srcpad, GST_PAD_PROBE_TYPE_BLOCK |
      GST_PAD_PROBE_TYPE_BUFFER, block_buffers, NULL, NULL);
  gst_harness_play (h);

  conn = connect_to (harness_port (h));
  /* handshake, publish and the first half of the media */
  send_bytes (conn, data, half);
  for (tries = 0; tries < 500 && publishers == 0; tries++) {
    g_usleep (10 * 1000);
    publishers = stats_uint64 (h, "publishers");
  }
  fail_unless_equals_uint64 (publishers, 1);
  /* the rest while the streaming thread is blocked, then 2.5 idle-timeouts
   * of downstream stall */
  g_usleep (200 * 1000);
  send_bytes (conn, data + half, size - half);
  g_usleep (2500 * 1000);
  gst_pad_remove_probe (srcpad, probe);
  gst_object_unref (srcpad);

  /* header + the 176 tags of the ffmpeg capture (its deleteStream ends
   * the stream), then EOS */
  fail_unless_equals_int (pull_until_eos_count (h), 1 + 176);
  fail_unless_equals_uint64 (stats_uint64 (h, "dropped-peers"), 0);

  g_object_unref (conn);
  g_bytes_unref (c2s);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* on-unpublish=eos: a publisher that leaves after its publish command,
 * before any audio or video, does not end the stream (an empty stream
 * would make flvdemux fail); the next publisher is served and its end is
 * the end of stream. */
GST_START_TEST (test_publisher_without_media_not_eos)
{
  GBytes *c2s = test_util_load_fixture ("ffmpeg.c2s.bin");
  const guint8 *data = g_bytes_get_data (c2s, NULL);
  /* ffmpeg.messages.tsv: the publish command ends at 3396, where the
   * first data message (onMetaData) starts */
  const gsize publish_end = 3396;
  GstHarness *h = start_harness (NULL);
  GSocketConnection *conn;
  gint tries;

  conn = connect_to (harness_port (h));
  send_bytes (conn, data, publish_end);
  for (tries = 0; tries < 500 && stats_uint64 (h, "publishers") == 0;
      tries++)
    g_usleep (10 * 1000);
  fail_unless_equals_uint64 (stats_uint64 (h, "publishers"), 1);
  g_object_unref (conn);

  /* the next publisher: refused while the end of the first one is on its
   * way through the queue, then served */
  for (tries = 0; tries < 50 && stats_uint64 (h, "publishers") < 2; tries++) {
    guint64 refused = stats_uint64 (h, "refused");
    gint wait;

    conn = connect_to (harness_port (h));
    send_bytes (conn, data, g_bytes_get_size (c2s));
    g_socket_shutdown (g_socket_connection_get_socket (conn), FALSE, TRUE,
        NULL);
    for (wait = 0; wait < 500 && stats_uint64 (h, "publishers") < 2 &&
        stats_uint64 (h, "refused") == refused; wait++)
      g_usleep (10 * 1000);
    if (stats_uint64 (h, "publishers") < 2) {
      g_object_unref (conn);
      conn = NULL;
      g_usleep (100 * 1000);
    }
  }
  fail_unless_equals_uint64 (stats_uint64 (h, "publishers"), 2);

  /* header + the 176 tags of the second publisher, then EOS */
  fail_unless_equals_int (pull_until_eos_count (h), 1 + 176);

  g_clear_object (&conn);
  g_bytes_unref (c2s);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* An EOS event before any publisher: EOS at once, no FLV header. */
GST_START_TEST (test_eos_event_idle)
{
  GstHarness *h = start_harness (NULL);
  GstBuffer *buf = NULL;

  fail_unless (gst_element_send_event (h->element, gst_event_new_eos ()));
  fail_unless (gst_harness_pull_until_eos (h, &buf));
  fail_unless (buf == NULL);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The default address listens on IPv6 and IPv4; "::1" on IPv6 only. */
GST_START_TEST (test_ipv6)
{
  GBytes *c2s = test_util_load_fixture ("ffmpeg.c2s.bin");
  const gchar *hosts[] = { "::1", "127.0.0.1" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (hosts); i++) {
    GstHarness *h = gst_harness_new ("rtmpingestsrc");
    GSocketConnection *conn;
    GstBuffer *buf = NULL;
    gint port;
    guint n = 0;

    /* first "::1", then the default (all addresses) reached over IPv4 */
    g_object_set (h->element, "address", i == 0 ? "::1" : NULL, "port", 0,
        NULL);
    gst_harness_play (h);
    g_object_get (h->element, "current-port", &port, NULL);
    fail_unless (port > 0);
    conn = connect_to_host (hosts[i], port);
    send_bytes (conn, g_bytes_get_data (c2s, NULL), g_bytes_get_size (c2s));
    g_socket_shutdown (g_socket_connection_get_socket (conn), FALSE, TRUE,
        NULL);
    while (gst_harness_pull_until_eos (h, &buf) && buf) {
      n++;
      gst_buffer_unref (buf);
      buf = NULL;
    }
    /* header + every tag of ffmpeg.tags.tsv */
    fail_unless_equals_int (n, 1 + 176);
    g_object_unref (conn);
    gst_harness_teardown (h);
  }
  g_bytes_unref (c2s);
}

GST_END_TEST;

static Suite *
rtmpingestsrc_suite (void)
{
  Suite *s = suite_create ("rtmpingestsrc");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_defaults);
  tcase_add_test (tc, test_listen_in_start);
  tcase_add_test (tc, test_port_in_use);
  tcase_add_test (tc, test_port_shared);
  tcase_add_test (tc, test_latency_query);
  tcase_add_test (tc, test_replay_ffmpeg);
  tcase_add_test (tc, test_replay_ffmpeg_chunk1000);
  tcase_add_test (tc, test_replay_ffmpeg_extts);
  tcase_add_test (tc, test_replay_librtmp);
  tcase_add_test (tc, test_replay_nginxpush);
  tcase_add_test (tc, test_stop_mid_stream);
  tcase_add_test (tc, test_bad_peer_then_publisher);
  tcase_add_test (tc, test_ipv6);
  tcase_add_test (tc, test_eos_event_drains);
  tcase_add_test (tc, test_eos_event_idle);
  tcase_add_test (tc, test_downstream_stall_not_idle);
  tcase_add_test (tc, test_publisher_without_media_not_eos);
  return s;
}

GST_CHECK_MAIN (rtmpingestsrc);
