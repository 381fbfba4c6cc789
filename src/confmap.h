/*
 * confmap.h - the engine behind configuration tables (vigil/confmap.h):
 * checks a section of the document tree against a table and reads it into
 * a settings struct.  The core's sections, the sources and, through the
 * host's config_map call, the plugins all go through it.
 */
#ifndef VIGIL_CONFMAP_ENGINE_H
#define VIGIL_CONFMAP_ENGINE_H

#include <stddef.h>

#include <vigil/confmap.h>

#include "node.h"
#include "util.h"

/*
 * Reads section (a map; NULL or null: every key absent) into settings as
 * table says: first every entry's default, then each key present.  where
 * names the section in messages ("audit", "plugins[file_sink].config"; ""
 * for the document's root).  entry_size is sizeof(struct
 * vigil_config_entry) where the table was built (a plugin built against an
 * older header has smaller entries).
 *
 * Returns 0, or -EINVAL with one line in err: "file:line:col: what is
 * wrong (the fix)" for a bad value or unknown key, or a sentence naming
 * the entry when the table itself is wrong (a bug in its section).
 * settings may be left partly written on error.
 */
int vigil_confmap_read(const struct vigil_config_entry *table, size_t n,
		       size_t entry_size, const struct vigil_node *section,
		       const char *where, void *settings, struct vigil_buf *err)
	__attribute__((warn_unused_result));

/*
 * Checks the table alone: known types, member sizes and ranges that fit,
 * defaults in range, names for enums, no key twice and no key that is
 * also a map of others.  settings_size, when not 0, bounds the offsets.
 * Returns 0 or -EINVAL with the reason in err.
 */
int vigil_confmap_check_table(const struct vigil_config_entry *table,
			      size_t n, size_t entry_size,
			      size_t settings_size, const char *where,
			      struct vigil_buf *err)
	__attribute__((warn_unused_result));

/* vigil_confmap_read() of a table array declared in scope. */
#define VIGIL_CONFMAP_READ(table, section, where, settings, err)               \
	vigil_confmap_read((table), VIGIL_ARRAY_SIZE(table),                   \
			   sizeof((table)[0]), (section), (where), (settings), \
			   (err))

#endif /* VIGIL_CONFMAP_ENGINE_H */
