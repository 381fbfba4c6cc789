/*
 * fanotify_parse.h - walks a buffer read from a fanotify group.
 *
 * The buffer is hostile input as far as this parser is concerned: every
 * length is checked against what is left before anything is read, and
 * the file handles and names are returned as views into the buffer.
 */
#ifndef VIGIL_FANOTIFY_PARSE_H
#define VIGIL_FANOTIFY_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/fanotify.h>

/* Constants newer than the oldest headers we build on (RHEL 7); the
 * kernel is probed at run time. */
#ifndef FAN_CREATE
#define FAN_ATTRIB 0x00000004
#define FAN_MOVED_FROM 0x00000040
#define FAN_MOVED_TO 0x00000080
#define FAN_CREATE 0x00000100
#define FAN_DELETE 0x00000200
#endif
#ifndef FAN_MARK_FILESYSTEM
#define FAN_MARK_FILESYSTEM 0x00000100
#endif
#ifndef FAN_REPORT_FID
#define FAN_REPORT_FID 0x00000200
#define FAN_EVENT_INFO_TYPE_FID 1
struct fanotify_event_info_header {
	uint8_t info_type;
	uint8_t pad;
	uint16_t len;
};
struct fanotify_event_info_fid {
	struct fanotify_event_info_header hdr;
	struct {
		int val[2];
	} fsid;
	unsigned char handle[];
};
#endif
#ifndef FAN_REPORT_DIR_FID
#define FAN_REPORT_DIR_FID 0x00000400
#define FAN_REPORT_NAME 0x00000800
#define FAN_REPORT_DFID_NAME (FAN_REPORT_DIR_FID | FAN_REPORT_NAME)
#define FAN_EVENT_INFO_TYPE_DFID_NAME 2
#define FAN_EVENT_INFO_TYPE_DFID 3
#endif
#ifndef FAN_REPORT_TARGET_FID
#define FAN_REPORT_TARGET_FID 0x00001000
#endif
#ifndef FAN_EVENT_INFO_TYPE_OLD_DFID_NAME
#define FAN_EVENT_INFO_TYPE_OLD_DFID_NAME 10
#define FAN_EVENT_INFO_TYPE_NEW_DFID_NAME 12
#endif

/*
 * A file identifier: the filesystem id followed by a struct file_handle,
 * as the kernel lays them out.  key/key_len cover both (fsid, handle_bytes,
 * handle_type, f_handle) and identify the object; handle points at the
 * struct file_handle for open_by_handle_at() (possibly unaligned: copy it
 * before use).  name is set for DFID_NAME records ("." for the directory
 * itself).
 */
struct vigil_fan_fid {
	const unsigned char *key;
	size_t key_len;
	const unsigned char *handle;
	size_t handle_len; /* sizeof(struct file_handle) + handle_bytes */
	uint64_t fsid;
	const char *name; /* NUL-terminated inside the buffer, or NULL */
	size_t name_len;
};

/* One event: the metadata and the info records we use. */
struct vigil_fan_event {
	uint64_t mask;
	int32_t fd;  /* FAN_NOFD with FID reporting */
	int32_t pid;
	bool has_fid;  /* FAN_EVENT_INFO_TYPE_FID: the object */
	bool has_dfid; /* DFID or DFID_NAME: its directory (+ name) */
	bool has_old;  /* FAN_RENAME halves */
	bool has_new;
	struct vigil_fan_fid fid;
	struct vigil_fan_fid dfid;
	struct vigil_fan_fid old_dfid;
	struct vigil_fan_fid new_dfid;
};

/*
 * Reads the event at *off in buf[0..len).  Returns 1 with *ev filled and
 * *off past the event, 0 at the end of the buffer, or -EINVAL for a
 * malformed event: then *off is past it when its length was usable, else
 * at len (the rest of the buffer cannot be trusted).
 */
int vigil_fan_next(const void *buf, size_t len, size_t *off,
		   struct vigil_fan_event *ev);

#endif /* VIGIL_FANOTIFY_PARSE_H */
