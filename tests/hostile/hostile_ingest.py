#!/usr/bin/python3
# Bad-input suite against a running rtmpingestsrc.
# Copyright (C) 2026 The gst-rtmp-ingest authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""usage: hostile_ingest.py GROUP [CASE...]

GROUP is handshake, chunks, amf or session. One pipeline
(ingest_server.py: rtmpingestsrc on-unpublish=stay-alive ! flvdemux, in its
own process) serves every case of the group in sequence; each case is a
fresh connection (or several) sending raw bytes (rtmpraw.py) and asserts:
  - the peer is dropped with a clear warning (the element's GST_WARNING
    "Dropped peer 127.0.0.1:<its port>: <why>" on the pipeline's stderr,
    matched against what the case expects), or, for odd but legal input,
    is served correctly;
  - no crash (the process is alive) and no hang (every step has a timeout);
  - right after it, a correct publisher (the ffmpeg capture
    tests/fixtures/ffmpeg.c2s.bin replayed) is served and loses nothing:
    exactly 63 video + 109 audio buffers out of flvdemux;
  - over the whole group, memory and descriptors stay bounded (RSS and
    open fds of the pipeline process before and after).
Exit status 0 = pass.
"""
import json
import os
import queue
import re
import socket
import struct
import subprocess
import sys
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
REPLAY = open(os.path.join(FIXTURES, "ffmpeg.c2s.bin"), "rb").read()
TAGS = R.flv_tags(os.path.join(FIXTURES, "source.flv"))
N_VIDEO, N_AUDIO = 63, 109
# the element's limits under test; stretched when the pipeline process runs
# under valgrind (many times slower: a correct publisher must still make
# it), kept as they are under ASan
TIMEOUT_SCALE = testwrap.SLOWDOWN if testwrap.is_valgrind() else 1
HANDSHAKE_TIMEOUT_MS = int(1500 * TIMEOUT_SCALE)
IDLE_TIMEOUT_MS = int(2500 * TIMEOUT_SCALE)
# growth of the pipeline's RSS over a whole group, after the warm-up; under
# valgrind the process also holds memcheck's queue of freed blocks (20 MB)
# and shadow memory for what it maps (leaks there are memcheck's to find);
# under ASan its quarantine of freed blocks (up to 256 MB by default) grows
# with what the group allocated and freed (the session group, with the
# 17 MB of commands of never_reads, came to 48.2 MiB once)
RSS_BOUND_KB = 48 * 1024 * (3 if testwrap.is_valgrind() else
                            2 if testwrap.ASAN else 1)

failures = []


def log(*a):
    print(*a, flush=True)


def check(cond, what):
    if not cond:
        failures.append(what)
        log("  FAIL:", what)
    return cond


class Server:
    def __init__(self, *props):
        env = dict(os.environ)
        env["GST_DEBUG"] = "*:1,rtmpingestsrc:2,rtmpnet*:2"
        env["GST_DEBUG_NO_COLOR"] = "1"
        cmd = ["/usr/bin/python3", os.path.join(HERE, "ingest_server.py"),
               "handshake-timeout=%d" % HANDSHAKE_TIMEOUT_MS,
               "idle-timeout=%d" % IDLE_TIMEOUT_MS,
               "application=live", "stream-key=key"] + list(props)
        # ASan's quarantine of freed memory (256 MB by default) would count
        # in the RSS bound of the group
        self.p = subprocess.Popen(
            testwrap.wrap(cmd, asan_options="quarantine_size_mb=16"),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, errors="replace", env=env)
        self.out = queue.Queue()
        self.err = []
        self.lock = threading.Lock()
        threading.Thread(target=self._read_out, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()
        line = self._line("PORT", 20)
        self.port = int(line.split()[1])
        log("pipeline pid %d listening on port %d" % (self.p.pid, self.port))

    def _read_out(self):
        for line in self.p.stdout:
            self.out.put(line.rstrip("\n"))

    def _read_err(self):
        for line in self.p.stderr:
            with self.lock:
                self.err.append(line.rstrip("\n"))

    def _line(self, prefix, timeout):
        # the pipeline process runs under the checker (Python and PyGObject
        # start slowly under valgrind on a loaded machine)
        timeout = testwrap.scaled(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.out.get(timeout=0.1)
            except queue.Empty:
                if self.p.poll() is not None:
                    break
                continue
            if line.startswith("BUSERROR"):
                raise RuntimeError("pipeline error: " + line)
            if line.startswith(prefix):
                return line
        self.dump_err()
        raise RuntimeError("pipeline did not answer %s (exit status %s)" %
                           (prefix, self.p.poll()))

    def dump_err(self, n=40):
        with self.lock:
            for line in self.err[-n:]:
                log("  | " + line)

    def stats(self):
        self.p.stdin.write("stats\n")
        self.p.stdin.flush()
        return json.loads(self._line("STATS", 10)[6:])

    def alive(self):
        return self.p.poll() is None

    def warnings(self, start=0):
        with self.lock:
            return [w for w in self.err[start:] if "WARN" in w]

    def mark(self):
        with self.lock:
            return len(self.err)

    def wait_dropped(self, peer, timeout=5.0, start=0):
        """the element's warning about @peer ("ip:port") logged from line
        @start on (mark()), or None. A case must pass its start: a long run
        reuses ephemeral ports, so an earlier connection may have had the
        same address."""
        deadline = time.monotonic() + timeout
        needle = "Dropped peer %s:" % peer
        while time.monotonic() < deadline:
            with self.lock:
                for line in self.err[start:]:
                    if needle in line:
                        return line[line.index(needle):]
            time.sleep(0.05)
        return None

    def wait_idle(self, timeout=8.0):
        """no connection left open"""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st = self.stats()
            if st["connections"] == 0 and not st["publishing"]:
                return st
            time.sleep(0.1)
        return None

    def stop(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.flush()
            self._line("BYE", 15)
            return self.p.wait(10)
        except (RuntimeError, subprocess.TimeoutExpired, OSError):
            self.p.kill()
            self.p.wait()
            return -1


def wait_counts(srv, want_v, want_a, timeout=15.0):
    deadline = time.monotonic() + timeout
    st = srv.stats()
    while time.monotonic() < deadline:
        st = srv.stats()
        if st["video"] >= want_v and st["audio"] >= want_a:
            time.sleep(0.2)     # anything extra would show now
            return srv.stats()
        time.sleep(0.1)
    return st


def good_publisher(srv, label):
    """the ffmpeg capture replayed: everything must come out"""
    before = srv.stats()
    c = R.Client(srv.port, timeout=10)
    c.send(REPLAY)
    st = wait_counts(srv, before["video"] + N_VIDEO,
                     before["audio"] + N_AUDIO)
    c.close()
    ok = check(st["video"] - before["video"] == N_VIDEO and
               st["audio"] - before["audio"] == N_AUDIO,
               "%s: publisher after it got %d video + %d audio buffers "
               "through, expected %d + %d" % (
                   label, st["video"] - before["video"],
                   st["audio"] - before["audio"], N_VIDEO, N_AUDIO))
    check(srv.wait_idle() is not None,
          "%s: the good publisher's connection was not closed" % label)
    return ok


def expect_frames(srv, before, label):
    """TRUE if source.flv's frames all came out since the stats @before"""
    st = wait_counts(srv, before["video"] + N_VIDEO,
                     before["audio"] + N_AUDIO)
    return check(st["video"] - before["video"] == N_VIDEO and
                 st["audio"] - before["audio"] == N_AUDIO,
                 "%s: %d video + %d audio buffers came out, expected %d + %d"
                 % (label, st["video"] - before["video"],
                    st["audio"] - before["audio"], N_VIDEO, N_AUDIO))


