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
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <unistd.h>

#include <libaudit.h>

#include "audit/audit_derive.h"
#include "confmap.h"
#include "lang/policy.h"
#include "node.h"
#include "settings.h"
#include "audit/audit_event.h"
#include "audit/audit_rules.h"
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
/* Extended attributes (file capabilities, ACLs, labels): rare calls,
 * audited on every path when the policy has setxattr or removexattr
 * rules (fanotify cannot tell them from chmod). */
static const char *const xattr_sc[] = { "setxattr", "lsetxattr", "fsetxattr",
					"removexattr", "lremovexattr",
					"fremovexattr", NULL };

const struct vigil_audit_group vigil_audit_groups[] = {
	{ "exec", exec_sc },     { "inject", inject_sc },
	{ "module", module_sc }, { "namespace", ns_sc },
	{ "kernel", kernel_sc }, { "privilege", priv_sc },
	{ "xattr", xattr_sc },
};
const unsigned vigil_audit_n_groups = VIGIL_ARRAY_SIZE(vigil_audit_groups);

static const char *const arches[] = { "b64", "b32" };

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

/* ---- derivation ---- */

/* What the kernel must report for one event type. */
struct type_need {
	bool want;
	const struct vigil_kfilter *kf; /* NULL: plain rule */
};

/* Whether s can be an auditctl path value: absolute, printable, no
 * blank or quote (rules.d lines split on blanks). */
static bool path_ok(const char *s)
{
	if (!s || s[0] != '/' || strlen(s) >= PATH_MAX)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s > '~' ||
		    *s == '"' || *s == '\'')
			return false;
	return true;
}

/*
 * Whether the kernel can watch path: it refuses (ENOENT) a path or exe
 * filter whose parent directory, or a dir filter whose directory, does
 * not exist.  A file that does not exist yet is fine.
 */
