/*
 * drive - a stand-in for vigild's event intake, for the forwarder tests
 * and benchmark: builds the pipeline from a config file exactly as vigild
 * does (vigil_pipeline_init, vigil_pipeline_load_plugins, the loop, a
 * one-second flush timer) and submits sequence-numbered exec events on a
 * timer.  It can be kill -9'd at any moment.
 *
 *   drive CONFIG [--count N] [--start S] [--batch B] [--interval-ms MS]
 *         [--wait-out N] [--timeout S] [--progress 1] [--signal-every K]
 *         [--count-dropped 1]   (records dropped by the plugin count as out)
 *
 * Events S .. S+N-1 carry ev.seq = i and process.pid = i % 4194304; with
 * --signal-every K, every K-th one also raises a signal (rule
 * 'test_rule"quoted]', severity high) through the host API.  With
 * --wait-out, it keeps running after the last event until the first
 * plugin reports N records out (delivered), or until --timeout seconds;
 * exit status 0 when delivered, 1 on timeout, 2 on setup errors.  Prints
 * "submitted N", then "out N cpu_ms C wall_ms W" on stdout (W: from the
 * start to the moment N records were out, -1 without --wait-out); with --progress, also
 * "at S" after each batch: every event up to S has been handed to the
 * plugins (a forwarder has spooled it).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <uv.h>

#include "pipeline.h"
#include "settings.h"
#include "source.h"
#include "util.h"

#define POLL_MS 10

struct drive {
	struct vigil_pipeline pl;
	uv_timer_t submit, flush;
	struct vigil_arena arena;
	uint64_t start, next, end, batch, wait_out, out;
	bool progress;
	uint64_t signal_every;
	bool count_dropped;
	uint64_t ticks;
	int64_t t0_ns, done_ns;
	int64_t deadline_ms;
	int status;
	/* --reload-at: at that record, the config file is read again and
	 * the plugins reloaded, as vigild does on SIGHUP. */
	const char *config_path;
	uint64_t reload_at;
	bool reloaded, reload_loaded;
	struct vigil_config reload_cfg;
};

/* Reads the configuration file again and hands it to the plugins. */
static void reload(struct drive *d)
{
	struct vigil_buf err = { 0 };

	d->reloaded = true;
	if (vigil_config_load(d->config_path, &d->reload_cfg, &err)) {
		fprintf(stderr, "drive: reload: %s\n", vigil_buf_cstr(&err));
		vigil_buf_free(&err);
		return;
	}
	d->reload_loaded = true;
	vigil_pipeline_reload(&d->pl, &d->reload_cfg);
	printf("reloaded at %llu\n", (unsigned long long)d->next);
	fflush(stdout);
}

static uint64_t records_out(struct drive *d)
{
	struct vigil_plugin_stats st = { 0 };
	struct vigil_plugin_inst *inst;

	if (!d->pl.n_plugins)
		return 0;
	inst = d->pl.plugins[0];
	if (inst->p.stats)
		inst->p.stats(inst->state, &st);
	return st.records_out + (d->count_dropped ? st.dropped : 0);
}

static void stop(struct drive *d, int status)
{
	d->status = status;
	uv_timer_stop(&d->submit);
	uv_timer_stop(&d->flush);
	uv_close((uv_handle_t *)&d->submit, NULL);
	uv_close((uv_handle_t *)&d->flush, NULL);
	vigil_pipeline_shutdown(&d->pl);
}

static void on_submit(uv_timer_t *t)
{
	struct drive *d = t->data;
	struct vigil_event ev;

	for (uint64_t k = 0; k < d->batch && d->next < d->end; k++) {
		if (d->reload_at && d->next == d->reload_at && !d->reloaded)
			reload(d);
		vigil_arena_reset(&d->arena);
		vigil_event_init(&ev, &d->arena);
		ev.type = VIGIL_EV_EXEC;
		ev.time_ns = vigil_now_ns();
		ev.seq = d->next;
		ev.process.pid = (int32_t)(d->next % 4194304);
		ev.process.file.path = vigil_str_c("/usr/bin/true");
		if (vigil_pipeline_submit(&d->pl, &ev))
			fprintf(stderr, "drive: submit %llu failed\n",
				(unsigned long long)d->next);
		if (d->signal_every && d->next % d->signal_every == 0 &&
		    d->pl.n_plugins) {
			/* as an engine would: through the host's table */
			struct vigil_signal sig = {
				.struct_size = sizeof(sig),
				.severity = VIGIL_SEV_HIGH,
				.rule_id = "test_rule\"quoted]",
				.title = "drive test signal",
			};

			d->pl.api.emit_signal(d->pl.plugins[0], &ev, &sig);
		}
		d->next++;
	}
	if (d->progress && d->next > d->start) {
		/* everything up to here is in the spools: submit returned */
		printf("at %llu\n", (unsigned long long)(d->next - 1));
		fflush(stdout);
	}
	if (d->next < d->end)
		return;
	uv_timer_stop(t);
	printf("submitted %llu\n", (unsigned long long)d->next);
	fflush(stdout);
}

