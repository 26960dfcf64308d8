/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builtins_x509.c - crypto.x509.* and crypto.parse_private_keys: X.509
 * certificates, CSRs and private keys as the objects OPA returns, which
 * are Go's encoding/json view of crypto/x509 and crypto structs.
 */

/*
 * Certificates are checked by OpenSSL's parser first and then walked with
 * a small bounds-checked DER reader to expose what Go exposes: the raw
 * DER slices (Raw, RawTBSCertificate, ...), names as pkix.Name (with every
 * attribute in Names), extensions decoded the way crypto/x509 decodes them.
 * Go-specific fields tollgate does not decode (name constraints, DSA keys)
 * are null. Big integers (serials, RSA moduli) are exact decimal numbers.
 */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "core/limits.h"
#include "core/mem.h"
#include "crypto/crypto.h"
#include "rego/rego_bi.h"
#include "rego/rego_builtin.h"

#define UNUSED_NARGS (void)nargs

/* ------------------------------------------------------------------ */
/* DER reading                                                         */
/* ------------------------------------------------------------------ */

struct der {
	const uint8_t *p;
	size_t n;
};

/* Reads one element: tag byte, contents in *val, the whole element in
 * *all (may be NULL). False when malformed (multi-byte tags, indefinite
 * or overlong lengths). */
static bool der_next(struct der *d, uint8_t *tag, struct der *val, struct der *all)
{
	size_t len, hl = 2;
	if (d->n < 2)
		return false;
	*tag = d->p[0];
	if ((*tag & 0x1F) == 0x1F)
		return false;
	len = d->p[1];
	if (len & 0x80) {
		size_t k = len & 0x7F;
		if (k == 0 || k > 4 || d->n < 2 + k)
			return false;
		len = 0;
		for (size_t i = 0; i < k; i++)
			len = (len << 8) | d->p[2 + i];
		hl += k;
	}
	if (len > d->n - hl)
		return false;
	if (val) {
		val->p = d->p + hl;
		val->n = len;
	}
	if (all) {
		all->p = d->p;
		all->n = hl + len;
	}
	d->p += hl + len;
	d->n -= hl + len;
	return true;
}

static bool der_expect(struct der *d, uint8_t want, struct der *val, struct der *all)
{
	uint8_t tag;
	struct der save = *d;
	if (!der_next(d, &tag, val, all) || tag != want) {
		*d = save;
		return false;
	}
	return true;
}

static uint8_t der_peek(const struct der *d)
{
	return d->n ? d->p[0] : 0;
}

/* ------------------------------------------------------------------ */
/* JSON building                                                       */
/* ------------------------------------------------------------------ */

struct obj {
	struct tg_json_member m[48];
	size_t n;
	struct tg_arena *a;
	tg_err err;
};

static void obj_init(struct obj *o, struct tg_arena *a)
{
	o->n = 0;
	o->a = a;
	o->err = TG_OK;
}

static void obj_put(struct obj *o, const char *name, const struct tg_json *v)
{
	const struct tg_json *k;
	if (o->err != TG_OK)
		return;
	if (!v) {
		o->err = TG_E_TOOBIG;
		return;
	}
	if (o->n == sizeof(o->m) / sizeof(o->m[0])) {
		o->err = TG_E_INTERNAL;
		return;
	}
	if ((o->err = tg_json_new_string(o->a, name, strlen(name), &k)) != TG_OK)
		return;
	o->m[o->n].key = k;
	o->m[o->n].val = v;
	o->n++;
}

static tg_err obj_done(struct obj *o, const struct tg_json **out)
{
	if (o->err != TG_OK)
		return o->err;
	return tg_json_new_object(o->a, o->m, o->n, TG_JSON_DUP_LAST, out);
}

static const struct tg_json *j_str(struct tg_arena *a, const char *s, size_t n)
{
	const struct tg_json *v;
	return tg_json_new_string(a, s, n, &v) == TG_OK ? v : NULL;
}

static const struct tg_json *j_int(struct tg_arena *a, int64_t x)
{
	const struct tg_json *v;
	return tg_json_new_int(a, x, &v) == TG_OK ? v : NULL;
}

static const struct tg_json *j_b64(struct tg_arena *a, const uint8_t *p, size_t n)
{
	struct tg_buf b = TG_BUF_INIT(4 * TG_LIMIT_DER);
	const struct tg_json *v = NULL;
	if (tg_rego_go_b64_encode(p, n, false, true, &b) == TG_OK)
		v = j_str(a, b.len ? (const char *)b.data : "", b.len);
	tg_buf_release(&b);
	return v;
}

/* A big-endian unsigned integer as an exact decimal number. */
static const struct tg_json *j_bigu(struct tg_arena *a, const uint8_t *p, size_t n, bool neg)
{
	BIGNUM *bn = BN_bin2bn(p, (int)n, NULL);
	char *dec;
	const struct tg_json *v = NULL;
	if (!bn)
		return NULL;
	BN_set_negative(bn, neg);
	dec = BN_bn2dec(bn);
	if (dec && tg_json_new_number(a, dec, strlen(dec), &v) != TG_OK)
		v = NULL;
	OPENSSL_free(dec);
	BN_free(bn);
	return v;
}

/* A DER INTEGER (two's complement) as an exact decimal number. */
static const struct tg_json *j_derint(struct tg_arena *a, const uint8_t *p, size_t n)
{
	if (n > 0 && (p[0] & 0x80)) {
		/* negative: magnitude of the two's complement */
		uint8_t *m = tg_arena_alloc_bytes(a, n);
		bool borrow = true;
		if (!m)
			return NULL;
		for (size_t i = n; i-- > 0;) {
			uint8_t b = (uint8_t)~p[i];
			if (borrow) {
				b++;
				borrow = b == 0;
			}
			m[i] = b;
		}
		return j_bigu(a, m, n, true);
	}
	return j_bigu(a, p, n, false);
}

static const struct tg_json *j_bn(struct tg_arena *a, const BIGNUM *bn)
{
	char *dec = BN_bn2dec(bn);
	const struct tg_json *v = NULL;
	if (dec && tg_json_new_number(a, dec, strlen(dec), &v) != TG_OK)
		v = NULL;
	OPENSSL_free(dec);
	return v;
}

static const struct tg_json *j_arr(struct tg_arena *a, const struct tg_json *const *items,
				   size_t n)
{
	const struct tg_json *v;
	return tg_json_new_array(a, items, n, &v) == TG_OK ? v : NULL;
}

/* an OID's arcs, or false when malformed */
static bool oid_arcs(const uint8_t *p, size_t n, uint64_t *arcs, size_t *narcs, size_t max)
{
	uint64_t v = 0;
	size_t k = 0;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (v > (UINT64_MAX >> 7))
			return false;
		v = (v << 7) | (p[i] & 0x7F);
		if (!(p[i] & 0x80)) {
			if (k == 0) {
				if (k + 2 > max)
					return false;
				arcs[0] = v < 40 ? 0 : v < 80 ? 1 : 2;
				arcs[1] = v - arcs[0] * 40;
				k = 2;
			} else {
				if (k + 1 > max)
					return false;
				arcs[k++] = v;
			}
			v = 0;
		} else if (i + 1 == n) {
			return false;
		}
	}
	*narcs = k;
	return true;
}

static const struct tg_json *j_oid(struct tg_arena *a, const uint8_t *p, size_t n)
{
	uint64_t arcs[64];
	const struct tg_json *items[64];
	size_t k;
	if (!oid_arcs(p, n, arcs, &k, 64))
		return NULL;
	for (size_t i = 0; i < k; i++)
		if (!(items[i] = j_int(a, (int64_t)arcs[i])))
			return NULL;
	return j_arr(a, items, k);
}

static bool oid_is(const struct der *o, const char *dotted)
{
	uint64_t arcs[32];
	size_t k;
	char t[128];
	size_t off = 0;
	if (!oid_arcs(o->p, o->n, arcs, &k, 32))
		return false;
	for (size_t i = 0; i < k && off < sizeof(t); i++)
		off += (size_t)snprintf(t + off, sizeof(t) - off, i ? ".%llu" : "%llu",
					(unsigned long long)arcs[i]);
	return off < sizeof(t) && strcmp(t, dotted) == 0;
}

static const struct tg_json *j_oid_dotted(struct tg_arena *a, const uint8_t *p, size_t n)
{
	uint64_t arcs[64];
	size_t k, off = 0;
	char t[1024];
	if (!oid_arcs(p, n, arcs, &k, 64))
		return NULL;
	for (size_t i = 0; i < k && off < sizeof(t); i++)
		off += (size_t)snprintf(t + off, sizeof(t) - off, i ? ".%llu" : "%llu",
					(unsigned long long)arcs[i]);
	if (off >= sizeof(t))
		return NULL;
	return j_str(a, t, off);
}

/* a growing array */
struct arr {
	struct tg_rego_bi_list l;
	bool used;
};

static void arr_add(struct arr *x, const struct tg_json *v, tg_err *err)
{
	if (*err != TG_OK)
		return;
	if (!v) {
		*err = TG_E_TOOBIG;
		return;
	}
	x->used = true;
	*err = tg_rego_bi_list_add(&x->l, v);
}

/* the array, or null when nothing was added (Go's nil slice) */
static const struct tg_json *arr_json(struct arr *x)
{
	const struct tg_json *v;
	if (!x->used)
		return &tg_json_null_v;
	return tg_rego_bi_list_array(&x->l, &v) == TG_OK ? v : NULL;
}

/* ------------------------------------------------------------------ */
/* names, strings, times                                               */
/* ------------------------------------------------------------------ */

