/*
 * util.c - arena, clock and logging helpers (see util.h; the buffer is
 * in buf.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* ---- arena ---- */

struct vigil_arena_chunk {
	struct vigil_arena_chunk *next;
	size_t size;
	size_t used;
	max_align_t data[];
};

void vigil_arena_init(struct vigil_arena *a, size_t chunk_size)
{
	a->head = NULL;
	a->full = NULL;
	a->chunk_size = chunk_size ? chunk_size : 16384;
}

void *vigil_arena_alloc(struct vigil_arena *a, size_t n)
{
	struct vigil_arena_chunk *c = a->head;
	const size_t align = sizeof(max_align_t);
	size_t size;
	void *p;

	n = (n + align - 1) & ~(align - 1);
	if (c && c->size - c->used >= n) {
		p = (char *)c->data + c->used;
		c->used += n;
		return p;
	}
	size = a->chunk_size;
	while (size < n)
		size *= 2;
	c = malloc(sizeof(*c) + size);
	if (!c)
		return NULL;
	c->size = size;
	c->used = n;
	if (a->head) {
		a->head->next = a->full;
		a->full = a->head;
	}
	c->next = NULL;
	a->head = c;
	return c->data;
}

int vigil_arena_str(struct vigil_arena *a, struct vigil_str *out,
		    const char *p, size_t n)
{
	char *d;

	if (n > UINT32_MAX - 1)
		return -E2BIG;
	d = vigil_arena_alloc(a, n + 1);
	if (!d)
		return -ENOMEM;
	if (n)
		memcpy(d, p, n);
	d[n] = '\0';
	out->ptr = d;
	out->len = (uint32_t)n;
	return 0;
}

void vigil_arena_reset(struct vigil_arena *a)
{
	struct vigil_arena_chunk *c, *next, *keep = a->head;

	/* Keep the biggest chunk so a steady stream allocates nothing. */
	for (c = a->full; c; c = c->next)
		if (!keep || c->size > keep->size)
			keep = c;
	for (c = a->full; c; c = next) {
		next = c->next;
		if (c != keep)
			free(c);
	}
	if (a->head && a->head != keep)
		free(a->head);
	a->full = NULL;
	a->head = keep;
	if (keep) {
		keep->used = 0;
		keep->next = NULL;
	}
}

void vigil_arena_free(struct vigil_arena *a)
{
	vigil_arena_reset(a);
	free(a->head);
	a->head = NULL;
}

/* ---- events ---- */

void vigil_file_clear(struct vigil_file *f)
{
	memset(f, 0, sizeof(*f));
	f->uid = f->gid = VIGIL_ID_UNSET;
	f->size = -1;
	f->prev_size = -1;
}

void vigil_process_clear(struct vigil_process *p)
{
	memset(p, 0, sizeof(*p));
	p->uid = p->gid = p->euid = p->egid = VIGIL_ID_UNSET;
	p->suid = p->sgid = p->fsuid = p->fsgid = VIGIL_ID_UNSET;
	p->auid = p->session_id = VIGIL_ID_UNSET;
	vigil_file_clear(&p->file);
}

void vigil_event_init(struct vigil_event *ev, struct vigil_arena *a)
{
	memset(ev, 0, sizeof(*ev));
	vigil_process_clear(&ev->process);
	ev->arena = a;
}

/* ---- directories ---- */

int vigil_mkdir_p(const char *dir, unsigned int mode)
{
	char path[4096];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, len + 1);
	for (char *p = path + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(path, mode) && errno != EEXIST)
			return -errno;
		*p = c;
		if (!c)
			break;
	}
	return 0;
}

int vigil_mkdir_parent(const char *file, unsigned int mode)
{
	char dir[4096];
	char *slash;

	if (strlen(file) >= sizeof(dir))
		return -ENAMETOOLONG;
	strcpy(dir, file);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	return vigil_mkdir_p(dir, mode);
}

/* ---- time ---- */

