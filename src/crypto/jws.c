/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jws.c - JWS compact serialisation (RFC 7515) and JWT (RFC 7519): strict
 * splitting and base64url decoding, a duplicate-free header whose "alg" the
 * chosen key must allow, key choice by "kid" only, and the registered
 * claim checks of JWTs, each rejection with its reason in the diagnostic.
 */
#include "crypto/crypto.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/codec.h"
#include "core/limits.h"
#include "core/mem.h"
#include "crypto/crypto_internal.h"

/* Longest signature any supported algorithm produces (RSA-4096: 512 bytes). */
#define JWS_SIG_MAX 1024

/* Bytes of untrusted text quoted in one diagnostic. */
#define QUOTE_MAX 48

/* Bytes of the arena that builds a header when signing. */
#define SIGN_ARENA_MAX (64 * TG_KIB)

/* ------------------------------------------------------------------ */
/* Diagnostics                                                         */
/* ------------------------------------------------------------------ */

/* A printable, bounded copy of untrusted bytes for a message: printable
 * ASCII as is, everything else as \xHH, "..." when cut. */
struct quoted {
	char s[QUOTE_MAX + 8];
};

static const char *quote(struct quoted *q, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		size_t need = (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;
		if (o + need > QUOTE_MAX) {
			memcpy(q->s + o, "...", 3);
			o += 3;
			break;
		}
		if (need == 1) {
			q->s[o++] = (char)c;
		} else {
			q->s[o++] = '\\';
			q->s[o++] = 'x';
			q->s[o++] = hex[c >> 4];
			q->s[o++] = hex[c & 15];
		}
	}
	q->s[o] = '\0';
	return q->s;
}

static const char *quote_str(struct quoted *q, const struct tg_json *v)
{
	return quote(q, v->u.s.p, v->u.s.len);
}

/* Maps a JSON parser failure on token content to our codes: a limit stays
 * TG_E_TOOBIG, anything else about the text is TG_E_PARSE. */
static tg_err json_fail(tg_err r)
{
	return r == TG_E_TOOBIG ? TG_E_TOOBIG : TG_E_PARSE;
}

/* ------------------------------------------------------------------ */
/* Verifying a compact JWS                                             */
/* ------------------------------------------------------------------ */

/* Decodes one strict base64url part (RFC 7515 2: no padding, no white
 * space, no other characters) and appends it to out. */
static tg_err decode_part(const char *jws, size_t start, size_t len, const char *what,
			  struct tg_buf *out, struct tg_diag *d)
{
	struct tg_diag bd;
	tg_err r;

	tg_diag_init(&bd);
	r = tg_b64_decode(out, jws + start, len, TG_B64_URL, &bd);
	if (r == TG_E_TOOBIG) {
		tg_diag_set(d, "the %s part decodes to more than %zu bytes", what, out->max);
		return r;
	}
	if (r != TG_OK) {
		tg_diag_at(d, 0, 0, start + bd.offset, "the %s part is not strict base64url: %s",
			   what, bd.msg);
		return TG_E_PARSE;
	}
	return TG_OK;
}

static bool kid_matches(const struct tg_key *k, const struct tg_json *kid)
{
	const char *have = tg_key_kid(k);
	return have && strlen(have) == kid->u.s.len &&
	       memcmp(have, kid->u.s.p, kid->u.s.len) == 0;
}

