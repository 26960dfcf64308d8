/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builtins_aws.c - providers.aws.sign_req: AWS Signature Version 4 over an
 * http.send request object, as OPA's topdown/providers.go and
 * internal/providers/aws (SignV4) compute it, messages included.
 */

/*
 * The signature follows OPA, not the AWS SDK: the canonical URI is Go's
 * URL.EscapedPath() (no second encoding), the query is the raw query as
 * written, header values are not trimmed, and the method is used as given
 * ("get" stays lower case). SigV4 reference:
 * https://docs.aws.amazon.com/general/latest/gr/sigv4_signing.html
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "core/codec.h"
#include "core/limits.h"
#include "crypto/crypto.h"
#include "rego/rego_bi.h"
#include "rego/rego_builtin.h"
#include "rego/rego_http.h"

#define UNUSED_NARGS (void)nargs

/* one header to sign: lower-case name, value */
struct sh {
	const char *name;
	size_t nn;
	const char *val;
	size_t vn;
};

static int sh_cmp(const void *a, const void *b)
{
	const struct sh *x = a, *y = b;
	size_t n = x->nn < y->nn ? x->nn : y->nn;
	int c = memcmp(x->name, y->name, n);
	if (c)
		return c;
	return x->nn < y->nn ? -1 : x->nn > y->nn;
}

static const char *str_of(const struct tg_json *v, size_t *n)
{
	if (v && v->type == TG_JSON_STRING) {
		*n = v->u.s.len;
		return v->u.s.p;
	}
	*n = 0;
	return "";
}

/* "operand pos <what>: {k1, k2}" from the NULL-terminated names listed */
static tg_err names_error(struct tg_rego_bctx *c, const char *what, const char *const *names,
			  size_t n)
{
	struct tg_rego_bi_list l;
	const struct tg_json *set, *k;
	struct tg_buf b = TG_BUF_INIT(TG_DIAG_MSG_MAX);
	tg_err r;
	tg_rego_bi_list_init(&l, c->a);
	for (size_t i = 0; i < n; i++)
		if ((r = tg_json_new_string(c->a, names[i], strlen(names[i]), &k)) != TG_OK ||
		    (r = tg_rego_bi_list_add(&l, k)) != TG_OK)
			return r;
	if ((r = tg_rego_bi_list_set(&l, &set)) != TG_OK)
		return r;
	if (tg_buf_adds(&b, what) == TG_OK)
		(void)!tg_rego_go_term(&b, set);
	tg_diag_set(c->d, "%s", tg_buf_str(&b));
	tg_buf_release(&b);
	return TG_E_TYPE;
}

/* OPA's validateAWSAuthParameters */
static tg_err check_config(struct tg_rego_bctx *c, const struct tg_json *cfg)
{
	static const char *const req[] = {"aws_access_key", "aws_region", "aws_secret_access_key",
					  "aws_service"};
	const char *bad[4];
	size_t nb = 0;
	for (size_t i = 0; i < 4; i++)
		if (!tg_json_get(cfg, req[i]))
			bad[nb++] = req[i];
	if (nb)
		return names_error(c, "operand 2 missing required AWS config parameters(s): ", bad,
				   nb);
	for (size_t i = 0; i < 4; i++)
		if (tg_json_get(cfg, req[i])->type != TG_JSON_STRING)
			bad[nb++] = req[i];
	if (nb)
		return names_error(c, "operand 2 invalid values for required AWS config parameters(s): ",
				   bad, nb);
	return TG_OK;
}

/* Go's json.Number.Int64: strconv.ParseInt of the literal */
static bool literal_i64(const struct tg_json *v, int64_t *out)
{
	const char *s = v->u.s.p;
	size_t n = v->u.s.len, i = 0;
	bool neg = false;
	uint64_t acc = 0, lim;
	if (n && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == n)
		return false;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (acc > (lim - (uint64_t)(s[i] - '0')) / 10)
			return false;
		acc = acc * 10 + (uint64_t)(s[i] - '0');
	}
	*out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return true;
}

