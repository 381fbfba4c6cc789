/*
 * policy_load.c - the entries of policy files (YAML rule:, macro: and
 * list:) into a ruleset: each entry checked, and per id the final
 * definition kept after overrides and appends.  policy_files.c reads the
 * files and drives the passes.
 *
 * Loading happens in two passes.  The first (here) walks every file in
 * order and keeps, per id, the final definition after overrides (pointers
 * into the documents, which the ruleset keeps).  The second
 * (policy_compile.c) compiles each rule against the final macros and
 * lists, so an entry may use a macro defined in a later file, and a user
 * file that changes a macro changes every shipped rule that uses it.  All
 * errors of all files are reported.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

#define RULE_MAX_TAGS 64

/* ---- small helpers ---- */

void pol_err(struct vigil_ruleset *rs, const struct vigil_node *n,
	     const char *fmt, ...)
{
	va_list ap;

	rs->n_errors++;
	if (!rs->err)
		return;
	va_start(ap, fmt);
	vigil_node_verror(rs->err, n, fmt, ap);
	va_end(ap);
	vigil_buf_printf(rs->err, "\n");
}

static bool name_eq(const char *a, const char *b, size_t blen)
{
	return strncmp(a, b, blen) == 0 && a[blen] == '\0';
}

/*
 * The element named by the len bytes at name in the array v of n elements
 * of size bytes each, whose first member is their name (struct pol_rule,
 * pol_macro, pol_list), or NULL.
 */
static void *find_named(void *v, size_t n, size_t size, const char *name,
			size_t len)
{
	for (size_t i = 0; i < n; i++) {
		void *e = (char *)v + i * size;

		if (name_eq(*(const char **)e, name, len))
			return e;
	}
	return NULL;
}

static struct pol_rule *find_rule(struct vigil_ruleset *rs, const char *id)
{
	return find_named(rs->rules, rs->n_rules, sizeof(*rs->rules), id,
			  strlen(id));
}

struct pol_macro *pol_find_macro(struct vigil_ruleset *rs, const char *n,
				 size_t len)
{
	return find_named(rs->macros, rs->n_macros, sizeof(*rs->macros), n,
			  len);
}

struct pol_list *pol_find_list(struct vigil_ruleset *rs, const char *n,
			       size_t len)
{
	return find_named(rs->lists, rs->n_lists, sizeof(*rs->lists), n, len);
}

/* A source for the text of scalar n of the current file. */
struct lang_src *pol_node_src(struct vigil_ruleset *rs,
			      const struct vigil_node *n)
{
	struct lang_src *s = lang_alloc(&rs->pool, sizeof(*s));

	if (!s)
		return NULL;
	s->file = n->file;
	s->node = n;
	s->text = n->str;
	s->len = n->len;
	for (size_t i = 0; i < rs->n_files; i++) {
		if (rs->files[i].doc.file == n->file) {
			s->raw = rs->files[i].raw;
			s->raw_len = rs->files[i].raw_len;
		}
	}
	return s;
}

bool pol_want_scalar(struct vigil_ruleset *rs, const struct vigil_node *n,
		     const char *key)
{
	if (vigil_node_is_scalar(n) && !vigil_node_is_null(n))
		return true;
	pol_err(rs, n, "'%s' must be a non-empty text value", key);
	return false;
}

bool pol_want_seq(struct vigil_ruleset *rs, const struct vigil_node *n,
		  const char *key)
{
	if (n->type == VIGIL_NODE_SEQ)
		return true;
	pol_err(rs, n, "'%s' must be a list ([a, b] or '- a' lines)", key);
	return false;
}

/* Checks map keys against allowed (NULL-terminated); reports unknown. */
bool pol_check_keys(struct vigil_ruleset *rs, const struct vigil_node *m,
		    const char *what, const char *const *allowed)
{
	bool ok = true;

	for (size_t i = 0; i < m->n; i++) {
		const char *k = m->keys[i]->str;
		size_t j;

		for (j = 0; allowed[j]; j++)
			if (strcmp(k, allowed[j]) == 0)
				break;
		if (!allowed[j]) {
			char list[512] = "";

			for (j = 0; allowed[j]; j++) {
				if (j)
					strncat(list, ", ",
						sizeof(list) - strlen(list) - 1);
				strncat(list, allowed[j],
					sizeof(list) - strlen(list) - 1);
			}
			pol_err(rs, m->keys[i],
				"unknown key '%s' in %s (known: %s)", k, what,
				list);
			ok = false;
		}
	}
	return ok;
}

