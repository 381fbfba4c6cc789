/*
 * fuzz_audit_stream.c - libFuzzer target: a stream of audit log lines
 * through the reassembler (small in-flight cap and timeout, so eviction
 * and expiry run), the EXECVE decoder and the event builder (with path
 * watches set, so file records under any key reach the path checks).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_event.h"
#include "audit/audit_reasm.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
	struct vigil_audit_builder b;
	struct vigil_arena arena;
	struct vigil_event ev;
	uint64_t built;
};

static void on_event(void *p, const struct vigil_audit_asm_event *ae)
{
	struct ctx *c = p;
	uint32_t i;

	vigil_arena_reset(&c->arena);
	vigil_event_init(&c->ev, &c->arena);
	if (vigil_audit_build(&c->b, ae, &c->ev) == 0) {
		c->built++;
		/* touch every argv byte so ASan checks the bounds */
		for (i = 0; i < c->ev.process.argv.n; i++)
			if (c->ev.process.argv.v[i].len)
				c->built += (uint8_t)c->ev.process.argv.v[i]
						    .ptr[c->ev.process.argv.v[i]
								 .len - 1];
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctx c;
	static int ready;
	struct vigil_audit_reasm *r;
	struct vigil_audit_record rec;
	const char *p = (const char *)data, *end = p + size, *nl;
	int64_t t = 0;

	if (!ready) {
		/* watched paths and every xattr call, as the live source
		 * sets them: unkeyed file records take that path too */
		static const char *const watched[] = { "/etc/shadow",
						       "/proc/sys/kernel/"
						       "core_pattern" };

		if (vigil_audit_builder_init(&c.b, NULL) ||
		    vigil_audit_builder_set_watches(
			    &c.b, watched, VIGIL_ARRAY_SIZE(watched), true))
			abort();
		vigil_arena_init(&c.arena, 4096);
		ready = 1;
	}
	r = vigil_audit_reasm_new(4, 1000, on_event, &c);
	if (!r)
		return 0;
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (vigil_audit_record_parse_line(&rec, p, (size_t)(nl - p)))
			continue;
		vigil_audit_reasm_push(r, &rec, t);
		t += 300;
	}
	vigil_audit_reasm_flush(r);
	vigil_audit_reasm_free(r);
	return 0;
}
