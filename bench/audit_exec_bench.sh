#!/bin/bash
# audit_exec_bench.sh - vigild against auditd on the same exec stream
# (issue 3, "Speed"; root).
#
# A private auditd (its own auditd.conf in a temp dir, Debian's default
# flush = INCREMENTAL_ASYNC / freq = 50, RAW log, no plugins, foreground)
# owns the unicast socket and logs every record the kernel emits; the real
# vigild, configured like the shipped vigil.yaml (audit in multicast mode
# with its own rules under key "vigil", the proc connector and process
# table, the rules engine with the default policy, a file_sink for
# signals, DNS off, nothing printed on stdout), reads the multicast group.
# Both consume the same records from the same kernel rules.
#
# For each target rate (default 1000, 5000 and 0 = the machine's maximum)
# and each repetition, bench/exec_load runs /bin/true for SECONDS; over
# the same window the script reads:
#   - utime+stime of vigild and of auditd (/proc/PID/stat, all threads);
#   - exec events each one saw: vigild's events_by_type.exec (vigilctl
#     status --json), auditd's exec SYSCALL records in its log;
#   - the kernel lost counter (auditctl -s) and vigild's own losses on
#     the multicast socket (enobufs, serial_gaps);
# and prints each one's CPU ms per 1000 exec events of the stream (the
# exec SYSCALL records in auditd's log whose time falls in the window:
# the same records reach both) and the ratio.  Both see every exec on the
# host, the load's and any other.
#
# With -p, vigild is then profiled with perf (cpu-clock, self time per
# symbol) during one more run at the maximum rate.
#
# With -m reader, the older measurement: vigil's audit reader alone
# (tests/integration/audit/audit_live, parse + reassemble + build, a
# counting pipeline double) against auditd, plus callgrind on the log.
#
# -v norules / -v noproc run vigild without the rules engine / without
# the proc connector, to attribute its cost (not the shipped setup).
#
# -k KEY gives vigild's rules another key than "vigil": a vigild starting
# removes the rules under its key that no live vigild owns, so on a host
# where another vigild runs, the two would fight over "vigil".
#
# Usage: audit_exec_bench.sh [-m vigild|reader] [-s SECONDS] [-n REPS]
#                            [-r "RATE..."] [-p] [-v VARIANT] [-k KEY]
#                            BUILD_DIR
#   BUILD_DIR: a build WITHOUT sanitizers (configure --disable-tests;
#   make), holding vigild, vigilctl, plugins/.libs and bench/exec_load;
#   for -m reader, also `make tests/integration/audit/audit_live
#   tests/integration/audit/audit_spawn` (needs a build with tests).
# The audit state (rules, enabled, backlog settings) is restored and the
# private auditd stopped on exit, whatever happens.  KEEP=1 keeps the
# work directory (logs, vigild's stderr, perf data).
set -u
mode=vigild
secs=10
reps=3
rates="1000 5000 0"
profile=0
variant=full
key=vigil
while getopts "m:s:n:r:pv:k:" o; do
	case $o in
	m) mode=$OPTARG ;;
	s) secs=$OPTARG ;;
	n) reps=$OPTARG ;;
	r) rates=$OPTARG ;;
	p) profile=1 ;;
	v) variant=$OPTARG ;;
	k) key=$OPTARG ;;
	*) sed -n '/^# Usage/,/^# work/p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { sed -n '/^# Usage/,/^# work/p' "$0"; exit 2; }
build=$(cd "$1" && pwd) || exit 2
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
command -v auditd > /dev/null && command -v auditctl > /dev/null ||
	{ echo "auditd and auditctl needed"; exit 77; }
owner=$(auditctl -s | awk '$1 == "pid" { print $2 }')
[ "$owner" = 0 ] || { echo "an audit daemon (pid $owner) runs"; exit 77; }
. "$here/../tests/integration/audit/audit_state.sh"

work=$(mktemp -d /tmp/vigil-audit-bench.XXXXXX)
vpid=
AUDITD_PID=
audit_save || exit 1
had_vigil_rules=0
grep -q "key=$key\$" "$AUDIT_SAVE_DIR/rules" && had_vigil_rules=1
if [ "$mode" = vigild ] && [ "$had_vigil_rules" = 1 ]; then
	# another vigild (or a dead one's leftovers): ours would take them
	echo "audit rules under key '$key' exist (another vigild?): use -k"
	rm -rf "$AUDIT_SAVE_DIR" "$work"
	exit 77
