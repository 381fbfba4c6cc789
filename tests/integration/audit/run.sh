#!/bin/bash
# run.sh - the audit source on the live kernel (root).  Saves the audit
# state (`auditctl -s`, `auditctl -l`) and restores it on every exit path;
# runs a private auditd (its own config, log and no plugins) for the
# scenarios that need one.  Exit 77 when not root or without audit.
# make distcheck repeats the suite after the main pass (.ci/run):
# VIGIL_SKIP_LIVE skips the live-kernel suites there.
if [ -n "${VIGIL_SKIP_LIVE:-}" ]; then
	echo "SKIP: live-kernel suite already run in the main pass (VIGIL_SKIP_LIVE)"
	exit 77
fi
set -u
here=$(cd "$(dirname "$0")" && pwd)
# Built programs: in the build tree (make check runs from its top).
if [ -z "${AUDIT_TEST_BIN:-}" ]; then
	if [ -x tests/integration/audit/audit_live ]; then
		AUDIT_TEST_BIN=$PWD/tests/integration/audit
	else
		AUDIT_TEST_BIN=$here
	fi
fi
bin=$AUDIT_TEST_BIN
. "$here/audit_state.sh"
[ "$(id -u)" = 0 ] || exit 77
command -v auditctl > /dev/null || exit 77
auditctl -s > /dev/null 2>&1 || exit 77
[ -x "$bin/audit_live" ] || { echo "build audit_live first"; exit 1; }

work=$(mktemp -d /tmp/vigil-audit-live.XXXXXX)
audit_save || exit 1
cleanup() {
	auditd_private_stop
	audit_restore
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

fail=0
check() {
	echo "== $*"
	if ! "$@"; then
		echo "FAIL: $*"
		fail=1
	fi
}
owner=$(auditctl -s | awk '$1 == "pid" { print $2 }')
if [ "$owner" != 0 ]; then
	echo "another audit daemon (pid $owner) runs: skipping"
	exit 77
fi

# Nobody owns the socket: unicast, then auto with multicast masked.
check "$bin/audit_live" exec unicast
check "$bin/audit_live" expect-mode unicast nomulticast
check "$bin/audit_live" flush unicast
check "$bin/audit_live" kact unicast "$bin/audit_kact" "$work"

# auditd owns it: multicast coexists, unicast declines.
auditd_private_start "$work/auditd" || { echo "auditd did not start"; exit 1; }
check "$bin/audit_live" exec multicast
check "$bin/audit_live" expect-mode multicast
check "$bin/audit_live" expect-fail unicast "owns the audit unicast socket"
check "$bin/audit_live" expect-fail bogus-mode "audit.mode: 'bogus-mode' is not one of auto, multicast"
check "$bin/audit_live" flush multicast
check "$bin/audit_live" derived multicast "$work"
# auditd kept logging while vigil read the same stream
if ! grep -q 'a1=74776F20776F726473' "$work/auditd/audit.log"; then
	echo "FAIL: auditd did not log the exec vigil saw"
	fail=1
fi
# A queue of 2 and no waiting: a burst overflows it; the kernel's lost
# counter must become an audit_lost event (settings restored by the trap).
auditctl -b 2 > /dev/null && auditctl --backlog_wait_time 0 > /dev/null &&
	check "$bin/audit_live" lost multicast
auditd_private_stop
exit $fail
