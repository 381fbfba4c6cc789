/*
 * audit_rules.h - vigil's own kernel audit rules, installed politely.
 *
 * Exit rules per arch (b64 and b32), all under vigil's key, plus a "never"
 * rule for vigil's own pid placed first.  Which syscalls, and with which
 * filters, is derived from the loaded policy (audit.rules: derived) or is
 * every syscall group (all); one function writes them as auditctl lines
 * and both the source (through libaudit) and vigilctl use those lines.  Only those
 * exact rules are ever deleted; other tools' rules, the failure mode and
 * the enabled flag are left alone.  A flush (auditctl -D, augenrules) is
 * detected by listing the rules and repaired by re-installing ours.
 */
#ifndef VIGIL_AUDIT_RULES_H
#define VIGIL_AUDIT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct audit_rule_data;
struct vigil_config;
struct vigil_field_table;
struct vigil_node;
struct vigil_ruleset;

#define VIGIL_AUDIT_MAX_RULES 128
/* Values of one filter (a rule each) before a type gets the plain rule. */
#define VIGIL_AUDIT_MAX_FILTERS 16
/* Path watches of open rules (a rule each, for every arch). */
#define VIGIL_AUDIT_MAX_WATCHES 32

/* audit.rules: which kernel rules the audit source installs. */
enum vigil_audit_rules_mode {
	VIGIL_AUDIT_RULES_DERIVED = 0, /* what the loaded policy needs */
	VIGIL_AUDIT_RULES_ALL,         /* every syscall group, no filter */
	VIGIL_AUDIT_RULES_NONE,        /* none: someone else loads them */
};

/* The syscall groups, for the rules and the rules.d file. */
struct vigil_audit_group {
	const char *name;
	const char *const *syscalls; /* NULL-terminated names */
};
extern const struct vigil_audit_group vigil_audit_groups[];
extern const unsigned vigil_audit_n_groups;

/* Rules vigil installed (copies, to delete exactly those). */
struct vigil_audit_rules {
	char key[64];
	struct audit_rule_data *rule[VIGIL_AUDIT_MAX_RULES];
	char *line[VIGIL_AUDIT_MAX_RULES]; /* its auditctl text */
	int flags[VIGIL_AUDIT_MAX_RULES];
	int action[VIGIL_AUDIT_MAX_RULES];
	unsigned n;
	bool installed;
	uint64_t reinstalls;
};

/*
 * THE derivation: appends to out, one auditctl line each, the rules vigil
 * installs under key.  First, when self_pid > 0, a "never" rule per arch
 * for vigil's own pid; then per arch (b64, b32) the exit rules:
 *  - rs NULL (audit.rules: all): every syscall group, unfiltered;
 *  - otherwise only the syscalls whose event type some enabled rule of
 *    rs uses (exec always: the process table needs it), plain for a type
 *    that some rule needs unfiltered, else one rule per value of the
 *    union vigil_audit_kernel_filters() computed (-F exe=, path=, dir=,
 *    uid=, auid=, a0..a3=).  A filter the kernel would refuse on this
 *    host (the directory of a path does not exist), with more than
 *    VIGIL_AUDIT_MAX_FILTERS values, or past the rule budget is plain.
 *    The xattr family counts as syscall rules (setxattr, removexattr
 *    events): rare calls that fanotify does not report.
 * Syscalls an arch lacks are left out.  Last, with rs, one arch-less
 * path watch (-S all -F path=P -F perm=r|w|rw, as auditctl -w writes
 * it) per path that open rules pin (vigil_audit_open_watches()), up to
 * VIGIL_AUDIT_MAX_WATCHES.  Returns 0 or -ENOMEM.
 */
int vigil_audit_rules_derive(const struct vigil_ruleset *rs, const char *key,
			     int self_pid, struct vigil_buf *out);

/*
 * audit.rules: all: every syscall group unfiltered (derive() with no
 * policy), and, when the policy rs loaded (may be NULL), its path
 * watches too, so that "all" never audits less than "derived".  Returns
 * 0 or -ENOMEM.
 */
int vigil_audit_rules_derive_all(const struct vigil_ruleset *rs,
				 const char *key, int self_pid,
				 struct vigil_buf *out);

/*
 * Whether the rules derived from rs (NULL: audit.rules all) audit every
 * setxattr and removexattr call, on any path: then the fim trees need no
 * xattr rules of their own.
 */
bool vigil_audit_rules_xattr_everywhere(const struct vigil_ruleset *rs);

/*
 * What the rules in r ask the kernel to report beyond their key: the
 * paths of their path watches (strdup'ed into *paths, *n of them: free
 * each and the array; NULL when none) and whether one rule audits every
 * setxattr and removexattr call (no filter but the arch).  For the event
 * builder (vigil_audit_builder_set_watches).  Returns 0 or -ENOMEM.
 */
int vigil_audit_rules_asks(const struct vigil_audit_rules *r, char ***paths,
			   size_t *n, bool *xattr_everywhere);

/*
 * Loads the policy the rules engine runs: the paths of the "rules"
 * plugin's config in cfg (paths: [...]), or, when cfg is NULL or names
 * none, the defaults that exist (the shipped policy, /etc/vigil/rules.d),
 * like plugins/rules/rules.c.  Stores the ruleset in *out (caller frees)
 * and returns 0, or returns a negative errno with the reasons in err.
 */
int vigil_audit_rules_load_policy(const struct vigil_config *cfg,
				  const struct vigil_field_table *ft,
				  struct vigil_ruleset **out,
				  struct vigil_buf *err);

/*
 * Builds r from auditctl lines as vigil_audit_rules_derive() writes them
 * (-a, -F, -S, -k; '#' comments), through libaudit as auditctl does.
 * Returns 0, -E2BIG (more than VIGIL_AUDIT_MAX_RULES), -EINVAL (a line
 * libaudit refuses) or -ENOMEM.  Free with vigil_audit_rules_free().
 */
int vigil_audit_rules_from_text(struct vigil_audit_rules *r, const char *key,
				const char *text);

/*
 * The catch-all set (audit.rules: all) for key and pid (the process to
 * exclude): derive(NULL) then from_text.  Returns 0 or a negative errno.
 */
int vigil_audit_rules_build(struct vigil_audit_rules *r, const char *key,
			    int self_pid);

void vigil_audit_rules_free(struct vigil_audit_rules *r);

/* Adds every rule over the audit socket fd (rules already there are
 * fine: EEXIST).  Returns 0 or the first negative errno. */
int vigil_audit_rules_install(struct vigil_audit_rules *r, int fd);
/* Deletes exactly our rules; missing ones are fine. */
void vigil_audit_rules_remove(struct vigil_audit_rules *r, int fd);
/*
 * Counts the kernel's rules carrying r->key (AUDIT_LIST_RULES on fd).
 * Returns the count or a negative errno.
 */
int vigil_audit_rules_count(const struct vigil_audit_rules *r, int fd);

/*
 * Deletes every kernel rule that carries r->key: at start, before vigil
 * installs its own, these can only be left by an instance that died
 * without cleaning up (kill -9).  Returns how many were removed, -EBUSY
 * (removing nothing) when the vigild named in them is still running, or
 * a negative errno.
 */
int vigil_audit_rules_remove_stale(const struct vigil_audit_rules *r, int fd);

/* Writes the same rules in auditctl syntax (a rules.d file) to path,
 * atomically (temp file and rename).  Returns 0 or a negative errno. */
int vigil_audit_rules_write_file(const struct vigil_audit_rules *r,
				 const char *path);

#endif /* VIGIL_AUDIT_RULES_H */
