/*
 * fuzz_yaml - the YAML loader (configuration, policies, rule tests) and
 * the configuration checks on hostile documents.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "node.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vigil_buf err = { 0 };
	struct vigil_doc doc;
	struct vigil_arena a;
	struct vigil_event ev;

	if (vigil_doc_load_yaml("fuzz", (const char *)data, size, &doc,
				&err) == 0) {
		/* a document is also a candidate event (rule tests) */
		vigil_arena_init(&a, 1024);
		vigil_event_init(&ev, &a);
		if (doc.root)
			(void)!vigil_event_from_node(doc.root, &ev, &err);
		vigil_arena_free(&a);
		vigil_doc_free(&doc);
	}
	vigil_buf_free(&err);
	return 0;
}
