/*
 * test_store - the signal store (src/store/): occurrences group into one
 * signal per rule and entity within the window, triage moves between
 * the statuses with a history, retention removes by age and by size
 * (archived first), every earlier schema version migrates, and a
 * damaged, locked or newer database is refused with a clear reason.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/store.h"
#include "store/store_sqlite_int.h"

#define MIN_NS (60 * INT64_C(1000000000))
#define T0 (INT64_C(1700000000) * 1000000000)

struct fx {
	char dir[64];
	char path[128];
	struct vigil_store *st;
	struct vigil_store_limits lim;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct vigil_buf err = { 0 };

	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-test-store.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/signals.db", f->dir);
	f->lim.window_ns = 60 * MIN_NS;
	f->lim.max_samples = 10;
	f->lim.max_event_ids = 1000;
	if (vigil_store_open(f->path, 0, &f->st, &err)) {
		fprintf(stderr, "%s\n", vigil_buf_cstr(&err));
		return -1;
	}
	vigil_buf_free(&err);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[160];

	vigil_store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd))
		return -1;
	free(f);
	return 0;
}

static struct vigil_store_occ occ(const char *key, int64_t t, uint64_t id)
{
	struct vigil_store_occ o = {
		.group_key = key,
		.rule = "shell_in_container",
		.engine = "rules",
		.title = "A shell ran",
		.tags = "\ttechnique:T1059\tmonitor:process\t",
		.host = "web-01",
		.container = "",
		.exe = "/bin/sh",
		.json = "{\"process\":{\"argv\":[\"sh\",\"-c\",\"id\"]}}",
		.severity = 3,
		.time_ns = t,
		.event_id = id,
	};

	o.json_len = strlen(o.json);
	return o;
}

static void record(struct fx *f, const struct vigil_store_occ *o, size_t n)
{
	struct vigil_buf err = { 0 };
	int rc = vigil_store_record(f->st, o, n, &f->lim, &err);

	if (rc)
		fprintf(stderr, "record: %s\n", vigil_buf_cstr(&err));
	assert_int_equal(rc, 0);
	vigil_buf_free(&err);
}

/* What list returned: up to 16 rows, copied. */
struct rows {
	size_t n;
	char id[16][VIGIL_STORE_ID_LEN + 1];
	uint64_t count[16];
	int status[16];
	int reason[16];
	int64_t first[16], last[16];
	char rule[16][64];
};

static int keep_row(void *arg, const struct vigil_store_row *r)
{
	struct rows *rs = arg;

	if (rs->n == 16)
		return 0;
	snprintf(rs->id[rs->n], sizeof(rs->id[0]), "%s", r->id);
	snprintf(rs->rule[rs->n], sizeof(rs->rule[0]), "%s", r->rule);
	rs->count[rs->n] = r->count;
	rs->status[rs->n] = r->status;
	rs->reason[rs->n] = r->archive_reason;
	rs->first[rs->n] = r->first_seen;
	rs->last[rs->n] = r->last_seen;
	rs->n++;
	return 0;
}

static struct vigil_store_filter no_filter(void)
{
	struct vigil_store_filter flt = { .min_severity = -1, .status = -1 };

	return flt;
}

static void list(struct fx *f, const struct vigil_store_filter *flt,
		 struct rows *rs)
{
	struct vigil_buf err = { 0 };

	memset(rs, 0, sizeof(*rs));
	assert_int_equal(vigil_store_list(f->st, flt, keep_row, rs, &err), 0);
	vigil_buf_free(&err);
}

static int count_sample(void *arg, const struct vigil_store_sample *s)
{
	(*(size_t *)arg)++;
	return 0;
}

static size_t n_samples(struct fx *f, const char *id)
{
	struct vigil_buf err = { 0 };
	size_t n = 0;

	assert_int_equal(vigil_store_samples(f->st, id, count_sample, &n, &err),
			 0);
	vigil_buf_free(&err);
	return n;
}

