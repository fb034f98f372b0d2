/* Unit tests: protocol control and user control messages.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "rtmp-control.h"
#include "rtmp-error.h"
#include "test-util.h"

static void
check_bytes (const RtmpMessage * msg, const gchar * hex)
{
  GBytes *b = test_util_hex (hex);

  fail_unless (msg->payload != NULL);
  fail_unless (test_util_buffer_equal (msg->payload, g_bytes_get_data (b,
              NULL), g_bytes_get_size (b)), "payload is not %s", hex);
  g_bytes_unref (b);
}

static void
check_control_header (const RtmpMessage * msg, guint8 type)
{
  fail_unless_equals_int (msg->type, type);
  fail_unless_equals_int (msg->csid, RTMP_CSID_CONTROL);
  fail_unless_equals_int (msg->msid, 0);
  fail_unless_equals_int (msg->timestamp, 0);
}

/* Parses @msg, then builds the parsed struct again: same bytes */
static RtmpControl
parse_and_rebuild (const RtmpMessage * msg, const gchar * hex)
{
  RtmpControl c;
  RtmpMessage again = { 0 };
  GError *err = NULL;

  fail_unless (rtmp_control_parse (msg, &c, &err), "%s",
      err ? err->message : "");
  fail_unless (err == NULL);
  fail_unless_equals_int (c.type, msg->type);
  rtmp_control_build (&c, &again);
  check_control_header (&again, msg->type);
  check_bytes (&again, hex);
  rtmp_message_clear (&again);
  return c;
}

GST_START_TEST (control_round_trip)
{
  RtmpMessage m = { 0 };
  RtmpControl c;

  rtmp_control_build_set_chunk_size (4096, &m);
  check_control_header (&m, RTMP_MESSAGE_SET_CHUNK_SIZE);
  check_bytes (&m, "00001000");
  c = parse_and_rebuild (&m, "00001000");
  fail_unless_equals_int (c.value, 4096);
  rtmp_message_clear (&m);

  rtmp_control_build_set_chunk_size (0x7FFFFFFF, &m);
  c = parse_and_rebuild (&m, "7fffffff");
  fail_unless_equals_int (c.value, 0x7FFFFFFF);
  rtmp_message_clear (&m);

  rtmp_control_build_abort (65599, &m);
  check_control_header (&m, RTMP_MESSAGE_ABORT);
  c = parse_and_rebuild (&m, "0001003f");
  fail_unless_equals_int (c.value, 65599);
  rtmp_message_clear (&m);

  rtmp_control_build_ack (0xFFFFFFFF, &m);
  check_control_header (&m, RTMP_MESSAGE_ACKNOWLEDGEMENT);
  c = parse_and_rebuild (&m, "ffffffff");
  fail_unless_equals_uint64 (c.value, 0xFFFFFFFF);
  rtmp_message_clear (&m);

  rtmp_control_build_window_ack_size (5000000, &m);
  check_control_header (&m, RTMP_MESSAGE_WINDOW_ACK_SIZE);
  c = parse_and_rebuild (&m, "004c4b40");
  fail_unless_equals_int (c.value, 5000000);
  rtmp_message_clear (&m);

  /* what nginx-rtmp sends: 5 000 000, dynamic */
  rtmp_control_build_set_peer_bandwidth (5000000,
      RTMP_PEER_BANDWIDTH_DYNAMIC, &m);
  check_control_header (&m, RTMP_MESSAGE_SET_PEER_BANDWIDTH);
  c = parse_and_rebuild (&m, "004c4b40 02");
  fail_unless_equals_int (c.value, 5000000);
  fail_unless_equals_int (c.limit_type, RTMP_PEER_BANDWIDTH_DYNAMIC);
  rtmp_message_clear (&m);
}

GST_END_TEST;

GST_START_TEST (control_user_events)
{
  static const struct
  {
    guint16 event;
    guint32 value;
    const gchar *hex;
  } events[] = {
    {RTMP_USER_STREAM_BEGIN, 1, "0000 00000001"},
    {RTMP_USER_STREAM_EOF, 1, "0001 00000001"},
    {RTMP_USER_STREAM_DRY, 2, "0002 00000002"},
    {RTMP_USER_STREAM_IS_RECORDED, 3, "0004 00000003"},
    {RTMP_USER_PING_REQUEST, 0x12345678, "0006 12345678"},
    {RTMP_USER_PING_RESPONSE, 0x12345678, "0007 12345678"},
    /* unknown events keep the first u32 (FMS BufferEmpty) */
    {31, 1, "001f 00000001"},
  };
  RtmpMessage m = { 0 };
  RtmpControl c;

  for (guint i = 0; i < G_N_ELEMENTS (events); i++) {
    rtmp_control_build_user (events[i].event, events[i].value, &m);
    check_control_header (&m, RTMP_MESSAGE_USER_CONTROL);
    check_bytes (&m, events[i].hex);
    c = parse_and_rebuild (&m, events[i].hex);
    fail_unless_equals_int (c.event, events[i].event);
    fail_unless_equals_uint64 (c.value, events[i].value);
    rtmp_message_clear (&m);
  }

  rtmp_control_build_set_buffer_length (1, 3000, &m);
  check_control_header (&m, RTMP_MESSAGE_USER_CONTROL);
  c = parse_and_rebuild (&m, "0003 00000001 00000bb8");
  fail_unless_equals_int (c.event, RTMP_USER_SET_BUFFER_LENGTH);
  fail_unless_equals_int (c.value, 1);
  fail_unless_equals_int (c.value2, 3000);
  rtmp_message_clear (&m);
}

