/*
 * fuzz_spool - the spool's segment reader on hostile bytes: the scanner
 * must never read past the buffer, and a spool opened on a directory
 * holding the input as its only segment (or behind a good one) must
 * repair it (resynchronising past damage, moving the file aside as
 * .bad) and hand out only records whose CRC holds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[] = "/tmp/vigil-fuzz-spoolXXXXXX";
	static int made;
	struct vigil_spool_opts o = { .dir = dir, .max_bytes = 1 << 20 };
	struct vigil_spool *s;
	char path[128];
	size_t valid;
	uint64_t n, got = 0;
	const void *d;
	size_t len;
	FILE *f;

	if (vigil_spool_scan(data, size, &valid, &n) == 0 && valid != size)
		abort();
	if (valid > size)
		abort();
	if (!made && !mkdtemp(dir))
		return 0;
	made = 1;
	snprintf(path, sizeof(path), "%s/0000000000000001.seg", dir);
	f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/ack", dir);
	unlink(path);
	if (vigil_spool_open(&o, &s) == 0) {
		while (vigil_spool_next(s, &d, &len) == 0)
			got++;
		/* at least the good prefix (records after damage are
		 * recovered too), then appends still work */
		if (got < n)
			abort();
		if (vigil_spool_append(s, "x", 1) ||
		    vigil_spool_next(s, &d, &len) || len != 1)
			abort();
		vigil_spool_close(s);
	}
	snprintf(path, sizeof(path), "%s/0000000000000001.seg", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/0000000000000001.seg.bad", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/0000000000000002.seg", dir);
	unlink(path);
	return 0;
}
