/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_jws.c - libFuzzer target for tg_jws_verify and tg_jwt_verify on
 * arbitrary bytes against a fixed key of every type, plus a round trip:
 * the input signed as a payload must verify to the identical payload.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/limits.h"
#include "core/mem.h"
#include "crypto/crypto.h"

/* Fixed test keys (no secret of anyone's): RFC 8037 A.1, RFC 7515 A.3,
 * and keys made for this target. The kids let seeds pick their key. */
static const char *const key_jwks[] = {
	("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"ed\","
	"\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\","
	"\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}"),
	("{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"p256\","
	"\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
	"\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\","
	"\"d\":\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\"}"),
	("{\"kty\":\"EC\",\"crv\":\"P-384\",\"kid\":\"p384\","
	"\"x\":\"Qlrq9Mf5EGrRFLi-BF7fPC-EmmpKpnT3bWBD6N9ra5rjWkjhvm91JkN8SMCCTZZO\","
	"\"y\":\"eAf5UeDf5Dpn73hfaOz8lH1K-_TqlrzPIyXX-MJ8FlM94j3oF-tnFrny4Vo8RInJ\","
	"\"d\":\"JwFQ_HV_ZaT9v19WDxTjpOed2mhgbVUqUSt9vaxJLB5KMQCtCBWspAygQd5XKfLy\"}"),
	("{\"kty\":\"EC\",\"crv\":\"P-521\",\"kid\":\"p521\","
	"\"x\":\"AVWrNRIwBH2R46JCdRrZWvDH5C6eRTFOgBxKOtHx-zBhQRFkHIDe-Ce6g94wlaRDytiZxqA6uWenVAwQb8mGCpr5\","
	"\"y\":\"AKznvaO-prEFYda4DYVnNv6wd56ELC4lNUl6EFSpsKKXjmOx9EAiB0boqoE4n-T28PSUuv-g7FVZQ1hWUpjzrhRU\","
	"\"d\":\"AUyIV0iMiIyae0xfn-Yg4FzAkBdsQh6EWMUcEyQ62xejCQDMz8NEn-8zeNyZyMs8zlEMJnrVH5btZDjqEhk7LlnD\"}"),
	("{\"kty\":\"RSA\",\"kid\":\"rsa\",\"e\":\"AQAB\","
	"\"n\":\"ku_mQ7GHpfbQQ30s3A4TiB2mecBIvjhB-Hvg8mVbqlOCzeusglOZSqj2BXmu6pF-Lilrp3Bcax61o3pDsw4x"
	"YiZgCBVXvBp5FeNmv6pHYXw7RMzdUW-uW-NR0XSmnozfuS54SK_sKMwCJkxCP0LU5DiOnX8feT7HuiKmIkk8pWZX0THG"
	"Pgq8jiylx0_Ah9IywJp8imRjxUNY3XwvJHER_xzY9sbgOLJsYXm-eXTCv5_ZmXcADmtY73rB9F8uZjagJPtUmeHKFlld"
	"AsilkTX_JEBwjiD8RSaXHbfNilYOMacyaNdyDr1GKIJ89DETie9-RF5z_tR2C32kLRB7ejIYqw\","
	"\"d\":\"CBiVzGcMvVVDFmTgQuO3qclQcebpWynIYMOammCBU3o0e9ofcDLhAF8c5yJUQ_JuTGbV2qzzOqe_hFlpP4Vp"
	"rSnGIsviQKgIwe78q1TbiACLV3gePa10ovV8fZj60UOb1B0-XWrsDTdoaunKwKeTCVwgZ4comcqewJ_GHZ-Bau-KQZGC"
	"LUMXR_dogizxjmXKhWsifUM2r46b1xStcRDFG2TSSXJk82ZiJCKsJarIXZAQNBdyEpVKHbLL4pdm7UaRSJJfOf3vY1z2"
	"pFs9tAGGPKDiZuWRtTlpMaFVpFW0eT9EFq6fPUyyqvobWoGFVkHnMmswpwqZHhBfK3HvcwhxcQ\","
	"\"p\":\"zNDRudYtd8V12l63LU56p6pHzvkPhqVE27YDiJ4FRnIWcQ4F2xkMD0VQtnC6u2FImIB0YiE5MxfAP2xQM_40"
	"yErHKF02e-LMFCP4gZSdtM6X1DvJSPGU5JdTA4o0r-lqysVZXICKvpq0DGRX4IJb_uQMo_2_ULL3b4vDH_FBCuk\","
	"\"q\":\"t6hFIGoLBywzdtxn0ZZCkHXXnJiDTaaaEvnrmrQ0M5zEx71ReYwGGpL-HsRjrU7a_imNs0OFC3iGAbBOZFhy"
	"PgBelP5FQuhzH8y-RVxJS_RP2TxL457HnlEvdQV-ZTu0wodwVhMzK3wrbgmDJQIZqyqN2ufTjqXoBf6XhUtFYnM\","
	"\"dp\":\"D9Ny4TEzgjW3zY_UB6QwxhPaSJvmHzlWAMQnsb7EGZVnNoUm3q8ox2VLv00moKP7wAzs8Ugv60rCiCQObnYO"
	"Dgv5J51MQHZd3pCI-zpIlVgBU1zrSL-iCafHulZLi-w1XEWzifpEvkWl8-8s-yQXh7KHZ4SL6-hoRi4-fZFevUE\","
	"\"dq\":\"ZaezE3z-u6qgldLreBvWnkVL4badPvbPY1-IJGpIVqUYWoKUvVVe74ibNgZ4Ma5rErGHaEkgNDgy3G5tBafb"
	"HCxyLcAMMDuftWNLkfLB81O4esKgMs5pKV1AimJPEtOYevAiotIfyZsCIvcK6wodkRuNxzP4aoW0RtUjozkFn7c\","
	"\"qi\":\"YN4hE1OzBLpPQgyKEZU96xBW-HoX9gCVWb_luGO8GWcp2RiwG6QZhJGOaOjIHmWMLmpVsb5XoJus0kZt3mWU"
	"xRmruZcYCkAwumRyw6mDbscLI3cUsHvUtKfZuVY4l8PFnqliS2EZv-hVyU4Eu_fM601mkyaIxry882aXyUotJRs\"}"),
	("{\"kty\":\"oct\",\"kid\":\"mac\","
	"\"k\":\"cnZpyNYvqAtnLogxMLYWmpAuRGO8356LqO-X36HTLFMiFjYSSDCxE3gs9BjdhJJZU4U964DuFTfxvG8DdXt9nQ\"}"),
};