/* An ASN.1 string value as UTF-8 (Go's parseASN1String). */
static const struct tg_json *asn1_string(struct tg_arena *a, uint8_t tag, const struct der *v)
{
	switch (tag) {
	case 0x0C: /* UTF8String */
	case 0x13: /* PrintableString */
	case 0x16: /* IA5String */
	case 0x12: /* NumericString */
		return j_str(a, (const char *)v->p, v->n);
	case 0x14: { /* T61String: bytes as Latin-1 */
		struct tg_buf b = TG_BUF_INIT(4 * v->n + 4);
		const struct tg_json *r = NULL;
		bool ok = true;
		for (size_t i = 0; i < v->n && ok; i++)
			ok = tg_rego_bi_put_rune(&b, v->p[i]) == TG_OK;
		if (ok)
			r = j_str(a, b.len ? (const char *)b.data : "", b.len);
		tg_buf_release(&b);
		return r;
	}
	case 0x1E: { /* BMPString: UTF-16BE */
		struct tg_buf b = TG_BUF_INIT(4 * v->n + 4);
		const struct tg_json *r = NULL;
		bool ok = v->n % 2 == 0;
		for (size_t i = 0; i + 1 < v->n && ok; i += 2) {
			uint32_t u = (uint32_t)v->p[i] << 8 | v->p[i + 1];
			if (u >= 0xD800 && u <= 0xDBFF && i + 3 < v->n) {
				uint32_t lo = (uint32_t)v->p[i + 2] << 8 | v->p[i + 3];
				if (lo >= 0xDC00 && lo <= 0xDFFF) {
					u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
					i += 2;
				}
			}
			ok = tg_rego_bi_put_rune(&b, u) == TG_OK;
		}
		if (ok)
			r = j_str(a, b.len ? (const char *)b.data : "", b.len);
		tg_buf_release(&b);
		return r;
	}
	default:
		return NULL;
	}
}

/* pkix.Name from an RDNSequence. */
static tg_err name_json(struct tg_arena *a, const struct der *name, const struct tg_json **out)
{
	struct der rdns = *name;
	struct arr names, country, org, ou, loc, prov, street, postal;
	const struct tg_json *cn = NULL, *serial = NULL;
	struct obj o;
	tg_err err = TG_OK;
	struct arr *all[] = {&names, &country, &org, &ou, &loc, &prov, &street, &postal};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		tg_rego_bi_list_init(&all[i]->l, a);
		all[i]->used = false;
	}
	while (rdns.n > 0 && err == TG_OK) {
		struct der set, atv;
		if (!der_expect(&rdns, 0x31, &set, NULL))
			return TG_E_PARSE;
		while (set.n > 0 && err == TG_OK) {
			struct der seq, oid;
			uint8_t vt;
			struct der val;
			const struct tg_json *sv;
			struct obj e;
			if (!der_expect(&set, 0x30, &seq, NULL) || !der_expect(&seq, 0x06, &oid, NULL) ||
			    !der_next(&seq, &vt, &val, &atv))
				return TG_E_PARSE;
			sv = asn1_string(a, vt, &val);
			if (!sv)
				return TG_E_PARSE;
			obj_init(&e, a);
			obj_put(&e, "Type", j_oid(a, oid.p, oid.n));
			obj_put(&e, "Value", sv);
			{
				const struct tg_json *ev;
				if ((err = obj_done(&e, &ev)) != TG_OK)
					return err;
				arr_add(&names, ev, &err);
			}
			if (oid_is(&oid, "2.5.4.6"))
				arr_add(&country, sv, &err);
			else if (oid_is(&oid, "2.5.4.10"))
				arr_add(&org, sv, &err);
			else if (oid_is(&oid, "2.5.4.11"))
				arr_add(&ou, sv, &err);
			else if (oid_is(&oid, "2.5.4.3"))
				cn = sv;
			else if (oid_is(&oid, "2.5.4.5"))
				serial = sv;
			else if (oid_is(&oid, "2.5.4.7"))
				arr_add(&loc, sv, &err);
			else if (oid_is(&oid, "2.5.4.8"))
				arr_add(&prov, sv, &err);
			else if (oid_is(&oid, "2.5.4.9"))
				arr_add(&street, sv, &err);
			else if (oid_is(&oid, "2.5.4.17"))
				arr_add(&postal, sv, &err);
		}
	}
	if (err != TG_OK)
		return err;
	obj_init(&o, a);
	obj_put(&o, "Country", arr_json(&country));
	obj_put(&o, "Organization", arr_json(&org));
	obj_put(&o, "OrganizationalUnit", arr_json(&ou));
	obj_put(&o, "Locality", arr_json(&loc));
	obj_put(&o, "Province", arr_json(&prov));
	obj_put(&o, "StreetAddress", arr_json(&street));
	obj_put(&o, "PostalCode", arr_json(&postal));
	obj_put(&o, "SerialNumber", serial ? serial : j_str(a, "", 0));
	obj_put(&o, "CommonName", cn ? cn : j_str(a, "", 0));
	obj_put(&o, "Names", arr_json(&names));
	obj_put(&o, "ExtraNames", &tg_json_null_v);
	return obj_done(&o, out);
}

