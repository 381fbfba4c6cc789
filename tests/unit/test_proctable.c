/*
 * test_proctable.c - the process table: seeding from a fixture /proc tree,
 * ancestry, gap filling, LRU bounds, linger after exit, pid reuse, exec
 * updates, argv bounds, and a live /proc check.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "proc/proctable.h"

#define FIXTURE_PROC VIGIL_FIXTURES "/proc"
#define FIXTURE_PIDS 12 /* valid processes in the fixture tree */
#define NS_PER_S INT64_C(1000000000)
/* A time after every fixture process started. */
#define T0 (INT64_C(1764500000) * NS_PER_S)
#define CONTAINER_ID                                                           \
	"3f4a2b1c3f4a2b1c3f4a2b1c3f4a2b1c3f4a2b1c3f4a2b1c3f4a2b1c3f4a2b1c"

struct ctx {
	struct vigil_proctable *t;
	struct vigil_arena arena;
	struct vigil_event ev;
};

static int setup_seeded(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c || vigil_proctable_new(0, &c->t) ||
	    vigil_proctable_seed(c->t, FIXTURE_PROC))
		return -1;
	vigil_arena_init(&c->arena, 0);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	vigil_proctable_free(c->t);
	vigil_arena_free(&c->arena);
	free(c);
	return 0;
}

/* A fresh event for pid at time_ns, as a source would hand it over. */
static struct vigil_event *event_for(struct ctx *c, int32_t pid,
				     int64_t time_ns)
{
	vigil_arena_reset(&c->arena);
	vigil_event_init(&c->ev, &c->arena);
	c->ev.type = VIGIL_EV_EXEC;
	c->ev.time_ns = time_ns;
	c->ev.process.pid = pid;
	return &c->ev;
}

static void assert_str(struct vigil_str s, const char *want)
{
	if (!vigil_str_eq(s, want))
		fail_msg("got '%.*s', want '%s'", (int)s.len,
			 s.ptr ? s.ptr : "", want);
}

static void test_proctable_seed_skips_non_processes(void **state)
{
	struct ctx *c = *state;
	struct vigil_proctable_stats st;

	vigil_proctable_get_stats(c->t, &st);
	assert_int_equal(st.entries, FIXTURE_PIDS);
	assert_int_equal(st.live, FIXTURE_PIDS);
	assert_null(vigil_proctable_lookup(c->t, 9999, 0));
	assert_int_equal(vigil_proctable_seed(c->t, "/nonexistent/proc"),
			 -ENOENT);
}

/* The hostile process under an ssh login: five ancestors up to init, with
 * exe, argv, unit and names. */
static void test_proctable_enrich_walks_ancestry_to_init(void **state)
{
	static const int32_t want_pids[] = { 4121, 4120, 4100, 812, 1 };
	static const char *const want_exe[] = {
		"/usr/bin/bash", "/usr/sbin/sshd", "/usr/sbin/sshd",
		"/usr/sbin/sshd", "/usr/lib/systemd/systemd",
	};
	struct ctx *c = *state;
	struct vigil_event *ev = event_for(c, 4200, T0);

	assert_int_equal(vigil_proctable_enrich(c->t, ev), 0);
	assert_int_equal(ev->process.ppid, 4121);
	assert_str(ev->process.comm, "a) (b\n c)");
	assert_str(ev->process.tty, "pts0");
	assert_str(ev->process.unit, "session-7.scope");
	assert_int_equal(ev->process.argv.n, 4);
	assert_str(ev->process.argv.v[2], "line1\nline2");
	assert_int_equal(ev->n_ancestors, 5);
	for (uint32_t i = 0; i < 5; i++) {
		assert_int_equal(ev->ancestors[i].pid, want_pids[i]);
		assert_str(ev->ancestors[i].file.path, want_exe[i]);
	}
	assert_str(ev->ancestors[0].argv.v[0], "-bash");
	assert_str(ev->ancestors[3].unit, "ssh.service");
	assert_str(ev->ancestors[4].unit, "init.scope");
	/* uid 0 is root on every system; names are resolved per ancestor. */
	assert_str(ev->ancestors[2].user, "root");
	assert_str(ev->ancestors[2].group, "root");
	assert_int_equal(ev->ancestors[1].auid, 1000);
}

static void test_proctable_enrich_fills_container_of_process_chain(void **state)
{
	struct ctx *c = *state;
	struct vigil_event *ev = event_for(c, 2011, T0);

	assert_int_equal(vigil_proctable_enrich(c->t, ev), 0);
	assert_str(ev->process.container.id, CONTAINER_ID);
	assert_str(ev->process.container.runtime, "docker");
	assert_int_equal(ev->n_ancestors, 3);
	assert_str(ev->ancestors[0].container.id, CONTAINER_ID);
	/* The shim runs on the host, in containerd's unit. */
	assert_int_equal(ev->ancestors[1].container.id.len, 0);
	assert_str(ev->ancestors[1].unit, "containerd.service");
}

/* What the source knew stays; only gaps are filled. */
static void test_proctable_enrich_keeps_source_values(void **state)
{
	struct ctx *c = *state;
	struct vigil_event *ev = event_for(c, 4121, T0);

	ev->process.comm = vigil_str_c("from-audit");
	ev->process.uid = 4242;
	assert_int_equal(vigil_proctable_enrich(c->t, ev), 0);
	assert_str(ev->process.comm, "from-audit");
	assert_int_equal(ev->process.uid, 4242);
	assert_int_equal(ev->process.euid, 1000);
	assert_str(ev->process.file.path, "/usr/bin/bash");
}

