/*
 * util.h - small pieces every part of the core uses: a growable buffer, a
 * chunked arena for per-event strings, clock helpers and logging.
 */
#ifndef VIGIL_UTIL_H
#define VIGIL_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <vigil/event.h>
#include <vigil/plugin.h>

#include "buf.h"

#define VIGIL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Frees what the pointer lvalue p owns and forgets it: a second close or
 * free of its owner finds NULL. */
#define VIGIL_FREE_NULL(p)  \
	do {                \
		free(p);    \
		(p) = NULL; \
	} while (0)

/*
 * Marks a deliberate fall through to the next case label for
 * -Wimplicit-fallthrough: clang does not take a comment for it.  Compilers
 * without the attribute (gcc < 7; gcc < 5 has no __has_attribute) have no
 * such warning either, so there it is an empty statement.
 */
#if defined(__has_attribute)
#if __has_attribute(fallthrough)
#define VIGIL_FALLTHROUGH __attribute__((fallthrough))
#endif
#endif
#ifndef VIGIL_FALLTHROUGH
#define VIGIL_FALLTHROUGH do { } while (0)
#endif

/* ---- arena ---- */

/*
 * A chunked bump allocator.  An event owns one; sources reset it between
 * events so the steady state allocates nothing.  Memory returned is valid
 * until the next reset or free.
 */
struct vigil_arena_chunk;
struct vigil_arena {
	struct vigil_arena_chunk *head; /* current chunk */
	struct vigil_arena_chunk *full; /* earlier chunks of this round */
	size_t chunk_size;
};

void vigil_arena_init(struct vigil_arena *a, size_t chunk_size);
void *vigil_arena_alloc(struct vigil_arena *a, size_t n);
/* Copies n bytes into the arena; the copy is NUL-terminated. */
int vigil_arena_str(struct vigil_arena *a, struct vigil_str *out,
		    const char *p, size_t n) __attribute__((warn_unused_result));
/* Forgets all allocations; keeps the largest chunk for reuse. */
void vigil_arena_reset(struct vigil_arena *a);
void vigil_arena_free(struct vigil_arena *a);

/* ---- events ---- */

/* Clears ev and points it at arena a (which it does not own). */
void vigil_event_init(struct vigil_event *ev, struct vigil_arena *a);
/* Clears the fields of a process context to "unknown". */
void vigil_process_clear(struct vigil_process *p);
void vigil_file_clear(struct vigil_file *f);

static inline struct vigil_str vigil_str_c(const char *s);
#include <string.h>
static inline struct vigil_str vigil_str_c(const char *s)
{
	struct vigil_str r = { s, s ? (uint32_t)strlen(s) : 0 };
	return r;
}
/* The value of the hex digit c (0-9, a-f, A-F), or -1 if it is none. */
static inline int vigil_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
static inline bool vigil_str_eq(struct vigil_str a, const char *b)
{
	size_t n = strlen(b);
	return a.len == n && (n == 0 || memcmp(a.ptr, b, n) == 0);
}

/* Creates dir and its missing parents (mode for the new ones).  Returns 0
 * or a negative errno. */
int vigil_mkdir_p(const char *dir, unsigned int mode)
	__attribute__((warn_unused_result));
/* The same for the directory that holds file. */
int vigil_mkdir_parent(const char *file, unsigned int mode)
	__attribute__((warn_unused_result));

/*
 * Makes room in the array *v of *cap elements of size bytes for one more
 * after the n in use: when n has reached *cap, *v is reallocated to twice
 * *cap (first when it is 0) and the new elements are zeroed.  Returns 0
 * or -ENOMEM, leaving *v and *cap as they were.
 */
int vigil_grow(void **v, size_t *cap, size_t n, size_t size, size_t first)
	__attribute__((warn_unused_result));

/*
 * Reads the whole file at path into out (empty on entry; the caller
 * frees it, whatever the result).  On success out holds the bytes,
 * NUL-terminated, and out->data is set even for an empty file.  A file
 * of more than max bytes is refused with -EFBIG.  Returns 0 or a
 * negative errno, with "path: what went wrong" (no newline) appended to
 * err.
 */
