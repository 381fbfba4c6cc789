/*
 * codec_decode.c - events from JSON documents (vigil_node trees) and from
 * msgpack (codec.h).
 *
 * Decoding walks the input (a document node or a msgpack object) and sets
 * the members the schema names, copying strings into the event's arena.
 * One decoder serves both inputs through a small reader interface
 * (struct din_ops).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <msgpack.h>

#include "codec.h"
#include "schema.h"
#include "util.h"

/* ---- decoding ---- */

enum din_kind { DIN_NIL, DIN_MAP, DIN_SEQ, DIN_STR, DIN_INT, DIN_BOOL };

struct din_scalar {
	int kind;
	const char *s;
	size_t len;
	int64_t i;
	bool b;
	bool quoted; /* documents: the source quoted it */
};

/* A decode input: document nodes or msgpack objects. */
struct din_ops {
	int (*kind)(const void *v);
	size_t (*len)(const void *v);
	const void *(*map_entry)(const void *v, size_t i, struct vigil_str *k);
	/* the key itself, for positions in messages */
	const void *(*map_key)(const void *v, size_t i);
	const void *(*item)(const void *v, size_t i);
	int (*scalar)(const void *v, struct din_scalar *out);
	/* "file:line:col: " or "" */
	void (*where)(const void *v, struct vigil_buf *err);
};

struct decoder {
	const struct din_ops *in;
	struct vigil_event *ev;
	struct vigil_buf *err;
	bool strict;
	char path[256]; /* dotted path for messages */
};

static int node_kind(const void *v)
{
	const struct vigil_node *n = v;

	if (n->type == VIGIL_NODE_MAP)
		return DIN_MAP;
	if (n->type == VIGIL_NODE_SEQ)
		return DIN_SEQ;
	return vigil_node_is_null(n) ? DIN_NIL : DIN_STR;
}

static size_t node_len(const void *v)
{
	return ((const struct vigil_node *)v)->n;
}

static const void *node_map_entry(const void *v, size_t i, struct vigil_str *k)
{
	const struct vigil_node *n = v;

	k->ptr = n->keys[i]->str;
	k->len = (uint32_t)n->keys[i]->len;
	return n->items[i];
}

static const void *node_map_key(const void *v, size_t i)
{
	return ((const struct vigil_node *)v)->keys[i];
}

static const void *node_item(const void *v, size_t i)
{
	return ((const struct vigil_node *)v)->items[i];
}

static int node_scalar(const void *v, struct din_scalar *out)
{
	const struct vigil_node *n = v;
	bool b;

	memset(out, 0, sizeof(*out));
	out->kind = DIN_STR;
	out->s = n->str;
	out->len = n->len;
	out->quoted = n->quoted;
	if (!n->quoted) {
		if (vigil_node_int(n, &out->i) == 0)
			out->kind = DIN_INT;
		else if (vigil_node_bool(n, &b) == 0)
			out->kind = DIN_BOOL, out->b = b;
	}
	return 0;
}

static void node_where(const void *v, struct vigil_buf *err)
{
	const struct vigil_node *n = v;

	vigil_buf_printf(err, "%s:%u:%u: ", n->file, n->line, n->col);
}

static const struct din_ops node_in = {
	.kind = node_kind, .len = node_len, .map_entry = node_map_entry,
	.map_key = node_map_key, .item = node_item, .scalar = node_scalar, .where = node_where,
};

static int mo_kind(const void *v)
{
	const msgpack_object *o = v;

	switch (o->type) {
	case MSGPACK_OBJECT_MAP:
		return DIN_MAP;
	case MSGPACK_OBJECT_ARRAY:
		return DIN_SEQ;
	case MSGPACK_OBJECT_NIL:
		return DIN_NIL;
	case MSGPACK_OBJECT_BOOLEAN:
		return DIN_BOOL;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return DIN_INT;
	case MSGPACK_OBJECT_STR:
	case MSGPACK_OBJECT_BIN:
		return DIN_STR;
	default:
		return -1;
	}
}

