/*
 * spool.c - the forwarders' durable record queue (see spool.h for the
 * on-disk layout and the guarantees).
 *
 * Appends are one write(2) of at most a few KiB to the page cache, which
 * is bounded and does not wait on the disk, so the forwarders call it on
 * the loop.  fsync() is left to vigil_spool_sync(), which a forwarder runs
 * off the loop (libuv thread pool) on a timer.  Reads are pread(2)s of
 * records the writer has just put in the page cache.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "spool_int.h"

size_t vigil_spool_seg_hdr_size(void)
{
	return sizeof(struct spool_seg_hdr);
}

int vigil_spool_scan(const uint8_t *buf, size_t len, size_t *valid,
		     uint64_t *records)
{
	const struct spool_seg_hdr *h = (const void *)buf;
	size_t off = sizeof(*h);

	*valid = 0;
	*records = 0;
	if (len < sizeof(*h))
		return len && memcmp(buf, SEG_MAGIC, len < 8 ? len : 8) ?
			       -EBADMSG :
			       -EAGAIN;
	if (memcmp(h->magic, SEG_MAGIC, sizeof(h->magic)) ||
	    get_le32(h->version) != SEG_VERSION)
		return -EBADMSG;
	*valid = off;
	while (off < len) {
		uint32_t rlen, crc;

		if (len - off < REC_HDR)
			return -EAGAIN;
		rlen = get_le32(buf + off);
		crc = get_le32(buf + off + 4);
		if (rlen > VIGIL_SPOOL_MAX_RECORD)
			return -EBADMSG;
		if (len - off - REC_HDR < rlen)
			return -EAGAIN;
		if (rec_crc(buf + off, buf + off + REC_HDR, rlen) != crc)
			return -EBADMSG;
		off += REC_HDR + rlen;
		*valid = off;
		(*records)++;
	}
	return 0;
}

void vigil__spool_seg_path(const struct vigil_spool *s, uint64_t id, char *out,
			   size_t n)
{
	snprintf(out, n, "%s/%016" PRIx64 ".seg", s->dir, id);
}

/* mkdir -p; returns 0 or a negative errno. */
static int mkdirs(const char *path)
{
	char tmp[PATH_MAX];

	if (strlen(path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	strcpy(tmp, path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int vigil__spool_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int vigil__spool_segs_push(struct vigil_spool *s, const struct spool_seg *seg)
{
	if (s->n_segs == s->cap_segs) {
		size_t cap = s->cap_segs ? s->cap_segs * 2 : 16;
		struct spool_seg *p = realloc(s->segs, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->segs = p;
		s->cap_segs = cap;
	}
	s->segs[s->n_segs++] = *seg;
	return 0;
}

static struct spool_seg *seg_find(struct vigil_spool *s, uint64_t id)
{
	for (size_t i = 0; i < s->n_segs; i++)
		if (s->segs[i].id == id)
			return &s->segs[i];
	return NULL;
}

int vigil__spool_seg_create(struct vigil_spool *s, uint64_t id, int *fd_out)
{
	char path[PATH_MAX + SEG_NAME_LEN + 2];
	struct spool_seg_hdr h = { .magic = SEG_MAGIC };
	int fd, rc;

	memcpy(h.magic, SEG_MAGIC, sizeof(h.magic));
	put_le32(h.version, SEG_VERSION);
	vigil__spool_seg_path(s, id, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -errno;
	rc = vigil__spool_write_all(fd, &h, sizeof(h));
	if (rc) {
		close(fd);
		unlink(path);
		return rc;
	}
	*fd_out = fd;
	return 0;
}

/* Starts a new last segment and makes it the writer's. */
static int seg_rotate(struct vigil_spool *s)
{
	const struct spool_seg *last = &s->segs[s->n_segs - 1];
	struct spool_seg seg = {
		.id = last->id + 1,
		.size = sizeof(struct spool_seg_hdr),
		.first_n = last->first_n + (int64_t)last->records,
	};
	int fd = -1, rc;

	rc = vigil__spool_seg_create(s, seg.id, &fd);
	if (rc)
		return rc;
	rc = vigil__spool_segs_push(s, &seg);
	if (rc) {
		close(fd);
		return rc;
	}
	if (s->wfd >= 0)
		close(s->wfd);
	s->wfd = fd;
	s->bytes += seg.size;
	s->mirror_seg = seg.id;
	s->mirror_base = seg.size;
	s->mirror_len = 0;
	return 0;
}

/*
 * Writes the ack file atomically: ack.tmp, then rename.  There is no
 * fsync here: commits are frequent and run on the loop.  rename() makes
 * the switch atomic for a process crash; after a power loss the file may
 * be empty or old, which reads as "from an earlier position" - records are
 * sent again, never lost.
 */
static int ack_store(struct vigil_spool *s, const struct vigil_spool_pos *pos)
{
	char tmp[PATH_MAX + 16], path[PATH_MAX + 16];
	struct spool_ack_file a;
	int fd, rc;

	memcpy(a.magic, ACK_MAGIC, sizeof(a.magic));
	put_le64(a.seg, pos->seg);
	put_le64(a.off, pos->off);
	put_le32(a.crc, (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)&a,
				      offsetof(struct spool_ack_file, crc)));
	snprintf(tmp, sizeof(tmp), "%s/ack.tmp", s->dir);
	snprintf(path, sizeof(path), "%s/ack", s->dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	rc = vigil__spool_write_all(fd, &a, sizeof(a));
	close(fd);
	if (!rc && rename(tmp, path))
		rc = -errno;
	return rc;
}

/* Reads the ack file; a missing or damaged one means "from the start". */
static void ack_load(struct vigil_spool *s)
{
	char path[PATH_MAX + 16];
	struct spool_ack_file a;
	ssize_t n;
	int fd;

	s->ack.seg = 0;
	s->ack.off = 0;
	snprintf(path, sizeof(path), "%s/ack", s->dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, &a, sizeof(a));
	close(fd);
	if (n != (ssize_t)sizeof(a) || memcmp(a.magic, ACK_MAGIC, 8) ||
	    get_le32(a.crc) !=
		    (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)&a,
				    offsetof(struct spool_ack_file, crc)))
		return;
	s->ack.seg = get_le64(a.seg);
	s->ack.off = get_le64(a.off);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Lists the segment ids in the directory, sorted.  *ids is malloc()ed. */
static int list_segments(struct vigil_spool *s, uint64_t **ids, size_t *n)
{
	DIR *d = opendir(s->dir);
	struct dirent *de;
	uint64_t *v = NULL;
	size_t cnt = 0, cap = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		uint64_t id;

		if (strlen(de->d_name) != SEG_NAME_LEN ||
		    strcmp(de->d_name + 16, ".seg"))
			continue;
		id = strtoull(de->d_name, &end, 16);
		if (end != de->d_name + 16)
			continue;
		if (cnt == cap) {
			uint64_t *p;

			cap = cap ? cap * 2 : 16;
			p = realloc(v, cap * sizeof(*v));
			if (!p) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = p;
		}
		v[cnt++] = id;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_u64);
	*ids = v;
	*n = cnt;
	return 0;
}

static void seg_unlink(struct vigil_spool *s, uint64_t id)
{
	char path[PATH_MAX + SEG_NAME_LEN + 2];

	vigil__spool_seg_path(s, id, path, sizeof(path));
	unlink(path);
}

/* Removes the oldest segment from memory and disk (not the writer's). */
static void seg_drop_first(struct vigil_spool *s)
{
	struct spool_seg *first = &s->segs[0];
	char path[PATH_MAX + SEG_NAME_LEN + 2];

	if (s->rfd >= 0 && s->rfd_seg == first->id) {
		close(s->rfd);
		s->rfd = -1;
	}
	vigil__spool_seg_path(s, first->id, path, sizeof(path));
	if (s->remove)
		s->remove(s->remove_arg, path);
	else
		unlink(path);
	s->bytes -= first->size;
	memmove(s->segs, s->segs + 1, (s->n_segs - 1) * sizeof(*s->segs));
	s->n_segs--;
}

static uint64_t pending(const struct vigil_spool *s)
{
	const struct spool_seg *last = &s->segs[s->n_segs - 1];

	return (uint64_t)(last->first_n + (int64_t)last->records - s->ack.n);
}

int vigil_spool_open(const struct vigil_spool_opts *o,
		     struct vigil_spool **out)
{
	struct vigil_spool *s;
	char path[PATH_MAX + 16];
	uint64_t *ids = NULL;
	size_t n_ids = 0, first;
	int rc;

	if (!o->dir || strlen(o->dir) >= sizeof(s->dir) - SEG_NAME_LEN - 2)
		return -ENAMETOOLONG;
	if (o->full_policy != VIGIL_SPOOL_DROP_OLDEST &&
	    o->full_policy != VIGIL_SPOOL_DROP_NEWEST)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	strcpy(s->dir, o->dir);
	s->max_bytes = o->max_bytes ? o->max_bytes : DEFAULT_MAX_BYTES;
	s->segment_bytes = o->segment_bytes ? o->segment_bytes :
					      DEFAULT_SEGMENT_BYTES;
	if (s->segment_bytes > s->max_bytes / 2)
		s->segment_bytes = s->max_bytes / 2;
	/* the segment being written is also kept in memory */
	if (s->segment_bytes > MAX_SEGMENT_BYTES)
		s->segment_bytes = MAX_SEGMENT_BYTES;
	s->policy = o->full_policy;
	s->remove = o->remove;
	s->remove_arg = o->remove_arg;
	s->wfd = -1;
	s->rfd = -1;

	rc = mkdirs(s->dir);
	if (rc)
		goto out_free;
	snprintf(path, sizeof(path), "%s/lock", s->dir);
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0) {
		rc = -errno;
		goto out_free;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB)) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto out_close_lock;
	}
	ack_load(s);
	rc = list_segments(s, &ids, &n_ids);
	if (rc)
		goto out_close_lock;
	/* Segments wholly before the committed position were delivered;
	 * a crash between the commit and their removal leaves them. */
	for (first = 0; first < n_ids && ids[first] < s->ack.seg; first++)
		seg_unlink(s, ids[first]);
	if (first < n_ids && ids[first] != s->ack.seg) {
		/* the committed segment is gone: start at the next one */
		s->ack.seg = ids[first];
		s->ack.off = sizeof(struct spool_seg_hdr);
	}
	for (size_t i = first; i < n_ids; i++) {
		rc = vigil__spool_seg_load(s, ids[i], i + 1 == n_ids);
		if (rc)
			goto out_free_segs;
	}
	if (!s->n_segs) {
		struct spool_seg seg = {
			.id = s->ack.seg ? s->ack.seg : 1,
			.size = sizeof(struct spool_seg_hdr),
		};

		rc = vigil__spool_seg_create(s, seg.id, &s->wfd);
		if (rc)
			goto out_free_segs;
		rc = vigil__spool_segs_push(s, &seg);
		if (rc)
			goto out_free_segs;
		s->bytes = seg.size;
		s->ack.seg = seg.id;
		s->ack.off = seg.size;
	} else {
		vigil__spool_seg_path(s, s->segs[s->n_segs - 1].id, path, sizeof(path));
		s->wfd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (s->wfd < 0) {
			rc = -errno;
			goto out_free_segs;
		}
	}
	s->ack.n = 0;
	s->rpos = s->ack;
	s->mirror_seg = s->segs[s->n_segs - 1].id;
	s->mirror_base = s->segs[s->n_segs - 1].size;
	free(ids);
	*out = s;
	return 0;

out_free_segs:
	if (s->wfd >= 0)
		close(s->wfd);
	free(s->segs);
	free(ids);
out_close_lock:
	close(s->lock_fd);
out_free:
	free(s);
	return rc;
}

int vigil_spool_open_memory(const struct vigil_spool_opts *o,
			    struct vigil_spool **out)
{
	struct spool_seg seg = { .size = sizeof(struct spool_seg_hdr) };
	uint64_t max = o->max_bytes ? o->max_bytes : DEFAULT_MAX_BYTES;
	struct vigil_spool *s;

	if (o->full_policy != VIGIL_SPOOL_DROP_OLDEST &&
	    o->full_policy != VIGIL_SPOOL_DROP_NEWEST)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	/* what a disk spool keeps in memory: its segment being written */
	s->max_bytes = o->segment_bytes ? o->segment_bytes :
					  DEFAULT_SEGMENT_BYTES;
	if (s->max_bytes > max / 2)
		s->max_bytes = max / 2;
	if (s->max_bytes > MAX_SEGMENT_BYTES)
		s->max_bytes = MAX_SEGMENT_BYTES;
	s->segment_bytes = s->max_bytes;
	s->policy = o->full_policy;
	s->mem = true;
	s->lock_fd = s->wfd = s->rfd = -1;
	if (vigil__spool_segs_push(s, &seg)) {
		free(s);
		return -ENOMEM;
	}
	s->ack.seg = seg.id;
	s->ack.off = seg.size;
	s->rpos = s->ack;
	s->mirror_seg = seg.id;
	s->mirror_base = seg.size;
	*out = s;
	return 0;
}

bool vigil_spool_in_memory(const struct vigil_spool *s)
{
	return s->mem;
}

void vigil_spool_close(struct vigil_spool *s)
{
	if (!s)
		return;
	if (s->wfd >= 0)
		close(s->wfd);
	if (s->rfd >= 0)
		close(s->rfd);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->segs);
	free(s->rbuf);
	free(s->mirror);
	free(s);
}

/*
 * Makes room for need more bytes under the drop_oldest policy: deletes
 * the oldest segments, moving the committed position and the reader past
 * them, and counts their undelivered records as dropped.
 */
static int make_room(struct vigil_spool *s, uint64_t need)
{
	while (s->bytes + need > s->max_bytes) {
		struct spool_seg *next;
		int rc;

		if (s->n_segs == 1) {
			rc = seg_rotate(s);
			if (rc)
				return rc;
		}
		next = &s->segs[1];
		if (next->first_n > s->ack.n)
			s->st.dropped_full += (uint64_t)(next->first_n - s->ack.n);
		if (s->ack.seg == s->segs[0].id) {
			s->ack.seg = next->id;
			s->ack.off = sizeof(struct spool_seg_hdr);
			s->ack.n = next->first_n;
		}
		if (s->rpos.seg == s->segs[0].id)
			s->rpos = s->ack;
		seg_drop_first(s);
		/* persist, or a restart would resend the dropped ones'
		 * neighbours from a segment that no longer exists (harmless,
		 * but keep the file honest) */
		rc = ack_store(s, &s->ack);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * Keeps the in-memory copy of the segment being written in step with it.
 * Without memory for it, the copy restarts after this record (readers of
 * what came before go to the disk).
 */
static void mirror_append(struct vigil_spool *s, const uint8_t *hdr,
			  const void *data, size_t len)
{
	size_t need = REC_HDR + len;

	if (s->mirror_len + need > s->mirror_cap) {
		size_t cap = s->mirror_cap ? s->mirror_cap : 64 * 1024;
		uint8_t *p;

		while (cap < s->mirror_len + need)
			cap *= 2;
		p = realloc(s->mirror, cap);
		if (!p) {
			s->mirror_base += s->mirror_len + need;
			s->mirror_len = 0;
			return;
		}
		s->mirror = p;
		s->mirror_cap = cap;
	}
	memcpy(s->mirror + s->mirror_len, hdr, REC_HDR);
	memcpy(s->mirror + s->mirror_len + REC_HDR, data, len);
	s->mirror_len += need;
}

/* A memory spool's length of the record at its committed position. */
static uint32_t mem_rec_len(const struct vigil_spool *s, uint64_t off)
{
	return get_le32(s->mirror + (off - s->mirror_base));
}

/*
 * A memory spool forgets its oldest record not yet committed (the
 * drop_oldest policy): the committed position and, if it was behind,
 * the reader move past it.
 */
static void mem_drop_oldest(struct vigil_spool *s)
{
	s->ack.off += REC_HDR + mem_rec_len(s, s->ack.off);
	s->ack.n++;
	s->st.dropped_full++;
	if (s->rpos.off < s->ack.off)
		s->rpos = s->ack;
}

/*
 * vigil_spool_append of a memory spool: keeps what is not yet committed
 * within max_bytes by the full policy, and the record in the mirror,
 * whose committed head it gives back before it grows.
 */
static int mem_append(struct vigil_spool *s, const void *data, size_t len)
{
	struct spool_seg *seg = &s->segs[0];
	uint64_t need = REC_HDR + (uint64_t)len;
	size_t dead, live;
	uint8_t *p;

	if (len > VIGIL_SPOOL_MAX_RECORD || need > s->max_bytes)
		return -EMSGSIZE;
	while (seg->size - s->ack.off + need > s->max_bytes) {
		if (s->policy == VIGIL_SPOOL_DROP_NEWEST) {
			s->st.dropped_full++;
			return -ENOSPC;
		}
		mem_drop_oldest(s);
	}
	dead = (size_t)(s->ack.off - s->mirror_base);
	live = s->mirror_len - dead;
	if (dead && s->mirror_len + need > s->mirror_cap) {
		memmove(s->mirror, s->mirror + dead, live);
		s->mirror_base = s->ack.off;
		s->mirror_len = live;
	}
	if (s->mirror_len + need > s->mirror_cap) {
		size_t cap = s->mirror_cap ? s->mirror_cap : 64 * 1024;

		while (cap < s->mirror_len + need)
			cap *= 2;
		p = realloc(s->mirror, cap);
		if (!p)
			return -ENOMEM;
		s->mirror = p;
		s->mirror_cap = cap;
	}
	p = s->mirror + s->mirror_len;
	put_le32(p, (uint32_t)len);
	put_le32(p + 4, rec_crc(p, data, len));
	memcpy(p + REC_HDR, data, len);
	s->mirror_len += need;
	seg->size += need;
	seg->records++;
	s->st.appended++;
	return 0;
}

int vigil_spool_append(struct vigil_spool *s, const void *data, size_t len)
{
	uint8_t hdr[REC_HDR];
	struct spool_seg *last;
	uint64_t need = REC_HDR + (uint64_t)len;
	uint8_t small[4096], *buf;
	int rc;

	if (s->mem)
		return mem_append(s, data, len);
	if (len > VIGIL_SPOOL_MAX_RECORD ||
	    need + 2 * sizeof(struct spool_seg_hdr) > s->max_bytes)
		return -EMSGSIZE;
	last = &s->segs[s->n_segs - 1];
	if (last->size > sizeof(struct spool_seg_hdr) &&
	    last->size + need > s->segment_bytes) {
		rc = seg_rotate(s);
		if (rc)
			return rc;
	}
	if (s->bytes + need > s->max_bytes) {
		if (s->policy == VIGIL_SPOOL_DROP_NEWEST) {
			s->st.dropped_full++;
			return -ENOSPC;
		}
		rc = make_room(s, need);
		if (rc)
			return rc;
	}
	last = &s->segs[s->n_segs - 1];
	put_le32(hdr, (uint32_t)len);
	put_le32(hdr + 4, rec_crc(hdr, data, len));
	/* One write for header and payload, so that a record is either in
	 * the page cache whole or torn at the tail (found at open). */
	buf = need <= sizeof(small) ? small : malloc(need);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, hdr, REC_HDR);
	memcpy(buf + REC_HDR, data, len);
	rc = vigil__spool_write_all(s->wfd, buf, need);
	if (buf != small)
		free(buf);
	if (rc) {
		/* a partial write leaves a torn tail: cut it off so the next
		 * record starts on a boundary */
		if (ftruncate(s->wfd, (off_t)last->size))
			return -errno;
		return rc;
	}
	last->size += need;
	last->records++;
	s->bytes += need;
	s->st.appended++;
	mirror_append(s, hdr, data, len);
	return 0;
}

/* Opens the reader's segment file when it changed. */
static int reader_open(struct vigil_spool *s)
{
	char path[PATH_MAX + SEG_NAME_LEN + 2];

	if (s->rfd >= 0 && s->rfd_seg == s->rpos.seg)
		return 0;
	if (s->rfd >= 0)
		close(s->rfd);
	vigil__spool_seg_path(s, s->rpos.seg, path, sizeof(path));
	s->rfd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->rfd < 0)
		return -errno;
	s->rfd_seg = s->rpos.seg;
	return 0;
}

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got,
				  (off_t)(off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		got += (size_t)n;
	}
	return 0;
}

