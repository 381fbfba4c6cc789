/*
 * pacer.h - reading a busy kernel socket in batches.
 *
 * A source that wakes up for every datagram pays a context switch for a
 * handful of records (the audit stream sends one record per datagram,
 * seven per exec).  The pacer watches the descriptor as usual while it is
 * quiet; when it is woken again within `interval` of the previous
 * wake-up, it stops watching and reads on a timer every `interval`
 * instead, so what arrived in between is read in one go.  The first
 * timer read that finds nothing waiting goes back to watching.  Records
 * wait at most `interval` in the socket's receive buffer, which must be
 * large enough for that (the sources size it); a quiet host sees no
 * delay at all.
 */
#ifndef VIGIL_SOURCES_PACER_H
#define VIGIL_SOURCES_PACER_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "util.h"

/*
 * Reads what is waiting on the descriptor without blocking.  status is 0,
 * or the libuv error the poll handle reported (a socket error such as an
 * overrun: the callback takes it with SO_ERROR).  Returns the number of
 * messages read (0 when nothing was waiting), or a negative errno when
 * the descriptor is broken: the pacer then stops watching it.
 */
typedef int (*vigil_pacer_drain_fn)(void *arg, int status);

struct vigil_pacer {
	uv_poll_t poll;
	uv_timer_t timer;
	vigil_pacer_drain_fn drain;
	void *arg;
	uint64_t interval_ms; /* 0: read at every wake-up, never on a timer */
	uint64_t last_wake;   /* loop time (ms) of the last wake-up */
	bool paced;           /* reading on the timer */
	bool stopped;
	int inited;  /* handles initialised: the timer, then the poll */
	int closing;
	void (*closed)(void *arg);
	/* status */
	uint64_t wakeups;     /* reads on a wake-up of the descriptor */
	uint64_t timed_reads; /* reads on the timer */
	uint64_t messages;    /* what the reads returned */
};

/*
 * Starts watching fd on loop, calling drain(arg, ...) to read.
 * interval_ms 0 disables pacing.  Returns 0 or a negative libuv error;
 * either way the pacer is closed with vigil_pacer_close().
 */
int vigil_pacer_start(struct vigil_pacer *p, uv_loop_t *loop, int fd,
		      uint64_t interval_ms, vigil_pacer_drain_fn drain,
		      void *arg);

/* Stops reading (the handles stay open until vigil_pacer_close). */
void vigil_pacer_stop(struct vigil_pacer *p);

/*
 * Closes the handles; closed(arg) runs once they are, from the loop (at
 * once when start had initialised none).  The pacer's memory must stay
 * valid until then.
 */
void vigil_pacer_close(struct vigil_pacer *p, void (*closed)(void *arg));

/* Appends ,"reads":{...} (interval, wake-ups, timed reads, messages) to
 * a source's status JSON. */
void vigil_pacer_status_json(const struct vigil_pacer *p,
			     struct vigil_buf *out);

#endif /* VIGIL_SOURCES_PACER_H */
