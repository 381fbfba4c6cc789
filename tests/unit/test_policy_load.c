/*
 * test_policy_load.c - policy files: load order across files and
 * directories, overrides (disable, replace, append) of rules, lists and
 * macros, exceptions, signals and rate control.
 */
#include "config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <errno.h>

#include "node.h"
#include "test_lang_util.h"

static const char base_policy[] =
	"- list: shells\n  items: [bash, sh]\n"
	"- macro: from_web\n"
	"  expression: process.ancestors.file.name in [nginx]\n"
	"- rule: shell_from_web\n"
	"  description: A shell was started by a web server\n"
	"  title: Web shell\n"
	"  expression: exec.file.name in shells && from_web\n"
	"  severity: high\n"
	"  tags: [technique:T1505.003, pci-dss:10.2.7]\n"
	"  remediation: Check the web application.\n"
	"- rule: tmp_exec\n"
	"  description: A program ran from /tmp\n"
	"  expression: exec.file.path =~ \"/tmp/**\"\n"
	"  severity: medium\n";

struct tmpdir {
	char path[64];
	char files[8][128];
	int n;
};

static void tmp_make(struct tmpdir *d)
{
	strcpy(d->path, "/tmp/vigil-policy-XXXXXX");
	assert_non_null(mkdtemp(d->path));
	d->n = 0;
}

