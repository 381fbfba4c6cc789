/*
 * vigild - the vigil agent.
 *
 * Loads the configuration, takes the pid file lock (one agent per host),
 * loads plugins, starts the kernel sources on one libuv loop, serves the
 * control socket, and on SIGTERM/SIGINT stops the sources, flushes every
 * sink and exits.  SIGHUP reloads the configuration and the rules; a
 * broken configuration is reported and the running one kept.
 *
 * Exit codes: 0 clean stop, 1 runtime failure, 2 configuration error,
 * 3 another vigild holds the pid file, 64 bad command line.  The systemd
 * unit restarts vigild after 1 (a failure that may pass: a directory not
 * there yet, no memory), never after 2, 3 or 64, which only a person can
 * fix; so a failure at start is 2 only when the configuration is wrong
 * (see plugins_exit_code).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "ctl.h"
#include "pipeline.h"
#include "privs.h"
#include "settings.h"
#include "source.h"
#include "daemon/registry.h"
#include "util.h"

enum {
	EXIT_RUNTIME = 1,
	EXIT_CONFIG = 2,
	EXIT_RUNNING = 3,
	EXIT_USAGE = 64,
};

struct daemon {
	uv_loop_t loop;
	uv_signal_t sigterm, sigint, sighup;
	uv_timer_t flush_timer;
	struct vigil_config cfg;
	/* Earlier configurations, kept until exit: a source or plugin that
	 * refused a reload may still point into them. */
	struct vigil_config *old_cfgs;
	size_t n_old_cfgs;
	struct vigil_pipeline pipeline;
	struct vigil_ctl *ctl;
	struct vigil_sources sources;
	struct vigil_arena arena; /* agent events */
	const char *config_path;
	int pid_fd;
	bool foreground;
	bool json;
	bool print_events;
	int exit_code;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vigild [-f] [--json] [-c FILE] [--check-config]\n"
		"  -c, --config FILE   configuration (default %s)\n"
		"  -f, --foreground    stay in the foreground, print signals on stdout\n"
		"      --json          print signals as JSON lines (with -f)\n"
		"      --events        print every event too (with -f)\n"
		"      --check-config  validate the configuration and exit\n"
		"      --audit-dispatcher  run as auditd's dispatcher plugin:\n"
		"                      audit records on stdin (implies -f)\n"
		"  -d, --debug         log debug messages\n"
		"  -V, --version       print the version\n",
		VIGIL_DEFAULT_CONFIG);
}

/* Raises an agent event (start, stop, reload) through the pipeline. */
static void agent_event(struct daemon *d, const char *kind, const char *detail,
			int64_t count)
{
	struct vigil_event ev;

	vigil_arena_reset(&d->arena);
	vigil_event_init(&ev, &d->arena);
	ev.type = VIGIL_EV_AGENT;
	ev.source = VIGIL_SRC_AGENT;
	ev.process.pid = (int32_t)getpid();
	ev.process.uid = getuid();
	ev.process.euid = geteuid();
	ev.process.comm = vigil_str_c("vigild");
	ev.u.agent.kind = vigil_str_c(kind);
	ev.u.agent.subsystem = vigil_str_c("agent");
	ev.u.agent.detail = vigil_str_c(detail);
	ev.u.agent.count = count;
	vigil_pipeline_submit(&d->pipeline, &ev);
}

/*
 * Creates the pid file's directory, opens and locks the file.  Returns 0,
 * or EXIT_RUNNING when another vigild holds the lock.
 */
static int pidfile_lock(struct daemon *d)
{
	char buf[32];
	ssize_t n;
	int fd, rc;

	rc = vigil_mkdir_parent(d->cfg.pid_file, 0755);
	if (!rc)
		rc = vigil_mkdir_parent(d->cfg.control_socket, 0755);
	if (rc) {
		vigil_err("cannot create the directory of %s: %s",
			  d->cfg.pid_file, strerror(-rc));
		return EXIT_RUNTIME;
	}
	/*
	 * Never through a symlink, and only a regular file of our own: a
	 * planted link would have vigild truncate and write another file.
	 */
	fd = open(d->cfg.pid_file, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0) {
		vigil_err("cannot open pid file %s: %s%s", d->cfg.pid_file,
			  strerror(errno),
			  errno == ELOOP ? " (a symlink: refused)" : "");
		return EXIT_RUNTIME;
	}
	{
		struct stat st;

		if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
		    st.st_uid != geteuid()) {
			vigil_err("refusing pid file %s: not a regular file owned by uid %u",
				  d->cfg.pid_file, (unsigned)geteuid());
			close(fd);
			return EXIT_RUNTIME;
		}
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		vigil_err("another vigild is running (pid %s, lock on %s); stop it first",
			  buf[0] ? buf : "?", d->cfg.pid_file);
		close(fd);
		return EXIT_RUNNING;
	}
	d->pid_fd = fd;
	return 0;
}

