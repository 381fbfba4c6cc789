/*
 * firewall.c - install and remove vigil's DNS capture rules (firewall.h).
 *
 * nftables: one script replaces `table inet vigil` in a single transaction
 * ("table" creates it if missing, "delete table" drops it, the definition
 * recreates it), so the rules exist exactly once whatever a killed vigild
 * left behind.  iptables: stale jumps to VIGIL-DNS are deleted one by one
 * (a jump counts as vigil's only because it targets vigil's own chain),
 * the chain is flushed and deleted, then created again; the same for
 * ip6tables when it works.  No other table, chain or rule is read or
 * changed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "source.h"
#include "dns/firewall.h"

/* iptables -D removes one rule per call; more stale jumps than this
 * means something else keeps adding them. */
#define FW_MAX_STALE_JUMPS 64
#define FW_QUEUE_NUM_LEN 8
#define FW_ACTION_LEN 96
#define FW_EXIT_NOT_RUN 127 /* shell convention: command not found */

/* The backends one can ask for, by name; anything else is "none". */
static const char *const backend_names[] = {
	[VIGIL_FW_AUTO] = "auto",
	[VIGIL_FW_NFTABLES] = "nftables",
	[VIGIL_FW_IPTABLES] = "iptables",
};

int vigil_firewall_backend_from_name(const char *name)
{
	for (size_t b = 0; b < VIGIL_ARRAY_SIZE(backend_names); b++)
		if (!strcmp(name, backend_names[b]))
			return (int)b;
	return -EINVAL;
}

const char *vigil_firewall_backend_name(int backend)
{
	if (backend < 0 || backend >= (int)VIGIL_ARRAY_SIZE(backend_names))
		return "none";
	return backend_names[backend];
}

/*
 * Where the firewall tools are looked for, in this order.  vigild's own
 * PATH is not used: it comes from whoever started the daemon, and a
 * directory on it that someone else can write would let them run code as
 * root with CAP_NET_ADMIN.
 */
static const char *const tool_dirs[] = { "/usr/sbin", "/sbin", "/usr/bin",
					 "/bin" };

/* The whole environment the tools get: none of vigild's (LD_PRELOAD,
 * XTABLES_LIBDIR and the like would change what they load), a PATH for
 * what they run themselves and messages in English for the status. */
static char *const tool_env[] = {
	(char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
	(char *)"LC_ALL=C",
	NULL,
};

int vigil__firewall_tool_path(const char *name, char *out, size_t size)
{
	size_t i;
	int n;

	if (strchr(name, '/'))
		return -EINVAL;
	for (i = 0; i < VIGIL_ARRAY_SIZE(tool_dirs); i++) {
		n = snprintf(out, size, "%s/%s", tool_dirs[i], name);
		if (n < 0 || (size_t)n >= size)
			return -ENAMETOOLONG;
		if (access(out, X_OK) == 0)
			return 0;
	}
	out[0] = '\0';
	return -ENOENT;
}

int vigil__firewall_run(char *const argv[], char *msg, size_t msg_len)
{
	posix_spawn_file_actions_t fa;
	char out[512], path[64];
	size_t got = 0;
	int pipefd[2], status, rc;
	pid_t pid;
	ssize_t n;

	msg[0] = '\0';
	rc = vigil__firewall_tool_path(argv[0], path, sizeof(path));
	if (rc)
		return rc;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	rc = posix_spawn_file_actions_init(&fa);
	if (rc)
		goto out_close_pipe;
	rc = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
					      O_RDONLY, 0);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, pipefd[1],
						      STDOUT_FILENO);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, pipefd[1],
						      STDERR_FILENO);
	if (!rc)
		rc = posix_spawn(&pid, path, &fa, NULL, argv, tool_env);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		goto out_close_pipe;
	close(pipefd[1]);
	pipefd[1] = -1;
	while ((n = read(pipefd[0], out + got, sizeof(out) - 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		got += (size_t)n;
		if (got == sizeof(out) - 1) {
			/* Drain the rest so the child never blocks. */
			char sink[512];

			while ((n = read(pipefd[0], sink, sizeof(sink))) > 0 ||
			       (n < 0 && errno == EINTR))
				;
			break;
		}
	}
	out[got] = '\0';
	got = strcspn(out, "\n");
	if (got >= msg_len)
		got = msg_len - 1;
	memcpy(msg, out, got);
	msg[got] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			rc = errno;
			goto out_close_pipe;
		}
	close(pipefd[0]);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return FW_EXIT_NOT_RUN;

out_close_pipe:
	close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	return -rc;
}

