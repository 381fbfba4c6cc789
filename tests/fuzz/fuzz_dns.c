/*
 * fuzz_dns.c - libFuzzer target for the DNS wire parser and TCP framing.
 *
 * The input is read both as one UDP message and as a TCP payload of
 * length-prefixed messages, the two ways the NFQUEUE source feeds the
 * parser.  Every accepted message's strings must lie in the arena and be
 * NUL-terminated.
 */
#include "config.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sources/dns_parse.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vigil_arena arena;
	static int ready;
	struct vigil_dns_part d;
	const uint8_t *msg;
	size_t off = 0, len;

	if (!ready) {
		vigil_arena_init(&arena, ARENA_CHUNK);
		ready = 1;
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
