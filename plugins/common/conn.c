/*
 * conn.c - a spooling output's connection to its peer (see conn.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conn.h"

static const char *const state_name[] = {
	[VIGIL_CONN_RESOLVING] = "name resolution",
	[VIGIL_CONN_CONNECTING] = "TCP connect",
	[VIGIL_CONN_TLS] = "TLS handshake",
	[VIGIL_CONN_HANDSHAKE] = "protocol handshake",
};

int vigil_conn_setup(const struct vigil_host_api *api, void *h,
		     struct vigil_conn_opts *o, const char *extra)
{
	char terr[512];
	FILE *m;
	size_t len;

	snprintf(o->port, sizeof(o->port), "%u", (unsigned)o->port_num);
	if (vigil_outlet_backoff_check(api, h, "reconnect", o->reconnect_min_ms,
				       o->reconnect_max_ms))
		return -EINVAL;
	if (!o->server_name)
		o->server_name = o->host;
	if (o->use_tls) {
		if (!o->tls.verify)
			api->log(h, VIGIL_LOG_WARNING,
				 "config.tls.verify is off: the server is not authenticated");
		if (vigil_tls_ctx_new(&o->tls, &o->tls_ctx, terr,
				      sizeof(terr))) {
			api->log(h, VIGIL_LOG_ERR, "config.tls: %s", terr);
			return -EINVAL;
		}
	}
	m = open_memstream(&o->sig, &len);
	if (!m)
		return -ENOMEM;
	fprintf(m, "%s\n%s\n%d%d%d%d%d\n%s\n%s\n%s\n%s\n%lld\n%s",
		o->host, o->port, o->udp, o->use_tls, o->tls.verify,
		o->handshake, o->need_ack, o->tls.ca_file ? o->tls.ca_file : "",
		o->tls.cert_file ? o->tls.cert_file : "",
		o->tls.key_file ? o->tls.key_file : "", o->server_name,
		(long long)o->keepalive_s, extra ? extra : "");
	if (fclose(m)) {
		free(o->sig);
		o->sig = NULL;
		return -ENOMEM;
	}
	return 0;
}

void vigil_conn_opts_free(struct vigil_conn_opts *o)
{
	vigil_tls_ctx_free(o->tls_ctx);
	free(o->sig);
	memset(o, 0, sizeof(*o));
}

void vigil_conn_init(struct vigil_conn *c, struct vigil_outlet *out,
		     const struct vigil_conn_opts *opts,
		     const struct vigil_conn_ops *ops, void *owner)
{
	c->out = out;
	c->opts = opts;
	c->ops = ops;
	c->owner = owner;
	c->state = VIGIL_CONN_IDLE;
}

static uint64_t now_ms(const struct vigil_conn *c)
{
	return uv_now(c->out->loop);
}

/* Enters a state before READY, with its deadline. */
static void conn_enter(struct vigil_conn *c, enum vigil_conn_state s)
{
	c->state = s;
	c->next_ms = now_ms(c) + (uint64_t)c->opts->connect_timeout_ms;
}

static void write_free(struct vigil_conn_write *w)
{
	free(w->data.data);
	free(w);
}

/*
 * Commits the acknowledged writes at the head of the list, in order.  A
 * write is freed only once libuv is done with it too: a peer can ack a
 * chunk before on_write() has run for it (both in one loop turn), and
 * freeing it then left on_write() with a freed request.
 */
static void commit_head(struct vigil_conn *c)
{
	struct vigil_outlet *o = c->out;

	while (c->head && c->head->acked && c->head->written) {
		struct vigil_conn_write *w = c->head;
		int rc = w->n ? vigil_spool_commit(o->spool, &w->end) : 0;

		if (rc) {
			o->st.errors++;
			o->api->log(o->host, VIGIL_LOG_ERR,
				    "spool commit failed: %s (records will be sent again after a restart)",
				    strerror(-rc));
		}
		o->st.records_out += w->n;
		c->head = w->next;
		if (!c->head)
			c->tail = NULL;
		c->n_inflight--;
		write_free(w);
	}
}

static void on_write(uv_write_t *req, int status)
{
	struct vigil_conn_write *w = req->data;
	struct vigil_conn *c = w->c;

	if (w->orphan) {
		struct vigil_outlet *o = c->out;

		write_free(w);
		vigil_outlet_unref(o);
		return;
	}
	/* not an orphan, so not destroyed: c outlives this reference */
	c->out->refs--;
	if (status < 0) {
		vigil_conn_drop(c, uv_strerror(status));
		return;
	}
	w->written = true;
	c->out->st.bytes_out += w->data.len;
	if (!c->opts->need_ack)
		w->acked = true;
	/* without acks, or with the ack already in: commit now */
	if (w->acked) {
		commit_head(c);
		if (c->ops->sent)
			c->ops->sent(c);
	}
}

