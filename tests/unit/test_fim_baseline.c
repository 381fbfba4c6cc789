/*
 * test_fim_baseline.c - the baseline store and its comparison: what
 * `fim check` reports, and that a damaged or hostile baseline file is an
 * error with a line number, never a crash.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fim/fim.h"

static struct vigil_fim_attr file_attr(uint64_t ino, char hashc)
{
	struct vigil_fim_attr a = { .ino = ino, .dev = 2049, .size = 12,
				    .mtime_ns = 1700000000123456789LL,
				    .mode = S_IFREG | 0644, .has_hash = true };

	memset(a.sha256, hashc, VIGIL_FIM_SHA256_HEX);
	a.sha256[VIGIL_FIM_SHA256_HEX] = '\0';
	return a;
}

struct seen {
	int change[8];
	char path[8][64];
	unsigned diff[8];
	int n;
};

static void record(int change, const char *path,
		   const struct vigil_fim_attr *old,
		   const struct vigil_fim_attr *now, unsigned diff, void *arg)
{
	struct seen *s = arg;

	(void)old;
	(void)now;
	assert_true(s->n < 8);
	s->change[s->n] = change;
	snprintf(s->path[s->n], sizeof(s->path[0]), "%s", path);
	s->diff[s->n] = diff;
	s->n++;
}

static void test_fim_baseline_diff_reports_added_removed_changed(void **state)
{
	struct vigil_fim_baseline old, now;
	struct vigil_fim_attr a = file_attr(1, 'a');
	struct vigil_fim_attr d = { .ino = 9, .mode = S_IFDIR | 0755,
				    .size = 4096, .mtime_ns = 1 };
	struct seen s = { 0 };

	(void)state;
	vigil_fim_baseline_init(&old);
	vigil_fim_baseline_init(&now);
	assert_int_equal(vigil_fim_baseline_add(&old, "/etc", &d), 0);
	assert_int_equal(vigil_fim_baseline_add(&old, "/etc/shadow", &a), 0);
	assert_int_equal(vigil_fim_baseline_add(&old, "/etc/gone", &a), 0);
	assert_int_equal(vigil_fim_baseline_add(&old, "/etc/same", &a), 0);
	d.mtime_ns = 2; /* a directory's mtime moves with its entries */
	d.size = 8192;
	assert_int_equal(vigil_fim_baseline_add(&now, "/etc", &d), 0);
	a = file_attr(1, 'b');
	a.mode = S_IFREG | 0666;
	assert_int_equal(vigil_fim_baseline_add(&now, "/etc/shadow", &a), 0);
	a = file_attr(1, 'a');
	assert_int_equal(vigil_fim_baseline_add(&now, "/etc/same", &a), 0);
	assert_int_equal(vigil_fim_baseline_add(&now, "/etc/new", &a), 0);
	vigil_fim_baseline_sort(&old);
	vigil_fim_baseline_sort(&now);
	assert_int_equal(vigil_fim_baseline_diff(&old, &now, record, &s), 3);
	assert_int_equal(s.change[0], VIGIL_FIM_REMOVED);
	assert_string_equal(s.path[0], "/etc/gone");
	assert_int_equal(s.change[1], VIGIL_FIM_ADDED);
	assert_string_equal(s.path[1], "/etc/new");
	assert_int_equal(s.change[2], VIGIL_FIM_CHANGED);
	assert_string_equal(s.path[2], "/etc/shadow");
	assert_int_equal(s.diff[2], VIGIL_FIM_DIFF_MODE | VIGIL_FIM_DIFF_HASH);
	vigil_fim_baseline_free(&old);
	vigil_fim_baseline_free(&now);
}

