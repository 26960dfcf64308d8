/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_crypto_keys.c - keys: PEM/DER import and export for every type and
 * encoding (files made by `openssl` under tests/data/crypto/keys), the key
 * rules, JWK import/export and its rules, RFC 7638/8037 thumbprints, JWK
 * Sets, and private key files (mode 0600, no overwrite).
 */
#include "tg_test.h"

#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>

#include "core/arena.h"
#include "core/codec.h"
#include "core/json.h"
#include "core/mem.h"
#include "crypto/crypto.h"
#include "crypto/crypto_internal.h"

static struct tg_arena arena;

static const char *data_path(const char *name)
{
	static char path[4096];
	const char *root = getenv("TG_SOURCE_DIR");
	snprintf(path, sizeof(path), "%s/tests/data/crypto/keys/%s", root && *root ? root : ".",
		 name);
	return path;
}

/* Loads a PEM file of tests/data/crypto/keys; returns the tg_err. */
static tg_err load(const char *name, struct tg_key **out, struct tg_diag *d)
{
	size_t n = 0;
	char *text = tg_test_read_file(data_path(name), &n);
	tg_err r = tg_key_from_pem(text, n, out, d);
	free(text);
	return r;
}

static struct tg_key *must_load(const char *name)
{
	struct tg_key *k = NULL;
	struct tg_diag d;
	tg_diag_init(&d);
	if (load(name, &k, &d) != TG_OK) {
		fprintf(stderr, "cannot load %s: %s\n", name, d.msg);
		exit(2);
	}
	return k;
}

static const struct tg_json *json(const char *text)
{
	const struct tg_json *v = NULL;
	struct tg_diag d;
	tg_diag_init(&d);
	if (tg_json_parse(&arena, text, strlen(text), NULL, &v, NULL, &d) != TG_OK) {
		fprintf(stderr, "bad test JSON (%s): %s\n", d.msg, text);
		exit(2);
	}
	return v;
}

/* A copy of the object o with member name set to the JSON text val, or
 * removed when val is NULL. */
static const struct tg_json *with(const struct tg_json *o, const char *name, const char *val)
{
	struct tg_json_member m[32];
	const struct tg_json *out = NULL;
	size_t i, n = 0;
	for (i = 0; i < o->u.o.len && n < 31; i++)
		if (!tg_json_str_eq(o->u.o.items[i].key, name))
			m[n++] = o->u.o.items[i];
	if (val) {
		if (tg_json_new_string(&arena, name, strlen(name), &m[n].key) != TG_OK)
			exit(2);
		m[n++].val = json(val);
	}
	if (tg_json_new_object(&arena, m, n, TG_JSON_DUP_REJECT, &out) != TG_OK)
		exit(2);
	return out;
}

static tg_err from_jwk(const struct tg_json *j, unsigned flags, struct tg_key **out)
{
	struct tg_diag d;
	tg_err r;
	tg_diag_init(&d);
	r = tg_key_from_jwk(j, flags, out, &d);
	if (r != TG_OK && getenv("TG_TEST_VERBOSE"))
		fprintf(stderr, "  (jwk rejected: %s)\n", d.msg);
	return r;
}

/* Expects tg_key_from_jwk to fail with want and leave *out alone. */
#define CHECK_JWK_ERR(j, flags, want)                                               \
	do {                                                                        \
		struct tg_key *k_ = NULL;                                           \
		CHECK_ERR(from_jwk((j), (flags), &k_), (want));                     \
		CHECK(k_ == NULL);                                                  \
		tg_key_free(k_);                                                    \
	} while (0)

static const char *b64url(const uint8_t *p, size_t n)
{
	static char out[2048];
	struct tg_buf b = TG_BUF_INIT(sizeof(out) - 1);
	if (tg_b64_encode(&b, p, n, TG_B64_URL) != TG_OK)
		exit(2);
	memcpy(out, tg_buf_str(&b), b.len + 1);
	tg_buf_release(&b);
	return out;
}

