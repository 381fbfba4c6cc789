/*
 * lexer.c - tokens of the rule expression language, and source positions.
 *
 * Words are deliberately broad ([A-Za-z0-9_./:@%+-]): the parser decides
 * from context whether a word is a field, a macro, a named list, a
 * constant, a number, a duration, an IP address or CIDR, or (inside a list
 * or after a comparison with a string field) a bare string such as
 * /usr/sbin/nginx.  Keywords and, or, not, in are reserved.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "lang.h"

static bool word_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '/' || c == '.' ||
	       c == ':' || c == '@' || c == '%';
}

static bool word_char(char c)
{
	return word_start(c) || c == '-' || c == '+';
}

void lang_lexer_init(struct lang_lexer *lx, const char *s, size_t len)
{
	memset(lx, 0, sizeof(*lx));
	lx->s = s;
	lx->len = len;
}

void lang_lexer_free(struct lang_lexer *lx)
{
	vigil_buf_free(&lx->scratch);
}

/*
 * Makes t an error of len bytes from t->off, what says what is wrong, and
 * ends the lexing: the rest of the text is not read.
 */
static void lex_fail(struct lang_lexer *lx, struct lang_token *t,
		     uint32_t len, const char *what)
{
	t->type = LT_ERROR;
	t->len = len;
	t->error = what;
	lx->pos = lx->len;
}

/*
 * Ends the quoted token that starts at lx->pos and whose closing quote is
 * at p: a token of type with value val (val_len bytes), the lexer past
 * the quote.  p at the end of the text means no closing quote: then t is
 * the error unterminated over the rest of the text.
 */
static void lex_quoted_end(struct lang_lexer *lx, struct lang_token *t,
			   size_t p, enum lang_tok type, const char *val,
			   size_t val_len, const char *unterminated)
{
	if (p >= lx->len) {
		lex_fail(lx, t, (uint32_t)(lx->len - lx->pos), unterminated);
		return;
	}
	t->type = type;
	t->len = (uint32_t)(p + 1 - lx->pos);
	t->val = val;
	t->val_len = (uint32_t)val_len;
	lx->pos = p + 1;
}

/* A quoted string starting at lx->pos (the quote). */
static void lex_string(struct lang_lexer *lx, struct lang_token *t)
{
	char q = lx->s[lx->pos];
	size_t p = lx->pos + 1;

	vigil_buf_reset(&lx->scratch);
	while (p < lx->len && lx->s[p] != q) {
		char c = lx->s[p++];

		if (c == '\\') {
			int h, l;

			if (p >= lx->len)
				break;
			c = lx->s[p++];
			switch (c) {
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case '0':
				c = '\0';
				break;
			case 'x':
				h = p < lx->len ?
					    vigil_hex_digit(lx->s[p]) : -1;
				l = p + 1 < lx->len ?
					    vigil_hex_digit(lx->s[p + 1]) : -1;
				if (h < 0 || l < 0) {
					t->off = (uint32_t)(p - 2);
					lex_fail(lx, t, 2,
						 "\\x needs two hex digits");
					return;
				}
				c = (char)(h * 16 + l);
				p += 2;
				break;
			case '\\':
			case '"':
			case '\'':
				break;
			default:
				t->off = (uint32_t)(p - 2);
				lex_fail(lx, t, 2,
					 "unknown escape (use \\\\ \\\" \\' \\n "
					 "\\t \\r \\0 \\xHH)");
				return;
			}
		}
		if (vigil_buf_putc(&lx->scratch, c)) {
			lex_fail(lx, t, t->len, "out of memory");
			return;
		}
	}
	lex_quoted_end(lx, t, p, LT_STRING, vigil_buf_cstr(&lx->scratch),
		       lx->scratch.len, "unterminated string");
}

/* r"..." : the text is kept as written; \" does not end it. */
static void lex_regex(struct lang_lexer *lx, struct lang_token *t)
{
	char q = lx->s[lx->pos + 1];
	size_t start = lx->pos + 2, p = start;

	while (p < lx->len && lx->s[p] != q) {
		if (lx->s[p] == '\\' && p + 1 < lx->len)
			p++;
		p++;
	}
	lex_quoted_end(lx, t, p, LT_REGEX, lx->s + start, p - start,
		       "unterminated regular expression");
}

