/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_crypto_jws.c - JWS/JWT: round trips for every key type, the
 * rejections (alg none, algorithm confusion, strict base64url, header and
 * claim rules, limits) with their exact codes, and the RFC 7515 A.2/A.3
 * and RFC 8037 A.4 examples.
 */
#include "tg_test.h"

#include <stdint.h>

#include "core/codec.h"
#include "core/limits.h"
#include "core/mem.h"
#include "crypto/crypto.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */

static struct tg_arena arena;

/* ---- helpers ---- */

static const struct tg_json *json(const char *text)
{
	const struct tg_json *v = NULL;
	struct tg_diag d;
	tg_diag_init(&d);
	if (tg_json_parse(&arena, text, strlen(text), NULL, &v, NULL, &d) != TG_OK) {
		fprintf(stderr, "bad test JSON %s: %s\n", text, d.msg);
		exit(2);
	}
	return v;
}

static struct tg_key *gen(enum tg_key_type t, unsigned bits, const char *kid)
{
	struct tg_key *k = NULL, *named = NULL;
	if (tg_key_generate(t, bits, &k) != TG_OK) {
		fprintf(stderr, "cannot generate a %s key\n", tg_key_type_name(t));
		exit(2);
	}
	if (!kid)
		return k;
	if (tg_key_with_kid(k, kid, &named) != TG_OK)
		exit(2);
	tg_key_free(k);
	return named;
}

static struct tg_key *pub_of(const struct tg_key *k)
{
	struct tg_key *p = NULL;
	if (tg_key_public(k, &p) != TG_OK)
		exit(2);
	return p;
}

static struct tg_key *jwk(const char *text, unsigned flags)
{
	struct tg_key *k = NULL;
	struct tg_diag d;
	tg_diag_init(&d);
	if (tg_key_from_jwk(json(text), flags, &k, &d) != TG_OK) {
		fprintf(stderr, "cannot load JWK %s: %s\n", text, d.msg);
		exit(2);
	}
	return k;
}

static void b64(struct tg_buf *out, const void *p, size_t n)
{
	if (tg_b64_encode(out, n ? p : "", n, TG_B64_URL) != TG_OK)
		exit(2);
}

/* A token with exactly the header text given, signed by k with alg. */
static char *craft(const struct tg_key *k, enum tg_sig_alg alg, const char *hdr,
		   const void *payload, size_t n)
{
	struct tg_buf t = TG_BUF_INIT(TG_LIMIT_JWS * 2), sig = TG_BUF_INIT(4096);
	uint8_t *p;
	size_t len;
	b64(&t, hdr, strlen(hdr));
	if (tg_buf_addc(&t, '.') != TG_OK)
		exit(2);
	b64(&t, payload, n);
	if (k && tg_sign(k, alg, TG_SIG_FORMAT_RAW, t.data, t.len, &sig) != TG_OK) {
		fprintf(stderr, "cannot sign with %s\n", tg_sig_alg_name(alg));
		exit(2);
	}
	if (tg_buf_addc(&t, '.') != TG_OK)
		exit(2);
	b64(&t, sig.data, sig.len);
	tg_buf_release(&sig);
	tg_buf_detach(&t, &p, &len);
	return (char *)p;
}

/* Verifies tok against keys; the message lands in msg (may be NULL). */
static tg_err vfy_keys(const char *tok, const struct tg_key *const *keys, size_t n,
		       struct tg_jws *out, char *msg)
{
	struct tg_jws j;
	struct tg_diag d;
	tg_err r;
	tg_diag_init(&d);
	r = tg_jws_verify(tok, strlen(tok), keys, n, &arena, out ? out : &j, &d);
	if (msg)
		snprintf(msg, TG_DIAG_MSG_MAX, "%s", d.msg);
	/* every rejection says why */
	CHECK(r == TG_OK || d.msg[0] != '\0');
	return r;
}

static tg_err vfy(const char *tok, const struct tg_key *k, char *msg)
{
	return vfy_keys(tok, &k, 1, NULL, msg);
}

static bool contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle)) {
		fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", hay, needle);
		return false;
	}
	return true;
}

/* Returns a copy of tok with part i (0..2) replaced by repl. */
static char *replace_part(const char *tok, int i, const char *repl)
{
	struct tg_buf b = TG_BUF_INIT(TG_LIMIT_JWS * 2);
	const char *d1 = strchr(tok, '.'), *d2 = strchr(d1 + 1, '.');
	const char *start[3] = {tok, d1 + 1, d2 + 1};
	size_t len[3] = {(size_t)(d1 - tok), (size_t)(d2 - d1 - 1), strlen(d2 + 1)};
	uint8_t *p;
	size_t n;
	int k;
	for (k = 0; k < 3; k++) {
		if (k && tg_buf_addc(&b, '.') != TG_OK)
			exit(2);
		if (tg_buf_add(&b, k == i ? repl : start[k], k == i ? strlen(repl) : len[k]) != TG_OK)
			exit(2);
	}
	tg_buf_detach(&b, &p, &n);
	return (char *)p;
}

/* Returns part i of tok, malloc'd. */
static char *part(const char *tok, int i)
{
	const char *s = tok, *e;
	while (i-- > 0)
		s = strchr(s, '.') + 1;
	e = strchr(s, '.');
	return tg_xstrndup(s, e ? (size_t)(e - s) : strlen(s));
}

static char *sign_payload(const struct tg_key *k, enum tg_sig_alg alg, const char *typ,
			  const char *extra, const void *payload, size_t n)
{
	struct tg_buf out = TG_BUF_INIT(TG_LIMIT_JWS);
	uint8_t *p;
	size_t len;
	tg_err r = tg_jws_sign(k, alg, typ, extra ? json(extra) : NULL, payload, n, &out);
	if (r != TG_OK) {
		fprintf(stderr, "tg_jws_sign: %s\n", tg_errname(r));
		exit(2);
	}
	tg_buf_detach(&out, &p, &len);
	return (char *)p;
}

/* ---- keys used throughout ---- */

static struct tg_key *k_ed, *k_p256, *k_p384, *k_p521, *k_rsa, *k_hmac;
static struct tg_key *p_ed, *p_p256, *p_p384, *p_p521, *p_rsa;

static const char hmac_jwk[] =
	"{\"kty\":\"oct\",\"kid\":\"mac-1\",\"use\":\"sig\","
	"\"k\":\"cnZpyNYvqAtnLogxMLYWmpAuRGO8356LqO-X36HTLFMiFjYSSDCxE3gs9BjdhJJZU4U964DuFTfxvG8DdXt9nQ\"}";

static void keys_init(void)
{
	k_ed = gen(TG_KEY_ED25519, 0, "ed-1");
	k_p256 = gen(TG_KEY_EC_P256, 0, "p256-1");
	k_p384 = gen(TG_KEY_EC_P384, 0, "p384-1");
	k_p521 = gen(TG_KEY_EC_P521, 0, "p521-1");
	k_rsa = gen(TG_KEY_RSA, 2048, "rsa-1");
	k_hmac = jwk(hmac_jwk, TG_JWK_ALLOW_HMAC | TG_JWK_ALLOW_PRIVATE);
	p_ed = pub_of(k_ed);
	p_p256 = pub_of(k_p256);
	p_p384 = pub_of(k_p384);
	p_p521 = pub_of(k_p521);
	p_rsa = pub_of(k_rsa);
}

