/*
 * compile.c - typing a comparison: field names resolved (with suggestions
 * for unknown ones), literals converted to the field's type, and the typed
 * comparison nodes built (sets, CIDR and integer lists, globs, regexes,
 * event-type masks).  Memory and interning are in pool.c, folding in
 * fold.c.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lang.h"

#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
static bool lang_running_on_valgrind(void)
{
	return RUNNING_ON_VALGRIND != 0;
}
#else
static bool lang_running_on_valgrind(void)
{
	return false;
}
#endif

/* ---- errors and names ---- */

void lang_error(struct lang_ctx *c, const struct lang_src *s, size_t off,
		const char *fmt, ...)
{
	uint32_t line, col;
	va_list ap;

	c->n_errors++;
	if (!c->err)
		return;
	lang_src_pos(s, off, &line, &col);
	va_start(ap, fmt);
	vigil_verror_at(c->err, s->file ? s->file : "<expr>", line, col, fmt,
			ap);
	va_end(ap);
	vigil_buf_printf(c->err, "\n");
}

const struct vigil_field *lang_field_find(const struct vigil_field_table *ft,
					  const char *name, size_t len)
{
	for (size_t i = 0; i < ft->count; i++) {
		const char *n = ft->fields[i].name;

		if (strncmp(n, name, len) == 0 && n[len] == '\0')
			return &ft->fields[i];
	}
	return NULL;
}

/*
 * Levenshtein distance of a and b, or SIZE_MAX when it exceeds max (the
 * smallest value of a row never decreases, so a row above max ends it).
 * Names longer than 128 bytes are never close to anything.
 */
static size_t edit_distance_max(const char *a, size_t la, const char *b,
				size_t lb, size_t max)
{
	size_t row[129], i, j;

	if (la > 128 || lb > 128)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0], lowest;

		row[0] = i;
		lowest = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
			if (best < lowest)
				lowest = best;
		}
		if (lowest > max)
			return SIZE_MAX;
	}
	return row[lb] <= max ? row[lb] : SIZE_MAX;
}

static size_t edit_distance(const char *a, size_t la, const char *b,
			    size_t lb)
{
	return edit_distance_max(a, la, b, lb, 128);
}

const char *lang_field_suggest(const struct vigil_field_table *ft,
			       const char *name, size_t len)
{
	size_t best = SIZE_MAX, limit = len / 3 > 2 ? len / 3 : 2;
	const char *found = NULL;

	for (size_t i = 0; i < ft->count; i++) {
		const char *n = ft->fields[i].name;
		size_t nl = strlen(n), d;

		/* the length difference bounds the distance from below */
		if ((nl > len ? nl - len : len - nl) > limit)
			continue;
		d = edit_distance_max(name, len, n, nl,
				      best < limit ? best : limit);
		if (d < best) {
			best = d;
			found = n;
		}
	}
	return best <= limit ? found : NULL;
}

const char *lang_type_name(uint32_t vtype)
{
	switch (vtype) {
	case VIGIL_T_STR:
		return "a string";
	case VIGIL_T_INT:
		return "an integer";
	case VIGIL_T_BOOL:
		return "a boolean";
	case VIGIL_T_IP:
		return "an IP address";
	case VIGIL_T_TIME:
		return "a time";
	case VIGIL_T_DURATION:
		return "a duration";
	default:
		return "untyped";
	}
}

/* ---- operands ---- */

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n > k && memcmp(s + n - k, suffix, k) == 0;
}

/* A field under the array prefix "process.ancestors": counts them. */
static const struct vigil_field *
array_count_field(const struct vigil_field_table *ft, const char *prefix,
		  size_t len)
{
	for (size_t i = 0; i < ft->count; i++) {
		const struct vigil_field *f = &ft->fields[i];

		if ((f->flags & VIGIL_FIELD_ITER) &&
		    strncmp(f->name, prefix, len) == 0 && f->name[len] == '.')
			return f;
	}
	return NULL;
}

int lang_operand_resolve(struct lang_ctx *c, const struct lang_src *src,
			 size_t off, const char *name, size_t len,
			 struct lang_operand *od)
{
	const struct vigil_field *f;
	const char *hint;