fi

# Stops vigild (or audit_live): SIGTERM, SIGKILL after 5 s.  Sets
# unclean=1 when it was already gone or had to be killed: then it could
# not remove its kernel rules.
unclean=0
stop_vigild() {
	local i
	[ -n "$vpid" ] || return 0
	kill -TERM "$vpid" 2> /dev/null || unclean=1
	for i in $(seq 50); do
		kill -0 "$vpid" 2> /dev/null || break
		sleep 0.1
	done
	kill -KILL "$vpid" 2> /dev/null && unclean=1
	wait "$vpid" 2> /dev/null
	vpid=
}

cleanup() {
	stop_vigild
	auditd_private_stop
	# vigild removes its rules when it stops; if it could not, delete
	# what it left under its key (never another key's rules), unless
	# rules under that key were there before the run.
	[ "$unclean" = 1 ] && [ "$had_vigil_rules" = 0 ] &&
		audit_del_key "$key"
	audit_restore
	if [ "${KEEP:-0}" = 1 ]; then
		echo "work directory kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ticks=$(getconf CLK_TCK)
cpu_ms() { # utime+stime of a pid (all its threads), in ms
	awk -v t="$ticks" '{ print ($14 + $15) * 1000 / t }' "/proc/$1/stat"
}
lost() { auditctl -s | awk '$1 == "lost" { print $2 }'; }

# ---- the older mode: vigil's audit reader alone, against auditd ----
run_reader() {
	local live=$build/tests/integration/audit/audit_live
	local spawn=$build/tests/integration/audit/audit_spawn
	local rate=${rates%% *}
	local lost0 lost1 a0 a1 execs vcpu vexec ir ev rec

	[ -x "$live" ] && [ -x "$spawn" ] ||
		{ echo "build $live and $spawn"; exit 1; }
	auditd_private_start "$work" || { echo "auditd did not start"; exit 1; }
	auditctl -b 8192 > /dev/null
	"$live" read multicast $((secs + 3)) > "$work/vigil.out" \
		2> "$work/vigil.err" &
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
		printf "auditd logged %d exec events, vigil built %d (both " \
		       "see every exec on the host)\n", n, vn
		printf "auditd CPU %.0f ms = %.1f ms per 1000 events\n", a,
		       a * 1000 / n
		printf "vigil  CPU %.0f ms = %.1f ms per 1000 events\n",
		       v / 1000, v / n
		printf "ratio vigil/auditd = %.2f\n", (v / 1000) / a
		printf "kernel lost during the run: %d\n", l1 - l0
	}'
	command -v valgrind > /dev/null || return 0
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
}

# ---- the real agent ----

# Writes $work/vigil.yaml: the shipped configuration's choices, with the
# paths in $work and the build's plugins.
write_config() {
	local rules=true proc=true interval=10ms

	case $variant in
	full) ;;
	norules) rules=false ;;
	noproc) proc=false ;;
	nopace) interval=0 ;; # a read at every wake-up, as before the pacer
	*) echo "variant: full, norules, noproc or nopace"; exit 2 ;;
	esac
	mkdir -p "$work/run" "$work/state" "$work/log"
	cat > "$work/vigil.yaml" <<EOC
agent:
  pid_file: $work/run/vigild.pid
  control_socket: $work/run/vigil.sock
  state_dir: $work/state
  plugin_dir: $build/plugins/.libs
  log: {target: stderr, level: info}
output:
  stdout: {enabled: false}
plugins:
  - name: rules
    enabled: $rules
    config:
      paths: [$here/../rules/default]
  - name: file_sink
    config:
      path: $work/log/signals.json
      what: signals
      format: json
audit:
  mode: multicast
  key: $key
  rules: true
  timeout: 2s
  read_interval: $interval
proc:
  enabled: $proc
  max_processes: 32768
  read_exec_image: false
  read_interval: $interval
dns: {enabled: false}
EOC
}

