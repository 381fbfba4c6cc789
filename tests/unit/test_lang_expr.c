/*
 * test_lang_expr.c - the expression language: every operator, precedence,
 * globs, regexes, lists, ancestors, constants, lengths, typed literals,
 * absent fields, and evaluation without allocation.
 */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/ptrace.h>
#include <sys/socket.h>

#include "test_lang_util.h"
#include "lang/lang.h"

/* ---- malloc counting (link with -Wl,--wrap=malloc ...) ---- */

static unsigned long n_allocs;
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t s);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t s);
void *__wrap_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n)
{
	n_allocs++;
	return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t s)
{
	n_allocs++;
	return __real_calloc(n, s);
}

void *__wrap_realloc(void *p, size_t n)
{
	n_allocs++;
	return __real_realloc(p, n);
}

static void test_lang_string_equality_and_inequality(void **state)
{
	struct tev t;

	tev_exec(&t, "/bin/bash");
	assert_true(matches("exec.file.path == \"/bin/bash\"", &t.ev));
	assert_false(matches("exec.file.path == \"/bin/sh\"", &t.ev));
	assert_true(matches("exec.file.path != \"/bin/sh\"", &t.ev));
	assert_false(matches("exec.file.path != \"/bin/bash\"", &t.ev));
	assert_true(matches("exec.file.name == 'bash'", &t.ev));
	assert_true(matches("exec.file.name == bash", &t.ev));
	tev_free(&t);
}

static void test_lang_integer_comparisons(void **state)
{
	struct tev t;

	tev_exec(&t, "/bin/bash");
	assert_true(matches("exec.pid == 4242", &t.ev));
	assert_true(matches("exec.pid != 1", &t.ev));
	assert_true(matches("exec.pid < 4243", &t.ev));
	assert_false(matches("exec.pid < 4242", &t.ev));
	assert_true(matches("exec.pid <= 4242", &t.ev));
	assert_true(matches("exec.pid > 4241", &t.ev));
	assert_false(matches("exec.pid > 4242", &t.ev));
	assert_true(matches("exec.pid >= 4242", &t.ev));
	assert_true(matches("exec.pid == 0x1092", &t.ev));
	assert_true(matches("exec.pid == 010222", &t.ev)); /* octal */
	assert_true(matches("exec.pid > -5", &t.ev));
	tev_free(&t);
}

static void test_lang_in_and_not_in(void **state)
{
	struct tev t;

	tev_exec(&t, "/usr/bin/zsh");
	assert_true(matches("exec.file.name in [bash, sh, zsh]", &t.ev));
	assert_false(matches("exec.file.name in [bash, sh]", &t.ev));
	assert_true(matches("exec.file.name not in [bash, sh]", &t.ev));
	assert_false(matches("exec.file.name not in [zsh]", &t.ev));
	assert_true(matches("exec.pid in [1, 2, 4242]", &t.ev));
	assert_true(matches("exec.pid not in [1, 2, 3]", &t.ev));
	assert_true(matches("exec.file.path in [\"/usr/bin/zsh\", "
			    "/bin/zsh]", &t.ev));
	tev_free(&t);
}

static void test_lang_and_binds_tighter_than_or(void **state)
{
	struct tev t;

	tev_exec(&t, "/bin/bash");
	/* true || (false && false) */
	assert_true(matches("exec.pid == 4242 || exec.pid == 1 && "
			    "exec.pid == 2", &t.ev));
	/* (false && x) || true */
	assert_true(matches("exec.pid == 1 && exec.pid == 2 || "
			    "exec.pid == 4242", &t.ev));
	/* parentheses: (true || false) && false */
	assert_false(matches("(exec.pid == 4242 || exec.pid == 1) && "
			     "exec.pid == 2", &t.ev));
	/* ! binds tighter than && */
	assert_true(matches("!exec.pid == 1 && exec.pid == 4242", &t.ev));
	assert_false(matches("event.type == exec && !(exec.pid == 4242 && exec.pid == 4242)",
			     &t.ev));
	/* keyword forms */
	assert_true(matches("exec.pid == 1 or exec.pid == 4242 and "
			    "not exec.pid == 2", &t.ev));
	assert_true(matches("event.type == exec && true", &t.ev));
	assert_true(matches("event.type == exec && (false || exec.pid == 4242)", &t.ev));
	tev_free(&t);
}