def publish_tags(c, srv, label, ts_offset=0, chunk_size=4096,
                 repeat_ext=True, c1=None, c2=None, pre=b"", key="key"):
    """handshake (C1 @c1, C2 @c2: defaults are correct ones), @pre, then
    publishes source.flv with our own writer; TRUE if every frame came
    out"""
    before = srv.stats()
    c.handshake(c1)
    c.send((c.c2() if c2 is None else c2) + pre +
           R.set_chunk_size(chunk_size) +
           R.connect_cmd("live", c.port, chunk_size=chunk_size) +
           R.create_stream_cmd(chunk_size=chunk_size) +
           R.publish_cmd(key, chunk_size=chunk_size)
           + R.media_messages(TAGS, ts_offset, chunk_size, repeat_ext))
    return expect_frames(srv, before, label)


def publish_more(c, srv, label):
    """@c publishes already: sends source.flv's tags once more; TRUE if
    every frame came out"""
    before = srv.stats()
    c.send(R.media_messages(TAGS, 0, 4096))
    return expect_frames(srv, before, label)


# Every case gets the server and returns the connections it wants checked:
# a list of (client, expect) where expect is a regex the drop warning must
# match, or None if the peer must NOT be dropped with a warning (legal
# input, served correctly: the case checks the service itself).
CASES = {}


def case(group):
    def deco(fn):
        CASES.setdefault(group, []).append(fn)
        return fn
    return deco


def after_handshake(srv, extra=b""):
    c = R.Client(srv.port)
    c.handshake()
    c.send(c.c2() + extra)
    return c


def connected(srv, extra=b""):
    """handshake + connect + createStream, chunk size 128"""
    return after_handshake(srv, R.connect_cmd("live", srv.port) +
                           R.create_stream_cmd() + extra)


# ------------------------------------------------------------ handshake --
@case("handshake")
def garbage_c0(srv):
    c = R.Client(srv.port)
    c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + b"\0" * 1600)
    return [(c, r"HTTP request")]


@case("handshake")
def version_6(srv):
    c = R.Client(srv.port)
    c.send(R.c0c1(version=6))
    return [(c, r"RTMPE")]


