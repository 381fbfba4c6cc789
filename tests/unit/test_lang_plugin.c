/*
 * test_lang_plugin.c - the rules engine plugin through its ABI with a fake
 * host: signals for matches, and a reload that keeps the running rules
 * when the new policy is broken and swaps them when it is good.
 */
#include "config.h"

#include <unistd.h>

#include <vigil/plugin.h>

#include "confmap.h"
#include "test_lang_util.h"

static char policy_path[64];
static int emitted;
static char last_rule[64];
static int errors_logged;

static void fake_log(void *host, int level, const char *fmt, ...)
{
	if (level <= VIGIL_LOG_ERR)
		errors_logged++;
}

static int fake_emit(void *host, const struct vigil_event *ev,
		     const struct vigil_signal *sig)
{
	emitted++;
	snprintf(last_rule, sizeof(last_rule), "%s", sig->rule_id);
	return 0;
}

/* The host's config_map on the section {paths: [policy_path]}, read by
 * the real table engine; the document lives as long as the strings. */
static struct vigil_doc section;

static int fake_config_map(void *host, const struct vigil_config_entry *table,
			   size_t n, size_t entry_size, void *settings)
{
	struct vigil_buf err = { 0 };
	char yaml[128];
	int rc;

	if (!section.root) {
		snprintf(yaml, sizeof(yaml), "paths: ['%s']\n", policy_path);
		rc = vigil_doc_load_yaml("t.yaml", yaml, strlen(yaml),
					 &section, &err);
		assert_int_equal(rc, 0);
	}
	rc = vigil_confmap_read(table, n, entry_size, section.root,
				"plugins[rules].config", settings, &err);
	vigil_buf_free(&err);
	return rc;
}

static const struct vigil_field_table *fake_fields(void *host)
{
	return vigil_fields();
}

static const struct vigil_host_api api = {
	.abi_major = VIGIL_PLUGIN_ABI_MAJOR,
	.abi_minor = VIGIL_PLUGIN_ABI_MINOR,
	.struct_size = sizeof(struct vigil_host_api),
	.log = fake_log,
	.emit_signal = fake_emit,
	.config_map = fake_config_map,
	.fields = fake_fields,
};

static void write_policy(const char *text)
{
	FILE *f = fopen(policy_path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_lang_plugin_emits_and_reloads_atomically(void **state)
{
	const struct vigil_plugin *p = vigil_plugin_entry();
	struct vigil_plugin_stats st;
	void *ps = NULL;
	struct tev t;
	int fd;

	strcpy(policy_path, "/tmp/vigil-plugin-XXXXXX.yaml");
	fd = mkstemps(policy_path, 5);
	assert_true(fd >= 0);
	close(fd);
	write_policy("- rule: bash_exec\n  description: d\n  severity: low\n"
		     "  expression: exec.file.name == bash\n");
	assert_int_equal(p->kind, VIGIL_PLUGIN_ENGINE);
	assert_string_equal(p->name, "rules");
	assert_int_equal(p->init(&api, NULL, &ps), 0);

	tev_exec(&t, "/bin/bash");
	assert_int_equal(p->on_event(ps, &t.ev), 0);
	assert_int_equal(emitted, 1);
	assert_string_equal(last_rule, "bash_exec");

	/* a broken policy: reload refuses, old rules keep working */
	write_policy("- rule: sh_exec\n  description: d\n  severity: low\n"
		     "  expression: exec.file.nam == sh\n");
	errors_logged = 0;
	assert_int_not_equal(p->reload(ps), 0);
	assert_true(errors_logged >= 2); /* the error, then "keeping" */
	assert_int_equal(p->on_event(ps, &t.ev), 0);
	assert_int_equal(emitted, 2);

	/* a good one is swapped in */
	write_policy("- rule: sh_exec\n  description: d\n  severity: low\n"
		     "  expression: exec.file.name == sh\n");
	assert_int_equal(p->reload(ps), 0);
	assert_int_equal(p->on_event(ps, &t.ev), 0);
	assert_int_equal(emitted, 2);
	tev_free(&t);
	tev_exec(&t, "/bin/sh");
	assert_int_equal(p->on_event(ps, &t.ev), 0);
	assert_int_equal(emitted, 3);
	assert_string_equal(last_rule, "sh_exec");
	tev_free(&t);

	assert_int_equal(p->stats(ps, &st), 0);
	assert_int_equal(st.events_in, 4);
	assert_int_equal(st.records_out, 3);
	p->destroy(ps);
	unlink(policy_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lang_plugin_emits_and_reloads_atomically),
	};

	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	vigil_doc_free(&section);
	return rc;
}
