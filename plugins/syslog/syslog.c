/*
 * syslog - sends events and/or signals as RFC 5424 messages over UDP
 * (RFC 5426), TCP with octet counting (RFC 6587) or TLS (RFC 5425), with
 * the same disk spool as the forward output: a message leaves the spool
 * when the kernel has taken it (TCP/TLS write completed, UDP datagram
 * sent), and a lost connection resends from the last commit.
 *
 * Configuration (plugins: - name: syslog, config: ...):
 *   host, port            peer (127.0.0.1; 514, or 6514 for tls)
 *   transport             udp | tcp | tls (tcp)
 *   facility              local0 ... local7, auth, authpriv, daemon, user
 *   what                  events | signals | both (signals)
 *   event_types           list of event type names to keep (all)
 *   min_severity          signals below it are not sent (info)
 *   hostname              HOSTNAME field when the event has none
 *   max_message           longer messages are cut (8k), counted as errors
 *   reconnect_min/_max    backoff bounds, doubled with jitter (1s, 60s)
 *   tls: {ca_file, verify (true), cert_file, key_file, server_name}
 *   spool: {dir, name (syslog), max_size, segment_size, on_full}
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <uv.h>

#include <vigil/plugin.h>

#include "buf.h"
#include "spool.h"
#include "select.h"
#include "syslog_fmt.h"
#include "tls.h"

#define TICK_MS 100
#define BATCH_BYTES (64 * 1024)
#define MAX_INFLIGHT 8

enum transport { T_UDP, T_TCP, T_TLS };

enum conn_state { C_IDLE, C_RESOLVING, C_CONNECTING, C_TLS, C_READY };

struct slog;

/* One write: framed messages and the spool position after them. */
struct slog_write {
	struct slog_write *next;
	struct slog *s;
	uv_write_t req;
	struct vigil_buf data;
	struct vigil_spool_pos end;
	uint32_t n;
	bool done, orphan;
};

/* The settings (slog_configure); a reload swaps them whole. */
struct slog_settings {
	char *peer_host, *hostname, *server_name;
	char port[16];
	enum transport transport;
	int facility;
	struct vigil_select sel; /* what, event_types, min_severity */
	int64_t max_message;
	int64_t reconnect_min_ms, reconnect_max_ms;
	struct vigil_tls_ctx *tls_ctx;
	char *conn_sig;  /* the settings a connection depends on (reload) */
};

struct slog {
	const struct vigil_host_api *api;
	void *host;
	uv_loop_t *loop;

	struct slog_settings set; /* what slog_configure reads */
	char procid[16];
	char spool_dir[PATH_MAX];

	struct vigil_spool *spool;
	enum conn_state state;
	uv_getaddrinfo_t gai;
	uv_connect_t connect_req;
	uv_tcp_t *tcp;
	uv_udp_t *udp;
	struct sockaddr_storage addr;
	struct vigil_tls *tls;
	uv_timer_t tick;
	uint64_t next_connect_ms;
	int64_t backoff_ms;
	uint64_t rng;
	struct vigil_buf rx, plain, net;

	struct slog_write *head, *tail;
	int n_inflight;

	struct vigil_buf json, msg;
	struct vigil_plugin_stats st;
	int refs;
	bool destroyed, warned_down;
	bool gai_busy; /* gai in flight (a reload may have left it) */
};

static void slog_disconnect(struct slog *s, const char *why);
static void slog_pump(struct slog *s);

/* Frees what slog_configure filled and clears it (not the spool). */
static void slog_settings_free(struct slog_settings *set)
{
	vigil_tls_ctx_free(set->tls_ctx);
	free(set->peer_host);
	free(set->hostname);
	free(set->server_name);
	free(set->conn_sig);
	memset(set, 0, sizeof(*set));
}

static void slog_free(struct slog *s)
{
	vigil_spool_close(s->spool);
	slog_settings_free(&s->set);
	free(s->rx.data);
	free(s->plain.data);
	free(s->net.data);
	free(s->json.data);
	free(s->msg.data);
	free(s);
}

static void slog_unref(struct slog *s)
{
	if (--s->refs == 0 && s->destroyed)
		slog_free(s);
}

static uint64_t rng_next(struct slog *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 2685821657736338717ULL;
}

static void write_free(struct slog_write *w)
{
	free(w->data.data);
	free(w);
}