/* Records one occurrence (key k1 at T0) and copies its signal's id. */
static void first_signal(struct fx *f, char *id)
{
	struct vigil_store_occ o = occ("k1", T0, 1);
	struct vigil_store_filter flt = no_filter();
	struct rows rs;

	record(f, &o, 1);
	list(f, &flt, &rs);
	assert_int_equal(rs.n, 1);
	strcpy(id, rs.id[0]);
}

static int triage(struct fx *f, const char *id, int status, int reason,
		  const char *comment, const char *assignee,
		  struct vigil_buf *err)
{
	struct vigil_store_triage t = {
		.status = status,
		.archive_reason = reason,
		.comment = comment,
		.assignee = assignee,
		.who = "alice",
		.time_ns = T0,
	};

	vigil_buf_reset(err);
	return vigil_store_triage(f->st, id, &t, err);
}

static void test_store_groups_one_rule_and_entity_into_one_signal(void **state)
{
	struct fx *f = *state;
	struct vigil_store_occ o[3] = {
		occ("k1", T0, 1),
		occ("k1", T0 + 5 * MIN_NS, 2),
		occ("k1", T0 + 10 * MIN_NS, 3),
	};
	struct vigil_store_filter flt = no_filter();
	struct rows rs;

	record(f, o, 3);
	list(f, &flt, &rs);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.count[0], 3);
	assert_int_equal(rs.first[0], T0);
	assert_int_equal(rs.last[0], T0 + 10 * MIN_NS);
	assert_int_equal(rs.status[0], VIGIL_STORE_OPEN);
	assert_int_equal(n_samples(f, rs.id[0]), 3);
	assert_true(vigil_store_id_valid(rs.id[0]));
}

static void test_store_other_entity_opens_its_own_signal(void **state)
{
	struct fx *f = *state;
	struct vigil_store_occ o[2] = { occ("k1", T0, 1), occ("k2", T0, 2) };
	struct vigil_store_filter flt = no_filter();
	struct rows rs;

	record(f, o, 2);
	list(f, &flt, &rs);
	assert_int_equal(rs.n, 2);
	assert_string_not_equal(rs.id[0], rs.id[1]);
}

static void test_store_window_ends_the_group(void **state)
{
	struct fx *f = *state;
	struct vigil_store_occ o[3] = {
		occ("k1", T0, 1),
		occ("k1", T0 + 59 * MIN_NS, 2), /* within 1h of the first */
		occ("k1", T0 + 61 * MIN_NS, 3), /* past it: a new signal */
	};
	struct vigil_store_filter flt = no_filter();
	struct rows rs;

	record(f, o, 3);
	list(f, &flt, &rs);
	assert_int_equal(rs.n, 2);
	/* newest last_seen first */
	assert_int_equal(rs.count[0], 1);
	assert_int_equal(rs.first[0], T0 + 61 * MIN_NS);
	assert_int_equal(rs.count[1], 2);
}

static void test_store_keeps_at_most_max_samples(void **state)
{
	struct fx *f = *state;
	struct vigil_store_occ o[15];
	struct vigil_store_filter flt = no_filter();
	struct rows rs;

	for (int i = 0; i < 15; i++)
		o[i] = occ("k1", T0 + i, (uint64_t)i);
	record(f, o, 15);
	list(f, &flt, &rs);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.count[0], 15);
	assert_int_equal(n_samples(f, rs.id[0]), 10);
}

static void test_store_archived_signal_takes_occurrences_in_its_window(
	void **state)
{
	struct fx *f = *state;
	struct vigil_store_occ o = occ("k1", T0, 1);
	struct vigil_store_filter flt = no_filter();
	struct vigil_buf err = { 0 };
	struct rows rs;
	char id[VIGIL_STORE_ID_LEN + 1];

	first_signal(f, id);
	assert_int_equal(triage(f, id, VIGIL_STORE_ARCHIVED,
				VIGIL_STORE_FALSE_POSITIVE, NULL, NULL, &err),
			 0);
	/* within the window: the archived signal counts it, stays archived */
	o = occ("k1", T0 + 30 * MIN_NS, 2);
	record(f, &o, 1);
	list(f, &flt, &rs);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.id[0], id);
	assert_int_equal(rs.count[0], 2);
	assert_int_equal(rs.status[0], VIGIL_STORE_ARCHIVED);
	/* after it: a new, open signal */
	o = occ("k1", T0 + 90 * MIN_NS, 3);
	record(f, &o, 1);
	list(f, &flt, &rs);
	assert_int_equal(rs.n, 2);
	assert_string_not_equal(rs.id[0], id);
	assert_int_equal(rs.status[0], VIGIL_STORE_OPEN);
	vigil_buf_free(&err);
}