static tg_err hmac256(const void *k, size_t kn, const char *m, size_t mn, uint8_t out[32])
{
	return tg_hmac(TG_SHA256, k, kn, m, mn, out);
}

static bool ignored_header(const char *lc, size_t n)
{
	return (n == 13 && memcmp(lc, "authorization", 13) == 0) ||
	       (n == 10 && memcmp(lc, "user-agent", 10) == 0) ||
	       (n == 15 && memcmp(lc, "x-amzn-trace-id", 15) == 0);
}

/* the request body OPA signs: raw_body, else body as Go's json.Marshal */
static tg_err body_bytes(struct tg_rego_bctx *c, const struct tg_json *req, struct tg_buf *b)
{
	const struct tg_json *raw = tg_json_get(req, "raw_body"), *body = tg_json_get(req, "body");
	if (raw) {
		size_t n;
		const char *s = str_of(raw, &n);
		return tg_buf_add(b, s, n);
	}
	if (body) {
		tg_err r = tg_rego_go_json(b, body);
		if (r == TG_E_TYPE)
			return tg_rego_bi_fail(c, "json: unsupported type: map[interface {}]interface {}");
		return r;
	}
	return TG_OK;
}

struct sig_in {
	const char *method;
	size_t mn;
	const struct tg_rego_url *url;
	const char *service, *region, *access, *secret, *token;
	size_t sn, rn, an, kn, tn;
	const struct tg_json *headers; /* object or NULL */
	const uint8_t *body;
	size_t bodyn;
	bool unsigned_payload;
	int64_t ns;
};

struct sig_out {
	char date[48];      /* 20060102 */
	char stamp[96];     /* 20060102T150405Z */
	char content[65];   /* hex sha256 or UNSIGNED-PAYLOAD */
	bool with_content;
	struct tg_buf auth; /* the Authorization header */
};

