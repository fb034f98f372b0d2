/* RTMP core: the handshake (C0/C1/C2, S0/S1/S2), both roles, plain and digest.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmp-handshake.h"
#include "rtmp-error.h"

#include <string.h>
#include <gst/gst.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

GST_DEBUG_CATEGORY_STATIC (rtmp_handshake_debug);
#define GST_CAT_DEFAULT rtmp_handshake_debug

/* Offsets inside a 1536-byte C1/S1 (reference §2.1 and §2.3) */
#define PACKET_SIZE RTMP_HANDSHAKE_PACKET_SIZE
#define DIGEST_SIZE RTMP_HANDSHAKE_DIGEST_SIZE
#define BLOCK_A 8
#define BLOCK_B 772
#define BLOCK_SIZE 764
/* the digest sits at block start + 4 + (offset field sum mod 728) */
#define DIGEST_RANGE 728
/* S2/C2 in the digest handshake: 1504 random bytes + 32-byte signature */
#define SIGNED_LEN (PACKET_SIZE - DIGEST_SIZE)

/* Public protocol constants (reference §2.3): the Flash Player key is the
 * 30-byte text + 32 bytes K, the Flash Media Server key the 36-byte text +
 * the same K. The "partial" keys are the text alone. */
#define FP_PARTIAL_LEN 30
#define FMS_PARTIAL_LEN 36
static const guint8 fp_key[FP_PARTIAL_LEN + 32] = {
  'G', 'e', 'n', 'u', 'i', 'n', 'e', ' ', 'A', 'd', 'o', 'b', 'e', ' ',
  'F', 'l', 'a', 's', 'h', ' ', 'P', 'l', 'a', 'y', 'e', 'r', ' ',
  '0', '0', '1',
  0xf0, 0xee, 0xc2, 0x4a, 0x80, 0x68, 0xbe, 0xe8, 0x2e, 0x00, 0xd0, 0xd1,
  0x02, 0x9e, 0x7e, 0x57, 0x6e, 0xec, 0x5d, 0x2d, 0x29, 0x80, 0x6f, 0xab,
  0x93, 0xb8, 0xe6, 0x36, 0xcf, 0xeb, 0x31, 0xae
};

static const guint8 fms_key[FMS_PARTIAL_LEN + 32] = {
  'G', 'e', 'n', 'u', 'i', 'n', 'e', ' ', 'A', 'd', 'o', 'b', 'e', ' ',
  'F', 'l', 'a', 's', 'h', ' ', 'M', 'e', 'd', 'i', 'a', ' ',
  'S', 'e', 'r', 'v', 'e', 'r', ' ', '0', '0', '1',
  0xf0, 0xee, 0xc2, 0x4a, 0x80, 0x68, 0xbe, 0xe8, 0x2e, 0x00, 0xd0, 0xd1,
  0x02, 0x9e, 0x7e, 0x57, 0x6e, 0xec, 0x5d, 0x2d, 0x29, 0x80, 0x6f, 0xab,
  0x93, 0xb8, 0xe6, 0x36, 0xcf, 0xeb, 0x31, 0xae
};

/* Versions we put in bytes 4..7 of a digest C1 / S1. ffmpeg's client claims
 * Flash 9.0.124.2 (librtmp: FMS only treats a client as "new" from
 * 9.0.115.0); as a server we use the value nginx-rtmp sends. */
static const guint8 client_version[4] = { 0x09, 0x00, 0x7c, 0x02 };
static const guint8 server_version[4] = { 0x0d, 0x0e, 0x0a, 0x0d };

typedef enum
{
  STATE_CLIENT_INIT,            /* rtmp_handshake_start() not called yet */
  STATE_WAIT_VERSION,           /* C0 / S0 */
  STATE_WAIT_PACKET1,           /* C1 / S1 */
  STATE_WAIT_PACKET2,           /* C2 / S2 */
  STATE_DONE,
  STATE_ERROR,
} State;

