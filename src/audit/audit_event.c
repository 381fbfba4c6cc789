/*
 * audit_event.c - assembled audit records to struct vigil_event (see
 * audit_event.h).
 *
 * Two passes: the first notes which record is which (SYSCALL, EXECVE...,
 * CWD, PATH..., PROCTITLE, OBJ_PID, CAPSET); the second parses each one in
 * turn into the builder's single field array and copies what it needs into
 * the event's arena, so no record has to stay parsed.
 *
 * This file reads what every event has (process, syscall, cwd, argv,
 * PATH records) and decides which records are vigil's; the per-syscall
 * part of kernel-activity events is in audit_event_kernel.c, that of
 * file events in audit_event_file.c.  audit_event_int.h is what the
 * three share.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <libaudit.h>

#include "audit/audit_event_int.h"

/* Sorted by name for bsearch. */
static const struct sc_map sc_table[] = {
	{ "bpf", VIGIL_EV_BPF, SC_REQ_A0, 0 },
	{ "capset", VIGIL_EV_CAPSET, SC_CAPSET, 0 },
	{ "chmod", VIGIL_EV_CHMOD, SC_FILE, 1 },
	{ "chown", VIGIL_EV_CHOWN, SC_FILE, 1 },
	{ "chroot", VIGIL_EV_CHROOT, SC_CHROOT, 0 },
	{ "creat", VIGIL_EV_CREATE, SC_FILE, 0 },
	{ "delete_module", VIGIL_EV_UNLOAD_MODULE, SC_UNMODULE, 0 },
	{ "execve", VIGIL_EV_EXEC, SC_EXEC, 0 },
	{ "execveat", VIGIL_EV_EXEC, SC_EXEC, 0 },
	{ "exit", VIGIL_EV_EXIT, SC_EXIT, 0 },
	{ "exit_group", VIGIL_EV_EXIT, SC_EXIT, 0 },
	{ "fchmod", VIGIL_EV_CHMOD, SC_FILE, 1 },
	{ "fchmodat", VIGIL_EV_CHMOD, SC_FILE, 2 },
	{ "fchown", VIGIL_EV_CHOWN, SC_FILE, 1 },
	{ "fchownat", VIGIL_EV_CHOWN, SC_FILE, 2 },
	{ "finit_module", VIGIL_EV_LOAD_MODULE, SC_MODULE, 0 },
	{ "fremovexattr", VIGIL_EV_REMOVEXATTR, SC_FILE, 0 },
	{ "fsetxattr", VIGIL_EV_SETXATTR, SC_FILE, 0 },
	{ "ftruncate", VIGIL_EV_MODIFY, SC_FILE, 0 },
	{ "futimesat", VIGIL_EV_UTIMES, SC_FILE, 0 },
	{ "init_module", VIGIL_EV_LOAD_MODULE, SC_MODULE, 0 },
	{ "kexec_file_load", VIGIL_EV_KEXEC_LOAD, SC_PLAIN, 0 },
	{ "kexec_load", VIGIL_EV_KEXEC_LOAD, SC_PLAIN, 0 },
	{ "keyctl", VIGIL_EV_KEYCTL, SC_REQ_A0, 0 },
	{ "kill", VIGIL_EV_KILL, SC_KILL, 0 },
	{ "lchown", VIGIL_EV_CHOWN, SC_FILE, 1 },
	{ "link", VIGIL_EV_LINK, SC_FILE, 0 },
	{ "linkat", VIGIL_EV_LINK, SC_FILE, 0 },
	{ "lremovexattr", VIGIL_EV_REMOVEXATTR, SC_FILE, 0 },
	{ "lsetxattr", VIGIL_EV_SETXATTR, SC_FILE, 0 },
	{ "memfd_create", VIGIL_EV_MEMFD_CREATE, SC_MEMFD, 0 },
	{ "mkdir", VIGIL_EV_MKDIR, SC_FILE, 0 },
	{ "mkdirat", VIGIL_EV_MKDIR, SC_FILE, 0 },
	{ "mount", VIGIL_EV_MOUNT, SC_MOUNT, 0 },
	{ "open", VIGIL_EV_OPEN, SC_FILE, 1 },
	{ "open_by_handle_at", VIGIL_EV_OPEN_BY_HANDLE_AT, SC_PLAIN, 0 },
	{ "openat", VIGIL_EV_OPEN, SC_FILE, 2 },
	{ "openat2", VIGIL_EV_OPEN, SC_FILE, 0 },
	{ "perf_event_open", VIGIL_EV_PERF_EVENT_OPEN, SC_PLAIN, 0 },
	{ "personality", VIGIL_EV_PERSONALITY, SC_REQ_A0, 0 },
	{ "pivot_root", VIGIL_EV_PIVOT_ROOT, SC_PIVOT, 0 },
	{ "process_vm_writev", VIGIL_EV_PROCESS_VM_WRITEV, SC_TARGET_A0, 0 },
	{ "ptrace", VIGIL_EV_PTRACE, SC_PTRACE, 0 },
	{ "removexattr", VIGIL_EV_REMOVEXATTR, SC_FILE, 0 },
	{ "rename", VIGIL_EV_RENAME, SC_FILE, 0 },
	{ "renameat", VIGIL_EV_RENAME, SC_FILE, 0 },
	{ "renameat2", VIGIL_EV_RENAME, SC_FILE, 0 },
	{ "rmdir", VIGIL_EV_RMDIR, SC_FILE, 0 },
	{ "setfsgid", VIGIL_EV_SETGID, SC_SETGID, 3 },
	{ "setfsuid", VIGIL_EV_SETUID, SC_SETUID, 3 },
	{ "setgid", VIGIL_EV_SETGID, SC_SETGID, 0 },
	{ "setns", VIGIL_EV_SETNS, SC_REQ_A1, 0 },
	{ "setregid", VIGIL_EV_SETGID, SC_SETGID, 1 },
	{ "setresgid", VIGIL_EV_SETGID, SC_SETGID, 2 },
	{ "setresuid", VIGIL_EV_SETUID, SC_SETUID, 2 },
	{ "setreuid", VIGIL_EV_SETUID, SC_SETUID, 1 },
	{ "setuid", VIGIL_EV_SETUID, SC_SETUID, 0 },
	{ "setxattr", VIGIL_EV_SETXATTR, SC_FILE, 0 },
	{ "symlink", VIGIL_EV_SYMLINK, SC_FILE, 0 },
	{ "symlinkat", VIGIL_EV_SYMLINK, SC_FILE, 0 },
	{ "tgkill", VIGIL_EV_KILL, SC_TGKILL, 0 },
	{ "tkill", VIGIL_EV_KILL, SC_KILL, 0 },
	{ "truncate", VIGIL_EV_MODIFY, SC_FILE, 0 },
	{ "umount", VIGIL_EV_UMOUNT, SC_UMOUNT, 0 },
	{ "umount2", VIGIL_EV_UMOUNT, SC_UMOUNT, 0 },
	{ "unlink", VIGIL_EV_UNLINK, SC_FILE, 0 },
	{ "unlinkat", VIGIL_EV_UNLINK, SC_FILE, 0 },
	{ "unshare", VIGIL_EV_UNSHARE, SC_REQ_A0, 0 },
	{ "utime", VIGIL_EV_UTIMES, SC_FILE, 0 },
	{ "utimensat", VIGIL_EV_UTIMES, SC_FILE, 0 },
	{ "utimes", VIGIL_EV_UTIMES, SC_FILE, 0 },
};

