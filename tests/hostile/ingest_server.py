#!/usr/bin/python3
# The pipeline under attack, run as its own process by hostile_ingest.py:
#   rtmpingestsrc (stay-alive) ! flvdemux, both pads counted.
# Copyright (C) 2026 The gst-rtmp-ingest authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""usage: ingest_server.py [property=value ...]

Prints "PORT <n>" once listening, then answers lines on stdin:
  stats -> "STATS <json>" (video/audio buffers out of flvdemux, RSS, open
           file descriptors, threads, the element's stats)
  quit  -> stops the pipeline and exits 0.
A bus error is printed as "BUSERROR <message>" and exits 3.
"""
import json
import os
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

Gst.init(None)
counts = {"video": 0, "audio": 0}
lock = threading.Lock()


def probe(pad, info, kind):
    with lock:
        counts[kind] += 1
    return Gst.PadProbeReturn.OK


def pad_added(demux, pad, pipeline):
    kind = pad.get_name()
    if kind not in counts:
        return
    sink = Gst.ElementFactory.make("fakesink")
    sink.set_property("sync", False)
    sink.set_property("async", False)
    pipeline.add(sink)
    sink.sync_state_with_parent()
    pad.link(sink.get_static_pad("sink"))
    pad.add_probe(Gst.PadProbeType.BUFFER, probe, kind)


def proc_status():
    rss = threads = 0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return rss, threads, len(os.listdir("/proc/self/fd"))


def metadata_fields(stats):
    """fields of the current publisher's onMetaData, -1 if none"""
    if not stats.has_field("metadata") or not stats.get_value("publishing"):
        return -1
    return stats.get_value("metadata").n_fields()


def main():
    props = " ".join(sys.argv[1:])
    pipeline = Gst.parse_launch(
        "rtmpingestsrc name=src address=127.0.0.1 port=0 "
        "on-unpublish=stay-alive %s ! flvdemux name=d" % props)
    src = pipeline.get_by_name("src")
    pipeline.get_by_name("d").connect("pad-added", pad_added, pipeline)
    loop = GLib.MainLoop()

    def on_error(bus, msg):
        err, dbg = msg.parse_error()
        print("BUSERROR %s (%s)" % (err.message, dbg), flush=True)
        os._exit(3)

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message::error", on_error)

    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        print("BUSERROR could not start", flush=True)
        return 3
    print("PORT %d" % src.get_property("current-port"), flush=True)

    def on_stdin(channel, cond):
        line = sys.stdin.readline().strip()
        if line == "stats":
            rss, threads, fds = proc_status()
            st = src.get_property("stats")
            with lock:
                out = dict(counts)
            out.update(rss_kb=rss, threads=threads, fds=fds,
                       connections=st.get_value("connections"),
                       pending_connections=st.get_value(
                           "pending-connections"),
                       dropped_peers=st.get_value("dropped-peers"),
                       refused=st.get_value("refused"),
                       publishing=st.get_value("publishing"),
                       network_threads=st.get_value("network-threads"),
                       metadata_fields=metadata_fields(st))
            print("STATS " + json.dumps(out), flush=True)
            return True
        loop.quit()
        return False

    GLib.io_add_watch(GLib.IOChannel.unix_new(sys.stdin.fileno()),
                      GLib.PRIORITY_DEFAULT, GLib.IOCondition.IN |
                      GLib.IOCondition.HUP, on_stdin)
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    print("BYE", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
