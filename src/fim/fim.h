/*
 * fim.h - file integrity monitoring: the pieces the fanotify source, the
 * baseline and the `fim` command line share.
 *
 *  - configuration (the `fim:` section of vigil.yaml),
 *  - file attributes (what we know of a path) and how two of them differ,
 *  - SHA-256 of a file (OpenSSL EVP),
 *  - a per-path cache of attributes, with the "written since last close"
 *    flag that coalesces FAN_MODIFY into one event per FAN_CLOSE_WRITE,
 *  - pairing of FAN_MOVED_FROM / FAN_MOVED_TO into one rename,
 *  - the acting process from /proc, and package-manager detection,
 *  - the baseline: walk, hash, store, load and compare.
 *
 * Everything here is plain C with no loop, so it is unit tested directly.
 */
#ifndef VIGIL_FIM_H
#define VIGIL_FIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <vigil/event.h>

#include "node.h"
#include "util.h"

/* ---- configuration ---- */

#define VIGIL_FIM_DEFAULT_HASH_MAX (64LL * 1024 * 1024)
#define VIGIL_FIM_DEFAULT_STATE_DIR VIGIL_LOCALSTATEDIR "/lib/vigil/fim"
#define VIGIL_FIM_BASELINE_NAME "baseline.db"
/* Entries of fim.paths and of fim.exclude, at most. */
#define VIGIL_FIM_MAX_PATHS 256

enum vigil_fim_marks {
	VIGIL_FIM_MARKS_AUTO = 0, /* filesystem marks when allowed */
	VIGIL_FIM_MARKS_FILESYSTEM,
	VIGIL_FIM_MARKS_INODE,
};

struct vigil_fim_config {
	char **paths; /* absolute, without trailing '/' (except "/") */
	size_t n_paths;
	char **exclude; /* fnmatch(3) patterns or path prefixes */
	size_t n_exclude;
	int64_t hash_max_size; /* bytes; larger files are not hashed;
				* 0 = no limit (< 0 internally: no hashing) */
	int marks;             /* enum vigil_fim_marks */
	char *state_dir;       /* baseline location */
	int64_t rescan_interval_ns;  /* 0 = no periodic rescan */
	int64_t rescan_files_per_sec; /* 0 = unthrottled */
	size_t cache_max;      /* per-path cache entries */
};

/* Fills cfg with the defaults (the paths of issue 6).  Returns 0 or
 * -ENOMEM.  Free with vigil_fim_config_free(). */
int vigil_fim_config_defaults(struct vigil_fim_config *cfg);
/*
 * Reads a `fim:` map node over the defaults.  NULL means defaults only.
 * On a bad value returns -EINVAL and writes "file:line:col: ..." to err.
 */
int vigil_fim_config_parse(struct vigil_fim_config *cfg,
			   const struct vigil_node *fim, struct vigil_buf *err);
/*
 * Whether the `fim:` section (NULL: absent) switches the monitor on, read
 * with the same table: 0, or -EINVAL with "file:line:col: ..." in err.
 */
int vigil_fim_config_enabled(const struct vigil_node *fim, bool *enabled,
			     struct vigil_buf *err);
/* Replaces the watched paths (command-line PATH arguments). */
int vigil_fim_config_set_paths(struct vigil_fim_config *cfg,
			       char *const *paths, size_t n);
void vigil_fim_config_free(struct vigil_fim_config *cfg);
/* True when path is inside one of the watched trees and not excluded. */
bool vigil_fim_config_watched(const struct vigil_fim_config *cfg,
			      const char *path);
bool vigil_fim_config_excluded(const struct vigil_fim_config *cfg,
			       const char *path);
/* True when path equals prefix or lies below it. */
bool vigil_fim_path_under(const char *path, const char *prefix);

/* ---- attributes ---- */

#define VIGIL_FIM_SHA256_HEX 64
#define VIGIL_FIM_HASH_PREFIX "sha256:"

struct vigil_fim_attr {
	uint64_t ino;
	uint64_t dev;
	int64_t size;
	int64_t mtime_ns;
	uint32_t mode;
	uint32_t uid;
	uint32_t gid;
	bool has_hash;
	char sha256[VIGIL_FIM_SHA256_HEX + 1]; /* lower-case hex */
};

