/* Unit tests for the RTMP handshake (rtmp-handshake.c), both roles.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "rtmp-error.h"
#include "rtmp-handshake.h"
#include "test-util.h"

#define PKT RTMP_HANDSHAKE_PACKET_SIZE
#define TOTAL RTMP_HANDSHAKE_TOTAL_SIZE
/* chunk bytes we append after the handshake: must never be consumed */
#define EXTRA 16

static const gchar *c2s_fixtures[] = {
  "ffmpeg", "ffmpeg_badname", "ffmpeg_chunk1000", "ffmpeg_extts",
  "ffmpeg_ffmpegserver", "ffmpeg_query", "librtmp", "librtmp_extts",
  "nginxpush",
};

static guint32
fixed_time (gpointer user_data)
{
  guint32 *t = user_data;

  return (*t)++;
}

/* Deterministic handshake: seeded PRNG and a counting clock */
static RtmpHandshake *
new_hs (RtmpHandshakeRole role, guint32 * clock)
{
  RtmpHandshake *hs = rtmp_handshake_new (role);

  rtmp_handshake_set_seed (hs, 0x1234);
  *clock = 1000;
  rtmp_handshake_set_time_func (hs, fixed_time, clock);
  return hs;
}

static GBytes *
load_prefix (const gchar * name, const gchar * dir, gsize len)
{
  gchar *file = g_strdup_printf ("%s.%s.bin", name, dir);
  GBytes *all = test_util_load_fixture (file);
  GBytes *prefix;

  fail_unless (g_bytes_get_size (all) >= len, "%s too short", file);
  prefix = g_bytes_new_from_bytes (all, 0, len);
  g_bytes_unref (all);
  g_free (file);
  return prefix;
}

/* Feeds @data split at @split (0 = whole), or byte by byte when @split is
 * G_MAXSIZE; checks every call before the handshake end says NEED_MORE and
 * consumes everything, and that the end is DONE with exactly
 * @expect_consumed bytes consumed in total. */
static GByteArray *
run_feed (RtmpHandshake * hs, const guint8 * data, gsize size, gsize split,
    gsize expect_consumed)
{
  GByteArray *out = g_byte_array_new ();
  gsize pos = 0, total = 0;
  RtmpHandshakeResult res = RTMP_HANDSHAKE_NEED_MORE;

  while (pos < size) {
    gsize n, consumed = 12345;
    GError *err = NULL;

    if (split == G_MAXSIZE)
      n = 1;
    else if (split == 0 || pos >= split)
      n = size - pos;
    else
      n = split;
    res = rtmp_handshake_feed (hs, data + pos, n, &consumed, out, &err);
    /* TEST_CHECK: this runs per byte and per split */
    TEST_CHECK (err == NULL, "error at %" G_GSIZE_FORMAT ": %s", pos,
        err->message);
    total += consumed;
    if (pos + n < expect_consumed) {
      TEST_CHECK_EQ (res, RTMP_HANDSHAKE_NEED_MORE);
      TEST_CHECK_EQ (consumed, n);
    } else {
      TEST_CHECK_EQ (res, RTMP_HANDSHAKE_DONE);
      break;
    }
    pos += n;
  }
  fail_unless_equals_int (res, RTMP_HANDSHAKE_DONE);
  fail_unless_equals_uint64 (total, expect_consumed);

  /* DONE is sticky and consumes nothing more */
  {
    gsize consumed = 99;
    guint out_len = out->len;

    fail_unless_equals_int (rtmp_handshake_feed (hs, data, size, &consumed,
            out, NULL), RTMP_HANDSHAKE_DONE);
    fail_unless_equals_uint64 (consumed, 0);
    fail_unless_equals_int (out->len, out_len);
  }
  return out;
}

/* --- the fixtures themselves (tests our HMAC layout against real peers) */