static void keys_free(void)
{
	struct tg_key *all[] = {k_ed, k_p256, k_p384, k_p521, k_rsa, k_hmac,
				p_ed, p_p256, p_p384, p_p521, p_rsa};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(all); i++)
		tg_key_free(all[i]);
}

/* ---- round trips ---- */

static void round_trip(const struct tg_key *signer, const struct tg_key *verifier,
		       enum tg_sig_alg alg, const char *want_alg)
{
	static const char payload[] = "{\"iss\":\"tollgate\",\"n\":1}\n\x01\xff";
	const struct tg_key *set[3] = {p_ed, p_p256, verifier};
	struct tg_jws j;
	char msg[TG_DIAG_MSG_MAX], *tok;
	tok = sign_payload(signer, alg, "test+jws", "{\"x-extra\":[1,2]}", payload,
			   sizeof(payload) - 1);
	memset(&j, 0, sizeof(j));
	CHECK_OK(vfy_keys(tok, set, 3, &j, msg));
	CHECK(j.payload_len == sizeof(payload) - 1);
	CHECK(j.payload && memcmp(j.payload, payload, sizeof(payload) - 1) == 0);
	CHECK(j.key == verifier);
	CHECK_STR(tg_sig_alg_name(j.alg), want_alg);
	CHECK(tg_json_str_eq(tg_json_get(j.header, "alg"), want_alg));
	CHECK(tg_json_str_eq(tg_json_get(j.header, "typ"), "test+jws"));
	CHECK(tg_json_str_eq(tg_json_get(j.header, "kid"), tg_key_kid(signer)));
	CHECK(tg_json_get(j.header, "x-extra") != NULL);
	/* no padding anywhere (RFC 7515 2) */
	CHECK(!strchr(tok, '='));
	free(tok);
}

TEST(round_trips)
{
	struct tg_key *pinned;
	round_trip(k_ed, p_ed, TG_SIG_NONE, "EdDSA");
	round_trip(k_p256, p_p256, TG_SIG_ES256, "ES256");
	round_trip(k_p384, p_p384, TG_SIG_NONE, "ES384");
	round_trip(k_p521, p_p521, TG_SIG_ES512, "ES512");
	round_trip(k_rsa, p_rsa, TG_SIG_RS256, "RS256");
	round_trip(k_rsa, p_rsa, TG_SIG_PS256, "PS256");
	round_trip(k_rsa, p_rsa, TG_SIG_NONE, "PS256");
	round_trip(k_rsa, p_rsa, TG_SIG_RS512, "RS512");
	round_trip(k_hmac, k_hmac, TG_SIG_HS256, "HS256");
	round_trip(k_hmac, k_hmac, TG_SIG_HS384, "HS384");
	round_trip(k_hmac, k_hmac, TG_SIG_HS512, "HS512");
	/* a pinned JWK signs with its algorithm by default */
	pinned = jwk("{\"kty\":\"oct\",\"alg\":\"HS384\",\"kid\":\"pin\","
		     "\"k\":\"cnZpyNYvqAtnLogxMLYWmpAuRGO8356LqO-X36HTLFMiFjYSSDCxE3gs9BjdhJJZU4U964DuFTfxvG8DdXt9nQ\"}",
		     TG_JWK_ALLOW_HMAC | TG_JWK_ALLOW_PRIVATE);
	round_trip(pinned, pinned, TG_SIG_NONE, "HS384");
	tg_key_free(pinned);
}

/* The header is rebuilt from validated fields: sorted, compact JSON. */
TEST(header_form)
{
	struct tg_buf h = TG_BUF_INIT(4096);
	char *tok = sign_payload(k_p256, 0, "JWT", "{\"zz\":true,\"cty\":\"x\"}", "{}", 2);
	char *p0 = part(tok, 0);
	CHECK_OK(tg_b64_decode(&h, p0, strlen(p0), TG_B64_URL, NULL));
	CHECK_STR(tg_buf_str(&h),
		  "{\"alg\":\"ES256\",\"cty\":\"x\",\"kid\":\"p256-1\",\"typ\":\"JWT\",\"zz\":true}");
	free(p0);
	free(tok);
	tg_buf_release(&h);
}

TEST(empty_payload)
{
	struct tg_jws j;
	char *tok = sign_payload(k_p256, 0, NULL, NULL, NULL, 0);
	CHECK(strstr(tok, "..") != NULL);
	CHECK_OK(vfy_keys(tok, (const struct tg_key *const *)&p_p256, 1, &j, NULL));
	CHECK(j.payload_len == 0 && j.payload && j.payload[0] == 0);
	free(tok);
}

TEST(sign_rejects)
{
	struct tg_buf out = TG_BUF_INIT(TG_LIMIT_JWS);
	static const uint8_t big[TG_LIMIT_JWS];
	/* the key decides: no algorithm outside its family */
	CHECK_ERR(tg_jws_sign(k_rsa, TG_SIG_ES256, NULL, NULL, "x", 1, &out), TG_E_ALG);
	CHECK_ERR(tg_jws_sign(k_p256, TG_SIG_HS256, NULL, NULL, "x", 1, &out), TG_E_ALG);
	/* public keys cannot sign */
	CHECK_ERR(tg_jws_sign(p_p256, TG_SIG_ES256, NULL, NULL, "x", 1, &out), TG_E_KEY);
	/* extra may not override our members nor add ones we refuse */
	CHECK_ERR(tg_jws_sign(k_p256, 0, NULL, json("{\"alg\":\"none\"}"), "x", 1, &out),
		  TG_E_DUPKEY);
	CHECK_ERR(tg_jws_sign(k_p256, 0, "JWT", json("{\"typ\":\"x\"}"), "x", 1, &out),
		  TG_E_DUPKEY);
	CHECK_ERR(tg_jws_sign(k_p256, 0, NULL, json("{\"crit\":[\"exp\"]}"), "x", 1, &out),
		  TG_E_INVAL);
	CHECK_ERR(tg_jws_sign(k_p256, 0, NULL, json("{\"b64\":false}"), "x", 1, &out), TG_E_INVAL);
	CHECK_ERR(tg_jws_sign(k_p256, 0, NULL, json("[1]"), "x", 1, &out), TG_E_TYPE);
	/* a token we could not verify is not produced */
	CHECK_ERR(tg_jws_sign(k_p256, 0, NULL, NULL, big, sizeof(big), &out), TG_E_TOOBIG);
	CHECK(out.len == 0);
	CHECK_ERR(tg_jwt_sign(k_p256, 0, json("[]"), &out), TG_E_TYPE);
	CHECK_ERR(tg_jwt_sign(k_p256, 0, json("{\"exp\":\"tomorrow\"}"), &out), TG_E_CLAIM);
	CHECK_ERR(tg_jwt_sign(k_p256, 0, json("{\"aud\":[\"a\",1]}"), &out), TG_E_CLAIM);
	CHECK(out.len == 0);
	tg_buf_release(&out);
}

/* ---- alg none and algorithm confusion ---- */

