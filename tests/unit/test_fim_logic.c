/*
 * test_fim_logic.c - the pure logic of file integrity monitoring: rename
 * pairing, MODIFY coalescing, attribute diffing, the per-path cache and
 * the `fim:` configuration.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fim/fim.h"

/* ---- rename pairing ---- */

static void test_fim_rename_pairs_by_key_not_by_order(void **state)
{
	struct vigil_fim_renames r;
	struct vigil_fim_move m, ev;

	(void)state;
	vigil_fim_renames_init(&r);
	assert_int_equal(vigil_fim_rename_from(&r, "AAAA", 4, "/etc/a", 10,
					       false, 100, &ev), 0);
	assert_int_equal(vigil_fim_rename_from(&r, "BBBB", 4, "/etc/b", 10,
					       false, 101, &ev), 0);
	/* The second MOVED_TO arrives first: keys decide, not order. */
	assert_int_equal(vigil_fim_rename_to(&r, "BBBB", 4, 10, &m), 0);
	assert_string_equal(m.path, "/etc/b");
	free(m.path);
	assert_int_equal(vigil_fim_rename_to(&r, "AAAA", 4, 10, &m), 0);
	assert_string_equal(m.path, "/etc/a");
	free(m.path);
	assert_int_equal(vigil_fim_rename_to(&r, "AAAA", 4, 10, &m), -ENOENT);
	vigil_fim_renames_free(&r);
}

static void test_fim_rename_without_key_pairs_same_process(void **state)
{
	struct vigil_fim_renames r;
	struct vigil_fim_move m, ev;

	(void)state;
	vigil_fim_renames_init(&r);
	assert_int_equal(vigil_fim_rename_from(&r, NULL, 0, "/etc/x", 7,
					       false, 1, &ev), 0);
	assert_int_equal(vigil_fim_rename_from(&r, NULL, 0, "/etc/y", 8,
					       true, 2, &ev), 0);
	assert_int_equal(vigil_fim_rename_to(&r, NULL, 0, 8, &m), 0);
	assert_string_equal(m.path, "/etc/y");
	assert_true(m.is_dir);
	free(m.path);
	/* Another process's MOVED_TO does not steal pid 7's half. */
	assert_int_equal(vigil_fim_rename_to(&r, NULL, 0, 9, &m), -ENOENT);
	assert_int_equal(r.n, 1);
	vigil_fim_renames_free(&r);
}

static void test_fim_rename_unpaired_half_expires_in_order(void **state)
{
	struct vigil_fim_renames r;
	struct vigil_fim_move m, ev;

	(void)state;
	vigil_fim_renames_init(&r);
	assert_int_equal(vigil_fim_rename_from(&r, "K1", 2, "/etc/old1", 1,
					       false, 100, &ev), 0);
	assert_int_equal(vigil_fim_rename_from(&r, "K2", 2, "/etc/old2", 1,
					       false, 200, &ev), 0);
	assert_int_equal(vigil_fim_rename_expire(&r, 100, &m), -ENOENT);
	assert_int_equal(vigil_fim_rename_expire(&r, 150, &m), 0);
	assert_string_equal(m.path, "/etc/old1");
	free(m.path);
	assert_int_equal(vigil_fim_rename_expire(&r, 150, &m), -ENOENT);
	vigil_fim_renames_free(&r);
}

static void test_fim_rename_full_table_evicts_oldest(void **state)
{
	struct vigil_fim_renames r;
	struct vigil_fim_move ev;
	char path[32];
	int rc;

	(void)state;
	vigil_fim_renames_init(&r);
	for (int i = 0; i < VIGIL_FIM_RENAME_SLOTS; i++) {
		snprintf(path, sizeof(path), "/etc/f%d", i);
		assert_int_equal(vigil_fim_rename_from(&r, &i, sizeof(i), path,
						       1, false, i, &ev), 0);
	}
	rc = vigil_fim_rename_from(&r, "new", 3, "/etc/new", 1, false, 999,
				   &ev);
	assert_int_equal(rc, 1);
	assert_string_equal(ev.path, "/etc/f0");
	free(ev.path);
	assert_int_equal(r.n, VIGIL_FIM_RENAME_SLOTS);
	vigil_fim_renames_free(&r);
}

/* ---- MODIFY coalescing ---- */

static void test_fim_many_writes_one_close_is_one_modify(void **state)
{
	struct vigil_fim_cache c;
	int32_t pid = 0;

	(void)state;
	vigil_fim_cache_init(&c, 0);
	for (int i = 0; i < 1000; i++)
		vigil_fim_note_modify(&c, "/etc/passwd", 42);
	assert_true(vigil_fim_close_write(&c, "/etc/passwd", &pid));
	assert_int_equal(pid, 42);
	/* A second close without a write in between is not a change. */
	assert_false(vigil_fim_close_write(&c, "/etc/passwd", &pid));
	vigil_fim_cache_free(&c);
}

