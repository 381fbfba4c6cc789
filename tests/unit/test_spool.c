/*
 * test_spool - the forwarders' disk spool keeps every record it accepted,
 * in order, across restarts and kill -9; cuts torn and corrupt records and
 * counts them; stays within its size bound with the configured policy.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "spool.h"

struct fixture {
	char dir[64];
	struct vigil_spool_opts o;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/vigil-test-spoolXXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	f->o.dir = f->dir;
	f->o.max_bytes = 1 << 20;
	f->o.segment_bytes = 4096;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd))
		return -1;
	free(f);
	return 0;
}

/* Record i is "rec-<i>" padded with its own digits to a varying length. */
static size_t make_rec(unsigned i, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "rec-%08u-", i);

	for (unsigned k = 0; k < i % 37 && (size_t)n + 1 < cap; k++)
		buf[n++] = (char)('a' + (i + k) % 26);
	return (size_t)n;
}

static void append_range(struct vigil_spool *s, unsigned from, unsigned to)
{
	char buf[128];

	for (unsigned i = from; i < to; i++)
		assert_int_equal(vigil_spool_append(s, buf,
						    make_rec(i, buf,
							     sizeof(buf))),
				 0);
}

/* Reads records and checks they are from..to-1 in order, then no more. */
static void expect_range(struct vigil_spool *s, unsigned from, unsigned to)
{
	char want[128];
	const void *d;
	size_t len;

	for (unsigned i = from; i < to; i++) {
		size_t wl = make_rec(i, want, sizeof(want));
		int rc = vigil_spool_next(s, &d, &len);

		if (rc)
			fail_msg("record %u: next() = %d", i, rc);
		if (len != wl || memcmp(d, want, wl))
			fail_msg("record %u: got '%.*s'", i, (int)len,
				 (const char *)d);
	}
	assert_int_equal(vigil_spool_next(s, &d, &len), -ENODATA);
}

static struct vigil_spool *open_ok(struct fixture *f)
{
	struct vigil_spool *s = NULL;

	assert_int_equal(vigil_spool_open(&f->o, &s), 0);
	return s;
}

static void test_spool_replays_every_record_in_order_after_reopen(void **state)
{
	struct fixture *f = *state;
	struct vigil_spool *s = open_ok(f);
	struct vigil_spool_stats st;

	append_range(s, 0, 2000);
	expect_range(s, 0, 2000);
	vigil_spool_close(s);
	s = open_ok(f);
	vigil_spool_get_stats(s, &st);
	assert_int_equal(st.pending, 2000);
	assert_true(st.segments > 10); /* 4 KiB segments */
	assert_int_equal(st.torn + st.corrupt, 0);
	expect_range(s, 0, 2000);
	vigil_spool_close(s);
}

static void test_spool_commit_is_durable_and_frees_segments(void **state)
{
	struct fixture *f = *state;
	struct vigil_spool *s = open_ok(f);
	struct vigil_spool_pos pos;
	struct vigil_spool_stats before, after;
	const void *d;
	size_t len;

	append_range(s, 0, 1000);
	vigil_spool_get_stats(s, &before);
	for (int i = 0; i < 700; i++)
		assert_int_equal(vigil_spool_next(s, &d, &len), 0);
	vigil_spool_tell(s, &pos);
	assert_int_equal(vigil_spool_commit(s, &pos), 0);
	vigil_spool_get_stats(s, &after);
	assert_int_equal(after.pending, 300);
	assert_true(after.bytes < before.bytes / 2);
	/* the reader goes on where it was */
	expect_range(s, 700, 1000);
	vigil_spool_close(s);

	s = open_ok(f);
	vigil_spool_get_stats(s, &after);
	assert_int_equal(after.pending, 300);
	expect_range(s, 700, 1000);
	vigil_spool_close(s);
}

