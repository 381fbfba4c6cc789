/*
 * vigilctl - talks to vigild and runs offline tools.
 *
 *   vigilctl status [--json]        state of the agent, its sources and plugins
 *   vigilctl reload                 re-read the configuration and rules
 *   vigilctl replay FILE [...]      run recorded msgpack events through the
 *                                   configured engines; print JSON lines
 *
 * Exit codes: 0 success, 1 failure, 2 configuration error, 64 usage.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "cli/cli.h"
#include "codec.h"
#include "ctl.h"
#include "node.h"
#include "pipeline.h"
#include "settings.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vigilctl [-c FILE] [-s SOCKET] COMMAND [ARGS]\n"
		"commands:\n"
		"  status [--json]       agent, sources, plugins, rules\n"
		"  reload                reload configuration and rules\n"
		"  replay [--what events|signals|both] [--no-plugins] FILE...\n"
		"                        run recorded msgpack events through the\n"
		"                        configured engines, print JSON lines\n"
		"%s"
		"options:\n"
		"  -c, --config FILE     configuration (default %s)\n"
		"  -s, --socket PATH     control socket (default from the configuration)\n"
		"  -V, --version         print the version\n",
		vigil_cli_extra_usage(), VIGIL_DEFAULT_CONFIG);
}

struct ctl_opts {
	const char *config;
	const char *socket;
};

/* The control socket path: -s, else the configuration's, else default. */
static const char *socket_path(const struct ctl_opts *o,
			       struct vigil_config *cfg, bool *loaded)
{
	struct vigil_buf err = { 0 };

	*loaded = false;
	if (o->socket)
		return o->socket;
	if (vigil_config_load(o->config, cfg, &err) == 0) {
		*loaded = true;
		vigil_buf_free(&err);
		return cfg->control_socket;
	}
	vigil_buf_free(&err);
	vigil_config_free(cfg);
	return VIGIL_RUNSTATEDIR "/vigil/vigil.sock";
}

/* Reads a JSON member as text from a document map, or "" */
static const char *jstr(const struct vigil_node *m, const char *k)
{
	const struct vigil_node *n = vigil_node_get(m, k);

	return vigil_node_is_scalar(n) ? n->str : "";
}

/* The number of items in a status list (absent: none); an empty one is
 * shown as "(none)". */
static size_t list_len(const struct vigil_node *list)
{
	if (!list || !list->n) {
		printf("  (none)\n");
		return 0;
	}
	return list->n;
}

/* One column of a status table: a label, then a member of the row. */
struct column {
	const char *label; /* printed before the value ("" for none) */
	const char *key;
	int width; /* the value left-aligned in this many, 0: as it is */
};

/* Prints the map m as one line of a table: indented, columns one space
 * apart. */
static void print_row(const struct vigil_node *m, const struct column *cols,
		      size_t n_cols)
{
	printf("  ");
	for (size_t i = 0; i < n_cols; i++)
		printf("%s%s%-*s", i ? " " : "", cols[i].label, cols[i].width,
		       jstr(m, cols[i].key));
	printf("\n");
}

/* Prints "label: text" under a row of the status table, text escaped for
 * the terminal; nothing when text is empty. */
static void print_note(const char *label, const char *text)
{
	if (!*text)
		return;
	printf("             %s: ", label);
	vigil_fputs_term(text, stdout);
	printf("\n");
}

/* The capabilities vigild kept after dropping the rest, and why. */
static void print_privileges(const struct vigil_node *pv)
{
	static const struct column cols[] = {
		{ "", "capability", 20 },
		{ "", "why", 0 },
	};
	const struct vigil_node *kept = vigil_node_get(pv, "kept");
	bool dropped = strcmp(jstr(pv, "dropped"), "true") == 0;

	if (!pv)
		return;
	printf("capabilities: %s\n",
	       dropped ? "dropped all but these" : "not dropped (yet)");
	for (size_t i = 0, n = list_len(kept); i < n; i++)
		print_row(kept->items[i], cols, VIGIL_ARRAY_SIZE(cols));
}

static const struct column source_cols[] = {
	{ "", "name", 10 },	     { "", "state", 9 },
	{ "", "mode", 12 },	     { "in ", "events_in", 0 },
	{ "out ", "events_out", 0 }, { "drops ", "drops", 0 },
	{ "lost ", "lost", 0 },
};

static const struct column plugin_cols[] = {
	{ "", "name", 10 },
	{ "", "kind", 7 },
	{ "", "version", 8 },
	{ "events ", "events_in", 0 },
	{ "signals ", "signals_in", 0 },
	{ "out ", "records_out", 0 },
	{ "dropped ", "dropped", 0 },
	{ "errors ", "errors", 0 },
};

