#!/usr/bin/python3
# Soak test of rtmpingestsrc: publisher churn and state cycling for a
# bounded time, watching the server process for leaks and crashes.
# Not part of `meson test` (it runs for minutes); see docs/security.md,
# section "Soak test".
# Copyright (C) 2026 The gst-rtmp-ingest authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Soak test of rtmpingestsrc (docs/security.md, "Soak test").

  /usr/bin/python3 tests/soak/soak.py                  # 10 minutes, ./build
  /usr/bin/python3 tests/soak/soak.py --minutes 2 --build build-other

Two server processes (tests/soak/soak_server.py) run side by side for the
whole time:

stay-alive  one pipeline, 16 rtmpingestsrc on one shared port (a stream key
            each) + 4 on ports of their own, on-unpublish=stay-alive. 20
            publishers keep it busy: each connects, publishes 1-5 s and
            ends, cleanly (ffmpeg -t, the benchmark sender's end, rtmp2sink
            EOS, FCUnpublish + deleteStream) or abruptly (SIGKILL, RST
            mid-message, FIN mid-message). Some sessions also get a second
            publisher on their live key (must be refused); one more client
            keeps sending wrong keys, bare TCP connections, half handshakes
            and garbage.
cycle       a pipeline with two rtmpingestsrc sharing a port, taken
            PLAYING -> NULL (or READY, PAUSED) -> PLAYING every 0.5-2 s
            while 4 publishers keep trying to publish to it.

Every few seconds the RSS, open descriptors and threads of each server are
sampled, with the bytes its C heap has in use (glibc mallinfo2). After the
warm-up, every --quiet-every minutes and at the end, the publishers pause
and the servers go quiet (no connection left; the cycling pipeline held
PLAYING): the first and last quiet samples are compared. Exit status 1 if
a server died or hung, posted an unexpected error, left connections or
sessions open, if RSS grew by more than 20 % + 10 MiB (or rose steadily
under load), the heap in use by more than 10 % + 2 MiB, or if descriptors
or threads grew.

With an ASan build (--build build-asan, as scripts/test.sh configures it)
the servers run under AddressSanitizer/LeakSanitizer; any ASan error, UBSan
runtime error or leak allocated from gst/ or plugin/ fails the soak (RSS
is then only reported: ASan keeps freed memory in quarantine).
"""
import argparse
import collections
import faulthandler
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "hostile"))
import rtmpraw as R  # noqa: E402

SOURCE_FLV = os.path.join(TOP, "tests", "fixtures", "source.flv")
SERVER = os.path.join(HERE, "soak_server.py")
PYTHON = "/usr/bin/python3"
MIB = 1024.0        # RSS is in KiB; heap bytes are divided by it twice


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ------------------------------------------------------------- processes --
class Children:
    """Every process the soak starts, killed by PID on the way out."""

    def __init__(self):
        self.lock = threading.Lock()
        self.procs = set()
        self.closed = False

    def popen(self, args, **kw):
        kw.setdefault("stdin", subprocess.DEVNULL)
        kw.setdefault("stdout", subprocess.DEVNULL)
        kw.setdefault("stderr", subprocess.PIPE)
        with self.lock:
            # (under the lock: kill_all cannot miss a process started now)
            if self.closed:
                raise RuntimeError("the soak is stopping")
            p = subprocess.Popen(args, start_new_session=True, **kw)
            self.procs.add(p)
        return p

    def done(self, p):
        with self.lock:
            self.procs.discard(p)

    def kill_all(self):
        with self.lock:
            self.closed = True
            procs = list(self.procs)
            self.procs.clear()
        for p in procs:
            if p.poll() is None:
                try:
                    p.kill()
                except OSError:
                    pass
        for p in procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                pass


CHILDREN = Children()


def finish(p, timeout):
    """Waits for @p (killed after @timeout s): (returncode, stderr tail)."""
    try:
        _, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
        CHILDREN.done(p)
        return None, (err or b"")[-300:].decode(errors="replace")
    CHILDREN.done(p)
    return p.returncode, (err or b"")[-300:].decode(errors="replace")


def kill_after(p, seconds):
    time.sleep(seconds)
    if p.poll() is None:
        p.send_signal(signal.SIGKILL)
    return finish(p, 10)


def proc_sample(pid):
    """RSS (KiB), open descriptors, threads of @pid, or None if gone."""
    try:
        rss = None
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
        fds = len(os.listdir("/proc/%d/fd" % pid))
        threads = len(os.listdir("/proc/%d/task" % pid))
    except OSError:
        return None
    if rss is None:
        return None             # a zombie: it has exited
    return {"rss": rss, "fds": fds, "threads": threads}


def asan_runtime(plugin):
    """The ASan runtime to preload if @plugin is built with
    -fsanitize=address (clang: a shared object needs the shared runtime),
    else None."""
    r = subprocess.run(["nm", "-D", "--undefined-only", plugin],
                       capture_output=True, text=True)
    if "__asan_init" not in r.stdout:
        return None
    name = "libclang_rt.asan-%s.so" % os.uname().machine
    for cc in ("clang", "gcc"):
        if not shutil.which(cc):
            continue
        path = subprocess.run([cc, "-print-file-name=" + name],
                              capture_output=True, text=True).stdout.strip()
        if os.path.isabs(path) and os.path.exists(path):
            return path
    sys.exit("%s is built with ASan but %s was not found" % (plugin, name))


OUR_FRAME = re.compile(r" in (\S+) (\S*(?:gst/rtmp\w+|plugin)/[\w.-]+\.c"
                       r":\d+)")


def sanitizer_findings(log_path):
    """ASan errors, UBSan runtime errors and the leaks allocated from this
    project's code (gst/, plugin/) in a server log."""
    try:
        with open(log_path, errors="replace") as f:
            text = f.read()
    except OSError:
        return []
    found = []
    for m in re.finditer(r"ERROR: AddressSanitizer: .*", text):
        found.append(m.group(0)[:300])
    for m in re.finditer(r".*runtime error: .*", text):
        if OUR_FRAME.search(m.group(0)) or "/gst/" in m.group(0) or \
                "plugin/" in m.group(0):
            found.append("UBSan " + m.group(0)[:300])
    for block in re.split(r"\n\s*\n", text):
        head = re.search(r"(Direct|Indirect) leak of \d+ byte.*", block)
        if not head:
            continue
        frame = OUR_FRAME.search(block)
        if frame:
            found.append("%s, first frame of ours: %s (%s)" % (
                head.group(0).rstrip(":"), frame.group(1), frame.group(2)))
    return found


