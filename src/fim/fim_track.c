/*
 * fim_track.c - FIM tracking: what the fanotify adapter's events mean
 * (see fim_track.h).
 *
 * Every event goes through a FIFO: regular files are hashed on the libuv
 * thread pool, and the FIFO hands events to the pipeline in arrival order
 * once their hash is done, so events of one path never overtake each other.
 * FAN_MODIFY is coalesced: one MODIFY event per FAN_CLOSE_WRITE.  After an
 * overflow, and every fim.rescan_interval, a stat walk of the trees is
 * compared with the per-path cache and the differences are raised.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fim/fim.h"
#include "fim/fim_track.h"
#include "source.h"

#define FIM_PROC_CACHE_NS 1000000000LL
#define FIM_EVENT_ARENA 4096
#define FIM_FREE_MAX 256 /* pending events kept for reuse */
/* An event whose process was gone before we read /proc waits this long
 * before it goes on: the exec that started the process is in the audit
 * socket already, and once the pipeline has it the process table names
 * the program (a short ln or rm would otherwise show its parent's). */
#define FIM_SETTLE_NS (100 * 1000000LL)

/* One event on its way to the pipeline (FIFO node; reused). */
struct vigil__fim_pending {
	struct vigil__fim_pending *next;
	struct vigil__fim_track *t;
	struct vigil_event ev;
	struct vigil_arena arena;
	uv_work_t work;
	const char *hash_path; /* in arena; NULL: nothing to hash */
	const char *hash_root; /* its watched tree (in the config) */
	const char *cache_path; /* the path whose cache hash this updates */
	int64_t hash_max;
	int hash_rc;
	bool done;
	int64_t settle_ns; /* monotonic: not delivered before; 0 none */
	bool set_prev; /* fill prev_hash from the cache at delivery */
	char sha[VIGIL_FIM_SHA256_HEX + 1];
};

/* ---- the FIFO ---- */

static struct vigil__fim_pending *pending_get(struct vigil__fim_track *t)
{
	struct vigil__fim_pending *p = t->free_list;