GST_START_TEST (test_fixture_ffmpeg_c1_digest)
{
  GBytes *c2s = load_prefix ("ffmpeg", "c2s", TOTAL);
  GBytes *s2c = load_prefix ("ffmpeg", "s2c", TOTAL);
  const guint8 *c1 = (const guint8 *) g_bytes_get_data (c2s, NULL) + 1;
  const guint8 *s = g_bytes_get_data (s2c, NULL);
  guint8 digest[32], s1_digest[32];

  /* ffmpeg: schema 1, digest at 494 (tools/rtmpdecode.py) */
  fail_unless_equals_int (rtmp_handshake_find_digest (c1,
          RTMP_HANDSHAKE_KEY_FP, digest), 1);
  fail_unless (memcmp (digest, c1 + 494, 32) == 0);
  /* not valid with the server key */
  fail_unless_equals_int (rtmp_handshake_find_digest (c1,
          RTMP_HANDSHAKE_KEY_FMS, NULL), -1);

  /* nginx-rtmp's S1: schema 1 at 569, FMS key */
  fail_unless_equals_int (rtmp_handshake_find_digest (s + 1,
          RTMP_HANDSHAKE_KEY_FMS, s1_digest), 1);
  fail_unless (memcmp (s1_digest, s + 1 + 569, 32) == 0);

  /* nginx-rtmp's S2 is signed over ffmpeg's C1 digest */
  fail_unless (rtmp_handshake_verify_response (s + 1 + PKT,
          RTMP_HANDSHAKE_KEY_FMS, digest));
  /* ... and not with the other key or another digest */
  fail_unless (!rtmp_handshake_verify_response (s + 1 + PKT,
          RTMP_HANDSHAKE_KEY_FP, digest));
  fail_unless (!rtmp_handshake_verify_response (s + 1 + PKT,
          RTMP_HANDSHAKE_KEY_FMS, s1_digest));

  /* ffmpeg's publishing C2 is an echo of S1, not signed */
  fail_unless (!rtmp_handshake_verify_response (c1 + PKT,
          RTMP_HANDSHAKE_KEY_FP, s1_digest));
  fail_unless (memcmp (c1 + PKT, s + 1, PKT) == 0);

  g_bytes_unref (c2s);
  g_bytes_unref (s2c);
}

GST_END_TEST;

GST_START_TEST (test_fixture_nginxpush_c2_signed)
{
  GBytes *c2s = load_prefix ("nginxpush", "c2s", TOTAL);
  GBytes *s2c = load_prefix ("nginxpush", "s2c", TOTAL);
  const guint8 *c = g_bytes_get_data (c2s, NULL);
  const guint8 *s = g_bytes_get_data (s2c, NULL);
  guint8 c1_digest[32], s1_digest[32];

  fail_unless_equals_int (rtmp_handshake_find_digest (c + 1,
          RTMP_HANDSHAKE_KEY_FP, c1_digest), 1);
  fail_unless_equals_int (rtmp_handshake_find_digest (s + 1,
          RTMP_HANDSHAKE_KEY_FMS, s1_digest), 1);
  /* nginx-rtmp's push client signs C2 over the S1 digest */
  fail_unless (rtmp_handshake_verify_response (c + 1 + PKT,
          RTMP_HANDSHAKE_KEY_FP, s1_digest));
  fail_unless (!rtmp_handshake_verify_response (c + 1 + PKT,
          RTMP_HANDSHAKE_KEY_FP, c1_digest));
  /* and nginx's S2 over the C1 digest */
  fail_unless (rtmp_handshake_verify_response (s + 1 + PKT,
          RTMP_HANDSHAKE_KEY_FMS, c1_digest));

  g_bytes_unref (c2s);
  g_bytes_unref (s2c);
}

GST_END_TEST;

GST_START_TEST (test_fixture_librtmp_plain)
{
  GBytes *c2s = load_prefix ("librtmp", "c2s", TOTAL);
  GBytes *s2c = load_prefix ("librtmp", "s2c", TOTAL);
  const guint8 *c = g_bytes_get_data (c2s, NULL);
  const guint8 *s = g_bytes_get_data (s2c, NULL);
  static const guint8 zero[4] = { 0, 0, 0, 0 };

  fail_unless_equals_int (c[0], 3);
  fail_unless (memcmp (c + 1 + 4, zero, 4) == 0);
  fail_unless_equals_int (rtmp_handshake_find_digest (c + 1,
          RTMP_HANDSHAKE_KEY_FP, NULL), -1);
  /* nginx-rtmp in plain mode: S1 = C1 verbatim */
  fail_unless (memcmp (s + 1, c + 1, PKT) == 0);

  g_bytes_unref (c2s);
  g_bytes_unref (s2c);
}

GST_END_TEST;

/* --- server role over the fixtures ------------------------------------ */

