/*
 * ctl.h - the control socket (/run/vigil/vigil.sock, mode 0600).
 *
 * Protocol: the client sends one command line ("status\n", "reload\n",
 * "ping\n"); the daemon answers with one JSON object and a newline, then
 * closes.  Only root (or the socket's owner) can connect, by its mode.
 */
#ifndef VIGIL_CTL_H
#define VIGIL_CTL_H

#include <uv.h>

#include "util.h"

struct vigil_ctl;

/* Handles one command; appends the JSON answer to out. */
typedef int (*vigil_ctl_handler)(void *arg, const char *cmd,
				 struct vigil_buf *out);

/*
 * Binds path (removing a stale socket left by a crash, refusing to
 * remove anything that is not a socket) and serves commands on loop.
 */
int vigil_ctl_start(uv_loop_t *loop, const char *path, vigil_ctl_handler fn,
		    void *arg, struct vigil_ctl **out)
	__attribute__((warn_unused_result));
/* Closes the server and its clients; removes the socket file. */
void vigil_ctl_stop(struct vigil_ctl *ctl);

/*
 * Client side (vigilctl): sends cmd, reads the whole answer into out.
 * Returns 0, or a negative errno with a message for the user in out.
 */
int vigil_ctl_request(const char *path, const char *cmd, struct vigil_buf *out)
	__attribute__((warn_unused_result));

#endif /* VIGIL_CTL_H */