static bool path_watchable(uint32_t kind, const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (kind == VIGIL_KF_DIR)
		return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
	if (slash == path)
		return true; /* "/" */
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Whether the kernel takes a watch on path: besides an existing parent
 * directory (path_watchable), on procfs and sysfs the file itself must
 * exist (their lookups fail with ENOENT instead of leaving a negative
 * dentry to watch: /proc/sys/kernel/hotplug without CONFIG_UEVENT_HELPER).
 */
static bool watch_ok(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct statfs fs;
	struct stat st;

	if (!path_ok(path) || !path_watchable(VIGIL_KF_PATH, path))
		return false;
	if (slash == path)
		return true;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (statfs(dir, &fs))
		return false;
	if (fs.f_type == PROC_SUPER_MAGIC || fs.f_type == SYSFS_MAGIC)
		return lstat(path, &st) == 0;
	return true;
}

/* Whether every item of kf can be written as an auditctl field that the
 * kernel accepts on this host. */
static bool kf_writable(const struct vigil_kfilter *kf)
{
	for (uint32_t i = 0; i < kf->n_items; i++) {
		const struct vigil_kfilter_item *it = &kf->items[i];

		switch (it->kind) {
		case VIGIL_KF_PATH:
		case VIGIL_KF_DIR:
		case VIGIL_KF_EXE:
			if (!path_ok(it->value) ||
			    !path_watchable(it->kind, it->value))
				return false;
			break;
		case VIGIL_KF_ARG:
			if (it->arg > 3)
				return false;
			break;
		case VIGIL_KF_UID:
		case VIGIL_KF_AUID:
			break;
		default:
			return false;
		}
	}
	return true;
}

/* Appends " -F name=value" for item. */
static int put_item(struct vigil_buf *out, const struct vigil_kfilter_item *it)
{
	switch (it->kind) {
	case VIGIL_KF_PATH:
		return vigil_buf_printf(out, " -F path=%s", it->value);
	case VIGIL_KF_DIR:
		return vigil_buf_printf(out, " -F dir=%s", it->value);
	case VIGIL_KF_EXE:
		return vigil_buf_printf(out, " -F exe=%s", it->value);
	case VIGIL_KF_UID:
		return vigil_buf_printf(out, " -F uid=%llu",
					(unsigned long long)it->num);
	case VIGIL_KF_AUID:
		return vigil_buf_printf(out, " -F auid=%llu",
					(unsigned long long)it->num);
	default:
		return vigil_buf_printf(out, " -F a%u=0x%llx", it->arg,
					(unsigned long long)it->num);
	}
}

/* Whether two filter items say the same (two rules may ask alike). */
static bool item_eq(const struct vigil_kfilter_item *x,
		    const struct vigil_kfilter_item *y)
{
	if (x->kind != y->kind || x->arg != y->arg || x->num != y->num)
		return false;
	return x->value == y->value ||
	       (x->value && y->value && strcmp(x->value, y->value) == 0);
}

/* Whether item i of kf repeats an earlier one: the kernel refuses a
 * rule it already has, and the flush check counts rules. */
static bool item_seen(const struct vigil_kfilter *kf, uint32_t i)
{
	for (uint32_t j = 0; j < i; j++)
		if (item_eq(&kf->items[j], &kf->items[i]))
			return true;
	return false;
}

/* Whether arch (machine mach, or -1 when libaudit does not know it)
 * has syscall name. */
static bool arch_has(int mach, const char *name)
{
	return mach < 0 || audit_name_to_syscall(name, mach) >= 0;
}

/*
 * Appends " -S name" for each syscall of the groups that arch has and
 * that pick(type) accepts; returns how many (negative errno on ENOMEM).
 */
static int put_syscalls(struct vigil_buf *out, int mach,
			const struct vigil_audit_group *g,
			const struct type_need *need, int only_type)
{
	int n = 0;

	for (const char *const *sc = g->syscalls; *sc; sc++) {
		int t = vigil_audit_syscall_event_type(*sc);

		if (!arch_has(mach, *sc))
			continue;
		if (need) {
			if (t <= 0 || !need[t].want)
				continue;
			if (only_type ? t != only_type : need[t].kf != NULL)
				continue;
		}
		if (vigil_buf_printf(out, " -S %s", *sc))
			return -ENOMEM;
		n++;
	}
	return n;
}

/*
 * Fills need[] from rs: the types its enabled rules use, each with its
 * filter when every rule of the type allows one that auditctl can write
 * and the filtered rules fit: at most VIGIL_AUDIT_MAX_FILTERS per type,
 * and, over all types, what VIGIL_AUDIT_MAX_RULES leaves after the never
 * and group rules (a filter costs a rule per value and arch; the types
 * that do not fit get the plain rule).
 */
static void type_needs(const struct vigil_kfilter *kf, size_t n_kf,
		       struct type_need *need)
{
	size_t budget = (VIGIL_AUDIT_MAX_RULES - VIGIL_AUDIT_MAX_WATCHES) /
				VIGIL_ARRAY_SIZE(arches) -
			1 - vigil_audit_n_groups;

	for (size_t i = 0; i < n_kf; i++) {
		uint32_t t = kf[i].event_type;

		if (t >= VIGIL_EV__COUNT)
			continue;
		/* every rule of the type demands a value from an empty
		 * set: none can match, the kernel need not report it */
		if (!kf[i].unfiltered && !kf[i].n_items)
			continue;
		need[t].want = true;
		if (kf[i].unfiltered || kf[i].n_items > VIGIL_AUDIT_MAX_FILTERS ||
		    kf[i].n_items > budget || !kf_writable(&kf[i]))
			continue;
		need[t].kf = &kf[i];
		budget -= kf[i].n_items;
	}
	/* The process table and ancestry are built from execve records. */
	need[VIGIL_EV_EXEC].want = true;
	need[VIGIL_EV_EXEC].kf = NULL;
}

/* The rules of one arch; need NULL: every group, unfiltered. */
static int derive_arch(const char *arch, const struct type_need *need,
		       const char *key, struct vigil_buf *out)
{
	int mach = audit_determine_machine(arch);
	unsigned g;
	size_t mark;
	int n;

	for (g = 0; g < vigil_audit_n_groups; g++) {
		mark = out->len;
		if (vigil_buf_printf(out, "-a always,exit -F arch=%s", arch))
			return -ENOMEM;
		n = put_syscalls(out, mach, &vigil_audit_groups[g], need, 0);
		if (n < 0 || (n > 0 && vigil_buf_printf(out, " -k %s\n", key)))
			return -ENOMEM;
		if (n == 0)
			out->len = mark;
	}
	if (!need)
		return 0;
	for (uint32_t t = 1; t < VIGIL_EV__COUNT; t++) {
		const struct vigil_kfilter *kf = need[t].kf;

		if (!need[t].want || !kf)
			continue;
		for (uint32_t i = 0; i < kf->n_items; i++) {
			if (item_seen(kf, i))
				continue;
			mark = out->len;
			if (vigil_buf_printf(out, "-a always,exit -F arch=%s",
					     arch))
				return -ENOMEM;
			n = 0;
			for (g = 0; g < vigil_audit_n_groups; g++) {
				int k = put_syscalls(out, mach,
						     &vigil_audit_groups[g],
						     need, (int)t);

				if (k < 0)
					return k;
				n += k;
			}
			if (n == 0) {
				out->len = mark;
				break;
			}
			if (put_item(out, &kf->items[i]) ||
			    vigil_buf_printf(out, " -k %s\n", key))
				return -ENOMEM;
		}
	}
	return 0;
}

/* One watch line to write: path owned by the list when expanded. */
struct watch_line {
	char *path;
	uint32_t perm;
};

struct watch_lines {
	struct watch_line *v;
	size_t n, cap;
};

static void watch_lines_free(struct watch_lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
}

/*
 * Adds path (copied) with perm to l, merging the permissions of a path
 * seen before; paths that cannot be watched (watch_ok()) are left out.
 * Returns 0 or -ENOMEM.
 */
static int watch_lines_add(struct watch_lines *l, const char *path,
			   uint32_t perm)
{
	char *copy;

	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].path, path)) {
			l->v[i].perm |= perm;
			return 0;
		}
	if (l->n >= VIGIL_AUDIT_MAX_WATCHES || !watch_ok(path))
		return 0;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? 2 * l->cap : 16;
		struct watch_line *nv = realloc(l->v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->cap = ncap;
	}
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	l->v[l->n++] = (struct watch_line){ .path = copy, .perm = perm };
	return 0;
}

