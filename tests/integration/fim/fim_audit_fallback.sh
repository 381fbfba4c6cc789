#!/bin/sh
# fim_audit_fallback: the old-kernel rung of file integrity.  With
# fanotify forced off by the feature mask (as on a kernel without it, or
# with mount marks only), vigild watches the fim trees with audit rules
# (-F dir= -F perm=wa under its key) and still reports creates, renames
# (old and new path), chmod and deletes, each with the acting program;
# the watch rules go away with vigild.  With fanotify running, audit still
# reports extended-attribute changes (setcap) that fanotify cannot tell
# apart.  Root only (exit 77 otherwise).
# make distcheck repeats the suite after the main pass (.ci/run):
# VIGIL_SKIP_LIVE skips the live-kernel suites there.
if [ -n "${VIGIL_SKIP_LIVE:-}" ]; then
	echo "SKIP: live-kernel suite already run in the main pass (VIGIL_SKIP_LIVE)"
	exit 77
fi
set -u
: "${VIGIL_BUILDDIR:=$(pwd)}"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v auditctl >/dev/null || { echo "SKIP: auditctl missing"; exit 77; }
T=$(mktemp -d /tmp/vigil-fimaudit.XXXXXX)
KEY=vigil_fa$$
PID=
fail() { echo "FAIL: $*"; [ -f "$T/stderr" ] && sed 's/^/  vigild: /' "$T/stderr"; exit 1; }
cleanup() {
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	auditctl -D -k "$KEY" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
mkdir -p "$T/watched"
cat > "$T/vigil.yaml" <<EOC
agent:
  pid_file: $T/vigild.pid
  control_socket: $T/vigil.sock
  state_dir: $T/state
  plugin_dir: $VIGIL_BUILDDIR/plugins/.libs
  features: {disable: [fanotify]}
plugins:
  - name: file_sink
    config: {path: $T/events.json, what: events}
audit: {mode: auto, key: $KEY, rules: all}
proc: {enabled: false}
dns: {enabled: false}
fim: {paths: [$T/watched]}
EOC
"$VIGIL_BUILDDIR/vigild" -f -c "$T/vigil.yaml" >/dev/null 2>"$T/stderr" &
PID=$!
for i in $(seq 100); do [ -S "$T/vigil.sock" ] && break; sleep 0.1; done
[ -S "$T/vigil.sock" ] || fail "vigild did not start"
if grep -q 'source audit: failed' "$T/stderr"; then
	echo "SKIP: the audit source could not start here"; exit 77
fi
auditctl -l | grep -q "dir=$T/watched -F perm=wa -F key=$KEY" ||
	fail "no audit watch on the fim tree: $(auditctl -l | grep "$KEY")"
"$VIGIL_BUILDDIR/vigilctl" -s "$T/vigil.sock" status --json |
	grep -q '"fim_watches":1' || fail "status does not count the watch"

echo data > "$T/watched/new"
mv "$T/watched/new" "$T/watched/moved"
chmod 600 "$T/watched/moved"
rm "$T/watched/moved"
sleep 1.5
kill -TERM "$PID"; wait "$PID"; PID=
auditctl -l | grep -q "key=$KEY" && fail "vigil's rules left after stop"

python3 - "$T/events.json" "$T/watched" <<'EOP' || fail "events"
import json, sys
want = [("create", "new", None, None), ("rename", "new", "moved", "/usr/bin/mv"),
        ("chmod", "moved", None, "/usr/bin/chmod"), ("unlink", "moved", None, "/usr/bin/rm")]
seen = []
for line in open(sys.argv[1]):
    ev = json.loads(line)
    f = ev.get("file", {})
    if not f.get("path", "").startswith(sys.argv[2]):
        continue
    seen.append((ev["event"]["type"], f["path"].rsplit("/", 1)[1],
                 f.get("destination", {}).get("path", "/").rsplit("/", 1)[1] or None,
                 ev["process"].get("file", {}).get("path"), ev["event"].get("source")))
for t, name, dest, exe in want:
    hit = [s for s in seen if s[0] == t and s[1] == name and (dest is None or s[2] == dest)
           and (exe is None or s[3] == exe) and s[4] == "audit"]
    if not hit:
        sys.exit("missing %s of %s (seen: %s)" % (t, name, seen))
print("ok:", len(seen), "file events from audit watches")
EOP
# fanotify on: only the xattr calls are audited, and setcap shows
if command -v setcap >/dev/null; then
	sed -i '/features: {disable: \[fanotify\]}/d' "$T/vigil.yaml"
	rm -f "$T/events.json"
	"$VIGIL_BUILDDIR/vigild" -f -c "$T/vigil.yaml" >/dev/null 2>"$T/stderr" &
	PID=$!
	for i in $(seq 100); do [ -S "$T/vigil.sock" ] && break; sleep 0.1; done
	[ -S "$T/vigil.sock" ] || fail "vigild did not start (fanotify on)"
	auditctl -l | grep "dir=$T/watched" | grep -q 'perm=wa' &&
		fail "fanotify runs, yet the trees are watched with perm=wa"
	cp /bin/true "$T/watched/capped"
	setcap cap_net_raw+ep "$T/watched/capped"
	sleep 1.5
	kill -TERM "$PID"; wait "$PID"; PID=
	grep '"type":"setxattr"' "$T/events.json" | grep -q '/usr/sbin/setcap' ||
		fail "no setxattr event from setcap with fanotify on"
	echo "ok: setxattr reported next to fanotify"
fi
echo "PASS: fim_audit_fallback"
