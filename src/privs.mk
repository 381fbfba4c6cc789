# privs: capability dropping with libcap-ng (issue 9).  A convenience
# library so vigild (and its tests) link it without core.mk knowing.
noinst_LTLIBRARIES += libvigilprivs.la
libvigilprivs_la_SOURCES = src/privs.c src/privs.h
libvigilprivs_la_CFLAGS = $(AM_CFLAGS) $(CAPNG_CFLAGS)
libvigilprivs_la_LIBADD = $(CAPNG_LIBS)
vigild_LDADD += libvigilprivs.la

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

# EXTRA_DIST ships tests/integration as a directory, and automake copies
# a directory from the build tree when it exists there: a VPATH build
# would put test_privs_drop's objects and binary into the tarball.
# Keep only sources.  (Belongs in tests/tests.mk; here until moved.)
dist-hook:
	find $(distdir)/tests/integration \
		\( -name '*.o' -o -name '*.log' -o -name '*.trs' \
		   -o -name '.dirstamp' -o -name 'test_privs_drop' \) \
		-exec rm -f {} + ; \
	find $(distdir)/tests/integration \( -name .deps -o -name .libs \) -type d \
		-exec rm -rf {} +