/* Whether path has a "." or ".." component. */
static bool dot_component(const char *path)
{
	for (const char *c = strstr(path, "/."); c; c = strstr(c + 1, "/.")) {
		size_t dots = c[2] == '.' ? 2 : 1;

		if (c[1 + dots] == '/' || c[1 + dots] == '\0')
			return true;
	}
	return false;
}

/*
 * Adds a watch on each path that exists now and matches pattern (a
 * policy glob with * and ?, never **: each matches within one path
 * component, as in glob(3)).  Matches through "." or ".." are left out.
 * Returns 0 or -ENOMEM.
 */
static int watch_lines_expand(struct watch_lines *l, const char *pattern,
			      uint32_t perm)
{
	char esc[2 * PATH_MAX];
	size_t k = 0;
	glob_t g;
	int rc, err = 0;

	/* the policy's globs know no [...] or \: make glob(3) take them
	 * as they are */
	for (const char *c = pattern; *c && k + 2 < sizeof(esc); c++) {
		if (*c == '[' || *c == ']' || *c == '\\')
			esc[k++] = '\\';
		esc[k++] = *c;
	}
	esc[k] = '\0';
	rc = glob(esc, GLOB_PERIOD, NULL, &g);
	if (rc == GLOB_NOSPACE)
		return -ENOMEM;
	if (rc)
		return 0; /* GLOB_NOMATCH, GLOB_ABORTED: nothing to watch */
	for (size_t i = 0; i < g.gl_pathc && !err; i++) {
		const char *m = g.gl_pathv[i];

		if (dot_component(m))
			continue;
		err = watch_lines_add(l, m, perm);
	}
	globfree(&g);
	return err;
}

/*
 * The path watches of the open rules of rs (vigil_audit_open_watches),
 * like auditctl -w PATH -p PERM: every arch, every syscall of the perm
 * class.  A pattern becomes a watch on each path that matches it now
 * (a key made later is watched from the next reload).  A path that
 * cannot be written in a rule line or whose directory is missing, and
 * those past VIGIL_AUDIT_MAX_WATCHES, are left out (the rules keep
 * working on what fanotify reports).  Returns 0 or -ENOMEM.
 */
