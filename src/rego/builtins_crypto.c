/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builtins_crypto.c - Rego's crypto.* hashes and HMACs and the io.jwt.*
 * built-ins (decode, verify_*, decode_verify, encode_sign*), with OPA v1's
 * results and errors. X.509 and key parsing live in builtins_x509.c.
 */

/*
 * Keys go through crypto.h (tg_key_*, tg_verify, tg_sign), so the rules
 * of tollgate's crypto layer apply: RSA keys of 2048..4096 bits, keys used
 * only with the algorithm family that fits them. OPA accepts smaller RSA
 * keys; tollgate reports them as unparsable (a documented deviation).
 * HMAC secrets are the exception: io.jwt.verify_hs* and JWK "oct" keys
 * are used as given, whatever their length, as OPA does.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "core/limits.h"
#include "crypto/crypto.h"
#include "rego/rego_bi.h"
#include "rego/rego_builtin.h"

#define UNUSED_NARGS (void)nargs

static const char hexd[] = "0123456789abcdef";

static tg_err hex_result(struct tg_rego_bctx *c, const uint8_t *p, size_t n,
			 const struct tg_json **out)
{
	char *s = tg_arena_alloc_bytes(c->a, 2 * n + 1);
	if (!s)
		return TG_E_TOOBIG;
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = hexd[p[i] >> 4];
		s[2 * i + 1] = hexd[p[i] & 15];
	}
	return tg_rego_bi_new_str(c, s, 2 * n, out);
}

/* ------------------------------------------------------------------ */
/* hashes and HMACs                                                    */
/* ------------------------------------------------------------------ */

static tg_err digest(struct tg_rego_bctx *c, const struct tg_json *const *args,
		     const struct tg_json **out, const char *md)
{
	const char *s;
	size_t n;
	uint8_t d[EVP_MAX_MD_SIZE];
	size_t dl = 0;
	tg_err r = tg_rego_bi_str(c, args[0], 1, &s, &n);
	if (r != TG_OK)
		return r;
	if ((r = tg_rego_bi_charge(c, n / 64 + 1)) != TG_OK)
		return r;
	if (!EVP_Q_digest(NULL, md, NULL, s, n, d, &dl))
		return tg_rego_bi_fail(c, "%s digest failed", md);
	return hex_result(c, d, dl, out);
}

static tg_err bi_md5(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		     const struct tg_json **out)
{
	UNUSED_NARGS;
	return digest(c, args, out, "MD5");
}

static tg_err bi_sha1(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		      const struct tg_json **out)
{
	UNUSED_NARGS;
	return digest(c, args, out, "SHA1");
}

static tg_err bi_sha256(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
			const struct tg_json **out)
{
	const char *s;
	size_t n;
	uint8_t d[32];
	tg_err r = tg_rego_bi_str(c, args[0], 1, &s, &n);
	UNUSED_NARGS;
	if (r != TG_OK)
		return r;
	if ((r = tg_rego_bi_charge(c, n / 64 + 1)) != TG_OK)
		return r;
	if (tg_hash(TG_SHA256, s, n, d) != TG_OK)
		return tg_rego_bi_fail(c, "sha256 digest failed");
	return hex_result(c, d, sizeof(d), out);
}

/* HMAC of msg under key; MD5 and SHA-1 through EVP_Q_mac (crypto.h has
 * only the SHA-2 family). */
static tg_err mac(const char *md, const char *key, size_t kn, const char *msg, size_t mn,
		  uint8_t *out, size_t *outlen)
{
	static const char empty[1] = {0};
	enum tg_hash_alg h = TG_HASH_NONE;
	if (strcmp(md, "SHA256") == 0)
		h = TG_SHA256;
	else if (strcmp(md, "SHA384") == 0)
		h = TG_SHA384;
	else if (strcmp(md, "SHA512") == 0)
		h = TG_SHA512;
	if (!key)
		key = empty;
	if (h != TG_HASH_NONE) {
		if (tg_hmac(h, key, kn, msg, mn, out) != TG_OK)
			return TG_E_CRYPTO;
		*outlen = tg_hash_len(h);
		return TG_OK;
	}
	if (!EVP_Q_mac(NULL, "HMAC", NULL, md, NULL, key, kn, (const unsigned char *)msg, mn, out,
		       EVP_MAX_MD_SIZE, outlen))
		return TG_E_CRYPTO;
	return TG_OK;
}

static tg_err hmac_bi(struct tg_rego_bctx *c, const struct tg_json *const *args,
		      const struct tg_json **out, const char *md)
{
	const char *m, *k;
	size_t mn, kn, dl = 0;
	uint8_t d[EVP_MAX_MD_SIZE];
	tg_err r;
	if ((r = tg_rego_bi_str(c, args[0], 1, &m, &mn)) != TG_OK ||
	    (r = tg_rego_bi_str(c, args[1], 2, &k, &kn)) != TG_OK)
		return r;
	if ((r = tg_rego_bi_charge(c, mn / 64 + 1)) != TG_OK)
		return r;
	if (mac(md, k, kn, m, mn, d, &dl) != TG_OK)
		return tg_rego_bi_fail(c, "HMAC failed");
	r = hex_result(c, d, dl, out);
	OPENSSL_cleanse(d, sizeof(d));
	return r;
}

static tg_err bi_hmac_md5(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
			  const struct tg_json **out)
{
	UNUSED_NARGS;
	return hmac_bi(c, args, out, "MD5");
}

static tg_err bi_hmac_sha1(struct tg_rego_bctx *c, const struct tg_json *const *args,
			   size_t nargs, const struct tg_json **out)
{
	UNUSED_NARGS;
	return hmac_bi(c, args, out, "SHA1");
}

static tg_err bi_hmac_sha256(struct tg_rego_bctx *c, const struct tg_json *const *args,
			     size_t nargs, const struct tg_json **out)
{
	UNUSED_NARGS;
	return hmac_bi(c, args, out, "SHA256");
}

static tg_err bi_hmac_sha512(struct tg_rego_bctx *c, const struct tg_json *const *args,
			     size_t nargs, const struct tg_json **out)
{
	UNUSED_NARGS;
	return hmac_bi(c, args, out, "SHA512");
}

