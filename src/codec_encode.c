/*
 * codec_encode.c - events to JSON and msgpack (codec.h).
 *
 * Encoding walks the schema tree once per event with a small writer
 * interface (JSON or msgpack).  Objects are opened optimistically and
 * rolled back when none of their members is present, so the output never
 * holds empty maps and no pre-pass is needed.  msgpack maps are written
 * with a 32-bit count placeholder patched on close (valid msgpack, a few
 * bytes larger than the tightest form).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <msgpack.h>

#include "codec.h"
#include "schema.h"
#include "util.h"

/* ---- UTF-8 ---- */

/*
 * Length of the valid UTF-8 sequence at p (at most n bytes), or 0 when the
 * byte at p does not start one (overlong forms, surrogates and code points
 * above U+10FFFF are invalid).
 */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t len;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		size_t l = utf8_seq(p + i, n - i);

		if (!l)
			return false;
		i += l;
	}
	return true;
}

int vigil_json_str(struct vigil_buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run;
	int rc;

	/* worst case 6 bytes of output per byte of input */
	if (len > (SIZE_MAX - 2) / 6)
		return -E2BIG;
	rc = vigil_buf_reserve(out, len + 2);
	if (rc)
		return rc;
	out->data[out->len++] = '"';
	while (i < len) {
		unsigned char c = p[i];
		char esc[12];
		size_t el = 0;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			/* copy a run of plain ASCII at once */
			run = i + 1;
			while (run < len && p[run] >= 0x20 && p[run] < 0x80 &&
			       p[run] != '"' && p[run] != '\\')
				run++;
			rc = vigil_buf_append(out, p + i, run - i);
			if (rc)
				return rc;
			i = run;
			continue;
		}
		if (c >= 0x80) {
			size_t l = utf8_seq(p + i, len - i);

			if (l) {
				rc = vigil_buf_append(out, p + i, l);
				if (rc)
					return rc;
				i += l;
				continue;
			}
			/* a byte that is not UTF-8: \udcXX */
			memcpy(esc, "\\udc", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			el = 6;
		} else if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			el = 2;
		} else if (c == '\n') {
			memcpy(esc, "\\n", 2), el = 2;
		} else if (c == '\t') {
			memcpy(esc, "\\t", 2), el = 2;
		} else if (c == '\r') {
			memcpy(esc, "\\r", 2), el = 2;
		} else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			el = 6;
		}
		rc = vigil_buf_append(out, esc, el);
		if (rc)
			return rc;
		i++;
	}
	return vigil_buf_putc(out, '"');
}

/* ---- writer interface ---- */

#define MAX_DEPTH 16

struct writer;
struct writer_ops {
	int (*key)(struct writer *w, const char *key);
	int (*open)(struct writer *w, bool array);
	int (*close)(struct writer *w, bool array, uint32_t count);
	int (*value)(struct writer *w, const struct vigil_value *v);
};

struct writer {
	const struct writer_ops *ops;
	struct vigil_buf *out;
	/* Per open container: where it starts (for rollback and patching)
	 * and how many members it has so far. */
	size_t start[MAX_DEPTH];
	uint32_t count[MAX_DEPTH];
	int depth;
	msgpack_packer pk;
};

/* JSON */

static int json_sep(struct writer *w)
{
	if (w->depth > 0 && w->count[w->depth - 1] > 0)
		return vigil_buf_putc(w->out, ',');
	return 0;
}

static int json_key(struct writer *w, const char *key)
{
	int rc = json_sep(w);

	if (rc)
		return rc;
	rc = vigil_json_str(w->out, key, strlen(key));
	return rc ? rc : vigil_buf_putc(w->out, ':');
}

static int json_open(struct writer *w, bool array)
{
	return vigil_buf_putc(w->out, array ? '[' : '{');
}

static int json_close(struct writer *w, bool array, uint32_t count)
{
	return vigil_buf_putc(w->out, array ? ']' : '}');
}

static int fmt_ip(const struct vigil_ip *ip, char *buf, size_t n)
{
	if (!inet_ntop(ip->family, ip->addr, buf, (socklen_t)n))
		return -EINVAL;
	return 0;
}

static int json_value(struct writer *w, const struct vigil_value *v)
{
	char tmp[64];

	switch (v->type) {
	case VIGIL_T_STR:
		return vigil_json_str(w->out, v->u.s.ptr, v->u.s.len);
	case VIGIL_T_INT:
	case VIGIL_T_DURATION:
		return vigil_buf_printf(w->out, "%" PRId64, v->u.i);
	case VIGIL_T_BOOL:
		return vigil_buf_puts(w->out, v->u.b ? "true" : "false");
	case VIGIL_T_TIME: {
		size_t n = vigil_format_time(v->u.i, tmp);

		return vigil_json_str(w->out, tmp, n);
	}
	case VIGIL_T_IP:
		if (fmt_ip(&v->u.ip, tmp, sizeof(tmp)))
			return vigil_buf_puts(w->out, "null");
		return vigil_json_str(w->out, tmp, strlen(tmp));
	default:
		return vigil_buf_puts(w->out, "null");
	}
}

