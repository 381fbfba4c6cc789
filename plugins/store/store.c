/*
 * store - the signal store sink: every signal into SQLite
 * (<state_dir>/signals.db), grouped by rule and entity within a window,
 * for `vigilctl signals` and the explorer (src/store/ does the database).
 *
 * The loop thread only copies: on_signal() encodes the event and signal
 * to JSON, works out the group key and puts one record on a bounded
 * queue (full: the record is dropped and counted, and the host raises
 * output_dropped).  A writer thread of the plugin's own takes the queue
 * in batches, one transaction each, and between batches applies retention
 * and, after a quiet spell, VACUUM.  The loop never waits on SQLite.
 *
 * A database that cannot be opened or written (corrupt, locked past the
 * busy timeout, disk full, a newer schema) degrades the plugin: the
 * batches are dropped and counted, the status says why, one
 * agent_store_degraded signal is raised (to the other sinks: the
 * forwarders carry it), the writer retries the database every
 * REOPEN_INTERVAL_S, and vigild keeps running.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <vigil/plugin.h>

#include "buf.h"
#include "store/store.h"

#define MAX_GROUP_FIELDS 8
#define MAX_GROUP_RULES 64
#define REOPEN_INTERVAL_S 30
/* VACUUM once a quarter of the file is free pages */
#define VACUUM_FREE_RATIO 0.25

struct store_settings {
	char path[PATH_MAX];
	int64_t window_s;
	int64_t samples;
	int64_t event_ids;
	int64_t max_age_s;
	int64_t max_size;
	int64_t queue;
	int64_t batch;
	int64_t flush_ms;
	int64_t retention_interval_s;
	int64_t vacuum_idle_s;
	const char *group_by[MAX_GROUP_FIELDS];
	size_t n_group_by;
	const char *group_by_rule[MAX_GROUP_RULES];
	size_t n_group_by_rule;
};

#define S struct store_settings
static const struct vigil_config_entry store_table[] = {
	{ VIGIL_CFG_PATHBUF("path", S, path, NULL,
			    "the SQLite file (default: <agent.state_dir>/signals.db)") },
	{ VIGIL_CFG_DURATION_S("window", S, window_s, 3600, 1,
			       366 * 86400,
			       "occurrences of one group within it update one signal") },
	{ VIGIL_CFG_INT("samples", S, samples, 10, 0, 1000,
			"full events kept per signal") },
	{ VIGIL_CFG_INT("event_ids", S, event_ids, 1000, 0, 1000000,
			"event ids kept per signal") },
	{ VIGIL_CFG_DURATION_S("retention.max_age", S, max_age_s,
			       400 * 86400, 0, INT64_MAX / 1000000000,
			       "signals last seen longer ago go; 0 keeps them") },
	{ VIGIL_CFG_SIZE("retention.max_size", S, max_size, (int64_t)2 << 30,
			 0, INT64_MAX,
			 "beyond it the oldest archived signals go first; 0: no limit") },
	{ VIGIL_CFG_DURATION_S("retention.interval", S, retention_interval_s,
			       600, 1, 86400, "how often retention runs") },
	{ VIGIL_CFG_DURATION_S("vacuum_idle", S, vacuum_idle_s, 300, 1,
			       86400 * 7,
			       "VACUUM after this long without a signal") },
	{ VIGIL_CFG_INT("queue", S, queue, 10000, 16, 10000000,
			"signals waiting for the writer; beyond it they are dropped and counted") },
	{ VIGIL_CFG_INT("batch", S, batch, 500, 1, 100000,
			"signals per transaction at most") },
	{ VIGIL_CFG_DURATION_MS("flush_interval", S, flush_ms, 1000, 10,
				60000, "the writer's longest wait") },
	{ VIGIL_CFG_STRLIST("group_by", S, group_by, n_group_by,
			    "fields that, with the rule, make a group") },
	{ VIGIL_CFG_STRLIST("group_by_rule", S, group_by_rule,
			    n_group_by_rule,
			    "per rule: 'RULE_ID: field, field'") },
};
#undef S

static const char *const default_group_by[] = {
	"event.host", "container.id", "process.file.path",
};

/* One group-by list: for a rule (rule NULL: the default). */
struct group_spec {
	char *rule;
	const struct vigil_field *fields[MAX_GROUP_FIELDS];
	size_t n;
};

