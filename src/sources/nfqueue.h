/*
 * nfqueue.h - the DNS monitor: an NFQUEUE source (vigil_dns_source_ops).
 *
 * Configuration (the "dns:" section of vigil.yaml, all optional):
 *
 *   dns:
 *     queue: 53             # NFQUEUE number (0-65535)
 *     firewall: auto        # auto | nftables | iptables | none
 *     copy_range: 4096      # bytes of each packet copied to vigil
 *     queue_maxlen: 4096    # packets the kernel holds for vigil
 *     batch: 64             # packets read before one batch verdict
 *     pending: 4096         # queries remembered for answer matching
 *     pending_expiry: 5s    # how long a query waits for its answer
 *     mode: monitor         # monitor (only; block is a TODO)
 *
 * With firewall "none" vigil installs no rule: the operator queues port
 * 53 to the queue number himself (with bypass).
 *
 * Monitor mode gives NF_ACCEPT for every packet as soon as it is read
 * (one batch verdict per read), before any parsing, so DNS is never
 * delayed by more than one read.  The queue is fail-open (the kernel
 * accepts what does not fit in the queue) and every rule has bypass (the
 * kernel accepts when nobody listens).
 *
 * TODO(block mode): for `action: deny` rules on dns events, hold the
 * verdict of queries until the engines ran: parse first, submit, then
 * NF_DROP (or a forged NXDOMAIN) when a rule denied.  Needs a verdict
 * result from vigil_pipeline_submit(), which the pipeline does not have.
 */
#ifndef VIGIL_NFQUEUE_H
#define VIGIL_NFQUEUE_H

#include "source.h"

extern const struct vigil_source_ops vigil_dns_source_ops;

#endif /* VIGIL_NFQUEUE_H */
