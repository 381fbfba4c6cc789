/*
 * plugin_host.c - the host API: the table of functions every plugin gets
 * (logging, signal emission, configuration lookup, the field registry, the
 * encoders, the state directory and the loop).
 *
 * Plugins receive a pointer to their struct vigil_plugin_inst as the
 * opaque "host" handle, so every host function knows which plugin called
 * it (for log prefixes, configuration and counters).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "confmap.h"
#include "pipeline.h"
#include "pipeline_int.h"
#include "schema.h"
#include "util.h"

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

/*
 * config_map (ABI 1.1): reads the plugin's section with its table; logs
 * the one-line error as the plugin's.
 */
static int host_config_map(void *host, const struct vigil_config_entry *table,
			   size_t n, size_t entry_size, void *settings)
{
	struct vigil_plugin_inst *inst = host;
	struct vigil_buf err = { 0 };
	char where[160];
	int rc;

	snprintf(where, sizeof(where), "plugins[%s].config", inst->name);
	rc = vigil_confmap_read(table, n, entry_size, inst->config, where,
				settings, &err);
	if (rc)
		vigil_log(VIGIL_LOG_ERR, "plugin %s: %s", inst->name,
			  vigil_buf_cstr(&err));
	vigil_buf_free(&err);
	return rc;
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

/*
 * Checks and completes a signal a plugin raises (a producer built for an
 * older header may pass a smaller struct; a missing engine name becomes the
 * plugin's), then hands it to the pipeline, which delivers it to stdout and
 * every sink.
 */
static int host_emit_signal(void *host, const struct vigil_event *ev,
			    const struct vigil_signal *sig)
{
	struct vigil_plugin_inst *from = host;
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
	vigil__pipeline_signal(from->pipeline, ev, &copy);
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

/*
 * set_state (ABI 1.2): keeps what the plugin says for the status, and
 * for the agent event that vigil_pipeline_flush() raises on a change
 * (not from here: a plugin may say it in its init(), before the engines
 * that would turn the event into a signal have started).
 */
static void host_set_state(void *host, int state, const char *reason)
{
	struct vigil_plugin_inst *inst = host;

	inst->run_state = state == VIGIL_PLUGIN_DEGRADED ? VIGIL_PLUGIN_DEGRADED :
							   VIGIL_PLUGIN_RUNNING;
	snprintf(inst->state_reason, sizeof(inst->state_reason), "%s",
		 reason && inst->run_state != VIGIL_PLUGIN_RUNNING ? reason : "");
}

/* What every plugin gets; reserved fields stay zero. */
static const struct vigil_host_api host_api = {
	.abi_major = VIGIL_PLUGIN_ABI_MAJOR,
	.abi_minor = VIGIL_PLUGIN_ABI_MINOR,
	.struct_size = sizeof(struct vigil_host_api),
	.log = host_log,
	.emit_signal = host_emit_signal,
	.config_str = host_config_str,
	.config_int = host_config_int,
	.config_bool = host_config_bool,
	.config_list_len = host_config_list_len,
	.config_list_str = host_config_list_str,
	.fields = host_fields,
	.encode_json = host_encode_json,
	.encode_msgpack = host_encode_msgpack,
	.state_dir = host_state_dir,
	.loop = host_loop,
	.config_map = host_config_map,
	.set_state = host_set_state,
};

void vigil__host_api_init(struct vigil_host_api *api)
{
	*api = host_api;
}
