/*
 * http - POSTs batches of events and/or signals as JSON to an HTTP(S)
 * endpoint with libcurl's multi-socket API driven by the daemon's loop
 * (uv_poll for curl's sockets, a uv_timer for its timeouts), so no request
 * ever blocks the loop.  Records go through the forwarders' disk spool
 * (outlet.h: spool, tick, counters, backoff); a batch leaves it on a 2xx
 * answer, is retried (with backoff and jitter) on 429, 5xx, timeouts,
 * connection errors and refused credentials (401, 403, 407: fixing them
 * must not cost the records), and is dropped and counted on any other
 * 4xx, since sending it again would fail the same way.
 *
 * Configuration (plugins: - name: http, config: ...):
 *   url                   required (http:// or https://)
 *   format                json_lines (default), json_array,
 *                         elasticsearch_bulk, splunk_hec
 *   index                 elasticsearch_bulk: the _index (vigil-events)
 *   token                 splunk_hec: sent as "Authorization: Splunk <token>"
 *   sourcetype            splunk_hec: (vigil)
 *   headers               list of "Name: value" lines added to each request
 *   gzip                  compress the body (Content-Encoding: gzip)
 *   batch_size            bytes of records in one request (1M)
 *   flush_interval        a partial batch is sent after this (1s)
 *   timeout               whole request (30s)
 *   retry_min/_max        backoff bounds (1s, 60s)
 *   what, event_types, min_severity   selection (both, all, info)
 *   tls: {ca_file, verify (true), cert_file, key_file}
 *   spool: {dir, name (http), max_size, segment_size, on_full}
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

#include <curl/curl.h>
#include <uv.h>
#include <zlib.h>

#include <vigil/plugin.h>

#include "buf.h"
#include "curl_compat.h"
#include "outlet.h"
#include "select.h"
#include "tls.h"

#define GZIP_WINDOW (15 + 16) /* deflate window bits + gzip wrapper */
#define GZIP_MEMLEVEL 8

#define HTTP_MAX_HEADERS 64

enum http_format { F_LINES, F_ARRAY, F_ES_BULK, F_SPLUNK };

struct http;

/* One of curl's sockets, watched by a uv_poll. */
struct http_sock {
	uv_poll_t poll;
	struct http *h;
	curl_socket_t fd;
	struct http_sock *next, **pprev; /* h->socks */
};

/* The settings (http_configure); a reload swaps them whole. */
struct http_settings {
	const char *url, *index, *sourcetype, *token;
	int32_t format; /* enum http_format */
	bool gzip;
	struct vigil_tls_opts tls;
	struct vigil_select sel; /* what, event_types, min_severity */
	struct vigil_outlet_spool_conf spool;
	int64_t batch_bytes, flush_ms, flush_ms_int, timeout_ms;
	int64_t retry_min_ms, retry_max_ms;
	const char *header_lines[HTTP_MAX_HEADERS];
	size_t n_header_lines;
	struct curl_slist *headers; /* made from the above */
};

static const struct vigil_config_name formats[] = {
	{ "json_lines", F_LINES },
	{ "json_array", F_ARRAY },
	{ "elasticsearch_bulk", F_ES_BULK },
	{ "splunk_hec", F_SPLUNK },
	{ NULL, 0 },
};

#define S struct http_settings
static const struct vigil_config_entry http_table[] = {
	{ VIGIL_CFG_STR("url", S, url, NULL,
			"http://host:port/path or https://..."),
	  .required = 1 },
	{ VIGIL_CFG_ENUM("format", S, format, F_LINES, formats, NULL) },
	{ VIGIL_CFG_STR("index", S, index, "vigil-events",
			"elasticsearch_bulk: the _index") },
	{ VIGIL_CFG_STR("token", S, token, NULL,
			"splunk_hec: the HEC token") },
	{ VIGIL_CFG_STR("sourcetype", S, sourcetype, "vigil",
			"splunk_hec: the sourcetype") },
	{ VIGIL_CFG_STRLIST("headers", S, header_lines, n_header_lines,
			    "'Name: value' lines added to each request") },
	{ VIGIL_CFG_BOOL("gzip", S, gzip, 0, "compress the body") },
	{ VIGIL_CFG_SIZE("batch_size", S, batch_bytes, 1 << 20, 1, 64 << 20,
			 "bytes of records in one request") },
	VIGIL_OUTLET_FLUSH_ENTRIES(S, flush_ms, flush_ms_int),
	{ VIGIL_CFG_DURATION_MS("timeout", S, timeout_ms, 30000, 1000,
				3600000, "of a whole request") },
	VIGIL_OUTLET_BACKOFF_ENTRIES("retry", S, retry_min_ms, retry_max_ms),
	VIGIL_TLS_ENTRIES(S, tls),
	VIGIL_SELECT_ENTRIES(S, sel, VIGIL_SELECT_EVENTS | VIGIL_SELECT_SIGNALS),
	VIGIL_OUTLET_SPOOL_ENTRIES(S, spool),
};
#undef S