static int sc_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct sc_map *)elem)->name);
}

int vigil_audit_builder_init(struct vigil_audit_builder *b, const char *key)
{
	memset(b, 0, sizeof(*b));
	if (!key)
		key = VIGIL_AUDIT_DEFAULT_KEY;
	b->key_len = (uint32_t)strlen(key);
	if (b->key_len >= sizeof(b->key))
		return -EINVAL;
	memcpy(b->key, key, b->key_len + 1);
	b->fields = calloc(VIGIL_AUDIT_MAX_FIELDS, sizeof(*b->fields));
	b->execve_idx = calloc(VIGIL_AUDIT_MAX_EVENT_RECORDS,
			       sizeof(*b->execve_idx));
	if (!b->fields || !b->execve_idx) {
		vigil_audit_builder_free(b);
		return -ENOMEM;
	}
	return 0;
}

/* Frees the builder's copy of the watched paths. */
static void watches_free(struct vigil_audit_builder *b)
{
	for (uint32_t i = 0; i < b->n_watch_paths; i++)
		free(b->watch_paths[i]);
	free(b->watch_paths);
	b->watch_paths = NULL;
	b->n_watch_paths = 0;
}

int vigil_audit_builder_set_watches(struct vigil_audit_builder *b,
				    const char *const *paths, size_t n,
				    bool xattr_everywhere)
{
	char **copy = n ? calloc(n, sizeof(*copy)) : NULL;

	if (n && !copy)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		copy[i] = strdup(paths[i]);
		if (!copy[i]) {
			while (i--)
				free(copy[i]);
			free(copy);
			return -ENOMEM;
		}
	}
	watches_free(b);
	b->watch_paths = copy;
	b->n_watch_paths = (uint32_t)n;
	b->xattr_everywhere = xattr_everywhere;
	return 0;
}

