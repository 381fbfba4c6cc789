/*
 * fold.c - expression nodes and constant folding: nodes allocated in the
 * pool, constants absorbed, && and || flattened and their kids ordered by
 * evaluation cost, and the event types each node can be true for.
 */
#include "config.h"

#include "lang.h"

/* ---- nodes and folding ---- */

struct lang_expr *lang_new(struct lang_pool *p, int kind)
{
	struct lang_expr *e = lang_alloc(p, sizeof(*e));

	if (e)
		e->kind = (uint8_t)kind;
	return e;
}

struct lang_expr *lang_new_n(struct lang_pool *p, int kind, uint32_t n)
{
	struct lang_expr *e = lang_new(p, kind);

	if (!e)
		return NULL;
	e->n = n;
	e->kids = lang_alloc(p, (n ? n : 1) * sizeof(*e->kids));
	return e->kids ? e : NULL;
}

/* Relative cost of evaluating e: cheap tests run first in && and ||. */
static unsigned expr_cost(const struct lang_expr *e)
{
	unsigned c = 0;

	switch (e->kind) {
	case LX_TRUE:
	case LX_FALSE:
	case LX_EVTYPE:
		return 0;
	case LX_NOT:
		return expr_cost(e->kids[0]);
	case LX_AND:
	case LX_OR:
		for (uint32_t i = 0; i < e->n; i++)
			c += expr_cost(e->kids[i]);
		return c;
	default:
		break;
	}
	switch (e->op) {
	case CMP_REGEX:
		c = 40 * e->n;
		break;
	case CMP_GLOB:
		c = 6 * e->n;
		break;
	case CMP_IN:
		c = 4;
		break;
	default:
		c = e->vtype == VIGIL_T_STR ? 3 : 2;
		break;
	}
	if (e->field->flags & (VIGIL_FIELD_ITER | VIGIL_FIELD_LIST))
		c *= 8;
	if (e->field->flags & VIGIL_FIELD_DERIVED)
		c += 2;
	return c;
}

/* Types for which e can be true. */
static uint64_t expr_types(const struct lang_expr *e)
{
	uint64_t m;

	switch (e->kind) {
	case LX_FALSE:
		return 0;
	case LX_TRUE:
		return LANG_ALL_TYPES;
	case LX_EVTYPE:
		return e->evmask;
	case LX_NOT:
		if (e->kids[0]->kind == LX_EVTYPE)
			return LANG_ALL_TYPES & ~e->kids[0]->evmask;
		return LANG_ALL_TYPES;
	case LX_AND:
		m = LANG_ALL_TYPES;
		for (uint32_t i = 0; i < e->n; i++)
			m &= e->kids[i]->evmask;
		return m;
	case LX_OR:
		m = 0;
		for (uint32_t i = 0; i < e->n; i++)
			m |= e->kids[i]->evmask;
		return m;
	default:
		return e->field->events ? e->field->events & LANG_ALL_TYPES :
					  LANG_ALL_TYPES;
	}
}

/*
 * Folds e in place where it can and returns the folded node (possibly a
 * kid of e, or a new constant): constants absorbed by && and ||, nested
 * && and || flattened, double negation removed, kids ordered by cost.
 * Every returned node has evmask set.  NULL on ENOMEM.
 */
struct lang_expr *lang_fold(struct lang_pool *p, struct lang_expr *e)
{
	if (!e)
		return NULL;
	if (e->kind == LX_NOT) {
		struct lang_expr *k = lang_fold(p, e->kids[0]);

		if (!k)
			return NULL;
		if (k->kind == LX_TRUE || k->kind == LX_FALSE) {
			struct lang_expr *r = lang_new(
				p, k->kind == LX_TRUE ? LX_FALSE : LX_TRUE);

			if (r) {
				r->src = e->src;
				r->src_off = e->src_off;
				r->src_len = e->src_len;
				r->evmask = expr_types(r);
			}
			return r;
		}
		if (k->kind == LX_NOT)
			return k->kids[0];
		e->kids[0] = k;
	} else if (e->kind == LX_AND || e->kind == LX_OR) {
		int absorb = e->kind == LX_AND ? LX_FALSE : LX_TRUE;
		int neutral = e->kind == LX_AND ? LX_TRUE : LX_FALSE;
		uint32_t n = 0, total = 0;
		struct lang_expr **kids;

		for (uint32_t i = 0; i < e->n; i++) {
			e->kids[i] = lang_fold(p, e->kids[i]);
			if (!e->kids[i])
				return NULL;
			total += e->kids[i]->kind == e->kind ?
					 e->kids[i]->n :
					 1;
		}
		kids = lang_alloc(p, (total ? total : 1) * sizeof(*kids));
		if (!kids)
			return NULL;
		for (uint32_t i = 0; i < e->n; i++) {
			struct lang_expr *k = e->kids[i];

			if (k->kind == absorb)
				return k;
			if (k->kind == neutral)
				continue;
			if (k->kind == e->kind) {
				for (uint32_t j = 0; j < k->n; j++)
					kids[n++] = k->kids[j];
				continue;
			}
			kids[n++] = k;
		}
		if (n == 0) {
			struct lang_expr *r = lang_new(p, neutral);

			if (r)
				r->evmask = expr_types(r);
			return r;
		}
		if (n == 1)
			return kids[0];
		/* insertion sort by cost; stable */
		for (uint32_t i = 1; i < n; i++) {
			struct lang_expr *k = kids[i];
			unsigned ck = expr_cost(k);
			uint32_t j = i;

			while (j > 0 && expr_cost(kids[j - 1]) > ck) {
				kids[j] = kids[j - 1];
				j--;
			}
			kids[j] = k;
		}
		e->kids = kids;
		e->n = n;
	}
	e->evmask = expr_types(e);
	return e;
}