/* Whether n is a map; else reports what (the shape it must have). */
static bool want_map(struct vigil_ruleset *rs, const struct vigil_node *n,
		     const char *what)
{
	if (n->type == VIGIL_NODE_MAP)
		return true;
	pol_err(rs, n, "%s", what);
	return false;
}

static bool node_true(struct vigil_ruleset *rs, const struct vigil_node *n,
		      const char *key, bool *out)
{
	if (n && vigil_node_bool(n, out) == 0)
		return true;
	pol_err(rs, n, "'%s' must be true or false", key);
	return false;
}

/*
 * The parts every entry m shares: its keys are among allowed, its name
 * (the value of kind: rule, macro or list) is text, append:, if there, is
 * a boolean, stored in *append (false without); and, unless body is NULL,
 * that it has the key body, whose value goes to *body_node.  Returns the
 * name node, or NULL after reporting what is wrong.
 */
static const struct vigil_node *
entry_head(struct vigil_ruleset *rs, const struct vigil_node *m,
	   const char *kind, const char *const *allowed, const char *body,
	   const struct vigil_node **body_node, bool *append)
{
	const struct vigil_node *name = vigil_node_get(m, kind);
	const struct vigil_node *app = vigil_node_get(m, "append");
	char what[16];

	*append = false;
	snprintf(what, sizeof(what), "a %s", kind);
	if (!pol_check_keys(rs, m, what, allowed) ||
	    !pol_want_scalar(rs, name, kind))
		return NULL;
	if (app && !node_true(rs, app, "append", append))
		return NULL;
	if (body) {
		*body_node = vigil_node_get(m, body);
		if (!*body_node) {
			pol_err(rs, m, "%s '%s' has no '%s'", kind, name->str,
				body);
			return NULL;
		}
	}
	return name;
}

/*
 * The list or macro entry named name, in *found: looked up in the array
 * *v of *n entries of size bytes (struct pol_list or pol_macro, whose
 * first member is the name).  With append it must exist (reported
 * otherwise: -ENOENT); without, a missing one is added zeroed, with its
 * name.  Returns 0, -ENOENT or -ENOMEM.
 */
static int named_entry(struct vigil_ruleset *rs, const char *kind,
		       const struct vigil_node *name, bool append, void **v,
		       size_t *cap, size_t *n, size_t size, void **found)
{
	*found = find_named(*v, *n, size, name->str, name->len);
	if (*found)
		return 0;
	if (append) {
		pol_err(rs, name,
			"append to %s '%s', which is not defined "
			"before",
			kind, name->str);
		return -ENOENT;
	}
	if (vigil_grow(v, cap, *n, size, 16))
		return -ENOMEM;
	*found = (char *)*v + (*n)++ * size;
	*(const char **)*found = name->str;
	return 0;
}

/*
 * A copy in the pool of the first have elements of old (size bytes each),
 * with room for total elements; NULL when out of memory.  Lists of an
 * entry grow through it when an append adds to them.
 */
static void *pool_extend(struct vigil_ruleset *rs, const void *old, size_t have,
			 size_t total, size_t size)
{
	void *v = lang_alloc(&rs->pool, total * size);

	if (v && have)
		memcpy(v, old, have * size);
	return v;
}

/*
 * Sets *parts to its first have parts and the expression scalar n (a
 * macro's or rule's expression: parts are joined by || or &&), in the
 * pool; *n_parts is have + 1.  Returns 0 or -ENOMEM.
 */
