/*
 * proctable.c - the process table itself (see proctable.h): creation,
 * the pid hash and the live and exited lists, eviction when full, expiry
 * of exited entries after their linger time, lookup and statistics.  The
 * layout is described in proctable_int.h; the other parts are
 * proctable_store.c, proctable_procfs.c, proctable_events.c and
 * proctable_enrich.c.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "proc/proctable_int.h"
#include "util.h"

/* getpwuid_r buffer when sysconf gives no hint. */
#define PW_BUF_DEFAULT 16384

/* ---- lists and hash ---- */

/* Takes e off the live list; check_live's cursor moves past it. */
static void live_remove(struct vigil_proctable *t, struct pt_entry *e)
{
	if (t->check_next == e)
		t->check_next = e->next;
	pt_list_remove(&t->live, e);
}

/* Moves a live entry to the most-recently-used end. */
void vigil__pt_touch(struct vigil_proctable *t, struct pt_entry *e)
{
	if (!pt_is_exited(e) && t->live.tail != e) {
		live_remove(t, e);
		pt_list_append(&t->live, e);
	}
}

/* Unlinks e from its hash chain and list and puts it on the free list. */
static void entry_drop(struct vigil_proctable *t, struct pt_entry *e)
{
	struct pt_entry **pp = &t->buckets[pt_bucket(t, e->proc.pid)];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	if (pt_is_exited(e)) {
		pt_list_remove(&t->exited, e);
	} else {
		live_remove(t, e);
		t->n_live--;
	}
	t->count--;
	pt_entry_unget(t, e);
}

void vigil__pt_mark_exited(struct vigil_proctable *t, struct pt_entry *e,
			   int64_t time_ns)
{
	if (pt_is_exited(e))
		return;
	live_remove(t, e);
	t->n_live--;
	e->proc.flags |= VIGIL_PROC_EXITED;
	e->exit_time_ns = time_ns;
	pt_list_append(&t->exited, e);
}

/* Undoes a guessed exit (exit_guessed): e is live again. */
void vigil__pt_revive(struct vigil_proctable *t, struct pt_entry *e)
{
	pt_list_remove(&t->exited, e);
	e->proc.flags &= ~VIGIL_PROC_EXITED;
	e->exit_time_ns = 0;
	e->exit_guessed = false;
	pt_list_append(&t->live, e);
	t->n_live++;
}

void vigil_proctable_expire(struct vigil_proctable *t, int64_t now_ns)
{
	struct pt_entry *e;

	if (now_ns > t->now_ns)
		t->now_ns = now_ns;
	while ((e = t->exited.head) &&
	       e->exit_time_ns <= now_ns - t->linger_ns && e->pin != t->gen) {
		entry_drop(t, e);
		t->stats.expired++;
	}
}

/*
 * An entry to fill: recycled or new, after evicting the oldest exited or
 * least recently used live entry when the table is full.  The entry is
 * not linked anywhere yet.  Returns NULL on -ENOMEM or when everything is
 * pinned.
 */
struct pt_entry *vigil__pt_entry_get(struct vigil_proctable *t)
{
	struct pt_entry *e;

	if (t->count >= t->max_entries) {
		for (e = t->exited.head; e && e->pin == t->gen; e = e->next)
			;
		if (e) {
			t->stats.evicted_exited++;
		} else {
			for (e = t->live.head; e && e->pin == t->gen;
			     e = e->next)
				;
			if (!e)
				return NULL;
			t->stats.evicted_live++;
		}
		entry_drop(t, e);
	}
	e = t->free_entries;
	if (e) {
		t->free_entries = e->hnext;
	} else {
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
	}
	e->hnext = e->prev = e->next = NULL;
	e->exit_time_ns = 0;
	e->pin = 0;
	e->seen = t->seed_gen;
	e->fork_start = false;
	e->exit_guessed = false;
	return e;
}

/* Links a filled entry as the newest for its pid. */
void vigil__pt_entry_link(struct vigil_proctable *t, struct pt_entry *e)
{
	size_t b = pt_bucket(t, e->proc.pid);

	e->hnext = t->buckets[b];
	t->buckets[b] = e;
	t->count++;
	if (pt_is_exited(e)) {
		pt_list_append(&t->exited, e);
	} else {
		pt_list_append(&t->live, e);
		t->n_live++;
	}
}

/*
 * The entry for the process that had pid at time_ns: the newest one that
 * had started by then and, if it exited, had not exited long before.
 * time_ns 0 takes the newest.
 */
