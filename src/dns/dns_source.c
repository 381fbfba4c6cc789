/*
 * dns_source.c - the DNS monitor's source: reads DNS packets from an NFLOG
 * group (monitor mode, nflog.h) or an NFQUEUE (block mode, or when asked),
 * then parses, attributes and submits `dns` events.  See dns_source.h for the
 * configuration, the capture choice and the verdict policy.
 *
 * NFLOG: each datagram (one packet, or up to `batch` under load) is
 * parsed as it is received; nothing is sent back.
 *
 * NFQUEUE, per read round: up to `batch` packets are received into one
 * buffer with one recvmmsg, their attributes read once into a packet
 * array, one
 * NFQNL_MSG_VERDICT_BATCH accepts all of them, and only then are they
 * parsed.  One struct vigil_event and its arena are reused for every
 * event, so the steady state allocates nothing.
 *
 * In block mode the UDP queries of the round are held: the packets before
 * the first held one are accepted by one batch verdict, the later ones
 * that are not held by a verdict each, all in one datagram; then every
 * packet is parsed and each held query gets its own verdict (NF_DROP when
 * a rule denied it) once the engines ran, sent together at the end of the
 * round.  A batch verdict covers every queued id up to its own, so it
 * must never reach a held packet.
 */
#include "config.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "codec.h"
#include "node.h"
#include "pipeline.h"
#include "dns/dns_attr.h"
#include "dns/dns_match.h"
#include "dns/dns_packet.h"
#include "dns/dns_parse.h"
#include "dns/dns_tcp.h"
#include "dns/firewall.h"
#include "dns/nflog.h"
#include "dns/dns_source.h"

/* Defaults of the "dns:" section. */
#define NFQ_DEFAULT_QUEUE 53
#define NFQ_DEFAULT_COPY_RANGE 4096
#define NFQ_DEFAULT_MAXLEN 4096
#define NFQ_DEFAULT_BATCH 64
/* NFLOG: packets per datagram under load.  Gathering more costs nothing
 * but delay (256 packets take about 1 ms at 200 000 packets/s) and saves
 * wakeups: 256 halved the reader's CPU against 64 on the bench VM. */
#define NFLOG_DEFAULT_BATCH 256
#define NFQ_DEFAULT_PENDING 4096
#define NFQ_DEFAULT_EXPIRY_NS (5 * INT64_C(1000000000))
/* TCP connections with a DNS message in progress. */
#define NFQ_TCP_STREAMS 64
#define NFQ_MAX_COPY_RANGE 65535
#define NFQ_MAX_BATCH 1024
/* Room for the netlink and nfqueue attributes around a copied packet. */
#define NFQ_MSG_OVERHEAD 512
/* Socket receive buffer: enough for a full queue of small packets. */
#define NFQ_RCVBUF (8 * 1024 * 1024)
#define NFQ_ARENA_CHUNK 8192
#define NFQ_PROC_QUEUES "/proc/net/netfilter/nfnetlink_queue"
#define NFQ_PROC_LINE 128
/* Config and verdict messages, and their ACKs. */
#define NFQ_CTL_BUF 8192
/* One NFQNL_MSG_VERDICT(_BATCH) message: header, nfgenmsg, verdict. */
#define NFQ_VERDICT_MSG_LEN                                                    \
	(MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)) +              \
	 MNL_ATTR_HDRLEN + MNL_ALIGN(sizeof(struct nfqnl_msg_verdict_hdr)))
/* DNS header: id, then the flags whose top bit is QR (set: response). */
#define NFQ_DNS_FLAGS_OFF 2
#define NFQ_DNS_QR 0x80
/* NFLOG batching (nflog.h): the packet rate is measured over windows of
 * at least this long; batching starts above the first rate and stops
 * below the second (hysteresis, so a rate near one does not flap). */
#define NFLOG_RATE_WINDOW_NS (100 * INT64_C(1000000))
#define NFLOG_BATCH_ON_PPS 2000
#define NFLOG_BATCH_OFF_PPS 500
#define NS_PER_SEC INT64_C(1000000000)

enum nfq_mode {
	NFQ_MODE_MONITOR, /* accept at once, parse after */
	NFQ_MODE_BLOCK,   /* UDP queries wait for the rules */
};

enum nfq_capture {
	NFQ_CAPTURE_AUTO = 0, /* nflog in monitor mode, nfqueue in block */
	NFQ_CAPTURE_NFQUEUE,
	NFQ_CAPTURE_NFLOG,
};

static const char *const capture_names[] = {
	[NFQ_CAPTURE_AUTO] = "auto",
	[NFQ_CAPTURE_NFQUEUE] = "nfqueue",
	[NFQ_CAPTURE_NFLOG] = "nflog",
};

/* Verdict messages gathered to go out in one datagram. */
struct nfq_verdicts {
	char buf[NFQ_CTL_BUF];
	size_t len;
};

enum nfq_skip {
	NFQ_SKIP_SHORT,
	NFQ_SKIP_FRAGMENT,
	NFQ_SKIP_NOT_L4,
	NFQ_SKIP_BAD_VERSION,
	NFQ_SKIP_NO_PAYLOAD, /* queued packet without NFQA_PAYLOAD */
	NFQ_SKIP_BAD_MSG,    /* a netlink message that does not parse */
	NFQ_SKIP__COUNT
};

static const char *const skip_names[NFQ_SKIP__COUNT] = {
	"short", "fragment", "not_udp_tcp", "bad_ip_version", "no_payload",
	"bad_netlink_message",
};

struct nfq_source {
	struct vigil_source *src;
	struct mnl_socket *nl; /* owned */
	uint32_t portid;
	uv_poll_t poll;
	bool poll_init;
	struct vigil_firewall fw;
	bool fw_installed;
	struct vigil_dns_match match;
	struct vigil_dns_tcp tcp;
	struct vigil_dns_attr attr;
	struct vigil_arena arena;
	struct vigil_event ev;
	char *buf; /* owned; NFQUEUE: batch * slot bytes; NFLOG: slot */
	size_t slot;
	/* NFQUEUE: the packets of the current round, read once */
	struct vigil_dns_capture_pkt *pkts; /* owned; batch entries */
	size_t npkts;
	/* NFQUEUE: one recvmmsg per round fills the slots of buf */
	struct mmsghdr *mmsg;       /* owned; batch entries */
	struct iovec *iov;          /* owned; batch entries */
	struct sockaddr_nl *senders; /* owned; batch entries */