static tg_err bi_hmac_equal(struct tg_rego_bctx *c, const struct tg_json *const *args,
			    size_t nargs, const struct tg_json **out)
{
	const char *a, *b;
	size_t an, bn;
	tg_err r;
	UNUSED_NARGS;
	if ((r = tg_rego_bi_str(c, args[0], 1, &a, &an)) != TG_OK ||
	    (r = tg_rego_bi_str(c, args[1], 2, &b, &bn)) != TG_OK)
		return r;
	*out = tg_json_bool(an == bn && CRYPTO_memcmp(a, b, an) == 0);
	return TG_OK;
}

/* ------------------------------------------------------------------ */
/* JWT: decoding                                                       */
/* ------------------------------------------------------------------ */

struct jwt {
	const char *h, *p, *s; /* the three base64url sections */
	size_t hn, pn, sn;
	const struct tg_json *header;
};

/* OPA's decodeJWT: three dot-separated sections. */
static tg_err jwt_split(struct tg_rego_bctx *c, const struct tg_json *v, struct jwt *t)
{
	const char *s, *d1, *d2;
	size_t n, parts = 1;
	tg_err r = tg_rego_bi_str(c, v, 1, &s, &n);
	if (r != TG_OK)
		return r;
	if (!memchr(s, '.', n))
		return tg_rego_bi_fail(c, "encoded JWT had no period separators");
	for (size_t i = 0; i < n; i++)
		if (s[i] == '.')
			parts++;
	if (parts != 3)
		return tg_rego_bi_fail(c, "encoded JWT must have 3 sections, found %zu", parts);
	d1 = memchr(s, '.', n);
	d2 = memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - s));
	memset(t, 0, sizeof(*t));
	t->h = s;
	t->hn = (size_t)(d1 - s);
	t->p = d1 + 1;
	t->pn = (size_t)(d2 - t->p);
	t->s = d2 + 1;
	t->sn = n - (size_t)(t->s - s);
	return TG_OK;
}

/* base64url (padding optional) with OPA's error texts, prefix "what". */
static tg_err b64url(struct tg_rego_bctx *c, const char *s, size_t n, struct tg_buf *out,
		     const char *what)
{
	char msg[200];
	tg_err r = tg_rego_go_b64url_lenient(s, n, out, msg, sizeof(msg));
	if (r == TG_E_ENCODING) {
		if (what)
			return tg_rego_bi_fail(c, "%s: %s", what, msg);
		return tg_rego_bi_fail(c, "%s", msg);
	}
	if (r != TG_OK)
		tg_diag_set(c->d, "JWT too large");
	return r;
}

/* OPA's extractJSONObject (Go's json: the last of repeated keys wins). */
static tg_err json_object(struct tg_rego_bctx *c, const struct tg_buf *b, const char *prefix,
			  const struct tg_json **out)
{
	struct tg_json_parse_opts o = {TG_JSON_DUP_LAST, 0, false};
	struct tg_diag d;
	const struct tg_json *v;
	tg_diag_init(&d);
	if (tg_json_parse(c->a, b->len ? (const char *)b->data : "", b->len, &o, &v, NULL, &d) !=
	    TG_OK)
		return tg_rego_bi_fail(c, "%sinvalid JSON: %s", prefix, d.msg);
	if (v->type != TG_JSON_OBJECT)
		return tg_rego_bi_fail(c, "%sdecoded JSON type was not an Object", prefix);
	*out = v;
	return TG_OK;
}

/* decodeHeader: base64url, JSON object, no "enc" (JWE). */
static tg_err jwt_header(struct tg_rego_bctx *c, struct jwt *t)
{
	struct tg_buf b = TG_BUF_INIT(TG_LIMIT_JWS);
	tg_err r = b64url(c, t->h, t->hn, &b, "JWT header had invalid encoding");
	if (r == TG_OK)
		r = json_object(c, &b, "bad JWT header: ", &t->header);
	tg_buf_release(&b);
	if (r == TG_OK && tg_json_get(t->header, "enc"))
		return tg_rego_bi_fail(c, "JWT is a JWE object, which is not supported");
	return r;
}

static tg_err bi_jwt_decode_depth(struct tg_rego_bctx *c, const struct tg_json *tok,
				  const struct tg_json **out, unsigned depth)
{
	struct jwt t;
	struct tg_buf pb = TG_BUF_INIT(TG_LIMIT_JWS), sb = TG_BUF_INIT(TG_LIMIT_JWS);
	const struct tg_json *cty, *payload = NULL, *items[3];
	tg_err r;
	if (depth > TG_LIMIT_JWT_NESTING)
		return tg_rego_bi_fail(c, "JWT nested too deeply");
	if ((r = jwt_split(c, tok, &t)) != TG_OK || (r = jwt_header(c, &t)) != TG_OK)
		return r;
	if ((r = b64url(c, t.p, t.pn, &pb, "JWT payload had invalid encoding")) != TG_OK)
		goto out;
	cty = tg_json_get(t.header, "cty");
	if (cty && tg_json_str_eq(cty, "JWT")) {
		/* a nested token, possibly quoted: trim quotes and recurse */
		const char *p = (const char *)pb.data;
		size_t n = pb.len;
		const struct tg_json *inner;
		while (n > 0 && (p[0] == '"' || p[0] == '\'')) {
			p++;
			n--;
		}
		while (n > 0 && (p[n - 1] == '"' || p[n - 1] == '\''))
			n--;
		if ((r = tg_json_new_string(c->a, p ? p : "", n, &inner)) != TG_OK) {
			r = tg_rego_bi_fail(c, "JWT payload had invalid encoding: invalid UTF-8");
			goto out;
		}
		r = bi_jwt_decode_depth(c, inner, out, depth + 1);
		goto out;
	}
	if ((r = json_object(c, &pb, "", &payload)) != TG_OK)
		goto out;
	if ((r = b64url(c, t.s, t.sn, &sb, "JWT signature had invalid encoding")) != TG_OK)
		goto out;
	items[0] = t.header;
	items[1] = payload;
	if ((r = hex_result(c, sb.data, sb.len, &items[2])) != TG_OK)
		goto out;
	r = tg_json_new_array(c->a, items, 3, out);
out:
	tg_buf_release(&pb);
	tg_buf_release(&sb);
	return r;
}

