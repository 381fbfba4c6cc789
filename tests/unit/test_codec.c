/*
 * test_codec - events survive msgpack and JSON round trips byte for byte,
 * hostile strings included, and bad input is an error, never a crash.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "codec.h"
#include "node.h"
#include "schema.h"
#include "util.h"

struct fixture {
	struct vigil_arena a, b;
	struct vigil_event ev, out;
	struct vigil_buf buf, err;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	vigil_arena_init(&f->a, 4096);
	vigil_arena_init(&f->b, 4096);
	vigil_event_init(&f->ev, &f->a);
	vigil_event_init(&f->out, &f->b);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vigil_arena_free(&f->a);
	vigil_arena_free(&f->b);
	vigil_buf_free(&f->buf);
	vigil_buf_free(&f->err);
	free(f);
	return 0;
}

static struct vigil_str S(struct vigil_arena *a, const char *p, size_t n)
{
	struct vigil_str s;

	assert_int_equal(vigil_arena_str(a, &s, p, n), 0);
	return s;
}

/* Every field of the registry, every index: same presence, same value. */
static void assert_same_event(const struct vigil_event *x,
			      const struct vigil_event *y)
{
	const struct vigil_field_table *t = vigil_fields();

	assert_int_equal(x->type, y->type);
	for (size_t i = 0; i < t->count; i++) {
		const struct vigil_field *f = &t->fields[i];

		for (uint32_t idx = 0; idx < 100000; idx++) {
			struct vigil_value a, b;
			int ra = f->get(f, x, idx, &a);
			int rb = f->get(f, y, idx, &b);

			if (ra != rb)
				fail_msg("%s[%u]: present %d vs %d", f->name,
					 idx, ra, rb);
			if (ra == -ENOENT)
				break;
			if (ra)
				continue;
			assert_int_equal(a.type, b.type);
			switch (a.type) {
			case VIGIL_T_STR:
				if (a.u.s.len != b.u.s.len ||
				    memcmp(a.u.s.ptr, b.u.s.ptr, a.u.s.len))
					fail_msg("%s[%u]: strings differ (%u vs %u bytes)",
						 f->name, idx, a.u.s.len,
						 b.u.s.len);
				break;
			case VIGIL_T_BOOL:
				assert_int_equal(a.u.b, b.u.b);
				break;
			case VIGIL_T_IP:
				assert_memory_equal(&a.u.ip, &b.u.ip,
						    sizeof(a.u.ip));
				break;
			default:
				if (a.u.i != b.u.i)
					fail_msg("%s[%u]: %lld vs %lld", f->name,
						 idx, (long long)a.u.i,
						 (long long)b.u.i);
			}
			if (!(f->flags & (VIGIL_FIELD_LIST | VIGIL_FIELD_ITER)))
				break;
		}
	}
}

/* An exec event whose strings are everything a hostile command line
 * can hold: quotes, backslashes, control bytes, NUL, invalid UTF-8,
 * valid multi-byte UTF-8, and a 1 MiB argument. */
static void build_hostile_exec(struct fixture *f)
{
	static const char quote[] = "say \"hi\" \\ 'there'";
	static const char ctrl[] = "a\x01\x02\n\r\t\x1b[31mred\x7f";
	static const char nul[] = "before\0after";
	static const char bad_utf8[] = "\xff\xfe\xc3\x28\xe2\x82\x28\xed\xa0\x80\xf4\x90\x80\x80";
	static const char good_utf8[] = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80";
	struct vigil_event *ev = &f->ev;
	struct vigil_str *argv;
	char *big;

	ev->type = VIGIL_EV_EXEC;
	ev->source = VIGIL_SRC_AUDIT;
	ev->time_ns = INT64_C(1795964906123456789);
	ev->seq = 4567;
	ev->host = S(&f->a, "web-01", 6);
	ev->process.pid = 42;
	ev->process.ppid = 41;
	ev->process.uid = 0;
	ev->process.euid = 1000;
	ev->process.auid = 1000;
	ev->process.session_id = 3;
	ev->process.comm = S(&f->a, bad_utf8, sizeof(bad_utf8) - 1);
	ev->process.cwd = S(&f->a, good_utf8, sizeof(good_utf8) - 1);
	ev->process.file.path = S(&f->a, "/usr/bin/id", 11);
	ev->process.file.inode = 1234;
	ev->process.file.mode = 0100755;
	ev->process.file.uid = 0;
	ev->process.file.hash = S(&f->a, "sha256:00ff", 11);
	ev->process.start_time_ns = INT64_C(1795964900000000000);
	ev->process.container.id = S(&f->a, "abc123", 6);
	ev->process.container.runtime = S(&f->a, "docker", 6);
	big = malloc(1 << 20);
	for (size_t i = 0; i < (1 << 20); i++)
		big[i] = (char)(i * 7 + 1); /* every byte value, NUL too */
	argv = vigil_arena_alloc(&f->a, 6 * sizeof(*argv));
	argv[0] = S(&f->a, quote, sizeof(quote) - 1);
	argv[1] = S(&f->a, ctrl, sizeof(ctrl) - 1);
	argv[2] = S(&f->a, nul, sizeof(nul) - 1);
	argv[3] = S(&f->a, bad_utf8, sizeof(bad_utf8) - 1);
	argv[4] = S(&f->a, good_utf8, sizeof(good_utf8) - 1);
	argv[5] = S(&f->a, big, 1 << 20);
	free(big);
	ev->process.argv.v = argv;
	ev->process.argv.n = 6;
	ev->ancestors = vigil_arena_alloc(&f->a, 2 * sizeof(*ev->ancestors));
	vigil_process_clear(&ev->ancestors[0]);
	vigil_process_clear(&ev->ancestors[1]);
	ev->ancestors[0].pid = 41;
	ev->ancestors[0].file.path = S(&f->a, "/usr/sbin/nginx", 15);
	ev->ancestors[1].pid = 1;
	ev->ancestors[1].comm = S(&f->a, "systemd", 7);
	ev->n_ancestors = 2;
}

