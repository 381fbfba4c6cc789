/*
 * proctable.c - the process table (see proctable.h).
 *
 * Layout: a hash of pid -> chain of entries (newest first, so an exited
 * process and the one that reused its pid can both be found), and two
 * lists for eviction: live entries in least-recently-used order and exited
 * entries in order of exit (which is also their expiry order).
 *
 * Each entry owns one buffer holding all its strings and its argv vector.
 * Updates build the new buffer in the table's spare buffer and swap, so a
 * source may pass strings that point into the entry being replaced, and
 * the steady state reuses memory instead of allocating.
 *
 * Enrichment points event strings into entries; an entry used by the
 * enrichment in progress is pinned (pin == gen) so that filling a miss from
 * /proc cannot evict it.  gen moves on when the enrichment ends.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc/proctable.h"
#include "util.h"

/* Clock slack when comparing times from different sources: /proc start
 * times are derived from a boot time in whole seconds. */
#define TIME_SLACK_NS (INT64_C(1) * 1000000000)
/*
 * The same for a start time taken from the proc connector's fork message
 * (nanoseconds, read at the fork) against an audit time (the coarse clock
 * at syscall entry, lagging up to a jiffy, cut to milliseconds): an
 * exec's audit time is at most that much before the fork of the process
 * that made it.  A later owner of the pid forked after that process
 * exited, which no pid wrap does within 50 ms.
 */
#define FORK_SLACK_NS (INT64_C(50) * 1000000)

/* User and group name cache: direct-mapped, entries expire so that
 * renamed accounts show up. */
#define NAME_CACHE_SLOTS 256
#define NAME_MAX_LEN 64
#define NAME_TTL_NS (INT64_C(300) * 1000000000)
/* Pids /proc did not have: not asked again for a second, so an ancestor
 * that is gone does not cost an open() per event. */
#define ABSENT_SLOTS 256
#define ABSENT_TTL_NS (INT64_C(1) * 1000000000)
/* An entry's string buffer larger than this and than four times what it
 * holds is cut to size (entry_fit). */
#define BUF_FIT_MIN 4096
/* getpwuid_r buffer when sysconf gives no hint. */
#define PW_BUF_DEFAULT 16384

struct pt_list {
	struct pt_entry *head, *tail;
};

struct pt_entry {
	struct pt_entry *hnext;       /* hash chain, newest first */
	struct pt_entry *prev, *next; /* in t->live or t->exited */
	int64_t exit_time_ns;
	uint64_t pin;      /* t->gen of the enrichment using it */
	uint64_t seen;     /* t->seed_gen of the last seed that saw it */
	bool fork_start;   /* start time from the fork message (exact) */
	bool exit_guessed; /* exited because /proc lacked it at its exec,
			    * not by an exit message (exit_time_ns is the
			    * exec's time) */
	struct vigil_process proc; /* strings point into buf */
	char *buf;
	size_t cap;
};

struct name_slot {
	uint32_t id;
	bool valid;
	bool found;
	uint8_t len;
	int64_t expires_ns;
	char name[NAME_MAX_LEN];
};

struct vigil_proctable {
	size_t max_entries;
	size_t count;
	size_t n_live;
	struct pt_entry **buckets;
	size_t mask; /* buckets - 1; a power of two */
	struct pt_list live;
	struct pt_list exited;
	struct pt_entry *check_next; /* in live: where check_live goes on */
	struct pt_entry *free_entries; /* recycled through hnext */
	char *spare; /* buffer updates are built in */
	size_t spare_cap;
	size_t buf_bytes; /* entries' buffers and the spare */
	int64_t linger_ns;
	int64_t now_ns; /* newest time seen in a call */
	uint64_t gen;
	uint64_t seed_gen;
	bool have_procfs;
	struct vigil_procfs procfs;
	char *procfs_root; /* what the last seed read, for resync */
	struct vigil_arena scratch; /* /proc reads */
	struct vigil_arena scratch2; /* the cgroup re-read of an exec */
	struct {
		int32_t pid;
		int64_t until_ns; /* monotonic */
	} absent[ABSENT_SLOTS];
	struct name_slot users[NAME_CACHE_SLOTS];
	struct name_slot groups[NAME_CACHE_SLOTS];
	char *pw_buf;
	size_t pw_buf_len;
	struct vigil_proctable_stats stats;
};

