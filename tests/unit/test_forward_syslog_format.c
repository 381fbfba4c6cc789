/*
 * test_forward_syslog_format - the syslog output writes RFC 5424 lines:
 * PRI from facility and mapped severity, an RFC 3339 UTC timestamp,
 * MSGID, the vigil@32473 structured data with '"', '\' and ']' escaped,
 * and the JSON body.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <cmocka.h>

#include "syslog_fmt.h"

static struct vigil_str s(const char *p)
{
	return (struct vigil_str){ .ptr = p, .len = (uint32_t)strlen(p) };
}

static void test_forward_syslog_signal_line_is_rfc5424(void **state)
{
	struct vigil_event ev = { 0 };
	struct vigil_signal sig = { .struct_size = sizeof(sig),
				    .severity = VIGIL_SEV_HIGH,
				    .rule_id = "evil\"rule]\\x" };
	struct vigil_buf out = { 0 };
	static const char json[] = "{\"a\":1}\n";

	ev.type = VIGIL_EV_EXEC;
	ev.time_ns = 1700000000123456789LL;
	ev.seq = 42;
	ev.process.pid = 4242;
	ev.process.file.path = s("/tmp/a b]\"c");
	ev.process.user = s("alice");
	assert_int_equal(vigil_syslog_format(&out, vigil_syslog_facility("local3"),
					     "web-1", "77", &ev, &sig, json,
					     sizeof(json) - 1),
			 0);
	/* local3 (19) * 8 + err (3) = 155 */
	assert_string_equal(out.data,
			    "<155>1 2023-11-14T22:13:20.123456Z web-1 vigil 77 signal "
			    "[vigil@32473 rule=\"evil\\\"rule\\]\\\\x\" severity=\"high\" "
			    "type=\"exec\" pid=\"4242\" exe=\"/tmp/a b\\]\\\"c\" "
			    "user=\"alice\" seq=\"42\"] {\"a\":1}");
	free(out.data);
}

static void test_forward_syslog_event_uses_its_type_and_host(void **state)
{
	struct vigil_event ev = { 0 };
	struct vigil_buf out = { 0 };

	ev.type = VIGIL_EV_EXEC;
	ev.time_ns = 1700000000000000000LL;
	ev.host = s("db 7"); /* a space is not allowed: cut there */
	assert_int_equal(vigil_syslog_format(&out, vigil_syslog_facility("authpriv"),
					     "x", "-", &ev, NULL, "{}", 2),
			 0);
	/* authpriv (10) * 8 + info (6) = 86 */
	assert_string_equal(out.data,
			    "<86>1 2023-11-14T22:13:20.000000Z db vigil - exec "
			    "[vigil@32473 type=\"exec\"] {}");
	free(out.data);
}

static void test_forward_syslog_severity_mapping(void **state)
{
	struct vigil_signal sig = { .struct_size = sizeof(sig) };
	static const int want[] = { LOG_INFO, LOG_NOTICE, LOG_WARNING, LOG_ERR,
				    LOG_CRIT };

	for (uint32_t i = 0; i < VIGIL_SEV__COUNT; i++) {
		sig.severity = i;
		assert_int_equal(vigil_syslog_severity(&sig), want[i]);
	}
	assert_int_equal(vigil_syslog_severity(NULL), LOG_INFO);
	assert_int_equal(vigil_syslog_facility("local9"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forward_syslog_signal_line_is_rfc5424),
		cmocka_unit_test(test_forward_syslog_event_uses_its_type_and_host),
		cmocka_unit_test(test_forward_syslog_severity_mapping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