	/* Configuration. */
	uint16_t queue; /* NFQUEUE number or NFLOG group */
	uint32_t copy_range, maxlen, batch, pending;
	bool batch_set; /* batch given in the config */
	int64_t expiry_ns;
	enum nfq_mode mode;
	enum nfq_capture capture_req, capture;
	/* why this capture, for status: "auto: " and a source reason */
	char capture_why[sizeof(((struct vigil_source *)0)->reason) + 8];
	struct nfq_verdicts out; /* verdicts of the current round */

	/* NFLOG state. */
	unsigned int lo_ifindex; /* loopback: its packets are seen at INPUT */
	bool batching;           /* the kernel gathers up to batch packets */
	int64_t window_start_ns; /* rate window (monotonic) */
	uint64_t window_packets;
	uint32_t next_seq;       /* the group's next sequence number */
	bool seq_known;
	/* Monotonic time of the current read (one clock read per datagram,
	 * not per packet). */
	int64_t now_ns;

	/* Counters. */
	uint64_t packets, messages, parsed, tcp_control, capped, gso;
	uint64_t malformed[VIGIL_DNS_R__COUNT];
	uint64_t skipped[NFQ_SKIP__COUNT];
	uint64_t attributed, attributed_exited, unattributed, remote_client;
	uint64_t matched;
	uint64_t verdicts, verdict_errors, enobufs;
	/* NFLOG: datagrams read, packets the kernel could not hand us (gaps
	 * in the group's sequence numbers), batching switches, config
	 * errors the kernel sent back */
	uint64_t datagrams, seq_lost, batching_switches, config_errors;
	/* NFLOG: from the kernel's time on a packet to vigil reading it */
	uint64_t delay_samples, delay_ns_total, delay_ns_max;
	uint64_t held, denied; /* block mode: queries held, dropped */
	/* block mode: what holding costs, per round with held queries:
	 * from the first verdicts to the held ones' (parse + engines) */
	uint64_t hold_rounds, hold_ns_total, hold_ns_max;
};

/* ---- configuration ---- */

