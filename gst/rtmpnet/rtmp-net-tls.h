/* RTMP net layer: TLS (RTMPS, reference §13) with OpenSSL over memory BIOs,
 * so the non-blocking socket code stays the owner of the socket.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMP_NET_TLS_H__
#define __RTMP_NET_TLS_H__

#include <gio/gio.h>
#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * RtmpNetTlsMode:
 * @RTMP_NET_TLS_MODE_PLAIN: plain RTMP only
 * @RTMP_NET_TLS_MODE_TLS: RTMPS only
 * @RTMP_NET_TLS_MODE_BOTH: either on the same port: a first byte 0x16 (TLS
 *     handshake record) means TLS, 0x03 (RTMP C0) plain
 */
typedef enum
{
  RTMP_NET_TLS_MODE_PLAIN,
  RTMP_NET_TLS_MODE_TLS,
  RTMP_NET_TLS_MODE_BOTH,
} RtmpNetTlsMode;

/* the first byte of a TLS record carrying a handshake (ClientHello) */
#define RTMP_NET_TLS_RECORD_HANDSHAKE 0x16

/* An OpenSSL SSL_CTX, reference counted (SSL_CTX_up_ref). */
typedef struct ssl_ctx_st RtmpNetTlsContext;

/* Server: certificate chain (PEM, leaf first) and private key (PEM);
 * TLS 1.2 or newer. Errors name the file and OpenSSL's reason. */
RtmpNetTlsContext *rtmp_net_tls_context_new_server (const gchar * cert_file,
    const gchar * key_file, GError ** error);
/* Client: verify against the system CA store, plus @ca_file (PEM, may be
 * NULL); @verify FALSE: no verification. TLS 1.2 or newer. */
RtmpNetTlsContext *rtmp_net_tls_context_new_client (const gchar * ca_file,
    gboolean verify, GError ** error);
RtmpNetTlsContext *rtmp_net_tls_context_ref (RtmpNetTlsContext * ctx);
void rtmp_net_tls_context_unref (RtmpNetTlsContext * ctx);

typedef struct _RtmpNetTls RtmpNetTls;

/* @host (client): sent as SNI and, when verifying, checked against the
 * certificate (an IP literal is checked as an IP address). */
RtmpNetTls *rtmp_net_tls_new_server (RtmpNetTlsContext * ctx);
RtmpNetTls *rtmp_net_tls_new_client (RtmpNetTlsContext * ctx,
    const gchar * host);
void rtmp_net_tls_free (RtmpNetTls * tls);

/* Bytes received from the socket (always taken whole). */
void rtmp_net_tls_feed (RtmpNetTls * tls, const guint8 * data, gsize size);

/* Advances the handshake (a client's first call produces its
 * ClientHello). FALSE with @error on failure, in the G_TLS_ERROR domain:
 * G_TLS_ERROR_BAD_CERTIFICATE when a client refused the server's
 * certificate (the message says why, X509_verify_cert_error_string),
 * G_TLS_ERROR_HANDSHAKE otherwise (the message has OpenSSL's reason).
 * No GIO TLS is used: only its error domain. */
gboolean rtmp_net_tls_handshake (RtmpNetTls * tls, GError ** error);
gboolean rtmp_net_tls_is_established (RtmpNetTls * tls);

typedef enum
{
  RTMP_NET_TLS_READ_DATA,
  RTMP_NET_TLS_READ_NEED_MORE,
  RTMP_NET_TLS_READ_CLOSED,     /* the peer sent close_notify */
  RTMP_NET_TLS_READ_ERROR,
} RtmpNetTlsReadResult;

/* Decrypted bytes into @buf (at most @size): DATA sets *@n. */
RtmpNetTlsReadResult rtmp_net_tls_read (RtmpNetTls * tls, guint8 * buf,
    gsize size, gsize * n, GError ** error);

/* Encrypts all of @data (after the handshake). */
gboolean rtmp_net_tls_write (RtmpNetTls * tls, const guint8 * data,
    gsize size, GError ** error);
/* Encrypts all bytes of @buf (after the handshake), message memories of
 * the chunk writer without a flat copy. */
gboolean rtmp_net_tls_write_buffer (RtmpNetTls * tls, GstBuffer * buf,
    GError ** error);
/* Queues close_notify. */
void rtmp_net_tls_close (RtmpNetTls * tls);

/* Frees what OpenSSL keeps for the calling thread (its error queue, made
 * at the first TLS call). OpenSSL frees it when the thread exits; a
 * thread that goes back to a pool (a GstTask's) and lives on calls this
 * when it stops using TLS. Using TLS again afterwards is fine. */
void rtmp_net_tls_thread_release (void);

/* Bytes to send on the socket, or NULL. (transfer full) */
GstBuffer *rtmp_net_tls_take_output (RtmpNetTls * tls);

/* "TLSv1.3 TLS_AES_256_GCM_SHA384" (after the handshake) */
gchar *rtmp_net_tls_describe (RtmpNetTls * tls);

G_END_DECLS

#endif /* __RTMP_NET_TLS_H__ */
