/*
 * proctable_enrich.c - enrichment from the process table: what an
 * event's process lacks, its user and group names (through a cache of
 * getpwuid_r/getgrgid_r answers) and its ancestry.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <string.h>

#include "proc/proctable_int.h"
#include "util.h"

/* How long a cached user or group name is trusted, so that renamed
 * accounts show up (the cache itself is in proctable_int.h). */
#define NAME_TTL_NS (INT64_C(300) * 1000000000)

/* ---- names ---- */

/* Names already copied into this event's arena: an ancestor chain has
 * few distinct ids, so each is looked up and copied once per event. */
#define NAME_MEMO 4
struct name_memo {
	int64_t now_ns; /* monotonic, read once per enrichment */
	uint32_t n[2];
	uint32_t id[2][NAME_MEMO];
	struct vigil_str name[2][NAME_MEMO];
};

/*
 * The name of uid (or gid when group) through the cache; copied into the
 * arena as *out (empty when the id has no name).  Returns 0 or -ENOMEM.
 */
static int resolve_name(struct vigil_proctable *t, bool group, uint32_t id,
			struct vigil_arena *a, struct name_memo *m,
			struct vigil_str *out)
{
	struct name_slot *s = &(group ? t->groups : t->users)
				       [id % NAME_CACHE_SLOTS];
	int64_t now = m->now_ns;
	uint32_t k = group, i;
	int rc;

	if (id == VIGIL_ID_UNSET)
		return 0;
	for (i = 0; i < m->n[k]; i++) {
		if (m->id[k][i] == id) {
			*out = m->name[k][i];
			return 0;
		}
	}
	if (!s->valid || s->id != id || s->expires_ns <= now) {
		const char *name = NULL;
		struct passwd pw, *pwr = NULL;
		struct group gr, *grr = NULL;
		size_t n;

		t->stats.name_lookups++;
		if (group) {
			if (!getgrgid_r(id, &gr, t->pw_buf, t->pw_buf_len,
					&grr) && grr)
				name = grr->gr_name;
		} else {
			if (!getpwuid_r(id, &pw, t->pw_buf, t->pw_buf_len,
					&pwr) && pwr)
				name = pwr->pw_name;
		}
		n = name ? strlen(name) : 0;
		s->valid = true;
		s->id = id;
		s->expires_ns = now + NAME_TTL_NS;
		s->found = name && n < NAME_MAX_LEN;
		s->len = s->found ? (uint8_t)n : 0;
		if (s->found)
			memcpy(s->name, name, n);
	}
	if (!s->found) {
		out->ptr = "";
		out->len = 0;
		rc = 0;
	} else {
		rc = vigil_arena_str(a, out, s->name, s->len);
	}
	if (!rc && m->n[k] < NAME_MEMO) {
		m->id[k][m->n[k]] = id;
		m->name[k][m->n[k]++] = *out;
	}
	return rc;
}

static int fill_names(struct vigil_proctable *t, struct vigil_process *p,
		      struct vigil_arena *a, struct name_memo *m)
{
	int rc = 0;

	if (!p->user.len)
		rc = resolve_name(t, false, p->uid, a, m, &p->user);
	if (!rc && !p->group.len)
		rc = resolve_name(t, true, p->gid, a, m, &p->group);
	return rc;
}

/* ---- enrichment ---- */

/* The entry for pid at time_ns, from the table or else from /proc. */
static struct pt_entry *find_or_fill(struct vigil_proctable *t, int32_t pid,
				     int64_t time_ns)
{
	struct pt_entry *e = vigil__pt_find_at(t, pid, time_ns);

	if (e) {
		t->stats.hits++;
		vigil__pt_touch(t, e);
		return e;
	}
	t->stats.misses++;
	e = pt_find_newest(t, pid);
	if (e && !pt_is_exited(e))
		return NULL; /* /proc would show this same later process */
	e = vigil__pt_fill_from_procfs(t, pid);
	/* A process /proc shows that started after the event is a later
	 * owner of the pid: right for the table, wrong for this event. */
	if (e && time_ns && e->proc.start_time_ns > time_ns + TIME_SLACK_NS)
		return NULL;
	return e;
}

static int enrich(struct vigil_proctable *t, struct vigil_event *ev)
{
	struct name_memo memo;
	struct pt_entry *chain[VIGIL_ANCESTORS_MAX];
	struct vigil_process *p = &ev->process;
	struct pt_entry *e = NULL;
	uint32_t n = 0;
	int32_t cur;
	int64_t at;
	int rc;

	if (p->pid > 0) {
		e = find_or_fill(t, p->pid, ev->time_ns);
		if (e) {
			e->pin = t->gen;
			vigil__pt_merge_missing(p, &e->proc, true);
		}
	}
	memo.now_ns = vigil_monotonic_ns();
	memo.n[0] = memo.n[1] = 0;
	rc = fill_names(t, p, ev->arena, &memo);
	if (rc)
		return rc;
	if (ev->ancestors)
		return 0;

	/* Walk up: each parent started before its child. */
	cur = p->ppid;
	at = p->start_time_ns ? p->start_time_ns : ev->time_ns;
	while (cur > 0 && n < VIGIL_ANCESTORS_MAX) {
		struct pt_entry *a = find_or_fill(t, cur, at);
		bool loop = false;

		if (!a)
			break;
		for (uint32_t i = 0; i < n; i++)
			loop |= chain[i] == a;
		if (loop || a == e)
			break; /* a corrupt table must not loop forever */
		a->pin = t->gen;
		chain[n++] = a;
		if (a->proc.start_time_ns)
			at = a->proc.start_time_ns;
		cur = a->proc.ppid;
	}
	if (!n)
		return 0;
	ev->ancestors = vigil_arena_alloc(ev->arena, n * sizeof(*ev->ancestors));
	if (!ev->ancestors)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		ev->ancestors[i] = chain[i]->proc;
		rc = fill_names(t, &ev->ancestors[i], ev->arena, &memo);
		if (rc)
			return rc;
	}
	ev->n_ancestors = n;
	return 0;
}

int vigil_proctable_enrich(struct vigil_proctable *t, struct vigil_event *ev)
{
	int rc;

	if (!ev->arena)
		return -EINVAL;
	/* Pins last for this call only: nothing changes the table while
	 * the event is in its callback. */
	t->gen++;
	rc = enrich(t, ev);
	t->gen++;
	return rc;
}
