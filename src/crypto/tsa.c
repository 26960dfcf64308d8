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
