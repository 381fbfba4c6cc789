/*
 * audit_rules_kernel.c - vigil's audit rules as the kernel takes them
 * (see audit_rules.h): the auditctl lines that audit_rules.c derives are
 * parsed through libaudit as auditctl parses them, installed over the
 * audit socket, counted and removed by key, and written as a rules.d
 * file; a rule set tells the event builder what it asks the kernel for.
 *
 * libaudit resolves syscall names for the arch set by the last
 * "arch=" field pair, so each rule sets its arch first, then its
 * syscalls, then the key.  A name the arch lacks (kexec_file_load on
 * i386) is skipped.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <libaudit.h>

#include "audit/audit_rules.h"
#include "util.h"

void vigil_audit_rules_free(struct vigil_audit_rules *r)
{
	unsigned i;

	for (i = 0; i < r->n; i++) {
		audit_rule_free_data(r->rule[i]);
		free(r->line[i]);
	}
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

/* Starts a rule: its filter list and, unless arch is NULL (a path watch,
 * which holds for every arch), the arch field. */
static struct audit_rule_data *rule_start(const char *arch)
{
	struct audit_rule_data *rule = audit_rule_create_data();
	char pair[32];

	if (!rule)
		return NULL;
	_audit_syscalladded = _audit_permadded = _audit_archadded = 0;
	_audit_exeadded = _audit_filterfsadded = 0;
	_audit_elf = 0;
	if (!arch)
		return rule;
	if (snprintf(pair, sizeof(pair), "arch=%s", arch) >= (int)sizeof(pair) ||
	    audit_rule_fieldpair_data(&rule, pair, AUDIT_FILTER_EXIT)) {
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
	if (snprintf(pair, sizeof(pair), "key=%s", key) >= (int)sizeof(pair))
		return -EINVAL;
	return audit_rule_fieldpair_data(rule, pair, AUDIT_FILTER_EXIT) ? -EINVAL
									: 0;
}

/* Appends rule (owned by r from now on, freed on failure too). */
static int push(struct vigil_audit_rules *r, struct audit_rule_data *rule,
		const char *line, size_t len, int flags, int action)
{
	char *copy;

	if (r->n >= VIGIL_ARRAY_SIZE(r->rule)) {
		audit_rule_free_data(rule);
		return -E2BIG;
	}
	copy = strndup(line, len);
	if (!copy) {
		audit_rule_free_data(rule);
		return -ENOMEM;
	}
	r->rule[r->n] = rule;
	r->line[r->n] = copy;
	r->flags[r->n] = flags;
	r->action[r->n] = action;
	r->n++;
	return 0;
}

/* ---- text to libaudit rules ---- */

/* The next blank-separated token of *p (before end), or NULL. */
static const char *token(const char **p, const char *end, size_t *len)
{
	const char *s = *p, *e;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s >= end)
		return NULL;
	for (e = s; e < end && *e != ' ' && *e != '\t'; e++)
		;
	*len = (size_t)(e - s);
	*p = e;
	return s;
}

/*
 * Builds one rule from line [p, end) into r: an arch first, or, for a
 * path watch (-S all with path= or dir=), none.  Returns 0 (also for a
 * blank or comment line), -EINVAL or -ENOMEM.
 */
static int rule_from_line(struct vigil_audit_rules *r, const char *p,
			  const char *end)
{
	struct audit_rule_data *rule = NULL;
	const char *line = p, *tok;
	int action = -1, flags = AUDIT_FILTER_EXIT;
	char opt[8], arg[PATH_MAX + 16];
	bool archless = false, watch = false;
	size_t len;
	int rc = -EINVAL;

	tok = token(&p, end, &len);
	if (!tok || *tok == '#')
		return 0;
	do {
		if (len >= sizeof(opt))
			goto out_free;
		memcpy(opt, tok, len);
		opt[len] = '\0';
		tok = token(&p, end, &len);
		if (!tok || len >= sizeof(arg))
			goto out_free;
		memcpy(arg, tok, len);
		arg[len] = '\0';
		if (!strcmp(opt, "-a")) {
			if (!strcmp(arg, "always,exit"))
				action = AUDIT_ALWAYS;
			else if (!strcmp(arg, "never,exit"))
				action = AUDIT_NEVER;
			else
				goto out_free;
			/* vigil's own exclusion goes before anyone's rule */
			if (action == AUDIT_NEVER)
				flags |= AUDIT_FILTER_PREPEND;
			continue;
		}
		if (!strcmp(opt, "-F") && !strncmp(arg, "arch=", 5)) {
			if (rule)
				goto out_free; /* the arch comes first */
			rule = rule_start(arg + 5);
			if (!rule) {
				rc = -ENOMEM;
				goto out_free;
			}
			continue;
		}
		if (!rule) {
			/* no arch: a path watch, for every arch */
			if (strcmp(opt, "-S") && strcmp(opt, "-F"))
				goto out_free;
			rule = rule_start(NULL);
			if (!rule) {
				rc = -ENOMEM;
				goto out_free;
			}
			archless = true;
		}
		if (!strcmp(opt, "-S")) {
			/* syscall numbers depend on the arch: without one,
			 * only "all" means the same everywhere */
			if ((archless && strcmp(arg, "all")) ||
			    audit_rule_syscallbyname_data(rule, arg))
				goto out_free;
		} else if (!strcmp(opt, "-F")) {
			if (!strncmp(arg, "path=", 5) ||
			    !strncmp(arg, "dir=", 4))
				watch = true;
			if (audit_rule_fieldpair_data(&rule, arg,
						      AUDIT_FILTER_EXIT))
				goto out_free;
		} else if (!strcmp(opt, "-k")) {
			if (rule_key(&rule, arg))
				goto out_free;
		} else {
			goto out_free;
		}
	} while ((tok = token(&p, end, &len)));
	if (!rule || action < 0 || (archless && !watch))
		goto out_free;
	return push(r, rule, line, (size_t)(end - line), flags, action);
out_free:
	if (rule)
		audit_rule_free_data(rule);
	return rc;
}

