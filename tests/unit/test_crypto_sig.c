/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_crypto_sig.c - signatures: algorithm names, the key/algorithm check,
 * sign/verify round trips for every key type and algorithm, tampering,
 * strict ECDSA encodings, the digest entry points and known answers.
 */
#include "tg_test.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "core/arena.h"
#include "core/codec.h"
#include "core/json.h"
#include "core/mem.h"
#include "crypto/crypto.h"
#include "crypto/crypto_internal.h"

static const char msg[] = "tollgate signs what it has rebuilt";

/* Every algorithm, in enum order. */
static const enum tg_sig_alg all_algs[] = {
	TG_SIG_EDDSA, TG_SIG_ES256, TG_SIG_ES384, TG_SIG_ES512, TG_SIG_RS256,
	TG_SIG_RS384, TG_SIG_RS512, TG_SIG_PS256, TG_SIG_PS384, TG_SIG_PS512,
	TG_SIG_HS256, TG_SIG_HS384, TG_SIG_HS512,
};

static struct tg_key *gen(enum tg_key_type t, unsigned bits)
{
	struct tg_key *k = NULL;
	if (tg_key_generate(t, bits, &k) != TG_OK) {
		fprintf(stderr, "cannot generate a %s key\n", tg_key_type_name(t));
		exit(2);
	}
	return k;
}

/* Parses JSON text into a (an arena the caller releases). */
static const struct tg_json *json(struct tg_arena *a, const char *text)
{
	const struct tg_json *v = NULL;
	if (tg_json_parse(a, text, strlen(text), NULL, &v, NULL, NULL) != TG_OK) {
		fprintf(stderr, "bad test JSON: %s\n", text);
		exit(2);
	}
	return v;
}

/* An HMAC key of n bytes 0, 1, 2, ... through a JWK, optionally pinned. */
static struct tg_key *hmac_key(size_t n, const char *alg)
{
	struct tg_arena a;
	struct tg_buf t = TG_BUF_INIT(4096), k = TG_BUF_INIT(4096);
	struct tg_key *key = NULL;
	size_t i;
	tg_err r;
	tg_arena_init(&a, 1 << 20);
	for (i = 0; i < n; i++)
		if (tg_buf_addc(&k, (uint8_t)i) != TG_OK)
			exit(2);
	if (tg_buf_adds(&t, "{\"kty\":\"oct\",\"k\":\"") != TG_OK ||
	    tg_b64_encode(&t, k.data, k.len, TG_B64_URL) != TG_OK ||
	    tg_buf_addf(&t, "\"%s%s%s}", alg ? ",\"alg\":\"" : "", alg ? alg : "",
			alg ? "\"" : "") != TG_OK)
		exit(2);
	r = tg_key_from_jwk(json(&a, tg_buf_str(&t)), TG_JWK_ALLOW_HMAC, &key, NULL);
	tg_buf_release(&t);
	tg_buf_release(&k);
	tg_arena_release(&a);
	return r == TG_OK ? key : NULL;
}

TEST(alg_names)
{
	enum tg_sig_alg a = TG_SIG_NONE;
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(all_algs); i++) {
		const char *name = tg_sig_alg_name(all_algs[i]);
		CHECK_OK(tg_sig_alg_from_name(name, strlen(name), &a));
		CHECK(a == all_algs[i]);
	}
	CHECK_STR(tg_sig_alg_name(TG_SIG_NONE), "none");
	CHECK_STR(tg_sig_alg_name(TG_SIG_EDDSA), "EdDSA");
	CHECK_STR(tg_sig_alg_name(TG_SIG_PS384), "PS384");
	CHECK_ERR(tg_sig_alg_from_name("none", 4, &a), TG_E_ALG);
	CHECK_ERR(tg_sig_alg_from_name("None", 4, &a), TG_E_ALG);
	CHECK_ERR(tg_sig_alg_from_name("es256", 5, &a), TG_E_ALG);
	CHECK_ERR(tg_sig_alg_from_name("ES521", 5, &a), TG_E_ALG);
	CHECK_ERR(tg_sig_alg_from_name("Ed25519", 7, &a), TG_E_ALG);
	CHECK_ERR(tg_sig_alg_from_name("ES25", 4, &a), TG_E_ALG);
	CHECK_ERR(tg_sig_alg_from_name("ES256\0", 6, &a), TG_E_ALG);
	CHECK_ERR(tg_sig_alg_from_name("ES256 ", 6, &a), TG_E_ALG);
	CHECK_ERR(tg_sig_alg_from_name("", 0, &a), TG_E_ALG);
	CHECK_ERR(tg_sig_alg_from_name(NULL, 0, &a), TG_E_ALG);
	CHECK(tg_sig_alg_hash(TG_SIG_EDDSA) == TG_SHA512);
	CHECK(tg_sig_alg_hash(TG_SIG_ES384) == TG_SHA384);
	CHECK(tg_sig_alg_hash(TG_SIG_ES512) == TG_SHA512);
	CHECK(tg_sig_alg_hash(TG_SIG_PS256) == TG_SHA256);
	CHECK(tg_sig_alg_hash(TG_SIG_HS384) == TG_SHA384);
	CHECK(tg_sig_alg_hash(TG_SIG_NONE) == TG_HASH_NONE);
}

