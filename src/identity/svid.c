/* SPDX-License-Identifier: Apache-2.0 */
/*
 * svid.c - what every relying party does with an SVID: check an X509-SVID
 * leaf against the SPIFFE rules and its chain against the bundle of its
 * trust domain, or a JWT-SVID against the JWT authorities of that bundle.
 */

/*
 * The SPIFFE rules of a leaf are checked before any chain is built, so a
 * leaf that breaks them is rejected for that reason whatever the bundles
 * hold. Revocation comes last: only a certificate or token that is
 * otherwise valid can be "revoked" in a message.
 */
#include "identity/identity.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/codec.h"
#include "core/limits.h"

#define JWT_SVID_SKEW 30          /* seconds of clock skew allowed on exp/iat/nbf */
#define SVID_ARENA_MAX (4 * TG_MIB) /* unverified header and claims, SANs */

/* Copies at most 100 bytes of s for a message, with non-printable bytes
 * as '?', so that what an attacker put in a certificate cannot forge a
 * line of a log. */
static const char *show(const char *s, size_t n, char dst[104])
{
	size_t i, m = n > 100 ? 100 : n;
	for (i = 0; i < m; i++)
		dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (n > m) {
		dst[m++] = '.';
		dst[m++] = '.';
		dst[m++] = '.';
	}
	dst[m] = '\0';
	return dst;
}

/* X509-SVID 2, 3.1, 4.1, 4.3, 5.2: the rules of a leaf; *id gets its ID. */
static tg_err leaf_rules(const struct tg_x509 *leaf, struct tg_spiffe_id *id, struct tg_diag *d)
{
	struct tg_arena a;
	struct tg_buf subj = TG_BUF_INIT(TG_LIMIT_LINE);
	const struct tg_san *sans = NULL, *uri = NULL;
	struct tg_x509_basic bc;
	struct tg_diag pd;
	size_t nsans = 0, nuri = 0, i;
	bool crit = false, ku_present = false, ku_crit = false;
	unsigned ku = 0;
	char q[104];
	tg_err r;

	tg_arena_init(&a, SVID_ARENA_MAX);
	r = tg_x509_sans(leaf, &a, &sans, &nsans, &crit);
	if (r != TG_OK) {
		tg_diag_set(d, "cannot read the leaf's subject alternative names (%s)",
			    tg_strerror(r));
		r = TG_E_VERIFY;
		goto out;
	}
	/* every failure below is the leaf breaking a rule */
	r = TG_E_VERIFY;
	for (i = 0; i < nsans; i++) {
		if (sans[i].type == TG_SAN_URI) {
			uri = &sans[i];
			nuri++;
		}
	}
	if (nuri == 0) {
		tg_diag_set(d, "leaf has no URI SAN, so no SPIFFE ID (X509-SVID 2)");
		goto out;
	}
	if (nuri > 1) {
		tg_diag_set(d, "leaf has %zu URI SANs; an X509-SVID has exactly one (X509-SVID 2)",
			    nuri);
		goto out;
	}
	tg_diag_init(&pd);
	if (tg_spiffe_id_parse(uri->value, uri->len, id, &pd) != TG_OK) {
		tg_diag_set(d, "leaf URI SAN '%s' is not a SPIFFE ID: %s", show(uri->value, uri->len, q),
			    pd.msg);
		goto out;
	}
	if (id->uri[id->path_off] == '\0') {
		tg_diag_set(d, "leaf SPIFFE ID '%s' has no path; a leaf's ID has a non-root path "
			       "(X509-SVID 3.1)", show(id->uri, strlen(id->uri), q));
		goto out;
	}
	if (tg_x509_subject(leaf, &subj) != TG_OK) {
		tg_diag_set(d, "cannot read the leaf's subject");
		goto out;
	}
	if (subj.len == 0 && !crit) {
		tg_diag_set(d, "leaf has an empty subject and a non-critical SAN extension "
			       "(X509-SVID 3.1, RFC 5280 4.1.2.6)");
		goto out;
	}
	if (tg_x509_basic_constraints(leaf, &bc) != TG_OK) {
		tg_diag_set(d, "cannot read the leaf's basic constraints");
		goto out;
	}
	if (bc.ca) {
		tg_diag_set(d, "leaf is a CA: basic constraints cA is true (X509-SVID 4.1, 5.2)");
		goto out;
	}
	if (tg_x509_key_usage(leaf, &ku_present, &ku_crit, &ku) != TG_OK) {
		tg_diag_set(d, "cannot read the leaf's key usage");
		goto out;
	}
	if (!ku_present) {
		tg_diag_set(d, "leaf has no key usage extension (X509-SVID 4.3)");
		goto out;
	}
	if (!ku_crit) {
		tg_diag_set(d, "leaf key usage is not critical (X509-SVID 4.3)");
		goto out;
	}
	if (!(ku & TG_KU_DIGITAL_SIGNATURE)) {
		tg_diag_set(d, "leaf key usage lacks digitalSignature (X509-SVID 4.3)");
		goto out;
	}
	if (ku & TG_KU_KEY_CERT_SIGN) {
		tg_diag_set(d, "leaf key usage has keyCertSign (X509-SVID 4.3, 5.2)");
		goto out;
	}
	if (ku & TG_KU_CRL_SIGN) {
		tg_diag_set(d, "leaf key usage has cRLSign (X509-SVID 4.3, 5.2)");
		goto out;
	}
	r = TG_OK;
out:
	tg_buf_release(&subj);
	tg_arena_release(&a);
	return r;
}