/* Says why tg_key_check_alg refused alg for k. */
static void alg_refusal(struct tg_diag *d, const struct tg_key *k, enum tg_sig_alg alg)
{
	struct quoted q;
	const char *kid = tg_key_kid(k);
	char who[QUOTE_MAX + 16] = "";

	if (kid)
		snprintf(who, sizeof(who), " (kid '%s')", quote(&q, kid, strlen(kid)));
	if (k->flags & TG_KEYF_NO_SIG)
		tg_diag_set(d, "the %s key%s is not for signatures (its JWK \"use\" or \"key_ops\")",
			    tg_key_type_name(tg_key_type(k)), who);
	else if (k->pinned != TG_SIG_NONE && k->pinned != alg)
		tg_diag_set(d, "algorithm '%s' not allowed for an %s key%s pinned to '%s'",
			    tg_sig_alg_name(alg), tg_key_type_name(tg_key_type(k)), who,
			    tg_sig_alg_name(k->pinned));
	else if (tg_key_type(k) == TG_KEY_HMAC &&
		 (alg == TG_SIG_HS256 || alg == TG_SIG_HS384 || alg == TG_SIG_HS512) &&
		 tg_key_bits(k) < 8 * tg_hash_len(tg_sig_alg_hash(alg)))
		tg_diag_set(d, "the hmac key%s of %u bits is shorter than the %s hash", who,
			    tg_key_bits(k), tg_sig_alg_name(alg));
	else
		tg_diag_set(d, "algorithm '%s' not allowed for an %s key%s", tg_sig_alg_name(alg),
			    tg_key_type_name(tg_key_type(k)), who);
}

/*
 * Tries the candidate keys: those with the header's kid when it has one,
 * else all; a candidate must allow alg. *used gets the key that verified.
 */
static tg_err verify_with_keys(const struct tg_key *const *keys, size_t nkeys,
			       const struct tg_json *kid, enum tg_sig_alg alg, const char *input,
			       size_t inlen, const uint8_t *sig, size_t siglen,
			       const struct tg_key **used, struct tg_diag *d)
{
	const struct tg_key *refused = NULL, *last = NULL;
	size_t i, candidates = 0, tried = 0;
	struct quoted q;

	for (i = 0; i < nkeys; i++) {
		const struct tg_key *k = keys[i];
		if (!k || (kid && !kid_matches(k, kid)))
			continue;
		candidates++;
		if (tg_key_check_alg(k, alg) != TG_OK) {
			if (!refused)
				refused = k;
			continue;
		}
		tried++;
		last = k;
		if (tg_verify(k, alg, TG_SIG_FORMAT_RAW, input, inlen, sig, siglen) == TG_OK) {
			*used = k;
			return TG_OK;
		}
	}
	if (candidates == 0) {
		if (kid)
			tg_diag_set(d, "no key with kid '%s'", quote_str(&q, kid));
		else
			tg_diag_set(d, "no key to verify with");
		return TG_E_VERIFY;
	}
	if (tried == 0) {
		if (candidates == 1)
			alg_refusal(d, refused, alg);
		else
			tg_diag_set(d, "algorithm '%s' not allowed for any of the %zu candidate keys",
				    tg_sig_alg_name(alg), candidates);
		return TG_E_ALG;
	}
	if (tried == 1 && tg_key_kid(last))
		tg_diag_set(d, "%s signature does not verify with key '%s'", tg_sig_alg_name(alg),
			    quote(&q, tg_key_kid(last), strlen(tg_key_kid(last))));
	else if (tried == 1)
		tg_diag_set(d, "%s signature does not verify with the %s key", tg_sig_alg_name(alg),
			    tg_key_type_name(tg_key_type(last)));
	else
		tg_diag_set(d, "%s signature does not verify with any of %zu keys",
			    tg_sig_alg_name(alg), tried);
	return TG_E_VERIFY;
}

/* Reads and checks the protected header (RFC 7515 4.1): alg, crit, b64,
 * and the types of the members we look at. */
