/*
 * store_bench - the signal store on SQLite (src/store/): occurrences per
 * second recorded in batches as the store plugin's writer does, with a
 * mix of repeats (grouped into existing signals) and new groups; then the
 * latency of the first page of `signals list` with one filter each.
 *
 *   bench/store_bench [SIGNALS [OCCURRENCES_PER_SIGNAL [BATCH]]]
 *
 * Defaults: 100000 signals, 3 occurrences each, batches of 500, 1 KiB of
 * sample JSON each.  Writes to a temporary file, removed at the end.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count_row(void *arg, const struct vigil_store_row *r)
{
	(*(size_t *)arg)++;
	return 0;
}

static void time_list(struct vigil_store *st, const char *what,
		      struct vigil_store_filter *f)
{
	struct vigil_buf err = { 0 };
	size_t n = 0;
	double t0 = now_s();

	f->limit = 50;
	if (vigil_store_list(st, f, count_row, &n, &err))
		fprintf(stderr, "list: %s\n", vigil_buf_cstr(&err));
	printf("  list first page, %-22s %7.2f ms (%zu rows)\n", what,
	       (now_s() - t0) * 1e3, n);
	vigil_buf_free(&err);
}

int main(int argc, char **argv)
{
	long n_sig = argc > 1 ? atol(argv[1]) : 100000;
	long per = argc > 2 ? atol(argv[2]) : 3;
	long batch = argc > 3 ? atol(argv[3]) : 500;
	struct vigil_store_limits lim = {
		.window_ns = INT64_C(3600) * 1000000000,
		.max_samples = 10,
		.max_event_ids = 1000,
	};
	struct vigil_store_filter f;
	struct vigil_buf err = { 0 };
	struct vigil_store *st;
	struct vigil_store_occ *occ;
	char path[] = "/tmp/vigil-store-bench.XXXXXX", db[64];
	char (*keys)[32];
	static char json[1024];
	static const char *const rules[] = { "shell_from_web_server",
					     "exec_from_world_writable_dir",
					     "credential_file_search",
					     "network_scanner_executed" };
	int64_t t = INT64_C(1700000000) * 1000000000;
	long total = n_sig * per, done = 0;
	double t0, dt;

	if (n_sig <= 0 || per <= 0 || batch <= 0 || !mkdtemp(path))
		return 2;
	snprintf(db, sizeof(db), "%s/signals.db", path);
	memset(json, 'x', sizeof(json) - 1);
	json[0] = '"';
	json[sizeof(json) - 2] = '"';
	occ = calloc((size_t)batch, sizeof(*occ));
	keys = calloc((size_t)batch, sizeof(*keys));
	if (!occ || !keys || vigil_store_open(db, 0, &st, &err)) {
		fprintf(stderr, "%s\n", vigil_buf_cstr(&err));
		return 1;
	}
	t0 = now_s();
	/* occurrence i belongs to signal (i / per): repeats come in a run,
	 * like a rule firing several times in a row */
	while (done < total) {
		long n = total - done < batch ? total - done : batch;

		for (long i = 0; i < n; i++) {
			long sig = (done + i) / per;

			snprintf(keys[i], sizeof(keys[i]), "g%ld", sig);
			occ[i] = (struct vigil_store_occ){
				.group_key = keys[i],
				.rule = rules[sig % 4],
				.engine = "rules",
				.title = "bench",
				.tags = "\ttechnique:T1059\t",
				.host = sig % 10 ? "web-01" : "db-01",
				.exe = "/tmp/dropper",
				.json = json,
				.json_len = sizeof(json) - 1,
				.severity = (int)(sig % 5),
				.time_ns = t + sig * 1000000,
				.event_id = (uint64_t)(done + i),
			};
		}
		if (vigil_store_record(st, occ, (size_t)n, &lim, &err)) {
			fprintf(stderr, "record: %s\n", vigil_buf_cstr(&err));
			return 1;
		}
		done += n;
	}
	dt = now_s() - t0;
	printf("store_bench: %ld occurrences (%ld signals x %ld) in batches of %ld: %.2f s, %.0f occurrences/s\n",
	       total, n_sig, per, batch, dt, (double)total / dt);
	memset(&f, 0, sizeof(f));
	f.min_severity = -1;
	f.status = -1;
	time_list(st, "no filter", &f);
	f.rule = "credential_file_search";
	time_list(st, "--rule", &f);
	f.rule = NULL;
	f.host = "db-01";
	time_list(st, "--host", &f);
	f.host = NULL;
	f.min_severity = 4;
	time_list(st, "--severity critical", &f);
	f.min_severity = -1;
	f.status = VIGIL_STORE_OPEN;
	time_list(st, "--status open", &f);
	f.status = -1;
	f.tag = "technique:T1059";
	time_list(st, "--tag", &f);
	f.tag = NULL;
	f.since_ns = t + (n_sig - 100) * 1000000;
	time_list(st, "--since", &f);
	vigil_store_close(st);
	unlink(db);
	snprintf(db, sizeof(db), "%s/signals.db-wal", path);
	unlink(db);
	snprintf(db, sizeof(db), "%s/signals.db-shm", path);
	unlink(db);
	rmdir(path);
	free(occ);
	free(keys);
	vigil_buf_free(&err);
	return 0;
}
