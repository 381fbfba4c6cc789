/*
 * fim.c - `vigilctl fim baseline | check | update`.
 *
 *   fim baseline [--config FILE] [--state-dir DIR] [--threads N] [PATH...]
 *   fim check    [--config FILE] [--state-dir DIR] [--json] [PATH...]
 *   fim update   [--config FILE] [--state-dir DIR] [--packages] [PATH...]
 *
 * Exit status: 0 done / no changes, 1 changes found (check), 2 error.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "fim/fim.h"

#define FIM_EXIT_OK 0
#define FIM_EXIT_CHANGES 1
#define FIM_EXIT_ERROR 2
#define FIM_BAR_WIDTH 40

struct cli {
	const char *cmd;
	const char *config;
	const char *state_dir;
	bool json;
	bool packages;
	bool quiet;
	unsigned threads;
	struct vigil_fim_config cfg;
	char baseline_path[PATH_MAX];
};

static void usage(FILE *f)
{
	fputs("usage: fim baseline [--config FILE] [--state-dir DIR] [--threads N] [PATH...]\n"
	      "       fim check [--config FILE] [--state-dir DIR] [--json] [PATH...]\n"
	      "       fim update [--config FILE] [--state-dir DIR] [--packages] [PATH...]\n"
	      "exit status: 0 no changes, 1 changes found, 2 error\n",
	      f);
}

static void progress_bar(size_t done, size_t total, void *arg)
{
	size_t fill = total ? done * FIM_BAR_WIDTH / total : FIM_BAR_WIDTH;
	char bar[FIM_BAR_WIDTH + 1];

	(void)arg;
	memset(bar, '#', fill);
	memset(bar + fill, '.', FIM_BAR_WIDTH - fill);
	bar[FIM_BAR_WIDTH] = '\0';
	fprintf(stderr, "\rhashing [%s] %zu/%zu files", bar, done, total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

/* mkdir -p with mode 0700 for what we create. */
static int make_dirs(const char *dir)
{
	char buf[PATH_MAX];
	size_t n = strlen(dir);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, dir, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int load_config(struct cli *c, char **paths, int n_paths)
{
	struct vigil_buf err = { 0 };
	struct vigil_doc doc = { 0 };
	int rc;

	rc = vigil_fim_config_defaults(&c->cfg);
	if (rc)
		return rc;
	if (c->config) {
		rc = vigil_doc_load_yaml_file(c->config, &doc, &err);
		if (rc == 0)
			rc = vigil_fim_config_parse(&c->cfg,
				doc.root ? vigil_node_get(doc.root, "fim") :
					   NULL, &err);
		vigil_doc_free(&doc);
		if (rc) {
			fprintf(stderr, "fim: %s\n", err.len ?
				vigil_buf_cstr(&err) : strerror(-rc));
			vigil_buf_free(&err);
			return rc;
		}
	}
	if (n_paths > 0) {
		for (int i = 0; i < n_paths; i++) {
			if (paths[i][0] != '/') {
				fprintf(stderr, "fim: %s: give absolute paths\n",
					paths[i]);
				return -EINVAL;
			}
		}
		rc = vigil_fim_config_set_paths(&c->cfg, paths,
						(size_t)n_paths);
		if (rc)
			return rc;
	}
	if (c->state_dir) {
		free(c->cfg.state_dir);
		c->cfg.state_dir = strdup(c->state_dir);
		if (!c->cfg.state_dir)
			return -ENOMEM;
	}
	if (snprintf(c->baseline_path, sizeof(c->baseline_path), "%s/%s",
		     c->cfg.state_dir, VIGIL_FIM_BASELINE_NAME) >=
	    (int)sizeof(c->baseline_path))
		return -ENAMETOOLONG;
	return 0;
}

static int cmd_baseline(struct cli *c)
{
	struct vigil_fim_baseline b;
	size_t unreadable = 0, hashed = 0;
	int64_t t0 = vigil_monotonic_ns();
	int rc;

	vigil_fim_baseline_init(&b);
	rc = vigil_fim_baseline_build(&b, &c->cfg, c->threads,
				      !c->quiet && isatty(STDERR_FILENO) ?
				      progress_bar : NULL, NULL, &unreadable);
	if (rc) {
		fprintf(stderr, "fim baseline: %s\n", strerror(-rc));
		goto out;
	}
	rc = make_dirs(c->cfg.state_dir);
	if (rc == 0)
		rc = vigil_fim_baseline_save(&b, c->baseline_path);
	if (rc) {
		fprintf(stderr, "fim baseline: %s: %s\n", c->baseline_path,
			strerror(-rc));
		goto out;
	}
	for (size_t i = 0; i < b.n; i++)
		hashed += b.rec[i].attr.has_hash;
	if (!c->quiet)
		printf("fim baseline: %zu entries, %zu files hashed, %zu unreadable, %.2f s -> %s\n",
		       b.n, hashed, unreadable,
		       (double)(vigil_monotonic_ns() - t0) / 1e9,
		       c->baseline_path);
out:
	vigil_fim_baseline_free(&b);
	return rc ? FIM_EXIT_ERROR : FIM_EXIT_OK;
}

/* ---- check ---- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			/* Bytes 0x80-0xff as \udc80-\udcff, the convention
			 * of vigil's JSON (node.h), so paths round-trip even
			 * when they are not UTF-8. */
			fprintf(f, "\\u%04x", ch < 0x80 ? ch : 0xdc00 | ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void json_attr(FILE *f, const struct vigil_fim_attr *a)
{
	fprintf(f, "{\"mode\":\"%o\",\"uid\":%u,\"gid\":%u,\"size\":%" PRId64
		   ",\"mtime_ns\":%" PRId64 ",\"inode\":%" PRIu64,
		a->mode, a->uid, a->gid, a->size, a->mtime_ns, a->ino);
	if (a->has_hash)
		fprintf(f, ",\"hashes\":[\"%s%s\"]", VIGIL_FIM_HASH_PREFIX,
			a->sha256);
	fputc('}', f);
}

struct check_out {
	bool json;
	size_t n[4];
	bool first;
};

static void check_cb(int change, const char *path,
		     const struct vigil_fim_attr *old,
		     const struct vigil_fim_attr *now, unsigned diff,
		     void *arg)
{
	static const char *const names[] = { "", "added", "removed",
					      "changed" };
	struct check_out *o = arg;
	struct vigil_buf d = { 0 };

	o->n[change]++;
	vigil_fim_diff_names(diff, &d);
	if (!o->json) {
		/* a file name may hold escape sequences meant for the
		 * admin's terminal */
		printf("%-8s ", names[change]);
		vigil_fputs_term(path, stdout);
		if (change == VIGIL_FIM_CHANGED)
			printf(" (%s)", vigil_buf_cstr(&d));
		putchar('\n');
		vigil_buf_free(&d);
		return;
	}
	printf("%s{\"change\":\"%s\",\"path\":", o->first ? "" : ",",
	       names[change]);
	o->first = false;
	json_str(stdout, path);
	if (change == VIGIL_FIM_CHANGED) {
		printf(",\"changed\":[");
		for (const char *p = vigil_buf_cstr(&d), *q; *p; p = q) {
			q = strchr(p, ',');
			q = q ? q : p + strlen(p);
			printf("%s\"%.*s\"", p == d.data ? "" : ",",
			       (int)(q - p), p);
			if (*q)
				q++;
		}
		putchar(']');
	}
	if (old) {
		printf(",\"before\":");
		json_attr(stdout, old);
	}
	if (now) {
		printf(",\"after\":");
		json_attr(stdout, now);
	}
	putchar('}');
	vigil_buf_free(&d);
}

/* Keeps only the records inside the configured trees (PATH arguments). */
static void restrict_to_config(struct vigil_fim_baseline *b,
			       const struct vigil_fim_config *cfg)
{
	size_t w = 0;

	for (size_t i = 0; i < b->n; i++) {
		if (vigil_fim_config_watched(cfg, b->rec[i].path))
			b->rec[w++] = b->rec[i];
		else
			free(b->rec[i].path);
	}
	b->n = w;
}

static int cmd_check(struct cli *c)
{
	struct vigil_fim_baseline old, now;
	struct vigil_buf err = { 0 };
	struct check_out o = { .json = c->json, .first = true };
	size_t changes;
	int rc, ret = FIM_EXIT_ERROR;

	vigil_fim_baseline_init(&old);
	vigil_fim_baseline_init(&now);
	rc = vigil_fim_baseline_load(&old, c->baseline_path, &err);
	if (rc) {
		fprintf(stderr, "fim check: %s%s\n", vigil_buf_cstr(&err),
			rc == -ENOENT ? " (run `fim baseline` first)" : "");
		goto out;
	}
	restrict_to_config(&old, &c->cfg);
	rc = vigil_fim_baseline_build(&now, &c->cfg, c->threads,
				      !c->quiet && !c->json &&
				      isatty(STDERR_FILENO) ? progress_bar :
				      NULL, NULL, NULL);
	if (rc) {
		fprintf(stderr, "fim check: %s\n", strerror(-rc));
		goto out;
	}
	if (c->json)
		printf("{\"baseline\":\"%s\",\"changes\":[",
		       c->baseline_path);
	changes = vigil_fim_baseline_diff(&old, &now, check_cb, &o);
	if (c->json)
		printf("],\"added\":%zu,\"removed\":%zu,\"changed\":%zu}\n",
		       o.n[VIGIL_FIM_ADDED], o.n[VIGIL_FIM_REMOVED],
		       o.n[VIGIL_FIM_CHANGED]);
	else if (!c->quiet)
		printf("fim check: %zu added, %zu removed, %zu changed\n",
		       o.n[VIGIL_FIM_ADDED], o.n[VIGIL_FIM_REMOVED],
		       o.n[VIGIL_FIM_CHANGED]);
	ret = changes ? FIM_EXIT_CHANGES : FIM_EXIT_OK;
out:
	vigil_buf_free(&err);
	vigil_fim_baseline_free(&old);
	vigil_fim_baseline_free(&now);
	return ret;
}

/* ---- update ---- */

struct pathset {
	char **v;
	size_t n, cap;
};

static int pathset_add(struct pathset *s, const char *p, size_t len)
{
	if (vigil_grow((void **)&s->v, &s->cap, s->n, sizeof(*s->v), 256))
		return -ENOMEM;
	s->v[s->n] = strndup(p, len);
	if (!s->v[s->n])
		return -ENOMEM;
	s->n++;
	return 0;
}

static void pathset_free(struct pathset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

/*
 * Runs argv (no shell) and passes each line of its output to line_fn.
 * Returns 0, line_fn's error, -ENOENT when argv[0] cannot be run, or -EIO
 * when it fails.
 */
static int run_lines(char *const argv[], struct pathset *s,
		     int (*line_fn)(const char *l, size_t n, void *arg),
		     void *arg)
{
	int pfd[2], status, rc = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	pid_t pid;
	FILE *f;

	(void)s;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return rc;
	}
	if (pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	if (!f) {
		close(pfd[0]);
		rc = -errno;
	} else {
		while ((n = getline(&line, &cap, f)) > 0 && !rc) {
			while (n > 0 && line[n - 1] == '\n')
				n--;
			rc = line_fn(line, (size_t)n, arg);
		}
		fclose(f);
	}
	free(line);
	if (waitpid(pid, &status, 0) < 0 && !rc)
		rc = -errno;
	else if (!rc && WIFEXITED(status) && WEXITSTATUS(status) == 127)
		rc = -ENOENT;
	else if (!rc && (!WIFEXITED(status) || WEXITSTATUS(status)))
		rc = -EIO;
	return rc;
}

/* A path line of `dpkg-query -L` or `rpm -ql` (dpkg-query may indent). */
static int add_path_line(const char *l, size_t n, void *arg)
{
	while (n && (*l == ' ' || *l == '\t')) {
		l++;
		n--;
	}
	return n && l[0] == '/' ? pathset_add(arg, l, n) : 0;
}

/* Packages (dpkg or rpm) whose files changed since since_s. */
struct pkg_ctx {
	int64_t since_s;
	struct pathset names;
};

/* "INSTALLTIME NAME" lines: keep names installed after the baseline. */
static int rpm_time_line(const char *l, size_t n, void *arg)
{
	struct pkg_ctx *r = arg;
	const char *sp = memchr(l, ' ', n);
	char num[24];
	size_t k;

	if (!sp)
		return 0;
	k = (size_t)(sp - l);
	if (k == 0 || k >= sizeof(num))
		return 0;
	memcpy(num, l, k);
	num[k] = '\0';
	if (strtoll(num, NULL, 10) < r->since_s)
		return 0;
	return pathset_add(&r->names, sp + 1, n - k - 1);
}

/*
 * Files of the packages installed or upgraded since the baseline, from
 * dpkg-query (db-fsys:Last-Modified, then -L; never dpkg's database
 * files, whose layout is dpkg's own) and rpm's INSTALLTIME, for whichever
 * of the two is there.
 */
/*
 * dpkg-query's "STATUS<TAB>TIME<TAB>PACKAGE" lines: keep the packages
 * whose files changed after the baseline.  Packages dpkg knows but has
 * not installed (status n) have no files.  An empty TIME (dpkg before
 * 1.19.3 has no db-fsys:Last-Modified) counts as changed: updating a
 * package's files again is only slower.
 */
static int dpkg_time_line(const char *l, size_t n, void *arg)
{
	struct pkg_ctx *r = arg;
	const char *t1 = memchr(l, '\t', n), *t2;
	char num[24];
	size_t k;

	if (!t1 || t1 - l < 2 || l[1] == 'n')
		return 0;
	t1++;
	t2 = memchr(t1, '\t', n - (size_t)(t1 - l));
	if (!t2 || t2 + 1 == l + n)
		return 0;
	k = (size_t)(t2 - t1);
	if (k >= sizeof(num))
		return 0;
	if (k > 0) {
		memcpy(num, t1, k);
		num[k] = '\0';
		if (strtoll(num, NULL, 10) < r->since_s)
			return 0;
	}
	return pathset_add(&r->names, t2 + 1, n - (size_t)(t2 + 1 - l));
}

static int changed_package_files(int64_t since_ns, struct pathset *files,
				 size_t *n_pkgs)
{
	static char dq[] = "dpkg-query", w_opt[] = "-W", f_opt[] = "-f",
		    dfmt[] = "${db:Status-Abbrev}\\t${db-fsys:Last-Modified}"
			     "\\t${binary:Package}\\n",
		    l_opt[] = "-L";
	char *qw[] = { dq, w_opt, f_opt, dfmt, NULL };
	struct pkg_ctx d = { .since_s = since_ns / 1000000000LL };
	int rc;

	*n_pkgs = 0;
	rc = run_lines(qw, NULL, dpkg_time_line, &d);
	if (rc == -ENOENT)
		rc = 0; /* no dpkg on this host */
	for (size_t i = 0; !rc && i < d.names.n; i++) {
		char *ql[] = { dq, l_opt, d.names.v[i], NULL };

		(*n_pkgs)++;
		rc = run_lines(ql, files, add_path_line, files);
	}
	pathset_free(&d.names);
	if (!rc && access("/usr/bin/rpm", X_OK) == 0) {
		static char rpm[] = "rpm", qa_opt[] = "-qa", qf[] = "--qf",
			    fmt[] = "%{INSTALLTIME} %{NAME}\\n", ql_opt[] = "-ql";
		char *qa[] = { rpm, qa_opt, qf, fmt, NULL };
		struct pkg_ctx r = { .since_s = since_ns / 1000000000LL };

		rc = run_lines(qa, NULL, rpm_time_line, &r);
		for (size_t i = 0; !rc && i < r.names.n; i++) {
			char *ql[] = { rpm, ql_opt, r.names.v[i], NULL };

			(*n_pkgs)++;
			rc = run_lines(ql, files, add_path_line, files);
		}
		pathset_free(&r.names);
	}
	return rc;
}

static int cmd_update(struct cli *c)
{
	struct vigil_fim_baseline old, fresh;
	struct vigil_buf err = { 0 };
	struct pathset files = { 0 };
	size_t n_pkgs = 0, touched = 0;
	int rc, ret = FIM_EXIT_ERROR;

	if (!c->packages)
		return cmd_baseline(c);
	vigil_fim_baseline_init(&old);
	vigil_fim_baseline_init(&fresh);
	rc = vigil_fim_baseline_load(&old, c->baseline_path, &err);
	if (rc) {
		fprintf(stderr, "fim update: %s\n", vigil_buf_cstr(&err));
		goto out;
	}
	rc = changed_package_files(old.created_ns, &files, &n_pkgs);
	if (rc) {
		fprintf(stderr, "fim update: reading package lists: %s\n",
			strerror(-rc));
		goto out;
	}
	/* Rebuild the records of those files: drop them, re-stat and hash
	 * the ones that still exist and are watched. */
	for (size_t i = 0; i < files.n; i++) {
		const struct vigil_fim_record *r;
		struct vigil_fim_attr a;
		struct stat sb;

		if (!vigil_fim_config_watched(&c->cfg, files.v[i]))
			continue;
		r = vigil_fim_baseline_find(&old, files.v[i]);
		if (r) {
			size_t k = (size_t)(r - old.rec);

			free(old.rec[k].path);
			old.rec[k].path = NULL;
		}
		touched++;
		if (lstat(files.v[i], &sb) < 0)
			continue;
		vigil_fim_attr_from_stat(&a, &sb);
		if (S_ISREG(sb.st_mode) &&
		    (c->cfg.hash_max_size <= 0 ||
		     sb.st_size <= c->cfg.hash_max_size) &&
		    vigil_fim_hash_file(vigil_fim_config_root(&c->cfg,
							      files.v[i]),
					files.v[i], c->cfg.hash_max_size,
					a.sha256, NULL) == 0)
			a.has_hash = true;
		rc = vigil_fim_baseline_add(&fresh, files.v[i], &a);
		if (rc)
			goto out;
	}
	for (size_t i = 0; i < old.n; i++) {
		if (!old.rec[i].path)
			continue;
		rc = vigil_fim_baseline_add(&fresh, old.rec[i].path,
					    &old.rec[i].attr);
		if (rc)
			goto out;
	}
	vigil_fim_baseline_sort(&fresh);
	fresh.created_ns = vigil_now_ns();
	rc = vigil_fim_baseline_save(&fresh, c->baseline_path);
	if (rc) {
		fprintf(stderr, "fim update: %s: %s\n", c->baseline_path,
			strerror(-rc));
		goto out;
	}
	if (!c->quiet)
		printf("fim update: %zu packages changed since the baseline, %zu watched files refreshed\n",
		       n_pkgs, touched);
	ret = FIM_EXIT_OK;
out:
	/* Records whose path was taken above are NULL: free skips them. */
	pathset_free(&files);
	vigil_buf_free(&err);
	vigil_fim_baseline_free(&old);
	vigil_fim_baseline_free(&fresh);
	return ret;
}

int vigil_fim_cli(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "packages", no_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { 0 };
	int opt, ret;

	/* argv[0] is "fim", argv[1] the subcommand. */
	if (argc < 2) {
		usage(stderr);
		return FIM_EXIT_ERROR;
	}
	c.cmd = argv[1];
	optind = 1;
	while ((opt = getopt_long(argc - 1, argv + 1, "c:s:jpt:qh", opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'c':
			c.config = optarg;
			break;
		case 's':
			c.state_dir = optarg;
			break;
		case 'j':
			c.json = true;
			break;
		case 'p':
			c.packages = true;
			break;
		case 't':
			c.threads = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'q':
			c.quiet = true;
			break;
		default:
			/* no -V here: getopt answers it with '?' */
			return vigil_getopt_default(opt, "fim", usage,
						    FIM_EXIT_ERROR);
		}
	}
	if (load_config(&c, argv + 1 + optind, argc - 1 - optind)) {
		vigil_fim_config_free(&c.cfg);
		return FIM_EXIT_ERROR;
	}
	if (!strcmp(c.cmd, "baseline"))
		ret = cmd_baseline(&c);
	else if (!strcmp(c.cmd, "check"))
		ret = cmd_check(&c);
	else if (!strcmp(c.cmd, "update"))
		ret = cmd_update(&c);
	else {
		fprintf(stderr, "fim: unknown command '%s'\n", c.cmd);
		usage(stderr);
		ret = FIM_EXIT_ERROR;
	}
	vigil_fim_config_free(&c.cfg);
	return ret;
}
