/*
 * pipeline.c - the path of every event: enrichment, engines, sinks; the
 * plugin loader and the host API plugins call back into.
 *
 * Plugins receive a pointer to their struct vigil_plugin_inst as the
 * opaque "host" handle, so every host function knows which plugin called
 * it (for log prefixes, configuration and counters).
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "pipeline.h"
#include "schema.h"
#include "util.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

/* ---- host API ---- */

static void __attribute__((format(printf, 3, 4)))
host_log(void *host, int level, const char *fmt, ...)
{
	struct vigil_plugin_inst *inst = host;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vigil_log(level, "plugin %s: %s", inst->name, msg);
}

static const struct vigil_node *host_cfg(void *host, const char *key)
{
	struct vigil_plugin_inst *inst = host;

	if (!inst->config || inst->config->type != VIGIL_NODE_MAP)
		return NULL;
	return vigil_node_path(inst->config, key);
}

static const char *host_config_str(void *host, const char *key,
				   const char *dflt)
{
	const struct vigil_node *n = host_cfg(host, key);

	return vigil_node_is_scalar(n) && !vigil_node_is_null(n) ? n->str :
								   dflt;
}

static int64_t host_config_int(void *host, const char *key, int64_t dflt,
			       int *err)
{
	const struct vigil_node *n = host_cfg(host, key);
	int64_t v;

	if (err)
		*err = 0;
	if (!n || vigil_node_is_null(n))
		return dflt;
	if (vigil_node_size(n, &v) == 0 || vigil_node_int(n, &v) == 0)
		return v;
	if (vigil_node_duration(n, &v) == 0)
		return v;
	if (err)
		*err = -EINVAL;
	return dflt;
}

static int host_config_bool(void *host, const char *key, int dflt)
{
	const struct vigil_node *n = host_cfg(host, key);
	bool b;

	if (!n || vigil_node_bool(n, &b))
		return dflt;
	return b;
}

static size_t host_config_list_len(void *host, const char *key)
{
	const struct vigil_node *n = host_cfg(host, key);

	if (!n)
		return 0;
	if (n->type == VIGIL_NODE_SEQ)
		return n->n;
	return vigil_node_is_null(n) ? 0 : 1; /* a scalar is a list of one */
}

static const char *host_config_list_str(void *host, const char *key, size_t i)
{
	const struct vigil_node *n = host_cfg(host, key);

	if (!n)
		return NULL;
	if (n->type != VIGIL_NODE_SEQ)
		return i == 0 && vigil_node_is_scalar(n) ? n->str : NULL;
	if (i >= n->n || !vigil_node_is_scalar(n->items[i]))
		return NULL;
	return n->items[i]->str;
}

static const struct vigil_field_table *host_fields(void *host)
{
	return vigil_fields();
}

static const char *host_state_dir(void *host)
{
	struct vigil_plugin_inst *inst = host;

	return inst->pipeline->cfg ? inst->pipeline->cfg->state_dir : NULL;
}

static void *host_loop(void *host)
{
	struct vigil_plugin_inst *inst = host;

	return inst->pipeline->loop;
}

static int print_record(struct vigil_pipeline *p, const struct vigil_event *ev,
			const struct vigil_signal *sig)
{
	int rc;

	if (!p->printer.out)
		return 0;
	if (!(p->printer.what & (sig ? VIGIL_OUT_SIGNALS : VIGIL_OUT_EVENTS)))
		return 0;
	vigil_buf_reset(&p->outbuf);
	if (p->printer.format == VIGIL_FMT_JSON)
		rc = vigil_encode_json(ev, sig, &p->outbuf);
	else
		rc = vigil_format_text(ev, sig, &p->outbuf);
	if (rc || fwrite(p->outbuf.data, 1, p->outbuf.len, p->printer.out) !=
			  p->outbuf.len) {
		p->print_errors++;
		return rc ? rc : -EIO;
	}
	fflush(p->printer.out);
	return 0;
}

/*
 * Delivers a signal to stdout and every sink.  A sink that fails is
 * counted; the others still get it.
 */
