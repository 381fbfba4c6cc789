/*
 * policy.c - policy files (YAML rule:, macro: and list: entries) into a
 * ruleset: load order and overrides, compilation of every rule with its
 * exceptions, the per-event-type index, evaluation with rate control.
 *
 * Loading happens in two passes.  The first walks every file in order and
 * keeps, per id, the final definition after overrides (pointers into the
 * documents, which the ruleset keeps).  The second compiles each rule
 * against the final macros and lists, so an entry may use a macro defined
 * in a later file, and a user file that changes a macro changes every
 * shipped rule that uses it.  All errors of all files are reported.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lang.h"
#include "rules.h"

#define POLICY_MAX_FILE (64u << 20)
#define RATE_SLOTS 1024 /* keys tracked per rate-limited rule */
#define RATE_PROBE 8
#define RULE_MAX_TAGS 64
#define RULE_MAX_KEYS 8
#define POLICY_MAX_LIST_ITEMS (1 << 20) /* all lists, expanded */

struct pol_file {
	char *path;
	char *raw;
	size_t raw_len;
	struct vigil_doc doc;
};

struct pol_list {
	const char *name;
	const struct vigil_node *node; /* the entry */
	const struct vigil_node **items; /* item scalars, after appends */
	size_t n_items;
	/* resolved: nested list names expanded */
	struct lang_list_item *flat;
	size_t n_flat;
	int state; /* 0 new, 1 resolving, 2 resolved, -1 failed */
};

struct pol_macro {
	const char *name;
	const struct vigil_node *node;
	struct lang_src *parts; /* joined by || */
	size_t n_parts;
	bool expanding;
};

struct rate_slot {
	uint64_t key;
	int64_t last_ns;
	uint32_t suppressed;
	uint32_t used;
};

struct pol_rule {
	const char *id;
	const struct vigil_node *node; /* the (last) defining entry */
	const char *description;
	const char *title;
	const char *remediation;
	uint32_t severity;
	uint32_t actions; /* VIGIL_ACTION_* */
	const struct vigil_node *action_node; /* where action: was */
	const char **tags;
	uint32_t n_tags;
	bool enabled;
	struct lang_src *parts; /* expression parts, joined by && */
	size_t n_parts;
	const struct vigil_node **exceptions; /* exception maps */
	size_t n_exceptions;
	const struct vigil_node *tests;
	int64_t every_ns;
	const struct vigil_node *every_key;

	/* compiled */
	struct lang_expr *cond; /* the expression */
	struct lang_expr *exc;  /* any exception, or NULL */
	uint64_t evmask;
	const struct vigil_field *keys[RULE_MAX_KEYS];
	uint32_t n_keys;
	struct rate_slot *rate;
	uint64_t matches, suppressed;
};

/*
 * An approver: a comparison "field == value" or "field in set" that a rule
 * requires (a top-level && term) on a scalar string field.  The rules of a
 * bucket that have one are grouped by field; per event the field is read
 * once and a hash lookup names the rules worth evaluating.  Rules without
 * an approver are always evaluated.
 */
struct approver {
	const struct vigil_field *field;
	bool nocase;
	uint32_t mask; /* slots - 1 */
	struct appr_slot {
		uint32_t hash, len;
		const char *ptr; /* NULL: empty */
		uint32_t first, n; /* run in rules[] */
	} *slots;
	uint32_t *rules; /* positions in the bucket */
};

/* The enabled rules of one event type, in load order. */
struct bucket {
	struct pol_rule **rules;
	uint32_t n;
	uint32_t words;  /* of the bitmaps */
	uint64_t *always; /* rules without an approver */
	struct approver *appr;
	uint32_t n_appr;
};

struct vigil_ruleset {
	const struct vigil_field_table *ft;
	struct lang_pool pool;
	struct pol_file *files;
	size_t n_files;
	struct pol_rule *rules;
	size_t n_rules, cap_rules;
	struct pol_macro *macros;
	size_t n_macros, cap_macros;
	struct pol_list *lists;
	size_t n_lists, cap_lists;
	struct bucket buckets[VIGIL_EV__COUNT];
	uint64_t *cand; /* scratch bitmap for the largest bucket */
	uint64_t events, signals;
	size_t flat_items; /* list items after expansion, all lists */
	/* load-time */
	struct vigil_buf *err;
	unsigned n_errors;
};

/* ---- small helpers ---- */

static void perr(struct vigil_ruleset *rs, const struct vigil_node *n,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void perr(struct vigil_ruleset *rs, const struct vigil_node *n,
		 const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	rs->n_errors++;
	if (!rs->err)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vigil_node_error(rs->err, n, "%s", msg);
	vigil_buf_printf(rs->err, "\n");
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	p = realloc(*v, c * size);
	if (!p)
		return -ENOMEM;
	memset((char *)p + *cap * size, 0, (c - *cap) * size);
	*v = p;
	*cap = c;
	return 0;
}

static bool name_eq(const char *a, const char *b, size_t blen)
{
	return strncmp(a, b, blen) == 0 && a[blen] == '\0';
}

static struct pol_rule *find_rule(struct vigil_ruleset *rs, const char *id)
{
	for (size_t i = 0; i < rs->n_rules; i++)
		if (strcmp(rs->rules[i].id, id) == 0)
			return &rs->rules[i];
	return NULL;
}

static struct pol_macro *find_macro(struct vigil_ruleset *rs, const char *n,
				    size_t len)
{
	for (size_t i = 0; i < rs->n_macros; i++)
		if (name_eq(rs->macros[i].name, n, len))
			return &rs->macros[i];
	return NULL;
}

static struct pol_list *find_list(struct vigil_ruleset *rs, const char *n,
				  size_t len)
{
	for (size_t i = 0; i < rs->n_lists; i++)
		if (name_eq(rs->lists[i].name, n, len))
			return &rs->lists[i];
	return NULL;
}

/* A source for the text of scalar n of the current file. */
static struct lang_src *node_src(struct vigil_ruleset *rs,
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

static bool want_scalar(struct vigil_ruleset *rs, const struct vigil_node *n,
			const char *key)
{
	if (vigil_node_is_scalar(n) && !vigil_node_is_null(n))
		return true;
	perr(rs, n, "'%s' must be a non-empty text value", key);
	return false;
}

static bool want_seq(struct vigil_ruleset *rs, const struct vigil_node *n,
		     const char *key)
{
	if (n->type == VIGIL_NODE_SEQ)
		return true;
	perr(rs, n, "'%s' must be a list ([a, b] or '- a' lines)", key);
	return false;
}

/* Checks map keys against allowed (NULL-terminated); reports unknown. */
static bool check_keys(struct vigil_ruleset *rs, const struct vigil_node *m,
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
			perr(rs, m->keys[i], "unknown key '%s' in %s (known: %s)",
			     k, what, list);
			ok = false;
		}
	}
	return ok;
}

static bool node_true(struct vigil_ruleset *rs, const struct vigil_node *n,
		      const char *key, bool *out)
{
	if (n && vigil_node_bool(n, out) == 0)
		return true;
	perr(rs, n, "'%s' must be true or false", key);
	return false;
}

/* ---- lists ---- */

static const char *const list_keys[] = { "list", "items", "append", NULL };

