/*
 * fanotify.c - the file integrity source's kernel adapter: fanotify on the
 * watched trees.
 *
 * The richest mode the kernel offers is probed at start; each lower rung
 * can be forced through the feature mask:
 *
 *  dfid_name  FAN_REPORT_DFID_NAME (+FAN_REPORT_FID / TARGET_FID where the
 *             kernel takes them), filesystem marks (or inode marks on every
 *             watched directory).  Create, delete, move, attrib, modify and
 *             close_write, with the parent directory's handle and the name.
 *  fid        FAN_REPORT_FID (5.1) with inode marks.  Directory events name
 *             only the directory: the tracker re-reads it and compares it
 *             with the per-path cache to find what was created, removed or
 *             renamed.
 *  mount      mount marks with FAN_MODIFY | FAN_CLOSE_WRITE; the event
 *             carries an fd whose /proc/self/fd link is the path.
 *
 * This file places the marks, reads the queue (uv_poll), resolves file
 * handles to paths, notices overflows and hands "path, what happened, who"
 * to the tracker (fim_track.c), which gives the events their meaning.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
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
#include "source_status.h"
#include "fim/fanotify.h"
#include "fim/fanotify_parse.h"
#include "fim/fim_track.h"

#define FAN_READ_BUF (64 * 1024)
#define FAN_READS_PER_WAKEUP 16
#define FAN_DIRMAP_BUCKETS 4096u
#define FAN_DIRMAP_MAX 65536u
/* marks: auto takes inode marks up to this many directories, a
 * filesystem mark beyond (one mark, but every event of the filesystem
 * reaches us and must be filtered). */
#define FAN_AUTO_INODE_MARKS_MAX 8192u

enum fan_rung {
	FAN_RUNG_DFID_NAME = 1,
	FAN_RUNG_FID,
	FAN_RUNG_MOUNT,
};

/* Events we ask for on the directory-entry rungs. */
#define FAN_FIM_DIRENT (FAN_CREATE | FAN_DELETE | FAN_MOVED_FROM | FAN_MOVED_TO)
#define FAN_FIM_MASK (FAN_FIM_DIRENT | FAN_ATTRIB | FAN_MODIFY | \
		      FAN_CLOSE_WRITE | FAN_ONDIR)

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

/*
 * The source's state: the tracker (first member: its hooks get back to
 * us) and what the kernel side needs.  Freed when the tracker's last
 * reference goes (the poll handle holds one).
 */
struct fan_state {
	struct vigil__fim_track t;
	struct vigil_source *src;
	int rung;
	bool fs_marks;
	bool target_fid;
	unsigned init_flags;
	int fd;
	uv_poll_t poll;
	bool poll_open;
	struct fan_mount *mounts;
	size_t n_mounts;
	struct fan_dir **dirs;
	size_t n_dirs;
	uint64_t marks;
	uint64_t resolve_failures;
	size_t tree_dirs; /* directories in the trees at start */
	unsigned char *rbuf;
};

static struct fan_state *fan_of(struct vigil__fim_track *t)
{
	return (struct fan_state *)((char *)t -
				    offsetof(struct fan_state, t));
}

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

/*
 * The content and metadata changes of fe on the file at path (watched),
 * the part both the dfid_name and the fid rung pass to the tracker.
 */
static void track_content(struct fan_state *st, const char *path,
			  const struct vigil_fan_event *fe)
{
	if (fe->mask & FAN_MODIFY)
		vigil__fim_track_modify(&st->t, path, fe->pid);
	if (fe->mask & FAN_ATTRIB)
		vigil__fim_track_attrib(&st->t, path, fe->pid);
	if (fe->mask & FAN_CLOSE_WRITE)
		vigil__fim_track_close_write(&st->t, path, fe->pid, -1);
}

