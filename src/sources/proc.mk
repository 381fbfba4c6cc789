# Process table, cgroup parsing, /proc reader and the proc connector source.
# libvigilproc is linked into vigild and into the tests below.
noinst_LTLIBRARIES += libvigilproc.la
libvigilproc_la_SOURCES = \
	src/cgroup.c src/cgroup.h \
	src/proctable.c src/proctable.h \
	src/sources/procfs.c src/sources/procfs.h
libvigilproc_la_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS)
libvigilproc_la_LIBADD = libvigilcore.la $(LIBUV_LIBS)

vigil_proc_test_cflags = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(LIBUV_CFLAGS) \
	-DVIGIL_FIXTURES='"$(abs_top_srcdir)/tests/fixtures"'
vigil_proc_test_ldadd = libvigilproc.la libvigilcore.la $(CMOCKA_LIBS) \
	$(LIBUV_LIBS)

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test_cgroup_parse \
	tests/unit/test_procfs_read \
	tests/unit/test_proctable
TESTS += tests/unit/test_cgroup_parse \
	tests/unit/test_procfs_read \
	tests/unit/test_proctable

tests_unit_test_cgroup_parse_SOURCES = tests/unit/test_cgroup_parse.c
tests_unit_test_cgroup_parse_CFLAGS = $(vigil_proc_test_cflags)
tests_unit_test_cgroup_parse_LDADD = $(vigil_proc_test_ldadd)

tests_unit_test_procfs_read_SOURCES = tests/unit/test_procfs_read.c
tests_unit_test_procfs_read_CFLAGS = $(vigil_proc_test_cflags)
tests_unit_test_procfs_read_LDADD = $(vigil_proc_test_ldadd)

tests_unit_test_proctable_SOURCES = tests/unit/test_proctable.c
tests_unit_test_proctable_CFLAGS = $(vigil_proc_test_cflags)
tests_unit_test_proctable_LDADD = $(vigil_proc_test_ldadd)
endif

EXTRA_DIST += tests/fixtures/proc
