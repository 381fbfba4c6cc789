/*
 * test_audit_differential.c - vigil and libauparse decode the same
 * recorded audit logs (the .log files in tests/fixtures/audit, recorded on a real
 * kernel by record-fixtures.sh) and must agree on every exec event:
 * argv byte for byte, cwd, the executable's PATH record and the ids.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <auparse.h>
#include <cmocka.h>
#include <libaudit.h>

#include "audit/audit_event.h"
#include "audit/audit_reasm.h"
#include "util.h"

#define MAX_EVENTS 256

/* One exec event in a canonical text form both decoders produce. */
struct canon {
	uint64_t serial;
	struct vigil_buf text;
};

struct side {
	struct canon ev[MAX_EVENTS];
	unsigned n;
};

static struct side vig, aup;

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return p;
}

static void put_bytes(struct vigil_buf *b, const char *tag, const char *p,
		      size_t n)
{
	vigil_buf_printf(b, "%s[%zu]=", tag, n);
	assert_int_equal(vigil_buf_append(b, p, n), 0);
	assert_int_equal(vigil_buf_putc(b, '\n'), 0);
}

static struct canon *side_add(struct side *s, uint64_t serial)
{
	struct canon *c;

	assert_true(s->n < MAX_EVENTS);
	c = &s->ev[s->n++];
	c->serial = serial;
	vigil_buf_reset(&c->text);
	return c;
}

/* ---- vigil's side ---- */

struct vctx {
	struct vigil_audit_builder b;
	struct vigil_arena arena;
};

static void vigil_emit(void *ctx, const struct vigil_audit_asm_event *ae)
{
	struct vctx *v = ctx;
	struct vigil_event ev;
	struct vigil_process *p = &ev.process;
	struct canon *c;
	uint32_t i;

	vigil_arena_reset(&v->arena);
	vigil_event_init(&ev, &v->arena);
	if (vigil_audit_build(&v->b, ae, &ev) || ev.type != VIGIL_EV_EXEC)
		return;
	c = side_add(&vig, ev.seq);
	vigil_buf_printf(&c->text,
			 "pid=%d ppid=%d uid=%u gid=%u euid=%u egid=%u "
			 "suid=%u sgid=%u fsuid=%u fsgid=%u auid=%u ses=%u\n",
			 p->pid, p->ppid, p->uid, p->gid, p->euid, p->egid,
			 p->suid, p->sgid, p->fsuid, p->fsgid, p->auid,
			 p->session_id);
	put_bytes(&c->text, "comm", p->comm.ptr, p->comm.len);
	put_bytes(&c->text, "cwd", p->cwd.ptr, p->cwd.len);
	vigil_buf_printf(&c->text, "argc=%u\n", p->argv.n);
	for (i = 0; i < p->argv.n; i++)
		put_bytes(&c->text, "arg", p->argv.v[i].ptr, p->argv.v[i].len);
	put_bytes(&c->text, "file", p->file.path.ptr, p->file.path.len);
	vigil_buf_printf(&c->text, "inode=%llu mode=%o ouid=%u ogid=%u\n",
			 (unsigned long long)p->file.inode, p->file.mode,
			 p->file.uid, p->file.gid);
}

static void vigil_decode(const char *text, size_t len)
{
	struct vctx v;
	struct vigil_audit_reasm *r;
	struct vigil_audit_record rec;
	const char *p = text, *end = text + len, *nl;

	assert_int_equal(vigil_audit_builder_init(&v.b, NULL), 0);
	vigil_arena_init(&v.arena, 0);
	r = vigil_audit_reasm_new(0, 0, vigil_emit, &v);
	assert_non_null(r);
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (vigil_audit_record_parse_line(&rec, p, (size_t)(nl - p)))
			continue;
		assert_int_equal(vigil_audit_reasm_push(r, &rec,
					rec.sec * 1000000000LL +
					rec.ms * 1000000LL), 0);
	}
	vigil_audit_reasm_flush(r);
	vigil_audit_reasm_free(r);
	vigil_audit_builder_free(&v.b);
	vigil_arena_free(&v.arena);
}

/* ---- libauparse's side ---- */

static const char *field(auparse_state_t *au, const char *name)
{
	const char *v;

	auparse_first_field(au);
	v = auparse_find_field(au, name);
	return v ? v : "";
}

static unsigned long uval(auparse_state_t *au, const char *name)
{
	return strtoul(field(au, name), NULL, 10);
}

