/*
 * spool.h - a durable, bounded, append-only record queue on disk, shared
 * by the forwarders (forward, syslog, http) and compiled into each of them.
 *
 * Layout of a spool directory (<state_dir>/spool/<forwarder>/):
 *   lock                  flock()ed while open: one process per spool
 *   ack                   the committed read position, replaced atomically
 *                         (written to ack.tmp, fsynced, renamed)
 *   <16 hex digits>.seg   segments, numbered in order of creation
 *
 * A segment is a header (struct spool_seg_hdr in spool.c) followed by
 * records: a little-endian u32 length, a little-endian u32 CRC-32 of the
 * length bytes and the payload, then the payload.  A record is appended
 * with one write(2), so once vigil_spool_append() returns it is in the
 * page cache and survives the death of the process (kill -9); power loss
 * is covered up to the last vigil_spool_sync().  The ack file is not
 * fsynced: after a power loss delivery resumes from an older position
 * (duplicates, no loss).
 *
 * On open every segment at or after the committed position is checked
 * record by record, in bounded chunks whatever size the file claims.  A
 * torn record at the end of the last segment (a crash mid-write) is
 * truncated and counted as torn.  Damage anywhere else does not end the
 * segment: the check resynchronises on the next whole record whose CRC
 * holds, so a flipped byte costs one record; the segment is rewritten
 * from its good records, the damaged file kept as ID.seg.bad, and each
 * damaged stretch counted as corrupt.  Reading then resumes at the committed
 * position, in order, so each record that was written and not yet
 * acknowledged is handed out again exactly once per open.
 *
 * Not thread safe: one owner (the forwarder, on the loop thread).
 */
#ifndef VIGIL_SPOOL_H
#define VIGIL_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vigil/plugin.h>

/* A record may not be larger than this (a sanity bound for readers). */
#define VIGIL_SPOOL_MAX_RECORD (16u << 20)

enum vigil_spool_full_policy {
	VIGIL_SPOOL_DROP_OLDEST = 0, /* delete the oldest segment */
	VIGIL_SPOOL_DROP_NEWEST = 1, /* refuse the new record */
};

struct vigil_spool_opts {
	const char *dir;        /* created if missing (with parents) */
	uint64_t max_bytes;     /* bound on all segments; 0: 256 MiB */
	uint64_t segment_bytes; /* a segment is closed past this; 0: 4 MiB,
				 * at most 64 MiB (it is mirrored in memory) */
	int full_policy;        /* enum vigil_spool_full_policy */
	/*
	 * Removes a delivered segment file.  NULL: unlink(2) right away.  A
	 * forwarder passes one that unlinks on the libuv thread pool, since
	 * freeing a file's blocks can take tens of milliseconds.  path is
	 * only valid during the call.
	 */
	void (*remove)(void *arg, const char *path);
	void *remove_arg;
};

/* A place in the spool: a segment, a byte offset in it, and (for the
 * spool's own accounting) the ordinal of the record there. */
struct vigil_spool_pos {
	uint64_t seg;
	uint64_t off;
	int64_t n;
};

struct vigil_spool_stats {
	uint64_t appended;      /* records written since open */
	uint64_t dropped_full;  /* records lost to the full policy */
	uint64_t torn;          /* torn last records truncated at open */
	uint64_t corrupt;       /* damaged stretches skipped at open */
	uint64_t bad_segments;  /* damaged files moved aside as *.seg.bad */
	uint64_t pending;       /* records after the committed position */
	uint64_t bytes;         /* bytes of all segments on disk (in memory:
				 * of the records not yet committed) */
	uint64_t segments;      /* on disk; 0 in memory */
};

struct vigil_spool;

/*
 * Opens (creating if needed) the spool in o->dir, repairs torn tails and
 * positions the reader at the committed position.  On success *out owns
 * the spool (free with vigil_spool_close).  Returns 0, -EBUSY when another
 * process holds the spool, or another negative errno.
 */
int vigil_spool_open(const struct vigil_spool_opts *o,
		     struct vigil_spool **out)
	__attribute__((warn_unused_result));
void vigil_spool_close(struct vigil_spool *s);

/*
 * Opens a spool that keeps its records in memory only, for a forwarder
 * whose directory cannot be used: every call below works on it as on a
 * spool on disk, nothing touches the disk, and what it holds is lost
 * when it is closed.  o->dir is ignored.  It holds at most what a spool
 * on disk keeps in memory, one segment (o->segment_bytes, default
 * 4 MiB, at most half of o->max_bytes and 64 MiB) of records not yet
 * committed; past that o->full_policy drops, counted in dropped_full.
 * Its positions name segment 0, which no spool on disk has, so a spool
 * on disk ignores a commit of one of them.  On success *out owns it
 * (vigil_spool_close).  Returns 0, -EINVAL or -ENOMEM.
 */
