/*
 * proc_connector.c - the proc connector source (see proc_connector.h).
 *
 * The kernel multicasts one netlink datagram per process event to
 * listeners of CN_IDX_PROC.  When the socket's receive buffer is full it
 * drops them and the next recv() fails with ENOBUFS: that is counted as
 * loss, raised (at most once a second) as an agent event, and followed by
 * a resync of the process table from /proc, at most every ten seconds,
 * since exits may have been missed.
 *
 * Only the kernel (netlink port 0) is believed; messages are copied out of
 * the receive buffer before use, since struct proc_event is not aligned
 * there, and each member is read only if the message is long enough to
 * hold it (older kernels send shorter events).
 */
#include "config.h"

#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "confmap.h"
#include "settings.h"
#include "pacer.h"
#include "source_status.h"
#include "proc/proc_connector.h"

/* Datagrams read per call before yielding to the loop (in recvmmsg(2)
 * batches of PROC_RECV_SLOTS). */
#define PROC_BATCH_MAX 512
#define PROC_RECV_SLOTS 16
/* A busy connector is read every 10 ms (pacer.h), like audit. */
#define DEFAULT_READ_INTERVAL_MS 10
#define MAX_READ_INTERVAL_MS 1000
#define NS_PER_S INT64_C(1000000000)
#define NS_PER_MS INT64_C(1000000)
#define OVERRUN_REPORT_INTERVAL_NS NS_PER_S
#define RESYNC_INTERVAL_NS (10 * NS_PER_S)

/* A receive buffer large enough for any connector datagram. */
#define PROC_RECV_BUF 8192

enum proc_counter {
	PC_FORK,
	PC_THREAD, /* clone of a thread: not a new process */
	PC_EXEC,
	PC_EXIT,
	PC_UID,
	PC_GID,
	PC_SID,
	PC_COMM,
	PC_PTRACE,
	PC_COREDUMP,
	PC_OTHER,
	PC__COUNT
};

struct proc_source {
	struct vigil_source *src;
	struct vigil_proctable *table; /* not owned */
	int fd;
	struct vigil_pacer pacer;
	bool pacer_inited;
	uint64_t read_interval_ms;
	uv_timer_t report_timer; /* raises overruns left pending */
	bool timer_inited;
	int closing; /* handles whose close callback is still due */
	struct vigil_arena arena;
	struct vigil_event ev;
	int64_t mono_to_wall_ns; /* add to a kernel timestamp */
	uint64_t counters[PC__COUNT];
	uint64_t overruns;
	uint64_t overruns_unreported;
	int64_t last_report_ns; /* monotonic */
	int64_t last_resync_ns; /* monotonic */
	int rcvbuf;
	bool read_exec_image; /* re-read exe/argv from /proc on exec */
	/* read by the registry; here for the table */
	bool enabled;
	uint32_t max_processes;
	uint64_t seq;
	union {
		struct nlmsghdr hdr; /* aligns the buffer for netlink */
		char bytes[PROC_RECV_BUF];
	} rx[PROC_RECV_SLOTS];
};

int vigil_proc_source_attach(struct vigil_source *src,
			     struct vigil_proctable *t)
{
	struct proc_source *ps;

	if (src->priv)
		return -EBUSY;
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	ps->src = src;
	ps->table = t;
	ps->fd = -1;
	vigil_arena_init(&ps->arena, 0);
	src->priv = ps;
	return 0;
}

/* Sends PROC_CN_MCAST_LISTEN or _IGNORE to the kernel. */
static int send_mcast_op(int fd, enum proc_cn_mcast_op op)
{
	union {
		struct nlmsghdr hdr;
		char bytes[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(op))];
	} msg;
	struct nlmsghdr *nlh = &msg.hdr;
	struct cn_msg *cn;

	memset(&msg, 0, sizeof(msg));
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(struct cn_msg) + sizeof(op));
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_pid = 0;
	cn = NLMSG_DATA(nlh);
	cn->id.idx = CN_IDX_PROC;
	cn->id.val = CN_VAL_PROC;
	cn->len = sizeof(op);
	memcpy(cn->data, &op, sizeof(op));
	if (send(fd, nlh, nlh->nlmsg_len, 0) < 0)
		return -errno;
	return 0;
}

