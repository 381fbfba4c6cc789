/*
 * eval.c - evaluation of compiled expressions on events, and explain.
 *
 * A comparison reads every value of its field (one for scalars, each
 * element of a list, each ancestor for process.ancestors.*) and is true
 * when any value matches.  Negated comparisons (!=, not in, !~) are true
 * when at least one value is present and none matches, so an absent field
 * never matches either way.  Nothing here allocates: regex match data was
 * allocated with the pattern.  A compiled expression is evaluated by one
 * thread at a time (the match data is per pattern).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>

#include "lang.h"

static inline char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

#define str_eq lang_str_eq

bool lang_strset_has(const struct lang_strset *set, const char *s, size_t n,
		     bool nocase)
{
	uint32_t h = lang_hash(s, n, nocase);

	for (uint32_t i = h & set->mask; set->slots[i].ptr;
	     i = (i + 1) & set->mask) {
		const struct lang_strslot *sl = &set->slots[i];

		if (sl->hash == h && sl->len == n &&
		    str_eq(s, sl->ptr, n, nocase))
			return true;
	}
	return false;
}

/*
 * Glob: '*' matches any run of characters except '/' when path (any run
 * otherwise), '**' any run including '/', '?' one character (not '/'
 * when path).  Two backtrack points: the last '*' and the last '**'; a
 * '*' cannot cross a '/', so when it fails the match resumes from the
 * last '**'.  Linear in practice, O(len(pat) * len(s)) at worst.
 */
bool lang_glob_match(const char *pat, size_t plen, const char *s,
		     size_t slen, bool path, bool nocase)
{
	size_t p = 0, i = 0;
	size_t star_p = SIZE_MAX, star_i = 0;   /* after the last '*' */
	size_t dstar_p = SIZE_MAX, dstar_i = 0; /* after the last '**' */

	while (i < slen) {
		char c = nocase ? lower(s[i]) : s[i];

		if (p < plen && pat[p] == '*') {
			if (p + 1 < plen && pat[p + 1] == '*') {
				while (p < plen && pat[p] == '*')
					p++;
				dstar_p = p;
				dstar_i = i;
				star_p = SIZE_MAX;
			} else {
				p++;
				if (path) {
					star_p = p;
					star_i = i;
				} else {
					dstar_p = p;
					dstar_i = i;
				}
			}
			continue;
		}
		if (p < plen &&
		    (pat[p] == c || (pat[p] == '?' && !(path && c == '/')))) {
			p++;
			i++;
			continue;
		}
		if (star_p != SIZE_MAX && s[star_i] != '/') {
			p = star_p;
			i = ++star_i;
			continue;
		}
		if (dstar_p != SIZE_MAX) {
			star_p = SIZE_MAX;
			p = dstar_p;
			i = ++dstar_i;
			continue;
		}
		return false;
	}
	while (p < plen && pat[p] == '*')
		p++;
	return p == plen;
}

static bool glob_one(const struct lang_glob *g, const char *s, size_t n,
		     bool path, bool nocase)
{
	switch (g->shape) {
	case GLOB_EXACT:
		return n == g->len && str_eq(s, g->pat, n, nocase);
	case GLOB_PREFIX:
		return n >= g->head && str_eq(s, g->pat, g->head, nocase) &&
		       (g->any || !memchr(s + g->head, '/', n - g->head));
	case GLOB_SUFFIX:
		return n >= g->tail &&
		       str_eq(s + n - g->tail, g->pat + g->len - g->tail,
			      g->tail, nocase) &&
		       (g->any || !memchr(s, '/', n - g->tail));
	default:
		if (n < g->head + g->tail ||
		    !str_eq(s, g->pat, g->head, nocase) ||
		    !str_eq(s + n - g->tail, g->pat + g->len - g->tail,
			    g->tail, nocase))
			return false;
		return lang_glob_match(g->pat, g->len, s, n, path, nocase);
	}
}

static bool cidr_match(const struct lang_cidr *c, const struct vigil_ip *ip)
{
	unsigned full, rest;

	if (c->family != ip->family)
		return false;
	full = c->prefix / 8;
	rest = c->prefix % 8;
	if (memcmp(c->addr, ip->addr, full) != 0)
		return false;
	if (rest) {
		uint8_t m = (uint8_t)(0xff << (8 - rest));

		return (c->addr[full] & m) == (ip->addr[full] & m);
	}
	return true;
}

