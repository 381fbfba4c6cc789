/*
 * test_proc_connector_messages.c - the proc connector source's handling of
 * kernel messages, without the kernel: socket(), bind() and recvmmsg() are
 * wrapped at link time (-Wl,--wrap) so that the source reads datagrams the
 * test writes into a socketpair, as if from netlink port 0.  The table is
 * seeded from the fixture /proc tree.
 */
#include "config.h"

#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "proc/proctable.h"
#include "proc/proc_connector.h"

#define FIXTURE_PROC VIGIL_FIXTURES "/proc"
#define MAX_EVENTS 16

/* ---- link-time wrappers ---- */

static int fake_fds[2] = { -1, -1 }; /* [0] the source's, [1] the test's */
static int fake_enobufs;             /* recvmmsg fails this many times */
static int fake_sender_pid;          /* netlink port of the "sender" */

int __wrap_socket(int domain, int type, int protocol);
int __wrap_bind(int fd, const struct sockaddr *sa, socklen_t len);
int __wrap_recvmmsg(int fd, struct mmsghdr *msg, unsigned int vlen,
		    int flags, struct timespec *timeout);

int __wrap_socket(int domain, int type, int protocol)
{
	assert_int_equal(domain, PF_NETLINK);
	assert_int_equal(protocol, NETLINK_CONNECTOR);
	(void)type;
	return fake_fds[0];
}

int __wrap_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_nl *nl = (const struct sockaddr_nl *)sa;

	assert_int_equal(fd, fake_fds[0]);
	assert_int_equal(len, sizeof(*nl));
	assert_int_equal(nl->nl_groups, CN_IDX_PROC);
	return 0;
}

int __wrap_recvmmsg(int fd, struct mmsghdr *msg, unsigned int vlen,
		    int flags, struct timespec *timeout)
{
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	unsigned int i;
	ssize_t n;

	(void)timeout;
	if (fake_enobufs > 0) {
		fake_enobufs--;
		errno = ENOBUFS;
		return -1;
	}
	/* Like the kernel: what is waiting, up to vlen; EAGAIN for none. */
	for (i = 0; i < vlen; i++) {
		struct msghdr *h = &msg[i].msg_hdr;

		n = recv(fd, h->msg_iov[0].iov_base, h->msg_iov[0].iov_len,
			 flags | MSG_DONTWAIT);
		if (n < 0)
			break;
		msg[i].msg_len = (unsigned int)n;
		if (h->msg_name && h->msg_namelen >= sizeof(nl)) {
			nl.nl_pid = (uint32_t)fake_sender_pid;
			memcpy(h->msg_name, &nl, sizeof(nl));
			h->msg_namelen = sizeof(nl);
		}
	}
	return i ? (int)i : -1;
}

/* ---- test doubles of the daemon ---- */

static struct vigil_proctable *table;
static struct {
	uint32_t type;
	int32_t pid, ppid;
	uint32_t n_ancestors;
	char exe[64];
	char agent_kind[64];
	int64_t agent_count;
} events[MAX_EVENTS];
static size_t n_events;

void vigil_source_set_state(struct vigil_source *src, int state,
			    const char *mode, const char *fmt, ...)
{
	va_list ap;

	src->state = state;
	snprintf(src->mode, sizeof(src->mode), "%s", mode);
	va_start(ap, fmt);
	vsnprintf(src->reason, sizeof(src->reason), fmt, ap);
	va_end(ap);
}

int vigil_pipeline_submit(struct vigil_pipeline *p, struct vigil_event *ev)
{
	(void)p;
	assert_int_equal(vigil_proctable_enrich(table, ev), 0);
	assert_true(n_events < MAX_EVENTS);
	events[n_events].type = ev->type;
	events[n_events].pid = ev->process.pid;
	events[n_events].ppid = ev->process.ppid;
	events[n_events].n_ancestors = ev->n_ancestors;
	snprintf(events[n_events].exe, sizeof(events[0].exe), "%.*s",
		 (int)ev->process.file.path.len,
		 ev->process.file.path.ptr ? ev->process.file.path.ptr : "");
	if (ev->type == VIGIL_EV_AGENT) {
		snprintf(events[n_events].agent_kind,
			 sizeof(events[0].agent_kind), "%.*s",
			 (int)ev->u.agent.kind.len, ev->u.agent.kind.ptr);
		events[n_events].agent_count = ev->u.agent.count;
	}
	n_events++;
	return 0;
}

