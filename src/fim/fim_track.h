/*
 * fim_track.h - FIM tracking: what file events mean, between the fanotify
 * adapter (fanotify.c) and the pipeline.
 *
 * The adapter turns kernel records into paths and calls the tracker with
 * "path was created / deleted / written / ...".  The tracker keeps the
 * per-path cache, builds events (with the attributes before and after and
 * the acting process), hashes regular files on the thread pool through an
 * ordered FIFO, coalesces FAN_MODIFY into one MODIFY per close, pairs
 * rename halves (fim_rename.c), and compares the trees with the cache at
 * start, after an overflow and on the periodic rescan (fim_rescan.c).
 * It knows nothing of fanotify records or marks; the adapter learns of
 * directories that appear or go through the hooks.
 *
 * Internal to libvigilfim (vigil__ names); not installed.
 */
#ifndef VIGIL_FIM_TRACK_H
#define VIGIL_FIM_TRACK_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "fim/fim.h"
#include "proc/procfs.h"
#include "source.h"

/* How long a MOVED_FROM waits for its MOVED_TO. */
#define VIGIL__FIM_RENAME_WAIT_NS (20 * 1000000LL)

struct vigil__fim_track;
struct vigil__fim_pending; /* one event on its way (fim_track.c) */

/* What the tracker asks of the adapter that embeds it. */
struct vigil__fim_track_hooks {
	/* A directory appeared in the trees: made there (moved_in false)
	 * or moved in from elsewhere (its content is new to us).  The
	 * adapter marks it as needed and may raise what it holds through
	 * vigil__fim_track_create(). */
	void (*dir_appeared)(struct vigil__fim_track *t, const char *path,
			     int32_t pid, bool moved_in);
	/* path and everything below were renamed or removed. */
	void (*dir_gone)(struct vigil__fim_track *t, const char *path);
	/* The last reference is gone: free the adapter (which calls
	 * vigil__fim_track_free()). */
	void (*release)(struct vigil__fim_track *t);
};

/* The last process looked up, kept for a second: a burst of writes from
 * one process reads /proc once (and walks its ancestry for a package
 * manager once). */
struct vigil__fim_proc_cache {
	int32_t pid;
	int64_t at_ns;
	int rc;
	struct vigil_process proc;
	struct vigil_arena arena;
	const char *pkg;
};

/*
 * The tracker.  Embedded in the adapter's state; one reference count for
 * both (handles, queued works and 1 while started hold one each).
 */
struct vigil__fim_track {
	struct vigil_source *src;
	const struct vigil__fim_track_hooks *hooks;
	struct vigil_fim_config cfg; /* owned */
	struct vigil_fim_cache cache;
	bool dirents; /* the kernel reports directory entries (not the
		       * mount rung): recovery and rescans have a point */
	bool stopping;
	unsigned refs;
	/* The FIFO (fim_track.c). */
	struct vigil__fim_pending *head, *tail, *free_list;
	size_t n_free;
	size_t inflight; /* hashes on the pool */
	uv_timer_t settle; /* the FIFO head waits for its process */
	bool settle_open, settle_running;
	/* Rename pairing (fim_rename.c): the table and its timer. */
	struct vigil_fim_renames renames;
	uv_timer_t rename_timer;
	bool rename_timer_open, rename_timer_running;
	/* Periodic rescans (fim.rescan_interval). */
	uv_timer_t rescan_timer;
	bool rescan_open, rescanning;
	volatile int rescan_stop; /* read by the rescan on the pool */
	uint64_t rescans, rescan_changes;
	uint64_t overflows;
	const char *procroot;
	struct vigil_procfs procfs; /* root_fd -1 when procroot won't open */
	struct vigil__fim_proc_cache pc;
};

/* ---- life (fim_track.c) ---- */

/* Sets t up for src (t zeroed by the caller); t->cfg is then filled by
 * the caller.  Cannot fail. */
void vigil__fim_track_init(struct vigil__fim_track *t,
			   struct vigil_source *src,
			   const struct vigil__fim_track_hooks *hooks);
/* Opens the timers on the source's loop (each holds a reference).
 * Returns 0 or a libuv error. */
int vigil__fim_track_start(struct vigil__fim_track *t);
/* Delivers what can still be (rename halves as deletions, settling
 * events) and closes the timers; queued hashes finish on the pool. */
