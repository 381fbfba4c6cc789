#!/usr/bin/python3
"""fwd_server - an independent Fluent forward protocol v1 server for the
forward output's tests, written against the specification
(github.com/fluent/fluentd/wiki/Forward-Protocol-Specification-v1) with
Debian's python3-msgpack, not with vigil's code.

It checks every message it receives against the spec and logs, one line a
record, "<connection> <event.seq>" to --out; a violation is written as a
line "VIOLATION <what>" and makes the server exit 3.

  fwd_server.py serve --port P --out FILE [--shared-key K] [--no-ack]
                      [--hostname H] [--ready FILE]
                      [--tls-cert C --tls-key K [--tls-client-ca CA]]
                      [--silent] [--hostile-ack ID] [--refuse-reason R]
                      [--withhold-acks] [--kinds FILE]
  fwd_server.py check --out FILE --expect N [--start S] [--allow-extra K]

check: every seq in [S, S+N) arrived; within a connection the seqs are
consecutive; a new connection starts at or before the highest seq seen so
far plus one (a resend after a lost ack, never a gap).  Exit 0 or 1.

Hostile peers for conn_e2e.sh: --silent accepts and never speaks;
--hostile-ack sends an extra ack with that id after each chunk;
--refuse-reason answers PING with a refusing PONG carrying that reason;
--withhold-acks takes chunks and never acknowledges them.

--kinds FILE also logs, one line a record, "<event.type> <agent.kind>"
("-" when absent), for tests that follow the agent's own events.
"""
import argparse
import hashlib
import os
import socket
import ssl
import sys
import threading

import msgpack

EVENT_TIME_EXT = 0


class Violation(Exception):
    pass


def check_time(t):
    if isinstance(t, msgpack.ExtType):
        if t.code != EVENT_TIME_EXT or len(t.data) != 8:
            raise Violation("EventTime must be ext type 0 with 8 bytes, got %r" % (t,))
        sec = int.from_bytes(t.data[:4], "big")
        nsec = int.from_bytes(t.data[4:], "big")
        if nsec >= 1000000000:
            raise Violation("EventTime nanoseconds out of range: %d" % nsec)
        return
    if isinstance(t, int) and not isinstance(t, bool) and t >= 0:
        return
    raise Violation("entry time is neither EventTime nor an integer: %r" % (t,))


def check_entry(e):
    if not isinstance(e, (list, tuple)) or len(e) != 2:
        raise Violation("entry is not [time, record]: %r" % (e,))
    check_time(e[0])
    if not isinstance(e[1], dict):
        raise Violation("record is not a map")
    return e[1]


def ext_hook(code, data):
    return msgpack.ExtType(code, data)


def entries_of(msg):
    """Returns (tag, records, option) of a Forward or PackedForward
    message, checking its shape."""
    if not isinstance(msg, (list, tuple)) or len(msg) not in (2, 3, 4):
        raise Violation("message is not an array of 2-4 items")
    tag = msg[0]
    if not isinstance(tag, str) or not tag:
        raise Violation("tag is not a non-empty str")
    if len(msg) == 4 or (len(msg) == 3 and not isinstance(msg[1], (list, tuple, bytes, str))):
        raise Violation("Message mode is not what vigil sends")
    body = msg[1]
    option = msg[2] if len(msg) == 3 else {}
    if not isinstance(option, dict):
        raise Violation("option is not a map")
    if isinstance(body, (list, tuple)):
        records = [check_entry(e) for e in body]
    else:
        raw = body if isinstance(body, bytes) else body.encode("utf-8", "surrogateescape")
        unp = msgpack.Unpacker(raw=False, ext_hook=ext_hook, strict_map_key=False)
        unp.feed(raw)
        records = [check_entry(e) for e in unp]
        if unp.tell() != len(raw):
            raise Violation("PackedForward entries do not end on an entry")
    if "size" in option and option["size"] != len(records):
        raise Violation("option size %r but %d entries" % (option["size"], len(records)))
    if "chunk" in option and not isinstance(option["chunk"], str):
        raise Violation("chunk id is not a str")
    return tag, records, option


def digest(*parts):
    h = hashlib.sha512()
    for p in parts:
        h.update(p if isinstance(p, bytes) else p.encode())
    return h.hexdigest()


