/*
 * audit_kact.c - performs each kernel-activity syscall vigil reports, in
 * harmless forms (a failing call is audited too), so a test can check
 * that each one becomes its event.  Waits for a line on stdin before
 * starting, so the caller can install audit rules for its pid first.
 * Everything that changes state happens in a child in its own mount and
 * UTS namespaces, which exit with it.
 *
 * Usage: audit_kact <scratch dir>.  Prints "name pid detail" per action.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/bpf.h>

/* A name the kernel cannot have loaded. */
#define NO_MODULE "vigil_no_such_module"

static void ns_child(const char *dir)
{
	char sub[4096];

	if (unshare(CLONE_NEWNS | CLONE_NEWUTS))
		_exit(1);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		_exit(2);
	snprintf(sub, sizeof(sub), "%s/mnt", dir);
	mkdir(sub, 0700);
	if (mount("vigil-src", sub, "tmpfs", 0, NULL))
		_exit(3);
	if (umount2(sub, 0))
		_exit(4);
	/* fails (EINVAL: sub is no longer a mount point) but is audited */
	syscall(SYS_pivot_root, sub, dir);
	if (chroot(dir))
		_exit(5);
	_exit(0);
}

int main(int argc, char **argv)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct caps[2];
	struct perf_event_attr pea;
	union bpf_attr battr;
	struct iovec liov, riov;
	char line[16], zero[16] = { 0 }, buf[1];
	pid_t child, nsc;
	int fd, st;

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!fgets(line, sizeof(line), stdin))
		return 2;

	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	if (ptrace(PTRACE_ATTACH, child, NULL, NULL) == 0) {
		waitpid(child, &st, 0);
		ptrace(PTRACE_DETACH, child, NULL, NULL);
	}
	printf("ptrace %d %d\n", getpid(), child);
	liov.iov_base = buf;
	liov.iov_len = 0;
	riov.iov_base = buf;
	riov.iov_len = 0;
	process_vm_writev(child, &liov, 1, &riov, 1, 0);
	printf("process_vm_writev %d %d\n", getpid(), child);
	kill(child, 0);
	printf("kill %d %d\n", getpid(), child);
	syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), 0);
	printf("tgkill %d\n", getpid());

	syscall(SYS_init_module, zero, sizeof(zero), "");
	printf("init_module %d\n", getpid());
	fd = open("/dev/null", O_RDONLY);
	syscall(SYS_finit_module, fd, "", 0);
	printf("finit_module %d\n", getpid());
	syscall(SYS_delete_module, NO_MODULE, O_NONBLOCK);
	printf("delete_module %d %s\n", getpid(), NO_MODULE);
	close(fd);

	fd = open("/proc/self/ns/net", O_RDONLY);
	setns(fd, CLONE_NEWNET);
	close(fd);
	printf("setns %d\n", getpid());

	nsc = fork();
	if (nsc == 0)
		ns_child(argv[1]);
	waitpid(nsc, &st, 0);
	printf("ns_child %d %d\n", nsc, WIFEXITED(st) ? WEXITSTATUS(st) : -1);

	memset(&battr, 0, sizeof(battr));
	syscall(SYS_bpf, BPF_MAP_CREATE, &battr, sizeof(battr));
	printf("bpf %d\n", getpid());
	memset(&pea, 0, sizeof(pea));
	pea.size = 1; /* invalid: E2BIG/EINVAL */
	syscall(SYS_perf_event_open, &pea, 0, -1, -1, 0);
	printf("perf_event_open %d\n", getpid());
	/* Invalid flags: refused before anything is loaded or unloaded. */
	syscall(SYS_kexec_load, 0UL, 0UL, NULL, ~0UL);
	printf("kexec_load %d\n", getpid());
	fd = memfd_create("vigil-memfd", MFD_CLOEXEC);
	close(fd);
	printf("memfd_create %d\n", getpid());
	if (syscall(SYS_capget, &hdr, caps) == 0)
		syscall(SYS_capset, &hdr, caps);
	printf("capset %d\n", getpid());
	/* to the ids we already have: the syscalls are what counts */
	if (setuid(getuid()) || setresuid((uid_t)-1, (uid_t)-1, (uid_t)-1) ||
	    setgid(getgid()))
		perror("set*id");
	printf("setuid %d\n", getpid());
	syscall(SYS_open_by_handle_at, AT_FDCWD, zero, O_RDONLY);
	printf("open_by_handle_at %d\n", getpid());
	personality(0xffffffff);
	printf("personality %d\n", getpid());
	syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
	printf("keyctl %d\n", getpid());

	kill(child, SIGKILL);
	waitpid(child, &st, 0);
	return 0;
}
