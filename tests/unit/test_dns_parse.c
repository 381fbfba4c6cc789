/*
 * test_dns_parse.c - the DNS wire parser on real resolver answers of every
 * record type, on TCP framing, and on a hostile corpus that must be
 * rejected with the right reason and counted.
 *
 * Fixtures live in tests/fixtures/dns (see gen-hostile.py there).
 */
#include "config.h"

#include <arpa/nameser.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dns/dns_parse.h"

#ifndef VIGIL_DNS_FIXTURES
#error "VIGIL_DNS_FIXTURES must name tests/fixtures/dns"
#endif

#define MAX_FIXTURE 4096
#define ARENA_CHUNK 4096

struct fixture {
	uint8_t data[MAX_FIXTURE];
	size_t len;
};

/* Reads tests/fixtures/dns/<name> into f; fails the test if missing. */
static void load(const char *name, struct fixture *f)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", VIGIL_DNS_FIXTURES, name);
	fp = fopen(path, "rb");
	if (!fp)
		fail_msg("cannot open %s", path);
	f->len = fread(f->data, 1, sizeof(f->data), fp);
	assert_false(ferror(fp));
	assert_true(feof(fp) || f->len < sizeof(f->data));
	fclose(fp);
}

static int parse(const struct fixture *f, struct vigil_arena *a,
		 struct vigil_dns_part *d)
{
	memset(d, 0, sizeof(*d));
	return vigil_dns_parse(f->data, f->len, a, d);
}

static void assert_str(struct vigil_str s, const char *want)
{
	if (s.len != strlen(want) || memcmp(s.ptr, want, s.len) != 0)
		fail_msg("got \"%.*s\", want \"%s\"", (int)s.len, s.ptr, want);
}

struct expect {
	const char *file;
	uint8_t direction;
	const char *qname;
	uint16_t qtype;
	uint8_t rcode;
	uint16_t answer_count;
	const char *answers[3];
};

/* Real unbound answers to dig (see tests/integration/dns). */
static const struct expect real[] = {
	{ "ok-query-a.bin", VIGIL_DNS_QUERY, "www.test.example", ns_t_a,
	  ns_r_noerror, 0, { NULL } },
	{ "ok-response-a.bin", VIGIL_DNS_RESPONSE, "www.test.example", ns_t_a,
	  ns_r_noerror, 2, { "A 192.0.2.1", "A 192.0.2.2" } },
	{ "ok-response-aaaa.bin", VIGIL_DNS_RESPONSE, "www.test.example",
	  ns_t_aaaa, ns_r_noerror, 1, { "AAAA 2001:db8::1" } },
	{ "ok-response-aaaa-v6.bin", VIGIL_DNS_RESPONSE, "www.test.example",
	  ns_t_aaaa, ns_r_noerror, 1, { "AAAA 2001:db8::1" } },
	{ "ok-response-cname.bin", VIGIL_DNS_RESPONSE, "alias.test.example",
	  ns_t_a, ns_r_noerror, 1, { "CNAME www.test.example" } },
	{ "ok-response-txt.bin", VIGIL_DNS_RESPONSE, "txt.test.example",
	  ns_t_txt, ns_r_noerror, 1,
	  { "TXT \"v=spf1 -all\" \"two words\" \"tab\\009and\\\"quote\"" } },
	{ "ok-response-mx.bin", VIGIL_DNS_RESPONSE, "test.example", ns_t_mx,
	  ns_r_noerror, 1, { "MX 10 mail.test.example" } },
	{ "ok-response-srv.bin", VIGIL_DNS_RESPONSE, "_sip._udp.test.example",
	  ns_t_srv, ns_r_noerror, 1, { "SRV 0 5 5060 sip.test.example" } },
	{ "ok-response-ptr.bin", VIGIL_DNS_RESPONSE, "1.2.0.192.in-addr.arpa",
	  ns_t_ptr, ns_r_noerror, 1, { "PTR www.test.example" } },
	{ "ok-response-ns.bin", VIGIL_DNS_RESPONSE, "test.example", ns_t_ns,
	  ns_r_noerror, 1, { "NS ns.test.example" } },
	{ "ok-response-soa.bin", VIGIL_DNS_RESPONSE, "test.example", ns_t_soa,
	  ns_r_noerror, 1,
	  { "SOA ns.test.example hostmaster.test.example 2026112901 7200 "
	    "3600 1209600 300" } },
	{ "ok-response-nxdomain.bin", VIGIL_DNS_RESPONSE, "nx.test.example",
	  ns_t_a, ns_r_nxdomain, 0, { NULL } },
};