/* Commits the completed writes at the head of the list, in order. */
static void slog_commit_head(struct slog *s)
{
	while (s->head && s->head->done) {
		struct slog_write *w = s->head;

		if (w->n && vigil_spool_commit(s->spool, &w->end))
			s->st.errors++;
		s->st.records_out += w->n;
		s->head = w->next;
		if (!s->head)
			s->tail = NULL;
		s->n_inflight--;
		write_free(w);
	}
}

static void on_write(uv_write_t *req, int status)
{
	struct slog_write *w = req->data;
	struct slog *s = w->s;

	if (w->orphan) {
		write_free(w);
		slog_unref(s);
		return;
	}
	s->refs--; /* not an orphan, so not destroyed */
	if (status < 0) {
		slog_disconnect(s, uv_strerror(status));
		return;
	}
	s->st.bytes_out += w->data.len;
	w->done = true;
	slog_commit_head(s);
	slog_pump(s);
}

/*
 * Queues bytes on the stream.  With track, the write joins the in-flight
 * list and commits pos when done; otherwise (TLS handshake bytes) it is
 * an orphan freed when written.  Takes data's memory.
 */
static int slog_write(struct slog *s, struct vigil_buf *data, bool track,
		      const struct vigil_spool_pos *pos, uint32_t n)
{
	struct slog_write *w = calloc(1, sizeof(*w));
	uv_buf_t b;
	int rc;

	if (!w)
		return -ENOMEM;
	w->s = s;
	w->data = *data;
	*data = (struct vigil_buf){ 0 };
	w->orphan = !track;
	w->n = n;
	if (pos)
		w->end = *pos;
	w->req.data = w;
	b = uv_buf_init(w->data.data, (unsigned int)w->data.len);
	rc = uv_write(&w->req, (uv_stream_t *)s->tcp, &b, 1, on_write);
	if (rc) {
		write_free(w);
		return rc;
	}
	s->refs++;
	if (track) {
		if (s->tail)
			s->tail->next = w;
		else
			s->head = w;
		s->tail = w;
		s->n_inflight++;
	}
	return 0;
}

/* UDP: one datagram a message, sent without waiting; commits as it goes. */
static void slog_pump_udp(struct slog *s)
{
	const void *d;
	size_t len;
	struct vigil_spool_pos pos;

	while (vigil_spool_next(s->spool, &d, &len) == 0) {
		uv_buf_t b = uv_buf_init((char *)d, (unsigned int)len);
		int rc = uv_udp_try_send(s->udp, &b, 1,
					 (const struct sockaddr *)&s->addr);

		if (rc == UV_EAGAIN) {
			vigil_spool_unread(s->spool);
			return; /* the next tick tries again */
		}
		if (rc < 0) {
			vigil_spool_unread(s->spool);
			slog_disconnect(s, uv_strerror(rc));
			return;
		}
		s->st.bytes_out += len;
		s->st.records_out++;
		vigil_spool_tell(s->spool, &pos);
		if (vigil_spool_commit(s->spool, &pos))
			s->st.errors++;
	}
}

/* TCP/TLS: octet-counted frames, batched up to BATCH_BYTES a write. */
static void slog_pump(struct slog *s)
{
	if (s->state != C_READY)
		return;
	if (s->set.transport == T_UDP) {
		slog_pump_udp(s);
		return;
	}
	while (s->n_inflight < MAX_INFLIGHT) {
		struct vigil_buf batch = { 0 };
		struct vigil_spool_pos pos;
		const void *d;
		size_t len;
		uint32_t n = 0;
		char hdr[24];
		int rc;

		while (batch.len < BATCH_BYTES &&
		       vigil_spool_next(s->spool, &d, &len) == 0) {
			int h = snprintf(hdr, sizeof(hdr), "%zu ", len);

			if (vigil_buf_append(&batch, hdr, (size_t)h) ||
			    vigil_buf_append(&batch, d, len)) {
				free(batch.data);
				slog_disconnect(s, "out of memory");
				return;
			}
			n++;
		}
		if (!n) {
			free(batch.data);
			return;
		}
		vigil_spool_tell(s->spool, &pos);
		if (s->tls) {
			struct vigil_buf enc = { 0 };

			rc = vigil_tls_encrypt(s->tls, batch.data, batch.len,
					       &enc);
			free(batch.data);
			batch = enc;
			if (rc) {
				free(batch.data);
				slog_disconnect(s, "TLS encryption failed");
				return;
			}
		}
		rc = slog_write(s, &batch, true, &pos, n);
		if (rc) {
			free(batch.data);
			slog_disconnect(s, uv_strerror(rc));
			return;
		}
	}
}

