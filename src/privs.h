/*
 * privs.h - least privilege: vigild keeps only the capabilities its
 * running sources still need.
 *
 * vigild starts as root with the service manager's bounding set.  Once
 * the sources have opened their sockets, most capabilities are no longer
 * needed; vigil_privs_drop() keeps exactly the ones named by a mask of
 * needs (effective and permitted), removes every other one from the
 * bounding set (so a helper it executes cannot get them back), and
 * clears the inheritable and ambient sets.  vigil_privs_status_json()
 * tells `vigilctl status` what was kept and why.
 */
#ifndef VIGIL_PRIVS_H
#define VIGIL_PRIVS_H

#include <stddef.h>
#include <stdint.h>

struct vigil_buf;

/* What a running part of vigild still has to do with privilege. */
enum vigil_need {
	/* install and remove audit rules, be the audit daemon (unicast) */
	VIGIL_NEED_AUDIT_CONTROL = 1u << 0,
	/* read the audit multicast group (AUDIT_NLGRP_READLOG) */
	VIGIL_NEED_AUDIT_READ = 1u << 1,
	/* NFQUEUE, remove the firewall rules at exit, proc connector */
	VIGIL_NEED_NET_ADMIN = 1u << 2,
	/* fanotify_init() and its marks */
	VIGIL_NEED_SYS_ADMIN = 1u << 3,
	/* open_by_handle_at() for fanotify FIDs, reading any file to hash */
	VIGIL_NEED_DAC_READ_SEARCH = 1u << 4,
	/* /proc/PID/exe, cwd and fd of other users' processes */
	VIGIL_NEED_SYS_PTRACE = 1u << 5,
};

#define VIGIL_NEED_ALL                                                   \
	(VIGIL_NEED_AUDIT_CONTROL | VIGIL_NEED_AUDIT_READ |              \
	 VIGIL_NEED_NET_ADMIN | VIGIL_NEED_SYS_ADMIN |                   \
	 VIGIL_NEED_DAC_READ_SEARCH | VIGIL_NEED_SYS_PTRACE)

/* One need: its bit, the capability that serves it, and why. */
struct vigil_priv_need {
	uint32_t need;      /* one enum vigil_need bit */
	unsigned int cap;   /* CAP_* from <linux/capability.h> */
	const char *name;   /* "audit_read" */
	const char *why;    /* one sentence for status and logs */
};

/*
 * The table of needs, in bit order; *n gets its length.  Static storage,
 * never freed.
 */
const struct vigil_priv_need *vigil_privs_needs(size_t *n);

/*
 * Fills caps (room for max entries) with the capabilities keep_mask
 * needs, in table order.  Returns how many, or -EINVAL when keep_mask has
 * a bit that names no need, or -ENOSPC when max is too small.
 */
int vigil_privs_caps_for_mask(uint32_t keep_mask, unsigned int *caps,
			      size_t max);

/*
 * Keeps exactly the capabilities keep_mask needs, in the effective and
 * permitted sets; clears the inheritable and ambient sets; removes every
 * other capability from the bounding set when CAP_SETPCAP allows it (it
 * is dropped too).  Appends one line per kept capability, and one saying
 * whether the bounding set was narrowed, to report (may be NULL).
 * Capabilities are per thread, so this must run while the process has
 * one thread: before libuv's thread pool or any plugin thread starts
 * (threads created later inherit the reduced sets).
 * Returns 0, -EINVAL for an unknown bit, -EBUSY when other threads exist
 * (nothing changed), -EPERM when the kernel refused (the process keeps
 * what it had), or -errno.
 */
int vigil_privs_drop(uint32_t keep_mask, struct vigil_buf *report)
	__attribute__((warn_unused_result));

/*
 * Appends a JSON object to out: {"dropped":bool,"bounding_narrowed":bool,
 * "kept":[{"capability","need","why"}...],"effective":"0x..."} read from
 * the process's current state.  Returns 0 or -ENOMEM.
 */
int vigil_privs_status_json(struct vigil_buf *out);

#endif /* VIGIL_PRIVS_H */