static void tmp_write(struct tmpdir *d, const char *name, const char *text)
{
	char dir[64];
	FILE *f;

	memcpy(dir, d->path, sizeof(dir));
	snprintf(d->files[d->n], sizeof(d->files[0]), "%s/%s", dir, name);
	f = fopen(d->files[d->n], "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	d->n++;
}

static void tmp_remove(struct tmpdir *d)
{
	for (int i = 0; i < d->n; i++)
		unlink(d->files[i]);
	rmdir(d->path);
}

/* Loads base_policy then user (both in a temp dir, in that order). */
static struct vigil_ruleset *load_with_user(const char *user,
					    struct vigil_buf *err)
{
	struct tmpdir d;
	struct vigil_ruleset *rs = NULL;
	struct vigil_buf local = { 0 };
	const char *paths[1];
	int rc;

	tmp_make(&d);
	tmp_write(&d, "10-base.yaml", base_policy);
	tmp_write(&d, "20-user.yaml", user);
	tmp_write(&d, "README", "not a policy: ignored");
	paths[0] = d.path;
	rc = vigil_ruleset_load(vigil_fields(), paths, 1, &rs,
				err ? err : &local);
	if (rc && !err)
		fprintf(stderr, "%s", vigil_buf_cstr(&local));
	vigil_buf_free(&local);
	tmp_remove(&d);
	return rc ? NULL : rs;
}

static void web_shell_event(struct tev *t, const char *path)
{
	tev_exec(t, path);
	tev_ancestor(t, "/usr/sbin/nginx");
}

static bool rule_fires(struct vigil_ruleset *rs, const char *id,
		       const struct vigil_event *ev)
{
	int i = vigil_ruleset_find(rs, id);
	struct vigil_rule_info info;

	assert_true(i >= 0);
	assert_int_equal(vigil_ruleset_rule(rs, (size_t)i, &info), 0);
	return info.enabled && vigil_ruleset_rule_matches(rs, (size_t)i, ev);
}

static void test_policy_later_file_disables_rule_by_id(void **state)
{
	struct vigil_ruleset *rs = load_with_user(
		"- rule: shell_from_web\n  enabled: false\n", NULL);
	struct tev t;

	assert_non_null(rs);
	web_shell_event(&t, "/bin/bash");
	assert_false(rule_fires(rs, "shell_from_web", &t.ev));
	/* disabled rules are out of the index */
	assert_int_equal(vigil_ruleset_eval(rs, &t.ev, NULL, NULL), 0);
	tev_free(&t);
	vigil_ruleset_free(rs);
}

static void test_policy_override_replaces_given_keys(void **state)
{
	struct vigil_ruleset *rs = load_with_user(
		"- rule: shell_from_web\n"
		"  severity: critical\n"
		"  expression: exec.file.name == zsh\n"
		"  override: {severity: replace, expression: replace}\n",
		NULL);
	struct vigil_rule_info info;
	struct tev t;

	assert_non_null(rs);
	assert_int_equal(vigil_ruleset_rule(rs, 0, &info), 0);
	assert_int_equal(info.severity, VIGIL_SEV_CRITICAL);
	assert_string_equal(info.title, "Web shell"); /* kept */
	assert_int_equal(info.n_tags, 2);
	tev_exec(&t, "/bin/zsh");
	assert_true(rule_fires(rs, "shell_from_web", &t.ev));
	tev_free(&t);
	web_shell_event(&t, "/bin/bash");
	assert_false(rule_fires(rs, "shell_from_web", &t.ev));
	tev_free(&t);
	vigil_ruleset_free(rs);
}

static void test_policy_append_narrows_rule_and_extends_list(void **state)
{
	struct vigil_ruleset *rs = load_with_user(
		"- list: shells\n  items: [zsh]\n  append: true\n"
		"- rule: shell_from_web\n"
		"  expression: exec.uid != 33\n"
		"  tags: [cis:4.1.16]\n"
		"  append: true\n",
		NULL);
	struct vigil_rule_info info;
	struct tev t;

	assert_non_null(rs);
	web_shell_event(&t, "/bin/zsh"); /* zsh: appended to the list */
	t.ev.process.uid = 0; /* present: absent fields never match != */
	assert_true(rule_fires(rs, "shell_from_web", &t.ev));
	t.ev.process.uid = 33; /* the appended condition excludes it */
	assert_false(rule_fires(rs, "shell_from_web", &t.ev));
	tev_free(&t);
	assert_int_equal(vigil_ruleset_rule(rs, 0, &info), 0);
	assert_int_equal(info.n_tags, 3);
	assert_string_equal(info.tags[2], "cis:4.1.16");
	vigil_ruleset_free(rs);
}

static void test_policy_user_macro_changes_shipped_rule(void **state)
{
	struct vigil_ruleset *rs = load_with_user(
		"- macro: from_web\n"
		"  expression: process.ancestors.file.name == httpd\n"
		"  append: true\n",
		NULL);
	struct tev t;

	assert_non_null(rs);
	tev_exec(&t, "/bin/sh");
	tev_ancestor(&t, "/usr/sbin/httpd");
	assert_true(rule_fires(rs, "shell_from_web", &t.ev));
	tev_free(&t);
	web_shell_event(&t, "/bin/sh"); /* the original still holds */
	assert_true(rule_fires(rs, "shell_from_web", &t.ev));
	tev_free(&t);
	vigil_ruleset_free(rs);
}

static void test_policy_redefinition_replaces_rule(void **state)
{
	struct vigil_ruleset *rs = load_with_user(
		"- rule: tmp_exec\n  description: replaced\n"
		"  expression: exec.file.path =~ \"/dev/shm/**\"\n"
		"  severity: low\n",
		NULL);
	struct vigil_rule_info info;

	assert_non_null(rs);
	assert_int_equal(vigil_ruleset_count(rs), 2);
	assert_int_equal(vigil_ruleset_rule(rs, 1, &info), 0);
	assert_string_equal(info.description, "replaced");
	assert_int_equal(info.severity, VIGIL_SEV_LOW);
	vigil_ruleset_free(rs);
}

static void test_policy_override_errors_name_the_problem(void **state)
{
	struct vigil_buf err = { 0 };

	assert_null(load_with_user("- rule: nope\n  enabled: false\n", &err));
	assert_contains(vigil_buf_cstr(&err), "rule 'nope' has no");
	vigil_buf_reset(&err);
	assert_null(load_with_user("- rule: nope\n  override: "
				   "{severity: replace}\n  severity: low\n",
				   &err));
	assert_contains(vigil_buf_cstr(&err),
			"20-user.yaml:1:9: rule 'nope' is not defined before");
	vigil_buf_reset(&err);
	assert_null(load_with_user("- rule: tmp_exec\n  severity: low\n",
				   &err));
	assert_contains(vigil_buf_cstr(&err),
			"20-user.yaml:2:3: rule 'tmp_exec' is already defined: "
			"to change 'severity' write override: "
			"{severity: replace}");
	vigil_buf_reset(&err);
	assert_null(load_with_user("- rule: tmp_exec\n  severity: low\n"
				   "  override: {tags: replace}\n",
				   &err));
	assert_contains(vigil_buf_cstr(&err), "override of 'tags' but the "
					      "entry has no 'tags'");
	assert_contains(vigil_buf_cstr(&err), "'severity' is not listed "
					      "under override");
	vigil_buf_reset(&err);
	assert_null(load_with_user("- list: nope\n  items: [a]\n  append: "
				   "true\n", &err));
	assert_contains(vigil_buf_cstr(&err), "append to list 'nope'");
	vigil_buf_free(&err);
}

static void test_policy_exceptions_skip_listed_tuples(void **state)
{
	struct vigil_ruleset *rs = load_policy(
		"- list: trusted\n  items: [/usr/bin/true]\n"
		"- rule: r\n  description: d\n  severity: low\n"
		"  expression: exec.file.name in [bash, true, sh]\n"
		"  exceptions:\n"
		"    - name: nginx_healthcheck\n"
		"      fields: [process.parent.file.path, exec.file.path]\n"
		"      values:\n"
		"        - [/usr/sbin/nginx, /bin/bash]\n"
		"    - fields: exec.file.path\n"
		"      comps: in\n"
		"      values: [trusted]\n"
		"    - fields: [exec.uid]\n"
		"      comps: [in]\n"
		"      values: [[[33, 48]]]\n",
		NULL);
	struct tev t;

	assert_non_null(rs);
	web_shell_event(&t, "/bin/bash"); /* the exact tuple: excepted */
	assert_false(vigil_ruleset_rule_matches(rs, 0, &t.ev));
	tev_free(&t);
	web_shell_event(&t, "/bin/sh"); /* other binary: fires */
	assert_true(vigil_ruleset_rule_matches(rs, 0, &t.ev));
	t.ev.process.uid = 48; /* uid in the excepted list */
	assert_false(vigil_ruleset_rule_matches(rs, 0, &t.ev));
	tev_free(&t);
	tev_exec(&t, "/bin/bash"); /* bash, no nginx parent: fires */
	assert_true(vigil_ruleset_rule_matches(rs, 0, &t.ev));
	tev_free(&t);
	tev_exec(&t, "/usr/bin/true"); /* named list exception */
	assert_false(vigil_ruleset_rule_matches(rs, 0, &t.ev));
	tev_free(&t);
	vigil_ruleset_free(rs);
}

static void test_policy_exception_errors_have_positions(void **state)
{
	char *e = load_error(
		"- rule: r\n  description: d\n  severity: low\n"
		"  expression: exec.file.name == bash\n"
		"  exceptions:\n"
		"    - fields: [exec.pidd]\n"
		"      values: [[1]]\n");

	assert_contains(e, "test.yaml:6:16: unknown field 'exec.pidd' (did "
			   "you mean 'exec.pid'?)");
	free(e);
	e = load_error("- rule: r\n  description: d\n  severity: low\n"
		       "  expression: exec.file.name == bash\n"
		       "  exceptions:\n"
		       "    - fields: [exec.pid]\n"
		       "      values: [[abc]]\n");
	assert_contains(e, "test.yaml:7:17: 'exec.pid' is an integer, abc is "
			   "a name");
	free(e);
}

struct collected {
	int n;
	char rule[64];
	uint32_t severity, suppressed, n_tags;
	char title[64], tag0[64], remediation[64], engine[16];
};

static int collect(void *arg, const struct vigil_event *ev,
		   const struct vigil_signal *sig)
{
	struct collected *c = arg;

	c->n++;
	snprintf(c->rule, sizeof(c->rule), "%s", sig->rule_id);
	snprintf(c->title, sizeof(c->title), "%s", sig->title);
	snprintf(c->remediation, sizeof(c->remediation), "%s",
		 sig->remediation ? sig->remediation : "");
	snprintf(c->tag0, sizeof(c->tag0), "%s",
		 sig->n_tags ? sig->tags[0] : "");
	snprintf(c->engine, sizeof(c->engine), "%s", sig->engine);
	c->severity = sig->severity;
	c->suppressed = sig->suppressed;
	c->n_tags = sig->n_tags;
	return 0;
}

static void test_policy_signal_carries_rule_metadata(void **state)
{
	struct vigil_ruleset *rs = load_policy(base_policy, NULL);
	struct collected c = { 0 };
	struct tev t;

	assert_non_null(rs);
	web_shell_event(&t, "/bin/sh");
	assert_int_equal(vigil_ruleset_eval(rs, &t.ev, collect, &c), 1);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.rule, "shell_from_web");
	assert_string_equal(c.title, "Web shell");
	assert_string_equal(c.tag0, "technique:T1505.003");
	assert_string_equal(c.remediation, "Check the web application.");
	assert_string_equal(c.engine, "rules");
	assert_int_equal(c.severity, VIGIL_SEV_HIGH);
	assert_int_equal(c.n_tags, 2);
	tev_free(&t);
	vigil_ruleset_free(rs);
}

