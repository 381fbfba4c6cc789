#!/usr/bin/python3
"""http_server - an HTTP receiver for the http output's tests (python's
standard library only).  It decodes each POST by its format, checks what
the format requires, and logs "<request> <event.seq>" per record to --out
(the format fwd_server.py check reads).  The first --fail-first requests
are answered with --fail-status; their records are logged as
"REJECTED <status> <first seq> <last seq>".  A violation is logged as
"VIOLATION ..." and answered 500.

  http_server.py --port P --out FILE --format F [--gzip] [--token T]
                 [--header 'Name: value'] [--index I]
                 [--fail-first K --fail-status S] [--ready FILE]
                 [--tls-cert C --tls-key K]
"""
import argparse
import gzip
import json
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Violation(Exception):
    pass


def records(fmt, body, args):
    text = body.decode("utf-8")
    if fmt == "json_array":
        arr = json.loads(text)
        if not isinstance(arr, list):
            raise Violation("json_array body is not an array")
        return arr
    lines = text.split("\n")
    if lines[-1] != "":
        raise Violation("body does not end with a newline")
    lines = lines[:-1]
    if fmt == "json_lines":
        return [json.loads(l) for l in lines]
    if fmt == "elasticsearch_bulk":
        if len(lines) % 2:
            raise Violation("bulk body has an odd number of lines")
        out = []
        for i in range(0, len(lines), 2):
            action = json.loads(lines[i])
            if action != {"index": {"_index": args.index}}:
                raise Violation("bad bulk action line %r" % lines[i])
            out.append(json.loads(lines[i + 1]))
        return out
    if fmt == "splunk_hec":
        out = []
        for l in lines:
            o = json.loads(l)
            if set(o) != {"time", "sourcetype", "event"}:
                raise Violation("HEC object keys %r" % sorted(o))
            if not isinstance(o["time"], (int, float)) or o["sourcetype"] != "vigil":
                raise Violation("HEC time/sourcetype wrong: %r" % l[:100])
            out.append(o["event"])
        return out
    raise Violation("unknown format " + fmt)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--format", default="json_lines")
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("--token")
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--index", default="vigil-events")
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--fail-status", type=int, default=503)
    ap.add_argument("--ready")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    args = ap.parse_args()
    out = open(args.out, "a", buffering=1)
    lock = threading.Lock()
    state = {"n": 0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            with lock:
                state["n"] += 1
                n = state["n"]
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                if args.gzip:
                    if self.headers.get("Content-Encoding") != "gzip":
                        raise Violation("no Content-Encoding: gzip")
                    body = gzip.decompress(body)
                if args.token and self.headers.get("Authorization") != "Splunk " + args.token:
                    raise Violation("Authorization is %r" % self.headers.get("Authorization"))
                for h in args.header:
                    name, value = h.split(":", 1)
                    if self.headers.get(name.strip()) != value.strip():
                        raise Violation("header %s missing" % name)
                recs = records(args.format, body, args)
                seqs = [r["event"].get("seq", 0) for r in recs]
            except (Violation, ValueError, KeyError, OSError) as e:
                out.write("VIOLATION %s\n" % e)
                self.send_response(500)
                self.end_headers()
                return
            if n <= args.fail_first:
                out.write("REJECTED %d %d %d\n" % (args.fail_status, seqs[0], seqs[-1]))
                self.send_response(args.fail_status)
            else:
                out.write("CONNECT %d\n" % n)
                out.write("".join("%d %d\n" % (n, s) for s in seqs))
                self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    if args.ready:
        open(args.ready, "w").close()
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
