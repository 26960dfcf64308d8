/* SPDX-License-Identifier: Apache-2.0 */
/*
 * workload_pb.c - protobuf wire format for the SPIFFE Workload API
 * messages (and google.protobuf.Struct), and gRPC message framing. Every
 * read goes through a length check; the rules are listed in workload_pb.h.
 */
#include "identity/workload_pb.h"

#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "core/utf8.h"

/* ------------------------------------------------------------------ */
/* Reading                                                             */
/* ------------------------------------------------------------------ */

struct pb_rd {
	const uint8_t *p;
	size_t n;
	size_t off;
	size_t base;          /* offset of p in the whole input (diagnostics) */
	struct tg_diag *d;
};

static void rd_init(struct pb_rd *r, const uint8_t *p, size_t n, size_t base, struct tg_diag *d)
{
	r->p = p;
	r->n = n;
	r->off = 0;
	r->base = base;
	r->d = d;
}

/* A reader over a sub-message span that lies inside r's input. */
static void rd_sub(const struct pb_rd *r, const struct tg_wlpb_bytes *b, struct pb_rd *sub)
{
	rd_init(sub, b->p, b->n, r->base + (size_t)(b->p - r->p), r->d);
}

static tg_err rd_fail(struct pb_rd *r, tg_err e, const char *what)
{
	tg_diag_at(r->d, 0, 0, r->base + r->off, "%s at byte %zu", what, r->base + r->off);
	return e;
}

static tg_err rd_varint(struct pb_rd *r, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;
	for (i = 0; i < 10; i++) {
		uint8_t b;
		if (r->off >= r->n)
			return rd_fail(r, TG_E_PARSE, "truncated varint");
		b = r->p[r->off];
		if (i == 9 && b > 1)
			return rd_fail(r, TG_E_PARSE, "varint longer than 64 bits");
		r->off++;
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*out = v;
			return TG_OK;
		}
	}
	return rd_fail(r, TG_E_PARSE, "varint longer than 10 bytes");
}

static tg_err rd_tag(struct pb_rd *r, uint32_t *field, int *wt)
{
	uint64_t v;
	tg_err e = rd_varint(r, &v);
	if (e != TG_OK)
		return e;
	if (v > UINT32_MAX || (v >> 3) == 0 || (v >> 3) > 0x1fffffff)
		return rd_fail(r, TG_E_PARSE, "invalid field number");
	if ((v & 7) > TG_WLPB_WT_I32)
		return rd_fail(r, TG_E_PARSE, "invalid wire type");
	*field = (uint32_t)(v >> 3);
	*wt = (int)(v & 7);
	return TG_OK;
}

static tg_err rd_fixed(struct pb_rd *r, size_t k, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;
	if (k > r->n - r->off)
		return rd_fail(r, TG_E_PARSE, "truncated fixed-size field");
	for (i = 0; i < k; i++)
		v |= (uint64_t)r->p[r->off + i] << (8 * i);
	r->off += k;
	*out = v;
	return TG_OK;
}

static tg_err rd_len(struct pb_rd *r, struct tg_wlpb_bytes *out)
{
	uint64_t len;
	tg_err e = rd_varint(r, &len);
	if (e != TG_OK)
		return e;
	if (len > r->n - r->off)
		return rd_fail(r, TG_E_PARSE, "length-delimited field runs past its message");
	out->p = r->p + r->off;
	out->n = (size_t)len;
	r->off += (size_t)len;
	return TG_OK;
}

static tg_err rd_skip(struct pb_rd *r, uint32_t field, int wt, unsigned depth)
{
	uint64_t v;
	struct tg_wlpb_bytes b;
	switch (wt) {
	case TG_WLPB_WT_VARINT:
		return rd_varint(r, &v);
	case TG_WLPB_WT_I64:
		return rd_fixed(r, 8, &v);
	case TG_WLPB_WT_I32:
		return rd_fixed(r, 4, &v);
	case TG_WLPB_WT_LEN:
		return rd_len(r, &b);
	case TG_WLPB_WT_SGROUP:
		if (depth >= TG_WLPB_MAX_DEPTH)
			return rd_fail(r, TG_E_DEPTH, "groups nested too deeply");
		for (;;) {
			uint32_t f;
			int w;
			tg_err e = rd_tag(r, &f, &w);
			if (e != TG_OK)
				return e;
			if (w == TG_WLPB_WT_EGROUP) {
				if (f != field)
					return rd_fail(r, TG_E_PARSE, "end-group of another field");
				return TG_OK;
			}
			e = rd_skip(r, f, w, depth + 1);
			if (e != TG_OK)
				return e;
		}
	default: /* an end-group without its start */
		return rd_fail(r, TG_E_PARSE, "unexpected end-group");
	}
}

static tg_err rd_expect(struct pb_rd *r, int wt, int want)
{
	if (wt != want)
		return rd_fail(r, TG_E_PARSE, "known field with the wrong wire type");
	return TG_OK;
}

/* A length-delimited field that must be a string: valid UTF-8. */
static tg_err rd_string(struct pb_rd *r, int wt, struct tg_wlpb_bytes *out)
{
	struct tg_wlpb_bytes b;
	size_t bad;
	tg_err e = rd_expect(r, wt, TG_WLPB_WT_LEN);
	if (e == TG_OK)
		e = rd_len(r, &b);
	if (e != TG_OK)
		return e;
	if (!tg_utf8_valid(b.p, b.n, &bad)) {
		r->off -= b.n - bad;
		return rd_fail(r, TG_E_ENCODING, "string field is not valid UTF-8");
	}
	*out = b;
	return TG_OK;
}

