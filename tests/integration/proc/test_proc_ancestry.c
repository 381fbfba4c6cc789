/*
 * test_proc_ancestry.c - the proc connector source on the live kernel.
 *
 * Starts the source on a libuv loop, with a test double of
 * vigil_pipeline_submit that enriches each event from the process table as
 * the pipeline does, then runs a four-level process chain: this program
 * forks, and each level execs this program again with "--chain LEVEL
 * MARKER FD", writes "LEVEL PID" to the pipe FD and forks the next level.
 * The deepest level's exit event must carry its three ancestors in the
 * chain, then this test process, each with the right pid, exe path and
 * argv.  Needs root (proc connector multicast); exits 77 otherwise.  It
 * changes no global state: one netlink socket, closed at exit.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "proc/proctable.h"
#include "proc/proc_connector.h"

#define SKIP 77
#define LEVELS 4
#define MAX_RECORDED 64
#define DEEPEST_SLEEP_MS 300
#define CHAIN_TIMEOUT_MS 10000
#define DRAIN_MS 300

struct recorded_proc {
	int32_t pid;
	char exe[PATH_MAX];
	char argv[512]; /* arguments joined with ' ' */
};

struct recorded_event {
	uint32_t type;
	struct recorded_proc proc;
	struct recorded_proc ancestors[8];
	uint32_t n_ancestors;
};

static struct vigil_proctable *table;
static const char *marker;
static struct recorded_event recorded[MAX_RECORDED];
static size_t n_recorded;
static uint64_t n_submitted;

/* ---- test doubles of the daemon's functions ---- */

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

static void record_proc(struct recorded_proc *r, const struct vigil_process *p)
{
	size_t off = 0;

	r->pid = p->pid;
	snprintf(r->exe, sizeof(r->exe), "%.*s", (int)p->file.path.len,
		 p->file.path.ptr ? p->file.path.ptr : "");
	r->argv[0] = '\0';
	for (uint32_t i = 0; i < p->argv.n && off < sizeof(r->argv); i++)
		off += (size_t)snprintf(r->argv + off, sizeof(r->argv) - off,
					"%s%.*s", i ? " " : "",
					(int)p->argv.v[i].len, p->argv.v[i].ptr);
}

/* Enriches like the pipeline, and keeps the events of our chain. */
int vigil_pipeline_submit(struct vigil_pipeline *p, struct vigil_event *ev)
{
	struct recorded_event *r;
	bool ours = false;

	(void)p;
	n_submitted++;
	if (vigil_proctable_enrich(table, ev))
		return 0;
	for (uint32_t i = 0; i < ev->process.argv.n; i++)
		ours |= vigil_str_eq(ev->process.argv.v[i], marker);
	if (!ours || n_recorded >= MAX_RECORDED)
		return 0;
	r = &recorded[n_recorded++];
	r->type = ev->type;
	record_proc(&r->proc, &ev->process);
	r->n_ancestors = ev->n_ancestors < 8 ? ev->n_ancestors : 8;
	for (uint32_t i = 0; i < r->n_ancestors; i++)
		record_proc(&r->ancestors[i], &ev->ancestors[i]);
	return 0;
}

/* ---- the chain ---- */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* One level of the chain; never returns. */
static int run_chain(char **argv)
{
	int level = atoi(argv[2]);
	int fd = atoi(argv[4]);
	char next[16], line[64];
	int status, n;
	pid_t child;

	n = snprintf(line, sizeof(line), "%d %d\n", level, (int)getpid());
	if (write(fd, line, (size_t)n) != n)
		_exit(2);
	if (level <= 1) {
		sleep_ms(DEEPEST_SLEEP_MS);
		_exit(0);
	}
	/* Give the agent time to read our image after the exec. */
	sleep_ms(50);
	child = fork();
	if (child < 0)
		_exit(2);
	if (child == 0) {
		snprintf(next, sizeof(next), "%d", level - 1);
		execl("/proc/self/exe", argv[0], "--chain", next, argv[3],
		      argv[4], (char *)NULL);
		_exit(127);
	}
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status))
		_exit(2);
	_exit(WEXITSTATUS(status));
}

static void on_tick(uv_timer_t *t)
{
	(void)t;
}

