/*
 * test_lang_cli.c - "vigilctl rules ...": lint reports errors with
 * positions and fails, test prints PASS/FAIL per rule with the reason,
 * explain shows which part of a rule failed, list and fields print what
 * the policy and the registry hold.
 * Events are decoded by the codec's vigil_event_from_node().
 */
#include "config.h"

#include <unistd.h>

#include "test_lang_util.h"

int vigil__rules_cli(const struct vigil_field_table *ft, int argc,
		     char **argv, FILE *out, FILE *errf);

#define FIX(name) TOP_SRCDIR "/tests/fixtures/lang/" name

/* Runs the CLI; stdout and stderr text land in out/errs (malloc'd). */
static int run(char **out, char **errs, int argc, ...)
{
	char *argv[16];
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	FILE *o = open_memstream(&obuf, &olen);
	FILE *e = open_memstream(&ebuf, &elen);
	va_list ap;
	int rc;

	va_start(ap, argc);
	for (int i = 0; i < argc && i < 16; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	rc = vigil__rules_cli(vigil_fields(), argc, argv, o, e);
	fclose(o);
	fclose(e);
	*out = obuf;
	*errs = ebuf;
	return rc;
}

static void test_lang_cli_test_reports_pass_and_fail_per_rule(void **state)
{
	char *out, *errs;
	int rc = run(&out, &errs, 3, "rules", "test", FIX("cli_policy.yaml"));

	assert_int_equal(rc, 1);
	assert_contains(out, "PASS shell_from_web_server\n");
	assert_contains(out, "FAIL broken_test: ");
	assert_contains(out, "cli_policy.yaml:23:9: test event does not "
			     "match");
	assert_contains(out, "false   exec.file.path =~ \"/tmp/**\" "
			     "(exec.file.path: \"/usr/bin/id\")");
	assert_contains(out, "NOTEST untested\n");
	assert_contains(out, "1 passed, 1 failed, 1 without tests");
	free(out);
	free(errs);
}

static void test_lang_cli_explain_shows_the_failing_part(void **state)
{
	char *out, *errs;
	int rc = run(&out, &errs, 5, "rules", "explain",
		     "shell_from_web_server", FIX("cli_event.json"),
		     FIX("cli_policy.yaml"));

	assert_int_equal(rc, 1);
	assert_contains(out, "rule shell_from_web_server (event types: exec)");
	assert_contains(out, "true    exec.file.name in shell_binaries");
	assert_contains(out, "false   process.ancestors.file.name in [nginx, "
			     "apache2, httpd] (process.ancestors.file.name: "
			     "\"sshd\" \"init\")");
	assert_contains(out, "result: no match");
	free(out);
	free(errs);
}

static void test_lang_cli_lint_fails_with_positions(void **state)
{
	char path[] = "/tmp/vigil-lint-XXXXXX.yaml";
	int fd = mkstemps(path, 5);
	char *out, *errs;
	FILE *f;
	int rc;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("- rule: r\n  description: d\n  severity: low\n"
	      "  expression: exec.file.nme == bash\n", f);
	fclose(f);
	rc = run(&out, &errs, 3, "rules", "lint", path);
	assert_int_equal(rc, 1);
	assert_contains(errs, ":4:15: unknown field 'exec.file.nme' (did you "
			      "mean 'exec.file.name'?)");
	free(out);
	free(errs);
	rc = run(&out, &errs, 3, "rules", "lint", FIX("cli_policy.yaml"));
	assert_int_equal(rc, 0);
	assert_contains(out, "OK: 3 rules (3 enabled), 1 macros, 1 lists");
	free(out);
	free(errs);
	unlink(path);
}

static void test_lang_cli_list_and_fields(void **state)
{
	char *out, *errs;
	int rc = run(&out, &errs, 4, "rules", "list", "--json",
		     FIX("cli_policy.yaml"));

	assert_int_equal(rc, 0);
	assert_contains(out, "{\"id\": \"shell_from_web_server\", "
			     "\"description\": \"A shell was started by a web "
			     "server\", \"severity\": \"high\", \"enabled\": "
			     "true, \"events\": [\"exec\"], \"tags\": "
			     "[\"technique:T1505.003\"");
	assert_contains(out, "\"remediation\": \"Check the web application for "
			     "command injection.\", \"action\": \"alert\", "
			     "\"every_ns\": 0");
	free(out);
	free(errs);
	rc = run(&out, &errs, 2, "rules", "fields");
	assert_int_equal(rc, 0);
	assert_contains(out, "process.ancestors.file.name");
	assert_contains(out, "[each ancestor]");
	assert_contains(out, "[constants: PTRACE_TRACEME ...] (ptrace)");
	free(out);
	free(errs);
	rc = run(&out, &errs, 2, "rules", "frobnicate");
	assert_int_equal(rc, 64);
	assert_contains(errs, "unknown command 'frobnicate'");
	free(out);
	free(errs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_lang_cli_test_reports_pass_and_fail_per_rule),
		cmocka_unit_test(test_lang_cli_explain_shows_the_failing_part),
		cmocka_unit_test(test_lang_cli_lint_fails_with_positions),
		cmocka_unit_test(test_lang_cli_list_and_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
