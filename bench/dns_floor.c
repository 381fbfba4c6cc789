/*
 * dns_floor.c - the cheapest possible reader of each DNS capture, for
 * bench/dns_bench.sh: what NFQUEUE or NFLOG costs before vigil does any
 * work of its own.
 *
 *   dns_floor nfqueue|nflog GROUP BATCH READY-FILE
 *
 * nfqueue: binds queue GROUP fail-open with uid/gid (as the DNS source
 * does), reads up to BATCH packets and accepts them with one batch
 * verdict, parses nothing.  nflog: binds log group GROUP, asks for up to
 * BATCH packets per datagram in the source's buffer size (10 ms flush
 * timeout) and only reads them.
 * Creates READY-FILE once bound; runs until SIGTERM or SIGINT and prints
 * packets and datagrams read on stderr.  The firewall rules are the
 * caller's.  Exit 0, 1 when the capture cannot be bound, 2 on usage.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "dns/nflog.h"

#define FLOOR_COPY_RANGE 4096
#define FLOOR_QUEUE_MAXLEN 4096
#define FLOOR_RCVBUF (8 * 1024 * 1024)
/* The group's buffer while batching: the source's, the kernel's most. */
#define FLOOR_NLBUFSIZ VIGIL_NFLOG_NLBUFSIZ_MAX
#define FLOOR_FLUSH_TIMEOUT 1 /* 1/100 s */
#define FLOOR_CTL_BUF 8192
#define FLOOR_POLL_MS 200
#define FLOOR_MAX_BATCH 1024

static volatile sig_atomic_t stopping;
static struct mnl_socket *nl;
static char buf[FLOOR_NLBUFSIZ + 2 * FLOOR_COPY_RANGE];

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Starts an nfnetlink message of subsystem subsys in b (zeroed). */
static struct nlmsghdr *put(char *b, size_t size, int subsys, int type,
			    uint16_t res_id)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *g;

	memset(b, 0, size);
	nlh = mnl_nlmsg_put_header(b);
	nlh->nlmsg_type = (uint16_t)(subsys << 8 | type);
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(res_id);
	return nlh;
}

/* Sends a config message and waits for its ACK.  Returns 0 or -errno. */
static int request(struct nlmsghdr *nlh)
{
	char ack[FLOOR_CTL_BUF];
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(nl, ack, sizeof(ack));
	if (n < 0 || mnl_cb_run(ack, (size_t)n, nlh->nlmsg_seq,
				mnl_socket_get_portid(nl), NULL, NULL) < 0)
		return -errno;
	return 0;
}

static int bind_nfqueue(uint16_t queue)
{
	struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_BIND };
	struct nfqnl_msg_config_params params = {
		.copy_range = htonl(FLOOR_COPY_RANGE),
		.copy_mode = NFQNL_COPY_PACKET,
	};
	uint32_t flags = htonl(NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_UID_GID);
	char b[FLOOR_CTL_BUF];
	struct nlmsghdr *nlh;
	int rc;

	nlh = put(b, sizeof(b), NFNL_SUBSYS_QUEUE, NFQNL_MSG_CONFIG, queue);
	mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof(cmd), &cmd);
	rc = request(nlh);
	if (rc)
		return rc;
	nlh = put(b, sizeof(b), NFNL_SUBSYS_QUEUE, NFQNL_MSG_CONFIG, queue);
	mnl_attr_put(nlh, NFQA_CFG_PARAMS, sizeof(params), &params);
	mnl_attr_put_u32(nlh, NFQA_CFG_QUEUE_MAXLEN, htonl(FLOOR_QUEUE_MAXLEN));
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, flags);
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, flags);
	return request(nlh);
}

static int bind_nflog(uint16_t group, uint32_t batch)
{
	struct nfulnl_msg_config_cmd cmd = { .command = NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode = {
		.copy_range = htonl(FLOOR_COPY_RANGE),
		.copy_mode = NFULNL_COPY_PACKET,
	};
	char b[FLOOR_CTL_BUF];
	struct nlmsghdr *nlh;
	int rc;

	nlh = put(b, sizeof(b), NFNL_SUBSYS_ULOG, NFULNL_MSG_CONFIG, group);
	mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
	rc = request(nlh);
	if (rc)
		return rc;
	nlh = put(b, sizeof(b), NFNL_SUBSYS_ULOG, NFULNL_MSG_CONFIG, group);
	mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(mode), &mode);
	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(batch));
	mnl_attr_put_u32(nlh, NFULA_CFG_NLBUFSIZ, htonl(FLOOR_NLBUFSIZ));
	mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT, htonl(FLOOR_FLUSH_TIMEOUT));
	return request(nlh);
}

