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
 *   connect_timeout       deadline of each step before sending: resolve,
 *                         connect, TLS, HELO/PONG (10s)
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
 * every record at least once and in order.  The connection (resolve,
 * TCP, TLS, backoff, deadlines, the window of writes) is conn.h's, the
 * spool and counters outlet.h's; this file is the protocol: chunks,
 * HELO/PING/PONG and acks.
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
#include "conn.h"
#include "forward_proto.h"
#include "outlet.h"
#include "select.h"

#define KIND_EVENT 'e'
#define KIND_SIGNAL 's'
#define SALT_BYTES 16

/* Where the HELO/PING/PONG handshake is (the connection's HANDSHAKE). */
enum fwd_hs { HS_HELO, HS_PONG };

/* The settings (forward_configure); a reload swaps them whole. */
struct fwd_settings {
	struct vigil_conn_opts conn; /* host, port, TLS, timing */
	struct vigil_select sel; /* what, event_types, min_severity */
	struct vigil_outlet_spool_conf spool;
	const char *tag_events, *tag_signals;
	int32_t mode; /* enum fwd_mode */
	int64_t chunk_bytes, flush_ms, flush_ms_int, max_inflight, sync_ms;
	const char *shared_key, *username, *password;
	char self_hostname[HOST_NAME_MAX + 1];
};

static const struct vigil_config_name fwd_modes[] = {
	{ "forward", FWD_MODE_FORWARD },
	{ "packed_forward", FWD_MODE_PACKED },
	{ NULL, 0 },
};

#define S struct fwd_settings
static const struct vigil_config_entry fwd_table[] = {
	VIGIL_CONN_ENTRIES(S, conn, 24224, 1),
	{ VIGIL_CFG_BOOL("tls.enabled", S, conn.use_tls, 0, NULL) },
	VIGIL_SELECT_ENTRIES(S, sel, VIGIL_SELECT_EVENTS | VIGIL_SELECT_SIGNALS),
	VIGIL_OUTLET_SPOOL_ENTRIES(S, spool),
	{ VIGIL_CFG_DURATION_MS("spool.sync_interval", S, sync_ms, 1000, 0,
				3600000, "fsync this often; 0: at stop only") },
	{ VIGIL_CFG_STR("tag_events", S, tag_events, "vigil.events", NULL) },
	{ VIGIL_CFG_STR("tag_signals", S, tag_signals, "vigil.signals",
			NULL) },
	{ VIGIL_CFG_ENUM("mode", S, mode, FWD_MODE_PACKED, fwd_modes, NULL) },
	{ VIGIL_CFG_BOOL("require_ack", S, conn.need_ack, 1,
			 "keep a chunk in the spool until the peer acks it") },
	{ VIGIL_CFG_SIZE("chunk_size", S, chunk_bytes, 256 << 10, 1, 64 << 20,
			 "bytes of records in one message") },
	VIGIL_OUTLET_FLUSH_ENTRIES(S, flush_ms, flush_ms_int),
	{ VIGIL_CFG_INT("max_inflight", S, max_inflight, 4, 1, 1024,
			"chunks sent and not yet acknowledged") },
	{ VIGIL_CFG_DURATION_MS("ack_timeout", S, conn.ack_timeout_ms, 30000,
				1000, 3600000,
				"reconnect and resend when no ack comes") },
	{ VIGIL_CFG_DURATION_S("heartbeat", S, conn.keepalive_s, 30, 0, 32767,
			       "TCP keepalive idle time; 0: off") },
	{ VIGIL_CFG_STR("shared_key", S, shared_key, NULL,
			"enables the HELO/PING/PONG handshake") },
	{ VIGIL_CFG_STRBUF("self_hostname", S, self_hostname, NULL,
			   "our name in the handshake; default: the host's") },
	{ VIGIL_CFG_STR("username", S, username, NULL, NULL) },
	{ VIGIL_CFG_STR("password", S, password, NULL, NULL) },
};
#undef S

struct forward {
	struct vigil_outlet out; /* first: the plugin table's callbacks */
	struct vigil_conn conn;
	struct fwd_settings set; /* what forward_configure reads */

	enum fwd_hs hs;
	uint8_t salt[SALT_BYTES * 2 + 1];
	struct fwd_helo helo;
	uint64_t last_flush_ms;
	uint64_t unsent_bytes; /* appended and not yet read back */
	struct vigil_buf rec, entry, batch;
};

static void fwd_pump(struct forward *f, bool force);

/* Frees what forward_configure filled and clears it (not the spool). */
static void fwd_settings_free(struct fwd_settings *set)
{
	vigil_conn_opts_free(&set->conn);
	memset(set, 0, sizeof(*set));
}

