/* SPDX-License-Identifier: Apache-2.0 */
/*
 * trustroot.c - Sigstore TrustedRoot documents: transparency logs, CT logs,
 * certificate authorities and timestamp authorities with their validity.
 */
#include "sign/sign.h"

#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/fs.h"
#include "core/mem.h"
#include "sign/sign_internal.h"

bool tg_sign_validity_contains(const struct tg_sign_validity *v, struct tg_time t)
{
	/* closed interval: start <= t <= end */
	if (t.sec < v->start.sec || (t.sec == v->start.sec && t.nsec < v->start.nsec))
		return false;
	if (v->has_end &&
	    (t.sec > v->end.sec || (t.sec == v->end.sec && t.nsec > v->end.nsec)))
		return false;
	return true;
}

tg_err tg_sign_validity_parse(const struct tg_json *vf, struct tg_sign_validity *out,
			      struct tg_diag *d)
{
	const char *s;
	size_t n;
	tg_err r;

	memset(out, 0, sizeof(*out));
	if (!vf || vf->type != TG_JSON_OBJECT) {
		tg_diag_set(d, "missing validFor");
		return TG_E_PARSE;
	}
	r = tg_json_get_string(vf, "start", &s, &n);
	if (r != TG_OK) {
		tg_diag_set(d, "validFor has no start");
		return TG_E_PARSE;
	}
	r = tg_time_parse(s, n, &out->start, d);
	if (r != TG_OK)
		return r;
	r = tg_json_get_string(vf, "end", &s, &n);
	if (r == TG_E_TYPE && tg_json_get(vf, "end")->type == TG_JSON_NULL)
		r = TG_E_NOTFOUND; /* protobuf JSON: null is the default, absent */
	if (r == TG_OK) {
		r = tg_time_parse(s, n, &out->end, d);
		if (r != TG_OK)
			return r;
		out->has_end = true;
	} else if (r != TG_E_NOTFOUND) {
		tg_diag_set(d, "validFor.end is not a string");
		return TG_E_PARSE;
	}
	return TG_OK;
}

