/*
 * extra.c - the table of subsystem subcommands of vigilctl.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "fim/fim.h"
#include "lang/policy.h"
#include "schema.h"
#include "audit/audit_rules.h"

struct subcommand {
	const char *name;
	int (*run)(const char *config, int argc, char **argv);
	const char *usage;
};

static int run_rules(const char *config, int argc, char **argv)
{
	/* the audit rules the audit source derives from the configuration */
	if (argc >= 2 && strcmp(argv[1], "kernel") == 0)
		return vigil_audit_rules_cli(config, argc - 2, argv + 2);
	return vigil_rules_cli(vigil_fields(), argc, argv);
}

/* vigilctl's -c reaches the fim commands unless they got their own. */
static int run_fim(const char *config, int argc, char **argv)
{
	char **args;
	bool has_config = false;
	int rc;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--config") == 0)
			has_config = true;
	if (has_config || argc < 2)
		return vigil_fim_cli(argc, argv);
	args = calloc((size_t)argc + 3, sizeof(*args));
	if (!args)
		return 2;
	args[0] = argv[0];
	args[1] = argv[1];
	args[2] = (char *)"--config";
	args[3] = (char *)config;
	for (int i = 2; i < argc; i++)
		args[i + 2] = argv[i];
	args[argc + 2] = NULL;
	rc = vigil_fim_cli(argc + 2, args);
	free(args);
	return rc;
}

static const struct subcommand subcommands[] = {
	{ "fim", run_fim,
	  "  fim baseline|check|update ...\n"
	  "                        file-integrity baseline: see vigilctl fim --help\n" },
	{ "signals", vigil_signals_cli,
	  "  signals list|show|triage|export ...\n"
	  "                        the signal store: see vigilctl signals --help\n" },
	{ "rules", run_rules,
	  "  rules list|lint|test|explain|fields|kernel ...\n"
	  "                        the rule language: see vigilctl rules --help\n" },
	{ NULL, NULL, NULL },
};

int vigil_cli_extra(const char *config, const char *cmd, int argc, char **argv)
{
	for (const struct subcommand *s = subcommands; s->name; s++)
		if (strcmp(s->name, cmd) == 0)
			return s->run(config, argc, argv);
	return -ENOENT;
}

const char *vigil_cli_extra_usage(void)
{
	static char buf[4096];

	if (!buf[0])
		for (const struct subcommand *s = subcommands; s->name; s++)
			strncat(buf, s->usage, sizeof(buf) - strlen(buf) - 1);
	return buf;
}
