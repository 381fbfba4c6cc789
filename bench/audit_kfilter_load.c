/*
 * audit_kfilter_load.c - a fixed syscall workload and a count of the
 * audit records the kernel emits for it (bench/audit_kfilter_bench.sh).
 *
 *   audit_kfilter_load KEY ITERATIONS
 *
 * Joins the read-only multicast group (AUDIT_NLGRP_READLOG), forks the
 * workload, and counts the records of every audit event whose SYSCALL
 * record carries key="KEY" and comes from the workload (its pid or its
 * children's ppid), until the workload has exited and the stream has
 * been drained for a moment.  Each iteration issues the same 14 syscalls
 * (open, close, ptrace PEEKDATA and ATTACH, getppid, kill 0, a failing
 * mount, personality query, keyctl, getuid, setuid to itself,
 * memfd_create, close, unshare(0)); every 10th also forks, execs
 * /bin/true and waits (3 more: /bin/true's own start-up is not counted).  Prints
 *   syscalls=N events=E records=R enobufs=B
 * Exit 0, 1 on error, 77 when not root.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit/audit_netlink.h"

#define SPAWN_EVERY 10
#define SYSCALLS_PER_ITER 14
#define SYSCALLS_PER_SPAWN 3 /* fork, execve, wait4 */
#define DRAIN_MS 1500 /* reading on after the workload exited */
#define SERIALS 65536 /* serials remembered (ring) */
#ifndef KEYCTL_GET_KEYRING_ID
#define KEYCTL_GET_KEYRING_ID 0
#endif
#ifndef KEY_SPEC_SESSION_KEYRING
#define KEY_SPEC_SESSION_KEYRING -3
#endif

struct counter {
	char key[80]; /* key="KEY" as in the SYSCALL record */
	pid_t pid;
	unsigned long serial[SERIALS];
	unsigned n_serial;
	unsigned long long events, records;
};

/* The serial of "audit(sec.ms:serial)", or 0. */
static unsigned long serial_of(const char *t, size_t len)
{
	const char *c = memchr(t, ':', len);

	return c ? strtoul(c + 1, NULL, 10) : 0;
}

/* Whether text [t, t+len) holds " name=<pid>". */
static int has_pid(const char *t, size_t len, const char *name, pid_t pid)
{
	char pat[48];
	int n = snprintf(pat, sizeof(pat), " %s=%d ", name, (int)pid);

	return memmem(t, len, pat, (size_t)n) != NULL;
}

static void on_record(void *ctx, uint32_t type, const char *t, size_t len)
{
	struct counter *c = ctx;
	unsigned long s = serial_of(t, len);
	unsigned i;

	if (type == AUDIT_SYSCALL) {
		if (!memmem(t, len, c->key, strlen(c->key)) ||
		    !(has_pid(t, len, "pid", c->pid) ||
		      has_pid(t, len, "ppid", c->pid)))
			return;
		c->serial[c->n_serial++ % SERIALS] = s;
		c->events++;
		c->records++;
		return;
	}
	/* a later record of an event counted above (the last few) */
	for (i = 0; i < 64 && i < c->n_serial; i++)
		if (c->serial[(c->n_serial - 1 - i) % SERIALS] == s) {
			c->records++;
			return;
		}
}

/* The workload; returns the syscalls it issued on purpose. */
static unsigned long workload(unsigned iterations)
{
	unsigned long n = 0;
	char path[] = "/nonexistent-vigil-bench";

	for (unsigned i = 0; i < iterations; i++) {
		int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);

		if (fd >= 0)
			close(fd);
		/* pid 1 is not ours to trace: both fail, both are audited
		 * by a rule that does not filter the request */
		ptrace(PTRACE_PEEKDATA, 1, NULL, NULL);
		ptrace(PTRACE_ATTACH, 0x7ffffff0, NULL, NULL);
		kill(getppid(), 0);
		mount("none", path, "tmpfs", 0, NULL);
		personality(0xffffffff);
		syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID,
			KEY_SPEC_SESSION_KEYRING, 0);
		if (setuid(getuid()))
			return n;
		fd = (int)syscall(SYS_memfd_create, "vigil-bench", 0);
		if (fd >= 0)
			close(fd);
		unshare(0);
		n += SYSCALLS_PER_ITER;
		if (i % SPAWN_EVERY == 0) {
			pid_t p = fork();

			if (p == 0) {
				execl("/bin/true", "true", (char *)NULL);
				_exit(127);
			}
			if (p > 0)
				waitpid(p, NULL, 0);
			n += SYSCALLS_PER_SPAWN;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	static struct counter c;
	static char buf[VIGIL_AUDIT_NL_BUF];
	unsigned long long enobufs = 0;
	unsigned long syscalls = 0;
	int fd, go[2], res[2], status, drain = 0, done = 0;
	unsigned iterations;
	struct pollfd pfd;

	if (geteuid() != 0)
		return 77;
	if (argc != 3)
		return 1;
	snprintf(c.key, sizeof(c.key), "key=\"%s\"", argv[1]);
	iterations = (unsigned)strtoul(argv[2], NULL, 10);
	fd = vigil_audit_nl_multicast_open(64 << 20);
	if (fd < 0) {
		fprintf(stderr, "multicast: %s\n", strerror(-fd));
		return 1;
	}
	if (pipe(go) || pipe(res))
		return 1;
	c.pid = fork();
	if (c.pid < 0)
		return 1;
	if (c.pid == 0) {
		char b;

		close(fd);
		if (read(go[0], &b, 1) != 1)
			_exit(1);
		syscalls = workload(iterations);
		if (write(res[1], &syscalls, sizeof(syscalls)) < 0)
			_exit(1);
		_exit(0);
	}
	if (write(go[1], "x", 1) != 1)
		return 1;
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (drain < DRAIN_MS / 10) {
		uint64_t nb = 0;

		if (poll(&pfd, 1, 10) > 0) {
			vigil_audit_nl_read(fd, buf, sizeof(buf), on_record, NULL,
					    &c, &nb);
			enobufs += nb;
		}
		if (done)
			drain++; /* about 10 ms a turn once it exited */
		else if (waitpid(c.pid, &status, WNOHANG) == c.pid)
			done = 1;
	}
	if (read(res[0], &syscalls, sizeof(syscalls)) != sizeof(syscalls))
		return 1;
	printf("syscalls=%lu events=%llu records=%llu enobufs=%llu\n",
	       syscalls, c.events, c.records, enobufs);
	return 0;
}
