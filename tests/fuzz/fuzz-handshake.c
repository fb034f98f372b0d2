/* Fuzz target: the RTMP handshake, server role and client role.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The input is what the peer sends: C0+C1+C2(+chunks) to our server, and
 * S0+S1+S2 to our client (both digest and plain client). The server is run
 * twice, once with the whole input and once in pieces whose sizes come from
 * the input, and must give the same result, consumed count and output. */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rtmp-error.h"
#include "rtmp-handshake.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static guint32
zero_time (gpointer user_data)
{
  (void) user_data;
  return 0;
}

static RtmpHandshake *
new_hs (RtmpHandshakeRole role)
{
  RtmpHandshake *hs = rtmp_handshake_new (role);

  rtmp_handshake_set_seed (hs, 7);
  rtmp_handshake_set_time_func (hs, zero_time, NULL);
  return hs;
}

/* feeds @data whole or in pieces (sizes from the data), returns the result and
 * the total consumed */
static RtmpHandshakeResult
run (RtmpHandshake * hs, const uint8_t * data, size_t size, gboolean pieces,
    gsize * total, GByteArray * out)
{
  RtmpHandshakeResult res = RTMP_HANDSHAKE_NEED_MORE;
  size_t pos = 0;

  *total = 0;
  do {
    size_t n = size - pos;
    gsize consumed = 0;
    GError *err = NULL;

    if (pieces && n > 0)
      n = MIN (n, (size_t) (data[pos] % 200) + 1);
    res = rtmp_handshake_feed (hs, data + pos, n, &consumed, out, &err);
    if (consumed > n)
      abort ();
    *total += consumed;
    if (res == RTMP_HANDSHAKE_ERROR) {
      if (err == NULL || err->domain != RTMP_ERROR)
        abort ();
      g_error_free (err);
      break;
    }
    if (err != NULL)
      abort ();
    if (res == RTMP_HANDSHAKE_NEED_MORE && consumed != n)
      abort ();
    pos += n;
  } while (res == RTMP_HANDSHAKE_NEED_MORE && pos < size);
  return res;
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  RtmpHandshakeResult r1, r2;
  gsize c1, c2;

  /* server role */
  {
    RtmpHandshake *a = new_hs (RTMP_HANDSHAKE_ROLE_SERVER);
    RtmpHandshake *b = new_hs (RTMP_HANDSHAKE_ROLE_SERVER);
    GByteArray *oa = g_byte_array_new (), *ob = g_byte_array_new ();

    r1 = run (a, data, size, FALSE, &c1, oa);
    r2 = run (b, data, size, TRUE, &c2, ob);
    if (r1 != r2 || c1 != c2 || oa->len != ob->len ||
        (oa->len > 0 && memcmp (oa->data, ob->data, oa->len) != 0))
      abort ();
    if (r1 == RTMP_HANDSHAKE_DONE && (c1 != RTMP_HANDSHAKE_TOTAL_SIZE ||
            oa->len != RTMP_HANDSHAKE_TOTAL_SIZE))
      abort ();
    if (r1 == RTMP_HANDSHAKE_NEED_MORE && c1 != size)
      abort ();
    g_byte_array_unref (oa);
    g_byte_array_unref (ob);
    rtmp_handshake_free (a);
    rtmp_handshake_free (b);
  }

  /* client role, digest and plain */
  for (int digest = 0; digest <= 1; digest++) {
    RtmpHandshake *hs = new_hs (RTMP_HANDSHAKE_ROLE_CLIENT);
    GByteArray *out = g_byte_array_new ();

    rtmp_handshake_set_client_digest (hs, digest);
    rtmp_handshake_start (hs, out);
    g_byte_array_set_size (out, 0);
    r1 = run (hs, data, size, digest, &c1, out);
    if (r1 == RTMP_HANDSHAKE_DONE && (c1 != RTMP_HANDSHAKE_TOTAL_SIZE ||
            out->len != RTMP_HANDSHAKE_PACKET_SIZE))
      abort ();
    g_byte_array_unref (out);
    rtmp_handshake_free (hs);
  }

  /* the stand-alone helpers on whatever 1536 bytes we have */
  if (size >= RTMP_HANDSHAKE_PACKET_SIZE + RTMP_HANDSHAKE_DIGEST_SIZE) {
    rtmp_handshake_find_digest (data, RTMP_HANDSHAKE_KEY_FP, NULL);
    rtmp_handshake_verify_response (data, RTMP_HANDSHAKE_KEY_FMS,
        data + RTMP_HANDSHAKE_PACKET_SIZE);
  }
  return 0;
}
