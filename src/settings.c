/*
 * settings.c - loads and checks vigil.yaml.
 *
 * Every key is checked here or by the part that owns its section; a typo
 * is an error with the position and the keys that are allowed, because a
 * silently ignored setting in a security agent is a hole nobody sees.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"
#include "source.h"
#include "util.h"

static const struct {
	const char *name;
	uint32_t bit;
} features[] = {
	{ "audit_multicast", VIGIL_FEAT_AUDIT_MULTICAST },
	{ "audit_unicast", VIGIL_FEAT_AUDIT_UNICAST },
	{ "audit_backlog_wait", VIGIL_FEAT_AUDIT_BACKLOG_WAIT },
	{ "proc_connector", VIGIL_FEAT_PROC_CONNECTOR },
	{ "fanotify", VIGIL_FEAT_FANOTIFY },
	{ "fanotify_fid", VIGIL_FEAT_FANOTIFY_FID },
	{ "fanotify_dfid_name", VIGIL_FEAT_FANOTIFY_DFID_NAME },
	{ "fanotify_mark_filesystem", VIGIL_FEAT_FANOTIFY_MARK_FS },
	{ "nfqueue", VIGIL_FEAT_NFQUEUE },
	{ "nftables", VIGIL_FEAT_NFTABLES },
	{ "iptables", VIGIL_FEAT_IPTABLES },
	{ "nflog", VIGIL_FEAT_NFLOG },
};

uint32_t vigil_feature_from_name(const char *name)
{
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(features); i++)
		if (strcmp(features[i].name, name) == 0)
			return features[i].bit;
	return 0;
}

const char *vigil_feature_name(uint32_t bit)
{
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(features); i++)
		if (features[i].bit == bit)
			return features[i].name;
	return NULL;
}

/* Sections that belong to sources; each checks its own keys. */
static const char *const source_sections[] = { "audit", "proc", "fim", "dns" };

static const char *const top_keys[] = { "agent", "output", "plugins", "audit",
					"proc",	 "fim",	   "dns" };
static const char *const agent_keys[] = {
	"hostname", "pid_file", "control_socket", "state_dir",
	"plugin_dir", "log",	"features",
};
static const char *const log_keys[] = { "target", "level" };
static const char *const feature_keys[] = { "disable" };
static const char *const output_keys[] = { "stdout" };
static const char *const stdout_keys[] = { "enabled", "format", "what" };
static const char *const plugin_keys[] = { "name", "path", "enabled", "config" };

/* Lists allowed keys for an error message. */
static void key_list(struct vigil_buf *err, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vigil_buf_printf(err, "%s%s", i ? ", " : "", keys[i]);
}

int vigil_config_check_keys(const struct vigil_node *map, const char *what,
			    const char *const *keys, size_t n,
			    struct vigil_buf *err)
{
	if (map->type != VIGIL_NODE_MAP) {
		vigil_node_error(err, map, "'%s' must be a map of settings",
				 what);
		return -EINVAL;
	}
	for (size_t i = 0; i < map->n; i++) {
		size_t k;

		for (k = 0; k < n; k++)
			if (strcmp(map->keys[i]->str, keys[k]) == 0)
				break;
		if (k < n)
			continue;
		{
			const char *near =
				vigil_nearest(map->keys[i]->str, keys, n);

			vigil_node_error(err, map->keys[i],
					 "unknown key '%s' in %s",
					 map->keys[i]->str, what);
			if (near) {
				vigil_buf_printf(err, " (did you mean '%s'?)",
						 near);
			} else {
				vigil_buf_printf(err, " (allowed: ");
				key_list(err, keys, n);
				vigil_buf_printf(err, ")");
			}
		}
		return -EINVAL;
	}
	return 0;
}

/* A non-empty string setting, or an error naming it. */
static int get_str(const struct vigil_node *map, const char *key,
		   const char **out, struct vigil_buf *err)
{
	const struct vigil_node *n = vigil_node_get(map, key);

	if (!n)
		return 0;
	if (!vigil_node_is_scalar(n) || n->len == 0) {
		vigil_node_error(err, n, "'%s' must be a non-empty string",
				 key);
		return -EINVAL;
	}
	if (strlen(n->str) != n->len) {
		vigil_node_error(err, n, "'%s' contains a NUL byte", key);
		return -EINVAL;
	}
	*out = n->str;
	return 0;
}

static int get_bool(const struct vigil_node *map, const char *key, bool *out,
		    struct vigil_buf *err)
{
	const struct vigil_node *n = vigil_node_get(map, key);

	if (!n)
		return 0;
	if (vigil_node_bool(n, out)) {
		vigil_node_error(err, n, "'%s' must be true or false", key);
		return -EINVAL;
	}
	return 0;
}

static int load_agent(struct vigil_config *cfg, const struct vigil_node *a,
		      struct vigil_buf *err)
{
	const struct vigil_node *log, *feat, *n;
	const char *s;
	int rc;

