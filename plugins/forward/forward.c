/*
 * forward - sends events and/or signals to Fluentd, Fluent Bit, Vector or
 * anything else that speaks the Fluent forward protocol v1, over TCP, with
 * acknowledgements and a disk spool so that nothing is lost while the
 * peer is down.
 *
 * Configuration (plugins: - name: forward, config: ...):
 *   host, port            peer (127.0.0.1, 24224)
 *   what                  events | signals | both (both)
 *   event_types           list of event type names to keep (all)
 *   min_severity          signals below it are not sent (info)
 *   tag_events            vigil.events
 *   tag_signals           vigil.signals
 *   mode                  forward | packed_forward (packed_forward)
 *   require_ack           true: a chunk leaves the spool when the peer
 *                         echoes its id; false: when it is written
 *   chunk_size            bytes of entries in one message (256k)
 *   flush_interval        a partial chunk is sent after this (1s)
 *   max_inflight          chunks sent and not yet acknowledged (4)
 *   ack_timeout           reconnect and resend when no ack comes (30s)
 *   heartbeat             TCP keepalive idle time (30s)
 *   reconnect_min/_max    backoff bounds, doubled with jitter (1s, 60s)
 *   shared_key            enables the HELO/PING/PONG handshake
 *   self_hostname         our name in the handshake (gethostname())
 *   username, password    user authentication within the handshake
 *   spool: {dir, max_size (256M), segment_size (4M),
 *           on_full: drop_oldest | drop_newest, sync_interval (1s)}
 *   tls: {enabled (false), ca_file (system store), verify (true),
 *         cert_file, key_file (client certificate), server_name (host)}
 *
 * Flow: every kept record is encoded once as a forward Entry
 * ([EventTime, record map]), prefixed with a kind byte and appended to the
 * spool; a chunk is read back from the spool, wrapped in a Forward or
 * PackedForward message with a {"chunk": id, "size": n} option and
 * written; the spool commits past the chunk when it is acknowledged.  A
 * lost connection rewinds the spool to the last commit, so the peer gets
 * every record at least once and in order.  All I/O is libuv on the
 * daemon's loop (TLS is OpenSSL over memory BIOs, see tls.h); name
 * resolution, fsync and segment removal run on libuv's thread pool.
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
#include "forward_proto.h"
#include "spool.h"
#include "select.h"
#include "tls.h"

#define KIND_EVENT 'e'
#define KIND_SIGNAL 's'
#define MAX_RESPONSE (64 * 1024) /* a server response larger is hostile */
#define SALT_BYTES 16
#define TICK_MS 1000

enum conn_state {
	CONN_IDLE,       /* waiting for the reconnect timer */
	CONN_RESOLVING,
	CONN_CONNECTING,
	CONN_TLS,        /* connected, TLS handshake under way */
	CONN_HELO,       /* connected, waiting for the server's HELO */
	CONN_PONG,       /* PING sent */
	CONN_READY,
	CONN_CLOSING,
};

struct forward;

/* One message on the wire.  Owned by the in-flight list, or by its write
 * request once the connection it belonged to is gone (orphan). */
struct fwd_chunk {
	struct fwd_chunk *next;
	struct forward *f;
	uv_write_t req;
	struct vigil_buf msg;
	struct vigil_spool_pos end; /* spool position after its last record */
	char id[FWD_CHUNK_ID_LEN + 1];
	uint32_t n;
	uint64_t sent_ms;
	bool written, acked, orphan;
};

/* The settings (forward_configure); a reload swaps them whole. */
struct fwd_settings {
	char *peer_host;
	char port[16];
	struct vigil_select sel; /* what, event_types, min_severity */
	char *tag_events, *tag_signals;
	enum fwd_mode mode;
	bool require_ack;
	int64_t chunk_bytes, flush_ms, max_inflight, ack_timeout_ms;
	int64_t heartbeat_s, reconnect_min_ms, reconnect_max_ms, sync_ms;
	char *shared_key, *self_hostname, *username, *password;
	char *server_name;          /* TLS: SNI and the name to verify */
	struct vigil_tls_ctx *tls_ctx; /* NULL: plain TCP */
	char *conn_sig;  /* the settings a connection depends on (reload) */
};

struct forward {
	const struct vigil_host_api *api;
	void *host;
	uv_loop_t *loop;

	struct fwd_settings set; /* what forward_configure reads */
	char spool_dir[PATH_MAX];

	struct vigil_spool *spool;

	/* connection */
	enum conn_state state;
	uv_tcp_t *tcp;              /* per connection; freed on close */
	uv_connect_t connect_req;
	uv_getaddrinfo_t gai_req;
	uv_timer_t tick;            /* flush, ack timeout, reconnect, sync */
	uint64_t next_connect_ms;
	uint64_t last_flush_ms, last_sync_ms;
	int64_t backoff_ms;
	struct vigil_buf rx;        /* bytes as read from the socket */
	struct vigil_buf in;        /* plaintext read, not yet parsed */
	struct vigil_buf net;       /* TLS bytes to write */
	struct vigil_tls *tls;
	uint8_t salt[SALT_BYTES * 2 + 1];
	struct fwd_helo helo;

