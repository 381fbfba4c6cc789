/*
 * audit_event_kernel.c - the per-syscall part of kernel-activity events
 * (ptrace, kill, module loads, mounts, capset, setuid ...): what the
 * arguments, the OBJ_PID and CAPSET records, the PATH records and, where
 * the kernel logs nothing, the command line say about the call.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "audit/audit_event_int.h"

/* Allocates ev->u.kernel.target with pid and, from OBJ_PID, its ids. */
static int fill_target(struct vigil_event *ev, int64_t pid,
		       const struct vigil_audit_record *obj)
{
	struct vigil_process *t = vigil_arena_alloc(ev->arena, sizeof(*t));
	int64_t v;

	if (!t)
		return -ENOMEM;
	vigil_process_clear(t);
	t->pid = t->tid = (int32_t)pid;
	ev->u.kernel.target = t;
	if (!obj)
		return 0;
	if (!vigil_audit_get_dec(obj, "opid", &v))
		t->pid = t->tid = (int32_t)v;
	vigil_audit_get_id(obj, "ouid", &t->uid);
	vigil_audit_get_id(obj, "oauid", &t->auid);
	vigil_audit_get_id(obj, "oses", &t->session_id);
	return vigil__audit_copy_ustr(ev, obj, "ocomm", &t->comm);
}

/*
 * A module name from the command line, for delete_module and
 * init/finit_module whose name the kernel does not log: the last
 * argument that is not an option, without directory and ".ko*" suffix.
 */
static int module_from_argv(struct vigil_event *ev, struct vigil_str *out)
{
	const struct vigil_strv *a = &ev->process.argv;
	struct vigil_str s;
	const char *slash, *dot;
	uint32_t i;

	for (i = a->n; i-- > 1;) {
		s = a->v[i];
		if (s.len == 0 || s.ptr[0] == '-' || memchr(s.ptr, '=', s.len))
			continue;
		slash = memrchr(s.ptr, '/', s.len);
		if (slash) {
			s.len -= (uint32_t)(slash + 1 - s.ptr);
			s.ptr = slash + 1;
		}
		dot = memmem(s.ptr, s.len, ".ko", 3);
		if (dot)
			s.len = (uint32_t)(dot - s.ptr);
		*out = s;
		return 0;
	}
	return 0;
}

/*
 * The module file of init/finit_module, which the kernel does not log
 * (finit_module takes an fd, init_module a buffer): the command line
 * argument that names a module file (*.ko, *.ko.gz, *.ko.xz, *.ko.zst,
 * as insmod FILE takes it), made absolute with the cwd.  modprobe NAME
 * names none: the path stays unknown.  Returns 0 or -ENOMEM.
 */
static int module_file_from_argv(struct vigil_event *ev, struct vigil_str *out)
{
	static const char *const sfx[] = { ".ko", ".ko.gz", ".ko.xz",
					   ".ko.zst" };
	const struct vigil_strv *a = &ev->process.argv;

	for (uint32_t i = a->n; i-- > 1;) {
		struct vigil_str s = a->v[i];

		if (s.len == 0 || s.ptr[0] == '-')
			continue;
		for (size_t k = 0; k < VIGIL_ARRAY_SIZE(sfx); k++) {
			size_t n = strlen(sfx[k]);

			if (s.len > n &&
			    memcmp(s.ptr + s.len - n, sfx[k], n) == 0)
				return vigil__audit_absolute(
					ev, ev->process.cwd, s, out);
		}
	}
	return 0;
}

/* Second argument after "-t" in a mount command line: the fs type. */
static void fstype_from_argv(struct vigil_event *ev)
{
	const struct vigil_strv *a = &ev->process.argv;
	uint32_t i;

	for (i = 1; i + 1 < a->n; i++)
		if (vigil_str_eq(a->v[i], "-t")) {
			ev->u.kernel.fs_type = a->v[i + 1];
			return;
		}
}

/*
 * New ids of the setuid/setgid family from a0..a2.  layout: 0 setuid(x):
 * all three; 1 setreuid(r, e): fs follows e; 2 setresuid(r, e, s);
 * 3 setfsuid(fs).  (uid_t)-1 ("unchanged") stays VIGIL_ID_UNSET.
 */