@case("handshake")
def version_8(srv):
    c = R.Client(srv.port)
    c.send(R.c0c1(version=8))
    return [(c, r"RTMPE")]


@case("handshake")
def version_ff(srv):
    c = R.Client(srv.port)
    c.send(R.c0c1(version=0xFF))
    return [(c, r"handshake version 255")]


@case("handshake")
def short_c1(srv):
    c = R.Client(srv.port)
    c.send(R.c0c1()[:700])
    return [(c, r"handshake-timeout")]


@case("handshake")
def bogus_digest(srv):
    # a C1 that claims the digest scheme (non-zero version) but whose
    # digest is random: served with the plain handshake
    c = R.Client(srv.port, timeout=10)
    publish_tags(c, srv, "bogus_digest", c1=R.c0c1(zero=b"\x09\x00\x7c\x02"))
    return [(c, None)]


@case("handshake")
def c2_mismatch(srv):
    c = R.Client(srv.port, timeout=10)
    publish_tags(c, srv, "c2_mismatch", c2=os.urandom(R.C1_SIZE))
    return [(c, None)]


@case("handshake")
def c2_and_connect_pipelined(srv):
    c = R.Client(srv.port, timeout=10)
    publish_tags(c, srv, "c2_and_connect_pipelined")
    return [(c, None)]


@case("handshake")
def c0c1c2_in_one_segment(srv):
    # C0 C1 and C2 all at once, before S0/S1 arrived (C2 then cannot echo
    # S1; the server does not check C2)
    c = R.Client(srv.port)
    c.send(R.c0c1() + bytes(R.C1_SIZE) + R.connect_cmd("live", srv.port))
    c.recv_exact(1 + 2 * R.C1_SIZE)
    return [(c, None)]


@case("handshake")
def slowloris(srv):
    c = R.Client(srv.port)
    data = R.c0c1()
    t0 = time.monotonic()
    for i in range(60):
        if not c.send(data[i:i + 1]):
            break
        time.sleep(0.05)
    check(time.monotonic() - t0 < HANDSHAKE_TIMEOUT_MS / 1000 + 2,
          "slowloris: not dropped in time")
    return [(c, r"handshake-timeout")]


@case("handshake")
def parallel_200(srv):
    clients = []
    for i in range(200):
        try:
            c = R.Client(srv.port, timeout=3)
        except OSError as e:
            log("  connection %d failed: %s" % (i, e))
            continue
        c.send(R.c0c1())
        clients.append(c)
    served = refused = 0
    for c in clients:
        try:
            c.recv_exact(1 + 2 * R.C1_SIZE)
            served += 1
        except (EOFError, OSError):
            refused += 1
    log("  200 parallel handshakes: %d served, %d closed at once"
        % (served, refused))
    check(served >= 1, "parallel_200: no handshake served")
    for c in clients:
        c.close()
    return []


# --------------------------------------------------------------- chunks --
@case("chunks")
def type3_without_header(srv):
    c = after_handshake(srv, b"\xc3" + b"\0" * 200)
    return [(c, r"(?i)type 3|fmt 3|no previous|without")]


@case("chunks")
def csid_flood(srv):
    # a partial message on every csid, 2..65599
    out = [R.set_chunk_size(1)]
    for csid in range(3, 65600):
        out.append(R.chunk_header(0, csid, 0, 100, R.VIDEO, 1) + b"\x17")
    c = connected(srv)
    c.send(b"".join(out))
    return [(c, r"max-chunk-streams")]


@case("chunks")
def declared_16mb_on_many_csids(srv):
    # 60 messages that each claim 16 MiB but carry one byte (chunk size 1):
    # nothing may be allocated by the claim
    out = [R.set_chunk_size(1)]
    for csid in range(3, 63):
        out.append(R.chunk_header(0, csid, 0, 0xFFFFFF, R.VIDEO, 1) + b"\x17")
    c = connected(srv, b"".join(out))
    time.sleep(0.5)
    st = srv.stats()
    check(st["rss_kb"] - srv.base_rss < RSS_BOUND_KB,
          "declared 16 MB x 60: RSS grew by %d KiB" %
          (st["rss_kb"] - srv.base_rss))
    # then past max_chunk_streams
    out = []
    for csid in range(63, 200):
        out.append(R.chunk_header(0, csid, 0, 0xFFFFFF, R.VIDEO, 1) + b"\x17")
    c.send(b"".join(out))
    return [(c, r"max-chunk-streams")]


@case("chunks")
def length_changed_mid_message(srv):
    c = connected(srv, R.chunk_header(0, 6, 0, 1000, R.VIDEO, 1) +
                  b"\x17" * 128 +
                  R.chunk_header(1, 6, 0, 50, R.VIDEO) + b"\x17" * 50)
    return [(c, r"Message header changed .* before its message .* was complete")]


@case("chunks")
def type_changed_mid_message(srv):
    c = connected(srv, R.chunk_header(0, 6, 0, 1000, R.VIDEO, 1) +
                  b"\x17" * 128 +
                  R.chunk_header(1, 6, 0, 1000, R.AUDIO) + b"\xaf" * 128)
    return [(c, r"Message header changed .* before its message .* was complete")]


