/*
 * spool_check.c - the check of every segment when a spool opens: records
 * read through a bounded window, damage resynchronised on the next good
 * record, damaged segments rewritten and the originals kept as .bad, a
 * torn tail of the newest segment truncated.  The guarantees are in
 * spool.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool_int.h"

/*
 * A segment larger than this is damaged (sparse, or written by something
 * else): a segment rotates once it passes segment_bytes, so it can
 * overshoot by one record at most.  What lies beyond is not scanned.
 */
#define SEG_SCAN_LIMIT \
	(MAX_SEGMENT_BYTES + REC_HDR + VIGIL_SPOOL_MAX_RECORD + \
	 sizeof(struct spool_seg_hdr))
#define SCAN_CHUNK (1u << 20)

/*
 * A window over a file for the scan at open: at most one chunk, or one
 * record when a record is larger, is in memory at a time, however large
 * the file claims to be.
 */
struct seg_reader {
	int fd;
	uint64_t size; /* what is scanned: min(file size, SEG_SCAN_LIMIT) */
	uint8_t *buf;
	size_t cap;
	uint64_t base; /* file offset of buf[0] */
	size_t len;    /* valid bytes in buf */
	uint64_t read; /* bytes read so far, against SCAN_BUDGET */
};
/* Resynchronising re-reads records that turn out bad; past this many
 * bytes read the rest of a segment is given up as damaged. */
#define SCAN_BUDGET(size) (4 * (size) + (64ull << 20))

/*
 * Makes [off, off + n) available and points *p at it.  Returns 0,
 * -ENODATA past the end of what is scanned, -ENOMEM or an I/O errno.
 */
static int seg_reader_get(struct seg_reader *r, uint64_t off, size_t n,
			  const uint8_t **p)
{
	size_t want;

	if (off > r->size || n > r->size - off)
		return -ENODATA;
	if (off >= r->base && off + n <= r->base + r->len) {
		*p = r->buf + (off - r->base);
		return 0;
	}
	want = n > SCAN_CHUNK ? n : SCAN_CHUNK;
	if (want > r->size - off)
		want = (size_t)(r->size - off);
	if (r->cap < want) {
		uint8_t *b = realloc(r->buf, want);

		if (!b)
			return -ENOMEM;
		r->buf = b;
		r->cap = want;
	}
	r->base = off;
	r->len = 0;
	while (r->len < want) {
		ssize_t got = pread(r->fd, r->buf + r->len, want - r->len,
				    (off_t)(off + r->len));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			break;
		r->len += (size_t)got;
	}
	r->read += r->len;
	if (r->len < n)
		return -ENODATA;
	*p = r->buf;
	return 0;
}

/* Is there a whole, checked record at off?  Sets *end past it. */
static bool seg_record_at(struct seg_reader *r, uint64_t off, uint64_t *end)
{
	const uint8_t *h, *d;
	uint8_t hdr[REC_HDR];
	uint32_t rlen;

	if (seg_reader_get(r, off, REC_HDR, &h))
		return false;
	rlen = get_le32(h);
	if (rlen > VIGIL_SPOOL_MAX_RECORD || off + REC_HDR + rlen > r->size)
		return false;
	memcpy(hdr, h, sizeof(hdr)); /* the window may move for the data */
	if (seg_reader_get(r, off + REC_HDR, rlen, &d))
		return false;
	if (rec_crc(hdr, d, rlen) != get_le32(hdr + 4))
		return false;
	*end = off + REC_HDR + rlen;
	return true;
}

/*
 * Zeroed blocks (a crash, a sparse file) are the commonest damage.  No
 * record starts with 8 zero bytes (a zero length has a non-zero CRC), so
 * in a run of zeros the next candidate is 7 bytes before its end.
 * Returns the offset to try next minus one (the caller increments).
 */
static uint64_t skip_zeros(struct seg_reader *r, uint64_t off)
{
	const uint8_t *p, *q, *end;
	uint64_t nz;

	if (seg_reader_get(r, off, 1, &p) || *p)
		return off;
	end = r->buf + r->len;
	for (q = p; q < end && !*q; q++)
		;
	nz = off + (uint64_t)(q - p);
	return nz >= off + 8 ? nz - 8 : off;
}

/* A run of good records: [from, to) in the file as it is on disk. */
struct seg_run {
	uint64_t from, to;
};

/*
 * Writes the segment anew from its good runs (header first) and moves
 * the damaged file aside as ID.seg.bad, for whoever investigates.
 */
