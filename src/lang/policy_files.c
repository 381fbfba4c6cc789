/*
 * policy_files.c - where a policy comes from: the paths to load
 * (vigil_policy_paths, shared by the rules engine and the audit rules
 * derived from it), files and directories read in order, and the two
 * passes over them (policy_load.c, then policy_compile.c) that make a
 * ruleset; its release.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy_int.h"

#define POLICY_MAX_FILE (64u << 20)

/* Reads path into *data (NUL-terminated, the caller frees it), *len. */
static int read_file(const char *path, char **data, size_t *len,
		     struct vigil_buf *err)
{
	struct vigil_buf b = { 0 };
	size_t err_len = err->len;
	int rc;

	rc = vigil_read_file(path, POLICY_MAX_FILE, &b, err);
	if (rc) {
		/* The policy's messages are one a line. */
		if (err->len > err_len)
			vigil_buf_printf(err, "\n");
		vigil_buf_free(&b);
		return rc;
	}
	*data = b.data;
	*len = b.len;
	return 0;
}

static int add_file(struct vigil_ruleset *rs, const char *path,
		    const char *mem, size_t mem_len, size_t *cap)
{
	struct pol_file *f;
	int rc;

	if (vigil_grow((void **)&rs->files, cap, rs->n_files, sizeof(*f), 16))
		return -ENOMEM;
	f = &rs->files[rs->n_files];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	if (!f->path)
		return -ENOMEM;
	if (mem) {
		f->raw = malloc(mem_len + 1);
		if (!f->raw) {
			free(f->path);
			return -ENOMEM;
		}
		memcpy(f->raw, mem, mem_len);
		f->raw[mem_len] = '\0';
		f->raw_len = mem_len;
	} else {
		rc = read_file(path, &f->raw, &f->raw_len, rs->err);
		if (rc) {
			free(f->path);
			rs->n_errors++;
			return rc;
		}
	}
	rs->n_files++;
	rc = vigil_doc_load_yaml(path, f->raw, f->raw_len, &f->doc, rs->err);
	if (rc) {
		vigil_buf_printf(rs->err, "\n");
		rs->n_errors++;
	}
	return rc;
}

static int yaml_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' &&
	       ((n > 5 && !strcmp(d->d_name + n - 5, ".yaml")) ||
		(n > 4 && !strcmp(d->d_name + n - 4, ".yml")));
}

