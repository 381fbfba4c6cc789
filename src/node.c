/*
 * node.c - YAML and JSON loaders into a positioned document tree.
 *
 * Both loaders trust nothing: depth is bounded, aliases (the YAML "billion
 * laughs") and duplicate keys are refused, and every error carries the
 * position libyaml or the JSON scanner stopped at.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "node.h"

void vigil_verror_at(struct vigil_buf *err, const char *file, uint32_t line,
		     uint32_t col, const char *fmt, va_list ap)
{
	char msg[1024];

	if (!err)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (file)
		vigil_buf_printf(err, "%s:%u:%u: %s", file, line, col, msg);
	else
		vigil_buf_printf(err, "%s", msg);
}

void vigil_node_verror(struct vigil_buf *err, const struct vigil_node *n,
		       const char *fmt, va_list ap)
{
	vigil_verror_at(err, n ? n->file : NULL, n ? n->line : 0,
			n ? n->col : 0, fmt, ap);
}

void vigil_node_error(struct vigil_buf *err, const struct vigil_node *n,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vigil_node_verror(err, n, fmt, ap);
	va_end(ap);
}

static void node_free(struct vigil_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		if (n->keys)
			node_free(n->keys[i]);
		node_free(n->items[i]);
	}
	free(n->keys);
	free(n->items);
	free(n->str);
	free(n);
}

void vigil_doc_free(struct vigil_doc *doc)
{
	node_free(doc->root);
	free(doc->file);
	doc->root = NULL;
	doc->file = NULL;
}

static struct vigil_node *node_new(int type, const char *file, uint32_t line,
				   uint32_t col)
{
	struct vigil_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->type = type;
	n->file = file;
	n->line = line;
	n->col = col;
	return n;
}

/* Appends child (and key, for maps) to parent.  Returns 0 or -ENOMEM. */
static int node_add(struct vigil_node *parent, struct vigil_node *key,
		    struct vigil_node *child)
{
	struct vigil_node **items, **keys;