static size_t mo_len(const void *v)
{
	const msgpack_object *o = v;

	return o->type == MSGPACK_OBJECT_MAP ? o->via.map.size :
					       o->via.array.size;
}

static const void *mo_map_entry(const void *v, size_t i, struct vigil_str *k)
{
	const msgpack_object_kv *kv = &((const msgpack_object *)v)->via.map.ptr[i];

	if (kv->key.type == MSGPACK_OBJECT_STR) {
		k->ptr = kv->key.via.str.ptr;
		k->len = kv->key.via.str.size;
	} else {
		k->ptr = "";
		k->len = 0;
	}
	return &kv->val;
}

static const void *mo_map_key(const void *v, size_t i)
{
	return &((const msgpack_object *)v)->via.map.ptr[i].key;
}

static const void *mo_item(const void *v, size_t i)
{
	return &((const msgpack_object *)v)->via.array.ptr[i];
}

static int mo_scalar(const void *v, struct din_scalar *out)
{
	const msgpack_object *o = v;

	memset(out, 0, sizeof(*out));
	out->quoted = true;
	switch (o->type) {
	case MSGPACK_OBJECT_STR:
		out->kind = DIN_STR;
		out->s = o->via.str.ptr;
		out->len = o->via.str.size;
		return 0;
	case MSGPACK_OBJECT_BIN:
		out->kind = DIN_STR;
		out->s = o->via.bin.ptr;
		out->len = o->via.bin.size;
		return 0;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		out->kind = DIN_INT;
		out->i = (int64_t)o->via.u64;
		return 0;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		out->kind = DIN_INT;
		out->i = o->via.i64;
		return 0;
	case MSGPACK_OBJECT_BOOLEAN:
		out->kind = DIN_BOOL;
		out->b = o->via.boolean;
		return 0;
	case MSGPACK_OBJECT_NIL:
		out->kind = DIN_NIL;
		return 0;
	default:
		return -EINVAL;
	}
}

static void mo_where(const void *v, struct vigil_buf *err)
{
	vigil_buf_printf(err, "msgpack: ");
}

static const struct din_ops mo_in = {
	.kind = mo_kind, .len = mo_len, .map_entry = mo_map_entry,
	.map_key = mo_map_key, .item = mo_item, .scalar = mo_scalar, .where = mo_where,
};

static int dec_error(struct decoder *d, const void *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int dec_error(struct decoder *d, const void *at, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (d->err) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		d->in->where(at, d->err);
		vigil_buf_printf(d->err, "%s", msg);
	}
	return -EINVAL;
}

static int dec_copy(struct decoder *d, struct vigil_str *dst,
		    const struct din_scalar *s)
{
	if (!d->ev->arena)
		return -EINVAL;
	return vigil_arena_str(d->ev->arena, dst, s->s, s->len);
}

