/*
 * audit_live.c - runs the audit source on a uv loop against the live
 * kernel, with a test double of vigil_pipeline_submit that records the
 * events, and checks one scenario:
 *
 *   exec MODE          a child execs /bin/echo with hostile arguments;
 *                      its exec event must carry them byte for byte
 *   kact MODE KACT DIR runs audit_kact; every kernel-activity type must
 *                      arrive
 *   flush MODE         deletes vigil's rules behind its back (only its
 *                      key: other tools' rules stay); they must be back
 *                      within 1.5 s with an audit_rules_flushed event
 *   expect-fail MODE TEXT   start must fail with TEXT in the reason
 *   expect-mode WANT [nomulticast]   auto must pick WANT
 *   lost MODE          after the caller shrank the backlog: a burst must
 *                      raise audit_lost with the kernel's count
 *   derived MODE DIR   audit.rules derived: the kernel holds exactly the
 *                      rules derived from a policy in DIR (ptrace only
 *                      with a0 filters, no mount); a reload with another
 *                      policy swaps them, a broken one keeps them, and
 *                      stop removes them
 *   read MODE SECONDS  (bench) reads, prints events and its own CPU
 *   replay FILE        (bench) replays an audit.log, prints counts
 *
 * Exit 0 pass, 1 fail, 77 skip (not root).  The rule key is unique per
 * run, and the source removes its rules on stop.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uv.h>

#include "lang/policy.h"
#include "node.h"
#include "pipeline.h"
#include "schema.h"
#include "source.h"
#include "audit/audit_rules.h"
#include "audit/audit_source.h"
#include "util.h"

#define MAX_SEEN 4096
#define HOSTILE_ARGS 300
#define BIG_ARG 20000

struct seen {
	uint32_t type;
	int32_t pid;
	struct vigil_buf argv; /* NUL-joined */
	uint32_t argc;
	char kind[32];
};

static struct seen seen[MAX_SEEN];
static unsigned n_seen;
static unsigned long long n_exec_total; /* not capped like seen[] */
static uv_loop_t *loop;
static struct vigil_source src;
static char key[64];

/* ---- test doubles of the daemon's functions ---- */

int vigil_pipeline_submit(struct vigil_pipeline *p, struct vigil_event *ev)
{
	struct seen *s;
	uint32_t i;

	(void)p;
	n_exec_total += ev->type == VIGIL_EV_EXEC;
	if (n_seen >= MAX_SEEN)
		return 0;
	s = &seen[n_seen++];
	s->type = ev->type;
	s->pid = ev->process.pid;
	s->argc = ev->process.argv.n;
	for (i = 0; i < ev->process.argv.n; i++) {
		if (vigil_buf_append(&s->argv, ev->process.argv.v[i].ptr,
				     ev->process.argv.v[i].len) ||
		    vigil_buf_putc(&s->argv, '\0'))
			abort();
	}
	if (ev->type == VIGIL_EV_AGENT)
		snprintf(s->kind, sizeof(s->kind), "%.*s",
			 (int)ev->u.agent.kind.len, ev->u.agent.kind.ptr);
	return 0;
}

void vigil_source_set_state(struct vigil_source *s, int state,
			    const char *mode, const char *fmt, ...)
{
	va_list ap;

	s->state = state;
	snprintf(s->mode, sizeof(s->mode), "%s", mode);
	va_start(ap, fmt);
	vsnprintf(s->reason, sizeof(s->reason), fmt, ap);
	va_end(ap);
	fprintf(stderr, "audit source: state %d mode %s: %s\n", state, s->mode,
		s->reason);
}

/* ---- helpers ---- */

/* The daemon's configuration as the source sees it: the rules plugin's
 * paths (derived mode). */
static struct vigil_plugin_conf rules_conf = { .name = "rules",
					       .enabled = true };
static struct vigil_config daemon_cfg = { .plugins = &rules_conf,
					  .n_plugins = 1 };
static struct vigil_pipeline pipeline = { .cfg = &daemon_cfg };

