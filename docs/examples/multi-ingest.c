/* GStreamer RTMP ingest elements: any number of encoders on one port.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The C twin of multi-ingest.py: records every publisher on one port to
 * its own file, OUTDIR/<app>-<key>.flv.
 *
 *   multi-ingest [--address ADDR] [--port N] OUTDIR
 *
 * Every rtmpingestsrc with the same address and port shares one listening
 * socket and one network thread; a publisher goes to the element claiming
 * its stream key, else to a free element claiming nothing (a wildcard).
 * We keep one wildcard element free: when it takes a publisher (bus
 * message rtmp-publisher-publishing), a new one is added. When a recording
 * ends (EOS at its filesink) its branch is removed; the others go on.
 * Ctrl-C (SIGINT) sends EOS to the live ones so every file is complete.
 *
 * Threads: 1 network thread for the port + 1 streaming thread per element.
 *
 * Build: meson builds it with -Dexamples=enabled (build/docs/examples/), or
 *   cc multi-ingest.c -o multi-ingest $(pkg-config --cflags --libs gstreamer-1.0)
 * Run it with GST_PLUGIN_PATH=build/plugin if the plugin is not installed.
 */
#include <gst/gst.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

typedef struct
{
  GstElement *bin;
  GstElement *src;
  gchar *name;
  gchar *tmp;                   /* written while we do not know whom */
  gchar *target;                /* OUTDIR/<app>-<key>.flv once publishing */
} Branch;

typedef struct
{
  GMainLoop *loop;
  GstElement *pipeline;
  GHashTable *branches;         /* name -> Branch * (main thread only) */
  const gchar *address;
  const gchar *outdir;
  guint port;
  guint counter;
  gboolean stopping;
  gint exit_code;
} App;

typedef struct
{
  App *app;
  gchar *name;
} Finish;

static void
branch_free (Branch * b)
{
  g_free (b->name);
  g_free (b->tmp);
  g_free (b->target);
  g_free (b);
}

static gboolean
any_recording (App * a)
{
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init (&it, a->branches);
  while (g_hash_table_iter_next (&it, NULL, &value))
    if (((Branch *) value)->target)
      return TRUE;
  return FALSE;
}

/* main thread: the recording is complete, remove its branch */
static gboolean
finish_branch (gpointer user_data)
{
  Finish *f = user_data;
  App *a = f->app;
  Branch *b = g_hash_table_lookup (a->branches, f->name);

  if (b == NULL)
    return G_SOURCE_REMOVE;
  g_hash_table_steal (a->branches, f->name);
  /* NULL closes the file and releases our place on the port */
  gst_element_set_state (b->bin, GST_STATE_NULL);
  gst_bin_remove (GST_BIN (a->pipeline), b->bin);
  if (b->target) {
    if (g_rename (b->tmp, b->target) == 0)
      g_print ("finished %s\n", b->target);
    else
      g_printerr ("could not rename %s to %s\n", b->tmp, b->target);
  } else {
    g_unlink (b->tmp);
  }
  branch_free (b);
  if (a->stopping && !any_recording (a))
    g_main_loop_quit (a->loop);
  return G_SOURCE_REMOVE;
}

static void
finish_free (gpointer data)
{
  Finish *f = data;

  g_free (f->name);
  g_free (f);
}

/* streaming thread: EOS reached the filesink */
static GstPadProbeReturn
on_sink_event (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Finish *f;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;
  f = g_new0 (Finish, 1);
  f->app = ((Finish *) user_data)->app;
  f->name = g_strdup (((Finish *) user_data)->name);
  g_idle_add_full (G_PRIORITY_DEFAULT, finish_branch, f, finish_free);
  return GST_PAD_PROBE_OK;
}

/* A free wildcard element (no application, no stream key). filesink
 * async=false: a sink waiting for its first buffer must not take the
 * running pipeline back to PAUSED. */
static Branch *
add_branch (App * a)
{
  Branch *b = g_new0 (Branch, 1);
  GstElement *sink;
  GstPad *pad;
  GError *err = NULL;
  gchar *desc, *base;
  Finish *probe_data;

  b->name = g_strdup_printf ("ingest%u", ++a->counter);
  base = g_strdup_printf (".%s.flv.part", b->name);
  b->tmp = g_build_filename (a->outdir, base, NULL);
  g_free (base);
  desc = g_strdup_printf ("rtmpingestsrc name=%s port=%u %s%s ! "
      "filesink name=%s_sink async=false location=\"%s\"", b->name, a->port,
      a->address ? "address=" : "", a->address ? a->address : "", b->name,
      b->tmp);
  b->bin = gst_parse_bin_from_description (desc, FALSE, &err);
  g_free (desc);
  if (b->bin == NULL) {
    g_printerr ("cannot create an element: %s (is the plugin on "
        "GST_PLUGIN_PATH?)\n", err->message);
    g_error_free (err);
    branch_free (b);
    return NULL;
  }
  gst_bin_add (GST_BIN (a->pipeline), b->bin);
  b->src = gst_bin_get_by_name (GST_BIN (b->bin), b->name);
  gst_object_unref (b->src);    /* the bin keeps it alive */

  desc = g_strdup_printf ("%s_sink", b->name);
  sink = gst_bin_get_by_name (GST_BIN (b->bin), desc);
  g_free (desc);
  pad = gst_element_get_static_pad (sink, "sink");
  probe_data = g_new0 (Finish, 1);
  probe_data->app = a;
  probe_data->name = g_strdup (b->name);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_sink_event,
      probe_data, finish_free);
  gst_object_unref (pad);
  gst_object_unref (sink);

  g_hash_table_insert (a->branches, b->name, b);
  if (GST_STATE (a->pipeline) != GST_STATE_NULL)
    gst_element_sync_state_with_parent (b->bin);
  return b;
}

