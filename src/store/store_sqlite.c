/*
 * store_sqlite.c - the SQLite backend of the signal store: one file (WAL
 * mode, 0600), the schema and its migrations (PRAGMA user_version),
 * grouping, retention, queries and triage.
 *
 * Every value from an event is bound as a parameter; the only SQL text
 * built at run time is list()'s WHERE clause, assembled from fixed
 * fragments.  Statements used per occurrence are prepared once per
 * connection.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store.h"
#include "store/store_sqlite_int.h"

/* Milliseconds a statement waits for another writer (vigilctl triage,
 * the plugin) before it returns busy. */
#define BUSY_TIMEOUT_MS 5000
/* Signals removed per statement at most when over the size limit. */
#define RETAIN_CHUNK 1000

/*
 * migrations[v] takes a database from version v to v + 1.  A new
 * version appends one entry (and its test in test_store.c builds a
 * database of every earlier version, fills it and opens it).
 */
static const char *const migrations[] = {
	/* 0 -> 1: the first schema */
	"CREATE TABLE signals ("
	" id TEXT PRIMARY KEY NOT NULL,"
	" group_key TEXT NOT NULL,"
	" rule TEXT NOT NULL,"
	" engine TEXT NOT NULL DEFAULT '',"
	" severity INTEGER NOT NULL,"
	" title TEXT NOT NULL DEFAULT '',"
	" remediation TEXT NOT NULL DEFAULT '',"
	" tags TEXT NOT NULL DEFAULT '',"
	" host TEXT NOT NULL DEFAULT '',"
	" container TEXT NOT NULL DEFAULT '',"
	" exe TEXT NOT NULL DEFAULT '',"
	" first_seen INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL,"
	" count INTEGER NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'open'"
	"  CHECK (status IN ('open','under_review','archived')),"
	" archive_reason TEXT CHECK (archive_reason IS NULL OR archive_reason"
	"  IN ('false_positive','testing_or_maintenance',"
	"  'investigated_case_opened','true_positive_benign',"
	"  'true_positive_malicious','other')),"
	" comment TEXT NOT NULL DEFAULT '',"
	" assignee TEXT NOT NULL DEFAULT '',"
	" updated INTEGER NOT NULL);"
	"CREATE INDEX signals_by_group ON signals(group_key, first_seen);"
	"CREATE INDEX signals_by_last ON signals(last_seen);"
	"CREATE INDEX signals_by_rule ON signals(rule, last_seen);"
	"CREATE INDEX signals_by_status ON signals(status, last_seen);"
	"CREATE INDEX signals_by_severity ON signals(severity, last_seen);"
	"CREATE INDEX signals_by_host ON signals(host, last_seen);"
	"CREATE INDEX signals_by_container ON signals(container, last_seen);"
	"CREATE INDEX signals_by_assignee ON signals(assignee, last_seen);"
	"CREATE TABLE samples ("
	" signal_id TEXT NOT NULL REFERENCES signals(id) ON DELETE CASCADE,"
	" n INTEGER NOT NULL,"
	" event_id INTEGER NOT NULL,"
	" time INTEGER NOT NULL,"
	" json TEXT NOT NULL,"
	" PRIMARY KEY (signal_id, n));"
	"CREATE TABLE event_ids ("
	" signal_id TEXT NOT NULL REFERENCES signals(id) ON DELETE CASCADE,"
	" event_id INTEGER NOT NULL,"
	" time INTEGER NOT NULL);"
	"CREATE INDEX event_ids_by_signal ON event_ids(signal_id);"
	"CREATE TABLE history ("
	" signal_id TEXT NOT NULL REFERENCES signals(id) ON DELETE CASCADE,"
	" time INTEGER NOT NULL,"
	" who TEXT NOT NULL,"
	" field TEXT NOT NULL,"
	" old TEXT,"
	" new TEXT);"
	"CREATE INDEX history_by_signal ON history(signal_id, time);"
	"CREATE TABLE counters (name TEXT PRIMARY KEY NOT NULL,"
	" value INTEGER NOT NULL);",
};

#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))
_Static_assert(N_MIGRATIONS == VIGIL_STORE_SCHEMA_VERSION,
	       "one migration per schema version");

struct sq {
	sqlite3 *db;
	char *path;
	bool rdonly;
	/* prepared once: the per-occurrence statements */
	sqlite3_stmt *find, *bump, *insert, *sample, *evid;
};