/* Which algorithms each key type allows: the anti-confusion table. */
static bool allowed(enum tg_key_type t, enum tg_sig_alg a)
{
	switch (t) {
	case TG_KEY_ED25519:
		return a == TG_SIG_EDDSA;
	case TG_KEY_EC_P256:
		return a == TG_SIG_ES256;
	case TG_KEY_EC_P384:
		return a == TG_SIG_ES384;
	case TG_KEY_EC_P521:
		return a == TG_SIG_ES512;
	case TG_KEY_RSA:
		return a >= TG_SIG_RS256 && a <= TG_SIG_PS512;
	case TG_KEY_HMAC:
		return a >= TG_SIG_HS256 && a <= TG_SIG_HS512;
	default:
		return false;
	}
}

/* Signs and verifies with every allowed algorithm and format; tampering
 * of message or signature fails; every other algorithm is TG_E_ALG. */
static void round_trips(struct tg_key *k)
{
	struct tg_key *pub = NULL;
	size_t i;
	int f;
	if (k->type != TG_KEY_HMAC)
		CHECK_OK(tg_key_public(k, &pub));
	else
		pub = tg_key_ref(k);
	for (i = 0; i < TG_ARRAY_LEN(all_algs); i++) {
		enum tg_sig_alg a = all_algs[i];
		for (f = 0; f < 2; f++) {
			struct tg_buf sig = TG_BUF_INIT(4096);
			enum tg_sig_format fmt = f ? TG_SIG_FORMAT_RAW : TG_SIG_FORMAT_DER;
			if (!allowed(k->type, a)) {
				CHECK_ERR(tg_key_check_alg(k, a), TG_E_ALG);
				CHECK_ERR(tg_sign(k, a, fmt, msg, sizeof(msg), &sig), TG_E_ALG);
				CHECK(sig.len == 0);
				CHECK_ERR(tg_verify(pub, a, fmt, msg, sizeof(msg), "0123456789", 10),
					  TG_E_ALG);
				continue;
			}
			CHECK_OK(tg_key_check_alg(k, a));
			CHECK_OK(tg_sign(k, a, fmt, msg, sizeof(msg), &sig));
			CHECK_OK(tg_verify(pub, a, fmt, msg, sizeof(msg), sig.data, sig.len));
			CHECK_OK(tg_verify(k, a, fmt, msg, sizeof(msg), sig.data, sig.len));
			if (a >= TG_SIG_ES256 && a <= TG_SIG_ES512 && fmt == TG_SIG_FORMAT_RAW) {
				size_t fb = a == TG_SIG_ES256 ? 32 : a == TG_SIG_ES384 ? 48 : 66;
				CHECK(sig.len == 2 * fb);
				/* the other format does not verify */
				CHECK_ERR(tg_verify(pub, a, TG_SIG_FORMAT_DER, msg, sizeof(msg),
						    sig.data, sig.len),
					  TG_E_VERIFY);
			}
			/* tampered message */
			CHECK_ERR(tg_verify(pub, a, fmt, msg, sizeof(msg) - 1, sig.data, sig.len),
				  TG_E_VERIFY);
			/* tampered signature: a bit in the middle and in the last byte */
			sig.data[sig.len / 2] ^= 0x10;
			CHECK_ERR(tg_verify(pub, a, fmt, msg, sizeof(msg), sig.data, sig.len),
				  TG_E_VERIFY);
			sig.data[sig.len / 2] ^= 0x10;
			sig.data[sig.len - 1] ^= 0x01;
			CHECK_ERR(tg_verify(pub, a, fmt, msg, sizeof(msg), sig.data, sig.len),
				  TG_E_VERIFY);
			sig.data[sig.len - 1] ^= 0x01;
			/* truncated, extended, empty */
			CHECK_ERR(tg_verify(pub, a, fmt, msg, sizeof(msg), sig.data, sig.len - 1),
				  TG_E_VERIFY);
			CHECK_OK(tg_buf_addc(&sig, 0));
			CHECK_ERR(tg_verify(pub, a, fmt, msg, sizeof(msg), sig.data, sig.len),
				  TG_E_VERIFY);
			CHECK_ERR(tg_verify(pub, a, fmt, msg, sizeof(msg), sig.data, 0), TG_E_VERIFY);
			CHECK_ERR(tg_verify(pub, a, fmt, msg, sizeof(msg), NULL, 0), TG_E_VERIFY);
			/* an empty message signs and verifies */
			tg_buf_reset(&sig);
			CHECK_OK(tg_sign(k, a, fmt, NULL, 0, &sig));
			CHECK_OK(tg_verify(pub, a, fmt, NULL, 0, sig.data, sig.len));
			CHECK(ERR_peek_error() == 0);
			/* a public key cannot sign */
			if (k->type != TG_KEY_HMAC) {
				size_t before = sig.len;
				CHECK_ERR(tg_sign(pub, a, fmt, msg, sizeof(msg), &sig), TG_E_KEY);
				CHECK(sig.len == before);
			}
			tg_buf_release(&sig);
		}
	}
	CHECK_ERR(tg_key_check_alg(k, TG_SIG_NONE), TG_E_ALG);
	CHECK_ERR(tg_verify(pub, TG_SIG_NONE, TG_SIG_FORMAT_DER, msg, sizeof(msg), "", 0),
		  TG_E_ALG);
	tg_key_free(pub);
}

