#!/usr/bin/python3
# Any number of encoders on one port, each recorded to its own file.
#
# Every rtmpingestsrc with the same address and port shares one listening
# socket and one network thread; a publisher goes to the element that claims
# its stream key, else to a free element that claims nothing (a wildcard).
# This application keeps one wildcard element free at all times: when it
# takes a publisher, a new free one is added. Each element records to
# OUTDIR/<app>-<key>.flv; when its publisher stops the element is removed
# (the others keep streaming). Ctrl-C ends every recording cleanly (EOS).
#
#   GST_PLUGIN_PATH=build/plugin /usr/bin/python3 docs/examples/multi-ingest.py \
#       [--address ADDR] [--port N] OUTDIR
#   ffmpeg -re -i in.flv -c copy -f flv rtmp://127.0.0.1:1935/live/cam1
#   ffmpeg -re -i in.flv -c copy -f flv rtmp://127.0.0.1:1935/live/cam2
#
# Threads: 1 network thread for the port + 1 streaming thread per element.
# Two encoders that publish within the same few milliseconds may find no
# free element for the second one (NetStream.Publish.BadName): encoders
# retry (OBS, ffmpeg -reconnect...); a pool of spare elements avoids it.
#
# Needs PyGObject with GStreamer's introspection data (Debian: python3-gi,
# gir1.2-gstreamer-1.0).
# SPDX-License-Identifier: LGPL-2.1-or-later
import argparse
import os
import re
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


class Recorder:
    def __init__(self, args):
        self.args = args
        self.pipeline = Gst.Pipeline.new("multi-ingest")
        self.loop = GLib.MainLoop()
        self.branches = {}      # element name -> dict
        self.counter = 0
        self.stopping = False
        self.port = args.port
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)

    def add_branch(self):
        """A free wildcard element (no application, no stream key) writing
        to a temporary file until we know whom it records. async=false: a
        sink waiting for its first buffer must not take the running
        pipeline back to PAUSED."""
        self.counter += 1
        name = "ingest%d" % self.counter
        tmp = os.path.join(self.args.outdir, ".%s.flv.part" % name)
        b = Gst.parse_bin_from_description(
            "rtmpingestsrc name=%s port=%d %s ! "
            "filesink name=%s_sink async=false location=%s" % (
                name, self.port, "address=%s" % self.args.address
                if self.args.address else "", name, tmp), False)
        b.set_name(name + "_bin")
        self.pipeline.add(b)
        sink = b.get_by_name(name + "_sink")
        sink.get_static_pad("sink").add_probe(
            Gst.PadProbeType.EVENT_DOWNSTREAM, self.on_sink_event, name)
        self.branches[name] = {"bin": b, "src": b.get_by_name(name),
                               "tmp": tmp, "target": None}
        if self.pipeline.get_state(0)[1] != Gst.State.NULL:
            b.sync_state_with_parent()
        return name

    def on_sink_event(self, pad, info, name):
        if info.get_event().type == Gst.EventType.EOS:
            # the file is complete: finish the branch from the main loop
            GLib.idle_add(self.finish_branch, name)
        return Gst.PadProbeReturn.OK

    def finish_branch(self, name):
        br = self.branches.pop(name, None)
        if br is None:
            return False
        # to NULL: the file is closed, our place on the port is released
        br["bin"].set_state(Gst.State.NULL)
        self.pipeline.remove(br["bin"])
        if br["target"]:
            os.replace(br["tmp"], br["target"])
            print("finished %s" % br["target"], flush=True)
        elif os.path.exists(br["tmp"]):
            os.unlink(br["tmp"])
        if self.stopping and not any(b["target"] for b in
                                     self.branches.values()):
            self.quit()
        return False

    def on_message(self, bus, msg):
        if msg.type == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            name = msg.src.get_name()
            if s.get_name() == "rtmp-publisher-publishing" and \
                    name in self.branches:
                app = s.get_string("application") or "app"
                key = s.get_string("stream") or "stream"
                safe = re.sub(r"[^A-Za-z0-9_.-]", "_", "%s-%s" % (app, key))
                target = os.path.join(self.args.outdir, safe + ".flv")
                self.branches[name]["target"] = target
                print("recording %s/%s from %s to %s" % (
                    app, key, s.get_string("peer"), target), flush=True)
                # keep one element free for the next encoder
                if not self.stopping:
                    self.add_branch()
        elif msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            print("error from %s: %s (%s)" % (msg.src.get_name(),
                                               err.message, dbg),
                  file=sys.stderr, flush=True)
            self.quit(1)
        return True

    def on_sigint(self):
        print("interrupted: finishing the recordings", flush=True)
        self.stopping = True
        live = [n for n, b in self.branches.items() if b["target"]]
        for n, b in list(self.branches.items()):
            if b["target"]:
                # EOS from the source: the recording is finalised
                b["src"].send_event(Gst.Event.new_eos())
            else:
                self.finish_branch(n)
        if not live:
            self.quit()
        return GLib.SOURCE_CONTINUE

    def quit(self, rc=0):
        self.rc = rc
        self.loop.quit()

    def run(self):
        self.rc = 0
        first = self.add_branch()
        if self.pipeline.set_state(Gst.State.PLAYING) == \
                Gst.StateChangeReturn.FAILURE:
            print("could not start (see the error above)", file=sys.stderr)
            return 1
        # port=0: every later element must use the port actually bound
        self.port = self.branches[first]["src"].get_property("current-port")
        print("listening on rtmp://%s:%d/<app>/<key>, recording to %s" % (
            self.args.address or "0.0.0.0", self.port, self.args.outdir),
            flush=True)
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT,
                             self.on_sigint)
        self.loop.run()
        self.pipeline.set_state(Gst.State.NULL)
        return self.rc


def main():
    ap = argparse.ArgumentParser(description="Record any number of RTMP "
                                 "publishers on one port, one file each")
    ap.add_argument("--address", help="address to listen on (default: all)")
    ap.add_argument("--port", type=int, default=1935,
                    help="TCP port (0 = any free port, shared by the "
                    "elements added later)")
    ap.add_argument("outdir")
    args = ap.parse_args()
    Gst.init(None)
    os.makedirs(args.outdir, exist_ok=True)
    return Recorder(args).run()


if __name__ == "__main__":
    sys.exit(main())
