/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sig.c - signatures: JOSE algorithm names, the key/algorithm check that
 * makes algorithm confusion impossible, sign and verify over OpenSSL EVP
 * (Ed25519, ECDSA, RSA PKCS#1 v1.5 and PSS, HMAC) and strict ECDSA encodings.
 */
#include "crypto/crypto.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "core/mem.h"
#include "crypto/crypto_internal.h"

#define ECDSA_FIELD_MAX 66 /* P-521 */
/* SEQUENCE { INTEGER r, INTEGER s } for the largest field: 3 + 2 * (2 + 67) */
#define ECDSA_DER_MAX 144

static const struct {
	enum tg_sig_alg alg;
	const char *name;
	enum tg_hash_alg hash;
} sig_algs[] = {
	{TG_SIG_EDDSA, "EdDSA", TG_SHA512}, /* RFC 8037 3.1 */
	{TG_SIG_ES256, "ES256", TG_SHA256}, /* RFC 7518 3.1 */
	{TG_SIG_ES384, "ES384", TG_SHA384}, {TG_SIG_ES512, "ES512", TG_SHA512},
	{TG_SIG_RS256, "RS256", TG_SHA256}, {TG_SIG_RS384, "RS384", TG_SHA384},
	{TG_SIG_RS512, "RS512", TG_SHA512}, {TG_SIG_PS256, "PS256", TG_SHA256},
	{TG_SIG_PS384, "PS384", TG_SHA384}, {TG_SIG_PS512, "PS512", TG_SHA512},
	{TG_SIG_HS256, "HS256", TG_SHA256}, {TG_SIG_HS384, "HS384", TG_SHA384},
	{TG_SIG_HS512, "HS512", TG_SHA512},
};

const char *tg_sig_alg_name(enum tg_sig_alg a)
{
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(sig_algs); i++)
		if (sig_algs[i].alg == a)
			return sig_algs[i].name;
	return "none";
}

tg_err tg_sig_alg_from_name(const char *s, size_t n, enum tg_sig_alg *out)
{
	size_t i;
	if (!s)
		return TG_E_ALG;
	/* exact and case-sensitive (RFC 7515 4.1.1); "none" is not in the table */
	for (i = 0; i < TG_ARRAY_LEN(sig_algs); i++) {
		if (strlen(sig_algs[i].name) == n && memcmp(sig_algs[i].name, s, n) == 0) {
			*out = sig_algs[i].alg;
			return TG_OK;
		}
	}
	return TG_E_ALG;
}

enum tg_hash_alg tg_sig_alg_hash(enum tg_sig_alg a)
{
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(sig_algs); i++)
		if (sig_algs[i].alg == a)
			return sig_algs[i].hash;
	return TG_HASH_NONE;
}

static bool is_ecdsa(enum tg_sig_alg a)
{
	return a == TG_SIG_ES256 || a == TG_SIG_ES384 || a == TG_SIG_ES512;
}

static bool is_pss(enum tg_sig_alg a)
{
	return a == TG_SIG_PS256 || a == TG_SIG_PS384 || a == TG_SIG_PS512;
}

static bool is_rsa(enum tg_sig_alg a)
{
	return a == TG_SIG_RS256 || a == TG_SIG_RS384 || a == TG_SIG_RS512 || is_pss(a);
}

static bool is_hmac(enum tg_sig_alg a)
{
	return a == TG_SIG_HS256 || a == TG_SIG_HS384 || a == TG_SIG_HS512;
}

/* Bytes of a field element (and of r, s in the raw form) per curve. */
static size_t ec_field_bytes(enum tg_key_type t)
{
	switch (t) {
	case TG_KEY_EC_P256:
		return 32;
	case TG_KEY_EC_P384:
		return 48;
	case TG_KEY_EC_P521:
		return 66;
	default:
		return 0;
	}
}

static const EVP_MD *evp_md(enum tg_hash_alg h)
{
	return tg_hash_md(h);
}

enum tg_sig_alg tg_key_default_alg(const struct tg_key *k)
{
	if (k->pinned != TG_SIG_NONE)
		return k->pinned;
	switch (k->type) {
	case TG_KEY_ED25519:
		return TG_SIG_EDDSA;
	case TG_KEY_EC_P256:
		return TG_SIG_ES256;
	case TG_KEY_EC_P384:
		return TG_SIG_ES384;
	case TG_KEY_EC_P521:
		return TG_SIG_ES512;
	case TG_KEY_RSA:
		return TG_SIG_PS256;
	case TG_KEY_HMAC:
		return TG_SIG_HS256;
	default:
		return TG_SIG_NONE;
	}
}

