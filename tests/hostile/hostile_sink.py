#!/usr/bin/python3
# Bad-input suite against rtmppublishsink: scripted misbehaving servers.
# Copyright (C) 2026 The gst-rtmp-ingest authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""usage: hostile_sink.py [CASE...]

For each case a scripted server (a Python thread on 127.0.0.1, port 0)
misbehaves against a gst-launch-1.0 process publishing an FLV file with
rtmppublishsink timeout=3 (stretched under checkers); the sink must stop
with an ERROR whose message says what went wrong, within its timeout plus
a margin: no crash, no hang.
Exit status 0 = pass.
"""
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "interop"))
import rtmpraw as R  # noqa: E402
import testwrap  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.environ.get("RTMP_FIXTURES_DIR",
                          os.path.join(HERE, "..", "fixtures"))
# the sink's timeout: one connection attempt (handshake to publish) and a
# stalled write. Some cases wait for it to fire; in the others the scripted
# server (a Python thread beside checked processes on a loaded machine)
# must answer within it, so it is stretched like every time limit.
TIMEOUT_S = int(testwrap.scaled(3))
MARGIN_S = testwrap.scaled(10)
failures = []


def log(*a):
    print(*a, flush=True)


def check(cond, what):
    if not cond:
        failures.append(what)
        log("  FAIL:", what)
    return cond


def flv_tag(t, ts, body):
    return (bytes([t]) + R.u24(len(body)) + R.u24(ts & 0xFFFFFF) +
            bytes([ts >> 24]) + b"\0\0\0" + body +
            struct.pack(">I", 11 + len(body)))


def big_flv(path, frames=256, frame_size=65536):
    """source.flv's metadata and sequence headers, then @frames large video
    frames (16 MiB): enough to fill the socket buffers when the server
    stops reading. Large tags keep the sink's work per byte low, so that a
    sink slowed down by a checker on a loaded machine gets there soon (a
    few MB of the source's small tags took over 20 s under ASan)."""
    tags = R.flv_tags(os.path.join(FIXTURES, "source.flv"))
    with open(os.path.join(FIXTURES, "source.flv"), "rb") as f:
        head = f.read(13)
    out = [head]
    for t, ts, body in tags:
        # script data, and the AVC / AAC sequence headers (packet type 0)
        if t == R.DATA_AMF0 or len(body) > 1 and body[1] == 0:
            out.append(flv_tag(t, 0, body))
    payload = bytes(frame_size - 5)
    for i in range(frames):
        # AVC NALU packet, keyframe every 30 frames, 30 fps
        out.append(flv_tag(R.VIDEO, i * 33, bytes(
            [0x17 if i % 30 == 0 else 0x27, 1, 0, 0, 0]) + payload))
    with open(path, "wb") as f:
        f.write(b"".join(out))


class ScriptedServer:
    """accepts one connection and runs @script(conn) on it"""

    def __init__(self, script):
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(1)
        self.ls.settimeout(20)
        self.port = self.ls.getsockname()[1]
        self.script = script
        self.stop = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        try:
            conn, _ = self.ls.accept()
        except OSError:
            return
        conn.settimeout(0.5)
        self.conn = conn
        try:
            self.script(self, conn)
        except OSError:
            pass
        # hold the connection until the test ends
        self.stop.wait(30)
        conn.close()

    def recv_exact(self, conn, n):
        buf = b""
        while len(buf) < n and not self.stop.is_set():
            try:
                d = conn.recv(n - len(buf))
            except socket.timeout:
                continue
            if not d:
                raise OSError("closed")
            buf += d
        return buf

    def handshake(self, conn):
        c0c1 = self.recv_exact(conn, 1 + R.C1_SIZE)
        conn.sendall(b"\x03" + bytes(8) + os.urandom(R.C1_SIZE - 8) +
                     c0c1[1:])
        self.recv_exact(conn, R.C1_SIZE)

    def messages(self, conn, reader):
        """yields (type, msid, payload) until stopped"""
        while not self.stop.is_set():
            try:
                d = conn.recv(65536)
            except socket.timeout:
                continue
            if not d:
                return
            for m in reader.feed(d):
                yield m

    def close(self):
        self.stop.set()
        self.ls.close()


def answer(conn, name, tid, *args):
    conn.sendall(R.command(name, tid, *args))


def status(code, level="status"):
    return {"level": level, "code": code, "description": "scripted"}


def serve_until(srv, conn, until):
    """a plain server: answers connect, createStream and publish; calls
    until(conn, cmd, args) for each command: True stops"""
    reader = R.ChunkReader()
    srv.handshake(conn)
    for mtype, msid, payload in srv.messages(conn, reader):
        if mtype != R.COMMAND_AMF0:
            continue
        args = R.amf0_read_all(payload)
        if until(conn, args[0], args):
            return
        if args[0] == "connect":
            answer(conn, "_result", args[1], {"fmsVer": "FMS/3,0,1,123"},
                   status("NetConnection.Connect.Success"))
        elif args[0] == "createStream":
            answer(conn, "_result", args[1], None, 1.0)
        elif args[0] == "publish":
            conn.sendall(R.chunks(5, R.COMMAND_AMF0, 1, 0, R.amf0(
                "onStatus", 0, None, status("NetStream.Publish.Start"))))


# ---------------------------------------------------------------- cases --
def garbage(srv, conn):
    srv.recv_exact(conn, 1 + R.C1_SIZE)
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n" + os.urandom(4000))


def huge_chunk_size(srv, conn):
    def until(conn, name, args):
        if name == "connect":
            conn.sendall(R.set_chunk_size(0xFFFFFFFF) + os.urandom(300))
            return True
    serve_until(srv, conn, until)


def never_answers_connect(srv, conn):
    serve_until(srv, conn, lambda conn, name, args: name == "connect")


def closes_after_connect(srv, conn):
    def until(conn, name, args):
        if name == "connect":
            conn.close()
            return True
    serve_until(srv, conn, until)


def reads_nothing(srv, conn):
    def until(conn, name, args):
        if name == "publish":
            conn.sendall(R.chunks(5, R.COMMAND_AMF0, 1, 0, R.amf0(
                "onStatus", 0, None, status("NetStream.Publish.Start"))))
            return True         # and never read again
    serve_until(srv, conn, until)


def unknown_status_code(srv, conn):
    def until(conn, name, args):
        if name == "publish":
            conn.sendall(R.chunks(5, R.COMMAND_AMF0, 1, 0, R.amf0(
                "onStatus", 0, None,
                status("NetStream.Publish.Whatever", "error"))))
            return True
    serve_until(srv, conn, until)


def unknown_status_code_level_status(srv, conn):
    def until(conn, name, args):
        if name == "publish":
            conn.sendall(R.chunks(5, R.COMMAND_AMF0, 1, 0, R.amf0(
                "onStatus", 0, None, status("NetStream.Publish.Whatever"))))
            return True
    serve_until(srv, conn, until)


# (script, regex the ERROR line must match)
CASES = [
    (garbage, r"handshake version 72"),
    (huge_chunk_size, r"Invalid Set Chunk Size 0xffffffff"),
    (never_answers_connect, r"No answer .* to the connect command within"),
    (closes_after_connect, r"closed the connection during the connect"),
    (reads_nothing,
     r"has not read anything for %d ms" % (TIMEOUT_S * 1000)),
    (unknown_status_code, r"NetStream.Publish.Whatever"),
    (unknown_status_code_level_status,
     r"No answer .* to the publish command within"),
]


def run(script, expect, flv):
    label = script.__name__
    log("case %s" % label)
    n_fail = len(failures)
    srv = ScriptedServer(script)
    cmd = ["gst-launch-1.0", "filesrc", "location=" + flv, "!",
           "video/x-flv", "!", "rtmppublishsink", "sync=false",
           "timeout=%d" % TIMEOUT_S,
           "location=rtmp://127.0.0.1:%d/live/key" % srv.port]
    env = dict(os.environ, GST_DEBUG="*:1", GST_DEBUG_NO_COLOR="1")
    t0 = time.monotonic()
    p = subprocess.Popen(testwrap.wrap(cmd), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True,
                         errors="replace", env=env)
    try:
        out, _ = p.communicate(timeout=TIMEOUT_S + MARGIN_S)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        check(False, "%s: the sink hung (killed after %.0f s)"
              % (label, TIMEOUT_S + MARGIN_S))
    dt = time.monotonic() - t0
    srv.close()
    # the sink's own error (upstream's "Internal data stream error" may
    # come first)
    errors = [l for l in out.splitlines() if l.startswith("ERROR") and
              "rtmppublishsink" in l]
    for l in errors[:2]:
        log("  " + l)
    check(p.returncode is not None and p.returncode > 0,
          "%s: exit status %s (a signal is a crash)" % (label, p.returncode))
    check(errors, "%s: no ERROR message" % label)
    if errors:
        check(re.search(expect, errors[0]), "%s: error '%s' does not match "
              "/%s/" % (label, errors[0], expect))
    log("  done in %.1f s" % dt)
    ok = len(failures) == n_fail
    if not ok:
        for l in out.splitlines()[-15:]:
            log("  | " + l)


def main():
    only = sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        flv = os.path.join(tmp, "big.flv")
        big_flv(flv)
        for script, expect in CASES:
            if only and script.__name__ not in only:
                continue
            run(script, expect, flv)
    if failures:
        log("%d failure(s):" % len(failures))
        for what in failures:
            log("  - " + what)
        return 1
    log("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
