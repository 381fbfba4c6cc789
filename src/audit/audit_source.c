/*
 * audit_source.c - the audit source (see audit_source.h).
 *
 * Intake (netlink, stdin or a log file) -> record parser -> reassembler
 * -> event builder -> vigil_pipeline_submit().  A timer drives the
 * reassembly timeout and, once a second, reads the kernel's lost and
 * backlog counters on a separate socket and checks that vigil's rules are
 * still loaded; a CONFIG_CHANGE record triggers the same check at once.
 * Loss and rule flushes become `agent` events.
 *
 * This file reads the records (netlink, the dispatcher pipe, a replayed
 * log), runs the periodic checks, reads the configuration, and starts,
 * stops and reports the source; what the source sets in the kernel (its
 * rules, the enabled flag, the backlog) is in audit_source_kernel.c.
 * audit_source_int.h is what the two share.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libaudit.h>

#include "pipeline.h"
#include "confmap.h"
#include "settings.h"
#include "source_status.h"
#include "audit/audit_netlink.h"
#include "audit/audit_source.h"
#include "audit/audit_source_int.h"

static const char *const mode_names[] = {
	[MODE_AUTO] = "auto",		  [MODE_MULTICAST] = "multicast",
	[MODE_UNICAST] = "unicast",	  [MODE_DISPATCHER] = "dispatcher",
	[MODE_REPLAY] = "replay",
};

#define DEFAULT_RCVBUF (8 << 20)
/* A busy stream is read every 10 ms (pacer.h): 8 MiB hold 10 ms of
 * about 300 000 records per second. */
#define DEFAULT_READ_INTERVAL_MS 10
#define MAX_READ_INTERVAL_MS 1000
/* CIS 4.1.x asks for at least 8192; the kernel's default is 64. */
#define DEFAULT_BACKLOG_LIMIT 8192
#define DEFAULT_CHECK_NS 1000000000LL
#define REPLAY_CHUNK 65536
#define ARENA_CHUNK 16384

/* ---- events out ---- */

static void submit(struct audit_src *a)
{
	struct vigil_source *src = a->src;

	if (vigil_pipeline_submit(src->pipeline, &a->ev) == 0)
		src->events_out++;
}

void vigil__audit_agent_event(struct audit_src *a, const char *kind,
			      int64_t count, const char *detail)
{
	vigil_arena_reset(&a->arena);
	vigil_event_init(&a->ev, &a->arena);
	if (vigil_audit_agent_event(&a->ev, kind, count, detail) == 0)
		submit(a);
}

/* Rules changed by someone: check ours at the next tick. */
static void note_config_change(struct audit_src *a,
			       const struct vigil_audit_asm_event *ae)
{
	uint32_t i;

	for (i = 0; i < ae->n_recs; i++)
		if (ae->recs[i].type == AUDIT_CONFIG_CHANGE)
			a->check_now = true;
}

static void on_assembled(void *ctx, const struct vigil_audit_asm_event *ae)
{
	struct audit_src *a = ctx;
	int r;

	note_config_change(a, ae);
	vigil_arena_reset(&a->arena);
	vigil_event_init(&a->ev, &a->arena);
	r = vigil_audit_build(&a->builder, ae, &a->ev);
	if (r == 0)
		submit(a);
	else if (r != -ENOENT)
		a->src->drops++;
}

/* ---- intake ---- */

static void on_netlink_record(void *ctx, uint32_t type, const char *text,
			      size_t len)
{
	struct audit_src *a = ctx;
	struct vigil_audit_record rec;

	a->src->events_in++;
	if (vigil_audit_record_parse_netlink(&rec, type, text, len)) {
		a->src->drops++;
		return;
	}
	if (vigil_audit_reasm_push(a->reasm, &rec, vigil_monotonic_ns()))
		a->src->drops++;
}

/* One line of the auditd log / plugin string format. */
static void on_line(struct audit_src *a, const char *p, size_t n)
{
	struct vigil_audit_record rec;
	int64_t now;

	if (n == 0)
		return;
	a->src->events_in++;
	if (vigil_audit_record_parse_line(&rec, p, n)) {
		a->src->drops++;
		return;
	}
	/* A replayed log runs on its own clock. */
	now = a->mode == MODE_REPLAY
		      ? rec.sec * 1000000000LL + (int64_t)rec.ms * 1000000LL
		      : vigil_monotonic_ns();
	if (vigil_audit_reasm_push(a->reasm, &rec, now))
		a->src->drops++;
}

