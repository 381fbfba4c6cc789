/*
 * dns_match.c - query/answer pairing table (dns_match.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_match.h"

struct vigil_dns_pending {
	struct vigil_dns_flow flow;
	struct vigil_dns_owner who;
	int64_t seen_ns; /* 0: free */
};

/* Largest table accepted: a million pending queries. */
#define MATCH_MAX_CAP ((size_t)1 << 20)
/* Hash constants: an odd multiplier with well-mixed bits (the golden
 * ratio's), any seed, and a shift that folds the high bits down. */
#define HASH_MUL 0x9e3779b97f4a7c15ull
#define HASH_SEED 0x243f6a8885a308d3ull
#define HASH_SHIFT 29

int vigil_dns_match_init(struct vigil_dns_match *m, size_t cap,
			 int64_t expiry_ns)
{
	size_t n = VIGIL_DNS_MATCH_PROBES;

	memset(m, 0, sizeof(*m));
	if (cap == 0 || cap > MATCH_MAX_CAP || expiry_ns <= 0)
		return -EINVAL;
	while (n < cap)
		n <<= 1;
	m->slots = calloc(n, sizeof(*m->slots));
	if (!m->slots)
		return -ENOMEM;
	m->cap = n;
	m->expiry_ns = expiry_ns;
	return 0;
}

void vigil_dns_match_free(struct vigil_dns_match *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = 0;
}

/* Folds 8 bytes into the hash (a multiply-xorshift round). */
static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= HASH_MUL;
	return h ^ (h >> HASH_SHIFT);
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Hashes the members one by one (the struct has padding), 8 bytes at a
 * time: this runs twice per query. */
static size_t flow_hash(const struct vigil_dns_flow *f)
{
	uint64_t h = HASH_SEED;

	h = mix(h, load64(f->client.addr));
	h = mix(h, load64(f->client.addr + 8));
	h = mix(h, load64(f->server.addr));
	h = mix(h, load64(f->server.addr + 8));
	h = mix(h, (uint64_t)f->client_port << 48 |
		       (uint64_t)f->server_port << 32 | (uint64_t)f->id << 16 |
		       (uint64_t)f->proto << 8 | f->client.family);
	return (size_t)h;
}

static bool ip_eq(const struct vigil_ip *a, const struct vigil_ip *b)
{
	return a->family == b->family &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

static bool flow_eq(const struct vigil_dns_flow *a,
		    const struct vigil_dns_flow *b)
{
	return a->id == b->id && a->client_port == b->client_port &&
	       a->server_port == b->server_port && a->proto == b->proto &&
	       ip_eq(&a->client, &b->client) && ip_eq(&a->server, &b->server);
}

/* Frees the slot if its query is too old to expect an answer. */
static bool slot_live(struct vigil_dns_match *m, struct vigil_dns_pending *s,
		      int64_t now_ns)
{
	if (!s->seen_ns)
		return false;
	if (now_ns - s->seen_ns > m->expiry_ns) {
		s->seen_ns = 0;
		m->expired++;
		return false;
	}
	return true;
}

void vigil_dns_match_query(struct vigil_dns_match *m,
			   const struct vigil_dns_flow *f, int64_t now_ns,
			   const struct vigil_dns_owner *who)
{
	size_t h = flow_hash(f), i;
	struct vigil_dns_pending *slot = NULL, *oldest = NULL;

	for (i = 0; i < VIGIL_DNS_MATCH_PROBES; i++) {
		struct vigil_dns_pending *s = &m->slots[(h + i) & (m->cap - 1)];

		if (!slot_live(m, s, now_ns)) {
			if (!slot)
				slot = s;
			continue;
		}
		if (flow_eq(&s->flow, f)) {
			slot = s; /* a retransmission: restart the clock */
			break;
		}
		if (!oldest || s->seen_ns < oldest->seen_ns)
			oldest = s;
	}
	if (!slot) {
		slot = oldest;
		m->evicted++;
	}
	slot->flow = *f;
	slot->who = *who;
	/* 0 marks a free slot; a clock at exactly 0 is nudged. */
	slot->seen_ns = now_ns ? now_ns : 1;
}

bool vigil_dns_match_answer(struct vigil_dns_match *m,
			    const struct vigil_dns_flow *f, int64_t now_ns,
			    int64_t *latency_ns, struct vigil_dns_owner *who)
{
	size_t h = flow_hash(f), i;

	for (i = 0; i < VIGIL_DNS_MATCH_PROBES; i++) {
		struct vigil_dns_pending *s = &m->slots[(h + i) & (m->cap - 1)];

		if (!slot_live(m, s, now_ns) || !flow_eq(&s->flow, f))
			continue;
		*latency_ns = now_ns - s->seen_ns;
		*who = s->who;
		s->seen_ns = 0;
		m->matched++;
		return true;
	}
	return false;
}