static void on_flush(uv_timer_t *t)
{
	struct drive *d = t->data;

	/* flush like vigild, every second; look at the output more often */
	if (++d->ticks % (1000 / POLL_MS) == 0)
		vigil_pipeline_flush(&d->pl);
	d->out = records_out(d);
	if (d->next < d->end)
		return;
	if (d->wait_out && d->out >= d->wait_out) {
		d->done_ns = vigil_now_ns();
		stop(d, 0);
		return;
	}
	if ((int64_t)uv_now(t->loop) >= d->deadline_ms)
		stop(d, d->wait_out ? 1 : 0);
}

static int64_t cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000 +
	       (int64_t)ru.ru_stime.tv_sec * 1000 + ru.ru_stime.tv_usec / 1000;
}

int main(int argc, char **argv)
{
	struct drive d = { .batch = 100, .status = 2 };
	struct vigil_config cfg;
	struct vigil_buf err = { 0 };
	uv_loop_t loop;
	uint64_t count = 0, start = 0, interval = 1, timeout = 120, out;

	if (argc < 2) {
		fprintf(stderr, "usage: drive CONFIG [--count N] [--start S] [--batch B] [--interval-ms MS] [--wait-out N] [--timeout S] [--reload-at N]\n");
		return 2;
	}
	for (int i = 2; i + 1 < argc; i += 2) {
		uint64_t v = strtoull(argv[i + 1], NULL, 10);

		if (!strcmp(argv[i], "--count"))
			count = v;
		else if (!strcmp(argv[i], "--start"))
			start = v;
		else if (!strcmp(argv[i], "--batch"))
			d.batch = v ? v : 1;
		else if (!strcmp(argv[i], "--interval-ms"))
			interval = v ? v : 1;
		else if (!strcmp(argv[i], "--wait-out"))
			d.wait_out = v;
		else if (!strcmp(argv[i], "--timeout"))
			timeout = v;
		else if (!strcmp(argv[i], "--count-dropped"))
			d.count_dropped = v != 0;
		else if (!strcmp(argv[i], "--signal-every"))
			d.signal_every = v;
		else if (!strcmp(argv[i], "--reload-at"))
			d.reload_at = v;
		else if (!strcmp(argv[i], "--progress"))
			d.progress = v != 0;
		else {
			fprintf(stderr, "drive: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	/* what vigild logs by default, plugins' notices included */
	vigil_log_setup(VIGIL_LOG_STDERR, VIGIL_LOG_NOTICE, "drive");
	if (vigil_config_load(argv[1], &cfg, &err)) {
		fprintf(stderr, "drive: %s\n", vigil_buf_cstr(&err));
		return 2;
	}
	uv_loop_init(&loop);
	if (vigil_pipeline_init(&d.pl, &loop, &cfg) ||
	    vigil_pipeline_load_plugins(&d.pl, &err)) {
		fprintf(stderr, "drive: %s\n", vigil_buf_cstr(&err));
		return 2;
	}
	vigil_arena_init(&d.arena, 1024);
	/* the file a reload reads: vigild reads the same path again; a
	 * test names the changed copy */
	d.config_path = getenv("DRIVE_RELOAD_CONFIG") ?
				getenv("DRIVE_RELOAD_CONFIG") : argv[1];
	d.start = d.next = start;
	d.end = start + count;
	d.deadline_ms = (int64_t)uv_now(&loop) + (int64_t)timeout * 1000;
	uv_timer_init(&loop, &d.submit);
	uv_timer_init(&loop, &d.flush);
	d.submit.data = d.flush.data = &d;
	uv_timer_start(&d.submit, on_submit, 0, interval);
	uv_timer_start(&d.flush, on_flush, POLL_MS, POLL_MS);
	d.t0_ns = vigil_now_ns();
	uv_run(&loop, UV_RUN_DEFAULT);
	out = d.out;
	printf("out %llu cpu_ms %lld wall_ms %lld\n", (unsigned long long)out,
	       (long long)cpu_ms(),
	       (long long)(d.done_ns ? (d.done_ns - d.t0_ns) / 1000000 : -1));
	if (uv_loop_close(&loop) == UV_EBUSY)
		fprintf(stderr, "drive: handles left open at exit\n");
	vigil_pipeline_unload(&d.pl);
	vigil_arena_free(&d.arena);
	vigil_config_free(&cfg);
	if (d.reload_loaded)
		vigil_config_free(&d.reload_cfg);
	vigil_buf_free(&err);
	return d.status;
}
