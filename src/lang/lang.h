/*
 * lang.h - internal: the rule expression language.
 *
 * An expression is lexed (lexer.c), parsed by recursive descent straight
 * into its compiled form (parser.c, with macro and list expansion; type
 * checks and literal conversion in compile.c, folding in fold.c) and
 * evaluated against events (eval.c).  The compiled form is a tree of
 * struct lang_expr that lives in the ruleset's pool (pool.c): every literal
 * is converted, interned and indexed at compile time, so evaluation only
 * reads fields and compares.
 *
 * Nothing here calls the daemon (vigil_fields(), vigil_log()): the field
 * table and the error buffer come in as parameters, so the same code runs
 * inside the engine plugin and inside vigilctl.
 */
#ifndef VIGIL_LANG_H
#define VIGIL_LANG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <vigil/event.h>
#include <vigil/fields.h>
#include <vigil/plugin.h>

#include "node.h"
#include "util.h"

/* Every event type a rule can apply to (bit 0, "none", excluded). */
#define LANG_ALL_TYPES                                                         \
	((VIGIL_EV__COUNT >= 64 ? UINT64_MAX :                                 \
				  (UINT64_C(1) << VIGIL_EV__COUNT) - 1) &      \
	 ~VIGIL_EVBIT(VIGIL_EV_NONE))

/* Bounds that keep hostile policies from exhausting the stack or memory. */
#define LANG_MAX_DEPTH 64         /* nesting of (), !, macros */
#define LANG_MAX_EXPR_LEN 65536   /* bytes of one expression */
#define LANG_MAX_LIST_ITEMS 65536 /* items of one list */
/*
 * Tokens of one expression with its macros expanded.  Each use of a macro
 * parses its text again, so a chain of macros that each use the next one
 * twice doubles per level: without this bound 25 levels (a file of under
 * 1 KiB) take tens of seconds and gigabytes to compile.  The shipped
 * policy's largest rule is a few hundred tokens; an expression without
 * macros has at most LANG_MAX_EXPR_LEN + 1.
 */
#define LANG_MAX_EXPANDED_TOKENS (2 * LANG_MAX_EXPR_LEN)
/* Tokens parsed inside macros over all the expressions of one policy:
 * many rules using one macro just below the bound above would still take
 * minutes. */
#define LANG_MAX_MACRO_TOKENS (1 << 18)

/* ---- source positions ---- */

/*
 * Where the text of an expression (or list item) came from.  node is the
 * YAML scalar holding it (NULL for text given on a command line); raw is
 * the whole file's text when known, which lets errors point inside block
 * scalars (| and >) and multi-line flow scalars.
 */
struct lang_src {
	const char *file;
	const struct vigil_node *node;
	const char *text;
	size_t len;
	const char *raw;
	size_t raw_len;
};

/* Line and column of byte off of s->text in the file. */
void lang_src_pos(const struct lang_src *s, size_t off, uint32_t *line,
		  uint32_t *col);

/* ---- lexer ---- */

enum lang_tok {
	LT_EOF = 0,
	LT_WORD,   /* field, macro, list, constant, number, IP, bare string */
	LT_STRING, /* "..." or '...' */
	LT_REGEX,  /* r"..." */
	LT_LPAREN,
	LT_RPAREN,
	LT_LBRACK,
	LT_RBRACK,
	LT_COMMA,
	LT_EQ,
	LT_NE,
	LT_LT,
	LT_LE,
	LT_GT,
	LT_GE,
	LT_MATCH,  /* =~ */
	LT_NMATCH, /* !~ */
	LT_AND,    /* && and */
	LT_OR,     /* || or */
	LT_NOT,    /* ! not */
	LT_IN,     /* in */
	LT_BITAND, /* & */
	LT_ERROR,
};

