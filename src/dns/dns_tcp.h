/*
 * dns_tcp.h - DNS messages out of TCP segments, across segment borders.
 *
 * A DNS answer over TCP is often bigger than one segment (dig asks for an
 * MSS of 1220; DNSSEC answers run to kilobytes).  For each direction of a
 * TCP connection with a message in progress this keeps the bytes of the
 * unfinished message, and completes it with the next in-sequence segment.
 *
 * Bounded: at most `streams` connections in progress (the oldest is
 * dropped and counted), one message (2 + 65535 bytes) per stream, and a
 * stream idle longer than the expiry is forgotten.  Out-of-order segments
 * drop the stream (counted): the kernel has already accepted them, so this
 * only loses the one message.  Retransmitted bytes already seen are
 * skipped.
 */
#ifndef VIGIL_DNS_TCP_H
#define VIGIL_DNS_TCP_H

#include <stddef.h>
#include <stdint.h>

#include "dns/dns_packet.h"

struct vigil_dns_tcp_stream;

struct vigil_dns_tcp {
	struct vigil_dns_tcp_stream *streams; /* owned */
	size_t n;
	int64_t expiry_ns;
	uint64_t reassembled;  /* messages completed from several segments */
	uint64_t out_of_order; /* streams dropped on a sequence gap */
	uint64_t evicted;      /* streams dropped for a newer one */
	uint64_t retransmits;  /* segments skipped as already seen */
};

/* Called for every complete DNS message (without its length prefix). */
typedef void (*vigil_dns_msg_cb)(void *arg, const uint8_t *msg, size_t len);

/* Returns 0, -EINVAL or -ENOMEM.  Buffers are allocated when a stream
 * first needs one and kept for reuse. */
int vigil_dns_tcp_init(struct vigil_dns_tcp *t, size_t streams,
		       int64_t expiry_ns) __attribute__((warn_unused_result));
void vigil_dns_tcp_free(struct vigil_dns_tcp *t);

/*
 * Feeds one segment (l4 from vigil_dns_packet_parse, with its payload and
 * sequence number) seen at now_ns.  Calls cb for each message it
 * completes.  Returns 0, or VIGIL_DNS_ERR(TCP_PARTIAL) when bytes had to
 * be thrown away (no room, or a message longer than the segment could
 * ever complete), or -ENOMEM.
 */
int vigil_dns_tcp_feed(struct vigil_dns_tcp *t, const struct vigil_dns_l4 *l4,
		       int64_t now_ns, vigil_dns_msg_cb cb, void *arg);

#endif /* VIGIL_DNS_TCP_H */
