/*
 * test_cgroup_parse.c - container id, runtime, pod uid and systemd unit from
 * real-world /proc/PID/cgroup texts of each runtime, and hostile ones.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proc/cgroup.h"

#define ID_A "4c0f5d0bd5a3e8e4e3a3c9c50cbf0b2f0a7b1e7c27d2d5c8a3f6e9d1b2c3d4e5"
#define ID_B "9b1e8f7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f"
#define POD "0f1d2c3b-4a59-4687-9a8b-7c6d5e4f3a2b"
#define POD_ "0f1d2c3b_4a59_4687_9a8b_7c6d5e4f3a2b"

struct cgroup_case {
	const char *name;
	const char *text;
	const char *id;      /* "" for none */
	const char *runtime; /* NULL for none */
	const char *pod;
	const char *unit;
};

static const struct cgroup_case cases[] = {
	/* ---- hosts ---- */
	{ "v2 system service", "0::/system.slice/ssh.service\n", "", NULL, "",
	  "ssh.service" },
	{ "v2 pid 1", "0::/init.scope\n", "", NULL, "", "init.scope" },
	{ "v2 root (kernel thread)", "0::/\n", "", NULL, "", "" },
	{ "v2 login session",
	  "0::/user.slice/user-1000.slice/session-3.scope\n", "", NULL, "",
	  "session-3.scope" },
	{ "v2 user unit under user@.service",
	  "0::/user.slice/user-1000.slice/user@1000.service/app.slice/"
	  "app-org.gnome.Terminal.slice/vte-spawn-1a2b.scope\n",
	  "", NULL, "", "vte-spawn-1a2b.scope" },
	{ "v2 user service",
	  "0::/user.slice/user-1000.slice/user@1000.service/session.slice/"
	  "pipewire.service\n",
	  "", NULL, "", "pipewire.service" },
	{ "v2 escaped unit name",
	  "0::/system.slice/system-getty.slice/getty@tty1.service\n", "", NULL,
	  "", "getty@tty1.service" },
	{ "v1 (CentOS 7) service: name=systemd line gives the unit",
	  "11:cpuset:/\n10:memory:/system.slice\n"
	  "4:cpu,cpuacct:/system.slice\n"
	  "1:name=systemd:/system.slice/sshd.service\n",
	  "", NULL, "", "sshd.service" },
	{ "hybrid v1+v2", "12:pids:/system.slice/cron.service\n"
			  "1:name=systemd:/system.slice/cron.service\n"
			  "0::/system.slice/cron.service\n",
	  "", NULL, "", "cron.service" },

	/* ---- docker ---- */
	{ "docker v1 cgroupfs", "12:pids:/docker/" ID_A "\n"
				"11:cpu,cpuacct:/docker/" ID_A "\n"
				"1:name=systemd:/docker/" ID_A "\n",
	  ID_A, "docker", "", "" },
	{ "docker v2 systemd driver", "0::/system.slice/docker-" ID_A ".scope\n",
	  ID_A, "docker", "", "docker-" ID_A ".scope" },
	{ "docker v2 cgroupfs driver", "0::/docker/" ID_A "\n", ID_A, "docker",
	  "", "" },
	{ "docker in docker: the innermost container",
	  "0::/docker/" ID_A "/docker/" ID_B "\n", ID_B, "docker", "", "" },

	/* ---- containerd / Kubernetes ---- */
	{ "k8s containerd v2 systemd driver",
	  "0::/kubepods.slice/kubepods-burstable.slice/"
	  "kubepods-burstable-pod" POD_ ".slice/cri-containerd-" ID_A
	  ".scope\n",
	  ID_A, "containerd", POD, "cri-containerd-" ID_A ".scope" },
	{ "k8s guaranteed pod (no qos slice)",
	  "0::/kubepods.slice/kubepods-pod" POD_ ".slice/cri-containerd-" ID_B
	  ".scope\n",
	  ID_B, "containerd", POD, "cri-containerd-" ID_B ".scope" },
	{ "k8s v1 cgroupfs driver",
	  "12:memory:/kubepods/besteffort/pod" POD "/" ID_A "\n"
	  "1:name=systemd:/kubepods/besteffort/pod" POD "/" ID_A "\n",
	  ID_A, "containerd", POD, "" },
	{ "k8s v1 colon form from a controller systemd did not convert",
	  "5:devices:/system.slice/containerd.service/kubepods-besteffort-pod"
	  POD_ ".slice:cri-containerd:" ID_A "\n",
	  ID_A, "containerd", POD, "containerd.service" },
	{ "k8s pause sandbox on docker (dockershim)",
	  "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
	  POD_ ".slice/docker-" ID_A ".scope\n",
	  ID_A, "docker", POD, "docker-" ID_A ".scope" },
	{ "static pod uid is a 32-digit hash",
	  "0::/kubepods/burstable/pod6b0cf2b7c2d06eb4b69c6f4fa0b2f4a2/" ID_A "\n",
	  ID_A, "containerd", "6b0cf2b7c2d06eb4b69c6f4fa0b2f4a2", "" },

	/* ---- CRI-O ---- */
	{ "cri-o v2", "0::/kubepods.slice/kubepods-burstable.slice/"
		      "kubepods-burstable-pod" POD_ ".slice/crio-" ID_A ".scope\n",
	  ID_A, "cri-o", POD, "crio-" ID_A ".scope" },
	{ "cri-o conmon is not the container",
	  "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
	  POD_ ".slice/crio-conmon-" ID_A ".scope\n",
	  "", NULL, POD, "crio-conmon-" ID_A ".scope" },

	/* ---- podman ---- */
	{ "podman rootful", "0::/machine.slice/libpod-" ID_A ".scope\n", ID_A,
	  "podman", "", "libpod-" ID_A ".scope" },
	{ "podman rootless: container sub-cgroup",
	  "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-"
	  ID_B ".scope/container\n",
	  ID_B, "podman", "", "libpod-" ID_B ".scope" },
	{ "podman cgroupfs manager", "0::/libpod_parent/libpod-" ID_A "\n", ID_A,
	  "podman", "", "" },
	{ "podman conmon is not the container",
	  "0::/machine.slice/libpod-conmon-" ID_A ".scope\n", "", NULL, "",
	  "libpod-conmon-" ID_A ".scope" },

	/* ---- hostile and malformed ---- */
	{ "empty text", "", "", NULL, "", "" },
	{ "no colons", "garbage without structure\n", "", NULL, "", "" },
	{ "one colon", "0:/docker/" ID_A "\n", "", NULL, "", "" },
	{ "relative path", "0::docker/" ID_A "\n", "", NULL, "", "" },
	{ "short id", "0::/docker/4c0f5d0bd5a3\n", "", NULL, "", "" },
	{ "id too long",
	  "0::/docker/" ID_A "00\n", "", NULL, "", "" },
	{ "upper-case hex is not an id",
	  "0::/docker/4C0F5D0BD5A3E8E4E3A3C9C50CBF0B2F0A7B1E7C27D2D5C8A3F6E9D1B2C3D4E5\n",
	  "", NULL, "", "" },
	{ "non-hex in the id",
	  "0::/system.slice/docker-4c0f5d0bd5a3e8e4e3a3c9c50cbf0b2f0a7b1e7c27d2d5c8a3f6e9d1b2c3d4eg.scope\n",
	  "", NULL, "",
	  "docker-4c0f5d0bd5a3e8e4e3a3c9c50cbf0b2f0a7b1e7c27d2d5c8a3f6e9d1b2c3d4eg.scope" },
	{ "docker-compose.scope is not a container",
	  "0::/user.slice/docker-compose.scope\n", "", NULL, "",
	  "docker-compose.scope" },
	{ "bare id under an unknown parent",
	  "0::/system.slice/foo/" ID_A "\n", "", NULL, "", "" },
	{ "unit name with a space is refused",
	  "0::/system.slice/evil name.service\n", "", NULL, "", "" },
	{ "malformed pod uid",
	  "0::/kubepods/besteffort/pod0f1d2c3b-4a59-4687-9a8b-7c6d5e4f3a2/" ID_A
	  "\n",
	  ID_A, "containerd", "", "" },
	{ "pod uid with mixed separators",
	  "0::/kubepods.slice/kubepods-pod0f1d2c3b_4a59-4687_9a8b_7c6d5e4f3a2b.slice/"
	  "cri-containerd-" ID_A ".scope\n",
	  ID_A, "containerd", "", "cri-containerd-" ID_A ".scope" },
	{ "pod outside kubepods is not a pod", "0::/pod" POD "/x\n", "", NULL,
	  "", "" },
	{ "the systemd line wins over a v1 controller",
	  "12:pids:/docker/" ID_A "\n1:name=systemd:/docker/" ID_B "\n", ID_B,
	  "docker", "", "" },
	{ "no trailing newline", "0::/system.slice/docker-" ID_A ".scope", ID_A,
	  "docker", "", "docker-" ID_A ".scope" },
	{ "blank lines and slashes",
	  "\n\n0::///system.slice//docker-" ID_A ".scope//\n\n", ID_A, "docker",
	  "", "docker-" ID_A ".scope" },
	{ "path with colons",
	  "0::/a:b:c/docker/" ID_A "\n", ID_A, "docker", "", "" },
};

