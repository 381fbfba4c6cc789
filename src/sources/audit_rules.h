/*
 * audit_rules.h - vigil's own kernel audit rules, installed politely.
 *
 * One exit rule per syscall group and arch (b64 and b32), all under vigil's
 * key, plus a "never" rule for vigil's own pid placed first.  Only those
 * exact rules are ever deleted; other tools' rules, the failure mode and
 * the enabled flag are left alone.  A flush (auditctl -D, augenrules) is
 * detected by listing the rules and repaired by re-installing ours.
 */
#ifndef VIGIL_AUDIT_RULES_H
#define VIGIL_AUDIT_RULES_H

#include <stdbool.h>
#include <stdint.h>

struct audit_rule_data;

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
	struct audit_rule_data *rule[32];
	int flags[32];
	int action[32];
	unsigned n;
	bool installed;
	uint64_t reinstalls;
};

/*
 * Builds the rule set for key and pid (the process to exclude).  Returns 0
 * or -ENOMEM / -EINVAL (a syscall group that resolves to nothing on every
 * arch).  Free with vigil_audit_rules_free().
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
 * without cleaning up (kill -9).  Returns how many were removed, or a
 * negative errno.
 */
int vigil_audit_rules_remove_stale(const struct vigil_audit_rules *r, int fd);

/* Writes the same rules in auditctl syntax (a rules.d file) to path,
 * atomically (temp file and rename).  Returns 0 or a negative errno. */
int vigil_audit_rules_write_file(const struct vigil_audit_rules *r,
				 const char *path, int self_pid);

#endif /* VIGIL_AUDIT_RULES_H */