/* ---- helpers ---- */

struct ctx {
	uv_loop_t loop;
	struct vigil_source src;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c || socketpair(AF_UNIX, SOCK_DGRAM, 0, fake_fds) ||
	    vigil_proctable_new(0, &table) ||
	    vigil_proctable_seed(table, FIXTURE_PROC))
		return -1;
	fake_enobufs = 0;
	fake_sender_pid = 0;
	n_events = 0;
	uv_loop_init(&c->loop);
	c->src.ops = &vigil_proc_source_ops;
	c->src.loop = &c->loop;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	if (c->src.priv)
		c->src.ops->stop(&c->src);
	uv_run(&c->loop, UV_RUN_DEFAULT);
	uv_loop_close(&c->loop);
	/* fake_fds[0] was closed by the source. */
	close(fake_fds[1]);
	vigil_proctable_free(table);
	free(c);
	return 0;
}

static void start(struct ctx *c)
{
	char msg[256];
	ssize_t n;
	const struct cn_msg *cn;
	enum proc_cn_mcast_op op;

	assert_int_equal(vigil_proc_source_attach(&c->src, table), 0);
	assert_int_equal(c->src.ops->start(&c->src), 0);
	assert_int_equal(c->src.state, VIGIL_SOURCE_RUNNING);
	/* The subscription the source sent. */
	n = recv(fake_fds[1], msg, sizeof(msg), MSG_DONTWAIT);
	assert_true(n >= (ssize_t)NLMSG_LENGTH(sizeof(*cn) + sizeof(op)));
	cn = NLMSG_DATA((struct nlmsghdr *)(void *)msg);
	assert_int_equal(cn->id.idx, CN_IDX_PROC);
	memcpy(&op, cn->data, sizeof(op));
	assert_int_equal(op, PROC_CN_MCAST_LISTEN);
}

/* Sends one proc event of cn_len bytes (what the kernel would). */
static void send_event(const struct proc_event *pe, size_t cn_len,
		       uint32_t idx)
{
	union {
		struct nlmsghdr hdr;
		char bytes[NLMSG_SPACE(sizeof(struct cn_msg) +
				       sizeof(struct proc_event))];
	} m;
	struct cn_msg *cn;

	memset(&m, 0, sizeof(m));
	m.hdr.nlmsg_len = NLMSG_LENGTH(sizeof(*cn) + cn_len);
	m.hdr.nlmsg_type = NLMSG_DONE;
	cn = NLMSG_DATA(&m.hdr);
	cn->id.idx = idx;
	cn->id.val = CN_VAL_PROC;
	cn->len = (uint16_t)cn_len;
	memcpy(cn->data, pe, cn_len);
	assert_int_equal(send(fake_fds[1], &m, m.hdr.nlmsg_len, 0),
			 (ssize_t)m.hdr.nlmsg_len);
}

static struct proc_event fork_event(int32_t ppid, int32_t pid, int32_t tid)
{
	struct proc_event pe;

	memset(&pe, 0, sizeof(pe));
	pe.what = PROC_EVENT_FORK;
	pe.timestamp_ns = (uint64_t)uv_hrtime();
	pe.event_data.fork.parent_pid = ppid;
	pe.event_data.fork.parent_tgid = ppid;
	pe.event_data.fork.child_pid = tid;
	pe.event_data.fork.child_tgid = pid;
	return pe;
}

/* Runs the loop, then reads what is still waiting through the drain op
 * (what the audit source calls): a source read twice within its
 * read_interval reads on a timer, not at the next wake-up. */
static void pump(struct ctx *c)
{
	for (int i = 0; i < 3; i++)
		uv_run(&c->loop, UV_RUN_NOWAIT);
	assert_true(c->src.ops->drain(&c->src) >= 0);
}

/* ---- tests ---- */

