/*
 * confmap.c - checks a configuration section against its table and reads
 * it into a settings struct (see vigil/confmap.h for how a table is
 * declared).
 *
 * Every message starts with the position of the node it is about and
 * names the setting by its full path ("audit.read_interval"), what was
 * wanted and what was found, because a setting the agent silently
 * ignores or bends is a hole nobody sees.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "confmap.h"

#define PATH_CAP 256

/* The smallest entry the engine can use: up to and with help. */
#define ENTRY_MIN_SIZE                                                         \
	(offsetof(struct vigil_config_entry, help) + sizeof(const char *))

struct ctx {
	const struct vigil_config_entry *table;
	size_t n;
	size_t esize;
	const char *where;
	struct vigil_buf *err;
};

/* Entry i, zero-extended to this header's size. */
static void entry_at(const struct ctx *c, size_t i,
		     struct vigil_config_entry *e)
{
	memset(e, 0, sizeof(*e));
	memcpy(e, (const char *)c->table + i * c->esize,
	       c->esize < sizeof(*e) ? c->esize : sizeof(*e));
}

/* "where.key" (or "key" at the root) into buf. */
static const char *full_path(char *buf, const char *where, const char *key,
			     size_t keylen)
{
	snprintf(buf, PATH_CAP, "%s%s%.*s", where,
		 *where && keylen ? "." : "", (int)keylen, key);
	return buf;
}

static bool is_number(uint32_t type)
{
	return type == VIGIL_CFG_T_BOOL || type == VIGIL_CFG_T_INT ||
	       type == VIGIL_CFG_T_SIZE || type == VIGIL_CFG_T_DURATION ||
	       type == VIGIL_CFG_T_ENUM || type == VIGIL_CFG_T_FLAGS;
}

/* Whether v fits a member of size bytes, signed or not. */
static bool fits(int64_t v, size_t size, bool is_signed)
{
	int bits = (int)size * 8;

	if (size == 8)
		return is_signed || v >= 0;
	if (is_signed)
		return v >= -(INT64_C(1) << (bits - 1)) &&
		       v <= (INT64_C(1) << (bits - 1)) - 1;
	return v >= 0 && v <= (INT64_C(1) << bits) - 1;
}

static void store_num(void *p, size_t size, int64_t v)
{
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;

	switch (size) {
	case 1:
		memcpy(p, &u8, 1);
		break;
	case 2:
		memcpy(p, &u16, 2);
		break;
	case 4:
		memcpy(p, &u32, 4);
		break;
	default:
		memcpy(p, &v, 8);
		break;
	}
}

static int table_error(const struct ctx *c, const char *key, const char *why)
{
	vigil_buf_printf(c->err,
			 "the configuration table of %s is wrong: entry '%s' %s (a bug in that part of vigil or in the plugin)",
			 *c->where ? c->where : "the configuration",
			 key ? key : "(null)", why);
	return -EINVAL;
}