/* Starts the source in mode with audit.rules: rules. */
static int start_rules(const char *mode, uint32_t features_disabled,
		       const char *rules)
{
	static struct vigil_doc doc;
	struct vigil_buf err = { 0 };
	char yaml[256];
	int n;

	n = snprintf(yaml, sizeof(yaml), "mode: %s\nkey: %s\nrules: %s\n",
		     mode, key, rules);
	if (vigil_doc_load_yaml("test", yaml, (size_t)n, &doc, &err)) {
		fprintf(stderr, "%s\n", vigil_buf_cstr(&err));
		return -EINVAL;
	}
	memset(&src, 0, sizeof(src));
	src.ops = &vigil_audit_source_ops;
	src.loop = loop;
	src.config = doc.root;
	src.pipeline = &pipeline;
	src.features_disabled = features_disabled;
	return src.ops->start(&src);
}

/* The scenarios that need every syscall group. */
static int start(const char *mode, uint32_t features_disabled)
{
	return start_rules(mode, features_disabled, "all");
}

static void stop(void)
{
	src.ops->stop(&src);
	uv_run(loop, UV_RUN_NOWAIT);
}

static void run_for(unsigned ms)
{
	uint64_t end = uv_now(loop) + ms;

	while (uv_now(loop) < end) {
		uv_run(loop, UV_RUN_ONCE);
		uv_update_time(loop);
	}
}

static void on_tick(uv_timer_t *t)
{
	(void)t;
}

static const struct seen *find(uint32_t type, int32_t pid)
{
	unsigned i;

	for (i = 0; i < n_seen; i++)
		if (seen[i].type == type && (pid == 0 || seen[i].pid == pid))
			return &seen[i];
	return NULL;
}

/* The first agent event of a kind, or NULL. */
static const struct seen *find_agent(const char *kind)
{
	unsigned i;

	for (i = 0; i < n_seen; i++)
		if (seen[i].type == VIGIL_EV_AGENT &&
		    strcmp(seen[i].kind, kind) == 0)
			return &seen[i];
	return NULL;
}

/* Runs the loop until an event of type from pid arrives or ms pass. */
static const struct seen *wait_for(uint32_t type, int32_t pid, unsigned ms)
{
	uint64_t end = uv_now(loop) + ms;
	const struct seen *s;

	while (!(s = find(type, pid)) && uv_now(loop) < end) {
		uv_run(loop, UV_RUN_ONCE);
		uv_update_time(loop);
	}
	return s;
}

/* ---- scenarios ---- */

static int scenario_exec(const char *mode)
{
	static char big[BIG_ARG + 1];
	const char *args[HOSTILE_ARGS + 16];
	char nums[HOSTILE_ARGS][8];
	struct vigil_buf want = { 0 };
	const struct seen *s;
	pid_t pid;
	int i, n = 0, st, devnull;

	if (start(mode, 0))
		return 1;
	memset(big, 'z', BIG_ARG);
	args[n++] = "/bin/echo";
	args[n++] = "two words";
	args[n++] = "quote\"d 'single'";
	args[n++] = "new\nline";
	args[n++] = "\xff\xfe\xc3\x28 bytes";
	args[n++] = "";
	args[n++] = big;
	for (i = 0; i < HOSTILE_ARGS; i++) {
		snprintf(nums[i], sizeof(nums[i]), "%d", i);
		args[n++] = nums[i];
	}
	args[n] = NULL;
	for (i = 0; i < n; i++)
		if (vigil_buf_append(&want, args[i], strlen(args[i]) + 1))
			return 1;
	run_for(200);
	pid = fork();
	if (pid == 0) {
		devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, STDOUT_FILENO);
		execv(args[0], (char *const *)args);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	s = wait_for(VIGIL_EV_EXEC, pid, 5000);
	stop();
	if (!s) {
		fprintf(stderr, "FAIL: no exec event for pid %d (%u events)\n",
			pid, n_seen);
		return 1;
	}
	if (s->argc != (uint32_t)n || s->argv.len != want.len ||
	    memcmp(s->argv.data, want.data, want.len) != 0) {
		fprintf(stderr, "FAIL: argv differs: argc %u want %d, %zu "
			"bytes want %zu\n", s->argc, n, s->argv.len, want.len);
		return 1;
	}
	printf("exec %s: %d arguments, %zu bytes, byte-exact\n", mode, n,
	       want.len);
	vigil_buf_free(&want);
	return 0;
}

