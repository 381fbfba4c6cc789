/*
 * test_store_plugin - the store sink plugin (plugins/store.so) in a real
 * pipeline: signals reach signals.db grouped by rule and entity (and by a
 * rule's own group_by_rule fields), status reports the store, and a
 * damaged database degrades the plugin with a reason and one
 * agent_store_degraded signal while the pipeline runs on.
 */
#include "config.h"

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

#include "pipeline.h"
#include "pipeline_int.h"
#include "settings.h"
#include "store/store.h"

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

struct fx {
	char dir[64];
	char cfgpath[128];
	char db[128];
	struct vigil_config cfg;
	struct vigil_pipeline pl;
};

static void start(struct fx *f)
{
	struct vigil_buf err = { 0 };
	char yaml[1024];

	snprintf(yaml, sizeof(yaml),
		 "agent: {state_dir: %s}\n"
		 "plugins:\n"
		 "  - name: store\n"
		 "    path: %s\n"
		 "    config:\n"
		 "      flush_interval: 20ms\n"
		 "      group_by_rule: [\"r2: event.host\"]\n",
		 f->dir, TEST_STORE_PLUGIN);
	assert_int_equal(write_file(f->cfgpath, yaml), 0);
	if (vigil_config_load(f->cfgpath, &f->cfg, &err))
		fail_msg("%s", vigil_buf_cstr(&err));
	assert_int_equal(vigil_pipeline_init(&f->pl, NULL, &f->cfg), 0);
	if (vigil_pipeline_load_plugins(&f->pl, &err))
		fail_msg("%s", vigil_buf_cstr(&err));
	vigil_buf_free(&err);
}

static void stop(struct fx *f)
{
	vigil_pipeline_shutdown(&f->pl);
	vigil_pipeline_unload(&f->pl);
	vigil_config_free(&f->cfg);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-test-storeplug.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->cfgpath, sizeof(f->cfgpath), "%s/v.yaml", f->dir);
	snprintf(f->db, sizeof(f->db), "%s/signals.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd))
		return -1;
	free(f);
	return 0;
}

static void raise_signal(struct fx *f, const char *rule, const char *host,
			 const char *exe)
{
	static const char *const tags[] = { "technique:T1059" };
	struct vigil_arena a;
	struct vigil_event ev;
	struct vigil_signal sig;

	vigil_arena_init(&a, 1024);
	vigil_event_init(&ev, &a);
	ev.type = VIGIL_EV_EXEC;
	ev.time_ns = vigil_now_ns();
	ev.host = vigil_str_c(host);
	ev.process.pid = 42;
	ev.process.file.path = vigil_str_c(exe);
	memset(&sig, 0, sizeof(sig));
	sig.struct_size = sizeof(sig);
	sig.rule_id = rule;
	sig.title = "test signal";
	sig.severity = VIGIL_SEV_HIGH;
	sig.tags = tags;
	sig.n_tags = 1;
	vigil__pipeline_signal(&f->pl, &ev, &sig);
	vigil_arena_free(&a);
}

struct tally {
	size_t n;
	uint64_t counts[8];
	char rules[8][16];
};

static int tally_row(void *arg, const struct vigil_store_row *r)
{
	struct tally *t = arg;

	if (t->n < 8) {
		snprintf(t->rules[t->n], sizeof(t->rules[0]), "%s", r->rule);
		t->counts[t->n++] = r->count;
	}
	return 0;
}

static void read_back(struct fx *f, const char *rule, struct tally *t)
{
	struct vigil_store_filter flt = { .min_severity = -1, .status = -1 };
	struct vigil_buf err = { 0 };
	struct vigil_store *st;

	memset(t, 0, sizeof(*t));
	flt.rule = rule;
	if (vigil_store_open(f->db, VIGIL_STORE_RDONLY, &st, &err))
		fail_msg("%s", vigil_buf_cstr(&err));
	assert_int_equal(vigil_store_list(st, &flt, tally_row, t, &err), 0);
	vigil_store_close(st);
	vigil_buf_free(&err);
}