static int check_entry(const struct ctx *c, const struct vigil_config_entry *e,
		       size_t settings_size)
{
	bool sgn = e->flags & VIGIL_CFG_F_SIGNED;
	const char *k = e->key;
	size_t klen;

	if (!k || !*k || *k == '.' || k[strlen(k) - 1] == '.' ||
	    strstr(k, ".."))
		return table_error(c, k, "has no usable key");
	klen = strlen(k);
	if (klen >= PATH_CAP / 2)
		return table_error(c, k, "has a key that is too long");
	if (settings_size && (e->offset > settings_size ||
			      e->size > settings_size - e->offset))
		return table_error(c, k, "lies outside the settings struct");
	if (is_number(e->type)) {
		if (e->size != 1 && e->size != 2 && e->size != 4 &&
		    e->size != 8)
			return table_error(c, k, "is a number in a member "
						 "that is not 1, 2, 4 or 8 "
						 "bytes");
	}
	switch (e->type) {
	case VIGIL_CFG_T_DURATION:
	case VIGIL_CFG_T_BOOL:
	case VIGIL_CFG_T_INT:
	case VIGIL_CFG_T_SIZE:
		if (e->type == VIGIL_CFG_T_DURATION && e->unit <= 0)
			return table_error(c, k, "is a duration without a "
						 "unit");
		if (e->min > e->max || !fits(e->min, e->size, sgn) ||
		    !fits(e->max, e->size, sgn))
			return table_error(c, k, "has a range its member "
						 "cannot hold");
		if (e->def < e->min || e->def > e->max)
			return table_error(c, k, "has a default outside its "
						 "range");
		break;
	case VIGIL_CFG_T_ENUM:
	case VIGIL_CFG_T_FLAGS: {
		bool def_named = e->type == VIGIL_CFG_T_FLAGS;

		if (!e->names || !e->names[0].name)
			return table_error(c, k, "has no names");
		for (size_t i = 0; e->names[i].name; i++) {
			if (!fits(e->names[i].value, e->size, sgn))
				return table_error(c, k, "has a value its "
							 "member cannot hold");
			def_named |= e->names[i].value == e->def;
		}
		if (!def_named || !fits(e->def, e->size, sgn))
			return table_error(c, k, "has a default that is none "
						 "of its names");
		break;
	}
	case VIGIL_CFG_T_STR:
	case VIGIL_CFG_T_PATH:
		if (e->flags & VIGIL_CFG_F_INLINE) {
			if (e->size < 2 ||
			    (e->def_str && strlen(e->def_str) >= e->size))
				return table_error(c, k, "has a default longer "
							 "than its buffer");
		} else if (e->size != sizeof(const char *)) {
			return table_error(c, k, "is a string whose member "
						 "is not a pointer");
		}
		if (e->type == VIGIL_CFG_T_PATH && e->def_str &&
		    e->def_str[0] != '/')
			return table_error(c, k, "has a default path that is "
						 "not absolute");
		break;
	case VIGIL_CFG_T_STRLIST:
	case VIGIL_CFG_T_PATHLIST:
		if (e->size < sizeof(const char *) ||
		    e->size % sizeof(const char *))
			return table_error(c, k, "is a list whose member is "
						 "not an array of pointers");
		if (settings_size && e->count_offset + sizeof(size_t) >
					     settings_size)
			return table_error(c, k, "has its count outside the "
						 "settings struct");
		break;
	case VIGIL_CFG_T_MAP:
	case VIGIL_CFG_T_SEQ:
		if (e->size != sizeof(const void *))
			return table_error(c, k, "is a node whose member is "
						 "not a pointer");
		break;
	default:
		return table_error(c, k, "has an unknown type");
	}
	return 0;
}

int vigil_confmap_check_table(const struct vigil_config_entry *table,
			      size_t n, size_t entry_size,
			      size_t settings_size, const char *where,
			      struct vigil_buf *err)
{
	struct ctx c = { table, n, entry_size, where ? where : "", err };
	struct vigil_config_entry e, o;
	int rc;

	if (entry_size < ENTRY_MIN_SIZE || (n && !table))
		return table_error(&c, "*", "is smaller than any known "
					    "table entry");
	for (size_t i = 0; i < n; i++) {
		entry_at(&c, i, &e);
		rc = check_entry(&c, &e, settings_size);
		if (rc)
			return rc;
		for (size_t j = 0; j < i; j++) {
			size_t lj, li = strlen(e.key);

			entry_at(&c, j, &o);
			lj = strlen(o.key);
			if (strcmp(o.key, e.key) == 0)
				return table_error(&c, e.key, "is there twice");
			if ((lj < li && strncmp(o.key, e.key, lj) == 0 &&
			     e.key[lj] == '.') ||
			    (li < lj && strncmp(o.key, e.key, li) == 0 &&
			     o.key[li] == '.'))
				return table_error(&c, e.key,
						   "is both a setting and a "
						   "map of settings");
		}
	}
	return 0;
}

/* ---- reading ---- */

/* "'text'", "a map" or "a list", for messages. */
static void describe(char *buf, size_t cap, const struct vigil_node *n)
{
	if (n->type == VIGIL_NODE_MAP)
		snprintf(buf, cap, "a map");
	else if (n->type == VIGIL_NODE_SEQ)
		snprintf(buf, cap, "a list");
	else
		snprintf(buf, cap, "'%.100s'", n->str);
}

/*
 * Reports that the value n does not suit entry e (or that e is missing,
 * n its parent): "file:line:col: ", the formatted message (path, what it
 * wants, what it got), then " (help)" when the entry has help.  Returns
 * -EINVAL, for the caller to return.
 */
