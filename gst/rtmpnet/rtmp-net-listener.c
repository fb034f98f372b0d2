/* RTMP net layer: listeners shared by several consumers (elements) on one
 * address and port, publishers routed by application and stream key.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/*
 * A process-wide registry (one mutex) maps "address|port" to a Listener:
 * one RtmpNetServer (one socket, one thread) whose callbacks are ours. We
 * route each connection to a consumer at its publish command and forward
 * its later events to that consumer only.
 *
 * Locking: registry_lock (the table, users counts, start/stop of servers)
 * is taken before a listener's lock (consumers, routes), never after. No
 * lock is held while a consumer's callback runs: a consumer counts its
 * running callbacks (busy) and release waits for zero, so no callback runs
 * after release returns. The server is stopped under registry_lock, when
 * no consumer is left: its thread then calls no consumer code, so it
 * never waits for registry_lock.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "rtmp-net-listener.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (rtmp_net_listener_debug);
#define GST_CAT_DEFAULT rtmp_net_listener_debug

typedef struct _Listener Listener;

struct _RtmpNetConsumer
{
  Listener *listener;
  guint64 id;
  gchar *name;
  gchar *application;
  gchar *stream_key;
  RtmpNetServerCallbacks callbacks;
  RtmpAuthPasswordFunc lookup_password;
  gpointer user_data;

  /* listener lock */
  RtmpNetConnection *live;      /* the publisher it serves (no ref) */
  gboolean available;
  guint busy;                   /* callbacks running */
  guint busy_waiters;           /* releases waiting for busy == 0 */
};

/* what we know of a connection (listener lock) */
typedef struct
{
  RtmpNetConsumer *consumer;    /* routed to, or NULL */
  gboolean orphan;              /* its consumer was released */
  guint64 connect_sent_to;      /* consumer id that heard its connect */
} Route;

struct _Listener
{
  gchar *key;                   /* registry key: "address|bound port" */
  RtmpNetServer *server;
  GstStructure *settings;       /* of the first consumer */
  gchar *first_name;
  gboolean auth;
  guint users;                  /* registry_lock */

  GMutex lock;
  GCond cond;
  GList *consumers;             /* RtmpNetConsumer *, in join order */
  GHashTable *routes;           /* RtmpNetConnection * -> Route * */
  guint64 next_id;
};

static GMutex registry_lock;
static GHashTable *registry;    /* key -> Listener * */

static void
ensure_debug (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtmp_net_listener_debug, "rtmpnetlistener", 0,
        "RTMP shared listeners (routing of publishers to elements)");
    g_once_init_leave (&once, 1);
  }
}

/* The time taken does not depend on where the first difference is (stream
 * keys are secrets). */