static void
check_server_output (const gchar * name, const guint8 * c, RtmpHandshake * hs,
    GByteArray * out)
{
  const guint8 *c1 = c + 1;
  const guint8 *s1 = out->data + 1, *s2 = out->data + 1 + PKT;
  guint8 c1_digest[32], s1_digest[32];
  gint schema;

  fail_unless_equals_int (out->len, TOTAL);
  fail_unless_equals_int (out->data[0], 3);
  fail_unless_equals_int (rtmp_handshake_get_peer_version (hs), 3);

  schema = rtmp_handshake_find_digest (c1, RTMP_HANDSHAKE_KEY_FP, c1_digest);
  if (g_str_has_prefix (name, "ffmpeg") || g_str_equal (name, "nginxpush")) {
    fail_unless_equals_int (schema, 1);
  } else {
    fail_unless_equals_int (schema, -1);
  }
  fail_unless_equals_int (rtmp_handshake_is_digest (hs), schema >= 0);
  fail_unless_equals_int (rtmp_handshake_get_schema (hs), schema);

  if (schema >= 0) {
    /* S1: non-zero version, valid FMS digest at the client's schema */
    fail_unless (GST_READ_UINT32_BE (s1 + 4) != 0);
    fail_unless_equals_int (rtmp_handshake_find_digest (s1,
            RTMP_HANDSHAKE_KEY_FMS, s1_digest), schema);
    /* S2 signed over the C1 digest (what nginx-rtmp sent ffmpeg) */
    fail_unless (rtmp_handshake_verify_response (s2, RTMP_HANDSHAKE_KEY_FMS,
            c1_digest));
  } else {
    /* plain: S1 = time + zeros + random; S2 = C1 time, time2, C1 random */
    fail_unless_equals_int (GST_READ_UINT32_BE (s1 + 4), 0);
    fail_unless (memcmp (s2, c1, 4) == 0);
    fail_unless (memcmp (s2 + 8, c1 + 8, PKT - 8) == 0);
  }
}

/* Where the tests split C0+C1+C2 (or S0+S1+S2) and the EXTRA chunk bytes
 * after it: at every position, or under a memory checker (where every
 * split costs a handshake with its HMACs) at every position within
 * TEST_UTIL_CUT_WINDOW of the packet edges, and every @stride-th. The
 * handshake has four states (version byte, packet 1, packet 2, done) and
 * copies packet bytes into one buffer until the packet is complete: a
 * split inside a packet differs from its neighbours only by how many
 * bytes the first piece copies, and the edges (version byte alone, a
 * packet complete or one byte short, the first byte after the handshake)
 * are all inside the windows. */
static GArray *
handshake_splits (gsize stride, gboolean all)
{
  GArray *bounds = g_array_new (FALSE, FALSE, sizeof (gsize));
  GArray *splits;

  test_util_handshake_bounds (bounds);
  splits = test_util_cut_positions (TOTAL + EXTRA, bounds, stride, all);
  g_array_unref (bounds);
  return splits;
}

GST_START_TEST (test_server_fixtures)
{
  GArray *splits = handshake_splits (61, !test_util_under_checker ());

  for (guint i = 0; i < G_N_ELEMENTS (c2s_fixtures); i++) {
    const gchar *name = c2s_fixtures[i];
    GBytes *c2s = load_prefix (name, "c2s", TOTAL + EXTRA);
    const guint8 *c = g_bytes_get_data (c2s, NULL);
    RtmpHandshake *hs;
    GByteArray *ref, *out;
    guint32 clock;

    GST_INFO ("fixture %s", name);

    /* whole */
    hs = new_hs (RTMP_HANDSHAKE_ROLE_SERVER, &clock);
    ref = run_feed (hs, c, TOTAL + EXTRA, 0, TOTAL);
    check_server_output (name, c, hs, ref);
    rtmp_handshake_free (hs);

    /* byte by byte: same output (deterministic random and clock) */
    hs = new_hs (RTMP_HANDSHAKE_ROLE_SERVER, &clock);
    out = run_feed (hs, c, TOTAL + EXTRA, G_MAXSIZE, TOTAL);
    check_server_output (name, c, hs, out);
    fail_unless_equals_int (out->len, ref->len);
    fail_unless (memcmp (out->data, ref->data, ref->len) == 0);
    g_byte_array_unref (out);
    rtmp_handshake_free (hs);

    /* split at every position (see handshake_splits) */
    for (guint k = 0; k < splits->len; k++) {
      gsize split = g_array_index (splits, gsize, k);

      if (split == 0 || split == TOTAL + EXTRA)
        continue;
      hs = new_hs (RTMP_HANDSHAKE_ROLE_SERVER, &clock);
      out = run_feed (hs, c, TOTAL + EXTRA, split, TOTAL);
      TEST_CHECK_EQ (out->len, ref->len);
      TEST_CHECK (memcmp (out->data, ref->data, ref->len) == 0,
          "%s: output differs with a split at %" G_GSIZE_FORMAT, name, split);
      /* S0+S1+S2 go out as soon as C1 is complete, before C2 */
      g_byte_array_unref (out);
      rtmp_handshake_free (hs);
    }

    g_byte_array_unref (ref);
    g_bytes_unref (c2s);
  }
  g_array_unref (splits);
}

