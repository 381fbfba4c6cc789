#!/bin/sh
# test_valgrind: a clean start and stop of vigild with the default
# configuration (rules engine, file sink, signal store, audit, proc
# connector and DNS monitors) leaks nothing and touches no invalid memory under valgrind.
set -u
: "${VIGIL_BUILDDIR:=$(pwd)}"
: "${VIGIL_SRCDIR:=$VIGIL_BUILDDIR}"
command -v valgrind >/dev/null || { echo "SKIP: valgrind not installed"; exit 77; }
VIGILD="$VIGIL_BUILDDIR/vigild"
# libtool wrappers: valgrind must see the real binary
[ -x "$VIGIL_BUILDDIR/.libs/vigild" ] && VIGILD="$VIGIL_BUILDDIR/.libs/vigild"
if nm -D "$VIGILD" 2>/dev/null | grep -q __asan_init; then
	echo "SKIP: an ASan build cannot run under valgrind"; exit 77
fi
T=$(mktemp -d /tmp/vigil-valgrind.XXXXXX)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT INT TERM
cat > "$T/vigil.yaml" <<EOC
agent:
  pid_file: $T/vigild.pid
  control_socket: $T/vigil.sock
  state_dir: $T/state
  plugin_dir: $VIGIL_BUILDDIR/plugins/.libs
# the default configuration's plugins and monitors, from the build tree
plugins:
  - name: rules
    config: {paths: [$VIGIL_SRCDIR/rules/default]}
  - name: file_sink
    config: {path: $T/log/signals.json, what: signals}
  - name: store
audit: {mode: auto}
proc: {read_exec_image: false}
dns: {firewall: auto}
fim: {paths: [$T/watched]}
EOC
mkdir -p "$T/watched"
valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible \
	--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
	--log-file="$T/valgrind.log" "$VIGILD" -f -c "$T/vigil.yaml" \
	>/dev/null 2>"$T/stderr" &
PID=$!
for i in $(seq 300); do [ -S "$T/vigil.sock" ] && break; sleep 0.1; done
[ -S "$T/vigil.sock" ] || { echo "FAIL: vigild did not start under valgrind"; cat "$T/stderr"; exit 1; }
# the socket opens before the policy is compiled, which under valgrind on
# a loaded machine can take longer than vigilctl waits: ask a few times
ok=
for i in 1 2 3 4 5 6; do
	"$VIGIL_BUILDDIR/vigilctl" -s "$T/vigil.sock" status >/dev/null 2>&1 && { ok=1; break; }
done
[ -n "$ok" ] || { echo "FAIL: status"; exit 1; }
kill -TERM "$PID"
wait "$PID"; rc=$?; PID=
if [ $rc -ne 0 ]; then
	echo "FAIL: exit $rc under valgrind"; cat "$T/valgrind.log"; exit 1
fi
grep -E 'definitely lost|indirectly lost|possibly lost|ERROR SUMMARY' "$T/valgrind.log" | sed 's/^==[0-9]*== */valgrind: /'
echo "PASS: test_valgrind"
