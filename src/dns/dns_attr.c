/*
 * dns_attr.c - process attribution for DNS packets (dns_attr.h).
 *
 * /proc is read through libvigilproc's reader (src/proc/procfs.c): the
 * pid list, the fd links of a process and its details.  The caches here
 * serve attribution alone: socket inode -> pid (a scan is costly), the
 * recent senders, and the details of a pid for a second (a client sends
 * several queries in a burst).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dns/dns_attr.h"

struct vigil_dns_inode_slot {
	uint64_t inode; /* 0: free */
	int32_t pid;
};

#define PROC_SLOT_ARENA 4096

/* What an event shows of a process, as read from /proc at read_ns.  The
 * strings live in the slot's arena, so an event can point here instead
 * of copying. */
struct vigil_dns_proc_slot {
	int32_t pid; /* 0: free */
	int64_t read_ns;
	struct vigil_process proc;
	struct vigil_arena arena;
};

/* The sender of the last packets from one local endpoint. */
struct vigil_dns_flow_slot {
	struct vigil_ip ip;
	uint16_t port;
	uint8_t proto;
	int32_t pid; /* 0: free */
	int64_t seen_ns;
};

/* Every TCP state: a DNS-over-TCP socket may be closing already. */
#define DIAG_ALL_STATES (~0u)
#define DIAG_RECV_BUF 8192
#define PROC_ROOT "/proc"

int vigil_dns_attr_init(struct vigil_dns_attr *a)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };

	memset(a, 0, sizeof(*a));
	a->diag_fd = -1;
	a->procfs.root_fd = -1;
	a->cache = calloc(VIGIL_DNS_INODE_CACHE, sizeof(*a->cache));
	a->procs = calloc(VIGIL_DNS_PROC_CACHE, sizeof(*a->procs));
	a->flows = calloc(VIGIL_DNS_FLOW_CACHE, sizeof(*a->flows));
	a->scan_pids = calloc(VIGIL_DNS_SCAN_PIDS, sizeof(*a->scan_pids));
	if (!a->cache || !a->procs || !a->flows || !a->scan_pids) {
		vigil_dns_attr_free(a);
		return -ENOMEM;
	}
	for (size_t i = 0; i < VIGIL_DNS_PROC_CACHE; i++)
		vigil_arena_init(&a->procs[i].arena, PROC_SLOT_ARENA);
	/* Without /proc, lookups fail and events carry no process. */
	if (vigil_procfs_open(&a->procfs, PROC_ROOT))
		a->procfs.root_fd = -1;
	a->diag_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
			    NETLINK_SOCK_DIAG);
	if (a->diag_fd < 0)
		return 0;
	/* Exact lookups answer at once; the timeout only guards against a
	 * kernel that never answers. */
	if (setsockopt(a->diag_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    bind(a->diag_fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(a->diag_fd);
		a->diag_fd = -1;
	}
	return 0;
}

void vigil_dns_attr_free(struct vigil_dns_attr *a)
{
	if (a->diag_fd >= 0)
		close(a->diag_fd);
	a->diag_fd = -1;
	vigil_procfs_close(&a->procfs);
	if (a->procs)
		for (size_t i = 0; i < VIGIL_DNS_PROC_CACHE; i++)
			vigil_arena_free(&a->procs[i].arena);
	free(a->cache);
	free(a->procs);
	free(a->flows);
	free(a->scan_pids);
	a->scan_pids = NULL;
	a->cache = NULL;
	a->procs = NULL;
	a->flows = NULL;
}

static void put_addr(__be32 dst[4], const struct vigil_ip *ip)
{
	memset(dst, 0, 4 * sizeof(dst[0]));
	memcpy(dst, ip->addr, ip->family == AF_INET ? 4 : 16);
}

/*
 * One exact inet_diag lookup with id.src/sport = (src, sport).  Returns 0
 * with the socket's inode and uid, or a negative errno.
 */
static int diag_lookup(struct vigil_dns_attr *a, uint8_t proto,
		       const struct vigil_ip *src, uint16_t sport,
		       const struct vigil_ip *dst, uint16_t dport,
		       uint64_t *inode, uint32_t *uid)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[DIAG_RECV_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *nlh;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	msg.nlh.nlmsg_len = sizeof(msg);
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST;
	msg.nlh.nlmsg_seq = ++a->diag_seq;
	msg.req.sdiag_family = src->family;
	msg.req.sdiag_protocol = proto;
	msg.req.idiag_states = DIAG_ALL_STATES;
	msg.req.id.idiag_sport = htons(sport);
	msg.req.id.idiag_dport = htons(dport);
	put_addr(msg.req.id.idiag_src, src);
	put_addr(msg.req.id.idiag_dst, dst);
	msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

	if (sendto(a->diag_fd, &msg, sizeof(msg), 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0)
		return -errno;
	for (;;) {
		n = recv(a->diag_fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		break;
	}
	for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, (size_t)n);
	     nlh = NLMSG_NEXT(nlh, n)) {
		if (nlh->nlmsg_seq != a->diag_seq)
			continue;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nlh);

			if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EBADMSG;
			return e->error ? e->error : -ENOENT;
		}
		if (nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
		    nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
			const struct inet_diag_msg *m = NLMSG_DATA(nlh);

			*inode = m->idiag_inode;
			*uid = m->idiag_uid;
			return 0;
		}
	}
	return -ENOENT;
}

