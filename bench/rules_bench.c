/*
 * rules_bench.c - nanoseconds per event for the rule engine with a full
 * policy loaded, over a replayed mix of synthetic events.
 *
 *   rules_bench [POLICY] [EVENTS]
 *
 * POLICY defaults to tests/fixtures/lang/bench_policy.yaml (~90 rules over
 * every monitor), EVENTS to 2,000,000.  The mix is what a busy server
 * produces: mostly file opens and execs with realistic ancestry and argv,
 * then DNS and kernel events; a few of them match rules.  Peer: Falco's
 * rule engine (libsinsp filters) on the same policy shape, measured the
 * same way (time per event through the evaluation call).
 *
 * For a stable figure independent of the machine's load, run it under
 * valgrind --tool=callgrind with a small EVENTS and divide the
 * instructions of vigil_ruleset_eval by EVENTS (bench/README in the
 * report explains the command).
 */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <time.h>

#include "lang/policy.h"
#include "schema.h"
#include "util.h"

#define N_EVENTS 64
#define N_ANC 4

struct slot {
	struct vigil_event ev;
	struct vigil_process anc[N_ANC];
	struct vigil_str argv[6];
};

static struct slot slots[N_EVENTS];

static const char *const exes[] = {
	"/usr/bin/bash", "/usr/bin/ls",	   "/usr/bin/grep", "/usr/bin/python3",
	"/usr/sbin/nginx", "/usr/bin/curl", "/usr/bin/sed", "/usr/bin/cat",
};
static const char *const parents[] = {
	"/usr/sbin/sshd", "/usr/bin/bash", "/usr/bin/containerd-shim",
	"/usr/sbin/nginx",
	"/usr/lib/systemd/systemd",
};
static const char *const files[] = {
	"/etc/ld.so.cache",	   "/usr/lib/x86_64-linux-gnu/libc.so.6",
	"/etc/passwd",		   "/var/log/nginx/access.log",
	"/home/app/.cache/x",	   "/usr/lib/os-release",
	"/proc/self/status",	   "/usr/share/locale/locale.alias",
};
static const char *const names[] = {
	"api.example.com", "www.google.com", "updates.ubuntu.com",
	"x7f3a9.duckdns.org", "pool.supportxmr.com",
};

static void fill_process(struct slot *s, uint32_t i)
{
	struct vigil_process *p = &s->ev.process;

	p->pid = (int32_t)(1000 + i);
	p->ppid = 999;
	p->uid = p->euid = p->gid = p->egid = i % 5 ? 1000 : 0;
	p->auid = 1000;
	p->file.path = vigil_str_c(exes[i % VIGIL_ARRAY_SIZE(exes)]);
	p->comm = vigil_str_c("worker");
	s->argv[0] = p->file.path;
	s->argv[1] = vigil_str_c(i % 3 ? "-l" : "-c");
	s->argv[2] = vigil_str_c(i % 7 ? "/var/www/html" : "id; uname -a");
	s->argv[3] = vigil_str_c("--color=auto");
	p->argv.v = s->argv;
	p->argv.n = 4;
	for (uint32_t a = 0; a < N_ANC; a++) {
		vigil_process_clear(&s->anc[a]);
		s->anc[a].pid = (int32_t)(900 - a);
		s->anc[a].file.path = vigil_str_c(
			parents[(i + a) % VIGIL_ARRAY_SIZE(parents)]);
	}
	s->ev.ancestors = s->anc;
	s->ev.n_ancestors = 1 + i % N_ANC;
	/* a few events of the mix are what rules look for */
	if (i == 13)
		p->file.path = vigil_str_c("/tmp/.x/payload");
	if (i == 33)
		p->file.path = vigil_str_c("/usr/bin/nc");
}

