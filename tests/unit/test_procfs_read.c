/*
 * test_procfs_read.c - reading a process's context from a /proc tree: the
 * fixture tree (tests/fixtures/proc) for exact values and hostile
 * contents, and the live /proc for this test's own process.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "proc/procfs.h"

#define FIXTURE_PROC VIGIL_FIXTURES "/proc"
#define FIXTURE_BTIME_NS (INT64_C(1764400000) * 1000000000)

struct ctx {
	struct vigil_procfs pf;
	struct vigil_arena arena;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c || vigil_procfs_open(&c->pf, FIXTURE_PROC) != 0)
		return -1;
	vigil_arena_init(&c->arena, 0);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	vigil_procfs_close(&c->pf);
	vigil_arena_free(&c->arena);
	free(c);
	return 0;
}

static void assert_str(struct vigil_str s, const char *want)
{
	if (!vigil_str_eq(s, want))
		fail_msg("got '%.*s', want '%s'", (int)s.len,
			 s.ptr ? s.ptr : "", want);
}

static void test_procfs_reads_login_shell(void **state)
{
	struct ctx *c = *state;
	struct vigil_process p;

	assert_int_equal(vigil_procfs_read(&c->pf, 4121, VIGIL_PROCFS_ALL,
					   &c->arena, &p), 0);
	assert_int_equal(p.pid, 4121);
	assert_int_equal(p.ppid, 4120);
	assert_int_equal(p.uid, 1000);
	assert_int_equal(p.egid, 1000);
	assert_int_equal(p.auid, 1000);
	assert_int_equal(p.session_id, 7);
	assert_str(p.comm, "bash");
	assert_str(p.file.path, "/usr/bin/bash");
	assert_str(p.cwd, "/home/alice");
	assert_str(p.tty, "pts0");
	assert_str(p.unit, "session-7.scope");
	assert_int_equal(p.argv.n, 1);
	assert_str(p.argv.v[0], "-bash");
	assert_int_equal(p.container.id.len, 0);
	/* 360060 ticks at USER_HZ after btime. */
	assert_true(p.start_time_ns ==
		    FIXTURE_BTIME_NS + INT64_C(360060) *
					       (1000000000 / sysconf(_SC_CLK_TCK)));
	assert_true(p.flags & VIGIL_PROC_FROM_PROCFS);
	assert_false(p.flags & VIGIL_PROC_KTHREAD);
}

/* comm "a) (b\n c)" and argv with a newline and an empty argument come
 * out byte-exact; stat is parsed from the last ')'. */
static void test_procfs_hostile_comm_and_argv_byte_exact(void **state)
{
	struct ctx *c = *state;
	struct vigil_process p;

	assert_int_equal(vigil_procfs_read(&c->pf, 4200, VIGIL_PROCFS_ALL,
					   &c->arena, &p), 0);
	assert_int_equal(p.ppid, 4121);
	assert_int_equal(p.comm.len, 9);
	assert_memory_equal(p.comm.ptr, "a) (b\n c)", 9);
	assert_int_equal(p.uid, 1000);
	assert_int_equal(p.euid, 0);
	assert_int_equal(p.argv.n, 4);
	assert_str(p.argv.v[0], "./evil");
	assert_str(p.argv.v[1], "");
	assert_str(p.argv.v[2], "line1\nline2");
	assert_str(p.argv.v[3], "x y");
	assert_str(p.file.path, "/home/alice/evil (deleted)");
}

static void test_procfs_kernel_thread_has_no_image(void **state)
{
	struct ctx *c = *state;
	struct vigil_process p;

	assert_int_equal(vigil_procfs_read(&c->pf, 25, VIGIL_PROCFS_ALL,
					   &c->arena, &p), 0);
	assert_true(p.flags & VIGIL_PROC_KTHREAD);
	assert_str(p.comm, "kworker/0:1-events");
	assert_int_equal(p.argv.n, 0);
	assert_int_equal(p.file.path.len, 0);
	assert_int_equal(p.ppid, 2);
}