/* A record on the queue: the occurrence and the strings it points to. */
struct qrec {
	struct qrec *next;
	struct vigil_store_occ occ;
	char data[];
};

enum store_state { ST_STARTING, ST_OK, ST_DEGRADED };

struct store {
	const struct vigil_host_api *api;
	void *host;
	struct store_settings set;
	char path[PATH_MAX];
	struct vigil_store_limits lim;
	struct group_spec specs[MAX_GROUP_RULES + 1];
	size_t n_specs;
	struct vigil_buf json; /* loop thread: the record being encoded */
	struct vigil_buf key;

	pthread_t thread;
	bool thread_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* under mu */
	struct qrec *head, **tail;
	size_t queued;
	bool stop, wake;
	struct vigil_plugin_stats st;
	enum store_state state;
	char reason[512];
	uint64_t state_seq;      /* bumped by each change of state */
	struct vigil_store_info info;
	uint64_t retention_deleted; /* by this run */
	uint64_t vacuums;

	/* loop thread */
	uint64_t state_seq_seen;
	enum store_state state_seen;
};

static void settings_limits(const struct store_settings *set,
			    struct vigil_store_limits *lim)
{
	lim->window_ns = set->window_s * 1000000000;
	lim->max_samples = (uint32_t)set->samples;
	lim->max_event_ids = (uint32_t)set->event_ids;
	lim->max_age_ns = set->max_age_s > INT64_MAX / 1000000000 ?
				  INT64_MAX :
				  set->max_age_s * 1000000000;
	lim->max_size = set->max_size;
}

static const struct vigil_field *find_field(const struct vigil_field_table *ft,
					    const char *name, size_t len)
{
	for (size_t i = 0; i < ft->count; i++)
		if (strlen(ft->fields[i].name) == len &&
		    memcmp(ft->fields[i].name, name, len) == 0)
			return &ft->fields[i];
	return NULL;
}

/* Parses "a, b, c" into spec's fields; logs and returns -EINVAL on an
 * unknown or list field. */
static int spec_fields(struct store *s, struct group_spec *spec,
		       const char *list, const char *what)
{
	const struct vigil_field_table *ft = s->api->fields(s->host);
	const char *p = list;

	while (*p) {
		const struct vigil_field *f;
		size_t len;

		p += strspn(p, " ,");
		len = strcspn(p, " ,");
		if (!len)
			break;
		f = find_field(ft, p, len);
		if (!f || (f->flags & (VIGIL_FIELD_LIST | VIGIL_FIELD_ITER))) {
			s->api->log(s->host, VIGIL_LOG_ERR,
				    "config: %s: '%.*s' is %s (vigilctl rules fields lists them)",
				    what, (int)len, p,
				    f ? "a list field, which cannot group" :
					"not a field");
			return -EINVAL;
		}
		if (spec->n == MAX_GROUP_FIELDS) {
			s->api->log(s->host, VIGIL_LOG_ERR,
				    "config: %s: at most %d fields",
				    what, MAX_GROUP_FIELDS);
			return -EINVAL;
		}
		spec->fields[spec->n++] = f;
		p += len;
	}
	return 0;
}

static void specs_free(struct store *s)
{
	for (size_t i = 0; i < s->n_specs; i++)
		free(s->specs[i].rule);
	memset(s->specs, 0, sizeof(s->specs));
	s->n_specs = 0;
}

/* specs[0] is the default; then one per group_by_rule entry. */
static int specs_build(struct store *s)
{
	int rc = 0;

	s->n_specs = 1;
	if (!s->set.n_group_by) {
		for (size_t i = 0; !rc && i < 3; i++)
			rc = spec_fields(s, &s->specs[0], default_group_by[i],
					 "group_by");
	}
	for (size_t i = 0; !rc && i < s->set.n_group_by; i++)
		rc = spec_fields(s, &s->specs[0], s->set.group_by[i],
				 "group_by");
	for (size_t i = 0; !rc && i < s->set.n_group_by_rule; i++) {
		const char *e = s->set.group_by_rule[i];
		const char *colon = strchr(e, ':');
		struct group_spec *sp = &s->specs[s->n_specs];

		if (!colon || colon == e) {
			s->api->log(s->host, VIGIL_LOG_ERR,
				    "config: group_by_rule: '%s' is not 'RULE_ID: field, field'",
				    e);
			rc = -EINVAL;
			break;
		}
		sp->rule = strndup(e, (size_t)(colon - e));
		if (!sp->rule) {
			rc = -ENOMEM;
			break;
		}
		s->n_specs++;
		rc = spec_fields(s, sp, colon + 1, "group_by_rule");
	}
	if (rc)
		specs_free(s);
	return rc;
}

