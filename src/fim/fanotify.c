/*
 * fanotify.c - the file integrity source: fanotify on the watched trees.
 *
 * The richest mode the kernel offers is probed at start; each lower rung
 * can be forced through the feature mask:
 *
 *  dfid_name  FAN_REPORT_DFID_NAME (+FAN_REPORT_FID / TARGET_FID where the
 *             kernel takes them), filesystem marks (or inode marks on every
 *             watched directory).  Create, delete, move, attrib, modify and
 *             close_write, with the parent directory's handle and the name.
 *  fid        FAN_REPORT_FID (5.1) with inode marks.  Directory events name
 *             only the directory: we re-read it and compare it with the
 *             per-path cache to find what was created, removed or renamed.
 *  mount      mount marks with FAN_MODIFY | FAN_CLOSE_WRITE; the event
 *             carries an fd whose /proc/self/fd link is the path.
 *
 * Every event goes through a FIFO: regular files are hashed on the libuv
 * thread pool, and the FIFO hands events to the pipeline in arrival order
 * once their hash is done, so events of one path never overtake each other.
 * FAN_MODIFY is coalesced: one MODIFY event per FAN_CLOSE_WRITE.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <sys/fanotify.h>

#include "fim/fim.h"
#include "source.h"
#include "fim/fanotify.h"
#include "fim/fanotify_parse.h"

#define FAN_READ_BUF (64 * 1024)
#define FAN_READS_PER_WAKEUP 16
#define FAN_RENAME_WAIT_NS (20 * 1000000LL) /* MOVED_TO after MOVED_FROM */
#define FAN_RENAME_TIMER_MS 10
#define FAN_PROC_CACHE_NS 1000000000LL
#define FAN_DIRMAP_BUCKETS 4096u
#define FAN_DIRMAP_MAX 65536u
/* marks: auto takes inode marks up to this many directories, a
 * filesystem mark beyond (one mark, but every event of the filesystem
 * reaches us and must be filtered). */
#define FAN_AUTO_INODE_MARKS_MAX 8192u
#define FAN_EVENT_ARENA 4096
#define FAN_FREE_MAX 256 /* pending events kept for reuse */
/* An event whose process was gone before we read /proc waits this long
 * before it goes on: the exec that started the process is in the audit
 * socket already, and once the pipeline has it the process table names
 * the program (a short ln or rm would otherwise show its parent's). */
#define FAN_SETTLE_NS (100 * 1000000LL)

enum fan_rung {
	FAN_RUNG_DFID_NAME = 1,
	FAN_RUNG_FID,
	FAN_RUNG_MOUNT,
};

/* Events we ask for on the directory-entry rungs. */
#define FAN_FIM_DIRENT (FAN_CREATE | FAN_DELETE | FAN_MOVED_FROM | FAN_MOVED_TO)
#define FAN_FIM_MASK (FAN_FIM_DIRENT | FAN_ATTRIB | FAN_MODIFY | \
		      FAN_CLOSE_WRITE | FAN_ONDIR)

struct fan_state;

/* One event on its way to the pipeline (FIFO node; reused). */
struct fan_pending {
	struct fan_pending *next;
	struct fan_state *st;
	struct vigil_event ev;
	struct vigil_arena arena;
	uv_work_t work;
	const char *hash_path; /* in arena; NULL: nothing to hash */
	const char *cache_path; /* the path whose cache hash this updates */
	int64_t hash_max;
	int hash_rc;
	bool done;
	int64_t settle_ns; /* monotonic: not delivered before; 0 none */
	bool set_prev; /* fill prev_hash from the cache at delivery */
	char sha[VIGIL_FIM_SHA256_HEX + 1];
};

/* Directory handle -> path. */
struct fan_dir {
	struct fan_dir *next;
	uint32_t hash;
	size_t key_len;
	unsigned char *key;
	char *path;
};

struct fan_mount {
	uint64_t fsid;
	int fd;
};

/* The last process looked up, so a burst from one writer reads /proc once. */
struct fan_proc_cache {
	int32_t pid;
	int64_t at_ns;
	int rc;
	struct vigil_process proc;
	struct vigil_arena arena;
	const char *pkg;
};

struct fan_state {
	struct vigil_source *src;
	struct vigil_fim_config cfg;
	int rung;
	bool fs_marks;
	bool target_fid;
	unsigned init_flags;
	int fd;
	uv_poll_t poll;
	uv_timer_t timer;
	uv_timer_t settle; /* the FIFO head waits for its process */
	bool poll_open, timer_open, timer_running;
	bool settle_open, settle_running;
	uv_timer_t rescan_timer; /* fim.rescan_interval */
	bool rescan_open, rescanning;
	volatile int rescan_stop; /* read by the rescan on the pool */
	uint64_t rescans, rescan_changes;
	unsigned refs; /* open handles + queued works + 1 while started */
	bool stopping;
	struct fan_mount *mounts;
	size_t n_mounts;
	struct fan_dir **dirs;
	size_t n_dirs;
	struct vigil_fim_cache cache;
	struct vigil_fim_renames renames;
	struct fan_pending *head, *tail, *free_list;
	size_t n_free;
	size_t inflight;
	uint64_t marks;
	uint64_t overflows;
	uint64_t resolve_failures;
	size_t tree_dirs; /* directories in the trees at start */
	unsigned char *rbuf;
	const char *procroot;
	struct fan_proc_cache pc;
};

static void fan_unref(struct fan_state *st);
static void recover(struct fan_state *st);

/* ---- directory map ---- */

static uint32_t key_hash(const unsigned char *k, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= k[i];
		h *= 16777619u;
	}
	return h;
}

static const char *dirmap_get(struct fan_state *st, const void *key,
			      size_t n)
{
	uint32_t h = key_hash(key, n);
	struct fan_dir *d;

	if (!st->dirs)
		return NULL;
	for (d = st->dirs[h & (FAN_DIRMAP_BUCKETS - 1)]; d; d = d->next)
		if (d->hash == h && d->key_len == n && !memcmp(d->key, key, n))
			return d->path;
	return NULL;
}

static int dirmap_put(struct fan_state *st, const void *key, size_t n,
		      const char *path)
{
	uint32_t h = key_hash(key, n);
	struct fan_dir *d, **b;

	if (!st->dirs) {
		st->dirs = calloc(FAN_DIRMAP_BUCKETS, sizeof(*st->dirs));
		if (!st->dirs)
			return -ENOMEM;
	}
	b = &st->dirs[h & (FAN_DIRMAP_BUCKETS - 1)];
	for (d = *b; d; d = d->next) {
		if (d->hash == h && d->key_len == n &&
		    !memcmp(d->key, key, n)) {
			char *p = strdup(path);

			if (!p)
				return -ENOMEM;
			free(d->path);
			d->path = p;
			return 0;
		}
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->key = malloc(n);
	d->path = strdup(path);
	if (!d->key || !d->path) {
		free(d->key);
		free(d->path);
		free(d);
		return -ENOMEM;
	}
	memcpy(d->key, key, n);
	d->key_len = n;
	d->hash = h;
	d->next = *b;
	*b = d;
	st->n_dirs++;
	return 0;
}

/* Forgets directories at or below path (renamed or removed). */
static void dirmap_forget(struct fan_state *st, const char *path)
{
	if (!st->dirs)
		return;
	for (size_t i = 0; i < FAN_DIRMAP_BUCKETS; i++) {
		struct fan_dir **pp = &st->dirs[i], *d;

		while ((d = *pp)) {
			if (vigil_fim_path_under(d->path, path)) {
				*pp = d->next;
				free(d->key);
				free(d->path);
				free(d);
				st->n_dirs--;
			} else {
				pp = &d->next;
			}
		}
	}
}

static void dirmap_free(struct fan_state *st)
{
	dirmap_forget(st, "/");
	free(st->dirs);
	st->dirs = NULL;
}

/*
 * The key fanotify would report for path: fsid followed by the file
 * handle.  Fills key (at least VIGIL_FIM_RENAME_KEY_MAX + 8 bytes) and
 * returns its length, or a negative errno.
 */
static ssize_t path_key(const char *path, unsigned char *key, size_t size)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[MAX_HANDLE_SZ];
	} h;
	struct statfs sfs;
	uint64_t fsid;
	int mnt_id;
	size_t n;

	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt_id, 0) < 0)
		return -errno;
	if (statfs(path, &sfs) < 0)
		return -errno;
	n = sizeof(fsid) + sizeof(h.fh) + h.fh.handle_bytes;
	if (n > size)
		return -ENAMETOOLONG;
	memcpy(&fsid, &sfs.f_fsid, sizeof(fsid));
	memcpy(key, &fsid, sizeof(fsid));
	memcpy(key + sizeof(fsid), &h, n - sizeof(fsid));
	return (ssize_t)n;
}

