/*
 * audit_source.c - the audit source (see audit_source.h).
 *
 * Intake (netlink, stdin or a log file) -> record parser -> reassembler
 * -> event builder -> vigil_pipeline_submit().  A timer drives the
 * reassembly timeout and, once a second, reads the kernel's lost and
 * backlog counters on a separate socket and checks that vigil's rules are
 * still loaded; a CONFIG_CHANGE record triggers the same check at once.
 * Loss and rule flushes become `agent` events.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libaudit.h>

#include "lang/policy.h"
#include "fim/fim.h"
#include "pipeline.h"
#include "schema.h"
#include "confmap.h"
#include "settings.h"
#include "audit/audit_event.h"
#include "audit/audit_netlink.h"
#include "audit/audit_reasm.h"
#include "audit/audit_rules.h"
#include "audit/audit_source.h"
#include "pacer.h"

enum audit_mode {
	MODE_AUTO = 0,
	MODE_MULTICAST,
	MODE_UNICAST,
	MODE_DISPATCHER,
	MODE_REPLAY,
};

static const char *const mode_names[] = {
	[MODE_AUTO] = "auto",		  [MODE_MULTICAST] = "multicast",
	[MODE_UNICAST] = "unicast",	  [MODE_DISPATCHER] = "dispatcher",
	[MODE_REPLAY] = "replay",
};

#ifndef AUDIT_FEATURE_BITMAP_BACKLOG_WAIT_TIME
#define AUDIT_FEATURE_BITMAP_BACKLOG_WAIT_TIME 0x00000002
#endif

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

struct audit_src {
	struct vigil_source *src;
	int mode;
	unsigned fim_watches; /* trees watched for the fim fallback */
	char key[64];
	char rules_file[1024];
	char replay_file[1024];
	int rules_mode; /* enum vigil_audit_rules_mode */
	int64_t timeout_ns;
	int64_t check_ns;
	uint32_t max_in_flight;
	int rcvbuf;

	bool enabled; /* read by the registry; here for the table */

	int fd;       /* intake: netlink socket, stdin or the replay file */
	int ctl_fd;   /* libaudit socket for rules; -1 if none */
	bool handles_open;
	struct vigil_pacer pacer; /* netlink and dispatcher intake */
	uint64_t read_interval_ms; /* see pacer.h; 0 reads every wake-up */
	uv_timer_t timer;
	uv_idle_t idle; /* replay */
	int closing;

	struct vigil_audit_reasm *reasm;
	struct vigil_audit_builder builder;
	struct vigil_arena arena;
	struct vigil_event ev;
	struct vigil_audit_rules rules;
	char *nlbuf;
	struct vigil_buf line; /* partial line (dispatcher, replay) */

	bool enabled_by_us;
	uint32_t backlog_limit;     /* wanted (unicast), 0 to leave alone */
	int64_t saved_backlog_limit; /* to restore on stop, -1 unchanged */
	int64_t saved_backlog_wait;  /* to restore on stop, -1 unchanged */
	bool have_lost;
	uint32_t last_lost;
	uint32_t backlog;
	uint64_t kernel_lost;
	uint64_t enobufs;
	uint64_t reported_gaps;
	uint64_t flushes;
	bool check_now;
	bool eof;
	int64_t last_check; /* monotonic ns of the last rules/lost check */
};

/* ---- events out ---- */

static void submit(struct audit_src *a)
{
	struct vigil_source *src = a->src;

	if (vigil_pipeline_submit(src->pipeline, &a->ev) == 0)
		src->events_out++;
}

static void agent_event(struct audit_src *a, const char *kind, int64_t count,
			const char *detail)
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
			agent_event(a, "audit_lost", d, msg);
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
		agent_event(a, "audit_lost", d, msg);
	}
}