def free_ports(n):
    """@n free loopback ports below the ephemeral range, so that no client
    socket of ours takes one while a cycling server is not listening."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError):
        low = 32768
    rng = random.Random()
    ports = []
    while len(ports) < n:
        p = rng.randint(max(1024, low - 12000), low - 1)
        if p in ports:
            continue
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
            ports.append(p)
        except OSError:
            pass
        finally:
            s.close()
    return ports


# ---------------------------------------------------------------- server --
class Server:
    """A soak_server.py process: its events, its stats, its /proc."""

    def __init__(self, name, args, env, logdir):
        self.name = name
        self.log_path = os.path.join(logdir, name + ".log")
        self.errf = open(self.log_path, "wb")
        self.p = subprocess.Popen([PYTHON, SERVER] + args, env=env,
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=self.errf,
                                  start_new_session=True, text=True,
                                  bufsize=1)
        self.cond = threading.Condition()
        self.events = collections.Counter()
        self.active = {}            # element -> publishing now
        self.published = collections.Counter()     # element -> sessions
        self.stopped = collections.Counter()
        self.reasons = collections.Counter()
        self.refusals = []          # (element, stream, code, description)
        self.problems = []          # errors, warnings, eos, state failures
        self.stats = None
        self.heap = None            # malloc'd bytes in use, last stats
        self.stats_seq = 0
        self.cycles = 0
        self.cycle_max = {"up_ms": 0.0, "down_ms": 0.0}
        self.last_progress = time.monotonic()
        self.ready = threading.Event()
        self.held = threading.Event()
        self.bye = False
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    @property
    def pid(self):
        return self.p.pid

    def _read(self):
        for line in self.p.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            self._event(ev)
        with self.cond:
            self.cond.notify_all()

    def _event(self, ev):
        kind = ev.get("ev")
        el = ev.get("el")
        with self.cond:
            self.events[kind] += 1
            if kind == "ready":
                self.ready.set()
            elif kind == "publishing":
                self.active[el] = True
                self.published[el] += 1
            elif kind == "stopped":
                self.active[el] = False
                self.stopped[el] += 1
                self.reasons[ev.get("reason")] += 1
            elif kind == "refused":
                self.refusals.append((el, ev.get("stream"), ev.get("code"),
                                      ev.get("description")))
            elif kind == "stats":
                self.stats = ev["elements"]
                self.heap = ev.get("heap")
                self.stats_seq += 1
            elif kind == "held":
                self.held.set()
            elif kind == "cycle":
                self.cycles += 1
                self.last_progress = time.monotonic()
                for k in self.cycle_max:
                    self.cycle_max[k] = max(self.cycle_max[k], ev[k])
            elif kind == "bye":
                self.bye = True
            elif kind in ("error", "warning", "eos", "state-failure",
                          "state-timeout"):
                self.problems.append(ev)
            self.cond.notify_all()

    def send(self, cmd):
        try:
            self.p.stdin.write(cmd + "\n")
            self.p.stdin.flush()
            return True
        except (OSError, ValueError):
            return False

    def alive(self):
        return self.p.poll() is None

    def request_stats(self, timeout=15.0):
        """The element stats ({element: {field: value}}), or None if the
        process does not answer (dead or hung)."""
        with self.cond:
            seq = self.stats_seq
        if not self.send("stats"):
            return None
        end = time.monotonic() + timeout
        with self.cond:
            while self.stats_seq == seq:
                left = end - time.monotonic()
                if left <= 0 or not self.alive():
                    return None
                self.cond.wait(min(left, 0.5))
            return self.stats

    def published_count(self, el):
        with self.cond:
            return self.published[el]

    def stopped_count(self, el):
        with self.cond:
            return self.stopped[el]

    def is_active(self, el):
        with self.cond:
            return self.active.get(el, False)

    def wait_until(self, pred, timeout):
        end = time.monotonic() + timeout
        with self.cond:
            while not pred():
                left = end - time.monotonic()
                if left <= 0 or not self.alive():
                    return pred()
                self.cond.wait(min(left, 0.5))
            return True

    def wait_idle(self, el, timeout):
        return self.wait_until(lambda: not self.active.get(el, False),
                               timeout)

    def wait_published(self, el, n0, timeout):
        return self.wait_until(lambda: self.published[el] > n0, timeout)

    def sample(self):
        return proc_sample(self.pid)

    def backtrace(self):
        """All threads' stacks (gdb), for a hang report."""
        if not shutil.which("gdb"):
            return "(gdb not installed)"
        r = subprocess.run(["gdb", "-p", str(self.pid), "-batch", "-ex",
                            "thread apply all bt"], capture_output=True,
                           text=True, timeout=120)
        return r.stdout[-20000:]

    def quit(self, timeout=30.0):
        """Asks the process to stop (pipeline to NULL): its exit status, or
        None if it had to be killed."""
        self.send("quit")
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            rc = None
        self.reader.join(5)
        self.errf.close()
        return rc

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


# ------------------------------------------------------------ publishers --
class Media:
    """source.flv as RTMP messages, looped in real time by raw clients."""

    def __init__(self):
        tags = R.flv_tags(SOURCE_FLV)
        self.headers = [t for t in tags if self.is_header(t)]
        self.frames = [t for t in tags if not self.is_header(t)]
        self.loop_ms = self.frames[-1][1] + 40

    @staticmethod
    def is_header(tag):
        t, ts, body = tag
        if t == R.DATA_AMF0:
            return True
        # AVC / AAC sequence headers (packet type 0)
        return t in (R.VIDEO, R.AUDIO) and len(body) > 1 and body[1] == 0 \
            and ((t == R.VIDEO and body[0] & 0x0F == 7) or
                 (t == R.AUDIO and body[0] >> 4 == 10))

    def messages(self):
        """(ms, bytes) forever: headers, then the frames looped."""
        for t in self.headers:
            yield 0, R.media_messages([(t[0], 0, t[2])])
        n = 0
        while True:
            off = n * self.loop_ms
            for t, ts, body in self.frames:
                yield ts + off, R.media_messages([(t, ts + off, body)])
            n += 1


