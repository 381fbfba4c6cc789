/*
 * test_plugin_loader - the loader accepts a plugin built for this ABI and
 * refuses, by name and with the reason, every other; the file sink writes,
 * flushes on shutdown and rotates.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "codec.h"
#include "pipeline.h"
#include "settings.h"

#define TP(n) TEST_PLUGIN_DIR "/" n ".so"

static void expect_refused(const char *file, const char *says)
{
	struct vigil_plugin_inst inst;
	struct vigil_buf err = { 0 };

	assert_int_not_equal(vigil_plugin_open("variant", file, &inst, &err), 0);
	if (!strstr(vigil_buf_cstr(&err), "plugin 'variant'") ||
	    !strstr(vigil_buf_cstr(&err), says))
		fail_msg("got \"%s\", want \"%s\"", vigil_buf_cstr(&err), says);
	assert_null(inst.dl);
	vigil_buf_free(&err);
}

static void test_plugin_loader_accepts_current_abi(void **state)
{
	struct vigil_plugin_inst inst;
	struct vigil_buf err = { 0 };

	assert_int_equal(vigil_plugin_open("variant", TP("abi_good"), &inst,
					   &err),
			 0);
	assert_string_equal(inst.p.name, "abi_variant");
	assert_int_equal(inst.p.kind, VIGIL_PLUGIN_SINK);
	vigil_plugin_close(&inst);
	vigil_buf_free(&err);
}

static void test_plugin_loader_refuses_other_major(void **state)
{
	expect_refused(TP("abi_major"),
		       "built for plugin ABI 99.0, this vigil provides 1.0");
}

static void test_plugin_loader_refuses_newer_minor(void **state)
{
	expect_refused(TP("abi_minor"), "newer than this vigil's 1.0");
}

static void test_plugin_loader_refuses_short_descriptor(void **state)
{
	expect_refused(TP("abi_size"), "its descriptor is 16 bytes");
}

static void test_plugin_loader_refuses_missing_entry(void **state)
{
	expect_refused(TP("abi_no_entry"), "does not export vigil_plugin_entry()");
}

static void test_plugin_loader_refuses_null_descriptor(void **state)
{
	expect_refused(TP("abi_null"), "returned NULL");
}

static void test_plugin_loader_refuses_missing_init(void **state)
{
	expect_refused(TP("abi_no_init"), "lacks a name, init() or destroy()");
}

static void test_plugin_loader_missing_file_names_it(void **state)
{
	expect_refused("/nonexistent/x.so", "cannot load /nonexistent/x.so");
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static size_t count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int c;

	if (!f)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static void test_plugin_file_sink_writes_flushes_and_rotates(void **state)
{
	char dir[] = "/tmp/vigil-test-sinkXXXXXX", cfgpath[256], out[256],
	     yaml[1024], rotated[300];
	struct vigil_config cfg;
	struct vigil_pipeline pl;
	struct vigil_buf err = { 0 };
	struct vigil_arena a;
	struct vigil_event ev;
	static const char *const tags[] = { "t:1" };
	struct vigil_signal sig = { .struct_size = sizeof(sig),
				    .rule_id = "r1", .title = "x",
				    .tags = tags, .n_tags = 1 };
	struct stat st;

	assert_non_null(mkdtemp(dir));
	snprintf(cfgpath, sizeof(cfgpath), "%s/v.yaml", dir);
	snprintf(out, sizeof(out), "%s/log/signals.json", dir);
	snprintf(yaml, sizeof(yaml),
		 "agent: {plugin_dir: %s}\n"
		 "plugins:\n"
		 "  - name: file_sink\n"
		 "    path: %s\n"
		 "    config: {path: %s, what: both, rotate: {max_size: 4k, keep: 2}}\n",
		 TEST_PLUGIN_DIR, TEST_FILE_SINK, out);
	assert_int_equal(write_file(cfgpath, yaml), 0);
	if (vigil_config_load(cfgpath, &cfg, &err))
		fail_msg("%s", vigil_buf_cstr(&err));
	assert_int_equal(vigil_pipeline_init(&pl, NULL, &cfg), 0);
	if (vigil_pipeline_load_plugins(&pl, &err))
		fail_msg("%s", vigil_buf_cstr(&err));
	vigil_arena_init(&a, 1024);
	for (int i = 0; i < 100; i++) {
		vigil_arena_reset(&a);
		vigil_event_init(&ev, &a);
		ev.type = VIGIL_EV_EXEC;
		ev.process.pid = 1000 + i;
		ev.process.file.path = vigil_str_c("/usr/bin/true");
		assert_int_equal(vigil_pipeline_submit(&pl, &ev), 0);
		if (i % 10 == 0)
			pl.api.emit_signal(pl.plugins[0], &ev, &sig);
	}
	/* nothing reaches the disk before a flush: the buffer holds it */
	vigil_pipeline_shutdown(&pl);
	vigil_pipeline_unload(&pl);
	/* 110 records written across the file and two rotations, none
	 * over the limit, every one complete */
	assert_int_equal(stat(out, &st), 0);
	assert_true(st.st_size <= 4096);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(rotated, sizeof(rotated), "%s.1", out);
	assert_int_equal(stat(rotated, &st), 0);
	assert_true(st.st_size <= 4096);
	snprintf(rotated, sizeof(rotated), "%s.3", out);
	assert_int_not_equal(stat(rotated, &st), 0); /* keep: 2 */
	{
		size_t lines = count_lines(out);

		snprintf(rotated, sizeof(rotated), "%s.1", out);
		lines += count_lines(rotated);
		snprintf(rotated, sizeof(rotated), "%s.2", out);
		lines += count_lines(rotated);
		/* 4 KiB files of ~150-byte records: the newest ~3 files
		 * hold the last records; older ones were dropped by keep */
		assert_true(lines > 40 && lines <= 110);
	}
	vigil_arena_free(&a);
	vigil_config_free(&cfg);
	vigil_buf_free(&err);
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		assert_int_equal(system(cmd), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plugin_loader_accepts_current_abi),
		cmocka_unit_test(test_plugin_loader_refuses_other_major),
		cmocka_unit_test(test_plugin_loader_refuses_newer_minor),
		cmocka_unit_test(test_plugin_loader_refuses_short_descriptor),
		cmocka_unit_test(test_plugin_loader_refuses_missing_entry),
		cmocka_unit_test(test_plugin_loader_refuses_null_descriptor),
		cmocka_unit_test(test_plugin_loader_refuses_missing_init),
		cmocka_unit_test(test_plugin_loader_missing_file_names_it),
		cmocka_unit_test(test_plugin_file_sink_writes_flushes_and_rotates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
