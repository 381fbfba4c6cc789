/*
 * test_forward_proto - the forward output's messages follow the Fluent
 * Forward Protocol v1 byte for byte where the spec fixes them (EventTime,
 * the option map, PackedForward as bin), the handshake digest is the
 * spec's, and hostile server responses are refused without reading or
 * allocating past what was received.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <cmocka.h>
#include <msgpack.h>

#include "forward_proto.h"

/* {"a": 1} */
static const char record[] = "\x81\xa1\x61\x01";

static void test_forward_entry_is_event_time_ext0_then_record(void **state)
{
	struct vigil_buf b = { 0 };
	static const unsigned char want[] = {
		0x92,                         /* [time, record] */
		0xd7, 0x00,                   /* fixext 8, type 0 */
		0x65, 0x53, 0xf1, 0x00,       /* 1700000000 s, big endian */
		0x07, 0x5b, 0xcd, 0x15,       /* 123456789 ns */
		0x81, 0xa1, 0x61, 0x01,
	};

	assert_int_equal(fwd_encode_entry(&b, 1700000000123456789LL, record,
					  sizeof(record) - 1),
			 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	free(b.data);
}

/* Decodes a message and checks [tag, entries, {"size": n, "chunk": id}]. */
static void check_message(const struct vigil_buf *m, enum fwd_mode mode,
			  uint32_t n, const char *chunk)
{
	msgpack_unpacked u;
	size_t off = 0;
	const msgpack_object *a, *opt;
	bool saw_size = false, saw_chunk = false;

	msgpack_unpacked_init(&u);
	assert_int_equal(msgpack_unpack_next(&u, m->data, m->len, &off),
			 MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(off, m->len);
	a = &u.data;
	assert_int_equal(a->type, MSGPACK_OBJECT_ARRAY);
	assert_int_equal(a->via.array.size, 3);
	assert_int_equal(a->via.array.ptr[0].type, MSGPACK_OBJECT_STR);
	assert_memory_equal(a->via.array.ptr[0].via.str.ptr, "vigil.events", 12);
	if (mode == FWD_MODE_PACKED) {
		assert_int_equal(a->via.array.ptr[1].type, MSGPACK_OBJECT_BIN);
	} else {
		assert_int_equal(a->via.array.ptr[1].type,
				 MSGPACK_OBJECT_ARRAY);
		assert_int_equal(a->via.array.ptr[1].via.array.size, n);
		for (uint32_t i = 0; i < n; i++) {
			const msgpack_object *e =
				&a->via.array.ptr[1].via.array.ptr[i];

			assert_int_equal(e->via.array.size, 2);
			assert_int_equal(e->via.array.ptr[0].type,
					 MSGPACK_OBJECT_EXT);
			assert_int_equal(e->via.array.ptr[0].via.ext.type, 0);
			assert_int_equal(e->via.array.ptr[1].type,
					 MSGPACK_OBJECT_MAP);
		}
	}
	opt = &a->via.array.ptr[2];
	assert_int_equal(opt->type, MSGPACK_OBJECT_MAP);
	for (uint32_t i = 0; i < opt->via.map.size; i++) {
		const msgpack_object *k = &opt->via.map.ptr[i].key,
				     *v = &opt->via.map.ptr[i].val;

		if (k->via.str.size == 4 && !memcmp(k->via.str.ptr, "size", 4)) {
			assert_int_equal(v->via.u64, n);
			saw_size = true;
		} else if (k->via.str.size == 5 &&
			   !memcmp(k->via.str.ptr, "chunk", 5)) {
			assert_int_equal(v->type, MSGPACK_OBJECT_STR);
			assert_int_equal(v->via.str.size, strlen(chunk));
			assert_memory_equal(v->via.str.ptr, chunk,
					    strlen(chunk));
			saw_chunk = true;
		}
	}
	assert_true(saw_size);
	assert_int_equal(saw_chunk, chunk != NULL);
	msgpack_unpacked_destroy(&u);
}

static void test_forward_messages_carry_size_and_chunk(void **state)
{
	struct vigil_buf entries = { 0 }, m = { 0 };
	uint8_t raw[16] = { 1, 2, 3 };
	char id[FWD_CHUNK_ID_LEN + 1];

	for (int i = 0; i < 3; i++)
		assert_int_equal(fwd_encode_entry(&entries, i, record,
						  sizeof(record) - 1),
				 0);
	fwd_chunk_id(raw, id);
	assert_int_equal(strlen(id), FWD_CHUNK_ID_LEN);
	assert_int_equal(fwd_encode_message(&m, FWD_MODE_FORWARD,
					    "vigil.events", entries.data,
					    entries.len, 3, id),
			 0);
	check_message(&m, FWD_MODE_FORWARD, 3, id);
	m.len = 0;
	assert_int_equal(fwd_encode_message(&m, FWD_MODE_PACKED,
					    "vigil.events", entries.data,
					    entries.len, 3, NULL),
			 0);
	check_message(&m, FWD_MODE_PACKED, 3, NULL);
	free(entries.data);
	free(m.data);
}

static void test_forward_object_size_waits_for_whole_object(void **state)
{
	struct vigil_buf m = { 0 };

	assert_int_equal(fwd_encode_message(&m, FWD_MODE_FORWARD, "t", record,
					    0, 0, "abc"),
			 0);
	for (size_t i = 0; i < m.len; i++)
		assert_int_equal(fwd_object_size(m.data, i), 0);
	assert_int_equal(fwd_object_size(m.data, m.len), (ssize_t)m.len);
	free(m.data);
}

static void test_forward_object_size_refuses_hostile_headers(void **state)
{
	/* an array of 2^32-1 items in 5 bytes: incomplete, never allocated */
	static const char huge[] = "\xdd\xff\xff\xff\xff";
	/* a map claiming 4 GiB of string */
	static const char bigstr[] = "\x81\xdb\xff\xff\xff\xff";

	assert_int_equal(fwd_object_size(huge, 5), 0);
	assert_int_equal(fwd_object_size(bigstr, 6), 0);
	assert_int_equal(fwd_object_size("\xc1", 1), -EBADMSG);
	assert_int_equal(fwd_object_size("\x91\xc1", 2), -EBADMSG);
	/* parsers refuse them too, whatever length they are given */
	{
		char id[32];

		assert_int_equal(fwd_parse_ack(huge, 5, id, sizeof(id)),
				 -EBADMSG);
	}
}

static void test_forward_ack_parse_and_refusals(void **state)
{
	char id[32];
	/* {"ack": "xyz"} */
	static const char ack[] = "\x81\xa3" "ack" "\xa3" "xyz";
	/* {"ack": 5}, {"nak": "xyz"}, "ack" with an embedded NUL */
	static const char num[] = "\x81\xa3" "ack" "\x05";
	static const char other[] = "\x81\xa3" "nak" "\xa3" "xyz";
	static const char nul[] = "\x81\xa3" "ack" "\xa3" "x\0z";

	assert_int_equal(fwd_parse_ack(ack, sizeof(ack) - 1, id, sizeof(id)),
			 0);
	assert_string_equal(id, "xyz");
	assert_int_equal(fwd_parse_ack(ack, sizeof(ack) - 1, id, 3), -EBADMSG);
	assert_int_equal(fwd_parse_ack(num, sizeof(num) - 1, id, sizeof(id)),
			 -EBADMSG);
	assert_int_equal(fwd_parse_ack(other, sizeof(other) - 1, id,
				       sizeof(id)),
			 -EBADMSG);
	assert_int_equal(fwd_parse_ack(nul, sizeof(nul) - 1, id, sizeof(id)),
			 -EBADMSG);
	/* trailing bytes: not exactly one object */
	assert_int_equal(fwd_parse_ack(ack, sizeof(ack), id, sizeof(id)),
			 -EBADMSG);
}

static void test_forward_handshake_digest_is_the_specs(void **state)
{
	char hex[FWD_SHA512_HEX_LEN + 1];

	/* sha512("salt" + "vigil-host" + "nonce-bytes" + "s3cret"), from
	 * python's hashlib */
	assert_int_equal(fwd_key_digest((const uint8_t *)"salt", 4,
					"vigil-host",
					(const uint8_t *)"nonce-bytes", 11,
					"s3cret", hex),
			 0);
	assert_string_equal(hex,
			    "9f0c991c54835c8a6d3340a3b7978ed68bd7ba013b8f0014"
			    "5d7dec926d0b7ea8fe2f44adc53e7932f3cbe2525aac66d3"
			    "6c73f5f5b3e15b3a9847f8deae4f89da");
}

static void test_forward_helo_ping_pong_round_trip(void **state)
{
	/* ["HELO", {"nonce": bin "nonce-bytes", "auth": "", "keepalive": true}] */
	static const char helo[] = "\x92\xa4HELO\x83"
				   "\xa5nonce\xc4\x0bnonce-bytes"
				   "\xa4" "auth\xa0"
				   "\xa9keepalive\xc3";
	struct fwd_helo h;
	struct fwd_pong p;
	struct vigil_buf ping = { 0 }, pong = { 0 };
	msgpack_unpacked u;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t off = 0;
	char want[FWD_SHA512_HEX_LEN + 1];

	assert_int_equal(fwd_parse_helo(helo, sizeof(helo) - 1, &h), 0);
	assert_int_equal(h.nonce_len, 11);
	assert_memory_equal(h.nonce, "nonce-bytes", 11);
	assert_true(h.keepalive);
	assert_int_equal(fwd_encode_ping(&ping, "vigil-host",
					 (const uint8_t *)"salt", 4, &h,
					 "s3cret", "", ""),
			 0);
	msgpack_unpacked_init(&u);
	assert_int_equal(msgpack_unpack_next(&u, ping.data, ping.len, &off),
			 MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(u.data.via.array.size, 6);
	assert_memory_equal(u.data.via.array.ptr[0].via.str.ptr, "PING", 4);
	assert_memory_equal(u.data.via.array.ptr[3].via.str.ptr,
			    "9f0c991c54835c8a", 16);
	msgpack_unpacked_destroy(&u);

	/* a PONG as a server sends it, with its own digest */
	assert_int_equal(fwd_key_digest((const uint8_t *)"salt", 4, "srv",
					(const uint8_t *)"nonce-bytes", 11,
					"s3cret", want),
			 0);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 5);
	msgpack_pack_str_with_body(&pk, "PONG", 4);
	msgpack_pack_true(&pk);
	msgpack_pack_str_with_body(&pk, "", 0);
	msgpack_pack_str_with_body(&pk, "srv", 3);
	msgpack_pack_str_with_body(&pk, want, strlen(want));
	assert_int_equal(fwd_parse_pong(sb.data, sb.size, &p), 0);
	assert_true(p.ok);
	assert_string_equal(p.hostname, "srv");
	assert_string_equal(p.digest, want);
	/* a HELO is not a PONG and the reverse */
	assert_int_equal(fwd_parse_pong(helo, sizeof(helo) - 1, &p), -EBADMSG);
	assert_int_equal(fwd_parse_helo(sb.data, sb.size, &h), -EBADMSG);
	msgpack_sbuffer_destroy(&sb);
	free(ping.data);
	free(pong.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forward_entry_is_event_time_ext0_then_record),
		cmocka_unit_test(test_forward_messages_carry_size_and_chunk),
		cmocka_unit_test(test_forward_object_size_waits_for_whole_object),
		cmocka_unit_test(test_forward_object_size_refuses_hostile_headers),
		cmocka_unit_test(test_forward_ack_parse_and_refusals),
		cmocka_unit_test(test_forward_handshake_digest_is_the_specs),
		cmocka_unit_test(test_forward_helo_ping_pong_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