static int bad_value(const struct ctx *c, const struct vigil_config_entry *e,
		     const struct vigil_node *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int bad_value(const struct ctx *c, const struct vigil_config_entry *e,
		     const struct vigil_node *n, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vigil_node_error(c->err, n, "%s", msg);
	if (e->help && *e->help)
		vigil_buf_printf(c->err, " (%s)", e->help);
	return -EINVAL;
}

/* Next component of every key under prefix, each once, for suggestions. */
static size_t level_keys(const struct ctx *c, const char *prefix,
			 char **out, size_t cap)
{
	struct vigil_config_entry e;
	size_t plen = strlen(prefix), k = 0;

	for (size_t i = 0; i < c->n && k < cap; i++) {
		const char *rest, *dot;
		size_t len, j;

		entry_at(c, i, &e);
		if (strncmp(e.key, prefix, plen) != 0)
			continue;
		rest = e.key + plen;
		dot = strchr(rest, '.');
		len = dot ? (size_t)(dot - rest) : strlen(rest);
		for (j = 0; j < k; j++)
			if (strlen(out[j]) == len &&
			    memcmp(out[j], rest, len) == 0)
				break;
		if (j < k)
			continue;
		out[k] = strndup(rest, len);
		if (!out[k])
			break;
		k++;
	}
	return k;
}

static int unknown_key(const struct ctx *c, const struct vigil_node *key,
		       const char *prefix)
{
	char *cands[128], what[PATH_CAP];
	size_t n = level_keys(c, prefix, cands, VIGIL_ARRAY_SIZE(cands));
	const char *near =
		vigil_nearest(key->str, (const char *const *)cands, n);

	full_path(what, c->where, prefix, *prefix ? strlen(prefix) - 1 : 0);
	vigil_node_error(c->err, key, "unknown key '%s' in %s", key->str,
			 *what ? what : "the configuration");
	if (near) {
		vigil_buf_printf(c->err, " (did you mean '%s'?)", near);
	} else {
		vigil_buf_printf(c->err, " (allowed: ");
		for (size_t i = 0; i < n; i++)
			vigil_buf_printf(c->err, "%s%s", i ? ", " : "",
					 cands[i]);
		vigil_buf_printf(c->err, ")");
	}
	for (size_t i = 0; i < n; i++)
		free(cands[i]);
	return -EINVAL;
}

/*
 * Checks that every key of map (the level of the section under prefix,
 * "" or "rotate.") is a setting or a map of settings, recursing into the
 * latter.
 */
static int check_keys(const struct ctx *c, const struct vigil_node *map,
		      const char *prefix)
{
	struct vigil_config_entry e;
	char full[PATH_CAP], path[PATH_CAP];

	for (size_t i = 0; i < map->n; i++) {
		const struct vigil_node *k = map->keys[i], *v = map->items[i];
		bool leaf = false, group = false;
		size_t flen;

		snprintf(full, sizeof(full), "%s%s", prefix, k->str);
		flen = strlen(full);
		for (size_t j = 0; j < c->n && !leaf; j++) {
			entry_at(c, j, &e);
			leaf = strcmp(e.key, full) == 0;
			group |= strncmp(e.key, full, flen) == 0 &&
				 e.key[flen] == '.';
		}
		if (leaf)
			continue;
		if (!group || strlen(k->str) != k->len)
			return unknown_key(c, k, prefix);
		if (vigil_node_is_null(v))
			continue;
		if (v->type != VIGIL_NODE_MAP) {
			vigil_node_error(c->err, v,
					 "%s: want a map of settings",
					 full_path(path, c->where, full,
						   flen));
			return -EINVAL;
		}
		if (flen + 2 >= sizeof(full))
			return unknown_key(c, k, prefix);
		full[flen] = '.';
		full[flen + 1] = '\0';
		{
			int rc = check_keys(c, v, full);

			if (rc)
				return rc;
		}
	}
	return 0;
}

/*
 * The node of a dotted key, or NULL when absent or null; *parent is the
 * deepest map found on the way (for the position of "is required").
 */
static const struct vigil_node *lookup(const struct vigil_node *section,
				       const char *key,
				       const struct vigil_node **parent)
{
	const struct vigil_node *n = section;
	char part[PATH_CAP];

	*parent = section;
	while (n && n->type == VIGIL_NODE_MAP) {
		const char *dot = strchr(key, '.');
		size_t len = dot ? (size_t)(dot - key) : strlen(key);

		snprintf(part, sizeof(part), "%.*s", (int)len, key);
		*parent = n;
		n = vigil_node_get(n, part);
		if (!dot)
			return vigil_node_is_null(n) ? NULL : n;
		key = dot + 1;
	}
	return NULL;
}

/* Writes a size: 0, 512, 8M. */
static void fmt_size(char *buf, size_t cap, int64_t v)
{
	static const char units[] = "kMGT";
	int u = -1;

	while (v && v % 1024 == 0 && u < 3) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, cap, "%" PRId64, v);
	else
		snprintf(buf, cap, "%" PRId64 "%c", v, units[u]);
}

