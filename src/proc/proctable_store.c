/*
 * proctable_store.c - a process table entry's strings: a process context
 * packed into the entry's one buffer (argv vector first, then argv,
 * comm, tty, cwd, unit, container and exe), bounded argv, and the merge
 * of what one context lacks from another of the same process.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proc/proctable_int.h"
#include "util.h"

/* An entry's string buffer more than twice what it holds plus this is
 * cut to size (entry_fit). */
#define BUF_FIT_SLACK 256

static size_t str_need(struct vigil_str s)
{
	return s.len ? (size_t)s.len + 1 : 0;
}

/* Copies s to *pos (NUL-terminated) and returns the view. */
static struct vigil_str str_put(char **pos, struct vigil_str s)
{
	struct vigil_str r = { "", 0 };

	if (!s.len)
		return r;
	memcpy(*pos, s.ptr, s.len);
	(*pos)[s.len] = '\0';
	r.ptr = *pos;
	r.len = s.len;
	*pos += s.len + 1;
	return r;
}

/*
 * Gives e a buffer of its content's size (used bytes) when the one it got
 * from the spare is more than twice as large (plus BUF_FIT_SLACK).  The
 * spare only ever grows (to the largest context stored while it was the
 * spare), and buffers go round through it from entry to entry: without
 * the cut, each larger context stored left one more buffer of its size
 * in the pool for good, until every entry's buffer had the size of the
 * largest contexts the host ever ran (compiler and linker command lines
 * of a few KiB), and RSS grew with it (issue 22, bench/soak.sh).  With
 * it, each buffer is at most twice what it holds plus the slack, so the
 * buffers follow what the entries hold.  Allocates only then: at most
 * once each time a larger context's buffer comes round to a smaller
 * one, never for the steady run of similar short processes.  On -ENOMEM
 * e keeps the large one.
 */
static void entry_fit(struct vigil_proctable *t, struct pt_entry *e,
		      size_t used)
{
	struct vigil_process *p = &e->proc;
	struct vigil_str *const strs[] = {
		&p->comm, &p->tty, &p->cwd, &p->unit, &p->file.path,
		&p->container.id, &p->container.runtime,
		&p->container.pod_uid,
	};
	uintptr_t lo = (uintptr_t)e->buf, hi = lo + e->cap;
	char *nb;

	if (e->cap <= 2 * used + BUF_FIT_SLACK)
		return;
	nb = malloc(used ? used : 1);
	if (!nb)
		return;
	if (used)
		memcpy(nb, e->buf, used);
#define REBASE(s)                                                              \
	do {                                                                   \
		uintptr_t a_ = (uintptr_t)(s).ptr;                             \
		if (a_ >= lo && a_ < hi)                                       \
			(s).ptr = nb + (a_ - lo);                              \
	} while (0)
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(strs); i++)
		REBASE(*strs[i]);
	if (p->argv.n) {
		/* the vector is at the start of the buffer */
		p->argv.v = (struct vigil_str *)(void *)nb;
		for (uint32_t i = 0; i < p->argv.n; i++)
			REBASE(p->argv.v[i]);
	}
#undef REBASE
	free(e->buf);
	t->buf_bytes -= e->cap - used;
	e->buf = nb;
	e->cap = used;
}

/*
 * Stores src as e's context: scalars copied, strings packed into one
 * buffer (argv bounded by VIGIL_ARGV_MAX_BYTES/ARGS, cut arguments flag
 * the process), names and file hashes left out.  The buffer is built in
 * t->spare and swapped with e's, so src may point into e.  Returns 0 or
 * -ENOMEM (e is unchanged then).
 */