static tg_err rd_bytes(struct pb_rd *r, int wt, struct tg_wlpb_bytes *out)
{
	tg_err e = rd_expect(r, wt, TG_WLPB_WT_LEN);
	if (e != TG_OK)
		return e;
	return rd_len(r, out);
}

/* Appends one zeroed element of size sz to an arena array that grows by
 * doubling (the count comes from bytes seen, never from the input). */
static tg_err arr_push(struct pb_rd *r, struct tg_arena *a, void **arr, size_t *n, size_t *cap,
		       size_t sz, void **slot)
{
	if (*n >= TG_WLPB_MAX_REPEATED)
		return rd_fail(r, TG_E_TOOBIG, "too many elements in a repeated field");
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		void *np;
		if (ncap > TG_WLPB_MAX_REPEATED)
			ncap = TG_WLPB_MAX_REPEATED;
		np = tg_arena_alloc_array(a, ncap, sz);
		if (!np)
			return rd_fail(r, TG_E_TOOBIG, "arena cap reached");
		if (*n)
			memcpy(np, *arr, *n * sz);
		*arr = np;
		*cap = ncap;
	}
	*slot = (uint8_t *)*arr + *n * sz;
	memset(*slot, 0, sz);
	(*n)++;
	return TG_OK;
}

static tg_err rd_check_size(const uint8_t *p, size_t n, struct tg_diag *d)
{
	(void)p;
	if (n > TG_WLPB_MAX_MESSAGE) {
		tg_diag_set(d, "message of %zu bytes exceeds the %zu-byte cap", n,
			    (size_t)TG_WLPB_MAX_MESSAGE);
		return TG_E_TOOBIG;
	}
	return TG_OK;
}

