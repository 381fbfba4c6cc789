/*
 * test_signals_cli - `vigilctl signals` on a real store: bad input (an
 * unknown command, status, reason, severity, --since, id) is refused with
 * the valid choices and its exit code; triage changes state and records
 * who; export's CSV is quoted and defused against formula injection.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/cli.h"
#include "store/store.h"
#include "util.h"

#define UNKNOWN_ID "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

static char dir[64], db[128], outpath[128], errpath[128];
static char sig_id[VIGIL_STORE_ID_LEN + 1];
static struct vigil_buf out, errout;

static int keep_first_id(void *arg, const struct vigil_store_row *r)
{
	snprintf(arg, VIGIL_STORE_ID_LEN + 1, "%s", r->id);
	return 1; /* stop */
}

static int setup(void **state)
{
	struct vigil_store_limits lim = {
		.window_ns = INT64_C(3600) * 1000000000,
		.max_samples = 10,
		.max_event_ids = 10,
	};
	struct vigil_store_filter flt = { .min_severity = -1, .status = -1 };
	struct vigil_store_occ o = {
		.group_key = "k",
		.rule = "shell_spawned",
		.engine = "rules",
		.title = "=cmd|' /C calc'!A0, \"quoted\"",
		.tags = "\ttechnique:T1059\t",
		.host = "web-01",
		.exe = "/bin/sh\033[2J",
		.json = "{\"process\":{\"pid\":7,\"file\":{\"path\":\"/bin/sh\"},"
			"\"ancestors\":[{\"pid\":1,\"file\":{\"path\":\"/sbin/init\"}}]}}",
		.severity = 3,
		.time_ns = INT64_C(1700000000) * 1000000000,
		.event_id = 9,
	};
	struct vigil_buf err = { 0 };
	struct vigil_store *st;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vigil-test-sigcli.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(db, sizeof(db), "%s/signals.db", dir);
	snprintf(outpath, sizeof(outpath), "%s/out", dir);
	snprintf(errpath, sizeof(errpath), "%s/err", dir);
	o.json_len = strlen(o.json);
	if (vigil_store_open(db, 0, &st, &err) ||
	    vigil_store_record(st, &o, 1, &lim, &err) ||
	    vigil_store_list(st, &flt, keep_first_id, sig_id, &err) != 1) {
		fprintf(stderr, "%s\n", vigil_buf_cstr(&err));
		return -1;
	}
	vigil_store_close(st);
	vigil_buf_free(&err);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	vigil_buf_free(&out);
	vigil_buf_free(&errout);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) ? -1 : 0;
}

static void slurp(const char *path, struct vigil_buf *b)
{
	struct vigil_buf err = { 0 };

	vigil_buf_free(b);
	assert_int_equal(vigil_read_file(path, 1 << 20, b, &err), 0);
	vigil_buf_free(&err);
}

/* Runs vigilctl signals with the NULL-terminated arguments after
 * "signals" (and --db added); stdout and stderr land in out/errout. */
static int run(const char *first, ...)
{
	char *argv[32];
	int argc = 0, rc, so, se, fo, fe;
	va_list ap;

	argv[argc++] = (char *)"signals";
	va_start(ap, first);
	for (const char *a = first; a && argc < 28; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc++] = (char *)"--db";
	argv[argc++] = db;
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	so = dup(STDOUT_FILENO);
	se = dup(STDERR_FILENO);
	fo = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fe = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(so >= 0 && se >= 0 && fo >= 0 && fe >= 0);
	dup2(fo, STDOUT_FILENO);
	dup2(fe, STDERR_FILENO);
	rc = vigil_signals_cli("/nonexistent/vigil.yaml", argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, STDOUT_FILENO);
	dup2(se, STDERR_FILENO);
	close(so);
	close(se);
	close(fo);
	close(fe);
	slurp(outpath, &out);
	slurp(errpath, &errout);
	return rc;
}

static void expect_err(const char *text)
{
	if (!strstr(vigil_buf_cstr(&errout), text))
		fail_msg("stderr lacks '%s': %s", text,
			 vigil_buf_cstr(&errout));
}

static void test_signals_cli_refuses_unknown_command_and_filters(void **state)
{
	(void)state;
	assert_int_equal(run("frobnicate", NULL), 64);
	expect_err("valid: list, show, triage, export");
	assert_int_equal(run("list", "--status", "closed", NULL), 64);
	expect_err("unknown status 'closed'; valid: open, under_review, archived");
	assert_int_equal(run("list", "--severity", "extreme", NULL), 64);
	expect_err("valid: info, low, medium, high, critical");
	assert_int_equal(run("list", "--since", "yesterday", NULL), 64);
	expect_err("--since takes a duration");
	assert_int_equal(run("list", "--limit", "-3", NULL), 64);
	assert_int_equal(run("export", "--format", "xml", NULL), 64);
	expect_err("valid: json, csv");
	assert_int_equal(run("list", "--bogus", NULL), 64);
}

