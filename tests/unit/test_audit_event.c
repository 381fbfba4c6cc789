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
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>
#include <libaudit.h>

#include "audit/audit_event.h"
#include "audit/audit_reasm.h"
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

/* SYSCALL record head of event serial for syscall nr, pid 90, key k. */
#define SC(serial, nr, args, k)                                             \
	"type=SYSCALL msg=audit(1700000001.000:" serial "): arch=c000003e "  \
	"syscall=" nr " success=yes exit=0 " args " items=2 ppid=1 pid=90 "   \
	"auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 " \
	"tty=pts0 ses=3 comm=\"x\" exe=\"/usr/bin/x\" key=\"" k "\"\n"
#define EOE(serial) "type=EOE msg=audit(1700000001.000:" serial "): \n"

/* Opens under vigil's path watches (-S all -F path=P -F perm=r), as a
 * 6.x kernel writes them: the open event with the path and the flags. */
static const char open_log[] =
	SC("10", "257", "a0=ffffff9c a1=7ffe a2=0 a3=0", "vigil")
	"type=CWD msg=audit(1700000001.000:10): cwd=\"/tmp\"\n"
	"type=PATH msg=audit(1700000001.000:10): item=0 name=\"/etc/shadow\" "
	"inode=1244 dev=fe:00 mode=0100640 ouid=0 ogid=42 rdev=00:00 "
	"nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 "
	"cap_frootid=0\n"
	EOE("10")
	SC("11", "257", "a0=ffffff9c a1=7ffe a2=441 a3=1b6", "vigil")
	"type=CWD msg=audit(1700000001.000:11): cwd=\"/tmp\"\n"
	"type=PATH msg=audit(1700000001.000:11): item=0 "
	"name=\"/proc/sys/kernel/core_pattern\" inode=640 dev=00:15 "
	"mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL\n"
	EOE("11")
	/* a read-class call on a watched path that is no open: nothing */
	SC("12", "192", "a0=1 a1=2 a2=0 a3=0", "vigil")
	"type=PATH msg=audit(1700000001.000:12): item=0 name=\"/etc/shadow\" "
	"inode=1244 dev=fe:00 mode=0100640 ouid=0 ogid=42 rdev=00:00 "
	"nametype=NORMAL\n"
	EOE("12");

static void test_audit_watched_opens_become_open_events(void **state)
{
	const struct vigil_event *e;

	(void)state;
	feed(open_log, sizeof(open_log) - 1);
	assert_int_equal(g.n, 2);
	e = find(VIGIL_EV_OPEN, 0);
	assert_str(e->u.file.file.path, "/etc/shadow");
	assert_int_equal(e->u.file.open_flags, 0);
	assert_int_equal(e->process.pid, 90);
	assert_str(e->process.file.path, "/usr/bin/x");
	e = find(VIGIL_EV_OPEN, 1);
	assert_str(e->u.file.file.path, "/proc/sys/kernel/core_pattern");
	assert_int_equal(e->u.file.open_flags, 0x441);
}

/*
 * The kernel logs a call under the first rule's key: an open of a
 * watched path or an xattr call under auditd's key still counts when
 * vigil's rules ask for it, and only then.
 */
static const char other_key_log[] =
	SC("13", "257", "a0=ffffff9c a1=7ffe a2=0 a3=0", "identity")
	"type=CWD msg=audit(1700000001.000:13): cwd=\"/etc\"\n"
	"type=PATH msg=audit(1700000001.000:13): item=0 name=\"shadow\" "
	"inode=1244 dev=fe:00 mode=0100640 ouid=0 ogid=42 rdev=00:00 "
	"nametype=NORMAL\n"
	EOE("13")
	SC("14", "257", "a0=ffffff9c a1=7ffe a2=0 a3=0", "identity")
	"type=CWD msg=audit(1700000001.000:14): cwd=\"/etc\"\n"
	"type=PATH msg=audit(1700000001.000:14): item=0 name=\"passwd\" "
	"inode=1245 dev=fe:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 "
	"nametype=NORMAL\n"
	EOE("14")
	SC("15", "188", "a0=7ffc a1=7ffc a2=7ffc a3=14", "perm_mod")
	"type=PATH msg=audit(1700000001.000:15): item=0 name=\"/tmp/c\" "
	"inode=9 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 "
	"nametype=NORMAL\n"
	EOE("15");