static void test_codec_msgpack_round_trip_keeps_hostile_bytes(void **state)
{
	struct fixture *f = *state;
	size_t used = 0;

	build_hostile_exec(f);
	assert_int_equal(vigil_encode_msgpack(&f->ev, NULL, &f->buf), 0);
	assert_int_equal(vigil_decode_msgpack(f->buf.data, f->buf.len, &used,
					      &f->out, NULL, &f->err),
			 0);
	assert_int_equal(used, f->buf.len);
	assert_same_event(&f->ev, &f->out);
	assert_int_equal(f->out.process.argv.v[5].len, 1 << 20);
}

static void test_codec_json_round_trip_keeps_hostile_bytes(void **state)
{
	struct fixture *f = *state;
	struct vigil_doc doc;

	build_hostile_exec(f);
	assert_int_equal(vigil_encode_json(&f->ev, NULL, &f->buf), 0);
	/* one line, ending in a newline, no raw control bytes */
	assert_int_equal(f->buf.data[f->buf.len - 1], '\n');
	for (size_t i = 0; i + 1 < f->buf.len; i++)
		if ((unsigned char)f->buf.data[i] < 0x20)
			fail_msg("raw control byte 0x%02x at %zu",
				 f->buf.data[i], i);
	assert_int_equal(vigil_doc_load_json("test", f->buf.data, f->buf.len,
					     &doc, &f->err),
			 0);
	if (vigil_event_from_node(doc.root, &f->out, &f->err))
		fail_msg("%s", vigil_buf_cstr(&f->err));
	assert_same_event(&f->ev, &f->out);
	vigil_doc_free(&doc);
}

static void test_codec_json_nests_by_field_name(void **state)
{
	struct fixture *f = *state;
	struct vigil_str *argv;

	f->ev.type = VIGIL_EV_EXEC;
	f->ev.time_ns = INT64_C(1795964906123456789);
	f->ev.process.pid = 42;
	f->ev.process.file.path = vigil_str_c("/usr/bin/id");
	argv = vigil_arena_alloc(&f->a, 2 * sizeof(*argv));
	argv[0] = vigil_str_c("id");
	argv[1] = vigil_str_c("-u");
	f->ev.process.argv.v = argv;
	f->ev.process.argv.n = 2;
	assert_int_equal(vigil_encode_json(&f->ev, NULL, &f->buf), 0);
	assert_string_equal(
		vigil_buf_cstr(&f->buf),
		"{\"event\":{\"type\":\"exec\",\"time\":\"2026-11-29T15:08:26.123456789Z\"},"
		"\"process\":{\"pid\":42,\"file\":{\"path\":\"/usr/bin/id\"},\"argv\":[\"id\",\"-u\"]}}\n");
}

static void test_codec_invalid_utf8_is_escaped_as_surrogates(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(vigil_json_str(&f->buf, "a\xff\"\x01", 4), 0);
	assert_string_equal(vigil_buf_cstr(&f->buf), "\"a\\udcff\\\"\\u0001\"");
}

