/*
 * audit_record.c - parse one audit record in place (see audit_record.h).
 *
 * The grammar the kernel writes (kernel/audit.c, kernel/auditsc.c) is
 * "audit(SEC.MS:SERIAL): key=value key=value ...", where a value is a bare
 * token, a double-quoted string without '"' inside (strings with '"',
 * spaces or control bytes are hex-encoded instead), (null) or ?.  User
 * space messages add msg='...' with nested fields.  Nothing here trusts the
 * text: lengths come from the caller and every index is checked.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <libaudit.h>

#include "audit/audit_record.h"
#include "util.h"

/* Separates the raw record from auditd's enriched fields (log_format =
 * ENRICHED writes 0x1d, ASCII group separator). */
#define AUDIT_ENRICHED_SEP '\x1d'

static const char stamp_prefix[] = "audit(";
#define STAMP_PREFIX_LEN (sizeof(stamp_prefix) - 1)

/* Parses an unsigned decimal of at most max_digits digits at p[*i]. */
static int parse_udec(const char *p, size_t len, size_t *i, uint64_t *out,
		      unsigned max_digits)
{
	uint64_t v = 0;
	unsigned n = 0;

	while (*i < len && p[*i] >= '0' && p[*i] <= '9') {
		if (++n > max_digits)
			return -EINVAL;
		v = v * 10 + (uint64_t)(p[*i] - '0');
		(*i)++;
	}
	if (n == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

int vigil_audit_parse_stamp(const char *p, size_t len, int64_t *sec,
			    uint32_t *ms, uint64_t *serial, uint32_t *body_off)
{
	size_t i = STAMP_PREFIX_LEN;
	uint64_t s, m, n;

	if (len < STAMP_PREFIX_LEN ||
	    memcmp(p, stamp_prefix, STAMP_PREFIX_LEN) != 0)
		return -EINVAL;
	/* Callers turn the stamp into ns since the epoch: seconds must
	 * leave room for that in int64_t (until the year 2262). */
	if (parse_udec(p, len, &i, &s, 19) || i >= len || p[i++] != '.' ||
	    s > (uint64_t)(INT64_MAX / 1000000000LL) - 1)
		return -EINVAL;
	if (parse_udec(p, len, &i, &m, 3) || i >= len || p[i++] != ':')
		return -EINVAL;
	if (parse_udec(p, len, &i, &n, 19) || i >= len || p[i++] != ')')
		return -EINVAL;
	if (i < len && p[i] == ':')
		i++;
	while (i < len && p[i] == ' ')
		i++;
	if (i > UINT32_MAX)
		return -EINVAL;
	*sec = (int64_t)s;
	*ms = (uint32_t)m;
	*serial = n;
	*body_off = (uint32_t)i;
	return 0;
}

/* Record length without a trailing newline and enriched part. */
static size_t record_text_len(const char *p, size_t len)
{
	const char *sep = memchr(p, AUDIT_ENRICHED_SEP, len);

	if (sep)
		len = (size_t)(sep - p);
	while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\0'))
		len--;
	return len;
}

/* Maps "SYSCALL" or "UNKNOWN[1327]" to a message type; 0 if unknown. */
static uint32_t type_from_name(const char *p, size_t n)
{
	static const char unknown[] = "UNKNOWN[";
	char name[64];
	size_t i;
	uint64_t v;
	int t;

	if (n > sizeof(unknown) - 1 &&
	    memcmp(p, unknown, sizeof(unknown) - 1) == 0) {
		i = sizeof(unknown) - 1;
		if (parse_udec(p, n, &i, &v, 5) || i + 1 != n || p[i] != ']')
			return 0;
		return (uint32_t)v;
	}
	if (n == 0 || n >= sizeof(name))
		return 0;
	memcpy(name, p, n);
	name[n] = '\0';
	t = audit_name_to_msg_type(name);
	return t > 0 ? (uint32_t)t : 0;
}

static void record_reset(struct vigil_audit_record *rec, const char *buf,
			 size_t len)
{
	memset(rec, 0, sizeof(*rec));
	rec->buf = buf;
	rec->len = (uint32_t)len;
}

int vigil_audit_record_parse_line(struct vigil_audit_record *rec,
				  const char *line, size_t len)
{
	static const char node_kw[] = "node=";
	static const char type_kw[] = "type=";
	static const char msg_kw[] = " msg=";
	size_t i = 0, name_start, body;
	uint32_t body_off;
	int r;

	if (len > UINT32_MAX)
		return -EINVAL;
	len = record_text_len(line, len);
	record_reset(rec, line, len);
	if (len >= sizeof(node_kw) - 1 &&
	    memcmp(line, node_kw, sizeof(node_kw) - 1) == 0) {
		while (i < len && line[i] != ' ')
			i++;
		while (i < len && line[i] == ' ')
			i++;
	}
	if (len - i < sizeof(type_kw) - 1 ||
	    memcmp(line + i, type_kw, sizeof(type_kw) - 1) != 0)
		return -EINVAL;
	i += sizeof(type_kw) - 1;
	name_start = i;
	while (i < len && line[i] != ' ')
		i++;
	rec->type = type_from_name(line + name_start, i - name_start);
	if (rec->type == 0)
		return -EINVAL;
	if (len - i < sizeof(msg_kw) - 1 ||
	    memcmp(line + i, msg_kw, sizeof(msg_kw) - 1) != 0)
		return -EINVAL;
	body = i + sizeof(msg_kw) - 1;
	r = vigil_audit_parse_stamp(line + body, len - body, &rec->sec,
				    &rec->ms, &rec->serial, &body_off);
	if (r)
		return r;
	rec->body_off = (uint32_t)(body + body_off);
	return 0;
}

int vigil_audit_record_parse_netlink(struct vigil_audit_record *rec,
				     uint32_t type, const char *text,
				     size_t len)
{
	if (len > UINT32_MAX)
		return -EINVAL;
	len = record_text_len(text, len);
	record_reset(rec, text, len);
	rec->type = type;
	return vigil_audit_parse_stamp(text, len, &rec->sec, &rec->ms,
				       &rec->serial, &rec->body_off);
}

/* Key characters the kernel and user space tools write: a0, a1[2],
 * a1_len, saddr, obj_uid, new-disabled, ... */
static bool key_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '[' ||
	       c == ']' || c == '.' || c == ':';
}

int vigil_audit_record_fields(struct vigil_audit_record *rec,
			      struct vigil_audit_field *fields, uint32_t cap)
{
	const char *p = rec->buf;
	size_t len = rec->len, i = rec->body_off, ks, ke, vs, ve;
	struct vigil_audit_field *f;
	uint8_t enc;

	rec->fields = fields;
	rec->cap_fields = cap;
	rec->n_fields = 0;
	rec->truncated = false;
	while (i < len) {
		while (i < len && p[i] == ' ')
			i++;
		if (i >= len)
			break;
		ks = i;
		while (i < len && key_char((unsigned char)p[i]))
			i++;
		if (i == ks || i >= len || p[i] != '=' ||
		    i - ks > UINT16_MAX)
			return -EINVAL;
		ke = i++; /* '=' */
		enc = VIGIL_AUDIT_VAL_PLAIN;
		if (i < len && (p[i] == '"' || p[i] == '\'')) {
			const char *q = memchr(p + i + 1, p[i], len - i - 1);

			if (!q)
				return -EINVAL;
			enc = VIGIL_AUDIT_VAL_QUOTED;
			vs = i + 1;
			ve = (size_t)(q - p);
			i = ve + 1;
		} else {
			vs = i;
			while (i < len && p[i] != ' ')
				i++;
			ve = i;
			if (ve - vs == 6 && memcmp(p + vs, "(null)", 6) == 0)
				enc = VIGIL_AUDIT_VAL_NULL;
			else if (ve - vs == 1 && p[vs] == '?')
				enc = VIGIL_AUDIT_VAL_UNSET;
		}
		if (rec->n_fields >= cap) {
			rec->truncated = true;
			continue;
		}
		f = &fields[rec->n_fields++];
		f->key_off = (uint32_t)ks;
		f->key_len = (uint16_t)(ke - ks);
		f->val_off = (uint32_t)vs;
		f->val_len = (uint32_t)(ve - vs);
		f->enc = enc;
		f->reserved0 = 0;
	}
	return (int)rec->n_fields;
}

const struct vigil_audit_field *
vigil_audit_field_find(const struct vigil_audit_record *rec, const char *key)
{
	size_t n = strlen(key);
	uint32_t i;

	for (i = 0; i < rec->n_fields; i++) {
		const struct vigil_audit_field *f = &rec->fields[i];

		/* the first byte rejects most keys without a call */
		if (f->key_len == n && rec->buf[f->key_off] == key[0] &&
		    memcmp(rec->buf + f->key_off, key, n) == 0)
			return f;
	}
	return NULL;
}

struct vigil_str vigil_audit_field_key(const struct vigil_audit_record *rec,
				       const struct vigil_audit_field *f)
{
	struct vigil_str s = { rec->buf + f->key_off, f->key_len };

	return s;
}

struct vigil_str vigil_audit_field_raw(const struct vigil_audit_record *rec,
				       const struct vigil_audit_field *f)
{
	struct vigil_str s = { rec->buf + f->val_off, f->val_len };

	return s;
}

int vigil_audit_hex_decode(const char *p, size_t n, char *out, size_t cap)
{
	size_t i;
	int hi, lo;

	if (n % 2 || n / 2 > cap)
		return -EINVAL;
	for (i = 0; i < n; i += 2) {
		hi = vigil_hex_digit(p[i]);
		lo = vigil_hex_digit(p[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i / 2] = (char)(hi << 4 | lo);
	}
	return 0;
}

int vigil_audit_value_decode(const struct vigil_audit_record *rec,
			     const struct vigil_audit_field *f, char *out,
			     size_t cap, size_t *len)
{
	const char *v = rec->buf + f->val_off;

	switch (f->enc) {
	case VIGIL_AUDIT_VAL_NULL:
	case VIGIL_AUDIT_VAL_UNSET:
		*len = 0;
		return -ENODATA;
	case VIGIL_AUDIT_VAL_QUOTED:
		*len = f->val_len;
		if (f->val_len > cap)
			return -ENOSPC;
		memcpy(out, v, f->val_len);
		return 0;
	default:
		*len = f->val_len / 2;
		if (*len > cap)
			return -ENOSPC;
		return vigil_audit_hex_decode(v, f->val_len, out, cap);
	}
}

int vigil_audit_field_dec(const struct vigil_audit_record *rec,
			  const struct vigil_audit_field *f, int64_t *out)
{
	const char *v = rec->buf + f->val_off;
	size_t i = 0, n = f->val_len;
	bool neg = false;
	uint64_t u;

	if (f->enc == VIGIL_AUDIT_VAL_NULL || f->enc == VIGIL_AUDIT_VAL_UNSET)
		return -ENODATA;
	if (n > 0 && v[0] == '-') {
		neg = true;
		i++;
	}
	if (parse_udec(v, n, &i, &u, 19) || i != n)
		return -EINVAL;
	if (u > (uint64_t)INT64_MAX)
		return -EINVAL;
	*out = neg ? -(int64_t)u : (int64_t)u;
	return 0;
}

int vigil_audit_field_hex(const struct vigil_audit_record *rec,
			  const struct vigil_audit_field *f, uint64_t *out)
{
	const char *v = rec->buf + f->val_off;
	uint64_t u = 0;
	uint32_t i;
	int d;

	if (f->enc == VIGIL_AUDIT_VAL_NULL || f->enc == VIGIL_AUDIT_VAL_UNSET)
		return -ENODATA;
	if (f->val_len == 0 || f->val_len > 16)
		return -EINVAL;
	for (i = 0; i < f->val_len; i++) {
		d = vigil_hex_digit(v[i]);
		if (d < 0)
			return -EINVAL;
		u = u << 4 | (uint64_t)d;
	}
	*out = u;
	return 0;
}

int vigil_audit_get_dec(const struct vigil_audit_record *rec, const char *key,
			int64_t *out)
{
	const struct vigil_audit_field *f = vigil_audit_field_find(rec, key);

	return f ? vigil_audit_field_dec(rec, f, out) : -ENOENT;
}

int vigil_audit_get_hex(const struct vigil_audit_record *rec, const char *key,
			uint64_t *out)
{
	const struct vigil_audit_field *f = vigil_audit_field_find(rec, key);

	return f ? vigil_audit_field_hex(rec, f, out) : -ENOENT;
}

int vigil_audit_get_id(const struct vigil_audit_record *rec, const char *key,
		       uint32_t *out)
{
	const struct vigil_audit_field *f = vigil_audit_field_find(rec, key);
	int64_t v;
	int r;

	if (!f)
		return -ENOENT;
	if (f->val_len == 5 && memcmp(rec->buf + f->val_off, "unset", 5) == 0) {
		*out = VIGIL_ID_UNSET;
		return 0;
	}
	r = vigil_audit_field_dec(rec, f, &v);
	if (r)
		return r;
	if (v == -1 || v < 0 || v > (int64_t)UINT32_MAX)
		*out = VIGIL_ID_UNSET;
	else
		*out = (uint32_t)v;
	return 0;
}
