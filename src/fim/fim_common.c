/*
 * fim_common.c - configuration, attributes, hashing, the per-path cache
 * and MODIFY coalescing (see fim.h): the plain pieces the source, the
 * baseline and `vigilctl fim` share.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <openssl/evp.h>
#include "openssl_compat.h"

#include "confmap.h"
#include "fim.h"

static const char *const default_paths[] = {
	"/etc", "/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/lib/systemd",
	"/boot", "/root/.ssh",
};

#define FIM_DEFAULT_CACHE_MAX 1000000u
#define FIM_HASH_BUF (256 * 1024)

/* ---- configuration ---- */

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Copies a path without its trailing slashes ("/" stays "/"). */
static char *dup_path(const char *p, size_t len)
{
	while (len > 1 && p[len - 1] == '/')
		len--;
	return strndup(p, len);
}

int vigil_fim_config_defaults(struct vigil_fim_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->hash_max_size = VIGIL_FIM_DEFAULT_HASH_MAX;
	cfg->marks = VIGIL_FIM_MARKS_AUTO;
	cfg->cache_max = FIM_DEFAULT_CACHE_MAX;
	cfg->state_dir = strdup(VIGIL_FIM_DEFAULT_STATE_DIR);
	if (!cfg->state_dir)
		return -ENOMEM;
	return vigil_fim_config_set_paths(cfg, (char *const *)default_paths,
					  VIGIL_ARRAY_SIZE(default_paths));
}

void vigil_fim_config_free(struct vigil_fim_config *cfg)
{
	free_strv(cfg->paths, cfg->n_paths);
	free_strv(cfg->exclude, cfg->n_exclude);
	free(cfg->state_dir);
	memset(cfg, 0, sizeof(*cfg));
}

/* Copies n strings (without trailing slashes) over *v and *n_v. */
static int replace_strv(char ***v, size_t *n_v, const char *const *src,
			size_t n)
{
	char **nv = calloc(n ? n : 1, sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		nv[i] = dup_path(src[i], strlen(src[i]));
		if (!nv[i]) {
			free_strv(nv, i);
			return -ENOMEM;
		}
	}
	free_strv(*v, *n_v);
	*v = nv;
	*n_v = n;
	return 0;
}

int vigil_fim_config_set_paths(struct vigil_fim_config *cfg,
			       char *const *paths, size_t n)
{
	return replace_strv(&cfg->paths, &cfg->n_paths,
			    (const char *const *)paths, n);
}

/* The fim section as fim_table reads it (strings into the document). */
struct fim_settings {
	bool enabled; /* vigild's registry reads it */
	const char *paths[VIGIL_FIM_MAX_PATHS];
	size_t n_paths;
	const char *exclude[VIGIL_FIM_MAX_PATHS];
	size_t n_exclude;
	int64_t hash_max_size;
	int32_t marks;
	const char *state_dir;
	int64_t rescan_interval_ns;
	int64_t rescan_files_per_sec;
	int64_t cache_max;
};

static const struct vigil_config_name marks_names[] = {
	{ "auto", VIGIL_FIM_MARKS_AUTO },
	{ "filesystem", VIGIL_FIM_MARKS_FILESYSTEM },
	{ "inode", VIGIL_FIM_MARKS_INODE },
	{ NULL, 0 },
};

