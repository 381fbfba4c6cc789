/*
 * buf.h - a growable byte buffer (struct vigil_buf, vigil/plugin.h): the
 * core and the plugins compile the same buf.c.  A buffer starts zeroed
 * ({ 0 }) and owns its data until vigil_buf_free().  There is always room
 * for a NUL after len; vigil_buf_append() keeps one there.
 */
#ifndef VIGIL_BUF_H
#define VIGIL_BUF_H

#include <stddef.h>

#include <vigil/plugin.h>

/* Makes room for n more bytes.  Returns 0 or -ENOMEM. */
int vigil_buf_reserve(struct vigil_buf *b, size_t n)
	__attribute__((warn_unused_result));
int vigil_buf_append(struct vigil_buf *b, const void *p, size_t n)
	__attribute__((warn_unused_result));
int vigil_buf_putc(struct vigil_buf *b, char c)
	__attribute__((warn_unused_result));
int vigil_buf_puts(struct vigil_buf *b, const char *s)
	__attribute__((warn_unused_result));
/* On -ENOMEM the buffer keeps what it had: callers that only build
 * messages may ignore the result. */
int vigil_buf_printf(struct vigil_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Returns a NUL-terminated view (the NUL is not counted in len). */
const char *vigil_buf_cstr(struct vigil_buf *b);
void vigil_buf_reset(struct vigil_buf *b);
void vigil_buf_free(struct vigil_buf *b);

#endif /* VIGIL_BUF_H */
