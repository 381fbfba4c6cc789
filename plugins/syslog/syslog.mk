# plugins/syslog/syslog.mk - the RFC 5424 syslog output (UDP, TCP, TLS):
# the plugin, its formatter and the formatter's unit test.
plugin_LTLIBRARIES += plugins/syslog.la
plugins_syslog_la_SOURCES = plugins/syslog/syslog.c \
	plugins/syslog/syslog_fmt.c plugins/syslog/syslog_fmt.h \
	$(conn_sources)
plugins_syslog_la_CPPFLAGS = $(plugin_common_cppflags)
plugins_syslog_la_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS) $(OPENSSL_CFLAGS)
plugins_syslog_la_LIBADD = $(LIBUV_LIBS) $(OPENSSL_LIBS) $(ZLIB_LIBS)
plugins_syslog_la_LDFLAGS = $(AM_LDFLAGS) $(vigil_plugin_ldflags) -rpath $(plugindir)

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test_forward_syslog_format
TESTS += tests/unit/test_forward_syslog_format
tests_unit_test_forward_syslog_format_SOURCES = \
	tests/unit/test_forward_syslog_format.c \
	plugins/syslog/syslog_fmt.c plugins/syslog/syslog_fmt.h $(buf_sources)
tests_unit_test_forward_syslog_format_CPPFLAGS = $(TEST_CPPFLAGS) \
	-I$(top_srcdir)/plugins/syslog
tests_unit_test_forward_syslog_format_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_forward_syslog_format_LDADD = $(CMOCKA_LIBS)
endif
