#!/usr/bin/python3
# Benchmark of rtmpingestsrc / rtmppublishsink against nginx-rtmp, ffmpeg
# and rtmp2sink, measured side by side in one run (docs/performance.md).
#
#   ./tests/bench/run-bench.py                 # everything, < 10 minutes
#   ./tests/bench/run-bench.py --quick         # a smoke run, ~2 minutes
#   ./tests/bench/run-bench.py --only ingest,latency --reps 5
#
# Needs a build (meson setup build && ninja -C build, or ./scripts/test.sh):
# the C sender build/tests/bench/rtmp-bench-send and the plugin. Peers:
# nginx + libnginx-mod-rtmp, ffmpeg, gst-plugins-bad (rtmp2sink/rtmp2src),
# /usr/bin/python3 with PyGObject (latency workload).
#
# Workloads (alternating the contenders inside each repetition, medians):
#   ingest      the fast sender pushes N MiB of pre-chunked H.264+AAC into
#               rtmpingestsrc ! fakesink, rtmpingestsrc ! flvdemux ! fakesink,
#               nginx-rtmp (live app) and ffmpeg -listen 1 -c copy -f null;
#               MB/s, server CPU-s/GB (utime+stime of the server process,
#               start-up excluded), peak RSS; chunk sizes 128, 4096, 60000
#   publish     filesrc ! flvdemux ! flvmux ! <sink> as fast as possible into
#               nginx-rtmp: rtmppublishsink, rtmp2sink chunk-size=4096/128,
#               ffmpeg -c copy -f flv, and the remux alone into fakesink;
#               client CPU-s/GB (start-up cost measured with a tiny file
#               and subtracted), peak RSS
#   latency     one real-time publisher stamps each message (~68 msg/s)
#               with CLOCK_MONOTONIC just before its write; a fakesink
#               handoff in this process reads the stamp: rtmpingestsrc
#               (! flvdemux) versus nginx-rtmp -> rtmp2src; p50/p99/max
#   concurrency K real-time 3.2 Mbit/s publishers into K rtmpingestsrc in
#               one gst-launch process (K ports, one shared port with a
#               stream-key per element, K ports with batch-interval=40,
#               or K ports in one thread-group reading every 10 or 20 ms)
#               versus one nginx-rtmp: CPU % of one core, RSS per stream,
#               whether a stream fell behind
# SPDX-License-Identifier: LGPL-2.1-or-later

import argparse
import csv
import ctypes
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SOURCE_FLV = os.path.join(TOP, "tests", "fixtures", "source.flv")
NGINX_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
TICK = os.sysconf("SC_CLK_TCK")
LIBC = ctypes.CDLL(None, use_errno=True)
CHILDREN = []


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def free_ports(n):
    """@n distinct free ports (sockets held open until all are picked)."""
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def listening_ports():
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                for line in f.readlines()[1:]:
                    fl = line.split()
                    if fl[3] == "0A":
                        ports.add(int(fl[1].rsplit(":", 1)[1], 16))
        except OSError:
            pass
    return ports


def wait_listening(ports, proc=None, timeout=20.0):
    end = time.monotonic() + timeout
    want = set(ports)
    while time.monotonic() < end:
        if want <= listening_ports():
            return
        if proc is not None and proc.p.poll() is not None:
            proc.errf.seek(0)
            raise RuntimeError("server exited (%s): %s" % (
                proc.p.returncode,
                proc.errf.read()[-300:].decode(errors="replace")))
        time.sleep(0.05)
    raise RuntimeError("ports %s not listening" % sorted(want))


def rx_queue_max(port):
    """Largest receive queue of an established socket on local @port."""
    m = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                for line in f.readlines()[1:]:
                    fl = line.split()
                    if fl[3] == "01" and int(fl[1].rsplit(":", 1)[1], 16) \
                            == port:
                        m = max(m, int(fl[4].split(":")[1], 16))
        except OSError:
            pass
    return m


