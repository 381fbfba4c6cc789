/*
 * test_audit_reasm.c - grouping records into events: end-of-event rules,
 * interleaving, timeout, the in-flight cap, serial gaps, and EXECVE
 * decoding edge cases (split arguments, missing pieces, argc larger than
 * the fields present, PROCTITLE fallback).
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <libaudit.h>

#include "audit/audit_execve.h"
#include "audit/audit_reasm.h"

#define MAX_SEEN 32

struct seen {
	unsigned n;
	uint64_t serial[MAX_SEEN];
	uint32_t n_recs[MAX_SEEN];
	uint32_t end[MAX_SEEN];
};

static void on_event(void *ctx, const struct vigil_audit_asm_event *ae)
{
	struct seen *s = ctx;

	assert_true(s->n < MAX_SEEN);
	s->serial[s->n] = ae->serial;
	s->n_recs[s->n] = ae->n_recs;
	s->end[s->n] = ae->end;
	s->n++;
}

/* Pushes a netlink-form record "audit(1.000:<serial>): <body>". */
static void push(struct vigil_audit_reasm *r, uint32_t type, uint64_t serial,
		 const char *body, int64_t now)
{
	char text[512];
	struct vigil_audit_record rec;
	int n;

	n = snprintf(text, sizeof(text), "audit(1.000:%llu): %s",
		     (unsigned long long)serial, body);
	assert_int_equal(vigil_audit_record_parse_netlink(&rec, type, text,
							  (size_t)n), 0);
	assert_int_equal(vigil_audit_reasm_push(r, &rec, now), 0);
}

static void test_audit_reassembles_interleaved_events(void **state)
{
	struct seen s = { 0 };
	struct vigil_audit_reasm *r = vigil_audit_reasm_new(0, 0, on_event, &s);

	(void)state;
	push(r, AUDIT_SYSCALL, 10, "syscall=59", 0);
	push(r, AUDIT_SYSCALL, 11, "syscall=59", 0);
	push(r, AUDIT_EXECVE, 10, "argc=1 a0=\"x\"", 0);
	push(r, AUDIT_CWD, 11, "cwd=\"/\"", 0);
	push(r, AUDIT_PROCTITLE, 11, "proctitle=78", 0);
	assert_int_equal(s.n, 1); /* PROCTITLE ends 11 */
	assert_int_equal(s.serial[0], 11);
	assert_int_equal(s.n_recs[0], 3);
	push(r, AUDIT_EOE, 11, "", 0); /* late EOE is ignored */
	push(r, AUDIT_EOE, 10, "", 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.serial[1], 10);
	assert_int_equal(s.n_recs[1], 2);
	assert_int_equal(s.end[1], VIGIL_AUDIT_END_EOE);
	assert_int_equal(vigil_audit_reasm_stats(r)->late, 1);
	assert_int_equal(vigil_audit_reasm_stats(r)->gaps, 0);
	vigil_audit_reasm_free(r);
}

static void test_audit_single_record_types_are_events_alone(void **state)
{
	struct seen s = { 0 };
	struct vigil_audit_reasm *r = vigil_audit_reasm_new(0, 0, on_event, &s);

	(void)state;
	push(r, AUDIT_USER_LOGIN, 20, "pid=1 msg='op=login res=success'", 0);
	push(r, AUDIT_ANOM_LOGIN_FAILURES, 21, "pid=1", 0);
	push(r, AUDIT_MAC_UNLBL_ALLOW, 22, "unlbl_accept=1", 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.end[0], VIGIL_AUDIT_END_SINGLE);
	assert_int_equal(vigil_audit_reasm_in_flight(r), 0);
	vigil_audit_reasm_free(r);
}

static void test_audit_times_out_event_without_end_record(void **state)
{
	struct seen s = { 0 };
	struct vigil_audit_reasm *r =
		vigil_audit_reasm_new(0, 1000, on_event, &s);

	(void)state;
	push(r, AUDIT_SYSCALL, 30, "syscall=2", 0);
	push(r, AUDIT_PATH, 30, "item=0", 500);
	vigil_audit_reasm_expire(r, 1000);
	assert_int_equal(s.n, 0);
	vigil_audit_reasm_expire(r, 1001);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.n_recs[0], 2);
	assert_int_equal(s.end[0], VIGIL_AUDIT_END_TIMEOUT);
	assert_int_equal(vigil_audit_reasm_stats(r)->timeouts, 1);
	vigil_audit_reasm_free(r);
}

static void test_audit_evicts_oldest_when_in_flight_cap_is_hit(void **state)
{
	struct seen s = { 0 };
	struct vigil_audit_reasm *r = vigil_audit_reasm_new(2, 0, on_event, &s);

	(void)state;
	push(r, AUDIT_SYSCALL, 40, "syscall=2", 0);
	push(r, AUDIT_SYSCALL, 41, "syscall=2", 0);
	push(r, AUDIT_SYSCALL, 42, "syscall=2", 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.serial[0], 40);
	assert_int_equal(s.end[0], VIGIL_AUDIT_END_EVICTED);
	assert_int_equal(vigil_audit_reasm_in_flight(r), 2);
	vigil_audit_reasm_flush(r);
	assert_int_equal(s.n, 3);
	vigil_audit_reasm_free(r);
}

