#!/bin/sh
# soak.sh - does vigild's memory stay flat under a steady load (issue 22)?
#
# Starts the real vigild from BUILDDIR with the shipped configuration's
# monitors (audit in auto mode with the default policy's kernel rules
# under KEY, the proc connector and process table, the rules engine and a
# signals file sink, FIM on a private temp tree with inode marks, the DNS
# monitor in monitor mode), then runs for MINUTES:
#   - exec: bench/exec_load, /bin/true at RATE per second;
#   - command lines: /bin/true with one argument of 1 to 4 KiB, its
#     length varying from one call to the next, at CMDS per second
#     (a build host's compiler and linker calls: the process table's
#     string buffers must follow the contexts it holds, not keep the
#     largest it ever stored);
#   - files: create, rewrite, rename and delete in the watched tree, at
#     FILE_OPS per second;
#   - DNS: UDP queries for ever new names under test.example to
#     127.0.0.1:53 at QPS per second (loopback only).  A private unbound
#     answers them when unbound is installed and 127.0.0.1:53 is free;
#     otherwise the queries go unanswered (vigil still sees them).
# Every INTERVAL seconds it prints a row: elapsed time, vigild's RSS, the
# process table's entries, live count and string buffers, the host's
# process count (/proc/[0-9]*), and events so far.  At the end: RSS after the warm-up
# (the first WARMUP seconds: the table's 30 s linger and the caches fill)
# against the end of the run, the slope, and whether RSS stayed flat:
# the mean of the last third of the post-warm-up samples exceeds the mean
# of the first third by at most max(1 MiB, 2 %).  Exit 0 when flat, 1 when
# not, 77 when it cannot run.
#
#   sudo flock /tmp/vigil-live.lock bench/soak.sh [-m MINUTES] [-i INTERVAL]
#       [-w WARMUP] [-r RATE] [-c CMDS] [-f FILE_OPS] [-q QPS] [-k KEY] BUILDDIR
#
# Defaults: 5 minutes, 5 s, warm-up 60 s, 200 exec/s, 20 command lines/s,
# 50 file ops/s, 100 queries/s, key vigil_soak.  BUILDDIR is a build without sanitizers
# (ASan's quarantine grows RSS by design): see bench/README.md.
#
# Global state: audit rules under KEY, vigil's nftables table (inet
# vigil) or iptables chain, fanotify marks on the temp tree; vigild
# removes them when it stops, and the script deletes what a crashed one
# left (its key, and the table only when it was absent at the start).
# It refuses to run when an audit rule under KEY or vigil's firewall table
# exists already (another vigild).
set -u

MINUTES=5
INTERVAL=5
WARMUP=60
RATE=200
CMDS=20
FILE_OPS=50
QPS=100
KEY=vigil_soak
usage() {
	sed -n 's/^#   \(sudo.*\)/usage: \1/p; s/^#       \(\[.*\)/       \1/p' "$0" >&2
	exit 2
}
while getopts m:i:w:r:c:f:q:k:h o; do
	case $o in
	m) MINUTES=$OPTARG ;;
	i) INTERVAL=$OPTARG ;;
	w) WARMUP=$OPTARG ;;
	r) RATE=$OPTARG ;;
	c) CMDS=$OPTARG ;;
	f) FILE_OPS=$OPTARG ;;
	q) QPS=$OPTARG ;;
	k) KEY=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
B=$(cd "$1" && pwd) || exit 2
here=$(cd "$(dirname "$0")" && pwd)
top=$here/..

[ "$(id -u)" = 0 ] || { echo "soak: needs root"; exit 77; }
for t in python3 auditctl; do
	command -v $t >/dev/null 2>&1 || { echo "soak: $t missing"; exit 77; }
done
for f in vigild vigilctl bench/exec_load plugins/.libs/rules.so; do
	[ -e "$B/$f" ] || { echo "soak: $B/$f not built"; exit 77; }
done
if nm -D "$B/.libs/vigild" "$B/vigild" 2>/dev/null | grep -q __asan_init; then
	echo "soak: $B is a sanitizer build: its RSS says nothing"; exit 77
fi
if auditctl -l 2>/dev/null | grep -q "key=$KEY\$"; then
	echo "soak: audit rules under key $KEY exist (another vigild?): -k KEY"
	exit 77
fi
had_table=no
if command -v nft >/dev/null 2>&1 && nft list table inet vigil >/dev/null 2>&1; then
	had_table=yes
fi
DNS=true
if [ $had_table = yes ]; then
	echo "soak: table inet vigil exists (another vigild): DNS monitor off"
	DNS=false
fi

