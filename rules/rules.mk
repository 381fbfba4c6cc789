# rules: the default detection policy.
#
# The YAML files are installed flat into $(pkgdatadir)/rules, the directory
# vigild and `vigilctl rules` load before /etc/vigil/rules.d.  README.md is
# generated from them by rules/gen-readme.py; `make rules-readme` rewrites
# it and `make check` fails when it is stale (test_readme_fresh.sh).
rulesdir = $(pkgdatadir)/rules
dist_rules_DATA = \
	rules/default/lists.yaml \
	rules/default/process.yaml \
	rules/default/file.yaml \
	rules/default/kernel.yaml \
	rules/default/dns.yaml \
	rules/default/agent.yaml

EXTRA_DIST += rules/README.md rules/gen-readme.py

PYTHON3 = python3

rules-readme:
	$(AM_V_GEN)$(PYTHON3) $(srcdir)/rules/gen-readme.py \
		$(srcdir)/rules/default $(srcdir)/rules/README.md
.PHONY: rules-readme

# Structure, tags, field names and embedded tests of the policy; the
# README freshness check.  Both skip (77) without python3-yaml.
TESTS += tests/integration/policy/test_policy_check.sh \
	tests/integration/policy/test_readme_fresh.sh

# The live policy suite (issue 5, proofs 2 and 3): behaviours performed on
# the kernel against a running vigild; see tests/integration/policy/live/.
check_PROGRAMS += tests/integration/policy/live/live_kact
tests_integration_policy_live_live_kact_SOURCES = \
	tests/integration/policy/live/live_kact.c
tests_integration_policy_live_live_kact_CFLAGS = $(AM_CFLAGS)
# On the test VM run.sh takes about 35 s (it proves all 115 rules) and
# benign.sh about 12 s; both skip (77) when not root.  benign.sh installs and removes the Debian
# package sl (skips without a mirror).
TESTS += tests/integration/policy/live/run.sh \
	tests/integration/policy/live/benign.sh
