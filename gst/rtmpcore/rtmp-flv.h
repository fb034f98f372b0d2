/* RTMP core: RTMP message <-> FLV tag mapping, FLV parsing, timestamps.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMP_FLV_H__
#define __RTMP_FLV_H__

#include <gst/gst.h>

#include "rtmp-amf.h"
#include "rtmp-error.h"
#include "rtmp-limits.h"
#include "rtmp-message.h"

G_BEGIN_DECLS

/* FLV file format, reference §10 */
#define RTMP_FLV_HEADER_SIZE 9          /* "FLV", version, flags, u32 offset */
#define RTMP_FLV_TAG_HEADER_SIZE 11
#define RTMP_FLV_PREVIOUS_TAG_SIZE_SIZE 4
#define RTMP_FLV_MAX_DATA_SIZE 0xFFFFFF /* u24 DataSize */

/* FLV header flags (§10.1) */
#define RTMP_FLV_FLAG_VIDEO 0x01
#define RTMP_FLV_FLAG_AUDIO 0x04

typedef enum
{
  RTMP_FLV_TAG_AUDIO = 8,
  RTMP_FLV_TAG_VIDEO = 9,
  RTMP_FLV_TAG_SCRIPT = 18,
} RtmpFlvTagType;

/* Legacy CodecID / SoundFormat values and E-RTMP markers (§10.3, 10.4, 12) */
#define RTMP_FLV_VIDEO_CODEC_AVC 7
#define RTMP_FLV_VIDEO_CODEC_HEVC 12      /* non-standard CDN convention */
#define RTMP_FLV_SOUND_FORMAT_EX_HEADER 9 /* E-RTMP v2 audio ExHeader */
#define RTMP_FLV_SOUND_FORMAT_AAC 10

/* ------------------------------------------------------------------ */
/* Src side: RTMP messages -> FLV bytes for flvdemux                  */
/* ------------------------------------------------------------------ */

/* The 9-byte FLV header + PreviousTagSize0 (13 bytes), flags from the
 * arguments. (transfer full) */
GstBuffer *rtmp_flv_header_new (gboolean has_audio, gboolean has_video);

/* One FLV tag for an audio (8), video (9) or data (18) message; a type-15
 * message (AMF3 data) whose leading format byte is 0 and whose body then is
 * AMF0 becomes a type-18 tag without the format byte. A data body starting
 * with the AMF0 string "@setDataFrame" loses those 16 bytes. Memory
 * layout: [new 11-byte tag header][shares of msg->payload][new 4-byte
 * PreviousTagSize]; the payload is never copied. Timestamp = msg->timestamp
 * (low 24 bits + extended byte), StreamID 0, no GstBuffer timestamps set.
 * Other message types, type-15 bodies that are AMF3, and bodies above
 * RTMP_FLV_MAX_DATA_SIZE give NULL + RTMP_ERROR_FLV. (transfer full) */
GstBuffer *rtmp_flv_tag_from_message (const RtmpMessage * msg,
    GError ** error);

/* The same, allowed to take @msg->payload: when the payload buffer and its
 * one memory are only ours and the memory is a chunk reader block with its
 * framing room (rtmp_block_alloc_with_room()), that buffer becomes the tag
 * (resized over the room: no new buffer or memory) and @msg->payload is
 * set to NULL. Otherwise as rtmp_flv_tag_from_message() and @msg keeps its
 * payload. Peek at the payload (rtmp_flv_is_keyframe() etc.) before this
 * call. (transfer full) */
GstBuffer *rtmp_flv_tag_take_message (RtmpMessage * msg, GError ** error);

/* Splits an aggregate message (type 22, reference §6.3) into its
 * sub-messages and appends them to @out_messages, a GPtrArray of
 * RtmpMessage * (each g_new0'd; create the array with
 * g_ptr_array_new_with_free_func (rtmp_flv_message_free)).
 * Each sub-message: type and payload (a shared sub-buffer, no copy) from its
 * record, timestamp = record timestamp + (agg timestamp - first record
 * timestamp) modulo 2^32, csid and msid of the aggregate (the record's
 * stream id is ignored, §6.3).
 * Every record must have its 11-byte header, its body and its 4-byte back
 * pointer within the payload, and the records must fill the payload exactly;
 * otherwise RTMP_ERROR_FLV. A back pointer other than 11 + N is TOLERATED
 * (debug log): nothing depends on it. Records of types other than audio (8),
 * video (9) and data (15, 18) are RTMP_ERROR_FLV (aggregates carry stream
 * data only; no nesting). An empty payload yields no message. On error
 * nothing is appended. */