int vigil_spool_next(struct vigil_spool *s, const void **data, size_t *len)
{
	if (s->hold)
		return -ENODATA;
	for (;;) {
		struct spool_seg *seg = seg_find(s, s->rpos.seg);
		uint8_t hdr[REC_HDR];
		uint32_t rlen;
		int rc;

		if (!seg)
			return -EIO;
		if (s->rpos.off >= seg->size) {
			if (seg == &s->segs[s->n_segs - 1])
				return -ENODATA;
			s->rpos.seg = seg[1].id;
			s->rpos.off = sizeof(struct spool_seg_hdr);
			continue;
		}
		if (s->rpos.seg == s->mirror_seg &&
		    s->rpos.off >= s->mirror_base &&
		    s->rpos.off + REC_HDR <= s->mirror_base + s->mirror_len) {
			/* our own copy of what we appended: no CRC to check */
			const uint8_t *m =
				s->mirror + (s->rpos.off - s->mirror_base);

			rlen = get_le32(m);
			s->prev = s->rpos;
			s->rpos.off += REC_HDR + rlen;
			s->rpos.n++;
			*data = m + REC_HDR;
			*len = rlen;
			return 0;
		}
		rc = reader_open(s);
		if (!rc)
			rc = pread_all(s->rfd, hdr, sizeof(hdr), s->rpos.off);
		if (rc)
			return rc;
		rlen = get_le32(hdr);
		if (rlen > VIGIL_SPOOL_MAX_RECORD ||
		    s->rpos.off + REC_HDR + rlen > seg->size)
			goto corrupt;
		if (s->rbuf_cap < rlen + 1u) {
			uint8_t *p = realloc(s->rbuf, rlen + 1u);

			if (!p)
				return -ENOMEM;
			s->rbuf = p;
			s->rbuf_cap = rlen + 1u;
		}
		rc = pread_all(s->rfd, s->rbuf, rlen, s->rpos.off + REC_HDR);
		if (rc)
			return rc;
		if (rec_crc(hdr, s->rbuf, rlen) != get_le32(hdr + 4))
			goto corrupt;
		s->prev = s->rpos;
		s->rpos.off += REC_HDR + rlen;
		s->rpos.n++;
		*data = s->rbuf;
		*len = rlen;
		return 0;
corrupt:
		/* The file changed under us since it was checked: the rest
		 * of this segment cannot be framed.  Skip it, counted. */
		s->st.corrupt++;
		s->rpos.off = seg->size;
		if (seg == &s->segs[s->n_segs - 1])
			return -ENODATA;
	}
}