static void test_audit_file_records_vigil_asked_for_count_under_any_key(
	void **state)
{
	static const char *const watched[] = { "/etc/gshadow", "/etc/shadow" };
	const struct vigil_event *e;

	(void)state;
	/* nothing asked for: file records need vigil's key */
	feed(other_key_log, sizeof(other_key_log) - 1);
	assert_int_equal(g.n, 0);
	assert_int_equal(vigil_audit_builder_set_watches(&g.b, watched, 2,
							 false), 0);
	feed(other_key_log, sizeof(other_key_log) - 1);
	assert_int_equal(g.n, 1);
	e = find(VIGIL_EV_OPEN, 0);
	assert_str(e->u.file.file.path, "/etc/shadow");
	assert_int_equal(vigil_audit_builder_set_watches(&g.b, NULL, 0, true),
			 0);
	feed(other_key_log, sizeof(other_key_log) - 1);
	assert_int_equal(g.n, 2);
	e = find(VIGIL_EV_SETXATTR, 0);
	assert_str(e->u.file.file.path, "/tmp/c");
}

/* ln -sf /dev/null .bash_history (coreutils 9): symlinkat to a temporary
 * name, then renameat over the history file; and ln old new. */
static const char link_log[] =
	SC("20", "266", "a0=7ffc a1=ffffff9c a2=7ffc a3=0", "vigil")
	"type=CWD msg=audit(1700000001.000:20): cwd=\"/home/bob\"\n"
	"type=PATH msg=audit(1700000001.000:20): item=0 name=\"/home/bob\" "
	"inode=7 dev=fe:00 mode=040755 ouid=0 ogid=0 rdev=00:00 "
	"nametype=PARENT\n"
	"type=PATH msg=audit(1700000001.000:20): item=1 name=\"/dev/null\" "
	"nametype=UNKNOWN\n"
	"type=PATH msg=audit(1700000001.000:20): item=2 name=\"Cu89hZXW\" "
	"inode=9 dev=fe:00 mode=0120777 ouid=0 ogid=0 rdev=00:00 "
	"nametype=CREATE\n"
	EOE("20")
	SC("21", "265", "a0=ffffff9c a1=7ffc a2=ffffff9c a3=7ffc", "vigil")
	"type=CWD msg=audit(1700000001.000:21): cwd=\"/home/bob\"\n"
	"type=PATH msg=audit(1700000001.000:21): item=0 name=\"notes\" "
	"inode=11 dev=fe:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 "
	"nametype=NORMAL\n"
	"type=PATH msg=audit(1700000001.000:21): item=1 name=\"/home/bob\" "
	"inode=7 dev=fe:00 mode=040755 ouid=0 ogid=0 rdev=00:00 "
	"nametype=PARENT\n"
	"type=PATH msg=audit(1700000001.000:21): item=2 name=\"/home/bob/n2\" "
	"inode=11 dev=fe:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 "
	"nametype=CREATE\n"
	EOE("21");

static void test_audit_symlink_names_target_and_new_link(void **state)
{
	const struct vigil_event *e;

	(void)state;
	feed(link_log, sizeof(link_log) - 1);
	assert_int_equal(g.n, 2);
	/* the target as written; the new name is the destination */
	e = find(VIGIL_EV_SYMLINK, 0);
	assert_str(e->u.file.file.path, "/dev/null");
	assert_str(e->u.file.link_target, "/dev/null");
	assert_str(e->u.file.destination.path, "/home/bob/Cu89hZXW");
	assert_int_equal(e->u.file.destination.mode, 0120777);
	e = find(VIGIL_EV_LINK, 0);
	assert_str(e->u.file.file.path, "/home/bob/notes");
	assert_str(e->u.file.destination.path, "/home/bob/n2");
	assert_int_equal(e->u.file.link_target.len, 0);
}

