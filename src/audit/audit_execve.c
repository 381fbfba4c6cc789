/*
 * audit_execve.c - argv from EXECVE and PROCTITLE records (see
 * audit_execve.h).  Decoded bytes of all arguments go into one reusable
 * buffer; the pieces of an argument are contiguous because the kernel
 * writes them in order, and a piece that breaks the order is dropped and
 * flagged rather than trusted.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_execve.h"

#define ARG_UNSET UINT32_MAX

void vigil_audit_argv_begin(struct vigil_audit_argv *a)
{
	vigil_buf_reset(&a->bytes);
	a->argc = 0;
	a->have_argc = false;
	a->incomplete = false;
	a->cur = -1;
	a->next_piece = 0;
}

void vigil_audit_argv_free(struct vigil_audit_argv *a)
{
	vigil_buf_free(&a->bytes);
	free(a->off);
	free(a->len);
	free(a->want);
	memset(a, 0, sizeof(*a));
}

/* Sizes the per-argument arrays for n arguments, all unset. */
static int argv_size(struct vigil_audit_argv *a, uint32_t n)
{
	uint32_t i;

	if (n > a->cap) {
		uint32_t cap = n < 64 ? 64 : n;
		uint32_t *off = realloc(a->off, cap * sizeof(*off));
		uint32_t *len;
		uint64_t *want;

		if (!off)
			return -ENOMEM;
		a->off = off;
		len = realloc(a->len, cap * sizeof(*len));
		if (!len)
			return -ENOMEM;
		a->len = len;
		want = realloc(a->want, cap * sizeof(*want));
		if (!want)
			return -ENOMEM;
		a->want = want;
		a->cap = cap;
	}
	for (i = 0; i < n; i++) {
		a->off[i] = ARG_UNSET;
		a->len[i] = 0;
		a->want[i] = 0;
	}
	a->argc = n;
	return 0;
}

/* Appends a decoded value (quoted: as is; bare: hex).  Returns the
 * number of bytes added, or a negative errno. */
static int64_t append_value(struct vigil_audit_argv *a,
			    const struct vigil_audit_record *rec,
			    const struct vigil_audit_field *f)
{
	size_t n;
	int r;

	if (f->enc == VIGIL_AUDIT_VAL_NULL || f->enc == VIGIL_AUDIT_VAL_UNSET)
		return -EINVAL;
	if (a->bytes.len + f->val_len >= ARG_UNSET)
		return -E2BIG;
	if (vigil_buf_reserve(&a->bytes, f->val_len + 1))
		return -ENOMEM;
	r = vigil_audit_value_decode(rec, f, a->bytes.data + a->bytes.len,
				     a->bytes.cap - a->bytes.len, &n);
	if (r)
		return r;
	a->bytes.len += n;
	return (int64_t)n;
}

/* Parses "a<N>" followed by what is left in *rest: "", "_len", "[I]". */
static int parse_arg_key(const char *k, size_t n, uint32_t *idx,
			 const char **rest, size_t *rest_len)
{
	uint64_t v = 0;
	size_t i = 1;

	if (n < 2 || k[0] != 'a')
		return -EINVAL;
	while (i < n && k[i] >= '0' && k[i] <= '9') {
		v = v * 10 + (uint64_t)(k[i] - '0');
		if (v >= VIGIL_AUDIT_MAX_ARGC)
			return -EINVAL;
		i++;
	}
	if (i == 1)
		return -EINVAL;
	*idx = (uint32_t)v;
	*rest = k + i;
	*rest_len = n - i;
	return 0;
}

static int parse_piece(const char *p, size_t n, uint32_t *piece)
{
	uint64_t v = 0;
	size_t i;

	if (n < 3 || p[0] != '[' || p[n - 1] != ']')
		return -EINVAL;
	for (i = 1; i < n - 1; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(p[i] - '0');
		if (v > UINT32_MAX)
			return -EINVAL;
	}
	*piece = (uint32_t)v;
	return 0;
}

