/*
 * policy.h - the detection rule engine: policies loaded from YAML into a
 * ruleset indexed by event type, evaluated per event with per-rule rate
 * control.
 *
 * A ruleset is immutable once loaded except for its counters and rate
 * limiter state; it is evaluated by one thread at a time.  A reload builds
 * a new ruleset and swaps it in only when it loaded cleanly.
 *
 * Used by the engine plugin (plugins/rules) and by vigilctl (src/cli/rules.c);
 * neither the library nor its callers need the daemon: the field table is
 * a parameter.
 */
#ifndef VIGIL_LANG_POLICY_H
#define VIGIL_LANG_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vigil/event.h>
#include <vigil/fields.h>
#include <vigil/plugin.h>

struct vigil_ruleset;
struct vigil_node;

/*
 * Loads policy files in order: each path is a YAML file or a directory
 * (its *.yaml files, sorted by name).  Later entries override earlier ones
 * by id.  On success stores a new ruleset in *out (the caller frees it with
 * vigil_ruleset_free()) and returns 0.  On failure returns a negative errno
 * and appends one "file:line:col: message" line per problem to err; *out is
 * left NULL.  ft must outlive the ruleset.
 */
int vigil_ruleset_load(const struct vigil_field_table *ft,
		       const char *const *paths, size_t n_paths,
		       struct vigil_ruleset **out, struct vigil_buf *err)
	__attribute__((warn_unused_result));

/* Same, from one policy text in memory; name is used in messages. */
int vigil_ruleset_load_mem(const struct vigil_field_table *ft,
			   const char *name, const char *data, size_t len,
			   struct vigil_ruleset **out, struct vigil_buf *err)
	__attribute__((warn_unused_result));

void vigil_ruleset_free(struct vigil_ruleset *rs);

/* Policy paths one configuration may name (the rules plugin's paths:). */
#define VIGIL_POLICY_MAX_PATHS 64

/* The rules engine's section (plugins: - name: rules, config: ...). */
struct vigil_policy_settings {
	const char *paths[VIGIL_POLICY_MAX_PATHS];
	size_t n_paths;
};

/*
 * Its table: what the plugin reads with config_map and publishes, and
 * what the audit rules read the same section with.
 */
#define VIGIL_POLICY_TABLE_SIZE 1
extern const struct vigil_config_entry
	vigil_policy_table[VIGIL_POLICY_TABLE_SIZE];

/*
 * The policy paths to load, as the rules engine and the audit rules
 * derived from it both use them: the n_conf configured paths (NULL
 * entries, values that are not text, are left out), or, when none is
 * configured, the defaults that exist: the shipped policy
 * (VIGIL_DATADIR/rules) and /etc/vigil/rules.d.  Stores in out (room for
 * VIGIL_POLICY_MAX_PATHS; pointers to the given strings or to static
 * ones) and *n_out.  Returns 0, -E2BIG when more than
 * VIGIL_POLICY_MAX_PATHS are configured, or -ENOENT when none is usable;
 * then appends a line saying why to err.
 */
int vigil_policy_paths(const char *const *conf, size_t n_conf,
		       const char **out, size_t *n_out, struct vigil_buf *err)
	__attribute__((warn_unused_result));

/*
 * Called for each rule that matched and was not suppressed by its rate
 * control.  sig and its strings are valid during the call.  A non-zero
 * return stops the evaluation and is returned by vigil_ruleset_eval().
 */
typedef int (*vigil_rule_match_fn)(void *arg, const struct vigil_event *ev,
				   const struct vigil_signal *sig);

/*
 * Evaluates the enabled rules for ev's type.  Returns the number of
 * signals delivered, or the callback's non-zero return.  Never allocates.
 */
int vigil_ruleset_eval(struct vigil_ruleset *rs, const struct vigil_event *ev,
		       vigil_rule_match_fn cb, void *arg);

/* ---- inspection (vigilctl rules list, status) ---- */

struct vigil_rule_info {
	const char *id;
	const char *description;
	const char *title; /* title: or the description */
	const char *remediation; /* may be NULL */
	uint32_t severity;       /* enum vigil_severity */
	uint32_t actions;        /* VIGIL_ACTION_* (action: deny) */
	const char *const *tags;
	uint32_t n_tags;
	bool enabled;
	uint64_t event_types; /* VIGIL_EVBIT mask */
	int64_t every_ns;     /* rate control; 0 = none */
	uint64_t matches;     /* matched events, including suppressed */
	uint64_t suppressed;  /* matches not delivered (rate control) */
	const char *file;     /* where it was (last) defined */
	uint32_t line;
	uint32_t n_tests; /* embedded test events */
};

struct vigil_ruleset_stats {
	uint64_t events;  /* evaluated */
	uint64_t signals; /* delivered */
	uint64_t suppressed;
	uint32_t rules;
	uint32_t enabled;
	uint32_t macros;
	uint32_t lists;
};

size_t vigil_ruleset_count(const struct vigil_ruleset *rs);
/* Rule i (0 <= i < count) in load order.  Returns 0 or -ENOENT. */
int vigil_ruleset_rule(const struct vigil_ruleset *rs, size_t i,
		       struct vigil_rule_info *out);
/* Index of the rule with this id, or -ENOENT. */
int vigil_ruleset_find(const struct vigil_ruleset *rs, const char *id);
void vigil_ruleset_stats(const struct vigil_ruleset *rs,
			 struct vigil_ruleset_stats *out);

/*
 * Whether rule i matches ev: its expression and none of its exceptions,
 * regardless of enabled and rate control (rule tests, explain).
 */
bool vigil_ruleset_rule_matches(const struct vigil_ruleset *rs, size_t i,
				const struct vigil_event *ev);

/*
 * Appends to out, for rule i on ev, each sub-expression of the rule with
 * true, false or absent, then the exceptions.  Returns whether it matches.
 */
bool vigil_ruleset_explain(const struct vigil_ruleset *rs, size_t i,
			   const struct vigil_event *ev,
			   struct vigil_buf *out);

/*
 * Embedded test events of rule i: the sequence under tests.match (match
 * true) or tests.no_match; NULL when there is none.  The nodes live as
 * long as the ruleset.
 */
const struct vigil_node *vigil_ruleset_rule_tests(const struct vigil_ruleset *rs,
						  size_t i, bool match);

/* ---- compiled conditions (src/audit/audit_derive.c) ---- */

struct lang_expr;

/*
 * The enabled rules of event type t, as evaluation considers them: how
 * many there are, and the compiled condition of the k-th (lang.h describes
 * the tree; NULL when t or k is out of range).  The trees live as long as
 * the ruleset.
 */
uint32_t vigil_ruleset_type_rules(const struct vigil_ruleset *rs, uint32_t t);
const struct lang_expr *vigil_ruleset_type_cond(const struct vigil_ruleset *rs,
						uint32_t t, uint32_t k);

#endif /* VIGIL_LANG_POLICY_H */