static void refresh_clock_offset(struct proc_source *ps)
{
	ps->mono_to_wall_ns = vigil_now_ns() - vigil_monotonic_ns();
}

/* Starts a fresh event of type in the source's reusable event. */
static struct vigil_event *event_begin(struct proc_source *ps, uint32_t type,
				       int64_t time_ns)
{
	vigil_arena_reset(&ps->arena);
	vigil_event_init(&ps->ev, &ps->arena);
	ps->ev.type = type;
	ps->ev.source = VIGIL_SRC_PROC_CONNECTOR;
	ps->ev.time_ns = time_ns;
	ps->ev.seq = ++ps->seq;
	return &ps->ev;
}

static void submit(struct proc_source *ps)
{
	if (vigil_pipeline_submit(ps->src->pipeline, &ps->ev) == 0)
		ps->src->events_out++;
}

/* Submits a fork or exit event for pid with the table's context. */
static void submit_process_event(struct proc_source *ps, uint32_t type,
				 int32_t pid, int64_t time_ns)
{
	const struct vigil_process *p;
	struct vigil_event *ev = event_begin(ps, type, time_ns);

	p = vigil_proctable_lookup(ps->table, pid, time_ns);
	if (p) {
		ev->process = *p;
	} else {
		ev->process.pid = ev->process.tid = pid;
	}
	if (type == VIGIL_EV_EXIT)
		ev->process.flags |= VIGIL_PROC_EXITED;
	submit(ps);
}

static void on_report_timer(uv_timer_t *h);

/*
 * Raises the overrun agent event when one is due (at most once per
 * OVERRUN_REPORT_INTERVAL_NS; overruns within the interval are raised by
 * a timer at its end) and resyncs the table from /proc (at most once per
 * RESYNC_INTERVAL_NS).
 */
static void report_overruns(struct proc_source *ps)
{
	int64_t now = vigil_monotonic_ns();
	struct vigil_event *ev;
	int rc;

	if (!ps->overruns_unreported)
		return;
	if (ps->last_report_ns &&
	    now - ps->last_report_ns < OVERRUN_REPORT_INTERVAL_NS) {
		int64_t wait_ns = ps->last_report_ns +
				  OVERRUN_REPORT_INTERVAL_NS - now;

		if (ps->timer_inited &&
		    !uv_is_active((uv_handle_t *)&ps->report_timer))
			uv_timer_start(&ps->report_timer, on_report_timer,
				       (uint64_t)(wait_ns / NS_PER_MS) + 1, 0);
		return;
	}
	ev = event_begin(ps, VIGIL_EV_AGENT, vigil_now_ns());
	ev->source = VIGIL_SRC_AGENT;
	ev->process.pid = ev->process.tid = getpid();
	ev->u.agent.kind = vigil_str_c("proc_connector_overrun");
	ev->u.agent.subsystem = vigil_str_c("proc_connector");
	ev->u.agent.detail = vigil_str_c(
		"the kernel dropped proc connector messages because the "
		"receive buffer was full; process ancestry may be incomplete "
		"until the table is resynchronised (raise rcvbuf in the proc "
		"source's configuration)");
	ev->u.agent.count = (int64_t)ps->overruns_unreported;
	ps->overruns_unreported = 0;
	ps->last_report_ns = now;
	submit(ps);
	if (!ps->last_resync_ns ||
	    now - ps->last_resync_ns >= RESYNC_INTERVAL_NS) {
		ps->last_resync_ns = now;
		rc = vigil_proctable_resync(ps->table);
		if (rc)
			vigil_warn("proc_connector: resync from /proc: %s",
				   strerror(-rc));
	}
}

static void on_report_timer(uv_timer_t *h)
{
	report_overruns(h->data);
}