struct http {
	struct vigil_outlet out;  /* first: the plugin table's callbacks */
	struct http_settings set; /* what http_configure reads */
	struct http_sock *socks;  /* watched sockets */

	CURLM *multi;
	CURL *easy;               /* the request in flight, or NULL */
	uv_timer_t curl_timer;    /* curl's timeout */
	struct vigil_buf body;    /* the batch being sent (maybe gzipped) */
	struct vigil_spool_pos batch_end;
	uint32_t batch_n;
	uint64_t unsent_bytes;
	uint64_t last_send_ms, retry_at_ms;
	int64_t backoff_ms;
	char errbuf[CURL_ERROR_SIZE];

	struct vigil_buf json, rec;
	bool warned;
	/* Settings a reload read while a request was in flight (it uses the
	 * old URL and headers): taken when it is over. */
	struct http_settings *pending;
};

static void http_send(struct http *h, bool force);

/* Frees what http_configure filled and clears it (not the spool). */
static void http_settings_free(struct http_settings *set)
{
	curl_slist_free_all(set->headers);
	memset(set, 0, sizeof(*set));
}

/* Drops settings read by a reload and not taken yet. */
static void http_pending_free(struct http *h)
{
	if (h->pending) {
		http_settings_free(h->pending);
		free(h->pending);
		h->pending = NULL;
	}
}

/*
 * Takes the settings a reload read (no request is in flight): the next
 * request uses them, at once rather than after a backoff.
 */
static void http_take_pending(struct http *h)
{
	struct http_settings *n = h->pending;

	if (!n)
		return;
	h->pending = NULL;
	http_settings_free(&h->set);
	h->set = *n;
	free(n); /* its strings now belong to h */
	h->backoff_ms = 0;
	h->retry_at_ms = 0;
	h->warned = false;
	h->out.api->log(h->out.host, VIGIL_LOG_NOTICE,
			"settings reloaded: sending to %s", h->set.url);
}

/* The outlet's release: the last reference after destroy. */
static void http_release(struct vigil_outlet *o)
{
	struct http *h = (struct http *)o;

	if (h->easy) {
		curl_multi_remove_handle(h->multi, h->easy);
		curl_easy_cleanup(h->easy);
	}
	if (h->multi)
		curl_multi_cleanup(h->multi);
	http_pending_free(h);
	http_settings_free(&h->set);
	vigil_outlet_fini(&h->out);
	free(h->body.data);
	free(h->json.data);
	free(h->rec.data);
	free(h);
}

static void on_handle_close(uv_handle_t *handle)
{
	struct http *h = handle->data;

	vigil_outlet_unref(&h->out);
}

static void on_sock_close(uv_handle_t *handle)
{
	struct http_sock *s = handle->data;
	struct http *h = s->h;

	free(s);
	vigil_outlet_unref(&h->out);
}

