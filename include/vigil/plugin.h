/*
 * vigil/plugin.h - the plugin ABI.
 *
 * A plugin is a shared object that exports one symbol, VIGIL_PLUGIN_ENTRY
 * ("vigil_plugin_entry"), a function returning a pointer to a static
 * struct vigil_plugin.  The loader reads abi_major, abi_minor and
 * struct_size before it calls anything, and refuses, naming the plugin and
 * the reason, a plugin built for another major version or a newer minor
 * version than the host provides.
 *
 * The host hands each plugin a struct vigil_host_api: logging, signal
 * emission, configuration lookup, the field registry and the encoders.  A
 * plugin never links against the daemon, so the same .so loads into vigild
 * and vigilctl.
 *
 * Compatibility: within a major version, fields are only appended (the
 * reserved slots absorb them) and struct_size tells each side how much of
 * the other's struct it may read.
 */
#ifndef VIGIL_PLUGIN_H
#define VIGIL_PLUGIN_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <vigil/confmap.h>
#include <vigil/event.h>
#include <vigil/fields.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VIGIL_PLUGIN_ABI_MAJOR 1
/* 1.1: config_map in the host API, config_table in the descriptor
 * 1.2: set_state in the host API, status_json in the descriptor */
#define VIGIL_PLUGIN_ABI_MINOR 2

#define VIGIL_PLUGIN_ENTRY vigil_plugin_entry
#define VIGIL_PLUGIN_ENTRY_NAME "vigil_plugin_entry"

enum vigil_plugin_kind {
	VIGIL_PLUGIN_SINK = 1,   /* takes events and/or signals out */
	VIGIL_PLUGIN_ENGINE = 2, /* turns events into signals */
	VIGIL_PLUGIN_SOURCE = 3, /* reserved: produces events */
};

enum vigil_log_level {
	VIGIL_LOG_ERR = 3,
	VIGIL_LOG_WARNING = 4,
	VIGIL_LOG_NOTICE = 5,
	VIGIL_LOG_INFO = 6,
	VIGIL_LOG_DEBUG = 7,
};

/* How a running plugin is doing (set_state), for vigilctl status. */
enum vigil_plugin_state {
	VIGIL_PLUGIN_RUNNING = 0,
	/* working with less than it was configured for (an output
	 * without its disk spool): said why, and raised as an agent event */
	VIGIL_PLUGIN_DEGRADED = 1,
};

/* A growable byte buffer the host fills for the plugin (encoders). */
struct vigil_buf {
	char *data;
	size_t len;
	size_t cap;
};

/* Per-plugin counters, reported by vigilctl status. */
struct vigil_plugin_stats {
	uint64_t events_in;
	uint64_t signals_in;
	uint64_t records_out;
	uint64_t dropped;
	uint64_t errors;
	uint64_t bytes_out;
	uint64_t rules_loaded; /* engines: rules in force */
	uint64_t reserved[5];
};

/* Opaque: the plugin's own section of the configuration. */
struct vigil_config_node;

struct vigil_host_api {
	uint32_t abi_major;
	uint32_t abi_minor;
	uint32_t struct_size;
	uint32_t reserved0;

	/* Logs a line prefixed with the plugin's name. */
	void (*log)(void *host, int level, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

	/*
	 * Raises a signal for ev.  Engines call it from their on_event
	 * callback; the host delivers the signal to every sink before
	 * returning.  Returns 0 or a negative errno.
	 */
	int (*emit_signal)(void *host, const struct vigil_event *ev,
			   const struct vigil_signal *sig);

	/*
	 * Looks up a scalar in the plugin's configuration section by a dotted
	 * key ("rotate.max_size").  Returns the string, or dflt when absent.
	 */
	const char *(*config_str)(void *host, const char *key,
				  const char *dflt);
	/* Integer with optional k/M/G suffix or duration (s/m/h; returned in
	 * nanoseconds); dflt when absent; -EINVAL in *err and dflt when
	 * malformed.  ABI 1.0, kept for older plugins: a new one reads its
	 * section with config_map, which knows each key's type and unit. */
	int64_t (*config_int)(void *host, const char *key, int64_t dflt,
			      int *err);
	int (*config_bool)(void *host, const char *key, int dflt);
	/* Number of items of a sequence, and item i as a string. */
	size_t (*config_list_len)(void *host, const char *key);
	const char *(*config_list_str)(void *host, const char *key, size_t i);

	/* The field registry. */
	const struct vigil_field_table *(*fields)(void *host);

	/*
	 * Appends ev (and sig, when not NULL) to out as one JSON object plus a
	 * newline, or as one msgpack map.  Return 0 or a negative errno.
	 */
	int (*encode_json)(const struct vigil_event *ev,
			   const struct vigil_signal *sig, struct vigil_buf *out);
	int (*encode_msgpack)(const struct vigil_event *ev,
			      const struct vigil_signal *sig,
			      struct vigil_buf *out);

	/* Directory for the plugin's persistent state (spool, stores). */
	const char *(*state_dir)(void *host);

	/* The daemon's uv_loop_t, for plugins that do I/O. */
	void *(*loop)(void *host);

	/*
	 * ABI 1.1.  Reads the plugin's section into settings as table says
	 * (vigil/confmap.h): every key's default, then the keys present.
	 * A key that is unknown, of the wrong type or out of range is
	 * logged as "file:line:col: ..." and makes it return -EINVAL;
	 * settings may then be partly written, so read into a scratch
	 * struct on reload.  entry_size is sizeof(struct
	 * vigil_config_entry) where the table was built.  Strings point
	 * into the configuration, which the host keeps until it exits.
	 * NULL in a 1.0 host: call it through vigil_config_map().
	 */
	int (*config_map)(void *host, const struct vigil_config_entry *table,
			  size_t n, size_t entry_size, void *settings);

	/*
	 * ABI 1.2.  Says how the plugin is doing: state (enum
	 * vigil_plugin_state) and, when degraded, why (copied; NULL: none).
	 * vigilctl status shows both; the host raises an agent event when
	 * a plugin becomes degraded (kind output_degraded, for a sink) and
	 * when it runs normally again (output_recovered).  Call it through
	 * vigil_plugin_set_state().
	 */
	void (*set_state)(void *host, int state, const char *reason);

	void *reserved[14];
};

struct vigil_plugin {
	uint32_t abi_major;   /* VIGIL_PLUGIN_ABI_MAJOR at build time */
	uint32_t abi_minor;   /* VIGIL_PLUGIN_ABI_MINOR at build time */
	uint32_t struct_size; /* sizeof(struct vigil_plugin) at build time */
	uint32_t kind;        /* enum vigil_plugin_kind */
	const char *name;
	const char *version;
	const char *description;