static int derive_watches(const struct vigil_ruleset *rs, const char *key,
			  struct vigil_buf *out)
{
	struct watch_lines lines = { 0 };
	struct vigil_path_watch *w;
	size_t n;
	int err;

	err = vigil_audit_open_watches(rs, &w, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++)
		err = w[i].pattern ?
			      watch_lines_expand(&lines, w[i].path, w[i].perm) :
			      watch_lines_add(&lines, w[i].path, w[i].perm);
	free(w);
	for (size_t i = 0; i < lines.n && !err; i++)
		err = vigil_buf_printf(out,
				       "-a always,exit -S all -F path=%s "
				       "-F perm=%s%s -k %s\n",
				       lines.v[i].path,
				       (lines.v[i].perm & VIGIL_WATCH_READ) ?
					       "r" : "",
				       (lines.v[i].perm & VIGIL_WATCH_WRITE) ?
					       "w" : "",
				       key) ? -ENOMEM : 0;
	watch_lines_free(&lines);
	return err;
}

int vigil_audit_rules_derive(const struct vigil_ruleset *rs, const char *key,
			     int self_pid, struct vigil_buf *out)
{
	struct type_need need[VIGIL_EV__COUNT];
	struct vigil_kfilter *kf = NULL;
	size_t n_kf = 0;
	unsigned a;
	int err = 0;

	memset(need, 0, sizeof(need));
	if (rs) {
		err = vigil_audit_kernel_filters(rs, &kf, &n_kf);
		if (err)
			return err;
		type_needs(kf, n_kf, need);
	}
	for (a = 0; a < VIGIL_ARRAY_SIZE(arches) && !err; a++) {
		if (self_pid > 0 &&
		    vigil_buf_printf(out, "-a never,exit -F arch=%s -S all "
				     "-F pid=%d -k %s\n", arches[a], self_pid,
				     key)) {
			err = -ENOMEM;
			break;
		}
		err = derive_arch(arches[a], rs ? need : NULL, key, out);
	}
	free(kf);
	if (!err && rs)
		err = derive_watches(rs, key, out);
	return err;
}

int vigil_audit_rules_derive_all(const struct vigil_ruleset *rs,
				 const char *key, int self_pid,
				 struct vigil_buf *out)
{
	int err = vigil_audit_rules_derive(NULL, key, self_pid, out);

	if (!err && rs)
		err = derive_watches(rs, key, out);
	return err;
}

bool vigil_audit_rules_xattr_everywhere(const struct vigil_ruleset *rs)
{
	struct type_need need[VIGIL_EV__COUNT];
	struct vigil_kfilter *kf = NULL;
	size_t n_kf = 0;

	if (!rs)
		return true; /* audit.rules: all */
	if (vigil_audit_kernel_filters(rs, &kf, &n_kf))
		return false;
	memset(need, 0, sizeof(need));
	type_needs(kf, n_kf, need);
	free(kf);
	return need[VIGIL_EV_SETXATTR].want && !need[VIGIL_EV_SETXATTR].kf &&
	       need[VIGIL_EV_REMOVEXATTR].want &&
	       !need[VIGIL_EV_REMOVEXATTR].kf;
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

int vigil_audit_rules_load_policy(const struct vigil_config *cfg,
				  const struct vigil_field_table *ft,
				  struct vigil_ruleset **out,
				  struct vigil_buf *err)
{
	const struct vigil_node *conf = NULL;
	struct vigil_policy_settings set;
	const char *paths[VIGIL_POLICY_MAX_PATHS];
	size_t n;
	int rc;

	*out = NULL;
	for (size_t i = 0; cfg && i < cfg->n_plugins; i++)
		if (strcmp(cfg->plugins[i].name, "rules") == 0)
			conf = cfg->plugins[i].config;
	/* the section as the plugin reads it: its own table */
	rc = VIGIL_CONFMAP_READ(vigil_policy_table, conf,
				"plugins[rules].config", &set, err);
	if (!rc)
		rc = vigil_policy_paths(set.paths, set.n_paths, paths, &n, err);
	if (rc)
		return rc;
	return vigil_ruleset_load(ft, paths, n, out, err);
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
