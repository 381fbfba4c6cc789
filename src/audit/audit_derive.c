/*
 * audit_derive.c - what the kernel must report for the loaded policy,
 * derived from the rules' compiled conditions: per event type the audit
 * filters (-F path=, dir=, exe=, uid=, auid=, aN=) whose union still
 * passes every event an enabled rule can match, and the path watches the
 * open rules need (paths fanotify cannot see or reads it does not report).
 * The rule language knows nothing of audit; this file reads its compiled
 * trees (lang.h) and knows which fields are which syscall arguments.
 * audit_rules.c turns the result into audit rules.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_derive.h"
#include "lang/lang.h"

/*
 * Integer fields that are one syscall argument of their (single) event
 * type's syscalls, as the audit source records them: ptrace(request,
 * ...), bpf(cmd, ...), personality(persona), keyctl(operation, ...).
 * unshare and setns flags are bitmasks the rules test bit by bit, and
 * kill's signal is a1 or a2 depending on the syscall: neither is here.
 */
static const struct {
	const char *field;
	uint32_t arg;
} kf_args[] = {
	{ "ptrace.request", 0 },
	{ "bpf.cmd", 0 },
	{ "personality.persona", 0 },
	{ "keyctl.operation", 0 },
};

/*
 * Which kernel filter field f can become for events of type t, or 0;
 * *arg is set for VIGIL_KF_ARG.
 */
static uint32_t kf_field_kind(const struct vigil_field *f, uint32_t t,
			      uint32_t *arg)
{
	const char *n = f->name, *dot;

	if ((f->flags & VIGIL_FIELD_NOCASE) ||
	    (f->flags & (VIGIL_FIELD_LIST | VIGIL_FIELD_ITER)))
		return 0;
	if (f->type == VIGIL_T_INT) {
		if (!strcmp(n, "process.uid"))
			return VIGIL_KF_UID;
		if (!strcmp(n, "process.auid"))
			return VIGIL_KF_AUID;
		if (!f->events || f->events != VIGIL_EVBIT(t))
			return 0;
		for (size_t i = 0; i < VIGIL_ARRAY_SIZE(kf_args); i++)
			if (!strcmp(n, kf_args[i].field)) {
				*arg = kf_args[i].arg;
				return VIGIL_KF_ARG;
			}
		return 0;
	}
	if (f->type != VIGIL_T_STR)
		return 0;
	if (!strcmp(n, "process.file.path") || !strcmp(n, "exec.file.path"))
		return VIGIL_KF_EXE;
	if (!strcmp(n, "file.path"))
		return VIGIL_KF_PATH;
	dot = strchr(n, '.');
	if (dot && !strcmp(dot, ".file.path") &&
	    vigil_event_type_from_name(n, (size_t)(dot - n)) > 0)
		return VIGIL_KF_PATH;
	return 0;
}

/*
 * Whether v fits the kernel field of kind: audit rule values are 32 bits
 * (an argument filter compares the whole argument with it), and a uid of
 * (uint32_t)-1 is "unset", which the kernel spells differently.
 */
static bool kf_num_ok(uint32_t kind, int64_t v)
{
	if (v < 0)
		return false;
	return kind == VIGIL_KF_ARG ? v <= (int64_t)UINT32_MAX
				    : v < (int64_t)UINT32_MAX;
}

/*
 * The integer constraint of term e (kind UID, AUID or ARG), written to
 * items (when not NULL) from *n on.  Returns false when e is not one.
 */
static bool kf_int_term(const struct lang_expr *e, uint32_t kind,
			uint32_t arg, struct vigil_kfilter_item *items,
			size_t *n)
{
	const int64_t *vals = e->op == CMP_EQ ? &e->v.i : e->v.ints;
	uint32_t count = e->op == CMP_EQ ? 1 : e->n;

	if (e->op != CMP_EQ && e->op != CMP_IN)
		return false;
	for (uint32_t i = 0; i < count; i++)
		if (!kf_num_ok(kind, vals[i]))
			return false;
	for (uint32_t i = 0; i < count; i++) {
		if (items)
			items[*n] = (struct vigil_kfilter_item){
				.kind = kind, .arg = arg,
				.num = (uint64_t)vals[i]
			};
		(*n)++;
	}
	return true;
}