/* UTCTime / GeneralizedTime as Go's time JSON (RFC 3339, UTC). */
static const struct tg_json *time_json(struct tg_arena *a, uint8_t tag, const struct der *v)
{
	int y, mo, d, h, mi, s;
	const char *p = (const char *)v->p;
	size_t n = v->n, i;
	char t[40];
	for (i = 0; i + 1 < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return NULL;
#define D2(k) ((p[k] - '0') * 10 + (p[k + 1] - '0'))
	if (tag == 0x17) {
		if (n != 13 || p[12] != 'Z')
			return NULL;
		y = D2(0);
		y += y < 50 ? 2000 : 1900;
		p += 2;
	} else if (tag == 0x18) {
		if (n != 15 || p[14] != 'Z')
			return NULL;
		y = D2(0) * 100 + D2(2);
		p += 4;
	} else {
		return NULL;
	}
	mo = D2(0);
	d = D2(2);
	h = D2(4);
	mi = D2(6);
	s = D2(8);
#undef D2
	snprintf(t, sizeof(t), "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h, mi, s);
	return j_str(a, t, strlen(t));
}

/* ------------------------------------------------------------------ */
/* algorithms and public keys                                          */
/* ------------------------------------------------------------------ */

static int sig_alg(const struct der *algid)
{
	struct der a = *algid, oid, params;
	uint8_t tag;
	static const struct {
		const char *oid;
		int v;
	} t[] = {
		{"1.2.840.113549.1.1.2", 1},  {"1.2.840.113549.1.1.4", 2},
		{"1.2.840.113549.1.1.5", 3},  {"1.2.840.113549.1.1.11", 4},
		{"1.2.840.113549.1.1.12", 5}, {"1.2.840.113549.1.1.13", 6},
		{"1.2.840.10040.4.3", 7},     {"2.16.840.1.101.3.4.3.2", 8},
		{"1.2.840.10045.4.1", 9},     {"1.2.840.10045.4.3.2", 10},
		{"1.2.840.10045.4.3.3", 11},  {"1.2.840.10045.4.3.4", 12},
		{"1.3.101.112", 16},          {NULL, 0},
	};
	if (!der_expect(&a, 0x06, &oid, NULL))
		return 0;
	for (size_t i = 0; t[i].oid; i++)
		if (oid_is(&oid, t[i].oid))
			return t[i].v;
	if (oid_is(&oid, "1.2.840.113549.1.1.10") && der_next(&a, &tag, &params, NULL) && tag == 0x30) {
		/* RSASSA-PSS: the hash in [0] decides */
		struct der h0, hseq, hoid;
		if (der_expect(&params, 0xA0, &h0, NULL) && der_expect(&h0, 0x30, &hseq, NULL) &&
		    der_expect(&hseq, 0x06, &hoid, NULL)) {
			if (oid_is(&hoid, "2.16.840.1.101.3.4.2.1"))
				return 13;
			if (oid_is(&hoid, "2.16.840.1.101.3.4.2.2"))
				return 14;
			if (oid_is(&hoid, "2.16.840.1.101.3.4.2.3"))
				return 15;
		}
	}
	return 0;
}

/* PublicKeyAlgorithm and PublicKey of a SubjectPublicKeyInfo. */
static void spki_json(struct tg_arena *a, const struct der *spki, struct obj *o)
{
	struct der s = *spki, alg, oid, bits;
	int kalg = 0;
	const struct tg_json *key = &tg_json_null_v;
	if (der_expect(&s, 0x30, &alg, NULL) && der_expect(&alg, 0x06, &oid, NULL) &&
	    der_expect(&s, 0x03, &bits, NULL) && bits.n >= 1 && bits.p[0] == 0) {
		struct der k = {bits.p + 1, bits.n - 1};
		if (oid_is(&oid, "1.2.840.113549.1.1.1")) {
			struct der seq, nn, e;
			kalg = 1;
			if (der_expect(&k, 0x30, &seq, NULL) && der_expect(&seq, 0x02, &nn, NULL) &&
			    der_expect(&seq, 0x02, &e, NULL)) {
				struct obj ko;
				obj_init(&ko, a);
				obj_put(&ko, "N", j_derint(a, nn.p, nn.n));
				obj_put(&ko, "E", j_derint(a, e.p, e.n));
				if (obj_done(&ko, &key) != TG_OK)
					key = &tg_json_null_v;
			}
		} else if (oid_is(&oid, "1.2.840.10040.4.1")) {
			kalg = 2;
		} else if (oid_is(&oid, "1.2.840.10045.2.1")) {
			kalg = 3;
			if (k.n >= 3 && k.p[0] == 4 && (k.n - 1) % 2 == 0) {
				size_t fb = (k.n - 1) / 2;
				struct obj ko;
				obj_init(&ko, a);
				obj_put(&ko, "Curve", &tg_json_empty_object_v);
				obj_put(&ko, "X", j_bigu(a, k.p + 1, fb, false));
				obj_put(&ko, "Y", j_bigu(a, k.p + 1 + fb, fb, false));
				if (obj_done(&ko, &key) != TG_OK)
					key = &tg_json_null_v;
			}
		} else if (oid_is(&oid, "1.3.101.112")) {
			kalg = 4;
			key = j_b64(a, k.p, k.n);
		}
	}
	obj_put(o, "PublicKeyAlgorithm", j_int(a, kalg));
	obj_put(o, "PublicKey", key ? key : &tg_json_null_v);
}

/* ------------------------------------------------------------------ */
/* URLs (Go's url.URL JSON) and IP addresses                          */
/* ------------------------------------------------------------------ */

static int hexv(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
		: ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

static const struct tg_json *unescape(struct tg_arena *a, const char *s, size_t n)
{
	char *d = tg_arena_alloc_bytes(a, n + 1);
	size_t k = 0;
	if (!d)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n + 0 && hexv(s[i + 1]) >= 0 && hexv(s[i + 2]) >= 0) {
			d[k++] = (char)(hexv(s[i + 1]) << 4 | hexv(s[i + 2]));
			i += 2;
		} else {
			d[k++] = s[i];
		}
	}
	return j_str(a, d, k);
}

static const struct tg_json *url_json(struct tg_arena *a, const char *s, size_t n)
{
	struct obj o;
	const struct tg_json *v;
	const char *scheme = "", *rest = s, *host = "", *path = "", *query = "", *frag = "",
		   *opaque = "";
	size_t schemen = 0, restn = n, hostn = 0, pathn = 0, queryn = 0, fragn = 0, opaquen = 0;
	bool user = false, forcequery = false, has_frag = false;
	char lower[64];
	const char *h = memchr(s, '#', n);
	if (h) {
		frag = h + 1;
		fragn = n - (size_t)(h + 1 - s);
		restn = (size_t)(h - s);
		has_frag = true;
	}
	/* scheme */
	if (restn > 0 && ((rest[0] | 32) >= 'a' && (rest[0] | 32) <= 'z')) {
		size_t i = 1;
		while (i < restn && (((rest[i] | 32) >= 'a' && (rest[i] | 32) <= 'z') ||
				     (rest[i] >= '0' && rest[i] <= '9') || rest[i] == '+' ||
				     rest[i] == '-' || rest[i] == '.'))
			i++;
		if (i < restn && rest[i] == ':' && i < sizeof(lower)) {
			for (size_t j = 0; j < i; j++)
				lower[j] = (char)((rest[j] >= 'A' && rest[j] <= 'Z') ? rest[j] + 32 : rest[j]);
			scheme = lower;
			schemen = i;
			rest += i + 1;
			restn -= i + 1;
		}
	}
	{
		const char *q = memchr(rest, '?', restn);
		if (q) {
			query = q + 1;
			queryn = restn - (size_t)(q + 1 - rest);
			restn = (size_t)(q - rest);
			forcequery = queryn == 0;
		}
	}
	if (schemen && (restn == 0 || rest[0] != '/')) {
		opaque = rest;
		opaquen = restn;
	} else if (restn >= 2 && rest[0] == '/' && rest[1] == '/') {
		const char *auth = rest + 2, *slash;
		size_t authn = restn - 2;
		slash = memchr(auth, '/', authn);
		if (slash) {
			path = slash;
			pathn = authn - (size_t)(slash - auth);
			authn = (size_t)(slash - auth);
		}
		{
			const char *at = NULL;
			for (size_t i = 0; i < authn; i++)
				if (auth[i] == '@')
					at = auth + i;
			if (at) {
				user = true;
				authn -= (size_t)(at + 1 - auth);
				auth = at + 1;
			}
		}
		host = auth;
		hostn = authn;
	} else {
		path = rest;
		pathn = restn;
	}
	obj_init(&o, a);
	obj_put(&o, "Scheme", j_str(a, scheme, schemen));
	obj_put(&o, "Opaque", j_str(a, opaque, opaquen));
	obj_put(&o, "User", user ? &tg_json_empty_object_v : &tg_json_null_v);
	obj_put(&o, "Host", j_str(a, host, hostn));
	obj_put(&o, "Path", unescape(a, path, pathn));
	obj_put(&o, "RawPath", memchr(path, '%', pathn) ? j_str(a, path, pathn) : j_str(a, "", 0));
	obj_put(&o, "OmitHost", &tg_json_false_v);
	obj_put(&o, "ForceQuery", tg_json_bool(forcequery));
	obj_put(&o, "RawQuery", j_str(a, query, queryn));
	obj_put(&o, "Fragment", has_frag ? unescape(a, frag, fragn) : j_str(a, "", 0));
	obj_put(&o, "RawFragment", j_str(a, "", 0));
	return obj_done(&o, &v) == TG_OK ? v : NULL;
}

static const struct tg_json *ip_json(struct tg_arena *a, const struct der *v)
{
	char t[64];
	if (v->n == 4) {
		snprintf(t, sizeof(t), "%u.%u.%u.%u", v->p[0], v->p[1], v->p[2], v->p[3]);
		return j_str(a, t, strlen(t));
	}
	if (v->n == 16) {
		/* as Go prints it: the longest zero run as "::", IPv4-mapped dotted */
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		int best = -1, bestlen = 0;
		size_t k = 0;
		if (memcmp(v->p, mapped, 12) == 0) {
			snprintf(t, sizeof(t), "%u.%u.%u.%u", v->p[12], v->p[13], v->p[14], v->p[15]);
			return j_str(a, t, strlen(t));
		}
		for (int i = 0; i < 16;) {
			int j = i;
			while (j < 16 && v->p[j] == 0 && v->p[j + 1] == 0)
				j += 2;
			if (j - i > bestlen && j - i >= 4) {
				best = i;
				bestlen = j - i;
			}
			i = j == i ? i + 2 : j;
		}
		for (int i = 0; i < 16; i += 2) {
			if (i == best) {
				t[k++] = ':';
				t[k++] = ':';
				i += bestlen - 2;
				continue;
			}
			if (k > 0 && t[k - 1] != ':')
				t[k++] = ':';
			k += (size_t)snprintf(t + k, sizeof(t) - k, "%x",
					      (unsigned)(v->p[i] << 8 | v->p[i + 1]));
		}
		return j_str(a, t, k);
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* extensions                                                          */
/* ------------------------------------------------------------------ */

struct exts {
	struct arr list, unhandled, dns, email, ips, uris, uristr, ocsp, issuers, crldp, polids,
		pols, eku, ueku;
	const struct tg_json *ski, *aki;
	int64_t ku;
	bool bc_valid, is_ca, maxpath_zero;
	int64_t maxpath;
};

static void exts_init(struct exts *x, struct tg_arena *a)
{
	struct arr *all[] = {&x->list, &x->unhandled, &x->dns,	   &x->email, &x->ips,
			     &x->uris, &x->uristr,    &x->ocsp,	   &x->issuers, &x->crldp,
			     &x->polids, &x->pols,    &x->eku,	   &x->ueku};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		tg_rego_bi_list_init(&all[i]->l, a);
		all[i]->used = false;
	}
	x->ski = x->aki = &tg_json_null_v;
	x->ku = 0;
	x->bc_valid = x->is_ca = x->maxpath_zero = false;
	x->maxpath = 0;
}

/* GeneralNames (SAN) into the name lists */
static tg_err general_names(struct tg_arena *a, struct der gn, struct exts *x)
{
	tg_err err = TG_OK;
	while (gn.n > 0 && err == TG_OK) {
		uint8_t tag;
		struct der v;
		if (!der_next(&gn, &tag, &v, NULL))
			return TG_E_PARSE;
		switch (tag) {
		case 0x81:
			arr_add(&x->email, j_str(a, (const char *)v.p, v.n), &err);
			break;
		case 0x82:
			arr_add(&x->dns, j_str(a, (const char *)v.p, v.n), &err);
			break;
		case 0x86:
			arr_add(&x->uris, url_json(a, (const char *)v.p, v.n), &err);
			arr_add(&x->uristr, j_str(a, (const char *)v.p, v.n), &err);
			break;
		case 0x87:
			arr_add(&x->ips, ip_json(a, &v), &err);
			break;
		default:
			break;
		}
	}
	return err;
}

/* The URIs of a GeneralNames-like list (AIA locations, CRL DPs). */
static tg_err uri_names(struct tg_arena *a, struct der gn, struct arr *out)
{
	tg_err err = TG_OK;
	while (gn.n > 0 && err == TG_OK) {
		uint8_t tag;
		struct der v;
		if (!der_next(&gn, &tag, &v, NULL))
			return TG_E_PARSE;
		if (tag == 0x86)
			arr_add(out, j_str(a, (const char *)v.p, v.n), &err);
	}
	return err;
}

static int eku_value(const struct der *oid)
{
	static const struct {
		const char *oid;
		int v;
	} t[] = {
		{"2.5.29.37.0", 0},	       {"1.3.6.1.5.5.7.3.1", 1},     {"1.3.6.1.5.5.7.3.2", 2},
		{"1.3.6.1.5.5.7.3.3", 3},      {"1.3.6.1.5.5.7.3.4", 4},     {"1.3.6.1.5.5.7.3.5", 5},
		{"1.3.6.1.5.5.7.3.6", 6},      {"1.3.6.1.5.5.7.3.7", 7},     {"1.3.6.1.5.5.7.3.8", 8},
		{"1.3.6.1.5.5.7.3.9", 9},      {"1.3.6.1.4.1.311.10.3.3", 10},
		{"2.16.840.1.113730.4.1", 11}, {"1.3.6.1.4.1.311.2.1.22", 12},
		{"1.3.6.1.4.1.311.61.1.1", 13}, {NULL, 0},
	};
	for (size_t i = 0; t[i].oid; i++)
		if (oid_is(oid, t[i].oid))
			return t[i].v;
	return -1;
}

static tg_err one_extension(struct tg_arena *a, const struct der *oid, bool critical,
			    struct der val, struct exts *x)
{
	tg_err err = TG_OK;
	bool handled = true;
	if (oid_is(oid, "2.5.29.14")) {
		struct der k;
		if (der_expect(&val, 0x04, &k, NULL))
			x->ski = j_b64(a, k.p, k.n);
	} else if (oid_is(oid, "2.5.29.35")) {
		struct der seq, k;
		if (der_expect(&val, 0x30, &seq, NULL) && der_expect(&seq, 0x80, &k, NULL))
			x->aki = j_b64(a, k.p, k.n);
	} else if (oid_is(oid, "2.5.29.15")) {
		struct der bs;
		if (der_expect(&val, 0x03, &bs, NULL) && bs.n >= 1)
			for (size_t i = 0; i + 1 < bs.n && i < 2; i++)
				for (int b = 0; b < 8; b++)
					if (bs.p[1 + i] & (0x80 >> b))
						x->ku |= (int64_t)1 << (i * 8 + (size_t)b);
	} else if (oid_is(oid, "2.5.29.19")) {
		struct der seq, v;
		x->bc_valid = true;
		x->maxpath = -1;
		if (der_expect(&val, 0x30, &seq, NULL)) {
			if (der_expect(&seq, 0x01, &v, NULL) && v.n == 1)
				x->is_ca = v.p[0] != 0;
			if (der_expect(&seq, 0x02, &v, NULL) && v.n >= 1 && v.n <= 4) {
				int64_t pl = 0;
				for (size_t i = 0; i < v.n; i++)
					pl = (pl << 8) | v.p[i];
				x->maxpath = pl;
				x->maxpath_zero = pl == 0;
			}
		}
	} else if (oid_is(oid, "2.5.29.17")) {
		struct der seq;
		if (der_expect(&val, 0x30, &seq, NULL))
			err = general_names(a, seq, x);
	} else if (oid_is(oid, "2.5.29.37")) {
		struct der seq, o;
		if (der_expect(&val, 0x30, &seq, NULL))
			while (seq.n > 0 && err == TG_OK && der_expect(&seq, 0x06, &o, NULL)) {
				int e = eku_value(&o);
				if (e >= 0)
					arr_add(&x->eku, j_int(a, e), &err);
				else
					arr_add(&x->ueku, j_oid(a, o.p, o.n), &err);
			}
	} else if (oid_is(oid, "1.3.6.1.5.5.7.1.1")) {
		struct der seq, ad, m;
		if (der_expect(&val, 0x30, &seq, NULL))
			while (seq.n > 0 && err == TG_OK && der_expect(&seq, 0x30, &ad, NULL)) {
				struct der loc = ad;
				if (!der_expect(&loc, 0x06, &m, NULL))
					break;
				if (oid_is(&m, "1.3.6.1.5.5.7.48.1"))
					err = uri_names(a, loc, &x->ocsp);
				else if (oid_is(&m, "1.3.6.1.5.5.7.48.2"))
					err = uri_names(a, loc, &x->issuers);
			}
	} else if (oid_is(oid, "2.5.29.31")) {
		struct der seq, dp;
		if (der_expect(&val, 0x30, &seq, NULL))
			while (seq.n > 0 && err == TG_OK && der_expect(&seq, 0x30, &dp, NULL)) {
				struct der dpn, full;
				if (der_expect(&dp, 0xA0, &dpn, NULL) && der_expect(&dpn, 0xA0, &full, NULL))
					err = uri_names(a, full, &x->crldp);
			}
	} else if (oid_is(oid, "2.5.29.32")) {
		struct der seq, pi, po;
		if (der_expect(&val, 0x30, &seq, NULL))
			while (seq.n > 0 && err == TG_OK && der_expect(&seq, 0x30, &pi, NULL)) {
				if (!der_expect(&pi, 0x06, &po, NULL))
					break;
				arr_add(&x->polids, j_oid(a, po.p, po.n), &err);
				arr_add(&x->pols, j_oid_dotted(a, po.p, po.n), &err);
			}
	} else if (!oid_is(oid, "2.5.29.30")) {
		handled = false;
	}
	if (critical && !handled)
		arr_add(&x->unhandled, j_oid(a, oid->p, oid->n), &err);
	return err;
}

/* Extensions: a SEQUENCE OF Extension */
static tg_err extensions(struct tg_arena *a, struct der seq, struct exts *x)
{
	tg_err err = TG_OK;
	while (seq.n > 0 && err == TG_OK) {
		struct der ext, oid, crit, val;
		bool critical = false;
		struct obj o;
		const struct tg_json *ev;
		if (!der_expect(&seq, 0x30, &ext, NULL) || !der_expect(&ext, 0x06, &oid, NULL))
			return TG_E_PARSE;
		if (der_expect(&ext, 0x01, &crit, NULL))
			critical = crit.n == 1 && crit.p[0] != 0;
		if (!der_expect(&ext, 0x04, &val, NULL))
			return TG_E_PARSE;
		obj_init(&o, a);
		obj_put(&o, "Id", j_oid(a, oid.p, oid.n));
		obj_put(&o, "Critical", tg_json_bool(critical));
		obj_put(&o, "Value", j_b64(a, val.p, val.n));
		if ((err = obj_done(&o, &ev)) != TG_OK)
			return err;
		arr_add(&x->list, ev, &err);
		if (err == TG_OK)
			err = one_extension(a, &oid, critical, val, x);
	}
	return err;
}

static void put_san(struct obj *o, struct exts *x)
{
	obj_put(o, "DNSNames", arr_json(&x->dns));
	obj_put(o, "EmailAddresses", arr_json(&x->email));
	obj_put(o, "IPAddresses", arr_json(&x->ips));
	obj_put(o, "URIs", arr_json(&x->uris));
}

/* ------------------------------------------------------------------ */
/* certificates                                                        */
/* ------------------------------------------------------------------ */

tg_err tg_rego_x509_json(struct tg_rego_bctx *c, const uint8_t *der, size_t n, bool uri_strings,
			 const struct tg_json **out)
{
	struct tg_arena *a = c->a;
	struct der all = {der, n}, cert, tbs, tbsall, sigalg, sig, t, ver, serial, issuer, validity,
		   subject, spki, nb, na, extwrap, extseq;
	uint8_t tag;
	struct obj o;
	struct exts x;
	int version = 0;
	tg_err err;
	if (!der_expect(&all, 0x30, &cert, NULL) || all.n != 0 ||
	    !der_next(&cert, &tag, &tbs, &tbsall) || tag != 0x30 ||
	    !der_expect(&cert, 0x30, &sigalg, NULL) || !der_expect(&cert, 0x03, &sig, NULL) ||
	    sig.n < 1)
		return TG_E_PARSE;
	t = tbs;
	if (der_expect(&t, 0xA0, &ver, NULL)) {
		struct der vi;
		if (!der_expect(&ver, 0x02, &vi, NULL) || vi.n != 1)
			return TG_E_PARSE;
		version = vi.p[0];
	}
	if (!der_expect(&t, 0x02, &serial, NULL) || !der_expect(&t, 0x30, NULL, NULL))
		return TG_E_PARSE;
	{
		struct der issall, suball, spkiall;
		if (!der_next(&t, &tag, &issuer, &issall) || tag != 0x30 ||
		    !der_expect(&t, 0x30, &validity, NULL) || !der_next(&t, &tag, &subject, &suball) ||
		    tag != 0x30 || !der_next(&t, &tag, &spki, &spkiall) || tag != 0x30)
			return TG_E_PARSE;
		if (!der_next(&validity, &tag, &nb, NULL))
			return TG_E_PARSE;
		obj_init(&o, a);
		obj_put(&o, "NotBefore", time_json(a, tag, &nb));
		if (!der_next(&validity, &tag, &na, NULL))
			return TG_E_PARSE;
		obj_put(&o, "NotAfter", time_json(a, tag, &na));
		obj_put(&o, "Raw", j_b64(a, der, n));
		obj_put(&o, "RawTBSCertificate", j_b64(a, tbsall.p, tbsall.n));
		obj_put(&o, "RawSubjectPublicKeyInfo", j_b64(a, spkiall.p, spkiall.n));
		obj_put(&o, "RawSubject", j_b64(a, suball.p, suball.n));
		obj_put(&o, "RawIssuer", j_b64(a, issall.p, issall.n));
		spki_json(a, &spki, &o);
	}
	/* optional unique IDs, then [3] extensions */
	while (t.n > 0 && (der_peek(&t) == 0x81 || der_peek(&t) == 0x82 || der_peek(&t) == 0xA1 ||
			   der_peek(&t) == 0xA2))
		if (!der_next(&t, &tag, NULL, NULL))
			return TG_E_PARSE;
	exts_init(&x, a);
	if (der_expect(&t, 0xA3, &extwrap, NULL)) {
		if (!der_expect(&extwrap, 0x30, &extseq, NULL))
			return TG_E_PARSE;
		if ((err = extensions(a, extseq, &x)) != TG_OK)
			return err;
	}
	obj_put(&o, "Signature", j_b64(a, sig.p + 1, sig.n - 1));
	obj_put(&o, "SignatureAlgorithm", j_int(a, sig_alg(&sigalg)));
	obj_put(&o, "Version", j_int(a, version + 1));
	obj_put(&o, "SerialNumber", j_derint(a, serial.p, serial.n));
	{
		const struct tg_json *nm;
		if ((err = name_json(a, &issuer, &nm)) != TG_OK)
			return err;
		obj_put(&o, "Issuer", nm);
		if ((err = name_json(a, &subject, &nm)) != TG_OK)
			return err;
		obj_put(&o, "Subject", nm);
	}
	obj_put(&o, "KeyUsage", j_int(a, x.ku));
	obj_put(&o, "Extensions", arr_json(&x.list));
	obj_put(&o, "ExtraExtensions", &tg_json_null_v);
	obj_put(&o, "UnhandledCriticalExtensions", arr_json(&x.unhandled));
	obj_put(&o, "ExtKeyUsage", arr_json(&x.eku));
	obj_put(&o, "UnknownExtKeyUsage", arr_json(&x.ueku));
	obj_put(&o, "BasicConstraintsValid", tg_json_bool(x.bc_valid));
	obj_put(&o, "IsCA", tg_json_bool(x.is_ca));
	obj_put(&o, "MaxPathLen", j_int(a, x.maxpath));
	obj_put(&o, "MaxPathLenZero", tg_json_bool(x.maxpath_zero));
	obj_put(&o, "SubjectKeyId", x.ski ? x.ski : &tg_json_null_v);
	obj_put(&o, "AuthorityKeyId", x.aki ? x.aki : &tg_json_null_v);
	obj_put(&o, "OCSPServer", arr_json(&x.ocsp));
	obj_put(&o, "IssuingCertificateURL", arr_json(&x.issuers));
	put_san(&o, &x);
	obj_put(&o, "PermittedDNSDomainsCritical", &tg_json_false_v);
	obj_put(&o, "PermittedDNSDomains", &tg_json_null_v);
	obj_put(&o, "ExcludedDNSDomains", &tg_json_null_v);
	obj_put(&o, "PermittedIPRanges", &tg_json_null_v);
	obj_put(&o, "ExcludedIPRanges", &tg_json_null_v);
	obj_put(&o, "PermittedEmailAddresses", &tg_json_null_v);
	obj_put(&o, "ExcludedEmailAddresses", &tg_json_null_v);
	obj_put(&o, "PermittedURIDomains", &tg_json_null_v);
	obj_put(&o, "ExcludedURIDomains", &tg_json_null_v);
	obj_put(&o, "CRLDistributionPoints", arr_json(&x.crldp));
	obj_put(&o, "PolicyIdentifiers", arr_json(&x.polids));
	obj_put(&o, "Policies", arr_json(&x.pols));
	if (uri_strings)
		obj_put(&o, "URIStrings", arr_json(&x.uristr));
	return obj_done(&o, out);
}

/* Go's x509.ParseCertificates over concatenated DER, one object each. */
static tg_err certs_json(struct tg_rego_bctx *c, const uint8_t *der, size_t n, bool uri_strings,
			 struct tg_rego_bi_list *l, struct tg_x509_list *keep)
{
	size_t off = 0;
	tg_err r = TG_OK;
	while (off < n) {
		const unsigned char *p = der + off;
		X509 *x = d2i_X509(NULL, &p, (long)(n - off));
		size_t used;
		const struct tg_json *v;
		if (!x)
			return tg_rego_bi_fail(c, "x509: malformed certificate");
		X509_free(x);
		used = (size_t)(p - (der + off));
		if (keep) {
			struct tg_x509 *tx;
			struct tg_diag d;
			if (keep->count >= TG_LIMIT_CHAIN + 2 ||
			    tg_x509_from_der(der + off, used, &tx, &d) != TG_OK)
				return tg_rego_bi_fail(c, "x509: malformed certificate");
			keep->certs = tg_xreallocarray(keep->certs, keep->count + 1, sizeof(*keep->certs));
			keep->certs[keep->count++] = tx;
		}
		if ((r = tg_rego_x509_json(c, der + off, used, uri_strings, &v)) != TG_OK)
			return r == TG_E_PARSE ? tg_rego_bi_fail(c, "x509: malformed certificate") : r;
		if ((r = tg_rego_bi_list_add(l, v)) != TG_OK)
			return r;
		off += used;
	}
	return TG_OK;
}

/* OPA's getX509CertsFromString: PEM, or base64 of PEM or DER. The DER
 * of all certificates is appended to der. */
static tg_err certs_input(struct tg_rego_bctx *c, const char *s, size_t n, struct tg_buf *der)
{
	struct tg_buf dec = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	const char *text = s;
	size_t tn = n;
	tg_err r = TG_OK;
	if (!(n >= 10 && memcmp(s, "-----BEGIN", 10) == 0)) {
		size_t bad;
		if (tg_rego_go_b64_decode(s, n, false, true, &dec, &bad) != TG_OK) {
			tg_buf_release(&dec);
			return tg_rego_bi_fail(c, "illegal base64 data at input byte %zu", bad);
		}
		if (!(dec.len >= 10 && memcmp(dec.data, "-----BEGIN", 10) == 0)) {
			r = tg_buf_add(der, dec.data, dec.len);
			tg_buf_release(&dec);
			return r;
		}
		text = (const char *)dec.data;
		tn = dec.len;
	}
	for (;;) {
		char type[64];
		size_t rest;
		size_t before = der->len;
		if (!tg_rego_go_pem_decode(text, tn, type, sizeof(type), der, &rest))
			break;
		if (strcmp(type, "CERTIFICATE") != 0) {
			tg_buf_truncate(der, before);
			r = tg_rego_bi_fail(c, "PEM block type is '%s', expected CERTIFICATE", type);
			break;
		}
		text += rest;
		tn -= rest;
	}
	tg_buf_release(&dec);
	return r;
}

tg_err tg_rego_bi_x509_parse_certificates(struct tg_rego_bctx *c,
					  const struct tg_json *const *args, size_t nargs,
					  const struct tg_json **out)
{
	const char *s;
	size_t n;
	struct tg_buf der = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	struct tg_rego_bi_list l;
	tg_err r;
	UNUSED_NARGS;
	if ((r = tg_rego_bi_str(c, args[0], 1, &s, &n)) != TG_OK)
		return r;
	if ((r = tg_rego_bi_charge(c, n / 64 + 1)) != TG_OK)
		return r;
	tg_rego_bi_list_init(&l, c->a);
	r = certs_input(c, s, n, &der);
	if (r == TG_OK)
		r = certs_json(c, der.data, der.len, true, &l, NULL);
	tg_buf_release(&der);
	if (r != TG_OK)
		return r;
	if (l.len == 0) {
		/* Go returns a nil slice: null */
		*out = &tg_json_null_v;
		return TG_OK;
	}
	return tg_rego_bi_list_array(&l, out);
}

/* ------------------------------------------------------------------ */
/* chain verification                                                  */
/* ------------------------------------------------------------------ */

struct vopts {
	const char *dns;
	size_t dnsn;
	bool has_time;
	int64_t time_ns;
	unsigned eku[16];
	size_t neku;
	bool any;
};

/* Go's VerifyHostname, the common cases: exact or one-label wildcard,
 * case-insensitive, against DNS SANs (IP SANs for IP literals). */
static bool host_matches(const struct tg_json *certj, const char *h, size_t hn)
{
	const struct tg_json *names = tg_json_get(certj, "DNSNames"), *ips;
	size_t hl = hn;
	if (hl > 0 && h[hl - 1] == '.')
		hl--;
	ips = tg_json_get(certj, "IPAddresses");
	if (ips && ips->type == TG_JSON_ARRAY)
		for (size_t i = 0; i < ips->u.a.len; i++) {
			const struct tg_json *e = ips->u.a.items[i];
			if (e->type == TG_JSON_STRING && e->u.s.len == hn && memcmp(e->u.s.p, h, hn) == 0)
				return true;
		}
	if (!names || names->type != TG_JSON_ARRAY)
		return false;
	for (size_t i = 0; i < names->u.a.len; i++) {
		const struct tg_json *e = names->u.a.items[i];
		const char *p;
		size_t pn;
		if (e->type != TG_JSON_STRING)
			continue;
		p = e->u.s.p;
		pn = e->u.s.len;
		if (pn > 0 && p[pn - 1] == '.')
			pn--;
		if (pn == hl && strncasecmp(p, h, hl) == 0)
			return true;
		if (pn > 2 && p[0] == '*' && p[1] == '.') {
			const char *dot = memchr(h, '.', hl);
			if (dot && (size_t)(hl - (size_t)(dot - h)) == pn - 1 &&
			    strncasecmp(dot, p + 1, pn - 1) == 0 && dot != h)
				return true;
		}
	}
	return false;
}

static tg_err parse_and_verify(struct tg_rego_bctx *c, const struct tg_json *input,
			       const struct vopts *vo, const struct tg_json **out)
{
	struct tg_buf der = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	struct tg_rego_bi_list all, res;
	struct tg_x509_list certs = {NULL, 0}, chain = {NULL, 0};
	const struct tg_json *failed[2] = {&tg_json_false_v, &tg_json_empty_array_v}, *ok[2];
	bool valid = false;
	tg_err r;
	tg_rego_bi_list_init(&all, c->a);
	tg_rego_bi_list_init(&res, c->a);
	if (certs_input(c, input->u.s.p, input->u.s.len, &der) != TG_OK ||
	    certs_json(c, der.data, der.len, vo == NULL, &all, &certs) != TG_OK || certs.count < 2)
		goto done;
	{
		struct tg_time at;
		struct tg_diag d;
		const struct tg_x509 *root = certs.certs[0];
		const struct tg_x509 *const *inter = (const struct tg_x509 *const *)certs.certs + 1;
		unsigned ekus[16] = {TG_EKU_SERVER_AUTH};
		size_t ne = 1;
		int64_t ns = vo && vo->has_time ? vo->time_ns : c->now_ns;
		at.sec = ns / 1000000000;
		at.nsec = (int32_t)(ns % 1000000000);
		if (at.nsec < 0) {
			at.nsec += 1000000000;
			at.sec--;
		}
		if (vo && (vo->neku || vo->any)) {
			ne = vo->any ? 1 : vo->neku;
			memcpy(ekus, vo->eku, sizeof(ekus));
			if (vo->any)
				ekus[0] = 0;
		}
		for (size_t k = 0; k < ne && !valid; k++) {
			tg_x509_list_release(&chain);
			if (tg_x509_verify(certs.certs[certs.count - 1], inter, certs.count - 2, &root, 1,
					   at, ekus[k], &chain, &d) == TG_OK)
				valid = true;
		}
		if (valid && vo && vo->dns &&
		    !host_matches(all.items[all.len - 1], vo->dns, vo->dnsn))
			valid = false;
	}
	if (!valid)
		goto done;
	/* the validated path, leaf first */
	for (size_t i = 0; i < chain.count; i++) {
		struct tg_buf cd = TG_BUF_INIT(TG_LIMIT_DER);
		const struct tg_json *v;
		r = tg_x509_to_der(chain.certs[i], &cd);
		if (r == TG_OK)
			r = tg_rego_x509_json(c, cd.data, cd.len, vo == NULL, &v);
		tg_buf_release(&cd);
		if (r != TG_OK || (r = tg_rego_bi_list_add(&res, v)) != TG_OK) {
			valid = false;
			break;
		}
	}
done:
	tg_buf_release(&der);
	tg_x509_list_release(&certs);
	tg_x509_list_release(&chain);
	tg_diag_init(c->d);
	if (!valid)
		return tg_json_new_array(c->a, failed, 2, out);
	ok[0] = &tg_json_true_v;
	if ((r = tg_rego_bi_list_array(&res, &ok[1])) != TG_OK)
		return r;
	return tg_json_new_array(c->a, ok, 2, out);
}

tg_err tg_rego_bi_x509_parse_and_verify(struct tg_rego_bctx *c, const struct tg_json *const *args,
					size_t nargs, const struct tg_json **out)
{
	UNUSED_NARGS;
	if (args[0]->type != TG_JSON_STRING)
		return tg_rego_type_error(c, 1, "string", args[0]);
	return parse_and_verify(c, args[0], NULL, out);
}

tg_err tg_rego_bi_x509_parse_and_verify_opts(struct tg_rego_bctx *c,
					     const struct tg_json *const *args, size_t nargs,
					     const struct tg_json **out)
{
	const struct tg_json *o = args[1];
	struct vopts vo;
	UNUSED_NARGS;
	if (args[0]->type != TG_JSON_STRING)
		return tg_rego_type_error(c, 1, "string", args[0]);
	if (o->type != TG_JSON_OBJECT)
		return tg_rego_type_error(c, 2, "object", o);
	memset(&vo, 0, sizeof(vo));
	for (size_t i = 0; i < o->u.o.len; i++) {
		const struct tg_json *k = o->u.o.items[i].key, *v = o->u.o.items[i].val;
		if (k->type != TG_JSON_STRING)
			continue;
		if (tg_json_str_eq(k, "DNSName")) {
			if (v->type != TG_JSON_STRING)
				return tg_rego_bi_fail(c, "'DNSName' should be a string");
			vo.dns = v->u.s.p;
			vo.dnsn = v->u.s.len;
			while (vo.dnsn > 0 && vo.dns[0] == '"') {
				vo.dns++;
				vo.dnsn--;
			}
			while (vo.dnsn > 0 && vo.dns[vo.dnsn - 1] == '"')
				vo.dnsn--;
		} else if (tg_json_str_eq(k, "CurrentTime")) {
			if (v->type != TG_JSON_NUMBER)
				return tg_rego_bi_fail(c, "'CurrentTime' should be a number");
			if (tg_json_num_i64(v, &vo.time_ns) != TG_OK || !(v->flags & TG_JSON_F_INTLIT))
				return tg_rego_bi_fail(c, "'CurrentTime' should be a valid int64 number");
			vo.has_time = true;
		} else if (tg_json_str_eq(k, "MaxConstraintComparisons")) {
			int64_t m;
			if (v->type != TG_JSON_NUMBER)
				return tg_rego_bi_fail(c, "'MaxConstraintComparisons' should be a number");
			if (tg_json_num_i64(v, &m) != TG_OK)
				return tg_rego_bi_fail(c, "'MaxConstraintComparisons' should be a valid number");
		} else if (tg_json_str_eq(k, "KeyUsages")) {
			static const struct {
				const char *name;
				unsigned eku;
			} ku[] = {
				{"KeyUsageServerAuth", TG_EKU_SERVER_AUTH},
				{"KeyUsageClientAuth", TG_EKU_CLIENT_AUTH},
				{"KeyUsageCodeSigning", TG_EKU_CODE_SIGNING},
				{"KeyUsageEmailProtection", TG_EKU_EMAIL_PROTECTION},
				{"KeyUsageTimeStamping", TG_EKU_TIME_STAMPING},
				{"KeyUsageOCSPSigning", TG_EKU_OCSP_SIGNING},
				{NULL, 0},
			};
			if (v->type != TG_JSON_ARRAY && v->type != TG_JSON_SET)
				return tg_rego_bi_fail(c, "'KeyUsages' should be an Array or Set");
			for (size_t j = 0; j < v->u.a.len; j++) {
				const struct tg_json *e = v->u.a.items[j];
				bool found = false;
				if (e->type != TG_JSON_STRING)
					continue;
				if (tg_json_str_eq(e, "KeyUsageAny")) {
					vo.any = true;
					continue;
				}
				for (size_t q = 0; ku[q].name; q++)
					if (tg_json_str_eq(e, ku[q].name)) {
						if (vo.neku < 16)
							vo.eku[vo.neku++] = ku[q].eku;
						found = true;
					}
				if (!found)
					return tg_rego_bi_fail(c, "invalid entries for 'KeyUsages' found: [%.*s]",
							       (int)(e->u.s.len > 80 ? 80 : e->u.s.len),
							       e->u.s.p);
			}
		} else {
			return tg_rego_bi_fail(c, "invalid key option");
		}
	}
	return parse_and_verify(c, args[0], &vo, out);
}

/* ------------------------------------------------------------------ */
/* certificate requests                                                */
/* ------------------------------------------------------------------ */

tg_err tg_rego_bi_x509_parse_csr(struct tg_rego_bctx *c, const struct tg_json *const *args,
				 size_t nargs, const struct tg_json **out)
{
	const char *s;
	size_t n, bad, rest;
	struct tg_buf dec = TG_BUF_INIT(TG_LIMIT_PEM_FILE), der = TG_BUF_INIT(TG_LIMIT_DER);
	const uint8_t *p;
	size_t pn;
	char type[64];
	struct der all, req, info, infoall, sigalg, sig, ver, subject, suball, spki, spkiall, attrs;
	uint8_t tag;
	struct obj o;
	struct exts x;
	struct arr attrl;
	tg_err r;
	UNUSED_NARGS;
	if ((r = tg_rego_bi_str(c, args[0], 1, &s, &n)) != TG_OK)
		return r;
	p = (const uint8_t *)s;
	pn = n;
	if (!(n >= 35 && memcmp(s, "-----BEGIN CERTIFICATE REQUEST-----", 35) == 0)) {
		if (tg_rego_go_b64_decode(s, n, false, true, &dec, &bad) != TG_OK) {
			tg_buf_release(&dec);
			return tg_rego_bi_fail(c, "illegal base64 data at input byte %zu", bad);
		}
		p = dec.data;
		pn = dec.len;
	}
	if (tg_rego_go_pem_decode((const char *)p, pn, type, sizeof(type), &der, &rest)) {
		if (strcmp(type, "CERTIFICATE REQUEST") != 0) {
			r = tg_rego_bi_fail(c, "invalid PEM-encoded certificate signing request");
			goto out;
		}
		p = der.data;
		pn = der.len;
	}
	all.p = p;
	all.n = pn;
	r = TG_OK;
	if (!der_expect(&all, 0x30, &req, NULL) || !der_next(&req, &tag, &info, &infoall) ||
	    tag != 0x30 || !der_expect(&req, 0x30, &sigalg, NULL) ||
	    !der_expect(&req, 0x03, &sig, NULL) || sig.n < 1 ||
	    !der_expect(&info, 0x02, &ver, NULL) || !der_next(&info, &tag, &subject, &suball) ||
	    tag != 0x30 || !der_next(&info, &tag, &spki, &spkiall) || tag != 0x30) {
		r = tg_rego_bi_fail(c, "asn1: structure error: tags don't match");
		goto out;
	}
	obj_init(&o, c->a);
	exts_init(&x, c->a);
	tg_rego_bi_list_init(&attrl.l, c->a);
	attrl.used = false;
	if (der_expect(&info, 0xA0, &attrs, NULL)) {
		/* attributes: the extension request carries extensions */
		while (attrs.n > 0 && r == TG_OK) {
			struct der attr, aoid, vals;
			if (!der_expect(&attrs, 0x30, &attr, NULL) || !der_expect(&attr, 0x06, &aoid, NULL) ||
			    !der_expect(&attr, 0x31, &vals, NULL))
				break;
			if (oid_is(&aoid, "1.2.840.113549.1.9.14")) {
				struct der seq;
				if (der_expect(&vals, 0x30, &seq, NULL))
					r = extensions(c->a, seq, &x);
			}
		}
	}
	if (r != TG_OK) {
		r = tg_rego_bi_fail(c, "x509: malformed extension");
		goto out;
	}
	obj_put(&o, "Raw", j_b64(c->a, p, pn - all.n));
	obj_put(&o, "RawTBSCertificateRequest", j_b64(c->a, infoall.p, infoall.n));
	obj_put(&o, "RawSubjectPublicKeyInfo", j_b64(c->a, spkiall.p, spkiall.n));
	obj_put(&o, "RawSubject", j_b64(c->a, suball.p, suball.n));
	obj_put(&o, "Version", ver.n == 1 ? j_int(c->a, ver.p[0]) : j_derint(c->a, ver.p, ver.n));
	obj_put(&o, "Signature", j_b64(c->a, sig.p + 1, sig.n - 1));
	obj_put(&o, "SignatureAlgorithm", j_int(c->a, sig_alg(&sigalg)));
	spki_json(c->a, &spki, &o);
	{
		const struct tg_json *nm;
		if ((r = name_json(c->a, &subject, &nm)) != TG_OK) {
			r = tg_rego_bi_fail(c, "x509: malformed subject");
			goto out;
		}
		obj_put(&o, "Subject", nm);
	}
	obj_put(&o, "Attributes", arr_json(&attrl));
	obj_put(&o, "Extensions", arr_json(&x.list));
	obj_put(&o, "ExtraExtensions", &tg_json_null_v);
	put_san(&o, &x);
	r = obj_done(&o, out);
out:
	tg_buf_release(&dec);
	tg_buf_release(&der);
	return r;
}

/* ------------------------------------------------------------------ */
/* private keys                                                        */
/* ------------------------------------------------------------------ */

static const struct tg_json *pkey_bn(struct tg_arena *a, const EVP_PKEY *k, const char *param)
{
	BIGNUM *bn = NULL;
	const struct tg_json *v;
	if (!EVP_PKEY_get_bn_param(k, param, &bn))
		return NULL;
	v = j_bn(a, bn);
	BN_clear_free(bn);
	return v;
}

/* base64url (no padding) of a BIGNUM parameter, padded to width bytes */
static const struct tg_json *pkey_b64url(struct tg_arena *a, const EVP_PKEY *k, const char *param,
					 int width)
{
	BIGNUM *bn = NULL;
	uint8_t buf[1024];
	int len;
	struct tg_buf b = TG_BUF_INIT(4096);
	const struct tg_json *v = NULL;
	if (!EVP_PKEY_get_bn_param(k, param, &bn))
		return NULL;
	len = width > 0 ? width : BN_num_bytes(bn);
	if (len > 0 && (size_t)len <= sizeof(buf) && BN_bn2binpad(bn, buf, len) == len &&
	    tg_rego_go_b64_encode(buf, (size_t)len, true, false, &b) == TG_OK)
		v = j_str(a, (const char *)b.data, b.len);
	OPENSSL_cleanse(buf, sizeof(buf));
	tg_buf_release_wipe(&b);
	BN_clear_free(bn);
	return v;
}

/* A parsed private key of a PEM block type; NULL when unsupported. */
static EVP_PKEY *parse_privkey(const char *type, const uint8_t *der, size_t n)
{
	const unsigned char *p = der;
	if (strcmp(type, "RSA PRIVATE KEY") == 0)
		return d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, (long)n);
	if (strcmp(type, "EC PRIVATE KEY") == 0)
		return d2i_PrivateKey(EVP_PKEY_EC, NULL, &p, (long)n);
	if (strcmp(type, "PRIVATE KEY") == 0) {
		PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)n);
		EVP_PKEY *k = p8 ? EVP_PKCS82PKEY(p8) : NULL;
		PKCS8_PRIV_KEY_INFO_free(p8);
		return k;
	}
	return NULL;
}

