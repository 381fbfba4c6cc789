#!/bin/sh
# tests/compat/run.sh - build vigil on other Debian releases (issue 14).
#
#   sh tests/compat/run.sh [SRCDIR [SUITE...]]     (default suites: bullseye trixie)
#
# For each suite: a debootstrap chroot from the host's Debian mirror, the
# build dependencies of debian/control installed in it with apt
# (apt-get build-dep, so a missing Build-Depends fails here), then
# configure (--enable-werror), make, the unit tests (make check-unit) and
# the .deb (dpkg-buildpackage -b, whose test step also runs only the unit
# tests).  Debian 11 brings curl 7.74, OpenSSL 1.1.1, gcc 10 and systemd
# 247 (stand-ins for RHEL 8/9's libraries); Debian 13 brings msgpack-c.pc,
# gcc 14, OpenSSL 3 and curl 8.  Nothing here touches the kernel: no live
# tests run inside a chroot.
#
# Chroots are kept in /var/cache/vigil-compat/SUITE when that directory
# exists (CI creates it), and built in a temporary directory that is
# removed afterwards otherwise.  Mounts (proc, devpts) are undone by a
# trap, whatever happens.  Root only; exits 77 (skip) without root,
# debootstrap or a reachable mirror.
#
# The .debs are left in the log directory (LOGDIR/SUITE/) for lintian.
#
# Environment: VIGIL_COMPAT_MIRROR (default: the host's first Debian
# mirror from /etc/apt/sources.list*), VIGIL_COMPAT_CACHE (default above),
# VIGIL_COMPAT_JOBS (make -j, default 2).
set -eu

src=$(cd "${1:-.}" && pwd)
[ $# -gt 0 ] && shift
suites=${*:-bullseye trixie}
jobs=${VIGIL_COMPAT_JOBS:-2}

skip() { echo "SKIP: $*"; exit 77; }
say() { echo "compat: $*"; }

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot, mount)"
command -v debootstrap >/dev/null ||
	skip "debootstrap missing (apt-get install debootstrap)"
[ -f "$src/configure.ac" ] && [ -d "$src/debian" ] ||
	{ echo "compat: $src is not a vigil source tree" >&2; exit 64; }

# The mirror the host already uses (deb822 URIs: or one-line deb form).
host_mirror() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		sed -n -e 's|^URIs:[[:space:]]*\([^[:space:]]*/debian\)/*$|\1|p' \
			-e 's|^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\([^[:space:]]*/debian\)/*[[:space:]].*|\2|p' \
			"$f"
	done | head -n 1
}
mirror=${VIGIL_COMPAT_MIRROR:-$(host_mirror)}
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

if [ -n "${VIGIL_COMPAT_CACHE:-}" ]; then
	cache=$VIGIL_COMPAT_CACHE
	keep=yes
elif [ -d /var/cache/vigil-compat ]; then
	cache=/var/cache/vigil-compat
	keep=yes
else
	cache=$(mktemp -d /tmp/vigil-compat.XXXXXX)
	keep=no
fi
mkdir -p "$cache"
logdir=$(mktemp -d /tmp/vigil-compat-logs.XXXXXX)

