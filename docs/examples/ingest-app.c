/* GStreamer RTMP ingest and publish elements: example application.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* An application embedding rtmpingestsrc: an RTMP server that records what
 * is published to an FLV file.
 *
 *   ingest-app [--port N] [--app NAME] [--key KEY] [--stats-ms N] OUT.flv
 *
 * It shows the three things an application uses:
 *   - the "authorize" signal, to accept or refuse each publisher (here: the
 *     stream key must be --key when given; the element's own stream-key
 *     property does the same without code, this is where a database lookup
 *     or a token check would go);
 *   - the element messages on the bus (publisher connected, publishing,
 *     metadata, refused, stopped);
 *   - the "stats" property, read every --stats-ms milliseconds.
 * Ctrl-C (SIGINT) sends EOS so the recording is complete; the program also
 * ends when the publisher stops (on-unpublish=eos, the default).
 *
 * Build: meson builds it with -Dexamples=enabled (build/docs/examples/), or
 *   cc ingest-app.c -o ingest-app $(pkg-config --cflags --libs gstreamer-1.0)
 * Run it with GST_PLUGIN_PATH=build/plugin if the plugin is not installed.
 */
#include <gst/gst.h>
#include <glib-unix.h>
#include <stdio.h>

typedef struct
{
  GMainLoop *loop;
  GstElement *pipeline;
  GstElement *src;
  const gchar *required_key;
  gint exit_code;
} App;

/* Called on the element's network thread for each publish request, after
 * the application/stream-key properties accepted it. Keep it quick. */
static gboolean
on_authorize (GstElement * src, const gchar * peer, const gchar * app,
    const gchar * stream, const gchar * query, const gchar * tc_url,
    const gchar * flash_ver, gpointer user_data)
{
  App *a = user_data;
  gboolean ok = a->required_key == NULL
      || g_strcmp0 (stream, a->required_key) == 0;

  g_print ("authorize: peer=%s app=%s stream=%s query=%s encoder=%s -> %s\n",
      peer, app, stream, GST_STR_NULL (query), GST_STR_NULL (flash_ver),
      ok ? "accept" : "refuse");
  return ok;
}

static void
print_element_message (const GstStructure * s)
{
  const gchar *name = gst_structure_get_name (s);

  if (g_str_equal (name, "rtmp-publisher-connected")) {
    g_print ("connected: peer=%s app=%s encoder=%s\n",
        gst_structure_get_string (s, "peer"),
        gst_structure_get_string (s, "application"),
        GST_STR_NULL (gst_structure_get_string (s, "flash-ver")));
  } else if (g_str_equal (name, "rtmp-publisher-publishing")) {
    g_print ("publishing: peer=%s app=%s stream=%s\n",
        gst_structure_get_string (s, "peer"),
        gst_structure_get_string (s, "application"),
        gst_structure_get_string (s, "stream"));
  } else if (g_str_equal (name, "rtmp-publisher-metadata")) {
    const GstStructure *md = NULL;
    const GValue *v = gst_structure_get_value (s, "metadata");
    gdouble width = 0, height = 0, fps = 0;

    if (v && G_VALUE_HOLDS (v, GST_TYPE_STRUCTURE))
      md = gst_value_get_structure (v);
    if (md) {
      gst_structure_get_double (md, "width", &width);
      gst_structure_get_double (md, "height", &height);
      gst_structure_get_double (md, "framerate", &fps);
    }
    g_print ("metadata: encoder=%s width=%.0f height=%.0f framerate=%g\n",
        GST_STR_NULL (gst_structure_get_string (s, "encoder")), width, height,
        fps);
  } else if (g_str_equal (name, "rtmp-publisher-refused")) {
    g_print ("refused: peer=%s stream=%s code=%s (%s)\n",
        gst_structure_get_string (s, "peer"),
        GST_STR_NULL (gst_structure_get_string (s, "stream")),
        gst_structure_get_string (s, "code"),
        gst_structure_get_string (s, "description"));
  } else if (g_str_equal (name, "rtmp-publisher-stopped")) {
    guint64 bytes = 0;

    gst_structure_get_uint64 (s, "bytes-in", &bytes);
    g_print ("stopped: peer=%s reason=%s bytes-in=%" G_GUINT64_FORMAT "\n",
        gst_structure_get_string (s, "peer"),
        gst_structure_get_string (s, "reason"), bytes);
  }
}

static gboolean
on_bus_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  App *a = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      if (GST_MESSAGE_SRC (msg) == GST_OBJECT (a->src))
        print_element_message (gst_message_get_structure (msg));
      break;
    case GST_MESSAGE_WARNING:{
      GError *err = NULL;

      gst_message_parse_warning (msg, &err, NULL);
      g_printerr ("warning: %s\n", err->message);
      g_error_free (err);
      break;
    }
    case GST_MESSAGE_ERROR:{
      GError *err = NULL;
      gchar *dbg = NULL;

      gst_message_parse_error (msg, &err, &dbg);
      g_printerr ("error: %s (%s)\n", err->message, GST_STR_NULL (dbg));
      g_error_free (err);
      g_free (dbg);
      a->exit_code = 1;
      g_main_loop_quit (a->loop);
      break;
    }
    case GST_MESSAGE_EOS:
      g_print ("end of stream: recording complete\n");
      g_main_loop_quit (a->loop);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