static void test_fim_baseline_roundtrips_odd_paths(void **state)
{
	struct vigil_fim_baseline b, back;
	struct vigil_fim_attr a = file_attr(77, 'c');
	struct vigil_buf err = { 0 };
	char dir[] = "/tmp/test_fim_baseline.XXXXXX", path[128];
	const struct vigil_fim_record *r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/baseline.db", dir);
	vigil_fim_baseline_init(&b);
	vigil_fim_baseline_init(&back);
	assert_int_equal(vigil_fim_baseline_add(&b, "/etc/with space\tand\ttab",
						&a), 0);
	assert_int_equal(vigil_fim_baseline_add(&b, "/etc/new\nline%25", &a), 0);
	assert_int_equal(vigil_fim_baseline_add(&b, "/etc/\xff\xfe", &a), 0);
	a.has_hash = false;
	assert_int_equal(vigil_fim_baseline_add(&b, "/etc/nohash", &a), 0);
	b.created_ns = 42;
	vigil_fim_baseline_sort(&b);
	assert_int_equal(vigil_fim_baseline_save(&b, path), 0);
	assert_int_equal(vigil_fim_baseline_load(&back, path, &err), 0);
	assert_int_equal(back.n, 4);
	assert_true(back.created_ns == 42);
	r = vigil_fim_baseline_find(&back, "/etc/new\nline%25");
	assert_non_null(r);
	assert_true(r->attr.ino == 77);
	assert_true(r->attr.mtime_ns == 1700000000123456789LL);
	assert_true(r->attr.has_hash);
	assert_non_null(vigil_fim_baseline_find(&back, "/etc/\xff\xfe"));
	r = vigil_fim_baseline_find(&back, "/etc/nohash");
	assert_non_null(r);
	assert_false(r->attr.has_hash);
	/* No temporary file is left behind. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	vigil_fim_baseline_free(&b);
	vigil_fim_baseline_free(&back);
	vigil_buf_free(&err);
}

/*
 * A symlink planted at the temporary name (predictable: path.tmp.PID) is
 * not followed: the file it points to keeps its content, and the
 * baseline is still saved.
 */
static void test_fim_baseline_save_does_not_follow_planted_symlink(void **state)
{
	struct vigil_fim_baseline b, back;
	struct vigil_fim_attr a = file_attr(5, 'd');
	struct vigil_buf err = { 0 };
	char dir[] = "/tmp/test_fim_baseline.XXXXXX", path[128], tmp[160],
	     victim[160], got[16] = { 0 };
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/baseline.db", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	f = fopen(victim, "w");
	assert_non_null(f);
	fputs("precious", f);
	fclose(f);
	assert_int_equal(symlink(victim, tmp), 0);
	vigil_fim_baseline_init(&b);
	vigil_fim_baseline_init(&back);
	assert_int_equal(vigil_fim_baseline_add(&b, "/etc/passwd", &a), 0);
	assert_int_equal(vigil_fim_baseline_save(&b, path), 0);
	f = fopen(victim, "r");
	assert_non_null(f);
	assert_non_null(fgets(got, sizeof(got), f));
	fclose(f);
	assert_string_equal(got, "precious");
	assert_int_equal(vigil_fim_baseline_load(&back, path, &err), 0);
	assert_int_equal(back.n, 1);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(unlink(victim), 0);
	assert_int_equal(rmdir(dir), 0);
	vigil_fim_baseline_free(&b);
	vigil_fim_baseline_free(&back);
	vigil_buf_free(&err);
}

/* Each of these must be refused with the line that is wrong. */
static void test_fim_baseline_parse_refuses_damaged_files(void **state)
{
	static const char hdr[] = "vigil-fim-baseline 1\t5\n";
	static const char good[] =
		"/a\t100644\t0\t0\t1\t2\t3\t4\t-\n";
	static const struct {
		const char *body;
		const char *why;
	} bad[] = {
		{ "/a\t100644\t0\t0\t1\t2\t3\t4\n", "9 tab-separated" },
		{ "/a\t100644\t0\t0\t1\t2\t3\t4\t-\textra\n", "more than 9" },
		{ "/a\t100948\t0\t0\t1\t2\t3\t4\t-\n", "bad mode" },
		{ "/a\t100644\t4294967296\t0\t1\t2\t3\t4\t-\n", "bad uid" },
		{ "/a\t100644\t0\t0\t-1\t2\t3\t4\t-\n", "bad size" },
		{ "/a\t100644\t0\t0\t1\t2\t3\t4\tabc\n", "bad sha256" },
		{ "a\t100644\t0\t0\t1\t2\t3\t4\t-\n", "absolute" },
		{ "/a%0\t100644\t0\t0\t1\t2\t3\t4\t-\n", "escape" },
		{ "/a%00b\t100644\t0\t0\t1\t2\t3\t4\t-\n", "escape" },
		{ "/b\t100644\t0\t0\t1\t2\t3\t4\t-\n"
		  "/a\t100644\t0\t0\t1\t2\t3\t4\t-\n", "out of order" },
		{ "/a\t100644\t0\t0\t1\t2\t3\t4\t-", "not terminated" },
		{ "/a\t100644\t0\t0\t99999999999999999999999\t2\t3\t4\t-\n",
		  "bad size" },
	};
	struct vigil_buf err = { 0 };
	struct vigil_fim_baseline b;
	char buf[512];

	(void)state;
	vigil_fim_baseline_init(&b);
	snprintf(buf, sizeof(buf), "%s%s", hdr, good);
	assert_int_equal(vigil_fim_baseline_parse(&b, "db", buf, strlen(buf),
						  &err), 0);
	assert_int_equal(b.n, 1);
	vigil_fim_baseline_free(&b);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vigil_buf_reset(&err);
		vigil_fim_baseline_init(&b);
		snprintf(buf, sizeof(buf), "%s%s", hdr, bad[i].body);
		assert_int_equal(vigil_fim_baseline_parse(&b, "db", buf,
							  strlen(buf), &err),
				 -EINVAL);
		if (!strstr(vigil_buf_cstr(&err), bad[i].why) ||
		    !strstr(vigil_buf_cstr(&err), "db:"))
			fail_msg("case %zu: '%s' lacks '%s'", i,
				 vigil_buf_cstr(&err), bad[i].why);
		vigil_fim_baseline_free(&b);
	}
	vigil_buf_reset(&err);
	vigil_fim_baseline_init(&b);
	assert_int_equal(vigil_fim_baseline_parse(&b, "db", "garbage\n", 8,
						  &err), -EINVAL);
	assert_non_null(strstr(vigil_buf_cstr(&err), "not a vigil FIM baseline"));
	vigil_fim_baseline_free(&b);
	vigil_buf_free(&err);
}

