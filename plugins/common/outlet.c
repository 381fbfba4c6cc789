/*
 * outlet.c - the spool, tick, counters and backoff every spooling output
 * shares (see outlet.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outlet.h"

int vigil_outlet_init(struct vigil_outlet *o, const struct vigil_host_api *api,
		      void *host, const struct vigil_outlet_ops *ops,
		      const char *name)
{
	o->api = api;
	o->host = host;
	o->ops = ops;
	o->loop = api->loop(host);
	if (!o->loop) {
		api->log(host, VIGIL_LOG_ERR,
			 "the %s output needs the daemon's event loop", name);
		return -EINVAL;
	}
	/* jitter only: the clock and the address are seed enough */
	o->rng = (uv_hrtime() ^ (uint64_t)(uintptr_t)o ^
		  ((uint64_t)getpid() << 32)) | 1;
	return 0;
}

const struct vigil_config_name vigil_outlet_full_policies[] = {
	{ "drop_oldest", VIGIL_SPOOL_DROP_OLDEST },
	{ "drop_newest", VIGIL_SPOOL_DROP_NEWEST },
	{ NULL, 0 },
};

int vigil_outlet_spool_config(const struct vigil_host_api *api, void *host,
			      const struct vigil_outlet_spool_conf *c,
			      const char *dflt_name, char *dir, size_t cap,
			      struct vigil_spool_opts *so)
{
	so->max_bytes = (uint64_t)c->max_size;
	so->segment_bytes = (uint64_t)c->segment_size;
	so->full_policy = c->on_full;
	if (c->dir) {
		snprintf(dir, cap, "%s", c->dir);
	} else {
		const char *sd = api->state_dir(host);

		if (!sd) {
			api->log(host, VIGIL_LOG_ERR,
				 "no state_dir for the spool: set agent.state_dir or config.spool.dir");
			return -EINVAL;
		}
		snprintf(dir, cap, "%s/spool/%s", sd,
			 c->name ? c->name : dflt_name);
	}
	return 0;
}

int vigil_outlet_backoff_check(const struct vigil_host_api *api, void *host,
			       const char *prefix, int64_t min_ms,
			       int64_t max_ms)
{
	if (max_ms >= min_ms)
		return 0;
	api->log(host, VIGIL_LOG_ERR, "config: %s_max is below %s_min",
		 prefix, prefix);
	return -EINVAL;
}

static void on_unlinked(uv_fs_t *req)
{
	struct vigil_outlet *o = req->data;

	if (req->result < 0 && req->result != UV_ENOENT)
		o->api->log(o->host, VIGIL_LOG_WARNING,
			    "cannot remove delivered spool segment %s: %s",
			    req->path, uv_strerror((int)req->result));
	uv_fs_req_cleanup(req);
	free(req);
	vigil_outlet_unref(o);
}

/* The spool's segment remover: unlink(2) on the thread pool. */
static void remove_segment(void *arg, const char *path)
{
	struct vigil_outlet *o = arg;
	uv_fs_t *req = calloc(1, sizeof(*req));

	if (req) {
		req->data = o;
		if (uv_fs_unlink(o->loop, req, path, on_unlinked) == 0) {
			o->refs++;
			return;
		}
		free(req);
	}
	unlink(path); /* the fallback blocks, but frees the disk */
}

/* fsync of the spool, on the thread pool. */
struct sync_work {
	uv_work_t req;
	struct vigil_outlet *o;
	int fd;
};

static void sync_run(uv_work_t *req)
{
	struct sync_work *w = req->data;

	fsync(w->fd);
}

static void sync_done(uv_work_t *req, int status)
{
	struct sync_work *w = req->data;
	struct vigil_outlet *o = w->o;

	(void)status;
	close(w->fd);
	free(w);
	o->syncing = false;
	vigil_outlet_unref(o);
}

static void outlet_sync(struct vigil_outlet *o)
{
	struct sync_work *w;

	if (o->syncing || vigil_spool_in_memory(o->spool))
		return;
	w = calloc(1, sizeof(*w));
	if (!w)
		return;
	w->o = o;
	w->req.data = w;
	w->fd = vigil_spool_dup_fd(o->spool);
	if (w->fd < 0 || uv_queue_work(o->loop, &w->req, sync_run, sync_done)) {
		if (w->fd >= 0)
			close(w->fd);
		free(w);
		return;
	}
	o->syncing = true;
	o->refs++;
}