/* Re-installs our rules if a flush removed any. */
static void check_rules(struct audit_src *a)
{
	char msg[160];
	int n;

	if (a->ctl_fd < 0 || !a->rules.n)
		return;
	n = vigil_audit_rules_count(&a->rules, a->ctl_fd);
	if (n < 0 || (unsigned)n >= a->rules.n)
		return;
	vigil_audit_rules_remove(&a->rules, a->ctl_fd);
	if (vigil_audit_rules_install(&a->rules, a->ctl_fd))
		return;
	a->flushes++;
	a->rules.reinstalls++;
	snprintf(msg, sizeof(msg),
		 "audit rules were flushed (%d of %u of vigil's left); "
		 "re-installed them", n, a->rules.n);
	vigil_warn("audit: %s", msg);
	agent_event(a, "audit_rules_flushed", (int64_t)a->rules.n, msg);
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
			check_rules(a);
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

/*
 * Unicast only: raises backlog_limit to the configured size when lower,
 * and, where the kernel has backlog_wait_time (3.14) and the feature
 * mask allows, sets it to 0 so a full queue drops (counted in lost)
 * instead of stalling every audited syscall.  Both are put back on stop.
 */
static void tune_backlog(struct audit_src *a, const struct audit_status *st)
{
	if (a->backlog_limit && st->backlog_limit < a->backlog_limit &&
	    audit_set_backlog_limit(a->ctl_fd, a->backlog_limit) > 0)
		a->saved_backlog_limit = st->backlog_limit;
	if (!(a->src->features_disabled & VIGIL_FEAT_AUDIT_BACKLOG_WAIT) &&
	    (st->feature_bitmap & AUDIT_FEATURE_BITMAP_BACKLOG_WAIT_TIME) &&
	    st->backlog_wait_time != 0 &&
	    audit_set_backlog_wait_time(a->ctl_fd, 0) > 0)
		a->saved_backlog_wait = st->backlog_wait_time;
}

/*
 * The file-integrity fallback.  When the fanotify source could not start
 * (no fanotify, or forced off by the feature mask) or runs on mount marks
 * (kernels before 5.1: modify and close_write only), vigil watches the
 * fim trees with audit rules, like auditctl -w DIR -p wa: creates,
 * deletes, renames, attribute changes and writes, with who did them.
 * When fanotify does the job, only the extended-attribute calls are
 * watched that way, and not even those when xattr_everywhere (the rules
 * derived from the policy audit them on every path already: one record
 * per call either way, so nothing is reported twice).  Appends the rules
 * to text.
 */
static int fim_watch_rules(struct audit_src *a, struct vigil_buf *text,
			   bool xattr_everywhere)
{
	static const char *const arches[] = { "b64", "b32" };
	const struct vigil_source *fim = a->src->peer;
	struct vigil_fim_config cfg;
	struct vigil_buf err = { 0 };
	struct stat st;
	int r;

	bool fallback;

	if (!fim || (fim->state != VIGIL_SOURCE_FAILED &&
		     fim->state != VIGIL_SOURCE_RUNNING &&
		     fim->state != VIGIL_SOURCE_DEGRADED))
		return 0;
	fallback = fim->state == VIGIL_SOURCE_FAILED ||
		   strcmp(fim->mode, "mount") == 0;
	if (!fallback && xattr_everywhere) {
		a->fim_watches = 0;
		return 0;
	}
	r = vigil_fim_config_defaults(&cfg);
	if (!r)
		r = vigil_fim_config_parse(&cfg, fim->config, &err);
	vigil_buf_free(&err);
	if (r) {
		vigil_fim_config_free(&cfg);
		return 0; /* the fim source reported its configuration */
	}
	a->fim_watches = 0;
	for (size_t i = 0; i < cfg.n_paths && !r; i++) {
		const char *dir = cfg.paths[i];

		/* the kernel refuses a watch on a missing directory, and a
		 * rule line cannot carry blanks */
		if (stat(dir, &st) || !S_ISDIR(st.st_mode) ||
		    strpbrk(dir, " \t\n")) {
			vigil_warn("audit: not watching %s for file integrity: missing, not a directory or has blanks",
				   dir);
			continue;
		}
		/* fanotify's FAN_ATTRIB does not tell an xattr change (file
		 * capabilities, ACLs, SELinux labels) from chmod: audit
		 * reports those even when fanotify does the rest */
		for (size_t k = 0; k < VIGIL_ARRAY_SIZE(arches) && !r; k++)
			r = fallback ?
				vigil_buf_printf(text,
						 "-a always,exit -F arch=%s -S all -F dir=%s -F perm=wa -k %s\n",
						 arches[k], dir, a->key) :
				vigil_buf_printf(text,
						 "-a always,exit -F arch=%s -S setxattr -S lsetxattr -S fsetxattr -S removexattr -S lremovexattr -S fremovexattr -F dir=%s -k %s\n",
						 arches[k], dir, a->key);
		a->fim_watches++;
	}
	vigil_fim_config_free(&cfg);
	return r;
}

/*
 * The auditctl lines of the rules to install (vigil_audit_rules_derive)
 * into text.  With audit.rules derived the policy is loaded as the rules
 * engine loads it; a policy that does not load gives -EINVAL with the
 * reasons in err (the caller decides: all at start, keep on reload).
 * Returns 0, -EINVAL or -ENOMEM.
 */
static int kernel_rules_text(struct audit_src *a, struct vigil_buf *text,
			     struct vigil_buf *err)
{
	const struct vigil_config *cfg =
		a->src->pipeline ? a->src->pipeline->cfg : NULL;
	struct vigil_ruleset *rs = NULL;
	int r;

	r = vigil_audit_rules_load_policy(cfg, vigil_fields(), &rs, err);
	if (a->rules_mode == VIGIL_AUDIT_RULES_DERIVED) {
		if (r)
			return -EINVAL;
		r = vigil_audit_rules_derive(rs, a->key, (int)getpid(), text);
	} else {
		/* all: the policy only adds its path watches, if it loads */
		r = vigil_audit_rules_derive_all(rs, a->key, (int)getpid(),
						 text);
	}
	if (!r)
		r = fim_watch_rules(a, text,
				    a->rules_mode != VIGIL_AUDIT_RULES_DERIVED ||
				    vigil_audit_rules_xattr_everywhere(rs));
	vigil_ruleset_free(rs);
	return r;
}

/* The rules for the configured mode into a->rules; at start a policy
 * that does not load falls back to every group (noted in why). */
static int build_rules(struct audit_src *a, char *why, size_t cap)
{
	struct vigil_buf text = { 0 }, err = { 0 };
	int r;

	r = kernel_rules_text(a, &text, &err);
	if (r == -EINVAL) {
		const char *e = vigil_buf_cstr(&err);
		size_t len = strcspn(e, "\n");

		snprintf(why + strlen(why), cap - strlen(why),
			 "; the policy did not load (%.*s): installed every "
			 "syscall group (deriving failed)", (int)len, e);
		vigil_buf_reset(&text);
		r = vigil_audit_rules_derive(NULL, a->key, (int)getpid(),
					     &text);
		if (!r)
			r = fim_watch_rules(a, &text, true);
	}
	if (!r)
		r = vigil_audit_rules_from_text(&a->rules, a->key,
						vigil_buf_cstr(&text));
	vigil_buf_free(&text);
	vigil_buf_free(&err);
	return r;
}

/*
 * Tells the event builder what a->rules ask the kernel for, so that a
 * record of such a call counts even under another rule's key (the kernel
 * logs the first rule that matches).  Logs and keeps the builder as it
 * was when out of memory.
 */
static void builder_take_rules(struct audit_src *a)
{
	char **paths;
	size_t n;
	bool xattr;

	if (vigil_audit_rules_asks(&a->rules, &paths, &n, &xattr) ||
	    vigil_audit_builder_set_watches(&a->builder,
					    (const char *const *)paths, n,
					    xattr))
		vigil_warn("audit: out of memory noting the watched paths: "
			   "file records under another key are dropped");
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

/* Loads vigil's rules and turns auditing on if it was off. */
static void setup_kernel(struct audit_src *a, char *why, size_t cap)
{
	struct audit_status st;
	char path_err[1200];
	int r;

	if (a->rules_mode == VIGIL_AUDIT_RULES_NONE)
		return;
	a->ctl_fd = audit_open();
	if (a->ctl_fd < 0) {
		snprintf(why + strlen(why), cap - strlen(why),
			 "; no audit control socket: rules not loaded");
		return;
	}
	if (vigil_audit_nl_status(&st) == 0) {
		if (st.enabled == 2) {
			snprintf(why + strlen(why), cap - strlen(why),
				 "; audit rules are immutable (-e 2): using "
				 "the rules loaded at boot");
			audit_close(a->ctl_fd);
			a->ctl_fd = -1;
			return;
		}
		if (st.enabled == 0 && audit_set_enabled(a->ctl_fd, 1) > 0)
			a->enabled_by_us = true;
		/* As the audit daemon, vigil sizes the kernel queue; as a
		 * multicast reader it leaves that to auditd. */
		if (a->mode == MODE_UNICAST)
			tune_backlog(a, &st);
	}
	r = build_rules(a, why, cap);
	if (!r) {
		int stale = vigil_audit_rules_remove_stale(&a->rules,
							   a->ctl_fd);

		if (stale > 0)
			vigil_warn("audit: removed %d rules under key '%s' left by an earlier vigild that did not stop cleanly",
				   stale, a->key);
		else if (stale == -EBUSY)
			vigil_warn("audit: another running vigild installed rules under key '%s'; both now share them (give one of them another audit.key)",
				   a->key);
		r = vigil_audit_rules_install(&a->rules, a->ctl_fd);
		builder_take_rules(a);
	}
	if (r)
		snprintf(why + strlen(why), cap - strlen(why),
			 "; loading audit rules failed: %s", strerror(-r));
	if (a->rules_file[0]) {
		r = vigil_audit_rules_write_file(&a->rules, a->rules_file);
		if (r) {
			snprintf(path_err, sizeof(path_err),
				 "; writing %s failed: %s", a->rules_file,
				 strerror(-r));
			strncat(why, path_err, cap - strlen(why) - 1);
		}
	}
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
		setup_kernel(a, why, sizeof(why));
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

/* The state is freed when the last uv handle has closed. */
static void on_closed(uv_handle_t *h)
{
	struct audit_src *a = h->data;

	if (--a->closing == 0)
		free_state(a);
}

static void on_pacer_closed(void *arg)
{
	struct audit_src *a = arg;

	if (--a->closing == 0)
		free_state(a);
}

static void audit_stop(struct vigil_source *src)
{
	struct audit_src *a = src->priv;

	if (!a)
		return;
	src->priv = NULL;
	if (a->reasm && a->handles_open)
		vigil_audit_reasm_flush(a->reasm);
	if (a->ctl_fd >= 0) {
		vigil_audit_rules_remove(&a->rules, a->ctl_fd);
		/* Put auditing back as we found it: off only if we turned
		 * it on (never off when someone else had it on). */
		if (a->enabled_by_us &&
		    audit_set_enabled(a->ctl_fd, 0) < 0)
			vigil_warn("audit: could not turn auditing back off "
				   "(auditctl -e 0 does it)");
		if (a->saved_backlog_limit >= 0)
			audit_set_backlog_limit(a->ctl_fd,
						(uint32_t)a->saved_backlog_limit);
		if (a->saved_backlog_wait >= 0)
			audit_set_backlog_wait_time(
				a->ctl_fd, (uint32_t)a->saved_backlog_wait);
		audit_close(a->ctl_fd);
	}
	vigil_audit_rules_free(&a->rules);
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

/* Whether line is one of r's rules. */
static bool has_line(const struct vigil_audit_rules *r, const char *line)
{
	for (unsigned i = 0; i < r->n; i++)
		if (strcmp(r->line[i], line) == 0)
			return true;
	return false;
}

/*
 * SIGHUP: re-derives the kernel rules from the (re)loaded policy and
 * swaps them in, adding the new ones before deleting those that are no
 * longer wanted, so nothing the policy needs is ever unwatched.  A
 * policy that does not load keeps the installed rules.  The mode, key
 * and intake are not re-read (they need a restart).  Returns 0 or a
 * negative errno.
 */
static int audit_reload(struct vigil_source *src)
{
	struct audit_src *a = src->priv;
	struct vigil_buf text = { 0 }, err = { 0 };
	struct vigil_audit_rules next;
	unsigned i, added = 0, removed = 0;
	int r;

	if (!a || a->ctl_fd < 0 || a->rules_mode != VIGIL_AUDIT_RULES_DERIVED)
		return 0;
	r = kernel_rules_text(a, &text, &err);
	if (r == -EINVAL) {
		vigil_err("audit: the policy did not load; keeping the "
			  "installed kernel rules: %s", vigil_buf_cstr(&err));
		goto out_free_text;
	}
	if (!r)
		r = vigil_audit_rules_from_text(&next, a->key,
						vigil_buf_cstr(&text));
	if (r) {
		vigil_err("audit: deriving kernel rules failed (%s); keeping "
			  "the installed ones", strerror(-r));
		goto out_free_text;
	}
	/* Only the rules not installed yet go in: the kernel does not see a
	 * prepended rule as a duplicate of itself, so re-adding the never
	 * rule would double it. */
	for (i = 0; i < next.n && !r; i++) {
		if (has_line(&a->rules, next.line[i]))
			continue;
		/* a sequence number (> 0) on success */
		r = audit_add_rule_data(a->ctl_fd, next.rule[i], next.flags[i],
					next.action[i]);
		if (r > 0 || r == -EEXIST)
			r = 0;
		added += r == 0;
	}
	if (r) {
		/* some did not go in: take back the new ones only */
		for (i = 0; i < next.n; i++)
			if (!has_line(&a->rules, next.line[i]))
				audit_delete_rule_data(
					a->ctl_fd, next.rule[i],
					next.flags[i] & ~AUDIT_FILTER_PREPEND,
					next.action[i]);
		vigil_err("audit: installing the new kernel rules failed "
			  "(%s); keeping the installed ones", strerror(-r));
		vigil_audit_rules_free(&next);
		goto out_free_text;
	}
	for (i = 0; i < a->rules.n; i++) {
		if (has_line(&next, a->rules.line[i]))
			continue;
		audit_delete_rule_data(a->ctl_fd, a->rules.rule[i],
				       a->rules.flags[i] & ~AUDIT_FILTER_PREPEND,
				       a->rules.action[i]);
		removed++;
	}
	next.installed = true;
	next.reinstalls = a->rules.reinstalls;
	vigil_audit_rules_free(&a->rules);
	a->rules = next;
	builder_take_rules(a);
	vigil_notice("audit: kernel rules re-derived: %u rules, %u added, "
		     "%u removed", a->rules.n, added, removed);
	if (a->rules_file[0] &&
	    (r = vigil_audit_rules_write_file(&a->rules, a->rules_file)))
		vigil_warn("audit: writing %s failed: %s", a->rules_file,
			   strerror(-r));
	r = 0;
out_free_text:
	vigil_buf_free(&text);
	vigil_buf_free(&err);
	return r;
}

static int audit_status_json(struct vigil_source *src, struct vigil_buf *out)
{
	struct audit_src *a = src->priv;
	const struct vigil_audit_reasm_stats *st;

	if (!a || !a->reasm)
		return 0;
	st = vigil_audit_reasm_stats(a->reasm);
	vigil_buf_printf(out,
			 "\"audit_mode\":\"%s\",\"key\":\"%s\","
			 "\"rules_mode\":\"%s\",\"fim_watches\":%u,"
			 "\"records\":%llu,\"events_assembled\":%llu,"
			 "\"timeouts\":%llu,\"evicted\":%llu,"
			 "\"serial_gaps\":%llu,\"kernel_lost\":%llu,"
			 "\"backlog\":%u,\"enobufs\":%llu,"
			 "\"rules_installed\":%u,\"rules_reinstalled\":%llu,"
			 "\"argv_incomplete\":%llu,\"malformed\":%llu",
			 mode_names[a->mode], a->key,
			 a->rules_mode == VIGIL_AUDIT_RULES_DERIVED ? "derived" :
			 a->rules_mode == VIGIL_AUDIT_RULES_ALL	    ? "all" :
								      "none",
			 a->fim_watches,
			 (unsigned long long)st->records,
			 (unsigned long long)st->events,
			 (unsigned long long)st->timeouts,
			 (unsigned long long)st->evicted,
			 (unsigned long long)st->gaps,
			 (unsigned long long)a->kernel_lost, a->backlog,
			 (unsigned long long)a->enobufs,
			 a->rules.installed ? a->rules.n : 0,
			 (unsigned long long)a->flushes,
			 (unsigned long long)a->builder.incomplete_argv,
			 (unsigned long long)a->builder.malformed);
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
	.reload = audit_reload,
};
