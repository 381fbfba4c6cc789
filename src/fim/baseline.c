/*
 * baseline.c - the FIM baseline: walk the trees, hash the files on a pool
 * of threads, store the result, load it back and compare two of them.
 *
 * The store is a sorted text file, one line per path:
 *
 *   vigil-fim-baseline 1<TAB>created_ns
 *   path<TAB>mode<TAB>uid<TAB>gid<TAB>size<TAB>mtime_ns<TAB>ino<TAB>dev<TAB>sha256
 *
 * path has bytes below 0x21, above 0x7e and '%' written as %XX; mode is
 * octal (type and permission bits); sha256 is 64 hex digits or "-".  It is
 * written to a temporary file, synced and renamed over the old one, so a
 * crash leaves either the old baseline or the new one.  Sorted text keeps
 * `fim check` a merge walk and the file readable with grep.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_LINUX_IOPRIO_H
#include <linux/ioprio.h>
#else
/*
 * Only recent Linux headers export <linux/ioprio.h> (not 5.10: Debian 11;
 * nor RHEL 7-8); the values are the ABI of 2.6.13, which ioprio_set(2)
 * tells programs to define themselves.
 */
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_CLASS_IDLE 3
#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_PRIO_VALUE(class, data) (((class) << IOPRIO_CLASS_SHIFT) | (data))
#endif

#include "fim.h"

#define BASELINE_PROGRESS_NS (100 * 1000000LL)
#define BASELINE_MAX_THREADS 64
#define BASELINE_MAX_FILE (1LL << 32) /* refuse absurd baseline files */

void vigil_fim_baseline_init(struct vigil_fim_baseline *b)
{
	memset(b, 0, sizeof(*b));
}

void vigil_fim_baseline_free(struct vigil_fim_baseline *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->rec[i].path);
	free(b->rec);
	memset(b, 0, sizeof(*b));
}

/* Takes ownership of path. */
static int add_owned(struct vigil_fim_baseline *b, char *path,
		     const struct vigil_fim_attr *a)
{
	if (vigil_grow((void **)&b->rec, &b->cap, b->n, sizeof(*b->rec),
		       1024)) {
		free(path);
		return -ENOMEM;
	}
	b->rec[b->n].path = path;
	b->rec[b->n].attr = *a;
	b->n++;
	return 0;
}

int vigil_fim_baseline_add(struct vigil_fim_baseline *b, const char *path,
			   const struct vigil_fim_attr *a)
{
	char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	return add_owned(b, p, a);
}

static int rec_cmp(const void *x, const void *y)
{
	const struct vigil_fim_record *a = x, *b = y;

	return strcmp(a->path, b->path);
}

/* Sorts and drops duplicates (overlapping trees). */
void vigil_fim_baseline_sort(struct vigil_fim_baseline *b)
{
	size_t w = 0;

	if (b->n > 1)
		qsort(b->rec, b->n, sizeof(b->rec[0]), rec_cmp);
	for (size_t i = 0; i < b->n; i++) {
		if (w && !strcmp(b->rec[w - 1].path, b->rec[i].path)) {
			free(b->rec[i].path);
			continue;
		}
		b->rec[w++] = b->rec[i];
	}
	b->n = w;
}

const struct vigil_fim_record *
vigil_fim_baseline_find(const struct vigil_fim_baseline *b, const char *path)
{
	struct vigil_fim_record key = { .path = (char *)path };

	if (!b->n)
		return NULL;
	return bsearch(&key, b->rec, b->n, sizeof(b->rec[0]), rec_cmp);
}

/* ---- walking ---- */

/*
 * Adds every object of the configured trees to b (lstat attributes, no
 * hash).  Excluded paths and their subtrees are skipped.
 */
