/*
 * syslog_fmt.c - RFC 5424 formatting (see syslog_fmt.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <vigil/fields.h>

#include "buf.h"
#include "syslog_fmt.h"

#define SYSLOG_VERSION 1
#define NILVALUE "-"

static int put(struct vigil_buf *b, const char *s, size_t n)
{
	return vigil_buf_append(b, s, n);
}

static int putf(struct vigil_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int putf(struct vigil_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	return put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n :
						     sizeof(tmp) - 1);
}

int vigil_syslog_severity(const struct vigil_signal *sig)
{
	if (!sig)
		return LOG_INFO;
	switch (sig->severity) {
	case VIGIL_SEV_INFO:
		return LOG_INFO;
	case VIGIL_SEV_LOW:
		return LOG_NOTICE;
	case VIGIL_SEV_MEDIUM:
		return LOG_WARNING;
	case VIGIL_SEV_HIGH:
		return LOG_ERR;
	default:
		return LOG_CRIT;
	}
}

const struct vigil_config_name vigil_syslog_facilities[] = {
	{ "kern", LOG_FAC(LOG_KERN) },	   { "user", LOG_FAC(LOG_USER) },
	{ "daemon", LOG_FAC(LOG_DAEMON) }, { "auth", LOG_FAC(LOG_AUTH) },
	{ "syslog", LOG_FAC(LOG_SYSLOG) }, { "authpriv", LOG_FAC(LOG_AUTHPRIV) },
	{ "local0", LOG_FAC(LOG_LOCAL0) }, { "local1", LOG_FAC(LOG_LOCAL1) },
	{ "local2", LOG_FAC(LOG_LOCAL2) }, { "local3", LOG_FAC(LOG_LOCAL3) },
	{ "local4", LOG_FAC(LOG_LOCAL4) }, { "local5", LOG_FAC(LOG_LOCAL5) },
	{ "local6", LOG_FAC(LOG_LOCAL6) }, { "local7", LOG_FAC(LOG_LOCAL7) },
	{ NULL, 0 },
};

int vigil_syslog_facility(const char *name)
{
	for (size_t i = 0; vigil_syslog_facilities[i].name; i++)
		if (!strcmp(name, vigil_syslog_facilities[i].name))
			return (int)vigil_syslog_facilities[i].value;
	return -1;
}

/* PARAM-VALUE: '"', '\' and ']' escaped with a backslash (RFC 5424
 * 6.3.3); control bytes, which receivers mangle, become '?'. */
static int put_param(struct vigil_buf *b, const char *name, const char *v,
		     size_t n)
{
	if (putf(b, " %s=\"", name))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char c = v[i];

		if (c == '"' || c == '\\' || c == ']') {
			if (put(b, "\\", 1))
				return -ENOMEM;
		} else if ((unsigned char)c < 0x20 || c == 0x7f) {
			c = '?';
		}
		if (put(b, &c, 1))
			return -ENOMEM;
	}
	return put(b, "\"", 1);
}

/* HOSTNAME, APP-NAME, PROCID, MSGID: PRINTUSASCII without spaces, or -. */
static int put_token(struct vigil_buf *b, const char *s, size_t max)
{
	size_t n = 0;

	for (; s && s[n] && n < max; n++)
		if ((unsigned char)s[n] <= 32 || (unsigned char)s[n] >= 127)
			break;
	if (!n)
		return put(b, NILVALUE, 1);
	return put(b, s, n);
}

int vigil_syslog_format(struct vigil_buf *out, int facility,
			const char *hostname, const char *procid,
			const struct vigil_event *ev,
			const struct vigil_signal *sig, const char *json,
			size_t json_len)
{
	struct tm tm;
	time_t sec = (time_t)(ev->time_ns / 1000000000);
	long usec = (long)(ev->time_ns % 1000000000) / 1000;
	const char *type = vigil_event_type_name(ev->type);
	int pri = facility * 8 + vigil_syslog_severity(sig);
	char host[256];

	if (ev->time_ns <= 0) {
		sec = time(NULL);
		usec = 0;
	}
	gmtime_r(&sec, &tm);
	if (ev->host.len && ev->host.len < sizeof(host)) {
		memcpy(host, ev->host.ptr, ev->host.len);
		host[ev->host.len] = '\0';
		hostname = host;
	}
	if (putf(out, "<%d>%d %04d-%02d-%02dT%02d:%02d:%02d.%06ldZ ", pri,
		 SYSLOG_VERSION, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, usec) ||
	    put_token(out, hostname, 255) || put(out, " ", 1) ||
	    put_token(out, VIGIL_SYSLOG_APP, 48) || put(out, " ", 1) ||
	    put_token(out, procid, 128) || put(out, " ", 1) ||
	    put_token(out, sig ? "signal" : type, 32) ||
	    put(out, " [" VIGIL_SYSLOG_SD_ID, sizeof(VIGIL_SYSLOG_SD_ID) + 1))
		return -ENOMEM;
	if (sig) {
		static const char *const sev[] = { "info", "low", "medium",
						   "high", "critical" };
		const char *s = sig->severity < VIGIL_SEV__COUNT ?
					sev[sig->severity] :
					"critical";

		if (sig->rule_id &&
		    put_param(out, "rule", sig->rule_id, strlen(sig->rule_id)))
			return -ENOMEM;
		if (put_param(out, "severity", s, strlen(s)))
			return -ENOMEM;
	}
	if (type && put_param(out, "type", type, strlen(type)))
		return -ENOMEM;
	if (ev->process.pid && putf(out, " pid=\"%d\"", ev->process.pid))
		return -ENOMEM;
	if (ev->process.file.path.len &&
	    put_param(out, "exe", ev->process.file.path.ptr,
		      ev->process.file.path.len))
		return -ENOMEM;
	if (ev->process.user.len &&
	    put_param(out, "user", ev->process.user.ptr, ev->process.user.len))
		return -ENOMEM;
	if (ev->seq && putf(out, " seq=\"%llu\"", (unsigned long long)ev->seq))
		return -ENOMEM;
	if (put(out, "] ", 2))
		return -ENOMEM;
	while (json_len && (json[json_len - 1] == '\n'))
		json_len--;
	return put(out, json, json_len);
}