static void test_procfs_docker_container_and_user_unit(void **state)
{
	struct ctx *c = *state;
	struct vigil_process p;

	assert_int_equal(vigil_procfs_read(&c->pf, 2011, VIGIL_PROCFS_ALL,
					   &c->arena, &p), 0);
	assert_str(p.container.id,
		   "3f4a2b1c3f4a2b1c3f4a2b1c3f4a2b1c3f4a2b1c3f4a2b1c3f4a2b1c3f4a2b1c");
	assert_str(p.container.runtime, "docker");
	assert_int_equal(p.uid, 101);
	assert_int_equal(vigil_procfs_read(&c->pf, 3000, VIGIL_PROCFS_ALL,
					   &c->arena, &p), 0);
	assert_str(p.unit, "pipewire.service");
	assert_int_equal(p.auid, VIGIL_ID_UNSET);
}

/* After an exec only the image is read again: no cwd, tty or cgroup. */
static void test_procfs_image_only_skips_context(void **state)
{
	struct ctx *c = *state;
	struct vigil_process p;

	assert_int_equal(vigil_procfs_read(&c->pf, 4121, VIGIL_PROCFS_IMAGE,
					   &c->arena, &p), 0);
	assert_str(p.file.path, "/usr/bin/bash");
	assert_str(p.argv.v[0], "-bash");
	assert_int_equal(p.euid, 1000);
	assert_int_equal(p.cwd.len, 0);
	assert_int_equal(p.tty.len, 0);
	assert_int_equal(p.unit.len, 0);
	assert_int_equal(p.auid, VIGIL_ID_UNSET);
}

static void test_procfs_gone_and_broken_processes(void **state)
{
	struct ctx *c = *state;
	struct vigil_process p;

	assert_int_equal(vigil_procfs_read(&c->pf, 31337, VIGIL_PROCFS_ALL,
					   &c->arena, &p),
			 -ENOENT);
	assert_int_equal(vigil_procfs_read(&c->pf, 9999, VIGIL_PROCFS_ALL,
					   &c->arena, &p),
			 -EINVAL);
	assert_int_equal(vigil_procfs_read(&c->pf, 0, VIGIL_PROCFS_ALL,
					   &c->arena, &p), -EINVAL);
	assert_int_equal(vigil_procfs_read(&c->pf, -4, VIGIL_PROCFS_ALL,
					   &c->arena, &p),
			 -EINVAL);
}

static void test_procfs_parse_stat_rejects_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"12",
		"12 (x",
		"abc (x) S 1",
		"12 x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
		"12 (x) S 1 2 3",                    /* ends before starttime */
		"12 (x) S -1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
		"12 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 -19 20",
		"12 (x) S 99999999999999999999999 2 3 4 5 6 7 8 9 10 11 12 13",
		"-5 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
	};
	struct vigil_procfs_stat st;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (vigil_procfs_parse_stat(bad[i], strlen(bad[i]), &st) !=
		    -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
}

static void test_procfs_parse_stat_comm_with_parens(void **state)
{
	static const char text[] =
		"77 ((sd-pam)) S 76 76 76 34816 0 4194560 0 0 0 0 0 0 0 0 20 0 "
		"1 0 4242 0 0";
	struct vigil_procfs_stat st;

	(void)state;
	assert_int_equal(vigil_procfs_parse_stat(text, sizeof(text) - 1, &st),
			 0);
	assert_int_equal(st.pid, 77);
	assert_int_equal(st.ppid, 76);
	assert_int_equal(st.comm.len, 8);
	assert_memory_equal(st.comm.ptr, "(sd-pam)", 8);
	assert_int_equal(st.tty_nr, 34816);
	assert_int_equal(st.start_ticks, 4242);
}

static void test_procfs_tty_names_match_audit(void **state)
{
	char name[32];

	(void)state;
	vigil_procfs_tty_name(makedev(136, 0), name, sizeof(name));
	assert_string_equal(name, "pts0");
	vigil_procfs_tty_name(makedev(137, 4), name, sizeof(name));
	assert_string_equal(name, "pts260");
	vigil_procfs_tty_name(makedev(4, 1), name, sizeof(name));
	assert_string_equal(name, "tty1");
	vigil_procfs_tty_name(makedev(4, 65), name, sizeof(name));
	assert_string_equal(name, "ttyS1");
	vigil_procfs_tty_name(makedev(5, 1), name, sizeof(name));
	assert_string_equal(name, "console");
	assert_int_equal(vigil_procfs_tty_name(0, name, sizeof(name)), 0);
	assert_int_equal(vigil_procfs_tty_name(makedev(1, 3), name,
					       sizeof(name)), 0);
	/* Too small a buffer gives nothing rather than a cut name. */
	assert_int_equal(vigil_procfs_tty_name(makedev(136, 12345), name, 4),
			 0);
}

