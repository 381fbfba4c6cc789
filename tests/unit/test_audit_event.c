/*
 * test_audit_event.c - audit events to struct vigil_event: the kernel
 * activity recorded on a real kernel (kernel-activity.log, made by
 * record-kernel.sh from audit_kact.c) comes out as typed events with the
 * fields the schema names, and audit-watch records with vigil's key
 * become file events.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ptrace.h>

#include <cmocka.h>
#include <libaudit.h>

#include "sources/audit_event.h"
#include "sources/audit_reasm.h"
#include "util.h"

#define MAX_EVENTS 64

/* Deep copies are not needed: each event keeps its own arena. */
struct got {
	struct vigil_event ev[MAX_EVENTS];
	struct vigil_arena arena[MAX_EVENTS];
	unsigned n;
	struct vigil_audit_builder b;
};

static struct got g;

static void on_event(void *ctx, const struct vigil_audit_asm_event *ae)
{
	struct got *s = ctx;
	struct vigil_event *ev;

	assert_true(s->n < MAX_EVENTS);
	ev = &s->ev[s->n];
	vigil_arena_init(&s->arena[s->n], 0);
	vigil_event_init(ev, &s->arena[s->n]);
	if (vigil_audit_build(&s->b, ae, ev) == 0)
		s->n++;
	else
		vigil_arena_free(&s->arena[s->n]);
}

static void feed(const char *text, size_t len)
{
	struct vigil_audit_reasm *r = vigil_audit_reasm_new(0, 0, on_event, &g);
	struct vigil_audit_record rec;
	const char *p = text, *end = text + len, *nl;

	assert_non_null(r);
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (vigil_audit_record_parse_line(&rec, p, (size_t)(nl - p)))
			continue;
		assert_int_equal(vigil_audit_reasm_push(r, &rec, 0), 0);
	}
	vigil_audit_reasm_flush(r);
	vigil_audit_reasm_free(r);
}

static int setup(void **state)
{
	(void)state;
	memset(&g, 0, sizeof(g));
	return vigil_audit_builder_init(&g.b, NULL);
}

static int teardown(void **state)
{
	unsigned i;

	(void)state;
	for (i = 0; i < g.n; i++)
		vigil_arena_free(&g.arena[i]);
	vigil_audit_builder_free(&g.b);
	return 0;
}

