/*
 * fim_proc.c - the acting process of a file event, from /proc, and
 * whether a package manager is behind it.
 *
 * fanotify gives only a pid; the process may already be gone (a short
 * `sed -i`), in which case the event keeps the pid and nothing else.  The
 * pipeline adds ancestry later; here we read just enough for the event
 * itself and for the package-manager walk.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fim.h"

#define PROC_STAT_MAX 1024
#define PROC_STATUS_MAX 4096

/* Reads a small /proc file into buf (NUL-terminated).  Returns its
 * length or a negative errno. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - (size_t)total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += n;
	}
	close(fd);
	buf[total] = '\0';
	return total;
}

/*
 * Parses /proc/PID/stat: "pid (comm) S ppid ...".  comm may hold spaces
 * and parentheses, so it ends at the last ')'.  Copies comm (at most
 * comm_size - 1 bytes) and returns 0, or -EINVAL.
 */
static int parse_stat(const char *buf, char *comm, size_t comm_size,
		      int32_t *ppid)
{
	const char *open_p = strchr(buf, '(');
	const char *close_p = strrchr(buf, ')');
	size_t n;
	long v;
	char *end;

	if (!open_p || !close_p || close_p < open_p)
		return -EINVAL;
	n = (size_t)(close_p - open_p - 1);
	if (n >= comm_size)
		n = comm_size - 1;
	memcpy(comm, open_p + 1, n);
	comm[n] = '\0';
	/* ") S ppid" */
	if (close_p[1] != ' ' || close_p[2] == '\0' || close_p[3] != ' ')
		return -EINVAL;
	errno = 0;
	v = strtol(close_p + 4, &end, 10);
	if (errno || end == close_p + 4 || v < 0 || v > INT32_MAX)
		return -EINVAL;
	*ppid = (int32_t)v;
	return 0;
}

/* Reads "Key:\tA\tB\tC\tD" id lines from /proc/PID/status. */
static void parse_ids(const char *buf, const char *key, uint32_t out[4])
{
	const char *p = strstr(buf, key);
	char *end;

	if (!p)
		return;
	p += strlen(key);
	for (int i = 0; i < 4; i++) {
		unsigned long v;

		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno || end == p || v > UINT32_MAX)
			return;
		out[i] = (uint32_t)v;
		p = end;
	}
}

int vigil_fim_proc_fill(struct vigil_process *p, struct vigil_arena *a,
			const char *procroot, int32_t pid)
{
	char path[PATH_MAX], buf[PROC_STATUS_MAX], comm[64];
	uint32_t uids[4] = { VIGIL_ID_UNSET, VIGIL_ID_UNSET, VIGIL_ID_UNSET,
			     VIGIL_ID_UNSET };
	uint32_t gids[4] = { VIGIL_ID_UNSET, VIGIL_ID_UNSET, VIGIL_ID_UNSET,
			     VIGIL_ID_UNSET };
	int32_t ppid;
	ssize_t n;

	p->pid = pid;
	p->tid = pid;
	snprintf(path, sizeof(path), "%s/%d/stat", procroot, pid);
	n = read_small(path, buf, PROC_STAT_MAX);
	if (n < 0)
		return -ESRCH;
	if (parse_stat(buf, comm, sizeof(comm), &ppid) == 0) {
		p->ppid = ppid;
		if (vigil_arena_str(a, &p->comm, comm, strlen(comm)))
			return -ENOMEM;
	}
	snprintf(path, sizeof(path), "%s/%d/status", procroot, pid);
	if (read_small(path, buf, sizeof(buf)) > 0) {
		parse_ids(buf, "\nUid:", uids);
		parse_ids(buf, "\nGid:", gids);
		p->uid = uids[0];
		p->euid = uids[1];
		p->suid = uids[2];
		p->fsuid = uids[3];
		p->gid = gids[0];
		p->egid = gids[1];
		p->sgid = gids[2];
		p->fsgid = gids[3];
	}
	snprintf(path, sizeof(path), "%s/%d/exe", procroot, pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n > 0 && vigil_arena_str(a, &p->file.path, buf, (size_t)n))
		return -ENOMEM;
	p->flags |= VIGIL_PROC_FROM_PROCFS;
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

const char *vigil_fim_package_manager(const char *procroot, int32_t pid)
{
	char path[PATH_MAX], buf[PROC_STAT_MAX], comm[64];
	const char *name;
	int32_t ppid;

	for (int depth = 0; depth < VIGIL_FIM_PKG_DEPTH && pid > 1; depth++) {
		snprintf(path, sizeof(path), "%s/%d/stat", procroot, pid);
		if (read_small(path, buf, sizeof(buf)) <= 0 ||
		    parse_stat(buf, comm, sizeof(comm), &ppid))
			return NULL;
		name = vigil_fim_package_manager_comm(comm);
		if (name)
			return name;
		if (ppid == pid)
			return NULL;
		pid = ppid;
	}
	return NULL;
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