/* ---- mount fds for open_by_handle_at ---- */

static int mount_fd_for(struct fan_state *st, uint64_t fsid)
{
	for (size_t i = 0; i < st->n_mounts; i++)
		if (st->mounts[i].fsid == fsid)
			return st->mounts[i].fd;
	return -1;
}

/* Keeps an O_PATH fd on the filesystem of path, once per fsid. */
static int mount_add(struct fan_state *st, const char *path)
{
	struct fan_mount *m;
	struct statfs sfs;
	uint64_t fsid;
	int fd;

	if (statfs(path, &sfs) < 0)
		return -errno;
	memcpy(&fsid, &sfs.f_fsid, sizeof(fsid));
	if (mount_fd_for(st, fsid) >= 0)
		return 0;
	/* open_by_handle_at() refuses an O_PATH mount fd (EBADF). */
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	m = realloc(st->mounts, (st->n_mounts + 1) * sizeof(*m));
	if (!m) {
		close(fd);
		return -ENOMEM;
	}
	st->mounts = m;
	m[st->n_mounts].fsid = fsid;
	m[st->n_mounts].fd = fd;
	st->n_mounts++;
	return 0;
}

/*
 * Path of the object a fid names: the directory map first, then
 * open_by_handle_at() on the fsid's mount fd and /proc/self/fd.  Writes a
 * NUL-terminated path into out.  Returns 0 or a negative errno (-ESTALE
 * once the object is gone).
 */
static int fid_path(struct fan_state *st, const struct vigil_fan_fid *fid,
		    bool cache_dir, char *out, size_t size)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[MAX_HANDLE_SZ];
	} h;
	const char *known = dirmap_get(st, fid->key, fid->key_len);
	char link[64];
	ssize_t n;
	int mfd, fd;

	if (known) {
		if (strlen(known) >= size)
			return -ENAMETOOLONG;
		strcpy(out, known);
		return 0;
	}
	mfd = mount_fd_for(st, fid->fsid);
	if (mfd < 0 || fid->handle_len > sizeof(h))
		return -ENODEV;
	memcpy(&h, fid->handle, fid->handle_len);
	fd = open_by_handle_at(mfd, &h.fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, out, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	if ((size_t)n >= size - 1)
		return -ENAMETOOLONG;
	out[n] = '\0';
	/* Remember directories (the dfid of later events); the map is
	 * bounded and forgets everything when full. */
	if (cache_dir) {
		if (st->n_dirs >= FAN_DIRMAP_MAX)
			dirmap_forget(st, "/");
		(void)dirmap_put(st, fid->key, fid->key_len, out);
	}
	return 0;
}

/* ---- the FIFO ---- */

static struct fan_pending *pending_get(struct fan_state *st)
{
	struct fan_pending *p = st->free_list;

	if (p) {
		st->free_list = p->next;
		st->n_free--;
		vigil_arena_reset(&p->arena);
	} else {
		p = calloc(1, sizeof(*p));
		if (!p)
			return NULL;
		vigil_arena_init(&p->arena, FAN_EVENT_ARENA);
	}
	p->next = NULL;
	p->st = st;
	p->hash_path = NULL;
	p->cache_path = NULL;
	p->hash_rc = 0;
	p->done = false;
	p->settle_ns = 0;
	p->set_prev = false;
	p->sha[0] = '\0';
	vigil_event_init(&p->ev, &p->arena);
	p->ev.source = VIGIL_SRC_FANOTIFY;
	p->ev.time_ns = vigil_now_ns();
	vigil_file_clear(&p->ev.u.file.file);
	vigil_file_clear(&p->ev.u.file.destination);
	return p;
}

/* Back to the free list; beyond FAN_FREE_MAX (after a burst) the memory
 * goes back to the system. */
static void pending_release(struct fan_state *st, struct fan_pending *p)
{
	if (st->n_free >= FAN_FREE_MAX) {
		vigil_arena_free(&p->arena);
		free(p);
		return;
	}
	p->next = st->free_list;
	st->free_list = p;
	st->n_free++;
}

static void pending_free_list(struct fan_state *st)
{
	struct fan_pending *p, *next;

	for (p = st->free_list; p; p = next) {
		next = p->next;
		vigil_arena_free(&p->arena);
		free(p);
	}
	st->free_list = NULL;
	st->n_free = 0;
}

static int set_hash_str(struct vigil_arena *a, struct vigil_str *out,
			const char *hex)
{
	char buf[sizeof(VIGIL_FIM_HASH_PREFIX) + VIGIL_FIM_SHA256_HEX];
	int n = snprintf(buf, sizeof(buf), "%s%s", VIGIL_FIM_HASH_PREFIX, hex);

	return vigil_arena_str(a, out, buf, (size_t)n);
}

/* Completes a hashed event at delivery time, in FIFO order: the hash
 * before is what the cache held, the hash after goes into the cache. */
static void pending_finish_hash(struct fan_state *st, struct fan_pending *p)
{
	struct vigil_file *f = &p->ev.u.file.file;
	struct vigil_fim_entry *e = NULL;

	if (p->cache_path)
		e = vigil_fim_cache_get(&st->cache, p->cache_path);
	if (p->set_prev && e && e->attr.has_hash && !f->prev_hash.len)
		(void)set_hash_str(&p->arena, &f->prev_hash, e->attr.sha256);
	if (p->hash_rc == -EFBIG) {
		f->flags |= VIGIL_FILE_HASH_SKIPPED;
		return;
	}
	if (p->hash_rc)
		return;
	if (set_hash_str(&p->arena, &f->hash, p->sha))
		return;
	if (p->ev.type == VIGIL_EV_RENAME)
		p->ev.u.file.destination.hash = f->hash;
	if (e) {
		memcpy(e->attr.sha256, p->sha, sizeof(e->attr.sha256));
		e->attr.has_hash = true;
	}
}

static void fifo_drain(struct fan_state *st);

static void settle_cb(uv_timer_t *t)
{
	struct fan_state *st = t->data;

	st->settle_running = false;
	fifo_drain(st);
}

/*
 * Whether p may go on now: it has settled, or we are stopping.  Else
 * arms the settle timer for what is left (the FIFO waits behind p: the
 * events of one path keep their order).
 */
static bool settled(struct fan_state *st, struct fan_pending *p)
{
	int64_t left;

	if (!p->settle_ns || st->stopping)
		return true;
	left = p->settle_ns - vigil_monotonic_ns();
	if (left <= 0)
		return true;
	if (st->settle_open && !st->settle_running) {
		uv_timer_start(&st->settle, settle_cb,
			       (uint64_t)(left / 1000000) + 1, 0);
		st->settle_running = true;
	}
	return false;
}

/* Hands every finished event at the head of the FIFO to the pipeline. */
static void fifo_drain(struct fan_state *st)
{
	struct fan_pending *p;

	while ((p = st->head) && p->done && settled(st, p)) {
		st->head = p->next;
		if (!st->head)
			st->tail = NULL;
		if (p->hash_path)
			pending_finish_hash(st, p);
		if (!st->stopping &&
		    vigil_pipeline_submit(st->src->pipeline, &p->ev) == 0)
			st->src->events_out++;
		pending_release(st, p);
	}
}

static void hash_work(uv_work_t *w)
{
	struct fan_pending *p = w->data;

	p->hash_rc = vigil_fim_hash_file(p->hash_path, p->hash_max, p->sha,
					 NULL);
}

static void hash_done(uv_work_t *w, int status)
{
	struct fan_pending *p = w->data;
	struct fan_state *st = p->st;

	if (status)
		p->hash_rc = status;
	p->done = true;
	st->inflight--;
	fifo_drain(st);
	fan_unref(st);
}

/* Queues p; hashes hash_path first when set.  An event whose process
 * was gone when we read /proc settles first (FAN_SETTLE_NS). */
