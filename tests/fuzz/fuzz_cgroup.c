/*
 * fuzz_cgroup.c - libFuzzer target for vigil_cgroup_parse().
 *
 * Feeds arbitrary bytes as /proc/PID/cgroup text (a containerised process
 * chooses the names of its own sub-cgroups) and checks, beyond the
 * sanitizers, that whatever comes out is well-formed: a 64-hex id with a
 * runtime or nothing, a pod uid of 32 or 36 characters, a unit name with
 * no '/' or control byte.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proc/cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_output(const struct vigil_cgroup_info *info)
{
	size_t id_len = strlen(info->container_id);
	size_t pod_len = strlen(info->pod_uid);
	size_t unit_len = strlen(info->unit);

	if (id_len != 0 && id_len != VIGIL_CONTAINER_ID_LEN)
		abort();
	if ((id_len != 0) != (info->runtime != NULL))
		abort();
	for (size_t i = 0; i < id_len; i++)
		if (!strchr("0123456789abcdef", info->container_id[i]))
			abort();
	if (pod_len != 0 && pod_len != 32 && pod_len != 36)
		abort();
	for (size_t i = 0; i < unit_len; i++)
		if (info->unit[i] == '/' || (unsigned char)info->unit[i] < 0x20)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vigil_cgroup_info info;
	/* An exact-size copy, so reading one byte too far is caught. */
	char *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	if (vigil_cgroup_parse(copy, size, &info) != 0)
		abort();
	check_output(&info);
	free(copy);
	return 0;
}
