/*
 * fuzz_forward_proto - what a forward server sends back (HELO, PONG, ack)
 * is hostile input: the object framer must never read past the bytes it
 * was given, and the parsers must refuse anything malformed without
 * crashing or allocating more than the input's size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

#include "forward_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (off < size) {
		ssize_t n = fwd_object_size(data + off, size - off);
		struct fwd_helo h;
		struct fwd_pong p;
		char id[64];

		if (n <= 0)
			break;
		if ((size_t)n > size - off)
			abort();
		(void)fwd_parse_ack(data + off, (size_t)n, id, sizeof(id));
		(void)fwd_parse_helo(data + off, (size_t)n, &h);
		(void)fwd_parse_pong(data + off, (size_t)n, &p);
		off += (size_t)n;
	}
	return 0;
}
