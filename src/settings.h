/*
 * settings.h - the agent configuration (vigil.yaml).
 *
 * The document stays loaded for the daemon's life: sources and plugins
 * read their own sections from it.  A reload loads a new one and swaps it
 * in only when it is valid.
 */
#ifndef VIGIL_SETTINGS_H
#define VIGIL_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "node.h"

#define VIGIL_DEFAULT_CONFIG VIGIL_SYSCONFDIR "/vigil/vigil.yaml"

enum vigil_output_what {
	VIGIL_OUT_EVENTS = 1u << 0,
	VIGIL_OUT_SIGNALS = 1u << 1,
};

enum vigil_output_format {
	VIGIL_FMT_TEXT = 0,
	VIGIL_FMT_JSON,
};

struct vigil_plugin_conf {
	const char *name;  /* "rules", "file_sink" */
	const char *path;  /* explicit .so path, or NULL: plugin_dir/name.so */
	bool enabled;
	const struct vigil_node *config; /* its "config:" map, or NULL */
	const struct vigil_node *node;   /* the entry, for messages */
};

struct vigil_config {
	struct vigil_doc doc;
	const char *path;
	const char *hostname;      /* NULL: gethostname() */
	const char *pid_file;
	const char *control_socket;
	const char *state_dir;
	const char *plugin_dir;
	int log_target;            /* enum vigil_log_target */
	int log_level;
	uint32_t features_disabled; /* enum vigil_feature bits */
	bool stdout_enabled;       /* print to stdout when in the foreground */
	int stdout_format;         /* enum vigil_output_format */
	uint32_t stdout_what;      /* enum vigil_output_what */
	struct vigil_plugin_conf *plugins;
	size_t n_plugins;
	/* The sections read elsewhere (NULL when absent or null). */
	struct {
		const struct vigil_node *plugins, *audit, *proc, *fim, *dns;
	} nodes;
	/* Set from the command line, not the file: vigild runs as auditd's
	 * dispatcher plugin (records on stdin). */
	bool audit_dispatcher;
};

/*
 * Loads and validates path.  On error returns a negative errno with one
 * line "file:line:col: what is wrong (the fix)" in err.  The caller frees
 * cfg with vigil_config_free() in both cases.
 */
int vigil_config_load(const char *path, struct vigil_config *cfg,
		      struct vigil_buf *err) __attribute__((warn_unused_result));
void vigil_config_free(struct vigil_config *cfg);

/* A source's section ("audit"), or NULL. */
const struct vigil_node *vigil_config_section(const struct vigil_config *cfg,
					      const char *name);

#endif /* VIGIL_SETTINGS_H */
