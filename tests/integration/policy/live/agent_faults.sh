# agent_faults.sh - sourced by run.sh: the agent-health rules, raised by a
# second, short-lived vigild that the suite starves on purpose, so that
# the main vigild (whose signals prove every other rule) loses nothing.
#
# The second vigild reads the audit multicast group with a 64 KiB
# receive buffer and installs no audit rules of its own (the main
# vigild's rules make the records), reads the proc connector with a
# 4 KiB buffer and watches a scratch tree outside every tree of the main
# vigild.  It is stopped (SIGSTOP) while 300 programs run and more files
# than the kernel's fanotify queue holds (fs.fanotify.max_queued_events)
# are made in that tree; when it runs again its sockets have overrun
# and its fanotify queue has overflowed.  All three losses are its own:
# the kernel drops a multicast datagram only for the full socket, and
# each fanotify group has its own queue, so auditd, the main vigild and
# other agents see everything.  No system setting is changed.  Last, its
# configuration file is broken and it is sent SIGHUP: the reload fails
# and the file is put back.  A third output of it, a file_sink on a
# 64 KiB tmpfs the suite mounts (a full disk of its own, unmounted on
# exit), drops records past its max_pending and the host raises the loss.
#
# Uses expect, skipped, source_running (agent.sh), $VIGILD, $VIGILCTL,
# $VIGIL_BUILDDIR, $VIGIL_SRCDIR, $PY, $ME; sets AGENT_RESTORE and
# AGENT_SIGNALS (the second vigild's signals, for check_signals.py).

AF=$(mktemp -d /run/vigil-live-agent.XXXXXX)
AF_MAX_FILES=100000	# files the suite makes at most to fill the queue
AFPID=
AGENT_SIGNALS=$AF/signals.json
# (run.sh's cleanup ends the second vigild first, by AFPID)
agent_faults_restore() {
	[ -f "$AF/vigil.yaml.good" ] && mv -f "$AF/vigil.yaml.good" "$AF/vigil.yaml"
	mountpoint -q "$AF/full" 2>/dev/null && umount -l "$AF/full"
	if [ "${LIVE_KEEP:-0}" = 1 ]; then echo "kept $AF"; else rm -rf "$AF"; fi
}
AGENT_RESTORE=agent_faults_restore

# af_fired RULE: the second vigild raised RULE.
af_fired() {
	grep -q "\"rule\":\"$1\"" "$AGENT_SIGNALS" 2>/dev/null
}

mkdir -p "$AF/run" "$AF/state" "$AF/fim" "$AF/full"
af_full=0
mount -t tmpfs -o size=64k,mode=0755 vigil-live-full "$AF/full" 2>/dev/null &&
	af_full=1
cat >"$AF/vigil.yaml" <<EOC
agent:
  pid_file: $AF/run/vigild.pid
  control_socket: $AF/run/vigil.sock
  state_dir: $AF/state
  plugin_dir: $VIGIL_BUILDDIR/plugins/.libs
audit: {mode: multicast, rules: none, receive_buffer: 64K}
proc: {rcvbuf: 4K, read_exec_image: false}
fim: {paths: [$AF/fim], marks: inode}
dns: {enabled: false}
plugins:
  - name: rules
    config: {paths: [$VIGIL_SRCDIR/rules/default]}
  - name: file_sink
    config: {path: $AGENT_SIGNALS, what: signals, format: json}
  - name: full_sink
    path: $VIGIL_BUILDDIR/plugins/.libs/file_sink.so
    config: {path: $AF/full/events.json, what: events, max_pending: 16K}
EOC
"$VIGILD" -f -c "$AF/vigil.yaml" >"$AF/vigild.out" 2>"$AF/vigild.err" &
AFPID=$!
af_up=0
for i in $(seq 100); do
	if source_running "$AF/run/vigil.sock" audit &&
		source_running "$AF/run/vigil.sock" proc &&
		source_running "$AF/run/vigil.sock" fanotify; then
		af_up=1
		break
	fi
	kill -0 "$AFPID" 2>/dev/null || break
	sleep 0.1
done
if [ $af_up = 0 ]; then
	sed 's/^/  second vigild: /' "$AF/vigild.err"
	for r in agent_audit_events_lost agent_proc_connector_overrun \
		agent_fanotify_overflow agent_config_reload_failed \
		agent_output_records_lost; do
		skipped $r starve "the second vigild's audit, proc and fanotify sources did not all run"
	done
else
	qmax=$(cat /proc/sys/fs/fanotify/max_queued_events 2>/dev/null || echo 0)
	kill -STOP "$AFPID"
	# one event per new name: more names than the queue holds (the
	# kernel's default is 16384; a host that raised it far is left be)
	if [ "$qmax" -gt 0 ] && [ "$qmax" -le $AF_MAX_FILES ]; then
		"$PY" -c '
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    os.close(os.open(os.path.join(d, "f%d" % i), os.O_WRONLY | os.O_CREAT, 0o600))
' "$AF/fim" $((qmax + 1000))
	fi
	# each program is a fork, an exec and an exit on the connector and
	# a SYSCALL, EXECVE, CWD, PATH and PROCTITLE for audit
	i=0
	while [ $i -lt 300 ]; do /bin/true; i=$((i + 1)); done
	kill -CONT "$AFPID"
	for i in $(seq 300); do
		af_fired agent_fanotify_overflow &&
			af_fired agent_proc_connector_overrun &&
			af_fired agent_audit_events_lost &&
			{ [ $af_full = 0 ] || af_fired agent_output_records_lost; } &&
			break
		sleep 0.1
	done
	af_filled=0
	[ "$qmax" -gt 0 ] && [ "$qmax" -le $AF_MAX_FILES ] && af_filled=1
	for r in agent_audit_events_lost:audit-overrun \
		agent_proc_connector_overrun:proc-overrun \
		agent_fanotify_overflow:fanotify-overflow; do
		if [ "${r%%:*}" = agent_fanotify_overflow ] && [ $af_filled = 0 ]; then
			skipped "${r%%:*}" "${r#*:}" \
				"fs.fanotify.max_queued_events is $qmax: more than $AF_MAX_FILES files to make"
			continue
		fi
		expect "${r%%:*}" "${r#*:}" "$AFPID" "$VIGILD" "$AF/vigil.yaml" "$ME"
	done
	# the outlet on the full tmpfs held 16K and dropped the rest
	if [ $af_full = 1 ]; then
		expect agent_output_records_lost disk-full "$AFPID" "$VIGILD" \
			"$AF/vigil.yaml" "$ME"
	else
		skipped agent_output_records_lost disk-full \
			"cannot mount a tmpfs here (no CAP_SYS_ADMIN?)"
	fi
	# a configuration that does not load: SIGHUP keeps the old one
	cp "$AF/vigil.yaml" "$AF/vigil.yaml.good"
	echo 'no_such_section: {}' >>"$AF/vigil.yaml"
	kill -HUP "$AFPID"
	for i in $(seq 50); do
		af_fired agent_config_reload_failed && break
		sleep 0.1
	done
	mv -f "$AF/vigil.yaml.good" "$AF/vigil.yaml"
	expect agent_config_reload_failed sighup-bad-config "$AFPID" "$VIGILD" \
		"$AF/vigil.yaml" "$ME"
	kill -TERM "$AFPID"
	wait "$AFPID"
	AFPID=
fi
