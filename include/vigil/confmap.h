/*
 * vigil/confmap.h - configuration tables: one table per section says, for
 * every key, its type, where it goes in a settings struct, its default,
 * its range and a line of help.  The same table checks the section
 * (vigild --check-config: unknown keys with a "did you mean", type and
 * range errors at file:line:col) and reads it into the struct, so a key is
 * written once.
 *
 * How a section declares its table:
 *
 *	struct sink_settings {
 *		const char *path;
 *		int format;          // enum sink_format
 *		int64_t max_size;
 *		uint32_t keep;
 *		uint64_t flush_ms;
 *		bool verify;
 *	};
 *	static const struct vigil_config_name formats[] = {
 *		{ "json", FMT_JSON }, { "msgpack", FMT_MSGPACK }, { NULL, 0 },
 *	};
 *	#define S struct sink_settings
 *	static const struct vigil_config_entry sink_table[] = {
 *		{ VIGIL_CFG_PATH("path", S, path, NULL, "file to append to"),
 *		  .required = 1 },
 *		{ VIGIL_CFG_ENUM("format", S, format, FMT_JSON, formats,
 *				 "record encoding") },
 *		{ VIGIL_CFG_SIZE("rotate.max_size", S, max_size, 100 << 20,
 *				 0, INT64_MAX, "rotate past this size") },
 *		{ VIGIL_CFG_INT("rotate.keep", S, keep, 5, 0, 1000,
 *				"rotated files kept") },
 *		{ VIGIL_CFG_DURATION_MS("flush_interval", S, flush_ms, 1000,
 *					1, 60000, "write at least this often") },
 *		{ VIGIL_CFG_BOOL("tls.verify", S, verify, 1,
 *				 "check the peer's certificate") },
 *	};
 *
 * A dotted key ("rotate.keep") is a key of a nested map ("rotate:"); every
 * map level is checked for unknown keys.  Each macro expands to the
 * designators of one entry, so the entry's braces are the caller's and
 * ".required = 1" may follow.  Absent keys, and keys set to null (~ or
 * nothing), take the default.  The table is read in order; the first error
 * stops the read.
 *
 * Numbers are stored in the member's own width (bool, 8 to 64 bits,
 * signed or not); the range must fit it.  A duration is stored as a count
 * of the unit its macro names (_NS, _US, _MS, _S), its range is in that
 * unit, and a value finer than the unit ("500us" for a millisecond
 * setting) is an error, not a silent zero.  A bare number is seconds.
 *
 * Strings (STR, PATH, lists) point into the configuration document, which
 * the host keeps until the program exits; the _BUF variants copy into a
 * char array member and refuse a value that does not fit.  PATH values
 * must be absolute.
 *
 * Plugins read their section with the host's config_map call
 * (vigil/plugin.h) and publish the same table in their descriptor, so
 * vigild --check-config checks their section without starting them.
 */
#ifndef VIGIL_CONFMAP_H
#define VIGIL_CONFMAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum vigil_config_type {
	VIGIL_CFG_T_BOOL = 1, /* true, false, yes, no; nothing else */
	VIGIL_CFG_T_INT,      /* integer in [min, max] */
	VIGIL_CFG_T_SIZE,     /* bytes, k/M/G/T suffixes (1024), [min, max] */
	VIGIL_CFG_T_DURATION, /* ns/us/ms/s/m/h/d; stored in units of unit */
	VIGIL_CFG_T_STR,      /* non-empty string */
	VIGIL_CFG_T_PATH,     /* absolute path */
	VIGIL_CFG_T_ENUM,     /* one of names, stored as its value */
	VIGIL_CFG_T_FLAGS,    /* list of names, stored as the OR of values */
	VIGIL_CFG_T_STRLIST,  /* list of strings (one string: a list of one) */
	VIGIL_CFG_T_PATHLIST, /* list of absolute paths */
	VIGIL_CFG_T_MAP,      /* a map read by someone else: its node */
	VIGIL_CFG_T_SEQ,      /* a list read by someone else: its node */
};

/* flags, set by the macros */
#define VIGIL_CFG_F_SIGNED 0x1u /* the numeric member is a signed type */
#define VIGIL_CFG_F_INLINE 0x2u /* a string copied into char[size] */

/* Duration units: nanoseconds per stored unit. */
#define VIGIL_CFG_UNIT_NS INT64_C(1)
#define VIGIL_CFG_UNIT_US INT64_C(1000)
#define VIGIL_CFG_UNIT_MS INT64_C(1000000)
#define VIGIL_CFG_UNIT_S INT64_C(1000000000)

/* One name of an enum or flags setting; a table ends with name NULL.
 * Names match without regard to case.  Names sharing a value are
 * aliases: messages list the first. */
struct vigil_config_name {
	const char *name;
	int64_t value;
};

struct vigil_config_entry {
	const char *key;       /* "path", "rotate.max_size" */
	uint32_t type;         /* enum vigil_config_type */
	uint32_t flags;        /* VIGIL_CFG_F_* */
	uint32_t required;     /* 1: absent is an error */
	uint32_t reserved0;
	size_t offset;         /* of the member in the settings struct */
	size_t size;           /* of the member (lists: of the array) */
	size_t count_offset;   /* lists: of their size_t count member */
	int64_t min, max;      /* numbers (durations: in unit) */
	int64_t unit;          /* durations: VIGIL_CFG_UNIT_* */
	int64_t def;           /* numbers, bool, enum and flags default */
	const char *def_str;   /* strings and paths default, or NULL */
	const struct vigil_config_name *names; /* enum, flags */
	const char *help;      /* what the setting does, for messages */
	void *reserved[2];
};

