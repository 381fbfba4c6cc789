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
 *     mode: monitor         # monitor | block
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
 * Block mode holds UDP queries until the engines ran: each is parsed and
 * submitted with vigil_pipeline_submit_verdict(), and gets NF_DROP when a
 * rule with `action: deny` matched it (the client times out; no answer is
 * forged), NF_ACCEPT otherwise.  Answers, TCP segments (monitored but
 * never held: blocking DNS over TCP is not implemented), and packets that
 * are not DNS queries are accepted at once, as in monitor mode; so
 * are queries that do not parse (fail-open).  The same fail-open queue
 * and bypass rules apply: a stopped, killed or overrun vigil blocks
 * nothing.  Example rule:
 *
 *   - list: blocked_domains
 *     items: [tracker.example, malware.example]
 *   - rule: deny_listed_domains
 *     description: lookup of a domain on the block list
 *     severity: high
 *     expression: dns.question.name in blocked_domains
 *     action: deny
 *
 * A rule may use action: deny only on dns events (the policy refuses it
 * elsewhere) and not with every: (suppressed matches raise no signal).
 */
#ifndef VIGIL_NFQUEUE_H
#define VIGIL_NFQUEUE_H

#include "source.h"

extern const struct vigil_source_ops vigil_dns_source_ops;

#endif /* VIGIL_NFQUEUE_H */