/* Maps an SQLite result code onto a negative errno. */
static int sq_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* Appends "what: SQLite's message" to err and returns the errno. */
static int sq_fail(sqlite3 *db, int rc, const char *what,
		   struct vigil_buf *err)
{
	int e = sq_errno(rc);

	(void)vigil_buf_printf(err, "%s: %s%s", what,
			       db ? sqlite3_errmsg(db) : sqlite3_errstr(rc),
			       e == -EBADMSG ?
				       " (the file is not a signal store or is damaged: move it aside and vigild starts a new one)" :
			       e == -EBUSY ?
				       " (another process holds a write lock)" :
				       "");
	return e ? e : -EIO;
}

static int sq_exec(sqlite3 *db, const char *sql, const char *what,
		   struct vigil_buf *err)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sq_fail(db, rc, what, err);
}

/* Reads one integer PRAGMA. */
static int sq_pragma_int(sqlite3 *db, const char *sql, int64_t *out,
			 struct vigil_buf *err)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return sq_fail(db, rc, sql, err);
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
						       sq_fail(db, rc, sql, err);
}

int vigil__store_sqlite_migrate(sqlite3 *db, int target,
				struct vigil_buf *err)
{
	int64_t v;
	int rc;

	if (target > (int)N_MIGRATIONS)
		return -EINVAL;
	rc = sq_pragma_int(db, "PRAGMA user_version", &v, err);
	if (rc)
		return rc;
	if (v > (int64_t)N_MIGRATIONS) {
		(void)vigil_buf_printf(err,
				       "schema version %" PRId64
				       " is newer than this vigil's (%d): upgrade vigil or move the file aside",
				       v, VIGIL_STORE_SCHEMA_VERSION);
		return -EPROTO;
	}
	for (; v < target; v++) {
		char sql[64];

		rc = sq_exec(db, "BEGIN IMMEDIATE", "migration", err);
		if (rc)
			return rc;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
			 (int)v + 1);
		rc = sq_exec(db, migrations[v], "migration", err);
		if (!rc)
			rc = sq_exec(db, sql, "migration", err);
		if (!rc)
			rc = sq_exec(db, "COMMIT", "migration", err);
		if (rc) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			(void)vigil_buf_printf(err, " (schema %d to %d)",
					       (int)v, (int)v + 1);
			return rc;
		}
	}
	return 0;
}

/*
 * Prepares sql on q's connection into *st (NULL on failure; the caller
 * finalizes it); what names the statement in err.
 */
static int sq_prepare(struct sq *q, sqlite3_stmt **st, const char *sql,
		      const char *what, struct vigil_buf *err)
{
	int rc = sqlite3_prepare_v2(q->db, sql, -1, st, NULL);

	return rc == SQLITE_OK ? 0 : sq_fail(q->db, rc, what, err);
}

/* sq_prepare(), then binds the signal id to ?1 (id must outlive *st). */
static int sq_prepare_id(struct sq *q, sqlite3_stmt **st, const char *sql,
			 const char *id, const char *what,
			 struct vigil_buf *err)
{
	int rc = sq_prepare(q, st, sql, what, err);

	if (!rc)
		sqlite3_bind_text(*st, 1, id, -1, SQLITE_STATIC);
	return rc;
}

/* Steps a one-shot statement that returns no row and finalizes it. */
static int sq_step_final(struct sq *q, sqlite3_stmt *st, const char *what,
			 struct vigil_buf *err)
{
	int rc = sqlite3_step(st);

	rc = rc == SQLITE_DONE ? 0 : sq_fail(q->db, rc, what, err);
	sqlite3_finalize(st);
	return rc;
}

/* Turns the current row of st into a caller's struct and hands it on. */
typedef int (*sq_row_fn)(sqlite3_stmt *st, void *arg);

/*
 * Steps st through its rows, calling row(st, arg) for each; stops at the
 * first nonzero row() returns and returns that.  0 at the end, or the
 * errno of a failed step.  st stays the caller's to finalize.
 */
static int sq_rows(struct sq *q, sqlite3_stmt *st, const char *what,
		   sq_row_fn row, void *arg, struct vigil_buf *err)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = row(st, arg);
		if (rc)
			return rc;
	}
	return rc == SQLITE_DONE ? 0 : sq_fail(q->db, rc, what, err);
}

