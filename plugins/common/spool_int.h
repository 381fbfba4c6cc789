/*
 * spool_int.h - what spool.c (the queue) and spool_check.c (the check and
 * repair of segments at open) share: the on-disk structures, the spool
 * itself and the few helpers both use.  Not for the forwarders: they see
 * spool.h.
 */
#ifndef VIGIL_SPOOL_INT_H
#define VIGIL_SPOOL_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <zlib.h>

#include "spool.h"

#define SEG_MAGIC "VGLSPOOL"
#define SEG_VERSION 1u
#define ACK_MAGIC "VGLSPACK"
#define REC_HDR 8u /* u32 length + u32 crc */
#define DEFAULT_MAX_BYTES (256ull << 20)
#define DEFAULT_SEGMENT_BYTES (4ull << 20)
#define MAX_SEGMENT_BYTES (64ull << 20)
#define SEG_NAME_LEN 20 /* 16 hex digits + ".seg" */

/* The first bytes of every segment file. */
struct spool_seg_hdr {
	char magic[8];
	uint8_t version[4]; /* little endian */
	uint8_t reserved[4];
};

/* The ack file: the committed position and a CRC of what precedes it. */
struct spool_ack_file {
	char magic[8];
	uint8_t seg[8];
	uint8_t off[8];
	uint8_t crc[4];
};

/*
 * One segment in memory.  first_n is the ordinal of its first record,
 * counted from the committed position at open (negative before it), so
 * that the number of records between two positions is a subtraction.
 */
struct spool_seg {
	uint64_t id;
	uint64_t size;
	uint64_t records;
	int64_t first_n;
};

struct vigil_spool {
	char dir[PATH_MAX];
	uint64_t max_bytes;
	uint64_t segment_bytes;
	int policy;
	void (*remove)(void *arg, const char *path);
	void *remove_arg;
	int lock_fd;
	int wfd;           /* the last segment, O_APPEND */
	struct spool_seg *segs; /* oldest first; never empty */
	size_t n_segs, cap_segs;
	struct vigil_spool_pos ack;  /* .n: ordinal of the record there */
	struct vigil_spool_pos rpos;
	struct vigil_spool_pos prev; /* rpos before the last next() */
	/* A copy of segment mirror_seg from mirror_base to its end, so that
	 * a reader keeping up with the writer never touches the disk. */
	uint8_t *mirror;
	size_t mirror_len, mirror_cap;
	uint64_t mirror_seg, mirror_base;
	int rfd;           /* segment rfd_seg, or -1 */
	uint64_t rfd_seg;
	uint8_t *rbuf;
	size_t rbuf_cap;
	uint64_t bytes;
	struct vigil_spool_stats st;
	/* In memory only (vigil_spool_open_memory): one segment, id 0, whose
	 * records are all in the mirror from mirror_base on; no files. */
	bool mem;
	bool hold; /* vigil_spool_hold: next() hands out nothing */
};

static inline void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* CRC-32 of a record: its 4 length bytes, then its payload. */
static inline uint32_t rec_crc(const uint8_t *lenbytes, const void *data, size_t len)
{
	uLong c = crc32(0L, Z_NULL, 0);

	c = crc32(c, lenbytes, 4);
	if (len)
		c = crc32(c, data, (uInt)len);
	return (uint32_t)c;
}

/* Path of segment id in out (PATH_MAX + SEG_NAME_LEN + 2 bytes). */
void vigil__spool_seg_path(const struct vigil_spool *s, uint64_t id, char *out,
			   size_t n);
int vigil__spool_write_all(int fd, const void *data, size_t len);
int vigil__spool_segs_push(struct vigil_spool *s, const struct spool_seg *seg);
/* Creates segment id (truncating any leftover) with its header. */
int vigil__spool_seg_create(struct vigil_spool *s, uint64_t id, int *fd_out);
/*
 * Checks segment id on disk and appends it to s->spool's segments (in
 * spool_check.c, see there).
 */
int vigil__spool_seg_load(struct vigil_spool *s, uint64_t id, bool newest);

#endif /* VIGIL_SPOOL_INT_H */
