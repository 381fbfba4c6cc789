#!/bin/sh
# fim_source.sh - runs the live-kernel source test on every rung of the
# fanotify ladder (the lower ones forced through the feature mask).
# FIM_RUNGS picks a subset.  Exit 77 when not root.
# make distcheck repeats the suite after the main pass (.ci/run):
# VIGIL_SKIP_LIVE skips the live-kernel suites there.
if [ -n "${VIGIL_SKIP_LIVE:-}" ]; then
	echo "SKIP: live-kernel suite already run in the main pass (VIGIL_SKIP_LIVE)"
	exit 77
fi
set -u
top=${abs_top_builddir:-$PWD}
[ -x "$top/tests/integration/fim/fim_source_test" ] || top=$(cd "$(dirname "$0")/../../.." && pwd)
bin="$top/tests/integration/fim/fim_source_test"
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
[ -x "$bin" ] || { echo "skip: $bin not built"; exit 77; }
rc=0
for rung in ${FIM_RUNGS:-dfid_name dfid_fs dfid_inode fid mount overflow rescan disabled}; do
	"$bin" "$rung"
	r=$?
	[ $r -eq 77 ] && continue
	[ $r -eq 0 ] || rc=1
done
exit $rc
