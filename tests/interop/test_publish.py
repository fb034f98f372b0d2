#!/usr/bin/python3
# Interop tests of rtmppublishsink with real servers on loopback.
# Copyright (C) 2026 The gst-rtmp-ingest authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""usage: test_publish.py CASE

Each case starts its own server on 127.0.0.1 (or ::1) on a free port
(nginx-rtmp with its own prefix and config in a temp dir, ffmpeg -listen,
or a Python listener), publishes with
  filesrc ! flvdemux ! flvmux streamable=true ! rtmppublishsink
and checks what the server received with ffprobe against
tests/fixtures/source.ffprobe_packets.csv (count, order, timestamps, MD5 of
every payload; flvmux rebases time by -80 ms, see tests/fixtures/README.md).
Exit status 0 = pass, 77 = a needed peer is missing (skip), else fail.
Needs Debian's /usr/bin/python3 with PyGObject.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import gi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testwrap  # noqa: E402

testwrap.check_this_process()

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

FIXTURES = os.environ.get(
    "RTMP_FIXTURES_DIR",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
SOURCE_FLV = os.path.join(FIXTURES, "source.flv")
SOURCE_PACKETS = os.path.join(FIXTURES, "source.ffprobe_packets.csv")
NGINX_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
# flvmux rebases time so that the first video PTS (80 ms) becomes 0
FLVMUX_REBASE_MS = 80
SKIP = 77


class Fail(Exception):
    pass


def log(*args):
    print(*args, flush=True)


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(host, port, timeout=10.0):
    """Waits until something listens on host:port (nginx only: a probe
    connection is harmless there)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise Fail("nothing listens on %s:%d after %.0f s" % (host, port, timeout))


def wait_listening(port, timeout=10.0):
    """Waits until a LISTEN socket on port shows in /proc/net/tcp{,6}
    without connecting (ffmpeg -listen accepts a single connection)."""
    hexport = ":%04X" % port
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(table) as f:
                    for line in f.readlines()[1:]:
                        fields = line.split()
                        if fields[1].endswith(hexport) and fields[3] == "0A":
                            return
            except OSError:
                pass
        time.sleep(0.05)
    raise Fail("nothing listens on port %d after %.0f s" % (port, timeout))


ALL_NGINX = []          # stopped at exit whatever happened


class Nginx:
    """nginx-rtmp in its own prefix, daemon off, on a free loopback port."""

    def __init__(self, tmp, app_extra="", port=None, name="nginx"):
        if not os.path.exists(NGINX_MODULE) or not shutil.which("nginx"):
            raise SystemExit(SKIP)
        self.prefix = os.path.join(tmp, name)
        self.rec = os.path.join(self.prefix, "rec")
        os.makedirs(os.path.join(self.prefix, "logs"), exist_ok=True)
        os.makedirs(self.rec, exist_ok=True)
        self.port = port or free_port()
        self.conf = os.path.join(self.prefix, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write("""
load_module %(module)s;
daemon off;
master_process off;
worker_processes 1;
pid nginx.pid;
error_log logs/error.log info;
events { worker_connections 64; }
rtmp {
    access_log logs/rtmp_access.log;
    server {
        listen 127.0.0.1:%(port)d;
        chunk_size 4096;
        application live {
            live on;
            record all;
            record_path %(rec)s;
            record_unique on;
            %(extra)s
        }
    }
}
""" % {"module": NGINX_MODULE, "port": self.port, "rec": self.rec,
                "extra": app_extra})
        self.proc = None
        ALL_NGINX.append(self)

    def start(self):
        self.proc = subprocess.Popen(
            ["nginx", "-p", self.prefix, "-c", self.conf, "-e",
             os.path.join(self.prefix, "logs", "error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port("127.0.0.1", self.port)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def recordings(self):
        files = [os.path.join(self.rec, f) for f in os.listdir(self.rec)
                 if f.endswith(".flv")]
        return sorted(files, key=os.path.getmtime)

    def error_log(self):
        with open(os.path.join(self.prefix, "logs", "error.log")) as f:
            return f.read()


def publish_pipeline(location, extra="", source=SOURCE_FLV, sync=False,
                     between=""):
    desc = ("filesrc location=%s ! flvdemux name=d "
            "d.video ! queue ! flvmux name=m streamable=true ! %s "
            "rtmppublishsink name=sink location=%s sync=%s %s "
            "d.audio ! queue ! m.audio" %
            (source, between, location, "true" if sync else "false", extra))
    return Gst.parse_launch(desc)


def run_pipeline(pipeline, timeout, on_message=None):
    """Plays until EOS or error; returns (msg type, message or None, secs).
    The pipeline is set to NULL before returning."""
    bus = pipeline.get_bus()
    start = time.monotonic()
    pipeline.set_state(Gst.State.PLAYING)
    result = ("timeout", None)
    try:
        while True:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                break
            msg = bus.timed_pop(int(min(left, 0.1) * Gst.SECOND))
            if on_message:
                on_message(msg, time.monotonic() - start)
            if msg is None:
                continue
            if msg.type == Gst.MessageType.EOS:
                result = ("eos", msg)
                break
            if msg.type == Gst.MessageType.ERROR:
                result = ("error", msg)
                break
    finally:
        t0 = time.monotonic()
        pipeline.set_state(Gst.State.NULL)
        if time.monotonic() - t0 > testwrap.scaled(5):
            raise Fail("setting the pipeline to NULL took %.1f s" %
                       (time.monotonic() - t0))
    return result[0], result[1], time.monotonic() - start


def error_text(msg):
    err, dbg = msg.parse_error()
    return "%s | %s" % (err.message, dbg)


def load_source_packets():
    out = {"video": [], "audio": []}
    with open(SOURCE_PACKETS) as f:
        for line in f:
            d = dict(kv.split("=", 1) for kv in line.strip().split(","))
            out[d["codec_type"]].append(d)
    return out


def probe_packets(path):
    res = subprocess.run(
        ["ffprobe", "-v", "error", "-show_packets", "-show_data_hash", "MD5",
         "-of", "json", path], capture_output=True, text=True, check=True)
    out = {"video": [], "audio": []}
    for p in json.loads(res.stdout).get("packets", []):
        if p["codec_type"] in out:
            out[p["codec_type"]].append(p)
    return out


def check_frames_equal(path):
    """Every audio/video frame of the source, in order, with its payload
    MD5 and the flvmux-rebased timestamps."""
    src = load_source_packets()
    got = probe_packets(path)
    for kind in ("video", "audio"):
        if len(src[kind]) != len(got[kind]):
            raise Fail("%s: %d %s frames received, %d in the source" %
                       (path, len(got[kind]), kind, len(src[kind])))
        for i, (a, b) in enumerate(zip(src[kind], got[kind])):
            exp = (int(a["size"]), a["data_hash"],
                   max(0, int(a["dts"]) - FLVMUX_REBASE_MS),
                   max(0, int(a["pts"]) - FLVMUX_REBASE_MS))
            have = (int(b["size"]), b["data_hash"], int(b["dts"]),
                    int(b["pts"]))
            if exp != have:
                raise Fail("%s frame %d differs: expected (size, md5, dts, "
                           "pts) %s, got %s" % (kind, i, exp, have))
    log("%s: %d video + %d audio frames equal to the source" %
        (path, len(got["video"]), len(got["audio"])))


def check_same_payloads(source, path):
    """Every audio/video frame of @source, in order, with its size and
    payload MD5 (for sources other than the fixture)."""
    src, got = probe_packets(source), probe_packets(path)
    for kind in ("video", "audio"):
        a = [(x["size"], x["data_hash"]) for x in src[kind]]
        b = [(x["size"], x["data_hash"]) for x in got[kind]]
        if a != b:
            raise Fail("%s frames differ (%d sent, %d received)" %
                       (kind, len(a), len(b)))
    log("%s: %d video + %d audio frames equal to the source" %
        (path, len(got["video"]), len(got["audio"])))


def expect_eos(pipeline, timeout=30):
    kind, msg, secs = run_pipeline(pipeline, timeout)
    if kind != "eos":
        raise Fail("expected EOS, got %s%s" %
                   (kind, ": " + error_text(msg) if kind == "error" else ""))
    return secs


def make_long_flv(tmp, seconds, big=False):
    """A longer H.264+AAC FLV (GOP 1 s) for the reconnection tests; big:
    lossless, ~1 MB/s, more than loopback socket buffers hold."""
    path = os.path.join(tmp, "long%s.flv" % ("-big" if big else ""))
    quality = ["-qp", "0"] if big else []
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
         "testsrc2=size=%s:rate=25" % ("320x240" if big else "160x120"),
         "-f", "lavfi", "-i",
         "sine=frequency=440:sample_rate=44100", "-t", str(seconds),
         "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset",
         "ultrafast"] + quality + ["-g", "25", "-bf", "0", "-pix_fmt",
                                   "yuv420p", "-c:a", "aac", "-b:a", "64k",
                                   "-f", "flv", path], check=True)
    log("%s: %d bytes" % (path, os.path.getsize(path)))
    return path


# --------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------

def case_nginx(tmp):
    """Publish to nginx-rtmp; its `record all` file has every frame; nginx
    saw FCUnpublish + deleteStream before we closed; EOS only after that."""
    nginx = Nginx(tmp)
    nginx.start()
    try:
        p = publish_pipeline("rtmp://127.0.0.1:%d/live/key" % nginx.port)
        expect_eos(p)
        stats = p.get_by_name("sink").get_property("stats")
        log("stats:", stats.to_string())
        if stats.get_value("state") != "closed":
            raise Fail("state after EOS is %s" % stats.get_value("state"))
        if stats.get_value("messages-out") < 172:
            raise Fail("only %d messages out" % stats.get_value("messages-out"))
        if stats.get_value("chunk-size") != 4096:
            raise Fail("chunk-size %d" % stats.get_value("chunk-size"))
        time.sleep(0.3)
    finally:
        nginx.stop()
    rec = nginx.recordings()
    if len(rec) != 1:
        raise Fail("expected one recording, got %s" % rec)
    check_frames_equal(rec[0])
    # the publishing connection's deleteStream reached nginx before our
    # close (nginx does not log FCUnpublish)
    lines = nginx.error_log().splitlines()
    conn = [ln.split("]")[1].split()[1] for ln in lines
            if "publish: name='key'" in ln][0]
    events = [ln for ln in lines if (" %s " % conn) in ln]
    delete = [i for i, ln in enumerate(events) if "deleteStream" in ln]
    close = [i for i, ln in enumerate(events) if "disconnect" in ln]
    if not delete or not close or delete[0] > close[0]:
        raise Fail("nginx did not get deleteStream before the disconnect:\n"
                   + "\n".join(events))


def case_streamheader(tmp):
    """The in-band header buffers are dropped (identity
    drop-buffer-flags=header): the sink sends the caps' streamheader (FLV
    header, onMetaData, sequence headers) first; nginx records every
    frame."""
    nginx = Nginx(tmp)
    nginx.start()
    try:
        p = publish_pipeline("rtmp://127.0.0.1:%d/live/key" % nginx.port,
                             between="identity drop-buffer-flags=header !")
        expect_eos(p)
        time.sleep(0.3)
    finally:
        nginx.stop()
    check_frames_equal(nginx.recordings()[0])


def case_big(tmp):
    """~9 MB as fast as nginx reads: nginx acknowledges its 5 000 000-byte
    window (stats acked-bytes), the recording has every frame."""
    flv = make_long_flv(tmp, 40, big=True)
    nginx = Nginx(tmp)
    nginx.start()
    try:
        p = publish_pipeline("rtmp://127.0.0.1:%d/live/key" % nginx.port,
                             source=flv, extra="chunk-size=60000")
        secs = expect_eos(p)
        stats = p.get_by_name("sink").get_property("stats")
        log("%.2f s, stats: %s" % (secs, stats.to_string()))
        time.sleep(0.5)
    finally:
        nginx.stop()
    if stats.get_value("acked-bytes") < 5000000:
        raise Fail("no Acknowledgement counted")
    if stats.get_value("chunk-size") != 60000:
        raise Fail("chunk-size %d" % stats.get_value("chunk-size"))
    check_same_payloads(flv, nginx.recordings()[0])


def case_ffmpeg_listen(tmp):
    """ffmpeg -listen 1 -i rtmp://... -c copy -f flv out.flv gets every
    frame."""
    if not shutil.which("ffmpeg"):
        return SKIP
    port = free_port()
    out = os.path.join(tmp, "out.flv")
    ff = subprocess.Popen(
        ["ffmpeg", "-v", "error", "-y", "-listen", "1", "-i",
         "rtmp://127.0.0.1:%d/live/key" % port, "-c", "copy", "-f", "flv",
         out], stdin=subprocess.DEVNULL)
    try:
        wait_listening(port)
        p = publish_pipeline("rtmp://127.0.0.1:%d/live/key" % port)
        expect_eos(p)
        if ff.wait(15) != 0:
            raise Fail("ffmpeg exited with %d" % ff.returncode)
    finally:
        if ff.poll() is None:
            ff.kill()
            ff.wait()
    check_frames_equal(out)


def case_ipv6(tmp):
    """An IPv6 literal location, to ffmpeg -listen on [::1]."""
    try:
        port = free_port(socket.AF_INET6, "::1")
    except OSError:
        return SKIP
    out = os.path.join(tmp, "out6.flv")
    ff = subprocess.Popen(
        ["ffmpeg", "-v", "error", "-y", "-listen", "1", "-i",
         "rtmp://[::1]:%d/live/key" % port, "-c", "copy", "-f", "flv", out],
        stdin=subprocess.DEVNULL)
    try:
        wait_listening(port)
        p = publish_pipeline("rtmp://[::1]:%d/live/key" % port)
        sink = p.get_by_name("sink")
        if sink.get_property("host") != "::1":
            raise Fail("host is %r" % sink.get_property("host"))
        expect_eos(p)
        if ff.wait(15) != 0:
            raise Fail("ffmpeg exited with %d" % ff.returncode)
    finally:
        if ff.poll() is None:
            ff.kill()
            ff.wait()
    check_frames_equal(out)


def wait_connected(p, failure, seconds=5):
    """Waits (scaled) for the sink's rtmppublishsink-connected message on
    @p's bus; raises Fail(@failure) without it (with the error, if the
    pipeline failed). Pops what comes before."""
    bus = p.get_bus()
    deadline = time.monotonic() + testwrap.scaled(seconds)
    while time.monotonic() < deadline:
        m = bus.timed_pop(int(0.05 * Gst.SECOND))
        if m and m.type == Gst.MessageType.ELEMENT and \
                m.get_structure().get_name() == "rtmppublishsink-connected":
            return
        if m and m.type == Gst.MessageType.ERROR:
            raise Fail("%s: %s" % (failure, error_text(m)))
    raise Fail(failure)


def case_badname(tmp):
    """A second publisher on a live stream name gets
    NetStream.Publish.BadName; the element error quotes it."""
    nginx = Nginx(tmp)
    nginx.start()
    try:
        loc = "rtmp://127.0.0.1:%d/live/dup" % nginx.port
        # a 20 s stream, live until the second publisher was refused
        # however slowly both start (the fixture is 2.5 s long)
        first = publish_pipeline(loc, source=make_long_flv(tmp, 20),
                                 sync=True)
        first.set_state(Gst.State.PLAYING)
        wait_connected(first, "the first publisher never published")
        second = publish_pipeline(loc, extra="timeout=%d" % testwrap.scaled(5))
        kind, msg, secs = run_pipeline(second, testwrap.scaled(15))
        first.set_state(Gst.State.NULL)
    finally:
        nginx.stop()
    if kind != "error":
        raise Fail("second publisher: expected an error, got %s" % kind)
    text = error_text(msg)
    log("error after %.2f s: %s" % (secs, text))
    if "NetStream.Publish.BadName" not in text:
        raise Fail("error does not quote the server's code: %s" % text)
    if secs > testwrap.scaled(5):
        raise Fail("error took %.1f s" % secs)


def case_deny(tmp):
    """nginx `deny publish all`: nginx drops the connection at publish;
    the error says the server closed the connection."""
    nginx = Nginx(tmp, app_extra="deny publish all;")
    nginx.start()
    try:
        p = publish_pipeline("rtmp://127.0.0.1:%d/live/key" % nginx.port,
                             extra="timeout=%d" % testwrap.scaled(5))
        kind, msg, secs = run_pipeline(p, testwrap.scaled(15))
    finally:
        nginx.stop()
    if kind != "error":
        raise Fail("expected an error, got %s" % kind)
    text = error_text(msg)
    log("error after %.2f s: %s" % (secs, text))
    if "closed the connection" not in text or "publish" not in text:
        raise Fail("error does not explain the refusal: %s" % text)
    if secs > testwrap.scaled(5):
        raise Fail("error took %.1f s" % secs)


def case_wrong_app(tmp):
    """An application nginx does not know: it closes at connect."""
    nginx = Nginx(tmp)
    nginx.start()
    try:
        p = publish_pipeline("rtmp://127.0.0.1:%d/nosuchapp/key" % nginx.port,
                             extra="timeout=%d" % testwrap.scaled(5))
        kind, msg, secs = run_pipeline(p, testwrap.scaled(15))
    finally:
        nginx.stop()
    if kind != "error":
        raise Fail("expected an error, got %s" % kind)
    text = error_text(msg)
    log("error after %.2f s: %s" % (secs, text))
    if "closed the connection" not in text or "nosuchapp" not in text:
        raise Fail("error does not explain the refusal: %s" % text)


def case_silent(tmp):
    """A server that accepts and never answers: error after `timeout`."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)
    port = ls.getsockname()[1]
    conns = []
    stop = threading.Event()

    def accept():
        ls.settimeout(0.2)
        while not stop.is_set():
            try:
                c, _ = ls.accept()
                conns.append(c)
            except socket.timeout:
                pass

    t = threading.Thread(target=accept)
    t.start()
    try:
        p = publish_pipeline("rtmp://127.0.0.1:%d/live/key" % port,
                             extra="timeout=2")
        kind, msg, secs = run_pipeline(p, 20)
    finally:
        stop.set()
        t.join()
        for c in conns:
            c.close()
        ls.close()
    if kind != "error":
        raise Fail("expected an error, got %s" % kind)
    text = error_text(msg)
    log("error after %.2f s: %s" % (secs, text))
    if "No answer" not in text or "handshake" not in text:
        raise Fail("error does not say what timed out: %s" % text)
    if not 1.8 <= secs <= 5:
        raise Fail("error after %.1f s, timeout was 2 s" % secs)
    if not conns:
        raise Fail("the sink never connected")