/* What an nft rule does with a DNS packet: "queue num 53 bypass" or
 * "log group 53 snaplen 4096 queue-threshold 64". */
static void nft_action(const struct vigil_firewall *fw, char *out, size_t size)
{
	if (fw->target == VIGIL_FW_TARGET_NFLOG)
		snprintf(out, size, "log group %u snaplen %u queue-threshold %u",
			 fw->queue_num, fw->snaplen, fw->threshold);
	else
		snprintf(out, size, "queue num %u bypass", fw->queue_num);
}

/* Appends one base chain of the script: DNS both ways over UDP and TCP
 * goes to action a; skip_lo is a rule to put first, or "".  Returns 0 or
 * -ENOMEM. */
static int nft_chain(struct vigil_buf *out, const char *name,
		     const char *hook, const char *skip_lo, const char *a)
{
	const char *p = VIGIL_FW_DNS_PORT;

	return vigil_buf_printf(
		out,
		"\tchain %s {\n"
		"\t\ttype filter hook %s priority filter; policy accept;\n"
		"%s"
		"\t\tudp dport %s %s\n"
		"\t\tudp sport %s %s\n"
		"\t\ttcp dport %s %s\n"
		"\t\ttcp sport %s %s\n"
		"\t}\n",
		name, hook, skip_lo, p, a, p, a, p, a, p, a);
}

int vigil_firewall_nft_script(const struct vigil_firewall *fw,
			      struct vigil_buf *out)
{
	const char *t = VIGIL_FW_NFT_FAMILY " " VIGIL_FW_NFT_TABLE;
	bool nflog = fw->target == VIGIL_FW_TARGET_NFLOG;
	char a[FW_ACTION_LEN];

	nft_action(fw, a, sizeof(a));
	/* Loopback packets are taken in one hook only: OUTPUT for NFQUEUE,
	 * INPUT (where the kernel stamps the time) for NFLOG. */
	if (vigil_buf_printf(out, "table %s\ndelete table %s\ntable %s {\n",
			     t, t, t) ||
	    nft_chain(out, "dns_out", "output",
		      nflog ? "\t\toif lo return\n" : "", a) ||
	    nft_chain(out, "dns_in", "input",
		      nflog ? "" : "\t\tiif lo return\n", a) ||
	    vigil_buf_printf(out, "}\n"))
		return -ENOMEM;
	return 0;
}

/* Runs `nft -f` on script text.  Returns vigil__firewall_run()'s
 * result. */
static int nft_apply(const char *script, char *msg, size_t msg_len)
{
	char path[] = "/tmp/vigil-nft-XXXXXX";
	char *argv[] = { (char *)"nft", (char *)"-f", path, NULL };
	size_t len = strlen(script);
	int fd, rc;

	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	if (write(fd, script, len) != (ssize_t)len) {
		rc = -EIO;
		goto out_unlink;
	}
	rc = vigil__firewall_run(argv, msg, msg_len);
out_unlink:
	close(fd);
	unlink(path);
	return rc;
}

static bool nft_usable(char *msg, size_t msg_len)
{
	char *argv[] = { (char *)"nft", (char *)"list", (char *)"tables",
			 NULL };

	return vigil__firewall_run(argv, msg, msg_len) == 0;
}