static void test_spool_rewind_resends_what_was_not_committed(void **state)
{
	struct fixture *f = *state;
	struct vigil_spool *s = open_ok(f);
	struct vigil_spool_pos p100, p300;
	const void *d;
	size_t len;

	append_range(s, 0, 500);
	for (int i = 0; i < 100; i++)
		assert_int_equal(vigil_spool_next(s, &d, &len), 0);
	vigil_spool_tell(s, &p100);
	for (int i = 0; i < 200; i++)
		assert_int_equal(vigil_spool_next(s, &d, &len), 0);
	vigil_spool_tell(s, &p300);
	/* the first chunk is acknowledged, the second is lost with its
	 * connection: rewind goes back to 100, not to 0 or 300 */
	assert_int_equal(vigil_spool_commit(s, &p100), 0);
	vigil_spool_rewind(s);
	expect_range(s, 100, 500);
	/* a late acknowledgement of an older position changes nothing */
	assert_int_equal(vigil_spool_commit(s, &p300), 0);
	assert_int_equal(vigil_spool_commit(s, &p100), 0);
	vigil_spool_rewind(s);
	expect_range(s, 300, 500);
	vigil_spool_close(s);
}

static void test_spool_second_open_of_same_dir_is_busy(void **state)
{
	struct fixture *f = *state;
	struct vigil_spool *s = open_ok(f), *t = NULL;

	assert_int_equal(vigil_spool_open(&f->o, &t), -EBUSY);
	assert_null(t);
	vigil_spool_close(s);
}

/* Path of the oldest ("head") or newest ("tail") segment file. */
static void segment_file(struct fixture *f, const char *end, char *out,
			 size_t n)
{
	char cmd[200];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls %s/*.seg | sort | %s -n 1", f->dir, end);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(out, (int)n, p));
	out[strcspn(out, "\n")] = '\0';
	pclose(p);
}

static void newest_segment(struct fixture *f, char *out, size_t n)
{
	segment_file(f, "tail", out, n);
}

static void test_spool_truncates_torn_last_record_and_counts_it(void **state)
{
	struct fixture *f = *state;
	struct vigil_spool *s = open_ok(f);
	struct vigil_spool_stats st;
	char seg[256];
	struct stat sb;

	f->o.segment_bytes = 1 << 20;
	vigil_spool_close(s);
	s = open_ok(f);
	append_range(s, 0, 50);
	vigil_spool_close(s);
	newest_segment(f, seg, sizeof(seg));
	assert_int_equal(stat(seg, &sb), 0);
	/* a crash in the middle of the last write */
	assert_int_equal(truncate(seg, sb.st_size - 3), 0);
	s = open_ok(f);
	vigil_spool_get_stats(s, &st);
	assert_int_equal(st.torn, 1);
	assert_int_equal(st.pending, 49);
	/* new records follow the good ones on a clean boundary */
	append_range(s, 49, 60);
	expect_range(s, 0, 60);
	vigil_spool_close(s);
	s = open_ok(f);
	vigil_spool_get_stats(s, &st);
	assert_int_equal(st.torn, 0);
	expect_range(s, 0, 60);
	vigil_spool_close(s);
}

static void test_spool_cuts_corrupt_record_in_older_segment(void **state)
{
	struct fixture *f = *state;
	struct vigil_spool *s = open_ok(f);
	struct vigil_spool_stats st;
	char cmd[256], first[256];
	FILE *p;
	int fd;
	const void *d;
	size_t len;
	unsigned n = 0;

	append_range(s, 0, 500);
	vigil_spool_close(s);
	snprintf(cmd, sizeof(cmd), "ls %s/*.seg | sort | head -n 1", f->dir);
	p = popen(cmd, "r");
	assert_non_null(fgets(first, sizeof(first), p));
	pclose(p);
	first[strcspn(first, "\n")] = '\0';
	/* flip a payload byte well inside the first segment */
	fd = open(first, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "#", 1, 2000), 1);
	close(fd);
	s = open_ok(f);
	vigil_spool_get_stats(s, &st);
	assert_int_equal(st.corrupt, 1);
	/* records before the damage, then the later segments, in order */
	while (vigil_spool_next(s, &d, &len) == 0) {
		char want[128];
		size_t wl;

		while (n < 500 && (wl = make_rec(n, want, sizeof(want)),
				   len != wl || memcmp(d, want, wl)))
			n++;
		assert_true(n < 500);
		n++;
	}
	assert_int_equal(n, 500); /* the last record survived */
	assert_true(st.pending > 400 && st.pending < 500);
	vigil_spool_close(s);
}

