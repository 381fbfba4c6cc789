/*
 * rules.c - "vigilctl rules ...": list, lint, test, explain, fields.
 *
 *   rules list [--json] [PATH...]    rules of the policy, with metadata
 *   rules lint PATH...               load as one policy; report every error
 *   rules test [PATH...]             run each rule's embedded tests
 *   rules explain RULE EVENT.json [PATH...]
 *                                    show which part of the rule failed
 *   rules fields [--json]            the fields rules can use
 *   (vigilctl rules kernel is in rules_kernel.c: it needs
 *   the audit source's rule derivation and the configuration)
 *
 * Without PATHs the default policy is used: the shipped rules, then
 * /etc/vigil/rules.d (those that exist).  Exit status: 0 success (explain:
 * the rule matches), 1 failure (lint errors, failed tests, no match), 2
 * an unreadable event or rule not found, 64 (EX_USAGE) bad usage.
 *
 * Events in tests and explain are decoded by vigil_event_from_node()
 * (codec_decode.c, in libvigilcore), so this file is linked into vigilctl and not
 * into the engine plugin.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli/cli.h"
#include "lang/lang.h"
#include "lang/policy.h"

/* From codec_decode.c (libvigilcore). */
extern int vigil_event_from_node(const struct vigil_node *n,
				 struct vigil_event *ev,
				 struct vigil_buf *err);

int vigil__rules_cli(const struct vigil_field_table *ft, int argc,
		     char **argv, FILE *out, FILE *errf);

/* Exit statuses; usage errors are EX_USAGE like the rest of vigilctl. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_ERROR = 2, CLI_USAGE = EX_USAGE };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rules list [--json] [PATH...]\n"
		"       rules lint PATH...\n"
		"       rules test [PATH...]\n"
		"       rules explain RULE_ID EVENT.json [PATH...]\n"
		"       rules fields [--json]\n"
		"       rules kernel [PATH...]   (vigilctl: the audit rules "
		"vigild derives)\n");
}

/* Loads paths (or the defaults that exist); prints errors to errf. */
static int load(const struct vigil_field_table *ft, char **paths, int n,
		struct vigil_ruleset **rs, FILE *errf)
{
	const char *defaults[VIGIL_POLICY_MAX_PATHS];
	struct vigil_buf err = { 0 };
	const char *const *use = (const char *const *)paths;
	size_t count = (size_t)n;
	int rc = 0;

