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
 * Configuration (vigil_policy_table, lang/policy.h):
 *   plugins:
 *     - name: rules
 *       config: {paths: [/usr/share/vigil/rules, /etc/vigil/rules.d]}
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
 * Refuses a policy path (a file, or a directory and the policy files in
 * it) that someone other than root could write: such a user could
 * disable every rule or add their own.  Returns 0 or -EPERM with the
 * offending path and the fix in err.
 */
static int policy_trusted(const char *path, struct vigil_buf *err)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = vigil_path_trusted(path, err);

	if (rc || stat(path, &st) || !S_ISDIR(st.st_mode))
		return rc;
	d = opendir(path);
	if (!d)
		return 0; /* the loader reports it */
	while (!rc && (de = readdir(d))) {
		char sub[PATH_MAX];
		size_t len = strlen(de->d_name);

		if (len < 5 || (strcmp(de->d_name + len - 5, ".yaml") &&
				strcmp(de->d_name + len - 4, ".yml")))
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >=
		    (int)sizeof(sub))
			continue;
		rc = vigil_path_trusted(sub, err);
	}
	closedir(d);
	return rc;
}

/*
 * Loads the configured policy into *out.  Returns 0, or a negative errno
 * after logging every error.
 */
static int rules_load(struct rules_state *st, struct vigil_ruleset **out)
{
	struct vigil_policy_settings set;
	const char *paths[VIGIL_POLICY_MAX_PATHS];
	struct vigil_buf err = { 0 };
	size_t n;
	int rc;

	rc = VIGIL_CONFIG_MAP(st->api, st->host, vigil_policy_table, &set);
	if (rc)
		return rc;
	rc = vigil_policy_paths(set.paths, set.n_paths, paths, &n, &err);
	/* code and policy only from files no one else can write */
	for (size_t i = 0; !rc && i < n; i++)
		rc = policy_trusted(paths[i], &err);
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

	if (api->abi_minor < 1 ||
	    api->struct_size < offsetof(struct vigil_host_api, config_map) +
				       sizeof(api->config_map) ||
	    !api->config_map) {
		api->log(host, VIGIL_LOG_ERR,
			 "host API too old (plugin ABI 1.1 needed)");
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
	VIGIL_PLUGIN_CONFIG(vigil_policy_table, struct vigil_policy_settings),
};

const struct vigil_plugin *VIGIL_PLUGIN_ENTRY(void)
{
	return &rules_plugin;
}