static int add_path(struct vigil_ruleset *rs, const char *path, size_t *cap)
{
	struct dirent **ents;
	struct stat st;
	int n, rc = 0;

	if (stat(path, &st) < 0) {
		rc = -errno;
		vigil_buf_printf(rs->err, "%s: %s\n", path, strerror(errno));
		rs->n_errors++;
		return rc;
	}
	if (!S_ISDIR(st.st_mode))
		return add_file(rs, path, NULL, 0, cap);
	n = scandir(path, &ents, yaml_filter, alphasort);
	if (n < 0) {
		rc = -errno;
		vigil_buf_printf(rs->err, "%s: %s\n", path, strerror(errno));
		rs->n_errors++;
		return rc;
	}
	for (int i = 0; i < n; i++) {
		char *full;

		if (rc != -ENOMEM &&
		    asprintf(&full, "%s/%s", path, ents[i]->d_name) >= 0) {
			int r = add_file(rs, full, NULL, 0, cap);

			if (r)
				rc = r;
			free(full);
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

const struct vigil_config_entry vigil_policy_table[VIGIL_POLICY_TABLE_SIZE] = {
	{ VIGIL_CFG_PATHLIST("paths", struct vigil_policy_settings, paths,
			     n_paths,
			     "policy files or directories; default: the "
			     "shipped policy and " VIGIL_SYSCONFDIR
			     "/vigil/rules.d") },
};

int vigil_policy_paths(const char *const *conf, size_t n_conf,
		       const char **out, size_t *n_out, struct vigil_buf *err)
{
	static const char *const defaults[] = {
		VIGIL_DATADIR "/rules",
		VIGIL_SYSCONFDIR "/vigil/rules.d",
	};
	size_t n = 0;

	*n_out = 0;
	if (n_conf > VIGIL_POLICY_MAX_PATHS) {
		vigil_buf_printf(err, "paths: at most %d entries\n",
				 VIGIL_POLICY_MAX_PATHS);
		return -E2BIG;
	}
	for (size_t i = 0; i < n_conf; i++)
		if (conf[i])
			out[n++] = conf[i];
	/* the defaults that exist: a host without user policies has no
	 * rules.d */
	for (size_t i = 0; !n_conf && i < VIGIL_ARRAY_SIZE(defaults); i++)
		if (access(defaults[i], F_OK) == 0)
			out[n++] = defaults[i];
	if (!n) {
		if (n_conf)
			vigil_buf_printf(err, "no policy: none of the %zu "
					 "configured paths is a text value\n",
					 n_conf);
		else
			vigil_buf_printf(err, "no policy: none of %s, %s "
					 "exists and no paths are configured\n",
					 defaults[0], defaults[1]);
		return -ENOENT;
	}
	*n_out = n;
	return 0;
}

static struct vigil_ruleset *ruleset_new(const struct vigil_field_table *ft,
					 struct vigil_buf *err)
{
	struct vigil_ruleset *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return NULL;
	rs->ft = ft;
	rs->err = err;
	lang_pool_init(&rs->pool);
	return rs;
}

static int finish_load(struct vigil_ruleset *rs, int rc,
		       struct vigil_ruleset **out)
{
	if (rc != -ENOMEM) {
		for (size_t i = 0; i < rs->n_files; i++) {
			int r = pol_load_entries(rs, &rs->files[i]);

			if (r == -ENOMEM) {
				rc = r;
				break;
			}
			if (r && !rc)
				rc = r;
		}
	}
	if (rc != -ENOMEM) {
		int r = pol_compile_all(rs);

		if (r && (!rc || r == -ENOMEM))
			rc = r;
	}
	if (!rc && rs->n_errors)
		rc = -EINVAL;
	if (rc == -ENOMEM)
		vigil_buf_printf(rs->err, "out of memory loading the policy\n");
	rs->err = NULL;
	if (rc) {
		vigil_ruleset_free(rs);
		return rc;
	}
	*out = rs;
	return 0;
}

int vigil_ruleset_load(const struct vigil_field_table *ft,
		       const char *const *paths, size_t n_paths,
		       struct vigil_ruleset **out, struct vigil_buf *err)
{
	struct vigil_ruleset *rs;
	size_t cap = 0;
	int rc = 0;

	*out = NULL;
	rs = ruleset_new(ft, err);
	if (!rs)
		return -ENOMEM;
	for (size_t i = 0; i < n_paths; i++) {
		int r = add_path(rs, paths[i], &cap);

		if (r == -ENOMEM) {
			rc = r;
			break;
		}
		if (r && !rc)
			rc = r;
	}
	return finish_load(rs, rc, out);
}

int vigil_ruleset_load_mem(const struct vigil_field_table *ft,
			   const char *name, const char *data, size_t len,
			   struct vigil_ruleset **out, struct vigil_buf *err)
{
	struct vigil_ruleset *rs;
	size_t cap = 0;
	int rc;

	*out = NULL;
	rs = ruleset_new(ft, err);
	if (!rs)
		return -ENOMEM;
	rc = add_file(rs, name, data, len, &cap);
	return finish_load(rs, rc, out);
}

void vigil_ruleset_free(struct vigil_ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n_files; i++) {
		vigil_doc_free(&rs->files[i].doc);
		free(rs->files[i].raw);
		free(rs->files[i].path);
	}
	free(rs->files);
	free(rs->rules);
	free(rs->macros);
	free(rs->lists);
	lang_pool_free(&rs->pool);
	free(rs);
}
