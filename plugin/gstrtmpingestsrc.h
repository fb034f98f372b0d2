/* GStreamer RTMP ingest server source.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_RTMP_INGEST_SRC_H__
#define __GST_RTMP_INGEST_SRC_H__

#include <gst/gst.h>
#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define GST_TYPE_RTMP_INGEST_SRC (gst_rtmp_ingest_src_get_type ())
G_DECLARE_FINAL_TYPE (GstRtmpIngestSrc, gst_rtmp_ingest_src, GST,
    RTMP_INGEST_SRC, GstPushSrc)

/**
 * GstRtmpIngestOnUnpublish:
 * @GST_RTMP_INGEST_ON_UNPUBLISH_EOS: end the stream (EOS) when the
 *     publisher stops
 * @GST_RTMP_INGEST_ON_UNPUBLISH_STAY_ALIVE: keep running and continue the
 *     same FLV stream with the next publisher
 */
typedef enum
{
  GST_RTMP_INGEST_ON_UNPUBLISH_EOS,
  GST_RTMP_INGEST_ON_UNPUBLISH_STAY_ALIVE,
} GstRtmpIngestOnUnpublish;

#define GST_TYPE_RTMP_INGEST_ON_UNPUBLISH \
    (gst_rtmp_ingest_on_unpublish_get_type ())
GType gst_rtmp_ingest_on_unpublish_get_type (void);

GST_ELEMENT_REGISTER_DECLARE (rtmpingestsrc);

G_END_DECLS

#endif /* __GST_RTMP_INGEST_SRC_H__ */