class Server:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        # connections are numbered across restarts on the same file
        self.conn_no = 0
        if os.path.exists(args.out):
            self.conn_no = sum(1 for l in open(args.out) if l.startswith("CONNECT"))
        self.out = open(args.out, "a", buffering=1)
        self.tls = None
        if args.tls_cert:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(args.tls_cert, args.tls_key)
            if args.tls_client_ca:
                self.tls.verify_mode = ssl.CERT_REQUIRED
                self.tls.load_verify_locations(args.tls_client_ca)
        self.failed = False
        self.held = []
        self.kinds = open(args.kinds, "a", buffering=1) if args.kinds else None

    def log(self, line):
        with self.lock:
            self.out.write(line + "\n")

    def violation(self, what):
        self.log("VIOLATION " + what)
        sys.stderr.write("fwd_server: VIOLATION %s\n" % what)
        self.failed = True

    def handshake(self, sock, unp):
        nonce = os.urandom(16)
        sock.sendall(msgpack.packb(["HELO", {"nonce": nonce, "auth": b"", "keepalive": True}],
                                   use_bin_type=True))
        ping = self.next_obj(sock, unp)
        if ping is None:
            return False
        if (not isinstance(ping, (list, tuple)) or len(ping) != 6 or ping[0] != "PING"):
            raise Violation("expected PING [PING, host, salt, digest, user, pass], got %r" % (ping,))
        _, host, salt, dig, _user, _pw = ping
        salt_b = salt if isinstance(salt, bytes) else salt.encode()
        key = self.args.shared_key
        if self.args.refuse_reason is not None:
            sock.sendall(msgpack.packb(["PONG", False, self.args.refuse_reason, "", ""]))
            return False
        if dig != digest(salt_b, host, nonce, key):
            sock.sendall(msgpack.packb(["PONG", False, "shared_key mismatch", "", ""]))
            return False
        me = self.args.hostname
        sock.sendall(msgpack.packb(["PONG", True, "", me, digest(salt_b, me, nonce, key)],
                                   use_bin_type=True))
        return True

    def next_obj(self, sock, unp):
        while True:
            for obj in unp:
                return obj
            data = sock.recv(1 << 16)
            if not data:
                return None
            unp.feed(data)

    def serve_conn(self, sock):
        if self.args.silent:
            # accepts and never says a word (nor reads): a hung peer
            self.log("SILENT")
            self.held.append(sock)
            return
        if self.tls:
            try:
                sock = self.tls.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError) as e:
                self.log("TLSFAIL %s" % e)
                sock.close()
                return
        with self.lock:
            self.conn_no += 1
            conn = self.conn_no
        self.log("CONNECT %d" % conn)
        unp = msgpack.Unpacker(raw=False, ext_hook=ext_hook, strict_map_key=False,
                               max_buffer_size=64 << 20)
        try:
            if self.args.shared_key and not self.handshake(sock, unp):
                return
            while True:
                msg = self.next_obj(sock, unp)
                if msg is None:
                    return
                tag, records, option = entries_of(msg)
                if self.args.ack and "chunk" not in option:
                    raise Violation("require_ack on but no chunk option")
                if not self.args.ack and "chunk" in option:
                    raise Violation("chunk option without require_ack")
                if not tag.startswith("vigil."):
                    raise Violation("unexpected tag %r" % tag)
                lines = []
                for r in records:
                    ev = r.get("event")
                    if not isinstance(ev, dict) or "type" not in ev:
                        raise Violation("record lacks event.type: %r" % r)
                    lines.append("%d %d" % (conn, ev.get("seq", 0)))
                with self.lock:
                    self.out.write("".join(l + "\n" for l in lines))
                    if self.kinds:
                        self.kinds.write("".join(
                            "%s %s\n" % (r["event"]["type"],
                                         (r.get("agent") or {}).get("kind", "-"))
                            for r in records))
                if "chunk" in option and self.args.hostile_ack:
                    # an ack naming no chunk, made to garble a log line
                    sock.sendall(msgpack.packb({"ack": self.args.hostile_ack}))
                if "chunk" in option and not self.args.withhold_acks:
                    sock.sendall(msgpack.packb({"ack": option["chunk"]}))
        except Violation as v:
            self.violation(str(v))
        except (ConnectionError, OSError):
            pass
        finally:
            sock.close()

    def run(self):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", self.args.port))
        ls.listen(16)
        if self.args.ready:
            open(self.args.ready, "w").close()
        while not self.failed:
            s, _ = ls.accept()
            t = threading.Thread(target=self.serve_conn, args=(s,), daemon=True)
            t.start()
        return 3


def check(args):
    seen = set()
    top = args.start - 1
    cur_conn, last = None, None
    bad = []
    for line in open(args.out):
        parts = line.split()
        if not parts or parts[0] == "CONNECT":
            continue
        if parts[0] == "REJECTED":
            continue
        if parts[0] == "VIOLATION":
            bad.append(line.strip())
            continue
        conn, seq = int(parts[0]), int(parts[1])
        if conn != cur_conn:
            if seq > top + 1:
                bad.append("connection %d starts at %d, after a gap (highest was %d)"
                           % (conn, seq, top))
            cur_conn = conn
        elif seq != last + 1:
            bad.append("connection %d: %d follows %d" % (conn, seq, last))
        last = seq
        top = max(top, seq)
        seen.add(seq)
    want = set(range(args.start, args.start + args.expect))
    missing = sorted(want - seen)
    if missing:
        bad.append("%d records missing, first %r" % (len(missing), missing[:5]))
    extra = sorted(seen - want)
    if extra and args.allow_extra:
        top_ok = args.start + args.expect + args.allow_extra
        extra = [x for x in extra if x >= top_ok or x < args.start]
    if extra:
        bad.append("unexpected seqs %r" % extra[:5])
    for b in bad[:20]:
        print("check: " + b)
    print("check: %d distinct records, %d expected, %s" %
          (len(seen & want), len(want), "OK" if not bad else "FAILED"))
    return 0 if not bad else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["serve", "check"])
    ap.add_argument("--port", type=int, default=24224)
    ap.add_argument("--out", required=True)
    ap.add_argument("--shared-key")
    ap.add_argument("--hostname", default="fwd-server")
    ap.add_argument("--no-ack", dest="ack", action="store_false")
    ap.add_argument("--ready")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--tls-client-ca", help="require a client certificate from this CA")
    ap.add_argument("--silent", action="store_true",
                    help="accept connections and never speak")
    ap.add_argument("--hostile-ack", help="also send an ack with this id")
    ap.add_argument("--refuse-reason", help="refuse the handshake with this reason")
    ap.add_argument("--withhold-acks", action="store_true",
                    help="take chunks and never acknowledge them")
    ap.add_argument("--kinds", help="log each record's event.type and agent.kind here")
    ap.add_argument("--expect", type=int, default=0)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--allow-extra", type=int, default=0,
                    help="seqs up to this many past the range may arrive too")
    args = ap.parse_args()
    if args.cmd == "check":
        return check(args)
    return Server(args).run()


if __name__ == "__main__":
    sys.exit(main())
