/*
 * dns_tcp.c - DNS over TCP across segments (dns_tcp.h).
 */
#include "config.h"

#include <arpa/nameser.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_parse.h"
#include "dns/dns_tcp.h"

/* A length prefix and the largest message it can announce. */
#define TCP_MSG_MAX (NS_INT16SZ + UINT16_MAX)
#define TCP_MAX_STREAMS 4096

struct vigil_dns_tcp_stream {
	struct vigil_ip src, dst;
	uint16_t sport, dport;
	uint32_t next_seq;
	int64_t seen_ns; /* 0: free */
	uint8_t *buf;    /* owned; TCP_MSG_MAX bytes once allocated */
	size_t len;
};

int vigil_dns_tcp_init(struct vigil_dns_tcp *t, size_t streams,
		       int64_t expiry_ns)
{
	memset(t, 0, sizeof(*t));
	if (!streams || streams > TCP_MAX_STREAMS || expiry_ns <= 0)
		return -EINVAL;
	t->streams = calloc(streams, sizeof(*t->streams));
	if (!t->streams)
		return -ENOMEM;
	t->n = streams;
	t->expiry_ns = expiry_ns;
	return 0;
}

void vigil_dns_tcp_free(struct vigil_dns_tcp *t)
{
	size_t i;

	for (i = 0; t->streams && i < t->n; i++)
		free(t->streams[i].buf);
	free(t->streams);
	t->streams = NULL;
	t->n = 0;
}

static bool same_ip(const struct vigil_ip *a, const struct vigil_ip *b)
{
	return a->family == b->family && !memcmp(a->addr, b->addr,
						 sizeof(a->addr));
}

static bool stream_is(const struct vigil_dns_tcp_stream *s,
		      const struct vigil_dns_l4 *l4)
{
	return s->sport == l4->src_port && s->dport == l4->dst_port &&
	       same_ip(&s->src, &l4->src) && same_ip(&s->dst, &l4->dst);
}

/* Finds the stream of l4, forgetting expired ones on the way. */
static struct vigil_dns_tcp_stream *find(struct vigil_dns_tcp *t,
					 const struct vigil_dns_l4 *l4,
					 int64_t now_ns)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		struct vigil_dns_tcp_stream *s = &t->streams[i];

		if (s->seen_ns && now_ns - s->seen_ns > t->expiry_ns)
			s->seen_ns = 0;
		if (s->seen_ns && stream_is(s, l4))
			return s;
	}
	return NULL;
}

/* Takes a free slot, or the least recently used one. */
static struct vigil_dns_tcp_stream *take(struct vigil_dns_tcp *t)
{
	struct vigil_dns_tcp_stream *oldest = &t->streams[0];
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (!t->streams[i].seen_ns)
			return &t->streams[i];
		if (t->streams[i].seen_ns < oldest->seen_ns)
			oldest = &t->streams[i];
	}
	t->evicted++;
	return oldest;
}

/* Serial-number "a is before or at b" (RFC 1982), for sequence numbers. */
static bool seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

/* Emits every whole message of p[0..len); returns where the unfinished
 * one starts (len when none). */
static size_t drain(const uint8_t *p, size_t len, vigil_dns_msg_cb cb,
		    void *arg, bool *emitted)
{
	const uint8_t *msg;
	size_t off = 0, mlen;

	while (vigil_dns_tcp_next(p, len, &off, &msg, &mlen) == 1) {
		cb(arg, msg, mlen);
		*emitted = true;
	}
	return off;
}

int vigil_dns_tcp_feed(struct vigil_dns_tcp *t, const struct vigil_dns_l4 *l4,
		       int64_t now_ns, vigil_dns_msg_cb cb, void *arg)
{
	struct vigil_dns_tcp_stream *s = find(t, l4, now_ns);
	const uint8_t *p = l4->payload;
	size_t len = l4->payload_len, rest;
	bool emitted = false;

	if (s && l4->tcp_seq != s->next_seq) {
		if (seq_le(l4->tcp_seq + (uint32_t)len, s->next_seq)) {
			t->retransmits++;
			return 0;
		}
		t->out_of_order++;
		s->seen_ns = 0;
		s = NULL;
	}
	if (s) {
		/* Continue the message in progress. */
		if (len > TCP_MSG_MAX - s->len) {
			s->seen_ns = 0;
			return VIGIL_DNS_ERR(VIGIL_DNS_R_TCP_PARTIAL);
		}
		memcpy(s->buf + s->len, p, len);
		s->len += len;
		s->next_seq += (uint32_t)len;
		s->seen_ns = now_ns ? now_ns : 1;
		rest = drain(s->buf, s->len, cb, arg, &emitted);
		if (emitted)
			t->reassembled++;
		memmove(s->buf, s->buf + rest, s->len - rest);
		s->len -= rest;
		if (!s->len)
			s->seen_ns = 0;
		return 0;
	}

	rest = drain(p, len, cb, arg, &emitted);
	if (rest == len)
		return 0;
	/* The tail starts a message the next segment will continue. */
	s = take(t);
	if (!s->buf) {
		s->buf = malloc(TCP_MSG_MAX);
		if (!s->buf) {
			s->seen_ns = 0;
			return -ENOMEM;
		}
	}
	s->src = l4->src;
	s->dst = l4->dst;
	s->sport = l4->src_port;
	s->dport = l4->dst_port;
	memcpy(s->buf, p + rest, len - rest);
	s->len = len - rest;
	s->next_seq = l4->tcp_seq + (uint32_t)len;
	s->seen_ns = now_ns ? now_ns : 1;
	return 0;
}
