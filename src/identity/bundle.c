/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bundle.c - SPIFFE trust bundles: parsing the SPIFFE bundle format (a JWK
 * Set whose keys say "use": "x509-svid" or "jwt-svid"), emitting it, PEM
 * and JWKS exports, and sets of bundles keyed by trust domain.
 */

/*
 * What is ignored and what is rejected follows the specifications:
 * SPIFFE Trust Domain and Bundle 4.2 ignores keys without "use", with an
 * unknown "use" or an unknown "kty"; X509-SVID 6.2 ignores x509-svid keys
 * whose "x5c" is absent or empty and all but the first certificate of a
 * longer one. Everything else that is wrong (a bad certificate, key
 * members that do not match it, a jwt-svid key without a kid, a repeated
 * kid) rejects the whole bundle, with the key's index in the message.
 */
#include "identity/identity.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/limits.h"
#include "core/mem.h"

#define BUNDLE_ARENA_MAX TG_LIMIT_ARENA_DEFAULT

void tg_bundle_release(struct tg_bundle *b)
{
	if (!b)
		return;
	tg_x509_list_release(&b->x509);
	tg_jwks_release(&b->jwt);
	b->refresh_hint = 0;
	b->sequence = 0;
}

/* An unsigned JSON integer literal (no sign, fraction or exponent: the
 * spec says integer, and 64 bits of it, SPIFFE bundle 4.1.1). */
static tg_err json_u64(const struct tg_json *v, uint64_t *out)
{
	uint64_t x = 0;
	size_t i;
	if (v->type != TG_JSON_NUMBER || !(v->flags & TG_JSON_F_INTLIT) || v->u.s.p[0] == '-')
		return TG_E_TYPE;
	for (i = 0; i < v->u.s.len; i++) {
		unsigned dg = (unsigned)(v->u.s.p[i] - '0');
		if (x > (UINT64_MAX - dg) / 10)
			return TG_E_RANGE;
		x = x * 10 + dg;
	}
	*out = x;
	return TG_OK;
}

/* The JWK object k without its "use" member, so that tg_key_from_jwk
 * (which knows only RFC 7517's "sig" and "enc") yields a key usable for
 * signatures: in a SPIFFE bundle "use" names the SVID type instead. */
static tg_err without_use(struct tg_arena *a, const struct tg_json *k,
			  const struct tg_json **out)
{
	struct tg_json_member *m;
	size_t i, n = 0;
	m = tg_arena_alloc_array(a, k->u.o.len ? k->u.o.len : 1, sizeof(*m));
	if (!m)
		return TG_E_TOOBIG;
	for (i = 0; i < k->u.o.len; i++)
		if (!tg_json_str_eq(k->u.o.items[i].key, "use"))
			m[n++] = k->u.o.items[i];
	return tg_json_new_object(a, m, n, TG_JSON_DUP_REJECT, out);
}

static void cert_push(struct tg_x509_list *l, struct tg_x509 *c)
{
	l->certs = tg_xreallocarray(l->certs, l->count + 1, sizeof(*l->certs));
	l->certs[l->count++] = c;
}

static void key_push(struct tg_jwks *s, struct tg_key *k)
{
	s->keys = tg_xreallocarray(s->keys, s->count + 1, sizeof(*s->keys));
	s->keys[s->count++] = k;
}

/* X509-SVID 6.2: one x509-svid key. Adds its certificate to b, or
 * nothing when the spec says to ignore the key. */
static tg_err add_x509(const struct tg_json *k, size_t idx, struct tg_bundle *b,
		       struct tg_diag *d)
{
	const struct tg_json *x5c = tg_json_get(k, "x5c");
	struct tg_buf der = TG_BUF_INIT(TG_LIMIT_DER);
	struct tg_key *key = NULL, *pub = NULL;
	struct tg_x509 *cert = NULL;
	struct tg_diag kd;
	size_t i;
	tg_err r;