@case("chunks")
def set_chunk_size_0(srv):
    c = connected(srv, R.set_chunk_size(0))
    return [(c, r"(?i)chunk size 0|min_chunk_size|invalid chunk size")]


@case("chunks")
def set_chunk_size_1(srv):
    c = R.Client(srv.port, timeout=10)
    publish_tags(c, srv, "set_chunk_size_1", chunk_size=1)
    return [(c, None)]


@case("chunks")
def set_chunk_size_2_31(srv):
    c = connected(srv, R.set_chunk_size(1 << 31))
    return [(c, r"(?i)chunk size")]


@case("chunks")
def set_chunk_size_max_legal(srv):
    c = R.Client(srv.port, timeout=10)
    publish_tags(c, srv, "set_chunk_size_0x7fffffff", chunk_size=0x7FFFFFFF)
    return [(c, None)]


@case("chunks")
def set_chunk_size_mid_message(srv):
    # chunk 1 of a 300-byte video message at 128, then Set Chunk Size 4096
    # on csid 2, then the remaining 172 bytes in one chunk (legal: the new
    # size applies to the next chunk)
    body = b"\x27\x01\x00\x00\x00" + b"\x00" * 295
    c = connected(srv, R.publish_cmd("key") +
                  R.chunk_header(0, 6, 0, 300, R.VIDEO, 1) + body[:128] +
                  R.set_chunk_size(4096) + R.chunk_header(3, 6) + body[128:])
    time.sleep(0.5)
    return [(c, None)]


@case("chunks")
def abort_unknown_csids(srv):
    c = R.Client(srv.port, timeout=10)
    pre = b"".join(R.control(R.ABORT, struct.pack(">I", n))
                   for n in (0, 1, 7, 50, 65599, 0xFFFFFFFF))
    publish_tags(c, srv, "abort_unknown_csids", pre=pre)
    return [(c, None)]


@case("chunks")
def ext_ts_exactly_ffffff(srv):
    # video at 80 ms lands exactly on 0xFFFFFF; 128-byte chunks so type 3
    # continuations carry (ffmpeg style) the extended timestamp
    c = R.Client(srv.port, timeout=10)
    publish_tags(c, srv, "ext_ts_exactly_ffffff",
                 ts_offset=0xFFFFFF - 80, chunk_size=128)
    return [(c, None)]


@case("chunks")
def ext_ts_absent_on_type3(srv):
    c = R.Client(srv.port, timeout=10)
    publish_tags(c, srv, "ext_ts_absent_on_type3",
                 ts_offset=0x1000000, chunk_size=128, repeat_ext=False)
    return [(c, None)]


@case("chunks")
def ext_ts_wrap(srv):
    c = R.Client(srv.port, timeout=10)
    publish_tags(c, srv, "ext_ts_wrap", ts_offset=(1 << 32) - 1000,
                 chunk_size=128)
    return [(c, None)]


@case("chunks")
def backwards_timestamps(srv):
    tags = list(TAGS)
    # the second half 2 s earlier than the first
    half = len(tags) // 2
    tags = tags[:half] + [(t, max(0, ts - 2000), b) for t, ts, b in
                          tags[half:]]
    before = srv.stats()
    c = R.Client(srv.port, timeout=10)
    c.handshake()
    c.send(c.c2() + R.set_chunk_size(4096) +
           R.connect_cmd("live", c.port, chunk_size=4096) +
           R.create_stream_cmd() + R.publish_cmd("key", chunk_size=4096) +
           R.media_messages(tags, 0x10000, 4096))
    st = wait_counts(srv, before["video"] + N_VIDEO,
                     before["audio"] + N_AUDIO)
    check(st["video"] - before["video"] == N_VIDEO and
          st["audio"] - before["audio"] == N_AUDIO,
          "backwards_timestamps: %d video + %d audio came out"
          % (st["video"] - before["video"], st["audio"] - before["audio"]))
    return [(c, None)]


# ------------------------------------------------------------------ AMF --
def bad_connect(srv, payload, mtype=R.COMMAND_AMF0):
    return connected_raw(srv, R.chunks(3, mtype, 0, 0, payload, 128))


def connected_raw(srv, extra):
    return after_handshake(srv, extra)


@case("amf")
def string_past_end(srv):
    c = bad_connect(srv, b"\x02\xff\xf0connect")
    return [(c, r"AMF")]


@case("amf")
def long_string_ffffffff(srv):
    c = bad_connect(srv, R.amf0("connect", 1) + b"\x0c\xff\xff\xff\xff" +
                    b"x" * 64)
    return [(c, r"AMF")]


@case("amf")
def nesting_100000(srv):
    c = R.Client(srv.port, timeout=10)
    c.handshake()
    c.send(c.c2() + R.set_chunk_size(65536) + R.chunks(
        3, R.COMMAND_AMF0, 0, 0, R.amf0("connect", 1) +
        b"\x0a\x00\x00\x00\x01" * 100000, 65536))
    return [(c, r"max_amf_depth")]