struct lang_token {
	int type;     /* enum lang_tok */
	uint32_t off; /* in the expression text */
	uint32_t len; /* of the source text of the token */
	/* LT_STRING/LT_REGEX: the unescaped value (in the lexer's scratch);
	 * other tokens: the source text. */
	const char *val;
	uint32_t val_len;
	const char *error; /* LT_ERROR: what is wrong */
};

struct lang_lexer {
	const char *s;
	size_t len;
	size_t pos;
	struct vigil_buf scratch; /* unescaped strings, reused */
};

void lang_lexer_init(struct lang_lexer *lx, const char *s, size_t len);
void lang_lexer_free(struct lang_lexer *lx);
/* Scans the next token into tok.  Strings are valid until the next call. */
void lang_lex(struct lang_lexer *lx, struct lang_token *tok);
const char *lang_tok_name(int type);

/* ---- compiled form ---- */

enum lang_kind {
	LX_FALSE = 0,
	LX_TRUE,
	LX_AND,    /* all of kids */
	LX_OR,     /* any of kids */
	LX_NOT,    /* kids[0] */
	LX_EVTYPE, /* event type in evmask */
	LX_CMP,    /* a field comparison */
};

enum lang_cmp_op {
	CMP_EQ = 0,
	CMP_LT,
	CMP_LE,
	CMP_GT,
	CMP_GE,
	CMP_IN,    /* string set, integer list, CIDR list */
	CMP_GLOB,  /* any of n globs */
	CMP_REGEX, /* any of n regexes */
	CMP_TRUTH, /* boolean field is true; integer & mask is non-zero */
};

/* What of the field is compared. */
enum lang_opnd {
	OPND_VALUE = 0,
	OPND_LENGTH, /* byte length of each string value */
	OPND_COUNT,  /* number of values (lists) or ancestors */
};

struct lang_cidr {
	uint8_t family;
	uint8_t prefix; /* bits; 32 or 128 for a single address */
	uint8_t addr[16];
};

/* An open-addressing set of interned strings. */
struct lang_strset {
	uint32_t mask; /* slots - 1, slots a power of two */
	uint32_t n;
	struct lang_strslot {
		uint32_t hash;
		uint32_t len;
		const char *ptr; /* NULL: empty slot */
	} *slots;
};

struct lang_glob {
	const char *pat; /* interned, lower-cased for NOCASE fields */
	uint32_t len;
	uint8_t shape; /* enum lang_glob_shape */
	uint8_t any;   /* PREFIX/SUFFIX: the wildcard may cross '/' */
	/* literal text before the first and after the last wildcard: every
	 * match starts and ends with them (cheap pre-checks) */
	uint32_t head, tail;
};

enum lang_glob_shape {
	GLOB_GENERAL = 0,
	GLOB_PREFIX, /* "lit**" (or "lit*": the rest has no '/' on paths) */
	GLOB_SUFFIX, /* "**lit" (or "*lit") */
	GLOB_EXACT,  /* no wildcard */
};

struct lang_regex {
	pcre2_code *code;
	pcre2_match_data *md; /* preallocated: no allocation per match */
};

struct lang_expr {
	uint8_t kind; /* enum lang_kind */
	uint8_t op;   /* enum lang_cmp_op */
	uint8_t neg;  /* CMP: negated (!=, not in, !~): no value matches
		       * and at least one value is present */
	uint8_t opnd; /* enum lang_opnd */
	uint8_t nocase;
	uint8_t path; /* glob '*' stops at '/' */
	uint8_t has_mask;
	uint8_t vtype; /* enum vigil_vtype of the compared value */
	uint32_t n;    /* kids, set items, globs, regexes */
	/* Source text of this node, for explain. */
	const struct lang_src *src;
	uint32_t src_off, src_len;
	uint64_t evmask; /* LX_EVTYPE; for every node: types it may be true */
	struct lang_expr **kids;
	const struct vigil_field *field;
	int64_t mask; /* has_mask: field & mask is compared */
	union {
		int64_t i;
		bool b;
		struct vigil_str s;
		struct lang_cidr cidr;
		const struct lang_strset *sset;
		const int64_t *ints;
		const struct lang_cidr *cidrs;
		const struct lang_glob *globs;
		struct lang_regex *res;
	} v;
};

