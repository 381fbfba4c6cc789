# agent.sh - sourced by run.sh and benign.sh: a vigild from the build tree
# with the default policy, everything it writes under one temp dir.
# Needs VIGILD, VIGILCTL, VIGIL_BUILDDIR, VIGIL_SRCDIR and PY set.

# agent_start DIR AKEY [FIM_PATHS]: writes DIR/vigil.yaml (audit with
# audit key AKEY, proc connector, fim on FIM_PATHS (a YAML flow list's
# items; default: the shipped config's trees; marks: $FIM_MARKS or auto),
# no DNS; the rules engine on rules/default; signals as
# JSON lines in DIR/signals.json), starts vigild in the foreground and
# sets VPID.  Other vigild instances on the host (tests, a packaged
# agent) remove the audit rules of their own key, not these.
agent_start() {
	mkdir -p "$1/run" "$1/state"
	cat >"$1/vigil.yaml" <<EOC
agent:
  pid_file: $1/run/vigild.pid
  control_socket: $1/run/vigil.sock
  state_dir: $1/state
  plugin_dir: $VIGIL_BUILDDIR/plugins/.libs
audit: {mode: auto, key: $2, rules: true}
proc: {read_exec_image: false}
fim: {paths: [${3:-/etc, /bin, /sbin, /usr/bin, /usr/sbin, /usr/lib/systemd, /boot, /root/.ssh}], marks: ${FIM_MARKS:-auto}}
dns: {enabled: false}
plugins:
  - name: rules
    config: {paths: [$VIGIL_SRCDIR/rules/default]}
  - name: file_sink
    config: {path: $1/signals.json, what: signals, format: json}
EOC
	"$VIGILD" -f -c "$1/vigil.yaml" >"$1/vigild.out" 2>"$1/vigild.err" &
	VPID=$!
}

# source_running SOCKET NAME: vigilctl status lists NAME as running.
source_running() {
	"$VIGILCTL" -s "$1" status --json 2>/dev/null | "$PY" 2>/dev/null -c '
import json, sys
s = json.load(sys.stdin)
sys.exit(0 if any(x.get("name") == sys.argv[1] and
		  x.get("state") == "running" for x in s["sources"]) else 1)
' "$2"
}

# agent_wait DIR: waits up to 10 s for the audit and proc sources of the
# vigild started by agent_start DIR; returns 1 (and prints its log) if
# they do not run.
agent_wait() {
	for i in $(seq 100); do
		if source_running "$1/run/vigil.sock" audit &&
			source_running "$1/run/vigil.sock" proc; then
			return 0
		fi
		kill -0 "$VPID" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/  vigild: /' "$1/vigild.err"
	return 1
}
