/*
 * fuzz_dns.c - libFuzzer target for the DNS wire parser and TCP framing.
 *
 * The input is read as one UDP message, as a TCP payload of length-prefixed
 * messages, and as a whole queued IP packet (headers, then the TCP stream
 * reassembler across inputs), the ways the NFQUEUE source feeds the
 * parser.  Every accepted message's strings must lie in the arena and be
 * NUL-terminated.
 */
#include "config.h"

#include <assert.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns/dns_packet.h"
#include "dns/dns_parse.h"
#include "dns/dns_tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ARENA_CHUNK 4096

static void check(const struct vigil_dns_part *d)
{
	uint32_t i;

	assert(d->qname.ptr[d->qname.len] == '\0');
	assert(d->answers.n <= VIGIL_DNS_MAX_ANSWERS);
	assert(d->answers.n <= d->answer_count);
	for (i = 0; i < d->answers.n; i++) {
		assert(d->answers.v[i].len <= VIGIL_DNS_MAX_TEXT);
		assert(d->answers.v[i].ptr[d->answers.v[i].len] == '\0');
	}
}

static struct vigil_arena arena;

static void on_msg(void *arg, const uint8_t *msg, size_t len)
{
	struct vigil_dns_part d;

	(void)arg;
	memset(&d, 0, sizeof(d));
	if (vigil_dns_parse(msg, len, &arena, &d) == 0)
		check(&d);
	vigil_arena_reset(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vigil_dns_tcp tcp;
	static int ready;
	struct vigil_dns_part d;
	struct vigil_dns_l4 l4;
	const uint8_t *msg;
	size_t off = 0, len;

	if (!ready) {
		vigil_arena_init(&arena, ARENA_CHUNK);
		/* Streams persist across inputs, as across packets. */
		if (vigil_dns_tcp_init(&tcp, 4, INT64_MAX / 2))
			return 0;
		ready = 1;
	}
	if (vigil_dns_packet_parse(data, size, &l4) == 0) {
		assert(l4.payload >= data &&
		       l4.payload + l4.payload_len <= data + size);
		if (l4.proto == IPPROTO_UDP)
			on_msg(NULL, l4.payload, l4.payload_len);
		else
			(void)vigil_dns_tcp_feed(&tcp, &l4, 1, on_msg, NULL);
	}
	memset(&d, 0, sizeof(d));
	if (vigil_dns_parse(data, size, &arena, &d) == 0)
		check(&d);
	vigil_arena_reset(&arena);
	while (vigil_dns_tcp_next(data, size, &off, &msg, &len) == 1) {
		memset(&d, 0, sizeof(d));
		if (vigil_dns_parse(msg, len, &arena, &d) == 0)
			check(&d);
		vigil_arena_reset(&arena);
	}
	return 0;
}