static void slog_ready(struct slog *s)
{
	s->state = C_READY;
	s->backoff_ms = 0;
	if (s->warned_down)
		s->api->log(s->host, VIGIL_LOG_NOTICE,
			    "connected to %s:%s; sending the spool",
			    s->set.peer_host, s->set.port);
	s->warned_down = false;
	slog_pump(s);
}

static void on_close_free(uv_handle_t *h)
{
	struct slog *s = h->data;

	free(h);
	slog_unref(s);
}

static void slog_disconnect(struct slog *s, const char *why)
{
	struct slog_write *w = s->head;

	if (!s->warned_down && !s->destroyed)
		s->api->log(s->host, VIGIL_LOG_WARNING,
			    "%s:%s: %s; messages stay in the spool until it is back",
			    s->set.peer_host, s->set.port, why);
	s->warned_down = true;
	while (w) {
		struct slog_write *next = w->next;

		if (w->done) {
			write_free(w);
		} else {
			w->orphan = true;
			w->next = NULL;
		}
		w = next;
	}
	s->head = s->tail = NULL;
	s->n_inflight = 0;
	vigil_spool_rewind(s->spool);
	vigil_tls_free(s->tls);
	s->tls = NULL;
	if (s->tcp) {
		uv_close((uv_handle_t *)s->tcp, on_close_free);
		s->tcp = NULL;
	}
	if (s->udp) {
		uv_close((uv_handle_t *)s->udp, on_close_free);
		s->udp = NULL;
	}
	s->state = C_IDLE;
	if (!s->destroyed) {
		int64_t d;

		s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 :
						s->set.reconnect_min_ms;
		if (s->backoff_ms > s->set.reconnect_max_ms)
			s->backoff_ms = s->set.reconnect_max_ms;
		d = s->backoff_ms / 2 +
		    (int64_t)(rng_next(s) % (uint64_t)(s->backoff_ms / 2 + 1));
		s->next_connect_ms = uv_now(s->loop) + (uint64_t)d;
	}
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct slog *s = h->data;
	size_t want = 65536;

	(void)hint;
	if (s->rx.cap < want + 1) {
		char *p = realloc(s->rx.data, want + 1);

		if (!p) {
			*buf = uv_buf_init(NULL, 0);
			return;
		}
		s->rx.data = p;
		s->rx.cap = want + 1;
	}
	*buf = uv_buf_init(s->rx.data, (unsigned int)want);
}

/* Reads: TLS records (handshake, alerts); a syslog server says nothing. */
static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct slog *s = st->data;
	char err[256];
	bool was_ready;
	int rc;

	if (nread < 0) {
		slog_disconnect(s, nread == UV_EOF ? "closed by the server" :
						     uv_strerror((int)nread));
		return;
	}
	if (!s->tls || nread == 0)
		return;
	was_ready = vigil_tls_ready(s->tls);
	s->net.len = 0;
	s->plain.len = 0;
	rc = vigil_tls_feed(s->tls, buf->base, (size_t)nread, &s->plain,
			    &s->net, err, sizeof(err));
	if (s->net.len) {
		struct vigil_buf out = s->net;

		s->net = (struct vigil_buf){ 0 };
		if (slog_write(s, &out, false, NULL, 0)) {
			free(out.data);
			slog_disconnect(s, "cannot write to the socket");
			return;
		}
	}
	if (rc) {
		if (!s->warned_down)
			s->api->log(s->host, VIGIL_LOG_ERR, "%s:%s: %s",
				    s->set.peer_host, s->set.port, err);
		slog_disconnect(s, err);
		return;
	}
	if (!was_ready && vigil_tls_ready(s->tls))
		slog_ready(s);
}

static void on_connect(uv_connect_t *req, int status)
{
	struct slog *s = req->data;

	if (status == UV_ECANCELED || !s->tcp ||
	    req->handle != (uv_stream_t *)s->tcp)
		return;
	if (status < 0) {
		slog_disconnect(s, uv_strerror(status));
		return;
	}
	uv_tcp_nodelay(s->tcp, 1);
	if (uv_read_start((uv_stream_t *)s->tcp, on_alloc, on_read)) {
		slog_disconnect(s, "cannot read the socket");
		return;
	}
	if (s->set.tls_ctx) {
		struct vigil_buf hello = { 0 };

		if (vigil_tls_start(s->set.tls_ctx, s->set.server_name, &s->tls,
				    &hello) ||
		    slog_write(s, &hello, false, NULL, 0)) {
			free(hello.data);
			slog_disconnect(s, "cannot start TLS");
			return;
		}
		s->state = C_TLS;
		return;
	}
	slog_ready(s);
}

