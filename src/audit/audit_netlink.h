/*
 * audit_netlink.h - the audit netlink sockets: the read-only multicast
 * group (AUDIT_NLGRP_READLOG, 3.16+), the unicast daemon socket, and a
 * separate control socket for AUDIT_GET (lost, backlog, owner pid).
 */
#ifndef VIGIL_AUDIT_NETLINK_H
#define VIGIL_AUDIT_NETLINK_H

#include <stddef.h>
#include <stdint.h>

#include <linux/audit.h>

/* Called per audit message: its type and text (not NUL-terminated). */
typedef void (*vigil_audit_msg_fn)(void *ctx, uint32_t type, const char *text,
				   size_t len);

/* True when the running kernel is 3.16 or later (AUDIT_NLGRP_READLOG; on
 * older kernels bind() to the group succeeds but nothing arrives). */
int vigil_audit_kernel_has_multicast(void);

/*
 * Opens a non-blocking socket joined to the multicast group, with a
 * receive buffer of rcvbuf bytes (0: the system default).  Returns the fd
 * or a negative errno (-EPERM without CAP_AUDIT_READ).
 */
int vigil_audit_nl_multicast_open(int rcvbuf);

/*
 * Opens the unicast socket and registers this process as the audit daemon
 * (audit_set_pid).  Refuses with -EBUSY and *owner set when another live
 * process holds it.  Returns the fd or a negative errno.
 */
int vigil_audit_nl_unicast_open(int rcvbuf, uint32_t *owner);
/* Gives up the daemon role (pid 0) and closes fd. */
void vigil_audit_nl_unicast_close(int fd);

/* AUDIT_GET over a fresh socket.  Returns 0 or a negative errno. */
int vigil_audit_nl_status(struct audit_status *st);

/*
 * Reads every pending message from fd into buf (cap bytes, at least one
 * VIGIL_AUDIT_NL_SLOT; VIGIL_AUDIT_NL_BUF takes a full batch: one
 * recvmmsg(2) per VIGIL_AUDIT_NL_BATCH datagrams) and calls cb for each
 * audit record; control messages (NLMSG_*, AUDIT_REPLACE probes) are
 * skipped.  before (may be NULL) is called with ctx before the records of
 * each batch are handed over: the audit source reads the proc connector
 * there, so the forks of what a batch execs are in the process table
 * first, however long the drain takes.  Returns the number of records, or
 * a negative errno other than EAGAIN.  ENOBUFS (the socket buffer
 * overflowed: records lost) is counted in *enobufs and reading goes on.
 */
#define VIGIL_AUDIT_NL_SLOT 16384 /* > MAX_AUDIT_MESSAGE_LENGTH */
#define VIGIL_AUDIT_NL_BATCH 16
#define VIGIL_AUDIT_NL_BUF (VIGIL_AUDIT_NL_SLOT * VIGIL_AUDIT_NL_BATCH)
int vigil_audit_nl_read(int fd, char *buf, size_t cap, vigil_audit_msg_fn cb,
			void (*before)(void *ctx), void *ctx,
			uint64_t *enobufs);

#endif /* VIGIL_AUDIT_NETLINK_H */