static tg_err check_header(const struct tg_json *h, enum tg_sig_alg *alg,
			   const struct tg_json **kid, struct tg_diag *d)
{
	static const char *const string_members[] = {"kid", "typ", "cty"};
	const struct tg_json *v;
	struct quoted q;
	size_t i;

	if (h->type != TG_JSON_OBJECT) {
		tg_diag_set(d, "the header is a JSON %s, not an object",
			    tg_json_type_name((enum tg_json_type)h->type));
		return TG_E_PARSE;
	}
	v = tg_json_get(h, "alg");
	if (!v) {
		tg_diag_set(d, "the header has no \"alg\"");
		return TG_E_PARSE;
	}
	if (v->type != TG_JSON_STRING) {
		tg_diag_set(d, "the header \"alg\" is a JSON %s, not a string",
			    tg_json_type_name((enum tg_json_type)v->type));
		return TG_E_PARSE;
	}
	if (tg_json_str_eq(v, "none")) {
		tg_diag_set(d, "algorithm 'none' is never accepted");
		return TG_E_ALG;
	}
	if (tg_sig_alg_from_name(v->u.s.p, v->u.s.len, alg) != TG_OK) {
		tg_diag_set(d, "unknown algorithm '%s'", quote_str(&q, v));
		return TG_E_ALG;
	}
	/* RFC 7515 4.1.11: we implement no extension, so any "crit" fails. */
	if (tg_json_get(h, "crit")) {
		tg_diag_set(d, "the header has \"crit\": no JWS extension is supported");
		return TG_E_UNSUPPORTED;
	}
	/* RFC 7797 3: "b64": false changes what is signed; we do not do that. */
	v = tg_json_get(h, "b64");
	if (v && v->type != TG_JSON_BOOL) {
		tg_diag_set(d, "the header \"b64\" is a JSON %s, not a boolean",
			    tg_json_type_name((enum tg_json_type)v->type));
		return TG_E_PARSE;
	}
	if (v && !v->u.b) {
		tg_diag_set(d, "the header has \"b64\": false (unencoded payloads are not supported)");
		return TG_E_UNSUPPORTED;
	}
	for (i = 0; i < TG_ARRAY_LEN(string_members); i++) {
		v = tg_json_get(h, string_members[i]);
		if (v && v->type != TG_JSON_STRING) {
			tg_diag_set(d, "the header \"%s\" is a JSON %s, not a string",
				    string_members[i], tg_json_type_name((enum tg_json_type)v->type));
			return TG_E_PARSE;
		}
	}
	*kid = tg_json_get(h, "kid");
	return TG_OK;
}

tg_err tg_jws_verify(const char *jws, size_t n, const struct tg_key *const *keys, size_t nkeys,
		     struct tg_arena *a, struct tg_jws *out, struct tg_diag *d)
{
	struct tg_buf hdr = TG_BUF_INIT(TG_LIMIT_JWS_HEADER);
	struct tg_buf pay = TG_BUF_INIT(TG_LIMIT_JWS);
	struct tg_buf sig = TG_BUF_INIT(JWS_SIG_MAX);
	struct tg_diag jd;
	const struct tg_json *h = NULL, *kid = NULL;
	const struct tg_key *used = NULL;
	enum tg_sig_alg alg = TG_SIG_NONE;
	size_t i, dots = 0, dot[2] = {0, 0};
	uint8_t *payload;
	tg_err r = TG_E_INTERNAL;

	if ((!jws && n) || !a || !out || (!keys && nkeys)) {
		tg_diag_set(d, "tg_jws_verify needs a token, keys, an arena and an output");
		return TG_E_INVAL;
	}
	if (n > TG_LIMIT_JWS) {
		tg_diag_set(d, "the token of %zu bytes is larger than %zu", n, (size_t)TG_LIMIT_JWS);
		return TG_E_TOOBIG;
	}
	/* RFC 7515 7.1: exactly three parts. */
	for (i = 0; i < n; i++) {
		if (jws[i] != '.')
			continue;
		if (dots < 2)
			dot[dots] = i;
		dots++;
	}
	if (dots != 2) {
		if (n > 0 && jws[0] == '{')
			tg_diag_set(d, "JWS JSON serialisation is not supported, only the compact form");
		else
			tg_diag_set(d, "a compact JWS has 3 parts separated by '.', this one has %zu",
				    dots + 1);
		return TG_E_PARSE;
	}
	if (dot[0] == 0) {
		tg_diag_at(d, 0, 0, 0, "the header part is empty");
		return TG_E_PARSE;
	}

