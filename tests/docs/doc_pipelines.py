#!/usr/bin/python3
# Runs every pipeline written in README.md and docs/*.md, so the pipelines
# users copy cannot rot. The convention (docs/contributing.md):
#
#   * every command starting with `gst-launch-1.0` inside a fenced code
#     block is a pipeline and is executed (lines joined on a trailing `\`);
#   * an HTML comment on the line(s) just before the block changes that:
#       <!-- test: skip REASON -->   not run (REASON is printed); use it for
#                                    fragments (`... ! sink`) and pipelines
#                                    that need hardware or a display only;
#       <!-- test: seconds=N -->     let a pipeline without an RTMP publisher
#                                    run N seconds before EOS (default 4).
#
# How a pipeline is run (in a fresh temporary directory, so relative output
# paths land there; absolute output paths are rewritten to their basename):
#   * rtmpingestsrc listens on a free port on 127.0.0.1 (port/address are
#     replaced) and the test publishes tests/fixtures/source.flv to it with
#     ffmpeg, using the application, stream key and credentials the pipeline
#     asks for (rtmps:// when its tls-mode is tls or both);
#   * rtmppublishsink publishes to a receiving server the test starts
#     (`rtmpingestsrc ! filesink`, with TLS/credentials when the sink uses
#     them); the received FLV must be readable afterwards;
#   * display sinks become fakesink; input files (in.flv, in.mp4...) are made
#     from source.flv; certificate/key files are generated (self-signed);
#   * the pipeline ends by itself (publisher done, on-unpublish=eos) or gets
#     SIGINT (gst-launch-1.0 -e turns it into EOS); it must exit with 0, and
#     every file it wrote (filesink, hlssink2 playlist and segments,
#     splitmuxsink...) must be readable by ffprobe.
#
# A pipeline using a property that another issue is still implementing
# (PENDING below) is skipped with a message while the element lacks it; any
# other unknown property or element is a failure.
#
# Usage: doc_pipelines.py [--list] FILE.md|DIR...   (exit 0: all ran or
# were skipped, 77 if nothing ran at all, 1 on a failure)
# SPDX-License-Identifier: LGPL-2.1-or-later
import glob
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "interop"))
import testwrap  # noqa: E402
import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

Gst.init(None)

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.environ.get("RTMP_FIXTURES_DIR", os.path.join(TOP, "tests",
                                                            "fixtures"))
SOURCE_FLV = os.path.join(FIXTURES, "source.flv")

# Properties being added by other issues (RTMPS and authentication): a
# pipeline using one of them is skipped while the element does not have it.
PENDING = {
    "rtmpingestsrc": {"tls-certificate", "tls-key", "tls-mode", "username",
                      "password"},
    "rtmppublishsink": {"tls-ca-file", "tls-validation", "username",
                        "password"},
}
DISPLAY_SINKS = {"autovideosink", "autoaudiosink", "xvimagesink",
                 "ximagesink", "glimagesink", "waylandsink", "pulsesink",
                 "alsasink", "kmssink", "fpsdisplaysink"}
# element -> properties naming files it writes
OUTPUT_PROPS = {
    "filesink": ("location",),
    "multifilesink": ("location",),
    "splitmuxsink": ("location",),
    "hlssink2": ("location", "playlist-location"),
    "hlssink": ("location", "playlist-location"),
}
DEFAULT_OUTPUTS = {
    "hlssink2": {"location": "segment%05d.ts",
                 "playlist-location": "playlist.m3u8"},
    "hlssink": {"location": "segment%05d.ts",
                "playlist-location": "playlist.m3u8"},
}
LAUNCH_OPTS = {"-e", "--eos-on-shutdown", "-m", "--messages", "-v",
               "--verbose", "-q", "--quiet", "-t", "--tags"}

PROP = re.compile(r"^([a-z][a-z0-9-]*)=(.*)$", re.S)


class Skip(Exception):
    pass


class Fail(Exception):
    pass


# ---------------------------------------------------------------- extraction

def extract(path):
    """Yields (line number, command, directives) for every gst-launch-1.0
    command in a fenced code block of a Markdown file."""
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    pending_directives = []
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^\s*<!--\s*test:\s*(.*?)\s*-->\s*$", line)
        if m:
            pending_directives.append(m.group(1))
            i += 1
            continue
        fence = re.match(r"^\s*(```|~~~)", line)
        if fence:
            marker = fence.group(1)
            start = i
            body = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(marker):
                body.append((i + 1, lines[i]))
                i += 1
            i += 1
            yield from commands_in_block(body, pending_directives, start + 1)
            pending_directives = []
            continue
        if line.strip():
            pending_directives = []
        i += 1