/* ---- lists and hash ---- */

static void list_remove(struct pt_list *l, struct pt_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NULL;
}

static void list_append(struct pt_list *l, struct pt_entry *e)
{
	e->next = NULL;
	e->prev = l->tail;
	if (l->tail)
		l->tail->next = e;
	else
		l->head = e;
	l->tail = e;
}

static size_t pid_bucket(const struct vigil_proctable *t, int32_t pid)
{
	/* Fibonacci hashing, folded: consecutive pids spread out. */
	uint32_t h = (uint32_t)pid * UINT32_C(2654435761);

	return (size_t)(h ^ (h >> 16)) & t->mask;
}

static bool is_exited(const struct pt_entry *e)
{
	return e->proc.flags & VIGIL_PROC_EXITED;
}

/* Takes e off the live list; check_live's cursor moves past it. */
static void live_remove(struct vigil_proctable *t, struct pt_entry *e)
{
	if (t->check_next == e)
		t->check_next = e->next;
	list_remove(&t->live, e);
}

/* Moves a live entry to the most-recently-used end. */
static void touch(struct vigil_proctable *t, struct pt_entry *e)
{
	if (!is_exited(e) && t->live.tail != e) {
		live_remove(t, e);
		list_append(&t->live, e);
	}
}

/* Unlinks e from its hash chain and list and puts it on the free list. */
static void entry_drop(struct vigil_proctable *t, struct pt_entry *e)
{
	struct pt_entry **pp = &t->buckets[pid_bucket(t, e->proc.pid)];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	if (is_exited(e)) {
		list_remove(&t->exited, e);
	} else {
		live_remove(t, e);
		t->n_live--;
	}
	t->count--;
	e->hnext = t->free_entries;
	t->free_entries = e;
}

static void mark_exited(struct vigil_proctable *t, struct pt_entry *e,
			int64_t time_ns)
{
	if (is_exited(e))
		return;
	live_remove(t, e);
	t->n_live--;
	e->proc.flags |= VIGIL_PROC_EXITED;
	e->exit_time_ns = time_ns;
	list_append(&t->exited, e);
}

