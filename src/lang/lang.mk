# src/lang: the rule language and engine.
#
# libvigilrules: lexer, parser, compiler, evaluator and policy loader.  It
# needs no daemon code: the field table comes in as a parameter.  vigilctl
# links it with libvigilcore; the engine plugin links it with
# libvigilrulesrt (the buffer and document helpers it would otherwise get
# from libvigilcore, which a plugin must not link).
noinst_LTLIBRARIES += libvigilrules.la
libvigilrules_la_SOURCES = \
	src/lang/lang.h src/lang/policy.h src/lang/policy_int.h \
	src/lang/lexer.c src/lang/parser.c src/lang/pool.c \
	src/lang/compile.c src/lang/fold.c src/lang/eval.c \
	src/lang/policy_files.c src/lang/policy_load.c \
	src/lang/policy_compile.c src/lang/policy_eval.c src/lang/policy_info.c
libvigilrules_la_CFLAGS = $(AM_CFLAGS) $(PCRE2_CFLAGS) $(YAML_CFLAGS)
libvigilrules_la_LIBADD = $(PCRE2_LIBS)

noinst_LTLIBRARIES += libvigilrulesrt.la
libvigilrulesrt_la_SOURCES = src/util.c src/buf.c src/node.c
libvigilrulesrt_la_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS)
libvigilrulesrt_la_LIBADD = $(YAML_LIBS)

# ---- tests ----
lang_test_cflags = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(PCRE2_CFLAGS) $(YAML_CFLAGS)
lang_test_ldadd = libvigilrules.la libvigilcore.la $(CMOCKA_LIBS)

# cmocka unit tests; tests/tests.mk runs them.
vigil_unit_tests += tests/unit/test_lang_expr tests/unit/test_lang_errors \
	tests/unit/test_policy_load tests/unit/test_lang_cli

tests_unit_test_lang_expr_SOURCES = tests/unit/test_lang_expr.c \
	tests/unit/test_lang_util.h
tests_unit_test_lang_expr_CFLAGS = $(lang_test_cflags)
tests_unit_test_lang_expr_LDADD = $(lang_test_ldadd)
tests_unit_test_lang_expr_LDFLAGS = $(AM_LDFLAGS) \
	-Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc

tests_unit_test_lang_errors_SOURCES = tests/unit/test_lang_errors.c \
	tests/unit/test_lang_util.h
tests_unit_test_lang_errors_CFLAGS = $(lang_test_cflags)
tests_unit_test_lang_errors_LDADD = $(lang_test_ldadd)

tests_unit_test_policy_load_SOURCES = tests/unit/test_policy_load.c \
	tests/unit/test_lang_util.h
tests_unit_test_policy_load_CFLAGS = $(lang_test_cflags) \
	-DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_policy_load_LDADD = $(lang_test_ldadd)

tests_unit_test_lang_cli_SOURCES = tests/unit/test_lang_cli.c \
	tests/unit/test_lang_util.h
tests_unit_test_lang_cli_CFLAGS = $(lang_test_cflags) \
	-DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_lang_cli_LDADD = libvigilcli.la libvigilaudit.la \
	$(lang_test_ldadd) libvigilfim.la $(AUDIT_LIBS) $(OPENSSL_LIBS)

EXTRA_DIST += src/lang/LANGUAGE.md tests/fixtures/lang/cli_policy.yaml \
	tests/fixtures/lang/bench_policy.yaml \
	tests/fixtures/lang/cli_event.json

# ---- fuzz targets (configure --enable-fuzzers CC=clang) ----
# Seeds for fuzz_policy are in tests/fuzz/corpus/policy; libFuzzer writes
# what it finds to its first directory, so give it a scratch one first:
#   mkdir -p /tmp/corpus && tests/fuzz/fuzz_policy -max_total_time=30 \
#     /tmp/corpus $(top_srcdir)/tests/fuzz/corpus/policy
EXTRA_DIST += tests/fuzz/corpus/policy/macro_chain_30.yaml \
	tests/fuzz/corpus/policy/macro_many_uses.yaml \
	tests/fuzz/corpus/policy/rule_list_exception_override.yaml
if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_expr tests/fuzz/fuzz_policy
tests_fuzz_fuzz_expr_SOURCES = tests/fuzz/fuzz_expr.c
tests_fuzz_fuzz_expr_CFLAGS = $(AM_CFLAGS) $(PCRE2_CFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_expr_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_expr_LDADD = libvigilrules.la libvigilcore.la
tests_fuzz_fuzz_policy_SOURCES = tests/fuzz/fuzz_policy.c
tests_fuzz_fuzz_policy_CFLAGS = $(AM_CFLAGS) $(PCRE2_CFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_policy_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_policy_LDADD = libvigilrules.la libvigilcore.la
endif

# ---- benchmark: bench/rules_bench [POLICY] [EVENTS] ----
noinst_PROGRAMS += bench/rules_bench
bench_rules_bench_SOURCES = bench/rules_bench.c
bench_rules_bench_CFLAGS = $(AM_CFLAGS) $(PCRE2_CFLAGS) \
	-DTOP_SRCDIR='"$(abs_top_srcdir)"'
bench_rules_bench_LDADD = libvigilrules.la libvigilcore.la