static void test_fim_hash_file_matches_known_digest(void **state)
{
	char path[] = "/tmp/test_fim_hash.XXXXXX";
	char hex[VIGIL_FIM_SHA256_HEX + 1];
	int64_t size = 0;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	assert_int_equal(vigil_fim_hash_file("/", path, 0, hex, &size), 0);
	/* FIPS 180-2 test vector for "abc". */
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_true(size == 3);
	assert_int_equal(vigil_fim_hash_file("/", path, 2, hex, NULL), -EFBIG);
	assert_int_equal(vigil_fim_hash_file("/", "/tmp", 0, hex, NULL), -EINVAL);
	unlink(path);
	assert_int_equal(vigil_fim_hash_file("/", path, 0, hex, NULL), -ENOENT);
}

/*
 * A user who controls a directory inside a watched tree swaps it for a
 * symlink to a directory outside (think /etc): the hash recorded under
 * their path must not be that of the file outside.  Run twice: with
 * openat2() where the kernel has it, and with the component walk.
 */
static void check_symlinked_parent_is_refused(void)
{
	char root[] = "/tmp/vigil-fim-root-XXXXXX";
	char outside[] = "/tmp/vigil-fim-out-XXXXXX";
	char path[PATH_MAX], secret[PATH_MAX], link[PATH_MAX];
	char hex[VIGIL_FIM_SHA256_HEX + 1] = "";
	int fd;

	assert_non_null(mkdtemp(root));
	assert_non_null(mkdtemp(outside));
	snprintf(secret, sizeof(secret), "%s/shadow", outside);
	fd = open(secret, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "root:secret", 11), 11);
	close(fd);
	/* root/user is the user's directory, now a link to outside. */
	snprintf(link, sizeof(link), "%s/user", root);
	assert_int_equal(symlink(outside, link), 0);
	snprintf(path, sizeof(path), "%s/user/shadow", root);
	assert_true(vigil_fim_hash_file(root, path, 0, hex, NULL) < 0);
	assert_string_equal(hex, "");
	/* The file itself, reached without a link, still hashes, and so
	 * does one two real directories down. */
	assert_int_equal(vigil_fim_hash_file(outside, secret, 0, hex, NULL), 0);
	snprintf(path, sizeof(path), "%s/a", root);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/a/b", root);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/a/b/f", root);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	hex[0] = '\0';
	assert_int_equal(vigil_fim_hash_file(root, path, 0, hex, NULL), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	unlink(path);
	snprintf(path, sizeof(path), "%s/a/b", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/a", root);
	rmdir(path);
	hex[0] = '\0';
	/* ".." out of the root is refused too. */
	snprintf(path, sizeof(path), "%s/../%s/shadow", root,
		 strrchr(outside, '/') + 1);
	hex[0] = '\0';
	assert_true(vigil_fim_hash_file(root, path, 0, hex, NULL) < 0);
	assert_string_equal(hex, "");
	unlink(link);
	unlink(secret);
	rmdir(outside);
	rmdir(root);
}

static void test_fim_hash_refuses_symlinked_parent_dir(void **state)
{
	(void)state;
	vigil__fim_force_open_walk(false);
	check_symlinked_parent_is_refused();
	vigil__fim_force_open_walk(true);
	check_symlinked_parent_is_refused();
	vigil__fim_force_open_walk(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fim_baseline_diff_reports_added_removed_changed),
		cmocka_unit_test(test_fim_baseline_roundtrips_odd_paths),
		cmocka_unit_test(test_fim_baseline_save_does_not_follow_planted_symlink),
		cmocka_unit_test(test_fim_baseline_parse_refuses_damaged_files),
		cmocka_unit_test(test_fim_hash_file_matches_known_digest),
		cmocka_unit_test(test_fim_hash_refuses_symlinked_parent_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
