/*
 * source_status.h - the numbers of a source's status object, written from
 * a table.
 *
 * A source lists the counters and settings it reports in `vigilctl
 * status` once, each JSON key beside the member of its state that holds
 * the value, and vigil_status_fields() writes them in the table's order.
 * Every source formats its numbers the same way, and a key cannot drift
 * away from its value as it could in a long format string.
 */
#ifndef VIGIL_SOURCE_STATUS_H
#define VIGIL_SOURCE_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* The type of a member, and how it is written. */
enum vigil_status_kind {
	VIGIL_STATUS_KIND_U64,	/* uint64_t: decimal */
	VIGIL_STATUS_KIND_U32,	/* uint32_t or unsigned: decimal */
	VIGIL_STATUS_KIND_SIZE, /* size_t: decimal */
	VIGIL_STATUS_KIND_INT,	/* int: decimal, signed */
	VIGIL_STATUS_KIND_BOOL, /* bool: true or false */
};

/* One member of a status object. */
struct vigil_status_field {
	const char *name; /* the JSON key */
	size_t offset;	  /* of the value in the struct the table is for */
	int kind;	  /* enum vigil_status_kind */
};

/* The offset of member in type, and a compile error (an array of size
 * -1) when it is not as large as ctype: a table entry cannot read a
 * member as the wrong size. */
#define VIGIL__STATUS_SIZE_OK(type, member, ctype) \
	(sizeof(((type *)0)->member) == sizeof(ctype) ? 1 : -1)
#define VIGIL__STATUS_OFFSET(type, member, ctype) \
	(offsetof(type, member) +                 \
	 0 * sizeof(char[VIGIL__STATUS_SIZE_OK(type, member, ctype)]))
#define VIGIL__STATUS_FIELD(name, type, member, ctype, kind)              \
	{                                                                 \
		(name), VIGIL__STATUS_OFFSET(type, member, ctype), (kind) \
	}

/* Table entries: key name for member of struct type (member may name a
 * member of an embedded struct or an array element: tcp.evicted,
 * counters[PC_FORK]). */
#define VIGIL_STATUS_U64(name, type, member) \
	VIGIL__STATUS_FIELD(name, type, member, uint64_t, VIGIL_STATUS_KIND_U64)
#define VIGIL_STATUS_U32(name, type, member) \
	VIGIL__STATUS_FIELD(name, type, member, uint32_t, VIGIL_STATUS_KIND_U32)
#define VIGIL_STATUS_SIZE(name, type, member) \
	VIGIL__STATUS_FIELD(name, type, member, size_t, VIGIL_STATUS_KIND_SIZE)
#define VIGIL_STATUS_INT(name, type, member) \
	VIGIL__STATUS_FIELD(name, type, member, int, VIGIL_STATUS_KIND_INT)
#define VIGIL_STATUS_BOOL(name, type, member) \
	VIGIL__STATUS_FIELD(name, type, member, bool, VIGIL_STATUS_KIND_BOOL)

/*
 * Appends "key":value for each of the n entries of fields, read from base
 * (the struct the table is for), separated by commas.  A comma also goes
 * before the first unless out is empty or ends where a member starts
 * (after '{' or ','): a source's status_json may start with a table, and
 * a table may follow other members.  Returns 0 or -ENOMEM (out may
 * then end in the middle of the members).
 */
int vigil_status_fields(struct vigil_buf *out, const void *base,
			const struct vigil_status_field *fields, size_t n);

/* The same, as the members of an object under key: ,"key":{...}
 * (comma as above).  Returns 0 or -ENOMEM. */
int vigil_status_object(struct vigil_buf *out, const char *key,
			const void *base,
			const struct vigil_status_field *fields, size_t n);

#endif /* VIGIL_SOURCE_STATUS_H */