def case_refused(tmp):
    """Nothing listens: a prompt error naming the address."""
    port = free_port()
    p = publish_pipeline("rtmp://127.0.0.1:%d/live/key" % port)
    kind, msg, secs = run_pipeline(p, 15)
    if kind != "error":
        raise Fail("expected an error, got %s" % kind)
    text = error_text(msg)
    log("error after %.2f s: %s" % (secs, text))
    if "127.0.0.1:%d" % port not in text or secs > 5:
        raise Fail("bad error: %s" % text)


def kill_restart(tmp, reconnect, restart=True, extra_props=""):
    flv = make_long_flv(tmp, 12)
    port = free_port()
    nginx = Nginx(tmp, port=port)
    nginx.start()
    events = []
    state = {"killed": None, "restarted": False, "connected": None}

    def on_message(msg, t):
        if msg is not None and msg.type == Gst.MessageType.ELEMENT:
            name = msg.get_structure().get_name()
            if name.startswith("rtmppublishsink-"):
                events.append((round(t, 2), name))
                log("%.2f s: %s" % (t, msg.get_structure().to_string()))
            if name == "rtmppublishsink-connected" and \
                    state["connected"] is None:
                state["connected"] = t
        # 3 s into the stream, counted from the first publish: a checked
        # process on a loaded machine may take seconds to get there, and a
        # close before the first publish is a refusal, not a lost
        # connection
        if state["killed"] is None and state["connected"] is not None and \
                t > state["connected"] + 3.0:
            log("%.2f s: killing nginx" % t)
            nginx.kill()
            state["killed"] = t
        if (reconnect and restart and not state["restarted"]
                and state["killed"]
                and t > state["killed"] + 1.5):
            log("%.2f s: restarting nginx" % t)
            nginx.start()
            state["restarted"] = True

    # the sink's timeout also bounds each connection attempt, which a
    # checked process on a loaded machine makes slow
    timeout = "timeout=%d" % testwrap.scaled(3)
    extra = ("reconnect=true reconnect-delay=200 max-reconnect-attempts=30 "
             + timeout if reconnect else timeout) + " " + extra_props
    p = publish_pipeline("rtmp://127.0.0.1:%d/live/key" % port, extra=extra,
                         source=flv, sync=True)
    sink = p.get_by_name("sink")
    try:
        kind, msg, secs = run_pipeline(p, testwrap.scaled(40), on_message)
        stats = sink.get_property("stats")
        log("stats:", stats.to_string())
        time.sleep(0.3)
    finally:
        nginx.stop()
    return kind, msg, secs, events, stats, nginx, state


