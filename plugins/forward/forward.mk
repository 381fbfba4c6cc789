# Forwarders (issue 8): the durable spool they share, the Fluent forward
# output, their unit tests, integration drivers, fuzz targets and bench.
# spool.c is compiled into each forwarder: plugins link no vigil library.

spool_sources = plugins/common/spool.c plugins/common/spool.h \
	plugins/common/select.c plugins/common/select.h
tls_sources = plugins/common/tls.c plugins/common/tls.h

plugin_LTLIBRARIES += plugins/forward.la
plugins_forward_la_SOURCES = plugins/forward/forward.c \
	plugins/forward/forward_proto.c plugins/forward/forward_proto.h \
	$(spool_sources) $(tls_sources)
plugins_forward_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
plugins_forward_la_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS) $(MSGPACK_CFLAGS) \
	$(OPENSSL_CFLAGS)
plugins_forward_la_LIBADD = $(LIBUV_LIBS) $(MSGPACK_LIBS) $(OPENSSL_LIBS) -lz
plugins_forward_la_LDFLAGS = $(AM_LDFLAGS) $(vigil_plugin_ldflags) -rpath $(plugindir)

plugin_LTLIBRARIES += plugins/syslog.la
plugins_syslog_la_SOURCES = plugins/syslog/syslog.c \
	plugins/syslog/syslog_fmt.c plugins/syslog/syslog_fmt.h \
	$(spool_sources) $(tls_sources)
plugins_syslog_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
plugins_syslog_la_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS) $(OPENSSL_CFLAGS)
plugins_syslog_la_LIBADD = $(LIBUV_LIBS) $(OPENSSL_LIBS) -lz
plugins_syslog_la_LDFLAGS = $(AM_LDFLAGS) $(vigil_plugin_ldflags) -rpath $(plugindir)

plugin_LTLIBRARIES += plugins/http.la
plugins_http_la_SOURCES = plugins/http/http.c $(spool_sources)
plugins_http_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
plugins_http_la_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS) $(CURL_CFLAGS)
plugins_http_la_LIBADD = $(LIBUV_LIBS) $(CURL_LIBS) -lz
plugins_http_la_LDFLAGS = $(AM_LDFLAGS) $(vigil_plugin_ldflags) -rpath $(plugindir)

EXTRA_DIST += tests/integration/forward bench/forward_bench.sh

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test_spool
TESTS += tests/unit/test_spool
tests_unit_test_spool_SOURCES = tests/unit/test_spool.c $(spool_sources)
tests_unit_test_spool_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/plugins/common
tests_unit_test_spool_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_spool_LDADD = $(CMOCKA_LIBS) -lz

check_PROGRAMS += tests/unit/test_forward_proto
TESTS += tests/unit/test_forward_proto
tests_unit_test_forward_proto_SOURCES = tests/unit/test_forward_proto.c \
	plugins/forward/forward_proto.c plugins/forward/forward_proto.h
tests_unit_test_forward_proto_CPPFLAGS = $(TEST_CPPFLAGS) \
	-I$(top_srcdir)/plugins/forward
tests_unit_test_forward_proto_CFLAGS = $(TEST_CFLAGS) $(MSGPACK_CFLAGS) \
	$(OPENSSL_CFLAGS)
tests_unit_test_forward_proto_LDADD = $(CMOCKA_LIBS) $(MSGPACK_LIBS) \
	$(OPENSSL_LIBS)

check_PROGRAMS += tests/unit/test_forward_syslog_format
TESTS += tests/unit/test_forward_syslog_format
tests_unit_test_forward_syslog_format_SOURCES = \
	tests/unit/test_forward_syslog_format.c \
	plugins/syslog/syslog_fmt.c plugins/syslog/syslog_fmt.h
tests_unit_test_forward_syslog_format_CPPFLAGS = $(TEST_CPPFLAGS) \
	-I$(top_srcdir)/plugins/syslog
tests_unit_test_forward_syslog_format_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_forward_syslog_format_LDADD = $(CMOCKA_LIBS)

# the pipeline driver of the integration tests and the benchmark
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
	tests/integration/forward/http_server.py
TESTS += tests/integration/forward/forward_e2e_quick.sh \
	tests/integration/forward/syslog_e2e.sh \
	tests/integration/forward/http_e2e.sh
endif

if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_spool
tests_fuzz_fuzz_spool_SOURCES = tests/fuzz/fuzz_spool.c $(spool_sources)
tests_fuzz_fuzz_spool_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
tests_fuzz_fuzz_spool_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_spool_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_spool_LDADD = -lz

noinst_PROGRAMS += tests/fuzz/fuzz_forward_proto
tests_fuzz_fuzz_forward_proto_SOURCES = tests/fuzz/fuzz_forward_proto.c \
	plugins/forward/forward_proto.c plugins/forward/forward_proto.h
tests_fuzz_fuzz_forward_proto_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/plugins/forward
tests_fuzz_fuzz_forward_proto_CFLAGS = $(AM_CFLAGS) $(MSGPACK_CFLAGS) \
	$(OPENSSL_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_forward_proto_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_forward_proto_LDADD = $(MSGPACK_LIBS) $(OPENSSL_LIBS)
endif
