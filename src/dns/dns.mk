# src/dns/dns.mk - the DNS monitor: wire parser, firewall rules,
# NFLOG/NFQUEUE source, their tests, fuzz target and benchmark.
noinst_LTLIBRARIES += libvigildns.la
libvigildns_la_SOURCES = \
	src/dns/dns_parse.c src/dns/dns_parse.h \
	src/dns/dns_packet.c src/dns/dns_packet.h \
	src/dns/dns_match.c src/dns/dns_match.h \
	src/dns/dns_tcp.c src/dns/dns_tcp.h \
	src/dns/dns_attr.c src/dns/dns_attr.h \
	src/dns/firewall.c src/dns/firewall.h \
	src/dns/dns_capture.c src/dns/dns_capture.h \
	src/dns/nflog.c src/dns/nflog.h \
	src/dns/nfqueue.c src/dns/nfqueue.h \
	src/dns/dns_source.c src/dns/dns_source.h
libvigildns_la_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS) $(LIBMNL_CFLAGS) \
	$(NFQUEUE_CFLAGS)
# libvigilproc: attribution reads /proc through its reader.
libvigildns_la_LIBADD = libvigilproc.la $(LIBMNL_LIBS) $(NFQUEUE_LIBS)

# The fixtures directory holds only data and its generator; the
# integration directory also gets build products, so its files are named.
EXTRA_DIST += \
	tests/fixtures/dns \
	tests/integration/dns/unbound.conf.in \
	tests/integration/dns/test_dns_netns.sh \
	tests/integration/dns/test_dns_netns_nflog.sh \
	tests/integration/dns/test_dns_block.sh

# cmocka unit tests, each built from its .c file (automake's default
# source); tests/tests.mk runs them.
vigil_unit_tests += tests/unit/test_dns_parse tests/unit/test_dns_flow
dns_test_ldadd = libvigildns.la $(TEST_LDADD)
tests_unit_test_dns_parse_CPPFLAGS = $(AM_CPPFLAGS) \
	-DVIGIL_DNS_FIXTURES='"$(abs_top_srcdir)/tests/fixtures/dns"'
tests_unit_test_dns_parse_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_dns_parse_LDADD = $(dns_test_ldadd)
tests_unit_test_dns_flow_CFLAGS = $(TEST_CFLAGS) $(LIBMNL_CFLAGS)
tests_unit_test_dns_flow_LDADD = $(dns_test_ldadd)

# The integration tests' and benchmark's driver: the source alone on a
# loop, events as JSON lines (test_dns_netns.sh and bench/dns_bench.sh).
check_PROGRAMS += tests/integration/dns/dns_monitor
tests_integration_dns_dns_monitor_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS) \
	$(PCRE2_CFLAGS)
tests_integration_dns_dns_monitor_LDADD = libvigildns.la libvigilrules.la \
	libvigilcore.la $(PCRE2_LIBS)
check_PROGRAMS += tests/integration/dns/dns_client
# Root only (exit 77 otherwise); about 15 s each: the suite with the
# NFQUEUE capture, then with NFLOG.
TESTS += tests/integration/dns/test_dns_netns.sh
TESTS += tests/integration/dns/test_dns_netns_nflog.sh
# Block mode: deny, fail-open after kill -9 (root; about 8 s).
TESTS += tests/integration/dns/test_dns_block.sh

if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_dns
# The parser is compiled into the target so that it carries the
# fuzzer's coverage instrumentation.
tests_fuzz_fuzz_dns_SOURCES = tests/fuzz/fuzz_dns.c src/dns/dns_parse.c \
	src/dns/dns_packet.c src/dns/dns_tcp.c
tests_fuzz_fuzz_dns_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_dns_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_dns_LDADD = libvigilcore.la
# The NFLOG message reader, with its own coverage as above.
noinst_PROGRAMS += tests/fuzz/fuzz_nflog
tests_fuzz_fuzz_nflog_SOURCES = tests/fuzz/fuzz_nflog.c src/dns/nflog.c \
	src/dns/dns_capture.c
tests_fuzz_fuzz_nflog_CFLAGS = $(AM_CFLAGS) $(LIBMNL_CFLAGS) \
	-fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_nflog_LDFLAGS = $(AM_LDFLAGS) \
	-fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_nflog_LDADD = libvigilcore.la $(LIBMNL_LIBS)
endif

# bench/dns_bench.sh: dnsperf against unbound in a netns, with and without
# the source (root; run by hand, see the script); dns_floor is its
# cheapest reader of each capture, the floor the source is measured
# against.
dist_noinst_SCRIPTS += bench/dns_bench.sh
check_PROGRAMS += bench/dns_floor
bench_dns_floor_SOURCES = bench/dns_floor.c
bench_dns_floor_CFLAGS = $(AM_CFLAGS) $(LIBMNL_CFLAGS)
bench_dns_floor_LDADD = $(LIBMNL_LIBS)