#define F struct fim_settings
static const struct vigil_config_entry fim_table[] = {
	{ VIGIL_CFG_BOOL("enabled", F, enabled, 1, NULL) },
	{ VIGIL_CFG_PATHLIST("paths", F, paths, n_paths,
			     "the trees watched; default: /etc, /bin, ...") },
	{ VIGIL_CFG_STRLIST("exclude", F, exclude, n_exclude,
			    "fnmatch(3) patterns or path prefixes") },
	{ VIGIL_CFG_SIZE("hash_max_size", F, hash_max_size,
			 VIGIL_FIM_DEFAULT_HASH_MAX, 0, INT64_MAX,
			 "larger files are not hashed; 0: no limit") },
	{ VIGIL_CFG_ENUM("marks", F, marks, VIGIL_FIM_MARKS_AUTO, marks_names,
			 NULL) },
	{ VIGIL_CFG_PATH("state_dir", F, state_dir,
			 VIGIL_FIM_DEFAULT_STATE_DIR, "where the baseline is") },
	{ VIGIL_CFG_DURATION_NS("rescan_interval", F, rescan_interval_ns, 0,
				0, INT64_MAX, "0: no periodic rescan") },
	{ VIGIL_CFG_INT("rescan_files_per_second", F, rescan_files_per_sec, 0,
			0, INT64_MAX, "0: unthrottled") },
	{ VIGIL_CFG_INT("cache_max", F, cache_max, FIM_DEFAULT_CACHE_MAX, 0,
			INT64_MAX, "per-path cache entries") },
};
#undef F

int vigil_fim_config_enabled(const struct vigil_node *fim, bool *enabled,
			     struct vigil_buf *err)
{
	struct fim_settings set;
	int rc = VIGIL_CONFMAP_READ(fim_table, fim, "fim", &set, err);

	*enabled = set.enabled;
	return rc;
}

int vigil_fim_config_parse(struct vigil_fim_config *cfg,
			   const struct vigil_node *fim, struct vigil_buf *err)
{
	struct fim_settings set;
	int rc;

	if (!fim || vigil_node_is_null(fim))
		return 0;
	rc = VIGIL_CONFMAP_READ(fim_table, fim, "fim", &set, err);
	/* an absent "paths" keeps the defaults (or the command line's) */
	if (!rc && vigil_node_get(fim, "paths"))
		rc = replace_strv(&cfg->paths, &cfg->n_paths, set.paths,
				  set.n_paths);
	if (!rc)
		rc = replace_strv(&cfg->exclude, &cfg->n_exclude, set.exclude,
				  set.n_exclude);
	if (rc)
		return rc;
	free(cfg->state_dir);
	cfg->state_dir = dup_path(set.state_dir, strlen(set.state_dir));
	if (!cfg->state_dir)
		return -ENOMEM;
	cfg->hash_max_size = set.hash_max_size;
	cfg->marks = set.marks;
	cfg->rescan_interval_ns = set.rescan_interval_ns;
	cfg->rescan_files_per_sec = set.rescan_files_per_sec;
	cfg->cache_max = (size_t)set.cache_max;
	return 0;
}

bool vigil_fim_path_under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n == 1 && prefix[0] == '/')
		return path[0] == '/';
	return strncmp(path, prefix, n) == 0 &&
	       (path[n] == '\0' || path[n] == '/');
}

bool vigil_fim_config_excluded(const struct vigil_fim_config *cfg,
			       const char *path)
{
	for (size_t i = 0; i < cfg->n_exclude; i++) {
		const char *pat = cfg->exclude[i];

		if (strpbrk(pat, "*?[")) {
			if (fnmatch(pat, path, 0) == 0)
				return true;
		} else if (vigil_fim_path_under(path, pat)) {
			return true;
		}
	}
	return false;
}

bool vigil_fim_config_watched(const struct vigil_fim_config *cfg,
			      const char *path)
{
	for (size_t i = 0; i < cfg->n_paths; i++)
		if (vigil_fim_path_under(path, cfg->paths[i]))
			return !vigil_fim_config_excluded(cfg, path);
	return false;
}

/* ---- attributes ---- */

void vigil_fim_attr_from_stat(struct vigil_fim_attr *a, const struct stat *st)
{
	memset(a, 0, sizeof(*a));
	a->ino = st->st_ino;
	a->dev = st->st_dev;
	a->size = st->st_size;
	a->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000LL +
		      st->st_mtim.tv_nsec;
	a->mode = st->st_mode;
	a->uid = st->st_uid;
	a->gid = st->st_gid;
}

