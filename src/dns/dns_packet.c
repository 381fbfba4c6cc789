/*
 * dns_packet.c - network and transport header parsing (dns_packet.h).
 */
#include "config.h"

#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/dns_packet.h"

#define IP_VERSION_SHIFT 4
#define IP_VERSION_4 4
#define IP_VERSION_6 6 /* not IPV6_VERSION: <netinet/ip6.h> may have one (0x60) */
#define IPV4_IHL_UNIT 4   /* ihl counts 32-bit words */
#define TCP_DOFF_UNIT 4   /* so does doff */
#define IPV6_EXT_UNIT 8   /* ip6e_len counts 8-octet units past the first */

/* Finds UDP or TCP at pkt[off..end) and fills ports and payload. */
static int parse_l4(const uint8_t *pkt, size_t off, size_t end, uint8_t proto,
		    struct vigil_dns_l4 *out)
{
	if (proto == IPPROTO_UDP) {
		struct udphdr uh;
		size_t ulen;

		if (end - off < sizeof(uh))
			return -VIGIL_DNS_PKT_SHORT;
		memcpy(&uh, pkt + off, sizeof(uh));
		ulen = ntohs(uh.uh_ulen);
		/* The UDP length may only shrink what is present; a copy
		 * range cut leaves it larger, and that is caught by the DNS
		 * parser as truncation. */
		if (ulen < sizeof(uh))
			return -VIGIL_DNS_PKT_SHORT;
		if (ulen < end - off)
			end = off + ulen;
		out->src_port = ntohs(uh.uh_sport);
		out->dst_port = ntohs(uh.uh_dport);
		off += sizeof(uh);
	} else if (proto == IPPROTO_TCP) {
		struct tcphdr th;
		size_t hl;

		if (end - off < sizeof(th))
			return -VIGIL_DNS_PKT_SHORT;
		memcpy(&th, pkt + off, sizeof(th));
		hl = (size_t)th.th_off * TCP_DOFF_UNIT;
		if (hl < sizeof(th) || hl > end - off)
			return -VIGIL_DNS_PKT_SHORT;
		out->src_port = ntohs(th.th_sport);
		out->dst_port = ntohs(th.th_dport);
		out->tcp_seq = ntohl(th.th_seq);
		off += hl;
	} else {
		return -VIGIL_DNS_PKT_NOT_L4;
	}
	out->proto = proto;
	out->payload = pkt + off;
	out->payload_len = end - off;
	return 0;
}

static int parse_v4(const uint8_t *pkt, size_t len, struct vigil_dns_l4 *out)
{
	struct ip ih;
	size_t hl, tot;

	if (len < sizeof(ih))
		return -VIGIL_DNS_PKT_SHORT;
	memcpy(&ih, pkt, sizeof(ih));
	hl = (size_t)ih.ip_hl * IPV4_IHL_UNIT;
	tot = ntohs(ih.ip_len);
	if (hl < sizeof(ih) || hl > len || tot < hl)
		return -VIGIL_DNS_PKT_SHORT;
	if (ntohs(ih.ip_off) & (IP_MF | IP_OFFMASK))
		return -VIGIL_DNS_PKT_FRAGMENT;
	/* With GSO the kernel may hand over more than ip_len says (0 for
	 * big TSO packets); only ever shrink to what is present. */
	if (tot > len || tot == 0)
		tot = len;
	out->src.family = AF_INET;
	out->dst.family = AF_INET;
	memcpy(out->src.addr, &ih.ip_src, sizeof(ih.ip_src));
	memcpy(out->dst.addr, &ih.ip_dst, sizeof(ih.ip_dst));
	return parse_l4(pkt, hl, tot, ih.ip_p, out);
}

static int parse_v6(const uint8_t *pkt, size_t len, struct vigil_dns_l4 *out)
{
	struct ip6_hdr h;
	size_t off = sizeof(h), end;
	uint8_t nxt;
	int i;

	if (len < sizeof(h))
		return -VIGIL_DNS_PKT_SHORT;
	memcpy(&h, pkt, sizeof(h));
	end = sizeof(h) + ntohs(h.ip6_plen);
	if (end > len || end == sizeof(h))
		end = len; /* cut by the copy range, or a jumbogram */
	out->src.family = AF_INET6;
	out->dst.family = AF_INET6;
	memcpy(out->src.addr, &h.ip6_src, sizeof(h.ip6_src));
	memcpy(out->dst.addr, &h.ip6_dst, sizeof(h.ip6_dst));
	nxt = h.ip6_nxt;
	for (i = 0; i < VIGIL_DNS_MAX_EXT_HEADERS; i++) {
		struct ip6_ext ext;

		switch (nxt) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (end - off < sizeof(ext))
				return -VIGIL_DNS_PKT_SHORT;
			memcpy(&ext, pkt + off, sizeof(ext));
			if (((size_t)ext.ip6e_len + 1) * IPV6_EXT_UNIT >
			    end - off)
				return -VIGIL_DNS_PKT_SHORT;
			nxt = ext.ip6e_nxt;
			off += ((size_t)ext.ip6e_len + 1) * IPV6_EXT_UNIT;
			break;
		case IPPROTO_FRAGMENT:
			return -VIGIL_DNS_PKT_FRAGMENT;
		default:
			return parse_l4(pkt, off, end, nxt, out);
		}
	}
	return -VIGIL_DNS_PKT_NOT_L4;
}

int vigil_dns_packet_parse(const uint8_t *pkt, size_t len,
			   struct vigil_dns_l4 *out)
{
	memset(out, 0, sizeof(*out));
	if (len < 1)
		return -VIGIL_DNS_PKT_SHORT;
	switch (pkt[0] >> IP_VERSION_SHIFT) {
	case IP_VERSION_4:
		return parse_v4(pkt, len, out);
	case IP_VERSION_6:
		return parse_v6(pkt, len, out);
	default:
		return -VIGIL_DNS_PKT_BAD_VERSION;
	}
}
