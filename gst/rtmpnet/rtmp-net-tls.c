/* RTMP net layer: TLS (RTMPS, reference §13) with OpenSSL over memory BIOs.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/*
 * The SSL object never touches the socket: received bytes are written into
 * its read BIO (rtmp_net_tls_feed), and what it wants to send is taken from
 * its write BIO (rtmp_net_tls_take_output) and queued like any other output
 * by the connection code, which keeps its non-blocking, watch-driven writes
 * and its output limits. A memory BIO never blocks on writes, so SSL_write
 * never asks to be repeated; SSL_read says NEED_MORE until a whole record is
 * in.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "rtmp-net-tls.h"
#include "rtmp-net-output.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

GST_DEBUG_CATEGORY_STATIC (rtmp_net_tls_debug);
#define GST_CAT_DEFAULT rtmp_net_tls_debug

struct _RtmpNetTls
{
  SSL *ssl;
  BIO *rbio;                    /* owned by ssl */
  BIO *wbio;                    /* owned by ssl */
  gboolean server;
  gboolean established;
  gchar *host;
  guint8 *stage;                /* rtmp_net_tls_write_buffer(), lazily */
  gsize stage_len;
};

#define STAGE_SIZE 16384        /* a full TLS record's plaintext */

static void
debug_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtmp_net_tls_debug, "rtmpnettls", 0,
        "RTMPS: TLS with OpenSSL");
    g_once_init_leave (&once, 1);
  }
}

/* OpenSSL's error queue as one line (and empties it) */
static gchar *
openssl_errors (void)
{
  GString *s = g_string_new (NULL);
  unsigned long e;

  while ((e = ERR_get_error ()) != 0) {
    gchar buf[256];
    const char *reason = ERR_reason_error_string (e);

    if (reason == NULL) {
      ERR_error_string_n (e, buf, sizeof (buf));
      reason = buf;
    }
    if (s->len)
      g_string_append (s, "; ");
    g_string_append (s, reason);
  }
  if (s->len == 0)
    g_string_append (s, "unknown OpenSSL error");
  return g_string_free (s, FALSE);
}

static SSL_CTX *
context_new (const SSL_METHOD * method, GError ** error)
{
  SSL_CTX *ctx = SSL_CTX_new (method);

  if (ctx == NULL) {
    gchar *why = openssl_errors ();

    g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_MISC,
        "Could not create an OpenSSL context: %s", why);
    g_free (why);
    return NULL;
  }
  /* TLS 1.2 is the oldest version still considered safe (RFC 8996 retires
   * 1.0 and 1.1); every current encoder (OBS, ffmpeg, GIO) has 1.2+ */
  SSL_CTX_set_min_proto_version (ctx, TLS1_2_VERSION);
#ifdef SSL_OP_NO_RENEGOTIATION
  SSL_CTX_set_options (ctx, SSL_OP_NO_RENEGOTIATION);
#endif
  SSL_CTX_set_mode (ctx, SSL_MODE_RELEASE_BUFFERS);
  return ctx;
}

RtmpNetTlsContext *
rtmp_net_tls_context_new_server (const gchar * cert_file,
    const gchar * key_file, GError ** error)
{
  SSL_CTX *ctx;
  gchar *why;

  debug_init ();
  if (cert_file == NULL || *cert_file == '\0') {
    g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_MISC,
        "TLS needs a certificate: set tls-certificate to a PEM file");
    return NULL;
  }
  if (key_file == NULL || *key_file == '\0')
    key_file = cert_file;       /* a PEM holding both */

  ERR_clear_error ();
  ctx = context_new (TLS_server_method (), error);
  if (ctx == NULL)
    return NULL;
  if (SSL_CTX_use_certificate_chain_file (ctx, cert_file) != 1) {
    why = openssl_errors ();
    g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_MISC,
        "Could not load the TLS certificate (chain) from '%s': %s",
        cert_file, why);
    goto failed;
  }
  if (SSL_CTX_use_PrivateKey_file (ctx, key_file, SSL_FILETYPE_PEM) != 1) {
    why = openssl_errors ();
    g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_MISC,
        "Could not load the TLS private key from '%s': %s", key_file, why);
    goto failed;
  }
  if (SSL_CTX_check_private_key (ctx) != 1) {
    why = openssl_errors ();
    g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_MISC,
        "The private key '%s' does not belong to the certificate '%s': %s",
        key_file, cert_file, why);
    goto failed;
  }
  return ctx;

failed:
  g_free (why);
  SSL_CTX_free (ctx);
  return NULL;
}

