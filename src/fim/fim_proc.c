/*
 * fim_proc.c - the acting process of a file event, from /proc, and
 * whether a package manager is behind it.
 *
 * fanotify gives only a pid; the process may already be gone (a short
 * `sed -i`), in which case the event keeps the pid and nothing else.  The
 * pipeline adds ancestry later; here we read just enough for the event
 * itself and for the package-manager walk, through the one /proc reader
 * (src/proc/procfs.c).  Nothing is cached here: the source keeps the last
 * process it looked up (fim_track.c).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "fim.h"
#include "proc/procfs.h"

int vigil_fim_proc_fill(struct vigil_process *p, struct vigil_arena *a,
			struct vigil_procfs *pf, int32_t pid)
{
	int rc = vigil_procfs_read(pf, pid, VIGIL_PROCFS_IDS | VIGIL_PROCFS_EXE,
				   a, p);

	if (rc) {
		/* Gone (or unreadable): the event keeps the pid alone. */
		vigil_process_clear(p);
		p->pid = pid;
		p->tid = pid;
		return rc == -ENOMEM ? rc : -ESRCH;
	}
	return 0;
}

const char *vigil_fim_package_manager_comm(const char *comm)
{
	static const char *const names[] = {
		"dpkg", "rpm", "apt", "apt-get", "yum", "dnf",
	};
	/* comm is cut at TASK_COMM_LEN - 1 = 15 bytes: "unattended-upgr". */
	static const char unattended[] = "unattended-upgr";

	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(names); i++)
		if (!strcmp(comm, names[i]))
			return names[i];
	if (!strncmp(comm, unattended, sizeof(unattended) - 1))
		return "unattended-upgrade";
	return NULL;
}

const char *vigil_fim_package_manager(struct vigil_procfs *pf, int32_t pid)
{
	struct vigil_process p;
	struct vigil_arena a;
	const char *name = NULL;
	char comm[64];

	/* stat alone (comm, ppid); the arena holds one comm at a time. */
	vigil_arena_init(&a, 256);
	for (int depth = 0; depth < VIGIL_FIM_PKG_DEPTH && pid > 1; depth++) {
		vigil_arena_reset(&a);
		if (vigil_procfs_read(pf, pid, 0, &a, &p))
			break;
		snprintf(comm, sizeof(comm), "%.*s", (int)p.comm.len,
			 p.comm.ptr);
		name = vigil_fim_package_manager_comm(comm);
		if (name || p.ppid == pid)
			break;
		pid = p.ppid;
	}
	vigil_arena_free(&a);
	return name;
}

int vigil_fim_mark_self_delete(struct vigil_event *ev)
{
	const struct vigil_str exe = ev->process.file.path;
	const struct vigil_str path = ev->u.file.file.path;
	const size_t sfx = strlen(VIGIL_FIM_DELETED_SUFFIX);
	char *p;

	if (ev->type != VIGIL_EV_UNLINK || !exe.len || exe.len != path.len ||
	    memcmp(exe.ptr, path.ptr, exe.len) != 0)
		return 0;
	p = vigil_arena_alloc(ev->arena, exe.len + sfx + 1);
	if (!p)
		return -ENOMEM;
	memcpy(p, exe.ptr, exe.len);
	memcpy(p + exe.len, VIGIL_FIM_DELETED_SUFFIX, sfx + 1);
	ev->process.file.path.ptr = p;
	ev->process.file.path.len = (uint32_t)(exe.len + sfx);
	return 1;
}
