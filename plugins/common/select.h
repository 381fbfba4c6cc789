/*
 * select.h - which records a forwarder sends: events, signals or both,
 * by event type and minimum severity; the table entries every forwarder
 * (forward, syslog, http) reads them with; and what their configure and
 * reload steps share.
 */
#ifndef VIGIL_PLUGIN_SELECT_H
#define VIGIL_PLUGIN_SELECT_H

#include <stdbool.h>
#include <stdint.h>

#include <vigil/plugin.h>

enum { VIGIL_SELECT_EVENTS = 1, VIGIL_SELECT_SIGNALS = 2 };

struct vigil_select {
	uint32_t what;      /* VIGIL_SELECT_* bits */
	uint64_t type_mask; /* VIGIL_EVBIT()s; 0: every type */
	uint32_t min_severity;
};

/* The names of what, event_types and min_severity. */
extern const struct vigil_config_name vigil_select_whats[];
extern const struct vigil_config_name vigil_select_types[];
extern const struct vigil_config_name vigil_select_severities[];

/*
 * Entries of a plugin's table (vigil/confmap.h) for the struct
 * vigil_select member m of T: what (dflt_what, VIGIL_SELECT_* bits),
 * event_types (all) and min_severity (info).
 */
#define VIGIL_SELECT_ENTRIES(T, m, dflt_what)                                  \
	{ VIGIL_CFG_ENUM("what", T, m.what, dflt_what, vigil_select_whats,     \
			 NULL) },                                              \
	{ VIGIL_CFG_FLAGS("event_types", T, m.type_mask, 0,                    \
			  vigil_select_types,                                  \
			  "event types to send; default: all") },              \
	{ VIGIL_CFG_ENUM("min_severity", T, m.min_severity, VIGIL_SEV_INFO,    \
			 vigil_select_severities,                              \
			 "signals below it are not sent") }

static inline bool vigil_select_event(const struct vigil_select *s,
				      const struct vigil_event *ev)
{
	return (s->what & VIGIL_SELECT_EVENTS) &&
	       (!s->type_mask ||
		(ev->type < 64 && (s->type_mask & VIGIL_EVBIT(ev->type))));
}

static inline bool vigil_select_signal(const struct vigil_select *s,
				       const struct vigil_signal *sig)
{
	return (s->what & VIGIL_SELECT_SIGNALS) &&
	       sig->severity >= s->min_severity;
}

/*
 * A reload's settings name another spool than the running one (wanted vs
 * running): logs that the running spool stays until a restart.
 */
void vigil_spool_note_reload(const struct vigil_host_api *api, void *host,
			     const char *running, const char *wanted);

#endif /* VIGIL_PLUGIN_SELECT_H */