static int ec_width(const EVP_PKEY *k)
{
	return (EVP_PKEY_get_bits(k) + 7) / 8;
}

static const char *ec_crv(const EVP_PKEY *k)
{
	switch (EVP_PKEY_get_bits(k)) {
	case 256:
		return "P-256";
	case 384:
		return "P-384";
	case 521:
		return "P-521";
	default:
		return "P-224";
	}
}

/* The key as Go's json.Marshal shows crypto.PrivateKey. */
static tg_err privkey_json(struct tg_arena *a, const EVP_PKEY *k, const struct tg_json **out)
{
	struct obj o;
	obj_init(&o, a);
	if (EVP_PKEY_is_a(k, "RSA")) {
		struct obj pre;
		const struct tg_json *primes[2], *pv;
		obj_put(&o, "N", pkey_bn(a, k, OSSL_PKEY_PARAM_RSA_N));
		obj_put(&o, "E", pkey_bn(a, k, OSSL_PKEY_PARAM_RSA_E));
		obj_put(&o, "D", pkey_bn(a, k, OSSL_PKEY_PARAM_RSA_D));
		primes[0] = pkey_bn(a, k, OSSL_PKEY_PARAM_RSA_FACTOR1);
		primes[1] = pkey_bn(a, k, OSSL_PKEY_PARAM_RSA_FACTOR2);
		obj_put(&o, "Primes", primes[0] && primes[1] ? j_arr(a, primes, 2) : NULL);
		obj_init(&pre, a);
		obj_put(&pre, "Dp", pkey_bn(a, k, OSSL_PKEY_PARAM_RSA_EXPONENT1));
		obj_put(&pre, "Dq", pkey_bn(a, k, OSSL_PKEY_PARAM_RSA_EXPONENT2));
		obj_put(&pre, "Qinv", pkey_bn(a, k, OSSL_PKEY_PARAM_RSA_COEFFICIENT1));
		obj_put(&pre, "CRTValues", &tg_json_empty_array_v);
		if (obj_done(&pre, &pv) != TG_OK)
			return TG_E_CRYPTO;
		obj_put(&o, "Precomputed", pv);
	} else if (EVP_PKEY_is_a(k, "EC")) {
		obj_put(&o, "Curve", &tg_json_empty_object_v);
		obj_put(&o, "X", pkey_bn(a, k, OSSL_PKEY_PARAM_EC_PUB_X));
		obj_put(&o, "Y", pkey_bn(a, k, OSSL_PKEY_PARAM_EC_PUB_Y));
		obj_put(&o, "D", pkey_bn(a, k, OSSL_PKEY_PARAM_PRIV_KEY));
	} else if (EVP_PKEY_is_a(k, "ED25519")) {
		uint8_t raw[64];
		size_t l1 = 32, l2 = 32;
		const struct tg_json *v = NULL;
		if (EVP_PKEY_get_raw_private_key(k, raw, &l1) && EVP_PKEY_get_raw_public_key(k, raw + 32, &l2) &&
		    l1 == 32 && l2 == 32)
			v = j_b64(a, raw, 64);
		OPENSSL_cleanse(raw, sizeof(raw));
		if (!v)
			return TG_E_CRYPTO;
		*out = v;
		return TG_OK;
	} else {
		return TG_E_UNSUPPORTED;
	}
	return obj_done(&o, out);
}

