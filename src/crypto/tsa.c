/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tsa.c - RFC 3161 timestamp verification with OpenSSL's TS API: the
 * imprint over the data, the CMS signature, and the TSA certificate chain
 * checked at the token's own time (a timestamp outlives its TSA certificate);
 * and a fast path for a TSA chain prepared once (tg_tsa_anchor) that says
 * yes only where the TS API says yes.
 */
#include "crypto/crypto.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/rand.h>

#include "core/limits.h"
#include "core/mem.h"
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

/* ------------------------------------------------------------------ */
/* A TSA chain prepared once, and the fast path                        */
/* ------------------------------------------------------------------ */

/*
 * Why a fast path: d2i_TS_RESP decodes every certificate the token embeds,
 * public key included (OpenSSL 3.0 builds a decoder context per key), and
 * TS_RESP_verify_response builds a store and validates the TSA chain on
 * every call; together most of the cost of a bundle. The fast path reads
 * the response with the templates below, which keep the embedded
 * certificates as raw DER, and checks the signer against a chain of the
 * trusted root that tg_tsa_anchor_new validated once, without the time.
 *
 * It may only say yes where TS_RESP_verify_response (tg_tsa_verify) says
 * yes, so it repeats each of that function's checks for the one shape it
 * handles (the signer is the chain's first certificate, the embedded
 * certificates are the chain's own, SHA-2 digests, an EC or RSA key), and
 * anything else, every refusal included, goes to tg_tsa_verify, which
 * gives the verdict and the message.
 */

/* SignedData (RFC 5652 5.1) as OpenSSL's PKCS7_SIGNED template reads it,
 * but certificates and CRLs kept as undecoded DER (ASN1_ANY). */
typedef struct {
	ASN1_INTEGER *version;
	STACK_OF(X509_ALGOR) *md_algs;
	PKCS7 *contents;
	STACK_OF(ASN1_TYPE) *certs;
	STACK_OF(ASN1_TYPE) *crls;
	STACK_OF(PKCS7_SIGNER_INFO) *signers;
} TG_TS_SIGNED;

ASN1_SEQUENCE(TG_TS_SIGNED) = {
	ASN1_SIMPLE(TG_TS_SIGNED, version, ASN1_INTEGER),
	ASN1_SET_OF(TG_TS_SIGNED, md_algs, X509_ALGOR),
	ASN1_SIMPLE(TG_TS_SIGNED, contents, PKCS7),
	ASN1_IMP_SEQUENCE_OF_OPT(TG_TS_SIGNED, certs, ASN1_ANY, 0),
	ASN1_IMP_SET_OF_OPT(TG_TS_SIGNED, crls, ASN1_ANY, 1),
	ASN1_SET_OF(TG_TS_SIGNED, signers, PKCS7_SIGNER_INFO),
} static_ASN1_SEQUENCE_END(TG_TS_SIGNED)

/* ContentInfo (RFC 5652 3) whose content is SignedData: the token. */
typedef struct {
	ASN1_OBJECT *type;
	TG_TS_SIGNED *sd;
} TG_TS_TOKEN;

ASN1_SEQUENCE(TG_TS_TOKEN) = {
	ASN1_SIMPLE(TG_TS_TOKEN, type, ASN1_OBJECT),
	ASN1_EXP_OPT(TG_TS_TOKEN, sd, TG_TS_SIGNED, 0),
} static_ASN1_SEQUENCE_END(TG_TS_TOKEN)

/* TimeStampResp (RFC 3161 2.4.2); the PKIStatusInfo is decoded on its own
 * by d2i_TS_STATUS_INFO. */
typedef struct {
	ASN1_TYPE *status;
	TG_TS_TOKEN *token;
} TG_TS_RESP;

ASN1_SEQUENCE(TG_TS_RESP) = {
	ASN1_SIMPLE(TG_TS_RESP, status, ASN1_ANY),
	ASN1_OPT(TG_TS_RESP, token, TG_TS_TOKEN),
} static_ASN1_SEQUENCE_END(TG_TS_RESP)

