/*
 * audit_event_file.c - file events from audit watches (and the FIM
 * fallback): which PATH record is the object and which the destination,
 * the new mode, owner or open flags from the arguments, and, for live
 * records, what this host can tell about a renamed symlink or a changed
 * file capability.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "audit/audit_event_int.h"

/* Largest file capability value (struct vfs_ns_cap_data, v3). */
#define XATTR_SIZE_MAX_CAPS 24

/* The first path with nametype nt (NT_UNKNOWN: the first not PARENT). */
static const struct path_info *path_kind(const struct path_info *paths,
					 uint32_t n_paths, uint8_t nt)
{
	uint32_t i;

	for (i = 0; i < n_paths; i++)
		if (nt == NT_UNKNOWN ? paths[i].nametype != NT_PARENT
				     : paths[i].nametype == nt)
			return &paths[i];
	return NULL;
}

/* The first name that is neither a PARENT record nor not: for symlink
 * and link, the name that is not the new one. */
static const struct path_info *other_name(const struct path_info *paths,
					  uint32_t n_paths,
					  const struct path_info *not)
{
	for (uint32_t i = 0; i < n_paths; i++)
		if (paths[i].nametype != NT_PARENT && &paths[i] != not)
			return &paths[i];
	return NULL;
}

/*
 * A symlink renamed into place (ln -sf makes it under a temporary name):
 * what the link at the destination points to, read on this host.  The
 * kernel logs the target only when the link is made.  Returns 0 or
 * -ENOMEM.
 */
static int link_from_host(struct vigil_event *ev)
{
	struct vigil_file_part *fp = &ev->u.file;
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	if (!fp->destination.path.len ||
	    fp->destination.path.len >= sizeof(path))
		return 0;
	memcpy(path, fp->destination.path.ptr, fp->destination.path.len);
	path[fp->destination.path.len] = '\0';
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	return vigil_arena_str(ev->arena, &fp->link_target, target, (size_t)n);
}

/*
 * The attribute a setxattr or removexattr of src changed, when it is the
 * file capabilities: the PATH record holds the capabilities the file had
 * when the call looked it up (cap_fver 0: none), and the file on this
 * host now has them (setxattr, with a value of the size the call passed)
 * or no longer (removexattr).  Any other attribute stays unnamed.
 */
static void xattr_from_host(struct vigil_event *ev,
			    const struct path_info *src, uint64_t size)
{
	static const char cap_name[] = "security.capability";
	struct vigil_file_part *fp = &ev->u.file;
	char path[PATH_MAX], value[XATTR_SIZE_MAX_CAPS];
	ssize_t n;

	if (!src->has_fcaps || !fp->file.path.len ||
	    fp->file.path.len >= sizeof(path))
		return;
	memcpy(path, fp->file.path.ptr, fp->file.path.len);
	path[fp->file.path.len] = '\0';
	n = lgetxattr(path, cap_name, value, sizeof(value));
	if (ev->type == VIGIL_EV_SETXATTR ? src->cap_fver == 0 && n > 0 &&
						    (uint64_t)n == size
					  : src->cap_fver != 0 && n < 0 &&
						    errno == ENODATA)
		fp->xattr_name = vigil_str_c(cap_name);
}

/* File events from audit watches: the object and, for rename and link,
 * the destination; chmod/chown carry the new mode/owner. */
int vigil__audit_fill_file(struct vigil_audit_builder *b,
			   struct vigil_event *ev, const struct sc_map *m,
			   const struct path_info *paths, uint32_t n_paths)
{
	struct vigil_file_part *fp = &ev->u.file;
	const struct path_info *src, *dst = NULL;
	const uint64_t *a = ev->u.kernel.args;
	uint64_t args[4];
	int r;

	memcpy(args, a, sizeof(args)); /* the union is reused below */
	memset(fp, 0, sizeof(*fp));
	vigil_file_clear(&fp->file);
	vigil_file_clear(&fp->destination);
	src = path_kind(paths, n_paths, NT_DELETE);
	if (src && (ev->type == VIGIL_EV_RENAME))
		dst = path_kind(paths, n_paths, NT_CREATE);
	/* symlink(target, name), link(old, name): the new name is the
	 * CREATE record; the target is the one other name (for symlink a
	 * string the kernel never looked up: no inode) */
	if (ev->type == VIGIL_EV_SYMLINK || ev->type == VIGIL_EV_LINK) {
		dst = path_kind(paths, n_paths, NT_CREATE);
		src = other_name(paths, n_paths, dst);
		if (!src || !dst)
			dst = NULL;
		if (!src)
			src = path_kind(paths, n_paths, NT_CREATE);
	}
	if (!src)
		src = path_kind(paths, n_paths, NT_CREATE);
	if (src && ev->type == VIGIL_EV_OPEN && src->nametype == NT_CREATE)
		ev->type = VIGIL_EV_CREATE;
	if (src && ev->type == VIGIL_EV_UNLINK && S_ISDIR(src->mode))
		ev->type = VIGIL_EV_RMDIR;
	if (!src)
		src = path_kind(paths, n_paths, NT_UNKNOWN);
	if (!src && n_paths)
		src = &paths[0];
	if (src && ev->type == VIGIL_EV_SYMLINK && dst) {
		/* a link's target is kept as written, relative or not */
		fp->file.path = src->name;
		fp->link_target = src->name;
	} else if (src) {
		r = vigil__audit_absolute(ev, ev->process.cwd, src->name,
					  &fp->file.path);
		if (r)
			return r;
		vigil__audit_path_to_file(src, &fp->file);
	}
	if (dst) {
		r = vigil__audit_absolute(ev, ev->process.cwd, dst->name,
					  &fp->destination.path);
		if (r)
			return r;
		vigil__audit_path_to_file(dst, &fp->destination);
	}
	if (ev->type == VIGIL_EV_CHMOD && m->arg)
		fp->destination.mode = (uint32_t)args[m->arg];
	if (ev->type == VIGIL_EV_CHOWN && m->arg && m->arg < 3) {
		fp->destination.uid = (uint32_t)args[m->arg];
		fp->destination.gid = (uint32_t)args[m->arg + 1];
	}
	if ((ev->type == VIGIL_EV_OPEN || ev->type == VIGIL_EV_CREATE) &&
	    m->arg)
		fp->open_flags = (uint32_t)args[m->arg];
	if (b->probe_host && ev->type == VIGIL_EV_RENAME && dst &&
	    S_ISLNK(dst->mode)) {
		r = link_from_host(ev);
		if (r)
			return r;
	}
	/* setxattr(path, name, value, size, flags): a3 is the size */
	if (b->probe_host && src &&
	    (ev->type == VIGIL_EV_SETXATTR || ev->type == VIGIL_EV_REMOVEXATTR))
		xattr_from_host(ev, src, args[3]);
	return 0;
}
