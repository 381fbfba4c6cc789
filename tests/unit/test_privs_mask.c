/*
 * test_privs_mask.c - the mapping from vigil's needs to capabilities, and
 * that the shipped systemd unit allows every capability vigild may keep.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/capability.h>

#include "privs.h"
#include "util.h"

static const struct {
	uint32_t need;
	unsigned int cap;
} expected[] = {
	{ VIGIL_NEED_AUDIT_CONTROL, CAP_AUDIT_CONTROL },
	{ VIGIL_NEED_AUDIT_READ, CAP_AUDIT_READ },
	{ VIGIL_NEED_NET_ADMIN, CAP_NET_ADMIN },
	{ VIGIL_NEED_SYS_ADMIN, CAP_SYS_ADMIN },
	{ VIGIL_NEED_DAC_READ_SEARCH, CAP_DAC_READ_SEARCH },
	{ VIGIL_NEED_SYS_PTRACE, CAP_SYS_PTRACE },
};

static void test_privs_each_need_maps_to_its_one_capability(void **state)
{
	unsigned int caps[8];

	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(expected); i++) {
		assert_int_equal(vigil_privs_caps_for_mask(expected[i].need,
							   caps, 8),
				 1);
		assert_int_equal(caps[0], expected[i].cap);
	}
}

static void test_privs_empty_mask_keeps_nothing(void **state)
{
	unsigned int caps[8];

	assert_int_equal(vigil_privs_caps_for_mask(0, caps, 8), 0);
}

static void test_privs_full_mask_keeps_six_distinct_caps(void **state)
{
	unsigned int caps[8];
	uint64_t seen = 0;
	int n = vigil_privs_caps_for_mask(VIGIL_NEED_ALL, caps, 8);

	assert_int_equal(n, (int)VIGIL_ARRAY_SIZE(expected));
	for (int i = 0; i < n; i++) {
		assert_false(seen & ((uint64_t)1 << caps[i]));
		seen |= (uint64_t)1 << caps[i];
	}
	/* Never anything vigild has no use for. */
	assert_false(seen & ((uint64_t)1 << CAP_SYS_MODULE));
	assert_false(seen & ((uint64_t)1 << CAP_DAC_OVERRIDE));
	assert_false(seen & ((uint64_t)1 << CAP_SETUID));
	assert_false(seen & ((uint64_t)1 << CAP_SETPCAP));
}

static void test_privs_mixed_mask_keeps_only_named_caps(void **state)
{
	unsigned int caps[8];
	int n = vigil_privs_caps_for_mask(VIGIL_NEED_AUDIT_READ |
						  VIGIL_NEED_SYS_PTRACE,
					  caps, 8);

	assert_int_equal(n, 2);
	assert_int_equal(caps[0], CAP_AUDIT_READ);
	assert_int_equal(caps[1], CAP_SYS_PTRACE);
}

static void test_privs_unknown_need_bit_is_refused(void **state)
{
	unsigned int caps[8];

	assert_int_equal(vigil_privs_caps_for_mask(1u << 31, caps, 8),
			 -EINVAL);
	assert_int_equal(vigil_privs_caps_for_mask(VIGIL_NEED_ALL + 1u, caps,
						   8),
			 -EINVAL);
	/* The drop refuses it before touching anything. */
	assert_int_equal(vigil_privs_drop(1u << 31, NULL), -EINVAL);
}

static void test_privs_short_array_is_enospc_not_overflow(void **state)
{
	unsigned int caps[2] = { 0xdead, 0xbeef };

	assert_int_equal(vigil_privs_caps_for_mask(VIGIL_NEED_ALL, caps, 1),
			 -ENOSPC);
	assert_int_equal(caps[1], 0xbeef);
}

static void test_privs_table_has_a_reason_for_every_need(void **state)
{
	size_t n;
	const struct vigil_priv_need *t = vigil_privs_needs(&n);
	uint32_t all = 0;

	assert_int_equal(n, VIGIL_ARRAY_SIZE(expected));
	for (size_t i = 0; i < n; i++) {
		assert_non_null(t[i].name);
		assert_true(strlen(t[i].why) > 10);
		/* status prints these inside JSON strings unescaped */
		assert_null(strpbrk(t[i].why, "\"\\\n"));
		all |= t[i].need;
	}
	assert_int_equal(all, VIGIL_NEED_ALL);
}

static void test_privs_status_before_drop_says_not_dropped(void **state)
{
	struct vigil_buf out = { 0 };

	assert_int_equal(vigil_privs_status_json(&out), 0);
	assert_non_null(strstr(vigil_buf_cstr(&out), "\"dropped\":false"));
	assert_non_null(strstr(vigil_buf_cstr(&out), "\"kept\":["));
	assert_int_equal(vigil_buf_cstr(&out)[out.len - 1], '}');
	vigil_buf_free(&out);
}

/*
 * The unit's CapabilityBoundingSet must allow every capability vigild may
 * keep, plus CAP_SETPCAP so vigild can narrow its bounding set.
 */
static void test_privs_unit_bounding_set_allows_every_kept_cap(void **state)
{
	static const char *const names[] = {
		"CAP_AUDIT_CONTROL", "CAP_AUDIT_READ",	    "CAP_NET_ADMIN",
		"CAP_SYS_ADMIN",     "CAP_DAC_READ_SEARCH", "CAP_SYS_PTRACE",
		"CAP_SETPCAP",
	};
	char line[1024];
	char *bset = NULL;
	FILE *f = fopen(TEST_SRCDIR "/etc/vigild.service.in", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "CapabilityBoundingSet=", 22) == 0)
			bset = strdup(line + 22);
	fclose(f);
	assert_non_null(bset);
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(names); i++)
		assert_non_null(strstr(bset, names[i]));
	assert_null(strstr(bset, "CAP_SYS_MODULE"));
	assert_null(strstr(bset, "CAP_DAC_OVERRIDE"));
	free(bset);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_privs_each_need_maps_to_its_one_capability),
		cmocka_unit_test(test_privs_empty_mask_keeps_nothing),
		cmocka_unit_test(test_privs_full_mask_keeps_six_distinct_caps),
		cmocka_unit_test(test_privs_mixed_mask_keeps_only_named_caps),
		cmocka_unit_test(test_privs_unknown_need_bit_is_refused),
		cmocka_unit_test(test_privs_short_array_is_enospc_not_overflow),
		cmocka_unit_test(test_privs_table_has_a_reason_for_every_need),
		cmocka_unit_test(test_privs_status_before_drop_says_not_dropped),
		cmocka_unit_test(test_privs_unit_bounding_set_allows_every_kept_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
