/*
 * dns_attr.c - process attribution for DNS packets (dns_attr.h).
 */
#include "config.h"

#include <dirent.h>
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

#define CMDLINE_MAX 4096
#define STAT_MAX 1024
#define COMM_MAX 64
/* The kernel's PATH_MAX for exe links. */
#define EXE_MAX 4096

#define ARGV_MAX 64

/* What an event shows of a process, as read from /proc at read_ns.  The
 * strings are NUL-terminated and argv points into cmdline, so an event
 * can point here instead of copying. */
struct vigil_dns_proc_slot {
	int32_t pid; /* 0: free */
	int32_t ppid;
	int64_t read_ns;
	size_t comm_len, exe_len, cmdline_len;
	uint32_t argc;
	char comm[COMM_MAX];
	char exe[EXE_MAX];
	char cmdline[CMDLINE_MAX];
	struct vigil_str argv[ARGV_MAX];
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
#define SOCKET_LINK_PREFIX "socket:["
#define PROC_PATH_MAX 64
#define LINK_MAX 64

int vigil_dns_attr_init(struct vigil_dns_attr *a)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };

	memset(a, 0, sizeof(*a));
	a->diag_fd = -1;
	a->cache = calloc(VIGIL_DNS_INODE_CACHE, sizeof(*a->cache));
	a->procs = calloc(VIGIL_DNS_PROC_CACHE, sizeof(*a->procs));
	a->flows = calloc(VIGIL_DNS_FLOW_CACHE, sizeof(*a->flows));
	a->scan_pids = calloc(VIGIL_DNS_SCAN_PIDS, sizeof(*a->scan_pids));
	if (!a->cache || !a->procs || !a->flows || !a->scan_pids) {
		vigil_dns_attr_free(a);
		return -ENOMEM;
	}
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

/* Parses "socket:[12345]" into its inode; 0 if link is something else. */
static uint64_t socket_inode(const char *link, size_t len)
{
	const size_t plen = sizeof(SOCKET_LINK_PREFIX) - 1;
	uint64_t v = 0;
	size_t i;

	if (len <= plen + 1 || memcmp(link, SOCKET_LINK_PREFIX, plen) ||
	    link[len - 1] != ']')
		return 0;
	for (i = plen; i < len - 1; i++) {
		if (link[i] < '0' || link[i] > '9' || v > UINT64_MAX / 10)
			return 0;
		v = v * 10 + (uint64_t)(link[i] - '0');
	}
	return v;
}

/* Reads the fd links of one process, caching every socket inode; returns
 * links read, and sets *found when `want` was among them. */