static tg_err bi_jwt_decode(struct tg_rego_bctx *c, const struct tg_json *const *args,
			    size_t nargs, const struct tg_json **out)
{
	UNUSED_NARGS;
	return bi_jwt_decode_depth(c, args[0], out, 0);
}

/* ------------------------------------------------------------------ */
/* JWT: keys                                                           */
/* ------------------------------------------------------------------ */

struct vkeys {
	struct tg_key *k[TG_LIMIT_JWKS_KEYS];
	const char *alg[TG_LIMIT_JWKS_KEYS]; /* the JWK's "alg", or NULL */
	size_t n;
};

static void vkeys_release(struct vkeys *v)
{
	for (size_t i = 0; i < v->n; i++)
		tg_key_free(v->k[i]);
	v->n = 0;
}

static bool known_alg(const char *s, size_t n)
{
	static const char *const algs[] = {"RS256", "RS384", "RS512", "PS256", "PS384",
					   "PS512", "ES256", "ES384", "ES512",
					   "HS256", "HS384", "HS512", "EdDSA", NULL};
	for (size_t i = 0; algs[i]; i++)
		if (strlen(algs[i]) == n && memcmp(algs[i], s, n) == 0)
			return true;
	return false;
}

static tg_err jwk_add(struct tg_rego_bctx *c, const struct tg_json *jwk, struct vkeys *out)
{
	struct tg_diag d;
	struct tg_key *k;
	const struct tg_json *alg;
	tg_diag_init(&d);
	if (jwk->type != TG_JSON_OBJECT)
		return tg_rego_bi_fail(c, "failed to parse a JWK key (set): invalid JWK");
	alg = tg_json_get(jwk, "alg");
	/* keys with an unknown algorithm are skipped */
	if (alg && alg->type == TG_JSON_STRING && !known_alg(alg->u.s.p, alg->u.s.len))
		return TG_OK;
	/* OPA verifies with a key whatever its "use" or "key_ops" say; the
	 * crypto layer would refuse an "enc" key, so those members go */
	if (tg_json_get(jwk, "use") || tg_json_get(jwk, "key_ops")) {
		struct tg_json_member *m = tg_arena_alloc_array(c->a, jwk->u.o.len + 1, sizeof(*m));
		size_t n = 0;
		if (!m)
			return TG_E_TOOBIG;
		for (size_t i = 0; i < jwk->u.o.len; i++) {
			const struct tg_json *name = jwk->u.o.items[i].key;
			if (tg_json_str_eq(name, "use") || tg_json_str_eq(name, "key_ops"))
				continue;
			m[n++] = jwk->u.o.items[i];
		}
		if (tg_json_new_object(c->a, m, n, TG_JSON_DUP_LAST, &jwk) != TG_OK)
			return TG_E_TOOBIG;
	}
	if (tg_key_from_jwk(jwk, TG_JWK_ALLOW_PRIVATE | TG_JWK_ALLOW_HMAC, &k, &d) != TG_OK)
		return tg_rego_bi_fail(c, "failed to parse a JWK key (set): %s", d.msg);
	if (out->n == TG_LIMIT_JWKS_KEYS) {
		tg_key_free(k);
		return tg_rego_bi_fail(c, "failed to parse a JWK key (set): too many keys");
	}
	out->alg[out->n] = alg && alg->type == TG_JSON_STRING ? alg->u.s.p : NULL;
	out->k[out->n++] = k;
	return TG_OK;
}

/* OPA's getKeysFromCertOrJWK: a PEM certificate or public key, or a JWK
 * or JWK Set. */
static tg_err keys_from_cert_or_jwk(struct tg_rego_bctx *c, const char *s, size_t n,
				    struct vkeys *out)
{
	char type[64];
	struct tg_buf der = TG_BUF_INIT(TG_LIMIT_DER);
	size_t rest;
	struct tg_diag d;
	tg_err r = TG_OK;
	out->n = 0;
	tg_diag_init(&d);
	if (tg_rego_go_pem_decode(s, n, type, sizeof(type), &der, &rest)) {
		if (rest < n)
			r = tg_rego_bi_fail(c, "extra data after a PEM certificate block");
		else if (strcmp(type, "CERTIFICATE") == 0) {
			struct tg_x509 *x;
			if (tg_x509_from_der(der.data, der.len, &x, &d) != TG_OK)
				r = tg_rego_bi_fail(c, "failed to parse a PEM certificate: %s", d.msg);
			else {
				if (tg_x509_public_key(x, &out->k[0]) != TG_OK)
					r = tg_rego_bi_fail(c, "failed to parse a PEM certificate: unsupported public key");
				else
					out->n = 1;
				tg_x509_free(x);
			}
		} else if (strcmp(type, "PUBLIC KEY") == 0) {
			if (tg_key_from_der(der.data, der.len, false, &out->k[0], &d) != TG_OK)
				r = tg_rego_bi_fail(c, "failed to parse a PEM public key: %s", d.msg);
			else
				out->n = 1;
		} else {
			r = tg_rego_bi_fail(c, "failed to extract a Key from the PEM certificate");
		}
		out->alg[0] = NULL;
		tg_buf_release(&der);
		return r;
	}
	tg_buf_release(&der);
	{
		const struct tg_json *v, *keys;
		if (tg_json_parse(c->a, s, n, NULL, &v, NULL, &d) != TG_OK)
			return tg_rego_bi_fail(c, "failed to parse a JWK key (set): %s", d.msg);
		keys = v->type == TG_JSON_OBJECT ? tg_json_get(v, "keys") : NULL;
		if (keys && keys->type == TG_JSON_ARRAY) {
			for (size_t i = 0; i < keys->u.a.len && r == TG_OK; i++)
				r = jwk_add(c, keys->u.a.items[i], out);
		} else {
			r = jwk_add(c, v, out);
		}
		if (r != TG_OK)
			vkeys_release(out);
	}
	return r;
}

static bool hs_alg(enum tg_sig_alg a)
{
	return a == TG_SIG_HS256 || a == TG_SIG_HS384 || a == TG_SIG_HS512;
}

static enum tg_hash_alg hs_hash(enum tg_sig_alg a)
{
	return a == TG_SIG_HS256 ? TG_SHA256 : a == TG_SIG_HS384 ? TG_SHA384 : TG_SHA512;
}

