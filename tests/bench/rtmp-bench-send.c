/* Benchmark tool: a fast RTMP publisher replaying a pre-chunked session.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* rtmp-bench-send builds a large H.264+AAC-shaped stream from an FLV file
 * (tests/fixtures/source.flv: its media tags repeated with increasing
 * timestamps, each video frame grown to a chosen bitrate by one H.264
 * filler-data NAL unit), chunks it ONCE at start-up with the chosen chunk
 * size into one contiguous array, then for each stream does a real
 * handshake + connect / createStream / publish (our core's client session)
 * and writes the array:
 *
 *   - fast mode (default): with large write() calls, as fast as the server
 *     reads. The end time is when the server's Acknowledgement shows it
 *     has read (nearly) everything, else the end of the last write.
 *   - real-time mode (--realtime): each message at its timestamp, stamped
 *     with CLOCK_MONOTONIC (ns) right before its write ("BNCH" + 8 bytes
 *     big-endian, inside the filler NAL for video, at byte 2 of AAC raw
 *     frames), K streams (--streams) in K threads.
 *
 * --write-flv FILE writes the generated stream as an FLV file instead (the
 * input of the publish benchmark). Results go to stdout as key=value
 * lines. This is a benchmark tool, not production code: it trusts its
 * input file and aborts on anything unexpected. */

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <gst/gst.h>

#include "rtmp-chunk-writer.h"
#include "rtmp-session.h"

#define STAMP_MAGIC "BNCH"
#define STAMP_LEN 12            /* magic + 8-byte ns */
#define FAST_WRITE_SIZE (1 << 20)

typedef struct
{
  guint8 type;
  guint32 ts;
  const guint8 *data;
  gsize size;
} SrcTag;

typedef struct
{
  guint32 ts;
  gsize start, end;             /* in the chunked array */
  gssize stamp;                 /* absolute offset of the 8 ns bytes, or -1 */
} ChunkedMsg;

/* options */
static gchar *opt_host = NULL;
static gchar *opt_ports = NULL;
static gchar *opt_app = NULL;
static gchar *opt_stream = NULL;
static gchar *opt_source = NULL;
static gchar *opt_write_flv = NULL;
static gint opt_chunk_size = 4096;
static gint opt_size_mb = 256;
static gint opt_video_kbps = 8000;
static gboolean opt_realtime = FALSE;
static gdouble opt_duration = 10.0;
static gint opt_streams = 1;
static gint opt_stagger_ms = 13;

/* the generated stream */
static GPtrArray *gen_msgs;     /* of RtmpMessage* (payload owned) */
static guint gen_n_headers;
static guint n_per_loop;        /* media messages per loop */
static guint32 loop_dur;        /* ms */
static gsize seg_start, seg_end;        /* loop 1 in the chunked array */
static guint8 *chunked;
static gsize chunked_size;
static GArray *chunked_msgs;    /* of ChunkedMsg */
static gsize chunked_header_end;        /* end of the header messages */
static guint32 stream_msid = 1;
static guint16 *ports;
static guint n_ports;

static gint64
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die (const gchar * fmt, ...) G_GNUC_PRINTF (1, 2) G_GNUC_NORETURN;

static void
die (const gchar * fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
  exit (2);
}

static GPtrArray *
parse_flv (const guint8 * data, gsize size)
{
  GPtrArray *tags = g_ptr_array_new_with_free_func (g_free);
  gsize off;

  if (size < 13 || memcmp (data, "FLV", 3) != 0)
    die ("not an FLV file");
  off = GST_READ_UINT32_BE (data + 5) + 4;
  while (off + 11 <= size) {
    SrcTag *t = g_new0 (SrcTag, 1);
    gsize len = GST_READ_UINT24_BE (data + off + 1);
    t->type = data[off] & 0x1f;
    t->ts = GST_READ_UINT24_BE (data + off + 4) | (data[off + 7] << 24);
    if (off + 11 + len > size) {
      g_free (t);
      break;
    }
    t->data = data + off + 11;
    t->size = len;
    g_ptr_array_add (tags, t);
    off += 11 + len + 4;
  }
  return tags;
}

