/*
 * policy_compile.c - the second pass of loading: each rule's expression
 * parts and exceptions compiled against the final macros and lists (whose
 * nested names are expanded here), rate-control keys resolved, and the
 * enabled rules indexed per event type with their approvers (the
 * "field == value" terms that let evaluation skip most rules).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

#define POLICY_MAX_LIST_ITEMS (1 << 20) /* all lists, expanded */

/* ---- lists ---- */

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
			pol_err(rs, l->node, "list '%s' contains itself",
				l->name);
		l->state = -1;
		return -EINVAL;
	}
	l->state = 1;
	for (size_t i = 0; i < l->n_items; i++) {
		const struct vigil_node *it = l->items[i];
		struct pol_list *sub =
			it->quoted ? NULL : pol_find_list(rs, it->str, it->len);
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
			pol_err(rs, l->node,
				"list '%s' expands to more than %d "
				"items",
				l->name,
				l->n_flat + add > LANG_MAX_LIST_ITEMS
					? LANG_MAX_LIST_ITEMS
					: POLICY_MAX_LIST_ITEMS);
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
			struct lang_src *s = pol_node_src(rs, it);

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

/* ---- compilation ---- */

static const struct lang_src *names_macro(void *arg, const char *name,
					  size_t len, size_t *n_parts)
{
	struct pol_macro *m = pol_find_macro(arg, name, len);

	if (!m)
		return NULL;
	*n_parts = m->n_parts;
	return m->parts;
}

static const struct lang_list_item *names_list(void *arg, const char *name,
					       size_t len, size_t *n)
{
	struct pol_list *l = pol_find_list(arg, name, len);

	if (!l || resolve_list(arg, l))
		return NULL;
	*n = l->n_flat;
	return l->flat;
}

static bool names_enter(void *arg, const char *name, size_t len, bool enter)
{
	struct pol_macro *m = pol_find_macro(arg, name, len);

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
	struct lang_src *s = pol_node_src(rs, n);

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

	if (!pol_check_keys(rs, m, "an exception", exception_keys))
		return NULL;
	if (!fields || !values) {
		pol_err(rs, m, "an exception needs 'fields' and 'values'");
		return NULL;
	}
	scalar_field = vigil_node_is_scalar(fields);
	if (!scalar_field && !pol_want_seq(rs, fields, "fields"))
		return NULL;
	nf = scalar_field ? 1 : fields->n;
	if (nf == 0 || nf > RULE_MAX_KEYS) {
		pol_err(rs, fields, "an exception names 1 to %d fields",
			RULE_MAX_KEYS);
		return NULL;
	}
	if (comps && (comps->type != VIGIL_NODE_SEQ || comps->n != nf) &&
	    !(scalar_field && vigil_node_is_scalar(comps))) {
		pol_err(rs, comps, "'comps' has one operator per field");
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
			pol_err(rs, fn, "a field name");
			return NULL;
		}
		s = pol_node_src(rs, fn);
		if (!s)
			return NULL;
		if (lang_operand_resolve(c, s, 0, fn->str, fn->len, &ods[i]))
			return NULL;
		ops[i] = LT_EQ;
		negs[i] = false;
		if (cn && (!vigil_node_is_scalar(cn) ||
			   (ops[i] = comp_op(cn->str, &negs[i])) < 0)) {
			pol_err(rs, cn,
				"unknown comparison '%s' (==, !=, <, <=, "
				">, >=, in, not in, =~)",
				vigil_node_is_scalar(cn) ? cn->str : "?");
			return NULL;
		}
	}
	if (!pol_want_seq(rs, values, "values"))
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
			pol_err(rs, tuple,
				"each value is a list of %zu "
				"item(s), one per field",
				nf);
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
					pol_err(rs, vn,
						"at most %zu values; use "
						"a named list",
						VIGIL_ARRAY_SIZE(items));
					return NULL;
				}
				for (size_t k = 0; k < vn->n; k++) {
					if (!vigil_node_is_scalar(
						    vn->items[k]) ||
					    node_item(rs, vn->items[k],
						      &items[n++])) {
						pol_err(rs, vn->items[k],
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
						pol_err(rs, vn,
							"undefined list "
							"'%s'",
							vn->str);
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
				pol_err(rs, vn, "a value or a list of values");
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

const char *pol_type_names(uint64_t mask, char *buf, size_t len)
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
			pol_err(rs, r->action_node,
				"rule '%s': action deny applies only to dns "
				"events, and this rule matches %s",
				r->id,
				pol_type_names(r->evmask, names,
					       sizeof(names)));
			return -EINVAL;
		}
		/* A suppressed match raises no signal, hence no verdict. */
		if (r->every_ns) {
			pol_err(rs, r->action_node,
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

			if (!pol_want_scalar(rs, kn, "every_key"))
				return -EINVAL;
			s = pol_node_src(rs, kn);
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
		pol_err(rs, r->every_key, "every_key needs every: (a duration)");
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

int pol_compile_all(struct vigil_ruleset *rs)
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
