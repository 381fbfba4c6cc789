#!/bin/sh
# dns_bench.sh - what the DNS monitor costs name resolution.
#
# In a throw-away network namespace with unbound answering a local zone on
# its loopback, dnsperf runs without the DNS source and with it in each
# configuration of CONFIGS (tests/integration/dns/dns_monitor: capture,
# verdict where there is one, parse, attribute, submit to a pipeline
# double that only counts; EVENTS=/dev/null adds the double's JSON
# formatting), in turn, ROUNDS times, in one run:
#   - throughput: closed loop, as fast as unbound answers (16 clients,
#     2 threads, 500 outstanding);
#   - latency: open loop at RATE queries/s with per-query latencies (-v),
#     p50/p90/p99 over all rounds;
#   - the monitor's CPU (utime+stime from /proc) per 10 000 queries.
# Targets (issue 7): >= 90 % of the no-vigil rate, p99 added < 200 us.
#
#   sudo [CONFIGS="..."] bench/dns_bench.sh [ROUNDS] [SECONDS] [RATE]
# CONFIGS (default "floor-nfqueue floor-nflog nfqueue nflog block"):
# nfqueue and nflog are monitor mode with that capture; block is block
# mode (NFQUEUE) with a deny rule that none of the queries matches: every
# query waits for parsing and the rule engine before its verdict.
# floor-nfqueue and floor-nflog are bench/dns_floor (FLOOR=path) with
# the same kernel setup as the source (rules, batch, copy range) and no
# work of its own: verdicts only, or reads only; what the capture costs
# before vigil parses anything.
# Build dns_monitor without sanitizers for meaningful figures and point
# DNS_MONITOR at it.  Nothing leaves the namespace; it is removed on exit.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$here/..
ROUNDS=${1:-3}
SECS=${2:-5}
RATE=${3:-5000}
MON=${DNS_MONITOR:-./tests/integration/dns/dns_monitor}
FLOOR=${FLOOR:-./bench/dns_floor}

[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
for t in ip unbound dnsperf python3; do
	command -v $t >/dev/null 2>&1 || { echo "$t missing"; exit 77; }
done
[ -x "$MON" ] || { echo "$MON not built"; exit 77; }

NS=vigil-dnsbench-$$
TMP=$(mktemp -d /tmp/vigil-dnsbench.XXXXXX)
MON_PID=
UNBOUND_PID=
cleanup() {
	for p in $MON_PID $UNBOUND_PID; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ip netns add "$NS" || exit 77
ip netns exec "$NS" ip link set lo up
sed "s#@DIR@#$TMP#" "$top/tests/integration/dns/unbound.conf.in" |
	sed 's/^\tlogfile:.*/\tverbosity: 0/' >"$TMP/unbound.conf"
ip netns exec "$NS" unbound -c "$TMP/unbound.conf" >/dev/null 2>&1 &
UNBOUND_PID=$!
sleep 1

cat >"$TMP/queries" <<EOF
www.test.example A
www.test.example AAAA
alias.test.example A
txt.test.example TXT
test.example MX
_sip._udp.test.example SRV
1.2.0.192.in-addr.arpa PTR
test.example NS
test.example SOA
nx.test.example A
EOF
CONFIGS=${CONFIGS:-floor-nfqueue floor-nflog nfqueue nflog block}
cat >"$TMP/policy.yaml" <<EOF
- rule: deny_blocked
  description: lookup of a blocked name
  severity: high
  expression: dns.question.name == "blocked.test"
  action: deny
EOF
for c in $CONFIGS; do
	case $c in
	# each capture with its default batch (nfqueue 64, nflog 256)
	nfqueue | nflog) printf 'dns:\n  queue: 53\n  capture: %s\n' \
		"$c" >"$TMP/$c.yaml" ;;
	block) printf 'dns:\n  queue: 53\n  mode: block\npolicy: %s\n' \
		"$TMP/policy.yaml" >"$TMP/$c.yaml" ;;
	floor-*) [ -x "$FLOOR" ] || { echo "$FLOOR not built"; exit 77; } ;;
	*) echo "unknown configuration $c"; exit 2 ;;
	esac
done

# The floors' rules: where the source's own rules take loopback DNS
# (NFQUEUE at OUTPUT, NFLOG at INPUT: src/dns/firewall.h), UDP only
# as dnsperf sends, in the namespace's built-in chains.
floor_rules() { # -A|-D config
	case $2 in
	floor-nfqueue) chain=OUTPUT
		target="NFQUEUE --queue-num 53 --queue-bypass" ;;
	floor-nflog) chain=INPUT
		target="NFLOG --nflog-group 53 --nflog-size 4096 --nflog-threshold 256" ;;
	esac
	for p in --dport --sport; do
		ip netns exec "$NS" iptables -w "$1" $chain -p udp $p 53 \
			-j $target || exit 1
	done
}

start_monitor() { # config
	rm -f "$TMP/ready"
	case $1 in
	floor-*)
		floor_rules -A "$1"
		# batch as the source's defaults: 64 verdicts, 256 logged
		ip netns exec "$NS" "$FLOOR" "${1#floor-}" 53 \
			"$([ "$1" = floor-nflog ] && echo 256 || echo 64)" \
			"$TMP/ready" 2>"$TMP/mon.err" & ;;
	*)
		ip netns exec "$NS" "$MON" "$TMP/$1.yaml" "${EVENTS:--}" \
			"$TMP/$1.status" "$TMP/ready" 2>"$TMP/mon.err" & ;;
	esac
	MON_PID=$!
	while [ ! -e "$TMP/ready" ]; do
		kill -0 $MON_PID 2>/dev/null ||
			{ cat "$TMP/mon.err"; exit 1; }
		sleep 0.05
	done
}
stop_monitor() { # config
	kill -TERM $MON_PID
	wait $MON_PID
	MON_PID=
	case $1 in
	floor-*) floor_rules -D "$1" ;;
	esac
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