def case_reconnect(tmp):
    """Kill nginx mid-stream and restart it: the sink reconnects,
    republishes and nginx records a decodable stream again."""
    kind, msg, secs, events, stats, nginx, state = kill_restart(tmp, True)
    if kind != "eos":
        raise Fail("expected EOS, got %s%s" %
                   (kind, ": " + error_text(msg) if kind == "error" else ""))
    names = [e[1] for e in events]
    for want in ("rtmppublishsink-connected", "rtmppublishsink-connection-lost",
                 "rtmppublishsink-reconnected"):
        if want not in names:
            raise Fail("no %s message (got %s)" % (want, names))
    if stats.get_value("reconnects") < 1:
        raise Fail("stats: no reconnect counted")
    if stats.get_value("dropped-messages") < 1:
        raise Fail("stats: nothing dropped while disconnected?")
    rec = nginx.recordings()
    if len(rec) < 2:
        raise Fail("expected a recording per publish, got %s" % rec)
    got = probe_packets(rec[-1])
    nv, na = len(got["video"]), len(got["audio"])
    log("after reconnection: %d video, %d audio frames in %s" %
        (nv, na, rec[-1]))
    # ~12 s stream, killed at 3 s, back ~2 s later: several seconds left
    if nv < 100 or na < 100:
        raise Fail("too little received after the reconnection")
    if got["video"][0].get("flags", "")[:1] != "K":
        raise Fail("the stream did not resume at a key frame")
    res = subprocess.run(["ffmpeg", "-v", "error", "-i", rec[-1], "-f",
                          "null", "-"], capture_output=True, text=True)
    if res.returncode != 0 or "error" in res.stderr.lower():
        raise Fail("the stream after reconnection does not decode: %s" %
                   res.stderr[-500:])


