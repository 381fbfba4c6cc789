/*
 * audit_rules.c - vigil's kernel audit rules through libaudit (see
 * audit_rules.h).
 *
 * libaudit resolves syscall names for the arch set by the last
 * "arch=" field pair, so each rule sets its arch first, then its
 * syscalls, then the key.  A name the arch lacks (kexec_file_load on
 * i386) is skipped.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libaudit.h>

#include "sources/audit_rules.h"
#include "util.h"

static const char *const exec_sc[] = { "execve", "execveat", NULL };
static const char *const inject_sc[] = { "ptrace", "process_vm_writev",
					 "kill", "tkill", "tgkill", NULL };
static const char *const module_sc[] = { "init_module", "finit_module",
					 "delete_module", "kexec_load",
					 "kexec_file_load", NULL };
static const char *const ns_sc[] = { "setns", "unshare", "mount", "umount",
				     "umount2", "pivot_root", "chroot",
				     NULL };
static const char *const kernel_sc[] = { "bpf", "perf_event_open",
					 "memfd_create", "open_by_handle_at",
					 "personality", "keyctl", NULL };
static const char *const priv_sc[] = {
	"capset", "setuid", "setreuid", "setresuid", "setfsuid", "setgid",
	"setregid", "setresgid", "setfsgid", "setuid32", "setreuid32",
	"setresuid32", "setfsuid32", "setgid32", "setregid32", "setresgid32",
	"setfsgid32", NULL
};

const struct vigil_audit_group vigil_audit_groups[] = {
	{ "exec", exec_sc },     { "inject", inject_sc },
	{ "module", module_sc }, { "namespace", ns_sc },
	{ "kernel", kernel_sc }, { "privilege", priv_sc },
};
const unsigned vigil_audit_n_groups = VIGIL_ARRAY_SIZE(vigil_audit_groups);

static const char *const arches[] = { "b64", "b32" };

void vigil_audit_rules_free(struct vigil_audit_rules *r)
{
	unsigned i;

	for (i = 0; i < r->n; i++)
		audit_rule_free_data(r->rule[i]);
	r->n = 0;
}

/*
 * libaudit keeps the parse state of the rule being built in exported
 * globals (not in libaudit.h) that auditctl resets before each rule: the
 * arch must come before any syscall, and a key after one.  Without the
 * reset, the second rule's arch= fails with EAU_ARCHMISPLACED.
 */
extern int _audit_syscalladded, _audit_permadded, _audit_archadded,
	_audit_exeadded, _audit_filterfsadded;
extern unsigned int _audit_elf;

/* Starts a rule on arch: its filter list and the arch field. */
static struct audit_rule_data *rule_start(const char *arch)
{
	struct audit_rule_data *rule = audit_rule_create_data();
	char pair[32];

	if (!rule)
		return NULL;
	_audit_syscalladded = _audit_permadded = _audit_archadded = 0;
	_audit_exeadded = _audit_filterfsadded = 0;
	_audit_elf = 0;
	snprintf(pair, sizeof(pair), "arch=%s", arch);
	if (audit_rule_fieldpair_data(&rule, pair, AUDIT_FILTER_EXIT)) {
		audit_rule_free_data(rule);
		return NULL;
	}
	return rule;
}

/* Adds the key; libaudit wants to know syscalls came first (auditctl
 * sets the flag itself after -S). */
static int rule_key(struct audit_rule_data **rule, const char *key)
{
	char pair[96];

	_audit_syscalladded = 1;
	snprintf(pair, sizeof(pair), "key=%s", key);
	return audit_rule_fieldpair_data(rule, pair, AUDIT_FILTER_EXIT) ? -EINVAL
									: 0;
}

static int push(struct vigil_audit_rules *r, struct audit_rule_data *rule,
		int flags, int action)
{
	if (r->n >= VIGIL_ARRAY_SIZE(r->rule)) {
		audit_rule_free_data(rule);
		return -E2BIG;
	}
	r->rule[r->n] = rule;
	r->flags[r->n] = flags;
	r->action[r->n] = action;
	r->n++;
	return 0;
}

