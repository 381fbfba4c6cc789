/*
 * policy_int.h - what the files of the policy engine share: the ruleset
 * and its rules, macros, lists and per-event-type index, and the helpers
 * that more than one of them uses.  Not installed, not for callers
 * outside src/lang (they use policy.h).
 *
 * policy_files.c  paths, files read in order, the passes, release
 * policy_load.c   policy entries into the ruleset (load order, overrides)
 * policy_compile.c entries into compiled rules and the per-type index
 * policy_eval.c   evaluation of an event, with rate control
 * policy_info.c   inspection (vigilctl rules list, explain, status)
 */
#ifndef VIGIL_LANG_POLICY_INT_H
#define VIGIL_LANG_POLICY_INT_H

#include <stdarg.h>

#include "lang.h"
#include "policy.h"

#define RATE_SLOTS 1024 /* keys tracked per rate-limited rule */
#define RATE_PROBE 8
#define RULE_MAX_KEYS 8

struct pol_file {
	char *path;
	char *raw;
	size_t raw_len;
	struct vigil_doc doc;
};

struct pol_list {
	const char *name; /* first: find_named() (policy_load.c) reads it */
	const struct vigil_node *node; /* the entry */
	const struct vigil_node **items; /* item scalars, after appends */
	size_t n_items;
	/* resolved: nested list names expanded */
	struct lang_list_item *flat;
	size_t n_flat;
	int state; /* 0 new, 1 resolving, 2 resolved, -1 failed */
};

struct pol_macro {
	const char *name; /* first, as in pol_list */
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
	const char *id; /* first, as in pol_list */
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

/* ---- shared helpers (policy_load.c) ---- */

/* Counts an error and appends "file:line:col: message" at n to rs->err. */
void pol_err(struct vigil_ruleset *rs, const struct vigil_node *n,
	     const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A source (in rs->pool) for the text of scalar n; NULL on ENOMEM. */
struct lang_src *pol_node_src(struct vigil_ruleset *rs,
			      const struct vigil_node *n);
/* Whether n is a non-empty scalar / a sequence; reports it otherwise. */
bool pol_want_scalar(struct vigil_ruleset *rs, const struct vigil_node *n,
		     const char *key);
bool pol_want_seq(struct vigil_ruleset *rs, const struct vigil_node *n,
		  const char *key);
bool pol_check_keys(struct vigil_ruleset *rs, const struct vigil_node *m,
		    const char *what, const char *const *allowed);
struct pol_macro *pol_find_macro(struct vigil_ruleset *rs, const char *n,
				 size_t len);
struct pol_list *pol_find_list(struct vigil_ruleset *rs, const char *n,
			       size_t len);

/* The first pass over file f: its entries into rs.  Returns 0, -EINVAL
 * after reporting, or -ENOMEM. */
int pol_load_entries(struct vigil_ruleset *rs, const struct pol_file *f);

/* ---- policy_compile.c ---- */

/*
 * Compiles every rule of rs against its final macros and lists and builds
 * the per-type index.  Returns 0, -EINVAL after reporting errors, or
 * -ENOMEM.
 */
int pol_compile_all(struct vigil_ruleset *rs);
/* The names of the event types in mask, ", "-separated, in buf. */
const char *pol_type_names(uint64_t mask, char *buf, size_t len);

/* Whether r's condition holds on ev and none of its exceptions does. */
static inline bool pol_rule_match(const struct pol_rule *r,
				  const struct vigil_event *ev)
{
	return lang_eval(r->cond, ev) && !(r->exc && lang_eval(r->exc, ev));
}

#endif /* VIGIL_LANG_POLICY_INT_H */