	r = decode_part(jws, 0, dot[0], "header", &hdr, d);
	if (r != TG_OK)
		goto out;
	tg_diag_init(&jd);
	r = tg_json_parse(a, hdr.data, hdr.len, NULL, &h, NULL, &jd);
	if (r != TG_OK) {
		tg_diag_set(d, "the header is not a valid JSON object: %s at %u:%u", jd.msg, jd.line,
			    jd.col);
		r = json_fail(r);
		goto out;
	}
	r = check_header(h, &alg, &kid, d);
	if (r != TG_OK)
		goto out;

	r = decode_part(jws, dot[0] + 1, dot[1] - dot[0] - 1, "payload", &pay, d);
	if (r != TG_OK)
		goto out;
	r = decode_part(jws, dot[1] + 1, n - dot[1] - 1, "signature", &sig, d);
	if (r != TG_OK) {
		if (r == TG_E_TOOBIG) { /* no algorithm has such signatures */
			tg_diag_set(d, "the signature is longer than %d bytes", JWS_SIG_MAX);
			r = TG_E_VERIFY;
		}
		goto out;
	}
	if (sig.len == 0) {
		tg_diag_set(d, "the signature part is empty");
		r = TG_E_VERIFY;
		goto out;
	}

	/* RFC 7515 5.2 step 8: the signing input is the ASCII as received. */
	r = verify_with_keys(keys, nkeys, kid, alg, jws, dot[1], sig.data, sig.len, &used, d);
	if (r != TG_OK)
		goto out;

	payload = (uint8_t *)tg_arena_strndup(a, pay.len ? (const char *)pay.data : "", pay.len);
	if (!payload) {
		tg_diag_set(d, "no room for the payload");
		r = TG_E_TOOBIG;
		goto out;
	}
	out->header = h;
	out->payload = payload;
	out->payload_len = pay.len;
	out->alg = alg;
	out->key = used;
	r = TG_OK;
out:
	tg_buf_release(&hdr);
	tg_buf_release(&pay);
	tg_buf_release(&sig);
	return r;
}

/* ------------------------------------------------------------------ */
/* Signing                                                             */
/* ------------------------------------------------------------------ */