/* ---- compile context ---- */

/*
 * A literal as written: a list item, an exception value or a token.  text
 * must outlive the compilation (interned or in the policy document).
 */
struct lang_list_item {
	const char *text;
	size_t len;
	bool quoted; /* a quoted string: never a name or number */
	bool regex;  /* r"..." */
	const struct lang_src *src;
	size_t off; /* of the literal in src->text, for errors */
	size_t src_len;
};

/* The left side of a comparison: a field, its length or count, a mask. */
struct lang_operand {
	const struct vigil_field *field;
	uint8_t opnd;     /* enum lang_opnd */
	bool is_evtype;   /* event.type: compiled to an event-type mask */
	bool has_mask;
	int64_t mask;
	uint32_t vtype;   /* type of the compared value */
	const char *name; /* as written */
	size_t name_len;
	const struct lang_src *src;
	size_t off;
};

/* Resolves names during compilation; implemented by the policy loader. */
struct lang_names {
	void *arg;
	/* Macro named name: the sources of its expression parts (joined
	 * by ||: a policy may append to a macro), or NULL. */
	const struct lang_src *(*macro)(void *arg, const char *name,
					size_t len, size_t *n_parts);
	/* List named name: its items, or NULL. */
	const struct lang_list_item *(*list)(void *arg, const char *name,
					     size_t len, size_t *n_items);
	/* Marks a macro as being expanded (true) or done (false); returns
	 * false if it already is being expanded (a cycle). */
	bool (*enter_macro)(void *arg, const char *name, size_t len,
			    bool enter);
};

/* Owner of compiled memory: a list of blocks freed together. */
struct lang_pool {
	struct lang_pool_block *blocks;
	struct lang_strset interned; /* every literal string, once */
	struct lang_regex **regexes; /* to free */
	size_t n_regexes, cap_regexes;
};

void lang_pool_init(struct lang_pool *p);
void lang_pool_free(struct lang_pool *p);
void *lang_alloc(struct lang_pool *p, size_t n);
/* Interned copy of s (NUL-terminated) or NULL on ENOMEM. */
const char *lang_intern(struct lang_pool *p, const char *s, size_t len);

struct lang_ctx {
	const struct vigil_field_table *ft;
	const struct lang_names *names;
	struct lang_pool *pool;
	struct vigil_buf *err; /* messages, one a line */
	unsigned n_errors;
	unsigned depth;
	size_t tokens; /* of the expression being parsed, macros expanded */
	size_t macro_tokens; /* inside macros, over every expression */
	const struct vigil_field *ancestors_count_field; /* cached */
};

/*
 * Compiles the expression in src.  Returns the compiled tree, or NULL
 * after appending "file:line:col: message" lines to c->err.
 */
struct lang_expr *lang_compile(struct lang_ctx *c, const struct lang_src *src);

