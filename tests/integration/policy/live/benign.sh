#!/bin/sh
# benign.sh - issue 5, proof 3: a benign admin workload run under a vigild
# with the default policy must raise no high or critical signal; the low
# and medium ones are counted and listed (benign_signals.py).
#
# The workload: installing and removing a Debian package (sl; reinstalled
# at the end if it was installed before), compiling and running a small C
# program in a private dir under /root, cron jobs run by hand (the dpkg
# daily job and a private run-parts dir), logrotate -f on a private
# config and log, an ssh login to localhost (a private sshd on a high
# loopback port with its own config and host key, key auth for a
# throwaway user), and that user changing their own password with passwd
# on a pty.  Only signals raised by processes this script started count
# (other sessions may be busy on the host).
#
# Also runs the compiled program once from /tmp and reports what that
# raises, without counting it as benign.
#
# Exit 77 when not root or a needed tool is missing; apt-get needs the
# Debian mirror (BENIGN_NO_APT=1 leaves the package step out).
# make distcheck repeats the suite after the main pass (.ci/run):
# VIGIL_SKIP_LIVE skips the live-kernel suites there.
if [ -n "${VIGIL_SKIP_LIVE:-}" ]; then
	echo "SKIP: live-kernel suite already run in the main pass (VIGIL_SKIP_LIVE)"
	exit 77
fi
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
here=$(cd "$(dirname "$0")" && pwd)
: "${VIGIL_BUILDDIR:=$(pwd)}"
: "${VIGIL_SRCDIR:=$here/../../../..}"
VIGILD=$VIGIL_BUILDDIR/vigild
VIGILCTL=$VIGIL_BUILDDIR/vigilctl
PY=/usr/bin/python3
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
export ASAN_OPTIONS

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
[ -x "$VIGILD" ] && [ -x "$VIGILCTL" ] || skip "vigild/vigilctl not built"
for t in cc logrotate run-parts ssh ssh-keygen chpasswd useradd; do
	command -v $t >/dev/null || skip "$t not installed"
done
[ -x /usr/sbin/sshd ] || skip "openssh-server not installed"
[ -x "$PY" ] || skip "no /usr/bin/python3"

T=$(mktemp -d /run/vigil-benign.XXXXXX)
R=$(mktemp -d /root/vigil-benign.XXXXXX)
BUSER=vgbenign$$
AKEY=vigil_benign_$$
PIDS=
VPID=
SSHD_PID=
made_privsep=0
sl_before=0
dpkg -s sl >/dev/null 2>&1 && sl_before=1

