/*
 * test_source_status.c - a source's status numbers written from a table
 * (source_status.h): each kind as JSON, in the table's order, members of
 * embedded structs and array elements, and the commas that keep the
 * object valid wherever the table starts.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "source_status.h"
#include "util.h"

struct inner {
	uint64_t evicted;
};

struct state {
	int rcvbuf;
	bool on;
	uint32_t backlog;
	size_t cache;
	uint64_t big;
	struct inner tcp;
	uint64_t counters[3];
};

#define S struct state
static const struct vigil_status_field fields[] = {
	VIGIL_STATUS_U64("big", S, big),
	VIGIL_STATUS_INT("rcvbuf", S, rcvbuf),
	VIGIL_STATUS_BOOL("on", S, on),
	VIGIL_STATUS_U32("backlog", S, backlog),
	VIGIL_STATUS_SIZE("cache", S, cache),
	VIGIL_STATUS_U64("tcp_evicted", S, tcp.evicted),
	VIGIL_STATUS_U64("third", S, counters[2]),
};
static const struct vigil_status_field one[] = {
	VIGIL_STATUS_BOOL("on", S, on),
};
#undef S

static const struct state sample = {
	.rcvbuf = -2,
	.on = true,
	.backlog = UINT32_MAX,
	.cache = 12,
	.big = UINT64_MAX,
	.tcp = { .evicted = 5 },
	.counters = { 1, 2, 3 },
};

static void test_status_fields_write_every_kind_in_table_order(void **unused)
{
	struct vigil_buf out = { 0 };

	(void)unused;
	assert_int_equal(vigil_status_fields(&out, &sample, fields,
					     VIGIL_ARRAY_SIZE(fields)),
			 0);
	assert_string_equal(vigil_buf_cstr(&out),
			    "\"big\":18446744073709551615,\"rcvbuf\":-2,"
			    "\"on\":true,\"backlog\":4294967295,\"cache\":12,"
			    "\"tcp_evicted\":5,\"third\":3");
	vigil_buf_free(&out);
}

/* A comma before the table only where a member ended before it. */
static void test_status_fields_put_a_comma_only_after_a_member(void **unused)
{
	static const struct {
		const char *before, *after;
	} cases[] = {
		{ "", "\"on\":true" },
		{ "{", "{\"on\":true" },
		{ "\"a\":1,", "\"a\":1,\"on\":true" },
		{ "\"a\":1", "\"a\":1,\"on\":true" },
		{ "\"a\":\"x\"", "\"a\":\"x\",\"on\":true" },
		{ "\"a\":{}", "\"a\":{},\"on\":true" },
	};

	(void)unused;
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(cases); i++) {
		struct vigil_buf out = { 0 };

		assert_int_equal(vigil_buf_puts(&out, cases[i].before), 0);
		assert_int_equal(vigil_status_fields(&out, &sample, one, 1), 0);
		assert_string_equal(vigil_buf_cstr(&out), cases[i].after);
		vigil_buf_free(&out);
	}
}

static void test_status_object_nests_the_members_under_its_key(void **unused)
{
	struct vigil_buf out = { 0 };

	(void)unused;
	assert_int_equal(vigil_status_object(&out, "table", &sample, one, 1),
			 0);
	assert_int_equal(vigil_buf_puts(&out, ",\"x\":0"), 0);
	assert_int_equal(vigil_status_object(&out, "t2", &sample, fields + 5,
					     2),
			 0);
	assert_string_equal(vigil_buf_cstr(&out),
			    "\"table\":{\"on\":true},\"x\":0,"
			    "\"t2\":{\"tcp_evicted\":5,\"third\":3}");
	vigil_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_status_fields_write_every_kind_in_table_order),
		cmocka_unit_test(
			test_status_fields_put_a_comma_only_after_a_member),
		cmocka_unit_test(
			test_status_object_nests_the_members_under_its_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
