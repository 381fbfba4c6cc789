/*
 * buf.c - the growable byte buffer (struct vigil_buf, see buf.h).  One
 * source file compiled twice: into libvigilcore and into each plugin that
 * wants it (plugins link no vigil library), so there is one
 * implementation, not a copy per plugin.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

int vigil_buf_reserve(struct vigil_buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (n > SIZE_MAX - b->len - 1)
		return -ENOMEM;
	need = b->len + n + 1; /* room for vigil_buf_cstr's NUL */
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int vigil_buf_append(struct vigil_buf *b, const void *p, size_t n)
{
	int rc = vigil_buf_reserve(b, n);

	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int vigil_buf_putc(struct vigil_buf *b, char c)
{
	return vigil_buf_append(b, &c, 1);
}

int vigil_buf_puts(struct vigil_buf *b, const char *s)
{
	return vigil_buf_append(b, s, strlen(s));
}

int vigil_buf_printf(struct vigil_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	rc = vigil_buf_reserve(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

const char *vigil_buf_cstr(struct vigil_buf *b)
{
	if (vigil_buf_reserve(b, 0))
		return "";
	b->data[b->len] = '\0';
	return b->data;
}

void vigil_buf_reset(struct vigil_buf *b)
{
	b->len = 0;
}

void vigil_buf_free(struct vigil_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