RtmpNetTlsContext *
rtmp_net_tls_context_new_client (const gchar * ca_file, gboolean verify,
    GError ** error)
{
  SSL_CTX *ctx;

  debug_init ();
  ERR_clear_error ();
  ctx = context_new (TLS_client_method (), error);
  if (ctx == NULL)
    return NULL;
  if (verify) {
    SSL_CTX_set_verify (ctx, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_set_default_verify_paths (ctx) != 1) {
      gchar *why = openssl_errors ();

      GST_WARNING ("could not load the system CA store: %s", why);
      g_free (why);
    }
  }
  if (ca_file && *ca_file
      && SSL_CTX_load_verify_locations (ctx, ca_file, NULL) != 1) {
    gchar *why = openssl_errors ();

    g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_MISC,
        "Could not load the CA certificates from '%s' (tls-ca-file): %s",
        ca_file, why);
    g_free (why);
    SSL_CTX_free (ctx);
    return NULL;
  }
  return ctx;
}

RtmpNetTlsContext *
rtmp_net_tls_context_ref (RtmpNetTlsContext * ctx)
{
  SSL_CTX_up_ref (ctx);
  return ctx;
}

void
rtmp_net_tls_context_unref (RtmpNetTlsContext * ctx)
{
  if (ctx)
    SSL_CTX_free (ctx);
}

static RtmpNetTls *
tls_new (SSL_CTX * ctx, gboolean server)
{
  RtmpNetTls *tls = g_new0 (RtmpNetTls, 1);

  debug_init ();
  tls->server = server;
  tls->ssl = SSL_new (ctx);
  tls->rbio = BIO_new (BIO_s_mem ());
  tls->wbio = BIO_new (BIO_s_mem ());
  /* an empty read BIO means "retry later", not end of file */
  BIO_set_mem_eof_return (tls->rbio, -1);
  BIO_set_mem_eof_return (tls->wbio, -1);
  SSL_set_bio (tls->ssl, tls->rbio, tls->wbio);
  return tls;
}

RtmpNetTls *
rtmp_net_tls_new_server (RtmpNetTlsContext * ctx)
{
  RtmpNetTls *tls = tls_new (ctx, TRUE);

  SSL_set_accept_state (tls->ssl);
  return tls;
}

RtmpNetTls *
rtmp_net_tls_new_client (RtmpNetTlsContext * ctx, const gchar * host)
{
  RtmpNetTls *tls = tls_new (ctx, FALSE);
  gboolean is_ip = host && g_hostname_is_ip_address (host);

  tls->host = g_strdup (host);
  SSL_set_connect_state (tls->ssl);
  /* RFC 6066: SNI carries host names only, never IP literals; ingest
   * services pick the certificate by it (reference §13) */
  if (host && !is_ip)
    SSL_set_tlsext_host_name (tls->ssl, host);
  if (host && (SSL_CTX_get_verify_mode (ctx) & SSL_VERIFY_PEER)) {
    if (is_ip)
      X509_VERIFY_PARAM_set1_ip_asc (SSL_get0_param (tls->ssl), host);
    else
      SSL_set1_host (tls->ssl, host);
  }
  return tls;
}

void
rtmp_net_tls_free (RtmpNetTls * tls)
{
  if (tls == NULL)
    return;
  SSL_free (tls->ssl);
  g_free (tls->host);
  g_free (tls->stage);
  g_free (tls);
}

void
rtmp_net_tls_feed (RtmpNetTls * tls, const guint8 * data, gsize size)
{
  while (size > 0) {
    int n = BIO_write (tls->rbio, data, (int) MIN (size, G_MAXINT));

    if (n <= 0) {
      GST_ERROR ("BIO_write into a memory BIO failed");
      return;
    }
    data += n;
    size -= n;
  }
}

/* an error from SSL_get_error() != WANT_* */
static void
set_ssl_error (RtmpNetTls * tls, int ssl_err, const gchar * what,
    GError ** error)
{
  long vr = SSL_get_verify_result (tls->ssl);
  gchar *why;

  if (!tls->server && vr != X509_V_OK) {
    ERR_clear_error ();
    g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
        "The server certificate of '%s' could not be verified: %s",
        GST_STR_NULL (tls->host), X509_verify_cert_error_string (vr));
    return;
  }
  if (ssl_err == SSL_ERROR_SYSCALL && ERR_peek_error () == 0)
    why = g_strdup ("the peer closed the connection or sent garbage");
  else
    why = openssl_errors ();
  g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_HANDSHAKE, "TLS %s failed: %s",
      what, why);
  g_free (why);
}