void vigil_spool_unread(struct vigil_spool *s)
{
	/* only right after a next() that gave a record */
	if (s->prev.seg == s->rpos.seg && s->prev.n + 1 == s->rpos.n &&
	    (s->prev.seg > s->ack.seg ||
	     (s->prev.seg == s->ack.seg && s->prev.off >= s->ack.off))) {
		s->rpos = s->prev;
	}
}

int vigil_spool_dup_fd(const struct vigil_spool *s)
{
	int fd = fcntl(s->wfd, F_DUPFD_CLOEXEC, 0);

	return fd < 0 ? -errno : fd;
}

void vigil_spool_tell(const struct vigil_spool *s, struct vigil_spool_pos *pos)
{
	*pos = s->rpos;
}

void vigil_spool_rewind(struct vigil_spool *s)
{
	s->rpos = s->ack;
}

int vigil_spool_commit(struct vigil_spool *s, const struct vigil_spool_pos *pos)
{
	int rc;

	if (pos->seg < s->ack.seg ||
	    (pos->seg == s->ack.seg && pos->off <= s->ack.off))
		return 0;
	if (!seg_find(s, pos->seg))
		return -EINVAL;
	if (s->mem) {
		if (pos->off > s->segs[0].size)
			return -EINVAL;
		s->ack = *pos;
		if (s->rpos.off < pos->off)
			s->rpos = *pos;
		if (s->ack.off == s->segs[0].size) {
			/* all delivered: the mirror starts over */
			s->mirror_base = s->ack.off;
			s->mirror_len = 0;
		}
		return 0;
	}
	rc = ack_store(s, pos);
	if (rc)
		return rc;
	s->ack = *pos;
	/* the reader may have been rewound behind the new commit */
	if (s->rpos.seg < pos->seg ||
	    (s->rpos.seg == pos->seg && s->rpos.off < pos->off))
		s->rpos = *pos;
	while (s->n_segs > 1 &&
	       (s->segs[0].id < pos->seg ||
		(s->segs[0].id == pos->seg && pos->off >= s->segs[0].size)))
		seg_drop_first(s);
	/* a commit at the very end of a segment names a removed one */
	if (s->ack.seg < s->segs[0].id) {
		s->ack.seg = s->segs[0].id;
		s->ack.off = sizeof(struct spool_seg_hdr);
	}
	if (s->rpos.seg < s->segs[0].id) {
		s->rpos.seg = s->segs[0].id;
		s->rpos.off = sizeof(struct spool_seg_hdr);
	}
	return 0;
}