def case_no_reconnect(tmp):
    """Kill nginx mid-stream with reconnect off: a prompt error."""
    kind, msg, secs, events, stats, nginx, state = kill_restart(tmp, False)
    if kind != "error":
        raise Fail("expected an error, got %s" % kind)
    text = error_text(msg)
    log("error after %.2f s: %s" % (secs, text))
    if secs - state["killed"] > testwrap.scaled(2.0):
        raise Fail("error %.1f s after the kill" % (secs - state["killed"]))
    if "closed the connection" not in text and "failed" not in text:
        raise Fail("error does not say the connection was lost: %s" % text)


class Relay:
    """A loopback TCP relay in front of a server whose client side can be
    cut while the server side stays open: the server then still holds the
    old publish (a network cut the server has not noticed)."""

    def __init__(self, target_port):
        self.target = target_port
        self.ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(8)
        self.ls.settimeout(0.1)
        self.port = self.ls.getsockname()[1]
        self.pairs = []
        self.lock = threading.Lock()
        self.stop_ev = threading.Event()
        self.thread = threading.Thread(target=self._accept)
        self.thread.start()

    @staticmethod
    def _shutdown(sock, how):
        try:
            sock.shutdown(how)
        except OSError:
            pass

    def _pipe(self, pair, a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        # an ordinary relay passes the close on, except after a cut
        if not pair["cut"]:
            self._shutdown(b, socket.SHUT_WR)

    def _accept(self):
        while not self.stop_ev.is_set():
            try:
                c, _ = self.ls.accept()
            except (socket.timeout, OSError):
                continue
            try:
                u = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                c.close()
                continue
            pair = {"c": c, "u": u, "cut": False}
            with self.lock:
                self.pairs.append(pair)
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pipe, args=(pair, a, b),
                                 daemon=True).start()

    def cut_clients(self):
        with self.lock:
            for pair in self.pairs:
                pair["cut"] = True
                self._shutdown(pair["c"], socket.SHUT_RDWR)

    def release_cut(self):
        """The server side of the cut connections closes too."""
        with self.lock:
            for pair in self.pairs:
                if pair["cut"]:
                    self._shutdown(pair["u"], socket.SHUT_RDWR)

    def stop(self):
        self.stop_ev.set()
        self.thread.join()
        self.ls.close()
        with self.lock:
            for pair in self.pairs:
                for sock in (pair["c"], pair["u"]):
                    self._shutdown(sock, socket.SHUT_RDWR)
                    sock.close()


