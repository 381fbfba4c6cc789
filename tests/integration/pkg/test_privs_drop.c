/*
 * test_privs_drop.c - on the live kernel (root): a process that calls
 * vigil_privs_drop() ends up with exactly the kept capabilities in
 * CapEff, CapPrm and CapBnd, nothing in CapInh and CapAmb, and really
 * loses what it dropped (fanotify_init needs CAP_SYS_ADMIN).
 *
 * Each case runs in a forked child, so the test process and the host keep
 * their privileges whatever happens.  Exits 77 when not root.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cap-ng.h>
#include <cmocka.h>
#include <linux/capability.h>

#include "privs.h"
#include "util.h"

/* Child exit codes, each naming what went wrong. */
enum {
	CHILD_OK = 0,
	CHILD_DROP_FAILED = 10,
	CHILD_NO_STATUS,
	CHILD_EFF_WRONG,
	CHILD_PRM_WRONG,
	CHILD_BND_WRONG,
	CHILD_INH_NOT_EMPTY,
	CHILD_AMB_NOT_EMPTY,
	CHILD_FANOTIFY_WRONG,
	CHILD_STATUS_JSON_WRONG,
	CHILD_SETUP_FAILED,
	CHILD_NNP_NOT_SET,
};

/* Reads "Name:\t<hex>" from /proc/self/status.  Returns 0 or -ENOENT. */
static int read_cap_line(const char *name, uint64_t *out)
{
	char line[256];
	size_t len = strlen(name);
	int rc = -ENOENT;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, len) == 0 && line[len] == ':') {
			*out = strtoull(line + len + 1, NULL, 16);
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

static uint64_t caps_mask(uint32_t keep)
{
	unsigned int caps[16];
	int n = vigil_privs_caps_for_mask(keep, caps, 16);
	uint64_t m = 0;

	for (int i = 0; i < n; i++)
		m |= (uint64_t)1 << caps[i];
	return m;
}

/* In the child: drop, then check the kernel's view.  Never returns. */
static void child_drop_and_check(uint32_t keep)
{
	uint64_t want = caps_mask(keep), eff, prm, bnd, inh, amb;
	struct vigil_buf report = { 0 }, json = { 0 };
	int fd;

	/* Something to clear: an inheritable and an ambient capability. */
	if (capng_get_caps_process() ||
	    capng_update(CAPNG_ADD, CAPNG_INHERITABLE, CAP_NET_ADMIN) ||
	    capng_apply(CAPNG_SELECT_CAPS) ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0) ||
	    read_cap_line("CapAmb", &amb) || !amb)
		_exit(CHILD_SETUP_FAILED);
	if (vigil_privs_drop(keep, &report))
		_exit(CHILD_DROP_FAILED);
	if (read_cap_line("CapEff", &eff) || read_cap_line("CapPrm", &prm) ||
	    read_cap_line("CapBnd", &bnd) || read_cap_line("CapInh", &inh) ||
	    read_cap_line("CapAmb", &amb))
		_exit(CHILD_NO_STATUS);
	if (eff != want)
		_exit(CHILD_EFF_WRONG);
	if (prm != want)
		_exit(CHILD_PRM_WRONG);
	if (bnd != want)
		_exit(CHILD_BND_WRONG);
	if (inh)
		_exit(CHILD_INH_NOT_EMPTY);
	if (amb)
		_exit(CHILD_AMB_NOT_EMPTY);
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		_exit(CHILD_NNP_NOT_SET);

	/* fanotify_init() is CAP_SYS_ADMIN's: kept or really gone. */
	fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC, O_RDONLY);
	if ((fd >= 0) != ((keep & VIGIL_NEED_SYS_ADMIN) != 0))
		_exit(CHILD_FANOTIFY_WRONG);
	if (fd >= 0)
		close(fd);

	if (!strstr(vigil_buf_cstr(&report), "bounding set narrowed") ||
	    vigil_privs_status_json(&json) ||
	    !strstr(vigil_buf_cstr(&json), "\"dropped\":true") ||
	    !strstr(vigil_buf_cstr(&json), "\"no_new_privs\":true") ||
	    !strstr(vigil_buf_cstr(&json), "\"bounding_narrowed\":true") ||
	    ((keep & VIGIL_NEED_AUDIT_READ) != 0) !=
		    (strstr(vigil_buf_cstr(&json), "cap_audit_read") != NULL))
		_exit(CHILD_STATUS_JSON_WRONG);
	_exit(CHILD_OK);
}

