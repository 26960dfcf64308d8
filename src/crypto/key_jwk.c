/* SPDX-License-Identifier: Apache-2.0 */
/*
 * key_jwk.c - keys as JSON Web Keys (RFC 7517, RFC 7518 6, RFC 8037 2):
 * strict import with kty/crv/alg/use/key_ops checks, export, RFC 7638
 * thumbprints, and JWK Sets (no mixed symmetry, no repeated kid).
 */
#include "crypto/crypto.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "core/codec.h"
#include "core/limits.h"
#include "core/mem.h"
#include "crypto/crypto_internal.h"

#define EC_FIELD_MAX 66                             /* P-521 */
#define RSA_MAX_BYTES (TG_LIMIT_RSA_MAX_BITS / 8)   /* the longest modulus we take */
#define RSA_E_MAX_BYTES 32                          /* tg_key_validate: e below 2^256 */
#define JWK_MEMBERS_MAX 16                          /* members tg_key_to_jwk writes */

/* Copies at most 32 bytes of s for a message, with '?' for anything that
 * is not printable ASCII, so that JWK text cannot forge log lines. */
static const char *show(const char *s, size_t n, char buf[36])
{
	size_t i, m = n > 32 ? 32 : n;
	for (i = 0; i < m; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\'') ? s[i] : '?';
	if (n > m) {
		buf[m - 3] = buf[m - 2] = buf[m - 1] = '.';
	}
	buf[m] = '\0';
	return buf;
}

/* The string member name: TG_E_NOTFOUND when absent, TG_E_KEY when present
 * but not a string. */
static tg_err str_member(const struct tg_json *o, const char *name, const char **s, size_t *n,
			 struct tg_diag *d)
{
	const struct tg_json *v = tg_json_get(o, name);
	if (!v)
		return TG_E_NOTFOUND;
	if (v->type != TG_JSON_STRING) {
		tg_diag_set(d, "JWK member '%s' is not a string", name);
		return TG_E_KEY;
	}
	*s = v->u.s.p;
	*n = v->u.s.len;
	return TG_OK;
}

/* Appends the strict base64url decoding of a required member. */
static tg_err b64_member(const struct tg_json *o, const char *name, struct tg_buf *out,
			 struct tg_diag *d)
{
	const char *s = NULL;
	size_t n = 0;
	tg_err r = str_member(o, name, &s, &n, d);
	if (r == TG_E_NOTFOUND) {
		tg_diag_set(d, "JWK lacks the required member '%s'", name);
		return TG_E_KEY;
	}
	if (r != TG_OK)
		return r;
	if (tg_b64_decode(out, s, n, TG_B64_URL, NULL) != TG_OK) {
		tg_diag_set(d, "JWK member '%s' is not canonical base64url", name);
		return TG_E_KEY;
	}
	return TG_OK;
}

/* A member that must decode to exactly len bytes (EC coordinates and
 * scalars, RFC 7518 6.2.1.2; Ed25519 keys, RFC 8037 2). */
static tg_err fixed_member(const struct tg_json *o, const char *name, size_t len,
			   struct tg_buf *out, struct tg_diag *d)
{
	tg_err r = b64_member(o, name, out, d);
	if (r != TG_OK)
		return r;
	if (out->len != len) {
		tg_diag_set(d, "JWK member '%s' has %zu bytes, the curve needs %zu", name, out->len,
			    len);
		return TG_E_KEY;
	}
	return TG_OK;
}

/* A Base64urlUInt member (RFC 7518 2): at least one octet and no leading
 * zero octet. We reject a padded value rather than repair it, so that a
 * key has one JWK form and one thumbprint. max caps the length. */
static tg_err uint_member(const struct tg_json *o, const char *name, size_t max, bool secret,
			  BIGNUM **out, struct tg_diag *d)
{
	struct tg_buf b = TG_BUF_INIT(4 * TG_LIMIT_JWK);
	BIGNUM *bn = NULL;
	tg_err r = b64_member(o, name, &b, d);
	if (r != TG_OK)
		goto out;
	r = TG_E_KEY;
	if (b.len == 0 || (b.len > 1 && b.data[0] == 0)) {
		tg_diag_set(d, "JWK member '%s' is not a minimal Base64urlUInt", name);
		goto out;
	}
	if (b.len > max) {
		tg_diag_set(d, "JWK member '%s' is too long (%zu bytes)", name, b.len);
		goto out;
	}
	bn = secret ? BN_secure_new() : BN_new();
	if (!bn || !BN_bin2bn(b.data, (int)b.len, bn)) {
		r = TG_E_CRYPTO;
		goto out;
	}
	*out = bn;
	bn = NULL;
	r = TG_OK;
out:
	BN_clear_free(bn);
	tg_buf_release_wipe(&b);
	return r;
}

