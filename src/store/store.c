/*
 * store.c - the signal store's front: picks the backend for a location,
 * names statuses and archive reasons, makes signal ids (UUIDv7), and
 * forwards every call to the backend's table of operations.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

static const char *const status_names[VIGIL_STORE_STATUS__COUNT] = {
	"open", "under_review", "archived",
};

static const char *const reason_names[VIGIL_STORE_REASON__COUNT] = {
	"false_positive",	    "testing_or_maintenance",
	"investigated_case_opened", "true_positive_benign",
	"true_positive_malicious",  "other",
};

/* names[i] for 0 <= i < n, else NULL. */
static const char *name_at(const char *const *names, int n, int i)
{
	return i >= 0 && i < n ? names[i] : NULL;
}

/* The index of name in names[0..n), or -1 (also for a NULL name). */
static int name_index(const char *const *names, int n, const char *name)
{
	for (int i = 0; name && i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

const char *vigil_store_status_name(int status)
{
	return name_at(status_names, VIGIL_STORE_STATUS__COUNT, status);
}

int vigil_store_status_from_name(const char *name)
{
	return name_index(status_names, VIGIL_STORE_STATUS__COUNT, name);
}

const char *vigil_store_reason_name(int reason)
{
	return name_at(reason_names, VIGIL_STORE_REASON__COUNT, reason);
}

int vigil_store_reason_from_name(const char *name)
{
	return name_index(reason_names, VIGIL_STORE_REASON__COUNT, name);
}

const char *vigil_store_status_list(void)
{
	return "open, under_review, archived";
}

const char *vigil_store_reason_list(void)
{
	return "false_positive, testing_or_maintenance, "
	       "investigated_case_opened, true_positive_benign, "
	       "true_positive_malicious, other";
}

/* Fills p with n random bytes from the kernel.  0 or -EIO. */
static int random_bytes(unsigned char *p, size_t n)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return -EIO;
	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	return got == n ? 0 : -EIO;
}

/*
 * RFC 9562 UUIDv7: 48 bits of Unix milliseconds, version 7, 74 random
 * bits with the variant 10.  Sorting ids sorts signals by first_seen.
 */
int vigil_store_new_id(int64_t time_ns, char *out)
{
	unsigned char b[16];
	uint64_t ms = time_ns > 0 ? (uint64_t)time_ns / 1000000 : 0;
	int rc = random_bytes(b + 6, 10);

	if (rc)
		return rc;
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	b[6] = (unsigned char)(0x70 | (b[6] & 0x0f));
	b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));
	snprintf(out, VIGIL_STORE_ID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

bool vigil_store_id_valid(const char *s)
{
	if (!s || strlen(s) != VIGIL_STORE_ID_LEN)
		return false;
	for (int i = 0; i < VIGIL_STORE_ID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' :
			   !((s[i] >= '0' && s[i] <= '9') ||
			     (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

int vigil_store_open(const char *where, unsigned flags,
		     struct vigil_store **out, struct vigil_buf *err)
{
	const struct vigil_store_ops *ops = &vigil_store_sqlite_ops;
	struct vigil_store *s;
	int rc;

	if (strncmp(where, "postgresql://", 13) == 0 ||
	    strncmp(where, "postgres://", 11) == 0) {
		(void)vigil_buf_printf(err, "PostgreSQL stores are not built yet; use a local SQLite file");
		return -ENOTSUP;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ops = ops;
	rc = ops->open(where, flags, &s->db, err);
	if (rc) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void vigil_store_close(struct vigil_store *s)
{
	if (!s)
		return;
	s->ops->close(s->db);
	free(s);
}

int vigil_store_record(struct vigil_store *s,
		       const struct vigil_store_occ *occ, size_t n,
		       const struct vigil_store_limits *lim,
		       struct vigil_buf *err)
{
	return n ? s->ops->record(s->db, occ, n, lim, err) : 0;
}

int vigil_store_retain(struct vigil_store *s,
		       const struct vigil_store_limits *lim, int64_t now_ns,
		       uint64_t *deleted, struct vigil_buf *err)
{
	return s->ops->retain(s->db, lim, now_ns, deleted, err);
}

int vigil_store_vacuum(struct vigil_store *s, double min_free_ratio,
		       bool *done, struct vigil_buf *err)
{
	return s->ops->vacuum(s->db, min_free_ratio, done, err);
}

int vigil_store_list(struct vigil_store *s, const struct vigil_store_filter *f,
		     vigil_store_row_fn fn, void *arg, struct vigil_buf *err)
{
	return s->ops->list(s->db, f, fn, arg, err);
}

struct get_one {
	vigil_store_row_fn fn;
	void *arg;
	bool found;
};

static int get_one_row(void *arg, const struct vigil_store_row *r)
{
	struct get_one *g = arg;

	g->found = true;
	return g->fn(g->arg, r);
}

int vigil_store_get(struct vigil_store *s, const char *id,
		    vigil_store_row_fn fn, void *arg, struct vigil_buf *err)
{
	struct vigil_store_filter f = { .min_severity = -1, .status = -1 };
	struct get_one g = { fn, arg, false };
	int rc;

	f.id = id;
	f.limit = 1;
	rc = s->ops->list(s->db, &f, get_one_row, &g, err);
	if (!rc && !g.found) {
		(void)vigil_buf_printf(err, "no signal with id %s", id);
		rc = -ENOENT;
	}
	return rc;
}

int vigil_store_samples(struct vigil_store *s, const char *id,
			vigil_store_sample_fn fn, void *arg,
			struct vigil_buf *err)
{
	return s->ops->samples(s->db, id, fn, arg, err);
}

int vigil_store_history(struct vigil_store *s, const char *id,
			vigil_store_change_fn fn, void *arg,
			struct vigil_buf *err)
{
	return s->ops->history(s->db, id, fn, arg, err);
}

int vigil_store_triage(struct vigil_store *s, const char *id,
		       const struct vigil_store_triage *t,
		       struct vigil_buf *err)
{
	return s->ops->triage(s->db, id, t, err);
}

int vigil_store_info(struct vigil_store *s, struct vigil_store_info *out,
		     struct vigil_buf *err)
{
	memset(out, 0, sizeof(*out));
	return s->ops->info(s->db, out, err);
}
