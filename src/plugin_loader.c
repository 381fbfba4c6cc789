/*
 * plugin_loader.c - loading plugins: dlopen, the ABI checks (major, minor,
 * struct_size) with a sentence naming the plugin and the reason when one is
 * refused, init, destroy and unload.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confmap.h"
#include "pipeline.h"
#include "pipeline_int.h"
#include "util.h"

const char *vigil__plugin_kind_name(uint32_t kind)
{
	switch (kind) {
	case VIGIL_PLUGIN_SINK:
		return "sink";
	case VIGIL_PLUGIN_ENGINE:
		return "engine";
	case VIGIL_PLUGIN_SOURCE:
		return "source";
	default:
		return "unknown";
	}
}

int vigil_plugin_open(const char *name, const char *path,
		      struct vigil_plugin_inst *inst, struct vigil_buf *err)
{
	const struct vigil_plugin *desc;
	vigil_plugin_entry_fn entry;
	/* what ABI 1.0 defined; later fields are read by minor version */
	size_t min_size = offsetof(struct vigil_plugin, config_table);
	void *dl;

	memset(inst, 0, sizeof(*inst));
	/*
	 * Code that anyone but root can write is not loaded into a root
	 * daemon (StrictModes; a missing file is dlopen's to report).
	 */
	{
		struct vigil_buf why = { 0 };

		if (vigil_path_trusted(path, &why) == -EPERM) {
			vigil_buf_printf(err, "plugin '%s' (%s) refused: %s",
					 name, path, vigil_buf_cstr(&why));
			vigil_buf_free(&why);
			return -EPERM;
		}
		vigil_buf_free(&why);
	}
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		vigil_buf_printf(err, "plugin '%s': cannot load %s: %s", name,
				 path, dlerror());
		return -ENOENT;
	}
	*(void **)&entry = dlsym(dl, VIGIL_PLUGIN_ENTRY_NAME);
	if (!entry) {
		vigil_buf_printf(err,
				 "plugin '%s' (%s) refused: it does not export %s(); it is not a vigil plugin",
				 name, path, VIGIL_PLUGIN_ENTRY_NAME);
		goto out_close;
	}
	desc = entry();
	if (!desc) {
		vigil_buf_printf(err,
				 "plugin '%s' (%s) refused: %s() returned NULL",
				 name, path, VIGIL_PLUGIN_ENTRY_NAME);
		goto out_close;
	}
	/*
	 * Read nothing past the ABI header before it checks out: the same
	 * major, and no newer minor than ours.
	 */
	if (desc->abi_major != VIGIL_PLUGIN_ABI_MAJOR ||
	    desc->abi_minor > VIGIL_PLUGIN_ABI_MINOR) {
		bool newer = desc->abi_major == VIGIL_PLUGIN_ABI_MAJOR;

		vigil_buf_printf(err,
				 "plugin '%s' (%s) refused: built for plugin ABI %u.%u, %s %u.%u; %s",
				 name, path, desc->abi_major, desc->abi_minor,
				 newer ? "newer than this vigil's" :
					 "this vigil provides",
				 VIGIL_PLUGIN_ABI_MAJOR, VIGIL_PLUGIN_ABI_MINOR,
				 newer ? "upgrade vigil or rebuild the plugin" :
					 "rebuild the plugin against this version's <vigil/plugin.h>");
		goto out_close;
	}
	if (desc->struct_size < min_size) {
		vigil_buf_printf(err,
				 "plugin '%s' (%s) refused: its descriptor is %u bytes, ABI %u.%u needs at least %zu; it was built against a broken header",
				 name, path, desc->struct_size, desc->abi_major,
				 desc->abi_minor, min_size);
		goto out_close;
	}
	memcpy(&inst->p, desc,
	       desc->struct_size < sizeof(inst->p) ? desc->struct_size :
						     sizeof(inst->p));
	if (desc->abi_minor < 1) {
		/* 1.0 had reserved slots here: not ours to read */
		inst->p.config_table = NULL;
		inst->p.config_entries = 0;
		inst->p.config_entry_size = 0;
		inst->p.settings_size = 0;
	}
	if (desc->abi_minor < 2)
		inst->p.status_json = NULL; /* a reserved slot before 1.2 */
	if (inst->p.config_table &&
	    vigil_confmap_check_table(inst->p.config_table,
				      inst->p.config_entries,
				      inst->p.config_entry_size,
				      inst->p.settings_size, name, err)) {
		vigil_buf_printf(err, "; plugin '%s' (%s) refused", name,
				 path);
		goto out_close;
	}
	if (!inst->p.name || !inst->p.init || !inst->p.destroy) {
		vigil_buf_printf(err,
				 "plugin '%s' (%s) refused: it lacks a name, init() or destroy()",
				 name, path);
		goto out_close;
	}
	if (inst->p.kind == VIGIL_PLUGIN_ENGINE && !inst->p.on_event) {
		vigil_buf_printf(err,
				 "plugin '%s' (%s) refused: an engine needs on_event()",
				 name, path);
		goto out_close;
	}
	if (inst->p.kind == VIGIL_PLUGIN_SINK && !inst->p.on_event &&
	    !inst->p.on_signal) {
		vigil_buf_printf(err,
				 "plugin '%s' (%s) refused: a sink needs on_event() or on_signal()",
				 name, path);
		goto out_close;
	}
	if (inst->p.kind != VIGIL_PLUGIN_ENGINE &&
	    inst->p.kind != VIGIL_PLUGIN_SINK) {
		vigil_buf_printf(err,
				 "plugin '%s' (%s) refused: kind %u (%s) is not supported by this vigil",
				 name, path, inst->p.kind,
				 vigil__plugin_kind_name(inst->p.kind));
		goto out_close;
	}
	inst->dl = dl;
	inst->name = strdup(name);
	inst->path = strdup(path);
	if (!inst->name || !inst->path) {
		vigil_plugin_close(inst);
		return -ENOMEM;
	}
	return 0;

