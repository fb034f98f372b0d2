#!/usr/bin/python3
# The server process of the soak test; tests/soak/soak.py starts it and
# measures it from outside (/proc/PID).
# Copyright (C) 2026 The gst-rtmp-ingest authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""usage:
  soak_server.py stay-alive SHARED_PORT N_KEYED OWN_PORT[,OWN_PORT...]
  soak_server.py cycle PORT

stay-alive: one pipeline, N_KEYED rtmpingestsrc on SHARED_PORT (stream-key
  k0..k<N-1>) plus one wildcard rtmpingestsrc on each OWN_PORT, all
  on-unpublish=stay-alive; every other element feeds flvdemux (pads linked
  to fakesinks), the others a fakesink.
cycle: rtmpingestsrc (wildcard) ! flvdemux and rtmpingestsrc stream-key=cyc
  ! fakesink sharing PORT, taken PLAYING -> NULL (or READY, PAUSED) ->
  PLAYING every 0.5-2 s by a thread of this process; on-unpublish
  alternates between eos and stay-alive from one cycle to the next.

Writes one JSON object per line on stdout:
  {"ev": "ready"}                        listening
  {"ev": "publishing"|"stopped"|"refused", "el": NAME, ...}  bus messages
  {"ev": "error"|"warning", "el": NAME, "msg": TEXT}         bus messages
  {"ev": "eos"}
  {"ev": "cycle", "n": N, "to": STATE, "down_ms": MS, "up_ms": MS}
  {"ev": "state-failure", "to": STATE}   a state change returned FAILURE
  {"ev": "stats", "elements": {NAME: {field: value}}, "heap": BYTES}
                                         answer to "stats" (heap: malloc'd
                                         bytes in use, see malloc_in_use)
  {"ev": "held"}                         answer to "hold"
