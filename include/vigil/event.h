/*
 * vigil/event.h - the normalized event every source produces and every
 * engine and sink consumes.
 *
 * An event is a common header (type, time, host, sequence), the context of
 * the process that caused it, its ancestors, and a union of typed parts per
 * event kind.  Strings are (pointer, length) pairs that point into the
 * event's arena or into the process table; they are valid for the duration
 * of the callback that receives the event.  A consumer that keeps anything
 * past the callback copies it (or encodes the event to msgpack).
 *
 * The field registry (vigil/fields.h) names every member the rule language
 * and the encoders can see; this header is the storage behind it.  This
 * layout is part of the plugin ABI: changing it bumps VIGIL_PLUGIN_ABI_MAJOR.
 */
#ifndef VIGIL_EVENT_H
#define VIGIL_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Event types.  X(ENUM, "name", kind).  The names are the rule language's
 * event types, in the style of Datadog's SECL.  New types are appended, so
 * the numbers stay stable on the wire.
 */
#define VIGIL_EVENT_TYPES(X)                                                   \
	X(NONE, "none", VIGIL_KIND_NONE)                                       \
	X(EXEC, "exec", VIGIL_KIND_PROCESS)                                    \
	X(EXIT, "exit", VIGIL_KIND_PROCESS)                                    \
	X(FORK, "fork", VIGIL_KIND_PROCESS)                                    \
	X(OPEN, "open", VIGIL_KIND_FILE)                                       \
	X(CREATE, "create", VIGIL_KIND_FILE)                                   \
	X(MODIFY, "modify", VIGIL_KIND_FILE)                                   \
	X(UNLINK, "unlink", VIGIL_KIND_FILE)                                   \
	X(RENAME, "rename", VIGIL_KIND_FILE)                                   \
	X(CHMOD, "chmod", VIGIL_KIND_FILE)                                     \
	X(CHOWN, "chown", VIGIL_KIND_FILE)                                     \
	X(SETXATTR, "setxattr", VIGIL_KIND_FILE)                               \
	X(REMOVEXATTR, "removexattr", VIGIL_KIND_FILE)                         \
	X(LINK, "link", VIGIL_KIND_FILE)                                       \
	X(SYMLINK, "symlink", VIGIL_KIND_FILE)                                 \
	X(UTIMES, "utimes", VIGIL_KIND_FILE)                                   \
	X(MKDIR, "mkdir", VIGIL_KIND_FILE)                                     \
	X(RMDIR, "rmdir", VIGIL_KIND_FILE)                                     \
	X(DNS, "dns", VIGIL_KIND_DNS)                                          \
	X(PTRACE, "ptrace", VIGIL_KIND_KERNEL)                                 \
	X(PROCESS_VM_WRITEV, "process_vm_writev", VIGIL_KIND_KERNEL)           \
	X(LOAD_MODULE, "load_module", VIGIL_KIND_KERNEL)                       \
	X(UNLOAD_MODULE, "unload_module", VIGIL_KIND_KERNEL)                   \
	X(SETNS, "setns", VIGIL_KIND_KERNEL)                                   \
	X(UNSHARE, "unshare", VIGIL_KIND_KERNEL)                               \
	X(MOUNT, "mount", VIGIL_KIND_KERNEL)                                   \
	X(UMOUNT, "umount", VIGIL_KIND_KERNEL)                                 \
	X(PIVOT_ROOT, "pivot_root", VIGIL_KIND_KERNEL)                         \
	X(CHROOT, "chroot", VIGIL_KIND_KERNEL)                                 \
	X(BPF, "bpf", VIGIL_KIND_KERNEL)                                       \
	X(PERF_EVENT_OPEN, "perf_event_open", VIGIL_KIND_KERNEL)               \
	X(KEXEC_LOAD, "kexec_load", VIGIL_KIND_KERNEL)                         \
	X(MEMFD_CREATE, "memfd_create", VIGIL_KIND_KERNEL)                     \
	X(CAPSET, "capset", VIGIL_KIND_KERNEL)                                 \
	X(SETUID, "setuid", VIGIL_KIND_KERNEL)                                 \
	X(SETGID, "setgid", VIGIL_KIND_KERNEL)                                 \
	X(OPEN_BY_HANDLE_AT, "open_by_handle_at", VIGIL_KIND_KERNEL)           \
	X(PERSONALITY, "personality", VIGIL_KIND_KERNEL)                       \
	X(KEYCTL, "keyctl", VIGIL_KIND_KERNEL)                                 \
	X(KILL, "kill", VIGIL_KIND_KERNEL)                                 \
	X(AGENT, "agent", VIGIL_KIND_AGENT)

