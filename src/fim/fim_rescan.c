/*
 * fim_rescan.c - FIM tracking against the trees themselves: what a walk
 * of the disk says beside the per-path cache (see fim_track.h).
 *
 *  - at start, the cache is primed from the baseline and a stat walk;
 *  - after an overflow, a stat walk raises what the lost events hid;
 *  - every fim.rescan_interval, the same walk on the thread pool at idle
 *    I/O priority raises what the kernel could not report;
 *  - on the fid rung, where a directory event names only the directory,
 *    the directory is re-read and compared with the cache.
 *
 * Differences go through the tracker's event functions (fim_track.c), so
 * they are built, hashed and ordered like the kernel's own.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fim/fim.h"
#include "fim/fim_track.h"

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
	if (vigil_grow((void **)&l->v, &l->cap, l->n, sizeof(*l->v), 16))
		return;
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
static size_t raise_drift(struct vigil__fim_track *t,
			  const struct vigil_fim_baseline *now)
{
	struct gone_ctx g = { 0 };
	size_t changes = 0;

	g.now = now;
	visit_all(&t->cache, collect_gone, &g);
	for (size_t i = 0; i < g.gone.n; i++) {
		const char *path = g.gone.v[i];

		if (vigil_fim_config_watched(&t->cfg, path) &&
		    vigil_fim_cache_get(&t->cache, path)) {
			vigil__fim_track_delete(t, path, 0, false);
			changes++;
		}
	}
	path_list_free(&g.gone);
	for (size_t i = 0; i < now->n; i++) {
		const struct vigil_fim_record *r = &now->rec[i];
		struct vigil_fim_entry *e =
			vigil_fim_cache_get(&t->cache, r->path);
		unsigned d;

		if (!e || !(e->flags & VIGIL_FIM_E_KNOWN)) {
			vigil__fim_track_create(t, r->path, 0,
						S_ISDIR(r->attr.mode));
			changes++;
			continue;
		}
		d = vigil_fim_attr_diff(&e->attr, &r->attr);
		if (S_ISDIR(r->attr.mode))
			d &= ~(VIGIL_FIM_DIFF_SIZE | VIGIL_FIM_DIFF_MTIME);
		if (d & (VIGIL_FIM_DIFF_SIZE | VIGIL_FIM_DIFF_MTIME |
			 VIGIL_FIM_DIFF_INODE | VIGIL_FIM_DIFF_TYPE)) {
			e->flags &= ~VIGIL_FIM_E_DIRTY;
			vigil__fim_track_modified(t, r->path, 0, &r->attr);
			changes++;
		} else if (d) {
			vigil__fim_track_attrib(t, r->path, 0);
			changes++;
		}
	}
	return changes;
}

/*
 * The kernel dropped events: walk the trees (stat only, on the loop: the
 * watched trees are small) and raise what differs from the cache.
 */
void vigil__fim_track_recover(struct vigil__fim_track *t)
{
	struct vigil_fim_config cfg = t->cfg;
	struct vigil_fim_baseline now;

	if (!t->dirents)
		return; /* no create/delete to miss; writes: fim check */
	cfg.hash_max_size = -1;
	vigil_fim_baseline_init(&now);
	if (vigil_fim_rescan(&now, &cfg, 0, NULL) == 0)
		raise_drift(t, &now);
	vigil_fim_baseline_free(&now);
}

/* ---- periodic rescans (fim.rescan_interval) ---- */

struct rescan_job {
	uv_work_t req;
	struct vigil__fim_track *t;
	struct vigil_fim_config cfg; /* t->cfg's, stat only */
	struct vigil_fim_baseline now;
	int rc;
};

/* On the pool: the throttled walk at idle I/O priority. */
static void rescan_work(uv_work_t *req)
{
	struct rescan_job *j = req->data;

	j->rc = vigil_fim_rescan(&j->now, &j->cfg,
				 j->t->cfg.rescan_files_per_sec,
				 &j->t->rescan_stop);
}

/* Back on the loop: what the walk found against the cache. */
static void rescan_done(uv_work_t *req, int status)
{
	struct rescan_job *j = req->data;
	struct vigil__fim_track *t = j->t;

	t->rescanning = false;
	if (status == 0 && j->rc == 0 && !t->stopping) {
		t->rescans++;
		t->rescan_changes += raise_drift(t, &j->now);
	} else if (j->rc && j->rc != -ECANCELED && !t->stopping) {
		vigil_warn("fim: periodic rescan failed: %s",
			   strerror(-j->rc));
	}
	vigil_fim_baseline_free(&j->now);
	free(j);
	vigil__fim_track_unref(t);
}

/*
 * Every fim.rescan_interval: a walk of the trees on the thread pool, so
 * that what the kernel could not report (changes while marks were being
 * placed, filesystems mounted over a tree) is still raised.  Not on the
 * mount rung, where creates and deletes come from audit and `vigilctl fim
 * check` finds the rest.
 */
static void on_rescan_timer(uv_timer_t *h)
{
	struct vigil__fim_track *t = h->data;
	struct rescan_job *j;

	if (t->rescanning || t->stopping || !t->dirents)
		return;
	j = calloc(1, sizeof(*j));
	if (!j)
		return;
	j->req.data = j;
	j->t = t;
	j->cfg = t->cfg;
	j->cfg.hash_max_size = -1;
	vigil_fim_baseline_init(&j->now);
	t->refs++;
	t->rescanning = true;
	if (uv_queue_work(t->src->loop, &j->req, rescan_work, rescan_done)) {
		t->rescanning = false;
		free(j);
		t->refs--;
	}
}

