/*
 * pipeline.h - sources -> enrichment -> engines -> sinks, and the plugins
 * that make up the engines and sinks.
 *
 * The pipeline owns the loaded plugins.  vigild and `vigilctl replay` both
 * build one; vigild adds kernel sources, replay feeds decoded events.
 * Everything runs on the loop thread.
 */
#ifndef VIGIL_PIPELINE_H
#define VIGIL_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <uv.h>

#include <vigil/plugin.h>

#include "settings.h"
#include "source.h"

struct vigil_plugin_inst {
	struct vigil_plugin p;   /* copy, zero-extended to our size */
	void *dl;                /* dlopen handle; NULL for built-ins */
	void *state;             /* the plugin's own */
	char *name;              /* as configured */
	char *path;
	const struct vigil_node *config;
	struct vigil_pipeline *pipeline;
	bool initialized;
	uint64_t errors;         /* failed callbacks */
	uint64_t dropped_reported; /* stats.dropped already raised as lost */
	int run_state;           /* enum vigil_plugin_state, set_state's */
	int state_reported;      /* run_state last raised as an agent event */
	char state_reason[256];  /* why degraded, or "" */
};

/* Where a pipeline prints (vigild -f, vigilctl replay). */
struct vigil_printer {
	FILE *out;       /* NULL: no printing */
	int format;      /* enum vigil_output_format */
	uint32_t what;   /* enum vigil_output_what */
};

typedef int (*vigil_enrich_fn)(void *arg, struct vigil_event *ev);

struct vigil_pipeline {
	uv_loop_t *loop;
	const struct vigil_config *cfg;
	char hostname[256];
	struct vigil_host_api api;
	/* The running plugins, in the configuration's order.  Each is its
	 * own allocation: plugins hold its address as their host handle. */
	struct vigil_plugin_inst **plugins;
	size_t n_plugins;
	/* Destroyed by a reload, their code still loaded: their libuv
	 * handles may still call back.  Closed by vigil_pipeline_unload(). */
	struct vigil_plugin_inst **retired;
	size_t n_retired;
	struct vigil_source **sources;
	size_t n_sources;
	vigil_enrich_fn enrich;
	void *enrich_arg;
	struct vigil_printer printer;
	struct vigil_buf outbuf;
	bool stopping;
	/* While vigil_pipeline_submit_verdict() runs: where the actions of
	 * the signals raised are ORed.  NULL otherwise. */
	uint32_t *collect_actions;
	uint64_t next_id;
	uint64_t events;         /* submitted */
	uint64_t signals;        /* raised */
	uint64_t print_errors;
	uint64_t by_type[VIGIL_EV__COUNT];
	int64_t started_ns;
};

int vigil_pipeline_init(struct vigil_pipeline *p, uv_loop_t *loop,
			const struct vigil_config *cfg)
	__attribute__((warn_unused_result));

/*
 * Loads and initializes every enabled plugin of the configuration:
 * vigil_pipeline_open_plugins() then vigil_pipeline_init_plugins().
 * Stops at the first plugin that cannot be loaded, with the reason
 * (naming the plugin) in err.
 */
int vigil_pipeline_load_plugins(struct vigil_pipeline *p,
				struct vigil_buf *err)
	__attribute__((warn_unused_result));

/*
 * The two halves of vigil_pipeline_load_plugins(), for vigild, which must
 * drop its capabilities in between: a plugin's init() may start threads
 * (libuv's resolver pool), and capabilities can only be dropped while
 * the process has one thread.  open loads every enabled plugin's code
 * and checks its ABI, calling none of it; init calls init() of each
 * plugin not yet initialized.  Both stop at the first failure, with the
 * reason naming the plugin in err; vigil_pipeline_shutdown() and
 * vigil_pipeline_unload() clean up after a failure as after success.
 */
int vigil_pipeline_open_plugins(struct vigil_pipeline *p,
				struct vigil_buf *err)
	__attribute__((warn_unused_result));
int vigil_pipeline_init_plugins(struct vigil_pipeline *p,
				struct vigil_buf *err)
	__attribute__((warn_unused_result));

/*
 * Checks the section of every enabled plugin that publishes a
 * configuration table (struct vigil_plugin.config_table) without starting
 * it: loads the file, reads the section into a scratch struct, unloads
 * (vigild --check-config).  Returns 0, or a negative errno with one line
 * in err (a plugin that does not load, or "file:line:col: ...").
 */
int vigil_plugins_check(const struct vigil_config *cfg, struct vigil_buf *err)
	__attribute__((warn_unused_result));

/*
 * Loads one plugin file, checks its ABI and copies its descriptor into
 * inst.  Does not call init.  On refusal returns a negative errno with a
 * sentence naming the plugin and the reason in err.
 */
int vigil_plugin_open(const char *name, const char *path,
		      struct vigil_plugin_inst *inst, struct vigil_buf *err)
	__attribute__((warn_unused_result));
/* Calls the plugin's destroy() (once); the code stays loaded. */
void vigil_plugin_destroy(struct vigil_plugin_inst *inst);
/* destroy() if still needed, then dlclose(). */
void vigil_plugin_close(struct vigil_plugin_inst *inst);

/* Adds a source (started by vigil_pipeline_start_sources). */
int vigil_pipeline_add_source(struct vigil_pipeline *p,
			      struct vigil_source *src);
void vigil_pipeline_start_sources(struct vigil_pipeline *p);

/*
 * New configuration.  The plugins become the enabled ones of cfg: one
 * that is gone, disabled or has another file is flushed and destroyed; a
 * new one is loaded (ABI checks as at start) and initialized; one that
 * stays gets its new section and reload(), and keeps its previous section
 * when reload() refuses.  A plugin that cannot be loaded or started is
 * logged and left out.  Sources re-read their sections.  p keeps
 * pointers into cfg and into the previous configuration: the caller
 * keeps both alive until vigil_pipeline_unload().
 */
void vigil_pipeline_reload(struct vigil_pipeline *p,
			   const struct vigil_config *cfg);

/*
 * vigil_pipeline_submit() (source.h), for a source that holds the event until the rules ran (block-mode
 * DNS): stores in *actions the OR of the VIGIL_ACTION_* bits of every
 * signal raised for ev during the call (0 when none, or on error).
 */
int vigil_pipeline_submit_verdict(struct vigil_pipeline *p,
				  struct vigil_event *ev, uint32_t *actions);

/* Flushes every sink. */
void vigil_pipeline_flush(struct vigil_pipeline *p);

/* Stops sources, flushes and destroys plugins (their code stays loaded
 * until vigil_pipeline_unload(): run the loop in between so handles the
 * plugins closed get their close callbacks). */
void vigil_pipeline_shutdown(struct vigil_pipeline *p);
/* Unloads the plugins; after the loop has run dry. */
void vigil_pipeline_unload(struct vigil_pipeline *p);

/* Appends the status JSON object (vigilctl status). */
int vigil_pipeline_status_json(struct vigil_pipeline *p, struct vigil_buf *out);

/* Text rendering of an event or signal, one line. */
int vigil_format_text(const struct vigil_event *ev,
		      const struct vigil_signal *sig, struct vigil_buf *out);

#endif /* VIGIL_PIPELINE_H */