/* Interpreted (decoded) value of the current field, raw bytes. */
static void interp(auparse_state_t *au, struct vigil_buf *out)
{
	const char *v = auparse_interpret_field(au);

	if (v && strcmp(v, "(null)") != 0)
		assert_int_equal(vigil_buf_puts(out, v), 0);
}

/* Arguments as libauparse sees them: aN, or aN[0], aN[1]... joined. */
static void auparse_args(auparse_state_t *au, struct vigil_buf *args,
			 unsigned long *argc)
{
	const char *name;

	auparse_first_field(au);
	do {
		name = auparse_get_field_name(au);
		if (!name)
			continue;
		if (strcmp(name, "argc") == 0) {
			*argc = strtoul(auparse_get_field_str(au), NULL, 10);
			continue;
		}
		if (name[0] != 'a' || strstr(name, "_len"))
			continue;
		if (!strchr(name, '[') || strstr(name, "[0]"))
			assert_int_equal(vigil_buf_putc(args, '\0'), 0);
		/* the arg index is checked against vigil's by content */
		interp(au, args);
	} while (auparse_next_field(au) > 0);
}

static void auparse_decode(const char *text, size_t len)
{
	auparse_state_t *au = auparse_init(AUSOURCE_BUFFER, text);
	struct vigil_buf args = { 0 }, cwd = { 0 }, comm = { 0 },
			 name0 = { 0 }, path = { 0 };
	const au_event_t *e;
	struct canon *c;
	unsigned long argc;
	char syscall_ok;

	(void)len;
	assert_non_null(au);
	auparse_set_escape_mode(au, AUPARSE_ESC_RAW);
	while (auparse_next_event(au) > 0) {
		char ids[512] = "";
		char pathinfo[128] = "";
		size_t i, start, n = 0;

		vigil_buf_reset(&args);
		vigil_buf_reset(&cwd);
		vigil_buf_reset(&comm);
		vigil_buf_reset(&name0);
		argc = 0;
		syscall_ok = 0;
		do {
			int type = auparse_get_type(au);

			if (type == AUDIT_SYSCALL) {
				const char *sc = field(au, "syscall");

				syscall_ok = strcmp(sc, "59") == 0 ||
					     strcmp(sc, "322") == 0;
				snprintf(ids, sizeof(ids),
					 "pid=%lu ppid=%lu uid=%lu gid=%lu "
					 "euid=%lu egid=%lu suid=%lu sgid=%lu "
					 "fsuid=%lu fsgid=%lu auid=%lu "
					 "ses=%lu\n",
					 uval(au, "pid"), uval(au, "ppid"),
					 uval(au, "uid"), uval(au, "gid"),
					 uval(au, "euid"), uval(au, "egid"),
					 uval(au, "suid"), uval(au, "sgid"),
					 uval(au, "fsuid"), uval(au, "fsgid"),
					 uval(au, "auid"), uval(au, "ses"));
				auparse_first_field(au);
				if (auparse_find_field(au, "comm"))
					interp(au, &comm);
			} else if (type == AUDIT_EXECVE) {
				auparse_args(au, &args, &argc);
			} else if (type == AUDIT_CWD) {
				auparse_first_field(au);
				if (auparse_find_field(au, "cwd"))
					interp(au, &cwd);
			} else if (type == AUDIT_PATH &&
				   strcmp(field(au, "item"), "0") == 0) {
				auparse_first_field(au);
				if (auparse_find_field(au, "name"))
					interp(au, &name0);
				snprintf(pathinfo, sizeof(pathinfo),
					 "inode=%lu mode=%lo ouid=%lu ogid=%lu\n",
					 uval(au, "inode"),
					 strtoul(field(au, "mode"), NULL, 8),
					 uval(au, "ouid"), uval(au, "ogid"));
			}
		} while (auparse_next_record(au) > 0);
		if (!syscall_ok)
			continue;
		e = auparse_get_timestamp(au);
		c = side_add(&aup, e->serial);
		vigil_buf_printf(&c->text, "%s", ids);
		put_bytes(&c->text, "comm", comm.data, comm.len);
		put_bytes(&c->text, "cwd", cwd.data, cwd.len);
		vigil_buf_printf(&c->text, "argc=%lu\n", argc);
		/* args holds "\0a0\0a1..."; empty args missing from the
		 * record are empty strings up to argc */
		for (i = 1, start = 1; i <= args.len; i++) {
			if (i == args.len || args.data[i] == '\0') {
				put_bytes(&c->text, "arg", args.data + start,
					  i - start);
				start = i + 1;
				n++;
			}
		}
		for (; n < argc; n++)
			put_bytes(&c->text, "arg", "", 0);
		/* The executable: PATH item 0, made absolute on the cwd. */
		vigil_buf_reset(&path);
		if (name0.len && name0.data[0] != '/') {
			const char *nm = name0.data;
			size_t nl = name0.len;

			while (nl >= 2 && nm[0] == '.' && nm[1] == '/') {
				nm += 2;
				nl -= 2;
			}
			assert_int_equal(vigil_buf_append(&path, cwd.data,
							  cwd.len), 0);
			if (!cwd.len || cwd.data[cwd.len - 1] != '/')
				assert_int_equal(vigil_buf_putc(&path, '/'), 0);
			assert_int_equal(vigil_buf_append(&path, nm, nl), 0);
		} else {
			assert_int_equal(vigil_buf_append(&path, name0.data,
							  name0.len), 0);
		}
		put_bytes(&c->text, "file", path.data, path.len);
		vigil_buf_printf(&c->text, "%s", pathinfo);
	}
	auparse_destroy(au);
	vigil_buf_free(&args);
	vigil_buf_free(&cwd);
	vigil_buf_free(&comm);
	vigil_buf_free(&name0);
	vigil_buf_free(&path);
}

