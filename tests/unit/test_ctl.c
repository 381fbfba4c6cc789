/*
 * test_ctl - the control socket server on a real libuv loop: a client
 * still connected when the server stops does not make it touch freed
 * memory (run under ASan), and a request that starts with a newline or a
 * NUL reaches the handler as an empty command without indexing before
 * the buffer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "ctl.h"

struct fixture {
	uv_loop_t loop;
	char dir[64];
	char path[128];
	char last_cmd[64];
	int calls;
};

static int handler(void *arg, const char *cmd, struct vigil_buf *out)
{
	struct fixture *f = arg;

	f->calls++;
	snprintf(f->last_cmd, sizeof(f->last_cmd), "%s", cmd);
	return vigil_buf_puts(out, "{\"ok\":true}");
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/vigil-test-ctl.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/ctl.sock", f->dir);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(uv_loop_close(&f->loop), 0);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* A connected client socket; the loop has accepted it when this returns. */
static int client(struct fixture *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	for (int i = 0; i < 10; i++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
	return fd;
}

static void stop_with_clients_connected_frees_nothing_early(void **state)
{
	struct fixture *f = *state;
	struct vigil_ctl *ctl;
	int a, b;

	assert_int_equal(vigil_ctl_start(&f->loop, f->path, handler, f, &ctl),
			 0);
	a = client(f);
	b = client(f);
	/* a half-sent command: the clients are still reading */
	assert_int_equal(write(a, "sta", 3), 3);
	for (int i = 0; i < 10; i++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
	vigil_ctl_stop(ctl);
	/* every close callback runs; ASan reports any use after free */
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->calls, 0);
	assert_int_equal(access(f->path, F_OK), -1);
	close(a);
	close(b);
}

/* Sends req (n bytes), closes the writing side, reads the answer. */
static void ask(struct fixture *f, const char *req, size_t n, char *ans,
		size_t cap)
{
	int fd = client(f);
	ssize_t got = 0, r;

	assert_int_equal(write(fd, req, n), (ssize_t)n);
	shutdown(fd, SHUT_WR);
	for (int i = 0; i < 50; i++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
	while ((r = read(fd, ans + got, cap - 1 - (size_t)got)) > 0)
		got += r;
	ans[got] = '\0';
	close(fd);
}

static void request_starting_with_newline_or_nul_is_empty(void **state)
{
	struct fixture *f = *state;
	struct vigil_ctl *ctl;
	char ans[256];

	assert_int_equal(vigil_ctl_start(&f->loop, f->path, handler, f, &ctl),
			 0);
	ask(f, "\nstatus\n", 8, ans, sizeof(ans));
	assert_int_equal(f->calls, 1);
	assert_string_equal(f->last_cmd, "");
	assert_string_equal(ans, "{\"ok\":true}\n");
	ask(f, "\0\r\n", 3, ans, sizeof(ans));
	assert_int_equal(f->calls, 2);
	assert_string_equal(f->last_cmd, "");
	ask(f, "ping\r\n", 6, ans, sizeof(ans));
	assert_int_equal(f->calls, 3);
	assert_string_equal(f->last_cmd, "ping");
	vigil_ctl_stop(ctl);
	uv_run(&f->loop, UV_RUN_DEFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			stop_with_clients_connected_frees_nothing_early, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			request_starting_with_newline_or_nul_is_empty, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