static int pidfile_write(struct daemon *d)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	if (ftruncate(d->pid_fd, 0) ||
	    pwrite(d->pid_fd, buf, (size_t)n, 0) != n) {
		vigil_err("cannot write pid file %s: %s", d->cfg.pid_file,
			  strerror(errno));
		return -errno;
	}
	return 0;
}

static void pidfile_release(struct daemon *d)
{
	if (d->pid_fd < 0)
		return;
	unlink(d->cfg.pid_file);
	close(d->pid_fd);
	d->pid_fd = -1;
}

/* Detaches from the terminal (without -f). */
static int daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	if (chdir("/"))
		return -errno;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
}

static void setup_printer(struct daemon *d)
{
	struct vigil_printer *pr = &d->pipeline.printer;

	pr->out = NULL;
	if (!d->foreground || !d->cfg.stdout_enabled)
		return;
	pr->out = stdout;
	pr->format = d->json ? VIGIL_FMT_JSON : d->cfg.stdout_format;
	pr->what = d->cfg.stdout_what | (d->print_events ? VIGIL_OUT_EVENTS : 0);
}

static void do_reload(struct daemon *d)
{
	struct vigil_config next, *old;
	struct vigil_buf err = { 0 };

	vigil_notice("reloading %s", d->config_path);
	if (vigil_config_load(d->config_path, &next, &err)) {
		vigil_err("reload refused, keeping the running configuration: %s",
			  vigil_buf_cstr(&err));
		agent_event(d, "config_reload_failed", vigil_buf_cstr(&err), 0);
		vigil_config_free(&next);
		vigil_buf_free(&err);
		return;
	}
	vigil_buf_free(&err);
	old = realloc(d->old_cfgs, (d->n_old_cfgs + 1) * sizeof(*old));
	if (!old) {
		vigil_err("reload refused: out of memory");
		vigil_config_free(&next);
		return;
	}
	d->old_cfgs = old;
	d->old_cfgs[d->n_old_cfgs++] = d->cfg;
	/* what the command line set stays */
	next.audit_dispatcher = d->cfg.audit_dispatcher;
	if (next.audit_dispatcher)
		next.stdout_enabled = false;
	d->cfg = next;
	vigil_log_setup(d->foreground && d->cfg.log_target == VIGIL_LOG_STDERR ?
				VIGIL_LOG_STDERR :
				d->cfg.log_target,
			d->cfg.log_level, "vigild");
	vigil_pipeline_reload(&d->pipeline, &d->cfg);
	setup_printer(d);
	agent_event(d, "config_reloaded", d->config_path, 0);
}