static void test_codec_signal_round_trip(void **state)
{
	struct fixture *f = *state;
	static const char *const tags[] = { "technique:T1059.004",
					    "pci-dss:10.2.7" };
	struct vigil_signal sig = {
		.struct_size = sizeof(sig), .severity = VIGIL_SEV_HIGH,
		.rule_id = "shell_from_web_server", .title = "A shell",
		.remediation = "Look", .tags = tags, .n_tags = 2,
		.engine = "rules",
	};
	struct vigil_signal_store got;
	size_t used;

	f->ev.type = VIGIL_EV_EXEC;
	f->ev.process.pid = 7;
	assert_int_equal(vigil_encode_msgpack(&f->ev, &sig, &f->buf), 0);
	assert_int_equal(vigil_decode_msgpack(f->buf.data, f->buf.len, &used,
					      &f->out, &got, &f->err),
			 0);
	assert_true(got.present);
	assert_string_equal(got.sig.rule_id, "shell_from_web_server");
	assert_int_equal(got.sig.severity, VIGIL_SEV_HIGH);
	assert_int_equal(got.sig.n_tags, 2);
	assert_string_equal(got.sig.tags[1], "pci-dss:10.2.7");
	vigil_buf_reset(&f->buf);
	assert_int_equal(vigil_encode_json(&f->ev, &sig, &f->buf), 0);
	assert_non_null(strstr(vigil_buf_cstr(&f->buf),
			       ",\"signal\":{\"rule\":\"shell_from_web_server\",\"severity\":\"high\",\"title\":\"A shell\",\"tags\":[\"technique:T1059.004\",\"pci-dss:10.2.7\"],\"remediation\":\"Look\",\"engine\":\"rules\"}}\n"));
}

static void test_codec_dns_file_kernel_parts_round_trip(void **state)
{
	struct fixture *f = *state;
	struct vigil_str *ans;
	size_t used;

	/* dns with addresses */
	f->ev.type = VIGIL_EV_DNS;
	f->ev.u.dns.id = 0xbeef;
	f->ev.u.dns.qtype = 16;
	f->ev.u.dns.qclass = 1;
	f->ev.u.dns.direction = VIGIL_DNS_RESPONSE;
	f->ev.u.dns.qname = vigil_str_c("example.com");
	f->ev.u.dns.src_ip.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", f->ev.u.dns.src_ip.addr);
	f->ev.u.dns.dst_ip.family = AF_INET;
	inet_pton(AF_INET, "10.1.2.3", f->ev.u.dns.dst_ip.addr);
	f->ev.u.dns.src_port = 53;
	f->ev.u.dns.latency_ns = 1500;
	ans = vigil_arena_alloc(&f->a, sizeof(*ans));
	ans[0] = vigil_str_c("TXT \"v=spf1\"");
	f->ev.u.dns.answers.v = ans;
	f->ev.u.dns.answers.n = 1;
	assert_int_equal(vigil_encode_msgpack(&f->ev, NULL, &f->buf), 0);
	assert_int_equal(vigil_decode_msgpack(f->buf.data, f->buf.len, &used,
					      &f->out, NULL, &f->err),
			 0);
	assert_same_event(&f->ev, &f->out);

	/* a ptrace with its tracee */
	vigil_arena_reset(&f->b);
	vigil_event_init(&f->ev, &f->a);
	vigil_event_init(&f->out, &f->b);
	vigil_buf_reset(&f->buf);
	f->ev.type = VIGIL_EV_PTRACE;
	f->ev.u.kernel.request = PTRACE_ATTACH;
	f->ev.u.kernel.syscall_nr = 101;
	f->ev.u.kernel.retval = -1;
	f->ev.u.kernel.args[0] = PTRACE_ATTACH;
	f->ev.u.kernel.target = vigil_arena_alloc(&f->a, sizeof(struct vigil_process));
	vigil_process_clear(f->ev.u.kernel.target);
	f->ev.u.kernel.target->pid = 99;
	f->ev.u.kernel.target->file.path = vigil_str_c("/usr/sbin/sshd");
	assert_int_equal(vigil_encode_msgpack(&f->ev, NULL, &f->buf), 0);
	assert_int_equal(vigil_decode_msgpack(f->buf.data, f->buf.len, &used,
					      &f->out, NULL, &f->err),
			 0);
	assert_same_event(&f->ev, &f->out);

	/* a rename */
	vigil_arena_reset(&f->b);
	vigil_event_init(&f->ev, &f->a);
	vigil_event_init(&f->out, &f->b);
	vigil_buf_reset(&f->buf);
	f->ev.type = VIGIL_EV_RENAME;
	vigil_file_clear(&f->ev.u.file.file);
	vigil_file_clear(&f->ev.u.file.destination);
	f->ev.u.file.file.path = vigil_str_c("/etc/passwd+");
	f->ev.u.file.destination.path = vigil_str_c("/etc/passwd");
	f->ev.u.file.package_manager = true;
	assert_int_equal(vigil_encode_json(&f->ev, NULL, &f->buf), 0);
	assert_non_null(strstr(vigil_buf_cstr(&f->buf),
			       "\"file\":{\"path\":\"/etc/passwd+\",\"destination\":{\"path\":\"/etc/passwd\"},\"package_manager\":true}"));
}

