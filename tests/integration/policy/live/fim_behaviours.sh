# fim_behaviours.sh - sourced by run.sh when vigild runs a fim source:
# file-integrity behaviours, on temp copies where the rule allows.
cp /bin/true "$T/suid"
p=$(run chmod u+s "$T/suid")
expect setuid_or_setgid_bit_added chmod-us $p /usr/bin/chmod u+s "$ME"
cp /bin/true "$T/capped"
p=$(run setcap cap_net_raw+ep "$T/capped")
expect file_capabilities_set setcap $p /usr/sbin/setcap cap_net_raw "$ME"
p=$(run sh -c ': >> /proc/sys/kernel/core_pattern')
expect core_pattern_written core-pattern $p /usr/bin/dash core_pattern "$ME"
if [ -f /sys/fs/cgroup/pids/release_agent ]; then
	p=$(run sh -c ': >> /sys/fs/cgroup/pids/release_agent')
	expect cgroup_release_agent_written release-agent $p /usr/bin/dash release_agent "$ME"
fi

