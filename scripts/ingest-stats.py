#!/usr/bin/python3
# Reads `gst-launch-1.0 -m` output on stdin and prints rtmpingestsrc's bus
# messages (publisher connected / publishing / metadata / stopped / refused,
# and the periodic rtmp-ingest-stats) as a readable live log. Other
# gst-launch lines pass through, except the message dump noise.
# SPDX-License-Identifier: LGPL-2.1-or-later
import re
import signal
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

# Ctrl-C goes to the whole process group: gst-launch turns it into EOS and
# we keep reading until it has finished writing the file.
signal.signal(signal.SIGINT, signal.SIG_IGN)
Gst.init(None)

MSG = re.compile(r'^Got message #\d+ from element "([^"]*)" \(element\): '
                 r'(.*)$')
TTY = sys.stdout.isatty()
status_shown = False


def out(line):
    global status_shown
    if status_shown and TTY:
        sys.stdout.write("\r\033[K")
    status_shown = False
    print(line, flush=True)


def status(line):
    global status_shown
    if TTY:
        sys.stdout.write("\r\033[K" + line)
        sys.stdout.flush()
        status_shown = True
    else:
        print(line, flush=True)


def get(s, field, default=None):
    return s.get_value(field) if s.has_field(field) else default


def human_rate(bps):
    if bps >= 1e6:
        return "%.2f Mbit/s" % (bps / 1e6)
    return "%.0f kbit/s" % (bps / 1e3)


def hms(ns):
    sec = int(ns // Gst.SECOND)
    return "%02d:%02d:%02d" % (sec // 3600, sec // 60 % 60, sec % 60)


def handle(s):
    now = time.strftime("%H:%M:%S")
    name = s.get_name()
    if name == "rtmp-ingest-stats":
        if get(s, "publishing"):
            status("%s  %s -> %s/%s  %s  video %d  audio %d frames  up %s  "
                   "queued %d B" % (now, get(s, "peer"), get(s, "application"),
                                    get(s, "stream"),
                                    human_rate(get(s, "bitrate", 0)),
                                    get(s, "video-frames", 0),
                                    get(s, "audio-frames", 0),
                                    hms(get(s, "uptime", 0)),
                                    get(s, "queued-bytes", 0)))
        else:
            status("%s  waiting for a publisher (%d connection(s), %d "
                   "refused, %d dropped)" % (
                       now, get(s, "connections", 0), get(s, "refused", 0),
                       get(s, "dropped-peers", 0)))
    elif name == "rtmp-publisher-connected":
        out("%s  connect from %s: app '%s', encoder '%s'" % (
            now, get(s, "peer"), get(s, "application"),
            get(s, "flash-ver") or "?"))
    elif name == "rtmp-publisher-publishing":
        out("%s  PUBLISHING %s -> %s/%s%s" % (
            now, get(s, "peer"), get(s, "application"), get(s, "stream"),
            "?" + get(s, "query") if get(s, "query") else ""))
    elif name == "rtmp-publisher-metadata":
        m = get(s, "metadata")
        if m is not None:
            keys = ("encoder", "width", "height", "framerate",
                    "videocodecid", "videodatarate", "audiocodecid",
                    "audiosamplerate", "audiodatarate")
            parts = ["%s=%s" % (k, ("%g" % m.get_value(k))
                                if isinstance(m.get_value(k), float)
                                else m.get_value(k))
                     for k in keys if m.has_field(k)]
            out("%s  metadata: %s" % (now, " ".join(parts)))
    elif name == "rtmp-publisher-refused":
        out("%s  refused %s (%s/%s): %s %s" % (
            now, get(s, "peer"), get(s, "application"), get(s, "stream"),
            get(s, "code"), get(s, "description")))
    elif name == "rtmp-publisher-stopped":
        out("%s  STOPPED %s (%s%s): %d bytes, %d messages in %s" % (
            now, get(s, "peer"), get(s, "reason"),
            ": " + get(s, "error") if get(s, "error") else "",
            get(s, "bytes-in", 0), get(s, "messages-in", 0),
            hms(get(s, "duration", 0))))


for raw in sys.stdin:
    line = raw.rstrip("\n")
    m = MSG.match(line)
    if m:
        try:
            s = Gst.Structure.new_from_string(m.group(2).rstrip(";"))
        except (TypeError, ValueError):
            s = None
        if s is not None:
            handle(s)
        continue
    if line.startswith("Got message #"):
        # other bus messages dumped by -m: only errors and warnings matter
        if "(error)" in line or "(warning)" in line:
            out(line)
        continue
    out(line)
if status_shown:
    print()