static int walk_trees(struct vigil_fim_baseline *b,
		      const struct vigil_fim_config *cfg)
{
	char **roots;
	FTS *fts;
	FTSENT *e;
	size_t nr = 0;
	int rc = 0;

	roots = calloc(cfg->n_paths + 1, sizeof(*roots));
	if (!roots)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_paths; i++)
		if (access(cfg->paths[i], F_OK) == 0 ||
		    errno != ENOENT)
			roots[nr++] = cfg->paths[i];
	if (nr == 0)
		goto out_free_roots;
	fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
	if (!fts) {
		rc = -errno;
		goto out_free_roots;
	}
	while ((e = fts_read(fts))) {
		struct vigil_fim_attr a;

		if (e->fts_info == FTS_DP)
			continue;
		if (vigil_fim_config_excluded(cfg, e->fts_path)) {
			if (e->fts_info == FTS_D)
				fts_set(fts, e, FTS_SKIP);
			continue;
		}
		if (!e->fts_statp || e->fts_info == FTS_NS ||
		    e->fts_info == FTS_ERR)
			continue;
		vigil_fim_attr_from_stat(&a, e->fts_statp);
		rc = vigil_fim_baseline_add(b, e->fts_path, &a);
		if (rc)
			break;
	}
	fts_close(fts);
out_free_roots:
	free(roots);
	return rc;
}

/* ---- hashing on threads ---- */

struct hash_job {
	struct vigil_fim_baseline *b;
	const struct vigil_fim_config *cfg;
	int64_t max;
	size_t next;       /* __atomic */
	size_t done;       /* __atomic */
	size_t unreadable; /* __atomic */
};

static void hash_one(const struct vigil_fim_config *cfg,
		     struct vigil_fim_record *r, int64_t max,
		     size_t *unreadable)
{
	int rc;

	if (!S_ISREG(r->attr.mode) || max < 0)
		return;
	if (max > 0 && r->attr.size > max)
		return;
	rc = vigil_fim_hash_file(vigil_fim_config_root(cfg, r->path), r->path,
				 max, r->attr.sha256, NULL);
	if (rc == 0)
		r->attr.has_hash = true;
	else if (rc != -EFBIG)
		__atomic_fetch_add(unreadable, 1, __ATOMIC_RELAXED);
}

static void *hash_thread(void *arg)
{
	struct hash_job *j = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED)) <
	       j->b->n) {
		hash_one(j->cfg, &j->b->rec[i], j->max, &j->unreadable);
		__atomic_fetch_add(&j->done, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

int vigil_fim_baseline_build(struct vigil_fim_baseline *b,
			     const struct vigil_fim_config *cfg,
			     unsigned threads, vigil_fim_progress_fn progress,
			     void *arg, size_t *unreadable)
{
	pthread_t tid[BASELINE_MAX_THREADS];
	struct hash_job j = { .b = b, .cfg = cfg, .max = cfg->hash_max_size };
	unsigned started = 0;
	long ncpu;
	int rc;

	b->created_ns = vigil_now_ns();
	rc = walk_trees(b, cfg);
	if (rc)
		return rc;
	vigil_fim_baseline_sort(b);
	if (threads == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		threads = ncpu > 0 ? (unsigned)ncpu * 2 : 2;
	}
	if (threads > BASELINE_MAX_THREADS)
		threads = BASELINE_MAX_THREADS;
	for (unsigned i = 0; i < threads; i++) {
		if (pthread_create(&tid[i], NULL, hash_thread, &j))
			break;
		started++;
	}
	if (!started)
		hash_thread(&j); /* no threads: do it here */
	while (progress &&
	       __atomic_load_n(&j.done, __ATOMIC_RELAXED) < b->n) {
		struct timespec ts = { 0, BASELINE_PROGRESS_NS };

		progress(__atomic_load_n(&j.done, __ATOMIC_RELAXED), b->n,
			 arg);
		nanosleep(&ts, NULL);
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	if (progress)
		progress(b->n, b->n, arg);
	if (unreadable)
		*unreadable = j.unreadable;
	return 0;
}

/* ---- throttled rescan ---- */

int vigil_fim_rescan(struct vigil_fim_baseline *b,
		     const struct vigil_fim_config *cfg, int64_t files_per_sec,
		     const volatile int *stop)
{
	size_t unreadable = 0;
	int64_t start;
	long prio = -1;
	int rc;

	/* Idle I/O class for this thread only (who = 0: the caller), put
	 * back at the end: a libuv pool thread runs other work after us. */
	if (cfg->hash_max_size >= 0) {
		prio = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0);
		(void)syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0,
			      IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 0));
	}
	b->created_ns = vigil_now_ns();
	rc = walk_trees(b, cfg);
	if (rc)
		goto out_prio;
	vigil_fim_baseline_sort(b);
	start = vigil_monotonic_ns();
	for (size_t i = 0; i < b->n; i++) {
		if (stop && *stop) {
			rc = -ECANCELED;
			goto out_prio;
		}
		hash_one(cfg, &b->rec[i], cfg->hash_max_size, &unreadable);
		if (files_per_sec > 0) {
			/* Sleep until file i+1 is due. */
			int64_t due = start + (int64_t)(i + 1) * 1000000000LL /
						      files_per_sec;
			int64_t wait = due - vigil_monotonic_ns();

			if (wait > 0) {
				struct timespec ts = {
					wait / 1000000000LL,
					wait % 1000000000LL,
				};

				nanosleep(&ts, NULL);
			}
		}
	}
out_prio:
	if (prio >= 0)
		(void)syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, prio);
	return rc;
}