static void print_status(const struct vigil_node *st)
{
	const struct vigil_node *srcs = vigil_node_get(st, "sources");
	const struct vigil_node *plugs = vigil_node_get(st, "plugins");
	const struct vigil_node *feat = vigil_node_get(st, "features_disabled");

	printf("vigild %s, pid %s, up %ss, host %s\n", jstr(st, "version"),
	       jstr(st, "pid"), jstr(st, "uptime_s"), jstr(st, "host"));
	printf("config:  %s\n", jstr(st, "config"));
	printf("events:  %s   signals: %s   rules loaded: %s\n",
	       jstr(st, "events"), jstr(st, "signals"),
	       jstr(st, "rules_loaded"));
	if (feat && feat->n) {
		printf("features forced off:");
		for (size_t i = 0; i < feat->n; i++)
			printf(" %s", feat->items[i]->str);
		printf("\n");
	}
	printf("sources:\n");
	for (size_t i = 0, n = list_len(srcs); i < n; i++) {
		print_row(srcs->items[i], source_cols,
			  VIGIL_ARRAY_SIZE(source_cols));
		print_note("why", jstr(srcs->items[i], "reason"));
	}
	printf("plugins:\n");
	for (size_t i = 0, n = list_len(plugs); i < n; i++) {
		const struct vigil_node *pl = plugs->items[i];
		const struct vigil_node *own = vigil_node_get(pl, "status");

		print_row(pl, plugin_cols, VIGIL_ARRAY_SIZE(plugin_cols));
		/* degraded and why, said through the host (ABI 1.2) */
		print_note(jstr(pl, "state"), jstr(pl, "reason"));
		/* the plugin's own status object (ABI 1.2: the store) */
		print_note("state", jstr(own, "state"));
		print_note("why", jstr(own, "reason"));
	}
	print_privileges(vigil_node_get(st, "privileges"));
}

static int cmd_ctl(const struct ctl_opts *o, const char *cmd, bool json)
{
	struct vigil_config cfg;
	struct vigil_buf out = { 0 }, err = { 0 };
	struct vigil_doc doc;
	bool loaded;
	const char *path = socket_path(o, &cfg, &loaded);
	int rc;

	rc = vigil_ctl_request(path, cmd, &out);
	if (loaded)
		vigil_config_free(&cfg);
	if (rc) {
		fprintf(stderr, "vigilctl: %s\n",
			out.len ? vigil_buf_cstr(&out) : strerror(-rc));
		vigil_buf_free(&out);
		return 1;
	}
	if (!out.len) {
		/* vigild closed the socket without an answer: it died or
		 * was stopped mid-request */
		fprintf(stderr, "vigilctl: vigild closed the connection without answering '%s'\n",
			cmd);
		vigil_buf_free(&out);
		return 1;
	}
	if (json || strcmp(cmd, "status") != 0) {
		fwrite(out.data, 1, out.len, stdout);
		rc = strstr(vigil_buf_cstr(&out), "\"error\"") ? 1 : 0;
		vigil_buf_free(&out);
		return rc;
	}
	if (vigil_doc_load_json("vigild", out.data, out.len, &doc, &err)) {
		fprintf(stderr, "vigilctl: bad answer from vigild: %s\n",
			vigil_buf_cstr(&err));
		rc = 1;
	} else {
		print_status(doc.root);
		vigil_doc_free(&doc);
	}
	vigil_buf_free(&out);
	vigil_buf_free(&err);
	return rc;
}

/* Reads a whole file (replay input). */
static int read_file(const char *path, struct vigil_buf *out)
{
	char chunk[65536];
	ssize_t n;
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO :
					  open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (vigil_buf_append(out, chunk, (size_t)n))
			break;
	if (fd != STDIN_FILENO)
		close(fd);
	return n < 0 ? -errno : 0;
}