	memset(od, 0, sizeof(*od));
	od->name = name;
	od->name_len = len;
	od->src = src;
	od->off = off;
	f = lang_field_find(c->ft, name, len);
	if (f) {
		od->field = f;
		od->vtype = f->type;
		od->opnd = OPND_VALUE;
		od->is_evtype = len == strlen("event.type") &&
				memcmp(name, "event.type", len) == 0;
		return 0;
	}
	if (ends_with(name, len, ".length")) {
		size_t plen = len - strlen(".length");

		f = lang_field_find(c->ft, name, plen);
		if (f && (f->flags & VIGIL_FIELD_LIST)) {
			od->field = f;
			od->opnd = OPND_COUNT;
		} else if (f && f->type == VIGIL_T_STR) {
			od->field = f;
			od->opnd = OPND_LENGTH;
		} else if (f) {
			lang_error(c, src, off,
				   "'.length' applies to strings and lists; "
				   "'%.*s' is %s",
				   (int)plen, name, lang_type_name(f->type));
			return -EINVAL;
		} else {
			f = array_count_field(c->ft, name, plen);
			if (f) {
				od->field = f;
				od->opnd = OPND_COUNT;
			}
		}
		if (od->field) {
			od->vtype = VIGIL_T_INT;
			return 0;
		}
	}
	hint = lang_field_suggest(c->ft, name, len);
	if (!memchr(name, '.', len) && !hint)
		lang_error(c, src, off, "undefined macro or field '%.*s'",
			   (int)len, name);
	else if (hint)
		lang_error(c, src, off,
			   "unknown field '%.*s' (did you mean '%s'?)",
			   (int)len, name, hint);
	else
		lang_error(c, src, off, "unknown field '%.*s'", (int)len, name);
	return -ENOENT;
}

/* ---- literals ---- */

struct lit_value {
	uint32_t type; /* VIGIL_T_*; VIGIL_T_IP with prefix for CIDR */
	int64_t i;
	bool b;
	struct lang_cidr cidr;
	bool is_cidr;
	const char *s;
	size_t len;
};

static bool looks_numeric(const char *s, size_t n)
{
	return n && ((s[0] >= '0' && s[0] <= '9') ||
		     (s[0] == '-' && n > 1 && s[1] >= '0' && s[1] <= '9'));
}

