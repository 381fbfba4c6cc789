#!/bin/bash
# forward_bench - records per second through the forward output with acks
# on loopback, and the sending process's CPU per 10 000 records.
#
# Peer: tests/integration/forward/fwd_server.py (python3-msgpack), which
# decodes and checks every entry and acks every chunk.  The script also
# reports the receiver's CPU time: when it is close to the wall time, the
# receiver, not vigil, is the bottleneck and records/s is a lower bound.
#
# Sender: tests/integration/forward/drive, the pipeline as vigild builds
# it, submitting exec events; its CPU includes making the events and the
# core's msgpack encoding, not only the output.  Build without sanitizers
# for meaningful figures (./configure && make && make check
# TESTS= to build drive).
#
# The spool lives in a temp dir under $TMPDIR (default /tmp): the figures
# include the per-record write(2) to that file system.
#
# Usage: bench/forward_bench.sh [records] [mode]   (200000, packed_forward)
set -u
n=${1:-200000}
mode=${2:-packed_forward}
here=$(cd "$(dirname "$0")" && pwd)
top=${top_builddir:-$(cd "$here/.." && pwd)}
src=${top_srcdir:-$(cd "$here/.." && pwd)}
py=/usr/bin/python3
drive=$top/tests/integration/forward/drive
so=$top/plugins/.libs/forward.so
[ -x "$drive" ] || { echo "build $drive first (make check TESTS=)"; exit 77; }
$py -c 'import msgpack' 2>/dev/null || { echo "needs python3-msgpack"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vigil-fwd-bench.XXXXXX")
spid=
trap '[ -n "$spid" ] && kill -9 $spid 2>/dev/null; rm -rf "$tmp"' EXIT
port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$py "$src/tests/integration/forward/fwd_server.py" serve --port "$port" \
	--out "$tmp/out" --ready "$tmp/ready" &
spid=$!
for _ in $(seq 100); do [ -e "$tmp/ready" ] && break; sleep 0.05; done
cat >"$tmp/v.yaml" <<EOF
agent: {state_dir: $tmp/state}
plugins:
  - name: forward
    path: $so
    config: {host: 127.0.0.1, port: $port, what: events, mode: $mode,
             require_ack: true, chunk_size: 1M, max_inflight: 4,
             spool: {max_size: 2G, sync_interval: 1}}
EOF
ticks0=$(awk '{print $14+$15}' /proc/$spid/stat)
res=$("$drive" "$tmp/v.yaml" --count "$n" --batch 10000 --interval-ms 1 \
	--wait-out "$n" --timeout 600 2>"$tmp/drive.err" | tail -1)
ticks1=$(awk '{print $14+$15}' /proc/$spid/stat)
hz=$(getconf CLK_TCK)
cpu=$(echo "$res" | awk '{print $4}')
wall=$(echo "$res" | awk '{print $6}')
[ "$wall" -gt 0 ] 2>/dev/null || { echo "not delivered: $res"; cat "$tmp/drive.err"; exit 1; }
$py "$src/tests/integration/forward/fwd_server.py" check --out "$tmp/out" \
	--expect "$n" >/dev/null || { echo "stream check failed"; exit 1; }
echo "forward ($mode, acks, loopback, spool on $(df --output=fstype "$tmp" | tail -1)): $n records in $wall ms" \
	"= $((n * 1000 / wall)) records/s"
echo "sender (drive) CPU: $cpu ms = $(awk -v c="$cpu" -v n="$n" \
	'BEGIN{printf "%.1f", c*10000/n}') ms per 10000 records"
echo "receiver (python) CPU: $(((ticks1 - ticks0) * 1000 / hz)) ms" \
	"over $wall ms wall"
