# A small raw RTMP writer for the hostile-input tests: handshake, chunk
# writer and AMF0 writer, so tests can send exactly the bytes they want,
# well-formed or not.
# Copyright (C) 2026 The gst-rtmp-ingest authors
# SPDX-License-Identifier: LGPL-2.1-or-later
import os
import socket
import struct
import time

# message types (reference §6)
SET_CHUNK_SIZE, ABORT, ACK, USER_CONTROL, WINDOW_ACK = 1, 2, 3, 4, 5
PEER_BW, AUDIO, VIDEO, DATA_AMF3, COMMAND_AMF3 = 6, 8, 9, 15, 17
DATA_AMF0, COMMAND_AMF0, AGGREGATE = 18, 20, 22


# ---------------------------------------------------------------- AMF0 --
class Raw(bytes):
    """Bytes written into an AMF0 sequence as they are (malformed values)."""


class EcmaArray(dict):
    pass


def amf0(*values):
    return b"".join(amf0_value(v) for v in values)


def amf0_string_body(s):
    b = s if isinstance(s, bytes) else s.encode("utf-8")
    if len(b) > 0xFFFF:
        return b"\x0c" + struct.pack(">I", len(b)) + b
    return b"\x02" + struct.pack(">H", len(b)) + b


def amf0_key(k):
    b = k if isinstance(k, bytes) else k.encode("utf-8")
    return struct.pack(">H", len(b)) + b


def amf0_props(d):
    return b"".join(amf0_key(k) + amf0_value(v) for k, v in d.items()) + \
        b"\x00\x00\x09"


def amf0_value(v):
    if isinstance(v, Raw):
        return bytes(v)
    if v is None:
        return b"\x05"
    if isinstance(v, bool):
        return b"\x01" + (b"\x01" if v else b"\x00")
    if isinstance(v, (int, float)):
        return b"\x00" + struct.pack(">d", float(v))
    if isinstance(v, (str, bytes)):
        return amf0_string_body(v)
    if isinstance(v, EcmaArray):
        return b"\x08" + struct.pack(">I", len(v)) + amf0_props(v)
    if isinstance(v, dict):
        return b"\x03" + amf0_props(v)
    if isinstance(v, (list, tuple)):
        return b"\x0a" + struct.pack(">I", len(v)) + amf0(*v)
    raise TypeError(v)


# ---------------------------------------------------------- chunk writer --
def basic_header(fmt, csid):
    if 2 <= csid <= 63:
        return bytes([(fmt << 6) | csid])
    if 64 <= csid <= 319:
        return bytes([fmt << 6, csid - 64])
    if 64 <= csid <= 65599:
        return bytes([(fmt << 6) | 1, (csid - 64) & 0xFF, (csid - 64) >> 8])
    raise ValueError("csid %d" % csid)


def u24(v):
    return struct.pack(">I", v)[1:]


def chunk_header(fmt, csid, ts=0, length=0, mtype=0, msid=0, ext=None):
    """One chunk header; ts >= 0xFFFFFF goes to the extended field (or
    pass ext explicitly, e.g. for type 3)."""
    h = basic_header(fmt, csid)
    field = min(ts, 0xFFFFFF)
    if fmt == 0:
        h += u24(field) + u24(length) + bytes([mtype]) + \
            struct.pack("<I", msid)
    elif fmt == 1:
        h += u24(field) + u24(length) + bytes([mtype])
    elif fmt == 2:
        h += u24(field)
    if fmt < 3 and field == 0xFFFFFF:
        h += struct.pack(">I", ts if ext is None else ext)
    elif fmt == 3 and ext is not None:
        h += struct.pack(">I", ext)
    return h


