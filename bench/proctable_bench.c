/*
 * proctable_bench.c - what process-table enrichment costs per event.
 *
 * Builds a synthetic /proc tree of N processes (default 1000) in a temporary
 * directory - a random process tree with the depth profile of a busy
 * server, argv of a few arguments, docker and systemd cgroups - seeds a
 * table from it, then enriches events the way the audit source hands them
 * over (pid, ppid, ids, exe, argv already known; names, container, unit and
 * ancestors to fill) and reports ns per event.  Table updates (fork + exit)
 * are timed too, and so is reading a process from the live /proc, whole
 * (a table miss) and image only (the proc connector after an exec).
 *
 *   bench/proctable_bench [-n processes] [-e events] [-s minutes]
 *
 * -s: then the soak's process stream (bench/soak.sh) against the table
 * alone for that many simulated minutes - 220 short processes a second
 * forked from init, 20 of them with one argument of 1 to 4 KiB, exited
 * at once, 30 s linger - printing per minute the entries, the string
 * buffers (stats.buffer_bytes) and the bench's RSS: the buffers must
 * level off with the entries (issue 22).
 *   valgrind --tool=callgrind --toggle-collect=vigil_proctable_enrich \
 *       bench/proctable_bench -e 20000
 *     -> instructions per event = total Ir / 20000
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc/proctable.h"

#define DEFAULT_PROCS 1000
#define DEFAULT_EVENTS 200000
#define FIRST_PID 1000
#define NS_PER_S INT64_C(1000000000)

static int write_file(const char *dir, const char *name, const char *data,
		      size_t len)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		perror(path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* One synthetic process: pid with parent ppid. */
static int make_proc(const char *root, int pid, int ppid, int uid)
{
	static const char *const exes[] = {
		"/usr/bin/bash", "/usr/bin/python3", "/usr/sbin/nginx",
		"/usr/bin/java", "/usr/lib/systemd/systemd",
	};
	char dir[512], buf[1024], target[256];
	const char *exe = exes[pid % 5];
	int n;

	snprintf(dir, sizeof(dir), "%s/%d", root, pid);
	if (mkdir(dir, 0755) < 0)
		return -1;
	n = snprintf(buf, sizeof(buf),
		     "%d (%s) S %d %d %d 34816 -1 4194560 0 0 0 0 1 2 0 0 20 0 "
		     "1 0 %d 1000 100\n",
		     pid, strrchr(exe, '/') + 1, ppid, pid, pid, 100 + pid);
	if (write_file(dir, "stat", buf, (size_t)n))
		return -1;
	n = snprintf(buf, sizeof(buf),
		     "Name:\tx\nUid:\t%d\t%d\t%d\t%d\nGid:\t%d\t%d\t%d\t%d\n",
		     uid, uid, uid, uid, uid, uid, uid, uid);
	if (write_file(dir, "status", buf, (size_t)n))
		return -1;
	n = snprintf(buf, sizeof(buf), "%s%c--config%c/etc/app/%d.conf%c-v%c",
		     exe, 0, 0, pid, 0, 0);
	if (write_file(dir, "cmdline", buf, (size_t)n))
		return -1;
	if (pid % 3 == 0)
		n = snprintf(buf, sizeof(buf),
			     "0::/system.slice/docker-%064x.scope\n", pid);
	else
		n = snprintf(buf, sizeof(buf),
			     "0::/system.slice/app-%d.service\n", pid % 17);
	if (write_file(dir, "cgroup", buf, (size_t)n))
		return -1;
	snprintf(buf, sizeof(buf), "%s/exe", dir);
	if (symlink(exe, buf) < 0)
		return -1;
	snprintf(buf, sizeof(buf), "%s/cwd", dir);
	snprintf(target, sizeof(target), "/srv/app%d", pid % 7);
	return symlink(target, buf);
}