static void test_codec_truncated_and_random_msgpack_is_rejected(void **state)
{
	struct fixture *f = *state;
	unsigned int seed = 1;
	size_t used;
	int rc;

	build_hostile_exec(f);
	assert_int_equal(vigil_encode_msgpack(&f->ev, NULL, &f->buf), 0);
	/* every truncation of a small prefix asks for more data */
	for (size_t cut = 1; cut < 200; cut++) {
		vigil_arena_reset(&f->b);
		vigil_event_init(&f->out, &f->b);
		rc = vigil_decode_msgpack(f->buf.data, cut, &used, &f->out,
					  NULL, &f->err);
		assert_int_equal(rc, -EAGAIN);
	}
	/* random bytes never crash; they are an error or an event */
	for (int round = 0; round < 2000; round++) {
		char junk[64];

		for (size_t i = 0; i < sizeof(junk); i++)
			junk[i] = (char)rand_r(&seed);
		junk[0] = (char)0x81; /* a map, to get past the first byte */
		vigil_arena_reset(&f->b);
		vigil_event_init(&f->out, &f->b);
		vigil_buf_reset(&f->err);
		rc = vigil_decode_msgpack(junk, sizeof(junk), &used, &f->out,
					  NULL, &f->err);
		assert_true(rc == 0 || rc == -EINVAL || rc == -EAGAIN);
	}
}

static void test_codec_node_errors_point_at_the_field(void **state)
{
	static const struct {
		const char *yaml, *says;
	} cases[] = {
		{ "event: {type: exec}\nprocess: {pidd: 3}\n",
		  "test.yaml:2:11: unknown field 'process.pidd'" },
		{ "event: {type: exec}\nprocess: {pid: abc}\n",
		  "test.yaml:2:16: 'process.pid' must be an integer" },
		{ "event: {type: exec}\ndns: {id: 3}\n",
		  "test.yaml:2:6: 'dns' does not apply to exec events" },
		{ "process: {pid: 3}\n",
		  "event.type is required" },
		{ "event: {type: bogus}\n", "test.yaml:1:15: bad value for 'event.type'" },
		{ "event: {type: ptrace}\nptrace: {request: PTRACE_NOPE}\n",
		  "'ptrace.request' must be an integer or a constant name" },
		{ "event: {type: exec}\nprocess: {pid: 99999999999}\n",
		  "out of range" },
		{ "event: {type: exec}\nexec: {pid: 1}\n",
		  "is computed from other fields" },
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vigil_doc doc;

		vigil_buf_reset(&f->err);
		vigil_arena_reset(&f->b);
		vigil_event_init(&f->out, &f->b);
		assert_int_equal(vigil_doc_load_yaml("test.yaml", cases[i].yaml,
						     strlen(cases[i].yaml), &doc,
						     &f->err),
				 0);
		assert_int_equal(vigil_event_from_node(doc.root, &f->out,
						       &f->err),
				 -EINVAL);
		if (!strstr(vigil_buf_cstr(&f->err), cases[i].says))
			fail_msg("case %zu: got \"%s\", want \"%s\"", i,
				 vigil_buf_cstr(&f->err), cases[i].says);
		vigil_doc_free(&doc);
	}
}

static void test_codec_constant_names_decode_to_values(void **state)
{
	struct fixture *f = *state;
	static const char y[] =
		"event: {type: ptrace}\nptrace: {request: PTRACE_ATTACH, tracee: {pid: 5}}\n";
	struct vigil_doc doc;

	assert_int_equal(vigil_doc_load_yaml("t", y, strlen(y), &doc, &f->err),
			 0);
	assert_int_equal(vigil_event_from_node(doc.root, &f->out, &f->err), 0);
	assert_int_equal(f->out.u.kernel.request, PTRACE_ATTACH);
	assert_non_null(f->out.u.kernel.target);
	assert_int_equal(f->out.u.kernel.target->pid, 5);
	vigil_doc_free(&doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_codec_msgpack_round_trip_keeps_hostile_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_codec_json_round_trip_keeps_hostile_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_codec_json_nests_by_field_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_codec_invalid_utf8_is_escaped_as_surrogates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_codec_signal_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_codec_dns_file_kernel_parts_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_codec_truncated_and_random_msgpack_is_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_codec_node_errors_point_at_the_field, setup, teardown),
		cmocka_unit_test_setup_teardown(test_codec_constant_names_decode_to_values, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