/* Round trips a key through PEM (private and public) and JWK. */
static void round_trip(struct tg_key *k)
{
	struct tg_buf pem = TG_BUF_INIT(1 << 16), der = TG_BUF_INIT(1 << 16);
	struct tg_key *k2 = NULL, *pub = NULL;
	const struct tg_json *j = NULL;
	uint8_t t1[32], t2[32];

	if (k->is_private) {
		CHECK_OK(tg_key_to_pem(k, true, &pem));
		CHECK(strncmp(tg_buf_str(&pem), "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
		CHECK_OK(tg_key_from_pem((const char *)pem.data, pem.len, &k2, NULL));
		CHECK(k2 && k2->is_private && tg_key_equal_public(k, k2));
		tg_key_free(k2);
		k2 = NULL;
		/* JWK with the private part: needs the flag */
		CHECK_OK(tg_key_to_jwk(k, true, &arena, &j));
		CHECK(tg_json_get(j, "d") != NULL);
		CHECK_JWK_ERR(j, 0, TG_E_KEY);
		CHECK_OK(from_jwk(j, TG_JWK_ALLOW_PRIVATE, &k2));
		CHECK(k2 && k2->is_private && tg_key_equal_public(k, k2));
		if (k2) {
			/* the imported private key signs what the original verifies */
			struct tg_buf sig = TG_BUF_INIT(1024);
			enum tg_sig_alg a = tg_key_default_alg(k);
			CHECK_OK(tg_sign(k2, a, TG_SIG_FORMAT_RAW, "m", 1, &sig));
			CHECK_OK(tg_verify(k, a, TG_SIG_FORMAT_RAW, "m", 1, sig.data, sig.len));
			tg_buf_release(&sig);
		}
		tg_key_free(k2);
		k2 = NULL;
	} else {
		CHECK_ERR(tg_key_to_pem(k, true, &pem), TG_E_KEY);
		CHECK_ERR(tg_key_to_jwk(k, true, &arena, &j), TG_E_KEY);
	}
	tg_buf_reset(&pem);
	CHECK_OK(tg_key_to_pem(k, false, &pem));
	CHECK(strncmp(tg_buf_str(&pem), "-----BEGIN PUBLIC KEY-----\n", 27) == 0);
	CHECK_OK(tg_key_from_pem((const char *)pem.data, pem.len, &pub, NULL));
	CHECK(pub && !pub->is_private && tg_key_equal_public(k, pub));
	CHECK_OK(tg_key_to_spki_der(k, &der));
	CHECK_OK(tg_key_from_der(der.data, der.len, false, &k2, NULL));
	CHECK(k2 && tg_key_equal_public(k, k2));
	tg_key_free(k2);
	k2 = NULL;
	/* public JWK */
	CHECK_OK(tg_key_to_jwk(k, false, &arena, &j));
	CHECK(tg_json_get(j, "d") == NULL && tg_json_get(j, "p") == NULL);
	CHECK_OK(from_jwk(j, 0, &k2));
	CHECK(k2 && !k2->is_private && tg_key_equal_public(k, k2));
	/* thumbprints agree across representations */
	CHECK_OK(tg_key_thumbprint(k, t1));
	if (k2) {
		CHECK_OK(tg_key_thumbprint(k2, t2));
		CHECK_MEM(t1, t2, 32);
	}
	if (pub) {
		CHECK_OK(tg_key_thumbprint(pub, t2));
		CHECK_MEM(t1, t2, 32);
	}
	tg_key_free(k2);
	tg_key_free(pub);
	tg_buf_release(&pem);
	tg_buf_release(&der);
}

TEST(generated_round_trips)
{
	static const enum tg_key_type types[] = {TG_KEY_ED25519, TG_KEY_EC_P256, TG_KEY_EC_P384,
						 TG_KEY_EC_P521, TG_KEY_RSA};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(types); i++) {
		struct tg_key *k = NULL;
		CHECK_OK(tg_key_generate(types[i], 2048, &k));
		if (k) {
			CHECK(k->type == types[i]);
			round_trip(k);
		}
		tg_key_free(k);
	}
}

TEST(openssl_files)
{
	static const struct {
		const char *file, *pub;
		enum tg_key_type type;
		unsigned bits;
		bool priv;
	} files[] = {
		{"ed25519.pem", "ed25519-pub.pem", TG_KEY_ED25519, 256, true},
		{"p256-pkcs8.pem", "p256-pub.pem", TG_KEY_EC_P256, 256, true},
		{"p256-sec1.pem", "p256-pub.pem", TG_KEY_EC_P256, 256, true},
		{"p384-pkcs8.pem", "p384-pub.pem", TG_KEY_EC_P384, 384, true},
		{"p384-sec1.pem", "p384-pub.pem", TG_KEY_EC_P384, 384, true},
		{"p521-pkcs8.pem", "p521-pub.pem", TG_KEY_EC_P521, 521, true},
		{"p521-sec1.pem", "p521-pub.pem", TG_KEY_EC_P521, 521, true},
		{"rsa2048-pkcs1.pem", "rsa2048-pub.pem", TG_KEY_RSA, 2048, true},
		{"rsa2048-pkcs1-pub.pem", "rsa2048-pub.pem", TG_KEY_RSA, 2048, false},
		{"rsa4096.pem", NULL, TG_KEY_RSA, 4096, true},
		{"rsa-e3-pub.pem", NULL, TG_KEY_RSA, 2048, false},
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(files); i++) {
		struct tg_key *k = NULL, *pub = NULL;
		struct tg_diag d;
		tg_diag_init(&d);
		CHECK_OK(load(files[i].file, &k, &d));
		if (!k) {
			fprintf(stderr, "  %s: %s\n", files[i].file, d.msg);
			continue;
		}
		CHECK(k->type == files[i].type);
		CHECK(tg_key_bits(k) == files[i].bits);
		CHECK(tg_key_is_private(k) == files[i].priv);
		if (files[i].pub) {
			pub = must_load(files[i].pub);
			CHECK(!pub->is_private && tg_key_equal_public(k, pub));
		}
		round_trip(k);
		tg_key_free(pub);
		tg_key_free(k);
	}
}

TEST(der_inputs)
{
	size_t n = 0;
	uint8_t *der = (uint8_t *)tg_test_read_file(data_path("p256-pkcs8.der"), &n);
	uint8_t *pubder, *big;
	size_t pn = 0;
	struct tg_key *k = NULL, *pub = NULL;
	CHECK_OK(tg_key_from_der(der, n, true, &k, NULL));
	CHECK(k && k->is_private && k->type == TG_KEY_EC_P256);
	CHECK(tg_key_from_der(der, n, false, &pub, NULL) != TG_OK && !pub);
	pubder = (uint8_t *)tg_test_read_file(data_path("p256-pub.der"), &pn);
	CHECK_OK(tg_key_from_der(pubder, pn, false, &pub, NULL));
	CHECK(pub && k && tg_key_equal_public(k, pub));
	tg_key_free(pub);
	pub = NULL;
	CHECK(tg_key_from_der(pubder, pn, true, &pub, NULL) != TG_OK && !pub);
	/* trailing bytes, truncation, emptiness */
	big = tg_xmalloc(pn + 1);
	memcpy(big, pubder, pn);
	big[pn] = 0;
	CHECK(tg_key_from_der(big, pn + 1, false, &pub, NULL) != TG_OK && !pub);
	CHECK(tg_key_from_der(big, pn - 1, false, &pub, NULL) != TG_OK && !pub);
	CHECK(tg_key_from_der(big, 0, false, &pub, NULL) != TG_OK && !pub);
	free(big);
	free(pubder);
	free(der);
	tg_key_free(k);
	{
		/* found by fuzz_key: a SEC1 key whose d was shuffled */
		uint8_t *bad = (uint8_t *)tg_test_read_file(data_path("p256-sec1-mismatch.der"), &n);
		CHECK_ERR(tg_key_from_der(bad, n, true, &k, NULL), TG_E_KEY);
		free(bad);
	}
	{
		uint8_t *ed = (uint8_t *)tg_test_read_file(data_path("ed25519-pkcs8.der"), &n);
		CHECK_OK(tg_key_from_der(ed, n, true, &k, NULL));
		CHECK(k && k->type == TG_KEY_ED25519 && k->is_private);
		tg_key_free(k);
		free(ed);
	}
	CHECK(ERR_peek_error() == 0);
}

/* The check of an EC public point (tg_key_validate): P-256, P-384 and
 * P-521 have cofactor 1, so on the curve and not at infinity is all there
 * is to check; such points are refused whatever layer sees them first. */
TEST(ec_public_points)
{
	static const enum tg_key_type types[] = {TG_KEY_EC_P256, TG_KEY_EC_P384, TG_KEY_EC_P521};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(types); i++) {
		struct tg_key *gen = NULL, *k = NULL;
		struct tg_buf spki = TG_BUF_INIT(4096);
		uint8_t inf[64];
		size_t hdr, alg;
		CHECK_OK(tg_key_generate(types[i], 0, &gen));
		CHECK_OK(tg_key_to_spki_der(gen, &spki));
		if (!gen || spki.len < 8)
			goto next;
		/* the key itself */
		CHECK_OK(tg_key_from_der(spki.data, spki.len, false, &k, NULL));
		CHECK(k && tg_key_type(k) == types[i]);
		tg_key_free(k);
		k = NULL;
		/* y changed: off the curve */
		spki.data[spki.len - 1] ^= 0x01;
		CHECK(tg_key_from_der(spki.data, spki.len, false, &k, NULL) != TG_OK && !k);
		spki.data[spki.len - 1] ^= 0x01;
		/* the point at infinity (the single octet 0x00) */
		hdr = (spki.data[1] & 0x80) ? 2 + (size_t)(spki.data[1] & 0x7f) : 2;
		alg = 2 + (size_t)spki.data[hdr + 1];
		CHECK(alg + 6 <= sizeof(inf));
		if (alg + 6 > sizeof(inf))
			goto next;
		inf[0] = 0x30;
		inf[1] = (uint8_t)(alg + 4);
		memcpy(inf + 2, spki.data + hdr, alg);
		memcpy(inf + 2 + alg, "\x03\x02\x00\x00", 4);
		CHECK(tg_key_from_der(inf, alg + 6, false, &k, NULL) != TG_OK && !k);
	next:
		tg_key_free(k);
		tg_key_free(gen);
		tg_buf_release(&spki);
	}
	CHECK(ERR_peek_error() == 0);
}