/* gzip src into dst (replacing its content).  0 or -ENOMEM / -EIO. */
static int gzip_buf(const struct vigil_buf *src, struct vigil_buf *dst)
{
	z_stream z = { 0 };
	int rc;

	dst->len = 0;
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, GZIP_WINDOW,
			 GZIP_MEMLEVEL, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	{
		size_t bound = deflateBound(&z, (uLong)src->len) + 1;
		char *p = realloc(dst->data, bound);

		if (!p)
			goto out_nomem;
		dst->data = p;
		dst->cap = bound;
	}
	z.next_in = (Bytef *)src->data;
	z.avail_in = (uInt)src->len;
	z.next_out = (Bytef *)dst->data;
	z.avail_out = (uInt)(dst->cap - 1);
	rc = deflate(&z, Z_FINISH);
	dst->len = dst->cap - 1 - z.avail_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -EIO;

out_nomem:
	deflateEnd(&z);
	return -ENOMEM;
}

/* The request is over: commit, drop or retry by the answer. */
static void http_done(struct http *h, CURLcode res)
{
	struct vigil_outlet *o = &h->out;
	long status = 0;
	bool ok, drop, auth;

	curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(h->multi, h->easy);
	curl_easy_cleanup(h->easy);
	h->easy = NULL;
	ok = res == CURLE_OK && status >= 200 && status < 300;
	/* refused credentials are fixed on the server or by a reload: keep */
	auth = res == CURLE_OK &&
	       (status == 401 || status == 403 || status == 407);
	drop = res == CURLE_OK && status >= 400 && status < 500 &&
	       status != 429 && !auth;
	if (ok || drop) {
		if (vigil_spool_commit(o->spool, &h->batch_end))
			o->st.errors++;
		if (ok) {
			o->st.records_out += h->batch_n;
			o->st.bytes_out += h->body.len;
			if (h->warned)
				o->api->log(o->host, VIGIL_LOG_NOTICE,
					    "%s accepts records again", h->set.url);
			h->warned = false;
		} else {
			o->st.dropped += h->batch_n;
			o->st.errors++;
			o->api->log(o->host, VIGIL_LOG_ERR,
				    "%s answered %ld: %u records dropped (the request is wrong, resending cannot help)",
				    h->set.url, status, h->batch_n);
		}
		h->backoff_ms = 0;
		http_take_pending(h);
		http_send(h, false);
		return;
	}
	/* 429, 5xx, 401/403/407, timeout, connection: try them again */
	if (auth)
		o->api->log(o->host, VIGIL_LOG_ERR,
			    "%s answered %ld: credentials refused (check token, headers, proxy); %u records stay in the spool and are retried",
			    h->set.url, status, h->batch_n);
	else if (!h->warned)
		o->api->log(o->host, VIGIL_LOG_WARNING,
			    "%s: %s; records stay in the spool and are retried",
			    h->set.url,
			    res != CURLE_OK ? (h->errbuf[0] ? h->errbuf :
							      curl_easy_strerror(res)) :
					      status == 429 ? "429 too many requests" :
							      "server error");
	h->warned = true;
	o->st.errors++;
	vigil_spool_rewind(o->spool);
	h->unsent_bytes = UINT64_MAX / 2;
	h->retry_at_ms = uv_now(o->loop) +
			 (uint64_t)vigil_outlet_backoff(o, &h->backoff_ms,
							h->set.retry_min_ms,
							h->set.retry_max_ms);
	/* new settings: the same records go to the new destination now */
	http_take_pending(h);
}

static void check_multi(struct http *h)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(h->multi, &left)))
		if (m->msg == CURLMSG_DONE && m->easy_handle == h->easy)
			http_done(h, m->data.result);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	struct http_sock *s = p->data;
	struct http *h = s->h;
	int running, flags = 0;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(h->multi, s->fd, flags, &running);
	check_multi(h);
}

static void on_curl_timer(uv_timer_t *t)
{
	struct http *h = t->data;
	int running;

	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_multi(h);
}

/* Stops watching a socket; the memory goes in the close callback. */
static void sock_close(struct http_sock *s)
{
	uv_poll_stop(&s->poll);
	*s->pprev = s->next;
	if (s->next)
		s->next->pprev = s->pprev;
	uv_close((uv_handle_t *)&s->poll, on_sock_close);
}

