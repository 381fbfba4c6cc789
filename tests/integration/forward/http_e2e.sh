#!/bin/bash
# http_e2e - the http output against a python receiver on loopback:
# json_lines with gzip and a custom header, json_array, Elasticsearch bulk
# and Splunk HEC bodies are checked record by record; 503 answers, and
# 401/403/407 (credentials refused), are retried until every record
# arrives in order; a 400 answer drops that batch (counted) and the rest
# still arrives; what, event_types and
# min_severity select what is sent; https verifies the server.
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
py=/usr/bin/python3
drive=$top/tests/integration/forward/drive
so=$top/plugins/.libs/http.so
[ -x "$drive" ] && [ -f "$so" ] || { echo "SKIP: build drive and http.so first"; exit 77; }
$py -c 'import msgpack' 2>/dev/null || { echo "SKIP: python3-msgpack (for the checker)"; exit 77; }

tmp=$(mktemp -d /tmp/vigil-http-e2e.XXXXXX)
spid=
cleanup() {
	[ -n "$spid" ] && kill -9 "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}
port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

start_server() {
	rm -f "$tmp/ready"
	$py "$here/http_server.py" --port "$port" --ready "$tmp/ready" "$@" \
		2>>"$tmp/server.err" &
	spid=$!
	for _ in $(seq 100); do
		[ -e "$tmp/ready" ] && return 0
		sleep 0.05
	done
	fail "server did not start"
}
stop_server() {
	kill -9 "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	spid=
}

# run NAME N "yaml config lines": drive N events through the http output
run() {
	cat >"$tmp/$1.yaml" <<EOF
agent: {state_dir: $tmp/state-$1}
plugins:
  - name: http
    path: $so
    config:
      url: http://127.0.0.1:$port/ingest
      what: events
      batch_size: 64k
      flush_interval_ms: 100
      retry_min: 1
      retry_max: 1
$3
EOF
	"$drive" "$tmp/$1.yaml" --count "$2" --batch 200 --wait-out "${4:-$2}" \
		--timeout 30 ${5:+$5 1} >"$tmp/$1.drive" 2>&1 ||
		fail "$1: not delivered: $(tail -3 "$tmp/$1.drive")"
}
check() {
	grep -q VIOLATION "$1" && fail "$(grep VIOLATION "$1" | head -3)"
	$py "$here/fwd_server.py" check --out "$@" || fail "stream check: $*"
}

echo "== json_lines, gzip, custom header"
start_server --out "$tmp/lines.out" --format json_lines --gzip --header "X-Vigil-Test: yes"
run lines 5000 '      gzip: true
      headers: ["X-Vigil-Test: yes"]'
stop_server
check "$tmp/lines.out" --expect 5000

echo "== json_array"
start_server --out "$tmp/array.out" --format json_array
run array 3000 '      format: json_array'
stop_server
check "$tmp/array.out" --expect 3000

echo "== elasticsearch_bulk"
start_server --out "$tmp/es.out" --format elasticsearch_bulk --index vigil-test
run es 3000 '      format: elasticsearch_bulk
      index: vigil-test'
stop_server
check "$tmp/es.out" --expect 3000

echo "== splunk_hec"
start_server --out "$tmp/hec.out" --format splunk_hec --token 0000-1111
run hec 3000 '      format: splunk_hec
      token: 0000-1111'
stop_server
check "$tmp/hec.out" --expect 3000

echo "== 503 three times: retried, nothing lost"
start_server --out "$tmp/retry.out" --format json_lines --fail-first 3 --fail-status 503
run retry 3000 ''
stop_server
[ "$(grep -c '^REJECTED 503' "$tmp/retry.out")" = 3 ] || fail "expected 3 rejected requests"
check "$tmp/retry.out" --expect 3000

echo "== 400 once: that batch dropped and counted, the rest arrives"
start_server --out "$tmp/bad.out" --format json_lines --fail-first 1 --fail-status 400
run bad 3000 '' 3000 --count-dropped
stop_server
read -r _ _ first last < <(grep '^REJECTED 400' "$tmp/bad.out")
[ "$first" = 0 ] || fail "the first batch should have been refused"
grep -q "answered 400" "$tmp/bad.drive" || fail "no drop logged"
check "$tmp/bad.out" --start $((last + 1)) --expect $((2999 - last))
echo "== 401, 403, 407: credentials refused, kept and retried, nothing lost"
for st in 401 403 407; do
	start_server --out "$tmp/auth$st.out" --format json_lines --fail-first 2 \
		--fail-status $st
	run auth$st 3000 ''
	stop_server
	[ "$(grep -c "^REJECTED $st" "$tmp/auth$st.out")" = 2 ] ||
		fail "$st: expected 2 rejected requests"
	grep -q "answered $st: credentials refused" "$tmp/auth$st.drive" ||
		fail "$st: the refusal was not logged: $(tail -3 "$tmp/auth$st.drive")"
	check "$tmp/auth$st.out" --expect 3000
done
echo "== selection: event_types, what, min_severity"
start_server --out "$tmp/sel.out" --format json_lines
cat >"$tmp/sel.yaml" <<EOF
agent: {state_dir: $tmp/state-sel}
plugins:
  - name: http
    path: $so
    config:
      url: http://127.0.0.1:$port/ingest
      what: both
      event_types: [open]
      min_severity: critical
      flush_interval_ms: 100
EOF
"$drive" "$tmp/sel.yaml" --count 1000 --batch 200 --signal-every 10 \
	--timeout 2 >"$tmp/sel.drive" 2>&1
grep -q '^[0-9]' "$tmp/sel.out" && fail "filtered records were sent"
sed -i 's/event_types: \[open\]/event_types: [exec]/; s/what: both/what: signals/; s/min_severity: critical/min_severity: high/' "$tmp/sel.yaml"
"$drive" "$tmp/sel.yaml" --count 1000 --batch 200 --signal-every 10 \
	--wait-out 100 --timeout 10 >"$tmp/sel2.drive" 2>&1 ||
	fail "signals not delivered: $(tail -2 "$tmp/sel2.drive")"
stop_server
n=$(grep -c '^[0-9]' "$tmp/sel.out")
[ "$n" = 100 ] || fail "want the 100 high signals only, got $n records"
awk '/^[0-9]/ && $2 % 10 {bad=1} END {exit bad}' "$tmp/sel.out" ||
	fail "a record that is not a signal was sent"
echo "== https with a verified server certificate; an unknown CA is refused"
if command -v openssl >/dev/null; then
	pki=$tmp/pki
	mkdir -p "$pki"
	for ca in ca otherca; do
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$ca" \
			-keyout "$pki/$ca.key" -out "$pki/$ca.crt" 2>/dev/null ||
			fail "cannot make a CA"
	done
	openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
		-keyout "$pki/server.key" -out "$pki/server.csr" 2>/dev/null &&
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$pki/server.ext" &&
	openssl x509 -req -in "$pki/server.csr" -CA "$pki/ca.crt" \
		-CAkey "$pki/ca.key" -CAcreateserial -days 2 \
		-extfile "$pki/server.ext" -out "$pki/server.crt" 2>/dev/null ||
		fail "cannot make the server certificate"
	start_server --out "$tmp/https.out" --format json_lines \
		--tls-cert "$pki/server.crt" --tls-key "$pki/server.key"
	cat >"$tmp/https.yaml" <<EOF
agent: {state_dir: $tmp/state-https}
plugins:
  - name: http
    path: $so
    config:
      url: https://127.0.0.1:$port/ingest
      what: events
      flush_interval_ms: 100
      retry_min: 1
      retry_max: 1
      tls: {ca_file: $pki/ca.crt}
EOF
	"$drive" "$tmp/https.yaml" --count 2000 --batch 200 --wait-out 2000 \
		--timeout 20 >"$tmp/https.drive" 2>&1 ||
		fail "https: not delivered: $(tail -3 "$tmp/https.drive")"
	sed "s#$pki/ca.crt#$pki/otherca.crt#; s#state-https#state-https2#" \
		"$tmp/https.yaml" >"$tmp/https2.yaml"
	"$drive" "$tmp/https2.yaml" --count 100 --batch 100 --wait-out 1 \
		--timeout 3 >"$tmp/https2.drive" 2>&1 &&
		fail "https: delivered to a server signed by an unknown CA"
	stop_server
	grep -qi "certificate" "$tmp/https2.drive" ||
		fail "https: no certificate error logged: $(tail -2 "$tmp/https2.drive")"
	check "$tmp/https.out" --expect 2000
fi

echo "== reload: another URL and format take the rest, nothing lost"
portA=$port
port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
portB=$port
start_server --out "$tmp/reloadB.out" --format json_array
spidB=$spid
port=$portA
start_server --out "$tmp/reloadA.out" --format json_lines
cat >"$tmp/reloadA.yaml" <<EOF
agent: {state_dir: $tmp/state-reload}
plugins:
  - name: http
    path: $so
    config:
      url: http://127.0.0.1:$portA/ingest
      what: events
      batch_size: 16k
      flush_interval_ms: 50
      retry_min: 1
      retry_max: 1
EOF
sed "s#127.0.0.1:$portA/ingest#127.0.0.1:$portB/ingest\n      format: json_array#" \
	"$tmp/reloadA.yaml" >"$tmp/reloadB.yaml"
DRIVE_RELOAD_CONFIG=$tmp/reloadB.yaml "$drive" "$tmp/reloadA.yaml" \
	--count 4000 --batch 50 --interval-ms 10 --reload-at 2000 \
	--wait-out 4000 --timeout 30 >"$tmp/reload.drive" 2>&1 ||
	fail "reload: not delivered: $(tail -3 "$tmp/reload.drive")"
stop_server
kill -9 "$spidB" 2>/dev/null
wait "$spidB" 2>/dev/null
grep -q "settings reloaded: sending to http://127.0.0.1:$portB/ingest" \
	"$tmp/reload.drive" || fail "reload: not taken: $(tail -3 "$tmp/reload.drive")"
[ "$(grep -c '^[0-9]' "$tmp/reloadB.out")" -ge 2000 ] ||
	fail "reload: the new URL got $(grep -c '^[0-9]' "$tmp/reloadB.out") records"
grep -q VIOLATION "$tmp/reloadA.out" "$tmp/reloadB.out" &&
	fail "reload: $(grep -h VIOLATION "$tmp/reloadA.out" "$tmp/reloadB.out" | head -3)"
awk '/^[0-9]/ { print $1 + 100000, $2; next } { print }' "$tmp/reloadB.out" |
	cat "$tmp/reloadA.out" - >"$tmp/reload.out"
check "$tmp/reload.out" --expect 4000
echo "PASS"