/* Verifies sig over msg with key under alg; HMAC keys as raw secrets. */
static bool verify_sig(const struct tg_key *k, enum tg_sig_alg alg, const void *msg, size_t n,
		       const uint8_t *sig, size_t sn)
{
	if (tg_key_type(k) == TG_KEY_HMAC)
		return false; /* JWK oct keys: see verify_secret */
	return tg_verify(k, alg, TG_SIG_FORMAT_RAW, msg, n, sig, sn) == TG_OK;
}

static bool verify_secret(enum tg_sig_alg alg, const char *key, size_t kn, const void *msg,
			  size_t n, const uint8_t *sig, size_t sn)
{
	uint8_t d[TG_HASH_MAX];
	enum tg_hash_alg h;
	bool ok;
	if (!hs_alg(alg))
		return false;
	h = hs_hash(alg);
	if (tg_hmac(h, key ? key : "", kn, msg, n, d) != TG_OK)
		return false;
	ok = sn == tg_hash_len(h) && CRYPTO_memcmp(d, sig, sn) == 0;
	OPENSSL_cleanse(d, sizeof(d));
	return ok;
}

/* The JOSE header fields OPA checks (tokenHeader). */
struct theader {
	const char *alg, *kid, *typ, *cty;
	size_t algn, kidn;
	bool valid;
};

/* parseTokenHeader + valid(): errors for malformed known fields. */
static tg_err parse_theader(struct tg_rego_bctx *c, const struct tg_json *h, struct theader *th)
{
	const struct tg_json *crit = NULL;
	memset(th, 0, sizeof(*th));
	for (size_t i = 0; i < h->u.o.len; i++) {
		const struct tg_json *k = h->u.o.items[i].key, *v = h->u.o.items[i].val;
		const char **slot = NULL;
		if (k->type != TG_JSON_STRING)
			continue;
		if (tg_json_str_eq(k, "alg"))
			slot = &th->alg;
		else if (tg_json_str_eq(k, "kid"))
			slot = &th->kid;
		else if (tg_json_str_eq(k, "typ"))
			slot = &th->typ;
		else if (tg_json_str_eq(k, "cty"))
			slot = &th->cty;
		else if (tg_json_str_eq(k, "crit")) {
			if (v->type != TG_JSON_ARRAY)
				return tg_rego_bi_fail(c, "crit: must be a list");
			crit = v;
			continue;
		} else
			continue;
		if (v->type != TG_JSON_STRING)
			return tg_rego_bi_fail(c, "%s: must be a string", k->u.s.p);
		*slot = v->u.s.p;
		if (slot == &th->alg)
			th->algn = v->u.s.len;
		if (slot == &th->kid)
			th->kidn = v->u.s.len;
	}
	th->valid = th->alg && th->algn > 0;
	if (crit) {
		size_t strs = 0;
		for (size_t i = 0; i < crit->u.a.len; i++) {
			const struct tg_json *e = crit->u.a.items[i];
			static const char *const known[] = {"alg", "kid", "typ", "cty", "crit", NULL};
			bool is_known = false;
			if (e->type != TG_JSON_STRING)
				continue;
			strs++;
			for (size_t j = 0; known[j]; j++)
				if (tg_json_str_eq(e, known[j]))
					is_known = true;
			/* a critical parameter we do not understand that is present */
			if (!is_known && tg_json_getn(h, e->u.s.p, e->u.s.len))
				th->valid = false;
		}
		if (strs == 0)
			return tg_rego_bi_fail(c, "crit: must be a nonempty list");
	}
	return TG_OK;
}

/* verify_rs256 and friends: the algorithm is the built-in's. */
static tg_err jwt_verify_fixed(struct tg_rego_bctx *c, const struct tg_json *const *args,
			       const struct tg_json **out, enum tg_sig_alg alg)
{
	struct jwt t;
	struct vkeys keys;
	struct tg_buf sig = TG_BUF_INIT(TG_LIMIT_JWS);
	struct theader th;
	const char *ks;
	size_t kn, msgn;
	bool ok = false;
	tg_err r;
	if ((r = jwt_split(c, args[0], &t)) != TG_OK)
		return r;
	if ((r = tg_rego_bi_str(c, args[1], 2, &ks, &kn)) != TG_OK)
		return r;
	if ((r = keys_from_cert_or_jwk(c, ks, kn, &keys)) != TG_OK)
		return r;
	if ((r = b64url(c, t.s, t.sn, &sig, NULL)) != TG_OK ||
	    (r = jwt_header(c, &t)) != TG_OK || (r = parse_theader(c, t.header, &th)) != TG_OK)
		goto out;
	msgn = t.hn + 1 + t.pn;
	if ((r = tg_rego_bi_charge(c, msgn / 64 + keys.n)) != TG_OK)
		goto out;
	/* a key whose kid matches the header's decides alone */
	if (th.kid) {
		for (size_t i = 0; i < keys.n; i++) {
			const char *kid = tg_key_kid(keys.k[i]);
			if (kid && strlen(kid) == th.kidn && memcmp(kid, th.kid, th.kidn) == 0) {
				ok = verify_sig(keys.k[i], alg, t.h, msgn, sig.data, sig.len);
				goto done;
			}
		}
	}
	for (size_t i = 0; i < keys.n && !ok; i++) {
		if (keys.alg[i] && (!th.alg || strlen(keys.alg[i]) != th.algn ||
				    memcmp(keys.alg[i], th.alg, th.algn) != 0))
			continue;
		ok = verify_sig(keys.k[i], alg, t.h, msgn, sig.data, sig.len);
	}
done:
	*out = tg_json_bool(ok);
out:
	vkeys_release(&keys);
	tg_buf_release(&sig);
	return r;
}

#define VERIFY_FN(fname, ALG)                                                                \
	static tg_err fname(struct tg_rego_bctx *c, const struct tg_json *const *args,       \
			    size_t nargs, const struct tg_json **out)                          \
	{                                                                                    \
		UNUSED_NARGS;                                                                \
		return jwt_verify_fixed(c, args, out, ALG);                                  \
	}