/* sq_rows() over sql with the signal id bound to ?1. */
static int sq_rows_by_id(struct sq *q, const char *sql, const char *id,
			 const char *what, sq_row_fn row, void *arg,
			 struct vigil_buf *err)
{
	sqlite3_stmt *st;
	int rc = sq_prepare_id(q, &st, sql, id, what, err);

	if (rc)
		return rc;
	rc = sq_rows(q, st, what, row, arg, err);
	sqlite3_finalize(st);
	return rc;
}

static void sq_close(void *db)
{
	struct sq *q = db;

	if (!q)
		return;
	sqlite3_finalize(q->find);
	sqlite3_finalize(q->bump);
	sqlite3_finalize(q->insert);
	sqlite3_finalize(q->sample);
	sqlite3_finalize(q->evid);
	sqlite3_close_v2(q->db);
	free(q->path);
	free(q);
}

/*
 * Creates the file 0600 before SQLite sees it (SQLite gives its -wal
 * and -shm files the database's mode), never through a symlink, and
 * refuses one that is not a regular file of ours.
 */
static int sq_create_file(const char *path, struct vigil_buf *err)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		int e = errno;

		(void)vigil_buf_printf(err, "cannot open %s: %s%s", path,
				       strerror(e),
				       e == ELOOP ? " (a symlink: refused)" :
						    "");
		return -e;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		(void)vigil_buf_printf(err, "refusing %s: not a regular file owned by uid %u",
				       path, (unsigned)geteuid());
		close(fd);
		return -EPERM;
	}
	if (st.st_mode & 077)
		(void)fchmod(fd, 0600);
	close(fd);
	return 0;
}

static int sq_open(const char *where, unsigned flags, void **out,
		   struct vigil_buf *err)
{
	bool rdonly = flags & VIGIL_STORE_RDONLY;
	struct sq *q;
	int64_t v;
	int rc;

	if ((flags & (VIGIL_STORE_RDONLY | VIGIL_STORE_EXISTING)) &&
	    access(where, F_OK)) {
		int e = errno;

		(void)vigil_buf_printf(err, "no signal store at %s: %s%s",
				       where, strerror(e),
				       e == ENOENT ? " (is the store plugin enabled, and has a signal fired yet?)" :
				       e == EACCES ? " (run as root)" : "");
		return -e;
	}
	if (!rdonly && (rc = sq_create_file(where, err)))
		return rc;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->rdonly = rdonly;
	q->path = strdup(where);
	if (!q->path) {
		rc = -ENOMEM;
		goto out_close;
	}
	rc = sqlite3_open_v2(where, &q->db,
			     rdonly ? SQLITE_OPEN_READONLY :
				      SQLITE_OPEN_READWRITE,
			     NULL);
	if (rc != SQLITE_OK) {
		rc = sq_fail(q->db, rc, where, err);
		goto out_close;
	}
	sqlite3_busy_timeout(q->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(q->db, 1);
	/* reading the version reads the header: a file that is not a
	 * database fails here, before anything is written to it */
	rc = sq_pragma_int(q->db, "PRAGMA user_version", &v, err);
	if (rc)
		goto out_close;
	if (!rdonly) {
		rc = sq_exec(q->db, "PRAGMA journal_mode=WAL", where, err);
		if (!rc)
			rc = sq_exec(q->db, "PRAGMA synchronous=NORMAL", where,
				     err);
		if (!rc)
			rc = vigil__store_sqlite_migrate(
				q->db, VIGIL_STORE_SCHEMA_VERSION, err);
		if (rc)
			goto out_close;
	} else if (v != VIGIL_STORE_SCHEMA_VERSION) {
		(void)vigil_buf_printf(err,
				       "%s has schema version %" PRId64
				       ", this vigilctl reads %d%s",
				       where, v, VIGIL_STORE_SCHEMA_VERSION,
				       v < VIGIL_STORE_SCHEMA_VERSION ?
					       " (vigild upgrades it when it next writes)" :
					       " (upgrade vigil)");
		rc = -EPROTO;
		goto out_close;
	}
	rc = sq_exec(q->db, "PRAGMA foreign_keys=ON", where, err);
	if (rc)
		goto out_close;
	if (!rdonly) {
		const struct {
			sqlite3_stmt **st;
			const char *sql;
		} per_occ[] = {
			{ &q->find,
			  "SELECT id, count FROM signals WHERE group_key = ?1"
			  " AND first_seen >= ?2 ORDER BY first_seen DESC LIMIT 1" },
			{ &q->bump,
			  "UPDATE signals SET count = count + 1,"
			  " last_seen = max(last_seen, ?2),"
			  " severity = max(severity, ?3),"
			  " updated = ?4 WHERE id = ?1" },
			{ &q->insert,
			  "INSERT INTO signals (id, group_key, rule, engine,"
			  " severity, title, remediation, tags, host,"
			  " container, exe, first_seen, last_seen, count,"
			  " updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
			  " ?9, ?10, ?11, ?12, ?12, 1, ?13)" },
			{ &q->sample,
			  "INSERT INTO samples (signal_id, n, event_id, time,"
			  " json) VALUES (?1, ?2, ?3, ?4, ?5)" },
			{ &q->evid,
			  "INSERT INTO event_ids (signal_id, event_id, time)"
			  " VALUES (?1, ?2, ?3)" },
		};

		for (size_t i = 0;
		     !rc && i < sizeof(per_occ) / sizeof(per_occ[0]); i++)
			rc = sq_prepare(q, per_occ[i].st, per_occ[i].sql,
					"prepare", err);
		if (rc)
			goto out_close;
	}
	*out = q;
	return 0;

out_close:
	sq_close(q);
	return rc;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s ? s : "", -1, SQLITE_STATIC);
}