/* Integer: decimal, 0x hex, 0 octal (file modes), optional '-'. */
static int parse_int(const char *s, size_t n, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0, base = 10, limit;
	size_t i = 0;

	if (n && s[0] == '-') {
		neg = true;
		i++;
	}
	if (n - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		base = 16;
		i += 2;
	} else if (n - i > 1 && s[i] == '0') {
		base = 8;
		i++;
	}
	if (i >= n)
		return -EINVAL;
	limit = neg ? (uint64_t)INT64_MAX + 1 : UINT64_MAX;
	for (; i < n; i++) {
		char ch = s[i];
		uint64_t d;

		if (ch >= '0' && ch <= '9')
			d = (uint64_t)(ch - '0');
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			d = (uint64_t)(ch - 'a' + 10);
		else if (base == 16 && ch >= 'A' && ch <= 'F')
			d = (uint64_t)(ch - 'A' + 10);
		else
			return -EINVAL;
		if (d >= base || v > (limit - d) / base)
			return -EINVAL;
		v = v * base + d;
	}
	/* unsigned 64-bit values (capability sets) wrap to int64 */
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* IPv4/IPv6 address with optional /prefix. */
static int parse_cidr(const char *s, size_t n, struct lang_cidr *out,
		      bool *is_cidr)
{
	char buf[64];
	const char *slash = memchr(s, '/', n);
	size_t alen = slash ? (size_t)(slash - s) : n;
	int64_t prefix;

	memset(out, 0, sizeof(*out));
	if (alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
		out->prefix = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = AF_INET6;
		out->prefix = 128;
	} else {
		return -EINVAL;
	}
	*is_cidr = slash != NULL;
	if (slash) {
		size_t i = alen + 1;

		if (i >= n || n - i > 3)
			return -EINVAL;
		for (prefix = 0; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -EINVAL;
			prefix = prefix * 10 + (s[i] - '0');
		}
		if (prefix > out->prefix)
			return -EINVAL;
		out->prefix = (uint8_t)prefix;
	}
	return 0;
}

/* What a literal looks like, for type mismatch messages. */
static const char *lit_kind(const struct lang_list_item *it)
{
	int64_t v;
	struct lang_cidr cidr;
	bool is_cidr;

	if (it->regex)
		return "a regular expression";
	if (it->quoted)
		return "a string";
	if (it->len == 4 && memcmp(it->text, "true", 4) == 0)
		return "a boolean";
	if (it->len == 5 && memcmp(it->text, "false", 5) == 0)
		return "a boolean";
	if (parse_int(it->text, it->len, &v) == 0)
		return "an integer";
	if (lang_parse_duration(it->text, it->len, &v) == 0)
		return "a duration";
	if (parse_cidr(it->text, it->len, &cidr, &is_cidr) == 0)
		return is_cidr ? "a CIDR" : "an IP address";
	return "a name";
}

static void type_mismatch(struct lang_ctx *c, const struct lang_operand *od,
			  const struct lang_list_item *it)
{
	lang_error(c, it->src, it->off, "'%.*s' is %s, %s%.*s%s is %s",
		   (int)od->name_len, od->name, lang_type_name(od->vtype),
		   it->quoted ? "\"" : "", (int)it->len, it->text,
		   it->quoted ? "\"" : "", lit_kind(it));
}

/* Integer literal or named constant of the field. */
static int lit_int(struct lang_ctx *c, const struct lang_operand *od,
		   const struct lang_list_item *it, int64_t *out)
{
	const struct vigil_constant *k;

	if (it->quoted || it->regex) {
		type_mismatch(c, od, it);
		return -EINVAL;
	}
	if (parse_int(it->text, it->len, out) == 0)
		return 0;
	for (k = od->field->constants; k && k->name; k++) {
		if (strlen(k->name) == it->len &&
		    memcmp(k->name, it->text, it->len) == 0) {
			*out = k->value;
			return 0;
		}
	}
	if (looks_numeric(it->text, it->len) || !od->field->constants ||
	    od->opnd != OPND_VALUE) {
		type_mismatch(c, od, it);
		return -EINVAL;
	}
	{
		const char *best = NULL;
		size_t bd = SIZE_MAX;

		for (k = od->field->constants; k->name; k++) {
			size_t d = edit_distance(it->text, it->len, k->name,
						 strlen(k->name));
			if (d < bd) {
				bd = d;
				best = k->name;
			}
		}
		if (best && bd <= 3)
			lang_error(c, it->src, it->off,
				   "unknown constant '%.*s' for '%.*s' "
				   "(did you mean '%s'?)",
				   (int)it->len, it->text, (int)od->name_len,
				   od->name, best);
		else
			lang_error(c, it->src, it->off,
				   "unknown constant '%.*s' for '%.*s' "
				   "(e.g. '%s')",
				   (int)it->len, it->text, (int)od->name_len,
				   od->name, od->field->constants[0].name);
	}
	return -EINVAL;
}

/* Converts one literal to the operand's type.  0 or -EINVAL (reported). */
static int lit_convert(struct lang_ctx *c, const struct lang_operand *od,
		       const struct lang_list_item *it, struct lit_value *v)
{
	memset(v, 0, sizeof(*v));
	v->type = od->vtype;
	switch (od->vtype) {
	case VIGIL_T_STR:
		if (it->regex) {
			type_mismatch(c, od, it);
			return -EINVAL;
		}
		v->s = it->text;
		v->len = it->len;
		return 0;
	case VIGIL_T_INT:
	case VIGIL_T_TIME:
		return lit_int(c, od, it, &v->i);
	case VIGIL_T_DURATION:
		if (!it->quoted && !it->regex &&
		    lang_parse_duration(it->text, it->len, &v->i) == 0)
			return 0;
		if (!it->quoted && !it->regex && it->len == 1 &&
		    it->text[0] == '0')
			return 0;
		type_mismatch(c, od, it);
		if (looks_numeric(it->text, it->len))
			vigil_buf_printf(c->err, "  (write a unit: %.*ss, "
					 "%.*sms, %.*sm ...)\n",
					 (int)it->len, it->text, (int)it->len,
					 it->text, (int)it->len, it->text);
		return -EINVAL;
	case VIGIL_T_BOOL:
		if (!it->quoted && it->len == 4 &&
		    memcmp(it->text, "true", 4) == 0) {
			v->b = true;
			return 0;
		}
		if (!it->quoted && it->len == 5 &&
		    memcmp(it->text, "false", 5) == 0) {
			v->b = false;
			return 0;
		}
		type_mismatch(c, od, it);
		return -EINVAL;
	case VIGIL_T_IP:
		if (!it->regex &&
		    parse_cidr(it->text, it->len, &v->cidr, &v->is_cidr) == 0)
			return 0;
		lang_error(c, it->src, it->off,
			   "'%.*s' is an IP address, '%.*s' is not an "
			   "address or CIDR",
			   (int)od->name_len, od->name, (int)it->len,
			   it->text);
		return -EINVAL;
	default:
		lang_error(c, it->src, it->off, "'%.*s' cannot be compared",
			   (int)od->name_len, od->name);
		return -EINVAL;
	}
}

/* Interned (and lower-cased for NOCASE) copy of a string literal. */
static const char *lit_str(struct lang_ctx *c, const struct lang_operand *od,
			   const char *s, size_t n)
{
	char small[256] = "", *tmp = small;
	const char *r;

	if (!(od->field->flags & VIGIL_FIELD_NOCASE) || od->opnd != OPND_VALUE)
		return lang_intern(c->pool, s, n);
	if (n > sizeof(small)) {
		tmp = malloc(n);
		if (!tmp)
			return NULL;
	}
	for (size_t i = 0; i < n; i++)
		tmp[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) :
							 s[i];
	r = lang_intern(c->pool, tmp, n);
	if (tmp != small)
		free(tmp);
	return r;
}

static int cmp_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static struct lang_expr *new_cmp(struct lang_ctx *c,
				 const struct lang_operand *od, int op,
				 bool neg)
{
	struct lang_expr *e = lang_new(c->pool, LX_CMP);

	if (!e)
		return NULL;
	e->op = (uint8_t)op;
	e->neg = neg;
	e->opnd = od->opnd;
	e->field = od->field;
	e->vtype = (uint8_t)od->vtype;
	e->nocase = od->opnd == OPND_VALUE &&
		    (od->field->flags & VIGIL_FIELD_NOCASE) != 0;
	e->path = (od->field->flags & VIGIL_FIELD_PATH) != 0;
	e->has_mask = od->has_mask;
	e->mask = od->mask;
	return e;
}

static struct lang_expr *build_glob(struct lang_ctx *c,
				    const struct lang_operand *od, bool neg,
				    const struct lang_list_item *items,
				    size_t n)
{
	struct lang_expr *e = new_cmp(c, od, CMP_GLOB, neg);
	struct lang_glob *g;

	if (!e)
		return NULL;
	g = lang_alloc(c->pool, n * sizeof(*g));
	if (!g)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *p = lit_str(c, od, items[i].text, items[i].len);
		size_t len = items[i].len, first = len, last = 0, wild = 0;
		bool dstar;

		if (!p)
			return NULL;
		for (size_t j = 0; j < len; j++) {
			if (p[j] != '*' && p[j] != '?')
				continue;
			wild++;
			if (first == len)
				first = j;
			last = j;
		}
		g[i].pat = p;
		g[i].len = (uint32_t)len;
		g[i].head = (uint32_t)first;
		g[i].tail = wild ? (uint32_t)(len - last - 1) : 0;
		/* one run of stars, no '?': a prefix or suffix test */
		dstar = wild >= 2;
		if (!wild) {
			g[i].shape = GLOB_EXACT;
		} else if (last - first + 1 == wild && !memchr(p, '?', len) &&
			   (last == len - 1 || first == 0)) {
			g[i].shape = last == len - 1 ? GLOB_PREFIX :
						       GLOB_SUFFIX;
			g[i].any = dstar || !e->path;
			if (first == 0 && last == len - 1)
				g[i].shape = GLOB_PREFIX; /* "*" or "**" */
		} else {
			g[i].shape = GLOB_GENERAL;
		}
	}
	e->v.globs = g;
	e->n = (uint32_t)n;
	return e;
}

