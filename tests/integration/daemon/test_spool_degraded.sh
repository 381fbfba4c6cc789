#!/bin/sh
# test_spool_degraded: a forward output whose spool directory cannot be
# used (a regular file where the directory should be) does not stop
# vigild, which once exited 2 there and so was never restarted by
# systemd.  The output starts degraded: vigild keeps running, `vigilctl
# status` says degraded and why, its events still reach the peer (from
# memory), the agent raises output_degraded and the shipped rule
# agent_output_degraded fires, and the reason is logged once however
# many times the directory is tried again.  When the file is removed, the
# output opens its spool there, says it runs normally again
# (output_recovered), and keeps delivering through the disk spool.
# Loopback only, on a port of its own.
set -u
: "${VIGIL_BUILDDIR:=$(pwd)}"
: "${VIGIL_SRCDIR:=$(cd "$(dirname "$0")/../../.." && pwd)}"
VIGILD="$VIGIL_BUILDDIR/vigild"
VIGILCTL="$VIGIL_BUILDDIR/vigilctl"
LIBS="$VIGIL_BUILDDIR/plugins/.libs"
PY=/usr/bin/python3
for so in forward file_sink rules; do
	[ -f "$LIBS/$so.so" ] || { echo "SKIP: $LIBS/$so.so not built"; exit 77; }
done
$PY -c 'import msgpack' 2>/dev/null || { echo "SKIP: no python3-msgpack"; exit 77; }

