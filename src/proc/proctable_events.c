/*
 * proctable_events.c - the process table kept current by the sources:
 * fork, exec (audit; in whatever order it arrives against the proc
 * connector's fork and exit), the connector's exec and exit, credential
 * and comm changes.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "proc/proctable_int.h"
#include "util.h"

int vigil_proctable_on_fork(struct vigil_proctable *t, int32_t ppid,
			    int32_t pid, int64_t time_ns)
{
	struct pt_entry *parent, *e;
	struct vigil_process child;
	uint64_t parent_pin = 0;

	if (pid <= 0)
		return -EINVAL;
	vigil_proctable_expire(t, time_ns);
	e = pt_find_newest(t, pid);
	/* An exec read before this fork took the process for gone, as
	 * /proc no longer had it: its exit message, if any, is still to
	 * come (the connector sends it after the fork's). */
	if (e && e->exit_guessed && e->proc.ppid == ppid &&
	    e->exit_time_ns + TIME_SLACK_NS >= time_ns)
		vigil__pt_revive(t, e);
	if (e && pt_is_exited(e))
		e = NULL;
	if (e && e->proc.ppid == ppid &&
	    (!e->proc.start_time_ns ||
	     e->proc.start_time_ns + TIME_SLACK_NS >= time_ns)) {
		/* This very process, whose exec was read first (its
		 * record overtook the fork's message; a previous owner of
		 * the pid started before this fork): keep its image. */
		if (!e->proc.start_time_ns) {
			e->proc.start_time_ns = time_ns;
			e->fork_start = true;
		}
		vigil__pt_touch(t, e);
		return 0;
	}
	if (e) {
		/* The exit of the previous owner of pid was lost. */
		vigil__pt_mark_exited(t, e, time_ns);
		t->stats.pid_reuse++;
	}
	parent = pt_find_live(t, ppid);
	if (!parent) {
		e = vigil__pt_fill_from_procfs(t, pid);
		if (e) {
			e->proc.start_time_ns = time_ns;
			e->fork_start = true;
			return 0;
		}
		vigil_process_clear(&child);
	} else {
		vigil__pt_touch(t, parent);
		parent_pin = parent->pin;
		parent->pin = t->gen; /* its strings are the child's source */
		child = parent->proc;
	}
	child.pid = child.tid = pid;
	child.ppid = ppid;
	child.start_time_ns = time_ns;
	child.flags &= ~(VIGIL_PROC_EXITED | VIGIL_PROC_FROM_PROCFS);
	e = vigil__pt_insert(t, &child);
	if (parent)
		parent->pin = parent_pin;
	if (!e)
		return -ENOSPC;
	e->fork_start = true;
	return 0;
}

/*
 * The process is gone, or a zombie, before its exec was read (a
 * short-lived child; the kernel moves an exiting task out of its cgroups,
 * so a zombie's /proc/PID/cgroup shows the roots): it was in the cgroup
 * its parent was in when it forked, which the parent's own exec may have
 * shown after the fork was read (a runtime's init moved into the
 * container, then forked).  Takes the parent's container, copied into
 * scratch2, when the parent has one.
 */
static void inherit_container(struct vigil_proctable *t,
			      struct vigil_process *np)
{
	struct pt_entry *pe =
		vigil__pt_find_at(t, np->ppid, np->start_time_ns);
	const struct vigil_container *c;

	if (!pe || !pe->proc.container.id.len)
		return;
	c = &pe->proc.container;
	if (vigil_arena_str(&t->scratch2, &np->container.id, c->id.ptr,
			    c->id.len) ||
	    vigil_arena_str(&t->scratch2, &np->container.runtime,
			    c->runtime.ptr, c->runtime.len) ||
	    vigil_arena_str(&t->scratch2, &np->container.pod_uid,
			    c->pod_uid.ptr, c->pod_uid.len))
		memset(&np->container, 0, sizeof(np->container));
}

/*
 * The exec of a process whose exit was read first (a short-lived child:
 * the proc connector's exit overtakes the exec that audit delivers up to
 * a read interval later).  The image goes on the exited entry, which
 * stays exited: the exit will not come again.  /proc is not read, since
 * the pid is gone or already another process's.  Returns 0 or -ENOMEM.
 */
static int exec_exited(struct vigil_proctable *t, struct pt_entry *e,
		       struct vigil_process *np)
{
	vigil__pt_merge_missing(np, &e->proc, false);
	if (!np->container.id.len && !np->container.pod_uid.len &&
	    np->ppid > 0) {
		vigil_arena_reset(&t->scratch2);
		inherit_container(t, np);
	}
	np->flags &= ~VIGIL_PROC_FROM_PROCFS;
	np->flags |= VIGIL_PROC_EXITED; /* e stays on the exited list */
	np->user.len = np->group.len = 0;
	return vigil__pt_entry_store(t, e, np);
}