struct tg_tsa_anchor {
	struct tg_x509 **chain;        /* references, leaf first, root last */
	size_t n;
	STACK_OF(X509) *all;           /* the chain: the validated path, for the ESS check */
	STACK_OF(X509) *untrusted;     /* all but the root: tg_tsa_verify's untrusted list */
	uint8_t *der[TG_LIMIT_CHAIN];  /* each certificate's DER */
	size_t der_len[TG_LIMIT_CHAIN];
	bool fast;                     /* validated once: the fast path applies */
};

/*
 * The checks of TS_RESP_verify_signature's X509_verify_cert on the signer
 * that do not depend on the time: the path from chain[0] through the
 * chain's intermediates to its root (the only trust anchor, as in
 * tg_tsa_verify), every signature on it, basic constraints, key usage,
 * path length and the timeStamping purpose (critical, sole EKU). The path
 * must be the chain itself, in order. The validity periods are left to
 * every timestamp: X509_V_FLAG_NO_CHECK_TIME skips exactly those, and
 * chain_valid_at checks them at the timestamp's genTime as X509_verify_cert
 * would (every certificate of the path, the root too).
 */
static bool chain_valid_untimed(const struct tg_tsa_anchor *a)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *param;
	STACK_OF(X509) *path;
	bool ok = false;
	size_t i;

	if (!store || !ctx || !X509_STORE_add_cert(store, a->chain[a->n - 1]->x) ||
	    !X509_STORE_CTX_init(ctx, store, a->chain[0]->x, a->untrusted) ||
	    !X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_TIMESTAMP_SIGN))
		goto out;
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_depth(param, TG_LIMIT_CHAIN);
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
	if (X509_verify_cert(ctx) != 1)
		goto out;
	path = X509_STORE_CTX_get0_chain(ctx);
	if (!path || (size_t)sk_X509_num(path) != a->n)
		goto out;
	for (i = 0; i < a->n; i++)
		if (sk_X509_value(path, (int)i) != a->chain[i]->x)
			goto out;
	ok = true;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok;
}

tg_err tg_tsa_anchor_new(const struct tg_x509 *const *chain, size_t n, struct tg_tsa_anchor **out)
{
	struct tg_tsa_anchor *a;
	EVP_PKEY *key;
	size_t i;

	if (n == 0 || n > TG_LIMIT_CHAIN)
		return TG_E_INVAL;
	a = tg_xcalloc(1, sizeof(*a));
	a->chain = tg_xcalloc(n, sizeof(*a->chain));
	a->all = sk_X509_new_null();
	a->untrusted = sk_X509_new_null();
	if (!a->all || !a->untrusted)
		goto crypto;
	for (i = 0; i < n; i++) {
		unsigned char *der = NULL;
		int len;
		a->chain[i] = tg_x509_ref((struct tg_x509 *)chain[i]);
		a->n++;
		/* the stacks borrow the X509 objects that a->chain holds */
		if (!sk_X509_push(a->all, chain[i]->x) ||
		    (i + 1 < n && !sk_X509_push(a->untrusted, chain[i]->x)))
			goto crypto;
		len = i2d_X509(chain[i]->x, &der);
		if (len <= 0)
			goto crypto;
		a->der[i] = tg_xmalloc((size_t)len);
		memcpy(a->der[i], der, (size_t)len);
		a->der_len[i] = (size_t)len;
		OPENSSL_free(der);
	}
	/* PKCS7_signatureVerify's EVP_VerifyFinal with these keys is one
	 * EVP_PKEY_verify over the digest; other key types go the general way. */
	key = X509_get0_pubkey(a->chain[0]->x);
	a->fast = n >= 2 && key && (EVP_PKEY_is_a(key, "EC") || EVP_PKEY_is_a(key, "RSA")) &&
		  chain_valid_untimed(a);
	ERR_clear_error();
	*out = a;
	return TG_OK;
crypto:
	ERR_clear_error();
	tg_tsa_anchor_free(a);
	return TG_E_CRYPTO;
}