/* Steps a statement that returns no row, then resets it. */
static int sq_step_done(struct sq *q, sqlite3_stmt *st, const char *what,
			struct vigil_buf *err)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : sq_fail(q->db, rc, what, err);
}

/* Adds one occurrence inside the caller's transaction. */
static int sq_record_one(struct sq *q, const struct vigil_store_occ *o,
			 const struct vigil_store_limits *lim, int64_t now,
			 struct vigil_buf *err)
{
	char id[VIGIL_STORE_ID_LEN + 1];
	int64_t count = 0;
	int rc;

	sqlite3_bind_text(q->find, 1, o->group_key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q->find, 2, o->time_ns - lim->window_ns);
	rc = sqlite3_step(q->find);
	if (rc == SQLITE_ROW) {
		snprintf(id, sizeof(id), "%s",
			 (const char *)sqlite3_column_text(q->find, 0));
		count = sqlite3_column_int64(q->find, 1);
	}
	sqlite3_reset(q->find);
	sqlite3_clear_bindings(q->find);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_fail(q->db, rc, "find signal", err);
	if (rc == SQLITE_ROW) {
		sqlite3_bind_text(q->bump, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q->bump, 2, o->time_ns);
		sqlite3_bind_int(q->bump, 3, o->severity);
		sqlite3_bind_int64(q->bump, 4, now);
		rc = sq_step_done(q, q->bump, "update signal", err);
	} else {
		rc = vigil_store_new_id(o->time_ns, id);
		if (rc) {
			(void)vigil_buf_printf(err, "no randomness for a signal id");
			return rc;
		}
		sqlite3_bind_text(q->insert, 1, id, -1, SQLITE_STATIC);
		bind_text(q->insert, 2, o->group_key);
		bind_text(q->insert, 3, o->rule);
		bind_text(q->insert, 4, o->engine);
		sqlite3_bind_int(q->insert, 5, o->severity);
		bind_text(q->insert, 6, o->title);
		bind_text(q->insert, 7, o->remediation);
		bind_text(q->insert, 8, o->tags);
		bind_text(q->insert, 9, o->host);
		bind_text(q->insert, 10, o->container);
		bind_text(q->insert, 11, o->exe);
		sqlite3_bind_int64(q->insert, 12, o->time_ns);
		sqlite3_bind_int64(q->insert, 13, now);
		rc = sq_step_done(q, q->insert, "insert signal", err);
	}
	if (!rc && count < (int64_t)lim->max_samples) {
		sqlite3_bind_text(q->sample, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q->sample, 2, count);
		sqlite3_bind_int64(q->sample, 3, (int64_t)o->event_id);
		sqlite3_bind_int64(q->sample, 4, o->time_ns);
		sqlite3_bind_text(q->sample, 5, o->json ? o->json : "{}",
				  o->json ? (int)o->json_len : 2,
				  SQLITE_STATIC);
		rc = sq_step_done(q, q->sample, "insert sample", err);
	}
	if (!rc && count < (int64_t)lim->max_event_ids) {
		sqlite3_bind_text(q->evid, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q->evid, 2, (int64_t)o->event_id);
		sqlite3_bind_int64(q->evid, 3, o->time_ns);
		rc = sq_step_done(q, q->evid, "insert event id", err);
	}
	return rc;
}