#define VIGIL_CFG__MEMBER(T, m)                                                \
	.offset = offsetof(T, m), .size = sizeof(((T *)0)->m)
/* (type)-1 is below 1 only in a signed type; "< 0" would warn for the
 * unsigned ones (-Wtype-limits). */
#define VIGIL_CFG__SIGNED(T, m)                                                \
	((__typeof__(((T *)0)->m))-1 < 1 ? VIGIL_CFG_F_SIGNED : 0u)
#define VIGIL_CFG__NUM(k, t, T, m, d, lo, hi, h)                               \
	.key = (k), .type = (t), VIGIL_CFG__MEMBER(T, m),                      \
	.flags = VIGIL_CFG__SIGNED(T, m), .def = (d), .min = (lo),             \
	.max = (hi), .help = (h)

/* bool, or any integer member set to 0/1 */
#define VIGIL_CFG_BOOL(k, T, m, d, h)                                          \
	VIGIL_CFG__NUM(k, VIGIL_CFG_T_BOOL, T, m, d, 0, 1, h)
#define VIGIL_CFG_INT(k, T, m, d, lo, hi, h)                                   \
	VIGIL_CFG__NUM(k, VIGIL_CFG_T_INT, T, m, d, lo, hi, h)
#define VIGIL_CFG_SIZE(k, T, m, d, lo, hi, h)                                  \
	VIGIL_CFG__NUM(k, VIGIL_CFG_T_SIZE, T, m, d, lo, hi, h)
#define VIGIL_CFG__DUR(k, u, T, m, d, lo, hi, h)                               \
	VIGIL_CFG__NUM(k, VIGIL_CFG_T_DURATION, T, m, d, lo, hi, h),           \
	.unit = (u)
#define VIGIL_CFG_DURATION_NS(k, T, m, d, lo, hi, h)                           \
	VIGIL_CFG__DUR(k, VIGIL_CFG_UNIT_NS, T, m, d, lo, hi, h)
#define VIGIL_CFG_DURATION_US(k, T, m, d, lo, hi, h)                           \
	VIGIL_CFG__DUR(k, VIGIL_CFG_UNIT_US, T, m, d, lo, hi, h)
#define VIGIL_CFG_DURATION_MS(k, T, m, d, lo, hi, h)                           \
	VIGIL_CFG__DUR(k, VIGIL_CFG_UNIT_MS, T, m, d, lo, hi, h)
#define VIGIL_CFG_DURATION_S(k, T, m, d, lo, hi, h)                            \
	VIGIL_CFG__DUR(k, VIGIL_CFG_UNIT_S, T, m, d, lo, hi, h)
/* names: a struct vigil_config_name table; the member an integer */
#define VIGIL_CFG_ENUM(k, T, m, d, names_, h)                                  \
	VIGIL_CFG__NUM(k, VIGIL_CFG_T_ENUM, T, m, d, INT64_MIN, INT64_MAX, h), \
	.names = (names_)
#define VIGIL_CFG_FLAGS(k, T, m, d, names_, h)                                 \
	VIGIL_CFG__NUM(k, VIGIL_CFG_T_FLAGS, T, m, d, INT64_MIN, INT64_MAX,    \
		       h),                                                     \
	.names = (names_)
/* member: const char * (into the document) */
#define VIGIL_CFG_STR(k, T, m, d, h)                                           \
	.key = (k), .type = VIGIL_CFG_T_STR, VIGIL_CFG__MEMBER(T, m),          \
	.def_str = (d), .help = (h)
#define VIGIL_CFG_PATH(k, T, m, d, h)                                          \
	.key = (k), .type = VIGIL_CFG_T_PATH, VIGIL_CFG__MEMBER(T, m),         \
	.def_str = (d), .help = (h)
/* member: char[N], the value copied */
#define VIGIL_CFG_STRBUF(k, T, m, d, h)                                        \
	VIGIL_CFG_STR(k, T, m, d, h), .flags = VIGIL_CFG_F_INLINE
#define VIGIL_CFG_PATHBUF(k, T, m, d, h)                                       \
	VIGIL_CFG_PATH(k, T, m, d, h), .flags = VIGIL_CFG_F_INLINE
/* arr: const char *arr[N]; cnt: size_t, the number of items read */
#define VIGIL_CFG__LIST(k, t, T, arr, cnt, h)                                  \
	.key = (k), .type = (t), VIGIL_CFG__MEMBER(T, arr),                    \
	.count_offset = offsetof(T, cnt) +                                     \
			0 * sizeof(char[sizeof(((T *)0)->cnt) ==               \
						sizeof(size_t) ? 1 : -1]),     \
	.help = (h)
#define VIGIL_CFG_STRLIST(k, T, arr, cnt, h)                                   \
	VIGIL_CFG__LIST(k, VIGIL_CFG_T_STRLIST, T, arr, cnt, h)
#define VIGIL_CFG_PATHLIST(k, T, arr, cnt, h)                                  \
	VIGIL_CFG__LIST(k, VIGIL_CFG_T_PATHLIST, T, arr, cnt, h)
/* member: const void * (the host's node; opaque) */
#define VIGIL_CFG_MAP(k, T, m, h)                                              \
	.key = (k), .type = VIGIL_CFG_T_MAP, VIGIL_CFG__MEMBER(T, m), .help = (h)
#define VIGIL_CFG_SEQ(k, T, m, h)                                              \
	.key = (k), .type = VIGIL_CFG_T_SEQ, VIGIL_CFG__MEMBER(T, m), .help = (h)

#ifdef __cplusplus
}
#endif
#endif /* VIGIL_CONFMAP_H */
