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
#include <signal.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/wait.h>
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

static void test_plugin_loader_loads_previous_minor_without_its_slots(void **state)
{
	struct vigil_plugin_inst inst;
	struct vigil_buf err = { 0 };

	assert_int_equal(vigil_plugin_open("variant", TP("abi_old_minor"),
					   &inst, &err),
			 0);
	assert_int_equal(inst.p.abi_minor, 0);
	/* 1.0's reserved slots are not read as a configuration table */
	assert_null(inst.p.config_table);
	assert_int_equal(inst.p.config_entries, 0);
	vigil_plugin_close(&inst);
	vigil_buf_free(&err);
}

static void test_plugin_loader_refuses_a_wrong_config_table(void **state)
{
	expect_refused(TP("abi_bad_table"), "entry 'a' is there twice");
}

static void test_plugin_loader_refuses_other_major(void **state)
{
	expect_refused(TP("abi_major"),
		       "built for plugin ABI 99.2, this vigil provides 1.2");
}

static void test_plugin_loader_refuses_newer_minor(void **state)
{
	expect_refused(TP("abi_minor"), "newer than this vigil's 1.2");
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

/*
 * Issue 22 L7: a plugin file others can write is refused before dlopen
 * (its constructor would run as root), naming the file and the fix.
 */
static void test_plugin_loader_refuses_group_writable_file(void **state)
{
	char dir[] = "/tmp/vigil-test-plugXXXXXX", copy[128], cmd[300];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(copy, sizeof(copy), "%s/abi_good.so", dir);
	snprintf(cmd, sizeof(cmd), "cp %s/abi_good.so %s", TEST_PLUGIN_DIR,
		 copy);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(chmod(copy, 0775), 0);
	expect_refused(copy, "chmod go-w");
	/* the same file, private again, loads */
	assert_int_equal(chmod(copy, 0755), 0);
	{
		struct vigil_plugin_inst inst;
		struct vigil_buf err = { 0 };

		assert_int_equal(vigil_plugin_open("variant", copy, &inst, &err),
				 0);
		vigil_plugin_close(&inst);
		vigil_buf_free(&err);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
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

/*
 * Issue 22 M4: with its disk full, file_sink kept every record in memory
 * (RSS 9.7 MB -> 548 MB after 200k events) and counted them as out.  Now
 * the pending buffer is bounded, what does not fit is dropped and
 * counted, only written records count as out, the error is logged a
 * bounded number of times, and writing resumes when the disk has room.
 * The disk is "full" through RLIMIT_FSIZE (writes past 32 KiB: EFBIG).
 */
static void test_plugin_file_sink_disk_full_is_bounded(void **state)
{
	char dir[] = "/tmp/vigil-test-sinkfullXXXXXX";
	pid_t pid;
	int status;

	(void)state;
	assert_non_null(mkdtemp(dir));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char cfgpath[256], out[256], yaml[1024], errpath[256],
			line[512];
		struct vigil_config cfg;
		struct vigil_pipeline pl;
		struct vigil_buf err = { 0 };
		struct vigil_arena a;
		struct vigil_event ev;
		struct vigil_plugin_stats st = { 0 };
		struct rlimit fsz = { 32 << 10, RLIM_INFINITY };
		struct rusage ru0, ru1;
		const unsigned n = 300000;
		unsigned logged = 0;
		FILE *ef;

		snprintf(cfgpath, sizeof(cfgpath), "%s/v.yaml", dir);
		snprintf(out, sizeof(out), "%s/events.json", dir);
		snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
		snprintf(yaml, sizeof(yaml),
			 "agent: {plugin_dir: %s}\n"
			 "plugins:\n"
			 "  - name: file_sink\n"
			 "    path: %s\n"
			 "    config: {path: %s, what: events, rotate: {max_size: 0}}\n",
			 TEST_PLUGIN_DIR, TEST_FILE_SINK, out);
		if (write_file(cfgpath, yaml) ||
		    !freopen(errpath, "w", stderr) ||
		    vigil_config_load(cfgpath, &cfg, &err) ||
		    vigil_pipeline_init(&pl, NULL, &cfg) ||
		    vigil_pipeline_load_plugins(&pl, &err))
			_exit(10);
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &fsz))
			_exit(11);
		vigil_arena_init(&a, 1024);
		getrusage(RUSAGE_SELF, &ru0);
		for (unsigned i = 0; i < n; i++) {
			vigil_arena_reset(&a);
			vigil_event_init(&ev, &a);
			ev.type = VIGIL_EV_EXEC;
			ev.process.pid = (int32_t)(1000 + i);
			ev.process.file.path = vigil_str_c("/usr/bin/true");
			vigil_pipeline_submit(&pl, &ev);
			if (i % 50000 == 0)
				pl.plugins[0]->p.flush(pl.plugins[0]->state);
		}
		getrusage(RUSAGE_SELF, &ru1);
		pl.plugins[0]->p.stats(pl.plugins[0]->state, &st);
		/* memory: the 8 MiB bound (and its doublings), not n records
		 * (~42 MB in a 64 MiB buffer before the bound) */
		if (ru1.ru_maxrss - ru0.ru_maxrss > 32 * 1024)
			_exit(12);
		/* what fits in 32 KiB is out; the rest pending or dropped */
		if (st.bytes_out > (32 << 10) || st.records_out * 60 > st.bytes_out ||
		    st.dropped < n / 2 || st.records_out + st.dropped > n)
			_exit(13);
		/* room again: the pending records are written on flush */
		fsz.rlim_cur = RLIM_INFINITY;
		if (setrlimit(RLIMIT_FSIZE, &fsz) ||
		    pl.plugins[0]->p.flush(pl.plugins[0]->state))
			_exit(14);
		pl.plugins[0]->p.stats(pl.plugins[0]->state, &st);
		if (st.records_out + st.dropped != n)
			_exit(15);
		vigil_pipeline_shutdown(&pl);
		vigil_pipeline_unload(&pl);
		fflush(stderr);
		ef = fopen(errpath, "r");
		while (ef && fgets(line, sizeof(line), ef))
			logged += strstr(line, "failed: File too large") != NULL;
		if (ef)
			fclose(ef);
		/* rate-limited: once per 10 s, not once per record */
		_exit(logged >= 1 && logged <= 3 ? 0 : 16);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		assert_int_equal(system(cmd), 0);
	}
}