enum vigil_event_kind {
	VIGIL_KIND_NONE = 0,
	VIGIL_KIND_PROCESS,
	VIGIL_KIND_FILE,
	VIGIL_KIND_DNS,
	VIGIL_KIND_KERNEL,
	VIGIL_KIND_AGENT,
};

enum vigil_event_type {
#define VIGIL__EV_ENUM(e, name, kind) VIGIL_EV_##e,
	VIGIL_EVENT_TYPES(VIGIL__EV_ENUM)
#undef VIGIL__EV_ENUM
	VIGIL_EV__COUNT
};

/* Bit for an event type in a 64-bit event mask (fields, rule indexes). */
#define VIGIL_EVBIT(t) (UINT64_C(1) << (t))

/* Where an event came from. */
enum vigil_event_source {
	VIGIL_SRC_NONE = 0,
	VIGIL_SRC_AUDIT,
	VIGIL_SRC_PROC_CONNECTOR,
	VIGIL_SRC_FANOTIFY,
	VIGIL_SRC_NFQUEUE,
	VIGIL_SRC_PROCFS,
	VIGIL_SRC_REPLAY,
	VIGIL_SRC_AGENT,
	VIGIL_SRC_NFLOG, /* appended: the values above are ABI */
	VIGIL_SRC__COUNT
};

/* A string: not necessarily NUL-terminated, may hold any byte. */
struct vigil_str {
	const char *ptr;
	uint32_t len;
};

/* A list of strings (argv, DNS answers, tags). */
struct vigil_strv {
	struct vigil_str *v;
	uint32_t n;
};

/* An IPv4 or IPv6 address; family is AF_INET, AF_INET6 or 0 (none). */
struct vigil_ip {
	uint8_t family;
	uint8_t addr[16];
};

/* Unset marker for uid/gid-like ids (the kernel's (uid_t)-1). */
#define VIGIL_ID_UNSET UINT32_MAX

enum vigil_file_flags {
	VIGIL_FILE_HAS_STAT = 1u << 0,     /* inode..mtime_ns are set */
	VIGIL_FILE_HASH_SKIPPED = 1u << 1, /* over the size limit */
};

struct vigil_file {
	struct vigil_str path;
	struct vigil_str user;  /* owner name, when resolved */
	struct vigil_str group; /* group name, when resolved */
	uint64_t inode;
	uint64_t dev;
	int64_t size;
	int64_t mtime_ns;
	uint32_t mode; /* st_mode: type and permission bits */
	uint32_t uid;  /* VIGIL_ID_UNSET if unknown */
	uint32_t gid;
	uint32_t flags; /* enum vigil_file_flags */
	/* "sha256:<64 hex digits>" after and before the change; empty if
	 * not hashed (see flags for why). */
	struct vigil_str hash;
	struct vigil_str prev_hash;
	int64_t prev_size; /* -1 if unknown */
};

struct vigil_container {
	struct vigil_str id;
	struct vigil_str runtime; /* docker, containerd, cri-o, podman, ... */
	struct vigil_str pod_uid; /* Kubernetes pod uid */
};

enum vigil_process_flags {
	VIGIL_PROC_KTHREAD = 1u << 0,
	VIGIL_PROC_FROM_PROCFS = 1u << 1, /* filled from /proc, not an event */
	VIGIL_PROC_EXITED = 1u << 2,
	VIGIL_PROC_ARGV_TRUNCATED = 1u << 3, /* argv cut to the table's bound */
};

