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
 * (vigil_nflog_set_batching(), decided in nfqueue.c).
 */
#ifndef VIGIL_NFLOG_H
#define VIGIL_NFLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

/* The kernel's ceiling on a log group's buffer (nfnetlink_log.c clamps
 * NFULA_CFG_NLBUFSIZ to it); a receive buffer this big never truncates. */
#define VIGIL_NFLOG_NLBUFSIZ_MAX 131072
/* Flush timeout while batching, in the kernel's 1/100 s units: the
 * smallest there is. */
#define VIGIL_NFLOG_FLUSH_TIMEOUT 1

/* One captured packet, from either capture (nfqueue.c fills it for
 * NFQUEUE).  Pointers are into the received datagram. */
struct vigil_dns_capture_pkt {
	const uint8_t *data; /* the network-layer packet, maybe cut */
	size_t len;          /* bytes of it present */
	uint32_t cap_len;    /* bytes the packet had; 0 when not cut */
	uint32_t id;         /* NFQUEUE packet id; 0 for NFLOG */
	uint32_t seq;        /* NFLOG: the group's sequence number */
	uint32_t uid, gid;   /* of the sending socket; VIGIL_ID_UNSET */
	uint32_t indev;      /* input interface index, 0 when none */
	int64_t ts_ns;       /* the kernel's time (realtime), 0 if none */
	uint8_t hook;        /* NF_INET_LOCAL_OUT, NF_INET_LOCAL_IN ... */
	bool has_seq;
	bool gso;            /* NFQUEUE: a GSO packet */
	bool held;           /* NFQUEUE block mode: waits for the rules */
};

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
 * mnl_nlmsg_ok() with the check libmnl leaves out: it compares the
 * message length as an int, so a length above INT_MAX (negative) passes
 * and the walk runs off the buffer.  Every walk over received netlink
 * messages uses this.
 */
static inline bool vigil_nlmsg_ok(const struct nlmsghdr *nlh, int len)
{
	return mnl_nlmsg_ok(nlh, len) && nlh->nlmsg_len <= (unsigned int)len;
}

/*
 * Reads one NFULNL_MSG_PACKET message into pkt; nlh must have passed
 * vigil_nlmsg_ok() (its length is within the received bytes).  Trusts no attribute
 * length.  Returns 0, -ENOMSG for a message of another type, or -EBADMSG
 * when it is malformed or has no packet header or payload.
 */
int vigil_nflog_parse(const struct nlmsghdr *nlh,
		      struct vigil_dns_capture_pkt *pkt);

#endif /* VIGIL_NFLOG_H */