void vigil_audit_builder_free(struct vigil_audit_builder *b)
{
	watches_free(b);
	free(b->fields);
	free(b->execve_idx);
	vigil_audit_argv_free(&b->argv);
	memset(b, 0, sizeof(*b));
}

/* Parses record i of ae into rec with the builder's field array. */
int vigil__audit_load(struct vigil_audit_builder *b,
		      const struct vigil_audit_asm_event *ae, uint32_t i,
		      struct vigil_audit_record *rec)
{
	vigil_audit_asm_record(ae, i, rec);
	if (vigil_audit_record_fields(rec, b->fields, VIGIL_AUDIT_MAX_FIELDS) <
	    0) {
		b->malformed++;
		return -EINVAL;
	}
	return 0;
}

/*
 * Copies an untrusted-string field (quoted or hex) into the arena.  A
 * missing field, (null) or ? leaves *out empty; bad hex keeps the raw text
 * so nothing is silently lost.
 */
int vigil__audit_copy_ustr(struct vigil_event *ev,
			   const struct vigil_audit_record *rec,
			   const char *key, struct vigil_str *out)
{
	const struct vigil_audit_field *f = vigil_audit_field_find(rec, key);
	struct vigil_str raw;
	size_t n;
	char *p;

	if (!f || f->enc == VIGIL_AUDIT_VAL_NULL ||
	    f->enc == VIGIL_AUDIT_VAL_UNSET)
		return 0;
	p = vigil_arena_alloc(ev->arena, f->val_len + 1);
	if (!p)
		return -ENOMEM;
	if (vigil_audit_value_decode(rec, f, p, f->val_len, &n)) {
		raw = vigil_audit_field_raw(rec, f);
		memcpy(p, raw.ptr, raw.len);
		n = raw.len;
	}
	p[n] = '\0';
	out->ptr = p;
	out->len = (uint32_t)n;
	return 0;
}

/* Copies a bare word ("pts0") into the arena; "(none)" stays empty. */
static int copy_word(struct vigil_event *ev,
		     const struct vigil_audit_record *rec, const char *key,
		     struct vigil_str *out)
{
	const struct vigil_audit_field *f = vigil_audit_field_find(rec, key);
	struct vigil_str raw;

	if (!f || f->enc == VIGIL_AUDIT_VAL_NULL ||
	    f->enc == VIGIL_AUDIT_VAL_UNSET)
		return 0;
	raw = vigil_audit_field_raw(rec, f);
	if (raw.len == 6 && memcmp(raw.ptr, "(none)", 6) == 0)
		return 0;
	return vigil_arena_str(ev->arena, out, raw.ptr, raw.len);
}

/* Reads a bare octal number (PATH mode=0100644). */
static int get_oct(const struct vigil_audit_record *rec, const char *key,
		   uint32_t *out)
{
	const struct vigil_audit_field *f = vigil_audit_field_find(rec, key);
	uint64_t v = 0;
	uint32_t i;

	if (!f || f->enc != VIGIL_AUDIT_VAL_PLAIN || f->val_len == 0 ||
	    f->val_len > 11)
		return -ENOENT;
	for (i = 0; i < f->val_len; i++) {
		char c = rec->buf[f->val_off + i];

		if (c < '0' || c > '7')
			return -EINVAL;
		v = v * 8 + (uint64_t)(c - '0');
	}
	*out = (uint32_t)v;
	return 0;
}

