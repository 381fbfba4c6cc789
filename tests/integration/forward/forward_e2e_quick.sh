#!/bin/bash
# forward_e2e with a 3-second outage, for make check (under a minute).
# The full test, with the 60-second outage: forward_e2e.sh 60
# make distcheck repeats the suite after the main pass (.ci/run):
# VIGIL_SKIP_LIVE skips the live-kernel suites there.
if [ -n "${VIGIL_SKIP_LIVE:-}" ]; then
	echo "SKIP: live-kernel suite already run in the main pass (VIGIL_SKIP_LIVE)"
	exit 77
fi
exec "$(dirname "$0")/forward_e2e.sh" 3