static int nft_remove(char *msg, size_t msg_len)
{
	char *argv[] = { (char *)"nft", (char *)"delete", (char *)"table",
			 (char *)VIGIL_FW_NFT_FAMILY,
			 (char *)VIGIL_FW_NFT_TABLE, NULL };

	return vigil__firewall_run(argv, msg, msg_len);
}

/* The jumps from the built-in chains into VIGIL-DNS.  NFQUEUE: OUTPUT
 * sees every locally sent packet, INPUT what other hosts send.  NFLOG:
 * OUTPUT what leaves for other hosts, INPUT everything that arrives
 * (loopback too: see firewall.h). */
static const char *const jump_output[] = { "OUTPUT", "-j",
					   VIGIL_FW_IPT_CHAIN, NULL };
static const char *const jump_input[] = { "INPUT", "!", "-i", "lo", "-j",
					  VIGIL_FW_IPT_CHAIN, NULL };
static const char *const jump_output_nflog[] = { "OUTPUT", "!", "-o", "lo",
						 "-j", VIGIL_FW_IPT_CHAIN,
						 NULL };
static const char *const jump_input_nflog[] = { "INPUT", "-j",
						VIGIL_FW_IPT_CHAIN, NULL };

/* Runs `tool -w <op> <args...> <target...>`; target may be NULL. */
static int ipt(const char *tool, const char *op, const char *const *args,
	       const char *const *target, char *msg, size_t msg_len)
{
	char *argv[24];
	size_t n = 0;

	argv[n++] = (char *)tool;
	argv[n++] = (char *)"-w";
	argv[n++] = (char *)op;
	while (*args && n < VIGIL_ARRAY_SIZE(argv) - 1)
		argv[n++] = (char *)*args++;
	while (target && *target && n < VIGIL_ARRAY_SIZE(argv) - 1)
		argv[n++] = (char *)*target++;
	argv[n] = NULL;
	return vigil__firewall_run(argv, msg, msg_len);
}

/* Deletes every jump into VIGIL-DNS, of either capture's layout, then the
 * chain.  Errors are fine: most of the time there is nothing to remove. */
static void ipt_remove(const char *tool)
{
	static const char *const chain[] = { VIGIL_FW_IPT_CHAIN, NULL };
	static const char *const *const jumps[] = {
		jump_output, jump_input, jump_output_nflog, jump_input_nflog,
	};
	char msg[128];
	size_t j;
	int i;

	for (j = 0; j < VIGIL_ARRAY_SIZE(jumps); j++)
		for (i = 0; i < FW_MAX_STALE_JUMPS; i++)
			if (ipt(tool, "-D", jumps[j], NULL, msg, sizeof(msg)))
				break;
	ipt(tool, "-F", chain, NULL, msg, sizeof(msg));
	ipt(tool, "-X", chain, NULL, msg, sizeof(msg));
}

/* Creates VIGIL-DNS with its four NFQUEUE or NFLOG rules and the two
 * jumps, first in OUTPUT and INPUT so no earlier ACCEPT hides DNS from
 * vigil. */