int vigil_read_file(const char *path, size_t max, struct vigil_buf *out,
		    struct vigil_buf *err) __attribute__((warn_unused_result));

/* ---- time ---- */
int64_t vigil_now_ns(void);       /* CLOCK_REALTIME */
int64_t vigil_monotonic_ns(void); /* CLOCK_MONOTONIC */
/* Formats ns since the epoch as 2026-11-29T15:08:26.123456789Z (31 bytes
 * plus NUL).  Returns the length. */
size_t vigil_format_time(int64_t ns, char out[40]);
/* Parses that format (fraction optional). Returns 0 or -EINVAL. */
int vigil_parse_time(const char *s, size_t len, int64_t *ns);

/*
 * Is the file at path safe to load code or policy from, like sshd's
 * StrictModes?  The file must be owned by root or by us and writable by
 * nobody else, and so must every directory above it -- except that a
 * sticky directory (/tmp) may be world-writable when the entry below it
 * is ours, since then no one else can rename or replace that entry.
 * Returns 0, -EPERM with the offending path and the fix in why, or
 * another negative errno from lstat.
 */
int vigil_path_trusted(const char *path, struct vigil_buf *why)
	__attribute__((warn_unused_result));

/* ---- logging ---- */
enum vigil_log_target { VIGIL_LOG_STDERR, VIGIL_LOG_SYSLOG };
void vigil_log_setup(int target, int level, const char *ident);
void vigil_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vigil_vlog(int level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
int vigil_log_level_from_name(const char *name);

/*
 * Terminal-safe text: control bytes (below 0x20, 0x7f) and every byte
 * above 0x7f are written as \xNN, so a file name, argv or peer string
 * cannot move the cursor, erase lines or retitle the admin's terminal
 * (C1 controls and their UTF-8 forms included).  The log escapes each
 * message this way; front ends printing attacker-controlled strings call
 * these.  vigil_escape_term writes at most cap bytes including the NUL
 * (never a partial \xNN) and returns the length written.
 */
size_t vigil_escape_term(char *dst, size_t cap, const char *src, size_t n);
int vigil_buf_put_term(struct vigil_buf *b, const char *s, size_t n)
	__attribute__((warn_unused_result));
void vigil_fputs_term(const char *s, FILE *f);
#define vigil_err(...) vigil_log(VIGIL_LOG_ERR, __VA_ARGS__)
#define vigil_warn(...) vigil_log(VIGIL_LOG_WARNING, __VA_ARGS__)
#define vigil_notice(...) vigil_log(VIGIL_LOG_NOTICE, __VA_ARGS__)
#define vigil_info(...) vigil_log(VIGIL_LOG_INFO, __VA_ARGS__)
#define vigil_debug(...) vigil_log(VIGIL_LOG_DEBUG, __VA_ARGS__)

/*
 * The end of a program's getopt_long() switch, for its default: label.
 * The options every vigil program handles alike: 'V' (--version) prints
 * "prog VERSION" and 'h' (--help) the usage, on stdout; anything else
 * (getopt's '?' for an unknown option or a missing argument) prints the
 * usage on stderr.  Returns the exit status for main() to return: 0 for
 * 'V' and 'h', usage_exit for the rest.
 */
int vigil_getopt_default(int opt, const char *prog, void (*usage)(FILE *),
			 int usage_exit);
/* The struct option entries for 'V' and 'h' and the table's end: the last
 * lines of such a program's option table (<getopt.h>). */
#define VIGIL_OPTIONS_END                      \
	{ "version", no_argument, NULL, 'V' }, \
	{ "help", no_argument, NULL, 'h' },    \
	{ NULL, 0, NULL, 0 }

/*
 * The candidate closest to word by edit distance, when close enough to be
 * a likely typo (at most a third of the word's length, at least 1); else
 * NULL.  For "did you mean" hints.
 */
const char *vigil_nearest(const char *word, const char *const *cands,
			  size_t n);

/* Severity names: info, low, medium, high, critical. */
const char *vigil_severity_name(uint32_t sev);
int vigil_severity_from_name(const char *name);

#endif /* VIGIL_UTIL_H */