/* Reads dev=MAJOR:MINOR (hex), as the kernel writes it. */
static int get_dev(const struct vigil_audit_record *rec, uint64_t *out)
{
	const struct vigil_audit_field *f = vigil_audit_field_find(rec, "dev");
	struct vigil_audit_field part;
	const char *colon;
	uint64_t maj, min;

	if (!f || f->enc != VIGIL_AUDIT_VAL_PLAIN)
		return -ENOENT;
	colon = memchr(rec->buf + f->val_off, ':', f->val_len);
	if (!colon)
		return -EINVAL;
	part = *f;
	part.val_len = (uint32_t)(colon - (rec->buf + f->val_off));
	if (vigil_audit_field_hex(rec, &part, &maj))
		return -EINVAL;
	part.val_off += part.val_len + 1;
	part.val_len = f->val_len - part.val_len - 1;
	if (vigil_audit_field_hex(rec, &part, &min))
		return -EINVAL;
	*out = makedev(maj, min);
	return 0;
}

/* Process context from SYSCALL. */
static int fill_process(struct vigil_event *ev,
			const struct vigil_audit_record *rec)
{
	struct vigil_process *p = &ev->process;
	int64_t v;
	int r;

	if (!vigil_audit_get_dec(rec, "pid", &v))
		p->pid = p->tid = (int32_t)v;
	if (!vigil_audit_get_dec(rec, "ppid", &v))
		p->ppid = (int32_t)v;
	vigil_audit_get_id(rec, "uid", &p->uid);
	vigil_audit_get_id(rec, "gid", &p->gid);
	vigil_audit_get_id(rec, "euid", &p->euid);
	vigil_audit_get_id(rec, "egid", &p->egid);
	vigil_audit_get_id(rec, "suid", &p->suid);
	vigil_audit_get_id(rec, "sgid", &p->sgid);
	vigil_audit_get_id(rec, "fsuid", &p->fsuid);
	vigil_audit_get_id(rec, "fsgid", &p->fsgid);
	vigil_audit_get_id(rec, "auid", &p->auid);
	vigil_audit_get_id(rec, "ses", &p->session_id);
	r = copy_word(ev, rec, "tty", &p->tty);
	if (!r)
		r = vigil__audit_copy_ustr(ev, rec, "comm", &p->comm);
	if (!r)
		r = vigil__audit_copy_ustr(ev, rec, "exe", &p->file.path);
	return r;
}

/* Kernel part from SYSCALL: number, arch, name, return value, a0..a3. */
static void fill_syscall(struct vigil_event *ev,
			 const struct vigil_audit_record *rec, int64_t nr,
			 uint64_t arch, const char *name)
{
	struct vigil_kernel_part *k = &ev->u.kernel;
	static const char *const argk[] = { "a0", "a1", "a2", "a3" };
	int64_t v;
	size_t i;

	k->syscall_nr = (int32_t)nr;
	k->arch = (int32_t)arch;
	k->syscall_name = vigil_str_c(name);
	if (!vigil_audit_get_dec(rec, "exit", &v))
		k->retval = v;
	for (i = 0; i < VIGIL_ARRAY_SIZE(argk); i++)
		vigil_audit_get_hex(rec, argk[i], &k->args[i]);
}

/* Joins a relative PATH name onto the cwd ("./x" -> "<cwd>/x"). */
int vigil__audit_absolute(struct vigil_event *ev, struct vigil_str cwd,
			  struct vigil_str name, struct vigil_str *out)
{
	char *p;
	size_t n;

	if (name.len == 0 || name.ptr[0] == '/' || cwd.len == 0) {
		*out = name;
		return 0;
	}
	while (name.len >= 2 && name.ptr[0] == '.' && name.ptr[1] == '/') {
		name.ptr += 2;
		name.len -= 2;
	}
	n = cwd.len + 1 + name.len;
	p = vigil_arena_alloc(ev->arena, n + 1);
	if (!p)
		return -ENOMEM;
	memcpy(p, cwd.ptr, cwd.len);
	n = cwd.len;
	if (n == 0 || p[n - 1] != '/')
		p[n++] = '/';
	memcpy(p + n, name.ptr, name.len);
	n += name.len;
	p[n] = '\0';
	out->ptr = p;
	out->len = (uint32_t)n;
	return 0;
}

static uint8_t nametype_of(const struct vigil_audit_record *rec)
{
	static const struct {
		const char *name;
		uint8_t nt;
	} nts[] = {
		{ "NORMAL", NT_NORMAL },
		{ "PARENT", NT_PARENT },
		{ "CREATE", NT_CREATE },
		{ "DELETE", NT_DELETE },
	};
	const struct vigil_audit_field *f =
		vigil_audit_field_find(rec, "nametype");
	size_t i;

	if (!f)
		return NT_UNKNOWN;
	for (i = 0; i < VIGIL_ARRAY_SIZE(nts); i++)
		if (f->val_len == strlen(nts[i].name) &&
		    memcmp(rec->buf + f->val_off, nts[i].name, f->val_len) == 0)
			return nts[i].nt;
	return NT_UNKNOWN;
}

