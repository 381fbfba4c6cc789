/*
 * signals.c - `vigilctl signals list|show|triage|export`: the signal
 * store from the command line.
 *
 * The store is read (and triaged) directly, through src/store/, at the
 * path the configuration gives (the store plugin's config.path, else
 * <agent.state_dir>/signals.db) or --db.  Doing it through the control
 * socket instead, so that analysts need no access to the file, is the
 * next step (issue 17).
 *
 * Everything printed for a terminal that came from an event or a user
 * (titles, paths, argv, host names, comments) goes through the
 * terminal escape; CSV fields are quoted and defused against formula
 * injection; JSON strings through the codec's escaper.
 *
 * Exit codes: 0 done, 1 failure (the store cannot be read or written),
 * 2 unknown signal id, 64 usage (unknown option, status, reason or a bad
 * filter value).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "codec.h"
#include "node.h"
#include "settings.h"
#include "store/store.h"
#include "util.h"

#define EXIT_NOTFOUND 2
#define EXIT_USAGE 64
#define DEFAULT_LIMIT 100
#define TREE_MAX_NODES 256

struct sig_opts {
	const char *config;
	const char *db;
	struct vigil_store_filter f;
	bool json, json_set;
	bool all_matching;
	int format; /* export: 0 json, 1 csv */
	/* triage */
	int status, reason;
	const char *comment, *assignee;
	bool color;
};

static void signals_usage(FILE *f)
{
	fprintf(f,
		"usage: vigilctl signals list [FILTERS] [--limit N] [--json]\n"
		"       vigilctl signals show ID [--json]\n"
		"       vigilctl signals triage ID... | --all-matching FILTERS\n"
		"               [--status STATUS] [--reason REASON]\n"
		"               [--comment TEXT] [--assign USER]\n"
		"       vigilctl signals export [FILTERS] [--format json|csv]\n"
		"filters: --severity MIN --rule ID --tag TAG --status STATUS\n"
		"         --since 24h|TIME --host NAME --container ID\n"
		"         --assignee USER --text WORDS\n"
		"common:  --db PATH (default: the store plugin's file)\n"
		"statuses: %s\n"
		"reasons:  %s\n"
		"exit: 0 done, 1 store error, 2 unknown id, 64 usage\n",
		vigil_store_status_list(), vigil_store_reason_list());
}

/* The store's file as the configuration sets it. */
static int db_path(const struct sig_opts *o, char *out, size_t cap)
{
	struct vigil_config cfg;
	struct vigil_buf err = { 0 };
	const char *state = VIGIL_LOCALSTATEDIR "/lib/vigil";
	const char *path = NULL;
	int rc;

	if (o->db) {
		snprintf(out, cap, "%s", o->db);
		return 0;
	}
	rc = vigil_config_load(o->config, &cfg, &err);
	if (rc) {
		fprintf(stderr, "vigilctl: %s (or give --db PATH)\n",
			vigil_buf_cstr(&err));
		vigil_buf_free(&err);
		vigil_config_free(&cfg);
		return rc;
	}
	if (cfg.state_dir)
		state = cfg.state_dir;
	for (size_t i = 0; i < cfg.n_plugins; i++) {
		const struct vigil_node *p;

		if (strcmp(cfg.plugins[i].name, "store") != 0 ||
		    !cfg.plugins[i].config)
			continue;
		p = vigil_node_get(cfg.plugins[i].config, "path");
		if (vigil_node_is_scalar(p) && !vigil_node_is_null(p))
			path = p->str;
	}
	if (path)
		snprintf(out, cap, "%s", path);
	else
		snprintf(out, cap, "%s/signals.db", state);
	vigil_config_free(&cfg);
	vigil_buf_free(&err);
	return 0;
}

static int open_store(const struct sig_opts *o, unsigned flags,
		      struct vigil_store **st)
{
	struct vigil_buf err = { 0 };
	char path[4096];
	int rc = db_path(o, path, sizeof(path));

	if (rc)
		return 1;
	rc = vigil_store_open(path, flags, st, &err);
	if (rc) {
		fprintf(stderr, "vigilctl: ");
		vigil_fputs_term(vigil_buf_cstr(&err), stderr);
		fputc('\n', stderr);
	}
	vigil_buf_free(&err);
	return rc ? 1 : 0;
}

/*
 * Prints "vigilctl: PRE'VAL'" and then fmt to stderr, with VAL (from the
 * command line) escaped for the terminal.
 */
static void say_quoted(const char *pre, const char *val, const char *fmt,
		       ...) __attribute__((format(printf, 3, 4)));