static const struct writer_ops json_ops = {
	.key = json_key, .open = json_open, .close = json_close,
	.value = json_value,
};

/* msgpack */

static int mp_write(void *data, const char *buf, size_t len)
{
	return vigil_buf_append(data, buf, len) ? -1 : 0;
}

static int mp_str(struct writer *w, const char *s, size_t len)
{
	if (len > UINT32_MAX)
		return -E2BIG;
	if (utf8_valid(s, len)) {
		if (msgpack_pack_str(&w->pk, len) ||
		    msgpack_pack_str_body(&w->pk, s, len))
			return -ENOMEM;
	} else {
		if (msgpack_pack_bin(&w->pk, len) ||
		    msgpack_pack_bin_body(&w->pk, s, len))
			return -ENOMEM;
	}
	return 0;
}

static int mp_key(struct writer *w, const char *key)
{
	return mp_str(w, key, strlen(key));
}

static int mp_open(struct writer *w, bool array)
{
	/* map32/array32 with the count patched by mp_close */
	char hdr[5] = { (char)(array ? 0xdd : 0xdf), 0, 0, 0, 0 };

	return vigil_buf_append(w->out, hdr, sizeof(hdr));
}

static int mp_close(struct writer *w, bool array, uint32_t count)
{
	unsigned char *p =
		(unsigned char *)w->out->data + w->start[w->depth - 1];

	p[1] = (unsigned char)(count >> 24);
	p[2] = (unsigned char)(count >> 16);
	p[3] = (unsigned char)(count >> 8);
	p[4] = (unsigned char)count;
	return 0;
}

static int mp_value(struct writer *w, const struct vigil_value *v)
{
	char tmp[64];

	switch (v->type) {
	case VIGIL_T_STR:
		return mp_str(w, v->u.s.ptr, v->u.s.len);
	case VIGIL_T_INT:
	case VIGIL_T_DURATION:
	case VIGIL_T_TIME:
		return msgpack_pack_int64(&w->pk, v->u.i) ? -ENOMEM : 0;
	case VIGIL_T_BOOL:
		return (v->u.b ? msgpack_pack_true(&w->pk) :
				 msgpack_pack_false(&w->pk)) ?
			       -ENOMEM :
			       0;
	case VIGIL_T_IP:
		if (fmt_ip(&v->u.ip, tmp, sizeof(tmp)))
			return msgpack_pack_nil(&w->pk) ? -ENOMEM : 0;
		return mp_str(w, tmp, strlen(tmp));
	default:
		return msgpack_pack_nil(&w->pk) ? -ENOMEM : 0;
	}
}

static const struct writer_ops mp_ops = {
	.key = mp_key, .open = mp_open, .close = mp_close, .value = mp_value,
};

/* ---- the walk ---- */

/*
 * Opens a container; key is NULL inside arrays.  The matching end either
 * closes it (members were written) or rolls the buffer back to where the
 * key started (nothing to say).
 */
static int w_begin(struct writer *w, const char *key, bool array)
{
	int rc;

	if (w->depth >= MAX_DEPTH)
		return -E2BIG;
	if (key) {
		rc = w->ops->key(w, key);
		if (rc)
			return rc;
	} else if (w->ops == &json_ops) {
		rc = json_sep(w);
		if (rc)
			return rc;
	}
	w->start[w->depth] = w->out->len;
	w->count[w->depth] = 0;
	w->depth++;
	return w->ops->open(w, array);
}

static int w_end(struct writer *w, bool array, size_t rollback_to,
		 bool keep_empty)
{
	uint32_t n = w->count[w->depth - 1];
	int rc = 0;

	if (n == 0 && !keep_empty) {
		w->depth--;
		w->out->len = rollback_to;
		return 0;
	}
	rc = w->ops->close(w, array, n);
	w->depth--;
	if (!rc && w->depth > 0)
		w->count[w->depth - 1]++;
	return rc;
}

static int w_leaf(struct writer *w, const char *key,
		  const struct vigil_value *v)
{
	int rc;

	if (key) {
		rc = w->ops->key(w, key);
	} else {
		rc = w->ops == &json_ops ? json_sep(w) : 0;
	}
	if (rc)
		return rc;
	rc = w->ops->value(w, v);
	if (!rc && w->depth > 0)
		w->count[w->depth - 1]++;
	return rc;
}

static int walk_nodes(struct writer *w, const struct vigil_schema_node *nodes,
		      size_t n, const void *ctx, const struct vigil_event *ev);