static void on_resolved(uv_getaddrinfo_t *req, int status,
			struct addrinfo *res)
{
	struct slog *s = req->data;
	int rc;

	s->gai_busy = false;
	if (s->destroyed || s->state != C_RESOLVING) {
		uv_freeaddrinfo(res);
		slog_unref(s);
		return;
	}
	s->refs--;
	if (status < 0) {
		slog_disconnect(s, uv_strerror(status));
		return;
	}
	memcpy(&s->addr, res->ai_addr, res->ai_addrlen);
	uv_freeaddrinfo(res);
	if (s->set.transport == T_UDP) {
		s->udp = calloc(1, sizeof(*s->udp));
		if (!s->udp) {
			slog_disconnect(s, "out of memory");
			return;
		}
		uv_udp_init(s->loop, s->udp);
		s->udp->data = s;
		s->refs++;
		slog_ready(s);
		return;
	}
	s->tcp = calloc(1, sizeof(*s->tcp));
	if (!s->tcp) {
		slog_disconnect(s, "out of memory");
		return;
	}
	uv_tcp_init(s->loop, s->tcp);
	s->tcp->data = s;
	s->refs++;
	s->connect_req.data = s;
	s->state = C_CONNECTING;
	rc = uv_tcp_connect(&s->connect_req, s->tcp,
			    (const struct sockaddr *)&s->addr, on_connect);
	if (rc)
		slog_disconnect(s, uv_strerror(rc));
}

static void slog_connect(struct slog *s)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = s->set.transport == T_UDP ? SOCK_DGRAM : SOCK_STREAM,
	};

	if (s->gai_busy)
		return; /* the last lookup is still out; the tick retries */
	s->state = C_RESOLVING;
	s->gai.data = s;
	if (uv_getaddrinfo(s->loop, &s->gai, on_resolved, s->set.peer_host,
			   s->set.port, &hints)) {
		slog_disconnect(s, "cannot resolve");
		return;
	}
	s->gai_busy = true;
	s->refs++;
}

static void on_tick(uv_timer_t *t)
{
	struct slog *s = t->data;

	if (s->state == C_IDLE && uv_now(s->loop) >= s->next_connect_ms)
		slog_connect(s);
	slog_pump(s);
}

static int slog_record(struct slog *s, const struct vigil_event *ev,
		       const struct vigil_signal *sig)
{
	int rc;

	s->json.len = 0;
	s->msg.len = 0;
	rc = s->api->encode_json(ev, sig, &s->json);
	if (!rc)
		rc = vigil_syslog_format(&s->msg, s->set.facility, s->set.hostname,
					 s->procid, ev, sig, s->json.data,
					 s->json.len);
	if (!rc && (int64_t)s->msg.len > s->set.max_message) {
		s->msg.len = (size_t)s->set.max_message;
		s->st.errors++;
	}
	if (!rc)
		rc = vigil_spool_append(s->spool, s->msg.data, s->msg.len);
	if (rc) {
		s->st.dropped++;
		return rc == -ENOSPC ? 0 : rc;
	}
	slog_pump(s);
	return 0;
}

static int syslog_event(void *state, const struct vigil_event *ev)
{
	struct slog *s = state;

	s->st.events_in++;
	if (!vigil_select_event(&s->set.sel, ev))
		return 0;
	return slog_record(s, ev, NULL);
}

static int syslog_signal(void *state, const struct vigil_event *ev,
			 const struct vigil_signal *sig)
{
	struct slog *s = state;

	s->st.signals_in++;
	if (!vigil_select_signal(&s->set.sel, sig))
		return 0;
	return slog_record(s, ev, sig);
}

static int syslog_flush(void *state)
{
	slog_pump(state);
	return 0;
}

static int syslog_stats(void *state, struct vigil_plugin_stats *out)
{
	struct slog *s = state;

	vigil_spool_plugin_stats(s->spool, &s->st, out);
	return 0;
}

static void on_tick_close(uv_handle_t *h)
{
	slog_unref(h->data);
}

static void syslog_destroy(void *state)
{
	struct slog *s = state;

	if (!s)
		return;
	s->destroyed = true;
	slog_disconnect(s, "stopping");
	vigil_spool_sync(s->spool);
	uv_close((uv_handle_t *)&s->tick, on_tick_close);
}