tg_err tg_key_check_alg(const struct tg_key *k, enum tg_sig_alg alg)
{
	bool ok = false;

	if (!k || alg == TG_SIG_NONE)
		return TG_E_ALG;
	if (k->flags & TG_KEYF_NO_SIG)
		return TG_E_ALG; /* JWK "use"/"key_ops" said: not for signatures */
	if (k->pinned != TG_SIG_NONE && k->pinned != alg)
		return TG_E_ALG; /* JWK "alg" pins exactly one algorithm */
	switch (k->type) {
	case TG_KEY_ED25519:
		ok = alg == TG_SIG_EDDSA && k->pkey;
		break;
	case TG_KEY_EC_P256:
		ok = alg == TG_SIG_ES256 && k->pkey;
		break;
	case TG_KEY_EC_P384:
		ok = alg == TG_SIG_ES384 && k->pkey;
		break;
	case TG_KEY_EC_P521:
		ok = alg == TG_SIG_ES512 && k->pkey;
		break;
	case TG_KEY_RSA:
		ok = is_rsa(alg) && k->pkey;
		break;
	case TG_KEY_HMAC:
		/* RFC 7518 3.2: a key of the same size as the hash output or larger */
		ok = is_hmac(alg) && k->secret && k->secret->len > 0 &&
		     k->secret->len >= tg_hash_len(tg_sig_alg_hash(alg));
		break;
	default:
		ok = false;
	}
	return ok ? TG_OK : TG_E_ALG;
}

/* ---- strict ECDSA encodings ---- */

/* Reads a DER length at *off: the short form, or 0x81 with a value >= 128.
 * Longer forms cannot occur in an ECDSA signature of our curves. */
static bool der_len(const uint8_t *p, size_t n, size_t *off, size_t *len)
{
	size_t o = *off;
	size_t l;
	if (o >= n)
		return false;
	if (p[o] < 0x80) {
		l = p[o++];
	} else if (p[o] == 0x81) {
		o++;
		if (o >= n || p[o] < 0x80)
			return false; /* missing or not minimal */
		l = p[o++];
	} else {
		return false; /* indefinite, or longer than any signature of ours */
	}
	if (l > n - o)
		return false;
	*off = o;
	*len = l;
	return true;
}

/* Reads a positive, minimally encoded INTEGER; v and vlen get its magnitude
 * without the sign octet. */
static bool der_uint(const uint8_t *p, size_t n, size_t *off, const uint8_t **v, size_t *vlen)
{
	size_t o = *off, l;
	const uint8_t *q;
	if (o >= n || p[o] != 0x02)
		return false;
	o++;
	if (!der_len(p, n, &o, &l) || l == 0)
		return false;
	q = p + o;
	if (q[0] & 0x80)
		return false; /* negative */
	if (l > 1 && q[0] == 0 && !(q[1] & 0x80))
		return false; /* a leading zero octet that is not needed */
	*off = o + l;
	if (l > 1 && q[0] == 0) {
		q++;
		l--;
	}
	*v = q;
	*vlen = l;
	return true;
}

tg_err tg_ecdsa_der_to_raw(const uint8_t *der, size_t n, size_t field_bytes, struct tg_buf *out)
{
	const uint8_t *r = NULL, *s = NULL;
	size_t rl = 0, sl = 0, off = 0, seq = 0;
	uint8_t *o;

	if (field_bytes != 32 && field_bytes != 48 && field_bytes != 66)
		return TG_E_INVAL;
	if (!der || n < 2 || der[0] != 0x30)
		return TG_E_VERIFY;
	off = 1;
	if (!der_len(der, n, &off, &seq) || seq != n - off)
		return TG_E_VERIFY; /* the SEQUENCE must fill the input exactly */
	if (!der_uint(der, n, &off, &r, &rl) || !der_uint(der, n, &off, &s, &sl) || off != n)
		return TG_E_VERIFY;
	if (rl > field_bytes || sl > field_bytes)
		return TG_E_VERIFY; /* cannot be below the group order */
	o = tg_buf_reserve(out, 2 * field_bytes);
	if (!o)
		return TG_E_TOOBIG;
	memset(o, 0, 2 * field_bytes);
	memcpy(o + field_bytes - rl, r, rl);
	memcpy(o + 2 * field_bytes - sl, s, sl);
	tg_buf_commit(out, 2 * field_bytes);
	return TG_OK;
}

