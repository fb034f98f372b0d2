/* GStreamer RTMP ingest and publish elements: plugin registration.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "gstrtmpingestsrc.h"
#include "gstrtmppublishsink.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  /* Elements are registered here as they land (rtmpingestsrc,
   * rtmppublishsink). */
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (rtmpingestsrc, plugin);
  ret |= GST_ELEMENT_REGISTER (rtmppublishsink, plugin);
  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, rtmpingest,
    "RTMP ingest server source and RTMP/RTMPS publishing sink",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