/* The key as a JWK object (jwx's jwk.New view). */
static tg_err privkey_jwk(struct tg_arena *a, const EVP_PKEY *k, const struct tg_json **out)
{
	struct obj o;
	obj_init(&o, a);
	if (EVP_PKEY_is_a(k, "RSA")) {
		obj_put(&o, "kty", j_str(a, "RSA", 3));
		obj_put(&o, "n", pkey_b64url(a, k, OSSL_PKEY_PARAM_RSA_N, 0));
		obj_put(&o, "e", pkey_b64url(a, k, OSSL_PKEY_PARAM_RSA_E, 0));
		obj_put(&o, "d", pkey_b64url(a, k, OSSL_PKEY_PARAM_RSA_D, 0));
		obj_put(&o, "p", pkey_b64url(a, k, OSSL_PKEY_PARAM_RSA_FACTOR1, 0));
		obj_put(&o, "q", pkey_b64url(a, k, OSSL_PKEY_PARAM_RSA_FACTOR2, 0));
		obj_put(&o, "dp", pkey_b64url(a, k, OSSL_PKEY_PARAM_RSA_EXPONENT1, 0));
		obj_put(&o, "dq", pkey_b64url(a, k, OSSL_PKEY_PARAM_RSA_EXPONENT2, 0));
		obj_put(&o, "qi", pkey_b64url(a, k, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, 0));
	} else if (EVP_PKEY_is_a(k, "EC")) {
		int w = ec_width(k);
		obj_put(&o, "kty", j_str(a, "EC", 2));
		obj_put(&o, "crv", j_str(a, ec_crv(k), 5));
		obj_put(&o, "x", pkey_b64url(a, k, OSSL_PKEY_PARAM_EC_PUB_X, w));
		obj_put(&o, "y", pkey_b64url(a, k, OSSL_PKEY_PARAM_EC_PUB_Y, w));
		obj_put(&o, "d", pkey_b64url(a, k, OSSL_PKEY_PARAM_PRIV_KEY, w));
	} else if (EVP_PKEY_is_a(k, "ED25519")) {
		uint8_t raw[32];
		size_t l = 32;
		struct tg_buf b = TG_BUF_INIT(64);
		obj_put(&o, "kty", j_str(a, "OKP", 3));
		obj_put(&o, "crv", j_str(a, "Ed25519", 7));
		if (EVP_PKEY_get_raw_public_key(k, raw, &l) &&
		    tg_rego_go_b64_encode(raw, 32, true, false, &b) == TG_OK)
			obj_put(&o, "x", j_str(a, (const char *)b.data, b.len));
		tg_buf_reset(&b);
		l = 32;
		if (EVP_PKEY_get_raw_private_key(k, raw, &l) &&
		    tg_rego_go_b64_encode(raw, 32, true, false, &b) == TG_OK)
			obj_put(&o, "d", j_str(a, (const char *)b.data, b.len));
		OPENSSL_cleanse(raw, sizeof(raw));
		tg_buf_release_wipe(&b);
	} else {
		return TG_E_UNSUPPORTED;
	}
	return obj_done(&o, out);
}

