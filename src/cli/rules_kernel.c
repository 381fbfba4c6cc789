/*
 * rules_kernel.c - "vigilctl rules kernel [PATH...]": the audit rules
 * the audit source would install, in auditctl syntax.
 *
 * It reads the same configuration as vigild (audit.key, audit.rules, the
 * rules plugin's paths) and calls the same derivation
 * (vigil_audit_rules_derive), so what it prints is what the source loads.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "lang/policy.h"
#include "schema.h"
#include "settings.h"
#include "audit/audit_event.h"
#include "audit/audit_rules.h"
#include "audit/audit_source.h"

/* The pid in the running vigild's pid file, or 0 when none runs. */
static int daemon_pid(const char *pid_file)
{
	FILE *f = pid_file ? fopen(pid_file, "r") : NULL;
	long pid = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 0 || pid > INT32_MAX)
		pid = 0;
	fclose(f);
	if (pid && kill((pid_t)pid, 0) && errno == ESRCH)
		pid = 0;
	return (int)pid;
}

int vigil_audit_rules_cli(const char *config_path, int argc, char **argv)
{
	struct vigil_buf err = { 0 }, text = { 0 };
	struct vigil_ruleset *rs = NULL;
	struct vigil_config cfg, *have = &cfg;
	char key[64];
	int mode, pid, rc = 2;

	memset(&cfg, 0, sizeof(cfg));
	if (access(config_path, F_OK) && errno == ENOENT) {
		/* no configuration: vigild's defaults */
		have = NULL;
	} else if (vigil_config_load(config_path, &cfg, &err)) {
		fprintf(stderr, "vigilctl: %s\n", vigil_buf_cstr(&err));
		goto out;
	}
	/* audit.key and audit.rules as the audit source reads them */
	if (vigil_audit_source_rules_conf(
		    have ? vigil_config_section(have, "audit") : NULL, key,
		    sizeof(key), &mode, &err)) {
		fprintf(stderr, "vigilctl: %s\n", vigil_buf_cstr(&err));
		goto out;
	}
	if (mode == VIGIL_AUDIT_RULES_NONE) {
		printf("## audit.rules is none: vigild installs no audit "
		       "rules\n");
		rc = 0;
		goto out;
	}
	rc = 1;
	{
		int r = argc > 0 ? vigil_ruleset_load(vigil_fields(),
						      (const char *const *)argv,
						      (size_t)argc, &rs, &err)
				 : vigil_audit_rules_load_policy(
					   have, vigil_fields(), &rs, &err);

		/* all: the policy only adds its path watches, if it loads */
		if (r && mode == VIGIL_AUDIT_RULES_DERIVED) {
			fprintf(stderr, "%s\nvigilctl: the policy does not "
				"load; vigild would install every syscall "
				"group (audit.rules: all)\n",
				vigil_buf_cstr(&err));
			goto out;
		}
	}
	pid = daemon_pid(have ? cfg.pid_file : NULL);
	if (!pid)
		printf("## vigild is not running: it adds, first, \"-a "
		       "never,exit -F arch=ARCH -S all -F pid=PID -k %s\" "
		       "for its own pid\n", key);
	if (mode == VIGIL_AUDIT_RULES_DERIVED ?
		    vigil_audit_rules_derive(rs, key, pid, &text) :
		    vigil_audit_rules_derive_all(rs, key, pid, &text)) {
		fprintf(stderr, "vigilctl: out of memory\n");
		goto out;
	}
	fputs(vigil_buf_cstr(&text), stdout);
	rc = 0;
out:
	vigil_ruleset_free(rs);
	vigil_buf_free(&text);
	vigil_buf_free(&err);
	if (have)
		vigil_config_free(&cfg);
	return rc;
}