	rc = vigil_config_check_keys(a, "agent", agent_keys, VIGIL_ARRAY_SIZE(agent_keys),
			err);
	if (!rc)
		rc = get_str(a, "hostname", &cfg->hostname, err);
	if (!rc)
		rc = get_str(a, "pid_file", &cfg->pid_file, err);
	if (!rc)
		rc = get_str(a, "control_socket", &cfg->control_socket, err);
	if (!rc)
		rc = get_str(a, "state_dir", &cfg->state_dir, err);
	if (!rc)
		rc = get_str(a, "plugin_dir", &cfg->plugin_dir, err);
	if (rc)
		return rc;

	log = vigil_node_get(a, "log");
	if (log) {
		rc = vigil_config_check_keys(log, "agent.log", log_keys,
				VIGIL_ARRAY_SIZE(log_keys), err);
		if (rc)
			return rc;
		s = NULL;
		rc = get_str(log, "target", &s, err);
		if (rc)
			return rc;
		if (s && strcmp(s, "stderr") == 0) {
			cfg->log_target = VIGIL_LOG_STDERR;
		} else if (s && strcmp(s, "syslog") == 0) {
			cfg->log_target = VIGIL_LOG_SYSLOG;
		} else if (s) {
			vigil_node_error(err, vigil_node_get(log, "target"),
					 "log target '%s' is not stderr or syslog",
					 s);
			return -EINVAL;
		}
		s = NULL;
		rc = get_str(log, "level", &s, err);
		if (rc)
			return rc;
		if (s) {
			cfg->log_level = vigil_log_level_from_name(s);
			if (cfg->log_level < 0) {
				vigil_node_error(
					err, vigil_node_get(log, "level"),
					"log level '%s' is not one of error, warning, notice, info, debug",
					s);
				return -EINVAL;
			}
		}
	}

	feat = vigil_node_get(a, "features");
	if (feat) {
		rc = vigil_config_check_keys(feat, "agent.features", feature_keys,
				VIGIL_ARRAY_SIZE(feature_keys), err);
		if (rc)
			return rc;
		n = vigil_node_get(feat, "disable");
		if (n && n->type != VIGIL_NODE_SEQ) {
			vigil_node_error(err, n,
					 "'disable' must be a list of feature names");
			return -EINVAL;
		}
		for (size_t i = 0; n && i < n->n; i++) {
			uint32_t bit = vigil_node_is_scalar(n->items[i]) ?
				vigil_feature_from_name(n->items[i]->str) : 0;

			if (!bit) {
				vigil_node_error(err, n->items[i],
						 "unknown feature '%s' (known: ",
						 n->items[i]->str ? n->items[i]->str : "");
				for (size_t f = 0; f < VIGIL_ARRAY_SIZE(features);
				     f++)
					vigil_buf_printf(err, "%s%s",
							 f ? ", " : "",
							 features[f].name);
				vigil_buf_printf(err, ")");
				return -EINVAL;
			}
			cfg->features_disabled |= bit;
		}
	}
	return 0;
}

static int load_output(struct vigil_config *cfg, const struct vigil_node *o,
		       struct vigil_buf *err)
{
	const struct vigil_node *st;
	const char *s;
	int rc;

	rc = vigil_config_check_keys(o, "output", output_keys, VIGIL_ARRAY_SIZE(output_keys),
			err);
	if (rc)
		return rc;
	st = vigil_node_get(o, "stdout");
	if (!st)
		return 0;
	rc = vigil_config_check_keys(st, "output.stdout", stdout_keys,
			VIGIL_ARRAY_SIZE(stdout_keys), err);
	if (!rc)
		rc = get_bool(st, "enabled", &cfg->stdout_enabled, err);
	if (rc)
		return rc;
	s = NULL;
	rc = get_str(st, "format", &s, err);
	if (rc)
		return rc;
	if (s && strcmp(s, "json") == 0) {
		cfg->stdout_format = VIGIL_FMT_JSON;
	} else if (s && strcmp(s, "text") == 0) {
		cfg->stdout_format = VIGIL_FMT_TEXT;
	} else if (s) {
		vigil_node_error(err, vigil_node_get(st, "format"),
				 "format '%s' is not text or json", s);
		return -EINVAL;
	}
	s = NULL;
	rc = get_str(st, "what", &s, err);
	if (rc)
		return rc;
	if (s && strcmp(s, "signals") == 0) {
		cfg->stdout_what = VIGIL_OUT_SIGNALS;
	} else if (s && strcmp(s, "events") == 0) {
		cfg->stdout_what = VIGIL_OUT_EVENTS;
	} else if (s && strcmp(s, "both") == 0) {
		cfg->stdout_what = VIGIL_OUT_EVENTS | VIGIL_OUT_SIGNALS;
	} else if (s) {
		vigil_node_error(err, vigil_node_get(st, "what"),
				 "'%s' is not signals, events or both", s);
		return -EINVAL;
	}
	return 0;
}