static int walk_node(struct writer *w, const struct vigil_schema_node *sn,
		     const void *ctx, const struct vigil_event *ev)
{
	struct vigil_value v;
	size_t mark;
	int rc;

	if (sn->flags & VIGIL_FIELD_DERIVED)
		return 0;
	if (sn->events && !(sn->events & VIGIL_EVBIT(ev->type)))
		return 0;
	mark = w->out->len;
	switch (sn->kind) {
	case VIGIL_SN_OBJ: {
		const void *child = vigil_schema_child(sn, ctx, ev, 0);

		if (!child)
			return 0;
		rc = w_begin(w, sn->name, false);
		if (!rc)
			rc = walk_nodes(w, sn->children, sn->n_children, child,
					ev);
		return rc ? rc : w_end(w, false, mark, false);
	}
	case VIGIL_SN_ARRAY: {
		uint32_t count = sn->count(ctx, ev);

		if (!count)
			return 0;
		rc = w_begin(w, sn->name, true);
		for (uint32_t i = 0; !rc && i < count; i++) {
			const void *el = sn->resolve(ctx, ev, i);
			size_t emark = w->out->len;

			if (!el)
				continue;
			rc = w_begin(w, NULL, false);
			if (!rc)
				rc = walk_nodes(w, sn->children,
						sn->n_children, el, ev);
			/* keep empty elements: positions are ancestry */
			if (!rc)
				rc = w_end(w, false, emark, true);
		}
		return rc ? rc : w_end(w, true, mark, false);
	}
	case VIGIL_SN_LEAF:
		if (sn->flags & VIGIL_FIELD_LIST) {
			rc = w_begin(w, sn->name, true);
			for (uint32_t i = 0; !rc; i++) {
				int g = vigil_schema_leaf_get(sn, ctx, ev, i,
							      &v);

				if (g == -ENOENT)
					break;
				if (g)
					continue;
				rc = w_leaf(w, NULL, &v);
			}
			return rc ? rc : w_end(w, true, mark, false);
		}
		if (vigil_schema_leaf_get(sn, ctx, ev, 0, &v))
			return 0;
		return w_leaf(w, sn->name, &v);
	default:
		return 0;
	}
}

static int walk_nodes(struct writer *w, const struct vigil_schema_node *nodes,
		      size_t n, const void *ctx, const struct vigil_event *ev)
{
	for (size_t i = 0; i < n; i++) {
		int rc = walk_node(w, &nodes[i], ctx, ev);

		if (rc)
			return rc;
	}
	return 0;
}

static int walk_signal(struct writer *w, const struct vigil_signal *sig)
{
	struct vigil_value v;
	size_t mark = w->out->len;
	int rc;

	rc = w_begin(w, "signal", false);
	if (rc)
		return rc;
	v.type = VIGIL_T_STR;
#define SIGSTR(k, val)                                                         \
	do {                                                                   \
		if (!rc && (val)) {                                            \
			v.u.s = vigil_str_c(val);                              \
			rc = w_leaf(w, k, &v);                                 \
		}                                                              \
	} while (0)
	SIGSTR("rule", sig->rule_id);
	SIGSTR("severity", vigil_severity_name(sig->severity));
	SIGSTR("title", sig->title);
	if (!rc && sig->n_tags) {
		size_t tmark = w->out->len;

		rc = w_begin(w, "tags", true);
		for (uint32_t i = 0; !rc && i < sig->n_tags; i++)
			SIGSTR(NULL, sig->tags[i]);
		if (!rc)
			rc = w_end(w, true, tmark, false);
	}
	SIGSTR("remediation", sig->remediation);
	SIGSTR("engine", sig->engine);
#undef SIGSTR
	if (!rc && sig->suppressed) {
		v.type = VIGIL_T_INT;
		v.u.i = sig->suppressed;
		rc = w_leaf(w, "suppressed", &v);
	}
	return rc ? rc : w_end(w, false, mark, false);
}

static int encode(const struct writer_ops *ops, const struct vigil_event *ev,
		  const struct vigil_signal *sig, struct vigil_buf *out)
{
	struct writer w;
	size_t start = out->len;
	int rc;

	memset(&w, 0, sizeof(w));
	w.ops = ops;
	w.out = out;
	msgpack_packer_init(&w.pk, out, mp_write);
	rc = w_begin(&w, NULL, false);
	if (!rc)
		rc = walk_nodes(&w, vigil_schema_root, vigil_schema_root_count,
				ev, ev);
	if (!rc && sig)
		rc = walk_signal(&w, sig);
	if (!rc)
		rc = w_end(&w, false, start, true);
	if (!rc && ops == &json_ops)
		rc = vigil_buf_putc(out, '\n');
	if (rc)
		out->len = start;
	return rc;
}

int vigil_encode_json(const struct vigil_event *ev,
		      const struct vigil_signal *sig, struct vigil_buf *out)
{
	return encode(&json_ops, ev, sig, out);
}

int vigil_encode_msgpack(const struct vigil_event *ev,
			 const struct vigil_signal *sig, struct vigil_buf *out)
{
	return encode(&mp_ops, ev, sig, out);
}
