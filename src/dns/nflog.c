/*
 * nflog.c - the DNS source's NFLOG capture (nflog.h): group setup and the
 * parsing of one logged packet, with libmnl as for NFQUEUE.
 */
#include "config.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns/nflog.h"
#include "util.h"

/* Config messages and their ACKs. */
#define NFLOG_CTL_BUF 8192
/* Socket receive buffer: a few dozen full datagrams under load. */
#define NFLOG_RCVBUF (8 * 1024 * 1024)
/* A datagram holds at most `threshold` packets of copy_range bytes and
 * their attributes (NFULA_*, well under this). */
#define NFLOG_PKT_OVERHEAD 256
#define NS_PER_SEC INT64_C(1000000000)
#define NS_PER_USEC 1000

/* Starts an NFULNL_MSG_CONFIG message for group in buf (zeroed: attribute
 * padding goes to the kernel as it is). */
static struct nlmsghdr *config_put(char *buf, size_t size, uint16_t group)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *g;

	memset(buf, 0, size);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(group);
	return nlh;
}

/* Sends a config message and waits for its ACK.  Returns 0 or -errno. */
static int config_request(struct mnl_socket *nl, struct nlmsghdr *nlh)
{
	char buf[NFLOG_CTL_BUF];
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

/* The group's buffer for a threshold: enough for threshold packets of
 * copy_range bytes, within what the kernel accepts.  Below its minimum
 * the kernel takes its default (one page's worth). */
static uint32_t nlbufsiz(uint32_t threshold, uint32_t copy_range)
{
	uint64_t want = (uint64_t)threshold * (copy_range + NFLOG_PKT_OVERHEAD);

	return want > VIGIL_NFLOG_NLBUFSIZ_MAX ? VIGIL_NFLOG_NLBUFSIZ_MAX :
						 (uint32_t)want;
}

/* Adds the batching attributes: queue threshold, buffer size and the
 * flush timeout. */
static void put_batching(struct nlmsghdr *nlh, uint32_t threshold,
			 uint32_t copy_range)
{
	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(threshold));
	mnl_attr_put_u32(nlh, NFULA_CFG_NLBUFSIZ,
			 htonl(nlbufsiz(threshold, copy_range)));
	mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT,
			 htonl(VIGIL_NFLOG_FLUSH_TIMEOUT));
}

int vigil_nflog_open(uint16_t group, uint32_t copy_range,
		     struct mnl_socket **out)
{
	struct nfulnl_msg_config_cmd cmd = { .command = NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode = {
		.copy_range = htonl(copy_range),
		.copy_mode = NFULNL_COPY_PACKET,
	};
	char buf[NFLOG_CTL_BUF];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	int rcvbuf = NFLOG_RCVBUF, fd, rc;

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out_close;
	}
	fd = mnl_socket_get_fd(nl);
	/* Best effort, as for NFQUEUE: overruns are counted. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
			 sizeof(rcvbuf));

	nlh = config_put(buf, sizeof(buf), group);
	mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
	rc = config_request(nl, nlh);
	if (rc)
		goto out_close;
	nlh = config_put(buf, sizeof(buf), group);
	mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(mode), &mode);
	mnl_attr_put_u16(nlh, NFULA_CFG_FLAGS, htons(NFULNL_CFG_F_SEQ));
	put_batching(nlh, 1, copy_range);
	rc = config_request(nl, nlh);
	if (rc)
		goto out_close;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		rc = -errno;
		goto out_close;
	}
	*out = nl;
	return 0;

out_close:
	mnl_socket_close(nl);
	return rc;
}

int vigil_nflog_set_batching(struct mnl_socket *nl, uint16_t group,
			     uint32_t threshold, uint32_t copy_range,
			     bool on)
{
	char buf[NFLOG_CTL_BUF];
	struct nlmsghdr *nlh;

	nlh = config_put(buf, sizeof(buf), group);
	put_batching(nlh, on ? threshold : 1, copy_range);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

/* One attribute: type, payload and its length. */
struct attr {
	uint16_t type;
	const uint8_t *p;
	size_t len;
};

/* The payload of a fixed-size attribute, or NULL when its length is not
 * at least size. */
static const void *attr_fixed(const struct attr *a, size_t size)
{
	return a->len >= size ? a->p : NULL;
}

static bool attr_be32(const struct attr *a, uint32_t *out)
{
	uint32_t v;

	if (a->len < sizeof(v))
		return false;
	memcpy(&v, a->p, sizeof(v));
	*out = ntohl(v);
	return true;
}

int vigil_nflog_parse(const struct nlmsghdr *nlh,
		      struct vigil_dns_capture_pkt *pkt)
{
	const struct nfulnl_msg_packet_hdr *ph = NULL;
	const uint8_t *pos, *end;