out_close:
	dlclose(dl);
	memset(inst, 0, sizeof(*inst));
	return -EPROTO;
}

void vigil_plugin_destroy(struct vigil_plugin_inst *inst)
{
	if (inst->initialized && inst->p.destroy)
		inst->p.destroy(inst->state);
	inst->initialized = false;
	inst->state = NULL;
}

void vigil_plugin_close(struct vigil_plugin_inst *inst)
{
	vigil_plugin_destroy(inst);
	if (inst->dl)
		dlclose(inst->dl);
	free(inst->name);
	free(inst->path);
	memset(inst, 0, sizeof(*inst));
}

/* The file a plugin's entry names: its path, or plugin_dir/NAME.so. */
static void plugin_file(const struct vigil_config *cfg,
			const struct vigil_plugin_conf *pc, char *path,
			size_t cap)
{
	if (pc->path)
		snprintf(path, cap, "%s", pc->path);
	else
		snprintf(path, cap, "%s/%s.so", cfg->plugin_dir, pc->name);
}

int vigil_plugins_check(const struct vigil_config *cfg, struct vigil_buf *err)
{
	struct vigil_plugin_inst inst;
	char path[PATH_MAX], where[160];
	void *scratch;
	int rc;

	for (size_t i = 0; i < cfg->n_plugins; i++) {
		const struct vigil_plugin_conf *pc = &cfg->plugins[i];

		if (!pc->enabled)
			continue;
		plugin_file(cfg, pc, path, sizeof(path));
		rc = vigil_plugin_open(pc->name, path, &inst, err);
		if (rc)
			return rc;
		if (!inst.p.config_table) {
			vigil_plugin_close(&inst);
			continue;
		}
		scratch = calloc(1, inst.p.settings_size ?
					    inst.p.settings_size : 1);
		if (!scratch) {
			vigil_plugin_close(&inst);
			return -ENOMEM;
		}
		snprintf(where, sizeof(where), "plugins[%s].config",
			 pc->name);
		rc = vigil_confmap_read(inst.p.config_table,
					inst.p.config_entries,
					inst.p.config_entry_size, pc->config,
					where, scratch, err);
		free(scratch);
		vigil_plugin_close(&inst);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * Calls inst's init() with the pipeline's host API.  Returns 0, or the
 * plugin's negative errno with a sentence naming it in err.
 */
static int plugin_init(struct vigil_pipeline *p, struct vigil_plugin_inst *inst,
		       struct vigil_buf *err)
{
	int rc;

	rc = inst->p.init(&p->api, inst, &inst->state);
	if (rc) {
		inst->state = NULL;
		vigil_buf_printf(err,
				 "plugin '%s' (%s) failed to start: %s (see the messages above)",
				 inst->name, inst->path, strerror(-rc));
		return rc;
	}
	inst->initialized = true;
	vigil_info("plugin %s %s (%s) loaded from %s", inst->name,
		   inst->p.version ? inst->p.version : "",
		   vigil__plugin_kind_name(inst->p.kind), inst->path);
	return 0;
}

/*
 * A new instance of pc's plugin for p: loaded and ABI-checked, not
 * initialized.  Returns it (free it with plugin_free()), or NULL with the
 * negative errno in *rc and the reason naming the plugin in err.
 */
static struct vigil_plugin_inst *plugin_new(struct vigil_pipeline *p,
					    const struct vigil_config *cfg,
					    const struct vigil_plugin_conf *pc,
					    struct vigil_buf *err, int *rc)
{
	struct vigil_plugin_inst *inst = calloc(1, sizeof(*inst));
	char path[PATH_MAX];

	if (!inst) {
		*rc = -ENOMEM;
		return NULL;
	}
	plugin_file(cfg, pc, path, sizeof(path));
	*rc = vigil_plugin_open(pc->name, path, inst, err);
	if (*rc) {
		free(inst);
		return NULL;
	}
	inst->config = pc->config;
	inst->pipeline = p;
	return inst;
}

/* destroy() if needed, unload the code and free inst itself. */
static void plugin_free(struct vigil_plugin_inst *inst)
{
	vigil_plugin_close(inst);
	free(inst);
}

/*
 * Stops a plugin for good while the daemon runs: flush, destroy, and keep
 * inst (its address is the plugin's host handle) and its code until
 * vigil_pipeline_unload(), for the callbacks of the libuv handles it
 * closed.  On -ENOMEM inst is destroyed but leaked, never freed early.
 */
static int plugin_retire(struct vigil_pipeline *p,
			 struct vigil_plugin_inst *inst)
{
	struct vigil_plugin_inst **r;

	if (inst->initialized && inst->p.flush && inst->p.flush(inst->state))
		vigil_warn("plugin %s: flush failed while stopping it",
			   inst->name);
	vigil_plugin_destroy(inst);
	r = realloc(p->retired, (p->n_retired + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	p->retired = r;
	p->retired[p->n_retired++] = inst;
	return 0;
}

int vigil_pipeline_open_plugins(struct vigil_pipeline *p, struct vigil_buf *err)
{
	const struct vigil_config *cfg = p->cfg;
	int rc;

	if (!cfg || !cfg->n_plugins)
		return 0;
	p->plugins = calloc(cfg->n_plugins, sizeof(*p->plugins));
	if (!p->plugins)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_plugins; i++) {
		const struct vigil_plugin_conf *pc = &cfg->plugins[i];
		struct vigil_plugin_inst *inst;

		if (!pc->enabled)
			continue;
		inst = plugin_new(p, cfg, pc, err, &rc);
		if (!inst)
			return rc;
		p->plugins[p->n_plugins++] = inst;
	}
	return 0;
}

int vigil_pipeline_init_plugins(struct vigil_pipeline *p, struct vigil_buf *err)
{
	int rc;

	for (size_t i = 0; i < p->n_plugins; i++) {
		struct vigil_plugin_inst *inst = p->plugins[i];

		if (inst->initialized)
			continue;
		rc = plugin_init(p, inst, err);
		if (rc)
			return rc;
	}
	return 0;
}

int vigil_pipeline_load_plugins(struct vigil_pipeline *p, struct vigil_buf *err)
{
	int rc = vigil_pipeline_open_plugins(p, err);

	return rc ? rc : vigil_pipeline_init_plugins(p, err);
}

/*
 * Takes out of running[0..n) the initialized instance for pc (same name,
 * same file) and returns it, or NULL when there is none.
 */
static struct vigil_plugin_inst *
plugin_take(struct vigil_plugin_inst **running, size_t n,
	    const struct vigil_config *cfg, const struct vigil_plugin_conf *pc)
{
	char path[PATH_MAX];

	plugin_file(cfg, pc, path, sizeof(path));
	for (size_t i = 0; i < n; i++) {
		struct vigil_plugin_inst *inst = running[i];

		if (inst && inst->initialized &&
		    strcmp(inst->name, pc->name) == 0 &&
		    strcmp(inst->path, path) == 0) {
			running[i] = NULL;
			return inst;
		}
	}
	return NULL;
}

void vigil__pipeline_reload_plugins(struct vigil_pipeline *p,
				    const struct vigil_config *cfg)
{
	struct vigil_plugin_inst **next, **old = p->plugins;
	const struct vigil_node **conf;
	size_t n_next = 0, n_old = p->n_plugins, after;
	struct vigil_buf err = { 0 };
	bool *fresh;
	int rc;

	next = calloc(cfg->n_plugins + 1, sizeof(*next));
	conf = calloc(cfg->n_plugins + 1, sizeof(*conf));
	fresh = calloc(cfg->n_plugins + 1, sizeof(*fresh));
	if (!next || !conf || !fresh) {
		vigil_err("reload: out of memory; the plugins stay as they were");
		goto out_free;
	}
	/* Who stays, who is new, in the new file's order. */
	for (size_t i = 0; i < cfg->n_plugins; i++) {
		const struct vigil_plugin_conf *pc = &cfg->plugins[i];
		struct vigil_plugin_inst *inst;

		if (!pc->enabled)
			continue;
		inst = plugin_take(old, n_old, cfg, pc);
		if (!inst) {
			vigil_buf_reset(&err);
			inst = plugin_new(p, cfg, pc, &err, &rc);
			if (!inst) {
				vigil_err("reload: %s",
					  rc == -ENOMEM ? "out of memory" :
							  vigil_buf_cstr(&err));
				continue;
			}
			fresh[n_next] = true;
		}
		conf[n_next] = pc->config;
		next[n_next++] = inst;
	}
	/* Gone, disabled or another file: stop them before anything new. */
	for (size_t i = 0; i < n_old; i++) {
		if (!old[i])
			continue;
		vigil_notice("plugin %s: no longer in the configuration, stopped",
			     old[i]->name);
		if (plugin_retire(p, old[i]))
			vigil_err("plugin %s: out of memory retiring it",
				  old[i]->name);
	}
	free(old);
	p->plugins = next;
	p->n_plugins = n_next;
	next = NULL;
	/* The ones that stay read their new section; the new ones start. */
	for (size_t i = 0; i < p->n_plugins; i++) {
		struct vigil_plugin_inst *inst = p->plugins[i];
		const struct vigil_node *prev = inst->config;

		inst->config = conf[i];
		if (fresh[i] || !inst->p.reload || !inst->p.reload(inst->state))
			continue;
		inst->config = prev;
		vigil_warn("plugin %s kept its previous settings", inst->name);
	}
	for (size_t i = 0; i < p->n_plugins;) {
		struct vigil_plugin_inst *inst = p->plugins[i];

		vigil_buf_reset(&err);
		if (!fresh[i] || !plugin_init(p, inst, &err)) {
			i++;
			continue;
		}
		vigil_err("reload: %s", vigil_buf_cstr(&err));
		after = p->n_plugins - i - 1;
		memmove(&p->plugins[i], &p->plugins[i + 1],
			after * sizeof(*p->plugins));
		memmove(&fresh[i], &fresh[i + 1], after * sizeof(*fresh));
		p->n_plugins--;
		if (plugin_retire(p, inst))
			vigil_err("plugin %s: out of memory retiring it",
				  inst->name);
	}
out_free:
	vigil_buf_free(&err);
	free(fresh);
	free(conf);
	free(next);
}

void vigil_pipeline_unload(struct vigil_pipeline *p)
{
	for (size_t i = p->n_plugins; i-- > 0;)
		plugin_free(p->plugins[i]);
	free(p->plugins);
	p->plugins = NULL;
	p->n_plugins = 0;
	for (size_t i = p->n_retired; i-- > 0;)
		plugin_free(p->retired[i]);
	free(p->retired);
	p->retired = NULL;
	p->n_retired = 0;
}