static struct lang_expr *build_regex(struct lang_ctx *c,
				     const struct lang_operand *od, bool neg,
				     const struct lang_list_item *items,
				     size_t n)
{
	struct lang_expr *e = new_cmp(c, od, CMP_REGEX, neg);
	struct lang_regex *re;
	struct lang_pool *p = c->pool;

	if (!e)
		return NULL;
	re = lang_alloc(p, n * sizeof(*re));
	if (!re)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		uint32_t flags = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
		PCRE2_SIZE erroff;
		int errcode;

		if (e->nocase)
			flags |= PCRE2_CASELESS;
		if (p->n_regexes == p->cap_regexes) {
			size_t cap = p->cap_regexes ? p->cap_regexes * 2 : 16;
			struct lang_regex **r =
				realloc(p->regexes, cap * sizeof(*r));

			if (!r)
				return NULL;
			p->regexes = r;
			p->cap_regexes = cap;
		}
		re[i].code = pcre2_compile((PCRE2_SPTR)items[i].text,
					   items[i].len, flags, &errcode,
					   &erroff, NULL);
		if (!re[i].code) {
			PCRE2_UCHAR msg[256];

			pcre2_get_error_message(errcode, msg, sizeof(msg));
			lang_error(c, items[i].src,
				   items[i].off + 2 + erroff,
				   "bad regular expression: %s (at offset %zu)",
				   (const char *)msg, (size_t)erroff);
			return NULL;
		}
		/* JIT when it can: under MemoryDenyWriteExecute it fails
		 * and the interpreter runs; under valgrind its generated
		 * code reads as uninitialised memory, so it is skipped. */
		if (!lang_running_on_valgrind())
			(void)pcre2_jit_compile(re[i].code,
						PCRE2_JIT_COMPLETE);
		re[i].md = pcre2_match_data_create_from_pattern(re[i].code,
								NULL);
		if (!re[i].md) {
			pcre2_code_free(re[i].code);
			return NULL;
		}
		p->regexes[p->n_regexes++] = &re[i];
	}
	e->v.res = re;
	e->n = (uint32_t)n;
	return e;
}