/* Appends value idx 0 of f in ev to b as text. */
static int key_value(struct vigil_buf *b, const struct vigil_field *f,
		     const struct vigil_event *ev)
{
	struct vigil_value v;
	char ip[INET6_ADDRSTRLEN];

	if (f->get(f, ev, 0, &v))
		return 0;
	switch (v.type) {
	case VIGIL_T_STR:
		return vigil_buf_append(b, v.u.s.ptr, v.u.s.len);
	case VIGIL_T_BOOL:
		return vigil_buf_puts(b, v.u.b ? "true" : "false");
	case VIGIL_T_IP:
		if (!v.u.ip.family ||
		    !inet_ntop(v.u.ip.family, v.u.ip.addr, ip, sizeof(ip)))
			return 0;
		return vigil_buf_puts(b, ip);
	default:
		return vigil_buf_printf(b, "%" PRId64, v.u.i);
	}
}

/* The group key: rule, then name=value of each group-by field, joined
 * by a unit separator (a byte no field name holds). */
static int group_key(struct store *s, const struct vigil_event *ev,
		     const struct vigil_signal *sig)
{
	const struct group_spec *sp = &s->specs[0];
	int rc;

	for (size_t i = 1; i < s->n_specs; i++)
		if (strcmp(s->specs[i].rule, sig->rule_id) == 0)
			sp = &s->specs[i];
	vigil_buf_reset(&s->key);
	rc = vigil_buf_puts(&s->key, sig->rule_id);
	for (size_t i = 0; !rc && i < sp->n; i++) {
		rc = vigil_buf_printf(&s->key, "\x1f%s=", sp->fields[i]->name);
		if (!rc)
			rc = key_value(&s->key, sp->fields[i], ev);
	}
	/* the key is text: a NUL inside a value must not cut it */
	for (size_t i = 0; !rc && i < s->key.len; i++)
		if (!s->key.data[i])
			s->key.data[i] = '\x1e';
	return rc;
}

/* Copies n bytes of p (NUL-terminated) to *at; returns the copy. */
static const char *put(char **at, const char *p, size_t n)
{
	char *r = *at;

	if (n)
		memcpy(r, p, n);
	r[n] = '\0';
	*at += n + 1;
	return r;
}

/* Builds one queue record for ev and sig (loop thread). */
static struct qrec *qrec_make(struct store *s, const struct vigil_event *ev,
			      const struct vigil_signal *sig)
{
	const char *rule = sig->rule_id;
	const char *engine = sig->engine ? sig->engine : "";
	const char *title = sig->title ? sig->title : "";
	const char *rem = sig->remediation ? sig->remediation : "";
	size_t tags_len = 1, size;
	struct qrec *r;
	char *at;

	s->json.len = 0;
	if (s->api->encode_json(ev, sig, &s->json) || group_key(s, ev, sig))
		return NULL;
	if (s->json.len && s->json.data[s->json.len - 1] == '\n')
		s->json.len--;
	for (uint32_t i = 0; i < sig->n_tags; i++)
		tags_len += strlen(sig->tags[i]) + 1;
	size = s->key.len + strlen(rule) + strlen(engine) + strlen(title) +
	       strlen(rem) + tags_len + ev->host.len +
	       ev->process.container.id.len + ev->process.file.path.len +
	       s->json.len + 10;
	r = malloc(sizeof(*r) + size);
	if (!r)
		return NULL;
	memset(r, 0, sizeof(*r));
	at = r->data;
	r->occ.group_key = put(&at, s->key.data, s->key.len);
	r->occ.rule = put(&at, rule, strlen(rule));
	r->occ.engine = put(&at, engine, strlen(engine));
	r->occ.title = put(&at, title, strlen(title));
	r->occ.remediation = put(&at, rem, strlen(rem));
	r->occ.tags = at;
	*at++ = '\t';
	for (uint32_t i = 0; i < sig->n_tags; i++) {
		size_t n = strlen(sig->tags[i]);

		memcpy(at, sig->tags[i], n);
		at += n;
		*at++ = '\t';
	}
	if (!sig->n_tags)
		at--; /* no tags: "" */
	*at++ = '\0';
	r->occ.host = put(&at, ev->host.ptr, ev->host.len);
	r->occ.container = put(&at, ev->process.container.id.ptr,
			       ev->process.container.id.len);
	r->occ.exe = put(&at, ev->process.file.path.ptr,
			 ev->process.file.path.len);
	r->occ.json = put(&at, s->json.data, s->json.len);
	r->occ.json_len = s->json.len;
	r->occ.severity = (int)sig->severity;
	r->occ.time_ns = ev->time_ns;
	r->occ.event_id = ev->id;
	return r;
}