/* Returns 1 (and prints what it got) when case c does not hold. */
static int check_case(const struct cgroup_case *c, const char *text,
		      size_t len)
{
	struct vigil_cgroup_info info;

	if (vigil_cgroup_parse(text, len, &info) != 0) {
		print_error("%s: parse failed\n", c->name);
		return 1;
	}
	if (strcmp(info.container_id, c->id) != 0 ||
	    strcmp(info.pod_uid, c->pod) != 0 ||
	    strcmp(info.unit, c->unit) != 0 ||
	    (c->runtime == NULL) != (info.runtime == NULL) ||
	    (c->runtime && strcmp(c->runtime, info.runtime) != 0))
	{
		print_error("%s: got id '%s' runtime '%s' pod '%s' unit '%s'\n",
			    c->name, info.container_id,
			    info.runtime ? info.runtime : "(none)",
			    info.pod_uid, info.unit);
		return 1;
	}
	return 0;
}

static void test_cgroup_extracts_container_pod_and_unit(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		failed += check_case(&cases[i], cases[i].text,
				     strlen(cases[i].text));
	assert_int_equal(failed, 0);
}

/* The text need not be NUL-terminated: parse from an exact-size heap copy
 * so that ASan catches any read past the end. */
static void test_cgroup_reads_only_len_bytes(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].text);
		char *copy = malloc(len ? len : 1);

		assert_non_null(copy);
		memcpy(copy, cases[i].text, len);
		failed += check_case(&cases[i], copy, len);
		free(copy);
	}
	assert_int_equal(failed, 0);
}

