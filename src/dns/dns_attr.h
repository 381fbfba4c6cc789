/*
 * dns_attr.h - which process sent a DNS packet.
 *
 * NFQUEUE gives the uid and gid of the sending socket for locally sent
 * packets.  For the process, the socket is looked up by its 4-tuple with
 * sock_diag (NETLINK_SOCK_DIAG, inet_diag exact lookup), which gives its
 * inode; the inode is mapped to a pid by scanning /proc/<pid>/fd.
 *
 * Before a full scan, the fds of the last VIGIL_DNS_RECENT_PIDS senders
 * are read: a program that opens a new socket per query (dig, getent,
 * most stub resolvers) is found there without scanning everything.
 *
 * Cost and limits: a scan reads the fd links of the processes (of the
 * socket's uid when known), newest first, until it finds the socket, at
 * most VIGIL_DNS_SCAN_BUDGET links, and after a scan that read more than
 * VIGIL_DNS_SCAN_CHEAP links, not again within VIGIL_DNS_SCAN_INTERVAL_NS;
 * every socket inode it meets is
 * remembered (bounded cache), so a long-lived resolver client (a browser,
 * systemd-resolved, nscd) costs one scan.  Short-lived clients in a burst
 * beyond the scan rate are not attributed and are counted as misses.  A
 * socket shared by several processes is attributed to the first found.
 * Sockets already closed when the packet is processed cannot be found;
 * answers therefore inherit the attribution of their query.
 */
#ifndef VIGIL_DNS_ATTR_H
#define VIGIL_DNS_ATTR_H

#include <stdbool.h>
#include <stdint.h>

#include <vigil/event.h>

#include "proc/procfs.h"
#include "util.h"

#define VIGIL_DNS_SCAN_BUDGET 65536
#define VIGIL_DNS_SCAN_INTERVAL_NS 5000000 /* 5 ms */
#define VIGIL_DNS_SCAN_CHEAP 256
#define VIGIL_DNS_INODE_CACHE 4096
#define VIGIL_DNS_RECENT_PIDS 8
#define VIGIL_DNS_PROC_CACHE 64
#define VIGIL_DNS_FLOW_CACHE 256
/* Pids a scan looks at, newest first (the kernel's default pid_max). */
#define VIGIL_DNS_SCAN_PIDS 32768
/* How long /proc details of a pid, and the pid behind a local endpoint,
 * are reused without asking the kernel again. */
#define VIGIL_DNS_CACHE_TTL_NS 1000000000 /* 1 s */

struct vigil_dns_inode_slot;
struct vigil_dns_proc_slot;
struct vigil_dns_flow_slot;

struct vigil_dns_attr {
	int diag_fd; /* NETLINK_SOCK_DIAG socket, owned; -1 if unavailable */
	uint32_t diag_seq;
	struct vigil_dns_inode_slot *cache; /* owned, VIGIL_DNS_INODE_CACHE */
	struct vigil_dns_proc_slot *procs;  /* owned, VIGIL_DNS_PROC_CACHE */
	struct vigil_dns_flow_slot *flows;  /* owned, VIGIL_DNS_FLOW_CACHE */
	int32_t *scan_pids;                 /* owned, VIGIL_DNS_SCAN_PIDS */
	struct vigil_procfs procfs; /* owned; root_fd -1 without /proc */
	int64_t last_scan_ns;
	size_t last_scan_links; /* fd links the last scan read */
	int32_t recent[VIGIL_DNS_RECENT_PIDS]; /* last senders found */
	unsigned int recent_next;
	/* Counters for status. */
	uint64_t diag_found, diag_missed;
	uint64_t cache_hits, recent_hits, scans, scans_skipped, scan_found;
	uint64_t proc_cache_hits, flow_cache_hits;
};

/* Opens the sock_diag socket and the inode cache.  Returns 0 or -ENOMEM;
 * without sock_diag it still succeeds (diag_fd -1, lookups miss). */
int vigil_dns_attr_init(struct vigil_dns_attr *a)
	__attribute__((warn_unused_result));
void vigil_dns_attr_free(struct vigil_dns_attr *a);

/*
 * Finds the local socket of a flow: proto IPPROTO_UDP/TCP, local and
 * remote endpoints as seen from this host.  Returns 0 with *inode and
 * *uid set, or a negative errno (-ENOENT: no such socket).
 */
int vigil_dns_attr_socket(struct vigil_dns_attr *a, uint8_t proto,
			  const struct vigil_ip *local, uint16_t local_port,
			  const struct vigil_ip *remote, uint16_t remote_port,
			  uint64_t *inode, uint32_t *uid);

/*
 * Maps a socket inode to a pid, from the cache or a bounded /proc scan
 * (only processes owned by uid unless uid is VIGIL_ID_UNSET).  now_ns is
 * monotonic.  Returns the pid, or a negative errno (-ENOENT not found,
 * -EAGAIN scan skipped by the rate limit).
 */
int vigil_dns_attr_pid(struct vigil_dns_attr *a, uint64_t inode, uint32_t uid,
		       int64_t now_ns);

/*
 * Fills pid, ppid, comm, exe (file.path) and argv of p from /proc/<pid>;
 * what was read less than VIGIL_DNS_CACHE_TTL_NS ago is reused (a pid
 * reused within that second shows the old program).  The strings and the
 * argv array are not copied: they belong to a's cache and stay valid
 * until the next call (an event is submitted before the next packet is
 * read).  arena is unused (kept for callers that copy).  uid/gid are
 * left to the caller.  Returns 0 or a negative errno (-ENOENT: the
 * process is gone).
 */
int vigil_dns_attr_fill(struct vigil_dns_attr *a, struct vigil_process *p,
			int32_t pid, int64_t now_ns, struct vigil_arena *arena);

/*
 * The pid that sent from a local endpoint (proto, address, port) less
 * than VIGIL_DNS_CACHE_TTL_NS ago, or 0.  Saves a sock_diag lookup per
 * query for clients that keep their socket (resolvers, browsers); a port
 * closed and reused by another process within that second is
 * misattributed.
 */
int32_t vigil_dns_attr_flow_get(struct vigil_dns_attr *a, uint8_t proto,
				const struct vigil_ip *local,
				uint16_t local_port, int64_t now_ns);
void vigil_dns_attr_flow_put(struct vigil_dns_attr *a, uint8_t proto,
			     const struct vigil_ip *local, uint16_t local_port,
			     int64_t now_ns, int32_t pid);

#endif /* VIGIL_DNS_ATTR_H */
