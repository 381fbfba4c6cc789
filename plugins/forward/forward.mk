# Forwarders (issue 8): the durable spool they share, the Fluent forward
# output, their unit tests, integration drivers, fuzz targets and bench.
# spool.c is compiled into each forwarder: plugins link no vigil library.

spool_sources = plugins/common/spool.c plugins/common/spool.h

EXTRA_DIST += tests/integration/forward bench/forward_bench.sh

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test_spool
TESTS += tests/unit/test_spool
tests_unit_test_spool_SOURCES = tests/unit/test_spool.c $(spool_sources)
tests_unit_test_spool_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/plugins/common
tests_unit_test_spool_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_spool_LDADD = $(CMOCKA_LIBS) -lz
endif

if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_spool
tests_fuzz_fuzz_spool_SOURCES = tests/fuzz/fuzz_spool.c $(spool_sources)
tests_fuzz_fuzz_spool_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
tests_fuzz_fuzz_spool_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_spool_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_spool_LDADD = -lz
endif
