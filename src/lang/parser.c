/*
 * parser.c - recursive descent over the expression grammar, building the
 * compiled form directly:
 *
 *   expr    := and { ('||' | 'or') and }
 *   and     := unary { ('&&' | 'and') unary }
 *   unary   := ('!' | 'not') unary | primary
 *   primary := '(' expr ')' | 'true' | 'false' | MACRO
 *            | operand [ '&' value ] [ cmp-op rhs ]
 *   cmp-op  := '==' | '!=' | '<' | '<=' | '>' | '>=' | '=~' | '!~'
 *            | 'in' | 'not' 'in'
 *   rhs     := value | '[' value { ',' value } ']' | LIST-NAME
 *
 * Macros are expanded where they are used (their own text is parsed, so
 * an error inside a macro points into the macro's definition).  The first
 * error stops the parse of that expression.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang.h"

struct parser {
	struct lang_ctx *c;
	const struct lang_src *src;
	struct lang_lexer lx;
	struct lang_token tok;
	uint32_t prev_end; /* end of the last consumed token */
	bool failed;
};

static void fail(struct parser *p, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void next(struct parser *p)
{
	p->prev_end = p->tok.off + p->tok.len;
	lang_lex(&p->lx, &p->tok);
	if (p->tok.type == LT_ERROR && !p->failed) {
		lang_error(p->c, p->src, p->tok.off, "%s", p->tok.error);
		p->failed = true;
	}
	/* macros are parsed again at every use: bound the expanded size,
	 * per expression and over the policy */
	p->c->tokens++;
	if (p->c->depth > 1)
		p->c->macro_tokens++;
	if (p->failed)
		return;
	if (p->c->tokens > LANG_MAX_EXPANDED_TOKENS) {
		fail(p, p->tok.off,
		     "macro expansion exceeds %d tokens: a macro used more "
		     "than once by macros that are themselves used more than "
		     "once grows exponentially", LANG_MAX_EXPANDED_TOKENS);
	} else if (p->c->macro_tokens > LANG_MAX_MACRO_TOKENS) {
		fail(p, p->tok.off,
		     "macros expand to more than %d tokens over the policy: "
		     "use fewer macros inside macros, or lists",
		     LANG_MAX_MACRO_TOKENS);
	}
}

static void fail(struct parser *p, size_t off, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lang_error(p->c, p->src, off, "%s", msg);
}

static void found(struct parser *p, const char *expected)
{
	if (p->tok.type == LT_EOF)
		fail(p, p->tok.off, "expected %s, found the end of the "
			"expression", expected);
	else
		fail(p, p->tok.off, "expected %s, found '%.*s'", expected,
		     (int)p->tok.len, p->src->text + p->tok.off);
}

static struct lang_expr *set_src(struct parser *p, struct lang_expr *e,
				 uint32_t start)
{
	if (e && !e->src) {
		e->src = p->src;
		e->src_off = start;
		e->src_len = p->prev_end > start ? p->prev_end - start : 0;
	}
	return e;
}

static struct lang_expr *oom(struct parser *p)
{
	fail(p, p->tok.off, "out of memory");
	return NULL;
}

static struct lang_expr *parse_or(struct parser *p);
static struct lang_expr *parse_src(struct lang_ctx *c,
				   const struct lang_src *src);

static bool is_word(const struct lang_token *t, const char *w)
{
	return t->type == LT_WORD && t->len == strlen(w) &&
	       memcmp(t->val, w, t->len) == 0;
}

/* The current token as a literal item (strings interned). */
static int tok_item(struct parser *p, struct lang_list_item *it)
{
	memset(it, 0, sizeof(*it));
	it->src = p->src;
	it->off = p->tok.off;
	it->src_len = p->tok.len;
	switch (p->tok.type) {
	case LT_STRING:
	case LT_REGEX:
		it->text = lang_intern(p->c->pool, p->tok.val, p->tok.val_len);
		if (!it->text)
			return -ENOMEM;
		it->len = p->tok.val_len;
		it->quoted = p->tok.type == LT_STRING;
		it->regex = p->tok.type == LT_REGEX;
		return 0;
	case LT_WORD:
		it->text = p->tok.val;
		it->len = p->tok.val_len;
		return 0;
	default:
		return -EINVAL;
	}
}

/* Growable array of items for one right-hand side. */
struct items {
	struct lang_list_item *v;
	size_t n, cap;
};

static int items_push(struct parser *p, struct items *its,
		      const struct lang_list_item *it)
{
	if (its->n >= LANG_MAX_LIST_ITEMS) {
		fail(p, it->off, "more than %d items", LANG_MAX_LIST_ITEMS);
		return -E2BIG;
	}
	if (vigil_grow((void **)&its->v, &its->cap, its->n, sizeof(*its->v),
		       8)) {
		oom(p);
		return -ENOMEM;
	}
	its->v[its->n++] = *it;
	return 0;
}

/* Appends the items of the list named by the current word. */
static int push_named_list(struct parser *p, struct items *its,
			   const struct lang_list_item *word, bool *found_it)
{
	const struct lang_list_item *li;
	size_t n = 0;

	*found_it = false;
	if (!p->c->names || !p->c->names->list)
		return 0;
	li = p->c->names->list(p->c->names->arg, word->text, word->len, &n);
	if (!li)
		return 0;
	*found_it = true;
	for (size_t i = 0; i < n; i++)
		if (items_push(p, its, &li[i]))
			return -ENOMEM;
	return 0;
}

/*
 * Right-hand side: one value, a [list] (bare words that name a list are
 * expanded) or, after in, the name of a list.
 */
static int parse_rhs(struct parser *p, int op, struct items *its,
		     bool *is_list)
{
	struct lang_list_item it;
	bool named;

	*is_list = false;
	if (p->tok.type == LT_LBRACK) {
		*is_list = true;
		next(p);
		while (p->tok.type != LT_RBRACK) {
			if (tok_item(p, &it)) {
				found(p, "a value or ']'");
				return -EINVAL;
			}
			if (!it.quoted && !it.regex) {
				if (push_named_list(p, its, &it, &named))
					return -ENOMEM;
				if (!named && items_push(p, its, &it))
					return -ENOMEM;
			} else if (items_push(p, its, &it)) {
				return -ENOMEM;
			}
			next(p);
			if (p->tok.type == LT_COMMA) {
				next(p);
				continue;
			}
			if (p->tok.type != LT_RBRACK) {
				found(p, "',' or ']'");
				return -EINVAL;
			}
		}
		next(p);
		return p->failed ? -EINVAL : 0;
	}
	if (tok_item(p, &it)) {
		found(p, "a value");
		return -EINVAL;
	}
	if ((op == LT_IN || op == LT_MATCH || op == LT_NMATCH) && !it.quoted &&
	    !it.regex) {
		if (push_named_list(p, its, &it, &named))
			return -ENOMEM;
		if (named) {
			*is_list = true;
			next(p);
			return 0;
		}
		if (op == LT_IN) {
			fail(p, it.off, "undefined list '%.*s'", (int)it.len,
			     it.text);
			return -ENOENT;
		}
	}
	if (op == LT_IN) {
		found(p, "'[' or the name of a list");
		return -EINVAL;
	}
	if (items_push(p, its, &it))
		return -ENOMEM;
	next(p);
	return 0;
}

static bool is_cmp_op(int t)
{
	return t == LT_EQ || t == LT_NE || t == LT_LT || t == LT_LE ||
	       t == LT_GT || t == LT_GE || t == LT_MATCH || t == LT_NMATCH ||
	       t == LT_IN;
}

/* After an operand: "not in"? Peeks one token past the current 'not'. */
static bool at_not_in(struct parser *p)
{
	struct lang_lexer save = p->lx;
	struct lang_token t;
	bool r;

	if (p->tok.type != LT_NOT)
		return false;
	lang_lex(&p->lx, &t);
	r = t.type == LT_IN;
	p->lx.pos = save.pos;
	return r;
}

static struct lang_expr *parse_comparison(struct parser *p, uint32_t start)
{
	struct lang_operand od;
	struct items its = { 0 };
	struct lang_expr *e = NULL;
	bool neg = false, is_list;
	int op;

	if (lang_operand_resolve(p->c, p->src, p->tok.off, p->tok.val,
				 p->tok.val_len, &od)) {
		p->failed = true;
		return NULL;
	}
	next(p);
	if (p->tok.type == LT_BITAND) {
		struct lang_list_item it;

		next(p);
		if (tok_item(p, &it)) {
			found(p, "a mask after '&'");
			return NULL;
		}
		if (lang_operand_mask(p->c, &od, &it)) {
			p->failed = true;
			return NULL;
		}
		next(p);
	}
	if (at_not_in(p)) {
		neg = true;
		next(p);
	}
	op = p->tok.type;
	if (!is_cmp_op(op)) {
		/* a boolean field alone, or field & mask: true when set */
		bool is_bool = od.vtype == VIGIL_T_BOOL &&
			       od.opnd == OPND_VALUE;

		if (is_bool || od.has_mask) {
			e = lang_new(p->c->pool, LX_CMP);
			if (!e)
				return oom(p);
			e->op = CMP_TRUTH;
			e->field = od.field;
			e->vtype = is_bool ? VIGIL_T_BOOL : VIGIL_T_INT;
			if (!is_bool) {
				e->has_mask = true;
				e->mask = od.mask;
			}
			return set_src(p, e, start);
		}
		fail(p, od.off,
		     "'%.*s' is %s; compare it (==, !=, in, =~ ...) to "
		     "make a condition",
		     (int)od.name_len, od.name, lang_type_name(od.vtype));
		return NULL;
	}
	next(p);
	if (parse_rhs(p, op, &its, &is_list) == 0) {
		e = lang_build_cmp(p->c, &od, op, neg, its.v, its.n, is_list);
		if (!e)
			p->failed = true;
	}
	free(its.v);
	return set_src(p, e, start);
}

static struct lang_expr *parse_macro(struct parser *p,
				     const struct lang_src *ms, size_t n_parts)
{
	const struct lang_names *nm = p->c->names;
	const char *name = p->tok.val;
	size_t len = p->tok.val_len, off = p->tok.off;
	struct lang_expr *e;

	if (!nm->enter_macro(nm->arg, name, len, true)) {
		fail(p, off, "macro '%.*s' uses itself", (int)len, name);
		return NULL;
	}
	if (n_parts == 1) {
		e = parse_src(p->c, ms);
	} else {
		e = lang_new_n(p->c->pool, LX_OR, (uint32_t)n_parts);
		for (size_t i = 0; e && i < n_parts; i++) {
			e->kids[i] = parse_src(p->c, &ms[i]);
			if (!e->kids[i])
				e = NULL;
		}
	}
	nm->enter_macro(nm->arg, name, len, false);
	if (!e) {
		/* the macro's own error is reported; say where it is used */
		fail(p, off, "in macro '%.*s' used here", (int)len, name);
		return NULL;
	}
	next(p);
	if (is_cmp_op(p->tok.type) || p->tok.type == LT_BITAND) {
		fail(p, p->tok.off,
		     "'%.*s' is a macro (a condition); it cannot be compared",
		     (int)len, name);
		return NULL;
	}
	return e;
}

static struct lang_expr *parse_primary(struct parser *p)
{
	uint32_t start = p->tok.off;
	struct lang_expr *e;

	if (p->failed)
		return NULL;
	if (p->tok.type == LT_LPAREN) {
		next(p);
		e = parse_or(p);
		if (!e)
			return NULL;
		if (p->tok.type != LT_RPAREN) {
			found(p, "')'");
			return NULL;
		}
		next(p);
		return e;
	}
	if (is_word(&p->tok, "true") || is_word(&p->tok, "false")) {
		e = lang_new(p->c->pool,
			     is_word(&p->tok, "true") ? LX_TRUE : LX_FALSE);
		if (!e)
			return oom(p);
		next(p);
		return set_src(p, e, start);
	}
	if (p->tok.type == LT_WORD) {
		const struct lang_names *nm = p->c->names;
		const struct lang_src *ms = NULL;
		size_t n_parts = 0;

		if (nm && nm->macro &&
		    !lang_field_find(p->c->ft, p->tok.val, p->tok.val_len))
			ms = nm->macro(nm->arg, p->tok.val, p->tok.val_len,
				       &n_parts);
		if (ms && n_parts)
			return parse_macro(p, ms, n_parts);
		return parse_comparison(p, start);
	}
	found(p, "a field, a macro, '!' or '('");
	return NULL;
}

static struct lang_expr *parse_unary(struct parser *p)
{
	uint32_t start = p->tok.off;
	struct lang_expr *e, *k;

	if (p->tok.type != LT_NOT)
		return parse_primary(p);
	if (++p->c->depth > LANG_MAX_DEPTH) {
		fail(p, p->tok.off, "expression nested too deeply");
		return NULL;
	}
	next(p);
	k = parse_unary(p);
	p->c->depth--;
	if (!k)
		return NULL;
	e = lang_new_n(p->c->pool, LX_NOT, 1);
	if (!e)
		return oom(p);
	e->kids[0] = k;
	return set_src(p, e, start);
}

/* One level of && or ||: operands of the next level joined by op. */
static struct lang_expr *parse_chain(struct parser *p, int op, int kind,
				     struct lang_expr *(*sub)(struct parser *))
{
	uint32_t start = p->tok.off;
	struct lang_expr *first, *e;
	struct lang_expr **kids = NULL;
	size_t n = 0, cap = 0;

	first = sub(p);
	if (!first || p->tok.type != op)
		return first;
	while (1) {
		struct lang_expr *k = n == 0 ? first : sub(p);

		if (!k)
			goto out_free;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 4;
			struct lang_expr **nk = realloc(kids, nc * sizeof(*nk));

			if (!nk) {
				oom(p);
				goto out_free;
			}
			kids = nk;
			cap = nc;
		}
		kids[n++] = k;
		if (p->tok.type != op)
			break;
		next(p);
	}
	e = lang_new_n(p->c->pool, kind, (uint32_t)n);
	if (!e) {
		oom(p);
		goto out_free;
	}
	memcpy(e->kids, kids, n * sizeof(*kids));
	free(kids);
	return set_src(p, e, start);
out_free:
	free(kids);
	return NULL;
}