static void say_quoted(const char *pre, const char *val, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vigilctl: %s'", pre);
	vigil_fputs_term(val, stderr);
	fputc('\'', stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- output helpers ---- */

static void put_term(const char *s)
{
	vigil_fputs_term(s ? s : "", stdout);
}

/* s escaped for the terminal, cut to width columns, padded. */
static void put_col(const char *s, int width)
{
	char buf[512];
	size_t n = vigil_escape_term(buf, sizeof(buf), s ? s : "",
				     s ? strlen(s) : 0);

	if ((int)n > width && width > 1) {
		buf[width - 1] = '~';
		buf[width] = '\0';
	}
	printf("%-*s", width, buf);
}

static void put_time(int64_t ns)
{
	char t[40];

	vigil_format_time(ns, t);
	t[19] = 'Z'; /* seconds are enough here */
	t[20] = '\0';
	fputs(t, stdout);
}

static const char *sev_color(int sev)
{
	switch (sev) {
	case VIGIL_SEV_CRITICAL:
		return "\033[1;35m";
	case VIGIL_SEV_HIGH:
		return "\033[1;31m";
	case VIGIL_SEV_MEDIUM:
		return "\033[33m";
	case VIGIL_SEV_LOW:
		return "\033[36m";
	default:
		return "\033[2m";
	}
}

/* JSON writers (the codec escapes strings, raw bytes included). */
static int jkv(struct vigil_buf *b, const char *k, const char *v, bool comma)
{
	int rc = vigil_buf_printf(b, "%s\"%s\":", comma ? "," : "", k);

	return rc ? rc : vigil_json_str(b, v ? v : "", v ? strlen(v) : 0);
}

static int jtime(struct vigil_buf *b, const char *k, int64_t ns)
{
	char t[40];

	vigil_format_time(ns, t);
	return jkv(b, k, t, true);
}

/* Tags "\ta\tb\t" as a JSON array. */
static int jtags(struct vigil_buf *b, const char *tags)
{
	int rc = vigil_buf_puts(b, ",\"tags\":[");
	bool first = true;

	for (const char *p = tags; !rc && *p;) {
		size_t n;

		p += strspn(p, "\t");
		n = strcspn(p, "\t");
		if (!n)
			break;
		if (!first)
			rc = vigil_buf_putc(b, ',');
		if (!rc)
			rc = vigil_json_str(b, p, n);
		first = false;
		p += n;
	}
	return rc ? rc : vigil_buf_putc(b, ']');
}

/* The signal's fields as JSON members (no braces). */
static int row_json(struct vigil_buf *b, const struct vigil_store_row *r)
{
	int rc = jkv(b, "id", r->id, false);

	if (!rc)
		rc = jkv(b, "rule", r->rule, true);
	if (!rc)
		rc = jkv(b, "severity", vigil_severity_name((uint32_t)r->severity),
			 true);
	if (!rc)
		rc = jkv(b, "status", vigil_store_status_name(r->status), true);
	if (!rc)
		rc = jkv(b, "archive_reason",
			 vigil_store_reason_name(r->archive_reason), true);
	if (!rc)
		rc = jkv(b, "title", r->title, true);
	if (!rc)
		rc = jkv(b, "engine", r->engine, true);
	if (!rc)
		rc = jtags(b, r->tags);
	if (!rc)
		rc = jkv(b, "host", r->host, true);
	if (!rc)
		rc = jkv(b, "container", r->container, true);
	if (!rc)
		rc = jkv(b, "exe", r->exe, true);
	if (!rc)
		rc = vigil_buf_printf(b, ",\"count\":%" PRIu64, r->count);
	if (!rc)
		rc = jtime(b, "first_seen", r->first_seen);
	if (!rc)
		rc = jtime(b, "last_seen", r->last_seen);
	if (!rc)
		rc = jtime(b, "updated", r->updated);
	if (!rc)
		rc = jkv(b, "assignee", r->assignee, true);
	if (!rc)
		rc = jkv(b, "comment", r->comment, true);
	if (!rc)
		rc = jkv(b, "remediation", r->remediation, true);
	return rc;
}

static void flush_buf(struct vigil_buf *b)
{
	if (b->len)
		fwrite(b->data, 1, b->len, stdout);
	vigil_buf_reset(b);
}

/* ---- list ---- */

struct list_ctx {
	const struct sig_opts *o;
	struct vigil_buf b;
	uint64_t n;
};

static int list_row(void *arg, const struct vigil_store_row *r)
{
	struct list_ctx *c = arg;
	const struct sig_opts *o = c->o;

	c->n++;
	if (o->json) {
		int rc = vigil_buf_putc(&c->b, '{');

		if (!rc)
			rc = row_json(&c->b, r);
		if (!rc)
			rc = vigil_buf_puts(&c->b, "}\n");
		flush_buf(&c->b);
		return rc;
	}
	if (c->n == 1)
		printf("%-20s %-8s %-12s %6s  %-36s  %-28s %s\n", "LAST SEEN",
		       "SEVERITY", "STATUS", "COUNT", "ID", "RULE",
		       "HOST / EXECUTABLE");
	put_time(r->last_seen);
	printf(" %s%-8s%s %-12s %6" PRIu64 "  %s  ",
	       o->color ? sev_color(r->severity) : "",
	       vigil_severity_name((uint32_t)r->severity),
	       o->color ? "\033[0m" : "", vigil_store_status_name(r->status),
	       r->count, r->id);
	put_col(r->rule, 28);
	putchar(' ');
	put_term(r->host);
	if (*r->container) {
		fputs(" [", stdout);
		put_col(r->container, 12);
		putchar(']');
	}
	fputs(" ", stdout);
	put_term(r->exe);
	putchar('\n');
	return 0;
}

/*
 * Opens the store read-only and hands each signal matching o->f to fn
 * with c, for list and export.  0, 1 when the store did not open, or the
 * listing's -errno; either failure is already said on stderr.
 */
static int list_store(const struct sig_opts *o, vigil_store_row_fn fn,
		      struct list_ctx *c)
{
	struct vigil_store *st;
	struct vigil_buf err = { 0 };
	int rc;

	if (open_store(o, VIGIL_STORE_RDONLY, &st))
		return 1;
	rc = vigil_store_list(st, &o->f, fn, c, &err);
	if (rc)
		fprintf(stderr, "vigilctl: %s\n", vigil_buf_cstr(&err));
	vigil_store_close(st);
	vigil_buf_free(&err);
	return rc;
}

static int cmd_list(struct sig_opts *o)
{
	struct list_ctx c = { .o = o };
	int rc = list_store(o, list_row, &c);

	if (!rc && !o->json) {
		if (!c.n)
			printf("no signals match\n");
		else if (o->f.limit && c.n == o->f.limit)
			printf("(first %" PRIu64 "; --limit 0 for all)\n", c.n);
	}
	vigil_buf_free(&c.b);
	return rc ? 1 : 0;
}

/* ---- show ---- */

/* A process tree merged from the samples' ancestries. */
struct tree_node {
	int64_t pid;
	char *exe;
	char *args;
	int parent;   /* index, -1 for a root */
	uint32_t hits; /* samples whose process this is */
};

struct tree {
	struct tree_node n[TREE_MAX_NODES];
	size_t count;
};

static const char *node_str(const struct vigil_node *m, const char *path)
{
	const struct vigil_node *n = vigil_node_path(m, path);

	return vigil_node_is_scalar(n) ? n->str : "";
}

/* argv joined by spaces into a new string. */
static char *argv_join(const struct vigil_node *argv)
{
	struct vigil_buf b = { 0 };
	int rc = 0;

	if (!argv || argv->type != VIGIL_NODE_SEQ)
		return strdup("");
	for (size_t i = 0; !rc && i < argv->n; i++) {
		if (!vigil_node_is_scalar(argv->items[i]))
			continue;
		if (i)
			rc = vigil_buf_putc(&b, ' ');
		if (!rc)
			rc = vigil_buf_append(&b, argv->items[i]->str,
					      argv->items[i]->len);
	}
	if (rc || !b.data) {
		vigil_buf_free(&b);
		return strdup("");
	}
	return (char *)vigil_buf_cstr(&b);
}

/* The child of parent for process p, added when missing. */
static int tree_add(struct tree *t, int parent, const struct vigil_node *p)
{
	int64_t pid = -1;
	const char *exe = node_str(p, "file.path");
	const struct vigil_node *pn = vigil_node_get(p, "pid");

	if (pn)
		(void)vigil_node_int(pn, &pid);
	for (size_t i = 0; i < t->count; i++)
		if (t->n[i].parent == parent && t->n[i].pid == pid &&
		    strcmp(t->n[i].exe, exe) == 0)
			return (int)i;
	if (t->count == TREE_MAX_NODES)
		return -1;
	t->n[t->count].pid = pid;
	t->n[t->count].exe = strdup(exe);
	t->n[t->count].args = argv_join(vigil_node_get(p, "argv"));
	t->n[t->count].parent = parent;
	t->n[t->count].hits = 0;
	if (!t->n[t->count].exe || !t->n[t->count].args) {
		free(t->n[t->count].exe);
		free(t->n[t->count].args);
		return -1;
	}
	return (int)t->count++;
}

/* Adds a sample's process and its ancestors, oldest first. */
static void tree_add_sample(struct tree *t, const struct vigil_node *root)
{
	const struct vigil_node *proc = vigil_node_get(root, "process");
	const struct vigil_node *anc = vigil_node_get(proc, "ancestors");
	int at = -1;

	if (!proc)
		return;
	if (anc && anc->type == VIGIL_NODE_SEQ)
		for (size_t i = anc->n; i-- > 0 && at >= -1;)
			at = tree_add(t, at, anc->items[i]);
	if (at < -1)
		return;
	at = tree_add(t, at, proc);
	if (at >= 0)
		t->n[at].hits++;
}

static void tree_print(const struct tree *t, int parent, int depth)
{
	for (size_t i = 0; i < t->count; i++) {
		const struct tree_node *n = &t->n[i];

		if (n->parent != parent)
			continue;
		printf("  %*s%s", depth * 3, "", depth ? "└─ " : "");
		if (n->pid >= 0)
			printf("[%" PRId64 "] ", n->pid);
		put_term(*n->exe ? n->exe : "?");
		if (*n->args) {
			fputs("  ", stdout);
			put_term(n->args);
		}
		if (n->hits)
			printf("   <- %u sample%s", n->hits,
			       n->hits == 1 ? "" : "s");
		putchar('\n');
		tree_print(t, (int)i, depth + 1);
	}
}

static void tree_free(struct tree *t)
{
	for (size_t i = 0; i < t->count; i++) {
		free(t->n[i].exe);
		free(t->n[i].args);
	}
}

struct show_ctx {
	const struct sig_opts *o;
	struct vigil_buf b;
	struct tree *tree;
	uint32_t n;
	bool first_sample_done;
};

/* The parts a sample has besides its process: file, DNS, kernel. */
static void print_parts(const struct vigil_node *root)
{
	static const char *const parts[] = {
		"event.type",	      "file.path",
		"file.destination.path", "dns.question.name",
		"dns.answers",	      "syscall.name",
		"agent.kind",	      "agent.detail",
	};

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		const struct vigil_node *n = vigil_node_path(root, parts[i]);

		if (!n)
			continue;
		printf("  %-22s ", parts[i]);
		if (vigil_node_is_scalar(n)) {
			put_term(n->str);
		} else if (n->type == VIGIL_NODE_SEQ) {
			for (size_t k = 0; k < n->n; k++) {
				if (!vigil_node_is_scalar(n->items[k]))
					continue;
				if (k)
					fputs(", ", stdout);
				put_term(n->items[k]->str);
			}
		}
		putchar('\n');
	}
}

static int show_sample(void *arg, const struct vigil_store_sample *s)
{
	struct show_ctx *c = arg;
	struct vigil_buf err = { 0 };
	struct vigil_doc doc;

	c->n++;
	if (c->o->json) {
		int rc = vigil_buf_printf(&c->b, "%s{\"event_id\":%" PRIu64,
					  c->n > 1 ? "," : "", s->event_id);

		if (!rc)
			rc = jtime(&c->b, "time", s->time_ns);
		if (!rc)
			rc = vigil_buf_puts(&c->b, ",\"event\":");
		if (!rc)
			rc = vigil_buf_append(&c->b, s->json, s->json_len);
		return rc ? rc : vigil_buf_putc(&c->b, '}');
	}
	if (vigil_doc_load_json("sample", s->json, s->json_len, &doc, &err)) {
		vigil_buf_free(&err);
		return 0; /* a damaged sample does not hide the others */
	}
	tree_add_sample(c->tree, doc.root);
	if (!c->first_sample_done) {
		printf("\nwhat (first sample, event %" PRIu64 " at ",
		       s->event_id);
		put_time(s->time_ns);
		printf("):\n");
		print_parts(doc.root);
		c->first_sample_done = true;
	}
	vigil_doc_free(&doc);
	vigil_buf_free(&err);
	return 0;
}

static int show_change(void *arg, const struct vigil_store_change *ch)
{
	struct show_ctx *c = arg;
	int rc;

	c->n++;
	if (c->o->json) {
		rc = vigil_buf_puts(&c->b, c->n > 1 ? "," : "");
		if (!rc)
			rc = vigil_buf_putc(&c->b, '{');
		if (!rc)
			rc = jkv(&c->b, "who", ch->who, false);
		if (!rc)
			rc = jtime(&c->b, "time", ch->time_ns);
		if (!rc)
			rc = jkv(&c->b, "field", ch->field, true);
		if (!rc)
			rc = jkv(&c->b, "from", ch->from, true);
		if (!rc)
			rc = jkv(&c->b, "to", ch->to, true);
		return rc ? rc : vigil_buf_putc(&c->b, '}');
	}
	printf("  ");
	put_time(ch->time_ns);
	printf("  ");
	put_term(ch->who);
	printf("  %s: ", ch->field);
	put_term(*ch->from ? ch->from : "-");
	printf(" -> ");
	put_term(*ch->to ? ch->to : "-");
	putchar('\n');
	return 0;
}

/* The row, kept past the callback for show's header. */
static int show_row(void *arg, const struct vigil_store_row *r)
{
	struct show_ctx *c = arg;
	const struct sig_opts *o = c->o;

	if (o->json) {
		int rc = vigil_buf_putc(&c->b, '{');

		return rc ? rc : row_json(&c->b, r);
	}
	printf("%s%s%s  ", o->color ? sev_color(r->severity) : "",
	       vigil_severity_name((uint32_t)r->severity),
	       o->color ? "\033[0m" : "");
	put_term(r->title);
	printf("\nid:         %s\nrule:       ", r->id);
	put_term(r->rule);
	printf(" (engine ");
	put_term(r->engine);
	printf(")\nstatus:     %s", vigil_store_status_name(r->status));
	if (r->archive_reason >= 0)
		printf(" (%s)", vigil_store_reason_name(r->archive_reason));
	printf("\nassignee:   ");
	put_term(*r->assignee ? r->assignee : "-");
	printf("\ncomment:    ");
	put_term(*r->comment ? r->comment : "-");
	printf("\nseen:       %" PRIu64 " time%s, first ", r->count,
	       r->count == 1 ? "" : "s");
	put_time(r->first_seen);
	printf(", last ");
	put_time(r->last_seen);
	printf("\nhost:       ");
	put_term(r->host);
	if (*r->container) {
		printf("\ncontainer:  ");
		put_term(r->container);
	}
	printf("\nexecutable: ");
	put_term(r->exe);
	printf("\ntags:      ");
	for (const char *p = r->tags; *p;) {
		size_t n;
		char tag[256];

		p += strspn(p, "\t");
		n = strcspn(p, "\t");
		if (!n)
			break;
		snprintf(tag, sizeof(tag), "%.*s", (int)n, p);
		putchar(' ');
		put_term(tag);
		p += n;
	}
	if (*r->remediation) {
		printf("\n\nremediation:\n  ");
		put_term(r->remediation);
	}
	putchar('\n');
	return 0;
}

static int cmd_show(struct sig_opts *o, const char *id)
{
	struct vigil_store *st;
	struct vigil_buf err = { 0 };
	struct show_ctx c = { .o = o };
	struct tree *tree = NULL;
	int rc;

	if (!vigil_store_id_valid(id)) {
		say_quoted("", id, " is not a signal id (36 characters as vigilctl signals list shows them)");
		return EXIT_NOTFOUND;
	}
	if (open_store(o, VIGIL_STORE_RDONLY, &st))
		return 1;
	tree = calloc(1, sizeof(*tree));
	c.tree = tree;
	rc = tree ? vigil_store_get(st, id, show_row, &c, &err) : -ENOMEM;
	if (!rc) {
		if (o->json)
			rc = vigil_buf_puts(&c.b, ",\"samples\":[");
		else
			flush_buf(&c.b);
	}
	c.n = 0;
	if (!rc)
		rc = vigil_store_samples(st, id, show_sample, &c, &err);
	if (!rc && o->json) {
		rc = vigil_buf_puts(&c.b, "],\"history\":[");
	} else if (!rc) {
		printf("\nprocess tree (%u sample%s):\n", c.n,
		       c.n == 1 ? "" : "s");
		tree_print(tree, -1, 0);
		printf("\ntriage history:\n");
	}
	c.n = 0;
	if (!rc)
		rc = vigil_store_history(st, id, show_change, &c, &err);
	if (!rc && o->json)
		rc = vigil_buf_puts(&c.b, "]}\n");
	else if (!rc && !c.n)
		printf("  (none)\n");
	if (!rc)
		flush_buf(&c.b);
	if (rc && err.len)
		fprintf(stderr, "vigilctl: %s\n", vigil_buf_cstr(&err));
	if (tree)
		tree_free(tree);
	free(tree);
	vigil_store_close(st);
	vigil_buf_free(&err);
	vigil_buf_free(&c.b);
	return rc == -ENOENT ? EXIT_NOTFOUND : rc ? 1 : 0;
}

/* ---- triage ---- */

/* The Unix user running vigilctl ("alice", or "root (sudo: alice)"). */
static void who_am_i(char *out, size_t cap)
{
	struct passwd *pw = getpwuid(getuid());
	const char *sudo = getenv("SUDO_USER");

	if (pw)
		snprintf(out, cap, "%s", pw->pw_name);
	else
		snprintf(out, cap, "uid %u", (unsigned)getuid());
	if (getuid() == 0 && sudo && *sudo) {
		size_t n = strlen(out);

		snprintf(out + n, cap - n, " (sudo: %.64s)", sudo);
	}
}

struct id_list {
	char **v;
	size_t n, cap;
};

static int collect_id(void *arg, const struct vigil_store_row *r)
{
	struct id_list *l = arg;
	char *id;

	if (vigil_grow((void **)&l->v, &l->cap, l->n, sizeof(*l->v), 16))
		return -ENOMEM;
	id = strdup(r->id);
	if (!id)
		return -ENOMEM;
	l->v[l->n++] = id;
	return 0;
}

static int cmd_triage(struct sig_opts *o, int n_ids, char **ids)
{
	struct vigil_store_triage t = {
		.status = o->status,
		.archive_reason = o->reason,
		.comment = o->comment,
		.assignee = o->assignee,
		.time_ns = vigil_now_ns(),
	};
	struct vigil_store *st;
	struct vigil_buf err = { 0 };
	struct id_list l = { 0 };
	char who[256];
	int rc = 0, exit_rc = 0;
	size_t changed = 0, already = 0;

	if (o->status < 0 && o->reason < 0 && !o->comment && !o->assignee) {
		fprintf(stderr, "vigilctl: triage needs --status, --reason, --comment or --assign\n");
		return EXIT_USAGE;
	}
	if (!n_ids && !o->all_matching) {
		fprintf(stderr, "vigilctl: triage needs signal ids or --all-matching with filters\n");
		return EXIT_USAGE;
	}
	if (n_ids && o->all_matching) {
		fprintf(stderr, "vigilctl: give signal ids or --all-matching, not both\n");
		return EXIT_USAGE;
	}
	for (int i = 0; i < n_ids; i++) {
		if (!vigil_store_id_valid(ids[i])) {
			say_quoted("", ids[i], " is not a signal id");
			return EXIT_NOTFOUND;
		}
	}
	who_am_i(who, sizeof(who));
	t.who = who;
	if (open_store(o, VIGIL_STORE_EXISTING, &st))
		return 1;
	if (o->all_matching) {
		/* the filter's --status selects; the new one is t.status */
		rc = vigil_store_list(st, &o->f, collect_id, &l, &err);
		if (rc) {
			fprintf(stderr, "vigilctl: %s\n", vigil_buf_cstr(&err));
			exit_rc = 1;
			goto out_close;
		}
	} else {
		for (int i = 0; i < n_ids; i++)
			if (collect_id(&l, &(struct vigil_store_row){
						   .id = ids[i] })) {
				exit_rc = 1;
				goto out_close;
			}
	}
	for (size_t i = 0; i < l.n; i++) {
		vigil_buf_reset(&err);
		rc = vigil_store_triage(st, l.v[i], &t, &err);
		if (!rc) {
			changed++;
			continue;
		}
		if (rc == -EALREADY) {
			already++;
			if (!o->all_matching)
				fprintf(stderr, "vigilctl: %s: %s\n", l.v[i],
					vigil_buf_cstr(&err));
			continue;
		}
		fprintf(stderr, "vigilctl: %s: ", l.v[i]);
		vigil_fputs_term(vigil_buf_cstr(&err), stderr);
		fputc('\n', stderr);
		exit_rc = rc == -ENOENT ? EXIT_NOTFOUND :
			  rc == -EINVAL ? EXIT_USAGE : 1;
		if (rc == -EINVAL)
			break; /* the same change fails for every id */
	}
	printf("%zu signal%s changed", changed, changed == 1 ? "" : "s");
	if (already)
		printf(", %zu already so", already);
	printf("\n");
out_close:
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	vigil_store_close(st);
	vigil_buf_free(&err);
	return exit_rc;
}

/* ---- export ---- */

/*
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line
 * break; a field a spreadsheet would run as a formula (= + - @, tab, CR
 * first) gets a leading apostrophe.
 */
static void csv_field(const char *s, bool last)
{
	bool quote = strpbrk(s, ",\"\r\n") != NULL;
	bool formula = strchr("=+-@\t\r", s[0]) && s[0];

	if (quote || formula)
		putchar('"');
	if (formula)
		putchar('\'');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	if (quote || formula)
		putchar('"');
	putchar(last ? '\n' : ',');
}

static int export_row(void *arg, const struct vigil_store_row *r)
{
	struct list_ctx *c = arg;
	char num[32], t1[40], t2[40];
	char *tags, *p;

	if (!c->o->format)
		return list_row(arg, r);
	if (!c->n++)
		printf("id,rule,severity,status,archive_reason,assignee,host,"
		       "container,executable,count,first_seen,last_seen,title,"
		       "tags,comment\n");
	tags = strdup(*r->tags ? r->tags + 1 : "");
	if (!tags)
		return -ENOMEM;
	for (p = tags; (p = strchr(p, '\t'));)
		*p = *(p + 1) ? ' ' : '\0';
	snprintf(num, sizeof(num), "%" PRIu64, r->count);
	vigil_format_time(r->first_seen, t1);
	vigil_format_time(r->last_seen, t2);
	csv_field(r->id, false);
	csv_field(r->rule, false);
	csv_field(vigil_severity_name((uint32_t)r->severity), false);
	csv_field(vigil_store_status_name(r->status), false);
	csv_field(r->archive_reason >= 0 ?
			  vigil_store_reason_name(r->archive_reason) :
			  "",
		  false);
	csv_field(r->assignee, false);
	csv_field(r->host, false);
	csv_field(r->container, false);
	csv_field(r->exe, false);
	csv_field(num, false);
	csv_field(t1, false);
	csv_field(t2, false);
	csv_field(r->title, false);
	csv_field(tags, false);
	csv_field(r->comment, true);
	free(tags);
	return 0;
}

static int cmd_export(struct sig_opts *o)
{
	struct list_ctx c = { .o = o };
	int rc;

	o->json = true; /* export's json is JSON lines, never the table */
	rc = list_store(o, export_row, &c);
	vigil_buf_free(&c.b);
	return rc ? 1 : 0;
}

/* ---- arguments ---- */

/* --since: a duration back from now ("24h") or a time (RFC 3339, UTC). */
static int parse_since(const char *s, int64_t *out)
{
	int64_t d;

	if (vigil_parse_duration(s, strlen(s), &d) == 0 && d > 0) {
		*out = vigil_now_ns() - d;
		return 0;
	}
	return vigil_parse_time(s, strlen(s), out);
}

/* An option that only keeps its argument, and where. */
struct text_opt {
	int opt;
	const char **to;
};

/* Keeps arg where opt's entry in t[0..n) says; false if opt has none. */
static bool keep_text_opt(const struct text_opt *t, size_t n, int opt,
			  const char *arg)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i].opt == opt) {
			*t[i].to = arg;
			return true;
		}
	}
	return false;
}