/* A symlink renamed into place: its target read on this host when the
 * builder may probe it, never from a replay. */
static void test_audit_rename_of_symlink_reads_target_live_only(void **state)
{
	char dir[] = "/tmp/vigil-ae-link.XXXXXX", path[64], log[2048];
	const struct vigil_event *e;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/.bash_history", dir);
	assert_int_equal(symlink("/dev/null", path), 0);
	snprintf(log, sizeof(log),
		 SC("30", "264", "a0=ffffff9c a1=7ffc a2=ffffff9c a3=7ffc",
		    "vigil")
		 "type=PATH msg=audit(1700000001.000:30): item=0 "
		 "name=\"%s/Cu1\" inode=9 dev=fe:00 mode=0120777 ouid=0 "
		 "ogid=0 rdev=00:00 nametype=DELETE\n"
		 "type=PATH msg=audit(1700000001.000:30): item=1 name=\"%s\" "
		 "inode=9 dev=fe:00 mode=0120777 ouid=0 ogid=0 rdev=00:00 "
		 "nametype=CREATE\n"
		 EOE("30"), dir, path);
	feed(log, strlen(log));
	g.b.probe_host = true;
	feed(log, strlen(log));
	assert_int_equal(g.n, 2);
	e = find(VIGIL_EV_RENAME, 0);
	assert_str(e->u.file.destination.path, path);
	assert_int_equal(e->u.file.link_target.len, 0);
	e = find(VIGIL_EV_RENAME, 1);
	assert_str(e->u.file.link_target, "/dev/null");
	unlink(path);
	rmdir(dir);
}

/* finit_module takes an fd: the module file named on the command line
 * (absolute, or relative to the cwd); modprobe NAME names none. */
static const char module_log[] =
	SC("40", "313", "a0=3 a1=0 a2=0 a3=0", "vigil")
	"type=PROCTITLE msg=audit(1700000001.000:40): "
	"proctitle=696E736D6F64002F746D702F782F726B2E6B6F\n"
	EOE("40")
	SC("41", "313", "a0=3 a1=0 a2=0 a3=0", "vigil")
	"type=CWD msg=audit(1700000001.000:41): cwd=\"/tmp/x\"\n"
	"type=PROCTITLE msg=audit(1700000001.000:41): "
	"proctitle=696E736D6F6400726B2E6B6F\n"
	EOE("41")
	SC("42", "313", "a0=3 a1=0 a2=0 a3=0", "vigil")
	"type=PROCTITLE msg=audit(1700000001.000:42): "
	"proctitle=6D6F6470726F626500786673\n"
	EOE("42");

static void test_audit_module_file_from_command_line(void **state)
{
	const struct vigil_event *e;

	(void)state;
	feed(module_log, sizeof(module_log) - 1);
	assert_int_equal(g.n, 3);
	e = find(VIGIL_EV_LOAD_MODULE, 0);
	assert_str(e->u.kernel.path, "/tmp/x/rk.ko");
	assert_str(e->u.kernel.name, "rk");
	e = find(VIGIL_EV_LOAD_MODULE, 1);
	assert_str(e->u.kernel.path, "/tmp/x/rk.ko");
	e = find(VIGIL_EV_LOAD_MODULE, 2);
	assert_int_equal(e->u.kernel.path.len, 0);
	assert_str(e->u.kernel.name, "xfs");
}

/*
 * setxattr/removexattr of file capabilities: the PATH record's cap_fver
 * (before) against the file on this host (after).  Needs CAP_SETFCAP to
 * give a file capabilities: skipped without it.
 */