static int read_path(struct vigil_event *ev,
		     const struct vigil_audit_record *rec, struct path_info *pi)
{
	int64_t v;

	memset(pi, 0, sizeof(*pi));
	pi->ouid = pi->ogid = VIGIL_ID_UNSET;
	pi->item = vigil_audit_get_dec(rec, "item", &v) ? -1 : v;
	if (!vigil_audit_get_dec(rec, "inode", &v) && v >= 0) {
		pi->inode = (uint64_t)v;
		pi->has_stat = true;
	}
	get_dev(rec, &pi->dev);
	get_oct(rec, "mode", &pi->mode);
	vigil_audit_get_id(rec, "ouid", &pi->ouid);
	vigil_audit_get_id(rec, "ogid", &pi->ogid);
	pi->nametype = nametype_of(rec);
	pi->has_fcaps = !vigil_audit_get_hex(rec, "cap_fver", &pi->cap_fver);
	return vigil__audit_copy_ustr(ev, rec, "name", &pi->name);
}

void vigil__audit_path_to_file(const struct path_info *pi, struct vigil_file *f)
{
	if (!pi->has_stat)
		return;
	f->inode = pi->inode;
	f->dev = pi->dev;
	f->mode = pi->mode;
	f->uid = pi->ouid;
	f->gid = pi->ogid;
	f->flags |= VIGIL_FILE_HAS_STAT;
}

/* The PATH record with item n, or NULL. */
const struct path_info *vigil__audit_path_item(const struct path_info *paths,
					       uint32_t n_paths, int64_t item)
{
	uint32_t i;

	for (i = 0; i < n_paths; i++)
		if (paths[i].item == item)
			return &paths[i];
	return NULL;
}

/* Copies the decoder's arguments into an argv in the arena. */
static int argv_to_event(struct vigil_event *ev,
			 const struct vigil_audit_argv *a,
			 struct vigil_strv *out)
{
	struct vigil_str *v;
	uint32_t i;
	int r;

	if (a->argc == 0)
		return 0;
	v = vigil_arena_alloc(ev->arena, (size_t)a->argc * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < a->argc; i++) {
		if (a->off[i] == UINT32_MAX) {
			v[i].ptr = "";
			v[i].len = 0;
			continue;
		}
		r = vigil_arena_str(ev->arena, &v[i], a->bytes.data + a->off[i],
				    a->len[i]);
		if (r)
			return r;
	}
	out->v = v;
	out->n = a->argc;
	return 0;
}

/* Record i in *slot unless an earlier one is there: the first counts. */
static void keep_first(int32_t *slot, uint32_t i)
{
	if (*slot < 0)
		*slot = (int32_t)i;
}

/* Record i appended to list (*n of cap). */
static void keep_in(uint32_t *list, uint32_t *n, uint32_t cap, uint32_t i)
{
	if (*n < cap)
		list[(*n)++] = i;
}

/* Names of records the first pass sorts out. */
static int scan(const struct vigil_audit_asm_event *ae, struct layout *l)
{
	uint32_t i;

	l->syscall = l->cwd = l->proctitle = l->obj_pid = l->capset = -1;
	l->n_execve = l->n_path = 0;
	for (i = 0; i < ae->n_recs; i++) {
		switch (ae->recs[i].type) {
		case AUDIT_SYSCALL:
			keep_first(&l->syscall, i);
			break;
		case AUDIT_EXECVE:
			keep_in(l->execve, &l->n_execve,
				VIGIL_AUDIT_MAX_EVENT_RECORDS, i);
			break;
		case AUDIT_CWD:
			l->cwd = (int32_t)i;
			break;
		case AUDIT_PATH:
			keep_in(l->path, &l->n_path, MAX_PATHS, i);
			break;
		case AUDIT_PROCTITLE:
			l->proctitle = (int32_t)i;
			break;
		case AUDIT_OBJ_PID:
			keep_first(&l->obj_pid, i);
			break;
		case AUDIT_CAPSET:
			l->capset = (int32_t)i;
			break;
		default:
			break;
		}
	}
	return l->syscall < 0 ? -ENOENT : 0;
}

