# tests: cmocka unit tests, integration tests, fuzz targets.
# Every test program is named after what it proves; `make check` runs
# them all (integration tests skip with 77 when not root).

TEST_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SRCDIR='"$(abs_top_srcdir)"' \
	-DTEST_PLUGIN_DIR='"$(abs_top_builddir)/tests/plugins/.libs"' \
	-DTEST_FILE_SINK='"$(abs_top_builddir)/plugins/.libs/file_sink.so"'
TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(LIBUV_CFLAGS)
TEST_LDADD = libvigilcore.la $(CMOCKA_LIBS)

EXTRA_DIST += tests/fixtures tests/integration

if ENABLE_TESTS
# the fragments' cmocka tests (vigil_unit_tests, Makefile.am), then the
# core's
check_PROGRAMS += $(vigil_unit_tests)
TESTS += $(vigil_unit_tests)
check_PROGRAMS += tests/unit/test_config tests/unit/test_codec \
	tests/unit/test_plugin_loader tests/unit/test_pacer \
	tests/unit/test_confmap tests/unit/test_ctl
TESTS += tests/unit/test_config tests/unit/test_codec \
	tests/unit/test_plugin_loader tests/unit/test_pacer \
	tests/unit/test_confmap tests/unit/test_ctl
tests_unit_test_ctl_SOURCES = tests/unit/test_ctl.c
tests_unit_test_ctl_CPPFLAGS = $(TEST_CPPFLAGS)
tests_unit_test_ctl_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_ctl_LDADD = $(TEST_LDADD)

tests_unit_test_config_SOURCES = tests/unit/test_config.c
tests_unit_test_config_CPPFLAGS = $(TEST_CPPFLAGS)
tests_unit_test_config_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_config_LDADD = $(TEST_LDADD)

# The old-distribution fallbacks (openssl_compat.h, curl_compat.h); run
# again by .ci/run in a ./configure --enable-force-fallbacks build.
check_PROGRAMS += tests/unit/test_compat_fallbacks
TESTS += tests/unit/test_compat_fallbacks
tests_unit_test_compat_fallbacks_SOURCES = tests/unit/test_compat_fallbacks.c \
	src/openssl_compat.h plugins/http/curl_compat.h
tests_unit_test_compat_fallbacks_CPPFLAGS = $(TEST_CPPFLAGS) \
	-I$(top_srcdir)/plugins/http
tests_unit_test_compat_fallbacks_CFLAGS = $(TEST_CFLAGS) $(CURL_CFLAGS) \
	$(OPENSSL_CFLAGS)
tests_unit_test_compat_fallbacks_LDADD = $(CMOCKA_LIBS) $(CURL_LIBS) \
	$(OPENSSL_LIBS) -lpthread

check_PROGRAMS += tests/unit/test_util
TESTS += tests/unit/test_util
tests_unit_test_util_SOURCES = tests/unit/test_util.c
tests_unit_test_util_CPPFLAGS = $(TEST_CPPFLAGS)
tests_unit_test_util_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_util_LDADD = $(TEST_LDADD)
tests_unit_test_confmap_SOURCES = tests/unit/test_confmap.c
tests_unit_test_confmap_CPPFLAGS = $(TEST_CPPFLAGS)
tests_unit_test_confmap_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_confmap_LDADD = $(TEST_LDADD)

tests_unit_test_pacer_SOURCES = tests/unit/test_pacer.c
tests_unit_test_pacer_CPPFLAGS = $(TEST_CPPFLAGS)
tests_unit_test_pacer_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_pacer_LDADD = $(TEST_LDADD) $(LIBUV_LIBS)

tests_unit_test_codec_SOURCES = tests/unit/test_codec.c
tests_unit_test_codec_CPPFLAGS = $(TEST_CPPFLAGS)
tests_unit_test_codec_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_codec_LDADD = $(TEST_LDADD)

tests_unit_test_plugin_loader_SOURCES = tests/unit/test_plugin_loader.c
tests_unit_test_plugin_loader_CPPFLAGS = $(TEST_CPPFLAGS)
tests_unit_test_plugin_loader_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_plugin_loader_LDADD = $(TEST_LDADD)
# the plugins it loads
tests/unit/test_plugin_loader.$(OBJEXT): $(check_LTLIBRARIES) plugins/file_sink.la

# Plugins the loader must accept or refuse: one source, one variant each.
check_LTLIBRARIES += tests/plugins/abi_good.la tests/plugins/abi_major.la \
	tests/plugins/abi_minor.la tests/plugins/abi_size.la \
	tests/plugins/abi_no_entry.la tests/plugins/abi_null.la \
	tests/plugins/abi_no_init.la tests/plugins/abi_old_minor.la \
	tests/plugins/abi_bad_table.la