	struct fwd_chunk *head, *tail;
	int64_t n_inflight;
	uint64_t unsent_bytes;      /* appended and not yet read back */
	uint64_t rng;

	struct vigil_buf rec, entry, batch;
	struct vigil_plugin_stats st;
	int refs;                   /* open handles + pending requests */
	bool syncing, destroyed, warned_down;
	bool gai_busy; /* gai_req in flight (a reload may have left it) */
};

static void fwd_connect(struct forward *f);
static void fwd_disconnect(struct forward *f, const char *why);
static void fwd_pump(struct forward *f, bool force);

static uint64_t rng_next(struct forward *f)
{
	/* xorshift64*: jitter only, not security */
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return f->rng * 2685821657736338717ULL;
}

/* Frees what forward_configure filled and clears it (not the spool). */
static void fwd_settings_free(struct fwd_settings *set)
{
	vigil_tls_ctx_free(set->tls_ctx);
	free(set->server_name);
	free(set->peer_host);
	free(set->tag_events);
	free(set->tag_signals);
	free(set->shared_key);
	free(set->self_hostname);
	free(set->username);
	free(set->password);
	free(set->conn_sig);
	memset(set, 0, sizeof(*set));
}

static void fwd_free(struct forward *f)
{
	vigil_spool_close(f->spool);
	fwd_settings_free(&f->set);
	free(f->rx.data);
	free(f->net.data);
	free(f->in.data);
	free(f->rec.data);
	free(f->entry.data);
	free(f->batch.data);
	free(f);
}

/* Drops a reference; the last one (after destroy) frees the state. */
static void fwd_unref(struct forward *f)
{
	if (--f->refs == 0 && f->destroyed)
		fwd_free(f);
}

static void chunk_free(struct fwd_chunk *c)
{
	free(c->msg.data);
	free(c);
}

/* Commits the acknowledged chunks at the head of the in-flight list. */
static void fwd_commit_head(struct forward *f)
{
	while (f->head && f->head->acked) {
		struct fwd_chunk *c = f->head;
		int rc = vigil_spool_commit(f->spool, &c->end);

		if (rc) {
			f->st.errors++;
			f->api->log(f->host, VIGIL_LOG_ERR,
				    "spool commit failed: %s (records will be sent again after a restart)",
				    strerror(-rc));
		}
		f->st.records_out += c->n;
		f->head = c->next;
		if (!f->head)
			f->tail = NULL;
		f->n_inflight--;
		chunk_free(c);
	}
}

static void on_write(uv_write_t *req, int status)
{
	struct fwd_chunk *c = req->data;
	struct forward *f = c->f;

	if (c->orphan) {
		chunk_free(c);
		fwd_unref(f);
		return;
	}
	/* not an orphan, so not destroyed: f outlives this reference */
	f->refs--;
	if (status < 0) {
		fwd_disconnect(f, uv_strerror(status));
		return;
	}
	c->written = true;
	f->st.bytes_out += c->msg.len;
	if (!f->set.require_ack) {
		c->acked = true;
		fwd_commit_head(f);
		fwd_pump(f, false);
	}
}

/* Reads the next chunk out of the spool and writes it.  Returns 0, or
 * -ENODATA when the spool has nothing to send. */
static int fwd_send_chunk(struct forward *f)
{
	struct fwd_chunk *c;
	const void *d;
	size_t len;
	int kind = 0, rc;
	uint32_t n = 0;
	uint8_t raw[16];
	uv_buf_t buf;

	f->batch.len = 0;
	while ((int64_t)f->batch.len < f->set.chunk_bytes) {
		rc = vigil_spool_next(f->spool, &d, &len);
		if (rc == -ENODATA) {
			f->unsent_bytes = 0;
			break;
		}
		if (rc) {
			f->st.errors++;
			f->api->log(f->host, VIGIL_LOG_ERR,
				    "spool read failed: %s", strerror(-rc));
			break;
		}
		if (len < 2) /* a record is a kind byte and an entry */
			continue;
		if (kind && ((const uint8_t *)d)[0] != kind) {
			/* one tag a message: this one starts the next */
			vigil_spool_unread(f->spool);
			break;
		}
		kind = ((const uint8_t *)d)[0];
		if (vigil_buf_append(&f->batch, (const char *)d + 1, len - 1)) {
			vigil_spool_unread(f->spool);
			break;
		}
		f->unsent_bytes = f->unsent_bytes > len ?
					  f->unsent_bytes - len :
					  0;
		n++;
	}
	if (!n)
		return -ENODATA;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto out_rewind;
	c->f = f;
	c->n = n;
	vigil_spool_tell(f->spool, &c->end);
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		for (size_t i = 0; i < sizeof(raw); i++)
			raw[i] = (uint8_t)rng_next(f);
	}
	fwd_chunk_id(raw, c->id);
	if (fwd_encode_message(&c->msg, f->set.mode,
			       kind == KIND_SIGNAL ? f->set.tag_signals :
						     f->set.tag_events,
			       f->batch.data, f->batch.len, n,
			       f->set.require_ack ? c->id : NULL)) {
		chunk_free(c);
		goto out_rewind;
	}
	if (f->tls) {
		struct vigil_buf enc = { 0 };

		if (vigil_tls_encrypt(f->tls, c->msg.data, c->msg.len, &enc)) {
			free(enc.data);
			chunk_free(c);
			fwd_disconnect(f, "TLS encryption failed");
			return -EPROTO;
		}
		free(c->msg.data);
		c->msg = enc;
	}
	c->req.data = c;
	buf = uv_buf_init(c->msg.data, (unsigned int)c->msg.len);
	rc = uv_write(&c->req, (uv_stream_t *)f->tcp, &buf, 1, on_write);
	if (rc) {
		chunk_free(c);
		fwd_disconnect(f, uv_strerror(rc));
		return rc;
	}
	f->refs++;
	c->sent_ms = uv_now(f->loop);
	if (f->tail)
		f->tail->next = c;
	else
		f->head = c;
	f->tail = c;
	f->n_inflight++;
	return 0;

