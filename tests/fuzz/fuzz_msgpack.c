/*
 * fuzz_msgpack - decoding recorded/forwarded msgpack events (replay files,
 * spools) and re-encoding what decoded.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vigil_buf err = { 0 }, out = { 0 };
	struct vigil_signal_store sig;
	struct vigil_arena a;
	struct vigil_event ev;
	size_t off = 0, used;

	vigil_arena_init(&a, 1024);
	while (off < size) {
		vigil_arena_reset(&a);
		vigil_event_init(&ev, &a);
		used = 0;
		if (vigil_decode_msgpack((const char *)data + off, size - off,
					 &used, &ev, &sig, &err) == 0) {
			vigil_buf_reset(&out);
			(void)!vigil_encode_json(
				&ev, sig.present ? &sig.sig : NULL, &out);
			(void)!vigil_encode_msgpack(&ev, NULL, &out);
		}
		if (!used)
			break;
		off += used;
	}
	vigil_arena_free(&a);
	vigil_buf_free(&err);
	vigil_buf_free(&out);
	return 0;
}
