/*
 * test_lang_util.h - helpers shared by the rule language tests: events
 * built directly in C, and one-rule policies compiled from an expression.
 */
#ifndef VIGIL_TEST_LANG_UTIL_H
#define VIGIL_TEST_LANG_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lang/policy.h"
#include "schema.h"
#include "util.h"

struct tev {
	struct vigil_arena arena;
	struct vigil_event ev;
	struct vigil_process anc[8];
	struct vigil_str argv[16];
	struct vigil_process target;
};

static inline void tev_init(struct tev *t, uint32_t type)
{
	memset(t, 0, sizeof(*t));
	vigil_arena_init(&t->arena, 4096);
	vigil_event_init(&t->ev, &t->arena);
	t->ev.type = type;
	t->ev.time_ns = INT64_C(1000000000);
	t->ev.process.pid = 4242;
}

static inline void tev_free(struct tev *t)
{
	vigil_arena_free(&t->arena);
}

/* Sets argv (NULL-terminated list of static strings). */
static inline void tev_argv(struct tev *t, ...)
{
	va_list ap;
	const char *a;
	uint32_t n = 0;

	va_start(ap, t);
	while ((a = va_arg(ap, const char *)) && n < 16)
		t->argv[n++] = vigil_str_c(a);
	va_end(ap);
	t->ev.process.argv.v = t->argv;
	t->ev.process.argv.n = n;
}

/* Adds an ancestor whose executable is path. */
static inline void tev_ancestor(struct tev *t, const char *path)
{
	struct vigil_process *p = &t->anc[t->ev.n_ancestors];

	vigil_process_clear(p);
	p->file.path = vigil_str_c(path);
	p->pid = 100 + (int32_t)t->ev.n_ancestors;
	t->ev.ancestors = t->anc;
	t->ev.n_ancestors++;
}

/* An exec of path by pid 4242 with argv {path}. */
static inline void tev_exec(struct tev *t, const char *path)
{
	tev_init(t, VIGIL_EV_EXEC);
	t->ev.process.file.path = vigil_str_c(path);
	tev_argv(t, path, NULL);
}

/*
 * Loads a policy from text; on failure the messages go to err (or are
 * printed when err is NULL) and NULL is returned.
 */
static inline struct vigil_ruleset *load_policy(const char *yaml,
						struct vigil_buf *err)
{
	struct vigil_buf local = { 0 };
	struct vigil_ruleset *rs = NULL;
	int rc;

	rc = vigil_ruleset_load_mem(vigil_fields(), "test.yaml", yaml,
				    strlen(yaml), &rs, err ? err : &local);
	if (rc && !err)
		fprintf(stderr, "policy failed:\n%s", vigil_buf_cstr(&local));
	vigil_buf_free(&local);
	return rc ? NULL : rs;
}

/* A policy with one rule "r" whose expression is expr (one-line). */
static inline struct vigil_ruleset *load_expr(const char *expr,
					      struct vigil_buf *err)
{
	struct vigil_buf y = { 0 };
	struct vigil_ruleset *rs;

	vigil_buf_printf(&y, "- rule: r\n  description: d\n  severity: low\n"
			     "  expression: '");
	for (const char *p = expr; *p; p++) {
		if (*p == '\'')
			vigil_buf_printf(&y, "''");
		else
			vigil_buf_printf(&y, "%c", *p);
	}
	vigil_buf_printf(&y, "'\n");
	rs = load_policy(vigil_buf_cstr(&y), err);
	vigil_buf_free(&y);
	return rs;
}

/* Whether expr compiles and matches ev; fails the test if it does not
 * compile. */
static inline bool matches(const char *expr, const struct vigil_event *ev)
{
	struct vigil_ruleset *rs = load_expr(expr, NULL);
	bool r;

	if (!rs)
		fail_msg("expression did not compile: %s", expr);
	r = vigil_ruleset_rule_matches(rs, 0, ev);
	vigil_ruleset_free(rs);
	return r;
}

/* The error text of a policy that must fail to load. */
static inline char *load_error(const char *yaml)
{
	struct vigil_buf err = { 0 };
	struct vigil_ruleset *rs = load_policy(yaml, &err);

	char *r;

	if (rs)
		fail_msg("policy loaded but should not have:\n%s", yaml);
	r = strdup(vigil_buf_cstr(&err));
	vigil_buf_free(&err);
	return r;
}

static inline char *expr_error(const char *expr)
{
	struct vigil_buf err = { 0 };
	struct vigil_ruleset *rs = load_expr(expr, &err);
	char *r;

	if (rs)
		fail_msg("expression compiled but should not have: %s", expr);
	r = strdup(vigil_buf_cstr(&err));
	vigil_buf_free(&err);
	return r;
}

#define assert_contains(hay, needle)                                           \
	do {                                                                   \
		const char *h_ = (hay), *n_ = (needle);                        \
		if (!strstr(h_, n_))                                           \
			fail_msg("'%s' not found in:\n%s", n_, h_);            \
	} while (0)

#endif /* VIGIL_TEST_LANG_UTIL_H */