/* Metadata common to every kty (RFC 7517 4). */
struct jwk_meta {
	const char *kid;
	size_t kid_len;
	enum tg_sig_alg alg;
	unsigned flags;
};

/* RFC 7517 4.3 registered key operations; sign and verify come first. */
static const char *const key_ops[] = {
	"sign", "verify", "encrypt", "decrypt", "wrapKey", "unwrapKey", "deriveKey", "deriveBits",
};

static tg_err parse_meta(const struct tg_json *jwk, struct jwk_meta *m, struct tg_diag *d)
{
	const struct tg_json *ops;
	const char *s = NULL;
	size_t n = 0, i, j;
	char buf[36];
	tg_err r;

	memset(m, 0, sizeof(*m));
	r = str_member(jwk, "kid", &m->kid, &m->kid_len, d);
	if (r == TG_E_NOTFOUND) {
		m->kid = NULL;
	} else if (r != TG_OK) {
		return r;
	} else if (memchr(m->kid, '\0', m->kid_len)) {
		tg_diag_set(d, "JWK kid contains a NUL character");
		return TG_E_KEY;
	}
	/* RFC 7517 4.4: alg names the one algorithm; only JWS signature
	 * algorithms are meaningful here ("A256GCM", "RSA-OAEP", "ES521" are not) */
	r = str_member(jwk, "alg", &s, &n, d);
	if (r == TG_OK) {
		if (tg_sig_alg_from_name(s, n, &m->alg) != TG_OK) {
			tg_diag_set(d, "JWK alg '%s' is not a JWS signature algorithm",
				    show(s, n, buf));
			return TG_E_KEY;
		}
	} else if (r != TG_E_NOTFOUND) {
		return r;
	}
	/* RFC 7517 4.2: "use" other than "sig" keeps the key from signatures */
	r = str_member(jwk, "use", &s, &n, d);
	if (r == TG_OK) {
		if (n != 3 || memcmp(s, "sig", 3) != 0)
			m->flags |= TG_KEYF_NO_SIG;
	} else if (r != TG_E_NOTFOUND) {
		return r;
	}
	/* RFC 7517 4.3: an array of strings without duplicates; a key for
	 * signatures lists "sign" or "verify". Repeats are found among the
	 * registered values (a bit each, linear time whatever the length);
	 * other values are allowed and ignored. */
	ops = tg_json_get(jwk, "key_ops");
	if (ops) {
		unsigned seen = 0;
		if (ops->type != TG_JSON_ARRAY) {
			tg_diag_set(d, "JWK key_ops is not an array");
			return TG_E_KEY;
		}
		for (i = 0; i < ops->u.a.len; i++) {
			const struct tg_json *op = ops->u.a.items[i];
			if (op->type != TG_JSON_STRING) {
				tg_diag_set(d, "JWK key_ops holds a value that is not a string");
				return TG_E_KEY;
			}
			for (j = 0; j < TG_ARRAY_LEN(key_ops); j++) {
				if (!tg_json_str_eq(op, key_ops[j]))
					continue;
				if (seen & (1u << j)) {
					tg_diag_set(d, "JWK key_ops repeats '%s'", key_ops[j]);
					return TG_E_KEY;
				}
				seen |= 1u << j;
			}
		}
		if (!(seen & 3u)) /* "sign" and "verify" are bits 0 and 1 */
			m->flags |= TG_KEYF_NO_SIG;
	}
	return TG_OK;
}

