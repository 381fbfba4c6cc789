/*
 * proctable.h - the process table: what vigil knows about every process,
 * for enrichment (ancestry, container, unit, user and group names).
 *
 * Seeded from /proc at start, kept current by exec events (audit), fork,
 * exit and credential changes (proc connector); a miss is filled from /proc
 * while the process is alive.  Bounded: when full, the oldest exited entry
 * goes first, then the least recently used live one.  Exited processes
 * stay for a linger period (30 s by default) so that events that arrive
 * after the exit still get their context and ancestry.
 *
 * Single-threaded: every call comes from the daemon's loop.  Entries are
 * keyed by pid and told apart by start time, so a reused pid does not
 * inherit its predecessor's context.
 *
 * Times are wall-clock nanoseconds since the epoch (struct vigil_event
 * time_ns); sources convert kernel timestamps before calling.
 */
#ifndef VIGIL_PROCTABLE_H
#define VIGIL_PROCTABLE_H

#include <stddef.h>
#include <stdint.h>

#include <vigil/event.h>

#include "proc/procfs.h"

#define VIGIL_PROCTABLE_DEFAULT_MAX 32768
/* Small enough for tests, large enough that one enrichment (the process
 * and its ancestors) never has to evict what it is using. */
#define VIGIL_PROCTABLE_MIN_ENTRIES 128
#define VIGIL_PROCTABLE_DEFAULT_LINGER_NS (INT64_C(30) * 1000000000)
/* ev->ancestors holds at most this many, parent first. */
#define VIGIL_ANCESTORS_MAX 32

struct vigil_proctable;

struct vigil_proctable_stats {
	uint64_t entries;         /* in the table now */
	uint64_t live;            /* of which not exited */
	uint64_t hits;            /* lookups answered by the table */
	uint64_t misses;          /* lookups the table could not answer */
	uint64_t procfs_fills;    /* misses answered by /proc */
	uint64_t evicted_exited;  /* dropped to make room, exited */
	uint64_t evicted_live;    /* dropped to make room, still alive */
	uint64_t expired;         /* exited entries past the linger time */
	uint64_t pid_reuse;       /* a new process took a known live pid */
	uint64_t vanished;        /* live entries /proc no longer had
				   * (vigil_proctable_check_live) */
	uint64_t leader_exec;     /* exits undone by an exec from a thread
				   * (vigil_proctable_exec_seen) */
	uint64_t buffer_bytes;    /* held by the entries' strings */
	uint64_t name_lookups;    /* getpwuid_r/getgrgid_r calls */
};

/*
 * Creates an empty table holding at most max_entries processes (0 means
 * VIGIL_PROCTABLE_DEFAULT_MAX).  Returns 0 and the table in *out, -EINVAL
 * for max_entries below VIGIL_PROCTABLE_MIN_ENTRIES, or -ENOMEM.  Free it
 * with vigil_proctable_free().
 */
int vigil_proctable_new(size_t max_entries, struct vigil_proctable **out)
	__attribute__((warn_unused_result));
void vigil_proctable_free(struct vigil_proctable *t);

/* How long exited processes stay (ns); 0 drops them at the next call. */
void vigil_proctable_set_linger(struct vigil_proctable *t, int64_t linger_ns);

/*
 * Reads every process under procfs_root ("/proc", or a fixture tree in
 * tests) into the table and keeps that root for filling misses later.
 * Called again, it resynchronises: live entries whose process is gone are
 * marked exited, a pid now held by another process gets a new entry.
 * Returns 0, or a negative errno when the root cannot be opened (processes
 * that vanish during the scan are skipped).
 */
int vigil_proctable_seed(struct vigil_proctable *t, const char *procfs_root)
	__attribute__((warn_unused_result));

/*
 * Seeds again from the root the last seed used (after the proc connector
 * lost events).  Returns 0, -ENOENT when never seeded, or as seed.
 */
int vigil_proctable_resync(struct vigil_proctable *t)
	__attribute__((warn_unused_result));

/*
 * A process pid was forked by ppid at time_ns.  The child inherits the
 * parent's image (exe, argv, cwd, ids, container, unit); with no parent in
 * the table it is read from /proc.  Returns 0 or -ENOMEM/-ENOSPC.
 */
int vigil_proctable_on_fork(struct vigil_proctable *t, int32_t ppid,
			    int32_t pid, int64_t time_ns);