static bool int_in(const int64_t *v, uint32_t n, int64_t x)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (v[mid] == x)
			return true;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool cmp_int(const struct lang_expr *e, int64_t x)
{
	switch (e->op) {
	case CMP_EQ:
		return x == e->v.i;
	case CMP_LT:
		return x < e->v.i;
	case CMP_LE:
		return x <= e->v.i;
	case CMP_GT:
		return x > e->v.i;
	case CMP_GE:
		return x >= e->v.i;
	case CMP_IN:
		return int_in(e->v.ints, e->n, x);
	case CMP_TRUTH:
		return x != 0;
	default:
		return false;
	}
}

/* Does one value satisfy the (positive form of the) comparison? */
static bool match_value(const struct lang_expr *e,
			const struct vigil_value *v)
{
	if (e->opnd == OPND_LENGTH)
		return v->type == VIGIL_T_STR && cmp_int(e, v->u.s.len);
	switch (v->type) {
	case VIGIL_T_STR:
		switch (e->op) {
		case CMP_EQ:
			return v->u.s.len == e->v.s.len &&
			       str_eq(v->u.s.ptr, e->v.s.ptr, v->u.s.len,
				      e->nocase);
		case CMP_IN:
			return lang_strset_has(e->v.sset, v->u.s.ptr,
					       v->u.s.len, e->nocase);
		case CMP_GLOB:
			for (uint32_t i = 0; i < e->n; i++)
				if (glob_one(&e->v.globs[i], v->u.s.ptr,
					     v->u.s.len, e->path, e->nocase))
					return true;
			return false;
		case CMP_REGEX:
			for (uint32_t i = 0; i < e->n; i++)
				if (pcre2_match(e->v.res[i].code,
						(PCRE2_SPTR)v->u.s.ptr,
						v->u.s.len, 0, 0,
						e->v.res[i].md, NULL) >= 0)
					return true;
			return false;
		default:
			return false;
		}
	case VIGIL_T_INT:
	case VIGIL_T_TIME:
	case VIGIL_T_DURATION:
		return cmp_int(e, e->has_mask ? (v->u.i & e->mask) : v->u.i);
	case VIGIL_T_BOOL:
		return e->op == CMP_TRUTH && v->u.b;
	case VIGIL_T_IP:
		for (uint32_t i = 0; i < e->n; i++)
			if (cidr_match(&e->v.cidrs[i], &v->u.ip))
				return true;
		return false;
	default:
		return false;
	}
}

/* Number of values (lists) or of ancestors (iterated fields). */
static int64_t count_values(const struct vigil_field *f,
			    const struct vigil_event *ev)
{
	struct vigil_value v;
	int64_t n = 0;

	for (uint32_t idx = 0; idx < UINT32_MAX; idx++) {
		int rc = f->get(f, ev, idx, &v);

		if (rc == 0 || rc == -ENODATA)
			n++;
		else
			break;
	}
	return n;
}

/*
 * Evaluates a comparison; *present tells whether the field had a value
 * (for explain).
 */
static bool eval_cmp(const struct lang_expr *e, const struct vigil_event *ev,
		     bool *present)
{
	const struct vigil_field *f = e->field;
	bool multi = (f->flags & (VIGIL_FIELD_LIST | VIGIL_FIELD_ITER)) != 0;
	bool any = false;
	struct vigil_value v;

	*present = false;
	if (e->opnd == OPND_COUNT) {
		*present = true;
		return cmp_int(e, count_values(f, ev)) != e->neg;
	}
	for (uint32_t idx = 0; lang_field_next(f, ev, &idx, &v); idx++) {
		*present = true;
		if (match_value(e, &v)) {
			any = true;
			break;
		}
		if (!multi)
			break;
	}
	return e->neg ? (*present && !any) : any;
}

bool lang_eval(const struct lang_expr *e, const struct vigil_event *ev)
{
	bool present;

	switch (e->kind) {
	case LX_TRUE:
		return true;
	case LX_FALSE:
		return false;
	case LX_EVTYPE:
		return ev->type < 64 && (e->evmask & VIGIL_EVBIT(ev->type));
	case LX_NOT:
		return !lang_eval(e->kids[0], ev);
	case LX_AND:
		for (uint32_t i = 0; i < e->n; i++)
			if (!lang_eval(e->kids[i], ev))
				return false;
		return true;
	case LX_OR:
		for (uint32_t i = 0; i < e->n; i++)
			if (lang_eval(e->kids[i], ev))
				return true;
		return false;
	case LX_CMP:
		return eval_cmp(e, ev, &present);
	default:
		return false;
	}
}