static tg_err sign_v4(struct tg_rego_bctx *c, const struct sig_in *in, struct sig_out *o)
{
	struct tm tm;
	time_t secs;
	uint8_t h[32], k1[32], k2[32];
	char hx[65];
	struct sh *hs = NULL;
	size_t nh = 0, cap;
	struct tg_buf canon = TG_BUF_INIT(64 * TG_MIB), sts = TG_BUF_INIT(4096);
	struct tg_buf key = TG_BUF_INIT(4096), lower = TG_BUF_INIT(16 * TG_MIB);
	tg_err r = TG_E_INTERNAL;

	/* time.Unix(0, ns).UTC(): floor division for instants before 1970 */
	secs = (time_t)(in->ns / 1000000000);
	if (in->ns % 1000000000 < 0)
		secs--;
	if (!gmtime_r(&secs, &tm))
		return tg_rego_bi_fail(c, "time out of range");
	(void)snprintf(o->date, sizeof(o->date), "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		       tm.tm_mday);
	(void)snprintf(o->stamp, sizeof(o->stamp), "%sT%02d%02d%02dZ", o->date, tm.tm_hour,
		       tm.tm_min, tm.tm_sec);
	if (in->unsigned_payload) {
		memcpy(o->content, "UNSIGNED-PAYLOAD", 17);
	} else {
		if ((r = tg_hash(TG_SHA256, in->body, in->bodyn, h)) != TG_OK)
			return r;
		tg_hex_encode_to(o->content, h, 32);
	}
	o->with_content = (in->sn == 2 && memcmp(in->service, "s3", 2) == 0) ||
			  (in->sn == 7 && memcmp(in->service, "glacier", 7) == 0);

	/* the headers to sign: OPA's awsHeaders, then the request's (which
	 * replace an aws header of the same lower-case name) */
	cap = 4 + (in->headers ? in->headers->u.o.len : 0);
	hs = calloc(cap, sizeof(*hs));
	if (!hs)
		abort();
	hs[nh++] = (struct sh){"host", 4, in->url->host, in->url->host_n};
	hs[nh++] = (struct sh){"x-amz-date", 10, o->stamp, strlen(o->stamp)};
	if (o->with_content)
		hs[nh++] = (struct sh){"x-amz-content-sha256", 20, o->content, strlen(o->content)};
	if (in->tn)
		hs[nh++] = (struct sh){"x-amz-security-token", 20, in->token, in->tn};
	/* lower-cased names live in one buffer sized up front (no moves) */
	if (in->headers) {
		size_t total = 0;
		for (size_t i = 0; i < in->headers->u.o.len; i++) {
			size_t n;
			(void)str_of(in->headers->u.o.items[i].key, &n);
			total += n + 1;
		}
		if ((r = tg_buf_add(&lower, "", 0)) != TG_OK)
			goto out;
		if (total > lower.max) {
			r = tg_rego_bi_fail(c, "headers too large");
			goto out;
		}
		for (size_t i = 0; i < total; i++)
			if ((r = tg_buf_addc(&lower, 0)) != TG_OK)
				goto out;
		size_t off = 0;
		for (size_t i = 0; i < in->headers->u.o.len; i++) {
			size_t kn, vn, j;
			const char *k = str_of(in->headers->u.o.items[i].key, &kn);
			const char *v = str_of(in->headers->u.o.items[i].val, &vn);
			char *lc = (char *)lower.data + off;
			for (j = 0; j < kn; j++)
				lc[j] = (k[j] >= 'A' && k[j] <= 'Z') ? (char)(k[j] + 32) : k[j];
			off += kn + 1;
			if (ignored_header(lc, kn))
				continue;
			for (j = 0; j < nh; j++)
				if (hs[j].nn == kn && memcmp(hs[j].name, lc, kn) == 0)
					break;
			hs[j] = (struct sh){lc, kn, v, vn};
			if (j == nh)
				nh++;
		}
	}
	qsort(hs, nh, sizeof(*hs), sh_cmp);

	/* the canonical request */
	if ((r = tg_buf_add(&canon, in->method, in->mn)) != TG_OK ||
	    (r = tg_buf_addc(&canon, '\n')) != TG_OK ||
	    (r = tg_rego_url_escaped_path(in->url, &canon)) != TG_OK ||
	    (r = tg_buf_addc(&canon, '\n')) != TG_OK ||
	    (r = tg_buf_add(&canon, in->url->query, in->url->query_n)) != TG_OK ||
	    (r = tg_buf_addc(&canon, '\n')) != TG_OK)
		goto out;
	for (size_t i = 0; i < nh; i++)
		if ((r = tg_buf_add(&canon, hs[i].name, hs[i].nn)) != TG_OK ||
		    (r = tg_buf_addc(&canon, ':')) != TG_OK ||
		    (r = tg_buf_add(&canon, hs[i].val, hs[i].vn)) != TG_OK ||
		    (r = tg_buf_addc(&canon, '\n')) != TG_OK)
			goto out;
	if ((r = tg_buf_addc(&canon, '\n')) != TG_OK)
		goto out;
	size_t list_at = canon.len;
	for (size_t i = 0; i < nh; i++)
		if ((i && (r = tg_buf_addc(&canon, ';')) != TG_OK) ||
		    (r = tg_buf_add(&canon, hs[i].name, hs[i].nn)) != TG_OK)
			goto out;
	size_t list_end = canon.len;
	if ((r = tg_buf_addc(&canon, '\n')) != TG_OK ||
	    (r = tg_buf_adds(&canon, o->content)) != TG_OK)
		goto out;
	if ((r = tg_rego_bi_charge(c, canon.len / 64 + 1)) != TG_OK)
		goto out;

	/* the string to sign */
	if ((r = tg_hash(TG_SHA256, canon.data, canon.len, h)) != TG_OK)
		goto out;
	tg_hex_encode_to(hx, h, 32);
	if ((r = tg_buf_addf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%.*s/%.*s/aws4_request\n%s", o->stamp,
			     o->date, (int)in->rn, in->region, (int)in->sn, in->service, hx)) !=
	    TG_OK)
		goto out;

	/* the signing key: HMAC chain from "AWS4" + secret */
	if ((r = tg_buf_adds(&key, "AWS4")) != TG_OK ||
	    (r = tg_buf_add(&key, in->secret, in->kn)) != TG_OK ||
	    (r = hmac256(key.data, key.len, o->date, strlen(o->date), k1)) != TG_OK ||
	    (r = hmac256(k1, 32, in->region, in->rn, k2)) != TG_OK ||
	    (r = hmac256(k2, 32, in->service, in->sn, k1)) != TG_OK ||
	    (r = hmac256(k1, 32, "aws4_request", 12, k2)) != TG_OK ||
	    (r = hmac256(k2, 32, (const char *)sts.data, sts.len, h)) != TG_OK)
		goto out;
	tg_hex_encode_to(hx, h, 32);
	r = tg_buf_addf(&o->auth,
			"AWS4-HMAC-SHA256 Credential=%.*s/%s/%.*s/%.*s/aws4_request,SignedHeaders=%.*s,"
			"Signature=%s",
			(int)in->an, in->access, o->date, (int)in->rn, in->region, (int)in->sn,
			in->service, (int)(list_end - list_at), (const char *)canon.data + list_at,
			hx);
out:
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	tg_buf_release_wipe(&key);
	tg_buf_release(&canon);
	tg_buf_release(&sts);
	tg_buf_release(&lower);
	free(hs);
	return r;
}