static void test_proctable_enrich_unknown_pid_leaves_event_alone(void **state)
{
	struct ctx *c = *state;
	struct vigil_event *ev = event_for(c, 424242, T0);

	assert_int_equal(vigil_proctable_enrich(c->t, ev), 0);
	assert_int_equal(ev->n_ancestors, 0);
	assert_int_equal(ev->process.file.path.len, 0);
	ev->arena = NULL;
	assert_int_equal(vigil_proctable_enrich(c->t, ev), -EINVAL);
}

/* A fork copies the parent's image; the child's start is the fork time. */
static void test_proctable_fork_inherits_parent_image(void **state)
{
	struct ctx *c = *state;
	const struct vigil_process *p;

	assert_int_equal(vigil_proctable_on_fork(c->t, 4121, 5000, T0), 0);
	p = vigil_proctable_lookup(c->t, 5000, 0);
	assert_non_null(p);
	assert_int_equal(p->ppid, 4121);
	assert_true(p->start_time_ns == T0);
	assert_str(p->file.path, "/usr/bin/bash");
	assert_str(p->tty, "pts0");
	assert_str(p->unit, "session-7.scope");
}

/* Exec replaces the image and keeps what exec does not change. */
static void test_proctable_exec_replaces_image_keeps_start(void **state)
{
	struct ctx *c = *state;
	struct vigil_str args[2] = { { "ls", 2 }, { "-la", 3 } };
	struct vigil_process np;
	const struct vigil_process *p;

	assert_int_equal(vigil_proctable_on_fork(c->t, 2010, 5001, T0), 0);
	vigil_process_clear(&np);
	np.pid = 5001;
	np.file.path = vigil_str_c("/usr/bin/ls");
	np.comm = vigil_str_c("ls");
	np.argv.v = args;
	np.argv.n = 2;
	assert_int_equal(
		vigil_proctable_on_exec(c->t, &np, T0 + NS_PER_S / 1000), 0);
	p = vigil_proctable_lookup(c->t, 5001, 0);
	assert_non_null(p);
	assert_str(p->file.path, "/usr/bin/ls");
	assert_int_equal(p->argv.n, 2);
	assert_str(p->argv.v[1], "-la");
	assert_true(p->start_time_ns == T0);
	assert_int_equal(p->ppid, 2010);
	assert_str(p->container.id, CONTAINER_ID);
	assert_int_equal(p->uid, 0);
}

/* A child gone before its exec is read, whose fork the table never saw
 * (or saw before its parent entered the container): it runs in its
 * parent's container. */
static void test_proctable_exec_of_a_gone_child_takes_parents_container(
	void **state)
{
	struct ctx *c = *state;
	struct vigil_str args[1] = { { "sh", 2 } };
	struct vigil_process np;
	const struct vigil_process *p;

	vigil_process_clear(&np);
	np.pid = 7001; /* not in the fixture's /proc: gone */
	np.ppid = 2010; /* in the fixture's docker container */
	np.file.path = vigil_str_c("/bin/sh");
	np.argv.v = args;
	np.argv.n = 1;
	assert_int_equal(vigil_proctable_on_exec(c->t, &np, T0), 0);
	p = vigil_proctable_lookup(c->t, 7001, 0);
	assert_non_null(p);
	assert_str(p->container.id, CONTAINER_ID);
	assert_str(p->container.runtime, "docker");

	/* A host parent gives nothing. */
	np.pid = 7002;
	np.ppid = 4121;
	assert_int_equal(vigil_proctable_on_exec(c->t, &np, T0), 0);
	p = vigil_proctable_lookup(c->t, 7002, 0);
	assert_non_null(p);
	assert_int_equal(p->container.id.len, 0);
}

/* Fork, exit, then the exec's record (a short-lived child read in that
 * order): the exec event still gets the child's container. */
static void test_proctable_exec_read_after_exit_keeps_container(void **state)
{
	struct ctx *c = *state;
	struct vigil_str args[2] = { { "docker", 6 }, { "ps", 2 } };
	struct vigil_process np;
	struct vigil_event *ev;

	assert_int_equal(vigil_proctable_on_fork(c->t, 2010, 7400, T0), 0);
	assert_int_equal(vigil_proctable_on_exit(c->t, 7400,
						 T0 + NS_PER_S / 1000), 0);
	vigil_process_clear(&np);
	np.pid = 7400;
	np.ppid = 2010;
	np.file.path = vigil_str_c("/tmp/docker");
	np.argv.v = args;
	np.argv.n = 2;
	assert_int_equal(
		vigil_proctable_on_exec(c->t, &np, T0 + NS_PER_S / 2000), 0);
	ev = event_for(c, 7400, T0 + NS_PER_S / 500);
	ev->process.ppid = 2010;
	ev->process.file.path = vigil_str_c("/tmp/docker");
	assert_int_equal(vigil_proctable_enrich(c->t, ev), 0);
	assert_str(ev->process.container.id, CONTAINER_ID);
	assert_true(ev->n_ancestors >= 1);
	assert_int_equal(ev->ancestors[0].pid, 2010);
}

/* The exec's audit record read before the fork's connector message:
 * the fork must not put the parent's image back over the new one. */