void vigil__fim_track_stop(struct vigil__fim_track *t);
void vigil__fim_track_unref(struct vigil__fim_track *t);
/* Reads processes from another /proc from now on (tests). */
void vigil__fim_track_set_procroot(struct vigil__fim_track *t,
				   const char *procroot);
/* Frees what t owns (called from the release hook). */
void vigil__fim_track_free(struct vigil__fim_track *t);

/* ---- events, by path (fim_track.c) ---- */

void vigil__fim_track_create(struct vigil__fim_track *t, const char *path,
			     int32_t pid, bool is_dir);
void vigil__fim_track_delete(struct vigil__fim_track *t, const char *path,
			     int32_t pid, bool is_dir);
/* A rename of from to to (either may be outside the trees). */
void vigil__fim_track_rename(struct vigil__fim_track *t, const char *from,
			     const char *to, int32_t pid, bool is_dir);
void vigil__fim_track_attrib(struct vigil__fim_track *t, const char *path,
			     int32_t pid);
void vigil__fim_track_modify(struct vigil__fim_track *t, const char *path,
			     int32_t pid);
/* fd: the event's descriptor on the file, or -1 (then lstat). */
void vigil__fim_track_close_write(struct vigil__fim_track *t,
				  const char *path, int32_t pid, int fd);
/* A MODIFY of path by writer (0: unknown) with its attributes now. */
void vigil__fim_track_modified(struct vigil__fim_track *t, const char *path,
			       int32_t writer,
			       const struct vigil_fim_attr *now);
/* The kernel dropped events: an agent event, then recovery. */
void vigil__fim_track_overflow(struct vigil__fim_track *t);
/* ---- the trees against the cache (fim_rescan.c) ---- */

/* After lost events: walks the trees (stat only, on the loop) and raises
 * what differs from the cache, with no actor.  Not on the mount rung. */
void vigil__fim_track_recover(struct vigil__fim_track *t);
/* The fim.rescan_interval timer (a reference while open). */
int vigil__fim_rescan_timer_open(struct vigil__fim_track *t);
void vigil__fim_rescan_timer_close(struct vigil__fim_track *t);
/*
 * For a kernel that names only the directory of a directory-entry event:
 * re-reads dir and raises what changed against the cache (names gone:
 * deletions, or MOVED_FROM halves keyed by inode when moved_from; names
 * new: creations or MOVED_TO halves).
 */
void vigil__fim_track_dir_changed(struct vigil__fim_track *t,
				  const char *dir, int32_t pid,
				  bool moved_from);
/*
 * A file event resolved to path, whose inode is not the one the cache
 * knows there: the directory events that explain it are still queued
 * (`sed -i`).  Re-reads the directory so the rename goes first.
 */
void vigil__fim_track_catch_up(struct vigil__fim_track *t, const char *path,
			       int32_t pid);
/* Fills the cache with the trees' current state (and the baseline's
 * hashes for files unchanged since).  Returns the number of directories
 * in the trees. */
size_t vigil__fim_track_prime(struct vigil__fim_track *t);

/* ---- rename halves (fim_rename.c) ---- */

/* key: the child's handle (or inode), NULL/0 to pair by process. */
void vigil__fim_track_moved_from(struct vigil__fim_track *t,
				 const void *key, size_t key_len,
				 const char *path, int32_t pid, bool is_dir);
void vigil__fim_track_moved_to(struct vigil__fim_track *t, const void *key,
			       size_t key_len, const char *path, int32_t pid,
			       bool is_dir);
/* Halves older than before_ns left the trees: raised as deletions. */
void vigil__fim_track_expire_moves(struct vigil__fim_track *t,
				   int64_t before_ns);
/* The pairing timer (a reference while open). */
int vigil__fim_rename_timer_open(struct vigil__fim_track *t);
void vigil__fim_rename_timer_close(struct vigil__fim_track *t);

/* ---- helpers (fim_track.c) ---- */

/* Builds dir + "/" + name into out ("." names dir itself).  0 or
 * -ENAMETOOLONG. */
int vigil__fim_join_path(char *out, size_t size, const char *dir,
			 const char *name, size_t name_len);

#endif /* VIGIL_FIM_TRACK_H */