int vigil_grow(void **v, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t c;
	void *p;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : first;
	if (c < *cap || c > SIZE_MAX / size)
		return -ENOMEM;
	p = realloc(*v, c * size);
	if (!p)
		return -ENOMEM;
	memset((char *)p + *cap * size, 0, (c - *cap) * size);
	*v = p;
	*cap = c;
	return 0;
}

int vigil_read_file(const char *path, size_t max, struct vigil_buf *out,
		    struct vigil_buf *err)
{
	char chunk[65536];
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		vigil_buf_printf(err, "%s: cannot open: %s", path,
				 strerror(-rc));
		return rc;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (out->len + (size_t)n > max) {
			vigil_buf_printf(err, "%s: larger than %zu MiB", path,
					 max >> 20);
			rc = -EFBIG;
			goto out_close;
		}
		rc = vigil_buf_append(out, chunk, (size_t)n);
		if (rc)
			goto out_close;
	}
	if (n < 0) {
		rc = -errno;
		vigil_buf_printf(err, "%s: cannot read: %s", path,
				 strerror(-rc));
		goto out_close;
	}
	/* vigil_buf_append keeps a NUL after the data; an empty file has
	 * none yet. */
	if (!out->data && vigil_buf_reserve(out, 0))
		rc = -ENOMEM;
	else
		vigil_buf_cstr(out);
out_close:
	close(fd);
	return rc;
}

int64_t vigil_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t vigil_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

size_t vigil_format_time(int64_t ns, char out[40])
{
	time_t sec = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	struct tm tm;
	size_t n;

	if (frac < 0) {
		frac += 1000000000;
		sec -= 1;
	}
	gmtime_r(&sec, &tm);
	n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(out + n, 40 - n, ".%09ldZ", frac);
	return n;
}

int vigil_parse_time(const char *s, size_t len, int64_t *ns)
{
	char tmp[64];
	struct tm tm;
	const char *p;
	int64_t frac = 0, scale = 100000000;
	time_t sec;

	if (len == 0 || len >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	memset(&tm, 0, sizeof(tm));
	p = strptime(tmp, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -EINVAL;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9') {
			frac += (*p - '0') * scale;
			scale /= 10;
			p++;
		}
	}
	if (strcmp(p, "Z") != 0)
		return -EINVAL;
	sec = timegm(&tm);
	*ns = (int64_t)sec * 1000000000 + frac;
	return 0;
}

/* ---- logging ---- */

static int log_target = VIGIL_LOG_STDERR;
static int log_level = VIGIL_LOG_INFO;
static const char *log_ident = "vigild";