static int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int sq_record(void *db, const struct vigil_store_occ *occ, size_t n,
		     const struct vigil_store_limits *lim,
		     struct vigil_buf *err)
{
	struct sq *q = db;
	int64_t now = wall_ns();
	int rc;

	rc = sq_exec(q->db, "BEGIN IMMEDIATE", "begin", err);
	for (size_t i = 0; !rc && i < n; i++)
		rc = sq_record_one(q, &occ[i], lim, now, err);
	if (!rc)
		rc = sq_exec(q->db, "COMMIT", "commit", err);
	if (rc)
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Runs a DELETE with one integer parameter; adds the rows to *n. */
static int sq_delete(struct sq *q, const char *sql, int64_t a,
		     uint64_t *n, struct vigil_buf *err)
{
	sqlite3_stmt *st;
	int rc = sq_prepare(q, &st, sql, "retention", err);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, a);
	rc = sq_step_final(q, st, "retention", err);
	if (!rc)
		*n += (uint64_t)sqlite3_changes(q->db);
	return rc;
}

static int sq_bytes(struct sq *q, int64_t *used, int64_t *free_b,
		    struct vigil_buf *err)
{
	int64_t pages, freel, psize;
	int rc = sq_pragma_int(q->db, "PRAGMA page_count", &pages, err);

	if (!rc)
		rc = sq_pragma_int(q->db, "PRAGMA freelist_count", &freel, err);
	if (!rc)
		rc = sq_pragma_int(q->db, "PRAGMA page_size", &psize, err);
	if (rc)
		return rc;
	*used = (pages - freel) * psize;
	*free_b = freel * psize;
	return 0;
}

static int sq_retain(void *db, const struct vigil_store_limits *lim,
		     int64_t now_ns, uint64_t *deleted, struct vigil_buf *err)
{
	struct sq *q = db;
	uint64_t n = 0;
	int64_t used, fb;
	char sql[256];
	int rc;

	rc = sq_exec(q->db, "BEGIN IMMEDIATE", "retention", err);
	if (!rc && lim->max_age_ns > 0)
		rc = sq_delete(q, "DELETE FROM signals WHERE last_seen < ?1",
			       now_ns - lim->max_age_ns, &n, err);
	while (!rc && lim->max_size > 0 &&
	       !(rc = sq_bytes(q, &used, &fb, err)) && used > lim->max_size) {
		uint64_t before = n;
		int64_t rows = 0, chunk;

		/* as many signals as the excess holds on average, so the
		 * loop neither crawls nor overshoots by much */
		rc = sq_pragma_int(q->db, "SELECT count(*) FROM signals",
				   &rows, err);
		if (rc || !rows)
			break;
		chunk = (used - lim->max_size) / (used / rows + 1) + 1;
		if (chunk > RETAIN_CHUNK)
			chunk = RETAIN_CHUNK;
		rc = sq_delete(q,
			       "DELETE FROM signals WHERE id IN (SELECT id FROM"
			       " signals WHERE status = 'archived'"
			       " ORDER BY last_seen LIMIT ?1)",
			       chunk, &n, err);
		if (!rc && n == before)
			rc = sq_delete(q,
				       "DELETE FROM signals WHERE id IN (SELECT"
				       " id FROM signals ORDER BY last_seen"
				       " LIMIT ?1)",
				       chunk, &n, err);
		if (!rc && n == before)
			break; /* nothing left to delete */
	}
	if (!rc && n) {
		/* no UPSERT: RHEL 7's SQLite 3.7 predates it */
		snprintf(sql, sizeof(sql),
			 "INSERT OR IGNORE INTO counters VALUES"
			 " ('retention_deleted', 0);"
			 "UPDATE counters SET value = value + %" PRIu64
			 " WHERE name = 'retention_deleted'",
			 n);
		rc = sq_exec(q->db, sql, "retention", err);
	}
	if (!rc)
		rc = sq_exec(q->db, "COMMIT", "retention", err);
	if (rc)
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	else if (deleted)
		*deleted += n;
	return rc;
}

static int sq_vacuum(void *db, double min_free_ratio, bool *done,
		     struct vigil_buf *err)
{
	struct sq *q = db;
	int64_t used, fb;
	int rc = sq_bytes(q, &used, &fb, err);

	*done = false;
	if (rc || fb == 0 || (double)fb < min_free_ratio * (double)(used + fb))
		return rc;
	rc = sq_exec(q->db, "VACUUM", "vacuum", err);
	*done = !rc;
	return rc;
}

