#!/bin/sh
# dev.sh - the README's two set-up commands.
#
#   ./dev.sh run    install what is missing, build, install into
#                   ./build/install and run vigild in the foreground with
#                   the default configuration, printing signals
#   ./dev.sh test   install what is missing, build with ASan+UBSan and run
#                   every test; then a plain build checked under valgrind
#
# Both need root (apt-get, and the agent reads the kernel's audit,
# fanotify and netfilter interfaces).  Extra arguments after "run" go to
# vigild (e.g. --json).
set -eu
cd "$(dirname "$0")"
TOP=$(pwd)
JOBS=$(nproc 2>/dev/null || echo 2)

# Debian packages: to build, and to test against real components.
# msgpack-c 6 (Debian 13, Ubuntu 24.04) is packaged as libmsgpack-c-dev.
MSGPACK_DEV=libmsgpack-dev
apt-cache show libmsgpack-c-dev >/dev/null 2>&1 && MSGPACK_DEV=libmsgpack-c-dev
BUILD_DEPS="build-essential autoconf automake libtool pkg-config \
libuv1-dev $MSGPACK_DEV libaudit-dev libauparse-dev libcap-ng-dev \
libcurl4-openssl-dev libyaml-dev libpcre2-dev libsqlite3-dev libssl-dev zlib1g-dev \
libmnl-dev libnetfilter-queue-dev"
# real peers the integration tests start themselves
TEST_DEPS="libcmocka-dev valgrind python3 python3-yaml python3-msgpack clang \
auditd nftables iptables unbound bind9-dnsutils tshark tcpdump dnsperf \
rsyslog rsyslog-gnutls openssl zlib1g-dev netcat-traditional socat \
openssh-server curl"

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "dev.sh: run as root (sudo $0 $1): it installs packages and the agent needs kernel access" >&2
		exit 1
	fi
}

install_deps() {
	missing=
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "dev.sh: installing$missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
}

configure_in() { # dir, configure args...
	dir=$1
	shift
	[ -x "$TOP/configure" ] || (cd "$TOP" && ./autogen.sh >/dev/null)
	mkdir -p "$dir"
	(cd "$dir" && "$TOP/configure" -q "$@")
}

case "${1:-}" in
run)
	need_root run
	shift
	install_deps $BUILD_DEPS
	configure_in "$TOP/build/run" --prefix="$TOP/build/install" \
		--disable-tests
	make -C "$TOP/build/run" -j"$JOBS" install >/dev/null
	echo "dev.sh: starting vigild (Ctrl-C stops it)"
	exec "$TOP/build/install/sbin/vigild" -f "$@"
	;;
test)
	need_root test
	install_deps $BUILD_DEPS $TEST_DEPS
	configure_in "$TOP/build/test" --enable-sanitizers --enable-werror
	make -C "$TOP/build/test" -j"$JOBS"
	status=0
	make -C "$TOP/build/test" -j"$JOBS" check || status=$?
	for log in $(find "$TOP/build/test/tests" -name '*.log' ! -name test-suite.log); do
		if grep -q '^FAIL\|FAILED' "$log" 2>/dev/null; then
			echo "---- $log"
			tail -n 40 "$log"
		fi
	done
	# valgrind cannot run ASan binaries: a plain build for the leak check
	configure_in "$TOP/build/valgrind" --enable-werror
	make -C "$TOP/build/valgrind" -j"$JOBS" >/dev/null
	VIGIL_BUILDDIR="$TOP/build/valgrind" VIGIL_SRCDIR="$TOP" \
		sh "$TOP/tests/integration/daemon/test_valgrind.sh" || status=1
	exit $status
	;;
*)
	echo "usage: $0 run [vigild options] | test" >&2
	exit 64
	;;
esac