tg_err tg_jws_sign(const struct tg_key *k, enum tg_sig_alg alg, const char *typ,
		   const struct tg_json *extra, const void *payload, size_t n, struct tg_buf *out)
{
	struct tg_arena a;
	struct tg_buf hdr = TG_BUF_INIT(TG_LIMIT_JWS_HEADER);
	struct tg_buf tok = TG_BUF_INIT(TG_LIMIT_JWS);
	struct tg_buf sig = TG_BUF_INIT(JWS_SIG_MAX);
	struct tg_json_member *m = NULL;
	const struct tg_json *h = NULL;
	size_t nx = 0, nm = 0, i;
	tg_err r = TG_E_INTERNAL;

	if (!k || !out || (!payload && n))
		return TG_E_INVAL;
	if (extra && extra->type != TG_JSON_OBJECT)
		return TG_E_TYPE;
	tg_arena_init(&a, SIGN_ARENA_MAX);
	if (alg == TG_SIG_NONE)
		alg = tg_key_default_alg(k);
	r = tg_key_check_alg(k, alg);
	if (r != TG_OK)
		goto out;

	nx = extra ? extra->u.o.len : 0;
	m = tg_arena_alloc_array(&a, nx + 3, sizeof(*m));
	if (!m) {
		r = TG_E_TOOBIG;
		goto out;
	}
	for (i = 0; i < nx; i++) {
		const struct tg_json *key = extra->u.o.items[i].key;
		/* Never sign a header our own verifier refuses. */
		if (key->type != TG_JSON_STRING || tg_json_str_eq(key, "crit") ||
		    tg_json_str_eq(key, "b64")) {
			r = TG_E_INVAL;
			goto out;
		}
		m[nm++] = extra->u.o.items[i];
	}
	r = tg_json_new_string(&a, "alg", 3, &m[nm].key);
	if (r == TG_OK)
		r = tg_json_new_string(&a, tg_sig_alg_name(alg), strlen(tg_sig_alg_name(alg)),
				       &m[nm].val);
	if (r != TG_OK)
		goto out;
	nm++;
	if (tg_key_kid(k)) {
		r = tg_json_new_string(&a, "kid", 3, &m[nm].key);
		if (r == TG_OK)
			r = tg_json_new_string(&a, tg_key_kid(k), strlen(tg_key_kid(k)), &m[nm].val);
		if (r != TG_OK)
			goto out;
		nm++;
	}
	if (typ) {
		r = tg_json_new_string(&a, "typ", 3, &m[nm].key);
		if (r == TG_OK)
			r = tg_json_new_string(&a, typ, strlen(typ), &m[nm].val);
		if (r != TG_OK)
			goto out;
		nm++;
	}
	/* A member of extra named alg, kid or typ is TG_E_DUPKEY here. */
	r = tg_json_new_object(&a, m, nm, TG_JSON_DUP_REJECT, &h);
	if (r != TG_OK)
		goto out;
	r = tg_json_emit(&hdr, h, 0);
	if (r != TG_OK)
		goto out;

	r = tg_b64_encode(&tok, hdr.data, hdr.len, TG_B64_URL);
	if (r == TG_OK)
		r = tg_buf_addc(&tok, '.');
	if (r == TG_OK)
		r = tg_b64_encode(&tok, n ? payload : "", n, TG_B64_URL);
	if (r != TG_OK)
		goto out;
	r = tg_sign(k, alg, TG_SIG_FORMAT_RAW, tok.data, tok.len, &sig);
	if (r != TG_OK)
		goto out;
	r = tg_buf_addc(&tok, '.');
	if (r == TG_OK)
		r = tg_b64_encode(&tok, sig.data, sig.len, TG_B64_URL);
	if (r == TG_OK)
		r = tg_buf_add(out, tok.data, tok.len);
out:
	tg_buf_release(&hdr);
	tg_buf_release(&tok);
	tg_buf_release(&sig);
	tg_arena_release(&a);
	return r;
}

/* ------------------------------------------------------------------ */
/* JWT claims                                                          */
/* ------------------------------------------------------------------ */

/* The registered claims must have their RFC 7519 4.1 types wherever they
 * appear, checked or not: a malformed token is rejected, not repaired. */
static tg_err check_claim_types(const struct tg_json *c, struct tg_diag *d)
{
	static const char *const strings[] = {"iss", "sub", "jti"};
	static const char *const dates[] = {"exp", "nbf", "iat"};
	const struct tg_json *v;
	size_t i;

	for (i = 0; i < TG_ARRAY_LEN(strings); i++) {
		v = tg_json_get(c, strings[i]);
		if (v && v->type != TG_JSON_STRING) {
			tg_diag_set(d, "claim '%s' is a JSON %s, not a string", strings[i],
				    tg_json_type_name((enum tg_json_type)v->type));
			return TG_E_CLAIM;
		}
	}
	/* RFC 7519 2: a NumericDate is a JSON number (integer or not). */
	for (i = 0; i < TG_ARRAY_LEN(dates); i++) {
		v = tg_json_get(c, dates[i]);
		if (v && v->type != TG_JSON_NUMBER) {
			tg_diag_set(d, "claim '%s' is a JSON %s, not a number", dates[i],
				    tg_json_type_name((enum tg_json_type)v->type));
			return TG_E_CLAIM;
		}
	}
	/* RFC 7519 4.1.3: a string or an array of strings. */
	v = tg_json_get(c, "aud");
	if (v && v->type == TG_JSON_ARRAY) {
		for (i = 0; i < v->u.a.len; i++) {
			if (v->u.a.items[i]->type != TG_JSON_STRING) {
				tg_diag_set(d, "claim 'aud' has a JSON %s, not a string, at index %zu",
					    tg_json_type_name(
						    (enum tg_json_type)v->u.a.items[i]->type),
					    i);
				return TG_E_CLAIM;
			}
		}
	} else if (v && v->type != TG_JSON_STRING) {
		tg_diag_set(d, "claim 'aud' is a JSON %s, not a string or an array of strings",
			    tg_json_type_name((enum tg_json_type)v->type));
		return TG_E_CLAIM;
	}
	return TG_OK;
}