/* Converts a scalar input to a value of the leaf's type. */
static int dec_value(struct decoder *d, const struct vigil_schema_node *sn,
		     const void *in, struct vigil_value *v)
{
	struct din_scalar s;
	int rc;

	if (d->in->scalar(in, &s))
		return dec_error(d, in, "'%s' must be a single value",
				 d->path);
	v->type = sn->vtype;
	switch (sn->vtype) {
	case VIGIL_T_STR:
		if (s.kind == DIN_NIL)
			return dec_error(d, in, "'%s' is null", d->path);
		if (s.kind == DIN_INT && !s.s)
			return dec_error(d, in, "'%s' must be a string",
					 d->path);
		if (s.kind == DIN_BOOL && !s.s)
			return dec_error(d, in, "'%s' must be a string",
					 d->path);
		return dec_copy(d, &v->u.s, &s);
	case VIGIL_T_INT:
	case VIGIL_T_DURATION:
		if (s.kind == DIN_INT) {
			v->u.i = s.i;
			return 0;
		}
		if (s.kind == DIN_STR && sn->constants) {
			for (const struct vigil_constant *c = sn->constants;
			     c->name; c++) {
				if (strlen(c->name) == s.len &&
				    memcmp(c->name, s.s, s.len) == 0) {
					v->u.i = c->value;
					return 0;
				}
			}
		}
		if (s.kind == DIN_STR && sn->vtype == VIGIL_T_DURATION &&
		    vigil_parse_duration(s.s, s.len, &v->u.i) == 0)
			return 0;
		return dec_error(d, in, "'%s' must be an integer%s", d->path,
				 sn->constants ? " or a constant name" : "");
	case VIGIL_T_BOOL:
		if (s.kind != DIN_BOOL)
			return dec_error(d, in, "'%s' must be true or false",
					 d->path);
		v->u.b = s.b;
		return 0;
	case VIGIL_T_TIME:
		if (s.kind == DIN_INT) {
			v->u.i = s.i;
			return 0;
		}
		if (s.kind == DIN_STR &&
		    vigil_parse_time(s.s, s.len, &v->u.i) == 0)
			return 0;
		return dec_error(
			d, in,
			"'%s' must be a time like 2026-11-29T15:08:26.123456789Z or ns since the epoch",
			d->path);
	case VIGIL_T_IP: {
		char tmp[64];

		if (s.kind != DIN_STR || s.len >= sizeof(tmp))
			return dec_error(d, in, "'%s' must be an IP address",
					 d->path);
		memcpy(tmp, s.s, s.len);
		tmp[s.len] = '\0';
		memset(&v->u.ip, 0, sizeof(v->u.ip));
		if (inet_pton(AF_INET, tmp, v->u.ip.addr) == 1)
			v->u.ip.family = AF_INET;
		else if (inet_pton(AF_INET6, tmp, v->u.ip.addr) == 1)
			v->u.ip.family = AF_INET6;
		else
			return dec_error(d, in, "'%s': '%s' is not an IP address",
					 d->path, tmp);
		return 0;
	}
	default:
		rc = -EINVAL;
		return rc;
	}
}

/* Stores v at the leaf's place in ctx. */
static int dec_store(struct decoder *d, const struct vigil_schema_node *sn,
		     void *ctx, const struct vigil_value *v, const void *in)
{
	void *p = (char *)ctx + sn->offset;

	switch (sn->store) {
	case VIGIL_ST_CUSTOM:
		if (!sn->set || sn->set(ctx, d->ev, v))
			return dec_error(d, in, "bad value for '%s'", d->path);
		return 0;
	case VIGIL_ST_STR:
		*(struct vigil_str *)p = v->u.s;
		return 0;
	case VIGIL_ST_I32:
		*(int32_t *)p = (int32_t)v->u.i;
		break;
	case VIGIL_ST_ID:
	case VIGIL_ST_U32:
	case VIGIL_ST_U32Z:
		*(uint32_t *)p = (uint32_t)v->u.i;
		break;
	case VIGIL_ST_U16:
		*(uint16_t *)p = (uint16_t)v->u.i;
		break;
	case VIGIL_ST_U8:
		*(uint8_t *)p = (uint8_t)v->u.i;
		break;
	case VIGIL_ST_I64:
	case VIGIL_ST_I64Z:
	case VIGIL_ST_I64N:
		*(int64_t *)p = v->u.i;
		return 0;
	case VIGIL_ST_U64:
		*(uint64_t *)p = (uint64_t)v->u.i;
		return 0;
	case VIGIL_ST_BOOL:
		*(bool *)p = v->u.b;
		return 0;
	case VIGIL_ST_IP:
		*(struct vigil_ip *)p = v->u.ip;
		return 0;
	default:
		return dec_error(d, in, "'%s' cannot be set", d->path);
	}
	/* narrowing stores: refuse values that do not fit */
	{
		int64_t lim_lo = 0, lim_hi = 0;

		switch (sn->store) {
		case VIGIL_ST_I32:
			lim_lo = INT32_MIN, lim_hi = INT32_MAX;
			break;
		case VIGIL_ST_ID:
		case VIGIL_ST_U32:
		case VIGIL_ST_U32Z:
			lim_hi = UINT32_MAX;
			break;
		case VIGIL_ST_U16:
			lim_hi = UINT16_MAX;
			break;
		default:
			lim_hi = UINT8_MAX;
			break;
		}
		if (v->u.i < lim_lo || v->u.i > lim_hi)
			return dec_error(d, in, "'%s': %" PRId64
					 " is out of range", d->path, v->u.i);
	}
	return 0;
}

