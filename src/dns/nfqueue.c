/*
 * nfqueue.c - the DNS source's NFQUEUE capture (nfqueue.h): binds the
 * queue, reads packets in rounds and sends the verdicts.
 *
 * Per read round: up to `batch` packets are received into one buffer with
 * one recvmmsg, their attributes read once into a packet array, one
 * NFQNL_MSG_VERDICT_BATCH accepts all of them, and only then are they
 * handed to the source (parsed).
 *
 * In block mode the queries of the round are held (UDP queries, TCP
 * segments with data for port 53): the packets before the first held one
 * are accepted by one batch verdict, the later ones that are not held by
 * a verdict each, all in one datagram; then every packet is handed to the
 * source and each held one gets its own verdict (NF_DROP when a rule
 * denied it) once the engines ran, sent together at the end of the
 * round.  A batch verdict covers every queued id up to its
 * own, so it must never reach a held packet.
 */
#include "config.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <vigil/plugin.h>

#include "source.h"
#include "dns/dns_packet.h"
#include "dns/nfqueue.h"

#define NFQ_PROC_QUEUES "/proc/net/netfilter/nfnetlink_queue"
#define NFQ_PROC_LINE 128
/* One NFQNL_MSG_VERDICT(_BATCH) message: header, nfgenmsg, verdict. */
#define NFQ_VERDICT_MSG_LEN                                                    \
	(MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)) +              \
	 MNL_ATTR_HDRLEN + MNL_ALIGN(sizeof(struct nfqnl_msg_verdict_hdr)))
/* DNS header: id, then the flags whose top bit is QR (set: response). */
#define NFQ_DNS_FLAGS_OFF 2
#define NFQ_DNS_QR 0x80

/* ---- netlink ---- */

/* Opens the queue socket, binds the queue and configures it fail-open,
 * with uid/gid, GSO, the copy range and the queue length. */
static int queue_open(struct vigil_nfq *q)
{
	/* zeroed: attribute padding goes to the kernel as it is */
	char buf[VIGIL_NFQ_CTL_BUF] = { 0 };
	uint32_t flags = NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_UID_GID |
			 NFQA_CFG_F_GSO;
	struct nlmsghdr *nlh;
	int rc;

	rc = vigil__dns_capture_open(&q->nl);
	if (rc)
		return rc;
	q->portid = mnl_socket_get_portid(q->nl);

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->queue);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	rc = vigil__dns_capture_request(q->nl, nlh);
	if (rc)
		goto out_close;
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->queue);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, (int)q->copy_range);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, q->maxlen);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(flags));
	rc = vigil__dns_capture_request(q->nl, nlh);
	if (!rc)
		rc = vigil__dns_capture_nonblock(q->nl);
	if (rc)
		goto out_close;
	return 0;

out_close:
	vigil__dns_capture_close(&q->nl);
	return rc;
}

/* Sends the gathered verdict messages in one datagram. */
static void verdicts_flush(struct vigil_nfq *q)
{
	size_t n = q->out.len / NFQ_VERDICT_MSG_LEN;

	if (!q->out.len)
		return;
	if (mnl_socket_sendto(q->nl, q->out.buf, q->out.len) < 0)
		q->verdict_errors += n;
	else
		q->verdicts += n;
	q->out.len = 0;
}

/*
 * Adds a verdict message: type NFQNL_MSG_VERDICT for packet id alone, or
 * NFQNL_MSG_VERDICT_BATCH for every queued packet with an id up to id.
 * Sends what was gathered first when the buffer is full.
 */
static void verdict_add(struct vigil_nfq *q, int type, uint32_t id,
			int verdict)
{
	struct nlmsghdr *nlh;

	if (q->out.len + NFQ_VERDICT_MSG_LEN > sizeof(q->out.buf))
		verdicts_flush(q);
	memset(q->out.buf + q->out.len, 0, NFQ_VERDICT_MSG_LEN);
	nlh = nfq_nlmsg_put(q->out.buf + q->out.len, type, q->queue);
	nfq_nlmsg_verdict_put(nlh, (int)id, verdict);
	q->out.len += nlh->nlmsg_len;
}

/* ---- reading ---- */

/*
 * Whether a queued packet waits for the rules: in block mode, a UDP DNS
 * message whose header says query, or a TCP segment with data for port
 * 53.  Everything else (answers, TCP control segments, packets that are
 * not DNS or do not parse) is accepted at once: fail-open.
 */
static bool is_held(const struct vigil_nfq *q,
		    const struct vigil_dns_capture_pkt *pkt)
{
	struct vigil_dns_l4 l4;

	if (!q->block || !pkt->data ||
	    vigil_dns_packet_parse(pkt->data, pkt->len, &l4))
		return false;
	/* A TCP segment is held when it carries bytes to the server: the
	 * query may be cut across segments, so whichever completes it
	 * must wait (dns_source.c decides). */
	if (l4.proto == IPPROTO_TCP)
		return l4.payload_len > 0 && l4.dst_port == NS_DEFAULTPORT;
	return l4.proto == IPPROTO_UDP && l4.payload_len >= NS_HFIXEDSZ &&
	       !(l4.payload[NFQ_DNS_FLAGS_OFF] & NFQ_DNS_QR);
}

