/*
 * audit_event_int.h - what the three parts of the audit event builder
 * share and nothing else uses: audit_event.c (the records of one event
 * read into it: process, syscall, cwd, argv, paths; which records are
 * vigil's), audit_event_kernel.c (the per-syscall part of kernel-activity
 * events) and audit_event_file.c (file events from audit watches).
 */
#ifndef VIGIL_AUDIT_EVENT_INT_H
#define VIGIL_AUDIT_EVENT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <vigil/event.h>

#include "audit/audit_event.h"

/* PATH records kept per event (the kernel's AUDIT_NAMES is 5; renames
 * across directories and exec of scripts add a few). */
#define MAX_PATHS 16

/* What a syscall becomes. */
enum sc_kind {
	SC_EXEC = 1,
	SC_EXIT,
	SC_REQ_A0,    /* request = a0: bpf cmd, unshare flags, personality */
	SC_REQ_A1,    /* request = a1: setns nstype */
	SC_PTRACE,    /* request = a0, target = a1 / OBJ_PID */
	SC_TARGET_A0, /* process_vm_writev: target = a0 */
	SC_MODULE,    /* init/finit_module */
	SC_UNMODULE,  /* delete_module */
	SC_MOUNT,
	SC_UMOUNT,
	SC_PIVOT,
	SC_CHROOT,
	SC_PLAIN,     /* only the syscall: perf_event_open, kexec ... */
	SC_MEMFD,
	SC_CAPSET,
	SC_SETUID,    /* new ids from the arguments, per syscall in
		       * sc_table (audit_event.c) */
	SC_SETGID,
	SC_KILL,      /* kill/tkill: target a0, signal a1 */
	SC_TGKILL,    /* tgkill: target a0, signal a2 */
	SC_FILE,      /* file activity: needs vigil's key */
};

struct sc_map {
	const char *name;
	uint16_t type; /* VIGIL_EV_* */
	uint8_t kind;  /* enum sc_kind */
	uint8_t arg;   /* SC_FILE: argument with the mode/owner; SC_SET*ID:
			* layout, see set_ids() (audit_event_kernel.c) */
};

/* PATH nametype values as the kernel writes them. */
enum path_nametype {
	NT_UNKNOWN = 0,
	NT_NORMAL,
	NT_PARENT,
	NT_CREATE,
	NT_DELETE,
};

struct path_info {
	int64_t item;
	struct vigil_str name; /* in the arena */
	uint64_t inode, dev;
	uint64_t cap_fver; /* file capabilities at lookup: 0 none */
	uint32_t mode, ouid, ogid;
	uint8_t nametype;
	bool has_stat;
	bool has_fcaps; /* cap_fver= was there (kernel 4.15+...) */
};

/* What the first pass found. */
struct layout {
	int32_t syscall, cwd, proctitle, obj_pid, capset;
	uint32_t n_execve, n_path;
	uint32_t *execve; /* VIGIL_AUDIT_MAX_EVENT_RECORDS, the builder's */
	uint32_t path[MAX_PATHS];
};

/* Parses record i of ae into rec with the builder's field array.  Returns
 * 0, or -EINVAL (counted in b->malformed). */
int vigil__audit_load(struct vigil_audit_builder *b,
		      const struct vigil_audit_asm_event *ae, uint32_t i,
		      struct vigil_audit_record *rec);

/*
 * Copies the untrusted string (quoted or hex) of field key of rec into
 * ev's arena.  A missing field, (null) or ? leaves *out empty; bad hex
 * keeps the raw text.  Returns 0 or -ENOMEM.
 */
int vigil__audit_copy_ustr(struct vigil_event *ev,
			   const struct vigil_audit_record *rec,
			   const char *key, struct vigil_str *out);

/* Joins a relative PATH name onto cwd ("./x" -> "<cwd>/x") in ev's arena;
 * an absolute name is used as it is.  Returns 0 or -ENOMEM. */
int vigil__audit_absolute(struct vigil_event *ev, struct vigil_str cwd,
			  struct vigil_str name, struct vigil_str *out);

/* The PATH record with item n, or NULL. */
const struct path_info *vigil__audit_path_item(const struct path_info *paths,
					       uint32_t n_paths, int64_t item);

/* Copies inode, device, mode and owner of pi (when it has them) to f. */
void vigil__audit_path_to_file(const struct path_info *pi,
			       struct vigil_file *f);

/*
 * The per-syscall part of a kernel-activity event of kind m->kind: its
 * request, target, module, mount points, capability sets or new ids
 * (audit_event_kernel.c).  ev already holds the process, the syscall and
 * the argv.  Returns 0 or -ENOMEM.
 */
int vigil__audit_fill_kernel(struct vigil_audit_builder *b,
			     const struct vigil_audit_asm_event *ae,
			     const struct layout *l, struct vigil_event *ev,
			     const struct sc_map *m,
			     const struct path_info *paths, uint32_t n_paths);

/*
 * The file part of a file event from its PATH records: the object and,
 * for rename and link, the destination, the new mode, owner or open flags
 * (audit_event_file.c).  Reuses ev->u (the syscall's arguments are read
 * first).  Returns 0 or -ENOMEM.
 */
int vigil__audit_fill_file(struct vigil_audit_builder *b,
			   struct vigil_event *ev, const struct sc_map *m,
			   const struct path_info *paths, uint32_t n_paths);

#endif /* VIGIL_AUDIT_EVENT_INT_H */
