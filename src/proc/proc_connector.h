/*
 * proc_connector.h - the proc connector source: fork, exec, exit and
 * credential changes from the kernel (NETLINK_CONNECTOR, CN_IDX_PROC).
 *
 * It keeps the process table current and submits "fork" and "exit" events
 * with the process context from the table.  Exec events come from audit,
 * which knows the arguments; here an exec only refreshes the table from
 * /proc.
 *
 * Configuration (the source's section, src->config):
 *   rcvbuf: 8M             socket receive buffer; an overrun loses events
 *   read_exec_image: true  re-read exe and argv from /proc after each exec
 *                          (stat, status, cmdline, exe: ~30 us a process
 *                          against ~60 us for a full read, measured with
 *                          bench/proctable_bench); false when the audit
 *                          source feeds exec events into the table anyway
 */
#ifndef VIGIL_PROC_CONNECTOR_H
#define VIGIL_PROC_CONNECTOR_H

#include "proc/proctable.h"
#include "source.h"

/* Default SO_RCVBUF: about 100k queued events at ~80 bytes each. */
#define VIGIL_PROC_RCVBUF_DEFAULT (8 * 1024 * 1024)

extern const struct vigil_source_ops vigil_proc_source_ops;

/*
 * Gives the source the table it keeps current and reads.  Call once before
 * ops->start; the table is not owned by the source and must outlive it.
 * Allocates the source's private state (src->priv, freed by ops->stop).
 * Returns 0, -EBUSY if already attached, or -ENOMEM.
 */
/*
 * proc.max_processes of section (NULL: absent), read with the source's
 * table: the size of the process table.  A section that does not read
 * gives the default (the source's start then fails and says why).
 */
size_t vigil_proc_source_max_processes(const struct vigil_node *section);

int vigil_proc_source_attach(struct vigil_source *src,
			     struct vigil_proctable *t)
	__attribute__((warn_unused_result));

#endif /* VIGIL_PROC_CONNECTOR_H */