@case("amf")
def nesting_objects_100000(srv):
    c = R.Client(srv.port, timeout=10)
    c.handshake()
    c.send(c.c2() + R.set_chunk_size(65536) + R.chunks(
        3, R.COMMAND_AMF0, 0, 0, R.amf0("connect", 1) +
        b"\x03\x00\x01a" * 100000, 65536))
    return [(c, r"max_amf_depth")]


@case("amf")
def missing_object_end(srv):
    c = bad_connect(srv, R.amf0("connect", 1) + b"\x03" +
                    R.amf0_key("app") + R.amf0("live"))
    return [(c, r"AMF")]


@case("amf")
def unknown_marker(srv):
    c = bad_connect(srv, R.amf0("connect", 1) + b"\x03" +
                    R.amf0_key("app") + b"\x42live")
    return [(c, r"AMF")]


@case("amf")
def amf3_reference_out_of_range(srv):
    # a command of type 17 (AMF3 command: a 0 byte then AMF0 values) whose
    # command object switches to AMF3 (0x11) and is an object reference #7
    c = bad_connect(srv, b"\x00" + R.amf0("connect", 1) + b"\x11\x0a\x0e",
                    R.COMMAND_AMF3)
    return [(c, r"AMF3|reference")]


@case("amf")
def amf3_string_reference_out_of_range(srv):
    c = bad_connect(srv, b"\x00" + R.amf0("connect", 1) + b"\x11\x06\x08",
                    R.COMMAND_AMF3)
    return [(c, r"AMF3|reference")]


@case("amf")
def connect_app_is_number(srv):
    c = bad_connect(srv, R.amf0("connect", 1, {"app": 5, "tcUrl": 7}))
    return [(c, r"(?i)app")]


@case("amf")
def connect_object_is_string(srv):
    c = bad_connect(srv, R.amf0("connect", 1, "not an object"))
    return [(c, r"(?i)connect")]


@case("amf")
def command_name_is_number(srv):
    c = bad_connect(srv, R.amf0(42, 1, {"app": "live"}))
    return [(c, r"(?i)command")]


@case("amf")
def transaction_id_is_string(srv):
    # lenient: answered (transaction id 0); the peer then says nothing
    # more and is dropped by the idle timeout
    c = bad_connect(srv, R.amf0("connect", "one", {"app": "live"}))
    return [(c, r"idle-timeout")]


@case("amf")
def publish_name_is_number(srv):
    c = connected(srv, R.command("publish", 3, None, 12345, "live", csid=8,
                                 msid=1))
    return [(c, r"(?i)publish")]


@case("amf")
def app_64k(srv):
    c = R.Client(srv.port, timeout=10)
    c.handshake()
    c.send(c.c2() + R.connect_cmd("a" * 65536, srv.port))
    return [(c, r"(?i)app|RTMP_SESSION_MAX_NAME_LENGTH|too long")]


@case("amf")
def stream_name_64k(srv):
    c = connected(srv, R.publish_cmd("k" * 65536))
    return [(c, r"(?i)stream|RTMP_SESSION_MAX_NAME_LENGTH|too long")]


def expect_refused(c, label):
    """the publish must be refused with an onStatus error, or the peer
    dropped: never accepted"""
    closed = c.read_until_closed(5)
    got = c.received
    check(closed, "%s: not closed" % label)
    check(b"NetStream.Publish.Start" not in got,
          "%s: the publish was accepted" % label)


@case("amf")
def app_with_nul(srv):
    # "live\0evil" must not pass application=live
    c = after_handshake(srv, R.connect_cmd("live\0evil", srv.port) +
                        R.create_stream_cmd() + R.publish_cmd("key"))
    expect_refused(c, "app_with_nul")
    return [(c, r".")]


@case("amf")
def key_with_nul(srv):
    # "key\0evil" must not pass stream-key=key
    c = connected(srv, R.publish_cmd("key\0evil"))
    expect_refused(c, "key_with_nul")
    return [(c, r".")]


@case("amf")
def non_utf8_names(srv):
    c = after_handshake(srv, R.connect_cmd(b"\xff\xfelive\xc3", srv.port,
                                           {"flashVer": b"\xc3\x28"}) +
                        R.create_stream_cmd() + R.publish_cmd(b"k\xffey"))
    expect_refused(c, "non_utf8_names")
    return [(c, r".")]


@case("amf")
def non_utf8_metadata(srv):
    # accepted publisher whose onMetaData has invalid UTF-8 keys and values
    meta = R.amf0("@setDataFrame", "onMetaData", R.EcmaArray(
        {b"\xff\xfe": b"\xc3\x28", "encoder": b"x\xffy", "duration": 1.0}))
    c = R.Client(srv.port, timeout=10)
    c.handshake()
    c.send(c.c2() + R.connect_cmd("live", srv.port) + R.create_stream_cmd() +
           R.publish_cmd("key") + R.chunks(5, R.DATA_AMF0, 1, 0, meta))
    time.sleep(0.5)
    return [(c, None)]