static void test_policy_rate_control_suppresses_and_counts(void **state)
{
	struct vigil_ruleset *rs = load_policy(
		"- rule: r\n  description: d\n  severity: low\n"
		"  expression: exec.file.path =~ \"/tmp/**\"\n"
		"  every: 10s\n  every_key: [exec.file.path]\n",
		NULL);
	const int64_t s = INT64_C(1000000000);
	struct collected c = { 0 };
	struct vigil_rule_info info;
	struct vigil_ruleset_stats st;
	struct tev t;

	assert_non_null(rs);
	tev_exec(&t, "/tmp/a");
	for (int i = 0; i < 3; i++) { /* t = 1, 2, 3 s: one delivered */
		t.ev.time_ns = (1 + i) * s;
		vigil_ruleset_eval(rs, &t.ev, collect, &c);
	}
	assert_int_equal(c.n, 1);
	t.ev.process.file.path = vigil_str_c("/tmp/b"); /* another key */
	vigil_ruleset_eval(rs, &t.ev, collect, &c);
	assert_int_equal(c.n, 2);
	t.ev.process.file.path = vigil_str_c("/tmp/a");
	t.ev.time_ns = 12 * s; /* 11 s after the first: delivered */
	vigil_ruleset_eval(rs, &t.ev, collect, &c);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.suppressed, 2);
	assert_int_equal(vigil_ruleset_rule(rs, 0, &info), 0);
	assert_int_equal(info.matches, 5);
	assert_int_equal(info.suppressed, 2);
	vigil_ruleset_stats(rs, &st);
	assert_int_equal(st.events, 5);
	assert_int_equal(st.signals, 3);
	assert_int_equal(st.suppressed, 2);
	tev_free(&t);
	vigil_ruleset_free(rs);
}