static void test_signals_cli_unknown_id_exits_2(void **state)
{
	(void)state;
	assert_int_equal(run("show", "not-an-id", NULL), 2);
	expect_err("is not a signal id");
	assert_int_equal(run("show", UNKNOWN_ID, NULL), 2);
	expect_err("no signal with id " UNKNOWN_ID);
	assert_int_equal(run("triage", UNKNOWN_ID, "--status", "under_review",
			     NULL),
			 2);
	expect_err("no signal with id");
}

static void test_signals_cli_triage_refuses_bad_status_and_reason(void **state)
{
	(void)state;
	assert_int_equal(run("triage", sig_id, "--status", "closed", NULL), 64);
	expect_err("valid: open, under_review, archived");
	assert_int_equal(run("triage", sig_id, "--status", "archived",
			     "--reason", "bored", NULL),
			 64);
	expect_err("valid: false_positive, testing_or_maintenance, "
		   "investigated_case_opened, true_positive_benign, "
		   "true_positive_malicious, other");
	assert_int_equal(run("triage", sig_id, "--status", "archived", NULL),
			 64);
	expect_err("archiving needs a reason");
	assert_int_equal(run("triage", sig_id, NULL), 64);
	expect_err("triage needs --status");
	assert_int_equal(run("triage", "--status", "under_review", NULL), 64);
	expect_err("--all-matching");
}

static void test_signals_cli_triage_changes_state_and_records_who(void **state)
{
	(void)state;
	assert_int_equal(run("triage", sig_id, "--status", "under_review",
			     "--assign", "bob", "--comment", "on it", NULL),
			 0);
	assert_int_equal(run("show", sig_id, "--json", NULL), 0);
	assert_non_null(strstr(vigil_buf_cstr(&out),
			       "\"status\":\"under_review\""));
	assert_non_null(strstr(vigil_buf_cstr(&out), "\"assignee\":\"bob\""));
	assert_non_null(strstr(vigil_buf_cstr(&out),
			       "\"field\":\"status\",\"from\":\"open\","
			       "\"to\":\"under_review\""));
	/* the process tree's ancestors are in the samples */
	assert_non_null(strstr(vigil_buf_cstr(&out), "/sbin/init"));
	/* many by filter */
	assert_int_equal(run("triage", "--all-matching", "--rule",
			     "shell_spawned", "--status", "archived",
			     "--reason", "testing_or_maintenance", NULL),
			 0);
	assert_non_null(strstr(vigil_buf_cstr(&out), "1 signal changed"));
	assert_int_equal(run("list", "--status", "archived", "--json", NULL),
			 0);
	assert_non_null(strstr(vigil_buf_cstr(&out),
			       "\"archive_reason\":\"testing_or_maintenance\""));
}

static void test_signals_cli_all_matching_takes_every_match(void **state)
{
	struct vigil_store_limits lim = {
		.window_ns = 1,
		.max_samples = 1,
		.max_event_ids = 1,
	};
	struct vigil_buf err = { 0 };
	struct vigil_store *st;
	char key[16];

	(void)state;
	/* 150 more signals: more than list's first page of 100 */
	assert_int_equal(vigil_store_open(db, 0, &st, &err), 0);
	for (int i = 0; i < 150; i++) {
		struct vigil_store_occ o = {
			.group_key = key, .rule = "many", .json = "{}",
			.json_len = 2, .time_ns = i + 1,
		};

		snprintf(key, sizeof(key), "m%d", i);
		assert_int_equal(vigil_store_record(st, &o, 1, &lim, &err), 0);
	}
	vigil_store_close(st);
	vigil_buf_free(&err);
	assert_int_equal(run("triage", "--all-matching", "--rule", "many",
			     "--status", "under_review", NULL),
			 0);
	assert_non_null(strstr(vigil_buf_cstr(&out), "150 signals changed"));
}

static void test_signals_cli_output_is_escaped(void **state)
{
	(void)state;
	/* JSON: the escape byte of the executable is \u001b */
	assert_int_equal(run("list", "--json", NULL), 0);
	assert_null(strchr(vigil_buf_cstr(&out), '\033'));
	assert_non_null(strstr(vigil_buf_cstr(&out), "/bin/sh\\u001b[2J"));
	/* CSV: a formula is defused, quotes doubled, commas quoted */
	assert_int_equal(run("export", "--format", "csv", NULL), 0);
	assert_non_null(strstr(vigil_buf_cstr(&out),
			       "\"'=cmd|' /C calc'!A0, \"\"quoted\"\"\""));
	assert_non_null(strstr(vigil_buf_cstr(&out), "id,rule,severity,"));
}

static void test_signals_cli_missing_store_is_an_error(void **state)
{
	char *argv[] = { (char *)"signals", (char *)"list", (char *)"--db",
			 (char *)"/nonexistent/signals.db", NULL };

	(void)state;
	assert_int_equal(vigil_signals_cli("/nonexistent/vigil.yaml", 4, argv),
			 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
		T(test_signals_cli_refuses_unknown_command_and_filters),
		T(test_signals_cli_unknown_id_exits_2),
		T(test_signals_cli_triage_refuses_bad_status_and_reason),
		T(test_signals_cli_triage_changes_state_and_records_who),
		T(test_signals_cli_all_matching_takes_every_match),
		T(test_signals_cli_output_is_escaped),
		T(test_signals_cli_missing_store_is_an_error),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