static bool owner_ok(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

int vigil_path_trusted(const char *path, struct vigil_buf *why)
{
	char buf[PATH_MAX];
	struct stat st, below = { 0 };
	char *slash;
	bool first = true;

	if (!path || path[0] != '/' || strlen(path) >= sizeof(buf)) {
		vigil_buf_printf(why, "%s: not an absolute path", path ? path : "");
		return -EPERM;
	}
	strcpy(buf, path);
	for (;;) {
		if (stat(buf, &st))
			return -errno;
		if (!owner_ok(&st)) {
			vigil_buf_printf(why,
					 "%s is owned by uid %u, not root: chown root %s",
					 buf, (unsigned)st.st_uid, buf);
			return -EPERM;
		}
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
		    (first || !S_ISDIR(st.st_mode) || !(st.st_mode & S_ISVTX) ||
		     !owner_ok(&below))) {
			vigil_buf_printf(why,
					 "%s is writable by group or others (mode %04o): chmod go-w %s",
					 buf, (unsigned)(st.st_mode & 07777), buf);
			return -EPERM;
		}
		if (strcmp(buf, "/") == 0)
			return 0;
		below = st;
		first = false;
		slash = strrchr(buf, '/');
		if (slash == buf)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

void vigil_log_setup(int target, int level, const char *ident)
{
	if (log_target == VIGIL_LOG_SYSLOG && target != VIGIL_LOG_SYSLOG)
		closelog();
	log_target = target;
	log_level = level;
	if (ident)
		log_ident = ident;
	if (target == VIGIL_LOG_SYSLOG)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void vigil_vlog(int level, const char *fmt, va_list ap)
{
	static const char *const names[] = {
		[VIGIL_LOG_ERR] = "error",     [VIGIL_LOG_WARNING] = "warning",
		[VIGIL_LOG_NOTICE] = "notice", [VIGIL_LOG_INFO] = "info",
		[VIGIL_LOG_DEBUG] = "debug",
	};
	char raw[2048], line[2048];

	if (level > log_level)
		return;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	vigil_escape_term(line, sizeof(line), raw, strlen(raw));
	if (log_target == VIGIL_LOG_SYSLOG) {
		syslog(level, "%s", line);
		return;
	}
	fprintf(stderr, "%s: %s: %s\n", log_ident,
		level >= VIGIL_LOG_ERR && level <= VIGIL_LOG_DEBUG ?
			names[level] : "log",
		line);
}

static bool term_safe(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

size_t vigil_escape_term(char *dst, size_t cap, const char *src, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (!cap)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		if (term_safe(c)) {
			if (o + 1 >= cap)
				break;
			dst[o++] = (char)c;
			continue;
		}
		if (o + 4 >= cap)
			break;
		dst[o++] = '\\';
		dst[o++] = 'x';
		dst[o++] = hex[c >> 4];
		dst[o++] = hex[c & 15];
	}
	dst[o] = '\0';
	return o;
}

int vigil_buf_put_term(struct vigil_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int rc = term_safe(c) ? vigil_buf_putc(b, (char)c) :
					vigil_buf_printf(b, "\\x%02x", c);

		if (rc)
			return rc;
	}
	return 0;
}

void vigil_fputs_term(const char *s, FILE *f)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (term_safe(c))
			fputc(c, f);
		else
			fprintf(f, "\\x%02x", c);
	}
}

void vigil_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vigil_vlog(level, fmt, ap);
	va_end(ap);
}

int vigil_log_level_from_name(const char *name)
{
	static const struct {
		const char *name;
		int level;
	} levels[] = {
		{ "error", VIGIL_LOG_ERR },	{ "warning", VIGIL_LOG_WARNING },
		{ "notice", VIGIL_LOG_NOTICE }, { "info", VIGIL_LOG_INFO },
		{ "debug", VIGIL_LOG_DEBUG },
	};
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(levels); i++)
		if (strcasecmp(name, levels[i].name) == 0)
			return levels[i].level;
	return -1;
}

/* ---- command line ---- */

int vigil_getopt_default(int opt, const char *prog, void (*usage)(FILE *),
			 int usage_exit)
{
	switch (opt) {
	case 'V':
		printf("%s %s\n", prog, PACKAGE_VERSION);
		return 0;
	case 'h':
		usage(stdout);
		return 0;
	default:
		usage(stderr);
		return usage_exit;
	}
}

static const char *const severity_names[VIGIL_SEV__COUNT] = {
	"info", "low", "medium", "high", "critical",
};

const char *vigil_severity_name(uint32_t sev)
{
	return sev < VIGIL_SEV__COUNT ? severity_names[sev] : "unknown";
}

int vigil_severity_from_name(const char *name)
{
	for (int i = 0; i < VIGIL_SEV__COUNT; i++)
		if (strcasecmp(name, severity_names[i]) == 0)
			return i;
	return -1;
}

/*
 * Edit distance with adjacent transpositions (optimal string alignment),
 * capped at 64 characters of each string: "agnet" is one edit from
 * "agent".
 */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strnlen(a, 64), lb = strnlen(b, 64);
	size_t d[65][65];

	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *vigil_nearest(const char *word, const char *const *cands, size_t n)
{
	size_t limit = strlen(word) / 3, best = SIZE_MAX;
	const char *pick = NULL;

	if (limit < 1)
		limit = 1;
	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, cands[i]);

		if (d < best) {
			best = d;
			pick = cands[i];
		}
	}
	return best <= limit ? pick : NULL;
}
