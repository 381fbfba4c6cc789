/*
 * schema.c - every field of an event, defined once.
 *
 * The tree below is the single definition of field names, types and where
 * each value lives in struct vigil_event.  vigil_fields() flattens it into
 * the registry the rule language uses; codec_encode.c and codec_decode.c
 * walk it to encode and decode JSON and msgpack.  Objects flagged VIGIL_FIELD_DERIVED are views
 * for rules only (exec.*, open.file.*, process.parent.*, container.*): they
 * name data that is encoded elsewhere.
 */
#include "config.h"

#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>

#include "schema.h"
#include "util.h"

#define EV(t) VIGIL_EVBIT(VIGIL_EV_##t)

#define FILE_EVENTS                                                            \
	(EV(OPEN) | EV(CREATE) | EV(MODIFY) | EV(UNLINK) | EV(RENAME) |        \
	 EV(CHMOD) | EV(CHOWN) | EV(SETXATTR) | EV(REMOVEXATTR) | EV(LINK) |   \
	 EV(SYMLINK) | EV(UTIMES) | EV(MKDIR) | EV(RMDIR))

#define KERNEL_EVENTS                                                          \
	(EV(PTRACE) | EV(PROCESS_VM_WRITEV) | EV(LOAD_MODULE) |                \
	 EV(UNLOAD_MODULE) | EV(SETNS) | EV(UNSHARE) | EV(MOUNT) |             \
	 EV(UMOUNT) | EV(PIVOT_ROOT) | EV(CHROOT) | EV(BPF) |                  \
	 EV(PERF_EVENT_OPEN) | EV(KEXEC_LOAD) | EV(MEMFD_CREATE) |             \
	 EV(CAPSET) | EV(SETUID) | EV(SETGID) | EV(OPEN_BY_HANDLE_AT) |        \
	 EV(PERSONALITY) | EV(KEYCTL) | EV(KILL))

/* ---- constants ---- */

#define C(x) { #x, (int64_t)(x) }
static const struct vigil_constant ptrace_consts[] = {
	C(PTRACE_TRACEME),   C(PTRACE_PEEKTEXT), C(PTRACE_PEEKDATA),
	C(PTRACE_PEEKUSER),  C(PTRACE_POKETEXT), C(PTRACE_POKEDATA),
	C(PTRACE_POKEUSER),  C(PTRACE_CONT),	 C(PTRACE_KILL),
	C(PTRACE_SINGLESTEP), C(PTRACE_GETREGS), C(PTRACE_SETREGS),
	C(PTRACE_ATTACH),    C(PTRACE_DETACH),	 C(PTRACE_SYSCALL),
	C(PTRACE_SETOPTIONS), C(PTRACE_GETEVENTMSG), C(PTRACE_GETSIGINFO),
	C(PTRACE_SETSIGINFO), C(PTRACE_GETREGSET), C(PTRACE_SETREGSET),
	C(PTRACE_SEIZE),     C(PTRACE_INTERRUPT), C(PTRACE_LISTEN),
	{ NULL, 0 },
};

static const struct vigil_constant clone_consts[] = {
	C(CLONE_NEWNS),	 C(CLONE_NEWUTS), C(CLONE_NEWIPC),
	C(CLONE_NEWUSER), C(CLONE_NEWPID), C(CLONE_NEWNET),
	C(CLONE_NEWCGROUP), C(CLONE_FILES), C(CLONE_FS),
	C(CLONE_SYSVSEM),
#ifdef CLONE_NEWTIME
	C(CLONE_NEWTIME),
#endif
	{ NULL, 0 },
};

static const struct vigil_constant open_consts[] = {
	C(O_RDONLY), C(O_WRONLY),    C(O_RDWR),	    C(O_CREAT),
	C(O_EXCL),   C(O_NOCTTY),    C(O_TRUNC),    C(O_APPEND),
	C(O_NONBLOCK), C(O_DSYNC),   C(O_SYNC),	    C(O_DIRECTORY),
	C(O_NOFOLLOW), C(O_CLOEXEC), C(O_PATH),	    C(O_TMPFILE),
	C(O_DIRECT), C(O_NOATIME),   C(O_LARGEFILE),
	{ NULL, 0 },
};

/* Capability sets are bitmasks: CAP_X stands for the bit 1 << CAP_X. */
#define CB(x) { #x, (int64_t)(UINT64_C(1) << (x)) }
static const struct vigil_constant cap_consts[] = {
	CB(CAP_CHOWN),	    CB(CAP_DAC_OVERRIDE), CB(CAP_DAC_READ_SEARCH),
	CB(CAP_FOWNER),	    CB(CAP_FSETID),	  CB(CAP_KILL),
	CB(CAP_SETGID),	    CB(CAP_SETUID),	  CB(CAP_SETPCAP),
	CB(CAP_LINUX_IMMUTABLE), CB(CAP_NET_BIND_SERVICE),
	CB(CAP_NET_BROADCAST), CB(CAP_NET_ADMIN),  CB(CAP_NET_RAW),
	CB(CAP_IPC_LOCK),   CB(CAP_IPC_OWNER),	  CB(CAP_SYS_MODULE),
	CB(CAP_SYS_RAWIO),  CB(CAP_SYS_CHROOT),	  CB(CAP_SYS_PTRACE),
	CB(CAP_SYS_PACCT),  CB(CAP_SYS_ADMIN),	  CB(CAP_SYS_BOOT),
	CB(CAP_SYS_NICE),   CB(CAP_SYS_RESOURCE), CB(CAP_SYS_TIME),
	CB(CAP_SYS_TTY_CONFIG), CB(CAP_MKNOD),	  CB(CAP_LEASE),
	CB(CAP_AUDIT_WRITE), CB(CAP_AUDIT_CONTROL), CB(CAP_SETFCAP),
	CB(CAP_MAC_OVERRIDE), CB(CAP_MAC_ADMIN),  CB(CAP_SYSLOG),
	CB(CAP_WAKE_ALARM), CB(CAP_BLOCK_SUSPEND), CB(CAP_AUDIT_READ),
#ifdef CAP_PERFMON
	CB(CAP_PERFMON),    CB(CAP_BPF),	  CB(CAP_CHECKPOINT_RESTORE),
#endif
	{ NULL, 0 },
};

static const struct vigil_constant bpf_consts[] = {
	C(BPF_MAP_CREATE),	  C(BPF_MAP_LOOKUP_ELEM), C(BPF_MAP_UPDATE_ELEM),
	C(BPF_MAP_DELETE_ELEM),	  C(BPF_MAP_GET_NEXT_KEY), C(BPF_PROG_LOAD),
	C(BPF_OBJ_PIN),		  C(BPF_OBJ_GET),	  C(BPF_PROG_ATTACH),
	C(BPF_PROG_DETACH),	  C(BPF_PROG_TEST_RUN),	  C(BPF_PROG_GET_NEXT_ID),
	C(BPF_MAP_GET_NEXT_ID),	  C(BPF_PROG_GET_FD_BY_ID), C(BPF_MAP_GET_FD_BY_ID),
	C(BPF_OBJ_GET_INFO_BY_FD), C(BPF_PROG_QUERY),	  C(BPF_RAW_TRACEPOINT_OPEN),
	C(BPF_BTF_LOAD),	  C(BPF_BTF_GET_FD_BY_ID), C(BPF_TASK_FD_QUERY),
	C(BPF_MAP_LOOKUP_AND_DELETE_ELEM), C(BPF_MAP_FREEZE), C(BPF_LINK_CREATE),
	{ NULL, 0 },
};