out_rewind:
	/* out of memory: send these records with the next attempt */
	f->st.errors++;
	fwd_disconnect(f, "out of memory building a chunk");
	return -ENOMEM;
}

/*
 * Sends chunks while the connection is up and the window has room: all
 * that is spooled when force (timer, reconnect), else only when at least
 * a whole chunk is waiting.
 */
static void fwd_pump(struct forward *f, bool force)
{
	while (f->state == CONN_READY && f->n_inflight < f->set.max_inflight) {
		if (!force && f->unsent_bytes < (uint64_t)f->set.chunk_bytes)
			return;
		if (fwd_send_chunk(f))
			return;
		f->last_flush_ms = uv_now(f->loop);
	}
}

static void fwd_ready(struct forward *f)
{
	f->state = CONN_READY;
	f->backoff_ms = 0;
	if (f->warned_down)
		f->api->log(f->host, VIGIL_LOG_NOTICE,
			    "connected to %s:%s; sending the spool",
			    f->set.peer_host, f->set.port);
	f->warned_down = false;
	fwd_pump(f, true);
}

/* Writes msg as it is (taking its memory). */
static int fwd_write_bytes(struct forward *f, struct vigil_buf *msg)
{
	/* handshake messages ride in an orphan chunk: freed when written */
	struct fwd_chunk *c = calloc(1, sizeof(*c));
	uv_buf_t buf;
	int rc;

	if (!c)
		return -ENOMEM;
	c->f = f;
	c->orphan = true;
	c->msg = *msg;
	*msg = (struct vigil_buf){ 0 };
	c->req.data = c;
	buf = uv_buf_init(c->msg.data, (unsigned int)c->msg.len);
	rc = uv_write(&c->req, (uv_stream_t *)f->tcp, &buf, 1, on_write);
	if (rc) {
		chunk_free(c);
		return rc;
	}
	f->refs++;
	return 0;
}

/* Writes a protocol message (taking its memory), through TLS if on. */
static int fwd_write_msg(struct forward *f, struct vigil_buf *msg)
{
	struct vigil_buf enc = { 0 };
	int rc;

	if (!f->tls)
		return fwd_write_bytes(f, msg);
	rc = vigil_tls_encrypt(f->tls, msg->data, msg->len, &enc);
	free(msg->data);
	*msg = (struct vigil_buf){ 0 };
	if (!rc)
		rc = fwd_write_bytes(f, &enc);
	free(enc.data);
	return rc;
}

