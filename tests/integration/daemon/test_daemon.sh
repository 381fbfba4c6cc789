#!/bin/sh
# test_daemon: vigild starts in the foreground, answers vigilctl on a 0600
# socket, refuses a second instance, keeps running on a broken reload,
# and on SIGTERM flushes its sinks and removes its pid file and socket.
set -u
: "${VIGIL_BUILDDIR:=$(pwd)}"
VIGILD="$VIGIL_BUILDDIR/vigild"
VIGILCTL="$VIGIL_BUILDDIR/vigilctl"
T=$(mktemp -d /tmp/vigil-daemon-test.XXXXXX)
PID=
fail() { echo "FAIL: $*"; [ -f "$T/stderr" ] && sed 's/^/  vigild: /' "$T/stderr"; exit 1; }
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT INT TERM

cat > "$T/vigil.yaml" <<EOC
agent:
  pid_file: $T/run/vigild.pid
  control_socket: $T/run/vigil.sock
  state_dir: $T/state
  plugin_dir: $VIGIL_BUILDDIR/plugins/.libs
# the core alone: no kernel sources, so the events are exactly the agent's
proc: {enabled: false}
audit: {enabled: false}
dns: {enabled: false}
fim: {enabled: false}
plugins:
  - name: file_sink
    config: {path: $T/log/events.json, what: both}
  - name: recorder
    path: $VIGIL_BUILDDIR/plugins/.libs/file_sink.so
    config: {path: $T/log/events.mp, what: events, format: msgpack}
EOC

"$VIGILD" --check-config -c "$T/vigil.yaml" >/dev/null || fail "check-config of a good file"

# a broken file: one line naming line and column, exit 2
printf 'agent:\n  log:\n    level: loud\n' > "$T/bad.yaml"
"$VIGILD" --check-config -c "$T/bad.yaml" 2>"$T/err"; rc=$?
[ $rc -eq 2 ] || fail "broken config exit code $rc, want 2"
grep -q "bad.yaml:3:12: agent.log.level: 'loud' is not one of error, warning" "$T/err" || fail "error lacks line:col: $(cat "$T/err")"
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "error is not one line"

# the monitors' sections are checked too, before anything starts
check_bad() { # what file expected-message
	"$VIGILD" --check-config -c "$T/$2" 2>"$T/err"; rc=$?
	[ $rc -eq 2 ] || fail "$1: exit code $rc, want 2"
	grep -qF "$3" "$T/err" || fail "$1: $(cat "$T/err"), want $3"
}
printf 'audit:\n  mode: multicast\n  read_intervall: 5ms\n' > "$T/bad.yaml"
check_bad "audit typo" bad.yaml "bad.yaml:3:3: unknown key 'read_intervall' in audit (did you mean 'read_interval'?)"
printf 'proc:\n  read_interval: 2s\n' > "$T/bad.yaml"
check_bad "proc range" bad.yaml "bad.yaml:2:18: proc.read_interval: want a duration from 0"
printf 'audit:\n  mode: sideways\n' > "$T/bad.yaml"
check_bad "audit mode" bad.yaml "bad.yaml:2:9: audit.mode: 'sideways' is not one of auto, multicast"
printf 'fim:\n  enabled: maybe\n' > "$T/bad.yaml"
check_bad "fim enabled" bad.yaml "bad.yaml:2:12: fim.enabled: want true or false (or yes, no), not 'maybe'"
# and the plugins' sections, through the table each plugin publishes
printf 'agent: {plugin_dir: %s}\nplugins:\n  - name: file_sink\n    config: {path: /tmp/x.json, rotate: {keep: 5000}}\n' \
	"$VIGIL_BUILDDIR/plugins/.libs" > "$T/bad.yaml"
check_bad "plugin range" bad.yaml "bad.yaml:4:48: plugins[file_sink].config.rotate.keep: want an integer from 0 to 1000, not '5000'"
printf 'agent: {plugin_dir: %s}\nplugins:\n  - name: file_sink\n    config: {path: log/x.json, wat: both}\n' \
	"$VIGIL_BUILDDIR/plugins/.libs" > "$T/bad.yaml"
check_bad "plugin typo" bad.yaml "bad.yaml:4:32: unknown key 'wat' in plugins[file_sink].config (did you mean 'what'?)"
printf 'agent: {plugin_dir: %s}\nplugins:\n  - name: file_sink\n    config: {path: log/x.json}\n' \
	"$VIGIL_BUILDDIR/plugins/.libs" > "$T/bad.yaml"
check_bad "plugin relative path" bad.yaml "bad.yaml:4:20: plugins[file_sink].config.path: want an absolute path"
# the forwarders: every duration has a unit and a range (issue 22 M3:
# "2s" was read as nanoseconds and multiplied as if seconds), booleans
# are true or false (L7: "enabled: 1" must not mean plaintext)
fwd_bad() { # what plugin config expected-message
	printf 'agent: {plugin_dir: %s, state_dir: %s}\nplugins:\n  - name: %s\n    config: %s\n' \
		"$VIGIL_BUILDDIR/plugins/.libs" "$T/state" "$2" "$3" > "$T/bad.yaml"
	check_bad "$1" bad.yaml "$4"
}
fwd_bad "forward ack_timeout" forward '{ack_timeout: 99999h}' \
	"bad.yaml:4:27: plugins[forward].config.ack_timeout: want a duration from 1s to 1h, not '99999h'"