TEST(pem_rejections)
{
	static const struct {
		const char *file;
		tg_err want; /* TG_OK: any error will do */
		const char *why;
	} bad[] = {
		{"encrypted-pkcs8.pem", TG_E_UNSUPPORTED, "encrypted PKCS#8"},
		{"encrypted-legacy.pem", TG_OK, "RFC 1421 encrypted PEM headers"},
		{"rsa1024.pem", TG_E_KEY, "RSA 1024"},
		{"rsa-e1-pub.pem", TG_E_KEY, "e = 1"},
		{"rsa-even-e-pub.pem", TG_E_KEY, "even e"},
		{"rsa-even-n-pub.pem", TG_E_KEY, "even modulus"},
		{"rsa-roca-pub.pem", TG_E_KEY, "ROCA fingerprint"},
		{"p256-bad-point-pub.pem", TG_OK, "point not on the curve"},
		{"x25519.pem", TG_OK, "X25519 is not a signature key"},
		{"secp256k1.pem", TG_OK, "unsupported curve"},
		{"rsa-pss.pem", TG_OK, "id-RSASSA-PSS keys"},
		{"p256-sec1-mismatch.pem", TG_E_KEY, "d does not match the public point (fuzz)"},
		{"p256-explicit.pem", TG_E_KEY, "explicit curve parameters"},
		{"p256-explicit-pub.pem", TG_E_KEY, "explicit curve parameters"},
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(bad); i++) {
		struct tg_key *k = NULL;
		struct tg_diag d;
		tg_err r;
		tg_diag_init(&d);
		r = load(bad[i].file, &k, &d);
		tg_test_checks++;
		if (r == TG_OK || k || (bad[i].want != TG_OK && r != bad[i].want) || !d.msg[0]) {
			fprintf(stderr, "%s (%s): got %s '%s'\n", bad[i].file, bad[i].why,
				tg_errname(r), d.msg);
			tg_test_failures++;
		}
		tg_key_free(k);
	}
	CHECK(ERR_peek_error() == 0);
}

static const char rfc7638_jwk[] =
	"{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86"
	"zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_"
	"RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91"
	"CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-"
	"kEgU8awapJzKnqDKgw\",\"e\":\"AQAB\",\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}";

static const char rfc8037_jwk[] = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
				  "\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\","
				  "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}";