/* One whole msgpack object from the server. */
static void fwd_on_object(struct forward *f, const char *obj, size_t len)
{
	char id[FWD_CHUNK_ID_LEN + 8];

	switch (f->state) {
	case CONN_HELO: {
		struct vigil_buf ping = { 0 };
		uint8_t raw[SALT_BYTES];
		int rc;

		if (fwd_parse_helo(obj, len, &f->helo)) {
			fwd_disconnect(f, "expected HELO from the server");
			return;
		}
		if (RAND_bytes(raw, sizeof(raw)) != 1) {
			fwd_disconnect(f, "no random bytes for the salt");
			return;
		}
		for (size_t i = 0; i < sizeof(raw); i++)
			snprintf((char *)f->salt + 2 * i, 3, "%02x", raw[i]);
		rc = fwd_encode_ping(&ping, f->set.self_hostname, f->salt,
				     SALT_BYTES * 2, &f->helo, f->set.shared_key,
				     f->set.username, f->set.password);
		if (!rc)
			rc = fwd_write_msg(f, &ping);
		free(ping.data);
		if (rc) {
			fwd_disconnect(f, "cannot send PING");
			return;
		}
		f->state = CONN_PONG;
		return;
	}
	case CONN_PONG: {
		struct fwd_pong pong;
		char want[FWD_SHA512_HEX_LEN + 1];

		if (fwd_parse_pong(obj, len, &pong)) {
			fwd_disconnect(f, "expected PONG from the server");
			return;
		}
		if (!pong.ok) {
			f->api->log(f->host, VIGIL_LOG_ERR,
				    "%s:%s refused the handshake: %s (check shared_key, username, password)",
				    f->set.peer_host, f->set.port, pong.reason);
			fwd_disconnect(f, "authentication refused");
			return;
		}
		if (fwd_key_digest(f->salt, SALT_BYTES * 2, pong.hostname,
				   f->helo.nonce, f->helo.nonce_len,
				   f->set.shared_key, want) ||
		    strcmp(want, pong.digest)) {
			f->api->log(f->host, VIGIL_LOG_ERR,
				    "%s:%s answered PONG with a wrong digest: it does not know our shared_key",
				    f->set.peer_host, f->set.port);
			fwd_disconnect(f, "server failed authentication");
			return;
		}
		fwd_ready(f);
		return;
	}
	case CONN_READY:
		if (fwd_parse_ack(obj, len, id, sizeof(id)) == 0) {
			struct fwd_chunk *c;

			for (c = f->head; c; c = c->next)
				if (!strcmp(c->id, id))
					break;
			if (!c) {
				f->api->log(f->host, VIGIL_LOG_WARNING,
					    "ack for unknown chunk %s ignored",
					    id);
				return;
			}
			c->acked = true;
			fwd_commit_head(f);
			fwd_pump(f, false);
			return;
		}
		fwd_disconnect(f, "unexpected message from the server");
		return;
	default:
		return;
	}
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct forward *f = h->data;

	(void)hint;
	if (vigil_buf_reserve(&f->rx, 65536)) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	f->rx.len = 0;
	*buf = uv_buf_init(f->rx.data, (unsigned int)(f->rx.cap - 1));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct forward *f = s->data;
	size_t off = 0;

	if (nread == UV_ENOBUFS) {
		fwd_disconnect(f, "out of memory reading");
		return;
	}
	if (nread < 0) {
		fwd_disconnect(f, nread == UV_EOF ? "closed by the server" :
						    uv_strerror((int)nread));
		return;
	}
	if (f->tls) {
		char err[256];
		bool was_ready = vigil_tls_ready(f->tls);
		int rc;

		f->net.len = 0;
		rc = vigil_tls_feed(f->tls, buf->base, (size_t)nread, &f->in,
				    &f->net, err, sizeof(err));
		if (f->net.len) {
			struct vigil_buf out = f->net;

			f->net = (struct vigil_buf){ 0 };
			if (fwd_write_bytes(f, &out)) {
				free(out.data);
				fwd_disconnect(f, "cannot write to the socket");
				return;
			}
			free(out.data);
		}
		if (rc) {
			if (!f->warned_down)
				f->api->log(f->host, VIGIL_LOG_ERR,
					    "%s:%s: %s", f->set.peer_host,
					    f->set.port, err);
			fwd_disconnect(f, err);
			return;
		}
		if (!vigil_tls_ready(f->tls))
			return;
		if (!was_ready) {
			if (f->set.shared_key) {
				f->state = CONN_HELO;
			} else {
				fwd_ready(f);
				if ((struct uv_stream_s *)f->tcp != s)
					return;
			}
		}
	} else if (vigil_buf_append(&f->in, buf->base, (size_t)nread)) {
		fwd_disconnect(f, "out of memory reading");
		return;
	}
	while (off < f->in.len && f->tcp && (struct uv_stream_s *)f->tcp == s) {
		ssize_t n = fwd_object_size(f->in.data + off, f->in.len - off);

		if (n < 0) {
			fwd_disconnect(f, "malformed msgpack from the server");
			return;
		}
		if (n == 0)
			break;
		fwd_on_object(f, f->in.data + off, (size_t)n);
		off += (size_t)n;
	}
	if ((struct uv_stream_s *)f->tcp != s)
		return; /* disconnected while handling */
	memmove(f->in.data, f->in.data + off, f->in.len - off);
	f->in.len -= off;
	if (f->in.len > MAX_RESPONSE)
		fwd_disconnect(f, "server response too large");
}

static void on_tcp_close(uv_handle_t *h)
{
	struct forward *f = h->data;

	free(h);
	fwd_unref(f);
}

/* Schedules the next connection attempt: doubled backoff with jitter. */
static void fwd_schedule(struct forward *f)
{
	int64_t d;

	f->backoff_ms = f->backoff_ms ? f->backoff_ms * 2 : f->set.reconnect_min_ms;
	if (f->backoff_ms > f->set.reconnect_max_ms)
		f->backoff_ms = f->set.reconnect_max_ms;
	/* jitter: between half and all of the delay */
	d = f->backoff_ms / 2 +
	    (int64_t)(rng_next(f) % (uint64_t)(f->backoff_ms / 2 + 1));
	f->next_connect_ms = uv_now(f->loop) + (uint64_t)d;
	f->state = CONN_IDLE;
}

