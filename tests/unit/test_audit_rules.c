/*
 * test_audit_rules.c - vigil's rule set as built for the kernel (no
 * kernel needed): one rule per syscall group and arch under the key, the
 * never rule for vigil's pid first, and the rules.d file with the same
 * content in auditctl syntax.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libaudit.h>

#include "sources/audit_rules.h"

static void test_audit_rules_one_per_group_and_arch_with_self_excluded(
	void **state)
{
	struct vigil_audit_rules r;
	char longkey[sizeof(r.key) + 1];
	unsigned i, never = 0;

	(void)state;
	assert_int_equal(vigil_audit_rules_build(&r, "vigil", 4242), 0);
	/* per arch: the never rule plus one rule per group */
	assert_int_equal(r.n, 2 * (1 + vigil_audit_n_groups));
	for (i = 0; i < r.n; i++) {
		if (r.action[i] == AUDIT_NEVER) {
			never++;
			assert_true(r.flags[i] & AUDIT_FILTER_PREPEND);
		} else {
			assert_int_equal(r.action[i], AUDIT_ALWAYS);
			assert_int_equal(r.flags[i], AUDIT_FILTER_EXIT);
		}
		/* arch first, key last, as libaudit requires */
		assert_int_equal(r.rule[i]->fields[0] & ~AUDIT_OPERATORS,
				 AUDIT_ARCH);
		assert_int_equal(r.rule[i]->fields[r.rule[i]->field_count - 1] &
					 ~AUDIT_OPERATORS,
				 AUDIT_FILTERKEY);
	}
	assert_int_equal(never, 2);
	vigil_audit_rules_free(&r);

	/* a key that does not fit is refused, not cut */
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	assert_int_equal(vigil_audit_rules_build(&r, longkey, 1), -EINVAL);
}

static void test_audit_rules_file_matches_the_rule_set(void **state)
{
	struct vigil_audit_rules r;
	char dir[] = "/tmp/vigil-rules-test.XXXXXX", path[64], line[4096];
	unsigned always = 0, never = 0;
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vigil.rules", dir);
	assert_int_equal(vigil_audit_rules_build(&r, "vigil", 4242), 0);
	assert_int_equal(vigil_audit_rules_write_file(&r, path, 4242), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		assert_non_null(strstr(line, " -k vigil\n"));
		if (strncmp(line, "-a never,exit", 13) == 0) {
			never++;
			assert_non_null(strstr(line, "-S all -F pid=4242"));
		} else {
			assert_int_equal(strncmp(line, "-a always,exit -F arch=",
						 23), 0);
			assert_non_null(strstr(line, " -S "));
			always++;
		}
	}
	fclose(f);
	assert_int_equal(never, 2);
	assert_int_equal(always, 2 * vigil_audit_n_groups);
	vigil_audit_rules_free(&r);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		  test_audit_rules_one_per_group_and_arch_with_self_excluded),
		cmocka_unit_test(test_audit_rules_file_matches_the_rule_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
