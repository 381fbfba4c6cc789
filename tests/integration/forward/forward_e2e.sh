#!/bin/bash
# forward_e2e - the forward output against an independent server
# (fwd_server.py, python3-msgpack) on loopback, driven by a real pipeline
# (drive, the same plugin loading as vigild):
#   1. the stream obeys the Forward Protocol v1 (both modes), with the
#      shared-key handshake and acks;
#   2. a server with another shared key gets nothing; the records wait in
#      the spool across a restart and reach the right server afterwards;
#   3. the server down for FWD_DOWN_SECONDS (default 60) in the middle of
#      a stream, then back: every record arrives, in order;
#   4. kill -9 of the sender during a burst, then a restart: every record
#      that reached the spool arrives;
#   5. TLS with a test CA: verified server and client certificates carry
#      the stream; a server certificate from another CA, or for another
#      name, gets nothing;
#   6. a reload (SIGHUP) naming another server: the rest of the stream
#      goes there, nothing lost, each connection in order.
# Usage: forward_e2e.sh [down_seconds]    (exit 77: python3-msgpack absent)
set -u

down=${1:-${FWD_DOWN_SECONDS:-60}}
here=$(cd "$(dirname "$0")" && pwd)
# make check runs us from the top build directory (maybe not srcdir)
if [ -n "${top_builddir:-}" ]; then
	top=$top_builddir
elif [ -x "$PWD/tests/integration/forward/drive" ]; then
	top=$PWD
else
	top=$(cd "$here/../../.." && pwd)
fi
py=/usr/bin/python3
drive=$top/tests/integration/forward/drive
so=$top/plugins/.libs/forward.so
server=$here/fwd_server.py

if ! $py -c 'import msgpack' 2>/dev/null; then
	echo "SKIP: python3-msgpack is not installed (apt-get install python3-msgpack)"
	exit 77
fi
for f in "$drive" "$so"; do
	[ -x "$f" ] || [ -f "$f" ] || { echo "SKIP: $f not built"; exit 77; }
done