TEST(alg_none)
{
	char msg[TG_DIAG_MSG_MAX], *good, *tok;
	const char *payload = "{\"sub\":\"admin\"}";
	const struct tg_key *all[] = {p_ed, p_p256, p_rsa, k_hmac};
	size_t i;
	static const char *const hdrs[] = {
		"{\"alg\":\"none\"}", "{\"alg\":\"none\",\"kid\":\"p256-1\"}",
		"{\"alg\":\"NONE\"}", "{\"alg\":\"None\"}", "{\"alg\":\"\"}",
	};
	for (i = 0; i < TG_ARRAY_LEN(hdrs); i++) {
		/* the unsecured form: an empty signature part */
		tok = craft(NULL, TG_SIG_NONE, hdrs[i], payload, strlen(payload));
		CHECK(tok[strlen(tok) - 1] == '.');
		CHECK_ERR(vfy_keys(tok, all, 4, NULL, msg), TG_E_ALG);
		free(tok);
	}
	tok = craft(NULL, TG_SIG_NONE, "{\"alg\":\"none\"}", payload, strlen(payload));
	CHECK_ERR(vfy(tok, p_p256, msg), TG_E_ALG);
	CHECK(contains(msg, "'none' is never accepted"));
	free(tok);
	/* with a signature part that is a real signature over the same input */
	good = craft(k_p256, TG_SIG_ES256, "{\"alg\":\"ES256\"}", payload, strlen(payload));
	tok = replace_part(good, 0, "eyJhbGciOiJub25lIn0"); /* {"alg":"none"} */
	CHECK_ERR(vfy_keys(tok, all, 4, NULL, msg), TG_E_ALG);
	free(tok);
	free(good);
	/* no alg at all, or not a string */
	tok = craft(k_p256, TG_SIG_ES256, "{\"kid\":\"p256-1\"}", payload, strlen(payload));
	CHECK_ERR(vfy(tok, p_p256, msg), TG_E_PARSE);
	CHECK(contains(msg, "no \"alg\""));
	free(tok);
	tok = craft(k_p256, TG_SIG_ES256, "{\"alg\":[\"ES256\"]}", payload, strlen(payload));
	CHECK_ERR(vfy(tok, p_p256, msg), TG_E_PARSE);
	free(tok);
	tok = craft(k_p256, TG_SIG_ES256, "{\"alg\":\"ES256K\"}", payload, strlen(payload));
	CHECK_ERR(vfy(tok, p_p256, msg), TG_E_ALG);
	CHECK(contains(msg, "unknown algorithm 'ES256K'"));
	free(tok);
}

/* HS256 keyed with the RSA public key's own bytes, verified against that
 * RSA key: the classic confusion attack must be refused by the key. */
static void confusion(const struct tg_buf *secret, const char *hdr)
{
	struct tg_buf t = TG_BUF_INIT(4096);
	uint8_t mac[TG_HASH_MAX];
	char msg[TG_DIAG_MSG_MAX];
	const char *payload = "{\"sub\":\"admin\",\"exp\":9999999999}";
	const struct tg_key *set[] = {p_p256, p_rsa};

	b64(&t, hdr, strlen(hdr));
	CHECK_OK(tg_buf_addc(&t, '.'));
	b64(&t, payload, strlen(payload));
	CHECK_OK(tg_hmac(TG_SHA256, secret->data, secret->len, t.data, t.len, mac));
	CHECK_OK(tg_buf_addc(&t, '.'));
	b64(&t, mac, 32);
	CHECK_ERR(vfy((const char *)t.data, p_rsa, msg), TG_E_ALG);
	CHECK(contains(msg, "algorithm 'HS256' not allowed for an rsa key"));
	CHECK_ERR(vfy_keys((const char *)t.data, set, 2, NULL, msg), TG_E_ALG);
	CHECK_ERR(vfy((const char *)t.data, k_rsa, msg), TG_E_ALG);
	tg_buf_release(&t);
}

TEST(algorithm_confusion)
{
	struct tg_buf pem = TG_BUF_INIT(1 << 16), der = TG_BUF_INIT(1 << 16);
	CHECK_OK(tg_key_to_pem(p_rsa, false, &pem));
	CHECK_OK(tg_key_to_spki_der(p_rsa, &der));
	confusion(&pem, "{\"alg\":\"HS256\"}");
	confusion(&der, "{\"alg\":\"HS256\"}");
	confusion(&pem, "{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}");
	confusion(&der, "{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}");
	tg_buf_release(&pem);
	tg_buf_release(&der);
}

TEST(alg_mismatch)
{
	char msg[TG_DIAG_MSG_MAX], *tok;
	const char *payload = "p";
	/* an ES256 signature presented as ES384 */
	tok = craft(k_p256, TG_SIG_ES256, "{\"alg\":\"ES384\"}", payload, 1);
	CHECK_ERR(vfy(tok, p_p256, msg), TG_E_ALG);
	CHECK(contains(msg, "algorithm 'ES384' not allowed for an ecdsa-p256 key"));
	CHECK_ERR(vfy(tok, p_p384, msg), TG_E_VERIFY);
	free(tok);
	/* EdDSA for an EC key, ES256 for Ed25519, RS for an EC key, PS for HMAC */
	tok = craft(k_ed, TG_SIG_EDDSA, "{\"alg\":\"EdDSA\"}", payload, 1);
	CHECK_ERR(vfy(tok, p_p256, msg), TG_E_ALG);
	free(tok);
	tok = craft(k_p256, TG_SIG_ES256, "{\"alg\":\"ES256\"}", payload, 1);
	CHECK_ERR(vfy(tok, p_ed, msg), TG_E_ALG);
	CHECK_ERR(vfy(tok, k_hmac, msg), TG_E_ALG);
	free(tok);
	/* RS256 signature labelled PS256: same key, other scheme */
	tok = craft(k_rsa, TG_SIG_RS256, "{\"alg\":\"PS256\"}", payload, 1);
	CHECK_ERR(vfy(tok, p_rsa, msg), TG_E_VERIFY);
	free(tok);
}

TEST(pinned_key)
{
	char msg[TG_DIAG_MSG_MAX], *tok;
	struct tg_buf out = TG_BUF_INIT(1024);
	struct tg_key *pin = jwk("{\"kty\":\"oct\",\"alg\":\"HS256\",\"kid\":\"mac-1\","
				 "\"k\":\"cnZpyNYvqAtnLogxMLYWmpAuRGO8356LqO-X36HTLFMiFjYSSDCxE3gs9BjdhJJZU4U964DuFTfxvG8DdXt9nQ\"}",
				 TG_JWK_ALLOW_HMAC | TG_JWK_ALLOW_PRIVATE);
	struct tg_key *short_key = jwk("{\"kty\":\"oct\",\"k\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\"}",
				       TG_JWK_ALLOW_HMAC | TG_JWK_ALLOW_PRIVATE);
	tok = sign_payload(k_hmac, TG_SIG_HS512, NULL, NULL, "x", 1);
	/* same secret, but pinned to HS256 */
	CHECK_ERR(vfy(tok, pin, msg), TG_E_ALG);
	CHECK(contains(msg, "pinned to 'HS256'"));
	free(tok);
	/* a 256-bit key is too short for HS512 (RFC 7518 3.2) */
	CHECK_ERR(tg_jws_sign(short_key, TG_SIG_HS512, NULL, NULL, "x", 1, &out), TG_E_ALG);
	CHECK(out.len == 0);
	tok = sign_payload(short_key, TG_SIG_HS256, NULL, NULL, "x", 1);
	CHECK_OK(vfy(tok, short_key, msg));
	free(tok);
	tg_key_free(pin);
	tg_key_free(short_key);
}

/* ---- kid ---- */

