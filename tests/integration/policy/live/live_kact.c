/*
 * live_kact.c - one kernel-activity behaviour per run, in a harmless form,
 * for the live policy suite (run.sh).  Each action is its own process so
 * the suite can match the signal to this pid.  Calls that would change
 * the host are made so that the kernel refuses them (an invalid module
 * image, a module name that cannot be loaded, a kexec with bad flags);
 * the audit record of the attempt is what the rules see.
 *
 * Usage: live_kact ACTION [ARG]
 *   ptrace-attach PID   PTRACE_ATTACH then detach
 *   ptrace-poke         fork a stopped child, PTRACE_POKEDATA into it
 *   traceme             PTRACE_TRACEME in a child
 *   vm-writev           process_vm_writev into a child's memory
 *   module-load FILE    finit_module on FILE (not a module: refused)
 *   module-unload       delete_module of a name never loaded
 *   bpf                 BPF_PROG_LOAD of a socket filter "return 0"
 *   kexec               kexec_load with invalid flags (refused)
 *   handle FILE         name_to_handle_at + open_by_handle_at on FILE
 *   setuid0             setuid(0) (as root: a no-op change)
 *   chroot              chroot("/") (the root it already has)
 *   setns               setns into its own UTS namespace (a no-op join)
 *   pivot-root          pivot_root of paths that do not exist, in a mount
 *                       namespace of its own (refused: ENOENT)
 * Prints "ACTION PID" and exits 0 when the attempt was made.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/kexec.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define NO_MODULE "vigil_live_no_such_module"
#define NO_ROOT "/vigil-live-no-such-root"
/* A kexec architecture field no kernel accepts. */
#define KEXEC_BAD_FLAGS 0xffff0000UL
#define TRACEME_LINGER_US 200000

static long target_word = 0x1234;

/* Forks a child that stops itself; returns its pid or -1. */
static pid_t stopped_child(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		raise(SIGSTOP);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, WUNTRACED);
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int do_ptrace_attach(pid_t pid)
{
	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0)
		return -errno;
	waitpid(pid, NULL, 0);
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return 0;
}

static int do_ptrace_poke(void)
{
	pid_t pid = fork();
	int rc = 0;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	if (ptrace(PTRACE_POKEDATA, pid, &target_word, (void *)0x4321) < 0)
		rc = -errno;
	reap(pid);
	return rc;
}

static int do_traceme(void)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int bad = ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0;

		/* live long enough for the monitor to see the process */
		usleep(TRACEME_LINGER_US);
		_exit(bad);
	}
	waitpid(pid, NULL, 0);
	return 0;
}

static int do_vm_writev(void)
{
	long value = 0x4321;
	struct iovec local = { &value, sizeof(value) };
	struct iovec remote = { &target_word, sizeof(target_word) };
	pid_t pid = stopped_child();
	int rc = 0;

	if (pid < 0)
		return -errno;
	if (process_vm_writev(pid, &local, 1, &remote, 1, 0) < 0)
		rc = -errno;
	reap(pid);
	return rc;
}

static int do_module_load(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	/* refused: not an ELF module; the attempt is audited */
	syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	return 0;
}

static int do_bpf(void)
{
	struct bpf_insn prog[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;
	long fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (uintptr_t)prog;
	attr.insn_cnt = sizeof(prog) / sizeof(prog[0]);
	attr.license = (uintptr_t)"GPL";
	fd = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd < 0)
		return -errno;
	close((int)fd);
	return 0;
}

static int do_handle(const char *path)
{
	struct file_handle *fh;
	int mount_id, fd, rc = 0;

	fh = calloc(1, sizeof(*fh) + MAX_HANDLE_SZ);
	if (!fh)
		return -ENOMEM;
	fh->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, path, fh, &mount_id, 0) < 0) {
		rc = -errno;
		goto free_fh;
	}
	fd = open_by_handle_at(AT_FDCWD, fh, O_RDONLY);
	if (fd >= 0)
		close(fd);
	else
		rc = -errno;
free_fh:
	free(fh);
	return rc;
}

/* Joins the UTS namespace it is already in: the kernel does the whole
 * setns() path and changes nothing. */
static int do_setns(void)
{
	int fd = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWUTS) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* pivot_root in a private copy of the mount namespace, of a new root
 * that does not exist: refused before anything moves, and even a
 * success would change only this process's namespace.  Returns 0 when
 * the attempt was made. */
static int do_pivot_root(void)
{
	if (unshare(CLONE_NEWNS) < 0)
		return -errno;
	if (syscall(SYS_pivot_root, NO_ROOT, NO_ROOT "/old") == 0)
		return -EEXIST; /* not the refused form this was meant as */
	return 0;
}

int main(int argc, char **argv)
{
	const char *act = argc > 1 ? argv[1] : "";
	const char *arg = argc > 2 ? argv[2] : NULL;
	int rc;

	if (!strcmp(act, "ptrace-attach") && arg)
		rc = do_ptrace_attach((pid_t)atoi(arg));
	else if (!strcmp(act, "ptrace-poke"))
		rc = do_ptrace_poke();
	else if (!strcmp(act, "traceme"))
		rc = do_traceme();
	else if (!strcmp(act, "vm-writev"))
		rc = do_vm_writev();
	else if (!strcmp(act, "module-load") && arg)
		rc = do_module_load(arg);
	else if (!strcmp(act, "module-unload"))
		rc = (syscall(SYS_delete_module, NO_MODULE, O_NONBLOCK), 0);
	else if (!strcmp(act, "bpf"))
		rc = do_bpf();
	else if (!strcmp(act, "kexec"))
		rc = (syscall(SYS_kexec_load, 0UL, 0UL, NULL,
			      KEXEC_BAD_FLAGS), 0);
	else if (!strcmp(act, "handle") && arg)
		rc = do_handle(arg);
	else if (!strcmp(act, "chroot"))
		rc = chroot("/") < 0 ? -errno : 0;
	else if (!strcmp(act, "setns"))
		rc = do_setns();
	else if (!strcmp(act, "pivot-root"))
		rc = do_pivot_root();
	else if (!strcmp(act, "setuid0"))
		rc = setuid(0) < 0 ? -errno : 0;
	else {
		fprintf(stderr, "usage: live_kact ACTION [ARG]\n");
		return 2;
	}
	printf("%s %d\n", act, (int)getpid());
	if (rc < 0)
		fprintf(stderr, "live_kact %s: %s\n", act, strerror(-rc));
	return rc < 0 ? 1 : 0;
}
