/*
 * audit_event.h - turn an assembled audit event into a struct vigil_event.
 *
 * SYSCALL gives the process context (pid, ppid, ids, auid, session, tty,
 * comm, exe) and the syscall; EXECVE the argv (PROCTITLE when there is
 * none); CWD the working directory; PATH the files; OBJ_PID the target of
 * ptrace and signals; CAPSET the new capability sets.  The syscall name
 * (from libaudit's table for the record's arch) picks the event type: exec,
 * exit, the kernel-activity types, and, for records carrying vigil's file
 * key (audit watches, the FIM fallback), the file types.
 *
 * Every string is copied into the event's arena; nothing points into the
 * records afterwards.
 */
#ifndef VIGIL_AUDIT_EVENT_H
#define VIGIL_AUDIT_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vigil/event.h>

#include "audit/audit_execve.h"
#include "audit/audit_reasm.h"

/* Fields per record kept by the builder: an 8970-byte netlink record holds
 * at most about 1800 "aN=x" fields; log lines may be longer. */
#define VIGIL_AUDIT_MAX_FIELDS 4096

/* Default key of vigil's rules, and suffix of its file-watch key. */
#define VIGIL_AUDIT_DEFAULT_KEY "vigil"

/* Reusable builder state; owned by the source. */
struct vigil_audit_builder {
	struct vigil_audit_field *fields; /* VIGIL_AUDIT_MAX_FIELDS */
	struct vigil_audit_argv argv;
	uint32_t *execve_idx; /* VIGIL_AUDIT_MAX_EVENT_RECORDS */
	char key[64];   /* rule key: file events need a key starting so */
	uint32_t key_len;
	uint64_t malformed; /* records that did not parse */
	uint64_t incomplete_argv; /* exec events whose argv is partial */
	/* Live records: ask this host what a setxattr or removexattr
	 * changed (the attribute name is a user pointer audit does not
	 * log); never for replayed records of another time or host. */
	bool probe_host;
	/* What vigil's own rules ask the kernel for beyond its key (see
	 * vigil_audit_builder_set_watches). */
	char **watch_paths;
	uint32_t n_watch_paths;
	bool xattr_everywhere;
};

/* Returns 0 or -ENOMEM; key NULL means VIGIL_AUDIT_DEFAULT_KEY. */
int vigil_audit_builder_init(struct vigil_audit_builder *b, const char *key);
void vigil_audit_builder_free(struct vigil_audit_builder *b);

/*
 * The kernel logs a syscall once, under the key of the first rule that
 * matches it: a file call vigil's rules ask for may arrive under
 * auditd's key (CIS rules on the xattr calls) or another agent's.  File
 * records without vigil's key are still built into events when they are
 * calls on one of paths (vigil's path watches) or, with
 * xattr_everywhere, any setxattr/removexattr call.  Copies paths;
 * replaces what an earlier call set.  Returns 0 or -ENOMEM.
 */
int vigil_audit_builder_set_watches(struct vigil_audit_builder *b,
				    const char *const *paths, size_t n,
				    bool xattr_everywhere);

/*
 * Builds ev (already vigil_event_init()ed on an arena the caller resets
 * between events) from ae.  Returns 0 when ev is an event to submit,
 * -ENOENT when ae is no event vigil reports (a record type or syscall it
 * does not map, file activity without vigil's key), -EINVAL for a
 * malformed event, -ENOMEM.
 */
int vigil_audit_build(struct vigil_audit_builder *b,
		      const struct vigil_audit_asm_event *ae,
		      struct vigil_event *ev);

/*
 * The event type (VIGIL_EV_*) vigil builds from a record of syscall name
 * under a syscall rule of its own, or -ENOENT (file syscalls other than
 * the xattr family, which become events only through vigil's file
 * watches, and syscalls vigil does not map).  Every file event needs
 * vigil's key on the record.
 */
int vigil_audit_syscall_event_type(const char *name);

/*
 * Fills ev as an `agent` event of subsystem "audit" from this process
 * (kind and detail are copied into the arena).  Returns 0 or -ENOMEM.
 */
int vigil_audit_agent_event(struct vigil_event *ev, const char *kind,
			    int64_t count, const char *detail);

#endif /* VIGIL_AUDIT_EVENT_H */