int vigil_dns_attr_socket(struct vigil_dns_attr *a, uint8_t proto,
			  const struct vigil_ip *local, uint16_t local_port,
			  const struct vigil_ip *remote, uint16_t remote_port,
			  uint64_t *inode, uint32_t *uid)
{
	int rc;

	if (a->diag_fd < 0)
		return -ENOTSUP;
	/* TCP looks sockets up with id.src = the local end.  UDP's exact
	 * lookup swaps src and dst ("for historical reasons", in
	 * net/ipv4/udp_diag.c), so for UDP the remote end goes first. */
	if (proto == IPPROTO_UDP)
		rc = diag_lookup(a, proto, remote, remote_port, local,
				 local_port, inode, uid);
	else
		rc = diag_lookup(a, proto, local, local_port, remote,
				 remote_port, inode, uid);
	if (rc == 0 && *inode == 0)
		rc = -ENOENT;
	if (rc)
		a->diag_missed++;
	else
		a->diag_found++;
	return rc;
}

static struct vigil_dns_inode_slot *cache_slot(struct vigil_dns_attr *a,
					       uint64_t inode)
{
	return &a->cache[inode % VIGIL_DNS_INODE_CACHE];
}

struct scan_ctx {
	struct vigil_dns_attr *a;
	int32_t pid;
	uint64_t want;
	bool found;
};

/* Caches one socket inode of the process being scanned. */
static void scan_socket(uint64_t ino, void *arg)
{
	struct scan_ctx *s = arg;

	cache_slot(s->a, ino)->inode = ino;
	cache_slot(s->a, ino)->pid = s->pid;
	if (ino == s->want)
		s->found = true;
}

/* Reads the fd links of one process, caching every socket inode; returns
 * links read, and sets *found when `want` was among them. */
static size_t scan_pid(struct vigil_dns_attr *a, int dfd, int32_t pid,
		       uint64_t want, bool *found, size_t budget)
{
	struct scan_ctx s = { .a = a, .pid = pid, .want = want };
	size_t links = vigil_procfs_fd_sockets(dfd, budget, scan_socket, &s);

	if (s.found)
		*found = true;
	return links;
}

/* Remembers pid as a recent sender (once). */
static void remember(struct vigil_dns_attr *a, int32_t pid)
{
	unsigned int i;

	for (i = 0; i < VIGIL_DNS_RECENT_PIDS; i++)
		if (a->recent[i] == pid)
			return;
	a->recent[a->recent_next] = pid;
	a->recent_next = (a->recent_next + 1) % VIGIL_DNS_RECENT_PIDS;
}

/* Looks for inode among the fds of the recent senders.  Returns the pid
 * or 0. */
static int32_t scan_recent(struct vigil_dns_attr *a, uint64_t inode)
{
	unsigned int i;

	for (i = 0; i < VIGIL_DNS_RECENT_PIDS; i++) {
		bool found = false;
		int dfd;

		if (a->recent[i] <= 0)
			continue;
		dfd = vigil_procfs_pid_dir(&a->procfs, a->recent[i]);
		if (dfd < 0) {
			a->recent[i] = 0; /* exited */
			continue;
		}
		scan_pid(a, dfd, a->recent[i], inode, &found,
			 VIGIL_DNS_SCAN_BUDGET);
		close(dfd);
		if (found)
			return a->recent[i];
	}
	return 0;
}