void tg_tsa_anchor_free(struct tg_tsa_anchor *a)
{
	size_t i;
	if (!a)
		return;
	sk_X509_free(a->all);
	sk_X509_free(a->untrusted);
	for (i = 0; i < a->n; i++) {
		free(a->der[i]);
		tg_x509_free(a->chain[i]);
	}
	free(a->chain);
	free(a);
}

bool tg_tsa_anchor_prepared(const struct tg_tsa_anchor *a)
{
	return a && a->fast;
}

/* X509_verify_cert's validity check (ossl_x509_check_cert_time) for every
 * certificate of the path at t: notBefore <= t < notAfter. */
static bool chain_valid_at(const struct tg_tsa_anchor *a, time_t t)
{
	size_t i;
	for (i = 0; i < a->n; i++)
		if (X509_cmp_time(X509_get0_notBefore(a->chain[i]->x), &t) != -1 ||
		    X509_cmp_time(X509_get0_notAfter(a->chain[i]->x), &t) != 1)
			return false;
	return true;
}

/* The SHA-2 digests, the only ones the fast path takes (PKCS7_dataInit and
 * ts_compute_imprint fetch any digest by name; others go the general way). */
static const EVP_MD *sha2(const ASN1_OBJECT *o)
{
	switch (OBJ_obj2nid(o)) {
	case NID_sha256:
		return tg_hash_md(TG_SHA256);
	case NID_sha384:
		return tg_hash_md(TG_SHA384);
	case NID_sha512:
		return tg_hash_md(TG_SHA512);
	default:
		return NULL;
	}
}

/* ossl_ess_get_signing_cert(_v2) of TS_RESP_verify_signature, but only
 * for a value that is a SEQUENCE (*bad otherwise). */
static const ASN1_STRING *ess_attr(const PKCS7_SIGNER_INFO *si, int nid, bool *bad)
{
	ASN1_TYPE *t = PKCS7_get_signed_attribute(si, nid);
	if (!t)
		return NULL;
	if (t->type != V_ASN1_SEQUENCE)
		*bad = true;
	return t->type == V_ASN1_SEQUENCE ? t->value.sequence : NULL;
}

/* Every embedded certificate must be one of the chain's own (by its DER),
 * so that d2i_PKCS7 would decode each and the path is the same. */
static bool certs_known(const struct tg_tsa_anchor *a, const STACK_OF(ASN1_TYPE) *certs)
{
	int i;
	size_t k;
	for (i = 0; i < sk_ASN1_TYPE_num(certs); i++) {
		const ASN1_TYPE *t = sk_ASN1_TYPE_value(certs, i);
		const ASN1_STRING *s;
		bool found = false;
		if (t->type != V_ASN1_SEQUENCE)
			return false;
		s = t->value.sequence;
		for (k = 0; k < a->n && !found; k++)
			found = (size_t)ASN1_STRING_length(s) == a->der_len[k] &&
				memcmp(ASN1_STRING_get0_data(s), a->der[k], a->der_len[k]) == 0;
		if (!found)
			return false;
	}
	return true;
}

/* PKCS7_signatureVerify for a signer with signed attributes: the
 * messageDigest attribute equals the digest of the content, and the
 * signature over the DER of the attributes (re-encoded as OpenSSL does,
 * PKCS7_ATTR_VERIFY) verifies with the signer's key. */
