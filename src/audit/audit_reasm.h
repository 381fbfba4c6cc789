/*
 * audit_reasm.h - group audit records into events.
 *
 * The kernel writes one event as several records sharing a stamp
 * (timestamp, serial): SYSCALL, EXECVE, CWD, PATH..., PROCTITLE, EOE.
 * Records of different events interleave.  An event ends, as in
 * auditd.conf(5) NOTES, on EOE, on PROCTITLE (always last), on a
 * single-record type, or when it is older than the timeout; a cap on the
 * events in flight evicts the oldest.  Jumps in the serial are counted as
 * possible loss.
 *
 * The reassembler copies record text into per-slot buffers that are reused,
 * so the steady state allocates nothing.  A finished event is handed to the
 * emit callback; its memory is valid only during the callback.
 */
#ifndef VIGIL_AUDIT_REASM_H
#define VIGIL_AUDIT_REASM_H

#include <stdbool.h>
#include <stdint.h>

#include "audit/audit_record.h"

/* One record of an assembled event: its text is text[off, off+len). */
struct vigil_audit_rec_ref {
	uint32_t type;
	uint32_t off;
	uint32_t len;
	uint32_t body_off; /* first field, relative to off */
};

enum vigil_audit_end {
	VIGIL_AUDIT_END_EOE = 1,   /* EOE or PROCTITLE */
	VIGIL_AUDIT_END_SINGLE,    /* single-record type */
	VIGIL_AUDIT_END_TIMEOUT,   /* older than the timeout */
	VIGIL_AUDIT_END_EVICTED,   /* pushed out by the in-flight cap */
	VIGIL_AUDIT_END_FLUSH,     /* end of input / shutdown */
};

struct vigil_audit_asm_event {
	int64_t sec;
	uint32_t ms;
	uint32_t end;     /* enum vigil_audit_end */
	uint64_t serial;
	const char *text; /* the records' text */
	const struct vigil_audit_rec_ref *recs;
	uint32_t n_recs;
	bool truncated;   /* records beyond the per-event caps were dropped */
};

/* Builds a record view of recs[i] (fields not parsed yet). */
void vigil_audit_asm_record(const struct vigil_audit_asm_event *ae, uint32_t i,
			    struct vigil_audit_record *rec);

typedef void (*vigil_audit_emit_fn)(void *ctx,
				    const struct vigil_audit_asm_event *ae);

struct vigil_audit_reasm_stats {
	uint64_t records;   /* records pushed */
	uint64_t events;    /* events emitted */
	uint64_t timeouts;  /* of which ended by the timeout */
	uint64_t evicted;   /* of which pushed out by the cap */
	uint64_t truncated; /* events that lost records to the caps */
	uint64_t late;      /* EOE for an event already emitted: ignored */
	uint64_t gaps;      /* serials never seen (possible loss) */
};

/* Defaults: auditd's end_of_event_timeout and go-libaudit's cap. */
#define VIGIL_AUDIT_DEFAULT_TIMEOUT_NS (2LL * 1000000000LL)
#define VIGIL_AUDIT_DEFAULT_MAX_IN_FLIGHT 64
/* Bounds on one event: a 2 MiB command line takes about 290 EXECVE
 * records of MAX_EXECVE_AUDIT_LEN (7500) bytes. */
#define VIGIL_AUDIT_MAX_EVENT_RECORDS 4096
#define VIGIL_AUDIT_MAX_EVENT_BYTES (8u << 20)

struct vigil_audit_reasm;

/*
 * Creates a reassembler.  timeout_ns and max_in_flight of 0 take the
 * defaults.  Returns NULL on -ENOMEM.  Free with vigil_audit_reasm_free().
 */
struct vigil_audit_reasm *vigil_audit_reasm_new(uint32_t max_in_flight,
						int64_t timeout_ns,
						vigil_audit_emit_fn emit,
						void *ctx);
void vigil_audit_reasm_free(struct vigil_audit_reasm *r);

/*
 * Adds a record (its header parsed).  now_ns is the clock that drives the
 * timeout: monotonic time for live intake, the record's own time for a log
 * replay.  May emit events.  Returns 0 or -ENOMEM (the record is lost and
 * counted).
 */
int vigil_audit_reasm_push(struct vigil_audit_reasm *r,
			   const struct vigil_audit_record *rec, int64_t now_ns);
/* Emits events older than the timeout at now_ns. */
void vigil_audit_reasm_expire(struct vigil_audit_reasm *r, int64_t now_ns);
/* Emits everything in flight, oldest first. */
void vigil_audit_reasm_flush(struct vigil_audit_reasm *r);
uint32_t vigil_audit_reasm_in_flight(const struct vigil_audit_reasm *r);
const struct vigil_audit_reasm_stats *
vigil_audit_reasm_stats(const struct vigil_audit_reasm *r);

/* True for a type that is an event on its own (auditd.conf(5) NOTES). */
bool vigil_audit_type_is_single(uint32_t type);

#endif /* VIGIL_AUDIT_REASM_H */
