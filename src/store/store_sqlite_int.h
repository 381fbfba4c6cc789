/*
 * store_sqlite_int.h - what store_sqlite.c shares with its tests: the
 * migration step, so a test can build a database of every earlier schema
 * version and open it with this build.
 */
#ifndef VIGIL_STORE_SQLITE_INT_H
#define VIGIL_STORE_SQLITE_INT_H

#include <sqlite3.h>

#include "buf.h"

/*
 * Migrates db from its PRAGMA user_version up to target, one version a
 * transaction.  Returns 0, -EPROTO when the database is newer than this
 * build, or another negative errno with the reason in err.
 */
int vigil__store_sqlite_migrate(sqlite3 *db, int target,
				struct vigil_buf *err);

#endif /* VIGIL_STORE_SQLITE_INT_H */
