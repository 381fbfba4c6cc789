/*
 * test_proc_overrun.c - a proc connector overrun on the live kernel is
 * counted as loss, raised as a "proc_connector_overrun" agent event, and
 * repaired by a resync of the process table from /proc.
 *
 * The source is started with the smallest receive buffer the kernel
 * allows (rcvbuf: 1 in its configuration), then the test forks children
 * that exit at once, without running the loop, so the kernel must drop
 * messages.  Before that, the table is told about a child that is already
 * reaped (as if its exit had been lost): the resync must retire it.
 * Needs root; exits 77 otherwise.  Changes no global state.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uv.h>

#include "node.h"
#include "proc/proctable.h"
#include "proc/proc_connector.h"

#define SKIP 77
#define CHILDREN 300
#define REPORT_WAIT_MS 1500

static struct vigil_proctable *table;
static uint64_t overrun_events;
static int64_t overrun_count;

void vigil_source_set_state(struct vigil_source *src, int state,
			    const char *mode, const char *fmt, ...)
{
	va_list ap;

	src->state = state;
	snprintf(src->mode, sizeof(src->mode), "%s", mode);
	va_start(ap, fmt);
	vsnprintf(src->reason, sizeof(src->reason), fmt, ap);
	va_end(ap);
}

int vigil_pipeline_submit(struct vigil_pipeline *p, struct vigil_event *ev)
{
	(void)p;
	if (vigil_proctable_enrich(table, ev))
		return 0;
	if (ev->type == VIGIL_EV_AGENT &&
	    vigil_str_eq(ev->u.agent.kind, "proc_connector_overrun")) {
		overrun_events++;
		overrun_count += ev->u.agent.count;
	}
	return 0;
}

int main(void)
{
	static const char cfg[] = "rcvbuf: 1\n";
	static pid_t kids[CHILDREN];
	struct vigil_proctable_stats st;
	struct vigil_buf err = { 0 };
	struct vigil_source src;
	struct vigil_doc doc;
	uv_loop_t loop;
	const struct vigil_process *ghost;
	int failed = 0, still_live = 0, bad_reports;
	pid_t ghost_pid;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: the proc connector needs root\n");
		return SKIP;
	}
	if (vigil_doc_load_yaml("test", cfg, sizeof(cfg) - 1, &doc, &err)) {
		fprintf(stderr, "%s\n", vigil_buf_cstr(&err));
		return 1;
	}
	if (vigil_proctable_new(0, &table) ||
	    vigil_proctable_seed(table, "/proc"))
		return 1;
	uv_loop_init(&loop);
	memset(&src, 0, sizeof(src));
	src.ops = &vigil_proc_source_ops;
	src.loop = &loop;
	src.config = doc.root;
	if (vigil_proc_source_attach(&src, table))
		return 1;
	if (src.ops->start(&src) != 0) {
		fprintf(stderr, "SKIP: proc connector: %s\n", src.reason);
		src.ops->stop(&src);
		return SKIP;
	}
	fprintf(stderr, "source: %s\n", src.reason);

	/* A process whose exit the table never heard of. */
	ghost_pid = fork();
	if (ghost_pid < 0)
		return 1;
	if (ghost_pid == 0)
		_exit(0);
	waitpid(ghost_pid, NULL, 0);
	if (vigil_proctable_on_fork(table, getpid(), ghost_pid, vigil_now_ns()))
		return 1;

	/* The loop does not run: the socket fills up. */
	for (int i = 0; i < CHILDREN; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			return 1;
		if (kids[i] == 0)
			_exit(0);
	}
	for (int i = 0; i < CHILDREN; i++)
		waitpid(kids[i], NULL, 0);
	/* Overruns after the first report are raised when its one-second
	 * interval ends. */
	for (uint64_t end = uv_now(&loop) + REPORT_WAIT_MS;
	     uv_now(&loop) < end;) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(10000);
		uv_update_time(&loop);
	}

	vigil_proctable_get_stats(table, &st);
	ghost = vigil_proctable_lookup(table, ghost_pid, 0);
	if (ghost && !(ghost->flags & VIGIL_PROC_EXITED))
		fprintf(stderr, "FAIL: the resync left a reaped process live\n");
	failed += ghost && !(ghost->flags & VIGIL_PROC_EXITED);
	for (int i = 0; i < CHILDREN; i++) {
		const struct vigil_process *p =
			vigil_proctable_lookup(table, kids[i], 0);

		still_live += p && !(p->flags & VIGIL_PROC_EXITED);
	}
	fprintf(stderr,
		"events in %llu, lost (overruns) %llu, overrun events %llu "
		"(count %lld), children the table thinks alive %d\n",
		(unsigned long long)src.events_in,
		(unsigned long long)src.lost,
		(unsigned long long)overrun_events, (long long)overrun_count,
		still_live);
	if (src.lost == 0)
		fprintf(stderr, "FAIL: no overrun with a minimal buffer\n");
	failed += src.lost == 0;
	/* Other processes on the host keep forking into the tiny buffer
	 * while the test waits, so overruns after the last report may still
	 * be pending: every reported overrun is real, and reports come at
	 * most once a second. */
	bad_reports = overrun_events < 1 ||
		      overrun_events > REPORT_WAIT_MS / 1000 + 1 ||
		      overrun_count <= 0 || overrun_count > (int64_t)src.lost;
	if (bad_reports)
		fprintf(stderr, "FAIL: at most one agent event a second, "
				"counting overruns that happened\n");
	failed += bad_reports;
	if (still_live)
		fprintf(stderr, "FAIL: the resync left reaped children live\n");
	failed += still_live != 0;

	src.ops->stop(&src);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	vigil_proctable_free(table);
	vigil_doc_free(&doc);
	vigil_buf_free(&err);
	return failed ? 1 : 0;
}