static bool signer_info_verifies(const PKCS7_SIGNER_INFO *si, const EVP_MD *md,
				 const ASN1_OCTET_STRING *content, EVP_PKEY *key, struct tg_diag *d)
{
	STACK_OF(X509_ATTRIBUTE) *attrs = si->auth_attr;
	const ASN1_TYPE *mdt;
	unsigned char dg[EVP_MAX_MD_SIZE], *abuf = NULL;
	unsigned int dl = 0;
	EVP_PKEY_CTX *pctx = NULL;
	int alen, idx;
	bool ok = false;

	if (sk_X509_ATTRIBUTE_num(attrs) <= 0) {
		tg_diag_set(d, "the timestamp has no signed attributes");
		return false;
	}
	idx = X509at_get_attr_by_NID(attrs, NID_pkcs9_messageDigest, -1);
	mdt = idx < 0 ? NULL : X509_ATTRIBUTE_get0_type(X509at_get_attr(attrs, idx), 0);
	if (!mdt || mdt->type != V_ASN1_OCTET_STRING) {
		tg_diag_set(d, "the timestamp has no message-digest attribute");
		return false;
	}
	if (!EVP_Digest(ASN1_STRING_get0_data(content), (size_t)ASN1_STRING_length(content), dg,
			&dl, md, NULL) ||
	    ASN1_STRING_length(mdt->value.octet_string) != (int)dl ||
	    memcmp(ASN1_STRING_get0_data(mdt->value.octet_string), dg, dl) != 0) {
		tg_diag_set(d, "the timestamp's message-digest attribute is not the TSTInfo's digest");
		return false;
	}
	alen = ASN1_item_i2d((ASN1_VALUE *)attrs, &abuf, ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY));
	if (alen <= 0 || !EVP_Digest(abuf, (size_t)alen, dg, &dl, md, NULL))
		goto out;
	pctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	ok = pctx && EVP_PKEY_verify_init(pctx) > 0 && EVP_PKEY_CTX_set_signature_md(pctx, md) > 0 &&
	     EVP_PKEY_verify(pctx, ASN1_STRING_get0_data(si->enc_digest),
			     (size_t)ASN1_STRING_length(si->enc_digest), dg, dl) == 1;
out:
	if (!ok)
		tg_diag_set(d, "the timestamp's signature does not verify with the TSA's key");
	EVP_PKEY_CTX_free(pctx);
	OPENSSL_free(abuf);
	return ok;
}

/*
 * The fast path: true only when every check of tg_tsa_verify passes (the
 * comments name the OpenSSL function each check stands for); false, with
 * a reason in d, when the token is refused or has a shape it leaves to
 * the general path.
 */
