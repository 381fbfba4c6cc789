/*
 * firewall.h - vigil's own firewall rules that send DNS to an NFQUEUE.
 *
 * vigil owns exactly one nftables table (`table inet vigil`) or one
 * iptables/ip6tables chain (VIGIL-DNS in the filter table, jumped to from
 * OUTPUT and INPUT) and touches nothing else.  Every rule queues with
 * bypass, so when no program listens on the queue (vigild stopped or
 * killed) packets pass as if the rule were not there.
 *
 * Each packet is queued once: OUTPUT queues locally sent queries and
 * answers (destination or source port 53), INPUT queues what arrives from
 * other hosts (not on lo, whose packets were already seen in OUTPUT).
 *
 * The rules are installed by running the nft, iptables and ip6tables
 * programs (posix_spawnp, PATH).  This blocks the caller for the few
 * milliseconds the programs take; it happens at start and stop only.
 */
#ifndef VIGIL_FIREWALL_H
#define VIGIL_FIREWALL_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

enum vigil_fw_backend {
	VIGIL_FW_AUTO = 0, /* nftables when usable, else iptables */
	VIGIL_FW_NFTABLES,
	VIGIL_FW_IPTABLES,
	VIGIL_FW_NONE, /* nothing installed (yet) */
};

/* Names of what vigil installs, for tests and documentation. */
#define VIGIL_FW_NFT_FAMILY "inet"
#define VIGIL_FW_NFT_TABLE "vigil"
#define VIGIL_FW_IPT_CHAIN "VIGIL-DNS"
#define VIGIL_FW_DNS_PORT "53"

/* Where the rules send DNS packets. */
enum vigil_fw_target {
	VIGIL_FW_TARGET_NFQUEUE = 0, /* queue, wait for a verdict (bypass) */
	VIGIL_FW_TARGET_NFLOG,       /* copy to a log group, never wait */
};

struct vigil_firewall {
	/* Set by the caller before install. */
	int requested;              /* enum vigil_fw_backend */
	int target;                 /* enum vigil_fw_target */
	uint16_t queue_num;         /* NFQUEUE number or NFLOG group */
	uint32_t snaplen;           /* NFLOG: bytes copied per packet */
	uint32_t threshold;         /* NFLOG: most packets per datagram */
	uint32_t features_disabled; /* VIGIL_FEAT_NFTABLES/IPTABLES */
	/* Set by install. */
	int backend;                /* enum vigil_fw_backend installed */
	bool ipv6;                  /* iptables: ip6tables rules too */
	char reason[256];           /* what was chosen and why, or error */
};

/* "auto", "nftables", "iptables" -> enum; -EINVAL for anything else. */
int vigil_firewall_backend_from_name(const char *name);
const char *vigil_firewall_backend_name(int backend);

/*
 * Removes whatever stale vigil rules a killed vigild left (of both
 * backends), then installs the rules for fw->queue_num with the requested
 * backend, or the first usable one for VIGIL_FW_AUTO.  Returns 0 and sets
 * fw->backend and fw->reason, or a negative errno with fw->reason saying
 * what failed (-ENOENT: no usable backend).
 */
int vigil_firewall_install(struct vigil_firewall *fw)
	__attribute__((warn_unused_result));

/* Removes exactly the rules install added.  Safe to call when nothing is
 * installed.  Returns 0 or a negative errno (reason set). */
int vigil_firewall_remove(struct vigil_firewall *fw);

/*
 * Writes the nft script that replaces `table inet vigil` atomically with
 * one sending DNS to fw's target (the table is declared, deleted and
 * defined in one transaction, so a stale copy is never doubled).  Uses
 * fw->target, queue_num, snaplen and threshold.  Returns 0 or -ENOMEM.
 */
int vigil_firewall_nft_script(const struct vigil_firewall *fw,
			      struct vigil_buf *out)
	__attribute__((warn_unused_result));

/*
 * Internal, for the tests.  The firewall tools (nft, iptables,
 * ip6tables) are run from /usr/sbin, /sbin, /usr/bin or /bin, never
 * through vigild's PATH, with a fixed environment of their own.
 *
 * vigil__firewall_tool_path() writes the first of those directories'
 * programs called name (no '/') to out.  Returns 0, -ENOENT when none
 * exists, -EINVAL or -ENAMETOOLONG.
 *
 * vigil__firewall_run() runs argv (argv[0] found as above) with stdin
 * from /dev/null and its output collected; the first line of it goes to
 * msg.  Returns the exit status (0-255), or a negative errno when it
 * could not be run (-ENOENT when the program is missing).
 */
int vigil__firewall_tool_path(const char *name, char *out, size_t size);
int vigil__firewall_run(char *const argv[], char *msg, size_t msg_len);

#endif /* VIGIL_FIREWALL_H */
