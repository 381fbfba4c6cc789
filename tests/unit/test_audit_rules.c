/*
 * test_audit_rules.c - vigil's rule set as built for the kernel (no
 * kernel needed): one rule per syscall group and arch under the key, the
 * never rule for vigil's pid first, and the rules.d file with the same
 * content in auditctl syntax; the rules derived from a policy (only the
 * syscalls its rules use, with the filters every rule of a type allows).
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libaudit.h>

#include "cli/cli.h"
#include "lang/policy.h"
#include "audit/audit_derive.h"
#include "schema.h"
#include "audit/audit_rules.h"

static void test_audit_rules_one_per_group_and_arch_with_self_excluded(
	void **state)
{
	struct vigil_audit_rules r;
	char longkey[sizeof(r.key) + 1];
	unsigned i, never = 0;

	(void)state;
	assert_int_equal(vigil_audit_rules_build(&r, "vigil", 4242), 0);
	/* per arch: the never rule plus one rule per group */
	assert_int_equal(r.n, 2 * (1 + vigil_audit_n_groups));
	for (i = 0; i < r.n; i++) {
		if (r.action[i] == AUDIT_NEVER) {
			never++;
			assert_true(r.flags[i] & AUDIT_FILTER_PREPEND);
		} else {
			assert_int_equal(r.action[i], AUDIT_ALWAYS);
			assert_int_equal(r.flags[i], AUDIT_FILTER_EXIT);
		}
		/* arch first, key last, as libaudit requires */
		assert_int_equal(r.rule[i]->fields[0] & ~AUDIT_OPERATORS,
				 AUDIT_ARCH);
		assert_int_equal(r.rule[i]->fields[r.rule[i]->field_count - 1] &
					 ~AUDIT_OPERATORS,
				 AUDIT_FILTERKEY);
	}
	assert_int_equal(never, 2);
	vigil_audit_rules_free(&r);

	/* a key that does not fit is refused, not cut */
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	assert_int_equal(vigil_audit_rules_build(&r, longkey, 1), -EINVAL);
}