#define ROW_COLUMNS                                                            \
	"id, rule, engine, title, remediation, tags, host, container, exe,"    \
	" comment, assignee, severity, status, archive_reason, first_seen,"    \
	" last_seen, updated, count"

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? (const char *)s : "";
}

/* The caller's callback for list(), samples() and history(). */
struct sq_cb {
	union {
		vigil_store_row_fn row;
		vigil_store_sample_fn sample;
		vigil_store_change_fn change;
	} fn;
	void *arg;
};

static int list_row(sqlite3_stmt *st, void *arg)
{
	const struct sq_cb *cb = arg;
	struct vigil_store_row r;

	r.id = col_text(st, 0);
	r.rule = col_text(st, 1);
	r.engine = col_text(st, 2);
	r.title = col_text(st, 3);
	r.remediation = col_text(st, 4);
	r.tags = col_text(st, 5);
	r.host = col_text(st, 6);
	r.container = col_text(st, 7);
	r.exe = col_text(st, 8);
	r.comment = col_text(st, 9);
	r.assignee = col_text(st, 10);
	r.severity = sqlite3_column_int(st, 11);
	r.status = vigil_store_status_from_name(col_text(st, 12));
	r.archive_reason = vigil_store_reason_from_name(col_text(st, 13));
	r.first_seen = sqlite3_column_int64(st, 14);
	r.last_seen = sqlite3_column_int64(st, 15);
	r.updated = sqlite3_column_int64(st, 16);
	r.count = (uint64_t)sqlite3_column_int64(st, 17);
	return cb->fn.row(cb->arg, &r);
}

static int sq_list(void *db, const struct vigil_store_filter *f,
		   vigil_store_row_fn fn, void *arg, struct vigil_buf *err)
{
	struct sq *q = db;
	struct vigil_buf sql = { 0 };
	struct sq_cb cb = { .fn.row = fn, .arg = arg };
	sqlite3_stmt *st = NULL;
	const char *texts[8];
	int n_texts = 0, idx = 1, rc;

	rc = vigil_buf_puts(&sql, "SELECT " ROW_COLUMNS
			    " FROM signals WHERE 1");
#define WHERE_TEXT(val, frag)                                                  \
	do {                                                                   \
		if (!rc && (val)) {                                            \
			rc = vigil_buf_puts(&sql, " AND " frag);               \
			texts[n_texts++] = (val);                              \
		}                                                              \
	} while (0)
	WHERE_TEXT(f->id, "id = ?");
	WHERE_TEXT(f->rule, "rule = ?");
	WHERE_TEXT(f->host, "host = ?");
	WHERE_TEXT(f->container, "container = ?");
	WHERE_TEXT(f->assignee, "assignee = ?");
	/* a whole tag: tags is "\ttag1\ttag2\t" */
	WHERE_TEXT(f->tag, "instr(tags, char(9) || ? || char(9)) > 0");
	WHERE_TEXT(vigil_store_status_name(f->status), "status = ?");
#undef WHERE_TEXT
	if (!rc && f->text)
		rc = vigil_buf_puts(&sql,
				    " AND (instr(lower(title), lower(?90)) > 0"
				    " OR instr(lower(rule), lower(?90)) > 0"
				    " OR instr(lower(exe), lower(?90)) > 0"
				    " OR EXISTS (SELECT 1 FROM samples s WHERE"
				    " s.signal_id = signals.id AND"
				    " instr(s.json, ?90) > 0))");
	if (!rc && f->min_severity >= 0)
		rc = vigil_buf_puts(&sql, " AND severity >= ?91");
	if (!rc && f->since_ns)
		rc = vigil_buf_puts(&sql, " AND last_seen >= ?92");
	if (!rc)
		rc = vigil_buf_puts(&sql, " ORDER BY last_seen DESC");
	if (!rc && f->limit)
		rc = vigil_buf_puts(&sql, " LIMIT ?93");
	if (rc)
		goto out_free;
	rc = sq_prepare(q, &st, vigil_buf_cstr(&sql), "list", err);
	if (rc)
		goto out_free;
	for (int i = 0; i < n_texts; i++)
		sqlite3_bind_text(st, idx++, texts[i], -1, SQLITE_STATIC);
	if (f->text)
		sqlite3_bind_text(st, 90, f->text, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 91, f->min_severity);
	sqlite3_bind_int64(st, 92, f->since_ns);
	sqlite3_bind_int64(st, 93, f->limit);
	rc = sq_rows(q, st, "list", list_row, &cb, err);
out_free:
	sqlite3_finalize(st);
	vigil_buf_free(&sql);
	return rc;
}