/* X509-SVID 3.2: a signing certificate's SPIFFE ID, if it has one, has no
 * path. Certificates without a spiffe URI SAN are not SVIDs: nothing to
 * check. */
static tg_err signing_rules(const struct tg_x509 *c, size_t depth, struct tg_diag *d)
{
	struct tg_arena a;
	const struct tg_san *sans = NULL;
	struct tg_spiffe_id sid;
	struct tg_diag pd;
	size_t nsans = 0, i;
	bool crit;
	char q[104];
	tg_err r;

	tg_arena_init(&a, SVID_ARENA_MAX);
	r = tg_x509_sans(c, &a, &sans, &nsans, &crit);
	if (r != TG_OK) {
		tg_diag_set(d, "cannot read the subject alternative names of the certificate at "
			       "depth %zu (%s)", depth, tg_strerror(r));
		r = TG_E_VERIFY;
		goto out;
	}
	for (i = 0; i < nsans; i++) {
		if (sans[i].type != TG_SAN_URI || sans[i].len < 7 ||
		    strncasecmp(sans[i].value, "spiffe:", 7) != 0)
			continue;
		tg_diag_init(&pd);
		if (tg_spiffe_id_parse(sans[i].value, sans[i].len, &sid, &pd) != TG_OK) {
			tg_diag_set(d, "signing certificate at depth %zu has an invalid SPIFFE ID "
				       "'%s': %s", depth, show(sans[i].value, sans[i].len, q), pd.msg);
			r = TG_E_VERIFY;
			goto out;
		}
		if (sid.uri[sid.path_off] != '\0') {
			tg_diag_set(d, "signing certificate at depth %zu has SPIFFE ID '%s' with a "
				       "path (X509-SVID 3.2)", depth, show(sid.uri, strlen(sid.uri), q));
			r = TG_E_VERIFY;
			goto out;
		}
	}
	r = TG_OK;
out:
	tg_arena_release(&a);
	return r;
}

tg_err tg_x509_svid_verify(const struct tg_x509 *leaf, const struct tg_x509 *const *inter,
			   size_t n_inter, const struct tg_bundle_set *bundles, struct tg_time now,
			   const struct tg_revocations *rev, struct tg_spiffe_id *id,
			   struct tg_diag *d)
{
	struct tg_spiffe_id sid;
	struct tg_x509_list chain = {NULL, 0};
	struct tg_buf serial = TG_BUF_INIT(128);
	const struct tg_bundle *b;
	struct tg_diag vd;
	char td[TG_SPIFFE_TD_MAX + 1];
	size_t i;
	tg_err r;