VERIFY_FN(bi_verify_rs256, TG_SIG_RS256)
VERIFY_FN(bi_verify_rs384, TG_SIG_RS384)
VERIFY_FN(bi_verify_rs512, TG_SIG_RS512)
VERIFY_FN(bi_verify_ps256, TG_SIG_PS256)
VERIFY_FN(bi_verify_ps384, TG_SIG_PS384)
VERIFY_FN(bi_verify_ps512, TG_SIG_PS512)
VERIFY_FN(bi_verify_es256, TG_SIG_ES256)
VERIFY_FN(bi_verify_es384, TG_SIG_ES384)
VERIFY_FN(bi_verify_es512, TG_SIG_ES512)
VERIFY_FN(bi_verify_eddsa, TG_SIG_EDDSA)

/* verify_hs*: an HMAC over the first two sections, no header checks */
static tg_err jwt_verify_hs(struct tg_rego_bctx *c, const struct tg_json *const *args,
			    const struct tg_json **out, enum tg_sig_alg alg)
{
	struct jwt t;
	const char *secret;
	size_t sn;
	struct tg_buf sig = TG_BUF_INIT(TG_LIMIT_JWS);
	tg_err r;
	if ((r = tg_rego_bi_str(c, args[0], 1, &secret, &sn)) != TG_OK ||
	    (r = tg_rego_bi_str(c, args[1], 2, &secret, &sn)) != TG_OK ||
	    (r = jwt_split(c, args[0], &t)) != TG_OK)
		return r;
	if ((r = b64url(c, t.s, t.sn, &sig, NULL)) != TG_OK)
		goto out;
	*out = tg_json_bool(verify_secret(alg, secret, sn, t.h, t.hn + 1 + t.pn, sig.data, sig.len));
out:
	tg_buf_release(&sig);
	return r;
}

static tg_err bi_verify_hs256(struct tg_rego_bctx *c, const struct tg_json *const *args,
			      size_t nargs, const struct tg_json **out)
{
	UNUSED_NARGS;
	return jwt_verify_hs(c, args, out, TG_SIG_HS256);
}

static tg_err bi_verify_hs384(struct tg_rego_bctx *c, const struct tg_json *const *args,
			      size_t nargs, const struct tg_json **out)
{
	UNUSED_NARGS;
	return jwt_verify_hs(c, args, out, TG_SIG_HS384);
}

static tg_err bi_verify_hs512(struct tg_rego_bctx *c, const struct tg_json *const *args,
			      size_t nargs, const struct tg_json **out)
{
	UNUSED_NARGS;
	return jwt_verify_hs(c, args, out, TG_SIG_HS512);
}

/* ------------------------------------------------------------------ */
/* io.jwt.decode_verify                                                */
/* ------------------------------------------------------------------ */

struct constraints {
	const char *secret, *alg, *iss, *aud;
	size_t secretn, algn, issn, audn;
	bool has_secret, has_iss, has_aud, has_alg;
	struct vkeys keys;
	bool has_keys;
	double time; /* ns */
};

static tg_err parse_constraints(struct tg_rego_bctx *c, const struct tg_json *o,
				struct constraints *k)
{
	bool has_time = false;
	tg_err r;
	memset(k, 0, sizeof(*k));
	for (size_t i = 0; i < o->u.o.len; i++) {
		const struct tg_json *key = o->u.o.items[i].key, *v = o->u.o.items[i].val;
		const char *name = key->type == TG_JSON_STRING ? key->u.s.p : "";
		if (strcmp(name, "cert") == 0) {
			if (v->type != TG_JSON_STRING)
				return tg_rego_bi_fail(c, "cert constraint: must be a string");
			if ((r = keys_from_cert_or_jwk(c, v->u.s.p, v->u.s.len, &k->keys)) != TG_OK)
				return r;
			k->has_keys = true;
		} else if (strcmp(name, "secret") == 0 || strcmp(name, "alg") == 0 ||
			   strcmp(name, "iss") == 0 || strcmp(name, "aud") == 0) {
			if (v->type != TG_JSON_STRING)
				return tg_rego_bi_fail(c, "%s constraint: must be a string", name);
			if (name[0] == 's') {
				k->secret = v->u.s.p;
				k->secretn = v->u.s.len;
				k->has_secret = v->u.s.len > 0;
			} else if (name[0] == 'a' && name[1] == 'l') {
				k->alg = v->u.s.p;
				k->algn = v->u.s.len;
				k->has_alg = v->u.s.len > 0;
			} else if (name[0] == 'i') {
				k->iss = v->u.s.p;
				k->issn = v->u.s.len;
				k->has_iss = v->u.s.len > 0;
			} else {
				k->aud = v->u.s.p;
				k->audn = v->u.s.len;
				k->has_aud = v->u.s.len > 0;
			}
		} else if (strcmp(name, "time") == 0) {
			if (v->type != TG_JSON_NUMBER)
				return tg_rego_bi_fail(c, "token time constraint: must be a number");
			if (tg_json_num_double(v, &k->time) != TG_OK)
				return tg_rego_bi_fail(c, "token time constraint: unvalid float64");
			if (k->time < 0)
				return tg_rego_bi_fail(c, "token time constraint: must not be negative");
			has_time = true;
		} else {
			return tg_rego_bi_fail(c, "unknown token validation constraint: %s", name);
		}
	}
	if (!has_time)
		k->time = (double)c->now_ns;
	if (k->has_keys && k->has_secret)
		return tg_rego_bi_fail(c, "duplicate key constraints");
	if (!k->has_keys && !k->has_secret)
		return tg_rego_bi_fail(c, "no key constraint");
	return TG_OK;
}

/* Compares the float-formatted seconds with a claim's number. */
static int cmp_time(double secs, const struct tg_json *claim)
{
	struct tg_buf b = TG_BUF_INIT(64);
	int r = 0;
	if (tg_rego_go_float(&b, secs) == TG_OK)
		r = tg_json_numlit_cmp((const char *)b.data, b.len, claim->u.s.p, claim->u.s.len);
	tg_buf_release(&b);
	return r;
}

