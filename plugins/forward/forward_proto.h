/*
 * forward_proto.h - the Fluent Forward Protocol v1 messages vigil sends
 * and reads, without any I/O: entries, Forward and PackedForward messages
 * with their option map, the HELO/PING/PONG handshake and ack responses.
 *
 * Spec: github.com/fluent/fluentd/wiki/Forward-Protocol-Specification-v1.
 *   Entry          [EventTime, record]
 *   Forward        [tag, [Entry, ...], option]
 *   PackedForward  [tag, bin(Entry Entry ...), option]
 *   option         {"size": entries, "chunk": id}   (chunk asks for an ack)
 *   ack response   {"ack": id}
 *   HELO           ["HELO", {"nonce": n, "auth": salt, "keepalive": b}]
 *   PING           ["PING", self_hostname, shared_key_salt,
 *                   hex(sha512(salt + self_hostname + nonce + shared_key)),
 *                   username, hex(sha512(auth + username + password))]
 *   PONG           ["PONG", ok, reason, server_hostname,
 *                   hex(sha512(salt + server_hostname + nonce + shared_key))]
 * EventTime is msgpack ext type 0 with big-endian u32 seconds and u32
 * nanoseconds.
 */
#ifndef VIGIL_FORWARD_PROTO_H
#define VIGIL_FORWARD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vigil/plugin.h>

#define FWD_EVENT_TIME_EXT 0    /* msgpack ext type of EventTime */
#define FWD_CHUNK_ID_LEN 24     /* base64 of 16 random-ish bytes */
#define FWD_SHA512_HEX_LEN 128
#define FWD_MAX_NONCE 256
#define FWD_MAX_HOSTNAME 256

enum fwd_mode {
	FWD_MODE_FORWARD = 0,
	FWD_MODE_PACKED = 1,
};

/*
 * Appends one Entry, [EventTime(time_ns), record], where record is one
 * msgpack map already encoded.  0 or -ENOMEM.
 */
int fwd_encode_entry(struct vigil_buf *out, int64_t time_ns,
		     const void *record, size_t len);

/*
 * Appends a whole message carrying n entries (their concatenated bytes in
 * entries[0..len)) under tag.  chunk, when not NULL, is the ack id
 * (FWD_CHUNK_ID_LEN characters).  0 or -ENOMEM.
 */
int fwd_encode_message(struct vigil_buf *out, enum fwd_mode mode,
		       const char *tag, const void *entries, size_t len,
		       uint32_t n, const char *chunk);

/* Makes a chunk id from 16 bytes: base64, NUL terminated. */
void fwd_chunk_id(const uint8_t raw[16], char out[FWD_CHUNK_ID_LEN + 1]);

/*
 * Reads one complete msgpack object from the front of data[0..len).
 * Returns the number of bytes it takes, 0 when more bytes are needed, or
 * -EBADMSG on malformed input.
 */
ssize_t fwd_object_size(const void *data, size_t len);

/*
 * Parses a server response of exactly len bytes.
 *  fwd_parse_ack:  {"ack": id} -> id (NUL terminated, at most cap-1 bytes)
 *  fwd_parse_helo: nonce and auth salt (raw bytes, lengths set)
 *  fwd_parse_pong: ok, reason, server hostname, digest
 * Each returns 0, or -EBADMSG when the object is not that message.
 */
int fwd_parse_ack(const void *data, size_t len, char *id, size_t cap);

struct fwd_helo {
	uint8_t nonce[FWD_MAX_NONCE];
	size_t nonce_len;
	uint8_t auth[FWD_MAX_NONCE];
	size_t auth_len;
	bool keepalive;
};
int fwd_parse_helo(const void *data, size_t len, struct fwd_helo *h);

struct fwd_pong {
	bool ok;
	char reason[256];
	char hostname[FWD_MAX_HOSTNAME];
	char digest[FWD_SHA512_HEX_LEN + 1];
};
int fwd_parse_pong(const void *data, size_t len, struct fwd_pong *p);

/*
 * hex(sha512(salt + host + nonce + key)) into out (129 bytes).  The same
 * digest proves the client (PING, host = self_hostname) and the server
 * (PONG, host = its hostname).  0 or -EIO.
 */
int fwd_key_digest(const uint8_t *salt, size_t salt_len, const char *host,
		   const uint8_t *nonce, size_t nonce_len, const char *key,
		   char out[FWD_SHA512_HEX_LEN + 1]);

/* Appends the PING message.  0 or -ENOMEM / -EIO. */
int fwd_encode_ping(struct vigil_buf *out, const char *self_hostname,
		    const uint8_t *salt, size_t salt_len,
		    const struct fwd_helo *h, const char *shared_key,
		    const char *username, const char *password);

#endif /* VIGIL_FORWARD_PROTO_H */
