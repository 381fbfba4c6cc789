/*
 * privs.c - drops the capabilities vigild no longer needs (libcap-ng).
 *
 * The mapping from needs to capabilities is one table so that the unit
 * file's CapabilityBoundingSet, the man page and `vigilctl status` can
 * all be checked against it.  The drop is all or nothing as far as the
 * kernel allows: libcap-ng builds the new sets in memory and applies
 * them with capset() and prctl().
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include <cap-ng.h>
#include <linux/capability.h>

#include "privs.h"
#include "util.h"

/*
 * libcap-ng 0.8 selects the ambient set; before it (RHEL 7 and 8, Debian
 * 11) the ambient set is cleared with prctl after the apply.  Clearing
 * the inheritable set already empties it (an ambient capability must be
 * permitted and inheritable); the prctl says so explicitly.
 */
#ifdef HAVE_CAPNG_SELECT_AMBIENT
#define PRIVS_SELECT_CAPS (CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT)
#define PRIVS_SELECT_ALL CAPNG_SELECT_ALL
#else
#define PRIVS_SELECT_CAPS CAPNG_SELECT_CAPS
#define PRIVS_SELECT_ALL CAPNG_SELECT_BOTH
#ifndef PR_CAP_AMBIENT /* Linux 4.3 */
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#endif

static const struct vigil_priv_need needs[] = {
	{ VIGIL_NEED_AUDIT_CONTROL, CAP_AUDIT_CONTROL, "audit_control",
	  "install and remove vigil's audit rules, own the audit socket in unicast mode" },
	{ VIGIL_NEED_AUDIT_READ, CAP_AUDIT_READ, "audit_read",
	  "read audit records from the multicast group next to auditd" },
	{ VIGIL_NEED_NET_ADMIN, CAP_NET_ADMIN, "net_admin",
	  "NFQUEUE verdicts, NFLOG batching, removing the DNS firewall rules at exit, proc connector" },
	{ VIGIL_NEED_SYS_ADMIN, CAP_SYS_ADMIN, "sys_admin",
	  "fanotify marks on watched trees" },
	{ VIGIL_NEED_DAC_READ_SEARCH, CAP_DAC_READ_SEARCH, "dac_read_search",
	  "open_by_handle_at() for fanotify file handles, hashing files any user owns" },
	{ VIGIL_NEED_SYS_PTRACE, CAP_SYS_PTRACE, "sys_ptrace",
	  "read /proc/PID/exe, cwd and fd of other users' processes" },
};

/* What the last successful vigil_privs_drop() did, for status. */
static struct {
	bool dropped;
	bool bounding_narrowed;
	uint32_t kept;
} state;

const struct vigil_priv_need *vigil_privs_needs(size_t *n)
{
	*n = VIGIL_ARRAY_SIZE(needs);
	return needs;
}

int vigil_privs_caps_for_mask(uint32_t keep_mask, unsigned int *caps,
			      size_t max)
{
	size_t n = 0;

	if (keep_mask & ~(uint32_t)VIGIL_NEED_ALL)
		return -EINVAL;
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(needs); i++) {
		if (!(keep_mask & needs[i].need))
			continue;
		if (n == max)
			return -ENOSPC;
		caps[n++] = needs[i].cap;
	}
	return (int)n;
}

/* "cap_audit_read" for status and logs; libcap-ng names lack the prefix. */
static const char *cap_name(unsigned int cap)
{
	const char *s = capng_capability_to_name(cap);

	return s ? s : "unknown";
}

/*
 * Threads in this process, from /proc/self/status, or a negative errno.
 * Capabilities belong to threads: capset() and PR_CAPBSET_DROP change only
 * the calling one, so a drop is only whole while there is one thread.
 */
static int thread_count(void)
{
	char line[128];
	int n = -ENOENT;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Threads:", 8) == 0) {
			n = atoi(line + 8);
			break;
		}
	}
	fclose(f);
	return n;
}