GST_END_TEST;

/* The server answers as soon as C1 is complete, without waiting for C2 */
GST_START_TEST (test_server_answers_after_c1)
{
  GBytes *c2s = load_prefix ("ffmpeg", "c2s", TOTAL);
  const guint8 *c = g_bytes_get_data (c2s, NULL);
  RtmpHandshake *hs = rtmp_handshake_new (RTMP_HANDSHAKE_ROLE_SERVER);
  GByteArray *out = g_byte_array_new ();
  gsize consumed;

  fail_unless_equals_int (rtmp_handshake_feed (hs, c, 1, &consumed, out,
          NULL), RTMP_HANDSHAKE_NEED_MORE);
  fail_unless_equals_int (out->len, 0);
  fail_unless_equals_int (rtmp_handshake_feed (hs, c + 1, PKT - 1, &consumed,
          out, NULL), RTMP_HANDSHAKE_NEED_MORE);
  fail_unless_equals_int (out->len, 0);
  fail_unless_equals_int (rtmp_handshake_feed (hs, c + PKT, 1, &consumed, out,
          NULL), RTMP_HANDSHAKE_NEED_MORE);
  fail_unless_equals_int (out->len, TOTAL);
  /* empty feed */
  fail_unless_equals_int (rtmp_handshake_feed (hs, NULL, 0, &consumed, out,
          NULL), RTMP_HANDSHAKE_NEED_MORE);
  fail_unless_equals_uint64 (consumed, 0);
  fail_unless_equals_int (rtmp_handshake_feed (hs, c + 1 + PKT, PKT, NULL,
          out, NULL), RTMP_HANDSHAKE_DONE);
  fail_unless_equals_int (out->len, TOTAL);
  fail_unless (rtmp_handshake_is_digest (hs));

  g_byte_array_unref (out);
  rtmp_handshake_free (hs);
  g_bytes_unref (c2s);
}

GST_END_TEST;

/* C1 with a version but no valid digest: plain fallback (reference §2.2) */
GST_START_TEST (test_server_fake_digest_fallback)
{
  guint8 c[TOTAL];
  RtmpHandshake *hs;
  GByteArray *out;
  guint32 clock;

  for (gsize i = 0; i < sizeof (c); i++)
    c[i] = (guint8) (i * 7 + 3);
  c[0] = 3;
  c[1 + 4] = 0x09;              /* claims a version */
  hs = new_hs (RTMP_HANDSHAKE_ROLE_SERVER, &clock);
  out = run_feed (hs, c, sizeof (c), 0, TOTAL);
  fail_unless (!rtmp_handshake_is_digest (hs));
  fail_unless_equals_int (rtmp_handshake_get_schema (hs), -1);
  fail_unless_equals_int (GST_READ_UINT32_BE (out->data + 1 + 4), 0);
  fail_unless (memcmp (out->data + 1 + PKT + 8, c + 1 + 8, PKT - 8) == 0);
  g_byte_array_unref (out);
  rtmp_handshake_free (hs);
}

GST_END_TEST;

/* --- client role ------------------------------------------------------ */