TEST(kid_selection)
{
	char msg[TG_DIAG_MSG_MAX], *tok;
	struct tg_jws j;
	struct tg_key *other = gen(TG_KEY_EC_P256, 0, "p256-2"), *other_pub = pub_of(other);
	struct tg_key *nokid = gen(TG_KEY_EC_P256, 0, NULL), *nokid_pub = pub_of(nokid);
	const struct tg_key *set[] = {other_pub, p_p256, nokid_pub};

	tok = sign_payload(k_p256, 0, NULL, NULL, "x", 1);
	CHECK_OK(vfy_keys(tok, set, 3, &j, msg));
	CHECK(j.key == p_p256);
	/* kid not found: never falls back to other keys */
	CHECK_ERR(vfy_keys(tok, set, 1, NULL, msg), TG_E_VERIFY);
	CHECK(contains(msg, "no key with kid 'p256-1'"));
	free(tok);
	/* a kid pointing at the wrong key */
	tok = craft(k_p256, TG_SIG_ES256, "{\"alg\":\"ES256\",\"kid\":\"p256-2\"}", "x", 1);
	CHECK_ERR(vfy_keys(tok, set, 3, NULL, msg), TG_E_VERIFY);
	CHECK(contains(msg, "does not verify with key 'p256-2'"));
	free(tok);
	/* no kid: every key of the right type is tried */
	tok = sign_payload(nokid, 0, NULL, NULL, "x", 1);
	CHECK_OK(vfy_keys(tok, set, 3, &j, msg));
	CHECK(j.key == nokid_pub);
	CHECK_ERR(vfy_keys(tok, set, 2, NULL, msg), TG_E_VERIFY);
	CHECK(contains(msg, "any of 2 keys"));
	CHECK_ERR(vfy_keys(tok, set, 0, NULL, msg), TG_E_VERIFY);
	free(tok);
	/* a kid of another type than a string */
	tok = craft(k_p256, TG_SIG_ES256, "{\"alg\":\"ES256\",\"kid\":7}", "x", 1);
	CHECK_ERR(vfy_keys(tok, set, 3, NULL, msg), TG_E_PARSE);
	free(tok);
	/* an embedded jwk never chooses the key */
	tok = craft(k_p256, TG_SIG_ES256,
		    "{\"alg\":\"ES256\",\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\","
		    "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
		    "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"},"
		    "\"jku\":\"https://evil.example/jwks\",\"x5u\":\"https://evil.example/c\"}",
		    "x", 1);
	CHECK_ERR(vfy_keys(tok, set, 1, NULL, msg), TG_E_VERIFY);
	CHECK_OK(vfy_keys(tok, set, 2, NULL, msg));
	free(tok);
	tg_key_free(other);
	tg_key_free(other_pub);
	tg_key_free(nokid);
	tg_key_free(nokid_pub);
}

/* ---- tampering ---- */

TEST(tampering)
{
	char msg[TG_DIAG_MSG_MAX], hdr[256], *tok, *bad, *sig;
	struct tg_buf b = TG_BUF_INIT(4096), raw = TG_BUF_INIT(4096);
	const struct tg_key *signers[] = {k_ed, k_p256, k_p521, k_rsa, k_hmac};
	const struct tg_key *verifiers[] = {p_ed, p_p256, p_p521, p_rsa, k_hmac};
	struct tg_jws j;
	size_t i;

	for (i = 0; i < TG_ARRAY_LEN(signers); i++) {
		tok = sign_payload(signers[i], 0, "JWT", NULL, "{\"a\":1}", 7);
		CHECK_OK(vfy_keys(tok, &verifiers[i], 1, &j, msg));
		/* the payload */
		bad = replace_part(tok, 1, "eyJhIjoyfQ"); /* {"a":2} */
		CHECK_ERR(vfy(bad, verifiers[i], msg), TG_E_VERIFY);
		CHECK(contains(msg, "does not verify"));
		free(bad);
		/* the header: another valid header with the same alg and kid */
		snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JWS\"}",
			 tg_sig_alg_name(j.alg), tg_key_kid(signers[i]));
		tg_buf_reset(&b);
		b64(&b, hdr, strlen(hdr));
		bad = replace_part(tok, 0, (const char *)b.data);
		CHECK_ERR(vfy(bad, verifiers[i], msg), TG_E_VERIFY);
		free(bad);
		/* the signature: one bit flipped */
		sig = part(tok, 2);
		tg_buf_reset(&raw);
		CHECK_OK(tg_b64_decode(&raw, sig, strlen(sig), TG_B64_URL, NULL));
		raw.data[raw.len / 2] ^= 0x01;
		tg_buf_reset(&b);
		b64(&b, raw.data, raw.len);
		bad = replace_part(tok, 2, (const char *)b.data);
		CHECK_ERR(vfy(bad, verifiers[i], msg), TG_E_VERIFY);
		free(bad);
		raw.data[raw.len / 2] ^= 0x01;
		/* the signature: one byte short, one zero byte too many, empty */
		tg_buf_reset(&b);
		b64(&b, raw.data, raw.len - 1);
		bad = replace_part(tok, 2, (const char *)b.data);
		CHECK_ERR(vfy(bad, verifiers[i], msg), TG_E_VERIFY);
		free(bad);
		CHECK_OK(tg_buf_addc(&raw, 0));
		tg_buf_reset(&b);
		b64(&b, raw.data, raw.len);
		bad = replace_part(tok, 2, (const char *)b.data);
		CHECK_ERR(vfy(bad, verifiers[i], msg), TG_E_VERIFY);
		free(bad);
		bad = replace_part(tok, 2, "");
		CHECK_ERR(vfy(bad, verifiers[i], msg), TG_E_VERIFY);
		CHECK(contains(msg, "signature part is empty"));
		free(bad);
		free(sig);
		free(tok);
	}
	tg_buf_release(&b);
	tg_buf_release(&raw);
}

/* ---- encoding strictness ---- */

TEST(strict_base64url)
{
	char msg[TG_DIAG_MSG_MAX], *tok, *bad, *p;
	struct tg_buf b = TG_BUF_INIT(TG_LIMIT_JWS * 2);
	static const char *const inserts[] = {"=", "==", " ", "\n", "\r\n", "\t", "+", "/",
					      "?", "%3D", "\\", "\x80"};
	int i;
	size_t k;

	/* "xy" encodes in 3 characters: padding would be '=' */
	tok = sign_payload(k_p256, 0, NULL, NULL, "xy", 2);
	CHECK_OK(vfy(tok, p_p256, msg));
	for (i = 0; i < 3; i++) {
		for (k = 0; k < TG_ARRAY_LEN(inserts); k++) {
			/* appended to the part, and in its middle */
			p = part(tok, i);
			tg_buf_reset(&b);
			CHECK_OK(tg_buf_adds(&b, p));
			CHECK_OK(tg_buf_adds(&b, inserts[k]));
			bad = replace_part(tok, i, (const char *)b.data);
			CHECK_ERR(vfy(bad, p_p256, msg), TG_E_PARSE);
			free(bad);
			tg_buf_reset(&b);
			CHECK_OK(tg_buf_add(&b, p, 2));
			CHECK_OK(tg_buf_adds(&b, inserts[k]));
			CHECK_OK(tg_buf_adds(&b, p + 2));
			bad = replace_part(tok, i, (const char *)b.data);
			CHECK_ERR(vfy(bad, p_p256, msg), TG_E_PARSE);
			free(bad);
			free(p);
		}
	}
	bad = replace_part(tok, 1, "eHk=");
	CHECK_ERR(vfy(bad, p_p256, msg), TG_E_PARSE);
	CHECK(contains(msg, "payload part is not strict base64url"));
	free(bad);
	/* non-zero unused bits: "eHk" is "xy", "eHl" decodes to the same bytes */
	bad = replace_part(tok, 1, "eHl");
	CHECK_ERR(vfy(bad, p_p256, msg), TG_E_PARSE);
	free(bad);
	/* an impossible length */
	bad = replace_part(tok, 1, "eHkAA");
	CHECK_ERR(vfy(bad, p_p256, msg), TG_E_PARSE);
	free(bad);
	/* leading or trailing white space around the whole token */
	tg_buf_reset(&b);
	CHECK_OK(tg_buf_addf(&b, " %s", tok));
	CHECK_ERR(vfy((const char *)b.data, p_p256, msg), TG_E_PARSE);
	tg_buf_reset(&b);
	CHECK_OK(tg_buf_addf(&b, "%s\n", tok));
	CHECK_ERR(vfy((const char *)b.data, p_p256, msg), TG_E_PARSE);
	/* a NUL inside the token (length given explicitly) */
	{
		struct tg_jws j;
		struct tg_diag d;
		size_t n = strlen(tok);
		char *z = tg_xstrndup(tok, n);
		z[5] = '\0';
		tg_diag_init(&d);
		CHECK_ERR(tg_jws_verify(z, n, (const struct tg_key *const *)&p_p256, 1, &arena, &j, &d),
			  TG_E_PARSE);
		free(z);
	}
	free(tok);
	tg_buf_release(&b);
}

