/*
 * forward_proto.c - encoders and parsers of the Fluent forward protocol
 * (see forward_proto.h).  Encoding uses msgpack-c's packer writing into a
 * vigil_buf.  Parsing first walks the bytes with a bounds-checked skipper
 * that allocates nothing, so a hostile length can never make msgpack-c
 * allocate more than the few bytes actually received.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <msgpack.h>
#include <openssl/evp.h>

#include "buf.h"
#include "forward_proto.h"
#include "openssl_compat.h"

/* msgpack-c packer callback: append to a vigil_buf. */
static int pk_write(void *data, const char *buf, size_t len)
{
	return vigil_buf_append(data, buf, len) ? -1 : 0;
}

static int pk_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);

	return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s, n);
}

int fwd_encode_entry(struct vigil_buf *out, int64_t time_ns,
		     const void *record, size_t len)
{
	msgpack_packer pk;
	uint8_t t[8];
	uint32_t sec = (uint32_t)(time_ns / 1000000000),
		 nsec = (uint32_t)(time_ns % 1000000000);

	if (time_ns < 0)
		sec = nsec = 0;
	for (int i = 0; i < 4; i++) {
		t[i] = (uint8_t)(sec >> (24 - 8 * i));
		t[4 + i] = (uint8_t)(nsec >> (24 - 8 * i));
	}
	msgpack_packer_init(&pk, out, pk_write);
	if (msgpack_pack_array(&pk, 2) ||
	    msgpack_pack_ext(&pk, sizeof(t), FWD_EVENT_TIME_EXT) ||
	    msgpack_pack_ext_body(&pk, t, sizeof(t)))
		return -ENOMEM;
	return vigil_buf_append(out, record, len);
}

int fwd_encode_message(struct vigil_buf *out, enum fwd_mode mode,
		       const char *tag, const void *entries, size_t len,
		       uint32_t n, const char *chunk)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, out, pk_write);
	if (msgpack_pack_array(&pk, 3) || pk_str(&pk, tag))
		return -ENOMEM;
	if (mode == FWD_MODE_PACKED) {
		if (msgpack_pack_bin(&pk, len) ||
		    msgpack_pack_bin_body(&pk, entries, len))
			return -ENOMEM;
	} else {
		if (msgpack_pack_array(&pk, n) ||
		    vigil_buf_append(out, entries, len))
			return -ENOMEM;
	}
	if (msgpack_pack_map(&pk, chunk ? 2 : 1) || pk_str(&pk, "size") ||
	    msgpack_pack_uint32(&pk, n))
		return -ENOMEM;
	if (chunk && (pk_str(&pk, "chunk") || pk_str(&pk, chunk)))
		return -ENOMEM;
	return 0;
}

void fwd_chunk_id(const uint8_t raw[16], char out[FWD_CHUNK_ID_LEN + 1])
{
	EVP_EncodeBlock((unsigned char *)out, raw, 16);
	out[FWD_CHUNK_ID_LEN] = '\0';
}

/* Big-endian reads for the skipper. */
static uint64_t be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

