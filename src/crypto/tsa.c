/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tsa.c - RFC 3161 timestamp verification with OpenSSL's TS API: the
 * imprint over the data, the CMS signature, and the TSA certificate chain
 * checked at the token's own time (a timestamp outlives its TSA certificate).
 */
#include "crypto/crypto.h"

#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/rand.h>

#include "core/limits.h"
#include "crypto/crypto_internal.h"

/* ASN1 GeneralizedTime to tg_time (seconds; fractions dropped). */
static tg_err gen_time(const ASN1_GENERALIZEDTIME *g, struct tg_time *out)
{
	struct tm tm;
	if (!ASN1_TIME_to_tm(g, &tm))
		return TG_E_PARSE;
	out->sec = tg_days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
				      (unsigned)tm.tm_mday) * 86400 +
		   tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	out->nsec = 0;
	return TG_OK;
}

tg_err tg_tsa_verify(const uint8_t *der, size_t n, const uint8_t *data, size_t len,
		     const struct tg_x509 *const *chain, size_t nchain, struct tg_time *gt,
		     struct tg_diag *d)
{
	const unsigned char *p = der;
	TS_RESP *resp = NULL;
	PKCS7 *token = NULL;
	TS_TST_INFO *info = NULL;
	TS_VERIFY_CTX *ctx = NULL;
	X509_STORE *store = NULL;
	X509_VERIFY_PARAM *param = NULL;
	STACK_OF(X509) *certs = NULL;
	BIO *bio = NULL;
	struct tg_time when;
	size_t i;
	int ok;
	tg_err r = TG_E_VERIFY;

	if (n == 0 || n > TG_LIMIT_DER || nchain == 0 || nchain > TG_LIMIT_CHAIN) {
		tg_diag_set(d, "bad timestamp or TSA chain size");
		return TG_E_INVAL;
	}
	resp = d2i_TS_RESP(NULL, &p, (long)n);
	if (resp && p == der + n) {
		token = TS_RESP_get_token(resp);
		info = TS_RESP_get_tst_info(resp);
		if (ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp))) >
		    1) {
			tg_diag_set(d, "the timestamp response is not granted");
			goto out;
		}
	} else {
		TS_RESP_free(resp);
		resp = NULL;
		p = der;
		token = d2i_PKCS7(NULL, &p, (long)n);
		if (!token || p != der + n) {
			tg_diag_set(d, "not an RFC 3161 timestamp");
			r = TG_E_PARSE;
			goto out;
		}
		info = PKCS7_to_TS_TST_INFO(token);
	}
	if (!token || !info || gen_time(TS_TST_INFO_get_time(info), &when) != TG_OK) {
		tg_diag_set(d, "malformed RFC 3161 timestamp");
		r = TG_E_PARSE;
		goto out;
	}

	/* The store: the chain's root as the only anchor, verified at genTime. */
	store = X509_STORE_new();
	certs = sk_X509_new_null();
	param = X509_VERIFY_PARAM_new();
	if (!store || !certs || !param)
		goto crypto;
	if (!X509_STORE_add_cert(store, chain[nchain - 1]->x))
		goto crypto;
	for (i = 0; i + 1 < nchain; i++)
		if (!sk_X509_push(certs, chain[i]->x) || !X509_up_ref(chain[i]->x))
			goto crypto;
	X509_VERIFY_PARAM_set_time(param, (time_t)when.sec);
	X509_VERIFY_PARAM_set_depth(param, TG_LIMIT_CHAIN);
	if (!X509_STORE_set1_param(store, param))
		goto crypto;

	ctx = TS_VERIFY_CTX_new();
	bio = BIO_new_mem_buf(data, (int)len);
	if (!ctx || !bio)
		goto crypto;
	TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_DATA);
	TS_VERIFY_CTX_set_data(ctx, bio);
	bio = NULL;
	TS_VERIFY_CTX_set_store(ctx, store);
	store = NULL;
	TS_VERIFY_CTX_set_certs(ctx, certs); /* untrusted: TSA leaf and intermediates */
	certs = NULL;
	ok = resp ? TS_RESP_verify_response(ctx, resp) : TS_RESP_verify_token(ctx, token);
	if (ok != 1) {
		tg_ossl_err(d, "the timestamp does not verify");
		r = TG_E_VERIFY;
		goto out;
	}
	*gt = when;
	r = TG_OK;
	goto out;
crypto:
	r = tg_ossl_err(d, "cannot set up timestamp verification");
out:
	ERR_clear_error();
	TS_VERIFY_CTX_free(ctx);
	X509_STORE_free(store);
	X509_VERIFY_PARAM_free(param);
	if (certs)
		sk_X509_pop_free(certs, X509_free);
	BIO_free(bio);
	if (!resp) {
		TS_TST_INFO_free(info);
		PKCS7_free(token);
	}
	TS_RESP_free(resp);
	return r;
}