@case("amf")
def metadata_fresh_keys(srv):
    # every publisher invents 3000 new onMetaData keys: field names are
    # interned for the life of the process, so only a bounded number of
    # new ones may be kept (else memory grows with every publisher)
    kept = []
    for r in range(4):
        tag = "%d-%d" % (os.getpid(), r)
        meta = R.amf0("@setDataFrame", "onMetaData", R.EcmaArray(
            dict(("key-%s-%d" % (tag, i), float(i)) for i in range(3000))))
        c = R.Client(srv.port, timeout=10)
        c.handshake()
        c.send(c.c2() + R.set_chunk_size(65536) +
               R.connect_cmd("live", srv.port, chunk_size=65536) +
               R.create_stream_cmd(chunk_size=65536) +
               R.publish_cmd("key", chunk_size=65536) +
               R.chunks(5, R.DATA_AMF0, 1, 0, meta, chunk_size=65536))
        deadline = time.monotonic() + 5
        st = srv.stats()
        while time.monotonic() < deadline and st["metadata_fields"] < 0:
            time.sleep(0.05)
            st = srv.stats()
        kept.append(st["metadata_fields"])
        c.finish()
        srv.wait_idle()
    log("  metadata fields kept per publisher: %s" % kept)
    check(kept[0] > 0, "metadata_fresh_keys: no metadata reached the stats")
    check(sum(kept) <= 1100, "metadata_fresh_keys: %d new key names kept "
          "by 4 publishers (bounded at 1024 per process)" % sum(kept))
    return []


# -------------------------------------------------------------- session --
@case("session")
def publish_before_connect(srv):
    c = after_handshake(srv, R.publish_cmd("key"))
    expect_refused(c, "publish_before_connect")
    return [(c, r".")]


@case("session")
def publish_before_create_stream(srv):
    c = after_handshake(srv, R.connect_cmd("live", srv.port) +
                        R.publish_cmd("key"))
    expect_refused(c, "publish_before_create_stream")
    return [(c, r".")]


@case("session")
def double_publish(srv):
    c = connected(srv, R.publish_cmd("key") + R.publish_cmd("key", tid=4))
    return [(c, r"(?i)publish")]


@case("session")
def publish_after_delete_stream(srv):
    c = connected(srv, R.publish_cmd("key") +
                  R.command("deleteStream", 5, None, 1) +
                  R.publish_cmd("key", tid=6))
    return [(c, r"(?i)publish|stream")]


@case("session")
def second_publisher_live_key(srv):
    a = R.Client(srv.port, timeout=10)
    a.handshake()
    a.send(a.c2() + R.set_chunk_size(4096) +
           R.connect_cmd("live", srv.port, chunk_size=4096)
           + R.create_stream_cmd() + R.publish_cmd("key", chunk_size=4096))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not srv.stats()["publishing"]:
        time.sleep(0.05)
    b = connected(srv, R.publish_cmd("key"))
    closed = b.read_until_closed(5)
    check(closed and b"NetStream.Publish.BadName" in b.received,
          "second publisher: not refused with BadName")
    # the first one still publishes and loses nothing
    before = srv.stats()
    check(before["publishing"], "second publisher: the first one stopped")
    a.send(R.media_messages(TAGS, 0, 4096))
    st = wait_counts(srv, before["video"] + N_VIDEO,
                     before["audio"] + N_AUDIO)
    check(st["video"] - before["video"] == N_VIDEO,
          "second publisher: the first lost frames")
    return [(a, None), (b, None)]


@case("session")
def disconnect_mid_message(srv):
    c = connected(srv, R.publish_cmd("key") +
                  R.chunk_header(0, 6, 0, 5000, R.VIDEO, 1) + b"\x17" * 128)
    time.sleep(0.2)
    c.finish()
    return [(c, None)]


@case("session")
def reset_mid_message(srv):
    c = connected(srv, R.publish_cmd("key") +
                  R.chunk_header(0, 6, 0, 5000, R.VIDEO, 1) + b"\x17" * 128)
    time.sleep(0.2)
    c.abort()
    return [(c, r"reset")]


@case("session")
def ack_window_0(srv):
    # Window Acknowledgement Size 0 from the client: we must not answer
    # every byte with an acknowledgement
    c = R.Client(srv.port, timeout=10)
    publish_tags(c, srv, "ack_window_0",
                 pre=R.control(R.WINDOW_ACK, struct.pack(">I", 0)))
    c.sock.settimeout(1)
    got = b""
    try:
        while True:
            d = c.sock.recv(1 << 20)
            if not d:
                break
            got += d
    except socket.timeout:
        pass
    check(len(got) < 64 * 1024, "ack_window_0: the server sent %d bytes"
          % len(got))
    return [(c, None)]