ssize_t fwd_object_size(const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t off = 0;
	uint64_t items = 1; /* objects still to read */

	while (items) {
		uint8_t b;
		uint64_t skip = 0, add = 0;
		size_t hdr = 1;

		if (off >= len)
			return 0;
		b = p[off];
		items--;
		if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 ||
		    b == 0xc3) {
			/* fixint, nil, bool */
		} else if ((b & 0xf0) == 0x80) {
			add = 2u * (b & 0x0f);
		} else if ((b & 0xf0) == 0x90) {
			add = b & 0x0f;
		} else if ((b & 0xe0) == 0xa0) {
			skip = b & 0x1f;
		} else if (b == 0xc1) {
			return -EBADMSG; /* never used */
		} else {
			static const struct {
				uint8_t tag, lenbytes, fixed, kind;
			} t[] = {
				/* kind: 0 skip fixed, 1 payload, 2 array,
				 * 3 map, 4 ext (payload + type byte) */
				{ 0xc4, 1, 0, 1 }, { 0xc5, 2, 0, 1 },
				{ 0xc6, 4, 0, 1 }, { 0xc7, 1, 1, 4 },
				{ 0xc8, 2, 1, 4 }, { 0xc9, 4, 1, 4 },
				{ 0xca, 0, 4, 0 }, { 0xcb, 0, 8, 0 },
				{ 0xcc, 0, 1, 0 }, { 0xcd, 0, 2, 0 },
				{ 0xce, 0, 4, 0 }, { 0xcf, 0, 8, 0 },
				{ 0xd0, 0, 1, 0 }, { 0xd1, 0, 2, 0 },
				{ 0xd2, 0, 4, 0 }, { 0xd3, 0, 8, 0 },
				{ 0xd4, 0, 2, 0 }, { 0xd5, 0, 3, 0 },
				{ 0xd6, 0, 5, 0 }, { 0xd7, 0, 9, 0 },
				{ 0xd8, 0, 17, 0 }, { 0xd9, 1, 0, 1 },
				{ 0xda, 2, 0, 1 }, { 0xdb, 4, 0, 1 },
				{ 0xdc, 2, 0, 2 }, { 0xdd, 4, 0, 2 },
				{ 0xde, 2, 0, 3 }, { 0xdf, 4, 0, 3 },
			};
			size_t i;
			uint64_t n;

			for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
				if (t[i].tag == b)
					break;
			if (i == sizeof(t) / sizeof(t[0]))
				return -EBADMSG;
			hdr = 1u + t[i].lenbytes;
			if (len - off < hdr)
				return 0;
			n = be(p + off + 1, t[i].lenbytes);
			switch (t[i].kind) {
			case 0:
				skip = t[i].fixed;
				break;
			case 1:
				skip = n;
				break;
			case 2:
				add = n;
				break;
			case 3:
				add = 2 * n;
				break;
			default:
				skip = n + t[i].fixed;
				break;
			}
		}
		if (len - off < hdr || len - off - hdr < skip)
			return 0;
		off += hdr + (size_t)skip;
		items += add;
		/* every object takes a byte: more than that is incomplete */
		if (items > len - off)
			return 0;
	}
	return off > (size_t)SSIZE_MAX ? -EBADMSG : (ssize_t)off;
}

/* Unpacks a whole, already size-checked object. */
static int unpack(const void *data, size_t len, msgpack_unpacked *u)
{
	size_t off = 0;
	ssize_t n = fwd_object_size(data, len);

	if (n <= 0 || (size_t)n != len)
		return -EBADMSG;
	msgpack_unpacked_init(u);
	if (msgpack_unpack_next(u, data, len, &off) != MSGPACK_UNPACK_SUCCESS) {
		msgpack_unpacked_destroy(u);
		return -EBADMSG;
	}
	return 0;
}

static bool obj_is_str(const msgpack_object *o, const char *s)
{
	size_t n = strlen(s);

	return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
	       !memcmp(o->via.str.ptr, s, n);
}

/* The bytes of a str or bin object. */
static int obj_bytes(const msgpack_object *o, const char **p, size_t *n)
{
	if (o->type == MSGPACK_OBJECT_STR) {
		*p = o->via.str.ptr;
		*n = o->via.str.size;
	} else if (o->type == MSGPACK_OBJECT_BIN) {
		*p = o->via.bin.ptr;
		*n = o->via.bin.size;
	} else {
		return -EBADMSG;
	}
	return 0;
}