static int host_emit_signal(void *host, const struct vigil_event *ev,
			    const struct vigil_signal *sig)
{
	struct vigil_plugin_inst *from = host;
	struct vigil_pipeline *p = from->pipeline;
	struct vigil_signal copy;

	if (!sig || !ev || !sig->rule_id)
		return -EINVAL;
	/* A producer built for an older header may pass a smaller struct. */
	memset(&copy, 0, sizeof(copy));
	memcpy(&copy, sig,
	       sig->struct_size && sig->struct_size < sizeof(copy) ?
		       sig->struct_size :
		       sizeof(copy));
	if (!copy.engine)
		copy.engine = from->name;
	if (copy.severity >= VIGIL_SEV__COUNT)
		copy.severity = VIGIL_SEV_INFO;
	p->signals++;
	print_record(p, ev, &copy);
	for (size_t i = 0; i < p->n_plugins; i++) {
		struct vigil_plugin_inst *inst = &p->plugins[i];

		if (!inst->initialized || !inst->p.on_signal ||
		    inst->p.kind != VIGIL_PLUGIN_SINK)
			continue;
		if (inst->p.on_signal(inst->state, ev, &copy))
			inst->errors++;
	}
	return 0;
}

static int host_encode_json(const struct vigil_event *ev,
			    const struct vigil_signal *sig,
			    struct vigil_buf *out)
{
	return vigil_encode_json(ev, sig, out);
}

static int host_encode_msgpack(const struct vigil_event *ev,
			       const struct vigil_signal *sig,
			       struct vigil_buf *out)
{
	return vigil_encode_msgpack(ev, sig, out);
}

int vigil_pipeline_init(struct vigil_pipeline *p, uv_loop_t *loop,
			const struct vigil_config *cfg)
{
	memset(p, 0, sizeof(*p));
	p->loop = loop;
	p->cfg = cfg;
	p->started_ns = vigil_now_ns();
	if (cfg && cfg->hostname)
		snprintf(p->hostname, sizeof(p->hostname), "%s", cfg->hostname);
	else if (gethostname(p->hostname, sizeof(p->hostname) - 1))
		strcpy(p->hostname, "localhost");
	p->api.abi_major = VIGIL_PLUGIN_ABI_MAJOR;
	p->api.abi_minor = VIGIL_PLUGIN_ABI_MINOR;
	p->api.struct_size = sizeof(p->api);
	p->api.log = host_log;
	p->api.emit_signal = host_emit_signal;
	p->api.config_str = host_config_str;
	p->api.config_int = host_config_int;
	p->api.config_bool = host_config_bool;
	p->api.config_list_len = host_config_list_len;
	p->api.config_list_str = host_config_list_str;
	p->api.fields = host_fields;
	p->api.encode_json = host_encode_json;
	p->api.encode_msgpack = host_encode_msgpack;
	p->api.state_dir = host_state_dir;
	p->api.loop = host_loop;
	vigil_fields(); /* build the registry before any event */
	return 0;
}

/* ---- plugin loading ---- */

static const char *kind_name(uint32_t kind)
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
	size_t min_size = offsetof(struct vigil_plugin, reserved);
	void *dl;

	memset(inst, 0, sizeof(*inst));
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
				 kind_name(inst->p.kind));
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

int vigil_pipeline_load_plugins(struct vigil_pipeline *p, struct vigil_buf *err)
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
		if (pc->path)
			snprintf(path, sizeof(path), "%s", pc->path);
		else
			snprintf(path, sizeof(path), "%s/%s.so",
				 cfg->plugin_dir, pc->name);
		rc = vigil_plugin_open(pc->name, path, inst, err);
		if (rc)
			return rc;
		inst->config = pc->config;
		inst->pipeline = p;
		p->n_plugins++;
		rc = inst->p.init(&p->api, inst, &inst->state);
		if (rc) {
			vigil_buf_printf(err,
					 "plugin '%s' (%s) failed to start: %s (see the messages above)",
					 inst->name, inst->path, strerror(-rc));
			return rc;
		}
		inst->initialized = true;
		vigil_info("plugin %s %s (%s) loaded from %s", inst->name,
			   inst->p.version ? inst->p.version : "",
			   kind_name(inst->p.kind), inst->path);
	}
	return 0;
}

/* ---- sources ---- */

