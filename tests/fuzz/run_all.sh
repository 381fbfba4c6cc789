#!/bin/sh
# run_all.sh - build every libFuzzer target with clang and run each for a
# bounded time, so a fuzzer that no longer builds or a parser that crashes
# on its seeds fails CI.
#
#   tests/fuzz/run_all.sh [SECONDS]     (default 10 s a target)
#
# Builds in build/fuzz (configure --enable-fuzzers CC=clang --enable-werror).
# Seeds: the fixtures of each parser where there are any; new inputs go to
# a temporary directory, never into the tree.  A crash leaves its input
# (crash-*) in build/fuzz/crashes and fails the run.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-10}
bdir="$top/build/fuzz"
[ -x "$top/configure" ] || (cd "$top" && ./autogen.sh >/dev/null)
mkdir -p "$bdir"
if [ ! -f "$bdir/Makefile" ]; then
	(cd "$bdir" && "$top/configure" -q --enable-fuzzers --enable-werror \
		--disable-tests CC=clang)
fi
make -C "$bdir" -j"$(nproc 2>/dev/null || echo 2)" >"$bdir/build.log" 2>&1 || {
	tail -n 40 "$bdir/build.log"
	echo "fuzz: the fuzz targets do not build (log: $bdir/build.log)"
	exit 1
}

# seeds of a target: fixture folders whose files are inputs of its parser
seeds_for() {
	case "$1" in
	fuzz_dns) echo "$top/tests/fixtures/dns" ;;
	fuzz_audit_record | fuzz_audit_stream) echo "$top/tests/fixtures/audit" ;;
	fuzz_policy) echo "$top/rules/default $top/tests/fuzz/corpus/policy" ;;
	fuzz_yaml) echo "$top/tests/fixtures/config" ;;
	fuzz_json) echo "$top/tests/fixtures/lang" ;;
	fuzz_cgroup) echo "$top/tests/fixtures/proc/1 $top/tests/fixtures/proc/2000" ;;
	*) ;;
	esac
}

mkdir -p "$bdir/crashes"
pass=0
fail=0
for t in "$bdir"/tests/fuzz/fuzz_*; do
	[ -x "$t" ] || continue
	case "$t" in *.o | *.log) continue ;; esac
	name=$(basename "$t")
	corpus=$(mktemp -d /tmp/vigil-fuzz.XXXXXX)
	dirs=
	for d in $(seeds_for "$name"); do
		[ -d "$d" ] && dirs="$dirs $d"
	done
	# -rss_limit_mb: the policy compiler must stay bounded on hostile
	# macros (issue 22 M6), not only avoid crashing
	if "$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$bdir/crashes/$name-" \
		"$corpus" $dirs >"$bdir/$name.log" 2>&1; then
		echo "PASS: $name ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$bdir/$name.log" | awk '{print $2}') runs)"
		pass=$((pass + 1))
	else
		echo "FAIL: $name"
		tail -n 30 "$bdir/$name.log"
		fail=$((fail + 1))
	fi
	rm -rf "$corpus"
done
[ $((pass + fail)) -gt 0 ] || { echo "fuzz: no fuzz target was built"; exit 1; }
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
