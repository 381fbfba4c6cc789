#!/bin/sh
# test_readme_fresh: rules/README.md is exactly what rules/gen-readme.py
# makes from rules/default/*.yaml, so the rule table cannot drift from the
# policy.  Fix a failure with `make rules-readme`.  Skips (77) without
# python3-yaml.
set -u
: "${VIGIL_SRCDIR:=$(cd "$(dirname "$0")/../../.." && pwd)}"
T=$(mktemp -d /tmp/vigil-readme-test.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM

if ! python3 -c 'import yaml' 2>/dev/null; then
	echo "SKIP: python3 with the yaml module (python3-yaml) is needed"
	exit 77
fi
python3 "$VIGIL_SRCDIR/rules/gen-readme.py" "$VIGIL_SRCDIR/rules/default" \
	"$T/README.md" || { echo "FAIL: gen-readme.py"; exit 1; }
if ! diff -u "$VIGIL_SRCDIR/rules/README.md" "$T/README.md" > "$T/diff"; then
	echo "FAIL: rules/README.md is stale; run 'make rules-readme'"
	head -n 40 "$T/diff"
	exit 1
fi
echo "PASS: rules/README.md matches the policy"