TEST(part_count)
{
	char msg[TG_DIAG_MSG_MAX], *tok;
	struct tg_buf b = TG_BUF_INIT(4096);
	const char *d1;
	tok = sign_payload(k_p256, 0, NULL, NULL, "x", 1);
	/* two parts */
	d1 = strrchr(tok, '.');
	tg_buf_reset(&b);
	CHECK_OK(tg_buf_add(&b, tok, (size_t)(d1 - tok)));
	CHECK_ERR(vfy((const char *)b.data, p_p256, msg), TG_E_PARSE);
	CHECK(contains(msg, "has 2"));
	/* four parts, with an empty or a real fourth */
	tg_buf_reset(&b);
	CHECK_OK(tg_buf_addf(&b, "%s.", tok));
	CHECK_ERR(vfy((const char *)b.data, p_p256, msg), TG_E_PARSE);
	CHECK(contains(msg, "has 4"));
	tg_buf_reset(&b);
	CHECK_OK(tg_buf_addf(&b, "%s.e30", tok));
	CHECK_ERR(vfy((const char *)b.data, p_p256, msg), TG_E_PARSE);
	/* five parts (a JWE shape), one part, nothing */
	CHECK_ERR(vfy("a.b.c.d.e", p_p256, msg), TG_E_PARSE);
	CHECK_ERR(vfy("eyJhbGciOiJFUzI1NiJ9", p_p256, msg), TG_E_PARSE);
	CHECK_ERR(vfy("", p_p256, msg), TG_E_PARSE);
	CHECK_ERR(vfy("..", p_p256, msg), TG_E_PARSE);
	/* the JSON serialisation */
	CHECK_ERR(vfy("{\"payload\":\"eA\",\"protected\":\"e30\",\"signature\":\"AA\"}", p_p256,
		      msg),
		  TG_E_PARSE);
	CHECK(contains(msg, "JSON serialisation"));
	tg_buf_release(&b);
	free(tok);
}

/* ---- the header ---- */

TEST(header_rules)
{
	char msg[TG_DIAG_MSG_MAX], *tok;
	/* crit: we implement no extension, so any crit must fail */
	tok = craft(k_p256, TG_SIG_ES256, "{\"alg\":\"ES256\",\"crit\":[\"exp\"],\"exp\":1}", "x", 1);
	CHECK_ERR(vfy(tok, p_p256, msg), TG_E_UNSUPPORTED);
	CHECK(contains(msg, "crit"));
	free(tok);
	tok = craft(k_p256, TG_SIG_ES256, "{\"alg\":\"ES256\",\"crit\":[]}", "x", 1);
	CHECK_ERR(vfy(tok, p_p256, msg), TG_E_UNSUPPORTED);
	free(tok);
	/* RFC 7797 unencoded payload */
	tok = craft(k_p256, TG_SIG_ES256, "{\"alg\":\"ES256\",\"b64\":false,\"crit\":[\"b64\"]}", "x",
		    1);
	CHECK_ERR(vfy(tok, p_p256, msg), TG_E_UNSUPPORTED);
	free(tok);
	tok = craft(k_p256, TG_SIG_ES256, "{\"alg\":\"ES256\",\"b64\":false}", "x", 1);
	CHECK_ERR(vfy(tok, p_p256, msg), TG_E_UNSUPPORTED);
	CHECK(contains(msg, "b64"));
	free(tok);
	tok = craft(k_p256, TG_SIG_ES256, "{\"alg\":\"ES256\",\"b64\":\"false\"}", "x", 1);
	CHECK_ERR(vfy(tok, p_p256, msg), TG_E_PARSE);
	free(tok);
	tok = craft(k_p256, TG_SIG_ES256, "{\"alg\":\"ES256\",\"b64\":true}", "x", 1);
	CHECK_OK(vfy(tok, p_p256, msg));
	free(tok);
	/* not an object */
	tok = craft(k_p256, TG_SIG_ES256, "[\"alg\",\"ES256\"]", "x", 1);
	CHECK_ERR(vfy(tok, p_p256, msg), TG_E_PARSE);
	CHECK(contains(msg, "is a JSON array, not an object"));
	free(tok);
	tok = craft(k_p256, TG_SIG_ES256, "\"ES256\"", "x", 1);
	CHECK_ERR(vfy(tok, p_p256, msg), TG_E_PARSE);
	free(tok);
	/* not JSON, trailing data, invalid UTF-8 */
	tok = craft(k_p256, TG_SIG_ES256, "{\"alg\":\"ES256\"", "x", 1);
	CHECK_ERR(vfy(tok, p_p256, msg), TG_E_PARSE);
	free(tok);
	tok = craft(k_p256, TG_SIG_ES256, "{\"alg\":\"ES256\"}{}", "x", 1);
	CHECK_ERR(vfy(tok, p_p256, msg), TG_E_PARSE);
	free(tok);
	tok = craft(k_p256, TG_SIG_ES256, "{\"alg\":\"ES256\",\"x\":\"\xc3\x28\"}", "x", 1);
	CHECK_ERR(vfy(tok, p_p256, msg), TG_E_PARSE);
	free(tok);
	/* duplicate members, including the one that would smuggle none */
	tok = craft(k_p256, TG_SIG_ES256, "{\"alg\":\"ES256\",\"alg\":\"ES256\"}", "x", 1);
	CHECK_ERR(vfy(tok, p_p256, msg), TG_E_PARSE);
	CHECK(contains(msg, "duplicate"));
	free(tok);
	tok = craft(k_p256, TG_SIG_ES256, "{\"alg\":\"none\",\"alg\":\"ES256\"}", "x", 1);
	CHECK_ERR(vfy(tok, p_p256, msg), TG_E_PARSE);
	free(tok);
	tok = craft(k_p256, TG_SIG_ES256, "{\"alg\":\"ES256\",\"kid\":\"a\",\"kid\":\"p256-1\"}",
		    "x", 1);
	CHECK_ERR(vfy(tok, p_p256, msg), TG_E_PARSE);
	free(tok);
	/* JSON white space inside the header is fine (RFC 7515 A.1 has CRLF) */
	tok = craft(k_p256, TG_SIG_ES256, " {\r\n \"alg\" : \"ES256\" }\n", "x", 1);
	CHECK_OK(vfy(tok, p_p256, msg));
	free(tok);
	/* typ and cty must be strings when present */
	tok = craft(k_p256, TG_SIG_ES256, "{\"alg\":\"ES256\",\"typ\":1}", "x", 1);
	CHECK_ERR(vfy(tok, p_p256, msg), TG_E_PARSE);
	free(tok);
}