static int scenario_kact(const char *mode, const char *kact, const char *dir)
{
	static const uint32_t want[] = {
		VIGIL_EV_PTRACE,	  VIGIL_EV_PROCESS_VM_WRITEV,
		VIGIL_EV_KILL,	  VIGIL_EV_LOAD_MODULE,
		VIGIL_EV_UNLOAD_MODULE,	  VIGIL_EV_SETNS,
		VIGIL_EV_UNSHARE,	  VIGIL_EV_MOUNT,
		VIGIL_EV_UMOUNT,	  VIGIL_EV_PIVOT_ROOT,
		VIGIL_EV_CHROOT,	  VIGIL_EV_BPF,
		VIGIL_EV_PERF_EVENT_OPEN, VIGIL_EV_KEXEC_LOAD,
		VIGIL_EV_MEMFD_CREATE,	  VIGIL_EV_CAPSET,
		VIGIL_EV_SETUID,	  VIGIL_EV_SETGID,
		VIGIL_EV_OPEN_BY_HANDLE_AT, VIGIL_EV_PERSONALITY,
		VIGIL_EV_KEYCTL,
	};
	int pipefd[2], st, bad = 0;
	pid_t pid;
	size_t i;

	if (start(mode, 0))
		return 1;
	run_for(200);
	if (pipe(pipefd))
		return 1;
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[0], STDIN_FILENO);
		close(pipefd[1]);
		execl(kact, kact, dir, (char *)NULL);
		_exit(127);
	}
	close(pipefd[0]);
	if (write(pipefd[1], "go\n", 3) != 3)
		return 1;
	close(pipefd[1]);
	waitpid(pid, &st, 0);
	run_for(1500);
	stop();
	for (i = 0; i < VIGIL_ARRAY_SIZE(want); i++) {
		if (!find(want[i], 0)) {
			fprintf(stderr, "FAIL: no event of type %u\n", want[i]);
			bad = 1;
		}
	}
	printf("kact %s: %u events, %zu types checked\n", mode, n_seen,
	       VIGIL_ARRAY_SIZE(want));
	return bad;
}

static int scenario_flush(const char *mode)
{
	char cmd[128];
	const struct seen *s;

	if (start(mode, 0))
		return 1;
	run_for(300);
	snprintf(cmd, sizeof(cmd), "auditctl -D -k %s > /dev/null", key);
	if (system(cmd) != 0)
		return 1;
	s = wait_for(VIGIL_EV_AGENT, 0, 1500);
	snprintf(cmd, sizeof(cmd), "auditctl -l | grep -c 'key=%s$'", key);
	if (!s || strcmp(s->kind, "audit_rules_flushed") != 0) {
		fprintf(stderr, "FAIL: no audit_rules_flushed event\n");
		stop();
		return 1;
	}
	printf("flush %s: repaired; rules now: ", mode);
	fflush(stdout);
	if (system(cmd) != 0) {
		stop();
		return 1;
	}
	stop();
	return 0;
}

/* Writes text to dir/name; returns 0 or -1. */
static int write_text(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f) ? -1 : 0;
}

/* Points the rules plugin's paths at dir/name (a YAML doc kept alive). */
static int use_policy(struct vigil_doc *doc, const char *dir,
		      const char *name)
{
	struct vigil_buf err = { 0 };
	char yaml[4200];
	int n;

	n = snprintf(yaml, sizeof(yaml), "paths: ['%s/%s']\n", dir, name);
	if (vigil_doc_load_yaml("rules", yaml, (size_t)n, doc, &err)) {
		fprintf(stderr, "%s\n", vigil_buf_cstr(&err));
		vigil_buf_free(&err);
		return -1;
	}
	rules_conf.config = doc->root;
	return 0;
}

/* Lines of auditctl -l under our key, into out (NUL-terminated). */
static int kernel_rules(char *out, size_t cap)
{
	char cmd[128];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "auditctl -l | grep 'key=%s$'", key);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	pclose(p);
	return 0;
}