struct hist {
	size_t n;
	char line[8][160];
};

static int keep_change(void *arg, const struct vigil_store_change *c)
{
	struct hist *h = arg;

	if (h->n < 8)
		snprintf(h->line[h->n++], sizeof(h->line[0]), "%s %s %s->%s",
			 c->who, c->field, c->from, c->to);
	return 0;
}

static void test_store_triage_moves_through_statuses_with_history(
	void **state)
{
	struct fx *f = *state;
	struct vigil_store_filter flt = no_filter();
	struct vigil_buf err = { 0 };
	struct hist h = { 0 };
	struct rows rs;
	char id[VIGIL_STORE_ID_LEN + 1];

	first_signal(f, id);
	assert_int_equal(triage(f, id, VIGIL_STORE_UNDER_REVIEW, -1,
				"looking", "bob", &err),
			 0);
	assert_int_equal(triage(f, id, VIGIL_STORE_ARCHIVED,
				VIGIL_STORE_TRUE_POSITIVE_BENIGN, NULL, NULL,
				&err),
			 0);
	list(f, &flt, &rs);
	assert_int_equal(rs.status[0], VIGIL_STORE_ARCHIVED);
	assert_int_equal(rs.reason[0], VIGIL_STORE_TRUE_POSITIVE_BENIGN);
	/* reopening clears the reason */
	assert_int_equal(triage(f, id, VIGIL_STORE_OPEN, -1, NULL, NULL, &err),
			 0);
	list(f, &flt, &rs);
	assert_int_equal(rs.status[0], VIGIL_STORE_OPEN);
	assert_int_equal(rs.reason[0], -1);
	assert_int_equal(vigil_store_history(f->st, id, keep_change, &h, &err),
			 0);
	assert_int_equal(h.n, 7);
	assert_string_equal(h.line[0], "alice status open->under_review");
	assert_string_equal(h.line[1], "alice comment ->looking");
	assert_string_equal(h.line[2], "alice assignee ->bob");
	assert_string_equal(h.line[3], "alice status under_review->archived");
	assert_string_equal(h.line[4],
			    "alice archive_reason ->true_positive_benign");
	assert_string_equal(h.line[5], "alice status archived->open");
	assert_string_equal(h.line[6],
			    "alice archive_reason true_positive_benign->");
	vigil_buf_free(&err);
}

static void test_store_triage_refuses_bad_changes(void **state)
{
	struct fx *f = *state;
	struct vigil_buf err = { 0 };
	struct hist h = { 0 };
	char id[VIGIL_STORE_ID_LEN + 1];

	first_signal(f, id);
	assert_int_equal(triage(f, id, VIGIL_STORE_ARCHIVED, -1, NULL, NULL,
				&err),
			 -EINVAL);
	assert_non_null(strstr(vigil_buf_cstr(&err),
			       "archiving needs a reason: one of false_positive"));
	assert_int_equal(triage(f, id, VIGIL_STORE_UNDER_REVIEW,
				VIGIL_STORE_OTHER, NULL, NULL, &err),
			 -EINVAL);
	assert_non_null(strstr(vigil_buf_cstr(&err), "with --status archived"));
	assert_int_equal(triage(f, id, VIGIL_STORE_OPEN, -1, NULL, NULL, &err),
			 -EALREADY);
	assert_int_equal(triage(f, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
				VIGIL_STORE_UNDER_REVIEW, -1, NULL, NULL, &err),
			 -ENOENT);
	assert_non_null(strstr(vigil_buf_cstr(&err), "no signal with id"));
	/* nothing refused reached the history */
	assert_int_equal(vigil_store_history(f->st, id, keep_change, &h, &err),
			 0);
	assert_int_equal(h.n, 0);
	vigil_buf_free(&err);
}

