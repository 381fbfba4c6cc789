/*
 * test_dns_flow.c - the pieces around the DNS parser: IP/UDP/TCP header
 * parsing of queued packets, query/answer matching, the NFLOG message
 * reader, the nftables script the firewall module installs and how it
 * runs the firewall tools.
 */
#include "config.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "dns/dns_match.h"
#include "dns/dns_packet.h"
#include "dns/dns_parse.h"
#include "dns/dns_tcp.h"
#include "dns/firewall.h"
#include "dns/nflog.h"

/* IPv4 header (20) + UDP header (8) + 4 payload bytes "DATA". */
static const uint8_t v4_udp[] = {
	0x45, 0, 0, 32, 0x12, 0x34, 0x40, 0, 64, IPPROTO_UDP, 0, 0,
	127, 0, 0, 1, 127, 0, 0, 53,
	0xd4, 0x31, 0, 53, 0, 12, 0, 0,
	'D', 'A', 'T', 'A',
};

static void test_dns_packet_finds_udp_payload_in_ipv4(void **state)
{
	struct vigil_dns_l4 l4;

	(void)state;
	assert_int_equal(vigil_dns_packet_parse(v4_udp, sizeof(v4_udp), &l4),
			 0);
	assert_int_equal(l4.proto, IPPROTO_UDP);
	assert_int_equal(l4.src.family, AF_INET);
	assert_int_equal(l4.dst.addr[3], 53);
	assert_int_equal(l4.src_port, 0xd431);
	assert_int_equal(l4.dst_port, 53);
	assert_int_equal(l4.payload_len, 4);
	assert_memory_equal(l4.payload, "DATA", 4);
}

static void test_dns_packet_refuses_bad_ipv4_headers(void **state)
{
	uint8_t p[sizeof(v4_udp)];
	struct vigil_dns_l4 l4;

	(void)state;
	memcpy(p, v4_udp, sizeof(p));
	p[0] = 0x44; /* ihl 4: shorter than the fixed header */
	assert_int_equal(vigil_dns_packet_parse(p, sizeof(p), &l4),
			 -VIGIL_DNS_PKT_SHORT);
	p[0] = 0x4f; /* ihl 15: 60 bytes, more than the packet */
	assert_int_equal(vigil_dns_packet_parse(p, sizeof(p), &l4),
			 -VIGIL_DNS_PKT_SHORT);
	memcpy(p, v4_udp, sizeof(p));
	p[6] = 0x20; /* more fragments */
	assert_int_equal(vigil_dns_packet_parse(p, sizeof(p), &l4),
			 -VIGIL_DNS_PKT_FRAGMENT);
	memcpy(p, v4_udp, sizeof(p));
	p[9] = IPPROTO_ICMP;
	assert_int_equal(vigil_dns_packet_parse(p, sizeof(p), &l4),
			 -VIGIL_DNS_PKT_NOT_L4);
	memcpy(p, v4_udp, sizeof(p));
	p[25] = 4; /* UDP length below its own header */
	assert_int_equal(vigil_dns_packet_parse(p, sizeof(p), &l4),
			 -VIGIL_DNS_PKT_SHORT);
	p[0] = 0x55;
	assert_int_equal(vigil_dns_packet_parse(p, sizeof(p), &l4),
			 -VIGIL_DNS_PKT_BAD_VERSION);
}

/* Lengths in headers only ever shrink what is present. */
static void test_dns_packet_trusts_no_length_field(void **state)
{
	uint8_t p[sizeof(v4_udp)];
	struct vigil_dns_l4 l4;

	(void)state;
	memcpy(p, v4_udp, sizeof(p));
	p[3] = 200; /* IP total length beyond the copy */
	p[25] = 200; /* so is UDP's */
	assert_int_equal(vigil_dns_packet_parse(p, sizeof(p), &l4), 0);
	assert_int_equal(l4.payload_len, 4);
	p[25] = 10; /* UDP says 2 payload bytes: trailing bytes ignored */
	assert_int_equal(vigil_dns_packet_parse(p, sizeof(p), &l4), 0);
	assert_int_equal(l4.payload_len, 2);
}

/* IPv6, hop-by-hop options (8 bytes), TCP with 4 option bytes, "Q". */
static const uint8_t v6_tcp[] = {
	0x60, 0, 0, 0, 0, 8 + 24 + 1, IPPROTO_HOPOPTS, 64,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	IPPROTO_TCP, 0, 1, 4, 0, 0, 0, 0,
	0x9c, 0x40, 0, 53, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x18, 0xff, 0xff,
	0, 0, 0, 0, 1, 1, 1, 0,
	'Q',
};