static bool fast_verify(const struct tg_tsa_anchor *a, const uint8_t *der, size_t n,
			const uint8_t *data, size_t len, struct tg_time *gt, struct tg_diag *d)
{
	const unsigned char *p = der;
	TG_TS_RESP *resp = NULL;
	TG_TS_TOKEN *tok = NULL;
	TS_STATUS_INFO *status = NULL;
	TS_TST_INFO *info = NULL;
	ESS_SIGNING_CERT *ss = NULL;
	ESS_SIGNING_CERT_V2 *ssv2 = NULL;
	const ASN1_STRING *ess1, *ess2;
	const TG_TS_SIGNED *sd;
	const PKCS7 *inner;
	const ASN1_OCTET_STRING *content;
	PKCS7_SIGNER_INFO *si;
	const X509_ALGOR *ia;
	const EVP_MD *md;
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	struct tg_time when;
	bool bad = false, ok = false;
	int i;

	/* d2i_TS_RESP, else d2i_PKCS7 (a bare token): the whole input */
	resp = (TG_TS_RESP *)ASN1_item_d2i(NULL, &p, (long)n, ASN1_ITEM_rptr(TG_TS_RESP));
	if (resp && p == der + n) {
		const unsigned char *sp;
		const ASN1_STRING *sv;
		long st;
		/* ts_resp_set_tst_info, ts_check_status_info: granted (0) or
		 * grantedWithMods (1), with a token */
		if (resp->status->type != V_ASN1_SEQUENCE) {
			tg_diag_set(d, "malformed timestamp status");
			goto out;
		}
		sv = resp->status->value.sequence;
		sp = ASN1_STRING_get0_data(sv);
		status = d2i_TS_STATUS_INFO(NULL, &sp, ASN1_STRING_length(sv));
		if (!status || sp != ASN1_STRING_get0_data(sv) + ASN1_STRING_length(sv)) {
			tg_diag_set(d, "malformed timestamp status");
			goto out;
		}
		st = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(status));
		if ((st != 0 && st != 1) || !resp->token) {
			tg_diag_set(d, "the timestamp response is not granted");
			goto out;
		}
		tok = resp->token;
	} else {
		ASN1_item_free((ASN1_VALUE *)resp, ASN1_ITEM_rptr(TG_TS_RESP));
		resp = NULL;
		p = der;
		tok = (TG_TS_TOKEN *)ASN1_item_d2i(NULL, &p, (long)n, ASN1_ITEM_rptr(TG_TS_TOKEN));
		if (!tok || p != der + n) {
			tg_diag_set(d, "not an RFC 3161 timestamp");
			goto out;
		}
	}

	/* PKCS7_to_TS_TST_INFO, TS_RESP_verify_signature: signed data, not
	 * detached, TSTInfo content, exactly one signer */
	sd = tok->sd;
	if (OBJ_obj2nid(tok->type) != NID_pkcs7_signed || !sd) {
		tg_diag_set(d, "the timestamp token is not signed data");
		goto out;
	}
	inner = sd->contents;
	if (OBJ_obj2nid(inner->type) != NID_id_smime_ct_TSTInfo || !inner->d.other ||
	    inner->d.other->type != V_ASN1_OCTET_STRING) {
		tg_diag_set(d, "the timestamp token does not hold a TSTInfo");
		goto out;
	}
	content = inner->d.other->value.octet_string;
	if (sk_PKCS7_SIGNER_INFO_num(sd->signers) != 1) {
		tg_diag_set(d, "the timestamp token must have exactly one signer");
		goto out;
	}
	si = sk_PKCS7_SIGNER_INFO_value(sd->signers, 0);
	if (!certs_known(a, sd->certs) || sk_ASN1_TYPE_num(sd->crls) > 0) {
		tg_diag_set(d, "the timestamp token embeds certificates or CRLs of its own");
		goto out;
	}

	/* PKCS7_get0_signers (the given certificates first): the signer is
	 * the chain's first certificate */
	if (X509_find_by_issuer_and_serial(a->untrusted, si->issuer_and_serial->issuer,
					   si->issuer_and_serial->serial) != a->chain[0]->x) {
		tg_diag_set(d, "the timestamp is not signed by the TSA's certificate");
		goto out;
	}

	/* TS_TST_INFO: version 1 (TS_VFY_VERSION) and a genTime */
	p = ASN1_STRING_get0_data(content);
	info = d2i_TS_TST_INFO(NULL, &p, ASN1_STRING_length(content));
	if (!info || gen_time(TS_TST_INFO_get_time(info), &when) != TG_OK) {
		tg_diag_set(d, "malformed RFC 3161 timestamp");
		goto out;
	}
	if (TS_TST_INFO_get_version(info) != 1) {
		tg_diag_set(d, "unsupported TSTInfo version");
		goto out;
	}

	/* ts_verify_cert: the chain validated once, valid at genTime */
	if (!chain_valid_at(a, (time_t)when.sec)) {
		tg_diag_set(d, "the TSA chain is not valid at the timestamp's time");
		goto out;
	}

	/* ts_check_signing_certs: ESS signing-certificate(-v2) against the
	 * path (OpenSSL's own check, on the prepared chain) */
	ess1 = ess_attr(si, NID_id_smime_aa_signingCertificate, &bad);
	ess2 = ess_attr(si, NID_id_smime_aa_signingCertificateV2, &bad);
	if (bad) {
		tg_diag_set(d, "malformed ESS signing-certificate attribute");
		goto out;
	}
	if (ess1) {
		p = ASN1_STRING_get0_data(ess1);
		ss = d2i_ESS_SIGNING_CERT(NULL, &p, ASN1_STRING_length(ess1));
	}
	if (ess2) {
		p = ASN1_STRING_get0_data(ess2);
		ssv2 = d2i_ESS_SIGNING_CERT_V2(NULL, &p, ASN1_STRING_length(ess2));
	}
	if (OSSL_ESS_check_signing_certs(ss, ssv2, a->all, 1) <= 0) {
		tg_diag_set(d, "the ESS signing-certificate attribute does not name the TSA's "
			       "certificate");
		goto out;
	}

	/* PKCS7_dataInit and PKCS7_signatureVerify: the signer's digest is
	 * one of the SignedData's digest algorithms (all known) */
	md = sha2(si->digest_alg->algorithm);
	for (i = 0; md && i < sk_X509_ALGOR_num(sd->md_algs); i++)
		if (!sha2(sk_X509_ALGOR_value(sd->md_algs, i)->algorithm))
			md = NULL;
	for (i = 0; md && i < sk_X509_ALGOR_num(sd->md_algs); i++)
		if (sha2(sk_X509_ALGOR_value(sd->md_algs, i)->algorithm) == md)
			break;
	if (!md || i == sk_X509_ALGOR_num(sd->md_algs)) {
		tg_diag_set(d, "the timestamp's digest algorithm is not SHA-2 or not declared");
		goto out;
	}
	if (!signer_info_verifies(si, md, content, X509_get0_pubkey(a->chain[0]->x), d))
		goto out;

	/* ts_compute_imprint, ts_check_imprints (TS_VFY_DATA): the imprint
	 * is the digest of data, parameters absent or NULL */
	ia = TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(info));
	md = sha2(ia->algorithm);
	if (!md || (ia->parameter && ASN1_TYPE_get(ia->parameter) != V_ASN1_NULL) ||
	    !EVP_Digest(data, len, dg, &dl, md, NULL) ||
	    ASN1_STRING_length(TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(info))) != (int)dl ||
	    memcmp(ASN1_STRING_get0_data(TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(info))),
		   dg, dl) != 0) {
		tg_diag_set(d, "the timestamp's message imprint is not the data's digest");
		goto out;
	}
	*gt = when;
	ok = true;
