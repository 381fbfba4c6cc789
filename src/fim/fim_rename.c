/*
 * fim_rename.c - rename pairing: FAN_MOVED_FROM and FAN_MOVED_TO arrive as
 * two events; this is where they become one rename.
 *
 * The table of pending halves (vigil_fim_rename_*, plain C, unit tested
 * in test_fim_logic) and the tracker's use of it: a MOVED_FROM waits in
 * the table, a MOVED_TO takes its half and raises the rename, and a timer
 * raises halves nobody took within VIGIL__FIM_RENAME_WAIT_NS as
 * deletions (moved out of the trees or of the marks).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fim/fim.h"
#include "fim/fim_track.h"

#define FIM_RENAME_TIMER_MS 10

/* ---- the table of pending halves ---- */

void vigil_fim_renames_init(struct vigil_fim_renames *r)
{
	memset(r, 0, sizeof(*r));
}

void vigil_fim_renames_free(struct vigil_fim_renames *r)
{
	for (unsigned i = 0; i < r->n; i++)
		free(r->slot[i].path);
	r->n = 0;
}

/* Moves slot i out into *out and closes the gap (keeps arrival order). */
static void take_slot(struct vigil_fim_renames *r, unsigned i,
		      struct vigil_fim_move *out)
{
	*out = r->slot[i];
	memmove(&r->slot[i], &r->slot[i + 1],
		(r->n - i - 1) * sizeof(r->slot[0]));
	r->n--;
}

int vigil_fim_rename_from(struct vigil_fim_renames *r, const void *key,
			  size_t key_len, const char *path, int32_t pid,
			  bool is_dir, int64_t t_ns,
			  struct vigil_fim_move *evicted)
{
	struct vigil_fim_move *m;
	char *copy = strdup(path);
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	if (key_len > VIGIL_FIM_RENAME_KEY_MAX)
		key_len = 0; /* too long to compare: pair by process */
	if (r->n == VIGIL_FIM_RENAME_SLOTS) {
		take_slot(r, 0, evicted);
		rc = 1;
	}
	m = &r->slot[r->n];
	memset(m, 0, sizeof(*m));
	m->path = copy;
	m->pid = pid;
	m->is_dir = is_dir;
	m->t_ns = t_ns;
	m->key_len = (uint16_t)key_len;
	if (key_len)
		memcpy(m->key, key, key_len);
	r->n++;
	return rc;
}

int vigil_fim_rename_to(struct vigil_fim_renames *r, const void *key,
			size_t key_len, int32_t pid,
			struct vigil_fim_move *out)
{
	if (key_len > VIGIL_FIM_RENAME_KEY_MAX)
		key_len = 0;
	for (unsigned i = 0; i < r->n; i++) {
		struct vigil_fim_move *m = &r->slot[i];

		if (key_len && m->key_len) {
			if (m->key_len == key_len &&
			    !memcmp(m->key, key, key_len)) {
				take_slot(r, i, out);
				return 0;
			}
			continue;
		}
		if (m->pid == pid) {
			take_slot(r, i, out);
			return 0;
		}
	}
	return -ENOENT;
}

int vigil_fim_rename_expire(struct vigil_fim_renames *r, int64_t before_ns,
			    struct vigil_fim_move *out)
{
	if (r->n == 0 || r->slot[0].t_ns >= before_ns)
		return -ENOENT;
	take_slot(r, 0, out);
	return 0;
}

/* ---- the tracker's halves ---- */

/* A half nobody took: moved out of the watched trees (or its other half
 * was lost).  Frees m->path. */
static void flush_move(struct vigil__fim_track *t, struct vigil_fim_move *m)
{
	if (vigil_fim_config_watched(&t->cfg, m->path))
		vigil__fim_track_delete(t, m->path, m->pid, m->is_dir);
	free(m->path);
}

void vigil__fim_track_expire_moves(struct vigil__fim_track *t,
				   int64_t before_ns)
{
	struct vigil_fim_move m;

	while (vigil_fim_rename_expire(&t->renames, before_ns, &m) == 0)
		flush_move(t, &m);
}

static void rename_timer_cb(uv_timer_t *h)
{
	struct vigil__fim_track *t = h->data;

	vigil__fim_track_expire_moves(t, vigil_monotonic_ns() -
						 VIGIL__FIM_RENAME_WAIT_NS);
	if (t->renames.n == 0) {
		uv_timer_stop(&t->rename_timer);
		t->rename_timer_running = false;
	}
}

void vigil__fim_track_moved_from(struct vigil__fim_track *t, const void *key,
				 size_t key_len, const char *path, int32_t pid,
				 bool is_dir)
{
	struct vigil_fim_move ev;
	int rc;

	rc = vigil_fim_rename_from(&t->renames, key, key_len, path, pid,
				   is_dir, vigil_monotonic_ns(), &ev);
	if (rc == 1)
		flush_move(t, &ev);
	else if (rc < 0)
		t->src->drops++;
	if (t->renames.n && !t->rename_timer_running &&
	    t->rename_timer_open) {
		uv_timer_start(&t->rename_timer, rename_timer_cb,
			       FIM_RENAME_TIMER_MS, FIM_RENAME_TIMER_MS);
		t->rename_timer_running = true;
	}
}

void vigil__fim_track_moved_to(struct vigil__fim_track *t, const void *key,
			       size_t key_len, const char *path, int32_t pid,
			       bool is_dir)
{
	struct vigil_fim_move m;

	if (vigil_fim_rename_to(&t->renames, key, key_len, pid, &m) == 0) {
		if (vigil_fim_config_watched(&t->cfg, m.path) ||
		    vigil_fim_config_watched(&t->cfg, path))
			vigil__fim_track_rename(t, m.path, path, pid,
						is_dir || m.is_dir);
		free(m.path);
		return;
	}
	/* Moved in from outside the marks. */
	if (vigil_fim_config_watched(&t->cfg, path))
		vigil__fim_track_create(t, path, pid, is_dir);
}

static void rename_timer_closed(uv_handle_t *h)
{
	vigil__fim_track_unref(h->data);
}

int vigil__fim_rename_timer_open(struct vigil__fim_track *t)
{
	int rc = uv_timer_init(t->src->loop, &t->rename_timer);

	if (rc)
		return rc;
	t->rename_timer.data = t;
	t->rename_timer_open = true;
	t->refs++;
	return 0;
}

void vigil__fim_rename_timer_close(struct vigil__fim_track *t)
{
	if (t->rename_timer_open)
		uv_close((uv_handle_t *)&t->rename_timer, rename_timer_closed);
}