static void test_dns_packet_walks_ipv6_extension_headers(void **state)
{
	struct vigil_dns_l4 l4;
	uint8_t p[sizeof(v6_tcp)];
	size_t n;

	(void)state;
	assert_int_equal(vigil_dns_packet_parse(v6_tcp, sizeof(v6_tcp), &l4),
			 0);
	assert_int_equal(l4.proto, IPPROTO_TCP);
	assert_int_equal(l4.src.family, AF_INET6);
	assert_int_equal(l4.src_port, 40000);
	assert_int_equal(l4.payload_len, 1);
	assert_int_equal(l4.payload[0], 'Q');

	memcpy(p, v6_tcp, sizeof(p));
	p[41] = 9; /* extension header length past the packet */
	assert_int_equal(vigil_dns_packet_parse(p, sizeof(p), &l4),
			 -VIGIL_DNS_PKT_SHORT);
	memcpy(p, v6_tcp, sizeof(p));
	p[6] = IPPROTO_FRAGMENT;
	assert_int_equal(vigil_dns_packet_parse(p, sizeof(p), &l4),
			 -VIGIL_DNS_PKT_FRAGMENT);
	memcpy(p, v6_tcp, sizeof(p));
	p[60] = 0x40; /* TCP data offset 4: below the fixed header */
	assert_int_equal(vigil_dns_packet_parse(p, sizeof(p), &l4),
			 -VIGIL_DNS_PKT_SHORT);

	/* No prefix reads past its end (exact-size copies for ASan). */
	for (n = 0; n < sizeof(v6_tcp); n++) {
		uint8_t *c = malloc(n ? n : 1);

		assert_non_null(c);
		memcpy(c, v6_tcp, n);
		(void)vigil_dns_packet_parse(c, n, &l4);
		free(c);
	}
}

static struct vigil_dns_flow flow(uint16_t id, uint16_t port)
{
	struct vigil_dns_flow f;

	memset(&f, 0, sizeof(f));
	f.client.family = f.server.family = AF_INET;
	f.client.addr[0] = 10;
	f.server.addr[0] = 192;
	f.client_port = port;
	f.server_port = 53;
	f.id = id;
	f.proto = IPPROTO_UDP;
	return f;
}

static void test_dns_match_pairs_answer_with_query(void **state)
{
	struct vigil_dns_match m;
	struct vigil_dns_owner who = { 4242, 1000, 1000, "dig" }, got;
	struct vigil_dns_flow f = flow(7, 40000), other = flow(8, 40000);
	int64_t lat;

	(void)state;
	assert_int_equal(vigil_dns_match_init(&m, 64, 1000), 0);
	vigil_dns_match_query(&m, &f, 100, &who);
	assert_false(vigil_dns_match_answer(&m, &other, 150, &lat, &got));
	assert_true(vigil_dns_match_answer(&m, &f, 150, &lat, &got));
	assert_int_equal(lat, 50);
	assert_int_equal(got.pid, 4242);
	assert_int_equal(got.uid, 1000);
	assert_string_equal(got.comm, "dig");
	/* Taken out: a duplicate answer does not match again. */
	assert_false(vigil_dns_match_answer(&m, &f, 160, &lat, &got));
	assert_int_equal(m.matched, 1);
	vigil_dns_match_free(&m);
}

static void test_dns_match_expires_and_evicts(void **state)
{
	struct vigil_dns_match m;
	struct vigil_dns_owner who = { 1, 0, 0, "" }, got;
	struct vigil_dns_flow f = flow(1, 1);
	int64_t lat;
	uint16_t i;

	(void)state;
	assert_int_equal(vigil_dns_match_init(&m, 1, 1000), 0);
	assert_int_equal(m.cap, VIGIL_DNS_MATCH_PROBES);
	vigil_dns_match_query(&m, &f, 100, &who);
	assert_false(vigil_dns_match_answer(&m, &f, 100 + 1001, &lat, &got));
	assert_int_equal(m.expired, 1);

	/* One more live query than slots: the oldest is pushed out. */
	for (i = 0; i <= VIGIL_DNS_MATCH_PROBES; i++) {
		struct vigil_dns_flow g = flow(i, 2);

		vigil_dns_match_query(&m, &g, 2000 + i, &who);
	}
	assert_int_equal(m.evicted, 1);
	f = flow(0, 2);
	assert_false(vigil_dns_match_answer(&m, &f, 2100, &lat, &got));
	f = flow(VIGIL_DNS_MATCH_PROBES, 2);
	assert_true(vigil_dns_match_answer(&m, &f, 2100, &lat, &got));
	vigil_dns_match_free(&m);

	assert_int_equal(vigil_dns_match_init(&m, 0, 1), -EINVAL);
	assert_int_equal(vigil_dns_match_init(&m, 8, 0), -EINVAL);
}

