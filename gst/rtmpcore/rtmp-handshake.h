/* RTMP core: the handshake (C0/C1/C2, S0/S1/S2), both roles, plain and digest.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMP_HANDSHAKE_H__
#define __RTMP_HANDSHAKE_H__

#include <glib.h>

G_BEGIN_DECLS

/* reference §2.1: C0/S0 is one byte, C1/S1/C2/S2 are 1536 bytes each; the
 * first chunk of either direction starts at byte 3073. */
#define RTMP_HANDSHAKE_VERSION 3
#define RTMP_HANDSHAKE_PACKET_SIZE 1536
#define RTMP_HANDSHAKE_TOTAL_SIZE (1 + 2 * RTMP_HANDSHAKE_PACKET_SIZE)
#define RTMP_HANDSHAKE_DIGEST_SIZE 32

typedef enum
{
  RTMP_HANDSHAKE_ROLE_SERVER,
  RTMP_HANDSHAKE_ROLE_CLIENT,
} RtmpHandshakeRole;

typedef enum
{
  RTMP_HANDSHAKE_NEED_MORE,
  RTMP_HANDSHAKE_DONE,
  RTMP_HANDSHAKE_ERROR,
} RtmpHandshakeResult;

typedef struct _RtmpHandshake RtmpHandshake;

/**
 * RtmpHandshakeRandomFunc:
 * @buf: where to write @len random bytes
 * @len: how many bytes
 * @user_data: as given to rtmp_handshake_set_random_func()
 *
 * A source of random bytes (tests install a deterministic one).
 */
typedef void (*RtmpHandshakeRandomFunc) (guint8 * buf, gsize len,
    gpointer user_data);

/**
 * RtmpHandshakeTimeFunc:
 * @user_data: as given to rtmp_handshake_set_time_func()
 *
 * Returns: our current time in milliseconds (the C1/S1 "time" epoch and the
 * C2/S2 "time2" field). Default: milliseconds since the handshake object
 * was created (so our epoch is about 0, like ffmpeg's client).
 */
typedef guint32 (*RtmpHandshakeTimeFunc) (gpointer user_data);

RtmpHandshake *rtmp_handshake_new (RtmpHandshakeRole role);
void rtmp_handshake_free (RtmpHandshake * hs);

/* client: whether to send a digest C1 (default TRUE, schema 1 like
 * ffmpeg/Flash). Call before rtmp_handshake_start(). */
void rtmp_handshake_set_client_digest (RtmpHandshake * hs, gboolean digest);

/* client only: appends C0+C1 to @out (call once, at start) */
void rtmp_handshake_start (RtmpHandshake * hs, GByteArray * out);

/* Feeds received bytes. Consumes only handshake bytes: *consumed may be
 * < @size when DONE (the rest is chunk data, e.g. a client's connect
 * pipelined after C2). Appends bytes to send to @out (S0+S1+S2 for the
 * server, as soon as C1 is complete; C2 for the client, as soon as S1 is
 * complete). After DONE or ERROR, further calls return the same result and
 * consume nothing. */
RtmpHandshakeResult rtmp_handshake_feed (RtmpHandshake * hs,
    const guint8 * data, gsize size, gsize * consumed, GByteArray * out,
    GError ** error);

/* server: the peer sent a valid digest C1 (and we answered with digest
 * S1/S2); client: we sent a digest C1. */
gboolean rtmp_handshake_is_digest (const RtmpHandshake * hs);

/* the peer's C0/S0 version byte (0 until received) */
guint rtmp_handshake_get_peer_version (const RtmpHandshake * hs);

/* --- Extras (testing, diagnostics) --- */

/* Replaces the random source (default: a fast PRNG seeded from g_random).
 * @func NULL restores the default. */
void rtmp_handshake_set_random_func (RtmpHandshake * hs,
    RtmpHandshakeRandomFunc func, gpointer user_data);

/* Seeds the built-in PRNG (deterministic output for tests). */
void rtmp_handshake_set_seed (RtmpHandshake * hs, guint64 seed);

/* Replaces the clock used for the time fields (@func NULL: default). */
void rtmp_handshake_set_time_func (RtmpHandshake * hs,
    RtmpHandshakeTimeFunc func, gpointer user_data);

/* The digest schema of the digest handshake (reference §2.3: 1 = digest in
 * block A at 12 + ..., 0 = digest in block B at 776 + ...), or -1 when the
 * handshake is plain / not yet decided. */
gint rtmp_handshake_get_schema (const RtmpHandshake * hs);

/**
 * RtmpHandshakeKey:
 * @RTMP_HANDSHAKE_KEY_FP: the Flash Player key (signs C1 / C2)
 * @RTMP_HANDSHAKE_KEY_FMS: the Flash Media Server key (signs S1 / S2)
 */
typedef enum
{
  RTMP_HANDSHAKE_KEY_FP,
  RTMP_HANDSHAKE_KEY_FMS,
} RtmpHandshakeKey;

/* Looks for a valid digest in a 1536-byte C1 (@key FP) or S1 (@key FMS),
 * trying schema 0 then schema 1. Returns the schema (0 or 1) and copies the
 * digest to @digest_out (may be NULL), or returns -1 if neither validates. */
gint rtmp_handshake_find_digest (const guint8 * packet, RtmpHandshakeKey key,
    guint8 * digest_out);

/* Checks that the last 32 bytes of a 1536-byte S2 (@key FMS) or C2 (@key
 * FP) are HMAC(HMAC(full key, @peer_digest), first 1504 bytes), where
 * @peer_digest is the digest of the C1 (for S2) / S1 (for C2) it answers. */
gboolean rtmp_handshake_verify_response (const guint8 * packet,
    RtmpHandshakeKey key, const guint8 * peer_digest);

G_END_DECLS

#endif /* __RTMP_HANDSHAKE_H__ */