static void test_policy_missing_path_is_an_error(void **state)
{
	const char *paths[] = { "/nonexistent/vigil/rules" };
	struct vigil_ruleset *rs = NULL;
	struct vigil_buf err = { 0 };

	assert_int_equal(vigil_ruleset_load(vigil_fields(), paths, 1, &rs,
					    &err),
			 -ENOENT);
	assert_null(rs);
	assert_contains(vigil_buf_cstr(&err), "/nonexistent/vigil/rules");
	vigil_buf_free(&err);
}

static void test_policy_embedded_tests_are_kept(void **state)
{
	struct vigil_ruleset *rs = load_policy(
		"- rule: r\n  description: d\n  severity: low\n"
		"  expression: exec.file.name == bash\n"
		"  tests:\n"
		"    match:\n"
		"      - {event: {type: exec}, process: {file: {path: /bin/bash}}}\n"
		"    no_match:\n"
		"      - {event: {type: exec}, process: {file: {path: /bin/sh}}}\n"
		"      - {event: {type: open}, process: {file: {path: /bin/bash}}}\n",
		NULL);
	struct vigil_rule_info info;

	assert_non_null(rs);
	assert_int_equal(vigil_ruleset_rule(rs, 0, &info), 0);
	assert_int_equal(info.n_tests, 3);
	assert_int_equal(vigil_ruleset_rule_tests(rs, 0, true)->n, 1);
	assert_int_equal(vigil_ruleset_rule_tests(rs, 0, false)->n, 2);
	vigil_ruleset_free(rs);
}