/*
 * Closes the connection, if any.  Chunks in flight go back to the spool:
 * the reader rewinds to the last commit.
 */
static void fwd_disconnect(struct forward *f, const char *why)
{
	struct fwd_chunk *c = f->head;

	if (!f->warned_down && !f->destroyed)
		f->api->log(f->host, VIGIL_LOG_WARNING,
			    "%s:%s: %s; records stay in the spool until it is back",
			    f->set.peer_host, f->set.port, why);
	f->warned_down = true;
	while (c) {
		struct fwd_chunk *next = c->next;

		if (c->written) {
			chunk_free(c);
		} else {
			c->orphan = true;
			c->next = NULL;
		}
		c = next;
	}
	f->head = f->tail = NULL;
	f->n_inflight = 0;
	f->in.len = 0;
	vigil_spool_rewind(f->spool);
	f->unsent_bytes = UINT64_MAX / 2;
	vigil_tls_free(f->tls);
	f->tls = NULL;
	if (f->tcp) {
		uv_close((uv_handle_t *)f->tcp, on_tcp_close);
		f->tcp = NULL;
	}
	if (!f->destroyed)
		fwd_schedule(f);
}

static void on_connect(uv_connect_t *req, int status)
{
	struct forward *f = req->data;

	if (status == UV_ECANCELED || !f->tcp ||
	    req->handle != (uv_stream_t *)f->tcp)
		return;
	if (status < 0) {
		fwd_disconnect(f, uv_strerror(status));
		return;
	}
	uv_tcp_nodelay(f->tcp, 1);
	if (f->set.heartbeat_s > 0)
		uv_tcp_keepalive(f->tcp, 1, (unsigned int)f->set.heartbeat_s);
	f->in.len = 0;
	if (uv_read_start((uv_stream_t *)f->tcp, on_alloc, on_read)) {
		fwd_disconnect(f, "cannot read the socket");
		return;
	}
	if (f->set.tls_ctx) {
		struct vigil_buf hello = { 0 };

		if (vigil_tls_start(f->set.tls_ctx, f->set.server_name, &f->tls,
				    &hello) ||
		    fwd_write_bytes(f, &hello)) {
			free(hello.data);
			fwd_disconnect(f, "cannot start TLS");
			return;
		}
		free(hello.data);
		f->state = CONN_TLS;
		return;
	}
	if (f->set.shared_key) {
		f->state = CONN_HELO;
		return;
	}
	fwd_ready(f);
}

static void on_resolved(uv_getaddrinfo_t *req, int status,
			struct addrinfo *res)
{
	struct forward *f = req->data;
	int rc;

	f->gai_busy = false;
	if (f->destroyed || f->state != CONN_RESOLVING) {
		uv_freeaddrinfo(res);
		fwd_unref(f);
		return;
	}
	f->refs--; /* the request is over; not destroyed, so f lives on */
	if (status < 0) {
		fwd_disconnect(f, uv_strerror(status));
		return;
	}
	f->tcp = calloc(1, sizeof(*f->tcp));
	if (!f->tcp) {
		uv_freeaddrinfo(res);
		fwd_disconnect(f, "out of memory");
		return;
	}
	uv_tcp_init(f->loop, f->tcp);
	f->tcp->data = f;
	f->refs++;
	f->connect_req.data = f;
	f->state = CONN_CONNECTING;
	rc = uv_tcp_connect(&f->connect_req, f->tcp, res->ai_addr, on_connect);
	uv_freeaddrinfo(res);
	if (rc)
		fwd_disconnect(f, uv_strerror(rc));
}

static void fwd_connect(struct forward *f)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM };
	int rc;

	if (f->gai_busy)
		return; /* the last lookup is still out; the tick retries */
	f->state = CONN_RESOLVING;
	f->gai_req.data = f;
	rc = uv_getaddrinfo(f->loop, &f->gai_req, on_resolved, f->set.peer_host,
			    f->set.port, &hints);
	if (rc) {
		fwd_disconnect(f, uv_strerror(rc));
		return;
	}
	f->gai_busy = true;
	f->refs++;
}

/* fsync of the spool, on the thread pool. */
struct sync_work {
	uv_work_t req;
	struct forward *f;
	int fd;
};

static void sync_run(uv_work_t *req)
{
	struct sync_work *w = req->data;

	fsync(w->fd);
}

static void sync_done(uv_work_t *req, int status)
{
	struct sync_work *w = req->data;
	struct forward *f = w->f;

	(void)status;
	close(w->fd);
	free(w);
	f->syncing = false;
	fwd_unref(f);
}

static void fwd_sync(struct forward *f)
{
	struct sync_work *w;

	if (f->syncing)
		return;
	w = calloc(1, sizeof(*w));
	if (!w)
		return;
	w->f = f;
	w->req.data = w;
	w->fd = vigil_spool_dup_fd(f->spool);
	if (w->fd < 0 || uv_queue_work(f->loop, &w->req, sync_run, sync_done)) {
		if (w->fd >= 0)
			close(w->fd);
		free(w);
		return;
	}
	f->syncing = true;
	f->refs++;
}