/*
 * Reads the attributes of one queued packet into pkt.  Returns 0, or
 * -EBADMSG when the message does not parse or has no packet header.
 */
static int nfq_msg_read(struct nlmsghdr *nlh,
			struct vigil_dns_capture_pkt *pkt)
{
	struct nlattr *attr[NFQA_MAX + 1] = { NULL };
	const struct nfqnl_msg_packet_hdr *ph;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR] ||
	    mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < sizeof(*ph))
		return -EBADMSG;
	memset(pkt, 0, sizeof(*pkt));
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	pkt->id = ntohl(ph->packet_id);
	pkt->hook = ph->hook;
	pkt->uid = pkt->gid = VIGIL_ID_UNSET;
	if (attr[NFQA_PAYLOAD]) {
		pkt->data = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
		pkt->len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	}
	if (attr[NFQA_CAP_LEN])
		pkt->cap_len = ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN]));
	if (attr[NFQA_SKB_INFO] &&
	    ntohl(mnl_attr_get_u32(attr[NFQA_SKB_INFO])) & NFQA_SKB_GSO)
		pkt->gso = true;
	if (attr[NFQA_UID])
		pkt->uid = ntohl(mnl_attr_get_u32(attr[NFQA_UID]));
	if (attr[NFQA_GID])
		pkt->gid = ntohl(mnl_attr_get_u32(attr[NFQA_GID]));
	return 0;
}

/* What the first pass over a round found. */
struct nfq_round {
	uint32_t prefix_max; /* highest id before the first held packet */
	bool any_prefix;
	bool any_held;
};

/*
 * First pass over one received datagram: reads each packet's attributes
 * once into q->pkts and gathers the verdicts that need no parsing.
 * Packets before the first held one are left to one batch verdict (up to
 * r->prefix_max); after it, each packet that is not held gets its own.
 */
static void walk_verdict(struct vigil_nfq *q, char *buf, size_t len,
			 struct nfq_round *r)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	int n = (int)len;

	for (; vigil_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
		struct vigil_dns_capture_pkt tmp, *pkt;

		if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFQNL_MSG_PACKET)
			continue;
		/* The kernel sends one packet per datagram and a round
		 * reads at most batch datagrams; should that change, the
		 * packets beyond the array are accepted unparsed. */
		pkt = q->npkts < q->batch ? &q->pkts[q->npkts] : &tmp;
		if (nfq_msg_read(nlh, pkt)) {
			q->bad_msg++;
			continue;
		}
		q->packets++;
		q->src->events_in++;
		if (pkt != &tmp)
			q->npkts++;
		else
			q->bad_msg++;
		pkt->held = pkt != &tmp && is_held(q, pkt);
		if (pkt->held) {
			r->any_held = true;
			q->held++;
		} else if (!r->any_held) {
			if (!r->any_prefix || pkt->id > r->prefix_max)
				r->prefix_max = pkt->id;
			r->any_prefix = true;
		} else {
			verdict_add(q, NFQNL_MSG_VERDICT, pkt->id, NF_ACCEPT);
		}
	}
}

/*
 * Second pass over the round: hands each packet to the source; a held
 * one gets its verdict from the actions the rules returned.
 */
static void handle_round(struct vigil_nfq *q, int64_t now_ns)
{
	size_t i;

	for (i = 0; i < q->npkts; i++) {
		const struct vigil_dns_capture_pkt *pkt = &q->pkts[i];
		uint32_t actions;

		if (!pkt->data) {
			q->no_payload++;
			continue;
		}
		actions = q->cb(q->cb_arg, pkt, now_ns);
		if (!pkt->held)
			continue;
		if (actions & VIGIL_ACTION_DENY)
			q->denied++;
		verdict_add(q, NFQNL_MSG_VERDICT, pkt->id,
			    actions & VIGIL_ACTION_DENY ? NF_DROP : NF_ACCEPT);
	}
	q->npkts = 0;
}

/*
 * Receives up to batch datagrams into the round's slots with one
 * recvmmsg.  Returns how many (0 when the socket is drained).
 */
static size_t recv_round(struct vigil_nfq *q)
{
	int fd = mnl_socket_get_fd(q->nl), n;
	size_t i;

	for (i = 0; i < q->batch; i++) {
		q->mmsg[i].msg_hdr.msg_namelen = sizeof(q->senders[i]);
		q->mmsg[i].msg_hdr.msg_flags = 0;
	}
	for (;;) {
		n = recvmmsg(fd, q->mmsg, q->batch, MSG_DONTWAIT, NULL);
		if (n >= 0)
			return (size_t)n;
		if (errno == EINTR)
			continue;
		if (errno != ENOBUFS)
			return 0; /* EAGAIN: drained */
		/* The socket overflowed: packets were lost to us (the
		 * kernel accepted them). */
		q->enobufs++;
		q->src->lost++;
	}
}