static void test_lang_glob_star_stays_in_one_path_level(void **state)
{
	struct tev t;

	tev_exec(&t, "/usr/local/bin/bash");
	assert_false(matches("exec.file.path =~ \"/usr/*/bash\"", &t.ev));
	assert_true(matches("exec.file.path =~ \"/usr/*/*/bash\"", &t.ev));
	assert_true(matches("exec.file.path =~ \"/usr/**/bash\"", &t.ev));
	assert_true(matches("exec.file.path =~ \"/usr/**\"", &t.ev));
	assert_true(matches("exec.file.path =~ \"**/bash\"", &t.ev));
	assert_true(matches("exec.file.path =~ \"/usr/local/bin/ba?h\"",
			    &t.ev));
	assert_false(matches("exec.file.path =~ \"/etc/**\"", &t.ev));
	assert_true(matches("exec.file.path !~ \"/etc/**\"", &t.ev));
	assert_true(matches("exec.file.path =~ [\"/etc/**\", \"/usr/**\"]",
			    &t.ev));
	/* prefix and suffix forms keep the same semantics */
	assert_true(matches("exec.file.path =~ \"/usr/local/bin/*\"", &t.ev));
	assert_false(matches("exec.file.path =~ \"/usr/*\"", &t.ev));
	assert_false(matches("exec.file.path =~ \"*bash\"", &t.ev));
	assert_true(matches("exec.file.path =~ \"**bash\"", &t.ev));
	assert_false(matches("exec.file.path =~ \"*\"", &t.ev));
	assert_true(matches("exec.file.path =~ \"**\"", &t.ev));
	assert_true(matches("exec.file.name =~ \"ba*\"", &t.ev));
	assert_true(matches("exec.file.name =~ \"*sh\"", &t.ev));
	assert_true(matches("exec.file.name =~ \"*\"", &t.ev));
	assert_true(matches("exec.file.path =~ \"/usr/*/bin/b*h\"", &t.ev));
	assert_false(matches("exec.file.path =~ \"/usr/*/bin/b*x\"", &t.ev));
	tev_free(&t);
}

static void test_lang_glob_matcher_semantics(void **state)
{
	assert_true(lang_glob_match("a*c", 3, "abc", 3, true, false));
	assert_false(lang_glob_match("a*c", 3, "a/c", 3, true, false));
	assert_true(lang_glob_match("a*c", 3, "a/c", 3, false, false));
	assert_true(lang_glob_match("/a/**/z", 7, "/a/b/c/z", 8, true, false));
	assert_true(lang_glob_match("/a/**/*.so", 10, "/a/b/c/x.so", 11, true,
				    false));
	assert_false(lang_glob_match("/a/**/*.so", 10, "/a/b/c/x.so/d", 13,
				     true, false));
	assert_true(lang_glob_match("**", 2, "", 0, true, false));
	assert_true(lang_glob_match("*", 1, "", 0, true, false));
	assert_false(lang_glob_match("?", 1, "", 0, true, false));
	assert_true(lang_glob_match("*.EXAMPLE.com", 13, "x.example.com", 13,
				    false, false) == false);
	assert_true(lang_glob_match("*.example.com", 13, "X.EXAMPLE.COM", 13,
				    false, true));
	/* pathological: must finish quickly */
	assert_false(lang_glob_match("*a*a*a*a*a*a*a*b", 16,
				     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
				     40, false, false));
}