/* Builds an EVP_PKEY of type name from params. */
static tg_err pkey_fromdata(const char *name, int selection, OSSL_PARAM *params, EVP_PKEY **out,
			    struct tg_diag *d)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL);
	EVP_PKEY *pkey = NULL;
	tg_err r = TG_E_KEY;
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, selection, params) != 1 || !pkey) {
		ERR_clear_error();
		tg_diag_set(d, "JWK does not describe a valid %s key", name);
		goto out;
	}
	*out = pkey;
	r = TG_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static tg_err ec_from_jwk(const struct tg_json *jwk, bool priv, EVP_PKEY **out, struct tg_diag *d)
{
	static const struct {
		const char *crv, *group;
		size_t fb;
	} curves[] = {{"P-256", "P-256", 32}, {"P-384", "P-384", 48}, {"P-521", "P-521", 66}};
	struct tg_buf pt = TG_BUF_INIT(1 + 2 * EC_FIELD_MAX), db = TG_BUF_INIT(EC_FIELD_MAX);
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *dbn = NULL;
	EVP_PKEY *pkey = NULL;
	const char *crv = NULL, *group = NULL;
	size_t n = 0, i, fb = 0;
	char buf[36];
	tg_err r;

	r = str_member(jwk, "crv", &crv, &n, d);
	if (r == TG_E_NOTFOUND) {
		tg_diag_set(d, "EC JWK lacks 'crv'");
		r = TG_E_KEY;
	}
	if (r != TG_OK)
		goto out;
	for (i = 0; i < TG_ARRAY_LEN(curves); i++) {
		if (strlen(curves[i].crv) == n && memcmp(curves[i].crv, crv, n) == 0) {
			group = curves[i].group;
			fb = curves[i].fb;
		}
	}
	if (!group) {
		tg_diag_set(d, "unsupported EC curve '%s'", show(crv, n, buf));
		r = TG_E_UNSUPPORTED;
		goto out;
	}
	/* RFC 7518 6.2.1: the uncompressed point from two full-length coordinates */
	{
		struct tg_buf x = TG_BUF_INIT(EC_FIELD_MAX), y = TG_BUF_INIT(EC_FIELD_MAX);
		r = fixed_member(jwk, "x", fb, &x, d);
		if (r == TG_OK)
			r = fixed_member(jwk, "y", fb, &y, d);
		if (r == TG_OK)
			r = tg_buf_addc(&pt, 0x04);
		if (r == TG_OK)
			r = tg_buf_add(&pt, x.data, x.len);
		if (r == TG_OK)
			r = tg_buf_add(&pt, y.data, y.len);
		tg_buf_release(&x);
		tg_buf_release(&y);
	}
	if (r != TG_OK)
		goto out;
	r = TG_E_CRYPTO;
	bld = OSSL_PARAM_BLD_new();
	if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt.data, pt.len))
		goto out;
	if (priv) {
		r = fixed_member(jwk, "d", fb, &db, d); /* RFC 7518 6.2.2.1 */
		if (r != TG_OK)
			goto out;
		r = TG_E_CRYPTO;
		dbn = BN_secure_new();
		if (!dbn || !BN_bin2bn(db.data, (int)db.len, dbn) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, dbn))
			goto out;
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	if (!params)
		goto out;
	/* tg_key_validate checks that d belongs to (x, y) */
	r = pkey_fromdata("EC", priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params, &pkey, d);
	if (r != TG_OK)
		goto out;
	*out = pkey;
	pkey = NULL;
	r = TG_OK;
out:
	if (r == TG_E_CRYPTO)
		tg_ossl_err(d, "cannot build the EC key");
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(dbn);
	tg_buf_release_wipe(&db);
	tg_buf_release(&pt);
	return r;
}

static tg_err okp_from_jwk(const struct tg_json *jwk, bool priv, EVP_PKEY **out,
			   struct tg_diag *d)
{
	struct tg_buf x = TG_BUF_INIT(32), db = TG_BUF_INIT(32);
	uint8_t pub[32];
	size_t n = 0, publen = sizeof(pub);
	const char *crv = NULL;
	EVP_PKEY *pkey = NULL;
	char buf[36];
	tg_err r;

	r = str_member(jwk, "crv", &crv, &n, d);
	if (r == TG_E_NOTFOUND) {
		tg_diag_set(d, "OKP JWK lacks 'crv'");
		r = TG_E_KEY;
	}
	if (r != TG_OK)
		goto out;
	if (n != 7 || memcmp(crv, "Ed25519", 7) != 0) {
		/* X25519, Ed448, X448 (RFC 8037 2) are not signature keys of ours */
		tg_diag_set(d, "unsupported OKP curve '%s'", show(crv, n, buf));
		r = TG_E_UNSUPPORTED;
		goto out;
	}
	r = fixed_member(jwk, "x", 32, &x, d);
	if (r != TG_OK)
		goto out;
	if (priv) {
		r = fixed_member(jwk, "d", 32, &db, d);
		if (r != TG_OK)
			goto out;
		pkey = EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL, db.data, db.len);
		r = TG_E_KEY;
		if (!pkey || EVP_PKEY_get_raw_public_key(pkey, pub, &publen) != 1 ||
		    publen != 32 || CRYPTO_memcmp(pub, x.data, 32) != 0) {
			tg_diag_set(d, "JWK private members do not match its public members");
			goto out;
		}
	} else {
		pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, x.data, x.len);
		if (!pkey) {
			tg_diag_set(d, "JWK does not describe a valid Ed25519 key");
			r = TG_E_KEY;
			goto out;
		}
	}
	*out = pkey;
	pkey = NULL;
	r = TG_OK;
out:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	tg_buf_release_wipe(&db);
	tg_buf_release(&x);
	return r;
}

