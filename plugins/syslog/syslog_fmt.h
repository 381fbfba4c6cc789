/*
 * syslog_fmt.h - RFC 5424 messages for vigil events and signals, without
 * any I/O, so that the format is unit-tested on its own.
 *
 *   <PRI>1 TIMESTAMP HOSTNAME vigil PROCID MSGID [vigil@32473 ...] MSG
 *
 * MSGID is "signal" for signals and the event type for events.  The
 * structured data element carries the key fields (rule, severity, type,
 * pid, exe, user) with '"', '\' and ']' escaped as RFC 5424 section 6.3.3
 * requires.  MSG is the JSON of the event or signal.
 */
#ifndef VIGIL_SYSLOG_FMT_H
#define VIGIL_SYSLOG_FMT_H

#include <stdint.h>

#include <vigil/plugin.h>

/* Our private enterprise number in SD-IDs, as the issue names it. */
#define VIGIL_SYSLOG_SD_ID "vigil@32473"
#define VIGIL_SYSLOG_APP "vigil"

/* Syslog severity (RFC 5424 table 2) of a vigil severity; events (no
 * signal) are informational. */
int vigil_syslog_severity(const struct vigil_signal *sig);

/* The facilities by name, for the configuration table. */
extern const struct vigil_config_name vigil_syslog_facilities[];
/* The facility number of a name ("local0", "authpriv", ...), or -1. */
int vigil_syslog_facility(const char *name);

/*
 * Appends one message (no framing, no trailing newline) to out.  json is
 * the body, json_len its length without a trailing newline.  hostname and
 * procid may be "-".  0 or -ENOMEM.
 */
int vigil_syslog_format(struct vigil_buf *out, int facility,
			const char *hostname, const char *procid,
			const struct vigil_event *ev,
			const struct vigil_signal *sig, const char *json,
			size_t json_len);

#endif /* VIGIL_SYSLOG_FMT_H */