static const struct vigil_constant signal_consts[] = {
	C(SIGHUP),  C(SIGINT),	C(SIGQUIT), C(SIGILL),	C(SIGTRAP),
	C(SIGABRT), C(SIGBUS),	C(SIGFPE),  C(SIGKILL), C(SIGUSR1),
	C(SIGSEGV), C(SIGUSR2), C(SIGPIPE), C(SIGALRM), C(SIGTERM),
	C(SIGCHLD), C(SIGCONT), C(SIGSTOP), C(SIGTSTP), C(SIGTTIN),
	C(SIGTTOU), C(SIGURG),	C(SIGXCPU), C(SIGXFSZ), C(SIGVTALRM),
	C(SIGPROF), C(SIGWINCH), C(SIGIO),  C(SIGPWR),	C(SIGSYS),
	{ NULL, 0 },
};

/* DNS RR types and classes (arpa/nameser.h), named as in zone files. */
static const struct vigil_constant dns_type_consts[] = {
	{ "A", ns_t_a },       { "NS", ns_t_ns },     { "CNAME", ns_t_cname },
	{ "SOA", ns_t_soa },   { "PTR", ns_t_ptr },   { "MX", ns_t_mx },
	{ "TXT", ns_t_txt },   { "AAAA", ns_t_aaaa }, { "SRV", ns_t_srv },
	{ "NAPTR", ns_t_naptr }, { "OPT", ns_t_opt }, { "DS", ns_t_ds },
	{ "RRSIG", ns_t_rrsig }, { "DNSKEY", ns_t_dnskey },
	{ "TLSA", ns_t_tlsa }, { "SVCB", 64 },	      { "HTTPS", 65 },
	{ "CAA", ns_t_caa },   { "AXFR", ns_t_axfr }, { "ANY", ns_t_any },
	{ NULL, 0 },
};

static const struct vigil_constant dns_class_consts[] = {
	{ "IN", ns_c_in }, { "CH", ns_c_chaos }, { "HS", ns_c_hs },
	{ "NONE", ns_c_none }, { "ANY", ns_c_any }, { NULL, 0 },
};

static const struct vigil_constant dns_rcode_consts[] = {
	{ "NOERROR", ns_r_noerror }, { "FORMERR", ns_r_formerr },
	{ "SERVFAIL", ns_r_servfail }, { "NXDOMAIN", ns_r_nxdomain },
	{ "NOTIMP", ns_r_notimpl },  { "REFUSED", ns_r_refused },
	{ NULL, 0 },
};

#undef C
#undef CB

const char *vigil_constant_name(const struct vigil_constant *c, int64_t v)
{
	for (; c && c->name; c++)
		if (c->value == v)
			return c->name;
	return NULL;
}

/* ---- custom accessors ---- */

static int get_event_type(const void *ctx, const struct vigil_event *ev,
			  uint32_t idx, struct vigil_value *out)
{
	const char *n = vigil_event_type_name(ev->type);

	if (!n || ev->type == VIGIL_EV_NONE)
		return -ENOENT;
	out->type = VIGIL_T_STR;
	out->u.s = vigil_str_c(n);
	return 0;
}

static int set_event_type(void *ctx, struct vigil_event *ev,
			  const struct vigil_value *v)
{
	int t;

	if (v->type != VIGIL_T_STR)
		return -EINVAL;
	t = vigil_event_type_from_name(v->u.s.ptr, v->u.s.len);
	if (t < 0)
		return -EINVAL;
	ev->type = (uint32_t)t;
	return 0;
}

static const char *const source_names[VIGIL_SRC__COUNT] = {
	[VIGIL_SRC_NONE] = "none",	 [VIGIL_SRC_AUDIT] = "audit",
	[VIGIL_SRC_PROC_CONNECTOR] = "proc_connector",
	[VIGIL_SRC_FANOTIFY] = "fanotify", [VIGIL_SRC_NFQUEUE] = "nfqueue",
	[VIGIL_SRC_PROCFS] = "procfs",	 [VIGIL_SRC_REPLAY] = "replay",
	[VIGIL_SRC_AGENT] = "agent",	 [VIGIL_SRC_NFLOG] = "nflog",
};

static int get_event_source(const void *ctx, const struct vigil_event *ev,
			    uint32_t idx, struct vigil_value *out)
{
	if (ev->source == VIGIL_SRC_NONE || ev->source >= VIGIL_SRC__COUNT)
		return -ENOENT;
	out->type = VIGIL_T_STR;
	out->u.s = vigil_str_c(source_names[ev->source]);
	return 0;
}