def commands_in_block(body, directives, block_line):
    cur = None
    cur_line = 0
    for lineno, text in body:
        stripped = text.strip()
        if cur is None:
            if stripped.startswith("gst-launch-1.0"):
                cur = ""
                cur_line = lineno
            else:
                continue
        if stripped.endswith("\\"):
            cur += stripped[:-1] + " "
            continue
        cur += stripped
        yield cur_line, cur, list(directives)
        cur = None
    if cur is not None:
        yield cur_line, cur, list(directives)


# ------------------------------------------------------------------ parsing

class Element:
    def __init__(self, factory, index):
        self.factory = factory
        self.index = index          # token index of the factory name
        self.props = {}             # name -> token index


def parse(tokens):
    """Finds elements and their property tokens in gst-launch tokens."""
    elements = []
    cur = None
    expect_element = True
    for idx, tok in enumerate(tokens):
        if tok == "!":
            expect_element = True
            cur = None
            continue
        m = PROP.match(tok)
        if m and "/" not in m.group(1) and cur is not None:
            cur.props[m.group(1)] = idx
            continue
        if "/" in tok.split(",")[0]:          # caps filter
            cur = None
            expect_element = False
            continue
        if "." in tok:                        # pad reference d.video / m.
            cur = None
            expect_element = True
            continue
        # an element: after '!', or a new chain (gst-launch syntax allows
        # `... d. flvmux name=m ! ...`)
        cur = Element(tok, idx)
        elements.append(cur)
        expect_element = False
    return elements


def prop_value(tokens, el, name, default=None):
    idx = el.props.get(name)
    if idx is None:
        return default
    return PROP.match(tokens[idx]).group(2)


def set_prop(tokens, el, name, value):
    idx = el.props.get(name)
    if idx is None:
        tokens.insert(el.index + 1, "%s=%s" % (name, value))
        # this element's property tokens move by one (later elements were
        # rewritten already: callers go from the end)
        for k in el.props:
            el.props[k] += 1
        el.props[name] = el.index + 1
        return True
    tokens[idx] = "%s=%s" % (name, value)
    return False


# ---------------------------------------------------------------- helpers

def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_listening(port, proc, timeout=15.0):
    deadline = time.monotonic() + testwrap.scaled(timeout)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def make_cert(workdir, names):
    key = os.path.join(workdir, ".gen.key")
    crt = os.path.join(workdir, ".gen.crt")
    if not os.path.exists(crt):
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
             "-keyout", key, "-out", crt, "-days", "2", "-subj",
             "/CN=127.0.0.1", "-addext",
             "subjectAltName=IP:127.0.0.1,DNS:localhost"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for name, kind in names:
        dst = os.path.join(workdir, os.path.basename(name))
        if not os.path.exists(dst):
            shutil.copy(key if kind == "key" else crt, dst)
    return crt, key


def make_input(workdir, name):
    dst = os.path.join(workdir, os.path.basename(name))
    if os.path.exists(dst):
        return
    ext = os.path.splitext(name)[1].lower()
    if ext == ".flv":
        shutil.copy(SOURCE_FLV, dst)
    elif ext in (".mp4", ".mkv", ".mov", ".ts"):
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", SOURCE_FLV,
                        "-c", "copy", "-y", dst], check=True)
    else:
        raise Fail("no test input for filesrc location=%s" % name)


def probe(path):
    """ffprobe must read the file and find at least one stream."""
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        raise Fail("output %s is missing or empty" % os.path.basename(path))
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                        "stream=codec_type", "-of", "csv=p=0", path],
                       capture_output=True, text=True, timeout=30)
    streams = [s for s in r.stdout.split() if s]
    if r.returncode != 0 or not streams:
        raise Fail("ffprobe cannot read %s: %s" % (os.path.basename(path),
                                                   r.stderr.strip()[-300:]))
    return streams


