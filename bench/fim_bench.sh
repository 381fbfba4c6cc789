#!/bin/sh
# fim_bench.sh - FIM benchmarks, all in one run on the same machine:
#
#  1. baseline of a tree (default /usr): `vigilctl fim baseline` against
#     `aide --init` configured for SHA-256 only, page cache warm for both
#     (one warm-up pass first), best of ROUNDS; aide with its default
#     (num_workers=1) and with as many workers as vigil uses threads;
#     identical hashes checked on a random sample of SAMPLE files;
#  2. write-to-event latency p50/p99 of the fanotify source;
#  3. CPU of the source while idle on the default watch set.
#
#   bench/fim_bench.sh [TREE]      (root; env ROUNDS, SAMPLE, IDLE_S)
#
# aide uses a private aide.conf and databases in a temporary directory;
# /etc/aide is never read or written.  Build without sanitizers for
# meaningful figures (./configure CFLAGS=-O2 --disable-tests).
set -eu
tree=${1:-/usr}
rounds=${ROUNDS:-2}
sample=${SAMPLE:-500}
idle_s=${IDLE_S:-30}
top=${abs_top_builddir:-$PWD}
vigilctl="$top/vigilctl"
lat="$top/bench/fim_latency"
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
[ -x "$vigilctl" ] && [ -x "$lat" ] || { echo "build vigilctl and bench/fim_latency first"; exit 77; }
command -v aide >/dev/null || { echo "skip: aide not installed (apt-get install -y aide)"; exit 77; }
tmp=$(mktemp -d /var/tmp/vigil-fimbench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
ncpu=$(nproc)
threads=$((ncpu * 2))

aide_conf() { # $1 = workers
	cat > "$tmp/aide-$1.conf" <<CONF
database_in=file:$tmp/aide.db
database_out=file:$tmp/aide-$1.db.new
gzip_dbout=no
report_url=stdout
num_workers=$1
SHA = sha256
$tree SHA
CONF
}
aide_conf 1
aide_conf "$threads"
# aide hashes every file: lift vigil's hash size limit (64 MiB by
# default) so both read the same bytes.
cat > "$tmp/vigil.yaml" <<YAML
fim:
  paths: ["$tree"]
  hash_max_size: 0
YAML

now() { date +%s.%N; }
best() { # command... ; prints the best wall time of $rounds runs
	b=""
	i=0
	while [ $i -lt "$rounds" ]; do
		t0=$(now)
		"$@" >/dev/null 2>&1 || true
		t=$(echo "$(now) - $t0" | bc)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" -eq 1 ]; then b=$t; fi
		i=$((i + 1))
	done
	echo "$b"
}

echo "== baseline of $tree ($(find "$tree" -xdev -type f 2>/dev/null | wc -l) files, $ncpu CPUs)"
vfim() { "$vigilctl" fim baseline --quiet --config "$tmp/vigil.yaml" --state-dir "$tmp/vigil"; }
vfim # warm-up
t_vigil=$(best vfim)
t_aide1=$(best aide --init --config "$tmp/aide-1.conf")
t_aideN=$(best aide --init --config "$tmp/aide-$threads.conf")
printf 'vigilctl fim baseline (%d threads): %.2f s\n' "$threads" "$t_vigil"
printf 'aide --init (num_workers=1, default): %.2f s  ratio %.2fx\n' \
	"$t_aide1" "$(echo "$t_aide1 / $t_vigil" | bc -l)"
printf 'aide --init (num_workers=%d): %.2f s  ratio %.2fx\n' "$threads" \
	"$t_aideN" "$(echo "$t_aideN / $t_vigil" | bc -l)"

python3 - "$tmp/vigil/baseline.db" "$tmp/aide-1.db.new" "$sample" <<'PY'
import base64, random, sys, urllib.parse
vig, aide, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
ours = {}
with open(vig, 'rb') as f:
    next(f)
    for line in f:
        p = line.rstrip(b'\n').split(b'\t')
        if p[8] != b'-':
            ours[urllib.parse.unquote_to_bytes(p[0])] = p[8].decode()
theirs = {}
spec = None
with open(aide, 'rb') as f:
    for line in f:
        if line.startswith(b'@@db_spec'):
            spec = line.split()[1:]
            continue
        if line.startswith(b'@@') or line.startswith(b'#') or spec is None:
            continue
        fields = line.split()
        if len(fields) != len(spec):
            continue
        rec = dict(zip(spec, fields))
        h = rec.get(b'sha256', b'0')
        if h in (b'0', b''):
            continue
        name = urllib.parse.unquote_to_bytes(rec[b'name'])
        theirs[name] = base64.b64decode(h).hex()
common = sorted(set(ours) & set(theirs))
pick = random.sample(common, min(n, len(common)))
bad = [p for p in pick if ours[p] != theirs[p]]
print(f"hashes: vigil {len(ours)} files, aide {len(theirs)}, both {len(common)}; "
      f"sample of {len(pick)}: {len(pick) - len(bad)} identical, {len(bad)} differ")
for p in bad[:5]:
    print("  differs:", p, ours[p], theirs[p])
sys.exit(1 if bad or not pick else 0)
PY

echo "== write-to-event latency (3000 writes, one every 2 ms)"
mkdir "$tmp/lat"
"$lat" latency "$tmp/lat" 3000 2>/dev/null

echo "== idle CPU, default watch set, ${idle_s} s"
"$lat" idle "$idle_s" 2>/dev/null