gboolean
rtmp_net_tls_handshake (RtmpNetTls * tls, GError ** error)
{
  int r, e;

  if (tls->established)
    return TRUE;
  ERR_clear_error ();
  r = SSL_do_handshake (tls->ssl);
  if (r == 1) {
    tls->established = TRUE;
    if (gst_debug_category_get_threshold (rtmp_net_tls_debug) >=
        GST_LEVEL_INFO) {
      gchar *d = rtmp_net_tls_describe (tls);
      GST_INFO ("TLS handshake done: %s", d);
      g_free (d);
    }
    return TRUE;
  }
  e = SSL_get_error (tls->ssl, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
    return TRUE;
  set_ssl_error (tls, e, "handshake", error);
  return FALSE;
}

gboolean
rtmp_net_tls_is_established (RtmpNetTls * tls)
{
  return tls->established;
}

RtmpNetTlsReadResult
rtmp_net_tls_read (RtmpNetTls * tls, guint8 * buf, gsize size, gsize * n,
    GError ** error)
{
  size_t got = 0;
  int r, e;

  *n = 0;
  ERR_clear_error ();
  r = SSL_read_ex (tls->ssl, buf, size, &got);
  if (r == 1) {
    tls->established = TRUE;
    *n = got;
    return RTMP_NET_TLS_READ_DATA;
  }
  e = SSL_get_error (tls->ssl, r);
  switch (e) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return RTMP_NET_TLS_READ_NEED_MORE;
    case SSL_ERROR_ZERO_RETURN:
      return RTMP_NET_TLS_READ_CLOSED;
    default:
      set_ssl_error (tls, e, "read", error);
      return RTMP_NET_TLS_READ_ERROR;
  }
}

gboolean
rtmp_net_tls_write (RtmpNetTls * tls, const guint8 * data, gsize size,
    GError ** error)
{
  while (size > 0) {
    size_t written = 0;
    int r;

    ERR_clear_error ();
    r = SSL_write_ex (tls->ssl, data, size, &written);
    if (r != 1) {
      set_ssl_error (tls, SSL_get_error (tls->ssl, r), "write", error);
      return FALSE;
    }
    data += written;
    size -= written;
  }
  return TRUE;
}

/* The stretches of a buffer gathered into TLS records of up to a full
 * record's plaintext (a chunk header alone would be a record of its own) */
static gboolean
stage_flush (RtmpNetTls * tls, GError ** error)
{
  gboolean ok = tls->stage_len == 0 || rtmp_net_tls_write (tls, tls->stage,
      tls->stage_len, error);

  tls->stage_len = 0;
  return ok;
}

static gboolean
stage_add (gpointer user_data, const guint8 * data, gsize size, GError ** error)
{
  RtmpNetTls *tls = user_data;

  while (size > 0) {
    gsize n = MIN (size, STAGE_SIZE - tls->stage_len);

    memcpy (tls->stage + tls->stage_len, data, n);
    tls->stage_len += n;
    data += n;
    size -= n;
    if (tls->stage_len == STAGE_SIZE && !stage_flush (tls, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
rtmp_net_tls_write_buffer (RtmpNetTls * tls, GstBuffer * buf, GError ** error)
{
  gboolean ok;

  if (tls->stage == NULL)
    tls->stage = g_malloc (STAGE_SIZE);
  tls->stage_len = 0;
  ok = rtmp_net_output_foreach (buf, stage_add, tls, error)
      && stage_flush (tls, error);
  tls->stage_len = 0;
  return ok;
}

void
rtmp_net_tls_close (RtmpNetTls * tls)
{
  ERR_clear_error ();
  if (tls->established)
    SSL_shutdown (tls->ssl);
  ERR_clear_error ();
}

GstBuffer *
rtmp_net_tls_take_output (RtmpNetTls * tls)
{
  size_t pending = BIO_ctrl_pending (tls->wbio);
  GstBuffer *buf;
  GstMapInfo map;
  int n;

  if (pending == 0)
    return NULL;
  buf = gst_buffer_new_allocate (NULL, pending, NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  n = BIO_read (tls->wbio, map.data, (int) pending);
  gst_buffer_unmap (buf, &map);
  if (n <= 0) {
    gst_buffer_unref (buf);
    return NULL;
  }
  gst_buffer_set_size (buf, n);
  return buf;
}

gchar *
rtmp_net_tls_describe (RtmpNetTls * tls)
{
  return g_strdup_printf ("%s %s", SSL_get_version (tls->ssl),
      SSL_get_cipher_name (tls->ssl));
}

void
rtmp_net_tls_thread_release (void)
{
  OPENSSL_thread_stop ();
}