unsigned vigil_fim_attr_diff(const struct vigil_fim_attr *old,
			     const struct vigil_fim_attr *now)
{
	unsigned d = 0;

	if ((old->mode & S_IFMT) != (now->mode & S_IFMT))
		d |= VIGIL_FIM_DIFF_TYPE;
	if ((old->mode & 07777) != (now->mode & 07777))
		d |= VIGIL_FIM_DIFF_MODE;
	if (old->uid != now->uid)
		d |= VIGIL_FIM_DIFF_UID;
	if (old->gid != now->gid)
		d |= VIGIL_FIM_DIFF_GID;
	if (old->size != now->size)
		d |= VIGIL_FIM_DIFF_SIZE;
	if (old->mtime_ns != now->mtime_ns)
		d |= VIGIL_FIM_DIFF_MTIME;
	if (old->ino != now->ino)
		d |= VIGIL_FIM_DIFF_INODE;
	if (old->has_hash && now->has_hash &&
	    strcmp(old->sha256, now->sha256) != 0)
		d |= VIGIL_FIM_DIFF_HASH;
	return d;
}

void vigil_fim_diff_names(unsigned diff, struct vigil_buf *out)
{
	static const char *const names[] = {
		"type", "mode", "uid", "gid", "size", "mtime", "inode", "hash",
	};
	bool first = true;

	for (unsigned i = 0; i < VIGIL_ARRAY_SIZE(names); i++) {
		if (!(diff & (1u << i)))
			continue;
		vigil_buf_printf(out, "%s%s", first ? "" : ",", names[i]);
		first = false;
	}
}

uint64_t vigil_fim_attrib_events(unsigned diff)
{
	uint64_t ev = 0;

	if (diff & (VIGIL_FIM_DIFF_MODE | VIGIL_FIM_DIFF_TYPE))
		ev |= VIGIL_EVBIT(VIGIL_EV_CHMOD);
	if (diff & (VIGIL_FIM_DIFF_UID | VIGIL_FIM_DIFF_GID))
		ev |= VIGIL_EVBIT(VIGIL_EV_CHOWN);
	if (diff & VIGIL_FIM_DIFF_MTIME)
		ev |= VIGIL_EVBIT(VIGIL_EV_UTIMES);
	return ev;
}

/* ---- hashing ---- */

static void to_hex(const unsigned char *md, unsigned n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[2 * n] = '\0';
}

int vigil_fim_hash_fd(int fd, int64_t max_size,
		      char out[VIGIL_FIM_SHA256_HEX + 1], int64_t *size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	struct stat st;
	EVP_MD_CTX *ctx;
	unsigned char *buf;
	int64_t total = 0;
	ssize_t r;
	int rc = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (max_size > 0 && st.st_size > max_size)
		return -EFBIG;
	buf = malloc(FIM_HASH_BUF);
	if (!buf)
		return -ENOMEM;
	ctx = vigil_md_ctx_new();
	if (!ctx) {
		rc = -ENOMEM;
		goto out_free_buf;
	}
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		rc = -EIO;
		goto out_free_ctx;
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (;;) {
		r = read(fd, buf, FIM_HASH_BUF);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto out_free_ctx;
		}
		if (r == 0)
			break;
		total += r;
		/* The file grew past the limit while we read it. */
		if (max_size > 0 && total > max_size) {
			rc = -EFBIG;
			goto out_free_ctx;
		}
		if (EVP_DigestUpdate(ctx, buf, (size_t)r) != 1) {
			rc = -EIO;
			goto out_free_ctx;
		}
	}
	if (EVP_DigestFinal_ex(ctx, md, &md_len) != 1 ||
	    md_len * 2 != VIGIL_FIM_SHA256_HEX) {
		rc = -EIO;
		goto out_free_ctx;
	}
	to_hex(md, md_len, out);
	if (size)
		*size = total;
