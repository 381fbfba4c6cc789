/*
 * fim_latency.c - write-to-event latency and idle CPU of the fanotify
 * source.
 *
 *   fim_latency latency DIR N   write N files under DIR (one every 2 ms)
 *                               and print p50/p99/max from close() to
 *                               the MODIFY event reaching the pipeline
 *   fim_latency idle SECONDS    run the source on the default watch set
 *                               and print its CPU use
 *
 * The pipeline is a recording test double: the time measured is the
 * source's (read, /proc lookup, hash on the thread pool, ordered FIFO).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fim/fim.h"
#include "source.h"
#include "fim/fanotify.h"

#define WRITE_GAP_US 2000

static int64_t *closed_ns, *seen_ns;
static int n_files;
static const char *bench_dir;
static volatile int writer_done;

int vigil_pipeline_submit(struct vigil_pipeline *p, struct vigil_event *ev)
{
	const char *base;
	int i;

	(void)p;
	if (ev->type != VIGIL_EV_MODIFY || !bench_dir)
		return 0;
	base = strrchr(ev->u.file.file.path.ptr, '/');
	if (base && sscanf(base, "/f%d", &i) == 1 && i >= 0 && i < n_files &&
	    !seen_ns[i])
		seen_ns[i] = vigil_monotonic_ns();
	return 0;
}

void vigil_source_set_state(struct vigil_source *src, int state,
			    const char *mode, const char *fmt, ...)
{
	va_list ap;

	src->state = state;
	snprintf(src->mode, sizeof(src->mode), "%s", mode);
	va_start(ap, fmt);
	vsnprintf(src->reason, sizeof(src->reason), fmt, ap);
	va_end(ap);
	fprintf(stderr, "source: %s: %s\n", src->mode, src->reason);
}

static void *writer(void *arg)
{
	char path[512], buf[4096];

	(void)arg;
	memset(buf, 'x', sizeof(buf));
	for (int i = 0; i < n_files; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/f%d", bench_dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, buf, sizeof(buf)) < 0)
			break;
		close(fd);
		closed_ns[i] = vigil_monotonic_ns();
		usleep(WRITE_GAP_US);
	}
	writer_done = 1;
	return NULL;
}

static void wake_cb(uv_timer_t *t)
{
	(void)t;
}

static void tick_cb(uv_timer_t *t)
{
	(void)t;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	struct vigil_source src = { 0 };
	struct vigil_doc doc = { 0 };
	struct vigil_buf err = { 0 };
	char yaml[1024];
	uv_loop_t *loop = uv_default_loop();
	int rc;

	vigil_log_setup(VIGIL_LOG_STDERR, VIGIL_LOG_WARNING, "fim_latency");
	if (argc < 3) {
		fprintf(stderr, "usage: fim_latency latency DIR N | idle SECONDS\n");
		return 2;
	}
	src.ops = &vigil_fim_source_ops;
	src.loop = loop;
	if (!strcmp(argv[1], "latency")) {
		bench_dir = argv[2];
		n_files = atoi(argv[3 < argc ? 3 : 2]);
		closed_ns = calloc((size_t)n_files, sizeof(*closed_ns));
		seen_ns = calloc((size_t)n_files, sizeof(*seen_ns));
		snprintf(yaml, sizeof(yaml), "paths: [\"%s\"]\nstate_dir: \"%s/.s\"\n",
			 bench_dir, bench_dir);
		if (vigil_doc_load_yaml("bench", yaml, strlen(yaml), &doc,
					&err))
			return 2;
		src.config = doc.root;
	}
	rc = src.ops->start(&src);
	if (rc) {
		src.ops->stop(&src);
		return 1;
	}
	if (bench_dir) {
		pthread_t t;
		int64_t *lat;
		int n = 0;

		uv_timer_t wake;

		/* Wakes the loop so it sees writer_done. */
		uv_timer_init(loop, &wake);
		uv_timer_start(&wake, wake_cb, 10, 10);
		pthread_create(&t, NULL, writer, NULL);
		while (!writer_done)
			uv_run(loop, UV_RUN_ONCE);
		uv_close((uv_handle_t *)&wake, NULL);
		for (int64_t end = vigil_monotonic_ns() + 2000000000LL;
		     vigil_monotonic_ns() < end;)
			uv_run(loop, UV_RUN_NOWAIT);
		pthread_join(t, NULL);
		lat = calloc((size_t)n_files, sizeof(*lat));
		for (int i = 0; i < n_files; i++)
			if (seen_ns[i] && closed_ns[i])
				lat[n++] = seen_ns[i] - closed_ns[i];
		qsort(lat, (size_t)n, sizeof(*lat), cmp64);
		if (n)
			printf("latency: %d/%d events, p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
			       n, n_files, lat[n / 2] / 1e6,
			       lat[(size_t)n * 99 / 100] / 1e6,
			       lat[n - 1] / 1e6);
		free(lat);
	} else {
		double secs = atof(argv[2]), c0 = cpu_s();
		int64_t end = vigil_monotonic_ns() + (int64_t)(secs * 1e9);
		uv_timer_t tick;

		uv_timer_init(loop, &tick);
		/* Wakes the loop so the measurement ends on time. */
		uv_timer_start(&tick, tick_cb, 100, 100);
		while (vigil_monotonic_ns() < end)
			uv_run(loop, UV_RUN_ONCE);
		printf("idle: %.1f s on the default watch set (%s), %llu events, CPU %.3f%% of one core\n",
		       secs, src.reason, (unsigned long long)src.events_in,
		       (cpu_s() - c0) / secs * 100);
		uv_timer_stop(&tick);
		uv_close((uv_handle_t *)&tick, NULL);
	}
	src.ops->stop(&src);
	uv_run(loop, UV_RUN_DEFAULT);
	vigil_doc_free(&doc);
	return 0;
}
