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

#include "confmap.h"
#include "settings.h"
#include "source.h"
#include "util.h"

/* Names of the feature bits (agent.features.disable), by bit. */
static const struct vigil_config_name features[] = {
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
	{ NULL, 0 },
};

uint32_t vigil_feature_from_name(const char *name)
{
	for (size_t i = 0; features[i].name; i++)
		if (strcmp(features[i].name, name) == 0)
			return (uint32_t)features[i].value;
	return 0;
}

const char *vigil_feature_name(uint32_t bit)
{
	for (size_t i = 0; features[i].name; i++)
		if (features[i].value == bit)
			return features[i].name;
	return NULL;
}

static const struct vigil_config_name log_targets[] = {
	{ "stderr", VIGIL_LOG_STDERR }, { "syslog", VIGIL_LOG_SYSLOG },
	{ NULL, 0 },
};
static const struct vigil_config_name log_levels[] = {
	{ "error", VIGIL_LOG_ERR },	{ "warning", VIGIL_LOG_WARNING },
	{ "notice", VIGIL_LOG_NOTICE }, { "info", VIGIL_LOG_INFO },
	{ "debug", VIGIL_LOG_DEBUG },	{ NULL, 0 },
};
static const struct vigil_config_name formats[] = {
	{ "text", VIGIL_FMT_TEXT }, { "json", VIGIL_FMT_JSON }, { NULL, 0 },
};
static const struct vigil_config_name whats[] = {
	{ "signals", VIGIL_OUT_SIGNALS },
	{ "events", VIGIL_OUT_EVENTS },
	{ "both", VIGIL_OUT_EVENTS | VIGIL_OUT_SIGNALS },
	{ NULL, 0 },
};

/* The document's root; the monitors' sections are checked by their
 * sources (vigil_sources_check), the plugins' by vigil_config_plugins. */
#define C struct vigil_config
static const struct vigil_config_entry root_table[] = {
	{ VIGIL_CFG_STR("agent.hostname", C, hostname, NULL,
			"name in events; default: gethostname()") },
	{ VIGIL_CFG_PATH("agent.pid_file", C, pid_file,
			 VIGIL_RUNSTATEDIR "/vigil/vigild.pid", NULL) },
	{ VIGIL_CFG_PATH("agent.control_socket", C, control_socket,
			 VIGIL_RUNSTATEDIR "/vigil/vigil.sock", NULL) },
	{ VIGIL_CFG_PATH("agent.state_dir", C, state_dir,
			 VIGIL_LOCALSTATEDIR "/lib/vigil", NULL) },
	{ VIGIL_CFG_PATH("agent.plugin_dir", C, plugin_dir, VIGIL_PLUGINDIR,
			 "where plugins are loaded from") },
	{ VIGIL_CFG_ENUM("agent.log.target", C, log_target, VIGIL_LOG_STDERR,
			 log_targets, NULL) },
	{ VIGIL_CFG_ENUM("agent.log.level", C, log_level, VIGIL_LOG_INFO,
			 log_levels, NULL) },
	{ VIGIL_CFG_FLAGS("agent.features.disable", C, features_disabled, 0,
			  features, "kernel features to treat as missing") },
	{ VIGIL_CFG_BOOL("output.stdout.enabled", C, stdout_enabled, 1,
			 "print in the foreground") },
	{ VIGIL_CFG_ENUM("output.stdout.format", C, stdout_format,
			 VIGIL_FMT_TEXT, formats, NULL) },
	{ VIGIL_CFG_ENUM("output.stdout.what", C, stdout_what,
			 VIGIL_OUT_SIGNALS, whats, NULL) },
	{ VIGIL_CFG_SEQ("plugins", C, nodes.plugins,
			"a list of {name: ..., config: ...}") },
	{ VIGIL_CFG_MAP("audit", C, nodes.audit, NULL) },
	{ VIGIL_CFG_MAP("proc", C, nodes.proc, NULL) },
	{ VIGIL_CFG_MAP("fim", C, nodes.fim, NULL) },
	{ VIGIL_CFG_MAP("dns", C, nodes.dns, NULL) },
};
#undef C

#define P struct vigil_plugin_conf
static const struct vigil_config_entry plugin_table[] = {
	{ VIGIL_CFG_STR("name", P, name, NULL, "rules, file_sink, ..."),
	  .required = 1 },
	{ VIGIL_CFG_PATH("path", P, path, NULL,
			 "the .so file; default: plugin_dir/NAME.so") },
	{ VIGIL_CFG_BOOL("enabled", P, enabled, 1, NULL) },
	{ VIGIL_CFG_MAP("config", P, config, "the plugin's own settings") },
};
#undef P

static int load_plugins(struct vigil_config *cfg, const struct vigil_node *p,
			struct vigil_buf *err)
{
	char where[32];
	int rc;

	cfg->plugins = calloc(p->n ? p->n : 1, sizeof(*cfg->plugins));
	if (!cfg->plugins)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++) {
		const struct vigil_node *e = p->items[i];
		struct vigil_plugin_conf *pc = &cfg->plugins[cfg->n_plugins];

		snprintf(where, sizeof(where), "plugins[%zu]", i);
		if (vigil_node_is_null(e)) {
			vigil_node_error(err, e, "%s: want {name: ...}", where);
			return -EINVAL;
		}
		rc = VIGIL_CONFMAP_READ(plugin_table, e, where, pc, err);
		if (rc)
			return rc;
		pc->node = e;
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
		cfg->n_plugins++;
	}
	return 0;
}

int vigil_config_load(const char *path, struct vigil_config *cfg,
		      struct vigil_buf *err)
{
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->path = path;
	rc = vigil_doc_load_yaml_file(path, &cfg->doc, err);
	if (rc)
		return rc;
	cfg->path = cfg->doc.file;
	/* an empty file: all defaults */
	rc = VIGIL_CONFMAP_READ(root_table, cfg->doc.root, "", cfg, err);
	if (!rc && cfg->nodes.plugins)
		rc = load_plugins(cfg, cfg->nodes.plugins, err);
	return rc;
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
