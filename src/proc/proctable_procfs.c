/*
 * proctable_procfs.c - the process table against /proc: seeding and
 * resynchronising from a /proc tree, filling a miss, re-reading a
 * process after an exec, and the periodic check that live entries are
 * still alive.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc/proctable_int.h"
#include "util.h"

/* Pids /proc did not have: not asked again for a second, so an ancestor
 * that is gone does not cost an open() per event. */
#define ABSENT_TTL_NS (INT64_C(1) * 1000000000)

/*
 * Reads pid from /proc into t->scratch and inserts it as the newest
 * entry for pid.  Returns the entry or NULL (gone, not seeded, no room).
 */
struct pt_entry *vigil__pt_fill_from_procfs(struct vigil_proctable *t,
					    int32_t pid)
{
	size_t slot = (size_t)pid % ABSENT_SLOTS;
	struct vigil_process p;
	struct pt_entry *e = NULL;
	int64_t now;

	if (!t->have_procfs || pid <= 0)
		return NULL;
	now = vigil_monotonic_ns();
	if (t->absent[slot].pid == pid && t->absent[slot].until_ns > now)
		return NULL;
	vigil_arena_reset(&t->scratch);
	e = pt_find_newest(t, pid);
	if (vigil_procfs_read(&t->procfs, pid, VIGIL_PROCFS_ALL, &t->scratch,
			      &p) ||
	    (e && pt_is_exited(e) && pt_same_start(e, p.start_time_ns))) {
		/* Gone; or the zombie of a process whose exit was read,
		 * which must not come back as a live entry. */
		t->absent[slot].pid = pid;
		t->absent[slot].until_ns = now + ABSENT_TTL_NS;
		return NULL;
	}
	e = vigil__pt_entry_get(t);
	if (!e)
		return NULL;
	if (vigil__pt_entry_store(t, e, &p)) {
		pt_entry_unget(t, e);
		return NULL;
	}
	vigil__pt_entry_link(t, e);
	t->stats.procfs_fills++;
	return e;
}

/* Seeds one pid: new entry, update of the same process, or pid reuse. */
static int seed_one(struct vigil_proctable *t, int32_t pid, int64_t now_ns)
{
	struct vigil_process p;
	struct pt_entry *e;
	int rc;

	vigil_arena_reset(&t->scratch);
	rc = vigil_procfs_read(&t->procfs, pid, VIGIL_PROCFS_ALL, &t->scratch,
			       &p);
	if (rc)
		return rc == -ENOMEM ? rc : 0; /* gone, or unreadable */
	e = pt_find_newest(t, pid);
	if (e && pt_is_exited(e) && pt_same_start(e, p.start_time_ns)) {
		if (!e->exit_guessed)
			return 0; /* the zombie of a process seen exiting */
		/* its exec took it for gone: it is not */
		vigil__pt_revive(t, e);
	}
	if (e && pt_is_exited(e))
		e = NULL;
	if (e && e->proc.start_time_ns && p.start_time_ns &&
	    (e->proc.start_time_ns > p.start_time_ns + TIME_SLACK_NS ||
	     e->proc.start_time_ns < p.start_time_ns - TIME_SLACK_NS)) {
		vigil__pt_mark_exited(t, e, now_ns);
		t->stats.pid_reuse++;
		e = NULL;
	}
	if (e) {
		/* Keep the more precise start time a fork gave us. */
		if (e->proc.start_time_ns)
			p.start_time_ns = e->proc.start_time_ns;
		rc = vigil__pt_entry_store(t, e, &p);
		if (rc)
			return rc;
		e->seen = t->seed_gen;
		return 0;
	}
	e = vigil__pt_insert(t, &p);
	if (!e)
		return -ENOMEM;
	e->seen = t->seed_gen;
	return 0;
}

