/*
 * cgroup.c - container id, runtime, pod uid and systemd unit from the text
 * of /proc/PID/cgroup (see cgroup.h).
 *
 * Paths we recognise, innermost component first wins (nested containers):
 *   docker     /docker/<id>                      (cgroupfs driver)
 *              /system.slice/docker-<id>.scope    (systemd driver)
 *   containerd .../cri-containerd-<id>.scope      (systemd driver)
 *              /kubepods/<qos>/pod<uid>/<id>      (cgroupfs driver; the
 *                 runtime is not in the path, containerd is the kubelet's
 *                 default since dockershim was removed)
 *              ...-pod<uid>.slice:cri-containerd:<id> (v1 controllers the
 *                 systemd driver did not convert)
 *   CRI-O      .../crio-<id>.scope
 *   podman     /machine.slice/libpod-<id>.scope, rootless
 *              .../user@1000.service/user.slice/libpod-<id>.scope/container,
 *              /libpod_parent/libpod-<id>         (cgroupfs manager)
 * Pod uids come from "pod<uid>" (cgroupfs) or "kubepods-<qos>-pod<uid>.slice"
 * (systemd, with '_' for '-').  The unit is the innermost component naming
 * a .service or .scope, so user units under user@UID.service win over it.
 *
 * Nothing is copied unless it validates: container ids are exactly 64 hex
 * digits, pod uids are UUIDs or 32 hex digits, unit names use systemd's
 * character set.  That keeps "docker-compose.scope" or a container's own
 * sub-cgroup named "docker-evil.scope" from becoming a container id.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "proc/cgroup.h"

/* Length of a pod uid in 8-4-4-4-12 form, and of a static pod's hash. */
#define POD_UUID_LEN 36
#define POD_HASH_LEN 32

/* A component of a cgroup path: not NUL-terminated. */
struct span {
	const char *p;
	size_t n;
};

/* Which line a result came from: the systemd (v1) or unified (v2)
 * hierarchy describes the process best; other v1 controllers may sit at a
 * different level of the tree. */
enum line_rank {
	RANK_NONE = 0,
	RANK_V1_CONTROLLER,
	RANK_SYSTEMD,
};

struct parse_state {
	struct vigil_cgroup_info *out;
	unsigned line; /* index of the line being parsed */
	unsigned id_line;
	int id_rank;
	int pod_rank;
	int unit_rank;
};

static bool has_prefix(struct span s, const char *pfx)
{
	size_t n = strlen(pfx);

	return s.n >= n && memcmp(s.p, pfx, n) == 0;
}

static bool has_suffix(struct span s, const char *sfx)
{
	size_t n = strlen(sfx);

	return s.n >= n && memcmp(s.p + s.n - n, sfx, n) == 0;
}

static bool span_eq(struct span s, const char *str)
{
	return s.n == strlen(str) && memcmp(s.p, str, s.n) == 0;
}

static bool is_lower_hex(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') ||
		      (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

static bool is_container_id(const char *p, size_t n)
{
	return n == VIGIL_CONTAINER_ID_LEN && is_lower_hex(p, n);
}

/*
 * Checks a pod uid as the kubelet writes it (sep is '-' in cgroupfs paths,
 * '_' in systemd slice names) and copies it to out with dashes.  Static
 * pods carry a 32-digit hash instead of a UUID.  Returns true if copied.
 */
static bool take_pod_uid(const char *p, size_t n, char sep,
			 char out[VIGIL_POD_UID_MAX + 1])
{
	if (n == POD_HASH_LEN && is_lower_hex(p, n)) {
		memcpy(out, p, n);
		out[n] = '\0';
		return true;
	}
	if (n != POD_UUID_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash_pos = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash_pos ? p[i] != sep : !is_lower_hex(p + i, 1))
			return false;
		out[i] = dash_pos ? '-' : p[i];
	}
	out[n] = '\0';
	return true;
}

/* systemd unit names: ASCII letters, digits and ":-_.\@" (unit-name.c). */
static bool is_unit_name(struct span s)
{
	if (s.n == 0 || s.n > VIGIL_UNIT_NAME_MAX)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr(":-_.\\@", c)))
			return false;
	}
	return true;
}

static void set_container(struct parse_state *st, int rank, const char *id,
			  const char *runtime)
{
	/* An inner component of the same line wins (nested containers);
	 * a later line wins only with a better rank. */
	if (rank < st->id_rank || (rank == st->id_rank && st->line != st->id_line))
		return;
	memcpy(st->out->container_id, id, VIGIL_CONTAINER_ID_LEN);
	st->out->container_id[VIGIL_CONTAINER_ID_LEN] = '\0';
	st->out->runtime = runtime;
	st->id_rank = rank;
	st->id_line = st->line;
}

/*
 * "<prefix><id><suffix>" with an optional suffix: returns the id's start
 * or NULL.
 */
static const char *match_wrapped_id(struct span c, const char *prefix,
				    const char *suffix)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);

	if (!has_prefix(c, prefix))
		return NULL;
	if (c.n == pl + VIGIL_CONTAINER_ID_LEN + sl && has_suffix(c, suffix) &&
	    is_container_id(c.p + pl, VIGIL_CONTAINER_ID_LEN))
		return c.p + pl;
	return NULL;
}

/*
 * Looks at one path component for a container id.  prev is the component
 * before it (or empty) and in_kubepods says a kubepods component came
 * earlier.
 */
