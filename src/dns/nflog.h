/*
 * nflog.h - the DNS source's NFLOG capture: an nfnetlink_log group that
 * gets a copy of every DNS packet.
 *
 * In monitor mode nothing needs to wait for vigil, so copying is the
 * cheaper shape: packets are never held (no verdict to send, no added
 * latency, nothing to fail open), and the kernel gathers many packets
 * into one netlink datagram (the group's queue threshold), so one wakeup
 * and one recv serve dozens of packets.  What it gives up is the hold
 * that keeps a short-lived client alive while vigil attributes its query
 * (dns_source.h explains the choice).
 *
 * The kernel flushes a group's datagram when it holds `threshold`
 * packets, when its buffer is full, or after the flush timeout (at least
 * 1/100 s).  Batching therefore delays what vigil sees by up to that
 * timeout when traffic is light, and a short-lived client may be gone
 * before its query is attributed; so the source asks for one packet per
 * datagram while traffic is light and for `threshold` only under load
 * (vigil_nflog_set_batching(), decided by vigil_nflog_read()).
 *
 * Loopback DNS is logged at INPUT, where the kernel stamps each packet's
 * time, so answer latency is exact however the kernel batches (a query to
 * another host is stamped when vigil reads it).  The group's sequence
 * numbers count what the kernel could not deliver.
 */
#ifndef VIGIL_NFLOG_H
#define VIGIL_NFLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#include "dns/dns_capture.h"

struct vigil_source;

/* The kernel's ceiling on a log group's buffer (nfnetlink_log.c clamps
 * NFULA_CFG_NLBUFSIZ to it); a receive buffer this big never truncates. */
#define VIGIL_NFLOG_NLBUFSIZ_MAX 131072
/* Flush timeout while batching, in the kernel's 1/100 s units: the
 * smallest there is. */
#define VIGIL_NFLOG_FLUSH_TIMEOUT 1

/*
 * Opens a netlink socket, binds NFLOG group `group` to it and configures
 * the group: whole packets up to copy_range bytes, sequence numbers, one
 * packet per datagram (batching off) and the shortest flush timeout.  The
 * socket is non-blocking.  Returns 0 with *out set (the caller owns it:
 * mnl_socket_close), or a negative errno (-EBUSY: another program has the
 * group).
 */
int vigil_nflog_open(uint16_t group, uint32_t copy_range,
		     struct mnl_socket **out) __attribute__((warn_unused_result));

/*
 * Asks the kernel for up to `threshold` packets per datagram (batching on)
 * or for one (off), with a buffer sized to match.  Sent without waiting
 * for an acknowledgement: an error comes back later as an NLMSG_ERROR in
 * the packet stream.  Returns 0 or a negative errno.
 */
int vigil_nflog_set_batching(struct mnl_socket *nl, uint16_t group,
			     uint32_t threshold, uint32_t copy_range,
			     bool on);

/*
 * Reads one NFULNL_MSG_PACKET message into pkt; nlh must have passed
 * vigil_nlmsg_ok() (its length is within the received bytes).  Trusts no attribute
 * length.  Returns 0, -ENOMSG for a message of another type, or -EBADMSG
 * when it is malformed or has no packet header or payload.
 */
int vigil_nflog_parse(const struct nlmsghdr *nlh,
		      struct vigil_dns_capture_pkt *pkt);

/*
 * One NFLOG capture, as the DNS source reads it.  The caller zeroes it,
 * fills the configuration part and calls vigil_nflog_start(); the reader
 * owns its socket and buffer until vigil_nflog_close().
 */
struct vigil_nflog {
	/* Configuration, set by the caller. */
	struct vigil_source *src; /* events_in, lost and reason; not owned */
	uint16_t group;
	uint32_t copy_range;
	/* packets per datagram under load, and datagrams per wakeup */
	uint32_t batch;
	vigil_dns_capture_cb cb;
	void *cb_arg;

	struct mnl_socket *nl; /* owned */
	char *buf;             /* owned; one datagram of slot bytes */
	size_t slot;
	unsigned int lo_ifindex; /* loopback: its packets are seen at INPUT */
	bool batching;           /* the kernel gathers up to batch packets */
	int64_t window_start_ns; /* rate window (monotonic) */
	uint64_t window_packets;
	uint32_t next_seq;       /* the group's next sequence number */
	bool seq_known;
	int64_t now_ns; /* monotonic time of the last datagram read */

	/* Counters: packets, messages that do not parse, socket overruns,
	 * datagrams read, packets the kernel could not hand us (gaps in the
	 * group's sequence numbers), batching switches, config errors the
	 * kernel sent back. */
	uint64_t packets, bad_msg, enobufs;
	uint64_t datagrams, seq_lost, batching_switches, config_errors;
	/* from the kernel's time on a packet to vigil reading it */
	uint64_t delay_samples, delay_ns_total, delay_ns_max;
};

/*
 * Sizes the receive buffer and binds group r->group (vigil_nflog_open()).
 * Returns 0, or a negative errno with r->src->reason set; call
 * vigil_nflog_close() either way.
 */
int vigil_nflog_start(struct vigil_nflog *r)
	__attribute__((warn_unused_result));

/*
 * Reads what the socket holds, at most batch datagrams, handing every
 * packet to r->cb; then turns kernel batching on or off by the packet
 * rate.
 */
void vigil_nflog_read(struct vigil_nflog *r);

/* Closes the socket and frees the buffer; safe to call twice. */
void vigil_nflog_close(struct vigil_nflog *r);

#endif /* VIGIL_NFLOG_H */