out:
	ERR_clear_error();
	ESS_SIGNING_CERT_free(ss);
	ESS_SIGNING_CERT_V2_free(ssv2);
	TS_TST_INFO_free(info);
	TS_STATUS_INFO_free(status);
	if (resp)
		ASN1_item_free((ASN1_VALUE *)resp, ASN1_ITEM_rptr(TG_TS_RESP));
	else
		ASN1_item_free((ASN1_VALUE *)tok, ASN1_ITEM_rptr(TG_TS_TOKEN));
	return ok;
}

tg_err tg_tsa_anchor_verify(const struct tg_tsa_anchor *a, const uint8_t *der, size_t n,
			    const uint8_t *data, size_t len, unsigned flags, struct tg_time *gen_time,
			    struct tg_diag *d)
{
	struct tg_time when;

	if (n == 0 || n > TG_LIMIT_DER) {
		tg_diag_set(d, "bad timestamp or TSA chain size");
		return TG_E_INVAL;
	}
	if (a->fast &&
	    fast_verify(a, der, n, data, len, &when, (flags & TG_TSA_FAST_ONLY) ? d : NULL)) {
		*gen_time = when;
		return TG_OK;
	}
	if (flags & TG_TSA_FAST_ONLY) {
		if (!a->fast)
			tg_diag_set(d, "the TSA chain is not prepared for the fast path");
		return TG_E_VERIFY;
	}
	return tg_tsa_verify(der, n, data, len, (const struct tg_x509 *const *)a->chain, a->n,
			     gen_time, d);
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

tg_err tg_tsa_respond(const struct tg_key *key, const struct tg_x509 *cert,
		      const struct tg_x509 *const *chain, size_t nchain, const char *policy,
		      const uint8_t *req, size_t req_len, const struct tg_time *at, int *status,
		      struct tg_buf *out)
{
	ASN1_OBJECT *pol = NULL;
	TS_RESP_CTX *ctx = NULL;
	TS_RESP *resp = NULL;
	STACK_OF(X509) *certs = NULL;
	BIO *reqbio = NULL;
	unsigned char *respder = NULL;
	const EVP_MD *md = tg_key_type(key) == TG_KEY_EC_P384 ? EVP_sha384() : EVP_sha256();
	struct tg_time when;
	int resplen;
	size_t i;
	tg_err r = TG_E_CRYPTO;

