/* RTMP net layer: listeners shared by several consumers (elements) on one
 * address and port, publishers routed by application and stream key.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMP_NET_LISTENER_H__
#define __RTMP_NET_LISTENER_H__

#include "rtmp-net-server.h"
#include "rtmp-auth.h"

G_BEGIN_DECLS

typedef struct _RtmpNetConsumer RtmpNetConsumer;

/**
 * RtmpNetConsumerInfo:
 * @name: who the consumer is, for logs and errors (an element's name)
 * @application: the application it claims, or %NULL (any)
 * @stream_key: the stream key it claims (the stream name without its
 *     query), or %NULL (any)
 * @callbacks: as for rtmp_net_server_new(); they run on the listener's
 *     thread, only for connections routed to this consumer
 * @lookup_password: non-%NULL: publishers must authenticate (Adobe); the
 *     listener asks every consumer in turn for the password of a user (the
 *     first non-%NULL answer is used)
 * @user_data: passed to the callbacks and @lookup_password
 *
 * Routing of a publish request (stream key compared without the query):
 *  1. consumers claiming this key (and this application, or any);
 *  2. else consumers claiming only this application;
 *  3. else consumers claiming nothing (wildcards).
 * The first consumer of the best group that is free (not serving a
 * publisher, not retired with rtmp_net_consumer_set_available()) gets the
 * request; if the group is empty or none of it is free, the publisher gets
 * NetStream.Publish.BadName and is closed. A listener with one consumer
 * gives it every request (it refuses with its own code, as a listener of
 * its own would).
 */
typedef struct
{
  const gchar *name;
  const gchar *application;
  const gchar *stream_key;
  RtmpNetServerCallbacks callbacks;
  RtmpAuthPasswordFunc lookup_password;
  gpointer user_data;
} RtmpNetConsumerInfo;

/* Joins the listener on @address/@port (the same address spelling: NULL,
 * "" and "*" are one), creating, binding and starting it if it is the
 * first; @config (config->auth must be NULL: see @lookup_password) is used
 * by the first only. @settings names every setting that must agree between
 * consumers of one port (field = property name; fields named "password"
 * are never printed): a difference is an error naming the consumer that
 * set it first. @port 0 is never shared by two port-0 consumers: each gets
 * a listener of its own on a free port, which later consumers may join by
 * naming the bound port. Process-wide, thread-safe. */
RtmpNetConsumer *rtmp_net_consumer_acquire (const gchar * address,
    guint port, const RtmpNetServerConfig * config,
    const GstStructure * settings, const RtmpNetConsumerInfo * info,
    GError ** error);
/* Leaves the listener: connections routed to the consumer are closed, no
 * callback of it runs after this returns; the last consumer closes the
 * socket and joins the thread. Must not be called from a callback. */
void rtmp_net_consumer_release (RtmpNetConsumer * consumer);
/* The shared server (transfer none; valid until release). */
RtmpNetServer *rtmp_net_consumer_get_server (RtmpNetConsumer * consumer);
/* FALSE: take no more publishers (an element that reached end of stream);
 * its claim still holds, so a publisher for its key gets BadName.
 * Thread-safe, may be called from a callback. */
void rtmp_net_consumer_set_available (RtmpNetConsumer * consumer,
    gboolean available);
/* Number of consumers sharing @consumer's listener. */
guint rtmp_net_consumer_get_n_sharing (RtmpNetConsumer * consumer);

G_END_DECLS

#endif /* __RTMP_NET_LISTENER_H__ */
