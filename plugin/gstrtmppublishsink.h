/* GStreamer RTMP publishing sink.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_RTMP_PUBLISH_SINK_H__
#define __GST_RTMP_PUBLISH_SINK_H__

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

#define GST_TYPE_RTMP_PUBLISH_SINK (gst_rtmp_publish_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstRtmpPublishSink, gst_rtmp_publish_sink, GST,
    RTMP_PUBLISH_SINK, GstBaseSink)

GST_ELEMENT_REGISTER_DECLARE (rtmppublishsink);

G_END_DECLS

#endif /* __GST_RTMP_PUBLISH_SINK_H__ */