#define NKEYS (sizeof(key_jwks) / sizeof(key_jwks[0]))
#define HMAC_KEY (NKEYS - 1)

static struct tg_key *priv[NKEYS];  /* signing keys */
static struct tg_key *verif[NKEYS]; /* public halves; the HMAC key itself */

static void die(const char *what)
{
	fprintf(stderr, "fuzz_jws: %s\n", what);
	abort();
}

static void load_keys(void)
{
	struct tg_arena a;
	size_t i;

	tg_arena_init(&a, TG_MIB);
	for (i = 0; i < NKEYS; i++) {
		const struct tg_json *j = NULL;
		struct tg_diag d;
		tg_diag_init(&d);
		if (tg_json_parse(&a, key_jwks[i], strlen(key_jwks[i]), NULL, &j, NULL, &d) != TG_OK ||
		    tg_key_from_jwk(j, TG_JWK_ALLOW_PRIVATE | TG_JWK_ALLOW_HMAC, &priv[i], &d) != TG_OK)
			die(d.msg);
		if (i == HMAC_KEY)
			verif[i] = tg_key_ref(priv[i]);
		else if (tg_key_public(priv[i], &verif[i]) != TG_OK)
			die("cannot take a public key");
	}
	tg_arena_release(&a);
}

/* Claim checks of two strengths: everything on, and almost nothing. */
static void jwt_checks(const char *s, size_t n, struct tg_arena *a)
{
	struct tg_jwt_check strict, loose;
	const struct tg_json *claims = NULL;
	struct tg_jws j;
	struct tg_diag d;

	memset(&strict, 0, sizeof(strict));
	strict.now.sec = 1767225600;
	strict.skew = 60;
	strict.iss = "https://issuer.example";
	strict.aud = "tollgate";
	strict.max_age = 3600;
	strict.require_iat = true;
	strict.typ = "JWT";
	memset(&loose, 0, sizeof(loose));
	loose.now.sec = 1767225600;
	loose.allow_no_exp = true;

	tg_diag_init(&d);
	if (tg_jwt_verify(s, n, (const struct tg_key *const *)verif, NKEYS, &strict, a, &claims, &j,
			  &d) == TG_OK &&
	    (!claims || claims->type != TG_JSON_OBJECT))
		die("tg_jwt_verify accepted claims that are not an object");
	claims = NULL;
	if (tg_jwt_verify(s, n, (const struct tg_key *const *)verif, NKEYS, &loose, a, &claims, &j,
			  &d) == TG_OK &&
	    (!claims || claims->type != TG_JSON_OBJECT))
		die("tg_jwt_verify accepted claims that are not an object");
}