def case_reconnect_badname(tmp):
    """A network cut the server does not notice: nginx still holds our old
    publish, so the republish gets NetStream.Publish.BadName; the sink keeps
    retrying and resumes once nginx dropped the old connection."""
    flv = make_long_flv(tmp, 12)
    nginx = Nginx(tmp)
    nginx.start()
    relay = Relay(nginx.port)
    events = []
    state = {"cut": None, "released": False}

    def on_message(msg, t):
        if msg is not None and msg.type == Gst.MessageType.ELEMENT:
            st = msg.get_structure()
            if st.get_name().startswith("rtmppublishsink-"):
                events.append((st.get_name(), st.get_value("reason")
                               if st.has_field("reason") else ""))
                log("%.2f s: %s" % (t, st.to_string()))
        # the cut comes once the sink published (a slowed-down first
        # handshake must not be the one that is cut: that would be a
        # failure to connect, which is final)
        if state["cut"] is None and t > 3.0 and any(
                e[0] == "rtmppublishsink-connected" for e in events):
            log("%.2f s: cutting the client side" % t)
            relay.cut_clients()
            state["cut"] = t
        if state["cut"] and not state["released"] and t > state["cut"] + 2:
            log("%.2f s: closing the stale server side" % t)
            relay.release_cut()
            state["released"] = True

    p = publish_pipeline(
        "rtmp://127.0.0.1:%d/live/key" % relay.port, source=flv, sync=True,
        extra="reconnect=true reconnect-delay=200 timeout=%d"
        % testwrap.scaled(3))
    try:
        kind, msg, secs = run_pipeline(p, testwrap.scaled(40), on_message)
    finally:
        relay.stop()
        time.sleep(0.3)
        nginx.stop()
    if kind != "eos":
        raise Fail("expected EOS, got %s%s" %
                   (kind, ": " + error_text(msg) if kind == "error" else ""))
    names = [e[0] for e in events]
    if "rtmppublishsink-reconnected" not in names:
        raise Fail("never reconnected: %s" % names)
    if not any("NetStream.Publish.BadName" in (e[1] or "") for e in events):
        raise Fail("the republish was never refused with BadName: %s" %
                   events)
    got = probe_packets(nginx.recordings()[-1])
    log("after reconnection: %d video, %d audio frames" %
        (len(got["video"]), len(got["audio"])))
    if len(got["video"]) < 50:
        raise Fail("too little received after the reconnection")


def case_reconnect_give_up(tmp):
    """The server never comes back: an error after max-reconnect-attempts,
    with a bus message per failed attempt."""
    kind, msg, secs, events, stats, nginx, state = kill_restart(
        tmp, True, restart=False,
        extra_props="max-reconnect-attempts=3 reconnect-delay=100")
    if kind != "error":
        raise Fail("expected an error, got %s" % kind)
    text = error_text(msg)
    log("error after %.2f s: %s" % (secs, text))
    if "Gave up after 3 reconnection attempts" not in text:
        raise Fail("error does not say it gave up: %s" % text)
    names = [e[1] for e in events]
    if names.count("rtmppublishsink-connection-lost") != 1 or \
            names.count("rtmppublishsink-reconnect-failed") != 2:
        raise Fail("unexpected messages %s" % names)
    # 100 + 200 + 400 ms of back-off: well under 3 s after the kill
    if secs - state["killed"] > testwrap.scaled(3.0):
        raise Fail("gave up %.1f s after the kill" % (secs - state["killed"]))


def stopped_nginx_pipeline(tmp, flv, props):
    """Publishes flv to an nginx that gets SIGSTOPped once publishing."""
    nginx = Nginx(tmp, name="nginx-%d" % time.monotonic_ns())
    nginx.start()
    try:
        p = publish_pipeline("rtmp://127.0.0.1:%d/live/key" % nginx.port,
                             source=flv, extra=props)
    except Exception:
        nginx.stop()
        raise
    p.set_state(Gst.State.PLAYING)
    try:
        wait_connected(p, "never connected")
    except Fail:
        p.set_state(Gst.State.NULL)
        nginx.stop()
        raise
    os.kill(nginx.proc.pid, signal.SIGSTOP)
    return nginx, p


