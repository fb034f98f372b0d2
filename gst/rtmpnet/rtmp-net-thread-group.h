/* RTMP net layer: named threads shared by several elements, each serving
 * one GMainContext (rtmpingestsrc's thread-group property).
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMP_NET_THREAD_GROUP_H__
#define __RTMP_NET_THREAD_GROUP_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RtmpNetThreadGroup RtmpNetThreadGroup;

/* Returns (a reference to) the process-wide group called @name, created
 * with its thread if no element holds it. The thread serves the group's
 * context: with @interval_ms 0 as soon as a source is ready; otherwise at
 * most once per interval, at multiples of it on the monotonic clock, then
 * everything that is ready. A group that exists keeps the interval it was
 * created with (see rtmp_net_thread_group_get_interval()). */
RtmpNetThreadGroup *rtmp_net_thread_group_get (const gchar * name,
    guint interval_ms);
/* The last reference stops the thread and waits for it; the sources still
 * attached to the context are destroyed with it. */
void rtmp_net_thread_group_unref (RtmpNetThreadGroup * group);

GMainContext *rtmp_net_thread_group_get_context (RtmpNetThreadGroup * group);
guint rtmp_net_thread_group_get_interval (RtmpNetThreadGroup * group);
/* TRUE when called from the group's thread */
gboolean rtmp_net_thread_group_is_current (RtmpNetThreadGroup * group);

G_END_DECLS

#endif /* __RTMP_NET_THREAD_GROUP_H__ */