GST_START_TEST (test_client_start)
{
  for (gint digest = 0; digest <= 1; digest++) {
    RtmpHandshake *hs = rtmp_handshake_new (RTMP_HANDSHAKE_ROLE_CLIENT);
    GByteArray *out = g_byte_array_new ();
    guint8 d[32];

    rtmp_handshake_set_client_digest (hs, digest);
    rtmp_handshake_start (hs, out);
    fail_unless_equals_int (out->len, 1 + PKT);
    fail_unless_equals_int (out->data[0], 3);
    fail_unless_equals_int (rtmp_handshake_is_digest (hs), digest);
    fail_unless_equals_int (rtmp_handshake_get_peer_version (hs), 0);
    if (digest) {
      fail_unless_equals_int (GST_READ_UINT32_BE (out->data + 1 + 4),
          0x09007c02);
      fail_unless_equals_int (rtmp_handshake_find_digest (out->data + 1,
              RTMP_HANDSHAKE_KEY_FP, d), 1);
      fail_unless_equals_int (rtmp_handshake_get_schema (hs), 1);
    } else {
      fail_unless_equals_int (GST_READ_UINT32_BE (out->data + 1 + 4), 0);
      fail_unless_equals_int (rtmp_handshake_get_schema (hs), -1);
    }
    g_byte_array_unref (out);
    rtmp_handshake_free (hs);
  }
}

GST_END_TEST;

/* Our client against our server, both modes, with a pipelined "connect" */
GST_START_TEST (test_client_server_memory)
{
  for (gint digest = 0; digest <= 1; digest++) {
    RtmpHandshake *cl = rtmp_handshake_new (RTMP_HANDSHAKE_ROLE_CLIENT);
    RtmpHandshake *sv = rtmp_handshake_new (RTMP_HANDSHAKE_ROLE_SERVER);
    GByteArray *c2s = g_byte_array_new (), *s2c = g_byte_array_new ();
    static const guint8 connect[] = { 0x03, 0, 0, 0, 0, 0, 0x20, 0x14 };
    guint8 c1_digest[32], s1_digest[32];
    gsize consumed;
    GError *err = NULL;

    rtmp_handshake_set_client_digest (cl, digest);
    rtmp_handshake_start (cl, c2s);

    /* server gets C0+C1 */
    fail_unless_equals_int (rtmp_handshake_feed (sv, c2s->data, c2s->len,
            &consumed, s2c, &err), RTMP_HANDSHAKE_NEED_MORE);
    g_assert_no_error (err);
    fail_unless_equals_int (consumed, 1 + PKT);
    fail_unless_equals_int (s2c->len, TOTAL);
    fail_unless_equals_int (rtmp_handshake_is_digest (sv), digest);

    if (digest) {
      fail_unless_equals_int (rtmp_handshake_find_digest (c2s->data + 1,
              RTMP_HANDSHAKE_KEY_FP, c1_digest), 1);
      fail_unless_equals_int (rtmp_handshake_find_digest (s2c->data + 1,
              RTMP_HANDSHAKE_KEY_FMS, s1_digest), 1);
      fail_unless (rtmp_handshake_verify_response (s2c->data + 1 + PKT,
              RTMP_HANDSHAKE_KEY_FMS, c1_digest));
    }

    /* client gets S0+S1+S2, sends C2 */
    g_byte_array_set_size (c2s, 0);
    fail_unless_equals_int (rtmp_handshake_feed (cl, s2c->data, s2c->len,
            &consumed, c2s, &err), RTMP_HANDSHAKE_DONE);
    g_assert_no_error (err);
    fail_unless_equals_int (consumed, TOTAL);
    fail_unless_equals_int (c2s->len, PKT);
    fail_unless_equals_int (rtmp_handshake_get_peer_version (cl), 3);
    if (digest) {
      /* signed C2 over our S1 digest */
      fail_unless (rtmp_handshake_verify_response (c2s->data,
              RTMP_HANDSHAKE_KEY_FP, s1_digest));
    } else {
      /* echo of S1: time, time2, random */
      fail_unless (memcmp (c2s->data, s2c->data + 1, 4) == 0);
      fail_unless (memcmp (c2s->data + 8, s2c->data + 1 + 8, PKT - 8) == 0);
    }

    /* server gets C2 + the pipelined connect */
    g_byte_array_append (c2s, connect, sizeof (connect));
    g_byte_array_set_size (s2c, 0);
    fail_unless_equals_int (rtmp_handshake_feed (sv, c2s->data, c2s->len,
            &consumed, s2c, &err), RTMP_HANDSHAKE_DONE);
    g_assert_no_error (err);
    fail_unless_equals_int (consumed, PKT);
    fail_unless_equals_int (s2c->len, 0);

    g_byte_array_unref (c2s);
    g_byte_array_unref (s2c);
    rtmp_handshake_free (cl);
    rtmp_handshake_free (sv);
  }
}

GST_END_TEST;

