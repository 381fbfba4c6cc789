/*
 * exec_load.c - the load generator of bench/audit_exec_bench.sh: runs
 * /bin/true (posix_spawn + waitpid, one at a time) at a target rate for a
 * number of seconds, or as fast as the machine allows when the rate is 0.
 *
 * Pacing sleeps until each start's due time (clock_nanosleep, absolute),
 * so the generator does not spin on a CPU that the readers being measured
 * need; when it falls behind it starts the next one at once, so a target
 * above what the machine gives degrades to its maximum.  It prints one
 * line: spawned=N seconds=S rate=R target=T.
 *
 * Usage: exec_load SECONDS [RATE_PER_SECOND]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define NSEC_PER_SEC 1000000000LL

extern char **environ;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* Sleeps until the CLOCK_MONOTONIC time @due_ns (returns at once if past). */
static void sleep_until(long long due_ns)
{
	struct timespec ts = {
		.tv_sec = due_ns / NSEC_PER_SEC,
		.tv_nsec = due_ns % NSEC_PER_SEC,
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

int main(int argc, char **argv)
{
	char *const args[] = { (char *)"/bin/true", NULL };
	long long t0, end, step = 0, due;
	double secs, rate = 0;
	long n = 0;
	pid_t pid;
	int rc, st;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: exec_load SECONDS [RATE_PER_SECOND]\n");
		return 2;
	}
	secs = atof(argv[1]);
	if (argc > 2)
		rate = atof(argv[2]);
	if (secs <= 0 || rate < 0) {
		fprintf(stderr, "exec_load: want SECONDS > 0 and RATE >= 0\n");
		return 2;
	}
	if (rate > 0)
		step = (long long)(NSEC_PER_SEC / rate);
	t0 = now_ns();
	end = t0 + (long long)(secs * NSEC_PER_SEC);
	due = t0;
	while (now_ns() < end) {
		if (step) {
			sleep_until(due);
			due += step;
		}
		rc = posix_spawn(&pid, args[0], NULL, NULL, args, environ);
		if (rc) {
			fprintf(stderr, "exec_load: posix_spawn: %s\n",
				strerror(rc));
			return 1;
		}
		if (waitpid(pid, &st, 0) < 0) {
			perror("exec_load: waitpid");
			return 1;
		}
		n++;
	}
	secs = (double)(now_ns() - t0) / NSEC_PER_SEC;
	printf("spawned=%ld seconds=%.2f rate=%.0f target=%.0f\n", n, secs,
	       (double)n / secs, rate);
	return 0;
}