	if (!leaf || !id || (n_inter && !inter)) {
		tg_diag_set(d, "tg_x509_svid_verify needs a leaf and an output");
		return TG_E_INVAL;
	}
	r = leaf_rules(leaf, &sid, d);
	if (r != TG_OK)
		goto out;
	tg_spiffe_id_td(&sid, td);
	r = TG_E_VERIFY;
	b = tg_bundle_set_find(bundles, td);
	if (!b) {
		tg_diag_set(d, "no trust bundle for trust domain '%s' of '%s'", td, sid.uri);
		goto out;
	}
	if (b->x509.count == 0) {
		tg_diag_set(d, "the bundle of trust domain '%s' has no X.509 authorities", td);
		goto out;
	}
	/* X509-SVID 5.1: RFC 5280 path validation at the caller's time. No
	 * extended key usage is required: X509-SVID 4.4 makes it a SHOULD
	 * of the issuer, and 5.2 lists no check of it. */
	tg_diag_init(&vd);
	r = tg_x509_verify(leaf, inter, n_inter, (const struct tg_x509 *const *)b->x509.certs,
			   b->x509.count, now, TG_X509_VERIFY_NO_PURPOSE, &chain, &vd);
	if (r != TG_OK) {
		tg_diag_set(d, "'%s' does not chain to the bundle of '%s': %s", sid.uri, td,
			    vd.msg);
		r = r == TG_E_INVAL || r == TG_E_TOOBIG ? r : TG_E_VERIFY;
		goto out;
	}
	for (i = 1; i < chain.count; i++) {
		r = signing_rules(chain.certs[i], i, d);
		if (r != TG_OK)
			goto out;
	}
	/* a revoked intermediate takes every SVID it signed with it */
	for (i = 0; rev && rev->is_revoked_serial && i < chain.count; i++) {
		tg_buf_reset(&serial);
		r = tg_x509_serial_hex(chain.certs[i], &serial);
		if (r != TG_OK)
			goto out;
		if (rev->is_revoked_serial(rev->ctx, tg_buf_str(&serial))) {
			tg_diag_set(d, "%s with serial %s is revoked",
				    i == 0 ? "the leaf" : "a signing certificate", tg_buf_str(&serial));
			r = TG_E_VERIFY;
			goto out;
		}
	}
	*id = sid;
	r = TG_OK;
out:
	tg_x509_list_release(&chain);
	tg_buf_release(&serial);
	return r;
}

/* ------------------------------------------------------------------ */
/* JWT-SVID                                                            */
/* ------------------------------------------------------------------ */

/* Decodes base64url part [start, start+len) of the token and parses it as
 * a JSON object in a. */
static tg_err part_json(const char *tok, size_t start, size_t len, const char *what,
			size_t max, struct tg_arena *a, const struct tg_json **out,
			struct tg_diag *d)
{
	struct tg_buf raw = TG_BUF_INIT(max);
	struct tg_diag jd;
	const struct tg_json *v = NULL;
	tg_err r;

	tg_diag_init(&jd);
	r = tg_b64_decode(&raw, tok + start, len, TG_B64_URL, &jd);
	if (r != TG_OK) {
		tg_diag_set(d, "the %s is not base64url: %s", what, jd.msg);
		r = r == TG_E_TOOBIG ? r : TG_E_PARSE;
		goto out;
	}
	r = tg_json_parse(a, raw.data, raw.len, NULL, &v, NULL, &jd);
	if (r != TG_OK) {
		tg_diag_set(d, "the %s is not JSON: %s at %u:%u", what, jd.msg, jd.line, jd.col);
		goto out;
	}
	if (v->type != TG_JSON_OBJECT) {
		tg_diag_set(d, "the %s is a JSON %s, not an object", what,
			    tg_json_type_name((enum tg_json_type)v->type));
		r = TG_E_PARSE;
		goto out;
	}
	*out = v;
	r = TG_OK;
out:
	tg_buf_release(&raw);
	return r;
}

/* JWT-SVID 2: the header holds alg, kid and typ, nothing else; alg is one
 * of RFC 7518 3.3-3.5; typ, when present, is "JWT" or "JOSE". */