static void test_audit_xattr_names_file_capabilities_it_changed(void **state)
{
	/* VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE, CAP_NET_RAW */
	static const uint32_t caps[5] = { 0x02000001, 1u << 13, 0, 0, 0 };
	char dir[] = "/tmp/vigil-ae-xattr.XXXXXX", path[64], log[4096];
	const struct vigil_event *e;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/capped", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	if (setxattr(path, "security.capability", caps, sizeof(caps), 0)) {
		unlink(path);
		rmdir(dir);
		skip();
	}
	/* setxattr size 20 on a file that had none; the same on a file
	 * that had them (cap_fver=2: another attribute, or the same
	 * value again: not named); removexattr of a file that had them
	 * and still has: another attribute */
	snprintf(log, sizeof(log),
		 SC("50", "188", "a0=7ffc a1=7ffc a2=7ffc a3=14", "vigil")
		 "type=PATH msg=audit(1700000001.000:50): item=0 name=\"%s\" "
		 "inode=9 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 "
		 "nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 "
		 "cap_frootid=0\n" EOE("50")
		 SC("51", "188", "a0=7ffc a1=7ffc a2=7ffc a3=14", "vigil")
		 "type=PATH msg=audit(1700000001.000:51): item=0 name=\"%s\" "
		 "inode=9 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 "
		 "nametype=NORMAL cap_fp=2000 cap_fi=0 cap_fe=1 cap_fver=2 "
		 "cap_frootid=0\n" EOE("51")
		 SC("52", "197", "a0=7ffc a1=7ffc a2=0 a3=0", "vigil")
		 "type=PATH msg=audit(1700000001.000:52): item=0 name=\"%s\" "
		 "inode=9 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 "
		 "nametype=NORMAL cap_fp=2000 cap_fi=0 cap_fe=1 cap_fver=2 "
		 "cap_frootid=0\n" EOE("52"),
		 path, path, path);
	g.b.probe_host = true;
	feed(log, strlen(log));
	assert_int_equal(g.n, 3);
	e = find(VIGIL_EV_SETXATTR, 0);
	assert_str(e->u.file.file.path, path);
	assert_str(e->u.file.xattr_name, "security.capability");
	e = find(VIGIL_EV_SETXATTR, 1);
	assert_int_equal(e->u.file.xattr_name.len, 0);
	e = find(VIGIL_EV_REMOVEXATTR, 0);
	assert_int_equal(e->u.file.xattr_name.len, 0);
	/* setcap -r: the capabilities are gone now */
	assert_int_equal(removexattr(path, "security.capability"), 0);
	snprintf(log, sizeof(log),
		 SC("53", "197", "a0=7ffc a1=7ffc a2=0 a3=0", "vigil")
		 "type=PATH msg=audit(1700000001.000:53): item=0 name=\"%s\" "
		 "inode=9 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 "
		 "nametype=NORMAL cap_fp=2000 cap_fi=0 cap_fe=1 cap_fver=2 "
		 "cap_frootid=0\n" EOE("53"), path);
	feed(log, strlen(log));
	e = find(VIGIL_EV_REMOVEXATTR, 1);
	assert_str(e->u.file.xattr_name, "security.capability");
	/* a replay never asks the host */
	g.b.probe_host = false;
	feed(log, strlen(log));
	e = find(VIGIL_EV_REMOVEXATTR, 2);
	assert_int_equal(e->u.file.xattr_name.len, 0);
	unlink(path);
	rmdir(dir);
}

static void test_audit_agent_event_carries_kind_count_pid(void **state)
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
	/* the agent's own process context, as the other sources give */
	assert_int_equal(ev.process.pid, getpid());
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
		cmocka_unit_test_setup_teardown(
			test_audit_watched_opens_become_open_events, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
		 test_audit_file_records_vigil_asked_for_count_under_any_key,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_audit_symlink_names_target_and_new_link, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_audit_rename_of_symlink_reads_target_live_only,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_audit_module_file_from_command_line, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_audit_xattr_names_file_capabilities_it_changed,
			setup, teardown),
		cmocka_unit_test(test_audit_agent_event_carries_kind_count_pid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