/* The value of a base64 digit of either alphabet ("+/" or "-_"), or -1. */
static int pb_digit(char ch)
{
	uint8_t c = (uint8_t)ch;
	if ((uint8_t)(c - 'A') < 26)
		return c - 'A';
	if ((uint8_t)(c - 'a') < 26)
		return c - 'a' + 26;
	if ((uint8_t)(c - '0') < 10)
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/*
 * protobuf JSON bytes (proto3 JSON mapping): standard base64 with padding
 * when written, but standard or URL-safe, padded or not, are accepted when
 * read; line breaks are skipped as Go's decoder (the reference clients')
 * does. Anything else is an error: the alphabets mixed, a stray character,
 * wrong padding, an impossible length, non-zero unused bits (RFC 4648
 * 3.5). This is the general form, for text with line breaks; tg_sign_pb_bytes
 * takes the text without (every bundle the reference clients write) on a
 * table-driven path with the same verdicts.
 */
static tg_err pb_bytes_lines(const char *s, size_t n, struct tg_buf *out)
{
	size_t len = 0, pad = 0, data, olen, i, k;
	bool url = false, std = false;
	uint32_t w = 0;
	uint8_t *o;
	int v;

	/* the characters other than line breaks, their alphabet, the padding */
	for (i = 0; i < n; i++) {
		if (s[i] == '\n' || s[i] == '\r')
			continue;
		len++;
		url |= s[i] == '-' || s[i] == '_';
		std |= s[i] == '+' || s[i] == '/';
	}
	for (i = n; i > 0 && pad < len; i--) {
		if (s[i - 1] == '\n' || s[i - 1] == '\r')
			continue;
		if (s[i - 1] != '=')
			break;
		pad++;
	}
	if (url && std)
		return TG_E_ENCODING;
	if (pad && (pad > 2 || len % 4 != 0 || (len - pad) % 4 == 1 ||
		    pad != (4 - (len - pad) % 4) % 4))
		return TG_E_ENCODING;
	data = len - pad;
	if (data % 4 == 1)
		return TG_E_ENCODING;
	olen = data / 4 * 3 + (data % 4 ? data % 4 - 1 : 0);
	o = tg_buf_reserve(out, olen);
	if (!o)
		return TG_E_TOOBIG;
	for (i = 0, k = 0; k < data; i++) {
		if (s[i] == '\n' || s[i] == '\r')
			continue;
		v = pb_digit(s[i]); /* '=' before the padding is an error too */
		if (v < 0)
			goto bad;
		w = w << 6 | (uint32_t)v;
		if (++k % 4 == 0) {
			*o++ = (uint8_t)(w >> 16);
			*o++ = (uint8_t)(w >> 8);
			*o++ = (uint8_t)w;
			w = 0;
		}
	}
	if (data % 4 == 2) {
		if (w & 0xf)
			goto bad;
		*o++ = (uint8_t)(w >> 4);
	} else if (data % 4 == 3) {
		if (w & 0x3)
			goto bad;
		*o++ = (uint8_t)(w >> 10);
		*o++ = (uint8_t)(w >> 2);
	}
	tg_buf_commit(out, olen);
	return TG_OK;
bad:
	out->data[out->len] = '\0'; /* undo the bytes written past len */
	return TG_E_ENCODING;
}

/* A byte as a base64 digit (the low 6 bits), PB_STD for the digits only
 * the standard alphabet has ("+/"), PB_URL for the URL-safe ones ("-_"),
 * PB_BAD for anything else: '=' and line breaks included. */
#define PB_STD 0x040
#define PB_URL 0x080
#define PB_BAD 0x100
static const uint16_t pb_tab[256] = {
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, /* 0x00 */
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, /* 0x08 */
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, /* 0x10 */
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, /* 0x18 */
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, /* 0x20 */
	0x100, 0x100, 0x100, 0x07e, 0x100, 0x0be, 0x100, 0x07f, /* 0x28 */
	0x034, 0x035, 0x036, 0x037, 0x038, 0x039, 0x03a, 0x03b, /* 0x30 */
	0x03c, 0x03d, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, /* 0x38 */
	0x100, 0x000, 0x001, 0x002, 0x003, 0x004, 0x005, 0x006, /* 0x40 */
	0x007, 0x008, 0x009, 0x00a, 0x00b, 0x00c, 0x00d, 0x00e, /* 0x48 */
	0x00f, 0x010, 0x011, 0x012, 0x013, 0x014, 0x015, 0x016, /* 0x50 */
	0x017, 0x018, 0x019, 0x100, 0x100, 0x100, 0x100, 0x0bf, /* 0x58 */
	0x100, 0x01a, 0x01b, 0x01c, 0x01d, 0x01e, 0x01f, 0x020, /* 0x60 */
	0x021, 0x022, 0x023, 0x024, 0x025, 0x026, 0x027, 0x028, /* 0x68 */
	0x029, 0x02a, 0x02b, 0x02c, 0x02d, 0x02e, 0x02f, 0x030, /* 0x70 */
	0x031, 0x032, 0x033, 0x100, 0x100, 0x100, 0x100, 0x100, /* 0x78 */
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, /* 0x80 */
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, /* 0x88 */
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, /* 0x90 */
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, /* 0x98 */
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, /* 0xa0 */
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, /* 0xa8 */
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, /* 0xb0 */
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, /* 0xb8 */
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, /* 0xc0 */
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, /* 0xc8 */
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, /* 0xd0 */
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, /* 0xd8 */
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, /* 0xe0 */
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, /* 0xe8 */
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, /* 0xf0 */
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, /* 0xf8 */
};

/*
 * protobuf JSON bytes, as pb_bytes_lines reads them, for text without
 * line breaks: the padding and the lengths checked first, then four digits
 * at a time through pb_tab, the alphabets noted on the way. Every byte of
 * a bundle's certificates, timestamps and log entries comes through here.
 */
tg_err tg_sign_pb_bytes(const char *s, size_t n, struct tg_buf *out)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t pad = 0, data, olen, i;
	unsigned seen = 0, a, b, c, e;
	uint32_t w;
	uint8_t *o;

	if (memchr(s, '\n', n) || memchr(s, '\r', n))
		return pb_bytes_lines(s, n, out);
	while (pad < n && p[n - 1 - pad] == '=')
		pad++;
	if (pad && (pad > 2 || n % 4 != 0))
		return TG_E_ENCODING;
	data = n - pad;
	if (data % 4 == 1)
		return TG_E_ENCODING;
	olen = data / 4 * 3 + (data % 4 ? data % 4 - 1 : 0);
	o = tg_buf_reserve(out, olen);
	if (!o) {
		/* mixed alphabets are an encoding error before a size error */
		for (i = 0; i < data; i++)
			seen |= pb_tab[p[i]];
		return (seen & PB_STD) && (seen & PB_URL) ? TG_E_ENCODING : TG_E_TOOBIG;
	}
	for (i = 0; i + 4 <= data; i += 4) {
		a = pb_tab[p[i]];
		b = pb_tab[p[i + 1]];
		c = pb_tab[p[i + 2]];
		e = pb_tab[p[i + 3]];
		seen |= a | b | c | e;
		w = (uint32_t)(a & 63) << 18 | (uint32_t)(b & 63) << 12 | (uint32_t)(c & 63) << 6 |
		    (e & 63);
		*o++ = (uint8_t)(w >> 16);
		*o++ = (uint8_t)(w >> 8);
		*o++ = (uint8_t)w;
	}
	if (data % 4 == 2) {
		a = pb_tab[p[i]];
		b = pb_tab[p[i + 1]];
		seen |= a | b | (b & 0xf ? PB_BAD : 0);
		*o++ = (uint8_t)((a & 63) << 2 | (b & 63) >> 4);
	} else if (data % 4 == 3) {
		a = pb_tab[p[i]];
		b = pb_tab[p[i + 1]];
		c = pb_tab[p[i + 2]];
		seen |= a | b | c | (c & 0x3 ? PB_BAD : 0);
		w = (uint32_t)(a & 63) << 12 | (uint32_t)(b & 63) << 6 | (c & 63);
		*o++ = (uint8_t)(w >> 10);
		*o++ = (uint8_t)(w >> 2);
	}
	if ((seen & PB_BAD) || ((seen & PB_STD) && (seen & PB_URL))) {
		out->data[out->len] = '\0'; /* undo the bytes written past len */
		return TG_E_ENCODING;
	}
	tg_buf_commit(out, olen);
	return TG_OK;
}

