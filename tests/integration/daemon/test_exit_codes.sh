#!/bin/sh
# test_exit_codes: vigild exits 2 only for what a person must fix in the
# configuration (the systemd unit never restarts after 2), and 1 for a
# failure at start that may pass (restarted).  2: a file that does not
# load, an unknown plugin, a plugin that refuses its settings (-EINVAL).
# 1: a plugin that cannot start for another reason (its output file's
# directory is a regular file).  And the unit says exactly that.
set -u
: "${VIGIL_BUILDDIR:=$(pwd)}"
: "${VIGIL_SRCDIR:=$(cd "$(dirname "$0")/../../.." && pwd)}"
VIGILD="$VIGIL_BUILDDIR/vigild"
LIBS="$VIGIL_BUILDDIR/plugins/.libs"
for so in forward file_sink; do
	[ -f "$LIBS/$so.so" ] || { echo "SKIP: $LIBS/$so.so not built"; exit 77; }
done
T=$(mktemp -d /tmp/vigil-exit-codes.XXXXXX)
PID=
fail() { echo "FAIL: $*"; [ -f "$T/stderr" ] && sed 's/^/  vigild: /' "$T/stderr"; exit 1; }
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT INT TERM
mkdir -p "$T/run"

# conf NAME: a configuration of the core alone plus the plugins on stdin
conf() {
	{
		cat <<EOC
agent:
  pid_file: $T/run/vigild.pid
  control_socket: $T/run/vigil.sock
  state_dir: $T/state
  plugin_dir: $LIBS
proc: {enabled: false}
audit: {enabled: false}
dns: {enabled: false}
fim: {enabled: false}
EOC
		cat
	} > "$T/$1.yaml"
}

# expect CODE NAME WHAT MESSAGE: vigild -f on NAME.yaml exits CODE (in
# 20 s at most: a vigild that keeps running fails) and says MESSAGE
expect() {
	"$VIGILD" -f -c "$T/$2.yaml" >/dev/null 2>"$T/stderr" &
	PID=$!
	for i in $(seq 200); do
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$PID" 2>/dev/null && fail "$3: vigild still runs"
	wait "$PID"
	rc=$?
	PID=
	[ $rc -eq "$1" ] || fail "$3: exit code $rc, want $1"
	grep -qF "$4" "$T/stderr" || fail "$3: no '$4' in its log"
	[ -e "$T/run/vigild.pid" ] && fail "$3: pid file left behind"
	echo "ok: $3 -> $1"
}

# configuration errors: 2
printf 'agent:\n  log:\n    level: loud\n' > "$T/syntax.yaml"
expect 2 syntax "a value out of its set" "is not one of"
conf unknown <<EOC
plugins:
  - name: no_such_plugin
EOC
expect 2 unknown "an unknown plugin" "no_such_plugin"
# caught only by the plugin's init(): -EINVAL
conf backoff <<EOC
plugins:
  - name: forward
    config: {port: 9, reconnect_min: 10s, reconnect_max: 1s}
EOC
expect 2 backoff "a plugin refusing its settings" "reconnect_max is below reconnect_min"

# a failure at start that is not the configuration's: 1
echo "a file" > "$T/blocker"
conf sinkdir <<EOC
plugins:
  - name: file_sink
    config: {path: $T/blocker/events.json}
EOC
expect 1 sinkdir "a sink that cannot open its file" "cannot open $T/blocker/events.json"

# and a forwarder whose spool is unusable is no failure at all
conf spool <<EOC
plugins:
  - name: forward
    config: {port: 9, spool: {dir: $T/blocker}}
EOC
"$VIGILD" -f -c "$T/spool.yaml" >/dev/null 2>"$T/stderr" &
PID=$!
for i in $(seq 100); do
	[ -S "$T/run/vigil.sock" ] && break
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.1
done
[ -S "$T/run/vigil.sock" ] || fail "unusable spool: vigild did not stay up"
kill -TERM "$PID"
wait "$PID"
rc=$?
PID=
[ $rc -eq 0 ] || fail "unusable spool: exit code $rc after SIGTERM, want 0"
echo "ok: an unusable spool -> runs, 0 at SIGTERM"

# the unit restarts after 1, never after 2, 3 or 64
UNIT="$VIGIL_SRCDIR/etc/vigild.service.in"
grep -qx "Restart=on-failure" "$UNIT" || fail "the unit lacks Restart=on-failure"
grep -qx "RestartPreventExitStatus=2 3 64" "$UNIT" ||
	fail "the unit's RestartPreventExitStatus is not '2 3 64': $(grep RestartPrevent "$UNIT")"
echo "PASS: exit codes"
exit 0
