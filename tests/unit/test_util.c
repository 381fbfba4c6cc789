/*
 * test_util - attacker-controlled text cannot drive the admin's terminal
 * (the escaper and the log: issue 22 L2, L8), and code or policy is only
 * loaded from files no one else can write (issue 22 L7).
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"

static void test_escape_term_escapes_controls_and_high_bytes(void **state)
{
	/* CR, ESC [ 2 K, DEL, an 8-bit CSI and a UTF-8 C1 control */
	static const char in[] = "a\r\033[2K\x7f\x9b\xc2\x9b z";
	char out[128];
	size_t n;

	(void)state;
	n = vigil_escape_term(out, sizeof(out), in, sizeof(in) - 1);
	assert_string_equal(out,
			    "a\\x0d\\x1b[2K\\x7f\\x9b\\xc2\\x9b z");
	assert_int_equal(n, strlen(out));
}

static void test_escape_term_never_cuts_an_escape_in_half(void **state)
{
	char out[8];

	(void)state;
	/* "ab" then \x1b needs 4 more bytes: 2 + 4 + NUL = 7 fits */
	vigil_escape_term(out, 7, "ab\033cd", 5);
	assert_string_equal(out, "ab\\x1b");
	/* one byte less: the escape is left out whole */
	vigil_escape_term(out, 6, "ab\033cd", 5);
	assert_string_equal(out, "ab");
	vigil_escape_term(out, 1, "ab", 2);
	assert_string_equal(out, "");
}

static void test_buf_put_term_matches_escape_term(void **state)
{
	struct vigil_buf b = { 0 };
	char out[64];

	(void)state;
	assert_int_equal(vigil_buf_put_term(&b, "x\ny\033", 4), 0);
	vigil_escape_term(out, sizeof(out), "x\ny\033", 4);
	assert_int_equal(b.len, strlen(out));
	assert_memory_equal(b.data, out, b.len);
	vigil_buf_free(&b);
}

/* A peer's string logged by a plugin reaches stderr escaped. */
static void test_log_escapes_message_text(void **state)
{
	char path[] = "/tmp/test_util_term.XXXXXX", got[256] = { 0 };
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	FILE *f;

	(void)state;
	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	vigil_log_setup(VIGIL_LOG_STDERR, VIGIL_LOG_DEBUG, "t");
	vigil_warn("ack id '%s'", "\r\033]0;owned\007");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	f = fdopen(fd, "r");
	assert_non_null(f);
	rewind(f);
	assert_non_null(fgets(got, sizeof(got), f));
	fclose(f);
	unlink(path);
	assert_string_equal(got,
			    "t: warning: ack id '\\x0d\\x1b]0;owned\\x07'\n");
}

/* A fresh private directory under /tmp (sticky, world-writable). */
static void mkpriv(char *dir)
{
	strcpy(dir, "/tmp/test_util.XXXXXX");
	assert_non_null(mkdtemp(dir));
}

static void touch(const char *path, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_path_trusted_accepts_root_file_below_sticky_tmp(void **state)
{
	char dir[64], file[96];
	struct vigil_buf why = { 0 };

	(void)state;
	if (geteuid() != 0)
		skip();
	mkpriv(dir);
	snprintf(file, sizeof(file), "%s/plugin.so", dir);
	touch(file, 0644);
	assert_int_equal(vigil_path_trusted(file, &why), 0);
	unlink(file);
	rmdir(dir);
	vigil_buf_free(&why);
}

static void test_path_trusted_refuses_world_writable_file(void **state)
{
	char dir[64], file[96];
	struct vigil_buf why = { 0 };

	(void)state;
	mkpriv(dir);
	snprintf(file, sizeof(file), "%s/rules.yaml", dir);
	touch(file, 0666);
	assert_int_equal(vigil_path_trusted(file, &why), -EPERM);
	assert_non_null(strstr(vigil_buf_cstr(&why), "chmod go-w"));
	assert_non_null(strstr(vigil_buf_cstr(&why), file));
	unlink(file);
	rmdir(dir);
	vigil_buf_free(&why);
}

/* A group-writable directory without the sticky bit lets others swap
 * the file: refused, naming the directory. */
static void test_path_trusted_refuses_writable_parent(void **state)
{
	char dir[64], file[96];
	struct vigil_buf why = { 0 };

	(void)state;
	mkpriv(dir);
	snprintf(file, sizeof(file), "%s/rules.yaml", dir);
	touch(file, 0644);
	assert_int_equal(chmod(dir, 0775), 0);
	assert_int_equal(vigil_path_trusted(file, &why), -EPERM);
	assert_non_null(strstr(vigil_buf_cstr(&why), dir));
	unlink(file);
	rmdir(dir);
	vigil_buf_free(&why);
}

static void test_path_trusted_refuses_other_owner(void **state)
{
	char dir[64], file[96];
	struct vigil_buf why = { 0 };

	(void)state;
	if (geteuid() != 0)
		skip();
	mkpriv(dir);
	snprintf(file, sizeof(file), "%s/plugin.so", dir);
	touch(file, 0644);
	assert_int_equal(chown(file, 65534, 65534), 0);
	assert_int_equal(vigil_path_trusted(file, &why), -EPERM);
	assert_non_null(strstr(vigil_buf_cstr(&why), "chown root"));
	unlink(file);
	rmdir(dir);
	vigil_buf_free(&why);
}

static void test_path_trusted_refuses_relative_path(void **state)
{
	struct vigil_buf why = { 0 };

	(void)state;
	assert_int_equal(vigil_path_trusted("plugins/x.so", &why), -EPERM);
	vigil_buf_free(&why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_term_escapes_controls_and_high_bytes),
		cmocka_unit_test(test_escape_term_never_cuts_an_escape_in_half),
		cmocka_unit_test(test_buf_put_term_matches_escape_term),
		cmocka_unit_test(test_log_escapes_message_text),
		cmocka_unit_test(test_path_trusted_accepts_root_file_below_sticky_tmp),
		cmocka_unit_test(test_path_trusted_refuses_world_writable_file),
		cmocka_unit_test(test_path_trusted_refuses_writable_parent),
		cmocka_unit_test(test_path_trusted_refuses_other_owner),
		cmocka_unit_test(test_path_trusted_refuses_relative_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