static int add_part(struct vigil_ruleset *rs, struct lang_src **parts,
		    size_t *n_parts, size_t have, const struct vigil_node *n)
{
	struct lang_src *s = pol_node_src(rs, n);
	struct lang_src *v =
		pool_extend(rs, *parts, have, have + 1, sizeof(*v));

	if (!s || !v)
		return -ENOMEM;
	v[have] = *s;
	*parts = v;
	*n_parts = have + 1;
	return 0;
}

/* ---- lists ---- */

static const char *const list_keys[] = { "list", "items", "append", NULL };

static int add_list_items(struct vigil_ruleset *rs, struct pol_list *l,
			  const struct vigil_node *items)
{
	const struct vigil_node **v;
	size_t n;

	if (!pol_want_seq(rs, items, "items"))
		return -EINVAL;
	if (items->n > LANG_MAX_LIST_ITEMS ||
	    l->n_items + items->n > LANG_MAX_LIST_ITEMS) {
		pol_err(rs, items, "more than %d items", LANG_MAX_LIST_ITEMS);
		return -E2BIG;
	}
	v = pool_extend(rs, l->items, l->n_items, l->n_items + items->n + 1,
			sizeof(*v));
	if (!v)
		return -ENOMEM;
	n = l->n_items;
	for (size_t i = 0; i < items->n; i++) {
		if (!vigil_node_is_scalar(items->items[i])) {
			pol_err(rs, items->items[i], "list items are values");
			return -EINVAL;
		}
		v[n++] = items->items[i];
	}
	l->items = v;
	l->n_items = n;
	return 0;
}

static int entry_list(struct vigil_ruleset *rs, const struct vigil_node *m)
{
	const struct vigil_node *name, *items;
	struct pol_list *l;
	bool append;
	int rc;

	name = entry_head(rs, m, "list", list_keys, "items", &items, &append);
	if (!name)
		return -EINVAL;
	rc = named_entry(rs, "list", name, append, (void **)&rs->lists,
			 &rs->cap_lists, &rs->n_lists, sizeof(*l), (void **)&l);
	if (rc)
		return rc;
	if (!append)
		l->n_items = 0;
	l->node = m;
	return add_list_items(rs, l, items);
}

/* ---- macros ---- */

static const char *const macro_keys[] = { "macro",  "expression",
					  "description", "append", NULL };

static int entry_macro(struct vigil_ruleset *rs, const struct vigil_node *m)
{
	const struct vigil_node *name, *expr;
	struct pol_macro *mac;
	bool append;
	int rc;

	name = entry_head(rs, m, "macro", macro_keys, "expression", &expr,
			  &append);
	if (!name || !pol_want_scalar(rs, expr, "expression"))
		return -EINVAL;
	rc = named_entry(rs, "macro", name, append, (void **)&rs->macros,
			 &rs->cap_macros, &rs->n_macros, sizeof(*mac),
			 (void **)&mac);
	if (rc)
		return rc;
	mac->node = m;
	return add_part(rs, &mac->parts, &mac->n_parts,
			append ? mac->n_parts : 0, expr);
}

/* ---- rules ---- */

static const char *const rule_keys[] = {
	"rule",	    "description", "title",   "expression", "severity",
	"tags",	    "remediation", "enabled", "every",	    "every_key",
	"exceptions", "tests",	   "override", "append",    "action",
	NULL
};

/* Keys override: may replace, and those it may also append to. */
static const char *const override_keys[] = {
	"description", "title",	    "expression", "severity", "tags",
	"remediation", "enabled",   "every",	  "every_key", "exceptions",
	"tests",       "action",    NULL
};

static bool key_in(const char *k, const char *const *set)
{
	for (size_t i = 0; set[i]; i++)
		if (strcmp(k, set[i]) == 0)
			return true;
	return false;
}

static int set_tags(struct vigil_ruleset *rs, struct pol_rule *r,
		    const struct vigil_node *n, bool append)
{
	const char **v;
	uint32_t have = append ? r->n_tags : 0;

	if (!pol_want_seq(rs, n, "tags"))
		return -EINVAL;
	if (have + n->n > RULE_MAX_TAGS) {
		pol_err(rs, n, "more than %d tags", RULE_MAX_TAGS);
		return -E2BIG;
	}
	v = pool_extend(rs, r->tags, have, have + n->n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++) {
		if (!pol_want_scalar(rs, n->items[i], "tags"))
			return -EINVAL;
		v[have++] = n->items[i]->str;
	}
	r->tags = v;
	r->n_tags = have;
	return 0;
}