	if (req_len > INT_MAX)
		return TG_E_TOOBIG;
	reqbio = BIO_new_mem_buf(req, (int)req_len);
	ctx = TS_RESP_CTX_new();
	certs = sk_X509_new_null();
	pol = OBJ_txt2obj(policy, 1);
	if (!reqbio || !ctx || !certs || !pol)
		goto out;
	for (i = 0; i < nchain; i++)
		if (!sk_X509_push(certs, chain[i]->x) || !X509_up_ref(chain[i]->x))
			goto out;
	if (!TS_RESP_CTX_set_signer_cert(ctx, cert->x) ||
	    !TS_RESP_CTX_set_signer_key(ctx, key->pkey) || !TS_RESP_CTX_set_certs(ctx, certs) ||
	    !TS_RESP_CTX_set_def_policy(ctx, pol) || !TS_RESP_CTX_add_md(ctx, EVP_sha256()) ||
	    !TS_RESP_CTX_add_md(ctx, EVP_sha384()) || !TS_RESP_CTX_add_md(ctx, EVP_sha512()) ||
	    !TS_RESP_CTX_set_signer_digest(ctx, md) || !TS_RESP_CTX_set_accuracy(ctx, 1, 0, 0) ||
	    !TS_RESP_CTX_set_clock_precision_digits(ctx, 0))
		goto out;
	TS_RESP_CTX_set_serial_cb(ctx, serial_cb, NULL);
	if (at) {
		when = *at;
		TS_RESP_CTX_set_time_cb(ctx, time_cb, &when);
	}
	TS_RESP_CTX_add_flags(ctx, TS_ESS_CERT_ID_CHAIN);
	resp = TS_RESP_create_response(ctx, reqbio);
	if (!resp)
		goto out;
	*status = (int)ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp)));
	resplen = i2d_TS_RESP(resp, &respder);
	if (resplen <= 0)
		goto out;
	r = tg_buf_add(out, respder, (size_t)resplen);
out:
	ERR_clear_error();
	OPENSSL_free(respder);
	BIO_free(reqbio);
	TS_RESP_free(resp);
	TS_RESP_CTX_free(ctx);
	if (certs)
		sk_X509_pop_free(certs, X509_free);
	ASN1_OBJECT_free(pol);
	return r;
}

tg_err tg_tsa_sign(const struct tg_key *key, const struct tg_x509 *cert,
		   const struct tg_x509 *const *chain, size_t nchain, const char *policy,
		   const uint8_t *data, size_t len, struct tg_time at, struct tg_buf *out)
{
	TS_REQ *req = NULL;
	TS_MSG_IMPRINT *mi = NULL;
	X509_ALGOR *algo = NULL;
	unsigned char *reqder = NULL;
	uint8_t digest[32];
	size_t before = out->len;
	int reqlen, status = -1;
	tg_err r = TG_E_CRYPTO;

	if (tg_hash(TG_SHA256, data, len, digest) != TG_OK)
		return TG_E_CRYPTO;
	/* the request, as a client would send it */
	req = TS_REQ_new();
	mi = TS_MSG_IMPRINT_new();
	algo = X509_ALGOR_new();
	if (!req || !mi || !algo || !TS_REQ_set_version(req, 1) ||
	    !X509_ALGOR_set0(algo, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) ||
	    !TS_MSG_IMPRINT_set_algo(mi, algo) || !TS_MSG_IMPRINT_set_msg(mi, digest, 32) ||
	    !TS_REQ_set_msg_imprint(req, mi) || !TS_REQ_set_cert_req(req, 1))
		goto out;
	reqlen = i2d_TS_REQ(req, &reqder);
	if (reqlen <= 0)
		goto out;
	r = tg_tsa_respond(key, cert, chain, nchain, policy, reqder, (size_t)reqlen, &at, &status,
			   out);
	if (r == TG_OK && status != 0) {
		tg_buf_truncate(out, before); /* only a granted timestamp is an answer */
		r = TG_E_CRYPTO;
	}
out:
	ERR_clear_error();
	OPENSSL_free(reqder);
	X509_ALGOR_free(algo);
	TS_MSG_IMPRINT_free(mi);
	TS_REQ_free(req);
	return r;
}