/*
 * Logs what the spool just opened found: records cut, and at start
 * (not after records moved in from memory) the records left to send.
 */
static void spool_opened(struct vigil_outlet *o, bool at_start)
{
	struct vigil_spool_stats ss;

	vigil_spool_get_stats(o->spool, &ss);
	if (ss.torn || ss.corrupt)
		o->api->log(o->host, VIGIL_LOG_WARNING,
			    "spool %s: %llu torn and %llu corrupt records cut at open",
			    o->spool_dir, (unsigned long long)ss.torn,
			    (unsigned long long)ss.corrupt);
	if (ss.pending && at_start)
		o->api->log(o->host, VIGIL_LOG_INFO,
			    "spool %s: %llu records to send from the last run",
			    o->spool_dir, (unsigned long long)ss.pending);
}

/*
 * The spool directory could not be used (rc, a negative errno): logs it
 * and tells the host when the reason is new, and sets the next attempt
 * after the backoff.
 */
static void spool_unusable(struct vigil_outlet *o, int rc, uint64_t now)
{
	if (rc != o->spool_err) {
		char why[PATH_MAX + 160];

		o->spool_err = rc;
		o->api->log(o->host, VIGIL_LOG_ERR,
			    "cannot use the spool %s: %s; records are held in memory (at most one segment, lost at a restart) until it can be opened, tried again every %d to %d s",
			    o->spool_dir, strerror(-rc),
			    VIGIL_OUTLET_SPOOL_RETRY_MIN_MS / 1000,
			    VIGIL_OUTLET_SPOOL_RETRY_MAX_MS / 1000);
		snprintf(why, sizeof(why),
			 "spool %s: %s; records held in memory", o->spool_dir,
			 strerror(-rc));
		vigil_plugin_set_state(o->api, o->host, VIGIL_PLUGIN_DEGRADED,
				       why);
	}
	o->spool_retry_ms =
		now + (uint64_t)vigil_outlet_backoff(
			      o, &o->spool_backoff_ms,
			      VIGIL_OUTLET_SPOOL_RETRY_MIN_MS,
			      VIGIL_OUTLET_SPOOL_RETRY_MAX_MS);
}

/*
 * Degraded, from the tick: opens the directory's spool when the backoff
 * is over, holds the memory spool's reader until what it has in flight
 * settles, then moves what the memory holds to the directory and runs
 * on it.
 */
static void spool_retry(struct vigil_outlet *o, uint64_t now)
{
	struct vigil_spool *mem = o->spool;
	struct vigil_spool_stats ms;
	uint64_t moved;
	int rc;

	if (!o->disk) {
		if (now < o->spool_retry_ms)
			return;
		rc = vigil_spool_open(&o->spool_opts, &o->disk);
		if (rc) {
			o->disk = NULL;
			spool_unusable(o, rc, now);
			return;
		}
		vigil_spool_hold(mem, true);
	}
	rc = vigil_spool_move(mem, o->disk, &moved);
	if (rc == -EBUSY)
		return; /* records in flight: the next tick */
	vigil_spool_hold(mem, false);
	if (rc) {
		vigil_spool_close(o->disk);
		o->disk = NULL;
		spool_unusable(o, rc, now);
		return;
	}
	/* what the memory spool dropped stays counted */
	vigil_spool_get_stats(mem, &ms);
	o->st.dropped += ms.dropped_full;
	vigil_spool_close(mem);
	o->spool = o->disk;
	o->disk = NULL;
	o->degraded = false;
	o->spool_err = 0;
	o->spool_backoff_ms = 0;
	vigil_spool_get_stats(o->spool, &ms);
	o->api->log(o->host, VIGIL_LOG_NOTICE,
		    "spool %s is usable again: %llu records moved to it from memory, %llu to send in all",
		    o->spool_dir, (unsigned long long)moved,
		    (unsigned long long)ms.pending);
	spool_opened(o, false);
	vigil_plugin_set_state(o->api, o->host, VIGIL_PLUGIN_RUNNING, NULL);
}

static void on_tick(uv_timer_t *t)
{
	struct vigil_outlet *o = t->data;
	uint64_t now = uv_now(o->loop);

	if (o->degraded)
		spool_retry(o, now);
	if (o->sync_ms > 0 && now - o->last_sync_ms >= (uint64_t)o->sync_ms) {
		o->last_sync_ms = now;
		outlet_sync(o);
	}
	if (o->ops->tick)
		o->ops->tick(o);
}