static void test_audit_counts_serial_gaps_and_forgives_reordering(void **st)
{
	struct seen s = { 0 };
	struct vigil_audit_reasm *r = vigil_audit_reasm_new(0, 0, on_event, &s);

	(void)st;
	push(r, AUDIT_SYSCALL, 100, "syscall=2", 0);
	push(r, AUDIT_SYSCALL, 104, "syscall=2", 0); /* 101..103 unseen */
	assert_int_equal(vigil_audit_reasm_stats(r)->gaps, 3);
	push(r, AUDIT_SYSCALL, 102, "syscall=2", 0); /* late, not lost */
	assert_int_equal(vigil_audit_reasm_stats(r)->gaps, 2);
	vigil_audit_reasm_flush(r);
	vigil_audit_reasm_free(r);
}

/* ---- EXECVE ---- */

static struct vigil_audit_field fields[64];

static void add_execve(struct vigil_audit_argv *a, const char *body, int want)
{
	char text[1024];
	struct vigil_audit_record rec;
	int n = snprintf(text, sizeof(text), "audit(1.000:1): %s", body);

	assert_int_equal(vigil_audit_record_parse_netlink(&rec, AUDIT_EXECVE,
							  text, (size_t)n), 0);
	assert_true(vigil_audit_record_fields(&rec, fields, 64) >= 0);
	assert_int_equal(vigil_audit_argv_add(a, &rec), want);
}

static void assert_arg(const struct vigil_audit_argv *a, uint32_t i,
		       const char *want, size_t n)
{
	assert_true(i < a->argc);
	if (a->off[i] == UINT32_MAX) {
		assert_int_equal(n, 0);
		return;
	}
	assert_int_equal(a->len[i], n);
	assert_memory_equal(a->bytes.data + a->off[i], want, n);
}

static void test_audit_reassembles_execve_split_args(void **state)
{
	struct vigil_audit_argv a = { 0 };

	(void)state;
	vigil_audit_argv_begin(&a);
	/* a1 = "AB CD" hex-split over two records, a2 quoted pieces */
	add_execve(&a, "argc=4 a0=\"ls\" a1_len=10 a1[0]=41422043", 0);
	add_execve(&a, " a1[1]=44 a2_len=4 a2[0]=\"ab\" a2[1]=\"cd\"", 0);
	assert_int_equal(vigil_audit_argv_end(&a), 0);
	assert_false(a.incomplete);
	assert_int_equal(a.argc, 4);
	assert_arg(&a, 0, "ls", 2);
	assert_arg(&a, 1, "AB CD", 5);
	assert_arg(&a, 2, "abcd", 4);
	assert_arg(&a, 3, "", 0); /* argc > fields present: empty */
	vigil_audit_argv_free(&a);
}

static void test_audit_flags_missing_or_disordered_execve_pieces(void **st)
{
	struct vigil_audit_argv a = { 0 };

	(void)st;
	vigil_audit_argv_begin(&a);
	add_execve(&a, "argc=2 a0=\"x\" a1_len=6 a1[0]=414243 a1[2]=44", 0);
	assert_int_equal(vigil_audit_argv_end(&a), 0);
	assert_true(a.incomplete);
	assert_arg(&a, 1, "ABC", 3);

	vigil_audit_argv_begin(&a);
	/* index beyond argc, bad hex, duplicate: dropped, flagged */
	add_execve(&a, "argc=1 a0=\"x\" a0=\"y\" a5=\"z\" a9999999999=1", 0);
	assert_int_equal(vigil_audit_argv_end(&a), 0);
	assert_true(a.incomplete);
	assert_arg(&a, 0, "x", 1);

	vigil_audit_argv_begin(&a);
	add_execve(&a, "a0=\"no argc\"", -EINVAL);
	assert_int_equal(vigil_audit_argv_end(&a), -EINVAL);

	vigil_audit_argv_begin(&a);
	add_execve(&a, "argc=99999999999 a0=\"x\"", -EINVAL);
	vigil_audit_argv_free(&a);
}

static void test_audit_proctitle_fallback_splits_on_nul(void **state)
{
	struct vigil_audit_argv a = { 0 };
	struct vigil_audit_record rec;
	static const char text[] =
		"audit(1.000:1): proctitle=736C65657000302E3300";

	(void)state;
	assert_int_equal(vigil_audit_record_parse_netlink(&rec,
				AUDIT_PROCTITLE, text, sizeof(text) - 1), 0);
	assert_int_equal(vigil_audit_record_fields(&rec, fields, 64), 1);
	assert_int_equal(vigil_audit_argv_proctitle(&a, &rec, &fields[0]), 0);
	assert_int_equal(a.argc, 2);
	assert_arg(&a, 0, "sleep", 5);
	assert_arg(&a, 1, "0.3", 3);
	vigil_audit_argv_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_reassembles_interleaved_events),
		cmocka_unit_test(test_audit_single_record_types_are_events_alone),
		cmocka_unit_test(test_audit_times_out_event_without_end_record),
		cmocka_unit_test(test_audit_evicts_oldest_when_in_flight_cap_is_hit),
		cmocka_unit_test(test_audit_counts_serial_gaps_and_forgives_reordering),
		cmocka_unit_test(test_audit_reassembles_execve_split_args),
		cmocka_unit_test(test_audit_flags_missing_or_disordered_execve_pieces),
		cmocka_unit_test(test_audit_proctitle_fallback_splits_on_nul),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