static void pending_queue(struct fan_state *st, struct fan_pending *p)
{
	if (p->ev.type != VIGIL_EV_AGENT && p->ev.process.pid > 0 &&
	    !p->ev.process.file.path.len)
		p->settle_ns = vigil_monotonic_ns() + FAN_SETTLE_NS;
	if (st->tail)
		st->tail->next = p;
	else
		st->head = p;
	st->tail = p;
	if (p->hash_path) {
		p->work.data = p;
		p->hash_max = st->cfg.hash_max_size;
		if (uv_queue_work(st->src->loop, &p->work, hash_work,
				  hash_done) == 0) {
			st->inflight++;
			st->refs++;
			return;
		}
		p->hash_rc = -EAGAIN;
	}
	p->done = true;
	fifo_drain(st);
}

/* ---- building events ---- */

/* Fills the acting process (cached for the last pid for a second). */
static int fill_process(struct fan_state *st, struct fan_pending *p,
			int32_t pid)
{
	struct fan_proc_cache *pc = &st->pc;
	struct vigil_process *dst = &p->ev.process;
	int64_t now = vigil_monotonic_ns();
	struct vigil_str *strs[] = { &dst->comm, &dst->file.path };

	if (pid <= 0) {
		dst->pid = pid;
		return 0;
	}
	if (pc->pid != pid || now - pc->at_ns > FAN_PROC_CACHE_NS) {
		vigil_arena_reset(&pc->arena);
		vigil_process_clear(&pc->proc);
		pc->rc = vigil_fim_proc_fill(&pc->proc, &pc->arena,
					     st->procroot, pid);
		pc->pkg = pc->rc ? NULL :
			vigil_fim_package_manager(st->procroot, pid);
		pc->pid = pid;
		pc->at_ns = now;
	}
	*dst = pc->proc;
	/* The cached strings live in the cache's arena: copy them. */
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(strs); i++) {
		struct vigil_str s = *strs[i];

		if (s.len && vigil_arena_str(&p->arena, strs[i], s.ptr, s.len))
			return -ENOMEM;
	}
	if (pc->pkg) {
		p->ev.u.file.package_manager = true;
		p->ev.u.file.package_manager_name = vigil_str_c(pc->pkg);
	}
	return 0;
}

static void file_from_attr(struct vigil_file *f, const struct vigil_fim_attr *a)
{
	f->inode = a->ino;
	f->dev = a->dev;
	f->size = a->size;
	f->mtime_ns = a->mtime_ns;
	f->mode = a->mode;
	f->uid = a->uid;
	f->gid = a->gid;
	f->flags |= VIGIL_FILE_HAS_STAT;
}

/*
 * Starts an event of type on path by pid.  now is the file's current
 * attributes (NULL when gone); old what the cache knew (NULL if nothing).
 * Returns the pending event, not yet queued, or NULL (counted as drop).
 */
static struct fan_pending *event_new(struct fan_state *st, uint32_t type,
				     const char *path, int32_t pid,
				     const struct vigil_fim_attr *now,
				     const struct vigil_fim_attr *old)
{
	struct fan_pending *p = pending_get(st);
	struct vigil_file *f;

	if (!p)
		goto out_drop;
	p->ev.type = type;
	f = &p->ev.u.file.file;
	if (vigil_arena_str(&p->arena, &f->path, path, strlen(path)) ||
	    fill_process(st, p, pid))
		goto out_release;
	if (now)
		file_from_attr(f, now);
	else if (old)
		file_from_attr(f, old);
	if (old) {
		f->prev_size = old->size;
		if (old->has_hash &&
		    set_hash_str(&p->arena, &f->prev_hash, old->sha256))
			goto out_release;
	}
	return p;
out_release:
	pending_release(st, p);
out_drop:
	st->src->drops++;
	return NULL;
}

/* Asks for the SHA-256 of path (a regular file under the limit). */
static void event_want_hash(struct fan_state *st, struct fan_pending *p,
			    const char *path, const struct vigil_fim_attr *now,
			    bool set_prev)
{
	struct vigil_str s;

	if (!now || !S_ISREG(now->mode))
		return;
	if (st->cfg.hash_max_size > 0 && now->size > st->cfg.hash_max_size) {
		p->ev.u.file.file.flags |= VIGIL_FILE_HASH_SKIPPED;
		return;
	}
	if (vigil_arena_str(&p->arena, &s, path, strlen(path)))
		return;
	p->hash_path = s.ptr;
	p->cache_path = s.ptr;
	p->set_prev = set_prev;
}

/*
 * When path (just created, or renamed to) is a symbolic link, sets the
 * event's file.link_target to what it points to: ln -sf makes the link
 * under a temporary name and renames it into place.  Returns 0 or
 * -ENOMEM (a link already gone or replaced leaves the target empty).
 */
static int event_link_target(struct fan_pending *p, const char *path,
			     const struct vigil_fim_attr *now)
{
	char target[PATH_MAX];
	ssize_t n;

	if (!now || !S_ISLNK(now->mode))
		return 0;
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	return vigil_arena_str(&p->arena, &p->ev.u.file.link_target, target,
			       (size_t)n);
}

static int lstat_attr(const char *path, struct vigil_fim_attr *a)
{
	struct stat sb;

	if (lstat(path, &sb) < 0)
		return -errno;
	vigil_fim_attr_from_stat(a, &sb);
	return 0;
}

/* Records now in the cache for path (keeps a known hash if the content
 * cannot have changed).  Returns the entry or NULL. */
static struct vigil_fim_entry *cache_store(struct fan_state *st,
					   const char *path,
					   const struct vigil_fim_attr *now,
					   bool content_changed)
{
	struct vigil_fim_entry *e = vigil_fim_cache_put(&st->cache, path);
	bool keep;

	if (!e)
		return NULL;
	keep = !content_changed && (e->flags & VIGIL_FIM_E_KNOWN) &&
	       e->attr.has_hash && e->attr.ino == now->ino &&
	       e->attr.size == now->size;
	if (keep) {
		char sha[sizeof(e->attr.sha256)];

		memcpy(sha, e->attr.sha256, sizeof(sha));
		e->attr = *now;
		memcpy(e->attr.sha256, sha, sizeof(sha));
		e->attr.has_hash = true;
	} else {
		e->attr = *now;
		e->attr.has_hash = false;
	}
	e->flags |= VIGIL_FIM_E_KNOWN;
	return e;
}

static void emit_overflow(struct fan_state *st)
{
	struct fan_pending *p;

	st->overflows++;
	st->src->lost++;
	p = pending_get(st);
	if (!p) {
		st->src->drops++;
		return;
	}
	p->ev.type = VIGIL_EV_AGENT;
	p->ev.source = VIGIL_SRC_AGENT;
	p->ev.process.pid = getpid();
	p->ev.u.agent.kind = vigil_str_c("fanotify_overflow");
	p->ev.u.agent.subsystem = vigil_str_c("fanotify");
	p->ev.u.agent.detail = vigil_str_c(
		"the fanotify queue overflowed: file events were lost; run `vigilctl fim check` to find what changed");
	p->ev.u.agent.count = 1;
	pending_queue(st, p);
	recover(st);
}

static int mark_tree(struct fan_state *st, const char *root, bool scan,
		     int32_t actor);

/* CREATE / MKDIR of path; a new directory is marked and scanned when we
 * use inode marks. */
static void on_create(struct fan_state *st, const char *path, int32_t pid,
		      bool is_dir)
{
	struct vigil_fim_entry *e = vigil_fim_cache_get(&st->cache, path);
	struct vigil_fim_attr now, replaced;
	bool have_replaced = e && (e->flags & VIGIL_FIM_E_KNOWN);
	struct fan_pending *p;

	/* On the fid rung an atomic replace (rename over the path) shows
	 * as a new inode under a known name: keep what it replaced. */
	if (have_replaced)
		replaced = e->attr;
	if (lstat_attr(path, &now) < 0)
		memset(&now, 0, sizeof(now)); /* gone already: report bare */
	else
		cache_store(st, path, &now, true);
	if (now.mode)
		is_dir = S_ISDIR(now.mode);
	p = event_new(st, is_dir ? VIGIL_EV_MKDIR : VIGIL_EV_CREATE, path,
		      pid, now.mode ? &now : NULL,
		      have_replaced ? &replaced : NULL);
	if (!p)
		return;
	if (event_link_target(p, path, now.mode ? &now : NULL)) {
		pending_release(st, p);
		st->src->drops++;
		return;
	}
	event_want_hash(st, p, path, &now, false);
	pending_queue(st, p);
	if (is_dir && !st->fs_marks && st->rung != FAN_RUNG_MOUNT)
		(void)mark_tree(st, path, true, pid);
}

