/*
 * test_lang_errors.c - errors a user can act on: each names file, line and
 * column of the offending token, and suggests the fix where it can.
 *
 * load_expr() writes the expression on line 4 as
 *     "  expression: '<expr>'"
 * so offset 0 of the expression is column 16.
 */
#include "config.h"

#include "test_lang_util.h"

static void check_expr_error(const char *expr, const char *want)
{
	char *e = expr_error(expr);

	assert_contains(e, want);
	free(e);
}

static void check_policy_error(const char *yaml, const char *want)
{
	char *e = load_error(yaml);

	assert_contains(e, want);
	free(e);
}

static void test_lang_error_unknown_field_suggests_nearest(void **state)
{
	check_expr_error("exec.file.pth == x",
			 "test.yaml:4:16: unknown field 'exec.file.pth' "
			 "(did you mean 'exec.file.path'?)");
	check_expr_error("exec.pid == 1 && proces.file.path == x",
			 "test.yaml:4:33: unknown field 'proces.file.path' "
			 "(did you mean 'process.file.path'?)");
	check_expr_error("exec.pid == 1 && is_web",
			 "test.yaml:4:33: undefined macro or field 'is_web'");
}

static void test_lang_error_type_mismatch_names_both_types(void **state)
{
	check_expr_error("exec.pid == \"abc\"",
			 "test.yaml:4:28: 'exec.pid' is an integer, \"abc\" "
			 "is a string");
	check_expr_error("exec.pid in [1, \"2\"]",
			 "test.yaml:4:32: 'exec.pid' is an integer, \"2\" is a "
			 "string");
	check_expr_error("dns.latency > 5",
			 "test.yaml:4:30: 'dns.latency' is a duration, 5 is "
			 "an integer");
	check_expr_error("exec.is_container == 1",
			 "test.yaml:4:37: 'exec.is_container' is a boolean, 1 "
			 "is an integer");
	check_expr_error("exec.file.path < \"x\"",
			 "test.yaml:4:16: 'exec.file.path' is a string: it "
			 "takes == and !=");
	check_expr_error("exec.pid =~ \"1*\"",
			 "test.yaml:4:16: '=~' matches strings; 'exec.pid' is "
			 "an integer");
	check_expr_error("network.destination.ip == 10.0.0.300",
			 "test.yaml:4:42: 'network.destination.ip' is an IP "
			 "address, '10.0.0.300' is not an address or CIDR");
	check_expr_error("exec.pid",
			 "test.yaml:4:16: 'exec.pid' is an integer; compare it");
}

static void test_lang_error_unknown_constant_and_event_type(void **state)
{
	check_expr_error("ptrace.request == PTRACE_ATACH",
			 "test.yaml:4:34: unknown constant 'PTRACE_ATACH' for "
			 "'ptrace.request' (did you mean 'PTRACE_ATTACH'?)");
	check_expr_error("event.type == exek && process.pid == 1",
			 "test.yaml:4:30: unknown event type 'exek' (did you "
			 "mean 'exec'?)");
}

static void test_lang_error_undefined_list_and_macro_cycle(void **state)
{
	check_expr_error("exec.file.name in shells",
			 "test.yaml:4:34: undefined list 'shells'");
	check_policy_error(
		"- macro: a\n  expression: exec.pid == 1 && b\n"
		"- macro: b\n  expression: a\n"
		"- rule: r\n  description: d\n  severity: low\n"
		"  expression: a\n",
		"test.yaml:4:15: macro 'a' uses itself");
	check_policy_error("- list: a\n  items: [b]\n- list: b\n  items: [a]\n"
			   "- rule: r\n  description: d\n  severity: low\n"
			   "  expression: exec.file.name in a\n",
			   "contains itself");
}