int vigil_proctable_on_exec(struct vigil_proctable *t,
			    const struct vigil_process *p, int64_t time_ns)
{
	struct vigil_process np = *p;
	struct pt_entry *e, *newest;
	bool alive = true;
	int64_t ref;
	int rc;

	if (p->pid <= 0)
		return -EINVAL;
	e = vigil__pt_find_at(t, p->pid, time_ns);
	newest = pt_find_newest(t, p->pid);
	if (e && pt_is_exited(e))
		return exec_exited(t, e, &np);
	/* Every process the table has for pid started after this exec:
	 * its process came and went unseen, and has nowhere to go (an
	 * entry for it would hide the later ones). */
	if (!e && newest && time_ns && !pt_started_by(newest, time_ns))
		return 0;
	if (e) {
		/* Exec keeps pid, start, container, unit, tty, cwd. */
		vigil__pt_merge_missing(&np, &e->proc, false);
	}
	/* What /proc shows must have started by this exec to be its
	 * process, not a later owner of the pid. */
	ref = np.start_time_ns ? np.start_time_ns : time_ns;
	if (!e || !np.file.path.len || !np.argv.n) {
		struct vigil_process fresh;
		bool ok;

		vigil_arena_reset(&t->scratch);
		ok = t->have_procfs &&
		     !vigil_procfs_read(&t->procfs, p->pid,
					e ? VIGIL_PROCFS_IMAGE :
					    VIGIL_PROCFS_ALL,
					&t->scratch, &fresh) &&
		     (!ref || !fresh.start_time_ns ||
		      fresh.start_time_ns <= ref + TIME_SLACK_NS);
		/* Without an entry, /proc (when the table has one) tells
		 * whether the process lives; the zombie of the newest,
		 * exited, entry does not. */
		if (!e && t->have_procfs)
			alive = ok && !(newest && pt_is_exited(newest) &&
					pt_same_start(newest,
						   fresh.start_time_ns));
		if (ok && alive)
			vigil__pt_merge_missing(&np, &fresh, true);
	}
	/*
	 * A container runtime moves its init into the container's cgroup
	 * after the fork and then execs: the container shows only from the
	 * exec on.  Re-read the cgroup of an exec not yet in a container.
	 */
	if (!np.container.id.len && !np.container.pod_uid.len &&
	    t->have_procfs) {
		struct vigil_process cg;

		vigil_process_clear(&cg);
		vigil_arena_reset(&t->scratch2);
		if (alive &&
		    !vigil_procfs_read(&t->procfs, p->pid, VIGIL_PROCFS_CGROUP,
				       &t->scratch2, &cg) &&
		    (!np.start_time_ns || !cg.start_time_ns ||
		     cg.start_time_ns <= np.start_time_ns + TIME_SLACK_NS)) {
			np.container = cg.container;
			if (!np.unit.len)
				np.unit = cg.unit;
		}
		/* Gone, or a zombie (which the kernel already took out of
		 * its cgroups): the parent's container. */
		if (!np.container.id.len && !np.container.pod_uid.len &&
		    np.ppid > 0)
			inherit_container(t, &np);
	}
	np.flags &= ~(VIGIL_PROC_EXITED | VIGIL_PROC_FROM_PROCFS);
	np.user.len = np.group.len = 0;
	if (e) {
		rc = vigil__pt_entry_store(t, e, &np);
		if (!rc)
			vigil__pt_touch(t, e);
		return rc;
	}
	e = vigil__pt_insert(t, &np);
	if (!e)
		return -ENOSPC;
	if (!alive) {
		/* Gone before its exec was read, and its exit not read
		 * yet, if ever (lost, or no proc connector): it must not
		 * stay live.  A fork message still to come revives it. */
		vigil__pt_mark_exited(t, e, time_ns ? time_ns : t->now_ns);
		e->exit_guessed = true;
	}
	return 0;
}

int vigil_proctable_on_exit(struct vigil_proctable *t, int32_t pid,
			    int64_t time_ns)
{
	struct pt_entry *e = pt_find_newest(t, pid);

	if (e && !pt_is_exited(e)) {
		vigil__pt_mark_exited(t, e, time_ns);
	} else if (e && e->exit_guessed) {
		/* Its exec took it for gone: now the exit is known. */
		e->exit_guessed = false;
		e->exit_time_ns = time_ns;
		pt_list_remove(&t->exited, e);
		pt_list_append(&t->exited, e);
	} else {
		e = NULL;
	}
	vigil_proctable_expire(t, time_ns);
	return e ? 0 : -ENOENT;
}

int vigil_proctable_exec_seen(struct vigil_proctable *t, int32_t pid)
{
	struct pt_entry *e = pt_find_newest(t, pid);

	if (!e)
		return -ENOENT;
	if (pt_is_exited(e) && !e->exit_guessed) {
		/* The exit read was the old leader thread's: the process
		 * lives on in the thread that executed. */
		vigil__pt_revive(t, e);
		t->stats.leader_exec++;
	}
	return 0;
}

int vigil_proctable_on_ids(struct vigil_proctable *t, int32_t pid,
			   uint32_t ruid, uint32_t euid, uint32_t rgid,
			   uint32_t egid)
{
	struct pt_entry *e = pt_find_live(t, pid);

	if (!e)
		return -ENOENT;
	if (ruid != VIGIL_ID_UNSET)
		e->proc.uid = ruid;
	if (euid != VIGIL_ID_UNSET)
		e->proc.euid = e->proc.fsuid = euid;
	if (rgid != VIGIL_ID_UNSET)
		e->proc.gid = rgid;
	if (egid != VIGIL_ID_UNSET)
		e->proc.egid = e->proc.fsgid = egid;
	return 0;
}

int vigil_proctable_on_comm(struct vigil_proctable *t, int32_t pid,
			    const char *comm, size_t len)
{
	struct pt_entry *e = pt_find_live(t, pid);
	struct vigil_process np;

	if (!e)
		return -ENOENT;
	if (len > UINT32_MAX)
		return -EINVAL;
	np = e->proc;
	np.comm.ptr = comm;
	np.comm.len = (uint32_t)len;
	return vigil__pt_entry_store(t, e, &np);
}