static int set_event_source(void *ctx, struct vigil_event *ev,
			    const struct vigil_value *v)
{
	if (v->type != VIGIL_T_STR)
		return -EINVAL;
	for (uint32_t i = 0; i < VIGIL_SRC__COUNT; i++) {
		if (vigil_str_eq(v->u.s, source_names[i])) {
			ev->source = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Last path component. */
static int get_file_name(const void *ctx, const struct vigil_event *ev,
			 uint32_t idx, struct vigil_value *out)
{
	const struct vigil_file *f = ctx;
	const char *p = f->path.ptr, *slash;

	if (idx || !f->path.len)
		return -ENOENT;
	slash = memrchr(p, '/', f->path.len);
	out->type = VIGIL_T_STR;
	out->u.s.ptr = slash ? slash + 1 : p;
	out->u.s.len = f->path.len - (uint32_t)(out->u.s.ptr - p);
	return 0;
}

/* Directory part of the path ("/etc" for "/etc/passwd"). */
static int get_file_dir(const void *ctx, const struct vigil_event *ev,
			uint32_t idx, struct vigil_value *out)
{
	const struct vigil_file *f = ctx;
	const char *p = f->path.ptr, *slash;

	if (idx || !f->path.len)
		return -ENOENT;
	slash = memrchr(p, '/', f->path.len);
	if (!slash)
		return -ENOENT;
	out->type = VIGIL_T_STR;
	out->u.s.ptr = p;
	out->u.s.len = slash == p ? 1 : (uint32_t)(slash - p);
	return 0;
}

static int get_file_extension(const void *ctx, const struct vigil_event *ev,
			      uint32_t idx, struct vigil_value *out)
{
	struct vigil_value name;
	const char *dot;

	if (get_file_name(ctx, ev, idx, &name))
		return -ENOENT;
	dot = memrchr(name.u.s.ptr, '.', name.u.s.len);
	if (!dot || dot == name.u.s.ptr)
		return -ENOENT;
	out->type = VIGIL_T_STR;
	out->u.s.ptr = dot + 1;
	out->u.s.len = name.u.s.len - (uint32_t)(dot + 1 - name.u.s.ptr);
	return 0;
}

/* process.args: the arguments after argv[0], joined by spaces. */
static int get_process_args(const void *ctx, const struct vigil_event *ev,
			    uint32_t idx, struct vigil_value *out)
{
	const struct vigil_process *p = ctx;
	const struct vigil_strv *a = &p->argv;

	if (idx || a->n < 2)
		return -ENOENT;
	/* Arguments sit next to each other in the arena only by accident;
	 * the join is computed into the event's arena once and cached is not
	 * possible through a const event, so it is built per call in a
	 * thread-local buffer. */
	{
		static __thread struct vigil_buf buf;

		vigil_buf_reset(&buf);
		for (uint32_t i = 1; i < a->n; i++) {
			if ((i > 1 && vigil_buf_putc(&buf, ' ')) ||
			    vigil_buf_append(&buf, a->v[i].ptr, a->v[i].len))
				return -ENOMEM;
		}
		out->type = VIGIL_T_STR;
		out->u.s.ptr = vigil_buf_cstr(&buf);
		out->u.s.len = (uint32_t)buf.len;
	}
	return 0;
}

static int get_process_argv0(const void *ctx, const struct vigil_event *ev,
			     uint32_t idx, struct vigil_value *out)
{
	const struct vigil_process *p = ctx;

	if (idx || p->argv.n == 0)
		return -ENOENT;
	out->type = VIGIL_T_STR;
	out->u.s = p->argv.v[0];
	return 0;
}

/*
 * process.args_flags: short and long flags without their dashes and
 * values: "-sV --open -p 22" gives s, V, open, p.
 */
static int get_process_args_flags(const void *ctx,
				  const struct vigil_event *ev, uint32_t idx,
				  struct vigil_value *out)
{
	const struct vigil_process *p = ctx;
	uint32_t seen = 0;

	for (uint32_t i = 1; i < p->argv.n; i++) {
		struct vigil_str a = p->argv.v[i];

		if (a.len < 2 || a.ptr[0] != '-')
			continue;
		if (a.len == 2 && a.ptr[1] == '-')
			break; /* "--" ends the options */
		if (a.ptr[1] == '-') {
			const char *eq = memchr(a.ptr, '=', a.len);

			if (seen++ == idx) {
				out->type = VIGIL_T_STR;
				out->u.s.ptr = a.ptr + 2;
				out->u.s.len = (eq ? (uint32_t)(eq - a.ptr) :
						     a.len) - 2;
				return 0;
			}
			continue;
		}
		for (uint32_t j = 1; j < a.len; j++) {
			if (seen++ == idx) {
				out->type = VIGIL_T_STR;
				out->u.s.ptr = a.ptr + j;
				out->u.s.len = 1;
				return 0;
			}
		}
	}
	return -ENOENT;
}

/*
 * process.args_options: options with their values as name=value:
 * "-p 22 --port=22 -o x" gives p=22, port=22, o=x.  Values are built in a
 * thread-local buffer valid until the next call.
 */
static int get_process_args_options(const void *ctx,
				    const struct vigil_event *ev, uint32_t idx,
				    struct vigil_value *out)
{
	static __thread struct vigil_buf buf;
	const struct vigil_process *p = ctx;
	uint32_t seen = 0;

	for (uint32_t i = 1; i < p->argv.n; i++) {
		struct vigil_str a = p->argv.v[i], name, val = { "", 0 };
		bool has_val = false;

		if (a.len < 2 || a.ptr[0] != '-')
			continue;
		if (a.len == 2 && a.ptr[1] == '-')
			break;
		if (a.ptr[1] == '-') {
			const char *eq = memchr(a.ptr, '=', a.len);

			name.ptr = a.ptr + 2;
			if (eq) {
				name.len = (uint32_t)(eq - name.ptr);
				val.ptr = eq + 1;
				val.len = a.len - (uint32_t)(eq + 1 - a.ptr);
				has_val = true;
			} else {
				name.len = a.len - 2;
			}
		} else {
			name.ptr = a.ptr + 1;
			name.len = 1;
			if (a.len > 2) {
				val.ptr = a.ptr + 2;
				val.len = a.len - 2;
				has_val = true;
			}
		}
		if (!has_val && i + 1 < p->argv.n &&
		    (p->argv.v[i + 1].len == 0 ||
		     p->argv.v[i + 1].ptr[0] != '-')) {
			val = p->argv.v[++i];
			has_val = true;
		}
		if (!has_val || seen++ != idx)
			continue;
		vigil_buf_reset(&buf);
		if (vigil_buf_append(&buf, name.ptr, name.len) ||
		    vigil_buf_putc(&buf, '=') ||
		    vigil_buf_append(&buf, val.ptr, val.len))
			return -ENOMEM;
		out->type = VIGIL_T_STR;
		out->u.s.ptr = vigil_buf_cstr(&buf);
		out->u.s.len = (uint32_t)buf.len;
		return 0;
	}
	return -ENOENT;
}

static int get_process_is_kthread(const void *ctx,
				  const struct vigil_event *ev, uint32_t idx,
				  struct vigil_value *out)
{
	const struct vigil_process *p = ctx;

	if (idx)
		return -ENOENT;
	out->type = VIGIL_T_BOOL;
	out->u.b = (p->flags & VIGIL_PROC_KTHREAD) != 0;
	return 0;
}

static int get_process_in_container(const void *ctx,
				    const struct vigil_event *ev, uint32_t idx,
				    struct vigil_value *out)
{
	const struct vigil_process *p = ctx;

	if (idx)
		return -ENOENT;
	out->type = VIGIL_T_BOOL;
	out->u.b = p->container.id.len > 0;
	return 0;
}

static int get_dns_direction(const void *ctx, const struct vigil_event *ev,
			     uint32_t idx, struct vigil_value *out)
{
	const struct vigil_dns_part *d = ctx;

	if (idx || (d->direction != VIGIL_DNS_QUERY &&
		    d->direction != VIGIL_DNS_RESPONSE))
		return -ENOENT;
	out->type = VIGIL_T_STR;
	out->u.s = vigil_str_c(d->direction == VIGIL_DNS_QUERY ? "query" :
								 "response");
	return 0;
}

static int set_dns_direction(void *ctx, struct vigil_event *ev,
			     const struct vigil_value *v)
{
	struct vigil_dns_part *d = ctx;

	if (v->type != VIGIL_T_STR)
		return -EINVAL;
	if (vigil_str_eq(v->u.s, "query"))
		d->direction = VIGIL_DNS_QUERY;
	else if (vigil_str_eq(v->u.s, "response"))
		d->direction = VIGIL_DNS_RESPONSE;
	else
		return -EINVAL;
	return 0;
}

/* dns.resolver.ip: the server side of the exchange. */
static int get_dns_resolver_ip(const void *ctx, const struct vigil_event *ev,
			       uint32_t idx, struct vigil_value *out)
{
	const struct vigil_dns_part *d = ctx;
	const struct vigil_ip *ip =
		d->direction == VIGIL_DNS_RESPONSE ? &d->src_ip : &d->dst_ip;

	if (idx || !ip->family)
		return -ENOENT;
	out->type = VIGIL_T_IP;
	out->u.ip = *ip;
	return 0;
}

static int get_dns_resolver_port(const void *ctx,
				 const struct vigil_event *ev, uint32_t idx,
				 struct vigil_value *out)
{
	const struct vigil_dns_part *d = ctx;

	if (idx || !d->src_ip.family)
		return -ENOENT;
	out->type = VIGIL_T_INT;
	out->u.i = d->direction == VIGIL_DNS_RESPONSE ? d->src_port :
							d->dst_port;
	return 0;
}

/* ---- navigation ---- */

static const void *resolve_parent(const void *ctx, const struct vigil_event *ev,
				  uint32_t idx)
{
	return ev->n_ancestors ? &ev->ancestors[0] : NULL;
}

static const void *resolve_ancestor(const void *ctx,
				    const struct vigil_event *ev, uint32_t idx)
{
	return idx < ev->n_ancestors ? &ev->ancestors[idx] : NULL;
}

static uint32_t count_ancestors(const void *ctx, const struct vigil_event *ev)
{
	return ev->n_ancestors;
}

static void *resolve_mut_ancestor(void *ctx, struct vigil_event *ev,
				  uint32_t idx, uint32_t n)
{
	if (!ev->ancestors) {
		if (!ev->arena || n == 0 || n > 4096)
			return NULL;
		ev->ancestors = vigil_arena_alloc(ev->arena,
						  n * sizeof(*ev->ancestors));
		if (!ev->ancestors)
			return NULL;
		for (uint32_t i = 0; i < n; i++)
			vigil_process_clear(&ev->ancestors[i]);
		ev->n_ancestors = n;
	}
	return idx < ev->n_ancestors ? &ev->ancestors[idx] : NULL;
}

static const void *resolve_target(const void *ctx, const struct vigil_event *ev,
				  uint32_t idx)
{
	return ev->u.kernel.target;
}

static void *resolve_mut_target(void *ctx, struct vigil_event *ev,
				uint32_t idx, uint32_t n)
{
	if (!ev->u.kernel.target && ev->arena) {
		ev->u.kernel.target = vigil_arena_alloc(
			ev->arena, sizeof(*ev->u.kernel.target));
		if (ev->u.kernel.target)
			vigil_process_clear(ev->u.kernel.target);
	}
	return ev->u.kernel.target;
}

static const void *resolve_process(const void *ctx,
				   const struct vigil_event *ev, uint32_t idx)
{
	return &ev->process;
}

static const void *resolve_container(const void *ctx,
				     const struct vigil_event *ev, uint32_t idx)
{
	return &ev->process.container;
}

/* ---- the tree ---- */

#define LEAF(n, st, vt, off, fl, d)                                            \
	{ .name = n, .kind = VIGIL_SN_LEAF, .store = st, .vtype = vt,          \
	  .offset = off, .flags = fl, .doc = d }
#define LEAFC(n, st, off, consts, d)                                           \
	{ .name = n, .kind = VIGIL_SN_LEAF, .store = st, .vtype = VIGIL_T_INT, \
	  .offset = off, .flags = VIGIL_FIELD_CONST, .constants = consts,      \
	  .doc = d }
#define CUSTOM(n, vt, fl, g, s, d)                                             \
	{ .name = n, .kind = VIGIL_SN_LEAF, .store = VIGIL_ST_CUSTOM,          \
	  .vtype = vt, .flags = fl, .get = g, .set = s, .doc = d }
#define OBJ(n, off, kids, ev, fl, d)                                           \
	{ .name = n, .kind = VIGIL_SN_OBJ, .offset = off, .children = kids,    \
	  .n_children = VIGIL_ARRAY_SIZE(kids), .events = ev, .flags = fl,     \
	  .doc = d }
#define OBJR(n, res, resm, kids, ev, fl, d)                                    \
	{ .name = n, .kind = VIGIL_SN_OBJ, .resolve = res,                     \
	  .resolve_mut = resm, .children = kids,                               \
	  .n_children = VIGIL_ARRAY_SIZE(kids), .events = ev, .flags = fl,     \
	  .doc = d }

#define OF(type, m) offsetof(type, m)
#define FO(m) OF(struct vigil_file, m)
#define PO(m) OF(struct vigil_process, m)
#define KO(m) OF(struct vigil_kernel_part, m)
#define DO(m) OF(struct vigil_dns_part, m)

#define FILE_LEAVES                                                            \
	LEAF("path", VIGIL_ST_STR, VIGIL_T_STR, FO(path), VIGIL_FIELD_PATH,    \
	     "absolute path"),                                                 \
	CUSTOM("name", VIGIL_T_STR, VIGIL_FIELD_DERIVED, get_file_name, NULL,  \
	       "last path component"),                                         \
	CUSTOM("dir", VIGIL_T_STR, VIGIL_FIELD_DERIVED | VIGIL_FIELD_PATH,     \
	       get_file_dir, NULL, "directory holding the file"),              \
	CUSTOM("extension", VIGIL_T_STR, VIGIL_FIELD_DERIVED,                  \
	       get_file_extension, NULL, "text after the last dot of the name"),\
	LEAF("inode", VIGIL_ST_I64Z, VIGIL_T_INT, FO(inode), 0, "inode"),      \
	LEAF("dev", VIGIL_ST_I64Z, VIGIL_T_INT, FO(dev), 0, "device number"),  \
	LEAF("mode", VIGIL_ST_U32Z, VIGIL_T_INT, FO(mode), 0,                   \
	     "st_mode: type and permission bits"),                             \
	LEAF("uid", VIGIL_ST_ID, VIGIL_T_INT, FO(uid), 0, "owner uid"),        \
	LEAF("gid", VIGIL_ST_ID, VIGIL_T_INT, FO(gid), 0, "owner gid"),        \
	LEAF("user", VIGIL_ST_STR, VIGIL_T_STR, FO(user), 0, "owner name"),    \
	LEAF("group", VIGIL_ST_STR, VIGIL_T_STR, FO(group), 0, "group name"),  \
	LEAF("size", VIGIL_ST_I64N, VIGIL_T_INT, FO(size), 0, "size in bytes"),\
	LEAF("modification_time", VIGIL_ST_I64Z, VIGIL_T_TIME, FO(mtime_ns),   \
	     0, "mtime"),                                                      \
	LEAF("hashes", VIGIL_ST_STR1, VIGIL_T_STR, FO(hash), VIGIL_FIELD_LIST, \
	     "content hashes after the change (sha256:hex)"),                  \
	LEAF("previous_hashes", VIGIL_ST_STR1, VIGIL_T_STR, FO(prev_hash),     \
	     VIGIL_FIELD_LIST, "content hashes before the change"),            \
	LEAF("previous_size", VIGIL_ST_I64N, VIGIL_T_INT, FO(prev_size), 0,    \
	     "size before the change")

static const struct vigil_schema_node file_nodes[] = { FILE_LEAVES };

/* The file of a file event: file.* plus the part's own members. */
static const struct vigil_schema_node file_part_nodes[] = {
	FILE_LEAVES,
	OBJ("destination", OF(struct vigil_file_part, destination), file_nodes,
	    0, 0, "new name (rename, link), new mode (chmod), new owner (chown)"),
	LEAF("xattr_name", VIGIL_ST_STR, VIGIL_T_STR,
	     OF(struct vigil_file_part, xattr_name), 0,
	     "extended attribute name (setxattr, removexattr)"),
	LEAFC("flags", VIGIL_ST_U32Z, OF(struct vigil_file_part, open_flags),
	      open_consts, "open(2) flags"),
	LEAF("package_manager", VIGIL_ST_BOOL, VIGIL_T_BOOL,
	     OF(struct vigil_file_part, package_manager), 0,
	     "made by a package manager (dpkg, rpm, apt, yum, dnf) or its child"),
	LEAF("package_manager_name", VIGIL_ST_STR, VIGIL_T_STR,
	     OF(struct vigil_file_part, package_manager_name), 0,
	     "which package manager"),
	LEAF("link_target", VIGIL_ST_STR, VIGIL_T_STR,
	     OF(struct vigil_file_part, link_target), 0,
	     "where the symbolic link made or moved into place points"),
};

static const struct vigil_schema_node container_nodes[] = {
	LEAF("id", VIGIL_ST_STR, VIGIL_T_STR, OF(struct vigil_container, id), 0,
	     "container id, from the cgroup path"),
	LEAF("runtime", VIGIL_ST_STR, VIGIL_T_STR,
	     OF(struct vigil_container, runtime), 0,
	     "docker, containerd, cri-o, podman"),
	LEAF("pod_uid", VIGIL_ST_STR, VIGIL_T_STR,
	     OF(struct vigil_container, pod_uid), 0, "Kubernetes pod uid"),
};

#define PROCESS_LEAVES                                                         \
	LEAF("pid", VIGIL_ST_I32, VIGIL_T_INT, PO(pid), 0, "process id"),      \
	LEAF("ppid", VIGIL_ST_I32, VIGIL_T_INT, PO(ppid), 0, "parent pid"),    \
	LEAF("tid", VIGIL_ST_I32, VIGIL_T_INT, PO(tid), 0, "thread id"),       \
	LEAF("uid", VIGIL_ST_ID, VIGIL_T_INT, PO(uid), 0, "real uid"),         \
	LEAF("gid", VIGIL_ST_ID, VIGIL_T_INT, PO(gid), 0, "real gid"),         \
	LEAF("euid", VIGIL_ST_ID, VIGIL_T_INT, PO(euid), 0, "effective uid"),  \
	LEAF("egid", VIGIL_ST_ID, VIGIL_T_INT, PO(egid), 0, "effective gid"),  \
	LEAF("suid", VIGIL_ST_ID, VIGIL_T_INT, PO(suid), 0, "saved uid"),      \
	LEAF("sgid", VIGIL_ST_ID, VIGIL_T_INT, PO(sgid), 0, "saved gid"),      \
	LEAF("fsuid", VIGIL_ST_ID, VIGIL_T_INT, PO(fsuid), 0, "filesystem uid"),\
	LEAF("fsgid", VIGIL_ST_ID, VIGIL_T_INT, PO(fsgid), 0, "filesystem gid"),\
	LEAF("auid", VIGIL_ST_ID, VIGIL_T_INT, PO(auid), 0,                    \
	     "login uid (absent when unset)"),                                 \
	LEAF("session_id", VIGIL_ST_ID, VIGIL_T_INT, PO(session_id), 0,        \
	     "audit session id"),                                              \
	LEAF("user", VIGIL_ST_STR, VIGIL_T_STR, PO(user), 0, "name of uid"),   \
	LEAF("group", VIGIL_ST_STR, VIGIL_T_STR, PO(group), 0, "name of gid"), \
	LEAF("comm", VIGIL_ST_STR, VIGIL_T_STR, PO(comm), 0,                   \
	     "command name (16 bytes at most)"),                               \
	LEAF("tty_name", VIGIL_ST_STR, VIGIL_T_STR, PO(tty), 0,                \
	     "controlling terminal"),                                          \
	LEAF("cwd", VIGIL_ST_STR, VIGIL_T_STR, PO(cwd), VIGIL_FIELD_PATH,      \
	     "working directory"),                                             \
	LEAF("unit", VIGIL_ST_STR, VIGIL_T_STR, PO(unit), 0, "systemd unit"),  \
	OBJ("file", PO(file), file_nodes, 0, 0, "the executable"),             \
	LEAF("argv", VIGIL_ST_STRV, VIGIL_T_STR, PO(argv), VIGIL_FIELD_LIST,   \
	     "arguments, argv[0] first"),                                      \
	CUSTOM("argv0", VIGIL_T_STR, VIGIL_FIELD_DERIVED, get_process_argv0,   \
	       NULL, "argv[0]"),                                               \
	CUSTOM("args", VIGIL_T_STR, VIGIL_FIELD_DERIVED, get_process_args,     \
	       NULL, "arguments after argv[0], joined by spaces"),             \
	CUSTOM("args_flags", VIGIL_T_STR,                                      \
	       VIGIL_FIELD_DERIVED | VIGIL_FIELD_LIST, get_process_args_flags, \
	       NULL, "flags without dashes: -sV gives s and V"),               \
	CUSTOM("args_options", VIGIL_T_STR,                                    \
	       VIGIL_FIELD_DERIVED | VIGIL_FIELD_LIST,                         \
	       get_process_args_options, NULL,                                 \
	       "options with values: -p 22 gives p=22"),                       \
	CUSTOM("is_kthread", VIGIL_T_BOOL, VIGIL_FIELD_DERIVED,                \
	       get_process_is_kthread, NULL, "a kernel thread"),               \
	CUSTOM("is_container", VIGIL_T_BOOL, VIGIL_FIELD_DERIVED,              \
	       get_process_in_container, NULL, "runs in a container"),         \
	LEAF("created_at", VIGIL_ST_I64Z, VIGIL_T_TIME, PO(start_time_ns), 0,  \
	     "start time"),                                                    \
	OBJ("container", PO(container), container_nodes, 0, 0,                \
	    "container of the process")

static const struct vigil_schema_node process_basic_nodes[] = {
	PROCESS_LEAVES,
};

static const struct vigil_schema_node process_nodes[] = {
	PROCESS_LEAVES,
	OBJR("parent", resolve_parent, NULL, process_basic_nodes, 0,
	     VIGIL_FIELD_DERIVED, "the parent (process.ancestors[0])"),
	{ .name = "ancestors",
	  .kind = VIGIL_SN_ARRAY,
	  .resolve = resolve_ancestor,
	  .resolve_mut = resolve_mut_ancestor,
	  .count = count_ancestors,
	  .children = process_basic_nodes,
	  .n_children = VIGIL_ARRAY_SIZE(process_basic_nodes),
	  .doc = "parent, grandparent, ... up to the oldest known" },
};

static const struct vigil_schema_node event_nodes[] = {
	CUSTOM("type", VIGIL_T_STR, 0, get_event_type, set_event_type,
	       "event type: exec, open, dns, ptrace ..."),
	LEAF("time", VIGIL_ST_I64Z, VIGIL_T_TIME,
	     OF(struct vigil_event, time_ns), 0, "when it happened"),
	CUSTOM("source", VIGIL_T_STR, 0, get_event_source, set_event_source,
	       "audit, fanotify, nfqueue, proc_connector ..."),
	LEAF("seq", VIGIL_ST_I64Z, VIGIL_T_INT, OF(struct vigil_event, seq), 0,
	     "sequence number of the source (audit serial)"),
	LEAF("id", VIGIL_ST_I64Z, VIGIL_T_INT, OF(struct vigil_event, id), 0,
	     "agent-wide event number"),
	LEAF("host", VIGIL_ST_STR, VIGIL_T_STR, OF(struct vigil_event, host), 0,
	     "host name"),
};

/* Kernel events: the syscall behind every one of them. */
static const struct vigil_schema_node syscall_nodes[] = {
	LEAF("nr", VIGIL_ST_I32, VIGIL_T_INT, KO(syscall_nr), 0,
	     "syscall number"),
	LEAF("name", VIGIL_ST_STR, VIGIL_T_STR, KO(syscall_name), 0,
	     "syscall name"),
	LEAF("arch", VIGIL_ST_U32, VIGIL_T_INT, KO(arch), 0, "AUDIT_ARCH_*"),
	LEAF("retval", VIGIL_ST_I64, VIGIL_T_INT, KO(retval), 0,
	     "return value (negative errno on failure)"),
	LEAF("args", VIGIL_ST_ARGS4, VIGIL_T_INT, KO(args), VIGIL_FIELD_LIST,
	     "a0..a3 as the kernel reported them"),
};

static const struct vigil_schema_node target_obj[] = {
	OBJR("target", resolve_target, resolve_mut_target, process_basic_nodes,
	     0, 0, "the target process"),
};

static const struct vigil_schema_node ptrace_nodes[] = {
	LEAFC("request", VIGIL_ST_U64, KO(request), ptrace_consts,
	      "PTRACE_* request"),
	OBJR("tracee", resolve_target, resolve_mut_target, process_basic_nodes,
	     0, 0, "the traced process"),
};

static const struct vigil_schema_node module_file_nodes[] = {
	LEAF("path", VIGIL_ST_STR, VIGIL_T_STR, 0, VIGIL_FIELD_PATH,
	     "file the module was loaded from (finit_module)"),
};

static const struct vigil_schema_node load_module_nodes[] = {
	LEAF("name", VIGIL_ST_STR, VIGIL_T_STR, KO(name), 0, "module name"),
	OBJ("file", KO(path), module_file_nodes, 0, 0, "module file"),
};

static const struct vigil_schema_node unload_module_nodes[] = {
	LEAF("name", VIGIL_ST_STR, VIGIL_T_STR, KO(name), 0, "module name"),
};

static const struct vigil_schema_node ns_flags_nodes[] = {
	LEAFC("flags", VIGIL_ST_U64, KO(request), clone_consts,
	      "CLONE_NEW* namespace flags"),
};

static const struct vigil_schema_node path_leaf[] = {
	LEAF("path", VIGIL_ST_STR, VIGIL_T_STR, 0, VIGIL_FIELD_PATH, "path"),
};

static const struct vigil_schema_node mount_nodes[] = {
	OBJ("source", KO(source), path_leaf, 0, 0, "mounted device or path"),
	OBJ("mountpoint", KO(path), path_leaf, 0, 0, "where it is mounted"),
	LEAF("fs_type", VIGIL_ST_STR, VIGIL_T_STR, KO(fs_type), 0,
	     "filesystem type"),
};

static const struct vigil_schema_node umount_nodes[] = {
	OBJ("mountpoint", KO(path), path_leaf, 0, 0, "unmounted path"),
};

static const struct vigil_schema_node pivot_root_nodes[] = {
	OBJ("new_root", KO(path), path_leaf, 0, 0, "new root"),
	OBJ("put_old", KO(source), path_leaf, 0, 0, "where the old root goes"),
};

static const struct vigil_schema_node chroot_nodes[] = {
	OBJ("file", KO(path), path_leaf, 0, 0, "new root directory"),
};

static const struct vigil_schema_node bpf_nodes[] = {
	LEAFC("cmd", VIGIL_ST_U64, KO(request), bpf_consts, "BPF_* command"),
};

static const struct vigil_schema_node memfd_nodes[] = {
	LEAF("name", VIGIL_ST_STR, VIGIL_T_STR, KO(name), 0, "memfd name"),
};

static const struct vigil_schema_node capset_nodes[] = {
	LEAFC("cap_effective", VIGIL_ST_U64, KO(cap_effective), cap_consts,
	      "new effective set"),
	LEAFC("cap_permitted", VIGIL_ST_U64, KO(cap_permitted), cap_consts,
	      "new permitted set"),
	LEAFC("cap_inheritable", VIGIL_ST_U64, KO(cap_inheritable), cap_consts,
	      "new inheritable set"),
};

static const struct vigil_schema_node setuid_nodes[] = {
	LEAF("uid", VIGIL_ST_ID, VIGIL_T_INT, KO(new_uid), 0, "new uid"),
	LEAF("euid", VIGIL_ST_ID, VIGIL_T_INT, KO(new_euid), 0, "new euid"),
	LEAF("fsuid", VIGIL_ST_ID, VIGIL_T_INT, KO(new_fsuid), 0, "new fsuid"),
};

static const struct vigil_schema_node setgid_nodes[] = {
	LEAF("gid", VIGIL_ST_ID, VIGIL_T_INT, KO(new_gid), 0, "new gid"),
	LEAF("egid", VIGIL_ST_ID, VIGIL_T_INT, KO(new_egid), 0, "new egid"),
	LEAF("fsgid", VIGIL_ST_ID, VIGIL_T_INT, KO(new_fsgid), 0, "new fsgid"),
};

static const struct vigil_schema_node personality_nodes[] = {
	LEAF("persona", VIGIL_ST_U64, VIGIL_T_INT, KO(request), 0,
	     "requested execution domain"),
};

static const struct vigil_schema_node keyctl_nodes[] = {
	LEAF("operation", VIGIL_ST_U64, VIGIL_T_INT, KO(request), 0,
	     "KEYCTL_* operation"),
};

/* "kill", not SECL's "signal": the top-level "signal" member of the
 * encoded form is the alert a rule raised. */
static const struct vigil_schema_node kill_nodes[] = {
	LEAFC("signal", VIGIL_ST_U64, KO(request), signal_consts,
	      "signal number (SIGKILL ...)"),
	OBJR("target", resolve_target, resolve_mut_target, process_basic_nodes,
	     0, 0, "the signalled process"),
};

static const struct vigil_schema_node dns_question_nodes[] = {
	LEAF("name", VIGIL_ST_STR, VIGIL_T_STR, DO(qname), VIGIL_FIELD_NOCASE,
	     "queried name, lower-cased"),
	LEAFC("type", VIGIL_ST_U16, DO(qtype), dns_type_consts,
	      "query type (A, AAAA, TXT ...)"),
	LEAFC("class", VIGIL_ST_U16, DO(qclass), dns_class_consts,
	      "query class"),
	LEAF("count", VIGIL_ST_U16, VIGIL_T_INT, DO(question_count), 0,
	     "questions in the packet"),
};

static const struct vigil_schema_node dns_response_nodes[] = {
	LEAFC("code", VIGIL_ST_U8, DO(rcode), dns_rcode_consts,
	      "response code (NOERROR, NXDOMAIN ...)"),
	LEAF("answer_count", VIGIL_ST_U16, VIGIL_T_INT, DO(answer_count), 0,
	     "answers in the packet"),
	LEAF("truncated", VIGIL_ST_U8, VIGIL_T_INT, DO(truncated), 0,
	     "TC bit"),
};

static const struct vigil_schema_node dns_resolver_nodes[] = {
	CUSTOM("ip", VIGIL_T_IP, VIGIL_FIELD_DERIVED, get_dns_resolver_ip, NULL,
	       "address of the DNS server"),
	CUSTOM("port", VIGIL_T_INT, VIGIL_FIELD_DERIVED, get_dns_resolver_port,
	       NULL, "port of the DNS server"),
};

static const struct vigil_schema_node dns_nodes[] = {
	LEAF("id", VIGIL_ST_U16, VIGIL_T_INT, DO(id), 0, "transaction id"),
	CUSTOM("direction", VIGIL_T_STR, 0, get_dns_direction,
	       set_dns_direction, "query or response"),
	OBJ("question", 0, dns_question_nodes, 0, 0, "the question"),
	OBJ("response", 0, dns_response_nodes, 0, 0, "the response"),
	LEAF("answers", VIGIL_ST_STRV, VIGIL_T_STR, DO(answers),
	     VIGIL_FIELD_LIST, "answers as \"TYPE data\""),
	OBJ("resolver", 0, dns_resolver_nodes, 0, VIGIL_FIELD_DERIVED,
	    "the server side"),
	LEAF("latency", VIGIL_ST_I64N, VIGIL_T_DURATION, DO(latency_ns), 0,
	     "time from query to answer"),
};

static const struct vigil_schema_node endpoint_src_nodes[] = {
	LEAF("ip", VIGIL_ST_IP, VIGIL_T_IP, DO(src_ip), 0, "source address"),
	LEAF("port", VIGIL_ST_U16, VIGIL_T_INT, DO(src_port), 0,
	     "source port"),
};

static const struct vigil_schema_node endpoint_dst_nodes[] = {
	LEAF("ip", VIGIL_ST_IP, VIGIL_T_IP, DO(dst_ip), 0,
	     "destination address"),
	LEAF("port", VIGIL_ST_U16, VIGIL_T_INT, DO(dst_port), 0,
	     "destination port"),
};

static const struct vigil_schema_node network_nodes[] = {
	OBJ("source", 0, endpoint_src_nodes, 0, 0, "source"),
	OBJ("destination", 0, endpoint_dst_nodes, 0, 0, "destination"),
	LEAF("l4_protocol", VIGIL_ST_U8, VIGIL_T_INT, DO(transport), 0,
	     "IPPROTO_UDP (17) or IPPROTO_TCP (6)"),
};

static const struct vigil_schema_node agent_nodes[] = {
	LEAF("kind", VIGIL_ST_STR, VIGIL_T_STR,
	     OF(struct vigil_agent_part, kind), 0,
	     "audit_lost, audit_rules_flushed, fanotify_overflow ..."),
	LEAF("subsystem", VIGIL_ST_STR, VIGIL_T_STR,
	     OF(struct vigil_agent_part, subsystem), 0,
	     "audit, fanotify, nfqueue ..."),
	LEAF("detail", VIGIL_ST_STR, VIGIL_T_STR,
	     OF(struct vigil_agent_part, detail), 0, "what happened"),
	LEAF("count", VIGIL_ST_I64, VIGIL_T_INT,
	     OF(struct vigil_agent_part, count), 0,
	     "how many (events lost, rules re-installed ...)"),
};

#define U OF(struct vigil_event, u)
/* rule-language views of file events: open.file.path and so on */
#define FILE_VIEW(n, t)                                                        \
	OBJ(n, U, file_part_view, EV(t), VIGIL_FIELD_DERIVED,                  \
	    "the " n " event's file")

static const struct vigil_schema_node file_part_view[] = {
	OBJ("file", 0, file_part_nodes, 0, 0, "the file"),
};

const struct vigil_schema_node vigil_schema_root[] = {
	OBJ("event", 0, event_nodes, 0, 0, "event header"),
	OBJ("process", OF(struct vigil_event, process), process_nodes, 0, 0,
	    "the process that caused the event"),
	OBJR("exec", resolve_process, NULL, process_basic_nodes, EV(EXEC),
	     VIGIL_FIELD_DERIVED, "the executed program (same as process)"),
	OBJR("exit", resolve_process, NULL, process_basic_nodes, EV(EXIT),
	     VIGIL_FIELD_DERIVED, "the exiting process (same as process)"),
	OBJR("container", resolve_container, NULL, container_nodes, 0,
	     VIGIL_FIELD_DERIVED, "container of the process"),
	OBJ("file", U, file_part_nodes, FILE_EVENTS, 0, "file of file events"),
	FILE_VIEW("open", OPEN),
	FILE_VIEW("create", CREATE),
	FILE_VIEW("modify", MODIFY),
	FILE_VIEW("unlink", UNLINK),
	FILE_VIEW("rename", RENAME),
	FILE_VIEW("chmod", CHMOD),
	FILE_VIEW("chown", CHOWN),
	FILE_VIEW("setxattr", SETXATTR),
	FILE_VIEW("removexattr", REMOVEXATTR),
	FILE_VIEW("link", LINK),
	FILE_VIEW("symlink", SYMLINK),
	FILE_VIEW("utimes", UTIMES),
	FILE_VIEW("mkdir", MKDIR),
	FILE_VIEW("rmdir", RMDIR),
	OBJ("dns", U, dns_nodes, EV(DNS), 0, "DNS query or response"),
	OBJ("network", U, network_nodes, EV(DNS), 0, "addresses and ports"),
	OBJ("syscall", U, syscall_nodes, KERNEL_EVENTS, 0,
	    "the syscall behind a kernel event"),
	OBJ("ptrace", U, ptrace_nodes, EV(PTRACE), 0, "ptrace(2)"),
	OBJ("process_vm_writev", U, target_obj, EV(PROCESS_VM_WRITEV), 0,
	    "process_vm_writev(2)"),
	OBJ("load_module", U, load_module_nodes, EV(LOAD_MODULE), 0,
	    "init_module(2), finit_module(2)"),
	OBJ("unload_module", U, unload_module_nodes, EV(UNLOAD_MODULE), 0,
	    "delete_module(2)"),
	OBJ("setns", U, ns_flags_nodes, EV(SETNS), 0, "setns(2)"),
	OBJ("unshare", U, ns_flags_nodes, EV(UNSHARE), 0, "unshare(2)"),
	OBJ("mount", U, mount_nodes, EV(MOUNT), 0, "mount(2)"),
	OBJ("umount", U, umount_nodes, EV(UMOUNT), 0, "umount2(2)"),
	OBJ("pivot_root", U, pivot_root_nodes, EV(PIVOT_ROOT), 0,
	    "pivot_root(2)"),
	OBJ("chroot", U, chroot_nodes, EV(CHROOT), 0, "chroot(2)"),
	OBJ("bpf", U, bpf_nodes, EV(BPF), 0, "bpf(2)"),
	OBJ("memfd_create", U, memfd_nodes, EV(MEMFD_CREATE), 0,
	    "memfd_create(2)"),
	OBJ("capset", U, capset_nodes, EV(CAPSET), 0, "capset(2)"),
	OBJ("setuid", U, setuid_nodes, EV(SETUID), 0, "setuid(2) family"),
	OBJ("setgid", U, setgid_nodes, EV(SETGID), 0, "setgid(2) family"),
	OBJ("personality", U, personality_nodes, EV(PERSONALITY), 0,
	    "personality(2)"),
	OBJ("keyctl", U, keyctl_nodes, EV(KEYCTL), 0, "keyctl(2)"),
	OBJ("kill", U, kill_nodes, EV(KILL), 0, "kill(2), tkill(2), tgkill(2)"),
	OBJ("agent", U, agent_nodes, EV(AGENT), 0,
	    "vigil's own health and tampering events"),
};
const size_t vigil_schema_root_count = VIGIL_ARRAY_SIZE(vigil_schema_root);

/* ---- access ---- */

const void *vigil_schema_child(const struct vigil_schema_node *n,
			       const void *ctx, const struct vigil_event *ev,
			       uint32_t idx)
{
	if (n->events && !(n->events & VIGIL_EVBIT(ev->type)))
		return NULL;
	if (n->resolve)
		return n->resolve(ctx, ev, idx);
	return (const char *)ctx + n->offset;
}

/*
 * Whether an integer leaf read as v holds a value: the stores named ..Z
 * (and I32) use 0 for "absent", I64N a negative number, ID
 * VIGIL_ID_UNSET; the others are always present.
 */
static bool int_present(int store, int64_t v)
{
	switch (store) {
	case VIGIL_ST_I32:
	case VIGIL_ST_U32Z:
	case VIGIL_ST_I64Z:
		return v != 0;
	case VIGIL_ST_I64N:
		return v >= 0;
	case VIGIL_ST_ID:
		return v != VIGIL_ID_UNSET;
	default:
		return true;
	}
}

int vigil_schema_leaf_get(const struct vigil_schema_node *n, const void *ctx,
			  const struct vigil_event *ev, uint32_t idx,
			  struct vigil_value *out)
{
	const void *p;

	if (n->events && !(n->events & VIGIL_EVBIT(ev->type)))
		return -ENOENT;
	if (n->store == VIGIL_ST_CUSTOM)
		return n->get(ctx, ev, idx, out);
	p = (const char *)ctx + n->offset;
	out->type = n->vtype;
	if (n->store == VIGIL_ST_STRV) {
		const struct vigil_strv *v = p;

		if (idx >= v->n)
			return -ENOENT;
		out->u.s = v->v[idx];
		return 0;
	}
	if (n->store == VIGIL_ST_STR1) {
		out->u.s = *(const struct vigil_str *)p;
		return idx == 0 && out->u.s.len ? 0 : -ENOENT;
	}
	if (n->store == VIGIL_ST_ARGS4) {
		if (idx >= 4)
			return -ENOENT;
		out->u.i = (int64_t)((const uint64_t *)p)[idx];
		return 0;
	}
	if (idx)
		return -ENOENT;
	switch (n->store) {
	case VIGIL_ST_STR:
		out->u.s = *(const struct vigil_str *)p;
		return out->u.s.len ? 0 : -ENOENT;
	case VIGIL_ST_BOOL:
		out->u.b = *(const bool *)p;
		return 0;
	case VIGIL_ST_IP:
		out->u.ip = *(const struct vigil_ip *)p;
		return out->u.ip.family ? 0 : -ENOENT;
	case VIGIL_ST_I32:
		out->u.i = *(const int32_t *)p;
		break;
	case VIGIL_ST_ID:
	case VIGIL_ST_U32:
	case VIGIL_ST_U32Z:
		out->u.i = *(const uint32_t *)p;
		break;
	case VIGIL_ST_U16:
		out->u.i = *(const uint16_t *)p;
		break;
	case VIGIL_ST_U8:
		out->u.i = *(const uint8_t *)p;
		break;
	case VIGIL_ST_I64:
	case VIGIL_ST_I64Z:
	case VIGIL_ST_I64N:
		out->u.i = *(const int64_t *)p;
		break;
	case VIGIL_ST_U64:
		out->u.i = (int64_t) * (const uint64_t *)p;
		break;
	default:
		return -ENOENT;
	}
	return int_present(n->store, out->u.i) ? 0 : -ENOENT;
}

/*
 * The registry's accessor: walks the schema path stored in f->priv.  For
 * fields under process.ancestors, idx picks the ancestor; for list leaves
 * it picks the element.
 */
static int field_get(const struct vigil_field *f, const struct vigil_event *ev,
		     uint32_t idx, struct vigil_value *out)
{
	const void *ctx = ev;
	size_t i;

	for (i = 0; i + 1 < VIGIL_ARRAY_SIZE(f->priv) && f->priv[i + 1]; i++) {
		const struct vigil_schema_node *n = f->priv[i];

		if (n->kind == VIGIL_SN_ARRAY) {
			if (n->events && !(n->events & VIGIL_EVBIT(ev->type)))
				return -ENOENT;
			if (idx >= n->count(ctx, ev))
				return -ENOENT;
			ctx = n->resolve(ctx, ev, idx);
			idx = 0;
			if (!ctx)
				return -ENOENT;
			continue;
		}
		ctx = vigil_schema_child(n, ctx, ev, 0);
		if (!ctx)
			return -ENOENT;
	}
	{
		int rc = vigil_schema_leaf_get(f->priv[i], ctx, ev, idx, out);

		if (rc == -ENOENT && (f->flags & VIGIL_FIELD_ITER))
			return -ENODATA; /* this ancestor lacks it */
		return rc;
	}
}

static struct vigil_field_table table;
static struct vigil_field *fields_buf;
static char *names_buf;
static pthread_once_t fields_once = PTHREAD_ONCE_INIT;

struct build {
	const struct vigil_schema_node *path[10];
	size_t depth;
	uint64_t events;
	uint32_t flags;
	size_t count;
	size_t name_bytes;
	bool emit;
	size_t names_used;
};

static void build_walk(struct build *b, const struct vigil_schema_node *nodes,
		       size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct vigil_schema_node *sn = &nodes[i];
		uint64_t saved_events = b->events;
		uint32_t saved_flags = b->flags;

		if (b->depth >= VIGIL_ARRAY_SIZE(b->path) - 1)
			continue;
		b->path[b->depth++] = sn;
		if (sn->events)
			b->events = b->events ? (b->events & sn->events) :
						sn->events;
		if (sn->kind == VIGIL_SN_ARRAY)
			b->flags |= VIGIL_FIELD_ITER;
		if (sn->kind != VIGIL_SN_LEAF) {
			build_walk(b, sn->children, sn->n_children);
		} else if (!((b->flags & VIGIL_FIELD_ITER) &&
			     (sn->flags & VIGIL_FIELD_LIST))) {
			/* a list under an iteration would be two-dimensional:
			 * not offered to rules (process.ancestors.argv). */
			size_t len = 0;

			for (size_t d = 0; d < b->depth; d++)
				len += strlen(b->path[d]->name) + 1;
			if (b->emit) {
				struct vigil_field *f = &fields_buf[b->count];
				char *name = names_buf + b->names_used;

				name[0] = '\0';
				for (size_t d = 0; d < b->depth; d++) {
					if (d)
						strcat(name, ".");
					strcat(name, b->path[d]->name);
				}
				f->name = name;
				f->type = sn->vtype;
				f->flags = sn->flags | b->flags;
				f->events = b->events;
				f->get = field_get;
				f->doc = sn->doc;
				f->constants = sn->constants;
				for (size_t d = 0; d < b->depth; d++)
					f->priv[d] = b->path[d];
			}
			b->count++;
			b->names_used += len;
		}
		b->depth--;
		b->events = saved_events;
		b->flags = saved_flags;
	}
}

static void build_fields(void)
{
	struct build b;

	memset(&b, 0, sizeof(b));
	build_walk(&b, vigil_schema_root, vigil_schema_root_count);
	fields_buf = calloc(b.count, sizeof(*fields_buf));
	names_buf = calloc(1, b.names_used + 1);
	if (!fields_buf || !names_buf)
		abort(); /* at start-up, before anything runs */
	memset(&b, 0, sizeof(b));
	b.emit = true;
	build_walk(&b, vigil_schema_root, vigil_schema_root_count);
	table.fields = fields_buf;
	table.count = b.count;
}

const struct vigil_field_table *vigil_fields(void)
{
	pthread_once(&fields_once, build_fields);
	return &table;
}

const struct vigil_field *vigil_field_find(const char *name, size_t len)
{
	const struct vigil_field_table *t = vigil_fields();

	for (size_t i = 0; i < t->count; i++)
		if (strncmp(t->fields[i].name, name, len) == 0 &&
		    t->fields[i].name[len] == '\0')
			return &t->fields[i];
	return NULL;
}
