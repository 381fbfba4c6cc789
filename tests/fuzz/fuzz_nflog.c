/*
 * fuzz_nflog.c - libFuzzer target for the NFLOG message reader.
 *
 * The input is a datagram as the kernel would send it to the DNS source:
 * netlink messages walked with vigil_nlmsg_ok, each handed to
 * vigil_nflog_parse (ASan catches any read outside the input).  An
 * accepted packet's payload must lie inside its message, and its time,
 * when present, must be a sane realtime value.
 */
#include "config.h"

#include <assert.h>
#include <libmnl/libmnl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/nflog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size, aligned copy: netlink buffers are aligned, and
	 * ASan then flags any byte read past the input. */
	struct nlmsghdr *nlh;
	void *buf;
	int len = (int)size;

	if (size > VIGIL_NFLOG_NLBUFSIZ_MAX)
		return 0;
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	nlh = buf;
	for (; vigil_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		struct vigil_dns_capture_pkt pkt;
		const uint8_t *start = (const uint8_t *)nlh;

		if (vigil_nflog_parse(nlh, &pkt))
			continue;
		assert(pkt.data >= start + MNL_NLMSG_HDRLEN);
		assert(pkt.data + pkt.len <= start + nlh->nlmsg_len);
		assert(pkt.ts_ns >= 0);
	}
	free(buf);
	return 0;
}
