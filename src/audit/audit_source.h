/*
 * audit_source.h - the audit source for vigild: process execution and
 * kernel activity from the audit stream.
 *
 * Config (vigil.yaml "audit:" section, all optional):
 *   mode: auto | multicast | unicast | dispatcher | replay   (auto)
 *   key: vigil                 rule key; file events need it as prefix
 *   timeout: 2s                end-of-event timeout
 *   max_in_flight: 64          events being assembled
 *   rules: derived             kernel rules: derived from the policy (the
 *                              rules plugin's paths), all groups, or none
 *                              (true/false: all/none)
 *   rules_file: PATH           also write them as a rules.d file
 *   replay_file: PATH          the audit.log for mode replay
 *   receive_buffer: 8M         netlink socket buffer
 *   backlog_limit: 8192        unicast: raise the kernel queue to this
 *                              (0: leave alone); backlog_wait_time is
 *                              set to 0; both restored on stop
 *   check_interval: 1s         rules and lost-counter poll
 */
#ifndef VIGIL_AUDIT_SOURCE_H
#define VIGIL_AUDIT_SOURCE_H

#include "source.h"

extern const struct vigil_source_ops vigil_audit_source_ops;

/*
 * audit.key (into key[cap]) and audit.rules (enum vigil_audit_rules_mode)
 * of section (NULL: absent), read with the source's table, for vigilctl.
 * 0, or -EINVAL with "file:line:col: ..." in err.
 */
int vigil_audit_source_rules_conf(const struct vigil_node *section,
				  char *key, size_t cap, int *mode,
				  struct vigil_buf *err);

#endif /* VIGIL_AUDIT_SOURCE_H */