int vigil_audit_rules_build(struct vigil_audit_rules *r, const char *key,
			    int self_pid)
{
	struct audit_rule_data *rule;
	const char *const *sc;
	unsigned a, g, added;
	char pair[32];
	int err;

	memset(r, 0, sizeof(*r));
	if (strlen(key) >= sizeof(r->key))
		return -EINVAL;
	memcpy(r->key, key, strlen(key) + 1);
	for (a = 0; a < VIGIL_ARRAY_SIZE(arches); a++) {
		/* never,exit -F pid=<self>, prepended to the exit list */
		rule = rule_start(arches[a]);
		if (!rule)
			goto out_nomem;
		snprintf(pair, sizeof(pair), "pid=%d", self_pid);
		if (audit_rule_syscallbyname_data(rule, "all") ||
		    audit_rule_fieldpair_data(&rule, pair, AUDIT_FILTER_EXIT) ||
		    rule_key(&rule, key)) {
			audit_rule_free_data(rule);
			err = -EINVAL;
			goto out_free;
		}
		err = push(r, rule, AUDIT_FILTER_EXIT | AUDIT_FILTER_PREPEND,
			   AUDIT_NEVER);
		if (err)
			goto out_free;
		for (g = 0; g < vigil_audit_n_groups; g++) {
			rule = rule_start(arches[a]);
			if (!rule)
				goto out_nomem;
			for (sc = vigil_audit_groups[g].syscalls, added = 0; *sc;
			     sc++)
				if (audit_rule_syscallbyname_data(rule, *sc) ==
				    0)
					added++;
			if (!added || rule_key(&rule, key)) {
				audit_rule_free_data(rule);
				continue;
			}
			err = push(r, rule, AUDIT_FILTER_EXIT, AUDIT_ALWAYS);
			if (err)
				goto out_free;
		}
	}
	return 0;
out_nomem:
	err = -ENOMEM;
out_free:
	vigil_audit_rules_free(r);
	return err;
}

int vigil_audit_rules_install(struct vigil_audit_rules *r, int fd)
{
	unsigned i;
	int rc, first = 0;

	for (i = 0; i < r->n; i++) {
		rc = audit_add_rule_data(fd, r->rule[i], r->flags[i],
					 r->action[i]);
		if (rc < 0 && rc != -EEXIST && !first)
			first = rc;
	}
	r->installed = first == 0;
	return first;
}

void vigil_audit_rules_remove(struct vigil_audit_rules *r, int fd)
{
	unsigned i;

	/* The kernel matches a rule to delete by content; the PREPEND
	 * flag is a list position, not part of it. */
	for (i = 0; i < r->n; i++)
		audit_delete_rule_data(fd, r->rule[i],
				       r->flags[i] & ~AUDIT_FILTER_PREPEND,
				       r->action[i]);
	r->installed = false;
}

/* True for fields whose value is a string in the rule's buf. */
static bool string_field(uint32_t f)
{
	switch (f) {
	case AUDIT_SUBJ_USER:
	case AUDIT_SUBJ_ROLE:
	case AUDIT_SUBJ_TYPE:
	case AUDIT_SUBJ_SEN:
	case AUDIT_SUBJ_CLR:
	case AUDIT_OBJ_USER:
	case AUDIT_OBJ_ROLE:
	case AUDIT_OBJ_TYPE:
	case AUDIT_OBJ_LEV_LOW:
	case AUDIT_OBJ_LEV_HIGH:
	case AUDIT_WATCH:
	case AUDIT_DIR:
	case AUDIT_FILTERKEY:
	case AUDIT_EXE:
		return true;
	default:
		return false;
	}
}

/* True when a listed rule (len bytes of reply payload) carries key. */
static bool rule_has_key(const struct audit_rule_data *d, size_t len,
			 const char *key)
{
	size_t klen = strlen(key), off = 0;
	uint32_t i;

	if (len < sizeof(*d) || d->field_count > AUDIT_MAX_FIELDS ||
	    d->buflen > len - sizeof(*d))
		return false;
	for (i = 0; i < d->field_count; i++) {
		uint32_t f = d->fields[i] & ~AUDIT_OPERATORS;

		if (!string_field(f))
			continue;
		if (d->values[i] > d->buflen - off)
			return false;
		if (f == AUDIT_FILTERKEY && d->values[i] == klen &&
		    memcmp(d->buf + off, key, klen) == 0)
			return true;
		off += d->values[i];
	}
	return false;
}