/*
 * Whether one of the PATH names (made absolute with the cwd) is a path
 * vigil watches.  Returns 1, 0, or -ENOMEM.
 */
static int on_watched_path(const struct vigil_audit_builder *b,
			   struct vigil_event *ev,
			   const struct path_info *paths, uint32_t n_paths)
{
	struct vigil_str abs;

	for (uint32_t i = 0; i < n_paths; i++) {
		if (paths[i].nametype == NT_PARENT || !paths[i].name.len)
			continue;
		if (vigil__audit_absolute(ev, ev->process.cwd, paths[i].name,
					  &abs))
			return -ENOMEM;
		for (uint32_t k = 0; k < b->n_watch_paths; k++)
			if (vigil_str_eq(abs, b->watch_paths[k]))
				return 1;
	}
	return 0;
}

/* True when the SYSCALL's key= starts with the builder's key.  Several
 * keys are hex, separated by 0x01 (AUDIT_KEY_SEPARATOR); any may match. */
static bool has_key(struct vigil_audit_builder *b,
		    const struct vigil_audit_record *rec)
{
	const struct vigil_audit_field *f = vigil_audit_field_find(rec, "key");
	char buf[256];
	size_t n, i, start;

	if (!f || f->val_len / 2 >= sizeof(buf) ||
	    vigil_audit_value_decode(rec, f, buf, sizeof(buf), &n))
		return false;
	for (i = 0, start = 0; i <= n; i++) {
		if (i == n || buf[i] == AUDIT_KEY_SEPARATOR) {
			if (i - start >= b->key_len &&
			    memcmp(buf + start, b->key, b->key_len) == 0)
				return true;
			start = i + 1;
		}
	}
	return false;
}

int vigil_audit_syscall_event_type(const char *name)
{
	const struct sc_map *m = bsearch(name, sc_table,
					 VIGIL_ARRAY_SIZE(sc_table),
					 sizeof(sc_table[0]), sc_cmp);

	if (!m)
		return -ENOENT;
	/* Of the file calls only the xattr family has rules of its own
	 * (the rest come through watches on paths). */
	if (m->kind == SC_FILE && m->type != VIGIL_EV_SETXATTR &&
	    m->type != VIGIL_EV_REMOVEXATTR)
		return -ENOENT;
	return m->type;
}

/* True when the SYSCALL record says the call failed (success=no). */
static bool exec_failed(const struct vigil_audit_record *rec)
{
	const struct vigil_audit_field *f =
		vigil_audit_field_find(rec, "success");

	return f && f->val_len == 2 &&
	       memcmp(rec->buf + f->val_off, "no", 2) == 0;
}

int vigil_audit_build(struct vigil_audit_builder *b,
		      const struct vigil_audit_asm_event *ae,
		      struct vigil_event *ev)
{
	struct path_info paths[MAX_PATHS];
	struct vigil_audit_record rec;
	const struct sc_map *m;
	const struct path_info *p0;
	const char *name = NULL;
	struct layout lay, *l = &lay;
	uint64_t arch = 0;
	int64_t nr = -1;
	bool argv_done = false, keyed;
	uint32_t i;
	int r, mach;

	l->execve = b->execve_idx;
	r = scan(ae, l);
	if (r)
		return r;
	r = vigil__audit_load(b, ae, (uint32_t)l->syscall, &rec);
	if (r)
		return r;
	vigil_audit_get_hex(&rec, "arch", &arch);
	vigil_audit_get_dec(&rec, "syscall", &nr);
	mach = audit_elf_to_machine((unsigned int)arch);
	if (mach >= 0 && nr >= 0)
		name = audit_syscall_to_name((int)nr, mach);
	m = name ? bsearch(name, sc_table, VIGIL_ARRAY_SIZE(sc_table),
			   sizeof(sc_table[0]), sc_cmp)
		 : NULL;
	r = -ENOENT;
	if (!m)
		return r;
	keyed = has_key(b, &rec);
	/* A file record under another rule's key (auditd's, another
	 * agent's: the kernel logs the first rule that matches) is still
	 * one of ours when our rules ask for that call: any xattr call, or
	 * a call on a watched path (checked once the paths are read). */
	if (m->kind == SC_FILE && !keyed &&
	    !((m->type == VIGIL_EV_SETXATTR ||
	       m->type == VIGIL_EV_REMOVEXATTR) && b->xattr_everywhere) &&
	    !b->n_watch_paths)
		return r;
	/* A failed execve changed no image: a shell searching PATH tries
	 * /usr/sbin/bash, /usr/bin/bash ... and only the last one ran.
	 * Reporting the failed tries as exec events named programs that do
	 * not exist and made exec rules fire twice. */
	if (m->kind == SC_EXEC && exec_failed(&rec))
		return r;