static void test_lang_regex_uses_pcre2(void **state)
{
	struct tev t;

	tev_exec(&t, "/usr/bin/python3");
	tev_argv(&t, "python3", "-c", "import pty;pty.spawn('/bin/sh')",
		 NULL);
	assert_true(matches("exec.args =~ r\"pty\\.spawn\\(\"", &t.ev));
	assert_false(matches("exec.args =~ r\"^pty\"", &t.ev));
	assert_true(matches("exec.args !~ r\"^pty\"", &t.ev));
	assert_true(matches("exec.argv =~ [r\"^-[a-z]$\", r\"zzz\"]", &t.ev));
	tev_free(&t);
}

static void test_lang_list_fields_match_any_element(void **state)
{
	struct tev t;

	tev_exec(&t, "/usr/bin/nc");
	tev_argv(&t, "nc", "-l", "-p", "4444", "-e", "/bin/sh", NULL);
	assert_true(matches("exec.argv == \"-e\"", &t.ev));
	assert_true(matches("exec.argv in [\"-e\", \"-c\"]", &t.ev));
	assert_false(matches("exec.argv == \"-x\"", &t.ev));
	/* negated: no element matches */
	assert_true(matches("exec.argv != \"-x\"", &t.ev));
	assert_false(matches("exec.argv != \"-e\"", &t.ev));
	assert_true(matches("exec.argv.length == 6", &t.ev));
	assert_true(matches("exec.args_flags in [e]", &t.ev));
	assert_true(matches("exec.args_options == \"p=4444\"", &t.ev));
	tev_free(&t);
}

static void test_lang_ancestors_match_when_any_ancestor_does(void **state)
{
	struct tev t;
	const char *base = "event.type == exec && ";
	char buf[256];

	tev_exec(&t, "/bin/sh");
	tev_ancestor(&t, "/usr/bin/php-fpm");
	tev_ancestor(&t, "/usr/sbin/nginx");
	tev_ancestor(&t, "/sbin/init");
	snprintf(buf, sizeof(buf), "%sprocess.ancestors.file.name == nginx",
		 base);
	assert_true(matches(buf, &t.ev));
	snprintf(buf, sizeof(buf), "%sprocess.ancestors.file.name in "
		 "[apache2, httpd]", base);
	assert_false(matches(buf, &t.ev));
	snprintf(buf, sizeof(buf), "%sprocess.ancestors.length == 3", base);
	assert_true(matches(buf, &t.ev));
	snprintf(buf, sizeof(buf), "%sprocess.parent.file.name == php-fpm",
		 base);
	assert_true(matches(buf, &t.ev));
	snprintf(buf, sizeof(buf), "%sprocess.ancestors.file.path =~ "
		 "\"/usr/**\"", base);
	assert_true(matches(buf, &t.ev));
	tev_free(&t);

	tev_exec(&t, "/bin/sh"); /* no ancestors known */
	snprintf(buf, sizeof(buf), "%sprocess.ancestors.file.name != nginx",
		 base);
	assert_false(matches(buf, &t.ev));
	snprintf(buf, sizeof(buf), "%sprocess.ancestors.length == 0", base);
	assert_true(matches(buf, &t.ev));
	tev_free(&t);
}

static void test_lang_string_length(void **state)
{
	struct tev t;

	tev_exec(&t, "/tmp/x");
	assert_true(matches("exec.file.path.length == 6", &t.ev));
	assert_true(matches("exec.file.path.length < 10", &t.ev));
	assert_false(matches("exec.file.name.length > 1", &t.ev));
	tev_free(&t);
}