static void test_proc_connector_fork_event_carries_table_context(void **state)
{
	struct ctx *c = *state;
	struct proc_event pe = fork_event(4121, 6000, 6000);

	start(c);
	send_event(&pe, sizeof(pe), CN_IDX_PROC);
	pump(c);
	assert_int_equal(n_events, 1);
	assert_int_equal(events[0].type, VIGIL_EV_FORK);
	assert_int_equal(events[0].pid, 6000);
	assert_int_equal(events[0].ppid, 4121);
	assert_string_equal(events[0].exe, "/usr/bin/bash");
	assert_int_equal(events[0].n_ancestors, 5);
	assert_int_equal(c->src.events_in, 1);
	assert_int_equal(c->src.events_out, 1);
}

static void test_proc_connector_ignores_thread_clones_and_exits(void **state)
{
	struct ctx *c = *state;
	struct proc_event pe = fork_event(4121, 4121, 6001);

	start(c);
	send_event(&pe, sizeof(pe), CN_IDX_PROC);
	memset(&pe, 0, sizeof(pe));
	pe.what = PROC_EVENT_EXIT;
	pe.event_data.exit.process_pid = 6001;
	pe.event_data.exit.process_tgid = 4121;
	send_event(&pe, sizeof(pe), CN_IDX_PROC);
	pump(c);
	assert_int_equal(n_events, 0);
	assert_non_null(vigil_proctable_lookup(table, 4121, 0));
	assert_false(vigil_proctable_lookup(table, 4121, 0)->flags &
		     VIGIL_PROC_EXITED);
}

static void test_proc_connector_exit_event_marks_process_exited(void **state)
{
	struct ctx *c = *state;
	struct proc_event pe;

	start(c);
	memset(&pe, 0, sizeof(pe));
	pe.what = PROC_EVENT_EXIT;
	pe.timestamp_ns = (uint64_t)uv_hrtime();
	pe.event_data.exit.process_pid = 4200;
	pe.event_data.exit.process_tgid = 4200;
	send_event(&pe, sizeof(pe), CN_IDX_PROC);
	pump(c);
	assert_int_equal(n_events, 1);
	assert_int_equal(events[0].type, VIGIL_EV_EXIT);
	assert_int_equal(events[0].pid, 4200);
	assert_string_equal(events[0].exe, "/home/alice/evil (deleted)");
	assert_int_equal(events[0].n_ancestors, 5);
	assert_true(vigil_proctable_lookup(table, 4200, 0)->flags &
		    VIGIL_PROC_EXITED);
}

/* A thread other than the leader executes: the kernel reports the old
 * leader's exit (pid == tgid), then the exec; the process lives on. */
static void test_proc_connector_exec_by_a_thread_keeps_process_live(
	void **state)
{
	struct ctx *c = *state;
	struct proc_event pe;

	start(c);
	memset(&pe, 0, sizeof(pe));
	pe.what = PROC_EVENT_EXIT;
	pe.timestamp_ns = (uint64_t)uv_hrtime();
	pe.event_data.exit.process_pid = 4121;
	pe.event_data.exit.process_tgid = 4121;
	send_event(&pe, sizeof(pe), CN_IDX_PROC);
	memset(&pe, 0, sizeof(pe));
	pe.what = PROC_EVENT_EXEC;
	pe.timestamp_ns = (uint64_t)uv_hrtime();
	pe.event_data.exec.process_pid = 4121;
	pe.event_data.exec.process_tgid = 4121;
	send_event(&pe, sizeof(pe), CN_IDX_PROC);
	pump(c);
	assert_non_null(vigil_proctable_lookup(table, 4121, 0));
	assert_false(vigil_proctable_lookup(table, 4121, 0)->flags &
		     VIGIL_PROC_EXITED);
}

static void test_proc_connector_uid_event_updates_table(void **state)
{
	struct ctx *c = *state;
	struct proc_event pe;

	start(c);
	memset(&pe, 0, sizeof(pe));
	pe.what = PROC_EVENT_UID;
	pe.event_data.id.process_pid = 4121;
	pe.event_data.id.process_tgid = 4121;
	pe.event_data.id.r.ruid = 0;
	pe.event_data.id.e.euid = 0;
	send_event(&pe, sizeof(pe), CN_IDX_PROC);
	pump(c);
	assert_int_equal(vigil_proctable_lookup(table, 4121, 0)->uid, 0);
	assert_int_equal(vigil_proctable_lookup(table, 4121, 0)->euid, 0);
	assert_int_equal(n_events, 0);
}

