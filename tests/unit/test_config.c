/*
 * test_config - vigil.yaml loading: defaults, every setting, and errors that
 * name the file, line and column of the mistake.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "settings.h"
#include "source.h"

#define FIX TEST_SRCDIR "/tests/fixtures/config/"

static void test_config_good_file_sets_every_value(void **state)
{
	struct vigil_config cfg;
	struct vigil_buf err = { 0 };

	assert_int_equal(vigil_config_load(FIX "good.yaml", &cfg, &err), 0);
	assert_string_equal(cfg.hostname, "test-host");
	assert_string_equal(cfg.pid_file, "/tmp/vigil-test/vigild.pid");
	assert_string_equal(cfg.control_socket, "/tmp/vigil-test/vigil.sock");
	assert_int_equal(cfg.log_target, VIGIL_LOG_SYSLOG);
	assert_int_equal(cfg.log_level, VIGIL_LOG_DEBUG);
	assert_int_equal(cfg.features_disabled,
			 VIGIL_FEAT_AUDIT_MULTICAST | VIGIL_FEAT_FANOTIFY_FID);
	assert_int_equal(cfg.stdout_format, VIGIL_FMT_JSON);
	assert_int_equal(cfg.stdout_what, VIGIL_OUT_EVENTS | VIGIL_OUT_SIGNALS);
	assert_int_equal(cfg.n_plugins, 2);
	assert_string_equal(cfg.plugins[0].name, "file_sink");
	assert_true(cfg.plugins[0].enabled);
	assert_non_null(cfg.plugins[0].config);
	assert_false(cfg.plugins[1].enabled);
	assert_non_null(vigil_config_section(&cfg, "audit"));
	assert_null(vigil_config_section(&cfg, "dns"));
	vigil_config_free(&cfg);
	vigil_buf_free(&err);
}

static void test_config_empty_file_gives_defaults(void **state)
{
	struct vigil_config cfg;
	struct vigil_buf err = { 0 };

	assert_int_equal(vigil_config_load(FIX "empty.yaml", &cfg, &err), 0);
	assert_null(cfg.hostname);
	assert_string_equal(cfg.plugin_dir, VIGIL_PLUGINDIR);
	assert_int_equal(cfg.stdout_what, VIGIL_OUT_SIGNALS);
	assert_int_equal(cfg.features_disabled, 0);
	assert_int_equal(cfg.n_plugins, 0);
	vigil_config_free(&cfg);
	vigil_buf_free(&err);
}

static const struct {
	const char *file;
	const char *where; /* "line:col" */
	const char *says;
} bad[] = {
	{ "bad_log_level.yaml", "3:12", "agent.log.level: 'loud' is not one of error, warning, notice, info, debug" },
	{ "bad_unknown_key.yaml", "3:3",
	  "unknown key 'pidfile' in agent (did you mean 'pid_file'?)" },
	{ "bad_top_key.yaml", "1:1", "unknown key 'agnet' in the configuration (did you mean 'agent'?)" },
	{ "bad_syntax.yaml", "3:1", "YAML syntax error" },
	{ "bad_duplicate.yaml", "3:3", "duplicate key 'hostname' (first at line 2)" },
	{ "bad_feature.yaml", "5:9", "agent.features.disable: 'time_travel' is not one of audit_multicast," },
	{ "bad_plugins.yaml", "3:11", "plugin 'file_sink' is listed twice" },
	{ "bad_alias.yaml", "3:8", "aliases (*name) are not supported" },
	{ "bad_stdout_what.yaml", "3:11", "output.stdout.what: 'everything' is not one of signals, events, both" },
	{ "bad_tab.yaml", "2:1", "indent YAML with spaces" },
};

static void test_config_errors_name_file_line_and_column(void **state)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vigil_config cfg;
		struct vigil_buf err = { 0 };
		char want[512];
		const char *got;

		snprintf(want, sizeof(want), "%s%s", FIX, bad[i].file);
		assert_int_not_equal(vigil_config_load(want, &cfg, &err), 0);
		got = vigil_buf_cstr(&err);
		snprintf(want, sizeof(want), "%s%s:%s: ", FIX, bad[i].file,
			 bad[i].where);
		if (strncmp(got, want, strlen(want)) != 0 ||
		    !strstr(got, bad[i].says))
			fail_msg("%s: got \"%s\", want \"%s...%s\"",
				 bad[i].file, got, want, bad[i].says);
		/* one line: a user reads it in a terminal or a journal */
		assert_null(strchr(got, '\n'));
		vigil_config_free(&cfg);
		vigil_buf_free(&err);
	}
}

static void test_config_missing_file_is_a_clear_error(void **state)
{
	struct vigil_config cfg;
	struct vigil_buf err = { 0 };

	assert_int_equal(vigil_config_load("/nonexistent/vigil.yaml", &cfg,
					   &err),
			 -ENOENT);
	assert_non_null(strstr(vigil_buf_cstr(&err),
			       "/nonexistent/vigil.yaml: cannot open"));
	vigil_config_free(&cfg);
	vigil_buf_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_good_file_sets_every_value),
		cmocka_unit_test(test_config_empty_file_gives_defaults),
		cmocka_unit_test(test_config_errors_name_file_line_and_column),
		cmocka_unit_test(test_config_missing_file_is_a_clear_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
