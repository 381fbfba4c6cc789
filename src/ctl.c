/*
 * ctl.c - control socket server (libuv pipe) and its blocking client.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"

#define CTL_MAX_REQUEST 4096

struct vigil_ctl {
	uv_pipe_t server;
	uv_loop_t *loop;
	char *path;
	vigil_ctl_handler fn;
	void *arg;
	struct ctl_client *clients;
	bool server_closed; /* its close callback ran: free with the last client */
};

struct ctl_client {
	uv_pipe_t pipe;
	struct vigil_ctl *ctl;
	struct ctl_client *next;
	char req[CTL_MAX_REQUEST];
	size_t len;
	struct vigil_buf answer;
	uv_write_t wr;
	bool answered;
};

/*
 * Frees ctl once vigil_ctl_stop() ran and every handle it owns has
 * closed: libuv runs close callbacks in no order we may rely on, so the
 * server's may come before its clients', which still walk ctl->clients.
 */
static void ctl_free_if_closed(struct vigil_ctl *ctl)
{
	if (!ctl->server_closed || ctl->clients)
		return;
	free(ctl->path);
	free(ctl);
}

static void client_closed(uv_handle_t *h)
{
	struct ctl_client *c = h->data;
	struct vigil_ctl *ctl = c->ctl;
	struct ctl_client **pp;

	for (pp = &ctl->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	vigil_buf_free(&c->answer);
	free(c);
	ctl_free_if_closed(ctl);
}

static void client_close(struct ctl_client *c)
{
	if (!uv_is_closing((uv_handle_t *)&c->pipe))
		uv_close((uv_handle_t *)&c->pipe, client_closed);
}

static void client_written(uv_write_t *wr, int status)
{
	client_close(wr->data);
}

static void client_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct ctl_client *c = h->data;

	buf->base = c->req + c->len;
	buf->len = sizeof(c->req) - 1 - c->len;
}

static void client_answer(struct ctl_client *c)
{
	char *nl = memchr(c->req, '\n', c->len);
	size_t n;
	uv_buf_t b;
	int rc;

	c->answered = true;
	uv_read_stop((uv_stream_t *)&c->pipe);
	if (nl)
		*nl = '\0';
	c->req[c->len] = '\0';
	/* the command may be empty: "\n..." or a NUL first */
	n = strlen(c->req);
	if (n && c->req[n - 1] == '\r')
		c->req[n - 1] = '\0';
	rc = c->ctl->fn(c->ctl->arg, c->req, &c->answer);
	if (rc) {
		vigil_buf_reset(&c->answer);
		vigil_buf_printf(&c->answer, "{\"error\":\"%s\"}",
				 strerror(-rc));
	}
	if (vigil_buf_putc(&c->answer, '\n')) {
		client_close(c);
		return;
	}
	b = uv_buf_init(c->answer.data, (unsigned int)c->answer.len);
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->pipe, &b, 1, client_written))
		client_close(c);
}

static void client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct ctl_client *c = s->data;

	if (n < 0) {
		/* EOF without a newline still carries a command */
		if (n == UV_EOF && c->len && !c->answered)
			client_answer(c);
		else
			client_close(c);
		return;
	}
	c->len += (size_t)n;
	if (memchr(c->req, '\n', c->len) || c->len >= sizeof(c->req) - 1)
		client_answer(c);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct vigil_ctl *ctl = server->data;
	struct ctl_client *c;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->ctl = ctl;
	uv_pipe_init(ctl->loop, &c->pipe, 0);
	c->pipe.data = c;
	c->next = ctl->clients;
	ctl->clients = c;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) ||
	    uv_read_start((uv_stream_t *)&c->pipe, client_alloc, client_read))
		client_close(c);
}

int vigil_ctl_start(uv_loop_t *loop, const char *path, vigil_ctl_handler fn,
		    void *arg, struct vigil_ctl **out)
{
	struct vigil_ctl *ctl;
	struct stat st;
	mode_t old;
	int rc;

	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		vigil_err("control socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			vigil_err("%s exists and is not a socket; remove it or set agent.control_socket",
				  path);
			return -EEXIST;
		}
		unlink(path); /* stale: the pid file lock proved we are alone */
	}
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->loop = loop;
	ctl->fn = fn;
	ctl->arg = arg;
	ctl->path = strdup(path);
	if (!ctl->path) {
		free(ctl);
		return -ENOMEM;
	}
	uv_pipe_init(loop, &ctl->server, 0);
	ctl->server.data = ctl;
	old = umask(0177); /* the socket is born 0600 */
	rc = uv_pipe_bind(&ctl->server, path);
	umask(old);
	if (!rc)
		rc = chmod(path, 0600) ? -errno : 0;
	if (!rc)
		rc = uv_listen((uv_stream_t *)&ctl->server, 16, on_connection);
	if (rc) {
		vigil_err("control socket %s: %s", path, uv_strerror(rc));
		uv_close((uv_handle_t *)&ctl->server, NULL);
		uv_run(loop, UV_RUN_NOWAIT);
		free(ctl->path);
		free(ctl);
		return rc;
	}
	*out = ctl;
	return 0;
}

static void server_closed(uv_handle_t *h)
{
	struct vigil_ctl *ctl = h->data;

	ctl->server_closed = true;
	ctl_free_if_closed(ctl);
}

void vigil_ctl_stop(struct vigil_ctl *ctl)
{
	if (!ctl)
		return;
	for (struct ctl_client *c = ctl->clients; c; c = c->next)
		client_close(c);
	unlink(ctl->path);
	uv_close((uv_handle_t *)&ctl->server, server_closed);
}

int vigil_ctl_request(const char *path, const char *cmd, struct vigil_buf *out)
{
	struct sockaddr_un sa;
	char buf[65536];
	struct pollfd pfd;
	ssize_t n;
	int fd, rc = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = -errno;
		vigil_buf_printf(out, "cannot reach vigild at %s: %s%s", path,
				 strerror(errno),
				 errno == ENOENT || errno == ECONNREFUSED ?
					 " (is vigild running?)" :
				 errno == EACCES ? " (run as root)" : "");
		goto out_close;
	}
	if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd) ||
	    write(fd, "\n", 1) != 1) {
		rc = -errno;
		goto out_close;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		int p = poll(&pfd, 1, 10000);

		if (p == 0) {
			vigil_buf_printf(out, "vigild did not answer within 10 s");
			rc = -ETIMEDOUT;
			break;
		}
		if (p < 0 && errno == EINTR)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		rc = vigil_buf_append(out, buf, (size_t)n);
		if (rc)
			break;
	}
out_close:
	close(fd);
	return rc;
}