/* t + s seconds, saturating instead of overflowing. */
static struct tg_time time_add(struct tg_time t, int64_t s)
{
	int64_t sum;
	if (__builtin_add_overflow(t.sec, s, &sum))
		sum = s > 0 ? INT64_MAX : INT64_MIN;
	t.sec = sum;
	return t;
}

/*
 * Compares the time t with a NumericDate exactly, at any size and
 * precision, by writing t as a decimal literal: <0, 0, >0 as t is before,
 * at or after the date.
 */
static int time_cmp_num(struct tg_time t, const struct tg_json *num)
{
	char lit[48];
	int len;

	if (t.sec < 0 && t.nsec > 0) /* sec + nsec/1e9 = -((-sec-1) + (1e9-nsec)/1e9) */
		len = snprintf(lit, sizeof(lit), "-%" PRIu64 ".%09" PRId32,
			       (uint64_t)(-(t.sec + 1)), (int32_t)(1000000000 - t.nsec));
	else
		len = snprintf(lit, sizeof(lit), "%" PRId64 ".%09" PRId32, t.sec, t.nsec);
	return tg_json_numlit_cmp(lit, (size_t)len, num->u.s.p, num->u.s.len);
}

/* Writes a NumericDate for a message: RFC 3339 when it is a plain date,
 * else the literal itself. */
static const char *date_str(char dst[TG_TIME_STR_MAX], const struct tg_json *num)
{
	struct quoted q;
	struct tg_time t = {0, 0};
	double x;

	if (tg_json_num_double(num, &x) == TG_OK && x >= 0 && x < 253402300800.0) {
		t.sec = (int64_t)x;
		if (tg_time_format(t, dst, TG_TIME_STR_MAX) == TG_OK)
			return dst;
	}
	snprintf(dst, TG_TIME_STR_MAX, "%s", quote(&q, num->u.s.p, num->u.s.len > 36 ? 36 :
							       num->u.s.len));
	return dst;
}

static const char *now_str(char dst[TG_TIME_STR_MAX], struct tg_time now)
{
	if (tg_time_format(now, dst, TG_TIME_STR_MAX) != TG_OK)
		snprintf(dst, TG_TIME_STR_MAX, "%" PRId64 "s", now.sec);
	return dst;
}

/* RFC 7519 4.1.4, 4.1.5, 4.1.6 with the allowed skew. */
static tg_err check_dates(const struct tg_json *c, const struct tg_jwt_check *chk,
			  struct tg_diag *d)
{
	const struct tg_json *exp = tg_json_get(c, "exp"), *nbf = tg_json_get(c, "nbf"),
			     *iat = tg_json_get(c, "iat");
	char when[TG_TIME_STR_MAX], now[TG_TIME_STR_MAX];
	long long skew = (long long)chk->skew;