# Takes a snapshot of vigild's status into file $1 and the wall-clock
# time of the snapshot (the middle of the vigilctl call, a few ms long)
# into $1.t.  Exits the script if vigild does not answer.
vigil_snapshot() {
	local ta tb
	ta=$(date +%s.%N)
	"$build/vigilctl" -s "$work/run/vigil.sock" status --json > "$1" ||
		{ echo "vigild stopped answering"; exit 1; }
	tb=$(date +%s.%N)
	echo "$ta $tb" | awk '{ printf "%.6f\n", ($1 + $2) / 2 }' > "$1.t"
}

# Prints "exec events enobufs serial_gaps kernel_lost" from the status
# snapshot in file $1.
vigil_counters() {
	python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
a = [x for x in s["sources"] if x["name"] == "audit"][0]
print(s["events_by_type"].get("exec", 0), s["events"], a["enobufs"],
      a["serial_gaps"], a["kernel_lost"])' "$1"
}

# Exec events auditd logged in each window of $work/raw (wall-clock
# start and end in fields 3 and 4): the exec SYSCALL records (execve,
# execveat; b64 and b32) whose audit(EPOCH:SERIAL) time falls inside,
# and all its records in the window, and the exec records that succeeded
# (success=yes: vigild builds exec events for those; a shell's PATH
# search fails several execve calls per command).  Read once auditd has
# stopped, so its last writes are in.  Prints "execs records ok" per
# window, in order.
auditd_execs_per_window() {
	awk 'NR == FNR { t0[FNR] = $3; t1[FNR] = $4
			 n[FNR] = r[FNR] = ok[FNR] = 0
			 w = FNR; next }
	{
		if (!match($0, /audit\([0-9.]+:/))
			next
		t = substr($0, RSTART + 6, RLENGTH - 7) + 0
		x = /^type=SYSCALL / &&
		    /arch=(c000003e syscall=(59|322)|40000003 syscall=(11|358)) /
		for (i = 1; i <= w; i++)
			if (t >= t0[i] && t < t1[i]) {
				r[i]++
				n[i] += x
				ok[i] += x && / success=yes /
			}
	}
	END { for (i = 1; i <= w; i++) print n[i], r[i], ok[i] }' \
		"$work/raw" "$work/audit.log"
}

start_vigild() {
	local i
	"$build/vigild" -f -c "$work/vigil.yaml" > "$work/vigild.out" \
		2> "$work/vigild.err" &
	vpid=$!
	for i in $(seq 100); do
		[ -S "$work/run/vigil.sock" ] &&
			auditctl -l | grep -q "execve.*key=$key\$" && return 0
		kill -0 "$vpid" 2> /dev/null || break
		sleep 0.1
	done
	echo "vigild did not start:"
	cat "$work/vigild.err"
	exit 1
}

# One measured window at target rate $1 (0: maximum): appends to
# $work/raw "rate achieved t0 t1 vcpu0 vcpu1 acpu0 acpu1 lost0 lost1"
# then vigild's counters before and after (see vigil_counters).  t0 and
# t1 are the times of vigild's two status snapshots; auditd's exec count
# is taken over the same interval (by record time), CPU readings are
# next to the snapshots, so every figure covers the same window, drain
# included.
measure() {
	local rate=$1 v0 v1 a0 a1 l0 l1 t0 t1 out achieved
	sleep 1
	l0=$(lost)
	v0=$(cpu_ms "$vpid")
	a0=$(cpu_ms "$AUDITD_PID")
	vigil_snapshot "$work/c0.json"
	t0=$(cat "$work/c0.json.t")
	"$build/bench/exec_load" "$secs" "$rate" > "$work/load.out" || exit 1
	out=$(cat "$work/load.out")
	# let the 2 s end-of-event timeout and auditd's writes drain
	sleep 3
	vigil_snapshot "$work/c1.json"
	t1=$(cat "$work/c1.json.t")
	v1=$(cpu_ms "$vpid")
	a1=$(cpu_ms "$AUDITD_PID")
	l1=$(lost)
	achieved=$(echo "$out" | sed -n 's/.*rate=\([0-9]*\).*/\1/p')
	echo "$rate $achieved $t0 $t1 $v0 $v1 $a0 $a1 $l0 $l1" \
	     "$(vigil_counters "$work/c0.json") $(vigil_counters "$work/c1.json")" |
		tee -a "$work/raw" | awk '{
		printf "  target %s: %d exec/s, vigild %.0f ms for %d exec," \
		       " auditd %.0f ms, lost %d\n", $1 ? $1 : "max", $2,
		       $6 - $5, $16 - $11, $8 - $7, $10 - $9 }'
}

