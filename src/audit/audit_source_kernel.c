/*
 * audit_source_kernel.c - what the audit source sets in the kernel:
 * auditing turned on if it was off, the backlog sized and
 * backlog_wait_time zeroed (unicast), vigil's rules derived from the
 * policy (audit_rules.h) plus the file-integrity fallback watches,
 * installed at start, re-installed after a flush, swapped on reload
 * without a gap, and all of it put back on stop.
 */
#include "config.h"

#include <errno.h>
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
#include "audit/audit_netlink.h"
#include "audit/audit_source_int.h"

#ifndef AUDIT_FEATURE_BITMAP_BACKLOG_WAIT_TIME
#define AUDIT_FEATURE_BITMAP_BACKLOG_WAIT_TIME 0x00000002
#endif

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
void vigil__audit_setup_kernel(struct audit_src *a, char *why, size_t cap)
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

/* Re-installs our rules if a flush removed any. */
void vigil__audit_check_rules(struct audit_src *a)
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
	vigil__audit_agent_event(a, "audit_rules_flushed", (int64_t)a->rules.n,
				 msg);
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
int vigil__audit_reload(struct vigil_source *src)
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

void vigil__audit_release_kernel(struct audit_src *a)
{
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
}
