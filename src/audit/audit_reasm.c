/*
 * audit_reasm.c - group audit records into events (see audit_reasm.h).
 *
 * Events in flight live in a fixed array of slots; the cap is small (tens)
 * so a linear search, starting at the slot used last, is cheaper than a
 * hash.  Each slot keeps its text buffer and record array across events.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libaudit.h>

#include "audit/audit_reasm.h"
#include "util.h"

struct slot {
	bool used;
	bool truncated;
	int64_t sec;
	uint32_t ms;
	uint64_t serial;
	int64_t first_ns; /* clock value of the first record */
	uint64_t order;   /* arrival order, for eviction */
	struct vigil_buf text;
	struct vigil_audit_rec_ref *recs;
	uint32_t n_recs, cap_recs;
};

struct vigil_audit_reasm {
	struct slot *slots;
	uint32_t n_slots;
	uint32_t in_flight;
	uint32_t last;
	uint64_t order;
	int64_t timeout_ns;
	vigil_audit_emit_fn emit;
	void *ctx;
	bool have_serial;
	uint64_t max_serial;
	uint64_t open_gaps; /* gaps that a late serial may still fill */
	struct vigil_audit_reasm_stats st;
	/* A single-record event needs no slot; its one reference. */
	struct vigil_audit_rec_ref single;
};

/* Serials are 32-bit in the kernel; a drop this large is a wrap or a
 * restart, not reordering. */
#define SERIAL_RESET_DISTANCE (1u << 24)

bool vigil_audit_type_is_single(uint32_t type)
{
	return type == AUDIT_KERNEL || type < AUDIT_FIRST_EVENT ||
	       type >= AUDIT_FIRST_ANOM_MSG ||
	       (type >= AUDIT_MAC_UNLBL_ALLOW && type <= AUDIT_MAC_CALIPSO_DEL);
}

void vigil_audit_asm_record(const struct vigil_audit_asm_event *ae, uint32_t i,
			    struct vigil_audit_record *rec)
{
	const struct vigil_audit_rec_ref *ref = &ae->recs[i];

	memset(rec, 0, sizeof(*rec));
	rec->buf = ae->text + ref->off;
	rec->len = ref->len;
	rec->type = ref->type;
	rec->sec = ae->sec;
	rec->ms = ae->ms;
	rec->serial = ae->serial;
	rec->body_off = ref->body_off;
}

struct vigil_audit_reasm *vigil_audit_reasm_new(uint32_t max_in_flight,
						int64_t timeout_ns,
						vigil_audit_emit_fn emit,
						void *ctx)
{
	struct vigil_audit_reasm *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->n_slots = max_in_flight ? max_in_flight
				   : VIGIL_AUDIT_DEFAULT_MAX_IN_FLIGHT;
	r->slots = calloc(r->n_slots, sizeof(*r->slots));
	if (!r->slots) {
		free(r);
		return NULL;
	}
	r->timeout_ns = timeout_ns > 0 ? timeout_ns
				       : VIGIL_AUDIT_DEFAULT_TIMEOUT_NS;
	r->emit = emit;
	r->ctx = ctx;
	return r;
}

void vigil_audit_reasm_free(struct vigil_audit_reasm *r)
{
	uint32_t i;

	if (!r)
		return;
	for (i = 0; i < r->n_slots; i++) {
		vigil_buf_free(&r->slots[i].text);
		free(r->slots[i].recs);
	}
	free(r->slots);
	free(r);
}

/* Hands a slot's event to the callback and frees the slot for reuse. */
static void slot_emit(struct vigil_audit_reasm *r, struct slot *s,
		      uint32_t end)
{
	struct vigil_audit_asm_event ae = {
		.sec = s->sec,
		.ms = s->ms,
		.end = end,
		.serial = s->serial,
		.text = s->text.data,
		.recs = s->recs,
		.n_recs = s->n_recs,
		.truncated = s->truncated,
	};

	r->st.events++;
	if (end == VIGIL_AUDIT_END_TIMEOUT)
		r->st.timeouts++;
	else if (end == VIGIL_AUDIT_END_EVICTED)
		r->st.evicted++;
	if (s->truncated)
		r->st.truncated++;
	if (s->n_recs > 0)
		r->emit(r->ctx, &ae);
	s->used = false;
	s->truncated = false;
	s->n_recs = 0;
	vigil_buf_reset(&s->text);
	r->in_flight--;
}

static struct slot *slot_find(struct vigil_audit_reasm *r,
			      const struct vigil_audit_record *rec)
{
	uint32_t i, k;

	for (k = 0; k < r->n_slots; k++) {
		i = (r->last + k) % r->n_slots;
		if (r->slots[i].used && r->slots[i].serial == rec->serial &&
		    r->slots[i].sec == rec->sec && r->slots[i].ms == rec->ms) {
			r->last = i;
			return &r->slots[i];
		}
	}
	return NULL;
}

static struct slot *slot_oldest(struct vigil_audit_reasm *r)
{
	struct slot *best = NULL;
	uint32_t i;

	for (i = 0; i < r->n_slots; i++)
		if (r->slots[i].used &&
		    (!best || r->slots[i].order < best->order))
			best = &r->slots[i];
	return best;
}