/* ---- the dfid_name rung ---- */
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
			rc = vigil__fim_join_path(path, sizeof(path), dir,
						  fe->dfid.name,
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
		vigil__fim_track_moved_from(&st->t, key, key_len, path, fe->pid,
					    is_dir);
	if (fe->mask & FAN_MOVED_TO)
		vigil__fim_track_moved_to(&st->t, key, key_len, path, fe->pid,
					  is_dir);
	watched = vigil_fim_config_watched(&st->t.cfg, path);
	if (!watched)
		return;
	if (fe->mask & FAN_CREATE)
		vigil__fim_track_create(&st->t, path, fe->pid, is_dir);
	track_content(st, path, fe);
	if (fe->mask & FAN_DELETE)
		vigil__fim_track_delete(&st->t, path, fe->pid, is_dir);
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
		vigil__fim_track_dir_changed(&st->t, path, fe->pid,
					     fe->mask & FAN_MOVED_FROM);
		vigil__fim_track_expire_moves(
			&st->t,
			vigil_monotonic_ns() - VIGIL__FIM_RENAME_WAIT_NS);
	}
	if (!vigil_fim_config_watched(&st->t.cfg, path))
		return;
	if (!(fe->mask & FAN_FIM_DIRENT))
		vigil__fim_track_catch_up(&st->t, path, fe->pid);
	track_content(st, path, fe);
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
		if (vigil_fim_config_watched(&st->t.cfg, path)) {
			if (fe->mask & FAN_MODIFY)
				vigil__fim_track_modify(&st->t, path, fe->pid);
			if (fe->mask & FAN_CLOSE_WRITE)
				vigil__fim_track_close_write(&st->t, path,
							     fe->pid, fe->fd);
		}
	}
	close(fe->fd);
}