static int bad_value(const char *opt, const char *val, const char *valid)
{
	char pre[64];

	snprintf(pre, sizeof(pre), "unknown %s ", opt);
	say_quoted(pre, val, "; valid: %s", valid);
	return EXIT_USAGE;
}

int vigil_signals_cli(const char *config, int argc, char **argv)
{
	enum {
		O_SEVERITY = 1000, O_RULE, O_TAG, O_STATUS, O_SINCE, O_HOST,
		O_CONTAINER, O_ASSIGNEE, O_TEXT, O_LIMIT, O_JSON, O_DB,
		O_ALL, O_REASON, O_COMMENT, O_ASSIGN, O_FORMAT,
	};
	static const struct option opts[] = {
		{ "severity", required_argument, NULL, O_SEVERITY },
		{ "rule", required_argument, NULL, O_RULE },
		{ "tag", required_argument, NULL, O_TAG },
		{ "status", required_argument, NULL, O_STATUS },
		{ "since", required_argument, NULL, O_SINCE },
		{ "host", required_argument, NULL, O_HOST },
		{ "container", required_argument, NULL, O_CONTAINER },
		{ "assignee", required_argument, NULL, O_ASSIGNEE },
		{ "text", required_argument, NULL, O_TEXT },
		{ "limit", required_argument, NULL, O_LIMIT },
		{ "json", no_argument, NULL, O_JSON },
		{ "db", required_argument, NULL, O_DB },
		{ "all-matching", no_argument, NULL, O_ALL },
		{ "reason", required_argument, NULL, O_REASON },
		{ "comment", required_argument, NULL, O_COMMENT },
		{ "assign", required_argument, NULL, O_ASSIGN },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sig_opts o;
	const struct text_opt texts[] = {
		{ O_RULE, &o.f.rule },
		{ O_TAG, &o.f.tag },
		{ O_HOST, &o.f.host },
		{ O_CONTAINER, &o.f.container },
		{ O_ASSIGNEE, &o.f.assignee },
		{ O_TEXT, &o.f.text },
		{ O_DB, &o.db },
		{ O_COMMENT, &o.comment },
		{ O_ASSIGN, &o.assignee },
	};
	const char *sub;
	int c, status = -1;
	char *end;

	memset(&o, 0, sizeof(o));
	o.config = config;
	o.f.min_severity = -1;
	o.f.status = -1;
	o.status = -1;
	o.reason = -1;
	o.f.limit = DEFAULT_LIMIT;
	/* argv[0] is "signals" */
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		signals_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	sub = argv[1];
	argc--;
	argv++;
	optind = 0; /* 0: glibc starts afresh (the tests call us again) */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (keep_text_opt(texts, sizeof(texts) / sizeof(texts[0]), c,
				  optarg))
			continue;
		switch (c) {
		case O_SEVERITY:
			o.f.min_severity = vigil_severity_from_name(optarg);
			if (o.f.min_severity < 0)
				return bad_value("severity", optarg,
						 "info, low, medium, high, critical");
			break;
		case O_STATUS:
			status = vigil_store_status_from_name(optarg);
			if (status < 0)
				return bad_value("status", optarg,
						 vigil_store_status_list());
			break;
		case O_SINCE:
			if (parse_since(optarg, &o.f.since_ns)) {
				say_quoted("--since takes a duration (24h, 30m, 7d) or a time (2026-11-29T15:08:26Z), not ",
					   optarg, "%s", "");
				return EXIT_USAGE;
			}
			break;
		case O_LIMIT:
			errno = 0;
			o.f.limit = (uint32_t)strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || optarg[0] == '-') {
				fprintf(stderr, "vigilctl: --limit takes a number (0: all)\n");
				return EXIT_USAGE;
			}
			break;
		case O_JSON:
			o.json = o.json_set = true;
			break;
		case O_ALL:
			o.all_matching = true;
			break;
		case O_REASON:
			o.reason = vigil_store_reason_from_name(optarg);
			if (o.reason < 0)
				return bad_value("reason", optarg,
						 vigil_store_reason_list());
			break;
		case O_FORMAT:
			if (strcmp(optarg, "json") == 0)
				o.format = 0;
			else if (strcmp(optarg, "csv") == 0)
				o.format = 1;
			else
				return bad_value("format", optarg, "json, csv");
			break;
		case 'h':
			signals_usage(stdout);
			return 0;
		default:
			signals_usage(stderr);
			return EXIT_USAGE;
		}
	}
	/* triage: --status is the new status; elsewhere it filters */
	if (strcmp(sub, "triage") == 0)
		o.status = status;
	else
		o.f.status = status;
	if (!o.json_set)
		o.json = !isatty(STDOUT_FILENO);
	o.color = !o.json && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	if (strcmp(sub, "list") == 0) {
		if (optind < argc && !o.f.text)
			o.f.text = argv[optind++];
		if (optind < argc)
			goto extra_args;
		return cmd_list(&o);
	}
	if (strcmp(sub, "show") == 0) {
		if (optind + 1 != argc) {
			fprintf(stderr, "vigilctl: signals show takes one signal id\n");
			return EXIT_USAGE;
		}
		return cmd_show(&o, argv[optind]);
	}
	if (strcmp(sub, "triage") == 0) {
		if (o.f.limit == DEFAULT_LIMIT)
			o.f.limit = 0; /* --all-matching means all */
		return cmd_triage(&o, argc - optind, argv + optind);
	}
	if (strcmp(sub, "export") == 0) {
		if (optind < argc)
			goto extra_args;
		if (o.f.limit == DEFAULT_LIMIT)
			o.f.limit = 0; /* export takes everything */
		return cmd_export(&o);
	}
	say_quoted("unknown signals command ", sub,
		   "; valid: list, show, triage, export");
	return EXIT_USAGE;

extra_args:
	say_quoted("unexpected argument ", argv[optind], "%s", "");
	return EXIT_USAGE;
}
