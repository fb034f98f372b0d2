/* RTMP core: chunk stream reader (bytes in, reassembled messages out).
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "rtmp-block.h"
#include "rtmp-chunk-reader.h"
#include "rtmp-error.h"

GST_DEBUG_CATEGORY_STATIC (rtmp_chunk_reader_debug);
#define GST_CAT_DEFAULT rtmp_chunk_reader_debug

/* Size of the first payload block of a message; further blocks double,
 * capped by what is still missing. A peer declaring a 16 MB message but
 * sending one byte thus costs us at most this much (reference §3.6). */
#define FIRST_BLOCK_SIZE (64 * 1024)

/* csids below this are looked up in a direct array, the rest in a hash */
#define N_LOW_CSIDS 64

/* 3 (basic header) + 11 (fmt 0) + 4 (extended timestamp), RTMP spec 5.3.1 */
#define MAX_HEADER_SIZE 18

#define EXTENDED_TS 0xFFFFFF

/* Byte-wise accessors: GST_READ_UINT32_BE and friends do unaligned word
 * accesses on x86, which UBSan (rightly) reports as undefined. */
static inline guint32
rd_be32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | p[3];
}

static inline guint32
rd_le32 (const guint8 * p)
{
  return ((guint32) p[3] << 24) | ((guint32) p[2] << 16) |
      ((guint32) p[1] << 8) | p[0];
}

typedef struct
{
  guint32 csid;

  /* header state, RTMP spec 5.3.1.2: what fmt 1/2/3 inherit */
  guint32 timestamp;            /* absolute timestamp of the last message */
  guint32 delta;                /* delta a fmt-3 new message adds */
  guint32 length;
  guint8 type;
  guint32 msid;
  gboolean extended;            /* last fmt 0/1/2 header used the ext field */
  guint32 ext_value;            /* ... and its value */

  /* the message being assembled */
  gboolean in_progress;
  guint8 start_fmt;             /* fmt of its first chunk */
  guint32 received;             /* payload bytes so far */
  GstBuffer *buf;               /* completed blocks */
  GstMemory *mem;               /* the block being filled, mapped */
  GstMapInfo map;
  gsize mem_fill;
  gsize allocated;              /* sum of block sizes (counted in flight) */
} RtmpChunkStream;

typedef enum
{
  STATE_HEADER,
  STATE_PAYLOAD,
} ReaderState;

struct _RtmpChunkReader
{
  RtmpLimits limits;
  guint32 chunk_size;
  guint64 bytes_read;
  gsize bytes_in_flight;

  RtmpChunkStream *low[N_LOW_CSIDS];
  GHashTable *high;             /* csid -> RtmpChunkStream */
  RtmpChunkStream *last_high;   /* last one found in @high */
  guint n_streams;

  ReaderState state;
  /* header being parsed: bytes kept until the header is complete */
  guint8 hdr[MAX_HEADER_SIZE];
  guint hdr_len;
  RtmpChunkStream *cur;         /* csid of the current chunk (payload) */
  guint32 chunk_left;           /* payload bytes left in the current chunk */

  /* Bytes taken from the input while peeking for a repeated extended
   * timestamp in a fmt-3 chunk that turned out not to be one: they are
   * processed again, before new input (at most 4 + 3 bytes). */
  guint8 pushback[8];
  guint pushback_len;

  guint8 last_fmt;
  gboolean failed;              /* an error was returned: stays failed */
};

typedef enum
{
  STEP_CONTINUE,                /* slice exhausted or pushback created */
  STEP_MESSAGE,
  STEP_ERROR,
} StepResult;

static void
debug_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtmp_chunk_reader_debug, "rtmpchunkreader", 0,
        "RTMP chunk stream reader");
    g_once_init_leave (&once, 1);
  }
}

static void
chunk_stream_drop_message (RtmpChunkReader * reader, RtmpChunkStream * cs)
{
  if (cs->mem) {
    gst_memory_unmap (cs->mem, &cs->map);
    gst_memory_unref (cs->mem);
    cs->mem = NULL;
  }
  gst_clear_buffer (&cs->buf);
  reader->bytes_in_flight -= cs->allocated;
  cs->allocated = 0;
  cs->mem_fill = 0;
  cs->received = 0;
  cs->in_progress = FALSE;
}