/* Appends one positioned error line to c->err. */
void lang_error(struct lang_ctx *c, const struct lang_src *s, size_t off,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Field by exact name, or NULL. */
const struct vigil_field *lang_field_find(const struct vigil_field_table *ft,
					  const char *name, size_t len);
/* Closest field name (edit distance) worth suggesting, or NULL. */
const char *lang_field_suggest(const struct vigil_field_table *ft,
			       const char *name, size_t len);
const char *lang_type_name(uint32_t vtype);

/* Builders shared by the parser and the policy loader (exceptions). */
struct lang_expr *lang_new(struct lang_pool *p, int kind);
struct lang_expr *lang_new_n(struct lang_pool *p, int kind, uint32_t n);
/* Folds constants: (true && x) -> x, !false -> true ...; sets evmask. */
struct lang_expr *lang_fold(struct lang_pool *p, struct lang_expr *e);

/*
 * Resolves name (a field, "f.length", "process.ancestors.length") into od.
 * Returns 0, or -ENOENT after reporting an unknown field at src:off.
 */
int lang_operand_resolve(struct lang_ctx *c, const struct lang_src *src,
			 size_t off, const char *name, size_t len,
			 struct lang_operand *od);

/* Sets the mask after '&' in od.  Returns 0 or -EINVAL (reported). */
int lang_operand_mask(struct lang_ctx *c, struct lang_operand *od,
		      const struct lang_list_item *it);

/*
 * Builds the comparison "od op items": op is LT_EQ, LT_NE, LT_LT, LT_LE,
 * LT_GT, LT_GE, LT_IN, LT_MATCH or LT_NMATCH; neg turns in into not in.
 * is_list says the items came as a list ([...] or a named list).
 * Returns NULL after reporting errors.
 */
struct lang_expr *lang_build_cmp(struct lang_ctx *c,
				 const struct lang_operand *od, int op,
				 bool neg, const struct lang_list_item *items,
				 size_t n_items, bool is_list);

/* ---- evaluation ---- */

/* True when e matches ev.  Never allocates; safe on any event. */
bool lang_eval(const struct lang_expr *e, const struct vigil_event *ev);

/* FNV-1a of s, of its ASCII lower-case form when nocase. */
static inline uint32_t lang_hash(const char *s, size_t n, bool nocase)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (nocase && ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch + ('a' - 'A'));
		h = (h ^ ch) * 16777619u;
	}
	return h;
}

/* a (len n) equals b, which is already lower-case when nocase */
static inline bool lang_str_eq(const char *a, const char *b, size_t n,
			       bool nocase)
{
	if (!nocase)
		return memcmp(a, b, n) == 0;
	for (size_t i = 0; i < n; i++) {
		char c = a[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c + ('a' - 'A'));
		if (c != b[i])
			return false;
	}
	return true;
}

/* Whether set holds s (set strings are lower-case when nocase). */
bool lang_strset_has(const struct lang_strset *set, const char *s, size_t n,
		     bool nocase);
/* Adds s (interned by the caller) to set.  Returns 0 or -ENOMEM. */
int lang_strset_add(struct lang_strset *set, const char *s, size_t n,
		    bool *added);
void lang_strset_free(struct lang_strset *set);
/*
 * A set for n strings whose slots live in p (it never grows and is freed
 * with the pool), or NULL on ENOMEM.  Fill it with lang_strset_build_add:
 * s is interned by the caller, a duplicate is ignored, and at most n
 * strings go in.
 */
struct lang_strset *lang_strset_build(struct lang_pool *p, size_t n);
void lang_strset_build_add(struct lang_strset *set, const char *s, size_t n);

/*
 * The value of f on ev at index *idx, or at the first index after it
 * that has one (absent ones, -ENODATA, are skipped; *idx is left on the
 * value found).  False when the values end (any other error).  Walks a
 * field's values: for (idx = 0; lang_field_next(f, ev, &idx, &v); idx++).
 */
bool lang_field_next(const struct vigil_field *f,
		     const struct vigil_event *ev, uint32_t *idx,
		     struct vigil_value *v);
/* Whether field f has at least one value in ev. */
bool lang_field_present(const struct vigil_field *f,
			const struct vigil_event *ev);

/* Glob match of s against pat ('*' within a path level when path). */
bool lang_glob_match(const char *pat, size_t plen, const char *s,
		     size_t slen, bool path, bool nocase);

/*
 * Appends an indented trace of e on ev to out: each sub-expression with
 * true, false or absent (a comparison whose field has no value).
 * Returns the value of e.
 */
bool lang_explain(const struct lang_expr *e, const struct vigil_event *ev,
		  struct vigil_buf *out, unsigned indent);

/* Parses a duration literal ("10s", "5m", "250ms"). Returns 0 or -EINVAL. */
int lang_parse_duration(const char *s, size_t len, int64_t *ns);

#endif /* VIGIL_LANG_H */
