/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spiffeid.c - SPIFFE IDs and trust domain names, parsed and validated
 * exactly as SPIFFE-ID 2 says: nothing is normalised, every deviation is
 * an error that names the offending byte and its offset.
 */
#include "identity/identity.h"

#include <string.h>
#include <strings.h>

#define SCHEME "spiffe://"
#define SCHEME_LEN (sizeof(SCHEME) - 1)

/* SPIFFE-ID 2.1: [a-z0-9.-_] */
static bool td_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
	       c == '_';
}

/* SPIFFE-ID 2.2: [a-zA-Z0-9.-_] */
static bool path_char(unsigned char c)
{
	return td_char(c) || (c >= 'A' && c <= 'Z');
}

/* Says why byte c at offset off cannot appear where it is, naming the URI
 * component it would start when that is what it means (SPIFFE-ID 2). */
static void bad_char(struct tg_diag *d, const char *where, unsigned char c, size_t off)
{
	uint32_t col = (uint32_t)off + 1;
	const char *why = NULL;

	switch (c) {
	case '%':
		why = "percent-encoding is not allowed";
		break;
	case '?':
		why = "a query is not allowed";
		break;
	case '#':
		why = "a fragment is not allowed";
		break;
	case '@':
		why = where[0] == 't' ? "userinfo is not allowed" : NULL;
		break;
	case ':':
		why = where[0] == 't' ? "a port is not allowed" : NULL;
		break;
	default:
		break;
	}
	if (where[0] == 't' && c >= 'A' && c <= 'Z')
		tg_diag_at(d, 1, col, off, "the trust domain must be lower case: '%c' at offset %zu",
			   c, off);
	else if (why)
		tg_diag_at(d, 1, col, off, "%s in the %s: '%c' at offset %zu", why, where, c, off);
	else if (c > 0x20 && c < 0x7f)
		tg_diag_at(d, 1, col, off,
			   "character '%c' at offset %zu is not allowed in the %s (%s)", c, off, where,
			   where[0] == 't' ? "a-z 0-9 . - _" : "A-Z a-z 0-9 . - _");
	else
		tg_diag_at(d, 1, col, off, "byte 0x%02x at offset %zu is not allowed in the %s", c,
			   off, where);
}

/* Checks the trust domain name s[0..n) whose first byte is at offset base
 * of the whole input (for messages). */
static tg_err td_check(const char *s, size_t n, size_t base, struct tg_diag *d)
{
	size_t i;
	if (n == 0) {
		tg_diag_at(d, 1, (uint32_t)base + 1, base, "the trust domain is missing");
		return TG_E_PARSE;
	}
	for (i = 0; i < n; i++) {
		if (!td_char((unsigned char)s[i])) {
			bad_char(d, "trust domain", (unsigned char)s[i], base + i);
			return TG_E_PARSE;
		}
	}
	/* SPIFFE-ID 2.3: RFC 3986 limits a host to 255 bytes */
	if (n > TG_SPIFFE_TD_MAX) {
		tg_diag_at(d, 1, (uint32_t)base + 1, base,
			   "the trust domain has %zu bytes, more than %d", n, TG_SPIFFE_TD_MAX);
		return TG_E_PARSE;
	}
	return TG_OK;
}

/* Checks a path ("" or "/seg/seg") that starts at offset base. */
static tg_err path_check(const char *s, size_t n, size_t base, struct tg_diag *d)
{
	size_t i = 0;

	while (i < n) {
		size_t start, len;
		/* s[i] == '/' here: the trust domain ended at it, or the last
		 * segment did */
		start = ++i;
		while (i < n && s[i] != '/') {
			if (!path_char((unsigned char)s[i])) {
				bad_char(d, "path", (unsigned char)s[i], base + i);
				return TG_E_PARSE;
			}
			i++;
		}
		len = i - start;
		if (len == 0) {
			if (i == n)
				tg_diag_at(d, 1, (uint32_t)(base + i), base + i - 1,
					   "the path must not end with '/' (offset %zu)",
					   base + i - 1);
			else
				tg_diag_at(d, 1, (uint32_t)(base + i), base + i - 1,
					   "the path has an empty segment at offset %zu",
					   base + i - 1);
			return TG_E_PARSE;
		}
		if ((len == 1 && s[start] == '.') || (len == 2 && s[start] == '.' &&
						      s[start + 1] == '.')) {
			tg_diag_at(d, 1, (uint32_t)(base + start) + 1, base + start,
				   "the path has a dot segment '%.*s' at offset %zu", (int)len,
				   s + start, base + start);
			return TG_E_PARSE;
		}
	}
	return TG_OK;
}

