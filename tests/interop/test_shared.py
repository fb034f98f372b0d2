#!/usr/bin/python3
# Many rtmpingestsrc elements on one port (issue 8): one listener shared by
# every element with the same address/port, publishers routed by
# application and stream key.
# Copyright (C) 2026 The gst-rtmp-ingest authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""usage: test_shared.py CASE [COMMAND...]

Cases: twenty, wrong-key, runtime, routing, conflict, example (COMMAND: the
example to run, default docs/examples/multi-ingest.py).
Exit status 0 = pass, 77 = a needed peer is missing (skip), else fail.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_interop as ii  # noqa: E402
from ingest_interop import Gst, check, log, need  # noqa: E402

EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                       "..", "docs", "examples", "multi-ingest.py")


class Branch:
    """rtmpingestsrc port=P claim ! flvdemux ! appsinks, in a bin of its
    own; done is set when every appsink had EOS."""

    def __init__(self, pipeline, name, port, claim=""):
        self.name = name
        self.rows = {"video": [], "audio": []}
        self.lock = threading.Lock()
        self.n_sinks = 0
        self.n_eos = 0
        self.done = threading.Event()
        self.messages = []
        desc = ("rtmpingestsrc name=%s address=127.0.0.1 port=%d %s ! "
                "flvdemux name=%s_d " % (name, port, claim, name))
        self.bin = Gst.parse_bin_from_description(desc, False)
        self.bin.set_name(name + "_bin")
        self.src = self.bin.get_by_name(name)
        self.bin.get_by_name(name + "_d").connect("pad-added",
                                                  self._pad_added)
        pipeline.add(self.bin)

    def _pad_added(self, demux, pad):
        kind = pad.get_name()
        if kind not in self.rows:
            return
        sink = Gst.ElementFactory.make("appsink")
        sink.set_property("sync", False)
        sink.set_property("async", False)   # as in ingest_interop.Ingest
        sink.set_property("emit-signals", True)
        sink.connect("new-sample", self._new_sample, kind)
        sink.connect("eos", self._eos)
        with self.lock:
            self.n_sinks += 1
        self.bin.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))

    def _eos(self, sink):
        with self.lock:
            self.n_eos += 1
            if self.n_eos == 2:
                self.done.set()

    def _new_sample(self, sink, kind):
        return ii.Ingest._new_sample(self, sink, kind)

    def stats(self):
        return self.src.get_property("stats")


def ffmpeg(port, key, app="live", realtime=False, title=None):
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin"]
    if realtime:
        # a quarter of real time: the source is only 2.5 s long, and a
        # "long" stream must outlast the steps the test takes meanwhile
        # (three refused publishers, elements added and removed), which a
        # loaded machine or a memory checker makes slower
        cmd += ["-readrate", "0.25"]
    cmd += ["-i", ii.SOURCE, "-c", "copy"]
    if title:
        # onMetaData carries it: tells the publishers apart downstream
        cmd += ["-metadata", "title=" + title]
    return ii.start(cmd + ["-f", "flv", "rtmp://127.0.0.1:%d/%s/%s" % (
        port, app, key)])


def wait_publishing(branch, timeout=10):
    deadline = time.monotonic() + ii.testwrap.scaled(timeout)
    while time.monotonic() < deadline:
        if branch.stats().get_value("publishing"):
            return True
        time.sleep(0.05)
    return False


def collect_bus(pipeline, stop, out):
    bus = pipeline.get_bus()
    while not stop.is_set():
        msg = bus.timed_pop(50 * Gst.MSECOND)
        if msg is None:
            continue
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            out.append(("error", msg.src.get_name(), err.message))
        elif msg.type == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            out.append((s.get_name(), msg.src.get_name(), s))