gboolean rtmp_flv_split_aggregate (const RtmpMessage * agg,
    GPtrArray * out_messages, GError ** error);

/* rtmp_message_clear() + g_free(); a GDestroyNotify for the array above. */
void rtmp_flv_message_free (gpointer msg);

/* If @body starts with the AMF0 string "@setDataFrame", a new buffer
 * sharing the rest of @body; otherwise a new ref of @body.
 * (transfer none) @body, (transfer full) result. */
GstBuffer *rtmp_flv_strip_set_data_frame (GstBuffer * body);

/* Sink side: if @script_body starts with the AMF0 string "onMetaData", a
 * new buffer = [16-byte memory "\x02\x00\x0d@setDataFrame"] + shares of
 * @script_body (what librtmp and ffmpeg send); otherwise a new ref of
 * @script_body. (transfer none) @script_body, (transfer full) result. */
GstBuffer *rtmp_flv_add_set_data_frame (GstBuffer * script_body);

/* ------------------------------------------------------------------ */
/* Tag classification (payload = the tag body / message payload;      */
/* NULL or empty payloads are allowed and classify as "no")           */
/* ------------------------------------------------------------------ */

/* Codec configuration: AVC/HEVC(12) packet type 0, AAC packet type 0,
 * E-RTMP video SequenceStart / MPEG2TSSequenceStart, E-RTMP audio
 * SequenceStart. @type is the message/tag type (8 or 9; others: FALSE). */
gboolean rtmp_flv_is_sequence_header (guint type, GstBuffer * payload);

/* Video key frame: FrameType 1 (legacy or E-RTMP). */
gboolean rtmp_flv_is_keyframe (GstBuffer * payload);

/* Video: E-RTMP IsExHeader bit; audio: SoundFormat 9 (ExHeader). */
gboolean rtmp_flv_is_enhanced (guint type, GstBuffer * payload);

/* Legacy video CodecID (0-15), or -1 if empty or E-RTMP (IsExHeader). */
gint rtmp_flv_video_codec_id (GstBuffer * payload);

/* Video FrameType (1 key, 2 inter, ... 5 command; legacy or E-RTMP),
 * or -1 if empty. */
gint rtmp_flv_video_frame_type (GstBuffer * payload);

/* Audio SoundFormat (0-15; 9 = E-RTMP ExHeader), or -1 if empty. */
gint rtmp_flv_audio_sound_format (GstBuffer * payload);

/* E-RTMP FourCC (big-endian, e.g. 0x68766331 "hvc1") of an enhanced video
 * (type 9) or audio (type 8) payload whose packet type is followed directly
 * by a FourCC; 0 otherwise (legacy, too short, Multitrack, ModEx). */
guint32 rtmp_flv_enhanced_fourcc (guint type, GstBuffer * payload);

/* Composition time offset (PTS - DTS, ms) of a video payload. Returns TRUE
 * and sets @cts when the payload carries one: AVC/HEVC(12) NALU packets
 * (packet type 1, SI24 at byte 2) and E-RTMP CodedFrames of avc1/hvc1/vvc1
 * (SI24 after the FourCC). E-RTMP CodedFramesX: TRUE, @cts = 0.
 * Otherwise FALSE and @cts = 0. */
gboolean rtmp_flv_video_composition_time (GstBuffer * payload, gint32 * cts);

/* ------------------------------------------------------------------ */
/* Script data / metadata                                              */
/* ------------------------------------------------------------------ */