static void on_delete(struct fan_state *st, const char *path, int32_t pid,
		      bool is_dir)
{
	struct vigil_fim_entry *e = vigil_fim_cache_get(&st->cache, path);
	struct vigil_fim_attr old;
	struct fan_pending *p;
	bool known = e && (e->flags & VIGIL_FIM_E_KNOWN);

	if (known) {
		old = e->attr;
		is_dir = S_ISDIR(old.mode);
	}
	p = event_new(st, is_dir ? VIGIL_EV_RMDIR : VIGIL_EV_UNLINK, path,
		      pid, NULL, known ? &old : NULL);
	if (is_dir) {
		vigil_fim_cache_del_tree(&st->cache, path);
		dirmap_forget(st, path);
	} else {
		vigil_fim_cache_del(&st->cache, path);
	}
	if (p)
		pending_queue(st, p);
}

/* A rename of from to to (either may be outside the trees). */
static void on_rename(struct fan_state *st, const char *from, const char *to,
		      int32_t pid, bool is_dir)
{
	struct vigil_fim_entry *src = vigil_fim_cache_get(&st->cache, from);
	struct vigil_fim_entry *dst = vigil_fim_cache_get(&st->cache, to);
	struct vigil_fim_attr now, old, replaced;
	bool have_old = src && (src->flags & VIGIL_FIM_E_KNOWN);
	bool have_replaced = dst && (dst->flags & VIGIL_FIM_E_KNOWN) &&
			     dst->attr.has_hash;
	struct fan_pending *p;
	struct vigil_file *d;

	if (have_old)
		old = src->attr;
	if (have_replaced)
		replaced = dst->attr;
	if (lstat_attr(to, &now) < 0)
		memset(&now, 0, sizeof(now));
	if (now.mode)
		is_dir = S_ISDIR(now.mode);
	/* Before: what the destination held if it was replaced (sed -i),
	 * else the content under its old name. */
	p = event_new(st, VIGIL_EV_RENAME, from, pid, now.mode ? &now : NULL,
		      have_replaced ? &replaced : have_old ? &old : NULL);
	(void)vigil_fim_cache_rename(&st->cache, from, to);
	if (is_dir)
		dirmap_forget(st, from);
	if (now.mode)
		cache_store(st, to, &now, false);
	if (!p)
		return;
	d = &p->ev.u.file.destination;
	if (vigil_arena_str(&p->arena, &d->path, to, strlen(to)) ||
	    event_link_target(p, to, now.mode ? &now : NULL)) {
		pending_release(st, p);
		st->src->drops++;
		return;
	}
	if (now.mode)
		file_from_attr(d, &now);
	event_want_hash(st, p, to, now.mode ? &now : NULL, false);
	pending_queue(st, p);
	/* A directory moved in from outside brings files we never saw:
	 * mark it and raise them as creates (moves inside the trees are
	 * in the cache already and raise nothing). */
	if (is_dir && st->rung != FAN_RUNG_MOUNT &&
	    vigil_fim_config_watched(&st->cfg, to))
		(void)mark_tree(st, to, true, pid);
}

/* FAN_ATTRIB: compare with what we knew and raise chmod/chown/utimes. */
static void on_attrib(struct fan_state *st, const char *path, int32_t pid)
{
	static const uint32_t order[] = {
		VIGIL_EV_CHMOD, VIGIL_EV_CHOWN, VIGIL_EV_UTIMES,
	};
	struct vigil_fim_entry *e = vigil_fim_cache_get(&st->cache, path);
	struct vigil_fim_attr now, old;
	uint64_t types;

	if (lstat_attr(path, &now) < 0)
		return;
	if (!e || !(e->flags & VIGIL_FIM_E_KNOWN)) {
		/* Nothing to compare with (cache full or a race with the
		 * start scan): remember it for next time. */
		cache_store(st, path, &now, false);
		vigil_debug("fanotify: attrib on %s, no earlier state", path);
		return;
	}
	old = e->attr;
	/* A write changes mtime too: while the file is being written the
	 * mtime change belongs to the coming MODIFY, not to utimes. */
	types = vigil_fim_attrib_events(vigil_fim_attr_diff(&old, &now));
	if ((e->flags & VIGIL_FIM_E_DIRTY) || old.size != now.size)
		types &= ~VIGIL_EVBIT(VIGIL_EV_UTIMES);
	cache_store(st, path, &now, false);
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(order); i++) {
		struct fan_pending *p;

		if (!(types & VIGIL_EVBIT(order[i])))
			continue;
		p = event_new(st, order[i], path, pid, &now, &old);
		if (!p)
			continue;
		/* destination carries the new mode / owner / times. */
		file_from_attr(&p->ev.u.file.destination, &now);
		p->ev.u.file.destination.path = p->ev.u.file.file.path;
		p->ev.u.file.file.mode = old.mode;
		p->ev.u.file.file.uid = old.uid;
		p->ev.u.file.file.gid = old.gid;
		p->ev.u.file.file.mtime_ns = old.mtime_ns;
		if (old.has_hash)
			p->ev.u.file.file.hash = p->ev.u.file.file.prev_hash;
		pending_queue(st, p);
	}
}

static void on_modify(struct fan_state *st, const char *path, int32_t pid)
{
	vigil_fim_note_modify(&st->cache, path, pid);
}

/* FAN_CLOSE_WRITE: one MODIFY event if the file was written. */
static void emit_modify(struct fan_state *st, const char *path,
			int32_t writer, const struct vigil_fim_attr *nowp);

static void on_close_write(struct fan_state *st, const char *path,
			   int32_t pid, int fd)
{
	struct vigil_fim_attr now;
	struct stat sb;
	int32_t writer = pid;

	if (!vigil_fim_close_write(&st->cache, path, &writer))
		return;
	if (fd >= 0 ? fstat(fd, &sb) < 0 : lstat(path, &sb) < 0)
		return;
	vigil_fim_attr_from_stat(&now, &sb);
	emit_modify(st, path, writer, &now);
}

/* A MODIFY of path by writer, now its attributes; hashed, with the hash
 * before taken from the cache at delivery. */
static void emit_modify(struct fan_state *st, const char *path,
			int32_t writer, const struct vigil_fim_attr *nowp)
{
	struct vigil_fim_attr now = *nowp, old;
	struct vigil_fim_entry *e;
	struct fan_pending *p;
	bool have_old;

	e = vigil_fim_cache_get(&st->cache, path);
	have_old = e && (e->flags & VIGIL_FIM_E_KNOWN);
	if (have_old)
		old = e->attr;
	e = cache_store(st, path, &now, true);
	/* Keep the hash we knew: delivery reads it as the hash before and
	 * replaces it with the new one, in order. */
	if (e && have_old && old.has_hash) {
		memcpy(e->attr.sha256, old.sha256, sizeof(old.sha256));
		e->attr.has_hash = true;
	}
	p = event_new(st, VIGIL_EV_MODIFY, path, writer, &now,
		      have_old ? &old : NULL);
	if (!p)
		return;
	/* prev_hash comes from the cache at delivery (ordered). */
	p->ev.u.file.file.prev_hash.len = 0;
	event_want_hash(st, p, path, &now, true);
	pending_queue(st, p);
}

/* ---- rename halves ---- */

static void flush_move(struct fan_state *st, struct vigil_fim_move *m)
{
	/* Moved out of the watched trees (or its other half was lost). */
	if (vigil_fim_config_watched(&st->cfg, m->path))
		on_delete(st, m->path, m->pid, m->is_dir);
	free(m->path);
}

static void expire_moves(struct fan_state *st, int64_t before_ns)
{
	struct vigil_fim_move m;

	while (vigil_fim_rename_expire(&st->renames, before_ns, &m) == 0)
		flush_move(st, &m);
}

static void rename_timer_cb(uv_timer_t *t)
{
	struct fan_state *st = t->data;

	expire_moves(st, vigil_monotonic_ns() - FAN_RENAME_WAIT_NS);
	if (st->renames.n == 0) {
		uv_timer_stop(&st->timer);
		st->timer_running = false;
	}
}

static void on_moved_from(struct fan_state *st, const void *key,
			  size_t key_len, const char *path, int32_t pid,
			  bool is_dir)
{
	struct vigil_fim_move ev;
	int rc;

	rc = vigil_fim_rename_from(&st->renames, key, key_len, path, pid,
				   is_dir, vigil_monotonic_ns(), &ev);
	if (rc == 1)
		flush_move(st, &ev);
	else if (rc < 0)
		st->src->drops++;
	if (st->renames.n && !st->timer_running && st->timer_open) {
		uv_timer_start(&st->timer, rename_timer_cb,
			       FAN_RENAME_TIMER_MS, FAN_RENAME_TIMER_MS);
		st->timer_running = true;
	}
}