tg_err tg_spiffe_id_parse(const char *s, size_t n, struct tg_spiffe_id *out, struct tg_diag *d)
{
	size_t td_end;
	tg_err r;

	if (!out || (!s && n)) {
		tg_diag_set(d, "tg_spiffe_id_parse needs an input and an output");
		return TG_E_INVAL;
	}
	if (n == 0) {
		tg_diag_at(d, 1, 1, 0, "the SPIFFE ID is empty");
		return TG_E_PARSE;
	}
	/* SPIFFE-ID 2.3: 2048 bytes for the whole URI */
	if (n > TG_SPIFFE_ID_MAX) {
		tg_diag_at(d, 1, TG_SPIFFE_ID_MAX + 1, TG_SPIFFE_ID_MAX,
			   "the SPIFFE ID has %zu bytes, more than %d", n, TG_SPIFFE_ID_MAX);
		return TG_E_PARSE;
	}
	if (n < SCHEME_LEN || memcmp(s, SCHEME, SCHEME_LEN) != 0) {
		if (n >= SCHEME_LEN && strncasecmp(s, SCHEME, SCHEME_LEN) == 0)
			tg_diag_at(d, 1, 1, 0, "the scheme must be 'spiffe' in lower case");
		else
			tg_diag_at(d, 1, 1, 0, "the scheme is missing or not 'spiffe://'");
		return TG_E_PARSE;
	}
	td_end = SCHEME_LEN;
	while (td_end < n && s[td_end] != '/')
		td_end++;
	r = td_check(s + SCHEME_LEN, td_end - SCHEME_LEN, SCHEME_LEN, d);
	if (r != TG_OK)
		return r;
	r = path_check(s + td_end, n - td_end, td_end, d);
	if (r != TG_OK)
		return r;
	memcpy(out->uri, s, n);
	out->uri[n] = '\0';
	out->td_len = td_end - SCHEME_LEN;
	out->path_off = td_end;
	return TG_OK;
}

tg_err tg_spiffe_td_parse(const char *s, size_t n, char *out, struct tg_diag *d)
{
	tg_err r;
	if (!out || (!s && n)) {
		tg_diag_set(d, "tg_spiffe_td_parse needs an input and an output");
		return TG_E_INVAL;
	}
	r = td_check(s, n, 0, d);
	if (r != TG_OK)
		return r;
	memcpy(out, s, n);
	out[n] = '\0';
	return TG_OK;
}

tg_err tg_spiffe_id_from(const char *td, const char *path, struct tg_spiffe_id *out,
			 struct tg_diag *d)
{
	char buf[TG_SPIFFE_ID_MAX + 1];
	size_t tn, pn;
	tg_err r;

	if (!td || !out) {
		tg_diag_set(d, "tg_spiffe_id_from needs a trust domain and an output");
		return TG_E_INVAL;
	}
	if (!path)
		path = "";
	tn = strlen(td);
	pn = strlen(path);
	r = td_check(td, tn, 0, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "invalid trust domain");
		return r;
	}
	if (pn > 0 && path[0] != '/') {
		tg_diag_at(d, 1, 1, 0, "the path must start with '/'");
		return TG_E_PARSE;
	}
	if (pn > TG_SPIFFE_ID_MAX || SCHEME_LEN + tn > TG_SPIFFE_ID_MAX - pn) {
		tg_diag_set(d, "the SPIFFE ID would have more than %d bytes", TG_SPIFFE_ID_MAX);
		return TG_E_PARSE;
	}
	memcpy(buf, SCHEME, SCHEME_LEN);
	memcpy(buf + SCHEME_LEN, td, tn);
	memcpy(buf + SCHEME_LEN + tn, path, pn);
	return tg_spiffe_id_parse(buf, SCHEME_LEN + tn + pn, out, d);
}

void tg_spiffe_id_td(const struct tg_spiffe_id *id, char *out)
{
	memcpy(out, id->uri + SCHEME_LEN, id->td_len);
	out[id->td_len] = '\0';
}

bool tg_spiffe_id_in_td(const struct tg_spiffe_id *id, const char *td)
{
	return td && strlen(td) == id->td_len && memcmp(id->uri + SCHEME_LEN, td, id->td_len) == 0;
}