static int seg_rewrite(struct vigil_spool *s, uint64_t id,
		       struct seg_reader *r, const struct seg_run *runs,
		       size_t n_runs)
{
	char path[PATH_MAX + SEG_NAME_LEN + 2], tmp[sizeof(path) + 8],
		bad[sizeof(path) + 8];
	struct spool_seg_hdr h;
	int fd, rc = 0;

	vigil__spool_seg_path(s, id, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	snprintf(bad, sizeof(bad), "%s.bad", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -errno;
	memcpy(h.magic, SEG_MAGIC, sizeof(h.magic));
	put_le32(h.version, SEG_VERSION);
	memset(h.reserved, 0, sizeof(h.reserved));
	rc = vigil__spool_write_all(fd, &h, sizeof(h));
	for (size_t i = 0; !rc && i < n_runs; i++) {
		for (uint64_t off = runs[i].from; !rc && off < runs[i].to;) {
			size_t n = runs[i].to - off > SCAN_CHUNK ?
					   SCAN_CHUNK :
					   (size_t)(runs[i].to - off);
			const uint8_t *p;

			rc = seg_reader_get(r, off, n, &p);
			if (!rc)
				rc = vigil__spool_write_all(fd, p, n);
			off += n;
		}
	}
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(path, bad))
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

/*
 * Checks segment id on disk and appends it to s->segs.  The file is read
 * in bounded chunks.  A damaged stretch does not end the segment: the
 * scan resynchronises on the next offset that holds a whole record whose
 * CRC checks, so one flipped byte costs one record, not the rest of the
 * file.  Damage is counted (corrupt, or torn for a bad tail of the newest
 * segment, which is only truncated); a segment with damage inside is
 * rewritten from its good records and the original kept as ID.seg.bad.
 * When the segment holds the committed position, works out the ordinal
 * of its first record and where that position lands after a rewrite.
 */
int vigil__spool_seg_load(struct vigil_spool *s, uint64_t id, bool newest)
{
	char path[PATH_MAX + SEG_NAME_LEN + 2];
	struct spool_seg seg = { .id = id };
	struct seg_reader r = { .fd = -1 };
	struct seg_run *runs = NULL;
	size_t n_runs = 0, cap_runs = 0;
	const uint64_t hdr_len = sizeof(struct spool_seg_hdr);
	uint64_t off, kept = hdr_len, ack_new = 0, before = 0;
	bool damaged = false, torn = false, ack_found = false;
	const struct spool_seg_hdr *h;
	struct stat st;
	int rc;

	vigil__spool_seg_path(s, id, path, sizeof(path));
	r.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r.fd < 0)
		return -errno;
	if (fstat(r.fd, &st)) {
		rc = -errno;
		goto out;
	}
	r.size = (uint64_t)st.st_size;
	if (r.size > SEG_SCAN_LIMIT) {
		r.size = SEG_SCAN_LIMIT;
		damaged = true;
	}
	if (seg_reader_get(&r, 0, hdr_len, (const uint8_t **)&h) ||
	    memcmp(h->magic, SEG_MAGIC, sizeof(h->magic)) ||
	    get_le32(h->version) != SEG_VERSION) {
		/* not even a header: keep what is there aside, start again */
		int fd = -1;
		char bad[sizeof(path) + 8];

		if (newest && r.size < hdr_len)
			s->st.torn++;
		else
			s->st.corrupt++;
		snprintf(bad, sizeof(bad), "%s.bad", path);
		if (r.size && rename(path, bad) == 0)
			s->st.bad_segments++;
		rc = vigil__spool_seg_create(s, id, &fd);
		if (rc)
			goto out;
		close(fd);
		seg.size = hdr_len;
		if (id == s->ack.seg)
			s->ack.off = hdr_len;
		goto push;
	}
	if (id == s->ack.seg && s->ack.off == hdr_len)
		ack_found = true, ack_new = hdr_len;
	for (off = hdr_len; off < r.size;) {
		uint64_t end;

		if (seg_record_at(&r, off, &end)) {
			/* extend the current run, or start one */
			if (n_runs && runs[n_runs - 1].to == off) {
				runs[n_runs - 1].to = end;
			} else {
				if (n_runs == cap_runs) {
					size_t c = cap_runs ? cap_runs * 2 : 8;
					struct seg_run *p =
						realloc(runs, c * sizeof(*p));

					if (!p) {
						rc = -ENOMEM;
						goto out;
					}
					runs = p;
					cap_runs = c;
				}
				runs[n_runs++] = (struct seg_run){ off, end };
			}
			seg.records++;
			kept += end - off;
			if (id == s->ack.seg && end == s->ack.off) {
				ack_found = true;
				ack_new = kept;
				before = seg.records;
			}
			off = end;
			continue;
		}
		/* resynchronise on the next whole, checked record */
		while (++off < r.size && r.read < SCAN_BUDGET(r.size) &&
		       !seg_record_at(&r, off, &end))
			off = skip_zeros(&r, off);
		if (off < r.size && r.read >= SCAN_BUDGET(r.size))
			off = r.size; /* crafted to be slow: the rest is lost */
		if (off >= r.size && newest && !damaged) {
			torn = true; /* a record cut short by a crash */
		} else {
			damaged = true;
			s->st.corrupt++;
		}
	}
	if (damaged) {
		rc = seg_rewrite(s, id, &r, runs, n_runs);
		if (rc)
			goto out;
		s->st.bad_segments++;
		if (torn)
			s->st.torn++;
	} else if (torn) {
		s->st.torn++;
		if (truncate(path, (off_t)kept)) {
			rc = -errno;
			goto out;
		}
	}
	seg.size = kept;
	if (id == s->ack.seg) {
		/* A commit always lands between records; if this one does
		 * not, do not trust it and resend the whole segment. */
		if (!ack_found)
			ack_new = hdr_len, before = 0;
		s->ack.off = ack_new;
	}
push:
	if (id == s->ack.seg) {
		seg.first_n = -(int64_t)before;
	} else if (s->n_segs) {
		const struct spool_seg *p = &s->segs[s->n_segs - 1];

		seg.first_n = p->first_n + (int64_t)p->records;
	}
	rc = vigil__spool_segs_push(s, &seg);
	if (!rc)
		s->bytes += seg.size;
out:
	if (r.fd >= 0)
		close(r.fd);
	free(r.buf);
	free(runs);
	return rc;
}

