/*
 * test_lang_errors.c - errors a user can act on: each names file, line and
 * column of the offending token, and suggests the fix where it can.
 *
 * load_expr() writes the expression on line 4 as
 *     "  expression: '<expr>'"
 * so offset 0 of the expression is column 16.
 */
#include "config.h"

#include <time.h>

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

/*
 * A policy of macros m0 .. m<levels - 1>, each "m<i+1> or m<i+1>", over a
 * leaf m<levels> (one comparison), then a rule r whose expression (on
 * line 2 * levels + 6) is m0.
 */
static char *macro_chain(int levels)
{
	struct vigil_buf y = { 0 };
	char *s;

	for (int i = 0; i < levels; i++)
		vigil_buf_printf(&y, "- macro: m%d\n  expression: m%d or m%d\n",
				 i, i + 1, i + 1);
	vigil_buf_printf(&y, "- macro: m%d\n  expression: open.file.path == "
			     "/etc/x\n- rule: r\n  description: d\n  "
			     "severity: low\n  expression: m0\n", levels);
	s = strdup(vigil_buf_cstr(&y));
	vigil_buf_free(&y);
	assert_non_null(s);
	return s;
}

/* CPU seconds of this process (the machine may be busy with others). */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Macros that use a macro twice double per level: 24 levels would expand
 * to 2^24 comparisons.  The load stops at the expansion bound, fast, with
 * the error at the macro text and the chain of uses back to the rule.
 * (Without the bound this took minutes and gigabytes.)
 */
static void test_lang_error_exponential_macro_expansion_is_bounded(
	void **state)
{
	char *yaml = macro_chain(24);
	double t0 = now_s();
	char *e = load_error(yaml);
	double took = now_s() - t0;

	assert_contains(e, "macro expansion exceeds 131072 tokens");
	assert_contains(e, "test.yaml:2:15: in macro 'm1' used here");
	/* the rule's use of m0: 25 macros of 2 lines, then r: line 54 */
	assert_contains(e, "test.yaml:54:15: in macro 'm0' used here");
	assert_true(took < 5.0);
	free(e);
	free(yaml);
}

/*
 * Below the bound per expression but used by many rules, the same chain
 * stops at the bound over the policy (tokens parsed inside macros) rather
 * than compiling for as long as there are rules.
 */
static void test_lang_error_macro_expansion_bounded_over_the_policy(
	void **state)
{
	struct vigil_buf y = { 0 };
	char *chain = macro_chain(12), *e;
	double t0, took;

	vigil_buf_printf(&y, "%s", chain);
	for (int i = 0; i < 40; i++)
		vigil_buf_printf(&y, "- rule: r%d\n  description: d\n  "
				     "severity: low\n  expression: m0\n", i);
	t0 = now_s();
	e = load_error(vigil_buf_cstr(&y));
	took = now_s() - t0;
	assert_contains(e, "macros expand to more than 262144 tokens over "
			   "the policy");
	assert_null(strstr(e, "macro expansion exceeds"));
	assert_true(took < 30.0);
	free(e);
	free(chain);
	vigil_buf_free(&y);
}

/* Shared macros below the bound still load: 10 levels, 1024 leaves. */
static void test_lang_macro_chain_below_the_bound_loads(void **state)
{
	char *yaml = macro_chain(10);
	struct vigil_ruleset *rs = load_policy(yaml, NULL);
	struct tev t;

	assert_non_null(rs);
	tev_init(&t, VIGIL_EV_OPEN);
	t.ev.u.file.file.path = vigil_str_c("/etc/x");
	assert_true(vigil_ruleset_rule_matches(rs, 0, &t.ev));
	t.ev.u.file.file.path = vigil_str_c("/etc/y");
	assert_false(vigil_ruleset_rule_matches(rs, 0, &t.ev));
	tev_free(&t);
	vigil_ruleset_free(rs);
	free(yaml);
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
		cmocka_unit_test(
			test_lang_error_exponential_macro_expansion_is_bounded),
		cmocka_unit_test(
			test_lang_error_macro_expansion_bounded_over_the_policy),
		cmocka_unit_test(test_lang_macro_chain_below_the_bound_loads),
		cmocka_unit_test(test_lang_error_bad_regex_gives_pcre2_message),
		cmocka_unit_test(test_lang_error_syntax),
		cmocka_unit_test(test_lang_error_positions_in_block_scalars),
		cmocka_unit_test(test_lang_error_rule_needs_an_event_type),
		cmocka_unit_test(test_lang_error_deny_action_only_on_dns_rules),
		cmocka_unit_test(test_lang_error_policy_structure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