MEDIA = None


def start_publish(c, key):
    """Handshake, then connect + createStream + publish in one write, all
    chunked at the chunk size announced first."""
    c.handshake()
    c.send(c.c2() + R.set_chunk_size(4096) +
           R.connect_cmd("live", c.port, chunk_size=4096) +
           R.create_stream_cmd(chunk_size=4096) +
           R.publish_cmd(key, chunk_size=4096))


def raw_publish(port, key, seconds, end, stop):
    """Publishes with our own RTMP writer for @seconds, then ends with
    @end: clean (FCUnpublish + deleteStream, half-close, read until the
    server closes), rst (half a message, then SO_LINGER 0 close), fin
    (half a message, then half-close). Returns an outcome string."""
    try:
        c = R.Client(port, timeout=10)
    except ConnectionRefusedError:
        return "connection-refused"
    except OSError:
        return "connect-failed"
    try:
        try:
            start_publish(c, key)
        except (OSError, EOFError):
            return "closed-in-handshake"
        t0 = time.monotonic()
        gen = MEDIA.messages()
        while True:
            ms, data = next(gen)
            due = t0 + ms / 1000.0
            if due > t0 + seconds or stop.is_set():
                break
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if not c.send(data):
                return "closed-by-server"
            # drop what the server sends (acknowledgements, pings); a
            # socket with a timeout would wait for readability in recv()
            try:
                if select.select([c.sock], [], [], 0)[0] and \
                        c.sock.recv(65536) == b"":
                    return "closed-by-server"
            except OSError:
                return "closed-by-server"
        if end == "clean":
            ok = c.send(R.command("FCUnpublish", 4, None, key,
                                  chunk_size=4096) +
                        R.command("deleteStream", 5, None, 1,
                                  chunk_size=4096))
            c.finish()
            return "completed" if ok else "closed-by-server"
        _, data = next(gen)
        ok = c.send(data[:max(1, len(data) // 2)])
        if end == "rst":
            c.abort()
        else:
            try:
                c.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            c.read_until_closed(5)
        return "completed" if ok else "closed-by-server"
    finally:
        c.close()


def raw_refused(port, key):
    """A publish that must be refused: True if the server answered
    BadName and closed, False if it accepted, None if it did neither."""
    try:
        c = R.Client(port, timeout=10)
    except OSError:
        return None
    try:
        start_publish(c, key)
        closed = c.read_until_closed(10)
        got = c.received
    except (OSError, EOFError):
        return None
    finally:
        c.close()
    if b"NetStream.Publish.BadName" in got and closed:
        return True
    if b"NetStream.Publish.Start" in got:
        return False
    return None


class Tools:
    def __init__(self, build, env):
        self.env = env
        self.sender = os.path.join(build, "tests", "bench",
                                   "rtmp-bench-send")
        self.have_sender = os.access(self.sender, os.X_OK)
        self.have_ffmpeg = bool(shutil.which("ffmpeg"))
        self.have_rtmp2sink = subprocess.run(
            ["gst-inspect-1.0", "rtmp2sink"], env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL).returncode == 0

    def kinds(self):
        """(kind, weight) of the publishers available."""
        k = [("raw", 3)]
        if self.have_ffmpeg:
            k.append(("ffmpeg", 3))
        if self.have_sender:
            k.append(("sender", 3))
        if self.have_rtmp2sink:
            k.append(("rtmp2sink", 1))
        return k

    def run(self, kind, port, key, seconds, end, stop, live=None):
        """One publishing session; returns (outcome, detail). An abrupt
        end comes @seconds after live(timeout) returns (it waits for the
        server to report the publisher), or after the start without it."""
        url = "rtmp://127.0.0.1:%d/live/%s" % (port, key)
        if kind == "raw":
            return raw_publish(port, key, seconds, end, stop), ""
        if kind == "ffmpeg":
            args = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel",
                    "error", "-re", "-stream_loop", "-1", "-i", SOURCE_FLV,
                    "-c", "copy"]
            if end == "clean":
                args += ["-t", "%.2f" % seconds]
            p = CHILDREN.popen(args + ["-f", "flv", url], env=self.env)
        elif kind == "sender":
            p = CHILDREN.popen(
                [self.sender, "--source", SOURCE_FLV, "-p", str(port),
                 "--stream", key, "--realtime", "--video-kbps", "600",
                 "-c", random.choice(["128", "4096", "60000"]), "-d",
                 "%.2f" % (seconds if end == "clean" else 120)],
                env=self.env)
        elif kind == "rtmp2sink":
            # source.flv lasts 2.6 s: a clean end is its EOS
            p = CHILDREN.popen(
                ["gst-launch-1.0", "-q", "filesrc", "location=" + SOURCE_FLV,
                 "!", "flvdemux", "name=d", "d.video", "!", "queue", "!",
                 "flvmux", "name=m", "streamable=true", "!", "rtmp2sink",
                 "location=" + url, "d.audio", "!", "queue", "!", "m.audio"],
                env=self.env)
        else:
            raise ValueError(kind)
        if end == "clean":
            rc, err = finish(p, seconds + 30)
        else:
            if live is not None:
                live(20)
            rc, err = kill_after(p, seconds)
            if rc == -signal.SIGKILL:
                return "completed", ""
        if rc == 0:
            return "completed", ""
        return ("timeout" if rc is None else "exit-%s" % rc), err.strip()


# -------------------------------------------------------------- workers --
ENDS = {"raw": ["clean", "rst", "fin"], "ffmpeg": ["clean", "kill"],
        "sender": ["clean", "kill"], "rtmp2sink": ["clean", "kill"]}


class Worker(threading.Thread):
    """A loop that pauses (and says so) while the soak takes a quiet
    sample."""

    def __init__(self, soak, name):
        super().__init__(name=name, daemon=True)
        self.soak = soak
        self.rng = random.Random()
        self.idle = threading.Event()

    def run(self):
        try:
            while not self.soak.stop.is_set():
                if self.soak.pause.is_set():
                    self.idle.set()
                    while self.soak.pause.is_set() and \
                            not self.soak.stop.is_set():
                        time.sleep(0.1)
                    self.idle.clear()
                    continue
                self.once()
        except Exception as e:      # noqa: BLE001  a bug of the soak itself
            if not self.soak.stop.is_set():
                self.soak.note("driver", "%s crashed: %r" % (self.name, e))
                import traceback
                traceback.print_exc()
        finally:
            self.idle.set()


class StaySlot(Worker):
    """One publisher at a time into one stay-alive element."""

    def __init__(self, soak, index, el, port, key):
        super().__init__(soak, "slot-%s" % el)
        self.index = index
        self.el = el
        self.port = port
        self.key = key
        self.n = 0

    def once(self):
        s = self.soak
        srv = s.stay
        if not srv.wait_idle(self.el, 20):
            s.note("stuck", "%s still publishing 20 s after its publisher "
                   "ended" % self.el)
            srv.wait_idle(self.el, 3600)
            return
        kind = self.rng.choices(*zip(*s.tools.kinds()))[0]
        end = self.rng.choice(ENDS[kind])
        seconds = self.rng.uniform(1.0, 5.0)
        if kind == "rtmp2sink" and end == "kill":
            seconds = self.rng.uniform(0.3, 1.5)     # the file lasts 2.6 s
        self.n += 1
        key = self.key or "s%d-%d" % (self.index, self.n)
        n0 = srv.published_count(self.el)
        dup = None
        if self.rng.random() < 0.15:
            dup = threading.Thread(target=self.duplicate, args=(key, n0))
            dup.start()
        t0 = time.monotonic()

        def live(timeout):
            if srv.wait_published(self.el, n0, timeout):
                s.startup(kind, time.monotonic() - t0)
        outcome, detail = s.tools.run(kind, self.port, key, seconds, end,
                                      s.stop, live)
        if dup:
            dup.join()
        # a slow server may read the publish after the publisher has gone
        srv.wait_published(self.el, n0, 15)
        ended = srv.wait_idle(self.el, 15)
        served = srv.published_count(self.el) > n0
        s.session(kind, end, outcome, detail, served, ended, self.el)

    def duplicate(self, key, n0):
        """A second publisher on the live key: must get BadName."""
        srv = self.soak.stay
        if not srv.wait_published(self.el, n0, 4):
            return
        st0 = srv.stopped_count(self.el)
        r = raw_refused(self.port, key)
        still_live = srv.stopped_count(self.el) == st0
        self.soak.duplicate(r, still_live, self.el)


class Intruder(Worker):
    """Wrong keys, bare connections, half handshakes, garbage."""

    def __init__(self, soak, shared_port, all_ports):
        super().__init__(soak, "intruder")
        self.shared = shared_port
        self.ports = all_ports
        self.n = 0

    def once(self):
        time.sleep(self.rng.uniform(0.2, 0.8))
        what = self.rng.choice(["wrong-key", "tcp-close", "half-handshake",
                                "connect-rst", "garbage"])
        self.n += 1
        port = self.shared if what == "wrong-key" else \
            self.rng.choice(self.ports)
        r = None
        try:
            if what == "wrong-key":
                r = raw_refused(port, "nokey-%d" % self.n)
            else:
                c = R.Client(port, timeout=10)
                if what == "half-handshake":
                    c.send(R.c0c1()[:700])
                    c.abort()
                elif what == "connect-rst":
                    c.handshake()
                    c.send(c.c2() + R.connect_cmd("live", port))
                    time.sleep(0.05)
                    c.abort()
                elif what == "garbage":
                    c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                    c.read_until_closed(10)
                    c.close()
                else:
                    c.close()
        except (OSError, EOFError) as e:
            self.soak.note("intruder", "%s on port %d: %r" % (what, port, e))
        self.soak.intrusion(what, r)


class CyclePublisher(Worker):
    """Keeps trying to publish into the cycling pipeline."""

    def __init__(self, soak, index, port):
        super().__init__(soak, "cycle-pub-%d" % index)
        self.index = index
        self.port = port
        self.n = 0

    def once(self):
        s = self.soak
        kinds = [k for k in s.tools.kinds() if k[0] != "rtmp2sink"]
        kind = self.rng.choices(*zip(*kinds))[0]
        end = self.rng.choice(ENDS[kind])
        self.n += 1
        key = "cyc" if self.rng.random() < 0.4 else \
            "any%d-%d" % (self.index, self.n)
        outcome, _ = s.tools.run(kind, self.port, key,
                                 self.rng.uniform(0.5, 3.0), end, s.stop)
        s.cycle_attempt(kind, outcome)
        time.sleep(self.rng.uniform(0.05, 0.3))


# ----------------------------------------------------------------- soak --
class Soak:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.pause = threading.Event()
        self.notes = collections.defaultdict(list)
        self.sessions = collections.Counter()      # (kind, end, outcome)
        self.not_served = collections.Counter()
        self.not_ended = 0
        self.failed_publishers = []
        self.dups = collections.Counter()
        self.startups = collections.defaultdict(list)
        self.intrusions = collections.Counter()
        self.cycle_attempts = collections.Counter()
        self.samples = []           # (t, server name, sample, stats sums)
        self.workers = []
        self.stay = self.cycle = None
        self.start_rows = self.end_rows = None
        self.quiet = []             # (t, tag, rows) of every quiet sample
        self.asan = False
        self.plugin_file = None
        self.logdir = None

    # ------------------------------------------------ worker reports --
    def note(self, what, text):
        with self.lock:
            self.notes[what].append(text)

    def session(self, kind, end, outcome, detail, served, ended, el):
        with self.lock:
            self.sessions[(kind, end, outcome)] += 1
            if not served:
                self.not_served[(kind, end)] += 1
            if not ended:
                self.not_ended += 1
            bad = outcome != "completed" or (not served and end == "clean")
            if bad and len(self.failed_publishers) < 200:
                self.failed_publishers.append(
                    "%s %s %s -> %s (served=%s) %s" %
                    (el, kind, end, outcome, served, detail[-200:]))

    def startup(self, kind, seconds):
        with self.lock:
            self.startups[kind].append(seconds)

    def duplicate(self, refused, still_live, el):
        with self.lock:
            if refused:
                self.dups["refused"] += 1
            elif refused is False and still_live:
                self.dups["accepted-while-live"] += 1
                self.notes["duplicate"].append(
                    "a second publisher on %s's live key was accepted" % el)
            elif refused is False:
                self.dups["accepted-after-end"] += 1
            else:
                self.dups["no-answer"] += 1

    def intrusion(self, what, refused):
        with self.lock:
            self.intrusions[what] += 1
            if what == "wrong-key":
                self.intrusions["wrong-key-refused" if refused else
                                "wrong-key-not-refused"] += 1

    def cycle_attempt(self, kind, outcome):
        with self.lock:
            self.cycle_attempts[(kind, outcome)] += 1

    # ---------------------------------------------------------- setup --
    def environment(self):
        plugin_dir = os.path.join(self.build, "plugin")
        if not os.path.isdir(plugin_dir):
            sys.exit("%s: no plugin directory; build first (meson setup %s "
                     "&& ninja -C %s)" % (self.build, self.build, self.build))
        sysdir = subprocess.run(
            ["pkg-config", "--variable=pluginsdir", "gstreamer-1.0"],
            capture_output=True, text=True).stdout.strip() or \
            "/usr/lib/x86_64-linux-gnu/gstreamer-1.0"
        env = dict(os.environ)
        # as test_env in tests/meson.build: this build's plugin first, the
        # system's plugins (flvdemux, rtmp2sink) after it
        env.update({
            "GST_PLUGIN_SYSTEM_PATH_1_0": "",
            "GST_PLUGIN_PATH_1_0": plugin_dir + ":" + sysdir,
            "GST_REGISTRY": os.path.join(self.build, "soak-registry.bin"),
            "G_DEBUG": "fatal-criticals",
        })
        env.setdefault("GST_DEBUG", "*:2")
        env["GST_DEBUG_NO_COLOR"] = "1"
        # the servers; with an ASan build (scripts/test.sh's build-asan)
        # they get the sanitizer runtime, publishers never do
        self.server_env = dict(env)
        runtime = asan_runtime(os.path.join(plugin_dir,
                                            "libgstrtmpingest.so"))
        if runtime:
            self.server_env.update({
                "LD_PRELOAD": runtime,
                "ASAN_OPTIONS": "detect_leaks=1:fast_unwind_on_malloc=0:"
                "strict_string_checks=1:quarantine_size_mb=64",
                # leaks are read from the log (Python's own are not ours)
                "LSAN_OPTIONS": "exitcode=0:print_suppressions=0:"
                "suppressions=" + os.path.join(TOP, "tests", "lsan.supp"),
                "G_SLICE": "always-malloc",
            })
        self.asan = bool(runtime)
        if runtime:
            # the build's benchmark sender is instrumented too: its exit
            # must not fail on LeakSanitizer's report
            env["ASAN_OPTIONS"] = "detect_leaks=0"
        r = subprocess.run(["gst-inspect-1.0", "rtmpingestsrc"],
                           env=self.server_env, capture_output=True,
                           text=True)
        m = re.search(r"Filename\s+(\S+)", r.stdout)
        if r.returncode != 0 or not m or \
                not os.path.realpath(m.group(1)).startswith(
                    os.path.realpath(plugin_dir)):
            sys.exit("rtmpingestsrc not loaded from %s:\n%s" %
                     (plugin_dir, r.stdout[-500:] + r.stderr[-500:]))
        self.plugin_file = m.group(1)
        return env

    def start(self):
        global MEDIA
        MEDIA = Media()
        env = self.environment()
        self.tools = Tools(self.build, env)
        self.logdir = tempfile.mkdtemp(prefix="rtmp-soak-")
        a = self.args
        n_own = min(a.own_ports, a.publishers)
        n_keyed = a.publishers - n_own
        ports = free_ports(2 + n_own)
        shared, cycle_port, own = ports[0], ports[1], ports[2:]
        self.stay = Server("stay-alive", ["stay-alive", str(shared),
                                         str(n_keyed),
                                         ",".join(map(str, own))],
                           self.server_env, self.logdir)
        self.cycle = Server("cycle", ["cycle", str(cycle_port)],
                            self.server_env, self.logdir)
        for srv in (self.stay, self.cycle):
            if not srv.ready.wait(60):
                raise RuntimeError("%s server did not start (see %s)" %
                                   (srv.name, srv.log_path))
        for i in range(n_keyed):
            self.workers.append(StaySlot(self, i, "k%d" % i, shared,
                                         "k%d" % i))
        for i, p in enumerate(own):
            self.workers.append(StaySlot(self, n_keyed + i, "p%d" % i, p,
                                         None))
        self.workers.append(Intruder(self, shared, [shared] + own))
        for i in range(a.cycle_publishers):
            self.workers.append(CyclePublisher(self, i, cycle_port))
        log("soak: plugin %s" % self.plugin_file)
        log("soak: publishers %s; stay-alive pid %d (shared port %d, %d "
            "keys; own ports %s), cycle pid %d (port %d); logs in %s" %
            ("/".join(k for k, _ in self.tools.kinds()), self.stay.pid,
             shared, n_keyed, ",".join(map(str, own)), self.cycle.pid,
             cycle_port, self.logdir))
        for w in self.workers:
            w.start()

    # ------------------------------------------------------- sampling --
    @staticmethod
    def sums(stats):
        out = collections.Counter()
        per_port = {}
        threads_per_port = {}
        for st in (stats or {}).values():
            for k in ("publishers", "refused", "dropped-peers", "publishing",
                      "dropped"):
                out[k] += int(st.get(k) or 0)
            per_port[st.get("port")] = int(st.get("connections") or 0)
            threads_per_port[st.get("port")] = int(
                st.get("network-threads") or 0)
        out["connections"] = sum(per_port.values())
        # each port's pool of network threads (one eventfd each) grows with
        # bursts of connections up to one thread per core, then stays
        out["network-threads"] = sum(threads_per_port.values())
        return out

    def take_sample(self, t, tag):
        rows = {}
        for srv in (self.stay, self.cycle):
            smp = srv.sample()
            stats = srv.request_stats() if smp else None
            if smp is None:
                self.note("crash", "%s server (pid %d) is gone" %
                          (srv.name, srv.pid))
            elif stats is None:
                self.note("hang", "%s server did not answer stats" %
                          srv.name)
            sums = self.sums(stats)
            with srv.cond:
                # publishers that started, as the bus told (the cycling
                # elements' own counters restart at each start)
                sums["served"] = srv.events["publishing"]
                sums["bus-refused"] = srv.events["refused"]
                # (an ASan runtime replaces malloc: no figure then)
                sums["heap"] = srv.heap if stats and not self.asan else None
            rows[srv.name] = (smp, sums)
            self.samples.append((t, srv.name, tag, smp, sums))
        return rows

    def watchdog(self):
        for srv in (self.stay, self.cycle):
            if not srv.alive():
                return "%s server died (exit status %s)" % (
                    srv.name, srv.p.returncode)
        if not self.cycle.held.is_set() and not self.pause.is_set() and \
                time.monotonic() - self.cycle.last_progress > 60:
            return "cycle server made no state change for 60 s"
        return None

    def quiesce(self, tag):
        """Pauses every publisher, holds the cycling pipeline PLAYING and
        waits until both servers have no connection left; then samples."""
        self.pause.set()
        self.cycle.held.clear()
        self.cycle.send("hold")
        problems = []
        if not self.cycle.held.wait(60):
            problems.append("cycle server did not hold within 60 s")
        end = time.monotonic() + 90
        for w in self.workers:
            if not w.idle.wait(max(0.1, end - time.monotonic())):
                problems.append("%s did not finish within 90 s" % w.name)
        quiet = False
        rows = None
        while time.monotonic() < end + 30:
            rows = [self.sums(srv.request_stats())
                    for srv in (self.stay, self.cycle)]
            if all(r["connections"] == 0 and r["publishing"] == 0
                   for r in rows):
                quiet = True
                break
            time.sleep(0.5)
        if not quiet:
            problems.append("connections still open on the servers 30 s "
                            "after the last publisher ended: %s" % rows)
        with self.stay.cond:
            open_sessions = {el: self.stay.published[el] -
                             self.stay.stopped[el]
                             for el in self.stay.published
                             if self.stay.published[el] !=
                             self.stay.stopped[el]}
        if open_sessions:
            problems.append("publishing without stopped on the bus: %s" %
                            open_sessions)
        time.sleep(1.0)
        rows = self.take_sample(time.monotonic() - self.t0, tag)
        for p in problems:
            self.note("quiesce", "%s: %s" % (tag, p))
        return rows

    def resume(self):
        self.cycle.held.clear()
        self.cycle.send("resume")
        self.cycle.last_progress = time.monotonic()
        self.pause.clear()

    def run(self):
        a = self.args
        total = a.minutes * 60.0
        warmup = min(a.warmup, total / 4)
        self.t0 = time.monotonic()
        next_sample = 0.0
        next_quiet = None
        reason = None
        while True:
            t = time.monotonic() - self.t0
            reason = self.watchdog()
            if reason:
                self.note("crash" if "died" in reason else "hang", reason)
                if "state change" in reason:
                    self.note("hang", self.cycle.backtrace())
                break
            if self.start_rows is None and t >= warmup:
                log("soak: %.0f s warm-up done, quiet sample" % t)
                self.start_rows = self.quiet_point("start", t)
                next_quiet = t + a.quiet_every * 60
                next_sample = time.monotonic() - self.t0
                continue
            if t >= total:
                log("soak: %.0f s done, quiet sample" % t)
                self.end_rows = self.quiet_point("end", t)
                break
            if next_quiet is not None and a.quiet_every > 0 and \
                    next_quiet <= t < total - 30:
                self.quiet_point("%.0fs" % t, t)
                next_quiet = t + a.quiet_every * 60
                next_sample = time.monotonic() - self.t0
                continue
            if t >= next_sample:
                rows = self.take_sample(t, "load" if self.start_rows
                                        else "warmup")
                self.print_rows("%5.0fs" % t, rows)
                next_sample = t + a.interval
            time.sleep(0.2)

    def quiet_point(self, tag, t):
        rows = self.quiesce(tag)
        self.print_rows(tag, rows)
        self.quiet.append((t, tag, rows))
        if tag != "end":
            self.resume()
        return rows

    def print_rows(self, tag, rows):
        parts = []
        for name, (smp, sums) in rows.items():
            if smp is None:
                parts.append("%s: gone" % name)
                continue
            heap = "-" if sums["heap"] is None else \
                "%.1f" % (sums["heap"] / MIB / MIB)
            parts.append("%s RSS %5.1f MiB heap %5s MiB fds %3d threads "
                         "%3d conns %2d live %2d" % (
                             name, smp["rss"] / MIB, heap, smp["fds"],
                             smp["threads"], sums["connections"],
                             sums["publishing"]))
        with self.lock:
            n = sum(self.sessions.values())
        log("soak %-6s %s | sessions %d" % (tag, " | ".join(parts), n))

    def shutdown(self):
        self.stop.set()
        self.pause.clear()
        deadline = time.monotonic() + 90
        for w in self.workers:
            w.join(max(0.1, deadline - time.monotonic()))
        CHILDREN.kill_all()
        rcs = {}
        for srv in (self.stay, self.cycle):
            if srv is None:
                continue
            if srv.alive():
                rcs[srv.name] = srv.quit()
            else:
                rcs[srv.name] = srv.p.returncode
                srv.reader.join(5)
            if rcs[srv.name] != 0:
                self.note("crash" if srv.p.returncode not in (None, 0)
                          else "hang",
                          "%s server exit status %s on quit" %
                          (srv.name, rcs[srv.name]))
        return rcs

    def kill(self):
        self.stop.set()
        CHILDREN.kill_all()
        for srv in (self.stay, self.cycle):
            if srv is not None:
                srv.kill()

    # --------------------------------------------------------- verdict --
    def verdict(self):
        failures = []
        a = self.args
        for what in ("crash", "hang", "stuck", "quiesce", "driver",
                     "duplicate"):
            for text in self.notes.get(what, []):
                failures.append("%s: %s" % (what, text.strip()[:3000]))
        if self.start_rows is None or self.end_rows is None:
            failures.append("the run did not reach both quiet samples")
            return failures
        for name in ("stay-alive", "cycle"):
            s0, _ = self.start_rows[name]
            s1, _ = self.end_rows[name]
            if s0 is None or s1 is None:
                continue
            bound = s0["rss"] * (1 + a.rss_growth / 100.0) + a.rss_slack * MIB
            # (ASan's quarantine keeps freed memory: RSS says nothing then)
            if s1["rss"] > bound and not self.asan:
                failures.append("%s: RSS %.1f -> %.1f MiB (bound %.1f)" % (
                    name, s0["rss"] / MIB, s1["rss"] / MIB, bound / MIB))
            h0, h1 = self.start_rows[name][1]["heap"], \
                self.end_rows[name][1]["heap"]
            if h0 and h1 and h1 > h0 * 1.1 + 2 * MIB * MIB:
                failures.append("%s: malloc in use %.2f -> %.2f MiB (bound "
                                "+10 %% + 2 MiB)" % (name, h0 / MIB / MIB,
                                                     h1 / MIB / MIB))
            # a port's network threads (and their eventfds) may have been
            # added since the start sample: bounded by the cores, not a leak
            grown = max(0, self.end_rows[name][1]["network-threads"] -
                        self.start_rows[name][1]["network-threads"])
            if s1["fds"] > s0["fds"] + grown:
                failures.append("%s: open descriptors %d -> %d (%d network "
                                "threads more)" % (name, s0["fds"],
                                                   s1["fds"], grown))
            if s1["threads"] > s0["threads"] + a.thread_slack + grown:
                failures.append("%s: threads %d -> %d (%d network threads "
                                "more)" % (name, s0["threads"],
                                           s1["threads"], grown))
            trend = self.trend(name)
            if trend and not (self.asan and trend.startswith("RSS")):
                failures.append("%s: %s" % (name, trend))
        if self.asan:
            for srv in (self.stay, self.cycle):
                for f in sanitizer_findings(srv.log_path):
                    failures.append("%s: %s" % (srv.name, f))
        _, x = self.end_rows["stay-alive"]
        if x["publishers"] != x["served"]:
            failures.append("stay-alive: the elements count %d publishers, "
                            "the bus told of %d" % (x["publishers"],
                                                    x["served"]))
        for srv in (self.stay, self.cycle):
            for ev in srv.problems:
                if srv is self.cycle and ev["ev"] == "eos":
                    continue        # on-unpublish=eos cycles
                failures.append("%s bus: %s %s %s" % (
                    srv.name, ev["ev"], ev.get("el") or ev.get("to"),
                    ev.get("msg", "")))
        expected = self.dups["refused"] + \
            self.intrusions["wrong-key-refused"]
        if len(self.stay.refusals) > expected:
            odd = [r for r in self.stay.refusals
                   if not (r[1] or "").startswith("nokey-")]
            failures.append("stay-alive: %d refusals, %d expected (wrong "
                            "keys, duplicates): %s" % (
                                len(self.stay.refusals), expected,
                                odd[:5]))
        if self.intrusions["wrong-key-not-refused"]:
            failures.append("stay-alive: %d wrong-key publishers not refused"
                            % self.intrusions["wrong-key-not-refused"])
        clean_not_served = sum(n for (k, e), n in self.not_served.items()
                               if e == "clean")
        if clean_not_served:
            failures.append("stay-alive: %d clean publishers never got to "
                            "publish" % clean_not_served)
        if self.not_ended:
            failures.append("stay-alive: %d sessions without a stopped "
                            "message within 15 s" % self.not_ended)
        bad = sum(n for (k, e, o), n in self.sessions.items()
                  if o != "completed")
        if bad:
            failures.append("stay-alive: %d publisher sessions failed" % bad)
        return failures

    def trend(self, name):
        """RSS rising quarter after quarter under load, or descriptors or
        threads whose minimum does."""
        rows = [(t, smp) for t, n, tag, smp, _ in self.samples
                if n == name and tag == "load" and smp]
        if len(rows) < 8:
            return None
        q = len(rows) // 4
        parts = [rows[i * q:(i + 1) * q] for i in range(4)]
        rss = [statistics.median(s["rss"] for _, s in p) for p in parts]
        if all(x < y for x, y in zip(rss, rss[1:])) and \
                rss[3] - rss[0] > max(4 * MIB, rss[0] * 0.05):
            return "RSS rose steadily under load (quarter medians %s MiB)" \
                % ", ".join("%.1f" % (x / MIB) for x in rss)
        for key in ("fds", "threads"):
            mins = [min(s[key] for _, s in p) for p in parts]
            if all(x < y for x, y in zip(mins, mins[1:])):
                return "%s rose steadily under load (quarter minima %s)" % (
                    key, mins)
        return None

    def report(self, rcs):
        print()
        print("Soak: %.1f min (%.0f s warm-up), %s%s, load average %.2f" % (
            self.args.minutes, min(self.args.warmup,
                                   self.args.minutes * 15),
            self.plugin_file, " (ASan)" if self.asan else "",
            os.getloadavg()[0]))
        print()
        hdr = "%-26s %12s %12s %12s %12s" % ("", "stay-alive", "",
                                            "cycle", "")
        print(hdr)
        print("%-26s %12s %12s %12s %12s" % ("", "start", "end", "start",
                                            "end"))

        def cell(rows, name, f):
            if rows is None or rows[name][0] is None:
                return "-"
            return f(*rows[name])

        def line(label, f, cycle=True):
            print("%-26s %12s %12s %12s %12s" % (
                label, cell(self.start_rows, "stay-alive", f),
                cell(self.end_rows, "stay-alive", f),
                cell(self.start_rows, "cycle", f) if cycle else "-",
                cell(self.end_rows, "cycle", f) if cycle else "-"))

        line("RSS (MiB)", lambda s, x: "%.1f" % (s["rss"] / MIB))
        line("malloc in use (MiB)", lambda s, x: "%.2f" % (
            x["heap"] / MIB / MIB) if x["heap"] is not None else "-")
        line("open descriptors", lambda s, x: "%d" % s["fds"])
        line("threads", lambda s, x: "%d" % s["threads"])
        line("publishers served", lambda s, x: "%d" % x["served"])
        line("refused (bus messages)", lambda s, x: "%d" % x["bus-refused"])
        # (the cycling elements' counters restart at each start)
        line("dropped peers", lambda s, x: "%d" % x["dropped-peers"],
             cycle=False)
        if len(self.quiet) > 2:
            print()
            print("quiet samples: time, then per server RSS MiB / malloc "
                  "MiB / fds / threads / served")
            for t, tag, rows in self.quiet:
                cols = []
                for name in ("stay-alive", "cycle"):
                    smp, x = rows[name]
                    heap = "-" if x["heap"] is None else \
                        "%.2f" % (x["heap"] / MIB / MIB)
                    cols.append("-" if smp is None else
                                "%5.1f %6s %3d %3d %5d" % (
                                    smp["rss"] / MIB, heap, smp["fds"],
                                    smp["threads"], x["served"]))
                print("  %5.0f s  %-32s %s" % (t, cols[0], cols[1]))
            print()
        for name in ("stay-alive", "cycle"):
            smp = [s for t, n, tag, s, _ in self.samples if n == name and s]
            if smp:
                print("%-26s max RSS %.1f MiB, max fds %d, max threads %d" % (
                    name + " under load:", max(s["rss"] for s in smp) / MIB,
                    max(s["fds"] for s in smp),
                    max(s["threads"] for s in smp)))
        print()
        with self.lock:
            print("stay-alive sessions (kind end outcome: count): %d" %
                  sum(self.sessions.values()))
            for k, n in sorted(self.sessions.items()):
                print("  %-10s %-6s %-20s %6d" % (k[0], k[1], k[2], n))
            for kind, v in sorted(self.startups.items()):
                print("  %s start to publishing (killed sessions): median "
                      "%.2f s, max %.2f s" % (kind, statistics.median(v),
                                              max(v)))
            if self.not_served:
                print("  not served (publisher ended before publishing): %s"
                      % dict(self.not_served))
            print("  server 'stopped' reasons: %s" %
                  dict(self.stay.reasons))
            print("  second publisher on a live key: %s" % dict(self.dups))
            print("  intruder: %s" % dict(self.intrusions))
            print("cycle: %d state cycles (slowest up %.0f ms, down %.0f "
                  "ms), publish attempts %d: %s" % (
                      self.cycle.cycles, self.cycle.cycle_max["up_ms"],
                      self.cycle.cycle_max["down_ms"],
                      sum(self.cycle_attempts.values()),
                      ", ".join("%s %s %d" % (k[0], k[1], n) for k, n in
                                sorted(self.cycle_attempts.items()))))
            print("  server: %d publishing, %d stopped, %d refused" % (
                self.cycle.events["publishing"],
                self.cycle.events["stopped"], self.cycle.events["refused"]))
            for p in self.failed_publishers[:10]:
                print("  failed publisher: %s" % p)
            for what in ("intruder",):
                for text in self.notes.get(what, [])[:5]:
                    print("  %s: %s" % (what, text))
        print("server exit: %s" % rcs)
        for srv in (self.stay, self.cycle):
            warn = collections.Counter()
            try:
                with open(srv.log_path, errors="replace") as f:
                    for row in f:
                        if " WARN " in row or " ERROR " in row or \
                                "CRITICAL" in row:
                            msg = row.split(":", 5)[-1].strip() if \
                                " WARN " in row else row.strip()
                            msg = re.sub(r"\d+", "N", msg)
                            warn[msg[:110]] += 1
            except OSError:
                pass
            if warn:
                print("%s log: %d warnings, most frequent:" % (
                    srv.name, sum(warn.values())))
                for msg, n in warn.most_common(6):
                    print("  %6d  %s" % (n, msg))


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build", default="build",
                    help="build directory whose plugin is soaked (build)")
    ap.add_argument("--minutes", type=float, default=10.0,
                    help="duration (10)")
    ap.add_argument("--warmup", type=float, default=30.0,
                    help="seconds before the start sample (30; at most a "
                    "quarter of the run)")
    ap.add_argument("--interval", type=float, default=5.0,
                    help="seconds between samples under load (5)")
    ap.add_argument("--quiet-every", type=float, default=2.0,
                    help="minutes between quiet samples after the start one "
                    "(2; 0: only start and end)")
    ap.add_argument("--publishers", type=int, default=20,
                    help="stay-alive publishers = elements (20)")
    ap.add_argument("--own-ports", type=int, default=4,
                    help="of those, elements on a port of their own; the "
                    "rest share one port by stream key (4)")
    ap.add_argument("--cycle-publishers", type=int, default=4,
                    help="publishers trying the cycling pipeline (4)")
    ap.add_argument("--rss-growth", type=float, default=20.0,
                    help="allowed RSS growth, percent (20) ...")
    ap.add_argument("--rss-slack", type=float, default=10.0,
                    help="... plus MiB (10)")
    ap.add_argument("--thread-slack", type=int, default=2,
                    help="allowed extra threads at the end (2: GStreamer's "
                    "task pool keeps idle threads a while)")
    ap.add_argument("--keep-logs", action="store_true",
                    help="keep the server logs even when the soak passes")
    args = ap.parse_args()
    if args.minutes * 60 < 20:
        sys.exit("--minutes: at least 0.34 (20 s)")
    if not os.path.exists(SOURCE_FLV):
        sys.exit("%s missing" % SOURCE_FLV)

    soak = Soak(args)
    faulthandler.register(signal.SIGUSR1)   # kill -USR1: where is it stuck

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    rcs = {}
    interrupted = False
    try:
        soak.start()
        soak.run()
        rcs = soak.shutdown()
    except KeyboardInterrupt:
        interrupted = True
        log("soak: interrupted, stopping everything")
        soak.kill()
    except BaseException:
        soak.kill()
        raise
    soak.report(rcs)
    if interrupted:
        if soak.logdir:
            print("server logs kept in %s" % soak.logdir)
        return 130
    failures = soak.verdict()
    print()
    if failures:
        print("SOAK FAILED:")
        for f in failures:
            print("  - " + f)
        print("server logs kept in %s" % soak.logdir)
        return 1
    print("SOAK PASSED")
    if args.keep_logs:
        print("server logs in %s" % soak.logdir)
    else:
        shutil.rmtree(soak.logdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