static int dec_list(struct decoder *d, const struct vigil_schema_node *sn,
		    void *ctx, const void *in)
{
	size_t n;
	struct vigil_value v;
	int rc;

	if (d->in->kind(in) != DIN_SEQ)
		return dec_error(d, in, "'%s' must be a list", d->path);
	n = d->in->len(in);
	if (sn->store == VIGIL_ST_STRV) {
		struct vigil_strv *sv = (struct vigil_strv *)((char *)ctx +
							       sn->offset);

		if (n > (1u << 20))
			return dec_error(d, in, "'%s' has too many items",
					 d->path);
		sv->v = n ? vigil_arena_alloc(d->ev->arena,
					      n * sizeof(*sv->v)) :
			    NULL;
		if (n && !sv->v)
			return -ENOMEM;
		sv->n = (uint32_t)n;
		for (size_t i = 0; i < n; i++) {
			rc = dec_value(d, sn, d->in->item(in, i), &v);
			if (rc)
				return rc;
			sv->v[i] = v.u.s;
		}
		return 0;
	}
	if (sn->store == VIGIL_ST_ARGS4) {
		uint64_t *a = (uint64_t *)((char *)ctx + sn->offset);

		if (n > 4)
			return dec_error(d, in, "'%s' has at most 4 items",
					 d->path);
		for (size_t i = 0; i < n; i++) {
			rc = dec_value(d, sn, d->in->item(in, i), &v);
			if (rc)
				return rc;
			a[i] = (uint64_t)v.u.i;
		}
		return 0;
	}
	/* a one-element list (file.hashes) */
	if (n > 1)
		return dec_error(d, in, "'%s' holds one value", d->path);
	if (n == 0)
		return 0;
	rc = dec_value(d, sn, d->in->item(in, 0), &v);
	if (!rc)
		*(struct vigil_str *)((char *)ctx + sn->offset) = v.u.s;
	return rc;
}

static int dec_map(struct decoder *d, const struct vigil_schema_node *nodes,
		   size_t n_nodes, void *ctx, const void *in);

static int dec_member(struct decoder *d, const struct vigil_schema_node *sn,
		      void *ctx, const void *in)
{
	struct vigil_event *ev = d->ev;
	struct vigil_value v;
	void *child;
	int rc;

	if (sn->events && !(sn->events & VIGIL_EVBIT(ev->type)))
		return dec_error(d, in, "'%s' does not apply to %s events",
				 d->path,
				 ev->type ? vigil_event_type_name(ev->type) :
					    "untyped (set event.type first)");
	if (sn->flags & VIGIL_FIELD_DERIVED)
		return dec_error(
			d, in,
			"'%s' is computed from other fields and cannot be given",
			d->path);
	switch (sn->kind) {
	case VIGIL_SN_OBJ:
		if (sn->resolve) {
			if (!sn->resolve_mut)
				return dec_error(d, in, "'%s' cannot be set",
						 d->path);
			child = sn->resolve_mut(ctx, ev, 0, 1);
		} else {
			child = (char *)ctx + sn->offset;
		}
		if (!child)
			return -ENOMEM;
		return dec_map(d, sn->children, sn->n_children, child, in);
	case VIGIL_SN_ARRAY: {
		size_t n;

		if (d->in->kind(in) != DIN_SEQ)
			return dec_error(d, in, "'%s' must be a list", d->path);
		n = d->in->len(in);
		if (n > 4096)
			return dec_error(d, in, "'%s' is too long", d->path);
		if (ev->n_ancestors && sn->count(ctx, ev) != n)
			return dec_error(d, in, "'%s' given twice", d->path);
		for (size_t i = 0; i < n; i++) {
			child = sn->resolve_mut(ctx, ev, (uint32_t)i,
						(uint32_t)n);
			if (!child)
				return -ENOMEM;
			rc = dec_map(d, sn->children, sn->n_children, child,
				     d->in->item(in, i));
			if (rc)
				return rc;
		}
		return 0;
	}
	case VIGIL_SN_LEAF:
		if (sn->flags & VIGIL_FIELD_LIST)
			return dec_list(d, sn, ctx, in);
		rc = dec_value(d, sn, in, &v);
		return rc ? rc : dec_store(d, sn, ctx, &v, in);
	default:
		return -EINVAL;
	}
}