static void test_proctable_fork_read_after_exec_keeps_the_image(void **state)
{
	struct ctx *c = *state;
	struct vigil_str args[2] = { { "java", 4 }, { "-jar", 4 } };
	struct vigil_proctable_stats st;
	struct vigil_process np;
	const struct vigil_process *p;

	vigil_process_clear(&np);
	np.pid = 7200; /* not in the fixture's /proc */
	np.ppid = 4121;
	np.file.path = vigil_str_c("/usr/bin/java");
	np.argv.v = args;
	np.argv.n = 2;
	assert_int_equal(
		vigil_proctable_on_exec(c->t, &np, T0 + NS_PER_S / 1000), 0);
	assert_int_equal(vigil_proctable_on_fork(c->t, 4121, 7200, T0), 0);
	p = vigil_proctable_lookup(c->t, 7200, 0);
	assert_non_null(p);
	assert_str(p->file.path, "/usr/bin/java");
	assert_int_equal(p->argv.n, 2);
	assert_true(p->start_time_ns == T0);
	vigil_proctable_get_stats(c->t, &st);
	assert_int_equal(st.pid_reuse, 0);

	/* Another parent's fork onto that pid is a reuse. */
	assert_int_equal(vigil_proctable_on_fork(c->t, 2010, 7200,
						 T0 + 5 * NS_PER_S), 0);
	p = vigil_proctable_lookup(c->t, 7200, 0);
	assert_int_equal(p->ppid, 2010);
	vigil_proctable_get_stats(c->t, &st);
	assert_int_equal(st.pid_reuse, 1);
}

/* A source may pass the table's own strings back (ASan checks that the
 * update never reads freed memory). */
static void test_proctable_exec_with_strings_from_the_table(void **state)
{
	struct ctx *c = *state;
	const struct vigil_process *p;
	struct vigil_process np;

	for (int i = 0; i < 3; i++) {
		p = vigil_proctable_lookup(c->t, 4121, 0);
		assert_non_null(p);
		np = *p;
		np.comm = p->argv.v[0];
		assert_int_equal(vigil_proctable_on_exec(c->t, &np, T0), 0);
	}
	p = vigil_proctable_lookup(c->t, 4121, 0);
	assert_str(p->comm, "-bash");
	assert_str(p->file.path, "/usr/bin/bash");
}

static void test_proctable_argv_bounded_and_flagged(void **state)
{
	struct ctx *c = *state;
	enum { N = 100, LEN = 1000 };
	struct vigil_str *args = calloc(N, sizeof(*args));
	char *text = malloc(LEN);
	struct vigil_process np;
	const struct vigil_process *p;
	size_t total = 0;

	assert_non_null(args);
	assert_non_null(text);
	memset(text, 'A', LEN);
	for (int i = 0; i < N; i++) {
		args[i].ptr = text;
		args[i].len = LEN;
	}
	vigil_process_clear(&np);
	np.pid = 4121;
	np.argv.v = args;
	np.argv.n = N;
	assert_int_equal(vigil_proctable_on_exec(c->t, &np, T0), 0);
	p = vigil_proctable_lookup(c->t, 4121, 0);
	assert_true(p->flags & VIGIL_PROC_ARGV_TRUNCATED);
	assert_true(p->argv.n > 0 && p->argv.n < N);
	for (uint32_t i = 0; i < p->argv.n; i++)
		total += p->argv.v[i].len + 1;
	assert_true(total <= VIGIL_ARGV_MAX_BYTES);
	assert_int_equal(p->argv.n, VIGIL_ARGV_MAX_BYTES / (LEN + 1));
	free(args);
	free(text);
}

static void test_proctable_ids_and_comm_changes(void **state)
{
	struct ctx *c = *state;
	const struct vigil_process *p;

	assert_int_equal(vigil_proctable_on_ids(c->t, 4121, VIGIL_ID_UNSET, 0,
						VIGIL_ID_UNSET, VIGIL_ID_UNSET),
			 0);
	assert_int_equal(vigil_proctable_on_ids(c->t, 4121, VIGIL_ID_UNSET,
						VIGIL_ID_UNSET, 27, 27),
			 0);
	assert_int_equal(vigil_proctable_on_comm(c->t, 4121, "renamed", 7), 0);
	p = vigil_proctable_lookup(c->t, 4121, 0);
	assert_int_equal(p->uid, 1000);
	assert_int_equal(p->euid, 0);
	assert_int_equal(p->fsuid, 0);
	assert_int_equal(p->gid, 27);
	assert_int_equal(p->egid, 27);
	assert_str(p->comm, "renamed");
	assert_int_equal(vigil_proctable_on_ids(c->t, 424242, 1, 1, 1, 1),
			 -ENOENT);
}

/* An event that arrives after its process exited still gets its context
 * during the linger time, and not after. */
static void test_proctable_exited_process_lingers_then_expires(void **state)
{
	struct ctx *c = *state;
	struct vigil_proctable_stats st;
	struct vigil_event *ev;

	assert_int_equal(vigil_proctable_on_fork(c->t, 4121, 5002, T0), 0);
	assert_int_equal(vigil_proctable_on_exit(c->t, 5002, T0 + NS_PER_S), 0);
	ev = event_for(c, 5002, T0 + NS_PER_S / 2);
	assert_int_equal(vigil_proctable_enrich(c->t, ev), 0);
	assert_str(ev->process.file.path, "/usr/bin/bash");
	assert_int_equal(ev->n_ancestors, 5);
	assert_int_equal(ev->ancestors[0].pid, 4121);

	vigil_proctable_expire(c->t, T0 + 20 * NS_PER_S);
	assert_non_null(vigil_proctable_lookup(c->t, 5002, 0));
	vigil_proctable_expire(c->t, T0 + 32 * NS_PER_S);
	assert_null(vigil_proctable_lookup(c->t, 5002, 0));
	vigil_proctable_get_stats(c->t, &st);
	assert_int_equal(st.expired, 1);
}

/* pid 5003 is a bash child, exits, and is reused by an nginx child: each
 * event gets the process that had the pid at its time. */