/* Client role fed the real server replies of the fixtures, whole, byte by
 * byte and split everywhere. ffmpeg's reply was signed over ffmpeg's C1,
 * not ours: S2 does not verify, and the handshake must still complete. */
GST_START_TEST (test_client_fixtures)
{
  static const gchar *names[] = { "ffmpeg", "ffmpeg_ffmpegserver", "librtmp",
    "nginxpush"
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    GBytes *s2c = load_prefix (names[i], "s2c", TOTAL + EXTRA);
    const guint8 *s = g_bytes_get_data (s2c, NULL);
    gboolean s1_digest = rtmp_handshake_find_digest (s + 1,
        RTMP_HANDSHAKE_KEY_FMS, NULL) >= 0;

    /* every split only for one combination (and none under a memory
     * checker): keeps the test quick; split TOTAL + EXTRA: byte by byte */
    GArray *splits = handshake_splits (97, i == 0
        && !test_util_under_checker ());

    for (gint digest = 0; digest <= 1; digest++) {
      GByteArray *ref = NULL;

      for (guint k = 0; k < splits->len; k++) {
        gsize split = g_array_index (splits, gsize, k);
        GByteArray *c = g_byte_array_new (), *out;
        RtmpHandshake *hs;
        guint32 clock;

        hs = new_hs (RTMP_HANDSHAKE_ROLE_CLIENT, &clock);
        rtmp_handshake_set_client_digest (hs, digest);
        rtmp_handshake_start (hs, c);
        out = run_feed (hs, s, TOTAL + EXTRA,
            split == TOTAL + EXTRA ? G_MAXSIZE : split, TOTAL);
        TEST_CHECK_EQ (out->len, PKT);
        if (digest && s1_digest) {
          guint8 d[32];
          TEST_CHECK_EQ (rtmp_handshake_find_digest (s + 1,
                  RTMP_HANDSHAKE_KEY_FMS, d), 1);
          TEST_CHECK (rtmp_handshake_verify_response (out->data,
                  RTMP_HANDSHAKE_KEY_FP, d), "%s: C2 not signed over the "
              "S1 digest", names[i]);
        } else {
          TEST_CHECK (memcmp (out->data, s + 1, 4) == 0
              && memcmp (out->data + 8, s + 1 + 8, PKT - 8) == 0,
              "%s: C2 is not an echo of S1", names[i]);
        }
        if (ref == NULL) {
          ref = out;
        } else {
          TEST_CHECK (memcmp (out->data, ref->data, PKT) == 0,
              "%s: C2 differs with a split at %" G_GSIZE_FORMAT, names[i],
              split);
          g_byte_array_unref (out);
        }
        g_byte_array_unref (c);
        rtmp_handshake_free (hs);
      }
      g_byte_array_unref (ref);
    }
    g_array_unref (splits);
    g_bytes_unref (s2c);
  }
}

GST_END_TEST;

/* A client whose digest C1 is answered by a digest S1 and a bad S2: only a
 * warning, DONE anyway. */
GST_START_TEST (test_client_bad_s2_tolerated)
{
  RtmpHandshake *cl = rtmp_handshake_new (RTMP_HANDSHAKE_ROLE_CLIENT);
  RtmpHandshake *sv = rtmp_handshake_new (RTMP_HANDSHAKE_ROLE_SERVER);
  GByteArray *c2s = g_byte_array_new (), *s2c = g_byte_array_new ();
  gsize consumed;

  rtmp_handshake_start (cl, c2s);
  fail_unless_equals_int (rtmp_handshake_feed (sv, c2s->data, c2s->len,
          &consumed, s2c, NULL), RTMP_HANDSHAKE_NEED_MORE);
  s2c->data[TOTAL - 1] ^= 0x55;
  g_byte_array_set_size (c2s, 0);
  fail_unless_equals_int (rtmp_handshake_feed (cl, s2c->data, s2c->len,
          &consumed, c2s, NULL), RTMP_HANDSHAKE_DONE);
  fail_unless_equals_int (consumed, TOTAL);
  fail_unless (rtmp_handshake_is_digest (cl));

  g_byte_array_unref (c2s);
  g_byte_array_unref (s2c);
  rtmp_handshake_free (cl);
  rtmp_handshake_free (sv);
}

GST_END_TEST;

/* --- malformed input -------------------------------------------------- */