/* Writes the INTEGER of the big-endian magnitude p[0..n) minimally; returns
 * the bytes written (at most n + 3). */
static size_t der_put_uint(uint8_t *o, const uint8_t *p, size_t n)
{
	size_t w = 0, l;
	while (n > 1 && p[0] == 0) {
		p++;
		n--;
	}
	l = n + ((p[0] & 0x80) ? 1 : 0);
	o[w++] = 0x02;
	o[w++] = (uint8_t)l; /* l <= ECDSA_FIELD_MAX + 1 < 128 */
	if (p[0] & 0x80)
		o[w++] = 0;
	memcpy(o + w, p, n);
	return w + n;
}

tg_err tg_ecdsa_raw_to_der(const uint8_t *raw, size_t n, struct tg_buf *out)
{
	uint8_t body[ECDSA_DER_MAX];
	size_t half, bl, total;
	uint8_t *o;

	if (!raw || n == 0 || n % 2 != 0 || n > 2 * ECDSA_FIELD_MAX)
		return TG_E_VERIFY;
	half = n / 2;
	bl = der_put_uint(body, raw, half);
	bl += der_put_uint(body + bl, raw + half, half);
	total = bl + (bl < 0x80 ? 2 : 3);
	o = tg_buf_reserve(out, total);
	if (!o)
		return TG_E_TOOBIG;
	*o++ = 0x30;
	if (bl >= 0x80)
		*o++ = 0x81;
	*o++ = (uint8_t)bl;
	memcpy(o, body, bl);
	tg_buf_commit(out, total);
	return TG_OK;
}

/* ---- OpenSSL signing and verifying ---- */

static bool set_rsa_padding(EVP_PKEY_CTX *pctx, enum tg_sig_alg alg)
{
	if (is_pss(alg)) {
		/* RFC 7518 3.5: MGF1 with the same hash, salt as long as the hash;
		 * RSA_PSS_SALTLEN_DIGEST makes verification demand that length too */
		const EVP_MD *md = evp_md(tg_sig_alg_hash(alg));
		return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
		       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0 &&
		       EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, EVP_MD_get0_name(md), NULL) > 0;
	}
	return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
}

/* Appends OpenSSL's signature (DER for ECDSA) over a message or, when
 * digest, over a precomputed digest. */
static tg_err pkey_sign(const struct tg_key *k, enum tg_sig_alg alg, const void *p, size_t n,
			bool digest, struct tg_buf *out)
{
	static const uint8_t empty[1];
	const EVP_MD *md = alg == TG_SIG_EDDSA ? NULL : evp_md(tg_sig_alg_hash(alg));
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL, *own = NULL;
	size_t len = 0, orig = out->len;
	uint8_t *o;
	tg_err r = TG_E_CRYPTO;

	if (!p)
		p = empty;
	if (alg != TG_SIG_EDDSA && !md)
		goto out; /* no fetched digest: never a key's default one instead */
	if (digest) {
		own = pctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
		if (!pctx || EVP_PKEY_sign_init(pctx) <= 0 ||
		    EVP_PKEY_CTX_set_signature_md(pctx, md) <= 0)
			goto out;
		if (is_rsa(alg) && !set_rsa_padding(pctx, alg))
			goto out;
		if (EVP_PKEY_sign(pctx, NULL, &len, p, n) <= 0)
			goto out;
	} else {
		mctx = EVP_MD_CTX_new();
		if (!mctx || EVP_DigestSignInit_ex(mctx, &pctx, md ? EVP_MD_get0_name(md) : NULL,
						   NULL, NULL, k->pkey, NULL) != 1)
			goto out;
		if (is_rsa(alg) && !set_rsa_padding(pctx, alg))
			goto out;
		if (EVP_DigestSign(mctx, NULL, &len, p, n) != 1)
			goto out;
	}
	o = tg_buf_reserve(out, len);
	if (!o) {
		r = TG_E_TOOBIG;
		goto out;
	}
	if (digest ? EVP_PKEY_sign(pctx, o, &len, p, n) <= 0
		   : EVP_DigestSign(mctx, o, &len, p, n) != 1)
		goto out;
	tg_buf_commit(out, len);
	r = TG_OK;
out:
	if (r != TG_OK) {
		ERR_clear_error();
		tg_buf_truncate(out, orig);
	}
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(own);
	return r;
}