static tg_err header_rules(const struct tg_json *h, enum tg_sig_alg *alg,
			   const struct tg_json **kid, struct tg_diag *d)
{
	const struct tg_json *v;
	char q[104];
	size_t i;

	for (i = 0; i < h->u.o.len; i++) {
		const struct tg_json *k = h->u.o.items[i].key;
		if (!tg_json_str_eq(k, "alg") && !tg_json_str_eq(k, "kid") &&
		    !tg_json_str_eq(k, "typ")) {
			tg_diag_set(d, "header member '%s' is not allowed in a JWT-SVID (JWT-SVID 2)",
				    show(k->u.s.p, k->u.s.len, q));
			return TG_E_PARSE;
		}
	}
	v = tg_json_get(h, "alg");
	if (!v || v->type != TG_JSON_STRING) {
		tg_diag_set(d, "the header has no \"alg\" string");
		return TG_E_PARSE;
	}
	if (tg_sig_alg_from_name(v->u.s.p, v->u.s.len, alg) != TG_OK) {
		tg_diag_set(d, "algorithm '%s' is not allowed for JWT-SVIDs (JWT-SVID 2.1)",
			    show(v->u.s.p, v->u.s.len, q));
		return TG_E_ALG;
	}
	switch (*alg) {
	case TG_SIG_RS256:
	case TG_SIG_RS384:
	case TG_SIG_RS512:
	case TG_SIG_ES256:
	case TG_SIG_ES384:
	case TG_SIG_ES512:
	case TG_SIG_PS256:
	case TG_SIG_PS384:
	case TG_SIG_PS512:
		break;
	default:
		tg_diag_set(d, "algorithm '%s' is not allowed for JWT-SVIDs (JWT-SVID 2.1)",
			    tg_sig_alg_name(*alg));
		return TG_E_ALG;
	}
	v = tg_json_get(h, "typ");
	if (v && !tg_json_str_eq(v, "JWT") && !tg_json_str_eq(v, "JOSE")) {
		if (v->type == TG_JSON_STRING)
			tg_diag_set(d, "header typ '%s' is neither JWT nor JOSE (JWT-SVID 2.3)",
				    show(v->u.s.p, v->u.s.len, q));
		else
			tg_diag_set(d, "header typ is not a string (JWT-SVID 2.3)");
		return TG_E_CLAIM;
	}
	v = tg_json_get(h, "kid");
	if (!v) {
		tg_diag_set(d, "the header has no kid to choose a JWT authority with");
		return TG_E_VERIFY;
	}
	if (v->type != TG_JSON_STRING || v->u.s.len == 0 || memchr(v->u.s.p, '\0', v->u.s.len)) {
		tg_diag_set(d, "the header kid is not a non-empty string");
		return TG_E_PARSE;
	}
	*kid = v;
	return TG_OK;
}

tg_err tg_jwt_svid_verify(const char *token, size_t n, const struct tg_bundle_set *bundles,
			  const char *audience, struct tg_time now, const struct tg_revocations *rev,
			  struct tg_arena *a, struct tg_spiffe_id *id, const struct tg_json **claims,
			  struct tg_diag *d)
{
	struct tg_arena tmp;
	const struct tg_json *h = NULL, *pre = NULL, *kid = NULL, *sub, *c = NULL, *jti;
	const struct tg_bundle *b;
	const struct tg_key *key = NULL;
	struct tg_jwt_check chk;
	struct tg_spiffe_id sid;
	enum tg_sig_alg alg = TG_SIG_NONE;
	struct tg_diag vd;
	char td[TG_SPIFFE_TD_MAX + 1], q[104];
	size_t i, dots = 0, dot[2] = {0, 0};
	tg_err r;