fwd_bad "forward tls.enabled" forward '{tls: {enabled: 1}}' \
	"bad.yaml:4:29: plugins[forward].config.tls.enabled: want true or false (or yes, no), not '1'"
fwd_bad "forward heartbeat" forward '{heartbeat: 500ms}' \
	"bad.yaml:4:25: plugins[forward].config.heartbeat: '500ms' is finer than this setting counts (1 unit is 1s)"
fwd_bad "syslog connect_timeout" syslog '{connect_timeout: 2d}' \
	"bad.yaml:4:31: plugins[syslog].config.connect_timeout: want a duration from 1s to 1h, not '2d'"
fwd_bad "syslog tls.verify" syslog '{transport: tls, tls: {verify: off}}' \
	"bad.yaml:4:44: plugins[syslog].config.tls.verify: want true or false (or yes, no), not 'off'"
fwd_bad "http timeout" http '{url: "http://127.0.0.1:1/", timeout: 100h}' \
	"plugins[http].config.timeout: want a duration from 1s to 1h, not '100h'"
fwd_bad "http retry" http '{url: "http://127.0.0.1:1/", retry_max: 0}' \
	"plugins[http].config.retry_max: want a duration from 1ms to 1d, not '0'"
fwd_bad "http min_severity" http '{url: "http://127.0.0.1:1/", min_severity: hihg}' \
	"plugins[http].config.min_severity: 'hihg' is not one of info, low, medium, high, critical (did you mean 'high'?)"
fwd_bad "forward event_types" forward '{event_types: [exec, exex]}' \
	"plugins[forward].config.event_types: 'exex' is not one of"
fwd_bad "forward spool key" forward '{spool: {max_sise: 1M}}' \
	"unknown key 'max_sise' in plugins[forward].config.spool (did you mean 'max_size'?)"
printf 'agent: {plugin_dir: plugins}\n' > "$T/bad.yaml"
check_bad "relative plugin_dir" bad.yaml "bad.yaml:1:21: agent.plugin_dir: want an absolute path"

# the registry reads each source's "enabled" with that source's table:
# "off" is not a boolean there, so dns is not quietly switched off; it
# fails alone, before touching the kernel, and status says why
mkdir -p "$T/run2"
cat > "$T/strict.yaml" <<EOC
agent: {pid_file: $T/run2/vigild.pid, control_socket: $T/run2/vigil.sock, state_dir: $T/state2}
output: {stdout: {enabled: false}}
proc: {enabled: false}
audit: {enabled: false}
fim: {enabled: false}
dns: {enabled: off}
EOC
"$VIGILD" -f -c "$T/strict.yaml" >/dev/null 2>"$T/strict.err" &
SPID=$!
for i in $(seq 50); do [ -S "$T/run2/vigil.sock" ] && break; sleep 0.1; done
"$VIGILCTL" -s "$T/run2/vigil.sock" status --json > "$T/strict.json" ||
	{ kill "$SPID"; fail "strict enabled: no status"; }
kill "$SPID"; wait "$SPID"
python3 - "$T/strict.json" <<'EOP' || fail "strict enabled: $(cat "$T/strict.json")"
import json, sys
s = json.load(open(sys.argv[1]))
dns = [x for x in s["sources"] if x["name"] == "dns"][0]
assert dns["state"] == "failed", dns
assert "dns.enabled: want true or false (or yes, no), not 'off'" in dns["reason"], dns
EOP

mkdir -p "$T/run"
"$VIGILD" -f --json -c "$T/vigil.yaml" >"$T/stdout" 2>"$T/stderr" &
PID=$!
for i in $(seq 50); do [ -S "$T/run/vigil.sock" ] && break; sleep 0.1; done
[ -S "$T/run/vigil.sock" ] || fail "no control socket"
[ "$(stat -c %a "$T/run/vigil.sock")" = 600 ] || fail "socket mode $(stat -c %a "$T/run/vigil.sock")"
[ "$(cat "$T/run/vigild.pid")" = "$PID" ] || fail "pid file holds $(cat "$T/run/vigild.pid"), want $PID"

"$VIGILCTL" -c "$T/vigil.yaml" status > "$T/status" || fail "vigilctl status"
grep -q '^plugins:' "$T/status" && grep -q 'file_sink' "$T/status" || fail "status text: $(cat "$T/status")"
"$VIGILCTL" -s "$T/run/vigil.sock" status --json > "$T/status.json" || fail "status --json"
python3 - "$T/status.json" <<'EOP' || fail "status json"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["version"] and s["pid"] > 0 and s["uptime_s"] >= 0
assert isinstance(s["sources"], list)
assert s["plugins"][0]["name"] == "file_sink" and s["plugins"][0]["kind"] == "sink"
assert "rules_loaded" in s and s["events"] >= 1
EOP