/* Splits buffered bytes into lines; keeps a partial last line. */
static int feed_lines(struct audit_src *a, const char *p, size_t n)
{
	const char *nl;
	size_t take;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		take = nl ? (size_t)(nl - p) : n;
		if (!nl) {
			/* A line longer than any record is garbage: drop. */
			if (a->line.len + take > VIGIL_AUDIT_MAX_EVENT_BYTES) {
				vigil_buf_reset(&a->line);
				a->src->drops++;
				return 0;
			}
			return vigil_buf_append(&a->line, p, take);
		}
		if (a->line.len) {
			if (vigil_buf_append(&a->line, p, take))
				return -ENOMEM;
			on_line(a, a->line.data, a->line.len);
			vigil_buf_reset(&a->line);
		} else {
			on_line(a, p, take);
		}
		p += take + 1;
		n -= take + 1;
	}
	return 0;
}

/*
 * The pacer's read: what the intake holds now, after the feeder's (the
 * proc connector's forks before the execs they precede).  Returns the
 * number of records or chunks read, or a negative errno when the intake
 * is gone (auditd closed the dispatcher pipe, the socket broke).
 */
static void drain_feeder(void *arg)
{
	struct audit_src *a = arg;
	struct vigil_source *feeder = a->src->feeder;

	if (feeder && feeder->ops->drain &&
	    feeder->state == VIGIL_SOURCE_RUNNING)
		feeder->ops->drain(feeder);
}

