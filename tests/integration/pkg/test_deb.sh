#!/bin/sh
# test_deb: the Debian package installs, runs from the installed paths,
# upgrades over the previous build keeping a modified conffile, and purge
# removes everything it created.
#
#   make check-pkg            (or: sh tests/integration/pkg/test_deb.sh SRCDIR)
#
# Root only; exits 77 (skip) otherwise, when dpkg-buildpackage is missing,
# or when vigil is already installed (the test would disturb it).  It
# installs on this machine (no debootstrap chroot: that needs a mirror)
# and restores it whatever happens: the trap purges both packages and
# removes the temporary tree.  Slow (two package builds): not in TESTS.
set -eu

src=$(cd "${1:-${srcdir:-.}}" && pwd)
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
pass() { echo "ok: $*"; }

[ "$(id -u)" = 0 ] || skip "needs root (dpkg -i)"
command -v dpkg-buildpackage >/dev/null || skip "dpkg-buildpackage missing (apt-get install devscripts debhelper dh-autoreconf fakeroot build-essential)"
command -v dch >/dev/null || skip "dch missing (apt-get install devscripts)"
for p in vigil vigil-dev; do
	if dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'installed\|config-files'; then
		skip "$p is already on this machine; the test would replace it"
	fi
done

tmp=$(mktemp -d /tmp/vigil-test-deb.XXXXXX)
installed=no
cleanup() {
	rc=$?
	if [ $installed = yes ]; then
		dpkg_wait "$tmp/cleanup.log" --purge vigil-dev vigil || true
	fi
	rm -rf "$tmp"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

version=$(sed -n '/^AC_INIT/s/.*\[vigil\], \[\([^]]*\)\].*/\1/p' "$src/configure.ac")

# A clean copy of the source tree: tracked and new files, no build output.
copy_tree() {
	mkdir -p "$1"
	if [ -e "$src/.git" ] && command -v git >/dev/null; then
		(cd "$src" && git ls-files -co --exclude-standard) |
			grep -v '^build/' | (cd "$src" && tar -cf - -T -) |
			tar -xf - -C "$1"
	else
		(cd "$src" && tar --exclude=./build --exclude='*.o' -cf - .) |
			tar -xf - -C "$1"
	fi
}

# dpkg, waiting up to 10 minutes for another dpkg or apt to finish.
dpkg_wait() {
	log=$1
	shift
	tries=0
	while :; do
		if dpkg "$@" >"$log" 2>&1; then
			return 0
		fi
		grep -q 'lock' "$log" && [ $tries -lt 120 ] || return 1
		tries=$((tries + 1))
		sleep 5
	done
}

build() {
	(cd "$1" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -b -us -uc \
		>"$1.build.log" 2>&1) || {
		tail -30 "$1.build.log"
		fail "dpkg-buildpackage in $1"
	}
}

# 1. The current tree, and a newer build of it whose shipped vigil.yaml
#    changed too, so the upgrade has a conffile conflict to resolve.
copy_tree "$tmp/v1/vigil-$version"
copy_tree "$tmp/v2/vigil-$version"
(cd "$tmp/v2/vigil-$version" &&
	DEBEMAIL=test@invalid DEBFULLNAME=test-deb \
	dch --local +pkgtest -D unstable "Upgrade test build." >/dev/null 2>&1 &&
	printf '# changed by the upgrade test build\n' >>etc/vigil.yaml.in)
build "$tmp/v1/vigil-$version"
build "$tmp/v2/vigil-$version"
v1=$(ls "$tmp"/v1/vigil_*.deb) v1dev=$(ls "$tmp"/v1/vigil-dev_*.deb)
v2=$(ls "$tmp"/v2/vigil_*.deb) v2dev=$(ls "$tmp"/v2/vigil-dev_*.deb)
pass "built $(basename "$v1") and $(basename "$v2")"

# 2. Install the first build.
installed=yes
dpkg_wait "$tmp/install.log" -i "$v1" "$v1dev" || {
	cat "$tmp/install.log"
	fail "dpkg -i $(basename "$v1")"
}
out=$(/usr/sbin/vigild --check-config) || fail "vigild --check-config: $out"
[ "$out" = "vigild: /etc/vigil/vigil.yaml: configuration OK" ] ||
	fail "vigild --check-config said: $out"
pass "/usr/sbin/vigild --check-config: $out"
out=$(/usr/bin/vigilctl --version)
[ "$out" = "vigilctl $version" ] || fail "vigilctl --version said: $out"
pass "/usr/bin/vigilctl --version: $out"
for d in /var/lib/vigil /var/log/vigil; do
	[ "$(stat -c %a "$d")" = 750 ] || fail "$d is not mode 0750"
done
pass "/var/lib/vigil and /var/log/vigil exist with mode 0750"
[ -f /lib/systemd/system/vigild.service ] || fail "no unit installed"
grep -qx 'ExecStart=/usr/sbin/vigild -f' /lib/systemd/system/vigild.service ||
	fail "unit does not run /usr/sbin/vigild -f"
[ ! -e /etc/systemd/system/multi-user.target.wants/vigild.service ] ||
	fail "the unit was enabled on install"
if [ -d /run/systemd/system ] && systemctl is-active -q vigild; then
	fail "vigild was started on install"
fi
pass "unit installed, not enabled, not started"
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify /lib/systemd/system/vigild.service ||
		fail "systemd-analyze verify"
	pass "systemd-analyze verify vigild.service"
fi
man -w vigild vigilctl vigil.yaml vigil-rules >/dev/null ||
	fail "man pages not found"
pass "man pages installed"
grep -qx /etc/vigil/vigil.yaml /var/lib/dpkg/info/vigil.conffiles ||
	fail "/etc/vigil/vigil.yaml is not a conffile"

# 3. The administrator changes the config and vigild leaves state.
printf '# local change kept across upgrades\n' >>/etc/vigil/vigil.yaml
echo state >/var/lib/vigil/test-state
echo log >/var/log/vigil/signals.json

# 4. Upgrade to the second build: keep the local config (what an
#    unattended upgrade does), ship the new one beside it.
dpkg_wait "$tmp/upgrade.log" --force-confdef --force-confold \
	-i "$v2" "$v2dev" || {
	cat "$tmp/upgrade.log"
	fail "upgrade to $(basename "$v2")"
}
case $(dpkg-query -W -f '${Version}' vigil) in
*pkgtest*) pass "upgraded to $(dpkg-query -W -f '${Version}' vigil)" ;;
*) fail "upgrade did not install the new version" ;;
esac
grep -q '^# local change kept across upgrades$' /etc/vigil/vigil.yaml ||
	fail "upgrade lost the modified conffile"
