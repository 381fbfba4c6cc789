/*
 * proctable_int.h - what the parts of the process table share and
 * nothing else uses: proctable.c (the table itself: hash, lists,
 * eviction, expiry, lookup), proctable_store.c (an entry's strings),
 * proctable_procfs.c (seeding, resync and checks against /proc),
 * proctable_events.c (fork, exec, exit, ids and comm updates) and
 * proctable_enrich.c (user and group names, enrichment and ancestry).
 *
 * Layout: a hash of pid -> chain of entries (newest first, so an exited
 * process and the one that reused its pid can both be found), and two
 * lists for eviction: live entries in least-recently-used order and exited
 * entries in order of exit (which is also their expiry order).
 *
 * Each entry owns one buffer holding all its strings and its argv vector.
 * Updates build the new buffer in the table's spare buffer and swap, so a
 * source may pass strings that point into the entry being replaced, and
 * the steady state reuses memory instead of allocating.
 *
 * Enrichment points event strings into entries; an entry used by the
 * enrichment in progress is pinned (pin == gen) so that filling a miss from
 * /proc cannot evict it.  gen moves on when the enrichment ends.
 *
 * Names: vigil__pt_* are the parts' shared functions, pt_* the small
 * inline helpers below; neither is used outside src/proc/proctable*.c.
 */
#ifndef VIGIL_PROCTABLE_INT_H
#define VIGIL_PROCTABLE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vigil/event.h>

#include "proc/procfs.h"
#include "proc/proctable.h"
#include "util.h"

/* Clock slack when comparing times from different sources: /proc start
 * times are derived from a boot time in whole seconds. */
#define TIME_SLACK_NS (INT64_C(1) * 1000000000)
/*
 * The same for a start time taken from the proc connector's fork message
 * (nanoseconds, read at the fork) against an audit time (the coarse clock
 * at syscall entry, lagging up to a jiffy, cut to milliseconds): an
 * exec's audit time is at most that much before the fork of the process
 * that made it.  A later owner of the pid forked after that process
 * exited, which no pid wrap does within 50 ms.
 */
#define FORK_SLACK_NS (INT64_C(50) * 1000000)

/* User and group name cache: direct-mapped, entries expire so that
 * renamed accounts show up. */
#define NAME_CACHE_SLOTS 256
#define NAME_MAX_LEN 64
/* Pids /proc did not have: not asked again for a second, so an ancestor
 * that is gone does not cost an open() per event. */
#define ABSENT_SLOTS 256

struct pt_list {
	struct pt_entry *head, *tail;
};

struct pt_entry {
	struct pt_entry *hnext;       /* hash chain, newest first */
	struct pt_entry *prev, *next; /* in t->live or t->exited */
	int64_t exit_time_ns;
	uint64_t pin;      /* t->gen of the enrichment using it */
	uint64_t seen;     /* t->seed_gen of the last seed that saw it */
	bool fork_start;   /* start time from the fork message (exact) */
	bool exit_guessed; /* exited because /proc lacked it at its exec,
			    * not by an exit message (exit_time_ns is the
			    * exec's time) */
	struct vigil_process proc; /* strings point into buf */
	char *buf;
	size_t cap;
};

struct name_slot {
	uint32_t id;
	bool valid;
	bool found;
	uint8_t len;
	int64_t expires_ns;
	char name[NAME_MAX_LEN];
};

struct vigil_proctable {
	size_t max_entries;
	size_t count;
	size_t n_live;
	struct pt_entry **buckets;
	size_t mask; /* buckets - 1; a power of two */
	struct pt_list live;
	struct pt_list exited;
	struct pt_entry *check_next; /* in live: where check_live goes on */
	struct pt_entry *free_entries; /* recycled through hnext */
	char *spare; /* buffer updates are built in */
	size_t spare_cap;
	size_t buf_bytes; /* entries' buffers and the spare */
	int64_t linger_ns;
	int64_t now_ns; /* newest time seen in a call */
	uint64_t gen;
	uint64_t seed_gen;
	bool have_procfs;
	struct vigil_procfs procfs;
	char *procfs_root; /* what the last seed read, for resync */
	struct vigil_arena scratch; /* /proc reads */
	struct vigil_arena scratch2; /* the cgroup re-read of an exec */
	struct {
		int32_t pid;
		int64_t until_ns; /* monotonic */
	} absent[ABSENT_SLOTS];
	struct name_slot users[NAME_CACHE_SLOTS];
	struct name_slot groups[NAME_CACHE_SLOTS];
	char *pw_buf;
	size_t pw_buf_len;
	struct vigil_proctable_stats stats;
};

/* ---- small helpers (every part) ---- */

static inline void pt_list_remove(struct pt_list *l, struct pt_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NULL;
}

static inline void pt_list_append(struct pt_list *l, struct pt_entry *e)
{
	e->next = NULL;
	e->prev = l->tail;
	if (l->tail)
		l->tail->next = e;
	else
		l->head = e;
	l->tail = e;
}

static inline bool pt_is_exited(const struct pt_entry *e)
{
	return e->proc.flags & VIGIL_PROC_EXITED;
}

