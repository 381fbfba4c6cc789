# src/sources/dns.mk - the DNS monitor: wire parser, firewall rules,
# NFQUEUE source, their tests, fuzz target and benchmark.
noinst_LTLIBRARIES += libvigildns.la
libvigildns_la_SOURCES = \
	src/sources/dns_parse.c src/sources/dns_parse.h
libvigildns_la_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS) $(LIBMNL_CFLAGS) \
	$(NFQUEUE_CFLAGS)
libvigildns_la_LIBADD = $(LIBMNL_LIBS) $(NFQUEUE_LIBS)

EXTRA_DIST += \
	tests/fixtures/dns \
	tests/integration/dns

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test_dns_parse
TESTS += tests/unit/test_dns_parse
tests_unit_test_dns_parse_SOURCES = tests/unit/test_dns_parse.c
tests_unit_test_dns_parse_CPPFLAGS = $(AM_CPPFLAGS) \
	-DVIGIL_DNS_FIXTURES='"$(abs_top_srcdir)/tests/fixtures/dns"'
tests_unit_test_dns_parse_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	$(LIBUV_CFLAGS)
tests_unit_test_dns_parse_LDADD = libvigildns.la libvigilcore.la \
	$(CMOCKA_LIBS)
endif

if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_dns
tests_fuzz_fuzz_dns_SOURCES = tests/fuzz/fuzz_dns.c
tests_fuzz_fuzz_dns_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_dns_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_dns_LDADD = libvigildns.la libvigilcore.la
endif
