#!/bin/sh
# fim_check.sh - `fim baseline`, then changes made while nothing watches,
# then `fim check` must find each of them (text and JSON), exit 1, and
# exit 0 on a clean tree and 2 on a damaged baseline.
# Uses only a temporary directory; removes it on any exit.
set -u
top=${abs_top_builddir:-$PWD}
[ -x "$top/vigilctl" ] || top=$(cd "$(dirname "$0")/../../.." && pwd)
vigilctl="$top/vigilctl"
[ -x "$vigilctl" ] || { echo "skip: $vigilctl not built"; exit 77; }
tmp=$(mktemp -d /var/tmp/vigil-fimcheck.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
tree="$tmp/tree" state="$tmp/state"
mkdir -p "$tree/sub" "$tree/skip"
printf 'root:x:0:0\n' > "$tree/passwd"
printf 'keep\n' > "$tree/keep"
printf 'bye\n' > "$tree/gone"
printf 'x\n' > "$tree/skip/noise"
cat > "$tmp/vigil.yaml" <<YAML
fim:
  paths: ["$tree"]
  exclude: ["$tree/skip"]
YAML
fail=0
ok() { echo "ok - $*"; }
no() { echo "not ok - $*"; fail=1; }

"$vigilctl" fim baseline --config "$tmp/vigil.yaml" --state-dir "$state" >/dev/null
[ $? -eq 0 ] && [ -s "$state/baseline.db" ] && ok "baseline written" ||
	no "baseline written"
"$vigilctl" fim check --config "$tmp/vigil.yaml" --state-dir "$state" >/dev/null
[ $? -eq 0 ] && ok "clean tree: exit 0" || no "clean tree: exit 0"

# Same size, same mtime: only the content hash can tell.
printf 'root:x:0:1\n' > "$tree/passwd.new"
touch -r "$tree/passwd" "$tree/passwd.new"
cat "$tree/passwd.new" > "$tree/passwd"
touch -r "$tree/passwd.new" "$tree/passwd"
rm "$tree/passwd.new"
chmod 4755 "$tree/keep"
rm "$tree/gone"
printf 'new\n' > "$tree/sub/added"
printf 'y\n' > "$tree/skip/noise"

out=$("$vigilctl" fim check --config "$tmp/vigil.yaml" --state-dir "$state")
rc=$?
[ $rc -eq 1 ] && ok "changes: exit 1" || no "changes: exit 1 (got $rc)"
echo "$out" | grep -q "^changed  $tree/passwd (hash)$" &&
	ok "content change with the same size and mtime" ||
	no "content change with the same size and mtime: $out"
echo "$out" | grep -q "^changed  $tree/keep (mode)$" && ok "mode change" ||
	no "mode change"
echo "$out" | grep -q "^removed  $tree/gone$" && ok "removed file" ||
	no "removed file"
echo "$out" | grep -q "^added    $tree/sub/added$" && ok "added file" ||
	no "added file"
echo "$out" | grep -q "skip" && no "excluded path reported" ||
	ok "excluded path not reported"

json=$("$vigilctl" fim check --json --config "$tmp/vigil.yaml" --state-dir "$state")
echo "$json" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert (d["added"], d["removed"], d["changed"]) == (1, 1, 2), d
ch = {c["path"].rsplit("/", 1)[1]: c for c in d["changes"]}
assert ch["passwd"]["changed"] == ["hash"], ch["passwd"]
assert ch["passwd"]["before"]["hashes"] != ch["passwd"]["after"]["hashes"]
assert ch["keep"]["after"]["mode"] == "104755", ch["keep"]
' && ok "JSON report" || no "JSON report: $json"

# Only the given PATH is checked.
"$vigilctl" fim check --config "$tmp/vigil.yaml" --state-dir "$state" "$tree/sub" |
	grep -q passwd && no "PATH restricts the check" ||
	ok "PATH restricts the check"

# A file name made to rewrite the admin's terminal (issue 22 L2): carriage
# return, cursor up, erase line.  The report shows it escaped.
evil=$(printf 'x\r\033[1A\033[2Kbackdoor')
printf 'evil\n' > "$tree/sub/$evil"
"$vigilctl" fim check --config "$tmp/vigil.yaml" --state-dir "$state" "$tree/sub" \
	>"$tmp/evil.out"
if grep -q "$(printf '\033')" "$tmp/evil.out" || grep -q "$(printf '\r')" "$tmp/evil.out"; then
	no "hostile file name printed raw"
else
	grep -qF 'added    '"$tree"'/sub/x\x0d\x1b[1A\x1b[2Kbackdoor' "$tmp/evil.out" &&
		ok "hostile file name escaped on the terminal" ||
		no "hostile file name escaped: $(cat -v "$tmp/evil.out")"
fi
rm -f "$tree/sub/$evil"

printf 'vigil-fim-baseline 1\t0\n/x\tbad\n' > "$state/baseline.db"
"$vigilctl" fim check --config "$tmp/vigil.yaml" --state-dir "$state" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q "baseline.db:2:" "$tmp/err" &&
	ok "damaged baseline: exit 2 with the line" ||
	no "damaged baseline: exit 2 with the line (rc $rc: $(cat "$tmp/err"))"

if command -v dpkg >/dev/null; then
	"$vigilctl" fim baseline --config "$tmp/vigil.yaml" --state-dir "$state" >/dev/null
	out=$("$vigilctl" fim update --packages --config "$tmp/vigil.yaml" --state-dir "$state")
	[ $? -eq 0 ] && ok "update --packages: $out" || no "update --packages"
fi

# update --packages asks dpkg-query (found on PATH) which packages changed
# since the baseline and what they ship, not dpkg's database files
# (lintian: uses-dpkg-database-directly).  A stand-in dpkg-query says
# "newpkg" changed after the baseline, "oldpkg" before it, "gonepkg" is
# known but not installed: only newpkg's file is taken into the baseline.
mkdir -p "$tmp/bin" "$tree/pkg"
printf 'v1\n' > "$tree/pkg/new"
printf 'v1\n' > "$tree/pkg/old"
"$vigilctl" fim baseline --config "$tmp/vigil.yaml" --state-dir "$state" >/dev/null
now=$(( $(date +%s) + 5 ))
cat > "$tmp/bin/dpkg-query" <<SH
#!/bin/sh
case "\$1" in
-W) printf 'ii \t$now\tnewpkg:amd64\nii \t1\toldpkg\nun \t\tgonepkg\n' ;;
-L) [ "\$2" = newpkg:amd64 ] || { echo "unexpected -L \$2" >&2; exit 1; }
    printf '/.\n$tree\n$tree/pkg\n$tree/pkg/new\n' ;;
*) exit 2 ;;
esac
SH
chmod +x "$tmp/bin/dpkg-query"
printf 'v2\n' > "$tree/pkg/new"
printf 'v2\n' > "$tree/pkg/old"
out=$(PATH="$tmp/bin:$PATH" "$vigilctl" fim update --packages \
	--config "$tmp/vigil.yaml" --state-dir "$state" 2>&1)
[ $? -eq 0 ] && ok "update --packages through dpkg-query: $out" ||
	no "update --packages through dpkg-query: $out"
"$vigilctl" fim check --config "$tmp/vigil.yaml" --state-dir "$state" >"$tmp/pkg.out"
if grep -q "$tree/pkg/old" "$tmp/pkg.out" && ! grep -q "$tree/pkg/new" "$tmp/pkg.out"; then
	ok "the changed package's file re-baselined, the other still reported"
else
	no "dpkg-query's package list used: $(cat "$tmp/pkg.out")"
fi
exit $fail