TEST(round_trip_every_type)
{
	static const struct {
		enum tg_key_type t;
		unsigned bits;
	} types[] = {{TG_KEY_ED25519, 0}, {TG_KEY_EC_P256, 0}, {TG_KEY_EC_P384, 0},
		     {TG_KEY_EC_P521, 0}, {TG_KEY_RSA, 2048}};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(types); i++) {
		struct tg_key *k = gen(types[i].t, types[i].bits);
		round_trips(k);
		tg_key_free(k);
	}
}

TEST(hmac)
{
	struct tg_key *k64 = hmac_key(64, NULL), *k32 = hmac_key(32, NULL);
	struct tg_key *k48 = hmac_key(48, "HS384");
	struct tg_buf sig = TG_BUF_INIT(256);
	uint8_t mac[32];
	CHECK(k64 && k32 && k48);
	if (!k64 || !k32 || !k48)
		return;
	round_trips(k64);
	CHECK(tg_key_default_alg(k64) == TG_SIG_HS256);
	/* RFC 7518 3.2: the key must be at least as long as the hash output */
	CHECK_OK(tg_key_check_alg(k32, TG_SIG_HS256));
	CHECK_ERR(tg_key_check_alg(k32, TG_SIG_HS384), TG_E_ALG);
	CHECK_ERR(tg_key_check_alg(k32, TG_SIG_HS512), TG_E_ALG);
	/* the pinned HS384 key does nothing else */
	CHECK(tg_key_default_alg(k48) == TG_SIG_HS384);
	CHECK_ERR(tg_key_check_alg(k48, TG_SIG_HS256), TG_E_ALG);
	CHECK_ERR(tg_key_check_alg(k48, TG_SIG_HS512), TG_E_ALG);
	/* the MAC is HMAC-SHA-256 of the message under the key bytes */
	CHECK_OK(tg_sign(k32, TG_SIG_HS256, TG_SIG_FORMAT_DER, msg, sizeof(msg), &sig));
	CHECK_OK(tg_hmac(TG_SHA256, k32->secret->p, 32, msg, sizeof(msg), mac));
	CHECK(sig.len == 32);
	if (sig.len == 32)
		CHECK_MEM(sig.data, mac, 32);
	/* a truncated MAC is no MAC */
	CHECK_ERR(tg_verify(k32, TG_SIG_HS256, TG_SIG_FORMAT_DER, msg, sizeof(msg), mac, 16),
		  TG_E_VERIFY);
	/* digests are for asymmetric keys only */
	CHECK_ERR(tg_sign_digest(k32, TG_SIG_HS256, TG_SIG_FORMAT_DER, mac, 32, &sig), TG_E_ALG);
	CHECK_ERR(tg_verify_digest(k32, TG_SIG_HS256, TG_SIG_FORMAT_DER, mac, 32, mac, 32),
		  TG_E_ALG);
	tg_buf_release(&sig);
	tg_key_free(k64);
	tg_key_free(k32);
	tg_key_free(k48);
}