struct _RtmpHandshake
{
  RtmpHandshakeRole role;
  State state;
  GError *error;                /* kept to repeat it after ERROR */

  gboolean want_digest;         /* client: send a digest C1 */
  gboolean digest;              /* see rtmp_handshake_is_digest() */
  gboolean peer_digest_valid;   /* client: S1 carried a valid digest */
  gint schema;
  guint peer_version;

  guint8 ours[PACKET_SIZE];     /* our C1 (client) / S1 (server) */
  guint8 our_digest[DIGEST_SIZE];       /* client: digest of our C1 */
  guint8 peer_digest[DIGEST_SIZE];      /* C1 digest (server) / S1 digest (client) */

  guint8 buf[PACKET_SIZE];      /* the peer packet being received */
  gsize buf_len;

  RtmpHandshakeRandomFunc random_func;
  gpointer random_data;
  guint64 prng;                 /* splitmix64 state */

  RtmpHandshakeTimeFunc time_func;
  gpointer time_data;
  gint64 created_us;
};

static void
debug_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtmp_handshake_debug, "rtmphandshake", 0,
        "RTMP handshake");
    g_once_init_leave (&once, 1);
  }
}

/* --- HMAC-SHA256 ---------------------------------------------------- */

/* HMAC-SHA256 over @d1 followed by @d2 (either may be empty). One EVP_MAC
 * context per call, nothing cached. */
static gboolean
hmac_sha256 (const guint8 * key, gsize key_len, const guint8 * d1, gsize l1,
    const guint8 * d2, gsize l2, guint8 * out)
{
  EVP_MAC *mac;
  EVP_MAC_CTX *ctx = NULL;
  OSSL_PARAM params[2];
  gsize out_len = 0;
  gboolean ok = FALSE;

  mac = EVP_MAC_fetch (NULL, "HMAC", NULL);
  if (mac == NULL)
    goto out;
  ctx = EVP_MAC_CTX_new (mac);
  if (ctx == NULL)
    goto out;
  params[0] = OSSL_PARAM_construct_utf8_string (OSSL_MAC_PARAM_DIGEST,
      (char *) "SHA256", 0);
  params[1] = OSSL_PARAM_construct_end ();
  if (!EVP_MAC_init (ctx, key, key_len, params))
    goto out;
  if (l1 > 0 && !EVP_MAC_update (ctx, d1, l1))
    goto out;
  if (l2 > 0 && !EVP_MAC_update (ctx, d2, l2))
    goto out;
  if (!EVP_MAC_final (ctx, out, &out_len, DIGEST_SIZE))
    goto out;
  ok = (out_len == DIGEST_SIZE);

out:
  EVP_MAC_CTX_free (ctx);
  EVP_MAC_free (mac);
  if (!ok)
    GST_ERROR ("HMAC-SHA256 failed in OpenSSL");
  return ok;
}

/* --- digest layout (reference §2.3) ----------------------------------- */

/* Position of the 32-byte digest in a C1/S1 for @schema: schema 1 has the
 * digest block at A (offset field at bytes 8..11, digest at 12 + ...),
 * schema 0 at B (offset field at 772..775, digest at 776 + ...). The result
 * is at most 772 + 4 + 727 = 1503, so the digest always fits. */
static gsize
digest_position (const guint8 * packet, gint schema)
{
  gsize block = schema == 1 ? BLOCK_A : BLOCK_B;
  guint sum = packet[block] + packet[block + 1] + packet[block + 2] +
      packet[block + 3];

  return block + 4 + sum % DIGEST_RANGE;
}

/* HMAC(partial key, packet without its 32 digest bytes at @pos) */
static gboolean
packet_digest (const guint8 * packet, gsize pos, RtmpHandshakeKey key,
    guint8 * out)
{
  const guint8 *k = key == RTMP_HANDSHAKE_KEY_FP ? fp_key : fms_key;
  gsize k_len = key == RTMP_HANDSHAKE_KEY_FP ? FP_PARTIAL_LEN : FMS_PARTIAL_LEN;

  return hmac_sha256 (k, k_len, packet, pos, packet + pos + DIGEST_SIZE,
      PACKET_SIZE - pos - DIGEST_SIZE, out);
}