static tg_err rsa_from_jwk(const struct tg_json *jwk, bool priv, EVP_PKEY **out,
			   struct tg_diag *d)
{
	/* RFC 7518 6.3.2: with "d", the CRT members must all be there ("oth",
	 * multi-prime, is refused); OpenSSL maps them to these parameters */
	static const struct {
		const char *member, *param;
	} crt[] = {
		{"d", OSSL_PKEY_PARAM_RSA_D},
		{"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
		{"q", OSSL_PKEY_PARAM_RSA_FACTOR2},
		{"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
		{"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2},
		{"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
	};
	BIGNUM *nbn = NULL, *ebn = NULL, *priv_bn[TG_ARRAY_LEN(crt)] = {NULL};
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pkey = NULL;
	size_t i;
	tg_err r;

	/* Size caps before any arithmetic: tg_key_validate gives the reasons */
	r = uint_member(jwk, "n", RSA_MAX_BYTES, false, &nbn, d);
	if (r == TG_OK)
		r = uint_member(jwk, "e", RSA_E_MAX_BYTES, false, &ebn, d);
	if (r != TG_OK)
		goto out;
	r = TG_E_CRYPTO;
	bld = OSSL_PARAM_BLD_new();
	if (!bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, nbn) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, ebn))
		goto out;
	if (priv) {
		if (tg_json_get(jwk, "oth")) {
			tg_diag_set(d, "multi-prime RSA JWKs ('oth') are not supported");
			r = TG_E_KEY;
			goto out;
		}
		for (i = 0; i < TG_ARRAY_LEN(crt); i++) {
			r = uint_member(jwk, crt[i].member, RSA_MAX_BYTES, true, &priv_bn[i], d);
			if (r != TG_OK)
				goto out;
			if (!OSSL_PARAM_BLD_push_BN(bld, crt[i].param, priv_bn[i])) {
				r = TG_E_CRYPTO;
				goto out;
			}
		}
	}
	r = TG_E_CRYPTO;
	params = OSSL_PARAM_BLD_to_param(bld);
	if (!params)
		goto out;
	/* tg_key_validate checks the private members against n and e; the caps
	 * above bound the work its primality tests do */
	r = pkey_fromdata("RSA", priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params, &pkey, d);
	if (r != TG_OK)
		goto out;
	*out = pkey;
	pkey = NULL;
	r = TG_OK;
out:
	if (r == TG_E_CRYPTO)
		tg_ossl_err(d, "cannot build the RSA key");
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(nbn);
	BN_free(ebn);
	for (i = 0; i < TG_ARRAY_LEN(crt); i++)
		BN_clear_free(priv_bn[i]);
	return r;
}

static tg_err oct_from_jwk(const struct tg_json *jwk, struct tg_key **out, struct tg_diag *d)
{
	struct tg_buf kb = TG_BUF_INIT(4 * TG_LIMIT_JWK);
	struct tg_key *k;
	tg_err r = b64_member(jwk, "k", &kb, d); /* RFC 7518 6.4.1 */
	if (r != TG_OK)
		goto out;
	if (kb.len == 0) {
		tg_diag_set(d, "empty HMAC key");
		r = TG_E_KEY;
		goto out;
	}
	k = tg_xcalloc(1, sizeof(*k));
	k->refs = 1;
	k->type = TG_KEY_HMAC;
	k->is_private = true; /* the key is the secret */
	k->bits = kb.len > (size_t)(~0u / 8) ? ~0u : (unsigned)(kb.len * 8);
	k->secret = tg_secret_from(kb.data, kb.len);
	*out = k;
out:
	tg_buf_release_wipe(&kb);
	return r;
}

/* Private members of each kty (RFC 7518 6.2.2, 6.3.2; RFC 8037 2). */
static bool has_private(const struct tg_json *jwk, bool rsa)
{
	static const char *const rsa_priv[] = {"d", "p", "q", "dp", "dq", "qi", "oth"};
	size_t i;
	if (!rsa)
		return tg_json_get(jwk, "d") != NULL;
	for (i = 0; i < TG_ARRAY_LEN(rsa_priv); i++)
		if (tg_json_get(jwk, rsa_priv[i]))
			return true;
	return false;
}

tg_err tg_key_from_jwk(const struct tg_json *jwk, unsigned flags, struct tg_key **out,
		       struct tg_diag *d)
{
	struct jwk_meta m;
	struct tg_key *k = NULL;
	EVP_PKEY *pkey = NULL;
	const char *kty = NULL;
	size_t n = 0;
	bool priv = false;
	char buf[36];
	tg_err r;

	if (!jwk || jwk->type != TG_JSON_OBJECT) {
		tg_diag_set(d, "JWK is not a JSON object");
		return TG_E_KEY;
	}
	r = str_member(jwk, "kty", &kty, &n, d);
	if (r == TG_E_NOTFOUND) {
		tg_diag_set(d, "JWK lacks 'kty'");
		return TG_E_KEY;
	}
	if (r != TG_OK)
		return r;
	r = parse_meta(jwk, &m, d);
	if (r != TG_OK)
		return r;
	if (n == 2 && !memcmp(kty, "EC", 2)) {
		priv = has_private(jwk, false);
	} else if (n == 3 && !memcmp(kty, "OKP", 3)) {
		priv = has_private(jwk, false);
	} else if (n == 3 && !memcmp(kty, "RSA", 3)) {
		priv = has_private(jwk, true);
		if (priv && !tg_json_get(jwk, "d")) {
			tg_diag_set(d, "RSA JWK has private members but no 'd'");
			return TG_E_KEY;
		}
	} else if (n == 3 && !memcmp(kty, "oct", 3)) {
		if (!(flags & TG_JWK_ALLOW_HMAC)) {
			tg_diag_set(d, "symmetric (oct) JWKs are not accepted here");
			return TG_E_KEY;
		}
	} else {
		tg_diag_set(d, "unsupported JWK kty '%s'", show(kty, n, buf));
		return TG_E_UNSUPPORTED; /* RFC 7517 5: a JWK Set may skip it */
	}
	if (priv && !(flags & TG_JWK_ALLOW_PRIVATE)) {
		tg_diag_set(d, "JWK has private key members where a public key is expected");
		return TG_E_KEY;
	}

	if (kty[0] == 'E')
		r = ec_from_jwk(jwk, priv, &pkey, d);
	else if (kty[0] == 'O')
		r = okp_from_jwk(jwk, priv, &pkey, d);
	else if (kty[0] == 'R')
		r = rsa_from_jwk(jwk, priv, &pkey, d);
	else
		r = oct_from_jwk(jwk, &k, d);
	if (r != TG_OK)
		goto out;
	if (pkey) {
		r = tg_key_wrap(pkey, priv, &k);
		if (r != TG_OK) {
			tg_diag_set(d, "unsupported key type or curve");
			goto out;
		}
		pkey = NULL;
	}
	/* RFC 7517 4.4: alg must fit the key (ES256 only on P-256, HS384 only
	 * on a key of 48 bytes or more, ...) */
	k->pinned = m.alg;
	if (m.alg != TG_SIG_NONE && tg_key_check_alg(k, m.alg) != TG_OK) {
		tg_diag_set(d, "JWK alg '%s' does not fit the key (%s, %u bits)",
			    tg_sig_alg_name(m.alg), tg_key_type_name(k->type), k->bits);
		r = TG_E_KEY;
		goto out;
	}
	if (k->type == TG_KEY_HMAC && m.alg == TG_SIG_NONE &&
	    tg_key_check_alg(k, TG_SIG_HS256) != TG_OK) {
		tg_diag_set(d, "HMAC key of %u bits is shorter than any HS algorithm allows",
			    k->bits);
		r = TG_E_KEY;
		goto out;
	}
	k->flags = m.flags;
	if (m.kid)
		k->kid = tg_xstrndup(m.kid, m.kid_len);
	r = tg_key_validate(k, d);
	if (r != TG_OK)
		goto out;
	*out = k;
	k = NULL;
out:
	tg_key_free(k);
	EVP_PKEY_free(pkey);
	return r;
}

/* ---- export ---- */

struct jwk_builder {
	struct tg_arena *a;
	struct tg_json_member m[JWK_MEMBERS_MAX];
	size_t n;
};

static tg_err add_str(struct jwk_builder *b, const char *name, const char *s, size_t n)
{
	tg_err r;
	if (b->n == JWK_MEMBERS_MAX)
		return TG_E_INTERNAL;
	r = tg_json_new_string(b->a, name, strlen(name), &b->m[b->n].key);
	if (r == TG_OK)
		r = tg_json_new_string(b->a, s, n, &b->m[b->n].val);
	if (r == TG_OK)
		b->n++;
	return r;
}

static tg_err add_b64(struct jwk_builder *b, const char *name, const uint8_t *p, size_t n)
{
	struct tg_buf t = TG_BUF_INIT(4 * TG_LIMIT_JWK);
	tg_err r = tg_b64_encode(&t, p, n, TG_B64_URL);
	if (r == TG_OK)
		r = add_str(b, name, tg_buf_str(&t), t.len);
	tg_buf_release_wipe(&t);
	return r;
}

/* Appends a BIGNUM parameter of pkey: minimal big-endian (one zero octet
 * for zero) when pad is 0, else exactly pad bytes. */
static tg_err bn_param(const EVP_PKEY *pkey, const char *param, size_t pad, struct tg_buf *out)
{
	BIGNUM *bn = NULL;
	uint8_t *o;
	size_t len;
	tg_err r = TG_E_KEY;
	if (!EVP_PKEY_get_bn_param(pkey, param, &bn))
		goto out;
	len = pad ? pad : (BN_num_bytes(bn) ? (size_t)BN_num_bytes(bn) : 1);
	if (len > INT32_MAX || (size_t)BN_num_bytes(bn) > len)
		goto out;
	o = tg_buf_reserve(out, len);
	if (!o) {
		r = TG_E_TOOBIG;
		goto out;
	}
	if (BN_bn2binpad(bn, o, (int)len) != (int)len) {
		r = TG_E_CRYPTO;
		goto out;
	}
	tg_buf_commit(out, len);
	r = TG_OK;
out:
	ERR_clear_error();
	BN_clear_free(bn);
	return r;
}

/* One member from a BIGNUM parameter. */
static tg_err add_bn(struct jwk_builder *b, const struct tg_key *k, const char *name,
		     const char *param, size_t pad)
{
	struct tg_buf t = TG_BUF_INIT(RSA_MAX_BYTES);
	tg_err r = bn_param(k->pkey, param, pad, &t);
	if (r == TG_OK)
		r = add_b64(b, name, t.data, t.len);
	tg_buf_release_wipe(&t);
	return r;
}

static const char *ec_crv(enum tg_key_type t)
{
	return t == TG_KEY_EC_P256 ? "P-256" : t == TG_KEY_EC_P384 ? "P-384" : "P-521";
}

static size_t ec_fb(enum tg_key_type t)
{
	return t == TG_KEY_EC_P256 ? 32 : t == TG_KEY_EC_P384 ? 48 : 66;
}

/* Appends the required public members of k (RFC 7638 3.2) as bytes, in
 * the order the thumbprint needs them. */
static tg_err raw_ed25519(const struct tg_key *k, bool private_part, uint8_t out[32])
{
	size_t len = 32;
	int ok = private_part ? EVP_PKEY_get_raw_private_key(k->pkey, out, &len)
			      : EVP_PKEY_get_raw_public_key(k->pkey, out, &len);
	ERR_clear_error();
	return ok == 1 && len == 32 ? TG_OK : TG_E_KEY;
}

tg_err tg_key_to_jwk(const struct tg_key *k, bool private_part, struct tg_arena *a,
		     const struct tg_json **out)
{
	struct jwk_builder b;
	uint8_t raw[32];
	const char *alg;
	tg_err r = TG_OK;

	b.a = a;
	b.n = 0;
	if (private_part && !k->is_private)
		return TG_E_KEY;
	switch (k->type) {
	case TG_KEY_ED25519: /* RFC 8037 2 */
		r = add_str(&b, "kty", "OKP", 3);
		if (r == TG_OK)
			r = add_str(&b, "crv", "Ed25519", 7);
		if (r == TG_OK)
			r = raw_ed25519(k, false, raw);
		if (r == TG_OK)
			r = add_b64(&b, "x", raw, 32);
		if (r == TG_OK && private_part) {
			r = raw_ed25519(k, true, raw);
			if (r == TG_OK)
				r = add_b64(&b, "d", raw, 32);
		}
		break;
	case TG_KEY_EC_P256:
	case TG_KEY_EC_P384:
	case TG_KEY_EC_P521: /* RFC 7518 6.2 */
		r = add_str(&b, "kty", "EC", 2);
		if (r == TG_OK)
			r = add_str(&b, "crv", ec_crv(k->type), 5);
		if (r == TG_OK)
			r = add_bn(&b, k, "x", OSSL_PKEY_PARAM_EC_PUB_X, ec_fb(k->type));
		if (r == TG_OK)
			r = add_bn(&b, k, "y", OSSL_PKEY_PARAM_EC_PUB_Y, ec_fb(k->type));
		if (r == TG_OK && private_part)
			r = add_bn(&b, k, "d", OSSL_PKEY_PARAM_PRIV_KEY, ec_fb(k->type));
		break;
	case TG_KEY_RSA: /* RFC 7518 6.3 */
		r = add_str(&b, "kty", "RSA", 3);
		if (r == TG_OK)
			r = add_bn(&b, k, "n", OSSL_PKEY_PARAM_RSA_N, 0);
		if (r == TG_OK)
			r = add_bn(&b, k, "e", OSSL_PKEY_PARAM_RSA_E, 0);
		if (r == TG_OK && private_part) {
			r = add_bn(&b, k, "d", OSSL_PKEY_PARAM_RSA_D, 0);
			if (r == TG_OK)
				r = add_bn(&b, k, "p", OSSL_PKEY_PARAM_RSA_FACTOR1, 0);
			if (r == TG_OK)
				r = add_bn(&b, k, "q", OSSL_PKEY_PARAM_RSA_FACTOR2, 0);
			if (r == TG_OK)
				r = add_bn(&b, k, "dp", OSSL_PKEY_PARAM_RSA_EXPONENT1, 0);
			if (r == TG_OK)
				r = add_bn(&b, k, "dq", OSSL_PKEY_PARAM_RSA_EXPONENT2, 0);
			if (r == TG_OK)
				r = add_bn(&b, k, "qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1, 0);
		}
		break;
	case TG_KEY_HMAC: /* RFC 7518 6.4: the whole key is secret */
		if (!private_part || !k->secret)
			return TG_E_KEY;
		r = add_str(&b, "kty", "oct", 3);
		if (r == TG_OK)
			r = add_b64(&b, "k", k->secret->p, k->secret->len);
		break;
	default:
		return TG_E_KEY;
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	if (r == TG_OK && k->kid)
		r = add_str(&b, "kid", k->kid, strlen(k->kid));
	if (r == TG_OK && k->pinned != TG_SIG_NONE) {
		alg = tg_sig_alg_name(k->pinned);
		r = add_str(&b, "alg", alg, strlen(alg));
	}
	if (r == TG_OK)
		r = tg_json_new_object(a, b.m, b.n, TG_JSON_DUP_REJECT, out);
	return r;
}

/* ---- RFC 7638 thumbprint ---- */

static tg_err tp_member(struct tg_buf *t, const char *name, const uint8_t *p, size_t n,
			bool last)
{
	tg_err r = tg_buf_addf(t, "\"%s\":\"", name);
	if (r == TG_OK)
		r = tg_b64_encode(t, p, n, TG_B64_URL);
	if (r == TG_OK)
		r = tg_buf_adds(t, last ? "\"}" : "\",");
	return r;
}

tg_err tg_key_thumbprint(const struct tg_key *k, uint8_t out[32])
{
	/* RFC 7638 3.2/3.3: the required members only, lexicographic order, no
	 * whitespace; every value here is base64url or a fixed name, so the
	 * JSON needs no escaping */
	struct tg_buf t = TG_BUF_INIT(4 * TG_LIMIT_JWK);
	struct tg_buf x = TG_BUF_INIT(RSA_MAX_BYTES), y = TG_BUF_INIT(RSA_MAX_BYTES);
	uint8_t raw[32];
	uint8_t h[32];
	tg_err r;

	switch (k->type) {
	case TG_KEY_ED25519:
		r = raw_ed25519(k, false, raw);
		if (r == TG_OK)
			r = tg_buf_adds(&t, "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",");
		if (r == TG_OK)
			r = tp_member(&t, "x", raw, 32, true);
		break;
	case TG_KEY_EC_P256:
	case TG_KEY_EC_P384:
	case TG_KEY_EC_P521:
		r = bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, ec_fb(k->type), &x);
		if (r == TG_OK)
			r = bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, ec_fb(k->type), &y);
		if (r == TG_OK)
			r = tg_buf_addf(&t, "{\"crv\":\"%s\",\"kty\":\"EC\",", ec_crv(k->type));
		if (r == TG_OK)
			r = tp_member(&t, "x", x.data, x.len, false);
		if (r == TG_OK)
			r = tp_member(&t, "y", y.data, y.len, true);
		break;
	case TG_KEY_RSA:
		r = bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_E, 0, &x);
		if (r == TG_OK)
			r = bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_N, 0, &y);
		if (r == TG_OK)
			r = tg_buf_adds(&t, "{");
		if (r == TG_OK)
			r = tp_member(&t, "e", x.data, x.len, false);
		if (r == TG_OK)
			r = tg_buf_adds(&t, "\"kty\":\"RSA\",");
		if (r == TG_OK)
			r = tp_member(&t, "n", y.data, y.len, true);
		break;
	case TG_KEY_HMAC:
		r = k->secret ? tg_buf_adds(&t, "{") : TG_E_KEY;
		if (r == TG_OK)
			r = tp_member(&t, "k", k->secret->p, k->secret->len, false);
		if (r == TG_OK)
			r = tg_buf_adds(&t, "\"kty\":\"oct\"}");
		break;
	default:
		r = TG_E_KEY;
	}
	if (r == TG_OK)
		r = tg_hash(TG_SHA256, t.data, t.len, h);
	if (r == TG_OK)
		memcpy(out, h, sizeof(h));
	tg_buf_release_wipe(&t); /* holds the secret of an HMAC key */
	tg_buf_release(&x);
	tg_buf_release(&y);
	return r;
}

/* ---- JWK Sets (RFC 7517 5) ---- */

void tg_jwks_release(struct tg_jwks *s)
{
	size_t i;
	if (!s)
		return;
	for (i = 0; i < s->count; i++)
		tg_key_free(s->keys[i]);
	free(s->keys);
	s->keys = NULL;
	s->count = 0;
}

tg_err tg_jwks_parse(const struct tg_json *set, unsigned flags, bool skip_unknown,
		     struct tg_jwks *out, struct tg_diag *d)
{
	struct tg_jwks s = {NULL, 0};
	const struct tg_json *keys = tg_json_get(set, "keys");
	struct tg_diag kd;
	size_t i, j, first_sym = SIZE_MAX, first_asym = SIZE_MAX;
	size_t *index = NULL; /* document index of each kept key */
	tg_err r = TG_E_PARSE;

