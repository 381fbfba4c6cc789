/*
 * policy_eval.c - evaluation of one event against a loaded ruleset: the
 * bucket of its type, the approvers that name the rules worth testing,
 * rate control per rule and key, and delivery of the signals.  Never
 * allocates.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "policy_int.h"

static uint64_t hash64(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * UINT64_C(1099511628211);
	return h;
}

/* Hash of the values of the rule's key fields in ev. */
static uint64_t rate_key(const struct pol_rule *r, const struct vigil_event *ev)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (uint32_t k = 0; k < r->n_keys; k++) {
		const struct vigil_field *f = r->keys[k];
		struct vigil_value v;

		for (uint32_t idx = 0; lang_field_next(f, ev, &idx, &v);
		     idx++) {
			switch (v.type) {
			case VIGIL_T_STR:
				h = hash64(h, v.u.s.ptr, v.u.s.len);
				break;
			case VIGIL_T_BOOL:
				h = hash64(h, &v.u.b, sizeof(v.u.b));
				break;
			case VIGIL_T_IP:
				h = hash64(h, &v.u.ip, sizeof(v.u.ip));
				break;
			default:
				h = hash64(h, &v.u.i, sizeof(v.u.i));
				break;
			}
			h = hash64(h, "\0", 1);
		}
		h = hash64(h, "\1", 1);
	}
	return h;
}

static int64_t event_time(const struct vigil_event *ev)
{
	struct timespec ts;

	if (ev->time_ns)
		return ev->time_ns;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Rate control: returns true when the match is delivered (and stores in
 * *suppressed how many were held back since the last delivery for this
 * key), false when it is suppressed.  Keys live in a fixed table; when
 * its probe window is full the least recently delivered key is evicted.
 */
static bool rate_allow(struct pol_rule *r, const struct vigil_event *ev,
		       uint32_t *suppressed)
{
	uint64_t key = rate_key(r, ev);
	int64_t now = event_time(ev);
	struct rate_slot *victim = NULL;

	for (uint32_t i = 0; i < RATE_PROBE; i++) {
		struct rate_slot *s = &r->rate[(key + i) & (RATE_SLOTS - 1)];

		if (s->used && s->key == key) {
			if (now - s->last_ns < r->every_ns &&
			    now >= s->last_ns) {
				s->suppressed++;
				return false;
			}
			*suppressed = s->suppressed;
			s->suppressed = 0;
			s->last_ns = now;
			return true;
		}
		if (!s->used) {
			if (!victim || victim->used)
				victim = s;
		} else if (!victim || (victim->used &&
				       s->last_ns < victim->last_ns)) {
			victim = s;
		}
	}
	victim->used = 1;
	victim->key = key;
	victim->last_ns = now;
	victim->suppressed = 0;
	*suppressed = 0;
	return true;
}

/* Marks in cand the rules approved by a's field value in ev. */
static void approve(const struct approver *a, const struct vigil_event *ev,
		    uint64_t *cand)
{
	struct vigil_value v;
	uint32_t h;

	if (a->field->get(a->field, ev, 0, &v) || v.type != VIGIL_T_STR)
		return;
	h = lang_hash(v.u.s.ptr, v.u.s.len, a->nocase);
	for (uint32_t i = h & a->mask; a->slots[i].ptr; i = (i + 1) & a->mask) {
		const struct appr_slot *sl = &a->slots[i];

		if (sl->hash != h || sl->len != v.u.s.len)
			continue;
		if (!lang_str_eq(v.u.s.ptr, sl->ptr, sl->len, a->nocase))
			continue;
		for (uint32_t k = 0; k < sl->n; k++) {
			uint32_t r = a->rules[sl->first + k];

			cand[r / 64] |= UINT64_C(1) << (r % 64);
		}
		return;
	}
}

/*
 * Rate control and delivery of a matched rule.  Returns true when the
 * signal was delivered; *cb_rc is the callback's result.
 */
static bool deliver(struct vigil_ruleset *rs, struct pol_rule *r,
		    const struct vigil_event *ev, vigil_rule_match_fn cb,
		    void *arg, int *cb_rc)
{
	struct vigil_signal sig;
	uint32_t suppressed = 0;

	*cb_rc = 0;
	r->matches++;
	if (r->rate && !rate_allow(r, ev, &suppressed)) {
		r->suppressed++;
		return false;
	}
	memset(&sig, 0, sizeof(sig));
	sig.struct_size = sizeof(sig);
	sig.severity = r->severity;
	sig.rule_id = r->id;
	sig.title = r->title ? r->title : r->description;
	sig.remediation = r->remediation;
	sig.tags = r->tags;
	sig.n_tags = r->n_tags;
	sig.suppressed = suppressed;
	sig.engine = "rules";
	sig.actions = r->actions;
	rs->signals++;
	if (cb)
		*cb_rc = cb(arg, ev, &sig);
	return true;
}

int vigil_ruleset_eval(struct vigil_ruleset *rs, const struct vigil_event *ev,
		       vigil_rule_match_fn cb, void *arg)
{
	const struct bucket *b;
	int delivered = 0;

	rs->events++;
	if (ev->type >= VIGIL_EV__COUNT)
		return 0;
	b = &rs->buckets[ev->type];
	if (!b->n)
		return 0;
	memcpy(rs->cand, b->always, b->words * sizeof(*rs->cand));
	for (uint32_t i = 0; i < b->n_appr; i++)
		approve(&b->appr[i], ev, rs->cand);
	for (uint32_t w = 0; w < b->words; w++) {
		uint64_t bits = rs->cand[w];

		while (bits) {
			uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(bits);
			struct pol_rule *r = b->rules[i];
			int rc;

			bits &= bits - 1;
			if (!pol_rule_match(r, ev))
				continue;
			delivered += deliver(rs, r, ev, cb, arg, &rc);
			if (rc)
				return rc;
		}
	}
	return delivered;
}