/* The context of one process, as of the event. */
struct vigil_process {
	int32_t pid;
	int32_t ppid;
	int32_t tid;
	uint32_t uid, gid, euid, egid, suid, sgid, fsuid, fsgid;
	uint32_t auid;       /* VIGIL_ID_UNSET when the login uid is unset */
	uint32_t session_id; /* audit session; VIGIL_ID_UNSET when unset */
	uint32_t flags;      /* enum vigil_process_flags */
	struct vigil_str user;  /* name of uid */
	struct vigil_str group; /* name of gid */
	struct vigil_str comm;
	struct vigil_str tty;
	struct vigil_str cwd;
	struct vigil_str unit; /* systemd unit, from the cgroup path */
	struct vigil_file file; /* the executable */
	struct vigil_strv argv;
	int64_t start_time_ns; /* wall clock, ns since the epoch; 0 unknown */
	struct vigil_container container;
};

/*
 * Part of file events.  file must stay the first member: the schema reads
 * file.* and the part's own members relative to the same address.
 * destination is the new name of rename/link/symlink, the new mode of chmod
 * (destination.mode) and the new owner of chown (destination.uid/gid).
 */
struct vigil_file_part {
	struct vigil_file file;
	struct vigil_file destination;
	struct vigil_str xattr_name; /* setxattr/removexattr */
	uint32_t open_flags;         /* open(2) flags where known */
	uint32_t reserved0;
	bool package_manager;        /* done by dpkg/rpm/apt/yum/dnf or a child */
	struct vigil_str package_manager_name; /* "dpkg", "rpm", ... */
	/* What the symbolic link the event made or moved into place points
	 * to (symlink; create or rename of a symlink); empty otherwise. */
	struct vigil_str link_target;
};

enum vigil_dns_direction {
	VIGIL_DNS_QUERY = 1,
	VIGIL_DNS_RESPONSE = 2,
};

/* Part of DNS events. */
struct vigil_dns_part {
	uint16_t id;
	uint16_t qtype;  /* DNS RR type (ns_t_*) */
	uint16_t qclass; /* ns_c_* */
	uint8_t rcode;
	uint8_t direction; /* enum vigil_dns_direction */
	uint16_t question_count;
	uint16_t answer_count;
	uint8_t truncated;
	uint8_t transport; /* IPPROTO_UDP or IPPROTO_TCP */
	struct vigil_str qname; /* lower-cased, without the final dot */
	struct vigil_strv answers; /* "A 192.0.2.1", "CNAME x.example" ... */
	struct vigil_ip src_ip, dst_ip;
	uint16_t src_port, dst_port;
	int64_t latency_ns; /* query-to-answer, on responses; -1 unknown */
};

/*
 * Part of kernel-activity events.  One layout serves every syscall event:
 * the registry maps SECL-style names (ptrace.request, load_module.name,
 * mount.mountpoint.path ...) onto these members per event type.
 */
struct vigil_kernel_part {
	int32_t syscall_nr;
	int32_t arch;       /* AUDIT_ARCH_* */
	int64_t retval;
	uint64_t args[4];   /* a0..a3 as the kernel reported them */
	uint64_t request;   /* ptrace request, bpf cmd, unshare/setns flags,
			     * personality, keyctl op, signal number */
	/* ptrace tracee, process_vm_writev/kill target: at least its pid,
	 * with its context when the process table knows it; or NULL. */
	struct vigil_process *target;
	struct vigil_str syscall_name; /* "ptrace", from the arch's table */
	struct vigil_str name;   /* module name, memfd name */
	struct vigil_str path;   /* mount target, chroot/pivot_root new root,
				  * finit_module file */
	struct vigil_str source; /* mount source, pivot_root put_old */
	struct vigil_str fs_type;
	uint32_t new_uid, new_euid, new_fsuid; /* setuid family */
	uint32_t new_gid, new_egid, new_fsgid; /* setgid family */
	uint64_t cap_effective, cap_permitted, cap_inheritable; /* capset */
};