static size_t scan_pid(struct vigil_dns_attr *a, int dfd, int32_t pid,
		       uint64_t want, bool *found, size_t budget)
{
	struct dirent *de;
	size_t links = 0;
	DIR *fds;
	int fdd;

	fdd = openat(dfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fdd < 0)
		return 0;
	fds = fdopendir(fdd);
	if (!fds) {
		close(fdd);
		return 0;
	}
	while ((de = readdir(fds)) && links < budget) {
		char link[LINK_MAX];
		uint64_t ino;
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		links++;
		n = readlinkat(fdd, de->d_name, link, sizeof(link));
		if (n <= 0 || (size_t)n >= sizeof(link))
			continue;
		ino = socket_inode(link, (size_t)n);
		if (!ino)
			continue;
		cache_slot(a, ino)->inode = ino;
		cache_slot(a, ino)->pid = pid;
		if (ino == want)
			*found = true;
	}
	closedir(fds);
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
	char path[PROC_PATH_MAX];
	unsigned int i;

	for (i = 0; i < VIGIL_DNS_RECENT_PIDS; i++) {
		bool found = false;
		int dfd;

		if (a->recent[i] <= 0)
			continue;
		snprintf(path, sizeof(path), PROC_ROOT "/%d", a->recent[i]);
		dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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

/* Lists the pids under /proc into a->scan_pids (at most
 * VIGIL_DNS_SCAN_PIDS).  Returns how many, or a negative errno. */
static ssize_t list_pids(struct vigil_dns_attr *a, DIR *proc)
{
	struct dirent *de;
	size_t n = 0;

	while ((de = readdir(proc)) && n < VIGIL_DNS_SCAN_PIDS) {
		char *end;
		long v;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		v = strtol(de->d_name, &end, 10);
		if (*end || v <= 0 || v > INT32_MAX)
			continue;
		a->scan_pids[n++] = (int32_t)v;
	}
	return (ssize_t)n;
}

int vigil_dns_attr_pid(struct vigil_dns_attr *a, uint64_t inode, uint32_t uid,
		       int64_t now_ns)
{
	struct vigil_dns_inode_slot *s = cache_slot(a, inode);
	size_t budget = VIGIL_DNS_SCAN_BUDGET;
	int32_t pid = -ENOENT;
	ssize_t npids;
	DIR *proc;

	if (s->inode == inode) {
		char path[PROC_PATH_MAX];
		char link[LINK_MAX];
		ssize_t n;

		/* The pid may have closed the socket since and the inode
		 * number been reused.  Proving otherwise costs reading the
		 * pid's fds; checking that the pid is alive is the cheap
		 * part of it, and the rest is an accepted risk. */
		snprintf(path, sizeof(path), PROC_ROOT "/%d/exe", s->pid);
		n = readlink(path, link, sizeof(link));
		if (n >= 0 || errno != ENOENT) {
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
	proc = opendir(PROC_ROOT);
	if (!proc)
		return -errno;
	npids = list_pids(a, proc);
	/* Newest first: a client that needs a scan is most often a program
	 * just started for one lookup (dig, getent, curl), gone a few
	 * milliseconds after its answer; long-lived ones are found once and
	 * cached.  Pids grow until they wrap, so the newest are the
	 * highest. */
	while (npids-- > 0 && budget) {
		char name[PROC_PATH_MAX];
		int32_t v = a->scan_pids[npids];
		struct stat st;
		bool found = false;
		int dfd;

		snprintf(name, sizeof(name), "%d", v);
		dfd = openat(dirfd(proc), name,
			     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
	closedir(proc);
	a->last_scan_links = VIGIL_DNS_SCAN_BUDGET - budget;
	return pid;
}

/* Reads a small /proc file into buf (NUL-terminated); returns its length
 * or a negative errno. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	ssize_t n, got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)got < size - 1) {
		n = read(fd, buf + got, size - 1 - (size_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

static void split_argv(struct vigil_dns_proc_slot *slot);

/* Reads what an event shows of pid from /proc into slot.  Returns 0 or
 * a negative errno (-ENOENT: the process is gone). */
static int read_proc(struct vigil_dns_proc_slot *slot, int32_t pid)
{
	char path[PROC_PATH_MAX];
	char line[STAT_MAX];
	char *close_paren;
	ssize_t n;
	int ppid;

	slot->pid = 0;
	snprintf(path, sizeof(path), PROC_ROOT "/%d/stat", pid);
	n = read_small(path, line, sizeof(line));
	if (n < 0)
		return (int)n;
	/* "pid (comm) S ppid ...": comm may hold spaces and parentheses,
	 * so read after the last ')'. */
	slot->ppid = 0;
	close_paren = strrchr(line, ')');
	if (close_paren && sscanf(close_paren + 1, " %*c %d", &ppid) == 1)
		slot->ppid = ppid;

	snprintf(path, sizeof(path), PROC_ROOT "/%d/comm", pid);
	n = read_small(path, slot->comm, sizeof(slot->comm));
	if (n > 0 && slot->comm[n - 1] == '\n')
		slot->comm[--n] = '\0';
	slot->comm_len = n > 0 ? (size_t)n : 0;

	snprintf(path, sizeof(path), PROC_ROOT "/%d/exe", pid);
	n = readlink(path, slot->exe, sizeof(slot->exe));
	slot->exe_len = n > 0 && (size_t)n < sizeof(slot->exe) ? (size_t)n : 0;
	slot->exe[slot->exe_len] = '\0';

	/* Kernel threads and zombies have no command line. */
	snprintf(path, sizeof(path), PROC_ROOT "/%d/cmdline", pid);
	n = read_small(path, slot->cmdline, sizeof(slot->cmdline));
	slot->cmdline_len = n > 0 ? (size_t)n : 0;
	split_argv(slot);
	slot->pid = pid;
	return 0;
}

/* Points slot->argv at the arguments in slot->cmdline: NUL-separated,
 * usually NUL-terminated; a final argument without its NUL (cut at the
 * buffer size, where read_small put one) still counts. */
static void split_argv(struct vigil_dns_proc_slot *slot)
{
	size_t i, start, argc = 0, n = slot->cmdline_len;
	const char *buf = slot->cmdline;

	for (i = 0, start = 0; i <= n && argc < ARGV_MAX; i++) {
		if (i < n && buf[i] != '\0')
			continue;
		if (i > start || i < n) {
			slot->argv[argc].ptr = buf + start;
			slot->argv[argc].len = (uint32_t)(i - start);
			argc++;
		}
		start = i + 1;
	}
	slot->argc = (uint32_t)argc;
}

/* Points an event's process context at a slot's strings (no copy: see
 * vigil_dns_attr_fill). */
static void slot_to_process(struct vigil_dns_proc_slot *slot,
			    struct vigil_process *p)
{
	p->pid = slot->pid;
	p->tid = slot->pid;
	p->ppid = slot->ppid;
	if (slot->comm_len) {
		p->comm.ptr = slot->comm;
		p->comm.len = (uint32_t)slot->comm_len;
	}
	if (slot->exe_len) {
		p->file.path.ptr = slot->exe;
		p->file.path.len = (uint32_t)slot->exe_len;
	}
	if (slot->argc) {
		p->argv.v = slot->argv;
		p->argv.n = slot->argc;
	}
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
		rc = read_proc(slot, pid);
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
