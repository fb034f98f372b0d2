#!/usr/bin/python3
# Interop tests of RTMPS (TLS) and Adobe authentication, both elements.
# Copyright (C) 2026 The gst-rtmp-ingest authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""usage: test_tls.py CASE

A throw-away CA and server certificate (CN/SAN 127.0.0.1) are made with the
openssl command in a temp dir. Peers: ffmpeg, rtmp2sink, nginx-rtmp behind
stunnel4, and our own two elements. Received frames are compared with the
source by the helpers of ingest_interop.py / test_publish.py.
Exit status 0 = pass, 77 = a needed peer is missing (skip), else fail.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ingest_interop as ii  # noqa: E402
import test_publish as tp  # noqa: E402
from ingest_interop import Gst, check, log  # noqa: E402

TMP = tempfile.mkdtemp(prefix="test-tls-")
USER, PASSWORD = "alice", "s3cret"


def make_certs():
    """ca.pem, server.pem (leaf + CA: a chain file), server.key, and an
    unrelated self-signed other.pem"""
    ii.need("openssl")

    def run(*args):
        subprocess.run(["openssl"] + list(args), check=True, cwd=TMP,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
        "-out", "ca.pem", "-days", "2", "-subj", "/CN=gst-rtmp-ingest test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
        "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(TMP, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey",
        "ca.key", "-CAcreateserial", "-out", "leaf.pem", "-days", "2",
        "-extfile", "ext.cnf")
    with open(os.path.join(TMP, "server.pem"), "w") as out:
        for name in ("leaf.pem", "ca.pem"):
            with open(os.path.join(TMP, name)) as f:
                out.write(f.read())
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
        "other.key", "-out", "other.pem", "-days", "2", "-subj",
        "/CN=someone else")
    return {k: os.path.join(TMP, k + ".pem") for k in ("ca", "server",
                                                       "other")}


def tls_props(certs, mode="tls"):
    return "tls-mode=%s tls-certificate=%s tls-key=%s" % (
        mode, certs["server"], os.path.join(TMP, "server.key"))


def url(ing, scheme="rtmps", cred="", key="key"):
    return "%s://%s127.0.0.1:%d/live/%s" % (scheme, cred, ing.port, key)


def rtmp2sink_cmd(location, extra=()):
    return ["gst-launch-1.0", "-q", "-e", "filesrc",
            "location=" + ii.SOURCE, "!", "flvdemux", "name=d", "flvmux",
            "name=m", "streamable=true", "!", "rtmp2sink",
            "location=" + location] + list(extra) + [
            "d.video", "!", "queue", "!", "h264parse", "!", "m.video",
            "d.audio", "!", "queue", "!", "aacparse", "!", "m.audio"]


def ingest_run(extra, publish, shift, label, n_publishers=1):
    """An ingest pipeline; publish(ing) starts the publishers and returns
    a list of (proc or None, expect_ok); frames compared with the source"""
    truth = ii.load_truth()
    pipeline = Gst.Pipeline.new()
    ing = ii.Ingest(pipeline, "ingest", extra)
    pipeline.set_state(Gst.State.PLAYING)
    check(ing.port > 0, "current-port is set")
    procs = publish(ing)
    result = ii.run_until_eos(pipeline)
    for p in procs:
        ii.finish(p, label)
    pipeline.set_state(Gst.State.NULL)
    check(result == "eos", "%s: EOS after unpublish (got %s)" % (label,
                                                                  result))
    if n_publishers == 1:
        ii.compare(ing.rows, truth, shift, label)
    return ing


def sink_publish(location, extra=""):
    """our sink in this process: (kind, error text)"""
    p = tp.publish_pipeline(location, extra)
    kind, msg, _ = tp.run_pipeline(p, 30)
    return kind, tp.error_text(msg) if kind == "error" else ""


def refused_run(extra, publish, label):
    """the ingest must get nothing: publish(ing) returns the result"""
    pipeline = Gst.Pipeline.new()
    ing = ii.Ingest(pipeline, "ingest", extra)
    pipeline.set_state(Gst.State.PLAYING)
    ret = publish(ing)
    stats = ing.src.get_property("stats")
    pipeline.set_state(Gst.State.NULL)
    check(len(ing.rows["video"]) == 0, "%s: nothing received" % label)
    check(not stats.get_value("publishing"), "%s: nobody publishing" % label)
    return ret


# ---------------------------------------------------------------- cases

