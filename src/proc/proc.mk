# src/proc/proc.mk - the process side: process table, cgroup parsing, the
# /proc reader, the proc connector source and enrichment.
# libvigilproc is linked into vigild and into the tests below.
noinst_LTLIBRARIES += libvigilproc.la
libvigilproc_la_SOURCES = \
	src/proc/cgroup.c src/proc/cgroup.h \
	src/proc/proctable.c src/proc/proctable.h \
	src/proc/proctable_int.h src/proc/proctable_store.c \
	src/proc/proctable_procfs.c src/proc/proctable_events.c \
	src/proc/proctable_enrich.c \
	src/proc/procfs.c src/proc/procfs.h \
	src/proc/proc_connector.c src/proc/proc_connector.h
libvigilproc_la_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS)
libvigilproc_la_LIBADD = libvigilcore.la $(LIBUV_LIBS)

# cmocka unit tests, each built from its .c file (automake's default
# source); tests/tests.mk runs them.
vigil_unit_tests += tests/unit/test_cgroup_parse tests/unit/test_procfs_read \
	tests/unit/test_proctable tests/unit/test_proc_connector_messages
vigil_proc_test_cflags = $(TEST_CFLAGS) \
	-DVIGIL_FIXTURES='"$(abs_top_srcdir)/tests/fixtures"'
vigil_proc_test_ldadd = libvigilproc.la $(TEST_LDADD) $(LIBUV_LIBS)

tests_unit_test_cgroup_parse_CFLAGS = $(vigil_proc_test_cflags)
tests_unit_test_cgroup_parse_LDADD = $(vigil_proc_test_ldadd)
tests_unit_test_procfs_read_CFLAGS = $(vigil_proc_test_cflags)
tests_unit_test_procfs_read_LDADD = $(vigil_proc_test_ldadd)
tests_unit_test_proctable_CFLAGS = $(vigil_proc_test_cflags)
tests_unit_test_proctable_LDADD = $(vigil_proc_test_ldadd)
# socket, bind and recvmmsg are wrapped so the test plays the kernel.
tests_unit_test_proc_connector_messages_CFLAGS = $(vigil_proc_test_cflags)
tests_unit_test_proc_connector_messages_LDFLAGS = $(AM_LDFLAGS) \
	-Wl,--wrap=socket,--wrap=bind,--wrap=recvmmsg
tests_unit_test_proc_connector_messages_LDADD = $(vigil_proc_test_ldadd)

EXTRA_DIST += tests/fixtures/proc

# Live kernel (root): the proc connector source and a four-level chain.
if ENABLE_TESTS
check_PROGRAMS += tests/integration/proc/test_proc_ancestry \
	tests/integration/proc/test_proc_overrun
TESTS += tests/integration/proc/test_proc_ancestry \
	tests/integration/proc/test_proc_overrun
proc_live_ldadd = libvigilproc.la libvigilcore.la $(LIBUV_LIBS)
tests_integration_proc_test_proc_ancestry_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS)
tests_integration_proc_test_proc_ancestry_LDADD = $(proc_live_ldadd)
tests_integration_proc_test_proc_overrun_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS)
tests_integration_proc_test_proc_overrun_LDADD = $(proc_live_ldadd)
endif

# Live kernel (root), the real vigild: the table's live count comes back to
# the host's process count after 10,000 short processes (issue 22).
TESTS += tests/integration/proc/test_proc_live_count.sh

# libFuzzer target (configure --enable-fuzzers CC=clang).
if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_cgroup
tests_fuzz_fuzz_cgroup_SOURCES = tests/fuzz/fuzz_cgroup.c src/proc/cgroup.c
tests_fuzz_fuzz_cgroup_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_cgroup_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
endif

# Enrichment cost per event (see the file's header for callgrind).
noinst_PROGRAMS += bench/proctable_bench
bench_proctable_bench_SOURCES = bench/proctable_bench.c
bench_proctable_bench_CFLAGS = $(AM_CFLAGS)
bench_proctable_bench_LDADD = libvigilproc.la libvigilcore.la