/* ---- the writer thread ---- */

static int64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sets the state and its reason (under mu); the loop logs it. */
static void set_state(struct store *s, enum store_state state,
		      const char *reason)
{
	if (s->state == state && strcmp(s->reason, reason) == 0)
		return;
	s->state = state;
	snprintf(s->reason, sizeof(s->reason), "%s", reason);
	s->state_seq++;
}

/* Opens the database (writer thread). */
static struct vigil_store *writer_open(struct store *s)
{
	struct vigil_buf err = { 0 };
	struct vigil_store *db = NULL;
	int rc = vigil_store_open(s->path, 0, &db, &err);

	pthread_mutex_lock(&s->mu);
	if (rc) {
		set_state(s, ST_DEGRADED, vigil_buf_cstr(&err));
		s->st.errors++;
	} else {
		set_state(s, ST_OK, "");
	}
	pthread_mutex_unlock(&s->mu);
	vigil_buf_free(&err);
	return rc ? NULL : db;
}

static void qrec_free_list(struct qrec *r)
{
	while (r) {
		struct qrec *next = r->next;

		free(r);
		r = next;
	}
}

/*
 * Writes one batch.  On failure the batch is dropped and counted and the
 * plugin degrades; a damaged database is closed, to be re-opened later.
 */
static void writer_batch(struct store *s, struct vigil_store **db,
			 struct qrec *list, size_t n,
			 struct vigil_store_occ *occ,
			 const struct vigil_store_limits *lim)
{
	struct vigil_buf err = { 0 };
	size_t i = 0;
	int rc = -ENODEV;

	for (struct qrec *r = list; r; r = r->next)
		occ[i++] = r->occ;
	if (*db)
		rc = vigil_store_record(*db, occ, n, lim, &err);
	pthread_mutex_lock(&s->mu);
	if (!rc) {
		s->st.records_out += n;
		set_state(s, ST_OK, "");
	} else {
		s->st.dropped += n;
		if (*db) {
			s->st.errors++;
			set_state(s, ST_DEGRADED, vigil_buf_cstr(&err));
		}
	}
	pthread_mutex_unlock(&s->mu);
	if (rc && rc != -EBUSY && *db) {
		vigil_store_close(*db);
		*db = NULL;
	}
	vigil_buf_free(&err);
}

/* Retention, its counters, and VACUUM when idle (writer thread). */
static void writer_housekeeping(struct store *s, struct vigil_store *db,
				bool idle,
				const struct vigil_store_limits *lim)
{
	struct vigil_buf err = { 0 };
	struct vigil_store_info info;
	uint64_t deleted = 0;
	bool vacuumed = false;
	int rc;

	rc = vigil_store_retain(db, lim, wall_ns(), &deleted, &err);
	if (!rc && idle)
		rc = vigil_store_vacuum(db, VACUUM_FREE_RATIO, &vacuumed, &err);
	if (!rc)
		rc = vigil_store_info(db, &info, &err);
	pthread_mutex_lock(&s->mu);
	s->retention_deleted += deleted;
	s->vacuums += vacuumed;
	if (rc) {
		s->st.errors++;
		set_state(s, ST_DEGRADED, vigil_buf_cstr(&err));
	} else {
		s->info = info;
	}
	pthread_mutex_unlock(&s->mu);
	vigil_buf_free(&err);
}