/* The classic confusion: HS256 "signed" with the RSA public key's bytes as
 * the HMAC secret must not verify against the RSA key, whatever alg says. */
TEST(hs256_with_rsa_public_key_bytes)
{
	struct tg_key *k = gen(TG_KEY_RSA, 2048), *pub = NULL;
	struct tg_buf pem = TG_BUF_INIT(1 << 16), der = TG_BUF_INIT(1 << 16);
	uint8_t mac[TG_HASH_MAX];
	size_t i;
	CHECK_OK(tg_key_public(k, &pub));
	CHECK_OK(tg_key_to_pem(pub, false, &pem));
	CHECK_OK(tg_key_to_spki_der(pub, &der));
	for (i = TG_SIG_HS256; i <= TG_SIG_HS512; i++) {
		enum tg_sig_alg a = (enum tg_sig_alg)i;
		enum tg_hash_alg h = tg_sig_alg_hash(a);
		CHECK_OK(tg_hmac(h, pem.data, pem.len, msg, sizeof(msg), mac));
		CHECK_ERR(tg_verify(pub, a, TG_SIG_FORMAT_DER, msg, sizeof(msg), mac,
				    tg_hash_len(h)),
			  TG_E_ALG);
		CHECK_OK(tg_hmac(h, der.data, der.len, msg, sizeof(msg), mac));
		CHECK_ERR(tg_verify(pub, a, TG_SIG_FORMAT_DER, msg, sizeof(msg), mac,
				    tg_hash_len(h)),
			  TG_E_ALG);
		CHECK_ERR(tg_verify(k, a, TG_SIG_FORMAT_DER, msg, sizeof(msg), mac, tg_hash_len(h)),
			  TG_E_ALG);
	}
	tg_buf_release(&pem);
	tg_buf_release(&der);
	tg_key_free(pub);
	tg_key_free(k);
}

TEST(default_and_pinned_alg)
{
	struct tg_key *ed = gen(TG_KEY_ED25519, 0), *p384 = gen(TG_KEY_EC_P384, 0);
	struct tg_key *p521 = gen(TG_KEY_EC_P521, 0), *rsa = gen(TG_KEY_RSA, 2048);
	struct tg_key *pinned = NULL;
	struct tg_buf sig = TG_BUF_INIT(1024);
	CHECK(tg_key_default_alg(ed) == TG_SIG_EDDSA);
	CHECK(tg_key_default_alg(p384) == TG_SIG_ES384);
	CHECK(tg_key_default_alg(p521) == TG_SIG_ES512);
	CHECK(tg_key_default_alg(rsa) == TG_SIG_PS256);
	/* a pinned algorithm (JWK "alg") is the only one */
	CHECK_OK(tg_key_with_kid(rsa, "k1", &pinned));
	pinned->pinned = TG_SIG_RS384;
	CHECK(tg_key_default_alg(pinned) == TG_SIG_RS384);
	CHECK_OK(tg_key_check_alg(pinned, TG_SIG_RS384));
	CHECK_ERR(tg_key_check_alg(pinned, TG_SIG_RS256), TG_E_ALG);
	CHECK_ERR(tg_key_check_alg(pinned, TG_SIG_PS384), TG_E_ALG);
	CHECK_OK(tg_sign(rsa, TG_SIG_PS384, TG_SIG_FORMAT_DER, msg, sizeof(msg), &sig));
	CHECK_ERR(tg_verify(pinned, TG_SIG_PS384, TG_SIG_FORMAT_DER, msg, sizeof(msg), sig.data,
			    sig.len),
		  TG_E_ALG);
	/* "use":"enc" or key_ops without sign/verify: no signatures at all */
	pinned->pinned = TG_SIG_NONE;
	pinned->flags |= TG_KEYF_NO_SIG;
	CHECK_ERR(tg_key_check_alg(pinned, TG_SIG_PS384), TG_E_ALG);
	CHECK_ERR(tg_verify(pinned, TG_SIG_PS384, TG_SIG_FORMAT_DER, msg, sizeof(msg), sig.data,
			    sig.len),
		  TG_E_ALG);
	tg_buf_release(&sig);
	tg_key_free(pinned);
	tg_key_free(ed);
	tg_key_free(p384);
	tg_key_free(p521);
	tg_key_free(rsa);
}

