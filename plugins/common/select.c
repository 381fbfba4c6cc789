/*
 * select.c - the forwarders' record selection settings, and what their
 * configure and reload steps share (see select.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "select.h"

static const char *const severity_names[VIGIL_SEV__COUNT] = {
	"info", "low", "medium", "high", "critical",
};

int vigil_select_load(const struct vigil_host_api *api, void *h,
		      const char *dflt_what, struct vigil_select *out)
{
	const char *v;

	memset(out, 0, sizeof(*out));
	v = api->config_str(h, "what", dflt_what);
	out->events = !strcmp(v, "events") || !strcmp(v, "both");
	out->signals = !strcmp(v, "signals") || !strcmp(v, "both");
	if (!out->events && !out->signals) {
		api->log(h, VIGIL_LOG_ERR,
			 "config.what is '%s'; use events, signals or both", v);
		return -EINVAL;
	}
	for (size_t i = 0; i < api->config_list_len(h, "event_types"); i++) {
		const char *name = api->config_list_str(h, "event_types", i);
		uint32_t t;

		for (t = 0; t < VIGIL_EV__COUNT; t++)
			if (name && !strcmp(name, vigil_event_type_name(t)))
				break;
		if (t == VIGIL_EV__COUNT || t >= 64) {
			api->log(h, VIGIL_LOG_ERR,
				 "config.event_types: unknown event type '%s'",
				 name ? name : "");
			return -EINVAL;
		}
		out->type_mask |= VIGIL_EVBIT(t);
	}
	v = api->config_str(h, "min_severity", "info");
	for (out->min_severity = 0; out->min_severity < VIGIL_SEV__COUNT;
	     out->min_severity++)
		if (!strcmp(v, severity_names[out->min_severity]))
			break;
	if (out->min_severity == VIGIL_SEV__COUNT) {
		api->log(h, VIGIL_LOG_ERR,
			 "config.min_severity is '%s'; use info, low, medium, high or critical",
			 v);
		return -EINVAL;
	}
	return 0;
}

char *vigil_settings_signature(const struct vigil_host_api *api, void *host,
			       const char *const *keys, size_t n)
{
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);

	if (!m)
		return NULL;
	for (size_t i = 0; i < n; i++)
		fprintf(m, "%s=%s\n", keys[i], api->config_str(host, keys[i], ""));
	if (fclose(m)) {
		free(out);
		return NULL;
	}
	return out;
}

char *vigil_config_dup(const struct vigil_host_api *api, void *host,
		       const char *key, const char *dflt)
{
	const char *v = api->config_str(host, key, dflt);

	return v ? strdup(v) : NULL;
}

void vigil_spool_note_reload(const struct vigil_host_api *api, void *host,
			     const char *running, const char *wanted)
{
	if (strcmp(running, wanted))
		api->log(host, VIGIL_LOG_WARNING,
			 "the spool stays %s until a restart (the new settings name %s)",
			 running, wanted);
}