static void on_unlinked(uv_fs_t *req)
{
	struct forward *f = req->data;

	if (req->result < 0 && req->result != UV_ENOENT)
		f->api->log(f->host, VIGIL_LOG_WARNING,
			    "cannot remove delivered spool segment %s: %s",
			    req->path, uv_strerror((int)req->result));
	uv_fs_req_cleanup(req);
	free(req);
	fwd_unref(f);
}

/* The spool's segment remover: unlink(2) on the thread pool. */
static void fwd_remove_segment(void *arg, const char *path)
{
	struct forward *f = arg;
	uv_fs_t *req = calloc(1, sizeof(*req));

	if (req) {
		req->data = f;
		if (uv_fs_unlink(f->loop, req, path, on_unlinked) == 0) {
			f->refs++;
			return;
		}
		free(req);
	}
	unlink(path); /* the fallback blocks, but frees the disk */
}

static void on_tick(uv_timer_t *t)
{
	struct forward *f = t->data;
	uint64_t now = uv_now(f->loop);

	if (f->state == CONN_IDLE && now >= f->next_connect_ms)
		fwd_connect(f);
	if (f->state == CONN_READY && f->head && f->set.require_ack &&
	    now - f->head->sent_ms > (uint64_t)f->set.ack_timeout_ms) {
		fwd_disconnect(f, "no acknowledgement within ack_timeout");
		return;
	}
	if (now - f->last_flush_ms >= (uint64_t)f->set.flush_ms) {
		f->last_flush_ms = now;
		fwd_pump(f, true);
	}
	if (f->set.sync_ms > 0 && now - f->last_sync_ms >= (uint64_t)f->set.sync_ms) {
		f->last_sync_ms = now;
		fwd_sync(f);
	}
}

/* Encodes ev (and sig) as a spool record: kind byte, forward Entry. */
static int fwd_record(struct forward *f, int kind, const struct vigil_event *ev,
		      const struct vigil_signal *sig)
{
	int rc;

	f->rec.len = 0;
	f->entry.len = 0;
	rc = f->api->encode_msgpack(ev, sig, &f->rec);
	if (!rc)
		rc = vigil_buf_append(&f->entry, &(char){ (char)kind }, 1);
	if (!rc)
		rc = fwd_encode_entry(&f->entry, ev->time_ns, f->rec.data,
				      f->rec.len);
	if (!rc)
		rc = vigil_spool_append(f->spool, f->entry.data, f->entry.len);
	if (rc) {
		f->st.dropped++;
		if (rc != -ENOSPC) {
			f->st.errors++;
			f->api->log(f->host, VIGIL_LOG_ERR,
				    "record not spooled: %s", strerror(-rc));
		}
		return rc == -ENOSPC ? 0 : rc;
	}
	f->unsent_bytes += f->entry.len;
	fwd_pump(f, false);
	return 0;
}

static int forward_event(void *state, const struct vigil_event *ev)
{
	struct forward *f = state;

	f->st.events_in++;
	if (!vigil_select_event(&f->set.sel, ev))
		return 0;
	return fwd_record(f, KIND_EVENT, ev, NULL);
}

static int forward_signal(void *state, const struct vigil_event *ev,
			  const struct vigil_signal *sig)
{
	struct forward *f = state;

	f->st.signals_in++;
	if (!vigil_select_signal(&f->set.sel, sig))
		return 0;
	return fwd_record(f, KIND_SIGNAL, ev, sig);
}

static int forward_flush(void *state)
{
	struct forward *f = state;

	fwd_pump(f, true);
	return 0;
}

static int forward_stats(void *state, struct vigil_plugin_stats *out)
{
	struct forward *f = state;

	vigil_spool_plugin_stats(f->spool, &f->st, out);
	return 0;
}

static void on_tick_close(uv_handle_t *h)
{
	fwd_unref(h->data);
}

static void forward_destroy(void *state)
{
	struct forward *f = state;

	if (!f)
		return;
	f->destroyed = true;
	f->state = CONN_CLOSING;
	/* the spool keeps what was not acknowledged for the next start */
	fwd_disconnect(f, "stopping");
	if (vigil_spool_sync(f->spool))
		f->api->log(f->host, VIGIL_LOG_WARNING, "spool fsync failed");
	uv_close((uv_handle_t *)&f->tick, on_tick_close);
	if (f->refs == 0)
		fwd_free(f);
}

/*
 * The settings a connection is made with, as one string: a reload that
 * changes any of them reconnects (TLS files included, by name: a
 * certificate renewed under the same name needs a change or a restart).
 */
static char *conn_signature(const struct vigil_host_api *api, void *h)
{
	static const char *const keys[] = {
		"host", "port", "mode", "require_ack", "shared_key",
		"self_hostname", "username", "password", "tls.enabled",
		"tls.ca_file", "tls.cert_file", "tls.key_file", "tls.verify",
		"tls.server_name", "heartbeat",
	};

	return vigil_settings_signature(api, h, keys,
					sizeof(keys) / sizeof(keys[0]));
}