/* What a connection is made with: a reload changing one reconnects. */
static const char *const conn_keys[] = {
	"transport", "host", "port", "tls.ca_file", "tls.cert_file",
	"tls.key_file", "tls.verify", "tls.server_name",
};

/*
 * Reads the configuration into set (zeroed by the caller; free it with
 * slog_settings_free, also on error), the spool's directory and options;
 * logs and returns -EINVAL on a bad value.
 */
static int slog_configure(const struct vigil_host_api *api, void *h,
			  struct slog_settings *set, char *dir, size_t cap,
			  struct vigil_spool_opts *so)
{
	const char *v;
	int err = 0;
	int64_t port;
	char hn[HOST_NAME_MAX + 1];

	v = api->config_str(h, "transport", "tcp");
	if (!strcmp(v, "udp"))
		set->transport = T_UDP;
	else if (!strcmp(v, "tcp"))
		set->transport = T_TCP;
	else if (!strcmp(v, "tls"))
		set->transport = T_TLS;
	else {
		api->log(h, VIGIL_LOG_ERR,
			 "config.transport is '%s'; use udp, tcp or tls", v);
		return -EINVAL;
	}
	set->peer_host = vigil_config_dup(api, h, "host", "127.0.0.1");
	port = api->config_int(h, "port", set->transport == T_TLS ? 6514 : 514,
			       &err);
	if (err || port < 1 || port > 65535) {
		api->log(h, VIGIL_LOG_ERR, "config.port must be 1-65535");
		return -EINVAL;
	}
	snprintf(set->port, sizeof(set->port), "%lld", (long long)port);
	v = api->config_str(h, "facility", "local0");
	set->facility = vigil_syslog_facility(v);
	if (set->facility < 0) {
		api->log(h, VIGIL_LOG_ERR,
			 "config.facility '%s' is not a syslog facility (local0-local7, auth, authpriv, daemon, user, ...)",
			 v);
		return -EINVAL;
	}
	if (vigil_select_load(api, h, "signals", &set->sel))
		return -EINVAL;
	if (gethostname(hn, sizeof(hn)))
		strcpy(hn, "-");
	hn[sizeof(hn) - 1] = '\0';
	set->hostname = vigil_config_dup(api, h, "hostname", hn);
	set->max_message = api->config_int(h, "max_message", 8192, &err);
	if (!err)
		set->reconnect_min_ms =
			1000 * api->config_int(h, "reconnect_min", 1, &err);
	if (!err)
		set->reconnect_max_ms =
			1000 * api->config_int(h, "reconnect_max", 60, &err);
	if (!err)
		so->max_bytes = (uint64_t)api->config_int(h, "spool.max_size",
							  0, &err);
	if (!err)
		so->segment_bytes = (uint64_t)api->config_int(
			h, "spool.segment_size", 0, &err);
	v = api->config_str(h, "spool.on_full", "drop_oldest");
	if (!strcmp(v, "drop_newest"))
		so->full_policy = VIGIL_SPOOL_DROP_NEWEST;
	else if (strcmp(v, "drop_oldest"))
		err = -EINVAL;
	if (err || set->max_message < 480 || set->reconnect_min_ms < 1 ||
	    set->reconnect_max_ms < set->reconnect_min_ms) {
		api->log(h, VIGIL_LOG_ERR,
			 "config: max_message is a size of at least 480, reconnect_min <= reconnect_max are durations, spool.on_full is drop_oldest or drop_newest");
		return -EINVAL;
	}
	if (set->transport == T_TLS) {
		struct vigil_tls_opts to = {
			.ca_file = api->config_str(h, "tls.ca_file", NULL),
			.cert_file = api->config_str(h, "tls.cert_file", NULL),
			.key_file = api->config_str(h, "tls.key_file", NULL),
			.verify = api->config_bool(h, "tls.verify", 1),
		};
		char terr[512];

		if (!to.verify)
			api->log(h, VIGIL_LOG_WARNING,
				 "config.tls.verify is off: the server is not authenticated");
		if (vigil_tls_ctx_new(&to, &set->tls_ctx, terr, sizeof(terr))) {
			api->log(h, VIGIL_LOG_ERR, "config.tls: %s", terr);
			return -EINVAL;
		}
		set->server_name = vigil_config_dup(
			api, h, "tls.server_name",
			set->peer_host ? set->peer_host : "");
	}
	v = api->config_str(h, "spool.dir", NULL);
	if (v) {
		snprintf(dir, cap, "%s", v);
	} else {
		const char *sd = api->state_dir(h);

		if (!sd) {
			api->log(h, VIGIL_LOG_ERR,
				 "no state_dir for the spool: set agent.state_dir or config.spool.dir");
			return -EINVAL;
		}
		snprintf(dir, cap, "%s/spool/%s", sd,
			 api->config_str(h, "spool.name", "syslog"));
	}
	if (!set->peer_host || !set->hostname ||
	    (set->transport == T_TLS && !set->server_name))
		return -ENOMEM;
	set->conn_sig = vigil_settings_signature(api, h, conn_keys,
					       sizeof(conn_keys) /
						       sizeof(conn_keys[0]));
	return set->conn_sig ? 0 : -ENOMEM;
}

