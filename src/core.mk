# src/core.mk - the core: event model, schema, codecs, config, pipeline,
# plugin loader, control socket, read pacing, privileges.  libvigilcore is
# linked into vigild, vigilctl and the tests; it includes no part above it.
noinst_LTLIBRARIES += libvigilcore.la
libvigilcore_la_SOURCES = \
	src/util.c src/util.h src/buf.c src/buf.h \
	src/node.c src/node.h src/source.h \
	src/source_status.c src/source_status.h \
	src/schema.c src/schema.h \
	src/codec_encode.c src/codec_decode.c src/codec.h \
	src/confmap.c src/confmap.h \
	src/settings.c src/settings.h \
	src/pipeline.c src/pipeline.h src/pipeline_int.h \
	src/plugin_host.c src/plugin_loader.c \
	src/ctl.c src/ctl.h \
	src/pacer.c src/pacer.h
libvigilcore_la_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS) $(MSGPACK_CFLAGS) $(YAML_CFLAGS)
libvigilcore_la_LIBADD = $(LIBUV_LIBS) $(MSGPACK_LIBS) $(YAML_LIBS) -lpthread $(LIBS)

# privs: capability dropping with libcap-ng.  A convenience library so
# vigild (and its tests) link it without libvigilcore needing libcap-ng.
noinst_LTLIBRARIES += libvigilprivs.la
libvigilprivs_la_SOURCES = src/privs.c src/privs.h
libvigilprivs_la_CFLAGS = $(AM_CFLAGS) $(CAPNG_CFLAGS)
libvigilprivs_la_LIBADD = $(CAPNG_LIBS)

if ENABLE_TESTS
# source_status: the status tables every source reports through
vigil_unit_tests += tests/unit/test_source_status
tests_unit_test_source_status_SOURCES = tests/unit/test_source_status.c
tests_unit_test_source_status_CPPFLAGS = $(TEST_CPPFLAGS)
tests_unit_test_source_status_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_source_status_LDADD = $(TEST_LDADD)
endif

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test_privs_mask \
	tests/integration/pkg/test_privs_drop
TESTS += tests/unit/test_privs_mask \
	tests/integration/pkg/test_privs_drop

tests_unit_test_privs_mask_SOURCES = tests/unit/test_privs_mask.c
tests_unit_test_privs_mask_CPPFLAGS = $(TEST_CPPFLAGS)
tests_unit_test_privs_mask_CFLAGS = $(TEST_CFLAGS) $(CAPNG_CFLAGS)
tests_unit_test_privs_mask_LDADD = libvigilprivs.la $(TEST_LDADD)

# Root only (exit 77 otherwise): forks, drops, reads /proc/self/status.
tests_integration_pkg_test_privs_drop_SOURCES = \
	tests/integration/pkg/test_privs_drop.c
tests_integration_pkg_test_privs_drop_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_pkg_test_privs_drop_CFLAGS = $(TEST_CFLAGS) $(CAPNG_CFLAGS)
tests_integration_pkg_test_privs_drop_LDADD = libvigilprivs.la $(TEST_LDADD)
endif