/* Reads every process of the live /proc, whole and image only. */
static void time_live_procfs(void)
{
	static const struct {
		unsigned what;
		const char *name;
	} modes[] = { { VIGIL_PROCFS_ALL, "all" },
		      { VIGIL_PROCFS_IMAGE, "image" } };
	enum { MAX_PIDS = 8192, ROUNDS = 5 };
	struct vigil_procfs pf;
	struct vigil_arena a;
	struct vigil_process p;
	struct dirent *de;
	int32_t *pids;
	int n = 0;
	DIR *d;

	if (vigil_procfs_open(&pf, "/proc"))
		return;
	pids = calloc(MAX_PIDS, sizeof(*pids));
	d = opendir("/proc");
	while (pids && d && (de = readdir(d)) && n < MAX_PIDS)
		if (atoi(de->d_name) > 0)
			pids[n++] = atoi(de->d_name);
	if (d)
		closedir(d);
	vigil_arena_init(&a, 0);
	for (size_t m = 0; n && m < sizeof(modes) / sizeof(modes[0]); m++) {
		int64_t t0 = vigil_monotonic_ns(), t1;

		int ok = 0;

		for (int r = 0; r < ROUNDS; r++)
			for (int i = 0; i < n; i++) {
				vigil_arena_reset(&a);
				ok += vigil_procfs_read(&pf, pids[i],
							modes[m].what, &a,
							&p) == 0;
			}
		t1 = vigil_monotonic_ns();
		printf("live /proc read (%s): %d processes (%d reads ok), "
		       "%.1f us each\n",
		       modes[m].name, n, ok, (double)(t1 - t0) / 1e3 / n / ROUNDS);
	}
	vigil_arena_free(&a);
	free(pids);
	vigil_procfs_close(&pf);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* This process's resident set (VmRSS), or -1. */
static long rss_kib(void)
{
	char line[128];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* The stream described at the top (-s), from now_ns on. */
static void soak_buffers(struct vigil_proctable *t, int minutes,
			 int64_t now_ns)
{
	enum {
		PER_S = 220,
		LONG_EVERY = 11,
		LONG_MIN = 1024,
		LONG_SPAN = 3072,
	};
	static char text[LONG_MIN + LONG_SPAN];
	struct vigil_proctable_stats st;
	struct vigil_process np;
	int32_t pid = 100000;
	uint32_t nlong = 0;

	memset(text, 'x', sizeof(text));
	for (int m = 1; m <= minutes; m++) {
		for (int i = 0; i < 60 * PER_S; i++, pid++) {
			struct vigil_str a[2] = { { "/bin/true", 9 },
						  { text, 0 } };

			now_ns += NS_PER_S / PER_S;
			if (pid > 4000000)
				pid = 100000;
			vigil_proctable_on_fork(t, 1, pid, now_ns);
			vigil_process_clear(&np);
			np.pid = pid;
			np.ppid = 1;
			np.file.path = a[0];
			np.argv.v = a;
			np.argv.n = 1;
			if (i % LONG_EVERY == 0) {
				/* a step coprime with the span walks it all */
				a[1].len = LONG_MIN + nlong++ * 997 % LONG_SPAN;
				np.argv.n = 2;
			}
			vigil_proctable_on_exec(t, &np, now_ns);
			vigil_proctable_on_exit(t, pid, now_ns + 1000000);
		}
		vigil_proctable_get_stats(t, &st);
		printf("soak: %2d min, %llu entries, buffers %llu KiB, "
		       "RSS %ld KiB\n", m, (unsigned long long)st.entries,
		       (unsigned long long)st.buffer_bytes / 1024, rss_kib());
	}
}

int main(int argc, char **argv)
{
	char root[] = "/tmp/vigil-proctable-bench-XXXXXX";
	struct vigil_proctable *t;
	struct vigil_proctable_stats st;
	struct vigil_arena arena;
	struct vigil_event ev;
	struct vigil_str args[4] = {
		{ "/usr/bin/python3", 16 }, { "--config", 8 },
		{ "/etc/app/1.conf", 15 }, { "-v", 2 },
	};
	int nprocs = DEFAULT_PROCS, nevents = DEFAULT_EVENTS, minutes = 0, opt;
	int *ppid_of;
	uint64_t ancestors = 0;
	int64_t t0, t1, now;
	unsigned seed = 42;
	int rc = 1;

	while ((opt = getopt(argc, argv, "n:e:s:")) != -1) {
		if (opt == 'n')
			nprocs = atoi(optarg);
		else if (opt == 'e')
			nevents = atoi(optarg);
		else if (opt == 's')
			minutes = atoi(optarg);
		else
			return 2;
	}
	if (nprocs < 2 || nevents < 1 || !mkdtemp(root))
		return 2;
	ppid_of = calloc((size_t)nprocs, sizeof(*ppid_of));
	if (!ppid_of)
		return 1;
	if (write_file(root, "stat", "btime 1764400000\n", 17) ||
	    make_proc(root, 1, 0, 0))
		goto out_rm;
	/* A random recursive tree: each process's parent is an earlier
	 * one, so depths grow like ln(n) (about 7 at 1000). */
	for (int i = 0; i < nprocs; i++) {
		int pid = FIRST_PID + i;

		ppid_of[i] = i ? FIRST_PID + (int)(rand_r(&seed) % (unsigned)i) : 1;
		if (make_proc(root, pid, ppid_of[i], i % 4 ? 0 : 65534))
			goto out_rm;
	}
	if (vigil_proctable_new(0, &t))
		goto out_rm;
	t0 = vigil_monotonic_ns();
	if (vigil_proctable_seed(t, root)) {
		fprintf(stderr, "seed failed\n");
		goto out_free;
	}
	t1 = vigil_monotonic_ns();
	printf("seed: %d processes in %.2f ms (%.1f us each)\n", nprocs,
	       (double)(t1 - t0) / 1e6, (double)(t1 - t0) / 1e3 / nprocs);

	vigil_arena_init(&arena, 0);
	now = INT64_C(1764500000) * NS_PER_S;
	t0 = vigil_monotonic_ns();
	for (int i = 0; i < nevents; i++) {
		int k = (int)(rand_r(&seed) % (unsigned)nprocs);

		vigil_arena_reset(&arena);
		vigil_event_init(&ev, &arena);
		ev.type = VIGIL_EV_EXEC;
		ev.time_ns = now;
		ev.process.pid = FIRST_PID + k;
		ev.process.ppid = ppid_of[k];
		ev.process.uid = ev.process.euid = 0;
		ev.process.gid = ev.process.egid = 0;
		ev.process.file.path = args[0];
		ev.process.comm = vigil_str_c("python3");
		ev.process.argv.v = args;
		ev.process.argv.n = 4;
		if (vigil_proctable_enrich(t, &ev))
			goto out_arena;
		ancestors += ev.n_ancestors;
	}
	t1 = vigil_monotonic_ns();
	printf("enrich: %d events, %.1f ns/event, %.2f ancestors/event\n",
	       nevents, (double)(t1 - t0) / nevents,
	       (double)ancestors / nevents);

	/* Table updates: a short-lived child forks and exits. */
	t0 = vigil_monotonic_ns();
	for (int i = 0; i < nevents; i++) {
		int32_t pid = FIRST_PID + nprocs + (i % 30000);
		int k = i % nprocs;

		vigil_proctable_on_fork(t, FIRST_PID + k, pid, now + i);
		vigil_proctable_on_exit(t, pid, now + i + 1000);
	}
	t1 = vigil_monotonic_ns();
	printf("fork+exit: %d pairs, %.1f ns/pair\n", nevents,
	       (double)(t1 - t0) / nevents);
	vigil_proctable_get_stats(t, &st);
	printf("table: %llu entries, %llu live, %llu hits, %llu misses, "
	       "%llu evicted, %llu name lookups\n",
	       (unsigned long long)st.entries, (unsigned long long)st.live,
	       (unsigned long long)st.hits, (unsigned long long)st.misses,
	       (unsigned long long)(st.evicted_exited + st.evicted_live),
	       (unsigned long long)st.name_lookups);
	time_live_procfs();
	if (minutes > 0)
		soak_buffers(t, minutes, now + nevents + NS_PER_S);
	rc = 0;
out_arena:
	vigil_arena_free(&arena);
out_free:
	vigil_proctable_free(t);
out_rm:
	nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(ppid_of);
	return rc;
}