/* One aN / aN_len / aN[i] field. */
static int add_arg_field(struct vigil_audit_argv *a,
			 const struct vigil_audit_record *rec,
			 const struct vigil_audit_field *f)
{
	struct vigil_str key = vigil_audit_field_key(rec, f);
	const char *rest;
	size_t rest_len;
	uint32_t idx, piece;
	int64_t n, want;

	if (parse_arg_key(key.ptr, key.len, &idx, &rest, &rest_len) ||
	    idx >= a->argc) {
		a->incomplete = true;
		return 0;
	}
	if (rest_len == 0) { /* aN="..." or aN=hex */
		if (a->off[idx] != ARG_UNSET) {
			a->incomplete = true;
			return 0;
		}
		a->cur = -1;
		a->off[idx] = (uint32_t)a->bytes.len;
		n = append_value(a, rec, f);
		if (n == -ENOMEM)
			return -ENOMEM;
		if (n < 0) {
			a->off[idx] = ARG_UNSET;
			a->incomplete = true;
			return 0;
		}
		a->len[idx] = (uint32_t)n;
		return 0;
	}
	if (rest_len == 4 && memcmp(rest, "_len", 4) == 0) {
		if (a->off[idx] != ARG_UNSET ||
		    vigil_audit_field_dec(rec, f, &want) || want <= 0) {
			a->incomplete = true;
			return 0;
		}
		a->off[idx] = (uint32_t)a->bytes.len;
		a->want[idx] = (uint64_t)want;
		a->cur = (int32_t)idx;
		a->next_piece = 0;
		return 0;
	}
	if (parse_piece(rest, rest_len, &piece) || a->cur != (int32_t)idx ||
	    piece != a->next_piece) {
		a->incomplete = true;
		return 0;
	}
	n = append_value(a, rec, f);
	if (n == -ENOMEM)
		return -ENOMEM;
	if (n < 0) {
		a->incomplete = true;
		a->cur = -1; /* the rest of this argument cannot be trusted */
		return 0;
	}
	a->len[idx] += (uint32_t)n;
	/* aN_len counts the bytes as written: hex digits when the pieces
	 * are hex (always, once an argument spans records), else bytes. */
	if (f->val_len > a->want[idx])
		a->incomplete = true;
	else
		a->want[idx] -= f->val_len;
	a->next_piece++;
	return 0;
}

int vigil_audit_argv_add(struct vigil_audit_argv *a,
			 const struct vigil_audit_record *rec)
{
	const struct vigil_audit_field *f;
	uint32_t i = 0;
	int64_t argc;
	int r;

	if (!a->have_argc) {
		f = vigil_audit_field_find(rec, "argc");
		if (!f || vigil_audit_field_dec(rec, f, &argc) || argc < 0 ||
		    argc > VIGIL_AUDIT_MAX_ARGC)
			return -EINVAL;
		r = argv_size(a, (uint32_t)argc);
		if (r)
			return r;
		a->have_argc = true;
	}
	if (rec->truncated)
		a->incomplete = true;
	for (i = 0; i < rec->n_fields; i++) {
		f = &rec->fields[i];
		if (f->key_len == 4 &&
		    memcmp(rec->buf + f->key_off, "argc", 4) == 0)
			continue;
		r = add_arg_field(a, rec, f);
		if (r)
			return r;
	}
	return 0;
}

int vigil_audit_argv_end(struct vigil_audit_argv *a)
{
	uint32_t i;

	if (!a->have_argc)
		return -EINVAL;
	for (i = 0; i < a->argc; i++)
		if (a->want[i])
			a->incomplete = true; /* pieces missing */
	return 0;
}

int vigil_audit_argv_proctitle(struct vigil_audit_argv *a,
			       const struct vigil_audit_record *rec,
			       const struct vigil_audit_field *f)
{
	uint32_t n = 0, i, start;
	int64_t len;
	int r;

	vigil_audit_argv_begin(a);
	len = append_value(a, rec, f);
	if (len < 0)
		return len == -EINVAL && f->enc == VIGIL_AUDIT_VAL_NULL
			       ? -ENODATA : (int)len;
	/* Count arguments: NUL-separated, a trailing NUL ends the last. */
	for (i = 0; i < a->bytes.len; i++)
		if (a->bytes.data[i] == '\0')
			n++;
	if (a->bytes.len > 0 && a->bytes.data[a->bytes.len - 1] != '\0')
		n++;
	r = argv_size(a, n);
	if (r)
		return r;
	a->have_argc = true;
	for (i = 0, n = 0, start = 0; i <= a->bytes.len && n < a->argc; i++) {
		if (i == a->bytes.len || a->bytes.data[i] == '\0') {
			a->off[n] = start;
			a->len[n] = i - start;
			n++;
			start = i + 1;
		}
	}
	return 0;
}