static void
check_bad_version (RtmpHandshakeRole role, guint8 v, gint code,
    const gchar * needle)
{
  RtmpHandshake *hs = rtmp_handshake_new (role);
  GByteArray *out = g_byte_array_new ();
  guint8 data[64];
  gsize consumed = 77;
  GError *err = NULL;

  if (role == RTMP_HANDSHAKE_ROLE_CLIENT) {
    rtmp_handshake_start (hs, out);
    g_byte_array_set_size (out, 0);
  }
  memset (data, 0, sizeof (data));
  data[0] = v;
  fail_unless_equals_int (rtmp_handshake_feed (hs, data, sizeof (data),
          &consumed, out, &err), RTMP_HANDSHAKE_ERROR);
  fail_unless (g_error_matches (err, RTMP_ERROR, code),
      "version %u: %s", v, err ? err->message : "no error");
  fail_unless (consumed <= 1);
  fail_unless_equals_int (out->len, 0);
  if (needle)
    fail_unless (strstr (err->message, needle) != NULL, "%s", err->message);
  fail_unless_equals_int (rtmp_handshake_get_peer_version (hs), v);
  g_clear_error (&err);

  /* sticky */
  fail_unless_equals_int (rtmp_handshake_feed (hs, data, sizeof (data),
          &consumed, out, &err), RTMP_HANDSHAKE_ERROR);
  fail_unless (g_error_matches (err, RTMP_ERROR, code));
  fail_unless_equals_int (consumed, 0);
  g_clear_error (&err);
  /* NULL error is fine too */
  fail_unless_equals_int (rtmp_handshake_feed (hs, data, 1, NULL, out, NULL),
      RTMP_HANDSHAKE_ERROR);

  g_byte_array_unref (out);
  rtmp_handshake_free (hs);
}

GST_START_TEST (test_server_bad_versions)
{
  check_bad_version (RTMP_HANDSHAKE_ROLE_SERVER, 6, RTMP_ERROR_UNSUPPORTED,
      "RTMPE");
  check_bad_version (RTMP_HANDSHAKE_ROLE_SERVER, 8, RTMP_ERROR_UNSUPPORTED,
      "RTMPE");
  check_bad_version (RTMP_HANDSHAKE_ROLE_SERVER, 9, RTMP_ERROR_UNSUPPORTED,
      "RTMPE");
  check_bad_version (RTMP_HANDSHAKE_ROLE_SERVER, 0xff, RTMP_ERROR_HANDSHAKE,
      "255");
  check_bad_version (RTMP_HANDSHAKE_ROLE_SERVER, 'G', RTMP_ERROR_HANDSHAKE,
      "HTTP");
  check_bad_version (RTMP_HANDSHAKE_ROLE_SERVER, 'P', RTMP_ERROR_HANDSHAKE,
      "HTTP");
  check_bad_version (RTMP_HANDSHAKE_ROLE_SERVER, 0x16, RTMP_ERROR_HANDSHAKE,
      "TLS");
  check_bad_version (RTMP_HANDSHAKE_ROLE_SERVER, 0, RTMP_ERROR_HANDSHAKE,
      "version 0");
  check_bad_version (RTMP_HANDSHAKE_ROLE_SERVER, 4, RTMP_ERROR_HANDSHAKE, NULL);
}

GST_END_TEST;

GST_START_TEST (test_client_bad_versions)
{
  check_bad_version (RTMP_HANDSHAKE_ROLE_CLIENT, 6, RTMP_ERROR_HANDSHAKE,
      "version 6");
  check_bad_version (RTMP_HANDSHAKE_ROLE_CLIENT, 0, RTMP_ERROR_HANDSHAKE, NULL);
  check_bad_version (RTMP_HANDSHAKE_ROLE_CLIENT, 'H', RTMP_ERROR_HANDSHAKE, NULL);
}

GST_END_TEST;

GST_START_TEST (test_client_feed_before_start)
{
  RtmpHandshake *hs = rtmp_handshake_new (RTMP_HANDSHAKE_ROLE_CLIENT);
  GByteArray *out = g_byte_array_new ();
  guint8 s0 = 3;
  gsize consumed = 5;
  GError *err = NULL;

  fail_unless_equals_int (rtmp_handshake_feed (hs, &s0, 1, &consumed, out,
          &err), RTMP_HANDSHAKE_ERROR);
  fail_unless (g_error_matches (err, RTMP_ERROR, RTMP_ERROR_STATE));
  fail_unless_equals_int (consumed, 0);
  g_clear_error (&err);
  /* start still works afterwards */
  rtmp_handshake_start (hs, out);
  fail_unless_equals_int (out->len, 1 + PKT);

  g_byte_array_unref (out);
  rtmp_handshake_free (hs);
}