static void on_moved_to(struct fan_state *st, const void *key,
			size_t key_len, const char *path, int32_t pid,
			bool is_dir)
{
	struct vigil_fim_move m;

	if (vigil_fim_rename_to(&st->renames, key, key_len, pid, &m) == 0) {
		if (vigil_fim_config_watched(&st->cfg, m.path) ||
		    vigil_fim_config_watched(&st->cfg, path))
			on_rename(st, m.path, path, pid, is_dir || m.is_dir);
		free(m.path);
		return;
	}
	/* Moved in from outside the marks. */
	if (vigil_fim_config_watched(&st->cfg, path))
		on_create(st, path, pid, is_dir);
}

/* ---- recovery after an overflow ---- */

/* Paths collected while walking the cache, handled once the walk is
 * over (handling them changes the cache). */
struct path_list {
	char **v;
	size_t n, cap;
};

/* Appends a copy of path; a path that does not fit (out of memory) is
 * left out. */
static void path_list_add(struct path_list *l, const char *path)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n] = strdup(path);
	if (l->v[l->n])
		l->n++;
}

static void path_list_free(struct path_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

struct gone_ctx {
	const struct vigil_fim_baseline *now;
	struct path_list gone;
};

static void collect_gone(struct vigil_fim_entry *e, void *arg)
{
	struct gone_ctx *g = arg;

	if ((e->flags & VIGIL_FIM_E_KNOWN) &&
	    !vigil_fim_baseline_find(g->now, e->path))
		path_list_add(&g->gone, e->path);
}

static void visit_all(struct vigil_fim_cache *c,
		      void (*fn)(struct vigil_fim_entry *e, void *arg),
		      void *arg)
{
	for (size_t i = 0; i < c->n_buckets; i++)
		for (struct vigil_fim_entry *e = c->buckets[i]; e; e = e->next)
			fn(e, arg);
}

/*
 * Raises what differs between the cache and a stat-only walk of the trees
 * (now), with no actor (pid 0): creates, deletes, modifications (size,
 * mtime or inode moved: hashed) and attribute changes.  The cache follows.
 * Returns the number of differences raised.
 */
static size_t raise_drift(struct fan_state *st,
			  const struct vigil_fim_baseline *now)
{
	struct gone_ctx g = { 0 };
	size_t changes = 0;

	g.now = now;
	visit_all(&st->cache, collect_gone, &g);
	for (size_t i = 0; i < g.gone.n; i++) {
		const char *path = g.gone.v[i];

		if (vigil_fim_config_watched(&st->cfg, path) &&
		    vigil_fim_cache_get(&st->cache, path)) {
			on_delete(st, path, 0, false);
			changes++;
		}
	}
	path_list_free(&g.gone);
	for (size_t i = 0; i < now->n; i++) {
		const struct vigil_fim_record *r = &now->rec[i];
		struct vigil_fim_entry *e =
			vigil_fim_cache_get(&st->cache, r->path);
		unsigned d;

		if (!e || !(e->flags & VIGIL_FIM_E_KNOWN)) {
			on_create(st, r->path, 0, S_ISDIR(r->attr.mode));
			changes++;
			continue;
		}
		d = vigil_fim_attr_diff(&e->attr, &r->attr);
		if (S_ISDIR(r->attr.mode))
			d &= ~(VIGIL_FIM_DIFF_SIZE | VIGIL_FIM_DIFF_MTIME);
		if (d & (VIGIL_FIM_DIFF_SIZE | VIGIL_FIM_DIFF_MTIME |
			 VIGIL_FIM_DIFF_INODE | VIGIL_FIM_DIFF_TYPE)) {
			e->flags &= ~VIGIL_FIM_E_DIRTY;
			emit_modify(st, r->path, 0, &r->attr);
			changes++;
		} else if (d) {
			on_attrib(st, r->path, 0);
			changes++;
		}
	}
	return changes;
}

/*
 * The kernel dropped events: walk the trees (stat only, on the loop: the
 * watched trees are small) and raise what differs from the cache.
 */
static void recover(struct fan_state *st)
{
	struct vigil_fim_config cfg = st->cfg;
	struct vigil_fim_baseline now;

	if (st->rung == FAN_RUNG_MOUNT)
		return; /* no create/delete to miss; writes: fim check */
	cfg.hash_max_size = -1;
	vigil_fim_baseline_init(&now);
	if (vigil_fim_rescan(&now, &cfg, 0, NULL) == 0)
		raise_drift(st, &now);
	vigil_fim_baseline_free(&now);
}

/* ---- periodic rescans (fim.rescan_interval) ---- */

struct rescan_job {
	uv_work_t req;
	struct fan_state *st;
	struct vigil_fim_config cfg; /* st->cfg's, stat only */
	struct vigil_fim_baseline now;
	int rc;
};

/* On the pool: the throttled walk at idle I/O priority. */
static void rescan_work(uv_work_t *req)
{
	struct rescan_job *j = req->data;

	j->rc = vigil_fim_rescan(&j->now, &j->cfg,
				 j->st->cfg.rescan_files_per_sec,
				 &j->st->rescan_stop);
}

/* Back on the loop: what the walk found against the cache. */
static void rescan_done(uv_work_t *req, int status)
{
	struct rescan_job *j = req->data;
	struct fan_state *st = j->st;

	st->rescanning = false;
	if (status == 0 && j->rc == 0 && !st->stopping) {
		st->rescans++;
		st->rescan_changes += raise_drift(st, &j->now);
	} else if (j->rc && j->rc != -ECANCELED && !st->stopping) {
		vigil_warn("fim: periodic rescan failed: %s",
			   strerror(-j->rc));
	}
	vigil_fim_baseline_free(&j->now);
	free(j);
	fan_unref(st);
}

/*
 * Every fim.rescan_interval: a walk of the trees on the thread pool, so
 * that what the kernel could not report (changes while marks were being
 * placed, filesystems mounted over a tree) is still raised.  Not on the
 * mount rung, where creates and deletes come from audit and `vigilctl fim
 * check` finds the rest.
 */
static void on_rescan_timer(uv_timer_t *t)
{
	struct fan_state *st = t->data;
	struct rescan_job *j;

	if (st->rescanning || st->stopping || st->rung == FAN_RUNG_MOUNT)
		return;
	j = calloc(1, sizeof(*j));
	if (!j)
		return;
	j->req.data = j;
	j->st = st;
	j->cfg = st->cfg;
	j->cfg.hash_max_size = -1;
	vigil_fim_baseline_init(&j->now);
	st->refs++;
	st->rescanning = true;
	if (uv_queue_work(st->src->loop, &j->req, rescan_work, rescan_done)) {
		st->rescanning = false;
		free(j);
		st->refs--;
	}
}

/* ---- the dfid_name rung ---- */

/* Builds dir + "/" + name into out. */
static int join_path(char *out, size_t size, const char *dir,
		     const char *name, size_t name_len)
{
	int n;

	if (name_len == 1 && name[0] == '.')
		n = snprintf(out, size, "%s", dir);
	else
		n = snprintf(out, size, "%s%s%.*s", dir,
			     strcmp(dir, "/") ? "/" : "", (int)name_len, name);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static void handle_dfid_name(struct fan_state *st,
			     const struct vigil_fan_event *fe)
{
	char dir[PATH_MAX], path[PATH_MAX];
	bool is_dir = fe->mask & FAN_ONDIR;
	const void *key = NULL;
	size_t key_len = 0;
	bool watched;
	int rc;

	if (fe->has_dfid && fe->dfid.name) {
		rc = fid_path(st, &fe->dfid, true, dir, sizeof(dir));
		if (rc == 0)
			rc = join_path(path, sizeof(path), dir, fe->dfid.name,
				       fe->dfid.name_len);
	} else if (fe->has_fid) {
		/* No name: an inode change seen through another link or
		 * on an unlinked open file (ATTRIB on nlink).  Resolve the
		 * object itself. */
		rc = fid_path(st, &fe->fid, false, path, sizeof(path));
		if (rc == 0 && (fe->mask & FAN_FIM_DIRENT))
			rc = -EINVAL;
	} else {
		st->src->drops++;
		return;
	}
	if (rc) {
		/* Usually a directory or file already gone (ESTALE). */
		vigil_debug("fanotify: cannot resolve event 0x%llx: %s",
			    (unsigned long long)fe->mask, strerror(-rc));
		st->resolve_failures++;
		return;
	}
	if (st->target_fid && fe->has_fid) {
		key = fe->fid.key;
		key_len = fe->fid.key_len;
	}
	/* A directory renamed or removed anywhere: the paths remembered
	 * for its handle and below are stale. */
	if (is_dir && (fe->mask & (FAN_MOVED_FROM | FAN_DELETE)))
		dirmap_forget(st, path);
	/* Renames are paired before filtering: a file moved into a watched
	 * tree from elsewhere matters as much as one moved out. */
	if (fe->mask & FAN_MOVED_FROM)
		on_moved_from(st, key, key_len, path, fe->pid, is_dir);
	if (fe->mask & FAN_MOVED_TO)
		on_moved_to(st, key, key_len, path, fe->pid, is_dir);
	watched = vigil_fim_config_watched(&st->cfg, path);
	if (!watched)
		return;
	if (fe->mask & FAN_CREATE)
		on_create(st, path, fe->pid, is_dir);
	if (fe->mask & FAN_MODIFY)
		on_modify(st, path, fe->pid);
	if (fe->mask & FAN_ATTRIB)
		on_attrib(st, path, fe->pid);
	if (fe->mask & FAN_CLOSE_WRITE)
		on_close_write(st, path, fe->pid, -1);
	if (fe->mask & FAN_DELETE)
		on_delete(st, path, fe->pid, is_dir);
}

/* ---- the fid rung: compare a directory with the cache ---- */

struct scan_ctx {
	struct fan_state *st;
	const char *dir;
	struct path_list gone;
};

static void scan_check_child(struct vigil_fim_entry *e, void *arg)
{
	struct scan_ctx *c = arg;
	struct stat sb;

	/* Still there (possibly replaced by a rename over it: the new
	 * inode is found by the readdir pass). */
	if (lstat(e->path, &sb) != 0 && errno == ENOENT)
		path_list_add(&c->gone, e->path);
}

/*
 * Re-reads dir after a directory-entry event and raises what changed:
 * names gone from disk (unlink/rmdir, or the first half of a rename keyed
 * by inode) and names new on disk (create/mkdir, or the second half).
 */
static void rescan_dir(struct fan_state *st, const char *dir, int32_t pid,
		       uint64_t mask)
{
	struct scan_ctx c = { .st = st, .dir = dir };
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	vigil_fim_cache_children(&st->cache, dir, scan_check_child, &c);
	for (size_t i = 0; i < c.gone.n; i++) {
		const char *gone = c.gone.v[i];
		struct vigil_fim_entry *e = vigil_fim_cache_get(&st->cache,
								gone);

		if (e && (mask & FAN_MOVED_FROM))
			on_moved_from(st, &e->attr.ino, sizeof(e->attr.ino),
				      gone, pid, S_ISDIR(e->attr.mode));
		else
			on_delete(st, gone, pid, false);
	}
	path_list_free(&c.gone);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct vigil_fim_entry *e;
		struct stat sb;
		uint64_t ino;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (join_path(path, sizeof(path), dir, de->d_name,
			      strlen(de->d_name)))
			continue;
		if (lstat(path, &sb) < 0)
			continue;
		e = vigil_fim_cache_get(&st->cache, path);
		if (e && (e->flags & VIGIL_FIM_E_KNOWN) &&
		    e->attr.ino == sb.st_ino)
			continue;
		ino = sb.st_ino;
		if (vigil_fim_config_excluded(&st->cfg, path))
			continue;
		on_moved_to(st, &ino, sizeof(ino), path, pid,
			    S_ISDIR(sb.st_mode));
	}
	closedir(d);
}

/*
 * The fid of a file event resolves to its current name, which can be ahead
 * of the directory events still queued (`sed -i`: write a temporary file,
 * rename it over the target).  If the cache holds another inode under that
 * name, read the directory now so the rename is raised before the write.
 */
static void catch_up_rename(struct fan_state *st, const char *path,
			    int32_t pid)
{
	struct vigil_fim_entry *e = vigil_fim_cache_get(&st->cache, path);
	char dir[PATH_MAX];
	struct stat sb;
	char *slash;

	if (!e || !(e->flags & VIGIL_FIM_E_KNOWN) || lstat(path, &sb) < 0 ||
	    sb.st_ino == e->attr.ino)
		return;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		return;
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	rescan_dir(st, dir, pid, FAN_MOVED_FROM | FAN_MOVED_TO);
}

static void handle_fid(struct fan_state *st, const struct vigil_fan_event *fe)
{
	char path[PATH_MAX];

	if (!fe->has_fid) {
		st->src->drops++;
		return;
	}
	if (fid_path(st, &fe->fid, false, path, sizeof(path))) {
		st->resolve_failures++;
		return; /* gone: its directory's event reports it */
	}
	if (fe->mask & FAN_FIM_DIRENT) {
		rescan_dir(st, path, fe->pid, fe->mask);
		expire_moves(st, vigil_monotonic_ns() - FAN_RENAME_WAIT_NS);
	}
	if (!vigil_fim_config_watched(&st->cfg, path))
		return;
	if (!(fe->mask & FAN_FIM_DIRENT))
		catch_up_rename(st, path, fe->pid);
	if (fe->mask & FAN_MODIFY)
		on_modify(st, path, fe->pid);
	if (fe->mask & FAN_ATTRIB)
		on_attrib(st, path, fe->pid);
	if (fe->mask & FAN_CLOSE_WRITE)
		on_close_write(st, path, fe->pid, -1);
}

/* ---- the mount rung ---- */

static void handle_mount(struct fan_state *st, const struct vigil_fan_event *fe)
{
	char link[64], path[PATH_MAX];
	ssize_t n;

	if (fe->fd < 0) {
		st->src->drops++;
		return;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fe->fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n > 0) {
		path[n] = '\0';
		if (vigil_fim_config_watched(&st->cfg, path)) {
			if (fe->mask & FAN_MODIFY)
				on_modify(st, path, fe->pid);
			if (fe->mask & FAN_CLOSE_WRITE)
				on_close_write(st, path, fe->pid, fe->fd);
		}
	}
	close(fe->fd);
}

static void handle_event(struct fan_state *st, const struct vigil_fan_event *fe)
{
	st->src->events_in++;
	if (fe->mask & FAN_Q_OVERFLOW) {
		emit_overflow(st);
		return;
	}
	switch (st->rung) {
	case FAN_RUNG_DFID_NAME:
		handle_dfid_name(st, fe);
		break;
	case FAN_RUNG_FID:
		handle_fid(st, fe);
		break;
	default:
		handle_mount(st, fe);
		break;
	}
}

static void poll_cb(uv_poll_t *h, int status, int events)
{
	struct fan_state *st = h->data;

	if (status < 0) {
		vigil_source_set_state(st->src, VIGIL_SOURCE_DEGRADED,
				       st->src->mode, "poll failed: %s",
				       uv_strerror(status));
		return;
	}
	for (int i = 0; i < FAN_READS_PER_WAKEUP; i++) {
		struct vigil_fan_event fe;
		size_t off = 0;
		ssize_t n;
		int rc;

		n = read(st->fd, st->rbuf, FAN_READ_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		while ((rc = vigil_fan_next(st->rbuf, (size_t)n, &off, &fe))) {
			if (rc < 0) {
				vigil_debug("fanotify: malformed event");
				st->src->drops++;
				continue;
			}
			handle_event(st, &fe);
		}
	}
}

/* ---- marks ---- */

static uint64_t inode_mask(const struct fan_state *st)
{
	return FAN_FIM_MASK | FAN_EVENT_ON_CHILD;
}

/* Marks one directory and remembers its handle. */
static int mark_dir(struct fan_state *st, const char *path, uint64_t mask)
{
	unsigned char key[VIGIL_FIM_RENAME_KEY_MAX + 16];
	ssize_t kn;

	if (fanotify_mark(st->fd, FAN_MARK_ADD | FAN_MARK_ONLYDIR, mask,
			  AT_FDCWD, path) < 0)
		return -errno;
	st->marks++;
	kn = path_key(path, key, sizeof(key));
	if (kn > 0)
		(void)dirmap_put(st, key, (size_t)kn, path);
	return 0;
}

/*
 * Puts inode marks on root and every directory below it (not on excluded
 * ones; with filesystem marks nothing needs marking).  With scan, entries
 * found (a tree that appeared between mkdir and our mark, or moved in
 * from outside) are raised as creates unless the cache knows them, with
 * actor as their process: the one that made or moved in the directory
 * (useradd -m copying /etc/skel, dpkg unpacking) put them there, as the
 * directory did not exist before; 0 when unknown.
 */
static int mark_tree(struct fan_state *st, const char *root, bool scan,
		     int32_t actor)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int rc;

	if (vigil_fim_config_excluded(&st->cfg, root))
		return 0;
	if (!st->fs_marks) {
		rc = mark_dir(st, root, inode_mask(st));
		if (rc)
			return rc;
	}
	d = opendir(root);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct vigil_fim_attr a;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (join_path(path, sizeof(path), root, de->d_name,
			      strlen(de->d_name)) ||
		    vigil_fim_config_excluded(&st->cfg, path) ||
		    lstat_attr(path, &a))
			continue;
		if (scan && !vigil_fim_cache_get(&st->cache, path))
			on_create(st, path, actor, S_ISDIR(a.mode));
		else if (S_ISDIR(a.mode))
			(void)mark_tree(st, path, scan, actor);
	}
	closedir(d);
	return 0;
}

