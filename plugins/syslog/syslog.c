/*
 * syslog - sends events and/or signals as RFC 5424 messages over UDP
 * (RFC 5426), TCP with octet counting (RFC 6587) or TLS (RFC 5425), with
 * the same disk spool as the forward output: a message leaves the spool
 * when the kernel has taken it (TCP/TLS write completed, UDP datagram
 * sent), and a lost connection resends from the last commit.  The
 * connection is conn.h's, the spool and counters outlet.h's; this file is
 * the framing.
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
 *   connect_timeout       deadline of each step before sending: resolve,
 *                         connect, TLS handshake (10s)
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
#include <syslog.h>
#include <unistd.h>

#include <uv.h>

#include <vigil/plugin.h>

#include "buf.h"
#include "conn.h"
#include "outlet.h"
#include "select.h"
#include "syslog_fmt.h"

#define BATCH_BYTES (64 * 1024)
#define MAX_INFLIGHT 8

enum transport { T_UDP, T_TCP, T_TLS };

/* The settings (slog_configure); a reload swaps them whole. */
struct slog_settings {
	struct vigil_conn_opts conn; /* host, port, TLS, backoff */
	struct vigil_select sel; /* what, event_types, min_severity */
	struct vigil_outlet_spool_conf spool;
	char hostname[HOST_NAME_MAX + 1];
	int32_t transport; /* enum transport */
	int32_t facility;
	int64_t max_message;
};

static const struct vigil_config_name transports[] = {
	{ "udp", T_UDP }, { "tcp", T_TCP }, { "tls", T_TLS }, { NULL, 0 },
};

#define S struct slog_settings
static const struct vigil_config_entry slog_table[] = {
	{ VIGIL_CFG_ENUM("transport", S, transport, T_TCP, transports, NULL) },
	VIGIL_CONN_ENTRIES(S, conn, 0, 0),
	VIGIL_SELECT_ENTRIES(S, sel, VIGIL_SELECT_SIGNALS),
	VIGIL_OUTLET_SPOOL_ENTRIES(S, spool),
	{ VIGIL_CFG_ENUM("facility", S, facility, LOG_FAC(LOG_LOCAL0),
			 vigil_syslog_facilities, NULL) },
	{ VIGIL_CFG_STRBUF("hostname", S, hostname, NULL,
			   "HOSTNAME when the event has none; default: the "
			   "host's") },
	{ VIGIL_CFG_SIZE("max_message", S, max_message, 8192, 480, 64 << 20,
			 "longer messages are cut") },
};
#undef S

struct slog {
	struct vigil_outlet out; /* first: the plugin table's callbacks */
	struct vigil_conn conn;
	struct slog_settings set; /* what slog_configure reads */
	char procid[16];
	struct vigil_buf json, msg;
};

/* Frees what slog_configure filled and clears it (not the spool). */
static void slog_settings_free(struct slog_settings *set)
{
	vigil_conn_opts_free(&set->conn);
	memset(set, 0, sizeof(*set));
}

/* The outlet's release: the last reference after destroy. */
static void slog_release(struct vigil_outlet *o)
{
	struct slog *s = (struct slog *)o;

	vigil_outlet_fini(&s->out);
	vigil_conn_free(&s->conn);
	slog_settings_free(&s->set);
	free(s->json.data);
	free(s->msg.data);
	free(s);
}

/* UDP: one datagram a message, sent without waiting; commits as it goes. */
static void slog_pump_udp(struct slog *s)
{
	struct vigil_outlet *o = &s->out;
	struct vigil_spool_pos pos;
	const void *d;
	size_t len;

	while (vigil_spool_next(o->spool, &d, &len) == 0) {
		int rc = vigil_conn_send_udp(&s->conn, d, len);

		if (rc == UV_EAGAIN) {
			vigil_spool_unread(o->spool);
			return; /* the next tick tries again */
		}
		if (rc < 0) {
			vigil_spool_unread(o->spool);
			vigil_conn_drop(&s->conn, uv_strerror(rc));
			return;
		}
		o->st.bytes_out += len;
		o->st.records_out++;
		vigil_spool_tell(o->spool, &pos);
		if (vigil_spool_commit(o->spool, &pos))
			o->st.errors++;
	}
}

/* TCP/TLS: octet-counted frames, batched up to BATCH_BYTES a write. */
static void slog_pump(struct slog *s)
{
	struct vigil_outlet *o = &s->out;

	if (s->conn.state == VIGIL_CONN_READY && s->set.conn.udp) {
		slog_pump_udp(s);
		return;
	}
	while (vigil_conn_can_send(&s->conn, MAX_INFLIGHT)) {
		struct vigil_buf batch = { 0 };
		struct vigil_spool_pos pos;
		const void *d;
		size_t len;
		uint32_t n = 0;
		char hdr[24];

		while (batch.len < BATCH_BYTES &&
		       vigil_spool_next(o->spool, &d, &len) == 0) {
			int h = snprintf(hdr, sizeof(hdr), "%zu ", len);

			if (vigil_buf_append(&batch, hdr, (size_t)h) ||
			    vigil_buf_append(&batch, d, len)) {
				free(batch.data);
				vigil_conn_drop(&s->conn, "out of memory");
				return;
			}
			n++;
		}
		if (!n) {
			free(batch.data);
			return;
		}
		vigil_spool_tell(o->spool, &pos);
		if (vigil_conn_send(&s->conn, &batch, &pos, n, NULL))
			return;
	}
}