/* Parses a script tag / data message body (a leading "@setDataFrame"
 * string is skipped) into its method name (e.g. "onMetaData") and the
 * value that follows (NULL if the body holds only the name). Trailing
 * values are ignored. @limits may be NULL (defaults). The first value must
 * be a string, else RTMP_ERROR_AMF; AMF errors are passed through.
 * (transfer full) @name (g_free), @value (rtmp_amf_value_unref). */
gboolean rtmp_flv_parse_script (GstBuffer * payload,
    const RtmpLimits * limits, gchar ** name, RtmpAmfValue ** value,
    GError ** error);

/* From onMetaData keys: audio if audiocodecid / audiosamplerate /
 * audiosamplesize / stereo / audiodatarate is present, video if
 * videocodecid / width / height / framerate / videodatarate is present.
 * Returns FALSE (and both FALSE) if @meta is not an object/ECMA array. */
gboolean rtmp_flv_metadata_has_audio_video (const RtmpAmfValue * meta,
    gboolean * audio, gboolean * video);

/* ------------------------------------------------------------------ */
/* Timestamps (reference §3.5)                                        */
/* ------------------------------------------------------------------ */

/* Extends 32-bit ms timestamps to 64 bits across the 2^32 wrap: a step of
 * (ts - last) mod 2^32 below 2^31 goes forward, a larger one is a step
 * back of 2^32 - that; stepping back from exactly 2^31 counts as forward.
 * Backward steps never go below 0 (then the raw ts is used). */
typedef struct
{
  guint64 last;
  gboolean have_last;
} RtmpTimestampExtender;

void rtmp_timestamp_extender_init (RtmpTimestampExtender * ext);
guint64 rtmp_timestamp_extend (RtmpTimestampExtender * ext, guint32 ts);

/* ------------------------------------------------------------------ */
/* Sink side: FLV stream (flvmux output) -> RTMP messages             */
/* ------------------------------------------------------------------ */

typedef enum
{
  RTMP_FLV_PARSE_NEED_MORE,
  RTMP_FLV_PARSE_TAG,
  RTMP_FLV_PARSE_ERROR,
} RtmpFlvParseResult;

typedef struct _RtmpFlvParser RtmpFlvParser;

/* Max DataSize defaults to RTMP_FLV_MAX_DATA_SIZE. */
RtmpFlvParser *rtmp_flv_parser_new (void);
void rtmp_flv_parser_free (RtmpFlvParser * parser);
/* Tags with a larger DataSize are RTMP_ERROR_FLV. */
void rtmp_flv_parser_set_max_data_size (RtmpFlvParser * parser,
    guint32 max_data_size);
/* (transfer full) @buf; any size, any split. */
void rtmp_flv_parser_push (RtmpFlvParser * parser, GstBuffer * buf);
/* One tag at a time. TAG: @msg filled (type = tag type, timestamp = 24+8
 * bit tag timestamp, csid RTMP_CSID_DATA/AUDIO/VIDEO by type, msid 0,
 * payload = body, a sub-buffer of the input with no copy when the body lies
 * within one pushed buffer); the caller owns it (rtmp_message_clear).
 * A tag is returned only once its PreviousTagSize has arrived too.
 * A FLV header ("FLV", version 1, data offset >= 9, + PreviousTagSize0) is
 * accepted at the start and at any tag boundary (streamheaders re-sent);
 * a stream may also start directly with a tag. PreviousTagSize mismatches
 * are tolerated (debug log). Bad signature/version, data offset < 9, tag
 * type other than 8/9/18, Filter (encryption) bit, or DataSize above the
 * max: ERROR + RTMP_ERROR_FLV; the parser then keeps returning ERROR until
 * rtmp_flv_parser_reset(). */
RtmpFlvParseResult rtmp_flv_parser_pull (RtmpFlvParser * parser,
    RtmpMessage * msg, GError ** error);
/* Drops pending bytes and state (a new stream follows). */
void rtmp_flv_parser_reset (RtmpFlvParser * parser);
/* TRUE once a FLV header was seen; @flags gets its flags byte. */
gboolean rtmp_flv_parser_get_header_flags (RtmpFlvParser * parser,
    guint8 * flags);

G_END_DECLS

#endif /* __RTMP_FLV_H__ */
