/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_bundle.c - libFuzzer target for SPIFFE bundles: arbitrary bytes as
 * a bundle of example.org; what parses must emit as a SPIFFE bundle that
 * parses back to the same authorities, and as PEM and JWKS.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/limits.h"
#include "identity/identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_bundle b, back;
	struct tg_buf out = TG_BUF_INIT(TG_LIMIT_JSON_VERIFY_DOC);
	struct tg_x509_list pem = {NULL, 0};
	struct tg_diag d;
	size_t i;

	tg_diag_init(&d);
	if (tg_bundle_parse("example.org", (const char *)data, size, &b, &d) != TG_OK) {
		if (d.msg[0] == '\0')
			abort(); /* every rejection says why */
		return 0;
	}
	if (strcmp(b.td, "example.org") != 0)
		abort();
	for (i = 0; i < b.jwt.count; i++)
		if (!tg_key_kid(b.jwt.keys[i]) || tg_key_is_private(b.jwt.keys[i]))
			abort();
	if (tg_bundle_to_spiffe(&b, &out) != TG_OK)
		abort();
	if (tg_bundle_parse("example.org", (const char *)out.data, out.len, &back, &d) != TG_OK)
		abort();
	if (back.x509.count != b.x509.count || back.jwt.count != b.jwt.count ||
	    back.sequence != b.sequence || back.refresh_hint != b.refresh_hint)
		abort();
	for (i = 0; i < b.jwt.count; i++)
		if (!tg_key_equal_public(back.jwt.keys[i], b.jwt.keys[i]) ||
		    strcmp(tg_key_kid(back.jwt.keys[i]), tg_key_kid(b.jwt.keys[i])) != 0)
			abort();
	tg_bundle_release(&back);
	tg_buf_reset(&out);
	if (tg_bundle_to_pem(&b, &out) != TG_OK)
		abort();
	if (b.x509.count) {
		if (tg_x509_list_from_pem((const char *)out.data, out.len, &pem, NULL) != TG_OK ||
		    pem.count != b.x509.count)
			abort();
		tg_x509_list_release(&pem);
	}
	tg_buf_reset(&out);
	if (tg_bundle_to_jwks(&b, &out) != TG_OK)
		abort();
	tg_buf_release(&out);
	tg_bundle_release(&b);
	return 0;
}
