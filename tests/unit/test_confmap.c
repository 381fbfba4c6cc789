/*
 * test_confmap - configuration tables: one table reads every type into a
 * settings struct with its defaults, and refuses, at file:line:col, an
 * unknown key (with a suggestion), a value of the wrong type or out of
 * range, a boolean that is not true/false/yes/no, a relative path and a
 * duration finer than its unit; a wrong table is refused as a bug.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "confmap.h"

enum color { RED = 1, GREEN = 2, BLUE = 3 };

struct settings {
	bool enabled;
	int count;
	uint32_t big;
	int16_t small;
	int64_t max_size;
	uint64_t interval_ms;
	int64_t timeout_ns;
	uint32_t tick_s;
	const char *name;
	const char *path;
	char key[8];
	int color;
	uint32_t flags;
	const char *paths[3];
	size_t n_paths;
	const char *tags[2];
	size_t n_tags;
	const void *extra;
};

static const struct vigil_config_name colors[] = {
	{ "red", RED }, { "green", GREEN }, { "blue", BLUE },
	{ "crimson", RED }, /* an alias: accepted, not listed */
	{ NULL, 0 },
};

static const struct vigil_config_name flag_names[] = {
	{ "a", 1 }, { "b", 2 }, { "c", 4 }, { NULL, 0 },
};

#define S struct settings
static const struct vigil_config_entry table[] = {
	{ VIGIL_CFG_BOOL("enabled", S, enabled, 1, "switch") },
	{ VIGIL_CFG_INT("count", S, count, 5, -10, 100, "how many") },
	{ VIGIL_CFG_INT("big", S, big, 7, 0, UINT32_MAX, NULL) },
	{ VIGIL_CFG_INT("small", S, small, -3, -200, 200, NULL) },
	{ VIGIL_CFG_SIZE("rotate.max_size", S, max_size, 100 << 20, 0,
			 INT64_C(1) << 30, "rotate past this") },
	{ VIGIL_CFG_DURATION_MS("interval", S, interval_ms, 10, 0, 1000,
				"read pacing") },
	{ VIGIL_CFG_DURATION_NS("timeout", S, timeout_ns, 2000000000, 1,
				INT64_MAX, NULL) },
	{ VIGIL_CFG_DURATION_S("net.tick", S, tick_s, 30, 1, 3600, NULL) },
	{ VIGIL_CFG_STR("name", S, name, "vigil", NULL) },
	{ VIGIL_CFG_PATH("path", S, path, NULL, "file to write"),
	  .required = 1 },
	{ VIGIL_CFG_STRBUF("key", S, key, "vk", NULL) },
	{ VIGIL_CFG_ENUM("color", S, color, GREEN, colors, NULL) },
	{ VIGIL_CFG_FLAGS("flags", S, flags, 0, flag_names, NULL) },
	{ VIGIL_CFG_PATHLIST("paths", S, paths, n_paths, NULL) },
	{ VIGIL_CFG_STRLIST("tags", S, tags, n_tags, NULL) },
	{ VIGIL_CFG_MAP("extra", S, extra, NULL) },
};

/* Reads yaml (named t.yaml) with the table; returns the error text, or
 * NULL on success.  The document stays loaded for the strings. */
static struct vigil_doc doc;
static struct vigil_buf err;

static const char *read_yaml(const char *yaml, struct settings *s)
{
	int rc;

	vigil_doc_free(&doc);
	vigil_buf_free(&err);
	memset(s, 0xa5, sizeof(*s));
	assert_int_equal(vigil_doc_load_yaml("t.yaml", yaml, strlen(yaml),
					     &doc, &err),
			 0);
	rc = VIGIL_CONFMAP_READ(table, doc.root, "sec", s, &err);
	if (rc == 0)
		return NULL;
	assert_int_equal(rc, -EINVAL);
	assert_null(strchr(vigil_buf_cstr(&err), '\n'));
	return vigil_buf_cstr(&err);
}

static void expect_error(const char *yaml, const char *want)
{
	struct settings s;
	const char *got = read_yaml(yaml, &s);

	if (!got)
		fail_msg("accepted, want \"%s\"", want);
	if (!strstr(got, want))
		fail_msg("got \"%s\", want \"%s\"", got, want);
}