/* Writes a duration of ns in the largest unit that divides it. */
static void fmt_duration(char *buf, size_t cap, int64_t ns)
{
	static const struct {
		const char *name;
		int64_t ns;
	} units[] = {
		{ "d", INT64_C(86400000000000) }, { "h", INT64_C(3600000000000) },
		{ "m", INT64_C(60000000000) },	  { "s", INT64_C(1000000000) },
		{ "ms", INT64_C(1000000) },	  { "us", INT64_C(1000) },
	};

	if (ns == 0) {
		snprintf(buf, cap, "0");
		return;
	}
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(units); i++) {
		if (ns % units[i].ns == 0) {
			snprintf(buf, cap, "%" PRId64 "%s", ns / units[i].ns,
				 units[i].name);
			return;
		}
	}
	snprintf(buf, cap, "%" PRId64 "ns", ns);
}

/* Writes the range of e in its own terms: "from 0 to 1s". */
static void fmt_range(char *buf, size_t cap,
		      const struct vigil_config_entry *e)
{
	char lo[48], hi[48];
	bool open_top = e->max == INT64_MAX;

	switch (e->type) {
	case VIGIL_CFG_T_SIZE:
		fmt_size(lo, sizeof(lo), e->min);
		fmt_size(hi, sizeof(hi), e->max);
		break;
	case VIGIL_CFG_T_DURATION:
		fmt_duration(lo, sizeof(lo),
			     e->min <= INT64_MAX / e->unit ? e->min * e->unit :
							    INT64_MAX);
		if (e->max > INT64_MAX / e->unit)
			open_top = true;
		else
			fmt_duration(hi, sizeof(hi), e->max * e->unit);
		break;
	default:
		snprintf(lo, sizeof(lo), "%" PRId64, e->min);
		snprintf(hi, sizeof(hi), "%" PRId64, e->max);
		break;
	}
	if (open_top)
		snprintf(buf, cap, "of at least %s", lo);
	else
		snprintf(buf, cap, "from %s to %s", lo, hi);
}

/* "P: 'x' is not one of a, b, c (did you mean 'y'?)" */
static int name_error(const struct ctx *c, const struct vigil_config_entry *e,
		      const struct vigil_node *n, const char *path)
{
	const char *list[64], *near;
	char got[128];
	size_t k = 0;

	for (size_t i = 0; e->names[i].name && k < VIGIL_ARRAY_SIZE(list);
	     i++) {
		size_t j;

		for (j = 0; j < i; j++)
			if (e->names[j].value == e->names[i].value)
				break;
		if (j == i) /* aliases are accepted, not listed */
			list[k++] = e->names[i].name;
	}
	describe(got, sizeof(got), n);
	near = vigil_node_is_scalar(n) ? vigil_nearest(n->str, list, k) : NULL;
	vigil_node_error(c->err, n, "%s: %s is not one of ", path, got);
	for (size_t i = 0; i < k; i++)
		vigil_buf_printf(c->err, "%s%s", i ? ", " : "", list[i]);
	if (near)
		vigil_buf_printf(c->err, " (did you mean '%s'?)", near);
	return -EINVAL;
}

static int name_value(const struct vigil_config_entry *e,
		      const struct vigil_node *n, int64_t *out)
{
	if (!vigil_node_is_scalar(n))
		return -EINVAL;
	for (size_t i = 0; e->names[i].name; i++) {
		if (strcasecmp(n->str, e->names[i].name) == 0) {
			*out = e->names[i].value;
			return 0;
		}
	}
	return -EINVAL;
}