/* What differs between two attribute sets (vigil_fim_attr_diff). */
enum vigil_fim_diff {
	VIGIL_FIM_DIFF_TYPE = 1u << 0,
	VIGIL_FIM_DIFF_MODE = 1u << 1, /* permission bits */
	VIGIL_FIM_DIFF_UID = 1u << 2,
	VIGIL_FIM_DIFF_GID = 1u << 3,
	VIGIL_FIM_DIFF_SIZE = 1u << 4,
	VIGIL_FIM_DIFF_MTIME = 1u << 5,
	VIGIL_FIM_DIFF_INODE = 1u << 6,
	VIGIL_FIM_DIFF_HASH = 1u << 7, /* only when both have a hash */
};

void vigil_fim_attr_from_stat(struct vigil_fim_attr *a, const struct stat *st);
/* Returns the enum vigil_fim_diff bits that differ from old to now. */
unsigned vigil_fim_attr_diff(const struct vigil_fim_attr *old,
			     const struct vigil_fim_attr *now);
/* Writes the names of the diff bits, comma separated ("mode,hash"). */
void vigil_fim_diff_names(unsigned diff, struct vigil_buf *out);
/* The event types an FAN_ATTRIB change amounts to: CHMOD, CHOWN, UTIMES
 * bits (VIGIL_EVBIT) for a diff. */
uint64_t vigil_fim_attrib_events(unsigned diff);

/*
 * Opens path with flags, following no symbolic link below root: a user
 * who controls a directory inside a watched tree must not make us read
 * what a link there points to.  root itself (the configured path, the
 * administrator's choice) resolves as usual; path must be root or lie
 * under it ("/" for anything).  openat2(RESOLVE_NO_SYMLINKS |
 * RESOLVE_BENEATH) where the kernel has it, else a walk that opens one
 * component at a time with O_NOFOLLOW.  Returns the descriptor or a
 * negative errno (-ELOOP or -ENOTDIR for a link on the way, -EXDEV for
 * a path that leaves root).
 */
int vigil_fim_open_beneath(const char *root, const char *path, int flags);
/* Tests: take the component walk even where openat2() exists. */
void vigil__fim_force_open_walk(bool on);
/* The configured tree path lies in (the longest), or "/". */
const char *vigil_fim_config_root(const struct vigil_fim_config *cfg,
				  const char *path);

/*
 * SHA-256 of the regular file at path, as 64 hex digits into out.  path
 * is opened with vigil_fim_open_beneath(root, ...) and must still be the
 * object lstat(path) names (same device and inode), else -ESTALE.  Files
 * larger than max_size (when > 0) are not read: returns -EFBIG.  Returns
 * 0, -EINVAL for a file that is not regular, or a negative errno.  The
 * size read is stored in *size when size is not NULL.  Thread safe.
 */
int vigil_fim_hash_file(const char *root, const char *path, int64_t max_size,
			char out[VIGIL_FIM_SHA256_HEX + 1], int64_t *size);
/* Same, on an open descriptor (read from its current offset 0). */
int vigil_fim_hash_fd(int fd, int64_t max_size,
		      char out[VIGIL_FIM_SHA256_HEX + 1], int64_t *size);

/* ---- per-path cache ---- */

enum vigil_fim_entry_flags {
	VIGIL_FIM_E_KNOWN = 1u << 0, /* attr holds a stat */
	VIGIL_FIM_E_DIRTY = 1u << 1, /* FAN_MODIFY seen since last close */
};

struct vigil_fim_entry {
	struct vigil_fim_entry *next; /* bucket chain */
	char *path;                   /* owned */
	uint32_t hash;
	uint32_t flags;
	int32_t modify_pid; /* the last writer, for the coalesced MODIFY */
	struct vigil_fim_attr attr;
};

struct vigil_fim_cache {
	struct vigil_fim_entry **buckets;
	size_t n_buckets;
	size_t n;
	size_t max; /* 0 = unbounded */
	uint64_t refused; /* puts refused because full */
};

void vigil_fim_cache_init(struct vigil_fim_cache *c, size_t max);
void vigil_fim_cache_free(struct vigil_fim_cache *c);
struct vigil_fim_entry *vigil_fim_cache_get(struct vigil_fim_cache *c,
					    const char *path);
/* Finds or adds the entry for path (flags 0 when new).  NULL when full
 * or out of memory.  The entry belongs to the cache. */
struct vigil_fim_entry *vigil_fim_cache_put(struct vigil_fim_cache *c,
					    const char *path);