def case_ffmpeg_rtmps():
    """ffmpeg publishes rtmps:// (it does not verify by default)"""
    ii.need("ffmpeg")
    certs = make_certs()
    ingest_run(tls_props(certs), lambda ing: [ii.start(ii.ffmpeg_cmd(
        url(ing), False))], 0, "ffmpeg rtmps")


def case_rtmp2sink_rtmps():
    """rtmp2sink (GIO TLS) publishes rtmps:// with validation off"""
    ii.need("gst-launch-1.0")
    ii.need_element("rtmp2sink", "flvmux")
    certs = make_certs()
    ingest_run(tls_props(certs), lambda ing: [ii.start(rtmp2sink_cmd(
        url(ing), ["tls-validation-flags=0"]))], ii.FLVMUX_SHIFT_MS,
        "rtmp2sink rtmps")


def case_sink_rtmps():
    """our sink -> our source over TLS, the CA passed by tls-ca-file; the
    stream key check keeps working over TLS (a wrong key: Unauthorized)"""
    certs = make_certs()
    res = {}

    def publish(ing):
        res["ok"] = sink_publish(url(ing), "tls-ca-file=" + certs["ca"])
        return []
    ingest_run(tls_props(certs) + " stream-key=key", publish,
               ii.FLVMUX_SHIFT_MS, "sink rtmps")
    check(res["ok"][0] == "eos", "sink EOS: %s" % (res["ok"],))

    def wrong_key(ing):
        return sink_publish(url(ing, key="nope"), "tls-ca-file=" +
                            certs["ca"])
    kind, err = refused_run(tls_props(certs) + " stream-key=key", wrong_key,
                            "wrong key over TLS")
    check(kind == "error" and "NetStream.Publish.Unauthorized" in err,
          "wrong stream key refused (Unauthorized) over TLS: %s" % err)


def case_sink_untrusted():
    """our sink refuses a certificate it cannot verify, with a clear
    error naming the reason and the properties"""
    certs = make_certs()

    def publish(ing):
        return sink_publish(url(ing))
    kind, err = refused_run(tls_props(certs), publish, "untrusted")
    log("error:", err)
    check(kind == "error", "an error (got %s)" % kind)
    check("could not be verified" in err, "says it could not verify")
    check("unable to get local issuer certificate" in err or
          "self-signed" in err or "self signed" in err,
          "says why (OpenSSL's reason)")
    check("tls-ca-file" in err and "tls-validation" in err,
          "names the properties to set")

    def wrong_ca(ing):
        return sink_publish(url(ing), "tls-ca-file=" + certs["other"])
    kind, err = refused_run(tls_props(certs), wrong_ca, "wrong CA")
    check(kind == "error" and "could not be verified" in err,
          "another CA is refused too: %s" % err)

    def no_validation(ing):
        return sink_publish(url(ing), "tls-validation=false")
    pipeline = Gst.Pipeline.new()
    ing = ii.Ingest(pipeline, "ingest", tls_props(certs))
    pipeline.set_state(Gst.State.PLAYING)
    kind, err = no_validation(ing)
    result = ii.run_until_eos(pipeline)
    pipeline.set_state(Gst.State.NULL)
    check(kind == "eos" and result == "eos",
          "tls-validation=false publishes (%s %s)" % (kind, err))


