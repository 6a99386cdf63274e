#!/usr/bin/env python3
"""A minimal TURN client (RFC 8656, long-term credentials of RFC 8489 §9.2) for the namespace
tests: only what the checks need, written from the RFCs. Every wait has a timeout.

  turn_probe.py dual HOST PORT USER PASS REALM COUNT   dual-stack Allocates, one UDP socket each
                                                        (the allocations outlive it: UDP); prints
                                                        "ok=N 508=M other=K"
  turn_probe.py events HOST PORT USER PASS REALM        an Allocate with a wrong password, one that
                                                        succeeds, a denied peer, a Refresh 0
  turn_probe.py tcp-binding HOST PORT [SOURCE]          Binding over TCP: prints "answered" or
                                                        "closed" or "no answer"
  turn_probe.py tcp-hold HOST PORT SOURCE               connects from SOURCE and prints
                                                        "answered" / "closed", then holds it
                                                        until stdin closes
"""
import hashlib, hmac, os, socket, struct, sys

MAGIC = 0x2112A442
ALLOCATE, REFRESH, PERMISSION, BINDING = 0x003, 0x004, 0x008, 0x001


def attr(t, v):
    return struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)


def message(method, attrs, key=None):
    tid = os.urandom(12)
    body = b"".join(attrs)
    if key is not None:
        # MESSAGE-INTEGRITY covers the header with the length including itself (RFC 8489 §14.5).
        head = struct.pack("!HHI", method, len(body) + 24, MAGIC) + tid
        body += attr(0x0008, hmac.new(key, head + body, hashlib.sha1).digest())
    return struct.pack("!HHI", method, len(body), MAGIC) + tid + body


def parse(data):
    mtype, length = struct.unpack("!HH", data[:4])
    attrs, at = {}, 20
    while at + 4 <= 20 + length:
        t, n = struct.unpack("!HH", data[at:at + 4])
        attrs.setdefault(t, []).append(data[at + 4:at + 4 + n])
        at += 4 + n + (-n % 4)
    code = 0
    if 0x0009 in attrs:
        e = attrs[0x0009][0]
        code = (e[2] & 7) * 100 + e[3]
    return mtype, code, attrs


class Udp:
    def __init__(self, host, port, user, password, realm):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.settimeout(2)
        self.s.connect((host, port))
        self.user, self.realm = user.encode(), realm.encode()
        self.key = hashlib.md5(self.user + b":" + self.realm + b":" + password.encode()).digest()
        self.nonce = None

    def request(self, method, attrs):
        for _ in range(3):
            extra, key = [], None
            if self.nonce is not None:
                extra = [attr(0x0006, self.user), attr(0x0014, self.realm), attr(0x0015, self.nonce)]
                key = self.key
            self.s.send(message(method, attrs + extra, key))
            try:
                mtype, code, a = parse(self.s.recv(2048))
            except socket.timeout:
                return -1, {}
            if code in (401, 438) and 0x0015 in a:
                if code == 401 and self.nonce is not None:
                    return code, a  # wrong credentials
                self.nonce = a[0x0015][0]
                continue
            return code, a
        return -1, {}


def dual(host, port, user, password, realm, count):
    counts, held, others = {"ok": 0, "508": 0, "other": 0}, [], []
    transport = attr(0x0019, bytes([17, 0, 0, 0]))
    additional = attr(0x8000, bytes([2, 0, 0, 0]))  # ADDITIONAL-ADDRESS-FAMILY: IPv6
    for _ in range(count):
        c = Udp(host, port, user, password, realm)
        code, a = c.request(ALLOCATE, [transport, additional])
        if code == 0 and len(a.get(0x0016, [])) == 2:
            counts["ok"] += 1
        elif code == 508:
            counts["508"] += 1
        else:
            counts["other"] += 1
            others.append("%d/%d relayed" % (code, len(a.get(0x0016, []))))
        held.append(c)
    print("ok=%d 508=%d other=%d" % (counts["ok"], counts["508"], counts["other"]), flush=True)
    if others:
        print("others: " + " ".join(others), file=sys.stderr)


def events(host, port, user, password, realm):
    transport = attr(0x0019, bytes([17, 0, 0, 0]))
    bad = Udp(host, port, user, password + "-wrong", realm)
    print("wrong password:", bad.request(ALLOCATE, [transport])[0])
    good = Udp(host, port, user, password, realm)
    print("allocate:", good.request(ALLOCATE, [transport])[0])
    peer = bytes([0, 1]) + struct.pack("!H", 9 ^ (MAGIC >> 16)) + \
        struct.pack("!I", 0x0A000001 ^ MAGIC)  # XOR-PEER-ADDRESS 10.0.0.1:9, denied by default
    print("permission:", good.request(PERMISSION, [attr(0x0012, peer)])[0])
    print("refresh 0:", good.request(REFRESH, [attr(0x000D, struct.pack("!I", 0))])[0], flush=True)


def tcp_binding(host, port, source=None, hold=False):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(3)
    if source:
        s.bind((source, 0))
    try:
        s.connect((host, port))
        s.sendall(message(BINDING, []))
        got = b""
        while len(got) < 20 or len(got) < 20 + struct.unpack("!H", got[2:4])[0]:
            chunk = s.recv(2048)
            if not chunk:
                print("closed", flush=True)
                break
            got += chunk
        else:
            print("answered", flush=True)
    except (ConnectionResetError, BrokenPipeError):
        print("closed", flush=True)
    except socket.timeout:
        print("no answer", flush=True)
    if hold:
        sys.stdin.read()


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "dual":
        dual(args[0], int(args[1]), args[2], args[3], args[4], int(args[5]))
    elif cmd == "events":
        events(args[0], int(args[1]), args[2], args[3], args[4])
    elif cmd == "tcp-binding":
        tcp_binding(args[0], int(args[1]), args[2] if len(args) > 2 else None)
    elif cmd == "tcp-hold":
        tcp_binding(args[0], int(args[1]), args[2], hold=True)
