/*
 * registry.c - which sources vigild runs, and the process table that
 * enriches their events.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fim/fim.h"
#include "privs.h"
#include "proc/proctable.h"
#include "audit/audit_source.h"
#include "fim/fanotify.h"
#include "dns/dns_source.h"
#include "proc/proc_connector.h"
#include "daemon/registry.h"

/*
 * Every source of this build, in start order (the proc connector first so
 * the table follows forks before other sources report on the children;
 * fanotify before audit, which watches the fim trees itself when
 * fanotify cannot report creates and deletes),
 * with the capabilities it still needs once running: vigild drops every
 * other one after the sources start, and stop() must still be able to
 * undo what start() did in the kernel.
 */
static const struct {
	const struct vigil_source_ops *ops;
	const char *section; /* in vigil.yaml */
	uint32_t needs;
} all_sources[] = {
	/* /proc/PID/exe, cwd and fd of every user's processes, for the
	 * table's misses */
	{ &vigil_proc_source_ops, "proc",
	  VIGIL_NEED_SYS_PTRACE | VIGIL_NEED_DAC_READ_SEARCH },
	/* marks on new directories, file handles to paths, hashing files
	 * any user owns, the acting process's /proc entries */
	{ &vigil_fim_source_ops, "fim", VIGIL_NEED_SYS_ADMIN |
					 VIGIL_NEED_DAC_READ_SEARCH |
					 VIGIL_NEED_SYS_PTRACE },
	/* re-install rules after a flush, remove them at exit, read the
	 * lost counter; the multicast group */
	{ &vigil_audit_source_ops, "audit",
	  VIGIL_NEED_AUDIT_CONTROL | VIGIL_NEED_AUDIT_READ },
	/* the queue and the firewall rules removed at exit; attribution
	 * reads other users' /proc/PID/fd */
	{ &vigil_dns_source_ops, "dns", VIGIL_NEED_NET_ADMIN |
					 VIGIL_NEED_SYS_PTRACE |
					 VIGIL_NEED_DAC_READ_SEARCH },
	{ NULL, NULL, 0 },
};

/*
 * The pipeline's enrichment step.  An exec event from audit carries the
 * new image: it updates the table before the table fills the event's gaps
 * (names, container, ancestry).  An unlink of the process's own
 * executable then names the image as the kernel does from that moment
 * on (vigil_fim_mark_self_delete): the table keeps the name it had at
 * exec.
 */
static int enrich(void *arg, struct vigil_event *ev)
{
	struct vigil_sources *s = arg;
	int rc;

	if (ev->type == VIGIL_EV_EXEC && ev->source == VIGIL_SRC_AUDIT &&
	    ev->process.pid > 0)
		vigil_proctable_on_exec(s->proctable, &ev->process,
					ev->time_ns);
	if (ev->process.pid <= 0)
		return 0;
	rc = vigil_proctable_enrich(s->proctable, ev);
	if (!rc && vigil_fim_mark_self_delete(ev) < 0)
		rc = -ENOMEM;
	return rc;
}

/*
 * Every 5 s: drops exited processes past their linger time, and checks
 * some live ones against /proc, in case their exit was lost (proc
 * connector overrun, or no connector).  512 stat reads a tick cost about
 * 5 ms and go round a table of 32768 live entries in under 6 minutes.
 */
#define LIVE_CHECKS_PER_TICK 512

static void on_expire(uv_timer_t *t)
{
	struct vigil_sources *s = t->data;
	int64_t now = vigil_now_ns();

	vigil_proctable_expire(s->proctable, now);
	vigil_proctable_check_live(s->proctable, now, LIVE_CHECKS_PER_TICK);
}

int vigil_sources_register(struct vigil_sources *s, struct vigil_pipeline *p,
			   const struct vigil_config *cfg)
{
	size_t n = 0;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = vigil_proctable_new(vigil_proc_source_max_processes(
					 vigil_config_section(cfg, "proc")),
				 &s->proctable);
	if (rc)
		return rc;
	rc = vigil_proctable_seed(s->proctable, "/proc");
	if (rc)
		vigil_warn("process table: seeding from /proc failed: %s; ancestry fills in as processes are seen",
			   strerror(-rc));
	p->enrich = enrich;
	p->enrich_arg = s;
	if (p->loop) {
		uv_timer_init(p->loop, &s->expire_timer);
		s->expire_timer.data = s;
		uv_timer_start(&s->expire_timer, on_expire, 5000, 5000);
		s->timer_started = true;
	}

	while (all_sources[n].ops)
		n++;
	s->list = calloc(n, sizeof(*s->list));
	if (!s->list)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct vigil_source *src = &s->list[s->n++];
		struct vigil_buf err = { 0 };
		const struct vigil_node *sec;
		bool enabled = true;

		src->ops = all_sources[i].ops;
		src->section = all_sources[i].section;
		src->needs = all_sources[i].needs;
		if (src->ops == &vigil_audit_source_ops && cfg->audit_dispatcher)
			src->mode_override = "dispatcher";
		sec = vigil_config_section(cfg, src->section);
		src->config = sec;
		/* "enabled" through the source's table; a section that
		 * does not read leaves it on, and its start says why */
		if (src->ops->check && src->ops->check(sec, &enabled, &err))
			enabled = true;
		vigil_buf_free(&err);
		if (!enabled)
			src->state = VIGIL_SOURCE_DISABLED;
		rc = vigil_pipeline_add_source(p, src);
		if (rc)
			return rc;
		if (!enabled)
			snprintf(src->reason, sizeof(src->reason),
				 "%s.enabled is false in %s", src->section,
				 cfg->path);
		if (!enabled)
			continue;
		if (src->ops == &vigil_audit_source_ops && s->n >= 2 &&
		    s->list[s->n - 2].ops == &vigil_fim_source_ops &&
		    s->list[s->n - 2].state != VIGIL_SOURCE_DISABLED)
			src->peer = &s->list[s->n - 2];
		/* The proc connector is registered first: audit reads its
		 * waiting forks before each read of its own. */
		if (src->ops == &vigil_audit_source_ops &&
		    s->list[0].ops == &vigil_proc_source_ops &&
		    s->list[0].state != VIGIL_SOURCE_DISABLED)
			src->feeder = &s->list[0];
		if (src->ops == &vigil_proc_source_ops) {
			rc = vigil_proc_source_attach(src, s->proctable);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int vigil_sources_check(const struct vigil_config *cfg, struct vigil_buf *err)
{
	for (size_t i = 0; all_sources[i].ops; i++) {
		const struct vigil_source_ops *ops = all_sources[i].ops;
		const struct vigil_node *sec =
			vigil_config_section(cfg, all_sources[i].section);
		bool enabled;
		int rc;

		if (!ops->check)
			continue;
		rc = ops->check(sec, &enabled, err);
		if (rc)
			return rc;
	}
	return 0;
}

void vigil_sources_free(struct vigil_sources *s)
{
	if (s->timer_started)
		uv_timer_stop(&s->expire_timer);
	free(s->list);
	s->list = NULL;
	s->n = 0;
	vigil_proctable_free(s->proctable);
	s->proctable = NULL;
}