	if (n == 0) {
		rc = vigil_policy_paths(NULL, 0, defaults, &count, &err);
		use = defaults;
	}
	if (!rc)
		rc = vigil_ruleset_load(ft, use, count, rs, &err);
	if (rc)
		fprintf(errf, "%s", vigil_buf_cstr(&err));
	vigil_buf_free(&err);
	return rc;
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void type_list(FILE *out, uint64_t mask, bool json)
{
	bool first = true;

	for (uint32_t t = 1; t < VIGIL_EV__COUNT; t++) {
		if (!(mask & VIGIL_EVBIT(t)))
			continue;
		if (!first)
			fputs(json ? ", " : ",", out);
		if (json)
			json_str(out, vigil_event_type_name(t));
		else
			fputs(vigil_event_type_name(t), out);
		first = false;
	}
}

static int cmd_list(const struct vigil_field_table *ft, int argc,
		    char **argv, FILE *out, FILE *errf)
{
	struct vigil_ruleset *rs;
	bool json = argc > 0 && strcmp(argv[0], "--json") == 0;

	if (json) {
		argc--;
		argv++;
	}
	if (load(ft, argv, argc, &rs, errf))
		return CLI_FAIL;
	if (json)
		fputs("[", out);
	else
		fprintf(out, "%-36s %-9s %-8s %-20s %s\n", "ID", "SEVERITY",
			"ENABLED", "EVENTS", "TAGS");
	for (size_t i = 0; i < vigil_ruleset_count(rs); i++) {
		struct vigil_rule_info r;

		if (vigil_ruleset_rule(rs, i, &r))
			continue;
		if (json) {
			fprintf(out, "%s\n {\"id\": ", i ? "," : "");
			json_str(out, r.id);
			fputs(", \"description\": ", out);
			json_str(out, r.description);
			fputs(", \"severity\": ", out);
			json_str(out, vigil_severity_name(r.severity));
			fprintf(out, ", \"enabled\": %s, \"events\": [",
				r.enabled ? "true" : "false");
			type_list(out, r.event_types, true);
			fputs("], \"tags\": [", out);
			for (uint32_t t = 0; t < r.n_tags; t++) {
				if (t)
					fputs(", ", out);
				json_str(out, r.tags[t]);
			}
			fputs("], \"remediation\": ", out);
			if (r.remediation)
				json_str(out, r.remediation);
			else
				fputs("null", out);
			fprintf(out, ", \"action\": \"%s\"",
				r.actions & VIGIL_ACTION_DENY ? "deny" : "alert");
			fprintf(out, ", \"every_ns\": %" PRId64 ", \"matches\": "
				     "%" PRIu64 ", \"suppressed\": %" PRIu64
				     ", \"tests\": %u, \"file\": ",
				r.every_ns, r.matches, r.suppressed, r.n_tests);
			json_str(out, r.file);
			fprintf(out, ", \"line\": %u}", r.line);
			continue;
		}
		fprintf(out, "%-36s %-9s %-8s ", r.id,
			vigil_severity_name(r.severity),
			r.enabled ? "yes" : "no");
		type_list(out, r.event_types, false);
		fputs("  ", out);
		for (uint32_t t = 0; t < r.n_tags; t++)
			fprintf(out, "%s%s", t ? "," : "", r.tags[t]);
		fputc('\n', out);
	}
	if (json)
		fputs("\n]\n", out);
	vigil_ruleset_free(rs);
	return CLI_OK;
}

static int cmd_lint(const struct vigil_field_table *ft, int argc,
		    char **argv, FILE *out, FILE *errf)
{
	struct vigil_ruleset *rs;
	struct vigil_ruleset_stats s;

	if (argc < 1) {
		usage(errf);
		return CLI_USAGE;
	}
	if (load(ft, argv, argc, &rs, errf))
		return CLI_FAIL;
	vigil_ruleset_stats(rs, &s);
	fprintf(out, "OK: %u rules (%u enabled), %u macros, %u lists\n",
		s.rules, s.enabled, s.macros, s.lists);
	vigil_ruleset_free(rs);
	return CLI_OK;
}

/*
 * Runs the test events of one rule.  Returns true when all pass; on the
 * first failure appends the reason (with an explain trace) to why.
 */
static bool run_rule_tests(const struct vigil_ruleset *rs, size_t i,
			   struct vigil_buf *why)
{
	for (int want = 1; want >= 0; want--) {
		const struct vigil_node *seq =
			vigil_ruleset_rule_tests(rs, i, want);

		for (size_t k = 0; seq && k < seq->n; k++) {
			const struct vigil_node *n = seq->items[k];
			struct vigil_arena arena;
			struct vigil_event ev;
			struct vigil_buf err = { 0 };
			bool got, ok = true;

			vigil_arena_init(&arena, 4096);
			vigil_event_init(&ev, &arena);
			if (vigil_event_from_node(n, &ev, &err)) {
				vigil_buf_printf(why, "bad test event: %s",
						 vigil_buf_cstr(&err));
				ok = false;
			} else {
				got = vigil_ruleset_rule_matches(rs, i, &ev);
				if (got != (bool)want) {
					vigil_buf_printf(
						why,
						"%s:%u:%u: test event %s "
						"match\n",
						n->file, n->line, n->col,
						want ? "does not" :
						       "must not but does");
					vigil_ruleset_explain(rs, i, &ev, why);
					ok = false;
				}
			}
			vigil_buf_free(&err);
			vigil_arena_free(&arena);
			if (!ok)
				return false;
		}
	}
	return true;
}

static int cmd_test(const struct vigil_field_table *ft, int argc,
		    char **argv, FILE *out, FILE *errf)
{
	struct vigil_ruleset *rs;
	unsigned pass = 0, fail = 0, untested = 0;

	if (load(ft, argv, argc, &rs, errf))
		return CLI_FAIL;
	for (size_t i = 0; i < vigil_ruleset_count(rs); i++) {
		struct vigil_rule_info r;
		struct vigil_buf why = { 0 };

		if (vigil_ruleset_rule(rs, i, &r))
			continue;
		if (!r.n_tests) {
			fprintf(out, "NOTEST %s\n", r.id);
			untested++;
			continue;
		}
		if (run_rule_tests(rs, i, &why)) {
			fprintf(out, "PASS %s\n", r.id);
			pass++;
		} else {
			fprintf(out, "FAIL %s: %s", r.id, vigil_buf_cstr(&why));
			fail++;
		}
		vigil_buf_free(&why);
	}
	fprintf(out, "%u passed, %u failed, %u without tests\n", pass, fail,
		untested);
	vigil_ruleset_free(rs);
	return fail ? CLI_FAIL : CLI_OK;
}

static int read_all(const char *path, struct vigil_buf *b, FILE *errf)
{
	FILE *f = fopen(path, "r");
	char chunk[65536];
	size_t n;
	int rc = 0;

	if (!f) {
		fprintf(errf, "%s: %s\n", path, strerror(errno));
		return -errno;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		rc = vigil_buf_append(b, chunk, n);
		if (rc)
			break;
	}
	if (!rc && ferror(f)) {
		fprintf(errf, "%s: read error\n", path);
		rc = -EIO;
	}
	fclose(f);
	return rc;
}

static int cmd_explain(const struct vigil_field_table *ft, int argc,
		       char **argv, FILE *out, FILE *errf)
{
	struct vigil_ruleset *rs;
	struct vigil_buf data = { 0 }, err = { 0 }, trace = { 0 };
	struct vigil_doc doc;
	struct vigil_arena arena;
	struct vigil_event ev;
	int idx, rc = CLI_ERROR;

	if (argc < 2) {
		usage(errf);
		return CLI_USAGE;
	}
	if (load(ft, argv + 2, argc - 2, &rs, errf))
		return CLI_FAIL;
	idx = vigil_ruleset_find(rs, argv[0]);
	if (idx < 0) {
		fprintf(errf, "rules: no rule '%s'\n", argv[0]);
		goto out_rs;
	}
	if (read_all(argv[1], &data, errf))
		goto out_data;
	if (vigil_doc_load_json(argv[1], data.data ? data.data : "", data.len,
				&doc, &err)) {
		fprintf(errf, "%s\n", vigil_buf_cstr(&err));
		goto out_data;
	}
	vigil_arena_init(&arena, 4096);
	vigil_event_init(&ev, &arena);
	if (!doc.root || vigil_event_from_node(doc.root, &ev, &err)) {
		fprintf(errf, "%s\n", doc.root ? vigil_buf_cstr(&err) :
						 "empty event");
		goto out_event;
	}
	rc = vigil_ruleset_explain(rs, (size_t)idx, &ev, &trace) ? CLI_OK :
								   CLI_FAIL;
	fputs(vigil_buf_cstr(&trace), out);
out_event:
	vigil_arena_free(&arena);
	vigil_doc_free(&doc);
out_data:
	vigil_buf_free(&data);
	vigil_buf_free(&err);
	vigil_buf_free(&trace);
out_rs:
	vigil_ruleset_free(rs);
	return rc;
}

static int cmd_fields(const struct vigil_field_table *ft, int argc,
		      char **argv, FILE *out)
{
	bool json = argc > 0 && strcmp(argv[0], "--json") == 0;

	if (json)
		fputs("[", out);
	for (size_t i = 0; i < ft->count; i++) {
		const struct vigil_field *f = &ft->fields[i];
		const char *type = lang_type_name(f->type);

		type += type[1] == 'n' ? 3 : 2; /* "an integer" -> "integer" */
		if (json) {
			fprintf(out, "%s\n {\"name\": ", i ? "," : "");
			json_str(out, f->name);
			fputs(", \"type\": ", out);
			json_str(out, type);
			fprintf(out, ", \"list\": %s, \"ancestors\": %s, "
				     "\"path\": %s, \"nocase\": %s, "
				     "\"events\": [",
				f->flags & VIGIL_FIELD_LIST ? "true" : "false",
				f->flags & VIGIL_FIELD_ITER ? "true" : "false",
				f->flags & VIGIL_FIELD_PATH ? "true" : "false",
				f->flags & VIGIL_FIELD_NOCASE ? "true" :
								"false");
			if (f->events)
				type_list(out, f->events, true);
			fputs("], \"doc\": ", out);
			json_str(out, f->doc ? f->doc : "");
			fputs("}", out);
			continue;
		}
		fprintf(out, "%-40s %-9s %s", f->name, type,
			f->doc ? f->doc : "");
		if (f->flags & VIGIL_FIELD_LIST)
			fputs(" [list]", out);
		if (f->flags & VIGIL_FIELD_ITER)
			fputs(" [each ancestor]", out);
		if (f->flags & VIGIL_FIELD_NOCASE)
			fputs(" [no case]", out);
		if (f->constants)
			fprintf(out, " [constants: %s ...]", f->constants[0].name);
		if (f->events) {
			fputs(" (", out);
			type_list(out, f->events, false);
			fputs(")", out);
		}
		fputc('\n', out);
	}
	if (json)
		fputs("\n]\n", out);
	return CLI_OK;
}

/* The CLI with explicit output streams (tests). */
int vigil__rules_cli(const struct vigil_field_table *ft, int argc,
		     char **argv, FILE *out, FILE *errf)
{
	const char *cmd;

	if (argc > 0 && strcmp(argv[0], "rules") == 0) {
		argc--;
		argv++;
	}
	if (argc < 1) {
		usage(errf);
		return CLI_USAGE;
	}
	cmd = argv[0];
	argc--;
	argv++;
	if (!strcmp(cmd, "list"))
		return cmd_list(ft, argc, argv, out, errf);
	if (!strcmp(cmd, "lint"))
		return cmd_lint(ft, argc, argv, out, errf);
	if (!strcmp(cmd, "test"))
		return cmd_test(ft, argc, argv, out, errf);
	if (!strcmp(cmd, "explain"))
		return cmd_explain(ft, argc, argv, out, errf);
	if (!strcmp(cmd, "fields"))
		return cmd_fields(ft, argc, argv, out);
	fprintf(errf, "rules: unknown command '%s'\n", cmd);
	usage(errf);
	return CLI_USAGE;
}

/*
 * Entry point for vigilctl: argv is what follows "vigilctl" ("rules",
 * "list", ...) or what follows "rules".  Returns the exit status.
 */
int vigil_rules_cli(const struct vigil_field_table *ft, int argc, char **argv)
{
	return vigil__rules_cli(ft, argc, argv, stdout, stderr);
}