/* OPA's getPrivateKeysFromPEMData: every private key block of the input
 * (base64-decoded first when it is base64), parsed into keys[]. */
static tg_err private_keys(struct tg_rego_bctx *c, const char *s, size_t n, EVP_PKEY **keys,
			   size_t max, size_t *count)
{
	struct tg_buf dec = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	const char *text = s;
	size_t tn = n, bad;
	tg_err r = TG_OK;
	*count = 0;
	if (tg_rego_go_b64_decode(s, n, false, true, &dec, &bad) == TG_OK) {
		text = dec.len ? (const char *)dec.data : "";
		tn = dec.len;
	}
	while (tn > 0) {
		char type[64];
		size_t rest;
		struct tg_buf der = TG_BUF_INIT(TG_LIMIT_DER);
		EVP_PKEY *k;
		if (!tg_rego_go_pem_decode(text, tn, type, sizeof(type), &der, &rest)) {
			tg_buf_release_wipe(&der);
			break;
		}
		text += rest;
		tn -= rest;
		if (strcmp(type, "RSA PRIVATE KEY") != 0 && strcmp(type, "PRIVATE KEY") != 0 &&
		    strcmp(type, "EC PRIVATE KEY") != 0) {
			tg_buf_release_wipe(&der);
			continue;
		}
		k = parse_privkey(type, der.data, der.len);
		tg_buf_release_wipe(&der);
		if (!k) {
			r = tg_rego_bi_fail(c, "x509: failed to parse private key");
			break;
		}
		if (*count == max) {
			EVP_PKEY_free(k);
			r = tg_rego_bi_fail(c, "too many private keys");
			break;
		}
		keys[(*count)++] = k;
	}
	tg_buf_release_wipe(&dec);
	if (r != TG_OK)
		while (*count > 0)
			EVP_PKEY_free(keys[--*count]);
	return r;
}