/* TS_RESP_CTX callbacks: the serial (random, positive) and the time. */
static ASN1_INTEGER *serial_cb(TS_RESP_CTX *ctx, void *data)
{
	uint8_t raw[16];
	BIGNUM *bn;
	ASN1_INTEGER *i = NULL;
	(void)ctx;
	(void)data;
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return NULL;
	raw[0] &= 0x7f;
	raw[0] |= 0x01;
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	if (bn)
		i = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	return i;
}

static int time_cb(TS_RESP_CTX *ctx, void *data, long *sec, long *usec)
{
	const struct tg_time *at = data;
	(void)ctx;
	*sec = (long)at->sec;
	*usec = at->nsec / 1000;
	return 1;
}

tg_err tg_tsa_sign(const struct tg_key *key, const struct tg_x509 *cert,
		   const struct tg_x509 *const *chain, size_t nchain, const char *policy,
		   const uint8_t *data, size_t len, struct tg_time at, struct tg_buf *out)
{
	TS_REQ *req = NULL;
	TS_MSG_IMPRINT *mi = NULL;
	X509_ALGOR *algo = NULL;
	ASN1_OBJECT *pol = NULL;
	TS_RESP_CTX *ctx = NULL;
	TS_RESP *resp = NULL;
	STACK_OF(X509) *certs = NULL;
	BIO *reqbio = NULL;
	unsigned char *reqder = NULL, *respder = NULL;
	uint8_t digest[32];
	const EVP_MD *md;
	int reqlen, resplen;
	size_t i;
	tg_err r = TG_E_CRYPTO;

	if (tg_hash(TG_SHA256, data, len, digest) != TG_OK)
		return TG_E_CRYPTO;
	md = tg_key_type(key) == TG_KEY_EC_P384 ? EVP_sha384() : EVP_sha256();
	/* the request, as a client would send it */
	req = TS_REQ_new();
	mi = TS_MSG_IMPRINT_new();
	algo = X509_ALGOR_new();
	pol = OBJ_txt2obj(policy, 1);
	if (!req || !mi || !algo || !pol || !TS_REQ_set_version(req, 1) ||
	    !X509_ALGOR_set0(algo, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) ||
	    !TS_MSG_IMPRINT_set_algo(mi, algo) || !TS_MSG_IMPRINT_set_msg(mi, digest, 32) ||
	    !TS_REQ_set_msg_imprint(req, mi) || !TS_REQ_set_cert_req(req, 1))
		goto out;
	reqlen = i2d_TS_REQ(req, &reqder);
	if (reqlen <= 0)
		goto out;
	reqbio = BIO_new_mem_buf(reqder, reqlen);
	ctx = TS_RESP_CTX_new();
	certs = sk_X509_new_null();
	if (!reqbio || !ctx || !certs)
		goto out;
	for (i = 0; i < nchain; i++)
		if (!sk_X509_push(certs, chain[i]->x) || !X509_up_ref(chain[i]->x))
			goto out;
	if (!TS_RESP_CTX_set_signer_cert(ctx, cert->x) ||
	    !TS_RESP_CTX_set_signer_key(ctx, key->pkey) || !TS_RESP_CTX_set_certs(ctx, certs) ||
	    !TS_RESP_CTX_set_def_policy(ctx, pol) || !TS_RESP_CTX_add_md(ctx, EVP_sha256()) ||
	    !TS_RESP_CTX_set_signer_digest(ctx, md) || !TS_RESP_CTX_set_accuracy(ctx, 1, 0, 0) ||
	    !TS_RESP_CTX_set_clock_precision_digits(ctx, 0))
		goto out;
	TS_RESP_CTX_set_serial_cb(ctx, serial_cb, NULL);
	TS_RESP_CTX_set_time_cb(ctx, time_cb, &at);
	TS_RESP_CTX_add_flags(ctx, TS_ESS_CERT_ID_CHAIN);
	resp = TS_RESP_create_response(ctx, reqbio);
	if (!resp ||
	    ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp))) != 0)
		goto out;
	resplen = i2d_TS_RESP(resp, &respder);
	if (resplen <= 0)
		goto out;
	r = tg_buf_add(out, respder, (size_t)resplen);
out:
	ERR_clear_error();
	OPENSSL_free(reqder);
	OPENSSL_free(respder);
	BIO_free(reqbio);
	TS_RESP_free(resp);
	TS_RESP_CTX_free(ctx);
	if (certs)
		sk_X509_pop_free(certs, X509_free);
	ASN1_OBJECT_free(pol);
	X509_ALGOR_free(algo);
	TS_MSG_IMPRINT_free(mi);
	TS_REQ_free(req);
	return r;
}
