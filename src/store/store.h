/*
 * store.h - the signal store: grouped signals, their sample events, triage
 * state and its history, retention; shared by the store plugin (which
 * writes) and vigilctl signals (which reads and triages).
 *
 * A store is a backend behind a small table of operations (struct
 * vigil_store_ops): SQLite today (store_sqlite.c, a file path), libpq
 * later (a postgresql:// URL) with the same logical schema.  Callers only
 * see struct vigil_store and the functions below.
 *
 * Grouping: an occurrence (one signal a rule raised for one event) joins
 * the newest signal with the same group key whose first_seen is at most
 * window before the occurrence; otherwise it opens a new signal with a
 * new UUIDv7 id.  The group's status does not matter: an archived signal
 * still takes occurrences within its window (and stays archived); after
 * the window a new, open signal starts.
 *
 * Every string handed in or out is text as the kernel gave it: possibly
 * hostile.  The backends bind it as a parameter, never into SQL text;
 * front ends escape it for the terminal.
 *
 * Threads: a struct vigil_store is used by one thread at a time.
 */
#ifndef VIGIL_STORE_H
#define VIGIL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* The schema version this build writes (PRAGMA user_version). */
#define VIGIL_STORE_SCHEMA_VERSION 1

/* A signal id: a UUIDv7 in its 36-character text form. */
#define VIGIL_STORE_ID_LEN 36

enum vigil_store_status {
	VIGIL_STORE_OPEN = 0,
	VIGIL_STORE_UNDER_REVIEW,
	VIGIL_STORE_ARCHIVED,
	VIGIL_STORE_STATUS__COUNT
};

enum vigil_store_reason {
	VIGIL_STORE_FALSE_POSITIVE = 0,
	VIGIL_STORE_TESTING_OR_MAINTENANCE,
	VIGIL_STORE_INVESTIGATED_CASE_OPENED,
	VIGIL_STORE_TRUE_POSITIVE_BENIGN,
	VIGIL_STORE_TRUE_POSITIVE_MALICIOUS,
	VIGIL_STORE_OTHER,
	VIGIL_STORE_REASON__COUNT
};

/* Names of statuses and archive reasons ("under_review"), NULL when out
 * of range; the reverse lookups return -1 for an unknown name. */
const char *vigil_store_status_name(int status);
int vigil_store_status_from_name(const char *name);
const char *vigil_store_reason_name(int reason);
int vigil_store_reason_from_name(const char *name);
/* "open, under_review, archived" and the reasons likewise, for errors. */
const char *vigil_store_status_list(void);
const char *vigil_store_reason_list(void);

/* open flags */
#define VIGIL_STORE_RDONLY 0x1u   /* readers: never create, never migrate */
#define VIGIL_STORE_EXISTING 0x2u /* writers that must not create one */

/*
 * One occurrence to record.  The strings are the caller's and need only
 * live for the call; tags is the tags joined as "\ttag1\ttag2\t" (so that
 * a filter finds "\ttag\t"), json the event and signal as one JSON object.
 */
struct vigil_store_occ {
	const char *group_key;
	const char *rule;
	const char *engine;
	const char *title;
	const char *remediation;
	const char *tags;
	const char *host;
	const char *container;
	const char *exe;
	const char *json;
	size_t json_len;
	int severity;   /* enum vigil_severity */
	int64_t time_ns;
	uint64_t event_id;
};

/* How occurrences group and how long signals stay. */
struct vigil_store_limits {
	int64_t window_ns;      /* grouping window, from first_seen */
	uint32_t max_samples;   /* full events kept per signal */
	uint32_t max_event_ids; /* event ids kept per signal */
	int64_t max_age_ns;     /* retention by age of last_seen; 0: none */
	int64_t max_size;       /* retention by bytes in use; 0: none */
};

/* A stored signal, as list and show see it.  Strings are valid for the
 * duration of the callback that receives it. */
struct vigil_store_row {
	const char *id;
	const char *rule;
	const char *engine;
	const char *title;
	const char *remediation;
	const char *tags; /* "\ttag1\ttag2\t" */
	const char *host;
	const char *container;
	const char *exe;
	const char *comment;
	const char *assignee;
	int severity;
	int status;         /* enum vigil_store_status */
	int archive_reason; /* enum vigil_store_reason, -1 none */
	int64_t first_seen;
	int64_t last_seen;
	int64_t updated;
	uint64_t count;
};

/* What list and export select.  NULL/negative/0 members do not filter. */
struct vigil_store_filter {
	int min_severity;  /* -1: any */
	int status;        /* -1: any */
	const char *rule;
	const char *tag;   /* one whole tag: "technique:T1059" */
	const char *host;
	const char *container;
	const char *assignee;
	const char *text;  /* substring of title, rule, exe or a sample */
	const char *id;    /* one signal */
	int64_t since_ns;  /* last_seen at or after */
	uint32_t limit;    /* 0: no limit */
};

/* One change to a signal's triage state. -1 / NULL: unchanged. */
struct vigil_store_triage {
	int status;
	int archive_reason;
	const char *comment;
	const char *assignee;
	const char *who;   /* the Unix user who asked */
	int64_t time_ns;
};

/* One line of a signal's triage history. */
struct vigil_store_change {
	int64_t time_ns;
	const char *who;
	const char *field; /* "status", "archive_reason", "comment", "assignee" */
	const char *from;
	const char *to;
};

/* A sample event of a signal. */
struct vigil_store_sample {
	uint64_t event_id;
	int64_t time_ns;
	const char *json;
	size_t json_len;
};