TEST(limits)
{
	char msg[TG_DIAG_MSG_MAX], *tok;
	struct tg_buf hdr = TG_BUF_INIT(1 << 20);
	struct tg_jws j;
	struct tg_diag d;
	uint8_t *big = tg_xcalloc(1, TG_LIMIT_JWS + 16);
	size_t n;

	/* the largest payload that fits verifies */
	n = (TG_LIMIT_JWS - 400) / 4 * 3;
	tok = sign_payload(k_p256, 0, NULL, NULL, big, n);
	CHECK(strlen(tok) <= TG_LIMIT_JWS);
	CHECK_OK(vfy(tok, p_p256, msg));
	free(tok);
	/* an oversized token is refused before anything else */
	memset(big, 'A', TG_LIMIT_JWS + 1);
	big[10] = '.';
	big[20] = '.';
	tg_diag_init(&d);
	CHECK_ERR(tg_jws_verify((const char *)big, TG_LIMIT_JWS + 1,
				(const struct tg_key *const *)&p_p256, 1, &arena, &j, &d),
		  TG_E_TOOBIG);
	CHECK(contains(d.msg, "larger than"));
	/* an oversized header */
	CHECK_OK(tg_buf_adds(&hdr, "{\"alg\":\"ES256\",\"x\":\""));
	memset(big, 'a', TG_LIMIT_JWS_HEADER);
	CHECK_OK(tg_buf_add(&hdr, big, TG_LIMIT_JWS_HEADER));
	CHECK_OK(tg_buf_adds(&hdr, "\"}"));
	tok = craft(k_p256, TG_SIG_ES256, (const char *)hdr.data, "x", 1);
	CHECK_ERR(vfy(tok, p_p256, msg), TG_E_TOOBIG);
	free(tok);
	/* a deeply nested header */
	tg_buf_reset(&hdr);
	CHECK_OK(tg_buf_adds(&hdr, "{\"alg\":\"ES256\",\"x\":"));
	for (n = 0; n < 1000; n++)
		CHECK_OK(tg_buf_addc(&hdr, '['));
	for (n = 0; n < 1000; n++)
		CHECK_OK(tg_buf_addc(&hdr, ']'));
	CHECK_OK(tg_buf_adds(&hdr, "}"));
	tok = craft(k_p256, TG_SIG_ES256, (const char *)hdr.data, "x", 1);
	CHECK_ERR(vfy(tok, p_p256, msg), TG_E_PARSE);
	free(tok);
	/* an absurd signature */
	tok = sign_payload(k_p256, 0, NULL, NULL, "x", 1);
	{
		struct tg_buf b = TG_BUF_INIT(1 << 20);
		char *s = part(tok, 2);
		memset(big, 'A', 4000);
		big[4000] = 0;
		CHECK_OK(tg_buf_addf(&b, "%.*s%s", (int)(strlen(tok) - strlen(s)), tok, (char *)big));
		CHECK_ERR(vfy((const char *)b.data, p_p256, msg), TG_E_VERIFY);
		tg_buf_release(&b);
		free(s);
	}
	free(tok);
	/* the arena's cap holds */
	{
		struct tg_arena small;
		tok = sign_payload(k_p256, 0, NULL, NULL, big, 4000);
		tg_arena_init(&small, 64);
		tg_diag_init(&d);
		CHECK_ERR(tg_jws_verify(tok, strlen(tok), (const struct tg_key *const *)&p_p256, 1,
					&small, &j, &d),
			  TG_E_TOOBIG);
		tg_arena_release(&small);
		free(tok);
	}
	tg_buf_release(&hdr);
	free(big);
}

/* ---- JWT claims ---- */

static struct tg_jwt_check base_check(void)
{
	struct tg_jwt_check c;
	memset(&c, 0, sizeof(c));
	c.now.sec = NOW;
	c.skew = 60;
	c.iss = "https://issuer.example";
	c.aud = "tollgate";
	return c;
}

static char *jwt_raw(const char *claims_text)
{
	return sign_payload(k_p256, 0, "JWT", NULL, claims_text, strlen(claims_text));
}

static tg_err jwt(const char *tok, const struct tg_jwt_check *c, char *msg)
{
	const struct tg_json *claims = NULL;
	struct tg_jws j;
	struct tg_diag d;
	tg_err r;
	tg_diag_init(&d);
	r = tg_jwt_verify(tok, strlen(tok), (const struct tg_key *const *)&p_p256, 1, c, &arena,
			  &claims, &j, &d);
	snprintf(msg, TG_DIAG_MSG_MAX, "%s", d.msg);
	CHECK(r == TG_OK || d.msg[0] != '\0');
	if (r == TG_OK && (!claims || claims->type != TG_JSON_OBJECT))
		return TG_E_INTERNAL;
	return r;
}

static tg_err claims_case(const char *claims_text, const struct tg_jwt_check *c, char *msg)
{
	char *tok = jwt_raw(claims_text);
	tg_err r = jwt(tok, c, msg);
	free(tok);
	return r;
}

#define ISS "\"iss\":\"https://issuer.example\""

TEST(jwt_valid)
{
	struct tg_jwt_check c = base_check();
	struct tg_buf out = TG_BUF_INIT(TG_LIMIT_JWS);
	const struct tg_json *claims = NULL;
	struct tg_jws j;
	struct tg_diag d;
	char msg[TG_DIAG_MSG_MAX];

	/* signed by tg_jwt_sign, header typ JWT */
	CHECK_OK(tg_jwt_sign(k_p256, 0,
			     json("{" ISS ",\"aud\":\"tollgate\",\"exp\":1767229200,"
				  "\"nbf\":1767225000,\"iat\":1767225000,\"sub\":\"ci\"}"),
			     &out));
	c.typ = "jwt";
	c.require_iat = true;
	c.max_age = 3600;
	tg_diag_init(&d);
	CHECK_OK(tg_jwt_verify((const char *)out.data, out.len,
			       (const struct tg_key *const *)&p_p256, 1, &c, &arena, &claims, &j,
			       &d));
	CHECK(tg_json_str_eq(tg_json_get(claims, "sub"), "ci"));
	CHECK(tg_json_str_eq(tg_json_get(j.header, "typ"), "JWT"));
	/* NULL jws pointer is allowed */
	CHECK_OK(tg_jwt_verify((const char *)out.data, out.len,
			       (const struct tg_key *const *)&p_p256, 1, &c, &arena, &claims, NULL,
			       &d));
	tg_buf_release(&out);
	/* aud as an array, decimal dates, exponent dates */
	c = base_check();
	CHECK_OK(claims_case("{" ISS ",\"aud\":[\"x\",\"tollgate\"],\"exp\":1767225600.5}", &c, msg));
	CHECK_OK(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":1.7672256005e9}", &c, msg));
	CHECK_OK(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":1e30}", &c, msg));
	/* unchecked fields */
	c.iss = NULL;
	c.aud = NULL;
	CHECK_OK(claims_case("{\"exp\":1767229200}", &c, msg));
	c.allow_no_exp = true;
	CHECK_OK(claims_case("{}", &c, msg));
	/* typ: "application/" prefix and case do not matter */
	c.typ = "JWT";
	{
		char *tok = sign_payload(k_p256, 0, "application/jwt", NULL, "{}", 2);
		CHECK_OK(jwt(tok, &c, msg));
		free(tok);
	}
}