static bool bytes_eq(const struct tg_wlpb_bytes *a, const struct tg_wlpb_bytes *b)
{
	return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

/* Decodes a map<string, bytes> entry and adds it (a repeated key replaces
 * the earlier entry's value, as protobuf's last-one-wins). */
static tg_err rd_map_entry(struct pb_rd *r, int wt, struct tg_arena *a,
			   struct tg_wlpb_map_entry **arr, size_t *n, size_t *cap)
{
	struct tg_wlpb_bytes span;
	struct tg_wlpb_map_entry ent = {{NULL, 0}, {NULL, 0}};
	struct pb_rd sub;
	size_t i;
	void *slot;
	tg_err e = rd_bytes(r, wt, &span);
	if (e != TG_OK)
		return e;
	rd_sub(r, &span, &sub);
	while (sub.off < sub.n) {
		uint32_t f;
		int w;
		if ((e = rd_tag(&sub, &f, &w)) != TG_OK)
			return e;
		if (f == TG_WLPB_MAPENTRY_KEY)
			e = rd_string(&sub, w, &ent.key);
		else if (f == TG_WLPB_MAPENTRY_VALUE)
			e = rd_bytes(&sub, w, &ent.value);
		else
			e = rd_skip(&sub, f, w, 0);
		if (e != TG_OK)
			return e;
	}
	for (i = 0; i < *n; i++) {
		if (bytes_eq(&(*arr)[i].key, &ent.key)) {
			(*arr)[i].value = ent.value;
			return TG_OK;
		}
	}
	e = arr_push(r, a, (void **)arr, n, cap, sizeof(**arr), &slot);
	if (e != TG_OK)
		return e;
	*(struct tg_wlpb_map_entry *)slot = ent;
	return TG_OK;
}

static tg_err rd_bytes_push(struct pb_rd *r, int wt, struct tg_arena *a, struct tg_wlpb_bytes **arr,
			    size_t *n, size_t *cap, bool is_string)
{
	struct tg_wlpb_bytes b;
	void *slot;
	tg_err e = is_string ? rd_string(r, wt, &b) : rd_bytes(r, wt, &b);
	if (e != TG_OK)
		return e;
	e = arr_push(r, a, (void **)arr, n, cap, sizeof(**arr), &slot);
	if (e != TG_OK)
		return e;
	*(struct tg_wlpb_bytes *)slot = b;
	return TG_OK;
}

/* ------------------------------------------------------------------ */
/* Decoders of the Workload API messages                               */
/* ------------------------------------------------------------------ */

tg_err tg_wlpb_empty_decode(const uint8_t *p, size_t n, struct tg_diag *d)
{
	struct pb_rd r;
	tg_err e = rd_check_size(p, n, d);
	if (e != TG_OK)
		return e;
	rd_init(&r, p, n, 0, d);
	while (r.off < r.n) {
		uint32_t f;
		int w;
		if ((e = rd_tag(&r, &f, &w)) != TG_OK || (e = rd_skip(&r, f, w, 0)) != TG_OK)
			return e;
	}
	return TG_OK;
}

tg_err tg_wlpb_jwt_svid_request_decode(const uint8_t *p, size_t n, struct tg_arena *a,
				       struct tg_wlpb_jwt_svid_request *out, struct tg_diag *d)
{
	struct tg_wlpb_jwt_svid_request m;
	struct pb_rd r;
	size_t cap = 0;
	tg_err e = rd_check_size(p, n, d);
	if (e != TG_OK)
		return e;
	memset(&m, 0, sizeof(m));
	rd_init(&r, p, n, 0, d);
	while (r.off < r.n) {
		uint32_t f;
		int w;
		if ((e = rd_tag(&r, &f, &w)) != TG_OK)
			return e;
		switch (f) {
		case TG_WLPB_JWTSVIDREQUEST_AUDIENCE:
			e = rd_bytes_push(&r, w, a, &m.audience, &m.naudience, &cap, true);
			break;
		case TG_WLPB_JWTSVIDREQUEST_SPIFFE_ID:
			e = rd_string(&r, w, &m.spiffe_id);
			break;
		default:
			e = rd_skip(&r, f, w, 0);
		}
		if (e != TG_OK)
			return e;
	}
	*out = m;
	return TG_OK;
}

tg_err tg_wlpb_validate_request_decode(const uint8_t *p, size_t n,
				       struct tg_wlpb_validate_request *out, struct tg_diag *d)
{
	struct tg_wlpb_validate_request m;
	struct pb_rd r;
	tg_err e = rd_check_size(p, n, d);
	if (e != TG_OK)
		return e;
	memset(&m, 0, sizeof(m));
	rd_init(&r, p, n, 0, d);
	while (r.off < r.n) {
		uint32_t f;
		int w;
		if ((e = rd_tag(&r, &f, &w)) != TG_OK)
			return e;
		switch (f) {
		case TG_WLPB_VALIDATEJWTSVIDREQUEST_AUDIENCE:
			e = rd_string(&r, w, &m.audience);
			break;
		case TG_WLPB_VALIDATEJWTSVIDREQUEST_SVID:
			e = rd_string(&r, w, &m.svid);
			break;
		default:
			e = rd_skip(&r, f, w, 0);
		}
		if (e != TG_OK)
			return e;
	}
	*out = m;
	return TG_OK;
}

static tg_err rd_x509_svid(struct pb_rd *r, int wt, struct tg_wlpb_x509_svid *out)
{
	struct tg_wlpb_bytes span;
	struct pb_rd sub;
	tg_err e = rd_bytes(r, wt, &span);
	if (e != TG_OK)
		return e;
	rd_sub(r, &span, &sub);
	while (sub.off < sub.n) {
		uint32_t f;
		int w;
		if ((e = rd_tag(&sub, &f, &w)) != TG_OK)
			return e;
		switch (f) {
		case TG_WLPB_X509SVID_SPIFFE_ID:
			e = rd_string(&sub, w, &out->spiffe_id);
			break;
		case TG_WLPB_X509SVID_X509_SVID:
			e = rd_bytes(&sub, w, &out->x509_svid);
			break;
		case TG_WLPB_X509SVID_X509_SVID_KEY:
			e = rd_bytes(&sub, w, &out->x509_svid_key);
			break;
		case TG_WLPB_X509SVID_BUNDLE:
			e = rd_bytes(&sub, w, &out->bundle);
			break;
		case TG_WLPB_X509SVID_HINT:
			e = rd_string(&sub, w, &out->hint);
			break;
		default:
			e = rd_skip(&sub, f, w, 0);
		}
		if (e != TG_OK)
			return e;
	}
	return TG_OK;
}

tg_err tg_wlpb_x509_svid_response_decode(const uint8_t *p, size_t n, struct tg_arena *a,
					 struct tg_wlpb_x509_svid_response *out,
					 struct tg_diag *d)
{
	struct tg_wlpb_x509_svid_response m;
	struct pb_rd r;
	size_t cap_s = 0, cap_c = 0, cap_f = 0;
	tg_err e = rd_check_size(p, n, d);
	if (e != TG_OK)
		return e;
	memset(&m, 0, sizeof(m));
	rd_init(&r, p, n, 0, d);
	while (r.off < r.n) {
		uint32_t f;
		int w;
		void *slot;
		if ((e = rd_tag(&r, &f, &w)) != TG_OK)
			return e;
		switch (f) {
		case TG_WLPB_X509SVIDRESPONSE_SVIDS:
			e = arr_push(&r, a, (void **)&m.svids, &m.nsvids, &cap_s, sizeof(*m.svids),
				     &slot);
			if (e == TG_OK)
				e = rd_x509_svid(&r, w, slot);
			break;
		case TG_WLPB_X509SVIDRESPONSE_CRL:
			e = rd_bytes_push(&r, w, a, &m.crl, &m.ncrl, &cap_c, false);
			break;
		case TG_WLPB_X509SVIDRESPONSE_FEDERATED_BUNDLES:
			e = rd_map_entry(&r, w, a, &m.federated_bundles, &m.nfederated_bundles,
					 &cap_f);
			break;
		default:
			e = rd_skip(&r, f, w, 0);
		}
		if (e != TG_OK)
			return e;
	}
	*out = m;
	return TG_OK;
}

tg_err tg_wlpb_x509_bundles_response_decode(const uint8_t *p, size_t n, struct tg_arena *a,
					    struct tg_wlpb_x509_bundles_response *out,
					    struct tg_diag *d)
{
	struct tg_wlpb_x509_bundles_response m;
	struct pb_rd r;
	size_t cap_c = 0, cap_b = 0;
	tg_err e = rd_check_size(p, n, d);
	if (e != TG_OK)
		return e;
	memset(&m, 0, sizeof(m));
	rd_init(&r, p, n, 0, d);
	while (r.off < r.n) {
		uint32_t f;
		int w;
		if ((e = rd_tag(&r, &f, &w)) != TG_OK)
			return e;
		switch (f) {
		case TG_WLPB_X509BUNDLESRESPONSE_CRL:
			e = rd_bytes_push(&r, w, a, &m.crl, &m.ncrl, &cap_c, false);
			break;
		case TG_WLPB_X509BUNDLESRESPONSE_BUNDLES:
			e = rd_map_entry(&r, w, a, &m.bundles, &m.nbundles, &cap_b);
			break;
		default:
			e = rd_skip(&r, f, w, 0);
		}
		if (e != TG_OK)
			return e;
	}
	*out = m;
	return TG_OK;
}

static tg_err rd_jwt_svid(struct pb_rd *r, int wt, struct tg_wlpb_jwt_svid *out)
{
	struct tg_wlpb_bytes span;
	struct pb_rd sub;
	tg_err e = rd_bytes(r, wt, &span);
	if (e != TG_OK)
		return e;
	rd_sub(r, &span, &sub);
	while (sub.off < sub.n) {
		uint32_t f;
		int w;
		if ((e = rd_tag(&sub, &f, &w)) != TG_OK)
			return e;
		switch (f) {
		case TG_WLPB_JWTSVID_SPIFFE_ID:
			e = rd_string(&sub, w, &out->spiffe_id);
			break;
		case TG_WLPB_JWTSVID_SVID:
			e = rd_string(&sub, w, &out->svid);
			break;
		case TG_WLPB_JWTSVID_HINT:
			e = rd_string(&sub, w, &out->hint);
			break;
		default:
			e = rd_skip(&sub, f, w, 0);
		}
		if (e != TG_OK)
			return e;
	}
	return TG_OK;
}

tg_err tg_wlpb_jwt_svid_response_decode(const uint8_t *p, size_t n, struct tg_arena *a,
					struct tg_wlpb_jwt_svid_response *out, struct tg_diag *d)
{
	struct tg_wlpb_jwt_svid_response m;
	struct pb_rd r;
	size_t cap = 0;
	tg_err e = rd_check_size(p, n, d);
	if (e != TG_OK)
		return e;
	memset(&m, 0, sizeof(m));
	rd_init(&r, p, n, 0, d);
	while (r.off < r.n) {
		uint32_t f;
		int w;
		void *slot;
		if ((e = rd_tag(&r, &f, &w)) != TG_OK)
			return e;
		if (f == TG_WLPB_JWTSVIDRESPONSE_SVIDS) {
			e = arr_push(&r, a, (void **)&m.svids, &m.nsvids, &cap, sizeof(*m.svids),
				     &slot);
			if (e == TG_OK)
				e = rd_jwt_svid(&r, w, slot);
		} else {
			e = rd_skip(&r, f, w, 0);
		}
		if (e != TG_OK)
			return e;
	}
	*out = m;
	return TG_OK;
}

tg_err tg_wlpb_jwt_bundles_response_decode(const uint8_t *p, size_t n, struct tg_arena *a,
					   struct tg_wlpb_jwt_bundles_response *out,
					   struct tg_diag *d)
{
	struct tg_wlpb_jwt_bundles_response m;
	struct pb_rd r;
	size_t cap = 0;
	tg_err e = rd_check_size(p, n, d);
	if (e != TG_OK)
		return e;
	memset(&m, 0, sizeof(m));
	rd_init(&r, p, n, 0, d);
	while (r.off < r.n) {
		uint32_t f;
		int w;
		if ((e = rd_tag(&r, &f, &w)) != TG_OK)
			return e;
		if (f == TG_WLPB_JWTBUNDLESRESPONSE_BUNDLES)
			e = rd_map_entry(&r, w, a, &m.bundles, &m.nbundles, &cap);
		else
			e = rd_skip(&r, f, w, 0);
		if (e != TG_OK)
			return e;
	}
	*out = m;
	return TG_OK;
}

/* ---- google.protobuf.Struct into JSON ---- */

static tg_err rd_struct(struct pb_rd *r, struct tg_arena *a, unsigned depth,
			const struct tg_json **out);

static tg_err rd_list(struct pb_rd *r, struct tg_arena *a, unsigned depth,
		      const struct tg_json **out);

static tg_err rd_value(struct pb_rd *r, struct tg_arena *a, unsigned depth,
		       const struct tg_json **out)
{
	const struct tg_json *v = NULL;
	bool seen_struct = false, seen_list = false;
	tg_err e;
	if (depth >= TG_WLPB_MAX_DEPTH)
		return rd_fail(r, TG_E_DEPTH, "Struct nested too deeply");
	while (r->off < r->n) {
		uint32_t f;
		int w;
		uint64_t u;
		struct tg_wlpb_bytes b;
		struct pb_rd sub;
		if ((e = rd_tag(r, &f, &w)) != TG_OK)
			return e;
		switch (f) {
		case TG_WLPB_VALUE_NULL:
			if ((e = rd_expect(r, w, TG_WLPB_WT_VARINT)) != TG_OK ||
			    (e = rd_varint(r, &u)) != TG_OK)
				return e;
			v = &tg_json_null_v; /* NullValue has one member; proto3 enums are open */
			break;
		case TG_WLPB_VALUE_NUMBER: {
			double x;
			struct tg_buf num = TG_BUF_INIT(64);
			if ((e = rd_expect(r, w, TG_WLPB_WT_I64)) != TG_OK ||
			    (e = rd_fixed(r, 8, &u)) != TG_OK)
				return e;
			memcpy(&x, &u, sizeof(x));
			if (!isfinite(x))
				return rd_fail(r, TG_E_PARSE, "number_value is not finite");
			e = tg_json_format_double(&num, x);
			if (e == TG_OK)
				e = tg_json_new_number(a, (const char *)num.data, num.len, &v);
			tg_buf_release(&num);
			if (e != TG_OK)
				return rd_fail(r, e, "cannot build number");
			break;
		}
		case TG_WLPB_VALUE_STRING:
			if ((e = rd_string(r, w, &b)) != TG_OK)
				return e;
			if ((e = tg_json_new_string(a, (const char *)b.p, b.n, &v)) != TG_OK)
				return rd_fail(r, e, "cannot build string");
			break;
		case TG_WLPB_VALUE_BOOL:
			if ((e = rd_expect(r, w, TG_WLPB_WT_VARINT)) != TG_OK ||
			    (e = rd_varint(r, &u)) != TG_OK)
				return e;
			v = tg_json_bool(u != 0);
			break;
		case TG_WLPB_VALUE_STRUCT:
		case TG_WLPB_VALUE_LIST:
			if ((f == TG_WLPB_VALUE_STRUCT && seen_struct) ||
			    (f == TG_WLPB_VALUE_LIST && seen_list))
				return rd_fail(r, TG_E_PARSE, "singular message field repeated");
			if ((e = rd_bytes(r, w, &b)) != TG_OK)
				return e;
			rd_sub(r, &b, &sub);
			if (f == TG_WLPB_VALUE_STRUCT) {
				seen_struct = true;
				e = rd_struct(&sub, a, depth + 1, &v);
			} else {
				seen_list = true;
				e = rd_list(&sub, a, depth + 1, &v);
			}
			if (e != TG_OK)
				return e;
			break;
		default:
			if ((e = rd_skip(r, f, w, depth)) != TG_OK)
				return e;
		}
	}
	if (!v)
		return rd_fail(r, TG_E_PARSE, "Value with no member set");
	*out = v;
	return TG_OK;
}

static tg_err rd_struct(struct pb_rd *r, struct tg_arena *a, unsigned depth,
			const struct tg_json **out)
{
	struct tg_json_member *mem = NULL;
	size_t n = 0, cap = 0;
	tg_err e;
	if (depth >= TG_WLPB_MAX_DEPTH)
		return rd_fail(r, TG_E_DEPTH, "Struct nested too deeply");
	while (r->off < r->n) {
		uint32_t f;
		int w;
		struct tg_wlpb_bytes span, key = {NULL, 0}, vspan = {NULL, 0};
		const struct tg_json *k = NULL, *v = NULL;
		bool have_value = false;
		struct pb_rd sub, vsub;
		void *slot;
		if ((e = rd_tag(r, &f, &w)) != TG_OK)
			return e;
		if (f != TG_WLPB_STRUCT_FIELDS) {
			if ((e = rd_skip(r, f, w, depth)) != TG_OK)
				return e;
			continue;
		}
		if ((e = rd_bytes(r, w, &span)) != TG_OK)
			return e;
		rd_sub(r, &span, &sub);
		while (sub.off < sub.n) {
			uint32_t ef;
			int ew;
			if ((e = rd_tag(&sub, &ef, &ew)) != TG_OK)
				return e;
			if (ef == TG_WLPB_MAPENTRY_KEY) {
				e = rd_string(&sub, ew, &key);
			} else if (ef == TG_WLPB_MAPENTRY_VALUE) {
				if (have_value)
					return rd_fail(&sub, TG_E_PARSE,
						       "singular message field repeated");
				have_value = true;
				e = rd_bytes(&sub, ew, &vspan);
			} else {
				e = rd_skip(&sub, ef, ew, depth);
			}
			if (e != TG_OK)
				return e;
		}
		if (!have_value)
			return rd_fail(&sub, TG_E_PARSE, "Value with no member set");
		rd_sub(&sub, &vspan, &vsub);
		if ((e = rd_value(&vsub, a, depth + 1, &v)) != TG_OK)
			return e;
		if ((e = tg_json_new_string(a, (const char *)key.p, key.n, &k)) != TG_OK)
			return rd_fail(r, e, "cannot build key");
		if ((e = arr_push(r, a, (void **)&mem, &n, &cap, sizeof(*mem), &slot)) != TG_OK)
			return e;
		((struct tg_json_member *)slot)->key = k;
		((struct tg_json_member *)slot)->val = v;
	}
	e = tg_json_new_object(a, mem, n, TG_JSON_DUP_LAST, out);
	if (e != TG_OK)
		return rd_fail(r, e, "cannot build object");
	return TG_OK;
}

static tg_err rd_list(struct pb_rd *r, struct tg_arena *a, unsigned depth,
		      const struct tg_json **out)
{
	const struct tg_json **items = NULL;
	size_t n = 0, cap = 0;
	tg_err e;
	if (depth >= TG_WLPB_MAX_DEPTH)
		return rd_fail(r, TG_E_DEPTH, "ListValue nested too deeply");
	while (r->off < r->n) {
		uint32_t f;
		int w;
		struct tg_wlpb_bytes span;
		struct pb_rd sub;
		void *slot;
		const struct tg_json *v = NULL;
		if ((e = rd_tag(r, &f, &w)) != TG_OK)
			return e;
		if (f != TG_WLPB_LISTVALUE_VALUES) {
			if ((e = rd_skip(r, f, w, depth)) != TG_OK)
				return e;
			continue;
		}
		if ((e = rd_bytes(r, w, &span)) != TG_OK)
			return e;
		rd_sub(r, &span, &sub);
		if ((e = rd_value(&sub, a, depth + 1, &v)) != TG_OK)
			return e;
		if ((e = arr_push(r, a, (void **)&items, &n, &cap, sizeof(*items), &slot)) != TG_OK)
			return e;
		*(const struct tg_json **)slot = v;
	}
	e = tg_json_new_array(a, items, n, out);
	if (e != TG_OK)
		return rd_fail(r, e, "cannot build array");
	return TG_OK;
}

tg_err tg_wlpb_validate_response_decode(const uint8_t *p, size_t n, struct tg_arena *a,
					struct tg_wlpb_validate_response *out, struct tg_diag *d)
{
	struct tg_wlpb_validate_response m;
	struct pb_rd r;
	tg_err e = rd_check_size(p, n, d);
	if (e != TG_OK)
		return e;
	memset(&m, 0, sizeof(m));
	rd_init(&r, p, n, 0, d);
	while (r.off < r.n) {
		uint32_t f;
		int w;
		struct tg_wlpb_bytes span;
		struct pb_rd sub;
		if ((e = rd_tag(&r, &f, &w)) != TG_OK)
			return e;
		switch (f) {
		case TG_WLPB_VALIDATEJWTSVIDRESPONSE_SPIFFE_ID:
			e = rd_string(&r, w, &m.spiffe_id);
			break;
		case TG_WLPB_VALIDATEJWTSVIDRESPONSE_CLAIMS:
			if (m.claims)
				return rd_fail(&r, TG_E_PARSE, "singular message field repeated");
			if ((e = rd_bytes(&r, w, &span)) != TG_OK)
				return e;
			rd_sub(&r, &span, &sub);
			e = rd_struct(&sub, a, 0, &m.claims);
			break;
		default:
			e = rd_skip(&r, f, w, 0);
		}
		if (e != TG_OK)
			return e;
	}
	*out = m;
	return TG_OK;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

static tg_err wr_varint(struct tg_buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;
	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		tmp[n++] = (uint8_t)(c | (v ? 0x80 : 0));
	} while (v);
	return tg_buf_add(b, tmp, n);
}

static tg_err wr_tag(struct tg_buf *b, uint32_t field, int wt)
{
	return wr_varint(b, ((uint64_t)field << 3) | (uint64_t)wt);
}

/* A length-delimited field; always written (repeated elements, oneof
 * members, map entries and sub-messages are written even when empty). */
static tg_err wr_len_always(struct tg_buf *b, uint32_t field, const void *p, size_t n)
{
	tg_err e = wr_tag(b, field, TG_WLPB_WT_LEN);
	if (e == TG_OK)
		e = wr_varint(b, n);
	if (e == TG_OK && n)
		e = tg_buf_add(b, p, n);
	return e;
}

/* A singular proto3 string or bytes field: left out when empty. */
static tg_err wr_len(struct tg_buf *b, uint32_t field, const struct tg_wlpb_bytes *v)
{
	if (v->n == 0)
		return TG_OK;
	return wr_len_always(b, field, v->p, v->n);
}

static tg_err wr_map(struct tg_buf *b, uint32_t field, const struct tg_wlpb_map_entry *m, size_t n)
{
	struct tg_buf ent = TG_BUF_INIT(TG_WLPB_MAX_MESSAGE);
	tg_err e = TG_OK;
	size_t i;
	for (i = 0; i < n && e == TG_OK; i++) {
		tg_buf_reset(&ent);
		e = wr_len(&ent, TG_WLPB_MAPENTRY_KEY, &m[i].key);
		if (e == TG_OK)
			e = wr_len(&ent, TG_WLPB_MAPENTRY_VALUE, &m[i].value);
		if (e == TG_OK)
			e = wr_len_always(b, field, ent.data, ent.len);
	}
	tg_buf_release(&ent);
	return e;
}

static tg_err wr_bytes_list(struct tg_buf *b, uint32_t field, const struct tg_wlpb_bytes *v, size_t n)
{
	tg_err e = TG_OK;
	size_t i;
	for (i = 0; i < n && e == TG_OK; i++)
		e = wr_len_always(b, field, v[i].p, v[i].n);
	return e;
}

/* Finishes an encoder: checks the message cap, rolls back on error. */
static tg_err wr_done(struct tg_buf *out, size_t start, tg_err e)
{
	if (e == TG_OK && out->len - start > TG_WLPB_MAX_MESSAGE)
		e = TG_E_TOOBIG;
	if (e != TG_OK)
		tg_buf_truncate(out, start);
	return e;
}

tg_err tg_wlpb_x509_svid_response_encode(const struct tg_wlpb_x509_svid_response *m,
					 struct tg_buf *out)
{
	/* the sub-message holds a private key: wiped when released */
	struct tg_buf sv = TG_BUF_INIT(TG_WLPB_MAX_MESSAGE);
	size_t start = out->len, i;
	tg_err e = TG_OK;
	for (i = 0; i < m->nsvids && e == TG_OK; i++) {
		const struct tg_wlpb_x509_svid *s = &m->svids[i];
		tg_buf_reset(&sv);
		e = wr_len(&sv, TG_WLPB_X509SVID_SPIFFE_ID, &s->spiffe_id);
		if (e == TG_OK)
			e = wr_len(&sv, TG_WLPB_X509SVID_X509_SVID, &s->x509_svid);
		if (e == TG_OK)
			e = wr_len(&sv, TG_WLPB_X509SVID_X509_SVID_KEY, &s->x509_svid_key);
		if (e == TG_OK)
			e = wr_len(&sv, TG_WLPB_X509SVID_BUNDLE, &s->bundle);
		if (e == TG_OK)
			e = wr_len(&sv, TG_WLPB_X509SVID_HINT, &s->hint);
		if (e == TG_OK)
			e = wr_len_always(out, TG_WLPB_X509SVIDRESPONSE_SVIDS, sv.data, sv.len);
	}
	if (e == TG_OK)
		e = wr_bytes_list(out, TG_WLPB_X509SVIDRESPONSE_CRL, m->crl, m->ncrl);
	if (e == TG_OK)
		e = wr_map(out, TG_WLPB_X509SVIDRESPONSE_FEDERATED_BUNDLES, m->federated_bundles,
			   m->nfederated_bundles);
	tg_buf_release_wipe(&sv);
	return wr_done(out, start, e);
}

tg_err tg_wlpb_x509_bundles_response_encode(const struct tg_wlpb_x509_bundles_response *m,
					    struct tg_buf *out)
{
	size_t start = out->len;
	tg_err e = wr_bytes_list(out, TG_WLPB_X509BUNDLESRESPONSE_CRL, m->crl, m->ncrl);
	if (e == TG_OK)
		e = wr_map(out, TG_WLPB_X509BUNDLESRESPONSE_BUNDLES, m->bundles, m->nbundles);
	return wr_done(out, start, e);
}

tg_err tg_wlpb_jwt_svid_request_encode(const struct tg_wlpb_jwt_svid_request *m,
				       struct tg_buf *out)
{
	size_t start = out->len;
	tg_err e = wr_bytes_list(out, TG_WLPB_JWTSVIDREQUEST_AUDIENCE, m->audience, m->naudience);
	if (e == TG_OK)
		e = wr_len(out, TG_WLPB_JWTSVIDREQUEST_SPIFFE_ID, &m->spiffe_id);
	return wr_done(out, start, e);
}

tg_err tg_wlpb_jwt_svid_response_encode(const struct tg_wlpb_jwt_svid_response *m,
					struct tg_buf *out)
{
	struct tg_buf sv = TG_BUF_INIT(TG_WLPB_MAX_MESSAGE);
	size_t start = out->len, i;
	tg_err e = TG_OK;
	for (i = 0; i < m->nsvids && e == TG_OK; i++) {
		const struct tg_wlpb_jwt_svid *s = &m->svids[i];
		tg_buf_reset(&sv);
		e = wr_len(&sv, TG_WLPB_JWTSVID_SPIFFE_ID, &s->spiffe_id);
		if (e == TG_OK)
			e = wr_len(&sv, TG_WLPB_JWTSVID_SVID, &s->svid);
		if (e == TG_OK)
			e = wr_len(&sv, TG_WLPB_JWTSVID_HINT, &s->hint);
		if (e == TG_OK)
			e = wr_len_always(out, TG_WLPB_JWTSVIDRESPONSE_SVIDS, sv.data, sv.len);
	}
	/* a JWT-SVID is a bearer credential: wipe the copy */
	tg_buf_release_wipe(&sv);
	return wr_done(out, start, e);
}

tg_err tg_wlpb_jwt_bundles_response_encode(const struct tg_wlpb_jwt_bundles_response *m,
					   struct tg_buf *out)
{
	size_t start = out->len;
	tg_err e = wr_map(out, TG_WLPB_JWTBUNDLESRESPONSE_BUNDLES, m->bundles, m->nbundles);
	return wr_done(out, start, e);
}

tg_err tg_wlpb_validate_request_encode(const struct tg_wlpb_validate_request *m,
				       struct tg_buf *out)
{
	size_t start = out->len;
	tg_err e = wr_len(out, TG_WLPB_VALIDATEJWTSVIDREQUEST_AUDIENCE, &m->audience);
	if (e == TG_OK)
		e = wr_len(out, TG_WLPB_VALIDATEJWTSVIDREQUEST_SVID, &m->svid);
	return wr_done(out, start, e);
}

/* ---- JSON into google.protobuf.Struct ---- */

static tg_err wr_struct(struct tg_buf *b, const struct tg_json *obj, unsigned depth);

/* Appends the fields of a google.protobuf.Value (not its tag and length). */
static tg_err wr_value(struct tg_buf *b, const struct tg_json *v, unsigned depth)
{
	struct tg_buf sub = TG_BUF_INIT(TG_WLPB_MAX_MESSAGE);
	tg_err e;
	size_t i;
	if (depth >= TG_WLPB_MAX_DEPTH)
		return TG_E_DEPTH;
	switch (v->type) {
	case TG_JSON_NULL:
		e = wr_tag(b, TG_WLPB_VALUE_NULL, TG_WLPB_WT_VARINT);
		if (e == TG_OK)
			e = wr_varint(b, 0);
		return e;
	case TG_JSON_BOOL:
		e = wr_tag(b, TG_WLPB_VALUE_BOOL, TG_WLPB_WT_VARINT);
		if (e == TG_OK)
			e = wr_varint(b, v->u.b ? 1 : 0);
		return e;
	case TG_JSON_NUMBER: {
		double x;
		uint64_t u;
		uint8_t le[8];
		if (tg_json_num_double(v, &x) != TG_OK || !isfinite(x))
			return TG_E_TYPE;
		memcpy(&u, &x, sizeof(u));
		for (i = 0; i < 8; i++)
			le[i] = (uint8_t)(u >> (8 * i));
		e = wr_tag(b, TG_WLPB_VALUE_NUMBER, TG_WLPB_WT_I64);
		if (e == TG_OK)
			e = tg_buf_add(b, le, sizeof(le));
		return e;
	}
	case TG_JSON_STRING:
		return wr_len_always(b, TG_WLPB_VALUE_STRING, v->u.s.p, v->u.s.len);
	case TG_JSON_OBJECT:
		e = wr_struct(&sub, v, depth + 1);
		if (e == TG_OK)
			e = wr_len_always(b, TG_WLPB_VALUE_STRUCT, sub.data, sub.len);
		break;
	case TG_JSON_ARRAY: {
		struct tg_buf item = TG_BUF_INIT(TG_WLPB_MAX_MESSAGE);
		e = TG_OK;
		for (i = 0; i < v->u.a.len && e == TG_OK; i++) {
			tg_buf_reset(&item);
			e = wr_value(&item, v->u.a.items[i], depth + 1);
			if (e == TG_OK)
				e = wr_len_always(&sub, TG_WLPB_LISTVALUE_VALUES, item.data, item.len);
		}
		tg_buf_release(&item);
		if (e == TG_OK)
			e = wr_len_always(b, TG_WLPB_VALUE_LIST, sub.data, sub.len);
		break;
	}
	default:
		e = TG_E_TYPE; /* sets have no Struct form */
	}
	tg_buf_release(&sub);
	return e;
}

/* Appends the fields of a google.protobuf.Struct. */
static tg_err wr_struct(struct tg_buf *b, const struct tg_json *obj, unsigned depth)
{
	struct tg_buf ent = TG_BUF_INIT(TG_WLPB_MAX_MESSAGE);
	struct tg_buf val = TG_BUF_INIT(TG_WLPB_MAX_MESSAGE);
	tg_err e = TG_OK;
	size_t i;
	if (obj->type != TG_JSON_OBJECT)
		return TG_E_TYPE;
	if (depth >= TG_WLPB_MAX_DEPTH)
		return TG_E_DEPTH;
	for (i = 0; i < obj->u.o.len && e == TG_OK; i++) {
		const struct tg_json *k = obj->u.o.items[i].key;
		if (k->type != TG_JSON_STRING) {
			e = TG_E_TYPE;
			break;
		}
		tg_buf_reset(&ent);
		tg_buf_reset(&val);
		e = wr_value(&val, obj->u.o.items[i].val, depth + 1);
		if (e == TG_OK && k->u.s.len)
			e = wr_len_always(&ent, TG_WLPB_MAPENTRY_KEY, k->u.s.p, k->u.s.len);
		if (e == TG_OK)
			e = wr_len_always(&ent, TG_WLPB_MAPENTRY_VALUE, val.data, val.len);
		if (e == TG_OK)
			e = wr_len_always(b, TG_WLPB_STRUCT_FIELDS, ent.data, ent.len);
	}
	tg_buf_release(&ent);
	tg_buf_release(&val);
	return e;
}

tg_err tg_wlpb_validate_response_encode(const struct tg_wlpb_validate_response *m,
					struct tg_buf *out)
{
	struct tg_buf st = TG_BUF_INIT(TG_WLPB_MAX_MESSAGE);
	size_t start = out->len;
	tg_err e = wr_len(out, TG_WLPB_VALIDATEJWTSVIDRESPONSE_SPIFFE_ID, &m->spiffe_id);
	if (e == TG_OK && m->claims) {
		e = wr_struct(&st, m->claims, 0);
		if (e == TG_OK)
			e = wr_len_always(out, TG_WLPB_VALIDATEJWTSVIDRESPONSE_CLAIMS, st.data,
					  st.len);
	}
	tg_buf_release(&st);
	return wr_done(out, start, e);
}

/* ------------------------------------------------------------------ */
/* gRPC framing                                                        */
/* ------------------------------------------------------------------ */

tg_err tg_grpc_frame_add(struct tg_buf *out, const void *msg, size_t n)
{
	uint8_t hdr[TG_GRPC_FRAME_HDR];
	size_t start = out->len;
	tg_err e;
	if (n > UINT32_MAX)
		return TG_E_TOOBIG;
	hdr[0] = 0;
	hdr[1] = (uint8_t)(n >> 24);
	hdr[2] = (uint8_t)(n >> 16);
	hdr[3] = (uint8_t)(n >> 8);
	hdr[4] = (uint8_t)n;
	e = tg_buf_add(out, hdr, sizeof(hdr));
	if (e == TG_OK && n)
		e = tg_buf_add(out, msg, n);
	if (e != TG_OK)
		tg_buf_truncate(out, start);
	return e;
}

tg_err tg_grpc_frame_next(const uint8_t *p, size_t n, size_t max, const uint8_t **msg,
			  size_t *msglen, bool *compressed, size_t *used)
{
	uint32_t len;
	if (n < TG_GRPC_FRAME_HDR)
		return TG_E_AGAIN;
	if (p[0] > 1)
		return TG_E_PARSE;
	len = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
	if (len > max)
		return TG_E_TOOBIG;
	if (len > n - TG_GRPC_FRAME_HDR)
		return TG_E_AGAIN;
	*msg = p + TG_GRPC_FRAME_HDR;
	*msglen = len;
	*compressed = p[0] == 1;
	*used = TG_GRPC_FRAME_HDR + (size_t)len;
	return TG_OK;
}

tg_err tg_grpc_timeout_parse(const char *s, size_t n, int64_t *ms)
{
	int64_t v = 0, r;
	size_t i;
	if (n < 2 || n > 9)
		return TG_E_PARSE;
	for (i = 0; i + 1 < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return TG_E_PARSE;
		v = v * 10 + (s[i] - '0');
	}
	switch (s[n - 1]) {
	case 'H': r = v * 3600000; break;
	case 'M': r = v * 60000; break;
	case 'S': r = v * 1000; break;
	case 'm': r = v; break;
	case 'u': r = (v + 999) / 1000; break;
	case 'n': r = (v + 999999) / 1000000; break;
	default: return TG_E_PARSE;
	}
	*ms = r;
	return TG_OK;
}

tg_err tg_grpc_message_encode(struct tg_buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t start = out->len, i;
	tg_err e = TG_OK;
	for (i = 0; i < n && e == TG_OK; i++) {
		uint8_t c = (uint8_t)s[i];
		if (c >= 0x20 && c <= 0x7e && c != '%') {
			e = tg_buf_addc(out, c);
		} else {
			char t[3] = {'%', hex[c >> 4], hex[c & 15]};
			e = tg_buf_add(out, t, sizeof(t));
		}
	}
	if (e != TG_OK)
		tg_buf_truncate(out, start);
	return e;
}
