/*
 * procfs.h - the one reader of /proc files.
 *
 * Reads one process's context from /proc/PID: to seed the process table
 * at start, to fill a table miss while the process is still alive, after
 * an exec (proc connector), for the acting process of a file event (FIM)
 * and the sender of a DNS packet.  Also walks /proc for DNS attribution:
 * the pids, and the socket inodes behind a process's descriptors.  The
 * root is "/proc" on a host and a fixture tree in tests.  Nothing here
 * caches: the callers keep what serves them (see proctable_procfs.c,
 * fim_track.c, dns_attr.c).
 */
#ifndef VIGIL_PROCFS_H
#define VIGIL_PROCFS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <vigil/event.h>

#include "util.h"

/*
 * argv kept for a process: at most this many bytes of argument text and
 * this many arguments.  Longer command lines are cut at an argument
 * boundary where possible and flagged VIGIL_PROC_ARGV_TRUNCATED.
 */
#define VIGIL_ARGV_MAX_BYTES 65536
#define VIGIL_ARGV_MAX_ARGS 4096

/*
 * Process flag: argv was cut to the bounds above.  Proposed for
 * enum vigil_process_flags in vigil/event.h; defined here until then.
 */
#ifndef VIGIL_PROC_ARGV_TRUNCATED
#define VIGIL_PROC_ARGV_TRUNCATED (1u << 3)
#endif

/* A procfs mount, what converting its times needs, and a read buffer. */
struct vigil_procfs {
	int root_fd;          /* O_PATH|O_DIRECTORY descriptor of the root */
	int64_t boot_time_ns; /* "btime" of <root>/stat, wall clock */
	long clk_tck;         /* sysconf(_SC_CLK_TCK) */
	char *buf;            /* VIGIL_ARGV_MAX_BYTES + 1, reused by reads */
};

/* What vigil_procfs_read() reads. */
enum vigil_procfs_parts {
	/* What an exec changes: stat (comm, ppid, start), status (ids, as
	 * a set-id binary changes them), cmdline and exe. */
	VIGIL_PROCFS_IMAGE = 1u << 0,
	/* The rest: loginuid, sessionid, cwd, tty, cgroup. */
	VIGIL_PROCFS_CONTEXT = 1u << 1,
	VIGIL_PROCFS_ALL = VIGIL_PROCFS_IMAGE | VIGIL_PROCFS_CONTEXT,
	/* Only the container and unit (part of CONTEXT), for an exec by a
	 * process that may have moved into a container's cgroup. */
	VIGIL_PROCFS_CGROUP = 1u << 2,
	/* Pieces of IMAGE, for readers that want less of it (the acting
	 * process of a file event, the sender of a DNS packet): status's
	 * ids, the exe link, the command line. */
	VIGIL_PROCFS_IDS = 1u << 3,
	VIGIL_PROCFS_EXE = 1u << 4,
	VIGIL_PROCFS_ARGV = 1u << 5,
};

/*
 * Opens root ("/proc" or a fixture tree) and reads the boot time.
 * Returns 0 or a negative errno; on success release with
 * vigil_procfs_close().
 */
int vigil_procfs_open(struct vigil_procfs *pf, const char *root)
	__attribute__((warn_unused_result));
void vigil_procfs_close(struct vigil_procfs *pf);

/*
 * Reads /proc/PID into p, which is cleared first: the parts in what (enum
 * vigil_procfs_parts; stat is always read).  Strings are copied into
 * arena a and live as long as it does.  stat is required; status, cmdline,
 * exe, cwd, cgroup, loginuid, sessionid and the tty are filled when they
 * can be read (a kernel thread has no exe and no argv; a process may exit
 * half-way).  All reads go through a descriptor of the PID directory, so a
 * pid reused mid-read yields errors rather than another process's data.
 * Sets VIGIL_PROC_FROM_PROCFS, and VIGIL_PROC_KTHREAD for kernel threads.
 * Returns 0, -ENOENT/-ESRCH when the process is gone, -EINVAL when stat
 * does not parse, -ENOMEM.
 */
int vigil_procfs_read(struct vigil_procfs *pf, int32_t pid, unsigned what,
		      struct vigil_arena *a, struct vigil_process *p)
	__attribute__((warn_unused_result));

/*
 * Parses the text of /proc/PID/stat (len bytes) into pid, ppid, comm (a
 * view into text), tty_nr, flags and start time in clock ticks since boot.
 * The comm may hold any byte, ')' included: it ends at the last ')'.
 * Returns 0 or -EINVAL.  Exposed for tests and the fuzzer.
 */
struct vigil_procfs_stat {
	int32_t pid;
	int32_t ppid;
	struct vigil_str comm;
	uint32_t tty_nr;
	uint32_t flags;
	uint64_t start_ticks;
};
int vigil_procfs_parse_stat(const char *text, size_t len,
			    struct vigil_procfs_stat *out);

/*
 * Names a tty device number the way the audit subsystem does ("pts0",
 * "tty1", "ttyS0", "console").  Returns the length written to out (at most
 * size - 1, NUL-terminated) or 0 for no tty / unknown device.
 */
size_t vigil_procfs_tty_name(uint32_t tty_nr, char *out, size_t size);

/* ---- walking /proc ---- */

/*
 * Lists the pids under the root into out (at most max), in directory
 * order.  Returns how many, or a negative errno.
 */
ssize_t vigil_procfs_pids(const struct vigil_procfs *pf, int32_t *out,
			  size_t max);

/*
 * Opens the directory of pid (O_DIRECTORY, close-on-exec) for
 * vigil_procfs_fd_sockets().  Returns the descriptor (the caller closes
 * it) or a negative errno (-ENOENT: no such process).
 */
int vigil_procfs_pid_dir(const struct vigil_procfs *pf, int32_t pid);

/*
 * Whether pid still runs an image: its exe link reads, or fails with
 * anything but ENOENT (a kernel thread or a zombie has none).
 */
bool vigil_procfs_alive(const struct vigil_procfs *pf, int32_t pid);

/*
 * Reads the fd links of the process whose directory is pid_dfd, at most
 * budget of them, and calls fn with the inode of each socket among them.
 * Returns the number of links read.
 */
size_t vigil_procfs_fd_sockets(int pid_dfd, size_t budget,
			       void (*fn)(uint64_t inode, void *arg),
			       void *arg);

/* The inode of a "socket:[12345]" fd link (len bytes), or 0 for any
 * other link.  Exposed for tests. */
uint64_t vigil_procfs_socket_inode(const char *link, size_t len);

#endif /* VIGIL_PROCFS_H */