/* ---- the fid rung: compare a directory with the cache ---- */

struct scan_ctx {
	struct vigil__fim_track *t;
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
void vigil__fim_track_dir_changed(struct vigil__fim_track *t, const char *dir,
				  int32_t pid, bool moved_from)
{
	struct scan_ctx c = { .t = t, .dir = dir };
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	vigil_fim_cache_children(&t->cache, dir, scan_check_child, &c);
	for (size_t i = 0; i < c.gone.n; i++) {
		const char *gone = c.gone.v[i];
		struct vigil_fim_entry *e = vigil_fim_cache_get(&t->cache,
								gone);

		if (e && moved_from)
			vigil__fim_track_moved_from(t, &e->attr.ino,
						    sizeof(e->attr.ino), gone,
						    pid, S_ISDIR(e->attr.mode));
		else
			vigil__fim_track_delete(t, gone, pid, false);
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
		if (vigil__fim_join_path(path, sizeof(path), dir, de->d_name,
					 strlen(de->d_name)))
			continue;
		if (lstat(path, &sb) < 0)
			continue;
		e = vigil_fim_cache_get(&t->cache, path);
		if (e && (e->flags & VIGIL_FIM_E_KNOWN) &&
		    e->attr.ino == sb.st_ino)
			continue;
		ino = sb.st_ino;
		if (vigil_fim_config_excluded(&t->cfg, path))
			continue;
		vigil__fim_track_moved_to(t, &ino, sizeof(ino), path, pid,
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
void vigil__fim_track_catch_up(struct vigil__fim_track *t, const char *path,
			       int32_t pid)
{
	struct vigil_fim_entry *e = vigil_fim_cache_get(&t->cache, path);
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
	vigil__fim_track_dir_changed(t, dir, pid, true);
}

/* Fills the cache with the current state of the trees (and the hashes the
 * baseline has for files that did not change since). */
size_t vigil__fim_track_prime(struct vigil__fim_track *t)
{
	size_t dirs = 0;
	struct vigil_fim_baseline b;
	struct vigil_buf err = { 0 };
	char path[PATH_MAX];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", t->cfg.state_dir,
		 VIGIL_FIM_BASELINE_NAME);
	vigil_fim_baseline_init(&b);
	rc = vigil_fim_baseline_load(&b, path, &err);
	if (rc && rc != -ENOENT)
		vigil_warn("fanotify: %s", vigil_buf_cstr(&err));
	vigil_buf_free(&err);
	if (rc == 0) {
		for (size_t i = 0; i < b.n; i++) {
			struct vigil_fim_entry *e;

			if (!vigil_fim_config_watched(&t->cfg, b.rec[i].path))
				continue;
			e = vigil_fim_cache_put(&t->cache, b.rec[i].path);
			if (!e)
				break;
			e->attr = b.rec[i].attr;
			e->flags |= VIGIL_FIM_E_KNOWN;
		}
	}
	vigil_fim_baseline_free(&b);
	/* Now the live state: stat only, hashes kept where unchanged. */
	vigil_fim_baseline_init(&b);
	for (size_t i = 0; i < t->cfg.n_paths; i++) {
		struct vigil_fim_config one = t->cfg;

		one.paths = &t->cfg.paths[i];
		one.n_paths = 1;
		one.hash_max_size = -1; /* stat only */
		(void)vigil_fim_rescan(&b, &one, 0, NULL);
	}
	for (size_t i = 0; i < b.n; i++) {
		struct vigil_fim_entry *e = vigil_fim_cache_get(&t->cache,
								b.rec[i].path);
		bool same = e && (e->flags & VIGIL_FIM_E_KNOWN) &&
			    !(vigil_fim_attr_diff(&e->attr, &b.rec[i].attr) &
			      ~VIGIL_FIM_DIFF_HASH);

		if (S_ISDIR(b.rec[i].attr.mode))
			dirs++;
		if (same)
			continue;
		if (!e)
			e = vigil_fim_cache_put(&t->cache, b.rec[i].path);
		if (!e)
			break;
		e->attr = b.rec[i].attr;
		e->attr.has_hash = false;
		e->flags |= VIGIL_FIM_E_KNOWN;
	}
	vigil_fim_baseline_free(&b);
	return dirs;
}

static void rescan_timer_closed(uv_handle_t *h)
{
	vigil__fim_track_unref(h->data);
}

int vigil__fim_rescan_timer_open(struct vigil__fim_track *t)
{
	uint64_t ms = (uint64_t)(t->cfg.rescan_interval_ns / 1000000);
	int rc;

	rc = uv_timer_init(t->src->loop, &t->rescan_timer);
	if (rc)
		return rc;
	t->rescan_timer.data = t;
	t->rescan_open = true;
	t->refs++;
	return uv_timer_start(&t->rescan_timer, on_rescan_timer, ms ? ms : 1,
			      ms ? ms : 1);
}

void vigil__fim_rescan_timer_close(struct vigil__fim_track *t)
{
	if (t->rescan_open)
		uv_close((uv_handle_t *)&t->rescan_timer, rescan_timer_closed);
}