def proc_cpu(pid):
    """CPU seconds (user + system) of a live process, or None once it is
    gone. Its CPU-time clock (clock_getcpuclockid(): nanoseconds, exited
    threads included): /proc's utime and stime count whole 10 ms ticks,
    while a 256 MiB ingest run costs a server only about 0.1 s, so a tick
    more or less moved a result by 10 %. Plus the reaped children's ticks
    (cutime + cstime), as wait4()'s rusage at exit counts them
    (gst-plugin-scanner)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fl = f.read().rsplit(")", 1)[1].split()
        ticks = [int(x) for x in fl[11:15]]
    except (OSError, IndexError):
        return None
    clk = ctypes.c_int()
    if LIBC.clock_getcpuclockid(pid, ctypes.byref(clk)) == 0:
        try:
            return time.clock_gettime(clk.value) + (ticks[2] + ticks[3]) / TICK
        except OSError:
            pass
    return sum(ticks) / TICK


def proc_status(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])      # KiB
    except OSError:
        pass
    return None


class Proc:
    """A child process whose CPU and peak RSS we account: before it exits
    from /proc, at exit from wait4()'s rusage (no /proc race)."""

    def __init__(self, args, env=None, stdout=subprocess.DEVNULL):
        self.args = args
        self.errf = tempfile.TemporaryFile()
        self.p = subprocess.Popen(args, env=env, stdout=stdout,
                                  stderr=self.errf, start_new_session=True)
        CHILDREN.append(self)
        self.rusage = None
        self.status = None
        self.err = b""

    @property
    def pid(self):
        return self.p.pid

    def cpu(self):
        if self.rusage:
            return self.rusage.ru_utime + self.rusage.ru_stime
        return proc_cpu(self.pid)

    def hwm_kib(self):
        if self.rusage:
            return self.rusage.ru_maxrss
        return proc_status(self.pid, "VmHWM")

    def wait(self, timeout):
        end = time.monotonic() + timeout
        while self.rusage is None:
            pid, status, ru = os.wait4(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.rusage, self.status = ru, status
                self.p.returncode = os.waitstatus_to_exitcode(status)
                self.errf.seek(0)
                self.err = self.errf.read()[-2000:]
                return True
            if time.monotonic() > end:
                return False
            time.sleep(0.02)
        return True

    def stop(self, sig=signal.SIGTERM, timeout=5):
        if self.rusage is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
            if not self.wait(timeout):
                os.kill(self.pid, signal.SIGKILL)
                self.wait(5)
        if self in CHILDREN:
            CHILDREN.remove(self)


class Env:
    def __init__(self, args):
        self.build = os.path.abspath(args.build_dir)
        self.sender = os.path.join(self.build, "tests", "bench",
                                   "rtmp-bench-send")
        if not os.access(self.sender, os.X_OK):
            sys.exit("%s missing: build first (ninja -C %s)" %
                     (self.sender, self.build))
        self.tmp = tempfile.mkdtemp(prefix="rtmp-bench-")
        self.cache = os.path.join(self.build, "bench-cache")
        os.makedirs(self.cache, exist_ok=True)
        sysdir = subprocess.run(
            ["pkg-config", "--variable=pluginsdir", "gstreamer-1.0"],
            capture_output=True, text=True).stdout.strip() or \
            "/usr/lib/x86_64-linux-gnu/gstreamer-1.0"
        self.env = dict(os.environ)
        self.env.update({
            "GST_PLUGIN_SYSTEM_PATH_1_0": "",
            "GST_PLUGIN_PATH_1_0": os.path.join(self.build, "plugin") + ":" +
            sysdir,
            "GST_REGISTRY": os.path.join(self.cache, "registry.bin"),
            "GST_DEBUG": os.environ.get("GST_DEBUG", "0"),
        })
        # build the registry now, not inside a measured process
        subprocess.run(["gst-inspect-1.0", "rtmpingestsrc"], env=self.env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.have_nginx = os.path.exists(NGINX_MODULE) and \
            shutil.which("nginx")
        self.have_ffmpeg = bool(shutil.which("ffmpeg"))

    def gst_launch(self, desc):
        return Proc(["gst-launch-1.0", "-q"] + desc.split(), env=self.env)

    def send(self, args, timeout=300):
        cmd = [self.sender, "--source", SOURCE_FLV] + args
        r = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout)
        out = dict(line.split("=", 1) for line in r.stdout.split()
                   if "=" in line)
        if r.returncode != 0:
            raise RuntimeError("sender failed: %s" % r.stderr.strip()[-400:])
        return {k: float(v) for k, v in out.items()}


class Nginx:
    def __init__(self, env, name):
        self.prefix = os.path.join(env.tmp, name)
        os.makedirs(os.path.join(self.prefix, "logs"), exist_ok=True)
        self.port = free_port()
        conf = os.path.join(self.prefix, "nginx.conf")
        with open(conf, "w") as f:
            f.write("""
load_module %s;
daemon off;
master_process off;
worker_processes 1;
pid nginx.pid;
error_log logs/error.log warn;
events { worker_connections 4096; }
rtmp {
    server {
        listen 127.0.0.1:%d;
        chunk_size 4096;
        application live { live on; }
    }
}
""" % (NGINX_MODULE, self.port))
        self.proc = Proc(["nginx", "-p", self.prefix, "-c", conf, "-e",
                          os.path.join(self.prefix, "logs", "error.log")])
        wait_listening([self.port], self.proc)

    def stop(self):
        self.proc.stop()


def idle_wait(proc, settle=0.3, timeout=10):
    """Waits until a server process stops burning CPU (drained)."""
    end = time.monotonic() + timeout
    last = proc.cpu()
    while time.monotonic() < end:
        time.sleep(settle)
        now = proc.cpu()
        if now is None or last is None or now - last < 0.01:
            return
        last = now


# ---------------------------------------------------------------- ingest

def ingest_once(env, server, chunk, size_mb):
    stream = "bench"
    if server in ("ingest-fakesink", "ingest-flvdemux"):
        port = free_port()
        tail = "fakesink" if server == "ingest-fakesink" else (
            "flvdemux name=d d.video ! fakesink async=false d.audio ! "
            "fakesink async=false")
        # stay-alive: measured like nginx, until the data is consumed and
        # the process idles, without the pipeline's shutdown at EOS
        proc = env.gst_launch("rtmpingestsrc address=127.0.0.1 port=%d "
                              "on-unpublish=stay-alive ! %s" % (port, tail))
        wait_listening([port], proc)
        exits = False
    elif server == "nginx":
        ng = Nginx(env, "nginx-ingest")
        proc, port, exits = ng.proc, ng.port, False
    elif server == "ffmpeg":
        port = free_port()
        proc = Proc(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel",
                     "error", "-listen", "1", "-i",
                     "rtmp://127.0.0.1:%d/live/%s" % (port, stream),
                     "-c", "copy", "-f", "null", "-"])
        wait_listening([port], proc)
        exits = True
    else:
        raise ValueError(server)
    try:
        time.sleep(0.2)
        cpu0 = proc.cpu()
        r = env.send(["-p", str(port), "-c", str(chunk), "-s", str(size_mb),
                      "--stream", stream])
        if exits:
            if not proc.wait(20):
                proc.stop()
        else:
            idle_wait(proc)
        cpu1 = proc.cpu()
        hwm = proc.hwm_kib()
    finally:
        proc.stop()
    gb = r["bytes"] / 1e9
    return {"mb_s": r["mb_per_s"], "cpu_s_gb": (cpu1 - cpu0) / gb,
            "rss_mib": (hwm or 0) / 1024.0}


