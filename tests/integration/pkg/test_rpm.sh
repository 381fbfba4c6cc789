#!/bin/sh
# test_rpm: `rpmbuild -ta` builds the rpm from the dist tarball (which must
# carry the spec), the packages own every vigil directory they put files
# in, and the spec's RHEL 7/8/9 and --without check branches say what
# each release needs.
#
#   make check-rpm            (or: sh tests/integration/pkg/test_rpm.sh TARBALL)
#
# Needs rpmbuild (Debian: apt-get install rpm); exits 77 without it.
# Builds with --nodeps: the build host is not RHEL, so its libraries come
# from wherever configure finds them (on Debian, Debian's).  Runs the
# spec's %check, which is make check-unit: no root, no kernel.
set -eu

tarball=${1:?usage: test_rpm.sh vigil-VERSION.tar.gz}
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
pass() { echo "ok: $*"; }

command -v rpmbuild >/dev/null || skip "rpmbuild missing (apt-get install rpm)"
[ -f "$tarball" ] || fail "no tarball $tarball"
tmp=$(mktemp -d /tmp/vigil-test-rpm.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

# 1. The spec is in the tarball.
spec_path=$(tar -tzf "$tarball" | grep '/rpm/vigil\.spec$') ||
	fail "$(basename "$tarball") has no rpm/vigil.spec"
tar -xzf "$tarball" -C "$tmp" "$spec_path"
spec=$tmp/$spec_path
grep -q '^Version:[[:space:]]*[0-9]' "$spec" || fail "spec has no filled-in Version"
pass "$(basename "$tarball") carries $spec_path"

# 2. The release branches of the spec.
parse() { # rpmspec defines...
	rpmspec -P "$@" "$spec" 2>"$tmp/rpmspec.err" ||
		{ cat "$tmp/rpmspec.err"; fail "rpmspec -P $*"; }
}
if command -v rpmspec >/dev/null; then
	for el in 7 8 9; do
		parse --define "rhel $el" >"$tmp/el$el.spec"
	done
	grep -q '^BuildRequires:[[:space:]]*systemd$' "$tmp/el7.spec" &&
		! grep -q systemd-rpm-macros "$tmp/el7.spec" &&
		grep -q -- '--with-systemd-version=219' "$tmp/el7.spec" &&
		grep -q '^%config(noreplace) /etc/audisp/plugins.d/vigil.conf' "$tmp/el7.spec" ||
		fail "EL7 branch: systemd (no systemd-rpm-macros), systemd 219, /etc/audisp/plugins.d"
	for el in 8 9; do
		grep -q '^BuildRequires:[[:space:]]*systemd-rpm-macros' "$tmp/el$el.spec" &&
			grep -q '^%config(noreplace) /etc/audit/plugins.d/vigil.conf' "$tmp/el$el.spec" ||
			fail "EL$el branch: systemd-rpm-macros, /etc/audit/plugins.d"
	done
	grep -q -- '--with-systemd-version=239' "$tmp/el8.spec" &&
		grep -q -- '--with-systemd-version=252' "$tmp/el9.spec" ||
		fail "EL8/EL9 units are not written for systemd 239/252"
	parse --define "rhel 9" --without check >"$tmp/nocheck.spec"
	! grep -q 'cmocka' "$tmp/nocheck.spec" &&
		grep -q -- '--disable-tests' "$tmp/nocheck.spec" &&
		! grep -q '^%check' "$tmp/nocheck.spec" ||
		fail "--without check still needs cmocka or runs tests"
	grep -q '^make check-unit$' "$tmp/el9.spec" ||
		fail "%check runs more than the unit tests"
	grep -q '^BuildRequires:[[:space:]]*sqlite-devel' "$tmp/el9.spec" ||
		fail "spec does not declare SQLite (the signal store)"
	grep -q '^BuildRequires:[[:space:]]*zlib-devel' "$tmp/el9.spec" ||
		fail "spec does not declare zlib"
	pass "spec branches: EL7 (systemd 219, audisp), EL8 (239), EL9 (252), --without check"
fi

# 3. rpmbuild -ta on the tarball.
if ! rpmbuild -ta --nodeps --define "_topdir $tmp/rpmbuild" "$tarball" \
	>"$tmp/rpmbuild.log" 2>&1; then
	tail -n 40 "$tmp/rpmbuild.log"
	fail "rpmbuild -ta $(basename "$tarball")"
fi
grep -q '^PASS: tests/unit/' "$tmp/rpmbuild.log" ||
	fail "%check ran no unit test"
! grep -q '^\(PASS\|FAIL\|SKIP\): tests/integration' "$tmp/rpmbuild.log" ||
	fail "%check ran integration (live) tests"
rpms=$(find "$tmp/rpmbuild/RPMS" -name '*.rpm')
[ -n "$rpms" ] || fail "rpmbuild made no rpm"
pass "rpmbuild -ta built $(echo $rpms | xargs -n1 basename | tr '\n' ' ')"

# 4. Every directory below a vigil directory that holds packaged files is
#    owned by a package (rpm -qlp lists files and owned directories).
for r in $rpms; do
	rpm -qlp "$r" 2>/dev/null
done | sort -u >"$tmp/owned"
unowned=
while IFS= read -r path; do
	d=$(dirname "$path")
	while :; do
		case "/$d/" in
		*/vigil/*) ;;
		*) break ;;
		esac
		grep -qxF "$d" "$tmp/owned" ||
			unowned="$unowned $d"
		d=$(dirname "$d")
	done
done <"$tmp/owned"
unowned=$(for d in $unowned; do echo "$d"; done | sort -u)
[ -z "$unowned" ] || fail "unowned directories: $(echo $unowned)"
grep -q '/systemd/system/vigild.service$' "$tmp/owned" ||
	fail "no unit in the package"
! grep -q '\.la$' "$tmp/owned" || fail "libtool archives packaged"
pass "rpm -qlp: every vigil directory is owned; the unit is packaged"
echo "PASS: test_rpm"
