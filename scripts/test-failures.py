#!/usr/bin/python3
# Why tests failed, in a few lines each, from meson's JSON test logs.
# Copyright (C) 2026 The gst-rtmp-ingest authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""usage: test-failures.py LABEL=TESTLOG.json [LABEL=TESTLOG.json...]

scripts/test.sh prints this last, so that the end of a CI log (often all
that is kept of it) names every failed test and the lines that say why:
the harness's own failure list, assertion and checker reports. The full
output of each failed test is earlier in the log and in the JSON file.
"""
import json
import re
import sys

# lines that say why: our harnesses' "FAIL:"/"  - what" lists, check's
# and Python's assertion reports, checker summaries, GStreamer errors
WHY = re.compile(r"FAIL|[Ee]rror|ERROR|[Ff]ailed|failure|definitely lost|"
                 r"Traceback|[Aa]ssert|SUMMARY|timed out|[Tt]imeout|hung|"
                 r"CRITICAL|^  - ")
VERDICT = re.compile(r"^(FAIL|- |[A-Za-z]*Error:|Assertion|.*runtime error|"
                     r"==\d+==ERROR|.*definitely lost: [1-9]|.*\.c:\d+:[EF]:)")
# valgrind's banner and clean summaries match the above but say nothing
NOISE = re.compile(r"^==\d+== (Memcheck|Copyright|HEAP SUMMARY|LEAK SUMMARY|"
                   r"Command:|For lists|ERROR SUMMARY: 0 |"
                   r"   definitely lost: 0 )")
PER_TEST = 4
WIDTH = 200


def reasons(entry):
    """the harness's own verdicts first (FAIL lines, failure lists, checker
    reports), then other lines that look like reasons, the last ones of
    the output first"""
    text = (entry.get("stdout") or "") + "\n" + (entry.get("stderr") or "")
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    why = []
    for pattern in (VERDICT, WHY):
        for line in reversed(lines):
            if len(why) == PER_TEST:
                break
            if pattern.search(line) and not NOISE.search(line) and \
                    line not in why:
                why.append(line)
    if not why:
        why = lines[-3:][::-1]
    why.sort(key=lines.index)
    return [l if len(l) <= WIDTH else l[:WIDTH - 3] + "..." for l in why]


def main(args):
    n = 0
    for arg in args:
        label, _, path = arg.partition("=")
        try:
            with open(path, errors="replace") as f:
                entries = [json.loads(l) for l in f if l.strip()]
        except (OSError, ValueError) as e:
            print("%s: no test log (%s)" % (label, e))
            continue
        for e in entries:
            if e.get("result") in ("OK", "SKIP", "EXPECTEDFAIL"):
                continue
            n += 1
            name = e.get("name", "?").split(" / ")[-1]
            print("%s / %s: %s after %.0f s" % (
                label, name, e.get("result"), e.get("duration") or 0))
            for line in reasons(e):
                print("    " + line)
    return n


if __name__ == "__main__":
    main(sys.argv[1:])