/* Size and counters, for status. */
struct vigil_store_info {
	int schema_version;
	uint64_t signals;
	uint64_t bytes_used;  /* pages in use times the page size */
	uint64_t bytes_free;  /* free pages (VACUUM returns them) */
	uint64_t retention_deleted; /* signals retention removed, ever */
};

typedef int (*vigil_store_row_fn)(void *arg, const struct vigil_store_row *r);
typedef int (*vigil_store_sample_fn)(void *arg,
				     const struct vigil_store_sample *s);
typedef int (*vigil_store_change_fn)(void *arg,
				     const struct vigil_store_change *c);

/*
 * A backend: what a database engine implements.  db is the backend's
 * own handle.  Every function returns 0 or a negative errno and, where
 * it takes err, appends a sentence for the user to it.  -EBUSY means
 * locked by another writer (retry later), -EBADMSG a database that is
 * not one or is corrupt, -EPROTO a schema newer than this build.
 */
struct vigil_store_ops {
	const char *name;
	int (*open)(const char *where, unsigned flags, void **db,
		    struct vigil_buf *err);
	void (*close)(void *db);
	int (*record)(void *db, const struct vigil_store_occ *occ, size_t n,
		      const struct vigil_store_limits *lim,
		      struct vigil_buf *err);
	int (*retain)(void *db, const struct vigil_store_limits *lim,
		      int64_t now_ns, uint64_t *deleted,
		      struct vigil_buf *err);
	int (*vacuum)(void *db, double min_free_ratio, bool *done,
		      struct vigil_buf *err);
	int (*list)(void *db, const struct vigil_store_filter *f,
		    vigil_store_row_fn fn, void *arg, struct vigil_buf *err);
	int (*samples)(void *db, const char *id, vigil_store_sample_fn fn,
		       void *arg, struct vigil_buf *err);
	int (*history)(void *db, const char *id, vigil_store_change_fn fn,
		       void *arg, struct vigil_buf *err);
	int (*triage)(void *db, const char *id,
		      const struct vigil_store_triage *t,
		      struct vigil_buf *err);
	int (*info)(void *db, struct vigil_store_info *out,
		    struct vigil_buf *err);
};

struct vigil_store {
	const struct vigil_store_ops *ops;
	void *db;
};

/* The SQLite backend (store_sqlite.c). */
extern const struct vigil_store_ops vigil_store_sqlite_ops;

/*
 * Opens the store at where: a file path (SQLite, created 0600 in WAL mode
 * and migrated to VIGIL_STORE_SCHEMA_VERSION unless flags has
 * VIGIL_STORE_RDONLY) or a postgresql:// URL (not built yet: -ENOTSUP).
 * On success *out is the caller's, to vigil_store_close().
 */
int vigil_store_open(const char *where, unsigned flags,
		     struct vigil_store **out, struct vigil_buf *err)
	__attribute__((warn_unused_result));
void vigil_store_close(struct vigil_store *s);

/* Records n occurrences in one transaction (all or none). */
int vigil_store_record(struct vigil_store *s,
		       const struct vigil_store_occ *occ, size_t n,
		       const struct vigil_store_limits *lim,
		       struct vigil_buf *err)
	__attribute__((warn_unused_result));

/*
 * Applies retention: signals whose last_seen is older than max_age go;
 * then, while the bytes in use pass max_size, the oldest archived
 * signals, then the oldest of any status.  Adds the number removed to
 * *deleted (and to the stored counter).
 */
int vigil_store_retain(struct vigil_store *s,
		       const struct vigil_store_limits *lim, int64_t now_ns,
		       uint64_t *deleted, struct vigil_buf *err);
/* VACUUM when at least min_free_ratio of the file is free pages. */
int vigil_store_vacuum(struct vigil_store *s, double min_free_ratio,
		       bool *done, struct vigil_buf *err);

/* Signals matching f, newest last_seen first, one callback each; a
 * callback's non-zero return stops the walk and is returned. */
int vigil_store_list(struct vigil_store *s, const struct vigil_store_filter *f,
		     vigil_store_row_fn fn, void *arg, struct vigil_buf *err);
/* One signal by id: -ENOENT (with a message) when there is none. */
int vigil_store_get(struct vigil_store *s, const char *id,
		    vigil_store_row_fn fn, void *arg, struct vigil_buf *err);
int vigil_store_samples(struct vigil_store *s, const char *id,
			vigil_store_sample_fn fn, void *arg,
			struct vigil_buf *err);
int vigil_store_history(struct vigil_store *s, const char *id,
			vigil_store_change_fn fn, void *arg,
			struct vigil_buf *err);

/*
 * Changes a signal's triage state and records each changed field in its
 * history.  Checks the change first: an unknown id is -ENOENT, archived
 * without a reason or a reason for another status -EINVAL, a change that
 * changes nothing -EALREADY; each with the sentence in err.  Leaving
 * archived clears the reason.
 */
int vigil_store_triage(struct vigil_store *s, const char *id,
		       const struct vigil_store_triage *t,
		       struct vigil_buf *err);
int vigil_store_info(struct vigil_store *s, struct vigil_store_info *out,
		     struct vigil_buf *err);

/*
 * Writes a new UUIDv7 for a signal first seen at time_ns into
 * out[VIGIL_STORE_ID_LEN + 1].  Returns 0 or -EIO when no randomness
 * could be read.
 */
int vigil_store_new_id(int64_t time_ns, char *out);
/* Does s look like a signal id (8-4-4-4-12 hex)? */
bool vigil_store_id_valid(const char *s);

#endif /* VIGIL_STORE_H */