/* Short, foreign and spoofed messages are dropped, never read past. */
static void test_proc_connector_drops_malformed_and_spoofed(void **state)
{
	struct ctx *c = *state;
	struct proc_event pe = fork_event(4121, 6002, 6002);
	const size_t head = offsetof(struct proc_event, event_data);

	start(c);
	send_event(&pe, head - 1, CN_IDX_PROC);  /* no header */
	send_event(&pe, head + 4, CN_IDX_PROC);  /* fork cut short */
	send_event(&pe, sizeof(pe), CN_IDX_PROC + 1); /* another connector */
	pump(c);
	fake_sender_pid = 4242; /* a user-space process, not the kernel */
	send_event(&pe, sizeof(pe), CN_IDX_PROC);
	pump(c);
	assert_int_equal(n_events, 0);
	assert_int_equal(c->src.drops, 4);
	assert_null(vigil_proctable_lookup(table, 6002, 0));
}

static void test_proc_connector_overrun_counts_loss_and_raises(void **state)
{
	struct ctx *c = *state;
	struct proc_event pe = fork_event(4121, 6003, 6003);

	start(c);
	fake_enobufs = 2;
	send_event(&pe, sizeof(pe), CN_IDX_PROC);
	pump(c);
	assert_int_equal(c->src.lost, 2);
	assert_int_equal(n_events, 2);
	assert_int_equal(events[0].type, VIGIL_EV_FORK);
	assert_int_equal(events[1].type, VIGIL_EV_AGENT);
	assert_string_equal(events[1].agent_kind, "proc_connector_overrun");
	assert_int_equal(events[1].agent_count, 2);
}

/* A second overrun within the second after a report is raised by the
 * timer when the second is over, not lost and not raised at once. */
static void test_proc_connector_overrun_reports_are_rate_limited(void **state)
{
	struct ctx *c = *state;
	struct proc_event pe = fork_event(4121, 6004, 6004);
	uint64_t t0;

	start(c);
	fake_enobufs = 1;
	send_event(&pe, sizeof(pe), CN_IDX_PROC);
	pump(c);
	assert_int_equal(n_events, 2); /* the fork, the first report */
	fake_enobufs = 1;
	pe = fork_event(4121, 6005, 6005);
	send_event(&pe, sizeof(pe), CN_IDX_PROC);
	pump(c);
	assert_int_equal(n_events, 3); /* the fork only */
	assert_int_equal(c->src.lost, 2);
	t0 = uv_now(&c->loop);
	while (n_events < 4 && uv_now(&c->loop) - t0 < 3000)
		uv_run(&c->loop, UV_RUN_ONCE);
	assert_int_equal(n_events, 4);
	assert_int_equal(events[3].type, VIGIL_EV_AGENT);
	assert_int_equal(events[3].agent_count, 1);
	assert_true(uv_now(&c->loop) - t0 >= 900);
}

static void test_proc_connector_feature_mask_disables(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(vigil_proc_source_attach(&c->src, table), 0);
	assert_int_equal(vigil_proc_source_attach(&c->src, table), -EBUSY);
	c->src.features_disabled = VIGIL_FEAT_PROC_CONNECTOR;
	assert_int_equal(c->src.ops->start(&c->src), 0);
	assert_int_equal(c->src.state, VIGIL_SOURCE_DISABLED);
	assert_non_null(strstr(c->src.reason, "agent.features.disable"));
	/* No socket was taken: close the one the wrapper would give. */
	close(fake_fds[0]);
}

static void test_proc_connector_without_table_fails(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(c->src.ops->start(&c->src), -EINVAL);
	assert_int_equal(c->src.state, VIGIL_SOURCE_FAILED);
	close(fake_fds[0]);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_proc_connector_fork_event_carries_table_context),
		T(test_proc_connector_ignores_thread_clones_and_exits),
		T(test_proc_connector_exit_event_marks_process_exited),
		T(test_proc_connector_exec_by_a_thread_keeps_process_live),
		T(test_proc_connector_uid_event_updates_table),
		T(test_proc_connector_drops_malformed_and_spoofed),
		T(test_proc_connector_overrun_counts_loss_and_raises),
		T(test_proc_connector_overrun_reports_are_rate_limited),
		T(test_proc_connector_feature_mask_disables),
		T(test_proc_connector_without_table_fails),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
