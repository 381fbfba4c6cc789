/*
 * dns_parse.c - DNS wire-format parser (see dns_parse.h).
 *
 * Everything read from the message is bounds-checked against its length
 * before use.  Names are decoded with three guards against hostile
 * compression: a pointer must point strictly before the start of the name
 * segment being read (so every jump makes progress towards offset 0 and no
 * cycle is possible), the number of pointers per name is bounded, and the
 * uncompressed wire length may not exceed NS_MAXCDNAME.  Text is produced
 * into fixed stack buffers and copied into the event arena, so parsing
 * allocates nothing outside the arena.
 */
#include "config.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "dns/dns_parse.h"

/* Bits of the second header word (RFC 1035 4.1.1). */
#define DNS_FLAG_QR 0x8000u
#define DNS_FLAG_TC 0x0200u
#define DNS_RCODE_MASK 0x000fu
/* EDNS0 (RFC 6891 6.1.3): the OPT TTL's top byte extends RCODE above
 * its four header bits. */
#define DNS_EDNS_RCODE_SHIFT 24
#define DNS_RCODE_BITS 4
/* Label types in the top two bits of a length octet. */
#define DNS_LABEL_NORMAL 0x00
/* Octets a name costs at least (the root label). */
#define DNS_MIN_NAME 1
/* Presentation of a wire byte as \DDD. */
#define DNS_ESCAPED_LEN 4
/* Decimal digits of a uint32_t. */
#define DNS_U32_DIGITS 10

static const char *const reason_names[VIGIL_DNS_R__COUNT] = {
	[VIGIL_DNS_R_OTHER] = "other",
	[VIGIL_DNS_R_TRUNCATED] = "truncated",
	[VIGIL_DNS_R_BAD_COUNT] = "bad_count",
	[VIGIL_DNS_R_BAD_LABEL] = "bad_label",
	[VIGIL_DNS_R_POINTER_FORWARD] = "pointer_forward",
	[VIGIL_DNS_R_COMPRESSION_LOOP] = "compression_loop",
	[VIGIL_DNS_R_POINTER_CHAIN] = "pointer_chain",
	[VIGIL_DNS_R_NAME_TOO_LONG] = "name_too_long",
	[VIGIL_DNS_R_BAD_RDATA] = "bad_rdata",
	[VIGIL_DNS_R_BAD_OPT] = "bad_opt",
	[VIGIL_DNS_R_TRAILING_DATA] = "trailing_data",
	[VIGIL_DNS_R_TCP_PARTIAL] = "tcp_partial",
};

enum vigil_dns_reason vigil_dns_reason(int rc)
{
	int r = -rc - VIGIL_DNS_EBASE;

	if (rc >= 0 || r <= VIGIL_DNS_R_OTHER || r >= VIGIL_DNS_R__COUNT)
		return VIGIL_DNS_R_OTHER;
	return (enum vigil_dns_reason)r;
}

const char *vigil_dns_reason_name(enum vigil_dns_reason r)
{
	if ((unsigned)r >= VIGIL_DNS_R__COUNT)
		r = VIGIL_DNS_R_OTHER;
	return reason_names[r];
}

static const struct {
	uint16_t type;
	const char *name;
} type_names[] = {
	{ ns_t_a, "A" },	   { ns_t_ns, "NS" },	      { ns_t_cname, "CNAME" },
	{ ns_t_soa, "SOA" },	   { ns_t_ptr, "PTR" },	      { ns_t_hinfo, "HINFO" },
	{ ns_t_mx, "MX" },	   { ns_t_txt, "TXT" },	      { ns_t_aaaa, "AAAA" },
	{ ns_t_srv, "SRV" },	   { ns_t_naptr, "NAPTR" },   { ns_t_opt, "OPT" },
	{ ns_t_ds, "DS" },	   { ns_t_rrsig, "RRSIG" },   { ns_t_nsec, "NSEC" },
	{ ns_t_dnskey, "DNSKEY" }, { ns_t_nsec3, "NSEC3" },   { ns_t_tlsa, "TLSA" },
	{ ns_t_caa, "CAA" },	   { ns_t_axfr, "AXFR" },     { ns_t_ixfr, "IXFR" },
	{ ns_t_any, "ANY" },	   { ns_t_sshfp, "SSHFP" },
};