static void test_fim_close_without_write_is_no_modify(void **state)
{
	struct vigil_fim_cache c;

	(void)state;
	vigil_fim_cache_init(&c, 0);
	assert_false(vigil_fim_close_write(&c, "/etc/hosts", NULL));
	vigil_fim_note_modify(&c, "/etc/a", 1);
	assert_false(vigil_fim_close_write(&c, "/etc/b", NULL));
	assert_true(vigil_fim_close_write(&c, "/etc/a", NULL));
	vigil_fim_cache_free(&c);
}

static void test_fim_full_cache_still_reports_close_write(void **state)
{
	struct vigil_fim_cache c;

	(void)state;
	vigil_fim_cache_init(&c, 1);
	assert_non_null(vigil_fim_cache_put(&c, "/etc/one"));
	vigil_fim_note_modify(&c, "/etc/two", 1); /* refused: full */
	assert_int_equal(c.refused, 1);
	assert_true(vigil_fim_close_write(&c, "/etc/two", NULL));
	vigil_fim_cache_free(&c);
}

/* ---- attributes ---- */

static void test_fim_attr_diff_names_each_changed_attribute(void **state)
{
	struct vigil_fim_attr a = { .ino = 1, .size = 10, .mtime_ns = 5,
				    .mode = S_IFREG | 0644, .uid = 0,
				    .gid = 0, .has_hash = true };
	struct vigil_fim_attr b = a;
	struct vigil_buf names = { 0 };

	(void)state;
	memset(a.sha256, 'a', VIGIL_FIM_SHA256_HEX);
	a.sha256[VIGIL_FIM_SHA256_HEX] = '\0';
	b = a;
	assert_int_equal(vigil_fim_attr_diff(&a, &b), 0);
	b.mode = S_IFREG | 04755;
	b.uid = 1000;
	b.sha256[0] = 'b';
	assert_int_equal(vigil_fim_attr_diff(&a, &b),
			 VIGIL_FIM_DIFF_MODE | VIGIL_FIM_DIFF_UID |
			 VIGIL_FIM_DIFF_HASH);
	vigil_fim_diff_names(vigil_fim_attr_diff(&a, &b), &names);
	assert_string_equal(vigil_buf_cstr(&names), "mode,uid,hash");
	vigil_buf_free(&names);
	/* A file replaced by a directory of the same permissions. */
	b = a;
	b.mode = S_IFDIR | 0644;
	assert_int_equal(vigil_fim_attr_diff(&a, &b), VIGIL_FIM_DIFF_TYPE);
	/* No hash on one side: content is not compared. */
	b = a;
	b.has_hash = false;
	b.sha256[0] = 'z';
	assert_int_equal(vigil_fim_attr_diff(&a, &b), 0);
}

static void test_fim_attrib_maps_to_chmod_chown_utimes(void **state)
{
	(void)state;
	assert_true(vigil_fim_attrib_events(VIGIL_FIM_DIFF_MODE) ==
		    VIGIL_EVBIT(VIGIL_EV_CHMOD));
	assert_true(vigil_fim_attrib_events(VIGIL_FIM_DIFF_GID) ==
		    VIGIL_EVBIT(VIGIL_EV_CHOWN));
	assert_true(vigil_fim_attrib_events(VIGIL_FIM_DIFF_MTIME |
					    VIGIL_FIM_DIFF_UID) ==
		    (VIGIL_EVBIT(VIGIL_EV_UTIMES) |
		     VIGIL_EVBIT(VIGIL_EV_CHOWN)));
	/* Link count or size alone (a hard link made elsewhere) is none. */
	assert_true(vigil_fim_attrib_events(VIGIL_FIM_DIFF_SIZE) == 0);
}

/* ---- cache ---- */

static void count_child(struct vigil_fim_entry *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
}

static void test_fim_cache_rename_moves_the_subtree(void **state)
{
	struct vigil_fim_cache c;
	int n = 0;

	(void)state;
	vigil_fim_cache_init(&c, 0);
	for (int i = 0; i < 3000; i++) {
		char p[64];

		snprintf(p, sizeof(p), "/etc/d/f%d", i);
		assert_non_null(vigil_fim_cache_put(&c, p));
	}
	assert_non_null(vigil_fim_cache_put(&c, "/etc/d"));
	assert_non_null(vigil_fim_cache_put(&c, "/etc/dd"));
	assert_non_null(vigil_fim_cache_put(&c, "/etc/e/old"));
	assert_int_equal(vigil_fim_cache_rename(&c, "/etc/d", "/etc/e"), 0);
	assert_null(vigil_fim_cache_get(&c, "/etc/d/f7"));
	assert_non_null(vigil_fim_cache_get(&c, "/etc/e/f7"));
	assert_non_null(vigil_fim_cache_get(&c, "/etc/e"));
	/* /etc/dd only shares a prefix; what was at /etc/e is replaced. */
	assert_non_null(vigil_fim_cache_get(&c, "/etc/dd"));
	assert_null(vigil_fim_cache_get(&c, "/etc/e/old"));
	vigil_fim_cache_children(&c, "/etc/e", count_child, &n);
	assert_int_equal(n, 3000);
	vigil_fim_cache_del_tree(&c, "/etc/e");
	assert_int_equal(c.n, 1);
	vigil_fim_cache_free(&c);
}