static int teardown(void **state)
{
	vigil_doc_free(&doc);
	vigil_buf_free(&err);
	return 0;
}

static void test_confmap_absent_keys_take_defaults(void **state)
{
	struct settings s;

	assert_null(read_yaml("path: /x\n", &s));
	assert_true(s.enabled);
	assert_int_equal(s.count, 5);
	assert_int_equal(s.big, 7);
	assert_int_equal(s.small, -3);
	assert_int_equal(s.max_size, 100 << 20);
	assert_int_equal(s.interval_ms, 10);
	assert_int_equal(s.timeout_ns, 2000000000);
	assert_int_equal(s.tick_s, 30);
	assert_string_equal(s.name, "vigil");
	assert_string_equal(s.key, "vk");
	assert_int_equal(s.color, GREEN);
	assert_int_equal(s.flags, 0);
	assert_int_equal(s.n_paths, 0);
	assert_int_equal(s.n_tags, 0);
	assert_null(s.extra);
}

static void test_confmap_reads_every_type(void **state)
{
	struct settings s;

	assert_null(read_yaml("enabled: no\n"
			      "count: -10\n"
			      "big: 4294967295\n"
			      "small: -200\n"
			      "rotate: {max_size: 8M}\n"
			      "interval: 1s\n"
			      "timeout: 1500us\n"
			      "net:\n  tick: 2m\n"
			      "name: host-1\n"
			      "path: /var/log/x.json\n"
			      "key: abcdefg\n"
			      "color: crimson\n"
			      "flags: [a, c]\n"
			      "paths: [/etc/a, /etc/b]\n"
			      "tags: one\n"
			      "extra: {anything: [goes]}\n",
			      &s));
	assert_false(s.enabled);
	assert_int_equal(s.count, -10);
	assert_int_equal(s.big, UINT32_MAX);
	assert_int_equal(s.small, -200);
	assert_int_equal(s.max_size, 8 << 20);
	assert_int_equal(s.interval_ms, 1000);
	assert_int_equal(s.timeout_ns, 1500000);
	assert_int_equal(s.tick_s, 120);
	assert_string_equal(s.name, "host-1");
	assert_string_equal(s.path, "/var/log/x.json");
	assert_string_equal(s.key, "abcdefg");
	assert_int_equal(s.color, RED);
	assert_int_equal(s.flags, 5);
	assert_int_equal(s.n_paths, 2);
	assert_string_equal(s.paths[0], "/etc/a");
	assert_string_equal(s.paths[1], "/etc/b");
	assert_int_equal(s.n_tags, 1); /* one string is a list of one */
	assert_string_equal(s.tags[0], "one");
	assert_non_null(s.extra);
}

static void test_confmap_null_value_takes_the_default(void **state)
{
	struct settings s;

	assert_null(read_yaml("path: /x\ncount:\nrotate:\n", &s));
	assert_int_equal(s.count, 5);
	assert_int_equal(s.max_size, 100 << 20);
}

static void test_confmap_bool_is_strict(void **state)
{
	struct settings s;

	assert_null(read_yaml("path: /x\nenabled: YES\n", &s));
	assert_true(s.enabled);
	assert_null(read_yaml("path: /x\nenabled: False\n", &s));
	assert_false(s.enabled);
	/* issue 22 L7: tls.enabled: 1 gave plaintext */
	expect_error("path: /x\nenabled: 1\n",
		     "t.yaml:2:10: sec.enabled: want true or false (or yes, no), not '1' (switch)");
	expect_error("path: /x\nenabled: on\n", "t.yaml:2:10: sec.enabled:");
	expect_error("path: /x\nenabled: [true]\n",
		     "sec.enabled: want true or false (or yes, no), not a list");
}

static void test_confmap_int_range_and_width(void **state)
{
	expect_error("path: /x\ncount: 101\n",
		     "t.yaml:2:8: sec.count: want an integer from -10 to 100, not '101' (how many)");
	expect_error("path: /x\ncount: -11\n", "from -10 to 100, not '-11'");
	expect_error("path: /x\ncount: 3.5\n", "not '3.5'");
	expect_error("path: /x\nbig: -1\n",
		     "sec.big: want an integer from 0 to 4294967295");
	expect_error("path: /x\nsmall: 201\n", "from -200 to 200");
}