int vigil_audit_rules_from_text(struct vigil_audit_rules *r, const char *key,
				const char *text)
{
	const char *p = text, *nl;
	int err;

	memset(r, 0, sizeof(*r));
	if (strlen(key) >= sizeof(r->key))
		return -EINVAL;
	memcpy(r->key, key, strlen(key) + 1);
	while (*p) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		err = rule_from_line(r, p, nl);
		if (err) {
			vigil_audit_rules_free(r);
			return err;
		}
		p = *nl ? nl + 1 : nl;
	}
	return 0;
}

int vigil_audit_rules_build(struct vigil_audit_rules *r, const char *key,
			    int self_pid)
{
	struct vigil_buf text = { 0 };
	int err;

	err = vigil_audit_rules_derive(NULL, key, self_pid, &text);
	if (!err)
		err = vigil_audit_rules_from_text(r, key,
						  vigil_buf_cstr(&text));
	else
		memset(r, 0, sizeof(*r));
	vigil_buf_free(&text);
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

/* The value of a rule's "pid" field (the exclusion of vigil itself), or
 * 0 when it has none. */
static pid_t rule_pid(const struct audit_rule_data *d)
{
	for (uint32_t i = 0; i < d->field_count && i < AUDIT_MAX_FIELDS; i++)
		if ((d->fields[i] & ~AUDIT_OPERATORS) == AUDIT_PID)
			return (pid_t)d->values[i];
	return 0;
}

int vigil_audit_rules_remove_stale(const struct vigil_audit_rules *r, int fd)
{
	struct audit_rule_data *stale[2 * VIGIL_AUDIT_MAX_RULES];
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
	/* The "never" rule names the pid of the vigild that installed
	 * these: while it lives they are its own, not stale. */
	for (int i = 0; i < n; i++) {
		pid_t owner = rule_pid(stale[i]);

		if (owner > 0 && owner != getpid() &&
		    (kill(owner, 0) == 0 || errno == EPERM)) {
			rc = -EBUSY;
			goto out_free;
		}
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
				 const char *path)
{
	char tmp[4096];
	unsigned i;
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
	for (i = 0; i < r->n; i++)
		fprintf(f, "%s\n", r->line[i]);
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

/* Counts the occurrences of needle in s. */
static unsigned count_of(const char *s, const char *needle)
{
	unsigned n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s += strlen(needle);
	}
	return n;
}

int vigil_audit_rules_asks(const struct vigil_audit_rules *r, char ***paths,
			   size_t *n, bool *xattr_everywhere)
{
	static const char watch[] = "-a always,exit -S all -F path=";
	char **out = NULL;
	size_t k = 0;

	*paths = NULL;
	*n = 0;
	*xattr_everywhere = false;
	for (unsigned i = 0; i < r->n; i++) {
		const char *line = r->line[i];

		/* -F arch=ARCH and nothing else filters it */
		if (count_of(line, " -S setxattr ") &&
		    count_of(line, " -S removexattr ") &&
		    count_of(line, " -F ") == 1)
			*xattr_everywhere = true;
		if (strncmp(line, watch, sizeof(watch) - 1))
			continue;
		if (!out) {
			out = calloc(r->n, sizeof(*out));
			if (!out)
				return -ENOMEM;
		}
		line += sizeof(watch) - 1;
		out[k] = strndup(line, strcspn(line, " \t"));
		if (!out[k]) {
			while (k--)
				free(out[k]);
			free(out);
			return -ENOMEM;
		}
		k++;
	}
	*paths = out;
	*n = k;
	return 0;
}
