/*
 * dns_source.c - the DNS monitor's source (dns_source.h): reads its
 * configuration, picks and starts a capture (nfqueue.h or nflog.h),
 * parses, attributes and submits a `dns` event for every DNS message the
 * capture hands over, and reports its counters.  See dns_source.h for
 * the configuration, the capture choice and the verdict policy.
 *
 * One struct vigil_event and its arena are reused for every event, so
 * the steady state allocates nothing.
 */
#include "config.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/netfilter.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "confmap.h"
#include "node.h"
#include "pipeline.h"
#include "source_status.h"
#include "dns/dns_attr.h"
#include "dns/dns_match.h"
#include "dns/dns_packet.h"
#include "dns/dns_parse.h"
#include "dns/dns_source.h"
#include "dns/dns_tcp.h"
#include "dns/firewall.h"
#include "dns/nflog.h"
#include "dns/nfqueue.h"

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
#define NFQ_ARENA_CHUNK 8192
/* Block mode: TCP connections whose query a rule denied, remembered so
 * that the client's retransmits of the dropped segment are dropped too. */
#define NFQ_TCP_DENIED 64

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

/* Why a packet was not parsed as DNS; the captures count the last two. */
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

/* The source's state (src->priv); owns everything in it but src. */
struct nfq_source {
	struct vigil_source *src;
	uv_poll_t poll;
	bool poll_init;
	struct vigil_firewall fw;
	bool fw_installed;
	struct vigil_dns_match match;
	struct vigil_dns_tcp tcp;
	struct vigil_dns_attr attr;
	struct vigil_arena arena;
	struct vigil_event ev;
	/* the captures; only q->capture's is open */
	struct vigil_nfq nfq;
	struct vigil_nflog nflog;

	/* Configuration (dns_table). */
	bool enabled;   /* vigild's registry reads it */
	uint16_t queue; /* NFQUEUE number or NFLOG group */
	uint32_t copy_range, maxlen, batch, pending;
	bool batch_set; /* batch given in the config */
	int64_t expiry_ns;
	enum nfq_mode mode;
	enum nfq_capture capture_req, capture;
	/* why this capture, for status: "auto: " and a source reason */
	char capture_why[sizeof(((struct vigil_source *)0)->reason) + 8];
	/* Monotonic time of the current read (one clock read per datagram
	 * or round, not per packet). */
	int64_t now_ns;
	/* block mode: TCP connections cut for a denied query (a ring) */
	struct tcp_denied {
		struct vigil_ip client, server;
		uint16_t client_port, server_port;
		int64_t until_ns; /* monotonic; 0: free */
	} tcp_denied[NFQ_TCP_DENIED];
	size_t tcp_denied_next;

	/* Counters. */
	uint64_t messages, parsed, tcp_control, capped, gso;
	uint64_t malformed[VIGIL_DNS_R__COUNT];
	uint64_t skipped[NFQ_SKIP__COUNT];
	uint64_t attributed, attributed_exited, unattributed, remote_client;
	uint64_t matched;
	/* block mode: TCP segments of queries held, and dropped */
	uint64_t held_tcp, denied_tcp;
};

/* ---- configuration ---- */

static const struct vigil_config_name fw_names[] = {
	{ "auto", VIGIL_FW_AUTO },
	{ "nftables", VIGIL_FW_NFTABLES },
	{ "iptables", VIGIL_FW_IPTABLES },
	{ "none", VIGIL_FW_NONE },
	{ NULL, 0 },
};
static const struct vigil_config_name capture_table[] = {
	{ "auto", NFQ_CAPTURE_AUTO },
	{ "nfqueue", NFQ_CAPTURE_NFQUEUE },
	{ "nflog", NFQ_CAPTURE_NFLOG },
	{ NULL, 0 },
};
static const struct vigil_config_name mode_table[] = {
	{ "monitor", NFQ_MODE_MONITOR }, { "block", NFQ_MODE_BLOCK },
	{ NULL, 0 },
};