struct pt_entry *vigil__pt_find_at(struct vigil_proctable *t, int32_t pid,
				   int64_t time_ns)
{
	struct pt_entry *e;

	for (e = t->buckets[pt_bucket(t, pid)]; e; e = e->hnext) {
		if (e->proc.pid != pid)
			continue;
		if (time_ns == 0)
			return e;
		if (!pt_started_by(e, time_ns))
			continue; /* started after: a later owner of pid */
		if (pt_is_exited(e) &&
		    time_ns > e->exit_time_ns + TIME_SLACK_NS)
			return NULL; /* a later process we have not seen */
		return e;
	}
	return NULL;
}

/* Inserts a copy of p as a new live entry for p->pid. */
struct pt_entry *vigil__pt_insert(struct vigil_proctable *t,
				  const struct vigil_process *p)
{
	struct pt_entry *e = vigil__pt_entry_get(t);

	if (!e)
		return NULL;
	if (vigil__pt_entry_store(t, e, p)) {
		pt_entry_unget(t, e);
		return NULL;
	}
	e->proc.flags &= ~VIGIL_PROC_EXITED;
	vigil__pt_entry_link(t, e);
	return e;
}

/* ---- public API ---- */

static size_t pow2_at_least(size_t n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

int vigil_proctable_new(size_t max_entries, struct vigil_proctable **out)
{
	struct vigil_proctable *t;
	long pw_hint = sysconf(_SC_GETPW_R_SIZE_MAX);
	long gr_hint = sysconf(_SC_GETGR_R_SIZE_MAX);
	size_t nb;

	if (!max_entries)
		max_entries = VIGIL_PROCTABLE_DEFAULT_MAX;
	if (max_entries < VIGIL_PROCTABLE_MIN_ENTRIES ||
	    max_entries > SIZE_MAX / 4 / sizeof(void *))
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	nb = pow2_at_least(max_entries);
	t->buckets = calloc(nb, sizeof(*t->buckets));
	if (!t->buckets)
		goto out_free_table;
	t->mask = nb - 1;
	t->pw_buf_len = PW_BUF_DEFAULT;
	if (pw_hint > 0 && (size_t)pw_hint > t->pw_buf_len)
		t->pw_buf_len = (size_t)pw_hint;
	if (gr_hint > 0 && (size_t)gr_hint > t->pw_buf_len)
		t->pw_buf_len = (size_t)gr_hint;
	t->pw_buf = malloc(t->pw_buf_len);
	if (!t->pw_buf)
		goto out_free_buckets;
	t->max_entries = max_entries;
	t->linger_ns = VIGIL_PROCTABLE_DEFAULT_LINGER_NS;
	t->gen = 1;
	t->procfs.root_fd = -1;
	vigil_arena_init(&t->scratch, 0);
	vigil_arena_init(&t->scratch2, 4096);
	*out = t;
	return 0;

out_free_buckets:
	free(t->buckets);
out_free_table:
	free(t);
	return -ENOMEM;
}

void vigil_proctable_free(struct vigil_proctable *t)
{
	struct pt_entry *e, *next;

	if (!t)
		return;
	for (size_t b = 0; b <= t->mask; b++) {
		for (e = t->buckets[b]; e; e = next) {
			next = e->hnext;
			free(e->buf);
			free(e);
		}
	}
	for (e = t->free_entries; e; e = next) {
		next = e->hnext;
		free(e->buf);
		free(e);
	}
	if (t->have_procfs)
		vigil_procfs_close(&t->procfs);
	free(t->procfs_root);
	vigil_arena_free(&t->scratch);
	vigil_arena_free(&t->scratch2);
	free(t->pw_buf);
	free(t->spare);
	free(t->buckets);
	free(t);
}

void vigil_proctable_set_linger(struct vigil_proctable *t, int64_t linger_ns)
{
	t->linger_ns = linger_ns < 0 ? 0 : linger_ns;
}

const struct vigil_process *
vigil_proctable_lookup(struct vigil_proctable *t, int32_t pid, int64_t time_ns)
{
	struct pt_entry *e = vigil__pt_find_at(t, pid, time_ns);

	if (!e)
		return NULL;
	vigil__pt_touch(t, e);
	return &e->proc;
}

void vigil_proctable_get_stats(const struct vigil_proctable *t,
			       struct vigil_proctable_stats *out)
{
	*out = t->stats;
	out->entries = t->count;
	out->live = t->n_live;
	out->buffer_bytes = t->buf_bytes;
}
