/*
 * test_fim_fanotify_parse.c - the fanotify buffer walk: well-formed
 * DFID_NAME + FID events, and every length field lying.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <fcntl.h>

#include <cmocka.h>

#include "fim/fanotify_parse.h"

/* Appends one fid record (type, fsid, handle of hb bytes, name). */
static size_t put_fid(unsigned char *p, uint8_t type, unsigned hb,
		      const char *name)
{
	struct fanotify_event_info_fid info;
	struct file_handle fh;
	size_t n = sizeof(info) + sizeof(fh) + hb +
		   (name ? strlen(name) + 1 : 0);
	size_t padded = (n + 7) & ~(size_t)7;

	memset(p, 0, padded);
	memset(&info, 0, sizeof(info));
	info.hdr.info_type = type;
	info.hdr.len = (uint16_t)padded;
	memset(&info.fsid, 0x11, sizeof(info.fsid));
	memcpy(p, &info, sizeof(info));
	fh.handle_bytes = hb;
	fh.handle_type = 1;
	memcpy(p + sizeof(info), &fh, sizeof(fh));
	memset(p + sizeof(info) + sizeof(fh), 0xab, hb);
	if (name)
		memcpy(p + sizeof(info) + sizeof(fh) + hb, name,
		       strlen(name) + 1);
	return padded;
}

static size_t put_event(unsigned char *buf, uint64_t mask, int32_t pid,
			const char *name)
{
	struct fanotify_event_metadata m = {
		.vers = FANOTIFY_METADATA_VERSION,
		.metadata_len = FAN_EVENT_METADATA_LEN,
		.mask = mask, .fd = FAN_NOFD, .pid = pid,
	};
	size_t n = sizeof(m);

	n += put_fid(buf + n, FAN_EVENT_INFO_TYPE_DFID_NAME, 8, name);
	n += put_fid(buf + n, FAN_EVENT_INFO_TYPE_FID, 8, NULL);
	m.event_len = (uint32_t)n;
	memcpy(buf, &m, sizeof(m));
	return n;
}

static void test_fanotify_parse_reads_dfid_name_and_fid(void **state)
{
	unsigned char buf[1024];
	struct vigil_fan_event ev;
	size_t len = 0, off = 0;

	(void)state;
	len += put_event(buf, FAN_CREATE, 1234, "passwd");
	len += put_event(buf + len, FAN_MODIFY, 99, "shadow");
	assert_int_equal(vigil_fan_next(buf, len, &off, &ev), 1);
	assert_true(ev.mask == FAN_CREATE);
	assert_int_equal(ev.pid, 1234);
	assert_true(ev.has_dfid && ev.has_fid);
	assert_string_equal(ev.dfid.name, "passwd");
	assert_int_equal(ev.dfid.name_len, 6);
	assert_int_equal(ev.fid.key_len, 8 + sizeof(struct file_handle) + 8);
	assert_int_equal(vigil_fan_next(buf, len, &off, &ev), 1);
	assert_string_equal(ev.dfid.name, "shadow");
	assert_int_equal(vigil_fan_next(buf, len, &off, &ev), 0);
}

static void test_fanotify_parse_refuses_lying_lengths(void **state)
{
	unsigned char buf[512], bad[512];
	struct fanotify_event_metadata m;
	struct vigil_fan_event ev;
	size_t len, off;
	struct file_handle fh;
	size_t fh_off = sizeof(m) + sizeof(struct fanotify_event_info_fid);

	(void)state;
	len = put_event(buf, FAN_CREATE, 1, "x");

	/* event_len beyond the buffer: the rest is not trusted. */
	memcpy(bad, buf, len);
	memcpy(&m, bad, sizeof(m));
	m.event_len = (uint32_t)len + 8;
	memcpy(bad, &m, sizeof(m));
	off = 0;
	assert_int_equal(vigil_fan_next(bad, len, &off, &ev), -EINVAL);
	assert_int_equal(off, len);

	/* event_len shorter than the metadata. */
	m.event_len = 4;
	memcpy(bad, &m, sizeof(m));
	off = 0;
	assert_int_equal(vigil_fan_next(bad, len, &off, &ev), -EINVAL);

	/* Wrong version: skipped, the next event is still read. */
	memcpy(bad, buf, len);
	memcpy(bad + len, buf, len);
	memcpy(&m, bad, sizeof(m));
	m.vers = 2;
	memcpy(bad, &m, sizeof(m));
	off = 0;
	assert_int_equal(vigil_fan_next(bad, 2 * len, &off, &ev), -EINVAL);
	assert_int_equal(off, len);
	assert_int_equal(vigil_fan_next(bad, 2 * len, &off, &ev), 1);

	/* handle_bytes larger than the record. */
	memcpy(bad, buf, len);
	memcpy(&fh, bad + fh_off, sizeof(fh));
	fh.handle_bytes = 200;
	memcpy(bad + fh_off, &fh, sizeof(fh));
	off = 0;
	assert_int_equal(vigil_fan_next(bad, len, &off, &ev), -EINVAL);

	/* Name without its NUL (record cut right after the handle). */
	memcpy(bad, buf, len);
	{
		struct fanotify_event_info_header h;

		memcpy(&h, bad + sizeof(m), sizeof(h));
		h.len = (uint16_t)(sizeof(struct fanotify_event_info_fid) +
				   sizeof(fh) + 8);
		memcpy(bad + sizeof(m), &h, sizeof(h));
	}
	off = 0;
	assert_int_equal(vigil_fan_next(bad, len, &off, &ev), -EINVAL);

	/* An info header with len 0 would loop forever. */
	memcpy(bad, buf, len);
	memset(bad + sizeof(m) + 2, 0, 2);
	off = 0;
	assert_int_equal(vigil_fan_next(bad, len, &off, &ev), -EINVAL);

	/* A buffer shorter than one metadata block. */
	off = 0;
	assert_int_equal(vigil_fan_next(buf, 10, &off, &ev), -EINVAL);
	assert_int_equal(off, 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fanotify_parse_reads_dfid_name_and_fid),
		cmocka_unit_test(test_fanotify_parse_refuses_lying_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