#define Q struct nfq_source
static const struct vigil_config_entry dns_table[] = {
	{ VIGIL_CFG_BOOL("enabled", Q, enabled, 1, NULL) },
	{ VIGIL_CFG_ENUM("mode", Q, mode, NFQ_MODE_MONITOR, mode_table,
			 "block: queries wait for the rules") },
	{ VIGIL_CFG_ENUM("capture", Q, capture_req, NFQ_CAPTURE_AUTO,
			 capture_table, "auto: nflog to monitor, nfqueue to "
					"block") },
	{ VIGIL_CFG_ENUM("firewall", Q, fw.requested, VIGIL_FW_AUTO, fw_names,
			 "none: the operator sends port 53 to the queue") },
	{ VIGIL_CFG_INT("queue", Q, queue, NFQ_DEFAULT_QUEUE, 0, UINT16_MAX,
			"NFQUEUE number or NFLOG group") },
	{ VIGIL_CFG_SIZE("copy_range", Q, copy_range, NFQ_DEFAULT_COPY_RANGE,
			 NS_PACKETSZ, NFQ_MAX_COPY_RANGE,
			 "bytes of each packet copied") },
	{ VIGIL_CFG_INT("queue_maxlen", Q, maxlen, NFQ_DEFAULT_MAXLEN, 1,
			UINT32_MAX, "packets the kernel queues") },
	{ VIGIL_CFG_INT("batch", Q, batch, NFQ_DEFAULT_BATCH, 1,
			NFQ_MAX_BATCH, "packets per read") },
	{ VIGIL_CFG_INT("pending", Q, pending, NFQ_DEFAULT_PENDING, 1,
			1 << 20, "queries waiting for their answer") },
	{ VIGIL_CFG_DURATION_NS("pending_expiry", Q, expiry_ns,
				NFQ_DEFAULT_EXPIRY_NS, 1, INT64_MAX,
				"a query without an answer is dropped after "
				"this") },
};
#undef Q

/*
 * Reads the dns section into q (the table's members).  Returns 0 or
 * -EINVAL with "file:line:col: ..." in err.
 */
static int load_config(struct nfq_source *q, struct vigil_buf *err)
{
	const struct vigil_node *cfg = q->src->config, *batch;
	int rc;

	rc = VIGIL_CONFMAP_READ(dns_table, cfg, "dns", q, err);
	if (rc)
		return rc;
	/* an explicit batch is kept; the default is the capture's */
	batch = vigil_node_get(cfg, "batch");
	q->batch_set = batch && !vigil_node_is_null(batch);
	if (q->mode == NFQ_MODE_BLOCK && q->capture_req == NFQ_CAPTURE_NFLOG) {
		vigil_node_error(err, vigil_node_get(cfg, "capture"),
				 "dns.capture nflog cannot hold queries; "
				 "block mode needs nfqueue (or auto)");
		return -EINVAL;
	}
	return 0;
}

/* The check op: load_config on a scratch state. */
static int dns_check(const struct vigil_node *section, bool *enabled,
		     struct vigil_buf *err)
{
	struct vigil_source src = { .config = section };
	struct nfq_source *q = calloc(1, sizeof(*q));
	int rc;

	if (!q)
		return -ENOMEM;
	q->src = &src;
	rc = load_config(q, err);
	*enabled = q->enabled;
	free(q);
	return rc;
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
	if (q->nflog.lo_ifindex && pkt->indev == q->nflog.lo_ifindex)
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

/* What emit() needs besides the message, for TCP's callback, and what
 * the rules asked for the messages the segment completed. */
struct tcp_ctx {
	struct nfq_source *q;
	const struct vigil_dns_l4 *l4;
	const struct vigil_dns_capture_pkt *pkt;
	uint32_t actions;
};

static void emit_tcp(void *arg, const uint8_t *msg, size_t len)
{
	struct tcp_ctx *c = arg;

	c->actions |= emit(c->q, c->l4, msg, len, c->pkt);
}

static bool ip_eq(const struct vigil_ip *a, const struct vigil_ip *b)
{
	size_t n = a->family == AF_INET ? 4 : sizeof(a->addr);

	return a->family == b->family && !memcmp(a->addr, b->addr, n);
}

/*
 * Block mode, a held TCP segment from a client (l4) whose messages the
 * rules answered with actions: once a query on a connection is denied,
 * every later segment the client sends on it is dropped as well, until
 * the pending expiry.  Dropping only the segment that completed the
 * query would not do: the client retransmits it, the reassembler skips
 * bytes it has seen, and the retransmit would pass.  Returns actions,
 * with VIGIL_ACTION_DENY added for a connection already cut.
 */
static uint32_t tcp_deny(struct nfq_source *q, const struct vigil_dns_l4 *l4,
			 uint32_t actions)
{
	struct tcp_denied *d;
	size_t i;

	for (i = 0; i < NFQ_TCP_DENIED; i++) {
		d = &q->tcp_denied[i];
		if (d->until_ns > q->now_ns &&
		    d->client_port == l4->src_port &&
		    d->server_port == l4->dst_port &&
		    ip_eq(&d->client, &l4->src) &&
		    ip_eq(&d->server, &l4->dst))
			break;
	}
	if (i < NFQ_TCP_DENIED) {
		d->until_ns = q->now_ns + q->expiry_ns;
		return actions | VIGIL_ACTION_DENY;
	}
	if (!(actions & VIGIL_ACTION_DENY))
		return actions;
	d = &q->tcp_denied[q->tcp_denied_next];
	q->tcp_denied_next = (q->tcp_denied_next + 1) % NFQ_TCP_DENIED;
	d->client = l4->src;
	d->server = l4->dst;
	d->client_port = l4->src_port;
	d->server_port = l4->dst_port;
	d->until_ns = q->now_ns + q->expiry_ns;
	return actions;
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
		struct tcp_ctx ctx = { q, l4, pkt, 0 };

		rc = vigil_dns_tcp_feed(&q->tcp, l4, q->now_ns, emit_tcp, &ctx);
		if (rc < 0) {
			q->malformed[vigil_dns_reason(rc)]++;
			q->src->drops++;
		}
		if (pkt->held) {
			actions = tcp_deny(q, l4, ctx.actions);
			q->held_tcp++;
			if (actions & VIGIL_ACTION_DENY)
				q->denied_tcp++;
		}
	}
	return actions;
}

