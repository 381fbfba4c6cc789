/*
 * conn.h - the connection of a spooling output to its peer (forward,
 * syslog, and the notifiers to come): resolve (uv_getaddrinfo), TCP
 * connect or a UDP socket, optional TLS (tls.h), the output protocol's
 * own handshake if it has one, then a window of writes read from the
 * spool, each committed in order when written or when the peer
 * acknowledges it.  A lost connection rewinds the spool to the last
 * commit and tries again after a backoff with jitter; every state before
 * READY has a deadline (connect_timeout), so a peer that accepts and then
 * stays silent is given up on, logged, and tried again.
 *
 *   IDLE -> RESOLVING -> CONNECTING -> [TLS] -> [HANDSHAKE] -> READY
 *     ^________________ vigil_conn_drop (backoff) _______________|
 *
 * The connection lives in the plugin's state, beside its outlet
 * (outlet.h), whose reference count, spool and counters it uses.  Its
 * settings (struct vigil_conn_opts) are part of the plugin's settings: a
 * reload reads new ones, asks vigil_conn_reloading whether the
 * connection must be made again, then swaps them in.
 */
#ifndef VIGIL_CONN_H
#define VIGIL_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#include <vigil/plugin.h>

#include "outlet.h"
#include "tls.h"

/* Bytes from the peer not yet consumed: more is hostile. */
#define VIGIL_CONN_MAX_INPUT (64 * 1024)

enum vigil_conn_state {
	VIGIL_CONN_IDLE,       /* down; the next attempt is at next_ms */
	VIGIL_CONN_RESOLVING,
	VIGIL_CONN_CONNECTING,
	VIGIL_CONN_TLS,        /* TLS handshake */
	VIGIL_CONN_HANDSHAKE,  /* the output protocol's handshake */
	VIGIL_CONN_READY,
	VIGIL_CONN_STOPPED,    /* the plugin is going away */
};

/*
 * How to connect: part of the plugin's settings.  The first members are
 * read by VIGIL_CONN_ENTRIES, the plugin sets the next ones, and
 * vigil_conn_setup makes the rest (free them with vigil_conn_opts_free).
 */
struct vigil_conn_opts {
	const char *host;
	uint16_t port_num;
	int64_t connect_timeout_ms; /* deadline of each state before READY */
	int64_t reconnect_min_ms, reconnect_max_ms;
	struct vigil_tls_opts tls;
	const char *server_name; /* TLS: SNI and the name verified; NULL: host */

	bool use_tls;
	bool udp;
	bool handshake;      /* HANDSHAKE after TLS until vigil_conn_ready */
	bool need_ack;       /* commit on vigil_conn_ack, not when written */
	int64_t keepalive_s; /* TCP keepalive idle time; 0: off */
	int64_t ack_timeout_ms; /* need_ack: of the oldest write */

	char port[16];
	struct vigil_tls_ctx *tls_ctx; /* NULL: no TLS */
	char *sig; /* the settings a connection depends on, as one string */
};

/*
 * Entries of a plugin's table for the struct vigil_conn_opts member m of
 * T: host (127.0.0.1), port (dflt_port, from min_port), connect_timeout
 * (10s), reconnect_min/_max (1s, 60s) and tls.{ca_file, cert_file,
 * key_file, verify, server_name}.
 */
#define VIGIL_CONN_ENTRIES(T, m, dflt_port, min_port)                          \
	{ VIGIL_CFG_STR("host", T, m.host, "127.0.0.1", "the peer") },         \
	{ VIGIL_CFG_INT("port", T, m.port_num, dflt_port, min_port, 65535,     \
			NULL) },                                               \
	{ VIGIL_CFG_DURATION_MS("connect_timeout", T, m.connect_timeout_ms,    \
				10000, 1000, 3600000,                          \
				"deadline of each step before sending") },     \
	VIGIL_OUTLET_BACKOFF_ENTRIES("reconnect", T, m.reconnect_min_ms,       \
				     m.reconnect_max_ms),                      \
	VIGIL_TLS_ENTRIES(T, m.tls),                                           \
	{ VIGIL_CFG_STR("tls.server_name", T, m.server_name, NULL,             \
			"the name verified and sent; default: host") }

/*
 * Completes o after its table was read and the plugin set use_tls and
 * the rest: the port's text, the TLS context, and sig, the settings as
 * one string with extra (the plugin's own connection settings) at the
 * end.  0, or -EINVAL after logging, or -ENOMEM; free o also on error.
 */
int vigil_conn_setup(const struct vigil_host_api *api, void *host,
		     struct vigil_conn_opts *o, const char *extra);
void vigil_conn_opts_free(struct vigil_conn_opts *o);

struct vigil_conn;

