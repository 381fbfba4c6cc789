#!/bin/bash
# syslog_e2e - the syslog output against a real rsyslog on loopback.
# The test starts its own rsyslogd instances (own config, pid file and
# work directory under a temp dir; never the system's rsyslog or
# /etc/rsyslog.conf): one with imtcp and imudp, one with imtcp over TLS
# (gtls) using a throwaway CA made with openssl.  vigil's pipeline (drive)
# sends sequence-numbered events and signals; rsyslog must write one line
# for each, with our MSGID, structured data and JSON body, in order.
# Then rsyslog is stopped for a while and restarted: nothing is lost.
# Exit 77 when rsyslogd (rsyslog, rsyslog-gnutls) or openssl is missing.
# make distcheck repeats the suite after the main pass (.ci/run):
# VIGIL_SKIP_LIVE skips the live-kernel suites there.
if [ -n "${VIGIL_SKIP_LIVE:-}" ]; then
	echo "SKIP: live-kernel suite already run in the main pass (VIGIL_SKIP_LIVE)"
	exit 77
fi
set -u

here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${top_builddir:-}" ]; then
	top=$top_builddir
elif [ -x "$PWD/tests/integration/forward/drive" ]; then
	top=$PWD
else
	top=$(cd "$here/../../.." && pwd)
