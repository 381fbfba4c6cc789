/*
 * cli.h - vigilctl's subcommand front ends (src/cli/): the generic table
 * (extra.c) and the rules, rules kernel and fim commands.
 */
#ifndef VIGIL_CLI_H
#define VIGIL_CLI_H

/*
 * Runs subcommand cmd (argv[0] == cmd).  Returns its exit code, or
 * -ENOENT when no subsystem has that command.
 */
int vigil_cli_extra(const char *config, const char *cmd, int argc, char **argv);
/* Usage lines of those subcommands. */
const char *vigil_cli_extra_usage(void);

struct vigil_field_table;

/*
 * "vigilctl rules list|lint|test|explain|fields ...": argv is what follows
 * "vigilctl" (starting with "rules") or what follows "rules".  Prints to
 * stdout/stderr and returns the exit status: 0 success, 1 failure (lint
 * errors, failed tests, explain: no match), 2 an unreadable event or an
 * unknown rule, 64 (EX_USAGE) bad usage.
 */
int vigil_rules_cli(const struct vigil_field_table *ft, int argc, char **argv);

/*
 * vigilctl rules kernel [PATH...]: prints the rules the audit source
 * would install for the configuration at config_path (its audit.key,
 * audit.rules and the rules plugin's paths; PATHs replace those paths),
 * with the running vigild's pid from its pid file.  Returns the exit
 * status (0, 1 policy errors, 2 bad configuration).
 */
int vigil_audit_rules_cli(const char *config_path, int argc, char **argv);

/*
 * `vigilctl fim ...`: argv[0] is "fim", argv[1] the command (baseline,
 * check, update).  Prints to stdout/stderr.  Returns the exit status:
 * 0 done / no change, 1 changes found (check), 2 error.
 */
int vigil_fim_cli(int argc, char **argv);

/*
 * `vigilctl signals list|show|triage|export ...`: argv[0] is "signals".
 * Reads the signal store the configuration at config names (or --db).
 * Returns the exit status: 0 done, 1 store error, 2 unknown signal id,
 * 64 (EX_USAGE) bad usage, status, reason or filter.
 */
int vigil_signals_cli(const char *config, int argc, char **argv);

#endif /* VIGIL_CLI_H */