static void test_proctable_pid_reuse_keeps_processes_apart(void **state)
{
	struct ctx *c = *state;
	struct vigil_event *ev;

	assert_int_equal(vigil_proctable_on_fork(c->t, 4121, 5003, T0), 0);
	assert_int_equal(vigil_proctable_on_exit(c->t, 5003, T0 + NS_PER_S), 0);
	assert_int_equal(vigil_proctable_on_fork(c->t, 2010, 5003,
						 T0 + 5 * NS_PER_S), 0);

	ev = event_for(c, 5003, T0 + NS_PER_S / 2);
	assert_int_equal(vigil_proctable_enrich(c->t, ev), 0);
	assert_int_equal(ev->process.ppid, 4121);
	assert_int_equal(ev->process.container.id.len, 0);
	assert_int_equal(ev->ancestors[0].pid, 4121);

	ev = event_for(c, 5003, T0 + 6 * NS_PER_S);
	assert_int_equal(vigil_proctable_enrich(c->t, ev), 0);
	assert_int_equal(ev->process.ppid, 2010);
	assert_str(ev->process.container.id, CONTAINER_ID);
	assert_int_equal(ev->ancestors[0].pid, 2010);
}

/* A fork onto a pid the table believes alive means its exit was lost. */
static void test_proctable_fork_over_live_pid_counts_reuse(void **state)
{
	struct ctx *c = *state;
	struct vigil_proctable_stats st;
	const struct vigil_process *p;

	assert_int_equal(vigil_proctable_on_fork(c->t, 4121, 5004, T0), 0);
	assert_int_equal(vigil_proctable_on_fork(c->t, 2010, 5004,
						 T0 + NS_PER_S * 3), 0);
	vigil_proctable_get_stats(c->t, &st);
	assert_int_equal(st.pid_reuse, 1);
	p = vigil_proctable_lookup(c->t, 5004, 0);
	assert_int_equal(p->ppid, 2010);
	p = vigil_proctable_lookup(c->t, 5004, T0 + NS_PER_S);
	assert_int_equal(p->ppid, 4121);
	assert_true(p->flags & VIGIL_PROC_EXITED);
}

/* Full table: exited entries go first, then the least recently used. */
static void test_proctable_bounded_evicts_exited_then_lru(void **state)
{
	struct vigil_proctable *t;
	struct vigil_proctable_stats st;
	const size_t max = VIGIL_PROCTABLE_MIN_ENTRIES;

	(void)state;
	assert_int_equal(vigil_proctable_new(max - 1, &t), -EINVAL);
	assert_int_equal(vigil_proctable_new(max, &t), 0);
	/* pid 1000 is used often; 2000.. fill the table. */
	assert_int_equal(vigil_proctable_on_fork(t, 1, 1000, T0), 0);
	for (int32_t i = 0; i < (int32_t)max - 1; i++) {
		assert_int_equal(vigil_proctable_on_fork(t, 1000, 2000 + i,
							 T0 + i), 0);
		assert_non_null(vigil_proctable_lookup(t, 1000, 0));
	}
	vigil_proctable_get_stats(t, &st);
	assert_int_equal(st.entries, max);
	assert_int_equal(st.evicted_live + st.evicted_exited, 0);

	/* Two exits, then three forks: the two exited go, then the least
	 * recently used live one (2000), never the busy 1000. */
	assert_int_equal(vigil_proctable_on_exit(t, 2010, T0 + 500), 0);
	assert_int_equal(vigil_proctable_on_exit(t, 2011, T0 + 501), 0);
	for (int32_t i = 0; i < 3; i++)
		assert_int_equal(vigil_proctable_on_fork(t, 1000, 9000 + i,
							 T0 + 600 + i), 0);
	vigil_proctable_get_stats(t, &st);
	assert_int_equal(st.entries, max);
	assert_int_equal(st.evicted_exited, 2);
	assert_int_equal(st.evicted_live, 1);
	assert_null(vigil_proctable_lookup(t, 2010, 0));
	assert_null(vigil_proctable_lookup(t, 2000, 0));
	assert_non_null(vigil_proctable_lookup(t, 1000, 0));
	assert_non_null(vigil_proctable_lookup(t, 2001, 0));
	assert_non_null(vigil_proctable_lookup(t, 9002, 0));
	vigil_proctable_free(t);
}

/* Filling a miss must not evict what the enrichment already points at. */
static void test_proctable_enrich_in_full_table_keeps_its_chain(void **state)
{
	struct vigil_proctable *t;
	struct vigil_arena a;
	struct vigil_event ev;
	const size_t max = VIGIL_PROCTABLE_MIN_ENTRIES;

	(void)state;
	assert_int_equal(vigil_proctable_new(max, &t), 0);
	assert_int_equal(vigil_proctable_seed(t, FIXTURE_PROC), 0);
	for (int32_t i = 0; i < (int32_t)max; i++)
		assert_int_equal(vigil_proctable_on_fork(t, 4121, 20000 + i,
							 T0 + i), 0);
	/* The fixture processes were least recently used and are gone;
	 * enrichment refills the chain from /proc, evicting others. */
	vigil_arena_init(&a, 0);
	vigil_event_init(&ev, &a);
	ev.process.pid = 4200;
	ev.time_ns = T0 + NS_PER_S;
	assert_int_equal(vigil_proctable_enrich(t, &ev), 0);
	assert_int_equal(ev.n_ancestors, 5);
	assert_str(ev.process.comm, "a) (b\n c)");
	assert_str(ev.ancestors[0].file.path, "/usr/bin/bash");
	assert_str(ev.ancestors[4].file.path, "/usr/lib/systemd/systemd");
	vigil_arena_free(&a);
	vigil_proctable_free(t);
}

