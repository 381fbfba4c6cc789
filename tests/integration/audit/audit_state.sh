# audit_state.sh - save and restore the kernel's audit state around a
# test (sourced).  Saves `auditctl -s` settings; audit_restore puts them
# back and deletes the rules under the tests' own keys (vigil_t<pid>,
# vigil_fixture), whatever the test did.  Other tools' rules are never
# touched: tests add rules under their own key and delete only that key.

AUDIT_SAVE_DIR=$(mktemp -d /tmp/vigil-audit-state.XXXXXX)

audit_save() {
	auditctl -s > "$AUDIT_SAVE_DIR/status" || return 1
	auditctl -l > "$AUDIT_SAVE_DIR/rules" || return 1
}

# Value of a setting from the saved `auditctl -s`.
audit_saved() {
	awk -v k="$1" '$1 == k { print $2 }' "$AUDIT_SAVE_DIR/status"
}

# Deletes the rules under key $1 only.
audit_del_key() {
	auditctl -D -k "$1" > /dev/null 2>&1 || true
}

audit_restore() {
	local enabled backlog wait failure rate
	enabled=$(audit_saved enabled)
	backlog=$(audit_saved backlog_limit)
	wait=$(audit_saved backlog_wait_time)
	failure=$(audit_saved failure)
	rate=$(audit_saved rate_limit)
	# Delete what our tests may have left (their keys only: vigil_t<pid>,
	# vigil_fixture), never other tools' rules, which may be changing
	# concurrently.
	local k
	for k in $(auditctl -l | sed -n 's/.*key=\(vigil_t[0-9]*\|vigil_fixture\)$/\1/p' |
		   sort -u); do
		audit_del_key "$k"
	done
	[ -n "$backlog" ] && auditctl -b "$backlog" > /dev/null 2>&1
	[ -n "$wait" ] && auditctl --backlog_wait_time "$wait" > /dev/null 2>&1
	[ -n "$failure" ] && auditctl -f "$failure" > /dev/null 2>&1
	[ -n "$rate" ] && auditctl -r "$rate" > /dev/null 2>&1
	[ -n "$enabled" ] && [ "$enabled" != 2 ] &&
		auditctl -e "$enabled" > /dev/null 2>&1
	rm -rf "$AUDIT_SAVE_DIR"
}

# Starts a private auditd logging RAW records to $1/audit.log, with no
# plugins.  Its pid goes to AUDITD_PID.
auditd_private_start() {
	local dir=$1
	mkdir -p "$dir/plugins.d"
	cat > "$dir/auditd.conf" <<CONF
local_events = yes
write_logs = yes
log_file = $dir/audit.log
log_format = RAW
flush = INCREMENTAL_ASYNC
freq = 50
max_log_file = 512
max_log_file_action = IGNORE
space_left = 2
space_left_action = IGNORE
admin_space_left = 1
admin_space_left_action = IGNORE
disk_full_action = IGNORE
disk_error_action = IGNORE
q_depth = 2000
overflow_action = SYSLOG
plugin_dir = $dir/plugins.d
end_of_event_timeout = 2
CONF
	auditd -n -c "$dir" > "$dir/auditd.out" 2>&1 &
	AUDITD_PID=$!
	local i
	for i in $(seq 50); do
		[ "$(auditctl -s | awk '$1 == "pid" { print $2 }')" = \
		  "$AUDITD_PID" ] && return 0
		sleep 0.1
	done
	return 1
}

auditd_private_stop() {
	[ -n "$AUDITD_PID" ] || return 0
	kill -TERM "$AUDITD_PID" 2>/dev/null
	wait "$AUDITD_PID" 2>/dev/null
	AUDITD_PID=
}