static void test_lang_named_constants_and_bit_tests(void **state)
{
	struct tev t;

	tev_init(&t, VIGIL_EV_PTRACE);
	t.ev.u.kernel.request = PTRACE_ATTACH;
	assert_true(matches("ptrace.request == PTRACE_ATTACH", &t.ev));
	assert_true(matches("ptrace.request in [PTRACE_ATTACH, PTRACE_SEIZE]",
			    &t.ev));
	assert_false(matches("ptrace.request == PTRACE_POKETEXT", &t.ev));
	tev_free(&t);

	tev_init(&t, VIGIL_EV_UNSHARE);
	t.ev.u.kernel.request = CLONE_NEWUSER | CLONE_NEWNS;
	assert_true(matches("unshare.flags & CLONE_NEWUSER", &t.ev));
	assert_false(matches("unshare.flags & CLONE_NEWNET", &t.ev));
	assert_true(matches("unshare.flags & CLONE_NEWNET == 0", &t.ev));
	assert_true(matches("unshare.flags & CLONE_NEWNS != 0 && "
			    "!(unshare.flags & CLONE_NEWPID)", &t.ev));
	tev_free(&t);

	tev_init(&t, VIGIL_EV_OPEN);
	t.ev.u.file.file.path = vigil_str_c("/etc/shadow");
	t.ev.u.file.open_flags = O_WRONLY | O_TRUNC;
	assert_true(matches("open.file.flags & O_WRONLY", &t.ev));
	assert_true(matches("open.file.flags & 01000", &t.ev)); /* O_TRUNC */
	tev_free(&t);
}

static void test_lang_nocase_fields_ignore_case(void **state)
{
	struct tev t;

	tev_init(&t, VIGIL_EV_DNS);
	t.ev.u.dns.qname = vigil_str_c("evil.example.com");
	t.ev.u.dns.direction = VIGIL_DNS_QUERY;
	t.ev.u.dns.qtype = 16; /* TXT */
	assert_true(matches("dns.question.name == \"EVIL.Example.COM\"",
			    &t.ev));
	assert_true(matches("dns.question.name =~ \"*.EXAMPLE.com\"", &t.ev));
	assert_true(matches("dns.question.name in [\"Evil.example.com\"]",
			    &t.ev));
	assert_true(matches("dns.question.name =~ r\"^EVIL\\.\"", &t.ev));
	assert_true(matches("dns.question.type == TXT", &t.ev));
	assert_true(matches("dns.question.name.length == 16", &t.ev));
	tev_free(&t);
}

static void test_lang_ip_and_cidr_literals(void **state)
{
	struct tev t;

	tev_init(&t, VIGIL_EV_DNS);
	t.ev.u.dns.direction = VIGIL_DNS_QUERY;
	t.ev.u.dns.dst_ip.family = AF_INET;
	inet_pton(AF_INET, "10.1.2.3", t.ev.u.dns.dst_ip.addr);
	assert_true(matches("network.destination.ip == 10.1.2.3", &t.ev));
	assert_true(matches("network.destination.ip == \"10.1.2.3\"", &t.ev));
	assert_true(matches("network.destination.ip in [10.0.0.0/8]", &t.ev));
	assert_true(matches("network.destination.ip == 10.1.0.0/16", &t.ev));
	assert_false(matches("network.destination.ip in [192.168.0.0/16, "
			     "\"172.16.0.0/12\"]", &t.ev));
	assert_true(matches("network.destination.ip not in "
			    "[192.168.0.0/16, ::1]", &t.ev));
	assert_false(matches("network.destination.ip == ::1", &t.ev));
	t.ev.u.dns.dst_ip.family = AF_INET6;
	inet_pton(AF_INET6, "fd00::53", t.ev.u.dns.dst_ip.addr);
	assert_true(matches("network.destination.ip in [fd00::/8]", &t.ev));
	assert_false(matches("network.destination.ip in [10.0.0.0/8]",
			     &t.ev));
	tev_free(&t);
}

static void test_lang_duration_literals(void **state)
{
	struct tev t;

	tev_init(&t, VIGIL_EV_DNS);
	t.ev.u.dns.direction = VIGIL_DNS_RESPONSE;
	t.ev.u.dns.latency_ns = INT64_C(250) * 1000000; /* 250 ms */
	assert_true(matches("dns.latency > 100ms", &t.ev));
	assert_false(matches("dns.latency > 1s", &t.ev));
	assert_true(matches("dns.latency < 1s && dns.latency >= 250ms",
			    &t.ev));
	assert_true(matches("dns.latency < 1m", &t.ev));
	tev_free(&t);
}