static void side_free(struct side *s)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		vigil_buf_free(&s->ev[i].text);
	s->n = 0;
}

/* True when some vigil event's canonical text contains needle. */
static bool vigil_has(const char *needle, size_t n)
{
	unsigned i;

	for (i = 0; i < vig.n; i++)
		if (memmem(vig.ev[i].text.data, vig.ev[i].text.len, needle, n))
			return true;
	return false;
}

#define VIGIL_HAS(lit) vigil_has(lit, sizeof(lit) - 1)

static void differ(const char *name, unsigned min_events,
		   void (*check)(void))
{
	char path[4096];
	size_t len;
	char *text;
	unsigned i;

	snprintf(path, sizeof(path), "%s/%s", AUDIT_FIXTURES, name);
	text = slurp(path, &len);
	vigil_decode(text, len);
	auparse_decode(text, len);
	assert_true(vig.n >= min_events);
	assert_int_equal(vig.n, aup.n);
	for (i = 0; i < vig.n; i++) {
		assert_int_equal(vig.ev[i].serial, aup.ev[i].serial);
		if (vig.ev[i].text.len != aup.ev[i].text.len ||
		    memcmp(vig.ev[i].text.data, aup.ev[i].text.data,
			   vig.ev[i].text.len) != 0) {
			fprintf(stderr, "serial %llu differs\nvigil:\n%.2000s\n"
					"auparse:\n%.2000s\n",
				(unsigned long long)vig.ev[i].serial,
				vigil_buf_cstr(&vig.ev[i].text),
				vigil_buf_cstr(&aup.ev[i].text));
			fail();
		}
	}
	if (check)
		check();
	side_free(&vig);
	side_free(&aup);
	free(text);
}

/* What the hostile log must decode to, independently of auparse. */
static void check_hostile(void)
{
	assert_true(VIGIL_HAS("arg[9]=two words\n"));
	assert_true(VIGIL_HAS("arg[12]=double\"quote\n"));
	assert_true(VIGIL_HAS("arg[8]=new\nline\n"));
	assert_true(VIGIL_HAS("arg[14]=\xff\xfe non-utf8 \xc3\x28\n"));
	assert_true(VIGIL_HAS("arg[0]=\narg[0]=\narg[20]=last-after"));
	assert_true(VIGIL_HAS("argc=301\n"));
	assert_true(VIGIL_HAS("arg[3]=300\n"));
	assert_true(VIGIL_HAS("arg[20000]=xxxxxxxx"));
	assert_true(VIGIL_HAS("arg[100000]=yyyy"));
	assert_true(VIGIL_HAS("arg[11]=--flag=\x01" "ctl\n"));
	assert_true(VIGIL_HAS("/dir with space/my true\ninode="));
}

static void test_audit_matches_auparse_on_hostile_execve_log(void **state)
{
	(void)state;
	/* 14 execs: quotes, spaces, newlines, non-UTF-8, empty args, a
	 * 20 kB argument of 'x' and one of spaces, 300 args, a 100 kB one
	 * over 27 records, a relative exe with a space, a script. */
	differ("execve-hostile.log", 14, check_hostile);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_matches_auparse_on_hostile_execve_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