/* The outlet's release: the last reference after destroy. */
static void fwd_release(struct vigil_outlet *o)
{
	struct forward *f = (struct forward *)o;

	vigil_outlet_fini(&f->out);
	vigil_conn_free(&f->conn);
	fwd_settings_free(&f->set);
	free(f->rec.data);
	free(f->entry.data);
	free(f->batch.data);
	free(f);
}

/* Reads the next chunk out of the spool and writes it.  Returns 0, or
 * -ENODATA when the spool has nothing to send. */
static int fwd_send_chunk(struct forward *f)
{
	struct vigil_outlet *o = &f->out;
	struct vigil_buf msg = { 0 };
	struct vigil_spool_pos end;
	char id[FWD_CHUNK_ID_LEN + 1];
	const void *d;
	size_t len;
	int kind = 0, rc;
	uint32_t n = 0;
	uint8_t raw[16];

	f->batch.len = 0;
	while ((int64_t)f->batch.len < f->set.chunk_bytes) {
		rc = vigil_spool_next(o->spool, &d, &len);
		if (rc == -ENODATA) {
			f->unsent_bytes = 0;
			break;
		}
		if (rc) {
			o->st.errors++;
			o->api->log(o->host, VIGIL_LOG_ERR,
				    "spool read failed: %s", strerror(-rc));
			break;
		}
		if (len < 2) /* a record is a kind byte and an entry */
			continue;
		if (kind && ((const uint8_t *)d)[0] != kind) {
			/* one tag a message: this one starts the next */
			vigil_spool_unread(o->spool);
			break;
		}
		kind = ((const uint8_t *)d)[0];
		if (vigil_buf_append(&f->batch, (const char *)d + 1, len - 1)) {
			vigil_spool_unread(o->spool);
			break;
		}
		f->unsent_bytes = f->unsent_bytes > len ?
					  f->unsent_bytes - len :
					  0;
		n++;
	}
	if (!n)
		return -ENODATA;
	vigil_spool_tell(o->spool, &end);
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		for (size_t i = 0; i < sizeof(raw); i++)
			raw[i] = (uint8_t)vigil_outlet_rand(o);
	}
	fwd_chunk_id(raw, id);
	if (fwd_encode_message(&msg, (enum fwd_mode)f->set.mode,
			       kind == KIND_SIGNAL ? f->set.tag_signals :
						     f->set.tag_events,
			       f->batch.data, f->batch.len, n,
			       f->set.conn.need_ack ? id : NULL)) {
		/* out of memory: send these records with the next attempt */
		free(msg.data);
		o->st.errors++;
		vigil_conn_drop(&f->conn, "out of memory building a chunk");
		return -ENOMEM;
	}
	return vigil_conn_send(&f->conn, &msg, &end, n, id);
}

/*
 * Sends chunks while the connection is up and the window has room: all
 * that is spooled when force (timer, reconnect), else only when at least
 * a whole chunk is waiting.
 */
static void fwd_pump(struct forward *f, bool force)
{
	while (vigil_conn_can_send(&f->conn, f->set.max_inflight)) {
		if (!force && f->unsent_bytes < (uint64_t)f->set.chunk_bytes)
			return;
		if (fwd_send_chunk(f))
			return;
		f->last_flush_ms = uv_now(f->out.loop);
	}
}

static void fwd_on_ready(struct vigil_conn *c)
{
	fwd_pump(c->owner, true);
}

static void fwd_on_sent(struct vigil_conn *c)
{
	fwd_pump(c->owner, false);
}

/* The connection was dropped: what it had read is sent again. */
static void fwd_on_down(struct vigil_conn *c)
{
	struct forward *f = c->owner;

	f->unsent_bytes = UINT64_MAX / 2;
	f->hs = HS_HELO;
}

/* HELO: answers with PING (salt, our digest and credentials). */
static void fwd_on_helo(struct forward *f, const char *obj, size_t len)
{
	struct vigil_buf ping = { 0 };
	uint8_t raw[SALT_BYTES];
	int rc;

	if (fwd_parse_helo(obj, len, &f->helo)) {
		vigil_conn_drop(&f->conn, "expected HELO from the server");
		return;
	}
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		vigil_conn_drop(&f->conn, "no random bytes for the salt");
		return;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf((char *)f->salt + 2 * i, 3, "%02x", raw[i]);
	rc = fwd_encode_ping(&ping, f->set.self_hostname, f->salt,
			     SALT_BYTES * 2, &f->helo, f->set.shared_key,
			     f->set.username, f->set.password);
	if (!rc)
		rc = vigil_conn_send_ctl(&f->conn, &ping);
	free(ping.data);
	if (rc) {
		vigil_conn_drop(&f->conn, "cannot send PING");
		return;
	}
	f->hs = HS_PONG;
}