int vigil_dns_attr_pid(struct vigil_dns_attr *a, uint64_t inode, uint32_t uid,
		       int64_t now_ns)
{
	struct vigil_dns_inode_slot *s = cache_slot(a, inode);
	size_t budget = VIGIL_DNS_SCAN_BUDGET;
	int32_t pid = -ENOENT;
	ssize_t npids;

	if (s->inode == inode) {
		/* The pid may have closed the socket since and the inode
		 * number been reused.  Proving otherwise costs reading the
		 * pid's fds; checking that the pid is alive is the cheap
		 * part of it, and the rest is an accepted risk. */
		if (vigil_procfs_alive(&a->procfs, s->pid)) {
			a->cache_hits++;
			remember(a, s->pid);
			return s->pid;
		}
		s->inode = 0;
	}
	pid = scan_recent(a, inode);
	if (pid > 0) {
		a->recent_hits++;
		return pid;
	}
	pid = -ENOENT;
	/* Only a scan that read much holds the next one back: one that
	 * found its process among the newest cost little. */
	if (a->last_scan_ns && a->last_scan_links > VIGIL_DNS_SCAN_CHEAP &&
	    now_ns - a->last_scan_ns < VIGIL_DNS_SCAN_INTERVAL_NS) {
		a->scans_skipped++;
		return -EAGAIN;
	}
	a->last_scan_ns = now_ns;
	a->scans++;
	npids = vigil_procfs_pids(&a->procfs, a->scan_pids,
				  VIGIL_DNS_SCAN_PIDS);
	if (npids < 0)
		return (int)npids;
	/* Newest first: a client that needs a scan is most often a program
	 * just started for one lookup (dig, getent, curl), gone a few
	 * milliseconds after its answer; long-lived ones are found once and
	 * cached.  Pids grow until they wrap, so the newest are the
	 * highest. */
	while (npids-- > 0 && budget) {
		int32_t v = a->scan_pids[npids];
		struct stat st;
		bool found = false;
		int dfd;

		dfd = vigil_procfs_pid_dir(&a->procfs, v);
		if (dfd < 0)
			continue;
		if (uid != VIGIL_ID_UNSET &&
		    (fstat(dfd, &st) || st.st_uid != uid)) {
			close(dfd);
			continue;
		}
		budget -= scan_pid(a, dfd, v, inode, &found, budget);
		close(dfd);
		if (found) {
			pid = v;
			a->scan_found++;
			remember(a, pid);
			break;
		}
	}
	a->last_scan_links = VIGIL_DNS_SCAN_BUDGET - budget;
	return pid;
}

/* Reads what an event shows of pid (ppid, comm, exe, argv) into slot.
 * Returns 0 or a negative errno (-ENOENT: the process is gone). */
static int read_proc(struct vigil_dns_attr *a, struct vigil_dns_proc_slot *slot,
		     int32_t pid)
{
	int rc;

	slot->pid = 0;
	vigil_arena_reset(&slot->arena);
	rc = vigil_procfs_read(&a->procfs, pid,
			       VIGIL_PROCFS_EXE | VIGIL_PROCFS_ARGV,
			       &slot->arena, &slot->proc);
	if (rc)
		return rc;
	slot->pid = pid;
	return 0;
}

/* Points an event's process context at a slot's strings (no copy: see
 * vigil_dns_attr_fill). */
static void slot_to_process(const struct vigil_dns_proc_slot *slot,
			    struct vigil_process *p)
{
	const struct vigil_process *s = &slot->proc;

	p->pid = slot->pid;
	p->tid = slot->pid;
	p->ppid = s->ppid;
	if (s->comm.len)
		p->comm = s->comm;
	if (s->file.path.len)
		p->file.path = s->file.path;
	if (s->argv.n)
		p->argv = s->argv;
}

int vigil_dns_attr_fill(struct vigil_dns_attr *a, struct vigil_process *p,
			int32_t pid, int64_t now_ns, struct vigil_arena *arena)
{
	struct vigil_dns_proc_slot *slot =
		&a->procs[(uint32_t)pid % VIGIL_DNS_PROC_CACHE];
	int rc;

	if (slot->pid == pid && now_ns - slot->read_ns < VIGIL_DNS_CACHE_TTL_NS) {
		a->proc_cache_hits++;
	} else {
		rc = read_proc(a, slot, pid);
		if (rc)
			return rc;
		slot->read_ns = now_ns;
	}
	(void)arena;
	slot_to_process(slot, p);
	return 0;
}

static struct vigil_dns_flow_slot *flow_slot(struct vigil_dns_attr *a,
					     uint8_t proto,
					     const struct vigil_ip *ip,
					     uint16_t port)
{
	uint32_t h = (uint32_t)proto * 31u + port;
	size_t i;

	for (i = 0; i < sizeof(ip->addr); i++)
		h = h * 31u + ip->addr[i];
	return &a->flows[h % VIGIL_DNS_FLOW_CACHE];
}

static bool flow_is(const struct vigil_dns_flow_slot *f, uint8_t proto,
		    const struct vigil_ip *ip, uint16_t port)
{
	return f->proto == proto && f->port == port &&
	       f->ip.family == ip->family &&
	       !memcmp(f->ip.addr, ip->addr, sizeof(ip->addr));
}

int32_t vigil_dns_attr_flow_get(struct vigil_dns_attr *a, uint8_t proto,
				const struct vigil_ip *local,
				uint16_t local_port, int64_t now_ns)
{
	struct vigil_dns_flow_slot *f = flow_slot(a, proto, local, local_port);

	if (f->pid <= 0 || !flow_is(f, proto, local, local_port) ||
	    now_ns - f->seen_ns >= VIGIL_DNS_CACHE_TTL_NS)
		return 0;
	a->flow_cache_hits++;
	return f->pid;
}

void vigil_dns_attr_flow_put(struct vigil_dns_attr *a, uint8_t proto,
			     const struct vigil_ip *local, uint16_t local_port,
			     int64_t now_ns, int32_t pid)
{
	struct vigil_dns_flow_slot *f = flow_slot(a, proto, local, local_port);

	f->proto = proto;
	f->ip = *local;
	f->port = local_port;
	f->pid = pid;
	f->seen_ns = now_ns;
}
