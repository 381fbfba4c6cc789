# fim_behaviours.sh - sourced by run.sh when its vigild runs a fim
# source: the file-integrity behaviours.  Temp copies where a rule is
# path-agnostic; the throwaway user's home for per-user files; a new file
# (removed after) in a real directory where a rule names the directory;
# and for the account databases, the same bytes written back over them
# under the shadow-utils lock (the content never changes, so there is
# nothing to restore; restoring a saved copy could undo a concurrent
# useradd).  Uses run, expect, $T, $W, $SHM, $LUSER, $PY, $ME.
#
# argv is not checked here: a file event from a process that lives a few
# milliseconds (chmod, rm, sh -c) could reach the engine before the exec
# of that process is known, with the parent's argv (run.sh).  The fim
# source now holds the events of processes already gone 100 ms
# (FAN_SETTLE_NS) so that the exec, queued on the audit socket, names the
# program first; under a heavy load that may not be enough.

# rewrite_same FILE: opens FILE for writing and writes its own bytes back,
# holding the shadow-utils lock (lckpwdf) so that a useradd or passwd
# running meanwhile (benign.sh in a parallel make check) is neither
# reverted nor interleaved.
rewrite_same() {
	run "$PY" -c '
import ctypes, sys, time
libc = ctypes.CDLL(None)
if libc.lckpwdf() != 0:
    sys.exit("lckpwdf failed")
try:
    with open(sys.argv[1], "r+b") as f:
        data = f.read()
        f.seek(0)
        f.write(data)
finally:
    libc.ulckpwdf()
time.sleep(0.5)
' "$1"
}

# pyact CODE ARGS...: runs python CODE, then stays alive half a second:
# vigild looks the acting process up when the file event arrives, and a
# process that is already gone has no context to report (see the report).
pyact() {
	code=$1
	shift
	run "$PY" -c "import os, shutil, sys, time
$code
time.sleep(0.5)" "$@"
}

# Files made in configuration directories end in .test, a suffix none
# of their readers loads (ld.so, sshd, udev, modprobe and profile read
# *.conf, *.rules or *.sh; init.d scripts must be executable).
CONF_NEW="/etc/ld.so.conf.d/vigil-live-$$.test:ld_so_conf_modified
/etc/ssh/sshd_config.d/vigil-live-$$.test:sshd_config_modified
/etc/udev/rules.d/vigil-live-$$.test:udev_rules_modified
/etc/modprobe.d/vigil-live-$$.test:kernel_module_files_modified
/etc/profile.d/vigil-live-$$.test:system_shell_profile_modified
/etc/init.d/vigil-live-$$.test:rc_script_modified
/etc/audit/vigil-live-$$.test:audit_configuration_modified
/etc/ssl/certs/vigil-live-$$.test:ca_certificates_modified
/usr/local/share/ca-certificates/vigil-live-$$.test:ca_certificates_modified
/etc/vigil/vigil-live-$$.test:vigil_config_modified
/etc/systemd/system/vigil-live-$$.test:vigil_service_unit_modified
/usr/local/share/vigil/vigil-live-$$.test:vigil_binary_or_policy_modified"
# a log the rule names that this host does not keep: made, then deleted
DEL_LOG=
for f in secure messages auth.log syslog kern.log; do
	[ -e /var/log/$f ] || { DEL_LOG=/var/log/$f; break; }
done
FIM_NEW="/etc/sudoers.d/vigil-live-$$ /etc/cron.d/vigil-live-$$
/etc/systemd/system/vlive-test-$$.service /etc/security/vigil-live-$$.conf
/usr/bin/vigil-live-$$ /var/log/vigil-live-fim-$$.log
/srv/vigil-live-$$.php $DEL_LOG"
for c in $CONF_NEW; do FIM_NEW="$FIM_NEW ${c%%:*}"; done
[ -e /etc/ld.so.preload ] || FIM_NEW="$FIM_NEW /etc/ld.so.preload"
fim_restore() {
	for f in $FIM_NEW; do rm -f "$f"; done
	[ "${made_sudoers_d:-0}" = 1 ] && rmdir /etc/sudoers.d
}
FIM_RESTORE=fim_restore

rewrite_same /etc/passwd
expect account_database_modified passwd-rewrite $p "*/python3*" - "$ME"
rewrite_same /etc/shadow
expect shadow_file_modified shadow-rewrite $p "*/python3*" - "$ME"
made_sudoers_d=0
[ -d /etc/sudoers.d ] || { mkdir -m 750 /etc/sudoers.d && made_sudoers_d=1; }
pyact 'fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o440); os.write(fd, b"# vigil live test\n")' /etc/sudoers.d/vigil-live-$$
expect sudoers_modified sudoers.d-new $p "*/python3*" - "$ME"
if [ -e /etc/ld.so.preload ]; then
	rewrite_same /etc/ld.so.preload
else
	# an empty preload file preloads nothing
	pyact 'open(sys.argv[1], "w").close()' /etc/ld.so.preload