static void test_dns_parse_real_answers_of_every_record_type(void **state)
{
	struct vigil_arena a;
	size_t i, j;

	(void)state;
	vigil_arena_init(&a, ARENA_CHUNK);
	for (i = 0; i < VIGIL_ARRAY_SIZE(real); i++) {
		const struct expect *e = &real[i];
		struct vigil_dns_part d;
		struct fixture f;
		int rc;

		load(e->file, &f);
		rc = parse(&f, &a, &d);
		if (rc)
			fail_msg("%s: %s", e->file,
				 vigil_dns_reason_name(vigil_dns_reason(rc)));
		assert_int_equal(d.direction, e->direction);
		assert_str(d.qname, e->qname);
		assert_int_equal(d.qtype, e->qtype);
		assert_int_equal(d.qclass, ns_c_in);
		assert_int_equal(d.rcode, e->rcode);
		assert_int_equal(d.question_count, 1);
		assert_int_equal(d.answer_count, e->answer_count);
		assert_int_equal(d.answers.n, e->answer_count);
		for (j = 0; j < d.answers.n; j++)
			assert_str(d.answers.v[j], e->answers[j]);
		assert_int_equal(d.truncated, 0);
		vigil_arena_reset(&a);
	}
	vigil_arena_free(&a);
}

static void test_dns_parse_reports_tc_bit(void **state)
{
	struct vigil_arena a;
	struct vigil_dns_part d;
	struct fixture f;

	(void)state;
	vigil_arena_init(&a, ARENA_CHUNK);
	load("ok-response-tc.bin", &f);
	assert_int_equal(parse(&f, &a, &d), 0);
	assert_int_equal(d.truncated, 1);
	assert_str(d.qname, "big.test.example");
	assert_int_equal(d.answers.n, 0);
	vigil_arena_free(&a);
}

/*
 * Every bad-<reason>--*.bin must be refused with exactly <reason>; the
 * per-reason counters must add up to the number of files and every parse
 * reason must be exercised at least once.
 */
static void test_dns_parse_rejects_hostile_corpus_with_reason(void **state)
{
	uint64_t counters[VIGIL_DNS_R__COUNT] = { 0 };
	struct vigil_arena a;
	struct dirent *de;
	uint64_t files = 0, total = 0;
	DIR *dir;
	size_t r;

	(void)state;
	vigil_arena_init(&a, ARENA_CHUNK);
	dir = opendir(VIGIL_DNS_FIXTURES);
	assert_non_null(dir);
	while ((de = readdir(dir))) {
		const char *want = de->d_name + strlen("bad-");
		const char *sep = strstr(de->d_name, "--");
		struct vigil_dns_part d;
		struct fixture f;
		const char *got;
		int rc;

		if (strncmp(de->d_name, "bad-", strlen("bad-")) || !sep)
			continue;
		load(de->d_name, &f);
		rc = parse(&f, &a, &d);
		if (rc >= 0)
			fail_msg("%s was accepted", de->d_name);
		got = vigil_dns_reason_name(vigil_dns_reason(rc));
		if (strlen(got) != (size_t)(sep - want) ||
		    strncmp(got, want, (size_t)(sep - want)))
			fail_msg("%s: rejected as %s", de->d_name, got);
		counters[vigil_dns_reason(rc)]++;
		files++;
		vigil_arena_reset(&a);
	}
	closedir(dir);
	assert_true(files >= 30);
	for (r = 0; r < VIGIL_DNS_R__COUNT; r++) {
		total += counters[r];
		if (r != VIGIL_DNS_R_OTHER && r != VIGIL_DNS_R_TCP_PARTIAL &&
		    !counters[r])
			fail_msg("no fixture for %s",
				 vigil_dns_reason_name((enum vigil_dns_reason)r));
	}
	assert_int_equal(counters[VIGIL_DNS_R_OTHER], 0);
	assert_int_equal(total, files);
	vigil_arena_free(&a);
}

