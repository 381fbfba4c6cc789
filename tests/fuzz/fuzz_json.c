/*
 * fuzz_json - the JSON loader (vigilctl rules explain, status answers)
 * and event decoding from it, then re-encoding what decoded.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "node.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vigil_buf err = { 0 }, out = { 0 };
	struct vigil_doc doc;
	struct vigil_arena a;
	struct vigil_event ev;

	if (vigil_doc_load_json("fuzz", (const char *)data, size, &doc,
				&err) == 0) {
		vigil_arena_init(&a, 1024);
		vigil_event_init(&ev, &a);
		if (vigil_event_from_node(doc.root, &ev, &err) == 0) {
			(void)!vigil_encode_json(&ev, NULL, &out);
			(void)!vigil_encode_msgpack(&ev, NULL, &out);
		}
		vigil_arena_free(&a);
		vigil_doc_free(&doc);
	}
	vigil_buf_free(&err);
	vigil_buf_free(&out);
	return 0;
}
