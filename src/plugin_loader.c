/*
 * plugin_loader.c - loading plugins: dlopen, the ABI checks (major, minor,
 * struct_size) with a sentence naming the plugin and the reason when one is
 * refused, init, destroy and unload.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
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
	/* Read nothing past the ABI header before it checks out. */
	if (desc->abi_major != VIGIL_PLUGIN_ABI_MAJOR) {
		vigil_buf_printf(err,
				 "plugin '%s' (%s) refused: built for plugin ABI %u.%u, this vigil provides %u.%u; rebuild the plugin against this version's <vigil/plugin.h>",
				 name, path, desc->abi_major, desc->abi_minor,
				 VIGIL_PLUGIN_ABI_MAJOR,
				 VIGIL_PLUGIN_ABI_MINOR);
		goto out_close;
	}
	if (desc->abi_minor > VIGIL_PLUGIN_ABI_MINOR) {
		vigil_buf_printf(err,
				 "plugin '%s' (%s) refused: built for plugin ABI %u.%u, newer than this vigil's %u.%u; upgrade vigil or rebuild the plugin",
				 name, path, desc->abi_major, desc->abi_minor,
				 VIGIL_PLUGIN_ABI_MAJOR,
				 VIGIL_PLUGIN_ABI_MINOR);
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

int vigil_pipeline_open_plugins(struct vigil_pipeline *p, struct vigil_buf *err)
{
	const struct vigil_config *cfg = p->cfg;
	char path[PATH_MAX];
	int rc;

	if (!cfg || !cfg->n_plugins)
		return 0;
	p->plugins = calloc(cfg->n_plugins, sizeof(*p->plugins));
	if (!p->plugins)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_plugins; i++) {
		const struct vigil_plugin_conf *pc = &cfg->plugins[i];
		struct vigil_plugin_inst *inst = &p->plugins[p->n_plugins];

		if (!pc->enabled)
			continue;
		plugin_file(cfg, pc, path, sizeof(path));
		rc = vigil_plugin_open(pc->name, path, inst, err);
		if (rc)
			return rc;
		inst->config = pc->config;
		inst->pipeline = p;
		p->n_plugins++;
	}
	return 0;
}

int vigil_pipeline_init_plugins(struct vigil_pipeline *p, struct vigil_buf *err)
{
	int rc;

	for (size_t i = 0; i < p->n_plugins; i++) {
		struct vigil_plugin_inst *inst = &p->plugins[i];

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

void vigil_pipeline_unload(struct vigil_pipeline *p)
{
	for (size_t i = p->n_plugins; i-- > 0;)
		vigil_plugin_close(&p->plugins[i]);
	free(p->plugins);
	p->plugins = NULL;
	p->n_plugins = 0;
}