static void test_confmap_size_suffixes_and_range(void **state)
{
	struct settings s;

	assert_null(read_yaml("path: /x\nrotate: {max_size: 1G}\n", &s));
	assert_int_equal(s.max_size, INT64_C(1) << 30);
	expect_error("path: /x\nrotate: {max_size: 2G}\n",
		     "t.yaml:2:20: sec.rotate.max_size: want a size from 0 to 1G (such as 512k or 8M), not '2G' (rotate past this)");
	expect_error("path: /x\nrotate: {max_size: lots}\n", "not 'lots'");
}

static void test_confmap_duration_units_and_range(void **state)
{
	struct settings s;

	/* bare numbers are seconds; stored in the entry's unit */
	assert_null(read_yaml("path: /x\ninterval: 0\nnet: {tick: 1}\n", &s));
	assert_int_equal(s.interval_ms, 0);
	assert_int_equal(s.tick_s, 1);
	/* issue 22 M3: "2s" is 2000 ms here, not 2e9 */
	assert_null(read_yaml("path: /x\ninterval: 250ms\n", &s));
	assert_int_equal(s.interval_ms, 250);
	expect_error("path: /x\ninterval: 2s\n",
		     "t.yaml:2:11: sec.interval: want a duration from 0 to 1s, not '2s' (read pacing)");
	expect_error("path: /x\ninterval: 500us\n",
		     "sec.interval: '500us' is finer than this setting counts (1 unit is 1ms)");
	expect_error("path: /x\nnet: {tick: 1500ms}\n", "1 unit is 1s");
	expect_error("path: /x\nnet: {tick: 2h}\n",
		     "sec.net.tick: want a duration from 1s to 1h, not '2h'");
	expect_error("path: /x\ntimeout: 0\n",
		     "sec.timeout: want a duration of at least 1ns, not '0'");
	expect_error("path: /x\ntimeout: soon\n",
		     "want a duration of at least 1ns (such as 500ms, 2s or 5m), not 'soon'");
}

static void test_confmap_paths_must_be_absolute(void **state)
{
	expect_error("path: var/log/x\n",
		     "t.yaml:1:7: sec.path: want an absolute path (starting with '/'), not 'var/log/x'");
	expect_error("path: /x\npaths: [/etc/a, rules.d]\n",
		     "t.yaml:2:17: sec.paths: want an absolute path");
	expect_error("path: ''\n", "sec.path: want a non-empty path, not an empty one");
}

static void test_confmap_required_key_names_its_section(void **state)
{
	expect_error("count: 1\n",
		     "t.yaml:1:1: sec.path is required (file to write)");
}

static void test_confmap_strings_lists_and_buffers(void **state)
{
	expect_error("path: /x\nkey: abcdefgh\n",
		     "t.yaml:2:6: sec.key: longer than 7 bytes");
	expect_error("path: /x\nname: {a: b}\n",
		     "sec.name: want a non-empty string, not a map");
	expect_error("path: /x\npaths: [/a, /b, /c, /d]\n",
		     "sec.paths: at most 3 entries, not 4");
	expect_error("path: /x\nextra: [1]\n", "sec.extra: want a map, not a list");
}

static void test_confmap_enum_and_flags_name_the_choices(void **state)
{
	expect_error("path: /x\ncolor: gren\n",
		     "t.yaml:2:8: sec.color: 'gren' is not one of red, green, blue (did you mean 'green'?)");
	expect_error("path: /x\nflags: [a, d]\n",
		     "t.yaml:2:12: sec.flags: 'd' is not one of a, b, c");
	expect_error("path: /x\nflags: a\n", "sec.flags: want a list of names");
	expect_error("path: /x\ncolor: [red]\n",
		     "sec.color: a list is not one of red, green, blue");
}

