/*
 * pipeline.c - the path of every event: sources, enrichment, engines,
 * sinks, verdicts; reload, shutdown and the status report.  The plugin
 * loader is in plugin_loader.c, the host API plugins call back into in
 * plugin_host.c.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "pipeline.h"
#include "pipeline_int.h"
#include "schema.h"
#include "util.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

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
 * Delivers a signal, already checked by the host API, to stdout and every
 * sink.  A sink that fails is counted; the others still get it.
 */
void vigil__pipeline_signal(struct vigil_pipeline *p,
			    const struct vigil_event *ev,
			    const struct vigil_signal *sig)
{
	p->signals++;
	if (p->collect_actions)
		*p->collect_actions |= sig->actions;
	print_record(p, ev, sig);
	for (size_t i = 0; i < p->n_plugins; i++) {
		struct vigil_plugin_inst *inst = p->plugins[i];

		if (!inst->initialized || !inst->p.on_signal ||
		    inst->p.kind != VIGIL_PLUGIN_SINK)
			continue;
		if (inst->p.on_signal(inst->state, ev, sig))
			inst->errors++;
	}
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
	vigil__host_api_init(&p->api);
	vigil_fields(); /* build the registry before any event */
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
		struct vigil_plugin_inst *inst = p->plugins[i];

		if (!inst->initialized || !inst->p.on_event)
			continue;
		if (inst->p.on_event(inst->state, ev))
			inst->errors++;
	}
	return 0;
}

int vigil_pipeline_submit_verdict(struct vigil_pipeline *p,
				  struct vigil_event *ev, uint32_t *actions)
{
	uint32_t *outer = p->collect_actions;
	int rc;

	*actions = 0;
	/* Engines call back into host_emit_signal() synchronously, so the
	 * signals raised until submit returns are this event's. */
	p->collect_actions = actions;
	rc = vigil_pipeline_submit(p, ev);
	p->collect_actions = outer;
	return rc;
}

/*
 * Submits an agent event (kind, subsystem, detail, count) made in arena,
 * which the caller initializes once and frees.  A failure to build it
 * (no memory) loses only this event.
 */
static void raise_agent(struct vigil_pipeline *p, struct vigil_arena *arena,
			const char *kind, const char *subsystem,
			const char *detail, int64_t count)
{
	struct vigil_event ev;

	vigil_arena_reset(arena);
	vigil_event_init(&ev, arena);
	ev.type = VIGIL_EV_AGENT;
	ev.source = VIGIL_SRC_AGENT;
	ev.process.pid = ev.process.tid = (int32_t)getpid();
	ev.u.agent.count = count;
	if (vigil_arena_str(arena, &ev.u.agent.kind, kind, strlen(kind)) ||
	    vigil_arena_str(arena, &ev.u.agent.subsystem, subsystem,
			    strlen(subsystem)) ||
	    vigil_arena_str(arena, &ev.u.agent.detail, detail, strlen(detail)))
		return;
	(void)vigil_pipeline_submit(p, &ev);
}

/*
 * Fills st with the statistics of plugin inst, all zero when it has none
 * to give (not initialized, or no stats callback).  Returns what the
 * plugin's callback returned, or 0.
 */
static int plugin_stats(const struct vigil_plugin_inst *inst,
			struct vigil_plugin_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!inst->initialized || !inst->p.stats)
		return 0;
	return inst->p.stats(inst->state, st);
}

/*
 * Raises an agent event (kind output_dropped) for each sink whose dropped
 * counter grew since the last check: a full disk, a peer down past its
 * spool, a bounded buffer.  Sinks only count; the host, which sees them
 * all, makes the loss a signal (rule agent_output_records_lost), so no
 * sink can lose records silently.  Likewise a sink that said it is
 * degraded (set_state: an output without its disk spool) raises
 * output_degraded (rule agent_output_degraded), and output_recovered
 * when it says it runs normally again.  The event goes to every sink,
 * including the one it is about, which is harmless: it is raised at most
 * once per check.
 */
static void report_sink_losses(struct vigil_pipeline *p)
{
	struct vigil_arena arena;
	bool arena_ready = false;

	for (size_t i = 0; i < p->n_plugins; i++) {
		struct vigil_plugin_inst *inst = p->plugins[i];
		struct vigil_plugin_stats st;
		char detail[400];
		uint64_t lost = 0;
		bool changed;

		if (!inst->initialized || inst->p.kind != VIGIL_PLUGIN_SINK)
			continue;
		if (!plugin_stats(inst, &st) &&
		    st.dropped > inst->dropped_reported) {
			lost = st.dropped - inst->dropped_reported;
			inst->dropped_reported = st.dropped;
		}
		changed = inst->run_state != inst->state_reported;
		if (!lost && !changed)
			continue;
		if (!arena_ready) {
			vigil_arena_init(&arena, 1024);
			arena_ready = true;
		}
		if (changed) {
			bool degraded = inst->run_state == VIGIL_PLUGIN_DEGRADED;

			inst->state_reported = inst->run_state;
			snprintf(detail, sizeof(detail), "output %s %s%s",
				 inst->name,
				 degraded ? "is degraded: " :
					    "runs normally again",
				 degraded ? inst->state_reason : "");
			raise_agent(p, &arena,
				    degraded ? "output_degraded" :
					       "output_recovered",
				    inst->name, detail, 0);
		}
		if (lost) {
			snprintf(detail, sizeof(detail),
				 "output %s dropped %" PRIu64
				 " records (%" PRIu64
				 " since start); see its log lines",
				 inst->name, lost, st.dropped);
			raise_agent(p, &arena, "output_dropped", inst->name,
				    detail, (int64_t)lost);
		}
	}
	if (arena_ready)
		vigil_arena_free(&arena);
}

