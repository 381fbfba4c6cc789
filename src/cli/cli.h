/*
 * cli.h - vigilctl subcommands that live with their subsystem
 * (rules, fim, ...), dispatched by name.
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

#endif /* VIGIL_CLI_H */