static void *writer_main(void *arg)
{
	struct store *s = arg;
	struct vigil_store *db = NULL;
	struct vigil_store_occ *occ;
	int64_t last_open = 0, last_housekeeping = 0, last_signal;
	int64_t retention_s, idle_s;
	struct vigil_store_limits lim;
	bool vacuum_due = true;

	occ = calloc((size_t)s->set.batch, sizeof(*occ));
	last_signal = mono_s();
	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct qrec *list = NULL, **lt = &list;
		struct timespec until;
		size_t n = 0;
		bool stopping;

		while (!s->head && !s->stop && !s->wake) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += s->set.flush_ms / 1000;
			until.tv_nsec += (s->set.flush_ms % 1000) * 1000000;
			if (until.tv_nsec >= 1000000000) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000;
			}
			if (pthread_cond_timedwait(&s->cv, &s->mu, &until))
				break;
		}
		s->wake = false;
		while (s->head && n < (size_t)s->set.batch) {
			*lt = s->head;
			s->head = s->head->next;
			lt = &(*lt)->next;
			n++;
		}
		*lt = NULL;
		if (!s->head)
			s->tail = &s->head;
		s->queued -= n;
		stopping = s->stop && !s->head;
		/* reload() changes these under mu */
		lim = s->lim;
		retention_s = s->set.retention_interval_s;
		idle_s = s->set.vacuum_idle_s;
		pthread_mutex_unlock(&s->mu);

		if (!db && (!last_open ||
			    mono_s() - last_open >= REOPEN_INTERVAL_S ||
			    stopping)) {
			last_open = mono_s();
			db = writer_open(s);
			last_housekeeping = 0;
		}
		if (n) {
			if (!occ) {
				pthread_mutex_lock(&s->mu);
				s->st.dropped += n;
				pthread_mutex_unlock(&s->mu);
			} else {
				writer_batch(s, &db, list, n, occ, &lim);
			}
			qrec_free_list(list);
			last_signal = mono_s();
			vacuum_due = true;
		}
		if (db && !stopping &&
		    (!last_housekeeping ||
		     mono_s() - last_housekeeping >= retention_s ||
		     (vacuum_due && mono_s() - last_signal >= idle_s))) {
			bool idle = mono_s() - last_signal >= idle_s;

			writer_housekeeping(s, db, idle, &lim);
			last_housekeeping = mono_s();
			if (idle)
				vacuum_due = false;
		}
		pthread_mutex_lock(&s->mu);
		if (stopping)
			break;
	}
	pthread_mutex_unlock(&s->mu);
	vigil_store_close(db);
	free(occ);
	return NULL;
}

/* ---- the loop side ---- */

static int store_settings_read(struct store *s, struct store_settings *set,
			       char *path, size_t cap)
{
	const char *sd;
	int rc = VIGIL_CONFIG_MAP(s->api, s->host, store_table, set);

	if (rc == -ENOSYS)
		s->api->log(s->host, VIGIL_LOG_ERR,
			    "this vigil is too old for this plugin (it needs plugin ABI 1.1)");
	if (rc)
		return rc;
	if (set->path[0]) {
		snprintf(path, cap, "%s", set->path);
		return 0;
	}
	sd = s->api->state_dir(s->host);
	if (!sd) {
		s->api->log(s->host, VIGIL_LOG_ERR,
			    "no state_dir for signals.db: set agent.state_dir or config.path");
		return -EINVAL;
	}
	if (mkdir(sd, 0700) && errno != EEXIST)
		s->api->log(s->host, VIGIL_LOG_WARNING, "cannot create %s: %s",
			    sd, strerror(errno));
	snprintf(path, cap, "%s/signals.db", sd);
	return 0;
}