tg_err tg_rego_bi_x509_parse_rsa_private_key(struct tg_rego_bctx *c,
					     const struct tg_json *const *args, size_t nargs,
					     const struct tg_json **out)
{
	const char *s;
	size_t n, count, bad;
	struct tg_buf dec = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	EVP_PKEY *keys[TG_LIMIT_PEM_BLOCKS];
	tg_err r;
	UNUSED_NARGS;
	if ((r = tg_rego_bi_str(c, args[0], 1, &s, &n)) != TG_OK)
		return r;
	if (n == 0)
		return tg_rego_bi_fail(c, "input PEM data was empty");
	if (!(n >= 10 && memcmp(s, "-----BEGIN", 10) == 0)) {
		if (tg_rego_go_b64_decode(s, n, false, true, &dec, &bad) != TG_OK) {
			tg_buf_release(&dec);
			return tg_rego_bi_fail(c, "illegal base64 data at input byte %zu", bad);
		}
		s = dec.len ? (const char *)dec.data : "";
		n = dec.len;
	}
	r = private_keys(c, s, n, keys, TG_LIMIT_PEM_BLOCKS, &count);
	tg_buf_release_wipe(&dec);
	if (r != TG_OK)
		return r;
	if (count == 0) {
		*out = &tg_json_null_v;
		return TG_OK;
	}
	r = privkey_jwk(c->a, keys[0], out);
	if (r != TG_OK)
		r = tg_rego_bi_fail(c, "unsupported private key type");
	for (size_t i = 0; i < count; i++)
		EVP_PKEY_free(keys[i]);
	return r;
}