	tg_diag_init(&kd);
	r = tg_key_from_jwk(k, 0, &key, &kd);
	if (r == TG_E_UNSUPPORTED) { /* SPIFFE bundle 4.2.1: unknown kty */
		r = TG_OK;
		goto out;
	}
	if (r != TG_OK) {
		tg_diag_set(d, "key %zu (x509-svid): %s", idx, kd.msg);
		r = TG_E_KEY;
		goto out;
	}
	if (!x5c || (x5c->type == TG_JSON_ARRAY && x5c->u.a.len == 0)) {
		r = TG_OK; /* X509-SVID 6.2: no certificate, no authority */
		goto out;
	}
	r = TG_E_PARSE;
	if (x5c->type != TG_JSON_ARRAY) {
		tg_diag_set(d, "key %zu (x509-svid): \"x5c\" is not an array", idx);
		goto out;
	}
	for (i = 0; i < x5c->u.a.len; i++) {
		if (x5c->u.a.items[i]->type != TG_JSON_STRING) {
			tg_diag_set(d, "key %zu (x509-svid): \"x5c\" element %zu is not a string",
				    idx, i);
			goto out;
		}
	}
	/* RFC 7517 4.7: standard base64 (not base64url) of the DER */
	tg_diag_init(&kd);
	r = tg_b64_decode(&der, x5c->u.a.items[0]->u.s.p, x5c->u.a.items[0]->u.s.len, TG_B64_STD,
			  &kd);
	if (r != TG_OK) {
		tg_diag_set(d, "key %zu (x509-svid): \"x5c\" is not valid base64: %s", idx,
			    kd.msg);
		r = r == TG_E_TOOBIG ? TG_E_TOOBIG : TG_E_PARSE;
		goto out;
	}
	tg_diag_init(&kd);
	r = tg_x509_from_der(der.data, der.len, &cert, &kd);
	if (r != TG_OK) {
		tg_diag_set(d, "key %zu (x509-svid): \"x5c\" is not a certificate: %s", idx, kd.msg);
		goto out;
	}
	/* RFC 7517 4.7: the key members must be the certificate's key */
	r = tg_x509_public_key(cert, &pub);
	if (r != TG_OK) {
		tg_diag_set(d, "key %zu (x509-svid): the certificate's key is not supported", idx);
		goto out;
	}
	if (!tg_key_equal_public(key, pub)) {
		tg_diag_set(d, "key %zu (x509-svid): the key members do not match the \"x5c\" "
			       "certificate", idx);
		r = TG_E_KEY;
		goto out;
	}
	cert_push(&b->x509, cert);
	cert = NULL;
	r = TG_OK;
out:
	tg_x509_free(cert);
	tg_key_free(key);
	tg_key_free(pub);
	tg_buf_release(&der);
	return r;
}

/* JWT-SVID 6.2: one jwt-svid key, which must have a kid no other has. */
static tg_err add_jwt(struct tg_arena *a, const struct tg_json *k, size_t idx,
		      struct tg_bundle *b, struct tg_diag *d)
{
	const struct tg_json *sig = NULL;
	struct tg_key *key = NULL;
	struct tg_diag kd;
	const char *kid;
	size_t i;
	tg_err r;

	r = without_use(a, k, &sig);
	if (r != TG_OK)
		goto out;
	tg_diag_init(&kd);
	r = tg_key_from_jwk(sig, 0, &key, &kd);
	if (r == TG_E_UNSUPPORTED) { /* SPIFFE bundle 4.2.1: unknown kty */
		r = TG_OK;
		goto out;
	}
	if (r != TG_OK) {
		tg_diag_set(d, "key %zu (jwt-svid): %s", idx, kd.msg);
		r = TG_E_KEY;
		goto out;
	}
	r = TG_E_KEY;
	kid = tg_key_kid(key);
	if (!kid || !*kid) {
		tg_diag_set(d, "key %zu (jwt-svid): no \"kid\" (JWT-SVID 6.1 requires one)", idx);
		goto out;
	}
	for (i = 0; i < b->jwt.count; i++) {
		if (strcmp(tg_key_kid(b->jwt.keys[i]), kid) == 0) {
			tg_diag_set(d, "key %zu (jwt-svid): kid '%.64s' is used by an earlier key",
				    idx, kid);
			goto out;
		}
	}
	key_push(&b->jwt, key);
	key = NULL;
	r = TG_OK;
out:
	tg_key_free(key);
	return r;
}