	if (p) {
		t->free_list = p->next;
		t->n_free--;
		vigil_arena_reset(&p->arena);
	} else {
		p = calloc(1, sizeof(*p));
		if (!p)
			return NULL;
		vigil_arena_init(&p->arena, FIM_EVENT_ARENA);
	}
	p->next = NULL;
	p->t = t;
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

/* Back to the free list; beyond FIM_FREE_MAX (after a burst) the memory
 * goes back to the system. */
static void pending_release(struct vigil__fim_track *t,
			    struct vigil__fim_pending *p)
{
	if (t->n_free >= FIM_FREE_MAX) {
		vigil_arena_free(&p->arena);
		free(p);
		return;
	}
	p->next = t->free_list;
	t->free_list = p;
	t->n_free++;
}

static void pending_free_list(struct vigil__fim_track *t)
{
	struct vigil__fim_pending *p, *next;

	for (p = t->free_list; p; p = next) {
		next = p->next;
		vigil_arena_free(&p->arena);
		free(p);
	}
	t->free_list = NULL;
	t->n_free = 0;
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
static void pending_finish_hash(struct vigil__fim_track *t,
				struct vigil__fim_pending *p)
{
	struct vigil_file *f = &p->ev.u.file.file;
	struct vigil_fim_entry *e = NULL;

	if (p->cache_path)
		e = vigil_fim_cache_get(&t->cache, p->cache_path);
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

static void fifo_drain(struct vigil__fim_track *t);

static void settle_cb(uv_timer_t *h)
{
	struct vigil__fim_track *t = h->data;

	t->settle_running = false;
	fifo_drain(t);
}

/*
 * Whether p may go on now: it has settled, or we are stopping.  Else
 * arms the settle timer for what is left (the FIFO waits behind p: the
 * events of one path keep their order).
 */
static bool settled(struct vigil__fim_track *t, struct vigil__fim_pending *p)
{
	int64_t left;

	if (!p->settle_ns || t->stopping)
		return true;
	left = p->settle_ns - vigil_monotonic_ns();
	if (left <= 0)
		return true;
	if (t->settle_open && !t->settle_running) {
		uv_timer_start(&t->settle, settle_cb,
			       (uint64_t)(left / 1000000) + 1, 0);
		t->settle_running = true;
	}
	return false;
}

/* Hands every finished event at the head of the FIFO to the pipeline. */
static void fifo_drain(struct vigil__fim_track *t)
{
	struct vigil__fim_pending *p;

	while ((p = t->head) && p->done && settled(t, p)) {
		t->head = p->next;
		if (!t->head)
			t->tail = NULL;
		if (p->hash_path)
			pending_finish_hash(t, p);
		if (!t->stopping &&
		    vigil_pipeline_submit(t->src->pipeline, &p->ev) == 0)
			t->src->events_out++;
		pending_release(t, p);
	}
}

static void hash_work(uv_work_t *w)
{
	struct vigil__fim_pending *p = w->data;

	p->hash_rc = vigil_fim_hash_file(p->hash_root, p->hash_path,
					 p->hash_max, p->sha, NULL);
}

static void hash_done(uv_work_t *w, int status)
{
	struct vigil__fim_pending *p = w->data;
	struct vigil__fim_track *t = p->t;

	if (status)
		p->hash_rc = status;
	p->done = true;
	t->inflight--;
	fifo_drain(t);
	vigil__fim_track_unref(t);
}

/* Queues p; hashes hash_path first when set.  An event whose process
 * was gone when we read /proc settles first (FIM_SETTLE_NS). */
static void pending_queue(struct vigil__fim_track *t,
			  struct vigil__fim_pending *p)
{
	if (p->ev.type != VIGIL_EV_AGENT && p->ev.process.pid > 0 &&
	    !p->ev.process.file.path.len)
		p->settle_ns = vigil_monotonic_ns() + FIM_SETTLE_NS;
	if (t->tail)
		t->tail->next = p;
	else
		t->head = p;
	t->tail = p;
	if (p->hash_path) {
		p->work.data = p;
		p->hash_max = t->cfg.hash_max_size;
		if (uv_queue_work(t->src->loop, &p->work, hash_work,
				  hash_done) == 0) {
			t->inflight++;
			t->refs++;
			return;
		}
		p->hash_rc = -EAGAIN;
	}
	p->done = true;
	fifo_drain(t);
}

/* ---- building events ---- */

/* Fills the acting process (cached for the last pid for a second). */
static int fill_process(struct vigil__fim_track *t,
			struct vigil__fim_pending *p, int32_t pid)
{
	struct vigil__fim_proc_cache *pc = &t->pc;
	struct vigil_process *dst = &p->ev.process;
	int64_t now = vigil_monotonic_ns();
	struct vigil_str *strs[] = { &dst->comm, &dst->file.path };

	if (pid <= 0) {
		dst->pid = pid;
		return 0;
	}
	if (pc->pid != pid || now - pc->at_ns > FIM_PROC_CACHE_NS) {
		vigil_arena_reset(&pc->arena);
		vigil_process_clear(&pc->proc);
		pc->rc = vigil_fim_proc_fill(&pc->proc, &pc->arena,
					     &t->procfs, pid);
		pc->pkg = pc->rc ? NULL :
			vigil_fim_package_manager(&t->procfs, pid);
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
static struct vigil__fim_pending *event_new(struct vigil__fim_track *t,
					    uint32_t type, const char *path,
					    int32_t pid,
					    const struct vigil_fim_attr *now,
					    const struct vigil_fim_attr *old)
{
	struct vigil__fim_pending *p = pending_get(t);
	struct vigil_file *f;

	if (!p)
		goto out_drop;
	p->ev.type = type;
	f = &p->ev.u.file.file;
	if (vigil_arena_str(&p->arena, &f->path, path, strlen(path)) ||
	    fill_process(t, p, pid))
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
	pending_release(t, p);
out_drop:
	t->src->drops++;
	return NULL;
}

/* Asks for the SHA-256 of path (a regular file under the limit). */
static void event_want_hash(struct vigil__fim_track *t,
			    struct vigil__fim_pending *p, const char *path,
			    const struct vigil_fim_attr *now, bool set_prev)
{
	struct vigil_str s;

	if (!now || !S_ISREG(now->mode))
		return;
	if (t->cfg.hash_max_size > 0 && now->size > t->cfg.hash_max_size) {
		p->ev.u.file.file.flags |= VIGIL_FILE_HASH_SKIPPED;
		return;
	}
	if (vigil_arena_str(&p->arena, &s, path, strlen(path)))
		return;
	p->hash_path = s.ptr;
	p->hash_root = vigil_fim_config_root(&t->cfg, path);
	p->cache_path = s.ptr;
	p->set_prev = set_prev;
}

/*
 * When path (just created, or renamed to) is a symbolic link, sets the
 * event's file.link_target to what it points to: ln -sf makes the link
 * under a temporary name and renames it into place.  Returns 0 or
 * -ENOMEM (a link already gone or replaced leaves the target empty).
 */
static int event_link_target(struct vigil__fim_pending *p, const char *path,
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
static struct vigil_fim_entry *cache_store(struct vigil__fim_track *t,
					   const char *path,
					   const struct vigil_fim_attr *now,
					   bool content_changed)
{
	struct vigil_fim_entry *e = vigil_fim_cache_put(&t->cache, path);
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

void vigil__fim_track_overflow(struct vigil__fim_track *t)
{
	struct vigil__fim_pending *p;

	t->overflows++;
	t->src->lost++;
	p = pending_get(t);
	if (!p) {
		t->src->drops++;
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
	pending_queue(t, p);
	vigil__fim_track_recover(t);
}

/* CREATE / MKDIR of path; a new directory is marked and scanned when we
 * use inode marks. */
void vigil__fim_track_create(struct vigil__fim_track *t, const char *path,
			     int32_t pid, bool is_dir)
{
	struct vigil_fim_entry *e = vigil_fim_cache_get(&t->cache, path);
	struct vigil_fim_attr now, replaced;
	bool have_replaced = e && (e->flags & VIGIL_FIM_E_KNOWN);
	struct vigil__fim_pending *p;

	/* On the fid rung an atomic replace (rename over the path) shows
	 * as a new inode under a known name: keep what it replaced. */
	if (have_replaced)
		replaced = e->attr;
	if (lstat_attr(path, &now) < 0)
		memset(&now, 0, sizeof(now)); /* gone already: report bare */
	else
		cache_store(t, path, &now, true);
	if (now.mode)
		is_dir = S_ISDIR(now.mode);
	p = event_new(t, is_dir ? VIGIL_EV_MKDIR : VIGIL_EV_CREATE, path,
		      pid, now.mode ? &now : NULL,
		      have_replaced ? &replaced : NULL);
	if (!p)
		return;
	if (event_link_target(p, path, now.mode ? &now : NULL)) {
		pending_release(t, p);
		t->src->drops++;
		return;
	}
	event_want_hash(t, p, path, &now, false);
	pending_queue(t, p);
	if (is_dir)
		t->hooks->dir_appeared(t, path, pid, false);
}

void vigil__fim_track_delete(struct vigil__fim_track *t, const char *path,
			     int32_t pid, bool is_dir)
{
	struct vigil_fim_entry *e = vigil_fim_cache_get(&t->cache, path);
	struct vigil_fim_attr old;
	struct vigil__fim_pending *p;
	bool known = e && (e->flags & VIGIL_FIM_E_KNOWN);

	if (known) {
		old = e->attr;
		is_dir = S_ISDIR(old.mode);
	}
	p = event_new(t, is_dir ? VIGIL_EV_RMDIR : VIGIL_EV_UNLINK, path,
		      pid, NULL, known ? &old : NULL);
	if (is_dir) {
		vigil_fim_cache_del_tree(&t->cache, path);
		t->hooks->dir_gone(t, path);
	} else {
		vigil_fim_cache_del(&t->cache, path);
	}
	if (p)
		pending_queue(t, p);
}

/* A rename of from to to (either may be outside the trees). */
void vigil__fim_track_rename(struct vigil__fim_track *t, const char *from,
			     const char *to, int32_t pid, bool is_dir)
{
	struct vigil_fim_entry *src = vigil_fim_cache_get(&t->cache, from);
	struct vigil_fim_entry *dst = vigil_fim_cache_get(&t->cache, to);
	struct vigil_fim_attr now, old, replaced;
	bool have_old = src && (src->flags & VIGIL_FIM_E_KNOWN);
	bool have_replaced = dst && (dst->flags & VIGIL_FIM_E_KNOWN) &&
			     dst->attr.has_hash;
	struct vigil__fim_pending *p;
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
	p = event_new(t, VIGIL_EV_RENAME, from, pid, now.mode ? &now : NULL,
		      have_replaced ? &replaced : have_old ? &old : NULL);
	(void)vigil_fim_cache_rename(&t->cache, from, to);
	if (is_dir)
		t->hooks->dir_gone(t, from);
	if (now.mode)
		cache_store(t, to, &now, false);
	if (!p)
		return;
	d = &p->ev.u.file.destination;
	if (vigil_arena_str(&p->arena, &d->path, to, strlen(to)) ||
	    event_link_target(p, to, now.mode ? &now : NULL)) {
		pending_release(t, p);
		t->src->drops++;
		return;
	}
	if (now.mode)
		file_from_attr(d, &now);
	event_want_hash(t, p, to, now.mode ? &now : NULL, false);
	pending_queue(t, p);
	/* A directory moved in from outside brings files we never saw:
	 * mark it and raise them as creates (moves inside the trees are
	 * in the cache already and raise nothing). */
	if (is_dir && vigil_fim_config_watched(&t->cfg, to))
		t->hooks->dir_appeared(t, to, pid, true);
}

/* FAN_ATTRIB: compare with what we knew and raise chmod/chown/utimes. */
void vigil__fim_track_attrib(struct vigil__fim_track *t, const char *path,
			     int32_t pid)
{
	static const uint32_t order[] = {
		VIGIL_EV_CHMOD, VIGIL_EV_CHOWN, VIGIL_EV_UTIMES,
	};
	struct vigil_fim_entry *e = vigil_fim_cache_get(&t->cache, path);
	struct vigil_fim_attr now, old;
	uint64_t types;

	if (lstat_attr(path, &now) < 0)
		return;
	if (!e || !(e->flags & VIGIL_FIM_E_KNOWN)) {
		/* Nothing to compare with (cache full or a race with the
		 * start scan): remember it for next time. */
		cache_store(t, path, &now, false);
		vigil_debug("fanotify: attrib on %s, no earlier state", path);
		return;
	}
	old = e->attr;
	/* A write changes mtime too: while the file is being written the
	 * mtime change belongs to the coming MODIFY, not to utimes. */
	types = vigil_fim_attrib_events(vigil_fim_attr_diff(&old, &now));
	if ((e->flags & VIGIL_FIM_E_DIRTY) || old.size != now.size)
		types &= ~VIGIL_EVBIT(VIGIL_EV_UTIMES);
	cache_store(t, path, &now, false);
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(order); i++) {
		struct vigil__fim_pending *p;

		if (!(types & VIGIL_EVBIT(order[i])))
			continue;
		p = event_new(t, order[i], path, pid, &now, &old);
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
		pending_queue(t, p);
	}
}

void vigil__fim_track_modify(struct vigil__fim_track *t, const char *path,
			     int32_t pid)
{
	vigil_fim_note_modify(&t->cache, path, pid);
}

/* FAN_CLOSE_WRITE: one MODIFY event if the file was written. */
void vigil__fim_track_close_write(struct vigil__fim_track *t, const char *path,
				  int32_t pid, int fd)
{
	struct vigil_fim_attr now;
	struct stat sb;
	int32_t writer = pid;

	if (!vigil_fim_close_write(&t->cache, path, &writer))
		return;
	if (fd >= 0 ? fstat(fd, &sb) < 0 : lstat(path, &sb) < 0)
		return;
	vigil_fim_attr_from_stat(&now, &sb);
	vigil__fim_track_modified(t, path, writer, &now);
}

/* A MODIFY of path by writer, now its attributes; hashed, with the hash
 * before taken from the cache at delivery. */
void vigil__fim_track_modified(struct vigil__fim_track *t, const char *path,
			       int32_t writer,
			       const struct vigil_fim_attr *nowp)
{
	struct vigil_fim_attr now = *nowp, old;
	struct vigil_fim_entry *e;
	struct vigil__fim_pending *p;
	bool have_old;

	e = vigil_fim_cache_get(&t->cache, path);
	have_old = e && (e->flags & VIGIL_FIM_E_KNOWN);
	if (have_old)
		old = e->attr;
	e = cache_store(t, path, &now, true);
	/* Keep the hash we knew: delivery reads it as the hash before and
	 * replaces it with the new one, in order. */
	if (e && have_old && old.has_hash) {
		memcpy(e->attr.sha256, old.sha256, sizeof(old.sha256));
		e->attr.has_hash = true;
	}
	p = event_new(t, VIGIL_EV_MODIFY, path, writer, &now,
		      have_old ? &old : NULL);
	if (!p)
		return;
	/* prev_hash comes from the cache at delivery (ordered). */
	p->ev.u.file.file.prev_hash.len = 0;
	event_want_hash(t, p, path, &now, true);
	pending_queue(t, p);
}

/* ---- helpers ---- */

int vigil__fim_join_path(char *out, size_t size, const char *dir,
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

/* ---- life ---- */

void vigil__fim_track_init(struct vigil__fim_track *t, struct vigil_source *src,
			   const struct vigil__fim_track_hooks *hooks)
{
	t->src = src;
	t->hooks = hooks;
	t->refs = 1;
	t->procfs.root_fd = -1;
	vigil__fim_track_set_procroot(t, "/proc");
	vigil_arena_init(&t->pc.arena, FIM_EVENT_ARENA);
	vigil_fim_renames_init(&t->renames);
}

void vigil__fim_track_set_procroot(struct vigil__fim_track *t,
				   const char *procroot)
{
	int rc;

	vigil_procfs_close(&t->procfs);
	t->procroot = procroot;
	t->pc.pid = 0; /* what the cache holds came from the old root */
	rc = vigil_procfs_open(&t->procfs, procroot);
	if (rc) {
		/* Events then carry the pid alone. */
		vigil_warn("fim: cannot read %s: %s", procroot, strerror(-rc));
		t->procfs.root_fd = -1;
	}
}

static void track_handle_closed(uv_handle_t *h)
{
	vigil__fim_track_unref(h->data);
}

int vigil__fim_track_start(struct vigil__fim_track *t)
{
	uv_loop_t *loop = t->src->loop;
	int rc;

	rc = vigil__fim_rename_timer_open(t);
	if (rc)
		return rc;
	rc = uv_timer_init(loop, &t->settle);
	if (rc)
		return rc;
	t->settle.data = t;
	t->settle_open = true;
	t->refs++;
	if (t->cfg.rescan_interval_ns > 0)
		return vigil__fim_rescan_timer_open(t);
	return 0;
}

void vigil__fim_track_stop(struct vigil__fim_track *t)
{
	/* Halves still waiting are deletions we can still report, and
	 * settling events go now, while the pipeline still takes them. */
	vigil__fim_track_expire_moves(t, INT64_MAX);
	for (struct vigil__fim_pending *p = t->head; p; p = p->next)
		p->settle_ns = 0;
	fifo_drain(t);
	t->stopping = true;
	t->rescan_stop = 1;
	vigil__fim_rescan_timer_close(t);
	vigil__fim_rename_timer_close(t);
	if (t->settle_open)
		uv_close((uv_handle_t *)&t->settle, track_handle_closed);
}

void vigil__fim_track_unref(struct vigil__fim_track *t)
{
	if (--t->refs == 0)
		t->hooks->release(t);
}

void vigil__fim_track_free(struct vigil__fim_track *t)
{
	struct vigil__fim_pending *p, *next;

	/* Events still queued but never delivered (stop while hashing). */
	for (p = t->head; p; p = next) {
		next = p->next;
		vigil_arena_free(&p->arena);
		free(p);
	}
	t->head = t->tail = NULL;
	pending_free_list(t);
	vigil_fim_cache_free(&t->cache);
	vigil_fim_renames_free(&t->renames);
	vigil_fim_config_free(&t->cfg);
	vigil_arena_free(&t->pc.arena);
	vigil_procfs_close(&t->procfs);
}
