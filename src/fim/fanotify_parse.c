/*
 * fanotify_parse.c - bounds-checked walk over fanotify event buffers.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/fanotify.h>

#include "fim/fanotify_parse.h"
#include "util.h"

/* The fixed part of an fid record: header + fsid + handle header. */
#define FID_FIXED (sizeof(struct fanotify_event_info_fid) + \
		   sizeof(struct file_handle))

/* Parses one fid-like record of rec_len bytes at p into *fid. */
static int parse_fid(const unsigned char *p, size_t rec_len, bool with_name,
		     struct vigil_fan_fid *fid)
{
	const unsigned char *fsid = p + sizeof(struct fanotify_event_info_header);
	const unsigned char *fh = p + sizeof(struct fanotify_event_info_fid);
	struct file_handle h;
	size_t hlen;

	if (rec_len < FID_FIXED)
		return -EINVAL;
	memcpy(&h, fh, sizeof(h));
	if (h.handle_bytes > MAX_HANDLE_SZ ||
	    h.handle_bytes > rec_len - FID_FIXED)
		return -EINVAL;
	hlen = sizeof(struct file_handle) + h.handle_bytes;
	memset(fid, 0, sizeof(*fid));
	memcpy(&fid->fsid, fsid, sizeof(fid->fsid));
	fid->key = fsid;
	fid->key_len = (size_t)(fh + hlen - fsid);
	fid->handle = fh;
	fid->handle_len = hlen;
	if (with_name) {
		const char *name = (const char *)(fh + hlen);
		size_t room = rec_len - FID_FIXED - h.handle_bytes;
		const char *nul = memchr(name, '\0', room);

		if (room == 0 || !nul || nul == name)
			return -EINVAL;
		fid->name = name;
		fid->name_len = (size_t)(nul - name);
	}
	return 0;
}

int vigil_fan_next(const void *buf, size_t len, size_t *off,
		   struct vigil_fan_event *ev)
{
	const unsigned char *base = buf;
	struct fanotify_event_metadata m;
	size_t pos, end;

	if (*off >= len)
		return 0;
	if (len - *off < FAN_EVENT_METADATA_LEN) {
		*off = len;
		return -EINVAL;
	}
	memcpy(&m, base + *off, sizeof(m));
	if (m.event_len < FAN_EVENT_METADATA_LEN ||
	    m.event_len > len - *off) {
		*off = len;
		return -EINVAL;
	}
	pos = *off;
	end = *off + m.event_len;
	*off = end;
	if (m.vers != FANOTIFY_METADATA_VERSION ||
	    m.metadata_len < FAN_EVENT_METADATA_LEN ||
	    m.metadata_len > m.event_len)
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	ev->mask = m.mask;
	ev->fd = m.fd;
	ev->pid = m.pid;
	pos += m.metadata_len;
	while (pos < end) {
		struct fanotify_event_info_header h;
		const unsigned char *p = base + pos;
		struct vigil_fan_fid *dst = NULL;
		bool name = false;
		int rc;

		if (end - pos < sizeof(h))
			return -EINVAL;
		memcpy(&h, p, sizeof(h));
		if (h.len < sizeof(h) || h.len > end - pos)
			return -EINVAL;
		switch (h.info_type) {
		case FAN_EVENT_INFO_TYPE_FID:
			dst = &ev->fid;
			ev->has_fid = true;
			break;
		case FAN_EVENT_INFO_TYPE_DFID_NAME:
			name = true;
			VIGIL_FALLTHROUGH;
		case FAN_EVENT_INFO_TYPE_DFID:
			dst = &ev->dfid;
			ev->has_dfid = true;
			break;
		case FAN_EVENT_INFO_TYPE_OLD_DFID_NAME:
			dst = &ev->old_dfid;
			ev->has_old = true;
			name = true;
			break;
		case FAN_EVENT_INFO_TYPE_NEW_DFID_NAME:
			dst = &ev->new_dfid;
			ev->has_new = true;
			name = true;
			break;
		default:
			break; /* pidfd, error, future types: skip */
		}
		if (dst) {
			rc = parse_fid(p, h.len, name, dst);
			if (rc)
				return rc;
		}
		pos += h.len;
	}
	return 1;
}