def stunnel_front(certs, port):
    """stunnel4 terminating TLS on a free port in front of @port:
    (process, TLS port), the port accepting"""
    tls_port = tp.free_port()
    conf = os.path.join(TMP, "stunnel.conf")
    with open(conf, "w") as f:
        f.write("foreground = yes\npid =\nsyslog = no\noutput = %s\n"
                "[rtmps]\naccept = 127.0.0.1:%d\nconnect = 127.0.0.1:%d\n"
                "cert = %s\nkey = %s\n" % (
                    os.path.join(TMP, "stunnel.log"), tls_port, port,
                    certs["server"], os.path.join(TMP, "server.key")))
    st = subprocess.Popen(["stunnel4", conf], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    tp.wait_port("127.0.0.1", tls_port)
    return st, tls_port


def sink_through_stunnel(certs, extra="", source=tp.SOURCE_FLV):
    """our sink -> stunnel (TLS) -> nginx-rtmp: (nginx's recordings, the
    sink's stats at EOS)"""
    nginx = tp.Nginx(TMP)
    nginx.start()
    st, tls_port = stunnel_front(certs, nginx.port)
    try:
        p = tp.publish_pipeline("rtmps://127.0.0.1:%d/live/key" % tls_port,
                                "tls-ca-file=%s %s" % (certs["ca"], extra),
                                source=source)
        kind, msg, _ = tp.run_pipeline(p, 120)
        check(kind == "eos", "sink EOS (%s %s)" % (
            kind, tp.error_text(msg) if kind == "error" else ""))
        stats = p.get_by_name("sink").get_property("stats")
        time.sleep(0.5)
    finally:
        st.terminate()
        st.wait()
        nginx.stop()
    rec = nginx.recordings()
    check(len(rec) == 1, "one nginx recording")
    return rec, stats


def case_sink_stunnel_nginx():
    """our sink -> stunnel (TLS) -> nginx-rtmp: nginx records every
    frame"""
    ii.need("stunnel4")
    rec, _ = sink_through_stunnel(make_certs())
    if rec:
        try:
            tp.check_frames_equal(rec[0])
        except tp.Fail as e:
            check(False, str(e))


def case_sink_stunnel_nginx_big():
    """our sink -> stunnel (TLS) -> nginx-rtmp with frames larger than a
    TLS record (lossless video, up to ~32 KB frames, chunk size 4096): nginx
    records every frame intact"""
    ii.need("stunnel4")
    ii.need("ffmpeg")
    certs = make_certs()
    flv = os.path.join(TMP, "big-frames.flv")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
         "testsrc2=size=640x480:rate=25", "-f", "lavfi", "-i",
         "sine=frequency=440:sample_rate=44100", "-t", "4", "-map", "0:v",
         "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0",
         "-g", "25", "-bf", "0", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a",
         "64k", "-f", "flv", flv], check=True)
    rec, stats = sink_through_stunnel(certs, "chunk-size=4096", flv)
    if not rec:
        return
    # 4 s pushed at once: after the first second the messages go out in
    # 64 KiB batches, staged into TLS records
    msgs, writes = stats.get_value("messages-out"), stats.get_value("writes")
    log("%d messages in %d writes" % (msgs, writes))
    check(writes * 2 < msgs, "input faster than real time written in "
          "batches over TLS")
    src = tp.probe_packets(flv)
    got = tp.probe_packets(rec[0])
    biggest = max(int(x["size"]) for x in src["video"])
    log("%d video frames (largest %d bytes), %d audio frames sent" %
        (len(src["video"]), biggest, len(src["audio"])))
    check(biggest > 16384, "frames larger than a TLS record")
    for kind in ("video", "audio"):
        a = [(x["size"], x["data_hash"]) for x in src[kind]]
        b = [(x["size"], x["data_hash"]) for x in got[kind]]
        check(a == b, "%s: %d frames sent, %d received, every one equal to "
              "the source" % (kind, len(a), len(b)))


def case_both_mode():
    """tls-mode=both: a TLS publisher and a plain one on the same port"""
    ii.need("ffmpeg")
    certs = make_certs()
    truth = ii.load_truth()
    pipeline = Gst.Pipeline.new()
    ing = ii.Ingest(pipeline, "ingest", tls_props(certs, "both") +
                    " on-unpublish=stay-alive")
    pipeline.set_state(Gst.State.PLAYING)
    for scheme in ("rtmps", "rtmp"):
        before = len(ing.rows["video"])
        p = ii.start(ii.ffmpeg_cmd(url(ing, scheme), False))
        ii.finish(p, "ffmpeg " + scheme)
        deadline = time.monotonic() + 10
        while (len(ing.rows["video"]) < before + len(truth["video"])
               and time.monotonic() < deadline):
            time.sleep(0.1)
        check(len(ing.rows["video"]) == before + len(truth["video"]),
              "%s publisher: every video frame (%d)" % (
                  scheme, len(ing.rows["video"]) - before))
        time.sleep(0.5)
    pipeline.set_state(Gst.State.NULL)
    # payloads equal to the source, twice
    got = [r[4] for r in ing.rows["video"]]
    exp = [r[4] for r in truth["video"]]
    check(got == exp + exp, "both publishers' video payloads equal the "
          "source")


def auth_props():
    return "username=%s password=%s" % (USER, PASSWORD)


def case_auth_ffmpeg():
    """ffmpeg rtmp://user:pass@ authenticates; a wrong password is refused
    with authfailed (ffmpeg: Incorrect username/password)"""
    ii.need("ffmpeg")
    ingest_run(auth_props(), lambda ing: [ii.start(ii.ffmpeg_cmd(
        url(ing, "rtmp", "%s:%s@" % (USER, PASSWORD)), False))], 0,
        "ffmpeg auth")

    def wrong(ing):
        p = subprocess.run(ii.ffmpeg_cmd(url(ing, "rtmp", USER + ":bad@"),
                                         False), capture_output=True,
                           text=True, timeout=30)
        return p
    p = refused_run(auth_props(), wrong, "ffmpeg wrong password")
    log(p.stderr.strip())
    check(p.returncode != 0, "ffmpeg fails")
    check("Incorrect username/password" in p.stderr and
          "reason=authfailed" in p.stderr, "ffmpeg says why")

    def none(ing):
        return subprocess.run(ii.ffmpeg_cmd(url(ing, "rtmp"), False),
                              capture_output=True, text=True, timeout=30)
    p = refused_run(auth_props(), none, "ffmpeg without credentials")
    check(p.returncode != 0 and "code=403 need auth" in p.stderr,
          "no credentials: refused with need auth: %s" % p.stderr.strip())