cleanup() {
	for p in $SSHD_PID $PIDS; do kill -TERM "$p" 2>/dev/null; done
	[ -n "$VPID" ] && kill -TERM "$VPID" 2>/dev/null
	wait 2>/dev/null
	# processes of the throwaway user (an ssh session winding down)
	# would make userdel refuse: end them by pid first
	for u in $(ps -o pid= -u "$BUSER" 2>/dev/null); do kill -9 "$u"; done
	id "$BUSER" >/dev/null 2>&1 && userdel -f -r "$BUSER" 2>/dev/null
	[ $made_privsep = 1 ] && rmdir /run/sshd 2>/dev/null
	if [ "${BENIGN_NO_APT:-0}" != 1 ]; then
		if [ $sl_before = 1 ] && ! dpkg -s sl >/dev/null 2>&1; then
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q sl >/dev/null 2>&1
		elif [ $sl_before = 0 ] && dpkg -s sl >/dev/null 2>&1; then
			DEBIAN_FRONTEND=noninteractive apt-get remove -y -q sl >/dev/null 2>&1
		fi
	fi
	rm -rf "$R" /tmp/vigil-benign-hello.$$
	if [ "${LIVE_KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

. "$here/agent.sh"
agent_start "$T" "$AKEY"
agent_wait "$T" || { echo "FAIL: vigild sources not running"; exit 1; }

LOG=$T/workload.log
step() { echo "== $*" >>"$LOG"; }

# ---- a Debian package ------------------------------------------------
if [ "${BENIGN_NO_APT:-0}" != 1 ]; then
	step apt
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q sl >>"$LOG" 2>&1 ||
		skip "apt-get install sl failed (no Debian mirror?): $(tail -n 1 "$LOG")"
	apt-get remove -y -q sl >>"$LOG" 2>&1 || { echo "FAIL: apt-get remove sl"; exit 1; }
	unset DEBIAN_FRONTEND
fi

# ---- compile and run a C program -------------------------------------
step cc
cat >"$R/hello.c" <<'EOC'
#include <stdio.h>

int main(void)
{
	printf("hello from a benign program\n");
	return 0;
}
EOC
(cd "$R" && cc -O2 -Wall -o hello hello.c && ./hello) >>"$LOG" 2>&1 ||
	{ echo "FAIL: compiling hello.c"; exit 1; }

# ---- cron jobs, by hand ----------------------------------------------
step cron
[ -x /etc/cron.daily/dpkg ] && /etc/cron.daily/dpkg >>"$LOG" 2>&1
mkdir -p "$R/cron.daily" "$R/data"
cat >"$R/cron.daily/50-tidy" <<EOC
#!/bin/sh
# a typical site job: archive a data dir, drop old files, report disk use
tar -C "$R" -czf "$R/data.tgz" data
find "$R/data" -type f -mtime +30 -delete
df -h / >/dev/null
EOC
chmod 755 "$R/cron.daily/50-tidy"
run-parts --report "$R/cron.daily" >>"$LOG" 2>&1

# ---- logrotate on a private config -----------------------------------
step logrotate
mkdir -p "$R/log"
seq 1000 >"$R/log/app.log"
cat >"$R/logrotate.conf" <<EOC
$R/log/*.log {
	rotate 3
	compress
	missingok
	create 0640 root root
	postrotate
		true
	endscript
}
EOC
logrotate -f -s "$R/logrotate.state" "$R/logrotate.conf" >>"$LOG" 2>&1 ||
	{ echo "FAIL: logrotate"; exit 1; }

# ---- the throwaway user: ssh login and a password change -------------
step user
useradd -m -s /bin/sh "$BUSER" >>"$LOG" 2>&1 || { echo "FAIL: useradd"; exit 1; }
OLDPW="Old-benign-$$-pw"
NEWPW="New-benign-$$-Xq7!"
echo "$BUSER:$OLDPW" | chpasswd

step ssh
PORT=$((30000 + $$ % 20000))
[ -d /run/sshd ] || { mkdir -m 755 /run/sshd && made_privsep=1; }
ssh-keygen -q -t ed25519 -N '' -f "$T/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$T/user_key"
mkdir -p "$T/authorized"
cp "$T/user_key.pub" "$T/authorized/$BUSER"
chmod 755 "$T" "$T/authorized"; chmod 644 "$T/authorized/$BUSER"
cat >"$T/sshd_config" <<EOC
Port $PORT
ListenAddress 127.0.0.1
HostKey $T/host_key
PidFile $T/sshd.pid
AuthorizedKeysFile $T/authorized/%u
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM yes
PermitRootLogin no
AllowUsers $BUSER
EOC
/usr/sbin/sshd -D -e -f "$T/sshd_config" 2>>"$T/sshd.log" &
SSHD_PID=$!
for i in $(seq 50); do
	"$PY" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' $PORT 2>/dev/null && break
	sleep 0.1
done
ssh -i "$T/user_key" -p $PORT -o BatchMode=yes -o StrictHostKeyChecking=no \
	-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "$BUSER@127.0.0.1" \
	'id; uname -r; ls -la ~ >/dev/null; cat /etc/os-release >/dev/null' \
	>>"$LOG" 2>&1 || { cat "$T/sshd.log"; echo "FAIL: ssh login"; exit 1; }
kill -TERM $SSHD_PID; wait $SSHD_PID 2>/dev/null; SSHD_PID=

step passwd
"$PY" - "$BUSER" "$OLDPW" "$NEWPW" >>"$LOG" 2>&1 <<'EOP' || { echo "FAIL: passwd as the user"; exit 1; }
import os, pty, sys, time
user, old, new = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execvp("runuser", ["runuser", "-u", user, "--", "passwd"])
out = b""
def expect(word):
    global out
    end = time.time() + 10
    while word not in out.lower():
        if time.time() > end:
            raise SystemExit("passwd: no %r in %r" % (word, out))
        try:
            out += os.read(fd, 1024)
        except OSError:
            raise SystemExit("passwd ended: %r" % out)
for prompt, answer in ((b"current", old), (b"new", new), (b"new", new)):
    expect(prompt)
    out = b""
    os.write(fd, answer.encode() + b"\n")
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
EOP
# passwd -S reads /etc/shadow as an account tool; grep or getent on it
# would be shadow_file_read_by_unexpected_process, rightly
[ "$(passwd -S "$BUSER" | cut -d' ' -f2)" = P ] ||
	{ echo "FAIL: password not changed"; exit 1; }

sleep 3	# the audit end-of-event timeout and the sink
# the monitors saw the workload: events came in on each source
"$VIGILCTL" -s "$T/run/vigil.sock" status --json >"$T/status.json" || {
	echo "FAIL: vigilctl status"; exit 1; }
"$PY" - "$T/status.json" <<'EOP' || { echo "FAIL: a monitor saw nothing"; exit 1; }
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["sources"]}
seen = {n: s[n].get("events_in", 0) for n in ("audit", "proc", "fanotify") if n in s}
print("events in during the workload: %s" % seen)
sys.exit(0 if all(seen.values()) else 1)
EOP

# ---- not benign, for the record: the same program run from /tmp ------
cp "$R/hello" /tmp/vigil-benign-hello.$$
/tmp/vigil-benign-hello.$$ >>"$LOG" 2>&1
sleep 3
vpid=$VPID
kill -TERM "$VPID"; wait "$VPID"; VPID=

"$PY" "$here/benign_signals.py" "$T/signals.json" $$ \
	/tmp/vigil-benign-hello.$$ $vpid