static void feed_file(const char *name)
{
	char path[4096];
	FILE *f;
	char *text;
	long n;

	snprintf(path, sizeof(path), "%s/%s", AUDIT_FIXTURES, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = malloc((size_t)n);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	feed(text, (size_t)n);
	free(text);
}

/* The first event of a type (the n-th with skip), or fail. */
static const struct vigil_event *find(uint32_t type, unsigned skip)
{
	unsigned i;

	for (i = 0; i < g.n; i++)
		if (g.ev[i].type == type && skip-- == 0)
			return &g.ev[i];
	fail_msg("no event of type %u", type);
	return NULL;
}

static void assert_str(struct vigil_str s, const char *want)
{
	if (!vigil_str_eq(s, want))
		fail_msg("got '%.*s', want '%s'", (int)s.len,
			 s.ptr ? s.ptr : "", want);
}

static void test_audit_builds_each_kernel_activity_event(void **state)
{
	const struct vigil_event *e, *pt;
	pid_t tracer, tracee;

	(void)state;
	feed_file("kernel-activity.log");

	pt = find(VIGIL_EV_PTRACE, 0);
	assert_int_equal(pt->u.kernel.request, PTRACE_ATTACH);
	assert_non_null(pt->u.kernel.target);
	tracer = pt->process.pid;
	tracee = pt->u.kernel.target->pid;
	assert_int_not_equal(tracee, 0);
	assert_int_not_equal(tracee, tracer);
	assert_str(pt->u.kernel.target->comm, "audit_kact");
	assert_str(pt->u.kernel.syscall_name, "ptrace");
	assert_str(pt->process.comm, "audit_kact");
	assert_true(pt->process.argv.n >= 2); /* from PROCTITLE */
	assert_int_equal(pt->source, VIGIL_SRC_AUDIT);
	assert_true(pt->time_ns > 0);

	e = find(VIGIL_EV_PROCESS_VM_WRITEV, 0);
	assert_int_equal(e->u.kernel.target->pid, tracee);
	e = find(VIGIL_EV_KILL, 0);
	assert_int_equal(e->u.kernel.request, 0);
	assert_int_equal(e->u.kernel.target->pid, tracee);
	assert_str(e->u.kernel.syscall_name, "kill");
	e = find(VIGIL_EV_KILL, 1);
	assert_str(e->u.kernel.syscall_name, "tgkill");
	e = find(VIGIL_EV_KILL, 2); /* the final SIGKILL */
	assert_int_equal(e->u.kernel.request, SIGKILL);

	e = find(VIGIL_EV_LOAD_MODULE, 0);
	assert_str(e->u.kernel.syscall_name, "init_module");
	assert_true(e->u.kernel.retval < 0);
	e = find(VIGIL_EV_LOAD_MODULE, 1);
	assert_str(e->u.kernel.syscall_name, "finit_module");
	/* delete_module's name is a user pointer; the command line here
	 * has no module argument, so the name stays empty. */
	e = find(VIGIL_EV_UNLOAD_MODULE, 0);
	assert_str(e->u.kernel.syscall_name, "delete_module");

	e = find(VIGIL_EV_SETNS, 0);
	assert_int_equal(e->u.kernel.request, CLONE_NEWNET);
	e = find(VIGIL_EV_UNSHARE, 0);
	assert_int_equal(e->u.kernel.request, CLONE_NEWNS | CLONE_NEWUTS);
	assert_int_not_equal(e->process.pid, tracer);
	assert_int_equal(e->process.ppid, tracer);

	e = find(VIGIL_EV_MOUNT, 1); /* 0 is the MS_PRIVATE remount of / */
	assert_non_null(memmem(e->u.kernel.path.ptr, e->u.kernel.path.len,
			       "/mnt", 4));
	e = find(VIGIL_EV_UMOUNT, 0);
	assert_non_null(memmem(e->u.kernel.path.ptr, e->u.kernel.path.len,
			       "/mnt", 4));
	assert_int_equal(e->u.kernel.retval, 0);
	e = find(VIGIL_EV_PIVOT_ROOT, 0);
	assert_true(e->u.kernel.retval < 0);
	assert_true(e->u.kernel.path.len > 0);
	e = find(VIGIL_EV_CHROOT, 0);
	assert_int_equal(e->u.kernel.retval, 0);
	assert_int_equal(e->u.kernel.path.ptr[0], '/');

	e = find(VIGIL_EV_BPF, 0);
	assert_int_equal(e->u.kernel.request, BPF_MAP_CREATE);
	find(VIGIL_EV_PERF_EVENT_OPEN, 0);
	find(VIGIL_EV_KEXEC_LOAD, 0);
	e = find(VIGIL_EV_MEMFD_CREATE, 0);
	assert_true(e->u.kernel.retval >= 0);
	e = find(VIGIL_EV_CAPSET, 0);
	assert_int_not_equal(e->u.kernel.cap_effective, 0);
	assert_int_equal(e->u.kernel.cap_effective, e->u.kernel.cap_permitted);
	e = find(VIGIL_EV_SETUID, 0);
	assert_int_equal(e->u.kernel.new_uid, 0);
	assert_int_equal(e->u.kernel.new_euid, 0);
	e = find(VIGIL_EV_SETUID, 1); /* setresuid(-1, -1, -1) */
	assert_int_equal(e->u.kernel.new_uid, VIGIL_ID_UNSET);
	assert_int_equal(e->u.kernel.new_euid, VIGIL_ID_UNSET);
	find(VIGIL_EV_SETGID, 0);
	find(VIGIL_EV_OPEN_BY_HANDLE_AT, 0);
	e = find(VIGIL_EV_PERSONALITY, 0);
	assert_int_equal(e->u.kernel.request, 0xffffffffu);
	e = find(VIGIL_EV_KEYCTL, 0);
	assert_int_equal(e->u.kernel.request, KEYCTL_GET_KEYRING_ID);
}

/* An audit watch on /etc/vigil-test (-w ... -p wa -k vigil_fim): rename
 * gives PARENT, PARENT, DELETE (old), CREATE (new). */
static const char rename_log[] =
	"type=SYSCALL msg=audit(1700000000.000:900): arch=c000003e "
	"syscall=82 success=yes exit=0 a0=7ffd1 a1=7ffd2 a2=0 a3=0 items=4 "
	"ppid=1 pid=77 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 "
	"sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"mv\" exe=\"/usr/bin/mv\" "
	"key=\"vigil_fim\"\n"
	"type=CWD msg=audit(1700000000.000:900): cwd=\"/etc\"\n"
	"type=PATH msg=audit(1700000000.000:900): item=0 name=\"/etc/\" "
	"inode=2 dev=fe:00 mode=040755 ouid=0 ogid=0 rdev=00:00 "
	"nametype=PARENT\n"
	"type=PATH msg=audit(1700000000.000:900): item=1 name=\"/etc/\" "
	"inode=2 dev=fe:00 mode=040755 ouid=0 ogid=0 rdev=00:00 "
	"nametype=PARENT\n"
	"type=PATH msg=audit(1700000000.000:900): item=2 name=\"passwd\" "
	"inode=55 dev=fe:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 "
	"nametype=DELETE\n"
	"type=PATH msg=audit(1700000000.000:900): item=3 "
	"name=2F746D702F612062 inode=55 dev=fe:00 mode=0100644 ouid=0 "
	"ogid=0 rdev=00:00 nametype=CREATE\n"
	"type=PROCTITLE msg=audit(1700000000.000:900): "
	"proctitle=6D760070617373776400\n"
	/* the same without vigil's key: not a file event */
	"type=SYSCALL msg=audit(1700000000.000:901): arch=c000003e "
	"syscall=82 success=yes exit=0 a0=1 a1=2 a2=0 a3=0 items=0 ppid=1 "
	"pid=78 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 "
	"fsgid=0 tty=(none) ses=3 comm=\"mv\" exe=\"/usr/bin/mv\" "
	"key=\"other\"\n"
	"type=EOE msg=audit(1700000000.000:901): \n";

static void test_audit_watch_rename_becomes_file_event(void **state)
{
	const struct vigil_event *e;

	(void)state;
	feed(rename_log, sizeof(rename_log) - 1);
	assert_int_equal(g.n, 1);
	e = find(VIGIL_EV_RENAME, 0);
	assert_str(e->u.file.file.path, "/etc/passwd");
	assert_int_equal(e->u.file.file.inode, 55);
	assert_str(e->u.file.destination.path, "/tmp/a b");
	assert_str(e->process.tty, "pts0");
	assert_int_equal(e->process.auid, 1000);
	assert_int_equal(e->process.session_id, 3);
	assert_str(e->process.file.path, "/usr/bin/mv");
	assert_int_equal(e->process.argv.n, 2);
	assert_str(e->process.argv.v[1], "passwd");
}

static void test_audit_agent_event_carries_kind_and_count(void **state)
{
	struct vigil_arena a;
	struct vigil_event ev;

	(void)state;
	vigil_arena_init(&a, 0);
	vigil_event_init(&ev, &a);
	assert_int_equal(vigil_audit_agent_event(&ev, "audit_lost", 42,
						 "kernel lost 42 records"), 0);
	assert_int_equal(ev.type, VIGIL_EV_AGENT);
	assert_str(ev.u.agent.kind, "audit_lost");
	assert_str(ev.u.agent.subsystem, "audit");
	assert_int_equal(ev.u.agent.count, 42);
	vigil_arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_audit_builds_each_kernel_activity_event, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_audit_watch_rename_becomes_file_event, setup,
			teardown),
		cmocka_unit_test(test_audit_agent_event_carries_kind_and_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
