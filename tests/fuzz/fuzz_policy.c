/*
 * fuzz_policy.c - libFuzzer target for policy loading: YAML structure,
 * overrides, exceptions, list and macro resolution and compilation.  A
 * policy that loads is evaluated on a few events of different types.
 * Seeds: tests/fuzz/corpus/policy (src/lang/lang.mk says how to run it),
 * among them macro chains that reach the expansion bounds.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "lang/policy.h"
#include "schema.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vigil_buf err = { 0 };
	struct vigil_ruleset *rs = NULL;
	struct vigil_event ev;

	if (vigil_ruleset_load_mem(vigil_fields(), "fuzz.yaml",
				   (const char *)data, size, &rs, &err) == 0) {
		memset(&ev, 0, sizeof(ev));
		vigil_process_clear(&ev.process);
		ev.process.file.path = vigil_str_c("/bin/bash");
		for (uint32_t t = 0; t < VIGIL_EV__COUNT; t++) {
			ev.type = t;
			ev.time_ns = (int64_t)t * 1000000000;
			(void)vigil_ruleset_eval(rs, &ev, NULL, NULL);
		}
		for (size_t i = 0; i < vigil_ruleset_count(rs); i++) {
			vigil_buf_reset(&err);
			(void)vigil_ruleset_explain(rs, i, &ev, &err);
		}
		vigil_ruleset_free(rs);
	}
	vigil_buf_free(&err);
	return 0;
}