TEST(jwt_times)
{
	struct tg_jwt_check c = base_check();
	char msg[TG_DIAG_MSG_MAX];
	/* exp: valid while now < exp + skew */
	CHECK_ERR(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":1767225540}", &c, msg),
		  TG_E_EXPIRED);
	CHECK_STR(msg, "token expired at 2025-12-31T23:59:00Z (now 2026-01-01T00:00:00Z, skew 60s)");
	CHECK_OK(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":1767225541}", &c, msg));
	CHECK_OK(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":1767225540.999}", &c, msg));
	CHECK_ERR(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":1767225539.999}", &c, msg),
		  TG_E_EXPIRED);
	CHECK_OK(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":1767225540.000000001}", &c, msg));
	CHECK_ERR(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":-1}", &c, msg), TG_E_EXPIRED);
	CHECK_ERR(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":1e-400}", &c, msg),
		  TG_E_EXPIRED);
	c.skew = 0;
	CHECK_ERR(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":1767225600}", &c, msg),
		  TG_E_EXPIRED);
	c.now.nsec = 1;
	CHECK_ERR(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":1767225600.000000001}", &c, msg),
		  TG_E_EXPIRED);
	CHECK_OK(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":1767225600.000000002}", &c, msg));
	c = base_check();
	/* missing exp, exp not a number */
	CHECK_ERR(claims_case("{" ISS ",\"aud\":\"tollgate\"}", &c, msg), TG_E_CLAIM);
	CHECK(contains(msg, "no 'exp'"));
	CHECK_ERR(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":\"1767229200\"}", &c, msg),
		  TG_E_CLAIM);
	CHECK_STR(msg, "claim 'exp' is a JSON string, not a number");
	CHECK_ERR(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":null}", &c, msg), TG_E_CLAIM);
	CHECK_ERR(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":true}", &c, msg), TG_E_CLAIM);
	CHECK_ERR(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":[1767229200]}", &c, msg),
		  TG_E_CLAIM);
	/* nbf: valid from nbf - skew */
	CHECK_ERR(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":1767229200,\"nbf\":1767225661}",
			      &c, msg),
		  TG_E_NOTYET);
	CHECK_STR(msg,
		  "token not valid before 2026-01-01T00:01:01Z (now 2026-01-01T00:00:00Z, skew 60s)");
	CHECK_OK(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":1767229200,\"nbf\":1767225660}",
			     &c, msg));
	CHECK_ERR(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":1767229200,\"nbf\":\"0\"}", &c,
			      msg),
		  TG_E_CLAIM);
	/* iat in the future */
	CHECK_ERR(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":1767229200,\"iat\":1767225661}",
			      &c, msg),
		  TG_E_CLAIM);
	CHECK(contains(msg, "issued in the future at 2026-01-01T00:01:01Z"));
	CHECK_OK(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":1767229200,\"iat\":1767225660}",
			     &c, msg));
	/* too old for max_age (with the skew) */
	c.max_age = 600;
	CHECK_ERR(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":1767229200,\"iat\":1767224939}",
			      &c, msg),
		  TG_E_CLAIM);
	CHECK(contains(msg, "is older than 600s"));
	CHECK_OK(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":1767229200,\"iat\":1767224940}",
			     &c, msg));
	/* max_age and require_iat need an iat */
	CHECK_ERR(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":1767229200}", &c, msg),
		  TG_E_CLAIM);
	CHECK(contains(msg, "no 'iat'"));
	c.max_age = 0;
	c.require_iat = true;
	CHECK_ERR(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":1767229200}", &c, msg),
		  TG_E_CLAIM);
	/* the skew has a ceiling, and the check struct is required */
	c = base_check();
	c.skew = TG_LIMIT_JWT_SKEW_MAX + 1;
	CHECK_ERR(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":1767229200}", &c, msg),
		  TG_E_INVAL);
	c.skew = -1;
	CHECK_ERR(claims_case("{" ISS ",\"aud\":\"tollgate\",\"exp\":1767229200}", &c, msg),
		  TG_E_INVAL);
	{
		const struct tg_json *claims = NULL;
		char *tok = jwt_raw("{\"exp\":1767229200}");
		CHECK_ERR(tg_jwt_verify(tok, strlen(tok), (const struct tg_key *const *)&p_p256, 1,
					NULL, &arena, &claims, NULL, NULL),
			  TG_E_INVAL);
		CHECK(claims == NULL);
		free(tok);
	}
}

TEST(jwt_identity)
{
	struct tg_jwt_check c = base_check();
	char msg[TG_DIAG_MSG_MAX];
	/* aud */
	CHECK_ERR(claims_case("{" ISS ",\"aud\":\"other\",\"exp\":1767229200}", &c, msg), TG_E_CLAIM);
	CHECK_STR(msg, "audience 'tollgate' is not the token audience 'other'");
	CHECK_ERR(claims_case("{" ISS ",\"aud\":[\"a\",\"b\"],\"exp\":1767229200}", &c, msg),
		  TG_E_CLAIM);
	CHECK_STR(msg, "audience 'tollgate' not in token audience ['a', 'b']");
	CHECK_ERR(claims_case("{" ISS ",\"aud\":[],\"exp\":1767229200}", &c, msg), TG_E_CLAIM);
	CHECK_ERR(claims_case("{" ISS ",\"exp\":1767229200}", &c, msg), TG_E_CLAIM);
	CHECK(contains(msg, "no 'aud'"));
	CHECK_ERR(claims_case("{" ISS ",\"aud\":\"Tollgate\",\"exp\":1767229200}", &c, msg),
		  TG_E_CLAIM);
	CHECK_ERR(claims_case("{" ISS ",\"aud\":\"tollgate\\u0000\",\"exp\":1767229200}", &c, msg),
		  TG_E_CLAIM);
	CHECK_ERR(claims_case("{" ISS ",\"aud\":[\"tollgate\",7],\"exp\":1767229200}", &c, msg),
		  TG_E_CLAIM);
	CHECK_ERR(claims_case("{" ISS ",\"aud\":{\"tollgate\":1},\"exp\":1767229200}", &c, msg),
		  TG_E_CLAIM);
	/* iss */
	CHECK_ERR(claims_case("{\"iss\":\"https://evil.example\",\"aud\":\"tollgate\","
			      "\"exp\":1767229200}",
			      &c, msg),
		  TG_E_CLAIM);
	CHECK_STR(msg, "issuer 'https://evil.example' is not 'https://issuer.example'");
	CHECK_ERR(claims_case("{\"iss\":\"https://issuer.example/\",\"aud\":\"tollgate\","
			      "\"exp\":1767229200}",
			      &c, msg),
		  TG_E_CLAIM);
	CHECK_ERR(claims_case("{\"aud\":\"tollgate\",\"exp\":1767229200}", &c, msg), TG_E_CLAIM);
	CHECK_ERR(claims_case("{\"iss\":[\"https://issuer.example\"],\"aud\":\"tollgate\","
			      "\"exp\":1767229200}",
			      &c, msg),
		  TG_E_CLAIM);
	CHECK_ERR(claims_case("{" ISS ",\"sub\":5,\"aud\":\"tollgate\",\"exp\":1767229200}", &c, msg),
		  TG_E_CLAIM);
	/* typ */
	c.typ = "JWT";
	{
		char *tok = sign_payload(k_p256, 0, "at+jwt", NULL, "{}", 2);
		CHECK_ERR(jwt(tok, &c, msg), TG_E_CLAIM);
		CHECK_STR(msg, "token type 'at+jwt' is not 'JWT'");
		free(tok);
		tok = sign_payload(k_p256, 0, NULL, NULL, "{}", 2);
		CHECK_ERR(jwt(tok, &c, msg), TG_E_CLAIM);
		free(tok);
		tok = sign_payload(k_p256, 0, "application/jwt/x", NULL, "{}", 2);
		CHECK_ERR(jwt(tok, &c, msg), TG_E_CLAIM);
		free(tok);
	}
}