static size_t hexbytes(const char *hex, uint8_t *out, size_t max)
{
	size_t n = strlen(hex) / 2;
	if (n > max || tg_hex_decode_to(out, n, hex, strlen(hex)) != TG_OK) {
		fprintf(stderr, "bad hex in test\n");
		exit(2);
	}
	return n;
}

TEST(ecdsa_encodings)
{
	struct tg_buf b = TG_BUF_INIT(1024);
	uint8_t raw[132], der[160];
	size_t n;
	/* r = 1, s = 0x80: s needs a sign octet, r does not */
	memset(raw, 0, 64);
	raw[31] = 1;
	raw[63] = 0x80;
	CHECK_OK(tg_ecdsa_raw_to_der(raw, 64, &b));
	n = hexbytes("3007020101020200" "80", der, sizeof(der));
	CHECK(b.len == n && memcmp(b.data, der, n) == 0);
	tg_buf_reset(&b);
	CHECK_OK(tg_ecdsa_der_to_raw(der, n, 32, &b));
	CHECK(b.len == 64 && memcmp(b.data, raw, 64) == 0);
	/* the largest P-521 values need the 0x81 length form */
	memset(raw, 0xff, 132);
	tg_buf_reset(&b);
	CHECK_OK(tg_ecdsa_raw_to_der(raw, 132, &b));
	CHECK(b.len == 3 + 2 * (3 + 66) && b.data[1] == 0x81 && b.data[2] == 2 * (3 + 66));
	n = b.len;
	memcpy(der, b.data, n);
	tg_buf_reset(&b);
	CHECK_OK(tg_ecdsa_der_to_raw(der, n, 66, &b));
	CHECK(b.len == 132 && memcmp(b.data, raw, 132) == 0);
	tg_buf_reset(&b);
	CHECK_ERR(tg_ecdsa_der_to_raw(der, n, 48, &b), TG_E_VERIFY); /* too long for P-384 */
	CHECK_ERR(tg_ecdsa_der_to_raw(der, n, 31, &b), TG_E_INVAL);
	/* raw: odd, empty and oversized inputs */
	CHECK_ERR(tg_ecdsa_raw_to_der(raw, 63, &b), TG_E_VERIFY);
	CHECK_ERR(tg_ecdsa_raw_to_der(raw, 0, &b), TG_E_VERIFY);
	CHECK_ERR(tg_ecdsa_raw_to_der(raw, 134, &b), TG_E_VERIFY);

	/* BER and malformed variants of r = 1, s = 0x80 */
	{
		static const char *const bad[] = {
			"308107020101020200" "80",     /* long form for a short length */
			"30080201010202008000",       /* trailing byte inside */
			"30070201010202008000",       /* trailing byte outside */
			"30080202000102020080",       /* r padded with a zero octet */
			"3007020101020200" "8",       /* truncated (odd hex fixed below) */
			"300602010102018" "0",        /* s negative */
			"30800201010202008000" "00",  /* indefinite length */
			"3107020101020200" "80",      /* SET, not SEQUENCE */
			"3007030101020200" "80",      /* r a BIT STRING */
			"300602010102020080",         /* sequence length short by one */
			"3008020101020200" "80",      /* sequence length long by one */
			"30050201010200",             /* s empty */
			"3003020101",                 /* s missing */
			"3000",                       /* empty sequence */
			"",                           /* nothing */
			"300802010102810200" "80",    /* length of s in long form */
			"300702ff01020200" "80",      /* absurd length */
		};
		size_t i;
		for (i = 0; i < TG_ARRAY_LEN(bad); i++) {
			size_t hl = strlen(bad[i]) & ~(size_t)1;
			char hex[64];
			memcpy(hex, bad[i], hl);
			hex[hl] = '\0';
			n = hexbytes(hex, der, sizeof(der));
			tg_buf_reset(&b);
			tg_test_checks++;
			if (tg_ecdsa_der_to_raw(der, n, 32, &b) != TG_E_VERIFY) {
				fprintf(stderr, "accepted bad DER #%zu %s\n", i, bad[i]);
				tg_test_failures++;
			}
		}
	}
	tg_buf_release(&b);
}