static int sample_row(sqlite3_stmt *st, void *arg)
{
	const struct sq_cb *cb = arg;
	struct vigil_store_sample smp;

	smp.event_id = (uint64_t)sqlite3_column_int64(st, 0);
	smp.time_ns = sqlite3_column_int64(st, 1);
	smp.json = col_text(st, 2);
	smp.json_len = (size_t)sqlite3_column_bytes(st, 2);
	return cb->fn.sample(cb->arg, &smp);
}

static int sq_samples(void *db, const char *id, vigil_store_sample_fn fn,
		      void *arg, struct vigil_buf *err)
{
	struct sq_cb cb = { .fn.sample = fn, .arg = arg };

	return sq_rows_by_id(db,
			     "SELECT event_id, time, json FROM samples"
			     " WHERE signal_id = ?1 ORDER BY n",
			     id, "samples", sample_row, &cb, err);
}

static int change_row(sqlite3_stmt *st, void *arg)
{
	const struct sq_cb *cb = arg;
	struct vigil_store_change c;

	c.time_ns = sqlite3_column_int64(st, 0);
	c.who = col_text(st, 1);
	c.field = col_text(st, 2);
	c.from = col_text(st, 3);
	c.to = col_text(st, 4);
	return cb->fn.change(cb->arg, &c);
}

static int sq_history(void *db, const char *id, vigil_store_change_fn fn,
		      void *arg, struct vigil_buf *err)
{
	struct sq_cb cb = { .fn.change = fn, .arg = arg };

	return sq_rows_by_id(db,
			     "SELECT time, who, field, old, new FROM history"
			     " WHERE signal_id = ?1 ORDER BY time, rowid",
			     id, "history", change_row, &cb, err);
}

/* Appends one history line for field, inside the caller's transaction. */
static int sq_history_add(struct sq *q, const char *id,
			  const struct vigil_store_triage *t,
			  const char *field, const char *from, const char *to,
			  struct vigil_buf *err)
{
	sqlite3_stmt *st;
	int rc = sq_prepare_id(q, &st,
			       "INSERT INTO history (signal_id, time, who,"
			       " field, old, new) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
			       id, "history", err);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 2, t->time_ns);
	bind_text(st, 3, t->who);
	bind_text(st, 4, field);
	if (from)
		sqlite3_bind_text(st, 5, from, -1, SQLITE_STATIC);
	if (to)
		sqlite3_bind_text(st, 6, to, -1, SQLITE_STATIC);
	return sq_step_final(q, st, "history", err);
}

/* The current state of a signal, copied out of the row. */
struct triage_now {
	int status, reason;
	char *comment, *assignee;
};

/*
 * Works out the new state from now and t: 0, or -EINVAL/-EALREADY with
 * the reason in err.
 */
static int triage_check(const struct triage_now *now,
			const struct vigil_store_triage *t, int *status,
			int *reason, struct vigil_buf *err)
{
	*status = t->status >= 0 ? t->status : now->status;
	*reason = t->archive_reason >= 0 ? t->archive_reason :
		  *status == VIGIL_STORE_ARCHIVED ? now->reason :
						   -1;
	if (t->archive_reason >= 0 && *status != VIGIL_STORE_ARCHIVED) {
		(void)vigil_buf_printf(err, "a reason goes with --status archived only (the signal would be %s)",
				       vigil_store_status_name(*status));
		return -EINVAL;
	}
	if (*status == VIGIL_STORE_ARCHIVED && *reason < 0) {
		(void)vigil_buf_printf(err, "archiving needs a reason: one of %s",
				       vigil_store_reason_list());
		return -EINVAL;
	}
	if (*status == now->status && *reason == now->reason &&
	    (!t->comment || strcmp(t->comment, now->comment) == 0) &&
	    (!t->assignee || strcmp(t->assignee, now->assignee) == 0)) {
		(void)vigil_buf_printf(err, "nothing to change: the signal is already %s%s%s",
				       vigil_store_status_name(now->status),
				       now->reason >= 0 ? " as " : "",
				       now->reason >= 0 ?
					       vigil_store_reason_name(now->reason) :
					       "");
		return -EALREADY;
	}
	return 0;
}