/* The captures' callback (vigil_dns_capture_cb): parses the packet's
 * headers and handles it. */
static uint32_t on_packet(void *arg, const struct vigil_dns_capture_pkt *pkt,
			  int64_t now_ns)
{
	struct nfq_source *q = arg;
	struct vigil_dns_l4 l4;
	int rc;

	q->now_ns = now_ns;
	rc = vigil_dns_packet_parse(pkt->data, pkt->len, &l4);
	return handle_packet(q, pkt, &l4, rc);
}

/* The capture's socket is readable: its reader hands each packet to
 * on_packet(). */
static void on_readable(uv_poll_t *h, int status, int events)
{
	struct nfq_source *q = h->data;

	(void)events;
	if (status < 0)
		return;
	if (q->capture == NFQ_CAPTURE_NFLOG)
		vigil_nflog_read(&q->nflog);
	else
		vigil_nfq_read(&q->nfq);
}

/* ---- source ops ---- */

static void free_source(struct nfq_source *q)
{
	vigil_dns_match_free(&q->match);
	vigil_dns_tcp_free(&q->tcp);
	vigil_dns_attr_free(&q->attr);
	vigil_arena_free(&q->arena);
	vigil_nfq_close(&q->nfq);
	vigil_nflog_close(&q->nflog);
	free(q);
}

static void on_poll_closed(uv_handle_t *h)
{
	free_source(h->data);
}

/* Sets up the capture c's configuration from the source's and starts it.
 * Returns 0 or a negative errno with src->reason set. */
static int start_one(struct nfq_source *q, enum nfq_capture c)
{
	if (c == NFQ_CAPTURE_NFLOG) {
		struct vigil_nflog *r = &q->nflog;

		if (!q->batch_set)
			q->batch = NFLOG_DEFAULT_BATCH;
		memset(r, 0, sizeof(*r));
		r->src = q->src;
		r->group = q->queue;
		r->copy_range = q->copy_range;
		r->batch = q->batch;
		r->cb = on_packet;
		r->cb_arg = q;
		return vigil_nflog_start(r);
	}
	if (!q->batch_set)
		q->batch = NFQ_DEFAULT_BATCH;
	memset(&q->nfq, 0, sizeof(q->nfq));
	q->nfq.src = q->src;
	q->nfq.queue = q->queue;
	q->nfq.copy_range = q->copy_range;
	q->nfq.maxlen = q->maxlen;
	q->nfq.batch = q->batch;
	q->nfq.block = q->mode == NFQ_MODE_BLOCK;
	q->nfq.cb = on_packet;
	q->nfq.cb_arg = q;
	return vigil_nfq_start(&q->nfq);
}

/* Closes what one capture attempt opened: socket and buffers.  The
 * firewall rules are removed by the caller. */