static int ipt_install(const char *tool, const struct vigil_firewall *fw,
		       char *msg, size_t msg_len)
{
	static const char *const chain[] = { VIGIL_FW_IPT_CHAIN, NULL };
	static const char *const rules[][5] = {
		{ VIGIL_FW_IPT_CHAIN, "-p", "udp", "--dport",
		  VIGIL_FW_DNS_PORT },
		{ VIGIL_FW_IPT_CHAIN, "-p", "udp", "--sport",
		  VIGIL_FW_DNS_PORT },
		{ VIGIL_FW_IPT_CHAIN, "-p", "tcp", "--dport",
		  VIGIL_FW_DNS_PORT },
		{ VIGIL_FW_IPT_CHAIN, "-p", "tcp", "--sport",
		  VIGIL_FW_DNS_PORT },
	};
	static const char *const first[] = { "1", NULL };
	bool nflog = fw->target == VIGIL_FW_TARGET_NFLOG;
	char queue[FW_QUEUE_NUM_LEN], snaplen[FW_QUEUE_NUM_LEN],
		threshold[FW_QUEUE_NUM_LEN];
	const char *const target_nfqueue[] = { "-j", "NFQUEUE", "--queue-num",
					       queue, "--queue-bypass", NULL };
	const char *const target_nflog[] = { "-j", "NFLOG", "--nflog-group",
					     queue, "--nflog-size", snaplen,
					     "--nflog-threshold", threshold,
					     NULL };
	const char *args[16];
	size_t i, j;
	int rc;

	snprintf(queue, sizeof(queue), "%u", fw->queue_num);
	snprintf(snaplen, sizeof(snaplen), "%u", fw->snaplen);
	snprintf(threshold, sizeof(threshold), "%u", fw->threshold);
	rc = ipt(tool, "-N", chain, NULL, msg, msg_len);
	for (i = 0; !rc && i < VIGIL_ARRAY_SIZE(rules); i++) {
		for (j = 0; j < VIGIL_ARRAY_SIZE(rules[i]); j++)
			args[j] = rules[i][j];
		args[j] = NULL;
		rc = ipt(tool, "-A", args,
			 nflog ? target_nflog : target_nfqueue, msg, msg_len);
	}
	/* -I <chain> 1 <rule...>: the position goes after the chain name. */
	for (i = 0; !rc && i < 2; i++) {
		const char *const *jump =
			i ? (nflog ? jump_input_nflog : jump_input) :
			    (nflog ? jump_output_nflog : jump_output);

		args[0] = jump[0];
		args[1] = first[0];
		for (j = 1; jump[j]; j++)
			args[j + 1] = jump[j];
		args[j + 1] = NULL;
		rc = ipt(tool, "-I", args, NULL, msg, msg_len);
	}
	if (rc) {
		ipt_remove(tool);
		return rc < 0 ? rc : -EIO;
	}
	return 0;
}

static bool feature_on(const struct vigil_firewall *fw, uint32_t bit)
{
	return !(fw->features_disabled & bit);
}

/* Removes what a previous vigild may have left, with every tool that is
 * present; missing tools and missing rules are not errors. */
static void remove_stale(const struct vigil_firewall *fw)
{
	char msg[128];

	if (feature_on(fw, VIGIL_FEAT_NFTABLES))
		nft_remove(msg, sizeof(msg));
	if (feature_on(fw, VIGIL_FEAT_IPTABLES)) {
		ipt_remove("iptables");
		ipt_remove("ip6tables");
	}
}

static const char *target_verb(const struct vigil_firewall *fw)
{
	return fw->target == VIGIL_FW_TARGET_NFLOG ? "logs" : "queues";
}

static const char *target_noun(const struct vigil_firewall *fw)
{
	return fw->target == VIGIL_FW_TARGET_NFLOG ? "log group" : "queue";
}

static int install_nft(struct vigil_firewall *fw)
{
	struct vigil_buf script = { 0 };
	char msg[200];
	int rc;

	rc = vigil_firewall_nft_script(fw, &script);
	if (rc)
		goto out_free;
	rc = nft_apply(vigil_buf_cstr(&script), msg, sizeof(msg));
	if (rc) {
		snprintf(fw->reason, sizeof(fw->reason),
			 "nft -f failed (%d): %s", rc, msg);
		rc = rc < 0 ? rc : -EIO;
		goto out_free;
	}
	fw->backend = VIGIL_FW_NFTABLES;
	snprintf(fw->reason, sizeof(fw->reason), "table %s %s %s port %s to %s %u",
		 VIGIL_FW_NFT_FAMILY, VIGIL_FW_NFT_TABLE, target_verb(fw),
		 VIGIL_FW_DNS_PORT, target_noun(fw), fw->queue_num);
out_free:
	vigil_buf_free(&script);
	return rc;
}