	if ((!token && n) || !a || !id || !audience || !*audience) {
		tg_diag_set(d, "tg_jwt_svid_verify needs a token, an audience, an arena and an "
			       "output");
		return TG_E_INVAL;
	}
	if (n > TG_LIMIT_JWS) {
		tg_diag_set(d, "the token of %zu bytes is larger than %zu", n, (size_t)TG_LIMIT_JWS);
		return TG_E_TOOBIG;
	}
	/* JWT-SVID 5.1: compact serialisation, three parts */
	for (i = 0; i < n; i++) {
		if (token[i] != '.')
			continue;
		if (dots < 2)
			dot[dots] = i;
		dots++;
	}
	if (dots != 2) {
		tg_diag_set(d, "a JWT-SVID is a compact JWS of 3 parts, this one has %zu", dots + 1);
		return TG_E_PARSE;
	}
	tg_arena_init(&tmp, SVID_ARENA_MAX);
	/* The header and claims are read before the signature is checked only
	 * to choose the bundle (by the trust domain of sub) and the key (by
	 * kid); everything returned comes from tg_jwt_verify below. */
	r = part_json(token, 0, dot[0], "header", TG_LIMIT_JWS_HEADER, &tmp, &h, d);
	if (r != TG_OK)
		goto out;
	r = header_rules(h, &alg, &kid, d);
	if (r != TG_OK)
		goto out;
	r = part_json(token, dot[0] + 1, dot[1] - dot[0] - 1, "payload", TG_LIMIT_JWS, &tmp, &pre,
		      d);
	if (r != TG_OK)
		goto out;
	/* JWT-SVID 3.1: sub is the SPIFFE ID */
	sub = tg_json_get(pre, "sub");
	r = TG_E_CLAIM;
	if (!sub || sub->type != TG_JSON_STRING) {
		tg_diag_set(d, "the token has no \"sub\" string (JWT-SVID 3.1)");
		goto out;
	}
	tg_diag_init(&vd);
	if (tg_spiffe_id_parse(sub->u.s.p, sub->u.s.len, &sid, &vd) != TG_OK) {
		tg_diag_set(d, "sub '%s' is not a SPIFFE ID: %s", show(sub->u.s.p, sub->u.s.len, q),
			    vd.msg);
		goto out;
	}
	tg_spiffe_id_td(&sid, td);
	r = TG_E_VERIFY;
	b = tg_bundle_set_find(bundles, td);
	if (!b) {
		tg_diag_set(d, "no trust bundle for trust domain '%s' of '%s'", td, sid.uri);
		goto out;
	}
	for (i = 0; i < b->jwt.count; i++) {
		const char *k = tg_key_kid(b->jwt.keys[i]);
		if (k && strlen(k) == kid->u.s.len && memcmp(k, kid->u.s.p, kid->u.s.len) == 0) {
			key = b->jwt.keys[i];
			break;
		}
	}
	if (!key) {
		tg_diag_set(d, "kid '%s' is not a JWT authority of trust domain '%s'",
			    show(kid->u.s.p, kid->u.s.len, q), td);
		goto out;
	}
	/* the key decides the algorithm: ES256 on a P-384 key, RS256 on an EC
	 * key, anything the JWK pinned otherwise, all fail here */
	if (tg_key_check_alg(key, alg) != TG_OK) {
		tg_diag_set(d, "algorithm %s does not fit the %s key '%s' of trust domain '%s'",
			    tg_sig_alg_name(alg), tg_key_type_name(tg_key_type(key)),
			    show(kid->u.s.p, kid->u.s.len, q), td);
		r = TG_E_ALG;
		goto out;
	}
	/* JWT-SVID 3.2, 3.3, 4: signature, aud, exp (required) */
	memset(&chk, 0, sizeof(chk));
	chk.now = now;
	chk.skew = JWT_SVID_SKEW;
	chk.aud = audience;
	tg_diag_init(&vd);
	r = tg_jwt_verify(token, n, &key, 1, &chk, a, &c, NULL, &vd);
	if (r != TG_OK) {
		tg_diag_set(d, "JWT-SVID of '%s': %s", sid.uri, vd.msg);
		goto out;
	}
	r = TG_E_VERIFY;
	sub = tg_json_get(c, "sub");
	if (!sub || sub->type != TG_JSON_STRING || strlen(sid.uri) != sub->u.s.len ||
	    memcmp(sid.uri, sub->u.s.p, sub->u.s.len) != 0) {
		tg_diag_set(d, "the verified claims do not carry the subject read before");
		r = TG_E_INTERNAL;
		goto out;
	}
	jti = tg_json_get(c, "jti");
	if (jti && memchr(jti->u.s.p, '\0', jti->u.s.len)) {
		tg_diag_set(d, "the jti claim contains a NUL character");
		r = TG_E_CLAIM;
		goto out;
	}
	if (jti && rev && rev->is_revoked_jti && rev->is_revoked_jti(rev->ctx, jti->u.s.p)) {
		tg_diag_set(d, "JWT-SVID of '%s' with jti '%s' is revoked", sid.uri,
			    show(jti->u.s.p, jti->u.s.len, q));
		r = TG_E_VERIFY;
		goto out;
	}
	*id = sid;
	if (claims)
		*claims = c;
	r = TG_OK;
out:
	tg_arena_release(&tmp);
	return r;
}