tg_err tg_sign_b64_member(const struct tg_json *o, const char *key, struct tg_buf *out,
			  struct tg_diag *d)
{
	const char *s;
	size_t n;
	tg_err r = tg_json_get_string(o, key, &s, &n);
	if (r != TG_OK) {
		tg_diag_set(d, "missing or non-string '%s'", key);
		return TG_E_PARSE;
	}
	r = tg_sign_pb_bytes(s, n, out);
	if (r == TG_E_TOOBIG) {
		tg_diag_set(d, "'%s' is too long", key);
		return TG_E_PARSE;
	}
	if (r != TG_OK) {
		tg_diag_set(d, "'%s' is not valid base64", key);
		return TG_E_PARSE;
	}
	return TG_OK;
}

/* The authority (host and port) of a base URL: what Sigstore logs use as
 * their checkpoint key name ("https://rekor.sigstore.dev" ->
 * "rekor.sigstore.dev", "http://localhost:8000" -> "localhost:8000"). */
static char *url_host(const char *url, size_t n)
{
	const char *p = url, *end = url + n, *q;
	const char *scheme = memmem(url, n, "://", 3);
	if (scheme)
		p = scheme + 3;
	for (q = p; q < end && *q != '/'; q++)
		;
	return tg_xstrndup(p, (size_t)(q - p));
}

static void log_release(struct tg_sign_log *l)
{
	free(l->base_url);
	free(l->origin);
	tg_key_free(l->key);
}