/*
 * Operators and punctuation; a two-character operator comes before its
 * first character alone, so the longest one wins.  '=' and '|' alone are
 * errors with a hint.
 */
static const struct {
	const char *op;
	enum lang_tok type;
	const char *error;
} ops[] = {
	{ "==", LT_EQ, NULL },
	{ "=~", LT_MATCH, NULL },
	{ "=", LT_ERROR, "'=' alone is not an operator (use == or =~)" },
	{ "!=", LT_NE, NULL },
	{ "!~", LT_NMATCH, NULL },
	{ "!", LT_NOT, NULL },
	{ "<=", LT_LE, NULL },
	{ "<", LT_LT, NULL },
	{ ">=", LT_GE, NULL },
	{ ">", LT_GT, NULL },
	{ "&&", LT_AND, NULL },
	{ "&", LT_BITAND, NULL },
	{ "||", LT_OR, NULL },
	{ "|", LT_ERROR, "'|' alone is not an operator (use ||)" },
	{ "(", LT_LPAREN, NULL },
	{ ")", LT_RPAREN, NULL },
	{ "[", LT_LBRACK, NULL },
	{ "]", LT_RBRACK, NULL },
	{ ",", LT_COMMA, NULL },
};

static const struct {
	const char *kw;
	enum lang_tok type;
} keywords[] = {
	{ "and", LT_AND },
	{ "or", LT_OR },
	{ "not", LT_NOT },
	{ "in", LT_IN },
};

/* The operator that starts with c (d the next character, or NUL) into
 * t's type, len and error.  Returns false if c starts none. */
static bool lex_op(char c, char d, struct lang_token *t)
{
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(ops); i++) {
		if (ops[i].op[0] == c &&
		    (ops[i].op[1] == '\0' || ops[i].op[1] == d)) {
			t->type = ops[i].type;
			t->len = (uint32_t)strlen(ops[i].op);
			t->error = ops[i].error;
			return true;
		}
	}
	return false;
}

/* The keyword the n bytes at s spell, or LT_WORD. */
static enum lang_tok word_type(const char *s, size_t n)
{
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(keywords); i++) {
		if (strlen(keywords[i].kw) == n &&
		    memcmp(s, keywords[i].kw, n) == 0)
			return keywords[i].type;
	}
	return LT_WORD;
}

void lang_lex(struct lang_lexer *lx, struct lang_token *t)
{
	const char *s = lx->s;
	size_t p = lx->pos;
	char c, d;

	while (p < lx->len && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' ||
			       s[p] == '\r'))
		p++;
	lx->pos = p;
	memset(t, 0, sizeof(*t));
	t->off = (uint32_t)p;
	if (p >= lx->len) {
		t->type = LT_EOF;
		return;
	}
	c = s[p];
	d = p + 1 < lx->len ? s[p + 1] : '\0';
	t->len = 1;
	if (c == '"' || c == '\'') {
		lex_string(lx, t);
		return;
	}
	if (c == 'r' && (d == '"' || d == '\'')) {
		lex_regex(lx, t);
		return;
	}
	if (word_start(c) || (c == '-' && d >= '0' && d <= '9')) {
		size_t e = p + 1;

		while (e < lx->len && word_char(s[e]))
			e++;
		t->len = (uint32_t)(e - p);
		t->val = s + p;
		t->val_len = t->len;
		t->type = word_type(s + p, t->len);
		lx->pos = e;
		return;
	}
	if (!lex_op(c, d, t)) {
		t->type = LT_ERROR;
		t->error = "unexpected character";
	}
	if (t->type != LT_ERROR || t->len)
		lx->pos = p + t->len;
	t->val = s + p;
	t->val_len = t->len;
}

const char *lang_tok_name(int type)
{
	static const char *const names[] = {
		[LT_EOF] = "end of expression",
		[LT_WORD] = "name or value",
		[LT_STRING] = "string",
		[LT_REGEX] = "regular expression",
		[LT_LPAREN] = "'('",
		[LT_RPAREN] = "')'",
		[LT_LBRACK] = "'['",
		[LT_RBRACK] = "']'",
		[LT_COMMA] = "','",
		[LT_EQ] = "'=='",
		[LT_NE] = "'!='",
		[LT_LT] = "'<'",
		[LT_LE] = "'<='",
		[LT_GT] = "'>'",
		[LT_GE] = "'>='",
		[LT_MATCH] = "'=~'",
		[LT_NMATCH] = "'!~'",
		[LT_AND] = "'&&'",
		[LT_OR] = "'||'",
		[LT_NOT] = "'!'",
		[LT_IN] = "'in'",
		[LT_BITAND] = "'&'",
		[LT_ERROR] = "invalid token",
	};
	return type >= 0 && type < (int)VIGIL_ARRAY_SIZE(names) ? names[type] :
								  "token";
}

