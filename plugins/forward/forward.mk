# plugins/forward/forward.mk - the Fluentd/Fluent Bit forward protocol
# output: the plugin, its protocol codec, unit test and fuzz target.
plugin_LTLIBRARIES += plugins/forward.la
plugins_forward_la_SOURCES = plugins/forward/forward.c \
	plugins/forward/forward_proto.c plugins/forward/forward_proto.h \
	$(conn_sources)
plugins_forward_la_CPPFLAGS = $(plugin_common_cppflags)
plugins_forward_la_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS) $(MSGPACK_CFLAGS) \
	$(OPENSSL_CFLAGS)
plugins_forward_la_LIBADD = $(LIBUV_LIBS) $(MSGPACK_LIBS) $(OPENSSL_LIBS) $(ZLIB_LIBS)
plugins_forward_la_LDFLAGS = $(AM_LDFLAGS) $(vigil_plugin_ldflags) -rpath $(plugindir)

# the codec alone, for its unit test and fuzz target
fwd_proto_sources = plugins/forward/forward_proto.c \
	plugins/forward/forward_proto.h $(buf_sources)
fwd_proto_cflags = $(MSGPACK_CFLAGS) $(OPENSSL_CFLAGS)
fwd_proto_libs = $(MSGPACK_LIBS) $(OPENSSL_LIBS)

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test_forward_proto
TESTS += tests/unit/test_forward_proto
tests_unit_test_forward_proto_SOURCES = tests/unit/test_forward_proto.c \
	$(fwd_proto_sources)
tests_unit_test_forward_proto_CPPFLAGS = $(TEST_CPPFLAGS) \
	-I$(top_srcdir)/plugins/forward
tests_unit_test_forward_proto_CFLAGS = $(TEST_CFLAGS) $(fwd_proto_cflags)
tests_unit_test_forward_proto_LDADD = $(CMOCKA_LIBS) $(fwd_proto_libs)
endif

if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_forward_proto
tests_fuzz_fuzz_forward_proto_SOURCES = tests/fuzz/fuzz_forward_proto.c \
	$(fwd_proto_sources)
tests_fuzz_fuzz_forward_proto_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/plugins/forward
tests_fuzz_fuzz_forward_proto_CFLAGS = $(AM_CFLAGS) $(fwd_proto_cflags) \
	-fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_forward_proto_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_forward_proto_LDADD = $(fwd_proto_libs)
endif