static void close_capture(struct nfq_source *q)
{
	vigil_nfq_close(&q->nfq);
	vigil_nflog_close(&q->nflog);
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
	rc = start_one(q, c);
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
	{
		struct vigil_buf err = { 0 };

		rc = load_config(q, &err);
		if (rc)
			snprintf(src->reason, sizeof(src->reason), "%s",
				 vigil_buf_cstr(&err));
		vigil_buf_free(&err);
		if (rc)
			goto out_fail_reason;
	}
	rc = vigil_dns_match_init(&q->match, q->pending, q->expiry_ns);
	if (!rc)
		rc = vigil_dns_tcp_init(&q->tcp, NFQ_TCP_STREAMS, q->expiry_ns);
	if (rc)
		goto out_fail;
	rc = start_capture(q);
	if (rc)
		goto out_fail_reason;
	nflog = q->capture == NFQ_CAPTURE_NFLOG;
	rc = uv_poll_init(src->loop, &q->poll,
			  mnl_socket_get_fd(nflog ? q->nflog.nl : q->nfq.nl));
	if (rc)
		goto out_fail;
	q->poll_init = true;
	q->poll.data = q;
	rc = uv_poll_start(&q->poll, UV_READABLE, on_readable);
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
	struct nfq_source *q = vigil_source_take_priv(src);

	if (!q)
		return;
	if (q->poll_init)
		uv_poll_stop(&q->poll);
	/* Rules first: with no reader left the bypass flag would pass DNS
	 * anyway, but vigil leaves nothing of its own behind. */
	if (q->fw_installed && vigil_firewall_remove(&q->fw))
		vigil_warn("dns: %s", q->fw.reason);
	close_capture(q);
	vigil_source_set_state(src, VIGIL_SOURCE_STOPPED, "off", "stopped");
	/* The poll handle is freed by the loop after its close callback. */
	if (q->poll_init)
		uv_close((uv_handle_t *)&q->poll, on_poll_closed);
	else
		free_source(q);
}

/* What dns_status_json reports, in its order (source_status.h); the
 * two sums over both captures and the mode are written between them. */
#define Q struct nfq_source
static const struct vigil_status_field nflog_fields[] = {
	VIGIL_STATUS_BOOL("nflog_batching", Q, nflog.batching),
	VIGIL_STATUS_U64("datagrams", Q, nflog.datagrams),
	VIGIL_STATUS_U64("nflog_lost", Q, nflog.seq_lost),
	VIGIL_STATUS_U64("batching_switches", Q, nflog.batching_switches),
	VIGIL_STATUS_U64("config_errors", Q, nflog.config_errors),
	VIGIL_STATUS_U64("read_delay_samples", Q, nflog.delay_samples),
	VIGIL_STATUS_U64("read_delay_ns_total", Q, nflog.delay_ns_total),
	VIGIL_STATUS_U64("read_delay_ns_max", Q, nflog.delay_ns_max),
};
/* after "packets" */
static const struct vigil_status_field message_fields[] = {
	VIGIL_STATUS_U64("messages", Q, messages),
	VIGIL_STATUS_U64("parsed", Q, parsed),
	VIGIL_STATUS_U64("attributed", Q, attributed),
	VIGIL_STATUS_U64("attributed_exited", Q, attributed_exited),
	VIGIL_STATUS_U64("unattributed", Q, unattributed),
	VIGIL_STATUS_U64("remote_client", Q, remote_client),
	VIGIL_STATUS_U64("matched_answers", Q, matched),
	VIGIL_STATUS_U64("tcp_control", Q, tcp_control),
	VIGIL_STATUS_U64("tcp_reassembled", Q, tcp.reassembled),
	VIGIL_STATUS_U64("tcp_out_of_order", Q, tcp.out_of_order),
	VIGIL_STATUS_U64("tcp_retransmits", Q, tcp.retransmits),
	VIGIL_STATUS_U64("tcp_streams_evicted", Q, tcp.evicted),
	VIGIL_STATUS_U64("capped", Q, capped),
	VIGIL_STATUS_U64("gso", Q, gso),
	VIGIL_STATUS_U64("verdicts", Q, nfq.verdicts),
	VIGIL_STATUS_U64("verdict_errors", Q, nfq.verdict_errors),
};
/* after "dns_mode" */
static const struct vigil_status_field hold_fields[] = {
	VIGIL_STATUS_U64("held", Q, nfq.held),
	VIGIL_STATUS_U64("denied", Q, nfq.denied),
	VIGIL_STATUS_U64("held_tcp", Q, held_tcp),
	VIGIL_STATUS_U64("denied_tcp", Q, denied_tcp),
	VIGIL_STATUS_U64("hold_rounds", Q, nfq.hold_rounds),
	VIGIL_STATUS_U64("hold_ns_total", Q, nfq.hold_ns_total),
	VIGIL_STATUS_U64("hold_ns_max", Q, nfq.hold_ns_max),
};
/* after "socket_overruns" */
static const struct vigil_status_field attribution_fields[] = {
	VIGIL_STATUS_U64("pending_evicted", Q, match.evicted),
	VIGIL_STATUS_U64("pending_expired", Q, match.expired),
	VIGIL_STATUS_U64("sock_diag_found", Q, attr.diag_found),
	VIGIL_STATUS_U64("sock_diag_missed", Q, attr.diag_missed),
	VIGIL_STATUS_U64("flow_cache_hits", Q, attr.flow_cache_hits),
	VIGIL_STATUS_U64("proc_cache_hits", Q, attr.proc_cache_hits),
	VIGIL_STATUS_U64("inode_cache_hits", Q, attr.cache_hits),
	VIGIL_STATUS_U64("recent_pid_hits", Q, attr.recent_hits),
	VIGIL_STATUS_U64("proc_scans", Q, attr.scans),
	VIGIL_STATUS_U64("proc_scans_skipped", Q, attr.scans_skipped),
};
#undef Q