static struct lang_expr *parse_and(struct parser *p)
{
	return parse_chain(p, LT_AND, LX_AND, parse_unary);
}

static struct lang_expr *parse_or(struct parser *p)
{
	struct lang_expr *e;

	if (++p->c->depth > LANG_MAX_DEPTH) {
		fail(p, p->tok.off, "expression nested too deeply");
		return NULL;
	}
	e = parse_chain(p, LT_OR, LX_OR, parse_and);
	p->c->depth--;
	return e;
}

/* Parses a whole expression text; NULL after reporting an error. */
static struct lang_expr *parse_src(struct lang_ctx *c,
				   const struct lang_src *src)
{
	struct parser p;
	struct lang_expr *e = NULL;

	memset(&p, 0, sizeof(p));
	p.c = c;
	p.src = src;
	if (src->len > LANG_MAX_EXPR_LEN) {
		lang_error(c, src, 0, "expression longer than %d bytes",
			   LANG_MAX_EXPR_LEN);
		return NULL;
	}
	if (c->depth == 0)
		c->tokens = 0; /* a new expression */
	if (++c->depth > LANG_MAX_DEPTH) {
		lang_error(c, src, 0, "macros nested too deeply");
		c->depth--;
		return NULL;
	}
	lang_lexer_init(&p.lx, src->text, src->len);
	next(&p);
	if (!p.failed) {
		if (p.tok.type == LT_EOF)
			fail(&p, 0, "empty expression");
		else
			e = parse_or(&p);
	}
	if (e && p.tok.type != LT_EOF) {
		if (p.tok.type == LT_WORD || p.tok.type == LT_STRING)
			fail(&p, p.tok.off,
			     "unexpected '%.*s' (missing && or ||?)",
			     (int)p.tok.len, src->text + p.tok.off);
		else
			found(&p, "&&, || or the end of the expression");
		e = NULL;
	}
	if (p.failed)
		e = NULL;
	lang_lexer_free(&p.lx);
	c->depth--;
	return e;
}

struct lang_expr *lang_compile(struct lang_ctx *c, const struct lang_src *src)
{
	struct lang_expr *e = parse_src(c, src);

	return e ? lang_fold(c->pool, e) : NULL;
}