static void test_lang_error_inside_macro_points_into_macro(void **state)
{
	check_policy_error(
		"- macro: m\n  expression: exec.pid == 1 && exec.pidd == 2\n"
		"- rule: r\n  description: d\n  severity: low\n"
		"  expression: exec.pid == 3 || m\n",
		"test.yaml:2:32: unknown field 'exec.pidd' (did you mean "
		"'exec.pid'?)\ntest.yaml:6:32: in macro 'm' used here");
}

static void test_lang_error_bad_regex_gives_pcre2_message(void **state)
{
	/* r" is at column 29, the pattern starts at 31; PCRE2 finds the
	 * missing ")" at the end of the pattern, offset 4 */
	check_expr_error("exec.args =~ r\"a(bc\"",
			 "test.yaml:4:35: bad regular expression: missing "
			 "closing parenthesis (at offset 4)");
}

static void test_lang_error_syntax(void **state)
{
	check_expr_error("exec.pid ==",
			 "test.yaml:4:27: expected a value, found the end of "
			 "the expression");
	check_expr_error("(exec.pid == 1",
			 "test.yaml:4:30: expected ')', found the end");
	check_expr_error("exec.pid == 1 exec.pid == 2",
			 "test.yaml:4:30: unexpected 'exec.pid' (missing && or "
			 "||?)");
	check_expr_error("exec.file.name == \"abc",
			 "test.yaml:4:34: unterminated string");
	check_expr_error("exec.pid = 1",
			 "test.yaml:4:25: '=' alone is not an operator");
	check_expr_error("exec.file.name == x && exec.pid in [1, 2",
			 "test.yaml:4:56: expected ',' or ']', found the end");
	check_expr_error("exec.file.name == \"a\\q\"",
			 "test.yaml:4:36: unknown escape");
}

static void test_lang_error_positions_in_block_scalars(void **state)
{
	/* literal block: the error is on the second line of the text */
	check_policy_error("- rule: r\n  description: d\n  severity: low\n"
			   "  expression: |\n"
			   "    exec.file.name == bash &&\n"
			   "      exec.pidd == 1\n",
			   "test.yaml:6:7: unknown field 'exec.pidd'");
	/* folded block */
	check_policy_error("- rule: r\n  description: d\n  severity: low\n"
			   "  expression: >-\n"
			   "    exec.file.name == bash &&\n"
			   "    exec.pidd == 1\n",
			   "test.yaml:6:5: unknown field 'exec.pidd'");
	/* plain scalar folded over two lines */
	check_policy_error("- rule: r\n  description: d\n  severity: low\n"
			   "  expression: exec.file.name == bash &&\n"
			   "    exec.pidd == 1\n",
			   "test.yaml:5:5: unknown field 'exec.pidd'");
	/* double-quoted with an escape before the error */
	check_policy_error("- rule: r\n  description: d\n  severity: low\n"
			   "  expression: \"exec.file.name == \\\"a\\\" && "
			   "exec.pidd == 1\"\n",
			   "test.yaml:4:43: unknown field 'exec.pidd'");
}

static void test_lang_error_rule_needs_an_event_type(void **state)
{
	check_expr_error("process.file.name == bash",
			 "test.yaml:4:16: rule 'r' applies to no single event "
			 "type");
	check_expr_error("exec.pid == 1 && open.file.path == x",
			 "test.yaml:4:16: rule 'r' can never match");
}

static void test_lang_error_deny_action_only_on_dns_rules(void **state)
{
	struct vigil_ruleset *rs;

	check_policy_error("- rule: r\n  description: d\n  severity: low\n"
			   "  expression: exec.file.name == curl\n"
			   "  action: deny\n",
			   "test.yaml:5:11: rule 'r': action deny applies only "
			   "to dns events, and this rule matches exec");
	check_policy_error("- rule: r\n  description: d\n  severity: low\n"
			   "  expression: dns.question.name == x.test\n"
			   "  every: 10s\n  action: deny\n",
			   "test.yaml:6:11: rule 'r': action deny cannot be "
			   "rate-limited");
	check_policy_error("- rule: r\n  description: d\n  severity: low\n"
			   "  expression: dns.question.name == x.test\n"
			   "  action: drop\n",
			   "test.yaml:5:11: unknown action 'drop' (alert, deny)");
	rs = load_policy("- rule: r\n  description: d\n  severity: low\n"
			 "  expression: dns.question.name == x.test\n"
			 "  action: deny\n",
			 NULL);
	assert_non_null(rs);
	vigil_ruleset_free(rs);
}

