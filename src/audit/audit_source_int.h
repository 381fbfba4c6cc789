/*
 * audit_source_int.h - what the two parts of the audit source share and
 * nothing else uses: audit_source.c (the intake, the periodic checks, the
 * configuration, start, stop and status) and audit_source_kernel.c (what
 * the source sets in the kernel: its rules, kept through flushes and
 * swapped on reload, the enabled flag and the backlog, all put back on
 * stop).
 */
#ifndef VIGIL_AUDIT_SOURCE_INT_H
#define VIGIL_AUDIT_SOURCE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "pacer.h"
#include "source.h"
#include "audit/audit_event.h"
#include "audit/audit_reasm.h"
#include "audit/audit_rules.h"

enum audit_mode {
	MODE_AUTO = 0,
	MODE_MULTICAST,
	MODE_UNICAST,
	MODE_DISPATCHER,
	MODE_REPLAY,
};

/* The audit source's state (src->priv); owns everything in it but src. */
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

/* Submits an agent event of kind with count and detail (audit_lost,
 * audit_rules_flushed). */
void vigil__audit_agent_event(struct audit_src *a, const char *kind,
			      int64_t count, const char *detail);

/*
 * Turns auditing on if it was off, sizes the backlog (unicast), and
 * loads vigil's rules for the configured audit.rules (writing
 * audit.rules_file too).  What it did not manage is appended to why
 * (cap bytes): the source runs degraded, never fails, for it.
 */
void vigil__audit_setup_kernel(struct audit_src *a, char *why, size_t cap);

/* Re-installs vigil's rules if a flush removed any, and says so with an
 * audit_rules_flushed agent event. */
void vigil__audit_check_rules(struct audit_src *a);

/* The reload op: re-derives the rules and swaps them in (see there). */
int vigil__audit_reload(struct vigil_source *src);

/* Undoes vigil__audit_setup_kernel: removes vigil's rules, puts the
 * enabled flag and the backlog back, closes the control socket and
 * frees the rules. */
void vigil__audit_release_kernel(struct audit_src *a);

#endif /* VIGIL_AUDIT_SOURCE_INT_H */