static void
chunk_stream_free (gpointer data)
{
  RtmpChunkStream *cs = data;

  if (cs->mem) {
    gst_memory_unmap (cs->mem, &cs->map);
    gst_memory_unref (cs->mem);
  }
  gst_clear_buffer (&cs->buf);
  g_free (cs);
}

RtmpChunkReader *
rtmp_chunk_reader_new (const RtmpLimits * limits)
{
  RtmpChunkReader *reader;

  g_return_val_if_fail (limits != NULL, NULL);

  debug_init ();
  reader = g_new0 (RtmpChunkReader, 1);
  reader->limits = *limits;
  /* RTMP spec 5.4.1: the default chunk size is 128 in each direction */
  reader->chunk_size = 128;
  reader->high = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
      chunk_stream_free);
  reader->state = STATE_HEADER;
  return reader;
}

void
rtmp_chunk_reader_free (RtmpChunkReader * reader)
{
  if (reader == NULL)
    return;
  for (guint i = 0; i < N_LOW_CSIDS; i++)
    if (reader->low[i])
      chunk_stream_free (reader->low[i]);
  g_hash_table_unref (reader->high);
  g_free (reader);
}

guint32
rtmp_chunk_reader_get_chunk_size (const RtmpChunkReader * reader)
{
  g_return_val_if_fail (reader != NULL, 0);
  return reader->chunk_size;
}

/**
 * rtmp_chunk_reader_set_chunk_size:
 *
 * Sets the incoming chunk size as if the peer had sent Set Chunk Size
 * (for tests and for peers that announce it out of band). Clamped to
 * limits.max_chunk_size; 0 is ignored.
 */
void
rtmp_chunk_reader_set_chunk_size (RtmpChunkReader * reader,
    guint32 chunk_size)
{
  g_return_if_fail (reader != NULL);
  g_return_if_fail (chunk_size > 0);
  reader->chunk_size = MIN (chunk_size, reader->limits.max_chunk_size);
  if (reader->chunk_size == 0)
    reader->chunk_size = 1;
}

guint64
rtmp_chunk_reader_get_bytes_read (const RtmpChunkReader * reader)
{
  g_return_val_if_fail (reader != NULL, 0);
  return reader->bytes_read;
}

gsize
rtmp_chunk_reader_get_bytes_in_flight (const RtmpChunkReader * reader)
{
  g_return_val_if_fail (reader != NULL, 0);
  return reader->bytes_in_flight;
}

/**
 * rtmp_chunk_reader_get_last_fmt:
 *
 * Returns: the header type (0-3) of the first chunk of the message most
 * recently returned by rtmp_chunk_reader_feed().
 */
guint8
rtmp_chunk_reader_get_last_fmt (const RtmpChunkReader * reader)
{
  g_return_val_if_fail (reader != NULL, 0);
  return reader->last_fmt;
}

static RtmpChunkStream *
lookup_stream (RtmpChunkReader * reader, guint32 csid)
{
  RtmpChunkStream *cs;

  if (csid < N_LOW_CSIDS)
    return reader->low[csid];
  /* chunks of one message come in a row: skip the hash for them */
  if (reader->last_high && reader->last_high->csid == csid)
    return reader->last_high;
  cs = g_hash_table_lookup (reader->high, GUINT_TO_POINTER (csid));
  if (cs)
    reader->last_high = cs;
  return cs;
}

static RtmpChunkStream *
create_stream (RtmpChunkReader * reader, guint32 csid, GError ** error)
{
  RtmpChunkStream *cs;

  if (reader->n_streams >= reader->limits.max_chunk_streams) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
        "Chunk stream %u would exceed max-chunk-streams (%u)", csid,
        reader->limits.max_chunk_streams);
    return NULL;
  }
  cs = g_new0 (RtmpChunkStream, 1);
  cs->csid = csid;
  if (csid < N_LOW_CSIDS)
    reader->low[csid] = cs;
  else
    g_hash_table_insert (reader->high, GUINT_TO_POINTER (csid), cs);
  reader->n_streams++;
  GST_LOG ("new chunk stream %u (%u in use)", csid, reader->n_streams);
  return cs;
}

static inline guint32
read_u24 (const guint8 * p)
{
  return ((guint32) p[0] << 16) | ((guint32) p[1] << 8) | p[2];
}

/* Allocates the next payload block of @cs (the first one has
 * FIRST_BLOCK_SIZE, each further one doubles, none goes past the declared
 * length). */
