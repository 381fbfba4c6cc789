/*
 * node.h - a document tree with source positions, loaded from YAML
 * (libyaml) or JSON.  Configuration, policies, embedded rule tests and
 * events given as JSON all go through it, so every error can name the
 * file, line and column it is about.
 */
#ifndef VIGIL_NODE_H
#define VIGIL_NODE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum vigil_node_type {
	VIGIL_NODE_SCALAR = 1,
	VIGIL_NODE_MAP,
	VIGIL_NODE_SEQ,
};

struct vigil_node {
	int type;
	uint32_t line; /* 1-based */
	uint32_t col;  /* 1-based */
	const char *file; /* owned by the document */
	/* Scalars: the bytes (NUL-terminated, may contain NUL), and whether
	 * the source quoted them (a quoted "1" is a string, a plain 1 is not). */
	char *str;
	size_t len;
	bool quoted;
	/* Maps: keys[i] -> items[i].  Sequences: items[i]; keys is NULL. */
	struct vigil_node **keys;
	struct vigil_node **items;
	size_t n;
};

struct vigil_doc {
	char *file; /* name used in messages */
	struct vigil_node *root; /* NULL for an empty document */
};

/* Nesting deeper than this is refused (hostile input). */
#define VIGIL_DOC_MAX_DEPTH 64

/*
 * Load a YAML document from a file or memory.  On failure returns a negative
 * errno and writes "file:line:col: what is wrong" into err.  Aliases are
 * refused, and so are duplicate keys.  The caller owns doc and frees it with
 * vigil_doc_free().
 */
int vigil_doc_load_yaml_file(const char *path, struct vigil_doc *doc,
			     struct vigil_buf *err)
	__attribute__((warn_unused_result));
int vigil_doc_load_yaml(const char *name, const char *data, size_t len,
			struct vigil_doc *doc, struct vigil_buf *err)
	__attribute__((warn_unused_result));
/* Load one JSON value (RFC 8259; \udc80-\udcff escapes stand for raw bytes
 * 0x80-0xff, as vigil's JSON encoder writes invalid UTF-8). */
int vigil_doc_load_json(const char *name, const char *data, size_t len,
			struct vigil_doc *doc, struct vigil_buf *err)
	__attribute__((warn_unused_result));
void vigil_doc_free(struct vigil_doc *doc);

/* Value of key in a map node, or NULL. */
struct vigil_node *vigil_node_get(const struct vigil_node *map,
				  const char *key);
/* Follows a dotted path of map keys ("agent.log.level"). */
struct vigil_node *vigil_node_path(const struct vigil_node *root,
				   const char *path);
/* True for a plain scalar null, ~ or empty value. */
bool vigil_node_is_null(const struct vigil_node *n);
bool vigil_node_is_scalar(const struct vigil_node *n);
/* Scalar conversions; return 0 or -EINVAL. */
int vigil_node_bool(const struct vigil_node *n, bool *out);
int vigil_node_int(const struct vigil_node *n, int64_t *out);
/* Sizes with k/M/G/T suffixes (powers of 1024). */
int vigil_node_size(const struct vigil_node *n, int64_t *out);
/* Durations: ns, us, ms, s, m, h, d; a bare number is seconds. */
int vigil_node_duration(const struct vigil_node *n, int64_t *out_ns);
int vigil_parse_duration(const char *s, size_t len, int64_t *out_ns);
/* Nanoseconds in the duration unit named by the n bytes at u (ns, us, ms,
 * s, m, h, d); 0 if u names none.  The policy language shares it. */
int64_t vigil_duration_unit(const char *u, size_t n);

/*
 * Appends "file:line:col: " (nothing when file is NULL) and the message
 * fmt formats from ap, cut at 1 KiB, to err; no newline.  Nothing when err
 * is NULL.  The one format of positioned errors: YAML documents, policy
 * entries and rule expressions all report through it.
 */
void vigil_verror_at(struct vigil_buf *err, const char *file, uint32_t line,
		     uint32_t col, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

/* vigil_verror_at at node n (no position when n is NULL). */
void vigil_node_verror(struct vigil_buf *err, const struct vigil_node *n,
		       const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Appends "file:line:col: " followed by the formatted message to err. */
void vigil_node_error(struct vigil_buf *err, const struct vigil_node *n,
		      const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* VIGIL_NODE_H */