/* PONG: the server's verdict on us, and its proof of the shared key. */
static void fwd_on_pong(struct forward *f, const char *obj, size_t len)
{
	struct vigil_outlet *o = &f->out;
	const struct vigil_conn_opts *co = &f->set.conn;
	struct fwd_pong pong;
	char want[FWD_SHA512_HEX_LEN + 1], esc[4 * sizeof(pong.reason)];

	if (fwd_parse_pong(obj, len, &pong)) {
		vigil_conn_drop(&f->conn, "expected PONG from the server");
		return;
	}
	if (!pong.ok) {
		o->api->log(o->host, VIGIL_LOG_ERR,
			    "%s:%s refused the handshake: \"%s\" (check shared_key, username, password)",
			    co->host, co->port,
			    vigil_outlet_escape(pong.reason, esc, sizeof(esc)));
		vigil_conn_drop(&f->conn, "authentication refused");
		return;
	}
	if (fwd_key_digest(f->salt, SALT_BYTES * 2, pong.hostname,
			   f->helo.nonce, f->helo.nonce_len, f->set.shared_key,
			   want) ||
	    strcmp(want, pong.digest)) {
		o->api->log(o->host, VIGIL_LOG_ERR,
			    "%s:%s answered PONG with a wrong digest: it does not know our shared_key",
			    co->host, co->port);
		vigil_conn_drop(&f->conn, "server failed authentication");
		return;
	}
	vigil_conn_ready(&f->conn);
}

/* One whole msgpack object from the server. */
static void fwd_on_object(struct forward *f, const char *obj, size_t len)
{
	char id[FWD_CHUNK_ID_LEN + 8], esc[4 * sizeof(id)];

	switch (f->conn.state) {
	case VIGIL_CONN_HANDSHAKE:
		if (f->hs == HS_HELO)
			fwd_on_helo(f, obj, len);
		else
			fwd_on_pong(f, obj, len);
		return;
	case VIGIL_CONN_READY:
		if (fwd_parse_ack(obj, len, id, sizeof(id))) {
			vigil_conn_drop(&f->conn,
					"unexpected message from the server");
			return;
		}
		if (vigil_conn_ack(&f->conn, id))
			f->out.api->log(f->out.host, VIGIL_LOG_WARNING,
					"ack for unknown chunk \"%s\" ignored",
					vigil_outlet_escape(id, esc, sizeof(esc)));
		return;
	default:
		return;
	}
}

/* Bytes from the server: each whole msgpack object in turn. */
static void fwd_on_input(struct vigil_conn *c)
{
	struct forward *f = c->owner;
	unsigned int gen = c->gen;
	size_t off = 0;

	while (off < c->in.len) {
		ssize_t n = fwd_object_size(c->in.data + off, c->in.len - off);

		if (n < 0) {
			vigil_conn_drop(c, "malformed msgpack from the server");
			return;
		}
		if (n == 0)
			break;
		fwd_on_object(f, c->in.data + off, (size_t)n);
		if (c->gen != gen)
			return; /* dropped while handling */
		off += (size_t)n;
	}
	vigil_conn_consume(c, off);
}

static const struct vigil_conn_ops fwd_conn_ops = {
	.ready = fwd_on_ready,
	.sent = fwd_on_sent,
	.input = fwd_on_input,
	.down = fwd_on_down,
};

static void fwd_tick(struct vigil_outlet *o)
{
	struct forward *f = (struct forward *)o;
	uint64_t now = uv_now(o->loop);

	vigil_conn_tick(&f->conn);
	if (now - f->last_flush_ms >= (uint64_t)f->set.flush_ms) {
		f->last_flush_ms = now;
		fwd_pump(f, true);
	}
}

/* Encodes ev (and sig) as a spool record: kind byte, forward Entry. */
static int fwd_record(struct vigil_outlet *o, const struct vigil_event *ev,
		      const struct vigil_signal *sig)
{
	struct forward *f = (struct forward *)o;
	char kind = sig ? KIND_SIGNAL : KIND_EVENT;
	int rc;

	f->rec.len = 0;
	f->entry.len = 0;
	rc = o->api->encode_msgpack(ev, sig, &f->rec);
	if (!rc)
		rc = vigil_buf_append(&f->entry, &kind, 1);
	if (!rc)
		rc = fwd_encode_entry(&f->entry, ev->time_ns, f->rec.data,
				      f->rec.len);
	if (!rc)
		rc = vigil_spool_append(o->spool, f->entry.data, f->entry.len);
	if (rc) {
		o->st.dropped++;
		if (rc != -ENOSPC) {
			o->st.errors++;
			o->api->log(o->host, VIGIL_LOG_ERR,
				    "record not spooled: %s", strerror(-rc));
		}
		return rc == -ENOSPC ? 0 : rc;
	}
	f->unsent_bytes += f->entry.len;
	fwd_pump(f, false);
	return 0;
}