int vigil_pipeline_add_source(struct vigil_pipeline *p, struct vigil_source *src)
{
	struct vigil_source **s;

	s = realloc(p->sources, (p->n_sources + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	p->sources = s;
	src->pipeline = p;
	src->loop = p->loop;
	src->features_disabled = p->cfg ? p->cfg->features_disabled : 0;
	p->sources[p->n_sources++] = src;
	return 0;
}

void vigil_pipeline_start_sources(struct vigil_pipeline *p)
{
	for (size_t i = 0; i < p->n_sources; i++) {
		struct vigil_source *src = p->sources[i];

		if (src->state == VIGIL_SOURCE_DISABLED)
			continue;
		if (src->ops->start(src) && src->state != VIGIL_SOURCE_FAILED &&
		    src->state != VIGIL_SOURCE_DISABLED)
			vigil_source_set_state(src, VIGIL_SOURCE_FAILED, NULL,
					       "could not start");
	}
}

static const char *state_name(int state)
{
	switch (state) {
	case VIGIL_SOURCE_RUNNING:
		return "running";
	case VIGIL_SOURCE_DEGRADED:
		return "degraded";
	case VIGIL_SOURCE_FAILED:
		return "failed";
	case VIGIL_SOURCE_DISABLED:
		return "disabled";
	default:
		return "stopped";
	}
}

void vigil_source_set_state(struct vigil_source *src, int state,
			    const char *mode, const char *fmt, ...)
{
	va_list ap;
	int level;

	if (mode)
		snprintf(src->mode, sizeof(src->mode), "%s", mode);
	va_start(ap, fmt);
	vsnprintf(src->reason, sizeof(src->reason), fmt, ap);
	va_end(ap);
	src->state = state;
	level = state == VIGIL_SOURCE_FAILED	? VIGIL_LOG_ERR :
		state == VIGIL_SOURCE_DEGRADED ? VIGIL_LOG_WARNING :
						 VIGIL_LOG_INFO;
	vigil_log(level, "source %s: %s%s%s%s: %s", src->ops->name,
		  state_name(state), src->mode[0] ? " (" : "", src->mode,
		  src->mode[0] ? ")" : "", src->reason);
}

/* ---- the event path ---- */

int vigil_pipeline_submit(struct vigil_pipeline *p, struct vigil_event *ev)
{
	if (p->stopping)
		return -ESHUTDOWN;
	ev->id = ++p->next_id;
	if (!ev->time_ns)
		ev->time_ns = vigil_now_ns();
	if (!ev->host.len)
		ev->host = vigil_str_c(p->hostname);
	if (p->enrich)
		p->enrich(p->enrich_arg, ev);
	p->events++;
	if (ev->type < VIGIL_EV__COUNT)
		p->by_type[ev->type]++;
	print_record(p, ev, NULL);
	for (size_t i = 0; i < p->n_plugins; i++) {
		struct vigil_plugin_inst *inst = &p->plugins[i];

		if (!inst->initialized || !inst->p.on_event)
			continue;
		if (inst->p.on_event(inst->state, ev))
			inst->errors++;
	}
	return 0;
}

void vigil_pipeline_flush(struct vigil_pipeline *p)
{
	for (size_t i = 0; i < p->n_plugins; i++) {
		struct vigil_plugin_inst *inst = &p->plugins[i];

		if (inst->initialized && inst->p.flush &&
		    inst->p.flush(inst->state))
			inst->errors++;
	}
	if (p->printer.out)
		fflush(p->printer.out);
}

void vigil_pipeline_reload(struct vigil_pipeline *p,
			   const struct vigil_config *cfg)
{
	p->cfg = cfg;
	for (size_t i = 0; i < p->n_plugins; i++) {
		struct vigil_plugin_inst *inst = &p->plugins[i];

		inst->config = NULL;
		for (size_t j = 0; j < cfg->n_plugins; j++)
			if (strcmp(cfg->plugins[j].name, inst->name) == 0)
				inst->config = cfg->plugins[j].config;
		if (inst->initialized && inst->p.reload &&
		    inst->p.reload(inst->state))
			vigil_warn("plugin %s kept its previous settings",
				   inst->name);
	}
	for (size_t i = 0; i < p->n_sources; i++) {
		struct vigil_source *src = p->sources[i];

		src->config = vigil_config_section(
			cfg, src->section ? src->section : src->ops->name);
		if (src->ops->reload && src->state != VIGIL_SOURCE_DISABLED)
			src->ops->reload(src);
	}
}

void vigil_pipeline_shutdown(struct vigil_pipeline *p)
{
	p->stopping = true;
	for (size_t i = p->n_sources; i-- > 0;) {
		struct vigil_source *src = p->sources[i];

		if (src->state != VIGIL_SOURCE_DISABLED)
			src->ops->stop(src);
		src->state = VIGIL_SOURCE_STOPPED;
	}
	free(p->sources);
	p->sources = NULL;
	p->n_sources = 0;
	vigil_pipeline_flush(p);
	/* Destroy now, unload later: a plugin's libuv handles close on the
	 * next loop turns, and their callbacks are code in the plugin. */
	for (size_t i = p->n_plugins; i-- > 0;)
		vigil_plugin_destroy(&p->plugins[i]);
	vigil_buf_free(&p->outbuf);
}

void vigil_pipeline_unload(struct vigil_pipeline *p)
{
	for (size_t i = p->n_plugins; i-- > 0;)
		vigil_plugin_close(&p->plugins[i]);
	free(p->plugins);
	p->plugins = NULL;
	p->n_plugins = 0;
}

/* ---- status ---- */

static int json_kv_str(struct vigil_buf *out, const char *k, const char *v,
		       bool comma)
{
	int rc = vigil_buf_printf(out, "%s\"%s\":", comma ? "," : "", k);

	return rc ? rc : vigil_json_str(out, v ? v : "", v ? strlen(v) : 0);
}

int vigil_pipeline_status_json(struct vigil_pipeline *p, struct vigil_buf *out)
{
	int rc;

	rc = vigil_buf_printf(out,
			      "{\"version\":\"%s\",\"pid\":%d,\"uptime_s\":%" PRId64,
			      PACKAGE_VERSION, (int)getpid(),
			      (vigil_now_ns() - p->started_ns) / 1000000000);
	if (!rc)
		rc = json_kv_str(out, "host", p->hostname, true);
	if (!rc && p->cfg)
		rc = json_kv_str(out, "config", p->cfg->path, true);
	if (!rc && p->cfg) {
		rc = vigil_buf_puts(out, ",\"features_disabled\":[");
		for (uint32_t bit = 1, n = 0; !rc && bit; bit <<= 1) {
			if (!(p->cfg->features_disabled & bit))
				continue;
			rc = vigil_buf_printf(out, "%s\"%s\"", n++ ? "," : "",
					      vigil_feature_name(bit));
		}
		if (!rc)
			rc = vigil_buf_putc(out, ']');
	}
	if (!rc)
		rc = vigil_buf_printf(out,
				      ",\"events\":%" PRIu64
				      ",\"signals\":%" PRIu64
				      ",\"print_errors\":%" PRIu64,
				      p->events, p->signals, p->print_errors);
	if (!rc)
		rc = vigil_buf_puts(out, ",\"events_by_type\":{");
	for (uint32_t t = 0, n = 0; !rc && t < VIGIL_EV__COUNT; t++) {
		if (!p->by_type[t])
			continue;
		rc = vigil_buf_printf(out, "%s\"%s\":%" PRIu64, n++ ? "," : "",
				      vigil_event_type_name(t), p->by_type[t]);
	}
	if (!rc)
		rc = vigil_buf_puts(out, "},\"sources\":[");
	for (size_t i = 0; !rc && i < p->n_sources; i++) {
		struct vigil_source *s = p->sources[i];
		size_t before;

		rc = vigil_buf_printf(out, "%s{", i ? "," : "");
		if (!rc)
			rc = json_kv_str(out, "name", s->ops->name, false);
		if (!rc)
			rc = json_kv_str(out, "state", state_name(s->state),
					 true);
		if (!rc)
			rc = json_kv_str(out, "mode", s->mode, true);
		if (!rc)
			rc = json_kv_str(out, "reason", s->reason, true);
		if (!rc)
			rc = vigil_buf_printf(out,
					      ",\"events_in\":%" PRIu64
					      ",\"events_out\":%" PRIu64
					      ",\"drops\":%" PRIu64
					      ",\"lost\":%" PRIu64,
					      s->events_in, s->events_out,
					      s->drops, s->lost);
		if (!rc && s->ops->status_json &&
		    s->state != VIGIL_SOURCE_DISABLED) {
			rc = vigil_buf_putc(out, ',');
			before = out->len;
			if (!rc)
				rc = s->ops->status_json(s, out);
			if (!rc && out->len == before)
				out->len--; /* nothing added: drop the comma */
		}
		if (!rc)
			rc = vigil_buf_putc(out, '}');
	}
	if (!rc)
		rc = vigil_buf_puts(out, "],\"plugins\":[");
	for (size_t i = 0; !rc && i < p->n_plugins; i++) {
		struct vigil_plugin_inst *inst = &p->plugins[i];
		struct vigil_plugin_stats st;

		memset(&st, 0, sizeof(st));
		if (inst->p.stats)
			inst->p.stats(inst->state, &st);
		rc = vigil_buf_printf(out, "%s{", i ? "," : "");
		if (!rc)
			rc = json_kv_str(out, "name", inst->name, false);
		if (!rc)
			rc = json_kv_str(out, "kind", kind_name(inst->p.kind),
					 true);
		if (!rc)
			rc = json_kv_str(out, "version", inst->p.version, true);
		if (!rc)
			rc = json_kv_str(out, "path", inst->path, true);
		if (!rc)
			rc = vigil_buf_printf(out,
					      ",\"events_in\":%" PRIu64
					      ",\"signals_in\":%" PRIu64
					      ",\"records_out\":%" PRIu64
					      ",\"dropped\":%" PRIu64
					      ",\"errors\":%" PRIu64
					      ",\"bytes_out\":%" PRIu64
					      ",\"rules_loaded\":%" PRIu64 "}",
					      st.events_in, st.signals_in,
					      st.records_out, st.dropped,
					      st.errors + inst->errors,
					      st.bytes_out, st.rules_loaded);
	}
	if (!rc) {
		uint64_t rules = 0;

		for (size_t i = 0; i < p->n_plugins; i++) {
			struct vigil_plugin_stats st;

			memset(&st, 0, sizeof(st));
			if (p->plugins[i].p.stats)
				p->plugins[i].p.stats(p->plugins[i].state, &st);
			rules += st.rules_loaded;
		}
		rc = vigil_buf_printf(out, "],\"rules_loaded\":%" PRIu64 "}",
				      rules);
	}
	return rc;
}

/* ---- text rendering ---- */

/* Appends s with control and non-ASCII bytes escaped (\n, \xNN). */
static int text_str(struct vigil_buf *out, struct vigil_str s)
{
	for (uint32_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		int rc = c >= 0x20 && c < 0x7f ?
				 vigil_buf_putc(out, (char)c) :
				 vigil_buf_printf(out, "\\x%02x", c);

		if (rc)
			return rc;
	}
	return 0;
}

static int text_field(struct vigil_buf *out, const struct vigil_event *ev,
		      const char *name, const char *label)
{
	const struct vigil_field *f = vigil_field_find(name, strlen(name));
	struct vigil_value v;
	char tmp[64];
	int rc;

	if (!f || f->get(f, ev, 0, &v))
		return 0;
	rc = vigil_buf_printf(out, " %s=", label);
	if (rc)
		return rc;
	switch (v.type) {
	case VIGIL_T_STR:
		return text_str(out, v.u.s);
	case VIGIL_T_BOOL:
		return vigil_buf_puts(out, v.u.b ? "true" : "false");
	case VIGIL_T_TIME:
		vigil_format_time(v.u.i, tmp);
		return vigil_buf_puts(out, tmp);
	default:
		return vigil_buf_printf(out, "%" PRId64, v.u.i);
	}
}

int vigil_format_text(const struct vigil_event *ev,
		      const struct vigil_signal *sig, struct vigil_buf *out)
{
	static const char *const detail[] = {
		"file.path",	    "file.destination.path",
		"dns.question.name", "dns.response.code",
		"ptrace.request",   "ptrace.tracee.pid",
		"load_module.name", "mount.source.path",
		"mount.mountpoint.path", "agent.kind",
		"agent.detail",	    "agent.count",
	};
	char when[40];
	int rc;

	vigil_format_time(ev->time_ns, when);
	rc = vigil_buf_printf(out, "%s ", when);
	if (!rc && sig) {
		char sev[16];
		size_t i;

		snprintf(sev, sizeof(sev), "%s", vigil_severity_name(sig->severity));
		for (i = 0; sev[i]; i++)
			sev[i] = (char)(sev[i] >= 'a' && sev[i] <= 'z' ?
						sev[i] - 32 : sev[i]);
		rc = vigil_buf_printf(out, "%s %s: %s |", sev, sig->rule_id,
				      sig->title ? sig->title : "");
	}
	if (!rc)
		rc = vigil_buf_printf(out, " %s",
				      vigil_event_type_name(ev->type) ?
					      vigil_event_type_name(ev->type) :
					      "?");
	if (!rc)
		rc = text_field(out, ev, "process.pid", "pid");
	if (!rc)
		rc = text_field(out, ev, "process.ppid", "ppid");
	if (!rc)
		rc = text_field(out, ev, "process.user", "user");
	if (!rc)
		rc = text_field(out, ev, "process.uid", "uid");
	if (!rc)
		rc = text_field(out, ev, "process.file.path", "exe");
	if (!rc && ev->process.argv.n) {
		rc = vigil_buf_puts(out, " argv=[");
		for (uint32_t i = 0; !rc && i < ev->process.argv.n; i++) {
			rc = i ? vigil_buf_putc(out, ' ') : 0;
			if (!rc)
				rc = text_str(out, ev->process.argv.v[i]);
		}
		if (!rc)
			rc = vigil_buf_putc(out, ']');
	}
	if (!rc)
		rc = text_field(out, ev, "process.parent.file.path", "parent");
	if (!rc)
		rc = text_field(out, ev, "container.id", "container");
	for (size_t i = 0; !rc && i < VIGIL_ARRAY_SIZE(detail); i++)
		rc = text_field(out, ev, detail[i], detail[i]);
	return rc ? rc : vigil_buf_putc(out, '\n');
}