/* The nearest existing ancestor of a missing watched path, so its
 * creation is seen. */
static int mark_ancestor(struct fan_state *st, const char *path)
{
	char buf[PATH_MAX];
	char *slash;
	struct stat sb;

	snprintf(buf, sizeof(buf), "%s", path);
	while ((slash = strrchr(buf, '/'))) {
		if (slash == buf)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(buf, &sb) == 0 && S_ISDIR(sb.st_mode))
			return mark_dir(st, buf, FAN_FIM_DIRENT | FAN_ONDIR);
		if (slash == buf)
			break;
	}
	return -ENOENT;
}

/* Fills the cache with the current state of the trees (and the hashes the
 * baseline has for files that did not change since). */
static void prime_cache(struct fan_state *st)
{
	struct vigil_fim_baseline b;
	struct vigil_buf err = { 0 };
	char path[PATH_MAX];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", st->cfg.state_dir,
		 VIGIL_FIM_BASELINE_NAME);
	vigil_fim_baseline_init(&b);
	rc = vigil_fim_baseline_load(&b, path, &err);
	if (rc && rc != -ENOENT)
		vigil_warn("fanotify: %s", vigil_buf_cstr(&err));
	vigil_buf_free(&err);
	if (rc == 0) {
		for (size_t i = 0; i < b.n; i++) {
			struct vigil_fim_entry *e;

			if (!vigil_fim_config_watched(&st->cfg, b.rec[i].path))
				continue;
			e = vigil_fim_cache_put(&st->cache, b.rec[i].path);
			if (!e)
				break;
			e->attr = b.rec[i].attr;
			e->flags |= VIGIL_FIM_E_KNOWN;
		}
	}
	vigil_fim_baseline_free(&b);
	/* Now the live state: stat only, hashes kept where unchanged. */
	vigil_fim_baseline_init(&b);
	for (size_t i = 0; i < st->cfg.n_paths; i++) {
		struct vigil_fim_config one = st->cfg;

		one.paths = &st->cfg.paths[i];
		one.n_paths = 1;
		one.hash_max_size = -1; /* stat only */
		(void)vigil_fim_rescan(&b, &one, 0, NULL);
	}
	for (size_t i = 0; i < b.n; i++) {
		struct vigil_fim_entry *e = vigil_fim_cache_get(&st->cache,
								b.rec[i].path);
		bool same = e && (e->flags & VIGIL_FIM_E_KNOWN) &&
			    !(vigil_fim_attr_diff(&e->attr, &b.rec[i].attr) &
			      ~VIGIL_FIM_DIFF_HASH);

		if (S_ISDIR(b.rec[i].attr.mode))
			st->tree_dirs++;
		if (same)
			continue;
		if (!e)
			e = vigil_fim_cache_put(&st->cache, b.rec[i].path);
		if (!e)
			break;
		e->attr = b.rec[i].attr;
		e->attr.has_hash = false;
		e->flags |= VIGIL_FIM_E_KNOWN;
	}
	vigil_fim_baseline_free(&b);
}