/* Non-canonical DER of a real signature fails tg_verify; the canonical one
 * passes; raw signatures of the wrong size fail. */
TEST(ecdsa_strict_verify)
{
	struct tg_key *k = gen(TG_KEY_EC_P256, 0);
	struct tg_buf sig = TG_BUF_INIT(256), raw = TG_BUF_INIT(256), v = TG_BUF_INIT(256);
	size_t rl;
	CHECK_OK(tg_sign(k, TG_SIG_ES256, TG_SIG_FORMAT_DER, msg, sizeof(msg), &sig));
	CHECK_OK(tg_ecdsa_der_to_raw(sig.data, sig.len, 32, &raw));
	CHECK_OK(tg_verify(k, TG_SIG_ES256, TG_SIG_FORMAT_RAW, msg, sizeof(msg), raw.data,
			   raw.len));
	/* pad r with a zero octet: valid BER, same integers */
	rl = sig.data[3];
	CHECK_OK(tg_buf_addc(&v, 0x30));
	CHECK_OK(tg_buf_addc(&v, (uint8_t)(sig.data[1] + 1)));
	CHECK_OK(tg_buf_addc(&v, 0x02));
	CHECK_OK(tg_buf_addc(&v, (uint8_t)(rl + 1)));
	CHECK_OK(tg_buf_addc(&v, 0x00));
	CHECK_OK(tg_buf_add(&v, sig.data + 4, sig.len - 4));
	if (sig.data[1] < 0x7f) /* always: a P-256 signature is short */
		CHECK_ERR(tg_verify(k, TG_SIG_ES256, TG_SIG_FORMAT_DER, msg, sizeof(msg), v.data,
				    v.len),
			  TG_E_VERIFY);
	/* long-form sequence length */
	tg_buf_reset(&v);
	CHECK_OK(tg_buf_addc(&v, 0x30));
	CHECK_OK(tg_buf_addc(&v, 0x81));
	CHECK_OK(tg_buf_add(&v, sig.data + 1, sig.len - 1));
	CHECK_ERR(tg_verify(k, TG_SIG_ES256, TG_SIG_FORMAT_DER, msg, sizeof(msg), v.data, v.len),
		  TG_E_VERIFY);
	/* trailing garbage */
	tg_buf_reset(&v);
	CHECK_OK(tg_buf_add(&v, sig.data, sig.len));
	CHECK_OK(tg_buf_addc(&v, 0));
	CHECK_ERR(tg_verify(k, TG_SIG_ES256, TG_SIG_FORMAT_DER, msg, sizeof(msg), v.data, v.len),
		  TG_E_VERIFY);
	/* raw with a leading zero octet, or without its first octet */
	tg_buf_reset(&v);
	CHECK_OK(tg_buf_addc(&v, 0));
	CHECK_OK(tg_buf_add(&v, raw.data, raw.len));
	CHECK_ERR(tg_verify(k, TG_SIG_ES256, TG_SIG_FORMAT_RAW, msg, sizeof(msg), v.data, v.len),
		  TG_E_VERIFY);
	CHECK_ERR(tg_verify(k, TG_SIG_ES256, TG_SIG_FORMAT_RAW, msg, sizeof(msg), raw.data + 1,
			    raw.len - 1),
		  TG_E_VERIFY);
	/* r and s swapped */
	tg_buf_reset(&v);
	CHECK_OK(tg_buf_add(&v, raw.data + 32, 32));
	CHECK_OK(tg_buf_add(&v, raw.data, 32));
	CHECK_ERR(tg_verify(k, TG_SIG_ES256, TG_SIG_FORMAT_RAW, msg, sizeof(msg), v.data, v.len),
		  TG_E_VERIFY);
	/* (r, n - s) is the other valid signature of the same message: it
	 * verifies (ECDSA is malleable; tollgate never uses signatures as ids) */
	CHECK(ERR_peek_error() == 0);
	tg_buf_release(&sig);
	tg_buf_release(&raw);
	tg_buf_release(&v);
	tg_key_free(k);
}