	if (!exp && !chk->allow_no_exp) {
		tg_diag_set(d, "the token has no 'exp' claim");
		return TG_E_CLAIM;
	}
	/* valid while now < exp + skew */
	if (exp && time_cmp_num(time_add(chk->now, -chk->skew), exp) >= 0) {
		tg_diag_set(d, "token expired at %s (now %s, skew %llds)", date_str(when, exp),
			    now_str(now, chk->now), skew);
		return TG_E_EXPIRED;
	}
	/* valid from nbf - skew on */
	if (nbf && time_cmp_num(time_add(chk->now, chk->skew), nbf) < 0) {
		tg_diag_set(d, "token not valid before %s (now %s, skew %llds)",
			    date_str(when, nbf), now_str(now, chk->now), skew);
		return TG_E_NOTYET;
	}
	if (!iat && (chk->require_iat || chk->max_age > 0)) {
		tg_diag_set(d, "the token has no 'iat' claim");
		return TG_E_CLAIM;
	}
	if (iat && time_cmp_num(time_add(chk->now, chk->skew), iat) < 0) {
		tg_diag_set(d, "token issued in the future at %s (now %s, skew %llds)",
			    date_str(when, iat), now_str(now, chk->now), skew);
		return TG_E_CLAIM;
	}
	/* no older than max_age: iat >= now - skew - max_age */
	if (iat && chk->max_age > 0 &&
	    time_cmp_num(time_add(time_add(chk->now, -chk->skew), -chk->max_age), iat) > 0) {
		tg_diag_set(d, "token issued at %s is older than %" PRId64 "s (now %s, skew %llds)",
			    date_str(when, iat), chk->max_age, now_str(now, chk->now), skew);
		return TG_E_CLAIM;
	}
	return TG_OK;
}

/* RFC 7519 4.1.3: want must be the aud string or one of the aud array. */
static tg_err check_aud(const struct tg_json *c, const char *want, struct tg_diag *d)
{
	const struct tg_json *aud = tg_json_get(c, "aud");
	char list[160];
	size_t i, o = 0;
	struct quoted q, w;

	if (!aud) {
		tg_diag_set(d, "the token has no 'aud' claim (want '%s')",
			    quote(&w, want, strlen(want)));
		return TG_E_CLAIM;
	}
	if (aud->type == TG_JSON_STRING) {
		if (tg_json_str_eq(aud, want))
			return TG_OK;
		tg_diag_set(d, "audience '%s' is not the token audience '%s'",
			    quote(&w, want, strlen(want)), quote_str(&q, aud));
		return TG_E_CLAIM;
	}
	for (i = 0; i < aud->u.a.len; i++)
		if (tg_json_str_eq(aud->u.a.items[i], want))
			return TG_OK;
	list[0] = '\0';
	for (i = 0; i < aud->u.a.len; i++) {
		int k = snprintf(list + o, sizeof(list) - o, "%s'%s'", i ? ", " : "",
				 quote_str(&q, aud->u.a.items[i]));
		if (k < 0 || (size_t)k >= sizeof(list) - o - 4) {
			snprintf(list + o, sizeof(list) - o, "%s...", i ? ", " : "");
			break;
		}
		o += (size_t)k;
	}
	tg_diag_set(d, "audience '%s' not in token audience [%s]", quote(&w, want, strlen(want)),
		    list);
	return TG_E_CLAIM;
}

/* The media type of a "typ" with the "application/" prefix taken off
 * when what remains has no '/' (RFC 7515 4.1.9). */
static void typ_core(const char *s, size_t n, const char **p, size_t *len)
{
	static const char app[] = "application/";
	const size_t al = sizeof(app) - 1;
	if (n > al && strncasecmp(s, app, al) == 0 && !memchr(s + al, '/', n - al)) {
		s += al;
		n -= al;
	}
	*p = s;
	*len = n;
}

static tg_err check_typ(const struct tg_json *h, const char *want, struct tg_diag *d)
{
	const struct tg_json *typ = tg_json_get(h, "typ");
	const char *a, *b;
	size_t an, bn;
	struct quoted q, w;

	if (!typ) {
		tg_diag_set(d, "the token has no 'typ' header (want '%s')",
			    quote(&w, want, strlen(want)));
		return TG_E_CLAIM;
	}
	typ_core(typ->u.s.p, typ->u.s.len, &a, &an);
	typ_core(want, strlen(want), &b, &bn);
	if (an == bn && !memchr(a, '\0', an) && strncasecmp(a, b, an) == 0)
		return TG_OK;
	tg_diag_set(d, "token type '%s' is not '%s'", quote_str(&q, typ),
		    quote(&w, want, strlen(want)));
	return TG_E_CLAIM;
}

