/*
 * dns_match.h - pairs DNS answers with their queries.
 *
 * A bounded open-addressing table keyed by (transport, client address and
 * port, server address and port, DNS id).  A query stores when it was seen
 * and who sent it; the answer takes the entry out and gets the latency and
 * the sender (the client socket may be gone by the time the answer is
 * processed, so the answer inherits the query's attribution).  Entries
 * older than the expiry count as free; when every slot of a probe window
 * is live the oldest is evicted and counted.  Memory is fixed at init.
 */
#ifndef VIGIL_DNS_MATCH_H
#define VIGIL_DNS_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vigil/event.h>

/* Slots looked at per operation. */
#define VIGIL_DNS_MATCH_PROBES 8

struct vigil_dns_flow {
	struct vigil_ip client, server;
	uint16_t client_port, server_port;
	uint16_t id;
	uint8_t proto;
};

/* The kernel's TASK_COMM_LEN: a comm with its NUL. */
#define VIGIL_DNS_COMM_LEN 16

/* Who sent a query, as far as attribution found out.  comm is kept so an
 * answer still names a sender that exited before it was processed. */
struct vigil_dns_owner {
	int32_t pid; /* 0 when unknown */
	uint32_t uid, gid; /* VIGIL_ID_UNSET when unknown */
	char comm[VIGIL_DNS_COMM_LEN]; /* NUL-terminated; "" unknown */
};

struct vigil_dns_pending;

struct vigil_dns_match {
	struct vigil_dns_pending *slots; /* owned; cap entries */
	size_t cap;                      /* a power of two */
	int64_t expiry_ns;
	uint64_t evicted; /* live queries pushed out by newer ones */
	uint64_t expired; /* queries whose answer never came in time */
	uint64_t matched;
};

/* Allocates a table of at least cap slots (rounded up to a power of two).
 * Returns 0, -EINVAL or -ENOMEM. */
int vigil_dns_match_init(struct vigil_dns_match *m, size_t cap,
			 int64_t expiry_ns) __attribute__((warn_unused_result));
void vigil_dns_match_free(struct vigil_dns_match *m);

/* Remembers a query seen at now_ns (monotonic). */
void vigil_dns_match_query(struct vigil_dns_match *m,
			   const struct vigil_dns_flow *f, int64_t now_ns,
			   const struct vigil_dns_owner *who);

/*
 * Looks up the query an answer belongs to (f as seen from the client:
 * client is the answer's destination).  On a hit removes the entry, sets
 * *latency_ns and *who and returns true.
 */
bool vigil_dns_match_answer(struct vigil_dns_match *m,
			    const struct vigil_dns_flow *f, int64_t now_ns,
			    int64_t *latency_ns, struct vigil_dns_owner *who);

#endif /* VIGIL_DNS_MATCH_H */