	ev->type = m->type;
	ev->source = VIGIL_SRC_AUDIT;
	ev->time_ns = ae->sec * 1000000000LL + (int64_t)ae->ms * 1000000LL;
	ev->seq = ae->serial;
	r = fill_process(ev, &rec);
	if (r)
		return r;
	if (m->kind != SC_EXEC && m->kind != SC_EXIT)
		fill_syscall(ev, &rec, nr, arch, name);

	if (l->cwd >= 0 && !vigil__audit_load(b, ae, (uint32_t)l->cwd, &rec)) {
		r = vigil__audit_copy_ustr(ev, &rec, "cwd", &ev->process.cwd);
		if (r)
			return r;
	}
	for (i = 0; i < l->n_path; i++) {
		r = vigil__audit_load(b, ae, l->path[i], &rec);
		if (!r)
			r = read_path(ev, &rec, &paths[i]);
		else
			memset(&paths[i], 0, sizeof(paths[i]));
		if (r == -ENOMEM)
			return r;
	}
	if (m->kind == SC_FILE && !keyed &&
	    !((m->type == VIGIL_EV_SETXATTR ||
	       m->type == VIGIL_EV_REMOVEXATTR) && b->xattr_everywhere)) {
		r = on_watched_path(b, ev, paths, l->n_path);
		if (r <= 0)
			return r < 0 ? r : -ENOENT;
	}

	if (l->n_execve > 0) {
		vigil_audit_argv_begin(&b->argv);
		for (i = 0, r = 0; i < l->n_execve && !r; i++) {
			r = vigil__audit_load(b, ae, l->execve[i], &rec);
			if (!r)
				r = vigil_audit_argv_add(&b->argv, &rec);
		}
		if (r == -ENOMEM)
			return r;
		if (!r && !vigil_audit_argv_end(&b->argv)) {
			argv_done = true;
			if (b->argv.incomplete || ae->truncated)
				b->incomplete_argv++;
		}
	}
	if (!argv_done && l->proctitle >= 0 &&
	    !vigil__audit_load(b, ae, (uint32_t)l->proctitle, &rec)) {
		const struct vigil_audit_field *f =
			vigil_audit_field_find(&rec, "proctitle");

		if (f && !vigil_audit_argv_proctitle(&b->argv, &rec, f))
			argv_done = true;
	}
	if (argv_done) {
		r = argv_to_event(ev, &b->argv, &ev->process.argv);
		if (r)
			return r;
	}

	r = 0;
	if (m->kind == SC_EXEC) {
		p0 = vigil__audit_path_item(paths, l->n_path, 0);
		if (p0 && p0->name.len) {
			r = vigil__audit_absolute(ev, ev->process.cwd, p0->name,
						  &ev->process.file.path);
			vigil__audit_path_to_file(p0, &ev->process.file);
		}
	} else if (m->kind == SC_FILE) {
		r = vigil__audit_fill_file(b, ev, m, paths, l->n_path);
	} else if (m->kind != SC_EXIT) {
		r = vigil__audit_fill_kernel(b, ae, l, ev, m, paths, l->n_path);
	}
	return r;
}

int vigil_audit_agent_event(struct vigil_event *ev, const char *kind,
			    int64_t count, const char *detail)
{
	int r;

	ev->type = VIGIL_EV_AGENT;
	ev->source = VIGIL_SRC_AGENT;
	/* vigild itself, as the proc and fanotify sources' agent events:
	 * the enricher gives the signal the agent's process context */
	ev->process.pid = ev->process.tid = getpid();
	ev->u.agent.count = count;
	ev->u.agent.subsystem = vigil_str_c("audit");
	r = vigil_arena_str(ev->arena, &ev->u.agent.kind, kind, strlen(kind));
	if (!r)
		r = vigil_arena_str(ev->arena, &ev->u.agent.detail, detail,
				    strlen(detail));
	return r;
}