/* Takes a free slot for rec's event, evicting the oldest if all are used. */
static struct slot *slot_open(struct vigil_audit_reasm *r,
			      const struct vigil_audit_record *rec,
			      int64_t now_ns)
{
	struct slot *s = NULL;
	uint32_t i;

	if (r->in_flight == r->n_slots)
		slot_emit(r, slot_oldest(r), VIGIL_AUDIT_END_EVICTED);
	for (i = 0; i < r->n_slots; i++) {
		if (!r->slots[i].used) {
			s = &r->slots[i];
			r->last = i;
			break;
		}
	}
	assert(s); /* eviction above always frees one */
	s->used = true;
	s->sec = rec->sec;
	s->ms = rec->ms;
	s->serial = rec->serial;
	s->first_ns = now_ns;
	s->order = r->order++;
	r->in_flight++;
	return s;
}

/* Copies the record into the slot.  Over the caps it is dropped and the
 * event marked truncated. */
static int slot_add(struct slot *s, const struct vigil_audit_record *rec)
{
	struct vigil_audit_rec_ref *ref;

	if (s->n_recs >= VIGIL_AUDIT_MAX_EVENT_RECORDS ||
	    s->text.len + rec->len > VIGIL_AUDIT_MAX_EVENT_BYTES) {
		s->truncated = true;
		return 0;
	}
	if (s->n_recs == s->cap_recs) {
		uint32_t cap = s->cap_recs ? s->cap_recs * 2 : 8;
		void *p = realloc(s->recs, cap * sizeof(*s->recs));

		if (!p)
			return -ENOMEM;
		s->recs = p;
		s->cap_recs = cap;
	}
	ref = &s->recs[s->n_recs];
	ref->type = rec->type;
	ref->off = (uint32_t)s->text.len;
	ref->len = rec->len;
	ref->body_off = rec->body_off;
	if (vigil_buf_append(&s->text, rec->buf, rec->len))
		return -ENOMEM;
	s->n_recs++;
	return 0;
}

/*
 * Serial bookkeeping: a jump past max+1 opens gaps; a new serial below the
 * max closes one (it was reordering, not loss).  Gaps are reported as they
 * open; the count is corrected down when they close.
 */
static void track_serial(struct vigil_audit_reasm *r, uint64_t serial)
{
	if (!r->have_serial) {
		r->have_serial = true;
		r->max_serial = serial;
		return;
	}
	if (serial > r->max_serial) {
		uint64_t gap = serial - r->max_serial - 1;

		if (gap >= SERIAL_RESET_DISTANCE)
			gap = 0;
		r->st.gaps += gap;
		r->open_gaps += gap;
		r->max_serial = serial;
	} else if (r->max_serial - serial >= SERIAL_RESET_DISTANCE) {
		r->max_serial = serial; /* wrapped or restarted */
		r->open_gaps = 0;
	} else if (serial < r->max_serial && r->open_gaps > 0) {
		r->open_gaps--;
		r->st.gaps--;
	}
}

int vigil_audit_reasm_push(struct vigil_audit_reasm *r,
			   const struct vigil_audit_record *rec, int64_t now_ns)
{
	struct slot *s;
	int err;

	r->st.records++;
	vigil_audit_reasm_expire(r, now_ns);
	s = slot_find(r, rec);
	if (!s) {
		if (rec->type == AUDIT_EOE) {
			/* PROCTITLE already ended it (or it was evicted). */
			r->st.late++;
			return 0;
		}
		track_serial(r, rec->serial);
		if (vigil_audit_type_is_single(rec->type)) {
			struct vigil_audit_asm_event ae = {
				.sec = rec->sec,
				.ms = rec->ms,
				.end = VIGIL_AUDIT_END_SINGLE,
				.serial = rec->serial,
				.text = rec->buf,
				.recs = &r->single,
				.n_recs = 1,
			};

			r->single.type = rec->type;
			r->single.off = 0;
			r->single.len = rec->len;
			r->single.body_off = rec->body_off;
			r->st.events++;
			r->emit(r->ctx, &ae);
			return 0;
		}
		s = slot_open(r, rec, now_ns);
	}
	if (rec->type == AUDIT_EOE) {
		slot_emit(r, s, VIGIL_AUDIT_END_EOE);
		return 0;
	}
	err = slot_add(s, rec);
	if (rec->type == AUDIT_PROCTITLE)
		slot_emit(r, s, VIGIL_AUDIT_END_EOE);
	else if (vigil_audit_type_is_single(rec->type))
		slot_emit(r, s, VIGIL_AUDIT_END_SINGLE);
	return err;
}

void vigil_audit_reasm_expire(struct vigil_audit_reasm *r, int64_t now_ns)
{
	struct slot *s;

	while (r->in_flight > 0) {
		s = slot_oldest(r);
		if (now_ns - s->first_ns <= r->timeout_ns)
			break;
		slot_emit(r, s, VIGIL_AUDIT_END_TIMEOUT);
	}
}

void vigil_audit_reasm_flush(struct vigil_audit_reasm *r)
{
	while (r->in_flight > 0)
		slot_emit(r, slot_oldest(r), VIGIL_AUDIT_END_FLUSH);
}

uint32_t vigil_audit_reasm_in_flight(const struct vigil_audit_reasm *r)
{
	return r->in_flight;
}

const struct vigil_audit_reasm_stats *
vigil_audit_reasm_stats(const struct vigil_audit_reasm *r)
{
	return &r->st;
}