/*
 * Queues w on the stream; with track it joins the in-flight list, else it
 * is an orphan freed when written.  On failure w is freed.  0 or -errno.
 */
static int write_start(struct vigil_conn *c, struct vigil_conn_write *w,
		       bool track)
{
	uv_buf_t b = uv_buf_init(w->data.data, (unsigned int)w->data.len);
	int rc;

	w->c = c;
	w->orphan = !track;
	w->req.data = w;
	rc = uv_write(&w->req, (uv_stream_t *)c->tcp, &b, 1, on_write);
	if (rc) {
		write_free(w);
		return rc;
	}
	c->out->refs++;
	if (track) {
		w->sent_ms = now_ms(c);
		if (c->tail)
			c->tail->next = w;
		else
			c->head = w;
		c->tail = w;
		c->n_inflight++;
	}
	return 0;
}

/* Writes bytes as they are (taking their memory), not tracked. */
static int write_raw(struct vigil_conn *c, struct vigil_buf *data)
{
	struct vigil_conn_write *w = calloc(1, sizeof(*w));

	if (!w) {
		free(data->data);
		*data = (struct vigil_buf){ 0 };
		return -ENOMEM;
	}
	w->data = *data;
	*data = (struct vigil_buf){ 0 };
	return write_start(c, w, false);
}

/* Encrypts data in place when TLS is on.  0 or -EPROTO. */
static int seal(struct vigil_conn *c, struct vigil_buf *data)
{
	struct vigil_buf enc = { 0 };

	if (!c->tls)
		return 0;
	if (vigil_tls_encrypt(c->tls, data->data, data->len, &enc)) {
		free(enc.data);
		return -EPROTO;
	}
	free(data->data);
	*data = enc;
	return 0;
}

int vigil_conn_send(struct vigil_conn *c, struct vigil_buf *data,
		    const struct vigil_spool_pos *end, uint32_t n,
		    const char *id)
{
	struct vigil_conn_write *w;
	int rc;

	if (seal(c, data)) {
		free(data->data);
		*data = (struct vigil_buf){ 0 };
		vigil_conn_drop(c, "TLS encryption failed");
		return -EPROTO;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		free(data->data);
		*data = (struct vigil_buf){ 0 };
		c->out->st.errors++;
		vigil_conn_drop(c, "out of memory");
		return -ENOMEM;
	}
	w->data = *data;
	*data = (struct vigil_buf){ 0 };
	w->end = *end;
	w->n = n;
	if (id)
		snprintf(w->id, sizeof(w->id), "%s", id);
	rc = write_start(c, w, true);
	if (rc)
		vigil_conn_drop(c, uv_strerror(rc));
	return rc;
}

int vigil_conn_send_ctl(struct vigil_conn *c, struct vigil_buf *msg)
{
	if (seal(c, msg)) {
		free(msg->data);
		*msg = (struct vigil_buf){ 0 };
		return -EPROTO;
	}
	return write_raw(c, msg);
}

int vigil_conn_send_udp(struct vigil_conn *c, const void *data, size_t len)
{
	uv_buf_t b = uv_buf_init((char *)data, (unsigned int)len);

	return uv_udp_try_send(c->udp, &b, 1, (const struct sockaddr *)&c->addr);
}

int vigil_conn_ack(struct vigil_conn *c, const char *id)
{
	struct vigil_conn_write *w;

	for (w = c->head; w; w = w->next)
		if (w->id[0] && !strcmp(w->id, id))
			break;
	if (!w)
		return -ENOENT;
	w->acked = true;
	commit_head(c);
	if (c->ops->sent)
		c->ops->sent(c);
	return 0;
}

void vigil_conn_ready(struct vigil_conn *c)
{
	struct vigil_outlet *o = c->out;

	c->state = VIGIL_CONN_READY;
	c->backoff_ms = 0;
	if (c->warned)
		o->api->log(o->host, VIGIL_LOG_NOTICE,
			    "connected to %s:%s; sending the spool",
			    c->opts->host, c->opts->port);
	c->warned = false;
	c->ops->ready(c);
}

void vigil_conn_consume(struct vigil_conn *c, size_t n)
{
	if (n >= c->in.len) {
		c->in.len = 0;
		return;
	}
	memmove(c->in.data, c->in.data + n, c->in.len - n);
	c->in.len -= n;
}

static void on_close_free(uv_handle_t *h)
{
	struct vigil_conn *c = h->data;

	free(h);
	vigil_outlet_unref(c->out);
}