# a second agent is refused while the first runs
"$VIGILD" -f -c "$T/vigil.yaml" >/dev/null 2>"$T/err2"; rc=$?
[ $rc -eq 3 ] || fail "second instance exit $rc, want 3"
grep -q "another vigild is running (pid $PID" "$T/err2" || fail "second instance message: $(cat "$T/err2")"

# a broken reload keeps the running configuration
cp "$T/vigil.yaml" "$T/vigil.yaml.good"
printf 'agent: [\n' >> "$T/vigil.yaml"
kill -HUP "$PID"; sleep 0.5
kill -0 "$PID" || fail "vigild died on a broken reload"
grep -q "reload refused, keeping the running configuration: .*vigil.yaml:" "$T/stderr" || fail "no refusal message"
cp "$T/vigil.yaml.good" "$T/vigil.yaml"
"$VIGILCTL" -c "$T/vigil.yaml" reload >/dev/null || fail "vigilctl reload"
sleep 0.3
grep -q '"kind":"config_reloaded"' "$T/stdout" || true

kill -TERM "$PID"
wait "$PID"; rc=$?; PID=
[ $rc -eq 0 ] || fail "exit code $rc after SIGTERM"
[ ! -e "$T/run/vigil.sock" ] || fail "socket left behind"
[ ! -e "$T/run/vigild.pid" ] || fail "pid file left behind"

# a vigild that dies mid-request (the socket closes without an answer):
# vigilctl reports it, exits 1, and touches no null buffer (UBSan)
if command -v socat >/dev/null; then
	socat UNIX-LISTEN:"$T/dead.sock",fork SYSTEM:'head -c 1 >/dev/null' &
	SOCAT=$!
	for i in $(seq 50); do [ -S "$T/dead.sock" ] && break; sleep 0.1; done
	"$VIGILCTL" -s "$T/dead.sock" reload >"$T/dead.out" 2>"$T/dead.err"; rc=$?
	kill "$SOCAT" 2>/dev/null; wait "$SOCAT" 2>/dev/null
	[ $rc -ne 0 ] || fail "vigilctl on a dead vigild: exit 0"
	! grep -q 'runtime error' "$T/dead.err" ||
		fail "vigilctl on a dead vigild: $(cat "$T/dead.err")"
fi

# issue 22 L5: a symlink planted at the pid file is refused, its target
# left as it was
printf 'precious\n' > "$T/victim"
ln -s "$T/victim" "$T/run/vigild.pid"
timeout 20 "$VIGILD" -f -c "$T/vigil.yaml" >/dev/null 2>"$T/err3"; rc=$?
[ $rc -eq 1 ] || fail "symlinked pid file: exit $rc, want 1"
grep -q "cannot open pid file $T/run/vigild.pid: .*(a symlink: refused)" "$T/err3" ||
	fail "symlinked pid file message: $(cat "$T/err3")"
[ "$(cat "$T/victim")" = precious ] || fail "the pid file's symlink target was written"
rm -f "$T/run/vigild.pid"
# every event reached the sink before exit, the last one included
grep -q '"kind":"agent_started"' "$T/log/events.json" || fail "sink lacks start event"
grep -q '"kind":"config_reloaded"' "$T/log/events.json" || fail "sink lacks reload event"
tail -n 1 "$T/log/events.json" | grep -q '"kind":"agent_stopping"' || fail "sink not flushed at exit"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/log/events.json" || fail "sink holds invalid JSON"
# replay: the msgpack recording, run through the same pipeline, prints
# the same events as JSON lines
"$VIGILCTL" -c "$T/vigil.yaml" replay --no-plugins --what events "$T/log/events.mp" \
	> "$T/replayed.json" 2>"$T/replay.err" || fail "replay: $(cat "$T/replay.err")"
grep -q "replayed 4 events, 0 signals, 0 bad records" "$T/replay.err" || fail "replay summary: $(cat "$T/replay.err")"
python3 - "$T/log/events.json" "$T/replayed.json" <<'EOP' || fail "replayed events differ from the live ones"
import json, sys
live = [json.loads(l) for l in open(sys.argv[1])]
again = [json.loads(l) for l in open(sys.argv[2])]
assert len(live) == len(again) == 4, (len(live), len(again))
for a, b in zip(live, again):
    # replay numbers events itself; everything else is the recording
    a["event"].pop("id"); b["event"].pop("id")
    assert a == b, (a, b)
EOP
# a damaged recording is reported, not silently skipped
head -c 100 "$T/log/events.mp" > "$T/cut.mp"
"$VIGILCTL" -c "$T/vigil.yaml" replay --no-plugins "$T/cut.mp" >/dev/null 2>"$T/cut.err"; rc=$?
[ $rc -eq 1 ] || fail "replay of a truncated file exit $rc, want 1"
grep -q "truncated record at byte" "$T/cut.err" || fail "truncated replay message: $(cat "$T/cut.err")"
echo "PASS: test_daemon"
exit 0