/*
 * The kernel-expressible constraint of term e for events of type t,
 * written to items (when not NULL) from *n on; dir strings are copied to
 * *strs.  Returns false when e is not one.
 */
static bool kf_term(const struct lang_expr *e, uint32_t t,
		    struct vigil_kfilter_item *items, size_t *n,
		    size_t *bytes, char **strs)
{
	uint32_t kind, arg = 0;

	if (e->kind != LX_CMP || e->neg || e->opnd != OPND_VALUE ||
	    e->has_mask || !(kind = kf_field_kind(e->field, t, &arg)))
		return false;
	if (kind == VIGIL_KF_UID || kind == VIGIL_KF_AUID ||
	    kind == VIGIL_KF_ARG)
		return kf_int_term(e, kind, arg, items, n);
	if (e->op == CMP_EQ) {
		if (items)
			items[*n] = (struct vigil_kfilter_item){
				.kind = kind, .value = e->v.s.ptr
			};
		(*n)++;
		return true;
	}
	if (e->op == CMP_IN) {
		for (uint32_t k = 0; k <= e->v.sset->mask; k++) {
			const char *p = e->v.sset->slots[k].ptr;

			if (!p)
				continue;
			if (items)
				items[*n] = (struct vigil_kfilter_item){
					.kind = kind, .value = p
				};
			(*n)++;
		}
		return true;
	}
	if (e->op != CMP_GLOB || kind == VIGIL_KF_EXE)
		return false;
	for (uint32_t i = 0; i < e->n; i++) {
		const struct lang_glob *g = &e->v.globs[i];

		if (g->shape == GLOB_EXACT)
			continue;
		/* "/dir/" then a run of stars: everything under /dir */
		if (g->shape != GLOB_PREFIX || !g->any || g->head < 2 ||
		    g->pat[g->head - 1] != '/')
			return false;
	}
	for (uint32_t i = 0; i < e->n; i++) {
		const struct lang_glob *g = &e->v.globs[i];

		if (g->shape == GLOB_EXACT) {
			if (items)
				items[*n] = (struct vigil_kfilter_item){
					.kind = VIGIL_KF_PATH, .value = g->pat
				};
		} else if (items) {
			memcpy(*strs, g->pat, g->head - 1);
			(*strs)[g->head - 1] = '\0';
			items[*n] = (struct vigil_kfilter_item){
				.kind = VIGIL_KF_DIR, .value = *strs
			};
			*strs += g->head;
		} else {
			*bytes += g->head;
		}
		(*n)++;
	}
	return true;
}

/* The first constraining term of a rule's condition e (its && terms), or
 * false. */
static bool kf_rule(const struct lang_expr *e, uint32_t t,
		    struct vigil_kfilter_item *items, size_t *n,
		    size_t *bytes, char **strs)
{
	if (e->kind != LX_AND)
		return kf_term(e, t, items, n, bytes, strs);
	for (uint32_t i = 0; i < e->n; i++)
		if (kf_term(e->kids[i], t, NULL, &(size_t){ 0 },
			    &(size_t){ 0 }, NULL))
			return kf_term(e->kids[i], t, items, n, bytes, strs);
	return false;
}

int vigil_audit_kernel_filters(const struct vigil_ruleset *rs,
			       struct vigil_kfilter **out, size_t *n_out)
{
	size_t types = 0, items = 0, bytes = 0, at = 0;
	struct vigil_kfilter *kf;
	struct vigil_kfilter_item *it;
	char *strs;

