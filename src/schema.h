/*
 * schema.h - the tree behind the field registry.
 *
 * Each node is an object (a group of fields such as "process" or "file"),
 * an array of objects ("process.ancestors") or a leaf with a storage kind
 * and an offset into its context.  The flat registry (vigil/fields.h), the
 * JSON and msgpack encoders and the decoders all walk this one tree.
 */
#ifndef VIGIL_SCHEMA_H
#define VIGIL_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include <vigil/fields.h>

enum vigil_schema_kind {
	VIGIL_SN_OBJ = 1,
	VIGIL_SN_ARRAY, /* array of objects */
	VIGIL_SN_LEAF,
};

/* How a leaf is stored at ctx + offset. */
enum vigil_store {
	VIGIL_ST_CUSTOM = 0, /* get/set functions */
	VIGIL_ST_STR,   /* struct vigil_str; absent when empty */
	VIGIL_ST_STRV,  /* struct vigil_strv; a list */
	VIGIL_ST_STR1,  /* struct vigil_str seen as a list of at most one
			 * (file.hashes: one algorithm today) */
	VIGIL_ST_I32,   /* absent when 0 (pids) */
	VIGIL_ST_ID,    /* uint32_t; absent when VIGIL_ID_UNSET */
	VIGIL_ST_U32,   /* uint32_t; always present */
	VIGIL_ST_U32Z,  /* uint32_t; absent when 0 (file modes) */
	VIGIL_ST_U16,   /* always present */
	VIGIL_ST_U8,    /* always present */
	VIGIL_ST_I64,   /* always present */
	VIGIL_ST_I64Z,  /* absent when 0 (times, inodes) */
	VIGIL_ST_I64N,  /* absent when negative (sizes, latency) */
	VIGIL_ST_U64,   /* always present */
	VIGIL_ST_BOOL,  /* bool; always present */
	VIGIL_ST_IP,    /* struct vigil_ip; absent when family 0 */
	VIGIL_ST_ARGS4, /* uint64_t[4]; a list of 4 */
};

struct vigil_schema_node;

/* Object/array navigation: the context of a child from its parent's. */
typedef const void *(*vigil_sn_resolve_fn)(const void *ctx,
					   const struct vigil_event *ev,
					   uint32_t idx);
/* For decoding: the writable context, allocated in the event's arena if
 * needed (arrays: element idx of n). */
typedef void *(*vigil_sn_resolve_mut_fn)(void *ctx, struct vigil_event *ev,
					 uint32_t idx, uint32_t n);
typedef uint32_t (*vigil_sn_count_fn)(const void *ctx,
				      const struct vigil_event *ev);
typedef int (*vigil_sn_get_fn)(const void *ctx, const struct vigil_event *ev,
			       uint32_t idx, struct vigil_value *out);
/* Decoding a custom leaf from a string or integer value. */
typedef int (*vigil_sn_set_fn)(void *ctx, struct vigil_event *ev,
			       const struct vigil_value *v);

struct vigil_schema_node {
	const char *name;
	uint8_t kind;   /* enum vigil_schema_kind */
	uint8_t store;  /* enum vigil_store (leaves) */
	uint16_t vtype; /* enum vigil_vtype (leaves) */
	uint32_t flags; /* VIGIL_FIELD_* */
	uint64_t events; /* 0 = every event type */
	size_t offset;  /* child ctx = ctx + offset, unless resolve is set */
	vigil_sn_resolve_fn resolve;
	vigil_sn_resolve_mut_fn resolve_mut;
	vigil_sn_count_fn count; /* arrays */
	vigil_sn_get_fn get;     /* custom leaves */
	vigil_sn_set_fn set;     /* custom leaves */
	const struct vigil_schema_node *children;
	size_t n_children;
	const struct vigil_constant *constants;
	const char *doc;
};

/* The root's children, in encoding order. */
extern const struct vigil_schema_node vigil_schema_root[];
extern const size_t vigil_schema_root_count;

/* The flat registry, built once (thread-safe after the first call). */
const struct vigil_field_table *vigil_fields(void);
/* Field by full name, or NULL. */
const struct vigil_field *vigil_field_find(const char *name, size_t len);

/* Child context of an object node, or NULL when absent for ev. */
const void *vigil_schema_child(const struct vigil_schema_node *n,
			       const void *ctx, const struct vigil_event *ev,
			       uint32_t idx);
/* Reads leaf n in ctx.  Same return convention as vigil_field_get_fn. */
int vigil_schema_leaf_get(const struct vigil_schema_node *n, const void *ctx,
			  const struct vigil_event *ev, uint32_t idx,
			  struct vigil_value *out);

/* Name of the constant equal to v for leaf n, or NULL. */
const char *vigil_constant_name(const struct vigil_constant *c, int64_t v);

#endif /* VIGIL_SCHEMA_H */