def check_output(workdir, factory, prop, value):
    name = os.path.basename(value)
    if "%" in name:
        pattern = re.sub(r"%0?\d*[du]", "*", name)
        files = sorted(glob.glob(os.path.join(workdir, pattern)))
        if not files:
            raise Fail("%s %s=%s wrote no file" % (factory, prop, value))
        for f in files:
            probe(f)
        return "%d x %s" % (len(files), pattern)
    path = os.path.join(workdir, name)
    if name.endswith(".m3u8"):
        if not os.path.exists(path):
            raise Fail("playlist %s was not written" % name)
        segs = [ln for ln in open(path).read().split("\n")
                if ln and not ln.startswith("#")]
        if not segs:
            raise Fail("playlist %s lists no segment" % name)
        for s in segs:
            probe(os.path.join(workdir, os.path.basename(s)))
        return "%s (%d segments)" % (name, len(segs))
    streams = probe(path)
    return "%s (%s)" % (name, "+".join(streams))


RUNNING = ("New clock", "Redistribute latency", "Execution ended")


def wait_running(proc, log, timeout):
    """until gst-launch-1.0 runs its event loop (it prints the new clock of
    PLAYING from there) or ends"""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline and \
            not any(m in tail(log, 100000) for m in RUNNING):
        time.sleep(0.1)


def wait_received(proc, paths, timeout, size=32768):
    """until each of @paths (what receiving servers record) holds @size
    bytes, or @proc ends"""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        sizes = [os.path.getsize(p) if os.path.exists(p) else 0
                 for p in paths]
        if all(n >= size for n in sizes):
            return
        time.sleep(0.1)


def stop(proc, name, log, grace=25.0):
    """SIGINT (EOS with -e), then wait; returns the exit code. The grace
    is a bound, not a wait: under ASan (slow unwinding for LeakSanitizer)
    a pipeline can take tens of seconds to reach EOS and free itself on a
    busy CI machine."""
    grace = testwrap.scaled(grace)
    # gst-launch-1.0 prints "Execution ended" when its pipeline reached EOS
    # by itself; it then frees the pipeline and exits with its SIGINT
    # handler gone (a SIGINT would kill it, exit status -2): wait instead
    if proc.poll() is None and "Execution ended" in tail(log, 200):
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    # gst-launch-1.0 handles SIGINT in its event loop, which runs once the
    # pipeline is PAUSED (it prints the new clock of PLAYING from there): a
    # slowed-down one (ASan on a loaded machine) may not be there yet, and
    # a SIGINT would kill it (exit status -2)
    wait_running(proc, log, grace)
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise Fail("%s did not stop within %.0f s of SIGINT\n%s" %
                       (name, grace, tail(log)))
    return proc.returncode


def tail(path, n=25):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


# ------------------------------------------------------------------ running