static void test_proctable_ancestry_depth_is_bounded(void **state)
{
	struct ctx *c = *state;
	struct vigil_event *ev;

	assert_int_equal(vigil_proctable_on_fork(c->t, 1, 30000, T0), 0);
	for (int32_t i = 1; i < 40; i++)
		assert_int_equal(vigil_proctable_on_fork(c->t, 30000 + i - 1,
							 30000 + i, T0 + i), 0);
	ev = event_for(c, 30039, T0 + NS_PER_S);
	assert_int_equal(vigil_proctable_enrich(c->t, ev), 0);
	assert_int_equal(ev->n_ancestors, VIGIL_ANCESTORS_MAX);
	assert_int_equal(ev->ancestors[0].pid, 30038);
	assert_int_equal(ev->ancestors[31].pid, 30007);
}

/* A corrupt parent loop (lost events) ends the walk. */
static void test_proctable_parent_loop_terminates(void **state)
{
	struct ctx *c = *state;
	struct vigil_event *ev;
	struct vigil_process np;

	assert_int_equal(vigil_proctable_on_fork(c->t, 1, 31000, T0), 0);
	assert_int_equal(vigil_proctable_on_fork(c->t, 31000, 31001, T0 + 1), 0);
	/* An exec event claims 31000's parent is 31001. */
	np = *vigil_proctable_lookup(c->t, 31000, 0);
	np.ppid = 31001;
	assert_int_equal(
		vigil_proctable_on_exec(c->t, &np, T0 + NS_PER_S / 2), 0);
	ev = event_for(c, 31001, T0 + NS_PER_S);
	ev->process.start_time_ns = 0;
	assert_int_equal(vigil_proctable_enrich(c->t, ev), 0);
	assert_true(ev->n_ancestors <= 2);
	assert_int_equal(ev->ancestors[0].pid, 31000);
}

/* After lost events, a resync marks what /proc no longer shows exited. */
static void test_proctable_resync_marks_vanished_exited(void **state)
{
	struct ctx *c = *state;
	struct vigil_proctable_stats st;
	const struct vigil_process *p;

	assert_int_equal(vigil_proctable_on_fork(c->t, 1, 7777, T0), 0);
	assert_int_equal(vigil_proctable_resync(c->t), 0);
	vigil_proctable_get_stats(c->t, &st);
	assert_int_equal(st.live, FIXTURE_PIDS);
	p = vigil_proctable_lookup(c->t, 7777, 0);
	assert_true(p == NULL || (p->flags & VIGIL_PROC_EXITED));
	p = vigil_proctable_lookup(c->t, 4121, 0);
	assert_non_null(p);
	assert_false(p->flags & VIGIL_PROC_EXITED);
}

/* An exec as audit reports it: the image, at time_ns. */
static int exec_at(struct ctx *c, int32_t pid, int32_t ppid, const char *exe,
		   int64_t time_ns)
{
	struct vigil_str args[1];
	struct vigil_process np;

	args[0] = vigil_str_c(exe);
	vigil_process_clear(&np);
	np.pid = pid;
	np.ppid = ppid;
	np.file.path = args[0];
	np.argv.v = args;
	np.argv.n = 1;
	return vigil_proctable_on_exec(c->t, &np, time_ns);
}

/*
 * Issue 22: a shell runs 1000 /bin/true; each one's exit is read (proc
 * connector) before its exec (audit, up to a read interval later).  The
 * execs go on the exited entries: nothing stays live, and the entries
 * expire after their linger time.
 */
static void test_proctable_exec_read_after_exit_leaves_no_live_entry(
	void **state)
{
	struct ctx *c = *state;
	struct vigil_proctable_stats st;
	const struct vigil_process *p;
	int64_t t = T0;

	for (int32_t pid = 10000; pid < 11000; pid++, t += NS_PER_S / 500) {
		assert_int_equal(vigil_proctable_on_fork(c->t, 4121, pid, t),
				 0);
		assert_int_equal(vigil_proctable_on_exit(c->t, pid,
							 t + NS_PER_S / 1000),
				 0);
		/* audit's clock: coarse, a little before the fork's */
		assert_int_equal(exec_at(c, pid, 4121, "/bin/true",
					 t - NS_PER_S / 500), 0);
	}
	vigil_proctable_get_stats(c->t, &st);
	assert_int_equal(st.live, FIXTURE_PIDS);
	p = vigil_proctable_lookup(c->t, 10999, 0);
	assert_non_null(p);
	assert_true(p->flags & VIGIL_PROC_EXITED);
	assert_str(p->file.path, "/bin/true");
	assert_int_equal(p->ppid, 4121);
	assert_true(p->start_time_ns == t - NS_PER_S / 500);

	vigil_proctable_expire(c->t, t + 31 * NS_PER_S);
	vigil_proctable_get_stats(c->t, &st);
	assert_int_equal(st.expired, 1000);
	assert_int_equal(st.entries, FIXTURE_PIDS);
	assert_int_equal(st.live, FIXTURE_PIDS);
}

/*
 * pid 7600 exits and is reused by a new process: the new one's exec gives
 * it a live entry with its image, and the old one's exec, read after the
 * new fork, goes to the old, exited, entry.
 */