static int cmd_replay(const struct ctl_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "what", required_argument, NULL, 'w' },
		{ "no-plugins", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct vigil_config cfg;
	struct vigil_pipeline pl;
	struct vigil_buf err = { 0 }, data = { 0 };
	struct vigil_arena arena;
	struct vigil_event ev;
	uv_loop_t loop;
	uint32_t what = VIGIL_OUT_EVENTS | VIGIL_OUT_SIGNALS;
	bool plugins = true;
	uint64_t n_events = 0, n_bad = 0;
	int c, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			if (strcmp(optarg, "events") == 0)
				what = VIGIL_OUT_EVENTS;
			else if (strcmp(optarg, "signals") == 0)
				what = VIGIL_OUT_SIGNALS;
			else if (strcmp(optarg, "both") == 0)
				what = VIGIL_OUT_EVENTS | VIGIL_OUT_SIGNALS;
			else {
				fprintf(stderr,
					"vigilctl: --what takes events, signals or both\n");
				return 64;
			}
			break;
		case 'n':
			plugins = false;
			break;
		default:
			return 64;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "vigilctl: replay needs a FILE (msgpack events, - for stdin)\n");
		return 64;
	}
	if (vigil_config_load(o->config, &cfg, &err)) {
		fprintf(stderr, "vigilctl: %s\n", vigil_buf_cstr(&err));
		vigil_buf_free(&err);
		vigil_config_free(&cfg);
		return 2;
	}
	uv_loop_init(&loop);
	if (vigil_pipeline_init(&pl, &loop, &cfg)) {
		rc = 1;
		goto out_cfg;
	}
	pl.printer.out = stdout;
	pl.printer.format = VIGIL_FMT_JSON;
	pl.printer.what = what;
	if (plugins) {
		/* Sinks would write the replay into live outputs: only
		 * engines run here. */
		for (size_t i = 0; i < cfg.n_plugins; i++)
			if (cfg.plugins[i].enabled &&
			    strcmp(cfg.plugins[i].name, "rules") != 0)
				cfg.plugins[i].enabled = false;
		if (vigil_pipeline_load_plugins(&pl, &err)) {
			fprintf(stderr, "vigilctl: %s\n", vigil_buf_cstr(&err));
			rc = 2;
			goto out_pipeline;
		}
	}
	vigil_arena_init(&arena, 16384);
	for (int f = optind; f < argc; f++) {
		size_t off = 0;

		vigil_buf_reset(&data);
		rc = read_file(argv[f], &data);
		if (rc) {
			fprintf(stderr, "vigilctl: %s: %s\n", argv[f],
				strerror(-rc));
			rc = 1;
			break;
		}
		while (off < data.len) {
			size_t used = 0;

			vigil_arena_reset(&arena);
			vigil_event_init(&ev, &arena);
			vigil_buf_reset(&err);
			rc = vigil_decode_msgpack(data.data + off,
						  data.len - off, &used, &ev,
						  NULL, &err);
			if (rc == -EAGAIN) {
				fprintf(stderr,
					"vigilctl: %s: truncated record at byte %zu\n",
					argv[f], off);
				n_bad++;
				break;
			}
			if (rc) {
				/* a record that does not decode is reported,
				 * never silently skipped; malformed msgpack
				 * ends the file since framing is lost */
				fprintf(stderr, "vigilctl: %s: record at byte %zu: %s\n",
					argv[f], off, vigil_buf_cstr(&err));
				n_bad++;
				if (!used)
					break;
				off += used;
				continue;
			}
			off += used;
			ev.source = ev.source ? ev.source : VIGIL_SRC_REPLAY;
			vigil_pipeline_submit(&pl, &ev);
			n_events++;
		}
		rc = 0;
	}
	vigil_arena_free(&arena);
	fprintf(stderr, "vigilctl: replayed %" PRIu64 " events, %" PRIu64
		" signals, %" PRIu64 " bad records\n",
		n_events, pl.signals, n_bad);
	if (n_bad)
		rc = 1;
out_pipeline:
	vigil_pipeline_shutdown(&pl);
out_cfg:
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	vigil_pipeline_unload(&pl);
	vigil_config_free(&cfg);
	vigil_buf_free(&err);
	vigil_buf_free(&data);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		VIGIL_OPTIONS_END,
	};
	struct ctl_opts o = { .config = VIGIL_DEFAULT_CONFIG };
	const char *cmd;
	int c;

	vigil_log_setup(VIGIL_LOG_STDERR, VIGIL_LOG_WARNING, "vigilctl");
	while ((c = getopt_long(argc, argv, "+c:s:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.config = optarg;
			break;
		case 's':
			o.socket = optarg;
			break;
		default:
			return vigil_getopt_default(c, "vigilctl", usage, 64);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 64;
	}
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "status") == 0)
		return cmd_ctl(&o, "status",
			       argc > 1 && strcmp(argv[1], "--json") == 0);
	if (strcmp(cmd, "reload") == 0)
		return cmd_ctl(&o, "reload", true);
	if (strcmp(cmd, "replay") == 0)
		return cmd_replay(&o, argc, argv);
	c = vigil_cli_extra(o.config, cmd, argc, argv);
	if (c != -ENOENT)
		return c;
	fprintf(stderr, "vigilctl: unknown command '%s'\n", cmd);
	usage(stderr);
	return 64;
}