print_stats (gpointer user_data)
{
  App *a = user_data;
  GstStructure *st = NULL;
  gboolean publishing = FALSE;
  guint64 bitrate = 0, video = 0, audio = 0, bytes = 0;

  g_object_get (a->src, "stats", &st, NULL);
  if (st == NULL)
    return G_SOURCE_CONTINUE;
  gst_structure_get_boolean (st, "publishing", &publishing);
  gst_structure_get_uint64 (st, "bitrate", &bitrate);
  gst_structure_get_uint64 (st, "video-frames", &video);
  gst_structure_get_uint64 (st, "audio-frames", &audio);
  gst_structure_get_uint64 (st, "bytes-in", &bytes);
  g_print ("stats: publishing=%d bitrate=%" G_GUINT64_FORMAT
      " video-frames=%" G_GUINT64_FORMAT " audio-frames=%" G_GUINT64_FORMAT
      " bytes-in=%" G_GUINT64_FORMAT "\n", publishing, bitrate, video, audio,
      bytes);
  gst_structure_free (st);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_sigint (gpointer user_data)
{
  App *a = user_data;

  g_print ("interrupted: finishing the recording\n");
  gst_element_send_event (a->pipeline, gst_event_new_eos ());
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  App a = { 0 };
  gint port = 1935, stats_ms = 1000;
  gchar *app_name = NULL, *key = NULL;
  GOptionEntry entries[] = {
    {"port", 0, 0, G_OPTION_ARG_INT, &port, "TCP port (0 = any free port)",
        "N"},
    {"app", 0, 0, G_OPTION_ARG_STRING, &app_name,
        "Only accept this application", "NAME"},
    {"key", 0, 0, G_OPTION_ARG_STRING, &key,
        "Only accept this stream key (checked in the authorize signal)", "KEY"},
    {"stats-ms", 0, 0, G_OPTION_ARG_INT, &stats_ms,
        "Print the stats this often (ms)", "N"},
    G_OPTION_ENTRY_NULL
  };
  GOptionContext *ctx;
  GError *err = NULL;
  GstElement *sink;
  GstBus *bus;
  gint current_port = 0;

  /* one line at a time even into a pipe (log collectors, tests) */
  setvbuf (stdout, NULL, _IOLBF, 0);

  ctx = g_option_context_new ("OUT.flv - record what RTMP publishers send");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err) || argc != 2) {
    g_printerr ("%s\n", err ? err->message : "usage: ingest-app [options] "
        "OUT.flv (--help for the options)");
    g_clear_error (&err);
    g_option_context_free (ctx);
    return 2;
  }
  g_option_context_free (ctx);

  a.required_key = key;
  a.loop = g_main_loop_new (NULL, FALSE);
  a.pipeline = gst_pipeline_new ("ingest");
  a.src = gst_element_factory_make ("rtmpingestsrc", "src");
  sink = gst_element_factory_make ("filesink", "sink");
  if (a.src == NULL || sink == NULL) {
    g_printerr ("rtmpingestsrc or filesink not found: set GST_PLUGIN_PATH "
        "to the build's plugin directory\n");
    return 1;
  }
  g_object_set (a.src, "port", (guint) port, NULL);
  if (app_name)
    g_object_set (a.src, "application", app_name, NULL);
  g_object_set (sink, "location", argv[1], NULL);
  g_signal_connect (a.src, "authorize", G_CALLBACK (on_authorize), &a);

  gst_bin_add_many (GST_BIN (a.pipeline), a.src, sink, NULL);
  if (!gst_element_link (a.src, sink)) {
    g_printerr ("could not link rtmpingestsrc to filesink\n");
    return 1;
  }

  bus = gst_pipeline_get_bus (GST_PIPELINE (a.pipeline));
  gst_bus_add_watch (bus, on_bus_message, &a);
  gst_object_unref (bus);
  g_unix_signal_add (SIGINT, on_sigint, &a);
  if (stats_ms > 0)
    g_timeout_add (stats_ms, print_stats, &a);

  /* The element listens in READY->PAUSED: current-port is known once
   * set_state returns (a bind error is an ERROR message on the bus). */
  if (gst_element_set_state (a.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_printerr ("could not start (is the port in use?)\n");
    a.exit_code = 1;
  } else {
    g_object_get (a.src, "current-port", &current_port, NULL);
    g_print ("listening on rtmp://0.0.0.0:%d/%s/<key>, recording to %s\n",
        current_port, app_name ? app_name : "<app>", argv[1]);
    g_main_loop_run (a.loop);
  }

  gst_element_set_state (a.pipeline, GST_STATE_NULL);
  gst_object_unref (a.pipeline);
  g_main_loop_unref (a.loop);
  g_free (app_name);
  g_free (key);
  return a.exit_code;
}
