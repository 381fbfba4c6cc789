/*
 * vigil/fields.h - the field registry: every field of an event, by its
 * rule-language name, with its type and an accessor.
 *
 * A field is defined once, in the daemon's schema (src/schema.c).  The rule
 * language type-checks and reads fields through this table, the JSON and
 * msgpack encoders walk the same schema, so a name cannot mean one thing in
 * a rule and another in the output.  Plugins get the table through the host
 * API (vigil_host_api.fields) and never link against the daemon.
 */
#ifndef VIGIL_FIELDS_H
#define VIGIL_FIELDS_H

#include <vigil/event.h>

#ifdef __cplusplus
extern "C" {
#endif

enum vigil_vtype {
	VIGIL_T_NONE = 0,
	VIGIL_T_STR,
	VIGIL_T_INT,  /* int64 */
	VIGIL_T_BOOL,
	VIGIL_T_IP,
	VIGIL_T_TIME,     /* int64 ns since the epoch */
	VIGIL_T_DURATION, /* int64 ns */
};

struct vigil_value {
	uint32_t type; /* enum vigil_vtype */
	union {
		struct vigil_str s;
		int64_t i;
		bool b;
		struct vigil_ip ip;
	} u;
};

enum vigil_field_flags {
	/* Several values per event, read by index (process.argv, dns.answers). */
	VIGIL_FIELD_LIST = 1u << 0,
	/* Iterates over the ancestors: index = ancestor (process.ancestors.*). */
	VIGIL_FIELD_ITER = 1u << 1,
	/* A path: glob patterns use '/' as separator. */
	VIGIL_FIELD_PATH = 1u << 2,
	/* Compared without case (dns.question.name). */
	VIGIL_FIELD_NOCASE = 1u << 3,
	/* Derived from other fields; not encoded, only read by rules. */
	VIGIL_FIELD_DERIVED = 1u << 4,
	/* Integer with named constants (see vigil_field.constants). */
	VIGIL_FIELD_CONST = 1u << 5,
};

/* A named constant for integer fields (PTRACE_ATTACH, CLONE_NEWNS ...). */
struct vigil_constant {
	const char *name;
	int64_t value;
};

struct vigil_field;

/*
 * Reads value number idx of field f from ev into out.  For scalar fields idx
 * is 0.  Returns 0 when the value is present, -ENODATA when this index has
 * no value but later ones may (an ancestor without a tty), -ENOENT when
 * there are no more values.  Strings in out point into the event.
 */
typedef int (*vigil_field_get_fn)(const struct vigil_field *f,
				  const struct vigil_event *ev, uint32_t idx,
				  struct vigil_value *out);

struct vigil_field {
	const char *name; /* "process.ancestors.file.name" */
	uint32_t type;    /* enum vigil_vtype */
	uint32_t flags;   /* enum vigil_field_flags */
	uint64_t events;  /* VIGIL_EVBIT() mask of types that carry it */
	vigil_field_get_fn get;
	const char *doc;  /* one line for vigilctl and vigil-rules(5) */
	/* Constants a rule may use with this field, NULL-terminated. */
	const struct vigil_constant *constants;
	const void *priv[10]; /* the host's schema path; do not touch */
};

struct vigil_field_table {
	const struct vigil_field *fields;
	size_t count;
};

/* Name of an event type ("exec"), or NULL if out of range. */
static inline const char *vigil_event_type_name(uint32_t type)
{
	static const char *const names[] = {
#define VIGIL__EV_NAME(e, name, kind) name,
		VIGIL_EVENT_TYPES(VIGIL__EV_NAME)
#undef VIGIL__EV_NAME
	};
	return type < VIGIL_EV__COUNT ? names[type] : NULL;
}

/* Event type for a name of len bytes, or -1. */
static inline int vigil_event_type_from_name(const char *name, size_t len)
{
	for (uint32_t t = 1; t < VIGIL_EV__COUNT; t++) {
		const char *n = vigil_event_type_name(t);
		size_t i = 0;
		while (i < len && n[i] && n[i] == name[i])
			i++;
		if (i == len && n[i] == '\0')
			return (int)t;
	}
	return -1;
}

#ifdef __cplusplus
}
#endif
#endif /* VIGIL_FIELDS_H */