tg_err tg_bundle_parse(const char *td, const char *json, size_t n, struct tg_bundle *out,
		       struct tg_diag *d)
{
	struct tg_bundle b;
	struct tg_arena a;
	struct tg_diag jd;
	const struct tg_json *doc = NULL, *keys, *v;
	size_t i;
	tg_err r;

	if (!td || !out || (!json && n)) {
		tg_diag_set(d, "tg_bundle_parse needs a trust domain, a document and an output");
		return TG_E_INVAL;
	}
	memset(&b, 0, sizeof(b));
	tg_arena_init(&a, BUNDLE_ARENA_MAX);
	tg_diag_init(&jd);
	r = tg_spiffe_td_parse(td, strlen(td), b.td, &jd);
	if (r != TG_OK) {
		tg_diag_set(d, "invalid trust domain '%.64s': %s", td, jd.msg);
		r = TG_E_INVAL;
		goto out;
	}
	if (n > TG_LIMIT_JSON_VERIFY_DOC) {
		tg_diag_set(d, "bundle of %zu bytes is larger than %zu", n,
			    (size_t)TG_LIMIT_JSON_VERIFY_DOC);
		r = TG_E_TOOBIG;
		goto out;
	}
	/* strict JSON: SPIFFE bundle 6.3 warns about duplicate keys */
	r = tg_json_parse(&a, json, n, NULL, &doc, NULL, &jd);
	if (r != TG_OK) {
		tg_diag_at(d, jd.line, jd.col, jd.offset, "bundle is not valid JSON: %s at %u:%u",
			   jd.msg, jd.line, jd.col);
		goto out;
	}
	r = TG_E_PARSE;
	if (doc->type != TG_JSON_OBJECT) {
		tg_diag_set(d, "bundle is a JSON %s, not an object",
			    tg_json_type_name((enum tg_json_type)doc->type));
		goto out;
	}
	/* SPIFFE bundle 4.1.3: "keys" MUST be present (and may be empty) */
	keys = tg_json_get(doc, "keys");
	if (!keys || keys->type != TG_JSON_ARRAY) {
		tg_diag_set(d, "bundle has no \"keys\" array");
		goto out;
	}
	if (keys->u.a.len > TG_LIMIT_JWKS_KEYS) {
		tg_diag_set(d, "bundle has %zu keys, more than %d", keys->u.a.len,
			    TG_LIMIT_JWKS_KEYS);
		r = TG_E_TOOBIG;
		goto out;
	}
	v = tg_json_get(doc, "spiffe_sequence");
	if (v && json_u64(v, &b.sequence) != TG_OK) {
		tg_diag_set(d, "\"spiffe_sequence\" is not an unsigned 64-bit integer");
		goto out;
	}
	v = tg_json_get(doc, "spiffe_refresh_hint");
	if (v) {
		uint64_t h = 0;
		if (json_u64(v, &h) != TG_OK || h > INT64_MAX) {
			tg_diag_set(d, "\"spiffe_refresh_hint\" is not a non-negative integer");
			goto out;
		}
		b.refresh_hint = (int64_t)h;
	}
	for (i = 0; i < keys->u.a.len; i++) {
		const struct tg_json *k = keys->u.a.items[i], *use;
		if (k->type != TG_JSON_OBJECT) {
			tg_diag_set(d, "key %zu is not a JSON object", i);
			r = TG_E_PARSE;
			goto out;
		}
		use = tg_json_get(k, "use");
		if (!use)
			continue; /* SPIFFE bundle 4.2.2: ignore */
		if (use->type != TG_JSON_STRING) {
			tg_diag_set(d, "key %zu: \"use\" is not a string", i);
			r = TG_E_PARSE;
			goto out;
		}
		/* the values are case sensitive (SPIFFE bundle 4.2.2) */
		if (tg_json_str_eq(use, "x509-svid"))
			r = add_x509(k, i, &b, d);
		else if (tg_json_str_eq(use, "jwt-svid"))
			r = add_jwt(&a, k, i, &b, d);
		else
			r = TG_OK; /* an SVID type we do not know: ignore */
		if (r != TG_OK)
			goto out;
	}
	*out = b;
	memset(&b, 0, sizeof(b));
	r = TG_OK;
out:
	if (r != TG_OK)
		tg_diag_prefix(d, "bundle for '%s'", b.td[0] ? b.td : "?");
	tg_bundle_release(&b);
	tg_arena_release(&a);
	return r;
}