static void test_dns_parse_rejects_random_bytes(void **state)
{
	struct vigil_arena a;
	struct dirent *de;
	unsigned int n = 0;
	DIR *dir;

	(void)state;
	vigil_arena_init(&a, ARENA_CHUNK);
	dir = opendir(VIGIL_DNS_FIXTURES);
	assert_non_null(dir);
	while ((de = readdir(dir))) {
		struct vigil_dns_part d;
		struct fixture f;
		int rc;

		if (strncmp(de->d_name, "random--", strlen("random--")))
			continue;
		load(de->d_name, &f);
		rc = parse(&f, &a, &d);
		if (rc >= 0)
			fail_msg("%s was accepted", de->d_name);
		assert_int_not_equal(vigil_dns_reason(rc), VIGIL_DNS_R_OTHER);
		n++;
		vigil_arena_reset(&a);
	}
	closedir(dir);
	assert_true(n >= 20);
	vigil_arena_free(&a);
}

/* No prefix of a valid answer is a valid message, and none crashes. */
static void test_dns_parse_rejects_every_prefix_of_real_answer(void **state)
{
	static const char *const names[] = { "ok-response-soa.bin",
					     "ok-response-srv.bin",
					     "ok-response-txt.bin" };
	struct vigil_arena a;
	size_t i, n;

	(void)state;
	vigil_arena_init(&a, ARENA_CHUNK);
	for (i = 0; i < VIGIL_ARRAY_SIZE(names); i++) {
		struct fixture f;

		load(names[i], &f);
		for (n = 0; n < f.len; n++) {
			struct vigil_dns_part d;
			uint8_t *copy = malloc(n ? n : 1);
			int rc;

			assert_non_null(copy);
			memcpy(copy, f.data, n);
			memset(&d, 0, sizeof(d));
			/* An exact-size heap copy lets ASan see overreads. */
			rc = vigil_dns_parse(copy, n, &a, &d);
			free(copy);
			assert_true(rc < 0);
			assert_int_not_equal(vigil_dns_reason(rc),
					     VIGIL_DNS_R_OTHER);
			vigil_arena_reset(&a);
		}
	}
	vigil_arena_free(&a);
}

static void test_dns_tcp_splits_two_messages_in_one_segment(void **state)
{
	struct vigil_arena a;
	struct fixture f;
	const uint8_t *msg;
	size_t off = 0, len;
	struct vigil_dns_part d;

	(void)state;
	vigil_arena_init(&a, ARENA_CHUNK);
	load("tcp-two-messages.bin", &f);
	assert_int_equal(vigil_dns_tcp_next(f.data, f.len, &off, &msg, &len), 1);
	assert_int_equal(vigil_dns_parse(msg, len, &a, &d), 0);
	assert_int_equal(d.direction, VIGIL_DNS_QUERY);
	assert_int_equal(vigil_dns_tcp_next(f.data, f.len, &off, &msg, &len), 1);
	assert_int_equal(vigil_dns_parse(msg, len, &a, &d), 0);
	assert_int_equal(d.direction, VIGIL_DNS_RESPONSE);
	assert_int_equal(d.answers.n, 2);
	assert_int_equal(vigil_dns_tcp_next(f.data, f.len, &off, &msg, &len), 0);
	vigil_arena_free(&a);
}