/* A scalar usable as a string: non-empty, no NUL; paths absolute. */
static int string_value(const struct ctx *c, const struct vigil_node *n,
			const char *path, bool want_path)
{
	char got[128];

	if (!vigil_node_is_scalar(n) || n->len == 0) {
		describe(got, sizeof(got), n);
		vigil_node_error(c->err, n, "%s: want a non-empty %s, not %s",
				 path, want_path ? "path" : "string",
				 n->len == 0 && vigil_node_is_scalar(n) ?
					 "an empty one" : got);
		return -EINVAL;
	}
	if (strlen(n->str) != n->len) {
		vigil_node_error(c->err, n, "%s: contains a NUL byte", path);
		return -EINVAL;
	}
	if (want_path && n->str[0] != '/') {
		vigil_node_error(c->err, n,
				 "%s: want an absolute path (starting with '/'), not '%s'",
				 path, n->str);
		return -EINVAL;
	}
	return 0;
}

static int read_list(const struct ctx *c, const struct vigil_config_entry *e,
		     const struct vigil_node *n, const char *path, char *base)
{
	size_t cap = e->size / sizeof(const char *), count = 0;
	const struct vigil_node *one[1] = { n };
	const struct vigil_node *const *items = one;
	size_t n_items = 1;
	int rc;

	if (n->type == VIGIL_NODE_MAP)
		return bad_value(c, e, n, "%s: want a list of %s, not a map",
				 path, e->type == VIGIL_CFG_T_PATHLIST ?
					       "absolute paths" : "strings");
	if (n->type == VIGIL_NODE_SEQ) {
		items = (const struct vigil_node *const *)n->items;
		n_items = n->n;
	}
	if (n_items > cap) {
		vigil_node_error(c->err, n, "%s: at most %zu entries, not %zu",
				 path, cap, n_items);
		return -EINVAL;
	}
	for (size_t i = 0; i < n_items; i++) {
		const char *s;

		rc = string_value(c, items[i], path,
				  e->type == VIGIL_CFG_T_PATHLIST);
		if (rc)
			return rc;
		s = items[i]->str;
		memcpy(base + e->offset + count * sizeof(s), &s, sizeof(s));
		count++;
	}
	memcpy(base + e->count_offset, &count, sizeof(count));
	return 0;
}

static void set_default(const struct vigil_config_entry *e, char *base)
{
	const void *nul = NULL;
	size_t zero = 0;

	switch (e->type) {
	case VIGIL_CFG_T_STR:
	case VIGIL_CFG_T_PATH:
		if (e->flags & VIGIL_CFG_F_INLINE) {
			memset(base + e->offset, 0, e->size);
			if (e->def_str)
				memcpy(base + e->offset, e->def_str,
				       strlen(e->def_str));
		} else {
			memcpy(base + e->offset, &e->def_str,
			       sizeof(e->def_str));
		}
		break;
	case VIGIL_CFG_T_STRLIST:
	case VIGIL_CFG_T_PATHLIST:
		memset(base + e->offset, 0, e->size);
		memcpy(base + e->count_offset, &zero, sizeof(zero));
		break;
	case VIGIL_CFG_T_MAP:
	case VIGIL_CFG_T_SEQ:
		memcpy(base + e->offset, &nul, sizeof(nul));
		break;
	default:
		store_num(base + e->offset, e->size, e->def);
		break;
	}
}

