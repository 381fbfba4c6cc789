/*
 * test_pacer.c - the pacer reads a quiet socket at once, a busy one in
 * batches on its timer, loses nothing either way, and gives up on a
 * broken descriptor.  A SOCK_DGRAM socketpair stands in for netlink: one
 * message per datagram, like the audit stream.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "pacer.h"

struct rig {
	uv_loop_t loop;
	int fds[2]; /* [0] written by the test, [1] read by the pacer */
	struct vigil_pacer pacer;
	uv_timer_t writer, stopper;
	unsigned to_write, written, read, max_batch, drains, closed;
	int fail_with; /* drain's return when nonzero */
	uint64_t deadline; /* loop time (ms) at which the run gives up */
};

/* Reads every waiting datagram; returns how many. */
static int drain(void *arg, int status)
{
	struct rig *r = arg;
	char b[64];
	int n = 0;

	(void)status;
	r->drains++;
	if (r->fail_with)
		return r->fail_with;
	while (recv(r->fds[1], b, sizeof(b), MSG_DONTWAIT) > 0)
		n++;
	r->read += (unsigned)n;
	if ((unsigned)n > r->max_batch)
		r->max_batch = (unsigned)n;
	return n;
}

static void on_write(uv_timer_t *t)
{
	struct rig *r = t->data;

	assert_int_equal(send(r->fds[0], "x", 1, 0), 1);
	if (++r->written == r->to_write)
		uv_timer_stop(t);
}

static void on_closed(void *arg)
{
	((struct rig *)arg)->closed++;
}

/* Ends the run once everything written was read and the pacer is back
 * to waiting on the socket (or after 5 s, which fails the test). */
static void on_stop_check(uv_timer_t *t)
{
	struct rig *r = t->data;

	if ((r->read == r->to_write && !r->pacer.paced) ||
	    uv_now(&r->loop) > r->deadline) {
		uv_timer_stop(&r->writer);
		uv_timer_stop(t);
		vigil_pacer_close(&r->pacer, on_closed);
		uv_close((uv_handle_t *)&r->writer, NULL);
		uv_close((uv_handle_t *)t, NULL);
	}
}

/* Writes `count` datagrams, one every `every_ms`, with the pacer at
 * interval_ms, and runs the loop until all are read and it is quiet. */
static void run(struct rig *r, uint64_t interval_ms, unsigned count,
		uint64_t every_ms)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(uv_loop_init(&r->loop), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, r->fds), 0);
	r->to_write = count;
	r->deadline = uv_now(&r->loop) + 5000;
	assert_int_equal(vigil_pacer_start(&r->pacer, &r->loop, r->fds[1],
					   interval_ms, drain, r), 0);
	uv_timer_init(&r->loop, &r->writer);
	r->writer.data = r;
	uv_timer_start(&r->writer, on_write, every_ms, every_ms);
	uv_timer_init(&r->loop, &r->stopper);
	r->stopper.data = r;
	uv_timer_start(&r->stopper, on_stop_check, 100, 20);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&r->loop), 0);
	close(r->fds[0]);
	close(r->fds[1]);
}

static void test_pacer_reads_a_quiet_socket_at_once(void **state)
{
	struct rig r;

	(void)state;
	/* One datagram every 100 ms, interval 20 ms: never busy. */
	run(&r, 20, 5, 100);
	assert_int_equal(r.read, 5);
	assert_int_equal(r.pacer.timed_reads, 0);
	assert_int_equal(r.pacer.wakeups, 5);
	assert_int_equal(r.max_batch, 1);
	assert_int_equal(r.closed, 1);
}

static void test_pacer_batches_a_busy_socket_and_loses_nothing(void **state)
{
	struct rig r;

	(void)state;
	/* 200 datagrams, one every 1-2 ms (libuv timers have 1 ms
	 * granularity), read every 30 ms once busy. */
	run(&r, 30, 200, 1);
	assert_int_equal(r.read, 200);
	assert_int_equal(r.pacer.messages, 200);
	assert_true(r.pacer.timed_reads >= 3);
	/* A few wake-ups before and after, batches of several. */
	assert_true(r.pacer.wakeups < 20);
	assert_true(r.max_batch >= 5);
	/* Quiet at the end: back to waiting on the socket. */
	assert_false(r.pacer.paced);
	assert_int_equal(r.closed, 1);
}

static void test_pacer_interval_zero_reads_every_wakeup(void **state)
{
	struct rig r;

	(void)state;
	run(&r, 0, 100, 1);
	assert_int_equal(r.read, 100);
	assert_int_equal(r.pacer.timed_reads, 0);
	assert_true(r.pacer.wakeups >= 50);
}

static void test_pacer_stops_reading_a_broken_descriptor(void **state)
{
	struct rig r;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(uv_loop_init(&r.loop), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, r.fds), 0);
	r.fail_with = -EIO;
	assert_int_equal(vigil_pacer_start(&r.pacer, &r.loop, r.fds[1], 10,
					   drain, &r), 0);
	assert_int_equal(send(r.fds[0], "x", 1, 0), 1);
	assert_int_equal(send(r.fds[0], "x", 1, 0), 1);
	/* Nothing keeps the loop alive once the pacer stopped. */
	uv_run(&r.loop, UV_RUN_DEFAULT);
	assert_int_equal(r.drains, 1);
	assert_true(r.pacer.stopped);
	vigil_pacer_close(&r.pacer, on_closed);
	uv_run(&r.loop, UV_RUN_DEFAULT);
	assert_int_equal(r.closed, 1);
	assert_int_equal(uv_loop_close(&r.loop), 0);
	close(r.fds[0]);
	close(r.fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pacer_reads_a_quiet_socket_at_once),
		cmocka_unit_test(
			test_pacer_batches_a_busy_socket_and_loses_nothing),
		cmocka_unit_test(test_pacer_interval_zero_reads_every_wakeup),
		cmocka_unit_test(test_pacer_stops_reading_a_broken_descriptor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
