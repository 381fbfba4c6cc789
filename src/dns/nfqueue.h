/*
 * nfqueue.h - the DNS source's NFQUEUE capture: a netfilter queue that
 * holds each DNS packet until vigil's verdict.
 *
 * Monitor mode gives NF_ACCEPT for every packet as soon as it is read
 * (one batch verdict per read), before any parsing, so DNS is never
 * delayed by more than one read.  The queue is fail-open (the kernel
 * accepts what does not fit in the queue) and every firewall rule has
 * bypass (the kernel accepts when nobody listens).
 *
 * Block mode holds UDP queries and TCP segments carrying data to port 53
 * until the engines ran (dns_source.h says
 * what the rules decide): the capture hands each packet to the source's
 * callback, and a held query gets NF_DROP when the callback returns
 * VIGIL_ACTION_DENY, NF_ACCEPT otherwise.  Everything else is accepted at
 * once, as in monitor mode.
 */
#ifndef VIGIL_NFQUEUE_H
#define VIGIL_NFQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns/dns_capture.h"
#include "util.h"

struct vigil_source;

/* Config and verdict messages gathered to go out in one datagram. */
#define VIGIL_NFQ_CTL_BUF 8192

/*
 * One NFQUEUE capture.  The caller zeroes it, fills the configuration
 * part and calls vigil_nfq_start(); the capture owns its socket and
 * buffers until vigil_nfq_close().
 */
struct vigil_nfq {
	/* Configuration, set by the caller. */
	struct vigil_source *src; /* events_in, lost and reason; not owned */
	uint16_t queue;
	uint32_t copy_range, maxlen;
	uint32_t batch; /* packets read per round */
	bool block;     /* hold queries for the rules */
	vigil_dns_capture_cb cb;
	void *cb_arg;

	struct mnl_socket *nl; /* owned */
	uint32_t portid;
	char *buf; /* owned; batch slots of slot bytes */
	size_t slot;
	/* the packets of the current round, read once */
	struct vigil_dns_capture_pkt *pkts; /* owned; batch entries */
	size_t npkts;
	/* one recvmmsg per round fills the slots of buf */
	struct mmsghdr *mmsg;        /* owned; batch entries */
	struct iovec *iov;           /* owned; batch entries */
	struct sockaddr_nl *senders; /* owned; batch entries */
	/* verdicts of the current round */
	struct {
		char buf[VIGIL_NFQ_CTL_BUF];
		size_t len;
	} out;

	/* Counters. */
	uint64_t packets;
	uint64_t bad_msg;    /* netlink messages that do not parse */
	uint64_t no_payload; /* queued packets without NFQA_PAYLOAD */
	uint64_t verdicts, verdict_errors, enobufs;
	uint64_t held, denied; /* block mode: queries held, dropped */
	/* block mode: what holding costs, per round with held queries:
	 * from the first verdicts to the held ones' (parse + engines) */
	uint64_t hold_rounds, hold_ns_total, hold_ns_max;
};

/*
 * Sizes the round's buffers, binds queue q->queue and configures it
 * fail-open, with uid/gid, GSO, the copy range and the queue length.
 * Returns 0, or a negative errno with q->src->reason set (-EBUSY: another
 * program has the queue); call vigil_nfq_close() either way.
 */
int vigil_nfq_start(struct vigil_nfq *q) __attribute__((warn_unused_result));

/*
 * Reads one round when the socket is readable: up to batch packets,
 * accepts what need not wait, hands every packet to q->cb, then sends the
 * held packets' verdicts.
 */
void vigil_nfq_read(struct vigil_nfq *q);

/* Closes the socket and frees the buffers; safe to call twice. */
void vigil_nfq_close(struct vigil_nfq *q);

/*
 * Appends the kernel's counters of the queue (",\"kernel_queue_total\":N"
 * and the two drop counts) to out, when the kernel lists it.
 */
void vigil_nfq_status_json(const struct vigil_nfq *q, struct vigil_buf *out);

#endif /* VIGIL_NFQUEUE_H */