/*
 * Reads the configuration into set (zeroed by the caller; free it with
 * fwd_settings_free, also on error) and the spool's directory; logs and
 * returns -EINVAL on a bad value.
 */
static int forward_configure(const struct vigil_host_api *api, void *h,
			     struct fwd_settings *set, char *spool_dir,
			     size_t cap)
{
	const char *v;
	int err = 0;
	int64_t port;
	char hn[HOST_NAME_MAX + 1];

	set->peer_host = vigil_config_dup(api, h, "host", "127.0.0.1");
	port = api->config_int(h, "port", 24224, &err);
	if (err || port < 1 || port > 65535) {
		api->log(h, VIGIL_LOG_ERR, "config.port must be 1-65535");
		return -EINVAL;
	}
	snprintf(set->port, sizeof(set->port), "%lld", (long long)port);
	if (vigil_select_load(api, h, "both", &set->sel))
		return -EINVAL;
	set->tag_events = vigil_config_dup(api, h, "tag_events", "vigil.events");
	set->tag_signals = vigil_config_dup(api, h, "tag_signals", "vigil.signals");
	v = api->config_str(h, "mode", "packed_forward");
	if (!strcmp(v, "forward")) {
		set->mode = FWD_MODE_FORWARD;
	} else if (!strcmp(v, "packed_forward")) {
		set->mode = FWD_MODE_PACKED;
	} else {
		api->log(h, VIGIL_LOG_ERR,
			 "config.mode is '%s'; use forward or packed_forward",
			 v);
		return -EINVAL;
	}
	set->require_ack = api->config_bool(h, "require_ack", 1);
	set->chunk_bytes = api->config_int(h, "chunk_size", 256 << 10, &err);
	if (!err)
		set->flush_ms = api->config_int(h, "flush_interval_ms", 0, &err);
	if (!err && !set->flush_ms)
		set->flush_ms = 1000 * api->config_int(h, "flush_interval", 1,
						     &err);
	if (!err)
		set->max_inflight = api->config_int(h, "max_inflight", 4, &err);
	if (!err)
		set->ack_timeout_ms =
			1000 * api->config_int(h, "ack_timeout", 30, &err);
	if (!err)
		set->heartbeat_s = api->config_int(h, "heartbeat", 30, &err);
	if (!err)
		set->reconnect_min_ms =
			1000 * api->config_int(h, "reconnect_min", 1, &err);
	if (!err)
		set->reconnect_max_ms =
			1000 * api->config_int(h, "reconnect_max", 60, &err);
	if (!err)
		set->sync_ms = 1000 * api->config_int(h, "spool.sync_interval",
						    1, &err);
	if (err || set->chunk_bytes < 1 || set->chunk_bytes > (64 << 20) ||
	    set->flush_ms < 1 || set->max_inflight < 1 ||
	    set->max_inflight > 1024 || set->ack_timeout_ms < 1000 ||
	    set->reconnect_min_ms < 1 ||
	    set->reconnect_max_ms < set->reconnect_min_ms) {
		api->log(h, VIGIL_LOG_ERR,
			 "config: chunk_size is a size up to 64M, flush_interval, ack_timeout (>= 1s), reconnect_min <= reconnect_max are durations, max_inflight 1-1024");
		return -EINVAL;
	}
	if (api->config_bool(h, "tls.enabled", 0)) {
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
		set->server_name = vigil_config_dup(api, h, "tls.server_name", set->peer_host);
		if (!set->server_name)
			return -ENOMEM;
	}
	v = api->config_str(h, "shared_key", NULL);
	if (v && *v) {
		set->shared_key = strdup(v);
		if (gethostname(hn, sizeof(hn)))
			strcpy(hn, "localhost");
		hn[sizeof(hn) - 1] = '\0';
		set->self_hostname = vigil_config_dup(api, h, "self_hostname", hn);
		set->username = vigil_config_dup(api, h, "username", "");
		set->password = vigil_config_dup(api, h, "password", "");
	}
	v = api->config_str(h, "spool.dir", NULL);
	if (v) {
		snprintf(spool_dir, cap, "%s", v);
	} else {
		const char *sd = api->state_dir(h);

		if (!sd) {
			api->log(h, VIGIL_LOG_ERR,
				 "no state_dir for the spool: set agent.state_dir or config.spool.dir");
			return -EINVAL;
		}
		snprintf(spool_dir, cap, "%s/spool/%s", sd,
			 api->config_str(h, "spool.name", "forward"));
	}
	if (!set->peer_host || !set->tag_events || !set->tag_signals ||
	    (set->shared_key &&
	     (!set->self_hostname || !set->username || !set->password)))
		return -ENOMEM;
	set->conn_sig = conn_signature(api, h);
	return set->conn_sig ? 0 : -ENOMEM;
}

