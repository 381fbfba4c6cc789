/*
 * pacer.c - reading a busy kernel socket in batches (see pacer.h).
 */
#include "config.h"

#include "pacer.h"

static void on_poll(uv_poll_t *h, int status, int events);

/* Runs one read and counts it; stops everything when the socket broke. */
static int read_once(struct vigil_pacer *p, int status)
{
	int n = p->drain(p->arg, status);

	if (n < 0) {
		vigil_pacer_stop(p);
		return n;
	}
	p->messages += (uint64_t)n;
	return n;
}

static void on_timer(uv_timer_t *h)
{
	struct vigil_pacer *p = h->data;
	int n;

	p->timed_reads++;
	n = read_once(p, 0);
	if (n < 0 || p->stopped)
		return;
	if (n > 0) {
		uv_timer_start(&p->timer, on_timer, p->interval_ms, 0);
		return;
	}
	/* Quiet again: wait for the socket. */
	p->paced = false;
	p->last_wake = uv_now(p->timer.loop);
	uv_poll_start(&p->poll, UV_READABLE, on_poll);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct vigil_pacer *p = h->data;
	uint64_t now = uv_now(p->poll.loop);
	bool busy;

	(void)events;
	p->wakeups++;
	busy = p->interval_ms && now - p->last_wake < p->interval_ms;
	p->last_wake = now;
	if (read_once(p, status) < 0 || p->stopped)
		return;
	if (busy) {
		/* Woken twice within one interval: read on the timer. */
		uv_poll_stop(&p->poll);
		p->paced = true;
		uv_timer_start(&p->timer, on_timer, p->interval_ms, 0);
	} else if (status < 0) {
		/* libuv stopped the handle on the socket error. */
		uv_poll_start(&p->poll, UV_READABLE, on_poll);
	}
}

int vigil_pacer_start(struct vigil_pacer *p, uv_loop_t *loop, int fd,
		      uint64_t interval_ms, vigil_pacer_drain_fn drain,
		      void *arg)
{
	int rc;

	p->drain = drain;
	p->arg = arg;
	p->interval_ms = interval_ms;
	p->paced = false;
	p->stopped = false;
	p->inited = 0;
	p->closing = 0;
	p->wakeups = p->timed_reads = p->messages = 0;
	rc = uv_timer_init(loop, &p->timer);
	if (rc)
		return rc;
	p->timer.data = p;
	p->inited++;
	rc = uv_poll_init(loop, &p->poll, fd);
	if (rc)
		return rc;
	p->poll.data = p;
	p->inited++;
	p->last_wake = uv_now(loop);
	return uv_poll_start(&p->poll, UV_READABLE, on_poll);
}

void vigil_pacer_stop(struct vigil_pacer *p)
{
	p->stopped = true;
	if (p->inited > 1)
		uv_poll_stop(&p->poll);
	if (p->inited)
		uv_timer_stop(&p->timer);
}

static void on_closed(uv_handle_t *h)
{
	struct vigil_pacer *p = h->data;

	if (--p->closing == 0 && p->closed)
		p->closed(p->arg);
}

void vigil_pacer_close(struct vigil_pacer *p, void (*closed)(void *arg))
{
	p->closed = closed;
	p->closing = p->inited;
	if (!p->inited) {
		if (closed)
			closed(p->arg);
		return;
	}
	vigil_pacer_stop(p);
	uv_close((uv_handle_t *)&p->timer, on_closed);
	if (p->inited > 1)
		uv_close((uv_handle_t *)&p->poll, on_closed);
}

void vigil_pacer_status_json(const struct vigil_pacer *p,
			     struct vigil_buf *out)
{
	vigil_buf_printf(out,
			 ",\"reads\":{\"interval_ms\":%llu,\"paced\":%s,"
			 "\"wakeups\":%llu,\"timed\":%llu,"
			 "\"messages\":%llu}",
			 (unsigned long long)p->interval_ms,
			 p->paced ? "true" : "false",
			 (unsigned long long)p->wakeups,
			 (unsigned long long)p->timed_reads,
			 (unsigned long long)p->messages);
}