def chunks(csid, mtype, msid, ts, payload, chunk_size=128, fmt=0,
           repeat_ext=True, length=None):
    """A whole message as chunks: a type fmt (0/1) header, then type 3
    continuations (repeating the extended timestamp like ffmpeg unless
    repeat_ext is False). length overrides the declared length."""
    n = len(payload) if length is None else length
    out = [chunk_header(fmt, csid, ts, n, mtype, msid)]
    ext = ts if (ts >= 0xFFFFFF and repeat_ext) else None
    for i in range(0, max(len(payload), 1), chunk_size):
        if i:
            out.append(chunk_header(3, csid, ext=ext))
        out.append(payload[i:i + chunk_size])
    return b"".join(out)


def control(mtype, payload):
    return chunks(2, mtype, 0, 0, payload)


def set_chunk_size(n):
    return control(SET_CHUNK_SIZE, struct.pack(">I", n & 0xFFFFFFFF))


def command(name, tid, *args, csid=3, msid=0, chunk_size=128):
    return chunks(csid, COMMAND_AMF0, msid, 0, amf0(name, tid, *args),
                  chunk_size)


def connect_cmd(app="live", port=1935, extra=None, chunk_size=128):
    obj = {"app": app, "type": "nonprivate",
           "flashVer": "FMLE/3.0 (compatible; hostile)",
           "tcUrl": "rtmp://127.0.0.1:%d/%s" % (port, app)}
    if extra:
        obj.update(extra)
    return command("connect", 1, obj, chunk_size=chunk_size)


def create_stream_cmd(tid=2, chunk_size=128):
    return command("createStream", tid, None, chunk_size=chunk_size)


def publish_cmd(key="key", msid=1, tid=3, chunk_size=128):
    return command("publish", tid, None, key, "live", csid=8, msid=msid,
                   chunk_size=chunk_size)


# -------------------------------------------------------------- FLV file --
def flv_tags(path):
    """(type, timestamp, body) of every tag of an FLV file."""
    with open(path, "rb") as f:
        data = f.read()
    off = struct.unpack(">I", data[5:9])[0] + 4
    tags = []
    while off + 11 <= len(data):
        t = data[off] & 0x1F
        size = int.from_bytes(data[off + 1:off + 4], "big")
        ts = int.from_bytes(data[off + 4:off + 7], "big") | \
            (data[off + 7] << 24)
        tags.append((t, ts, data[off + 11:off + 11 + size]))
        off += 11 + size + 4
    return tags


def media_messages(tags, ts_offset=0, chunk_size=4096, repeat_ext=True,
                   fmt=0):
    """The tags as RTMP messages on msid 1 (audio csid 4, video 6, data 5);
    script tags get the @setDataFrame prefix as encoders send them."""
    out = []
    for t, ts, body in tags:
        csid = {AUDIO: 4, VIDEO: 6}.get(t, 5)
        if t == DATA_AMF0:
            body = amf0("@setDataFrame") + body
        out.append(chunks(csid, t, 1, (ts + ts_offset) & 0xFFFFFFFF, body,
                          chunk_size, fmt=fmt, repeat_ext=repeat_ext))
    return b"".join(out)


# ------------------------------------------------------------ the client --
C1_SIZE = 1536


def c0c1(version=3, zero=b"\0\0\0\0", random=None):
    return bytes([version]) + struct.pack(">I", 0) + zero + \
        (random if random is not None else os.urandom(C1_SIZE - 8))