static gboolean
tag_is_header (const SrcTag * t)
{
  if (t->type == 18)
    return TRUE;
  if (t->type == 9 && t->size >= 2 && (t->data[0] & 0x0f) == 7)
    return t->data[1] != 1;
  if (t->type == 8 && t->size >= 2 && (t->data[0] >> 4) == 10)
    return t->data[1] == 0;
  return FALSE;
}

static void
add_msg (guint8 type, guint32 ts, guint8 * payload, gsize size)
{
  RtmpMessage *m = g_new0 (RtmpMessage, 1);
  m->type = type;
  m->csid = type == 8 ? RTMP_CSID_AUDIO : type == 9 ? RTMP_CSID_VIDEO :
      RTMP_CSID_DATA;
  m->msid = stream_msid;
  m->timestamp = ts;
  m->payload = gst_buffer_new_wrapped (payload, size);
  g_ptr_array_add (gen_msgs, m);
}

/* Builds gen_msgs: the header tags once, then the media tags three times
 * (loops 0, 1, 2) with increasing timestamps. Chunked, loops 1 and 2 give
 * the same bytes (same deltas, lengths, types), so the stream is sent as
 * headers + loop 0 + loop 1 repeated: little memory, nothing to prepare. */
static void
generate (const gchar * path)
{
  gchar *contents;
  gsize len, i;
  GPtrArray *tags;
  guint32 first_ts = G_MAXUINT32, last_ts = 0;
  guint n_video = 0;
  guint64 video_bytes = 0;
  gsize pad = 0;
  guint32 loop;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    die ("cannot read %s", path);
  tags = parse_flv ((const guint8 *) contents, len);
  gen_msgs = g_ptr_array_new ();

  for (i = 0; i < tags->len; i++) {
    SrcTag *t = g_ptr_array_index (tags, i);
    if (tag_is_header (t)) {
      guint8 *p;
      if (t->type == 18) {
        /* publishers send metadata as @setDataFrame(onMetaData, ...) */
        static const guint8 sdf[] = { 0x02, 0x00, 0x0d, '@', 's', 'e', 't',
          'D', 'a', 't', 'a', 'F', 'r', 'a', 'm', 'e'
        };
        p = g_malloc (sizeof sdf + t->size);
        memcpy (p, sdf, sizeof sdf);
        memcpy (p + sizeof sdf, t->data, t->size);
        add_msg (18, 0, p, sizeof sdf + t->size);
      } else {
        add_msg (t->type, 0, g_memdup2 (t->data, t->size), t->size);
      }
      continue;
    }
    if (t->type != 8 && t->type != 9)
      continue;
    first_ts = MIN (first_ts, t->ts);
    last_ts = MAX (last_ts, t->ts);
    if (t->type == 9) {
      n_video++;
      video_bytes += t->size;
    }
  }
  gen_n_headers = gen_msgs->len;
  if (first_ts > last_ts || n_video == 0)
    die ("no media in %s", path);
  loop_dur = last_ts - first_ts + 40;
  {
    gdouble fps = n_video * 1000.0 / loop_dur;
    gdouble want = opt_video_kbps * 125.0 / fps;
    gdouble have = (gdouble) video_bytes / n_video;
    pad = want > have + 15 ? (gsize) (want - have - 15) : 0;
  }

  for (loop = 0; loop < 3; loop++) {
    for (i = 0; i < tags->len; i++) {
      SrcTag *t = g_ptr_array_index (tags, i);
      guint32 ts = t->ts - first_ts + loop * loop_dur;
      guint8 *p;
      gsize size;

      if (tag_is_header (t) || (t->type != 8 && t->type != 9))
        continue;
      if (t->type == 9 && t->size >= 5 && (t->data[0] & 0x0f) == 7) {
        /* [5-byte header][filler NAL: len, 0x0c, stamp, pad 0xff, 0x80]
         * [the frame's NAL units] */
        gsize nal = 1 + STAMP_LEN + pad + 1;
        size = t->size + 4 + nal;
        p = g_malloc (size);
        memcpy (p, t->data, 5);
        GST_WRITE_UINT32_BE (p + 5, nal);
        p[9] = 0x0c;
        memcpy (p + 10, STAMP_MAGIC, 4);
        memset (p + 14, 0, 8);
        memset (p + 22, 0xff, pad);
        p[22 + pad] = 0x80;
        memcpy (p + 23 + pad, t->data + 5, t->size - 5);
      } else {
        size = t->size;
        p = g_memdup2 (t->data, size);
        if (t->type == 8 && size >= 2 + STAMP_LEN && (p[0] >> 4) == 10) {
          memcpy (p + 2, STAMP_MAGIC, 4);
          memset (p + 6, 0, 8);
        }
      }
      add_msg (t->type, ts, p, size);
    }
    if (loop == 0)
      n_per_loop = gen_msgs->len - gen_n_headers;
  }
  g_ptr_array_unref (tags);
  g_free (contents);
}