struct vigil_conn_ops {
	/* READY: send what waits. */
	void (*ready)(struct vigil_conn *c);
	/* Writes were committed: there is room in the window.  May be NULL. */
	void (*sent)(struct vigil_conn *c);
	/* Plaintext from the peer is in c->in: take what is whole and
	 * vigil_conn_consume it.  NULL: what the peer says is ignored. */
	void (*input)(struct vigil_conn *c);
	/* The connection was dropped (the spool is rewound).  May be NULL. */
	void (*down)(struct vigil_conn *c);
};

/* One write on the stream.  Owned by the in-flight list, or, once its
 * connection is gone or when it is not tracked (orphan), by its request. */
struct vigil_conn_write {
	struct vigil_conn_write *next;
	struct vigil_conn *c;
	uv_write_t req;
	struct vigil_buf data;
	struct vigil_spool_pos end; /* spool position after its records */
	uint32_t n;                 /* records in it */
	uint64_t sent_ms;
	char id[32];                /* what the peer's ack names, or "" */
	bool written, acked, orphan;
};

struct vigil_conn {
	struct vigil_outlet *out;
	const struct vigil_conn_opts *opts; /* in the plugin's settings */
	const struct vigil_conn_ops *ops;
	void *owner;                        /* the plugin's state */
	enum vigil_conn_state state;
	uint64_t next_ms;  /* IDLE: next attempt; before READY: deadline */
	int64_t backoff_ms;
	unsigned int gen;  /* counts drops: a callback can tell it outlived
			    * its connection */
	uv_getaddrinfo_t gai;
	uv_connect_t connect_req;
	uv_tcp_t *tcp;     /* per connection; freed on close */
	uv_udp_t *udp;
	struct sockaddr_storage addr;
	struct vigil_tls *tls;
	struct vigil_buf rx;  /* bytes as read from the socket */
	struct vigil_buf in;  /* plaintext read, not yet consumed */
	struct vigil_buf net; /* TLS bytes to write */
	struct vigil_conn_write *head, *tail;
	int64_t n_inflight;
	bool warned;   /* the peer is down and the user was told */
	bool gai_busy; /* gai in flight (a reload may have left it) */
};

void vigil_conn_init(struct vigil_conn *c, struct vigil_outlet *out,
		     const struct vigil_conn_opts *opts,
		     const struct vigil_conn_ops *ops, void *owner);
/* The first attempt, now. */
void vigil_conn_start(struct vigil_conn *c);
/* From the outlet's tick: attempts when due, deadlines, ack timeout. */
void vigil_conn_tick(struct vigil_conn *c);

/* READY with fewer than window writes in flight. */
static inline bool vigil_conn_can_send(const struct vigil_conn *c,
				       int64_t window)
{
	return c->state == VIGIL_CONN_READY && c->n_inflight < window;
}

/*
 * Writes data (n records, ending at spool position end; through TLS if
 * on) and tracks it until committed; id is what the peer's ack will name
 * (NULL: none).  Takes data's memory.  0, or -errno after dropping the
 * connection.
 */
int vigil_conn_send(struct vigil_conn *c, struct vigil_buf *data,
		    const struct vigil_spool_pos *end, uint32_t n,
		    const char *id);
/* A protocol message (through TLS if on), not tracked.  Takes msg's
 * memory.  0 or -errno; the caller decides whether to drop. */
int vigil_conn_send_ctl(struct vigil_conn *c, struct vigil_buf *msg);
/* UDP: one datagram now.  0 or a libuv error (UV_EAGAIN: later). */
int vigil_conn_send_udp(struct vigil_conn *c, const void *data, size_t len);

/* The peer acknowledged the write named id: commits what it can.
 * -ENOENT when no write in flight has that id. */
int vigil_conn_ack(struct vigil_conn *c, const char *id);
/* The protocol's handshake is done (or there is none): READY. */
void vigil_conn_ready(struct vigil_conn *c);
/* Drops n bytes from the front of c->in. */
void vigil_conn_consume(struct vigil_conn *c, size_t n);

/*
 * Closes the connection, if any: writes not yet committed go back to the
 * spool (it rewinds to the last commit), and the next attempt is after a
 * backoff.  The first drop after being up is logged with why.
 */
void vigil_conn_drop(struct vigil_conn *c, const char *why);

/*
 * A reload read next: when it names another peer (next->sig differs)
 * drops the connection and makes the next attempt at once.  Returns
 * whether it did; the caller then swaps next in.
 */
bool vigil_conn_reloading(struct vigil_conn *c,
			  const struct vigil_conn_opts *next);

/* The plugin is going away: closes without another attempt. */
void vigil_conn_stop(struct vigil_conn *c);
/* Frees the buffers (from the plugin's release). */
void vigil_conn_free(struct vigil_conn *c);

#endif /* VIGIL_CONN_H */