static void set_ids(const uint64_t *a, uint8_t layout, uint32_t *id,
		    uint32_t *eid, uint32_t *fsid)
{
	uint32_t a0 = (uint32_t)a[0], a1 = (uint32_t)a[1];

	switch (layout) {
	case 0:
		*id = *eid = *fsid = a0;
		break;
	case 1:
	case 2:
		*id = a0;
		*eid = *fsid = a1;
		break;
	default:
		*fsid = a0;
		break;
	}
}

/*
 * The paths of mount, umount, chroot and pivot_root, made absolute with
 * the cwd: PATH item 0 (p0, the mount point or new root) into
 * ev->u.kernel.path and item 1 (p1, the source or put_old; NULL for the
 * calls with one path) into .source.  Either may be missing.  Returns 0
 * or -ENOMEM.
 */
static int mount_paths(struct vigil_event *ev, const struct path_info *p0,
		       const struct path_info *p1)
{
	struct vigil_kernel_part *k = &ev->u.kernel;
	int r = 0;

	if (p0)
		r = vigil__audit_absolute(ev, ev->process.cwd, p0->name,
					  &k->path);
	if (!r && p1)
		r = vigil__audit_absolute(ev, ev->process.cwd, p1->name,
					  &k->source);
	return r;
}

/* Per-kind part of kernel events. */
int vigil__audit_fill_kernel(struct vigil_audit_builder *b,
			     const struct vigil_audit_asm_event *ae,
			     const struct layout *l, struct vigil_event *ev,
			     const struct sc_map *m,
			     const struct path_info *paths, uint32_t n_paths)
{
	struct vigil_kernel_part *k = &ev->u.kernel;
	const struct path_info *p0 = vigil__audit_path_item(paths, n_paths, 0);
	const struct path_info *p1 = vigil__audit_path_item(paths, n_paths, 1);
	struct vigil_audit_record rec, *obj = NULL;
	uint64_t v;
	int r = 0;

	if (l->obj_pid >= 0 &&
	    !vigil__audit_load(b, ae, (uint32_t)l->obj_pid, &rec))
		obj = &rec;
	switch (m->kind) {
	case SC_REQ_A0:
		k->request = k->args[0];
		break;
	case SC_REQ_A1:
		k->request = k->args[1];
		break;
	case SC_PTRACE:
		k->request = k->args[0];
		r = fill_target(ev, (int32_t)k->args[1], obj);
		break;
	case SC_TARGET_A0:
		r = fill_target(ev, (int32_t)k->args[0], obj);
		break;
	case SC_KILL:
		k->request = k->args[1];
		r = fill_target(ev, (int32_t)k->args[0], obj);
		break;
	case SC_TGKILL:
		k->request = k->args[2];
		r = fill_target(ev, (int32_t)k->args[1], obj);
		break;
	case SC_MODULE:
		if (p0)
			k->path = p0->name;
		else
			r = module_file_from_argv(ev, &k->path);
		if (!r)
			r = module_from_argv(ev, &k->name);
		break;
	case SC_UNMODULE:
		/* delete_module's name is a user pointer the kernel does
		 * not log: take it from the command line (rmmod NAME). */
		r = module_from_argv(ev, &k->name);
		break;
	case SC_MOUNT:
		/* The kernel looks up the mount point first, then (bind,
		 * move) the source. */
		r = mount_paths(ev, p0, p1);
		fstype_from_argv(ev);
		break;
	case SC_UMOUNT:
	case SC_CHROOT:
		r = mount_paths(ev, p0, NULL);
		break;
	case SC_PIVOT:
		r = mount_paths(ev, p0, p1);
		break;
	case SC_CAPSET:
		if (l->capset >= 0 &&
		    !vigil__audit_load(b, ae, (uint32_t)l->capset, &rec)) {
			if (!vigil_audit_get_hex(&rec, "cap_pe", &v))
				k->cap_effective = v;
			if (!vigil_audit_get_hex(&rec, "cap_pp", &v))
				k->cap_permitted = v;
			if (!vigil_audit_get_hex(&rec, "cap_pi", &v))
				k->cap_inheritable = v;
		}
		break;
	case SC_SETUID:
		set_ids(k->args, m->arg, &k->new_uid, &k->new_euid,
			&k->new_fsuid);
		break;
	case SC_SETGID:
		set_ids(k->args, m->arg, &k->new_gid, &k->new_egid,
			&k->new_fsgid);
		break;
	default: /* SC_PLAIN, SC_MEMFD: the name is a user pointer the
		  * kernel does not log, so memfd_create.name stays empty */
		break;
	}
	return r;
}