static int forward_init(const struct vigil_host_api *api, void *host,
			void **state)
{
	struct forward *f;
	struct vigil_spool_opts so = { 0 };
	struct vigil_spool_stats ss;
	char dir[PATH_MAX];
	const char *on_full;
	int err = 0, rc;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->api = api;
	f->host = host;
	f->loop = api->loop(host);
	if (!f->loop) {
		api->log(host, VIGIL_LOG_ERR,
			 "the forward output needs the daemon's event loop");
		rc = -EINVAL;
		goto out_free;
	}
	rc = forward_configure(api, host, &f->set, dir, sizeof(dir));
	if (rc)
		goto out_free;
	snprintf(f->spool_dir, sizeof(f->spool_dir), "%s", dir);
	so.dir = dir;
	so.remove = fwd_remove_segment;
	so.remove_arg = f;
	so.max_bytes = (uint64_t)api->config_int(host, "spool.max_size", 0, &err);
	if (!err)
		so.segment_bytes = (uint64_t)api->config_int(
			host, "spool.segment_size", 0, &err);
	on_full = api->config_str(host, "spool.on_full", "drop_oldest");
	if (!strcmp(on_full, "drop_newest")) {
		so.full_policy = VIGIL_SPOOL_DROP_NEWEST;
	} else if (strcmp(on_full, "drop_oldest")) {
		err = -EINVAL;
	}
	if (err) {
		api->log(host, VIGIL_LOG_ERR,
			 "config.spool: max_size and segment_size are sizes, on_full is drop_oldest or drop_newest");
		rc = -EINVAL;
		goto out_free;
	}
	rc = vigil_spool_open(&so, &f->spool);
	if (rc) {
		api->log(host, VIGIL_LOG_ERR, "cannot open the spool %s: %s%s",
			 dir, strerror(-rc),
			 rc == -EBUSY ?
				 " (another forwarder uses it: give each its own spool.name)" :
				 "");
		goto out_free;
	}
	vigil_spool_get_stats(f->spool, &ss);
	if (ss.torn || ss.corrupt)
		api->log(host, VIGIL_LOG_WARNING,
			 "spool %s: %llu torn and %llu corrupt records cut at open",
			 dir, (unsigned long long)ss.torn,
			 (unsigned long long)ss.corrupt);
	if (ss.pending)
		api->log(host, VIGIL_LOG_INFO,
			 "spool %s: %llu records to send from the last run",
			 dir, (unsigned long long)ss.pending);
	f->unsent_bytes = ss.pending ? UINT64_MAX / 2 : 0;
	if (RAND_bytes((unsigned char *)&f->rng, sizeof(f->rng)) != 1 || !f->rng)
		f->rng = (uint64_t)uv_hrtime() | 1;
	uv_timer_init(f->loop, &f->tick);
	f->tick.data = f;
	f->refs = 1;
	uv_timer_start(&f->tick, on_tick, TICK_MS / 10, TICK_MS / 10);
	f->last_flush_ms = f->last_sync_ms = uv_now(f->loop);
	fwd_connect(f);
	*state = f;
	return 0;

out_free:
	fwd_free(f);
	return rc;
}

/*
 * SIGHUP: reads the settings again.  A bad value keeps the running ones
 * (-EINVAL, the host says so).  Selection, tags, flush and timing apply
 * at once; a change of destination, protocol mode, authentication or TLS
 * closes the connection and opens one with the new settings (chunks not
 * yet acknowledged go back to the spool and are sent there: nothing is
 * lost).  The spool (dir, name, sizes) stays until a restart.
 */
static int forward_reload(void *state)
{
	struct forward *f = state;
	struct fwd_settings set = { 0 };
	char dir[PATH_MAX];
	bool reconnect;
	int rc;

	rc = forward_configure(f->api, f->host, &set, dir, sizeof(dir));
	if (rc) {
		fwd_settings_free(&set);
		return rc;
	}
	vigil_spool_note_reload(f->api, f->host, f->spool_dir, dir);
	reconnect = strcmp(set.conn_sig, f->set.conn_sig) != 0;
	if (reconnect && f->state != CONN_IDLE)
		fwd_disconnect(f, "settings reloaded; reconnecting");
	fwd_settings_free(&f->set);
	f->set = set;
	if (reconnect) {
		/* The new destination at once, not after a backoff. */
		f->backoff_ms = 0;
		f->warned_down = false;
		if (f->state == CONN_IDLE)
			f->next_connect_ms = uv_now(f->loop);
	}
	f->api->log(f->host, VIGIL_LOG_NOTICE, "settings reloaded%s",
		    reconnect ? "; connecting to the new destination" : "");
	return 0;
}

static const struct vigil_plugin forward_plugin = {
	VIGIL_PLUGIN_HEADER,
	.kind = VIGIL_PLUGIN_SINK,
	.name = "forward",
	.version = "1.0",
	.description = "Fluent forward protocol output with acks and a disk spool",
	.init = forward_init,
	.on_event = forward_event,
	.on_signal = forward_signal,
	.flush = forward_flush,
	.stats = forward_stats,
	.reload = forward_reload,
	.destroy = forward_destroy,
};

const struct vigil_plugin *vigil_plugin_entry(void)
{
	return &forward_plugin;
}