/* CURLMOPT_SOCKETFUNCTION: start, change or stop watching a socket. */
static int curl_socket_cb(CURL *e, curl_socket_t fd, int what, void *arg,
			  void *sockp)
{
	struct http *h = arg;
	struct http_sock *s = sockp;
	int ev = 0;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			curl_multi_assign(h->multi, fd, NULL);
			sock_close(s);
		}
		return 0;
	}
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -1;
		s->h = h;
		s->fd = fd;
		if (uv_poll_init_socket(h->out.loop, &s->poll, fd)) {
			free(s);
			return -1;
		}
		s->poll.data = s;
		h->out.refs++;
		s->next = h->socks;
		if (h->socks)
			h->socks->pprev = &s->next;
		s->pprev = &h->socks;
		h->socks = s;
		curl_multi_assign(h->multi, fd, s);
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		ev |= UV_READABLE;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		ev |= UV_WRITABLE;
	uv_poll_start(&s->poll, ev, on_poll);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION */
static int curl_timer_cb(CURLM *m, long ms, void *arg)
{
	struct http *h = arg;

	(void)m;
	if (ms < 0)
		uv_timer_stop(&h->curl_timer);
	else
		uv_timer_start(&h->curl_timer, on_curl_timer,
			       (uint64_t)(ms ? ms : 1), 0);
	return 0;
}

/* libcurl writes response bodies to stdout unless told otherwise. */
static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* Gathers a batch from the spool and starts its request. */
static void http_send(struct http *h, bool force)
{
	struct vigil_buf raw = { 0 };
	const void *d;
	size_t len;
	CURL *e;

	if (h->easy || h->out.destroyed || uv_now(h->out.loop) < h->retry_at_ms)
		return;
	if (!force && h->unsent_bytes < (uint64_t)h->set.batch_bytes)
		return;
	h->batch_n = 0;
	if (h->set.format == F_ARRAY && vigil_buf_append(&raw, "[", 1))
		return;
	while ((int64_t)raw.len < h->set.batch_bytes &&
	       vigil_spool_next(h->out.spool, &d, &len) == 0) {
		if (h->set.format == F_ARRAY && h->batch_n && vigil_buf_append(&raw, ",", 1))
			goto out_nomem;
		if (vigil_buf_append(&raw, d, len) ||
		    (h->set.format != F_ARRAY && vigil_buf_append(&raw, "\n", 1)))
			goto out_nomem;
		h->batch_n++;
		h->unsent_bytes = h->unsent_bytes > len ? h->unsent_bytes - len :
							  0;
	}
	if (!h->batch_n) {
		h->unsent_bytes = 0;
		free(raw.data);
		return;
	}
	if (h->set.format == F_ARRAY && vigil_buf_append(&raw, "]", 1))
		goto out_nomem;
	vigil_spool_tell(h->out.spool, &h->batch_end);
	if (h->set.gzip) {
		if (gzip_buf(&raw, &h->body))
			goto out_nomem;
		free(raw.data);
	} else {
		free(h->body.data);
		h->body = raw;
	}
	raw = (struct vigil_buf){ 0 };
	e = curl_easy_init();
	if (!e)
		goto out_nomem;
	h->errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, h->set.url);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, h->body.data);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)h->body.len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->set.headers);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)h->set.timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->errbuf);
	vigil_curl_http_only(e);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, h->set.tls.verify ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, h->set.tls.verify ? 2L : 0L);
	if (h->set.tls.ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, h->set.tls.ca_file);
	if (h->set.tls.cert_file)
		curl_easy_setopt(e, CURLOPT_SSLCERT, h->set.tls.cert_file);
	if (h->set.tls.key_file)
		curl_easy_setopt(e, CURLOPT_SSLKEY, h->set.tls.key_file);
	/* the answer's status is all we need; its body goes nowhere */
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		goto out_rewind;
	}
	h->easy = e;
	h->last_send_ms = uv_now(h->out.loop);
	return;

out_nomem:
	free(raw.data);
	h->out.st.errors++;
out_rewind:
	vigil_spool_rewind(h->out.spool);
	h->unsent_bytes = UINT64_MAX / 2;
}

static void http_tick(struct vigil_outlet *o)
{
	struct http *h = (struct http *)o;

	if (uv_now(o->loop) - h->last_send_ms >= (uint64_t)h->set.flush_ms)
		http_send(h, true);
}

