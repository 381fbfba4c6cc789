/*
 * audit_derive.h - kernel-side filters and path watches derived from a
 * loaded policy (audit_derive.c); audit_rules.c installs them.
 */
#ifndef VIGIL_AUDIT_DERIVE_H
#define VIGIL_AUDIT_DERIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lang/policy.h"

/*
 * What the kernel must report for one event type so that every enabled
 * rule of that type still sees all the events it can match.  When each of
 * those rules requires the file path (or the executable, the uid, the
 * login uid, a syscall argument) to be one of a few values or under a
 * directory, the union of those constraints is a filter the audit source
 * can install (-F path=, -F dir=, -F exe=, -F uid=, -F auid=, -F aN=);
 * otherwise the type is unfiltered.
 */
enum vigil_kfilter_kind {
	VIGIL_KF_PATH = 1, /* the event's file path equals value */
	VIGIL_KF_DIR,      /* the event's file path is under value */
	VIGIL_KF_EXE,      /* the process executable equals value */
	VIGIL_KF_UID,      /* the process uid equals num */
	VIGIL_KF_AUID,     /* the process login uid equals num */
	VIGIL_KF_ARG,      /* syscall argument a<arg> equals num */
};

struct vigil_kfilter_item {
	uint32_t kind; /* enum vigil_kfilter_kind */
	const char *value; /* PATH, DIR, EXE; NULL for the others */
	uint32_t arg;      /* ARG: 0 to 3 */
	uint64_t num;      /* UID, AUID, ARG */
};

struct vigil_kfilter {
	uint32_t event_type;
	uint32_t n_rules; /* enabled rules of the type */
	bool unfiltered;  /* some rule needs every event of the type */
	const struct vigil_kfilter_item *items; /* any of them */
	uint32_t n_items;
};

/*
 * One entry per event type that has enabled rules, in type order.  Stores
 * in *out an array of *n entries that the caller releases with one free();
 * strings point into the ruleset or into that block.  Returns 0 or
 * -ENOMEM.
 */
int vigil_audit_kernel_filters(const struct vigil_ruleset *rs,
			       struct vigil_kfilter **out, size_t *n);

/*
 * Audit path watches for the open rules that pin file.path to a few
 * paths (/etc/shadow, /proc/sys/kernel/core_pattern,
 * /etc/ssh/ssh_host_*_key): places fanotify cannot see (/proc) or events
 * it does not report (reads).  Each enabled rule of type open whose &&
 * terms include file.path == P, in [...] or a glob asks for a watch on
 * each of those paths, with the access its flag terms allow: write when
 * it requires file.flags & O_WRONLY or O_RDWR, read when it excludes
 * O_WRONLY (!(file.flags & O_WRONLY)), both otherwise.  A glob pattern
 * with * or ? is passed on as a pattern (the audit rules watch each
 * existing path it matches); one with ** cannot be watched and is left
 * out (a term made only of those pins nothing).  Rules without such a
 * term ask for nothing (fanotify serves them on the fim trees).
 */
enum vigil_watch_perm {
	VIGIL_WATCH_READ = 1u << 0,
	VIGIL_WATCH_WRITE = 1u << 1,
};

struct vigil_path_watch {
	const char *path; /* into the ruleset */
	uint32_t perm;    /* enum vigil_watch_perm bits */
	bool pattern;     /* path has * or ? (no **): watch what it matches */
};

/*
 * One entry per distinct path, in rule order, permissions merged.  Stores
 * in *out an array of *n entries the caller releases with free() (NULL
 * when none).  Returns 0 or -ENOMEM.
 */
int vigil_audit_open_watches(const struct vigil_ruleset *rs,
			     struct vigil_path_watch **out, size_t *n);

#endif /* VIGIL_AUDIT_DERIVE_H */