static int sq_triage_read(struct sq *q, const char *id,
			  struct triage_now *now, struct vigil_buf *err)
{
	sqlite3_stmt *st;
	int rc = sq_prepare_id(q, &st,
			       "SELECT status, archive_reason, comment, assignee"
			       " FROM signals WHERE id = ?1",
			       id, "triage", err);

	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		now->status = vigil_store_status_from_name(col_text(st, 0));
		now->reason = vigil_store_reason_from_name(col_text(st, 1));
		now->comment = strdup(col_text(st, 2));
		now->assignee = strdup(col_text(st, 3));
		rc = now->comment && now->assignee ? 0 : -ENOMEM;
	} else if (rc == SQLITE_DONE) {
		(void)vigil_buf_printf(err, "no signal with id %s", id);
		rc = -ENOENT;
	} else {
		rc = sq_fail(q->db, rc, "triage", err);
	}
	sqlite3_finalize(st);
	return rc;
}

static int sq_triage(void *db, const char *id,
		     const struct vigil_store_triage *t, struct vigil_buf *err)
{
	struct sq *q = db;
	struct triage_now now = { 0 };
	sqlite3_stmt *st = NULL;
	int status, reason, rc;

	rc = sq_exec(q->db, "BEGIN IMMEDIATE", "triage", err);
	if (rc)
		return rc;
	rc = sq_triage_read(q, id, &now, err);
	if (!rc)
		rc = triage_check(&now, t, &status, &reason, err);
	if (!rc && status != now.status)
		rc = sq_history_add(q, id, t, "status",
				    vigil_store_status_name(now.status),
				    vigil_store_status_name(status), err);
	if (!rc && reason != now.reason)
		rc = sq_history_add(q, id, t, "archive_reason",
				    vigil_store_reason_name(now.reason),
				    vigil_store_reason_name(reason), err);
	if (!rc && t->comment && strcmp(t->comment, now.comment))
		rc = sq_history_add(q, id, t, "comment", now.comment,
				    t->comment, err);
	if (!rc && t->assignee && strcmp(t->assignee, now.assignee))
		rc = sq_history_add(q, id, t, "assignee", now.assignee,
				    t->assignee, err);
	if (!rc)
		rc = sq_prepare_id(q, &st,
				   "UPDATE signals SET status = ?2,"
				   " archive_reason = ?3,"
				   " comment = coalesce(?4, comment),"
				   " assignee = coalesce(?5, assignee),"
				   " updated = ?6 WHERE id = ?1",
				   id, "triage", err);
	if (!rc) {
		bind_text(st, 2, vigil_store_status_name(status));
		if (reason >= 0)
			bind_text(st, 3, vigil_store_reason_name(reason));
		if (t->comment)
			bind_text(st, 4, t->comment);
		if (t->assignee)
			bind_text(st, 5, t->assignee);
		sqlite3_bind_int64(st, 6, t->time_ns);
		rc = sq_step_final(q, st, "triage", err);
	}
	if (!rc)
		rc = sq_exec(q->db, "COMMIT", "triage", err);
	if (rc)
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	free(now.comment);
	free(now.assignee);
	return rc;
}

static int sq_info(void *db, struct vigil_store_info *out,
		   struct vigil_buf *err)
{
	struct sq *q = db;
	int64_t v, n = 0, used, fb;
	sqlite3_stmt *st;
	int rc = sq_pragma_int(q->db, "PRAGMA user_version", &v, err);

	if (!rc)
		rc = sq_pragma_int(q->db, "SELECT count(*) FROM signals", &n,
				   err);
	if (!rc)
		rc = sq_bytes(q, &used, &fb, err);
	if (rc)
		return rc;
	out->schema_version = (int)v;
	out->signals = (uint64_t)n;
	out->bytes_used = (uint64_t)used;
	out->bytes_free = (uint64_t)fb;
	rc = sqlite3_prepare_v2(q->db,
				"SELECT value FROM counters WHERE name ="
				" 'retention_deleted'",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(q->db, rc, "info", err);
	if (sqlite3_step(st) == SQLITE_ROW)
		out->retention_deleted = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

const struct vigil_store_ops vigil_store_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.record = sq_record,
	.retain = sq_retain,
	.vacuum = sq_vacuum,
	.list = sq_list,
	.samples = sq_samples,
	.history = sq_history,
	.triage = sq_triage,
	.info = sq_info,
};