GST_END_TEST;

/* Parses @hex as a message of @type: expects @code (or success if -1) */
static void
expect_parse (guint8 type, const gchar * hex, gint code)
{
  GBytes *b = test_util_hex (hex);
  RtmpMessage m = { 0 };
  RtmpControl c;
  GError *err = NULL;

  m.type = type;
  m.csid = 2;
  m.payload = g_bytes_get_size (b) == 0 ? gst_buffer_new () :
      gst_buffer_new_memdup (g_bytes_get_data (b, NULL), g_bytes_get_size (b));
  if (code < 0) {
    fail_unless (rtmp_control_parse (&m, &c, &err));
    fail_unless (err == NULL);
  } else {
    fail_unless (!rtmp_control_parse (&m, &c, &err));
    fail_unless (g_error_matches (err, RTMP_ERROR, code), "%s: got %s", hex,
        err ? err->message : "success");
    GST_INFO ("expected error: %s", err->message);
    g_clear_error (&err);
  }
  rtmp_message_clear (&m);
  g_bytes_unref (b);
}

GST_START_TEST (control_short)
{
  static const struct
  {
    guint8 type;
    const gchar *hex;           /* shortest valid payload */
  } valid[] = {
    {1, "00000080"}, {2, "00000004"}, {3, "00000000"}, {5, "00000001"},
    {6, "0000000100"}, {4, "0000 00000001"}, {4, "0001 00000001"},
    {4, "0002 00000001"}, {4, "0003 00000001 00000002"},
    {4, "0004 00000001"}, {4, "0006 00000001"}, {4, "0007 00000001"},
    {4, "001a"},
  };
  RtmpMessage m = { 0 };
  RtmpControl c;
  GError *err = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++) {
    gsize len = strlen (valid[i].hex);
    gchar *compact = g_new0 (gchar, len + 1);
    gsize n = 0;

    for (gsize k = 0; k < len; k++)
      if (valid[i].hex[k] != ' ')
        compact[n++] = valid[i].hex[k];
    expect_parse (valid[i].type, compact, -1);
    /* every proper prefix (in whole bytes) is too short */
    for (gsize cut = 0; cut + 2 <= n; cut += 2) {
      gchar *prefix;

      prefix = g_strndup (compact, cut);
      expect_parse (valid[i].type, prefix, RTMP_ERROR_PROTOCOL);
      g_free (prefix);
    }
    g_free (compact);
  }

  /* no payload at all */
  m.type = RTMP_MESSAGE_ACKNOWLEDGEMENT;
  fail_unless (!rtmp_control_parse (&m, &c, &err));
  fail_unless (g_error_matches (err, RTMP_ERROR, RTMP_ERROR_PROTOCOL));
  g_clear_error (&err);

  /* Set Chunk Size 0 and with the top bit */
  expect_parse (1, "00000000", RTMP_ERROR_PROTOCOL);
  expect_parse (1, "80000000", RTMP_ERROR_PROTOCOL);
  expect_parse (1, "80001000", RTMP_ERROR_PROTOCOL);
  /* not a control message */
  expect_parse (RTMP_MESSAGE_AUDIO, "00000000", RTMP_ERROR_PROTOCOL);
  expect_parse (RTMP_MESSAGE_COMMAND_AMF0, "00000000", RTMP_ERROR_PROTOCOL);
  /* longer payloads are fine (trailing bytes ignored) */
  expect_parse (5, "0000000100", -1);
}

GST_END_TEST;

/* Control messages of the captures parse (nginx, ffmpeg server) */
GST_START_TEST (control_fixture_values)
{
  /* nginx-rtmp: Window Ack Size 5000000, Set Peer Bandwidth 5000000
   * dynamic, Set Chunk Size 4096; ffmpeg server: StreamBegin 0 */
  expect_parse (5, "004c4b40", -1);
  expect_parse (6, "004c4b4002", -1);
  expect_parse (1, "00001000", -1);
  expect_parse (4, "000000000000", -1);
}

GST_END_TEST;

static Suite *
control_suite (void)
{
  Suite *s = suite_create ("control");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, control_round_trip);
  tcase_add_test (tc, control_user_events);
  tcase_add_test (tc, control_short);
  tcase_add_test (tc, control_fixture_values);
  return s;
}

GST_CHECK_MAIN (control);