static int dec_map(struct decoder *d, const struct vigil_schema_node *nodes,
		   size_t n_nodes, void *ctx, const void *in)
{
	size_t plen = strlen(d->path);
	size_t n;
	int rc = 0;

	if (d->in->kind(in) != DIN_MAP)
		return dec_error(d, in, "'%s' must be a map", d->path);
	n = d->in->len(in);
	for (size_t i = 0; i < n && !rc; i++) {
		struct vigil_str key;
		const void *val = d->in->map_entry(in, i, &key);
		const struct vigil_schema_node *sn = NULL;

		for (size_t j = 0; j < n_nodes; j++) {
			if (vigil_str_eq(key, nodes[j].name)) {
				sn = &nodes[j];
				break;
			}
		}
		snprintf(d->path + plen, sizeof(d->path) - plen, "%s%.*s",
			 plen ? "." : "", (int)(key.len > 100 ? 100 : key.len),
			 key.ptr);
		if (!sn) {
			/* the root's event.type is read first */
			if (!plen && vigil_str_eq(key, "signal"))
				continue;
			if (d->strict)
				rc = dec_error(d, d->in->map_key(in, i),
					       "unknown field '%s'", d->path);
			continue;
		}
		if (!plen && sn == &vigil_schema_root[0])
			continue; /* "event" is decoded first */
		if (d->in->kind(val) == DIN_NIL)
			continue;
		rc = dec_member(d, sn, ctx, val);
	}
	d->path[plen] = '\0';
	return rc;
}

/* Finds the root's "event" member and decodes it before the rest, so the
 * union part can be checked against the type. */
static int dec_root(struct decoder *d, const void *in,
		    struct vigil_signal_store *sig)
{
	const void *evmap = NULL, *sigmap = NULL;
	size_t n;
	int rc;

	if (sig)
		sig->present = 0; /* until a "signal" member says otherwise */
	if (d->in->kind(in) != DIN_MAP)
		return dec_error(d, in, "an event must be a map");
	n = d->in->len(in);
	for (size_t i = 0; i < n; i++) {
		struct vigil_str key;
		const void *val = d->in->map_entry(in, i, &key);

		if (vigil_str_eq(key, "event"))
			evmap = val;
		else if (vigil_str_eq(key, "signal"))
			sigmap = val;
	}
	if (!evmap)
		return dec_error(d, in, "the event has no 'event' member "
				 "(event.type is required)");
	strcpy(d->path, "event");
	rc = dec_map(d, vigil_schema_root[0].children,
		     vigil_schema_root[0].n_children, d->ev, evmap);
	d->path[0] = '\0';
	if (rc)
		return rc;
	if (d->ev->type == VIGIL_EV_NONE)
		return dec_error(d, evmap, "event.type is required");
	rc = dec_map(d, vigil_schema_root, vigil_schema_root_count, d->ev, in);
	if (rc || !sig || !sigmap)
		return rc;