static gboolean
key_equal (const gchar * a, const gchar * b)
{
  gsize la, lb, i;
  guint diff;

  if (a == NULL || b == NULL)
    return a == b;
  la = strlen (a);
  lb = strlen (b);
  diff = (la != lb);
  for (i = 0; i < lb; i++)
    diff |= (guint) ((guint8) b[i] ^ (guint8) (i < la ? a[i] : 0));
  return diff == 0;
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                            */
/* ------------------------------------------------------------------ */

/* listener lock held */
static RtmpNetConsumer *
sole_consumer_locked (Listener * l)
{
  if (l->consumers && l->consumers->next == NULL)
    return l->consumers->data;
  return NULL;
}

/* The consumer @conn's events go to, with a busy count taken (release with
 * consumer_done), or NULL. @fallback: an unrouted connection goes to the
 * sole consumer, if there is one. */
static RtmpNetConsumer *
consumer_for (Listener * l, RtmpNetConnection * conn, gboolean fallback)
{
  RtmpNetConsumer *c = NULL;
  Route *route;

  g_mutex_lock (&l->lock);
  route = g_hash_table_lookup (l->routes, conn);
  if (route && route->consumer)
    c = route->consumer;
  else if (fallback && !(route && route->orphan))
    c = sole_consumer_locked (l);
  if (c)
    c->busy++;
  g_mutex_unlock (&l->lock);
  return c;
}

static void
consumer_done_locked (Listener * l, RtmpNetConsumer * c)
{
  /* g_cond_broadcast() is a futex syscall even with nobody waiting, and
   * this runs once per message of every stream */
  if (--c->busy == 0 && c->busy_waiters > 0)
    g_cond_broadcast (&l->cond);
}

static void
consumer_done (Listener * l, RtmpNetConsumer * c)
{
  g_mutex_lock (&l->lock);
  consumer_done_locked (l, c);
  g_mutex_unlock (&l->lock);
}

static void
listener_connect (RtmpNetServer * server, RtmpNetConnection * conn,
    const RtmpSessionEvent * ev, gpointer user_data)
{
  Listener *l = user_data;
  RtmpNetConsumer *c;
  Route *route;

  g_mutex_lock (&l->lock);
  route = g_hash_table_lookup (l->routes, conn);
  if (route == NULL) {
    route = g_new0 (Route, 1);
    g_hash_table_insert (l->routes, conn, route);
  }
  /* one consumer: it hears connect now, as on a listener of its own;
   * several: the one the publish is routed to hears it then */
  c = route->consumer ? route->consumer : sole_consumer_locked (l);
  if (c && c->callbacks.connect && !route->orphan) {
    route->connect_sent_to = c->id;
    c->busy++;
  } else {
    c = NULL;
  }
  g_mutex_unlock (&l->lock);

  if (c) {
    c->callbacks.connect (server, conn, ev, c->user_data);
    consumer_done (l, c);
  }
}

/* listener lock held: 3 = claims this key and application, 2 = this key,
 * any application, 1 = only this application, 0 = claims nothing, -1 = no
 * match */
static gint
match_level (RtmpNetConsumer * c, const gchar * app, const gchar * key)
{
  if (c->stream_key) {
    if (!key_equal (key ? key : "", c->stream_key))
      return -1;
    if (c->application == NULL)
      return 2;
    return g_strcmp0 (c->application, app) == 0 ? 3 : -1;
  }
  if (c->application)
    return g_strcmp0 (c->application, app) == 0 ? 1 : -1;
  return 0;
}

/* listener lock held: the consumer for a new publish, or NULL and a
 * description of why not */
static RtmpNetConsumer *
choose_consumer_locked (Listener * l, const RtmpSessionEvent * ev,
    gchar ** description)
{
  RtmpNetConsumer *c, *best = NULL;
  gint best_level = -1, level;
  GList *it;

  c = sole_consumer_locked (l);
  if (c)
    return c;

  /* the best group; the first free consumer in it */
  for (it = l->consumers; it; it = it->next) {
    c = it->data;
    level = match_level (c, ev->app, ev->stream_name);
    if (level > 3 || level < 0)
      continue;
    /* 3 and 2 are the same group: an exact key claim */
    if (level == 3)
      level = 2;
    if (level > best_level) {
      best_level = level;
      best = NULL;
    }
    if (level == best_level && best == NULL && c->available && !c->live)
      best = c;
  }
  if (best)
    return best;

  if (best_level < 0)
    *description = g_strdup_printf ("No ingest point for stream '%s' of "
        "application '%s'", GST_STR_NULL (ev->stream_name),
        GST_STR_NULL (ev->app));
  else if (best_level == 0)
    *description = g_strdup ("No free ingest point for this stream");
  else
    *description = g_strdup_printf ("Stream '%s' of application '%s' is "
        "already being published or has ended", GST_STR_NULL (ev->stream_name),
        GST_STR_NULL (ev->app));
  return NULL;
}

static gboolean
listener_publish_request (RtmpNetServer * server, RtmpNetConnection * conn,
    const RtmpSessionEvent * ev, gchar ** code, gchar ** description,
    gpointer user_data)
{
  Listener *l = user_data;
  RtmpNetConsumer *c;
  Route *route;
  gboolean ok, send_connect = FALSE, tentative = FALSE;
  gchar *why = NULL;

  g_mutex_lock (&l->lock);
  route = g_hash_table_lookup (l->routes, conn);
  if (route == NULL) {
    route = g_new0 (Route, 1);
    g_hash_table_insert (l->routes, conn, route);
  }
  if (route->orphan) {
    why = g_strdup ("The ingest point of this stream was removed");
    goto refuse_locked;
  }
  if (route->consumer) {
    /* publishes again on the same connection */
    c = route->consumer;
  } else {
    c = choose_consumer_locked (l, ev, &why);
    if (c == NULL)
      goto refuse_locked;
    route->consumer = c;
    tentative = TRUE;
  }
  if (c->callbacks.connect && route->connect_sent_to != c->id) {
    route->connect_sent_to = c->id;
    send_connect = TRUE;
  }
  c->busy++;
  g_mutex_unlock (&l->lock);

  GST_DEBUG ("%s: publish of '%s' to app '%s' routed to %s",
      rtmp_net_connection_get_peer (conn), GST_STR_NULL (ev->stream_name),
      GST_STR_NULL (ev->app), c->name);

  if (send_connect) {
    /* the connect the consumer did not hear (routing waits for publish) */
    RtmpSessionEvent cev = *ev;

    cev.type = RTMP_SESSION_EVENT_CONNECT;
    if (cev.tc_url == NULL)
      cev.tc_url = (gchar *) rtmp_net_connection_get_tc_url (conn);
    if (cev.flash_ver == NULL)
      cev.flash_ver = (gchar *) rtmp_net_connection_get_flash_ver (conn);
    c->callbacks.connect (server, conn, &cev, c->user_data);
  }

  ok = TRUE;
  if (c->callbacks.publish_request)
    ok = c->callbacks.publish_request (server, conn, ev, code, description,
        c->user_data);

  g_mutex_lock (&l->lock);
  if (ok) {
    c->live = conn;
  } else if (tentative && route->consumer == c) {
    route->consumer = NULL;
  }
  consumer_done_locked (l, c);
  g_mutex_unlock (&l->lock);
  return ok;

refuse_locked:
  g_mutex_unlock (&l->lock);
  GST_WARNING ("%s: refusing publish of '%s' to app '%s': %s",
      rtmp_net_connection_get_peer (conn), GST_STR_NULL (ev->stream_name),
      GST_STR_NULL (ev->app), why);
  *code = g_strdup ("NetStream.Publish.BadName");
  *description = why;
  return FALSE;
}

static void
listener_publish_started (RtmpNetServer * server, RtmpNetConnection * conn,
    gpointer user_data)
{
  Listener *l = user_data;
  RtmpNetConsumer *c = consumer_for (l, conn, FALSE);

  if (c == NULL)
    return;
  if (c->callbacks.publish_started)
    c->callbacks.publish_started (server, conn, c->user_data);
  consumer_done (l, c);
}

static gboolean
listener_media (RtmpNetServer * server, RtmpNetConnection * conn,
    const RtmpMessage * msg, gpointer user_data)
{
  Listener *l = user_data;
  RtmpNetConsumer *c = consumer_for (l, conn, FALSE);
  gboolean more = TRUE;

  if (c == NULL)
    return TRUE;
  if (c->callbacks.media)
    more = c->callbacks.media (server, conn, msg, c->user_data);
  consumer_done (l, c);
  return more;
}

static void
listener_input_processed (RtmpNetServer * server, RtmpNetConnection * conn,
    gpointer user_data)
{
  Listener *l = user_data;
  RtmpNetConsumer *c = consumer_for (l, conn, FALSE);

  if (c == NULL)
    return;
  if (c->callbacks.input_processed)
    c->callbacks.input_processed (server, conn, c->user_data);
  consumer_done (l, c);
}

static void
listener_metadata (RtmpNetServer * server, RtmpNetConnection * conn,
    const RtmpAmfValue * metadata, gpointer user_data)
{
  Listener *l = user_data;
  RtmpNetConsumer *c = consumer_for (l, conn, FALSE);

  if (c == NULL)
    return;
  if (c->callbacks.metadata)
    c->callbacks.metadata (server, conn, metadata, c->user_data);
  consumer_done (l, c);
}

static void
listener_unpublished (RtmpNetServer * server, RtmpNetConnection * conn,
    const gchar * reason, gpointer user_data)
{
  Listener *l = user_data;
  RtmpNetConsumer *c = consumer_for (l, conn, FALSE);

  if (c == NULL)
    return;
  if (c->callbacks.unpublished)
    c->callbacks.unpublished (server, conn, reason, c->user_data);
  g_mutex_lock (&l->lock);
  /* free for the next publisher (a consumer that ended retires itself
   * with rtmp_net_consumer_set_available()) */
  if (c->live == conn)
    c->live = NULL;
  consumer_done_locked (l, c);
  g_mutex_unlock (&l->lock);
}

static void
listener_closed (RtmpNetServer * server, RtmpNetConnection * conn,
    const GError * error, gpointer user_data)
{
  Listener *l = user_data;
  RtmpNetConsumer *c = consumer_for (l, conn, TRUE);

  if (c && c->callbacks.closed)
    c->callbacks.closed (server, conn, error, c->user_data);

  g_mutex_lock (&l->lock);
  g_hash_table_remove (l->routes, conn);
  if (c) {
    if (c->live == conn)
      c->live = NULL;
    consumer_done_locked (l, c);
  }
  g_mutex_unlock (&l->lock);
}

static void
listener_accepted (RtmpNetServer * server, RtmpNetConnection * conn,
    gpointer user_data)
{
  Listener *l = user_data;
  RtmpNetConsumer *c = consumer_for (l, conn, TRUE);

  if (c == NULL)
    return;
  if (c->callbacks.accepted)
    c->callbacks.accepted (server, conn, c->user_data);
  consumer_done (l, c);
}

/* Adobe authentication happens at connect, before we know the stream: any
 * consumer may know the user. */
static gchar *
listener_lookup_password (const gchar * user, gpointer user_data)
{
  Listener *l = user_data;
  GPtrArray *asked = g_ptr_array_new ();
  gchar *password = NULL;
  GList *it;
  guint i;

  g_mutex_lock (&l->lock);
  for (it = l->consumers; it; it = it->next) {
    RtmpNetConsumer *c = it->data;

    if (c->lookup_password) {
      c->busy++;
      g_ptr_array_add (asked, c);
    }
  }
  g_mutex_unlock (&l->lock);

  for (i = 0; i < asked->len && password == NULL; i++) {
    RtmpNetConsumer *c = g_ptr_array_index (asked, i);
    password = c->lookup_password (user, c->user_data);
  }

  g_mutex_lock (&l->lock);
  for (i = 0; i < asked->len; i++)
    consumer_done_locked (l, g_ptr_array_index (asked, i));
  g_mutex_unlock (&l->lock);
  g_ptr_array_unref (asked);
  return password;
}

/* ------------------------------------------------------------------ */
/* Registry                                                            */
/* ------------------------------------------------------------------ */

static void
listener_free (Listener * l)
{
  if (l->server) {
    rtmp_net_server_stop (l->server);
    rtmp_net_server_unref (l->server);
  }
  g_warn_if_fail (l->consumers == NULL);
  g_hash_table_unref (l->routes);
  g_clear_pointer (&l->settings, gst_structure_free);
  g_mutex_clear (&l->lock);
  g_cond_clear (&l->cond);
  g_free (l->first_name);
  g_free (l->key);
  g_free (l);
}

static gboolean
is_any_address (const gchar * address)
{
  return address == NULL || *address == '\0' || g_str_equal (address, "*");
}

static gboolean
setting_equal (const GValue * a, const GValue * b)
{
  if (a == NULL || b == NULL)
    return a == b;
  if (G_VALUE_TYPE (a) != G_VALUE_TYPE (b))
    return FALSE;
  if (G_VALUE_HOLDS_STRING (a))
    return g_strcmp0 (g_value_get_string (a), g_value_get_string (b)) == 0;
  return gst_value_compare (a, b) == GST_VALUE_EQUAL;
}

static gchar *
setting_to_string (const gchar * field, const GValue * v)
{
  if (v == NULL)
    return g_strdup ("(unset)");
  if (strstr (field, "password"))
    return g_strdup ("(hidden)");
  if (G_VALUE_HOLDS_STRING (v))
    return g_value_get_string (v) ?
        g_strdup_printf ("'%s'", g_value_get_string (v)) :
        g_strdup ("(unset)");
  return gst_value_serialize (v);
}

/* The first setting of @b that differs from @a (or NULL) */
static const gchar *
settings_differ (const GstStructure * a, const GstStructure * b)
{
  guint i, n;

  n = gst_structure_n_fields (a);
  for (i = 0; i < n; i++) {
    const gchar *f = gst_structure_nth_field_name (a, i);
    if (!setting_equal (gst_structure_get_value (a, f),
            gst_structure_get_value (b, f)))
      return f;
  }
  n = gst_structure_n_fields (b);
  for (i = 0; i < n; i++) {
    const gchar *f = gst_structure_nth_field_name (b, i);
    if (!gst_structure_has_field (a, f))
      return f;
  }
  return NULL;
}

RtmpNetConsumer *
rtmp_net_consumer_acquire (const gchar * address, guint port,
    const RtmpNetServerConfig * config, const GstStructure * settings,
    const RtmpNetConsumerInfo * info, GError ** error)
{
  RtmpNetServerCallbacks cb = { 0, };
  RtmpNetConsumer *c;
  Listener *l = NULL;
  gchar *key = NULL;
  const gchar *field;
  gboolean auth;

  g_return_val_if_fail (port <= 65535, NULL);
  g_return_val_if_fail (info != NULL, NULL);
  g_return_val_if_fail (config == NULL || config->auth == NULL, NULL);

  ensure_debug ();
  auth = info->lookup_password != NULL;

  g_mutex_lock (&registry_lock);
  if (registry == NULL)
    registry = g_hash_table_new (g_str_hash, g_str_equal);

  if (port != 0) {
    key = g_strdup_printf ("%s|%u", is_any_address (address) ? "*" : address,
        port);
    l = g_hash_table_lookup (registry, key);
  }

  if (l) {
    field = NULL;
    if (settings && l->settings)
      field = settings_differ (l->settings, settings);
    if (field)
      goto conflict;
    if (auth != l->auth)
      goto auth_conflict;
    g_free (key);
  } else {
    RtmpNetServerConfig cfg;

    if (config)
      cfg = *config;
    else
      rtmp_net_server_config_init (&cfg);

    l = g_new0 (Listener, 1);
    l->key = key;
    l->settings = settings ? gst_structure_copy (settings) : NULL;
    l->first_name = g_strdup (info->name);
    l->auth = auth;
    g_mutex_init (&l->lock);
    g_cond_init (&l->cond);
    l->routes = g_hash_table_new_full (NULL, NULL, NULL, g_free);

    cb.accepted = listener_accepted;
    cb.connect = listener_connect;
    cb.publish_request = listener_publish_request;
    cb.publish_started = listener_publish_started;
    cb.media = listener_media;
    cb.metadata = listener_metadata;
    cb.input_processed = listener_input_processed;
    cb.unpublished = listener_unpublished;
    cb.closed = listener_closed;
    if (auth)
      cfg.auth = rtmp_auth_server_new (listener_lookup_password, l, NULL);
    l->server = rtmp_net_server_new (address, port, &cfg, &cb, l, NULL);
    if (cfg.auth)
      rtmp_auth_server_unref (cfg.auth);
    if (!rtmp_net_server_start (l->server, error))
      goto start_failed;
    if (port == 0) {
      /* a later consumer may name the port we got; other port=0 consumers
       * still get listeners of their own */
      l->key = g_strdup_printf ("%s|%u", is_any_address (address) ? "*" :
          address, rtmp_net_server_get_port (l->server));
    }
    g_hash_table_insert (registry, l->key, l);
    GST_INFO ("%s opened the listener on port %u",
        GST_STR_NULL (info->name), rtmp_net_server_get_port (l->server));
  }
  l->users++;

  c = g_new0 (RtmpNetConsumer, 1);
  c->listener = l;
  c->name = g_strdup (info->name);
  c->application = g_strdup (info->application);
  c->stream_key = g_strdup (info->stream_key);
  c->callbacks = info->callbacks;
  c->lookup_password = info->lookup_password;
  c->user_data = info->user_data;
  c->available = TRUE;

  g_mutex_lock (&l->lock);
  c->id = ++l->next_id;
  l->consumers = g_list_append (l->consumers, c);
  g_mutex_unlock (&l->lock);
  GST_INFO ("%s joined the listener on port %u (app %s, key %s; %u "
      "consumers)", GST_STR_NULL (c->name),
      rtmp_net_server_get_port (l->server), GST_STR_NULL (c->application),
      c->stream_key ? "set" : "any", l->users);
  g_mutex_unlock (&registry_lock);
  return c;

  /* ERRORS */
conflict:
  {
    const GValue *first = gst_structure_get_value (l->settings, field);
    const GValue *mine = gst_structure_get_value (settings, field);
    gchar *s_first = setting_to_string (field, first);
    gchar *s_mine = setting_to_string (field, mine);

    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "%s cannot share port %u with %s, which started first on it: their "
        "'%s' differ (%s has %s, %s has %s). Elements on one address and "
        "port share one socket: give them all the same '%s', or use another "
        "port", GST_STR_NULL (info->name), port, GST_STR_NULL (l->first_name),
        field, GST_STR_NULL (l->first_name), s_first,
        GST_STR_NULL (info->name), s_mine, field);
    g_free (s_first);
    g_free (s_mine);
    g_free (key);
    g_mutex_unlock (&registry_lock);
    return NULL;
  }
auth_conflict:
  {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "%s cannot share port %u with %s, which started first on it: %s "
        "authentication (username/password or a get-password handler) and "
        "the other does not. Give every element on one port the same "
        "authentication settings, or use another port",
        GST_STR_NULL (info->name), port, GST_STR_NULL (l->first_name),
        l->auth ? GST_STR_NULL (l->first_name) : GST_STR_NULL (info->name));
    g_free (key);
    g_mutex_unlock (&registry_lock);
    return NULL;
  }