static void on_close_walk(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void shutdown_daemon(struct daemon *d, int code)
{
	if (d->pipeline.stopping)
		return;
	d->exit_code = code;
	agent_event(d, "agent_stopping", "vigild is stopping", 0);
	vigil_ctl_stop(d->ctl);
	d->ctl = NULL;
	vigil_pipeline_shutdown(&d->pipeline);
	vigil_sources_free(&d->sources);
	uv_timer_stop(&d->flush_timer);
	uv_signal_stop(&d->sigterm);
	uv_signal_stop(&d->sigint);
	uv_signal_stop(&d->sighup);
	uv_walk(&d->loop, on_close_walk, NULL);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;

	if (signum == SIGHUP) {
		do_reload(d);
		return;
	}
	vigil_notice("%s received, stopping", strsignal(signum));
	shutdown_daemon(d, 0);
}

static void on_flush_timer(uv_timer_t *t)
{
	struct daemon *d = t->data;

	vigil_pipeline_flush(&d->pipeline);
}

/* The pipeline's status object with "privileges" added before its '}'. */
static int status_json(struct daemon *d, struct vigil_buf *out)
{
	int rc = vigil_pipeline_status_json(&d->pipeline, out);

	if (rc || out->len == 0 || out->data[out->len - 1] != '}')
		return rc;
	out->len--;
	rc = vigil_buf_puts(out, ",\"privileges\":");
	if (!rc)
		rc = vigil_privs_status_json(out);
	if (!rc)
		rc = vigil_buf_putc(out, '}');
	return rc;
}

/*
 * Keeps only the capabilities the running sources still need.  Must run
 * before any thread exists (capabilities are per thread), so before the
 * plugins' init().  Plugins get no capability: they keep uid 0, which is
 * all their files and sockets take.  A failure leaves vigild with what it
 * had, and says so.
 */
static void drop_privileges(struct daemon *d)
{
	struct vigil_buf report = { 0 };
	uint32_t needs = 0;
	int rc;

	if (geteuid() != 0)
		return;
	for (size_t i = 0; i < d->sources.n; i++) {
		const struct vigil_source *s = &d->sources.list[i];

		if (s->state == VIGIL_SOURCE_RUNNING ||
		    s->state == VIGIL_SOURCE_DEGRADED)
			needs |= s->needs;
	}
	rc = vigil_privs_drop(needs, &report);
	if (rc) {
		vigil_warn("keeping all capabilities: cannot drop them: %s",
			   strerror(-rc));
	} else {
		char *line, *save = NULL;

		for (line = strtok_r((char *)vigil_buf_cstr(&report), "\n",
				     &save);
		     line; line = strtok_r(NULL, "\n", &save))
			vigil_notice("privileges: %s", line);
	}
	vigil_buf_free(&report);
}

static int on_ctl(void *arg, const char *cmd, struct vigil_buf *out)
{
	struct daemon *d = arg;

	if (strcmp(cmd, "status") == 0)
		return status_json(d, out);
	if (strcmp(cmd, "ping") == 0)
		return vigil_buf_puts(out, "{\"ok\":true}");
	if (strcmp(cmd, "reload") == 0) {
		do_reload(d);
		return vigil_buf_puts(out,
				      "{\"ok\":true,\"detail\":\"reload done; refusals are in vigild's log\"}");
	}
	if (strcmp(cmd, "flush") == 0) {
		vigil_pipeline_flush(&d->pipeline);
		return vigil_buf_puts(out, "{\"ok\":true}");
	}
	return vigil_buf_printf(out, "{\"error\":\"unknown command\"}");
}

/*
 * The exit code for plugins that could not start (rc, a negative errno
 * from vigil_pipeline_open_plugins or _init_plugins): EXIT_CONFIG when
 * the configuration is wrong (a plugin that cannot be loaded or whose
 * ABI is refused, or an init() that refused its settings with
 * -EINVAL), else EXIT_RUNTIME (no memory, a file or socket it could not
 * open ...), which systemd retries.
 */
static int plugins_exit_code(int rc, bool opening)
{
	if (rc == -ENOMEM)
		return EXIT_RUNTIME;
	if (opening || rc == -EINVAL)
		return EXIT_CONFIG;
	return EXIT_RUNTIME;
}

static int run(struct daemon *d)
{
	struct vigil_buf err = { 0 };
	int rc;

	rc = pidfile_lock(d);
	if (rc)
		return rc;
	if (!d->foreground && daemonize()) {
		vigil_err("cannot detach: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	if (pidfile_write(d))
		return EXIT_RUNTIME;
	signal(SIGPIPE, SIG_IGN);

	uv_loop_init(&d->loop);
	vigil_arena_init(&d->arena, 4096);
	rc = vigil_pipeline_init(&d->pipeline, &d->loop, &d->cfg);
	if (rc)
		return EXIT_RUNTIME;
	setup_printer(d);
	/* Code and ABI checks now; init() after the drop below. */
	rc = vigil_pipeline_open_plugins(&d->pipeline, &err);
	if (rc) {
		vigil_err("%s", err.len ? vigil_buf_cstr(&err) : strerror(-rc));
		vigil_buf_free(&err);
		vigil_pipeline_shutdown(&d->pipeline);
		uv_run(&d->loop, UV_RUN_DEFAULT);
		uv_loop_close(&d->loop);
		vigil_pipeline_unload(&d->pipeline);
		return plugins_exit_code(rc, true);
	}
	vigil_buf_free(&err);
	rc = vigil_sources_register(&d->sources, &d->pipeline, &d->cfg);
	if (rc) {
		vigil_err("cannot set up sources: %s", strerror(-rc));
		d->exit_code = EXIT_RUNTIME;
	}
	if (vigil_ctl_start(&d->loop, d->cfg.control_socket, on_ctl, d,
			    &d->ctl)) {
		vigil_warn("running without a control socket; vigilctl status will not answer");
		d->ctl = NULL;
	}

	uv_signal_init(&d->loop, &d->sigterm);
	uv_signal_init(&d->loop, &d->sigint);
	uv_signal_init(&d->loop, &d->sighup);
	d->sigterm.data = d->sigint.data = d->sighup.data = d;
	uv_signal_start(&d->sigterm, on_signal, SIGTERM);
	uv_signal_start(&d->sigint, on_signal, SIGINT);
	uv_signal_start(&d->sighup, on_signal, SIGHUP);
	uv_timer_init(&d->loop, &d->flush_timer);
	d->flush_timer.data = d;
	uv_timer_start(&d->flush_timer, on_flush_timer, 1000, 1000);

	vigil_pipeline_start_sources(&d->pipeline);
	/*
	 * While vigild has one thread: a plugin's init() may start some
	 * (the forward, syslog and http outputs resolve their peer on
	 * libuv's thread pool), after which no drop is possible.  The
	 * sources' events wait in the kernel until the loop runs, after
	 * the plugins started.
	 */
	drop_privileges(d);
	rc = vigil_pipeline_init_plugins(&d->pipeline, &err);
	if (rc) {
		vigil_err("%s", vigil_buf_cstr(&err));
		d->exit_code = plugins_exit_code(rc, false);
	} else {
		vigil_notice("vigild %s started (pid %d, config %s)",
			     PACKAGE_VERSION, (int)getpid(), d->config_path);
		agent_event(d, "agent_started", "vigild started", 0);
	}
	vigil_buf_free(&err);
	if (d->exit_code)
		shutdown_daemon(d, d->exit_code);

	uv_run(&d->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&d->loop) == UV_EBUSY) {
		uv_walk(&d->loop, on_close_walk, NULL);
		uv_run(&d->loop, UV_RUN_DEFAULT);
		uv_loop_close(&d->loop);
	}
	vigil_pipeline_unload(&d->pipeline);
	vigil_arena_free(&d->arena);
	vigil_notice("vigild stopped");
	return d->exit_code;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "events", no_argument, NULL, 'e' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "audit-dispatcher", no_argument, NULL, 'a' },
		{ "debug", no_argument, NULL, 'd' },
		VIGIL_OPTIONS_END,
	};
	struct daemon d;
	struct vigil_buf err = { 0 };
	bool check = false, debug = false, events = false, dispatcher = false;
	int c, rc;

	memset(&d, 0, sizeof(d));
	d.pid_fd = -1;
	d.config_path = VIGIL_DEFAULT_CONFIG;
	while ((c = getopt_long(argc, argv, "c:fdVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d.config_path = optarg;
			break;
		case 'f':
			d.foreground = true;
			break;
		case 'j':
			d.json = true;
			break;
		case 'e':
			events = true;
			break;
		case 'k':
			check = true;
			break;
		case 'a':
			/* auditd holds our stdin: no fork, no stdout output */
			dispatcher = true;
			d.foreground = true;
			break;
		case 'd':
			debug = true;
			break;
		default:
			return vigil_getopt_default(c, "vigild", usage,
						    EXIT_USAGE);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vigild: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	vigil_log_setup(VIGIL_LOG_STDERR,
			debug ? VIGIL_LOG_DEBUG : VIGIL_LOG_INFO, "vigild");
	rc = vigil_config_load(d.config_path, &d.cfg, &err);
	if (rc) {
		fprintf(stderr, "vigild: %s\n", vigil_buf_cstr(&err));
		vigil_buf_free(&err);
		vigil_config_free(&d.cfg);
		return EXIT_CONFIG;
	}
	vigil_buf_free(&err);
	d.cfg.audit_dispatcher = dispatcher;
	if (dispatcher)
		d.cfg.stdout_enabled = false;
	if (check) {
		rc = vigil_sources_check(&d.cfg, &err);
		if (!rc)
			rc = vigil_plugins_check(&d.cfg, &err);
		if (rc) {
			fprintf(stderr, "vigild: %s\n", vigil_buf_cstr(&err));
			vigil_buf_free(&err);
			vigil_config_free(&d.cfg);
			return EXIT_CONFIG;
		}
		printf("vigild: %s: configuration OK\n", d.config_path);
		vigil_config_free(&d.cfg);
		return 0;
	}
	vigil_log_setup(d.foreground && d.cfg.log_target == VIGIL_LOG_STDERR ?
				VIGIL_LOG_STDERR :
				d.cfg.log_target,
			debug ? VIGIL_LOG_DEBUG : d.cfg.log_level, "vigild");
	d.print_events = events;
	rc = run(&d);
	pidfile_release(&d);
	vigil_config_free(&d.cfg);
	for (size_t i = 0; i < d.n_old_cfgs; i++)
		vigil_config_free(&d.old_cfgs[i]);
	free(d.old_cfgs);
	return rc;
}
