/*
 * select.h - which records a forwarder sends: events, signals or both,
 * by event type and minimum severity.  One reader of the settings for
 * every forwarder (forward, syslog, http).
 */
#ifndef VIGIL_PLUGIN_SELECT_H
#define VIGIL_PLUGIN_SELECT_H

#include <stdbool.h>
#include <stdint.h>

#include <vigil/plugin.h>

struct vigil_select {
	bool events, signals;
	uint64_t type_mask; /* VIGIL_EVBIT()s; 0: every type */
	uint32_t min_severity;
};

/*
 * Reads "what" (dflt_what when absent), "event_types" and "min_severity"
 * from the plugin's configuration.  Returns 0, or -EINVAL after logging
 * which setting is wrong and what it accepts.
 */
int vigil_select_load(const struct vigil_host_api *api, void *host,
		      const char *dflt_what, struct vigil_select *out);

static inline bool vigil_select_event(const struct vigil_select *s,
				      const struct vigil_event *ev)
{
	return s->events &&
	       (!s->type_mask ||
		(ev->type < 64 && (s->type_mask & VIGIL_EVBIT(ev->type))));
}

static inline bool vigil_select_signal(const struct vigil_select *s,
				       const struct vigil_signal *sig)
{
	return s->signals && sig->severity >= s->min_severity;
}

/*
 * The values of keys in the plugin's configuration as one string
 * ("key=value\n" each, "" when absent), to tell on a reload whether the
 * settings a connection was made with changed.  Returns a malloc'd
 * string, or NULL when out of memory.
 */
char *vigil_settings_signature(const struct vigil_host_api *api, void *host,
			       const char *const *keys, size_t n);

/* strdup of the string setting key (dflt when absent); NULL when absent
 * with a NULL dflt, or out of memory. */
char *vigil_config_dup(const struct vigil_host_api *api, void *host,
		       const char *key, const char *dflt);

/*
 * A reload's settings name another spool than the running one (wanted vs
 * running): logs that the running spool stays until a restart.
 */
void vigil_spool_note_reload(const struct vigil_host_api *api, void *host,
			     const char *running, const char *wanted);

#endif /* VIGIL_PLUGIN_SELECT_H */
