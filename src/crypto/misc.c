/* SPDX-License-Identifier: Apache-2.0 */
/*
 * misc.c - randomness, HKDF, AES-GCM, and turning OpenSSL's error queue
 * into a diagnostic.
 */
#include "crypto/crypto.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/modes.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "crypto/crypto_internal.h"

tg_err tg_ossl_err(struct tg_diag *d, const char *what)
{
	unsigned long e, last = 0;
	char reason[160];
	while ((e = ERR_get_error()) != 0)
		last = e;
	if (last) {
		ERR_error_string_n(last, reason, sizeof(reason));
		tg_diag_set(d, "%s: %s", what, reason);
	} else {
		tg_diag_set(d, "%s", what);
	}
	return TG_E_CRYPTO;
}

tg_err tg_rand_bytes(void *p, size_t n)
{
	while (n > 0) {
		int take = n > (1 << 30) ? (1 << 30) : (int)n;
		if (RAND_bytes(p, take) != 1)
			return TG_E_CRYPTO;
		p = (uint8_t *)p + take;
		n -= (size_t)take;
	}
	return TG_OK;
}

tg_err tg_hkdf(enum tg_hash_alg alg, const void *salt, size_t saltlen, const void *ikm,
	       size_t ikmlen, const void *info, size_t infolen, uint8_t *out, size_t outlen)
{
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kctx = NULL;
	OSSL_PARAM params[5], *p = params;
	const char *md = alg == TG_SHA256 ? "SHA256" : alg == TG_SHA384 ? "SHA384"
						     : alg == TG_SHA512 ? "SHA512" : NULL;
	static const unsigned char empty[1];
	tg_err r = TG_E_CRYPTO;

	if (!md)
		return TG_E_UNSUPPORTED;
	if (outlen == 0 || outlen > 255 * tg_hash_len(alg))
		return TG_E_RANGE;
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (!kdf)
		goto out;
	kctx = EVP_KDF_CTX_new(kdf);
	if (!kctx)
		goto out;
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						 (void *)(ikmlen ? ikm : empty), ikmlen);
	if (saltlen)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
							 saltlen);
	if (infolen)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
							 infolen);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, outlen, params) != 1)
		goto out;
	r = TG_OK;
out:
	if (r != TG_OK)
		ERR_clear_error();
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return r;
}

static const EVP_CIPHER *gcm_cipher(size_t keylen)
{
	switch (keylen) {
	case 16:
		return EVP_aes_128_gcm();
	case 24:
		return EVP_aes_192_gcm();
	case 32:
		return EVP_aes_256_gcm();
	default:
		return NULL;
	}
}

#define EVP_GCM_IV_MAX 128 /* the longest IV OpenSSL 3.0's GCM provider takes */

/* AES on one block through EVP (ECB, no padding): the block function
 * OpenSSL's GCM mode code runs on. */
static void aes_block(const unsigned char in[16], unsigned char out[16], const void *key)
{
	int n = 0;
	if (!EVP_EncryptUpdate((EVP_CIPHER_CTX *)key, out, &n, in, 16) || n != 16)
		abort(); /* cannot happen for a set-up ECB context */
}

static const EVP_CIPHER *ecb_cipher(size_t keylen)
{
	switch (keylen) {
	case 16:
		return EVP_aes_128_ecb();
	case 24:
		return EVP_aes_192_ecb();
	case 32:
		return EVP_aes_256_ecb();
	default:
		return NULL;
	}
}

/*
 * GCM with an IV longer than the EVP provider accepts (SP 800-38D allows
 * up to 2^64 bits): OpenSSL's own GCM mode functions (modes.h, which
 * derive J0 by GHASH for any IV length) over AES from EVP. Same
 * conventions as gcm() below.
 */