/* TG_OK when OpenSSL accepts sig (DER for ECDSA); TG_E_VERIFY otherwise. */
static tg_err pkey_verify(const struct tg_key *k, enum tg_sig_alg alg, const void *p, size_t n,
			  bool digest, const uint8_t *sig, size_t siglen)
{
	static const uint8_t empty[1];
	const EVP_MD *md = alg == TG_SIG_EDDSA ? NULL : evp_md(tg_sig_alg_hash(alg));
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL, *own = NULL;
	tg_err r = TG_E_VERIFY;

	if (!p)
		p = empty;
	if (alg != TG_SIG_EDDSA && !md)
		goto out; /* no fetched digest: never a key's default one instead */
	if (digest) {
		own = pctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
		if (!pctx || EVP_PKEY_verify_init(pctx) <= 0 ||
		    EVP_PKEY_CTX_set_signature_md(pctx, md) <= 0)
			goto out;
		if (is_rsa(alg) && !set_rsa_padding(pctx, alg))
			goto out;
		if (EVP_PKEY_verify(pctx, sig, siglen, p, n) == 1)
			r = TG_OK;
	} else {
		mctx = EVP_MD_CTX_new();
		if (!mctx || EVP_DigestVerifyInit_ex(mctx, &pctx, md ? EVP_MD_get0_name(md) : NULL,
						     NULL, NULL, k->pkey, NULL) != 1)
			goto out;
		if (is_rsa(alg) && !set_rsa_padding(pctx, alg))
			goto out;
		/* one-shot: Ed25519 (RFC 8032 pure) cannot stream */
		if (EVP_DigestVerify(mctx, sig, siglen, p, n) == 1)
			r = TG_OK;
	}
out:
	if (r != TG_OK)
		ERR_clear_error();
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(own);
	return r;
}

static tg_err hmac_sign(const struct tg_key *k, enum tg_sig_alg alg, const void *msg, size_t n,
			struct tg_buf *sig)
{
	uint8_t mac[TG_HASH_MAX];
	enum tg_hash_alg h = tg_sig_alg_hash(alg);
	tg_err r = tg_hmac(h, k->secret->p, k->secret->len, msg, n, mac);
	if (r == TG_OK)
		r = tg_buf_add(sig, mac, tg_hash_len(h));
	OPENSSL_cleanse(mac, sizeof(mac));
	return r;
}

static tg_err hmac_verify(const struct tg_key *k, enum tg_sig_alg alg, const void *msg, size_t n,
			  const void *sig, size_t siglen)
{
	uint8_t mac[TG_HASH_MAX];
	enum tg_hash_alg h = tg_sig_alg_hash(alg);
	tg_err r = TG_E_VERIFY;
	if (siglen != tg_hash_len(h))
		return TG_E_VERIFY; /* a truncated MAC is no MAC */
	if (tg_hmac(h, k->secret->p, k->secret->len, msg, n, mac) == TG_OK &&
	    CRYPTO_memcmp(mac, sig, siglen) == 0)
		r = TG_OK;
	OPENSSL_cleanse(mac, sizeof(mac));
	ERR_clear_error();
	return r;
}

static tg_err sign_any(const struct tg_key *k, enum tg_sig_alg alg, enum tg_sig_format fmt,
		       const void *p, size_t n, bool digest, struct tg_buf *sig)
{
	struct tg_buf der = TG_BUF_INIT(ECDSA_DER_MAX);
	tg_err r = tg_key_check_alg(k, alg);

	if (r != TG_OK)
		return r;
	if (digest && (alg == TG_SIG_EDDSA || is_hmac(alg)))
		return TG_E_ALG;
	if (digest && n != tg_hash_len(tg_sig_alg_hash(alg)))
		return TG_E_INVAL;
	if (!p && n)
		return TG_E_INVAL;
	if (is_hmac(alg))
		return hmac_sign(k, alg, p, n, sig);
	if (!k->is_private)
		return TG_E_KEY;
	if (fmt != TG_SIG_FORMAT_DER && fmt != TG_SIG_FORMAT_RAW)
		return TG_E_INVAL;
	if (!is_ecdsa(alg) || fmt == TG_SIG_FORMAT_DER)
		return pkey_sign(k, alg, p, n, digest, sig);
	r = pkey_sign(k, alg, p, n, digest, &der);
	if (r == TG_OK)
		r = tg_ecdsa_der_to_raw(der.data, der.len, ec_field_bytes(k->type), sig);
	if (r == TG_E_VERIFY)
		r = TG_E_CRYPTO; /* OpenSSL wrote something we do not read back */
	tg_buf_release(&der);
	return r;
}

