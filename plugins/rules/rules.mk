# plugins/rules/rules.mk - the expression-rules engine plugin (libvigilrules
# inside, libvigilrulesrt instead of libvigilcore), and its tests.
plugin_LTLIBRARIES += plugins/rules.la
plugins_rules_la_SOURCES = plugins/rules/rules.c
plugins_rules_la_CFLAGS = $(AM_CFLAGS) $(PCRE2_CFLAGS)
plugins_rules_la_LDFLAGS = $(AM_LDFLAGS) $(vigil_plugin_ldflags)
plugins_rules_la_LIBADD = libvigilrules.la libvigilrulesrt.la \
	$(PCRE2_LIBS) $(YAML_LIBS)

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test_lang_plugin
tests_unit_test_lang_plugin_SOURCES = tests/unit/test_lang_plugin.c \
	plugins/rules/rules.c tests/unit/test_lang_util.h
tests_unit_test_lang_plugin_CFLAGS = $(lang_test_cflags)
tests_unit_test_lang_plugin_LDADD = $(lang_test_ldadd)
TESTS += tests/unit/test_lang_plugin
endif

# The pipeline with the real engine plugin: a deny rule's action comes
# back from vigil_pipeline_submit_verdict() (block-mode DNS).
if ENABLE_TESTS
check_PROGRAMS += tests/unit/test_pipeline_verdict
tests_unit_test_pipeline_verdict_SOURCES = tests/unit/test_pipeline_verdict.c
tests_unit_test_pipeline_verdict_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTEST_RULES_PLUGIN='"$(abs_top_builddir)/plugins/.libs/rules.so"'
tests_unit_test_pipeline_verdict_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	$(LIBUV_CFLAGS)
tests_unit_test_pipeline_verdict_LDADD = libvigilcore.la $(CMOCKA_LIBS)
# the plugin it loads
EXTRA_tests_unit_test_pipeline_verdict_DEPENDENCIES = plugins/rules.la
TESTS += tests/unit/test_pipeline_verdict
endif