struct got {
	unsigned int n;
	size_t len[4];
	uint8_t first[4];
};

static void on_msg(void *arg, const uint8_t *msg, size_t len)
{
	struct got *g = arg;

	if (g->n < 4) {
		g->len[g->n] = len;
		g->first[g->n] = len ? msg[0] : 0;
	}
	g->n++;
}

/* Feeds stream[off..off+len) as one segment with its sequence number. */
static int seg(struct vigil_dns_tcp *t, const uint8_t *stream, size_t off,
	       size_t len, struct got *g)
{
	struct vigil_dns_l4 l4;

	memset(&l4, 0, sizeof(l4));
	l4.src.family = l4.dst.family = AF_INET;
	l4.src_port = 53;
	l4.dst_port = 40000;
	l4.proto = IPPROTO_TCP;
	l4.tcp_seq = 1000 + (uint32_t)off;
	l4.payload = stream + off;
	l4.payload_len = len;
	return vigil_dns_tcp_feed(t, &l4, 1, on_msg, g);
}

static void test_dns_tcp_reassembles_message_across_segments(void **state)
{
	/* Three framed messages: 300, 5 and 2000 bytes (first bytes 1,2,3). */
	static uint8_t stream[2 + 300 + 2 + 5 + 2 + 2000];
	struct vigil_dns_tcp t;
	struct got g = { 0 };

	(void)state;
	memset(stream, 0, sizeof(stream));
	stream[0] = 300 >> 8;
	stream[1] = 300 & 0xff;
	stream[2] = 1;
	stream[303] = 5;
	stream[304] = 2;
	stream[309] = 2000 >> 8;
	stream[310] = 2000 & 0xff;
	stream[311] = 3;
	assert_int_equal(vigil_dns_tcp_init(&t, 2, 1000000), 0);
	/* Segment borders inside a prefix, inside messages, and between. */
	assert_int_equal(seg(&t, stream, 0, 1, &g), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(seg(&t, stream, 1, 200, &g), 0);
	/* A retransmission of what was seen is skipped. */
	assert_int_equal(seg(&t, stream, 1, 200, &g), 0);
	assert_int_equal(t.retransmits, 1);
	assert_int_equal(seg(&t, stream, 201, 700, &g), 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(seg(&t, stream, 901, sizeof(stream) - 901, &g), 0);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.len[0], 300);
	assert_int_equal(g.first[0], 1);
	assert_int_equal(g.len[1], 5);
	assert_int_equal(g.first[1], 2);
	assert_int_equal(g.len[2], 2000);
	assert_int_equal(g.first[2], 3);
	assert_int_equal(t.reassembled, 2);

	/* A gap drops the message in progress, and nothing else: the next
	 * segment starting at a frame still yields its message. */
	g.n = 0;
	assert_int_equal(seg(&t, stream, 0, 100, &g), 0);
	assert_int_equal(seg(&t, stream, 302, 7, &g), 0);
	assert_int_equal(t.out_of_order, 1);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.len[0], 5);
	assert_int_equal(g.first[0], 2);
	vigil_dns_tcp_free(&t);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay++;
	}
	return n;
}

static void test_dns_firewall_nft_script_replaces_own_table(void **state)
{
	static const char head[] = "table inet vigil\n"
				   "delete table inet vigil\n"
				   "table inet vigil {";
	struct vigil_firewall fw = { .queue_num = 5300 };
	struct vigil_buf b = { 0 };
	const char *s;

	(void)state;
	assert_int_equal(vigil_firewall_nft_script(&fw, &b), 0);
	s = vigil_buf_cstr(&b);
	/* Declare, delete, define: one transaction, never two copies. */
	assert_int_equal(strncmp(s, head, strlen(head)), 0);
	assert_int_equal(count(s, "queue num 5300 bypass"), 8);
	assert_int_equal(count(s, "hook output"), 1);
	assert_int_equal(count(s, "hook input"), 1);
	assert_int_equal(count(s, "iif lo return"), 1);
	assert_int_equal(count(s, "oif lo"), 0);
	/* Only vigil's table is named. */
	assert_int_equal(count(s, "table "), 3);
	vigil_buf_free(&b);

	assert_int_equal(vigil_firewall_backend_from_name("nftables"),
			 VIGIL_FW_NFTABLES);
	assert_int_equal(vigil_firewall_backend_from_name("iptables"),
			 VIGIL_FW_IPTABLES);
	assert_int_equal(vigil_firewall_backend_from_name("auto"),
			 VIGIL_FW_AUTO);
	assert_int_equal(vigil_firewall_backend_from_name("ipchains"), -EINVAL);
	assert_string_equal(vigil_firewall_backend_name(VIGIL_FW_IPTABLES),
			    "iptables");
}