static void handle_event(struct fan_state *st, const struct vigil_fan_event *fe)
{
	st->src->events_in++;
	if (fe->mask & FAN_Q_OVERFLOW) {
		vigil__fim_track_overflow(&st->t);
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

	if (vigil_fim_config_excluded(&st->t.cfg, root))
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
		struct stat sb;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (vigil__fim_join_path(path, sizeof(path), root, de->d_name,
					 strlen(de->d_name)) ||
		    vigil_fim_config_excluded(&st->t.cfg, path) ||
		    lstat(path, &sb) < 0)
			continue;
		if (scan && !vigil_fim_cache_get(&st->t.cache, path))
			vigil__fim_track_create(&st->t, path, actor,
						S_ISDIR(sb.st_mode));
		else if (S_ISDIR(sb.st_mode))
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
		       (st->t.cfg.marks == VIGIL_FIM_MARKS_FILESYSTEM ||
			(st->t.cfg.marks == VIGIL_FIM_MARKS_AUTO &&
			 st->tree_dirs > FAN_AUTO_INODE_MARKS_MAX));
	size_t placed = 0;
	int rc = 0;

	for (size_t i = 0; i < st->t.cfg.n_paths; i++) {
		const char *p = st->t.cfg.paths[i];
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
	if (st->fs_marks && placed < st->t.cfg.n_paths)
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
	vigil__fim_track_free(&st->t);
	for (size_t i = 0; i < st->n_mounts; i++)
		close(st->mounts[i].fd);
	free(st->mounts);
	dirmap_free(st);
	if (st->fd >= 0)
		close(st->fd);
	free(st->rbuf);
	free(st);
}

/* The tracker's hooks. */

static void fan_release(struct vigil__fim_track *t)
{
	fan_free(fan_of(t));
}

/* A directory made in the trees needs its own mark with inode marks (and
 * a scan for what appeared before the mark); one moved in from elsewhere
 * brings files we never saw: mark it and raise them as creates (moves
 * inside the trees are in the cache already and raise nothing).  The
 * mount rung has neither. */
static void fan_dir_appeared(struct vigil__fim_track *t, const char *path,
			     int32_t pid, bool moved_in)
{
	struct fan_state *st = fan_of(t);

	if (st->rung == FAN_RUNG_MOUNT || (!moved_in && st->fs_marks))
		return;
	(void)mark_tree(st, path, true, pid);
}

static void fan_dir_gone(struct vigil__fim_track *t, const char *path)
{
	dirmap_forget(fan_of(t), path);
}

static const struct vigil__fim_track_hooks fan_hooks = {
	.dir_appeared = fan_dir_appeared,
	.dir_gone = fan_dir_gone,
	.release = fan_release,
};

static void handle_closed(uv_handle_t *h)
{
	struct fan_state *st = h->data;

	vigil__fim_track_unref(&st->t);
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
	vigil__fim_track_init(&st->t, src, &fan_hooks);
	src->priv = st;
	rc = vigil_fim_config_defaults(&st->t.cfg);
	if (rc == 0)
		rc = vigil_fim_config_parse(&st->t.cfg, src->config, &err);
	if (rc) {
		vigil_source_set_state(src, VIGIL_SOURCE_FAILED, "none",
				       "configuration: %s",
				       err.len ? vigil_buf_cstr(&err) :
				       strerror(-rc));
		vigil_buf_free(&err);
		return rc;
	}
	vigil_fim_cache_init(&st->t.cache, st->t.cfg.cache_max);
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
	st->t.dirents = st->rung != FAN_RUNG_MOUNT;
	st->tree_dirs = vigil__fim_track_prime(&st->t);
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
	st->t.refs++;
	rc = vigil__fim_track_start(&st->t);
	if (rc)
		goto out_uv;
	rc = uv_poll_start(&st->poll, UV_READABLE, poll_cb);
	if (rc)
		goto out_uv;
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
	struct fan_state *st = vigil_source_take_priv(src);

	if (!st)
		return;
	vigil__fim_track_stop(&st->t);
	if (st->poll_open)
		uv_close((uv_handle_t *)&st->poll, handle_closed);
	src->state = VIGIL_SOURCE_STOPPED;
	/* Queued hashes finish on the pool and drop their reference. */
	vigil__fim_track_unref(&st->t);
}

/* What fan_status_json reports after the rung and the marks' kind, in
 * its order (source_status.h). */
#define FS struct fan_state
static const struct vigil_status_field fan_fields[] = {
	VIGIL_STATUS_U64("marks_count", FS, marks),
	VIGIL_STATUS_BOOL("target_fid", FS, target_fid),
	VIGIL_STATUS_U64("overflows", FS, t.overflows),
	VIGIL_STATUS_SIZE("cache_entries", FS, t.cache.n),
	VIGIL_STATUS_SIZE("hashing", FS, t.inflight),
	VIGIL_STATUS_U64("unresolved", FS, resolve_failures),
	VIGIL_STATUS_U64("rescans", FS, t.rescans),
	VIGIL_STATUS_U64("rescan_changes", FS, t.rescan_changes),
};
#undef FS

static int fan_status_json(struct vigil_source *src, struct vigil_buf *out)
{
	struct fan_state *st = src->priv;
	int rc;

	if (!st)
		return 0;
	rc = vigil_buf_printf(out, "\"rung\":\"%s\",\"marks\":\"%s\"",
			      rung_name(st->rung),
			      st->rung == FAN_RUNG_MOUNT ? "mount" :
			      st->fs_marks ? "filesystem" : "inode");
	return rc ? rc : vigil_status_fields(out, st, fan_fields,
					     VIGIL_ARRAY_SIZE(fan_fields));
}

void vigil_fim_source_set_procroot(struct vigil_source *src,
				   const char *procroot)
{
	struct fan_state *st = src->priv;

	if (st)
		vigil__fim_track_set_procroot(&st->t, procroot);
}

/* The check op: the fim section through its table, nothing opened. */
static int fim_check(const struct vigil_node *section, bool *enabled,
		     struct vigil_buf *err)
{
	return vigil_fim_config_enabled(section, enabled, err);
}

const struct vigil_source_ops vigil_fim_source_ops = {
	.name = "fanotify",
	.start = fan_start,
	.stop = fan_stop,
	.status_json = fan_status_json,
	.reload = NULL,
	.check = fim_check,
};