static int set_exceptions(struct vigil_ruleset *rs, struct pol_rule *r,
			  const struct vigil_node *n, bool append)
{
	const struct vigil_node **v;
	size_t have = append ? r->n_exceptions : 0;

	if (!pol_want_seq(rs, n, "exceptions"))
		return -EINVAL;
	v = pool_extend(rs, r->exceptions, have, have + n->n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++) {
		if (!want_map(rs, n->items[i],
			      "an exception is a map: {fields: [...], "
			      "values: [[...]]}"))
			return -EINVAL;
		v[have++] = n->items[i];
	}
	r->exceptions = v;
	r->n_exceptions = have;
	return 0;
}

/* tests: {match: [events], no_match: [events]}, run after compiling. */
static int set_tests(struct vigil_ruleset *rs, struct pol_rule *r,
		     const struct vigil_node *n)
{
	if (!want_map(rs, n,
		      "'tests' is a map: {match: [...], no_match: [...]}"))
		return -EINVAL;
	for (size_t i = 0; i < n->n; i++) {
		const char *tk = n->keys[i]->str;

		if (strcmp(tk, "match") && strcmp(tk, "no_match")) {
			pol_err(rs, n->keys[i],
				"unknown key '%s' in tests (known: match, "
				"no_match)",
				tk);
			return -EINVAL;
		}
		if (!pol_want_seq(rs, n->items[i], tk))
			return -EINVAL;
	}
	r->tests = n;
	return 0;
}

static int set_expression(struct vigil_ruleset *rs, struct pol_rule *r,
			  const struct vigil_node *n, bool append)
{
	if (!pol_want_scalar(rs, n, "expression"))
		return -EINVAL;
	return add_part(rs, &r->parts, &r->n_parts, append ? r->n_parts : 0,
			n);
}

/*
 * action: what the source holding the event should do besides raising the
 * signal.  "deny" refuses it; "alert" (the default) only signals.  Which
 * event types can be denied is checked once the rule is compiled.
 */
static int set_action(struct vigil_ruleset *rs, struct pol_rule *r,
		      const struct vigil_node *n)
{
	if (!strcmp(n->str, "deny")) {
		r->actions = VIGIL_ACTION_DENY;
	} else if (!strcmp(n->str, "alert")) {
		r->actions = 0;
	} else {
		pol_err(rs, n, "unknown action '%s' (alert, deny)", n->str);
		return -EINVAL;
	}
	r->action_node = n;
	return 0;
}

