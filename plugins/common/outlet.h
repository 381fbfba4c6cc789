/*
 * outlet.h - what every output that delivers through the disk spool
 * shares (forward, syslog, http, and the notifiers to come): its place on
 * the daemon's loop, the spool (opened and logged the same way, fsynced
 * and trimmed on libuv's thread pool), the counters and the selection of
 * what is kept, retry backoff with jitter, a 100 ms tick, and the
 * reference count that keeps the plugin's state alive until the last
 * libuv callback has run.
 *
 * An outlet whose spool directory cannot be used (missing and not
 * creatable, not a directory, not writable, a full disk ...) still
 * starts: it runs degraded on a spool in memory (spool.h,
 * vigil_spool_open_memory: bounded, lost at a restart), tells the host
 * (vigilctl status, agent event output_degraded), and tries the
 * directory again on its tick with a backoff, logging each new reason
 * once.  When the directory opens, what the memory holds moves there and
 * the outlet runs normally again.
 *
 * A plugin embeds a struct vigil_outlet as the FIRST member of its state,
 * so its plugin table can name vigil_outlet_on_event, _on_signal and
 * _on_stats directly.  Its connection, if it makes one itself, is a
 * struct vigil_conn (conn.h) on top of this.
 *
 * Lifetime: vigil_outlet_init, then the plugin reads its settings, then
 * vigil_outlet_open (spool and tick; one reference).  Everything that will
 * call back later (handles, requests) holds a reference; destroy drops the
 * tick's, and the last vigil_outlet_unref after it calls ops->release,
 * which frees the plugin's state (vigil_outlet_fini closes the spool).
 */
#ifndef VIGIL_OUTLET_H
#define VIGIL_OUTLET_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include <vigil/plugin.h>

#include "select.h"
#include "spool.h"

#define VIGIL_OUTLET_TICK_MS 100
/* Bounds of the backoff between attempts to open an unusable spool. */
#define VIGIL_OUTLET_SPOOL_RETRY_MIN_MS 1000
#define VIGIL_OUTLET_SPOOL_RETRY_MAX_MS 30000

struct vigil_outlet;

struct vigil_outlet_ops {
	/* Encodes and spools one record that the selection kept (sig NULL
	 * for an event).  The plugin's on_event/on_signal result. */
	int (*record)(struct vigil_outlet *o, const struct vigil_event *ev,
		      const struct vigil_signal *sig);
	/* Every tick, after the periodic fsync; may be NULL. */
	void (*tick)(struct vigil_outlet *o);
	/* Frees the plugin's state, after destroy, at the last reference. */
	void (*release)(struct vigil_outlet *o);
};

struct vigil_outlet {
	const struct vigil_host_api *api;
	void *host;
	uv_loop_t *loop;
	const struct vigil_outlet_ops *ops;
	const struct vigil_select *sel; /* in the plugin's settings */
	struct vigil_spool *spool;     /* on disk, or in memory if degraded */
	char spool_dir[PATH_MAX];
	/* Degraded: spool is in memory; spool_opts (dir: spool_dir) are
	 * tried again at spool_retry_ms.  disk is the directory's spool once
	 * opened, until what spool has in flight settles and moves to it. */
	struct vigil_spool_opts spool_opts;
	struct vigil_spool *disk;
	int spool_err;                 /* the reason last logged, -errno */
	int64_t spool_backoff_ms;
	uint64_t spool_retry_ms;
	bool degraded;
	int64_t sync_ms;               /* fsync period; 0: at stop only */
	uint64_t last_sync_ms;
	uint64_t rng;
	struct vigil_plugin_stats st;
	uv_timer_t tick;
	int refs;
	bool destroyed, syncing;
};

/*
 * Fills o for the plugin called name (for messages): 0, or -EINVAL
 * (logged) when the host has no event loop for it.
 */
int vigil_outlet_init(struct vigil_outlet *o, const struct vigil_host_api *api,
		      void *host, const struct vigil_outlet_ops *ops,
		      const char *name);

/* The spool's settings, as VIGIL_OUTLET_SPOOL_ENTRIES reads them. */
struct vigil_outlet_spool_conf {
	const char *dir;  /* NULL: <state_dir>/spool/<name> */
	const char *name; /* NULL: the plugin's */
	int64_t max_size, segment_size; /* 0: the spool's defaults */
	int32_t on_full;                /* enum vigil_spool_full_policy */
};

extern const struct vigil_config_name vigil_outlet_full_policies[];

/* Entries of a plugin's table for the struct vigil_outlet_spool_conf
 * member m of T: spool.{dir, name, max_size, segment_size, on_full}. */