	items = realloc(parent->items, (parent->n + 1) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	parent->items = items;
	if (parent->type == VIGIL_NODE_MAP) {
		keys = realloc(parent->keys, (parent->n + 1) * sizeof(*keys));
		if (!keys)
			return -ENOMEM;
		parent->keys = keys;
		keys[parent->n] = key;
	}
	items[parent->n++] = child;
	return 0;
}

struct vigil_node *vigil_node_get(const struct vigil_node *map,
				  const char *key)
{
	size_t klen = strlen(key);

	if (!map || map->type != VIGIL_NODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (map->keys[i]->len == klen &&
		    memcmp(map->keys[i]->str, key, klen) == 0)
			return map->items[i];
	return NULL;
}

struct vigil_node *vigil_node_path(const struct vigil_node *root,
				   const char *path)
{
	char seg[128];
	const char *p = path, *dot;
	const struct vigil_node *n = root;

	while (n && *p) {
		size_t len;

		dot = strchr(p, '.');
		len = dot ? (size_t)(dot - p) : strlen(p);
		if (len >= sizeof(seg))
			return NULL;
		memcpy(seg, p, len);
		seg[len] = '\0';
		n = vigil_node_get(n, seg);
		p = dot ? dot + 1 : p + len;
	}
	return (struct vigil_node *)n;
}

bool vigil_node_is_scalar(const struct vigil_node *n)
{
	return n && n->type == VIGIL_NODE_SCALAR;
}

bool vigil_node_is_null(const struct vigil_node *n)
{
	if (!n)
		return true;
	if (n->type != VIGIL_NODE_SCALAR || n->quoted)
		return false;
	return n->len == 0 || strcmp(n->str, "~") == 0 ||
	       strcasecmp(n->str, "null") == 0;
}

int vigil_node_bool(const struct vigil_node *n, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };

	if (!vigil_node_is_scalar(n))
		return -EINVAL;
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(yes); i++) {
		if (strcasecmp(n->str, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(n->str, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_int(const char *s, size_t len, int64_t *out, char **end)
{
	char buf[32];
	long long v;
	char *e;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtoll(buf, &e, 0);
	if (errno || e == buf)
		return -EINVAL;
	*out = v;
	*end = (char *)s + (e - buf);
	return 0;
}

int vigil_node_int(const struct vigil_node *n, int64_t *out)
{
	char *end;

	if (!vigil_node_is_scalar(n) ||
	    parse_int(n->str, n->len, out, &end) || end != n->str + n->len)
		return -EINVAL;
	return 0;
}

int vigil_node_size(const struct vigil_node *n, int64_t *out)
{
	static const char units[] = "kmgt";
	int64_t v;
	char *end;
	const char *u;

	if (!vigil_node_is_scalar(n) || parse_int(n->str, n->len, &v, &end) ||
	    v < 0)
		return -EINVAL;
	if (end == n->str + n->len) {
		*out = v;
		return 0;
	}
	u = *end ? strchr(units, *end | 0x20) : NULL;
	if (!u)
		return -EINVAL;
	end++;
	if (*end == 'i' || *end == 'I')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (end != n->str + n->len)
		return -EINVAL;
	for (long i = 0; i <= u - units; i++) {
		if (v > INT64_MAX / 1024)
			return -ERANGE;
		v *= 1024;
	}
	*out = v;
	return 0;
}

int64_t vigil_duration_unit(const char *u, size_t n)
{
	static const struct {
		const char *unit;
		int64_t ns;
	} units[] = {
		{ "ns", 1 },
		{ "us", 1000 },
		{ "ms", 1000000 },
		{ "s", 1000000000 },
		{ "m", INT64_C(60000000000) },
		{ "h", INT64_C(3600000000000) },
		{ "d", INT64_C(86400000000000) },
	};

	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(units); i++) {
		if (strlen(units[i].unit) == n &&
		    memcmp(u, units[i].unit, n) == 0)
			return units[i].ns;
	}
	return 0;
}

int vigil_parse_duration(const char *s, size_t len, int64_t *out_ns)
{
	int64_t v, unit;
	char *end;
	size_t ulen;

	if (parse_int(s, len, &v, &end) || v < 0)
		return -EINVAL;
	ulen = len - (size_t)(end - s);
	if (ulen == 0) {
		if (v > INT64_MAX / 1000000000)
			return -ERANGE;
		*out_ns = v * 1000000000;
		return 0;
	}
	unit = vigil_duration_unit(end, ulen);
	if (!unit)
		return -EINVAL;
	if (v > INT64_MAX / unit)
		return -ERANGE;
	*out_ns = v * unit;
	return 0;
}

int vigil_node_duration(const struct vigil_node *n, int64_t *out_ns)
{
	if (!vigil_node_is_scalar(n))
		return -EINVAL;
	return vigil_parse_duration(n->str, n->len, out_ns);
}

/* ---- YAML ---- */

struct yaml_frame {
	struct vigil_node *node;
	struct vigil_node *pending_key; /* maps: key waiting for its value */
};

/*
 * Attaches n to the frame on top of the stack.  For maps the first node
 * of each pair is the key: it must be a scalar and must not repeat.
 */
static int yaml_attach(struct yaml_frame *top, struct vigil_node *n,
		       struct vigil_buf *err)
{
	struct vigil_node *map = top->node;

	if (map->type == VIGIL_NODE_SEQ)
		return node_add(map, NULL, n);
	if (!top->pending_key) {
		if (n->type != VIGIL_NODE_SCALAR) {
			vigil_node_error(err, n,
					 "a mapping key must be a plain value");
			return -EINVAL;
		}
		for (size_t i = 0; i < map->n; i++) {
			if (map->keys[i]->len == n->len &&
			    memcmp(map->keys[i]->str, n->str, n->len) == 0) {
				vigil_node_error(
					err, n,
					"duplicate key '%s' (first at line %u)",
					n->str, map->keys[i]->line);
				return -EINVAL;
			}
		}
		top->pending_key = n;
		return 1; /* not owned by the tree yet */
	}
	if (node_add(map, top->pending_key, n))
		return -ENOMEM;
	top->pending_key = NULL;
	return 0;
}

int vigil_doc_load_yaml(const char *name, const char *data, size_t len,
			struct vigil_doc *doc, struct vigil_buf *err)
{
	struct yaml_frame stack[VIGIL_DOC_MAX_DEPTH + 1];
	int depth = 0, rc = 0, docs = 0;
	yaml_parser_t parser;
	yaml_event_t ev;
	bool done = false;

	memset(doc, 0, sizeof(*doc));
	doc->file = strdup(name);
	if (!doc->file)
		return -ENOMEM;
	if (!yaml_parser_initialize(&parser)) {
		vigil_doc_free(doc);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);

	while (!done) {
		struct vigil_node *n = NULL;
		uint32_t line, col;

		if (!yaml_parser_parse(&parser, &ev)) {
			size_t at = parser.problem_mark.index;

			vigil_buf_printf(
				err, "%s:%zu:%zu: YAML syntax error: %s%s%s%s",
				name, parser.problem_mark.line + 1,
				parser.problem_mark.column + 1,
				parser.problem ? parser.problem : "invalid",
				parser.context ? " " : "",
				parser.context ? parser.context : "",
				at < len && data[at] == '\t' ?
					" (a tab: indent YAML with spaces)" :
					"");
			rc = -EINVAL;
			break;
		}
		line = (uint32_t)ev.start_mark.line + 1;
		col = (uint32_t)ev.start_mark.column + 1;

		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				vigil_buf_printf(
					err,
					"%s:%u:%u: only one YAML document is allowed per file",
					name, line, col);
				rc = -EINVAL;
			}
			break;
		case YAML_ALIAS_EVENT:
			vigil_buf_printf(
				err,
				"%s:%u:%u: YAML aliases (*name) are not supported; write the value out",
				name, line, col);
			rc = -EINVAL;
			break;
		case YAML_SCALAR_EVENT:
			n = node_new(VIGIL_NODE_SCALAR, doc->file, line, col);
			if (!n) {
				rc = -ENOMEM;
				break;
			}
			n->str = malloc(ev.data.scalar.length + 1);
			if (!n->str) {
				free(n);
				rc = -ENOMEM;
				break;
			}
			memcpy(n->str, ev.data.scalar.value,
			       ev.data.scalar.length);
			n->str[ev.data.scalar.length] = '\0';
			n->len = ev.data.scalar.length;
			n->quoted =
				ev.data.scalar.style !=
					YAML_PLAIN_SCALAR_STYLE;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth >= VIGIL_DOC_MAX_DEPTH) {
				vigil_buf_printf(
					err,
					"%s:%u:%u: nesting deeper than %d levels",
					name, line, col, VIGIL_DOC_MAX_DEPTH);
				rc = -EINVAL;
				break;
			}
			n = node_new(ev.type == YAML_MAPPING_START_EVENT ?
					     VIGIL_NODE_MAP :
					     VIGIL_NODE_SEQ,
				     doc->file, line, col);
			if (!n)
				rc = -ENOMEM;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (rc)
			break;
		if (!n)
			continue;
		if (depth == 0) {
			if (doc->root) {
				node_free(n);
				continue;
			}
			doc->root = n;
		} else {
			int a = yaml_attach(&stack[depth], n, err);

			if (a < 0) {
				node_free(n);
				rc = a;
				break;
			}
		}
		if (n->type != VIGIL_NODE_SCALAR) {
			depth++;
			stack[depth].node = n;
			stack[depth].pending_key = NULL;
		}
	}
	/* A key whose value never came (error path) is not in the tree. */
	for (int i = 1; i <= depth && rc; i++)
		node_free(stack[i].pending_key);
	yaml_parser_delete(&parser);
	if (rc)
		vigil_doc_free(doc);
	return rc;
}

int vigil_doc_load_yaml_file(const char *path, struct vigil_doc *doc,
			     struct vigil_buf *err)
{
	struct vigil_buf data = { 0 };
	int rc;

	memset(doc, 0, sizeof(*doc));
	rc = vigil_read_file(path, 64u << 20, &data, err);
	if (!rc)
		rc = vigil_doc_load_yaml(path, data.data, data.len, doc, err);
	vigil_buf_free(&data);
	return rc;
}

/* ---- JSON ---- */

struct json_in {
	const char *p, *start, *end;
	const char *file;
	struct vigil_buf *err;
	uint32_t line;
	const char *line_start;
};

static void json_error(struct json_in *in, const char *what)
{
	vigil_buf_printf(in->err, "%s:%u:%u: JSON: %s", in->file,
			       in->line,
			       (uint32_t)(in->p - in->line_start) + 1, what);
}

static void json_ws(struct json_in *in)
{
	while (in->p < in->end) {
		char c = *in->p;

		if (c == '\n') {
			in->line++;
			in->line_start = in->p + 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			break;
		}
		in->p++;
	}
}

static int hex4(const char *p, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		int d = vigil_hex_digit(p[i]);

		if (d < 0)
			return -EINVAL;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 0;
}

static int utf8_put(struct vigil_buf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return vigil_buf_append(b, u, n);
}

/* Scans a string starting at the opening quote into b. */
static int json_string(struct json_in *in, struct vigil_buf *b)
{
	in->p++; /* opening quote */
	while (in->p < in->end) {
		unsigned char c = (unsigned char)*in->p;
		uint32_t cp, lo;

		if (c == '"') {
			in->p++;
			return 0;
		}
		if (c < 0x20) {
			json_error(in, "control character in string");
			return -EINVAL;
		}
		if (c != '\\') {
			if (vigil_buf_putc(b, (char)c))
				return -ENOMEM;
			in->p++;
			continue;
		}
		if (in->end - in->p < 2)
			break;
		in->p++;
		switch (*in->p) {
		case '"':
		case '\\':
		case '/':
			c = (unsigned char)*in->p;
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u':
			if (in->end - in->p < 5 || hex4(in->p + 1, &cp)) {
				json_error(in, "bad \\u escape");
				return -EINVAL;
			}
			in->p += 5;
			if (cp >= 0xdc80 && cp <= 0xdcff) {
				/* vigil's encoding of a raw (non-UTF-8) byte */
				if (vigil_buf_putc(b, (char)(cp - 0xdc00)))
					return -ENOMEM;
				continue;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (in->end - in->p < 6 || in->p[0] != '\\' ||
				    in->p[1] != 'u' || hex4(in->p + 2, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff) {
					json_error(in, "unpaired surrogate");
					return -EINVAL;
				}
				in->p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				json_error(in, "unpaired surrogate");
				return -EINVAL;
			}
			if (utf8_put(b, cp))
				return -ENOMEM;
			continue;
		default:
			json_error(in, "bad escape");
			return -EINVAL;
		}
		if (vigil_buf_putc(b, (char)c))
			return -ENOMEM;
		in->p++;
	}
	json_error(in, "unterminated string");
	return -EINVAL;
}

static int json_value(struct json_in *in, struct vigil_node **out, int depth,
		      const char *file);

static struct vigil_node *json_scalar_node(struct json_in *in,
					   struct vigil_buf *b, bool quoted,
					   uint32_t line, uint32_t col,
					   const char *file)
{
	struct vigil_node *n = node_new(VIGIL_NODE_SCALAR, file, line, col);

	if (!n)
		return NULL;
	n->str = malloc(b->len + 1);
	if (!n->str) {
		free(n);
		return NULL;
	}
	if (b->len)
		memcpy(n->str, b->data, b->len);
	n->str[b->len] = '\0';
	n->len = b->len;
	n->quoted = quoted;
	(void)in;
	return n;
}

static int json_value(struct json_in *in, struct vigil_node **out, int depth,
		      const char *file)
{
	struct vigil_buf b = { 0 };
	struct vigil_node *n = NULL, *k = NULL, *v = NULL;
	uint32_t line, col;
	int rc;

	json_ws(in);
	if (in->p >= in->end) {
		json_error(in, "unexpected end of input");
		return -EINVAL;
	}
	line = in->line;
	col = (uint32_t)(in->p - in->line_start) + 1;
	if (depth > VIGIL_DOC_MAX_DEPTH) {
		json_error(in, "nesting too deep");
		return -EINVAL;
	}
	if (*in->p == '"') {
		rc = json_string(in, &b);
		if (!rc) {
			n = json_scalar_node(in, &b, true, line, col, file);
			rc = n ? 0 : -ENOMEM;
		}
		vigil_buf_free(&b);
		*out = n;
		return rc;
	}
	if (*in->p == '{' || *in->p == '[') {
		bool is_map = *in->p == '{';
		char close = is_map ? '}' : ']';

		n = node_new(is_map ? VIGIL_NODE_MAP : VIGIL_NODE_SEQ, file,
			     line, col);
		if (!n)
			return -ENOMEM;
		in->p++;
		json_ws(in);
		if (in->p < in->end && *in->p == close) {
			in->p++;
			*out = n;
			return 0;
		}
		for (;;) {
			k = v = NULL;
			if (is_map) {
				json_ws(in);
				if (in->p >= in->end || *in->p != '"') {
					json_error(in, "expected a string key");
					rc = -EINVAL;
					goto fail;
				}
				rc = json_value(in, &k, depth + 1, file);
				if (rc)
					goto fail;
				if (vigil_node_get(n, k->str)) {
					json_error(in, "duplicate key");
					rc = -EINVAL;
					goto fail;
				}
				json_ws(in);
				if (in->p >= in->end || *in->p != ':') {
					json_error(in, "expected ':'");
					rc = -EINVAL;
					goto fail;
				}
				in->p++;
			}
			rc = json_value(in, &v, depth + 1, file);
			if (rc)
				goto fail;
			rc = node_add(n, k, v);
			if (rc)
				goto fail;
			json_ws(in);
			if (in->p < in->end && *in->p == ',') {
				in->p++;
				continue;
			}
			if (in->p < in->end && *in->p == close) {
				in->p++;
				*out = n;
				return 0;
			}
			json_error(in, is_map ? "expected ',' or '}'" :
						"expected ',' or ']'");
			k = v = NULL;
			rc = -EINVAL;
			goto fail;
		}
fail:
		node_free(k);
		node_free(v);
		node_free(n);
		return rc;
	}
	/* number, true, false, null */
	{
		const char *s = in->p;

		while (in->p < in->end &&
		       (strchr("+-.eE", *in->p) ||
			(*in->p >= '0' && *in->p <= '9') ||
			(*in->p >= 'a' && *in->p <= 'z')))
			in->p++;
		if (in->p == s) {
			json_error(in, "unexpected character");
			return -EINVAL;
		}
		if (vigil_buf_append(&b, s, (size_t)(in->p - s)))
			return -ENOMEM;
		vigil_buf_cstr(&b);
		if (!(strcmp(b.data, "true") == 0 ||
		      strcmp(b.data, "false") == 0 ||
		      strcmp(b.data, "null") == 0 ||
		      strspn(b.data, "+-.eE0123456789") == b.len)) {
			in->p = s;
			json_error(in, "unexpected literal");
			vigil_buf_free(&b);
			return -EINVAL;
		}
		n = json_scalar_node(in, &b, false, line, col, file);
		vigil_buf_free(&b);
		*out = n;
		return n ? 0 : -ENOMEM;
	}
}

int vigil_doc_load_json(const char *name, const char *data, size_t len,
			struct vigil_doc *doc, struct vigil_buf *err)
{
	struct json_in in = {
		.p = data, .start = data, .end = data + len, .file = name,
		.err = err, .line = 1, .line_start = data,
	};
	int rc;

	memset(doc, 0, sizeof(*doc));
	doc->file = strdup(name);
	if (!doc->file)
		return -ENOMEM;
	in.file = doc->file;
	rc = json_value(&in, &doc->root, 0, doc->file);
	if (!rc) {
		json_ws(&in);
		if (in.p != in.end) {
			json_error(&in, "trailing data after the value");
			rc = -EINVAL;
		}
	}
	if (rc)
		vigil_doc_free(doc);
	return rc;
}