throughput() { # label
	ip netns exec "$NS" dnsperf -s 127.0.0.1 -d "$TMP/queries" -l "$SECS" \
		-c 16 -T 2 -q 500 2>&1 | awk -v l="$1" '
		/Queries completed:/ { done = $3 }
		/Queries per second:/ { qps = $4 }
		END { print l, done, qps }' >>"$TMP/throughput"
}
latency() { # label
	ip netns exec "$NS" dnsperf -s 127.0.0.1 -d "$TMP/queries" -l "$SECS" \
		-Q "$RATE" -v 2>/dev/null |
		awk -v l="$1" -v sum="$TMP/openloop" '
		$1 == ">" { print l, $NF }
		/Queries lost:/ { lost = $3 }
		/Queries per second:/ { print l, $4, lost >> sum }' \
		>>"$TMP/latency"
}

: >"$TMP/throughput"
: >"$TMP/latency"
: >"$TMP/cpu"
: >"$TMP/openloop"
r=0
while [ $r -lt "$ROUNDS" ]; do
	throughput off
	latency off
	for c in $CONFIGS; do
		start_monitor "$c"
		t0=$(cpu_ticks $MON_PID)
		throughput "$c"
		t1=$(cpu_ticks $MON_PID)
		echo "$c $(tail -1 "$TMP/throughput" | awk '{print $2}')" \
			"$((t1 - t0))" >>"$TMP/cpu"
		latency "$c"
		stop_monitor "$c"
	done
	r=$((r + 1))
done

python3 - "$TMP" "$(getconf CLK_TCK)" "$RATE" "$ROUNDS" "$SECS" $CONFIGS <<'EOF'
import json, sys
tmp, hz, rate, rounds, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
configs = sys.argv[6:]
labels = ["off"] + configs
qps = {k: [] for k in labels}
for l in open(tmp + "/throughput"):
    f = l.split()
    if len(f) == 3:
        qps[f[0]].append(float(f[2]))
lat = {k: [] for k in labels}
for l in open(tmp + "/latency"):
    f = l.split()
    lat[f[0]].append(float(f[1]) * 1e6)
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100.0 * len(v)))] if v else float("nan")
cpu = {k: [0, 0] for k in configs}
for l in open(tmp + "/cpu"):
    k, n, t = l.split()
    cpu[k][0] += int(n); cpu[k][1] += int(t)
ol = {k: [0.0, 0, 0] for k in labels}
for l in open(tmp + "/openloop"):
    f = l.split()
    if len(f) == 3:
        ol[f[0]][0] += float(f[1]); ol[f[0]][1] += int(f[2]); ol[f[0]][2] += 1
mean = lambda v: sum(v) / len(v) if v else float("nan")
off = mean(qps["off"])
print("dns_bench: %s rounds of %s s, unbound on loopback in a netns; "
      "open loop at %s q/s" % (rounds, secs, rate))
print("%-8s %9s %7s %9s %9s %9s %12s %s" % ("config", "q/s", "rate",
      "p50 +us", "p90 +us", "p99 +us", "ms/10k q", "per round q/s"))
for k in labels:
    q = mean(qps[k])
    added = ["%9.1f" % (pct(lat[k], p) - pct(lat["off"], p)) if k != "off"
             else "%9.1f" % pct(lat["off"], p) for p in (50, 90, 99)]
    c = "%12.1f" % (1000.0 * cpu[k][1] / float(hz) / (cpu[k][0] / 10000.0)) \
        if k in cpu and cpu[k][0] else "%12s" % "-"
    print("%-8s %9.0f %6.1f%% %s %s %s" % (k, q, 100.0 * q / off,
          " ".join(added), c, " ".join("%.0f" % x for x in qps[k])))
print("(the off row's latency columns are absolute p50/p90/p99 in us)")
for k in labels:
    if ol[k][2]:
        print("open loop %-8s: achieved %.0f q/s, %d lost"
              % (k, ol[k][0] / ol[k][2], ol[k][1]))
for k in configs:
    if k.startswith("floor-"):
        continue
    st = json.load(open("%s/%s.status" % (tmp, k)))
    print("last %s run: capture %s (%s), packets %d, events %d, malformed "
          "%d, attributed %d, socket overruns %d, kernel lost %s"
          % (k, st.get("capture"), st.get("capture_reason"), st["packets"],
             st["events"], sum(st["malformed"].values()), st["attributed"],
             st["socket_overruns"],
             st.get("nflog_lost", st.get("kernel_user_dropped", "?"))))
    if st.get("datagrams"):
        print("  nflog: %.1f packets per datagram, batching switches %d, "
              "kernel time to read %.1f us on average, %.1f us at most"
              % (st["packets"] / float(st["datagrams"]),
                 st["batching_switches"],
                 st["read_delay_ns_total"] / 1000.0 /
                 max(st["read_delay_samples"], 1),
                 st["read_delay_ns_max"] / 1000.0))
    if st.get("hold_rounds"):
        print("  block: %d queries held in %d reads, held for parsing and "
              "rules %.1f us per read on average, %.1f us at most"
              % (st["held"], st["hold_rounds"],
                 st["hold_ns_total"] / 1000.0 / st["hold_rounds"],
                 st["hold_ns_max"] / 1000.0))
EOF