bool lang_field_next(const struct vigil_field *f,
		     const struct vigil_event *ev, uint32_t *idx,
		     struct vigil_value *v)
{
	for (; *idx < UINT32_MAX; (*idx)++) {
		int rc = f->get(f, ev, *idx, v);

		if (rc == 0)
			return true;
		if (rc != -ENODATA)
			return false;
	}
	return false;
}

bool lang_field_present(const struct vigil_field *f,
			const struct vigil_event *ev)
{
	struct vigil_value v;
	uint32_t idx = 0;

	return lang_field_next(f, ev, &idx, &v);
}

/* ---- explain ---- */

static void put_value(struct vigil_buf *out, const struct vigil_value *v)
{
	char ip[INET6_ADDRSTRLEN];

	switch (v->type) {
	case VIGIL_T_STR:
		vigil_buf_printf(out, "\"%.*s\"", (int)v->u.s.len, v->u.s.ptr);
		break;
	case VIGIL_T_BOOL:
		vigil_buf_printf(out, "%s", v->u.b ? "true" : "false");
		break;
	case VIGIL_T_IP:
		if (inet_ntop(v->u.ip.family, v->u.ip.addr, ip, sizeof(ip)))
			vigil_buf_printf(out, "%s", ip);
		break;
	default:
		vigil_buf_printf(out, "%" PRId64, v->u.i);
		break;
	}
}

/* The values the field had, for a failed comparison: (was: a, b, c). */
static void put_values(struct vigil_buf *out, const struct lang_expr *e,
		       const struct vigil_event *ev)
{
	const struct vigil_field *f = e->field;
	struct vigil_value v;
	unsigned shown = 0;

	if (e->opnd == OPND_COUNT) {
		vigil_buf_printf(out, " (%s count: %" PRId64 ")", f->name,
				 count_values(f, ev));
		return;
	}
	vigil_buf_printf(out, " (%s:", f->name);
	for (uint32_t idx = 0; shown < 8 && lang_field_next(f, ev, &idx, &v);
	     idx++) {
		vigil_buf_printf(out, " ");
		put_value(out, &v);
		shown++;
		if (!(f->flags & (VIGIL_FIELD_LIST | VIGIL_FIELD_ITER)))
			break;
	}
	vigil_buf_printf(out, ")");
}

static void put_src(struct vigil_buf *out, const struct lang_expr *e)
{
	if (e->src && e->src_len)
		vigil_buf_printf(out, "%.*s", (int)e->src_len,
				 e->src->text + e->src_off);
	else if (e->kind == LX_EVTYPE)
		vigil_buf_printf(out, "event.type check");
	else
		vigil_buf_printf(out, "%s", e->kind == LX_TRUE ? "true" :
					    e->kind == LX_FALSE ? "false" :
								  "(expression)");
}

bool lang_explain(const struct lang_expr *e, const struct vigil_event *ev,
		  struct vigil_buf *out, unsigned indent)
{
	bool r, present = true;
	const char *what;

	if (e->kind == LX_CMP)
		r = eval_cmp(e, ev, &present);
	else
		r = lang_eval(e, ev);
	what = r ? "true  " : present ? "false " : "absent";
	vigil_buf_printf(out, "%*s%s  ", (int)(indent * 2), "", what);
	if (e->kind == LX_AND || e->kind == LX_OR) {
		vigil_buf_printf(out, "%s of:\n",
				 e->kind == LX_AND ? "all" : "any");
		for (uint32_t i = 0; i < e->n; i++)
			lang_explain(e->kids[i], ev, out, indent + 1);
		return r;
	}
	if (e->kind == LX_NOT) {
		vigil_buf_printf(out, "not:\n");
		lang_explain(e->kids[0], ev, out, indent + 1);
		return r;
	}
	put_src(out, e);
	if (e->kind == LX_CMP && present && !r)
		put_values(out, e, ev);
	if (e->kind == LX_EVTYPE)
		vigil_buf_printf(out, " (event.type: %s)",
				 vigil_event_type_name(ev->type) ?
					 vigil_event_type_name(ev->type) :
					 "?");
	vigil_buf_printf(out, "\n");
	return r;
}