int vigil_spool_sync(struct vigil_spool *s)
{
	return s->wfd >= 0 && fsync(s->wfd) ? -errno : 0;
}

void vigil_spool_get_stats(const struct vigil_spool *s,
			   struct vigil_spool_stats *out)
{
	*out = s->st;
	out->pending = pending(s);
	out->bytes = s->mem ? s->segs[0].size - s->ack.off : s->bytes;
	out->segments = s->mem ? 0 : s->n_segs;
}

void vigil_spool_hold(struct vigil_spool *s, bool on)
{
	s->hold = on;
}

int vigil_spool_move(struct vigil_spool *from, struct vigil_spool *to,
		     uint64_t *moved)
{
	*moved = 0;
	if (!from->mem)
		return -EINVAL;
	if (from->rpos.off != from->ack.off)
		return -EBUSY;
	while (from->ack.off < from->segs[0].size) {
		uint32_t rlen = mem_rec_len(from, from->ack.off);
		const uint8_t *rec = from->mirror +
				     (from->ack.off - from->mirror_base);
		int rc = vigil_spool_append(to, rec + REC_HDR, rlen);

		/* a full drop_newest spool counted its refusal as a drop */
		if (rc && rc != -ENOSPC)
			return rc;
		if (!rc)
			(*moved)++;
		from->ack.off += REC_HDR + rlen;
		from->ack.n++;
		from->rpos = from->ack;
	}
	from->mirror_base = from->ack.off;
	from->mirror_len = 0;
	return 0;
}
