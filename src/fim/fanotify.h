/*
 * fanotify.h - the file integrity source (issue 6).
 *
 * Config section `fim:` (see src/fim/fim.h, struct vigil_fim_config):
 *   paths, exclude, hash_max_size, marks (auto|filesystem|inode),
 *   state_dir, rescan_interval, rescan_files_per_second, cache_max.
 * Status members: rung, marks, marks_count, target_fid, overflows,
 * cache_entries, hashing, unresolved.
 */
#ifndef VIGIL_SOURCES_FANOTIFY_H
#define VIGIL_SOURCES_FANOTIFY_H

#include "source.h"

extern const struct vigil_source_ops vigil_fim_source_ops;

/* Tests: read process details from another /proc (after start). */
void vigil_fim_source_set_procroot(struct vigil_source *src,
				   const char *procroot);

#endif /* VIGIL_SOURCES_FANOTIFY_H */