TEST(digest_entry_points)
{
	static const struct {
		enum tg_key_type t;
		enum tg_sig_alg a;
	} cases[] = {
		{TG_KEY_EC_P256, TG_SIG_ES256}, {TG_KEY_EC_P384, TG_SIG_ES384},
		{TG_KEY_EC_P521, TG_SIG_ES512}, {TG_KEY_RSA, TG_SIG_RS256},
		{TG_KEY_RSA, TG_SIG_RS384},     {TG_KEY_RSA, TG_SIG_RS512},
		{TG_KEY_RSA, TG_SIG_PS256},     {TG_KEY_RSA, TG_SIG_PS384},
		{TG_KEY_RSA, TG_SIG_PS512},
	};
	struct tg_key *keys[6] = {NULL};
	struct tg_key *ed = gen(TG_KEY_ED25519, 0);
	size_t i;
	int f;
	for (i = 0; i < TG_ARRAY_LEN(cases); i++) {
		struct tg_key **k = &keys[cases[i].t];
		enum tg_sig_alg a = cases[i].a;
		enum tg_hash_alg h = tg_sig_alg_hash(a);
		uint8_t dig[TG_HASH_MAX];
		if (!*k)
			*k = gen(cases[i].t, 2048);
		CHECK_OK(tg_hash(h, msg, sizeof(msg), dig));
		for (f = 0; f < 2; f++) {
			enum tg_sig_format fmt = f ? TG_SIG_FORMAT_RAW : TG_SIG_FORMAT_DER;
			struct tg_buf s1 = TG_BUF_INIT(1024), s2 = TG_BUF_INIT(1024);
			CHECK_OK(tg_sign_digest(*k, a, fmt, dig, tg_hash_len(h), &s1));
			CHECK_OK(tg_sign(*k, a, fmt, msg, sizeof(msg), &s2));
			/* each verifies through the other entry point */
			CHECK_OK(tg_verify(*k, a, fmt, msg, sizeof(msg), s1.data, s1.len));
			CHECK_OK(tg_verify_digest(*k, a, fmt, dig, tg_hash_len(h), s2.data, s2.len));
			CHECK_OK(tg_verify_digest(*k, a, fmt, dig, tg_hash_len(h), s1.data, s1.len));
			/* PKCS#1 v1.5 is deterministic: the same bytes */
			if (a >= TG_SIG_RS256 && a <= TG_SIG_RS512)
				CHECK(s1.len == s2.len && memcmp(s1.data, s2.data, s1.len) == 0);
			dig[0] ^= 1;
			CHECK_ERR(tg_verify_digest(*k, a, fmt, dig, tg_hash_len(h), s2.data, s2.len),
				  TG_E_VERIFY);
			dig[0] ^= 1;
			/* the digest must have the algorithm's length */
			CHECK_ERR(tg_verify_digest(*k, a, fmt, dig, tg_hash_len(h) - 1, s2.data,
						   s2.len),
				  TG_E_INVAL);
			CHECK_ERR(tg_sign_digest(*k, a, fmt, dig, 20, &s1), TG_E_INVAL);
			tg_buf_release(&s1);
			tg_buf_release(&s2);
		}
	}
	{
		uint8_t dig[64] = {0};
		struct tg_buf s = TG_BUF_INIT(1024);
		CHECK_ERR(tg_sign_digest(ed, TG_SIG_EDDSA, TG_SIG_FORMAT_DER, dig, 64, &s), TG_E_ALG);
		CHECK_ERR(tg_verify_digest(ed, TG_SIG_EDDSA, TG_SIG_FORMAT_DER, dig, 64, dig, 64),
			  TG_E_ALG);
		tg_buf_release(&s);
	}
	for (i = 0; i < TG_ARRAY_LEN(keys); i++)
		tg_key_free(keys[i]);
	tg_key_free(ed);
}

