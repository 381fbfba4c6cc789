# plugins/common/common.mk - what the forwarders share: the durable spool,
# output selection, the outlet (spool, tick, counters, backoff), the
# connection layer and TLS.  These are compiled into each plugin that uses
# them (plugins link no vigil library); so is the core's one growable
# buffer (src/buf.c, buf_sources).  Also their tests and fuzz target,
# and the forwarders' shared integration driver and scripts.
spool_sources = plugins/common/spool.c plugins/common/spool.h \
	plugins/common/spool_check.c plugins/common/spool_int.h \
	plugins/common/select.c plugins/common/select.h
tls_sources = plugins/common/tls.c plugins/common/tls.h
buf_sources = src/buf.c src/buf.h
outlet_sources = plugins/common/outlet.c plugins/common/outlet.h
# the connection layer, with what it stands on (a plugin lists these, not
# the pieces: automake refuses a source listed twice)
conn_sources = plugins/common/conn.c plugins/common/conn.h \
	$(outlet_sources) $(spool_sources) $(tls_sources) $(buf_sources)
plugin_common_cppflags = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common

EXTRA_DIST += tests/integration/forward bench/forward_bench.sh

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test_spool
TESTS += tests/unit/test_spool
tests_unit_test_spool_SOURCES = tests/unit/test_spool.c $(spool_sources)
tests_unit_test_spool_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/plugins/common
tests_unit_test_spool_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_spool_LDADD = $(CMOCKA_LIBS) $(ZLIB_LIBS)

# the pipeline driver of the forwarders' integration tests and benchmark
check_PROGRAMS += tests/integration/forward/drive
tests_integration_forward_drive_SOURCES = tests/integration/forward/drive.c
tests_integration_forward_drive_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_forward_drive_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS)
tests_integration_forward_drive_LDADD = libvigilcore.la
dist_noinst_SCRIPTS += tests/integration/forward/forward_e2e.sh \
	tests/integration/forward/forward_e2e_quick.sh \
	tests/integration/forward/fwd_server.py \
	tests/integration/forward/syslog_e2e.sh \
	tests/integration/forward/http_e2e.sh \
	tests/integration/forward/http_server.py \
	tests/integration/forward/conn_e2e.sh
TESTS += tests/integration/forward/conn_e2e.sh \
	tests/integration/forward/forward_e2e_quick.sh \
	tests/integration/forward/syslog_e2e.sh \
	tests/integration/forward/http_e2e.sh
endif

if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_spool
tests_fuzz_fuzz_spool_SOURCES = tests/fuzz/fuzz_spool.c $(spool_sources)
tests_fuzz_fuzz_spool_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
tests_fuzz_fuzz_spool_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_spool_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_spool_LDADD = $(ZLIB_LIBS)
endif