static int drain_intake(void *arg, int status)
{
	struct audit_src *a = arg;
	char chunk[REPLAY_CHUNK];
	ssize_t n;
	int r, count = 0;

	(void)status; /* read(2) reports the socket's error */
	if (a->mode == MODE_MULTICAST || a->mode == MODE_UNICAST) {
		/* the feeder before each batch: a long drain reads records
		 * of processes forked after it started */
		r = vigil_audit_nl_read(a->fd, a->nlbuf, VIGIL_AUDIT_NL_BUF,
					on_netlink_record, drain_feeder, a,
					&a->enobufs);
		if (r < 0)
			vigil_source_set_state(a->src, VIGIL_SOURCE_DEGRADED,
					       mode_names[a->mode],
					       "reading audit netlink: %s",
					       strerror(-r));
		return r;
	}
	/* dispatcher: stdin from auditd */
	drain_feeder(a);
	for (;;) {
		n = read(a->fd, chunk, sizeof(chunk));
		if (n > 0) {
			if (feed_lines(a, chunk, (size_t)n))
				a->src->drops++;
			count++;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return count;
		break;
	}
	vigil_audit_reasm_flush(a->reasm);
	vigil_source_set_state(a->src, VIGIL_SOURCE_STOPPED,
			       mode_names[a->mode],
			       "auditd closed the dispatcher pipe");
	return -EPIPE;
}

static void on_replay_idle(uv_idle_t *h)
{
	struct audit_src *a = h->data;
	char chunk[REPLAY_CHUNK];
	ssize_t n;

	n = read(a->fd, chunk, sizeof(chunk));
	if (n > 0) {
		if (feed_lines(a, chunk, (size_t)n))
			a->src->drops++;
		return;
	}
	if (n < 0 && errno == EINTR)
		return;
	if (a->line.len) {
		on_line(a, a->line.data, a->line.len);
		vigil_buf_reset(&a->line);
	}
	vigil_audit_reasm_flush(a->reasm);
	uv_idle_stop(&a->idle);
	a->eof = true;
	vigil_source_set_state(a->src, VIGIL_SOURCE_STOPPED, "replay",
			       "replayed %s: %llu records, %llu events",
			       a->replay_file,
			       (unsigned long long)a->src->events_in,
			       (unsigned long long)a->src->events_out);
}

/* ---- periodic checks ---- */

/* Kernel loss since the last look becomes an audit_lost event. */
static void check_lost(struct audit_src *a)
{
	const struct vigil_audit_reasm_stats *st;
	struct audit_status s;
	char msg[160];
	uint32_t d;

	if (vigil_audit_nl_status(&s) == 0) {
		a->backlog = s.backlog;
		if (a->have_lost && s.lost != a->last_lost) {
			d = s.lost - a->last_lost; /* wraps like the kernel */
			a->kernel_lost += d;
			a->src->lost += d;
			snprintf(msg, sizeof(msg),
				 "the kernel dropped %u audit records "
				 "(lost=%u, backlog=%u of %u)",
				 d, s.lost, s.backlog, s.backlog_limit);
			vigil__audit_agent_event(a, "audit_lost", d, msg);
		}
		a->last_lost = s.lost;
		a->have_lost = true;
	}
	st = vigil_audit_reasm_stats(a->reasm);
	if (st->gaps > a->reported_gaps) {
		d = (uint32_t)(st->gaps - a->reported_gaps);
		snprintf(msg, sizeof(msg),
			 "%u audit serial numbers never arrived (records lost "
			 "before vigil read them)", d);
		a->reported_gaps = st->gaps;
		vigil__audit_agent_event(a, "audit_lost", d, msg);
	}
}

static void on_timer(uv_timer_t *t)
{
	struct audit_src *a = t->data;
	static const int64_t tick = 100000000LL; /* timer period, 100 ms */
	int64_t now = vigil_monotonic_ns();

	if (a->mode != MODE_REPLAY)
		vigil_audit_reasm_expire(a->reasm, now);
	if (a->check_now || now - a->last_check >= a->check_ns - tick / 2) {
		a->check_now = false;
		a->last_check = now;
		if (a->mode == MODE_MULTICAST || a->mode == MODE_UNICAST) {
			vigil__audit_check_rules(a);
			check_lost(a);
		}
	}
}

/* ---- config ---- */

static const struct vigil_config_name mode_table[] = {
	{ "auto", MODE_AUTO },
	{ "multicast", MODE_MULTICAST },
	{ "unicast", MODE_UNICAST },
	{ "dispatcher", MODE_DISPATCHER },
	{ "replay", MODE_REPLAY },
	{ NULL, 0 },
};

/* true and false are the older spellings of all and none */
static const struct vigil_config_name rules_modes[] = {
	{ "derived", VIGIL_AUDIT_RULES_DERIVED },
	{ "all", VIGIL_AUDIT_RULES_ALL },
	{ "none", VIGIL_AUDIT_RULES_NONE },
	{ "true", VIGIL_AUDIT_RULES_ALL },
	{ "yes", VIGIL_AUDIT_RULES_ALL },
	{ "false", VIGIL_AUDIT_RULES_NONE },
	{ "no", VIGIL_AUDIT_RULES_NONE },
	{ NULL, 0 },
};

#define A struct audit_src
static const struct vigil_config_entry audit_table[] = {
	{ VIGIL_CFG_BOOL("enabled", A, enabled, 1, NULL) },
	{ VIGIL_CFG_ENUM("mode", A, mode, MODE_AUTO, mode_table,
			 "where audit records come from") },
	{ VIGIL_CFG_STRBUF("key", A, key, VIGIL_AUDIT_DEFAULT_KEY,
			   "the key of vigil's audit rules") },
	{ VIGIL_CFG_ENUM("rules", A, rules_mode, VIGIL_AUDIT_RULES_DERIVED,
			 rules_modes, "derived: what the policy needs") },
	{ VIGIL_CFG_PATHBUF("rules_file", A, rules_file, NULL,
			    "where to write the installed rules") },
	{ VIGIL_CFG_PATHBUF("replay_file", A, replay_file, NULL,
			    "records to read in mode replay") },
	{ VIGIL_CFG_DURATION_NS("timeout", A, timeout_ns,
				VIGIL_AUDIT_DEFAULT_TIMEOUT_NS, 1, INT64_MAX,
				"end of an event that never gets its EOE") },
	{ VIGIL_CFG_DURATION_NS("check_interval", A, check_ns,
				DEFAULT_CHECK_NS, 1, INT64_MAX,
				"how often rules and the lost counter are checked") },
	{ VIGIL_CFG_INT("max_in_flight", A, max_in_flight,
			VIGIL_AUDIT_DEFAULT_MAX_IN_FLIGHT, 1, 65536,
			"events being assembled at once") },
	{ VIGIL_CFG_SIZE("receive_buffer", A, rcvbuf, DEFAULT_RCVBUF, 0,
			 1 << 30, NULL) },
	{ VIGIL_CFG_INT("backlog_limit", A, backlog_limit,
			DEFAULT_BACKLOG_LIMIT, 0, UINT32_MAX,
			"0 leaves the kernel's alone") },
	{ VIGIL_CFG_DURATION_MS("read_interval", A, read_interval_ms,
				DEFAULT_READ_INTERVAL_MS, 0,
				MAX_READ_INTERVAL_MS,
				"0 reads at every wake-up") },
};
#undef A

/*
 * Reads the audit section into a (the table's members).  Returns 0 or
 * -EINVAL with "file:line:col: ..." in err.
 */
static int read_config(struct audit_src *a, struct vigil_buf *err)
{
	int rc;

	rc = VIGIL_CONFMAP_READ(audit_table, a->src->config, "audit", a, err);
	if (rc)
		return rc;
	if (a->src->mode_override) {
		for (size_t i = 0; mode_table[i].name; i++)
			if (strcmp(a->src->mode_override,
				   mode_table[i].name) == 0)
				a->mode = (int)mode_table[i].value;
	}
	if (a->mode == MODE_REPLAY && !a->replay_file[0]) {
		vigil_buf_printf(err, "audit.mode replay needs "
				      "audit.replay_file");
		return -EINVAL;
	}
	return 0;
}

/* ---- start / stop ---- */

/*
 * Picks the netlink mode for auto and opens the intake socket.  Returns
 * 0 with a->fd set, or a negative errno with the reason recorded.
 */
static int open_netlink(struct audit_src *a, char *why, size_t cap)
{
	bool mc_ok = !(a->src->features_disabled & VIGIL_FEAT_AUDIT_MULTICAST);
	bool uc_ok = !(a->src->features_disabled & VIGIL_FEAT_AUDIT_UNICAST);
	const char *mc_why = NULL;
	uint32_t owner = 0;
	int fd;

	if (!mc_ok)
		mc_why = "multicast disabled by the feature mask";
	else if (!vigil_audit_kernel_has_multicast())
		mc_why = "kernel older than 3.16 has no multicast group";
	if (a->mode == MODE_MULTICAST || (a->mode == MODE_AUTO && !mc_why)) {
		if (mc_why && a->mode == MODE_MULTICAST) {
			snprintf(why, cap, "audit.mode multicast: %s", mc_why);
			return -EOPNOTSUPP;
		}
		fd = vigil_audit_nl_multicast_open(a->rcvbuf);
		if (fd >= 0) {
			a->mode = MODE_MULTICAST;
			a->fd = fd;
			snprintf(why, cap, "read-only multicast group "
				 "(AUDIT_NLGRP_READLOG); coexists with auditd");
			return 0;
		}
		if (a->mode == MODE_MULTICAST) {
			snprintf(why, cap, "joining the audit multicast group: "
				 "%s", strerror(-fd));
			return fd;
		}
		mc_why = "joining the multicast group failed";
	}
	if (!uc_ok) {
		snprintf(why, cap, "%s%sunicast disabled by the feature mask",
			 mc_why ? mc_why : "", mc_why ? "; " : "");
		return -EOPNOTSUPP;
	}
	fd = vigil_audit_nl_unicast_open(a->rcvbuf, &owner);
	if (fd == -EBUSY) {
		snprintf(why, cap,
			 "%s%spid %u (auditd?) owns the audit unicast socket "
			 "and vigil will not take it: use audit.mode "
			 "dispatcher with /etc/audit/plugins.d/vigil.conf, or "
			 "multicast on a 3.16+ kernel",
			 mc_why ? mc_why : "", mc_why ? "; " : "", owner);
		return -EBUSY;
	}
	if (fd < 0) {
		snprintf(why, cap, "becoming the audit daemon: %s",
			 strerror(-fd));
		return fd;
	}
	a->mode = MODE_UNICAST;
	a->fd = fd;
	snprintf(why, cap, "unicast: vigil is the audit daemon%s%s",
		 mc_why ? " (" : "", mc_why ? mc_why : "");
	if (mc_why)
		strncat(why, ")", cap - strlen(why) - 1);
	return 0;
}

static int audit_start(struct vigil_source *src)
{
	struct audit_src *a;
	struct vigil_buf err = { 0 };
	char why[2400] = ""; /* cut to src->reason by set_state */
	int r;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	src->priv = a;
	a->src = src;
	a->fd = -1;
	a->ctl_fd = -1;
	a->saved_backlog_limit = -1;
	a->saved_backlog_wait = -1;
	r = read_config(a, &err);
	if (r) {
		vigil_source_set_state(src, VIGIL_SOURCE_FAILED, "",
				       "%s", vigil_buf_cstr(&err));
		vigil_buf_free(&err);
		return r;
	}
	vigil_arena_init(&a->arena, ARENA_CHUNK);
	vigil_event_init(&a->ev, &a->arena);
	r = vigil_audit_builder_init(&a->builder, a->key);
	if (r)
		goto out_failed;
	a->builder.probe_host = a->mode != MODE_REPLAY;
	a->reasm = vigil_audit_reasm_new(a->max_in_flight, a->timeout_ns,
					 on_assembled, a);
	a->nlbuf = malloc(VIGIL_AUDIT_NL_BUF);
	if (!a->reasm || !a->nlbuf) {
		r = -ENOMEM;
		goto out_failed;
	}
	switch (a->mode) {
	case MODE_DISPATCHER:
		a->fd = STDIN_FILENO;
		r = fcntl(a->fd, F_GETFL);
		if (r < 0 || fcntl(a->fd, F_SETFL, r | O_NONBLOCK)) {
			r = -errno;
			snprintf(why, sizeof(why), "stdin: %s", strerror(-r));
			goto out_failed;
		}
		snprintf(why, sizeof(why), "auditd dispatcher plugin: records "
			 "on stdin");
		break;
	case MODE_REPLAY:
		a->fd = open(a->replay_file, O_RDONLY | O_CLOEXEC);
		if (a->fd < 0) {
			r = -errno;
			snprintf(why, sizeof(why), "opening %s: %s",
				 a->replay_file, strerror(-r));
			goto out_failed;
		}
		snprintf(why, sizeof(why), "replaying %s", a->replay_file);
		break;
	default:
		r = open_netlink(a, why, sizeof(why));
		if (r)
			goto out_failed;
		vigil__audit_setup_kernel(a, why, sizeof(why));
		break;
	}

	a->handles_open = true;
	uv_timer_init(src->loop, &a->timer);
	a->timer.data = a;
	uv_timer_start(&a->timer, on_timer, 100, 100);
	if (a->mode == MODE_REPLAY) {
		uv_idle_init(src->loop, &a->idle);
		a->idle.data = a;
		uv_idle_start(&a->idle, on_replay_idle);
	} else {
		r = vigil_pacer_start(&a->pacer, src->loop, a->fd,
				      a->read_interval_ms, drain_intake, a);
		if (r) {
			snprintf(why, sizeof(why), "watching the intake: %s",
				 uv_strerror(r));
			r = -EIO;
			goto out_failed;
		}
	}
	vigil_source_set_state(src, strstr(why, "failed") ||
				       strstr(why, "immutable")
					       ? VIGIL_SOURCE_DEGRADED
					       : VIGIL_SOURCE_RUNNING,
			       mode_names[a->mode], "%s", why);
	return 0;

out_failed:
	vigil_source_set_state(src, VIGIL_SOURCE_FAILED, mode_names[a->mode],
			       "%s", why[0] ? why : strerror(-r));
	return r;
}

static void free_state(struct audit_src *a)
{
	vigil_audit_reasm_free(a->reasm);
	vigil_audit_builder_free(&a->builder);
	vigil_arena_free(&a->arena);
	vigil_buf_free(&a->line);
	free(a->nlbuf);
	free(a);
}

/* One of the state's handles (the timer, the idle or the pacer's) has
 * closed: the last one frees the state. */
static void on_pacer_closed(void *arg)
{
	struct audit_src *a = arg;

	if (--a->closing == 0)
		free_state(a);
}

static void on_closed(uv_handle_t *h)
{
	on_pacer_closed(h->data);
}

static void audit_stop(struct vigil_source *src)
{
	struct audit_src *a = vigil_source_take_priv(src);

	if (!a)
		return;
	if (a->reasm && a->handles_open)
		vigil_audit_reasm_flush(a->reasm);
	vigil__audit_release_kernel(a);
	if (a->mode == MODE_UNICAST && a->fd >= 0)
		vigil_audit_nl_unicast_close(a->fd);
	else if (a->fd >= 0 && a->fd != STDIN_FILENO)
		close(a->fd);
	if (src->state != VIGIL_SOURCE_FAILED)
		vigil_source_set_state(src, VIGIL_SOURCE_STOPPED,
				       mode_names[a->mode], "stopped");
	if (!a->handles_open) {
		free_state(a);
		return;
	}
	a->closing = 2;
	uv_close((uv_handle_t *)&a->timer, on_closed);
	if (a->mode == MODE_REPLAY)
		uv_close((uv_handle_t *)&a->idle, on_closed);
	else
		vigil_pacer_close(&a->pacer, on_pacer_closed);
}

/* What audit_status_json reports after the mode, key, rules mode and
 * fim watches, in its order (source_status.h): the reassembler's
 * numbers, ... */
#define RS struct vigil_audit_reasm_stats
static const struct vigil_status_field reasm_fields[] = {
	VIGIL_STATUS_U64("records", RS, records),
	VIGIL_STATUS_U64("events_assembled", RS, events),
	VIGIL_STATUS_U64("timeouts", RS, timeouts),
	VIGIL_STATUS_U64("evicted", RS, evicted),
	VIGIL_STATUS_U64("serial_gaps", RS, gaps),
};
#undef RS
/* ... the kernel's queue and the intake socket, then the rules
 * installed, ... */
#define A struct audit_src
static const struct vigil_status_field queue_fields[] = {
	VIGIL_STATUS_U64("kernel_lost", A, kernel_lost),
	VIGIL_STATUS_U32("backlog", A, backlog),
	VIGIL_STATUS_U64("enobufs", A, enobufs),
};
/* ... their re-installs and the event builder's numbers. */
static const struct vigil_status_field rebuild_fields[] = {
	VIGIL_STATUS_U64("rules_reinstalled", A, flushes),
	VIGIL_STATUS_U64("argv_incomplete", A, builder.incomplete_argv),
	VIGIL_STATUS_U64("malformed", A, builder.malformed),
};
#undef A

static int audit_status_json(struct vigil_source *src, struct vigil_buf *out)
{
	struct audit_src *a = src->priv;

	if (!a || !a->reasm)
		return 0;
	vigil_buf_printf(out,
			 "\"audit_mode\":\"%s\",\"key\":\"%s\","
			 "\"rules_mode\":\"%s\",\"fim_watches\":%u",
			 mode_names[a->mode], a->key,
			 a->rules_mode == VIGIL_AUDIT_RULES_DERIVED ? "derived" :
			 a->rules_mode == VIGIL_AUDIT_RULES_ALL	    ? "all" :
								      "none",
			 a->fim_watches);
	vigil_status_fields(out, vigil_audit_reasm_stats(a->reasm),
			    reasm_fields, VIGIL_ARRAY_SIZE(reasm_fields));
	vigil_status_fields(out, a, queue_fields,
			    VIGIL_ARRAY_SIZE(queue_fields));
	vigil_buf_printf(out, ",\"rules_installed\":%u",
			 a->rules.installed ? a->rules.n : 0);
	vigil_status_fields(out, a, rebuild_fields,
			    VIGIL_ARRAY_SIZE(rebuild_fields));
	if (a->mode != MODE_REPLAY && a->handles_open)
		vigil_pacer_status_json(&a->pacer, out);
	return 0;
}

int vigil_audit_source_rules_conf(const struct vigil_node *section,
				  char *key, size_t cap, int *mode,
				  struct vigil_buf *err)
{
	struct vigil_source src = { .config = section };
	struct audit_src *a = calloc(1, sizeof(*a));
	int rc;

	if (!a)
		return -ENOMEM;
	a->src = &src;
	rc = read_config(a, err);
	snprintf(key, cap, "%s", a->key);
	*mode = a->rules_mode;
	free(a);
	return rc;
}

/* The check op: read_config on a scratch state. */
static int audit_check(const struct vigil_node *section, bool *enabled,
		       struct vigil_buf *err)
{
	struct vigil_source src = { .config = section };
	struct audit_src a = { .src = &src };
	int rc = read_config(&a, err);

	*enabled = a.enabled;
	return rc;
}

const struct vigil_source_ops vigil_audit_source_ops = {
	.name = "audit",
	.start = audit_start,
	.stop = audit_stop,
	.status_json = audit_status_json,
	.check = audit_check,
	.reload = vigil__audit_reload,
};