class Client:
    """A raw TCP client; every call bounded by `timeout` seconds."""

    def __init__(self, port, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(timeout)
        self.timeout = timeout
        self.port = port
        self.local = "127.0.0.1:%d" % self.sock.getsockname()[1]

    def send(self, data):
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            d = self.sock.recv(n - len(buf))
            if not d:
                raise EOFError("closed after %d of %d bytes" % (len(buf), n))
            buf += d
        return buf

    def handshake(self, c1=None):
        self.send(c1 if c1 is not None else c0c1())
        s = self.recv_exact(1 + 2 * C1_SIZE)
        self.s1 = s[1:1 + C1_SIZE]
        return s

    def c2(self):
        return self.s1      # the echo of S1 (plain handshake)

    def start_publish(self, key="key", app="live", chunk_size=4096):
        """handshake + connect + createStream + publish in one go."""
        self.handshake()
        self.send(self.c2() + set_chunk_size(chunk_size) +
                  connect_cmd(app, self.port, chunk_size=chunk_size) +
                  create_stream_cmd(chunk_size=chunk_size) +
                  publish_cmd(key, chunk_size=chunk_size))

    def read_until_closed(self, timeout=None):
        """Reads and drops everything until the server closes: True if it
        did within timeout, False if the connection is still open."""
        deadline = time.monotonic() + (timeout or self.timeout)
        self.received = b""
        if self.sock.fileno() < 0:
            return True         # we closed it
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return True     # reset
            if not d:
                return True
            if len(self.received) < 1 << 20:
                self.received += d
        return False

    def finish(self):
        """a clean end: half-close, read what is left until the server
        closes too (closing with unread data would send a reset)"""
        if self.sock.fileno() < 0:
            return
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        self.read_until_closed(2)
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def abort(self):
        """close with RST (SO_LINGER 0)"""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
        self.close()


# ------------------------------------------- reading (scripted servers) --
class ChunkReader:
    """Just enough of a chunk reader to script a server: whole messages
    (type, msid, payload) from the bytes fed."""

    def __init__(self):
        self.buf = b""
        self.chunk_size = 128
        self.streams = {}       # csid -> [ts, length, type, msid, body]

    def feed(self, data):
        self.buf += data
        out = []
        while True:
            m = self._one()
            if m is None:
                return out
            if m[0] == SET_CHUNK_SIZE:
                self.chunk_size = struct.unpack(">I", m[2][:4])[0]
            out.append(m)

    def _one(self):
        b = self.buf
        while True:
            if not b:
                return None
            fmt, csid, p = b[0] >> 6, b[0] & 0x3F, 1
            if csid == 0:
                if len(b) < 2:
                    return None
                csid, p = 64 + b[1], 2
            elif csid == 1:
                if len(b) < 3:
                    return None
                csid, p = 64 + b[1] + (b[2] << 8), 3
            need = p + (11, 7, 3, 0)[fmt]
            if len(b) < need:
                return None
            st = self.streams.setdefault(csid, [0, 0, 0, 0, b""])
            if fmt <= 2:
                ts = int.from_bytes(b[p:p + 3], "big")
                if ts == 0xFFFFFF:
                    need += 4
                    if len(b) < need:
                        return None
            if fmt <= 1:
                st[1] = int.from_bytes(b[p + 3:p + 6], "big")
                st[2] = b[p + 6]
            if fmt == 0:
                st[3] = struct.unpack("<I", b[p + 7:p + 11])[0]
            left = st[1] - len(st[4])
            n = min(left, self.chunk_size)
            if len(b) < need + n:
                return None
            st[4] += b[need:need + n]
            b = self.buf = b[need + n:]
            if len(st[4]) == st[1]:
                msg = (st[2], st[3], st[4])
                st[4] = b""
                return msg


def amf0_read(data, off=0):
    """(value, next offset) of one AMF0 value (numbers, strings, null,
    objects; enough for commands)"""
    m = data[off]
    if m == 0:
        return struct.unpack(">d", data[off + 1:off + 9])[0], off + 9
    if m == 1:
        return bool(data[off + 1]), off + 2
    if m == 2:
        n = struct.unpack(">H", data[off + 1:off + 3])[0]
        return data[off + 3:off + 3 + n].decode("utf-8", "replace"), \
            off + 3 + n
    if m in (5, 6):
        return None, off + 1
    if m in (3, 8):
        off += 1 if m == 3 else 5
        obj = {}
        while data[off:off + 3] != b"\x00\x00\x09":
            n = struct.unpack(">H", data[off:off + 2])[0]
            k = data[off + 2:off + 2 + n].decode("utf-8", "replace")
            obj[k], off = amf0_read(data, off + 2 + n)
        return obj, off + 3
    raise ValueError("AMF0 marker %d" % m)


def amf0_read_all(data):
    vals, off = [], 0
    while off < len(data):
        v, off = amf0_read(data, off)
        vals.append(v)
    return vals