static int run_case(uint32_t keep)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		child_drop_and_check(keep);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_privs_drop_to_nothing_leaves_no_capability(void **state)
{
	assert_int_equal(run_case(0), CHILD_OK);
}

static void test_privs_drop_keeps_audit_read_only(void **state)
{
	assert_int_equal(run_case(VIGIL_NEED_AUDIT_READ), CHILD_OK);
}

static void test_privs_drop_keeps_fanotify_working_with_sys_admin(void **state)
{
	assert_int_equal(run_case(VIGIL_NEED_SYS_ADMIN |
				  VIGIL_NEED_DAC_READ_SEARCH),
			 CHILD_OK);
}

static void test_privs_drop_keeps_every_need_and_nothing_else(void **state)
{
	assert_int_equal(run_case(VIGIL_NEED_ALL), CHILD_OK);
}

static void *block_forever(void *arg)
{
	int *fds = arg;
	char c;

	/* Returns when the child exits and the pipe's write end closes. */
	if (read(fds[0], &c, 1) < 0)
		return NULL;
	return NULL;
}

/*
 * A second thread would keep every capability: the drop refuses, and the
 * calling thread keeps what it had.
 */
static void test_privs_drop_refuses_with_a_second_thread(void **state)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		static int fds[2];
		pthread_t t;
		uint64_t before, after;

		if (pipe(fds) || pthread_create(&t, NULL, block_forever, fds) ||
		    read_cap_line("CapEff", &before))
			_exit(CHILD_SETUP_FAILED);
		if (vigil_privs_drop(0, NULL) != -EBUSY)
			_exit(CHILD_DROP_FAILED);
		if (read_cap_line("CapEff", &after) || after != before)
			_exit(CHILD_EFF_WRONG);
		_exit(CHILD_OK);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), CHILD_OK);
}

/*
 * Issue 22 L6: under a unit without CAP_SETPCAP the bounding set stays
 * whole, and a root process regains it on exec.  After the drop, what
 * vigild execs (nft, iptables, or whatever an attacker gets it to run)
 * has no more than the kept set.
 */
static void test_privs_drop_survives_exec_without_setpcap(void **state)
{
	char path[] = "/tmp/test_privs_exec.XXXXXX", line[64] = { 0 };
	uint64_t want = caps_mask(VIGIL_NEED_AUDIT_READ), got;
	int status, fd = mkstemp(path);
	pid_t pid;
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char cmd[200];

		/* a service manager that left CAP_SETPCAP out */
		if (capng_get_caps_process() ||
		    capng_update(CAPNG_DROP, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
				 CAP_SETPCAP) ||
		    capng_apply(CAPNG_SELECT_CAPS))
			_exit(CHILD_SETUP_FAILED);
		if (vigil_privs_drop(VIGIL_NEED_AUDIT_READ, NULL))
			_exit(CHILD_DROP_FAILED);
		snprintf(cmd, sizeof(cmd),
			 "sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status > %s",
			 path);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(CHILD_SETUP_FAILED);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	unlink(path);
	got = strtoull(line, NULL, 16);
	if (got & ~want)
		fail_msg("exec'd child has CapEff %s, more than kept %" PRIx64,
			 line, want);
}

/* The parent, which never dropped, still has everything afterwards. */
static void test_privs_drop_in_child_leaves_parent_alone(void **state)
{
	uint64_t eff;

	assert_int_equal(read_cap_line("CapEff", &eff), 0);
	assert_true(eff & ((uint64_t)1 << CAP_SYS_ADMIN));
	assert_true(eff & ((uint64_t)1 << CAP_SETPCAP));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_privs_drop_to_nothing_leaves_no_capability),
		cmocka_unit_test(test_privs_drop_keeps_audit_read_only),
		cmocka_unit_test(test_privs_drop_keeps_fanotify_working_with_sys_admin),
		cmocka_unit_test(test_privs_drop_keeps_every_need_and_nothing_else),
		cmocka_unit_test(test_privs_drop_refuses_with_a_second_thread),
		cmocka_unit_test(test_privs_drop_survives_exec_without_setpcap),
		cmocka_unit_test(test_privs_drop_in_child_leaves_parent_alone),
	};
	uint64_t eff = 0;

	if (geteuid() != 0 || read_cap_line("CapEff", &eff) ||
	    !(eff & ((uint64_t)1 << CAP_SETPCAP))) {
		fprintf(stderr, "skip: needs root with CAP_SETPCAP\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