/* RFC 7518 3.5: PS* means salt length = hash length. A signature with
 * another salt length (OpenSSL would find it with "auto") must fail. */
TEST(pss_salt_length_is_exact)
{
	struct tg_key *k = gen(TG_KEY_RSA, 2048);
	static const int salts[] = {0, 20, 31, 33, 64, RSA_PSS_SALTLEN_MAX};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(salts); i++) {
		EVP_MD_CTX *mctx = EVP_MD_CTX_new();
		EVP_PKEY_CTX *pctx = NULL;
		uint8_t sig[512];
		size_t len = sizeof(sig);
		CHECK(mctx && EVP_DigestSignInit_ex(mctx, &pctx, "SHA256", NULL, NULL, k->pkey,
						    NULL) == 1);
		CHECK(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0);
		CHECK(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salts[i]) > 0);
		CHECK(EVP_DigestSign(mctx, sig, &len, (const uint8_t *)msg, sizeof(msg)) == 1);
		CHECK_ERR(tg_verify(k, TG_SIG_PS256, TG_SIG_FORMAT_DER, msg, sizeof(msg), sig, len),
			  TG_E_VERIFY);
		EVP_MD_CTX_free(mctx);
	}
	/* and MGF1 must use the same hash */
	{
		EVP_MD_CTX *mctx = EVP_MD_CTX_new();
		EVP_PKEY_CTX *pctx = NULL;
		uint8_t sig[512];
		size_t len = sizeof(sig);
		CHECK(mctx && EVP_DigestSignInit_ex(mctx, &pctx, "SHA256", NULL, NULL, k->pkey,
						    NULL) == 1);
		CHECK(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0);
		CHECK(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) > 0);
		CHECK(EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA1", NULL) > 0);
		CHECK(EVP_DigestSign(mctx, sig, &len, (const uint8_t *)msg, sizeof(msg)) == 1);
		CHECK_ERR(tg_verify(k, TG_SIG_PS256, TG_SIG_FORMAT_DER, msg, sizeof(msg), sig, len),
			  TG_E_VERIFY);
		EVP_MD_CTX_free(mctx);
	}
	CHECK(ERR_peek_error() == 0);
	tg_key_free(k);
}

/* RFC 8037 A.4: Ed25519 is deterministic, so the JWS example signature is
 * a known answer for tg_sign. */
TEST(rfc8037_known_answer)
{
	static const char jwk[] = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
				  "\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\","
				  "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}";
	static const char input[] = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
	static const char want[] = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iyl"
				   "Gjg5BhVsPt9g7sVvpAr_MuM0KAg";
	struct tg_arena a;
	struct tg_key *k = NULL;
	struct tg_buf sig = TG_BUF_INIT(128), b64 = TG_BUF_INIT(256);
	tg_arena_init(&a, 1 << 20);
	CHECK_OK(tg_key_from_jwk(json(&a, jwk), TG_JWK_ALLOW_PRIVATE, &k, NULL));
	if (k) {
		CHECK_OK(tg_sign(k, TG_SIG_EDDSA, TG_SIG_FORMAT_RAW, input, strlen(input), &sig));
		CHECK_OK(tg_b64_encode(&b64, sig.data, sig.len, TG_B64_URL));
		CHECK_STR(tg_buf_str(&b64), want);
		CHECK_OK(tg_verify(k, TG_SIG_EDDSA, TG_SIG_FORMAT_RAW, input, strlen(input),
				   sig.data, sig.len));
	}
	tg_buf_release(&sig);
	tg_buf_release(&b64);
	tg_key_free(k);
	tg_arena_release(&a);
}

int main(void)
{
	tg_secure_heap_init(1 << 16);
	RUN(alg_names);
	RUN(round_trip_every_type);
	RUN(hmac);
	RUN(hs256_with_rsa_public_key_bytes);
	RUN(default_and_pinned_alg);
	RUN(ecdsa_encodings);
	RUN(ecdsa_strict_verify);
	RUN(digest_entry_points);
	RUN(pss_salt_length_is_exact);
	RUN(rfc8037_known_answer);
	return tg_test_done();
}