Reads commands on stdin: stats, hold (cycle: stop cycling, stay PLAYING),
resume, quit (NULL, then exit 0).
"""
import ctypes
import json
import random
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

Gst.init(None)
out_lock = threading.Lock()


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
        "fsmblks", "uordblks", "fordblks", "keepcost")]


def malloc_in_use():
    """Bytes the C heap has handed out and not got back (glibc's
    mallinfo2: uordblks + hblkhd), or None without it. Unlike RSS it does not
    move with fragmentation or freed memory the allocator keeps."""
    try:
        f = ctypes.CDLL(None).mallinfo2
    except (AttributeError, OSError):
        return None
    f.restype = MallInfo2
    mi = f()
    return mi.uordblks + mi.hblkhd


def emit(**kw):
    line = json.dumps(kw)
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def link_demux(demux, sinks):
    """flvdemux pads go to the fakesinks named after them; the handler stays
    connected, so the pads a restarted demuxer adds are linked again."""
    def pad_added(element, pad):
        sink = sinks.get(pad.get_name())
        if sink is None:
            return
        sinkpad = sink.get_static_pad("sink")
        if not sinkpad.is_linked():
            pad.link(sinkpad)
    demux.connect("pad-added", pad_added)


def add_branch(pipeline, src, demux):
    """src ! flvdemux ! fakesink (video, audio), or src ! fakesink."""
    pipeline.add(src)
    if not demux:
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        sink.set_property("async", False)
        pipeline.add(sink)
        src.link(sink)
        return
    d = Gst.ElementFactory.make("flvdemux")
    pipeline.add(d)
    src.link(d)
    sinks = {}
    for kind in ("video", "audio"):
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        sink.set_property("async", False)
        pipeline.add(sink)
        sinks[kind] = sink
    link_demux(d, sinks)


def make_src(name, port, **props):
    src = Gst.ElementFactory.make("rtmpingestsrc", name)
    src.set_property("address", "127.0.0.1")
    src.set_property("port", port)
    src.set_property("max-connections", 128)
    for k, v in props.items():
        src.set_property(k.replace("_", "-"), v)
    return src


def stats_of(src):
    st = src.get_property("stats")
    out = {}
    if st is None:
        return out
    for i in range(st.n_fields()):
        name = st.nth_field_name(i)
        v = st.get_value(name)
        if isinstance(v, (bool, int, float, str)) or v is None:
            out[name] = v
    # "connections" counts the whole port: several elements may share it
    out["port"] = src.get_property("current-port")
    return out


def on_message(bus, msg):
    src = msg.src.get_name() if msg.src else None
    t = msg.type
    if t == Gst.MessageType.ELEMENT:
        s = msg.get_structure()
        name = s.get_name()
        if name == "rtmp-publisher-publishing":
            emit(ev="publishing", el=src, peer=s.get_string("peer"),
                 stream=s.get_string("stream"))
        elif name == "rtmp-publisher-stopped":
            emit(ev="stopped", el=src, peer=s.get_string("peer"),
                 stream=s.get_string("stream"),
                 reason=s.get_string("reason"), error=s.get_string("error"))
        elif name == "rtmp-publisher-refused":
            emit(ev="refused", el=src, peer=s.get_string("peer"),
                 stream=s.get_string("stream"), code=s.get_string("code"),
                 description=s.get_string("description"))
    elif t == Gst.MessageType.ERROR:
        err, dbg = msg.parse_error()
        emit(ev="error", el=src, msg=err.message, debug=dbg)
    elif t == Gst.MessageType.WARNING:
        err, dbg = msg.parse_warning()
        emit(ev="warning", el=src, msg=err.message, debug=dbg)
    elif t == Gst.MessageType.EOS:
        emit(ev="eos")
    return True


class Cycler(threading.Thread):
    """PLAYING -> NULL/READY/PAUSED -> PLAYING, until held or stopped."""

    def __init__(self, pipeline, srcs):
        super().__init__(daemon=True)
        self.pipeline = pipeline
        self.srcs = srcs
        self.cond = threading.Condition()
        self.hold = False
        self.held = False
        self.quit = False

    def set_state(self, state):
        t0 = time.monotonic()
        r = self.pipeline.set_state(state)
        if r == Gst.StateChangeReturn.FAILURE:
            emit(ev="state-failure", to=state.value_nick)
        elif r == Gst.StateChangeReturn.ASYNC:
            r, _, _ = self.pipeline.get_state(20 * Gst.SECOND)
            if r == Gst.StateChangeReturn.FAILURE:
                emit(ev="state-failure", to=state.value_nick)
            elif r == Gst.StateChangeReturn.ASYNC:
                emit(ev="state-timeout", to=state.value_nick)
        return (time.monotonic() - t0) * 1000.0

    def run(self):
        n = 0
        rng = random.Random()
        while True:
            mode = "eos" if n % 2 else "stay-alive"
            for src in self.srcs:
                src.set_property("on-unpublish", mode)
            up_ms = self.set_state(Gst.State.PLAYING)
            with self.cond:
                if self.hold:
                    self.held = True
                    emit(ev="held")
                    while self.hold and not self.quit:
                        self.cond.wait()
                    self.held = False
                if self.quit:
                    return
                self.cond.wait(rng.uniform(0.5, 2.0))
                if self.quit:
                    return
            to = rng.choices([Gst.State.NULL, Gst.State.READY,
                              Gst.State.PAUSED], [7, 2, 1])[0]
            down_ms = self.set_state(to)
            n += 1
            emit(ev="cycle", n=n, to=to.value_nick, up_ms=round(up_ms, 1),
                 down_ms=round(down_ms, 1), mode=mode)
            time.sleep(rng.uniform(0.05, 0.3))

    def set_hold(self, hold):
        with self.cond:
            self.hold = hold
            if hold and self.held:
                emit(ev="held")     # still held (a resume it did not see)
            self.cond.notify_all()

    def stop(self):
        with self.cond:
            self.quit = True
            self.cond.notify_all()
        self.join(30)
        return not self.is_alive()


def main():
    mode = sys.argv[1]
    pipeline = Gst.Pipeline.new("soak")
    srcs = []
    cycler = None
    if mode == "stay-alive":
        shared = int(sys.argv[2])
        n_keyed = int(sys.argv[3])
        own = [int(p) for p in sys.argv[4].split(",") if p]
        for i in range(n_keyed):
            srcs.append(make_src("k%d" % i, shared, stream_key="k%d" % i,
                                 on_unpublish="stay-alive"))
        for i, p in enumerate(own):
            srcs.append(make_src("p%d" % i, p, on_unpublish="stay-alive"))
        for i, src in enumerate(srcs):
            add_branch(pipeline, src, demux=(i % 2 == 0))
    elif mode == "cycle":
        port = int(sys.argv[2])
        srcs.append(make_src("c0", port))
        srcs.append(make_src("c1", port, stream_key="cyc"))
        add_branch(pipeline, srcs[0], demux=True)
        add_branch(pipeline, srcs[1], demux=False)
    else:
        sys.exit(__doc__)

    loop = GLib.MainLoop()
    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)

    if mode == "cycle":
        cycler = Cycler(pipeline, srcs)
        cycler.start()
    elif pipeline.set_state(Gst.State.PLAYING) == \
            Gst.StateChangeReturn.FAILURE:
        emit(ev="state-failure", to="playing")
        return 3
    else:
        pipeline.get_state(10 * Gst.SECOND)
    emit(ev="ready")

    def commands():
        # a thread of its own: blocking reads see every line at once
        for line in sys.stdin:
            cmd = line.strip()
            if cmd == "stats":
                emit(ev="stats", elements={s.get_name(): stats_of(s)
                                           for s in srcs},
                     heap=malloc_in_use())
            elif cmd in ("hold", "resume") and cycler:
                cycler.set_hold(cmd == "hold")
            elif cmd == "hold":
                emit(ev="held")
            elif cmd == "quit":
                break
        loop.quit()         # quit, or the end of stdin

    threading.Thread(target=commands, daemon=True).start()
    loop.run()
    rc = 0
    if cycler and not cycler.stop():
        emit(ev="state-timeout", to="cycler-stop")
        rc = 4
    pipeline.set_state(Gst.State.NULL)
    emit(ev="bye")
    return rc


if __name__ == "__main__":
    sys.exit(main())
