/*
 * dns_capture.h - what the DNS source's two captures (nfqueue.h, nflog.h)
 * share: the captured packet they hand to the source, the callback that
 * takes it, and the netfilter netlink socket setup both use.
 */
#ifndef VIGIL_DNS_CAPTURE_H
#define VIGIL_DNS_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

/* Room for the netlink and netfilter attributes around a copied packet. */
#define VIGIL_DNS_CAPTURE_MSG_OVERHEAD 512

/* One captured packet, from either capture.  Pointers are into the
 * received datagram. */
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
 * Called by a capture for each packet it read, with the monotonic time of
 * the read (one clock read per datagram or round, not per packet).
 * Returns the actions the rules asked for the packet (VIGIL_ACTION_*),
 * which only NFQUEUE block mode uses for a held packet's verdict.
 */
typedef uint32_t (*vigil_dns_capture_cb)(
	void *arg, const struct vigil_dns_capture_pkt *pkt, int64_t now_ns);

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

/* Closes the socket *nl if open and forgets it; a second call does nothing. */
void vigil__dns_capture_close(struct mnl_socket **nl);

/*
 * Opens a NETLINK_NETFILTER socket bound to an automatic port id, with a
 * receive buffer big enough for bursts when the caller may force it (best
 * effort: without CAP_NET_ADMIN the default stays and overruns are
 * counted).  The socket blocks until vigil__dns_capture_nonblock(), so
 * that configuration requests can wait for their ACK.  Returns 0 with *out
 * set (the caller owns it: mnl_socket_close) or a negative errno.
 */
int vigil__dns_capture_open(struct mnl_socket **out)
	__attribute__((warn_unused_result));

/*
 * Sends a configuration message with NLM_F_ACK and waits for the kernel's
 * answer.  Returns 0, or the negative errno the kernel (or the socket)
 * gave.
 */
int vigil__dns_capture_request(struct mnl_socket *nl, struct nlmsghdr *nlh)
	__attribute__((warn_unused_result));

/* Makes the socket non-blocking, for reading on the loop.  Returns 0 or a
 * negative errno. */
int vigil__dns_capture_nonblock(struct mnl_socket *nl)
	__attribute__((warn_unused_result));

/*
 * Writes why binding failed to reason: "cannot bind <what> <num>: <error>",
 * with a hint to set dns.queue when another program holds it (-EBUSY).
 * what is "NFQUEUE" or "NFLOG group", unit "queue" or "group".
 */
void vigil__dns_capture_bind_error(char *reason, size_t size,
				   const char *what, const char *unit,
				   uint16_t num, int rc);

#endif /* VIGIL_DNS_CAPTURE_H */