/* event.type ==/!=/in/not in: an event-type mask. */
static struct lang_expr *build_evtype(struct lang_ctx *c,
				      const struct lang_operand *od, int op,
				      bool neg,
				      const struct lang_list_item *items,
				      size_t n)
{
	struct lang_expr *e;
	uint64_t mask = 0;
	bool bad = false;

	if (op != LT_EQ && op != LT_NE && op != LT_IN) {
		lang_error(c, od->src, od->off,
			   "event.type takes ==, != and in");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		int t = items[i].regex ? -1 :
					 vigil_event_type_from_name(
						 items[i].text, items[i].len);

		if (t < 0) {
			const char *best = NULL;
			size_t bd = SIZE_MAX;

			for (uint32_t k = 1; k < VIGIL_EV__COUNT; k++) {
				const char *nm = vigil_event_type_name(k);
				size_t d = edit_distance(items[i].text,
							 items[i].len, nm,
							 strlen(nm));
				if (d < bd) {
					bd = d;
					best = nm;
				}
			}
			if (bd <= 2)
				lang_error(c, items[i].src, items[i].off,
					   "unknown event type '%.*s' (did "
					   "you mean '%s'?)",
					   (int)items[i].len, items[i].text,
					   best);
			else
				lang_error(c, items[i].src, items[i].off,
					   "unknown event type '%.*s'",
					   (int)items[i].len, items[i].text);
			bad = true;
			continue;
		}
		mask |= VIGIL_EVBIT(t);
	}
	if (bad)
		return NULL;
	e = lang_new(c->pool, LX_EVTYPE);
	if (!e)
		return NULL;
	e->evmask = mask;
	if (op == LT_NE || neg) {
		struct lang_expr *not = lang_new_n(c->pool, LX_NOT, 1);

		if (!not)
			return NULL;
		not->kids[0] = e;
		return not;
	}
	return e;
}