def run_pipeline(cmd, directives, workdir):
    for d in directives:
        if d.startswith("skip"):
            raise Skip(d[4:].strip() or "marked skip")
    seconds = 4.0
    for d in directives:
        m = re.match(r"seconds=(\d+(?:\.\d+)?)", d)
        if m:
            seconds = float(m.group(1))

    tokens = shlex.split(cmd)
    assert tokens[0] == "gst-launch-1.0"
    opts = []
    tokens = tokens[1:]
    while tokens and tokens[0].startswith("-"):
        if tokens[0] not in LAUNCH_OPTS:
            raise Fail("unknown gst-launch-1.0 option %s" % tokens[0])
        opts.append(tokens.pop(0))
    if "-e" not in opts and "--eos-on-shutdown" not in opts:
        opts.insert(0, "-e")   # so SIGINT finalises files (docs may omit it)
    if "..." in tokens:
        raise Fail("'...' in a pipeline: mark the block <!-- test: skip "
                   "fragment -->")

    elements = parse(tokens)
    # elements and properties must exist (or be pending)
    for el in elements:
        inst = Gst.ElementFactory.make(el.factory, None)
        if inst is None:
            raise Fail("no element %r (missing plugin?)" % el.factory)
        for p in el.props:
            if inst.find_property(p) is None:
                if p in PENDING.get(el.factory, ()):
                    raise Skip("%s has no property '%s' yet (being "
                               "implemented: RTMPS/auth)" % (el.factory, p))
                raise Fail("%s has no property %r" % (el.factory, p))

    publishers = []       # (url, needs tls)
    receivers = []        # (port, tls, user, password, outfile)
    outputs = []          # (factory, prop, value)
    certs = []

    # rewrite, from the end so insertions do not move earlier indexes
    for el in sorted(elements, key=lambda e: e.index, reverse=True):
        f = el.factory
        if f == "rtmpingestsrc":
            port = free_port()
            app = prop_value(tokens, el, "application", "live")
            key = prop_value(tokens, el, "stream-key", "doc-test")
            user = prop_value(tokens, el, "username")
            pw = prop_value(tokens, el, "password")
            crt = prop_value(tokens, el, "tls-certificate")
            tkey = prop_value(tokens, el, "tls-key")
            if crt:
                certs.append((crt, "crt"))
            if tkey:
                certs.append((tkey, "key"))
            tls_mode = prop_value(tokens, el, "tls-mode", "plain")
            scheme = "rtmps" if tls_mode in ("tls", "both", "1", "2") \
                else "rtmp"
            cred = ""
            if user:
                cred = "%s:%s@" % (user, pw or "")
            publishers.append(("%s://%s127.0.0.1:%d/%s/%s" % (
                scheme, cred, port, app, key), port))
            set_prop(tokens, el, "address", "127.0.0.1")
            set_prop(tokens, el, "port", str(port))
        elif f == "rtmppublishsink":
            loc = prop_value(tokens, el, "location", "")
            tls = loc.startswith("rtmps://")
            ca = prop_value(tokens, el, "tls-ca-file")
            if ca:
                certs.append((ca, "crt"))
            port = free_port()
            out = "received-%d.flv" % len(receivers)
            receivers.append((port, tls, prop_value(tokens, el, "username"),
                              prop_value(tokens, el, "password"), out))
            for p in ("host", "port", "application", "stream"):
                if p in el.props:
                    raise Fail("use location= in docs, not %s=" % p)
            set_prop(tokens, el, "location", "%s://127.0.0.1:%d/live/relay" %
                     ("rtmps" if tls else "rtmp", port))
        elif f in DISPLAY_SINKS:
            tokens[el.index] = "fakesink"
            for p in sorted(el.props.values(), reverse=True):
                del tokens[p]
        elif f == "filesrc":
            loc = prop_value(tokens, el, "location")
            if not loc:
                raise Fail("filesrc without location")
            make_input(workdir, loc)
            set_prop(tokens, el, "location", os.path.basename(loc))
        if f in OUTPUT_PROPS:
            for p in OUTPUT_PROPS[f]:
                v = prop_value(tokens, el, p,
                               DEFAULT_OUTPUTS.get(f, {}).get(p))
                if v is None:
                    raise Fail("%s without %s" % (f, p))
                if os.path.isabs(v):
                    set_prop(tokens, el, p, os.path.basename(v))
                outputs.append((f, p, v))

    if certs:
        crt, key = make_cert(workdir, certs)
    env = dict(os.environ)
    # TLS clients that validate load OpenSSL's default CA store: the test's
    # own self-signed certificate instead of the system's bundle. Besides
    # keeping the test independent of the host, parsing the ~150
    # certificates of the bundle took 40 s in a gst-launch-1.0 under ASan
    # (with the slow unwinder on every malloc): the README's RTMPS relay
    # connected only after its publisher had finished.
    env["SSL_CERT_FILE"] = os.path.join(workdir, ".gen.crt")
    env["SSL_CERT_DIR"] = workdir
    procs = []
    try:
        # receiving servers for rtmppublishsink
        recv_procs = []
        for i, (port, tls, user, pw, out) in enumerate(receivers):
            # a test fixture, not the pipeline under test: patient with a
            # publisher that a checker on a loaded machine slows down (no
            # idle timeout), and saying why it drops one (its log is
            # printed when the pipeline fails)
            args = ["gst-launch-1.0", "-e", "rtmpingestsrc",
                    "address=127.0.0.1", "port=%d" % port, "idle-timeout=0"]
            if tls:
                crt, key = make_cert(workdir, [])
                args += ["tls-mode=tls", "tls-certificate=" + crt,
                         "tls-key=" + key]
            if user:
                args += ["username=" + user, "password=" + (pw or "")]
            args += ["!", "filesink", "location=" + out]
            log = os.path.join(workdir, "receiver-%d.log" % i)
            p = subprocess.Popen(testwrap.wrap(args), cwd=workdir,
                                 env=dict(env, GST_DEBUG="rtmpingestsrc:4,"
                                          "rtmpnet:4", GST_DEBUG_NO_COLOR="1"),
                                 stdout=open(log, "w"),
                                 stderr=subprocess.STDOUT)
            procs.append(p)
            recv_procs.append((p, log, out))
            if not wait_listening(port, p):
                raise Fail("receiving server did not start\n" + tail(log))

        log = os.path.join(workdir, "pipeline.log")
        pipe = subprocess.Popen(testwrap.wrap(["gst-launch-1.0"] + opts +
                                              tokens),
                                cwd=workdir, env=env, stdout=open(log, "w"),
                                stderr=subprocess.STDOUT)
        procs.append(pipe)
        print("    $ gst-launch-1.0 %s" % " ".join(
            shlex.quote(t) for t in opts + tokens), flush=True)

        if publishers:
            for url, port in publishers:
                if not wait_listening(port, pipe):
                    raise Fail("rtmpingestsrc did not listen on %d\n%s" %
                               (port, tail(log)))
                flog = os.path.join(workdir, "ffmpeg-%d.log" % port)
                print("    publisher: ffmpeg -re -i source.flv -c copy -f flv "
                      "%s" % url, flush=True)
                r = subprocess.run(
                    ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error",
                     "-re", "-i", SOURCE_FLV, "-c", "copy", "-f", "flv", url],
                    cwd=workdir, stdout=open(flog, "w"),
                    stderr=subprocess.STDOUT, timeout=60)
                if r.returncode != 0:
                    raise Fail("ffmpeg could not publish to %s\n%s\n"
                               "pipeline log:\n%s" % (url, tail(flog),
                                                      tail(log)))
            # on-unpublish=eos ends the pipeline by itself
            try:
                pipe.wait(testwrap.scaled(5))
            except subprocess.TimeoutExpired:
                pass
        else:
            # the pipeline's own sources: `seconds` of it running, counted
            # from PLAYING (a checked gst-launch-1.0 with encoders may take
            # longer to get there than the whole run), and, with a
            # receiving server, until media went through. An EOS before
            # any buffer reached flvmux would not end the pipeline: in
            # GStreamer 1.22 flvmux spins on a pad that got EOS without
            # data ("Best pad not found"), so a Ctrl-C in the first moments
            # of README example 4 under ASan hung it.
            wait_running(pipe, log, testwrap.scaled(60))
            deadline = time.monotonic() + testwrap.scaled(seconds)
            wait_received(pipe, [os.path.join(workdir, r[4])
                                 for r in receivers], testwrap.scaled(60))
            try:
                pipe.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        rc = stop(pipe, "pipeline", log)
        if rc != 0:
            raise Fail("pipeline exited with %d\n%s" % (rc, tail(log)) +
                       "".join("receiving server %d:\n%s" % (i, tail(rl))
                               for i, (_, rl, _) in enumerate(recv_procs)))

        results = []
        for p, rlog, out in recv_procs:
            try:
                p.wait(testwrap.scaled(10))
            except subprocess.TimeoutExpired:
                pass
            rc = stop(p, "receiving server", rlog)
            if rc != 0:
                raise Fail("receiving server exited with %d\n%s" %
                           (rc, tail(rlog)))
            streams = probe(os.path.join(workdir, out))
            if "video" not in streams:
                raise Fail("the stream received from rtmppublishsink has no "
                           "video: %s" % streams)
            results.append("received %s (%s)" % (out, "+".join(streams)))
        for f, p, v in outputs:
            results.append(check_output(workdir, f, p, v))
        return results
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def main(argv):
    list_only = "--list" in argv
    paths = []
    for a in argv:
        if a.startswith("--"):
            continue
        if os.path.isdir(a):
            paths += sorted(glob.glob(os.path.join(a, "*.md")))
        else:
            paths.append(a)
    ran = skipped = failed = 0
    for path in paths:
        rel = os.path.relpath(path, TOP)
        for lineno, cmd, directives in extract(path):
            where = "%s:%d" % (rel, lineno)
            if list_only:
                print("%s: %s %s" % (where, cmd, directives))
                continue
            print("== %s" % where, flush=True)
            workdir = tempfile.mkdtemp(prefix="doc-pipeline-")
            t0 = time.monotonic()
            try:
                results = run_pipeline(cmd, directives, workdir)
                ran += 1
                print("   OK in %.0f s%s" % (
                    time.monotonic() - t0,
                    ": " + "; ".join(results) if results else ""),
                    flush=True)
                shutil.rmtree(workdir, ignore_errors=True)
            except Skip as e:
                skipped += 1
                print("   SKIP: %s" % e, flush=True)
                shutil.rmtree(workdir, ignore_errors=True)
            except (Fail, subprocess.SubprocessError, OSError) as e:
                failed += 1
                print("   FAIL after %.0f s: %s\n   (files kept in %s)\n"
                      "   command: %s" % (time.monotonic() - t0, e, workdir,
                                          cmd), flush=True)
    if list_only:
        return 0
    print("%d ran, %d skipped, %d failed" % (ran, skipped, failed))
    if failed:
        return 1
    return 0 if ran else 77


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