static int load_plugins(struct vigil_config *cfg, const struct vigil_node *p,
			struct vigil_buf *err)
{
	int rc;

	if (p->type != VIGIL_NODE_SEQ) {
		vigil_node_error(err, p,
				 "'plugins' must be a list of {name: ..., config: ...}");
		return -EINVAL;
	}
	cfg->plugins = calloc(p->n ? p->n : 1, sizeof(*cfg->plugins));
	if (!cfg->plugins)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++) {
		const struct vigil_node *e = p->items[i];
		struct vigil_plugin_conf *pc = &cfg->plugins[cfg->n_plugins];

		rc = vigil_config_check_keys(e, "a plugin entry", plugin_keys,
				VIGIL_ARRAY_SIZE(plugin_keys), err);
		if (rc)
			return rc;
		pc->enabled = true;
		pc->node = e;
		rc = get_str(e, "name", &pc->name, err);
		if (!rc)
			rc = get_str(e, "path", &pc->path, err);
		if (!rc)
			rc = get_bool(e, "enabled", &pc->enabled, err);
		if (rc)
			return rc;
		if (!pc->name) {
			vigil_node_error(err, e, "a plugin entry needs a 'name'");
			return -EINVAL;
		}
		if (strchr(pc->name, '/')) {
			vigil_node_error(err, vigil_node_get(e, "name"),
					 "plugin name '%s' must not contain '/' (use 'path:' for a file)",
					 pc->name);
			return -EINVAL;
		}
		for (size_t j = 0; j < cfg->n_plugins; j++) {
			if (strcmp(cfg->plugins[j].name, pc->name) == 0) {
				vigil_node_error(err, vigil_node_get(e, "name"),
						 "plugin '%s' is listed twice",
						 pc->name);
				return -EINVAL;
			}
		}
		pc->config = vigil_node_get(e, "config");
		if (pc->config && pc->config->type != VIGIL_NODE_MAP &&
		    !vigil_node_is_null(pc->config)) {
			vigil_node_error(err, pc->config,
					 "'config' must be a map");
			return -EINVAL;
		}
		cfg->n_plugins++;
	}
	return 0;
}

int vigil_config_load(const char *path, struct vigil_config *cfg,
		      struct vigil_buf *err)
{
	const struct vigil_node *root, *n;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->path = path;
	cfg->pid_file = VIGIL_RUNSTATEDIR "/vigil/vigild.pid";
	cfg->control_socket = VIGIL_RUNSTATEDIR "/vigil/vigil.sock";
	cfg->state_dir = VIGIL_LOCALSTATEDIR "/lib/vigil";
	cfg->plugin_dir = VIGIL_PLUGINDIR;
	cfg->log_target = VIGIL_LOG_STDERR;
	cfg->log_level = VIGIL_LOG_INFO;
	cfg->stdout_enabled = true;
	cfg->stdout_format = VIGIL_FMT_TEXT;
	cfg->stdout_what = VIGIL_OUT_SIGNALS;

	rc = vigil_doc_load_yaml_file(path, &cfg->doc, err);
	if (rc)
		return rc;
	cfg->path = cfg->doc.file;
	root = cfg->doc.root;
	if (!root)
		return 0; /* an empty file: all defaults */
	rc = vigil_config_check_keys(root, "the configuration", top_keys,
			VIGIL_ARRAY_SIZE(top_keys), err);
	if (rc)
		return rc;
	n = vigil_node_get(root, "agent");
	if (n && !vigil_node_is_null(n) && (rc = load_agent(cfg, n, err)))
		return rc;
	n = vigil_node_get(root, "output");
	if (n && !vigil_node_is_null(n) && (rc = load_output(cfg, n, err)))
		return rc;
	n = vigil_node_get(root, "plugins");
	if (n && !vigil_node_is_null(n) && (rc = load_plugins(cfg, n, err)))
		return rc;
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(source_sections); i++) {
		n = vigil_node_get(root, source_sections[i]);
		if (n && n->type != VIGIL_NODE_MAP && !vigil_node_is_null(n)) {
			vigil_node_error(err, n, "'%s' must be a map of settings",
					 source_sections[i]);
			return -EINVAL;
		}
	}
	return 0;
}

void vigil_config_free(struct vigil_config *cfg)
{
	free(cfg->plugins);
	cfg->plugins = NULL;
	cfg->n_plugins = 0;
	vigil_doc_free(&cfg->doc);
}

const struct vigil_node *vigil_config_section(const struct vigil_config *cfg,
					      const char *name)
{
	const struct vigil_node *n = vigil_node_get(cfg->doc.root, name);

	return vigil_node_is_null(n) ? NULL : n;
}