struct lang_expr *lang_build_cmp(struct lang_ctx *c,
				 const struct lang_operand *od, int op,
				 bool neg, const struct lang_list_item *items,
				 size_t n, bool is_list)
{
	struct lit_value v;
	struct lang_expr *e;
	int cop;

	if (od->is_evtype && od->opnd == OPND_VALUE)
		return build_evtype(c, od, op, neg, items, n);
	if (op == LT_MATCH || op == LT_NMATCH) {
		size_t nre = 0;

		if (od->vtype != VIGIL_T_STR) {
			lang_error(c, od->src, od->off,
				   "'=~' matches strings; '%.*s' is %s",
				   (int)od->name_len, od->name,
				   lang_type_name(od->vtype));
			return NULL;
		}
		for (size_t i = 0; i < n; i++)
			nre += items[i].regex;
		if (nre && nre != n) {
			lang_error(c, items[0].src, items[0].off,
				   "a list after =~ holds either globs or "
				   "regular expressions, not both");
			return NULL;
		}
		if (n == 0) {
			lang_error(c, od->src, od->off, "empty pattern list");
			return NULL;
		}
		return nre ? build_regex(c, od, op == LT_NMATCH, items, n) :
			     build_glob(c, od, op == LT_NMATCH, items, n);
	}
	for (size_t i = 0; i < n; i++) {
		if (items[i].regex) {
			lang_error(c, items[i].src, items[i].off,
				   "a regular expression needs =~");
			return NULL;
		}
	}
	if (op == LT_IN) {
		unsigned bad = 0;

		e = new_cmp(c, od, CMP_IN, neg);
		if (!e)
			return NULL;
		e->n = (uint32_t)n;
		if (od->vtype == VIGIL_T_STR) {
			struct lang_strset *set = lang_strset_build(c->pool, n);

			if (!set)
				return NULL;
			for (size_t i = 0; i < n; i++) {
				const char *s = lit_str(c, od, items[i].text,
							items[i].len);
				if (!s)
					return NULL;
				lang_strset_build_add(set, s, items[i].len);
			}
			e->v.sset = set;
		} else if (od->vtype == VIGIL_T_IP) {
			struct lang_cidr *cs =
				lang_alloc(c->pool, (n + 1) * sizeof(*cs));

			if (!cs)
				return NULL;
			for (size_t i = 0; i < n; i++) {
				if (lit_convert(c, od, &items[i], &v))
					bad++;
				cs[i] = v.cidr;
			}
			e->v.cidrs = cs;
		} else if (od->vtype == VIGIL_T_BOOL) {
			lang_error(c, od->src, od->off,
				   "'%.*s' is a boolean; use == true or "
				   "== false",
				   (int)od->name_len, od->name);
			return NULL;
		} else {
			int64_t *is = lang_alloc(c->pool, (n + 1) * sizeof(*is));

			if (!is)
				return NULL;
			for (size_t i = 0; i < n; i++) {
				if (lit_convert(c, od, &items[i], &v))
					bad++;
				is[i] = v.i;
			}
			qsort(is, n, sizeof(*is), cmp_int64);
			e->v.ints = is;
		}
		return bad ? NULL : e;
	}
	/* ==, !=, <, <=, >, >= against one value */
	if (is_list || n != 1) {
		lang_error(c, n ? items[0].src : od->src,
			   n ? items[0].off : od->off,
			   "a list needs 'in' or '=~'");
		return NULL;
	}
	if (lit_convert(c, od, &items[0], &v))
		return NULL;
	if (op != LT_EQ && op != LT_NE &&
	    (od->vtype == VIGIL_T_STR || od->vtype == VIGIL_T_BOOL ||
	     od->vtype == VIGIL_T_IP)) {
		lang_error(c, od->src, od->off,
			   "'%.*s' is %s: it takes == and != (and in, =~), "
			   "not ordering",
			   (int)od->name_len, od->name,
			   lang_type_name(od->vtype));
		return NULL;
	}
	switch (op) {
	case LT_LT:
		cop = CMP_LT;
		break;
	case LT_LE:
		cop = CMP_LE;
		break;
	case LT_GT:
		cop = CMP_GT;
		break;
	case LT_GE:
		cop = CMP_GE;
		break;
	default:
		cop = CMP_EQ;
		break;
	}
	if (od->vtype == VIGIL_T_BOOL) {
		/* f == true is "f is true"; f == false is "f present and
		 * not true" */
		e = new_cmp(c, od, CMP_TRUTH, (op == LT_NE) == v.b);
		return e;
	}
	if (od->vtype == VIGIL_T_IP) {
		e = new_cmp(c, od, CMP_IN, op == LT_NE);
		if (!e)
			return NULL;
		e->v.cidrs = lang_alloc(c->pool, sizeof(struct lang_cidr));
		if (!e->v.cidrs)
			return NULL;
		memcpy((void *)e->v.cidrs, &v.cidr, sizeof(v.cidr));
		e->n = 1;
		return e;
	}
	e = new_cmp(c, od, cop, op == LT_NE);
	if (!e)
		return NULL;
	if (od->vtype == VIGIL_T_STR) {
		e->v.s.ptr = lit_str(c, od, v.s, v.len);
		e->v.s.len = (uint32_t)v.len;
		if (!e->v.s.ptr)
			return NULL;
	} else {
		e->v.i = v.i;
	}
	return e;
}

int lang_operand_mask(struct lang_ctx *c, struct lang_operand *od,
		      const struct lang_list_item *it)
{
	int64_t m;

	if (od->vtype != VIGIL_T_INT || od->opnd != OPND_VALUE) {
		lang_error(c, od->src, od->off,
			   "'&' tests bits of integers; '%.*s' is %s",
			   (int)od->name_len, od->name,
			   lang_type_name(od->vtype));
		return -EINVAL;
	}
	if (lit_int(c, od, it, &m))
		return -EINVAL;
	od->has_mask = true;
	od->mask = m;
	return 0;
}