static gboolean
add_block (RtmpChunkReader * reader, RtmpChunkStream * cs, GError ** error)
{
  gsize remaining = cs->length - cs->received;
  gsize size;

  if (cs->mem) {
    gsize prev = cs->map.size;

    gst_memory_unmap (cs->mem, &cs->map);
    gst_buffer_append_memory (cs->buf, cs->mem);
    cs->mem = NULL;
    size = prev > G_MAXSIZE / 2 ? remaining : MIN (prev * 2, remaining);
  } else {
    size = MIN (remaining, FIRST_BLOCK_SIZE);
  }

  if (size > reader->limits.max_bytes_in_flight
      || reader->bytes_in_flight > reader->limits.max_bytes_in_flight - size) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
        "Message of %u bytes on chunk stream %u would exceed "
        "max-bytes-in-flight (%" G_GSIZE_FORMAT ")", cs->length, cs->csid,
        reader->limits.max_bytes_in_flight);
    return FALSE;
  }

  /* a message in one block gets framing room (FLV tag header and
   * PreviousTagSize: the tag is then one memory); the room is not counted
   * in bytes in flight (at most 2 x RTMP_CHUNK_READER_ROOM per message, and
   * only where it fits in the block the message gets anyway) */
  if (size == cs->length)
    cs->mem = rtmp_block_alloc_with_room (size, RTMP_CHUNK_READER_ROOM,
        RTMP_CHUNK_READER_ROOM);
  else
    cs->mem = rtmp_block_alloc (size);
  if (!gst_memory_map (cs->mem, &cs->map, GST_MAP_WRITE)) {
    /* not peer-triggered: sysmem always maps */
    gst_memory_unref (cs->mem);
    cs->mem = NULL;
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
        "Cannot map a payload block of %" G_GSIZE_FORMAT " bytes", size);
    return FALSE;
  }
  cs->mem_fill = 0;
  cs->allocated += size;
  reader->bytes_in_flight += size;
  return TRUE;
}

static gboolean
start_message (RtmpChunkReader * reader, RtmpChunkStream * cs, guint8 fmt,
    GError ** error)
{
  if (cs->length > reader->limits.max_message_size) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
        "Message of %u bytes (type %u) on chunk stream %u exceeds "
        "max-message-size (%u)", cs->length, cs->type, cs->csid,
        reader->limits.max_message_size);
    return FALSE;
  }
  cs->in_progress = TRUE;
  cs->start_fmt = fmt;
  cs->received = 0;
  cs->allocated = 0;
  cs->buf = gst_buffer_new ();
  if (cs->length > 0 && !add_block (reader, cs, error)) {
    chunk_stream_drop_message (reader, cs);
    return FALSE;
  }
  return TRUE;
}

/* Applies the message header of one chunk (in reader->hdr) to the state
 * of its csid. @has_ext: the chunk carried an extended timestamp field
 * (for fmt 3: the repeated one was found and consumed). */