tmp=$(mktemp -d /tmp/vigil-fwd-e2e.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
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

port=$(free_port)

# start_server OUT [args...]: a server on $port; its pid in $spid
start_server() {
	local out=$1
	shift
	rm -f "$tmp/ready"
	$py "$server" serve --port "$port" --out "$out" --ready "$tmp/ready" "$@" \
		2>>"$tmp/server.err" &
	spid=$!
	pids+=("$spid")
	for _ in $(seq 100); do
		[ -e "$tmp/ready" ] && return 0
		sleep 0.05
	done
	fail "server did not start"
}

stop_server() {
	kill -9 "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
}

# config NAME KEY MODE [extra yaml lines]: a vigild config with the
# forward output
config() {
	cat >"$tmp/$1.yaml" <<EOF
agent: {state_dir: $tmp/state-$1}
plugins:
  - name: forward
    path: $so
    config:
      host: 127.0.0.1
      port: $port
      what: events
      mode: $3
      shared_key: $2
      self_hostname: vigil-test
      flush_interval_ms: 100
      reconnect_min: 1
      reconnect_max: 2
      ack_timeout: 5
      spool: {max_size: 512M}
${4:-}
EOF
}

check() {
	$py "$server" check --out "$@" || fail "stream check: $*"
}

echo "== 1. spec, handshake and acks, both modes"
for mode in forward packed_forward; do
	config "$mode" k3y "$mode"
	start_server "$tmp/$mode.out" --shared-key k3y
	"$drive" "$tmp/$mode.yaml" --count 20000 --batch 500 --wait-out 20000 \
		--timeout 30 >"$tmp/$mode.drive" 2>&1 ||
		fail "$mode: not delivered: $(tail -3 "$tmp/$mode.drive")"
	stop_server
	check "$tmp/$mode.out" --expect 20000
done

echo "   without require_ack: committed when written, no chunk option"
config noack k3y forward "      require_ack: false"
start_server "$tmp/noack.out" --shared-key k3y --no-ack
"$drive" "$tmp/noack.yaml" --count 20000 --batch 500 --wait-out 20000 \
	--timeout 30 >"$tmp/noack.drive" 2>&1 ||
	fail "no ack: not delivered: $(tail -3 "$tmp/noack.drive")"
sleep 0.5
stop_server
check "$tmp/noack.out" --expect 20000

echo "== 2. wrong shared key: nothing sent, kept in the spool"
config key right "packed_forward"
start_server "$tmp/key-wrong.out" --shared-key wrong
"$drive" "$tmp/key.yaml" --count 3000 --batch 500 --wait-out 1 --timeout 4 \
	>"$tmp/key1.drive" 2>&1 && fail "delivered to a server with another key"
stop_server
grep -q "wrong digest\|refused\|PONG" "$tmp/key1.drive" ||
	fail "no handshake error logged: $(tail -3 "$tmp/key1.drive")"
grep -q '^[0-9]' "$tmp/key-wrong.out" && fail "records reached the wrong server"
start_server "$tmp/key-right.out" --shared-key right
"$drive" "$tmp/key.yaml" --count 0 --wait-out 3000 --timeout 20 \
	>"$tmp/key2.drive" 2>&1 || fail "spooled records not sent after restart"
stop_server
check "$tmp/key-right.out" --expect 3000

echo "== 3. server down for ${down}s in the middle of a stream"
config down k3y packed_forward
total=$(((down + 8) * 200))
start_server "$tmp/down.out" --shared-key k3y
"$drive" "$tmp/down.yaml" --count "$total" --batch 20 --interval-ms 100 \
	--wait-out "$total" --timeout $((down + 60)) >"$tmp/down.drive" 2>&1 &
dpid=$!
pids+=("$dpid")
sleep 4
stop_server
echo "   server stopped; sender keeps producing into the spool"
sleep "$down"
start_server "$tmp/down.out" --shared-key k3y
echo "   server back"
wait "$dpid" || fail "not all delivered after the outage: $(tail -3 "$tmp/down.drive")"
stop_server
check "$tmp/down.out" --expect "$total"
[ "$(grep -c '^CONNECT' "$tmp/down.out")" -ge 2 ] || fail "no reconnection seen"

echo "== 4. kill -9 of the sender during a burst, then restart"
config kill k3y packed_forward
start_server "$tmp/kill.out" --shared-key k3y
"$drive" "$tmp/kill.yaml" --count 10000000 --batch 2000 --interval-ms 1 \
	--progress 1 >"$tmp/kill.drive" 2>&1 &
kpid=$!
pids+=("$kpid")
sleep 2
kill -9 "$kpid"
wait "$kpid" 2>/dev/null
last=$(grep '^at ' "$tmp/kill.drive" | tail -1 | cut -d' ' -f2)
[ -n "$last" ] || fail "the sender reported no progress"
before=$(grep -c '^[0-9]' "$tmp/kill.out")
echo "   killed after spooling 0..$last; $before records had arrived"
"$drive" "$tmp/kill.yaml" --count 0 --timeout 30 >"$tmp/kill2.drive" 2>&1 &
kpid=$!
pids+=("$kpid")
# at most the batch being submitted when it died may come on top
for _ in $(seq 60); do
	sleep 0.5
	$py "$server" check --out "$tmp/kill.out" --expect $((last + 1)) \
		--allow-extra 2000 >/dev/null && break
done
kill -9 "$kpid"
wait "$kpid" 2>/dev/null
stop_server
check "$tmp/kill.out" --expect $((last + 1)) --allow-extra 2000
echo "== 5. TLS: verified both ways; wrong CA or name refused"
if command -v openssl >/dev/null; then
	pki=$tmp/pki
	mkdir -p "$pki"
	mkca() { # mkca NAME
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
			-keyout "$pki/$1.key" -out "$pki/$1.crt" 2>/dev/null
	}
	mkcert() { # mkcert CA NAME SAN
		openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" \
			-keyout "$pki/$2.key" -out "$pki/$2.csr" 2>/dev/null &&
		printf 'subjectAltName=%s\n' "$3" >"$pki/$2.ext" &&
		openssl x509 -req -in "$pki/$2.csr" -CA "$pki/$1.crt" \
			-CAkey "$pki/$1.key" -CAcreateserial -days 2 \
			-extfile "$pki/$2.ext" -out "$pki/$2.crt" 2>/dev/null
	}
	mkca ca && mkca otherca &&
		mkcert ca server "DNS:localhost,IP:127.0.0.1" &&
		mkcert ca client "DNS:vigil-test" &&
		mkcert otherca rogue "DNS:localhost,IP:127.0.0.1" &&
		mkcert ca elsewhere "DNS:elsewhere.example" ||
		fail "cannot make the test PKI"
	tls="      tls: {enabled: true, ca_file: $pki/ca.crt, cert_file: $pki/client.crt, key_file: $pki/client.key}"
	config tls k3y packed_forward "$tls"
	start_server "$tmp/tls.out" --shared-key k3y --tls-cert "$pki/server.crt" \
		--tls-key "$pki/server.key" --tls-client-ca "$pki/ca.crt"
	"$drive" "$tmp/tls.yaml" --count 20000 --batch 500 --wait-out 20000 \
		--timeout 30 >"$tmp/tls.drive" 2>&1 ||
		fail "TLS: not delivered: $(tail -3 "$tmp/tls.drive")"
	stop_server
	check "$tmp/tls.out" --expect 20000
	for bad in rogue elsewhere; do
		config "tls-$bad" k3y packed_forward "$tls"
		start_server "$tmp/tls-$bad.out" --shared-key k3y \
			--tls-cert "$pki/$bad.crt" --tls-key "$pki/$bad.key"
		"$drive" "$tmp/tls-$bad.yaml" --count 100 --wait-out 1 \
			--timeout 3 >"$tmp/tls-$bad.drive" 2>&1 &&
			fail "TLS: delivered to a server with the $bad certificate"
		stop_server
		grep -q "certificate verification failed" "$tmp/tls-$bad.drive" ||
			fail "TLS $bad: no verification error: $(tail -2 "$tmp/tls-$bad.drive")"
		grep -q '^[0-9]' "$tmp/tls-$bad.out" &&
			fail "TLS: records reached the $bad server"
	done
else
	echo "   skipped: no openssl command"
fi
echo "== 6. reload: a new destination takes the rest of the stream"
# server A on $port, server B on port2; at record 3000 the sender reads a
# configuration naming B (SIGHUP in vigild): every record arrives, each
# connection in order, A's unacknowledged chunks re-sent to B.
config reloadA k3y packed_forward
portA=$port
port=$(free_port)
config reloadB k3y packed_forward
portB=$port
port=$portA
start_server "$tmp/reloadA.out" --shared-key k3y
spidA=$spid
port=$portB
start_server "$tmp/reloadB.out" --shared-key k3y
spidB=$spid
DRIVE_RELOAD_CONFIG=$tmp/reloadB.yaml "$drive" "$tmp/reloadA.yaml" \
	--count 6000 --batch 100 --interval-ms 10 --reload-at 3000 \
	--wait-out 6000 --timeout 30 >"$tmp/reload.drive" 2>&1 ||
	fail "reload: not delivered: $(tail -3 "$tmp/reload.drive")"
grep -q "reloaded at 3000" "$tmp/reload.drive" || fail "reload: no reload"
grep -q "settings reloaded; connecting to the new destination" \
	"$tmp/reload.drive" || fail "reload: no reconnect: $(tail -3 "$tmp/reload.drive")"
{ kill -9 "$spidA" "$spidB"; wait "$spidA" "$spidB"; } 2>/dev/null
[ "$(grep -c '^[0-9]' "$tmp/reloadA.out")" -ge 1 ] ||
	fail "reload: server A got nothing before the reload"
[ "$(grep -c '^[0-9]' "$tmp/reloadB.out")" -ge 3000 ] ||
	fail "reload: server B got $(grep -c '^[0-9]' "$tmp/reloadB.out") records, want at least the 3000 after the reload"
# one stream: B's connections numbered after A's
awk '/^[0-9]/ { print $1 + 1000, $2; next } { print }' "$tmp/reloadB.out" |
	cat "$tmp/reloadA.out" - >"$tmp/reload.out"
check "$tmp/reload.out" --expect 6000
port=$portA
# a reload with a bad value keeps the running settings: all to A
sed "s/port: $portB/port: 0/" "$tmp/reloadB.yaml" >"$tmp/reloadBad.yaml"
start_server "$tmp/reloadC.out" --shared-key k3y
DRIVE_RELOAD_CONFIG=$tmp/reloadBad.yaml "$drive" "$tmp/reloadA.yaml" \
	--start 6000 --count 2000 --batch 100 --interval-ms 10 \
	--reload-at 7000 --wait-out 2000 --timeout 30 >"$tmp/reloadbad.drive" 2>&1 ||
	fail "bad reload: not delivered: $(tail -3 "$tmp/reloadbad.drive")"
stop_server
grep -qF "plugins[forward].config.port: want an integer from 1 to 65535, not '0'" "$tmp/reloadbad.drive" &&
	grep -q "kept its previous settings" "$tmp/reloadbad.drive" ||
	fail "bad reload: not refused: $(tail -3 "$tmp/reloadbad.drive")"
check "$tmp/reloadC.out" --start 6000 --expect 2000

echo "PASS"