static void test_proctable_exec_after_pid_reuse_is_the_new_process(
	void **state)
{
	struct ctx *c = *state;
	struct vigil_proctable_stats st;
	const struct vigil_process *p;
	const int64_t t2 = T0 + 2 * NS_PER_S;

	assert_int_equal(vigil_proctable_on_fork(c->t, 4121, 7600, T0), 0);
	assert_int_equal(vigil_proctable_on_exit(c->t, 7600,
						 T0 + NS_PER_S / 100), 0);
	assert_int_equal(vigil_proctable_on_fork(c->t, 2010, 7600, t2), 0);
	assert_int_equal(exec_at(c, 7600, 2010, "/usr/sbin/nginx",
				 t2 + NS_PER_S / 1000), 0);
	/* the old process's exec, read late */
	assert_int_equal(exec_at(c, 7600, 4121, "/usr/bin/id",
				 T0 + NS_PER_S / 1000), 0);

	vigil_proctable_get_stats(c->t, &st);
	assert_int_equal(st.live, FIXTURE_PIDS + 1);
	p = vigil_proctable_lookup(c->t, 7600, 0);
	assert_non_null(p);
	assert_false(p->flags & VIGIL_PROC_EXITED);
	assert_str(p->file.path, "/usr/sbin/nginx");
	assert_int_equal(p->ppid, 2010);
	assert_str(p->container.id, CONTAINER_ID);
	p = vigil_proctable_lookup(c->t, 7600, T0 + NS_PER_S / 200);
	assert_non_null(p);
	assert_true(p->flags & VIGIL_PROC_EXITED);
	assert_str(p->file.path, "/usr/bin/id");
	assert_int_equal(p->ppid, 4121);

	/* A reuse within the second (the start times tell them apart to
	 * the fork message's precision): still the new process. */
	assert_int_equal(vigil_proctable_on_exit(c->t, 7600, t2 + NS_PER_S / 10),
			 0);
	assert_int_equal(vigil_proctable_on_fork(c->t, 4121, 7600,
						 t2 + NS_PER_S / 5), 0);
	assert_int_equal(exec_at(c, 7600, 4121, "/usr/bin/curl",
				 t2 + NS_PER_S / 5 + NS_PER_S / 1000), 0);
	p = vigil_proctable_lookup(c->t, 7600, 0);
	assert_false(p->flags & VIGIL_PROC_EXITED);
	assert_str(p->file.path, "/usr/bin/curl");
	p = vigil_proctable_lookup(c->t, 7600, t2 + NS_PER_S / 20);
	assert_str(p->file.path, "/usr/sbin/nginx");
	vigil_proctable_get_stats(c->t, &st);
	assert_int_equal(st.live, FIXTURE_PIDS + 1);
}

/*
 * The proc connector's exec after an exit of the same pid, with no fork
 * between: a thread other than the leader executed (the exit was the old
 * leader's), and the process lives on.  After a reuse's fork it changes
 * nothing.
 */
static void test_proctable_exec_seen_after_leader_exit_revives(void **state)
{
	struct ctx *c = *state;
	struct vigil_proctable_stats st;
	const struct vigil_process *p;

	assert_int_equal(vigil_proctable_on_fork(c->t, 4121, 7900, T0), 0);
	assert_int_equal(vigil_proctable_on_exit(c->t, 7900,
						 T0 + NS_PER_S / 10), 0);
	assert_int_equal(vigil_proctable_exec_seen(c->t, 7900), 0);
	assert_int_equal(exec_at(c, 7900, 4121, "/usr/bin/java",
				 T0 + NS_PER_S / 20), 0);
	p = vigil_proctable_lookup(c->t, 7900, 0);
	assert_false(p->flags & VIGIL_PROC_EXITED);
	assert_str(p->file.path, "/usr/bin/java");
	vigil_proctable_get_stats(c->t, &st);
	assert_int_equal(st.live, FIXTURE_PIDS + 1);
	assert_int_equal(st.leader_exec, 1);

	assert_int_equal(vigil_proctable_on_exit(c->t, 7900, T0 + NS_PER_S),
			 0);
	assert_int_equal(vigil_proctable_on_fork(c->t, 2010, 7900,
						 T0 + 2 * NS_PER_S), 0);
	assert_int_equal(vigil_proctable_exec_seen(c->t, 7900), 0);
	vigil_proctable_get_stats(c->t, &st);
	assert_int_equal(st.live, FIXTURE_PIDS + 1);
	assert_int_equal(st.leader_exec, 1);
	assert_int_equal(vigil_proctable_exec_seen(c->t, 7901), -ENOENT);
}

/* An exec of a process the table never saw, which /proc does not have:
 * gone, so not live; its exit message, read later, is taken. */
static void test_proctable_exec_of_unknown_gone_process_is_not_live(
	void **state)
{
	struct ctx *c = *state;
	struct vigil_proctable_stats st;
	const struct vigil_process *p;

	assert_int_equal(exec_at(c, 7700, 4121, "/bin/true", T0), 0);
	vigil_proctable_get_stats(c->t, &st);
	assert_int_equal(st.live, FIXTURE_PIDS);
	p = vigil_proctable_lookup(c->t, 7700, 0);
	assert_non_null(p);
	assert_true(p->flags & VIGIL_PROC_EXITED);
	assert_str(p->file.path, "/bin/true");
	assert_int_equal(vigil_proctable_on_exit(c->t, 7700,
						 T0 + NS_PER_S / 100), 0);
	vigil_proctable_get_stats(c->t, &st);
	assert_int_equal(st.live, FIXTURE_PIDS);
}

/* /proc still shows a process whose exit was read (a zombie): a miss
 * for it must not bring it back as live. */
static void test_proctable_zombie_of_exited_process_is_not_refilled(
	void **state)
{
	struct ctx *c = *state;
	struct vigil_proctable_stats st;
	struct vigil_event *ev;

	assert_int_equal(vigil_proctable_on_exit(c->t, 4121, T0), 0);
	/* an event long after the exit: a miss, and /proc has 4121 */
	ev = event_for(c, 4121, T0 + 10 * NS_PER_S);
	assert_int_equal(vigil_proctable_enrich(c->t, ev), 0);
	vigil_proctable_get_stats(c->t, &st);
	assert_int_equal(st.live, FIXTURE_PIDS - 1);
	assert_int_equal(st.procfs_fills, 0);
	assert_int_equal(vigil_proctable_resync(c->t), 0);
	vigil_proctable_get_stats(c->t, &st);
	assert_int_equal(st.live, FIXTURE_PIDS - 1);
}