	if (nlh->nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET))
		return -ENOMSG;
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct nfgenmsg))
		return -EBADMSG;
	memset(pkt, 0, sizeof(*pkt));
	pkt->uid = pkt->gid = VIGIL_ID_UNSET;
	/* The attributes by hand rather than with libmnl's per-attribute
	 * calls (this runs for every packet): each must fit what is left
	 * of the message, the walk stops at the first that does not. */
	pos = (const uint8_t *)nlh + MNL_NLMSG_HDRLEN +
	      MNL_ALIGN(sizeof(struct nfgenmsg));
	end = (const uint8_t *)nlh + nlh->nlmsg_len;
	while (pos < end && (size_t)(end - pos) >= sizeof(struct nlattr)) {
		struct nlattr na;
		struct attr at, *a = &at;

		memcpy(&na, pos, sizeof(na));
		if (na.nla_len < sizeof(na) || na.nla_len > end - pos)
			break;
		at.type = na.nla_type & NLA_TYPE_MASK;
		at.p = pos + MNL_ATTR_HDRLEN;
		at.len = na.nla_len - MNL_ATTR_HDRLEN;
		pos += MNL_ALIGN(na.nla_len);
		switch (at.type) {
		case NFULA_PACKET_HDR:
			ph = attr_fixed(a, sizeof(*ph));
			if (!ph)
				return -EBADMSG;
			break;
		case NFULA_PAYLOAD:
			pkt->data = a->p;
			pkt->len = a->len;
			break;
		case NFULA_UID:
			if (!attr_be32(a, &pkt->uid))
				return -EBADMSG;
			break;
		case NFULA_GID:
			if (!attr_be32(a, &pkt->gid))
				return -EBADMSG;
			break;
		case NFULA_SEQ:
			if (!attr_be32(a, &pkt->seq))
				return -EBADMSG;
			pkt->has_seq = true;
			break;
		case NFULA_IFINDEX_INDEV:
			if (!attr_be32(a, &pkt->indev))
				return -EBADMSG;
			break;
		case NFULA_TIMESTAMP: {
			/* Netlink aligns attributes to 4 bytes, the struct
			 * wants 8: copy its members out as bytes. */
			const uint8_t *ts = attr_fixed(
				a, sizeof(struct nfulnl_msg_packet_timestamp));
			uint64_t sec, usec;

			if (!ts)
				return -EBADMSG;
			memcpy(&sec,
			       ts + offsetof(struct nfulnl_msg_packet_timestamp,
					     sec),
			       sizeof(sec));
			memcpy(&usec,
			       ts + offsetof(struct nfulnl_msg_packet_timestamp,
					     usec),
			       sizeof(usec));
			sec = be64toh(sec);
			usec = be64toh(usec);
			/* A time this far off is not the kernel's clock. */
			if (sec > (uint64_t)(INT64_MAX / NS_PER_SEC) - 1 ||
			    usec >= NS_PER_SEC / NS_PER_USEC)
				return -EBADMSG;
			pkt->ts_ns = (int64_t)sec * NS_PER_SEC +
				     (int64_t)usec * NS_PER_USEC;
			break;
		}
		default:
			break;
		}
	}
	if (!ph || !pkt->data)
		return -EBADMSG;
	pkt->hook = ph->hook;
	return 0;
}
