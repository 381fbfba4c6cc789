/*
 * audit_netlink.c - audit netlink sockets (see audit_netlink.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <libaudit.h>
#include <linux/netlink.h>

#include "audit/audit_netlink.h"

#ifndef AUDIT_NLGRP_READLOG
#define AUDIT_NLGRP_READLOG 1
#endif
#ifndef AUDIT_REPLACE
#define AUDIT_REPLACE 1329
#endif

int vigil_audit_kernel_has_multicast(void)
{
	struct utsname u;
	unsigned maj = 0, min = 0;

	if (uname(&u) || sscanf(u.release, "%u.%u", &maj, &min) != 2)
		return 0;
	return maj > 3 || (maj == 3 && min >= 16);
}

static void set_rcvbuf(int fd, int rcvbuf)
{
	if (rcvbuf <= 0)
		return;
	/* SO_RCVBUFFORCE passes rmem_max when we are privileged. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
}

int vigil_audit_nl_multicast_open(int rcvbuf)
{
	struct sockaddr_nl sa;
	int fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    NETLINK_AUDIT);
	if (fd < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	set_rcvbuf(fd, rcvbuf);
	return fd;
}

int vigil_audit_nl_status(struct audit_status *st)
{
	struct audit_reply rep;
	int fd, rc, tries;

	memset(st, 0, sizeof(*st));
	fd = audit_open();
	if (fd < 0)
		return -errno;
	rc = audit_request_status(fd);
	if (rc < 0)
		goto out_close;
	for (tries = 0; tries < 8; tries++) {
		rc = audit_get_reply(fd, &rep, GET_REPLY_BLOCKING, 0);
		if (rc <= 0) {
			rc = rc < 0 ? rc : -EIO;
			goto out_close;
		}
		if (rep.type == AUDIT_GET) {
			memcpy(st, rep.status, sizeof(*st));
			rc = 0;
			goto out_close;
		}
		if (rep.type == NLMSG_ERROR && rep.error->error) {
			rc = rep.error->error;
			goto out_close;
		}
	}
	rc = -EIO;
out_close:
	audit_close(fd);
	return rc;
}

int vigil_audit_nl_unicast_open(int rcvbuf, uint32_t *owner)
{
	struct audit_status st;
	int fd, rc;

	rc = vigil_audit_nl_status(&st);
	if (rc)
		return rc;
	*owner = st.pid;
	if (st.pid && st.pid != (uint32_t)getpid() &&
	    (kill((pid_t)st.pid, 0) == 0 || errno == EPERM))
		return -EBUSY;
	fd = audit_open();
	if (fd < 0)
		return -errno;
	rc = audit_set_pid(fd, (uint32_t)getpid(), WAIT_YES);
	if (rc < 0) {
		audit_close(fd);
		return rc;
	}
	set_rcvbuf(fd, rcvbuf);
	/* libaudit opens the socket blocking; the loop needs it not to. */
	rc = fcntl(fd, F_GETFL);
	if (rc < 0 || fcntl(fd, F_SETFL, rc | O_NONBLOCK)) {
		rc = -errno;
		vigil_audit_nl_unicast_close(fd);
		return rc;
	}
	return fd;
}

void vigil_audit_nl_unicast_close(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	int released;

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	/* Best effort on the way out: there is nothing else to do if the
	 * kernel refuses.  audit 4 (Debian 13) insists the result be read. */
	released = audit_set_pid(fd, 0, WAIT_NO);
	(void)released;
	audit_close(fd);
}

int vigil_audit_nl_read(int fd, char *buf, size_t cap, vigil_audit_msg_fn cb,
			void (*before)(void *ctx), void *ctx,
			uint64_t *enobufs)
{
	struct sockaddr_nl from[VIGIL_AUDIT_NL_BATCH];
	struct mmsghdr msg[VIGIL_AUDIT_NL_BATCH];
	struct iovec iov[VIGIL_AUDIT_NL_BATCH];
	unsigned slots = (unsigned)(cap / VIGIL_AUDIT_NL_SLOT), i;
	struct nlmsghdr *nh;
	size_t len;
	int n, count = 0;

	if (slots == 0)
		return -EINVAL;
	if (slots > VIGIL_AUDIT_NL_BATCH)
		slots = VIGIL_AUDIT_NL_BATCH;
	for (i = 0; i < slots; i++) {
		iov[i].iov_base = buf + (size_t)i * VIGIL_AUDIT_NL_SLOT;
		iov[i].iov_len = VIGIL_AUDIT_NL_SLOT;
	}
	for (;;) {
		/* One record per datagram: a batch of datagrams per call. */
		memset(msg, 0, sizeof(msg[0]) * slots);
		for (i = 0; i < slots; i++) {
			msg[i].msg_hdr.msg_name = &from[i];
			msg[i].msg_hdr.msg_namelen = sizeof(from[i]);
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, msg, slots, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				(*enobufs)++;
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return count;
			return -errno;
		}
		if (before)
			before(ctx);
		for (i = 0; i < (unsigned)n; i++) {
			len = msg[i].msg_len;
			/* Only the kernel (port 0) speaks audit to us. */
			if (from[i].nl_pid != 0 || len < NLMSG_HDRLEN)
				continue;
			nh = iov[i].iov_base;
			if (nh->nlmsg_type < AUDIT_FIRST_USER_MSG &&
			    nh->nlmsg_type != AUDIT_LOGIN)
				continue; /* NLMSG_*, replies to requests */
			if (nh->nlmsg_type == AUDIT_REPLACE)
				continue;
			/* The datagram size is the truth: on the unicast
			 * socket the kernel sets nlmsg_len to the payload
			 * size alone (kept for old auditd), on the
			 * multicast one to the whole message.  Trailing
			 * NULs are stripped by the record parser. */
			cb(ctx, nh->nlmsg_type, (char *)nh + NLMSG_HDRLEN,
			   len - NLMSG_HDRLEN);
			count++;
		}
		if ((unsigned)n < slots)
			return count; /* drained */
	}
}