@case("session")
def ping_flood_reading(srv):
    # 20000 ping requests; we read the answers: served, not dropped. We
    # read until the answers stop (0.5 s without any, longer under a
    # checker): closing with answers unread would reset the connection,
    # which the server rightly reports
    last = [time.monotonic()]
    ping = R.control(R.USER_CONTROL, struct.pack(">HI", 6, 1234))
    c = connected(srv)

    def reader():
        c.sock.settimeout(0.1)
        deadline = time.monotonic() + testwrap.scaled(20)
        while time.monotonic() < deadline and \
                time.monotonic() - last[0] < testwrap.scaled(0.5):
            try:
                if not c.sock.recv(1 << 16):
                    break
                last[0] = time.monotonic()
            except socket.timeout:
                pass
            except OSError:
                break
    t = threading.Thread(target=reader)
    t.start()
    c.send(ping * 20000)
    last[0] = time.monotonic()
    t.join()
    return [(c, None)]


@case("session")
def never_reads(srv):
    # releaseStream floods (each answered with a _result) from a peer that
    # never reads: our answers queue up to max_output_bytes, then the peer
    # is dropped; meanwhile the element serves a good publisher. The flood
    # goes on until the server drops us (however slow the machine is): the
    # peer never falls silent, so only the output limit can end it.
    flood = R.command("releaseStream", 9, None, "key") * 30000
    # (the default receive buffer: a tiny one makes the kernel prune and
    # drop segments on loopback, and retransmission back-off then stalls
    # both directions for seconds)
    c = R.Client(srv.port, timeout=10)
    c.handshake()
    c.send(c.c2() + R.connect_cmd("live", srv.port))
    c.sock.setblocking(False)
    sent = off = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            n = c.sock.send(flood[off:off + 65536])
            sent += n
            off = (off + n) % len(flood)
        except BlockingIOError:
            time.sleep(0.01)
        except OSError:
            break
    c.sock.setblocking(True)
    log("  sent %d bytes of releaseStream without reading" % sent)
    good_publisher(srv, "never_reads (meanwhile)")
    return [(c, r"does not read .*max_output_bytes")]


@case("session")
def idle_after_connect(srv):
    c = connected(srv)
    return [(c, r"idle-timeout")]


# --------------------------------------------- limits set as properties --
MAX_PENDING = 4

# this group's pipeline runs with small limits (GROUP_PROPS): each must
# drop the peer naming the limit, and a real publisher must still pass
GROUP_PROPS = {"limits": ["max-chunk-streams=8", "max-amf-depth=6",
                          "max-bytes-in-flight=262144",
                          "max-message-size=200000",
                          "max-pending-connections=%d" % MAX_PENDING]}


@case("limits")
def limit_chunk_streams(srv):
    out = b"".join(R.chunk_header(0, csid, 0, 100, R.VIDEO, 1) + b"\x17"
                   for csid in range(10, 30))
    c = connected(srv, R.set_chunk_size(1) + out)
    return [(c, r"exceed max-chunk-streams \(8\)")]


@case("limits")
def limit_amf_depth(srv):
    c = bad_connect(srv, R.amf0("connect", 1) + b"\x0a\x00\x00\x00\x01" * 7
                    + R.amf0(1))
    return [(c, r"max_amf_depth \(6\)")]


@case("limits")
def limit_amf_depth_ok(srv):
    # 5 levels pass
    c = bad_connect(srv, R.amf0("connect", 1, {"app": "live", "a": {"b": {
        "c": {"d": 1}}}}))
    return [(c, r"idle-timeout")]


@case("limits")
def limit_bytes_in_flight(srv):
    # two partial messages of 150000 bytes each: 300000 > 262144
    body = b"\x17" * 140000
    c = connected(srv, R.set_chunk_size(140000) +
                  R.chunk_header(0, 6, 0, 150000, R.VIDEO, 1) + body +
                  R.chunk_header(0, 7, 0, 150000, R.VIDEO, 1) + body)
    return [(c, r"exceed max-bytes-in-flight \(262144\)")]