gint
rtmp_handshake_find_digest (const guint8 * packet, RtmpHandshakeKey key,
    guint8 * digest_out)
{
  g_return_val_if_fail (packet != NULL, -1);

  /* nginx-rtmp tries schema 0 first, then schema 1; the order does not
   * matter as a random collision of both is impossible in practice. */
  for (gint schema = 0; schema <= 1; schema++) {
    gsize pos = digest_position (packet, schema);
    guint8 d[DIGEST_SIZE];

    if (!packet_digest (packet, pos, key, d))
      continue;
    if (CRYPTO_memcmp (d, packet + pos, DIGEST_SIZE) == 0) {
      if (digest_out)
        memcpy (digest_out, d, DIGEST_SIZE);
      return schema;
    }
  }
  return -1;
}

/* HMAC(HMAC(full key, peer digest), data[0..1503]) */
static gboolean
response_signature (const guint8 * packet, RtmpHandshakeKey key,
    const guint8 * peer_digest, guint8 * out)
{
  const guint8 *k = key == RTMP_HANDSHAKE_KEY_FP ? fp_key : fms_key;
  gsize k_len = key == RTMP_HANDSHAKE_KEY_FP ? sizeof (fp_key) :
      sizeof (fms_key);
  guint8 tmp_key[DIGEST_SIZE];

  return hmac_sha256 (k, k_len, peer_digest, DIGEST_SIZE, NULL, 0, tmp_key)
      && hmac_sha256 (tmp_key, DIGEST_SIZE, packet, SIGNED_LEN, NULL, 0, out);
}

gboolean
rtmp_handshake_verify_response (const guint8 * packet, RtmpHandshakeKey key,
    const guint8 * peer_digest)
{
  guint8 sig[DIGEST_SIZE];

  g_return_val_if_fail (packet != NULL, FALSE);
  g_return_val_if_fail (peer_digest != NULL, FALSE);

  if (!response_signature (packet, key, peer_digest, sig))
    return FALSE;
  return CRYPTO_memcmp (sig, packet + SIGNED_LEN, DIGEST_SIZE) == 0;
}

/* --- random and time -------------------------------------------------- */