fi
drive=$top/tests/integration/forward/drive
so=$top/plugins/.libs/syslog.so
rsyslogd=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
py=/usr/bin/python3
[ -x "$rsyslogd" ] || { echo "SKIP: rsyslogd not installed (apt-get install rsyslog rsyslog-gnutls)"; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: no openssl"; exit 77; }
[ -x "$drive" ] && [ -f "$so" ] || { echo "SKIP: build drive and syslog.so first"; exit 77; }

tmp=$(mktemp -d /tmp/vigil-syslog-e2e.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for f in "$tmp"/*.pid; do
		[ -e "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}
free_port() {
	$py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

pki=$tmp/pki
mkdir -p "$pki"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=vigil test CA" \
	-keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null &&
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
	-keyout "$pki/server.key" -out "$pki/server.csr" 2>/dev/null &&
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$pki/server.ext" &&
openssl x509 -req -in "$pki/server.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
	-CAcreateserial -days 2 -extfile "$pki/server.ext" \
	-out "$pki/server.crt" 2>/dev/null || fail "cannot make the test PKI"
chmod 644 "$pki"/*

tcp_port=$(free_port)
udp_port=$(free_port)
tls_port=$(free_port)

# rsyslog NAME: writes $tmp/NAME.conf; inputs come from $inputs
template='template(name="vigil" type="string" string="%msgid% %structured-data% %msg%\n")'
write_conf() {
	local name=$1 globals=$2 modules=$3 inputs=$4
	mkdir -p "$tmp/$name.work"
	cat >"$tmp/$name.conf" <<EOF
global(workDirectory="$tmp/$name.work" maxMessageSize="64k" $globals)
$modules
$inputs
$template
action(type="omfile" file="$tmp/$name.log" template="vigil")
EOF
}
start_rsyslog() {
	local name=$1
	rm -f "$tmp/$name.pid"
	"$rsyslogd" -n -f "$tmp/$name.conf" -i "$tmp/$name.pid" \
		>>"$tmp/$name.err" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do
		[ -s "$tmp/$name.pid" ] && sleep 0.3 && return 0
		sleep 0.05
	done
	fail "rsyslogd $name did not start: $(cat "$tmp/$name.err")"
}
stop_rsyslog() {
	local pid
	pid=$(cat "$tmp/$1.pid")
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

write_conf plain "" 'module(load="imtcp")
module(load="imudp")' "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"$tcp_port\")
input(type=\"imudp\" address=\"127.0.0.1\" port=\"$udp_port\")"
write_conf tls "defaultNetstreamDriverCAFile=\"$pki/ca.crt\" defaultNetstreamDriverCertFile=\"$pki/server.crt\" defaultNetstreamDriverKeyFile=\"$pki/server.key\"" \
	'module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")' \
	"input(type=\"imtcp\" address=\"127.0.0.1\" port=\"$tls_port\")"
rsyslogd_tls_ok=1
start_rsyslog plain
start_rsyslog tls || rsyslogd_tls_ok=0

# config NAME TRANSPORT PORT [extra]
config() {
	cat >"$tmp/$1.yaml" <<EOF
agent: {state_dir: $tmp/state-$1}
plugins:
  - name: syslog
    path: $so
    config:
      transport: $2
      host: 127.0.0.1
      port: $3
      what: both
      facility: local3
      reconnect_min: 1
      reconnect_max: 2
${4:-}
EOF
}

# check LOG N: N events (seq 0..N-1) in order, every 10th with a signal
check_log() {
	$py - "$1" "$2" <<'EOF' || fail "rsyslog output check: $1"
import json, re, sys
path, n = sys.argv[1], int(sys.argv[2])
seqs, sigs, bad = [], 0, []
for line in open(path, encoding="utf-8"):
    m = re.match(r'^(\S+) (\[vigil@32473 [^\n]*?\]) (\{.*\})$', line.rstrip("\n"))
    if not m:
        bad.append("unparsed: " + line[:120]); continue
    msgid, sd, body = m.groups()
    rec = json.loads(body)
    seq = int(re.search(r' seq="(\d+)"', sd).group(1)) if ' seq="' in sd else 0
    if rec.get("event", {}).get("seq", 0) != seq:
        bad.append("seq %d in SD but %r in JSON" % (seq, rec.get("event")))
    if msgid == "signal":
        sigs += 1
        if 'rule="test_rule\\"quoted\\]"' not in sd or 'severity="high"' not in sd:
            bad.append("signal SD lacks escaped rule/severity: " + sd)
        if rec.get("signal", {}).get("rule_id", rec.get("signal", {}).get("rule")) is None:
            bad.append("signal JSON lacks the rule: %r" % rec.get("signal"))
        continue
    if msgid != "exec" or 'type="exec"' not in sd or 'exe="/usr/bin/true"' not in sd:
        bad.append("event line wrong: " + line[:160])
    seqs.append(seq)
if seqs != list(range(n)):
    missing = sorted(set(range(n)) - set(seqs))
    bad.append("events: %d lines, %d missing (first %r), in order: %s" %
               (len(seqs), len(missing), missing[:5], seqs == sorted(seqs)))
if sigs != (n + 9) // 10:
    bad.append("%d signal lines, want %d" % (sigs, (n + 9) // 10))
for b in bad[:10]:
    print("check: " + b)
print("check: %s: %d events, %d signals %s" % (path, len(seqs), sigs, "OK" if not bad else "FAILED"))
sys.exit(1 if bad else 0)
EOF
}

# wait_lines LOG N: until LOG has N lines (10 s at most)
wait_lines() {
	for _ in $(seq 100); do
		[ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

echo "== TCP with octet counting"
config tcp tcp "$tcp_port"
"$drive" "$tmp/tcp.yaml" --count 2000 --batch 100 --signal-every 10 \
	--wait-out 2200 --timeout 20 >"$tmp/tcp.drive" 2>&1 ||
	fail "tcp: not delivered: $(tail -3 "$tmp/tcp.drive")"
wait_lines "$tmp/plain.log" 2200 || fail "rsyslog wrote $(wc -l <"$tmp/plain.log") of 2200 lines"
check_log "$tmp/plain.log" 2000

echo "== UDP"
stop_rsyslog plain
mv "$tmp/plain.log" "$tmp/plain-tcp.log"
start_rsyslog plain
config udp udp "$udp_port"
"$drive" "$tmp/udp.yaml" --count 500 --batch 10 --signal-every 10 \
	--wait-out 550 --timeout 20 >"$tmp/udp.drive" 2>&1 ||
	fail "udp: not sent: $(tail -3 "$tmp/udp.drive")"
wait_lines "$tmp/plain.log" 550 || fail "rsyslog wrote $(wc -l <"$tmp/plain.log") of 550 UDP lines"
check_log "$tmp/plain.log" 500

if [ "$rsyslogd_tls_ok" = 1 ]; then
	echo "== TLS (RFC 5425), server certificate verified"
	tlsconf="      tls: {ca_file: $pki/ca.crt, server_name: localhost}"
	config tls tls "$tls_port" "$tlsconf"
	"$drive" "$tmp/tls.yaml" --count 2000 --batch 100 --signal-every 10 \
		--wait-out 2200 --timeout 20 >"$tmp/tls.drive" 2>&1 ||
		fail "tls: not delivered: $(tail -3 "$tmp/tls.drive")"
	wait_lines "$tmp/tls.log" 2200 || fail "rsyslog wrote $(wc -l <"$tmp/tls.log") of 2200 TLS lines"
	check_log "$tmp/tls.log" 2000
fi

echo "== rsyslog down for a while, then back: nothing lost"
stop_rsyslog plain
mv "$tmp/plain.log" "$tmp/plain-udp.log"
config down tcp "$tcp_port"
"$drive" "$tmp/down.yaml" --count 3000 --batch 50 --interval-ms 10 \
	--signal-every 10 --wait-out 3300 --timeout 40 >"$tmp/down.drive" 2>&1 &
dpid=$!
pids+=("$dpid")
sleep 5
start_rsyslog plain
wait "$dpid" || fail "not all delivered after the outage: $(tail -3 "$tmp/down.drive")"
wait_lines "$tmp/plain.log" 3300 || fail "rsyslog wrote $(wc -l <"$tmp/plain.log") of 3300 lines"
check_log "$tmp/plain.log" 3000

echo "== reload naming a second rsyslog: the rest goes there, nothing lost"
second_port=$(free_port)
write_conf second "" 'module(load="imtcp")' \
	"input(type=\"imtcp\" address=\"127.0.0.1\" port=\"$second_port\")"
start_rsyslog second
stop_rsyslog plain
mv "$tmp/plain.log" "$tmp/plain-down.log"
start_rsyslog plain
config reloadA tcp "$tcp_port"
config reloadB tcp "$second_port"
DRIVE_RELOAD_CONFIG=$tmp/reloadB.yaml "$drive" "$tmp/reloadA.yaml" \
	--count 2000 --batch 50 --interval-ms 10 --reload-at 1000 \
	--wait-out 2000 --timeout 30 >"$tmp/reload.drive" 2>&1 ||
	fail "reload: not delivered: $(tail -3 "$tmp/reload.drive")"
grep -q "settings reloaded; connecting to the new destination" \
	"$tmp/reload.drive" || fail "reload: no reconnect: $(tail -3 "$tmp/reload.drive")"
sleep 1
$py - "$tmp/plain.log" "$tmp/second.log" <<'EOF' || fail "reload: stream check"
import re, sys
def seqs(path):
    out = []
    for line in open(path, encoding="utf-8"):
        if not line.startswith("exec "):
            continue
        m = re.search(r' seq="(\d+)"', line)
        out.append(int(m.group(1)) if m else 0)  # seq 0 is left out
    return out
a, b = seqs(sys.argv[1]), seqs(sys.argv[2])
bad = []
if not a or not b:
    bad.append("first %d lines, second %d: both should have some" % (len(a), len(b)))
if a != sorted(a) or b != sorted(b):
    bad.append("out of order")
if b and a and b[0] > max(a) + 1:
    bad.append("gap: first ends at %d, second starts at %d" % (max(a), b[0]))
if set(a) | set(b) != set(range(2000)):
    bad.append("missing %r" % sorted(set(range(2000)) - set(a) - set(b))[:5])
if max(b, default=0) < 1999 or min(b, default=0) > 1000:
    bad.append("second got %d..%d, want at least 1000..1999" % (min(b, default=-1), max(b, default=-1)))
print("check: reload: first %d lines (to %d), second %d (from %d): %s" %
      (len(a), max(a, default=-1), len(b), min(b, default=-1), "FAILED" if bad else "OK"))
for x in bad:
    print("check: " + x)
sys.exit(1 if bad else 0)
EOF
echo "PASS"
