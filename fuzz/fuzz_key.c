/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_key.c - libFuzzer target for key import: PEM, DER (SPKI and PKCS#8),
 * JWK with every flag combination and JWK Sets. Every key that imports must
 * survive PEM and JWK round trips unchanged, or the target aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/limits.h"
#include "crypto/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

/* PEM and JWK round trips of k must give the same key (and thumbprint). */
static void round_trip(const struct tg_key *k)
{
	struct tg_arena a;
	struct tg_buf pem = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	struct tg_key *k2 = NULL;
	const struct tg_json *j = NULL;
	uint8_t t1[32], t2[32];
	bool priv = tg_key_is_private(k);

	tg_arena_init(&a, 16 * TG_MIB);
	check(tg_key_thumbprint(k, t1) == TG_OK);
	if (tg_key_type(k) != TG_KEY_HMAC) {
		check(tg_key_to_pem(k, false, &pem) == TG_OK);
		check(tg_key_from_pem((const char *)pem.data, pem.len, &k2, NULL) == TG_OK);
		check(tg_key_equal_public(k, k2) && !tg_key_is_private(k2));
		tg_key_free(k2);
		k2 = NULL;
		if (priv) {
			tg_buf_reset(&pem);
			check(tg_key_to_pem(k, true, &pem) == TG_OK);
			check(tg_key_from_pem((const char *)pem.data, pem.len, &k2, NULL) == TG_OK);
			check(tg_key_equal_public(k, k2) && tg_key_is_private(k2));
			tg_key_free(k2);
			k2 = NULL;
		}
	}
	/* HMAC keys have only the secret form */
	check(tg_key_to_jwk(k, priv, &a, &j) == TG_OK);
	check(tg_key_from_jwk(j, TG_JWK_ALLOW_PRIVATE | TG_JWK_ALLOW_HMAC, &k2, NULL) == TG_OK);
	check(tg_key_equal_public(k, k2) && tg_key_is_private(k2) == priv);
	check(tg_key_default_alg(k) == tg_key_default_alg(k2));
	check(tg_key_thumbprint(k2, t2) == TG_OK && memcmp(t1, t2, 32) == 0);
	check((tg_key_kid(k) == NULL) == (tg_key_kid(k2) == NULL));
	check(!tg_key_kid(k) || strcmp(tg_key_kid(k), tg_key_kid(k2)) == 0);
	tg_key_free(k2);
	tg_buf_release_wipe(&pem);
	tg_arena_release(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned flag_sets[] = {0, TG_JWK_ALLOW_PRIVATE, TG_JWK_ALLOW_HMAC,
					     TG_JWK_ALLOW_PRIVATE | TG_JWK_ALLOW_HMAC};
	struct tg_key *k = NULL;
	struct tg_arena a;
	const struct tg_json *v = NULL;
	size_t i;
	int skip;

	if (tg_key_from_pem((const char *)data, size, &k, NULL) == TG_OK) {
		round_trip(k);
		tg_key_free(k);
		k = NULL;
	}
	if (tg_key_from_der(data, size, false, &k, NULL) == TG_OK) {
		check(!tg_key_is_private(k));
		round_trip(k);
		tg_key_free(k);
		k = NULL;
	}
	if (tg_key_from_der(data, size, true, &k, NULL) == TG_OK) {
		check(tg_key_is_private(k));
		round_trip(k);
		tg_key_free(k);
		k = NULL;
	}
	if (size > TG_LIMIT_JWK)
		goto out;
	tg_arena_init(&a, 16 * TG_MIB);
	if (tg_json_parse(&a, data, size, NULL, &v, NULL, NULL) == TG_OK) {
		for (i = 0; i < sizeof(flag_sets) / sizeof(flag_sets[0]); i++) {
			if (tg_key_from_jwk(v, flag_sets[i], &k, NULL) == TG_OK) {
				check(!tg_key_is_private(k) || (flag_sets[i] & TG_JWK_ALLOW_PRIVATE) ||
				      tg_key_type(k) == TG_KEY_HMAC);
				round_trip(k);
				tg_key_free(k);
				k = NULL;
			}
			for (skip = 0; skip < 2; skip++) {
				struct tg_jwks s = {NULL, 0};
				size_t j;
				if (tg_jwks_parse(v, flag_sets[i], skip, &s, NULL) != TG_OK)
					continue;
				check(s.count <= TG_LIMIT_JWKS_KEYS);
				for (j = 0; j < s.count; j++)
					round_trip(s.keys[j]);
				tg_jwks_release(&s);
			}
		}
	}
	tg_arena_release(&a);
out:
	/* every failure path must leave OpenSSL's error queue empty */
	check(ERR_peek_error() == 0);
	return 0;
}