start_failed:
  {
    listener_free (l);
    g_mutex_unlock (&registry_lock);
    return NULL;
  }
}

static void
close_conn (gpointer data)
{
  RtmpNetConnection *conn = data;

  rtmp_net_connection_close (conn, NULL);
  rtmp_net_connection_unref (conn);
}

void
rtmp_net_consumer_release (RtmpNetConsumer * c)
{
  Listener *l;
  GPtrArray *orphans;
  GHashTableIter iter;
  gpointer conn, value;

  g_return_if_fail (c != NULL);
  l = c->listener;
  if (rtmp_net_server_is_server_thread (l->server)) {
    g_critical ("rtmp_net_consumer_release() called from a callback");
    return;
  }

  orphans = g_ptr_array_new_with_free_func (close_conn);
  g_mutex_lock (&l->lock);
  l->consumers = g_list_remove (l->consumers, c);
  g_hash_table_iter_init (&iter, l->routes);
  while (g_hash_table_iter_next (&iter, &conn, &value)) {
    Route *route = value;

    if (route->consumer == c) {
      route->consumer = NULL;
      route->orphan = TRUE;
      g_ptr_array_add (orphans, rtmp_net_connection_ref (conn));
    }
  }
  c->busy_waiters++;
  while (c->busy > 0)
    g_cond_wait (&l->cond, &l->lock);
  c->busy_waiters--;
  g_mutex_unlock (&l->lock);

  GST_INFO ("%s leaves the listener on port %u, closing %u connection(s)",
      GST_STR_NULL (c->name), rtmp_net_server_get_port (l->server),
      orphans->len);
  /* the streams of the other consumers go on */
  g_ptr_array_unref (orphans);

  g_mutex_lock (&registry_lock);
  if (--l->users == 0) {
    g_hash_table_remove (registry, l->key);
    GST_INFO ("last consumer left: closing the listener");
    /* under the registry lock, so a new consumer of this port binds after
     * the socket is closed; no consumer is left, so the server thread
     * runs no consumer code that could wait for this lock */
    listener_free (l);
  }
  g_mutex_unlock (&registry_lock);

  g_free (c->name);
  g_free (c->application);
  g_free (c->stream_key);
  g_free (c);
}

RtmpNetServer *
rtmp_net_consumer_get_server (RtmpNetConsumer * consumer)
{
  g_return_val_if_fail (consumer != NULL, NULL);
  return consumer->listener->server;
}

void
rtmp_net_consumer_set_available (RtmpNetConsumer * consumer,
    gboolean available)
{
  Listener *l;

  g_return_if_fail (consumer != NULL);
  l = consumer->listener;
  g_mutex_lock (&l->lock);
  consumer->available = available;
  g_mutex_unlock (&l->lock);
}

guint
rtmp_net_consumer_get_n_sharing (RtmpNetConsumer * consumer)
{
  Listener *l;
  guint n;

  g_return_val_if_fail (consumer != NULL, 0);
  l = consumer->listener;
  g_mutex_lock (&l->lock);
  n = g_list_length (l->consumers);
  g_mutex_unlock (&l->lock);
  return n;
}
