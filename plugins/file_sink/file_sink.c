/*
 * file_sink - writes events and/or signals to a file, one JSON object per
 * line (or msgpack maps back to back, which `vigilctl replay` reads), with
 * size-based rotation.
 *
 * Configuration (plugins: - name: file_sink, config: ...): see
 * file_sink_table below.
 *
 * Records are gathered in a buffer and written when it passes 64 KiB, on
 * flush (every second and at shutdown) and before a rotation, so a crash
 * loses at most a second of records; a clean stop loses none.
 *
 * When the file cannot be written (disk full, I/O error) the buffer keeps
 * what it has up to max_pending (8M) and new records beyond that are dropped
 * and counted (stats: dropped), so a full disk costs records, never the
 * agent's memory.  A record counts as out only once it is written.  The
 * error is logged once per ERROR_LOG_INTERVAL with what was dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <vigil/plugin.h>

#include "buf.h"

#define WRITE_THRESHOLD (64 * 1024)
#define ERROR_LOG_INTERVAL_S 10

enum { SINK_EVENTS = 1, SINK_SIGNALS = 2 };

struct file_sink_settings {
	char path[PATH_MAX];
	uint32_t what;    /* SINK_* bits */
	bool msgpack;
	int64_t max_size; /* 0: no rotation */
	int64_t keep;
	int64_t max_pending; /* bytes held while the file cannot be written */
};

static const struct vigil_config_name whats[] = {
	{ "signals", SINK_SIGNALS },
	{ "events", SINK_EVENTS },
	{ "both", SINK_EVENTS | SINK_SIGNALS },
	{ NULL, 0 },
};
static const struct vigil_config_name formats[] = {
	{ "json", 0 }, { "msgpack", 1 }, { NULL, 0 },
};

#define S struct file_sink_settings
static const struct vigil_config_entry file_sink_table[] = {
	{ VIGIL_CFG_PATHBUF("path", S, path, NULL, "the file to append to"),
	  .required = 1 },
	{ VIGIL_CFG_ENUM("what", S, what, SINK_SIGNALS, whats, NULL) },
	{ VIGIL_CFG_ENUM("format", S, msgpack, 0, formats,
			 "msgpack is what vigilctl replay reads") },
	{ VIGIL_CFG_SIZE("rotate.max_size", S, max_size, 100 << 20, 0,
			 INT64_MAX, "0 disables rotation") },
	{ VIGIL_CFG_INT("rotate.keep", S, keep, 5, 0, 1000,
			"rotated files kept") },
	{ VIGIL_CFG_SIZE("max_pending", S, max_pending, 8 << 20, 4096,
			 (int64_t)1 << 30,
			 "records held in memory while the file cannot be "
			 "written (disk full); beyond it they are dropped "
			 "and counted") },
};
#undef S

struct file_sink {
	const struct vigil_host_api *api;
	void *host;
	struct file_sink_settings set;
	int fd;
	int64_t size; /* bytes in the current file */
	struct vigil_buf buf; /* records not yet written */
	uint64_t buf_records; /* whole records in buf */
	struct vigil_buf rec; /* the record being encoded */
	struct vigil_plugin_stats st;
	/* the write error log, rate-limited */
	time_t last_error_log;
	uint64_t dropped_at_log; /* st.dropped when last logged */
	bool failing;
};