/* Every prefix of a docker line parses without crashing, and only the
 * complete id is taken. */
static void test_cgroup_truncated_lines_never_yield_partial_ids(void **state)
{
	const char *text = "0::/system.slice/docker-" ID_A ".scope\n";
	size_t len = strlen(text);
	struct vigil_cgroup_info info;

	(void)state;
	for (size_t n = 0; n <= len; n++) {
		char *copy = malloc(n ? n : 1);

		assert_non_null(copy);
		memcpy(copy, text, n);
		assert_int_equal(vigil_cgroup_parse(copy, n, &info), 0);
		if (info.container_id[0])
			assert_string_equal(info.container_id, ID_A);
		free(copy);
	}
}

static void test_cgroup_embedded_nul_and_huge_line(void **state)
{
	static const char nul_text[] = "0::/docker/\0" ID_A "\n";
	struct vigil_cgroup_info info;
	size_t big = 1 << 20;
	char *text = malloc(big);

	(void)state;
	assert_int_equal(vigil_cgroup_parse(nul_text, sizeof(nul_text) - 1,
					    &info), 0);
	assert_string_equal(info.container_id, "");

	/* A megabyte-long unit name is refused, not truncated. */
	assert_non_null(text);
	memcpy(text, "0::/", 4);
	memset(text + 4, 'a', big - 4);
	memcpy(text + big - 8, ".service", 8);
	assert_int_equal(vigil_cgroup_parse(text, big, &info), 0);
	assert_string_equal(info.unit, "");
	free(text);
}

static void test_cgroup_rejects_null_arguments(void **state)
{
	struct vigil_cgroup_info info;

	(void)state;
	assert_int_equal(vigil_cgroup_parse(NULL, 0, &info), -EINVAL);
	assert_int_equal(vigil_cgroup_parse("", 0, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cgroup_extracts_container_pod_and_unit),
		cmocka_unit_test(test_cgroup_reads_only_len_bytes),
		cmocka_unit_test(
			test_cgroup_truncated_lines_never_yield_partial_ids),
		cmocka_unit_test(test_cgroup_embedded_nul_and_huge_line),
		cmocka_unit_test(test_cgroup_rejects_null_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
