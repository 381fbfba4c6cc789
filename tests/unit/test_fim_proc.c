/*
 * test_fim_proc.c - the acting process from /proc and package-manager
 * detection, on a fixture /proc (tests/fixtures/fim/proc).
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "fim/fim.h"
#include "proc/procfs.h"

#define PROC_ROOT FIM_FIXTURES "/proc"

/* The fixture /proc, read through libvigilproc's reader. */
static struct vigil_procfs procfs;
#define PROC (&procfs)

static int open_fixture_proc(void **state)
{
	(void)state;
	return vigil_procfs_open(&procfs, PROC_ROOT) ? -1 : 0;
}

static int close_fixture_proc(void **state)
{
	(void)state;
	vigil_procfs_close(&procfs);
	return 0;
}

static void test_fim_pkg_manager_found_in_ancestors(void **state)
{
	(void)state;
	/* bash (100) is a child of dpkg (50). */
	assert_string_equal(vigil_fim_package_manager(PROC, 100), "dpkg");
	/* sed (500) is a grandchild of dpkg. */
	assert_string_equal(vigil_fim_package_manager(PROC, 500), "dpkg");
	assert_string_equal(vigil_fim_package_manager(PROC, 50), "dpkg");
}

static void test_fim_pkg_manager_truncated_comm_matches(void **state)
{
	(void)state;
	/* comm is cut to 15 bytes: "unattended-upgr". */
	assert_string_equal(vigil_fim_package_manager(PROC, 201),
			    "unattended-upgrade");
	assert_string_equal(vigil_fim_package_manager_comm("apt-get"),
			    "apt-get");
	assert_null(vigil_fim_package_manager_comm("dpkg-evil"));
	assert_null(vigil_fim_package_manager_comm("rpmbuild"));
}

static void test_fim_pkg_manager_walk_is_bounded_and_hostile_safe(void **state)
{
	(void)state;
	assert_null(vigil_fim_package_manager(PROC, 1));
	/* A process that is its own parent does not loop. */
	assert_null(vigil_fim_package_manager(PROC, 300));
	/* comm "evil) S 1 (dpkg" is not dpkg: comm ends at the last ')'. */
	assert_null(vigil_fim_package_manager(PROC, 400));
	/* Gone. */
	assert_null(vigil_fim_package_manager(PROC, 999));
}

static void test_fim_proc_fill_reads_ids_comm_exe(void **state)
{
	struct vigil_process p;
	struct vigil_arena a;

	(void)state;
	vigil_arena_init(&a, 1024);
	vigil_process_clear(&p);
	assert_int_equal(vigil_fim_proc_fill(&p, &a, PROC, 500), 0);
	assert_int_equal(p.pid, 500);
	assert_int_equal(p.ppid, 100);
	assert_true(vigil_str_eq(p.comm, "sed"));
	assert_true(vigil_str_eq(p.file.path, "/usr/bin/sed"));
	assert_int_equal(p.uid, 1000);
	assert_int_equal(p.euid, 1001);
	assert_int_equal(p.fsuid, 1003);
	assert_int_equal(p.egid, 2001);
	vigil_process_clear(&p);
	assert_int_equal(vigil_fim_proc_fill(&p, &a, PROC, 999), -ESRCH);
	assert_int_equal(p.pid, 999);
	assert_int_equal(p.comm.len, 0);
	vigil_arena_free(&a);
}

/* ev: an event of type on path by a process running exe. */
static void self_event(struct vigil_event *ev, struct vigil_arena *a,
		       uint32_t type, const char *exe, const char *path)
{
	vigil_event_init(ev, a);
	ev->type = type;
	ev->process.pid = 4242;
	ev->process.file.path = vigil_str_c(exe);
	vigil_file_clear(&ev->u.file.file);
	ev->u.file.file.path = vigil_str_c(path);
}

static void test_fim_self_delete_names_image_as_proc_does(void **state)
{
	struct vigil_arena a;
	struct vigil_event ev;

	(void)state;
	vigil_arena_init(&a, 0);
	/* the process unlinked its own file: "(deleted)", as /proc says */
	self_event(&ev, &a, VIGIL_EV_UNLINK, "/tmp/.x/dropper",
		   "/tmp/.x/dropper");
	assert_int_equal(vigil_fim_mark_self_delete(&ev), 1);
	assert_int_equal(ev.process.file.path.len,
			 strlen("/tmp/.x/dropper (deleted)"));
	assert_memory_equal(ev.process.file.path.ptr,
			    "/tmp/.x/dropper (deleted)",
			    ev.process.file.path.len);
	/* once is enough: the marked name no longer equals the path */
	assert_int_equal(vigil_fim_mark_self_delete(&ev), 0);
	/* another file, a prefix of it, or not an unlink: untouched */
	self_event(&ev, &a, VIGIL_EV_UNLINK, "/tmp/.x/dropper",
		   "/tmp/.x/dropper.log");
	assert_int_equal(vigil_fim_mark_self_delete(&ev), 0);
	self_event(&ev, &a, VIGIL_EV_UNLINK, "/tmp/.x/dropper",
		   "/tmp/.x/drop");
	assert_int_equal(vigil_fim_mark_self_delete(&ev), 0);
	self_event(&ev, &a, VIGIL_EV_RENAME, "/tmp/.x/dropper",
		   "/tmp/.x/dropper");
	assert_int_equal(vigil_fim_mark_self_delete(&ev), 0);
	assert_int_equal(ev.process.file.path.len, strlen("/tmp/.x/dropper"));
	/* no known image: nothing to compare */
	self_event(&ev, &a, VIGIL_EV_UNLINK, "", "");
	assert_int_equal(vigil_fim_mark_self_delete(&ev), 0);
	vigil_arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fim_pkg_manager_found_in_ancestors),
		cmocka_unit_test(test_fim_pkg_manager_truncated_comm_matches),
		cmocka_unit_test(test_fim_pkg_manager_walk_is_bounded_and_hostile_safe),
		cmocka_unit_test(test_fim_proc_fill_reads_ids_comm_exe),
		cmocka_unit_test(test_fim_self_delete_names_image_as_proc_does),
	};

	return cmocka_run_group_tests(tests, open_fixture_proc,
				      close_fixture_proc);
}