[ -f /etc/vigil/vigil.yaml.dpkg-dist ] &&
	grep -q 'changed by the upgrade test build' /etc/vigil/vigil.yaml.dpkg-dist ||
	fail "new shipped config not left as vigil.yaml.dpkg-dist"
[ -f /var/lib/vigil/test-state ] || fail "upgrade removed /var/lib/vigil"
/usr/sbin/vigild --check-config >/dev/null ||
	fail "kept configuration does not check after the upgrade"
pass "modified conffile kept, new one in vigil.yaml.dpkg-dist, state kept"

# 5. Purge removes everything the package and vigild created.
dpkg_wait "$tmp/purge.log" --purge vigil-dev vigil || {
	cat "$tmp/purge.log"
	fail "dpkg --purge"
}
installed=no
for p in /etc/vigil /var/lib/vigil /var/log/vigil /run/vigil \
	/lib/systemd/system/vigild.service /etc/logrotate.d/vigil \
	/usr/sbin/vigild /usr/bin/vigilctl /usr/include/vigil; do
	[ ! -e "$p" ] || fail "$p left after purge"
done
if dpkg-query -W vigil >/dev/null 2>&1 &&
	[ -n "$(dpkg-query -W -f '${Status}' vigil | grep -v not-installed)" ]; then
	fail "dpkg still knows vigil after purge"
fi
pass "purge removed /etc/vigil, /var/lib/vigil, /var/log/vigil, the unit and the binaries"
echo "PASS: test_deb"
