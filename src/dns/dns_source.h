/*
 * dns_source.h - the DNS monitor: a source (vigil_dns_source_ops) reading DNS
 * packets from an NFQUEUE (nfqueue.h) or an NFLOG group (nflog.h).
 *
 * Configuration (the "dns:" section of vigil.yaml, all optional):
 *
 *   dns:
 *     capture: auto         # auto | nfqueue | nflog
 *     queue: 53             # NFQUEUE number or NFLOG group (0-65535)
 *     firewall: auto        # auto | nftables | iptables | none
 *     copy_range: 4096      # bytes of each packet copied to vigil
 *     queue_maxlen: 4096    # packets the kernel holds for vigil (nfqueue)
 *     batch: 64             # nfqueue: packets read before one batch
 *                           # verdict; nflog (default 256): most packets
 *                           # the kernel gathers per datagram under load
 *     pending: 4096         # queries remembered for answer matching
 *     pending_expiry: 5s    # how long a query waits for its answer
 *     mode: monitor         # monitor | block
 *
 * With firewall "none" vigil installs no rule: the operator sends port 53
 * to the queue (with bypass) or the log group himself.
 *
 * Capture.  NFQUEUE holds each packet until vigil's verdict; NFLOG gives
 * vigil a copy and holds nothing.  auto is NFQUEUE: even in monitor mode
 * the hold matters, because a client waits for its answer while vigil
 * reads its query, so a program that asks once and closes its socket
 * (dig, curl, the C library's stub resolver) is still in /proc to be
 * attributed.  NFLOG costs far less per packet (no verdict, no
 * reinjection in vigil's context, many packets per datagram under load;
 * bench/README.md has the figures) but such short-lived clients are often
 * gone before vigil looks, and their events then carry the socket's uid
 * without the process.  Choose nflog for hosts with heavy DNS traffic
 * (resolvers, DNS servers), where throughput matters most and most
 * clients are remote or long-lived.  In monitor mode auto falls back to
 * NFLOG when NFQUEUE is disabled or cannot be used (no queue expression
 * in nftables and no iptables; the queue held by another program).  Block
 * mode needs NFQUEUE: capture nflog with mode block is refused.
 * `vigilctl status` shows the capture and why ("capture",
 * "capture_reason").
 *
 * How each capture reads, batches and counts: nflog.h and nfqueue.h.
 * NFQUEUE monitor mode accepts every packet as soon as it is read,
 * before any parsing, so DNS is never delayed by more than one read.
 *
 * Block mode holds DNS queries until the engines ran: each is parsed and
 * submitted with vigil_pipeline_submit_verdict(), and gets NF_DROP when a
 * rule with `action: deny` matched it (the client times out; no answer is
 * forged), NF_ACCEPT otherwise.  Over TCP every segment with data for
 * port 53 is held; the one that completes a denied query is dropped, and
 * so is everything the client sends later on that connection (its
 * retransmits, further queries) until dns.pending_expiry passes.
 * Answers, TCP control segments and packets that are not DNS queries are
 * accepted at once, as in monitor mode; so are queries that do not parse
 * (fail-open).  The same fail-open queue and bypass rules apply: a
 * stopped, killed or overrun vigil blocks nothing.  Example rule:
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
#ifndef VIGIL_DNS_SOURCE_H
#define VIGIL_DNS_SOURCE_H

#include "source.h"

extern const struct vigil_source_ops vigil_dns_source_ops;

#endif /* VIGIL_DNS_SOURCE_H */