static int add_list_items(struct vigil_ruleset *rs, struct pol_list *l,
			  const struct vigil_node *items)
{
	const struct vigil_node **v;
	size_t n;

	if (!want_seq(rs, items, "items"))
		return -EINVAL;
	if (items->n > LANG_MAX_LIST_ITEMS ||
	    l->n_items + items->n > LANG_MAX_LIST_ITEMS) {
		perr(rs, items, "more than %d items", LANG_MAX_LIST_ITEMS);
		return -E2BIG;
	}
	v = lang_alloc(&rs->pool, (l->n_items + items->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (l->n_items)
		memcpy(v, l->items, l->n_items * sizeof(*v));
	n = l->n_items;
	for (size_t i = 0; i < items->n; i++) {
		if (!vigil_node_is_scalar(items->items[i])) {
			perr(rs, items->items[i], "list items are values");
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
	const struct vigil_node *name = vigil_node_get(m, "list");
	const struct vigil_node *items = vigil_node_get(m, "items");
	const struct vigil_node *app = vigil_node_get(m, "append");
	struct pol_list *l;
	bool append = false;

	if (!check_keys(rs, m, "a list", list_keys) ||
	    !want_scalar(rs, name, "list"))
		return -EINVAL;
	if (app && !node_true(rs, app, "append", &append))
		return -EINVAL;
	if (!items) {
		perr(rs, m, "list '%s' has no 'items'", name->str);
		return -EINVAL;
	}
	l = find_list(rs, name->str, name->len);
	if (append && !l) {
		perr(rs, name, "append to list '%s', which is not defined "
			       "before", name->str);
		return -ENOENT;
	}
	if (!l) {
		if (grow((void **)&rs->lists, &rs->cap_lists, rs->n_lists,
			 sizeof(*l)))
			return -ENOMEM;
		l = &rs->lists[rs->n_lists++];
		l->name = name->str;
	}
	if (!append)
		l->n_items = 0;
	l->node = m;
	return add_list_items(rs, l, items);
}

/*
 * Expands nested list names in l's items (Falco style:
 * items: [shell_binaries, python]).  Returns 0 or -EINVAL on a cycle.
 */
static int resolve_list(struct vigil_ruleset *rs, struct pol_list *l)
{
	size_t cap = 0;

	if (l->state == 2)
		return 0;
	if (l->state != 0) {
		if (l->state == 1)
			perr(rs, l->node, "list '%s' contains itself",
			     l->name);
		l->state = -1;
		return -EINVAL;
	}
	l->state = 1;
	for (size_t i = 0; i < l->n_items; i++) {
		const struct vigil_node *it = l->items[i];
		struct pol_list *sub =
			it->quoted ? NULL : find_list(rs, it->str, it->len);
		size_t add = 1;

		if (sub) {
			if (resolve_list(rs, sub)) {
				l->state = -1;
				return -EINVAL;
			}
			add = sub->n_flat;
		}
		/* nested lists multiply: bound the expansion, per list
		 * and over the policy */
		if (l->n_flat + add > LANG_MAX_LIST_ITEMS ||
		    rs->flat_items + add > POLICY_MAX_LIST_ITEMS) {
			perr(rs, l->node, "list '%s' expands to more than %d "
					  "items", l->name,
			     l->n_flat + add > LANG_MAX_LIST_ITEMS ?
				     LANG_MAX_LIST_ITEMS :
				     POLICY_MAX_LIST_ITEMS);
			l->state = -1;
			return -E2BIG;
		}
		rs->flat_items += add;
		if (l->n_flat + add > cap) {
			size_t nc = (l->n_flat + add) * 2;
			struct lang_list_item *v =
				lang_alloc(&rs->pool, nc * sizeof(*v));

			if (!v)
				return -ENOMEM;
			if (l->n_flat)
				memcpy(v, l->flat, l->n_flat * sizeof(*v));
			l->flat = v;
			cap = nc;
		}
		if (sub) {
			if (sub->n_flat)
				memcpy(l->flat + l->n_flat, sub->flat,
				       sub->n_flat * sizeof(*l->flat));
			l->n_flat += sub->n_flat;
			continue;
		}
		{
			struct lang_list_item *li = &l->flat[l->n_flat++];
			struct lang_src *s = node_src(rs, it);

			if (!s)
				return -ENOMEM;
			li->text = it->str;
			li->len = it->len;
			li->quoted = it->quoted;
			li->src = s;
			li->src_len = it->len;
		}
	}
	l->state = 2;
	return 0;
}

/* ---- macros ---- */

static const char *const macro_keys[] = { "macro",  "expression",
					  "description", "append", NULL };

static int entry_macro(struct vigil_ruleset *rs, const struct vigil_node *m)
{
	const struct vigil_node *name = vigil_node_get(m, "macro");
	const struct vigil_node *expr = vigil_node_get(m, "expression");
	const struct vigil_node *app = vigil_node_get(m, "append");
	struct pol_macro *mac;
	struct lang_src *s, *parts;
	bool append = false;

	if (!check_keys(rs, m, "a macro", macro_keys) ||
	    !want_scalar(rs, name, "macro"))
		return -EINVAL;
	if (app && !node_true(rs, app, "append", &append))
		return -EINVAL;
	if (!expr) {
		perr(rs, m, "macro '%s' has no 'expression'", name->str);
		return -EINVAL;
	}
	if (!want_scalar(rs, expr, "expression"))
		return -EINVAL;
	mac = find_macro(rs, name->str, name->len);
	if (append && !mac) {
		perr(rs, name, "append to macro '%s', which is not defined "
			       "before", name->str);
		return -ENOENT;
	}
	if (!mac) {
		if (grow((void **)&rs->macros, &rs->cap_macros, rs->n_macros,
			 sizeof(*mac)))
			return -ENOMEM;
		mac = &rs->macros[rs->n_macros++];
		mac->name = name->str;
	}
	if (!append)
		mac->n_parts = 0;
	s = node_src(rs, expr);
	parts = lang_alloc(&rs->pool, (mac->n_parts + 1) * sizeof(*parts));
	if (!s || !parts)
		return -ENOMEM;
	if (mac->n_parts)
		memcpy(parts, mac->parts, mac->n_parts * sizeof(*parts));
	parts[mac->n_parts++] = *s;
	mac->parts = parts;
	mac->node = m;
	return 0;
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

	if (!want_seq(rs, n, "tags"))
		return -EINVAL;
	if (have + n->n > RULE_MAX_TAGS) {
		perr(rs, n, "more than %d tags", RULE_MAX_TAGS);
		return -E2BIG;
	}
	v = lang_alloc(&rs->pool, (have + n->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (have)
		memcpy(v, r->tags, have * sizeof(*v));
	for (size_t i = 0; i < n->n; i++) {
		if (!want_scalar(rs, n->items[i], "tags"))
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

	if (!want_seq(rs, n, "exceptions"))
		return -EINVAL;
	v = lang_alloc(&rs->pool, (have + n->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (have)
		memcpy(v, r->exceptions, have * sizeof(*v));
	for (size_t i = 0; i < n->n; i++) {
		if (n->items[i]->type != VIGIL_NODE_MAP) {
			perr(rs, n->items[i],
			     "an exception is a map: {fields: [...], "
			     "values: [[...]]}");
			return -EINVAL;
		}
		v[have++] = n->items[i];
	}
	r->exceptions = v;
	r->n_exceptions = have;
	return 0;
}

static int set_expression(struct vigil_ruleset *rs, struct pol_rule *r,
			  const struct vigil_node *n, bool append)
{
	struct lang_src *s, *parts;
	size_t have = append ? r->n_parts : 0;

	if (!want_scalar(rs, n, "expression"))
		return -EINVAL;
	s = node_src(rs, n);
	parts = lang_alloc(&rs->pool, (have + 1) * sizeof(*parts));
	if (!s || !parts)
		return -ENOMEM;
	if (have)
		memcpy(parts, r->parts, have * sizeof(*parts));
	parts[have++] = *s;
	r->parts = parts;
	r->n_parts = have;
	return 0;
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
		perr(rs, n, "unknown action '%s' (alert, deny)", n->str);
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
		perr(rs, n, "'%s' cannot be appended to (only expression, "
			    "tags and exceptions)", k);
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
	if (!strcmp(k, "tests")) {
		if (n->type != VIGIL_NODE_MAP) {
			perr(rs, n, "'tests' is a map: {match: [...], "
				    "no_match: [...]}");
			return -EINVAL;
		}
		for (size_t i = 0; i < n->n; i++) {
			const char *tk = n->keys[i]->str;

			if (strcmp(tk, "match") && strcmp(tk, "no_match")) {
				perr(rs, n->keys[i],
				     "unknown key '%s' in tests (known: "
				     "match, no_match)", tk);
				return -EINVAL;
			}
			if (!want_seq(rs, n->items[i], tk))
				return -EINVAL;
		}
		r->tests = n;
		return 0;
	}
	if (!strcmp(k, "every")) {
		if (vigil_node_duration(n, &r->every_ns) || r->every_ns < 0) {
			perr(rs, n, "'every' is a duration (10s, 5m, 1h)");
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(k, "every_key")) {
		if (!want_seq(rs, n, "every_key"))
			return -EINVAL;
		if (n->n > RULE_MAX_KEYS) {
			perr(rs, n, "at most %d key fields", RULE_MAX_KEYS);
			return -E2BIG;
		}
		r->every_key = n;
		return 0;
	}
	if (!want_scalar(rs, n, k))
		return -EINVAL;
	if (!strcmp(k, "severity")) {
		sev = vigil_severity_from_name(n->str);
		if (sev < 0) {
			perr(rs, n, "unknown severity '%s' (info, low, medium, "
				    "high, critical)", n->str);
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
		perr(rs, ov, "'override' is a map {key: replace|append} or a "
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
			perr(rs, kn, "'%s' cannot be overridden",
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
				perr(rs, how, "override of '%s' is 'replace' "
					      "or 'append'", kn->str);
				rc = -EINVAL;
				continue;
			}
		}
		val = vigil_node_get(m, kn->str);
		if (!val) {
			perr(rs, kn, "override of '%s' but the entry has no "
				     "'%s'", kn->str, kn->str);
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
			perr(rs, m->keys[i], "'%s' is not listed under "
					     "override", k);
			rc = -EINVAL;
		}
	}
	return rc;
}

static int entry_rule(struct vigil_ruleset *rs, const struct vigil_node *m)
{
	const struct vigil_node *id = vigil_node_get(m, "rule");
	const struct vigil_node *ov = vigil_node_get(m, "override");
	const struct vigil_node *app = vigil_node_get(m, "append");
	const struct vigil_node *expr = vigil_node_get(m, "expression");
	struct pol_rule *r, fresh;
	bool append = false;
	int rc = 0;

	if (!check_keys(rs, m, "a rule", rule_keys) ||
	    !want_scalar(rs, id, "rule"))
		return -EINVAL;
	if (app && !node_true(rs, app, "append", &append))
		return -EINVAL;
	r = find_rule(rs, id->str);
	if (ov || append) {
		if (!r) {
			perr(rs, id, "rule '%s' is not defined before: "
				     "nothing to %s", id->str,
			     ov ? "override" : "append to");
			return -ENOENT;
		}
		if (ov && append) {
			perr(rs, app, "use either override: or append:, "
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
				perr(rs, m->keys[i],
				     "rule '%s' is already defined: to change "
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
		perr(rs, m, "rule '%s' has no 'expression'", id->str);
		rc = -EINVAL;
	}
	if (!vigil_node_get(m, "description")) {
		perr(rs, m, "rule '%s' has no 'description'", id->str);
		rc = -EINVAL;
	}
	if (!vigil_node_get(m, "severity")) {
		perr(rs, m, "rule '%s' has no 'severity' (info, low, medium, "
			    "high, critical)", id->str);
		rc = -EINVAL;
	}
	if (rc)
		return rc;
	if (!r) {
		if (grow((void **)&rs->rules, &rs->cap_rules, rs->n_rules,
			 sizeof(*r)))
			return -ENOMEM;
		r = &rs->rules[rs->n_rules++];
	}
	*r = fresh;
	return 0;
}

static int load_entries(struct vigil_ruleset *rs, const struct pol_file *f)
{
	const struct vigil_node *root = f->doc.root;
	int rc = 0;

	if (!root)
		return 0; /* an empty file */
	if (root->type != VIGIL_NODE_SEQ) {
		perr(rs, root, "a policy is a list of entries ('- rule: ...', "
			       "'- macro: ...', '- list: ...')");
		return -EINVAL;
	}
	for (size_t i = 0; i < root->n; i++) {
		const struct vigil_node *m = root->items[i];
		unsigned kinds;
		int r;

		if (m->type != VIGIL_NODE_MAP) {
			perr(rs, m, "an entry is a map with rule:, macro: or "
				    "list:");
			rc = -EINVAL;
			continue;
		}
		kinds = !!vigil_node_get(m, "rule") +
			!!vigil_node_get(m, "macro") +
			!!vigil_node_get(m, "list");
		if (kinds != 1) {
			perr(rs, m, "an entry has exactly one of rule:, "
				    "macro:, list: (this one has %u)", kinds);
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

/* ---- compilation ---- */

static const struct lang_src *names_macro(void *arg, const char *name,
					  size_t len, size_t *n_parts)
{
	struct pol_macro *m = find_macro(arg, name, len);

	if (!m)
		return NULL;
	*n_parts = m->n_parts;
	return m->parts;
}

static const struct lang_list_item *names_list(void *arg, const char *name,
					       size_t len, size_t *n)
{
	struct pol_list *l = find_list(arg, name, len);

	if (!l || resolve_list(arg, l))
		return NULL;
	*n = l->n_flat;
	return l->flat;
}

static bool names_enter(void *arg, const char *name, size_t len, bool enter)
{
	struct pol_macro *m = find_macro(arg, name, len);

	if (!m)
		return false;
	if (enter && m->expanding)
		return false;
	m->expanding = enter;
	return true;
}

/* A list item for scalar n (an exception value). */
static int node_item(struct vigil_ruleset *rs, const struct vigil_node *n,
		     struct lang_list_item *it)
{
	struct lang_src *s = node_src(rs, n);

	if (!s)
		return -ENOMEM;
	memset(it, 0, sizeof(*it));
	it->text = n->str;
	it->len = n->len;
	it->quoted = n->quoted;
	it->src = s;
	it->src_len = n->len;
	return 0;
}

static int comp_op(const char *s, bool *neg)
{
	*neg = false;
	if (!strcmp(s, "==") || !strcmp(s, "="))
		return LT_EQ;
	if (!strcmp(s, "!="))
		return LT_NE;
	if (!strcmp(s, "in"))
		return LT_IN;
	if (!strcmp(s, "not in")) {
		*neg = true;
		return LT_IN;
	}
	if (!strcmp(s, "=~"))
		return LT_MATCH;
	if (!strcmp(s, "<"))
		return LT_LT;
	if (!strcmp(s, "<="))
		return LT_LE;
	if (!strcmp(s, ">"))
		return LT_GT;
	if (!strcmp(s, ">="))
		return LT_GE;
	return -1;
}

static const char *const exception_keys[] = { "name", "fields", "comps",
					      "values", NULL };

/*
 * One exception: fields [f1, f2], optional comps [==, in], values
 * [[v1, v2], ...] -> (f1 == v1 && f2 == v2) || ...  Returns NULL after
 * reporting errors.  A single field may be given as a scalar, with values
 * a list of single values.
 */
static struct lang_expr *compile_exception(struct vigil_ruleset *rs,
					   struct lang_ctx *c,
					   const struct vigil_node *m)
{
	const struct vigil_node *fields = vigil_node_get(m, "fields");
	const struct vigil_node *comps = vigil_node_get(m, "comps");
	const struct vigil_node *values = vigil_node_get(m, "values");
	struct lang_operand ods[RULE_MAX_KEYS];
	int ops[RULE_MAX_KEYS];
	bool negs[RULE_MAX_KEYS];
	size_t nf;
	bool scalar_field;
	struct lang_expr *any;

	if (!check_keys(rs, m, "an exception", exception_keys))
		return NULL;
	if (!fields || !values) {
		perr(rs, m, "an exception needs 'fields' and 'values'");
		return NULL;
	}
	scalar_field = vigil_node_is_scalar(fields);
	if (!scalar_field && !want_seq(rs, fields, "fields"))
		return NULL;
	nf = scalar_field ? 1 : fields->n;
	if (nf == 0 || nf > RULE_MAX_KEYS) {
		perr(rs, fields, "an exception names 1 to %d fields",
		     RULE_MAX_KEYS);
		return NULL;
	}
	if (comps && (comps->type != VIGIL_NODE_SEQ || comps->n != nf) &&
	    !(scalar_field && vigil_node_is_scalar(comps))) {
		perr(rs, comps, "'comps' has one operator per field");
		return NULL;
	}
	for (size_t i = 0; i < nf; i++) {
		const struct vigil_node *fn =
			scalar_field ? fields : fields->items[i];
		const struct vigil_node *cn =
			!comps ? NULL :
			vigil_node_is_scalar(comps) ? comps : comps->items[i];
		struct lang_src *s;

		if (!vigil_node_is_scalar(fn)) {
			perr(rs, fn, "a field name");
			return NULL;
		}
		s = node_src(rs, fn);
		if (!s)
			return NULL;
		if (lang_operand_resolve(c, s, 0, fn->str, fn->len, &ods[i]))
			return NULL;
		ops[i] = LT_EQ;
		negs[i] = false;
		if (cn && (!vigil_node_is_scalar(cn) ||
			   (ops[i] = comp_op(cn->str, &negs[i])) < 0)) {
			perr(rs, cn, "unknown comparison '%s' (==, !=, <, <=, "
				     ">, >=, in, not in, =~)",
			     vigil_node_is_scalar(cn) ? cn->str : "?");
			return NULL;
		}
	}
	if (!want_seq(rs, values, "values"))
		return NULL;
	any = lang_new_n(&rs->pool, LX_OR, (uint32_t)values->n);
	if (!any)
		return NULL;
	for (size_t v = 0; v < values->n; v++) {
		const struct vigil_node *tuple = values->items[v];
		struct lang_expr *all;

		/* fields: f (a scalar): each value is that field's value
		 * (or list of values for in); fields: [f, g]: each value is
		 * a tuple with one value per field */
		if (!scalar_field &&
		    (tuple->type != VIGIL_NODE_SEQ || tuple->n != nf)) {
			perr(rs, tuple, "each value is a list of %zu "
					"item(s), one per field", nf);
			return NULL;
		}
		all = lang_new_n(&rs->pool, LX_AND, (uint32_t)nf);
		if (!all)
			return NULL;
		for (size_t i = 0; i < nf; i++) {
			const struct vigil_node *vn =
				scalar_field ? tuple : tuple->items[i];
			struct lang_list_item items[64];
			size_t n = 0;
			bool is_list = vn->type == VIGIL_NODE_SEQ;

			if (is_list) {
				if (vn->n > VIGIL_ARRAY_SIZE(items)) {
					perr(rs, vn, "at most %zu values; use "
						     "a named list",
					     VIGIL_ARRAY_SIZE(items));
					return NULL;
				}
				for (size_t k = 0; k < vn->n; k++) {
					if (!vigil_node_is_scalar(
						    vn->items[k]) ||
					    node_item(rs, vn->items[k],
						      &items[n++])) {
						perr(rs, vn->items[k],
						     "a value");
						return NULL;
					}
				}
			} else if (vigil_node_is_scalar(vn)) {
				if (node_item(rs, vn, &items[n++]))
					return NULL;
				if (ops[i] == LT_IN) {
					/* in a named list */
					size_t ln = 0;
					const struct lang_list_item *li =
						names_list(rs, vn->str, vn->len,
							   &ln);
					if (!li) {
						perr(rs, vn, "undefined list "
							     "'%s'", vn->str);
						return NULL;
					}
					all->kids[i] = lang_build_cmp(
						c, &ods[i], ops[i], negs[i], li,
						ln, true);
					if (!all->kids[i])
						return NULL;
					continue;
				}
			} else {
				perr(rs, vn, "a value or a list of values");
				return NULL;
			}
			all->kids[i] = lang_build_cmp(c, &ods[i], ops[i],
						      negs[i], items, n,
						      is_list);
			if (!all->kids[i])
				return NULL;
		}
		any->kids[v] = all;
	}
	return any;
}

static const char *type_names(uint64_t mask, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (uint32_t t = 1; t < VIGIL_EV__COUNT && used + 1 < len; t++) {
		if (!(mask & VIGIL_EVBIT(t)))
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 used ? ", " : "",
					 vigil_event_type_name(t));
	}
	return buf;
}

static int compile_rule(struct vigil_ruleset *rs, struct lang_ctx *c,
			struct pol_rule *r)
{
	struct lang_expr *all;
	unsigned before = c->n_errors;

	all = lang_new_n(&rs->pool, LX_AND, (uint32_t)r->n_parts);
	if (!all)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_parts; i++) {
		all->kids[i] = lang_compile(c, &r->parts[i]);
		if (!all->kids[i])
			return -EINVAL;
	}
	r->cond = lang_fold(&rs->pool, all);
	if (!r->cond)
		return -ENOMEM;
	if (r->n_exceptions) {
		struct lang_expr *any =
			lang_new_n(&rs->pool, LX_OR, (uint32_t)r->n_exceptions);

		if (!any)
			return -ENOMEM;
		for (size_t i = 0; i < r->n_exceptions; i++) {
			any->kids[i] = compile_exception(rs, c,
							 r->exceptions[i]);
			if (!any->kids[i])
				return c->n_errors > before ||
						       rs->n_errors ?
					       -EINVAL :
					       -ENOMEM;
		}
		r->exc = lang_fold(&rs->pool, any);
		if (!r->exc)
			return -ENOMEM;
		if (r->exc->kind == LX_FALSE)
			r->exc = NULL;
	}
	r->evmask = r->cond->evmask;
	if (r->evmask == 0) {
		lang_error(c, &r->parts[0], 0,
			   "rule '%s' can never match: its conditions need "
			   "different event types", r->id);
		return -EINVAL;
	}
	if (r->evmask == LANG_ALL_TYPES) {
		lang_error(c, &r->parts[0], 0,
			   "rule '%s' applies to no single event type: add "
			   "event.type == \"...\" or use fields of one type "
			   "(exec.file.path, open.file.path, dns.question.name "
			   "...)", r->id);
		return -EINVAL;
	}
	if (r->actions & VIGIL_ACTION_DENY) {
		char names[256];

		/* Only the DNS source holds its events for a verdict. */
		if (r->evmask != VIGIL_EVBIT(VIGIL_EV_DNS)) {
			perr(rs, r->action_node,
			     "rule '%s': action deny applies only to dns "
			     "events, and this rule matches %s", r->id,
			     type_names(r->evmask, names, sizeof(names)));
			return -EINVAL;
		}
		/* A suppressed match raises no signal, hence no verdict. */
		if (r->every_ns) {
			perr(rs, r->action_node,
			     "rule '%s': action deny cannot be rate-limited "
			     "(every:): the suppressed lookups would pass",
			     r->id);
			return -EINVAL;
		}
	}
	if (r->every_key) {
		for (size_t i = 0; i < r->every_key->n; i++) {
			const struct vigil_node *kn = r->every_key->items[i];
			struct lang_operand od;
			struct lang_src *s;

			if (!want_scalar(rs, kn, "every_key"))
				return -EINVAL;
			s = node_src(rs, kn);
			if (!s)
				return -ENOMEM;
			if (lang_operand_resolve(c, s, 0, kn->str, kn->len,
						 &od))
				return -EINVAL;
			if (od.opnd != OPND_VALUE) {
				lang_error(c, s, 0, "a key is a field");
				return -EINVAL;
			}
			r->keys[r->n_keys++] = od.field;
		}
	}
	if (r->every_ns > 0) {
		r->rate = lang_alloc(&rs->pool, RATE_SLOTS * sizeof(*r->rate));
		if (!r->rate)
			return -ENOMEM;
	} else if (r->n_keys) {
		perr(rs, r->every_key, "every_key needs every: (a duration)");
		return -EINVAL;
	}
	return 0;
}

/* The approver term of a rule's condition, or NULL. */
static const struct lang_expr *find_approver(const struct lang_expr *e)
{
	const struct lang_expr *const *kids = &e;
	uint32_t n = 1;

	if (e->kind == LX_AND) {
		kids = (const struct lang_expr *const *)e->kids;
		n = e->n;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct lang_expr *k = kids[i];

		if (k->kind == LX_CMP && !k->neg && k->opnd == OPND_VALUE &&
		    !k->has_mask && k->vtype == VIGIL_T_STR &&
		    (k->op == CMP_EQ || k->op == CMP_IN) &&
		    !(k->field->flags &
		      (VIGIL_FIELD_LIST | VIGIL_FIELD_ITER)))
			return k;
	}
	return NULL;
}

struct appr_pair {
	uint32_t hash, len;
	const char *s;
	uint32_t rule;
};

static int pair_cmp(const void *a, const void *b)
{
	const struct appr_pair *x = a, *y = b;
	int c;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	c = memcmp(x->s, y->s, x->len);
	if (c)
		return c;
	return (x->rule > y->rule) - (x->rule < y->rule);
}

/* Builds the approver of field f over the bucket's rules. */
static int build_approver(struct vigil_ruleset *rs, struct bucket *b,
			  const struct lang_expr **terms,
			  const struct vigil_field *f, bool nocase,
			  struct approver *a)
{
	struct appr_pair *pairs;
	size_t n = 0, cap = 0, distinct = 0;
	uint32_t slots = 8;

	for (uint32_t i = 0; i < b->n; i++) {
		const struct lang_expr *t = terms[i];

		if (!t || t->field != f || t->nocase != nocase)
			continue;
		cap += t->op == CMP_EQ ? 1 : t->v.sset->n;
	}
	pairs = malloc((cap ? cap : 1) * sizeof(*pairs));
	if (!pairs)
		return -ENOMEM;
	for (uint32_t i = 0; i < b->n; i++) {
		const struct lang_expr *t = terms[i];

		if (!t || t->field != f || t->nocase != nocase)
			continue;
		if (t->op == CMP_EQ) {
			pairs[n].s = t->v.s.ptr;
			pairs[n].len = t->v.s.len;
			pairs[n].hash = lang_hash(t->v.s.ptr, t->v.s.len,
						  false);
			pairs[n++].rule = i;
			continue;
		}
		for (uint32_t k = 0; k <= t->v.sset->mask; k++) {
			const struct lang_strslot *sl = &t->v.sset->slots[k];

			if (!sl->ptr)
				continue;
			pairs[n].s = sl->ptr;
			pairs[n].len = sl->len;
			pairs[n].hash = sl->hash;
			pairs[n++].rule = i;
		}
		terms[i] = NULL; /* consumed */
	}
	for (uint32_t i = 0; i < b->n; i++)
		if (terms[i] && terms[i]->field == f &&
		    terms[i]->nocase == nocase)
			terms[i] = NULL;
	qsort(pairs, n, sizeof(*pairs), pair_cmp);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || pairs[i - 1].hash != pairs[i].hash ||
		    pairs[i - 1].len != pairs[i].len ||
		    memcmp(pairs[i - 1].s, pairs[i].s, pairs[i].len) != 0)
			distinct++;
	while (slots < distinct * 2)
		slots *= 2;
	a->field = f;
	a->nocase = nocase;
	a->mask = slots - 1;
	a->slots = lang_alloc(&rs->pool, slots * sizeof(*a->slots));
	a->rules = lang_alloc(&rs->pool, (n ? n : 1) * sizeof(*a->rules));
	if (!a->slots || !a->rules) {
		free(pairs);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n;) {
		size_t j = i;
		uint32_t h = pairs[i].hash & a->mask;

		while (j < n && pairs[j].hash == pairs[i].hash &&
		       pairs[j].len == pairs[i].len &&
		       memcmp(pairs[j].s, pairs[i].s, pairs[i].len) == 0) {
			a->rules[j] = pairs[j].rule;
			j++;
		}
		while (a->slots[h].ptr)
			h = (h + 1) & a->mask;
		a->slots[h].hash = pairs[i].hash;
		a->slots[h].len = pairs[i].len;
		a->slots[h].ptr = pairs[i].s;
		a->slots[h].first = (uint32_t)i;
		a->slots[h].n = (uint32_t)(j - i);
		i = j;
	}
	free(pairs);
	return 0;
}

static int build_bucket(struct vigil_ruleset *rs, uint32_t t)
{
	struct bucket *b = &rs->buckets[t];
	const struct lang_expr **terms;
	uint32_t n = 0;
	int rc = 0;

	for (size_t i = 0; i < rs->n_rules; i++)
		n += rs->rules[i].enabled &&
		     (rs->rules[i].evmask & VIGIL_EVBIT(t));
	if (!n)
		return 0;
	b->words = (n + 63) / 64;
	b->rules = lang_alloc(&rs->pool, n * sizeof(*b->rules));
	b->always = lang_alloc(&rs->pool, b->words * sizeof(*b->always));
	b->appr = lang_alloc(&rs->pool, n * sizeof(*b->appr));
	terms = calloc(n, sizeof(*terms));
	if (!b->rules || !b->always || !b->appr || !terms) {
		free(terms);
		return -ENOMEM;
	}
	for (size_t i = 0; i < rs->n_rules; i++) {
		struct pol_rule *r = &rs->rules[i];

		if (!r->enabled || !(r->evmask & VIGIL_EVBIT(t)))
			continue;
		terms[b->n] = find_approver(r->cond);
		if (!terms[b->n])
			b->always[b->n / 64] |= UINT64_C(1) << (b->n % 64);
		b->rules[b->n++] = r;
	}
	for (uint32_t i = 0; i < n && !rc; i++)
		if (terms[i])
			rc = build_approver(rs, b, terms, terms[i]->field,
					    terms[i]->nocase,
					    &b->appr[b->n_appr++]);
	free(terms);
	return rc;
}

static int build_index(struct vigil_ruleset *rs)
{
	uint32_t words = 1;

	for (uint32_t t = 1; t < VIGIL_EV__COUNT; t++) {
		int rc = build_bucket(rs, t);

		if (rc)
			return rc;
		if (rs->buckets[t].words > words)
			words = rs->buckets[t].words;
	}
	rs->cand = lang_alloc(&rs->pool, words * sizeof(*rs->cand));
	return rs->cand ? 0 : -ENOMEM;
}

static int compile_all(struct vigil_ruleset *rs)
{
	const struct lang_names names = {
		.arg = rs,
		.macro = names_macro,
		.list = names_list,
		.enter_macro = names_enter,
	};
	struct lang_ctx c = {
		.ft = rs->ft,
		.names = &names,
		.pool = &rs->pool,
		.err = rs->err,
	};
	int rc = 0;

	for (size_t i = 0; i < rs->n_lists; i++)
		if (resolve_list(rs, &rs->lists[i]) == -ENOMEM)
			return -ENOMEM;
	for (size_t i = 0; i < rs->n_rules; i++) {
		int r = compile_rule(rs, &c, &rs->rules[i]);

		if (r == -ENOMEM)
			return r;
		if (r)
			rc = r;
	}
	if (c.n_errors)
		rs->n_errors += c.n_errors;
	if (rc || rs->n_errors)
		return -EINVAL;
	return build_index(rs);
}

/* ---- loading ---- */

static int read_file(const char *path, char **data, size_t *len,
		     struct vigil_buf *err)
{
	struct vigil_buf b = { 0 };
	char chunk[65536];
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		vigil_buf_printf(err, "%s: cannot open: %s\n", path,
				 strerror(errno));
		return rc;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (b.len + (size_t)n > POLICY_MAX_FILE) {
			vigil_buf_printf(err, "%s: larger than %u MiB\n", path,
					 POLICY_MAX_FILE >> 20);
			rc = -EFBIG;
			goto out_close;
		}
		rc = vigil_buf_append(&b, chunk, (size_t)n);
		if (rc)
			goto out_close;
	}
	if (n < 0) {
		rc = -errno;
		vigil_buf_printf(err, "%s: cannot read: %s\n", path,
				 strerror(errno));
	}
out_close:
	close(fd);
	if (rc) {
		vigil_buf_free(&b);
		return rc;
	}
	if (!b.data && vigil_buf_reserve(&b, 1))
		return -ENOMEM;
	vigil_buf_cstr(&b);
	*data = b.data;
	*len = b.len;
	return 0;
}

static int add_file(struct vigil_ruleset *rs, const char *path,
		    const char *mem, size_t mem_len, size_t *cap)
{
	struct pol_file *f;
	int rc;

	if (grow((void **)&rs->files, cap, rs->n_files, sizeof(*f)))
		return -ENOMEM;
	f = &rs->files[rs->n_files];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	if (!f->path)
		return -ENOMEM;
	if (mem) {
		f->raw = malloc(mem_len + 1);
		if (!f->raw) {
			free(f->path);
			return -ENOMEM;
		}
		memcpy(f->raw, mem, mem_len);
		f->raw[mem_len] = '\0';
		f->raw_len = mem_len;
	} else {
		rc = read_file(path, &f->raw, &f->raw_len, rs->err);
		if (rc) {
			free(f->path);
			rs->n_errors++;
			return rc;
		}
	}
	rs->n_files++;
	rc = vigil_doc_load_yaml(path, f->raw, f->raw_len, &f->doc, rs->err);
	if (rc) {
		vigil_buf_printf(rs->err, "\n");
		rs->n_errors++;
	}
	return rc;
}

static int yaml_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' &&
	       ((n > 5 && !strcmp(d->d_name + n - 5, ".yaml")) ||
		(n > 4 && !strcmp(d->d_name + n - 4, ".yml")));
}

static int add_path(struct vigil_ruleset *rs, const char *path, size_t *cap)
{
	struct dirent **ents;
	struct stat st;
	int n, rc = 0;

	if (stat(path, &st) < 0) {
		rc = -errno;
		vigil_buf_printf(rs->err, "%s: %s\n", path, strerror(errno));
		rs->n_errors++;
		return rc;
	}
	if (!S_ISDIR(st.st_mode))
		return add_file(rs, path, NULL, 0, cap);
	n = scandir(path, &ents, yaml_filter, alphasort);
	if (n < 0) {
		rc = -errno;
		vigil_buf_printf(rs->err, "%s: %s\n", path, strerror(errno));
		rs->n_errors++;
		return rc;
	}
	for (int i = 0; i < n; i++) {
		char *full;

		if (rc != -ENOMEM &&
		    asprintf(&full, "%s/%s", path, ents[i]->d_name) >= 0) {
			int r = add_file(rs, full, NULL, 0, cap);

			if (r)
				rc = r;
			free(full);
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

static struct vigil_ruleset *ruleset_new(const struct vigil_field_table *ft,
					 struct vigil_buf *err)
{
	struct vigil_ruleset *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return NULL;
	rs->ft = ft;
	rs->err = err;
	lang_pool_init(&rs->pool);
	return rs;
}

static int finish_load(struct vigil_ruleset *rs, int rc,
		       struct vigil_ruleset **out)
{
	if (rc != -ENOMEM) {
		for (size_t i = 0; i < rs->n_files; i++) {
			int r = load_entries(rs, &rs->files[i]);

			if (r == -ENOMEM) {
				rc = r;
				break;
			}
			if (r && !rc)
				rc = r;
		}
	}
	if (rc != -ENOMEM) {
		int r = compile_all(rs);

		if (r && (!rc || r == -ENOMEM))
			rc = r;
	}
	if (!rc && rs->n_errors)
		rc = -EINVAL;
	if (rc == -ENOMEM)
		vigil_buf_printf(rs->err, "out of memory loading the policy\n");
	rs->err = NULL;
	if (rc) {
		vigil_ruleset_free(rs);
		return rc;
	}
	*out = rs;
	return 0;
}

int vigil_ruleset_load(const struct vigil_field_table *ft,
		       const char *const *paths, size_t n_paths,
		       struct vigil_ruleset **out, struct vigil_buf *err)
{
	struct vigil_ruleset *rs;
	size_t cap = 0;
	int rc = 0;

	*out = NULL;
	rs = ruleset_new(ft, err);
	if (!rs)
		return -ENOMEM;
	for (size_t i = 0; i < n_paths; i++) {
		int r = add_path(rs, paths[i], &cap);

		if (r == -ENOMEM) {
			rc = r;
			break;
		}
		if (r && !rc)
			rc = r;
	}
	return finish_load(rs, rc, out);
}

int vigil_ruleset_load_mem(const struct vigil_field_table *ft,
			   const char *name, const char *data, size_t len,
			   struct vigil_ruleset **out, struct vigil_buf *err)
{
	struct vigil_ruleset *rs;
	size_t cap = 0;
	int rc;

	*out = NULL;
	rs = ruleset_new(ft, err);
	if (!rs)
		return -ENOMEM;
	rc = add_file(rs, name, data, len, &cap);
	return finish_load(rs, rc, out);
}

void vigil_ruleset_free(struct vigil_ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n_files; i++) {
		vigil_doc_free(&rs->files[i].doc);
		free(rs->files[i].raw);
		free(rs->files[i].path);
	}
	free(rs->files);
	free(rs->rules);
	free(rs->macros);
	free(rs->lists);
	lang_pool_free(&rs->pool);
	free(rs);
}

/* ---- evaluation ---- */

static uint64_t hash64(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * UINT64_C(1099511628211);
	return h;
}

/* Hash of the values of the rule's key fields in ev. */
static uint64_t rate_key(const struct pol_rule *r, const struct vigil_event *ev)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (uint32_t k = 0; k < r->n_keys; k++) {
		const struct vigil_field *f = r->keys[k];
		struct vigil_value v;

		for (uint32_t idx = 0; idx < UINT32_MAX; idx++) {
			int rc = f->get(f, ev, idx, &v);

			if (rc == -ENODATA)
				continue;
			if (rc)
				break;
			switch (v.type) {
			case VIGIL_T_STR:
				h = hash64(h, v.u.s.ptr, v.u.s.len);
				break;
			case VIGIL_T_BOOL:
				h = hash64(h, &v.u.b, sizeof(v.u.b));
				break;
			case VIGIL_T_IP:
				h = hash64(h, &v.u.ip, sizeof(v.u.ip));
				break;
			default:
				h = hash64(h, &v.u.i, sizeof(v.u.i));
				break;
			}
			h = hash64(h, "\0", 1);
		}
		h = hash64(h, "\1", 1);
	}
	return h;
}

static int64_t event_time(const struct vigil_event *ev)
{
	struct timespec ts;

	if (ev->time_ns)
		return ev->time_ns;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Rate control: returns true when the match is delivered (and stores in
 * *suppressed how many were held back since the last delivery for this
 * key), false when it is suppressed.  Keys live in a fixed table; when
 * its probe window is full the least recently delivered key is evicted.
 */
static bool rate_allow(struct pol_rule *r, const struct vigil_event *ev,
		       uint32_t *suppressed)
{
	uint64_t key = rate_key(r, ev);
	int64_t now = event_time(ev);
	struct rate_slot *victim = NULL;

	for (uint32_t i = 0; i < RATE_PROBE; i++) {
		struct rate_slot *s = &r->rate[(key + i) & (RATE_SLOTS - 1)];

		if (s->used && s->key == key) {
			if (now - s->last_ns < r->every_ns &&
			    now >= s->last_ns) {
				s->suppressed++;
				return false;
			}
			*suppressed = s->suppressed;
			s->suppressed = 0;
			s->last_ns = now;
			return true;
		}
		if (!s->used) {
			if (!victim || victim->used)
				victim = s;
		} else if (!victim || (victim->used &&
				       s->last_ns < victim->last_ns)) {
			victim = s;
		}
	}
	victim->used = 1;
	victim->key = key;
	victim->last_ns = now;
	victim->suppressed = 0;
	*suppressed = 0;
	return true;
}

static bool rule_match(const struct pol_rule *r, const struct vigil_event *ev)
{
	return lang_eval(r->cond, ev) && !(r->exc && lang_eval(r->exc, ev));
}

/* Marks in cand the rules approved by a's field value in ev. */
static void approve(const struct approver *a, const struct vigil_event *ev,
		    uint64_t *cand)
{
	struct vigil_value v;
	uint32_t h;

	if (a->field->get(a->field, ev, 0, &v) || v.type != VIGIL_T_STR)
		return;
	h = lang_hash(v.u.s.ptr, v.u.s.len, a->nocase);
	for (uint32_t i = h & a->mask; a->slots[i].ptr; i = (i + 1) & a->mask) {
		const struct appr_slot *sl = &a->slots[i];

		if (sl->hash != h || sl->len != v.u.s.len)
			continue;
		if (!lang_str_eq(v.u.s.ptr, sl->ptr, sl->len, a->nocase))
			continue;
		for (uint32_t k = 0; k < sl->n; k++) {
			uint32_t r = a->rules[sl->first + k];

			cand[r / 64] |= UINT64_C(1) << (r % 64);
		}
		return;
	}
}

/*
 * Rate control and delivery of a matched rule.  Returns true when the
 * signal was delivered; *cb_rc is the callback's result.
 */
static bool deliver(struct vigil_ruleset *rs, struct pol_rule *r,
		    const struct vigil_event *ev, vigil_rule_match_fn cb,
		    void *arg, int *cb_rc)
{
	struct vigil_signal sig;
	uint32_t suppressed = 0;

	*cb_rc = 0;
	r->matches++;
	if (r->rate && !rate_allow(r, ev, &suppressed)) {
		r->suppressed++;
		return false;
	}
	memset(&sig, 0, sizeof(sig));
	sig.struct_size = sizeof(sig);
	sig.severity = r->severity;
	sig.rule_id = r->id;
	sig.title = r->title ? r->title : r->description;
	sig.remediation = r->remediation;
	sig.tags = r->tags;
	sig.n_tags = r->n_tags;
	sig.suppressed = suppressed;
	sig.engine = "rules";
	sig.actions = r->actions;
	rs->signals++;
	if (cb)
		*cb_rc = cb(arg, ev, &sig);
	return true;
}

int vigil_ruleset_eval(struct vigil_ruleset *rs, const struct vigil_event *ev,
		       vigil_rule_match_fn cb, void *arg)
{
	const struct bucket *b;
	int delivered = 0;

	rs->events++;
	if (ev->type >= VIGIL_EV__COUNT)
		return 0;
	b = &rs->buckets[ev->type];
	if (!b->n)
		return 0;
	memcpy(rs->cand, b->always, b->words * sizeof(*rs->cand));
	for (uint32_t i = 0; i < b->n_appr; i++)
		approve(&b->appr[i], ev, rs->cand);
	for (uint32_t w = 0; w < b->words; w++) {
		uint64_t bits = rs->cand[w];

		while (bits) {
			uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(bits);
			struct pol_rule *r = b->rules[i];
			int rc;

			bits &= bits - 1;
			if (!rule_match(r, ev))
				continue;
			delivered += deliver(rs, r, ev, cb, arg, &rc);
			if (rc)
				return rc;
		}
	}
	return delivered;
}

/* ---- kernel filters ---- */

/*
 * Integer fields that are one syscall argument of their (single) event
 * type's syscalls, as the audit source records them: ptrace(request,
 * ...), bpf(cmd, ...), personality(persona), keyctl(operation, ...).
 * unshare and setns flags are bitmasks the rules test bit by bit, and
 * kill's signal is a1 or a2 depending on the syscall: neither is here.
 */
static const struct {
	const char *field;
	uint32_t arg;
} kf_args[] = {
	{ "ptrace.request", 0 },
	{ "bpf.cmd", 0 },
	{ "personality.persona", 0 },
	{ "keyctl.operation", 0 },
};

/*
 * Which kernel filter field f can become for events of type t, or 0;
 * *arg is set for VIGIL_KF_ARG.
 */
static uint32_t kf_field_kind(const struct vigil_field *f, uint32_t t,
			      uint32_t *arg)
{
	const char *n = f->name, *dot;

	if ((f->flags & VIGIL_FIELD_NOCASE) ||
	    (f->flags & (VIGIL_FIELD_LIST | VIGIL_FIELD_ITER)))
		return 0;
	if (f->type == VIGIL_T_INT) {
		if (!strcmp(n, "process.uid"))
			return VIGIL_KF_UID;
		if (!strcmp(n, "process.auid"))
			return VIGIL_KF_AUID;
		if (!f->events || f->events != VIGIL_EVBIT(t))
			return 0;
		for (size_t i = 0; i < VIGIL_ARRAY_SIZE(kf_args); i++)
			if (!strcmp(n, kf_args[i].field)) {
				*arg = kf_args[i].arg;
				return VIGIL_KF_ARG;
			}
		return 0;
	}
	if (f->type != VIGIL_T_STR)
		return 0;
	if (!strcmp(n, "process.file.path") || !strcmp(n, "exec.file.path"))
		return VIGIL_KF_EXE;
	if (!strcmp(n, "file.path"))
		return VIGIL_KF_PATH;
	dot = strchr(n, '.');
	if (dot && !strcmp(dot, ".file.path") &&
	    vigil_event_type_from_name(n, (size_t)(dot - n)) > 0)
		return VIGIL_KF_PATH;
	return 0;
}

/*
 * Whether v fits the kernel field of kind: audit rule values are 32 bits
 * (an argument filter compares the whole argument with it), and a uid of
 * (uint32_t)-1 is "unset", which the kernel spells differently.
 */
static bool kf_num_ok(uint32_t kind, int64_t v)
{
	if (v < 0)
		return false;
	return kind == VIGIL_KF_ARG ? v <= (int64_t)UINT32_MAX
				    : v < (int64_t)UINT32_MAX;
}

/*
 * The integer constraint of term e (kind UID, AUID or ARG), written to
 * items (when not NULL) from *n on.  Returns false when e is not one.
 */
static bool kf_int_term(const struct lang_expr *e, uint32_t kind,
			uint32_t arg, struct vigil_kfilter_item *items,
			size_t *n)
{
	const int64_t *vals = e->op == CMP_EQ ? &e->v.i : e->v.ints;
	uint32_t count = e->op == CMP_EQ ? 1 : e->n;

	if (e->op != CMP_EQ && e->op != CMP_IN)
		return false;
	for (uint32_t i = 0; i < count; i++)
		if (!kf_num_ok(kind, vals[i]))
			return false;
	for (uint32_t i = 0; i < count; i++) {
		if (items)
			items[*n] = (struct vigil_kfilter_item){
				.kind = kind, .arg = arg,
				.num = (uint64_t)vals[i]
			};
		(*n)++;
	}
	return true;
}

/*
 * The kernel-expressible constraint of term e for events of type t,
 * written to items (when not NULL) from *n on; dir strings are copied to
 * *strs.  Returns false when e is not one.
 */
static bool kf_term(const struct lang_expr *e, uint32_t t,
		    struct vigil_kfilter_item *items, size_t *n,
		    size_t *bytes, char **strs)
{
	uint32_t kind, arg = 0;

	if (e->kind != LX_CMP || e->neg || e->opnd != OPND_VALUE ||
	    e->has_mask || !(kind = kf_field_kind(e->field, t, &arg)))
		return false;
	if (kind == VIGIL_KF_UID || kind == VIGIL_KF_AUID ||
	    kind == VIGIL_KF_ARG)
		return kf_int_term(e, kind, arg, items, n);
	if (e->op == CMP_EQ) {
		if (items)
			items[*n] = (struct vigil_kfilter_item){
				.kind = kind, .value = e->v.s.ptr
			};
		(*n)++;
		return true;
	}
	if (e->op == CMP_IN) {
		for (uint32_t k = 0; k <= e->v.sset->mask; k++) {
			const char *p = e->v.sset->slots[k].ptr;

			if (!p)
				continue;
			if (items)
				items[*n] = (struct vigil_kfilter_item){
					.kind = kind, .value = p
				};
			(*n)++;
		}
		return true;
	}
	if (e->op != CMP_GLOB || kind == VIGIL_KF_EXE)
		return false;
	for (uint32_t i = 0; i < e->n; i++) {
		const struct lang_glob *g = &e->v.globs[i];

		if (g->shape == GLOB_EXACT)
			continue;
		/* "/dir/" then a run of stars: everything under /dir */
		if (g->shape != GLOB_PREFIX || !g->any || g->head < 2 ||
		    g->pat[g->head - 1] != '/')
			return false;
	}
	for (uint32_t i = 0; i < e->n; i++) {
		const struct lang_glob *g = &e->v.globs[i];

		if (g->shape == GLOB_EXACT) {
			if (items)
				items[*n] = (struct vigil_kfilter_item){
					.kind = VIGIL_KF_PATH, .value = g->pat
				};
		} else if (items) {
			memcpy(*strs, g->pat, g->head - 1);
			(*strs)[g->head - 1] = '\0';
			items[*n] = (struct vigil_kfilter_item){
				.kind = VIGIL_KF_DIR, .value = *strs
			};
			*strs += g->head;
		} else {
			*bytes += g->head;
		}
		(*n)++;
	}
	return true;
}

/* The first constraining term of a rule (its && terms), or false. */
static bool kf_rule(const struct pol_rule *r, uint32_t t,
		    struct vigil_kfilter_item *items, size_t *n,
		    size_t *bytes, char **strs)
{
	const struct lang_expr *e = r->cond;

	if (e->kind != LX_AND)
		return kf_term(e, t, items, n, bytes, strs);
	for (uint32_t i = 0; i < e->n; i++)
		if (kf_term(e->kids[i], t, NULL, &(size_t){ 0 },
			    &(size_t){ 0 }, NULL))
			return kf_term(e->kids[i], t, items, n, bytes, strs);
	return false;
}

int vigil_ruleset_kernel_filters(const struct vigil_ruleset *rs,
				 struct vigil_kfilter **out, size_t *n_out)
{
	size_t types = 0, items = 0, bytes = 0, at = 0;
	struct vigil_kfilter *kf;
	struct vigil_kfilter_item *it;
	char *strs;

	*out = NULL;
	*n_out = 0;
	/* sizes */
	for (uint32_t t = 1; t < VIGIL_EV__COUNT; t++) {
		const struct bucket *b = &rs->buckets[t];

		if (!b->n)
			continue;
		types++;
		for (uint32_t i = 0; i < b->n; i++)
			kf_rule(b->rules[i], t, NULL, &items, &bytes, NULL);
	}
	kf = malloc(types * sizeof(*kf) + items * sizeof(*it) + bytes + 1);
	if (!kf)
		return -ENOMEM;
	it = (struct vigil_kfilter_item *)(kf + types);
	strs = (char *)(it + items);
	for (uint32_t t = 1; t < VIGIL_EV__COUNT; t++) {
		const struct bucket *b = &rs->buckets[t];
		struct vigil_kfilter *k;
		size_t first = at;

		if (!b->n)
			continue;
		k = &kf[(*n_out)++];
		memset(k, 0, sizeof(*k));
		k->event_type = t;
		k->n_rules = b->n;
		for (uint32_t i = 0; i < b->n; i++)
			if (!kf_rule(b->rules[i], t, it, &at, &bytes, &strs))
				k->unfiltered = true;
		if (k->unfiltered) {
			at = first; /* the items of this type are moot */
			continue;
		}
		k->items = it + first;
		k->n_items = (uint32_t)(at - first);
	}
	*out = kf;
	return 0;
}

/*
 * Whether term e of an open rule is a test of the open flags field of
 * its event ("file.flags", "open.file.flags") for any bit of a mask.
 */
static bool flags_truth(const struct lang_expr *e)
{
	const char *n;

	if (e->kind != LX_CMP || e->op != CMP_TRUTH || e->neg ||
	    !e->has_mask || e->opnd != OPND_VALUE)
		return false;
	n = e->field->name;
	return !strcmp(n, "file.flags") || !strcmp(n, "open.file.flags");
}

/*
 * Which opens term e lets through, as audit watch permissions: only
 * writing ones (a test, or an || of tests, for O_WRONLY / O_RDWR: the
 * kernel's perm=w is exactly an access mode with write), only reading
 * ones (!(flags & O_WRONLY): O_RDONLY and O_RDWR opens, its perm=r), or
 * either (0: the term says nothing about the access mode).
 */
static uint32_t open_term_perm(const struct lang_expr *e)
{
	const int64_t wr = O_WRONLY | O_RDWR;

	if (flags_truth(e))
		return (e->mask & ~wr) ? 0 : VIGIL_WATCH_WRITE;
	if (e->kind == LX_OR) {
		for (uint32_t i = 0; i < e->n; i++)
			if (open_term_perm(e->kids[i]) != VIGIL_WATCH_WRITE)
				return 0;
		return e->n ? VIGIL_WATCH_WRITE : 0;
	}
	if (e->kind == LX_NOT && flags_truth(e->kids[0]) &&
	    e->kids[0]->mask == O_WRONLY)
		return VIGIL_WATCH_READ;
	return 0;
}

/* Whether glob g can be an audit watch: no wildcard, or only * and ?
 * (matched one path component at a time, as glob(3) does). */
static bool glob_watchable(const struct lang_glob *g)
{
	if (g->shape == GLOB_EXACT)
		return true;
	for (uint32_t i = 0; i + 1 < g->len; i++)
		if (g->pat[i] == '*' && g->pat[i + 1] == '*')
			return false;
	return true;
}

/*
 * The paths term e pins file.path (or open.file.path) to: ==, in or the
 * watchable patterns of a glob list (glob_watchable(): a pattern with **
 * is left out).  Stores up to max of them in paths and whether each is a
 * pattern in pattern (when not NULL) and returns how many, or -1 when e
 * is not such a term or has nothing watchable.
 */
static int open_term_paths(const struct lang_expr *e, const char **paths,
			   bool *pattern, size_t max)
{
	uint32_t arg = 0;
	size_t n = 0;

	if (e->kind != LX_CMP || e->neg || e->opnd != OPND_VALUE ||
	    e->has_mask || e->nocase ||
	    kf_field_kind(e->field, VIGIL_EV_OPEN, &arg) != VIGIL_KF_PATH)
		return -1;
	if (e->op == CMP_EQ) {
		if (paths && max) {
			paths[0] = e->v.s.ptr;
			pattern[0] = false;
		}
		return 1;
	}
	if (e->op == CMP_IN) {
		for (uint32_t k = 0; k <= e->v.sset->mask; k++) {
			if (!e->v.sset->slots[k].ptr)
				continue;
			if (paths && n < max) {
				paths[n] = e->v.sset->slots[k].ptr;
				pattern[n] = false;
			}
			n++;
		}
		return (int)n;
	}
	if (e->op != CMP_GLOB)
		return -1;
	for (uint32_t i = 0; i < e->n; i++) {
		const struct lang_glob *g = &e->v.globs[i];

		if (!glob_watchable(g))
			continue;
		if (paths && n < max) {
			paths[n] = g->pat;
			pattern[n] = g->shape != GLOB_EXACT;
		}
		n++;
	}
	return n ? (int)n : -1;
}

/*
 * The watches one open rule asks for: its first && term that pins the
 * path to literals, with the permissions its flag terms allow, added to
 * w (merging a path seen before).  Returns 0 or -ENOMEM.
 */
static int open_rule_watches(const struct pol_rule *r,
			     struct vigil_path_watch **w, size_t *n,
			     size_t *cap)
{
	const struct lang_expr *e = r->cond;
	const struct lang_expr *const *kids = (const struct lang_expr *const *)&e;
	uint32_t n_kids = 1, perm = 0;
	const struct lang_expr *pin = NULL;
	const char **paths;
	bool *pattern;
	int count;

	if (e->kind == LX_AND) {
		kids = (const struct lang_expr *const *)e->kids;
		n_kids = e->n;
	}
	for (uint32_t i = 0; i < n_kids; i++) {
		if (!pin && open_term_paths(kids[i], NULL, NULL, 0) > 0)
			pin = kids[i];
		perm |= open_term_perm(kids[i]);
	}
	/* both, or neither: every open the rule can match */
	if (!perm || perm == (VIGIL_WATCH_READ | VIGIL_WATCH_WRITE))
		perm = VIGIL_WATCH_READ | VIGIL_WATCH_WRITE;
	if (!pin)
		return 0;
	count = open_term_paths(pin, NULL, NULL, 0);
	paths = malloc((size_t)count * (sizeof(*paths) + sizeof(*pattern)));
	if (!paths)
		return -ENOMEM;
	pattern = (bool *)(paths + count);
	open_term_paths(pin, paths, pattern, (size_t)count);
	for (int i = 0; i < count; i++) {
		size_t k;

		for (k = 0; k < *n; k++)
			if (!strcmp((*w)[k].path, paths[i]) &&
			    (*w)[k].pattern == pattern[i])
				break;
		if (k < *n) {
			(*w)[k].perm |= perm;
			continue;
		}
		if (*n == *cap) {
			size_t ncap = *cap ? 2 * *cap : 8;
			struct vigil_path_watch *nw =
				realloc(*w, ncap * sizeof(**w));

			if (!nw) {
				free(paths);
				return -ENOMEM;
			}
			*w = nw;
			*cap = ncap;
		}
		(*w)[(*n)++] = (struct vigil_path_watch){
			.path = paths[i],
			.perm = perm,
			.pattern = pattern[i],
		};
	}
	free(paths);
	return 0;
}

int vigil_ruleset_open_watches(const struct vigil_ruleset *rs,
			       struct vigil_path_watch **out, size_t *n_out)
{
	const struct bucket *b = &rs->buckets[VIGIL_EV_OPEN];
	size_t cap = 0;
	int rc = 0;

	*out = NULL;
	*n_out = 0;
	for (uint32_t i = 0; i < b->n && !rc; i++)
		rc = open_rule_watches(b->rules[i], out, n_out, &cap);
	if (rc) {
		free(*out);
		*out = NULL;
		*n_out = 0;
	}
	return rc;
}

/* ---- inspection ---- */

size_t vigil_ruleset_count(const struct vigil_ruleset *rs)
{
	return rs->n_rules;
}

int vigil_ruleset_rule(const struct vigil_ruleset *rs, size_t i,
		       struct vigil_rule_info *out)
{
	const struct pol_rule *r;

	if (i >= rs->n_rules)
		return -ENOENT;
	r = &rs->rules[i];
	memset(out, 0, sizeof(*out));
	out->id = r->id;
	out->description = r->description;
	out->title = r->title ? r->title : r->description;
	out->remediation = r->remediation;
	out->severity = r->severity;
	out->actions = r->actions;
	out->tags = r->tags;
	out->n_tags = r->n_tags;
	out->enabled = r->enabled;
	out->event_types = r->evmask;
	out->every_ns = r->every_ns;
	out->matches = r->matches;
	out->suppressed = r->suppressed;
	out->file = r->node->file;
	out->line = r->node->line;
	if (r->tests)
		for (size_t k = 0; k < r->tests->n; k++)
			out->n_tests += (uint32_t)r->tests->items[k]->n;
	return 0;
}

int vigil_ruleset_find(const struct vigil_ruleset *rs, const char *id)
{
	for (size_t i = 0; i < rs->n_rules; i++)
		if (strcmp(rs->rules[i].id, id) == 0)
			return (int)i;
	return -ENOENT;
}

void vigil_ruleset_stats(const struct vigil_ruleset *rs,
			 struct vigil_ruleset_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->events = rs->events;
	out->signals = rs->signals;
	out->rules = (uint32_t)rs->n_rules;
	out->macros = (uint32_t)rs->n_macros;
	out->lists = (uint32_t)rs->n_lists;
	for (size_t i = 0; i < rs->n_rules; i++) {
		out->enabled += rs->rules[i].enabled;
		out->suppressed += rs->rules[i].suppressed;
	}
}

bool vigil_ruleset_rule_matches(const struct vigil_ruleset *rs, size_t i,
				const struct vigil_event *ev)
{
	const struct pol_rule *r;

	if (i >= rs->n_rules)
		return false;
	r = &rs->rules[i];
	return (r->evmask & VIGIL_EVBIT(ev->type < 64 ? ev->type : 0)) &&
	       rule_match(r, ev);
}

bool vigil_ruleset_explain(const struct vigil_ruleset *rs, size_t i,
			   const struct vigil_event *ev,
			   struct vigil_buf *out)
{
	const struct pol_rule *r;
	bool cond, exc = false;
	char types[512];

	if (i >= rs->n_rules)
		return false;
	r = &rs->rules[i];
	vigil_buf_printf(out, "rule %s (event types: %s)\n", r->id,
			 type_names(r->evmask, types, sizeof(types)));
	if (!(ev->type < 64 && (r->evmask & VIGIL_EVBIT(ev->type)))) {
		vigil_buf_printf(out, "not evaluated: the event is of type %s\n",
				 vigil_event_type_name(ev->type) ?
					 vigil_event_type_name(ev->type) :
					 "?");
		return false;
	}
	vigil_buf_printf(out, "expression:\n");
	cond = lang_explain(r->cond, ev, out, 1);
	if (r->exc) {
		vigil_buf_printf(out, "exceptions:\n");
		exc = lang_explain(r->exc, ev, out, 1);
	}
	vigil_buf_printf(out, "result: %s\n",
			 cond && !exc ? "match" :
			 cond	      ? "no match (an exception applies)" :
					"no match");
	return cond && !exc;
}

const struct vigil_node *vigil_ruleset_rule_tests(const struct vigil_ruleset *rs,
						  size_t i, bool match)
{
	if (i >= rs->n_rules || !rs->rules[i].tests)
		return NULL;
	return vigil_node_get(rs->rules[i].tests, match ? "match" : "no_match");
}
