#!/usr/bin/python3
# Runs an example application from docs/examples/ (the C one or the Python
# one: the command is given on the command line) as a user would: publishes
# tests/fixtures/source.flv to it with ffmpeg, first with a stream key its
# authorize handler refuses, then with the right one, and checks what it
# printed (authorize, bus messages, periodic stats) and what it recorded.
# A second run interrupts it with SIGINT while a publisher is live: it must
# finish the recording (EOS) and exit 0.
#
#   examples_test.py COMMAND [ARGS...]
# SPDX-License-Identifier: LGPL-2.1-or-later
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "interop"))
import testwrap  # noqa: E402

FIXTURES = os.environ.get("RTMP_FIXTURES_DIR", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
SOURCE = os.path.join(FIXTURES, "source.flv")
failures = []


def check(cond, what):
    print("%s: %s" % ("ok" if cond else "FAIL", what), flush=True)
    if not cond:
        failures.append(what)


def start(cmd, out_flv, log):
    proc = subprocess.Popen(testwrap.wrap(
        cmd + ["--port", "0", "--key", "goodkey", "--stats-ms", "300",
               out_flv]), stdout=open(log, "w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + testwrap.scaled(20)
    while time.monotonic() < deadline:
        m = re.search(r"listening on rtmp://[^:]+:(\d+)/", open(log).read())
        if m:
            return proc, int(m.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("the example did not start:\n" + open(log).read())


def ffmpeg(port, key, extra=(), wait=True):
    args = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-re"]
    args += list(extra) + ["-i", SOURCE, "-c", "copy", "-f", "flv",
                           "rtmp://127.0.0.1:%d/live/%s" % (port, key)]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    if not wait:
        return p
    _, err = p.communicate(timeout=60)
    return p.returncode, err


def probe(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                        "stream=codec_name", "-of", "csv=p=0", path],
                       capture_output=True, text=True)
    return r.returncode, r.stdout.split()


def main(cmd):
    work = tempfile.mkdtemp(prefix="example-test-")
    # 1. refused key, then a full publish; the example ends on its own
    out = os.path.join(work, "rec.flv")
    log = os.path.join(work, "app.log")
    proc, port = start(cmd, out, log)
    rc, err = ffmpeg(port, "wrongkey")
    check(rc != 0, "ffmpeg fails with a refused key")
    check("Refused by the application" in err,
          "ffmpeg says why: %r" % err.strip()[-120:])
    rc, err = ffmpeg(port, "goodkey")
    check(rc == 0, "ffmpeg publishes with the right key (%s)" % err.strip())
    try:
        proc.wait(testwrap.scaled(20))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    text = open(log).read()
    print(text)
    check(proc.returncode == 0, "the example exits 0 after the publisher "
          "stopped (got %s)" % proc.returncode)
    check(re.search(r"authorize: .*stream=wrongkey.*-> refuse", text),
          "authorize refused the wrong key")
    check("refused: " in text and "NetStream.Publish.Denied" in text,
          "refused message with its code")
    check(re.search(r"authorize: .*stream=goodkey.*-> accept", text),
          "authorize accepted the right key")
    check(re.search(r"connected: peer=127\.0\.0\.1:\d+ app=live encoder=FMLE",
                    text), "connected message")
    check("publishing: " in text and "stream=goodkey" in text,
          "publishing message")
    check(re.search(r"metadata: encoder=Lavf\S* width=320 height=240 "
                    r"framerate=25", text), "metadata message")
    m = [tuple(map(int, x)) for x in re.findall(
        r"stats: publishing=1 bitrate=(\d+) video-frames=(\d+) "
        r"audio-frames=(\d+)", text)]
    check(len(m) >= 2, "stats printed periodically while publishing")
    check(any(b > 0 for b, _, _ in m) and max(v for _, v, _ in m) > 0 and
          max(a for _, _, a in m) > 0, "stats show bitrate and frames")
    check(re.search(r"stopped: peer=\S+ reason=FCUnpublish bytes-in=[1-9]",
                    text), "stopped message")
    check("end of stream" in text, "end of stream")
    rc, codecs = probe(out)
    check(rc == 0 and codecs == ["h264", "aac"],
          "recording is readable H.264 + AAC (%s)" % codecs)

    # 2. Ctrl-C while a publisher is live finalises the recording
    out2 = os.path.join(work, "rec2.flv")
    log2 = os.path.join(work, "app2.log")
    proc, port = start(cmd, out2, log2)
    pub = ffmpeg(port, "goodkey", extra=("-stream_loop", "5"), wait=False)
    deadline = time.monotonic() + testwrap.scaled(15)
    # interrupt once frames were recorded (right after the publish starts
    # the recording may hold nothing yet, and nothing is not readable)
    live = re.compile(r"stats: publishing=1 .*video-frames=[1-9]")
    while time.monotonic() < deadline and \
            not live.search(open(log2).read()):
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(testwrap.scaled(15))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    pub.kill()
    pub.communicate()
    text = open(log2).read()
    check(proc.returncode == 0, "SIGINT: the example exits 0 (got %s)" %
          proc.returncode)
    check("interrupted" in text and "end of stream" in text,
          "SIGINT: EOS reached")
    rc, codecs = probe(out2)
    check(rc == 0 and "h264" in codecs,
          "SIGINT: recording is readable (%s)" % codecs)
    if failures:
        print("FAILED: %s (files in %s)" % ("; ".join(failures), work))
        print(text)
        return 1
    subprocess.run(["rm", "-rf", work])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