static int dns_status_json(struct vigil_source *src, struct vigil_buf *out)
{
	struct nfq_source *q = src->priv;
	const struct vigil_nflog *r;
	const struct vigil_nfq *nfq;
	size_t i;

	if (!q)
		return 0;
	r = &q->nflog;
	nfq = &q->nfq;
	vigil_buf_printf(out, "\"queue\":%u,\"firewall\":\"%s\",\"ipv6_rules\":%s",
			 q->queue, vigil_firewall_backend_name(q->fw.backend),
			 q->fw.backend == VIGIL_FW_NFTABLES || q->fw.ipv6 ?
				 "true" : "false");
	/* capture_why may quote a firewall tool's error: escaped. */
	vigil_buf_printf(out, ",\"capture\":\"%s\",\"capture_reason\":",
			 capture_names[q->capture]);
	if (vigil_json_str(out, q->capture_why, strlen(q->capture_why)))
		return -ENOMEM;
	if (q->capture == NFQ_CAPTURE_NFLOG)
		vigil_status_fields(out, q, nflog_fields,
				    VIGIL_ARRAY_SIZE(nflog_fields));
	/* Only one capture ran: the other's counters are 0. */
	vigil_buf_printf(out, ",\"packets\":%" PRIu64,
			 nfq->packets + r->packets);
	vigil_status_fields(out, q, message_fields,
			    VIGIL_ARRAY_SIZE(message_fields));
	vigil_buf_printf(out, ",\"dns_mode\":\"%s\"",
			 q->mode == NFQ_MODE_BLOCK ? "block" : "monitor");
	vigil_status_fields(out, q, hold_fields, VIGIL_ARRAY_SIZE(hold_fields));
	vigil_buf_printf(out, ",\"socket_overruns\":%" PRIu64,
			 nfq->enobufs + r->enobufs);
	vigil_status_fields(out, q, attribution_fields,
			    VIGIL_ARRAY_SIZE(attribution_fields));
	if (q->capture == NFQ_CAPTURE_NFQUEUE)
		vigil_nfq_status_json(nfq, out);
	vigil_buf_printf(out, ",\"malformed\":{");
	for (i = 0; i < VIGIL_DNS_R__COUNT; i++)
		vigil_buf_printf(out, "%s\"%s\":%" PRIu64, i ? "," : "",
				 vigil_dns_reason_name(
					 (enum vigil_dns_reason)i),
				 q->malformed[i]);
	vigil_buf_printf(out, "},\"skipped\":{");
	for (i = 0; i < NFQ_SKIP__COUNT; i++) {
		uint64_t v = q->skipped[i];

		/* what the captures skipped before handing packets over */
		if (i == NFQ_SKIP_BAD_MSG)
			v += nfq->bad_msg + r->bad_msg;
		else if (i == NFQ_SKIP_NO_PAYLOAD)
			v += nfq->no_payload;
		vigil_buf_printf(out, "%s\"%s\":%" PRIu64, i ? "," : "",
				 skip_names[i], v);
	}
	vigil_buf_printf(out, "}");
	return 0;
}

const struct vigil_source_ops vigil_dns_source_ops = {
	.name = "dns",
	.start = dns_start,
	.stop = dns_stop,
	.status_json = dns_status_json,
	.reload = NULL,
	.check = dns_check,
};