/* ---- output ---- */

static tg_err add_member(struct tg_arena *a, struct tg_json_member *m, const char *key,
			 const struct tg_json *val)
{
	m->val = val;
	return tg_json_new_string(a, key, strlen(key), &m->key);
}

static tg_err str_value(struct tg_arena *a, const char *s, size_t n, const struct tg_json **out)
{
	return tg_json_new_string(a, s, n, out);
}

/* A JWK object: the key's public members plus extra members. */
static tg_err jwk_with(struct tg_arena *a, const struct tg_json *jwk,
		       const struct tg_json_member *extra, size_t nextra,
		       const struct tg_json **out)
{
	struct tg_json_member *m;
	size_t i, n = 0;
	m = tg_arena_alloc_array(a, jwk->u.o.len + nextra, sizeof(*m));
	if (!m)
		return TG_E_TOOBIG;
	for (i = 0; i < jwk->u.o.len; i++)
		m[n++] = jwk->u.o.items[i];
	for (i = 0; i < nextra; i++)
		m[n++] = extra[i];
	return tg_json_new_object(a, m, n, TG_JSON_DUP_REJECT, out);
}

static tg_err x509_jwk(struct tg_arena *a, const struct tg_x509 *c, const struct tg_json **out)
{
	struct tg_key *pub = NULL;
	struct tg_buf der = TG_BUF_INIT(TG_LIMIT_DER);
	struct tg_buf b64 = TG_BUF_INIT(2 * TG_LIMIT_DER);
	const struct tg_json *jwk = NULL, *s = NULL, *arr = NULL;
	struct tg_json_member ex[2];
	tg_err r;

	r = tg_x509_public_key(c, &pub);
	if (r == TG_OK)
		r = tg_key_to_jwk(pub, false, a, &jwk);
	if (r == TG_OK)
		r = tg_x509_to_der(c, &der);
	if (r == TG_OK)
		r = tg_b64_encode(&b64, der.data, der.len, TG_B64_STD);
	if (r == TG_OK)
		r = str_value(a, (const char *)b64.data, b64.len, &s);
	if (r == TG_OK)
		r = tg_json_new_array(a, &s, 1, &arr);
	if (r == TG_OK)
		r = add_member(a, &ex[0], "x5c", arr);
	if (r == TG_OK)
		r = str_value(a, "x509-svid", 9, &s);
	if (r == TG_OK)
		r = add_member(a, &ex[1], "use", s);
	if (r == TG_OK)
		r = jwk_with(a, jwk, ex, 2, out);
	tg_key_free(pub);
	tg_buf_release(&der);
	tg_buf_release(&b64);
	return r;
}

static tg_err jwt_jwk(struct tg_arena *a, const struct tg_key *k, const struct tg_json **out)
{
	const struct tg_json *jwk = NULL, *s = NULL;
	struct tg_json_member ex;
	tg_err r = tg_key_to_jwk(k, false, a, &jwk);
	if (r == TG_OK)
		r = str_value(a, "jwt-svid", 8, &s);
	if (r == TG_OK)
		r = add_member(a, &ex, "use", s);
	if (r == TG_OK)
		r = jwk_with(a, jwk, &ex, 1, out);
	return r;
}

static tg_err emit(struct tg_buf *out, const struct tg_json *v)
{
	size_t before = out->len;
	tg_err r = tg_json_emit(out, v, TG_JSON_EMIT_PRETTY);
	if (r == TG_OK)
		r = tg_buf_addc(out, '\n');
	if (r != TG_OK)
		tg_buf_truncate(out, before);
	return r;
}