T=$(mktemp -d /tmp/vigil-soak.XXXXXX)
VPID= UPID= LOADPIDS=
cleanup() {
	for p in $LOADPIDS; do kill "$p" 2>/dev/null; done
	if [ -n "$VPID" ]; then
		kill -TERM "$VPID" 2>/dev/null
		for i in $(seq 100); do kill -0 "$VPID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$VPID" 2>/dev/null
	fi
	[ -n "$UPID" ] && kill "$UPID" 2>/dev/null
	wait 2>/dev/null
	auditctl -D -k "$KEY" >/dev/null 2>&1
	[ $had_table = no ] && nft delete table inet vigil >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# A private resolver on the loopback, if there is one to run.
ANSWERED=no
if $DNS && command -v unbound >/dev/null 2>&1 &&
   ! ss -Hlun 2>/dev/null | grep -q '127.0.0.1:53 '; then
	sed "s#@DIR@#$T#" "$top/tests/integration/dns/unbound.conf.in" |
		sed 's/^\tlogfile:.*/\tverbosity: 0/; /interface: ::1/d' >"$T/unbound.conf"
	unbound -c "$T/unbound.conf" >/dev/null 2>&1 &
	UPID=$!
	sleep 1
	kill -0 "$UPID" 2>/dev/null && ANSWERED=yes || UPID=
fi

mkdir -p "$T/watched" "$T/state"
cat >"$T/vigil.yaml" <<EOC
agent:
  pid_file: $T/vigild.pid
  control_socket: $T/vigil.sock
  state_dir: $T/state
  plugin_dir: $B/plugins/.libs
plugins:
  - name: rules
    config: {paths: [$top/rules/default]}
  - name: file_sink
    config: {path: $T/signals.json, what: signals}
audit: {mode: auto, key: $KEY}
proc: {max_processes: 32768, read_exec_image: false}
fim: {paths: [$T/watched], marks: inode}
dns: {enabled: $DNS, capture: auto, firewall: auto, mode: monitor}
EOC
"$B/vigild" -f -c "$T/vigil.yaml" >/dev/null 2>"$T/stderr" &
VPID=$!
for i in $(seq 100); do [ -S "$T/vigil.sock" ] && break; sleep 0.1; done
[ -S "$T/vigil.sock" ] || { echo "soak: vigild did not start"; cat "$T/stderr"; exit 1; }
sleep 1
"$B/vigilctl" -s "$T/vigil.sock" status | sed -n '/^sources:/,/^plugins:/p' |
	grep -v '^plugins:'

SECS=$((MINUTES * 60))
echo "soak: $MINUTES min, exec $RATE/s + $CMDS/s with long command lines, files $FILE_OPS/s, DNS $QPS/s ($( $DNS && echo "answered: $ANSWERED" || echo off)), sample every $INTERVAL s, warm-up $WARMUP s"

"$B/bench/exec_load" "$SECS" "$RATE" >"$T/exec_load.out" 2>&1 &
LOADPIDS="$LOADPIDS $!"

# Long command lines, files and DNS queries, paced together.
python3 - "$SECS" "$FILE_OPS" "$( $DNS && echo "$QPS" || echo 0)" "$T/watched" "$CMDS" >"$T/load.out" 2>&1 <<'EOP' &
import os, random, socket, struct, sys, time
secs, fops, qps, d = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
cmds = float(sys.argv[5])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
def query(n):
    hdr = struct.pack(">HHHHHH", n & 0xffff, 0x0100, 1, 0, 0, 0)
    q = b"".join(bytes([len(l)]) + l for l in
                 (b"n%d" % n, b"soak", b"test", b"example")) + b"\0"
    return hdr + q + struct.pack(">HH", random.choice((1, 28)), 1)
t0 = time.monotonic(); nf = nq = nc = answers = 0
kids = set()
while True:
    now = time.monotonic() - t0
    if now >= secs:
        break
    while cmds and nc < now * cmds:
        # 1 to 4 KiB, a different length each time (a step coprime
        # with the range walks all of it)
        n = 1024 + (nc * 997) % 3072
        try:
            kids.add(os.posix_spawn("/bin/true", ["/bin/true", "x" * n],
                                    os.environ))
        except OSError:
            pass
        nc += 1
    for k in list(kids):
        if os.waitpid(k, os.WNOHANG)[0]:
            kids.discard(k)
    while fops and nf < now * fops:
        p = os.path.join(d, "f%d" % (nf % 64))
        op = nf % 4
        if op in (0, 1):
            with open(p, "a") as f:
                f.write("x" * 100 + "\n")
        elif op == 2 and os.path.exists(p):
            os.rename(p, p + ".r")
        elif op == 3 and os.path.exists(p + ".r"):
            os.unlink(p + ".r")
        nf += 1
    while qps and nq < now * qps:
        try:
            s.sendto(query(nq), ("127.0.0.1", 53))
        except OSError:
            pass
        nq += 1
    try:
        while True:
            s.recv(4096)
            answers += 1
    except OSError:
        pass
    time.sleep(0.01)
for k in kids:
    os.waitpid(k, 0)
print("command_lines=%d file_ops=%d queries=%d answers=%d" % (nc, nf, nq,
                                                            answers))
EOP
LOADPIDS="$LOADPIDS $!"

# The sampler: one row per INTERVAL, then the summary and the verdict.
python3 - "$B/vigilctl" "$T/vigil.sock" "$VPID" "$SECS" "$INTERVAL" "$WARMUP" <<'EOP'
import glob, json, os, subprocess, sys, time
ctl, sock, pid = sys.argv[1], sys.argv[2], sys.argv[3]
secs, interval, warmup = float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
def rss_kib():
    for l in open("/proc/%s/status" % pid):
        if l.startswith("VmRSS:"):
            return int(l.split()[1])
def sample():
    h1 = len(glob.glob("/proc/[0-9]*"))
    s = json.loads(subprocess.check_output([ctl, "-s", sock, "status", "--json"]))
    h2 = len(glob.glob("/proc/[0-9]*"))
    src = {x["name"]: x for x in s["sources"]}
    tab = src.get("proc", {}).get("table", {})
    by = s.get("events_by_type", {})
    return dict(rss=rss_kib(), entries=tab.get("entries", 0),
                live=tab.get("live", 0), host=(h1 + h2) // 2,
                events=s["events"], exec=by.get("exec", 0),
                dns=by.get("dns", 0),
                file=sum(by.get(k, 0) for k in ("create", "modify",
                                                 "unlink", "rename")),
                expired=tab.get("expired", 0),
                buf=tab.get("buffer_bytes", 0) // 1024,
                evicted=tab.get("evicted_live", 0))
print("%7s %9s %8s %6s %6s %9s %8s %7s %7s %8s %8s" % ("t(s)", "RSS(KiB)",
      "entries", "live", "host", "events", "exec", "file", "dns", "expired",
      "buf(KiB)"))
rows = []
t0 = time.monotonic()
while True:
    el = time.monotonic() - t0
    r = sample(); r["t"] = el; rows.append(r)
    print("%7.0f %9d %8d %6d %6d %9d %8d %7d %7d %8d %8d" % (el, r["rss"],
          r["entries"], r["live"], r["host"], r["events"], r["exec"],
          r["file"], r["dns"], r["expired"], r["buf"]), flush=True)
    if el >= secs:
        break
    time.sleep(max(0.0, min(interval, secs - el) - (time.monotonic() - t0 - el)))
# after the load: let the last exits in, then the live count once more
time.sleep(3)
f = sample()
print("after the load: live %d, host %d processes (difference %+d); "
      "entries %d, expired %d, evicted live %d" % (f["live"], f["host"],
      f["live"] - f["host"], f["entries"], f["expired"], f["evicted"]))
post = [r for r in rows if r["t"] >= warmup]
if len(post) < 3:
    print("soak: too few samples after the warm-up for a verdict")
    sys.exit(1)
k = max(1, len(post) // 3)
a = sum(r["rss"] for r in post[:k]) / k
b = sum(r["rss"] for r in post[-k:]) / k
n = len(post)
mt = sum(r["t"] for r in post) / n
mr = sum(r["rss"] for r in post) / n
den = sum((r["t"] - mt) ** 2 for r in post) or 1
slope = sum((r["t"] - mt) * (r["rss"] - mr) for r in post) / den * 60
flat = b - a <= max(1024, 0.02 * a)
print("RSS: start %d KiB, end of warm-up %d KiB, max %d KiB, end %d KiB" %
      (rows[0]["rss"], post[0]["rss"], max(r["rss"] for r in rows),
       rows[-1]["rss"]))
print("after warm-up: first third %.0f KiB, last third %.0f KiB (%+.0f KiB), "
      "slope %+.0f KiB/min: %s" % (a, b, b - a, slope,
      "FLAT" if flat else "GROWING"))
sys.exit(0 if flat else 1)
EOP
rc=$?
wait $LOADPIDS 2>/dev/null
LOADPIDS=
echo "load: $(cat "$T/exec_load.out") $(cat "$T/load.out")"
kill -0 "$VPID" 2>/dev/null || { echo "soak: vigild died"; tail "$T/stderr"; exit 1; }
exit $rc
