/*
 * source.h - how an event source plugs into vigild.
 *
 * A source owns its kernel handles (netlink socket, fanotify group, NFQUEUE
 * socket), watches them with uv_poll on the daemon's loop, builds events
 * into its own reusable struct vigil_event (arena reset between events) and
 * hands each to vigil_pipeline_submit(), which enriches it, runs the
 * engines and delivers it to the sinks before returning.  The event is the
 * source's again when submit returns.
 *
 * Every source reports its state for `vigilctl status`: running, degraded
 * (with the reason), or stopped, the mode it picked (and why), and its
 * counters.
 */
#ifndef VIGIL_SOURCE_H
#define VIGIL_SOURCE_H

#include <stdint.h>

#include <uv.h>

#include <vigil/event.h>

#include "node.h"
#include "util.h"

struct vigil_pipeline;

/*
 * Feature mask: a bit per kernel feature a source probes.  A bit set in
 * agent.features.disable (vigil.yaml) makes the probe report the feature as
 * missing, so the fallback paths of old kernels run on a new one.
 */
enum vigil_feature {
	VIGIL_FEAT_AUDIT_MULTICAST = 1u << 0,   /* AUDIT_NLGRP_READLOG, 3.16 */
	VIGIL_FEAT_AUDIT_UNICAST = 1u << 1,     /* becoming the audit daemon */
	VIGIL_FEAT_AUDIT_BACKLOG_WAIT = 1u << 2, /* backlog_wait_time, 3.14 */
	VIGIL_FEAT_PROC_CONNECTOR = 1u << 3,
	VIGIL_FEAT_FANOTIFY = 1u << 4,
	VIGIL_FEAT_FANOTIFY_FID = 1u << 5,       /* FAN_REPORT_FID, 5.1 */
	VIGIL_FEAT_FANOTIFY_DFID_NAME = 1u << 6, /* FAN_REPORT_DFID_NAME, 5.9 */
	VIGIL_FEAT_FANOTIFY_MARK_FS = 1u << 7,   /* FAN_MARK_FILESYSTEM, 4.20 */
	VIGIL_FEAT_NFQUEUE = 1u << 8,
	VIGIL_FEAT_NFTABLES = 1u << 9,
	VIGIL_FEAT_IPTABLES = 1u << 10,
	VIGIL_FEAT_NFLOG = 1u << 11,           /* nfnetlink_log (DNS capture) */
};

/* Name <-> bit, for the config and for status output. */
uint32_t vigil_feature_from_name(const char *name);
const char *vigil_feature_name(uint32_t bit);

enum vigil_source_state {
	VIGIL_SOURCE_STOPPED = 0,
	VIGIL_SOURCE_RUNNING,
	VIGIL_SOURCE_DEGRADED, /* running with less than it should */
	VIGIL_SOURCE_FAILED,   /* could not start; reason says why */
	VIGIL_SOURCE_DISABLED, /* switched off in the config */
};

struct vigil_source;

struct vigil_source_ops {
	const char *name; /* "audit", "proc", "fanotify", "dns" */
	/* Open kernel handles and start watching them.  On failure set
	 * state FAILED with a reason and return a negative errno; the
	 * daemon goes on with the other sources. */
	int (*start)(struct vigil_source *src);
	/* Close everything and undo what start did in the kernel (audit
	 * rules, firewall rules).  Called once, also after a failed start. */
	void (*stop)(struct vigil_source *src);
	/* Append source-specific status members to a JSON object being
	 * built (without braces: "\"mode\":\"multicast\",..."). May be NULL. */
	int (*status_json)(struct vigil_source *src, struct vigil_buf *out);
	/* Configuration reloaded (SIGHUP).  May be NULL. */
	int (*reload)(struct vigil_source *src);
	/* Read what is waiting in the kernel now, without blocking; for
	 * sources that others name as their feeder.  Returns the number
	 * of messages read or a negative errno.  May be NULL. */
	int (*drain)(struct vigil_source *src);
	/* Validate this source's section (NULL: absent) without touching
	 * the kernel, for vigild --check-config and the registry: 0 with
	 * the section's "enabled" in *enabled, or -EINVAL with
	 * "file:line:col: ..." in err.  May be NULL. */
	int (*check)(const struct vigil_node *section, bool *enabled,
		     struct vigil_buf *err);
};

struct vigil_source {
	const struct vigil_source_ops *ops;
	struct vigil_pipeline *pipeline;
	uv_loop_t *loop;
	/* This source's section of vigil.yaml ("audit:"), or NULL.  Owned by
	 * the daemon; valid until the next reload. */
	const struct vigil_node *config;
	/* The section's name ("fim" for the fanotify source). */
	const char *section;
	/* A source this one backs up, started before it: the audit source
	 * watches the file-integrity trees with audit rules when fanotify
	 * cannot report creates and deletes (old kernels). */
	const struct vigil_source *peer;
	/* A source whose waiting input is read before each read of this
	 * one: the proc connector before audit, so that the process table
	 * has seen a child's fork before its exec is enriched, however the
	 * two sockets' reads are batched.  NULL when none. */
	struct vigil_source *feeder;
	uint32_t features_disabled; /* enum vigil_feature bits */
	/* A mode forced on the command line (vigild --audit-dispatcher),
	 * over the configuration's; NULL when none. */
	const char *mode_override;
	/* enum vigil_need bits (privs.h) this source still needs once
	 * started, for the mode it chose; set by start(). */
	uint32_t needs;
	/* Status, for vigilctl. */
	int state;          /* enum vigil_source_state */
	char mode[32];      /* "multicast", "fid", ... */
	char reason[256];   /* why this mode / why degraded or failed */
	uint64_t events_in; /* records or packets read */
	uint64_t events_out; /* events submitted */
	uint64_t drops;     /* dropped here (bad input, bounds) */
	uint64_t lost;      /* lost in the kernel (audit lost, overflow) */
	void *priv;         /* the source's own state */
};

/* Records state, mode and a formatted reason; logs the change. */
void vigil_source_set_state(struct vigil_source *src, int state,
			    const char *mode, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* For stop: the source's own state, detached from src so that it is
 * undone once.  NULL when start set none or stop already took it. */
static inline void *vigil_source_take_priv(struct vigil_source *src)
{
	void *priv = src->priv;

	src->priv = NULL;
	return priv;
}

/*
 * Runs ev through enrichment, the engines and the sinks.  Sets ev->id and,
 * when unset, ev->time_ns and ev->host.  Returns 0, or a negative errno if
 * the pipeline is shutting down.
 */
int vigil_pipeline_submit(struct vigil_pipeline *p, struct vigil_event *ev);

#endif /* VIGIL_SOURCE_H */