	/*
	 * Called once after loading.  host is the handle to pass back to the
	 * api functions.  On success stores the plugin's state in *state and
	 * returns 0; on failure returns a negative errno after logging why.
	 */
	int (*init)(const struct vigil_host_api *api, void *host, void **state);

	/* Each event, in order.  Sinks: write it; engines: evaluate it. */
	int (*on_event)(void *state, const struct vigil_event *ev);
	/* Each signal (sinks). */
	int (*on_signal)(void *state, const struct vigil_event *ev,
			 const struct vigil_signal *sig);
	/* Push out anything buffered; called on shutdown and periodically. */
	int (*flush)(void *state);
	/* Fill counters. */
	int (*stats)(void *state, struct vigil_plugin_stats *out);
	/*
	 * Configuration reloaded: re-read settings.  Returns 0, or a negative
	 * errno to keep the old settings (after logging why).  May be NULL.
	 */
	int (*reload)(void *state);
	/* Release everything; state is not used again. */
	void (*destroy)(void *state);

	/*
	 * ABI 1.1.  The table the plugin reads its section with (through
	 * config_map), and the size of the settings struct it fills, so
	 * that vigild --check-config checks the section without starting
	 * the plugin.  NULL: the section is not checked.  Set them with
	 * VIGIL_PLUGIN_CONFIG(table, struct my_settings).
	 */
	const struct vigil_config_entry *config_table;
	size_t config_entries;
	size_t config_entry_size;
	size_t settings_size;

	/*
	 * ABI 1.2.  Appends the plugin's own state to vigilctl status as
	 * members of a JSON object ("state":"degraded","reason":"..."),
	 * without braces.  Called on the loop thread.  May be NULL.
	 */
	int (*status_json)(void *state, struct vigil_buf *out);

	void *reserved[3];
};

typedef const struct vigil_plugin *(*vigil_plugin_entry_fn)(void);

/* Each plugin defines this. */
const struct vigil_plugin *VIGIL_PLUGIN_ENTRY(void);

/* Initializer for the configuration table of a plugin's struct. */
#define VIGIL_PLUGIN_CONFIG(table, settings_type)                              \
	.config_table = (table),                                               \
	.config_entries = sizeof(table) / sizeof((table)[0]),                  \
	.config_entry_size = sizeof((table)[0]),                               \
	.settings_size = sizeof(settings_type)

/*
 * Reads the plugin's section through the host's config_map: 0, -EINVAL
 * (logged by the host), or -ENOSYS from a host older than ABI 1.1.
 */
static inline int vigil_config_map(const struct vigil_host_api *api,
				   void *host,
				   const struct vigil_config_entry *table,
				   size_t n, void *settings)
{
	if (api->abi_minor < 1 ||
	    api->struct_size < offsetof(struct vigil_host_api, config_map) +
				       sizeof(api->config_map) ||
	    !api->config_map)
		return -ENOSYS;
	return api->config_map(host, table, n, sizeof(*table), settings);
}

/*
 * The host's set_state, or nothing from a host older than ABI 1.2 (its
 * status then shows the plugin as running whatever it says).
 */
static inline void vigil_plugin_set_state(const struct vigil_host_api *api,
					  void *host, int state,
					  const char *reason)
{
	if (api->abi_minor >= 2 &&
	    api->struct_size >= offsetof(struct vigil_host_api, set_state) +
					sizeof(api->set_state) &&
	    api->set_state)
		api->set_state(host, state, reason);
}

/* vigil_config_map() of a table array declared in scope. */
#define VIGIL_CONFIG_MAP(api, host, table, settings)                           \
	vigil_config_map((api), (host), (table),                               \
			 sizeof(table) / sizeof((table)[0]), (settings))

/* Initializer for the ABI header of a plugin's struct. */
#define VIGIL_PLUGIN_HEADER                                                    \
	.abi_major = VIGIL_PLUGIN_ABI_MAJOR,                                   \
	.abi_minor = VIGIL_PLUGIN_ABI_MINOR,                                   \
	.struct_size = sizeof(struct vigil_plugin)

#ifdef __cplusplus
}
#endif
#endif /* VIGIL_PLUGIN_H */