static int syslog_init(const struct vigil_host_api *api, void *host,
		       void **state)
{
	struct slog *s = calloc(1, sizeof(*s));
	struct vigil_spool_opts so = { 0 };
	char dir[PATH_MAX];
	int rc;

	if (!s)
		return -ENOMEM;
	s->api = api;
	s->host = host;
	s->loop = api->loop(host);
	if (!s->loop) {
		api->log(host, VIGIL_LOG_ERR,
			 "the syslog output needs the daemon's event loop");
		rc = -EINVAL;
		goto out_free;
	}
	rc = slog_configure(api, host, &s->set, dir, sizeof(dir), &so);
	if (rc)
		goto out_free;
	snprintf(s->procid, sizeof(s->procid), "%d", (int)getpid());
	snprintf(s->spool_dir, sizeof(s->spool_dir), "%s", dir);
	so.dir = dir;
	rc = vigil_spool_open(&so, &s->spool);
	if (rc) {
		api->log(host, VIGIL_LOG_ERR, "cannot open the spool %s: %s%s",
			 dir, strerror(-rc),
			 rc == -EBUSY ?
				 " (another output uses it: give each its own spool.name)" :
				 "");
		goto out_free;
	}
	if (RAND_bytes((unsigned char *)&s->rng, sizeof(s->rng)) != 1 || !s->rng)
		s->rng = (uint64_t)uv_hrtime() | 1;
	uv_timer_init(s->loop, &s->tick);
	s->tick.data = s;
	s->refs = 1;
	uv_timer_start(&s->tick, on_tick, TICK_MS, TICK_MS);
	slog_connect(s);
	*state = s;
	return 0;

out_free:
	slog_free(s);
	return rc;
}

/*
 * SIGHUP: reads the settings again; a bad value keeps the running ones.
 * Selection, facility, hostname, message size and backoff apply at once;
 * a change of transport, host, port or TLS settings closes the connection
 * and opens one to the new destination (messages not yet written go back
 * to the spool first).  The spool stays until a restart.
 */
static int syslog_reload(void *state)
{
	struct slog *s = state;
	struct slog_settings set = { 0 };
	struct vigil_spool_opts so = { 0 };
	char dir[PATH_MAX];
	bool reconnect;
	int rc;

	rc = slog_configure(s->api, s->host, &set, dir, sizeof(dir), &so);
	if (rc) {
		slog_settings_free(&set);
		return rc;
	}
	vigil_spool_note_reload(s->api, s->host, s->spool_dir, dir);
	reconnect = strcmp(set.conn_sig, s->set.conn_sig) != 0;
	if (reconnect && s->state != C_IDLE)
		slog_disconnect(s, "settings reloaded; reconnecting");
	slog_settings_free(&s->set);
	s->set = set;
	if (reconnect) {
		s->backoff_ms = 0;
		s->warned_down = false;
		if (s->state == C_IDLE)
			s->next_connect_ms = uv_now(s->loop);
	}
	s->api->log(s->host, VIGIL_LOG_NOTICE, "settings reloaded%s",
		    reconnect ? "; connecting to the new destination" : "");
	return 0;
}

static const struct vigil_plugin syslog_plugin = {
	VIGIL_PLUGIN_HEADER,
	.kind = VIGIL_PLUGIN_SINK,
	.name = "syslog",
	.version = "1.0",
	.description = "RFC 5424 syslog over UDP, TCP (octet counting) or TLS, with a disk spool",
	.init = syslog_init,
	.on_event = syslog_event,
	.on_signal = syslog_signal,
	.flush = syslog_flush,
	.stats = syslog_stats,
	.reload = syslog_reload,
	.destroy = syslog_destroy,
};

const struct vigil_plugin *vigil_plugin_entry(void)
{
	return &syslog_plugin;
}