static void test_dns_firewall_nft_script_logs_loopback_at_input(void **state)
{
	struct vigil_firewall fw = { .target = VIGIL_FW_TARGET_NFLOG,
				     .queue_num = 5300,
				     .snaplen = 1500,
				     .threshold = 32 };
	struct vigil_buf b = { 0 };
	const char *s;

	(void)state;
	assert_int_equal(vigil_firewall_nft_script(&fw, &b), 0);
	s = vigil_buf_cstr(&b);
	assert_int_equal(count(s, "log group 5300 snaplen 1500 "
				  "queue-threshold 32"), 8);
	assert_int_equal(count(s, "queue num"), 0);
	/* Loopback is logged once, in INPUT, where the kernel stamps the
	 * time: OUTPUT skips lo and INPUT does not. */
	assert_int_equal(count(s, "oif lo return"), 1);
	assert_int_equal(count(s, "iif lo"), 0);
	assert_true(strstr(s, "oif lo return") < strstr(s, "hook input"));
	vigil_buf_free(&b);
}

/* Builds an NFULNL_MSG_PACKET message as the kernel does: header, uid,
 * sequence number, time, then the payload. */
static struct nlmsghdr *nflog_msg(char *buf, size_t size, bool with_ts)
{
	struct nfulnl_msg_packet_hdr ph = { htons(ETHERTYPE_IP),
					    NF_INET_LOCAL_IN, 0 };
	struct nfulnl_msg_packet_timestamp ts = {
		.sec = htobe64(1700000000), .usec = htobe64(250000) };
	struct nlmsghdr *nlh;
	struct nfgenmsg *g;

	memset(buf, 0, size);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_INET;
	mnl_attr_put(nlh, NFULA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put_u32(nlh, NFULA_UID, htonl(1000));
	mnl_attr_put_u32(nlh, NFULA_SEQ, htonl(7));
	mnl_attr_put_u32(nlh, NFULA_IFINDEX_INDEV, htonl(1));
	if (with_ts)
		mnl_attr_put(nlh, NFULA_TIMESTAMP, sizeof(ts), &ts);
	mnl_attr_put(nlh, NFULA_PAYLOAD, sizeof(v4_udp), v4_udp);
	return nlh;
}

static void test_dns_nflog_reads_packet_uid_seq_and_kernel_time(void **state)
{
	char buf[512];
	struct nlmsghdr *nlh = nflog_msg(buf, sizeof(buf), true);
	struct vigil_dns_capture_pkt pkt;

	(void)state;
	assert_int_equal(vigil_nflog_parse(nlh, &pkt), 0);
	assert_int_equal(pkt.len, sizeof(v4_udp));
	assert_memory_equal(pkt.data, v4_udp, sizeof(v4_udp));
	assert_int_equal(pkt.hook, NF_INET_LOCAL_IN);
	assert_int_equal(pkt.uid, 1000);
	assert_int_equal(pkt.gid, VIGIL_ID_UNSET);
	assert_true(pkt.has_seq);
	assert_int_equal(pkt.seq, 7);
	assert_int_equal(pkt.indev, 1);
	assert_true(pkt.ts_ns == INT64_C(1700000000250000000));

	/* Without a kernel time the caller stamps it. */
	nlh = nflog_msg(buf, sizeof(buf), false);
	assert_int_equal(vigil_nflog_parse(nlh, &pkt), 0);
	assert_true(pkt.ts_ns == 0);
}

static void test_dns_nflog_refuses_short_attributes(void **state)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct nlattr *a;
	struct vigil_dns_capture_pkt pkt;

	(void)state;
	/* Another message type is not a packet. */
	nlh = nflog_msg(buf, sizeof(buf), true);
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	assert_int_equal(vigil_nflog_parse(nlh, &pkt), -ENOMSG);

