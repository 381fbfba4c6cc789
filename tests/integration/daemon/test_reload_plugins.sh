#!/bin/sh
# test_reload_plugins: a reload applies the plugins list of the new file.
# A forward output removed from the file stops: it must not fall back to
# its defaults (127.0.0.1:24224, plaintext) and send there, as it did when
# reload handed it no configuration.  A plugin set to `enabled: false`
# stops, one added to the file starts writing, one whose ABI is refused is
# reported and vigild keeps running.  Loopback only; binds 127.0.0.1:24224
# (run it under /tmp/vigil-live.lock like the live suites; exit 77 when the
# port is taken).
set -u
: "${VIGIL_BUILDDIR:=$(pwd)}"
: "${VIGIL_SRCDIR:=$(cd "$(dirname "$0")/../../.." && pwd)}"
VIGILD="$VIGIL_BUILDDIR/vigild"
VIGILCTL="$VIGIL_BUILDDIR/vigilctl"
LIBS="$VIGIL_BUILDDIR/plugins/.libs"
BAD="$VIGIL_BUILDDIR/tests/plugins/.libs/abi_major.so"
PY=/usr/bin/python3
for so in "$LIBS/forward.so" "$LIBS/file_sink.so" "$BAD"; do
	[ -f "$so" ] || { echo "SKIP: $so not built"; exit 77; }
done
$PY -c 'import msgpack' 2>/dev/null || { echo "SKIP: no python3-msgpack"; exit 77; }

T=$(mktemp -d /tmp/vigil-reload-plugins.XXXXXX)
PID=
PIDS=
fail() { echo "FAIL: $*"; [ -f "$T/stderr" ] && sed 's/^/  vigild: /' "$T/stderr"; exit 1; }
cleanup() {
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
wait_grep() { # pattern file: up to 10 s for the file to hold the pattern
	for i in $(seq 100); do grep -q "$1" "$2" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
wait_count() { # n pattern file: up to 10 s for n lines holding the pattern
	for i in $(seq 100); do
		[ "$(grep -c "$2" "$3" 2>/dev/null)" -ge "$1" ] 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
lines() { if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi; }

# the default peer: any connection or byte here is the bug
$PY - "$T/default.out" "$T/default.ready" <<'EOP' 2>"$T/default.err" &
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", 24224))
except OSError:
    sys.exit(77)
s.listen(8)
open(sys.argv[2], "w").close()
while True:
    c, peer = s.accept()
    with open(sys.argv[1], "a") as out:
        out.write("connection from %s:%d\n" % peer)
    c.settimeout(1)
    try:
        b = c.recv(65536)
        with open(sys.argv[1], "a") as out:
            out.write("%d bytes\n" % len(b))
    except OSError:
        pass
    c.close()
EOP
DPID=$!
PIDS="$PIDS $DPID"
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$PY "$VIGIL_SRCDIR/tests/integration/forward/fwd_server.py" serve --no-ack \
	--port "$PORT" --out "$T/fwd.out" --ready "$T/fwd.ready" 2>"$T/fwd.err" &
PIDS="$PIDS $!"
for f in default fwd; do
	for i in $(seq 50); do [ -e "$T/$f.ready" ] && break; sleep 0.1; done
	if [ ! -e "$T/$f.ready" ]; then
		if [ $f = default ] && ! kill -0 "$DPID" 2>/dev/null; then
			echo "SKIP: 127.0.0.1:24224 is taken"
			exit 77
		fi
		fail "the $f listener did not start"
	fi
done

mkdir -p "$T/run" "$T/log"
conf_head() {
	cat <<EOC
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
  - name: keep
    path: $LIBS/file_sink.so
    config: {path: $T/log/keep.json, what: both}
EOC
}
{ conf_head; cat <<EOC
  - name: forward
    config: {host: 127.0.0.1, port: $PORT, require_ack: false, flush_interval_ms: 100}
  - name: off
    path: $LIBS/file_sink.so
    config: {path: $T/log/off.json, what: both}
EOC
} > "$T/vigil.yaml"

"$VIGILD" -f -c "$T/vigil.yaml" >"$T/stdout" 2>"$T/stderr" &
PID=$!
for i in $(seq 50); do [ -S "$T/run/vigil.sock" ] && break; sleep 0.1; done
[ -S "$T/run/vigil.sock" ] || fail "no control socket"
wait_grep . "$T/fwd.out" || fail "the forward output delivered nothing before the reload"
wait_grep agent_started "$T/log/off.json" || fail "'off' wrote nothing before the reload"

# the forward output removed, 'off' disabled, 'added' and 'bad' added
{ conf_head; cat <<EOC
  - name: off
    enabled: false
    path: $LIBS/file_sink.so
    config: {path: $T/log/off.json, what: both}
  - name: bad
    path: $BAD
  - name: added
    path: $LIBS/file_sink.so
    config: {path: $T/log/added.json, what: both}
EOC
} > "$T/vigil.yaml"
kill -HUP "$PID"
wait_grep config_reloaded "$T/log/keep.json" || fail "no config_reloaded event after SIGHUP"
fwd_before=$(lines "$T/fwd.out")
# events while the default peer listens: one config_reloaded event each
for i in 1 2 3 4 5 6; do
	"$VIGILCTL" -s "$T/run/vigil.sock" reload >/dev/null || fail "vigilctl reload"
	sleep 0.5
done
kill -0 "$PID" || fail "vigild died on the reloads"

[ -e "$T/default.out" ] && fail "the removed forward output went to 127.0.0.1:24224: $(cat "$T/default.out")"
[ "$(lines "$T/fwd.out")" = "$fwd_before" ] || fail "the removed forward output still sends to its peer"
# the file sinks write on the 1 s flush timer
wait_count 6 config_reloaded "$T/log/added.json" || fail "'added' did not start writing: $(cat "$T/log/added.json" 2>&1)"
wait_count 7 config_reloaded "$T/log/keep.json" || fail "'keep' stopped writing"
grep -q config_reloaded "$T/log/off.json" && fail "'off' still writes after enabled: false"
grep -q "plugin 'bad' ($BAD) refused: built for plugin ABI" "$T/stderr" || fail "no refusal for 'bad'"
"$VIGILCTL" -s "$T/run/vigil.sock" status --json > "$T/status.json" || fail "vigilctl status"
$PY - "$T/status.json" <<'EOP' || fail "status lists the wrong plugins"
import json, sys
names = [p["name"] for p in json.load(open(sys.argv[1]))["plugins"]]
assert names == ["keep", "added"], names
EOP

# back again: the forward output and 'off' start once more
{ conf_head; cat <<EOC
  - name: forward
    config: {host: 127.0.0.1, port: $PORT, require_ack: false, flush_interval_ms: 100}
  - name: off
    path: $LIBS/file_sink.so
    config: {path: $T/log/off.json, what: both}
EOC
} > "$T/vigil.yaml"
"$VIGILCTL" -s "$T/run/vigil.sock" reload >/dev/null || fail "vigilctl reload"
wait_grep config_reloaded "$T/log/off.json" || fail "'off' did not start again"
for i in $(seq 100); do [ "$(lines "$T/fwd.out")" -gt "$fwd_before" ] && break; sleep 0.1; done
[ "$(lines "$T/fwd.out")" -gt "$fwd_before" ] || fail "the forward output did not start again"

kill -TERM "$PID"
wait "$PID"; rc=$?; PID=
[ $rc -eq 0 ] || fail "exit code $rc after SIGTERM"
[ -e "$T/default.out" ] && fail "something went to 127.0.0.1:24224: $(cat "$T/default.out")"
echo "PASS: test_reload_plugins"
exit 0