int vigil_privs_drop(uint32_t keep_mask, struct vigil_buf *report)
{
	unsigned int caps[VIGIL_ARRAY_SIZE(needs)];
	bool narrow_bounding;
	capng_select_t which;
	int n, err;

	n = vigil_privs_caps_for_mask(keep_mask, caps, VIGIL_ARRAY_SIZE(caps));
	if (n < 0)
		return n;
	err = thread_count();
	if (err < 0)
		return err;
	if (err > 1)
		return -EBUSY;
	if (capng_get_caps_process())
		return errno ? -errno : -EPERM;
	/*
	 * Narrowing the bounding set takes CAP_SETPCAP.  Without it (a unit
	 * that leaves it out) the service manager's bounding set stands and
	 * only the process's own sets shrink.
	 */
	narrow_bounding = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	which = PRIVS_SELECT_CAPS;
	if (narrow_bounding)
		which |= CAPNG_SELECT_BOUNDS;

	/* Clears effective, permitted, inheritable, ambient and bounding. */
	capng_clear(PRIVS_SELECT_ALL);
	for (int i = 0; i < n; i++) {
		if (capng_update(CAPNG_ADD,
				 CAPNG_EFFECTIVE | CAPNG_PERMITTED |
					 CAPNG_BOUNDING_SET,
				 caps[i]))
			return -EINVAL;
	}
	errno = 0;
	if (capng_apply(which)) {
		err = errno ? -errno : -EPERM;
		/* Keep libcap-ng's view in step with what the kernel has.
		 * Best effort (libcap-ng 0.8.5, Debian 13, insists it be
		 * read): the apply error is the one to report. */
		int resync = capng_get_caps_process();

		(void)resync;
		return err;
	}
#ifndef HAVE_CAPNG_SELECT_AMBIENT
	/* EINVAL: a kernel before 4.3, which has no ambient set */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	    errno != EINVAL)
		return -errno;
#endif

	/*
	 * No exec may give back what was dropped: without it, a root
	 * vigild whose bounding set could not be narrowed (no CAP_SETPCAP)
	 * would hand every bounding capability to nft or iptables, or to
	 * anything an attacker gets it to run.  Children still get at most
	 * the permitted set kept here (the firewall's CAP_NET_ADMIN).
	 */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	state.dropped = true;
	state.bounding_narrowed = narrow_bounding;
	state.kept = keep_mask;
	if (!report)
		return 0;
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(needs); i++)
		if (keep_mask & needs[i].need)
			vigil_buf_printf(report, "kept cap_%s: %s\n",
					 cap_name(needs[i].cap), needs[i].why);
	if (n == 0)
		vigil_buf_printf(report, "kept no capability\n");
	vigil_buf_printf(report,
			 narrow_bounding ?
				 "bounding set narrowed to the kept capabilities\n" :
				 "bounding set left as the service manager set it (no CAP_SETPCAP)\n");
	return 0;
}

/* The effective set as a number, for status: bit N is capability N. */
static uint64_t effective_mask(void)
{
	uint64_t mask = 0;

	if (capng_get_caps_process())
		return 0;
	for (unsigned int cap = 0; cap <= CAP_LAST_CAP && cap < 64; cap++)
		if (capng_have_capability(CAPNG_EFFECTIVE, cap))
			mask |= (uint64_t)1 << cap;
	return mask;
}

int vigil_privs_status_json(struct vigil_buf *out)
{
	uint64_t eff = effective_mask();
	bool first = true;
	int rc;

	rc = vigil_buf_printf(out,
			      "{\"dropped\":%s,\"no_new_privs\":%s,"
			      "\"bounding_narrowed\":%s,"
			      "\"effective\":\"0x%016llx\",\"kept\":[",
			      state.dropped ? "true" : "false",
			      prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ?
				      "true" :
				      "false",
			      state.bounding_narrowed ? "true" : "false",
			      (unsigned long long)eff);
	for (size_t i = 0; !rc && i < VIGIL_ARRAY_SIZE(needs); i++) {
		/* Before a drop, "kept" is what the process has now. */
		bool kept = state.dropped ?
			(state.kept & needs[i].need) != 0 :
			(eff >> needs[i].cap) & 1;

		if (!kept)
			continue;
		/* The table's strings hold no character JSON must escape. */
		rc = vigil_buf_printf(out,
				      "%s{\"capability\":\"cap_%s\","
				      "\"need\":\"%s\",\"why\":\"%s\"}",
				      first ? "" : ",", cap_name(needs[i].cap),
				      needs[i].name, needs[i].why);
		first = false;
	}
	if (!rc)
		rc = vigil_buf_puts(out, "]}");
	return rc;
}