/* Lines of text. */
static unsigned count_lines(const char *text)
{
	unsigned n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* Fails (prints why) when the kernel's rules under our key do not number
 * want, lack a string of has[] or hold one of hasnt[]. */
static int expect_kernel(unsigned want, const char *const *has,
			 const char *const *hasnt, const char *when)
{
	static char text[65536];
	int bad = 0;

	if (kernel_rules(text, sizeof(text)))
		return 1;
	printf("derived, %s: %u rules in the kernel\n%s", when,
	       count_lines(text), text);
	if (count_lines(text) != want) {
		fprintf(stderr, "FAIL: %s: %u rules, want %u\n", when,
			count_lines(text), want);
		bad = 1;
	}
	for (; has && *has; has++)
		if (!strstr(text, *has)) {
			fprintf(stderr, "FAIL: %s: no '%s'\n", when, *has);
			bad = 1;
		}
	for (; hasnt && *hasnt; hasnt++)
		if (strstr(text, *hasnt)) {
			fprintf(stderr, "FAIL: %s: '%s' is there\n", when,
				*hasnt);
			bad = 1;
		}
	return bad;
}

/* Lines vigil_audit_rules_derive() gives for the policy file dir/name. */
static unsigned derived_lines(const char *dir, const char *name)
{
	struct vigil_ruleset *rs = NULL;
	struct vigil_buf err = { 0 }, out = { 0 };
	char path[4096];
	const char *paths[1] = { path };
	unsigned n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (vigil_ruleset_load(vigil_fields(), paths, 1, &rs, &err) == 0 &&
	    vigil_audit_rules_derive(rs, key, (int)getpid(), &out) == 0)
		n = count_lines(vigil_buf_cstr(&out));
	vigil_ruleset_free(rs);
	vigil_buf_free(&err);
	vigil_buf_free(&out);
	return n;
}

#define POLICY_RULE(id, expr)                                          \
	"- rule: " id "\n  description: d\n  severity: low\n"       \
	"  expression: " expr "\n"

static int scenario_derived(const char *mode, const char *dir)
{
	static const char *const p1_has[] = { "-S ptrace", "a0=0x10",
					      "exe=/usr/bin/vigil-a",
					      "-S execve", NULL };
	static const char *const p1_hasnt[] = { "mount", "init_module",
						"setuid", NULL };
	static const char *const p2_has[] = { "init_module", "-S execve",
					      NULL };
	static const char *const p2_hasnt[] = { "ptrace", "memfd", NULL };
	struct vigil_doc d1 = { 0 }, d2 = { 0 }, d3 = { 0 };
	unsigned n1, n2;
	int bad = 1;

	if (write_text(dir, "p1.yaml",
		       POLICY_RULE("attach", "ptrace.request == PTRACE_ATTACH")
		       POLICY_RULE("memfd", "event.type == memfd_create && "
				   "process.file.path == /usr/bin/vigil-a")) ||
	    write_text(dir, "p2.yaml",
		       POLICY_RULE("mods", "event.type == load_module")) ||
	    write_text(dir, "broken.yaml",
		       POLICY_RULE("bad", "proces.file.path == /x")))
		return 1;
	n1 = derived_lines(dir, "p1.yaml");
	n2 = derived_lines(dir, "p2.yaml");
	if (!n1 || !n2 || use_policy(&d1, dir, "p1.yaml") ||
	    use_policy(&d2, dir, "p2.yaml") ||
	    use_policy(&d3, dir, "broken.yaml"))
		goto out_free_docs;
	rules_conf.config = d1.root;
	if (start_rules(mode, 0, "derived")) {
		stop();
		goto out_free_docs;
	}
	bad = src.state != VIGIL_SOURCE_RUNNING;
	bad |= expect_kernel(n1, p1_has, p1_hasnt, "started");
	rules_conf.config = d2.root;
	bad |= src.ops->reload(&src) != 0;
	bad |= expect_kernel(n2, p2_has, p2_hasnt, "reloaded");
	rules_conf.config = d3.root;
	bad |= src.ops->reload(&src) == 0;
	bad |= expect_kernel(n2, p2_has, p2_hasnt, "broken policy");
	stop();
	bad |= expect_kernel(0, NULL, NULL, "stopped");
out_free_docs:
	rules_conf.config = NULL;
	vigil_doc_free(&d1);
	vigil_doc_free(&d2);
	vigil_doc_free(&d3);
	return bad;
}

/*
 * The caller shrank the kernel queue (auditctl -b 2, backlog_wait_time
 * 0): a burst of execs must overflow it, and the kernel's lost counter,
 * read on the side socket, must come out as an audit_lost event.
 */
static int scenario_lost(const char *mode)
{
	const struct seen *s = NULL;
	unsigned i;
	pid_t pid;
	int st;

	if (start(mode, 0))
		return 1;
	run_for(1200); /* first AUDIT_GET: the baseline */
	for (i = 0; i < 300; i++) {
		pid = fork();
		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		waitpid(pid, &st, 0);
	}
	for (i = 0; i < 30 && !s; i++) {
		run_for(100);
		s = find_agent("audit_lost");
	}
	printf("lost %s: kernel lost %llu records, %s\n", mode,
	       (unsigned long long)src.lost,
	       s ? "audit_lost event raised" : "no audit_lost event");
	stop();
	return !s || src.lost == 0;
}

/* CPU time of this process so far, in microseconds. */
static long long cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/* Bench: read for a while, report events and this process's CPU. */
static int scenario_read(const char *mode, unsigned seconds)
{
	long long cpu0, cpu1;

	if (start(mode, 0))
		return 1;
	cpu0 = cpu_us();
	run_for(seconds * 1000);
	cpu1 = cpu_us();
	printf("read mode=%s seconds=%u events=%llu exec_seen=%llu "
	       "records=%llu cpu_us=%lld lost=%llu\n",
	       src.mode, seconds, (unsigned long long)src.events_out,
	       n_exec_total,
	       (unsigned long long)src.events_in, cpu1 - cpu0,
	       (unsigned long long)src.lost);
	stop();
	return 0;
}

/* Replays an audit.log through the source until it stops. */
static int scenario_replay(const char *file)
{
	static struct vigil_doc doc;
	struct vigil_buf err = { 0 };
	char yaml[4200];
	int n;

	n = snprintf(yaml, sizeof(yaml), "mode: replay\nreplay_file: '%s'\n",
		     file);
	if (vigil_doc_load_yaml("test", yaml, (size_t)n, &doc, &err))
		return 1;
	memset(&src, 0, sizeof(src));
	src.ops = &vigil_audit_source_ops;
	src.loop = loop;
	src.config = doc.root;
	if (src.ops->start(&src))
		return 1;
	while (src.state == VIGIL_SOURCE_RUNNING)
		uv_run(loop, UV_RUN_ONCE);
	printf("replay: %llu records, %llu events\n",
	       (unsigned long long)src.events_in,
	       (unsigned long long)src.events_out);
	stop();
	vigil_doc_free(&doc);
	return 0;
}

int main(int argc, char **argv)
{
	uv_timer_t tick;
	int rc;

	if (geteuid() != 0)
		return 77;
	if (argc < 3)
		return 2;
	vigil_log_setup(VIGIL_LOG_STDERR, VIGIL_LOG_WARNING, "audit_live");
	snprintf(key, sizeof(key), "vigil_t%d", (int)getpid());
	loop = uv_default_loop();
	/* keeps UV_RUN_ONCE from blocking forever between events */
	uv_timer_init(loop, &tick);
	uv_timer_start(&tick, on_tick, 50, 50);
	uv_unref((uv_handle_t *)&tick);

	if (strcmp(argv[1], "exec") == 0)
		rc = scenario_exec(argv[2]);
	else if (strcmp(argv[1], "kact") == 0 && argc == 5)
		rc = scenario_kact(argv[2], argv[3], argv[4]);
	else if (strcmp(argv[1], "lost") == 0)
		rc = scenario_lost(argv[2]);
	else if (strcmp(argv[1], "read") == 0 && argc == 4)
		rc = scenario_read(argv[2], (unsigned)atoi(argv[3]));
	else if (strcmp(argv[1], "replay") == 0)
		rc = scenario_replay(argv[2]);
	else if (strcmp(argv[1], "flush") == 0)
		rc = scenario_flush(argv[2]);
	else if (strcmp(argv[1], "derived") == 0 && argc == 4)
		rc = scenario_derived(argv[2], argv[3]);
	else if (strcmp(argv[1], "expect-fail") == 0 && argc == 4) {
		rc = start(argv[2], 0) == 0 || !strstr(src.reason, argv[3]);
		stop();
		printf("expect-fail %s: %s\n", argv[2], src.reason);
	} else if (strcmp(argv[1], "expect-mode") == 0 && argc >= 3) {
		rc = start("auto", argc == 4 ? VIGIL_FEAT_AUDIT_MULTICAST : 0);
		rc = rc || strcmp(src.mode, argv[2]) != 0;
		printf("expect-mode: picked %s: %s\n", src.mode, src.reason);
		stop();
	} else
		rc = 2;
	uv_close((uv_handle_t *)&tick, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	return rc;
}
