/*
 * fuzz_fim_fanotify.c - libFuzzer target for the fanotify buffer walk.
 * Every event the parser returns must lie inside the input, with names
 * NUL-terminated inside it.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fim/fanotify_parse.h"

static void check_fid(const struct vigil_fan_fid *f, const uint8_t *lo,
		      const uint8_t *hi)
{
	if (f->key < lo || f->key + f->key_len > hi ||
	    f->handle < lo || f->handle + f->handle_len > hi)
		abort();
	if (f->name && ((const uint8_t *)f->name < lo ||
			(const uint8_t *)f->name + f->name_len >= hi ||
			f->name[f->name_len] != '\0'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vigil_fan_event ev;
	size_t off = 0, last = 0;
	int rc;

	while ((rc = vigil_fan_next(data, size, &off, &ev)) != 0) {
		if (off <= last || off > size)
			abort(); /* must always move forward */
		last = off;
		if (rc < 0)
			continue;
		if (ev.has_fid)
			check_fid(&ev.fid, data, data + size);
		if (ev.has_dfid)
			check_fid(&ev.dfid, data, data + size);
		if (ev.has_old)
			check_fid(&ev.old_dfid, data, data + size);
		if (ev.has_new)
			check_fid(&ev.new_dfid, data, data + size);
	}
	return 0;
}