/* Sends one batch verdict accepting every queued id up to id. */
static void accept_upto(uint16_t queue, uint32_t id)
{
	struct nfqnl_msg_verdict_hdr vh = { htonl(NF_ACCEPT), htonl(id) };
	char b[FLOOR_CTL_BUF];
	struct nlmsghdr *nlh;

	nlh = put(b, sizeof(b), NFNL_SUBSYS_QUEUE, NFQNL_MSG_VERDICT_BATCH,
		  queue);
	mnl_attr_put(nlh, NFQA_VERDICT_HDR, sizeof(vh), &vh);
	(void)mnl_socket_sendto(nl, nlh, nlh->nlmsg_len);
}

/* Raises *id to the highest packet id in one NFQUEUE datagram (ids only
 * grow: a bench never wraps them) and counts its packets.  Returns
 * whether it held any. */
static bool max_id(char *b, int len, uint32_t *id, unsigned long *packets)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)b;
	bool any = false;

	for (; vigil_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		struct nlattr *a;

		mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
			const struct nfqnl_msg_packet_hdr *ph;
			uint32_t v;

			if (mnl_attr_get_type(a) != NFQA_PACKET_HDR ||
			    mnl_attr_get_payload_len(a) < sizeof(*ph))
				continue;
			ph = mnl_attr_get_payload(a);
			v = ntohl(ph->packet_id);
			if (v > *id)
				*id = v;
			any = true;
			(*packets)++;
		}
	}
	return any;
}

/* Counts the packets of one NFLOG datagram (NLMSG_DONE closes a batch). */
static void count_logged(char *b, int len, unsigned long *packets)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)b;

	for (; vigil_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
		if (nlh->nlmsg_type ==
		    (NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_PACKET))
			(*packets)++;
}

int main(int argc, char **argv)
{
	unsigned long packets = 0, datagrams = 0, overruns = 0;
	int rcvbuf = FLOOR_RCVBUF, fd, rc;
	bool nflog;
	uint16_t group;
	uint32_t batch;
	FILE *fp;

	if (argc != 5 || (strcmp(argv[1], "nfqueue") && strcmp(argv[1], "nflog"))) {
		fprintf(stderr, "usage: %s nfqueue|nflog GROUP BATCH READY-FILE\n",
			argv[0]);
		return 2;
	}
	nflog = !strcmp(argv[1], "nflog");
	group = (uint16_t)strtoul(argv[2], NULL, 10);
	batch = (uint32_t)strtoul(argv[3], NULL, 10);
	if (batch < 1 || batch > FLOOR_MAX_BATCH) {
		fprintf(stderr, "BATCH must be 1 to %d\n", FLOOR_MAX_BATCH);
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("netlink");
		return 1;
	}
	fd = mnl_socket_get_fd(nl);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
			 sizeof(rcvbuf));
	rc = nflog ? bind_nflog(group, batch) : bind_nfqueue(group);
	if (rc) {
		fprintf(stderr, "cannot bind %s %u: %s\n", argv[1], group,
			strerror(-rc));
		mnl_socket_close(nl);
		return 1;
	}
	fp = fopen(argv[4], "w");
	if (fp)
		fclose(fp);
	while (!stopping) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		uint32_t id = 0, got;
		bool any = false;

		if (poll(&pfd, 1, FLOOR_POLL_MS) <= 0)
			continue;
		for (got = 0; got < batch; got++) {
			ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (n < 0 && errno == ENOBUFS) {
				overruns++;
				continue;
			}
			if (n <= 0)
				break;
			datagrams++;
			if (nflog)
				count_logged(buf, (int)n, &packets);
			else
				any |= max_id(buf, (int)n, &id, &packets);
		}
		if (any)
			accept_upto(group, id);
	}
	fprintf(stderr, "dns_floor %s: packets %lu datagrams %lu overruns %lu\n",
		argv[1], packets, datagrams, overruns);
	mnl_socket_close(nl);
	return 0;
}