static void slog_on_ready(struct vigil_conn *c)
{
	slog_pump(c->owner);
}

static const struct vigil_conn_ops slog_conn_ops = {
	.ready = slog_on_ready,
	.sent = slog_on_ready,
};

static void slog_tick(struct vigil_outlet *o)
{
	struct slog *s = (struct slog *)o;

	vigil_conn_tick(&s->conn);
	slog_pump(s);
}

static int slog_record(struct vigil_outlet *o, const struct vigil_event *ev,
		       const struct vigil_signal *sig)
{
	struct slog *s = (struct slog *)o;
	int rc;

	s->json.len = 0;
	s->msg.len = 0;
	rc = o->api->encode_json(ev, sig, &s->json);
	if (!rc)
		rc = vigil_syslog_format(&s->msg, s->set.facility, s->set.hostname,
					 s->procid, ev, sig, s->json.data,
					 s->json.len);
	if (!rc && (int64_t)s->msg.len > s->set.max_message) {
		s->msg.len = (size_t)s->set.max_message;
		o->st.errors++;
	}
	if (!rc)
		rc = vigil_spool_append(o->spool, s->msg.data, s->msg.len);
	if (rc) {
		o->st.dropped++;
		return rc == -ENOSPC ? 0 : rc;
	}
	slog_pump(s);
	return 0;
}

static const struct vigil_outlet_ops slog_outlet_ops = {
	.record = slog_record,
	.tick = slog_tick,
	.release = slog_release,
};

static int syslog_flush(void *state)
{
	slog_pump(state);
	return 0;
}

static void syslog_destroy(void *state)
{
	struct slog *s = state;

	if (!s)
		return;
	vigil_outlet_destroy(&s->out);
	vigil_conn_stop(&s->conn);
}

/*
 * Reads the configuration into set (zeroed by the caller; free it with
 * slog_settings_free, also on error), the spool's directory and options;
 * logs and returns -EINVAL on a bad value.  A reload that changes the
 * transport or the connection's settings (conn.h's) reconnects.
 */
static int slog_configure(const struct vigil_host_api *api, void *h,
			  struct slog_settings *set, char *dir, size_t cap,
			  struct vigil_spool_opts *so)
{
	struct vigil_conn_opts *co = &set->conn;
	int rc;

	rc = VIGIL_CONFIG_MAP(api, h, slog_table, set);
	if (rc)
		return rc;
	if (!co->port_num) /* port 0: the transport's */
		co->port_num = set->transport == T_TLS ? 6514 : 514;
	co->udp = set->transport == T_UDP;
	co->use_tls = set->transport == T_TLS;
	if (!set->hostname[0] &&
	    gethostname(set->hostname, sizeof(set->hostname)))
		strcpy(set->hostname, "-");
	set->hostname[sizeof(set->hostname) - 1] = '\0';
	rc = vigil_conn_setup(api, h, co, NULL);
	if (rc)
		return rc;
	return vigil_outlet_spool_config(api, h, &set->spool, "syslog", dir,
					 cap, so);
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
	rc = vigil_outlet_init(&s->out, api, host, &slog_outlet_ops, "syslog");
	if (!rc)
		rc = slog_configure(api, host, &s->set, dir, sizeof(dir), &so);
	if (rc)
		goto out_free;
	snprintf(s->procid, sizeof(s->procid), "%d", (int)getpid());
	s->out.sel = &s->set.sel;
	rc = vigil_outlet_open(&s->out, dir, &so);
	if (rc)
		goto out_free;
	vigil_conn_init(&s->conn, &s->out, &s->set.conn, &slog_conn_ops, s);
	vigil_conn_start(&s->conn);
	*state = s;
	return 0;

out_free:
	slog_release(&s->out);
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

	rc = slog_configure(s->out.api, s->out.host, &set, dir, sizeof(dir),
			    &so);
	if (rc) {
		slog_settings_free(&set);
		return rc;
	}
	vigil_spool_note_reload(s->out.api, s->out.host, s->out.spool_dir, dir);
	reconnect = vigil_conn_reloading(&s->conn, &set.conn);
	slog_settings_free(&s->set);
	s->set = set;
	s->out.api->log(s->out.host, VIGIL_LOG_NOTICE, "settings reloaded%s",
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
	.on_event = vigil_outlet_on_event,
	.on_signal = vigil_outlet_on_signal,
	.flush = syslog_flush,
	.stats = vigil_outlet_on_stats,
	.reload = syslog_reload,
	.destroy = syslog_destroy,
	VIGIL_PLUGIN_CONFIG(slog_table, struct slog_settings),
};

const struct vigil_plugin *vigil_plugin_entry(void)
{
	return &syslog_plugin;
}