void vigil_conn_drop(struct vigil_conn *c, const char *why)
{
	struct vigil_outlet *o = c->out;
	struct vigil_conn_write *w = c->head;

	if (!c->warned && !o->destroyed)
		o->api->log(o->host, VIGIL_LOG_WARNING,
			    "%s:%s: %s; records stay in the spool until it is back",
			    c->opts->host, c->opts->port, why);
	c->warned = true;
	while (w) {
		struct vigil_conn_write *next = w->next;

		if (w->written) {
			write_free(w);
		} else {
			w->orphan = true;
			w->next = NULL;
		}
		w = next;
	}
	c->head = c->tail = NULL;
	c->n_inflight = 0;
	c->in.len = 0;
	vigil_spool_rewind(o->spool);
	vigil_tls_free(c->tls);
	c->tls = NULL;
	if (c->tcp) {
		uv_close((uv_handle_t *)c->tcp, on_close_free);
		c->tcp = NULL;
	}
	if (c->udp) {
		uv_close((uv_handle_t *)c->udp, on_close_free);
		c->udp = NULL;
	}
	c->gen++;
	if (c->ops->down)
		c->ops->down(c);
	if (o->destroyed || c->state == VIGIL_CONN_STOPPED) {
		c->state = VIGIL_CONN_STOPPED;
		return;
	}
	c->state = VIGIL_CONN_IDLE;
	c->next_ms = now_ms(c) +
		     (uint64_t)vigil_outlet_backoff(o, &c->backoff_ms,
						    c->opts->reconnect_min_ms,
						    c->opts->reconnect_max_ms);
}

/* TCP (and TLS) is up: the protocol's handshake, or READY. */
static void transport_up(struct vigil_conn *c)
{
	if (c->opts->handshake)
		conn_enter(c, VIGIL_CONN_HANDSHAKE);
	else
		vigil_conn_ready(c);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct vigil_conn *c = h->data;

	(void)hint;
	if (vigil_buf_reserve(&c->rx, 65536)) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	c->rx.len = 0;
	*buf = uv_buf_init(c->rx.data, (unsigned int)(c->rx.cap - 1));
}

/* Ciphertext from the peer: handshake, records.  0, or -1 if dropped. */
static int tls_read(struct vigil_conn *c, const char *data, size_t len)
{
	struct vigil_outlet *o = c->out;
	char err[256];
	bool was_ready = vigil_tls_ready(c->tls);
	int rc;

	c->net.len = 0;
	rc = vigil_tls_feed(c->tls, data, len, &c->in, &c->net, err,
			    sizeof(err));
	if (c->net.len) {
		struct vigil_buf out = c->net;

		c->net = (struct vigil_buf){ 0 };
		if (write_raw(c, &out)) {
			vigil_conn_drop(c, "cannot write to the socket");
			return -1;
		}
	}
	if (rc) {
		if (!c->warned)
			o->api->log(o->host, VIGIL_LOG_ERR, "%s:%s: %s",
				    c->opts->host, c->opts->port, err);
		vigil_conn_drop(c, err);
		return -1;
	}
	if (!was_ready && vigil_tls_ready(c->tls))
		transport_up(c);
	return 0;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct vigil_conn *c = s->data;
	unsigned int gen = c->gen;

	if (nread == UV_ENOBUFS) {
		vigil_conn_drop(c, "out of memory reading");
		return;
	}
	if (nread < 0) {
		vigil_conn_drop(c, nread == UV_EOF ? "closed by the server" :
						     uv_strerror((int)nread));
		return;
	}
	if (nread == 0)
		return;
	if (c->tls) {
		if (tls_read(c, buf->base, (size_t)nread))
			return;
	} else if (vigil_buf_append(&c->in, buf->base, (size_t)nread)) {
		vigil_conn_drop(c, "out of memory reading");
		return;
	}
	if (c->gen != gen)
		return; /* dropped while becoming ready */
	if (!c->ops->input)
		c->in.len = 0; /* a peer that has nothing to say to us */
	else if (c->in.len)
		c->ops->input(c);
	if (c->gen == gen && c->in.len > VIGIL_CONN_MAX_INPUT)
		vigil_conn_drop(c, "server response too large");
}

static void on_connect(uv_connect_t *req, int status)
{
	struct vigil_conn *c = req->data;

	if (status == UV_ECANCELED || !c->tcp ||
	    req->handle != (uv_stream_t *)c->tcp)
		return;
	if (status < 0) {
		vigil_conn_drop(c, uv_strerror(status));
		return;
	}
	uv_tcp_nodelay(c->tcp, 1);
	if (c->opts->keepalive_s > 0)
		uv_tcp_keepalive(c->tcp, 1, (unsigned int)c->opts->keepalive_s);
	c->in.len = 0;
	if (uv_read_start((uv_stream_t *)c->tcp, on_alloc, on_read)) {
		vigil_conn_drop(c, "cannot read the socket");
		return;
	}
	if (c->opts->tls_ctx) {
		struct vigil_buf hello = { 0 };

		if (vigil_tls_start(c->opts->tls_ctx, c->opts->server_name,
				    &c->tls, &hello) ||
		    write_raw(c, &hello)) {
			free(hello.data);
			vigil_conn_drop(c, "cannot start TLS");
			return;
		}
		conn_enter(c, VIGIL_CONN_TLS);
		return;
	}
	transport_up(c);
}

