/*
 * audit_record.h - one audit record, parsed in place.
 *
 * A record is the text the kernel writes for one netlink message, either
 * as auditd logs it ("type=SYSCALL msg=audit(1700000000.123:4567): ...")
 * or as it arrives over netlink, where the type is the nlmsg_type and the
 * text starts at "audit(".  Parsing never allocates: the fields are
 * offsets into the caller's buffer, which must outlive the record.  The
 * text is untrusted; every access is bounds-checked.
 */
#ifndef VIGIL_AUDIT_RECORD_H
#define VIGIL_AUDIT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vigil/event.h>

/* How a value was written. */
enum vigil_audit_enc {
	VIGIL_AUDIT_VAL_PLAIN = 0, /* bare token: number, hex or a word */
	VIGIL_AUDIT_VAL_QUOTED,    /* "..." or '...': the bytes between */
	VIGIL_AUDIT_VAL_NULL,      /* (null) */
	VIGIL_AUDIT_VAL_UNSET,     /* ? */
};

struct vigil_audit_field {
	uint32_t key_off;
	uint32_t val_off; /* first byte of the value, quotes excluded */
	uint32_t val_len;
	uint16_t key_len;
	uint8_t enc; /* enum vigil_audit_enc */
	uint8_t reserved0;
};

/*
 * A parsed record.  fields points to caller storage of cap_fields
 * entries; a record with more fields keeps the first cap_fields and sets
 * truncated.
 */
struct vigil_audit_record {
	const char *buf; /* the whole record text (not owned) */
	uint32_t len;
	uint32_t type;   /* AUDIT_* message type */
	int64_t sec;     /* timestamp: seconds since the epoch */
	uint32_t ms;     /* and milliseconds */
	uint32_t body_off; /* first byte after "): " */
	uint64_t serial;
	struct vigil_audit_field *fields;
	uint32_t n_fields;
	uint32_t cap_fields;
	bool truncated;
};

/* Largest netlink audit payload the kernel sends (MAX_AUDIT_MESSAGE_LENGTH
 * in kernel/audit.h, not exported to user space). */
#define VIGIL_AUDIT_MAX_MESSAGE 8970

/*
 * Parses the header "audit(SEC.MS:SERIAL): " at the start of p (the
 * netlink form).  On success sets sec, ms, serial and *body_off (the offset
 * of the first field).  Returns 0 or -EINVAL.
 */
int vigil_audit_parse_stamp(const char *p, size_t len, int64_t *sec,
			    uint32_t *ms, uint64_t *serial, uint32_t *body_off);

/*
 * Parses a log line "[node=N ]type=NAME msg=audit(...): fields".  NAME is
 * a type name libaudit knows or UNKNOWN[nnnn].  Only the header is read:
 * rec->fields stays empty until vigil_audit_record_fields().  A trailing
 * newline and auditd's enriched part (after 0x1d) are excluded.  Returns 0,
 * or -EINVAL when the line is not an audit record.
 */
int vigil_audit_record_parse_line(struct vigil_audit_record *rec,
				  const char *line, size_t len);

/* The same for the netlink form: text begins with "audit(". */
int vigil_audit_record_parse_netlink(struct vigil_audit_record *rec,
				     uint32_t type, const char *text,
				     size_t len);

/*
 * Splits the body into key=value fields, stored into fields[0..cap).
 * Values may be "quoted", 'quoted' (user messages), bare, (null) or ?.
 * Returns the number of fields or -EINVAL for text that is not key=value
 * (the fields before the fault are kept).
 */
int vigil_audit_record_fields(struct vigil_audit_record *rec,
			      struct vigil_audit_field *fields, uint32_t cap);

/* First field named key, or NULL. */
const struct vigil_audit_field *
vigil_audit_field_find(const struct vigil_audit_record *rec, const char *key);

/* The field's key and raw value as (pointer, length). */
struct vigil_str vigil_audit_field_key(const struct vigil_audit_record *rec,
				       const struct vigil_audit_field *f);
struct vigil_str vigil_audit_field_raw(const struct vigil_audit_record *rec,
				       const struct vigil_audit_field *f);

/*
 * Decodes an "untrusted string" value as the kernel writes it
 * (audit_log_untrustedstring): a quoted value is taken as is, a bare one is
 * hex.  Writes the decoded bytes to out and their count to *len.  Returns
 * 0, -ENODATA for (null) or ?, -ENOSPC when they do not fit in cap (*len
 * says how many would), or -EINVAL for bad hex.  val_len bytes of output
 * are always enough.
 */
int vigil_audit_value_decode(const struct vigil_audit_record *rec,
			     const struct vigil_audit_field *f, char *out,
			     size_t cap, size_t *len);

/* Decodes hex digits (even count) into out (cap >= n / 2). 0 or -EINVAL. */
int vigil_audit_hex_decode(const char *p, size_t n, char *out, size_t cap);

/*
 * Numeric values: decimal (signed allowed) for _dec, hexadecimal for _hex
 * (syscall arguments a0..a3 and cap_* sets).  Return 0, -ENODATA for
 * (null)/? or -EINVAL.
 */
int vigil_audit_field_dec(const struct vigil_audit_record *rec,
			  const struct vigil_audit_field *f, int64_t *out);
int vigil_audit_field_hex(const struct vigil_audit_record *rec,
			  const struct vigil_audit_field *f, uint64_t *out);

/* Convenience: look up key and parse.  Same returns, -ENOENT if absent. */
int vigil_audit_get_dec(const struct vigil_audit_record *rec, const char *key,
			int64_t *out);
int vigil_audit_get_hex(const struct vigil_audit_record *rec, const char *key,
			uint64_t *out);
/* A uid/gid/session: "4294967295", "-1" and "unset" become
 * VIGIL_ID_UNSET; missing leaves *out alone. */
int vigil_audit_get_id(const struct vigil_audit_record *rec, const char *key,
		       uint32_t *out);

#endif /* VIGIL_AUDIT_RECORD_H */