/* Encodes a record in the format's unit and spools it. */
static int http_record(struct vigil_outlet *o, const struct vigil_event *ev,
		       const struct vigil_signal *sig)
{
	struct http *h = (struct http *)o;
	int rc;

	h->json.len = 0;
	h->rec.len = 0;
	rc = o->api->encode_json(ev, sig, &h->json);
	if (rc)
		goto out_drop;
	while (h->json.len && h->json.data[h->json.len - 1] == '\n')
		h->json.len--;
	switch (h->set.format) {
	case F_ES_BULK: {
		char action[512];
		int n = snprintf(action, sizeof(action),
				 "{\"index\":{\"_index\":\"%s\"}}\n", h->set.index);

		rc = vigil_buf_append(&h->rec, action, (size_t)n);
		break;
	}
	case F_SPLUNK: {
		char head[512];
		int n = snprintf(head, sizeof(head),
				 "{\"time\":%lld.%06lld,\"sourcetype\":\"%s\",\"event\":",
				 (long long)(ev->time_ns / 1000000000),
				 (long long)(ev->time_ns % 1000000000 / 1000),
				 h->set.sourcetype);

		rc = vigil_buf_append(&h->rec, head, (size_t)n);
		break;
	}
	default:
		break;
	}
	if (!rc)
		rc = vigil_buf_append(&h->rec, h->json.data, h->json.len);
	if (!rc && h->set.format == F_SPLUNK)
		rc = vigil_buf_append(&h->rec, "}", 1);
	if (!rc)
		rc = vigil_spool_append(o->spool, h->rec.data, h->rec.len);
	if (rc)
		goto out_drop;
	h->unsent_bytes += h->rec.len;
	http_send(h, false);
	return 0;

out_drop:
	o->st.dropped++;
	return rc == -ENOSPC ? 0 : rc;
}

static const struct vigil_outlet_ops http_outlet_ops = {
	.record = http_record,
	.tick = http_tick,
	.release = http_release,
};

static int http_flush(void *state)
{
	http_send(state, true);
	return 0;
}

static void http_destroy(void *state)
{
	struct http *h = state;

	if (!h)
		return;
	/* an unanswered batch stays in the spool for the next start */
	vigil_outlet_destroy(&h->out);
	if (h->easy) {
		curl_multi_remove_handle(h->multi, h->easy);
		curl_easy_cleanup(h->easy);
		h->easy = NULL;
	}
	curl_multi_cleanup(h->multi);
	h->multi = NULL;
	while (h->socks) /* what curl did not tell us to stop watching */
		sock_close(h->socks);
	uv_close((uv_handle_t *)&h->curl_timer, on_handle_close);
}

/*
 * Reads the configuration into set (zeroed by the caller; free it with
 * http_settings_free, also on error), the spool's directory and options;
 * logs and returns -EINVAL on a bad value.
 */
static int http_configure(const struct vigil_host_api *api, void *ho,
			  struct http_settings *set, char *dir, size_t cap,
			  struct vigil_spool_opts *so)
{
	int rc;