int vigil_spool_open_memory(const struct vigil_spool_opts *o,
			    struct vigil_spool **out)
	__attribute__((warn_unused_result));
bool vigil_spool_in_memory(const struct vigil_spool *s);

/*
 * While on, vigil_spool_next hands out nothing (-ENODATA), so that what
 * a reader has in flight settles (committed, or rewound) before
 * vigil_spool_move.
 */
void vigil_spool_hold(struct vigil_spool *s, bool on);

/*
 * Appends the records of the memory spool from that are not yet
 * committed to to, in order, committing each in from once to has it;
 * stores in *moved how many to took (a drop_newest spool that is full
 * refuses and counts the rest as dropped).  Returns 0; -EBUSY when from
 * has records in flight (its reader is not at its committed position);
 * -EINVAL when from is not in memory; or the error of an append to to
 * (the records before it moved, the rest are still in from).
 */
int vigil_spool_move(struct vigil_spool *from, struct vigil_spool *to,
		     uint64_t *moved)
	__attribute__((warn_unused_result));

/*
 * Appends one record.  Returns 0; -ENOSPC when the spool is full and the
 * policy is drop_newest (the record is counted as dropped); -EMSGSIZE when
 * the record is larger than VIGIL_SPOOL_MAX_RECORD or the whole spool; or
 * a negative errno from the file system.
 */
int vigil_spool_append(struct vigil_spool *s, const void *data, size_t len)
	__attribute__((warn_unused_result));

/*
 * Hands out the next record after the read cursor.  *data stays valid
 * until the next call on s.  Records from the segment being written come
 * from a copy in memory; older ones (a backlog) are read from disk.  Returns 0, -ENODATA when the reader has
 * caught up with the writer, or a negative errno.
 */
int vigil_spool_next(struct vigil_spool *s, const void **data, size_t *len)
	__attribute__((warn_unused_result));

/* Steps the read cursor back over the record vigil_spool_next just gave
 * (a reader that looked at a record and wants it in its next batch). */
void vigil_spool_unread(struct vigil_spool *s);

/*
 * A duplicate of the descriptor of the segment being written, for an
 * fsync() off the loop thread; the caller closes it.  -errno on failure.
 */
int vigil_spool_dup_fd(const struct vigil_spool *s);

/* The read cursor: just after the last record vigil_spool_next gave. */
void vigil_spool_tell(const struct vigil_spool *s, struct vigil_spool_pos *pos);

/* Moves the read cursor back to the committed position (resend). */
void vigil_spool_rewind(struct vigil_spool *s);

/*
 * Marks everything before pos (from vigil_spool_tell) as delivered:
 * persists pos atomically and
 * deletes segments that are wholly before it.  A pos at or before the
 * committed one (a late acknowledgement after drop_oldest) is ignored.
 * Returns 0 or a negative errno.
 */
int vigil_spool_commit(struct vigil_spool *s, const struct vigil_spool_pos *pos)
	__attribute__((warn_unused_result));

/* fsync()s the segment being written. */
int vigil_spool_sync(struct vigil_spool *s);

void vigil_spool_get_stats(const struct vigil_spool *s,
			   struct vigil_spool_stats *out);

/*
 * A forwarder's stats(): its own counters plus what its spool dropped
 * (full) or cut (torn or corrupt records at open).
 */
static inline void vigil_spool_plugin_stats(const struct vigil_spool *s,
					    const struct vigil_plugin_stats *own,
					    struct vigil_plugin_stats *out)
{
	struct vigil_spool_stats ss;

	vigil_spool_get_stats(s, &ss);
	*out = *own;
	out->dropped += ss.dropped_full;
	out->errors += ss.torn + ss.corrupt;
}

/*
 * Parses a segment image in buf[0..len).  Stores in *valid the length of
 * the prefix made of a good header and whole records with good CRCs, and
 * in *records how many records that prefix holds.  Returns 0 when the
 * whole buffer is valid, -EAGAIN when it ends in a torn record (a prefix
 * of a record), -EBADMSG when a header or record is corrupt.  Trusts
 * nothing in buf; exposed for the unit tests and the fuzzer.
 */
int vigil_spool_scan(const uint8_t *buf, size_t len, size_t *valid,
		     uint64_t *records);

/* Size of the segment header, for tests. */
size_t vigil_spool_seg_hdr_size(void);

#endif /* VIGIL_SPOOL_H */
