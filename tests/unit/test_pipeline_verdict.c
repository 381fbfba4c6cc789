/*
 * test_pipeline_verdict.c - vigil_pipeline_submit_verdict() hands back the
 * actions of the signals the rules engine raised for that event, and only
 * for that event: deny for a listed DNS name, nothing for an alert-only
 * match or no match.  The real engine plugin (plugins/rules.so) runs in a
 * real pipeline.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pipeline.h"
#include "settings.h"

static const char policy[] =
	"- rule: deny_blocked\n"
	"  description: lookup of a blocked name\n"
	"  severity: high\n"
	"  expression: dns.question.name == \"blocked.test\"\n"
	"  action: deny\n"
	"- rule: watch_watched\n"
	"  description: lookup of a watched name\n"
	"  severity: low\n"
	"  expression: dns.question.name == \"watched.test\"\n";

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* Submits a DNS query for name; returns the actions, checks rc 0. */
static uint32_t submit_query(struct vigil_pipeline *pl, const char *name)
{
	struct vigil_arena a;
	struct vigil_event ev;
	uint32_t actions = 0xdeadbeef;

	vigil_arena_init(&a, 1024);
	vigil_event_init(&ev, &a);
	ev.type = VIGIL_EV_DNS;
	ev.u.dns.direction = VIGIL_DNS_QUERY;
	ev.u.dns.qname = vigil_str_c(name);
	assert_int_equal(vigil_pipeline_submit_verdict(pl, &ev, &actions), 0);
	vigil_arena_free(&a);
	return actions;
}

static void test_pipeline_verdict_returns_deny_of_matching_rule(void **state)
{
	char dir[] = "/tmp/vigil-test-verdictXXXXXX", cfgpath[256],
	     polpath[256], yaml[1024];
	struct vigil_config cfg;
	struct vigil_pipeline pl;
	struct vigil_buf err = { 0 };
	uint64_t signals;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cfgpath, sizeof(cfgpath), "%s/v.yaml", dir);
	snprintf(polpath, sizeof(polpath), "%s/p.yaml", dir);
	assert_int_equal(write_file(polpath, policy), 0);
	snprintf(yaml, sizeof(yaml),
		 "plugins:\n"
		 "  - name: rules\n"
		 "    path: %s\n"
		 "    config: {paths: [%s]}\n",
		 TEST_RULES_PLUGIN, polpath);
	assert_int_equal(write_file(cfgpath, yaml), 0);
	if (vigil_config_load(cfgpath, &cfg, &err))
		fail_msg("%s", vigil_buf_cstr(&err));
	assert_int_equal(vigil_pipeline_init(&pl, NULL, &cfg), 0);
	if (vigil_pipeline_load_plugins(&pl, &err))
		fail_msg("%s", vigil_buf_cstr(&err));

	signals = pl.signals;
	assert_int_equal(submit_query(&pl, "blocked.test"), VIGIL_ACTION_DENY);
	assert_int_equal(pl.signals, signals + 1);
	/* a signal without an action: reported, not denied */
	assert_int_equal(submit_query(&pl, "watched.test"), 0);
	assert_int_equal(pl.signals, signals + 2);
	assert_int_equal(submit_query(&pl, "allowed.test"), 0);
	assert_int_equal(pl.signals, signals + 2);
	/* the deny of one event does not stick to the next */
	assert_int_equal(submit_query(&pl, "blocked.test"), VIGIL_ACTION_DENY);
	assert_int_equal(submit_query(&pl, "allowed.test"), 0);
	assert_null(pl.collect_actions);

	vigil_pipeline_shutdown(&pl);
	vigil_pipeline_unload(&pl);
	vigil_config_free(&cfg);
	vigil_buf_free(&err);
	unlink(cfgpath);
	unlink(polpath);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_pipeline_verdict_returns_deny_of_matching_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