/* Runs the loop for ms milliseconds or until done() says so. */
static void run_loop(uv_loop_t *loop, long ms, pid_t wait_for, int *status)
{
	uv_timer_t tick;
	uint64_t end = uv_now(loop) + (uint64_t)ms;

	uv_timer_init(loop, &tick);
	uv_timer_start(&tick, on_tick, 10, 10);
	while (uv_now(loop) < end) {
		uv_run(loop, UV_RUN_ONCE);
		if (wait_for > 0 && waitpid(wait_for, status, WNOHANG) ==
					    wait_for)
			break;
	}
	uv_close((uv_handle_t *)&tick, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
}

static int check(bool ok, const char *what)
{
	if (!ok)
		fprintf(stderr, "FAIL: %s\n", what);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct vigil_source src;
	pid_t level_pid[LEVELS + 1] = { 0 };
	char self_exe[PATH_MAX], buf[256], want[512], mark[64];
	const struct recorded_event *deep = NULL;
	uv_loop_t loop;
	int fds[2], status = -1, failed = 0;
	pid_t child;
	ssize_t n;

	if (argc == 5 && strcmp(argv[1], "--chain") == 0)
		return run_chain(argv);
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: the proc connector needs root\n");
		return SKIP;
	}
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0)
		return 1;
	self_exe[n] = '\0';
	snprintf(mark, sizeof(mark), "vigil-chain-%d-%ld", (int)getpid(),
		 (long)time(NULL));
	marker = mark;

	if (vigil_proctable_new(0, &table) ||
	    vigil_proctable_seed(table, "/proc"))
		return 1;
	uv_loop_init(&loop);
	memset(&src, 0, sizeof(src));
	src.ops = &vigil_proc_source_ops;
	src.loop = &loop;
	if (vigil_proc_source_attach(&src, table))
		return 1;
	if (src.ops->start(&src) != 0) {
		fprintf(stderr, "SKIP: proc connector: %s\n", src.reason);
		src.ops->stop(&src);
		return SKIP;
	}
	fprintf(stderr, "source: %s (%s)\n", src.mode, src.reason);

	if (pipe(fds) < 0)
		return 1;
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		char level[16], fd[16];

		close(fds[0]);
		snprintf(level, sizeof(level), "%d", LEVELS);
		snprintf(fd, sizeof(fd), "%d", fds[1]);
		execl("/proc/self/exe", argv[0], "--chain", level, mark, fd,
		      (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	run_loop(&loop, CHAIN_TIMEOUT_MS, child, &status);
	run_loop(&loop, DRAIN_MS, 0, NULL);
	failed += check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			"the process chain ran to its end");

	/* "LEVEL PID" lines from every level. */
	while ((n = read(fds[0], buf, sizeof(buf) - 1)) > 0) {
		char *line, *save = NULL;

		buf[n] = '\0';
		for (line = strtok_r(buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			int l, p;

			if (sscanf(line, "%d %d", &l, &p) == 2 && l >= 1 &&
			    l <= LEVELS)
				level_pid[l] = p;
		}
	}
	close(fds[0]);
	for (int l = 1; l <= LEVELS; l++)
		failed += check(level_pid[l] > 0, "every level reported");
	failed += check(level_pid[LEVELS] == child,
			"the first level is our child");

	for (size_t i = 0; i < n_recorded; i++)
		if (recorded[i].type == VIGIL_EV_EXIT &&
		    recorded[i].proc.pid == level_pid[1])
			deep = &recorded[i];
	failed += check(deep != NULL, "an exit event for the deepest level");
	if (deep) {
		failed += check(deep->n_ancestors >= LEVELS,
				"at least four ancestors");
		for (int l = 2; l <= LEVELS && l - 2 < (int)deep->n_ancestors;
		     l++) {
			const struct recorded_proc *a = &deep->ancestors[l - 2];

			snprintf(want, sizeof(want), "%s --chain %d %s %d",
				 argv[0], l, mark, fds[1]);
			fprintf(stderr, "ancestor %d: pid %d exe %s argv '%s'\n",
				l - 2, a->pid, a->exe, a->argv);
			failed += check(a->pid == level_pid[l], "ancestor pid");
			failed += check(strcmp(a->exe, self_exe) == 0,
					"ancestor exe path");
			failed += check(strcmp(a->argv, want) == 0,
					"ancestor argv");
		}
		if (deep->n_ancestors >= LEVELS) {
			const struct recorded_proc *a =
				&deep->ancestors[LEVELS - 1];

			fprintf(stderr, "ancestor %d: pid %d exe %s\n",
				LEVELS - 1, a->pid, a->exe);
			failed += check(a->pid == getpid(),
					"the test process is the 4th ancestor");
			failed += check(strcmp(a->exe, self_exe) == 0,
					"test process exe path");
		}
	}
	fprintf(stderr, "events submitted %llu, recorded %zu, lost %llu\n",
		(unsigned long long)n_submitted, n_recorded,
		(unsigned long long)src.lost);

	src.ops->stop(&src);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	vigil_proctable_free(table);
	if (failed)
		fprintf(stderr, "%d check(s) failed\n", failed);
	return failed ? 1 : 0;
}
