#!/bin/sh
# test_systemd_unit_versions: etc/systemd-unit.awk writes vigild.service
# so that each systemd gets only the directives it knows.  For RHEL 7's
# systemd 219, RHEL 8's 239, Debian 11's 247 and a current one: every
# "@since V@" directive is active when V <= the version and commented out
# with the version it needs otherwise; "@before V@" lines (the older
# equivalent) appear only below V; no marker is left behind.
set -eu
src=${VIGIL_SRCDIR:-${srcdir:-.}}
in=$src/etc/vigild.service.in
awkf=$src/etc/systemd-unit.awk
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

for v in 219 239 247 999; do
	out=$tmp/unit.$v
	awk -v version=$v -f "$awkf" "$in" >"$out"
	! grep -q '^@' "$out" || fail "systemd $v: a marker is left: $(grep '^@' "$out" | head -1)"
	n=0
	while IFS= read -r line; do
		case $line in
		@since*|@before*) ;;
		*) continue ;;
		esac
		kind=${line%% *}
		need=${line#@* }
		need=${need%%@*}
		directive=${line#@*@}
		n=$((n + 1))
		if [ "$kind" = @since ] && [ "$v" -ge "$need" ]; then
			grep -qxF "$directive" "$out" ||
				fail "systemd $v: '$directive' (systemd $need) is not active"
		elif [ "$kind" = @since ]; then
			! grep -qxF "$directive" "$out" ||
				fail "systemd $v: '$directive' needs systemd $need but is active"
			grep -qxF "# needs systemd $need (built for $v): $directive" "$out" ||
				fail "systemd $v: '$directive' is not commented out with the version it needs"
		elif [ "$v" -lt "$need" ]; then
			grep -qxF "$directive" "$out" ||
				fail "systemd $v: older equivalent '$directive' missing"
		else
			! grep -qxF "$directive" "$out" ||
				fail "systemd $v: older equivalent '$directive' kept"
		fi
	done <"$in"
	[ $n -gt 10 ] || fail "only $n marked directives found in $in"
	echo "ok: systemd $v: $n marked directives placed"
done

# What the issue's distributions get, spelled out.
grep -qx 'ProtectSystem=full' "$tmp/unit.219" &&
	! grep -q '^StateDirectory=' "$tmp/unit.219" &&
	grep -qx 'ProtectHome=read-only' "$tmp/unit.219" &&
	grep -qx 'NoNewPrivileges=yes' "$tmp/unit.219" ||
	fail "systemd 219: expected ProtectSystem=full, ProtectHome, NoNewPrivileges and no StateDirectory"
grep -qx 'ProtectSystem=strict' "$tmp/unit.239" &&
	grep -q '^SystemCallFilter=@system-service' "$tmp/unit.239" &&
	grep -q '^# needs systemd 245 (built for 239): ProtectClock=yes' "$tmp/unit.239" ||
	fail "systemd 239: expected ProtectSystem=strict, the syscall filter, ProtectClock commented out"
! grep -q '^# needs systemd' "$tmp/unit.247" ||
	fail "systemd 247 (Debian 11) should get every directive"
cmp -s "$tmp/unit.247" "$tmp/unit.999" || fail "systemd 247 and current units differ"
echo "PASS: test_systemd_unit_versions"
