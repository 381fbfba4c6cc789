#!/bin/bash
# audit_kfilter_bench.sh - audit records the kernel emits per 1000
# syscalls of a fixed workload under (a) a catch-all rule set (every
# syscall group vigil knows, no filter: audit.rules: all) and (b) the
# rules vigil derives from the default policy (audit.rules: derived), in
# the same run, alternating, ROUNDS times (root).
#
# Both rule sets come from `vigilctl rules kernel` (the function the audit
# source installs from), under a key of this run; the workload and the
# record counter is bench/audit_kfilter_load (multicast reader: it counts
# the records of the events its workload caused under that key).  Audit
# settings are saved and restored, and only this run's key is deleted.
#
# Usage: audit_kfilter_bench.sh [BUILD_DIR] [ITERATIONS] [ROUNDS]
set -u
build=${1:-.}
iters=${2:-2000}
rounds=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$top/tests/integration/audit/audit_state.sh"
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
command -v auditctl > /dev/null || exit 77
load=$build/bench/audit_kfilter_load
ctl=$build/vigilctl
[ -x "$load" ] && [ -x "$ctl" ] ||
	{ echo "build $ctl and $load (make vigilctl bench/audit_kfilter_load)"; exit 1; }

# Not vigil_t<pid>: the audit tests' restore deletes those keys, and
# other sessions' tests may run while this does.
key=vigilkfb$$
work=$(mktemp -d /tmp/vigil-kfilter-bench.XXXXXX)
audit_save || exit 1
cleanup() {
	audit_del_key "$key"
	audit_restore
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

for mode in all derived; do
	cat > "$work/$mode.yaml" <<CONF
agent:
  pid_file: $work/none.pid
audit:
  key: $key
  rules: $mode
plugins:
  - name: rules
    config:
      paths: [$top/rules/default]
CONF
	"$ctl" -c "$work/$mode.yaml" rules kernel | grep -v '^#' > "$work/$mode.print" ||
		{ echo "vigilctl rules kernel failed for $mode"; exit 1; }
	# Prepended (-A): the kernel tags a record with the first rule that
	# matches, so another tool's catch-all rule must not come first.
	sed 's/^-a /-A /' "$work/$mode.print" > "$work/$mode.rules"
	echo "rule set $mode: $(wc -l < "$work/$mode.rules") rules"
done
echo "-- derived rules (default policy):"
cat "$work/derived.print"
others=$(auditctl -l | grep -vc "key=$key\$\|^No rules")
echo "-- other tools' audit rules present during the run: $others"
auditctl -e 1 > /dev/null

lost() { auditctl -s | awk '$1 == "lost" { print $2 }'; }

# mode -> "syscalls events records enobufs kernel_lost rules_left".  A run
# is only valid when the kernel lost nothing (its queue is shared with
# whatever else runs) and all our rules were still there at the end
# (another tool may flush the rule list).
run() {
	local l0 out
	auditctl -R "$work/$1.rules" > /dev/null || return 1
	l0=$(lost)
	out=$("$load" "$key" "$iters" | sed 's/[a-z]*=//g')
	echo "$out $(( $(lost) - l0 )) $(auditctl -l | grep -c "key=$key\$")"
	audit_del_key "$key"
}

declare -A rec sys ev
for mode in all derived; do rec[$mode]=0; sys[$mode]=0; ev[$mode]=0; done
for r in $(seq "$rounds"); do
	for mode in all derived; do
		read -r s e n b kl left < <(run "$mode") || { echo "run failed"; exit 1; }
		printf 'round %d %-8s syscalls=%d events=%d records=%d enobufs=%d kernel_lost=%d  records/1000 syscalls=%.1f' \
			"$r" "$mode" "$s" "$e" "$n" "$b" "$kl" "$(echo "$n * 1000 / $s" | bc -l)"
		if [ "$kl" != 0 ] || [ "$b" != 0 ] ||
		   [ "$left" != "$(wc -l < "$work/$mode.rules")" ]; then
			echo "  INVALID (records lost or rules removed by someone else: not counted)"
			continue
		fi
		echo
		rec[$mode]=$((rec[$mode] + n))
		sys[$mode]=$((sys[$mode] + s))
		ev[$mode]=$((ev[$mode] + e))
	done
done
[ "${sys[all]}" != 0 ] && [ "${sys[derived]}" != 0 ] ||
	{ echo "no valid round for one of the sets"; exit 1; }
a=$(echo "${rec[all]} * 1000 / ${sys[all]}" | bc -l)
d=$(echo "${rec[derived]} * 1000 / ${sys[derived]}" | bc -l)
printf 'TOTAL catch-all: %.1f records per 1000 syscalls (%d events)\n' "$a" "${ev[all]}"
printf 'TOTAL derived:   %.1f records per 1000 syscalls (%d events)\n' "$d" "${ev[derived]}"
printf 'ratio catch-all / derived: %.2f\n' "$(echo "$a / $d" | bc -l)"
