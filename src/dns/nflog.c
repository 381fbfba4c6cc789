/*
 * nflog.c - the DNS source's NFLOG capture (nflog.h): group setup, the
 * parsing of one logged packet, with libmnl as for NFQUEUE, and the
 * reader that hands each packet to the source.
 *
 * Each datagram (one packet, or up to `batch` under load) is parsed as it
 * is received; nothing is sent back but the batching switches.
 */
#include "config.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "source.h"
#include "dns/nflog.h"
#include "util.h"

/* Config messages and their ACKs. */
#define NFLOG_CTL_BUF 8192
/* A datagram holds at most `threshold` packets of copy_range bytes and
 * their attributes (NFULA_*, well under this). */
#define NFLOG_PKT_OVERHEAD 256
#define NS_PER_SEC INT64_C(1000000000)
#define NS_PER_USEC 1000
/* Batching (nflog.h): the packet rate is measured over windows of at
 * least this long; batching starts above the first rate and stops below
 * the second (hysteresis, so a rate near one does not flap). */
#define NFLOG_RATE_WINDOW_NS (100 * INT64_C(1000000))
#define NFLOG_BATCH_ON_PPS 2000
#define NFLOG_BATCH_OFF_PPS 500

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
	int rc;

	rc = vigil__dns_capture_open(&nl);
	if (rc)
		return rc;
	nlh = config_put(buf, sizeof(buf), group);
	mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
	rc = vigil__dns_capture_request(nl, nlh);
	if (rc)
		goto out_close;
	nlh = config_put(buf, sizeof(buf), group);
	mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(mode), &mode);
	mnl_attr_put_u16(nlh, NFULA_CFG_FLAGS, htons(NFULNL_CFG_F_SEQ));
	put_batching(nlh, 1, copy_range);
	rc = vigil__dns_capture_request(nl, nlh);
	if (!rc)
		rc = vigil__dns_capture_nonblock(nl);
	if (rc)
		goto out_close;
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

/* ---- the reader ---- */

/*
 * Counts the packets the kernel could not hand over: the group numbers
 * its packets, so a gap is what was dropped (our socket was full, or the
 * kernel could not allocate).
 */
static void count_seq(struct vigil_nflog *r,
		      const struct vigil_dns_capture_pkt *pkt)
{
	if (!pkt->has_seq)
		return;
	if (r->seq_known && pkt->seq != r->next_seq) {
		uint32_t gap = pkt->seq - r->next_seq;

		/* Below half the sequence space it is a loss; above, an
		 * old datagram (cannot happen on one socket). */
		if (gap < UINT32_MAX / 2) {
			r->seq_lost += gap;
			r->src->lost += gap;
		}
	}
	r->next_seq = pkt->seq + 1;
	r->seq_known = true;
}

/* Turns kernel batching on under load and off when traffic is light
 * (nflog.h says why). */
static void follow_rate(struct vigil_nflog *r, uint64_t packets)
{
	int64_t now = r->now_ns, elapsed;
	uint64_t pps;
	bool want;

	r->window_packets += packets;
	elapsed = now - r->window_start_ns;
	if (elapsed < NFLOG_RATE_WINDOW_NS)
		return;
	pps = r->window_packets * (uint64_t)NS_PER_SEC / (uint64_t)elapsed;
	want = r->batching ? pps > NFLOG_BATCH_OFF_PPS :
			     pps >= NFLOG_BATCH_ON_PPS;
	r->window_start_ns = now;
	r->window_packets = 0;
	if (want == r->batching || r->batch <= 1)
		return;
	if (vigil_nflog_set_batching(r->nl, r->group, r->batch, r->copy_range,
				     want)) {
		r->config_errors++;
		return;
	}
	r->batching = want;
	r->batching_switches++;
}

/* Handles the packets of one datagram, read at now (monotonic) and
 * stamped recv_ns (realtime) when the kernel gave no time.  Returns the
 * packets in it. */
static uint64_t read_datagram(struct vigil_nflog *r, char *buf, size_t len,
			      int64_t now, int64_t recv_ns)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	int n = (int)len;
	uint64_t packets = 0;

	for (; vigil_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
		struct vigil_dns_capture_pkt pkt;
		int rc;

		if (nlh->nlmsg_type == NLMSG_ERROR) {
			/* Only our unacknowledged batching requests can
			 * answer here, and only when they failed. */
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_len >= MNL_NLMSG_HDRLEN + sizeof(*e) &&
			    e->error)
				r->config_errors++;
			continue;
		}
		rc = vigil_nflog_parse(nlh, &pkt);
		if (rc == -ENOMSG)
			continue; /* NLMSG_DONE closes a batch */
		if (rc) {
			r->bad_msg++;
			continue;
		}
		packets++;
		r->packets++;
		r->src->events_in++;
		count_seq(r, &pkt);
		if (!pkt.ts_ns) {
			pkt.ts_ns = recv_ns;
		} else if (recv_ns > pkt.ts_ns) {
			uint64_t delay = (uint64_t)(recv_ns - pkt.ts_ns);

			r->delay_samples++;
			r->delay_ns_total += delay;
			if (delay > r->delay_ns_max)
				r->delay_ns_max = delay;
		}
		(void)r->cb(r->cb_arg, &pkt, now);
	}
	return packets;
}

void vigil_nflog_read(struct vigil_nflog *r)
{
	uint64_t packets = 0;
	uint32_t i;

	/* At most batch datagrams per wakeup, so that the loop's other
	 * handles get their turn under a flood. */
	for (i = 0; i < r->batch; i++) {
		ssize_t n = mnl_socket_recvfrom(r->nl, r->buf, r->slot);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* Counted by the sequence gap. */
				r->enobufs++;
				continue;
			}
			break; /* EAGAIN: drained */
		}
		r->datagrams++;
		r->now_ns = vigil_monotonic_ns();
		packets += read_datagram(r, r->buf, (size_t)n, r->now_ns,
					 vigil_now_ns());
	}
	follow_rate(r, packets);
}

int vigil_nflog_start(struct vigil_nflog *r)
{
	int rc;

	/* The biggest datagram the kernel builds: its buffer ceiling, or
	 * one packet of copy_range when that is bigger. */
	r->slot = VIGIL_NFLOG_NLBUFSIZ_MAX + r->copy_range +
		  VIGIL_DNS_CAPTURE_MSG_OVERHEAD;
	r->buf = malloc(r->slot);
	if (!r->buf) {
		snprintf(r->src->reason, sizeof(r->src->reason), "%s",
			 strerror(ENOMEM));
		return -ENOMEM;
	}
	r->lo_ifindex = if_nametoindex("lo");
	r->window_start_ns = vigil_monotonic_ns();
	rc = vigil_nflog_open(r->group, r->copy_range, &r->nl);
	if (rc)
		vigil__dns_capture_bind_error(r->src->reason,
					      sizeof(r->src->reason),
					      "NFLOG group", "group", r->group,
					      rc);
	return rc;
}

void vigil_nflog_close(struct vigil_nflog *r)
{
	vigil__dns_capture_close(&r->nl);
	VIGIL_FREE_NULL(r->buf);
}
