/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_sigstore.c - Sigstore bundle and trusted-root parsing, and the
 * verification of a parsed bundle against a fixed trusted root (the DER,
 * JSON, checkpoint and SCT parsers reached from there): never crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sign/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tg_sign_trustroot fixed;
	static int loaded = -1;
	struct tg_sign_bundle b;
	struct tg_sign_trustroot t;
	struct tg_sign_policy pol;
	struct tg_sign_artifact art;
	struct tg_sign_result res;

	if (loaded < 0) {
		/* $TG_FUZZ_TRUSTED_ROOT: a trusted root to verify bundles against */
		const char *p = getenv("TG_FUZZ_TRUSTED_ROOT");
		loaded = p && tg_sign_trustroot_load(p, &fixed, NULL) == TG_OK;
	}
	if (tg_sign_trustroot_parse((const char *)data, size, &t, NULL) == TG_OK)
		tg_sign_trustroot_release(&t);
	if (tg_sign_bundle_parse((const char *)data, size, &b, NULL) == TG_OK) {
		memset(&pol, 0, sizeof(pol));
		memset(&art, 0, sizeof(art));
		pol.identity = "https://github.com/x";
		pol.issuer = "https://token.actions.githubusercontent.com";
		art.data = (const uint8_t *)"a";
		art.len = 1;
		if (loaded == 1)
			(void)tg_sign_verify(&b, &art, &fixed, &pol, &res, NULL);
		tg_sign_bundle_release(&b);
	}
	return 0;
}