tg_err tg_rego_bi_parse_private_keys(struct tg_rego_bctx *c, const struct tg_json *const *args,
				     size_t nargs, const struct tg_json **out)
{
	const char *s;
	size_t n, count;
	EVP_PKEY *keys[TG_LIMIT_PEM_BLOCKS];
	struct tg_rego_bi_list l;
	tg_err r;
	UNUSED_NARGS;
	if ((r = tg_rego_bi_str(c, args[0], 1, &s, &n)) != TG_OK)
		return r;
	if (n == 0) {
		*out = &tg_json_null_v;
		return TG_OK;
	}
	if ((r = private_keys(c, s, n, keys, TG_LIMIT_PEM_BLOCKS, &count)) != TG_OK)
		return r;
	tg_rego_bi_list_init(&l, c->a);
	for (size_t i = 0; i < count && r == TG_OK; i++) {
		const struct tg_json *v;
		r = privkey_json(c->a, keys[i], &v);
		if (r == TG_OK)
			r = tg_rego_bi_list_add(&l, v);
		else
			r = tg_rego_bi_fail(c, "unsupported private key type");
	}
	for (size_t i = 0; i < count; i++)
		EVP_PKEY_free(keys[i]);
	if (r != TG_OK)
		return r;
	return tg_rego_bi_list_array(&l, out);
}

/* crypto.x509.parse_keypair: Go's tls.X509KeyPair */
tg_err tg_rego_bi_x509_parse_keypair(struct tg_rego_bctx *c, const struct tg_json *const *args,
				     size_t nargs, const struct tg_json **out)
{
	const char *cs, *ks;
	size_t cn, kn, bad;
	struct tg_buf cdec = TG_BUF_INIT(TG_LIMIT_PEM_FILE), kdec = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	struct tg_buf der = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	struct tg_rego_bi_list ders;
	EVP_PKEY *key = NULL;
	X509 *leaf = NULL;
	struct obj o;
	const struct tg_json *leafj = NULL, *keyj = NULL;
	bool cert_pem, key_pem;
	tg_err r;
	UNUSED_NARGS;
	/* OPA checks both operands as operand 1 */
	if ((r = tg_rego_bi_str(c, args[0], 1, &cs, &cn)) != TG_OK ||
	    (r = tg_rego_bi_str(c, args[1], 1, &ks, &kn)) != TG_OK)
		return r;
	cert_pem = cn >= 11 && memcmp(cs, "-----BEGIN ", 11) == 0;
	key_pem = kn >= 11 && memcmp(ks, "-----BEGIN ", 11) == 0;
	if (!cert_pem) {
		if (tg_rego_go_b64_decode(cs, cn, false, true, &cdec, &bad) != TG_OK) {
			r = tg_rego_bi_fail(c, "illegal base64 data at input byte %zu", bad);
			goto out;
		}
		cs = cdec.len ? (const char *)cdec.data : "";
		cn = cdec.len;
		cert_pem = cn >= 11 && memcmp(cs, "-----BEGIN ", 11) == 0;
	}
	if (!key_pem) {
		if (tg_rego_go_b64_decode(ks, kn, false, true, &kdec, &bad) != TG_OK) {
			r = tg_rego_bi_fail(c, "illegal base64 data at input byte %zu", bad);
			goto out;
		}
		ks = kdec.len ? (const char *)kdec.data : "";
		kn = kdec.len;
		key_pem = kn >= 10 && memcmp(ks, "-----BEGIN", 10) == 0;
	}
	tg_rego_bi_list_init(&ders, c->a);
	/* certificates: every CERTIFICATE block (or the DER given) */
	if (cert_pem) {
		const char *t = cs;
		size_t tn = cn;
		for (;;) {
			char type[64];
			size_t rest, before = der.len;
			if (!tg_rego_go_pem_decode(t, tn, type, sizeof(type), &der, &rest))
				break;
			t += rest;
			tn -= rest;
			if (strcmp(type, "CERTIFICATE") != 0) {
				tg_buf_truncate(&der, before);
				continue;
			}
			if ((r = tg_rego_bi_list_add(&ders, j_b64(c->a, der.data + before, der.len - before))) !=
			    TG_OK)
				goto out;
			if (!leaf) {
				const unsigned char *p = der.data + before;
				leaf = d2i_X509(NULL, &p, (long)(der.len - before));
				if (!leaf) {
					r = tg_rego_bi_fail(c, "x509: malformed certificate");
					goto out;
				}
				if ((r = tg_rego_x509_json(c, der.data + before, der.len - before, false,
							   &leafj)) != TG_OK) {
					r = tg_rego_bi_fail(c, "x509: malformed certificate");
					goto out;
				}
			}
		}
	} else if (cn > 0) {
		const unsigned char *p = (const unsigned char *)cs;
		leaf = d2i_X509(NULL, &p, (long)cn);
		if (!leaf || (r = tg_rego_x509_json(c, (const uint8_t *)cs, cn, false, &leafj)) != TG_OK) {
			r = tg_rego_bi_fail(c, "x509: malformed certificate");
			goto out;
		}
		if ((r = tg_rego_bi_list_add(&ders, j_b64(c->a, (const uint8_t *)cs, cn))) != TG_OK)
			goto out;
	}
	if (!leaf) {
		r = tg_rego_bi_fail(c, "tls: failed to find any PEM data in certificate input");
		goto out;
	}
	/* the key: the first "... PRIVATE KEY" block (or the DER as PKCS#8) */
	if (key_pem) {
		const char *t = ks;
		size_t tn = kn;
		for (;;) {
			char type[64];
			size_t rest, tl;
			struct tg_buf kd = TG_BUF_INIT(TG_LIMIT_DER);
			if (!tg_rego_go_pem_decode(t, tn, type, sizeof(type), &kd, &rest)) {
				tg_buf_release_wipe(&kd);
				break;
			}
			t += rest;
			tn -= rest;
			tl = strlen(type);
			if (strcmp(type, "PRIVATE KEY") == 0 ||
			    (tl > 12 && strcmp(type + tl - 12, " PRIVATE KEY") == 0)) {
				key = parse_privkey(type, kd.data, kd.len);
				tg_buf_release_wipe(&kd);
				if (!key) {
					r = tg_rego_bi_fail(c, "tls: failed to parse private key");
					goto out;
				}
				break;
			}
			tg_buf_release_wipe(&kd);
		}
	} else if (kn > 0) {
		key = parse_privkey("PRIVATE KEY", (const uint8_t *)ks, kn);
		if (!key) {
			r = tg_rego_bi_fail(c, "tls: failed to parse private key");
			goto out;
		}
	}
	if (!key) {
		r = tg_rego_bi_fail(c, "tls: failed to find any PEM data in key input");
		goto out;
	}
	{
		EVP_PKEY *pub = X509_get0_pubkey(leaf);
		if (!pub || EVP_PKEY_get_base_id(pub) != EVP_PKEY_get_base_id(key)) {
			r = tg_rego_bi_fail(c, "tls: private key type does not match public key type");
			goto out;
		}
		if (EVP_PKEY_eq(pub, key) != 1) {
			r = tg_rego_bi_fail(c, "tls: private key does not match public key");
			goto out;
		}
	}
	if (privkey_json(c->a, key, &keyj) != TG_OK) {
		r = tg_rego_bi_fail(c, "tls: unknown private key type");
		goto out;
	}
	obj_init(&o, c->a);
	{
		const struct tg_json *certs;
		if ((r = tg_rego_bi_list_array(&ders, &certs)) != TG_OK)
			goto out;
		obj_put(&o, "Certificate", certs);
	}
	obj_put(&o, "PrivateKey", keyj);
	obj_put(&o, "SupportedSignatureAlgorithms", &tg_json_null_v);
	obj_put(&o, "OCSPStaple", &tg_json_null_v);
	obj_put(&o, "SignedCertificateTimestamps", &tg_json_null_v);
	obj_put(&o, "Leaf", leafj);
	r = obj_done(&o, out);
out:
	X509_free(leaf);
	EVP_PKEY_free(key);
	tg_buf_release_wipe(&cdec);
	tg_buf_release_wipe(&kdec);
	tg_buf_release(&der);
	return r;
}