int vigil_proctable_seed(struct vigil_proctable *t, const char *procfs_root)
{
	struct vigil_procfs pf;
	struct pt_entry *e, *next;
	struct dirent *de;
	int64_t now = vigil_now_ns();
	char *root_copy;
	DIR *dir;
	int rc, dfd;

	root_copy = strdup(procfs_root);
	if (!root_copy)
		return -ENOMEM;
	rc = vigil_procfs_open(&pf, procfs_root);
	if (rc) {
		free(root_copy);
		return rc;
	}
	dfd = openat(pf.root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		rc = -errno;
		goto out_close_procfs;
	}
	dir = fdopendir(dfd);
	if (!dir) {
		rc = -errno;
		close(dfd);
		goto out_close_procfs;
	}
	if (t->have_procfs)
		vigil_procfs_close(&t->procfs);
	free(t->procfs_root);
	t->procfs_root = root_copy;
	t->procfs = pf;
	t->have_procfs = true;
	t->seed_gen++;
	while ((de = readdir(dir))) {
		char *end;
		long v = strtol(de->d_name, &end, 10);

		if (*end || v <= 0 || v > INT32_MAX || de->d_name[0] < '0' ||
		    de->d_name[0] > '9')
			continue;
		rc = seed_one(t, (int32_t)v, now);
		if (rc)
			break;
	}
	closedir(dir);
	if (rc)
		return rc;
	for (e = t->live.head; e; e = next) {
		next = e->next;
		if (e->seen != t->seed_gen)
			vigil__pt_mark_exited(t, e, now);
	}
	vigil_proctable_expire(t, now);
	return 0;

out_close_procfs:
	vigil_procfs_close(&pf);
	free(root_copy);
	return rc;
}

int vigil_proctable_resync(struct vigil_proctable *t)
{
	char *root;
	int rc;

	if (!t->procfs_root)
		return -ENOENT;
	/* seed replaces t->procfs_root: hand it a copy. */
	root = strdup(t->procfs_root);
	if (!root)
		return -ENOMEM;
	rc = vigil_proctable_seed(t, root);
	free(root);
	return rc;
}

int vigil_proctable_refresh(struct vigil_proctable *t, int32_t pid)
{
	struct vigil_process p;
	struct pt_entry *e;
	int rc;

	if (!t->have_procfs)
		return -ENOENT;
	e = pt_find_live(t, pid);
	vigil_arena_reset(&t->scratch);
	/* An exec changes only the image: with an entry, the rest (cwd,
	 * tty, cgroup, login ids) is kept and not read again. */
	rc = vigil_procfs_read(&t->procfs, pid,
			       e ? VIGIL_PROCFS_IMAGE : VIGIL_PROCFS_ALL,
			       &t->scratch, &p);
	if (rc)
		return rc;
	if (e && e->proc.start_time_ns && p.start_time_ns &&
	    (p.start_time_ns > e->proc.start_time_ns + TIME_SLACK_NS ||
	     p.start_time_ns < e->proc.start_time_ns - TIME_SLACK_NS)) {
		/* Another process has the pid now: its fork was lost. */
		vigil__pt_mark_exited(t, e, p.start_time_ns);
		t->stats.pid_reuse++;
		e = NULL;
		vigil_arena_reset(&t->scratch);
		rc = vigil_procfs_read(&t->procfs, pid, VIGIL_PROCFS_ALL,
				       &t->scratch, &p);
		if (rc)
			return rc;
	}
	if (e && e->proc.start_time_ns) {
		/* The fork time is more precise than /proc's. */
		p.start_time_ns = e->proc.start_time_ns;
	}
	if (e)
		vigil__pt_merge_missing(&p, &e->proc, false);
	p.flags &= ~VIGIL_PROC_FROM_PROCFS;
	if (e) {
		rc = vigil__pt_entry_store(t, e, &p);
		if (!rc)
			vigil__pt_touch(t, e);
		return rc;
	}
	return vigil__pt_insert(t, &p) ? 0 : -ENOSPC;
}

unsigned vigil_proctable_check_live(struct vigil_proctable *t, int64_t now_ns,
				    unsigned max_checks)
{
	struct pt_entry *e, *next;
	struct vigil_process p;
	unsigned n, gone = 0;
	int rc;

	if (!t->have_procfs)
		return 0;
	e = t->check_next ? t->check_next : t->live.head;
	for (n = 0; e && n < max_checks; n++, e = next) {
		next = e->next;
		if (e->proc.pid <= 0)
			continue;
		vigil_arena_reset(&t->scratch);
		/* stat only: the pid directory and the start time */
		rc = vigil_procfs_read(&t->procfs, e->proc.pid, 0, &t->scratch,
				       &p);
		if (rc == -ENOENT || rc == -ESRCH) {
			vigil__pt_mark_exited(t, e, now_ns);
			t->stats.vanished++;
			gone++;
		} else if (!rc && e->proc.start_time_ns && p.start_time_ns &&
			   !pt_same_start(e, p.start_time_ns)) {
			/* another process has the pid: its fork and this
			 * one's exit were both lost */
			vigil__pt_mark_exited(t, e, now_ns);
			t->stats.vanished++;
			t->stats.pid_reuse++;
			gone++;
		}
	}
	t->check_next = e; /* NULL: from the head next time */
	return gone;
}