static void test_audit_rules_file_matches_the_rule_set(void **state)
{
	struct vigil_audit_rules r;
	char dir[] = "/tmp/vigil-rules-test.XXXXXX", path[64], line[4096];
	unsigned always = 0, never = 0;
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vigil.rules", dir);
	assert_int_equal(vigil_audit_rules_build(&r, "vigil", 4242), 0);
	assert_int_equal(vigil_audit_rules_write_file(&r, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		assert_non_null(strstr(line, " -k vigil\n"));
		if (strncmp(line, "-a never,exit", 13) == 0) {
			never++;
			assert_non_null(strstr(line, "-S all -F pid=4242"));
		} else {
			assert_int_equal(strncmp(line, "-a always,exit -F arch=",
						 23), 0);
			assert_non_null(strstr(line, " -S "));
			always++;
		}
	}
	fclose(f);
	assert_int_equal(never, 2);
	assert_int_equal(always, 2 * vigil_audit_n_groups);
	vigil_audit_rules_free(&r);
	unlink(path);
	rmdir(dir);
}

/* A ruleset from policy text; fails the test when it does not load. */
static struct vigil_ruleset *policy(const char *text)
{
	struct vigil_ruleset *rs = NULL;
	struct vigil_buf err = { 0 };
	int rc = vigil_ruleset_load_mem(vigil_fields(), "test.yaml", text,
					strlen(text), &rs, &err);

	if (rc)
		fprintf(stderr, "%s", vigil_buf_cstr(&err));
	vigil_buf_free(&err);
	assert_int_equal(rc, 0);
	return rs;
}

/* The derived rules of text for key "vigil", pid 77, as one string the
 * caller frees. */
static char *derive(const char *text)
{
	struct vigil_ruleset *rs = policy(text);
	struct vigil_buf out = { 0 };
	char *s;

	assert_int_equal(vigil_audit_rules_derive(rs, "vigil", 77, &out), 0);
	s = strdup(vigil_buf_cstr(&out));
	vigil_buf_free(&out);
	vigil_ruleset_free(rs);
	assert_non_null(s);
	return s;
}

/*
 * The kernel filters of a policy: per event type, the union of what each
 * enabled rule pins (paths, a directory, an executable); a type with a
 * rule that pins nothing is unfiltered, and a disabled rule counts not.
 */
static void test_audit_kernel_filters_union_rule_constraints(void **state)
{
	struct vigil_ruleset *rs = policy(
		"- rule: shadow\n  description: d\n  severity: low\n"
		"  expression: open.file.path in [/etc/shadow, /etc/gshadow] "
		"&& process.uid != 0\n"
		"- rule: logs\n  description: d\n  severity: low\n"
		"  expression: open.file.path =~ \"/var/log/**\"\n"
		"- rule: nc\n  description: d\n  severity: low\n"
		"  expression: exec.file.path == /usr/bin/nc\n"
		"- rule: anything_dns\n  description: d\n  severity: low\n"
		"  expression: dns.question.name =~ \"*.onion\"\n"
		"- rule: exec_any\n  description: d\n  severity: low\n"
		"  expression: event.type == exec && process.uid == 0\n"
		"  enabled: false\n");
	struct vigil_kfilter *kf;
	size_t n;
	bool saw_open = false, saw_exec = false, saw_dns = false;

	assert_non_null(rs);
	assert_int_equal(vigil_audit_kernel_filters(rs, &kf, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		if (kf[i].event_type == VIGIL_EV_OPEN) {
			int paths = 0, dirs = 0;

			saw_open = true;
			assert_false(kf[i].unfiltered);
			assert_int_equal(kf[i].n_rules, 2);
			for (uint32_t k = 0; k < kf[i].n_items; k++) {
				if (kf[i].items[k].kind == VIGIL_KF_PATH)
					paths++;
				if (kf[i].items[k].kind == VIGIL_KF_DIR) {
					dirs++;
					assert_string_equal(kf[i].items[k].value,
							    "/var/log");
				}
			}
			assert_int_equal(paths, 2);
			assert_int_equal(dirs, 1);
		} else if (kf[i].event_type == VIGIL_EV_EXEC) {
			/* the disabled catch-all does not widen it */
			saw_exec = true;
			assert_false(kf[i].unfiltered);
			assert_int_equal(kf[i].n_items, 1);
			assert_int_equal(kf[i].items[0].kind, VIGIL_KF_EXE);
			assert_string_equal(kf[i].items[0].value,
					    "/usr/bin/nc");
		} else if (kf[i].event_type == VIGIL_EV_DNS) {
			saw_dns = true;
			assert_true(kf[i].unfiltered);
		}
	}
	assert_true(saw_open && saw_exec && saw_dns);
	free(kf);
	vigil_ruleset_free(rs);
}

#define RULE(id, expr)                                                 \
	"- rule: " id "\n  description: d\n  severity: low\n"       \
	"  expression: " expr "\n"

static void test_audit_rules_derived_from_a_small_policy(void **state)
{
	char *got;

	(void)state;
	got = derive(RULE("attach", "ptrace.request == PTRACE_ATTACH "
			  "&& process.file.name != gdb")
		     RULE("poke", "ptrace.request == PTRACE_POKEDATA")
		     RULE("poke_again", "ptrace.request in [PTRACE_POKEDATA]")
		     RULE("memfd", "event.type == memfd_create && "
			  "process.file.path in [/usr/bin/a, /usr/bin/b]")
		     RULE("root_kill", "event.type == kill && "
			  "process.uid == 0")
		     RULE("mods", "event.type == load_module")
		     RULE("nc", "exec.file.path == /usr/bin/nc"));
	/* exec is plain although its only rule names one file: the
	 * process table needs every exec */
	assert_string_equal(
		got,
		"-a never,exit -F arch=b64 -S all -F pid=77 -k vigil\n"
		"-a always,exit -F arch=b64 -S execve -S execveat -k vigil\n"
		"-a always,exit -F arch=b64 -S init_module -S finit_module "
		"-k vigil\n"
		"-a always,exit -F arch=b64 -S ptrace -F a0=0x10 -k vigil\n"
		"-a always,exit -F arch=b64 -S ptrace -F a0=0x5 -k vigil\n"
		"-a always,exit -F arch=b64 -S memfd_create "
		"-F exe=/usr/bin/a -k vigil\n"
		"-a always,exit -F arch=b64 -S memfd_create "
		"-F exe=/usr/bin/b -k vigil\n"
		"-a always,exit -F arch=b64 -S kill -S tkill -S tgkill "
		"-F uid=0 -k vigil\n"
		"-a never,exit -F arch=b32 -S all -F pid=77 -k vigil\n"
		"-a always,exit -F arch=b32 -S execve -S execveat -k vigil\n"
		"-a always,exit -F arch=b32 -S init_module -S finit_module "
		"-k vigil\n"
		"-a always,exit -F arch=b32 -S ptrace -F a0=0x10 -k vigil\n"
		"-a always,exit -F arch=b32 -S ptrace -F a0=0x5 -k vigil\n"
		"-a always,exit -F arch=b32 -S memfd_create "
		"-F exe=/usr/bin/a -k vigil\n"
		"-a always,exit -F arch=b32 -S memfd_create "
		"-F exe=/usr/bin/b -k vigil\n"
		"-a always,exit -F arch=b32 -S kill -S tkill -S tgkill "
		"-F uid=0 -k vigil\n");
	free(got);
}

static void test_audit_rules_derived_leaves_out_unused_syscalls(void **state)
{
	char *got;

	(void)state;
	got = derive(RULE("mods", "event.type == load_module"));
	assert_null(strstr(got, "ptrace"));
	assert_null(strstr(got, "kill"));
	assert_null(strstr(got, "mount"));
	assert_null(strstr(got, "setuid"));
	assert_non_null(strstr(got, "-S execve -S execveat -k vigil\n"));
	assert_non_null(strstr(got, "-S init_module -S finit_module -k"));
	free(got);
}

static void test_audit_rules_derived_plain_when_one_rule_needs_all(
	void **state)
{
	char *got;

	(void)state;
	/* the second ptrace rule wants every ptrace call: no a0 filter
	 * would let the kernel drop one it needs */
	got = derive(RULE("attach", "ptrace.request == PTRACE_ATTACH")
		     RULE("any_gdb", "event.type == ptrace && "
			  "process.file.name == gdb"));
	assert_null(strstr(got, "a0="));
	assert_non_null(strstr(got, "-F arch=b64 -S ptrace -k vigil\n"));
	free(got);
	/* a negated comparison is no filter either */
	got = derive(RULE("not_attach", "ptrace.request != PTRACE_ATTACH"));
	assert_null(strstr(got, "a0="));
	assert_non_null(strstr(got, "-S ptrace -k vigil\n"));
	free(got);
	/* a path auditctl cannot write (a blank) falls back to plain */
	got = derive(RULE("odd", "event.type == memfd_create && "
			  "process.file.path == \"/usr/bin/a b\""));
	assert_null(strstr(got, "exe="));
	assert_non_null(strstr(got, "-S memfd_create -k vigil\n"));
	free(got);
	/* the kernel refuses an exe in a directory that does not exist */
	got = derive(RULE("nodir", "event.type == memfd_create && "
			  "process.file.path == /nonexistent-vigil/bin/a"));
	assert_null(strstr(got, "exe="));
	assert_non_null(strstr(got, "-S memfd_create -k vigil\n"));
	free(got);
	/* more values than VIGIL_AUDIT_MAX_FILTERS: one plain rule */
	got = derive(RULE("many", "event.type == kill && process.uid in "
			  "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, "
			  "16, 17]"));
	assert_null(strstr(got, "uid="));
	assert_non_null(strstr(got, "-S kill -S tkill -S tgkill -k vigil\n"));
	free(got);
}

static void test_audit_rules_derived_text_loads_through_libaudit(void **state)
{
	struct vigil_audit_rules r;
	char *got;
	unsigned lines = 0;

	(void)state;
	got = derive(RULE("attach", "ptrace.request == PTRACE_ATTACH")
		     RULE("memfd", "event.type == memfd_create && "
			  "process.file.path == /usr/bin/a")
		     RULE("root_kill", "event.type == kill && "
			  "process.auid == 1000"));
	for (const char *p = got; *p; p++)
		lines += *p == '\n';
	assert_int_equal(vigil_audit_rules_from_text(&r, "vigil", got), 0);
	assert_int_equal(r.n, lines);
	for (unsigned i = 0; i < r.n; i++) {
		assert_int_equal(r.rule[i]->fields[0] & ~AUDIT_OPERATORS,
				 AUDIT_ARCH);
		assert_non_null(strstr(got, r.line[i]));
	}
	vigil_audit_rules_free(&r);
	free(got);
	/* what libaudit refuses is an error, not a half rule set */
	assert_int_equal(vigil_audit_rules_from_text(
				 &r, "vigil",
				 "-a always,exit -F arch=b64 -S nosuchcall "
				 "-k vigil\n"),
			 -EINVAL);
	assert_int_equal(vigil_audit_rules_from_text(
				 &r, "vigil", "-a always,exit -S ptrace\n"),
			 -EINVAL);
}

/* Makes dir/name: an empty file, or a directory when name ends in '/'. */
static void make_entry(const char *dir, const char *name)
{
	char p[256];
	size_t n = strlen(name);
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (name[n - 1] == '/') {
		assert_int_equal(mkdir(p, 0700), 0);
		return;
	}
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
}

static void test_audit_rules_open_rule_globs_watch_what_they_match_now(
	void **state)
{
	static const char *const tree[] = {
		"alice/", "bob/", "carol/", "alice/.ssh/", "bob/.ssh/",
		"alice/.ssh/id_ed25519", "alice/.ssh/id_ed25519.pub",
		"bob/.ssh/id_rsa", "bob/.ssh/known_hosts", "carol/id_rsa",
	};
	char dir[] = "/tmp/vigil-glob-test.XXXXXX", text[1024], want[512];
	char *got;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(tree) / sizeof(tree[0]); i++)
		make_entry(dir, tree[i]);
	snprintf(text, sizeof(text),
		 RULE("keys", "event.type == open && file.path =~ "
		      "[\"%s/*/.ssh/id_*\", \"**/never-watched\"] && "
		      "!(file.path =~ \"**.pub\") && !(file.flags & O_WRONLY)")
		 RULE("dots", "event.type == open && file.path =~ \"%s/*\"")
		 RULE("deep", "event.type == open && "
		      "file.path =~ [\"%s/**/id_rsa\"]"),
		 dir, dir, dir);
	got = derive(text);
	/* each file the pattern matches now, with the rule's access (a
	 * later && term narrows nothing: the .pub file is watched too) */
	snprintf(want, sizeof(want), "-a always,exit -S all -F "
		 "path=%s/alice/.ssh/id_ed25519 -F perm=r -k vigil\n", dir);
	assert_non_null(strstr(got, want));
	snprintf(want, sizeof(want), "-a always,exit -S all -F "
		 "path=%s/bob/.ssh/id_rsa -F perm=r -k vigil\n", dir);
	assert_non_null(strstr(got, want));
	snprintf(want, sizeof(want), "path=%s/bob/.ssh/known_hosts", dir);
	assert_null(strstr(got, want));
	/* a ** pattern cannot be a watch: nothing for it, and a term made
	 * only of those pins nothing */
	assert_null(strstr(got, "never-watched"));
	snprintf(want, sizeof(want), "path=%s/carol/id_rsa", dir);
	assert_null(strstr(got, want));
	/* * matches a leading dot as the policy's globs do, but never the
	 * directory itself or its parent */
	snprintf(want, sizeof(want), "path=%s/alice -F perm=rw", dir);
	assert_non_null(strstr(got, want));
	snprintf(want, sizeof(want), "path=%s/. ", dir);
	assert_null(strstr(got, want));
	snprintf(want, sizeof(want), "path=%s/.. ", dir);
	assert_null(strstr(got, want));
	free(got);
	for (size_t i = sizeof(tree) / sizeof(tree[0]); i-- > 0;) {
		char p[256];

		snprintf(p, sizeof(p), "%s/%s", dir, tree[i]);
		assert_int_equal(remove(p), 0);
	}
	assert_int_equal(rmdir(dir), 0);
}

static void test_audit_rules_open_rules_watch_their_literal_paths(
	void **state)
{
	struct vigil_audit_rules r;
	struct vigil_buf all = { 0 };
	struct vigil_ruleset *rs;
	unsigned watches = 0;
	char *got;

	(void)state;
	got = derive(RULE("shadow_read", "event.type == open && file.path in "
			  "[/etc/shadow, /etc/gshadow] && "
			  "!(file.flags & O_WRONLY)")
		     RULE("core", "event.type == open && "
			  "open.file.path == /proc/sys/kernel/core_pattern && "
			  "((file.flags & O_WRONLY) || (file.flags & O_RDWR))")
		     RULE("any_open", "event.type == open && "
			  "file.path =~ /etc/hosts")
		     RULE("logs", "event.type == open && "
			  "file.path =~ \"/var/log/**\"")
		     RULE("gone", "event.type == open && file.path in "
			  "[/nonexistent-vigil/x, /proc/sys/kernel/vigil-none]"));
	/* read-only opens: perm r; write-only: w; no flag test: both.  A
	 * directory glob is fanotify's business, and the kernel refuses a
	 * watch in a missing directory or on a missing /proc file */
	assert_non_null(strstr(got, "-a always,exit -S all -F path=/etc/shadow "
				    "-F perm=r -k vigil\n"));
	assert_non_null(strstr(got, "-a always,exit -S all -F path=/etc/gshadow "
				    "-F perm=r -k vigil\n"));
	assert_non_null(strstr(got, "-a always,exit -S all -F "
				    "path=/proc/sys/kernel/core_pattern "
				    "-F perm=w -k vigil\n"));
	assert_non_null(strstr(got, "-a always,exit -S all -F path=/etc/hosts "
				    "-F perm=rw -k vigil\n"));
	assert_null(strstr(got, "/var/log"));
	assert_null(strstr(got, "nonexistent"));
	assert_null(strstr(got, "vigil-none"));
	/* the open syscalls themselves are not audited */
	assert_null(strstr(got, "openat"));
	/* the watches load, without an arch: they hold for every arch */
	assert_int_equal(vigil_audit_rules_from_text(&r, "vigil", got), 0);
	for (unsigned i = 0; i < r.n; i++) {
		bool has_watch = false;

		for (uint32_t f = 0; f < r.rule[i]->field_count; f++)
			has_watch |= (r.rule[i]->fields[f] & ~AUDIT_OPERATORS) ==
				     AUDIT_WATCH;
		if (!has_watch)
			continue;
		watches++;
		assert_int_not_equal(r.rule[i]->fields[0] & ~AUDIT_OPERATORS,
				     AUDIT_ARCH);
	}
	assert_int_equal(watches, 4);
	vigil_audit_rules_free(&r);
	free(got);

	/* a path two rules name gets the permissions of both, once */
	got = derive(RULE("r", "event.type == open && file.path == /etc/hosts "
			  "&& !(file.flags & O_WRONLY)")
		     RULE("w", "event.type == open && file.path == /etc/hosts "
			  "&& file.flags & O_WRONLY"));
	assert_non_null(strstr(got, "-F path=/etc/hosts -F perm=rw -k vigil\n"));
	assert_null(strstr(strstr(got, "path=/etc/hosts") + 1,
			   "path=/etc/hosts"));
	free(got);

	/* audit.rules: all keeps every group and adds the policy's watches */
	rs = policy(RULE("shadow_read", "event.type == open && "
			 "file.path == /etc/shadow"));
	assert_int_equal(vigil_audit_rules_derive_all(rs, "vigil", 0, &all), 0);
	assert_non_null(strstr(vigil_buf_cstr(&all),
			       "-S personality -S keyctl -k vigil\n"));
	assert_non_null(strstr(vigil_buf_cstr(&all),
			       "-F path=/etc/shadow -F perm=rw -k vigil\n"));
	vigil_ruleset_free(rs);
	vigil_buf_free(&all);

	/* what the installed set asks for, for the event builder */
	{
		static const char text[] =
			"-a always,exit -F arch=b64 -S setxattr -S lsetxattr "
			"-S fsetxattr -S removexattr -S lremovexattr "
			"-S fremovexattr -k vigil\n"
			"-a always,exit -F arch=b64 -S setxattr -S removexattr "
			"-F dir=/etc -k vigil\n"
			"-a always,exit -S all -F path=/etc/shadow -F perm=r "
			"-k vigil\n"
			"-a always,exit -S all -F path=/etc/hosts -F perm=rw "
			"-k vigil\n";
		char **paths;
		size_t n;
		bool xattr;

		assert_int_equal(vigil_audit_rules_from_text(&r, "vigil",
							     text), 0);
		assert_int_equal(vigil_audit_rules_asks(&r, &paths, &n,
							&xattr), 0);
		assert_true(xattr);
		assert_int_equal(n, 2);
		assert_string_equal(paths[0], "/etc/shadow");
		assert_string_equal(paths[1], "/etc/hosts");
		for (size_t i = 0; i < n; i++)
			free(paths[i]);
		free(paths);
		vigil_audit_rules_free(&r);
		/* under a tree only: not every xattr call */
		assert_int_equal(vigil_audit_rules_from_text(
					 &r, "vigil", strchr(text, '\n') + 1),
				 0);
		assert_int_equal(vigil_audit_rules_asks(&r, &paths, &n,
							&xattr), 0);
		assert_false(xattr);
		for (size_t i = 0; i < n; i++)
			free(paths[i]);
		free(paths);
		vigil_audit_rules_free(&r);
	}

	/* without an arch only a watch on every syscall makes sense */
	assert_int_equal(vigil_audit_rules_from_text(
				 &r, "vigil",
				 "-a always,exit -S ptrace -F path=/etc/hosts "
				 "-k vigil\n"),
			 -EINVAL);
	assert_int_equal(vigil_audit_rules_from_text(
				 &r, "vigil", "-a always,exit -S all -F uid=0 "
				 "-k vigil\n"),
			 -EINVAL);
	assert_int_equal(vigil_audit_rules_from_text(
				 &r, "vigil",
				 "-a always,exit -S all -F path=/etc/hosts "
				 "-F arch=b64 -k vigil\n"),
			 -EINVAL);
}

static void test_audit_rules_xattr_calls_audited_everywhere_for_xattr_rules(
	void **state)
{
	struct vigil_ruleset *rs;
	char *got;

	(void)state;
	/* a setxattr rule on no path: the whole family, on every path */
	got = derive(RULE("caps", "event.type == setxattr && "
			  "file.xattr_name == security.capability"));
	assert_non_null(strstr(got, "-a always,exit -F arch=b64 -S setxattr "
				    "-S lsetxattr -S fsetxattr -k vigil\n"));
	assert_null(strstr(got, "dir="));
	free(got);
	rs = policy(RULE("caps", "event.type == setxattr")
		    RULE("rm", "event.type == removexattr"));
	assert_true(vigil_audit_rules_xattr_everywhere(rs));
	vigil_ruleset_free(rs);
	/* under one tree only: a filter, and the fim trees keep theirs */
	rs = policy(RULE("caps", "event.type == setxattr && "
			 "file.path =~ \"/usr/bin/**\""));
	assert_false(vigil_audit_rules_xattr_everywhere(rs));
	vigil_ruleset_free(rs);
	got = derive(RULE("caps", "event.type == setxattr && "
			  "file.path =~ \"/usr/bin/**\""));
	assert_non_null(strstr(got, "-S setxattr -S lsetxattr -S fsetxattr "
				    "-F dir=/usr/bin -k vigil\n"));
	free(got);
	/* no policy (audit.rules: all): every group, xattr included */
	assert_true(vigil_audit_rules_xattr_everywhere(NULL));
	/* no xattr rule: no xattr call audited */
	got = derive(RULE("mods", "event.type == load_module"));
	assert_null(strstr(got, "xattr"));
	free(got);
}

/* Runs vigil_audit_rules_cli() with its stdout in a string (freed by the
 * caller); *rc gets its exit status. */
static char *cli_output(const char *config, int argc, char **argv, int *rc)
{
	char path[] = "/tmp/vigil-cli-out.XXXXXX", *text;
	int fd = mkstemp(path), saved = dup(STDOUT_FILENO);
	long len;
	FILE *f;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stdout);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	*rc = vigil_audit_rules_cli(config, argc, argv);
	fflush(stdout);
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	close(fd);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	unlink(path);
	return text;
}