fi
expect ld_preload_file_modified ld.so.preload $p "*/python3*" - "$ME"
pyact 'open(sys.argv[1], "w").write("# vigil live test\n")' /etc/cron.d/vigil-live-$$
expect cron_job_modified cron.d-new $p "*/python3*" - "$ME"
pyact 'open(sys.argv[1], "w").write("# vigil live test\n")' /etc/systemd/system/vlive-test-$$.service
expect systemd_unit_modified unit-new $p "*/python3*" - "$ME"
pyact 'open(sys.argv[1], "w").write("# vigil live test\n")' /etc/security/vigil-live-$$.conf
expect pam_configuration_modified security-new $p "*/python3*" - "$ME"
pyact 'shutil.copy("/bin/true", sys.argv[1])' /usr/bin/vigil-live-$$
expect critical_binary_modified usr-bin-new $p "*/python3*" - "$ME"
for c in $CONF_NEW; do
	f=${c%%:*}
	if [ ! -d "$(dirname "$f")" ]; then
		skipped "${c#*:}" "new-$(basename "$(dirname "$f")")" "no $(dirname "$f")"
		continue
	fi
	pyact 'open(sys.argv[1], "w").write("# vigil live test\n")' "$f"
	expect "${c#*:}" "new-$(basename "$(dirname "$f")")" $p "*/python3*" - "$ME"
done
# the same bytes written back: nothing to restore
pyact 'f = open(sys.argv[1], "r+b"); d = f.read(); f.seek(0); f.write(d); f.close()' /etc/nsswitch.conf
expect nsswitch_modified nsswitch-rewrite $p "*/python3*" - "$ME"
if [ -n "$DEL_LOG" ]; then
	: >"$DEL_LOG"
	pyact 'os.unlink(sys.argv[1])' "$DEL_LOG"
	expect critical_log_deleted "rm-$(basename "$DEL_LOG")" $p "*/python3*" - "$ME"
else
	skipped critical_log_deleted rm-log "every log the rule names exists here: deleting one is not contained"
fi
# a web server writing a script into the document root: a copy of sh
# named nginx (it stays half a second, as pyact does)
cp /bin/sh "$T/nginx"
run "$T/nginx" -c "echo '<?php ?>' >/srv/vigil-live-$$.php; sleep 0.5"
expect web_shell_dropped webshell-php $p "$T/nginx" - "$ME"

H=/home/$LUSER
mkdir -p $H/.ssh
pyact 'open(sys.argv[1], "a").write("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIvigillive test\n")' $H/.ssh/authorized_keys
expect ssh_authorized_keys_modified authorized_keys $p "*/python3*" - "$ME"
run sh -c "echo 'alias ls=ls' >>$H/.bashrc"
expect user_shell_profile_modified bashrc $p "*sh" - "$ME"
run ln -sf /dev/null $H/.bash_history
expect shell_history_linked_to_dev_null history-devnull $p /usr/bin/ln - "$ME"
echo 'ls' >$H/.zsh_history
pyact 'os.unlink(sys.argv[1])' $H/.zsh_history
expect shell_history_deleted_or_truncated history-rm $p "*/python3*" - "$ME"
echo 'old lines' >/var/log/vigil-live-fim-$$.log
pyact 'open(sys.argv[1], "w").close()' /var/log/vigil-live-fim-$$.log
expect log_file_truncated log-truncate $p "*/python3*" - "$ME"

# a program that deletes its own file and exits at once (a copy of rm
# removing itself), and one that runs on after it, as a dropper does:
# vigild names the image "PATH (deleted)", as /proc does from the unlink
# on, whether or not the process is still there when the event is read.
cp /bin/rm "$W/selfrm"
run "$W/selfrm" "$W/selfrm"
expect executable_deleted_itself self-delete $p "$W/selfrm (deleted)" - "$ME"
cp "$(readlink -f "$PY")" "$W/selfpy"
run "$W/selfpy" -c 'import os, sys, time
os.unlink(sys.argv[1])
time.sleep(0.5)' "$W/selfpy"
expect executable_deleted_itself self-delete-runs-on $p "$W/selfpy (deleted)" - "$ME"
cp /bin/true "$T/suid2"
pyact 'os.chmod(sys.argv[1], 0o4755)' "$T/suid2"
expect setuid_or_setgid_bit_added chmod-us $p "*/python3*" - "$ME"
# outside the fim trees: the policy's setxattr rule has the xattr calls
# audited on every path
cp /bin/true "$SHM/capped"
run setcap cap_net_raw+ep "$SHM/capped"
expect file_capabilities_set setcap $p /usr/sbin/setcap - "$ME"
# /proc is not fanotify-watchable, and fanotify reports no reads: the
# open rules that name these paths have audit watch them
run sh -c ': >> /proc/sys/kernel/core_pattern'
expect core_pattern_written core-pattern $p "*sh" - "$ME"
# a private host key read into /dev/null by a program that has no
# business with it
key=$(ls /etc/ssh/ssh_host_*_key 2>/dev/null | head -n 1)
if [ -n "$key" ]; then
	# (not through run's log: the key must not land in a file)
	run sh -c "cat $key >/dev/null"
	expect private_key_read_by_unexpected_process host-key-read "~$p" /usr/bin/cat "$key" "$ME"
else
	skipped private_key_read_by_unexpected_process host-key-read "no /etc/ssh/ssh_host_*_key"
fi
run sh -c 'cat /etc/shadow >/dev/null'
expect shadow_file_read_by_unexpected_process shadow-read "~$p" - - "$ME"