static void
write_tag (FILE * f, RtmpMessage * m, guint32 ts)
{
  GstMapInfo map;
  guint8 th[11], pts[4];
  gsize skip = 0;

  gst_buffer_map (m->payload, &map, GST_MAP_READ);
  if (m->type == 18)
    skip = 16;                  /* no @setDataFrame in files */
  th[0] = m->type;
  GST_WRITE_UINT24_BE (th + 1, map.size - skip);
  GST_WRITE_UINT24_BE (th + 4, ts & 0xffffff);
  th[7] = ts >> 24;
  memset (th + 8, 0, 3);
  fwrite (th, 1, 11, f);
  fwrite (map.data + skip, 1, map.size - skip, f);
  GST_WRITE_UINT32_BE (pts, 11 + map.size - skip);
  fwrite (pts, 1, 4, f);
  gst_buffer_unmap (m->payload, &map);
}

/* headers, then loop 0 repeated with increasing timestamps */
static void
write_flv (const gchar * path, guint64 target_bytes)
{
  FILE *f = fopen (path, "wb");
  static const guint8 hdr[13] = { 'F', 'L', 'V', 1, 5, 0, 0, 0, 9, 0, 0, 0,
    0
  };
  guint i, loop;
  guint64 written = 0;

  if (!f)
    die ("cannot write %s", path);
  fwrite (hdr, 1, sizeof hdr, f);
  for (i = 0; i < gen_n_headers; i++)
    write_tag (f, g_ptr_array_index (gen_msgs, i), 0);
  for (loop = 0; written < target_bytes; loop++) {
    for (i = 0; i < n_per_loop; i++) {
      RtmpMessage *m = g_ptr_array_index (gen_msgs, gen_n_headers + i);
      write_tag (f, m, m->timestamp + loop * loop_dur);
      written += gst_buffer_get_size (m->payload) + 15;
    }
  }
  if (fclose (f) != 0)
    die ("write error on %s", path);
}

/* Chunks every generated message once into the contiguous array. */
static void
prechunk (void)
{
  RtmpChunkWriter *w = rtmp_chunk_writer_new ();
  GByteArray *arr = g_byte_array_new ();
  guint i;

  rtmp_chunk_writer_set_chunk_size (w, opt_chunk_size);
  chunked_msgs = g_array_new (FALSE, FALSE, sizeof (ChunkedMsg));
  for (i = 0; i < gen_msgs->len; i++) {
    RtmpMessage *m = g_ptr_array_index (gen_msgs, i);
    GstBuffer *out = gst_buffer_new ();
    GstMapInfo map;
    ChunkedMsg cm = { m->timestamp, arr->len, 0, -1 };
    guint8 *hit;

    m->msid = stream_msid;
    rtmp_chunk_writer_write (w, m, out);
    gst_buffer_map (out, &map, GST_MAP_READ);
    g_byte_array_append (arr, map.data, map.size);
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
    cm.end = arr->len;
    hit = memmem (arr->data + cm.start, MIN (64, cm.end - cm.start),
        STAMP_MAGIC, 4);
    if (hit && i >= gen_n_headers)
      cm.stamp = hit - arr->data + 4;
    g_array_append_val (chunked_msgs, cm);
    if (i + 1 == gen_n_headers)
      chunked_header_end = arr->len;
    if (i + 1 == gen_n_headers + n_per_loop)
      seg_start = arr->len;
    if (i + 1 == gen_n_headers + 2 * n_per_loop)
      seg_end = arr->len;
  }
  chunked_size = arr->len;
  chunked = g_byte_array_free (arr, FALSE);
  rtmp_chunk_writer_free (w);
  if (chunked_size - seg_end != seg_end - seg_start ||
      memcmp (chunked + seg_start, chunked + seg_end, seg_end - seg_start))
    die ("loops 1 and 2 chunk differently: cannot repeat loop 1");
}

