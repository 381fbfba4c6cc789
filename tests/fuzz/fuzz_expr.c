/*
 * fuzz_expr.c - libFuzzer target for the expression parser and compiler:
 * any text is either compiled or rejected with a positioned error, never
 * a crash, leak or overflow.  What compiles is evaluated on two events
 * (one rich, one empty), so the evaluator sees the same hostile trees.
 * One macro and one list are defined so that name resolution is covered.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lang.h"
#include "schema.h"

static const struct lang_src macro_src = {
	.file = "macro",
	.text = "exec.file.name == bash || process.ancestors.length > 2",
	.len = sizeof("exec.file.name == bash || process.ancestors.length > 2") -
	       1,
};

static bool expanding;

static const struct lang_src *fz_macro(void *arg, const char *name,
				       size_t len, size_t *n)
{
	if (len == 2 && memcmp(name, "mm", 2) == 0) {
		*n = 1;
		return &macro_src;
	}
	return NULL;
}

static const struct lang_list_item list_items[] = {
	{ .text = "bash", .len = 4, .src = &macro_src },
	{ .text = "10.0.0.0/8", .len = 10, .src = &macro_src },
	{ .text = "17", .len = 2, .src = &macro_src },
};

static const struct lang_list_item *fz_list(void *arg, const char *name,
					    size_t len, size_t *n)
{
	if (len == 2 && memcmp(name, "ll", 2) == 0) {
		*n = sizeof(list_items) / sizeof(list_items[0]);
		return list_items;
	}
	return NULL;
}

static bool fz_enter(void *arg, const char *name, size_t len, bool enter)
{
	if (enter && expanding)
		return false;
	expanding = enter;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct lang_names names = {
		.macro = fz_macro, .list = fz_list, .enter_macro = fz_enter,
	};
	static struct vigil_process anc[2];
	static struct vigil_str argv[3] = {
		{ "nc", 2 }, { "-e", 2 }, { "/bin/sh", 7 },
	};
	struct vigil_buf err = { 0 };
	struct lang_pool pool;
	struct lang_ctx c = {
		.ft = vigil_fields(), .names = &names, .pool = &pool,
		.err = &err,
	};
	struct lang_src src = { .file = "fuzz" };
	struct vigil_event ev;
	struct lang_expr *e;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	src.text = text;
	src.len = size;
	expanding = false;
	lang_pool_init(&pool);
	e = lang_compile(&c, &src);
	if (e) {
		memset(&ev, 0, sizeof(ev));
		vigil_process_clear(&ev.process);
		ev.type = VIGIL_EV_EXEC;
		ev.process.file.path = (struct vigil_str){ "/bin/nc", 7 };
		ev.process.argv.v = argv;
		ev.process.argv.n = 3;
		vigil_process_clear(&anc[0]);
		vigil_process_clear(&anc[1]);
		anc[0].file.path = (struct vigil_str){ "/usr/sbin/nginx", 15 };
		ev.ancestors = anc;
		ev.n_ancestors = 2;
		(void)lang_eval(e, &ev);
		vigil_buf_reset(&err);
		(void)lang_explain(e, &ev, &err, 0);
		memset(&ev, 0, sizeof(ev));
		for (uint32_t t = 0; t < VIGIL_EV__COUNT; t += 7) {
			ev.type = t;
			(void)lang_eval(e, &ev);
		}
	}
	lang_pool_free(&pool);
	vigil_buf_free(&err);
	free(text);
	return 0;
}