/* Acts on one event; pe holds at least len bytes of the kernel's event. */
static void handle_event(struct proc_source *ps, const struct proc_event *pe,
			 size_t len)
{
	const size_t head = offsetof(struct proc_event, event_data);
	int64_t t = (int64_t)pe->timestamp_ns + ps->mono_to_wall_ns;
	uint32_t what = pe->what;

#define HAS(member) (len >= head + sizeof(pe->event_data.member))
	switch (what) {
	case PROC_EVENT_NONE:
		if (HAS(ack) && pe->event_data.ack.err)
			vigil_warn("proc_connector: subscription answered %u",
				   pe->event_data.ack.err);
		break;
	case PROC_EVENT_FORK:
		if (!HAS(fork))
			goto bad;
		if (pe->event_data.fork.child_pid !=
		    pe->event_data.fork.child_tgid) {
			ps->counters[PC_THREAD]++;
			break;
		}
		ps->counters[PC_FORK]++;
		vigil_proctable_on_fork(ps->table,
					pe->event_data.fork.parent_tgid,
					pe->event_data.fork.child_tgid, t);
		submit_process_event(ps, VIGIL_EV_FORK,
				     pe->event_data.fork.child_tgid, t);
		break;
	case PROC_EVENT_EXEC:
		if (!HAS(exec))
			goto bad;
		ps->counters[PC_EXEC]++;
		vigil_proctable_exec_seen(ps->table,
					  pe->event_data.exec.process_tgid);
		/* Audit brings the exec event; here the image is read from
		 * /proc so forks and exits carry the right exe and argv
		 * even without audit. */
		if (ps->read_exec_image)
			vigil_proctable_refresh(
				ps->table, pe->event_data.exec.process_tgid);
		break;
	case PROC_EVENT_EXIT:
		if (!HAS(exit))
			goto bad;
		if (pe->event_data.exit.process_pid !=
		    pe->event_data.exit.process_tgid)
			break; /* a thread: the process lives on */
		ps->counters[PC_EXIT]++;
		vigil_proctable_on_exit(ps->table,
					pe->event_data.exit.process_tgid, t);
		submit_process_event(ps, VIGIL_EV_EXIT,
				     pe->event_data.exit.process_tgid, t);
		break;
	case PROC_EVENT_UID:
	case PROC_EVENT_GID:
		if (!HAS(id))
			goto bad;
		ps->counters[what == PROC_EVENT_UID ? PC_UID : PC_GID]++;
		if (pe->event_data.id.process_pid !=
		    pe->event_data.id.process_tgid)
			break;
		if (what == PROC_EVENT_UID)
			vigil_proctable_on_ids(ps->table,
					       pe->event_data.id.process_tgid,
					       pe->event_data.id.r.ruid,
					       pe->event_data.id.e.euid,
					       VIGIL_ID_UNSET, VIGIL_ID_UNSET);
		else
			vigil_proctable_on_ids(ps->table,
					       pe->event_data.id.process_tgid,
					       VIGIL_ID_UNSET, VIGIL_ID_UNSET,
					       pe->event_data.id.r.rgid,
					       pe->event_data.id.e.egid);
		break;
	case PROC_EVENT_COMM:
		if (!HAS(comm))
			goto bad;
		ps->counters[PC_COMM]++;
		if (pe->event_data.comm.process_pid ==
		    pe->event_data.comm.process_tgid)
			vigil_proctable_on_comm(
				ps->table, pe->event_data.comm.process_tgid,
				pe->event_data.comm.comm,
				strnlen(pe->event_data.comm.comm,
					sizeof(pe->event_data.comm.comm)));
		break;
	case PROC_EVENT_SID:
		ps->counters[PC_SID]++;
		break;
	case PROC_EVENT_PTRACE:
		ps->counters[PC_PTRACE]++;
		break;
	case PROC_EVENT_COREDUMP:
		ps->counters[PC_COREDUMP]++;
		break;
	default:
		ps->counters[PC_OTHER]++;
		break;
	}
#undef HAS
	return;
bad:
	ps->src->drops++;
}