/* Applies one key of a rule entry (replace, or append when allowed). */
static int rule_set(struct vigil_ruleset *rs, struct pol_rule *r,
		    const char *k, const struct vigil_node *n, bool append)
{
	int sev;

	if (append && strcmp(k, "expression") && strcmp(k, "tags") &&
	    strcmp(k, "exceptions")) {
		pol_err(rs, n,
			"'%s' cannot be appended to (only expression, "
			"tags and exceptions)",
			k);
		return -EINVAL;
	}
	if (!strcmp(k, "expression"))
		return set_expression(rs, r, n, append);
	if (!strcmp(k, "tags"))
		return set_tags(rs, r, n, append);
	if (!strcmp(k, "exceptions"))
		return set_exceptions(rs, r, n, append);
	if (!strcmp(k, "enabled"))
		return node_true(rs, n, "enabled", &r->enabled) ? 0 : -EINVAL;
	if (!strcmp(k, "tests"))
		return set_tests(rs, r, n);
	if (!strcmp(k, "every")) {
		if (vigil_node_duration(n, &r->every_ns) || r->every_ns < 0) {
			pol_err(rs, n, "'every' is a duration (10s, 5m, 1h)");
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(k, "every_key")) {
		if (!pol_want_seq(rs, n, "every_key"))
			return -EINVAL;
		if (n->n > RULE_MAX_KEYS) {
			pol_err(rs, n, "at most %d key fields", RULE_MAX_KEYS);
			return -E2BIG;
		}
		r->every_key = n;
		return 0;
	}
	if (!pol_want_scalar(rs, n, k))
		return -EINVAL;
	if (!strcmp(k, "severity")) {
		sev = vigil_severity_from_name(n->str);
		if (sev < 0) {
			pol_err(rs, n,
				"unknown severity '%s' (info, low, medium, "
				"high, critical)",
				n->str);
			return -EINVAL;
		}
		r->severity = (uint32_t)sev;
	} else if (!strcmp(k, "description")) {
		r->description = n->str;
	} else if (!strcmp(k, "title")) {
		r->title = n->str;
	} else if (!strcmp(k, "remediation")) {
		r->remediation = n->str;
	} else if (!strcmp(k, "action")) {
		return set_action(rs, r, n);
	}
	return 0;
}

/* override: {key: replace|append, ...} or [key, ...] (replace). */
static int rule_override(struct vigil_ruleset *rs, struct pol_rule *r,
			 const struct vigil_node *m,
			 const struct vigil_node *ov)
{
	int rc = 0;

	if (ov->type != VIGIL_NODE_MAP && ov->type != VIGIL_NODE_SEQ) {
		pol_err(rs, ov,
			"'override' is a map {key: replace|append} or a "
			"list of keys to replace");
		return -EINVAL;
	}
	for (size_t i = 0; i < ov->n; i++) {
		const struct vigil_node *kn =
			ov->type == VIGIL_NODE_MAP ? ov->keys[i] : ov->items[i];
		const struct vigil_node *how =
			ov->type == VIGIL_NODE_MAP ? ov->items[i] : NULL;
		const struct vigil_node *val;
		bool append = false;

		if (!vigil_node_is_scalar(kn) || !key_in(kn->str, override_keys)) {
			pol_err(rs, kn, "'%s' cannot be overridden",
				vigil_node_is_scalar(kn) ? kn->str : "?");
			rc = -EINVAL;
			continue;
		}
		if (how) {
			if (vigil_node_is_scalar(how) &&
			    !strcmp(how->str, "append")) {
				append = true;
			} else if (!vigil_node_is_scalar(how) ||
				   strcmp(how->str, "replace")) {
				pol_err(rs, how,
					"override of '%s' is 'replace' "
					"or 'append'",
					kn->str);
				rc = -EINVAL;
				continue;
			}
		}
		val = vigil_node_get(m, kn->str);
		if (!val) {
			pol_err(rs, kn,
				"override of '%s' but the entry has no "
				"'%s'",
				kn->str, kn->str);
			rc = -EINVAL;
			continue;
		}
		if (rule_set(rs, r, kn->str, val, append))
			rc = -EINVAL;
	}
	/* keys given but not listed under override are a mistake */
	for (size_t i = 0; i < m->n; i++) {
		const char *k = m->keys[i]->str;
		bool listed = false;

		if (!strcmp(k, "rule") || !strcmp(k, "override"))
			continue;
		for (size_t j = 0; j < ov->n; j++) {
			const struct vigil_node *kn =
				ov->type == VIGIL_NODE_MAP ? ov->keys[j] :
							     ov->items[j];
			if (vigil_node_is_scalar(kn) && !strcmp(kn->str, k))
				listed = true;
		}
		if (!listed) {
			pol_err(rs, m->keys[i],
				"'%s' is not listed under "
				"override",
				k);
			rc = -EINVAL;
		}
	}
	return rc;
}

static int entry_rule(struct vigil_ruleset *rs, const struct vigil_node *m)
{
	const struct vigil_node *ov = vigil_node_get(m, "override");
	const struct vigil_node *app = vigil_node_get(m, "append");
	const struct vigil_node *expr = vigil_node_get(m, "expression");
	const struct vigil_node *id;
	struct pol_rule *r, fresh;
	bool append;
	int rc = 0;

	id = entry_head(rs, m, "rule", rule_keys, NULL, NULL, &append);
	if (!id)
		return -EINVAL;
	r = find_rule(rs, id->str);
	if (ov || append) {
		if (!r) {
			pol_err(rs, id,
				"rule '%s' is not defined before: "
				"nothing to %s",
				id->str, ov ? "override" : "append to");
			return -ENOENT;
		}
		if (ov && append) {
			pol_err(rs, app,
				"use either override: or append:, "
				"not both");
			return -EINVAL;
		}
		if (ov) {
			rc = rule_override(rs, r, m, ov);
		} else {
			for (size_t i = 0; i < m->n; i++) {
				const char *k = m->keys[i]->str;

				if (!strcmp(k, "rule") || !strcmp(k, "append"))
					continue;
				if (rule_set(rs, r, k, m->items[i], true))
					rc = -EINVAL;
			}
		}
		r->node = m;
		return rc;
	}
	if (r && !expr) {
		/* enabled: false alone disables a shipped rule */
		for (size_t i = 0; i < m->n; i++) {
			const char *k = m->keys[i]->str;

			if (!strcmp(k, "rule"))
				continue;
			if (strcmp(k, "enabled")) {
				pol_err(rs, m->keys[i],
					"rule '%s' is already defined: to "
					"change "
					"'%s' write override: {%s: replace}",
					id->str, k, k);
				return -EINVAL;
			}
			rc = rule_set(rs, r, k, m->items[i], false);
		}
		return rc;
	}
	/* a new rule, or a complete redefinition */
	memset(&fresh, 0, sizeof(fresh));
	fresh.id = id->str;
	fresh.node = m;
	fresh.enabled = true;
	fresh.severity = VIGIL_SEV_MEDIUM;
	for (size_t i = 0; i < m->n; i++) {
		const char *k = m->keys[i]->str;

		if (!strcmp(k, "rule"))
			continue;
		if (rule_set(rs, &fresh, k, m->items[i], false))
			rc = -EINVAL;
	}
	if (!expr) {
		pol_err(rs, m, "rule '%s' has no 'expression'", id->str);
		rc = -EINVAL;
	}
	if (!vigil_node_get(m, "description")) {
		pol_err(rs, m, "rule '%s' has no 'description'", id->str);
		rc = -EINVAL;
	}
	if (!vigil_node_get(m, "severity")) {
		pol_err(rs, m,
			"rule '%s' has no 'severity' (info, low, medium, "
			"high, critical)",
			id->str);
		rc = -EINVAL;
	}
	if (rc)
		return rc;
	if (!r) {
		if (vigil_grow((void **)&rs->rules, &rs->cap_rules, rs->n_rules,
			       sizeof(*r), 16))
			return -ENOMEM;
		r = &rs->rules[rs->n_rules++];
	}
	*r = fresh;
	return 0;
}

int pol_load_entries(struct vigil_ruleset *rs, const struct pol_file *f)
{
	const struct vigil_node *root = f->doc.root;
	int rc = 0;

	if (!root)
		return 0; /* an empty file */
	if (root->type != VIGIL_NODE_SEQ) {
		pol_err(rs, root,
			"a policy is a list of entries ('- rule: ...', "
			"'- macro: ...', '- list: ...')");
		return -EINVAL;
	}
	for (size_t i = 0; i < root->n; i++) {
		const struct vigil_node *m = root->items[i];
		unsigned kinds;
		int r;

		if (!want_map(rs, m,
			      "an entry is a map with rule:, macro: or "
			      "list:")) {
			rc = -EINVAL;
			continue;
		}
		kinds = !!vigil_node_get(m, "rule") +
			!!vigil_node_get(m, "macro") +
			!!vigil_node_get(m, "list");
		if (kinds != 1) {
			pol_err(rs, m,
				"an entry has exactly one of rule:, "
				"macro:, list: (this one has %u)",
				kinds);
			rc = -EINVAL;
			continue;
		}
		if (vigil_node_get(m, "rule"))
			r = entry_rule(rs, m);
		else if (vigil_node_get(m, "macro"))
			r = entry_macro(rs, m);
		else
			r = entry_list(rs, m);
		if (r == -ENOMEM)
			return r;
		if (r)
			rc = r;
	}
	return rc;
}