out_free_ctx:
	vigil_md_ctx_free(ctx);
out_free_buf:
	free(buf);
	return rc;
}

/* ---- opening without links ---- */

#ifndef RESOLVE_NO_SYMLINKS
#define RESOLVE_NO_SYMLINKS 0x04 /* linux/openat2.h, 5.6 */
#endif
#ifndef RESOLVE_BENEATH
#define RESOLVE_BENEATH 0x08
#endif

/* struct open_how of linux/openat2.h (extensible: its size is passed). */
struct fim_open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};

/* 0: unknown yet, 1: openat2 works, -1: ENOSYS or forced off. */
static int fim_openat2_state;

void vigil__fim_force_open_walk(bool on)
{
	__atomic_store_n(&fim_openat2_state, on ? -1 : 0, __ATOMIC_RELAXED);
}

/* openat2() of rel beneath dirfd; -ENOSYS where the kernel (or libc's
 * headers) lack it. */
static int open_openat2(int dirfd, const char *rel, int flags)
{
#ifdef SYS_openat2
	struct fim_open_how how = {
		.flags = (uint64_t)(unsigned)flags,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH,
	};
	long fd;

	if (__atomic_load_n(&fim_openat2_state, __ATOMIC_RELAXED) < 0)
		return -ENOSYS;
	fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
	if (fd >= 0)
		return (int)fd;
	if (errno == ENOSYS)
		__atomic_store_n(&fim_openat2_state, -1, __ATOMIC_RELAXED);
	return -errno;
#else
	(void)dirfd;
	(void)rel;
	(void)flags;
	return -ENOSYS;
#endif
}

/* The walk for kernels before 5.6: each directory on the way opened with
 * O_NOFOLLOW from the one before; ".." is refused (it could leave root). */
static int open_walk(int dirfd, const char *rel, int flags)
{
	const char *p = rel;
	int cur = dirfd;

	for (;;) {
		char name[NAME_MAX + 1];
		const char *end;
		size_t len;
		bool last;
		int fd;

		while (*p == '/')
			p++;
		end = strchr(p, '/');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len > NAME_MAX) {
			fd = -ENAMETOOLONG;
			goto out_close;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		while (*p == '/')
			p++;
		last = *p == '\0';
		if (!strcmp(name, "..")) {
			fd = -EXDEV;
			goto out_close;
		}
		if (last)
			fd = openat(cur, len ? name : ".", flags | O_NOFOLLOW);
		else if (len == 0 || !strcmp(name, "."))
			continue;
		else
			fd = openat(cur, name, O_PATH | O_DIRECTORY |
					       O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			fd = -errno;
		if (cur != dirfd)
			close(cur);
		if (last || fd < 0)
			return fd;
		cur = fd;
		continue;
out_close:
		if (cur != dirfd)
			close(cur);
		return fd;
	}
}

int vigil_fim_open_beneath(const char *root, const char *path, int flags)
{
	const char *rel;
	int rfd, fd;

	if (!vigil_fim_path_under(path, root))
		return -EXDEV;
	rel = path + (strcmp(root, "/") ? strlen(root) : 0);
	while (*rel == '/')
		rel++;
	if (!*rel) {
		/* The root itself (a watched file): only its last
		 * component is ours to refuse. */
		fd = open(path, flags | O_NOFOLLOW);
		return fd < 0 ? -errno : fd;
	}
	rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return -errno;
	fd = open_openat2(rfd, rel, flags);
	if (fd == -ENOSYS)
		fd = open_walk(rfd, rel, flags);
	close(rfd);
	return fd;
}

const char *vigil_fim_config_root(const struct vigil_fim_config *cfg,
				  const char *path)
{
	const char *best = "/";
	size_t best_len = 1;

	for (size_t i = 0; i < cfg->n_paths; i++) {
		size_t n = strlen(cfg->paths[i]);

		if (n > best_len && vigil_fim_path_under(path, cfg->paths[i])) {
			best = cfg->paths[i];
			best_len = n;
		}
	}
	return best;
}

int vigil_fim_hash_file(const char *root, const char *path, int64_t max_size,
			char out[VIGIL_FIM_SHA256_HEX + 1], int64_t *size)
{
	int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC;
	struct stat fst, lst;
	int fd, rc;

	/* O_NOATIME keeps the scan from touching atimes; it needs
	 * ownership or CAP_FOWNER, so retry without it. */
	fd = vigil_fim_open_beneath(root, path, flags | O_NOATIME);
	if (fd == -EPERM)
		fd = vigil_fim_open_beneath(root, path, flags);
	if (fd < 0)
		return fd;
	/* What we opened must be what the path names now. */
	if (fstat(fd, &fst) < 0 || lstat(path, &lst) < 0) {
		rc = -errno;
		goto out_close;
	}
	if (fst.st_dev != lst.st_dev || fst.st_ino != lst.st_ino) {
		rc = -ESTALE;
		goto out_close;
	}
	rc = vigil_fim_hash_fd(fd, max_size, out, size);
out_close:
	close(fd);
	return rc;
}

/* ---- per-path cache ---- */

#define FIM_CACHE_MIN_BUCKETS 1024u

/* FNV-1a: paths are short, this is plenty. */
static uint32_t path_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

void vigil_fim_cache_init(struct vigil_fim_cache *c, size_t max)
{
	memset(c, 0, sizeof(*c));
	c->max = max;
}

void vigil_fim_cache_free(struct vigil_fim_cache *c)
{
	for (size_t i = 0; i < c->n_buckets; i++) {
		struct vigil_fim_entry *e = c->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e->path);
			free(e);
		}
	}
	free(c->buckets);
	memset(c, 0, sizeof(*c));
}

