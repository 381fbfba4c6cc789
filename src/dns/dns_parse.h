/*
 * dns_parse.h - DNS wire-format parser (RFC 1035, 3596, 2782, 6891) for
 * the DNS monitor.
 *
 * The parser reads one DNS message, trusts none of it, and fills the
 * struct vigil_dns_part of an event: id, direction, rcode, TC bit, counts,
 * the first question (name lower-cased, without the final dot) and the
 * answer section as "TYPE data" strings.  Every section is walked and every
 * record of a known type is checked, so a message is either accepted whole
 * or rejected with a reason that the caller counts.
 *
 * Rejections are negative codes distinct from errno values:
 * vigil_dns_reason() turns one into an index 0..VIGIL_DNS_R__COUNT-1 for a
 * counter array and vigil_dns_reason_name() into a short name for status
 * output ("truncated", "compression_loop" ...).
 */
#ifndef VIGIL_DNS_PARSE_H
#define VIGIL_DNS_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include <vigil/event.h>

#include "util.h"

/* Why a message was rejected.  Names in vigil_dns_reason_name(). */
enum vigil_dns_reason {
	VIGIL_DNS_R_OTHER = 0,     /* not a parse error (-ENOMEM ...) */
	VIGIL_DNS_R_TRUNCATED,     /* ends inside a header, name or record */
	VIGIL_DNS_R_BAD_COUNT,     /* section counts cannot fit the message */
	VIGIL_DNS_R_BAD_LABEL,     /* label type 0x40/0x80 (not RFC 1035) */
	VIGIL_DNS_R_POINTER_FORWARD, /* compression pointer not backwards */
	VIGIL_DNS_R_COMPRESSION_LOOP, /* pointer back into the same name */
	VIGIL_DNS_R_POINTER_CHAIN, /* more pointers than a name can need */
	VIGIL_DNS_R_NAME_TOO_LONG, /* over NS_MAXCDNAME octets on the wire */
	VIGIL_DNS_R_BAD_RDATA,     /* rdata of a known type malformed */
	VIGIL_DNS_R_BAD_OPT,       /* EDNS0 OPT misplaced, repeated, bad */
	VIGIL_DNS_R_TRAILING_DATA, /* bytes after the last record */
	VIGIL_DNS_R_TCP_PARTIAL,   /* TCP length prefix beyond the segment */
	VIGIL_DNS_R__COUNT
};

/* Parse errors are -(VIGIL_DNS_EBASE + reason): far above any errno. */
#define VIGIL_DNS_EBASE 4096
#define VIGIL_DNS_ERR(r) (-(VIGIL_DNS_EBASE + (int)(r)))

/* Answer strings kept per message; further answers are checked, counted
 * in answer_count, and not stored. */
#define VIGIL_DNS_MAX_ANSWERS 32
/* Longest answer string kept; longer ones (big TXT records) are cut and
 * end with "...". */
#define VIGIL_DNS_MAX_TEXT 1024
/* A name has at most 127 labels, so a legitimate name never needs more
 * compression pointers than that. */
#define VIGIL_DNS_MAX_POINTERS 127

/*
 * Parses the DNS message msg[0..len) into out, with every string copied
 * into arena.  Sets id, direction (from the QR bit), rcode (extended by
 * EDNS0 where it fits), truncated, question_count, answer_count, qtype,
 * qclass, qname (of the first question; "." for the root; empty when the
 * message has no question) and answers.  Leaves transport, addresses,
 * ports and latency_ns to the caller.  Returns 0, VIGIL_DNS_ERR(reason)
 * for a malformed message, or -ENOMEM when the arena is exhausted.  out
 * is only partly filled on failure.
 */
int vigil_dns_parse(const uint8_t *msg, size_t len, struct vigil_arena *arena,
		    struct vigil_dns_part *out)
	__attribute__((warn_unused_result));

/*
 * Walks the DNS messages of a TCP payload (RFC 1035 4.2.2: each message
 * follows a two-byte length; a segment may hold several).  *off is the
 * cursor, 0 at first.  Returns 1 with *msg and *msg_len set to the next
 * message, 0 when the payload is used up, or VIGIL_DNS_ERR(TCP_PARTIAL)
 * when a message continues past the segment (dns_tcp.c keeps such a
 * tail for the next segment).
 */
int vigil_dns_tcp_next(const uint8_t *payload, size_t len, size_t *off,
		       const uint8_t **msg, size_t *msg_len);

/* Counter index of a return value of vigil_dns_parse/tcp_next (< 0). */
enum vigil_dns_reason vigil_dns_reason(int rc);
/* "truncated", "bad_label" ...; "other" for VIGIL_DNS_R_OTHER. */
const char *vigil_dns_reason_name(enum vigil_dns_reason r);

/* Zone-file mnemonic of an RR type ("A", "AAAA" ...), or NULL. */
const char *vigil_dns_type_name(uint16_t type);

#endif /* VIGIL_DNS_PARSE_H */