static int sink_open(struct file_sink *s)
{
	char dir[PATH_MAX];
	char *slash;
	struct stat st;

	/* The log directory may not exist on a fresh host. */
	snprintf(dir, sizeof(dir), "%s", s->set.path);
	for (slash = dir + 1; (slash = strchr(slash, '/')); slash++) {
		*slash = '\0';
		if (mkdir(dir, 0750) && errno != EEXIST)
			s->api->log(s->host, VIGIL_LOG_WARNING,
				    "cannot create %s: %s", dir,
				    strerror(errno));
		*slash = '/';
	}

	/*
	 * Never through a symlink, and only a regular file of our own: a
	 * user who can write the log directory must not be able to point
	 * the agent's output at another file.
	 */
	s->fd = open(s->set.path,
		     O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		     0600);
	if (s->fd < 0) {
		int e = errno;

		s->api->log(s->host, VIGIL_LOG_ERR, "cannot open %s: %s%s",
			    s->set.path, strerror(e),
			    e == ELOOP ? " (a symlink: refused)" : "");
		return -e;
	}
	if (fstat(s->fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		s->api->log(s->host, VIGIL_LOG_ERR,
			    "refusing %s: not a regular file owned by uid %u",
			    s->set.path, (unsigned)geteuid());
		close(s->fd);
		s->fd = -1;
		return -EPERM;
	}
	s->size = st.st_size;
	return 0;
}

/* Logs a write error at most once per ERROR_LOG_INTERVAL_S. */
static void sink_write_error(struct file_sink *s, int e)
{
	time_t now = time(NULL);

	s->st.errors++;
	s->failing = true;
	if (s->last_error_log &&
	    now - s->last_error_log < ERROR_LOG_INTERVAL_S)
		return;
	s->api->log(s->host, VIGIL_LOG_ERR,
		    "write to %s failed: %s (%zu bytes kept, %llu records dropped since the last report)",
		    s->set.path, strerror(e), s->buf.len,
		    (unsigned long long)(s->st.dropped - s->dropped_at_log));
	s->last_error_log = now;
	s->dropped_at_log = s->st.dropped;
}

/*
 * Writes the whole buffer; on failure keeps the unwritten rest for the
 * next try.  Whole records count as out once all of the buffer is
 * written (a partial write keeps its records pending).
 */
static int sink_write(struct file_sink *s)
{
	size_t off = 0;
	int e;

	if (s->fd < 0 && (e = sink_open(s))) {
		sink_write_error(s, -e);
		return -EIO;
	}
	while (off < s->buf.len) {
		ssize_t n = write(s->fd, s->buf.data + off, s->buf.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			memmove(s->buf.data, s->buf.data + off,
				s->buf.len - off);
			s->buf.len -= off;
			sink_write_error(s, e);
			return -e;
		}
		off += (size_t)n;
		s->size += n;
		s->st.bytes_out += (uint64_t)n;
	}
	s->buf.len = 0;
	s->st.records_out += s->buf_records;
	s->buf_records = 0;
	if (s->failing) {
		s->failing = false;
		s->api->log(s->host, VIGIL_LOG_NOTICE,
			    "writing to %s again (%llu records dropped in all)",
			    s->set.path, (unsigned long long)s->st.dropped);
	}
	return 0;
}

/* Renames path.N to path.N+1 (dropping the oldest), path to path.1. */
static int sink_rotate(struct file_sink *s)
{
	char from[PATH_MAX + 32], to[PATH_MAX + 32];

	if (s->fd >= 0) {
		fsync(s->fd);
		close(s->fd);
		s->fd = -1;
	}
	for (int64_t i = s->set.keep; i >= 1; i--) {
		snprintf(to, sizeof(to), "%s.%lld", s->set.path, (long long)i);
		if (i == 1)
			snprintf(from, sizeof(from), "%s", s->set.path);
		else
			snprintf(from, sizeof(from), "%s.%lld", s->set.path,
				 (long long)(i - 1));
		if (rename(from, to) && errno != ENOENT)
			s->api->log(s->host, VIGIL_LOG_WARNING,
				    "rotate %s -> %s: %s", from, to,
				    strerror(errno));
	}
	if (s->set.keep == 0)
		unlink(s->set.path);
	return sink_open(s);
}

static int sink_record(struct file_sink *s, const struct vigil_event *ev,
		       const struct vigil_signal *sig)
{
	int rc;

	s->rec.len = 0;
	rc = s->set.msgpack ? s->api->encode_msgpack(ev, sig, &s->rec) :
			  s->api->encode_json(ev, sig, &s->rec);
	if (rc) {
		s->st.dropped++;
		return rc;
	}
	/* Rotate before the file would pass max_size: a record never spans
	 * two files, and a record larger than max_size gets a file alone. */
	if (s->set.max_size > 0 &&
	    s->size + (int64_t)(s->buf.len + s->rec.len) > s->set.max_size &&
	    s->size + (int64_t)s->buf.len > 0) {
		rc = sink_write(s);
		if (!rc)
			rc = sink_rotate(s);
		if (rc) {
			s->st.dropped++;
			return rc;
		}
	}
	/* a file that cannot be written holds back at most max_pending */
	if ((int64_t)(s->buf.len + s->rec.len) > s->set.max_pending) {
		/* while failing, only the flush timer retries */
		if (!s->failing)
			(void)sink_write(s);
		if ((int64_t)(s->buf.len + s->rec.len) > s->set.max_pending) {
			s->st.dropped++;
			return -ENOSPC;
		}
	}
	if (vigil_buf_reserve(&s->buf, s->rec.len)) {
		s->st.dropped++;
		return -ENOMEM;
	}
	memcpy(s->buf.data + s->buf.len, s->rec.data, s->rec.len);
	s->buf.len += s->rec.len;
	s->buf_records++;
	if (s->buf.len >= WRITE_THRESHOLD && !s->failing)
		return sink_write(s);
	return 0;
}

static int file_sink_init(const struct vigil_host_api *api, void *host,
			  void **state)
{
	struct file_sink *s;
	int rc;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->api = api;
	s->host = host;
	s->fd = -1;
	rc = VIGIL_CONFIG_MAP(api, host, file_sink_table, &s->set);
	if (rc == -ENOSYS)
		api->log(host, VIGIL_LOG_ERR, "this vigil is too old for "
			 "this plugin (it needs plugin ABI 1.1)");
	if (rc || (rc = sink_open(s)))
		goto out_free;
	*state = s;
	return 0;

out_free:
	free(s);
	return rc;
}

static int file_sink_event(void *state, const struct vigil_event *ev)
{
	struct file_sink *s = state;

	s->st.events_in++;
	return s->set.what & SINK_EVENTS ? sink_record(s, ev, NULL) : 0;
}

static int file_sink_signal(void *state, const struct vigil_event *ev,
			    const struct vigil_signal *sig)
{
	struct file_sink *s = state;

	s->st.signals_in++;
	return s->set.what & SINK_SIGNALS ? sink_record(s, ev, sig) : 0;
}

static int file_sink_flush(void *state)
{
	struct file_sink *s = state;

	return s->buf.len ? sink_write(s) : 0;
}

static int file_sink_stats(void *state, struct vigil_plugin_stats *out)
{
	struct file_sink *s = state;

	*out = s->st;
	return 0;
}

static void file_sink_destroy(void *state)
{
	struct file_sink *s = state;

	if (!s)
		return;
	file_sink_flush(s);
	if (s->fd >= 0) {
		fsync(s->fd);
		close(s->fd);
	}
	free(s->buf.data);
	free(s->rec.data);
	free(s);
}

static const struct vigil_plugin file_sink_plugin = {
	VIGIL_PLUGIN_HEADER,
	.kind = VIGIL_PLUGIN_SINK,
	.name = "file_sink",
	.version = "1.0",
	.description = "JSON-lines or msgpack file with size-based rotation",
	.init = file_sink_init,
	.on_event = file_sink_event,
	.on_signal = file_sink_signal,
	.flush = file_sink_flush,
	.stats = file_sink_stats,
	.destroy = file_sink_destroy,
	VIGIL_PLUGIN_CONFIG(file_sink_table, struct file_sink_settings),
};

const struct vigil_plugin *vigil_plugin_entry(void)
{
	return &file_sink_plugin;
}
