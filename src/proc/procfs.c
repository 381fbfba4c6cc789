/*
 * procfs.c - the one reader of /proc files (see procfs.h): one
 * process's context from /proc/PID, the pid list and fd links.
 *
 * Everything under /proc/PID is written by a process that may be hostile
 * (comm and cmdline are its own choice) and may vanish between two reads.
 * Files are read whole into bounded buffers, parsed with explicit lengths,
 * and every piece after stat is optional.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/major.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "proc/cgroup.h"
#include "proc/procfs.h"

/* PF_KTHREAD from include/linux/sched.h: not exported to user space, but
 * the stat "flags" field has carried it with this value since 2.6.27. */
#define VIGIL_PF_KTHREAD 0x00200000u

/* The tty minors the kernel names ttyN; above them come the ttySN ports
 * (drivers/tty/vt/vt.c MAX_NR_CONSOLES, serial core's TTY_MAJOR minors). */
#define VIGIL_TTY_VT_MINORS 64
/* /dev/console is TTYAUX_MAJOR:1, /dev/tty is TTYAUX_MAJOR:0. */
#define VIGIL_TTYAUX_CONSOLE_MINOR 1

/* Bounds for the small files; stat and status are well under a page. */
#define STAT_MAX 1024
#define STATUS_MAX 8192
#define CGROUP_MAX 8192
#define ID_FILE_MAX 32

#define NS_PER_S UINT64_C(1000000000)
#define VIGIL_MAX_UPTIME_S (UINT64_C(100) * 366 * 24 * 3600)

/*
 * Reads the file name (relative to dirfd) into buf, at most size - 1
 * bytes, NUL-terminated.  *truncated is set when the file held more.
 * Returns the length or a negative errno.
 */