static int try_init(unsigned flags)
{
	return fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK |
			     flags, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
}

/*
 * Probes the ladder from the top; a rung whose feature bit is disabled is
 * skipped.  Opens st->fd and sets rung, init_flags and the reason.
 */
static int probe(struct fan_state *st, char *why, size_t why_len)
{
	static const unsigned dfid_flags[] = {
		FAN_REPORT_DFID_NAME | FAN_REPORT_FID | FAN_REPORT_TARGET_FID,
		FAN_REPORT_DFID_NAME | FAN_REPORT_FID,
		FAN_REPORT_DFID_NAME,
	};
	uint32_t off = st->src->features_disabled;
	struct utsname u;
	const char *skipped = "";
	int err = 0;

	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "?");
	if (off & VIGIL_FEAT_FANOTIFY)
		return -EOPNOTSUPP;
	if (!(off & VIGIL_FEAT_FANOTIFY_DFID_NAME)) {
		for (size_t i = 0; i < VIGIL_ARRAY_SIZE(dfid_flags); i++) {
			st->fd = try_init(dfid_flags[i]);
			if (st->fd >= 0) {
				st->rung = FAN_RUNG_DFID_NAME;
				st->init_flags = dfid_flags[i];
				st->target_fid = dfid_flags[i] &
						 FAN_REPORT_TARGET_FID;
				snprintf(why, why_len,
					 "kernel %s supports FAN_REPORT_DFID_NAME%s",
					 u.release, st->target_fid ?
					 " and FAN_REPORT_TARGET_FID" : "");
				return 0;
			}
			err = errno;
		}
		skipped = "FAN_REPORT_DFID_NAME unsupported";
	} else {
		skipped = "FAN_REPORT_DFID_NAME disabled by the feature mask";
	}
	if (!(off & VIGIL_FEAT_FANOTIFY_FID)) {
		st->fd = try_init(FAN_REPORT_FID);
		if (st->fd >= 0) {
			st->rung = FAN_RUNG_FID;
			st->init_flags = FAN_REPORT_FID;
			snprintf(why, why_len, "%s (kernel %s): FAN_REPORT_FID with inode marks",
				 skipped, u.release);
			return 0;
		}
		err = errno;
		skipped = "FAN_REPORT_FID unsupported";
	} else {
		skipped = "FAN_REPORT_FID disabled by the feature mask";
	}
	st->fd = try_init(0);
	if (st->fd < 0)
		return -(errno ? errno : err);
	st->rung = FAN_RUNG_MOUNT;
	snprintf(why, why_len,
		 "%s (kernel %s): mount marks, modify/close_write only; creates, deletes and renames need the audit watches",
		 skipped, u.release);
	return 0;
}