static gboolean
apply_header (RtmpChunkReader * reader, guint8 fmt, guint32 csid,
    guint bh_len, gboolean has_ext, GError ** error)
{
  const guint8 *mh = reader->hdr + bh_len;
  RtmpChunkStream *cs = lookup_stream (reader, csid);
  guint32 ts_field = 0, length = 0, msid = 0;
  guint8 type = 0;

  if (cs == NULL) {
    if (fmt != 0) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
          "Chunk of type %u on chunk stream %u, which has no previous header",
          fmt, csid);
      return FALSE;
    }
    cs = create_stream (reader, csid, error);
    if (cs == NULL)
      return FALSE;
  }

  if (fmt <= 2) {
    ts_field = read_u24 (mh);
    if (has_ext) {
      const guint8 *e = mh + (fmt == 0 ? 11 : fmt == 1 ? 7 : 3);
      ts_field = rd_be32 (e);
    }
  }
  if (fmt <= 1) {
    length = read_u24 (mh + 3);
    type = mh[6];
  }
  if (fmt == 0)
    msid = rd_le32 (mh + 7);

  if (cs->in_progress) {
    /* A sender must finish a message before starting the next one on the
     * same csid (reference §3.6). fmt 3 is a continuation; a fmt 0/1/2
     * header is accepted as a continuation only if it does not change the
     * message (ffmpeg's reader likewise fails on a size mismatch). */
    if (fmt <= 1 && (length != cs->length || type != cs->type)) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
          "Message header changed (length %u -> %u, type %u -> %u) on chunk "
          "stream %u before its message of %u bytes was complete (%u read)",
          cs->length, length, cs->type, type, csid, cs->length, cs->received);
      return FALSE;
    }
    if (fmt == 0 && msid != cs->msid) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
          "Message stream id changed (%u -> %u) on chunk stream %u in the "
          "middle of a message", cs->msid, msid, csid);
      return FALSE;
    }
    if (fmt <= 2) {
      cs->extended = has_ext;
      cs->ext_value = ts_field;
    }
    GST_TRACE ("continuation chunk fmt %u csid %u", fmt, csid);
  } else {
    switch (fmt) {
      case 0:
        /* absolute; a following fmt-3 new message adds the same value
         * again (RTMP spec 5.3.1.2.4; ffmpeg, librtmp, rtmp2 agree) */
        cs->timestamp = ts_field;
        cs->delta = ts_field;
        cs->length = length;
        cs->type = type;
        cs->msid = msid;
        break;
      case 1:
        cs->length = length;
        cs->type = type;
        /* fall through */
      case 2:
        /* modulo 2^32: librtmp sends negative deltas such as 0xFFFFFFAB
         * (reference §3.5) */
        cs->delta = ts_field;
        cs->timestamp += ts_field;
        break;
      default:
        cs->timestamp += cs->delta;
        break;
    }
    if (fmt <= 2) {
      cs->extended = has_ext;
      cs->ext_value = ts_field;
    }
    GST_LOG ("<<< fmt %u csid %u ts %u len %u type %u msid %u%s", fmt, csid,
        cs->timestamp, cs->length, cs->type, cs->msid,
        has_ext ? " (extended)" : "");
    if (!start_message (reader, cs, fmt, error))
      return FALSE;
  }

  reader->cur = cs;
  reader->chunk_left = MIN (reader->chunk_size, cs->length - cs->received);
  return TRUE;
}

static void
handle_abort (RtmpChunkReader * reader, guint32 csid)
{
  RtmpChunkStream *cs = NULL;

  if (csid >= RTMP_CSID_MIN && csid <= RTMP_CSID_MAX)
    cs = lookup_stream (reader, csid);
  if (cs == NULL || !cs->in_progress) {
    GST_DEBUG ("Abort for chunk stream %u without partial message, ignored",
        csid);
    return;
  }
  GST_DEBUG ("Abort: discarding %u of %u bytes on chunk stream %u",
      cs->received, cs->length, csid);
  chunk_stream_drop_message (reader, cs);
}

/* The message on reader->cur is complete: hand it out. */
static gboolean
finish_message (RtmpChunkReader * reader, RtmpMessage * msg, GError ** error)
{
  RtmpChunkStream *cs = reader->cur;
  GstBuffer *buf;

  if (cs->mem) {
    gst_memory_unmap (cs->mem, &cs->map);
    gst_buffer_append_memory (cs->buf, cs->mem);
    cs->mem = NULL;
  }
  buf = cs->buf;
  cs->buf = NULL;
  reader->bytes_in_flight -= cs->allocated;
  cs->allocated = 0;
  cs->in_progress = FALSE;
  reader->last_fmt = cs->start_fmt;
  reader->cur = NULL;

  /* RTMP spec 5.4.1 / 5.4.2: applied by the reader from the next chunk on;
   * the type is what counts, not the csid/msid it came on. */
  if (cs->type == RTMP_MESSAGE_SET_CHUNK_SIZE
      || cs->type == RTMP_MESSAGE_ABORT) {
    guint8 b[4];
    guint32 v;

    if (gst_buffer_extract (buf, 0, b, 4) < 4) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
          "%s message too short (%" G_GSIZE_FORMAT " bytes)",
          cs->type == RTMP_MESSAGE_ABORT ? "Abort" : "Set Chunk Size",
          gst_buffer_get_size (buf));
      gst_buffer_unref (buf);
      return FALSE;
    }
    v = rd_be32 (b);
    if (cs->type == RTMP_MESSAGE_ABORT) {
      handle_abort (reader, v);
    } else if (v == 0 || (v & 0x80000000)) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
          "Invalid Set Chunk Size 0x%08x", v);
      gst_buffer_unref (buf);
      return FALSE;
    } else if (v < reader->limits.min_chunk_size) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
          "Set Chunk Size %u is below min-chunk-size (%u)", v,
          reader->limits.min_chunk_size);
      gst_buffer_unref (buf);
      return FALSE;
    } else {
      /* sizes above the largest message are equivalent to it (§3.6) */
      reader->chunk_size = MIN (v, reader->limits.max_chunk_size);
      GST_DEBUG ("incoming chunk size now %u (peer asked for %u)",
          reader->chunk_size, v);
    }
  }

  msg->type = cs->type;
  msg->csid = cs->csid;
  msg->msid = cs->msid;
  msg->timestamp = cs->timestamp;
  msg->payload = buf;
  return TRUE;
}

