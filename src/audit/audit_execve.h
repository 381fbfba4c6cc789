/*
 * audit_execve.h - rebuild argv from EXECVE records, exactly as the kernel
 * writes them (audit_log_execve_info() in kernel/auditsc.c):
 *
 *   argc=3 a0="ls" a1=2D6C61 a2_len=20000 a2[0]=... a2[1]=...
 *
 * A value is quoted, or hex when it holds '"', a byte below 0x21 or above
 * 0x7e.  An argument too long for the record is written as aN_len=<full
 * length> and pieces aN[0], aN[1]..., each quoted or hex, continuing in
 * the next EXECVE record of the same event.  Empty arguments may be left
 * out, so argc can exceed the arguments present; they decode as "".
 *
 * PROCTITLE (the first 128 bytes of the command line, NUL-separated, hex
 * when it holds a NUL) is the fallback when there is no EXECVE record.
 */
#ifndef VIGIL_AUDIT_EXECVE_H
#define VIGIL_AUDIT_EXECVE_H

#include <stdbool.h>
#include <stdint.h>

#include "audit/audit_record.h"
#include "util.h"

/* Arguments beyond this are refused (the kernel's MAX_ARG_STRINGS is
 * larger, but ARG_MAX of 2 MiB of pointers and NULs cannot exceed it). */
#define VIGIL_AUDIT_MAX_ARGC (1u << 20)

/*
 * Decoder state, reused across events (owned by the caller, freed with
 * vigil_audit_argv_free()).  After vigil_audit_argv_end(), argument i is
 * bytes[off[i], off[i] + len[i]) or, when off[i] is UINT32_MAX, empty.
 */
struct vigil_audit_argv {
	struct vigil_buf bytes;
	uint32_t *off;
	uint32_t *len;
	uint64_t *want; /* aN_len still to come (written bytes) */
	uint32_t cap;
	uint32_t argc;
	bool have_argc;
	bool incomplete; /* pieces missing, out of order, or bad encoding */
	int32_t cur;     /* argument whose pieces are being read, or -1 */
	uint32_t next_piece;
};

void vigil_audit_argv_begin(struct vigil_audit_argv *a);
/*
 * Adds one EXECVE record (fields parsed).  Returns 0, -ENOMEM, or -EINVAL
 * when the record is not EXECVE syntax (no argc in the first record, an
 * argc over VIGIL_AUDIT_MAX_ARGC); bad pieces only set incomplete.
 */
int vigil_audit_argv_add(struct vigil_audit_argv *a,
			 const struct vigil_audit_record *rec);
/* Checks pieced arguments against their aN_len.  Returns 0 or -EINVAL if
 * no record carried argc. */
int vigil_audit_argv_end(struct vigil_audit_argv *a);

/*
 * Decodes a PROCTITLE value (quoted, or hex with NUL separators) into
 * arguments in a.  Returns 0, -ENODATA for (null), -EINVAL, -ENOMEM.
 */
int vigil_audit_argv_proctitle(struct vigil_audit_argv *a,
			       const struct vigil_audit_record *rec,
			       const struct vigil_audit_field *f);

void vigil_audit_argv_free(struct vigil_audit_argv *a);

#endif /* VIGIL_AUDIT_EXECVE_H */