# The table, from $work/raw and the auditd counts per window: CPU ms per
# 1000 exec events for each, ratio vigild/auditd, losses; then the means
# per target rate.
report() {
	auditd_execs_per_window > "$work/aexec"
	paste -d ' ' "$work/raw" "$work/aexec" | awk '
	function row(k, rate, v, vx, a, ax, rec, lo, en, ga, ve, aok,   vk, ak) {
		# both per exec event of the stream (in the auditd log): the
		# same records reach both readers
		vk = ax ? v * 1000 / ax : 0; ak = ax ? a * 1000 / ax : 0
		printf "%-5s %4d/s  %5d exec %6d rec  vigild %5.0f ms %5.1f" \
		       "  auditd %5.0f ms %5.1f  ratio %.2f  lost %d" \
		       " enobufs %d gaps %d  (exec that succeeded: auditd %d," \
		       " vigild %d; vigild events %d)\n",
		       k, rate, ax, rec, v, vk, a, ak, a ? v / a : 0,
		       lo, en, ga, aok, vx, ve
		if (!(k in o)) { o[k] = ++nk; key[nk] = k }
		n[k]++; rt[k] += rate; vm[k] += vk; am[k] += ak
		ra[k] += a ? v / a : 0; tl[k] += lo; te[k] += en; tg[k] += ga
	}
	{
		row($1 ? $1 : "max", $2, $6 - $5, $16 - $11, $8 - $7, $21,
		    $22, $10 - $9, $18 - $13, $19 - $14, $17 - $12, $23)
	}
	END {
		print "means (CPU ms per 1000 exec events):"
		for (j = 1; j <= nk; j++) {
			k = key[j]
			printf "%-5s %4.0f/s  vigild %5.1f  auditd %5.1f" \
			       "  ratio %.2f  lost %d enobufs %d gaps %d\n",
			       k, rt[k] / n[k], vm[k] / n[k], am[k] / n[k],
			       ra[k] / n[k], tl[k], te[k], tg[k]
		}
	}'
}

run_vigild() {
	local r i
	[ -x "$build/vigild" ] && [ -x "$build/vigilctl" ] &&
		[ -x "$build/bench/exec_load" ] &&
		[ -e "$build/plugins/.libs/rules.so" ] ||
		{ echo "build vigild, vigilctl, plugins and bench/exec_load" \
		       "in $build"; exit 1; }
	command -v python3 > /dev/null || { echo "python3 needed"; exit 77; }
	if grep -q 'enable_sanitizers=yes\|enable-sanitizers' \
		"$build/config.log" 2> /dev/null; then
		echo "warning: $build has sanitizers; figures are not meaningful"
	fi
	write_config
	auditd_private_start "$work" || { echo "auditd did not start"; exit 1; }
	# Debian's default rules (audit.rules) set this backlog
	auditctl -b 8192 > /dev/null
	start_vigild
	echo "vigild pid $vpid (multicast, $variant), auditd pid" \
	     "$AUDITD_PID (unicast); $secs s per run, $reps runs per rate"
	: > "$work/raw"
	for r in $rates; do
		for i in $(seq "$reps"); do
			measure "$r"
		done
	done
	if [ "$profile" = 1 ]; then
		command -v perf > /dev/null || { echo "perf missing"; return; }
		perf record -q -e cpu-clock -F 2000 -g -p "$vpid" \
			-o "$work/perf.data" -- sleep $((secs + 3)) \
			> /dev/null 2>&1 &
		local ppid=$!
		sleep 0.5
		"$build/bench/exec_load" "$secs" 0
		wait "$ppid"
		echo "perf: vigild's self time by symbol, maximum rate:"
		perf report -i "$work/perf.data" --no-children --stdio \
			--sort dso,symbol 2> /dev/null |
			grep -E '^ +[0-9]' | head -40
	fi
	stop_vigild
	auditd_private_stop
	echo "per run: target, achieved rate, exec events and records in" \
	     "the stream (auditd's log), each reader's CPU and CPU ms per" \
	     "1000 exec events:"
	report
	grep -E 'warning|error' "$work/vigild.err" | head -5
}

case $mode in
vigild) run_vigild ;;
reader) run_reader ;;
*) echo "mode: vigild or reader"; exit 2 ;;
esac