/* NLMSG_OK without its int/__u32 comparison (clang -Wsign-compare). */
static bool nlmsg_fits(const struct nlmsghdr *nlh, int len)
{
	return len >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned)len;
}

/* Walks the netlink messages of one datagram (in slot of ps->rx). */
static void handle_datagram(struct proc_source *ps, unsigned slot, size_t n)
{
	const size_t head = offsetof(struct proc_event, event_data);
	struct nlmsghdr *nlh = &ps->rx[slot].hdr;
	int len = (int)n;

	for (; nlmsg_fits(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
		const struct cn_msg *cn;
		struct proc_event pe;
		size_t payload;

		if (nlh->nlmsg_type == NLMSG_NOOP ||
		    nlh->nlmsg_type == NLMSG_ERROR)
			continue;
		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*cn)))
			goto bad;
		cn = NLMSG_DATA(nlh);
		payload = nlh->nlmsg_len - NLMSG_LENGTH(sizeof(*cn));
		if (cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC ||
		    cn->len > payload || cn->len < head)
			goto bad;
		memset(&pe, 0, sizeof(pe));
		memcpy(&pe, cn->data, cn->len < sizeof(pe) ? cn->len : sizeof(pe));
		ps->src->events_in++;
		handle_event(ps, &pe, cn->len);
		continue;
bad:
		ps->src->drops++;
	}
}

static void count_overrun(struct proc_source *ps)
{
	ps->overruns++;
	ps->overruns_unreported++;
	ps->src->lost++;
}

/*
 * The kernel reports an overrun as a socket error, which poll(2) shows as
 * POLLERR (libuv passes UV_EBADF).  Take the error (SO_ERROR clears it)
 * and count an ENOBUFS as an overrun.  Returns 0, or a negative errno when
 * the socket is really broken.
 */
