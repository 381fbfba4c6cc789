#!/bin/sh
# test_dns_block.sh - the DNS source in block mode on the live kernel, in a
# network namespace made by the test, against unbound on its loopback.
#
# Proves:
#   1. with dns.mode block and a rule
#        dns.question.name == "blocked.test", action: deny
#      a lookup of blocked.test gets no answer (the query is dropped: dig
#      times out), over UDP and over TCP (the TCP segment is held and
#      dropped, and so are the client's retransmits of it), allowed.test
#      resolves over both, answers and other names still come out as
#      events, and the status counts held and denied queries;
#   2. a monitor-mode run lets blocked.test resolve (the rule's action is
#      only applied in block mode), with either capture (nfqueue, nflog);
#      block mode with dns.capture nflog is refused (NFLOG cannot hold a
#      packet), and block mode's auto capture is nfqueue;
#   3. after kill -9 of the source both names resolve (fail-open: the
#      rules' bypass lets the queries through with nobody listening).
#
# Nothing outside the namespace is changed.  Exit 77 (skip) when not root
# or a needed tool is missing.  Run from the top build directory.
# make distcheck repeats the suite after the main pass (.ci/run):
# VIGIL_SKIP_LIVE skips the live-kernel suites there.
if [ -n "${VIGIL_SKIP_LIVE:-}" ]; then
	echo "SKIP: live-kernel suite already run in the main pass (VIGIL_SKIP_LIVE)"
	exit 77
fi
set -u

here=$(cd "$(dirname "$0")" && pwd)
MON=${DNS_MONITOR:-./tests/integration/dns/dns_monitor}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, NFQUEUE)"
for t in ip unbound dig iptables; do
	command -v "$t" >/dev/null 2>&1 || skip "$t not installed"
done
[ -x "$MON" ] || skip "$MON not built"

NS=vigil-dnsblock-$$
TMP=$(mktemp -d /tmp/vigil-dnsblock-test.XXXXXX)
MON_PID=
UNBOUND_PID=

cleanup() {
	for p in $MON_PID $UNBOUND_PID; do
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ip netns add "$NS" || skip "cannot create a network namespace"
nsx() { ip netns exec "$NS" "$@"; }
nsx ip link set lo up

sed "s#@DIR@#$TMP#" "$here/unbound.conf.in" >"$TMP/unbound.conf"
ip netns exec "$NS" unbound -c "$TMP/unbound.conf" >"$TMP/unbound.out" 2>&1 &
UNBOUND_PID=$!
i=0
until nsx dig +time=1 +tries=1 +short @127.0.0.1 allowed.test A \
	>/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 50 ] || { cat "$TMP/unbound.out" "$TMP/unbound.log"; \
		fail "unbound did not come up"; }
	sleep 0.1
done

cat >"$TMP/policy.yaml" <<'EOF2'
- rule: deny_blocked_test
  description: lookup of a name on the block list
  severity: high
  expression: dns.question.name == "blocked.test"
  action: deny
EOF2

# start_monitor NAME MODE [CAPTURE]: starts the source, waits until it
# runs.
start_monitor() {
	name=$1
	cat >"$TMP/$name.yaml" <<EOF2
policy: $TMP/policy.yaml
dns:
  queue: 53
  mode: $2
  capture: ${3:-auto}
  batch: 16
EOF2
	rm -f "$TMP/$name.ready"
	ip netns exec "$NS" "$MON" "$TMP/$name.yaml" "$TMP/$name.jsonl" \
		"$TMP/$name.status" "$TMP/$name.ready" 2>"$TMP/$name.err" &
	MON_PID=$!
	i=0
	while [ ! -e "$TMP/$name.ready" ]; do
		kill -0 $MON_PID 2>/dev/null ||
			fail "$name: monitor exited: $(cat "$TMP/$name.err")"
		i=$((i + 1))
		[ $i -lt 100 ] || fail "$name: monitor did not start"
		sleep 0.05
	done
}

stop_monitor() {
	kill -TERM $MON_PID
	wait $MON_PID || fail "monitor exited with $?: $(cat "$TMP"/*.err)"
	MON_PID=
}

# resolves NAME: prints the A answer, empty on timeout (one try, 2 s).
resolves() {
	nsx dig +time=2 +tries=1 +short @127.0.0.1 "$1" A 2>/dev/null |
		grep -E '^[0-9.]+$'
}

# status_counter NAME KEY
status_counter() {
	sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$TMP/$1.status"
}

# ---- 1: block mode ----
start_monitor block block
[ "$(resolves allowed.test)" = 192.0.2.10 ] ||
	fail "block mode: allowed.test did not resolve"
out=$(nsx dig +time=2 +tries=1 @127.0.0.1 blocked.test A 2>&1)
case $out in
*"timed out"* | *"no servers could be reached"*) ;;
*) fail "block mode: blocked.test was answered: $out" ;;
esac
# over IPv6 too
nsx dig +time=2 +tries=1 +short @::1 blocked.test A 2>/dev/null |
	grep -q 192.0.2.66 && fail "block mode: blocked.test answered over IPv6"
