/*
 * test_audit_source.c - the audit source without the kernel: replay of a
 * recorded log, the dispatcher mode reading auditd's plugin stream on
 * stdin, and config errors that name the file, line and column.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "node.h"
#include "source.h"
#include "audit/audit_source.h"
#include "util.h"

static unsigned n_exec, n_events;
static char last_arg[64];

/* Test double: count what the source submits. */
int vigil_pipeline_submit(struct vigil_pipeline *p, struct vigil_event *ev)
{
	(void)p;
	n_events++;
	if (ev->type == VIGIL_EV_EXEC) {
		n_exec++;
		if (ev->process.argv.n)
			snprintf(last_arg, sizeof(last_arg), "%.*s",
				 (int)ev->process.argv.v[0].len,
				 ev->process.argv.v[0].ptr);
	}
	return 0;
}

void vigil_source_set_state(struct vigil_source *s, int state,
			    const char *mode, const char *fmt, ...)
{
	va_list ap;

	s->state = state;
	snprintf(s->mode, sizeof(s->mode), "%s", mode);
	va_start(ap, fmt);
	vsnprintf(s->reason, sizeof(s->reason), fmt, ap);
	va_end(ap);
}

static struct vigil_doc doc;

static int start(struct vigil_source *src, uv_loop_t *loop, const char *yaml)
{
	struct vigil_buf err = { 0 };

	assert_int_equal(vigil_doc_load_yaml("vigil.yaml", yaml, strlen(yaml),
					     &doc, &err), 0);
	vigil_buf_free(&err);
	memset(src, 0, sizeof(*src));
	src->ops = &vigil_audit_source_ops;
	src->loop = loop;
	src->config = doc.root;
	n_exec = n_events = 0;
	return src->ops->start(src);
}

static void finish(struct vigil_source *src, uv_loop_t *loop)
{
	src->ops->stop(src);
	uv_run(loop, UV_RUN_NOWAIT);
	vigil_doc_free(&doc);
}

static void test_audit_source_replays_a_log(void **state)
{
	struct vigil_source src;
	uv_loop_t loop;
	struct vigil_buf status = { 0 };

	(void)state;
	uv_loop_init(&loop);
	assert_int_equal(start(&src, &loop, "mode: replay\nreplay_file: "
			       AUDIT_FIXTURES "/execve-hostile.log\n"), 0);
	assert_string_equal(src.mode, "replay");
	while (src.state == VIGIL_SOURCE_RUNNING)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(src.state, VIGIL_SOURCE_STOPPED);
	assert_int_equal(n_exec, 14);
	assert_int_equal(src.events_in, 150);
	assert_int_equal(src.drops, 0);
	assert_int_equal(src.ops->status_json(&src, &status), 0);
	assert_non_null(strstr(vigil_buf_cstr(&status),
			       "\"audit_mode\":\"replay\""));
	vigil_buf_free(&status);
	finish(&src, &loop);
	uv_loop_close(&loop);
}

static void test_audit_source_reads_dispatcher_stream_on_stdin(void **st)
{
	static const char lines[] =
		"type=SYSCALL msg=audit(1700000001.000:5): arch=c000003e "
		"syscall=59 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=1 "
		"ppid=1 pid=99 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 "
		"egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=\"id\" "
		"exe=\"/usr/bin/id\" key=\"vigil\"\n"
		"type=EXECVE msg=audit(1700000001.000:5): argc=1 a0=\"id\"\n"
		"type=PROCTITLE msg=audit(1700000001.000:5): proctitle=6964\n"
		"type=EOE msg=audit(1700000001.000:5): \n"
		"garbage line\n";
	struct vigil_source src;
	uv_loop_t loop;
	int p[2], saved;
	unsigned i;

	(void)st;
	uv_loop_init(&loop);
	assert_int_equal(pipe(p), 0);
	saved = dup(STDIN_FILENO);
	assert_true(dup2(p[0], STDIN_FILENO) >= 0);
	close(p[0]);
	assert_int_equal(start(&src, &loop, "mode: dispatcher\n"), 0);
	assert_string_equal(src.mode, "dispatcher");
	/* split mid-line: the source must join the pieces */
	assert_int_equal(write(p[1], lines, 40), 40);
	for (i = 0; i < 5; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(write(p[1], lines + 40, sizeof(lines) - 41),
			 (ssize_t)sizeof(lines) - 41);
	close(p[1]);
	for (i = 0; i < 50 && src.state == VIGIL_SOURCE_RUNNING; i++)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(n_exec, 1);
	assert_string_equal(last_arg, "id");
	assert_int_equal(src.drops, 1); /* the garbage line */
	assert_int_equal(src.state, VIGIL_SOURCE_STOPPED);
	finish(&src, &loop);
	assert_true(dup2(saved, STDIN_FILENO) >= 0);
	close(saved);
	uv_loop_close(&loop);
}

static void test_audit_source_config_errors_name_the_place(void **state)
{
	struct vigil_source src;
	uv_loop_t loop;

	(void)state;
	uv_loop_init(&loop);
	assert_int_equal(start(&src, &loop, "mode: sideways\n"), -EINVAL);
	assert_int_equal(src.state, VIGIL_SOURCE_FAILED);
	assert_non_null(strstr(src.reason, "vigil.yaml:1:7: audit.mode: "
					   "'sideways' is not one of auto, "
					   "multicast, unicast, dispatcher, "
					   "replay"));
	finish(&src, &loop);
	assert_int_equal(start(&src, &loop, "mode: replay\ntimeout: soon\n"),
			 -EINVAL);
	assert_non_null(strstr(src.reason, "vigil.yaml:2:10:"));
	finish(&src, &loop);
	assert_int_equal(start(&src, &loop, "mode: replay\n"), -EINVAL);
	assert_non_null(strstr(src.reason, "replay_file"));
	finish(&src, &loop);
	uv_loop_close(&loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_source_replays_a_log),
		cmocka_unit_test(test_audit_source_reads_dispatcher_stream_on_stdin),
		cmocka_unit_test(test_audit_source_config_errors_name_the_place),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