static tg_err bi_jwt_decode_verify(struct tg_rego_bctx *c, const struct tg_json *const *args,
				   size_t nargs, const struct tg_json **out)
{
	struct constraints k;
	const struct tg_json *tok = args[0], *payload = NULL, *header = NULL, *claim;
	const struct tg_json *unverified[3] = {&tg_json_false_v, &tg_json_empty_object_v,
					       &tg_json_empty_object_v};
	bool verified = false;
	tg_err r;
	UNUSED_NARGS;
	if (args[1]->type != TG_JSON_OBJECT)
		return tg_rego_type_error(c, 2, "object", args[1]);
	if ((r = parse_constraints(c, args[1], &k)) != TG_OK) {
		vkeys_release(&k.keys);
		return r;
	}
	for (unsigned depth = 0;; depth++) {
		struct jwt t;
		struct theader th;
		struct tg_buf sig = TG_BUF_INIT(TG_LIMIT_JWS), pb = TG_BUF_INIT(TG_LIMIT_JWS);
		enum tg_sig_alg alg;
		bool ok = false;
		size_t msgn;
		if (depth > TG_LIMIT_JWT_NESTING) {
			r = tg_rego_bi_fail(c, "JWT nested too deeply");
			goto fail;
		}
		if ((r = jwt_split(c, tok, &t)) != TG_OK || (r = jwt_header(c, &t)) != TG_OK ||
		    (r = parse_theader(c, t.header, &th)) != TG_OK)
			goto fail;
		if (!th.valid)
			goto unverified;
		if (k.has_alg && (k.algn != th.algn || memcmp(k.alg, th.alg, th.algn) != 0))
			goto unverified;
		if ((r = b64url(c, t.s, t.sn, &sig, NULL)) != TG_OK) {
			tg_buf_release(&sig);
			goto fail;
		}
		msgn = t.hn + 1 + t.pn;
		if (tg_sig_alg_from_name(th.alg, th.algn, &alg) != TG_OK) {
			ok = false;
		} else if (k.has_keys) {
			bool decided = false;
			if (th.kid)
				for (size_t i = 0; i < k.keys.n && !decided; i++) {
					const char *kid = tg_key_kid(k.keys.k[i]);
					if (kid && strlen(kid) == th.kidn &&
					    memcmp(kid, th.kid, th.kidn) == 0) {
						ok = verify_sig(k.keys.k[i], alg, t.h, msgn, sig.data,
								sig.len);
						decided = true;
					}
				}
			for (size_t i = 0; i < k.keys.n && !decided && !ok; i++) {
				if (k.keys.alg[i] && (strlen(k.keys.alg[i]) != th.algn ||
						      memcmp(k.keys.alg[i], th.alg, th.algn) != 0))
					continue;
				ok = verify_sig(k.keys.k[i], alg, t.h, msgn, sig.data, sig.len);
			}
		} else {
			ok = verify_secret(alg, k.secret, k.secretn, t.h, msgn, sig.data, sig.len);
		}
		tg_buf_release(&sig);
		if (!ok)
			goto unverified;
		if ((r = b64url(c, t.p, t.pn, &pb, "JWT payload had invalid encoding")) != TG_OK) {
			tg_buf_release(&pb);
			goto fail;
		}
		if (th.cty && strlen(th.cty) == 3 && strncasecmp(th.cty, "JWT", 3) == 0) {
			r = tg_json_new_string(c->a, pb.len ? (const char *)pb.data : "", pb.len, &tok);
			tg_buf_release(&pb);
			if (r != TG_OK) {
				r = tg_rego_bi_fail(c, "JWT payload had invalid encoding: invalid UTF-8");
				goto fail;
			}
			continue;
		}
		r = json_object(c, &pb, "", &payload);
		tg_buf_release(&pb);
		if (r != TG_OK)
			goto fail;
		header = t.header;
		break;
	}
	/* registered claims */
	if (k.has_iss) {
		claim = tg_json_get(payload, "iss");
		if (!claim || claim->type != TG_JSON_STRING || claim->u.s.len != k.issn ||
		    memcmp(claim->u.s.p, k.iss, k.issn) != 0)
			goto unverified;
	}
	if ((claim = tg_json_get(payload, "aud")) != NULL) {
		bool m = false;
		if (claim->type == TG_JSON_STRING)
			m = claim->u.s.len == k.audn && memcmp(claim->u.s.p, k.aud ? k.aud : "", k.audn) == 0;
		else if (claim->type == TG_JSON_ARRAY)
			for (size_t i = 0; i < claim->u.a.len && !m; i++) {
				const struct tg_json *e = claim->u.a.items[i];
				m = e->type == TG_JSON_STRING && e->u.s.len == k.audn &&
				    memcmp(e->u.s.p, k.aud ? k.aud : "", k.audn) == 0;
			}
		if (!m)
			goto unverified;
	} else if (k.has_aud) {
		goto unverified;
	}
	if ((claim = tg_json_get(payload, "exp")) != NULL) {
		if (claim->type != TG_JSON_NUMBER) {
			r = tg_rego_bi_fail(c, "exp value must be a number");
			goto fail;
		}
		if (cmp_time(k.time / 1000000000, claim) >= 0)
			goto unverified;
	}
	if ((claim = tg_json_get(payload, "nbf")) != NULL) {
		if (claim->type != TG_JSON_NUMBER) {
			r = tg_rego_bi_fail(c, "nbf value must be a number");
			goto fail;
		}
		if (cmp_time(k.time / 1000000000, claim) < 0)
			goto unverified;
	}
	verified = true;
unverified:
	vkeys_release(&k.keys);
	if (verified) {
		const struct tg_json *items[3] = {&tg_json_true_v, header, payload};
		return tg_json_new_array(c->a, items, 3, out);
	}
	return tg_json_new_array(c->a, unverified, 3, out);
fail:
	vkeys_release(&k.keys);
	return r;
}

/* ------------------------------------------------------------------ */
/* io.jwt.encode_sign, io.jwt.encode_sign_raw                          */
/* ------------------------------------------------------------------ */

