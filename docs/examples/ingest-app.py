#!/usr/bin/python3
# An application embedding rtmpingestsrc (the Python twin of ingest-app.c):
# an RTMP server that records what is published to an FLV file, accepts or
# refuses publishers in the "authorize" signal, prints the element messages
# from the bus and the "stats" property periodically. Ctrl-C sends EOS so
# the recording is complete; it also ends when the publisher stops.
#
#   GST_PLUGIN_PATH=build/plugin /usr/bin/python3 docs/examples/ingest-app.py \
#       [--port N] [--app NAME] [--key KEY] [--stats-ms N] OUT.flv
#
# Needs PyGObject with GStreamer's introspection data (Debian: python3-gi,
# gir1.2-gstreamer-1.0).
# SPDX-License-Identifier: LGPL-2.1-or-later
import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description="Record what RTMP publishers "
                                 "send to an FLV file")
    ap.add_argument("--port", type=int, default=1935,
                    help="TCP port (0 = any free port)")
    ap.add_argument("--app", help="only accept this application")
    ap.add_argument("--key", help="only accept this stream key (checked in "
                    "the authorize signal)")
    ap.add_argument("--stats-ms", type=int, default=1000,
                    help="print the stats this often (ms)")
    ap.add_argument("output")
    args = ap.parse_args()

    Gst.init(None)
    loop = GLib.MainLoop()
    pipeline = Gst.Pipeline.new("ingest")
    src = Gst.ElementFactory.make("rtmpingestsrc", "src")
    sink = Gst.ElementFactory.make("filesink", "sink")
    if src is None or sink is None:
        print("rtmpingestsrc or filesink not found: set GST_PLUGIN_PATH to "
              "the build's plugin directory", file=sys.stderr)
        return 1
    src.set_property("port", args.port)
    if args.app:
        src.set_property("application", args.app)
    sink.set_property("location", args.output)
    pipeline.add(src)
    pipeline.add(sink)
    src.link(sink)
    exit_code = [0]

    # Runs on the element's network thread for each publish request that
    # passed the application/stream-key properties: keep it quick.
    def authorize(element, peer, app, stream, query, tc_url, flash_ver):
        ok = args.key is None or stream == args.key
        print("authorize: peer=%s app=%s stream=%s query=%s encoder=%s -> %s"
              % (peer, app, stream, query, flash_ver,
                 "accept" if ok else "refuse"), flush=True)
        return ok

    src.connect("authorize", authorize)

    def element_message(s):
        name = s.get_name()
        if name == "rtmp-publisher-connected":
            print("connected: peer=%s app=%s encoder=%s" % (
                s.get_string("peer"), s.get_string("application"),
                s.get_string("flash-ver")))
        elif name == "rtmp-publisher-publishing":
            print("publishing: peer=%s app=%s stream=%s" % (
                s.get_string("peer"), s.get_string("application"),
                s.get_string("stream")))
        elif name == "rtmp-publisher-metadata":
            md = s.get_value("metadata")

            def num(k):
                return md.get_value(k) if md and md.has_field(k) else 0
            print("metadata: encoder=%s width=%.0f height=%.0f framerate=%g"
                  % (s.get_string("encoder"), num("width"), num("height"),
                     num("framerate")))
        elif name == "rtmp-publisher-refused":
            print("refused: peer=%s stream=%s code=%s (%s)" % (
                s.get_string("peer"), s.get_string("stream"),
                s.get_string("code"), s.get_string("description")))
        elif name == "rtmp-publisher-stopped":
            print("stopped: peer=%s reason=%s bytes-in=%d" % (
                s.get_string("peer"), s.get_string("reason"),
                s.get_value("bytes-in")))
        sys.stdout.flush()

    def on_message(bus, msg):
        t = msg.type
        if t == Gst.MessageType.ELEMENT and msg.src == src:
            element_message(msg.get_structure())
        elif t == Gst.MessageType.WARNING:
            err, _ = msg.parse_warning()
            print("warning: %s" % err.message, file=sys.stderr, flush=True)
        elif t == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            print("error: %s (%s)" % (err.message, dbg), file=sys.stderr,
                  flush=True)
            exit_code[0] = 1
            loop.quit()
        elif t == Gst.MessageType.EOS:
            print("end of stream: recording complete", flush=True)
            loop.quit()

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)

    def stats():
        st = src.get_property("stats")
        if st is not None:
            print("stats: publishing=%d bitrate=%d video-frames=%d "
                  "audio-frames=%d bytes-in=%d" % (
                      st.get_value("publishing"), st.get_value("bitrate"),
                      st.get_value("video-frames"),
                      st.get_value("audio-frames"),
                      st.get_value("bytes-in")), flush=True)
        return True

    if args.stats_ms > 0:
        GLib.timeout_add(args.stats_ms, stats)

    def on_sigint():
        print("interrupted: finishing the recording", flush=True)
        pipeline.send_event(Gst.Event.new_eos())
        return False

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, on_sigint)

    # The element listens in READY->PAUSED: current-port is known once
    # set_state returns.
    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        print("could not start (is the port in use?)", file=sys.stderr)
        exit_code[0] = 1
    else:
        print("listening on rtmp://0.0.0.0:%d/%s/<key>, recording to %s" % (
            src.get_property("current-port"), args.app or "<app>",
            args.output), flush=True)
        loop.run()
    pipeline.set_state(Gst.State.NULL)
    bus.remove_signal_watch()
    return exit_code[0]


if __name__ == "__main__":
    sys.exit(main())