static void on_resolved(uv_getaddrinfo_t *req, int status,
			struct addrinfo *res)
{
	struct vigil_conn *c = req->data;
	struct vigil_outlet *o = c->out;
	uv_handle_t *handle;
	int rc;

	c->gai_busy = false;
	if (o->destroyed || c->state != VIGIL_CONN_RESOLVING) {
		uv_freeaddrinfo(res);
		vigil_outlet_unref(o);
		return;
	}
	o->refs--; /* the request is over; not destroyed, so c lives on */
	if (status < 0) {
		vigil_conn_drop(c, uv_strerror(status));
		return;
	}
	memcpy(&c->addr, res->ai_addr, res->ai_addrlen);
	uv_freeaddrinfo(res);
	/* UDP needs no more than a socket: READY at once */
	if (c->opts->udp && (c->udp = calloc(1, sizeof(*c->udp))))
		uv_udp_init(o->loop, c->udp);
	else if (!c->opts->udp && (c->tcp = calloc(1, sizeof(*c->tcp))))
		uv_tcp_init(o->loop, c->tcp);
	handle = c->udp ? (uv_handle_t *)c->udp : (uv_handle_t *)c->tcp;
	if (!handle) {
		vigil_conn_drop(c, "out of memory");
		return;
	}
	handle->data = c;
	o->refs++;
	if (c->udp) {
		vigil_conn_ready(c);
		return;
	}
	c->connect_req.data = c;
	conn_enter(c, VIGIL_CONN_CONNECTING);
	rc = uv_tcp_connect(&c->connect_req, c->tcp,
			    (const struct sockaddr *)&c->addr, on_connect);
	if (rc)
		vigil_conn_drop(c, uv_strerror(rc));
}

void vigil_conn_start(struct vigil_conn *c)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = c->opts->udp ? SOCK_DGRAM : SOCK_STREAM,
	};
	int rc;

	if (c->gai_busy)
		return; /* the last lookup is still out; the tick retries */
	conn_enter(c, VIGIL_CONN_RESOLVING);
	c->gai.data = c;
	rc = uv_getaddrinfo(c->out->loop, &c->gai, on_resolved, c->opts->host,
			    c->opts->port, &hints);
	if (rc) {
		vigil_conn_drop(c, uv_strerror(rc));
		return;
	}
	c->gai_busy = true;
	c->out->refs++;
}

/* A state before READY outlived connect_timeout: said every time, since
 * a silent peer is otherwise invisible. */
static void conn_timeout(struct vigil_conn *c)
{
	char why[128];

	snprintf(why, sizeof(why), "no %s within connect_timeout (%lldms)",
		 state_name[c->state], (long long)c->opts->connect_timeout_ms);
	c->warned = false;
	vigil_conn_drop(c, why);
}

void vigil_conn_tick(struct vigil_conn *c)
{
	uint64_t now = now_ms(c);
	const struct vigil_conn_write *h = c->head;

	switch (c->state) {
	case VIGIL_CONN_IDLE:
		if (now >= c->next_ms)
			vigil_conn_start(c);
		break;
	case VIGIL_CONN_RESOLVING:
	case VIGIL_CONN_CONNECTING:
	case VIGIL_CONN_TLS:
	case VIGIL_CONN_HANDSHAKE:
		if (now >= c->next_ms)
			conn_timeout(c);
		break;
	case VIGIL_CONN_READY:
		if (h && c->opts->need_ack && c->opts->ack_timeout_ms > 0 &&
		    now - h->sent_ms > (uint64_t)c->opts->ack_timeout_ms)
			vigil_conn_drop(c, "no acknowledgement within ack_timeout");
		break;
	default:
		break;
	}
}

bool vigil_conn_reloading(struct vigil_conn *c,
			  const struct vigil_conn_opts *next)
{
	if (!strcmp(next->sig, c->opts->sig))
		return false;
	if (c->state != VIGIL_CONN_IDLE)
		vigil_conn_drop(c, "settings reloaded; reconnecting");
	/* the new destination at once, not after a backoff */
	c->backoff_ms = 0;
	c->warned = false;
	c->next_ms = now_ms(c);
	return true;
}

void vigil_conn_stop(struct vigil_conn *c)
{
	c->state = VIGIL_CONN_STOPPED;
	vigil_conn_drop(c, "stopping");
}

void vigil_conn_free(struct vigil_conn *c)
{
	free(c->rx.data);
	free(c->in.data);
	free(c->net.data);
}