static void oldest_segment(struct fixture *f, char *out, size_t n)
{
	segment_file(f, "head", out, n);
}

/*
 * Issue 22 M5: one flipped byte used to cut the rest of its segment (34 of
 * 200 records).  Now exactly the damaged record is lost, the segment is
 * rewritten clean and the damaged file kept beside it as .bad.
 */
static void test_spool_flipped_byte_loses_one_record_only(void **state)
{
	struct fixture *f = *state;
	struct vigil_spool *s = open_ok(f);
	struct vigil_spool_stats st;
	char first[256], bad[300], want[128];
	const void *d;
	size_t len, wl;
	unsigned n = 0, got = 0, lost = 0;
	struct stat sb;
	int fd;

	append_range(s, 0, 200);
	vigil_spool_close(s);
	oldest_segment(f, first, sizeof(first));
	fd = open(first, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "#", 1, 1000), 1);
	close(fd);
	s = open_ok(f);
	vigil_spool_get_stats(s, &st);
	assert_int_equal(st.corrupt, 1);
	assert_int_equal(st.bad_segments, 1);
	assert_int_equal(st.pending, 199);
	while (vigil_spool_next(s, &d, &len) == 0) {
		while (wl = make_rec(n, want, sizeof(want)),
		       len != wl || memcmp(d, want, wl)) {
			lost++;
			n++;
			assert_true(n < 200);
		}
		n++;
		got++;
	}
	assert_int_equal(got, 199);
	assert_int_equal(lost, 1);
	snprintf(bad, sizeof(bad), "%s.bad", first);
	assert_int_equal(stat(bad, &sb), 0);
	vigil_spool_close(s);
	/* the rewritten segment is clean: nothing more is counted or lost */
	s = open_ok(f);
	vigil_spool_get_stats(s, &st);
	assert_int_equal(st.corrupt, 0);
	assert_int_equal(st.pending, 199);
	vigil_spool_close(s);
}

/* A zeroed stretch (a crash) in an older segment: records after it live. */
static void test_spool_zeroed_block_is_skipped(void **state)
{
	struct fixture *f = *state;
	struct vigil_spool *s = open_ok(f);
	struct vigil_spool_stats st;
	char first[256], zeros[600] = { 0 };
	int fd;

	append_range(s, 0, 200);
	vigil_spool_close(s);
	oldest_segment(f, first, sizeof(first));
	fd = open(first, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, zeros, sizeof(zeros), 900),
			 (ssize_t)sizeof(zeros));
	close(fd);
	s = open_ok(f);
	vigil_spool_get_stats(s, &st);
	assert_int_equal(st.corrupt, 1);
	/* 600 bytes hold at most 600 / (8 + 11) whole or partial records */
	assert_true(st.pending >= 200 - 600 / 19 - 2 && st.pending < 200);
	vigil_spool_close(s);
}

static bool running_under_asan(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	return true;
#else
	return false;
#endif
#else
	return false;
#endif
}

/*
 * A segment claiming 64 GiB (sparse) used to be read whole into memory
 * (ENOMEM, and vigild exited).  Opened under a 512 MiB address-space
 * limit, it must open and keep every record before the damage.
 */