static void test_store_list_filters_and_binds_hostile_text(void **state)
{
	struct fx *f = *state;
	struct vigil_store_occ o[3] = {
		occ("k1", T0, 1), occ("k2", T0 + 1, 2), occ("k3", T0 + 2, 3),
	};
	struct vigil_store_filter flt = no_filter();
	struct rows rs;

	o[1].rule = "x'; DROP TABLE signals; --";
	o[1].severity = 1;
	o[1].host = "db-01";
	o[2].json = "{\"process\":{\"argv\":[\"curl\",\"evil.example\"]}}";
	o[2].json_len = strlen(o[2].json);
	o[2].tags = "\ttechnique:T1105\t";
	record(f, o, 3);
	flt.rule = "x'; DROP TABLE signals; --";
	list(f, &flt, &rs);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.rule[0], "x'; DROP TABLE signals; --");
	flt = no_filter();
	flt.min_severity = 3;
	list(f, &flt, &rs);
	assert_int_equal(rs.n, 2);
	flt = no_filter();
	flt.host = "db-01";
	list(f, &flt, &rs);
	assert_int_equal(rs.n, 1);
	flt = no_filter();
	flt.tag = "technique:T1059";
	list(f, &flt, &rs);
	assert_int_equal(rs.n, 2);
	flt.tag = "technique:T105"; /* a whole tag, not a prefix */
	list(f, &flt, &rs);
	assert_int_equal(rs.n, 0);
	flt = no_filter();
	flt.text = "evil.example"; /* in a sample's argv */
	list(f, &flt, &rs);
	assert_int_equal(rs.n, 1);
	flt.text = "%"; /* no LIKE wildcards */
	list(f, &flt, &rs);
	assert_int_equal(rs.n, 0);
	flt = no_filter();
	flt.since_ns = T0 + 1;
	list(f, &flt, &rs);
	assert_int_equal(rs.n, 2);
	flt = no_filter();
	flt.status = VIGIL_STORE_ARCHIVED;
	list(f, &flt, &rs);
	assert_int_equal(rs.n, 0);
	flt = no_filter();
	flt.limit = 1;
	list(f, &flt, &rs);
	assert_int_equal(rs.n, 1);
}

static void test_store_retention_removes_by_age(void **state)
{
	struct fx *f = *state;
	struct vigil_store_occ o[2] = {
		occ("old", T0 - 500 * 1440 * MIN_NS, 1), occ("new", T0, 2),
	};
	struct vigil_store_filter flt = no_filter();
	struct vigil_store_info info;
	struct vigil_buf err = { 0 };
	struct rows rs;
	uint64_t deleted = 0;

	record(f, o, 2);
	f->lim.max_age_ns = 400 * 1440 * MIN_NS;
	assert_int_equal(vigil_store_retain(f->st, &f->lim, T0, &deleted, &err),
			 0);
	assert_int_equal(deleted, 1);
	list(f, &flt, &rs);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.first[0], T0);
	assert_int_equal(vigil_store_info(f->st, &info, &err), 0);
	assert_int_equal(info.signals, 1);
	assert_int_equal(info.retention_deleted, 1);
	vigil_buf_free(&err);
}

/* Every id list returns, copied. */
struct ids {
	size_t n;
	char id[256][VIGIL_STORE_ID_LEN + 1];
};

static int keep_id(void *arg, const struct vigil_store_row *r)
{
	struct ids *l = arg;

	if (l->n < 256)
		snprintf(l->id[l->n++], sizeof(l->id[0]), "%s", r->id);
	return 0;
}

static size_t list_ids(struct fx *f, const struct vigil_store_filter *flt,
		       struct ids *l)
{
	struct vigil_buf err = { 0 };

	l->n = 0;
	assert_int_equal(vigil_store_list(f->st, flt, keep_id, l, &err), 0);
	vigil_buf_free(&err);
	return l->n;
}