static ssize_t read_file_at(int dirfd, const char *name, char *buf,
			    size_t size, bool *truncated)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	if (truncated)
		*truncated = false;
	buf[0] = '\0';
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno ? -errno : -EIO;
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == size - 1 && truncated) {
		char extra;

		while ((n = read(fd, &extra, 1)) < 0 && errno == EINTR)
			;
		*truncated = n > 0;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

/* readlinkat into buf (NUL-terminated); returns the length or -errno. */
static ssize_t read_link_at(int dirfd, const char *name, char *buf,
			    size_t size)
{
	ssize_t n = readlinkat(dirfd, name, buf, size);

	if (n < 0)
		return -errno;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return n;
}

/* Parses a decimal unsigned number at *p (advancing it); false if none. */
static bool parse_u64(const char **p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	const char *s = *p;

	if (s >= end || *s < '0' || *s > '9')
		return false;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return true;
}

static bool parse_i64(const char **p, const char *end, int64_t *out)
{
	bool neg = false;
	uint64_t v;

	if (*p < end && **p == '-') {
		neg = true;
		(*p)++;
	}
	if (!parse_u64(p, end, &v) || v > (uint64_t)INT64_MAX)
		return false;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

int vigil_procfs_parse_stat(const char *text, size_t len,
			    struct vigil_procfs_stat *out)
{
	/* Fields after "(comm)", numbered from 3 as in proc(5). */
	enum { F_STATE = 3, F_PPID = 4, F_TTY_NR = 7, F_FLAGS = 9,
	       F_STARTTIME = 22 };
	const char *end = text + len, *open, *close = NULL, *p;
	int64_t v;
	int field;

	memset(out, 0, sizeof(*out));
	p = text;
	if (!parse_i64(&p, end, &v) || v <= 0 || v > INT32_MAX)
		return -EINVAL;
	out->pid = (int32_t)v;
	if (p + 2 > end || p[0] != ' ' || p[1] != '(')
		return -EINVAL;
	open = p + 1;
	for (p = open + 1; p < end; p++)
		if (*p == ')')
			close = p;
	if (!close)
		return -EINVAL;
	out->comm.ptr = open + 1;
	out->comm.len = (uint32_t)(close - open - 1);
	p = close + 1;
	for (field = F_STATE; field <= F_STARTTIME; field++) {
		if (p >= end || *p != ' ')
			return -EINVAL;
		p++;
		if (field == F_STATE) {
			if (p >= end || *p == ' ')
				return -EINVAL;
			p++;
			continue;
		}
		if (!parse_i64(&p, end, &v))
			return -EINVAL;
		switch (field) {
		case F_PPID:
			if (v < 0 || v > INT32_MAX)
				return -EINVAL;
			out->ppid = (int32_t)v;
			break;
		case F_TTY_NR:
			out->tty_nr = (uint32_t)v;
			break;
		case F_FLAGS:
			out->flags = (uint32_t)v;
			break;
		case F_STARTTIME:
			if (v < 0)
				return -EINVAL;
			out->start_ticks = (uint64_t)v;
			break;
		default:
			break;
		}
	}
	return 0;
}

size_t vigil_procfs_tty_name(uint32_t tty_nr, char *out, size_t size)
{
	unsigned maj = major(tty_nr), min = minor(tty_nr);
	int n;

	if (size == 0)
		return 0;
	out[0] = '\0';
	if (tty_nr == 0)
		return 0;
	if (maj >= UNIX98_PTY_SLAVE_MAJOR &&
	    maj < UNIX98_PTY_SLAVE_MAJOR + UNIX98_PTY_MAJOR_COUNT)
		n = snprintf(out, size, "pts%u",
			     (maj - UNIX98_PTY_SLAVE_MAJOR) * 256 + min);
	else if (maj == TTY_MAJOR && min < VIGIL_TTY_VT_MINORS)
		n = snprintf(out, size, "tty%u", min);
	else if (maj == TTY_MAJOR)
		n = snprintf(out, size, "ttyS%u", min - VIGIL_TTY_VT_MINORS);
	else if (maj == TTYAUX_MAJOR && min == VIGIL_TTYAUX_CONSOLE_MINOR)
		n = snprintf(out, size, "console");
	else
		return 0;
	if (n < 0 || (size_t)n >= size) {
		out[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

/*
 * Finds "key" at the start of a line of status text and parses up to four
 * whitespace-separated unsigned numbers after it.  Returns how many.
 */
static int status_ids(const char *text, size_t len, const char *key,
		      uint32_t ids[4])
{
	const char *p = text, *end = text + len;
	size_t kl = strlen(key);
	int n = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;

		if ((size_t)(eol - p) > kl && memcmp(p, key, kl) == 0) {
			p += kl;
			while (n < 4) {
				uint64_t v;

				while (p < eol && (*p == ' ' || *p == '\t'))
					p++;
				if (!parse_u64(&p, eol, &v) || v > UINT32_MAX)
					break;
				ids[n++] = (uint32_t)v;
			}
			return n;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

/* Reads a file holding one unsigned decimal id (loginuid, sessionid). */
static uint32_t read_id_file(int dirfd, const char *name)
{
	char buf[ID_FILE_MAX];
	const char *p = buf;
	uint64_t v;
	ssize_t n = read_file_at(dirfd, name, buf, sizeof(buf), NULL);

	if (n <= 0 || !parse_u64(&p, buf + n, &v) || v > UINT32_MAX)
		return VIGIL_ID_UNSET;
	return (uint32_t)v;
}

/*
 * Splits a NUL-separated command line into p->argv (in arena a), bounded
 * by VIGIL_ARGV_MAX_ARGS; truncated says the text was already cut.
 */
static int split_cmdline(struct vigil_arena *a, const char *text, size_t len,
			 bool truncated, struct vigil_process *p)
{
	uint32_t n = 0, i = 0;
	const char *s, *end = text + len;
	char *copy;

	if (len == 0)
		return 0;
	/* The kernel ends the last argument with a NUL; a process that
	 * rewrote its title may not. */
	if (text[len - 1] == '\0')
		end--;
	for (s = text; s <= end; s++)
		if (s == end || *s == '\0')
			n++;
	if (n > VIGIL_ARGV_MAX_ARGS) {
		n = VIGIL_ARGV_MAX_ARGS;
		truncated = true;
	}
	copy = vigil_arena_alloc(a, len + 1);
	p->argv.v = vigil_arena_alloc(a, n * sizeof(*p->argv.v));
	if (!copy || !p->argv.v)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	s = copy;
	end = copy + (end - text);
	while (i < n) {
		const char *z = memchr(s, '\0', (size_t)(end - s));
		const char *e = z ? z : end;

		p->argv.v[i].ptr = s;
		p->argv.v[i].len = (uint32_t)(e - s);
		i++;
		s = e + 1;
	}
	p->argv.n = n;
	if (truncated)
		p->flags |= VIGIL_PROC_ARGV_TRUNCATED;
	return 0;
}

/* The container and unit parts from the cgroup file; buf holds at least
 * CGROUP_MAX bytes. */
static int fill_cgroup(int dirfd, char *buf, struct vigil_arena *a,
		       struct vigil_process *p)
{
	struct vigil_cgroup_info info;
	ssize_t n;
	int rc = 0;

	n = read_file_at(dirfd, "cgroup", buf, CGROUP_MAX, NULL);
	if (n <= 0)
		return 0;
	vigil_cgroup_parse(buf, (size_t)n, &info);
	if (info.container_id[0]) {
		rc = vigil_arena_str(a, &p->container.id, info.container_id,
				     strlen(info.container_id));
		if (!rc)
			p->container.runtime = vigil_str_c(info.runtime);
	}
	if (!rc && info.pod_uid[0])
		rc = vigil_arena_str(a, &p->container.pod_uid, info.pod_uid,
				     strlen(info.pod_uid));
	if (!rc && info.unit[0])
		rc = vigil_arena_str(a, &p->unit, info.unit,
				     strlen(info.unit));
	return rc;
}

/* tty from stat's tty_nr; for a device we do not name, fd/0's link. */
static int fill_tty(int dirfd, uint32_t tty_nr, struct vigil_arena *a,
		    struct vigil_process *p)
{
	char name[PATH_MAX];
	size_t n = vigil_procfs_tty_name(tty_nr, name, sizeof(name));
	ssize_t ln;

	if (n)
		return vigil_arena_str(a, &p->tty, name, n);
	if (tty_nr == 0)
		return 0;
	ln = read_link_at(dirfd, "fd/0", name, sizeof(name));
	if (ln <= 5 || strncmp(name, "/dev/", 5) != 0)
		return 0;
	/* "/dev/pts/3" -> "pts3", as audit names it. */
	n = 0;
	for (const char *s = name + 5; *s; s++)
		if (*s != '/')
			name[n++] = *s;
	name[n] = '\0';
	return vigil_arena_str(a, &p->tty, name, n);
}

int vigil_procfs_read(struct vigil_procfs *pf, int32_t pid, unsigned what,
		      struct vigil_arena *a, struct vigil_process *p)
{
	struct vigil_procfs_stat st;
	char dir[16], stat_buf[STAT_MAX], path[PATH_MAX];
	char *big = pf->buf;
	uint32_t ids[4];
	bool truncated;
	ssize_t n;
	int dirfd, rc;

	vigil_process_clear(p);
	if (pid <= 0)
		return -EINVAL;
	snprintf(dir, sizeof(dir), "%" PRId32, pid);
	dirfd = openat(pf->root_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	n = read_file_at(dirfd, "stat", stat_buf, sizeof(stat_buf), NULL);
	if (n < 0) {
		rc = (int)n;
		goto out_close_dir;
	}
	rc = vigil_procfs_parse_stat(stat_buf, (size_t)n, &st);
	if (rc)
		goto out_close_dir;
	if (st.pid != pid) {
		rc = -EINVAL;
		goto out_close_dir;
	}
	p->pid = p->tid = pid;
	p->ppid = st.ppid;
	p->flags = VIGIL_PROC_FROM_PROCFS;
	if (st.flags & VIGIL_PF_KTHREAD)
		p->flags |= VIGIL_PROC_KTHREAD;
	/* A start time beyond a century of uptime is nonsense: leave it
	 * unknown rather than overflow. */
	if (pf->clk_tck > 0 &&
	    st.start_ticks / (uint64_t)pf->clk_tck < VIGIL_MAX_UPTIME_S)
		p->start_time_ns = pf->boot_time_ns +
				   (int64_t)(st.start_ticks *
					     (NS_PER_S / (uint64_t)pf->clk_tck));
	rc = vigil_arena_str(a, &p->comm, st.comm.ptr, st.comm.len);
	if (rc)
		goto out_close_dir;

	if (what & VIGIL_PROCFS_IMAGE)
		what |= VIGIL_PROCFS_IDS | VIGIL_PROCFS_EXE | VIGIL_PROCFS_ARGV;
	n = what & VIGIL_PROCFS_IDS ?
		read_file_at(dirfd, "status", big, STATUS_MAX, NULL) : 0;
	if (n > 0) {
		if (status_ids(big, (size_t)n, "Uid:", ids) == 4) {
			p->uid = ids[0];
			p->euid = ids[1];
			p->suid = ids[2];
			p->fsuid = ids[3];
		}
		if (status_ids(big, (size_t)n, "Gid:", ids) == 4) {
			p->gid = ids[0];
			p->egid = ids[1];
			p->sgid = ids[2];
			p->fsgid = ids[3];
		}
	}
	n = what & VIGIL_PROCFS_ARGV ?
		read_file_at(dirfd, "cmdline", big, VIGIL_ARGV_MAX_BYTES + 1,
			     &truncated) : 0;
	if (n > 0) {
		rc = split_cmdline(a, big, (size_t)n, truncated, p);
		if (rc)
			goto out_close_dir;
	}
	n = what & VIGIL_PROCFS_EXE ?
		read_link_at(dirfd, "exe", path, sizeof(path)) : 0;
	if (n > 0) {
		rc = vigil_arena_str(a, &p->file.path, path, (size_t)n);
		if (rc)
			goto out_close_dir;
	}
	if (!(what & VIGIL_PROCFS_CONTEXT)) {
		if (what & VIGIL_PROCFS_CGROUP)
			rc = fill_cgroup(dirfd, big, a, p);
		goto out_close_dir;
	}
	p->auid = read_id_file(dirfd, "loginuid");
	p->session_id = read_id_file(dirfd, "sessionid");
	n = read_link_at(dirfd, "cwd", path, sizeof(path));
	if (n > 0) {
		rc = vigil_arena_str(a, &p->cwd, path, (size_t)n);
		if (rc)
			goto out_close_dir;
	}
	rc = fill_tty(dirfd, st.tty_nr, a, p);
	if (rc)
		goto out_close_dir;
	rc = fill_cgroup(dirfd, big, a, p);
out_close_dir:
	close(dirfd);
	return rc;
}

/*
 * Reads "btime" (boot time, seconds since the epoch) from <root>/stat.  The
 * file grows with the CPU and interrupt count and btime comes after the
 * long "intr" line, so it is read line by line rather than bounded.
 */
static int read_boot_time(int root_fd, int64_t *out_ns)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int fd, rc = -EINVAL;

	fd = openat(root_fd, "stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "re");
	if (!f) {
		rc = -errno;
		close(fd);
		return rc;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		const char *p = line + 6;
		uint64_t v;

		if (n <= 6 || memcmp(line, "btime ", 6) != 0)
			continue;
		if (parse_u64(&p, line + n, &v) &&
		    v < (uint64_t)INT64_MAX / 1000000000 / 2) {
			*out_ns = (int64_t)v * 1000000000;
			rc = 0;
		}
		break;
	}
	free(line);
	fclose(f);
	return rc;
}

int vigil_procfs_open(struct vigil_procfs *pf, const char *root)
{
	int rc;

	pf->buf = NULL;
	pf->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pf->root_fd < 0)
		return -errno;
	pf->clk_tck = sysconf(_SC_CLK_TCK);
	rc = read_boot_time(pf->root_fd, &pf->boot_time_ns);
	if (rc)
		goto out_close_root;
	pf->buf = malloc(VIGIL_ARGV_MAX_BYTES + 1);
	if (!pf->buf) {
		rc = -ENOMEM;
		goto out_close_root;
	}
	return 0;

out_close_root:
	close(pf->root_fd);
	pf->root_fd = -1;
	return rc;
}

void vigil_procfs_close(struct vigil_procfs *pf)
{
	if (pf->root_fd >= 0)
		close(pf->root_fd);
	pf->root_fd = -1;
	free(pf->buf);
	pf->buf = NULL;
}

/* ---- walking /proc ---- */

#define SOCKET_LINK_PREFIX "socket:["
/* "socket:[" + 20 digits + "]" fits; longer links are not sockets. */
#define FD_LINK_MAX 64

ssize_t vigil_procfs_pids(const struct vigil_procfs *pf, int32_t *out,
			  size_t max)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int fd;

	fd = openat(pf->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	while (n < max && (de = readdir(d))) {
		const char *p = de->d_name;
		int64_t v;

		if (*p < '1' || *p > '9')
			continue;
		if (!parse_i64(&p, p + strlen(p), &v) || *p || v <= 0 ||
		    v > INT32_MAX)
			continue;
		out[n++] = (int32_t)v;
	}
	closedir(d);
	return (ssize_t)n;
}

int vigil_procfs_pid_dir(const struct vigil_procfs *pf, int32_t pid)
{
	char dir[16];
	int fd;

	if (pid <= 0)
		return -EINVAL;
	snprintf(dir, sizeof(dir), "%" PRId32, pid);
	fd = openat(pf->root_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

bool vigil_procfs_alive(const struct vigil_procfs *pf, int32_t pid)
{
	char name[32], link[FD_LINK_MAX];

	snprintf(name, sizeof(name), "%" PRId32 "/exe", pid);
	return readlinkat(pf->root_fd, name, link, sizeof(link)) >= 0 ||
	       errno != ENOENT;
}

uint64_t vigil_procfs_socket_inode(const char *link, size_t len)
{
	const size_t plen = sizeof(SOCKET_LINK_PREFIX) - 1;
	uint64_t v = 0;
	size_t i;

	if (len <= plen + 1 || memcmp(link, SOCKET_LINK_PREFIX, plen) ||
	    link[len - 1] != ']')
		return 0;
	for (i = plen; i < len - 1; i++) {
		if (link[i] < '0' || link[i] > '9' || v > UINT64_MAX / 10)
			return 0;
		v = v * 10 + (uint64_t)(link[i] - '0');
	}
	return v;
}

size_t vigil_procfs_fd_sockets(int pid_dfd, size_t budget,
			       void (*fn)(uint64_t inode, void *arg),
			       void *arg)
{
	struct dirent *de;
	size_t links = 0;
	DIR *fds;
	int fdd;

	fdd = openat(pid_dfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fdd < 0)
		return 0;
	fds = fdopendir(fdd);
	if (!fds) {
		close(fdd);
		return 0;
	}
	while (links < budget && (de = readdir(fds))) {
		char link[FD_LINK_MAX];
		uint64_t ino;
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		links++;
		n = readlinkat(fdd, de->d_name, link, sizeof(link));
		if (n <= 0 || (size_t)n >= sizeof(link))
			continue;
		ino = vigil_procfs_socket_inode(link, (size_t)n);
		if (ino)
			fn(ino, arg);
	}
	closedir(fds);
	return links;
}