/* Turns an ECDSA signature of either format into strict DER in der. */
static tg_err ecdsa_to_strict_der(const struct tg_key *k, enum tg_sig_format fmt,
				  const uint8_t *sig, size_t siglen, struct tg_buf *der)
{
	struct tg_buf raw = TG_BUF_INIT(2 * ECDSA_FIELD_MAX);
	size_t fb = ec_field_bytes(k->type);
	tg_err r = TG_E_VERIFY;

	if (fmt == TG_SIG_FORMAT_RAW) {
		/* P1363 / RFC 7518 3.4: exactly two field-sized integers */
		if (siglen == 2 * fb)
			r = tg_ecdsa_raw_to_der(sig, siglen, der);
	} else if (fmt == TG_SIG_FORMAT_DER) {
		/* parse strictly, re-encode, and demand the same bytes: any BER
		 * variant (long lengths, padded integers, trailing data) fails */
		if (tg_ecdsa_der_to_raw(sig, siglen, fb, &raw) == TG_OK &&
		    tg_ecdsa_raw_to_der(raw.data, raw.len, der) == TG_OK &&
		    der->len == siglen && memcmp(der->data, sig, siglen) == 0)
			r = TG_OK;
	}
	tg_buf_release(&raw);
	return r == TG_OK ? TG_OK : TG_E_VERIFY;
}

static tg_err verify_any(const struct tg_key *k, enum tg_sig_alg alg, enum tg_sig_format fmt,
			 const void *p, size_t n, bool digest, const void *sig, size_t siglen)
{
	struct tg_buf der = TG_BUF_INIT(ECDSA_DER_MAX);
	const uint8_t *s = sig;
	tg_err r = tg_key_check_alg(k, alg);

	if (r != TG_OK)
		return r;
	if (digest && (alg == TG_SIG_EDDSA || is_hmac(alg)))
		return TG_E_ALG;
	if (digest && n != tg_hash_len(tg_sig_alg_hash(alg)))
		return TG_E_INVAL;
	if (!p && n)
		return TG_E_INVAL;
	if (!sig || siglen == 0)
		return TG_E_VERIFY;
	if (is_hmac(alg))
		return hmac_verify(k, alg, p, n, sig, siglen);
	if (is_ecdsa(alg)) {
		r = ecdsa_to_strict_der(k, fmt, s, siglen, &der);
		if (r != TG_OK)
			goto out;
		s = der.data;
		siglen = der.len;
	} else if (alg == TG_SIG_EDDSA && siglen != 64) {
		r = TG_E_VERIFY; /* RFC 8032 5.1.7 */
		goto out;
	} else if (is_rsa(alg) && siglen != ((size_t)k->bits + 7) / 8) {
		r = TG_E_VERIFY; /* RFC 8017 8.2.2 step 1, 8.1.2 step 1 */
		goto out;
	}
	r = pkey_verify(k, alg, p, n, digest, s, siglen);
out:
	tg_buf_release(&der);
	if (r != TG_OK) {
		ERR_clear_error();
		r = TG_E_VERIFY;
	}
	return r;
}

tg_err tg_sign(const struct tg_key *k, enum tg_sig_alg alg, enum tg_sig_format fmt,
	       const void *msg, size_t n, struct tg_buf *sig)
{
	return sign_any(k, alg, fmt, msg, n, false, sig);
}

tg_err tg_verify(const struct tg_key *k, enum tg_sig_alg alg, enum tg_sig_format fmt,
		 const void *msg, size_t n, const void *sig, size_t siglen)
{
	return verify_any(k, alg, fmt, msg, n, false, sig, siglen);
}

tg_err tg_sign_digest(const struct tg_key *k, enum tg_sig_alg alg, enum tg_sig_format fmt,
		      const uint8_t *digest, size_t dlen, struct tg_buf *sig)
{
	return sign_any(k, alg, fmt, digest, dlen, true, sig);
}

tg_err tg_verify_digest(const struct tg_key *k, enum tg_sig_alg alg, enum tg_sig_format fmt,
			const uint8_t *digest, size_t dlen, const void *sig, size_t siglen)
{
	return verify_any(k, alg, fmt, digest, dlen, true, sig, siglen);
}