abi_ldflags = -module -avoid-version -shared -rpath /nowhere
tests_plugins_abi_good_la_SOURCES = tests/plugins/abi_variant.c
tests_plugins_abi_good_la_CFLAGS = $(AM_CFLAGS) -DVARIANT_GOOD
tests_plugins_abi_good_la_LDFLAGS = $(abi_ldflags)
tests_plugins_abi_major_la_SOURCES = tests/plugins/abi_variant.c
tests_plugins_abi_major_la_CFLAGS = $(AM_CFLAGS) -DVARIANT_MAJOR
tests_plugins_abi_major_la_LDFLAGS = $(abi_ldflags)
tests_plugins_abi_minor_la_SOURCES = tests/plugins/abi_variant.c
tests_plugins_abi_minor_la_CFLAGS = $(AM_CFLAGS) -DVARIANT_MINOR
tests_plugins_abi_minor_la_LDFLAGS = $(abi_ldflags)
tests_plugins_abi_size_la_SOURCES = tests/plugins/abi_variant.c
tests_plugins_abi_size_la_CFLAGS = $(AM_CFLAGS) -DVARIANT_SIZE
tests_plugins_abi_size_la_LDFLAGS = $(abi_ldflags)
tests_plugins_abi_no_entry_la_SOURCES = tests/plugins/abi_variant.c
tests_plugins_abi_no_entry_la_CFLAGS = $(AM_CFLAGS) -DVARIANT_NO_ENTRY
tests_plugins_abi_no_entry_la_LDFLAGS = $(abi_ldflags)
tests_plugins_abi_null_la_SOURCES = tests/plugins/abi_variant.c
tests_plugins_abi_null_la_CFLAGS = $(AM_CFLAGS) -DVARIANT_NULL
tests_plugins_abi_null_la_LDFLAGS = $(abi_ldflags)
tests_plugins_abi_no_init_la_SOURCES = tests/plugins/abi_variant.c
tests_plugins_abi_no_init_la_CFLAGS = $(AM_CFLAGS) -DVARIANT_NO_INIT
tests_plugins_abi_no_init_la_LDFLAGS = $(abi_ldflags)
tests_plugins_abi_old_minor_la_SOURCES = tests/plugins/abi_variant.c
tests_plugins_abi_old_minor_la_CFLAGS = $(AM_CFLAGS) -DVARIANT_OLD_MINOR
tests_plugins_abi_old_minor_la_LDFLAGS = $(abi_ldflags)
tests_plugins_abi_bad_table_la_SOURCES = tests/plugins/abi_variant.c
tests_plugins_abi_bad_table_la_CFLAGS = $(AM_CFLAGS) -DVARIANT_BAD_TABLE
tests_plugins_abi_bad_table_la_LDFLAGS = $(abi_ldflags)
endif

# Integration tests get the build directory; they exit 77 to skip.
AM_TESTS_ENVIRONMENT = VIGIL_BUILDDIR='$(abs_top_builddir)'; \
	VIGIL_SRCDIR='$(abs_top_srcdir)'; VIGIL_SKIP_LIVE='$(VIGIL_SKIP_LIVE)'; \
	export VIGIL_BUILDDIR VIGIL_SRCDIR VIGIL_SKIP_LIVE;
TESTS += tests/integration/daemon/test_daemon.sh
TESTS += tests/integration/daemon/test_valgrind.sh
# root only: vigild with network outputs still drops its capabilities
TESTS += tests/integration/daemon/test_privs_outputs.sh
# binds 127.0.0.1:24224: plugins removed, disabled and added by a reload
TESTS += tests/integration/daemon/test_reload_plugins.sh
# exit codes: 2 for configuration errors only, 1 for failures at start
TESTS += tests/integration/daemon/test_exit_codes.sh
# loopback, a port of its own: a forward output with an unusable spool
# runs degraded and recovers
TESTS += tests/integration/daemon/test_spool_degraded.sh
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(SHELL)

# `make check-unit`: only the unit tests (tests/unit/), which need neither
# root nor the kernel's audit, fanotify, netfilter or network interfaces.
# Package builds (debian/rules, the rpm spec) and the compat chroots run
# this, never the live suites: a package build must not touch the build
# host's audit rules, firewall or fanotify marks.
check-unit:
	@unit=; for t in $(TESTS); do \
		case $$t in tests/unit/*) unit="$$unit $$t" ;; esac; \
	done; \
	$(MAKE) $(AM_MAKEFLAGS) check TESTS="$$unit"
.PHONY: check-unit

# libFuzzer targets: ./configure --enable-fuzzers CC=clang
if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_yaml tests/fuzz/fuzz_json tests/fuzz/fuzz_msgpack
tests_fuzz_fuzz_yaml_SOURCES = tests/fuzz/fuzz_yaml.c
tests_fuzz_fuzz_yaml_LDADD = libvigilcore.la
tests_fuzz_fuzz_yaml_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_json_SOURCES = tests/fuzz/fuzz_json.c
tests_fuzz_fuzz_json_LDADD = libvigilcore.la
tests_fuzz_fuzz_json_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_msgpack_SOURCES = tests/fuzz/fuzz_msgpack.c
tests_fuzz_fuzz_msgpack_LDADD = libvigilcore.la
tests_fuzz_fuzz_msgpack_LDFLAGS = $(FUZZ_LDFLAGS)
endif
EXTRA_DIST += tests/fuzz/fuzz_yaml.c tests/fuzz/fuzz_json.c tests/fuzz/fuzz_msgpack.c
dist_noinst_SCRIPTS += tests/fuzz/run_all.sh

# EXTRA_DIST names whole test folders; in an in-tree build they also hold
# what the build made there.  Ship sources only.
dist-hook:
	find $(distdir)/tests ! -path '*/fixtures/*' \( -name '*.o' \
		-o -name '*.log' -o -name '*.trs' -o -name '.dirstamp' \) \
		-exec rm -f {} + ; \
	find $(distdir)/tests \( -name .deps -o -name .libs \) -type d \
		-exec rm -rf {} + ; \
	find $(distdir)/tests -type f -perm -u+x ! -name '*.sh' ! -name '*.py' \
		-exec sh -c 'head -c 4 "$$1" | grep -q ELF && rm -f "$$1"' sh {} \;

# The /proc fixtures hold symlinks like a real /proc (cwd -> /): the
# tarball keeps them as links instead of following them into the host.
am__tar = $${TAR-tar} --format=posix -cf - "$$tardir"