static int install_ipt(struct vigil_firewall *fw)
{
	char msg[200];
	int rc;

	rc = ipt_install("iptables", fw, msg, sizeof(msg));
	if (rc) {
		snprintf(fw->reason, sizeof(fw->reason),
			 "iptables failed (%d): %s", rc, msg);
		return rc;
	}
	fw->backend = VIGIL_FW_IPTABLES;
	/* IPv6 is optional: a host without ip6tables or IPv6 still gets
	 * its IPv4 DNS watched. */
	fw->ipv6 = ipt_install("ip6tables", fw, msg, sizeof(msg)) == 0;
	snprintf(fw->reason, sizeof(fw->reason), "chain %s %s port %s to %s %u (%s)",
		 VIGIL_FW_IPT_CHAIN, target_verb(fw), VIGIL_FW_DNS_PORT,
		 target_noun(fw), fw->queue_num,
		 fw->ipv6 ? "IPv4 and IPv6" : "IPv4 only: ip6tables failed");
	return 0;
}

int vigil_firewall_install(struct vigil_firewall *fw)
{
	char msg[200], nft_why[sizeof(fw->reason)] = "";
	bool nft_ok = false;
	int rc;

	fw->backend = VIGIL_FW_NONE;
	fw->ipv6 = false;
	remove_stale(fw);

	if (fw->requested != VIGIL_FW_IPTABLES) {
		if (!feature_on(fw, VIGIL_FEAT_NFTABLES))
			snprintf(nft_why, sizeof(nft_why),
				 "nftables disabled by agent.features.disable");
		else if (!(nft_ok = nft_usable(msg, sizeof(msg))))
			snprintf(nft_why, sizeof(nft_why),
				 "nft not usable%s%s", msg[0] ? ": " : "",
				 msg);
	}
	if (nft_ok) {
		rc = install_nft(fw);
		/* A kernel may have nf_tables without its queue expression
		 * (nft_queue); auto mode then falls back to iptables,
		 * whose NFQUEUE target is separate. */
		if (!rc || fw->requested == VIGIL_FW_NFTABLES)
			return rc;
		snprintf(nft_why, sizeof(nft_why), "%s", fw->reason);
		nft_remove(msg, sizeof(msg));
	} else if (fw->requested == VIGIL_FW_NFTABLES) {
		snprintf(fw->reason, sizeof(fw->reason),
			 "nftables requested but %s", nft_why);
		return -ENOENT;
	}
	if (!feature_on(fw, VIGIL_FEAT_IPTABLES)) {
		snprintf(fw->reason, sizeof(fw->reason),
			 "no usable firewall: %s; iptables disabled by "
			 "agent.features.disable", nft_why);
		return -ENOENT;
	}
	rc = install_ipt(fw);
	if (!rc && nft_why[0] && fw->requested == VIGIL_FW_AUTO) {
		size_t n = strlen(fw->reason);

		snprintf(fw->reason + n, sizeof(fw->reason) - n,
			 "; not nftables: %s", nft_why);
	}
	return rc;
}

int vigil_firewall_remove(struct vigil_firewall *fw)
{
	char msg[200];
	int rc = 0;

	switch (fw->backend) {
	case VIGIL_FW_NFTABLES:
		rc = nft_remove(msg, sizeof(msg));
		if (rc)
			snprintf(fw->reason, sizeof(fw->reason),
				 "nft delete table failed (%d): %s", rc, msg);
		break;
	case VIGIL_FW_IPTABLES:
		ipt_remove("iptables");
		if (fw->ipv6)
			ipt_remove("ip6tables");
		break;
	default:
		break;
	}
	fw->backend = VIGIL_FW_NONE;
	fw->ipv6 = false;
	return rc > 0 ? -EIO : rc;
}