/* Reads the value n of entry e into base.  Returns 0 or -EINVAL. */
static int read_value(const struct ctx *c, const struct vigil_config_entry *e,
		      const struct vigil_node *n, char *base)
{
	char path[PATH_CAP], got[128], range[128];
	int64_t v = 0;
	int rc;

	full_path(path, c->where, e->key, strlen(e->key));
	describe(got, sizeof(got), n);
	fmt_range(range, sizeof(range), e);
	switch (e->type) {
	case VIGIL_CFG_T_BOOL:
		if (!vigil_node_is_scalar(n) ||
		    (strcasecmp(n->str, "true") && strcasecmp(n->str, "yes") &&
		     strcasecmp(n->str, "false") && strcasecmp(n->str, "no"))) {
			return bad_value(c, e, n,
					 "%s: want true or false (or yes, no), not %s",
					 path, got);
		}
		v = !strcasecmp(n->str, "true") || !strcasecmp(n->str, "yes");
		break;
	case VIGIL_CFG_T_INT:
	case VIGIL_CFG_T_SIZE: {
		/* a size is an integer that may carry a k, M, G or T suffix */
		bool size = e->type == VIGIL_CFG_T_SIZE;

		if ((size ? vigil_node_size(n, &v) : vigil_node_int(n, &v)) ||
		    v < e->min || v > e->max)
			return bad_value(c, e, n, "%s: want %s %s%s, not %s",
					 path, size ? "a size" : "an integer",
					 range,
					 size ? " (such as 512k or 8M)" : "",
					 got);
		break;
	}
	case VIGIL_CFG_T_DURATION: {
		char unit[16];
		int64_t ns;

		if (vigil_node_duration(n, &ns))
			return bad_value(c, e, n,
					 "%s: want a duration %s (such as 500ms, 2s or 5m), not %s",
					 path, range, got);
		if (ns % e->unit) {
			fmt_duration(unit, sizeof(unit), e->unit);
			vigil_node_error(c->err, n,
					 "%s: %s is finer than this setting counts (1 unit is %s); want a duration %s",
					 path, got, unit, range);
			return -EINVAL;
		}
		v = ns / e->unit;
		if (v < e->min || v > e->max)
			return bad_value(c, e, n,
					 "%s: want a duration %s, not %s",
					 path, range, got);
		break;
	}
	case VIGIL_CFG_T_ENUM:
		if (name_value(e, n, &v))
			return name_error(c, e, n, path);
		break;
	case VIGIL_CFG_T_FLAGS:
		if (n->type != VIGIL_NODE_SEQ)
			return bad_value(c, e, n,
					 "%s: want a list of names, not %s",
					 path, got);
		for (size_t i = 0; i < n->n; i++) {
			int64_t bit;

			if (name_value(e, n->items[i], &bit))
				return name_error(c, e, n->items[i], path);
			v |= bit;
		}
		break;
	case VIGIL_CFG_T_STR:
	case VIGIL_CFG_T_PATH:
		rc = string_value(c, n, path, e->type == VIGIL_CFG_T_PATH);
		if (rc)
			return rc;
		if (!(e->flags & VIGIL_CFG_F_INLINE)) {
			memcpy(base + e->offset, &n->str, sizeof(n->str));
			return 0;
		}
		if (n->len >= e->size) {
			vigil_node_error(c->err, n,
					 "%s: longer than %zu bytes",
					 path, e->size - 1);
			return -EINVAL;
		}
		memcpy(base + e->offset, n->str, n->len + 1);
		return 0;
	case VIGIL_CFG_T_STRLIST:
	case VIGIL_CFG_T_PATHLIST:
		return read_list(c, e, n, path, base);
	case VIGIL_CFG_T_MAP:
	case VIGIL_CFG_T_SEQ:
		if (n->type != (e->type == VIGIL_CFG_T_MAP ? VIGIL_NODE_MAP :
							     VIGIL_NODE_SEQ)) {
			return bad_value(c, e, n, "%s: want a %s, not %s",
					 path,
					 e->type == VIGIL_CFG_T_MAP ? "map" :
								      "list",
					 got);
		}
		memcpy(base + e->offset, &n, sizeof(n));
		return 0;
	default:
		return -EINVAL;
	}
	store_num(base + e->offset, e->size, v);
	return 0;
}

int vigil_confmap_read(const struct vigil_config_entry *table, size_t n,
		       size_t entry_size, const struct vigil_node *section,
		       const char *where, void *settings, struct vigil_buf *err)
{
	struct ctx c = { table, n, entry_size, where ? where : "", err };
	struct vigil_config_entry e;
	char path[PATH_CAP];
	int rc;

	rc = vigil_confmap_check_table(table, n, entry_size, 0, where, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		entry_at(&c, i, &e);
		set_default(&e, settings);
	}
	if (vigil_node_is_null(section))
		section = NULL;
	if (section && section->type != VIGIL_NODE_MAP) {
		vigil_node_error(err, section, "%s must be a map of settings",
				 *c.where ? c.where : "the configuration");
		return -EINVAL;
	}
	if (section) {
		rc = check_keys(&c, section, "");
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < n; i++) {
		const struct vigil_node *v, *parent;

		entry_at(&c, i, &e);
		v = lookup(section, e.key, &parent);
		if (!v && e.required)
			return bad_value(&c, &e, parent, "%s is required",
					 full_path(path, c.where, e.key,
						   strlen(e.key)));
		if (v && (rc = read_value(&c, &e, v, settings)))
			return rc;
	}
	return 0;
}