/* Go's json error text for text that does not parse. */
static tg_err go_json_error(struct tg_rego_bctx *c, const char *s, size_t n, const char *what)
{
	struct tg_json_parse_opts o = {TG_JSON_DUP_LAST, 0, false};
	const struct tg_json *v;
	struct tg_diag d;
	size_t i = 0;
	tg_diag_init(&d);
	if (n == 0)
		return tg_rego_bi_fail(c, "%sunexpected end of JSON input", what);
	if (tg_json_parse(c->a, s, n, &o, &v, NULL, &d) == TG_OK)
		return TG_OK;
	i = d.offset < n ? d.offset : n;
	if (i >= n)
		return tg_rego_bi_fail(c, "%sunexpected end of JSON input", what);
	if ((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f)
		return tg_rego_bi_fail(c, "%sinvalid character '%c' in JSON (%s)", what, s[i], d.msg);
	return tg_rego_bi_fail(c, "%sinvalid character in JSON (%s)", what, d.msg);
}

static tg_err encode_sign(struct tg_rego_bctx *c, const char *hs, size_t hn, const char *ps,
			  size_t pn, const char *ks, size_t kn, const struct tg_json **out)
{
	struct tg_json_parse_opts o = {TG_JSON_DUP_LAST, 0, false};
	const struct tg_json *kv, *jwk, *hv, *algv, *typ, *kty;
	struct tg_buf b = TG_BUF_INIT(TG_LIMIT_JWS * 2), sig = TG_BUF_INIT(1024);
	enum tg_sig_alg alg;
	struct tg_diag d;
	tg_err r;
	tg_diag_init(&d);
	/* the key: a JWK or the first key of a JWK Set */
	if (tg_json_parse(c->a, ks, kn, &o, &kv, NULL, &d) != TG_OK)
		return go_json_error(c, ks, kn, "");
	jwk = kv;
	if (kv->type == TG_JSON_OBJECT && tg_json_get(kv, "keys")) {
		const struct tg_json *keys = tg_json_get(kv, "keys");
		if (keys->type != TG_JSON_ARRAY || keys->u.a.len == 0)
			return tg_rego_bi_fail(c, "no keys found in JWK set");
		jwk = keys->u.a.items[0];
	}
	if (jwk->type != TG_JSON_OBJECT)
		return tg_rego_bi_fail(c, "failed to parse JWK: not an object");
	/* the header */
	if ((r = go_json_error(c, hs, hn, "")) != TG_OK)
		return r;
	if (tg_json_parse(c->a, hs, hn, &o, &hv, NULL, &d) != TG_OK)
		return tg_rego_bi_fail(c, "invalid header JSON");
	if (hv->type != TG_JSON_OBJECT)
		return tg_rego_bi_fail(c, "json: cannot unmarshal %s into Go value of type jws.StandardHeaders",
				       tg_json_type_name((enum tg_json_type)hv->type));
	algv = tg_json_get(hv, "alg");
	if (!algv || algv->type != TG_JSON_STRING || algv->u.s.len == 0 ||
	    tg_json_str_eq(algv, "none"))
		return tg_rego_bi_fail(c, "unsupported signature algorithm");
	if (!known_alg(algv->u.s.p, algv->u.s.len) ||
	    tg_sig_alg_from_name(algv->u.s.p, algv->u.s.len, &alg) != TG_OK)
		return tg_rego_bi_fail(c, "unknown signature algorithm");
	typ = tg_json_get(hv, "typ");
	if (!typ || (typ->type == TG_JSON_STRING && tg_json_str_eq(typ, "JWT")) ||
	    (typ->type == TG_JSON_STRING && typ->u.s.len == 0)) {
		const struct tg_json *pv;
		if (pn == 0 || tg_json_parse(c->a, ps, pn, &o, &pv, NULL, &d) != TG_OK)
			return tg_rego_bi_fail(c, "type is JWT but payload is not JSON");
	}
	/* the signing input */
	r = tg_rego_go_b64_encode(hs, hn, true, false, &b);
	if (r == TG_OK)
		r = tg_buf_addc(&b, '.');
	if (r == TG_OK)
		r = tg_rego_go_b64_encode(ps, pn, true, false, &b);
	if (r != TG_OK) {
		r = tg_rego_bi_fail(c, "JWT too large");
		goto out;
	}
	kty = tg_json_get(jwk, "kty");
	if (hs_alg(alg)) {
		/* an "oct" key, used whatever its length */
		const struct tg_json *kk = tg_json_get(jwk, "k");
		struct tg_buf secret = TG_BUF_INIT(TG_LIMIT_JWK);
		uint8_t mac[TG_HASH_MAX];
		char msg[160];
		if (!kty || !tg_json_str_eq(kty, "oct") || !kk || kk->type != TG_JSON_STRING) {
			r = tg_rego_bi_fail(c, "failed to sign payload: %s needs an \"oct\" key",
					    tg_sig_alg_name(alg));
			goto out;
		}
		if (tg_rego_go_b64url_lenient(kk->u.s.p, kk->u.s.len, &secret, msg, sizeof(msg)) !=
		    TG_OK) {
			tg_buf_release_wipe(&secret);
			r = tg_rego_bi_fail(c, "failed to parse JWK: %s", msg);
			goto out;
		}
		r = tg_hmac(hs_hash(alg), secret.len ? secret.data : (const uint8_t *)"", secret.len,
			    b.data, b.len, mac);
		tg_buf_release_wipe(&secret);
		if (r == TG_OK)
			r = tg_buf_add(&sig, mac, tg_hash_len(hs_hash(alg)));
		OPENSSL_cleanse(mac, sizeof(mac));
	} else {
		struct tg_key *key;
		if (tg_key_from_jwk(jwk, TG_JWK_ALLOW_PRIVATE, &key, &d) != TG_OK) {
			r = tg_rego_bi_fail(c, "failed to parse JWK: %s", d.msg);
			goto out;
		}
		if (!tg_key_is_private(key))
			r = tg_rego_bi_fail(c, "failed to sign payload: the JWK has no private key");
		else if (tg_key_check_alg(key, alg) != TG_OK)
			r = tg_rego_bi_fail(c, "failed to sign payload: key does not fit %s",
					    tg_sig_alg_name(alg));
		else if (tg_sign(key, alg, TG_SIG_FORMAT_RAW, b.data, b.len, &sig) != TG_OK)
			r = tg_rego_bi_fail(c, "failed to sign payload");
		tg_key_free(key);
	}
	if (r != TG_OK)
		goto out;
	r = tg_buf_addc(&b, '.');
	if (r == TG_OK)
		r = tg_rego_go_b64_encode(sig.data, sig.len, true, false, &b);
	if (r == TG_OK)
		r = tg_rego_bi_buf_str(c, &b, out);
out:
	tg_buf_release(&b);
	tg_buf_release(&sig);
	return r;
}

static tg_err bi_encode_sign_raw(struct tg_rego_bctx *c, const struct tg_json *const *args,
				 size_t nargs, const struct tg_json **out)
{
	const char *h, *p, *k;
	size_t hn, pn, kn;
	tg_err r;
	UNUSED_NARGS;
	if ((r = tg_rego_bi_str(c, args[2], 3, &k, &kn)) != TG_OK ||
	    (r = tg_rego_bi_str(c, args[0], 1, &h, &hn)) != TG_OK ||
	    (r = tg_rego_bi_str(c, args[1], 2, &p, &pn)) != TG_OK)
		return r;
	if ((r = tg_rego_bi_charge(c, (hn + pn) / 64 + 1)) != TG_OK)
		return r;
	return encode_sign(c, h, hn, p, pn, k, kn, out);
}

static tg_err bi_encode_sign(struct tg_rego_bctx *c, const struct tg_json *const *args,
			     size_t nargs, const struct tg_json **out)
{
	struct tg_buf h = TG_BUF_INIT(TG_LIMIT_JWS), p = TG_BUF_INIT(TG_LIMIT_JWS),
		      k = TG_BUF_INIT(TG_LIMIT_JWK);
	tg_err r;
	UNUSED_NARGS;
	if (tg_rego_go_json(&h, args[0]) != TG_OK)
		r = tg_rego_bi_fail(c, "failed to prepare JWT headers for marshalling");
	else if (tg_rego_go_json(&p, args[1]) != TG_OK)
		r = tg_rego_bi_fail(c, "failed to prepare JWT payload for marshalling");
	else if (tg_rego_go_json(&k, args[2]) != TG_OK)
		r = tg_rego_bi_fail(c, "failed to prepare JWT signature for marshalling");
	else
		r = encode_sign(c, (const char *)h.data, h.len, (const char *)p.data, p.len,
				(const char *)k.data, k.len, out);
	tg_buf_release(&h);
	tg_buf_release(&p);
	tg_buf_release_wipe(&k);
	return r;
}

/* ------------------------------------------------------------------ */

#define OBJ_SA "object[string: any]"
#define JWT_V "(string, string) => boolean"

const struct tg_rego_builtin tg_rego_builtins_crypto[] = {
	{"crypto.md5", NULL, 1, "(string) => string", bi_md5, 0},
	{"crypto.sha1", NULL, 1, "(string) => string", bi_sha1, 0},
	{"crypto.sha256", NULL, 1, "(string) => string", bi_sha256, 0},
	{"crypto.hmac.md5", NULL, 2, "(string, string) => string", bi_hmac_md5, 0},
	{"crypto.hmac.sha1", NULL, 2, "(string, string) => string", bi_hmac_sha1, 0},
	{"crypto.hmac.sha256", NULL, 2, "(string, string) => string", bi_hmac_sha256, 0},
	{"crypto.hmac.sha512", NULL, 2, "(string, string) => string", bi_hmac_sha512, 0},
	{"crypto.hmac.equal", NULL, 2, "(string, string) => boolean", bi_hmac_equal, 0},
	{"crypto.x509.parse_certificates", NULL, 1, "(string) => array[" OBJ_SA "]",
	 tg_rego_bi_x509_parse_certificates, 0},
	{"crypto.x509.parse_and_verify_certificates", NULL, 1,
	 "(string) => array<boolean, array[" OBJ_SA "]>", tg_rego_bi_x509_parse_and_verify, 0},
	{"crypto.x509.parse_and_verify_certificates_with_options", NULL, 2,
	 "(string, " OBJ_SA ") => array<boolean, array[" OBJ_SA "]>",
	 tg_rego_bi_x509_parse_and_verify_opts, 0},
	{"crypto.x509.parse_certificate_request", NULL, 1, "(string) => " OBJ_SA,
	 tg_rego_bi_x509_parse_csr, 0},
	{"crypto.x509.parse_keypair", NULL, 2, "(string, string) => " OBJ_SA,
	 tg_rego_bi_x509_parse_keypair, 0},
	{"crypto.x509.parse_rsa_private_key", NULL, 1, "(string) => " OBJ_SA,
	 tg_rego_bi_x509_parse_rsa_private_key, 0},
	{"crypto.parse_private_keys", NULL, 1, "(string) => array[" OBJ_SA "]",
	 tg_rego_bi_parse_private_keys, 0},
	{"io.jwt.decode", NULL, 1,
	 "(string) => array<object[any: any], object[any: any], string>", bi_jwt_decode, 0},
	{"io.jwt.verify_rs256", NULL, 2, JWT_V, bi_verify_rs256, 0},
	{"io.jwt.verify_rs384", NULL, 2, JWT_V, bi_verify_rs384, 0},
	{"io.jwt.verify_rs512", NULL, 2, JWT_V, bi_verify_rs512, 0},
	{"io.jwt.verify_ps256", NULL, 2, JWT_V, bi_verify_ps256, 0},
	{"io.jwt.verify_ps384", NULL, 2, JWT_V, bi_verify_ps384, 0},
	{"io.jwt.verify_ps512", NULL, 2, JWT_V, bi_verify_ps512, 0},
	{"io.jwt.verify_es256", NULL, 2, JWT_V, bi_verify_es256, 0},
	{"io.jwt.verify_es384", NULL, 2, JWT_V, bi_verify_es384, 0},
	{"io.jwt.verify_es512", NULL, 2, JWT_V, bi_verify_es512, 0},
	{"io.jwt.verify_eddsa", NULL, 2, JWT_V, bi_verify_eddsa, 0},
	{"io.jwt.verify_hs256", NULL, 2, JWT_V, bi_verify_hs256, 0},
	{"io.jwt.verify_hs384", NULL, 2, JWT_V, bi_verify_hs384, 0},
	{"io.jwt.verify_hs512", NULL, 2, JWT_V, bi_verify_hs512, 0},
	{"io.jwt.decode_verify", NULL, 2,
	 "(string, object[string: any]) => array<boolean, object[any: any], object[any: any]>",
	 bi_jwt_decode_verify, TG_RB_NONDET},
	{"io.jwt.encode_sign_raw", NULL, 3, "(string, string, string) => string",
	 bi_encode_sign_raw, TG_RB_NONDET},
	{"io.jwt.encode_sign", NULL, 3,
	 "(object[string: any], object[string: any], object[string: any]) => string",
	 bi_encode_sign, TG_RB_NONDET},
	{NULL, NULL, 0, NULL, NULL, 0},
};