static void test_audit_rules_cli_prints_what_the_source_derives(void **state)
{
	static const char pol[] =
		RULE("attach", "ptrace.request == PTRACE_ATTACH")
		RULE("mods", "event.type == load_module");
	char dir[] = "/tmp/vigil-cli-test.XXXXXX", cfg[128], pfile[128];
	struct vigil_ruleset *rs;
	struct vigil_buf want = { 0 };
	char *got, *policy_arg[1];
	FILE *f;
	int rc;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(pfile, sizeof(pfile), "%s/p.yaml", dir);
	snprintf(cfg, sizeof(cfg), "%s/vigil.yaml", dir);
	f = fopen(pfile, "w");
	assert_non_null(f);
	fputs(pol, f);
	fclose(f);
	f = fopen(cfg, "w");
	assert_non_null(f);
	fprintf(f, "agent:\n  pid_file: %s/none.pid\n"
		   "audit:\n  key: kt\n"
		   "plugins:\n  - name: rules\n    config:\n"
		   "      paths: [%s]\n", dir, pfile);
	fclose(f);
	/* no vigild runs: a note instead of the never rules, then exactly
	 * what the derivation gives */
	rs = policy(pol);
	assert_int_equal(vigil_audit_rules_derive(rs, "kt", 0, &want), 0);
	vigil_ruleset_free(rs);
	got = cli_output(cfg, 0, NULL, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(strncmp(got, "## vigild is not running", 24), 0);
	assert_string_equal(strchr(got, '\n') + 1, vigil_buf_cstr(&want));
	assert_non_null(strstr(got, "-S ptrace -F a0=0x10 -k kt\n"));
	free(got);
	/* PATHs given replace the configured ones */
	policy_arg[0] = pfile;
	got = cli_output(cfg, 1, policy_arg, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(strchr(got, '\n') + 1, vigil_buf_cstr(&want));
	free(got);
	/* audit.rules: all needs no policy */
	f = fopen(cfg, "w");
	assert_non_null(f);
	fprintf(f, "agent:\n  pid_file: %s/none.pid\n"
		   "audit:\n  key: kt\n  rules: all\n", dir);
	fclose(f);
	got = cli_output(cfg, 0, NULL, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(got, "-S personality -S keyctl -k kt\n"));
	free(got);
	vigil_buf_free(&want);
	unlink(cfg);
	unlink(pfile);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_audit_rules_cli_prints_what_the_source_derives),
		cmocka_unit_test(
			test_audit_kernel_filters_union_rule_constraints),
		cmocka_unit_test(test_audit_rules_derived_from_a_small_policy),
		cmocka_unit_test(
			test_audit_rules_derived_leaves_out_unused_syscalls),
		cmocka_unit_test(
			test_audit_rules_derived_plain_when_one_rule_needs_all),
		cmocka_unit_test(
			test_audit_rules_derived_text_loads_through_libaudit),
		cmocka_unit_test(
		  test_audit_rules_one_per_group_and_arch_with_self_excluded),
		cmocka_unit_test(test_audit_rules_file_matches_the_rule_set),
		cmocka_unit_test(
		   test_audit_rules_open_rules_watch_their_literal_paths),
		cmocka_unit_test(
		   test_audit_rules_open_rule_globs_watch_what_they_match_now),
		cmocka_unit_test(
		 test_audit_rules_xattr_calls_audited_everywhere_for_xattr_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
