/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_x509.c - libFuzzer target for the X.509 parsers: arbitrary bytes as
 * one DER certificate and as a PEM list; every getter (and a self-anchored
 * verification) on what parses. Must never crash, leak or trip a sanitizer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/limits.h"
#include "crypto/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(struct tg_x509 *c)
{
	static const char *const oids[] = {"2.5.29.14", "2.5.29.35", "2.5.29.17",
					   "1.3.6.1.4.1.57264.1.8", "1.2.3"};
	struct tg_buf b = TG_BUF_INIT(TG_LIMIT_DER);
	struct tg_arena a;
	const struct tg_san *sans = NULL;
	const struct tg_x509 *anchor[1];
	struct tg_x509_list chain = {NULL, 0};
	struct tg_x509_basic bc;
	struct tg_time nb, na;
	struct tg_key *k = NULL;
	struct tg_diag d;
	size_t n = 0, i;
	bool present, crit;
	unsigned bits;

	(void)tg_x509_serial_hex(c, &b);
	(void)tg_x509_subject(c, &b);
	(void)tg_x509_issuer(c, &b);
	(void)tg_x509_validity(c, &nb, &na);
	if (tg_x509_public_key(c, &k) == TG_OK)
		tg_key_free(k);
	(void)tg_x509_basic_constraints(c, &bc);
	(void)tg_x509_key_usage(c, &present, &crit, &bits);
	(void)tg_x509_ext_key_usage(c, &present, &crit, &bits, &b);
	tg_arena_init(&a, 1 << 20);
	if (tg_x509_sans(c, &a, &sans, &n, &crit) == TG_OK) {
		for (i = 0; i < n; i++)
			if (strlen(sans[i].value) != sans[i].len)
				abort(); /* a value never hides a NUL */
	}
	tg_arena_release(&a);
	for (i = 0; i < sizeof(oids) / sizeof(oids[0]); i++) {
		tg_buf_reset(&b);
		(void)tg_x509_ext(c, oids[i], &crit, &b);
	}
	tg_buf_reset(&b);
	(void)tg_x509_to_pem(c, &b);
	/* the certificate as its own trust anchor, at its notBefore */
	anchor[0] = c;
	tg_diag_init(&d);
	if (tg_x509_validity(c, &nb, &na) == TG_OK &&
	    tg_x509_verify(c, NULL, 0, anchor, 1, nb, TG_EKU_CODE_SIGNING, &chain, &d) == TG_OK)
		tg_x509_list_release(&chain);
	tg_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_x509 *c = NULL;
	struct tg_x509_list l = {NULL, 0};
	struct tg_buf der = TG_BUF_INIT(TG_LIMIT_DER);
	struct tg_diag d;
	size_t i;

	tg_diag_init(&d);
	if (tg_x509_from_der(data, size, &c, &d) == TG_OK) {
		/* strict DER: what parses re-encodes to the very same bytes */
		if (tg_x509_to_der(c, &der) != TG_OK || der.len != size ||
		    memcmp(der.data, data, size) != 0)
			abort();
		exercise(c);
		tg_x509_free(c);
	}
	tg_buf_release(&der);
	if (tg_x509_list_from_pem((const char *)data, size, &l, &d) == TG_OK) {
		for (i = 0; i < l.count; i++)
			exercise(l.certs[i]);
		tg_x509_list_release(&l);
	}
	return 0;
}