tg_err tg_jwt_verify(const char *jwt, size_t n, const struct tg_key *const *keys, size_t nkeys,
		     const struct tg_jwt_check *chk, struct tg_arena *a,
		     const struct tg_json **claims, struct tg_jws *jws, struct tg_diag *d)
{
	struct tg_jws j;
	struct tg_diag jd;
	const struct tg_json *c = NULL, *iss;
	struct quoted q, w;
	tg_err r;

	if (!chk || !a || !claims) {
		tg_diag_set(d, "tg_jwt_verify needs a claim check, an arena and a claims pointer");
		return TG_E_INVAL;
	}
	if (chk->skew < 0 || chk->skew > TG_LIMIT_JWT_SKEW_MAX) {
		tg_diag_set(d, "clock skew of %" PRId64 "s is outside 0..%d", chk->skew,
			    TG_LIMIT_JWT_SKEW_MAX);
		return TG_E_INVAL;
	}
	if (chk->max_age < 0 || chk->now.nsec < 0 || chk->now.nsec > 999999999) {
		tg_diag_set(d, "the claim check has a negative max_age or an invalid time");
		return TG_E_INVAL;
	}

	r = tg_jws_verify(jwt, n, keys, nkeys, a, &j, d);
	if (r != TG_OK)
		return r;
	if (chk->typ) {
		r = check_typ(j.header, chk->typ, d);
		if (r != TG_OK)
			return r;
	}
	/* RFC 7519 7.2 step 10: the claims are a JSON object. */
	tg_diag_init(&jd);
	r = tg_json_parse(a, j.payload, j.payload_len, NULL, &c, NULL, &jd);
	if (r != TG_OK) {
		tg_diag_set(d, "the claims are not a valid JSON object: %s at %u:%u", jd.msg,
			    jd.line, jd.col);
		return json_fail(r);
	}
	if (c->type != TG_JSON_OBJECT) {
		tg_diag_set(d, "the claims are a JSON %s, not an object",
			    tg_json_type_name((enum tg_json_type)c->type));
		return TG_E_CLAIM;
	}
	r = check_claim_types(c, d);
	if (r != TG_OK)
		return r;
	r = check_dates(c, chk, d);
	if (r != TG_OK)
		return r;
	if (chk->iss) {
		iss = tg_json_get(c, "iss");
		if (!iss) {
			tg_diag_set(d, "the token has no 'iss' claim (want '%s')",
				    quote(&w, chk->iss, strlen(chk->iss)));
			return TG_E_CLAIM;
		}
		if (!tg_json_str_eq(iss, chk->iss)) {
			tg_diag_set(d, "issuer '%s' is not '%s'", quote_str(&q, iss),
				    quote(&w, chk->iss, strlen(chk->iss)));
			return TG_E_CLAIM;
		}
	}
	if (chk->aud) {
		r = check_aud(c, chk->aud, d);
		if (r != TG_OK)
			return r;
	}
	*claims = c;
	if (jws)
		*jws = j;
	return TG_OK;
}

tg_err tg_jwt_sign(const struct tg_key *k, enum tg_sig_alg alg, const struct tg_json *claims,
		   struct tg_buf *out)
{
	struct tg_buf body = TG_BUF_INIT(TG_LIMIT_JWS);
	tg_err r;

	if (!claims || claims->type != TG_JSON_OBJECT)
		return TG_E_TYPE;
	r = check_claim_types(claims, NULL);
	if (r != TG_OK)
		return r;
	r = tg_json_emit(&body, claims, 0);
	if (r == TG_OK)
		r = tg_jws_sign(k, alg, "JWT", NULL, body.data, body.len, out);
	tg_buf_release(&body);
	return r;
}
