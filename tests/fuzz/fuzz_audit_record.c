/*
 * fuzz_audit_record.c - libFuzzer target: one record in either form
 * (the first byte picks log line or netlink), its fields, and every value
 * decoded as string, decimal and hex.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vigil_audit_field fields[256];
	struct vigil_audit_record rec;
	char out[512];
	uint64_t u;
	int64_t d;
	uint32_t i, id;
	size_t n;
	int r;

	if (size < 1)
		return 0;
	if (data[0] & 1)
		r = vigil_audit_record_parse_line(&rec, (const char *)data + 1,
						  size - 1);
	else
		r = vigil_audit_record_parse_netlink(&rec, 1300,
						     (const char *)data + 1,
						     size - 1);
	if (r)
		return 0;
	vigil_audit_record_fields(&rec, fields, 256);
	for (i = 0; i < rec.n_fields; i++) {
		vigil_audit_value_decode(&rec, &fields[i], out, sizeof(out),
					 &n);
		vigil_audit_field_dec(&rec, &fields[i], &d);
		vigil_audit_field_hex(&rec, &fields[i], &u);
	}
	vigil_audit_get_id(&rec, "auid", &id);
	return 0;
}