/* Issue 22 L5: the output file is never opened through a symlink. */
static void test_plugin_file_sink_refuses_symlinked_path(void **state)
{
	char dir[] = "/tmp/vigil-test-sinklinkXXXXXX", cfgpath[256], out[256],
	     victim[256], yaml[1024];
	struct vigil_config cfg;
	struct vigil_pipeline pl;
	struct vigil_buf err = { 0 };
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cfgpath, sizeof(cfgpath), "%s/v.yaml", dir);
	snprintf(out, sizeof(out), "%s/signals.json", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	assert_int_equal(write_file(victim, "precious"), 0);
	assert_int_equal(symlink(victim, out), 0);
	snprintf(yaml, sizeof(yaml),
		 "agent: {plugin_dir: %s}\n"
		 "plugins:\n"
		 "  - name: file_sink\n"
		 "    path: %s\n"
		 "    config: {path: %s, what: both}\n",
		 TEST_PLUGIN_DIR, TEST_FILE_SINK, out);
	assert_int_equal(write_file(cfgpath, yaml), 0);
	if (vigil_config_load(cfgpath, &cfg, &err))
		fail_msg("%s", vigil_buf_cstr(&err));
	assert_int_equal(vigil_pipeline_init(&pl, NULL, &cfg), 0);
	assert_int_not_equal(vigil_pipeline_load_plugins(&pl, &err), 0);
	vigil_pipeline_shutdown(&pl);
	vigil_pipeline_unload(&pl);
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_size, 8);
	vigil_config_free(&cfg);
	vigil_buf_free(&err);
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		assert_int_equal(system(cmd), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plugin_loader_accepts_current_abi),
		cmocka_unit_test(test_plugin_loader_loads_previous_minor_without_its_slots),
		cmocka_unit_test(test_plugin_loader_refuses_a_wrong_config_table),
		cmocka_unit_test(test_plugin_loader_refuses_other_major),
		cmocka_unit_test(test_plugin_loader_refuses_newer_minor),
		cmocka_unit_test(test_plugin_loader_refuses_short_descriptor),
		cmocka_unit_test(test_plugin_loader_refuses_missing_entry),
		cmocka_unit_test(test_plugin_loader_refuses_group_writable_file),
		cmocka_unit_test(test_plugin_loader_refuses_null_descriptor),
		cmocka_unit_test(test_plugin_loader_refuses_missing_init),
		cmocka_unit_test(test_plugin_loader_missing_file_names_it),
		cmocka_unit_test(test_plugin_file_sink_writes_flushes_and_rotates),
		cmocka_unit_test(test_plugin_file_sink_disk_full_is_bounded),
		cmocka_unit_test(test_plugin_file_sink_refuses_symlinked_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