static void test_spool_huge_sparse_segment_opens_in_bounded_memory(void **state)
{
	struct fixture *f = *state;
	struct vigil_spool *s = open_ok(f);
	char last[256];
	pid_t pid;
	int status;

	append_range(s, 0, 100);
	vigil_spool_close(s);
	newest_segment(f, last, sizeof(last));
	if (truncate(last, (off_t)64 << 30))
		skip(); /* a file system without sparse files */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct vigil_spool_stats st;
		struct vigil_spool *c = NULL;
		/* AddressSanitizer reserves terabytes of shadow address
		 * space: the limit only applies without it */
		if (!running_under_asan()) {
			struct rlimit rl = { 512u << 20, 512u << 20 };

			setrlimit(RLIMIT_AS, &rl);
		}
		if (vigil_spool_open(&f->o, &c))
			_exit(2);
		vigil_spool_get_stats(c, &st);
		_exit(st.pending == 100 ? 0 : 3);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_spool_drop_oldest_stays_bounded_and_counts(void **state)
{
	struct fixture *f = *state;
	struct vigil_spool *s;
	struct vigil_spool_stats st;
	const void *d;
	size_t len;
	char want[128];

	f->o.max_bytes = 32 * 1024;
	f->o.full_policy = VIGIL_SPOOL_DROP_OLDEST;
	s = open_ok(f);
	append_range(s, 0, 5000);
	vigil_spool_get_stats(s, &st);
	assert_true(st.bytes <= 32 * 1024);
	assert_true(st.dropped_full > 4000);
	assert_int_equal(st.dropped_full + st.pending, 5000);
	/* what is left is the newest, in order, ending with the last */
	assert_int_equal(vigil_spool_next(s, &d, &len), 0);
	memcpy(want, d, len < sizeof(want) ? len : sizeof(want) - 1);
	want[len < sizeof(want) ? len : sizeof(want) - 1] = '\0';
	expect_range(s, (unsigned)strtoul(want + 4, NULL, 10) + 1, 5000);
	assert_int_equal(5000 - strtoul(want + 4, NULL, 10), st.pending);
	vigil_spool_close(s);
	s = open_ok(f);
	vigil_spool_get_stats(s, &st);
	assert_int_equal(st.dropped_full, 0); /* counted per run */
	assert_true(st.pending > 0 && st.pending < 1000);
	vigil_spool_close(s);
}

/*
 * Appends n numbered records to s under a full policy that refuses:
 * counts in *accepted those taken (numbered from 0 on) and in *refused
 * those refused with -ENOSPC; any other error fails the test.
 */
static void append_counting(struct vigil_spool *s, unsigned n,
			    unsigned *accepted, unsigned *refused)
{
	char buf[128];

	for (unsigned i = 0; i < n; i++) {
		int rc = vigil_spool_append(s, buf,
					    make_rec(*accepted, buf,
						     sizeof(buf)));

		if (rc == 0)
			(*accepted)++;
		else if (rc == -ENOSPC)
			(*refused)++;
		else
			fail_msg("append: %d", rc);
	}
}

static void test_spool_drop_newest_refuses_and_counts(void **state)
{
	struct fixture *f = *state;
	struct vigil_spool *s;
	struct vigil_spool_stats st;
	unsigned accepted = 0, refused = 0;

	f->o.max_bytes = 32 * 1024;
	f->o.full_policy = VIGIL_SPOOL_DROP_NEWEST;
	s = open_ok(f);
	append_counting(s, 5000, &accepted, &refused);
	vigil_spool_get_stats(s, &st);
	assert_int_equal(st.dropped_full, refused);
	assert_true(st.bytes <= 32 * 1024);
	/* the oldest are all there */
	expect_range(s, 0, accepted);
	vigil_spool_close(s);
}

static void test_spool_refuses_oversized_record(void **state)
{
	struct fixture *f = *state;
	struct vigil_spool *s;
	static char big[64 * 1024];

	f->o.max_bytes = 32 * 1024;
	s = open_ok(f);
	assert_int_equal(vigil_spool_append(s, big, sizeof(big)), -EMSGSIZE);
	vigil_spool_close(s);
}

static void test_spool_damaged_ack_file_replays_from_start(void **state)
{
	struct fixture *f = *state;
	struct vigil_spool *s = open_ok(f);
	struct vigil_spool_pos pos;
	const void *d;
	size_t len;
	char path[128];
	int fd;

	f->o.segment_bytes = 1 << 20; /* one segment: nothing is freed */
	vigil_spool_close(s);
	s = open_ok(f);
	append_range(s, 0, 100);
	for (int i = 0; i < 60; i++)
		assert_int_equal(vigil_spool_next(s, &d, &len), 0);
	vigil_spool_tell(s, &pos);
	assert_int_equal(vigil_spool_commit(s, &pos), 0);
	vigil_spool_close(s);
	snprintf(path, sizeof(path), "%s/ack", f->dir);
	fd = open(path, O_RDWR);
	assert_int_equal(pwrite(fd, "\xff", 1, 9), 1);
	close(fd);
	/* sending twice is better than losing: start over */
	s = open_ok(f);
	expect_range(s, 0, 100);
	vigil_spool_close(s);
}

/*
 * The child appends numbered records as fast as it can, reading and
 * committing behind itself, and reports each append on a pipe; the parent
 * kills it with SIGKILL in the middle.  After reopening, every record the
 * child reported must come out exactly once, in order, starting right
 * after the last commit, and nothing may follow but at most the one record
 * that was being written.
 */
static void test_spool_kill9_mid_burst_replays_each_record_once(void **state)
{
	struct fixture *f = *state;
	int pfd[2];
	pid_t pid;
	unsigned last = 0, got = 0, v, committed_max = 0;
	struct vigil_spool *s;
	const void *d;
	size_t len;
	char want[128];
	int status;

	for (int round = 0; round < 5; round++) {
		unsigned start = got;

		assert_int_equal(pipe(pfd), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct vigil_spool *c;
			struct vigil_spool_pos pos;
			char buf[128];

			close(pfd[0]);
			if (vigil_spool_open(&f->o, &c))
				_exit(2);
			for (unsigned i = start;; i++) {
				unsigned msg[2];

				if (vigil_spool_append(c, buf,
						       make_rec(i, buf,
								sizeof(buf))))
					_exit(3);
				msg[0] = i;
				msg[1] = 0;
				/* commit some, lagging behind the writer */
				if (i % 64 == 0) {
					const void *rd;
					size_t rl;

					while (vigil_spool_next(c, &rd, &rl) ==
					       0)
						;
					vigil_spool_tell(c, &pos);
					if (vigil_spool_commit(c, &pos))
						_exit(4);
					msg[1] = 1;
				}
				if (write(pfd[1], msg, sizeof(msg)) !=
				    sizeof(msg))
					_exit(5);
			}
		}
		close(pfd[1]);
		{
			unsigned msg[2], n = 0;
			unsigned target = 2000 + 777 * (unsigned)round;

			while (n < target &&
			       read(pfd[0], msg, sizeof(msg)) == sizeof(msg)) {
				last = msg[0];
				if (msg[1])
					committed_max = msg[0] + 1;
				n++;
			}
			kill(pid, SIGKILL);
			/* what the child reported before dying counts */
			while (read(pfd[0], msg, sizeof(msg)) == sizeof(msg)) {
				last = msg[0];
				if (msg[1])
					committed_max = msg[0] + 1;
			}
		}
		close(pfd[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));

		/* replay: from the last commit, every reported record once */
		s = open_ok(f);
		/* the child may have died between a commit and its report:
		 * the replay starts at the reported commit or the next one */
		if (vigil_spool_next(s, &d, &len) == -ENODATA) {
			/* all committed: the last report was a commit, or
			 * the record after it was appended and committed */
			assert_true(committed_max == last + 1 ||
				    (last + 1) % 64 == 0);
			vigil_spool_close(s);
			got = last + 2;
			continue;
		}
		assert_true(len > 4);
		memcpy(want, d, len < sizeof(want) ? len : sizeof(want) - 1);
		want[len < sizeof(want) ? len : sizeof(want) - 1] = '\0';
		v = (unsigned)strtoul(want + 4, NULL, 10);
		assert_true(v >= committed_max && v <= committed_max + 64);
		vigil_spool_rewind(s);
		for (; v <= last; v++) {
			size_t wl = make_rec(v, want, sizeof(want));

			if (vigil_spool_next(s, &d, &len))
				fail_msg("round %d: record %u missing", round,
					 v);
			if (len != wl || memcmp(d, want, wl))
				fail_msg("round %d: record %u: got '%.*s'",
					 round, v, (int)len, (const char *)d);
		}
		/* at most the record in flight when it died */
		if (vigil_spool_next(s, &d, &len) == 0) {
			size_t wl = make_rec(last + 1, want, sizeof(want));

			assert_true(len == wl && !memcmp(d, want, wl));
			last++;
			assert_int_equal(vigil_spool_next(s, &d, &len),
					 -ENODATA);
		}
		vigil_spool_close(s);
		got = last + 1;
	}
}

static void test_spool_scan_rejects_hostile_headers(void **state)
{
	uint8_t buf[64] = { 0 };
	size_t valid;
	uint64_t n;
	size_t h = vigil_spool_seg_hdr_size();

	assert_int_equal(vigil_spool_scan(buf, 0, &valid, &n), -EAGAIN);
	assert_int_equal(vigil_spool_scan(buf, 4, &valid, &n), -EBADMSG);
	memcpy(buf, "VGLSPOOL", 8);
	buf[8] = 1;
	assert_int_equal(vigil_spool_scan(buf, h, &valid, &n), 0);
	assert_int_equal(valid, h);
	/* a length past the bound, then a length past the end */
	memset(buf + h, 0xff, 8);
	assert_int_equal(vigil_spool_scan(buf, h + 8, &valid, &n), -EBADMSG);
	assert_int_equal(valid, h);
	buf[h] = 40;
	buf[h + 1] = buf[h + 2] = buf[h + 3] = 0;
	assert_int_equal(vigil_spool_scan(buf, h + 12, &valid, &n), -EAGAIN);
	/* a whole record with a wrong CRC */
	assert_int_equal(vigil_spool_scan(buf, h + 48, &valid, &n), -EBADMSG);
	assert_int_equal(n, 0);
	buf[8] = 2; /* a version we do not know */
	assert_int_equal(vigil_spool_scan(buf, h, &valid, &n), -EBADMSG);
}

/* How many entries dir has besides . and .. */
static int dir_entries(const char *dir)
{
	char cmd[128];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", dir);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	pclose(p);
	return n;
}

static struct vigil_spool *open_memory_ok(struct fixture *f)
{
	struct vigil_spool *s = NULL;

	assert_int_equal(vigil_spool_open_memory(&f->o, &s), 0);
	assert_true(vigil_spool_in_memory(s));
	return s;
}

static void test_spool_memory_delivers_in_order_without_files(void **state)
{
	struct fixture *f = *state;
	struct vigil_spool *s;
	struct vigil_spool_pos pos;
	struct vigil_spool_stats st;
	const void *d;
	size_t len;

	f->o.segment_bytes = 64 * 1024;
	s = open_memory_ok(f);
	append_range(s, 0, 300);
	/* 0..99 delivered, 100..199 sent and lost: resent after a rewind */
	for (int i = 0; i < 100; i++)
		assert_int_equal(vigil_spool_next(s, &d, &len), 0);
	vigil_spool_tell(s, &pos);
	assert_int_equal(vigil_spool_commit(s, &pos), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(vigil_spool_next(s, &d, &len), 0);
	vigil_spool_rewind(s);
	expect_range(s, 100, 300);
	vigil_spool_tell(s, &pos);
	assert_int_equal(vigil_spool_commit(s, &pos), 0);
	/* many rounds through the same memory, committed as they go */
	for (unsigned r = 0; r < 50; r++) {
		append_range(s, 300 + r * 200, 500 + r * 200);
		expect_range(s, 300 + r * 200, 500 + r * 200);
		vigil_spool_tell(s, &pos);
		assert_int_equal(vigil_spool_commit(s, &pos), 0);
	}
	vigil_spool_get_stats(s, &st);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.dropped_full, 0);
	assert_int_equal(st.appended, 300 + 50 * 200);
	assert_int_equal(vigil_spool_sync(s), 0);
	vigil_spool_close(s);
	assert_int_equal(dir_entries(f->dir), 0);
}

static void test_spool_memory_drop_oldest_stays_bounded(void **state)
{
	struct fixture *f = *state;
	struct vigil_spool *s;
	struct vigil_spool_stats st;
	const void *d;
	size_t len;
	char want[128];

	f->o.segment_bytes = 8192;
	f->o.full_policy = VIGIL_SPOOL_DROP_OLDEST;
	s = open_memory_ok(f);
	/* one read in flight when its record is dropped */
	append_range(s, 0, 1);
	assert_int_equal(vigil_spool_next(s, &d, &len), 0);
	append_range(s, 1, 5000);
	vigil_spool_get_stats(s, &st);
	assert_true(st.bytes <= 8192);
	assert_true(st.dropped_full > 4500);
	assert_int_equal(st.dropped_full + st.pending, 5000);
	/* the newest are left, in order, ending with the last */
	assert_int_equal(vigil_spool_next(s, &d, &len), 0);
	memcpy(want, d, len < sizeof(want) ? len : sizeof(want) - 1);
	want[len < sizeof(want) ? len : sizeof(want) - 1] = '\0';
	expect_range(s, (unsigned)strtoul(want + 4, NULL, 10) + 1, 5000);
	assert_int_equal(5000 - strtoul(want + 4, NULL, 10), st.pending);
	vigil_spool_close(s);
}

static void test_spool_memory_drop_newest_refuses(void **state)
{
	struct fixture *f = *state;
	struct vigil_spool *s;
	struct vigil_spool_stats st;
	unsigned accepted = 0, refused = 0;

	f->o.segment_bytes = 8192;
	f->o.full_policy = VIGIL_SPOOL_DROP_NEWEST;
	s = open_memory_ok(f);
	append_counting(s, 1000, &accepted, &refused);
	vigil_spool_get_stats(s, &st);
	assert_true(refused > 0 && accepted > 0);
	assert_int_equal(st.dropped_full, refused);
	assert_true(st.bytes <= 8192);
	expect_range(s, 0, accepted);
	vigil_spool_close(s);
}

static void test_spool_move_waits_for_flight_then_keeps_order(void **state)
{
	struct fixture *f = *state;
	struct vigil_spool *mem, *disk;
	struct vigil_spool_pos delivered, stale;
	struct vigil_spool_stats st;
	uint64_t moved = 99;
	const void *d;
	size_t len;

	f->o.segment_bytes = 64 * 1024;
	mem = open_memory_ok(f);
	append_range(mem, 0, 100);
	for (int i = 0; i < 10; i++)
		assert_int_equal(vigil_spool_next(mem, &d, &len), 0);
	vigil_spool_tell(mem, &delivered);
	assert_int_equal(vigil_spool_commit(mem, &delivered), 0);
	/* 10..19 in flight: not moved, and no more handed out meanwhile */
	for (int i = 0; i < 10; i++)
		assert_int_equal(vigil_spool_next(mem, &d, &len), 0);
	vigil_spool_tell(mem, &stale);
	disk = open_ok(f);
	assert_int_equal(vigil_spool_move(mem, disk, &moved), -EBUSY);
	assert_int_equal(moved, 0);
	vigil_spool_hold(mem, true);
	assert_int_equal(vigil_spool_next(mem, &d, &len), -ENODATA);
	/* the connection failed: they go back */
	vigil_spool_rewind(mem);
	assert_int_equal(vigil_spool_move(mem, disk, &moved), 0);
	assert_int_equal(moved, 90);
	vigil_spool_get_stats(mem, &st);
	assert_int_equal(st.pending, 0);
	vigil_spool_close(mem);
	/* a late commit of a memory position changes nothing on disk */
	assert_int_equal(vigil_spool_commit(disk, &stale), 0);
	expect_range(disk, 10, 100);
	vigil_spool_close(disk);
	/* and they are on disk, for the next start */
	disk = open_ok(f);
	expect_range(disk, 10, 100);
	vigil_spool_close(disk);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_spool_replays_every_record_in_order_after_reopen),
		T(test_spool_commit_is_durable_and_frees_segments),
		T(test_spool_rewind_resends_what_was_not_committed),
		T(test_spool_second_open_of_same_dir_is_busy),
		T(test_spool_truncates_torn_last_record_and_counts_it),
		T(test_spool_flipped_byte_loses_one_record_only),
		T(test_spool_zeroed_block_is_skipped),
		T(test_spool_huge_sparse_segment_opens_in_bounded_memory),
		T(test_spool_cuts_corrupt_record_in_older_segment),
		T(test_spool_drop_oldest_stays_bounded_and_counts),
		T(test_spool_drop_newest_refuses_and_counts),
		T(test_spool_refuses_oversized_record),
		T(test_spool_damaged_ack_file_replays_from_start),
		T(test_spool_kill9_mid_burst_replays_each_record_once),
		T(test_spool_memory_delivers_in_order_without_files),
		T(test_spool_memory_drop_oldest_stays_bounded),
		T(test_spool_memory_drop_newest_refuses),
		T(test_spool_move_waits_for_flight_then_keeps_order),
		cmocka_unit_test(test_spool_scan_rejects_hostile_headers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
