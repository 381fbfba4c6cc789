#!/bin/sh
# test_version_sync: the version in debian/changelog (upstream part) and
# the one rpm/vigil.spec.in gets must be configure.ac's, so a release
# never ships packages whose version lies about their contents.
set -eu
top=${srcdir:-.}
ac=$(sed -n 's/^AC_INIT(\[vigil\], \[\([^]]*\)\].*/\1/p' "$top/configure.ac")
deb=$(sed -n '1s/^vigil (\([^)]*\)).*/\1/p' "$top/debian/changelog")
deb_upstream=${deb%-*}
deb_upstream=${deb_upstream#*:}
fail=0
if [ -z "$ac" ]; then
	echo "FAIL: no version in AC_INIT of configure.ac"
	exit 1
fi
if [ "$deb_upstream" != "$ac" ]; then
	echo "FAIL: debian/changelog is $deb, configure.ac is $ac: run"
	echo "      dch -v $ac-1 'New upstream release.'"
	fail=1
fi
if ! grep -q '^Version:[[:space:]]*@VERSION@$' "$top/rpm/vigil.spec.in"; then
	echo "FAIL: rpm/vigil.spec.in must say 'Version: @VERSION@'"
	fail=1
fi
[ $fail = 0 ] && echo "PASS: configure.ac, debian/changelog and the rpm spec agree on $ac"
exit $fail