/* Lost exits: the check against /proc marks what is gone, a bounded
 * number of entries per call, going round the live list. */
static void test_proctable_check_live_marks_gone_processes(void **state)
{
	struct ctx *c = *state;
	struct vigil_proctable_stats st;
	unsigned marked = 0;

	assert_int_equal(vigil_proctable_on_fork(c->t, 4121, 7801, T0), 0);
	assert_int_equal(vigil_proctable_on_fork(c->t, 4121, 7802, T0), 0);
	/* least recently used first: the seeded processes */
	assert_int_equal(vigil_proctable_check_live(c->t, T0 + NS_PER_S, 5),
			 0);
	for (int i = 0; i < 3; i++)
		marked += vigil_proctable_check_live(c->t, T0 + NS_PER_S, 5);
	assert_int_equal(marked, 2);
	vigil_proctable_get_stats(c->t, &st);
	assert_int_equal(st.live, FIXTURE_PIDS);
	assert_int_equal(st.vanished, 2);
	assert_true(vigil_proctable_lookup(c->t, 7801, 0)->flags &
		    VIGIL_PROC_EXITED);
	assert_false(vigil_proctable_lookup(c->t, 4121, 0)->flags &
		     VIGIL_PROC_EXITED);
	/* round again: nothing more */
	for (int i = 0; i < 4; i++)
		assert_int_equal(vigil_proctable_check_live(c->t,
							    T0 + NS_PER_S, 5),
				 0);
}

/*
 * Long command lines (a build's compiler calls), then short processes
 * that reuse the entries once those have expired: the table's string
 * buffers come back to what its entries hold, instead of keeping a large
 * buffer for every long command line it ever stored.
 */
static void test_proctable_long_argv_buffers_do_not_pile_up(void **state)
{
	struct ctx *c = *state;
	enum { LONGS = 64, SMALLS = 512, LONG = 32768 };
	struct vigil_proctable_stats st;
	struct vigil_str big = { NULL, LONG };
	const struct vigil_process *p;
	char *text = malloc(LONG);
	struct vigil_process np;
	int64_t t = T0;
	int32_t pid = 20000;

	assert_non_null(text);
	memset(text, 'x', LONG);
	big.ptr = text;
	for (int r = 0; r < LONGS; r++, pid++, t += NS_PER_S / 100) {
		assert_int_equal(vigil_proctable_on_fork(c->t, 4121, pid, t),
				 0);
		vigil_process_clear(&np);
		np.pid = pid;
		np.file.path = vigil_str_c("/usr/bin/cc");
		np.argv.v = &big;
		np.argv.n = 1;
		assert_int_equal(vigil_proctable_on_exec(c->t, &np, t), 0);
		p = vigil_proctable_lookup(c->t, pid, 0);
		assert_int_equal(p->argv.v[0].len, LONG);
		assert_memory_equal(p->argv.v[0].ptr, text, LONG);
		assert_int_equal(vigil_proctable_on_exit(c->t, pid, t + 1), 0);
	}
	t += 31 * NS_PER_S; /* past the linger: their entries are free */
	for (int k = 0; k < SMALLS; k++, pid++, t += NS_PER_S / 100) {
		assert_int_equal(vigil_proctable_on_fork(c->t, 4121, pid, t),
				 0);
		assert_int_equal(exec_at(c, pid, 4121, "/bin/true", t), 0);
		p = vigil_proctable_lookup(c->t, pid, 0);
		assert_str(p->file.path, "/bin/true");
		assert_str(p->argv.v[0], "/bin/true");
		assert_str(p->tty, "pts0");
		assert_int_equal(vigil_proctable_on_exit(c->t, pid, t + 1), 0);
	}
	vigil_proctable_get_stats(c->t, &st);
	assert_int_equal(st.expired, LONGS);
	/* A couple of large buffers (the spare) at most. */
	if (st.buffer_bytes > 4 * (size_t)LONG + 65536)
		fail_msg("%llu bytes of buffers after %d long command lines",
			 (unsigned long long)st.buffer_bytes, LONGS);
	free(text);
}

/*
 * Short processes, the way a table sees them between a build's compiler
 * calls: fork from the fixture's shell, exec of /bin/true, exit.  Time
 * moves on by 10 ms per process from *t.
 */
static void run_short_processes(struct vigil_proctable *t, int n,
				int32_t *pid, int64_t *time_ns)
{
	struct vigil_str arg = vigil_str_c("/bin/true");
	struct vigil_process np;

	for (int k = 0; k < n; k++, (*pid)++, *time_ns += NS_PER_S / 100) {
		assert_int_equal(vigil_proctable_on_fork(t, 4121, *pid,
							 *time_ns),
				 0);
		vigil_process_clear(&np);
		np.pid = *pid;
		np.ppid = 4121;
		np.file.path = arg;
		np.argv.v = &arg;
		np.argv.n = 1;
		assert_int_equal(vigil_proctable_on_exec(t, &np, *time_ns), 0);
		assert_int_equal(vigil_proctable_on_exit(t, *pid,
							 *time_ns + 1),
				 0);
	}
}

/*
 * Command lines of one to three and a half KiB (compiler calls: under the
 * cut of test_proctable_long_argv_buffers_do_not_pile_up's 32 KiB ones),
 * then, once their processes have expired, only short processes: the
 * table's string buffers come back to what a table that never saw the
 * long ones holds (issue 22: RSS grew in bench/soak.sh while the entries
 * stayed level, each buffer keeping the largest context it ever held).
 */