static void test_store_plugin_groups_signals_into_the_database(void **state)
{
	struct fx *f = *state;
	struct vigil_buf status = { 0 };
	struct stat sb;
	struct tally t;

	start(f);
	for (int i = 0; i < 3; i++)
		raise_signal(f, "r1", "h1", "/bin/a");
	raise_signal(f, "r1", "h1", "/bin/b");
	/* r2 groups by host alone */
	raise_signal(f, "r2", "h1", "/bin/a");
	raise_signal(f, "r2", "h1", "/bin/b");
	raise_signal(f, "r2", "h2", "/bin/b");
	/* the writer runs every 20 ms: the status shows them stored */
	for (int i = 0; i < 200; i++) {
		vigil_pipeline_flush(&f->pl);
		vigil_buf_reset(&status);
		assert_int_equal(vigil_pipeline_status_json(&f->pl, &status), 0);
		if (strstr(vigil_buf_cstr(&status), "\"records_out\":7"))
			break;
		usleep(10000);
	}
	assert_non_null(strstr(vigil_buf_cstr(&status), "\"records_out\":7"));
	assert_non_null(strstr(vigil_buf_cstr(&status),
			       "\"status\":{\"state\":\"ok\""));
	stop(f);
	read_back(f, "r1", &t);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.counts[0] + t.counts[1], 4);
	assert_true(t.counts[0] == 3 || t.counts[1] == 3);
	read_back(f, "r2", &t);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.counts[0] + t.counts[1], 3);
	assert_int_equal(stat(f->db, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	vigil_buf_free(&status);
}

static void test_store_plugin_is_ok_once_open_without_any_signal(void **state)
{
	struct fx *f = *state;
	struct vigil_buf status = { 0 };
	bool ok = false;

	start(f);
	for (int i = 0; i < 200 && !ok; i++) {
		usleep(10000);
		vigil_buf_reset(&status);
		assert_int_equal(vigil_pipeline_status_json(&f->pl, &status), 0);
		/* open, then the first housekeeping reads the schema */
		ok = strstr(vigil_buf_cstr(&status), "\"state\":\"ok\"") &&
		     strstr(vigil_buf_cstr(&status), "\"schema_version\":1");
	}
	assert_true(ok);
	stop(f);
	vigil_buf_free(&status);
}

static void test_store_plugin_drains_its_queue_at_shutdown(void **state)
{
	struct fx *f = *state;
	struct tally t;

	start(f);
	for (int i = 0; i < 1000; i++)
		raise_signal(f, "r1", "h1", "/bin/a");
	stop(f); /* no flush, no wait: destroy writes what is queued */
	read_back(f, "r1", &t);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.counts[0], 1000);
}

static void test_store_plugin_degrades_on_a_damaged_database(void **state)
{
	struct fx *f = *state;
	struct vigil_buf status = { 0 };
	uint64_t before;
	bool degraded = false;

	assert_int_equal(write_file(f->db, "this is not an SQLite database, "
					   "it is a file someone broke...."),
			 0);
	assert_int_equal(chmod(f->db, 0600), 0);
	start(f);
	raise_signal(f, "r1", "h1", "/bin/a");
	before = f->pl.signals;
	for (int i = 0; i < 200 && !degraded; i++) {
		usleep(10000);
		vigil_pipeline_flush(&f->pl);
		vigil_buf_reset(&status);
		assert_int_equal(vigil_pipeline_status_json(&f->pl, &status), 0);
		degraded = strstr(vigil_buf_cstr(&status),
				  "\"state\":\"degraded\"") != NULL;
	}
	assert_true(degraded);
	assert_non_null(strstr(vigil_buf_cstr(&status), "move it aside"));
	/* the flush that saw the change raised the signal */
	assert_int_equal(f->pl.signals, before + 1);
	/* and it stays one: no storm while it stays degraded */
	for (int i = 0; i < 5; i++)
		vigil_pipeline_flush(&f->pl);
	assert_int_equal(f->pl.signals, before + 1);
	/* the pipeline still delivers */
	raise_signal(f, "r1", "h1", "/bin/a");
	assert_int_equal(f->pl.signals, before + 2);
	stop(f);
	vigil_buf_free(&status);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
		T(test_store_plugin_groups_signals_into_the_database),
		T(test_store_plugin_is_ok_once_open_without_any_signal),
		T(test_store_plugin_drains_its_queue_at_shutdown),
		T(test_store_plugin_degrades_on_a_damaged_database),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