static gchar *
safe_name (const gchar * app, const gchar * key)
{
  gchar *s = g_strdup_printf ("%s-%s", app ? app : "app",
      key ? key : "stream");
  gchar *p;

  for (p = s; *p; p++)
    if (!g_ascii_isalnum (*p) && !strchr ("_.-", *p))
      *p = '_';
  return s;
}

static gboolean
on_bus (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  App *a = user_data;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT) {
    const GstStructure *s = gst_message_get_structure (msg);
    Branch *b = g_hash_table_lookup (a->branches,
        GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)));

    if (b && gst_structure_has_name (s, "rtmp-publisher-publishing")) {
      const gchar *app = gst_structure_get_string (s, "application");
      const gchar *key = gst_structure_get_string (s, "stream");
      gchar *base = safe_name (app, key), *file;

      file = g_strdup_printf ("%s.flv", base);
      g_free (b->target);
      b->target = g_build_filename (a->outdir, file, NULL);
      g_print ("recording %s/%s from %s to %s\n", GST_STR_NULL (app),
          GST_STR_NULL (key), gst_structure_get_string (s, "peer"),
          b->target);
      g_free (file);
      g_free (base);
      /* keep one element free for the next encoder */
      if (!a->stopping)
        add_branch (a);
    }
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    g_printerr ("error from %s: %s (%s)\n", GST_OBJECT_NAME (msg->src),
        err->message, GST_STR_NULL (dbg));
    g_error_free (err);
    g_free (dbg);
    a->exit_code = 1;
    g_main_loop_quit (a->loop);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_sigint (gpointer user_data)
{
  App *a = user_data;
  GHashTableIter it;
  gpointer value;
  GList *idle = NULL, *l;

  g_print ("interrupted: finishing the recordings\n");
  a->stopping = TRUE;
  g_hash_table_iter_init (&it, a->branches);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    Branch *b = value;

    if (b->target)              /* EOS from the source: the file is finalised */
      gst_element_send_event (b->src, gst_event_new_eos ());
    else
      idle = g_list_prepend (idle, g_strdup (b->name));
  }
  for (l = idle; l; l = l->next) {
    Finish *f = g_new0 (Finish, 1);

    f->app = a;
    f->name = l->data;
    finish_branch (f);
    finish_free (f);
  }
  g_list_free (idle);
  if (!any_recording (a))
    g_main_loop_quit (a->loop);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  App a = { 0, };
  gchar *address = NULL;
  gint port = 1935;
  GOptionEntry entries[] = {
    {"address", 0, 0, G_OPTION_ARG_STRING, &address,
        "Address to listen on (default: all)", "ADDR"},
    {"port", 0, 0, G_OPTION_ARG_INT, &port,
        "TCP port (0 = any free port, shared by the elements added later)",
        "N"},
    G_OPTION_ENTRY_NULL
  };
  GOptionContext *ctx;
  GError *err = NULL;
  GstBus *bus;
  Branch *first;

  ctx = g_option_context_new ("OUTDIR - record any number of RTMP "
      "publishers on one port, one file each");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err) || argc != 2) {
    g_printerr ("%s\nusage: %s [--address ADDR] [--port N] OUTDIR\n",
        err ? err->message : "", argv[0]);
    g_clear_error (&err);
    g_option_context_free (ctx);
    return 2;
  }
  g_option_context_free (ctx);
  if (port < 0 || port > 65535) {
    g_printerr ("--port must be 0..65535\n");
    return 2;
  }

  a.outdir = argv[1];
  a.address = address;
  a.port = port;
  g_mkdir_with_parents (a.outdir, 0755);
  a.loop = g_main_loop_new (NULL, FALSE);
  a.pipeline = gst_pipeline_new ("multi-ingest");
  a.branches = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) branch_free);
  bus = gst_element_get_bus (a.pipeline);
  gst_bus_add_watch (bus, on_bus, &a);
  gst_object_unref (bus);

  first = add_branch (&a);
  if (first == NULL || gst_element_set_state (a.pipeline,
          GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_printerr ("could not start (see the error above)\n");
    return 1;
  }
  /* port=0: every later element must use the port actually bound */
  g_object_get (first->src, "current-port", &port, NULL);
  a.port = port;
  g_print ("listening on rtmp://%s:%u/<app>/<key>, recording to %s\n",
      address ? address : "0.0.0.0", a.port, a.outdir);

  g_unix_signal_add (SIGINT, on_sigint, &a);
  g_main_loop_run (a.loop);

  gst_element_set_state (a.pipeline, GST_STATE_NULL);
  g_hash_table_unref (a.branches);
  gst_object_unref (a.pipeline);
  g_main_loop_unref (a.loop);
  g_free (address);
  return a.exit_code;
}