tg_err tg_bundle_to_spiffe(const struct tg_bundle *b, struct tg_buf *out)
{
	struct tg_arena a;
	const struct tg_json **items = NULL, *arr = NULL, *doc = NULL, *num = NULL;
	struct tg_json_member m[3];
	size_t i, n = 0, nm = 0;
	char lit[24];
	tg_err r = TG_E_TOOBIG;

	if (!b || !out)
		return TG_E_INVAL;
	tg_arena_init(&a, BUNDLE_ARENA_MAX);
	items = tg_arena_alloc_array(&a, b->x509.count + b->jwt.count + 1, sizeof(*items));
	if (!items)
		goto out;
	for (i = 0; i < b->x509.count; i++) {
		r = x509_jwk(&a, b->x509.certs[i], &items[n++]);
		if (r != TG_OK)
			goto out;
	}
	for (i = 0; i < b->jwt.count; i++) {
		if (!tg_key_kid(b->jwt.keys[i])) { /* JWT-SVID 6.1: kid MUST be set */
			r = TG_E_KEY;
			goto out;
		}
		r = jwt_jwk(&a, b->jwt.keys[i], &items[n++]);
		if (r != TG_OK)
			goto out;
	}
	r = tg_json_new_array(&a, items, n, &arr);
	if (r == TG_OK)
		r = add_member(&a, &m[nm++], "keys", arr);
	if (r == TG_OK && b->refresh_hint > 0) {
		snprintf(lit, sizeof(lit), "%" PRId64, b->refresh_hint);
		r = tg_json_new_number(&a, lit, strlen(lit), &num);
		if (r == TG_OK)
			r = add_member(&a, &m[nm++], "spiffe_refresh_hint", num);
	}
	if (r == TG_OK && b->sequence > 0) {
		snprintf(lit, sizeof(lit), "%" PRIu64, b->sequence);
		r = tg_json_new_number(&a, lit, strlen(lit), &num);
		if (r == TG_OK)
			r = add_member(&a, &m[nm++], "spiffe_sequence", num);
	}
	if (r == TG_OK)
		r = tg_json_new_object(&a, m, nm, TG_JSON_DUP_REJECT, &doc);
	if (r == TG_OK)
		r = emit(out, doc);
out:
	tg_arena_release(&a);
	return r;
}

tg_err tg_bundle_to_pem(const struct tg_bundle *b, struct tg_buf *out)
{
	size_t before, i;
	tg_err r = TG_OK;

	if (!b || !out)
		return TG_E_INVAL;
	before = out->len;
	for (i = 0; i < b->x509.count && r == TG_OK; i++)
		r = tg_x509_to_pem(b->x509.certs[i], out);
	if (r != TG_OK)
		tg_buf_truncate(out, before);
	return r;
}

tg_err tg_bundle_to_jwks(const struct tg_bundle *b, struct tg_buf *out)
{
	struct tg_arena a;
	const struct tg_json *doc = NULL;
	tg_err r;

	if (!b || !out)
		return TG_E_INVAL;
	tg_arena_init(&a, BUNDLE_ARENA_MAX);
	r = tg_jwks_to_json((const struct tg_key *const *)b->jwt.keys, b->jwt.count, &a, &doc);
	if (r == TG_OK)
		r = emit(out, doc);
	tg_arena_release(&a);
	return r;
}

/* ---- sets ---- */

void tg_bundle_set_release(struct tg_bundle_set *s)
{
	size_t i;
	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		tg_bundle_release(&s->b[i]);
	free(s->b);
	s->b = NULL;
	s->n = 0;
}

const struct tg_bundle *tg_bundle_set_find(const struct tg_bundle_set *s, const char *td)
{
	size_t i;
	if (!s || !td)
		return NULL;
	for (i = 0; i < s->n; i++)
		if (strcmp(s->b[i].td, td) == 0)
			return &s->b[i];
	return NULL;
}
