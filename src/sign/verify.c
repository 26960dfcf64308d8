/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verify.c - Sigstore bundle verification as the client specification
 * orders it: verified times (log, timestamps), the certificate at those
 * times, SCTs, identity and issuer, log entries, then the signature itself.
 */
#include "sign/sign.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/mem.h"
#include "sign/sign_internal.h"

#define OID_FULCIO_ISSUER_V1 "1.3.6.1.4.1.57264.1.1"
#define OID_FULCIO_ISSUER_V2 "1.3.6.1.4.1.57264.1.8"

#define MAX_TIMES 32

static bool time_lt(struct tg_time a, struct tg_time b)
{
	return a.sec < b.sec || (a.sec == b.sec && a.nsec < b.nsec);
}

/* The Fulcio issuer: the v2 extension is a DER UTF8String; the v1
 * extension holds the raw string. */
static tg_err cert_issuer(const struct tg_x509 *leaf, char *out, size_t cap)
{
	struct tg_buf v = TG_BUF_INIT(4096);
	tg_err r = tg_x509_ext(leaf, OID_FULCIO_ISSUER_V2, NULL, &v);
	const uint8_t *p = NULL;
	size_t n = 0;

	if (r == TG_OK) {
		/* UTF8String: tag 0x0c, short or 0x81/0x82 long length */
		if (v.len >= 2 && v.data[0] == 0x0c) {
			size_t off = 2, l = v.data[1];
			if (v.data[1] == 0x81 && v.len >= 3) {
				l = v.data[2];
				off = 3;
			} else if (v.data[1] == 0x82 && v.len >= 4) {
				l = (size_t)v.data[2] << 8 | v.data[3];
				off = 4;
			} else if (v.data[1] >= 0x80) {
				l = SIZE_MAX;
			}
			if (l == v.len - off) {
				p = v.data + off;
				n = l;
			}
		}
		if (!p) {
			tg_buf_release(&v);
			return TG_E_PARSE;
		}
	} else if (r == TG_E_NOTFOUND) {
		tg_buf_reset(&v);
		r = tg_x509_ext(leaf, OID_FULCIO_ISSUER_V1, NULL, &v);
		if (r != TG_OK) {
			tg_buf_release(&v);
			return r;
		}
		p = v.data;
		n = v.len;
	} else {
		tg_buf_release(&v);
		return r;
	}
	if (n >= cap || memchr(p, '\0', n)) {
		tg_buf_release(&v);
		return TG_E_PARSE;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	tg_buf_release(&v);
	return TG_OK;
}

/* The first URI or email SAN of the leaf. */
static tg_err cert_san(const struct tg_x509 *leaf, char *out, size_t cap)
{
	struct tg_arena a;
	const struct tg_san *sans = NULL;
	size_t n = 0, i;
	bool crit;
	tg_err r = TG_E_NOTFOUND;

	tg_arena_init(&a, 1 << 20);
	if (tg_x509_sans(leaf, &a, &sans, &n, &crit) == TG_OK) {
		for (i = 0; i < n && r == TG_E_NOTFOUND; i++) {
			if (sans[i].type != TG_SAN_URI && sans[i].type != TG_SAN_EMAIL)
				continue;
			if (sans[i].len >= cap) {
				r = TG_E_TOOBIG;
				break;
			}
			memcpy(out, sans[i].value, sans[i].len);
			out[sans[i].len] = '\0';
			r = TG_OK;
		}
	}
	tg_arena_release(&a);
	return r;
}

struct tg_sign_regex {
	regex_t re;
};

tg_err tg_sign_regex_compile(const char *pattern, struct tg_sign_regex **out, struct tg_diag *d)
{
	struct tg_sign_regex *re = tg_xmalloc(sizeof(*re));
	size_t n = strlen(pattern);
	char *anchored = tg_xmalloc(n + 5);
	int rc;

	/* anchored: the whole SAN must match */
	memcpy(anchored, "^(", 2);
	memcpy(anchored + 2, pattern, n);
	memcpy(anchored + 2 + n, ")$", 3);
	rc = regcomp(&re->re, anchored, REG_EXTENDED | REG_NOSUB);
	free(anchored);
	if (rc != 0) {
		char why[128];
		regerror(rc, NULL, why, sizeof(why));
		tg_diag_set(d, "invalid identity pattern '%.200s': %s", pattern, why);
		free(re);
		return TG_E_INVAL;
	}
	*out = re;
	return TG_OK;
}

void tg_sign_regex_free(struct tg_sign_regex *re)
{
	if (!re)
		return;
	regfree(&re->re);
	free(re);
}

static bool identity_matches(const char *san, const struct tg_sign_policy *p)
{
	struct tg_sign_regex *re = NULL;
	bool ok;

	if (p->identity)
		return strcmp(san, p->identity) == 0;
	if (p->identity_re)
		return regexec(&p->identity_re->re, san, 0, NULL, 0) == 0;
	if (!p->identity_regex || tg_sign_regex_compile(p->identity_regex, &re, NULL) != TG_OK)
		return false;
	ok = regexec(&re->re, san, 0, NULL, 0) == 0;
	tg_sign_regex_free(re);
	return ok;
}

/* A certificate authority of t valid at `at` that the leaf chains to at
 * `at`; the issuer of the leaf goes to *issuer. */
static tg_err verify_cert_at(const struct tg_sign_bundle *b, const struct tg_sign_trustroot *t,
			     struct tg_time at, struct tg_x509 **issuer, struct tg_diag *d)
{
	const struct tg_x509 *leaf = b->certs.certs[0];
	struct tg_time nb, na;
	size_t i, j;
	tg_err r = TG_E_VERIFY;

	if (tg_x509_validity(leaf, &nb, &na) != TG_OK)
		return TG_E_PARSE;
	for (i = 0; i < t->ncas; i++) {
		const struct tg_sign_ca *ca = &t->cas[i];
		const struct tg_x509 *inter[2 * TG_LIMIT_CHAIN];
		size_t ni = 0;
		struct tg_x509_list chain = {NULL, 0};
		const struct tg_x509 *root;
		/* the CA must have been valid when the certificate was issued
		 * and at the verified time */
		if (!tg_sign_validity_contains(&ca->valid, nb) ||
		    !tg_sign_validity_contains(&ca->valid, at))
			continue;
		root = ca->chain.certs[ca->chain.count - 1];
		for (j = 1; j < b->certs.count; j++)
			inter[ni++] = b->certs.certs[j];
		for (j = 0; j + 1 < ca->chain.count; j++)
			inter[ni++] = ca->chain.certs[j];
		if (tg_x509_verify(leaf, inter, ni, &root, 1, at, TG_EKU_CODE_SIGNING, &chain, d) ==
		    TG_OK) {
			if (chain.count >= 2)
				*issuer = tg_x509_ref(chain.certs[1]);
			tg_x509_list_release(&chain);
			r = TG_OK;
			break;
		}
	}
	if (r != TG_OK && !d)
		return r;
	if (r != TG_OK && (!d || !d->msg[0]))
		tg_diag_set(d, "the certificate does not chain to a trusted CA valid at that time");
	return r;
}

/* Checks the in-toto statement's subjects for the artifact digest. */
static tg_err check_intoto(const struct tg_sign_bundle *b, const uint8_t *digest,
			   struct tg_sign_result *res, struct tg_diag *d)
{
	struct tg_arena a;
	const struct tg_json *st, *subj;
	char hex[65];
	size_t i;
	tg_err r = TG_E_VERIFY;

	tg_arena_init(&a, 4 * (size_t)TG_SIGN_MAX_DOC);
	if (strcmp(b->payload_type, "application/vnd.in-toto+json") != 0) {
		tg_diag_set(d, "DSSE payload type '%s' is not an in-toto statement", b->payload_type);
		goto out;
	}
	if (tg_json_parse(&a, b->payload, b->payload_len, NULL, &st, NULL, d) != TG_OK) {
		tg_diag_prefix(d, "the in-toto statement is not valid JSON");
		goto out;
	}
	subj = tg_json_get(st, "subject");
	tg_hex_encode_to(hex, digest, 32);
	for (i = 0; subj && subj->type == TG_JSON_ARRAY && i < subj->u.a.len; i++) {
		const struct tg_json *dg = tg_json_get(subj->u.a.items[i], "digest");
		if (tg_json_str_eq(tg_json_get(dg, "sha256"), hex)) {
			const char *pt;
			size_t ptl;
			if (tg_json_get_string(st, "predicateType", &pt, &ptl) == TG_OK &&
			    ptl < sizeof(res->predicate_type)) {
				memcpy(res->predicate_type, pt, ptl);
				res->predicate_type[ptl] = '\0';
			}
			r = TG_OK;
			goto out;
		}
	}
	tg_diag_set(d, "no subject of the in-toto statement has the artifact's digest");
out:
	tg_arena_release(&a);
	return r;
}

/* The algorithm a signing key uses for message signatures. */
static enum tg_sig_alg message_alg(const struct tg_key *k)
{
	if (tg_key_type(k) == TG_KEY_RSA)
		return TG_SIG_RS256; /* cosign/Fulcio RSA signatures are PKCS#1 v1.5 */
	return tg_key_default_alg(k);
}

tg_err tg_sign_verify(const struct tg_sign_bundle *b, const struct tg_sign_artifact *art,
		      const struct tg_sign_trustroot *t, const struct tg_sign_policy *p,
		      struct tg_sign_result *res, struct tg_diag *d)
{
	struct tg_key *signer = NULL;
	struct tg_x509 *issuer = NULL;
	const struct tg_x509 *leaf = NULL;
	struct tg_time times[MAX_TIMES];
	size_t ntimes = 0, i, tlog_ok = 0;
	uint8_t adigest[64];
	enum tg_hash_alg aalg;
	tg_err r;

	memset(res, 0, sizeof(*res));
	res->log_index = -1;

	/* 1. Who signed: a managed key, or a certificate. */
	if (p->key) {
		if (!b->has_public_key && b->certs.count == 0) {
			tg_diag_set(d, "the bundle has no verification material");
			return TG_E_VERIFY;
		}
		if (b->certs.count) {
			tg_diag_set(d, "the bundle is signed with a certificate, not the given key");
			return TG_E_VERIFY;
		}
		signer = tg_key_ref((struct tg_key *)p->key);
	} else {
		if (b->certs.count == 0) {
			tg_diag_set(d, "the bundle is signed with a key; verifying it needs --key");
			return TG_E_VERIFY;
		}
		leaf = b->certs.certs[0];
		for (i = 1; i < b->certs.count; i++) {
			struct tg_buf s1 = TG_BUF_INIT(4096), s2 = TG_BUF_INIT(4096);
			bool self = tg_x509_subject(b->certs.certs[i], &s1) == TG_OK &&
				    tg_x509_issuer(b->certs.certs[i], &s2) == TG_OK && s1.len == s2.len &&
				    memcmp(s1.data, s2.data, s1.len) == 0;
			tg_buf_release(&s1);
			tg_buf_release(&s2);
			if (self) {
				tg_diag_set(d, "the bundle's certificate chain contains a root certificate");
				return TG_E_VERIFY;
			}
		}
		r = tg_x509_public_key(leaf, &signer);
		if (r != TG_OK) {
			tg_diag_set(d, "the signing certificate's key is not usable");
			return TG_E_VERIFY;
		}
	}

	/* 2. Log entries: each must be bound to this bundle and proven. */
	if (b->ntlog == 0) {
		tg_diag_set(d, "the bundle has no transparency log entry");
		r = TG_E_VERIFY;
		goto out;
	}
	for (i = 0; i < b->ntlog; i++) {
		const struct tg_sign_log *log = NULL;
		int64_t it = 0;
		r = tg_sign_verify_tlog_entry(&b->tlog[i], b, leaf, signer, t, &it, &log, d);
		if (r != TG_OK)
			goto out;
		tlog_ok++;
		if (it && ntimes < MAX_TIMES)
			times[ntimes++] = (struct tg_time){it, 0};
		if (res->log_index < 0) {
			res->log_index = b->tlog[i].log_index;
			snprintf(res->log_url, sizeof(res->log_url), "%s", log->base_url);
		}
	}
	if (tlog_ok < (p->tlog_threshold ? p->tlog_threshold : 1)) {
		tg_diag_set(d, "not enough verified log entries");
		r = TG_E_VERIFY;
		goto out;
	}

	/* 3. RFC 3161 timestamps over the signature. */
	for (i = 0; i < b->ntsa; i++) {
		struct tg_time when;
		size_t k;
		bool ok = false;
		struct tg_diag td;
		tg_diag_init(&td);
		for (k = 0; k < t->ntsas && !ok; k++) {
			const struct tg_sign_ca *tsa = &t->tsas[k];
			tg_err tr;
			/* the chain prepared when the root was loaded; a root built
			 * by hand has none and takes the general path */
			if (tsa->tsa)
				tr = tg_tsa_anchor_verify(tsa->tsa, b->tsa[i], b->tsa_len[i],
							  b->signature, b->signature_len, 0, &when,
							  &td);
			else
				tr = tg_tsa_verify(b->tsa[i], b->tsa_len[i], b->signature,
						   b->signature_len,
						   (const struct tg_x509 *const *)tsa->chain.certs,
						   tsa->chain.count, &when, &td);
			if (tr != TG_OK)
				continue;
			if (!tg_sign_validity_contains(&tsa->valid, when)) {
				tg_diag_set(&td, "the timestamp lies outside its authority's validity");
				continue;
			}
			ok = true;
		}
		if (!ok) {
			tg_diag_set(d, "timestamp %zu does not verify with a trusted timestamp authority%s%s",
				    i, td.msg[0] ? ": " : "", td.msg);
			r = TG_E_VERIFY;
			goto out;
		}
		if (ntimes < MAX_TIMES)
			times[ntimes++] = when;
	}
	if (!p->key && ntimes == 0) {
		tg_diag_set(d, "no verified time: the bundle needs a signed entry timestamp or an "
			       "RFC 3161 timestamp");
		r = TG_E_VERIFY;
		goto out;
	}

	/* 4. The certificate at every verified time; SCTs; identity. */
	if (leaf) {
		char issuer_s[512];
		for (i = 0; i < ntimes; i++) {
			struct tg_x509 *iss = NULL;
			r = verify_cert_at(b, t, times[i], &iss, d);
			if (r != TG_OK) {
				char when[TG_TIME_STR_MAX] = "?";
				if (tg_time_format(times[i], when, sizeof(when)) != TG_OK)
					when[0] = '?';
				tg_diag_prefix(d, "certificate not valid at the verified time %s", when);
				goto out;
			}
			if (!issuer)
				issuer = iss;
			else
				tg_x509_free(iss);
		}
		if (t->nctlogs > 0) {
			size_t nsct = 0;
			if (!issuer) {
				tg_diag_set(d, "no issuer to verify SCTs against");
				r = TG_E_VERIFY;
				goto out;
			}
			r = tg_sign_verify_scts(leaf, issuer, t, &nsct, d);
			if (r != TG_OK)
				goto out;
			if (nsct < (p->ctlog_threshold ? p->ctlog_threshold : 1)) {
				if (!d || !d->msg[0])
					tg_diag_set(d, "not enough valid signed certificate timestamps");
				r = TG_E_VERIFY;
				goto out;
			}
		}
		if (cert_san(leaf, res->san, sizeof(res->san)) != TG_OK) {
			tg_diag_set(d, "the certificate has no URI or email identity");
			r = TG_E_VERIFY;
			goto out;
		}
		if ((p->identity || p->identity_regex || p->identity_re) &&
		    !identity_matches(res->san, p)) {
			tg_diag_set(d, "certificate identity '%s' does not match '%s'", res->san,
				    p->identity         ? p->identity
				    : p->identity_regex ? p->identity_regex
							: "the compiled identity pattern");
			r = TG_E_VERIFY;
			goto out;
		}
		if (cert_issuer(leaf, issuer_s, sizeof(issuer_s)) == TG_OK)
			snprintf(res->issuer, sizeof(res->issuer), "%s", issuer_s);
		if (p->issuer && strcmp(res->issuer, p->issuer) != 0) {
			tg_diag_set(d, "certificate issuer '%s' is not '%s'", res->issuer, p->issuer);
			r = TG_E_VERIFY;
			goto out;
		}
	}
	for (i = 0; i < ntimes; i++)
		if (i == 0 || time_lt(times[i], res->signed_at))
			res->signed_at = times[i];

	/* 5. The signature over the artifact. */
	if (art->data) {
		aalg = b->is_dsse || !b->digest_len ? TG_SHA256 : b->digest_alg;
		r = tg_hash(aalg, art->data, art->len, adigest);
		if (r != TG_OK)
			goto out;
	} else {
		aalg = art->alg;
		memcpy(adigest, art->digest, tg_hash_len(aalg));
	}
	if (b->is_dsse) {
		struct tg_buf pae = TG_BUF_INIT(TG_SIGN_MAX_DOC + 256);
		if (b->dsse_nsigs != 1) {
			tg_diag_set(d, "DSSE envelopes with %zu signatures are not supported",
				    b->dsse_nsigs);
			r = TG_E_VERIFY;
			goto out;
		}
		r = tg_dsse_pae(b->payload_type, strlen(b->payload_type), b->payload, b->payload_len,
				&pae);
		if (r == TG_OK)
			r = tg_verify(signer, message_alg(signer), TG_SIG_FORMAT_DER, pae.data, pae.len,
				      b->signature, b->signature_len);
		tg_buf_release(&pae);
		if (r != TG_OK) {
			tg_diag_set(d, "the DSSE signature does not verify");
			r = TG_E_VERIFY;
			goto out;
		}
		if (aalg != TG_SHA256) {
			tg_diag_set(d, "in-toto subjects are matched by SHA-256 digest");
			r = TG_E_VERIFY;
			goto out;
		}
		r = check_intoto(b, adigest, res, d);
		if (r != TG_OK)
			goto out;
	} else {
		enum tg_sig_alg alg = message_alg(signer);
		if (b->digest_len &&
		    (b->digest_alg != aalg || memcmp(b->digest, adigest, b->digest_len) != 0)) {
			tg_diag_set(d, "the artifact's digest is not the bundle's message digest");
			r = TG_E_VERIFY;
			goto out;
		}
		if (art->data)
			r = tg_verify(signer, alg, TG_SIG_FORMAT_DER, art->data, art->len, b->signature,
				      b->signature_len);
		else if (tg_sig_alg_hash(alg) == aalg)
			r = tg_verify_digest(signer, alg, TG_SIG_FORMAT_DER, adigest, tg_hash_len(aalg),
					     b->signature, b->signature_len);
		else
			r = TG_E_VERIFY;
		if (r != TG_OK) {
			tg_diag_set(d, "the signature over the artifact does not verify");
			r = TG_E_VERIFY;
			goto out;
		}
	}
	r = TG_OK;
out:
	tg_x509_free(issuer);
	tg_key_free(signer);
	return r;
}