static void test_store_retention_by_size_takes_archived_first(void **state)
{
	struct fx *f = *state;
	static char big[8192];
	struct vigil_store_triage t = {
		.status = VIGIL_STORE_ARCHIVED,
		.archive_reason = VIGIL_STORE_OTHER,
		.who = "t",
		.time_ns = T0,
	};
	struct vigil_store_filter flt = no_filter();
	struct vigil_store_info info;
	struct vigil_buf err = { 0 };
	struct ids *l = calloc(1, sizeof(*l));
	uint64_t deleted = 0;
	bool done = false;
	int64_t full;

	assert_non_null(l);
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '"';
	big[sizeof(big) - 2] = '"';
	for (int i = 0; i < 200; i++) {
		struct vigil_store_occ o;
		char key[16];

		snprintf(key, sizeof(key), "k%d", i);
		o = occ(key, T0 + i * MIN_NS, (uint64_t)i);
		o.json = big;
		o.json_len = sizeof(big) - 1;
		record(f, &o, 1);
	}
	/* archive the 100 newest: size retention must take them although
	 * the 100 open ones are older */
	flt.since_ns = T0 + 100 * MIN_NS;
	flt.limit = 0;
	assert_int_equal(list_ids(f, &flt, l), 100);
	for (size_t i = 0; i < l->n; i++)
		assert_int_equal(vigil_store_triage(f->st, l->id[i], &t, &err),
				 0);
	assert_int_equal(vigil_store_info(f->st, &info, &err), 0);
	full = (int64_t)info.bytes_used;
	/* 60%: the archived half is enough to get under it */
	f->lim.max_size = full * 6 / 10;
	assert_int_equal(vigil_store_retain(f->st, &f->lim, T0, &deleted, &err),
			 0);
	if (deleted < 30 || deleted > 100)
		fail_msg("size retention removed %llu signals, want 30..100",
			 (unsigned long long)deleted);
	assert_int_equal(vigil_store_info(f->st, &info, &err), 0);
	assert_true((int64_t)info.bytes_used <= full * 6 / 10);
	assert_int_equal(info.retention_deleted, deleted);
	/* every open signal (the 100 oldest) is still there */
	flt = no_filter();
	flt.status = VIGIL_STORE_OPEN;
	flt.limit = 0;
	assert_int_equal(list_ids(f, &flt, l), 100);
	/* VACUUM gives the freed pages back */
	assert_true(info.bytes_free > 0);
	assert_int_equal(vigil_store_vacuum(f->st, 0.25, &done, &err), 0);
	assert_true(done);
	assert_int_equal(vigil_store_info(f->st, &info, &err), 0);
	assert_int_equal(info.bytes_free, 0);
	free(l);
	vigil_buf_free(&err);
}