void vigil_fim_cache_del(struct vigil_fim_cache *c, const char *path);
/* Removes path and everything below it. */
void vigil_fim_cache_del_tree(struct vigil_fim_cache *c, const char *path);
/* Moves the entry of from, and every entry below it, to to. */
int vigil_fim_cache_rename(struct vigil_fim_cache *c, const char *from,
			   const char *to);
/* Calls fn for each entry whose parent directory is dir. */
void vigil_fim_cache_children(struct vigil_fim_cache *c, const char *dir,
			      void (*fn)(struct vigil_fim_entry *e, void *arg),
			      void *arg);

/*
 * MODIFY coalescing.  note_modify marks path as written by pid; close_write
 * returns true (and the writer in *pid) when a write was seen since the
 * last close, i.e. when one MODIFY event is due, and clears the mark.
 */
void vigil_fim_note_modify(struct vigil_fim_cache *c, const char *path,
			   int32_t pid);
bool vigil_fim_close_write(struct vigil_fim_cache *c, const char *path,
			   int32_t *pid);

/* ---- rename pairing ---- */

#define VIGIL_FIM_RENAME_SLOTS 64
#define VIGIL_FIM_RENAME_KEY_MAX 136 /* fsid + MAX_HANDLE_SZ */

struct vigil_fim_move {
	char *path; /* owned by the pairer until taken */
	int32_t pid;
	bool is_dir;
	int64_t t_ns;
	uint16_t key_len;
	unsigned char key[VIGIL_FIM_RENAME_KEY_MAX];
};

/*
 * Pending FAN_MOVED_FROM halves.  A MOVED_TO takes the half with the same
 * key (the child's file handle, or its inode on the FID rung); without a
 * key, the oldest half of the same process.  Halves nobody takes within
 * the timeout left the watched trees (or the marks).
 */
struct vigil_fim_renames {
	struct vigil_fim_move slot[VIGIL_FIM_RENAME_SLOTS];
	unsigned n;
};

void vigil_fim_renames_init(struct vigil_fim_renames *r);
/* Records a MOVED_FROM.  When full, the oldest half is pushed out into
 * *evicted (the caller frees evicted->path) and 1 is returned; else 0,
 * or -ENOMEM. */
int vigil_fim_rename_from(struct vigil_fim_renames *r, const void *key,
			  size_t key_len, const char *path, int32_t pid,
			  bool is_dir, int64_t t_ns,
			  struct vigil_fim_move *evicted);
/* Finds the half a MOVED_TO completes; moves it to *out (caller frees
 * out->path).  Returns 0, or -ENOENT. */
int vigil_fim_rename_to(struct vigil_fim_renames *r, const void *key,
			size_t key_len, int32_t pid,
			struct vigil_fim_move *out);
/* Takes the oldest half older than before_ns into *out.  0 or -ENOENT. */
int vigil_fim_rename_expire(struct vigil_fim_renames *r, int64_t before_ns,
			    struct vigil_fim_move *out);
void vigil_fim_renames_free(struct vigil_fim_renames *r);

/* ---- acting process ---- */

struct vigil_procfs;

/*
 * Fills p (cleared by the caller) with what pf says of pid: comm, ppid,
 * start time, uids, gids and exe.  Strings go to arena a.  A process that
 * is gone leaves only p->pid set; returns -ESRCH then (-ENOMEM likewise).
 */
int vigil_fim_proc_fill(struct vigil_process *p, struct vigil_arena *a,
			struct vigil_procfs *pf, int32_t pid);
/*
 * Walks the ppid chain of pid (at most VIGIL_FIM_PKG_DEPTH steps) for a
 * package manager.  Returns its name (static string: "dpkg", "rpm",
 * "apt", "apt-get", "yum", "dnf", "unattended-upgrade") or NULL.
 */
#define VIGIL_FIM_PKG_DEPTH 16
const char *vigil_fim_package_manager(struct vigil_procfs *pf, int32_t pid);
/* The package manager a comm (as in /proc/PID/stat) names, or NULL. */
const char *vigil_fim_package_manager_comm(const char *comm);