[ "$(resolves allowed.test)" = 192.0.2.10 ] ||
	fail "block mode: allowed.test did not resolve after a denial"
# TCP is held too: allowed.test resolves, blocked.test gets no answer
nsx dig +tcp +time=2 +tries=1 +short @127.0.0.1 allowed.test A |
	grep -q 192.0.2.10 || fail "block mode: TCP lookup of allowed.test broken"
nsx dig +tcp +time=3 +tries=1 +short @127.0.0.1 blocked.test A 2>/dev/null |
	grep -q 192.0.2.66 && fail "block mode: blocked.test answered over TCP"
sleep 0.2
stop_monitor
grep -q '"direction":"query".*"qname":"blocked.test"' "$TMP/block.jsonl" ||
	fail "block mode: the denied query is not an event"
grep -q '"direction":"response".*"qname":"allowed.test"' "$TMP/block.jsonl" ||
	fail "block mode: no answer event for allowed.test"
grep '"direction":"response".*"qname":"blocked.test"' \
	"$TMP/block.jsonl" && fail "block mode: an answer to blocked.test"
grep -q '"direction":"query".*"qname":"blocked.test".*"tcp"' \
	"$TMP/block.jsonl" || fail "block mode: the TCP query is not an event"
denied=$(status_counter block denied)
held=$(status_counter block held)
denied_tcp=$(status_counter block denied_tcp)
held_tcp=$(status_counter block held_tcp)
grep -q '"dns_mode":"block"' "$TMP/block.status" || fail "status: not block mode"
grep -q '"capture":"nfqueue","capture_reason":"auto: block mode' \
	"$TMP/block.status" || fail "status: block mode's auto is not nfqueue"
[ $((denied - denied_tcp)) = 2 ] ||
	fail "status: denied=$denied denied_tcp=$denied_tcp, want 2 UDP" \
		"(IPv4 + IPv6)"
[ $((held - held_tcp)) = 4 ] ||
	fail "status: held=$held held_tcp=$held_tcp, want the 4 UDP queries"
# TCP: allowed.test's segment and blocked.test's, then its retransmits
[ "$denied_tcp" -ge 1 ] ||
	fail "status: denied_tcp=$denied_tcp, want the TCP query's segment"
[ "$held_tcp" -ge $((denied_tcp + 1)) ] ||
	fail "status: held_tcp=$held_tcp, want denied_tcp + allowed.test's"
echo "block mode: allowed.test resolves, blocked.test dropped (UDP, TCP);" \
	"held=$held denied=$denied held_tcp=$held_tcp denied_tcp=$denied_tcp"

# ---- 2: monitor mode lets it through, with either capture ----
for cap in nfqueue nflog; do
	start_monitor "monitor-$cap" monitor $cap
	[ "$(resolves blocked.test)" = 192.0.2.66 ] ||
		fail "monitor mode ($cap): blocked.test did not resolve"
	sleep 0.2
	stop_monitor
	[ "$(status_counter "monitor-$cap" held)" = 0 ] ||
		fail "monitor mode ($cap) held queries"
	grep -q '"direction":"response".*"qname":"blocked.test"' \
		"$TMP/monitor-$cap.jsonl" ||
		fail "monitor mode ($cap): no answer event for blocked.test"
done
cat >"$TMP/refused.yaml" <<EOF2
dns:
  mode: block
  capture: nflog
EOF2
nsx "$MON" "$TMP/refused.yaml" "$TMP/refused.jsonl" "$TMP/refused.status" \
	2>"$TMP/refused.err" && fail "block mode started with nflog"
grep -q "dns.capture nflog cannot hold queries" "$TMP/refused.err" ||
	fail "block mode with nflog: $(cat "$TMP/refused.err")"
nsx iptables -w -S | grep -q VIGIL-DNS &&
	fail "block mode with nflog left rules"
echo "monitor mode: blocked.test resolves with nfqueue and nflog;" \
	"block mode with nflog refused"

# ---- 3: kill -9: fail-open ----
start_monitor killed block
[ -z "$(resolves blocked.test)" ] || fail "killed: blocked before the kill"
kill -9 $MON_PID
wait $MON_PID 2>/dev/null
MON_PID=
nsx iptables -w -S | grep -q -- '-j NFQUEUE' ||
	fail "killed: the queue rules are gone, fail-open is not tested"
[ "$(resolves allowed.test)" = 192.0.2.10 ] ||
	fail "after kill -9: allowed.test did not resolve"
[ "$(resolves blocked.test)" = 192.0.2.66 ] ||
	fail "after kill -9: blocked.test did not resolve"
echo "after kill -9: both names resolve (bypass)"
echo "PASS"