static void test_dns_tcp_partial_message_is_refused(void **state)
{
	struct fixture f;
	const uint8_t *msg;
	size_t off = 0, len;
	int rc;

	(void)state;
	load("tcp-partial.bin", &f);
	rc = vigil_dns_tcp_next(f.data, f.len, &off, &msg, &len);
	assert_int_equal(vigil_dns_reason(rc), VIGIL_DNS_R_TCP_PARTIAL);
	assert_string_equal(vigil_dns_reason_name(vigil_dns_reason(rc)),
			    "tcp_partial");
	/* A lone byte cannot even hold the length. */
	off = 0;
	rc = vigil_dns_tcp_next(f.data, 1, &off, &msg, &len);
	assert_int_equal(vigil_dns_reason(rc), VIGIL_DNS_R_TCP_PARTIAL);
}

/* A 1200-octet TXT over TCP is parsed and its text cut with "...". */
static void test_dns_tcp_big_txt_answer_is_cut_not_lost(void **state)
{
	struct vigil_arena a;
	struct fixture f;
	const uint8_t *msg;
	size_t off = 0, len;
	struct vigil_dns_part d;
	struct vigil_str s;

	(void)state;
	vigil_arena_init(&a, ARENA_CHUNK);
	load("tcp-response-big-txt.bin", &f);
	assert_int_equal(vigil_dns_tcp_next(f.data, f.len, &off, &msg, &len), 1);
	assert_int_equal(vigil_dns_parse(msg, len, &a, &d), 0);
	assert_int_equal(d.answers.n, 1);
	s = d.answers.v[0];
	assert_int_equal(s.len, VIGIL_DNS_MAX_TEXT);
	assert_memory_equal(s.ptr, "TXT \"aaaa", 9);
	assert_memory_equal(s.ptr + s.len - 3, "...", 3);
	assert_int_equal(s.ptr[s.len], '\0');
	vigil_arena_free(&a);
}

/* Builds a message by hand: header + question of name wire bytes. */
static size_t build(uint8_t *out, const void *hdr, const void *name,
		    size_t name_len, const void *rest, size_t rest_len)
{
	memcpy(out, hdr, NS_HFIXEDSZ);
	memcpy(out + NS_HFIXEDSZ, name, name_len);
	memcpy(out + NS_HFIXEDSZ + name_len, rest, rest_len);
	return NS_HFIXEDSZ + name_len + rest_len;
}