	/* A uid attribute of 2 bytes, a time of 8 (alignment keeps the
	 * next attribute where it was): refused, never read past. */
	nlh = nflog_msg(buf, sizeof(buf), true);
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFULA_UID)
			a->nla_len = MNL_ATTR_HDRLEN + 2;
	assert_int_equal(vigil_nflog_parse(nlh, &pkt), -EBADMSG);
	nlh = nflog_msg(buf, sizeof(buf), true);
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFULA_TIMESTAMP)
			a->nla_len = MNL_ATTR_HDRLEN + 8;
	assert_int_equal(vigil_nflog_parse(nlh, &pkt), -EBADMSG);

	/* No payload, or a message cut before its attributes end. */
	nlh = nflog_msg(buf, sizeof(buf), true);
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFULA_PAYLOAD)
			a->nla_type = NFULA_PREFIX;
	assert_int_equal(vigil_nflog_parse(nlh, &pkt), -EBADMSG);
	nlh = nflog_msg(buf, sizeof(buf), true);
	nlh->nlmsg_len -= sizeof(v4_udp);
	assert_int_equal(vigil_nflog_parse(nlh, &pkt), -EBADMSG);
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN;
	assert_int_equal(vigil_nflog_parse(nlh, &pkt), -EBADMSG);

	/* A length above INT_MAX passes libmnl's own check (it compares
	 * as int); the walk's check refuses it, and one past the buffer. */
	nlh = nflog_msg(buf, sizeof(buf), true);
	assert_true(vigil_nlmsg_ok(nlh, (int)sizeof(buf)));
	nlh->nlmsg_len = 0x80000010u;
	assert_false(vigil_nlmsg_ok(nlh, (int)sizeof(buf)));
	nlh->nlmsg_len = sizeof(buf) + 4;
	assert_false(vigil_nlmsg_ok(nlh, (int)sizeof(buf)));
}

/* Writes an executable shell script at dir/name that prints what. */
static void write_fake_tool(const char *dir, const char *name,
			    const char *what)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "#!/bin/sh\necho %s\n", what);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, 0755), 0);
}

/*
 * The firewall tools run as root with CAP_NET_ADMIN: a program earlier on
 * vigild's PATH must not stand in for them, and vigild's environment
 * (LD_PRELOAD and the like) must not reach them.  A fake sh and nft sit
 * first on PATH; what runs is the system's sh, and it sees neither the
 * variable set here nor that PATH.
 */
static void test_dns_firewall_tools_ignore_path_and_environment(void **state)
{
	char dir[] = "/tmp/vigil-fw-test-XXXXXX";
	char *old_path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	char *argv[] = { (char *)"sh", (char *)"-c",
			 (char *)"echo ${VIGIL_FW_TEST_LEAK:-clean} $PATH",
			 NULL };
	char msg[256], path[64], fake[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_fake_tool(dir, "sh", "fake-sh");
	write_fake_tool(dir, "nft", "fake-nft");
	assert_int_equal(setenv("PATH", dir, 1), 0);
	assert_int_equal(setenv("VIGIL_FW_TEST_LEAK", "leaked", 1), 0);

	assert_int_equal(vigil__firewall_run(argv, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "clean /usr/sbin:/usr/bin:/sbin:/bin");
	snprintf(fake, sizeof(fake), "%s/nft", dir);
	if (vigil__firewall_tool_path("nft", path, sizeof(path)) == 0)
		assert_string_not_equal(path, fake);
	assert_int_equal(vigil__firewall_tool_path("../nft", path,
						   sizeof(path)), -EINVAL);

	unsetenv("VIGIL_FW_TEST_LEAK");
	if (old_path)
		setenv("PATH", old_path, 1);
	free(old_path);
	unlink(fake);
	snprintf(fake, sizeof(fake), "%s/sh", dir);
	unlink(fake);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_packet_finds_udp_payload_in_ipv4),
		cmocka_unit_test(test_dns_packet_refuses_bad_ipv4_headers),
		cmocka_unit_test(test_dns_packet_trusts_no_length_field),
		cmocka_unit_test(test_dns_packet_walks_ipv6_extension_headers),
		cmocka_unit_test(test_dns_match_pairs_answer_with_query),
		cmocka_unit_test(test_dns_match_expires_and_evicts),
		cmocka_unit_test(test_dns_nflog_reads_packet_uid_seq_and_kernel_time),
		cmocka_unit_test(test_dns_nflog_refuses_short_attributes),
		cmocka_unit_test(test_dns_firewall_nft_script_replaces_own_table),
		cmocka_unit_test(test_dns_firewall_nft_script_logs_loopback_at_input),
		cmocka_unit_test(test_dns_firewall_tools_ignore_path_and_environment),
		cmocka_unit_test(test_dns_tcp_reassembles_message_across_segments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