/* Part of agent (health and tampering) events. */
struct vigil_agent_part {
	struct vigil_str kind;   /* "audit_lost", "audit_rules_flushed" ... */
	struct vigil_str detail; /* one human sentence */
	struct vigil_str subsystem; /* "audit", "fanotify", "nfqueue", ... */
	int64_t count;           /* events lost, rules re-installed, ... */
};

struct vigil_arena;

/* Room for the largest of the parts above, now and to come. */
#define VIGIL_EVENT_PART_SIZE 512

struct vigil_event {
	uint32_t type;   /* enum vigil_event_type */
	uint32_t source; /* enum vigil_event_source */
	int64_t time_ns; /* wall clock, ns since the epoch */
	uint64_t seq;    /* per-source sequence (audit serial, ...) */
	uint64_t id;     /* agent-wide event number */
	struct vigil_str host;
	struct vigil_process process;
	/* ancestors[0] is the parent; ordered up to the oldest known. */
	struct vigil_process *ancestors;
	uint32_t n_ancestors;
	uint32_t reserved0;
	union {
		struct vigil_file_part file;
		struct vigil_dns_part dns;
		struct vigil_kernel_part kernel;
		struct vigil_agent_part agent;
		/* Fixes the union's size, so that a part can grow (fields
		 * are appended) without moving what follows (the ABI). */
		unsigned char reserved_size[VIGIL_EVENT_PART_SIZE];
	} u;
	/* Storage for the strings above; owned by whoever built the event. */
	struct vigil_arena *arena;
	void *reserved[4];
};

#ifndef __cplusplus
_Static_assert(sizeof(((struct vigil_event *)0)->u) == VIGIL_EVENT_PART_SIZE,
	       "a part of struct vigil_event outgrew VIGIL_EVENT_PART_SIZE");
#endif

/* Severity of a signal, from the rule. */
enum vigil_severity {
	VIGIL_SEV_INFO = 0,
	VIGIL_SEV_LOW,
	VIGIL_SEV_MEDIUM,
	VIGIL_SEV_HIGH,
	VIGIL_SEV_CRITICAL,
	VIGIL_SEV__COUNT
};

/*
 * A signal: a rule matched an event.  The strings belong to the engine that
 * raised it and are valid for the duration of the callback.
 */
struct vigil_signal {
	uint32_t struct_size; /* sizeof(struct vigil_signal) of the producer */
	uint32_t severity;    /* enum vigil_severity */
	const char *rule_id;
	const char *title;
	const char *remediation;
	const char *const *tags;
	uint32_t n_tags;
	uint32_t suppressed; /* matches suppressed by rate control since the
			      * last delivered signal of this rule and key */
	const char *engine;  /* name of the engine that raised it */
	union {
		uint32_t actions;       /* VIGIL_ACTION_* asked by the rule */
		void *reserved_actions; /* keeps the slot pointer-sized */
	};
	void *reserved[3];
};

/*
 * Actions a rule may attach to its signal.  A source that holds an event
 * (the DNS source in block mode) reads them back from the pipeline; other
 * sources ignore them.  Producers built before the field existed passed a
 * zeroed reserved slot, that is no action.
 */
#define VIGIL_ACTION_DENY (1u << 0) /* refuse what the event asks (dns) */

#ifndef __cplusplus
/* actions took the first of four reserved pointers: the size and every
 * offset stay those of ABI 1 (88 bytes on LP64, 52 on ILP32). */
_Static_assert(offsetof(struct vigil_signal, reserved) ==
		       offsetof(struct vigil_signal, engine) +
			       2 * sizeof(void *),
	       "vigil_signal.reserved moved");
_Static_assert(sizeof(struct vigil_signal) ==
		       offsetof(struct vigil_signal, engine) +
			       5 * sizeof(void *),
	       "struct vigil_signal changed size");
#endif

#ifdef __cplusplus
}
#endif
#endif /* VIGIL_EVENT_H */
