/* RTMP net layer: named threads shared by several elements.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * With a thread per element, 100 real-time publishers cost 100 thread
 * wake-ups for every instant at which messages arrive. The elements of a
 * group hand their publishers' sockets to one thread instead, which reads
 * and outputs for all of them: one wake-up serves every socket that is
 * ready, and with an interval, every message that came in since the last
 * tick.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "rtmp-net-thread-group.h"

struct _RtmpNetThreadGroup
{
  gint refcount;                /* under groups_lock */
  gchar *name;
  guint interval_ms;
  GMainContext *context;
  GThread *thread;

  GMutex lock;
  GCond cond;
  gint quit;                    /* atomic; set under lock */
};

static GMutex groups_lock;
static GHashTable *groups;      /* name -> group (not owned) */

static gpointer
group_thread_func (gpointer data)
{
  RtmpNetThreadGroup *group = data;
  gint64 interval_us = (gint64) group->interval_ms * 1000;

  if (!g_main_context_acquire (group->context))
    g_critical ("thread group '%s': context already owned", group->name);
  while (!g_atomic_int_get (&group->quit)) {
    gint64 next;

    if (interval_us == 0) {
      g_main_context_iteration (group->context, TRUE);
      continue;
    }
    /* everything that is ready now (a socket still holding data after a
     * full read stays ready: a fast publisher is not capped), then sleep
     * until the next multiple of the interval */
    while (g_main_context_iteration (group->context, FALSE) &&
        !g_atomic_int_get (&group->quit));
    next = (g_get_monotonic_time () / interval_us + 1) * interval_us;
    g_mutex_lock (&group->lock);
    while (!group->quit && g_get_monotonic_time () < next)
      g_cond_wait_until (&group->cond, &group->lock, next);
    g_mutex_unlock (&group->lock);
  }
  g_main_context_release (group->context);
  return NULL;
}

RtmpNetThreadGroup *
rtmp_net_thread_group_get (const gchar * name, guint interval_ms)
{
  RtmpNetThreadGroup *group;

  g_return_val_if_fail (name != NULL && name[0] != '\0', NULL);

  g_mutex_lock (&groups_lock);
  if (!groups)
    groups = g_hash_table_new (g_str_hash, g_str_equal);
  group = g_hash_table_lookup (groups, name);
  if (group) {
    group->refcount++;
    g_mutex_unlock (&groups_lock);
    return group;
  }
  group = g_new0 (RtmpNetThreadGroup, 1);
  group->refcount = 1;
  group->name = g_strdup (name);
  group->interval_ms = interval_ms;
  group->context = g_main_context_new ();
  g_mutex_init (&group->lock);
  g_cond_init (&group->cond);
  {
    /* thread names are cut at 15 characters by the kernel */
    gchar *tname = g_strdup_printf ("rtmpgrp:%s", name);

    group->thread = g_thread_new (tname, group_thread_func, group);
    g_free (tname);
  }
  g_hash_table_insert (groups, group->name, group);
  g_mutex_unlock (&groups_lock);
  return group;
}

void
rtmp_net_thread_group_unref (RtmpNetThreadGroup * group)
{
  g_return_if_fail (group != NULL);

  g_mutex_lock (&groups_lock);
  if (--group->refcount > 0) {
    g_mutex_unlock (&groups_lock);
    return;
  }
  g_hash_table_remove (groups, group->name);
  g_mutex_unlock (&groups_lock);

  g_mutex_lock (&group->lock);
  g_atomic_int_set (&group->quit, TRUE);
  g_cond_broadcast (&group->cond);
  g_mutex_unlock (&group->lock);
  g_main_context_wakeup (group->context);
  g_thread_join (group->thread);

  /* what a caller left attached goes with the context */
  while (g_main_context_iteration (group->context, FALSE));
  g_main_context_unref (group->context);
  g_mutex_clear (&group->lock);
  g_cond_clear (&group->cond);
  g_free (group->name);
  g_free (group);
}

GMainContext *
rtmp_net_thread_group_get_context (RtmpNetThreadGroup * group)
{
  g_return_val_if_fail (group != NULL, NULL);
  return group->context;
}

guint
rtmp_net_thread_group_get_interval (RtmpNetThreadGroup * group)
{
  g_return_val_if_fail (group != NULL, 0);
  return group->interval_ms;
}

gboolean
rtmp_net_thread_group_is_current (RtmpNetThreadGroup * group)
{
  g_return_val_if_fail (group != NULL, FALSE);
  return g_main_context_is_owner (group->context);
}