static void test_confmap_unknown_key_suggests_the_nearest(void **state)
{
	expect_error("path: /x\nintervall: 5ms\n",
		     "t.yaml:2:1: unknown key 'intervall' in sec (did you mean 'interval'?)");
	expect_error("path: /x\nrotate: {max_sise: 1M}\n",
		     "t.yaml:2:10: unknown key 'max_sise' in sec.rotate (did you mean 'max_size'?)");
	expect_error("path: /x\nzzzzzzzz: 1\n",
		     "unknown key 'zzzzzzzz' in sec (allowed: enabled, count, big, small, rotate, interval");
	expect_error("path: /x\nrotate: 5\n",
		     "t.yaml:2:9: sec.rotate: want a map of settings");
	expect_error("- a\n", "t.yaml:1:1: sec must be a map of settings");
}

static void test_confmap_refuses_a_wrong_table(void **state)
{
	static const struct vigil_config_entry dup[] = {
		{ VIGIL_CFG_INT("count", S, count, 0, 0, 1, NULL) },
		{ VIGIL_CFG_INT("count", S, count, 0, 0, 1, NULL) },
	};
	static const struct vigil_config_entry wide[] = {
		{ VIGIL_CFG_INT("small", S, small, 0, 0, 70000, NULL) },
	};
	static const struct vigil_config_entry unsig[] = {
		{ VIGIL_CFG_INT("big", S, big, 0, -1, 1, NULL) },
	};
	static const struct vigil_config_entry dflt[] = {
		{ VIGIL_CFG_DURATION_MS("interval", S, interval_ms, 5000, 0,
					1000, NULL) },
	};
	static const struct vigil_config_entry leaf_and_map[] = {
		{ VIGIL_CFG_BOOL("tls", S, enabled, 0, NULL) },
		{ VIGIL_CFG_BOOL("tls.verify", S, enabled, 0, NULL) },
	};
	static const struct vigil_config_entry rel[] = {
		{ VIGIL_CFG_PATH("path", S, path, "x.log", NULL) },
	};
	struct settings s;
	struct vigil_buf e = { 0 };

#define REFUSED(t, says)                                                       \
	do {                                                                   \
		assert_int_equal(VIGIL_CONFMAP_READ(t, NULL, "sec", &s, &e),   \
				 -EINVAL);                                     \
		if (!strstr(vigil_buf_cstr(&e), says))                         \
			fail_msg("got \"%s\", want \"%s\"",                    \
				 vigil_buf_cstr(&e), says);                    \
		vigil_buf_reset(&e);                                           \
	} while (0)
	REFUSED(dup, "entry 'count' is there twice");
	REFUSED(wide, "entry 'small' has a range its member cannot hold");
	REFUSED(unsig, "entry 'big' has a range its member cannot hold");
	REFUSED(dflt, "entry 'interval' has a default outside its range");
	REFUSED(leaf_and_map, "is both a setting and a map of settings");
	REFUSED(rel, "has a default path that is not absolute");
	assert_int_equal(vigil_confmap_check_table(table, 1, 8, 0, "sec", &e),
			 -EINVAL);
	assert_int_equal(vigil_confmap_check_table(table,
						   VIGIL_ARRAY_SIZE(table),
						   sizeof(table[0]),
						   offsetof(S, name), "sec",
						   &e),
			 -EINVAL);
	assert_non_null(strstr(vigil_buf_cstr(&e), "outside the settings"));
	vigil_buf_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_confmap_absent_keys_take_defaults),
		cmocka_unit_test(test_confmap_reads_every_type),
		cmocka_unit_test(test_confmap_null_value_takes_the_default),
		cmocka_unit_test(test_confmap_bool_is_strict),
		cmocka_unit_test(test_confmap_int_range_and_width),
		cmocka_unit_test(test_confmap_size_suffixes_and_range),
		cmocka_unit_test(test_confmap_duration_units_and_range),
		cmocka_unit_test(test_confmap_paths_must_be_absolute),
		cmocka_unit_test(test_confmap_required_key_names_its_section),
		cmocka_unit_test(test_confmap_strings_lists_and_buffers),
		cmocka_unit_test(test_confmap_enum_and_flags_name_the_choices),
		cmocka_unit_test(test_confmap_unknown_key_suggests_the_nearest),
		cmocka_unit_test(test_confmap_refuses_a_wrong_table),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