const char *vigil_dns_type_name(uint16_t type)
{
	size_t i;

	/* The common ones first, without walking the table: every answer
	 * record asks. */
	switch (type) {
	case ns_t_a:
		return "A";
	case ns_t_aaaa:
		return "AAAA";
	case ns_t_cname:
		return "CNAME";
	default:
		break;
	}
	for (i = 0; i < VIGIL_ARRAY_SIZE(type_names); i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	return NULL;
}

/*
 * A bounded text being built.  When it is full, further output is dropped
 * and cut is set; the user marks the cut.  Never NUL-terminated: the arena
 * copy adds the NUL.
 */
struct text {
	char *p;
	size_t len;
	size_t cap;
	bool cut;
};

static void text_put(struct text *t, const char *s, size_t n)
{
	if (!t || !n)
		return;
	if (n > t->cap - t->len) {
		n = t->cap - t->len;
		t->cut = true;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
}

static void text_putc(struct text *t, char c)
{
	text_put(t, &c, 1);
}

/* Writes v in decimal (the hot path formats numbers without printf). */
static void text_u32(struct text *t, uint32_t v)
{
	char tmp[DNS_U32_DIGITS];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	text_put(t, tmp + i, sizeof(tmp) - i);
}

/* How a byte is written (dig's presentation): as is, after a backslash,
 * or as \DDD.  Names escape ".\\\"();", TXT strings "\"\\"; both escape
 * what is not printable ASCII, but a TXT string keeps its spaces. */
enum esc_class { ESC_PLAIN = 0, ESC_BACKSLASH, ESC_DECIMAL };
enum esc_set { ESC_NAME, ESC_TXT };

static enum esc_class esc_class(uint8_t c, enum esc_set set)
{
	if (c == ' ' && set == ESC_TXT)
		return ESC_PLAIN; /* inside quotes */
	if (c <= ' ' || c >= 0x7f)
		return ESC_DECIMAL;
	if (c == '"' || c == '\\')
		return ESC_BACKSLASH;
	if (set == ESC_NAME && (c == '.' || c == '(' || c == ')' || c == ';'))
		return ESC_BACKSLASH;
	return ESC_PLAIN;
}

/*
 * The same classes as a table built at compile time, one bit per use, for
 * the loop that finds runs of bytes to copy as they are: a name kept as
 * is, a name being lower-cased (capitals are not plain then), a TXT
 * string.
 */
#define PLAIN_NAME 0x1
#define PLAIN_NAME_LOWER 0x2
#define PLAIN_TXT 0x4
#define C_PRINT(c) ((c) > ' ' && (c) < 0x7f)
#define C_UPPER(c) ((c) >= 'A' && (c) <= 'Z')
#define C_NAME_SPECIAL(c)                                                      \
	((c) == '.' || (c) == '\\' || (c) == '"' || (c) == '(' ||            \
	 (c) == ')' || (c) == ';')
#define C_TXT_SPECIAL(c) ((c) == '"' || (c) == '\\')
#define C_CLASS(c)                                                             \
	((C_PRINT(c) && !C_NAME_SPECIAL(c) ? PLAIN_NAME : 0) |                 \
	 (C_PRINT(c) && !C_NAME_SPECIAL(c) && !C_UPPER(c) ?                    \
		  PLAIN_NAME_LOWER : 0) |                                      \
	 ((C_PRINT(c) || (c) == ' ') && !C_TXT_SPECIAL(c) ? PLAIN_TXT : 0))
#define C_ROW(b)                                                               \
	C_CLASS(b), C_CLASS(b + 1), C_CLASS(b + 2), C_CLASS(b + 3),            \
	C_CLASS(b + 4), C_CLASS(b + 5), C_CLASS(b + 6), C_CLASS(b + 7),        \
	C_CLASS(b + 8), C_CLASS(b + 9), C_CLASS(b + 10), C_CLASS(b + 11),      \
	C_CLASS(b + 12), C_CLASS(b + 13), C_CLASS(b + 14), C_CLASS(b + 15)
static const uint8_t plain_bytes[UINT8_MAX + 1] = {
	C_ROW(0x00), C_ROW(0x10), C_ROW(0x20), C_ROW(0x30),
	C_ROW(0x40), C_ROW(0x50), C_ROW(0x60), C_ROW(0x70),
	C_ROW(0x80), C_ROW(0x90), C_ROW(0xa0), C_ROW(0xb0),
	C_ROW(0xc0), C_ROW(0xd0), C_ROW(0xe0), C_ROW(0xf0),
};

/* Writes a byte as dig does: printable ASCII as is (special ones
 * backslash-escaped), anything else as \DDD. */
static void text_escaped(struct text *t, uint8_t c, enum esc_set set)
{
	char esc[DNS_ESCAPED_LEN];

	switch (esc_class(c, set)) {
	case ESC_PLAIN:
		text_putc(t, (char)c);
		return;
	case ESC_BACKSLASH:
		esc[0] = '\\';
		esc[1] = (char)c;
		text_put(t, esc, 2);
		return;
	default:
		esc[0] = '\\';
		esc[1] = (char)('0' + c / 100);
		esc[2] = (char)('0' + c / 10 % 10);
		esc[3] = (char)('0' + c % 10);
		text_put(t, esc, DNS_ESCAPED_LEN);
	}
}

/*
 * Writes n bytes of p escaped for set, lower-casing ASCII letters when
 * lower is set.  Runs of bytes that need nothing are copied at once:
 * almost every name is letters, digits and hyphens.
 */
static void text_escaped_run(struct text *t, const uint8_t *p, size_t n,
			     enum esc_set set, bool lower)
{
	uint8_t mask = set == ESC_TXT ? PLAIN_TXT :
		       lower ? PLAIN_NAME_LOWER : PLAIN_NAME;
	size_t i = 0;

	while (i < n) {
		size_t start = i;

		while (i < n && (plain_bytes[p[i]] & mask))
			i++;
		text_put(t, (const char *)p + start, i - start);
		if (i == n)
			break;
		if (lower && p[i] >= 'A' && p[i] <= 'Z')
			text_putc(t, (char)(p[i] - 'A' + 'a'));
		else
			text_escaped(t, p[i], set);
		i++;
	}
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/*
 * Reads the (possibly compressed) name at *off in msg[0..len).  Appends
 * its presentation form to t when t is not NULL ("." for the root, no final
 * dot otherwise), lower-casing ASCII letters when lower is set.  On success
 * moves *off past the name as stored at *off and returns 0; otherwise
 * returns VIGIL_DNS_ERR(reason).
 */
static int read_name(const uint8_t *msg, size_t len, size_t *off,
		     struct text *t, bool lower)
{
	size_t pos = *off;
	size_t seg_start = pos; /* where the current run of labels began */
	size_t after = 0;       /* end of the name at *off, once known */
	size_t wire = 0;
	size_t start_len = t ? t->len : 0;
	unsigned int pointers = 0;
	bool first = true;

	for (;;) {
		uint8_t c;
		size_t target;

		if (pos >= len)
			return VIGIL_DNS_ERR(VIGIL_DNS_R_TRUNCATED);
		c = msg[pos];
		switch (c & NS_CMPRSFLGS) {
		case DNS_LABEL_NORMAL:
			wire += (size_t)c + 1;
			if (wire > NS_MAXCDNAME)
				return VIGIL_DNS_ERR(VIGIL_DNS_R_NAME_TOO_LONG);
			if (c == 0) {
				if (!after)
					after = pos + 1;
				goto done;
			}
			if (len - pos - 1 < c)
				return VIGIL_DNS_ERR(VIGIL_DNS_R_TRUNCATED);
			if (!first)
				text_putc(t, '.');
			first = false;
			if (t)
				text_escaped_run(t, msg + pos + 1, c, ESC_NAME,
						 lower);
			pos += (size_t)c + 1;
			break;
		case NS_CMPRSFLGS:
			if (len - pos < NS_INT16SZ)
				return VIGIL_DNS_ERR(VIGIL_DNS_R_TRUNCATED);
			target = rd16(msg + pos) & ~(NS_CMPRSFLGS << 8);
			if (target >= seg_start)
				return VIGIL_DNS_ERR(
					target <= pos ?
						VIGIL_DNS_R_COMPRESSION_LOOP :
						VIGIL_DNS_R_POINTER_FORWARD);
			if (++pointers > VIGIL_DNS_MAX_POINTERS)
				return VIGIL_DNS_ERR(VIGIL_DNS_R_POINTER_CHAIN);
			if (!after)
				after = pos + NS_INT16SZ;
			pos = seg_start = target;
			break;
		default:
			return VIGIL_DNS_ERR(VIGIL_DNS_R_BAD_LABEL);
		}
	}
done:
	if (t && t->len == start_len)
		text_putc(t, '.');
	*off = after;
	return 0;
}

/* Reads a name that must end exactly at rdata end `end`. */
static int rdata_name(const uint8_t *msg, size_t end, size_t *off,
		      struct text *t)
{
	int rc;

	/* Compression pointers may reach anywhere before, but the name's
	 * own bytes must lie within the rdata: parse against end. */
	rc = read_name(msg, end, off, t, false);
	if (rc == VIGIL_DNS_ERR(VIGIL_DNS_R_TRUNCATED))
		return VIGIL_DNS_ERR(VIGIL_DNS_R_BAD_RDATA);
	return rc;
}

/* Writes a TXT character-string, quoted and escaped. */
static void text_quoted(struct text *t, const uint8_t *p, size_t n)
{
	text_putc(t, '"');
	text_escaped_run(t, p, n, ESC_TXT, false);
	text_putc(t, '"');
}

/*
 * Checks the rdata of one record at msg[off..off+rdlen) and, when t is not
 * NULL, writes "TYPE data" into it.  Unknown types are skipped after their
 * length (RFC 3597) and shown as "TYPEn \# rdlen".  Returns 0 or
 * VIGIL_DNS_ERR(reason).
 */
static int read_rdata(const uint8_t *msg, size_t off, uint16_t rdlen,
		      uint16_t type, struct text *t)
{
	const size_t end = off + rdlen;
	const char *name = vigil_dns_type_name(type);
	char addr[INET6_ADDRSTRLEN];
	size_t pos = off, i;
	int rc;

	if (name) {
		text_put(t, name, strlen(name));
	} else {
		text_put(t, "TYPE", strlen("TYPE"));
		text_u32(t, type);
	}

	switch (type) {
	case ns_t_a:
	case ns_t_aaaa:
		if (rdlen != (type == ns_t_a ? NS_INADDRSZ : NS_IN6ADDRSZ))
			return VIGIL_DNS_ERR(VIGIL_DNS_R_BAD_RDATA);
		if (!t)
			return 0;
		text_putc(t, ' ');
		if (type == ns_t_a) {
			/* Dotted quad by hand: inet_ntop goes through
			 * printf. */
			for (i = 0; i < NS_INADDRSZ; i++) {
				if (i)
					text_putc(t, '.');
				text_u32(t, msg[off + i]);
			}
			return 0;
		}
		inet_ntop(AF_INET6, msg + off, addr, sizeof(addr));
		text_put(t, addr, strlen(addr));
		return 0;
	case ns_t_cname:
	case ns_t_ns:
	case ns_t_ptr:
		text_putc(t, ' ');
		rc = rdata_name(msg, end, &pos, t);
		break;
	case ns_t_mx:
		if (rdlen < NS_INT16SZ + DNS_MIN_NAME)
			return VIGIL_DNS_ERR(VIGIL_DNS_R_BAD_RDATA);
		text_putc(t, ' ');
		text_u32(t, rd16(msg + pos));
		text_putc(t, ' ');
		pos += NS_INT16SZ;
		rc = rdata_name(msg, end, &pos, t);
		break;
	case ns_t_srv:
		if (rdlen < 3 * NS_INT16SZ + DNS_MIN_NAME)
			return VIGIL_DNS_ERR(VIGIL_DNS_R_BAD_RDATA);
		for (i = 0; i < 3; i++) {
			text_putc(t, ' ');
			text_u32(t, rd16(msg + pos + i * NS_INT16SZ));
		}
		text_putc(t, ' ');
		pos += 3 * NS_INT16SZ;
		rc = rdata_name(msg, end, &pos, t);
		break;
	case ns_t_soa:
		text_putc(t, ' ');
		rc = rdata_name(msg, end, &pos, t); /* MNAME */
		if (rc)
			return rc;
		text_putc(t, ' ');
		rc = rdata_name(msg, end, &pos, t); /* RNAME */
		if (rc)
			return rc;
		/* SERIAL REFRESH RETRY EXPIRE MINIMUM */
		if (end - pos != 5 * NS_INT32SZ)
			return VIGIL_DNS_ERR(VIGIL_DNS_R_BAD_RDATA);
		for (i = 0; i < 5; i++) {
			text_putc(t, ' ');
			text_u32(t, rd32(msg + pos + i * NS_INT32SZ));
		}
		return 0;
	case ns_t_txt:
		/* One or more <character-string>s filling the rdata. */
		if (rdlen == 0)
			return VIGIL_DNS_ERR(VIGIL_DNS_R_BAD_RDATA);
		while (pos < end) {
			size_t n = msg[pos++];

			if (n > end - pos)
				return VIGIL_DNS_ERR(VIGIL_DNS_R_BAD_RDATA);
			text_putc(t, ' ');
			text_quoted(t, msg + pos, n);
			pos += n;
		}
		return 0;
	default:
		text_put(t, " \\# ", strlen(" \\# "));
		text_u32(t, rdlen);
		return 0;
	}
	if (rc)
		return rc;
	return pos == end ? 0 : VIGIL_DNS_ERR(VIGIL_DNS_R_BAD_RDATA);
}

/*
 * Checks an EDNS0 OPT pseudo-record (RFC 6891 6.1.2): owner must be the
 * root, options (code, length, data) must fill the rdata exactly.
 */
static int check_opt(const uint8_t *msg, size_t owner, size_t off,
		     uint16_t rdlen)
{
	size_t pos = off, end = off + rdlen;

	if (msg[owner] != 0)
		return VIGIL_DNS_ERR(VIGIL_DNS_R_BAD_OPT);
	while (pos < end) {
		uint16_t optlen;

		if (end - pos < 2 * NS_INT16SZ)
			return VIGIL_DNS_ERR(VIGIL_DNS_R_BAD_OPT);
		optlen = rd16(msg + pos + NS_INT16SZ);
		pos += 2 * NS_INT16SZ;
		if (optlen > end - pos)
			return VIGIL_DNS_ERR(VIGIL_DNS_R_BAD_OPT);
		pos += optlen;
	}
	return 0;
}

enum section { SEC_ANSWER, SEC_AUTHORITY, SEC_ADDITIONAL };

/* State of one vigil_dns_parse() call. */
struct parse {
	const uint8_t *msg;
	size_t len;
	size_t off;
	struct vigil_arena *arena;
	struct vigil_dns_part *out;
	uint32_t kept; /* answer strings stored */
	bool seen_opt;
};

/* Reads `count` resource records of section sec. */
static int read_section(struct parse *ps, uint16_t count, enum section sec)
{
	char buf[VIGIL_DNS_MAX_TEXT];
	uint16_t i;
	int rc;

	for (i = 0; i < count; i++) {
		struct text t = { buf, 0, sizeof(buf), false };
		bool keep = sec == SEC_ANSWER &&
			    ps->kept < VIGIL_DNS_MAX_ANSWERS;
		size_t owner = ps->off;
		uint16_t type, rdlen;
		uint32_t ttl;

		rc = read_name(ps->msg, ps->len, &ps->off, NULL, false);
		if (rc)
			return rc;
		if (ps->len - ps->off < NS_RRFIXEDSZ)
			return VIGIL_DNS_ERR(VIGIL_DNS_R_TRUNCATED);
		type = rd16(ps->msg + ps->off);
		/* class at +2 is only meaningful for OPT (payload size) */
		ttl = rd32(ps->msg + ps->off + 2 * NS_INT16SZ);
		rdlen = rd16(ps->msg + ps->off + 2 * NS_INT16SZ + NS_INT32SZ);
		ps->off += NS_RRFIXEDSZ;
		if (rdlen > ps->len - ps->off)
			return VIGIL_DNS_ERR(VIGIL_DNS_R_TRUNCATED);

		if (type == ns_t_opt) {
			unsigned int ext;

			if (sec != SEC_ADDITIONAL || ps->seen_opt)
				return VIGIL_DNS_ERR(VIGIL_DNS_R_BAD_OPT);
			ps->seen_opt = true;
			rc = check_opt(ps->msg, owner, ps->off, rdlen);
			if (rc)
				return rc;
			ext = (ttl >> DNS_EDNS_RCODE_SHIFT) << DNS_RCODE_BITS |
			      ps->out->rcode;
			if (ext <= UINT8_MAX)
				ps->out->rcode = (uint8_t)ext;
		} else {
			rc = read_rdata(ps->msg, ps->off, rdlen, type,
					keep ? &t : NULL);
			if (rc)
				return rc;
		}
		ps->off += rdlen;
		if (!keep)
			continue;
		if (t.cut) {
			t.len = t.len > 3 ? t.len - 3 : t.len;
			memcpy(t.p + t.len, "...", 3);
			t.len += 3;
		}
		rc = vigil_arena_str(ps->arena, &ps->out->answers.v[ps->kept],
				     t.p, t.len);
		if (rc)
			return rc;
		ps->kept++;
		ps->out->answers.n = ps->kept;
	}
	return 0;
}

int vigil_dns_parse(const uint8_t *msg, size_t len, struct vigil_arena *arena,
		    struct vigil_dns_part *out)
{
	char qname[VIGIL_DNS_MAX_TEXT];
	struct parse ps = { msg, len, NS_HFIXEDSZ, arena, out, 0, false };
	uint16_t flags, qd, an, ns, ar, i;
	size_t need;
	int rc;

	out->qname.ptr = "";
	out->qname.len = 0;
	out->answers.v = NULL;
	out->answers.n = 0;
	out->qtype = out->qclass = 0;
	if (len < NS_HFIXEDSZ)
		return VIGIL_DNS_ERR(VIGIL_DNS_R_TRUNCATED);

	out->id = rd16(msg);
	flags = rd16(msg + NS_INT16SZ);
	qd = rd16(msg + 2 * NS_INT16SZ);
	an = rd16(msg + 3 * NS_INT16SZ);
	ns = rd16(msg + 4 * NS_INT16SZ);
	ar = rd16(msg + 5 * NS_INT16SZ);
	out->direction = flags & DNS_FLAG_QR ? VIGIL_DNS_RESPONSE :
					       VIGIL_DNS_QUERY;
	out->truncated = !!(flags & DNS_FLAG_TC);
	out->rcode = flags & DNS_RCODE_MASK;
	out->question_count = qd;
	out->answer_count = an;

	/* Every question takes at least 5 octets and every record 11: refuse
	 * counts the message cannot hold before allocating for them. */
	need = (size_t)qd * (DNS_MIN_NAME + NS_QFIXEDSZ) +
	       ((size_t)an + ns + ar) * (DNS_MIN_NAME + NS_RRFIXEDSZ);
	if (need > len - NS_HFIXEDSZ)
		return VIGIL_DNS_ERR(VIGIL_DNS_R_BAD_COUNT);

	for (i = 0; i < qd; i++) {
		struct text t = { qname, 0, sizeof(qname), false };

		rc = read_name(msg, len, &ps.off, i == 0 ? &t : NULL, true);
		if (rc)
			return rc;
		if (len - ps.off < NS_QFIXEDSZ)
			return VIGIL_DNS_ERR(VIGIL_DNS_R_TRUNCATED);
		if (i == 0) {
			out->qtype = rd16(msg + ps.off);
			out->qclass = rd16(msg + ps.off + NS_INT16SZ);
			/* "." names the root; the field wants no final
			 * dot but an empty name would read as "none". */
			rc = vigil_arena_str(arena, &out->qname, t.p, t.len);
			if (rc)
				return rc;
		}
		ps.off += NS_QFIXEDSZ;
	}

	if (an) {
		size_t n = an < VIGIL_DNS_MAX_ANSWERS ? an :
							VIGIL_DNS_MAX_ANSWERS;

		out->answers.v = vigil_arena_alloc(arena,
						   n * sizeof(*out->answers.v));
		if (!out->answers.v)
			return -ENOMEM;
	}
	rc = read_section(&ps, an, SEC_ANSWER);
	if (!rc)
		rc = read_section(&ps, ns, SEC_AUTHORITY);
	if (!rc)
		rc = read_section(&ps, ar, SEC_ADDITIONAL);
	if (rc)
		return rc;
	if (ps.off != len)
		return VIGIL_DNS_ERR(VIGIL_DNS_R_TRAILING_DATA);
	return 0;
}

int vigil_dns_tcp_next(const uint8_t *payload, size_t len, size_t *off,
		       const uint8_t **msg, size_t *msg_len)
{
	size_t n;

	if (*off >= len)
		return 0;
	if (len - *off < NS_INT16SZ)
		return VIGIL_DNS_ERR(VIGIL_DNS_R_TCP_PARTIAL);
	n = rd16(payload + *off);
	if (n > len - *off - NS_INT16SZ)
		return VIGIL_DNS_ERR(VIGIL_DNS_R_TCP_PARTIAL);
	*msg = payload + *off + NS_INT16SZ;
	*msg_len = n;
	*off += NS_INT16SZ + n;
	return 1;
}