/* Moves the @n peeked bytes (in reader->hdr at @off) to the front of the
 * pushback buffer. A peek never starts inside bytes pushed back earlier
 * and not yet processed, so this holds at most 4 bytes; checked anyway. */
static gboolean
push_back (RtmpChunkReader * reader, guint off, guint n, GError ** error)
{
  if (reader->pushback_len + n > sizeof (reader->pushback)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "Internal error: chunk reader pushback overflow");
    return FALSE;
  }
  memmove (reader->pushback + n, reader->pushback, reader->pushback_len);
  memcpy (reader->pushback, reader->hdr + off, n);
  reader->pushback_len += n;
  return TRUE;
}

/* Parses from @data/@size until the slice is used up, a message is
 * complete, an error occurs or bytes were pushed back. */
static StepResult
step (RtmpChunkReader * reader, const guint8 * data, gsize size,
    gsize * used, RtmpMessage * msg, GError ** error)
{
  gsize pos = 0;

  while (pos < size) {
    if (reader->state == STATE_HEADER) {
      guint bh_len, mh_len, need;
      guint8 fmt, low;
      guint32 csid;
      RtmpChunkStream *cs;
      gboolean has_ext = FALSE;

      if (reader->hdr_len == 0)
        reader->hdr[reader->hdr_len++] = data[pos++];

      /* basic header, RTMP spec 5.3.1.1 */
      fmt = reader->hdr[0] >> 6;
      low = reader->hdr[0] & 0x3F;
      bh_len = low == 0 ? 2 : low == 1 ? 3 : 1;
      mh_len = fmt == 0 ? 11 : fmt == 1 ? 7 : fmt == 2 ? 3 : 0;
      need = bh_len + mh_len;
      if (reader->hdr_len < need) {
        gsize n = MIN (need - reader->hdr_len, size - pos);
        memcpy (reader->hdr + reader->hdr_len, data + pos, n);
        reader->hdr_len += n;
        pos += n;
        if (reader->hdr_len < need)
          break;
      }
      if (low == 0)
        csid = 64 + reader->hdr[1];
      else if (low == 1)
        csid = 64 + reader->hdr[1] + ((guint32) reader->hdr[2] << 8);
      else
        csid = low;

      if (fmt <= 2) {
        /* extended timestamp, RTMP spec 5.3.1.3 */
        if (read_u24 (reader->hdr + bh_len) == EXTENDED_TS) {
          has_ext = TRUE;
          need += 4;
          if (reader->hdr_len < need) {
            gsize n = MIN (need - reader->hdr_len, size - pos);
            memcpy (reader->hdr + reader->hdr_len, data + pos, n);
            reader->hdr_len += n;
            pos += n;
            if (reader->hdr_len < need)
              break;
          }
        }
      } else {
        cs = lookup_stream (reader, csid);
        if (cs != NULL && cs->extended) {
          /* fmt 3 after a header with an extended field: ffmpeg, librtmp,
           * rtmp2sink and nginx (play_time_fix) repeat it, the 2009 spec
           * reading and nginx with the fix off do not. Compare, then
           * consume (as GStreamer rtmp2 does, reference §3.4): the bytes
           * are taken one by one and given back as soon as one differs. */
          gboolean mismatch = FALSE;

          while (reader->hdr_len < bh_len + 4 && pos < size) {
            guint i = reader->hdr_len - bh_len;
            guint8 expect = (cs->ext_value >> (24 - 8 * i)) & 0xFF;

            reader->hdr[reader->hdr_len++] = data[pos++];
            if (reader->hdr[reader->hdr_len - 1] != expect) {
              mismatch = TRUE;
              break;
            }
          }
          if (mismatch) {
            GST_LOG ("fmt 3 chunk on csid %u does not repeat the extended "
                "timestamp", csid);
            if (!push_back (reader, bh_len, reader->hdr_len - bh_len, error))
              goto error;
            reader->hdr_len = bh_len;
            if (!apply_header (reader, fmt, csid, bh_len, FALSE, error))
              goto error;
            reader->hdr_len = 0;
            reader->state = STATE_PAYLOAD;
            *used = pos;
            return STEP_CONTINUE;
          }
          if (reader->hdr_len < bh_len + 4)
            break;
          has_ext = TRUE;
        }
      }

      if (!apply_header (reader, fmt, csid, bh_len, has_ext, error))
        goto error;
      reader->hdr_len = 0;
      reader->state = STATE_PAYLOAD;
      if (reader->chunk_left == 0 && reader->cur->received ==
          reader->cur->length) {
        /* zero-length message */
        reader->state = STATE_HEADER;
        if (!finish_message (reader, msg, error))
          goto error;
        *used = pos;
        return STEP_MESSAGE;
      }
    } else {
      RtmpChunkStream *cs = reader->cur;
      gsize n = MIN ((gsize) reader->chunk_left, size - pos);

      while (n > 0) {
        gsize room, c;

        if (cs->mem == NULL || cs->mem_fill == cs->map.size) {
          if (!add_block (reader, cs, error))
            goto error;
        }
        room = cs->map.size - cs->mem_fill;
        c = MIN (room, n);
        memcpy (cs->map.data + cs->mem_fill, data + pos, c);
        cs->mem_fill += c;
        cs->received += c;
        reader->chunk_left -= c;
        pos += c;
        n -= c;
      }
      if (reader->chunk_left == 0) {
        reader->state = STATE_HEADER;
        if (cs->received == cs->length) {
          if (!finish_message (reader, msg, error))
            goto error;
          *used = pos;
          return STEP_MESSAGE;
        }
      }
    }
  }

  *used = pos;
  return STEP_CONTINUE;

error:
  *used = pos;
  return STEP_ERROR;
}