	if (!set || set->type != TG_JSON_OBJECT || !keys || keys->type != TG_JSON_ARRAY) {
		tg_diag_set(d, "JWK Set is not an object with a 'keys' array");
		return TG_E_PARSE;
	}
	if (keys->u.a.len > TG_LIMIT_JWKS_KEYS) {
		tg_diag_set(d, "JWK Set has %zu keys, more than %d", keys->u.a.len,
			    TG_LIMIT_JWKS_KEYS);
		return TG_E_TOOBIG;
	}
	s.keys = tg_xcalloc(keys->u.a.len ? keys->u.a.len : 1, sizeof(*s.keys));
	index = tg_xcalloc(keys->u.a.len ? keys->u.a.len : 1, sizeof(*index));
	for (i = 0; i < keys->u.a.len; i++) {
		struct tg_key *k = NULL;
		tg_diag_init(&kd);
		r = tg_key_from_jwk(keys->u.a.items[i], flags, &k, &kd);
		if (r == TG_E_UNSUPPORTED && skip_unknown)
			continue; /* RFC 7517 5: ignore keys we do not understand */
		if (r != TG_OK) {
			tg_diag_set(d, "key %zu of the JWK Set: %s", i, kd.msg);
			r = TG_E_KEY;
			goto out;
		}
		index[s.count] = i;
		s.keys[s.count++] = k;
		if (k->type == TG_KEY_HMAC && first_sym == SIZE_MAX)
			first_sym = i;
		if (k->type != TG_KEY_HMAC && first_asym == SIZE_MAX)
			first_asym = i;
	}
	/* a set holding both kinds invites confusing a public key for an HMAC
	 * secret (Wycheproof MixedKeySet) */
	if (first_sym != SIZE_MAX && first_asym != SIZE_MAX) {
		tg_diag_set(d, "key %zu of the JWK Set: the set mixes symmetric and asymmetric keys",
			    first_sym > first_asym ? first_sym : first_asym);
		r = TG_E_KEY;
		goto out;
	}
	/* a kid must name one key (Wycheproof DuplicateKid) */
	for (i = 0; i < s.count; i++) {
		for (j = 0; j < i && s.keys[i]->kid; j++) {
			if (s.keys[j]->kid && strcmp(s.keys[i]->kid, s.keys[j]->kid) == 0) {
				tg_diag_set(d, "key %zu of the JWK Set repeats the kid of key %zu",
					    index[i], index[j]);
				r = TG_E_KEY;
				goto out;
			}
		}
	}
	*out = s;
	s.keys = NULL;
	s.count = 0;
	r = TG_OK;
out:
	free(index);
	tg_jwks_release(&s);
	return r;
}

tg_err tg_jwks_to_json(const struct tg_key *const *keys, size_t n, struct tg_arena *a,
		       const struct tg_json **out)
{
	const struct tg_json **items;
	const struct tg_json *arr = NULL, *name = NULL;
	struct tg_json_member m;
	size_t i;
	tg_err r;

	if (n > TG_LIMIT_JWKS_KEYS)
		return TG_E_TOOBIG;
	items = tg_arena_alloc_array(a, n ? n : 1, sizeof(*items));
	if (!items)
		return TG_E_TOOBIG;
	for (i = 0; i < n; i++) {
		r = tg_key_to_jwk(keys[i], false, a, &items[i]);
		if (r != TG_OK)
			return r;
	}
	r = tg_json_new_array(a, items, n, &arr);
	if (r == TG_OK)
		r = tg_json_new_string(a, "keys", 4, &name);
	if (r != TG_OK)
		return r;
	m.key = name;
	m.val = arr;
	return tg_json_new_object(a, &m, 1, TG_JSON_DUP_REJECT, out);
}