/* ---- store ---- */

static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x21 || c > 0x7e || c == '%')
			fprintf(f, "%%%02X", c);
		else
			fputc(c, f);
	}
}

int vigil_fim_baseline_save(const struct vigil_fim_baseline *b,
			    const char *path)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/*
	 * The temporary name is predictable: never follow or reuse what is
	 * there (a symlink planted in the state directory would otherwise
	 * make vigild write through it).  A stale file of an earlier run
	 * with this pid is removed once, then created anew.
	 */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp,
			  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			  0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		rc = -errno;
		close(fd);
		goto out_unlink;
	}
	fprintf(f, "%s\t%" PRId64 "\n", VIGIL_FIM_BASELINE_MAGIC,
		b->created_ns);
	for (size_t i = 0; i < b->n; i++) {
		const struct vigil_fim_attr *a = &b->rec[i].attr;

		put_escaped(f, b->rec[i].path);
		fprintf(f, "\t%o\t%u\t%u\t%" PRId64 "\t%" PRId64 "\t%" PRIu64
			   "\t%" PRIu64 "\t%s\n",
			a->mode, a->uid, a->gid, a->size, a->mtime_ns, a->ino,
			a->dev, a->has_hash ? a->sha256 : "-");
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		rc = -errno;
	if (fclose(f) != 0 && !rc)
		rc = -errno;
	if (rc)
		goto out_unlink;
	if (rename(tmp, path) != 0) {
		rc = -errno;
		goto out_unlink;
	}
	return 0;
out_unlink:
	unlink(tmp);
	return rc;
}

/* Next tab-separated field of [*p, end): sets *f, *flen; advances. */
static bool next_field(const char **p, const char *end, const char **f,
		       size_t *flen)
{
	const char *tab;

	if (*p > end)
		return false;
	tab = memchr(*p, '\t', (size_t)(end - *p));
	*f = *p;
	*flen = (size_t)((tab ? tab : end) - *p);
	*p = tab ? tab + 1 : end + 1;
	return true;
}

/* Parses an unsigned decimal (or octal) field fully into *v. */
static bool field_u64(const char *f, size_t n, int base, uint64_t max,
		      uint64_t *v)
{
	uint64_t r = 0;

	if (n == 0 || n > 22)
		return false;
	for (size_t i = 0; i < n; i++) {
		int d = vigil_hex_digit(f[i]);

		if (d < 0 || d >= base || f[i] > '9')
			return false;
		if (r > (max - (uint64_t)d) / (uint64_t)base)
			return false;
		r = r * (uint64_t)base + (uint64_t)d;
	}
	*v = r;
	return true;
}