void vigil_pipeline_flush(struct vigil_pipeline *p)
{
	for (size_t i = 0; i < p->n_plugins; i++) {
		struct vigil_plugin_inst *inst = p->plugins[i];

		if (inst->initialized && inst->p.flush &&
		    inst->p.flush(inst->state))
			inst->errors++;
	}
	report_sink_losses(p);
	if (p->printer.out)
		fflush(p->printer.out);
}

void vigil_pipeline_reload(struct vigil_pipeline *p,
			   const struct vigil_config *cfg)
{
	p->cfg = cfg;
	vigil__pipeline_reload_plugins(p, cfg);
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
		vigil_plugin_destroy(p->plugins[i]);
	vigil_buf_free(&p->outbuf);
}

/* ---- status ---- */

static int json_kv_str(struct vigil_buf *out, const char *k, const char *v,
		       bool comma)
{
	int rc = vigil_buf_printf(out, "%s\"%s\":", comma ? "," : "", k);

	return rc ? rc : vigil_json_str(out, v ? v : "", v ? strlen(v) : 0);
}

/* A string member of a status object. */
struct json_member {
	const char *key;
	const char *val; /* NULL is written as "" */
};

/* A counter member of a status object. */
struct json_count {
	const char *key;
	uint64_t n;
};

/*
 * Opens the status object of one source or plugin in a list: a comma
 * unless it is the first, '{', the n string members m, then the n_counts
 * counters.  Returns 0 or -ENOMEM.
 */
static int json_open_object(struct vigil_buf *out, bool first,
			    const struct json_member *m, size_t n,
			    const struct json_count *counts, size_t n_counts)
{
	int rc = vigil_buf_puts(out, first ? "{" : ",{");

	for (size_t i = 0; !rc && i < n; i++)
		rc = json_kv_str(out, m[i].key, m[i].val, i > 0);
	for (size_t i = 0; !rc && i < n_counts; i++)
		rc = vigil_buf_printf(out, ",\"%s\":%" PRIu64, counts[i].key,
				      counts[i].n);
	return rc;
}

/* Appends the status object of source s, the first of the list or not.
 * Returns 0 or a negative errno. */
static int source_status_json(struct vigil_buf *out, bool first,
			      struct vigil_source *s)
{
	const struct json_member m[] = {
		{ "name", s->ops->name },
		{ "state", state_name(s->state) },
		{ "mode", s->mode },
		{ "reason", s->reason },
	};
	const struct json_count counts[] = {
		{ "events_in", s->events_in },
		{ "events_out", s->events_out },
		{ "drops", s->drops },
		{ "lost", s->lost },
	};
	int rc;

	rc = json_open_object(out, first, m, VIGIL_ARRAY_SIZE(m), counts,
			      VIGIL_ARRAY_SIZE(counts));
	if (!rc && s->ops->status_json && s->state != VIGIL_SOURCE_DISABLED) {
		size_t before;

		rc = vigil_buf_putc(out, ',');
		before = out->len;
		if (!rc)
			rc = s->ops->status_json(s, out);
		if (!rc && out->len == before)
			out->len--; /* nothing added: drop the comma */
	}
	return rc ? rc : vigil_buf_putc(out, '}');
}

/* Appends the status object of plugin inst, whose statistics are st.
 * Returns 0 or -ENOMEM. */
static int plugin_status_json(struct vigil_buf *out, bool first,
			      const struct vigil_plugin_inst *inst,
			      const struct vigil_plugin_stats *st)
{
	const struct json_member m[] = {
		{ "name", inst->name },
		{ "kind", vigil__plugin_kind_name(inst->p.kind) },
		{ "version", inst->p.version },
		{ "path", inst->path },
		{ "state", !inst->initialized ? "not started" :
			   inst->run_state == VIGIL_PLUGIN_DEGRADED ? "degraded" :
								      "running" },
	};
	const struct json_count counts[] = {
		{ "events_in", st->events_in },
		{ "signals_in", st->signals_in },
		{ "records_out", st->records_out },
		{ "dropped", st->dropped },
		{ "errors", st->errors + inst->errors },
		{ "bytes_out", st->bytes_out },
		{ "rules_loaded", st->rules_loaded },
	};
	int rc;

	rc = json_open_object(out, first, m, VIGIL_ARRAY_SIZE(m), counts,
			      VIGIL_ARRAY_SIZE(counts));
	/* set_state (ABI 1.2): why it is degraded */
	if (!rc && inst->state_reason[0])
		rc = json_kv_str(out, "reason", inst->state_reason, true);
	/* ABI 1.2: the plugin's own state, as "status":{...} */
	if (!rc && inst->initialized && inst->p.abi_minor >= 2 &&
	    inst->p.status_json) {
		rc = vigil_buf_puts(out, ",\"status\":{");
		if (!rc)
			rc = inst->p.status_json(inst->state, out);
		if (!rc)
			rc = vigil_buf_putc(out, '}');
	}
	return rc ? rc : vigil_buf_putc(out, '}');
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
	for (size_t i = 0; !rc && i < p->n_sources; i++)
		rc = source_status_json(out, i == 0, p->sources[i]);
	if (!rc)
		rc = vigil_buf_puts(out, "],\"plugins\":[");
	for (size_t i = 0; !rc && i < p->n_plugins; i++) {
		struct vigil_plugin_stats st;

		(void)plugin_stats(p->plugins[i], &st);
		rc = plugin_status_json(out, i == 0, p->plugins[i], &st);
	}
	if (!rc) {
		uint64_t rules = 0;

		for (size_t i = 0; i < p->n_plugins; i++) {
			struct vigil_plugin_stats st;

			(void)plugin_stats(p->plugins[i], &st);
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