	*out = NULL;
	*n_out = 0;
	/* sizes */
	for (uint32_t t = 1; t < VIGIL_EV__COUNT; t++) {
		uint32_t n = vigil_ruleset_type_rules(rs, t);

		if (!n)
			continue;
		types++;
		for (uint32_t i = 0; i < n; i++)
			kf_rule(vigil_ruleset_type_cond(rs, t, i), t, NULL,
				&items, &bytes, NULL);
	}
	kf = malloc(types * sizeof(*kf) + items * sizeof(*it) + bytes + 1);
	if (!kf)
		return -ENOMEM;
	it = (struct vigil_kfilter_item *)(kf + types);
	strs = (char *)(it + items);
	for (uint32_t t = 1; t < VIGIL_EV__COUNT; t++) {
		uint32_t n = vigil_ruleset_type_rules(rs, t);
		struct vigil_kfilter *k;
		size_t first = at;

		if (!n)
			continue;
		k = &kf[(*n_out)++];
		memset(k, 0, sizeof(*k));
		k->event_type = t;
		k->n_rules = n;
		for (uint32_t i = 0; i < n; i++)
			if (!kf_rule(vigil_ruleset_type_cond(rs, t, i), t, it,
				     &at, &bytes, &strs))
				k->unfiltered = true;
		if (k->unfiltered) {
			at = first; /* the items of this type are moot */
			continue;
		}
		k->items = it + first;
		k->n_items = (uint32_t)(at - first);
	}
	*out = kf;
	return 0;
}

/*
 * Whether term e of an open rule is a test of the open flags field of
 * its event ("file.flags", "open.file.flags") for any bit of a mask.
 */
static bool flags_truth(const struct lang_expr *e)
{
	const char *n;

	if (e->kind != LX_CMP || e->op != CMP_TRUTH || e->neg ||
	    !e->has_mask || e->opnd != OPND_VALUE)
		return false;
	n = e->field->name;
	return !strcmp(n, "file.flags") || !strcmp(n, "open.file.flags");
}

/*
 * Which opens term e lets through, as audit watch permissions: only
 * writing ones (a test, or an || of tests, for O_WRONLY / O_RDWR: the
 * kernel's perm=w is exactly an access mode with write), only reading
 * ones (!(flags & O_WRONLY): O_RDONLY and O_RDWR opens, its perm=r), or
 * either (0: the term says nothing about the access mode).
 */
static uint32_t open_term_perm(const struct lang_expr *e)
{
	const int64_t wr = O_WRONLY | O_RDWR;

	if (flags_truth(e))
		return (e->mask & ~wr) ? 0 : VIGIL_WATCH_WRITE;
	if (e->kind == LX_OR) {
		for (uint32_t i = 0; i < e->n; i++)
			if (open_term_perm(e->kids[i]) != VIGIL_WATCH_WRITE)
				return 0;
		return e->n ? VIGIL_WATCH_WRITE : 0;
	}
	if (e->kind == LX_NOT && flags_truth(e->kids[0]) &&
	    e->kids[0]->mask == O_WRONLY)
		return VIGIL_WATCH_READ;
	return 0;
}

/* Whether glob g can be an audit watch: no wildcard, or only * and ?
 * (matched one path component at a time, as glob(3) does). */
static bool glob_watchable(const struct lang_glob *g)
{
	if (g->shape == GLOB_EXACT)
		return true;
	for (uint32_t i = 0; i + 1 < g->len; i++)
		if (g->pat[i] == '*' && g->pat[i + 1] == '*')
			return false;
	return true;
}

/*
 * The paths term e pins file.path (or open.file.path) to: ==, in or the
 * watchable patterns of a glob list (glob_watchable(): a pattern with **
 * is left out).  Stores up to max of them in paths and whether each is a
 * pattern in pattern (when not NULL) and returns how many, or -1 when e
 * is not such a term or has nothing watchable.
 */