int vigil_audit_rules_count(const struct vigil_audit_rules *r, int fd)
{
	struct audit_reply rep;
	int n = 0, rc;

	rc = audit_request_rules_list_data(fd);
	if (rc < 0)
		return rc;
	for (;;) {
		rc = audit_get_reply(fd, &rep, GET_REPLY_BLOCKING, 0);
		if (rc <= 0)
			return rc < 0 ? rc : -EIO;
		if (rep.type == NLMSG_DONE)
			break;
		if (rep.type == NLMSG_ERROR) {
			if (rep.error->error)
				return rep.error->error;
			continue;
		}
		if (rep.type != AUDIT_LIST_RULES)
			continue;
		if (rep.len > 0 &&
		    rule_has_key(rep.ruledata, (size_t)rep.len, r->key))
			n++;
	}
	return n;
}

int vigil_audit_rules_remove_stale(const struct vigil_audit_rules *r, int fd)
{
	struct audit_rule_data *stale[64];
	struct audit_reply rep;
	int n = 0, removed = 0, rc;

	rc = audit_request_rules_list_data(fd);
	if (rc < 0)
		return rc;
	for (;;) {
		rc = audit_get_reply(fd, &rep, GET_REPLY_BLOCKING, 0);
		if (rc <= 0) {
			rc = rc < 0 ? rc : -EIO;
			goto out_free;
		}
		if (rep.type == NLMSG_DONE)
			break;
		if (rep.type == NLMSG_ERROR) {
			if (rep.error->error) {
				rc = rep.error->error;
				goto out_free;
			}
			continue;
		}
		if (rep.type != AUDIT_LIST_RULES || rep.len <= 0 ||
		    !rule_has_key(rep.ruledata, (size_t)rep.len, r->key) ||
		    n == (int)(sizeof(stale) / sizeof(stale[0])))
			continue;
		/* a copy: the reply buffer is reused by the next read */
		stale[n] = malloc((size_t)rep.len);
		if (!stale[n]) {
			rc = -ENOMEM;
			goto out_free;
		}
		memcpy(stale[n++], rep.ruledata, (size_t)rep.len);
	}
	for (int i = 0; i < n; i++)
		if (audit_delete_rule_data(fd, stale[i], (int)stale[i]->flags,
					   (int)stale[i]->action) > 0)
			removed++;
	rc = removed;
out_free:
	for (int i = 0; i < n; i++)
		free(stale[i]);
	return rc;
}

int vigil_audit_rules_write_file(const struct vigil_audit_rules *r,
				 const char *path, int self_pid)
{
	char tmp[4096];
	const char *const *sc;
	unsigned a, g;
	FILE *f;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return -ENOMEM;
	}
	fprintf(f, "## vigil's audit rules (written by vigild; loaded by it "
		   "over netlink).\n## For compliance scanners that read "
		   "rules.d.  Key: %s\n", r->key);
	for (a = 0; a < VIGIL_ARRAY_SIZE(arches); a++) {
		fprintf(f, "-a never,exit -F arch=%s -S all -F pid=%d -k %s\n",
			arches[a], self_pid, r->key);
		for (g = 0; g < vigil_audit_n_groups; g++) {
			int mach = audit_determine_machine(arches[a]);

			fprintf(f, "-a always,exit -F arch=%s", arches[a]);
			for (sc = vigil_audit_groups[g].syscalls; *sc; sc++)
				if (mach < 0 || audit_name_to_syscall(*sc, mach)
							>= 0)
					fprintf(f, " -S %s", *sc);
			fprintf(f, " -k %s\n", r->key);
		}
	}
	if (fclose(f)) {
		unlink(tmp);
		return -EIO;
	}
	if (chmod(tmp, 0640) || rename(tmp, path)) {
		int err = -errno;

		unlink(tmp);
		return err;
	}
	return 0;
}