TEST(rfc_thumbprints)
{
	struct tg_key *k = NULL, *pub = NULL;
	const struct tg_json *j = NULL;
	uint8_t t[32];
	/* RFC 7638 3.1 */
	CHECK_OK(from_jwk(json(rfc7638_jwk), 0, &k));
	if (k) {
		CHECK_OK(tg_key_thumbprint(k, t));
		CHECK_STR(b64url(t, 32), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
		CHECK_STR(tg_key_kid(k), "2011-04-29");
		CHECK(tg_key_default_alg(k) == TG_SIG_RS256);
		CHECK(tg_key_bits(k) == 2048);
		/* exports the same members back, alg and kid included */
		CHECK_OK(tg_key_to_jwk(k, false, &arena, &j));
		CHECK(j && tg_json_eq(j, json(rfc7638_jwk)));
	}
	tg_key_free(k);
	k = NULL;
	/* RFC 8037 A.1 (private) and A.2 (public); A.3 thumbprint */
	CHECK_OK(from_jwk(json(rfc8037_jwk), TG_JWK_ALLOW_PRIVATE, &k));
	CHECK_OK(from_jwk(with(json(rfc8037_jwk), "d", NULL), 0, &pub));
	if (k && pub) {
		CHECK(tg_key_equal_public(k, pub));
		CHECK_OK(tg_key_thumbprint(k, t));
		CHECK_STR(b64url(t, 32), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
		CHECK_OK(tg_key_thumbprint(pub, t));
		CHECK_STR(b64url(t, 32), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
		CHECK_OK(tg_key_to_jwk(k, true, &arena, &j));
		CHECK(j && tg_json_eq(j, json(rfc8037_jwk)));
	}
	tg_key_free(k);
	tg_key_free(pub);
}

TEST(jwk_ec_rules)
{
	struct tg_key *k = NULL, *gen = NULL, *other = NULL;
	const struct tg_json *priv = NULL, *pub = NULL, *opriv = NULL;
	CHECK_OK(tg_key_generate(TG_KEY_EC_P256, 0, &gen));
	CHECK_OK(tg_key_generate(TG_KEY_EC_P256, 0, &other));
	CHECK_OK(tg_key_to_jwk(gen, true, &arena, &priv));
	CHECK_OK(tg_key_to_jwk(gen, false, &arena, &pub));
	CHECK_OK(tg_key_to_jwk(other, true, &arena, &opriv));
	if (!priv || !pub || !opriv)
		goto out;
	/* private members only with the flag, and they must match */
	CHECK_JWK_ERR(priv, 0, TG_E_KEY);
	CHECK_JWK_ERR(priv, TG_JWK_ALLOW_HMAC, TG_E_KEY);
	CHECK_JWK_ERR(with(priv, "d", "\"AAAA\""), TG_JWK_ALLOW_PRIVATE, TG_E_KEY);
	{
		const struct tg_json *od = tg_json_get(opriv, "d");
		struct tg_json_member m[8];
		const struct tg_json *mixed = NULL;
		size_t i, n = 0;
		for (i = 0; i < priv->u.o.len; i++) {
			m[n] = priv->u.o.items[i];
			if (tg_json_str_eq(m[n].key, "d"))
				m[n].val = od;
			n++;
		}
		CHECK_OK(tg_json_new_object(&arena, m, n, TG_JSON_DUP_REJECT, &mixed));
		CHECK_JWK_ERR(mixed, TG_JWK_ALLOW_PRIVATE, TG_E_KEY);
	}
	/* d = 0 and d = n are not private keys */
	CHECK_JWK_ERR(with(priv, "d", "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\""),
		      TG_JWK_ALLOW_PRIVATE, TG_E_KEY);
	CHECK_JWK_ERR(with(priv, "d", "\"_____wAAAAD__________7zm-q2nF56E87nKwvxjJVE\""),
		      TG_JWK_ALLOW_PRIVATE, TG_E_KEY);
	/* coordinates: exact length, strict base64url */
	CHECK_JWK_ERR(with(pub, "x", "\"AAAA\""), 0, TG_E_KEY);
	CHECK_JWK_ERR(with(pub, "x", NULL), 0, TG_E_KEY);
	CHECK_JWK_ERR(with(pub, "y", "5"), 0, TG_E_KEY);
	{
		const struct tg_json *x = tg_json_get(pub, "x");
		char padded[80];
		snprintf(padded, sizeof(padded), "\"%s=\"", x->u.s.p);
		CHECK_JWK_ERR(with(pub, "x", padded), 0, TG_E_KEY);
		snprintf(padded, sizeof(padded), "\"%s\"", x->u.s.p);
		padded[5] = padded[5] == '+' ? '-' : '+';
		CHECK_JWK_ERR(with(pub, "x", padded), 0, TG_E_KEY);
	}
	/* the point at (x, x) is not on the curve */
	CHECK_JWK_ERR(with(pub, "y", "\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\""), 0,
		      TG_E_KEY);
	/* curve and alg */
	CHECK_JWK_ERR(with(pub, "crv", "\"P-384\""), 0, TG_E_KEY);
	CHECK_JWK_ERR(with(pub, "crv", "\"secp256k1\""), 0, TG_E_UNSUPPORTED);
	CHECK_JWK_ERR(with(pub, "crv", NULL), 0, TG_E_KEY);
	CHECK_JWK_ERR(with(pub, "alg", "\"ES384\""), 0, TG_E_KEY);
	CHECK_JWK_ERR(with(pub, "alg", "\"ES521\""), 0, TG_E_KEY);
	CHECK_JWK_ERR(with(pub, "alg", "\"RS256\""), 0, TG_E_KEY);
	CHECK_JWK_ERR(with(pub, "alg", "\"none\""), 0, TG_E_KEY);
	CHECK_JWK_ERR(with(pub, "alg", "\"ECDH-ES\""), 0, TG_E_KEY);
	CHECK_JWK_ERR(with(pub, "alg", "256"), 0, TG_E_KEY);
	CHECK_OK(from_jwk(with(pub, "alg", "\"ES256\""), 0, &k));
	CHECK(k && k->pinned == TG_SIG_ES256);
	tg_key_free(k);
	k = NULL;
	CHECK_JWK_ERR(with(pub, "kty", "\"RSA\""), 0, TG_E_KEY);
out:
	tg_key_free(gen);
	tg_key_free(other);
}

TEST(jwk_use_and_key_ops)
{
	struct tg_key *k = NULL, *gen = NULL;
	const struct tg_json *pub = NULL;
	static const struct {
		const char *member, *value;
		bool usable;
	} cases[] = {
		{"use", "\"sig\"", true},
		{"use", "\"enc\"", false},
		{"use", "\"Sig\"", false},
		{"key_ops", "[\"verify\"]", true},
		{"key_ops", "[\"sign\",\"verify\"]", true},
		{"key_ops", "[\"sign\"]", true},
		{"key_ops", "[\"encrypt\"]", false},
		{"key_ops", "[\"wrapKey\",\"deriveBits\"]", false},
		{"key_ops", "[]", false},
	};
	size_t i;
	CHECK_OK(tg_key_generate(TG_KEY_ED25519, 0, &gen));
	CHECK_OK(tg_key_to_jwk(gen, false, &arena, &pub));
	if (!pub)
		goto out;
	for (i = 0; i < TG_ARRAY_LEN(cases); i++) {
		CHECK_OK(from_jwk(with(pub, cases[i].member, cases[i].value), 0, &k));
		if (!k)
			continue;
		tg_test_checks++;
		if ((tg_key_check_alg(k, TG_SIG_EDDSA) == TG_OK) != cases[i].usable) {
			fprintf(stderr, "%s %s: usable should be %d\n", cases[i].member,
				cases[i].value, cases[i].usable);
			tg_test_failures++;
		}
		tg_key_free(k);
		k = NULL;
	}
	CHECK_JWK_ERR(with(pub, "key_ops", "\"verify\""), 0, TG_E_KEY);
	CHECK_JWK_ERR(with(pub, "key_ops", "[\"verify\",\"verify\"]"), 0, TG_E_KEY);
	CHECK_JWK_ERR(with(pub, "key_ops", "[\"verify\",1]"), 0, TG_E_KEY);
	CHECK_JWK_ERR(with(pub, "use", "1"), 0, TG_E_KEY);
	CHECK_JWK_ERR(with(pub, "kid", "7"), 0, TG_E_KEY);
	CHECK_JWK_ERR(with(pub, "kid", "\"a\\u0000b\""), 0, TG_E_KEY);
	/* members we do not know are ignored (RFC 7517 4) */
	CHECK_OK(from_jwk(with(pub, "x5t", "\"abc\""), 0, &k));
	tg_key_free(k);
out:
	tg_key_free(gen);
}

TEST(jwk_okp_rules)
{
	struct tg_key *gen = NULL;
	const struct tg_json *pub = NULL, *priv = NULL;
	CHECK_OK(tg_key_generate(TG_KEY_ED25519, 0, &gen));
	CHECK_OK(tg_key_to_jwk(gen, false, &arena, &pub));
	CHECK_OK(tg_key_to_jwk(gen, true, &arena, &priv));
	if (!pub || !priv)
		goto out;
	CHECK_JWK_ERR(with(pub, "x", "\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR\""), 0,
		      TG_E_KEY);
	CHECK_JWK_ERR(with(pub, "crv", "\"X25519\""), 0, TG_E_UNSUPPORTED);
	CHECK_JWK_ERR(with(pub, "crv", "\"Ed448\""), 0, TG_E_UNSUPPORTED);
	CHECK_JWK_ERR(with(pub, "alg", "\"ES256\""), 0, TG_E_KEY);
	CHECK_JWK_ERR(with(pub, "alg", "\"Ed25519\""), 0, TG_E_KEY);
	/* the RFC 8037 private scalar does not belong to this public key */
	CHECK_JWK_ERR(with(priv, "d", "\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\""),
		      TG_JWK_ALLOW_PRIVATE, TG_E_KEY);
	CHECK_JWK_ERR(priv, 0, TG_E_KEY);
out:
	tg_key_free(gen);
}

/* The JSON string of a base64url member of o, changed: the first len bytes
 * only (len 0: all), with a leading zero octet, or with the last bit flipped. */
static const char *member_variant(const struct tg_json *o, const char *name, size_t len,
				  bool zero_prefix, bool flip_last)
{
	static char out[4][2048];
	static int slot;
	struct tg_buf raw = TG_BUF_INIT(1024), b = TG_BUF_INIT(1800);
	const struct tg_json *v = tg_json_get(o, name);
	char *s = out[slot++ % 4];
	if (!v || tg_buf_addc(&raw, 0) != TG_OK ||
	    tg_b64_decode(&raw, v->u.s.p, v->u.s.len, TG_B64_URL, NULL) != TG_OK)
		exit(2);
	if (len && len + 1 < raw.len)
		tg_buf_truncate(&raw, len + 1);
	if (flip_last)
		raw.data[raw.len - 1] ^= 1;
	if (tg_b64_encode(&b, raw.data + (zero_prefix ? 0 : 1), raw.len - (zero_prefix ? 0 : 1),
			  TG_B64_URL) != TG_OK)
		exit(2);
	snprintf(s, sizeof(out[0]), "\"%s\"", tg_buf_str(&b));
	tg_buf_release(&raw);
	tg_buf_release(&b);
	return s;
}

TEST(jwk_rsa_rules)
{
	struct tg_key *gen = NULL, *k = NULL;
	const struct tg_json *pub = NULL, *priv = NULL, *rfc = json(rfc7638_jwk);
	CHECK_OK(tg_key_generate(TG_KEY_RSA, 2048, &gen));
	CHECK_OK(tg_key_to_jwk(gen, false, &arena, &pub));
	CHECK_OK(tg_key_to_jwk(gen, true, &arena, &priv));
	if (!pub || !priv)
		goto out;
	/* Base64urlUInt: no leading zero octet, not empty */
	CHECK_JWK_ERR(with(rfc, "n", member_variant(rfc, "n", 0, true, false)), 0, TG_E_KEY);
	CHECK_JWK_ERR(with(rfc, "e", "\"AAEAAQ\""), 0, TG_E_KEY);
	CHECK_JWK_ERR(with(rfc, "e", "\"\""), 0, TG_E_KEY);
	CHECK_JWK_ERR(with(rfc, "e", "\"AQ\""), 0, TG_E_KEY);   /* e = 1 */
	CHECK_JWK_ERR(with(rfc, "e", "\"AQAC\""), 0, TG_E_KEY); /* even */
	CHECK_JWK_ERR(with(rfc, "e", NULL), 0, TG_E_KEY);
	CHECK_OK(from_jwk(with(rfc, "e", "\"Aw\""), 0, &k));      /* e = 3 is allowed */
	tg_key_free(k);
	k = NULL;
	/* too short (1024 bits), and even */
	CHECK_JWK_ERR(with(rfc, "n", member_variant(rfc, "n", 128, false, false)), 0, TG_E_KEY);
	CHECK_JWK_ERR(with(rfc, "n", member_variant(rfc, "n", 0, false, true)), 0, TG_E_KEY);
	CHECK_OK(from_jwk(with(rfc, "n", member_variant(rfc, "n", 0, false, false)), 0, &k));
	tg_key_free(k);
	k = NULL;
	/* algorithm families */
	CHECK_JWK_ERR(with(rfc, "alg", "\"ES256\""), 0, TG_E_KEY);
	CHECK_JWK_ERR(with(rfc, "alg", "\"HS256\""), 0, TG_E_KEY);
	CHECK_JWK_ERR(with(rfc, "alg", "\"RSA-OAEP\""), 0, TG_E_KEY);
	CHECK_OK(from_jwk(with(rfc, "alg", "\"PS512\""), 0, &k));
	tg_key_free(k);
	k = NULL;
	/* private keys: CRT members required, consistent, no multi-prime */
	CHECK_JWK_ERR(priv, 0, TG_E_KEY);
	CHECK_JWK_ERR(with(priv, "qi", NULL), TG_JWK_ALLOW_PRIVATE, TG_E_KEY);
	CHECK_JWK_ERR(with(with(with(with(with(priv, "p", NULL), "q", NULL), "dp", NULL), "dq",
				NULL),
			   "qi", NULL),
		      TG_JWK_ALLOW_PRIVATE, TG_E_KEY);
	CHECK_JWK_ERR(with(priv, "d", NULL), TG_JWK_ALLOW_PRIVATE, TG_E_KEY);
	CHECK_JWK_ERR(with(priv, "oth", "[]"), TG_JWK_ALLOW_PRIVATE, TG_E_KEY);
	CHECK_JWK_ERR(with(priv, "d", tg_json_str_eq(tg_json_get(priv, "e"), "AQAB") ? "\"Aw\""
										     : "\"AQAB\""),
		      TG_JWK_ALLOW_PRIVATE, TG_E_KEY);
	{
		/* p and q swapped: n = p*q still, but dp, dq, qi no longer fit */
		char p[1024], q[1024];
		snprintf(p, sizeof(p), "\"%s\"", tg_json_get(priv, "q")->u.s.p);
		snprintf(q, sizeof(q), "\"%s\"", tg_json_get(priv, "p")->u.s.p);
		CHECK_JWK_ERR(with(with(priv, "p", p), "q", q), TG_JWK_ALLOW_PRIVATE, TG_E_KEY);
		/* the public part of another key */
		CHECK_JWK_ERR(with(priv, "n", member_variant(rfc, "n", 0, false, false)),
			      TG_JWK_ALLOW_PRIVATE, TG_E_KEY);
	}
	CHECK_OK(from_jwk(priv, TG_JWK_ALLOW_PRIVATE, &k));
	tg_key_free(k);
out:
	tg_key_free(gen);
}

TEST(roca)
{
	size_t n = 0;
	char *text = tg_test_read_file(data_path("rsa-roca.jwk"), &n);
	const struct tg_json *j = json(text);
	struct tg_key *k = NULL;
	struct tg_diag d;
	const char *wp;
	free(text);
	tg_diag_init(&d);
	CHECK_ERR(tg_key_from_jwk(j, 0, &k, &d), TG_E_KEY);
	CHECK(strstr(d.msg, "ROCA") != NULL);
	tg_key_free(k);
	k = NULL;
	/* an independent vector: Wycheproof's ROCA key, when the suite is here */
	wp = getenv("TG_TESTDATA");
	if (wp && *wp) {
		char path[4096];
		FILE *f;
		snprintf(path, sizeof(path), "%s/wycheproof/json_web_key_test.json", wp);
		f = fopen(path, "r");
		if (f) {
			const struct tg_json *doc, *gs;
			size_t i, found = 0;
			fclose(f);
			text = tg_test_read_file(path, &n);
			doc = json(text);
			free(text);
			gs = tg_json_get(doc, "testGroups");
			for (i = 0; gs && i < gs->u.a.len; i++) {
				const struct tg_json *g = gs->u.a.items[i];
				const struct tg_json *ks = tg_json_get(tg_json_get(g, "public"), "keys");
				if (!tg_json_str_eq(tg_json_get(g, "comment"), "jws_rsa_roca_key") || !ks)
					continue;
				tg_diag_init(&d);
				CHECK_ERR(tg_key_from_jwk(ks->u.a.items[0], 0, &k, &d), TG_E_KEY);
				CHECK(strstr(d.msg, "ROCA") != NULL);
				tg_key_free(k);
				k = NULL;
				found++;
			}
			CHECK(found == 1);
		} else {
			fprintf(stderr, "SKIPPED (subcase): %s not found\n", path);
		}
	}
}

TEST(jwk_oct)
{
	struct tg_key *k = NULL, *k2 = NULL;
	const struct tg_json *j = NULL;
	uint8_t t[32], want[32];
	static const char k32[] = "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\"";
	static const char k31[] = "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg\"";
	const struct tg_json *base = json("{\"kty\":\"oct\"}");
	struct tg_buf canon = TG_BUF_INIT(256);

	CHECK_JWK_ERR(with(base, "k", k32), 0, TG_E_KEY); /* needs the HMAC flag */
	CHECK_JWK_ERR(with(base, "k", k32), TG_JWK_ALLOW_PRIVATE, TG_E_KEY);
	CHECK_JWK_ERR(with(base, "k", "\"\""), TG_JWK_ALLOW_HMAC, TG_E_KEY);
	CHECK_JWK_ERR(base, TG_JWK_ALLOW_HMAC, TG_E_KEY);
	CHECK_JWK_ERR(with(base, "k", k31), TG_JWK_ALLOW_HMAC, TG_E_KEY);
	CHECK_JWK_ERR(with(with(base, "k", k31), "alg", "\"HS256\""), TG_JWK_ALLOW_HMAC, TG_E_KEY);
	CHECK_JWK_ERR(with(with(base, "k", k32), "alg", "\"HS384\""), TG_JWK_ALLOW_HMAC, TG_E_KEY);
	CHECK_JWK_ERR(with(with(base, "k", k32), "alg", "\"A256GCM\""), TG_JWK_ALLOW_HMAC,
		      TG_E_KEY);
	CHECK_JWK_ERR(with(with(base, "k", k32), "alg", "\"A256KW\""), TG_JWK_ALLOW_HMAC, TG_E_KEY);
	CHECK_JWK_ERR(with(with(base, "k", k32), "alg", "\"ES256\""), TG_JWK_ALLOW_HMAC, TG_E_KEY);
	CHECK_OK(from_jwk(with(with(base, "k", k32), "kid", "\"h1\""), TG_JWK_ALLOW_HMAC, &k));
	if (!k)
		return;
	CHECK(k->type == TG_KEY_HMAC && tg_key_bits(k) == 256 && tg_key_is_private(k));
	CHECK_STR(tg_key_kid(k), "h1");
	/* no public form, no PEM */
	CHECK_ERR(tg_key_to_jwk(k, false, &arena, &j), TG_E_KEY);
	CHECK_ERR(tg_key_to_pem(k, false, &canon), TG_E_KEY);
	CHECK_OK(tg_key_to_jwk(k, true, &arena, &j));
	CHECK_OK(from_jwk(j, TG_JWK_ALLOW_HMAC, &k2));
	CHECK(k2 && tg_key_equal_public(k, k2));
	/* RFC 7638 3.2: {"k":...,"kty":"oct"} */
	CHECK_OK(tg_buf_adds(&canon, "{\"k\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\","
				     "\"kty\":\"oct\"}"));
	CHECK_OK(tg_hash(TG_SHA256, canon.data, canon.len, want));
	CHECK_OK(tg_key_thumbprint(k, t));
	CHECK_MEM(t, want, 32);
	tg_buf_release(&canon);
	tg_key_free(k2);
	tg_key_free(k);
}

TEST(jwk_general)
{
	CHECK_JWK_ERR(json("[]"), 0, TG_E_KEY);
	CHECK_JWK_ERR(json("\"RSA\""), 0, TG_E_KEY);
	CHECK_JWK_ERR(json("{}"), 0, TG_E_KEY);
	CHECK_JWK_ERR(json("{\"kty\":7}"), 0, TG_E_KEY);
	CHECK_JWK_ERR(json("{\"kty\":\"PQC\"}"), 0, TG_E_UNSUPPORTED);
	CHECK_JWK_ERR(json("{\"kty\":\"ec\",\"crv\":\"P-256\"}"), 0, TG_E_UNSUPPORTED);
	CHECK_JWK_ERR(NULL, 0, TG_E_KEY);
}

/* A key with a kid, exported as JWK text. */
static const char *jwk_text(const struct tg_key *k, const char *kid)
{
	static char out[8][4096];
	static int slot;
	struct tg_key *kk = NULL;
	const struct tg_json *j = NULL;
	struct tg_buf b = TG_BUF_INIT(4000);
	char *o = out[slot++ % 8];
	if (tg_key_with_kid(k, kid, &kk) != TG_OK ||
	    tg_key_to_jwk(kk, kk->type == TG_KEY_HMAC, &arena, &j) != TG_OK ||
	    tg_json_emit(&b, j, 0) != TG_OK)
		exit(2);
	memcpy(o, tg_buf_str(&b), b.len + 1);
	tg_buf_release(&b);
	tg_key_free(kk);
	return o;
}

TEST(jwks)
{
	struct tg_key *ec = NULL, *ed = NULL, *rsa = NULL;
	struct tg_key *hm = NULL;
	struct tg_jwks s = {NULL, 0};
	struct tg_diag d;
	char text[16384];
	const struct tg_json *j = NULL;
	size_t i;

	CHECK_OK(tg_key_generate(TG_KEY_EC_P256, 0, &ec));
	CHECK_OK(tg_key_generate(TG_KEY_ED25519, 0, &ed));
	CHECK_OK(tg_key_generate(TG_KEY_RSA, 2048, &rsa));
	CHECK_OK(from_jwk(json("{\"kty\":\"oct\",\"k\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\"}"),
			  TG_JWK_ALLOW_HMAC, &hm));
	if (!ec || !ed || !rsa || !hm)
		goto out;

	snprintf(text, sizeof(text), "{\"keys\":[%s,%s,%s]}", jwk_text(ec, "a"), jwk_text(ed, "b"),
		 jwk_text(rsa, "c"));
	CHECK_OK(tg_jwks_parse(json(text), 0, false, &s, NULL));
	CHECK(s.count == 3);
	if (s.count == 3) {
		CHECK_STR(tg_key_kid(s.keys[0]), "a");
		CHECK_STR(tg_key_kid(s.keys[2]), "c");
		CHECK(tg_key_equal_public(s.keys[1], ed));
		CHECK_OK(tg_jwks_to_json((const struct tg_key *const *)s.keys, s.count, &arena, &j));
		tg_jwks_release(&s);
		CHECK_OK(tg_jwks_parse(j, 0, false, &s, NULL));
		CHECK(s.count == 3 && tg_key_equal_public(s.keys[2], rsa));
	}
	tg_jwks_release(&s);
	tg_jwks_release(&s); /* twice is harmless */
	tg_jwks_release(NULL);

	/* mixed symmetric and asymmetric keys (Wycheproof MixedKeySet) */
	snprintf(text, sizeof(text), "{\"keys\":[%s,%s]}", jwk_text(hm, "h"), jwk_text(ec, "a"));
	tg_diag_init(&d);
	CHECK_ERR(tg_jwks_parse(json(text), TG_JWK_ALLOW_HMAC, false, &s, &d), TG_E_KEY);
	CHECK(strstr(d.msg, "key 1 ") != NULL && strstr(d.msg, "mixes") != NULL);
	CHECK(s.keys == NULL && s.count == 0);
	/* oct keys alone are fine with the flag, refused without */
	snprintf(text, sizeof(text), "{\"keys\":[%s]}", jwk_text(hm, "h"));
	CHECK_OK(tg_jwks_parse(json(text), TG_JWK_ALLOW_HMAC, false, &s, NULL));
	tg_jwks_release(&s);
	CHECK_ERR(tg_jwks_parse(json(text), 0, false, &s, NULL), TG_E_KEY);

	/* a repeated kid (Wycheproof DuplicateKid), also across types */
	snprintf(text, sizeof(text), "{\"keys\":[%s,%s,%s]}", jwk_text(ec, "a"), jwk_text(ed, "b"),
		 jwk_text(rsa, "a"));
	tg_diag_init(&d);
	CHECK_ERR(tg_jwks_parse(json(text), 0, false, &s, &d), TG_E_KEY);
	CHECK(strstr(d.msg, "key 2 ") != NULL && strstr(d.msg, "kid") != NULL);
	/* keys without kid may be many */
	snprintf(text, sizeof(text), "{\"keys\":[%s,%s]}", jwk_text(ec, NULL), jwk_text(ed, NULL));
	CHECK_OK(tg_jwks_parse(json(text), 0, false, &s, NULL));
	CHECK(s.count == 2);
	tg_jwks_release(&s);

	/* a bad key names its index */
	snprintf(text, sizeof(text), "{\"keys\":[%s,{\"kty\":\"EC\",\"crv\":\"P-256\"}]}",
		 jwk_text(ec, "a"));
	tg_diag_init(&d);
	CHECK_ERR(tg_jwks_parse(json(text), 0, false, &s, &d), TG_E_KEY);
	CHECK(strncmp(d.msg, "key 1 of the JWK Set: ", 22) == 0);

	/* unknown kty or curve: skipped on request (RFC 7517 5) */
	snprintf(text, sizeof(text),
		 "{\"keys\":[{\"kty\":\"PQC\",\"kid\":\"q\"},%s,"
		 "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"AA\"}]}",
		 jwk_text(ec, "a"));
	CHECK_OK(tg_jwks_parse(json(text), 0, true, &s, NULL));
	CHECK(s.count == 1);
	tg_jwks_release(&s);
	tg_diag_init(&d);
	CHECK_ERR(tg_jwks_parse(json(text), 0, false, &s, &d), TG_E_KEY);
	CHECK(strncmp(d.msg, "key 0 ", 6) == 0);

	/* shape and size */
	CHECK_ERR(tg_jwks_parse(json("{\"keys\":{}}"), 0, false, &s, NULL), TG_E_PARSE);
	CHECK_ERR(tg_jwks_parse(json("[]"), 0, false, &s, NULL), TG_E_PARSE);
	CHECK_ERR(tg_jwks_parse(json("{}"), 0, false, &s, NULL), TG_E_PARSE);
	CHECK_OK(tg_jwks_parse(json("{\"keys\":[]}"), 0, false, &s, NULL));
	CHECK(s.count == 0);
	tg_jwks_release(&s);
	{
		struct tg_buf big = TG_BUF_INIT(1 << 20);
		const char *one = jwk_text(ed, NULL);
		CHECK_OK(tg_buf_adds(&big, "{\"keys\":["));
		for (i = 0; i < 257; i++)
			CHECK_OK(tg_buf_addf(&big, "%s%s", i ? "," : "", one));
		CHECK_OK(tg_buf_adds(&big, "]}"));
		CHECK_ERR(tg_jwks_parse(json(tg_buf_str(&big)), 0, false, &s, NULL), TG_E_TOOBIG);
		tg_buf_release(&big);
	}
	/* a set of public JWKs never holds an HMAC secret */
	{
		const struct tg_key *ks[2] = {ec, hm};
		CHECK_ERR(tg_jwks_to_json(ks, 2, &arena, &j), TG_E_KEY);
	}
out:
	tg_key_free(ec);
	tg_key_free(ed);
	tg_key_free(rsa);
	tg_key_free(hm);
}

TEST(save_private)
{
	char dir[] = "/tmp/tg-keys-XXXXXX";
	char path[256];
	struct tg_key *k = NULL, *k2 = NULL, *pub = NULL;
	struct stat st;
	struct tg_diag d;
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/signer.pem", dir);
	CHECK_OK(tg_key_generate(TG_KEY_EC_P384, 0, &k));
	if (!k)
		return;
	CHECK_OK(tg_key_save_private(k, path, NULL));
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600);
	CHECK_OK(tg_key_load_file(path, &k2, NULL));
	CHECK(k2 && k2->is_private && tg_key_equal_public(k, k2));
	/* never overwrites */
	tg_diag_init(&d);
	CHECK_ERR(tg_key_save_private(k, path, &d), TG_E_EXISTS);
	CHECK(d.msg[0] != '\0');
	/* a public key has nothing to save */
	CHECK_OK(tg_key_public(k, &pub));
	snprintf(path, sizeof(path), "%s/public.pem", dir);
	CHECK(tg_key_save_private(pub, path, NULL) != TG_OK);
	CHECK(access(path, F_OK) != 0);
	snprintf(path, sizeof(path), "%s/signer.pem", dir);
	unlink(path);
	rmdir(dir);
	tg_key_free(pub);
	tg_key_free(k2);
	tg_key_free(k);
}

int main(void)
{
	int rc;
	tg_secure_heap_init(1 << 16);
	tg_arena_init(&arena, (size_t)64 << 20);
	RUN(generated_round_trips);
	RUN(openssl_files);
	RUN(der_inputs);
	RUN(ec_public_points);
	RUN(pem_rejections);
	RUN(rfc_thumbprints);
	RUN(jwk_ec_rules);
	RUN(jwk_use_and_key_ops);
	RUN(jwk_okp_rules);
	RUN(jwk_rsa_rules);
	RUN(roca);
	RUN(jwk_oct);
	RUN(jwk_general);
	RUN(jwks);
	RUN(save_private);
	rc = tg_test_done();
	tg_arena_release(&arena);
	return rc;
}
