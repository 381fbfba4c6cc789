#!/bin/sh
# test_privs_outputs: vigild drops its capabilities even when network
# outputs are configured.  The forward, syslog and http outputs resolve
# their peer with libuv's thread pool (or curl) as soon as they start; a
# second thread makes the drop impossible (capabilities are per thread),
# and vigild used to log "keeping all capabilities" and keep them all.
# Here a real vigild runs with the three outputs pointed at loopback
# listeners and the proc source on; every thread of it must hold exactly
# the capabilities `vigilctl status` says were kept (effective, permitted
# and bounding), and each output must still deliver.
# Root only (exit 77 otherwise).
if [ -n "${VIGIL_SKIP_LIVE:-}" ]; then
	echo "SKIP: live suite already run in the main pass (VIGIL_SKIP_LIVE)"
	exit 77
fi
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
set -u
: "${VIGIL_BUILDDIR:=$(pwd)}"
: "${VIGIL_SRCDIR:=$(cd "$(dirname "$0")/../../.." && pwd)}"
VIGILD="$VIGIL_BUILDDIR/vigild"
VIGILCTL="$VIGIL_BUILDDIR/vigilctl"
LIBS="$VIGIL_BUILDDIR/plugins/.libs"
PY=/usr/bin/python3
FWD="$VIGIL_SRCDIR/tests/integration/forward"
for so in forward syslog http file_sink; do
	[ -f "$LIBS/$so.so" ] || { echo "SKIP: $so.so not built"; exit 77; }
done
$PY -c 'import msgpack' 2>/dev/null || { echo "SKIP: no python3-msgpack"; exit 77; }

T=$(mktemp -d /tmp/vigil-privs-outputs.XXXXXX)
PID=
PIDS=
fail() { echo "FAIL: $*"; [ -f "$T/stderr" ] && sed 's/^/  vigild: /' "$T/stderr"; exit 1; }
cleanup() {
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_file() { # file: up to 10 s for it to exist and be non-empty
	for i in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done
	return 1
}

FWD_PORT=$(free_port)
SYSLOG_PORT=$(free_port)
HTTP_PORT=$(free_port)
$PY "$FWD/fwd_server.py" serve --port "$FWD_PORT" --out "$T/fwd.out" \
	--ready "$T/fwd.ready" --no-ack 2>"$T/fwd.err" &
PIDS="$PIDS $!"
$PY "$FWD/http_server.py" --port "$HTTP_PORT" --out "$T/http.out" \
	--ready "$T/http.ready" 2>"$T/http.err" &
PIDS="$PIDS $!"
# syslog: a TCP listener that keeps what it receives
$PY - "$SYSLOG_PORT" "$T/syslog.out" "$T/syslog.ready" <<'EOP' &
import socket, sys, threading
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
open(sys.argv[3], "w").close()
def take(c):
    with open(sys.argv[2], "ab", buffering=0) as out:
        while True:
            b = c.recv(65536)
            if not b:
                return
            out.write(b)
while True:
    c, _ = s.accept()
    threading.Thread(target=take, args=(c,), daemon=True).start()
EOP
PIDS="$PIDS $!"
for f in fwd http syslog; do
	for i in $(seq 50); do [ -e "$T/$f.ready" ] && break; sleep 0.1; done
	[ -e "$T/$f.ready" ] || fail "the $f listener did not start"
done

mkdir -p "$T/run"
cat > "$T/vigil.yaml" <<EOC
agent:
  pid_file: $T/run/vigild.pid
  control_socket: $T/run/vigil.sock
  state_dir: $T/state
  plugin_dir: $LIBS
# proc alone: it keeps a capability, and adds no audit or firewall rule
proc: {enabled: true}
audit: {enabled: false}
dns: {enabled: false}
fim: {enabled: false}
plugins:
  - name: forward
    config: {host: localhost, port: $FWD_PORT, require_ack: false}
  - name: syslog
    config: {transport: tcp, host: localhost, port: $SYSLOG_PORT, what: both}
  - name: http
    config: {url: "http://localhost:$HTTP_PORT/ingest"}
  - name: file_sink
    config: {path: $T/log/events.json, what: both}
EOC

"$VIGILD" -f -c "$T/vigil.yaml" >"$T/stdout" 2>"$T/stderr" &
PID=$!
for i in $(seq 50); do [ -S "$T/run/vigil.sock" ] && break; sleep 0.1; done
[ -S "$T/run/vigil.sock" ] || fail "no control socket"
wait_file "$T/fwd.out" || fail "the forward output delivered nothing"
wait_file "$T/syslog.out" || fail "the syslog output delivered nothing"
wait_file "$T/http.out" || fail "the http output delivered nothing"

grep -q "keeping all capabilities" "$T/stderr" && fail "vigild kept all its capabilities"
"$VIGILCTL" -s "$T/run/vigil.sock" status --json > "$T/status.json" || fail "vigilctl status"
$PY - "$T/status.json" "$PID" <<'EOP' || fail "capabilities differ from the kept set"
import glob, json, sys
# bit numbers from <linux/capability.h> of the capabilities vigild may keep
BITS = {"cap_dac_read_search": 2, "cap_net_admin": 12, "cap_sys_ptrace": 19,
        "cap_sys_admin": 21, "cap_audit_control": 30, "cap_audit_read": 37}
CAP_SETPCAP = 8
st = json.load(open(sys.argv[1]))
pv = st["privileges"]
assert pv["dropped"] is True, pv
kept = 0
for k in pv["kept"]:
    kept |= 1 << BITS[k["capability"]]
assert int(pv["effective"], 16) == kept, (pv["effective"], hex(kept))
def caps(path):
    out = {}
    for line in open(path):
        k, _, v = line.partition(":")
        if k.startswith("Cap"):
            out[k] = int(v, 16)
    return out
mine = caps("/proc/self/status")
tasks = glob.glob("/proc/%s/task/*/status" % sys.argv[2])
assert tasks, "no task of vigild"
for t in tasks:
    c = caps(t)
    assert c["CapEff"] == kept, (t, "CapEff", hex(c["CapEff"]), hex(kept))
    assert c["CapPrm"] == kept, (t, "CapPrm", hex(c["CapPrm"]), hex(kept))
    assert c["CapInh"] == 0, (t, "CapInh", hex(c["CapInh"]))
    # the bounding set narrows when vigild was started with CAP_SETPCAP,
    # which it inherits from this root shell
    if mine["CapEff"] >> CAP_SETPCAP & 1:
        assert pv["bounding_narrowed"] is True, pv
        assert c["CapBnd"] == kept, (t, "CapBnd", hex(c["CapBnd"]), hex(kept))
print("threads: %d, kept: %s" % (len(tasks), hex(kept)))
EOP

kill -TERM "$PID"
wait "$PID"; rc=$?; PID=
[ $rc -eq 0 ] || fail "exit code $rc after SIGTERM"
echo "PASS: test_privs_outputs"
exit 0