/* Places the marks for the chosen rung. */
static int place_marks(struct fan_state *st, char *why, size_t why_len)
{
	uint32_t off = st->src->features_disabled;
	bool want_fs = st->rung == FAN_RUNG_DFID_NAME &&
		       !(off & VIGIL_FEAT_FANOTIFY_MARK_FS) &&
		       (st->cfg.marks == VIGIL_FIM_MARKS_FILESYSTEM ||
			(st->cfg.marks == VIGIL_FIM_MARKS_AUTO &&
			 st->tree_dirs > FAN_AUTO_INODE_MARKS_MAX));
	size_t placed = 0;
	int rc = 0;

	for (size_t i = 0; i < st->cfg.n_paths; i++) {
		const char *p = st->cfg.paths[i];
		struct stat sb;

		if (stat(p, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
			/* Missing (or a file): watch where it will appear. */
			if (st->rung != FAN_RUNG_MOUNT) {
				(void)mount_add(st, "/");
				if (mark_ancestor(st, p) == 0)
					placed++;
			}
			continue;
		}
		(void)mount_add(st, p);
		if (st->rung == FAN_RUNG_MOUNT) {
			rc = fanotify_mark(st->fd, FAN_MARK_ADD | FAN_MARK_MOUNT,
					   FAN_MODIFY | FAN_CLOSE_WRITE,
					   AT_FDCWD, p) < 0 ? -errno : 0;
			if (rc == 0)
				st->marks++;
		} else if (want_fs &&
			   fanotify_mark(st->fd,
					 FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
					 FAN_FIM_MASK, AT_FDCWD, p) == 0) {
			st->marks++;
			st->fs_marks = true;
			rc = 0;
		} else {
			/* A filesystem that refuses filesystem marks still
			 * takes inode marks. */
			if (want_fs)
				want_fs = false;
			rc = mark_tree(st, p, false, 0);
		}
		if (rc)
			vigil_warn("fanotify: cannot watch %s: %s", p,
				   strerror(-rc));
		else
			placed++;
	}
	if (st->fs_marks && placed < st->cfg.n_paths)
		st->fs_marks = true; /* mixed: filtering handles both */
	snprintf(why + strlen(why), why_len - strlen(why), "; %s marks",
		 st->rung == FAN_RUNG_MOUNT ? "mount" :
		 st->fs_marks ? "filesystem" : "inode");
	return placed ? 0 : -ENOENT;
}

static const char *rung_name(int rung)
{
	switch (rung) {
	case FAN_RUNG_DFID_NAME:
		return "dfid_name";
	case FAN_RUNG_FID:
		return "fid";
	case FAN_RUNG_MOUNT:
		return "mount";
	default:
		return "none";
	}
}

static void fan_free(struct fan_state *st)
{
	struct fan_pending *p, *next;

	/* Events still queued but never delivered (stop while hashing). */
	for (p = st->head; p; p = next) {
		next = p->next;
		vigil_arena_free(&p->arena);
		free(p);
	}
	pending_free_list(st);
	for (size_t i = 0; i < st->n_mounts; i++)
		close(st->mounts[i].fd);
	free(st->mounts);
	dirmap_free(st);
	vigil_fim_cache_free(&st->cache);
	vigil_fim_renames_free(&st->renames);
	vigil_fim_config_free(&st->cfg);
	vigil_arena_free(&st->pc.arena);
	if (st->fd >= 0)
		close(st->fd);
	free(st->rbuf);
	free(st);
}

static void fan_unref(struct fan_state *st)
{
	if (--st->refs == 0)
		fan_free(st);
}

static void handle_closed(uv_handle_t *h)
{
	fan_unref(h->data);
}

static int fan_start(struct vigil_source *src)
{
	struct vigil_buf err = { 0 };
	struct fan_state *st;
	char why[sizeof(src->reason)] = "";
	int rc;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->src = src;
	st->fd = -1;
	st->refs = 1;
	st->procroot = "/proc";
	vigil_arena_init(&st->pc.arena, FAN_EVENT_ARENA);
	vigil_fim_renames_init(&st->renames);
	src->priv = st;
	rc = vigil_fim_config_defaults(&st->cfg);
	if (rc == 0)
		rc = vigil_fim_config_parse(&st->cfg, src->config, &err);
	if (rc) {
		vigil_source_set_state(src, VIGIL_SOURCE_FAILED, "none",
				       "configuration: %s",
				       err.len ? vigil_buf_cstr(&err) :
				       strerror(-rc));
		vigil_buf_free(&err);
		return rc;
	}
	vigil_fim_cache_init(&st->cache, st->cfg.cache_max);
	st->rbuf = malloc(FAN_READ_BUF);
	if (!st->rbuf) {
		vigil_source_set_state(src, VIGIL_SOURCE_FAILED, "none",
				       "out of memory");
		return -ENOMEM;
	}
	rc = probe(st, why, sizeof(why));
	if (rc) {
		vigil_source_set_state(src, VIGIL_SOURCE_FAILED, "none",
				       rc == -EOPNOTSUPP ?
				       "fanotify disabled by the feature mask" :
				       "fanotify_init: %s (needs CAP_SYS_ADMIN)",
				       strerror(-rc));
		return rc;
	}
	prime_cache(st);
	rc = place_marks(st, why, sizeof(why));
	if (rc) {
		vigil_source_set_state(src, VIGIL_SOURCE_FAILED,
				       rung_name(st->rung),
				       "no watched path could be marked");
		return rc;
	}
	rc = uv_poll_init(src->loop, &st->poll, st->fd);
	if (rc)
		goto out_uv;
	st->poll.data = st;
	st->poll_open = true;
	st->refs++;
	rc = uv_timer_init(src->loop, &st->timer);
	if (rc)
		goto out_uv;
	st->timer.data = st;
	st->timer_open = true;
	st->refs++;
	rc = uv_timer_init(src->loop, &st->settle);
	if (rc)
		goto out_uv;
	st->settle.data = st;
	st->settle_open = true;
	st->refs++;
	rc = uv_poll_start(&st->poll, UV_READABLE, poll_cb);
	if (rc)
		goto out_uv;
	if (st->cfg.rescan_interval_ns > 0) {
		uint64_t ms = (uint64_t)(st->cfg.rescan_interval_ns /
					 1000000);

		rc = uv_timer_init(src->loop, &st->rescan_timer);
		if (rc)
			goto out_uv;
		st->rescan_timer.data = st;
		st->rescan_open = true;
		st->refs++;
		rc = uv_timer_start(&st->rescan_timer, on_rescan_timer,
				    ms ? ms : 1, ms ? ms : 1);
		if (rc)
			goto out_uv;
	}
	vigil_source_set_state(src, st->rung == FAN_RUNG_DFID_NAME ?
			       VIGIL_SOURCE_RUNNING : VIGIL_SOURCE_DEGRADED,
			       rung_name(st->rung), "%s", why);
	return 0;
out_uv:
	vigil_source_set_state(src, VIGIL_SOURCE_FAILED, rung_name(st->rung),
			       "libuv: %s", uv_strerror(rc));
	return rc;
}

static void fan_stop(struct vigil_source *src)
{
	struct fan_state *st = src->priv;

	if (!st)
		return;
	src->priv = NULL;
	/* Halves still waiting are deletions we can still report, and
	 * settling events go now, while the pipeline still takes them. */
	expire_moves(st, INT64_MAX);
	for (struct fan_pending *p = st->head; p; p = p->next)
		p->settle_ns = 0;
	fifo_drain(st);
	st->stopping = true;
	st->rescan_stop = 1;
	if (st->poll_open)
		uv_close((uv_handle_t *)&st->poll, handle_closed);
	if (st->rescan_open)
		uv_close((uv_handle_t *)&st->rescan_timer, handle_closed);
	if (st->timer_open)
		uv_close((uv_handle_t *)&st->timer, handle_closed);
	if (st->settle_open)
		uv_close((uv_handle_t *)&st->settle, handle_closed);
	src->state = VIGIL_SOURCE_STOPPED;
	/* Queued hashes finish on the pool and drop their reference. */
	fan_unref(st);
}

static int fan_status_json(struct vigil_source *src, struct vigil_buf *out)
{
	struct fan_state *st = src->priv;

	if (!st)
		return 0;
	return vigil_buf_printf(out,
		"\"rung\":\"%s\",\"marks\":\"%s\",\"marks_count\":%llu,"
		"\"target_fid\":%s,\"overflows\":%llu,\"cache_entries\":%zu,"
		"\"hashing\":%zu,\"unresolved\":%llu,"
		"\"rescans\":%llu,\"rescan_changes\":%llu",
		rung_name(st->rung),
		st->rung == FAN_RUNG_MOUNT ? "mount" :
		st->fs_marks ? "filesystem" : "inode",
		(unsigned long long)st->marks,
		st->target_fid ? "true" : "false",
		(unsigned long long)st->overflows, st->cache.n, st->inflight,
		(unsigned long long)st->resolve_failures,
		(unsigned long long)st->rescans,
		(unsigned long long)st->rescan_changes);
}

void vigil_fim_source_set_procroot(struct vigil_source *src,
				   const char *procroot)
{
	struct fan_state *st = src->priv;

	if (st)
		st->procroot = procroot;
}

/* The check op: the fim section over the defaults, nothing opened. */
static int fim_check(const struct vigil_node *section, struct vigil_buf *err)
{
	struct vigil_fim_config cfg;
	int rc;

	rc = vigil_fim_config_defaults(&cfg);
	if (!rc)
		rc = vigil_fim_config_parse(&cfg, section, err);
	vigil_fim_config_free(&cfg);
	return rc;
}

const struct vigil_source_ops vigil_fim_source_ops = {
	.name = "fanotify",
	.start = fan_start,
	.stop = fan_stop,
	.status_json = fan_status_json,
	.reload = NULL,
	.check = fim_check,
};