static void test_lang_absent_fields_never_match(void **state)
{
	struct tev t;

	tev_exec(&t, "/bin/bash"); /* no tty, no container */
	assert_false(matches("exec.tty_name == \"pts/0\"", &t.ev));
	assert_false(matches("exec.tty_name != \"pts/0\"", &t.ev));
	assert_false(matches("exec.tty_name in [a, b]", &t.ev));
	assert_false(matches("exec.tty_name not in [a, b]", &t.ev));
	assert_false(matches("exec.tty_name =~ \"*\"", &t.ev));
	assert_true(matches("event.type == exec && !(exec.tty_name == "
			    "\"pts/0\")", &t.ev));
	assert_false(matches("exec.container.id == \"abc\"", &t.ev));
	tev_free(&t);
}

static void test_lang_boolean_fields(void **state)
{
	struct tev t;

	tev_exec(&t, "/bin/bash");
	assert_false(matches("exec.is_container", &t.ev));
	assert_true(matches("exec.is_container == false", &t.ev));
	assert_true(matches("event.type == exec && !exec.is_container",
			    &t.ev));
	t.ev.process.container.id = vigil_str_c("abc123");
	assert_true(matches("exec.is_container", &t.ev));
	assert_true(matches("exec.is_container == true", &t.ev));
	assert_true(matches("exec.container.id == abc123", &t.ev));
	tev_free(&t);
}

static void test_lang_event_type_tests_and_index(void **state)
{
	struct vigil_ruleset *rs = load_policy(
		"- rule: on_exec\n  description: d\n  severity: low\n"
		"  expression: exec.file.name == bash\n"
		"- rule: on_files\n  description: d\n  severity: low\n"
		"  expression: event.type in [open, create] && "
		"process.file.name == bash\n",
		NULL);
	struct vigil_rule_info info;
	struct tev t;

	assert_non_null(rs);
	assert_int_equal(vigil_ruleset_rule(rs, 0, &info), 0);
	assert_true(info.event_types == VIGIL_EVBIT(VIGIL_EV_EXEC));
	assert_int_equal(vigil_ruleset_rule(rs, 1, &info), 0);
	assert_true(info.event_types ==
		    (VIGIL_EVBIT(VIGIL_EV_OPEN) | VIGIL_EVBIT(VIGIL_EV_CREATE)));

	tev_exec(&t, "/bin/bash");
	assert_int_equal(vigil_ruleset_eval(rs, &t.ev, NULL, NULL), 1);
	t.ev.type = VIGIL_EV_OPEN;
	assert_int_equal(vigil_ruleset_eval(rs, &t.ev, NULL, NULL), 1);
	t.ev.type = VIGIL_EV_UNLINK;
	assert_int_equal(vigil_ruleset_eval(rs, &t.ev, NULL, NULL), 0);
	tev_free(&t);
	vigil_ruleset_free(rs);
}

static void test_lang_macros_and_named_lists(void **state)
{
	struct vigil_ruleset *rs = load_policy(
		"- list: shells\n  items: [bash, sh]\n"
		"- list: more_shells\n  items: [shells, zsh]\n"
		"- macro: web_parent\n"
		"  expression: process.ancestors.file.name in [nginx, httpd]\n"
		"- macro: is_shell\n  expression: exec.file.name in more_shells\n"
		"- rule: r\n  description: d\n  severity: high\n"
		"  expression: is_shell && web_parent\n",
		NULL);
	struct tev t;

	assert_non_null(rs);
	tev_exec(&t, "/usr/bin/zsh");
	tev_ancestor(&t, "/usr/sbin/nginx");
	assert_true(vigil_ruleset_rule_matches(rs, 0, &t.ev));
	tev_free(&t);
	tev_exec(&t, "/usr/bin/zsh");
	tev_ancestor(&t, "/usr/sbin/sshd");
	assert_false(vigil_ruleset_rule_matches(rs, 0, &t.ev));
	tev_free(&t);
	vigil_ruleset_free(rs);
}

/* A policy touching every kind of comparison, evaluated without a single
 * allocation in our code. */