# --------------------------------------------------------------- publish

def publish_once(env, ng, case, flv, stream):
    url = "rtmp://127.0.0.1:%d/live/%s" % (ng.port if ng else 0, stream)
    remux = ("filesrc location=%s ! flvdemux name=d d.video ! queue ! "
             "flvmux name=m streamable=true ! %%s d.audio ! queue ! m.audio"
             % flv)
    if case == "rtmppublishsink":
        proc = env.gst_launch(remux % ("rtmppublishsink location=%s sync=false"
                                       % url))
    elif case.startswith("rtmp2sink-"):
        proc = env.gst_launch(remux % (
            "rtmp2sink location=%s sync=false chunk-size=%s" %
            (url, case.split("-")[1])))
    elif case == "remux-fakesink":
        proc = env.gst_launch(remux % "fakesink sync=false")
    elif case == "ffmpeg":
        proc = Proc(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel",
                     "error", "-i", flv, "-c", "copy", "-f", "flv", url])
    else:
        raise ValueError(case)
    t0 = time.monotonic()
    if not proc.wait(300):
        proc.stop()
        raise RuntimeError("%s timed out" % case)
    dt = time.monotonic() - t0
    if proc.p.returncode != 0:
        raise RuntimeError("%s failed: %s" % (case, proc.err[-400:]))
    proc.stop()
    return proc.cpu(), proc.hwm_kib() / 1024.0, dt


