# Memory checkers around the processes that the test harnesses start.
# Copyright (C) 2026 The gst-rtmp-ingest authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Wrapper support shared by the Python harnesses (interop, hostile, docs).

Every harness passes the command line of each process it starts that loads
the plugin (gst-launch-1.0 or gst-inspect-1.0 with our elements, the
example programs, a Python pipeline process) through wrap(), and stretches
its time limits with scaled(). The environment says what to do:

  RTMP_TEST_WRAPPER   shell words put in front of every native program
                      that loads the plugin, e.g. valgrind and its options
                      (`meson test --setup=valgrind` sets it). When the
                      wrapper is valgrind, Python pipeline processes get
                      it too, each process logs to a file of its own, and
                      a harness that runs our elements in its own process
                      re-executes itself under valgrind first
                      (check_this_process()).
  RTMP_TEST_ASAN      set by tests/meson.build in ASan builds, where the
                      harness and every process it starts have the
                      sanitizer runtime preloaded (LD_PRELOAD): the native
                      programs given to wrap() get leak detection (with
                      the slow unwinder that tests/lsan.supp needs), all
                      other processes only the error checks; reports of
                      the wrapped processes go to files. A program that
                      is itself built with ASan (the C examples of an ASan
                      build) runs without the preload.
  RTMP_TEST_SLOWDOWN  factor for time limits (default 1, or 2 in ASan
                      builds): how much slower the checked processes run.

At exit, every report with an error is printed and the harness exits with
status 1. A process killed by a signal leaves no report: only what ran to
its end is judged.
"""
import atexit
import glob
import os
import re
import shlex
import shutil
import sys
import tempfile

ASAN = bool(os.environ.get("RTMP_TEST_ASAN"))
WRAPPER = shlex.split(os.environ.get("RTMP_TEST_WRAPPER", ""))
SLOWDOWN = max(1.0, float(os.environ.get("RTMP_TEST_SLOWDOWN") or
                          (2 if ASAN else 1)))

_reports = None
# what valgrind must not report in Python processes besides
# tests/valgrind.supp (the interpreter's bindings: see the file)
PYTHON_SUPPRESSIONS = "--suppressions=" + os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "valgrind-python.supp")


def scaled(seconds):
    """A time limit of the test, stretched for the checked processes."""
    return seconds * SLOWDOWN


def _report_dir():
    global _reports
    if _reports is None:
        _reports = tempfile.mkdtemp(prefix="rtmp-test-reports-")
        atexit.register(_check_reports)
    return _reports


def _is_python(program):
    return os.path.basename(program).startswith("python")


def _has_asan_runtime(program):
    """TRUE if @program is linked with the ASan runtime itself."""
    path = shutil.which(program)
    if path is None:
        return False
    with open(path, "rb") as f:
        return b"__asan_init" in f.read()


def is_valgrind():
    """TRUE when the processes that load the plugin run under valgrind."""
    return bool(WRAPPER) and os.path.basename(WRAPPER[0]).startswith(
        "valgrind")


# Elements that load libav: libavcodec links libjxl, whose libhwy runs
# RDTSCP in its library constructor, which valgrind 3.19 does not emulate
# (SIGILL). Such pipelines run without valgrind (ASan still checks them).
_LIBAV_ELEMENTS = ("decodebin", "uridecodebin", "playbin", "avdec_",
                   "avenc_", "avmux_", "avdemux_")


def _needs_libav(cmd):
    return any(t.startswith(_LIBAV_ELEMENTS) for t in cmd)


# Encoders whose output holds uninitialised bits (libvo-aacenc's bitstream
# writer): memcheck reports them where we send those payload bytes, at our
# sendmsg(), not where they came from. Pipelines with these encoders run
# under memcheck without the uninitialised-value checks (addressability
# errors and leaks are still checked); the payload path is checked with
# them on by every test that publishes recorded or scripted media.
_UNINITIALISED_OUTPUT_ELEMENTS = ("voaacenc",)


def _has_uninitialised_output(cmd):
    return any(t.startswith(_UNINITIALISED_OUTPUT_ELEMENTS) for t in cmd)


def check_this_process():
    """Called first by a harness that runs our elements in its own process
    (Gst.parse_launch...): under the valgrind setup, re-executes the
    harness under valgrind, so that those pipelines are checked like the
    processes given to wrap(). Its report goes to the test's output and
    valgrind's exit status fails the test. Nothing to do in other setups
    (the ASan build checks the harness process through its preload)."""
    if not is_valgrind() or os.environ.get("RTMP_TEST_CHECKED"):
        return
    env = dict(os.environ, RTMP_TEST_CHECKED="1", PYTHONMALLOC="malloc")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvpe(WRAPPER[0], WRAPPER + [PYTHON_SUPPRESSIONS, sys.executable] +
               sys.argv, env)


def wrap(cmd, asan_options=""):
    """The command line @cmd (a list) of a process that loads the plugin,
    run under the memory checker of this test run. @asan_options: more
    ASAN_OPTIONS for this process (ASan builds)."""
    cmd = list(cmd)
    python = _is_python(cmd[0])
    prefix = []
    if ASAN:
        d = _report_dir()
        opts = os.environ.get("ASAN_OPTIONS", "")
        if not python:
            opts += ":detect_leaks=1:fast_unwind_on_malloc=0" \
                    ":malloc_context_size=30"
        if asan_options:
            opts += ":" + asan_options
        opts += ":log_path=" + os.path.join(d, "asan")
        ubsan = "%s:log_path=%s" % (os.environ.get("UBSAN_OPTIONS", ""),
                                    os.path.join(d, "ubsan"))
        prefix = ["env", "ASAN_OPTIONS=" + opts, "UBSAN_OPTIONS=" + ubsan]
        if not python and _has_asan_runtime(cmd[0]):
            prefix[1:1] = ["-u", "LD_PRELOAD"]
    if WRAPPER and (not python or is_valgrind()) and \
            not (is_valgrind() and _needs_libav(cmd)):
        prefix += WRAPPER
        if is_valgrind():
            prefix.append("--log-file=" +
                          os.path.join(_report_dir(), "valgrind.%p"))
            if python:
                prefix.append(PYTHON_SUPPRESSIONS)
            if _has_uninitialised_output(cmd):
                prefix.append("--undef-value-errors=no")
    return prefix + cmd


def _check_reports():
    bad = []
    for path in sorted(glob.glob(os.path.join(_reports, "*"))):
        with open(path, errors="replace") as f:
            text = f.read()
        if os.path.basename(path).startswith("valgrind."):
            m = re.search(r"ERROR SUMMARY: (\d+) errors", text)
            if m is None or m.group(1) == "0":
                continue
        elif not text.strip():
            continue
        bad.append((path, text))
    if not bad:
        shutil.rmtree(_reports, ignore_errors=True)
        return
    for path, text in bad:
        print("==== memory checker report %s\n%s" % (path, text[-30000:]))
    print("FAIL: %d process(es) with memory errors or leaks (reports kept "
          "in %s)" % (len(bad), _reports), flush=True)
    sys.stderr.flush()
    os._exit(1)