static void test_lang_eval_allocates_nothing(void **state)
{
	struct vigil_ruleset *rs = load_policy(
		"- list: shells\n  items: [bash, sh, zsh, dash, ksh]\n"
		"- rule: a\n  description: d\n  severity: low\n"
		"  expression: exec.file.name in shells && "
		"process.ancestors.file.name =~ [\"ng*\", \"**/httpd\"] && "
		"exec.args =~ r\"-[ic]\" && exec.argv.length > 1\n"
		"  every: 10s\n  every_key: [exec.file.path]\n"
		"- rule: b\n  description: d\n  severity: low\n"
		"  expression: exec.file.path =~ \"/tmp/**\" || exec.pid < 0\n",
		NULL);
	struct tev t;
	unsigned long before;
	int total = 0;

	assert_non_null(rs);
	tev_exec(&t, "/bin/bash");
	tev_argv(&t, "bash", "-i", NULL);
	tev_ancestor(&t, "/usr/sbin/nginx");
	before = n_allocs;
	for (int i = 0; i < 1000; i++) {
		t.ev.time_ns += INT64_C(1000000000);
		total += vigil_ruleset_eval(rs, &t.ev, NULL, NULL);
	}
	assert_int_equal(n_allocs, before);
	assert_int_equal(total, 100); /* one per 10 s */
	tev_free(&t);
	vigil_ruleset_free(rs);
}

/* Every event type, with empty parts and no ancestors: no crash and no
 * spurious match from absent fields. */
static void test_lang_eval_is_safe_on_any_event(void **state)
{
	struct vigil_ruleset *rs = load_policy(
		"- rule: a\n  description: d\n  severity: low\n"
		"  expression: ptrace.tracee.file.name == x || "
		"kill.target.pid == 1 || load_module.name == x\n"
		"- rule: b\n  description: d\n  severity: low\n"
		"  expression: file.path =~ \"/**\" && "
		"file.destination.path != x\n"
		"- rule: c\n  description: d\n  severity: low\n"
		"  expression: dns.answers == x || network.source.ip in "
		"[0.0.0.0/0]\n"
		"- rule: e\n  description: d\n  severity: low\n"
		"  expression: event.type in [exec, exit, fork, agent] && "
		"process.parent.file.name != x\n",
		NULL);
	struct tev t;

	assert_non_null(rs);
	for (uint32_t type = 0; type < VIGIL_EV__COUNT + 2; type++) {
		tev_init(&t, type);
		assert_int_equal(vigil_ruleset_eval(rs, &t.ev, NULL, NULL), 0);
		tev_free(&t);
	}
	vigil_ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lang_string_equality_and_inequality),
		cmocka_unit_test(test_lang_integer_comparisons),
		cmocka_unit_test(test_lang_in_and_not_in),
		cmocka_unit_test(test_lang_and_binds_tighter_than_or),
		cmocka_unit_test(test_lang_glob_star_stays_in_one_path_level),
		cmocka_unit_test(test_lang_glob_matcher_semantics),
		cmocka_unit_test(test_lang_regex_uses_pcre2),
		cmocka_unit_test(test_lang_list_fields_match_any_element),
		cmocka_unit_test(
			test_lang_ancestors_match_when_any_ancestor_does),
		cmocka_unit_test(test_lang_string_length),
		cmocka_unit_test(test_lang_named_constants_and_bit_tests),
		cmocka_unit_test(test_lang_nocase_fields_ignore_case),
		cmocka_unit_test(test_lang_ip_and_cidr_literals),
		cmocka_unit_test(test_lang_duration_literals),
		cmocka_unit_test(test_lang_absent_fields_never_match),
		cmocka_unit_test(test_lang_boolean_fields),
		cmocka_unit_test(test_lang_event_type_tests_and_index),
		cmocka_unit_test(test_lang_macros_and_named_lists),
		cmocka_unit_test(test_lang_eval_allocates_nothing),
		cmocka_unit_test(test_lang_eval_is_safe_on_any_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
