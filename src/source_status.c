/*
 * source_status.c - a source's status numbers from a table (see
 * source_status.h).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "source_status.h"

/* Whether a member written now needs a comma before it. */
static bool needs_comma(const struct vigil_buf *out)
{
	char last;

	if (!out->len)
		return false;
	last = out->data[out->len - 1];
	return last != '{' && last != ',';
}

/* Appends "name":value of f, read from base, after sep. */
static int put_field(struct vigil_buf *out, const char *sep, const char *base,
		     const struct vigil_status_field *f)
{
	const void *v = base + f->offset;
	uint64_t u64;
	uint32_t u32;
	size_t size;
	int i;
	bool b;

	/* memcpy: the struct's alignment is the compiler's business */
	switch (f->kind) {
	case VIGIL_STATUS_KIND_U64:
		memcpy(&u64, v, sizeof(u64));
		return vigil_buf_printf(out, "%s\"%s\":%" PRIu64, sep, f->name,
					u64);
	case VIGIL_STATUS_KIND_U32:
		memcpy(&u32, v, sizeof(u32));
		return vigil_buf_printf(out, "%s\"%s\":%" PRIu32, sep, f->name,
					u32);
	case VIGIL_STATUS_KIND_SIZE:
		memcpy(&size, v, sizeof(size));
		return vigil_buf_printf(out, "%s\"%s\":%zu", sep, f->name,
					size);
	case VIGIL_STATUS_KIND_INT:
		memcpy(&i, v, sizeof(i));
		return vigil_buf_printf(out, "%s\"%s\":%d", sep, f->name, i);
	case VIGIL_STATUS_KIND_BOOL:
		memcpy(&b, v, sizeof(b));
		return vigil_buf_printf(out, "%s\"%s\":%s", sep, f->name,
					b ? "true" : "false");
	default:
		return -EINVAL;
	}
}

int vigil_status_fields(struct vigil_buf *out, const void *base,
			const struct vigil_status_field *fields, size_t n)
{
	const char *sep = needs_comma(out) ? "," : "";
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++) {
		rc = put_field(out, sep, base, &fields[i]);
		sep = ",";
	}
	return rc;
}

int vigil_status_object(struct vigil_buf *out, const char *key,
			const void *base,
			const struct vigil_status_field *fields, size_t n)
{
	int rc;

	rc = vigil_buf_printf(out, "%s\"%s\":{", needs_comma(out) ? "," : "",
			      key);
	if (!rc)
		rc = vigil_status_fields(out, base, fields, n);
	if (!rc)
		rc = vigil_buf_putc(out, '}');
	return rc;
}