@case("limits")
def limit_pending_connections(srv):
    # a publisher is live; MAX_PENDING peers sit in the handshake; one more
    # is closed at once (long before handshake-timeout), the publisher
    # keeps publishing, and the waiting ones still end at their timeout
    pub = R.Client(srv.port, timeout=10)
    pub.start_publish()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not srv.stats()["publishing"]:
        time.sleep(0.05)
    mark = srv.mark()
    idle = []
    for i in range(MAX_PENDING):
        c = R.Client(srv.port)
        c.send(R.c0c1()[:100])
        idle.append(c)
    deadline = time.monotonic() + 3
    st = srv.stats()
    while time.monotonic() < deadline and \
            st["pending_connections"] < MAX_PENDING:
        time.sleep(0.05)
        st = srv.stats()
    check(st["pending_connections"] == MAX_PENDING and st["publishing"],
          "limit_pending: %d pending, publishing %s; expected %d and a "
          "publisher" % (st["pending_connections"], st["publishing"],
                         MAX_PENDING))
    t0 = time.monotonic()
    extra = R.Client(srv.port)
    extra.send(R.c0c1())
    closed = extra.read_until_closed(HANDSHAKE_TIMEOUT_MS / 1000 / 2)
    took = time.monotonic() - t0
    check(closed and extra.received == b"",
          "limit_pending: connection %d beyond the limit not closed at once "
          "(closed %s after %.2f s, %d bytes received)" % (
              MAX_PENDING + 1, closed, took, len(extra.received)))
    extra.close()
    # the warning comes through the server's stderr pipe: give it time
    deadline = time.monotonic() + 3
    refusals = []
    while time.monotonic() < deadline and not refusals:
        refusals = [w for w in srv.warnings(mark) if "limit max_pending" in w]
        time.sleep(0.05)
    check(len(refusals) == 1, "limit_pending: %d refusal warnings, "
          "expected 1" % len(refusals))
    if refusals:
        log("  " + refusals[0][refusals[0].index("refusing"):])
    # the live publisher was not disturbed: it still publishes
    ok = publish_more(pub, srv, "limit_pending")
    check(ok, "limit_pending: the live publisher was disturbed")
    pub.close()
    return [(c, r"handshake-timeout") for c in idle]


@case("limits")
def limit_message_size(srv):
    c = connected(srv, R.chunk_header(0, 6, 0, 300000, R.VIDEO, 1))
    return [(c, r"exceeds max-message-size \(200000\)")]


# ---------------------------------------------------------------- driver --
def run_case(srv, fn):
    label = fn.__name__
    log("case %s" % label)
    t0 = time.monotonic()
    mark = srv.mark()
    try:
        conns = fn(srv)
    except (OSError, EOFError) as e:
        check(False, "%s: client error %r" % (label, e))
        conns = []
    for c, expect in conns:
        if expect is None:
            c.finish()
            line = srv.wait_dropped(c.local, 0.3, mark)
            check(line is None, "%s: dropped: %s" % (label, line))
        else:
            # the warning first (some peers must not read before it)
            line = srv.wait_dropped(c.local, (HANDSHAKE_TIMEOUT_MS +
                                              IDLE_TIMEOUT_MS) / 1000 + 5,
                                    mark)
            closed = c.read_until_closed(5)
            check(closed, "%s: the peer was not closed" % label)
            if expect != ".":
                if check(line is not None, "%s: no drop warning for %s"
                         % (label, c.local)):
                    check(re.search(expect, line), "%s: warning '%s' does "
                          "not match /%s/" % (label, line, expect))
            if line:
                log("  " + line)
            c.close()
    check(srv.alive(), "%s: the pipeline process died" % label)
    if not srv.alive():
        return False
    check(srv.wait_idle() is not None, "%s: connections left open" % label)
    good_publisher(srv, label)
    log("  done in %.1f s" % (time.monotonic() - t0))
    return True


def main():
    group = sys.argv[1]
    only = sys.argv[2:]
    srv = Server(*GROUP_PROPS.get(group, []))
    try:
        good_publisher(srv, "warm-up")
        st0 = srv.stats()
        srv.base_rss = st0["rss_kb"]
        log("start: RSS %d KiB, %d fds, %d threads (%d network)" % (
            st0["rss_kb"], st0["fds"], st0["threads"],
            st0["network_threads"]))
        for fn in CASES[group]:
            if only and fn.__name__ not in only:
                continue
            if not run_case(srv, fn):
                break
        if srv.alive():
            st1 = srv.stats()
            log("end: RSS %d KiB, %d fds, %d threads (%d network)" % (
                st1["rss_kb"], st1["fds"], st1["threads"],
                st1["network_threads"]))
            check(st1["rss_kb"] - st0["rss_kb"] < RSS_BOUND_KB,
                  "RSS grew by %d KiB" % (st1["rss_kb"] - st0["rss_kb"]))
            # the port's pool of network threads may have grown (bounded:
            # one per core; each has one descriptor, its main context's
            # wake-up eventfd); every other thread and descriptor must be
            # gone
            grown = st1["network_threads"] - st0["network_threads"]
            check(st1["fds"] - grown <= st0["fds"], "fds: %d -> %d (%d "
                  "network threads more)" % (st0["fds"], st1["fds"], grown))
            check(st1["threads"] - st1["network_threads"] <=
                  st0["threads"] - st0["network_threads"],
                  "threads: %d -> %d (network threads %d -> %d)" % (
                      st0["threads"], st1["threads"],
                      st0["network_threads"], st1["network_threads"]))
            check(st1["network_threads"] <= os.cpu_count(),
                  "%d network threads on %d cores" % (
                      st1["network_threads"], os.cpu_count()))
    except RuntimeError as e:
        check(False, str(e))
    finally:
        rc = srv.stop()
        check(rc == 0, "pipeline exit status %s" % rc)
        if failures:
            srv.dump_err(60)
    if failures:
        log("%d failure(s):" % len(failures))
        for what in failures:
            log("  - " + what)
        return 1
    log("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