static tg_err parse_log(const struct tg_json *o, struct tg_sign_log *out, struct tg_diag *d)
{
	struct tg_buf der = TG_BUF_INIT(64 * 1024), id = TG_BUF_INIT(128);
	const struct tg_json *pk = tg_json_get(o, "publicKey");
	const char *url = "";
	size_t ul = 0;
	tg_err r;

	memset(out, 0, sizeof(*out));
	if (tg_json_get_string(o, "baseUrl", &url, &ul) != TG_OK) {
		url = "";
		ul = 0;
	}
	out->base_url = tg_xstrndup(url, ul);
	out->origin = url_host(url, ul);
	if (!pk || pk->type != TG_JSON_OBJECT) {
		tg_diag_set(d, "log '%s' has no publicKey", out->base_url);
		r = TG_E_PARSE;
		goto out;
	}
	r = tg_sign_b64_member(pk, "rawBytes", &der, d);
	if (r == TG_OK)
		r = tg_key_from_der(der.data, der.len, false, &out->key, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "log '%s': bad public key", out->base_url);
		goto out;
	}
	r = tg_sign_validity_parse(tg_json_get(pk, "validFor"), &out->valid, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "log '%s'", out->base_url);
		goto out;
	}
	r = tg_sign_b64_member(tg_json_get(o, "logId"), "keyId", &id, d);
	if (r == TG_OK && (id.len == 0 || id.len > sizeof(out->log_id))) {
		tg_diag_set(d, "log '%s': logId must be 1..32 bytes", out->base_url);
		r = TG_E_PARSE;
	}
	if (r != TG_OK)
		goto out;
	memcpy(out->log_id, id.data, id.len);
	out->log_id_len = id.len;
out:
	if (r != TG_OK)
		log_release(out);
	tg_buf_release(&der);
	tg_buf_release(&id);
	return r;
}

static tg_err parse_ca(const struct tg_json *o, bool is_tsa, struct tg_sign_ca *out,
		       struct tg_diag *d)
{
	const struct tg_json *certs = tg_json_get(tg_json_get(o, "certChain"), "certificates");
	const char *uri = "";
	size_t ul = 0, i;
	tg_err r = TG_OK;

	memset(out, 0, sizeof(*out));
	if (tg_json_get_string(o, "uri", &uri, &ul) != TG_OK) {
		uri = "";
		ul = 0;
	}
	out->uri = tg_xstrndup(uri, ul);
	if (!certs || certs->type != TG_JSON_ARRAY || certs->u.a.len == 0 ||
	    certs->u.a.len > TG_LIMIT_CHAIN) {
		tg_diag_set(d, "authority '%s' has no certificate chain", out->uri);
		r = TG_E_PARSE;
		goto out;
	}
	out->chain.certs = tg_xcalloc(certs->u.a.len, sizeof(*out->chain.certs));
	for (i = 0; r == TG_OK && i < certs->u.a.len; i++) {
		struct tg_buf der = TG_BUF_INIT(TG_LIMIT_DER);
		r = tg_sign_b64_member(certs->u.a.items[i], "rawBytes", &der, d);
		if (r == TG_OK)
			r = tg_x509_from_der(der.data, der.len, &out->chain.certs[i], d);
		if (r == TG_OK)
			out->chain.count++;
		tg_buf_release(&der);
	}
	if (r != TG_OK) {
		tg_diag_prefix(d, "authority '%s'", out->uri);
		goto out;
	}
	r = tg_sign_validity_parse(tg_json_get(o, "validFor"), &out->valid, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "authority '%s'", out->uri);
		goto out;
	}
	/* A TSA's chain is validated once here, all but the validity periods,
	 * which each timestamp checks at its own time (tg_tsa_anchor_verify). */
	if (is_tsa) {
		r = tg_tsa_anchor_new((const struct tg_x509 *const *)out->chain.certs,
				      out->chain.count, &out->tsa);
		if (r != TG_OK)
			tg_diag_set(d, "authority '%s': cannot prepare its chain", out->uri);
	}
out:
	if (r != TG_OK) {
		free(out->uri);
		tg_x509_list_release(&out->chain);
		tg_tsa_anchor_free(out->tsa);
		out->tsa = NULL;
	}
	return r;
}

static tg_err parse_logs(const struct tg_json *root, const char *key, struct tg_sign_log **out,
			 size_t *count, struct tg_diag *d)
{
	const struct tg_json *arr = tg_json_get(root, key);
	size_t i;
	tg_err r = TG_OK;
	if (!arr)
		return TG_OK;
	if (arr->type != TG_JSON_ARRAY || arr->u.a.len > 64) {
		tg_diag_set(d, "'%s' must be an array of at most 64 logs", key);
		return TG_E_PARSE;
	}
	*out = tg_xcalloc(arr->u.a.len ? arr->u.a.len : 1, sizeof(**out));
	for (i = 0; r == TG_OK && i < arr->u.a.len; i++) {
		r = parse_log(arr->u.a.items[i], &(*out)[*count], d);
		if (r == TG_OK)
			(*count)++;
	}
	return r;
}

