/*
 * dns_packet.h - IPv4/IPv6 + UDP/TCP header parsing for queued packets.
 *
 * NFQUEUE hands over the network-layer packet (possibly cut at the copy
 * range).  This finds the transport ports and the DNS payload inside it,
 * trusting no length field: every header is checked against the bytes
 * actually present and against the lengths the outer headers claim.
 */
#ifndef VIGIL_DNS_PACKET_H
#define VIGIL_DNS_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include <vigil/event.h>

/* IPv6 extension headers walked before giving up. */
#define VIGIL_DNS_MAX_EXT_HEADERS 8

struct vigil_dns_l4 {
	struct vigil_ip src, dst;
	uint16_t src_port, dst_port;
	uint8_t proto; /* IPPROTO_UDP or IPPROTO_TCP */
	uint32_t tcp_seq; /* sequence number of the first payload byte */
	const uint8_t *payload;
	size_t payload_len;
};

enum vigil_dns_packet_err {
	VIGIL_DNS_PKT_SHORT = 1, /* a header is cut short */
	VIGIL_DNS_PKT_FRAGMENT,  /* a fragment: not reassembled */
	VIGIL_DNS_PKT_NOT_L4,    /* neither UDP nor TCP */
	VIGIL_DNS_PKT_BAD_VERSION,
};

/*
 * Parses an IPv4 or IPv6 packet pkt[0..len) into out (pointers into pkt).
 * Returns 0, or -(enum vigil_dns_packet_err) when the packet is cut short,
 * a fragment, or carries neither UDP nor TCP.
 */
int vigil_dns_packet_parse(const uint8_t *pkt, size_t len,
			   struct vigil_dns_l4 *out);

#endif /* VIGIL_DNS_PACKET_H */