/* Signs the payload with key i and checks that it verifies to the same
 * bytes, by the same key, with the key's algorithm. */
static void round_trip(size_t i, const uint8_t *p, size_t n, struct tg_arena *a)
{
	struct tg_buf tok = TG_BUF_INIT(2 * TG_LIMIT_JWS);
	struct tg_jws j;
	struct tg_diag d;
	tg_err r;

	r = tg_jws_sign(priv[i], 0, "JWT", NULL, p, n, &tok);
	if (r == TG_E_TOOBIG && tg_b64_encoded_len(n, TG_B64_URL) > TG_LIMIT_JWS - 1024)
		goto out; /* a token we could not verify is rightly not made */
	if (r != TG_OK)
		die("tg_jws_sign failed");
	tg_diag_init(&d);
	r = tg_jws_verify((const char *)tok.data, tok.len, (const struct tg_key *const *)verif,
			  NKEYS, a, &j, &d);
	if (r != TG_OK) {
		fprintf(stderr, "key %zu: %s: %s\n", i, tg_errname(r), d.msg);
		die("a token we signed does not verify");
	}
	if (j.payload_len != n || (n && memcmp(j.payload, p, n) != 0))
		die("the verified payload differs from the signed one");
	if (j.key != verif[i] || j.alg != tg_key_default_alg(priv[i]))
		die("the token verified with another key or algorithm");
	/* the same token through the JWT path: claims or a clean rejection */
	jwt_checks((const char *)tok.data, tok.len, a);
out:
	tg_buf_release(&tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct tg_arena a;
	struct tg_jws j;
	struct tg_diag d;

	if (!ready) {
		load_keys();
		ready = 1;
	}
	tg_arena_init(&a, 16 * TG_MIB);
	tg_diag_init(&d);
	/* arbitrary bytes as a token */
	if (tg_jws_verify((const char *)data, size, (const struct tg_key *const *)verif, NKEYS, &a,
			  &j, &d) == TG_OK &&
	    (!j.header || !j.key || (j.payload_len && !j.payload)))
		die("tg_jws_verify accepted without filling its output");
	jwt_checks((const char *)data, size, &a);
	/* arbitrary bytes as a payload: the first byte picks the key */
	if (size > 0)
		round_trip(data[0] % NKEYS, data + 1, size - 1, &a);
	tg_arena_release(&a);
	return 0;
}