static void test_proctable_buffers_shrink_back_after_medium_argv(void **state)
{
	struct ctx *c = *state;
	enum { MEDIUMS = 256, SHORTS = 2048, MAX_LEN = 3584 };
	struct vigil_proctable_stats with, without;
	struct vigil_proctable *plain;
	const struct vigil_process *p;
	struct vigil_str arg[2];
	char *text = malloc(MAX_LEN);
	struct vigil_process np;
	int64_t t = T0, t2;
	int32_t pid = 20000, pid2;

	assert_non_null(text);
	memset(text, 'x', MAX_LEN);
	arg[0] = vigil_str_c("/usr/bin/cc");
	for (int r = 0; r < MEDIUMS; r++, pid++, t += NS_PER_S / 100) {
		assert_int_equal(vigil_proctable_on_fork(c->t, 4121, pid, t),
				 0);
		vigil_process_clear(&np);
		np.pid = pid;
		np.ppid = 4121;
		np.file.path = arg[0];
		arg[1].ptr = text;
		arg[1].len = 1024 + (uint32_t)(r * 41) % (MAX_LEN - 1024);
		np.argv.v = arg;
		np.argv.n = 2;
		assert_int_equal(vigil_proctable_on_exec(c->t, &np, t), 0);
		p = vigil_proctable_lookup(c->t, pid, 0);
		assert_int_equal(p->argv.v[1].len, arg[1].len);
		assert_int_equal(vigil_proctable_on_exit(c->t, pid, t + 1), 0);
	}
	t += 31 * NS_PER_S; /* past the linger: their entries are free */
	t2 = t;
	pid2 = pid;
	run_short_processes(c->t, SHORTS, &pid, &t);
	p = vigil_proctable_lookup(c->t, pid - 1, 0);
	assert_str(p->argv.v[0], "/bin/true");
	assert_str(p->tty, "pts0");

	/* The same short processes in a table that never saw a long one. */
	assert_int_equal(vigil_proctable_new(0, &plain), 0);
	assert_int_equal(vigil_proctable_seed(plain, FIXTURE_PROC), 0);
	run_short_processes(plain, SHORTS, &pid2, &t2);

	vigil_proctable_get_stats(c->t, &with);
	vigil_proctable_get_stats(plain, &without);
	assert_int_equal(with.expired, MEDIUMS);
	assert_int_equal(with.entries, without.entries);
	/* One medium buffer (the spare) at most besides. */
	if (with.buffer_bytes > without.buffer_bytes + MAX_LEN + 256)
		fail_msg("%llu bytes of buffers after %d command lines of up "
			 "to %d bytes, %llu without them",
			 (unsigned long long)with.buffer_bytes, MEDIUMS,
			 MAX_LEN, (unsigned long long)without.buffer_bytes);
	vigil_proctable_free(plain);
	free(text);
}

/* The live /proc: our own ancestry ends at init and starts at our parent. */
static void test_proctable_live_proc_ancestry_of_self(void **state)
{
	struct vigil_proctable *t;
	struct vigil_arena a;
	struct vigil_event ev;

	(void)state;
	assert_int_equal(vigil_proctable_new(0, &t), 0);
	assert_int_equal(vigil_proctable_seed(t, "/proc"), 0);
	vigil_arena_init(&a, 0);
	vigil_event_init(&ev, &a);
	ev.process.pid = getpid();
	ev.time_ns = vigil_now_ns();
	assert_int_equal(vigil_proctable_enrich(t, &ev), 0);
	assert_true(ev.n_ancestors >= 1);
	assert_int_equal(ev.ancestors[0].pid, getppid());
	assert_int_equal(ev.ancestors[ev.n_ancestors - 1].ppid, 0);
	assert_true(ev.process.file.path.len > 0);
	vigil_arena_free(&a);
	vigil_proctable_free(t);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup_seeded, teardown)
	const struct CMUnitTest tests[] = {
		T(test_proctable_seed_skips_non_processes),
		T(test_proctable_enrich_walks_ancestry_to_init),
		T(test_proctable_enrich_fills_container_of_process_chain),
		T(test_proctable_exec_of_a_gone_child_takes_parents_container),
		T(test_proctable_fork_read_after_exec_keeps_the_image),
		T(test_proctable_exec_read_after_exit_keeps_container),
		T(test_proctable_enrich_keeps_source_values),
		T(test_proctable_enrich_unknown_pid_leaves_event_alone),
		T(test_proctable_fork_inherits_parent_image),
		T(test_proctable_exec_replaces_image_keeps_start),
		T(test_proctable_exec_with_strings_from_the_table),
		T(test_proctable_argv_bounded_and_flagged),
		T(test_proctable_ids_and_comm_changes),
		T(test_proctable_exited_process_lingers_then_expires),
		T(test_proctable_pid_reuse_keeps_processes_apart),
		T(test_proctable_fork_over_live_pid_counts_reuse),
		cmocka_unit_test(test_proctable_bounded_evicts_exited_then_lru),
		cmocka_unit_test(
			test_proctable_enrich_in_full_table_keeps_its_chain),
		T(test_proctable_ancestry_depth_is_bounded),
		T(test_proctable_parent_loop_terminates),
		T(test_proctable_resync_marks_vanished_exited),
		T(test_proctable_exec_read_after_exit_leaves_no_live_entry),
		T(test_proctable_exec_after_pid_reuse_is_the_new_process),
		T(test_proctable_exec_of_unknown_gone_process_is_not_live),
		T(test_proctable_exec_seen_after_leader_exit_revives),
		T(test_proctable_zombie_of_exited_process_is_not_refilled),
		T(test_proctable_check_live_marks_gone_processes),
		T(test_proctable_long_argv_buffers_do_not_pile_up),
		T(test_proctable_buffers_shrink_back_after_medium_argv),
		cmocka_unit_test(test_proctable_live_proc_ancestry_of_self),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