/*
 * A process that unlinks its own executable goes on running an image
 * whose name is gone, and the kernel names it "PATH (deleted)" from then
 * on (/proc/PID/exe, audit's exe=).  When ev is an unlink of exactly its
 * process.file.path, process.file.path becomes that name (copied into
 * ev's arena): what /proc shows right after the call, whichever source
 * reported it and however late it read /proc.  Returns 1 when it marked
 * ev, 0 when ev is not such an unlink, -ENOMEM.
 */
#define VIGIL_FIM_DELETED_SUFFIX " (deleted)"
int vigil_fim_mark_self_delete(struct vigil_event *ev);

/* ---- baseline ---- */

#define VIGIL_FIM_BASELINE_MAGIC "vigil-fim-baseline 1"

struct vigil_fim_record {
	char *path; /* owned by the baseline */
	struct vigil_fim_attr attr;
};

struct vigil_fim_baseline {
	struct vigil_fim_record *rec; /* sorted by path (strcmp) */
	size_t n;
	size_t cap;
	int64_t created_ns;
};

void vigil_fim_baseline_init(struct vigil_fim_baseline *b);
void vigil_fim_baseline_free(struct vigil_fim_baseline *b);
int vigil_fim_baseline_add(struct vigil_fim_baseline *b, const char *path,
			   const struct vigil_fim_attr *a);
void vigil_fim_baseline_sort(struct vigil_fim_baseline *b);
const struct vigil_fim_record *
vigil_fim_baseline_find(const struct vigil_fim_baseline *b, const char *path);

/* Progress callback: done of total files hashed. */
typedef void (*vigil_fim_progress_fn)(size_t done, size_t total, void *arg);

/*
 * Walks the configured trees (lstat, no symlinks followed, exclusions
 * skipped) and hashes the regular files under the size limit on `threads`
 * threads (0 = two per CPU).  Fills b, sorted.  Returns 0 or a negative
 * errno; unreadable files are recorded without a hash and counted in
 * *unreadable when not NULL.
 */
int vigil_fim_baseline_build(struct vigil_fim_baseline *b,
			     const struct vigil_fim_config *cfg,
			     unsigned threads, vigil_fim_progress_fn progress,
			     void *arg, size_t *unreadable);
/* Writes b to path atomically (path.tmp, fsync, rename).  0 or -errno. */
int vigil_fim_baseline_save(const struct vigil_fim_baseline *b,
			    const char *path);
/*
 * Parses a baseline from memory.  Hostile input: bounds-checked; on a bad
 * line returns -EINVAL with "name:line: what" in err.
 */
int vigil_fim_baseline_parse(struct vigil_fim_baseline *b, const char *name,
			     const char *data, size_t len,
			     struct vigil_buf *err);
int vigil_fim_baseline_load(struct vigil_fim_baseline *b, const char *path,
			    struct vigil_buf *err);

enum vigil_fim_change {
	VIGIL_FIM_ADDED = 1,
	VIGIL_FIM_REMOVED,
	VIGIL_FIM_CHANGED,
};

/* Called for each difference, in path order.  old or now is NULL for
 * added / removed. */
typedef void (*vigil_fim_diff_fn)(int change, const char *path,
				  const struct vigil_fim_attr *old,
				  const struct vigil_fim_attr *now,
				  unsigned diff, void *arg);
/* Compares two sorted baselines and calls fn for each difference.  Every
 * attribute counts (an mtime set back by hand still shows in the hash),
 * except the size and mtime of directories, which move with their
 * entries, reported on their own.  Returns the number of differences. */
size_t vigil_fim_baseline_diff(const struct vigil_fim_baseline *old,
			       const struct vigil_fim_baseline *now,
			       vigil_fim_diff_fn fn, void *arg);

/*
 * Throttled rescan for the daemon: walks and hashes like _build but on
 * the calling thread, at most files_per_sec files a second (0: no limit),
 * with the calling thread's I/O priority set to IOPRIO_CLASS_IDLE for the
 * duration (restored after).  hash_max_size < 0 walks without hashing.
 * Meant to run inside uv_queue_work() every cfg->rescan_interval_ns; the
 * after-work callback compares b with the stored baseline
 * (vigil_fim_baseline_diff) and raises what changed.  *stop (may be NULL)
 * is polled between files; returns 0, -ECANCELED or a negative errno.
 */
int vigil_fim_rescan(struct vigil_fim_baseline *b,
		     const struct vigil_fim_config *cfg, int64_t files_per_sec,
		     const volatile int *stop);


#endif /* VIGIL_FIM_H */
