# src/audit/audit.mk - the audit source: record parser, reassembler,
# EXECVE decoder, event builder, netlink intake, kernel rules and the
# filters and watches they derive from the policy.
noinst_LTLIBRARIES += libvigilaudit.la
libvigilaudit_la_SOURCES = \
	src/audit/audit_record.c src/audit/audit_record.h \
	src/audit/audit_execve.c src/audit/audit_execve.h \
	src/audit/audit_reasm.c src/audit/audit_reasm.h \
	src/audit/audit_event.c src/audit/audit_event.h \
	src/audit/audit_event_kernel.c src/audit/audit_event_file.c \
	src/audit/audit_event_int.h \
	src/audit/audit_netlink.c src/audit/audit_netlink.h \
	src/audit/audit_derive.c src/audit/audit_derive.h \
	src/audit/audit_rules.c src/audit/audit_rules_kernel.c \
	src/audit/audit_rules.h \
	src/audit/audit_source.c src/audit/audit_source_kernel.c \
	src/audit/audit_source.h src/audit/audit_source_int.h
libvigilaudit_la_CFLAGS = $(AM_CFLAGS) $(AUDIT_CFLAGS) $(LIBUV_CFLAGS) \
	$(PCRE2_CFLAGS)
libvigilaudit_la_LIBADD = libvigilrules.la libvigilfim.la libvigilcore.la $(AUDIT_LIBS) \
	$(PCRE2_LIBS) $(OPENSSL_LIBS)
if ENABLE_FUZZERS
# coverage for the fuzz targets reaches into the parsers
libvigilaudit_la_CFLAGS += -fsanitize=fuzzer-no-link
endif

# The cmocka unit tests, each built from its .c file (automake's default
# source); tests/tests.mk runs them.  Each one's flags follow.
vigil_unit_tests += tests/unit/test_audit_record \
	tests/unit/test_audit_differential tests/unit/test_audit_reasm \
	tests/unit/test_audit_event tests/unit/test_audit_source \
	tests/unit/test_audit_rules
audit_test_cppflags = $(AM_CPPFLAGS) \
	-DAUDIT_FIXTURES='"$(abs_top_srcdir)/tests/fixtures/audit"'
audit_test_cflags = $(TEST_CFLAGS) $(AUDIT_CFLAGS)
audit_test_ldadd = libvigilaudit.la $(TEST_LDADD) $(AUDIT_LIBS)

tests_unit_test_audit_record_CFLAGS = $(audit_test_cflags)
tests_unit_test_audit_record_LDADD = $(audit_test_ldadd)

tests_unit_test_audit_differential_CPPFLAGS = $(audit_test_cppflags)
tests_unit_test_audit_differential_CFLAGS = $(audit_test_cflags) \
	$(AUPARSE_CFLAGS)
tests_unit_test_audit_differential_LDADD = $(audit_test_ldadd) \
	$(AUPARSE_LIBS)
EXTRA_DIST += tests/fixtures/audit/execve-hostile.log \
	tests/fixtures/audit/record-fixtures.sh \
	tests/integration/audit/audit_state.sh

tests_unit_test_audit_reasm_CFLAGS = $(audit_test_cflags)
tests_unit_test_audit_reasm_LDADD = $(audit_test_ldadd)

tests_unit_test_audit_event_CPPFLAGS = $(audit_test_cppflags)
tests_unit_test_audit_event_CFLAGS = $(audit_test_cflags)
tests_unit_test_audit_event_LDADD = $(audit_test_ldadd)
EXTRA_DIST += tests/fixtures/audit/kernel-activity.log \
	tests/fixtures/audit/record-kernel.sh \
	tests/integration/audit/run.sh

# Live-kernel tests (root, < 60 s; skip as 77 otherwise): run.sh drives
# them and restores the audit state on every exit path.
TESTS += tests/integration/audit/run.sh
check_PROGRAMS += tests/integration/audit/audit_live \
	tests/integration/audit/audit_kact
tests_integration_audit_audit_live_CFLAGS = $(AM_CFLAGS) $(AUDIT_CFLAGS) \
	$(LIBUV_CFLAGS) $(PCRE2_CFLAGS)
tests_integration_audit_audit_live_LDADD = libvigilaudit.la \
	libvigilcore.la $(AUDIT_LIBS) $(LIBUV_LIBS)

if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_audit_record tests/fuzz/fuzz_audit_stream
audit_fuzz_cflags = $(AM_CFLAGS) $(AUDIT_CFLAGS) -fsanitize=fuzzer
audit_fuzz_ldadd = libvigilaudit.la libvigilcore.la $(AUDIT_LIBS)
tests_fuzz_fuzz_audit_record_SOURCES = tests/fuzz/fuzz_audit_record.c
tests_fuzz_fuzz_audit_record_CFLAGS = $(audit_fuzz_cflags)
tests_fuzz_fuzz_audit_record_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_fuzz_audit_record_LDADD = $(audit_fuzz_ldadd)
tests_fuzz_fuzz_audit_stream_SOURCES = tests/fuzz/fuzz_audit_stream.c
tests_fuzz_fuzz_audit_stream_CFLAGS = $(audit_fuzz_cflags)
tests_fuzz_fuzz_audit_stream_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_fuzz_audit_stream_LDADD = $(audit_fuzz_ldadd)
endif

# bench/audit_exec_bench.sh: vigil's reader vs auditd on the same stream;
# its load generator lives with the live-test helpers.
check_PROGRAMS += tests/integration/audit/audit_spawn
EXTRA_DIST += bench/audit_exec_bench.sh

# bench/audit_kfilter_bench.sh: records per 1000 syscalls, derived rules
# against every group; the workload and record counter:
noinst_PROGRAMS += bench/audit_kfilter_load
bench_audit_kfilter_load_SOURCES = bench/audit_kfilter_load.c
bench_audit_kfilter_load_CFLAGS = $(AM_CFLAGS) $(AUDIT_CFLAGS)
bench_audit_kfilter_load_LDADD = libvigilaudit.la libvigilcore.la \
	$(AUDIT_LIBS)
EXTRA_DIST += bench/audit_kfilter_bench.sh

# auditd plugin files (packaging installs them to /etc/audit/plugins.d
# and /etc/audisp/plugins.d, inactive).
EXTRA_DIST += etc/audit/vigil.conf etc/audit/vigil-audisp.conf
# audit 3.x reads plugins from /etc/audit/plugins.d (installed inactive:
# active = no); the audit 2.x file (/etc/audisp/plugins.d, RHEL 7) is
# shipped as an example to copy there.
auditpluginsdir = $(sysconfdir)/audit/plugins.d
auditplugins_DATA = etc/audit/vigil.conf
auditexampledir = $(pkgdatadir)/audisp
auditexample_DATA = etc/audit/vigil-audisp.conf

tests_unit_test_audit_source_CPPFLAGS = $(audit_test_cppflags)
tests_unit_test_audit_source_CFLAGS = $(audit_test_cflags)
tests_unit_test_audit_source_LDADD = $(audit_test_ldadd) $(LIBUV_LIBS)

tests_unit_test_audit_rules_CFLAGS = $(audit_test_cflags) $(PCRE2_CFLAGS)
tests_unit_test_audit_rules_LDADD = libvigilcli.la $(audit_test_ldadd) \
	libvigilrules.la libvigilfim.la $(OPENSSL_LIBS)