/*
 * p->pid executed a new image at time_ns (an audit exec event; 0 when
 * unknown: the newest process with that pid).  Replaces exe, argv, comm,
 * ids and whatever else p sets; keeps what exec does not change (start
 * time, container, unit, tty, cwd when p has none).  p's strings are
 * copied; they may point into the table itself.
 *
 * The exec goes to the process that had the pid at time_ns, told from a
 * later owner by start times.  When that process's exit was already read
 * (audit delivers the exec after the proc connector's exit of a short
 * process) the entry stays exited.  A process the table does not know is
 * added live only if /proc has it; otherwise it is added as exited (a
 * fork read later revives it).  Returns 0 or a negative errno.
 */
int vigil_proctable_on_exec(struct vigil_proctable *t,
			    const struct vigil_process *p, int64_t time_ns);

/*
 * The proc connector's exec message for pid (before any image is read).
 * The connector sends them in order: fork, exec, exit.  An exec after an
 * exit of the same pid, with no fork between, is a thread other than the
 * leader executing: the kernel reports the old leader's exit (pid ==
 * tgid) and the process lives on, so its entry is made live again
 * (stats.leader_exec).  Returns 0, or -ENOENT when pid is unknown.
 */
int vigil_proctable_exec_seen(struct vigil_proctable *t, int32_t pid);

/* pid exited at time_ns; the entry lingers (see set_linger). */
int vigil_proctable_on_exit(struct vigil_proctable *t, int32_t pid,
			    int64_t time_ns);

/*
 * Credential change from the proc connector (PROC_EVENT_UID / _GID): the
 * real and effective ids; VIGIL_ID_UNSET leaves one as it is.  The fs id
 * follows the effective one, as the kernel does.  Returns 0, or -ENOENT
 * when pid is not in the table.
 */
int vigil_proctable_on_ids(struct vigil_proctable *t, int32_t pid,
			   uint32_t ruid, uint32_t euid, uint32_t rgid,
			   uint32_t egid);

/* PROC_EVENT_COMM: the process renamed itself (prctl PR_SET_NAME). */
int vigil_proctable_on_comm(struct vigil_proctable *t, int32_t pid,
			    const char *comm, size_t len);

/*
 * Re-reads pid from /proc (after a proc connector exec) and stores what it
 * finds as the process's new image.  Returns 0, -ENOENT when it is gone
 * or the table was never seeded, or a negative errno.
 */
int vigil_proctable_refresh(struct vigil_proctable *t, int32_t pid);

/*
 * The table's context for pid as of time_ns (0: the newest process with
 * that pid), or NULL.  Does not read /proc.  The pointer and its strings
 * are valid until the next call that changes the table.
 */
const struct vigil_process *
vigil_proctable_lookup(struct vigil_proctable *t, int32_t pid, int64_t time_ns);

/*
 * Fills what ev->process lacks (ppid, ids, user and group names, exe,
 * argv, comm, cwd, tty, start time, container, unit) from the table, and
 * ev->ancestors (parent first, up to VIGIL_ANCESTORS_MAX, allocated in
 * ev->arena) unless the source set them.  A miss is read from /proc when
 * the process is alive.  Names are copied into ev->arena; other strings
 * point into the table and stay valid until the next call that changes
 * it (the event's callback).  Returns 0 (also when nothing was known),
 * -EINVAL without an arena, or -ENOMEM.
 */
int vigil_proctable_enrich(struct vigil_proctable *t, struct vigil_event *ev);

/* Drops exited entries whose linger time has passed as of now_ns; the
 * daemon calls it from a timer, the table also on every fork and exit. */
void vigil_proctable_expire(struct vigil_proctable *t, int64_t now_ns);

/*
 * Checks up to max_checks live entries against /proc (a stat of
 * /proc/PID/stat each), going round the live list from where the last
 * call stopped: an entry whose process is gone, or whose pid another
 * process now has, is marked exited as of now_ns (stats.vanished).  The
 * daemon calls it from a timer, so that a lost exit does not leave an
 * entry live for ever.  Returns how many it marked; 0 when the table was
 * never seeded.
 */
unsigned vigil_proctable_check_live(struct vigil_proctable *t, int64_t now_ns,
				    unsigned max_checks);

void vigil_proctable_get_stats(const struct vigil_proctable *t,
			       struct vigil_proctable_stats *out);

#endif /* VIGIL_PROCTABLE_H */
