/*
 * codec.h - events to and from JSON and msgpack.
 *
 * All four directions walk the schema (schema.c), so the encoded form is
 * always a map nested by field name: {"event":{"type":"exec",...},
 * "process":{"pid":42,...}}.  A signal adds a top-level "signal" map.
 *
 * JSON: one object per line.  Strings are escaped per RFC 8259; bytes that
 * are not valid UTF-8 are written as \udc80..\udcff (the "surrogateescape"
 * convention), so a reader can restore the exact bytes (argv is binary).
 * msgpack: strings that are valid UTF-8 are str, others bin; times and
 * durations are integers in ns; IP addresses are strings.
 */
#ifndef VIGIL_CODEC_H
#define VIGIL_CODEC_H

#include <stddef.h>

#include <vigil/event.h>
#include <vigil/plugin.h>

#include "node.h"

/* Append ev (and sig if not NULL) to out.  JSON ends with '\n'. */
int vigil_encode_json(const struct vigil_event *ev,
		      const struct vigil_signal *sig, struct vigil_buf *out)
	__attribute__((warn_unused_result));
int vigil_encode_msgpack(const struct vigil_event *ev,
			 const struct vigil_signal *sig, struct vigil_buf *out)
	__attribute__((warn_unused_result));

/* Appends s as a JSON string literal (with quotes). */
int vigil_json_str(struct vigil_buf *out, const char *s, size_t len)
	__attribute__((warn_unused_result));

/* A signal decoded from msgpack or a document: strings in the arena. */
struct vigil_signal_store {
	struct vigil_signal sig;
	const char *tags[64];
	int present;
};

/*
 * Decode one event from a document node (a map as written by the JSON
 * encoder, or YAML in a rule test).  ev must have been vigil_event_init()ed
 * with an arena; strings are copied into it.  Unknown fields are errors
 * ("file:line:col: unknown field 'process.pidd'").  Returns 0 or -EINVAL
 * with the reason in err.  A "signal" member, if any, goes to sig (may be
 * NULL to ignore it).
 */
int vigil_event_from_node(const struct vigil_node *n, struct vigil_event *ev,
			  struct vigil_buf *err)
	__attribute__((warn_unused_result));
int vigil_event_from_node_sig(const struct vigil_node *n,
			      struct vigil_event *ev,
			      struct vigil_signal_store *sig,
			      struct vigil_buf *err)
	__attribute__((warn_unused_result));

/*
 * Decode one msgpack map from data[0..len).  On success sets *used to the
 * bytes consumed.  Returns 0, -EAGAIN when data holds only part of an
 * object (read more), or -EINVAL with the reason in err.  Unknown keys are
 * skipped (newer writers), wrong types are errors.
 */
int vigil_decode_msgpack(const char *data, size_t len, size_t *used,
			 struct vigil_event *ev, struct vigil_signal_store *sig,
			 struct vigil_buf *err)
	__attribute__((warn_unused_result));

#endif /* VIGIL_CODEC_H */
