/*
 * select.c - the names of the forwarders' record selection settings (see
 * select.h), and what their reload steps share.
 */
#include <string.h>

#include "select.h"

const struct vigil_config_name vigil_select_whats[] = {
	{ "events", VIGIL_SELECT_EVENTS },
	{ "signals", VIGIL_SELECT_SIGNALS },
	{ "both", VIGIL_SELECT_EVENTS | VIGIL_SELECT_SIGNALS },
	{ NULL, 0 },
};

/* A mask holds the types below 63 (a flag value is a positive int64). */
_Static_assert(VIGIL_EV__COUNT <= 63, "event_types: a type past bit 62");
const struct vigil_config_name vigil_select_types[] = {
#define SELECT_TYPE(e, name, kind) { name, (int64_t)VIGIL_EVBIT(VIGIL_EV_##e) },
	VIGIL_EVENT_TYPES(SELECT_TYPE)
#undef SELECT_TYPE
	{ NULL, 0 },
};

const struct vigil_config_name vigil_select_severities[] = {
	{ "info", VIGIL_SEV_INFO },	{ "low", VIGIL_SEV_LOW },
	{ "medium", VIGIL_SEV_MEDIUM }, { "high", VIGIL_SEV_HIGH },
	{ "critical", VIGIL_SEV_CRITICAL }, { NULL, 0 },
};

void vigil_spool_note_reload(const struct vigil_host_api *api, void *host,
			     const char *running, const char *wanted)
{
	if (strcmp(running, wanted))
		api->log(host, VIGIL_LOG_WARNING,
			 "the spool stays %s until a restart (the new settings name %s)",
			 running, wanted);
}