static tg_err parse_cas(const struct tg_json *root, const char *key, bool is_tsa,
			struct tg_sign_ca **out, size_t *count, struct tg_diag *d)
{
	const struct tg_json *arr = tg_json_get(root, key);
	size_t i;
	tg_err r = TG_OK;
	if (!arr)
		return TG_OK;
	if (arr->type != TG_JSON_ARRAY || arr->u.a.len > 64) {
		tg_diag_set(d, "'%s' must be an array of at most 64 authorities", key);
		return TG_E_PARSE;
	}
	*out = tg_xcalloc(arr->u.a.len ? arr->u.a.len : 1, sizeof(**out));
	for (i = 0; r == TG_OK && i < arr->u.a.len; i++) {
		r = parse_ca(arr->u.a.items[i], is_tsa, &(*out)[*count], d);
		if (r == TG_OK)
			(*count)++;
	}
	return r;
}

void tg_sign_trustroot_release(struct tg_sign_trustroot *t)
{
	size_t i;
	if (!t)
		return;
	for (i = 0; i < t->ntlogs; i++)
		log_release(&t->tlogs[i]);
	for (i = 0; i < t->nctlogs; i++)
		log_release(&t->ctlogs[i]);
	for (i = 0; i < t->ncas; i++) {
		free(t->cas[i].uri);
		tg_x509_list_release(&t->cas[i].chain);
	}
	for (i = 0; i < t->ntsas; i++) {
		free(t->tsas[i].uri);
		tg_x509_list_release(&t->tsas[i].chain);
		tg_tsa_anchor_free(t->tsas[i].tsa);
	}
	free(t->tlogs);
	free(t->ctlogs);
	free(t->cas);
	free(t->tsas);
	memset(t, 0, sizeof(*t));
}

tg_err tg_sign_trustroot_parse(const char *json, size_t n, struct tg_sign_trustroot *out,
			       struct tg_diag *d)
{
	struct tg_arena a;
	const struct tg_json *root;
	struct tg_sign_trustroot t;
	const char *mt;
	size_t mtl;
	tg_err r;

	memset(&t, 0, sizeof(t));
	tg_arena_init(&a, 4 * (size_t)TG_SIGN_MAX_DOC);
	r = tg_json_parse(&a, json, n, NULL, &root, NULL, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "trusted root is not valid JSON");
		goto out;
	}
	if (tg_json_get_string(root, "mediaType", &mt, &mtl) != TG_OK ||
	    !(tg_sign_str_is(mt, mtl, "application/vnd.dev.sigstore.trustedroot+json;version=0.1") ||
	      tg_sign_str_is(mt, mtl, "application/vnd.dev.sigstore.trustedroot.v0.2+json"))) {
		tg_diag_set(d, "not a Sigstore trusted root (mediaType)");
		r = TG_E_PARSE;
		goto out;
	}
	r = parse_logs(root, "tlogs", &t.tlogs, &t.ntlogs, d);
	if (r == TG_OK)
		r = parse_logs(root, "ctlogs", &t.ctlogs, &t.nctlogs, d);
	if (r == TG_OK)
		r = parse_cas(root, "certificateAuthorities", false, &t.cas, &t.ncas, d);
	if (r == TG_OK)
		r = parse_cas(root, "timestampAuthorities", true, &t.tsas, &t.ntsas, d);
	if (r != TG_OK)
		goto out;
	*out = t;
	memset(&t, 0, sizeof(t));
out:
	tg_sign_trustroot_release(&t);
	tg_arena_release(&a);
	return r;
}

tg_err tg_sign_trustroot_load(const char *path, struct tg_sign_trustroot *out, struct tg_diag *d)
{
	struct tg_buf b = TG_BUF_INIT(TG_SIGN_MAX_DOC);
	tg_err r = tg_fs_read(path, &b, d);
	if (r == TG_OK)
		r = tg_sign_trustroot_parse((const char *)b.data, b.len, out, d);
	if (r != TG_OK)
		tg_diag_prefix(d, "cannot load trusted root '%s'", path);
	tg_buf_release(&b);
	return r;
}