def case_auth_rtmp2sink():
    """rtmp2sink rtmp://user:pass@ authenticates; a wrong password gives
    its 'authentication failed' error"""
    ii.need("gst-launch-1.0")
    ii.need_element("rtmp2sink", "flvmux")
    ingest_run(auth_props(), lambda ing: [ii.start(rtmp2sink_cmd(
        url(ing, "rtmp", "%s:%s@" % (USER, PASSWORD))))],
        ii.FLVMUX_SHIFT_MS, "rtmp2sink auth")

    def wrong(ing):
        return subprocess.run(rtmp2sink_cmd(url(ing, "rtmp", USER +
                                                ":bad@")),
                              capture_output=True, text=True, timeout=30)
    p = refused_run(auth_props(), wrong, "rtmp2sink wrong password")
    out = p.stdout + p.stderr
    log(out.strip()[-600:])
    check(p.returncode != 0, "rtmp2sink fails")
    check("authentication failed" in out and "authfailed" in out,
          "rtmp2sink reports the refused credentials")


def case_auth_sink():
    """our sink: credentials by property and in the URI (also over TLS
    with the stream key); a wrong password is a NOT_AUTHORIZED error"""
    certs = make_certs()
    res = []

    def publish_props(ing):
        res.append(sink_publish(url(ing, "rtmp"), "username=%s password=%s"
                                % (USER, PASSWORD)))
        return []
    ingest_run(auth_props(), publish_props, ii.FLVMUX_SHIFT_MS,
               "sink auth (properties)")

    def publish_uri(ing):
        res.append(sink_publish(url(ing, "rtmps", "%s:%s@" % (USER,
                                                              PASSWORD)),
                                "tls-ca-file=" + certs["ca"]))
        return []
    ingest_run(auth_props() + " stream-key=key " + tls_props(certs),
               publish_uri, ii.FLVMUX_SHIFT_MS, "sink auth (URI, TLS)")
    check(all(r[0] == "eos" for r in res), "sink EOS: %s" % res)

    def wrong(ing):
        return sink_publish(url(ing, "rtmp", USER + ":bad@"))
    kind, err = refused_run(auth_props(), wrong, "sink wrong password")
    log("error:", err)
    check(kind == "error" and "wrong user name or password" in err and
          "authfailed" in err and "password" in err,
          "wrong password: a clear error")

    def missing(ing):
        return sink_publish(url(ing, "rtmp"))
    kind, err = refused_run(auth_props(), missing, "sink no credentials")
    check(kind == "error" and "requires a user name and password" in err,
          "no credentials: a clear error: %s" % err)

    # the get-password signal drives the check too
    pipeline = Gst.Pipeline.new()
    ing = ii.Ingest(pipeline, "ingest")
    asked = []

    def get_password(src, user):
        asked.append(user)
        return "other" if user == "bob" else None
    ing.src.connect("get-password", get_password)
    pipeline.set_state(Gst.State.PLAYING)
    kind, err = sink_publish(url(ing, "rtmp", "bob:other@"))
    result = ii.run_until_eos(pipeline)
    pipeline.set_state(Gst.State.NULL)
    check(kind == "eos" and result == "eos" and asked == ["bob"],
          "get-password signal: %s %s %s" % (kind, result, asked))


CASES = {name[5:].replace("_", "-"): fn for name, fn in globals().items()
         if name.startswith("case_")}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        sys.exit("usage: %s {%s}" % (sys.argv[0], "|".join(sorted(CASES))))
    if Gst.ElementFactory.find("rtmpingestsrc") is None:
        sys.exit("rtmpingestsrc not found: is GST_PLUGIN_PATH_1_0 set?")
    t0 = time.monotonic()
    try:
        CASES[sys.argv[1]]()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    log("%s: %s in %.1f s" % (sys.argv[1], "FAIL" if ii.failures else "PASS",
                              time.monotonic() - t0))
    sys.exit(1 if ii.failures else 0)