def release_nginx(nginx):
    if nginx.proc:
        os.kill(nginx.proc.pid, signal.SIGCONT)
    nginx.stop()


def case_stall_timeout(tmp):
    """A server that stops reading: the connection counts as lost after
    `timeout` s without write progress (error with reconnect off)."""
    flv = make_long_flv(tmp, 40, big=True)
    # also the limit of the connection attempt: stretched under checkers
    timeout = int(testwrap.scaled(2))
    nginx, p = stopped_nginx_pipeline(tmp, flv, "timeout=%d" % timeout)
    try:
        t0 = time.monotonic()
        msg = p.get_bus().timed_pop_filtered(
            int(testwrap.scaled(15) * Gst.SECOND),
            Gst.MessageType.ERROR | Gst.MessageType.EOS)
        secs = time.monotonic() - t0
        if msg is None or msg.type != Gst.MessageType.ERROR:
            raise Fail("expected an error, got %s" % msg)
        text = error_text(msg)
        log("error %.2f s after SIGSTOP: %s" % (secs, text))
        if "has not read anything" not in text:
            raise Fail("error does not say the server stalled: %s" % text)
        if secs > timeout + testwrap.scaled(6):
            raise Fail("stall detected only after %.1f s" % secs)
    finally:
        p.set_state(Gst.State.NULL)
        release_nginx(nginx)


def case_eos_unlock(tmp):
    """EOS waits for the bytes to reach the wire; a state change to NULL
    interrupts that wait at once."""
    flv = make_long_flv(tmp, 40, big=True)
    nginx, p = stopped_nginx_pipeline(
        tmp, flv, "timeout=60 max-queue-bytes=100000000")
    try:
        sink = p.get_by_name("sink")
        # the whole file is queued at once; EOS then waits for the socket
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            s = sink.get_property("stats")
            if s.get_value("queued-bytes") > 0:
                break
            time.sleep(0.05)
        time.sleep(1.0)
        msg = p.get_bus().pop_filtered(Gst.MessageType.EOS |
                                       Gst.MessageType.ERROR)
        if msg is not None:
            raise Fail("EOS/error while the server reads nothing: %s" %
                       msg.type)
        s = sink.get_property("stats")
        log("stats while stopped: %s" % s.to_string())
        if s.get_value("state") != "publishing":
            raise Fail("state %s" % s.get_value("state"))
        t0 = time.monotonic()
        p.set_state(Gst.State.NULL)
        if time.monotonic() - t0 > 2:
            raise Fail("NULL during the EOS wait took %.1f s" %
                       (time.monotonic() - t0))
    finally:
        p.set_state(Gst.State.NULL)
        release_nginx(nginx)


def case_backpressure(tmp):
    """nginx stopped (SIGSTOP): the queue stays bounded, render blocks, and
    going to NULL while blocked does not hang. With drop-when-congested the
    sink drops video instead; once nginx reads again the stream ends, every
    audio frame arrives and the video is whole GOPs or their beginnings (no
    frame whose reference was dropped)."""
    flv = make_long_flv(tmp, 40, big=True)
    for drop in (False, True):
        nginx = Nginx(tmp, name="nginx-%d" % drop)
        nginx.start()
        p = None
        try:
            p = publish_pipeline(
                "rtmp://127.0.0.1:%d/live/key" % nginx.port, source=flv,
                extra="max-queue-bytes=65536 timeout=30 "
                "drop-when-congested=%s" % ("true" if drop else "false"))
            sink = p.get_by_name("sink")
            p.set_state(Gst.State.PLAYING)
            wait_connected(p, "never connected")
            os.kill(nginx.proc.pid, signal.SIGSTOP)
            # 3 s of a stalled server (longer when the pipeline runs under
            # a memory checker: until the sink dropped, or its queue filled)
            time.sleep(3)
            deadline = time.monotonic() + testwrap.scaled(3) - 3
            while time.monotonic() < deadline:
                s = sink.get_property("stats")
                if (s.get_value("dropped-messages") if drop else
                        s.get_value("queued-bytes") > 32768):
                    break
                time.sleep(0.1)
            s = sink.get_property("stats")
            log("drop=%s stats while stopped: %s" % (drop, s.to_string()))
            if s.get_value("state") != "publishing":
                raise Fail("the test did not congest the connection")
            if s.get_value("queued-bytes") > 65536 + 100000:
                raise Fail("queue grew to %d bytes" %
                           s.get_value("queued-bytes"))
            if drop and s.get_value("dropped-messages") == 0:
                raise Fail("nothing dropped with drop-when-congested")
            if not drop and s.get_value("dropped-messages") != 0:
                raise Fail("dropped without drop-when-congested")
            if drop:
                os.kill(nginx.proc.pid, signal.SIGCONT)
                kind, msg, secs = run_pipeline(p, testwrap.scaled(60))
                if kind != "eos":
                    raise Fail("after nginx resumed: expected EOS, got %s%s"
                               % (kind, ": " + error_text(msg)
                                  if kind == "error" else ""))
                check_dropped_video(flv, nginx.recordings()[0],
                                    sink.get_property("stats"))
                continue
            # the pipeline must not have reached EOS (it cannot: 40 s of
            # media and the server reads nothing)
            t0 = time.monotonic()
            p.set_state(Gst.State.NULL)
            if time.monotonic() - t0 > testwrap.scaled(3):
                raise Fail("NULL while blocked took %.1f s" %
                           (time.monotonic() - t0))
        finally:
            if p is not None:
                p.set_state(Gst.State.NULL)
            release_nginx(nginx)