def port_closed(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return False
    except OSError:
        return True


# ---------------------------------------------------------------- cases

def case_twenty():
    """20 elements on one port in one pipeline, 20 ffmpeg publishers with
    20 keys (as fast as they go): each element gets exactly its own
    publisher (its key, its title in onMetaData) and outputs the source
    exactly; one listening socket."""
    need("ffmpeg")
    truth = ii.load_truth()
    port = ii.free_port()
    n = 20
    pipeline = Gst.Pipeline.new()
    branches = [Branch(pipeline, "s%d" % i, port,
                       "stream-key=k%d max-connections=64" % i)
                for i in range(n)]
    pipeline.set_state(Gst.State.PLAYING)
    check(all(b.src.get_property("current-port") == port for b in branches),
          "every element reports port %d" % port)
    procs = [ffmpeg(port, "k%d" % i, title="title-k%d" % i)
             for i in range(n)]
    for i, p in enumerate(procs):
        ii.finish(p, "ffmpeg k%d" % i)
    deadline = time.monotonic() + 45
    for b in branches:
        check(b.done.wait(max(0.1, deadline - time.monotonic())),
              "%s reached EOS" % b.name)
    for i, b in enumerate(branches):
        st = b.stats()
        meta = st.get_value("metadata") if st.has_field("metadata") else None
        title = meta.get_value("title") if meta and meta.has_field(
            "title") else None
        check(st.get_value("stream") == "k%d" % i and
              st.get_value("publishers") == 1 and
              st.get_value("refused") == 0,
              "s%d: exactly one publisher, with key k%d (%s)" % (
                  i, i, st.to_string()[:200]))
        check(title == "title-k%d" % i, "s%d: onMetaData title of its own "
              "publisher (%s)" % (i, title))
        ii.compare(b.rows, truth, 0, "s%d" % i)
    pipeline.set_state(Gst.State.NULL)
    check(port_closed(port), "the port is closed once every element stopped")


def case_wrong_key():
    """While 3 streams flow (ffmpeg -re), publishers with an unknown key
    and with a key that is already live get BadName at once; the 3 streams
    are complete (no gap: every buffer equals the source)."""
    need("ffmpeg")
    truth = ii.load_truth()
    port = ii.free_port()
    pipeline = Gst.Pipeline.new()
    branches = [Branch(pipeline, "s%d" % i, port, "stream-key=k%d" % i)
                for i in range(3)]
    pipeline.set_state(Gst.State.PLAYING)
    procs = [ffmpeg(port, "k%d" % i, realtime=True) for i in range(3)]
    check(all(wait_publishing(b) for b in branches), "3 streams publishing")
    for key in ("nobody", "k1", "k2?token=x"):
        t0 = time.monotonic()
        p = ffmpeg(port, key)
        try:
            _, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
        err = err.decode(errors="replace")
        # ffmpeg prints the description of the BadName onStatus
        check(p.returncode != 0 and ("No ingest point" in err or
                                     "already being published" in err),
              "publish of '%s' refused (rc %s): %s" % (
                  key, p.returncode, err[-300:]))
        check(time.monotonic() - t0 < 5, "refusal of '%s' is quick" % key)
        check(all(b.stats().get_value("publishing") for b in branches),
              "the 3 streams still publish after refusing '%s'" % key)
    for i, p in enumerate(procs):
        ii.finish(p, "ffmpeg k%d" % i)
    result = ii.run_until_eos(pipeline)
    check(result == "eos", "EOS (got %s)" % result)
    for i, b in enumerate(branches):
        ii.compare(b.rows, truth, 0, "s%d" % i)
        check(b.stats().get_value("publishers") == 1, "s%d: one publisher"
              % i)
    pipeline.set_state(Gst.State.NULL)


def case_runtime():
    """Elements added to and removed from a playing pipeline while another
    element of the port streams in real time: the added one takes its
    publisher, a removed one's publisher is disconnected, a key comes back
    with a new element; the long stream is complete."""
    need("ffmpeg")
    truth = ii.load_truth()
    port = ii.free_port()
    pipeline = Gst.Pipeline.new()
    a = Branch(pipeline, "a", port, "stream-key=ka")
    pipeline.set_state(Gst.State.PLAYING)
    pa = ffmpeg(port, "ka", realtime=True)
    check(wait_publishing(a), "a publishing")

    # add b, publish to it (fast), remove it when done
    b = Branch(pipeline, "b", port, "stream-key=kb")
    b.bin.sync_state_with_parent()
    check(b.src.get_property("current-port") == port, "b joined port %d"
          % port)
    pb = ffmpeg(port, "kb")
    ii.finish(pb, "ffmpeg kb")
    check(b.done.wait(ii.testwrap.scaled(15)), "b reached EOS")
    ii.compare(b.rows, truth, 0, "b")
    b.bin.set_state(Gst.State.NULL)
    pipeline.remove(b.bin)

    # add c, remove it while its publisher is live: only that one is cut
    c = Branch(pipeline, "c", port, "stream-key=kc")
    c.bin.sync_state_with_parent()
    pc = ffmpeg(port, "kc", realtime=True)
    check(wait_publishing(c), "c publishing")
    c.bin.set_state(Gst.State.NULL)
    pipeline.remove(c.bin)
    try:
        pc.communicate(timeout=10)
        check(pc.returncode != 0, "c's publisher was disconnected (rc %s)"
              % pc.returncode)
    except subprocess.TimeoutExpired:
        pc.kill()
        pc.communicate()
        check(False, "c's publisher was not disconnected")
    check(a.stats().get_value("publishing"), "a still publishing")

    # the key kc again, on a new element
    d = Branch(pipeline, "d", port, "stream-key=kc")
    d.bin.sync_state_with_parent()
    pd = ffmpeg(port, "kc")
    ii.finish(pd, "ffmpeg kc (new element)")
    check(d.done.wait(ii.testwrap.scaled(15)), "d reached EOS")
    ii.compare(d.rows, truth, 0, "d")

    ii.finish(pa, "ffmpeg ka")
    check(a.done.wait(ii.testwrap.scaled(15)), "a reached EOS")
    ii.compare(a.rows, truth, 0, "a")
    st = a.stats()
    check(st.get_value("publishers") == 1 and st.get_value("dropped-peers")
          == 0, "a: one publisher, no drop")
    pipeline.set_state(Gst.State.NULL)
    check(port_closed(port), "the port is closed once every element stopped")
    # and it can be bound again at once
    again = Gst.parse_launch("rtmpingestsrc address=127.0.0.1 port=%d ! "
                             "fakesink" % port)
    check(again.set_state(Gst.State.PLAYING) != Gst.StateChangeReturn.FAILURE,
          "port %d bound again by a new element" % port)
    again.set_state(Gst.State.NULL)


def case_routing():
    """Routing order: exact key, then application only, then a free
    wildcard; a wildcard already live and a retired (ended) element refuse
    with BadName; the query goes to the element."""
    need("ffmpeg")
    port = ii.free_port()
    pipeline = Gst.Pipeline.new()
    exact = Branch(pipeline, "exact", port, "application=live stream-key=k1")
    appb = Branch(pipeline, "appb", port, "application=studio")
    wild = Branch(pipeline, "wild", port, "")
    pipeline.set_state(Gst.State.PLAYING)

    pw = ffmpeg(port, "anything?token=abc", realtime=True)
    check(wait_publishing(wild), "unclaimed key went to the wildcard")
    pe = ffmpeg(port, "k1")
    ps = ffmpeg(port, "cam2", app="studio")
    ii.finish(pe, "ffmpeg live/k1")
    ii.finish(ps, "ffmpeg studio/cam2")
    check(exact.done.wait(ii.testwrap.scaled(15)) and
          appb.done.wait(ii.testwrap.scaled(15)),
          "exact and app-only elements got their streams")
    check(exact.stats().get_value("stream") == "k1", "exact got k1")
    check(appb.stats().get_value("stream") == "cam2", "app element got cam2")
    st = wild.stats()
    check(st.get_value("stream") == "anything" and
          st.get_value("query") == "token=abc", "wildcard: stream without "
          "the query, the query in stats (%s, %s)" % (
              st.get_value("stream"), st.get_value("query")))
    for url_key, app in (("other", "live"), ("k1", "live"),
                         ("cam3", "studio")):
        p = ffmpeg(port, url_key, app=app)
        _, err = p.communicate(timeout=10)
        err = err.decode(errors="replace")
        check(p.returncode != 0 and ("ingest point" in err or
                                     "already being published" in err),
              "%s/%s refused (wildcard live, exact ended, app "
              "element ended): %s" % (app, url_key, err[-200:]))
    ii.finish(pw, "ffmpeg wildcard")
    check(wild.done.wait(ii.testwrap.scaled(15)), "wildcard EOS")
    pipeline.set_state(Gst.State.NULL)


def case_conflict():
    """Elements sharing a port must agree on listener settings: a conflict
    is an error at start naming the element that set it first."""
    port = ii.free_port()
    p1 = Gst.parse_launch("rtmpingestsrc name=first address=127.0.0.1 "
                          "port=%d stream-key=a ! fakesink" % port)
    check(p1.set_state(Gst.State.PLAYING) != Gst.StateChangeReturn.FAILURE,
          "first element starts")
    for prop, label in (("chunk-size=8192", "chunk-size"),
                        ("username=u password=p", "authentication"),
                        ("max-connections=5", "max-connections")):
        p2 = Gst.parse_launch("rtmpingestsrc name=second address=127.0.0.1 "
                              "port=%d stream-key=b %s ! fakesink"
                              % (port, prop))
        ret = p2.set_state(Gst.State.PLAYING)
        msg = p2.get_bus().timed_pop_filtered(2 * Gst.SECOND,
                                              Gst.MessageType.ERROR)
        text = msg.parse_error()[0].message if msg else ""
        log("error:", text)
        check(ret == Gst.StateChangeReturn.FAILURE and "first" in text and
              "second" in text and label in text,
              "%s: start fails naming 'first' and '%s': %s" % (prop, label,
                                                               text))
        p2.set_state(Gst.State.NULL)
    # same settings: joins fine
    p3 = Gst.parse_launch("rtmpingestsrc name=third address=127.0.0.1 "
                          "port=%d stream-key=c ! fakesink" % port)
    check(p3.set_state(Gst.State.PLAYING) != Gst.StateChangeReturn.FAILURE,
          "an element with the same settings joins")
    p3.set_state(Gst.State.NULL)
    p1.set_state(Gst.State.NULL)
    check(port_closed(port), "port closed")


def case_example():
    """docs/examples/multi-ingest.py: any number of encoders on one port,
    each recorded to its own file."""
    need("ffmpeg", "ffprobe")
    tmp = tempfile.mkdtemp()
    logf = os.path.join(tmp, "log.txt")
    # the Python example, or the command given (the C twin)
    cmd = sys.argv[2:] or [sys.executable, EXAMPLE]
    proc = subprocess.Popen(ii.testwrap.wrap(
        cmd + ["--port", "0", "--address", "127.0.0.1", tmp]),
        stdout=open(logf, "w"), stderr=subprocess.STDOUT)
    port = None
    deadline = time.monotonic() + ii.testwrap.scaled(20)
    while time.monotonic() < deadline and proc.poll() is None:
        m = re.search(r"listening on rtmp://[^:]+:(\d+)/", open(logf).read())
        if m:
            port = int(m.group(1))
            break
        time.sleep(0.1)
    if not check(port is not None, "the example started"):
        proc.kill()
        log(open(logf).read())
        return
    keys = ["cam1", "cam2", "cam3", "cam4"]
    procs = []
    for i, k in enumerate(keys):
        # the first in real time: the others come and go while it streams
        procs.append(ffmpeg(port, k, realtime=(i == 0)))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and \
                "recording live/%s " % k not in open(logf).read():
            time.sleep(0.05)
        # the example adds the next free element right after
        time.sleep(0.3)
    for k, p in zip(keys, procs):
        ii.finish(p, "ffmpeg " + k)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if open(logf).read().count("finished ") >= len(keys):
            break
        time.sleep(0.1)
    # Ctrl-C while an encoder is live: its recording is finished (EOS)
    live = ffmpeg(port, "cam5", realtime=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and \
            "recording live/cam5 " not in open(logf).read():
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=ii.testwrap.scaled(20))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    live.kill()
    live.communicate()
    out = open(logf).read()
    log(out)
    path = os.path.join(tmp, "live-cam5.flv")
    check(os.path.exists(path) and os.path.getsize(path) > 1000 and
          subprocess.run(["ffprobe", "-v", "error", path]).returncode == 0,
          "the recording interrupted by SIGINT is complete and readable")
    check(proc.returncode == 0, "the example exits 0 on SIGINT (rc %s)"
          % proc.returncode)
    for k in keys:
        path = os.path.join(tmp, "live-%s.flv" % k)
        if not check(os.path.exists(path), "%s recorded" % path):
            continue
        r = subprocess.run(["ffprobe", "-v", "error", "-count_packets",
                            "-show_entries", "stream=codec_type,nb_read_packets",
                            "-of", "csv=p=0", path], capture_output=True,
                           text=True)
        counts = sorted(r.stdout.split())
        check(counts == ["audio,109", "video,63"], "%s: audio and video packets: %s" % (k,
                                                                      counts))
    ii.shutil.rmtree(tmp)


CASES = {
    "twenty": case_twenty,
    "wrong-key": case_wrong_key,
    "runtime": case_runtime,
    "routing": case_routing,
    "conflict": case_conflict,
    "example": case_example,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in CASES:
        print(__doc__)
        sys.exit(2)
    CASES[sys.argv[1]]()
    if ii.failures:
        log("%d failure(s)" % len(ii.failures))
        sys.exit(1)
    log("PASS")