/* splitmix64: fast, good enough for handshake filler (no secrecy needed) */
static guint64
prng_next (guint64 * state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static void
fill_random (RtmpHandshake * hs, guint8 * buf, gsize len)
{
  if (hs->random_func) {
    hs->random_func (buf, len, hs->random_data);
    return;
  }
  while (len > 0) {
    guint64 v = prng_next (&hs->prng);
    gsize n = MIN (len, sizeof (v));

    memcpy (buf, &v, n);
    buf += n;
    len -= n;
  }
}

static guint32
now_ms (RtmpHandshake * hs)
{
  if (hs->time_func)
    return hs->time_func (hs->time_data);
  return (guint32) ((g_get_monotonic_time () - hs->created_us) / 1000);
}

/* --- packets ---------------------------------------------------------- */

/* C1/S1: time, then zero (plain) or a version (digest), then random; for
 * digest, the digest at @schema signed with @key's partial key. */
static gboolean
make_packet1 (RtmpHandshake * hs, const guint8 * version, gint schema,
    RtmpHandshakeKey key, guint8 * digest_out)
{
  guint8 *p = hs->ours;

  GST_WRITE_UINT32_BE (p, now_ms (hs));
  fill_random (hs, p + 8, PACKET_SIZE - 8);
  if (version == NULL) {
    memset (p + 4, 0, 4);
    return TRUE;
  }
  memcpy (p + 4, version, 4);
  {
    gsize pos = digest_position (p, schema);
    guint8 d[DIGEST_SIZE];

    if (!packet_digest (p, pos, key, d))
      return FALSE;
    memcpy (p + pos, d, DIGEST_SIZE);
    if (digest_out)
      memcpy (digest_out, d, DIGEST_SIZE);
  }
  return TRUE;
}

/* plain C2/S2 (reference §2.1): the peer's time, our time2 (when we read
 * the peer's packet), the peer's random bytes (like rtmp2sink and ffmpeg's
 * server, not nginx-rtmp's verbatim echo). */
static void
append_echo (RtmpHandshake * hs, const guint8 * peer, GByteArray * out)
{
  guint8 time2[4];

  GST_WRITE_UINT32_BE (time2, now_ms (hs));
  g_byte_array_append (out, peer, 4);
  g_byte_array_append (out, time2, 4);
  g_byte_array_append (out, peer + 8, PACKET_SIZE - 8);
}

/* digest C2/S2: 1504 random bytes + HMAC(HMAC(full key, peer digest), them) */
static gboolean
append_signed (RtmpHandshake * hs, RtmpHandshakeKey key,
    const guint8 * peer_digest, GByteArray * out)
{
  guint8 p[PACKET_SIZE];

  fill_random (hs, p, SIGNED_LEN);
  if (!response_signature (p, key, peer_digest, p + SIGNED_LEN))
    return FALSE;
  g_byte_array_append (out, p, PACKET_SIZE);
  return TRUE;
}

/* --- public API ------------------------------------------------------- */

RtmpHandshake *
rtmp_handshake_new (RtmpHandshakeRole role)
{
  RtmpHandshake *hs;

  debug_init ();
  hs = g_new0 (RtmpHandshake, 1);
  hs->role = role;
  hs->state = role == RTMP_HANDSHAKE_ROLE_CLIENT ? STATE_CLIENT_INIT :
      STATE_WAIT_VERSION;
  hs->want_digest = TRUE;
  hs->schema = -1;
  hs->prng = ((guint64) g_random_int () << 32) | g_random_int ();
  hs->created_us = g_get_monotonic_time ();
  return hs;
}

void
rtmp_handshake_free (RtmpHandshake * hs)
{
  if (hs == NULL)
    return;
  g_clear_error (&hs->error);
  g_free (hs);
}

void
rtmp_handshake_set_client_digest (RtmpHandshake * hs, gboolean digest)
{
  g_return_if_fail (hs != NULL);
  hs->want_digest = digest;
}

void
rtmp_handshake_set_random_func (RtmpHandshake * hs,
    RtmpHandshakeRandomFunc func, gpointer user_data)
{
  g_return_if_fail (hs != NULL);
  hs->random_func = func;
  hs->random_data = user_data;
}

void
rtmp_handshake_set_seed (RtmpHandshake * hs, guint64 seed)
{
  g_return_if_fail (hs != NULL);
  hs->prng = seed;
}

void
rtmp_handshake_set_time_func (RtmpHandshake * hs, RtmpHandshakeTimeFunc func,
    gpointer user_data)
{
  g_return_if_fail (hs != NULL);
  hs->time_func = func;
  hs->time_data = user_data;
}

gboolean
rtmp_handshake_is_digest (const RtmpHandshake * hs)
{
  g_return_val_if_fail (hs != NULL, FALSE);
  return hs->digest;
}

guint
rtmp_handshake_get_peer_version (const RtmpHandshake * hs)
{
  g_return_val_if_fail (hs != NULL, 0);
  return hs->peer_version;
}

gint
rtmp_handshake_get_schema (const RtmpHandshake * hs)
{
  g_return_val_if_fail (hs != NULL, -1);
  return hs->schema;
}

void
rtmp_handshake_start (RtmpHandshake * hs, GByteArray * out)
{
  guint8 c0 = RTMP_HANDSHAKE_VERSION;

  g_return_if_fail (hs != NULL);
  g_return_if_fail (out != NULL);
  g_return_if_fail (hs->role == RTMP_HANDSHAKE_ROLE_CLIENT);
  g_return_if_fail (hs->state == STATE_CLIENT_INIT);

  /* reference §2.3: schema 1 (digest in block A), FP partial key, like
   * ffmpeg and Flash Player; FMS only accepts schema 1 (SRS). */
  if (hs->want_digest && make_packet1 (hs, client_version, 1,
          RTMP_HANDSHAKE_KEY_FP, hs->our_digest)) {
    hs->digest = TRUE;
    hs->schema = 1;
  } else {
    make_packet1 (hs, NULL, -1, RTMP_HANDSHAKE_KEY_FP, NULL);
  }
  g_byte_array_append (out, &c0, 1);
  g_byte_array_append (out, hs->ours, PACKET_SIZE);
  hs->state = STATE_WAIT_VERSION;
  GST_DEBUG (">>> C0+C1 (%s, time %u)", hs->digest ? "digest" : "plain",
      GST_READ_UINT32_BE (hs->ours));
}

static gboolean
fail (RtmpHandshake * hs, GError ** error, gint code, const gchar * format,
    ...) G_GNUC_PRINTF (4, 5);

static gboolean
fail (RtmpHandshake * hs, GError ** error, gint code, const gchar * format,
    ...)
{
  va_list args;

  va_start (args, format);
  hs->error = g_error_new_valist (RTMP_ERROR, code, format, args);
  va_end (args);
  hs->state = STATE_ERROR;
  GST_INFO ("handshake failed: %s", hs->error->message);
  if (error)
    *error = g_error_copy (hs->error);
  return FALSE;
}

/* C0 (reference §2.1): 3 = RTMP; 6/8/9 = RTMPE variants; other values are
 * probably another protocol on our port. */
static gboolean
server_version_byte (RtmpHandshake * hs, guint8 v, GError ** error)
{
  hs->peer_version = v;
  GST_DEBUG ("<<< C0 version %u", v);
  switch (v) {
    case RTMP_HANDSHAKE_VERSION:
      return TRUE;
    case 6:
    case 8:
    case 9:
      return fail (hs, error, RTMP_ERROR_UNSUPPORTED,
          "Client requested RTMPE (encrypted RTMP, handshake version %u), "
          "which is not supported; use rtmp:// or rtmps://", v);
    case 'G':
    case 'P':
    case 'H':
    case 'O':
    case 'C':
      return fail (hs, error, RTMP_ERROR_HANDSHAKE,
          "Unsupported RTMP handshake version %u (0x%02x '%c'): this looks "
          "like an HTTP request sent to the RTMP port", v, v, v);
    case 0x16:
      return fail (hs, error, RTMP_ERROR_HANDSHAKE,
          "Unsupported RTMP handshake version 22 (0x16): this looks like a "
          "TLS ClientHello (rtmps://) sent to a plain RTMP port");
    default:
      return fail (hs, error, RTMP_ERROR_HANDSHAKE,
          "Unsupported RTMP handshake version %u (0x%02x); only 3 is "
          "supported", v, v);
  }
}

/* S0: ffmpeg and librtmp accept only 3 too. */
static gboolean
client_version_byte (RtmpHandshake * hs, guint8 v, GError ** error)
{
  hs->peer_version = v;
  GST_DEBUG ("<<< S0 version %u", v);
  if (v != RTMP_HANDSHAKE_VERSION)
    return fail (hs, error, RTMP_ERROR_HANDSHAKE,
        "Server answered with RTMP handshake version %u (0x%02x) instead "
        "of 3", v, v);
  return TRUE;
}

/* Server, C1 complete: choose plain or digest (reference §2.2, nginx-rtmp's
 * and SRS's policy) and send S0+S1+S2 in one burst. */
static gboolean
server_got_c1 (RtmpHandshake * hs, GByteArray * out, GError ** error)
{
  const guint8 *c1 = hs->buf;
  guint8 s0 = RTMP_HANDSHAKE_VERSION;
  gint schema = -1;

  if (GST_READ_UINT32_BE (c1 + 4) != 0) {
    schema = rtmp_handshake_find_digest (c1, RTMP_HANDSHAKE_KEY_FP,
        hs->peer_digest);
    if (schema < 0)
      GST_INFO ("C1 claims version %u.%u.%u.%u but carries no valid digest; "
          "answering with a plain handshake", c1[4], c1[5], c1[6], c1[7]);
  }
  GST_DEBUG ("<<< C1 time %u, version %u.%u.%u.%u, %s",
      GST_READ_UINT32_BE (c1), c1[4], c1[5], c1[6], c1[7],
      schema < 0 ? "plain" : schema == 1 ? "digest schema 1" :
      "digest schema 0");

  if (schema >= 0) {
    /* S1 signed with the FMS key at the client's schema; S2 signed over the
     * C1 digest (what Flash Player and librtmp in digest mode verify). */
    if (!make_packet1 (hs, server_version, schema, RTMP_HANDSHAKE_KEY_FMS,
            NULL))
      goto crypto_failed;
    g_byte_array_append (out, &s0, 1);
    g_byte_array_append (out, hs->ours, PACKET_SIZE);
    if (!append_signed (hs, RTMP_HANDSHAKE_KEY_FMS, hs->peer_digest, out))
      goto crypto_failed;
    hs->digest = TRUE;
    hs->schema = schema;
  } else {
    make_packet1 (hs, NULL, -1, RTMP_HANDSHAKE_KEY_FMS, NULL);
    g_byte_array_append (out, &s0, 1);
    g_byte_array_append (out, hs->ours, PACKET_SIZE);
    append_echo (hs, c1, out);
  }
  GST_DEBUG (">>> S0+S1+S2 (%s)", hs->digest ? "digest" : "plain");
  return TRUE;

  /* ERRORS */
crypto_failed:
  return fail (hs, error, RTMP_ERROR_HANDSHAKE,
      "Could not compute the handshake HMAC-SHA256 (OpenSSL failure)");
}

/* Server, C2 complete. Never rejected (reference §2.1 "Checking C2/S2"):
 * digest clients send a signed random block, ffmpeg echoes S1 verbatim even
 * after a digest C1, replays echo someone else's S1. */
static void
server_got_c2 (RtmpHandshake * hs)
{
  const guint8 *c2 = hs->buf;

  if (hs->digest && rtmp_handshake_verify_response (c2, RTMP_HANDSHAKE_KEY_FP,
          hs->ours + digest_position (hs->ours, hs->schema))) {
    GST_DEBUG ("<<< C2: signed over our S1 digest");
  } else if (memcmp (c2 + 8, hs->ours + 8, PACKET_SIZE - 8) == 0) {
    GST_DEBUG ("<<< C2: echo of S1");
  } else {
    GST_DEBUG ("<<< C2: neither an echo of S1 nor signed; ignored");
  }
}

/* Client, S1 complete: send C2. */
static gboolean
client_got_s1 (RtmpHandshake * hs, GByteArray * out, GError ** error)
{
  const guint8 *s1 = hs->buf;

  GST_DEBUG ("<<< S1 time %u, version %u.%u.%u.%u", GST_READ_UINT32_BE (s1),
      s1[4], s1[5], s1[6], s1[7]);

  if (hs->digest && GST_READ_UINT32_BE (s1 + 4) != 0 &&
      rtmp_handshake_find_digest (s1, RTMP_HANDSHAKE_KEY_FMS,
          hs->peer_digest) >= 0) {
    /* nginx-rtmp's push client and Flash Player sign C2 this way */
    hs->peer_digest_valid = TRUE;
    if (!append_signed (hs, RTMP_HANDSHAKE_KEY_FP, hs->peer_digest, out))
      return fail (hs, error, RTMP_ERROR_HANDSHAKE,
          "Could not compute the handshake HMAC-SHA256 (OpenSSL failure)");
    GST_DEBUG (">>> C2 (signed over the S1 digest)");
  } else {
    append_echo (hs, s1, out);
    GST_DEBUG (">>> C2 (echo of S1)");
  }
  return TRUE;
}

/* Client, S2 complete: tolerant, like ffmpeg and librtmp when publishing:
 * a mismatch is only logged. */
static void
client_got_s2 (RtmpHandshake * hs)
{
  const guint8 *s2 = hs->buf;

  if (hs->digest && hs->peer_digest_valid) {
    if (rtmp_handshake_verify_response (s2, RTMP_HANDSHAKE_KEY_FMS,
            hs->our_digest))
      GST_DEBUG ("<<< S2: valid signature over our C1 digest");
    else
      GST_WARNING ("S2 signature does not match our C1 digest; continuing "
          "anyway (publishers do not need it)");
  } else if (memcmp (s2 + 8, hs->ours + 8, PACKET_SIZE - 8) == 0) {
    GST_DEBUG ("<<< S2: echo of C1");
  } else {
    GST_DEBUG ("<<< S2: not an echo of C1; ignored");
  }
}

RtmpHandshakeResult
rtmp_handshake_feed (RtmpHandshake * hs, const guint8 * data, gsize size,
    gsize * consumed, GByteArray * out, GError ** error)
{
  gsize off = 0;
  gboolean server;

  g_return_val_if_fail (hs != NULL, RTMP_HANDSHAKE_ERROR);
  g_return_val_if_fail (data != NULL || size == 0, RTMP_HANDSHAKE_ERROR);
  g_return_val_if_fail (out != NULL, RTMP_HANDSHAKE_ERROR);
  g_return_val_if_fail (error == NULL || *error == NULL, RTMP_HANDSHAKE_ERROR);

  if (consumed)
    *consumed = 0;
  server = hs->role == RTMP_HANDSHAKE_ROLE_SERVER;

  if (hs->state == STATE_CLIENT_INIT) {
    /* our caller's mistake, not the peer's: no state change */
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_STATE,
        "rtmp_handshake_start() must be called before feeding server bytes");
    return RTMP_HANDSHAKE_ERROR;
  }

  while (off < size && hs->state != STATE_DONE && hs->state != STATE_ERROR) {
    gsize n;

    if (hs->state == STATE_WAIT_VERSION) {
      gboolean ok = server ? server_version_byte (hs, data[off], error) :
          client_version_byte (hs, data[off], error);
      off++;
      if (!ok)
        break;
      hs->state = STATE_WAIT_PACKET1;
      hs->buf_len = 0;
      continue;
    }

    n = MIN (size - off, PACKET_SIZE - hs->buf_len);
    memcpy (hs->buf + hs->buf_len, data + off, n);
    hs->buf_len += n;
    off += n;
    if (hs->buf_len < PACKET_SIZE)
      break;
    hs->buf_len = 0;

    if (hs->state == STATE_WAIT_PACKET1) {
      gboolean ok = server ? server_got_c1 (hs, out, error) :
          client_got_s1 (hs, out, error);
      if (!ok)
        break;
      hs->state = STATE_WAIT_PACKET2;
    } else {
      if (server)
        server_got_c2 (hs);
      else
        client_got_s2 (hs);
      hs->state = STATE_DONE;
      GST_DEBUG ("handshake done (%s)", hs->digest ? "digest" : "plain");
    }
  }

  if (consumed)
    *consumed = off;

  switch (hs->state) {
    case STATE_DONE:
      return RTMP_HANDSHAKE_DONE;
    case STATE_ERROR:
      /* repeat the stored error on later calls */
      if (error && *error == NULL)
        *error = g_error_copy (hs->error);
      return RTMP_HANDSHAKE_ERROR;
    default:
      return RTMP_HANDSHAKE_NEED_MORE;
  }
}