# Mount points currently mounted by this script, innermost last.
mounted=
cleanup() {
	rc=$?
	for m in $mounted; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	mounted=
	[ $keep = yes ] || rm -rf "$cache"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

do_mount() { # type, target
	mount -t "$1" "$1" "$2"
	mounted="$2 $mounted"
}
undo_mounts() {
	for m in $mounted; do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	mounted=
}

# A fresh copy of the source tree: tracked and new files, no build output.
copy_tree() { # destination
	rm -rf "$1"
	mkdir -p "$1"
	if [ -e "$src/.git" ] && command -v git >/dev/null; then
		(cd "$src" && git ls-files -co --exclude-standard) |
			grep -v '^build/' | (cd "$src" && tar -cf - -T -) |
			tar -xf - -C "$1"
	else
		(cd "$src" && tar --exclude=./build --exclude='*.o' \
			--exclude=./autom4te.cache -cf - .) | tar -xf - -C "$1"
	fi
}

# Run a shell command line inside the chroot, as root, with a clean
# environment: log to $logdir/SUITE-STEP.log, echo the time taken.
in_chroot() { # suite, step, command line
	t0=$(date +%s)
	if chroot "$cache/$1" /usr/bin/env -i HOME=/root \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive /bin/sh -ec "$3" \
		>"$logdir/$1-$2.log" 2>&1; then
		say "$1: $2 ok ($(( $(date +%s) - t0 )) s)"
		return 0
	fi
	say "$1: $2 FAILED ($(( $(date +%s) - t0 )) s); last lines of $logdir/$1-$2.log:"
	tail -n 40 "$logdir/$1-$2.log"
	return 1
}

# debootstrap once per suite; a stamp marks a finished one, so an
# interrupted bootstrap is redone rather than reused.
bootstrap() { # suite
	root=$cache/$1
	if [ -f "$root/.vigil-compat-ready" ]; then
		say "$1: cached chroot $root"
		return 0
	fi
	rm -rf "$root"
	t0=$(date +%s)
	say "$1: debootstrap from $mirror"
	if ! debootstrap --variant=minbase "$1" "$root" "$mirror" \
		>"$logdir/$1-debootstrap.log" 2>&1; then
		tail -n 20 "$logdir/$1-debootstrap.log"
		if grep -q 'Failed getting release file\|Couldn.t download' \
			"$logdir/$1-debootstrap.log"; then
			skip "$mirror does not serve $1"
		fi
		say "$1: debootstrap FAILED"
		return 1
	fi
	# no daemons start in the chroot (postinst scripts of build deps)
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	touch "$root/.vigil-compat-ready"
	say "$1: debootstrap ok ($(( $(date +%s) - t0 )) s)"
}

version=$(sed -n '/^AC_INIT/s/.*\[vigil\], \[\([^]]*\)\].*/\1/p' \
	"$src/configure.ac")
summary=
status=0

# One suite: prints "suite configure build unit package" results.
run_suite() { # suite
	s=$1
	r_conf=- r_build=- r_unit=- r_pkg=-
	bootstrap "$s" || { summary="$summary
$s debootstrap-failed - - -"; status=1; return 0; }
	root=$cache/$s
	cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	do_mount proc "$root/proc"
	mkdir -p "$root/dev/pts"
	do_mount devpts "$root/dev/pts"

	work=/root/vigil-compat
	rm -rf "$root$work"
	copy_tree "$root$work/vigil-$version"

	# Build dependencies from debian/control (with the <!nocheck> test
	# ones), plus what dpkg-buildpackage and autogen.sh need.
	if in_chroot "$s" deps "apt-get update -qq
		apt-get install -y -qq --no-install-recommends build-essential \
			dpkg-dev fakeroot >/dev/null
		ls -ld $work/vigil-$version/debian/control
		apt-get build-dep -y -qq --no-install-recommends \
			$work/vigil-$version/ >/dev/null
		echo gcc: \$(gcc -dumpfullversion -dumpversion)
		for p in libcurl4-openssl-dev libssl-dev libuv1-dev \
			libmsgpack-dev libmsgpack-c-dev systemd systemd-dev zlib1g-dev; do
			dpkg-query -W -f '\${Package} \${Version}\n' \$p 2>/dev/null || :
		done"; then
		:
	else
		summary="$summary
$s deps-failed - - -"
		status=1
		undo_mounts
		return 0
	fi
	sed -n '/^gcc:/p;/^[a-z0-9.+-]* [0-9]/p' "$logdir/$s-deps.log" |
		sed "s/^/compat: $s:   /"

	# configure, build, unit tests in a build directory of their own
	r_conf=FAIL
	if in_chroot "$s" configure "cd $work/vigil-$version && ./autogen.sh >/dev/null
		mkdir -p build/compat && cd build/compat
		../../configure --enable-werror"; then
		r_conf=ok
		r_build=FAIL
		if in_chroot "$s" build "cd $work/vigil-$version/build/compat
			make -j$jobs
			make -j$jobs check TESTS="; then
			r_build=ok
			r_unit=FAIL
			in_chroot "$s" unit-tests \
				"cd $work/vigil-$version/build/compat
				make -j$jobs check-unit" && r_unit=ok
		fi
	fi
	[ "$r_unit" = ok ] && sed -n 's/^# TOTAL:/unit tests: total/p;s/^# PASS:/  pass/p;s/^# FAIL:/  fail/p' \
		"$logdir/$s-unit-tests.log" | tr '\n' ' ' | sed "s/^/compat: $s:   /;s/\$/\n/"

	# the .deb, from a clean copy (dpkg-buildpackage -b as root; its
	# dh_auto_test runs make check-unit)
	r_pkg=FAIL
	copy_tree "$root$work/pkg/vigil-$version"
	if in_chroot "$s" package "cd $work/pkg/vigil-$version
		dpkg-buildpackage -b -us -uc -j$jobs
		cd .. && ls vigil_*.deb vigil-dev_*.deb
		dpkg-deb -c vigil_*.deb | grep -q 'lib/systemd/system/vigild.service'"; then
		r_pkg=ok
		mkdir -p "$logdir/$s"
		cp "$root$work"/pkg/*.deb "$logdir/$s/"
		grep -c '^PASS: tests/unit/' "$logdir/$s-package.log" |
			sed "s/^/compat: $s:   unit tests passed in dpkg-buildpackage: /"
		if grep -q '^PASS: tests/integration\|^FAIL: tests/integration' \
			"$logdir/$s-package.log"; then
			say "$s: the package build ran integration tests"
			r_pkg=FAIL
		fi
	fi
	undo_mounts
	[ $keep = yes ] && rm -rf "$root$work"
	for r in $r_conf $r_build $r_unit $r_pkg; do
		[ "$r" = ok ] || status=1
	done
	summary="$summary
$s $r_conf $r_build $r_unit $r_pkg"
}

start=$(date +%s)
for s in $suites; do
	suite_start=$(date +%s) # in_chroot uses t0
	run_suite "$s"
	say "$s: done in $(( $(date +%s) - suite_start )) s"
done
echo
printf '%-10s %-10s %-10s %-10s %-10s\n' suite configure build unit-tests package
echo "$summary" | sed '/^$/d' | while read -r s a b c d; do
	printf '%-10s %-10s %-10s %-10s %-10s\n' "$s" "$a" "$b" "$c" "$d"
done
say "logs in $logdir; total $(( $(date +%s) - start )) s"
[ $status = 0 ] && echo "PASS: compat" || echo "FAIL: compat"
exit $status
