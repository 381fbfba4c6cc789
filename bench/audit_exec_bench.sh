#!/bin/bash
# audit_exec_bench.sh - vigil's audit reader against auditd on the same
# stream (root).  A private auditd owns the unicast socket and logs RAW
# records; vigil reads the multicast group; vigil's rules (execve and the
# kernel-activity groups) produce the records both consume.  /bin/true is
# spawned at the highest rate the machine gives (or RATE/s) for SECONDS.
# Reports each reader's CPU per 1000 exec events, their ratio and the
# kernel lost counter, then the instructions per event of vigil's
# parse+reassemble+build on the recorded log (callgrind, if installed).
#
# Usage: audit_exec_bench.sh BUILD_DIR [SECONDS] [RATE]
#   BUILD_DIR: a build without sanitizers, with
#   `make tests/integration/audit/audit_live tests/integration/audit/audit_spawn`
#   run in it.
set -u
build=$1
secs=${2:-10}
rate=${3:-0}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/integration/audit/audit_state.sh"
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
live=$build/tests/integration/audit/audit_live
spawn=$build/tests/integration/audit/audit_spawn
[ -x "$live" ] && [ -x "$spawn" ] || { echo "build $live and $spawn"; exit 1; }
owner=$(auditctl -s | awk '$1 == "pid" { print $2 }')
[ "$owner" = 0 ] || { echo "an audit daemon (pid $owner) runs"; exit 77; }

work=$(mktemp -d /tmp/vigil-audit-bench.XXXXXX)
audit_save || exit 1
cleanup() {
	[ -n "${vpid:-}" ] && kill "$vpid" 2>/dev/null && wait "$vpid"
	auditd_private_stop
	audit_restore
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

ticks=$(getconf CLK_TCK)
cpu_ms() { # utime+stime of a pid, in ms
	awk -v t="$ticks" '{ print ($14 + $15) * 1000 / t }' "/proc/$1/stat"
}
lost() { auditctl -s | awk '$1 == "lost" { print $2 }'; }

auditd_private_start "$work" || { echo "auditd did not start"; exit 1; }
auditctl -b 8192 > /dev/null
"$live" read multicast $((secs + 3)) > "$work/vigil.out" 2> "$work/vigil.err" &
vpid=$!
sleep 1.5
lost0=$(lost)
a0=$(cpu_ms "$AUDITD_PID")
"$spawn" "$secs" "$rate" > "$work/spawn.out"
sleep 1
a1=$(cpu_ms "$AUDITD_PID")
lost1=$(lost)
wait "$vpid"
vpid=
cp "$work/audit.log" "$work/bench.log"
auditd_private_stop

cat "$work/spawn.out"
cat "$work/vigil.out"
execs=$(grep -c 'type=SYSCALL.*syscall=59 ' "$work/bench.log")
vcpu=$(sed -n 's/.*cpu_us=\([0-9]*\).*/\1/p' "$work/vigil.out")
vexec=$(sed -n 's/.*exec_seen=\([0-9]*\).*/\1/p' "$work/vigil.out")
awk -v a="$(echo "$a1 - $a0" | bc)" -v v="$vcpu" -v n="$execs" \
    -v vn="$vexec" -v l0="$lost0" -v l1="$lost1" 'BEGIN {
	printf "auditd logged %d exec events, vigil built %d (both see " \
	       "every exec on the host)\n", n, vn
	printf "auditd CPU %.0f ms = %.1f ms per 1000 events\n", a, a * 1000 / n
	printf "vigil  CPU %.0f ms = %.1f ms per 1000 events\n", v / 1000,
	       v / n
	printf "ratio vigil/auditd = %.2f\n", (v / 1000) / a
	printf "kernel lost during the run: %d\n", l1 - l0
}'
if command -v valgrind > /dev/null; then
	valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
		"$live" replay "$work/bench.log" > "$work/replay.out" \
		2> /dev/null
	ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$work/cg.out" | head -1)
	ev=$(sed -n 's/.*records, \([0-9]*\) events.*/\1/p' "$work/replay.out")
	rec=$(sed -n 's/replay: \([0-9]*\) records.*/\1/p' "$work/replay.out")
	echo "callgrind replay of the recorded log: $rec records, $ev events," \
	     "$ir instructions = $((ir / ev)) per event (all included:" \
	     "start-up, file reads, loop)"
	# Only parse + reassemble + build: cost collected inside on_line(),
	# the per-line entry of the source (the test double's submit is a
	# counter).
	valgrind --tool=callgrind --toggle-collect=on_line \
		--callgrind-out-file="$work/cg2.out" \
		"$live" replay "$work/bench.log" > /dev/null 2>&1
	ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$work/cg2.out" | head -1)
	echo "parse+reassemble+build only: $ir instructions =" \
	     "$((ir / ev)) per event, $((ir / rec)) per record"
fi
