/*
 * cgroup.h - container and systemd unit from the text of /proc/PID/cgroup.
 *
 * The kernel writes one line per hierarchy, "ID:controllers:path" (cgroup
 * v1) or "0::path" (v2).  Container runtimes and systemd encode who owns a
 * process in the path: docker, containerd, CRI-O and podman put the
 * container id in a path component, the kubelet puts the pod uid, systemd
 * puts the unit.  The text is untrusted (a process in a container can name
 * its own sub-cgroups), so the parser copies only validated tokens into
 * fixed-size fields.
 */
#ifndef VIGIL_CGROUP_H
#define VIGIL_CGROUP_H

#include <stddef.h>

/* Container ids are 64 lower-case hex digits for every runtime we know. */
#define VIGIL_CONTAINER_ID_LEN 64
/* A pod uid normalized to 8-4-4-4-12 with dashes (36), or the 32 hex
 * digits of a static pod's config hash. */
#define VIGIL_POD_UID_MAX 36
/* systemd caps unit names at 255 bytes (UNIT_NAME_MAX - 1). */
#define VIGIL_UNIT_NAME_MAX 255

struct vigil_cgroup_info {
	char container_id[VIGIL_CONTAINER_ID_LEN + 1]; /* "" when none */
	const char *runtime; /* static: "docker", "containerd", "cri-o",
			      * "podman"; NULL when no container */
	char pod_uid[VIGIL_POD_UID_MAX + 1]; /* "" when not in a pod */
	char unit[VIGIL_UNIT_NAME_MAX + 1];  /* "ssh.service", "" if none */
};

/*
 * Parses len bytes of /proc/PID/cgroup text (need not be NUL-terminated)
 * into out, which is cleared first.  Lines that do not parse are skipped;
 * a process outside any container yields an empty id.  The systemd unit
 * and the pod come from the v2 line or v1's name=systemd line when there
 * is one.  Returns 0, or -EINVAL when text or out is NULL.
 */
int vigil_cgroup_parse(const char *text, size_t len,
		       struct vigil_cgroup_info *out);

#endif /* VIGIL_CGROUP_H */