static int cache_grow(struct vigil_fim_cache *c)
{
	size_t nb = c->n_buckets ? c->n_buckets * 2 : FIM_CACHE_MIN_BUCKETS;
	struct vigil_fim_entry **b = calloc(nb, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_buckets; i++) {
		struct vigil_fim_entry *e = c->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
	}
	free(c->buckets);
	c->buckets = b;
	c->n_buckets = nb;
	return 0;
}

struct vigil_fim_entry *vigil_fim_cache_get(struct vigil_fim_cache *c,
					    const char *path)
{
	uint32_t h = path_hash(path);
	struct vigil_fim_entry *e;

	if (!c->n_buckets)
		return NULL;
	for (e = c->buckets[h & (c->n_buckets - 1)]; e; e = e->next)
		if (e->hash == h && !strcmp(e->path, path))
			return e;
	return NULL;
}

/* Links an entry (path and hash set) into the table. */
static void cache_link(struct vigil_fim_cache *c, struct vigil_fim_entry *e)
{
	size_t b = e->hash & (c->n_buckets - 1);

	e->next = c->buckets[b];
	c->buckets[b] = e;
	c->n++;
}

struct vigil_fim_entry *vigil_fim_cache_put(struct vigil_fim_cache *c,
					    const char *path)
{
	struct vigil_fim_entry *e = vigil_fim_cache_get(c, path);

	if (e)
		return e;
	if (c->max && c->n >= c->max) {
		c->refused++;
		return NULL;
	}
	if (c->n >= c->n_buckets && cache_grow(c))
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->path = strdup(path);
	if (!e->path) {
		free(e);
		return NULL;
	}
	e->hash = path_hash(path);
	cache_link(c, e);
	return e;
}

/* Unlinks and frees every entry for which match() says so. */
static void cache_del_if(struct vigil_fim_cache *c,
			 bool (*match)(const char *path, const char *arg),
			 const char *arg)
{
	for (size_t i = 0; i < c->n_buckets; i++) {
		struct vigil_fim_entry **pp = &c->buckets[i], *e;

		while ((e = *pp)) {
			if (match(e->path, arg)) {
				*pp = e->next;
				free(e->path);
				free(e);
				c->n--;
			} else {
				pp = &e->next;
			}
		}
	}
}