static void test_dns_parse_lowercases_and_escapes_qname(void **state)
{
	static const uint8_t hdr[] = { 0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
	static const uint8_t name[] = "\3WwW\4a.b \7ExAmPlE\3(\310;";
	static const uint8_t qtail[] = { 0, 0, ns_t_a, 0, ns_c_in };
	struct vigil_arena a;
	struct vigil_dns_part d;
	uint8_t msg[64];
	size_t n;

	(void)state;
	vigil_arena_init(&a, ARENA_CHUNK);
	n = build(msg, hdr, name, sizeof(name) - 1, qtail, sizeof(qtail));
	assert_int_equal(vigil_dns_parse(msg, n, &a, &d), 0);
	assert_str(d.qname, "www.a\\.b\\032.example.\\(\\200\\;");
	assert_int_equal(d.id, 7);
	assert_int_equal(d.direction, VIGIL_DNS_QUERY);
	vigil_arena_free(&a);
}

/* dig's presentation of one byte, as the test's own reference: a name
 * escapes ".\\\"();" with a backslash, a TXT string only "\"\\" and keeps
 * spaces; both write what is not printable ASCII as \DDD. */
static void dig_byte(uint8_t c, bool txt, char *out)
{
	const char *special = txt ? "\"\\" : ".\\\"();";

	if (txt && c == ' ')
		sprintf(out, " ");
	else if (c <= ' ' || c >= 0x7f)
		sprintf(out, "\\%03u", c);
	else if (strchr(special, c))
		sprintf(out, "\\%c", c);
	else
		sprintf(out, "%c", c);
}

static void test_dns_parse_escapes_every_byte_as_dig_does(void **state)
{
	static const uint8_t hdr[] = { 0, 7, 0x80, 0, 0, 1, 0, 1, 0, 0, 0, 0 };
	static const uint8_t qtail[] = { 0, ns_t_txt, 0, ns_c_in };
	struct vigil_arena a;
	struct vigil_dns_part d;
	unsigned int c;

	(void)state;
	vigil_arena_init(&a, ARENA_CHUNK);
	for (c = 0; c <= UINT8_MAX; c++) {
		/* question "<c>.x" TXT, answer: pointer to it, TXT "<c>" */
		uint8_t name[] = { 1, (uint8_t)c, 1, 'x', 0 };
		uint8_t rest[sizeof(qtail) + 2 + NS_RRFIXEDSZ + 2];
		uint8_t msg[64];
		char want[32], b[8];
		size_t n = 0;

		memcpy(rest, qtail, sizeof(qtail));
		n = sizeof(qtail);
		rest[n++] = 0xc0; /* pointer to the question's name */
		rest[n++] = NS_HFIXEDSZ;
		memcpy(rest + n, (const uint8_t[]){ 0, ns_t_txt, 0, ns_c_in, 0,
						    0, 0, 60, 0, 2 },
		       NS_RRFIXEDSZ);
		n += NS_RRFIXEDSZ;
		rest[n++] = 1;
		rest[n++] = (uint8_t)c;
		n = build(msg, hdr, name, sizeof(name), rest, n);
		vigil_arena_reset(&a);
		assert_int_equal(vigil_dns_parse(msg, n, &a, &d), 0);
		/* The question is lower-cased, the answer's text is not. */
		dig_byte(c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') :
						(uint8_t)c, false, b);
		snprintf(want, sizeof(want), "%s.x", b);
		assert_str(d.qname, want);
		dig_byte((uint8_t)c, true, b);
		snprintf(want, sizeof(want), "TXT \"%s\"", b);
		assert_str(d.answers.v[0], want);
	}
	vigil_arena_free(&a);
}

static void test_dns_parse_root_qname_is_dot(void **state)
{
	static const uint8_t msg[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
				       0, 0, ns_t_ns, 0, ns_c_in };
	struct vigil_arena a;
	struct vigil_dns_part d;

	(void)state;
	vigil_arena_init(&a, ARENA_CHUNK);
	assert_int_equal(vigil_dns_parse(msg, sizeof(msg), &a, &d), 0);
	assert_str(d.qname, ".");
	assert_int_equal(d.qtype, ns_t_ns);
	vigil_arena_free(&a);
}

/* EDNS0 BADVERS (16) only exists as header RCODE 0 + OPT extension 1. */
static void test_dns_parse_applies_edns_extended_rcode(void **state)
{
	static const uint8_t hdr[] = { 0, 2, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 1 };
	static const uint8_t name[] = "\1x";
	static const uint8_t rest[] = {
		0, 0, ns_t_a, 0, ns_c_in,
		/* OPT: root owner, type 41, class 1232, ttl ext-rcode 1 */
		0, 0, ns_t_opt, 0x04, 0xd0, 1, 0, 0, 0,
		/* rdlen 8: one option, code 10 (cookie), 4 bytes */
		0, 8, 0, 10, 0, 4, 1, 2, 3, 4,
	};
	struct vigil_arena a;
	struct vigil_dns_part d;
	uint8_t msg[64];
	size_t n;

	(void)state;
	vigil_arena_init(&a, ARENA_CHUNK);
	n = build(msg, hdr, name, sizeof(name) - 1, rest, sizeof(rest));
	assert_int_equal(vigil_dns_parse(msg, n, &a, &d), 0);
	assert_int_equal(d.rcode, ns_r_badvers);
	vigil_arena_free(&a);
}

/* Unknown types are skipped by length and shown as RFC 3597 says. */
static void test_dns_parse_skips_unknown_type_safely(void **state)
{
	static const uint8_t hdr[] = { 0, 3, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0 };
	static const uint8_t name[] = "\1x";
	static const uint8_t rest[] = {
		0, 0, ns_t_a, 0, ns_c_in,
		0xc0, 12, 0xff, 0x00, 0, ns_c_in, 0, 0, 0, 60, 0, 3, 9, 9, 9,
		0xc0, 12, 0, ns_t_a, 0, ns_c_in, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1,
	};
	struct vigil_arena a;
	struct vigil_dns_part d;
	uint8_t msg[80];
	size_t n;

	(void)state;
	vigil_arena_init(&a, ARENA_CHUNK);
	n = build(msg, hdr, name, sizeof(name) - 1, rest, sizeof(rest));
	assert_int_equal(vigil_dns_parse(msg, n, &a, &d), 0);
	assert_int_equal(d.answers.n, 2);
	assert_str(d.answers.v[0], "TYPE65280 \\# 3");
	assert_str(d.answers.v[1], "A 10.0.0.1");
	vigil_arena_free(&a);
}

/* More answers than are kept: all are checked and counted, 32 stored. */
static void test_dns_parse_keeps_bounded_number_of_answers(void **state)
{
	static const uint8_t q[] = { 1, 'x', 0, 0, ns_t_a, 0, ns_c_in };
	static const uint8_t rr[] = { 0xc0, 12, 0, ns_t_a, 0, ns_c_in,
				      0, 0, 0, 60, 0, 4, 10, 0, 0, 1 };
	enum { N = 100 };
	uint8_t msg[NS_HFIXEDSZ + sizeof(q) + N * sizeof(rr)];
	struct vigil_arena a;
	struct vigil_dns_part d;
	size_t off = NS_HFIXEDSZ;
	int i;

	(void)state;
	memset(msg, 0, NS_HFIXEDSZ);
	msg[2] = 0x81;
	msg[5] = 1;
	msg[7] = N;
	memcpy(msg + off, q, sizeof(q));
	off += sizeof(q);
	for (i = 0; i < N; i++, off += sizeof(rr))
		memcpy(msg + off, rr, sizeof(rr));
	vigil_arena_init(&a, ARENA_CHUNK);
	assert_int_equal(vigil_dns_parse(msg, off, &a, &d), 0);
	assert_int_equal(d.answer_count, N);
	assert_int_equal(d.answers.n, VIGIL_DNS_MAX_ANSWERS);
	/* A corrupt last record still rejects the whole message. */
	msg[off - 5] = 5;
	assert_true(vigil_dns_parse(msg, off, &a, &d) < 0);
	vigil_arena_free(&a);
}

static void test_dns_reason_names_are_distinct(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < VIGIL_DNS_R__COUNT; i++)
		for (j = i + 1; j < VIGIL_DNS_R__COUNT; j++)
			assert_string_not_equal(
				vigil_dns_reason_name((enum vigil_dns_reason)i),
				vigil_dns_reason_name((enum vigil_dns_reason)j));
	assert_int_equal(vigil_dns_reason(-ENOMEM), VIGIL_DNS_R_OTHER);
	assert_int_equal(vigil_dns_reason(0), VIGIL_DNS_R_OTHER);
	assert_string_equal(vigil_dns_type_name(ns_t_srv), "SRV");
	assert_null(vigil_dns_type_name(0xff00));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_parse_real_answers_of_every_record_type),
		cmocka_unit_test(test_dns_parse_reports_tc_bit),
		cmocka_unit_test(test_dns_parse_rejects_hostile_corpus_with_reason),
		cmocka_unit_test(test_dns_parse_rejects_random_bytes),
		cmocka_unit_test(test_dns_parse_rejects_every_prefix_of_real_answer),
		cmocka_unit_test(test_dns_tcp_splits_two_messages_in_one_segment),
		cmocka_unit_test(test_dns_tcp_partial_message_is_refused),
		cmocka_unit_test(test_dns_tcp_big_txt_answer_is_cut_not_lost),
		cmocka_unit_test(test_dns_parse_lowercases_and_escapes_qname),
		cmocka_unit_test(test_dns_parse_escapes_every_byte_as_dig_does),
		cmocka_unit_test(test_dns_parse_root_qname_is_dot),
		cmocka_unit_test(test_dns_parse_applies_edns_extended_rcode),
		cmocka_unit_test(test_dns_parse_skips_unknown_type_safely),
		cmocka_unit_test(test_dns_parse_keeps_bounded_number_of_answers),
		cmocka_unit_test(test_dns_reason_names_are_distinct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