/* Reads an optional integer key into *out within [min, max]. */
static int cfg_u32(struct nfq_source *q, const char *key, uint32_t *out,
		   uint32_t min, uint32_t max)
{
	const struct vigil_node *n = q->src->config ?
		vigil_node_get(q->src->config, key) : NULL;
	int64_t v;

	if (!n)
		return 0;
	if (vigil_node_size(n, &v) || v < min || v > max) {
		snprintf(q->src->reason, sizeof(q->src->reason),
			 "%s:%u:%u: dns.%s must be a number from %u to %u",
			 n->file ? n->file : "config", n->line, n->col, key,
			 min, max);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static int load_config(struct nfq_source *q)
{
	const struct vigil_node *cfg = q->src->config, *n;
	uint32_t queue = NFQ_DEFAULT_QUEUE;
	int rc;

	q->copy_range = NFQ_DEFAULT_COPY_RANGE;
	q->maxlen = NFQ_DEFAULT_MAXLEN;
	q->batch = NFQ_DEFAULT_BATCH;
	q->pending = NFQ_DEFAULT_PENDING;
	q->expiry_ns = NFQ_DEFAULT_EXPIRY_NS;
	q->fw.requested = VIGIL_FW_AUTO;

	rc = cfg_u32(q, "queue", &queue, 0, UINT16_MAX);
	if (!rc)
		rc = cfg_u32(q, "copy_range", &q->copy_range, NS_PACKETSZ,
			     NFQ_MAX_COPY_RANGE);
	if (!rc)
		rc = cfg_u32(q, "queue_maxlen", &q->maxlen, 1, UINT32_MAX);
	if (!rc)
		rc = cfg_u32(q, "batch", &q->batch, 1, NFQ_MAX_BATCH);
	q->batch_set = cfg && vigil_node_get(cfg, "batch");
	if (!rc)
		rc = cfg_u32(q, "pending", &q->pending, 1, 1u << 20);
	if (rc)
		return rc;
	q->queue = (uint16_t)queue;

	n = cfg ? vigil_node_get(cfg, "pending_expiry") : NULL;
	if (n && (vigil_node_duration(n, &q->expiry_ns) || q->expiry_ns <= 0)) {
		snprintf(q->src->reason, sizeof(q->src->reason),
			 "%s:%u:%u: dns.pending_expiry must be a duration "
			 "such as 5s", n->file ? n->file : "config", n->line,
			 n->col);
		return -EINVAL;
	}
	n = cfg ? vigil_node_get(cfg, "firewall") : NULL;
	if (n && vigil_node_is_scalar(n)) {
		if (!strcmp(n->str, "none"))
			q->fw.requested = VIGIL_FW_NONE;
		else
			q->fw.requested =
				vigil_firewall_backend_from_name(n->str);
		if (q->fw.requested < 0) {
			snprintf(q->src->reason, sizeof(q->src->reason),
				 "%s:%u:%u: dns.firewall must be auto, "
				 "nftables, iptables or none",
				 n->file ? n->file : "config", n->line, n->col);
			return -EINVAL;
		}
	}
	q->capture_req = NFQ_CAPTURE_AUTO;
	n = cfg ? vigil_node_get(cfg, "capture") : NULL;
	if (n) {
		size_t i;

		q->capture_req = (enum nfq_capture)-1;
		for (i = 0; vigil_node_is_scalar(n) &&
			    i < VIGIL_ARRAY_SIZE(capture_names); i++)
			if (!strcmp(n->str, capture_names[i]))
				q->capture_req = (enum nfq_capture)i;
		if (q->capture_req == (enum nfq_capture)-1) {
			snprintf(q->src->reason, sizeof(q->src->reason),
				 "%s:%u:%u: dns.capture must be auto, nflog or "
				 "nfqueue", n->file ? n->file : "config",
				 n->line, n->col);
			return -EINVAL;
		}
	}
	q->mode = NFQ_MODE_MONITOR;
	n = cfg ? vigil_node_get(cfg, "mode") : NULL;
	if (n && vigil_node_is_scalar(n) && !strcmp(n->str, "block")) {
		q->mode = NFQ_MODE_BLOCK;
	} else if (n && (!vigil_node_is_scalar(n) ||
			 strcmp(n->str, "monitor"))) {
		snprintf(q->src->reason, sizeof(q->src->reason),
			 "%s:%u:%u: dns.mode must be monitor or block",
			 n->file ? n->file : "config", n->line, n->col);
		return -EINVAL;
	}
	if (q->mode == NFQ_MODE_BLOCK && q->capture_req == NFQ_CAPTURE_NFLOG) {
		n = vigil_node_get(cfg, "capture");
		snprintf(q->src->reason, sizeof(q->src->reason),
			 "%s:%u:%u: dns.capture nflog cannot hold queries; "
			 "block mode needs nfqueue (or auto)",
			 n->file ? n->file : "config", n->line, n->col);
		return -EINVAL;
	}
	return 0;
}

/* ---- netlink ---- */

/* Sends a config message and waits for its ACK.  Returns 0 or -errno. */
static int queue_request(struct nfq_source *q, struct nlmsghdr *nlh)
{
	char buf[NFQ_CTL_BUF];
	ssize_t n;
	int rc;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = (uint32_t)vigil_monotonic_ns();
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(q->nl, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	rc = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, q->portid, NULL, NULL);
	return rc < 0 ? -errno : 0;
}

/* Opens the queue socket, binds the queue and configures it fail-open,
 * with uid/gid, GSO, the copy range and the queue length. */
static int queue_open(struct nfq_source *q)
{
	/* zeroed: attribute padding goes to the kernel as it is */
	char buf[NFQ_CTL_BUF] = { 0 };
	uint32_t flags = NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_UID_GID |
			 NFQA_CFG_F_GSO;
	struct nlmsghdr *nlh;
	int rcvbuf = NFQ_RCVBUF, fd, rc;

	q->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!q->nl)
		return -errno;
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out_close;
	}
	q->portid = mnl_socket_get_portid(q->nl);
	fd = mnl_socket_get_fd(q->nl);
	/* Best effort: a bigger buffer absorbs bursts; without
	 * CAP_NET_ADMIN the default stays and overruns are counted. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
			 sizeof(rcvbuf));

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->queue);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	rc = queue_request(q, nlh);
	if (rc)
		goto out_close;
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->queue);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, (int)q->copy_range);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, q->maxlen);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(flags));
	rc = queue_request(q, nlh);
	if (rc)
		goto out_close;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		rc = -errno;
		goto out_close;
	}
	return 0;

out_close:
	mnl_socket_close(q->nl);
	q->nl = NULL;
	return rc;
}

/* Sends the gathered verdict messages in one datagram. */
static void verdicts_flush(struct nfq_source *q)
{
	struct nfq_verdicts *v = &q->out;
	size_t n = v->len / NFQ_VERDICT_MSG_LEN;

	if (!v->len)
		return;
	if (mnl_socket_sendto(q->nl, v->buf, v->len) < 0)
		q->verdict_errors += n;
	else
		q->verdicts += n;
	v->len = 0;
}

/*
 * Adds a verdict message: type NFQNL_MSG_VERDICT for packet id alone, or
 * NFQNL_MSG_VERDICT_BATCH for every queued packet with an id up to id.
 * Sends what was gathered first when the buffer is full.
 */
static void verdict_add(struct nfq_source *q, int type, uint32_t id,
			int verdict)
{
	struct nfq_verdicts *v = &q->out;
	struct nlmsghdr *nlh;

	if (v->len + NFQ_VERDICT_MSG_LEN > sizeof(v->buf))
		verdicts_flush(q);
	memset(v->buf + v->len, 0, NFQ_VERDICT_MSG_LEN);
	nlh = nfq_nlmsg_put(v->buf + v->len, type, q->queue);
	nfq_nlmsg_verdict_put(nlh, (int)id, verdict);
	v->len += nlh->nlmsg_len;
}

/* ---- events ---- */

static bool is_query_hook_local(uint8_t hook, uint8_t direction)
{
	/* The client end is on this host when a query leaves it or an
	 * answer arrives at it. */
	return (direction == VIGIL_DNS_QUERY && hook == NF_INET_LOCAL_OUT) ||
	       (direction == VIGIL_DNS_RESPONSE && hook == NF_INET_LOCAL_IN);
}

/*
 * Finds who sent the query this message belongs to.  owner comes in with
 * the uid/gid the capture reported (valid only when the client end is
 * local) and leaves with the pid when found.  seen_ns is when the packet
 * was seen, on the match table's clock; now is monotonic.
 */
static void attribute(struct nfq_source *q, const struct vigil_dns_l4 *l4,
		      const struct vigil_dns_flow *flow, bool client_local,
		      struct vigil_dns_owner *owner, int64_t seen_ns,
		      int64_t now)
{
	const struct vigil_dns_part *d = &q->ev.u.dns;
	uint64_t inode;
	uint32_t diag_uid;
	int pid;

	if (d->direction == VIGIL_DNS_RESPONSE) {
		struct vigil_dns_owner asked;
		int64_t latency;

		if (vigil_dns_match_answer(&q->match, flow, seen_ns, &latency,
					   &asked)) {
			/* NFLOG: a query to another host is stamped when
			 * vigil reads it, its answer by the kernel; a
			 * batching delay can make that negative: unknown. */
			if (latency >= 0)
				q->ev.u.dns.latency_ns = latency;
			q->matched++;
			if (asked.pid > 0 || !client_local)
				*owner = asked;
		}
	}
	if (owner->pid > 0 || !client_local)
		return;
	owner->pid = vigil_dns_attr_flow_get(&q->attr, l4->proto, &flow->client,
					     flow->client_port, now);
	if (owner->pid > 0)
		return;
	if (vigil_dns_attr_socket(&q->attr, l4->proto, &flow->client,
				  flow->client_port, &flow->server,
				  flow->server_port, &inode, &diag_uid))
		return;
	if (owner->uid == VIGIL_ID_UNSET)
		owner->uid = diag_uid;
	pid = vigil_dns_attr_pid(&q->attr, inode, owner->uid, now);
	if (pid > 0) {
		owner->pid = pid;
		vigil_dns_attr_flow_put(&q->attr, l4->proto, &flow->client,
					flow->client_port, now, pid);
	}
}

/*
 * Parses one DNS message of packet pkt, builds the event and submits it.
 * Returns the actions the rules asked for a query in block mode
 * (VIGIL_ACTION_*), 0 otherwise and for a message that does not parse.
 */
static uint32_t emit(struct nfq_source *q, const struct vigil_dns_l4 *l4,
		     const uint8_t *msg, size_t len,
		     const struct vigil_dns_capture_pkt *pkt)
{
	uint32_t actions = 0;
	struct vigil_event *ev = &q->ev;
	struct vigil_dns_part *d = &ev->u.dns;
	struct vigil_dns_owner owner = { 0, VIGIL_ID_UNSET, VIGIL_ID_UNSET,
					 "" };
	struct vigil_dns_flow flow;
	int64_t now = q->now_ns;
	/* NFQUEUE packets wait for us: their time is now.  NFLOG ones are
	 * stamped when read or, better, by the kernel (realtime). */
	int64_t seen_ns = pkt->ts_ns ? pkt->ts_ns : now;
	bool client_local;
	int rc;

	q->messages++;
	vigil_arena_reset(&q->arena);
	vigil_event_init(ev, &q->arena); /* clears the process too */
	ev->type = VIGIL_EV_DNS;
	ev->source = q->capture == NFQ_CAPTURE_NFLOG ? VIGIL_SRC_NFLOG :
						       VIGIL_SRC_NFQUEUE;
	ev->seq = q->capture == NFQ_CAPTURE_NFLOG ? pkt->seq : pkt->id;
	rc = vigil_dns_parse(msg, len, &q->arena, d);
	if (rc) {
		q->malformed[vigil_dns_reason(rc)]++;
		q->src->drops++;
		return 0;
	}
	q->parsed++;
	d->transport = l4->proto;
	d->src_ip = l4->src;
	d->dst_ip = l4->dst;
	d->src_port = l4->src_port;
	d->dst_port = l4->dst_port;
	d->latency_ns = -1;

	memset(&flow, 0, sizeof(flow));
	flow.id = d->id;
	flow.proto = l4->proto;
	if (d->direction == VIGIL_DNS_QUERY) {
		flow.client = l4->src;
		flow.client_port = l4->src_port;
		flow.server = l4->dst;
		flow.server_port = l4->dst_port;
	} else {
		flow.client = l4->dst;
		flow.client_port = l4->dst_port;
		flow.server = l4->src;
		flow.server_port = l4->src_port;
	}
	/* The socket's uid and gid are the client's only in these hooks;
	 * a loopback packet (NFLOG sees it at INPUT) has both ends here. */
	client_local = is_query_hook_local(pkt->hook, d->direction);
	if (client_local) {
		owner.uid = pkt->uid;
		owner.gid = pkt->gid;
	}
	if (q->lo_ifindex && pkt->indev == q->lo_ifindex)
		client_local = true;
	attribute(q, l4, &flow, client_local, &owner, seen_ns, now);

	ev->process.uid = owner.uid;
	ev->process.gid = owner.gid;
	if (owner.pid > 0 &&
	    vigil_dns_attr_fill(&q->attr, &ev->process, owner.pid, now,
				&q->arena) == 0) {
		ev->process.flags |= VIGIL_PROC_FROM_PROCFS;
		if (ev->process.comm.ptr &&
		    ev->process.comm.len < sizeof(owner.comm))
			memcpy(owner.comm, ev->process.comm.ptr,
			       ev->process.comm.len + 1);
		q->attributed++;
	} else if (owner.pid > 0 && owner.comm[0]) {
		/* The sender exited before its answer was processed: what
		 * the query learnt is all there is. */
		ev->process.pid = owner.pid;
		if (vigil_arena_str(&q->arena, &ev->process.comm, owner.comm,
				    strlen(owner.comm)) == 0)
			ev->process.flags |= VIGIL_PROC_EXITED;
		q->attributed++;
		q->attributed_exited++;
	} else {
		ev->process.pid = 0;
		/* A remote client's query to a server on this host has no
		 * local sender to find. */
		if (client_local || owner.uid != VIGIL_ID_UNSET)
			q->unattributed++;
		else
			q->remote_client++;
	}
	if (d->direction == VIGIL_DNS_QUERY)
		vigil_dns_match_query(&q->match, &flow, seen_ns, &owner);
	q->src->events_out++;
	if (q->mode == NFQ_MODE_BLOCK && d->direction == VIGIL_DNS_QUERY)
		vigil_pipeline_submit_verdict(q->src->pipeline, ev, &actions);
	else
		vigil_pipeline_submit(q->src->pipeline, ev);
	return actions;
}

/* What emit() needs besides the message, for TCP's callback. */
struct tcp_ctx {
	struct nfq_source *q;
	const struct vigil_dns_l4 *l4;
	const struct vigil_dns_capture_pkt *pkt;
};

static void emit_tcp(void *arg, const uint8_t *msg, size_t len)
{
	struct tcp_ctx *c = arg;

	/* TCP segments are never held: see nfqueue.h */
	(void)emit(c->q, c->l4, msg, len, c->pkt);
}

/*
 * Whether a queued packet (headers parsed into l4) waits for the rules: in
 * block mode, a UDP DNS message whose header says query.  Everything else
 * (answers, TCP, packets that are not DNS or do not parse) is accepted at
 * once: fail-open.
 */
static bool is_held(const struct nfq_source *q, const struct vigil_dns_l4 *l4)
{
	return q->mode == NFQ_MODE_BLOCK && l4->proto == IPPROTO_UDP &&
	       l4->payload_len >= NS_HFIXEDSZ &&
	       !(l4->payload[NFQ_DNS_FLAGS_OFF] & NFQ_DNS_QR);
}

/*
 * Handles one captured packet (after its verdict, unless held), whose
 * headers parsed into l4 with result l4_rc.  Returns the actions the
 * rules asked for it (block mode), else 0.
 */
static uint32_t handle_packet(struct nfq_source *q,
			      const struct vigil_dns_capture_pkt *pkt,
			      const struct vigil_dns_l4 *l4, int l4_rc)
{
	uint32_t actions = 0;
	int rc;

	if (pkt->cap_len > pkt->len)
		q->capped++;
	if (pkt->gso)
		q->gso++;
	if (l4_rc) {
		q->skipped[-l4_rc - VIGIL_DNS_PKT_SHORT]++;
		return 0;
	}
	if (l4->proto == IPPROTO_UDP) {
		actions = emit(q, l4, l4->payload, l4->payload_len, pkt);
	} else if (l4->payload_len == 0) {
		q->tcp_control++; /* SYN, ACK, FIN: no DNS in it */
	} else {
		struct tcp_ctx ctx = { q, l4, pkt };

		rc = vigil_dns_tcp_feed(&q->tcp, l4, q->now_ns, emit_tcp, &ctx);
		if (rc < 0) {
			q->malformed[vigil_dns_reason(rc)]++;
			q->src->drops++;
		}
	}
	return actions;
}

/* ---- NFQUEUE ---- */

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
static void walk_verdict(struct nfq_source *q, char *buf, size_t len,
			 struct nfq_round *r)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	int n = (int)len;

	for (; vigil_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
		struct vigil_dns_capture_pkt tmp, *pkt;
		struct vigil_dns_l4 l4;

		if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFQNL_MSG_PACKET)
			continue;
		/* The kernel sends one packet per datagram and a round
		 * reads at most batch datagrams; should that change, the
		 * packets beyond the array are accepted unparsed. */
		pkt = q->npkts < q->batch ? &q->pkts[q->npkts] : &tmp;
		if (nfq_msg_read(nlh, pkt)) {
			q->skipped[NFQ_SKIP_BAD_MSG]++;
			continue;
		}
		q->packets++;
		q->src->events_in++;
		if (pkt != &tmp)
			q->npkts++;
		else
			q->skipped[NFQ_SKIP_BAD_MSG]++;
		pkt->held = false;
		if (q->mode == NFQ_MODE_BLOCK && pkt != &tmp && pkt->data &&
		    !vigil_dns_packet_parse(pkt->data, pkt->len, &l4))
			pkt->held = is_held(q, &l4);
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
 * Second pass over the round: parses and submits each packet; a held one
 * gets its verdict from the actions the rules returned.
 */
static void handle_round(struct nfq_source *q)
{
	size_t i;

	for (i = 0; i < q->npkts; i++) {
		const struct vigil_dns_capture_pkt *pkt = &q->pkts[i];
		struct vigil_dns_l4 l4;
		uint32_t actions;
		int rc;

		if (!pkt->data) {
			q->skipped[NFQ_SKIP_NO_PAYLOAD]++;
			continue;
		}
		rc = vigil_dns_packet_parse(pkt->data, pkt->len, &l4);
		actions = handle_packet(q, pkt, &l4, rc);
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
static size_t recv_round(struct nfq_source *q)
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

static void on_readable(uv_poll_t *h, int status, int events)
{
	struct nfq_source *q = h->data;
	struct nfq_round r = { 0, false, false };
	size_t got, i;
	int64_t t0;

	(void)events;
	if (status < 0)
		return;
	/* Receive a batch, accept what need not wait in one datagram of
	 * verdicts, then parse it and send the held packets' verdicts. */
	q->npkts = 0;
	got = recv_round(q);
	for (i = 0; i < got; i++) {
		const struct msghdr *m = &q->mmsg[i].msg_hdr;

		/* Only the kernel (port 0) speaks for the queue; a datagram
		 * cut to the slot cannot be walked. */
		if (q->senders[i].nl_pid != 0 || m->msg_flags & MSG_TRUNC) {
			q->skipped[NFQ_SKIP_BAD_MSG]++;
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
	q->now_ns = t0 = vigil_monotonic_ns();
	handle_round(q);
	verdicts_flush(q);
	if (r.any_held) {
		uint64_t held_ns = (uint64_t)(vigil_monotonic_ns() - t0);

		q->hold_rounds++;
		q->hold_ns_total += held_ns;
		if (held_ns > q->hold_ns_max)
			q->hold_ns_max = held_ns;
	}
}

/* ---- NFLOG ---- */

/*
 * Counts the packets the kernel could not hand over: the group numbers
 * its packets, so a gap is what was dropped (our socket was full, or the
 * kernel could not allocate).
 */
static void nflog_seq(struct nfq_source *q,
		      const struct vigil_dns_capture_pkt *pkt)
{
	if (!pkt->has_seq)
		return;
	if (q->seq_known && pkt->seq != q->next_seq) {
		uint32_t gap = pkt->seq - q->next_seq;

		/* Below half the sequence space it is a loss; above, an
		 * old datagram (cannot happen on one socket). */
		if (gap < UINT32_MAX / 2) {
			q->seq_lost += gap;
			q->src->lost += gap;
		}
	}
	q->next_seq = pkt->seq + 1;
	q->seq_known = true;
}

/* Turns kernel batching on under load and off when traffic is light
 * (nflog.h says why). */
static void nflog_rate(struct nfq_source *q, uint64_t packets)
{
	int64_t now = q->now_ns, elapsed;
	uint64_t pps;
	bool want;

	q->window_packets += packets;
	elapsed = now - q->window_start_ns;
	if (elapsed < NFLOG_RATE_WINDOW_NS)
		return;
	pps = q->window_packets * (uint64_t)NS_PER_SEC / (uint64_t)elapsed;
	want = q->batching ? pps > NFLOG_BATCH_OFF_PPS :
			     pps >= NFLOG_BATCH_ON_PPS;
	q->window_start_ns = now;
	q->window_packets = 0;
	if (want == q->batching || q->batch <= 1)
		return;
	if (vigil_nflog_set_batching(q->nl, q->queue, q->batch, q->copy_range,
				     want)) {
		q->config_errors++;
		return;
	}
	q->batching = want;
	q->batching_switches++;
}

/* Handles the packets of one NFLOG datagram, stamped recv_ns (realtime)
 * when the kernel gave no time.  Returns the packets in it. */
static uint64_t nflog_datagram(struct nfq_source *q, char *buf, size_t len,
			       int64_t recv_ns)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	int n = (int)len;
	uint64_t packets = 0;

	for (; vigil_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
		struct vigil_dns_capture_pkt pkt;
		struct vigil_dns_l4 l4;
		int rc;

		if (nlh->nlmsg_type == NLMSG_ERROR) {
			/* Only our unacknowledged batching requests can
			 * answer here, and only when they failed. */
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_len >= MNL_NLMSG_HDRLEN + sizeof(*e) &&
			    e->error)
				q->config_errors++;
			continue;
		}
		rc = vigil_nflog_parse(nlh, &pkt);
		if (rc == -ENOMSG)
			continue; /* NLMSG_DONE closes a batch */
		if (rc) {
			q->skipped[NFQ_SKIP_BAD_MSG]++;
			continue;
		}
		packets++;
		q->packets++;
		q->src->events_in++;
		nflog_seq(q, &pkt);
		if (!pkt.ts_ns) {
			pkt.ts_ns = recv_ns;
		} else if (recv_ns > pkt.ts_ns) {
			uint64_t delay = (uint64_t)(recv_ns - pkt.ts_ns);

			q->delay_samples++;
			q->delay_ns_total += delay;
			if (delay > q->delay_ns_max)
				q->delay_ns_max = delay;
		}
		rc = vigil_dns_packet_parse(pkt.data, pkt.len, &l4);
		handle_packet(q, &pkt, &l4, rc);
	}
	return packets;
}

static void on_readable_nflog(uv_poll_t *h, int status, int events)
{
	struct nfq_source *q = h->data;
	uint64_t packets = 0;
	uint32_t i;

	(void)events;
	if (status < 0)
		return;
	/* At most batch datagrams per wakeup, so that the loop's other
	 * handles get their turn under a flood. */
	for (i = 0; i < q->batch; i++) {
		ssize_t n = mnl_socket_recvfrom(q->nl, q->buf, q->slot);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* Counted by the sequence gap. */
				q->enobufs++;
				continue;
			}
			break; /* EAGAIN: drained */
		}
		q->datagrams++;
		q->now_ns = vigil_monotonic_ns();
		packets += nflog_datagram(q, q->buf, (size_t)n, vigil_now_ns());
	}
	nflog_rate(q, packets);
}

/* ---- source ops ---- */

static void free_source(struct nfq_source *q)
{
	vigil_dns_match_free(&q->match);
	vigil_dns_tcp_free(&q->tcp);
	vigil_dns_attr_free(&q->attr);
	vigil_arena_free(&q->arena);
	free(q->buf);
	free(q->pkts);
	free(q->mmsg);
	free(q->iov);
	free(q->senders);
	free(q);
}

static void on_poll_closed(uv_handle_t *h)
{
	free_source(h->data);
}

/* Binds the NFQUEUE and sizes the round's buffers.  Returns 0 or a
 * negative errno with src->reason set. */
static int start_nfqueue(struct nfq_source *q)
{
	size_t i;
	int rc;

	if (!q->batch_set)
		q->batch = NFQ_DEFAULT_BATCH;
	q->slot = q->copy_range + NFQ_MSG_OVERHEAD;
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
		snprintf(q->src->reason, sizeof(q->src->reason),
			 "cannot bind NFQUEUE %u: %s%s", q->queue,
			 strerror(-rc),
			 rc == -EBUSY ? " (another program uses that queue; "
					"set dns.queue)" : "");
	return rc;
}

/* Binds the NFLOG group and sizes the receive buffer.  Returns 0 or a
 * negative errno with src->reason set. */
static int start_nflog(struct nfq_source *q)
{
	int rc;

	if (!q->batch_set)
		q->batch = NFLOG_DEFAULT_BATCH;
	/* The biggest datagram the kernel builds: its buffer ceiling, or
	 * one packet of copy_range when that is bigger. */
	q->slot = VIGIL_NFLOG_NLBUFSIZ_MAX + q->copy_range + NFQ_MSG_OVERHEAD;
	q->buf = malloc(q->slot);
	if (!q->buf) {
		snprintf(q->src->reason, sizeof(q->src->reason), "%s",
			 strerror(ENOMEM));
		return -ENOMEM;
	}
	q->lo_ifindex = if_nametoindex("lo");
	q->window_start_ns = vigil_monotonic_ns();
	rc = vigil_nflog_open(q->queue, q->copy_range, &q->nl);
	if (rc) {
		snprintf(q->src->reason, sizeof(q->src->reason),
			 "cannot bind NFLOG group %u: %s%s", q->queue,
			 strerror(-rc),
			 rc == -EBUSY ? " (another program uses that group; "
					"set dns.queue)" : "");
		return rc;
	}
	q->portid = mnl_socket_get_portid(q->nl);
	return 0;
}

/* Closes what one capture attempt opened: socket and buffers.  The
 * firewall rules are removed by the caller. */
static void close_capture(struct nfq_source *q)
{
	if (q->nl)
		mnl_socket_close(q->nl);
	q->nl = NULL;
	free(q->buf);
	q->buf = NULL;
	free(q->pkts);
	q->pkts = NULL;
	free(q->mmsg);
	q->mmsg = NULL;
	free(q->iov);
	q->iov = NULL;
	free(q->senders);
	q->senders = NULL;
}

/*
 * Binds capture c and sends DNS to it with the firewall.  Returns 0, or a
 * negative errno with src->reason set and nothing left open or installed.
 */
static int try_capture(struct nfq_source *q, enum nfq_capture c)
{
	struct vigil_source *src = q->src;
	bool nflog = c == NFQ_CAPTURE_NFLOG;
	int rc;

	if (src->features_disabled &
	    (nflog ? VIGIL_FEAT_NFLOG : VIGIL_FEAT_NFQUEUE)) {
		snprintf(src->reason, sizeof(src->reason),
			 "%s disabled by agent.features.disable",
			 nflog ? "NFLOG" : "NFQUEUE");
		return -ENOTSUP;
	}
	/* Listen first, then route DNS to the capture: no packet waits for
	 * a reader that is not there yet (bypass would pass it anyway). */
	rc = nflog ? start_nflog(q) : start_nfqueue(q);
	if (rc)
		goto out_close;
	q->capture = c;
	if (q->fw.requested == VIGIL_FW_NONE)
		return 0;
	q->fw.queue_num = q->queue;
	q->fw.target = nflog ? VIGIL_FW_TARGET_NFLOG : VIGIL_FW_TARGET_NFQUEUE;
	q->fw.snaplen = q->copy_range;
	q->fw.threshold = q->batch;
	q->fw.features_disabled = src->features_disabled;
	rc = vigil_firewall_install(&q->fw);
	if (rc) {
		snprintf(src->reason, sizeof(src->reason), "%s", q->fw.reason);
		goto out_close;
	}
	q->fw_installed = true;
	return 0;

out_close:
	close_capture(q);
	return rc;
}

/*
 * Picks the capture (dns.capture, the mode and the feature mask), binds it
 * and installs its firewall rules.  auto is NFQUEUE: while vigil reads a
 * queued query its client waits for the answer, so even a program that
 * sends one query and exits (dig, curl, a stub resolver closing its
 * socket) is found in /proc; with NFLOG the client goes on and is often
 * gone first.  In monitor mode auto falls back to NFLOG when NFQUEUE is
 * disabled or cannot be used (a kernel whose nftables lacks the queue
 * expression and that has no iptables, a queue another program holds).
 * Returns 0 with q->capture and q->capture_why set, or a negative errno
 * with src->reason set.
 */
static int start_capture(struct nfq_source *q)
{
	struct vigil_source *src = q->src;
	char first[sizeof(src->reason)];
	int rc;

	switch (q->capture_req) {
	case NFQ_CAPTURE_NFQUEUE:
	case NFQ_CAPTURE_NFLOG:
		snprintf(q->capture_why, sizeof(q->capture_why),
			 "dns.capture: %s", capture_names[q->capture_req]);
		rc = try_capture(q, q->capture_req);
		break;
	default:
		rc = try_capture(q, NFQ_CAPTURE_NFQUEUE);
		if (!rc) {
			snprintf(q->capture_why, sizeof(q->capture_why), "%s",
				 q->mode == NFQ_MODE_BLOCK ?
					 "auto: block mode holds queries" :
					 "auto: clients wait while vigil "
					 "attributes their queries");
			break;
		}
		if (q->mode == NFQ_MODE_BLOCK) {
			size_t n = strlen(src->reason);

			if (rc == -ENOTSUP)
				snprintf(src->reason + n,
					 sizeof(src->reason) - n,
					 " (block mode needs it)");
			break;
		}
		snprintf(first, sizeof(first), "%s", src->reason);
		rc = try_capture(q, NFQ_CAPTURE_NFLOG);
		if (rc) {
			char second[sizeof(src->reason)];

			snprintf(second, sizeof(second), "%s", src->reason);
			snprintf(src->reason, sizeof(src->reason), "%.120s; %.120s",
				 first, second);
			break;
		}
		snprintf(q->capture_why, sizeof(q->capture_why),
			 "auto: %s", first);
		break;
	}
	return rc;
}

static int dns_start(struct vigil_source *src)
{
	struct nfq_source *q;
	bool nflog;
	int rc;

	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->src = src;
	src->priv = q;
	q->fw.backend = VIGIL_FW_NONE;
	vigil_arena_init(&q->arena, NFQ_ARENA_CHUNK);
	rc = vigil_dns_attr_init(&q->attr);
	if (rc)
		goto out_fail;
	rc = load_config(q);
	if (rc)
		goto out_fail_reason;
	rc = vigil_dns_match_init(&q->match, q->pending, q->expiry_ns);
	if (!rc)
		rc = vigil_dns_tcp_init(&q->tcp, NFQ_TCP_STREAMS, q->expiry_ns);
	if (rc)
		goto out_fail;
	rc = start_capture(q);
	if (rc)
		goto out_fail_reason;
	nflog = q->capture == NFQ_CAPTURE_NFLOG;
	rc = uv_poll_init(src->loop, &q->poll, mnl_socket_get_fd(q->nl));
	if (rc)
		goto out_fail;
	q->poll_init = true;
	q->poll.data = q;
	rc = uv_poll_start(&q->poll, UV_READABLE,
			   nflog ? on_readable_nflog : on_readable);
	if (rc)
		goto out_fail;
	vigil_source_set_state(
		src, VIGIL_SOURCE_RUNNING,
		vigil_firewall_backend_name(q->fw.backend),
		"%s mode, capture %s (%s) on %s %u, %s",
		q->mode == NFQ_MODE_BLOCK ? "block" : "monitor",
		capture_names[q->capture], q->capture_why,
		nflog ? "log group" : "queue", q->queue,
		q->fw_installed ? q->fw.reason : "firewall rules left to the "
						 "operator (dns.firewall: none)");
	return 0;

out_fail:
	snprintf(src->reason, sizeof(src->reason), "%s", strerror(-rc));
out_fail_reason: {
	char why[sizeof(src->reason)];

	/* set_state formats into src->reason: pass a copy. */
	snprintf(why, sizeof(why), "%s", src->reason);
	vigil_source_set_state(src, VIGIL_SOURCE_FAILED, "off", "%s", why);
	return rc;
}
}

static void dns_stop(struct vigil_source *src)
{
	struct nfq_source *q = src->priv;

	if (!q)
		return;
	src->priv = NULL;
	if (q->poll_init)
		uv_poll_stop(&q->poll);
	/* Rules first: with no reader left the bypass flag would pass DNS
	 * anyway, but vigil leaves nothing of its own behind. */
	if (q->fw_installed && vigil_firewall_remove(&q->fw))
		vigil_warn("dns: %s", q->fw.reason);
	if (q->nl)
		mnl_socket_close(q->nl);
	q->nl = NULL;
	vigil_source_set_state(src, VIGIL_SOURCE_STOPPED, "off", "stopped");
	/* The poll handle is freed by the loop after its close callback. */
	if (q->poll_init)
		uv_close((uv_handle_t *)&q->poll, on_poll_closed);
	else
		free_source(q);
}

/*
 * Appends the kernel's counters of our queue from
 * /proc/net/netfilter/nfnetlink_queue ("queue portid total copy_mode
 * copy_range queue_dropped user_dropped id_sequence 1"): packets waiting,
 * dropped for a full queue, and dropped because our socket was full.
 * Packets the kernel passed by fail-open are not counted anywhere.
 */
static void kernel_queue_json(struct nfq_source *q, struct vigil_buf *out)
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

static void json_counter(struct vigil_buf *out, const char *name, uint64_t v)
{
	vigil_buf_printf(out, ",\"%s\":%" PRIu64, name, v);
}

static int dns_status_json(struct vigil_source *src, struct vigil_buf *out)
{
	struct nfq_source *q = src->priv;
	size_t i;

	if (!q)
		return 0;
	vigil_buf_printf(out, "\"queue\":%u,\"firewall\":\"%s\",\"ipv6_rules\":%s",
			 q->queue, vigil_firewall_backend_name(q->fw.backend),
			 q->fw.backend == VIGIL_FW_NFTABLES || q->fw.ipv6 ?
				 "true" : "false");
	/* capture_why may quote a firewall tool's error: escaped. */
	vigil_buf_printf(out, ",\"capture\":\"%s\",\"capture_reason\":",
			 capture_names[q->capture]);
	if (vigil_json_str(out, q->capture_why, strlen(q->capture_why)))
		return -ENOMEM;
	if (q->capture == NFQ_CAPTURE_NFLOG) {
		vigil_buf_printf(out, ",\"nflog_batching\":%s",
				 q->batching ? "true" : "false");
		json_counter(out, "datagrams", q->datagrams);
		json_counter(out, "nflog_lost", q->seq_lost);
		json_counter(out, "batching_switches", q->batching_switches);
		json_counter(out, "config_errors", q->config_errors);
		json_counter(out, "read_delay_samples", q->delay_samples);
		json_counter(out, "read_delay_ns_total", q->delay_ns_total);
		json_counter(out, "read_delay_ns_max", q->delay_ns_max);
	}
	json_counter(out, "packets", q->packets);
	json_counter(out, "messages", q->messages);
	json_counter(out, "parsed", q->parsed);
	json_counter(out, "attributed", q->attributed);
	json_counter(out, "attributed_exited", q->attributed_exited);
	json_counter(out, "unattributed", q->unattributed);
	json_counter(out, "remote_client", q->remote_client);
	json_counter(out, "matched_answers", q->matched);
	json_counter(out, "tcp_control", q->tcp_control);
	json_counter(out, "tcp_reassembled", q->tcp.reassembled);
	json_counter(out, "tcp_out_of_order", q->tcp.out_of_order);
	json_counter(out, "tcp_retransmits", q->tcp.retransmits);
	json_counter(out, "tcp_streams_evicted", q->tcp.evicted);
	json_counter(out, "capped", q->capped);
	json_counter(out, "gso", q->gso);
	json_counter(out, "verdicts", q->verdicts);
	json_counter(out, "verdict_errors", q->verdict_errors);
	vigil_buf_printf(out, ",\"dns_mode\":\"%s\"",
			 q->mode == NFQ_MODE_BLOCK ? "block" : "monitor");
	json_counter(out, "held", q->held);
	json_counter(out, "denied", q->denied);
	json_counter(out, "hold_rounds", q->hold_rounds);
	json_counter(out, "hold_ns_total", q->hold_ns_total);
	json_counter(out, "hold_ns_max", q->hold_ns_max);
	json_counter(out, "socket_overruns", q->enobufs);
	json_counter(out, "pending_evicted", q->match.evicted);
	json_counter(out, "pending_expired", q->match.expired);
	json_counter(out, "sock_diag_found", q->attr.diag_found);
	json_counter(out, "sock_diag_missed", q->attr.diag_missed);
	json_counter(out, "flow_cache_hits", q->attr.flow_cache_hits);
	json_counter(out, "proc_cache_hits", q->attr.proc_cache_hits);
	json_counter(out, "inode_cache_hits", q->attr.cache_hits);
	json_counter(out, "recent_pid_hits", q->attr.recent_hits);
	json_counter(out, "proc_scans", q->attr.scans);
	json_counter(out, "proc_scans_skipped", q->attr.scans_skipped);
	if (q->capture == NFQ_CAPTURE_NFQUEUE)
		kernel_queue_json(q, out);
	vigil_buf_printf(out, ",\"malformed\":{");
	for (i = 0; i < VIGIL_DNS_R__COUNT; i++)
		vigil_buf_printf(out, "%s\"%s\":%" PRIu64, i ? "," : "",
				 vigil_dns_reason_name(
					 (enum vigil_dns_reason)i),
				 q->malformed[i]);
	vigil_buf_printf(out, "},\"skipped\":{");
	for (i = 0; i < NFQ_SKIP__COUNT; i++)
		vigil_buf_printf(out, "%s\"%s\":%" PRIu64, i ? "," : "",
				 skip_names[i], q->skipped[i]);
	vigil_buf_printf(out, "}");
	return 0;
}

const struct vigil_source_ops vigil_dns_source_ops = {
	.name = "dns",
	.start = dns_start,
	.stop = dns_stop,
	.status_json = dns_status_json,
	.reload = NULL,
};