	/* the signal member */
	if (d->in->kind(sigmap) != DIN_MAP)
		return dec_error(d, sigmap, "'signal' must be a map");
	memset(sig, 0, sizeof(*sig));
	sig->sig.struct_size = sizeof(sig->sig);
	sig->sig.tags = sig->tags;
	sig->present = 1;
	n = d->in->len(sigmap);
	for (size_t i = 0; i < n; i++) {
		struct vigil_str key, copy;
		const void *val = d->in->map_entry(sigmap, i, &key);
		struct din_scalar s;

		if (vigil_str_eq(key, "tags") &&
		    d->in->kind(val) == DIN_SEQ) {
			size_t tn = d->in->len(val);

			for (size_t t = 0; t < tn && t < 64; t++) {
				if (d->in->scalar(d->in->item(val, t), &s) ||
				    s.kind != DIN_STR || dec_copy(d, &copy, &s))
					return dec_error(d, val, "bad tag");
				sig->tags[sig->sig.n_tags++] = copy.ptr;
			}
			continue;
		}
		if (d->in->scalar(val, &s))
			return dec_error(d, val, "bad signal member");
		if (vigil_str_eq(key, "suppressed") && s.kind == DIN_INT) {
			sig->sig.suppressed = (uint32_t)s.i;
			continue;
		}
		if (s.kind != DIN_STR || dec_copy(d, &copy, &s))
			continue;
		if (vigil_str_eq(key, "rule"))
			sig->sig.rule_id = copy.ptr;
		else if (vigil_str_eq(key, "title"))
			sig->sig.title = copy.ptr;
		else if (vigil_str_eq(key, "remediation"))
			sig->sig.remediation = copy.ptr;
		else if (vigil_str_eq(key, "engine"))
			sig->sig.engine = copy.ptr;
		else if (vigil_str_eq(key, "severity")) {
			int sev = vigil_severity_from_name(copy.ptr);

			if (sev < 0)
				return dec_error(d, val, "unknown severity '%s'",
						 copy.ptr);
			sig->sig.severity = (uint32_t)sev;
		}
	}
	return 0;
}

int vigil_event_from_node_sig(const struct vigil_node *n,
			      struct vigil_event *ev,
			      struct vigil_signal_store *sig,
			      struct vigil_buf *err)
{
	struct decoder d = { .in = &node_in, .ev = ev, .err = err,
			     .strict = true };

	if (!n)
		return -EINVAL;
	return dec_root(&d, n, sig);
}

int vigil_event_from_node(const struct vigil_node *n, struct vigil_event *ev,
			  struct vigil_buf *err)
{
	return vigil_event_from_node_sig(n, ev, NULL, err);
}

static uint64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * Finds the end of the msgpack object at data[0..len) without building
 * it.  msgpack-c allocates a container's slots from the count in its
 * header before reading them, so a hostile "map of 2^32 entries" in a few
 * bytes would ask for gigabytes; this scan proves every count fits in the
 * bytes present first.  Returns 0 with *end set, -EAGAIN when the object
 * continues past len, -EINVAL for a byte no encoder writes.
 */