void vigil_fim_cache_del(struct vigil_fim_cache *c, const char *path)
{
	uint32_t h = path_hash(path);
	struct vigil_fim_entry **pp, *e;

	if (!c->n_buckets)
		return;
	for (pp = &c->buckets[h & (c->n_buckets - 1)]; (e = *pp);
	     pp = &e->next) {
		if (e->hash == h && !strcmp(e->path, path)) {
			*pp = e->next;
			free(e->path);
			free(e);
			c->n--;
			return;
		}
	}
}

void vigil_fim_cache_del_tree(struct vigil_fim_cache *c, const char *path)
{
	cache_del_if(c, vigil_fim_path_under, path);
}

int vigil_fim_cache_rename(struct vigil_fim_cache *c, const char *from,
			   const char *to)
{
	struct vigil_fim_entry *moved = NULL, *e, *next;
	size_t flen = strlen(from), tlen = strlen(to);
	int rc = 0;

	/* Unlink the moved entries first, then re-add them under their new
	 * names, so that an entry never collides with one not yet moved. */
	vigil_fim_cache_del_tree(c, to);
	for (size_t i = 0; i < c->n_buckets; i++) {
		struct vigil_fim_entry **pp = &c->buckets[i];

		while ((e = *pp)) {
			if (vigil_fim_path_under(e->path, from)) {
				*pp = e->next;
				e->next = moved;
				moved = e;
				c->n--;
			} else {
				pp = &e->next;
			}
		}
	}
	for (e = moved; e; e = next) {
		size_t rest = strlen(e->path) - flen;
		char *np = malloc(tlen + rest + 1);

		next = e->next;
		if (!np) {
			free(e->path);
			free(e);
			rc = -ENOMEM;
			continue;
		}
		memcpy(np, to, tlen);
		memcpy(np + tlen, e->path + flen, rest + 1);
		free(e->path);
		e->path = np;
		e->hash = path_hash(np);
		if (c->n >= c->n_buckets && cache_grow(c)) {
			free(e->path);
			free(e);
			rc = -ENOMEM;
			continue;
		}
		cache_link(c, e);
	}
	return rc;
}

void vigil_fim_cache_children(struct vigil_fim_cache *c, const char *dir,
			      void (*fn)(struct vigil_fim_entry *e, void *arg),
			      void *arg)
{
	size_t dlen = strlen(dir);

	if (dlen == 1 && dir[0] == '/')
		dlen = 0;
	for (size_t i = 0; i < c->n_buckets; i++) {
		struct vigil_fim_entry *e, *next;

		for (e = c->buckets[i]; e; e = next) {
			next = e->next;
			if (strncmp(e->path, dir, dlen) != 0 ||
			    e->path[dlen] != '/' || e->path[dlen + 1] == '\0' ||
			    strchr(e->path + dlen + 1, '/'))
				continue;
			fn(e, arg);
		}
	}
}

void vigil_fim_note_modify(struct vigil_fim_cache *c, const char *path,
			   int32_t pid)
{
	struct vigil_fim_entry *e = vigil_fim_cache_put(c, path);

	if (!e)
		return;
	e->flags |= VIGIL_FIM_E_DIRTY;
	e->modify_pid = pid;
}

bool vigil_fim_close_write(struct vigil_fim_cache *c, const char *path,
			   int32_t *pid)
{
	struct vigil_fim_entry *e = vigil_fim_cache_get(c, path);

	if (!e || !(e->flags & VIGIL_FIM_E_DIRTY)) {
		/* A full cache could not record the write: report the close
		 * rather than lose a modification. */
		return c->max && c->n >= c->max && !e;
	}
	e->flags &= ~VIGIL_FIM_E_DIRTY;
	if (pid)
		*pid = e->modify_pid;
	return true;
}