	rc = VIGIL_CONFIG_MAP(api, ho, http_table, set);
	if (rc)
		return rc;
	if (set->flush_ms_int)
		set->flush_ms = set->flush_ms_int;
	if (strncmp(set->url, "http://", 7) &&
	    strncmp(set->url, "https://", 8)) {
		api->log(ho, VIGIL_LOG_ERR,
			 "config.url is '%s'; want http://host:port/path or https://...",
			 set->url);
		return -EINVAL;
	}
	if (strpbrk(set->index, "\"\\\n") ||
	    strpbrk(set->sourcetype, "\"\\\n")) {
		api->log(ho, VIGIL_LOG_ERR,
			 "config.index and config.sourcetype may not hold quotes, backslashes or newlines");
		return -EINVAL;
	}
	rc = vigil_outlet_backoff_check(api, ho, "retry", set->retry_min_ms,
					set->retry_max_ms);
	if (rc)
		return rc;
	set->headers = curl_slist_append(NULL, set->format == F_ES_BULK ?
						     "Content-Type: application/x-ndjson" :
						     "Content-Type: application/json");
	if (set->format == F_SPLUNK) {
		char auth[1024];

		if (!set->token || strpbrk(set->token, "\r\n")) {
			api->log(ho, VIGIL_LOG_ERR,
				 "config.token (the HEC token) is required for splunk_hec");
			return -EINVAL;
		}
		snprintf(auth, sizeof(auth), "Authorization: Splunk %s",
			 set->token);
		set->headers = curl_slist_append(set->headers, auth);
	}
	for (size_t i = 0; i < set->n_header_lines; i++) {
		const char *line = set->header_lines[i];

		if (!strchr(line, ':') || strpbrk(line, "\r\n")) {
			api->log(ho, VIGIL_LOG_ERR,
				 "config.headers[%zu] must be one 'Name: value' line",
				 i);
			return -EINVAL;
		}
		set->headers = curl_slist_append(set->headers, line);
	}
	if (set->gzip)
		set->headers = curl_slist_append(set->headers,
					       "Content-Encoding: gzip");
	if (!set->headers)
		return -ENOMEM;
	if (!set->tls.verify)
		api->log(ho, VIGIL_LOG_WARNING,
			 "config.tls.verify is off: the server is not authenticated");
	return vigil_outlet_spool_config(api, ho, &set->spool, "http", dir,
					 cap, so);
}

static int http_init(const struct vigil_host_api *api, void *host,
		     void **state)
{
	struct http *h = calloc(1, sizeof(*h));
	struct vigil_spool_opts so = { 0 };
	char dir[PATH_MAX];
	int rc;

	if (!h)
		return -ENOMEM;
	rc = vigil_outlet_init(&h->out, api, host, &http_outlet_ops, "http");
	if (rc)
		goto out_free;
	/* once, before any other thread could use curl */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = http_configure(api, host, &h->set, dir, sizeof(dir), &so);
	if (rc)
		goto out_free;
	h->out.sel = &h->set.sel;
	h->multi = curl_multi_init();
	if (!h->multi) {
		rc = -ENOMEM;
		goto out_free;
	}
	/* last: from here timers run */
	rc = vigil_outlet_open(&h->out, dir, &so);
	if (rc)
		goto out_free;
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	uv_timer_init(h->out.loop, &h->curl_timer);
	h->curl_timer.data = h;
	h->out.refs++;
	h->unsent_bytes = UINT64_MAX / 2; /* anything left from the last run */
	*state = h;
	return 0;

out_free:
	http_release(&h->out);
	return rc;
}

/*
 * SIGHUP: reads the settings again; a bad value keeps the running ones.
 * The next request uses the new URL, format, headers, TLS files and
 * sizes; a request in flight finishes with the old ones first.  Records
 * not yet accepted stay in the spool and go to the new destination.  The
 * spool stays until a restart.
 */
static int http_reload(void *state)
{
	struct http *h = state;
	struct http_settings *n;
	struct vigil_spool_opts so = { 0 };
	char dir[PATH_MAX];
	int rc;

	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	rc = http_configure(h->out.api, h->out.host, n, dir, sizeof(dir), &so);
	if (rc) {
		http_settings_free(n);
		free(n);
		return rc;
	}
	vigil_spool_note_reload(h->out.api, h->out.host, h->out.spool_dir, dir);
	http_pending_free(h);
	h->pending = n;
	if (!h->easy)
		http_take_pending(h);
	return 0;
}

static const struct vigil_plugin http_plugin = {
	VIGIL_PLUGIN_HEADER,
	.kind = VIGIL_PLUGIN_SINK,
	.name = "http",
	.version = "1.0",
	.description = "JSON batches over HTTP(S) (libcurl multi on the loop), Elasticsearch bulk and Splunk HEC presets, with a disk spool",
	.init = http_init,
	.on_event = vigil_outlet_on_event,
	.on_signal = vigil_outlet_on_signal,
	.flush = http_flush,
	.stats = vigil_outlet_on_stats,
	.reload = http_reload,
	.destroy = http_destroy,
	VIGIL_PLUGIN_CONFIG(http_table, struct http_settings),
};

const struct vigil_plugin *vigil_plugin_entry(void)
{
	return &http_plugin;
}