T=$(mktemp -d /tmp/vigil-spool-degraded.XXXXXX)
PID=
SPID=
fail() { echo "FAIL: $*"; [ -f "$T/stderr" ] && sed 's/^/  vigild: /' "$T/stderr"; exit 1; }
cleanup() {
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
wait_grep() { # pattern file [tenths]: up to 10 s for the file to hold it
	for i in $(seq "${3:-100}"); do
		grep -q "$1" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
count() { grep -c "$1" "$2" 2>/dev/null || true; }
# plugin FIELD: FIELD of the forward output in vigilctl status --json
plugin() {
	"$VIGILCTL" -s "$T/run/vigil.sock" status --json 2>/dev/null |
		$PY -c '
import json, sys
st = json.load(sys.stdin)
p = [p for p in st["plugins"] if p["name"] == "forward"][0]
print(p.get(sys.argv[1], ""))' "$1"
}
wait_state() { # state tenths
	for i in $(seq "$2"); do
		[ "$(plugin state)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$PY "$VIGIL_SRCDIR/tests/integration/forward/fwd_server.py" serve \
	--port "$PORT" --out "$T/fwd.out" --kinds "$T/kinds" \
	--ready "$T/fwd.ready" 2>"$T/fwd.err" &
SPID=$!
for i in $(seq 50); do [ -e "$T/fwd.ready" ] && break; sleep 0.1; done
[ -e "$T/fwd.ready" ] || fail "the forward peer did not start: $(cat "$T/fwd.err")"

# the spool's directory is a regular file: mkdir and open fail ENOTDIR
echo "not a directory" > "$T/spool"
mkdir -p "$T/run" "$T/log"
cat > "$T/vigil.yaml" <<EOC
agent:
  pid_file: $T/run/vigild.pid
  control_socket: $T/run/vigil.sock
  state_dir: $T/state
  plugin_dir: $LIBS
# the core alone: the events are the agent's own
proc: {enabled: false}
audit: {enabled: false}
dns: {enabled: false}
fim: {enabled: false}
plugins:
  - name: rules
    config: {paths: [$VIGIL_SRCDIR/rules/default]}
  - name: file_sink
    config: {path: $T/log/signals.json, what: signals}
  - name: forward
    config:
      host: 127.0.0.1
      port: $PORT
      what: events
      flush_interval_ms: 100
      spool: {dir: $T/spool}
EOC

"$VIGILD" -f -c "$T/vigil.yaml" >"$T/stdout" 2>"$T/stderr" &
PID=$!
for i in $(seq 100); do
	[ -S "$T/run/vigil.sock" ] && break
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.1
done
if ! kill -0 "$PID" 2>/dev/null; then
	wait "$PID"
	fail "vigild exited $? with an unusable spool directory instead of degrading the output"
fi
[ -S "$T/run/vigil.sock" ] || fail "no control socket"

# the status says degraded, and why
wait_state degraded 50 || fail "forward's state is '$(plugin state)', want degraded"
reason=$(plugin reason)
case "$reason" in
*"$T/spool"*"Not a directory"*) ;;
*) fail "forward's reason is '$reason', want the spool path and the error" ;;
esac
"$VIGILCTL" -s "$T/run/vigil.sock" status | grep -q "degraded: spool $T/spool" ||
	fail "vigilctl status (text) does not show the degraded output"

# the agent event reaches the peer, from memory, and the rule fires
wait_grep "^agent output_degraded$" "$T/kinds" ||
	fail "output_degraded did not reach the peer: $(cat "$T/kinds" 2>&1)"
grep -q "^agent agent_started$" "$T/kinds" || fail "agent_started did not reach the peer"
wait_grep '"rule":"agent_output_degraded"' "$T/log/signals.json" ||
	fail "rule agent_output_degraded did not fire: $(cat "$T/log/signals.json" 2>&1)"
grep '"rule":"agent_output_degraded"' "$T/log/signals.json" |
	grep -q '"subsystem":"forward"' || fail "the signal does not name the forward output"
for i in 1 2 3; do
	"$VIGILCTL" -s "$T/run/vigil.sock" reload >/dev/null || fail "vigilctl reload"
done
for i in $(seq 100); do
	[ "$(count "^agent config_reloaded$" "$T/kinds")" -ge 3 ] && break
	sleep 0.1
done
[ "$(count "^agent config_reloaded$" "$T/kinds")" -ge 3 ] ||
	fail "events while degraded did not reach the peer: $(cat "$T/kinds")"
[ -f "$T/spool" ] || fail "the file in the spool's place was touched"

# a few retries later (1 s, 2 s, 4 s), still one line for the reason
sleep 4
kill -0 "$PID" 2>/dev/null || fail "vigild died while degraded"
n=$(count "cannot use the spool $T/spool" "$T/stderr")
[ "$n" = 1 ] || fail "the unusable spool was logged $n times, want once"

# the path becomes usable: the output recovers and uses its spool
rm -f "$T/spool"
wait_state running 400 || fail "forward did not recover: state '$(plugin state)', $(plugin reason)"
[ -z "$(plugin reason)" ] || fail "a reason is left after recovery: $(plugin reason)"
[ -f "$T/spool/lock" ] && ls "$T/spool"/*.seg >/dev/null 2>&1 ||
	fail "no spool in $T/spool after recovery: $(ls -la "$T/spool" 2>&1)"
grep -q "spool $T/spool is usable again" "$T/stderr" || fail "recovery not logged"
wait_grep "^agent output_recovered$" "$T/kinds" || fail "output_recovered did not reach the peer"
before=$(count "^agent config_reloaded$" "$T/kinds")
"$VIGILCTL" -s "$T/run/vigil.sock" reload >/dev/null || fail "vigilctl reload"
for i in $(seq 100); do
	[ "$(count "^agent config_reloaded$" "$T/kinds")" -gt "$before" ] && break
	sleep 0.1
done
[ "$(count "^agent config_reloaded$" "$T/kinds")" -gt "$before" ] ||
	fail "nothing delivered through the disk spool after recovery"
[ "$(plugin dropped)" = 0 ] || fail "records dropped: $(plugin dropped)"

kill -TERM "$PID"
wait "$PID"
rc=$?
PID=
[ $rc -eq 0 ] || fail "exit code $rc after SIGTERM"
grep -q VIOLATION "$T/fwd.out" && fail "the peer saw a protocol violation: $(grep VIOLATION "$T/fwd.out")"
echo "PASS: an unusable spool degrades the forward output, which recovers"
exit 0