static void test_store_file_is_private_and_in_wal_mode(void **state)
{
	struct fx *f = *state;
	struct stat sb;
	sqlite3 *db;
	sqlite3_stmt *st;

	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY,
					 NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st,
					    NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void test_store_ids_are_uuidv7_in_time_order(void **state)
{
	char a[VIGIL_STORE_ID_LEN + 1], b[VIGIL_STORE_ID_LEN + 1];

	(void)state;
	assert_int_equal(vigil_store_new_id(T0, a), 0);
	assert_int_equal(vigil_store_new_id(T0 + 1000000, b), 0);
	assert_true(vigil_store_id_valid(a));
	assert_int_equal(a[14], '7');             /* version */
	assert_true(strchr("89ab", a[19]) != NULL); /* variant 10 */
	assert_true(strcmp(a, b) < 0);
	/* 1700000000000 ms = 0x18bcfe56800 */
	assert_memory_equal(a, "018bcfe5-6800", 13);
	assert_false(vigil_store_id_valid("018bcfe5-6800-7"));
	assert_false(vigil_store_id_valid("'; DROP TABLE signals; --------------"));
}

/* Fills a database of version v with what that version holds. */
static void fill_version(sqlite3 *db, int v)
{
	switch (v) {
	case 0:
		/* v0: an empty file, or one some tool made */
		break;
	default:
		fail_msg("no fixture for schema version %d", v);
	}
	(void)db;
}

static void test_store_migrates_from_every_earlier_version(void **state)
{
	struct fx *f = *state;

	for (int v = 0; v < VIGIL_STORE_SCHEMA_VERSION; v++) {
		char path[160];
		struct vigil_buf err = { 0 };
		struct vigil_store *st;
		struct vigil_store_info info;
		struct vigil_store_occ o = occ("m", T0, 1);
		sqlite3 *db;

		snprintf(path, sizeof(path), "%s/v%d.db", f->dir, v);
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(vigil__store_sqlite_migrate(db, v, &err), 0);
		fill_version(db, v);
		sqlite3_close(db);
		assert_int_equal(vigil_store_open(path, 0, &st, &err), 0);
		assert_int_equal(vigil_store_info(st, &info, &err), 0);
		assert_int_equal(info.schema_version,
				 VIGIL_STORE_SCHEMA_VERSION);
		assert_int_equal(vigil_store_record(st, &o, 1, &f->lim, &err),
				 0);
		vigil_store_close(st);
		/* and a reader opens it */
		assert_int_equal(vigil_store_open(path, VIGIL_STORE_RDONLY, &st,
						  &err),
				 0);
		vigil_store_close(st);
		vigil_buf_free(&err);
	}
}

static void test_store_refuses_a_newer_schema(void **state)
{
	struct fx *f = *state;
	struct vigil_buf err = { 0 };
	struct vigil_store *st;
	char path[160];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/new.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
				      NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(vigil_store_open(path, 0, &st, &err), -EPROTO);
	assert_non_null(strstr(vigil_buf_cstr(&err),
			       "schema version 99 is newer than this vigil's"));
	vigil_buf_free(&err);
}

static void test_store_refuses_a_damaged_file(void **state)
{
	struct fx *f = *state;
	struct vigil_buf err = { 0 };
	struct vigil_store *st;
	char path[160], junk[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/junk.db", f->dir);
	memset(junk, 'x', sizeof(junk));
	fp = fopen(path, "w");
	assert_non_null(fp);
	fwrite(junk, 1, sizeof(junk), fp);
	fclose(fp);
	assert_int_equal(vigil_store_open(path, 0, &st, &err), -EBADMSG);
	assert_non_null(strstr(vigil_buf_cstr(&err), "move it aside"));
	vigil_buf_free(&err);
}

static void test_store_locked_database_is_busy_not_lost(void **state)
{
	struct fx *f = *state;
	struct vigil_store_occ o = occ("k1", T0, 1);
	struct vigil_store_filter flt = no_filter();
	struct vigil_buf err = { 0 };
	struct rows rs;
	sqlite3 *db;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(vigil_store_record(f->st, &o, 1, &f->lim, &err),
			 -EBUSY);
	assert_non_null(strstr(vigil_buf_cstr(&err), "write lock"));
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	/* the store works again once the lock is gone */
	record(f, &o, 1);
	list(f, &flt, &rs);
	assert_int_equal(rs.n, 1);
	vigil_buf_free(&err);
}

static void test_store_postgresql_is_not_built_yet(void **state)
{
	struct vigil_buf err = { 0 };
	struct vigil_store *st;

	(void)state;
	assert_int_equal(vigil_store_open("postgresql://db/vigil", 0, &st,
					  &err),
			 -ENOTSUP);
	vigil_buf_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
		T(test_store_groups_one_rule_and_entity_into_one_signal),
		T(test_store_other_entity_opens_its_own_signal),
		T(test_store_window_ends_the_group),
		T(test_store_keeps_at_most_max_samples),
		T(test_store_archived_signal_takes_occurrences_in_its_window),
		T(test_store_triage_moves_through_statuses_with_history),
		T(test_store_triage_refuses_bad_changes),
		T(test_store_list_filters_and_binds_hostile_text),
		T(test_store_retention_removes_by_age),
		T(test_store_retention_by_size_takes_archived_first),
		T(test_store_file_is_private_and_in_wal_mode),
		T(test_store_ids_are_uuidv7_in_time_order),
		T(test_store_migrates_from_every_earlier_version),
		T(test_store_refuses_a_newer_schema),
		T(test_store_refuses_a_damaged_file),
		T(test_store_locked_database_is_busy_not_lost),
		T(test_store_postgresql_is_not_built_yet),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