/* --- one connection --- */

typedef struct
{
  guint index;
  gint fd;
  RtmpSession *session;
  guint64 bytes_sent;
  guint64 last_ack;
  gint64 last_ack_time;
  gint64 t_start, t_end;
  gint64 max_late_ns;
  gboolean failed;
  gchar *error;
  guint8 rbuf[65536];
} Conn;

static void
conn_fail (Conn * c, const gchar * what)
{
  if (!c->failed) {
    c->failed = TRUE;
    c->error = g_strdup_printf ("%s (%s)", what, g_strerror (errno));
  }
}

static gboolean
write_all (Conn * c, const guint8 * data, gsize len)
{
  while (len > 0) {
    ssize_t n = write (c->fd, data, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      conn_fail (c, "write");
      return FALSE;
    }
    data += n;
    len -= n;
    c->bytes_sent += n;
  }
  return TRUE;
}

static gboolean
send_session_output (Conn * c)
{
  GstBufferList *list;

  while ((list = rtmp_session_take_output (c->session))) {
    guint i, n = gst_buffer_list_length (list);
    for (i = 0; i < n; i++) {
      GstBuffer *b = gst_buffer_list_get (list, i);
      GstMapInfo map;
      gboolean ok;
      gst_buffer_map (b, &map, GST_MAP_READ);
      ok = write_all (c, map.data, map.size);
      gst_buffer_unmap (b, &map);
      if (!ok) {
        gst_buffer_list_unref (list);
        return FALSE;
      }
    }
    gst_buffer_list_unref (list);
  }
  return TRUE;
}

/* Reads what is there (non-blocking, or waiting up to @timeout_ms), feeds
 * the session, handles its events. Returns FALSE on EOF / error. */
static gboolean
pump_input (Conn * c, gint timeout_ms, RtmpSessionEventType * last)
{
  struct pollfd pfd = { c->fd, POLLIN, 0 };
  RtmpSessionEvent ev;
  GError *err = NULL;
  ssize_t n;
  gsize off = 0;

  if (poll (&pfd, 1, timeout_ms) <= 0)
    return TRUE;
  n = recv (c->fd, c->rbuf, sizeof c->rbuf, MSG_DONTWAIT);
  if (n == 0) {
    errno = 0;
    conn_fail (c, "server closed the connection");
    return FALSE;
  }
  if (n < 0)
    return errno == EAGAIN || errno == EINTR;
  while (off < (gsize) n) {
    gsize consumed = 0;
    if (!rtmp_session_feed (c->session, c->rbuf + off, n - off, &consumed,
            &err)) {
      errno = 0;
      conn_fail (c, err->message);
      g_error_free (err);
      return FALSE;
    }
    if (consumed == 0)
      break;
    off += consumed;
  }
  while (rtmp_session_next_event (c->session, &ev)) {
    if (ev.type == RTMP_SESSION_EVENT_ACK_RECEIVED) {
      c->last_ack = ev.value;
      c->last_ack_time = now_ns ();
    }
    if (last)
      *last = ev.type;
    if (ev.type == RTMP_SESSION_EVENT_REJECTED
        || ev.type == RTMP_SESSION_EVENT_ERROR) {
      errno = 0;
      conn_fail (c, ev.code ? ev.code : "rejected");
    }
    rtmp_session_event_clear (&ev);
  }
  return !c->failed;
}