GST_END_TEST;

/* Garbage after a valid C0/S0: both roles complete without reading out of
 * bounds (run under ASan/valgrind), and consume exactly 3073 bytes. */
static void
fill_prng (guint8 * buf, gsize len, gpointer user_data)
{
  GRand *r = user_data;

  for (gsize i = 0; i < len; i++)
    buf[i] = (guint8) g_rand_int (r);
}

GST_START_TEST (test_garbage)
{
  GRand *r = g_rand_new_with_seed (42);

  for (guint iter = 0; iter < 50; iter++) {
    for (gint role = 0; role <= 1; role++) {
      RtmpHandshake *hs = rtmp_handshake_new (role);
      GByteArray *out = g_byte_array_new ();
      guint8 data[TOTAL + 100];
      gsize pos = 0, consumed;
      RtmpHandshakeResult res = RTMP_HANDSHAKE_NEED_MORE;

      rtmp_handshake_set_random_func (hs, fill_prng, r);
      fill_prng (data, sizeof (data), r);
      data[0] = 3;
      /* make some C1/S1 claim a version, some not */
      if (iter % 2)
        memset (data + 5, 0, 4);
      if (role == RTMP_HANDSHAKE_ROLE_CLIENT) {
        rtmp_handshake_start (hs, out);
        rtmp_handshake_set_random_func (hs, NULL, NULL);
      }
      while (pos < sizeof (data)) {
        gsize n = MIN (sizeof (data) - pos,
            (gsize) g_rand_int_range (r, 1, 901));

        res = rtmp_handshake_feed (hs, data + pos, n, &consumed, out, NULL);
        pos += consumed;
        if (res != RTMP_HANDSHAKE_NEED_MORE)
          break;
      }
      fail_unless_equals_int (res, RTMP_HANDSHAKE_DONE);
      fail_unless_equals_int (pos, TOTAL);
      g_byte_array_unref (out);
      rtmp_handshake_free (hs);
    }
  }
  g_rand_free (r);
}

GST_END_TEST;

/* Default random source: two servers answer with different S1 */
GST_START_TEST (test_random_not_fixed)
{
  guint8 c[1 + PKT];
  GByteArray *o1 = g_byte_array_new (), *o2 = g_byte_array_new ();
  RtmpHandshake *a = rtmp_handshake_new (RTMP_HANDSHAKE_ROLE_SERVER);
  RtmpHandshake *b = rtmp_handshake_new (RTMP_HANDSHAKE_ROLE_SERVER);

  memset (c, 0, sizeof (c));
  c[0] = 3;
  rtmp_handshake_feed (a, c, sizeof (c), NULL, o1, NULL);
  rtmp_handshake_feed (b, c, sizeof (c), NULL, o2, NULL);
  fail_unless_equals_int (o1->len, TOTAL);
  fail_unless_equals_int (o2->len, TOTAL);
  fail_unless (memcmp (o1->data + 9, o2->data + 9, PKT - 8) != 0);

  g_byte_array_unref (o1);
  g_byte_array_unref (o2);
  rtmp_handshake_free (a);
  rtmp_handshake_free (b);
}

GST_END_TEST;

static Suite *
handshake_suite (void)
{
  Suite *s = suite_create ("handshake");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 240);
  tcase_add_test (tc, test_fixture_ffmpeg_c1_digest);
  tcase_add_test (tc, test_fixture_nginxpush_c2_signed);
  tcase_add_test (tc, test_fixture_librtmp_plain);
  tcase_add_test (tc, test_server_fixtures);
  tcase_add_test (tc, test_server_answers_after_c1);
  tcase_add_test (tc, test_server_fake_digest_fallback);
  tcase_add_test (tc, test_client_start);
  tcase_add_test (tc, test_client_server_memory);
  tcase_add_test (tc, test_client_fixtures);
  tcase_add_test (tc, test_client_bad_s2_tolerated);
  tcase_add_test (tc, test_server_bad_versions);
  tcase_add_test (tc, test_client_bad_versions);
  tcase_add_test (tc, test_client_feed_before_start);
  tcase_add_test (tc, test_garbage);
  tcase_add_test (tc, test_random_not_fixed);
  return s;
}

GST_CHECK_MAIN (handshake);
