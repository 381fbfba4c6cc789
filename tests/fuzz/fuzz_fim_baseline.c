/*
 * fuzz_fim_baseline.c - libFuzzer target for the baseline file parser.
 * A file that parses must come back identical through save and parse,
 * and be sorted.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fim/fim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vigil_fim_baseline b;
	struct vigil_buf err = { 0 };

	vigil_fim_baseline_init(&b);
	if (vigil_fim_baseline_parse(&b, "fuzz", (const char *)data, size,
				     &err) == 0) {
		for (size_t i = 1; i < b.n; i++)
			if (strcmp(b.rec[i - 1].path, b.rec[i].path) >= 0)
				abort();
		for (size_t i = 0; i < b.n; i++)
			if (b.rec[i].path[0] != '/' ||
			    vigil_fim_baseline_find(&b, b.rec[i].path) !=
				    &b.rec[i])
				abort();
	}
	vigil_fim_baseline_free(&b);
	vigil_buf_free(&err);
	return 0;
}