void vigil_nfq_read(struct vigil_nfq *q)
{
	struct nfq_round r = { 0, false, false };
	size_t got, i;
	int64_t t0;

	/* Receive a batch, accept what need not wait in one datagram of
	 * verdicts, then parse it and send the held packets' verdicts. */
	q->npkts = 0;
	got = recv_round(q);
	for (i = 0; i < got; i++) {
		const struct msghdr *m = &q->mmsg[i].msg_hdr;

		/* Only the kernel (port 0) speaks for the queue; a datagram
		 * cut to the slot cannot be walked. */
		if (q->senders[i].nl_pid != 0 || m->msg_flags & MSG_TRUNC) {
			q->bad_msg++;
			continue;
		}
		walk_verdict(q, q->buf + i * q->slot, q->mmsg[i].msg_len, &r);
	}
	/* The batch verdict stops below the first held id.  Lost packets
	 * (ENOBUFS) are not in the queue: with fail-open the kernel
	 * accepted each when it could not hand it to us. */
	if (r.any_prefix)
		verdict_add(q, NFQNL_MSG_VERDICT_BATCH, r.prefix_max,
			    NF_ACCEPT);
	verdicts_flush(q);
	t0 = vigil_monotonic_ns();
	handle_round(q, t0);
	verdicts_flush(q);
	if (r.any_held) {
		uint64_t held_ns = (uint64_t)(vigil_monotonic_ns() - t0);

		q->hold_rounds++;
		q->hold_ns_total += held_ns;
		if (held_ns > q->hold_ns_max)
			q->hold_ns_max = held_ns;
	}
}

/* ---- start, stop, status ---- */

int vigil_nfq_start(struct vigil_nfq *q)
{
	size_t i;
	int rc;

	q->slot = q->copy_range + VIGIL_DNS_CAPTURE_MSG_OVERHEAD;
	q->buf = malloc(q->slot * q->batch);
	q->pkts = calloc(q->batch, sizeof(*q->pkts));
	q->mmsg = calloc(q->batch, sizeof(*q->mmsg));
	q->iov = calloc(q->batch, sizeof(*q->iov));
	q->senders = calloc(q->batch, sizeof(*q->senders));
	if (!q->buf || !q->pkts || !q->mmsg || !q->iov || !q->senders) {
		snprintf(q->src->reason, sizeof(q->src->reason), "%s",
			 strerror(ENOMEM));
		return -ENOMEM;
	}
	for (i = 0; i < q->batch; i++) {
		q->iov[i].iov_base = q->buf + i * q->slot;
		q->iov[i].iov_len = q->slot;
		q->mmsg[i].msg_hdr.msg_name = &q->senders[i];
		q->mmsg[i].msg_hdr.msg_iov = &q->iov[i];
		q->mmsg[i].msg_hdr.msg_iovlen = 1;
	}
	rc = queue_open(q);
	if (rc)
		vigil__dns_capture_bind_error(q->src->reason,
					      sizeof(q->src->reason), "NFQUEUE",
					      "queue", q->queue, rc);
	return rc;
}

void vigil_nfq_close(struct vigil_nfq *q)
{
	vigil__dns_capture_close(&q->nl);
	VIGIL_FREE_NULL(q->buf);
	VIGIL_FREE_NULL(q->pkts);
	VIGIL_FREE_NULL(q->mmsg);
	VIGIL_FREE_NULL(q->iov);
	VIGIL_FREE_NULL(q->senders);
}

/*
 * The kernel's line for a queue in /proc/net/netfilter/nfnetlink_queue is
 * "queue portid total copy_mode copy_range queue_dropped user_dropped
 * id_sequence 1": packets waiting, dropped for a full queue, and dropped
 * because our socket was full.  Packets the kernel passed by fail-open
 * are not counted anywhere.
 */
void vigil_nfq_status_json(const struct vigil_nfq *q, struct vigil_buf *out)
{
	FILE *fp = fopen(NFQ_PROC_QUEUES, "re");
	unsigned int num, portid, total, mode, range, dropped, user_dropped;
	char line[NFQ_PROC_LINE];

	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp)) {
		if (sscanf(line, "%u %u %u %u %u %u %u", &num, &portid, &total,
			   &mode, &range, &dropped, &user_dropped) != 7 ||
		    num != q->queue || portid != q->portid)
			continue;
		vigil_buf_printf(out,
				 ",\"kernel_queue_total\":%u"
				 ",\"kernel_queue_dropped\":%u"
				 ",\"kernel_user_dropped\":%u",
				 total, dropped, user_dropped);
		break;
	}
	fclose(fp);
}