static bool field_i64(const char *f, size_t n, int64_t *v)
{
	uint64_t u;
	bool neg = n > 0 && f[0] == '-';

	if (!field_u64(f + neg, n - neg, 10, (uint64_t)INT64_MAX, &u))
		return false;
	*v = neg ? -(int64_t)u : (int64_t)u;
	return true;
}

/* Decodes a %XX-escaped path; refuses NUL and unescaped controls. */
static char *unescape(const char *f, size_t n)
{
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)f[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				goto bad;
			hi = vigil_hex_digit(f[i + 1]);
			lo = vigil_hex_digit(f[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				goto bad;
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (c < 0x21 || c > 0x7e) {
			goto bad;
		} else {
			*o++ = (char)c;
		}
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

/* Parses one record line into r (path allocated).  0 or -EINVAL. */
static int parse_line(const char *p, const char *end,
		      struct vigil_fim_record *r, const char **why)
{
	const char *f[9];
	size_t fl[9];
	uint64_t u;

	for (int i = 0; i < 9; i++) {
		if (!next_field(&p, end, &f[i], &fl[i])) {
			*why = "expected 9 tab-separated fields";
			return -EINVAL;
		}
	}
	if (p <= end) {
		*why = "more than 9 fields";
		return -EINVAL;
	}
	memset(r, 0, sizeof(*r));
	if (!field_u64(f[1], fl[1], 8, UINT32_MAX, &u)) {
		*why = "bad mode";
		return -EINVAL;
	}
	r->attr.mode = (uint32_t)u;
	if (!field_u64(f[2], fl[2], 10, UINT32_MAX, &u)) {
		*why = "bad uid";
		return -EINVAL;
	}
	r->attr.uid = (uint32_t)u;
	if (!field_u64(f[3], fl[3], 10, UINT32_MAX, &u)) {
		*why = "bad gid";
		return -EINVAL;
	}
	r->attr.gid = (uint32_t)u;
	if (!field_i64(f[4], fl[4], &r->attr.size) || r->attr.size < 0) {
		*why = "bad size";
		return -EINVAL;
	}
	if (!field_i64(f[5], fl[5], &r->attr.mtime_ns)) {
		*why = "bad mtime";
		return -EINVAL;
	}
	if (!field_u64(f[6], fl[6], 10, UINT64_MAX, &r->attr.ino) ||
	    !field_u64(f[7], fl[7], 10, UINT64_MAX, &r->attr.dev)) {
		*why = "bad inode or device";
		return -EINVAL;
	}
	if (fl[8] == 1 && f[8][0] == '-') {
		r->attr.has_hash = false;
	} else if (fl[8] == VIGIL_FIM_SHA256_HEX) {
		for (size_t i = 0; i < fl[8]; i++) {
			if (vigil_hex_digit(f[8][i]) < 0 ||
			    (f[8][i] >= 'A' && f[8][i] <= 'F')) {
				*why = "bad sha256";
				return -EINVAL;
			}
		}
		memcpy(r->attr.sha256, f[8], VIGIL_FIM_SHA256_HEX);
		r->attr.sha256[VIGIL_FIM_SHA256_HEX] = '\0';
		r->attr.has_hash = true;
	} else {
		*why = "bad sha256";
		return -EINVAL;
	}
	if (fl[0] == 0 || f[0][0] != '/' || fl[0] >= PATH_MAX) {
		*why = "path must be absolute";
		return -EINVAL;
	}
	r->path = unescape(f[0], fl[0]);
	if (!r->path) {
		*why = "bad path escape";
		return -EINVAL;
	}
	return 0;
}

int vigil_fim_baseline_parse(struct vigil_fim_baseline *b, const char *name,
			     const char *data, size_t len,
			     struct vigil_buf *err)
{
	const char *p = data, *end = data + len, *nl, *why = NULL;
	size_t magic = strlen(VIGIL_FIM_BASELINE_MAGIC);
	unsigned long line = 1;
	int rc;

	nl = memchr(p, '\n', len);
	if (!nl || (size_t)(nl - p) < magic + 2 ||
	    memcmp(p, VIGIL_FIM_BASELINE_MAGIC, magic) || p[magic] != '\t' ||
	    !field_i64(p + magic + 1, (size_t)(nl - p) - magic - 1,
		       &b->created_ns)) {
		vigil_buf_printf(err, "%s:1: not a vigil FIM baseline (expected '%s')",
				 name, VIGIL_FIM_BASELINE_MAGIC);
		return -EINVAL;
	}
	p = nl + 1;
	while (p < end) {
		struct vigil_fim_record r;

		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			why = "last line is not terminated (truncated file?)";
			goto bad;
		}
		rc = parse_line(p, nl, &r, &why);
		if (rc)
			goto bad;
		if (b->n && strcmp(b->rec[b->n - 1].path, r.path) >= 0) {
			free(r.path);
			why = "paths out of order or repeated";
			goto bad;
		}
		rc = add_owned(b, r.path, &r.attr);
		if (rc)
			return rc;
		p = nl + 1;
	}
	return 0;
bad:
	vigil_buf_printf(err, "%s:%lu: %s; rebuild it with `vigilctl fim baseline`",
			 name, line, why);
	return -EINVAL;
}

int vigil_fim_baseline_load(struct vigil_fim_baseline *b, const char *path,
			    struct vigil_buf *err)
{
	struct stat sb;
	char *data;
	ssize_t n;
	size_t got = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		vigil_buf_printf(err, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &sb) < 0 || sb.st_size > BASELINE_MAX_FILE) {
		rc = sb.st_size > BASELINE_MAX_FILE ? -EFBIG : -errno;
		vigil_buf_printf(err, "%s: %s", path, strerror(-rc));
		goto out_close;
	}
	data = malloc((size_t)sb.st_size + 1);
	if (!data) {
		rc = -ENOMEM;
		goto out_close;
	}
	while (got < (size_t)sb.st_size) {
		n = read(fd, data + got, (size_t)sb.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	rc = vigil_fim_baseline_parse(b, path, data, got, err);
	free(data);
out_close:
	close(fd);
	return rc;
}

/* ---- compare ---- */

size_t vigil_fim_baseline_diff(const struct vigil_fim_baseline *old,
			       const struct vigil_fim_baseline *now,
			       vigil_fim_diff_fn fn, void *arg)
{
	size_t i = 0, j = 0, count = 0;

	while (i < old->n || j < now->n) {
		int c;

		if (i == old->n)
			c = 1;
		else if (j == now->n)
			c = -1;
		else
			c = strcmp(old->rec[i].path, now->rec[j].path);
		if (c < 0) {
			fn(VIGIL_FIM_REMOVED, old->rec[i].path,
			   &old->rec[i].attr, NULL, 0, arg);
			i++;
			count++;
		} else if (c > 0) {
			fn(VIGIL_FIM_ADDED, now->rec[j].path, NULL,
			   &now->rec[j].attr, 0, arg);
			j++;
			count++;
		} else {
			const struct vigil_fim_attr *a = &old->rec[i].attr;
			const struct vigil_fim_attr *b = &now->rec[j].attr;
			unsigned d = vigil_fim_attr_diff(a, b);

			/* A directory's size and mtime move with every entry
			 * added or removed, which is reported on its own. */
			if (S_ISDIR(a->mode) && S_ISDIR(b->mode))
				d &= ~(VIGIL_FIM_DIFF_SIZE |
				       VIGIL_FIM_DIFF_MTIME);
			if (d) {
				fn(VIGIL_FIM_CHANGED, old->rec[i].path, a, b,
				   d, arg);
				count++;
			}
			i++;
			j++;
		}
	}
	return count;
}
