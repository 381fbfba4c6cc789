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