/* Copies a str/bin object into out[cap] as a C string. */
static int obj_cstr(const msgpack_object *o, char *out, size_t cap)
{
	const char *p;
	size_t n;

	if (obj_bytes(o, &p, &n) || n >= cap || memchr(p, '\0', n))
		return -EBADMSG;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

static const msgpack_object *map_get(const msgpack_object *m, const char *k)
{
	if (m->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < m->via.map.size; i++)
		if (obj_is_str(&m->via.map.ptr[i].key, k))
			return &m->via.map.ptr[i].val;
	return NULL;
}

int fwd_parse_ack(const void *data, size_t len, char *id, size_t cap)
{
	msgpack_unpacked u;
	const msgpack_object *v;
	int rc;

	if (unpack(data, len, &u))
		return -EBADMSG;
	v = map_get(&u.data, "ack");
	rc = v ? obj_cstr(v, id, cap) : -EBADMSG;
	msgpack_unpacked_destroy(&u);
	return rc;
}

int fwd_parse_helo(const void *data, size_t len, struct fwd_helo *h)
{
	msgpack_unpacked u;
	const msgpack_object *a, *o, *v;
	const char *p;
	size_t n;
	int rc = -EBADMSG;

	memset(h, 0, sizeof(*h));
	if (unpack(data, len, &u))
		return -EBADMSG;
	a = &u.data;
	if (a->type != MSGPACK_OBJECT_ARRAY || a->via.array.size != 2 ||
	    !obj_is_str(&a->via.array.ptr[0], "HELO"))
		goto out;
	o = &a->via.array.ptr[1];
	v = map_get(o, "nonce");
	if (!v || obj_bytes(v, &p, &n) || n == 0 || n > sizeof(h->nonce))
		goto out;
	memcpy(h->nonce, p, n);
	h->nonce_len = n;
	v = map_get(o, "auth");
	if (v) {
		if (obj_bytes(v, &p, &n) || n > sizeof(h->auth))
			goto out;
		memcpy(h->auth, p, n);
		h->auth_len = n;
	}
	v = map_get(o, "keepalive");
	h->keepalive = !v || (v->type == MSGPACK_OBJECT_BOOLEAN &&
			      v->via.boolean);
	rc = 0;
out:
	msgpack_unpacked_destroy(&u);
	return rc;
}

int fwd_parse_pong(const void *data, size_t len, struct fwd_pong *p)
{
	msgpack_unpacked u;
	const msgpack_object *a;
	int rc = -EBADMSG;

	memset(p, 0, sizeof(*p));
	if (unpack(data, len, &u))
		return -EBADMSG;
	a = &u.data;
	if (a->type != MSGPACK_OBJECT_ARRAY || a->via.array.size != 5 ||
	    !obj_is_str(&a->via.array.ptr[0], "PONG") ||
	    a->via.array.ptr[1].type != MSGPACK_OBJECT_BOOLEAN)
		goto out;
	p->ok = a->via.array.ptr[1].via.boolean;
	if (obj_cstr(&a->via.array.ptr[2], p->reason, sizeof(p->reason)) ||
	    obj_cstr(&a->via.array.ptr[3], p->hostname, sizeof(p->hostname)) ||
	    obj_cstr(&a->via.array.ptr[4], p->digest, sizeof(p->digest)))
		goto out;
	rc = 0;
out:
	msgpack_unpacked_destroy(&u);
	return rc;
}

/* hex(sha512(parts...)) */
static int sha512_hex(const void *const *parts, const size_t *lens, size_t n,
		      char out[FWD_SHA512_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = vigil_md_ctx_new();
	int ok;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha512(), NULL);
	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(ctx, parts[i], lens[i]);
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen);
	vigil_md_ctx_free(ctx);
	if (!ok || mdlen * 2 != FWD_SHA512_HEX_LEN)
		return -EIO;
	for (unsigned int i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0x0f];
	}
	out[FWD_SHA512_HEX_LEN] = '\0';
	return 0;
}

int fwd_key_digest(const uint8_t *salt, size_t salt_len, const char *host,
		   const uint8_t *nonce, size_t nonce_len, const char *key,
		   char out[FWD_SHA512_HEX_LEN + 1])
{
	const void *parts[] = { salt, host, nonce, key };
	size_t lens[] = { salt_len, strlen(host), nonce_len, strlen(key) };

	return sha512_hex(parts, lens, 4, out);
}

int fwd_encode_ping(struct vigil_buf *out, const char *self_hostname,
		    const uint8_t *salt, size_t salt_len,
		    const struct fwd_helo *h, const char *shared_key,
		    const char *username, const char *password)
{
	char digest[FWD_SHA512_HEX_LEN + 1], pw[FWD_SHA512_HEX_LEN + 1] = "";
	msgpack_packer pk;
	int rc;

	rc = fwd_key_digest(salt, salt_len, self_hostname, h->nonce,
			    h->nonce_len, shared_key, digest);
	if (rc)
		return rc;
	if (h->auth_len) {
		const void *parts[] = { h->auth, username, password };
		size_t lens[] = { h->auth_len, strlen(username),
				  strlen(password) };

		rc = sha512_hex(parts, lens, 3, pw);
		if (rc)
			return rc;
	}
	msgpack_packer_init(&pk, out, pk_write);
	if (msgpack_pack_array(&pk, 6) || pk_str(&pk, "PING") ||
	    pk_str(&pk, self_hostname) || msgpack_pack_str(&pk, salt_len) ||
	    msgpack_pack_str_body(&pk, salt, salt_len) ||
	    pk_str(&pk, digest) || pk_str(&pk, h->auth_len ? username : "") ||
	    pk_str(&pk, pw))
		return -ENOMEM;
	return 0;
}