/* ---- configuration ---- */

static void test_fim_config_defaults_and_overrides(void **state)
{
	static const char yaml[] =
		"fim:\n"
		"  paths: [/etc/, /opt/app]\n"
		"  exclude: [/etc/mtab, \"*.swp\"]\n"
		"  hash_max_size: 1M\n"
		"  marks: inode\n";
	struct vigil_fim_config cfg;
	struct vigil_doc doc;
	struct vigil_buf err = { 0 };

	(void)state;
	assert_int_equal(vigil_fim_config_defaults(&cfg), 0);
	assert_int_equal(cfg.n_paths, 8);
	assert_true(cfg.hash_max_size == 64LL * 1024 * 1024);
	assert_int_equal(vigil_doc_load_yaml("t.yaml", yaml, strlen(yaml),
					     &doc, &err), 0);
	assert_int_equal(vigil_fim_config_parse(&cfg,
		vigil_node_get(doc.root, "fim"), &err), 0);
	assert_int_equal(cfg.n_paths, 2);
	assert_string_equal(cfg.paths[0], "/etc");
	assert_true(cfg.hash_max_size == 1024 * 1024);
	assert_int_equal(cfg.marks, VIGIL_FIM_MARKS_INODE);
	assert_true(vigil_fim_config_watched(&cfg, "/etc/passwd"));
	assert_true(vigil_fim_config_watched(&cfg, "/etc"));
	assert_false(vigil_fim_config_watched(&cfg, "/etcetera"));
	assert_false(vigil_fim_config_watched(&cfg, "/etc/mtab"));
	assert_false(vigil_fim_config_watched(&cfg, "/opt/app/.x.swp"));
	assert_false(vigil_fim_config_watched(&cfg, "/usr/bin/ls"));
	vigil_doc_free(&doc);
	vigil_fim_config_free(&cfg);
}

static void test_fim_config_error_names_line_and_column(void **state)
{
	static const char yaml[] = "fim:\n  paths: [relative/dir]\n";
	static const char yaml2[] = "fim:\n  hash_max: 3\n";
	struct vigil_fim_config cfg;
	struct vigil_doc doc;
	struct vigil_buf err = { 0 };

	(void)state;
	assert_int_equal(vigil_fim_config_defaults(&cfg), 0);
	assert_int_equal(vigil_doc_load_yaml("t.yaml", yaml, strlen(yaml),
					     &doc, &err), 0);
	assert_int_equal(vigil_fim_config_parse(&cfg,
		vigil_node_get(doc.root, "fim"), &err), -EINVAL);
	assert_non_null(strstr(vigil_buf_cstr(&err), "t.yaml:2:11"));
	vigil_doc_free(&doc);
	vigil_buf_reset(&err);
	assert_int_equal(vigil_doc_load_yaml("t.yaml", yaml2, strlen(yaml2),
					     &doc, &err), 0);
	assert_int_equal(vigil_fim_config_parse(&cfg,
		vigil_node_get(doc.root, "fim"), &err), -EINVAL);
	assert_non_null(strstr(vigil_buf_cstr(&err), "unknown key 'hash_max'"));
	vigil_doc_free(&doc);
	vigil_buf_free(&err);
	vigil_fim_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fim_rename_pairs_by_key_not_by_order),
		cmocka_unit_test(test_fim_rename_without_key_pairs_same_process),
		cmocka_unit_test(test_fim_rename_unpaired_half_expires_in_order),
		cmocka_unit_test(test_fim_rename_full_table_evicts_oldest),
		cmocka_unit_test(test_fim_many_writes_one_close_is_one_modify),
		cmocka_unit_test(test_fim_close_without_write_is_no_modify),
		cmocka_unit_test(test_fim_full_cache_still_reports_close_write),
		cmocka_unit_test(test_fim_attr_diff_names_each_changed_attribute),
		cmocka_unit_test(test_fim_attrib_maps_to_chmod_chown_utimes),
		cmocka_unit_test(test_fim_cache_rename_moves_the_subtree),
		cmocka_unit_test(test_fim_config_defaults_and_overrides),
		cmocka_unit_test(test_fim_config_error_names_line_and_column),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