TEST(jwt_payload_shape)
{
	struct tg_jwt_check c = base_check();
	char msg[TG_DIAG_MSG_MAX];
	c.iss = NULL;
	c.aud = NULL;
	c.allow_no_exp = true;
	CHECK_ERR(claims_case("[1,2]", &c, msg), TG_E_CLAIM);
	CHECK(contains(msg, "not an object"));
	CHECK_ERR(claims_case("\"eyJhbGciOiJFUzI1NiJ9.e30.AA\"", &c, msg), TG_E_CLAIM);
	CHECK_ERR(claims_case("not json", &c, msg), TG_E_PARSE);
	CHECK_ERR(claims_case("{\"exp\":1,\"exp\":9999999999}", &c, msg), TG_E_PARSE);
	CHECK(contains(msg, "duplicate"));
	CHECK_ERR(claims_case("{} ", &c, msg), TG_OK);
	CHECK_ERR(claims_case("{}x", &c, msg), TG_E_PARSE);
	CHECK_ERR(claims_case("", &c, msg), TG_E_PARSE);
	/* a bad signature is reported before any claim */
	{
		char *tok = jwt_raw("{\"exp\":1}"), *bad = replace_part(tok, 2, "AAAA");
		CHECK_ERR(jwt(bad, &c, msg), TG_E_VERIFY);
		free(bad);
		free(tok);
	}
}

/* ---- RFC examples ---- */

static const char rfc7515_payload[] =
	"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";

TEST(rfc7515_a3_es256)
{
	char msg[TG_DIAG_MSG_MAX];
	struct tg_jws j;
	struct tg_jwt_check c;
	const struct tg_json *claims;
	struct tg_diag d;
	char tok[512];
	struct tg_key *k = jwk("{\"kty\":\"EC\",\"crv\":\"P-256\","
			       "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
			       "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
			       0);
	snprintf(tok, sizeof(tok), "eyJhbGciOiJFUzI1NiJ9.%s.%s", rfc7515_payload,
		 "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q");
	CHECK_OK(vfy_keys(tok, (const struct tg_key *const *)&k, 1, &j, msg));
	CHECK(j.alg == TG_SIG_ES256);
	CHECK(j.payload_len == 70 && memcmp(j.payload, "{\"iss\":\"joe\",\r\n \"exp\":1300819380,", 33) == 0);
	/* as a JWT: valid in 2011, expired since */
	memset(&c, 0, sizeof(c));
	c.iss = "joe";
	c.now.sec = 1300819379;
	tg_diag_init(&d);
	CHECK_OK(tg_jwt_verify(tok, strlen(tok), (const struct tg_key *const *)&k, 1, &c, &arena,
			       &claims, NULL, &d));
	CHECK(tg_json_get(claims, "http://example.com/is_root") != NULL &&
	      tg_json_get(claims, "http://example.com/is_root")->type == TG_JSON_BOOL &&
	      tg_json_get(claims, "http://example.com/is_root")->u.b);
	c.now.sec = NOW;
	CHECK_ERR(tg_jwt_verify(tok, strlen(tok), (const struct tg_key *const *)&k, 1, &c, &arena,
				&claims, NULL, &d),
		  TG_E_EXPIRED);
	CHECK(contains(d.msg, "token expired at 2011-03-22T18:43:00Z"));
	/* a changed last character leaves non-zero unused bits: not base64url */
	tok[strlen(tok) - 1] = 'R';
	CHECK_ERR(vfy(tok, k, msg), TG_E_PARSE);
	tok[strlen(tok) - 1] = 'Q';
	/* a changed signature byte */
	tok[strlen(tok) - 10] = tok[strlen(tok) - 10] == 'A' ? 'B' : 'A';
	CHECK_ERR(vfy(tok, k, msg), TG_E_VERIFY);
	tg_key_free(k);
}

TEST(rfc7515_a2_rs256)
{
	char msg[TG_DIAG_MSG_MAX];
	struct tg_jws j;
	char tok[1024];
	struct tg_key *k = jwk(
		"{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0"
		"l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b3"
		"2690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2C"
		"apHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2"
		"ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ\"}",
		0);
	snprintf(tok, sizeof(tok), "eyJhbGciOiJSUzI1NiJ9.%s.%s", rfc7515_payload,
		 "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt"
		 "_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArL"
		 "IARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7no"
		 "OPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQ"
		 "Ge77Rw");
	CHECK_OK(vfy_keys(tok, (const struct tg_key *const *)&k, 1, &j, msg));
	CHECK(j.alg == TG_SIG_RS256 && j.payload_len == 70);
	/* relabelled as PS256 or RS384 it must fail */
	{
		char *bad = replace_part(tok, 0, "eyJhbGciOiJQUzI1NiJ9"); /* {"alg":"PS256"} */
		CHECK_ERR(vfy(bad, k, msg), TG_E_VERIFY);
		free(bad);
	}
	tg_key_free(k);
}

TEST(rfc8037_a4_ed25519)
{
	char msg[TG_DIAG_MSG_MAX];
	struct tg_jws j;
	static const char tok[] =
		"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
		"hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
	struct tg_key *pub = jwk("{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
				 "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
				 0);
	struct tg_key *priv = jwk("{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
				  "\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\","
				  "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
				  TG_JWK_ALLOW_PRIVATE);
	char *mine;
	CHECK_OK(vfy_keys(tok, (const struct tg_key *const *)&pub, 1, &j, msg));
	CHECK(j.alg == TG_SIG_EDDSA);
	CHECK(j.payload_len == 26 && memcmp(j.payload, "Example of Ed25519 signing", 26) == 0);
	/* Ed25519 is deterministic: signing reproduces the RFC token exactly */
	mine = sign_payload(priv, 0, NULL, NULL, "Example of Ed25519 signing", 26);
	CHECK_STR(mine, tok);
	free(mine);
	tg_key_free(pub);
	tg_key_free(priv);
}

int main(void)
{
	tg_arena_init(&arena, 256 * TG_MIB);
	keys_init();
	RUN(round_trips);
	RUN(header_form);
	RUN(empty_payload);
	RUN(sign_rejects);
	RUN(alg_none);
	RUN(algorithm_confusion);
	RUN(alg_mismatch);
	RUN(pinned_key);
	RUN(kid_selection);
	RUN(tampering);
	RUN(strict_base64url);
	RUN(part_count);
	RUN(header_rules);
	RUN(limits);
	RUN(jwt_valid);
	RUN(jwt_times);
	RUN(jwt_identity);
	RUN(jwt_payload_shape);
	RUN(rfc7515_a3_es256);
	RUN(rfc7515_a2_rs256);
	RUN(rfc8037_a4_ed25519);
	keys_free();
	tg_arena_release(&arena);
	return tg_test_done();
}