static const struct vigil_outlet_ops fwd_outlet_ops = {
	.record = fwd_record,
	.tick = fwd_tick,
	.release = fwd_release,
};

static int forward_flush(void *state)
{
	fwd_pump(state, true);
	return 0;
}

static void forward_destroy(void *state)
{
	struct forward *f = state;

	if (!f)
		return;
	/* the spool keeps what was not acknowledged for the next start */
	vigil_outlet_destroy(&f->out);
	vigil_conn_stop(&f->conn);
}

/*
 * Reads the configuration into set (zeroed by the caller; free it with
 * fwd_settings_free, also on error), the spool's directory and options;
 * logs and returns -EINVAL on a bad value.  A reload that changes the
 * connection's settings (conn.h's, mode and authentication; TLS files
 * by name) reconnects.
 */
static int forward_configure(const struct vigil_host_api *api, void *h,
			     struct fwd_settings *set, char *spool_dir,
			     size_t cap, struct vigil_spool_opts *so)
{
	struct vigil_conn_opts *co = &set->conn;
	char extra[1024];
	int rc;

	rc = VIGIL_CONFIG_MAP(api, h, fwd_table, set);
	if (rc)
		return rc;
	if (set->flush_ms_int)
		set->flush_ms = set->flush_ms_int;
	if (!set->self_hostname[0] &&
	    gethostname(set->self_hostname, sizeof(set->self_hostname)))
		strcpy(set->self_hostname, "localhost");
	set->self_hostname[sizeof(set->self_hostname) - 1] = '\0';
	if (!set->username)
		set->username = "";
	if (!set->password)
		set->password = "";
	co->handshake = set->shared_key != NULL;
	snprintf(extra, sizeof(extra), "%d\n%s\n%s\n%s\n%s", set->mode,
		 set->shared_key ? set->shared_key : "", set->self_hostname,
		 set->username, set->password);
	rc = vigil_conn_setup(api, h, co, extra);
	if (rc)
		return rc;
	return vigil_outlet_spool_config(api, h, &set->spool, "forward",
					 spool_dir, cap, so);
}

static int forward_init(const struct vigil_host_api *api, void *host,
			void **state)
{
	struct forward *f;
	struct vigil_spool_opts so = { 0 };
	struct vigil_spool_stats ss;
	char dir[PATH_MAX];
	int rc;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	rc = vigil_outlet_init(&f->out, api, host, &fwd_outlet_ops, "forward");
	if (!rc)
		rc = forward_configure(api, host, &f->set, dir, sizeof(dir),
				       &so);
	if (rc)
		goto out_free;
	f->out.sel = &f->set.sel;
	f->out.sync_ms = f->set.sync_ms;
	rc = vigil_outlet_open(&f->out, dir, &so);
	if (rc)
		goto out_free;
	vigil_spool_get_stats(f->out.spool, &ss);
	f->unsent_bytes = ss.pending ? UINT64_MAX / 2 : 0;
	f->last_flush_ms = uv_now(f->out.loop);
	vigil_conn_init(&f->conn, &f->out, &f->set.conn, &fwd_conn_ops, f);
	vigil_conn_start(&f->conn);
	*state = f;
	return 0;

out_free:
	fwd_release(&f->out);
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
	struct vigil_spool_opts so = { 0 };
	char dir[PATH_MAX];
	bool reconnect;
	int rc;

	rc = forward_configure(f->out.api, f->out.host, &set, dir, sizeof(dir),
			       &so);
	if (rc) {
		fwd_settings_free(&set);
		return rc;
	}
	vigil_spool_note_reload(f->out.api, f->out.host, f->out.spool_dir, dir);
	reconnect = vigil_conn_reloading(&f->conn, &set.conn);
	fwd_settings_free(&f->set);
	f->set = set;
	f->out.sync_ms = f->set.sync_ms;
	f->out.api->log(f->out.host, VIGIL_LOG_NOTICE, "settings reloaded%s",
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
	.on_event = vigil_outlet_on_event,
	.on_signal = vigil_outlet_on_signal,
	.flush = forward_flush,
	.stats = vigil_outlet_on_stats,
	.reload = forward_reload,
	.destroy = forward_destroy,
	VIGIL_PLUGIN_CONFIG(fwd_table, struct fwd_settings),
};

const struct vigil_plugin *vigil_plugin_entry(void)
{
	return &forward_plugin;
}