static void store_free(struct store *s)
{
	specs_free(s);
	vigil_buf_free(&s->json);
	vigil_buf_free(&s->key);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

static int store_init(const struct vigil_host_api *api, void *host,
		      void **state)
{
	struct store *s;
	int rc;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->api = api;
	s->host = host;
	s->tail = &s->head;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	rc = store_settings_read(s, &s->set, s->path, sizeof(s->path));
	if (!rc)
		rc = specs_build(s);
	if (rc)
		goto out_free;
	settings_limits(&s->set, &s->lim);
	s->state = s->state_seen = ST_STARTING;
	rc = -pthread_create(&s->thread, NULL, writer_main, s);
	if (rc) {
		api->log(host, VIGIL_LOG_ERR, "cannot start the writer thread: %s",
			 strerror(-rc));
		goto out_free;
	}
	s->thread_started = true;
	*state = s;
	return 0;

out_free:
	store_free(s);
	return rc;
}

static int store_signal(void *state, const struct vigil_event *ev,
			const struct vigil_signal *sig)
{
	struct store *s = state;
	struct qrec *r = qrec_make(s, ev, sig);
	bool full;

	pthread_mutex_lock(&s->mu);
	s->st.signals_in++;
	full = s->queued >= (size_t)s->set.queue;
	if (!r || full) {
		s->st.dropped++;
	} else {
		*s->tail = r;
		s->tail = &r->next;
		s->queued++;
		s->st.bytes_out += r->occ.json_len;
		r = NULL;
	}
	pthread_mutex_unlock(&s->mu);
	free(r);
	return full ? -ENOBUFS : r ? -ENOMEM : 0;
}

/*
 * Raises agent_store_degraded once per fall into the degraded state, as
 * the sources raise their losses: an agent event with the reason.
 */
static void raise_degraded(struct store *s, const char *reason)
{
	static const char *const tags[] = {
		"technique:T1562.006", "tactic:TA0005", "nist:AU-5",
		"pci-dss:10.5.1", "monitor:agent",
	};
	struct vigil_event ev;
	struct vigil_signal sig;
	char detail[PATH_MAX + 600];

	memset(&ev, 0, sizeof(ev));
	ev.type = VIGIL_EV_AGENT;
	ev.source = VIGIL_SRC_AGENT;
	ev.time_ns = wall_ns();
	ev.process.pid = ev.process.tid = (int32_t)getpid();
	ev.process.uid = ev.process.gid = ev.process.euid = VIGIL_ID_UNSET;
	ev.process.egid = ev.process.suid = ev.process.sgid = VIGIL_ID_UNSET;
	ev.process.fsuid = ev.process.fsgid = VIGIL_ID_UNSET;
	ev.process.auid = ev.process.session_id = VIGIL_ID_UNSET;
	ev.process.file.uid = ev.process.file.gid = VIGIL_ID_UNSET;
	ev.process.file.prev_size = -1;
	snprintf(detail, sizeof(detail), "signal store %s: %s", s->path,
		 reason);
	ev.u.agent.kind.ptr = "store_degraded";
	ev.u.agent.kind.len = (uint32_t)strlen("store_degraded");
	ev.u.agent.subsystem.ptr = "store";
	ev.u.agent.subsystem.len = 5;
	ev.u.agent.detail.ptr = detail;
	ev.u.agent.detail.len = (uint32_t)strlen(detail);
	memset(&sig, 0, sizeof(sig));
	sig.struct_size = sizeof(sig);
	sig.severity = VIGIL_SEV_HIGH;
	sig.rule_id = "agent_store_degraded";
	sig.title = "The signal store cannot write its database";
	sig.remediation =
		"agent.detail says why. A damaged file: stop vigild, move "
		"signals.db aside (keep it for forensics) and start vigild, "
		"which creates a new one. Locked: find the process holding "
		"it (fuser). Disk full: free space. Signals still reach the "
		"other outputs meanwhile.";
	sig.tags = tags;
	sig.n_tags = sizeof(tags) / sizeof(tags[0]);
	sig.engine = "store";
	(void)s->api->emit_signal(s->host, &ev, &sig);
}

/* Loop thread, every second and at shutdown: wakes the writer, reports
 * changes of state. */
static int store_flush(void *state)
{
	struct store *s = state;
	enum store_state now;
	char reason[sizeof(s->reason)];
	bool changed;

	pthread_mutex_lock(&s->mu);
	s->wake = true;
	pthread_cond_signal(&s->cv);
	changed = s->state_seq != s->state_seq_seen;
	s->state_seq_seen = s->state_seq;
	now = s->state;
	memcpy(reason, s->reason, sizeof(reason));
	pthread_mutex_unlock(&s->mu);
	if (!changed)
		return 0;
	if (now == ST_DEGRADED) {
		s->api->log(s->host, VIGIL_LOG_ERR,
			    "degraded: %s; signals go to the other outputs only",
			    reason);
		if (s->state_seen != ST_DEGRADED)
			raise_degraded(s, reason);
	} else if (now == ST_OK && s->state_seen == ST_DEGRADED) {
		s->api->log(s->host, VIGIL_LOG_NOTICE, "writing to %s again",
			    s->path);
	}
	s->state_seen = now;
	return 0;
}

static int store_stats(void *state, struct vigil_plugin_stats *out)
{
	struct store *s = state;

	pthread_mutex_lock(&s->mu);
	*out = s->st;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static const char *state_name(enum store_state st)
{
	return st == ST_OK ? "ok" : st == ST_DEGRADED ? "degraded" : "starting";
}

/* Appends s to b as a JSON string (the reason comes from SQLite and
 * file names: escape quotes, backslashes and control bytes). */
static int json_str(struct vigil_buf *b, const char *s)
{
	int rc = vigil_buf_putc(b, '"');

	for (; !rc && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			rc = vigil_buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			rc = vigil_buf_printf(b, "\\u%04x", c);
		else
			rc = vigil_buf_putc(b, (char)c);
	}
	return rc ? rc : vigil_buf_putc(b, '"');
}

/* ABI 1.2: the store's own part of vigilctl status. */
static int store_status_json(void *state, struct vigil_buf *out)
{
	struct store *s = state;
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = vigil_buf_printf(out, "\"state\":\"%s\",\"reason\":",
			      state_name(s->state));
	if (!rc)
		rc = json_str(out, s->reason);
	if (!rc)
		rc = vigil_buf_puts(out, ",\"path\":");
	if (!rc)
		rc = json_str(out, s->path);
	if (!rc)
		rc = vigil_buf_printf(out,
				      ",\"queued\":%zu,\"signals_stored\":%" PRIu64
				      ",\"bytes_used\":%" PRIu64
				      ",\"bytes_free\":%" PRIu64
				      ",\"retention_deleted\":%" PRIu64
				      ",\"retention_deleted_ever\":%" PRIu64
				      ",\"vacuums\":%" PRIu64
				      ",\"schema_version\":%d",
				      s->queued, s->info.signals,
				      s->info.bytes_used, s->info.bytes_free,
				      s->retention_deleted,
				      s->info.retention_deleted, s->vacuums,
				      s->info.schema_version);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/*
 * New settings: grouping, limits and intervals change at once; a new
 * path needs a restart (the writer keeps its database).
 */
static int store_reload(void *state)
{
	struct store *s = state;
	struct store_settings set;
	char path[PATH_MAX];
	struct store tmp;
	int rc;

	memset(&set, 0, sizeof(set));
	rc = store_settings_read(s, &set, path, sizeof(path));
	if (rc)
		return rc;
	memset(&tmp, 0, sizeof(tmp));
	tmp.api = s->api;
	tmp.host = s->host;
	tmp.set = set;
	rc = specs_build(&tmp);
	if (rc)
		return rc;
	if (strcmp(path, s->path))
		s->api->log(s->host, VIGIL_LOG_WARNING,
			    "path changes at the next start (still writing %s)",
			    s->path);
	set.batch = s->set.batch; /* the writer's array is sized by it */
	pthread_mutex_lock(&s->mu);
	specs_free(s);
	memcpy(s->specs, tmp.specs, sizeof(s->specs));
	s->n_specs = tmp.n_specs;
	memcpy(set.path, s->set.path, sizeof(set.path));
	s->set = set;
	settings_limits(&s->set, &s->lim);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static void store_destroy(void *state)
{
	struct store *s = state;

	if (!s)
		return;
	if (s->thread_started) {
		/* the writer drains the queue before it exits */
		pthread_mutex_lock(&s->mu);
		s->stop = true;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
	}
	qrec_free_list(s->head);
	store_free(s);
}

static const struct vigil_plugin store_plugin = {
	VIGIL_PLUGIN_HEADER,
	.kind = VIGIL_PLUGIN_SINK,
	.name = "store",
	.version = "1.0",
	.description = "signals grouped into SQLite for vigilctl signals",
	.init = store_init,
	.on_signal = store_signal,
	.flush = store_flush,
	.stats = store_stats,
	.reload = store_reload,
	.destroy = store_destroy,
	VIGIL_PLUGIN_CONFIG(store_table, struct store_settings),
	.status_json = store_status_json,
};

const struct vigil_plugin *vigil_plugin_entry(void)
{
	return &store_plugin;
}
