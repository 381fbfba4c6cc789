/*
 * extra.c - the table of subsystem subcommands of vigilctl.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "cli/cli.h"
#include "lang/rules.h"
#include "schema.h"
#include "sources/audit_rules.h"

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

static const struct subcommand subcommands[] = {
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