RtmpReadResult
rtmp_chunk_reader_feed (RtmpChunkReader * reader, const guint8 * data,
    gsize size, gsize * consumed, RtmpMessage * msg, GError ** error)
{
  gsize done = 0;

  g_return_val_if_fail (reader != NULL, RTMP_READ_ERROR);
  g_return_val_if_fail (data != NULL || size == 0, RTMP_READ_ERROR);
  g_return_val_if_fail (consumed != NULL, RTMP_READ_ERROR);
  g_return_val_if_fail (msg != NULL, RTMP_READ_ERROR);

  *consumed = 0;
  msg->payload = NULL;

  if (reader->failed) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_STATE,
        "The chunk stream already failed");
    return RTMP_READ_ERROR;
  }

  for (;;) {
    StepResult r;
    gsize used = 0;

    if (reader->pushback_len > 0) {
      guint8 tmp[sizeof (reader->pushback)];
      guint n = reader->pushback_len;

      memcpy (tmp, reader->pushback, n);
      reader->pushback_len = 0;
      r = step (reader, tmp, n, &used, msg, error);
      /* what was not processed goes back behind anything newly pushed */
      if (used < n && r != STEP_ERROR) {
        if (reader->pushback_len + (n - used) > sizeof (reader->pushback)) {
          g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
              "Internal error: chunk reader pushback overflow");
          rtmp_message_clear (msg);
          r = STEP_ERROR;
        } else {
          memcpy (reader->pushback + reader->pushback_len, tmp + used,
              n - used);
          reader->pushback_len += n - used;
        }
      }
    } else {
      if (done == size) {
        *consumed = done;
        return RTMP_READ_NEED_MORE;
      }
      r = step (reader, data + done, size - done, &used, msg, error);
      done += used;
      reader->bytes_read += used;
    }

    if (r == STEP_MESSAGE) {
      *consumed = done;
      return RTMP_READ_MESSAGE;
    }
    if (r == STEP_ERROR) {
      *consumed = done;
      reader->failed = TRUE;
      GST_DEBUG ("chunk stream error: %s",
          error && *error ? (*error)->message : "?");
      return RTMP_READ_ERROR;
    }
  }
}
