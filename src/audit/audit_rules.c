/*
 * audit_rules.c - which kernel audit rules vigil wants (see
 * audit_rules.h): the syscall groups, and the derivation of auditctl
 * lines from the loaded policy (the syscalls its rules use, the kernel
 * filters they allow, the path watches of open rules), checked against
 * what this host's kernel and file systems accept.  Turning those lines
 * into libaudit rules and loading them is audit_rules_kernel.c's job.
 */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
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