int vigil__pt_entry_store(struct vigil_proctable *t, struct pt_entry *e,
			  const struct vigil_process *src)
{
	const struct vigil_str *str_fields[] = {
		&src->comm, &src->tty, &src->cwd, &src->unit, &src->file.path,
		&src->container.id, &src->container.runtime,
		&src->container.pod_uid,
	};
	struct vigil_process np = *src;
	size_t need = 0, argv_bytes = 0, used;
	uint32_t argc = 0;
	char *pos, *tmp;

	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(str_fields); i++)
		need += str_need(*str_fields[i]);
	for (; argc < src->argv.n && argc < VIGIL_ARGV_MAX_ARGS; argc++) {
		size_t l = src->argv.v[argc].len;

		if (argv_bytes + l + 1 > VIGIL_ARGV_MAX_BYTES)
			break;
		argv_bytes += l + 1;
	}
	if (argc < src->argv.n)
		np.flags |= VIGIL_PROC_ARGV_TRUNCATED;
	need += argc * sizeof(struct vigil_str) + argv_bytes;
	if (need > t->spare_cap) {
		tmp = realloc(t->spare, need);
		if (!tmp)
			return -ENOMEM;
		t->spare = tmp;
		t->buf_bytes += need - t->spare_cap;
		t->spare_cap = need;
	}
	/* The vector goes first so that it is aligned. */
	np.argv.v = argc ? (struct vigil_str *)(void *)t->spare : NULL;
	np.argv.n = argc;
	pos = t->spare + argc * sizeof(struct vigil_str);
	for (uint32_t i = 0; i < argc; i++) {
		struct vigil_str a = src->argv.v[i];

		if (a.len)
			memcpy(pos, a.ptr, a.len);
		pos[a.len] = '\0';
		np.argv.v[i].ptr = pos;
		np.argv.v[i].len = a.len;
		pos += a.len + 1;
	}
	np.comm = str_put(&pos, src->comm);
	np.tty = str_put(&pos, src->tty);
	np.cwd = str_put(&pos, src->cwd);
	np.unit = str_put(&pos, src->unit);
	np.container.id = str_put(&pos, src->container.id);
	np.container.runtime = str_put(&pos, src->container.runtime);
	np.container.pod_uid = str_put(&pos, src->container.pod_uid);
	vigil_file_clear(&np.file);
	np.file.path = str_put(&pos, src->file.path);
	np.file.inode = src->file.inode;
	np.file.dev = src->file.dev;
	np.file.mode = src->file.mode;
	np.file.uid = src->file.uid;
	np.file.gid = src->file.gid;
	np.user.ptr = np.group.ptr = "";
	np.user.len = np.group.len = 0;
	/* Swap: the old buffer becomes the spare for the next update. */
	used = need;
	tmp = e->buf;
	e->buf = t->spare;
	t->spare = tmp;
	need = e->cap;
	e->cap = t->spare_cap;
	t->spare_cap = need;
	e->proc = np;
	entry_fit(t, e, used);
	return 0;
}

/* Fills the fields of dst that are unknown from src (same process). */
void vigil__pt_merge_missing(struct vigil_process *dst,
			     const struct vigil_process *src, bool image_too)
{
	uint32_t *const d_ids[] = { &dst->uid,	 &dst->gid,   &dst->euid,
				    &dst->egid,	 &dst->suid,  &dst->sgid,
				    &dst->fsuid, &dst->fsgid, &dst->auid,
				    &dst->session_id };
	const uint32_t s_ids[] = { src->uid,   src->gid,   src->euid,
				   src->egid,  src->suid,  src->sgid,
				   src->fsuid, src->fsgid, src->auid,
				   src->session_id };

	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(d_ids); i++)
		if (*d_ids[i] == VIGIL_ID_UNSET)
			*d_ids[i] = s_ids[i];
	if (!dst->ppid)
		dst->ppid = src->ppid;
	if (!dst->start_time_ns)
		dst->start_time_ns = src->start_time_ns;
	if (!dst->tty.len)
		dst->tty = src->tty;
	if (!dst->cwd.len)
		dst->cwd = src->cwd;
	if (!dst->unit.len)
		dst->unit = src->unit;
	if (!dst->container.id.len && !dst->container.pod_uid.len)
		dst->container = src->container;
	dst->flags |= src->flags & VIGIL_PROC_KTHREAD;
	if (!image_too)
		return;
	if (!dst->comm.len)
		dst->comm = src->comm;
	if (!dst->file.path.len)
		dst->file.path = src->file.path;
	if (!dst->argv.n) {
		dst->argv = src->argv;
		dst->flags |= src->flags & VIGIL_PROC_ARGV_TRUNCATED;
	}
}
