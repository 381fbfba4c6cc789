/*
 * policy_info.c - inspection of a loaded ruleset: its rules and counters
 * (vigilctl rules list, status), whether and why a rule matches an event
 * (explain, embedded rule tests), and the compiled conditions per event
 * type that the audit source derives its kernel filters from.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "policy_int.h"

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
	       pol_rule_match(r, ev);
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
			 pol_type_names(r->evmask, types, sizeof(types)));
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

uint32_t vigil_ruleset_type_rules(const struct vigil_ruleset *rs, uint32_t t)
{
	return t < VIGIL_EV__COUNT ? rs->buckets[t].n : 0;
}

const struct lang_expr *vigil_ruleset_type_cond(const struct vigil_ruleset *rs,
						uint32_t t, uint32_t k)
{
	if (t >= VIGIL_EV__COUNT || k >= rs->buckets[t].n)
		return NULL;
	return rs->buckets[t].rules[k]->cond;
}