static tg_err gcm_long_iv(int enc, const uint8_t *key, size_t keylen, const uint8_t *nonce,
			  size_t noncelen, const void *aad, size_t aadlen, const uint8_t *in,
			  size_t len, struct tg_buf *out)
{
	const EVP_CIPHER *ecb = ecb_cipher(keylen);
	EVP_CIPHER_CTX *bc = NULL;
	GCM128_CONTEXT *g = NULL;
	size_t body = enc ? len : len - TG_AEAD_TAG_LEN, orig = out->len;
	uint8_t *o;
	tg_err r = TG_E_CRYPTO;

	o = tg_buf_reserve(out, body + (enc ? TG_AEAD_TAG_LEN : 0));
	if (!o)
		return TG_E_TOOBIG;
	bc = EVP_CIPHER_CTX_new();
	if (!bc || !EVP_EncryptInit_ex(bc, ecb, NULL, key, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(bc, 0))
		goto out;
	g = CRYPTO_gcm128_new(bc, aes_block);
	if (!g)
		goto out;
	CRYPTO_gcm128_setiv(g, nonce, noncelen);
	if (aadlen && CRYPTO_gcm128_aad(g, aad, aadlen) != 0)
		goto out;
	if (enc) {
		if (body && CRYPTO_gcm128_encrypt(g, in, o, body) != 0)
			goto out;
		CRYPTO_gcm128_tag(g, o + body, TG_AEAD_TAG_LEN);
	} else {
		if (body && CRYPTO_gcm128_decrypt(g, in, o, body) != 0)
			goto out;
		if (CRYPTO_gcm128_finish(g, in + body, TG_AEAD_TAG_LEN) != 0) {
			OPENSSL_cleanse(o, body);
			r = TG_E_VERIFY;
			goto out;
		}
	}
	tg_buf_commit(out, body + (enc ? TG_AEAD_TAG_LEN : 0));
	r = TG_OK;
out:
	if (r != TG_OK) {
		ERR_clear_error();
		tg_buf_truncate(out, orig);
	}
	CRYPTO_gcm128_release(g);
	EVP_CIPHER_CTX_free(bc);
	return r;
}

/* One GCM pass; enc selects seal or open. For open, len includes the tag. */
static tg_err gcm(int enc, const uint8_t *key, size_t keylen, const uint8_t *nonce,
		  size_t noncelen, const void *aad, size_t aadlen, const uint8_t *in, size_t len,
		  struct tg_buf *out)
{
	const EVP_CIPHER *cipher = gcm_cipher(keylen);
	EVP_CIPHER_CTX *ctx = NULL;
	size_t body = len, orig = out->len;
	uint8_t *o;
	int n = 0, fin = 0;
	tg_err r = TG_E_CRYPTO;

	if (!cipher)
		return TG_E_INVAL;
	if (noncelen == 0 || noncelen > INT32_MAX || aadlen > INT32_MAX)
		return TG_E_INVAL;
	if (!enc) {
		if (len < TG_AEAD_TAG_LEN)
			return TG_E_VERIFY;
		body = len - TG_AEAD_TAG_LEN;
	}
	if (body > INT32_MAX)
		return TG_E_TOOBIG;
	if (noncelen > EVP_GCM_IV_MAX)
		return gcm_long_iv(enc, key, keylen, nonce, noncelen, aad, aadlen, in, len, out);
	o = tg_buf_reserve(out, body + (enc ? TG_AEAD_TAG_LEN : 0));
	if (!o)
		return TG_E_TOOBIG;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		goto out;
	if (!EVP_CipherInit_ex(ctx, cipher, NULL, NULL, NULL, enc) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, (int)noncelen, NULL) ||
	    !EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc))
		goto out;
	if (aadlen && !EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aadlen))
		goto out;
	if (body && !EVP_CipherUpdate(ctx, o, &n, in, (int)body))
		goto out;
	if (!enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TG_AEAD_TAG_LEN,
					 (void *)(in + body)))
		goto out;
	if (!EVP_CipherFinal_ex(ctx, o + n, &fin)) {
		r = enc ? TG_E_CRYPTO : TG_E_VERIFY;
		OPENSSL_cleanse(o, body);
		goto out;
	}
	if (enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TG_AEAD_TAG_LEN, o + body))
		goto out;
	tg_buf_commit(out, body + (enc ? TG_AEAD_TAG_LEN : 0));
	r = TG_OK;
out:
	if (r != TG_OK) {
		ERR_clear_error();
		tg_buf_truncate(out, orig);
	}
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

tg_err tg_aead_seal(const uint8_t *key, size_t keylen, const uint8_t *nonce, size_t noncelen,
		    const void *aad, size_t aadlen, const void *pt, size_t ptlen,
		    struct tg_buf *out)
{
	return gcm(1, key, keylen, nonce, noncelen, aad, aadlen, pt, ptlen, out);
}

tg_err tg_aead_open(const uint8_t *key, size_t keylen, const uint8_t *nonce, size_t noncelen,
		    const void *aad, size_t aadlen, const void *ct_tag, size_t len,
		    struct tg_buf *out)
{
	return gcm(0, key, keylen, nonce, noncelen, aad, aadlen, ct_tag, len, out);
}