static int mp_scan(const unsigned char *data, size_t len, size_t *end)
{
	uint64_t pending = 1; /* values still to read */
	size_t off = 0;

	while (pending) {
		unsigned char b;
		uint64_t skip = 0, add = 0;
		int hdr = 1;

		if (off >= len)
			return -EAGAIN;
		b = data[off];
		pending--;
		if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 ||
		    b == 0xc3) {
			/* fixint, nil, bool */
		} else if (b >= 0x80 && b <= 0x8f) {
			add = 2u * (b & 0x0f);
		} else if (b >= 0x90 && b <= 0x9f) {
			add = b & 0x0f;
		} else if (b >= 0xa0 && b <= 0xbf) {
			skip = b & 0x1f;
		} else {
			static const struct {
				unsigned char lo, hi;
				int lenbytes; /* size field width */
				int fixed;    /* payload after the header */
				int kind;     /* 0 bytes, 1 array, 2 map */
			} t[] = {
				{ 0xc4, 0xc4, 1, 0, 0 }, { 0xc5, 0xc5, 2, 0, 0 },
				{ 0xc6, 0xc6, 4, 0, 0 }, { 0xc7, 0xc7, 1, 1, 0 },
				{ 0xc8, 0xc8, 2, 1, 0 }, { 0xc9, 0xc9, 4, 1, 0 },
				{ 0xca, 0xca, 0, 4, 0 }, { 0xcb, 0xcb, 0, 8, 0 },
				{ 0xcc, 0xcc, 0, 1, 0 }, { 0xcd, 0xcd, 0, 2, 0 },
				{ 0xce, 0xce, 0, 4, 0 }, { 0xcf, 0xcf, 0, 8, 0 },
				{ 0xd0, 0xd0, 0, 1, 0 }, { 0xd1, 0xd1, 0, 2, 0 },
				{ 0xd2, 0xd2, 0, 4, 0 }, { 0xd3, 0xd3, 0, 8, 0 },
				{ 0xd4, 0xd4, 0, 2, 0 }, { 0xd5, 0xd5, 0, 3, 0 },
				{ 0xd6, 0xd6, 0, 5, 0 }, { 0xd7, 0xd7, 0, 9, 0 },
				{ 0xd8, 0xd8, 0, 17, 0 }, { 0xd9, 0xd9, 1, 0, 0 },
				{ 0xda, 0xda, 2, 0, 0 }, { 0xdb, 0xdb, 4, 0, 0 },
				{ 0xdc, 0xdc, 2, 0, 1 }, { 0xdd, 0xdd, 4, 0, 1 },
				{ 0xde, 0xde, 2, 0, 2 }, { 0xdf, 0xdf, 4, 0, 2 },
			};
			size_t i;
			uint64_t n;

			for (i = 0; i < VIGIL_ARRAY_SIZE(t); i++)
				if (b >= t[i].lo && b <= t[i].hi)
					break;
			if (i == VIGIL_ARRAY_SIZE(t))
				return -EINVAL; /* 0xc1: never used */
			if (len - off < 1 + (size_t)t[i].lenbytes)
				return -EAGAIN;
			n = be(data + off + 1, t[i].lenbytes);
			hdr = 1 + t[i].lenbytes;
			if (t[i].kind == 1)
				add = n;
			else if (t[i].kind == 2)
				add = 2 * n;
			else
				skip = n + (uint64_t)t[i].fixed;
		}
		if (skip > len - off - (size_t)hdr)
			return -EAGAIN;
		off += (size_t)hdr + (size_t)skip;
		pending += add;
		/* every value takes at least one byte */
		if (pending > len - off)
			return -EAGAIN;
	}
	*end = off;
	return 0;
}

int vigil_decode_msgpack(const char *data, size_t len, size_t *used,
			 struct vigil_event *ev, struct vigil_signal_store *sig,
			 struct vigil_buf *err)
{
	struct decoder d = { .in = &mo_in, .ev = ev, .err = err,
			     .strict = false };
	msgpack_unpacked msg;
	msgpack_unpack_return ret;
	size_t off = 0;
	int rc;

	rc = mp_scan((const unsigned char *)data, len, &off);
	if (rc == -EINVAL && err)
		vigil_buf_printf(err, "msgpack: malformed data");
	if (rc)
		return rc;
	len = off;
	off = 0;
	msgpack_unpacked_init(&msg);
	ret = msgpack_unpack_next(&msg, data, len, &off);
	if (ret == MSGPACK_UNPACK_CONTINUE) {
		msgpack_unpacked_destroy(&msg);
		return -EAGAIN;
	}
	if (ret != MSGPACK_UNPACK_SUCCESS &&
	    ret != MSGPACK_UNPACK_EXTRA_BYTES) {
		msgpack_unpacked_destroy(&msg);
		if (err)
			vigil_buf_printf(err, "msgpack: malformed data");
		return -EINVAL;
	}
	rc = dec_root(&d, &msg.data, sig);
	msgpack_unpacked_destroy(&msg);
	if (!rc)
		*used = off;
	return rc;
}