/*
 * The approver index (rules reached through one hash lookup of a field
 * value) selects exactly the rules a full scan would: over two bitmap
 * words, with shared values, no-case fields and rules without approver.
 */
static void test_policy_index_selects_same_rules_as_full_scan(void **state)
{
	struct vigil_buf y = { 0 };
	struct vigil_ruleset *rs;
	struct collected c;
	struct tev t;
	char path[64];

	for (int i = 0; i < 70; i++)
		vigil_buf_printf(&y, "- rule: r%d\n  description: d\n  "
				     "severity: low\n  expression: "
				     "exec.file.name in [n%d, shared] && "
				     "exec.pid > 0\n", i, i);
	vigil_buf_printf(&y, "- rule: glob\n  description: d\n  "
			     "severity: low\n  expression: exec.file.path =~ "
			     "\"/opt/**\"\n"
			     "- rule: dns\n  description: d\n  severity: low\n"
			     "  expression: dns.question.name in "
			     "[\"Evil.Example.COM\"]\n");
	rs = load_policy(vigil_buf_cstr(&y), NULL);
	assert_non_null(rs);
	for (int i = 0; i < 70; i += 23) {
		snprintf(path, sizeof(path), "/opt/n%d", i);
		tev_exec(&t, path);
		memset(&c, 0, sizeof(c));
		assert_int_equal(vigil_ruleset_eval(rs, &t.ev, collect, &c),
				 2); /* rN and glob */
		tev_free(&t);
	}
	tev_exec(&t, "/usr/bin/shared");
	assert_int_equal(vigil_ruleset_eval(rs, &t.ev, NULL, NULL), 70);
	tev_free(&t);
	tev_exec(&t, "/usr/bin/other");
	assert_int_equal(vigil_ruleset_eval(rs, &t.ev, NULL, NULL), 0);
	tev_free(&t);
	tev_init(&t, VIGIL_EV_DNS);
	t.ev.u.dns.qname = vigil_str_c("EVIL.example.com");
	memset(&c, 0, sizeof(c));
	assert_int_equal(vigil_ruleset_eval(rs, &t.ev, collect, &c), 1);
	assert_string_equal(c.rule, "dns");
	tev_free(&t);
	vigil_ruleset_free(rs);
	vigil_buf_free(&y);
}

/* The benchmark's policy is a realistic one: it must stay valid. */
static void test_policy_bench_fixture_loads(void **state)
{
	const char *paths[] = { TOP_SRCDIR "/tests/fixtures/lang/"
				"bench_policy.yaml" };
	struct vigil_ruleset *rs = NULL;
	struct vigil_ruleset_stats st;
	struct vigil_buf err = { 0 };
	int rc = vigil_ruleset_load(vigil_fields(), paths, 1, &rs, &err);

	if (rc)
		fail_msg("%s", vigil_buf_cstr(&err));
	vigil_ruleset_stats(rs, &st);
	assert_true(st.rules >= 80);
	vigil_ruleset_free(rs);
	vigil_buf_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_later_file_disables_rule_by_id),
		cmocka_unit_test(test_policy_override_replaces_given_keys),
		cmocka_unit_test(
			test_policy_append_narrows_rule_and_extends_list),
		cmocka_unit_test(test_policy_user_macro_changes_shipped_rule),
		cmocka_unit_test(test_policy_redefinition_replaces_rule),
		cmocka_unit_test(test_policy_override_errors_name_the_problem),
		cmocka_unit_test(test_policy_exceptions_skip_listed_tuples),
		cmocka_unit_test(test_policy_exception_errors_have_positions),
		cmocka_unit_test(test_policy_signal_carries_rule_metadata),
		cmocka_unit_test(test_policy_rate_control_suppresses_and_counts),
		cmocka_unit_test(test_policy_missing_path_is_an_error),
		cmocka_unit_test(test_policy_embedded_tests_are_kept),
		cmocka_unit_test(test_policy_bench_fixture_loads),
		cmocka_unit_test(
			test_policy_index_selects_same_rules_as_full_scan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