static gboolean
conn_open (Conn * c, const gchar * host, guint16 port, const gchar * name)
{
  struct addrinfo hints = { 0 }, *res = NULL;
  gchar portstr[8], *tc_url;
  RtmpClientConfig cfg;
  gint one = 1;
  gint64 deadline;

  hints.ai_socktype = SOCK_STREAM;
  g_snprintf (portstr, sizeof portstr, "%u", port);
  if (getaddrinfo (host, portstr, &hints, &res) != 0)
    die ("cannot resolve %s", host);
  c->fd = socket (res->ai_family, SOCK_STREAM, 0);
  if (connect (c->fd, res->ai_addr, res->ai_addrlen) < 0) {
    freeaddrinfo (res);
    conn_fail (c, "connect");
    return FALSE;
  }
  freeaddrinfo (res);
  setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  {
    /* a server that stops reading fails the run instead of hanging it */
    struct timeval tv = { 30, 0 };
    setsockopt (c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }

  tc_url = g_strdup_printf ("rtmp://%s:%u/%s", host, port, opt_app);
  rtmp_client_config_init (&cfg);
  cfg.app = opt_app;
  cfg.tc_url = tc_url;
  cfg.stream = name;
  cfg.chunk_size = opt_chunk_size;
  cfg.digest_handshake = FALSE;
  c->session = rtmp_session_new_client (NULL, &cfg);
  g_free (tc_url);
  rtmp_session_client_start (c->session);

  deadline = now_ns () + 15 * G_GINT64_CONSTANT (1000000000);
  while (rtmp_session_get_state (c->session) != RTMP_SESSION_STATE_PUBLISHING) {
    if (!send_session_output (c) || !pump_input (c, 100, NULL))
      return FALSE;
    if (now_ns () > deadline) {
      errno = ETIMEDOUT;
      conn_fail (c, "publish not started");
      return FALSE;
    }
  }
  if (!send_session_output (c))
    return FALSE;
  if (rtmp_session_get_stream_id (c->session) != stream_msid) {
    errno = 0;
    conn_fail (c, "server gave another stream id than the pre-chunked one");
    return FALSE;
  }
  return TRUE;
}

static void
conn_close (Conn * c)
{
  if (c->session && !c->failed) {
    rtmp_session_client_unpublish (c->session);
    send_session_output (c);
  }
  if (c->fd >= 0) {
    shutdown (c->fd, SHUT_WR);
    /* let the server see the end (it closes, or we give up) */
    {
      gint64 deadline = now_ns () + 2 * G_GINT64_CONSTANT (1000000000);
      while (now_ns () < deadline) {
        struct pollfd pfd = { c->fd, POLLIN, 0 };
        if (poll (&pfd, 1, 100) > 0 &&
            recv (c->fd, c->rbuf, sizeof c->rbuf, 0) <= 0)
          break;
      }
    }
    close (c->fd);
    c->fd = -1;
  }
  g_clear_pointer (&c->session, rtmp_session_free);
}

static gchar *
stream_name (guint i)
{
  return opt_streams > 1 ? g_strdup_printf ("%s%u", opt_stream, i) :
      g_strdup (opt_stream);
}

static void
run_fast (Conn * c)
{
  guint64 target = (guint64) opt_size_mb << 20;
  gsize off;
  gchar *name = stream_name (c->index);
  gboolean ok;

  ok = conn_open (c, opt_host, ports[c->index % n_ports], name);
  g_free (name);
  if (!ok)
    return;
  c->t_start = now_ns ();
  if (!write_all (c, chunked, seg_start))
    return;
  while (c->bytes_sent < target) {
    for (off = seg_start; off < seg_end;) {
      gsize n = MIN (FAST_WRITE_SIZE, seg_end - off);
      if (!write_all (c, chunked + off, n))
        return;
      off += n;
      if (!pump_input (c, 0, NULL))
        return;
    }
  }
  c->t_end = now_ns ();
  /* wait for the Acknowledgement that covers (nearly) everything: the
   * server has then read it, not just the kernel */
  {
    gint64 deadline = c->t_end + G_GINT64_CONSTANT (3000000000);
    guint64 want = c->bytes_sent > 5100000 ? c->bytes_sent - 5100000 : 0;
    while (c->last_ack < (want & 0xffffffff) && now_ns () < deadline)
      if (!pump_input (c, 50, NULL))
        break;
    if (c->last_ack >= (want & 0xffffffff) && c->last_ack_time > c->t_end)
      c->t_end = c->last_ack_time;
  }
}

static void
run_realtime (Conn * c)
{
  gchar *name = stream_name (c->index);
  gboolean ok;
  guint i;
  gint64 t0;

  ok = conn_open (c, opt_host, ports[c->index % n_ports], name);
  g_free (name);
  if (!ok)
    return;
  c->t_start = now_ns ();
  if (!write_all (c, chunked, chunked_header_end))
    return;
  t0 = c->t_start + (gint64) opt_stagger_ms *1000000 * c->index;
  for (i = gen_n_headers; !c->failed; i++) {
    guint loop = i < gen_n_headers + n_per_loop ? 0 :
        (i - gen_n_headers) / n_per_loop;
    guint idx = loop == 0 ? i : gen_n_headers + n_per_loop +
        (i - gen_n_headers) % n_per_loop;
    ChunkedMsg *m = &g_array_index (chunked_msgs, ChunkedMsg, idx);
    guint64 ts = m->ts + (guint64) (loop ? loop - 1 : 0) * loop_dur;
    gint64 due = t0 + (gint64) ts * 1000000, now;

    if (ts >= opt_duration * 1000)
      break;
    struct timespec tsp = { due / 1000000000, due % 1000000000 };

    while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &tsp, NULL) ==
        EINTR);
    if (m->stamp >= 0) {
      guint8 stamp[8];
      struct iovec iov[3];
      gint64 t = now_ns ();
      gsize total = m->end - m->start;
      ssize_t n;
      gsize done = 0;

      GST_WRITE_UINT64_BE (stamp, t);
      iov[0].iov_base = chunked + m->start;
      iov[0].iov_len = m->stamp - m->start;
      iov[1].iov_base = stamp;
      iov[1].iov_len = 8;
      iov[2].iov_base = chunked + m->stamp + 8;
      iov[2].iov_len = m->end - m->stamp - 8;
      n = writev (c->fd, iov, 3);
      if (n < 0) {
        conn_fail (c, "writev");
        return;
      }
      c->bytes_sent += n;
      done = n;
      if (done < total) {
        /* rare (full socket buffer): finish with the stamp in place */
        guint8 *copy = g_memdup2 (chunked + m->start, total);
        memcpy (copy + (m->stamp - m->start), stamp, 8);
        ok = write_all (c, copy + done, total - done);
        g_free (copy);
        if (!ok)
          return;
      }
    } else if (!write_all (c, chunked + m->start, m->end - m->start)) {
      return;
    }
    now = now_ns ();
    if (now - due > c->max_late_ns)
      c->max_late_ns = now - due;
    if (!pump_input (c, 0, NULL) || !send_session_output (c))
      return;
  }
  c->t_end = now_ns ();
}