static tg_err put(struct tg_rego_bctx *c, struct tg_json_member *m, size_t *n, const char *k,
		  const char *v, size_t vn)
{
	tg_err r;
	if ((r = tg_json_new_string(c->a, k, strlen(k), &m[*n].key)) != TG_OK ||
	    (r = tg_rego_bi_new_str(c, v, vn, &m[*n].val)) != TG_OK)
		return r;
	(*n)++;
	return TG_OK;
}

static tg_err bi_sign_req(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
			  const struct tg_json **out)
{
	const struct tg_json *req = args[0], *cfg = args[1], *ts = args[2];
	const struct tg_json *hdrs, *url, *method, *dps, *signed_hdrs;
	struct sig_in in;
	struct sig_out o;
	struct tg_rego_url u;
	struct tg_buf body = TG_BUF_INIT(64 * TG_MIB);
	struct tg_json_member *m = NULL;
	size_t nm = 0;
	char msg[TG_DIAG_MSG_MAX];
	tg_err r;
	UNUSED_NARGS;

	if (req->type != TG_JSON_OBJECT)
		return tg_rego_type_error(c, 1, "object", req);
	if (cfg->type != TG_JSON_OBJECT)
		return tg_rego_type_error(c, 1, "object", cfg);
	if ((r = check_config(c, cfg)) != TG_OK)
		return r;
	memset(&in, 0, sizeof(in));
	in.service = str_of(tg_json_get(cfg, "aws_service"), &in.sn);
	in.access = str_of(tg_json_get(cfg, "aws_access_key"), &in.an);
	in.secret = str_of(tg_json_get(cfg, "aws_secret_access_key"), &in.kn);
	in.region = str_of(tg_json_get(cfg, "aws_region"), &in.rn);
	in.token = str_of(tg_json_get(cfg, "aws_session_token"), &in.tn);
	if (ts->type != TG_JSON_NUMBER)
		return tg_rego_type_error(c, 1, "number", ts);
	if (!literal_i64(ts, &in.ns)) {
		tg_diag_set(c->d, "operand 3 could not convert time_ns value into a unix timestamp");
		return TG_E_TYPE;
	}
	if ((r = tg_rego_http_check_request(c, req, 1)) != TG_OK)
		return r;
	url = tg_json_get(req, "url");
	method = tg_json_get(req, "method");
	hdrs = tg_json_get(req, "headers");
	if (hdrs && hdrs->type != TG_JSON_OBJECT)
		return tg_rego_type_error(c, 0, "object", hdrs);
	{
		const char *bad[2];
		size_t nb = 0;
		if (method->type != TG_JSON_STRING)
			bad[nb++] = "method";
		if (url->type != TG_JSON_STRING)
			bad[nb++] = "url";
		if (nb)
			return names_error(
				c, "operand 1 invalid values for required request parameters(s): ", bad,
				nb);
	}
	if (tg_rego_url_parse(url->u.s.p, url->u.s.len, &u, msg, sizeof(msg)) != TG_OK)
		return tg_rego_bi_fail(c, "%s", msg);
	if ((r = body_bytes(c, req, &body)) != TG_OK)
		goto out;
	dps = tg_json_get(cfg, "disable_payload_signing");
	if (dps && dps->type != TG_JSON_BOOL) {
		tg_diag_set(c->d, "operand 2 invalid value for 'disable_payload_signing' in AWS config");
		r = TG_E_TYPE;
		goto out;
	}
	in.unsigned_payload = dps && dps->u.b;
	in.method = method->u.s.p;
	in.mn = method->u.s.len;
	in.url = &u;
	in.headers = hdrs;
	in.body = body.data;
	in.bodyn = body.len;
	memset(&o, 0, sizeof(o));
	tg_buf_init(&o.auth, 64 * TG_KIB);
	if ((r = sign_v4(c, &in, &o)) != TG_OK)
		goto out_auth;

	/* the request's headers (string values; OPA's objectToMap), then
	 * Authorization, then the aws headers, later ones replacing */
	m = tg_arena_alloc_array(c->a, (hdrs ? hdrs->u.o.len : 0) + 6, sizeof(*m));
	if (!m) {
		r = TG_E_TOOBIG;
		goto out_auth;
	}
	for (size_t i = 0; hdrs && i < hdrs->u.o.len; i++) {
		size_t kn, vn;
		const char *k = str_of(hdrs->u.o.items[i].key, &kn);
		const char *v = str_of(hdrs->u.o.items[i].val, &vn);
		if ((r = tg_rego_bi_new_str(c, k, kn, &m[nm].key)) != TG_OK ||
		    (r = tg_rego_bi_new_str(c, v, vn, &m[nm].val)) != TG_OK)
			goto out_auth;
		nm++;
	}
	if ((r = put(c, m, &nm, "Authorization", (const char *)o.auth.data, o.auth.len)) != TG_OK ||
	    (r = put(c, m, &nm, "host", u.host, u.host_n)) != TG_OK ||
	    (r = put(c, m, &nm, "x-amz-date", o.stamp, strlen(o.stamp))) != TG_OK ||
	    (o.with_content &&
	     (r = put(c, m, &nm, "x-amz-content-sha256", o.content, strlen(o.content))) != TG_OK) ||
	    (in.tn && (r = put(c, m, &nm, "x-amz-security-token", in.token, in.tn)) != TG_OK))
		goto out_auth;
	if ((r = tg_json_new_object(c->a, m, nm, TG_JSON_DUP_LAST, &signed_hdrs)) != TG_OK)
		goto out_auth;
	/* the request with its headers replaced */
	{
		struct tg_json_member *rm =
			tg_arena_alloc_array(c->a, req->u.o.len + 1, sizeof(*rm));
		size_t n = 0;
		if (!rm) {
			r = TG_E_TOOBIG;
			goto out_auth;
		}
		for (size_t i = 0; i < req->u.o.len; i++)
			rm[n++] = req->u.o.items[i];
		if ((r = tg_json_new_string(c->a, "headers", 7, &rm[n].key)) != TG_OK)
			goto out_auth;
		rm[n++].val = signed_hdrs;
		r = tg_json_new_object(c->a, rm, n, TG_JSON_DUP_LAST, out);
	}
out_auth:
	tg_buf_release(&o.auth);
out:
	tg_buf_release(&body);
	return r;
}

const struct tg_rego_builtin tg_rego_builtins_aws[] = {
	{"providers.aws.sign_req", NULL, 3,
	 "(object[string: any], object[string: any], number) => object[any: any]", bi_sign_req, 0},
	{NULL, NULL, 0, NULL, NULL, 0},
};
