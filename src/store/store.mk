# src/store/store.mk - the signal store (schema, migrations, grouping,
# queries, triage) that the store plugin writes through and vigilctl
# signals reads through.  The plugin compiles store_sources in (with
# buf_sources: plugins never link libvigilcore); vigilctl and the tests
# link libvigilstore next to libvigilcore, which has buf.c.
store_sources = src/store/store.h src/store/store.c \
	src/store/store_sqlite.c src/store/store_sqlite_int.h
noinst_LTLIBRARIES += libvigilstore.la
libvigilstore_la_SOURCES = $(store_sources)
libvigilstore_la_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
libvigilstore_la_LIBADD = $(SQLITE_LIBS)

if ENABLE_TESTS
vigil_unit_tests += tests/unit/test_store
tests_unit_test_store_SOURCES = tests/unit/test_store.c
tests_unit_test_store_CPPFLAGS = $(TEST_CPPFLAGS)
tests_unit_test_store_CFLAGS = $(TEST_CFLAGS) $(SQLITE_CFLAGS)
tests_unit_test_store_LDADD = libvigilstore.la $(TEST_LDADD) $(SQLITE_LIBS)
endif

# the plugin in a real pipeline
if ENABLE_TESTS
vigil_unit_tests += tests/unit/test_store_plugin
tests_unit_test_store_plugin_SOURCES = tests/unit/test_store_plugin.c
tests_unit_test_store_plugin_CPPFLAGS = $(TEST_CPPFLAGS) \
	-DTEST_STORE_PLUGIN='"$(abs_top_builddir)/plugins/.libs/store.so"'
tests_unit_test_store_plugin_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_store_plugin_LDADD = libvigilstore.la $(TEST_LDADD) \
	$(SQLITE_LIBS)
EXTRA_tests_unit_test_store_plugin_DEPENDENCIES = plugins/store.la
endif

# vigilctl signals with bad and good input
if ENABLE_TESTS
vigil_unit_tests += tests/unit/test_signals_cli
tests_unit_test_signals_cli_SOURCES = tests/unit/test_signals_cli.c
tests_unit_test_signals_cli_CPPFLAGS = $(TEST_CPPFLAGS)
tests_unit_test_signals_cli_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_signals_cli_LDADD = libvigilcli.la libvigilstore.la \
	$(TEST_LDADD) $(SQLITE_LIBS)
endif

# root, live kernel: a shipped rule's signal through vigild into the
# store and out through vigilctl signals
TESTS += tests/integration/store/test_store_live.sh

# bench/store_bench: occurrences/s into SQLite and signals list latency
noinst_PROGRAMS += bench/store_bench
bench_store_bench_SOURCES = bench/store_bench.c
bench_store_bench_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
bench_store_bench_LDADD = libvigilstore.la libvigilcore.la $(SQLITE_LIBS)