#define VIGIL_OUTLET_SPOOL_ENTRIES(T, m)                                       \
	{ VIGIL_CFG_PATH("spool.dir", T, m.dir, NULL,                          \
			 "default: <agent.state_dir>/spool/<spool.name>") },   \
	{ VIGIL_CFG_STR("spool.name", T, m.name, NULL,                         \
			"default: the plugin's name") },                       \
	{ VIGIL_CFG_SIZE("spool.max_size", T, m.max_size, 0, 0, INT64_MAX,     \
			 "0: 256M") },                                         \
	{ VIGIL_CFG_SIZE("spool.segment_size", T, m.segment_size, 0, 0,        \
			 64 << 20, "0: 4M") },                                 \
	{ VIGIL_CFG_ENUM("spool.on_full", T, m.on_full,                        \
			 VIGIL_SPOOL_DROP_OLDEST, vigil_outlet_full_policies,  \
			 NULL) }

/*
 * Entries for backoff bounds <prefix>_min and <prefix>_max (prefix a
 * string literal), milliseconds in the int64_t members lo and hi of T.
 */
#define VIGIL_OUTLET_BACKOFF_ENTRIES(prefix, T, lo, hi)                        \
	{ VIGIL_CFG_DURATION_MS(prefix "_min", T, lo, 1000, 1,                 \
				VIGIL_OUTLET_BACKOFF_MAX_MS,                   \
				"the first wait, doubled each time") },        \
	{ VIGIL_CFG_DURATION_MS(prefix "_max", T, hi, 60000, 1,                \
				VIGIL_OUTLET_BACKOFF_MAX_MS,                   \
				"the longest wait") }
#define VIGIL_OUTLET_BACKOFF_MAX_MS (24 * 3600 * 1000)

/*
 * Entries for flush_interval (1s) and its older spelling
 * flush_interval_ms (an integer of milliseconds; 0: flush_interval), in
 * the int64_t members ms and ms_int of T: ms_int, when set, wins.
 */
#define VIGIL_OUTLET_FLUSH_ENTRIES(T, ms, ms_int)                              \
	{ VIGIL_CFG_DURATION_MS("flush_interval", T, ms, 1000, 1, 3600000,     \
				"a partial batch is sent after this") },       \
	{ VIGIL_CFG_INT("flush_interval_ms", T, ms_int, 0, 0, 3600000,         \
			"flush_interval in milliseconds; 0: flush_interval") }

/*
 * The spool's directory from c (dir, or <state_dir>/spool/<name>, name
 * dflt_name when absent) into dir[cap], and its sizes and policy into so.
 * 0, or -EINVAL after logging (no state directory).
 */
int vigil_outlet_spool_config(const struct vigil_host_api *api, void *host,
			      const struct vigil_outlet_spool_conf *c,
			      const char *dflt_name, char *dir, size_t cap,
			      struct vigil_spool_opts *so);

/*
 * Checks backoff bounds read with VIGIL_OUTLET_BACKOFF_ENTRIES: 0, or
 * -EINVAL after logging that <prefix>_max is below <prefix>_min.
 */
int vigil_outlet_backoff_check(const struct vigil_host_api *api, void *host,
			       const char *prefix, int64_t min_ms,
			       int64_t max_ms);

/*
 * Opens the spool in dir with so (delivered segments are removed on the
 * thread pool), logs what it found, and starts the tick: o holds one
 * reference from here.  A directory that cannot be used makes the outlet
 * degraded (see the top of this file), not a failure.  0; -EINVAL
 * (logged) when the spool is another output's (-EBUSY: two outputs with
 * one spool.name) or its path is too long, which only the configuration
 * can fix; or -ENOMEM.
 */
int vigil_outlet_open(struct vigil_outlet *o, const char *dir,
		      struct vigil_spool_opts *so);

/* The plugin is going away: fsyncs the spool and stops the tick. */
void vigil_outlet_destroy(struct vigil_outlet *o);
void vigil_outlet_unref(struct vigil_outlet *o);
/* Closes the spool (from ops->release or an init that failed). */
void vigil_outlet_fini(struct vigil_outlet *o);

/*
 * The delay before the next retry: *cur doubled from min (0: start) up
 * to max, then a random point between half and all of it, so that many
 * agents cut off together do not come back in step.  Milliseconds.
 */
int64_t vigil_outlet_backoff(struct vigil_outlet *o, int64_t *cur, int64_t min,
			     int64_t max);
/* Not for secrets: jitter and fallbacks. */
uint64_t vigil_outlet_rand(struct vigil_outlet *o);

/*
 * Copies s into out[cap] for a log line, control characters, quotes,
 * backslashes and bytes above 0x7e as \xNN (a peer's text must not forge
 * or garble log lines).  Cut to fit.  Returns out.
 */
const char *vigil_outlet_escape(const char *s, char *out, size_t cap);

/* Plugin callbacks for a state whose first member is the outlet. */
int vigil_outlet_on_event(void *state, const struct vigil_event *ev);
int vigil_outlet_on_signal(void *state, const struct vigil_event *ev,
			   const struct vigil_signal *sig);
int vigil_outlet_on_stats(void *state, struct vigil_plugin_stats *out);

#endif /* VIGIL_OUTLET_H */