/* Undoes a guessed exit (exit_guessed): e is live again. */
static void revive(struct vigil_proctable *t, struct pt_entry *e)
{
	list_remove(&t->exited, e);
	e->proc.flags &= ~VIGIL_PROC_EXITED;
	e->exit_time_ns = 0;
	e->exit_guessed = false;
	list_append(&t->live, e);
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
static struct pt_entry *entry_get(struct vigil_proctable *t)
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
static void entry_link(struct vigil_proctable *t, struct pt_entry *e)
{
	size_t b = pid_bucket(t, e->proc.pid);

	e->hnext = t->buckets[b];
	t->buckets[b] = e;
	t->count++;
	if (is_exited(e)) {
		list_append(&t->exited, e);
	} else {
		list_append(&t->live, e);
		t->n_live++;
	}
}

/* The newest entry for pid, exited or not. */
static struct pt_entry *find_newest(struct vigil_proctable *t, int32_t pid)
{
	struct pt_entry *e;

	for (e = t->buckets[pid_bucket(t, pid)]; e; e = e->hnext)
		if (e->proc.pid == pid)
			return e;
	return NULL;
}

static struct pt_entry *find_live(struct vigil_proctable *t, int32_t pid)
{
	struct pt_entry *e = find_newest(t, pid);

	return e && !is_exited(e) ? e : NULL;
}

/* How far before e's start time an event of e's may be stamped. */
static int64_t start_slack(const struct pt_entry *e)
{
	return e->fork_start ? FORK_SLACK_NS : TIME_SLACK_NS;
}

/* Whether e had started by time_ns (or its start is unknown). */
static bool started_by(const struct pt_entry *e, int64_t time_ns)
{
	return !e->proc.start_time_ns ||
	       e->proc.start_time_ns <= time_ns + start_slack(e);
}

/* Whether /proc's start time start_ns is e's own (within the slack of
 * /proc's whole-second boot time). */
static bool same_start(const struct pt_entry *e, int64_t start_ns)
{
	return e->proc.start_time_ns && start_ns &&
	       e->proc.start_time_ns <= start_ns + TIME_SLACK_NS &&
	       e->proc.start_time_ns >= start_ns - TIME_SLACK_NS;
}

/*
 * The entry for the process that had pid at time_ns: the newest one that
 * had started by then and, if it exited, had not exited long before.
 * time_ns 0 takes the newest.
 */
static struct pt_entry *find_at(struct vigil_proctable *t, int32_t pid,
				int64_t time_ns)
{
	struct pt_entry *e;

	for (e = t->buckets[pid_bucket(t, pid)]; e; e = e->hnext) {
		if (e->proc.pid != pid)
			continue;
		if (time_ns == 0)
			return e;
		if (!started_by(e, time_ns))
			continue; /* started after: a later owner of pid */
		if (is_exited(e) && time_ns > e->exit_time_ns + TIME_SLACK_NS)
			return NULL; /* a later process we have not seen */
		return e;
	}
	return NULL;
}

/* ---- storing a process context ---- */

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
 * from the spare is much larger: a long command line's buffer would
 * otherwise go round through the spare from entry to entry, and each
 * long one the table ever stored would leave one more large buffer in
 * the pool for good (RSS creeping up by steps on a host whose builds run
 * long compiler command lines).  Allocates only then, at most once per
 * large buffer; on -ENOMEM e keeps the large one.
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

	if (e->cap <= BUF_FIT_MIN || e->cap / 4 < used)
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
static int entry_store(struct vigil_proctable *t, struct pt_entry *e,
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

/*
 * Reads pid from /proc into t->scratch and inserts it as the newest
 * entry for pid.  Returns the entry or NULL (gone, not seeded, no room).
 */
static struct pt_entry *fill_from_procfs(struct vigil_proctable *t,
					 int32_t pid)
{
	size_t slot = (size_t)pid % ABSENT_SLOTS;
	struct vigil_process p;
	struct pt_entry *e = NULL;
	int64_t now;

	if (!t->have_procfs || pid <= 0)
		return NULL;
	now = vigil_monotonic_ns();
	if (t->absent[slot].pid == pid && t->absent[slot].until_ns > now)
		return NULL;
	vigil_arena_reset(&t->scratch);
	e = find_newest(t, pid);
	if (vigil_procfs_read(&t->procfs, pid, VIGIL_PROCFS_ALL, &t->scratch,
			      &p) ||
	    (e && is_exited(e) && same_start(e, p.start_time_ns))) {
		/* Gone; or the zombie of a process whose exit was read,
		 * which must not come back as a live entry. */
		t->absent[slot].pid = pid;
		t->absent[slot].until_ns = now + ABSENT_TTL_NS;
		return NULL;
	}
	e = entry_get(t);
	if (!e)
		return NULL;
	if (entry_store(t, e, &p)) {
		e->hnext = t->free_entries;
		t->free_entries = e;
		return NULL;
	}
	entry_link(t, e);
	t->stats.procfs_fills++;
	return e;
}

/* Inserts a copy of p as a new live entry for p->pid. */
static struct pt_entry *insert(struct vigil_proctable *t,
			       const struct vigil_process *p)
{
	struct pt_entry *e = entry_get(t);

	if (!e)
		return NULL;
	if (entry_store(t, e, p)) {
		e->hnext = t->free_entries;
		t->free_entries = e;
		return NULL;
	}
	e->proc.flags &= ~VIGIL_PROC_EXITED;
	entry_link(t, e);
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

/* Seeds one pid: new entry, update of the same process, or pid reuse. */
static int seed_one(struct vigil_proctable *t, int32_t pid, int64_t now_ns)
{
	struct vigil_process p;
	struct pt_entry *e;
	int rc;

	vigil_arena_reset(&t->scratch);
	rc = vigil_procfs_read(&t->procfs, pid, VIGIL_PROCFS_ALL, &t->scratch,
			       &p);
	if (rc)
		return rc == -ENOMEM ? rc : 0; /* gone, or unreadable */
	e = find_newest(t, pid);
	if (e && is_exited(e) && same_start(e, p.start_time_ns)) {
		if (!e->exit_guessed)
			return 0; /* the zombie of a process seen exiting */
		revive(t, e); /* its exec took it for gone: it is not */
	}
	if (e && is_exited(e))
		e = NULL;
	if (e && e->proc.start_time_ns && p.start_time_ns &&
	    (e->proc.start_time_ns > p.start_time_ns + TIME_SLACK_NS ||
	     e->proc.start_time_ns < p.start_time_ns - TIME_SLACK_NS)) {
		mark_exited(t, e, now_ns);
		t->stats.pid_reuse++;
		e = NULL;
	}
	if (e) {
		/* Keep the more precise start time a fork gave us. */
		if (e->proc.start_time_ns)
			p.start_time_ns = e->proc.start_time_ns;
		rc = entry_store(t, e, &p);
		if (rc)
			return rc;
		e->seen = t->seed_gen;
		return 0;
	}
	e = insert(t, &p);
	if (!e)
		return -ENOMEM;
	e->seen = t->seed_gen;
	return 0;
}

int vigil_proctable_seed(struct vigil_proctable *t, const char *procfs_root)
{
	struct vigil_procfs pf;
	struct pt_entry *e, *next;
	struct dirent *de;
	int64_t now = vigil_now_ns();
	char *root_copy;
	DIR *dir;
	int rc, dfd;

	root_copy = strdup(procfs_root);
	if (!root_copy)
		return -ENOMEM;
	rc = vigil_procfs_open(&pf, procfs_root);
	if (rc) {
		free(root_copy);
		return rc;
	}
	dfd = openat(pf.root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		rc = -errno;
		goto out_close_procfs;
	}
	dir = fdopendir(dfd);
	if (!dir) {
		rc = -errno;
		close(dfd);
		goto out_close_procfs;
	}
	if (t->have_procfs)
		vigil_procfs_close(&t->procfs);
	free(t->procfs_root);
	t->procfs_root = root_copy;
	t->procfs = pf;
	t->have_procfs = true;
	t->seed_gen++;
	while ((de = readdir(dir))) {
		char *end;
		long v = strtol(de->d_name, &end, 10);

		if (*end || v <= 0 || v > INT32_MAX || de->d_name[0] < '0' ||
		    de->d_name[0] > '9')
			continue;
		rc = seed_one(t, (int32_t)v, now);
		if (rc)
			break;
	}
	closedir(dir);
	if (rc)
		return rc;
	for (e = t->live.head; e; e = next) {
		next = e->next;
		if (e->seen != t->seed_gen)
			mark_exited(t, e, now);
	}
	vigil_proctable_expire(t, now);
	return 0;

out_close_procfs:
	vigil_procfs_close(&pf);
	free(root_copy);
	return rc;
}

int vigil_proctable_resync(struct vigil_proctable *t)
{
	char *root;
	int rc;

	if (!t->procfs_root)
		return -ENOENT;
	/* seed replaces t->procfs_root: hand it a copy. */
	root = strdup(t->procfs_root);
	if (!root)
		return -ENOMEM;
	rc = vigil_proctable_seed(t, root);
	free(root);
	return rc;
}

int vigil_proctable_on_fork(struct vigil_proctable *t, int32_t ppid,
			    int32_t pid, int64_t time_ns)
{
	struct pt_entry *parent, *e;
	struct vigil_process child;
	uint64_t parent_pin = 0;

	if (pid <= 0)
		return -EINVAL;
	vigil_proctable_expire(t, time_ns);
	e = find_newest(t, pid);
	/* An exec read before this fork took the process for gone, as
	 * /proc no longer had it: its exit message, if any, is still to
	 * come (the connector sends it after the fork's). */
	if (e && e->exit_guessed && e->proc.ppid == ppid &&
	    e->exit_time_ns + TIME_SLACK_NS >= time_ns)
		revive(t, e);
	if (e && is_exited(e))
		e = NULL;
	if (e && e->proc.ppid == ppid &&
	    (!e->proc.start_time_ns ||
	     e->proc.start_time_ns + TIME_SLACK_NS >= time_ns)) {
		/* This very process, whose exec was read first (its
		 * record overtook the fork's message; a previous owner of
		 * the pid started before this fork): keep its image. */
		if (!e->proc.start_time_ns) {
			e->proc.start_time_ns = time_ns;
			e->fork_start = true;
		}
		touch(t, e);
		return 0;
	}
	if (e) {
		/* The exit of the previous owner of pid was lost. */
		mark_exited(t, e, time_ns);
		t->stats.pid_reuse++;
	}
	parent = find_live(t, ppid);
	if (!parent) {
		e = fill_from_procfs(t, pid);
		if (e) {
			e->proc.start_time_ns = time_ns;
			e->fork_start = true;
			return 0;
		}
		vigil_process_clear(&child);
	} else {
		touch(t, parent);
		parent_pin = parent->pin;
		parent->pin = t->gen; /* its strings are the child's source */
		child = parent->proc;
	}
	child.pid = child.tid = pid;
	child.ppid = ppid;
	child.start_time_ns = time_ns;
	child.flags &= ~(VIGIL_PROC_EXITED | VIGIL_PROC_FROM_PROCFS);
	e = insert(t, &child);
	if (parent)
		parent->pin = parent_pin;
	if (!e)
		return -ENOSPC;
	e->fork_start = true;
	return 0;
}

/* Fills the fields of dst that are unknown from src (same process). */
static void merge_missing(struct vigil_process *dst,
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

/*
 * The process is gone, or a zombie, before its exec was read (a
 * short-lived child; the kernel moves an exiting task out of its cgroups,
 * so a zombie's /proc/PID/cgroup shows the roots): it was in the cgroup
 * its parent was in when it forked, which the parent's own exec may have
 * shown after the fork was read (a runtime's init moved into the
 * container, then forked).  Takes the parent's container, copied into
 * scratch2, when the parent has one.
 */
static void inherit_container(struct vigil_proctable *t,
			      struct vigil_process *np)
{
	struct pt_entry *pe = find_at(t, np->ppid, np->start_time_ns);
	const struct vigil_container *c;

	if (!pe || !pe->proc.container.id.len)
		return;
	c = &pe->proc.container;
	if (vigil_arena_str(&t->scratch2, &np->container.id, c->id.ptr,
			    c->id.len) ||
	    vigil_arena_str(&t->scratch2, &np->container.runtime,
			    c->runtime.ptr, c->runtime.len) ||
	    vigil_arena_str(&t->scratch2, &np->container.pod_uid,
			    c->pod_uid.ptr, c->pod_uid.len))
		memset(&np->container, 0, sizeof(np->container));
}

/*
 * The exec of a process whose exit was read first (a short-lived child:
 * the proc connector's exit overtakes the exec that audit delivers up to
 * a read interval later).  The image goes on the exited entry, which
 * stays exited: the exit will not come again.  /proc is not read, since
 * the pid is gone or already another process's.  Returns 0 or -ENOMEM.
 */
static int exec_exited(struct vigil_proctable *t, struct pt_entry *e,
		       struct vigil_process *np)
{
	merge_missing(np, &e->proc, false);
	if (!np->container.id.len && !np->container.pod_uid.len &&
	    np->ppid > 0) {
		vigil_arena_reset(&t->scratch2);
		inherit_container(t, np);
	}
	np->flags &= ~VIGIL_PROC_FROM_PROCFS;
	np->flags |= VIGIL_PROC_EXITED; /* e stays on the exited list */
	np->user.len = np->group.len = 0;
	return entry_store(t, e, np);
}

int vigil_proctable_on_exec(struct vigil_proctable *t,
			    const struct vigil_process *p, int64_t time_ns)
{
	struct vigil_process np = *p;
	struct pt_entry *e, *newest;
	bool alive = true;
	int64_t ref;
	int rc;

	if (p->pid <= 0)
		return -EINVAL;
	e = find_at(t, p->pid, time_ns);
	newest = find_newest(t, p->pid);
	if (e && is_exited(e))
		return exec_exited(t, e, &np);
	/* Every process the table has for pid started after this exec:
	 * its process came and went unseen, and has nowhere to go (an
	 * entry for it would hide the later ones). */
	if (!e && newest && time_ns && !started_by(newest, time_ns))
		return 0;
	if (e) {
		/* Exec keeps pid, start, container, unit, tty, cwd. */
		merge_missing(&np, &e->proc, false);
	}
	/* What /proc shows must have started by this exec to be its
	 * process, not a later owner of the pid. */
	ref = np.start_time_ns ? np.start_time_ns : time_ns;
	if (!e || !np.file.path.len || !np.argv.n) {
		struct vigil_process fresh;
		bool ok;

		vigil_arena_reset(&t->scratch);
		ok = t->have_procfs &&
		     !vigil_procfs_read(&t->procfs, p->pid,
					e ? VIGIL_PROCFS_IMAGE :
					    VIGIL_PROCFS_ALL,
					&t->scratch, &fresh) &&
		     (!ref || !fresh.start_time_ns ||
		      fresh.start_time_ns <= ref + TIME_SLACK_NS);
		/* Without an entry, /proc (when the table has one) tells
		 * whether the process lives; the zombie of the newest,
		 * exited, entry does not. */
		if (!e && t->have_procfs)
			alive = ok && !(newest && is_exited(newest) &&
					same_start(newest,
						   fresh.start_time_ns));
		if (ok && alive)
			merge_missing(&np, &fresh, true);
	}
	/*
	 * A container runtime moves its init into the container's cgroup
	 * after the fork and then execs: the container shows only from the
	 * exec on.  Re-read the cgroup of an exec not yet in a container.
	 */
	if (!np.container.id.len && !np.container.pod_uid.len &&
	    t->have_procfs) {
		struct vigil_process cg;

		vigil_process_clear(&cg);
		vigil_arena_reset(&t->scratch2);
		if (alive &&
		    !vigil_procfs_read(&t->procfs, p->pid, VIGIL_PROCFS_CGROUP,
				       &t->scratch2, &cg) &&
		    (!np.start_time_ns || !cg.start_time_ns ||
		     cg.start_time_ns <= np.start_time_ns + TIME_SLACK_NS)) {
			np.container = cg.container;
			if (!np.unit.len)
				np.unit = cg.unit;
		}
		/* Gone, or a zombie (which the kernel already took out of
		 * its cgroups): the parent's container. */
		if (!np.container.id.len && !np.container.pod_uid.len &&
		    np.ppid > 0)
			inherit_container(t, &np);
	}
	np.flags &= ~(VIGIL_PROC_EXITED | VIGIL_PROC_FROM_PROCFS);
	np.user.len = np.group.len = 0;
	if (e) {
		rc = entry_store(t, e, &np);
		if (!rc)
			touch(t, e);
		return rc;
	}
	e = insert(t, &np);
	if (!e)
		return -ENOSPC;
	if (!alive) {
		/* Gone before its exec was read, and its exit not read
		 * yet, if ever (lost, or no proc connector): it must not
		 * stay live.  A fork message still to come revives it. */
		mark_exited(t, e, time_ns ? time_ns : t->now_ns);
		e->exit_guessed = true;
	}
	return 0;
}

int vigil_proctable_on_exit(struct vigil_proctable *t, int32_t pid,
			    int64_t time_ns)
{
	struct pt_entry *e = find_newest(t, pid);

	if (e && !is_exited(e)) {
		mark_exited(t, e, time_ns);
	} else if (e && e->exit_guessed) {
		/* Its exec took it for gone: now the exit is known. */
		e->exit_guessed = false;
		e->exit_time_ns = time_ns;
		list_remove(&t->exited, e);
		list_append(&t->exited, e);
	} else {
		e = NULL;
	}
	vigil_proctable_expire(t, time_ns);
	return e ? 0 : -ENOENT;
}

int vigil_proctable_exec_seen(struct vigil_proctable *t, int32_t pid)
{
	struct pt_entry *e = find_newest(t, pid);

	if (!e)
		return -ENOENT;
	if (is_exited(e) && !e->exit_guessed) {
		/* The exit read was the old leader thread's: the process
		 * lives on in the thread that executed. */
		revive(t, e);
		t->stats.leader_exec++;
	}
	return 0;
}

int vigil_proctable_on_ids(struct vigil_proctable *t, int32_t pid,
			   uint32_t ruid, uint32_t euid, uint32_t rgid,
			   uint32_t egid)
{
	struct pt_entry *e = find_live(t, pid);

	if (!e)
		return -ENOENT;
	if (ruid != VIGIL_ID_UNSET)
		e->proc.uid = ruid;
	if (euid != VIGIL_ID_UNSET)
		e->proc.euid = e->proc.fsuid = euid;
	if (rgid != VIGIL_ID_UNSET)
		e->proc.gid = rgid;
	if (egid != VIGIL_ID_UNSET)
		e->proc.egid = e->proc.fsgid = egid;
	return 0;
}

int vigil_proctable_on_comm(struct vigil_proctable *t, int32_t pid,
			    const char *comm, size_t len)
{
	struct pt_entry *e = find_live(t, pid);
	struct vigil_process np;

	if (!e)
		return -ENOENT;
	if (len > UINT32_MAX)
		return -EINVAL;
	np = e->proc;
	np.comm.ptr = comm;
	np.comm.len = (uint32_t)len;
	return entry_store(t, e, &np);
}

int vigil_proctable_refresh(struct vigil_proctable *t, int32_t pid)
{
	struct vigil_process p;
	struct pt_entry *e;
	int rc;

	if (!t->have_procfs)
		return -ENOENT;
	e = find_live(t, pid);
	vigil_arena_reset(&t->scratch);
	/* An exec changes only the image: with an entry, the rest (cwd,
	 * tty, cgroup, login ids) is kept and not read again. */
	rc = vigil_procfs_read(&t->procfs, pid,
			       e ? VIGIL_PROCFS_IMAGE : VIGIL_PROCFS_ALL,
			       &t->scratch, &p);
	if (rc)
		return rc;
	if (e && e->proc.start_time_ns && p.start_time_ns &&
	    (p.start_time_ns > e->proc.start_time_ns + TIME_SLACK_NS ||
	     p.start_time_ns < e->proc.start_time_ns - TIME_SLACK_NS)) {
		/* Another process has the pid now: its fork was lost. */
		mark_exited(t, e, p.start_time_ns);
		t->stats.pid_reuse++;
		e = NULL;
		vigil_arena_reset(&t->scratch);
		rc = vigil_procfs_read(&t->procfs, pid, VIGIL_PROCFS_ALL,
				       &t->scratch, &p);
		if (rc)
			return rc;
	}
	if (e && e->proc.start_time_ns) {
		/* The fork time is more precise than /proc's. */
		p.start_time_ns = e->proc.start_time_ns;
	}
	if (e)
		merge_missing(&p, &e->proc, false);
	p.flags &= ~VIGIL_PROC_FROM_PROCFS;
	if (e) {
		rc = entry_store(t, e, &p);
		if (!rc)
			touch(t, e);
		return rc;
	}
	return insert(t, &p) ? 0 : -ENOSPC;
}

unsigned vigil_proctable_check_live(struct vigil_proctable *t, int64_t now_ns,
				    unsigned max_checks)
{
	struct pt_entry *e, *next;
	struct vigil_process p;
	unsigned n, gone = 0;
	int rc;

	if (!t->have_procfs)
		return 0;
	e = t->check_next ? t->check_next : t->live.head;
	for (n = 0; e && n < max_checks; n++, e = next) {
		next = e->next;
		if (e->proc.pid <= 0)
			continue;
		vigil_arena_reset(&t->scratch);
		/* stat only: the pid directory and the start time */
		rc = vigil_procfs_read(&t->procfs, e->proc.pid, 0, &t->scratch,
				       &p);
		if (rc == -ENOENT || rc == -ESRCH) {
			mark_exited(t, e, now_ns);
			t->stats.vanished++;
			gone++;
		} else if (!rc && e->proc.start_time_ns && p.start_time_ns &&
			   !same_start(e, p.start_time_ns)) {
			/* another process has the pid: its fork and this
			 * one's exit were both lost */
			mark_exited(t, e, now_ns);
			t->stats.vanished++;
			t->stats.pid_reuse++;
			gone++;
		}
	}
	t->check_next = e; /* NULL: from the head next time */
	return gone;
}

const struct vigil_process *
vigil_proctable_lookup(struct vigil_proctable *t, int32_t pid, int64_t time_ns)
{
	struct pt_entry *e = find_at(t, pid, time_ns);

	if (!e)
		return NULL;
	touch(t, e);
	return &e->proc;
}

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
	struct pt_entry *e = find_at(t, pid, time_ns);

	if (e) {
		t->stats.hits++;
		touch(t, e);
		return e;
	}
	t->stats.misses++;
	e = find_newest(t, pid);
	if (e && !is_exited(e))
		return NULL; /* /proc would show this same later process */
	e = fill_from_procfs(t, pid);
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
			merge_missing(p, &e->proc, true);
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

void vigil_proctable_get_stats(const struct vigil_proctable *t,
			       struct vigil_proctable_stats *out)
{
	*out = t->stats;
	out->entries = t->count;
	out->live = t->n_live;
	out->buffer_bytes = t->buf_bytes;
}