static int take_socket_error(struct proc_source *ps)
{
	int err = 0;
	socklen_t l = sizeof(err);

	if (getsockopt(ps->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
		return -errno;
	if (err == ENOBUFS)
		count_overrun(ps);
	else if (err)
		vigil_warn("proc_connector: socket error: %s", strerror(err));
	return 0;
}

/*
 * Reads what the socket holds now, PROC_RECV_SLOTS datagrams per
 * recvmmsg(2), at most PROC_BATCH_MAX before yielding.  status is the
 * poll handle's error, if any (see pacer.h).  Returns the number of
 * datagrams read, or a negative errno when the socket is lost.
 */
static int drain_socket(void *arg, int status)
{
	struct proc_source *ps = arg;
	struct sockaddr_nl from[PROC_RECV_SLOTS];
	struct mmsghdr msg[PROC_RECV_SLOTS];
	struct iovec iov[PROC_RECV_SLOTS];
	int n, rc, count = 0;

	if (status < 0) {
		rc = take_socket_error(ps);
		if (rc) {
			vigil_source_set_state(ps->src, VIGIL_SOURCE_FAILED,
					       "multicast",
					       "netlink socket lost: %s",
					       strerror(-rc));
			return rc;
		}
	}
	while (count < PROC_BATCH_MAX) {
		memset(msg, 0, sizeof(msg));
		for (unsigned i = 0; i < PROC_RECV_SLOTS; i++) {
			iov[i].iov_base = ps->rx[i].bytes;
			iov[i].iov_len = sizeof(ps->rx[i].bytes);
			msg[i].msg_hdr.msg_name = &from[i];
			msg[i].msg_hdr.msg_namelen = sizeof(from[i]);
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(ps->fd, msg, PROC_RECV_SLOTS, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				count_overrun(ps);
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				vigil_warn("proc_connector: recv: %s",
					   strerror(errno));
			break;
		}
		/* Only when there is something to stamp: the audit source
		 * calls this before each batch of its own, mostly for
		 * nothing. */
		if (!count)
			refresh_clock_offset(ps);
		for (int i = 0; i < n; i++) {
			if (msg[i].msg_hdr.msg_namelen < sizeof(from[i]) ||
			    from[i].nl_family != AF_NETLINK ||
			    from[i].nl_pid != 0) {
				ps->src->drops++; /* not from the kernel */
				continue;
			}
			handle_datagram(ps, (unsigned)i, msg[i].msg_len);
		}
		count += n;
		if (n < PROC_RECV_SLOTS)
			break; /* drained */
	}
	report_overruns(ps);
	return count;
}

/* The drain op: another source (audit) reads the forks first. */
static int proc_drain(struct vigil_source *src)
{
	struct proc_source *ps = src->priv;

	if (!ps || !ps->pacer_inited || ps->fd < 0)
		return 0;
	return drain_socket(ps, 0);
}

/* Sets the receive buffer: SO_RCVBUFFORCE passes net.core.rmem_max. */
static void set_rcvbuf(struct proc_source *ps)
{
	int v = ps->rcvbuf;
	socklen_t l = sizeof(v);

	if (setsockopt(ps->fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0 &&
	    setsockopt(ps->fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) < 0)
		vigil_warn("proc_connector: SO_RCVBUF %d: %s", v,
			   strerror(errno));
	if (getsockopt(ps->fd, SOL_SOCKET, SO_RCVBUF, &v, &l) == 0)
		ps->rcvbuf = v;
}

#define PS struct proc_source
static const struct vigil_config_entry proc_table[] = {
	{ VIGIL_CFG_BOOL("enabled", PS, enabled, 1, NULL) },
	{ VIGIL_CFG_INT("max_processes", PS, max_processes,
			VIGIL_PROCTABLE_DEFAULT_MAX, 1, INT32_MAX,
			"size of the process table") },
	{ VIGIL_CFG_SIZE("rcvbuf", PS, rcvbuf, VIGIL_PROC_RCVBUF_DEFAULT, 1,
			 INT32_MAX, "socket receive buffer") },
	{ VIGIL_CFG_DURATION_MS("read_interval", PS, read_interval_ms,
				DEFAULT_READ_INTERVAL_MS, 0,
				MAX_READ_INTERVAL_MS,
				"0 reads at every wake-up") },
	{ VIGIL_CFG_BOOL("read_exec_image", PS, read_exec_image, 1,
			 "re-read exe and argv from /proc on exec") },
};
#undef PS

/* Reads the source's configuration section into ps (the table's
 * members).  Returns 0 or -EINVAL with "file:line:col: ..." in err. */
static int read_config(struct proc_source *ps, struct vigil_buf *err)
{
	return VIGIL_CONFMAP_READ(proc_table, ps->src->config, "proc", ps,
				  err);
}

/* The check op: read_config on a scratch state. */
static int proc_check(const struct vigil_node *section, bool *enabled,
		      struct vigil_buf *err)
{
	struct vigil_source src = { .config = section };
	struct proc_source ps = { .src = &src };
	int rc = read_config(&ps, err);

	*enabled = ps.enabled;
	return rc;
}

size_t vigil_proc_source_max_processes(const struct vigil_node *section)
{
	struct vigil_source src = { .config = section };
	struct proc_source ps = { .src = &src };
	struct vigil_buf err = { 0 };
	int rc = read_config(&ps, &err);

	vigil_buf_free(&err);
	return rc ? VIGIL_PROCTABLE_DEFAULT_MAX : (size_t)ps.max_processes;
}

static int proc_start(struct vigil_source *src)
{
	struct proc_source *ps = src->priv;
	struct vigil_buf err = { 0 };
	struct sockaddr_nl sa;
	int rc;

	if (src->features_disabled & VIGIL_FEAT_PROC_CONNECTOR) {
		vigil_source_set_state(src, VIGIL_SOURCE_DISABLED, "off",
				       "proc_connector is in "
				       "agent.features.disable");
		return 0;
	}
	if (!ps || !ps->table) {
		vigil_source_set_state(src, VIGIL_SOURCE_FAILED, "off",
				       "no process table attached");
		return -EINVAL;
	}
	rc = read_config(ps, &err);
	if (rc) {
		vigil_source_set_state(src, VIGIL_SOURCE_FAILED, "off", "%s",
				       vigil_buf_cstr(&err));
		vigil_buf_free(&err);
		return rc;
	}
	ps->fd = socket(PF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			NETLINK_CONNECTOR);
	if (ps->fd < 0) {
		rc = -errno;
		vigil_source_set_state(src, VIGIL_SOURCE_FAILED, "off",
				       "netlink connector socket: %s (kernel "
				       "without CONFIG_PROC_EVENTS?)",
				       strerror(-rc));
		return rc;
	}
	set_rcvbuf(ps);
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = CN_IDX_PROC;
	if (bind(ps->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		vigil_source_set_state(src, VIGIL_SOURCE_FAILED, "off",
				       "bind to CN_IDX_PROC: %s%s",
				       strerror(-rc),
				       rc == -EPERM ? " (needs root or "
						      "CAP_NET_ADMIN)" : "");
		goto out_close_fd;
	}
	rc = send_mcast_op(ps->fd, PROC_CN_MCAST_LISTEN);
	if (rc) {
		vigil_source_set_state(src, VIGIL_SOURCE_FAILED, "off",
				       "PROC_CN_MCAST_LISTEN: %s",
				       strerror(-rc));
		goto out_close_fd;
	}
	rc = uv_timer_init(src->loop, &ps->report_timer);
	if (rc) {
		vigil_source_set_state(src, VIGIL_SOURCE_FAILED, "off",
				       "uv_timer_init: %s", uv_strerror(rc));
		goto out_ignore;
	}
	ps->timer_inited = true;
	ps->report_timer.data = ps;
	/* From here the descriptor is closed with the state (stop). */
	ps->pacer_inited = true;
	rc = vigil_pacer_start(&ps->pacer, src->loop, ps->fd,
			       ps->read_interval_ms, drain_socket, ps);
	if (rc) {
		vigil_source_set_state(src, VIGIL_SOURCE_FAILED, "off",
				       "watching the socket: %s",
				       uv_strerror(rc));
		goto out_ignore;
	}
	refresh_clock_offset(ps);
	vigil_source_set_state(src, VIGIL_SOURCE_RUNNING, "multicast",
			       "fork, exec, exit and id changes from "
			       "CN_IDX_PROC, receive buffer %d bytes",
			       ps->rcvbuf);
	return 0;

out_ignore:
	send_mcast_op(ps->fd, PROC_CN_MCAST_IGNORE);
out_close_fd:
	/* With the pacer started, the descriptor is closed with the
	 * state once its handles are (stop). */
	if (!ps->pacer_inited) {
		close(ps->fd);
		ps->fd = -1;
	}
	return rc;
}

/* Frees the state once the descriptor and every handle are closed. */
static void free_state(struct proc_source *ps)
{
	if (ps->fd >= 0)
		close(ps->fd);
	vigil_arena_free(&ps->arena);
	free(ps);
}

/* One of the state's handles (the report timer or the pacer's) has
 * closed: the last one frees the state. */
static void on_pacer_closed(void *arg)
{
	struct proc_source *ps = arg;

	if (--ps->closing == 0)
		free_state(ps);
}

static void on_closed(uv_handle_t *h)
{
	on_pacer_closed(h->data);
}

static void proc_stop(struct vigil_source *src)
{
	struct proc_source *ps = vigil_source_take_priv(src);

	if (!ps)
		return;
	if (ps->fd >= 0)
		send_mcast_op(ps->fd, PROC_CN_MCAST_IGNORE);
	if (src->state != VIGIL_SOURCE_DISABLED &&
	    src->state != VIGIL_SOURCE_FAILED)
		vigil_source_set_state(src, VIGIL_SOURCE_STOPPED, "off",
				       "stopped");
	/* Each handle's close callback counts down; the last frees. */
	ps->closing = ps->pacer_inited + ps->timer_inited;
	if (!ps->closing) {
		free_state(ps);
		return;
	}
	if (ps->pacer_inited)
		vigil_pacer_close(&ps->pacer, on_pacer_closed);
	if (ps->timer_inited) {
		uv_timer_stop(&ps->report_timer);
		uv_close((uv_handle_t *)&ps->report_timer, on_closed);
	}
}

/* What proc_status_json reports, in its order (source_status.h): the
 * settings, the loss, a counter per kind of connector message ... */
#define PS struct proc_source
static const struct vigil_status_field proc_fields[] = {
	VIGIL_STATUS_INT("rcvbuf", PS, rcvbuf),
	VIGIL_STATUS_BOOL("read_exec_image", PS, read_exec_image),
	VIGIL_STATUS_U64("overruns", PS, overruns),
	VIGIL_STATUS_U64("forks", PS, counters[PC_FORK]),
	VIGIL_STATUS_U64("thread_clones", PS, counters[PC_THREAD]),
	VIGIL_STATUS_U64("execs", PS, counters[PC_EXEC]),
	VIGIL_STATUS_U64("exits", PS, counters[PC_EXIT]),
	VIGIL_STATUS_U64("uid_changes", PS, counters[PC_UID]),
	VIGIL_STATUS_U64("gid_changes", PS, counters[PC_GID]),
	VIGIL_STATUS_U64("setsids", PS, counters[PC_SID]),
	VIGIL_STATUS_U64("comm_changes", PS, counters[PC_COMM]),
	VIGIL_STATUS_U64("ptraces", PS, counters[PC_PTRACE]),
	VIGIL_STATUS_U64("coredumps", PS, counters[PC_COREDUMP]),
	VIGIL_STATUS_U64("other", PS, counters[PC_OTHER]),
};
#undef PS
_Static_assert(VIGIL_ARRAY_SIZE(proc_fields) == 3 + PC__COUNT,
	       "every proc counter has its status key");

/* ... and the process table's numbers, as "table":{...}. */
#define ST struct vigil_proctable_stats
static const struct vigil_status_field table_fields[] = {
	VIGIL_STATUS_U64("entries", ST, entries),
	VIGIL_STATUS_U64("live", ST, live),
	VIGIL_STATUS_U64("hits", ST, hits),
	VIGIL_STATUS_U64("misses", ST, misses),
	VIGIL_STATUS_U64("procfs_fills", ST, procfs_fills),
	VIGIL_STATUS_U64("evicted_live", ST, evicted_live),
	VIGIL_STATUS_U64("evicted_exited", ST, evicted_exited),
	VIGIL_STATUS_U64("expired", ST, expired),
	VIGIL_STATUS_U64("pid_reuse", ST, pid_reuse),
	VIGIL_STATUS_U64("vanished", ST, vanished),
	VIGIL_STATUS_U64("leader_exec", ST, leader_exec),
	VIGIL_STATUS_U64("buffer_bytes", ST, buffer_bytes),
};
#undef ST

static int proc_status_json(struct vigil_source *src, struct vigil_buf *out)
{
	struct proc_source *ps = src->priv;
	struct vigil_proctable_stats st;

	if (!ps)
		return 0;
	vigil_status_fields(out, ps, proc_fields, VIGIL_ARRAY_SIZE(proc_fields));
	vigil_proctable_get_stats(ps->table, &st);
	vigil_status_object(out, "table", &st, table_fields,
			    VIGIL_ARRAY_SIZE(table_fields));
	if (ps->pacer_inited)
		vigil_pacer_status_json(&ps->pacer, out);
	return 0;
}

const struct vigil_source_ops vigil_proc_source_ops = {
	.name = "proc",
	.start = proc_start,
	.stop = proc_stop,
	.status_json = proc_status_json,
	.reload = NULL,
	.drain = proc_drain,
	.check = proc_check,
};