static gpointer
conn_thread (gpointer data)
{
  Conn *c = data;

  if (opt_realtime)
    run_realtime (c);
  else
    run_fast (c);
  conn_close (c);
  return NULL;
}

static GOptionEntry entries[] = {
  {"host", 0, 0, G_OPTION_ARG_STRING, &opt_host, "Server (127.0.0.1)", "H"},
  {"port", 'p', 0, G_OPTION_ARG_STRING, &opt_ports,
      "Port, or comma-separated ports (stream i uses port i mod n)", "P"},
  {"app", 0, 0, G_OPTION_ARG_STRING, &opt_app, "Application (live)", "APP"},
  {"stream", 0, 0, G_OPTION_ARG_STRING, &opt_stream,
      "Stream name (bench; with --streams K: bench0..benchK-1)", "NAME"},
  {"source", 0, 0, G_OPTION_ARG_FILENAME, &opt_source,
      "FLV file whose tags are repeated", "FILE"},
  {"chunk-size", 'c', 0, G_OPTION_ARG_INT, &opt_chunk_size,
      "Chunk size (4096)", "N"},
  {"size-mb", 's', 0, G_OPTION_ARG_INT, &opt_size_mb,
      "Media payload to send in fast mode, MiB (256)", "N"},
  {"video-kbps", 0, 0, G_OPTION_ARG_INT, &opt_video_kbps,
      "Video bitrate the frames are padded to (8000)", "N"},
  {"realtime", 'r', 0, G_OPTION_ARG_NONE, &opt_realtime,
      "Send each message at its timestamp, stamped", NULL},
  {"duration", 'd', 0, G_OPTION_ARG_DOUBLE, &opt_duration,
      "Real-time mode: seconds of stream (10)", "S"},
  {"streams", 'k', 0, G_OPTION_ARG_INT, &opt_streams,
      "Real-time mode: parallel streams (1)", "K"},
  {"stagger-ms", 0, 0, G_OPTION_ARG_INT, &opt_stagger_ms,
      "Real-time mode: start offset between streams (13)", "MS"},
  {"write-flv", 0, 0, G_OPTION_ARG_FILENAME, &opt_write_flv,
      "Write the generated stream to an FLV file and exit", "FILE"},
  G_OPTION_ENTRY_NULL
};