int vigil_outlet_open(struct vigil_outlet *o, const char *dir,
		      struct vigil_spool_opts *so)
{
	int rc;

	snprintf(o->spool_dir, sizeof(o->spool_dir), "%s", dir);
	so->dir = o->spool_dir;
	so->remove = remove_segment;
	so->remove_arg = o;
	o->spool_opts = *so;
	rc = vigil_spool_open(so, &o->spool);
	if (rc == -EBUSY || rc == -ENAMETOOLONG) {
		o->api->log(o->host, VIGIL_LOG_ERR,
			    "cannot open the spool %s: %s%s", dir, strerror(-rc),
			    rc == -EBUSY ?
				    " (another output uses it: give each its own spool.name)" :
				    " (set a shorter spool.dir)");
		return -EINVAL;
	}
	if (rc) {
		/* run without it rather than not at all */
		int err = rc;

		rc = vigil_spool_open_memory(so, &o->spool);
		if (rc)
			return rc;
		o->degraded = true;
		spool_unusable(o, err, uv_now(o->loop));
	} else {
		spool_opened(o, true);
	}
	uv_timer_init(o->loop, &o->tick);
	o->tick.data = o;
	o->refs = 1;
	o->last_sync_ms = uv_now(o->loop);
	uv_timer_start(&o->tick, on_tick, VIGIL_OUTLET_TICK_MS,
		       VIGIL_OUTLET_TICK_MS);
	return 0;
}

void vigil_outlet_unref(struct vigil_outlet *o)
{
	if (--o->refs == 0 && o->destroyed)
		o->ops->release(o);
}

static void on_tick_close(uv_handle_t *h)
{
	vigil_outlet_unref(h->data);
}

void vigil_outlet_destroy(struct vigil_outlet *o)
{
	struct vigil_spool_stats ss;

	o->destroyed = true;
	vigil_spool_get_stats(o->spool, &ss);
	if (o->degraded && ss.pending)
		o->api->log(o->host, VIGIL_LOG_WARNING,
			    "%llu records held in memory (the spool %s could not be used) are lost",
			    (unsigned long long)ss.pending, o->spool_dir);
	/* what was not delivered stays in the spool for the next start */
	if (vigil_spool_sync(o->spool))
		o->api->log(o->host, VIGIL_LOG_WARNING, "spool fsync failed");
	uv_close((uv_handle_t *)&o->tick, on_tick_close);
}

void vigil_outlet_fini(struct vigil_outlet *o)
{
	vigil_spool_close(o->spool);
	o->spool = NULL;
	vigil_spool_close(o->disk);
	o->disk = NULL;
}

uint64_t vigil_outlet_rand(struct vigil_outlet *o)
{
	/* xorshift64* */
	o->rng ^= o->rng >> 12;
	o->rng ^= o->rng << 25;
	o->rng ^= o->rng >> 27;
	return o->rng * 2685821657736338717ULL;
}

int64_t vigil_outlet_backoff(struct vigil_outlet *o, int64_t *cur, int64_t min,
			     int64_t max)
{
	*cur = *cur ? *cur * 2 : min;
	if (*cur > max)
		*cur = max;
	return *cur / 2 +
	       (int64_t)(vigil_outlet_rand(o) % (uint64_t)(*cur / 2 + 1));
}

const char *vigil_outlet_escape(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	if (!cap)
		return out;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';

		if (n + (plain ? 1 : 4) >= cap)
			break;
		if (plain)
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, cap - n, "\\x%02x", c);
	}
	out[n] = '\0';
	return out;
}

int vigil_outlet_on_event(void *state, const struct vigil_event *ev)
{
	struct vigil_outlet *o = state;

	o->st.events_in++;
	if (!vigil_select_event(o->sel, ev))
		return 0;
	return o->ops->record(o, ev, NULL);
}

int vigil_outlet_on_signal(void *state, const struct vigil_event *ev,
			   const struct vigil_signal *sig)
{
	struct vigil_outlet *o = state;

	o->st.signals_in++;
	if (!vigil_select_signal(o->sel, sig))
		return 0;
	return o->ops->record(o, ev, sig);
}

int vigil_outlet_on_stats(void *state, struct vigil_plugin_stats *out)
{
	struct vigil_outlet *o = state;

	vigil_spool_plugin_stats(o->spool, &o->st, out);
	return 0;
}