static void test_lang_error_policy_structure(void **state)
{
	check_policy_error("- rule: r\n  description: d\n  severity: low\n"
			   "  expresion: exec.pid == 1\n",
			   "test.yaml:4:3: unknown key 'expresion' in a rule");
	check_policy_error("- rule: r\n  description: d\n  severity: urgent\n"
			   "  expression: exec.pid == 1\n",
			   "test.yaml:3:13: unknown severity 'urgent'");
	check_policy_error("- rule: r\n  macro: m\n",
			   "test.yaml:1:3: an entry has exactly one of");
	check_policy_error("rule: r\n", "test.yaml:1:1: a policy is a list");
	check_policy_error("- rule: r\n  description: d\n  severity: low\n"
			   "  expression: [exec.pid == 1\n",
			   "test.yaml:5:1: YAML syntax error");
	check_policy_error("- rule: r\n  severity: low\n"
			   "  expression: exec.pid == 1\n",
			   "rule 'r' has no 'description'");
	/* found by fuzz_policy: a bad item must not leave the list half
	 * updated */
	check_policy_error("- list: l\n  items: [a, [b]]\n"
			   "- rule: r\n  description: d\n  severity: low\n"
			   "  expression: exec.file.name in l\n",
			   "test.yaml:2:14: list items are values");
	/* found by fuzz_policy: an empty nested list */
	check_policy_error("- list: e\n  items: []\n- list: l\n  items: [e]\n"
			   "- rule: r\n  description: d\n  severity: low\n"
			   "  expression: exec.file.name in l\n  x: 1\n",
			   "unknown key 'x'");
	/* lists of lists multiply: bounded */
	{
		struct vigil_buf y = { 0 };
		char *e;

		vigil_buf_printf(&y, "- list: l0\n  items: [a, b, c, d, e, f, "
				     "g, h]\n");
		for (int i = 1; i < 8; i++)
			vigil_buf_printf(&y, "- list: l%d\n  items: [l%d, l%d, "
					     "l%d, l%d, l%d, l%d, l%d, l%d]\n",
					 i, i - 1, i - 1, i - 1, i - 1, i - 1,
					 i - 1, i - 1, i - 1);
		vigil_buf_printf(&y, "- rule: r\n  description: d\n  "
				     "severity: low\n  expression: "
				     "exec.file.name in l7\n");
		e = load_error(vigil_buf_cstr(&y));
		assert_contains(e, "expands to more than 65536 items");
		free(e);
		vigil_buf_free(&y);
	}
	check_policy_error("- rule: r\n  description: d\n  severity: low\n"
			   "  expression: exec.pid == 1\n  every: soon\n",
			   "test.yaml:5:10: 'every' is a duration");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lang_error_unknown_field_suggests_nearest),
		cmocka_unit_test(test_lang_error_type_mismatch_names_both_types),
		cmocka_unit_test(
			test_lang_error_unknown_constant_and_event_type),
		cmocka_unit_test(
			test_lang_error_undefined_list_and_macro_cycle),
		cmocka_unit_test(
			test_lang_error_inside_macro_points_into_macro),
		cmocka_unit_test(test_lang_error_bad_regex_gives_pcre2_message),
		cmocka_unit_test(test_lang_error_syntax),
		cmocka_unit_test(test_lang_error_positions_in_block_scalars),
		cmocka_unit_test(test_lang_error_rule_needs_an_event_type),
		cmocka_unit_test(test_lang_error_deny_action_only_on_dns_rules),
		cmocka_unit_test(test_lang_error_policy_structure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