/* ---- positions ---- */

/* Byte index of (line, col) in raw, or raw_len if outside. */
static size_t raw_index(const char *raw, size_t raw_len, uint32_t line,
			uint32_t col)
{
	size_t p = 0;

	for (uint32_t l = 1; l < line && p < raw_len; p++)
		if (raw[p] == '\n')
			l++;
	for (uint32_t c = 1; c < col && p < raw_len && raw[p] != '\n'; c++)
		p++;
	return p;
}

/*
 * Maps byte off of the scalar's value to a position in the file.  Without
 * the raw file text, the value is assumed to sit on the scalar's line
 * after its opening quote, if any (right for plain and quoted one-line
 * scalars).  With the raw text, the value is aligned with the source:
 * the block indicator line of | and > scalars is skipped, line breaks
 * folded into spaces and indentation are stepped over, and escapes in
 * double-quoted scalars count their source length.
 */
void lang_src_pos(const struct lang_src *s, size_t off, uint32_t *line,
		  uint32_t *col)
{
	const struct vigil_node *n = s->node;
	size_t p, i;
	uint32_t l, c;
	char quote = 0;

	if (!n) {
		*line = 1;
		*col = (uint32_t)off + 1;
		return;
	}
	if (!s->raw) {
		*line = n->line;
		*col = n->col + (uint32_t)off + (n->quoted ? 1 : 0);
		return;
	}
	p = raw_index(s->raw, s->raw_len, n->line, n->col);
	l = n->line;
	c = n->col;
	if (p < s->raw_len && (s->raw[p] == '|' || s->raw[p] == '>')) {
		while (p < s->raw_len && s->raw[p] != '\n')
			p++;
		if (p < s->raw_len) {
			p++;
			l++;
			c = 1;
		}
	} else if (p < s->raw_len && (s->raw[p] == '"' || s->raw[p] == '\'')) {
		quote = s->raw[p];
		p++;
		c++;
	}
	/* skip the indentation before the first character */
	while (p < s->raw_len && (s->raw[p] == ' ' || s->raw[p] == '\t')) {
		p++;
		c++;
	}
	for (i = 0; i < off && i < s->len && p < s->raw_len; i++) {
		char v = s->text[i], r = s->raw[p];

		if (r == '\n' && (v == ' ' || v == '\n')) {
			/* a line break, then the next line's indentation;
			 * indentation beyond the block's is in the value too
			 * (literal blocks): step over it there as well */
			p++;
			l++;
			c = 1;
			while (p < s->raw_len &&
			       (s->raw[p] == ' ' || s->raw[p] == '\t')) {
				p++;
				c++;
			}
			while (i + 1 < off && i + 1 < s->len &&
			       (s->text[i + 1] == ' ' || s->text[i + 1] == '\t'))
				i++;
			continue;
		}
		if (quote == '"' && r == '\\' && v != '\\') {
			/* an escape: \x41 is 4 source bytes for 1 */
			size_t w = p + 1 < s->raw_len && s->raw[p + 1] == 'x' ?
					   4 :
					   2;

			p += w;
			c += (uint32_t)w;
			continue;
		}
		if (quote == '"' && r == '\\') {
			p += 2;
			c += 2;
			continue;
		}
		if (quote == '\'' && r == '\'' && v == '\'') {
			p += 2; /* '' stands for ' */
			c += 2;
			continue;
		}
		p++;
		c++;
	}
	*line = l;
	*col = c;
}

/* ---- durations ---- */

int lang_parse_duration(const char *s, size_t len, int64_t *ns)
{
	int64_t v = 0, unit;
	size_t i = 0;

	if (!len || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		if (v > (INT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (s[i++] - '0');
	}
	/* Unlike a duration in vigil.yaml, a literal must name its unit. */
	unit = vigil_duration_unit(s + i, len - i);
	if (!unit || v > INT64_MAX / unit)
		return -EINVAL;
	*ns = v * unit;
	return 0;
}
