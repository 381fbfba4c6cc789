/*
 * audit_spawn.c - spawns /bin/true as fast as it can (or at a target
 * rate) for a number of seconds and prints how many it ran.  The load
 * generator of bench/audit_exec_bench.sh (kept here with the other
 * live-test helpers).
 *
 * Usage: audit_spawn SECONDS [RATE_PER_SECOND]
 */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char *const args[] = { (char *)"/bin/true", NULL };
	double t0, end, rate, next;
	long n = 0;
	pid_t pid;
	int st;

	if (argc < 2)
		return 2;
	rate = argc > 2 ? atof(argv[2]) : 0;
	t0 = now();
	end = t0 + atof(argv[1]);
	next = t0;
	while (now() < end) {
		if (rate > 0) {
			next += 1.0 / rate;
			while (now() < next)
				;
		}
		if (posix_spawn(&pid, args[0], NULL, NULL, args, environ))
			return 1;
		waitpid(pid, &st, 0);
		n++;
	}
	printf("spawned=%ld seconds=%.2f rate=%.0f\n", n, now() - t0,
	       (double)n / (now() - t0));
	return 0;
}