/* The live /proc: our own process, as the kernel sees it. */
static void test_procfs_reads_own_live_process(void **state)
{
	struct vigil_procfs pf;
	struct vigil_arena a;
	struct vigil_process p;
	char exe[PATH_MAX], cwd[PATH_MAX];
	ssize_t n;

	(void)state;
	if (vigil_procfs_open(&pf, "/proc") != 0)
		skip();
	vigil_arena_init(&a, 0);
	assert_int_equal(vigil_procfs_read(&pf, getpid(), VIGIL_PROCFS_ALL, &a,
					   &p), 0);
	assert_int_equal(p.pid, getpid());
	assert_int_equal(p.ppid, getppid());
	assert_int_equal(p.uid, getuid());
	assert_int_equal(p.egid, getegid());
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	assert_str(p.file.path, exe);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_str(p.cwd, cwd);
	assert_true(p.argv.n >= 1);
	/* Started within the last hour, by the wall clock. */
	assert_true(p.start_time_ns <= vigil_now_ns() + INT64_C(2000000000));
	assert_true(p.start_time_ns >
		    vigil_now_ns() - INT64_C(3600) * 1000000000);
	vigil_arena_free(&a);
	vigil_procfs_close(&pf);
}

/* Only "socket:[N]" links name a socket inode; anything else is 0. */
static void test_procfs_socket_inode_only_from_socket_links(void **state)
{
	static const char *const not_sockets[] = {
		"socket:[]", "socket:[12a]", "socket:[123", "pipe:[123]",
		"/dev/null", "socket:[99999999999999999999999]",
	};

	(void)state;
	assert_int_equal(vigil_procfs_socket_inode("socket:[4026531993]", 19),
			 4026531993u);
	for (size_t i = 0; i < sizeof(not_sockets) / sizeof(not_sockets[0]);
	     i++)
		assert_int_equal(vigil_procfs_socket_inode(
				 not_sockets[i], strlen(not_sockets[i])), 0);
}

static void note_inode(uint64_t ino, void *arg)
{
	uint64_t *want = arg;

	if (ino == want[0])
		want[1] = 1;
}

/* The live /proc: our pid is listed, and a socket we hold is found among
 * our descriptors by its inode (what DNS attribution relies on). */
static void test_procfs_fd_walk_finds_own_socket(void **state)
{
	struct vigil_procfs pf;
	int32_t *pids = calloc(65536, sizeof(*pids));
	uint64_t want[2] = { 0, 0 };
	bool listed = false;
	struct stat sb;
	ssize_t n;
	int s, dfd;

	(void)state;
	assert_non_null(pids);
	if (vigil_procfs_open(&pf, "/proc") != 0)
		skip();
	n = vigil_procfs_pids(&pf, pids, 65536);
	assert_true(n > 0);
	for (ssize_t i = 0; i < n; i++)
		listed |= pids[i] == getpid();
	assert_true(listed);
	assert_true(vigil_procfs_alive(&pf, getpid()));
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	assert_int_equal(fstat(s, &sb), 0);
	want[0] = sb.st_ino;
	dfd = vigil_procfs_pid_dir(&pf, getpid());
	assert_true(dfd >= 0);
	assert_true(vigil_procfs_fd_sockets(dfd, 65536, note_inode, want) >= 1);
	assert_int_equal(want[1], 1);
	close(dfd);
	close(s);
	assert_int_equal(vigil_procfs_pid_dir(&pf, 0), -EINVAL);
	free(pids);
	vigil_procfs_close(&pf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_procfs_reads_login_shell),
		cmocka_unit_test(test_procfs_hostile_comm_and_argv_byte_exact),
		cmocka_unit_test(test_procfs_kernel_thread_has_no_image),
		cmocka_unit_test(test_procfs_docker_container_and_user_unit),
		cmocka_unit_test(test_procfs_image_only_skips_context),
		cmocka_unit_test(test_procfs_gone_and_broken_processes),
		cmocka_unit_test(test_procfs_parse_stat_rejects_malformed),
		cmocka_unit_test(test_procfs_parse_stat_comm_with_parens),
		cmocka_unit_test(test_procfs_tty_names_match_audit),
		cmocka_unit_test(test_procfs_reads_own_live_process),
		cmocka_unit_test(test_procfs_socket_inode_only_from_socket_links),
		cmocka_unit_test(test_procfs_fd_walk_finds_own_socket),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