static void build_events(void)
{
	for (uint32_t i = 0; i < N_EVENTS; i++) {
		struct slot *s = &slots[i];
		struct vigil_event *ev = &s->ev;
		uint32_t kind = i % 20;

		vigil_event_init(ev, NULL);
		fill_process(s, i);
		ev->time_ns = INT64_C(1700000000000000000);
		if (kind < 8) { /* 40% opens */
			ev->type = VIGIL_EV_OPEN;
			ev->u.file.file.path = vigil_str_c(
				files[i % VIGIL_ARRAY_SIZE(files)]);
			ev->u.file.open_flags = i % 9 ? O_RDONLY : O_WRONLY;
			if (i == 41)
				ev->u.file.file.path = vigil_str_c("/etc/shadow");
		} else if (kind < 10) { /* 10% other file events */
			ev->type = kind == 8 ? VIGIL_EV_MODIFY : VIGIL_EV_CREATE;
			ev->u.file.file.path = vigil_str_c(
				i % 2 ? "/home/app/data/report.csv" :
					"/etc/cron.d/backup");
		} else if (kind < 15) { /* 25% execs */
			ev->type = VIGIL_EV_EXEC;
		} else if (kind < 18) { /* 15% DNS */
			ev->type = VIGIL_EV_DNS;
			ev->u.dns.direction = i % 2 ? VIGIL_DNS_QUERY :
						      VIGIL_DNS_RESPONSE;
			ev->u.dns.qname = vigil_str_c(
				names[i % VIGIL_ARRAY_SIZE(names)]);
			ev->u.dns.qtype = 1;
			ev->u.dns.latency_ns = 1000000;
			ev->u.dns.dst_ip.family = AF_INET;
			inet_pton(AF_INET, "127.0.0.53", ev->u.dns.dst_ip.addr);
		} else { /* 10% kernel */
			static const uint32_t kt[] = {
				VIGIL_EV_PTRACE, VIGIL_EV_SETUID,
				VIGIL_EV_MOUNT, VIGIL_EV_UNSHARE,
			};
			ev->type = kt[i % VIGIL_ARRAY_SIZE(kt)];
			ev->u.kernel.request = ev->type == VIGIL_EV_PTRACE ?
						       PTRACE_PEEKDATA :
						       CLONE_NEWNS;
			ev->u.kernel.new_uid = 0;
			ev->u.kernel.path = vigil_str_c("/mnt/data");
			ev->u.kernel.source = vigil_str_c("/dev/sdb1");
			ev->u.kernel.fs_type = vigil_str_c("ext4");
		}
	}
}

static int count_signal(void *arg, const struct vigil_event *ev,
			const struct vigil_signal *sig)
{
	(*(uint64_t *)arg)++;
	return 0;
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	const char *policy = argc > 1 ? argv[1] :
					TOP_SRCDIR
		"/tests/fixtures/lang/bench_policy.yaml";
	long n = argc > 2 ? atol(argv[2]) : 2000000;
	struct vigil_ruleset *rs = NULL;
	struct vigil_ruleset_stats st;
	struct vigil_buf err = { 0 };
	uint64_t signals = 0;
	int64_t t0, t1;

	if (n <= 0)
		n = 1;
	if (vigil_ruleset_load(vigil_fields(), &policy, 1, &rs, &err)) {
		fprintf(stderr, "%s", vigil_buf_cstr(&err));
		vigil_buf_free(&err);
		return 1;
	}
	build_events();
	/* warm up caches and the regex JIT */
	for (int i = 0; i < N_EVENTS * 4; i++)
		vigil_ruleset_eval(rs, &slots[i % N_EVENTS].ev, count_signal,
				   &signals);
	signals = 0;
	t0 = mono_ns();
	for (long i = 0; i < n; i++) {
		struct vigil_event *ev = &slots[i % N_EVENTS].ev;

		ev->time_ns += 1000; /* 1 us apart: rate control sees time */
		vigil_ruleset_eval(rs, ev, count_signal, &signals);
	}
	t1 = mono_ns();
	vigil_ruleset_stats(rs, &st);
	printf("policy: %s\n", policy);
	printf("rules: %u (%u enabled), macros: %u, lists: %u\n", st.rules,
	       st.enabled, st.macros, st.lists);
	printf("events: %ld, signals: %" PRIu64 " (%.2f%% of events)\n", n,
	       signals, 100.0 * (double)signals / (double)n);
	printf("ns/event: %.1f\n", (double)(t1 - t0) / (double)n);
	for (size_t i = 0; i < vigil_ruleset_count(rs); i++) {
		struct vigil_rule_info r;

		if (vigil_ruleset_rule(rs, i, &r) == 0 && r.matches)
			printf("  matched %-32s %" PRIu64 "\n", r.id,
			       r.matches);
	}
	vigil_ruleset_free(rs);
	vigil_buf_free(&err);
	return 0;
}
