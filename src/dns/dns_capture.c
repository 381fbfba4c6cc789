/*
 * dns_capture.c - the netfilter netlink socket setup that the NFQUEUE and
 * NFLOG captures share (dns_capture.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/dns_capture.h"
#include "util.h"

/* Socket receive buffer: a full queue of small packets, or a few dozen
 * full NFLOG datagrams under load. */
#define CAPTURE_RCVBUF (8 * 1024 * 1024)
/* Configuration ACKs. */
#define CAPTURE_CTL_BUF 8192

int vigil__dns_capture_open(struct mnl_socket **out)
{
	struct mnl_socket *nl;
	int rcvbuf = CAPTURE_RCVBUF, rc;

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		mnl_socket_close(nl);
		return rc;
	}
	/* Best effort: a bigger buffer absorbs bursts; without
	 * CAP_NET_ADMIN the default stays and overruns are counted. */
	(void)setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE,
			 &rcvbuf, sizeof(rcvbuf));
	*out = nl;
	return 0;
}

void vigil__dns_capture_close(struct mnl_socket **nl)
{
	if (*nl)
		mnl_socket_close(*nl);
	*nl = NULL;
}

int vigil__dns_capture_request(struct mnl_socket *nl, struct nlmsghdr *nlh)
{
	char buf[CAPTURE_CTL_BUF];
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = (uint32_t)vigil_monotonic_ns();
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	if (mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq,
		       mnl_socket_get_portid(nl), NULL, NULL) < 0)
		return -errno;
	return 0;
}

int vigil__dns_capture_nonblock(struct mnl_socket *nl)
{
	int fd = mnl_socket_get_fd(nl);

	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

void vigil__dns_capture_bind_error(char *reason, size_t size,
				   const char *what, const char *unit,
				   uint16_t num, int rc)
{
	snprintf(reason, size, "cannot bind %s %u: %s%s%s%s", what, num,
		 strerror(-rc),
		 rc == -EBUSY ? " (another program uses that " : "",
		 rc == -EBUSY ? unit : "",
		 rc == -EBUSY ? "; set dns.queue)" : "");
}