def check_dropped_video(source, path, stats):
    """@path (recorded from @source with drops): every audio frame; video
    frames of the source in order, each inter frame right after its
    predecessor in the source; as many frames missing as @stats dropped."""
    src, got = probe_packets(source), probe_packets(path)
    a = [(x["size"], x["data_hash"]) for x in src["audio"]]
    b = [(x["size"], x["data_hash"]) for x in got["audio"]]
    if a != b:
        raise Fail("audio frames differ (%d sent, %d received)" %
                   (len(a), len(b)))
    index = {}
    for i, x in enumerate(src["video"]):
        index.setdefault((x["size"], x["data_hash"]), []).append(i)
    prev = -1
    gaps = 0
    for x in got["video"]:
        cand = [i for i in index.get((x["size"], x["data_hash"]), [])
                if i > prev]
        if not cand:
            raise Fail("recorded video frame (%s bytes) not in the source "
                       "after frame %d" % (x["size"], prev))
        i = cand[0]
        if i != prev + 1:
            gaps += 1
            if "K" not in src["video"][i]["flags"]:
                raise Fail("video frame %d follows frame %d: an inter frame "
                           "whose predecessor was dropped" % (i, prev))
        prev = i
    missing = len(src["video"]) - len(got["video"])
    log("%d of %d video frames dropped in %d runs, every audio frame "
        "(%d) arrived" % (missing, len(src["video"]), gaps, len(b)))
    if missing == 0:
        raise Fail("no video frame missing from the recording")
    if stats.get_value("dropped-messages") != missing:
        raise Fail("stats count %d dropped messages, %d video frames are "
                   "missing" % (stats.get_value("dropped-messages"),
                                missing))


def case_ingest_loopback(tmp):
    """Our own rtmpingestsrc (port 0) receives every frame."""
    out = os.path.join(tmp, "ingest.flv")
    src = Gst.parse_launch(
        "rtmpingestsrc name=src address=127.0.0.1 port=0 ! "
        "filesink location=%s" % out)
    if src.get_by_name("src") is None:
        return SKIP
    src.set_state(Gst.State.PLAYING)
    try:
        port = 0
        deadline = time.monotonic() + 5
        while port == 0 and time.monotonic() < deadline:
            port = src.get_by_name("src").get_property("current-port")
            time.sleep(0.02)
        if port == 0:
            raise Fail("rtmpingestsrc did not listen")
        p = publish_pipeline("rtmp://127.0.0.1:%d/live/key" % port)
        expect_eos(p)
        msg = src.get_bus().timed_pop_filtered(
            10 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
        if msg is None or msg.type != Gst.MessageType.EOS:
            raise Fail("rtmpingestsrc: %s" %
                       (error_text(msg) if msg else "no EOS"))
    finally:
        src.set_state(Gst.State.NULL)
    check_frames_equal(out)


def case_properties(tmp):
    """location <-> host/port/application/stream, URI handler."""
    sink = Gst.ElementFactory.make("rtmppublishsink", None)
    if sink is None:
        raise Fail("rtmppublishsink not found")
    sink.set_property("location", "rtmp://example.com:1940/live/inst/key?a=b")
    got = [sink.get_property(n) for n in
           ("host", "port", "application", "stream")]
    if got != ["example.com", 1940, "live/inst", "key?a=b"]:
        raise Fail("split: %s" % got)
    sink.set_property("port", 1935)
    sink.set_property("stream", "other")
    if sink.get_property("location") != "rtmp://example.com/live/inst/other":
        raise Fail("rebuilt location %s" % sink.get_property("location"))
    sink.set_property("location", "rtmp://[::1]/app/k")
    if sink.get_property("host") != "::1" or \
            sink.get_property("location") != "rtmp://[::1]/app/k":
        raise Fail("IPv6: %s %s" % (sink.get_property("host"),
                                    sink.get_property("location")))
    sink.set_property("host", "[fe80::1]")
    if sink.get_property("location") != "rtmp://[fe80::1]/app/k":
        raise Fail("IPv6 host: %s" % sink.get_property("location"))
    # URI handler
    el = Gst.Element.make_from_uri(Gst.URIType.SINK,
                                   "rtmp://127.0.0.1:1999/a/b", None)
    if el is None or el.get_factory().get_name() != "rtmppublishsink":
        # another rtmp sink may have a higher rank; ours is RANK_NONE
        el = Gst.ElementFactory.make("rtmppublishsink", None)
        el.set_uri("rtmp://127.0.0.1:1999/a/b")
    if el.get_uri() != "rtmp://127.0.0.1:1999/a/b":
        raise Fail("uri %s" % el.get_uri())
    try:
        el.set_uri("http://x/a/b")
        raise Fail("http:// accepted")
    except GLib.Error:
        pass
    try:
        el.set_uri("rtmp://host/onlyone")
        raise Fail("URL without a stream accepted")
    except GLib.Error:
        pass
    stats = sink.get_property("stats")
    if stats.get_value("state") != "idle":
        raise Fail("stats before start: %s" % stats.to_string())
    # no location: error at start, says what to set
    p = Gst.parse_launch("fakesrc num-buffers=1 ! rtmppublishsink")
    kind, msg, secs = run_pipeline(p, 5)
    if kind != "error" or "location" not in error_text(msg):
        raise Fail("no location: %s" % kind)


def flv_tags(path):
    """The FLV file as (header bytes, [(type, timestamp ms, tag bytes with
    its PreviousTagSize)])."""
    with open(path, "rb") as f:
        data = f.read()
    hlen = int.from_bytes(data[5:9], "big") + 4
    tags, pos = [], hlen
    while pos + 11 <= len(data):
        size = int.from_bytes(data[pos + 1:pos + 4], "big")
        ts = (int.from_bytes(data[pos + 4:pos + 7], "big") |
              data[pos + 7] << 24)
        end = pos + 11 + size + 4
        tags.append((data[pos], ts, data[pos:end]))
        pos = end
    return data[:hlen], tags


def case_batch(tmp):
    """Input faster than real time is written in batches; input paced like
    the clock one message at a time; what waits for a batch goes out
    within RTMP_NET_CLIENT_MAX_HOLD_MS (250 ms) even if no more input
    comes."""
    flv = make_long_flv(tmp, 20)
    nginx = Nginx(tmp)
    nginx.start()
    try:
        # 1. as fast as it can be read: batched; every frame intact
        p = publish_pipeline("rtmp://127.0.0.1:%d/live/fast" % nginx.port,
                             source=flv)
        expect_eos(p, timeout=testwrap.scaled(30))
        st = p.get_by_name("sink").get_property("stats")
        msgs, writes = st.get_value("messages-out"), st.get_value("writes")
        log("fast: %d messages in %d writes, %d bytes" %
            (msgs, writes, st.get_value("bytes-out")))
        if msgs < 1000:
            raise Fail("only %d messages out" % msgs)
        if writes * 4 > msgs:
            raise Fail("%d writes for %d messages: not batched" %
                       (writes, msgs))

        # 2. sync=true (real time, 3 s of it): a write per message
        p = publish_pipeline("rtmp://127.0.0.1:%d/live/paced" % nginx.port,
                             source=flv, sync=True)
        p.set_state(Gst.State.PLAYING)
        time.sleep(3)
        st = p.get_by_name("sink").get_property("stats")
        p.set_state(Gst.State.NULL)
        msgs, writes = st.get_value("messages-out"), st.get_value("writes")
        log("paced: %d messages in %d writes" % (msgs, writes))
        if msgs < 100 or writes < msgs * 0.9:
            raise Fail("paced input: %d writes for %d messages (expected "
                       "one per message)" % (writes, msgs))

        # 3. 10 s of tags at once, then nothing (no EOS): what waited for
        # a batch is written anyway
        header, tags = flv_tags(flv)
        burst = [t for t in tags if t[1] <= 10000]
        p = Gst.parse_launch(
            "appsrc name=src format=time caps=video/x-flv ! "
            "rtmppublishsink name=sink location=rtmp://127.0.0.1:%d/live/"
            "stall" % nginx.port)
        src, sink = p.get_by_name("src"), p.get_by_name("sink")
        held = []
        last = [0.0]

        def probe(pad, info):
            q = sink.get_property("stats").get_value("queued-bytes")
            if q > 0:
                held.append(q)
            last[0] = time.monotonic()
            return Gst.PadProbeReturn.OK

        sink.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, probe)
        p.set_state(Gst.State.PLAYING)
        wait_connected(p, "the stall pipeline did not connect")
        hb = Gst.Buffer.new_wrapped(header)
        hb.pts = hb.dts = 0
        src.emit("push-buffer", hb)
        for _, ts, raw in burst:
            b = Gst.Buffer.new_wrapped(raw)
            b.pts = b.dts = ts * Gst.MSECOND
            src.emit("push-buffer", b)
        deadline = time.monotonic() + testwrap.scaled(10)
        while time.monotonic() < deadline and last[0] == 0.0:
            time.sleep(0.01)
        # the sink has rendered the last tag once its probe stays quiet
        n = len(burst)
        while time.monotonic() < deadline:
            st = sink.get_property("stats")
            if st.get_value("messages-out") >= n:
                break
            time.sleep(0.01)
        waited = time.monotonic() - last[0]
        st = sink.get_property("stats")
        p.set_state(Gst.State.NULL)
        log("stall: %d tags pushed; %d out in %d writes; %.3f s after the "
            "last tag reached the sink; seen queued (held) %d times" %
            (n, st.get_value("messages-out"), st.get_value("writes"),
             waited, len(held)))
        if st.get_value("messages-out") < n:
            raise Fail("%d of %d messages still not written %.1f s after "
                       "the input stopped" % (n - st.get_value(
                           "messages-out"), n, waited))
        if not held:
            raise Fail("nothing ever waited for a batch")
        if waited > testwrap.scaled(0.25 + 0.5):
            raise Fail("the held messages took %.3f s to go out" % waited)
    finally:
        nginx.stop()
    rec = [r for r in nginx.recordings() if "fast" in os.path.basename(r)]
    if len(rec) != 1:
        raise Fail("expected one recording of the fast publish: %s" % rec)
    check_same_payloads(flv, rec[0])