/* The pid's hash chain. */
static inline size_t pt_bucket(const struct vigil_proctable *t, int32_t pid)
{
	/* Fibonacci hashing, folded: consecutive pids spread out. */
	uint32_t h = (uint32_t)pid * UINT32_C(2654435761);

	return (size_t)(h ^ (h >> 16)) & t->mask;
}

/* The newest entry for pid, exited or not; NULL when there is none. */
static inline struct pt_entry *pt_find_newest(struct vigil_proctable *t,
					      int32_t pid)
{
	struct pt_entry *e;

	for (e = t->buckets[pt_bucket(t, pid)]; e; e = e->hnext)
		if (e->proc.pid == pid)
			return e;
	return NULL;
}

/* The newest entry for pid when it is live, else NULL. */
static inline struct pt_entry *pt_find_live(struct vigil_proctable *t,
					    int32_t pid)
{
	struct pt_entry *e = pt_find_newest(t, pid);

	return e && !pt_is_exited(e) ? e : NULL;
}

/* Puts an entry that is linked nowhere (from vigil__pt_entry_get, or
 * dropped) on the free list. */
static inline void pt_entry_unget(struct vigil_proctable *t,
				  struct pt_entry *e)
{
	e->hnext = t->free_entries;
	t->free_entries = e;
}

/* How far before e's start time an event of e's may be stamped. */
static inline int64_t pt_start_slack(const struct pt_entry *e)
{
	return e->fork_start ? FORK_SLACK_NS : TIME_SLACK_NS;
}

/* Whether e had started by time_ns (or its start is unknown). */
static inline bool pt_started_by(const struct pt_entry *e, int64_t time_ns)
{
	return !e->proc.start_time_ns ||
	       e->proc.start_time_ns <= time_ns + pt_start_slack(e);
}

/* Whether /proc's start time start_ns is e's own (within the slack of
 * /proc's whole-second boot time). */
static inline bool pt_same_start(const struct pt_entry *e, int64_t start_ns)
{
	return e->proc.start_time_ns && start_ns &&
	       e->proc.start_time_ns <= start_ns + TIME_SLACK_NS &&
	       e->proc.start_time_ns >= start_ns - TIME_SLACK_NS;
}

/* ---- proctable.c: the table ---- */

/* Moves a live entry to the most-recently-used end. */
void vigil__pt_touch(struct vigil_proctable *t, struct pt_entry *e);
/* Marks a live entry exited at time_ns (onto the exited list). */
void vigil__pt_mark_exited(struct vigil_proctable *t, struct pt_entry *e,
			   int64_t time_ns);
/* Undoes a guessed exit (exit_guessed): e is live again. */
void vigil__pt_revive(struct vigil_proctable *t, struct pt_entry *e);
/*
 * An entry to fill: recycled or new, after evicting the oldest exited or
 * least recently used live entry when the table is full.  The entry is
 * not linked anywhere yet: link it (vigil__pt_entry_link) or give it back
 * (pt_entry_unget).  Returns NULL on -ENOMEM or when everything is
 * pinned.
 */
struct pt_entry *vigil__pt_entry_get(struct vigil_proctable *t);
/* Links a filled entry as the newest for its pid. */
void vigil__pt_entry_link(struct vigil_proctable *t, struct pt_entry *e);
/*
 * The entry for the process that had pid at time_ns: the newest one that
 * had started by then and, if it exited, had not exited long before.
 * time_ns 0 takes the newest.  NULL when there is none.
 */
struct pt_entry *vigil__pt_find_at(struct vigil_proctable *t, int32_t pid,
				   int64_t time_ns);
/* Inserts a copy of p as a new live entry for p->pid; NULL on -ENOMEM
 * or when there is no room. */
struct pt_entry *vigil__pt_insert(struct vigil_proctable *t,
				  const struct vigil_process *p);

/* ---- proctable_store.c: an entry's strings ---- */

/*
 * Stores src as e's context: scalars copied, strings packed into one
 * buffer (argv bounded by VIGIL_ARGV_MAX_BYTES/ARGS, cut arguments flag
 * the process), names and file hashes left out.  src may point into e.
 * Returns 0 or -ENOMEM (e is unchanged then).
 */
int vigil__pt_entry_store(struct vigil_proctable *t, struct pt_entry *e,
			  const struct vigil_process *src);
/* Fills the fields of dst that are unknown from src (same process); the
 * image (comm, exe, argv) too when image_too.  dst's strings then point
 * where src's do. */
void vigil__pt_merge_missing(struct vigil_process *dst,
			     const struct vigil_process *src, bool image_too);

/* ---- proctable_procfs.c: /proc ---- */

/*
 * Reads pid from /proc into t->scratch and inserts it as the newest
 * entry for pid.  Returns the entry or NULL (gone, not seeded, no room).
 */
struct pt_entry *vigil__pt_fill_from_procfs(struct vigil_proctable *t,
					    int32_t pid);

#endif /* VIGIL_PROCTABLE_INT_H */