int
main (int argc, char **argv)
{
  GOptionContext *ctx = g_option_context_new ("- RTMP benchmark publisher");
  GError *err = NULL;
  Conn **conns;
  GThread **threads;
  gint i, failed = 0;
  guint64 total_bytes = 0;
  gint64 t_start = G_MAXINT64, t_end = 0, max_late = 0;
  gint64 t_prep;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    die ("%s", err->message);
  g_option_context_free (ctx);
  gst_init (NULL, NULL);
  if (!opt_host)
    opt_host = g_strdup ("127.0.0.1");
  if (!opt_app)
    opt_app = g_strdup ("live");
  if (!opt_stream)
    opt_stream = g_strdup ("bench");
  if (!opt_source)
    die ("--source is required");
  if (opt_chunk_size < 128 || opt_streams < 1 || opt_streams > 4096)
    die ("bad --chunk-size or --streams");

  t_prep = now_ns ();
  generate (opt_source);
  if (opt_write_flv) {
    write_flv (opt_write_flv, (guint64) opt_size_mb << 20);
    return 0;
  }
  prechunk ();
  fprintf (stderr, "prepared %u messages, %" G_GSIZE_FORMAT " bytes chunked "
      "in %.2f s\n", gen_msgs->len, chunked_size, (now_ns () - t_prep) / 1e9);

  if (!opt_ports)
    die ("--port is required");
  {
    gchar **parts = g_strsplit (opt_ports, ",", -1);
    n_ports = g_strv_length (parts);
    ports = g_new0 (guint16, n_ports);
    for (i = 0; i < (gint) n_ports; i++)
      ports[i] = atoi (parts[i]);
    g_strfreev (parts);
  }
  if (!opt_realtime && opt_streams != 1)
    die ("fast mode sends one stream");

  conns = g_new0 (Conn *, opt_streams);
  threads = g_new0 (GThread *, opt_streams);
  for (i = 0; i < opt_streams; i++) {
    conns[i] = g_new0 (Conn, 1);
    conns[i]->index = i;
    conns[i]->fd = -1;
    threads[i] = g_thread_new ("bench-send", conn_thread, conns[i]);
  }
  for (i = 0; i < opt_streams; i++) {
    Conn *c = conns[i];
    g_thread_join (threads[i]);
    if (c->failed) {
      failed++;
      fprintf (stderr, "stream %d failed: %s\n", i, c->error);
    }
    total_bytes += c->bytes_sent;
    if (c->t_start)
      t_start = MIN (t_start, c->t_start);
    t_end = MAX (t_end, c->t_end);
    max_late = MAX (max_late, c->max_late_ns);
  }
  printf ("streams=%d\nfailed=%d\nchunk_size=%d\nbytes=%" G_GUINT64_FORMAT
      "\nchunked_bytes=%" G_GSIZE_FORMAT "\nseconds=%.6f\nmb_per_s=%.2f\n"
      "max_late_ms=%.3f\n", opt_streams, failed, opt_chunk_size,
      total_bytes, chunked_size, t_end > t_start ? (t_end - t_start) / 1e9 :
      0.0, t_end > t_start ? total_bytes / 1e6 / ((t_end - t_start) / 1e9)
      : 0.0, max_late / 1e6);
  return failed ? 1 : 0;
}