CASES = {
    "batch": case_batch,
    "nginx": case_nginx,
    "ffmpeg-listen": case_ffmpeg_listen,
    "big": case_big,
    "streamheader": case_streamheader,
    "ipv6": case_ipv6,
    "badname": case_badname,
    "deny": case_deny,
    "wrong-app": case_wrong_app,
    "silent": case_silent,
    "refused": case_refused,
    "reconnect": case_reconnect,
    "no-reconnect": case_no_reconnect,
    "backpressure": case_backpressure,
    "properties": case_properties,
    "ingest-loopback": case_ingest_loopback,
    "reconnect-give-up": case_reconnect_give_up,
    "reconnect-badname": case_reconnect_badname,
    "stall-timeout": case_stall_timeout,
    "eos-unlock": case_eos_unlock,
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print(__doc__)
        print("cases:", " ".join(CASES))
        return 2
    Gst.init(None)
    if sys.argv[1] != "properties" and not (shutil.which("ffmpeg")
                                            and shutil.which("ffprobe")):
        log("SKIP: ffmpeg/ffprobe not installed")
        return SKIP
    tmp = tempfile.mkdtemp(prefix="test-publish-")
    try:
        ret = CASES[sys.argv[1]](tmp)
        if ret == SKIP:
            log("SKIP")
            return SKIP
        log("PASS")
        return 0
    except Fail as e:
        log("FAIL:", e)
        return 1
    finally:
        for nginx in ALL_NGINX:
            if nginx.proc and nginx.proc.poll() is None:
                os.kill(nginx.proc.pid, signal.SIGCONT)
                nginx.stop()
        if os.environ.get("KEEP_TMP"):
            log("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