# --------------------------------------------------------------- latency

def latency_run(env, case, seconds):
    os.environ.update({k: v for k, v in env.env.items()
                       if k.startswith("GST_")})
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    lat = []
    lock = threading.Lock()

    def handoff(sink, buf, pad):
        now = time.monotonic_ns()
        ok, info = buf.map(Gst.MapFlags.READ)
        if not ok:
            return
        head = bytes(info.data[:64])
        buf.unmap(info)
        i = head.find(b"BNCH")
        if i >= 0 and i + 12 <= len(head):
            t = int.from_bytes(head[i + 4:i + 12], "big")
            if t:
                with lock:
                    lat.append((now - t) / 1e6)

    ng = None
    if case.startswith("ingest"):
        tail = "fakesink name=s" if case == "ingest-fakesink" else (
            "flvdemux name=d d.video ! fakesink name=s async=false d.audio ! "
            "fakesink name=s2 async=false")
        pipe = Gst.parse_launch("rtmpingestsrc name=src address=127.0.0.1 "
                                "port=0 ! " + tail)
        pipe.set_state(Gst.State.PLAYING)
        pipe.get_state(5 * Gst.SECOND)
        port = 0
        for _ in range(100):
            port = pipe.get_by_name("src").get_property("current-port")
            if port:
                break
            time.sleep(0.05)
    else:
        ng = Nginx(env, "nginx-latency")
        port = ng.port
        pipe = Gst.parse_launch("rtmp2src location=rtmp://127.0.0.1:%d/live/"
                                "bench ! fakesink name=s" % ng.port)
        pipe.set_state(Gst.State.PLAYING)
    for name in ("s", "s2"):
        s = pipe.get_by_name(name)
        if s:
            s.set_property("signal-handoffs", True)
            s.set_property("sync", False)
            s.connect("handoff", handoff)
    try:
        if ng:
            time.sleep(0.5)     # rtmp2src connected and playing
        env.send(["-p", str(port), "-c", "4096", "--realtime", "-d",
                  str(seconds), "--video-kbps", "3100", "--stream", "bench"],
                 timeout=seconds + 60)
        time.sleep(0.5)
    finally:
        pipe.set_state(Gst.State.NULL)
        if ng:
            ng.stop()
    with lock:
        v = lat[int(len(lat) * 0.1):]     # drop the start-up
    if len(v) < 10:
        raise RuntimeError("%s: only %d stamped buffers" % (case, len(v)))
    v.sort()
    return {"n": len(v), "p50_ms": v[len(v) // 2],
            "p99_ms": v[min(len(v) - 1, int(len(v) * 0.99))],
            "max_ms": v[-1]}


# ----------------------------------------------------------- concurrency

def concurrency_run(env, server, k, seconds):
    kbps = 3100        # video; + 64 kbit/s audio + headers = ~3.2 Mbit/s
    if server == "ingest" or server.startswith("ingest-batch") or \
            server.startswith("ingest-group"):
        # ingest-batch<N>: batch-interval=N (ms), several messages per read;
        # ingest-group<N>: one thread-group for all K elements, reading
        # every N ms
        if server.startswith("ingest-batch"):
            batch = "batch-interval=%s " % server[len("ingest-batch"):]
        elif server.startswith("ingest-group"):
            batch = "thread-group=bench batch-interval=%s " % (
                server[len("ingest-group"):])
        else:
            batch = ""
        ports = free_ports(k)
        desc = " ".join("rtmpingestsrc address=127.0.0.1 port=%d %s! "
                        "fakesink" % (p, batch) for p in ports)
        proc = env.gst_launch(desc)
        wait_listening(ports, proc, timeout=60)
        ng = None
        mon_ports = ports
    elif server == "ingest-shared":
        # one port shared by the K elements (one listener, one network
        # thread), publishers routed by stream key
        ports = [free_port()]
        desc = " ".join("rtmpingestsrc address=127.0.0.1 port=%d "
                        "max-connections=%d max-pending-connections=%d "
                        "stream-key=bench%d ! fakesink"
                        % (ports[0], k + 16, k + 16, i) for i in range(k))
        proc = env.gst_launch(desc)
        wait_listening(ports, proc, timeout=60)
        ng = None
        mon_ports = ports
    else:
        ng = Nginx(env, "nginx-conc")
        proc = ng.proc
        ports = [ng.port]
        mon_ports = ports
    time.sleep(0.5)
    rss0 = proc_status(proc.pid, "VmRSS")
    result = {}
    th_result = {}

    def sender():
        try:
            th_result["r"] = env.send(
                ["-p", ",".join(map(str, ports)), "-c", "4096", "--realtime",
                 "-k", str(k), "-d", str(seconds), "--video-kbps", str(kbps),
                 "--stagger-ms", str(max(1, 1000 // k))],
                timeout=seconds + 120)
        except Exception as e:          # noqa: BLE001
            th_result["e"] = e
    th = threading.Thread(target=sender)
    th.start()
    # measure from 2 s (everyone connected) to seconds - 0.5
    time.sleep(2.0)
    c0, t0 = proc.cpu(), time.monotonic()
    rxmax, rss = 0, 0
    while time.monotonic() < t0 + seconds - 2.5 and th.is_alive():
        time.sleep(0.25)
        rxmax = max([rxmax] + [rx_queue_max(p) for p in mon_ports[:64]])
        rss = max(rss, proc_status(proc.pid, "VmRSS") or 0)
    c1, t1 = proc.cpu(), time.monotonic()
    th.join()
    proc.stop()
    if "e" in th_result:
        raise th_result["e"]
    r = th_result["r"]
    bytes_per_s = kbps * 1000 / 8.0
    result["cpu_pct"] = 100.0 * (c1 - c0) / (t1 - t0)
    result["cpu_pct_per_stream"] = result["cpu_pct"] / k
    result["rss_kib_per_stream"] = (rss - rss0) / k
    result["rss_mib"] = rss / 1024.0
    result["max_rx_queue_kib"] = rxmax / 1024.0
    result["sender_max_late_ms"] = r["max_late_ms"]
    result["behind"] = int(r["failed"] > 0 or r["max_late_ms"] > 250 or
                           rxmax > bytes_per_s)
    return result


# ----------------------------------------------------------------- main

def med(vals):
    return statistics.median(vals) if vals else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build-dir", default=os.path.join(TOP, "build"))
    ap.add_argument("--only", default="ingest,publish,latency,concurrency")
    ap.add_argument("--quick", action="store_true",
                    help="smaller sizes, one repetition, fewer cases")
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--publish-reps", type=int, default=None,
                    help="publish repetitions (11; quick 1): runs of about "
                    "a second whose CPU time varies by 2x on a VM, so more "
                    "of them than of the other workloads")
    ap.add_argument("--size-mb", type=int, default=None,
                    help="ingest MiB per run (256; quick 64)")
    ap.add_argument("--chunks", default=None,
                    help="ingest chunk sizes (128,4096,60000; quick 4096)")
    ap.add_argument("--ks", default=None,
                    help="concurrency stream counts (20,50,100,200)")
    ap.add_argument("--cases", default=None,
                    help="only these contenders, e.g. ingest-fakesink,nginx")
    ap.add_argument("--csv", default=None)
    args = ap.parse_args()
    q = args.quick
    reps = args.reps or (1 if q else 3)
    publish_reps = args.publish_reps or args.reps or (1 if q else 11)
    size_mb = args.size_mb or (64 if q else 256)
    chunks = [int(c) for c in (args.chunks or
                               ("4096" if q else "128,4096,60000")).split(",")]
    ks = [int(c) for c in (args.ks or ("20,50" if q else
                                       "20,50,100,200")).split(",")]
    only = set(args.only.split(","))
    env = Env(args)
    rows = []           # (workload, case, param, metric, median, n)
    t_start = time.monotonic()

    def add(workload, case, param, samples):
        keys = []
        for s in samples:
            keys += [k for k in s.keys() if k not in keys]
        for key in keys:
            vals = [s[key] for s in samples if key in s]
            rows.append((workload, case, param, key, med(vals), len(vals)))

    if "ingest" in only:
        servers = ["ingest-fakesink", "ingest-flvdemux"]
        if env.have_nginx:
            servers.append("nginx")
        if env.have_ffmpeg:
            servers.append("ffmpeg")
        if args.cases:
            servers = [s for s in servers if s in args.cases.split(",")]
        samples = {}
        for rep in range(reps):
            for chunk in chunks:
                order = servers[rep % len(servers):] + \
                    servers[:rep % len(servers)]
                for srv in order:
                    if chunk == 60000 and srv == "ffmpeg":
                        continue    # ffmpeg's server caps chunks at 65536
                    try:
                        r = ingest_once(env, srv, chunk, size_mb)
                    except Exception as e:          # noqa: BLE001
                        log("ingest %s chunk %d: %s" % (srv, chunk, e))
                        continue
                    log("ingest %-16s chunk %5d: %7.1f MB/s %5.2f CPU-s/GB "
                        "%6.1f MiB" % (srv, chunk, r["mb_s"], r["cpu_s_gb"],
                                       r["rss_mib"]))
                    samples.setdefault((srv, chunk), []).append(r)
        for (srv, chunk), s in sorted(samples.items()):
            add("ingest", srv, "chunk=%d" % chunk, s)

    if "publish" in only and env.have_nginx:
        pub_mb = 32 if q else 128
        flv = os.path.join(env.cache, "bench-%dmb.flv" % pub_mb)
        if not os.path.exists(flv):
            subprocess.run([env.sender, "--source", SOURCE_FLV, "--size-mb",
                            str(pub_mb), "--write-flv", flv + ".tmp"],
                           check=True)
            os.rename(flv + ".tmp", flv)
        gb = os.path.getsize(flv) / 1e9
        cases = ["rtmppublishsink", "rtmp2sink-4096", "rtmp2sink-128",
                 "remux-fakesink"]
        if env.have_ffmpeg:
            cases.append("ffmpeg")
        if args.cases:
            cases = [c for c in cases if c in args.cases.split(",")]
        ng = Nginx(env, "nginx-publish")
        samples = {}
        n = 0
        try:
            # start-up cost of each client (tiny input), subtracted below
            base = {}
            for case in cases:
                n += 1
                cpu, _, _ = publish_once(env, ng, case, SOURCE_FLV,
                                         "warm%d" % n)
                base[case] = cpu
            for rep in range(publish_reps):
                order = cases[rep % len(cases):] + cases[:rep % len(cases)]
                this_rep = {}
                for case in order:
                    n += 1
                    try:
                        cpu, rss, dt = publish_once(env, ng, case, flv,
                                                    "pub%d" % n)
                    except Exception as e:          # noqa: BLE001
                        log("publish %s: %s" % (case, e))
                        continue
                    r = {"cpu_s_gb": max(0.0, cpu - base[case]) / gb,
                         "cpu_s_gb_raw": cpu / gb, "mb_s": gb * 1e3 / dt,
                         "rss_mib": rss}
                    log("publish %-16s %5.2f CPU-s/GB (raw %5.2f) %7.1f MB/s"
                        " %6.1f MiB" % (case, r["cpu_s_gb"],
                                        r["cpu_s_gb_raw"], r["mb_s"], rss))
                    samples.setdefault(case, []).append(r)
                    this_rep[case] = r
                # what a sink adds to the same remux, paired within the
                # repetition (the remux is most of the pipeline and varies
                # between runs more than the sinks differ)
                remux = this_rep.get("remux-fakesink")
                for case, r in this_rep.items():
                    if remux and case not in ("remux-fakesink", "ffmpeg"):
                        r["cpu_s_gb_over_remux"] = \
                            r["cpu_s_gb"] - remux["cpu_s_gb"]
        finally:
            ng.stop()
        for case, s in sorted(samples.items()):
            add("publish", case, "%dMiB" % pub_mb, s)

    if "latency" in only:
        secs = 5 if q else 10
        cases = ["ingest-fakesink", "ingest-flvdemux"]
        if env.have_nginx:
            cases.append("nginx-rtmp2src")
        for case in cases:
            try:
                r = latency_run(env, case, secs)
            except Exception as e:          # noqa: BLE001
                log("latency %s: %s" % (case, e))
                continue
            log("latency %-16s n=%d p50 %.3f ms p99 %.3f ms max %.3f ms" %
                (case, r["n"], r["p50_ms"], r["p99_ms"], r["max_ms"]))
            add("latency", case, "%ds" % secs, [r])

    if "concurrency" in only:
        secs = 8 if q else 12
        servers = ["ingest", "ingest-shared", "ingest-batch40",
                   "ingest-group10", "ingest-group20"] + (
                       ["nginx"] if env.have_nginx else [])
        if args.cases:
            servers = [s for s in servers if s in args.cases.split(",")]
        for i, k in enumerate(ks):
            for srv in (servers if i % 2 == 0 else servers[::-1]):
                try:
                    r = concurrency_run(env, srv, k, secs)
                except Exception as e:          # noqa: BLE001
                    log("concurrency %s K=%d: %s" % (srv, k, e))
                    continue
                log("concurrency %-13s K=%3d: %5.1f %% CPU (%.3f %%/stream) "
                    "%6.1f KiB/stream, rx-queue max %.0f KiB, late %.1f ms%s"
                    % (srv, k, r["cpu_pct"], r["cpu_pct_per_stream"],
                       r["rss_kib_per_stream"], r["max_rx_queue_kib"],
                       r["sender_max_late_ms"],
                       " BEHIND" if r["behind"] else ""))
                add("concurrency", srv, "K=%d" % k, [r])

    # ------------------------------------------------------------ report
    def get(workload, case, param, metric):
        for r in rows:
            if r[:4] == (workload, case, param, metric):
                return r[4]
        return None

    print("\nMedians (%s; %d core(s), load average %.2f at the end; "
          "%.0f s)\n" % (socket.gethostname(), os.cpu_count(),
                         os.getloadavg()[0], time.monotonic() - t_start))
    print("%-12s %-18s %-11s %-22s %12s %4s %9s" %
          ("workload", "case", "param", "metric", "median", "n", "ratio"))
    out_rows = []
    for w, c, p, m, v, n in rows:
        ref = None
        if w == "ingest":
            ref = get(w, "nginx", p, m)
        elif w == "publish":
            ref = get(w, "rtmp2sink-4096", p, m)
        elif w == "concurrency":
            ref = get(w, "nginx", p, m)
        elif w == "latency":
            ref = get(w, "nginx-rtmp2src", p, m)
        ratio = v / ref if ref else None
        print("%-12s %-18s %-11s %-22s %12.3f %4d %9s" %
              (w, c, p, m, v, n, "%.2fx" % ratio if ratio else "-"))
        out_rows.append([w, c, p, m, "%.4f" % v, n,
                         "%.4f" % ratio if ratio else ""])
    print("\nratio: against nginx-rtmp (ingest, concurrency), rtmp2sink "
          "chunk-size=4096 (publish), nginx-rtmp -> rtmp2src (latency)")
    path = args.csv or os.path.join(env.cache, "bench-results.csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["workload", "case", "param", "metric", "median", "n",
                    "ratio"])
        w.writerows(out_rows)
    print("CSV: %s" % path)
    plot(rows, os.path.splitext(path)[0] + ".png")
    shutil.rmtree(env.tmp, ignore_errors=True)


def plot(rows, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        if shutil.which("gnuplot"):
            return plot_gnuplot(rows, path)
        print("(no matplotlib or gnuplot: no plot)")
        return
    panels = [("ingest", "mb_s", "ingest MB/s"),
              ("ingest", "cpu_s_gb", "ingest CPU-s/GB"),
              ("publish", "cpu_s_gb", "publish CPU-s/GB"),
              ("concurrency", "cpu_pct", "concurrency CPU %")]
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 14))
    for ax, (w, m, title) in zip(axes, panels):
        sel = [r for r in rows if r[0] == w and r[3] == m]
        ax.barh(["%s %s" % (r[1], r[2]) for r in sel], [r[4] for r in sel])
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    print("plot: %s" % path)


def plot_gnuplot(rows, path):
    data = path + ".dat"
    sel = [r for r in rows if r[0] == "ingest" and r[3] == "mb_s"]
    with open(data, "w") as f:
        for i, r in enumerate(sel):
            f.write('%d "%s %s" %f\n' % (i, r[1], r[2], r[4]))
    subprocess.run(["gnuplot", "-e",
                    "set terminal png size 1000,600; set output '%s'; "
                    "set style fill solid; set xtics rotate; "
                    "plot '%s' using 1:3:xtic(2) with boxes title "
                    "'ingest MB/s'" % (path, data)], check=False)
    print("plot: %s" % path)


if __name__ == "__main__":
    try:
        main()
    finally:
        for c in list(CHILDREN):
            c.stop(signal.SIGKILL)