static int open_term_paths(const struct lang_expr *e, const char **paths,
			   bool *pattern, size_t max)
{
	uint32_t arg = 0;
	size_t n = 0;

	if (e->kind != LX_CMP || e->neg || e->opnd != OPND_VALUE ||
	    e->has_mask || e->nocase ||
	    kf_field_kind(e->field, VIGIL_EV_OPEN, &arg) != VIGIL_KF_PATH)
		return -1;
	if (e->op == CMP_EQ) {
		if (paths && max) {
			paths[0] = e->v.s.ptr;
			pattern[0] = false;
		}
		return 1;
	}
	if (e->op == CMP_IN) {
		for (uint32_t k = 0; k <= e->v.sset->mask; k++) {
			if (!e->v.sset->slots[k].ptr)
				continue;
			if (paths && n < max) {
				paths[n] = e->v.sset->slots[k].ptr;
				pattern[n] = false;
			}
			n++;
		}
		return (int)n;
	}
	if (e->op != CMP_GLOB)
		return -1;
	for (uint32_t i = 0; i < e->n; i++) {
		const struct lang_glob *g = &e->v.globs[i];

		if (!glob_watchable(g))
			continue;
		if (paths && n < max) {
			paths[n] = g->pat;
			pattern[n] = g->shape != GLOB_EXACT;
		}
		n++;
	}
	return n ? (int)n : -1;
}

/*
 * The watches one open rule asks for: its first && term that pins the
 * path to literals, with the permissions its flag terms allow, added to
 * w (merging a path seen before).  Returns 0 or -ENOMEM.
 */
static int open_rule_watches(const struct lang_expr *e,
			     struct vigil_path_watch **w, size_t *n,
			     size_t *cap)
{	const struct lang_expr *const *kids = (const struct lang_expr *const *)&e;
	uint32_t n_kids = 1, perm = 0;
	const struct lang_expr *pin = NULL;
	const char **paths;
	bool *pattern;
	int count;

	if (e->kind == LX_AND) {
		kids = (const struct lang_expr *const *)e->kids;
		n_kids = e->n;
	}
	for (uint32_t i = 0; i < n_kids; i++) {
		if (!pin && open_term_paths(kids[i], NULL, NULL, 0) > 0)
			pin = kids[i];
		perm |= open_term_perm(kids[i]);
	}
	/* both, or neither: every open the rule can match */
	if (!perm || perm == (VIGIL_WATCH_READ | VIGIL_WATCH_WRITE))
		perm = VIGIL_WATCH_READ | VIGIL_WATCH_WRITE;
	if (!pin)
		return 0;
	count = open_term_paths(pin, NULL, NULL, 0);
	paths = malloc((size_t)count * (sizeof(*paths) + sizeof(*pattern)));
	if (!paths)
		return -ENOMEM;
	pattern = (bool *)(paths + count);
	open_term_paths(pin, paths, pattern, (size_t)count);
	for (int i = 0; i < count; i++) {
		size_t k;

		for (k = 0; k < *n; k++)
			if (!strcmp((*w)[k].path, paths[i]) &&
			    (*w)[k].pattern == pattern[i])
				break;
		if (k < *n) {
			(*w)[k].perm |= perm;
			continue;
		}
		if (*n == *cap) {
			size_t ncap = *cap ? 2 * *cap : 8;
			struct vigil_path_watch *nw =
				realloc(*w, ncap * sizeof(**w));

			if (!nw) {
				free(paths);
				return -ENOMEM;
			}
			*w = nw;
			*cap = ncap;
		}
		(*w)[(*n)++] = (struct vigil_path_watch){
			.path = paths[i],
			.perm = perm,
			.pattern = pattern[i],
		};
	}
	free(paths);
	return 0;
}

int vigil_audit_open_watches(const struct vigil_ruleset *rs,
			     struct vigil_path_watch **out, size_t *n_out)
{
	uint32_t n = vigil_ruleset_type_rules(rs, VIGIL_EV_OPEN);
	size_t cap = 0;
	int rc = 0;

	*out = NULL;
	*n_out = 0;
	for (uint32_t i = 0; i < n && !rc; i++)
		rc = open_rule_watches(
			vigil_ruleset_type_cond(rs, VIGIL_EV_OPEN, i), out,
			n_out, &cap);
	if (rc) {
		free(*out);
		*out = NULL;
		*n_out = 0;
	}
	return rc;
}