static void scan_container(struct parse_state *st, int rank, struct span c,
			   struct span prev, bool in_kubepods)
{
	static const struct {
		const char *prefix, *suffix, *runtime;
	} scopes[] = {
		{ "docker-", ".scope", "docker" },
		{ "cri-containerd-", ".scope", "containerd" },
		{ "crio-", ".scope", "cri-o" },
		{ "libpod-", ".scope", "podman" },
		{ "libpod-", "", "podman" },
	};
	static const struct {
		const char *tag, *runtime;
	} colon_forms[] = {
		{ ":cri-containerd:", "containerd" },
		{ ":crio:", "cri-o" },
		{ ":docker:", "docker" },
	};
	const char *id;

	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		id = match_wrapped_id(c, scopes[i].prefix, scopes[i].suffix);
		if (id) {
			set_container(st, rank, id, scopes[i].runtime);
			return;
		}
	}
	if (c.n > VIGIL_CONTAINER_ID_LEN &&
	    is_container_id(c.p + c.n - VIGIL_CONTAINER_ID_LEN,
			    VIGIL_CONTAINER_ID_LEN)) {
		struct span head = { c.p, c.n - VIGIL_CONTAINER_ID_LEN };

		for (size_t i = 0;
		     i < sizeof(colon_forms) / sizeof(colon_forms[0]); i++) {
			if (has_suffix(head, colon_forms[i].tag) &&
			    has_prefix(head, "kubepods")) {
				set_container(st, rank, head.p + head.n,
					      colon_forms[i].runtime);
				return;
			}
		}
	}
	if (is_container_id(c.p, c.n)) {
		if (span_eq(prev, "docker"))
			set_container(st, rank, c.p, "docker");
		else if (in_kubepods && has_prefix(prev, "pod"))
			set_container(st, rank, c.p, "containerd");
	}
}

/* Looks at one component for a pod uid. */
static void scan_pod(struct parse_state *st, int rank, struct span c,
		     bool in_kubepods)
{
	char uid[VIGIL_POD_UID_MAX + 1];
	const char *p;

	if (rank <= st->pod_rank)
		return;
	if (in_kubepods && has_prefix(c, "pod") &&
	    take_pod_uid(c.p + 3, c.n - 3, '-', uid))
		goto found;
	/* kubepods-burstable-pod<uid>.slice, kubepods-pod<uid>.slice; a
	 * v1 controller may append ":cri-containerd:<id>" after .slice. */
	if (has_prefix(c, "kubepods-")) {
		const char *end = memchr(c.p, ':', c.n);
		struct span s = { c.p, end ? (size_t)(end - c.p) : c.n };

		if (!has_suffix(s, ".slice"))
			return;
		s.n -= strlen(".slice");
		for (p = s.p + s.n; p > s.p; p--) {
			if (p - s.p >= 4 && memcmp(p - 4, "-pod", 4) == 0)
				break;
		}
		if (p == s.p)
			return;
		if (take_pod_uid(p, (size_t)(s.p + s.n - p), '_', uid))
			goto found;
	}
	return;
found:
	memcpy(st->out->pod_uid, uid, sizeof(uid));
	st->pod_rank = rank;
}

/* Parses the path of one line; components are separated by '/'. */
static void scan_path(struct parse_state *st, int rank, const char *p,
		      size_t n)
{
	struct span prev = { "", 0 }, unit = { NULL, 0 };
	bool in_kubepods = false;
	const char *end = p + n;

	while (p < end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		struct span c = { p, slash ? (size_t)(slash - p) : (size_t)(end - p) };

		p = slash ? slash + 1 : end;
		if (c.n == 0)
			continue;
		scan_container(st, rank, c, prev, in_kubepods);
		scan_pod(st, rank, c, in_kubepods);
		if ((has_suffix(c, ".service") || has_suffix(c, ".scope")) &&
		    is_unit_name(c))
			unit = c;
		if (span_eq(c, "kubepods") || has_prefix(c, "kubepods.") ||
		    has_prefix(c, "kubepods-"))
			in_kubepods = true;
		prev = c;
	}
	if (unit.p && rank > st->unit_rank) {
		memcpy(st->out->unit, unit.p, unit.n);
		st->out->unit[unit.n] = '\0';
		st->unit_rank = rank;
	}
}

/* The rank of a line given its hierarchy id and controller list. */
static int line_rank(const char *id, size_t id_n, const char *ctl,
		     size_t ctl_n)
{
	struct span c = { ctl, ctl_n };

	if (ctl_n == 0 && id_n == 1 && id[0] == '0')
		return RANK_SYSTEMD; /* the v2 unified hierarchy */
	while (c.n) {
		const char *comma = memchr(c.p, ',', c.n);
		struct span one = { c.p, comma ? (size_t)(comma - c.p) : c.n };

		if (span_eq(one, "name=systemd"))
			return RANK_SYSTEMD;
		if (!comma)
			break;
		c.n -= one.n + 1;
		c.p = comma + 1;
	}
	return RANK_V1_CONTROLLER;
}

int vigil_cgroup_parse(const char *text, size_t len,
		       struct vigil_cgroup_info *out)
{
	struct parse_state st = { .out = out };
	const char *p = text, *end;

	if (!text || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *c1, *c2;

		c1 = memchr(p, ':', (size_t)(eol - p));
		c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;
		/* "ID:controllers:/path"; the path may itself hold ':'. */
		if (c2 && c1 > p && c2 + 1 < eol && c2[1] == '/')
			scan_path(&st,
				  line_rank(p, (size_t)(c1 - p), c1 + 1,
					    (size_t)(c2 - c1 - 1)),
				  c2 + 1, (size_t)(eol - c2 - 1));
		p = nl ? nl + 1 : end;
		st.line++;
	}
	return 0;
}
