# src/fim/fim.mk - file integrity monitoring: the fanotify adapter
# (fanotify.c), FIM tracking (fim_track.c, fim_rename.c, fim_rescan.c),
# hashing and the baseline.  libvigilfim is linked by vigild (the
# source) and vigilctl (the `fim` commands in src/cli/fim.c).
noinst_LTLIBRARIES += libvigilfim.la
libvigilfim_la_SOURCES = \
	src/fim/fim.h \
	src/fim/fim_common.c \
	src/fim/fim_proc.c \
	src/fim/baseline.c \
	src/fim/fanotify.h \
	src/fim/fanotify.c \
	src/fim/fanotify_parse.h \
	src/fim/fanotify_parse.c \
	src/fim/fim_track.h \
	src/fim/fim_track.c \
	src/fim/fim_rename.c \
	src/fim/fim_rescan.c
libvigilfim_la_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS) $(OPENSSL_CFLAGS)
# libvigilproc: the acting process is read through its /proc reader.
libvigilfim_la_LIBADD = libvigilproc.la libvigilcore.la $(LIBUV_LIBS) \
	$(OPENSSL_LIBS) -lpthread

# Live-kernel test of the source (root; skips with 77 otherwise).
check_PROGRAMS += tests/integration/fim/fim_source_test
tests_integration_fim_fim_source_test_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS) \
	$(OPENSSL_CFLAGS)
tests_integration_fim_fim_source_test_LDADD = libvigilfim.la libvigilcore.la \
	$(LIBUV_LIBS) $(OPENSSL_LIBS)

# cmocka unit tests of the pure logic, each built from its .c file
# (automake's default source); tests/tests.mk runs them.
vigil_unit_tests += tests/unit/test_fim_logic tests/unit/test_fim_baseline \
	tests/unit/test_fim_proc tests/unit/test_fim_fanotify_parse
fim_unit_cflags = $(TEST_CFLAGS) \
	-DFIM_FIXTURES='"$(abs_top_srcdir)/tests/fixtures/fim"'
fim_unit_ldadd = libvigilfim.la $(TEST_LDADD)
tests_unit_test_fim_logic_CFLAGS = $(fim_unit_cflags)
tests_unit_test_fim_logic_LDADD = $(fim_unit_ldadd)
tests_unit_test_fim_baseline_CFLAGS = $(fim_unit_cflags)
tests_unit_test_fim_baseline_LDADD = $(fim_unit_ldadd)
tests_unit_test_fim_proc_CFLAGS = $(fim_unit_cflags)
tests_unit_test_fim_proc_LDADD = $(fim_unit_ldadd)
tests_unit_test_fim_fanotify_parse_CFLAGS = $(fim_unit_cflags)
tests_unit_test_fim_fanotify_parse_LDADD = $(fim_unit_ldadd)
EXTRA_DIST += tests/fixtures/fim

# Integration tests: fim_check.sh (baseline, offline change, check) and
# fim_source.sh (every rung on the live kernel, 10 000-write bursts,
# overflow; 30-60 s).
if ENABLE_TESTS
TESTS += tests/integration/fim/fim_check.sh tests/integration/fim/fim_source.sh \
	tests/integration/fim/fim_audit_fallback.sh
endif
dist_noinst_SCRIPTS += tests/integration/fim/fim_audit_fallback.sh \
	tests/integration/fim/fim_check.sh \
	tests/integration/fim/fim_source.sh

# libFuzzer targets (configure --enable-fuzzers CC=clang).
if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_fim_fanotify tests/fuzz/fuzz_fim_baseline
tests_fuzz_fuzz_fim_fanotify_SOURCES = tests/fuzz/fuzz_fim_fanotify.c \
	src/fim/fanotify_parse.c
tests_fuzz_fuzz_fim_fanotify_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_fim_fanotify_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_fuzz_fim_baseline_SOURCES = tests/fuzz/fuzz_fim_baseline.c \
	src/fim/baseline.c src/fim/fim_common.c
tests_fuzz_fuzz_fim_baseline_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) \
	-fsanitize=fuzzer
tests_fuzz_fuzz_fim_baseline_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_fuzz_fim_baseline_LDADD = libvigilcore.la $(OPENSSL_LIBS) -lpthread
endif

# Benchmark driver (bench/fim_bench.sh).
noinst_PROGRAMS += bench/fim_latency
bench_fim_latency_SOURCES = bench/fim_latency.c
bench_fim_latency_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS)
bench_fim_latency_LDADD = libvigilfim.la libvigilcore.la $(LIBUV_LIBS) -lpthread
dist_noinst_SCRIPTS += bench/fim_bench.sh
