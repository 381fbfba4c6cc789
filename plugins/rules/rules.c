/*
 * rules.c - the expression rule engine as a plugin.
 *
 * Loads the policy paths from its configuration section (key "paths", a
 * list of files or directories; by default the shipped policy and then
 * /etc/vigil/rules.d), evaluates every event against the ruleset and
 * raises a signal through the host for each match.  A reload builds a new
 * ruleset and swaps it in only when the whole policy loads cleanly;
 * otherwise it logs every error and keeps the running rules.
 *
 * The host calls on_event and reload from its event loop thread, so the
 * swap needs no lock: no event is being evaluated while it happens.
 *
 * Configuration:
 *   engines:
 *     rules:
 *       paths: [/usr/share/vigil/rules, /etc/vigil/rules.d]
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vigil/plugin.h>

#include "lang/policy.h"
#include "util.h"

struct rules_state {
	const struct vigil_host_api *api;
	void *host;
	const struct vigil_field_table *ft;
	struct vigil_ruleset *rs;
	/* counters of rulesets swapped out, so stats survive reloads */
	uint64_t old_events, old_signals, old_suppressed;
	uint64_t emit_errors;
};

/* Logs each line of err at level. */
static void log_lines(struct rules_state *st, int level, const char *text)
{
	while (text && *text) {
		const char *nl = strchr(text, '\n');
		int len = nl ? (int)(nl - text) : (int)strlen(text);

		if (len)
			st->api->log(st->host, level, "%.*s", len, text);
		text = nl ? nl + 1 : NULL;
	}
}

/*
 * Loads the configured policy into *out.  Returns 0, or a negative errno
 * after logging every error.
 */
static int rules_load(struct rules_state *st, struct vigil_ruleset **out)
{
	const char *conf[VIGIL_POLICY_MAX_PATHS + 1];
	const char *paths[VIGIL_POLICY_MAX_PATHS];
	struct vigil_buf err = { 0 };
	size_t n = 0, want;
	int rc;

	want = st->api->config_list_len(st->host, "paths");
	/* one more than allowed is enough for vigil_policy_paths to refuse */
	for (size_t i = 0; i < want && i < VIGIL_ARRAY_SIZE(conf); i++)
		conf[i] = st->api->config_list_str(st->host, "paths", i);
	rc = vigil_policy_paths(conf, want < VIGIL_ARRAY_SIZE(conf) ? want :
				VIGIL_ARRAY_SIZE(conf), paths, &n, &err);
	if (!rc)
		rc = vigil_ruleset_load(st->ft, paths, n, out, &err);
	if (rc) {
		log_lines(st, VIGIL_LOG_ERR, vigil_buf_cstr(&err));
	} else {
		struct vigil_ruleset_stats s;

		vigil_ruleset_stats(*out, &s);
		st->api->log(st->host, VIGIL_LOG_INFO,
			     "loaded %u rules (%u enabled), %u macros, %u "
			     "lists from %zu path(s)",
			     s.rules, s.enabled, s.macros, s.lists, n);
	}
	vigil_buf_free(&err);
	return rc;
}

static int rules_init(const struct vigil_host_api *api, void *host,
		      void **state)
{
	struct rules_state *st;
	int rc;

	if (api->struct_size <
	    offsetof(struct vigil_host_api, fields) + sizeof(api->fields)) {
		api->log(host, VIGIL_LOG_ERR, "host API too old");
		return -EPROTO;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->api = api;
	st->host = host;
	st->ft = api->fields(host);
	rc = rules_load(st, &st->rs);
	if (rc) {
		free(st);
		return rc;
	}
	*state = st;
	return 0;
}

static int emit(void *arg, const struct vigil_event *ev,
		const struct vigil_signal *sig)
{
	struct rules_state *st = arg;

	if (st->api->emit_signal(st->host, ev, sig))
		st->emit_errors++;
	return 0; /* a sink's failure must not hide the other rules */
}

static int rules_on_event(void *state, const struct vigil_event *ev)
{
	struct rules_state *st = state;
	int rc = vigil_ruleset_eval(st->rs, ev, emit, st);

	return rc < 0 ? rc : 0;
}

static int rules_reload(void *state)
{
	struct rules_state *st = state;
	struct vigil_ruleset *fresh = NULL;
	struct vigil_ruleset_stats s;
	int rc;

	rc = rules_load(st, &fresh);
	if (rc) {
		st->api->log(st->host, VIGIL_LOG_ERR,
			     "policy not reloaded: keeping the running rules");
		return rc;
	}
	vigil_ruleset_stats(st->rs, &s);
	st->old_events += s.events;
	st->old_signals += s.signals;
	st->old_suppressed += s.suppressed;
	vigil_ruleset_free(st->rs);
	st->rs = fresh;
	return 0;
}

static int rules_stats(void *state, struct vigil_plugin_stats *out)
{
	struct rules_state *st = state;
	struct vigil_ruleset_stats s;

	vigil_ruleset_stats(st->rs, &s);
	memset(out, 0, sizeof(*out));
	out->events_in = st->old_events + s.events;
	out->records_out = st->old_signals + s.signals;
	out->dropped = st->old_suppressed + s.suppressed;
	out->errors = st->emit_errors;
	out->rules_loaded = s.enabled;
	return 0;
}

static void rules_destroy(void *state)
{
	struct rules_state *st = state;

	if (!st)
		return;
	vigil_ruleset_free(st->rs);
	free(st);
}

static const struct vigil_plugin rules_plugin = {
	VIGIL_PLUGIN_HEADER,
	.kind = VIGIL_PLUGIN_ENGINE,
	.name = "rules",
	.version = PACKAGE_VERSION,
	.description = "expression rules: policies of rule, macro and list "
		       "entries",
	.init = rules_init,
	.on_event = rules_on_event,
	.stats = rules_stats,
	.reload = rules_reload,
	.destroy = rules_destroy,
};

const struct vigil_plugin *VIGIL_PLUGIN_ENTRY(void)
{
	return &rules_plugin;
}
