/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.c - the strict HTTP/1.1 request-head parser of tollgated (RFC 9112):
 * request line, header fields, the few headers the server uses. Anything
 * unusual is refused with the status to answer, never repaired.
 */
#include "server/server.h"

#include <string.h>

/* RFC 9110 5.6.2 tchar */
static bool is_tchar(uint8_t c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static bool name_is(const uint8_t *p, size_t n, const char *lit)
{
	size_t i;
	if (strlen(lit) != n)
		return false;
	for (i = 0; i < n; i++)
		if (lower(p[i]) != (uint8_t)lit[i])
			return false;
	return true;
}

static tg_err bad(int *status, int code, struct tg_diag *d, size_t off, const char *msg)
{
	*status = code;
	tg_diag_at(d, 0, 0, off, "%s at byte %zu", msg, off);
	return code == 400 ? TG_E_PARSE : (code == 501 || code == 505) ? TG_E_UNSUPPORTED : TG_E_TOOBIG;
}

/* The end of the line starting at off (the offset of its CR), or n. */
static size_t line_end(const uint8_t *p, size_t n, size_t off)
{
	size_t i;
	for (i = off; i < n; i++)
		if (p[i] == '\r' || p[i] == '\n')
			return i;
	return n;
}

static tg_err request_line(const uint8_t *p, size_t e, struct tg_http_req *out, int *status,
			   struct tg_diag *d)
{
	size_t i = 0, m, t;
	/* method SP request-target SP HTTP-version (RFC 9112 3) */
	while (i < e && is_tchar(p[i]))
		i++;
	if (i == 0 || i >= sizeof(out->method) || i >= e || p[i] != ' ')
		return bad(status, i >= sizeof(out->method) ? 501 : 400, d, i, "malformed method");
	memcpy(out->method, p, i);
	out->method[i] = '\0';
	m = ++i;
	while (i < e && p[i] != ' ')
		i++;
	t = i - m;
	if (t == 0 || i >= e)
		return bad(status, 400, d, i, "malformed request target");
	if (p[m] != '/')
		return bad(status, 400, d, m, "request target is not in origin form");
	{
		size_t plen = t;
		const uint8_t *q = memchr(p + m, '?', t);
		if (q)
			plen = (size_t)(q - (p + m));
		if (plen > TG_HTTP_PATH_MAX)
			return bad(status, 414, d, m, "request target too long");
		for (size_t k = 0; k < t; k++)
			if (p[m + k] <= 0x20 || p[m + k] >= 0x7f || p[m + k] == '#')
				return bad(status, 400, d, m + k, "invalid character in request target");
		memcpy(out->path, p + m, plen);
		out->path[plen] = '\0';
	}
	i++;
	if (e - i != 8 || memcmp(p + i, "HTTP/1.", 7) != 0)
		return bad(status, 400, d, i, "malformed HTTP version");
	if (p[i + 7] == '1')
		out->keep_alive = true;
	else if (p[i + 7] == '0')
		out->keep_alive = false;
	else
		return bad(status, 505, d, i, "unsupported HTTP version");
	return TG_OK;
}

static tg_err header(const uint8_t *p, size_t s, size_t e, struct tg_http_req *out, int *status,
		     struct tg_diag *d)
{
	size_t i = s, vs, ve;
	if (p[s] == ' ' || p[s] == '\t')
		return bad(status, 400, d, s, "obsolete line folding");
	while (i < e && is_tchar(p[i]))
		i++;
	if (i == s || i >= e || p[i] != ':')
		return bad(status, 400, d, i, "malformed header field name");
	vs = i + 1;
	while (vs < e && (p[vs] == ' ' || p[vs] == '\t'))
		vs++;
	ve = e;
	while (ve > vs && (p[ve - 1] == ' ' || p[ve - 1] == '\t'))
		ve--;
	for (size_t k = vs; k < ve; k++)
		if ((p[k] < 0x20 && p[k] != '\t') || p[k] == 0x7f)
			return bad(status, 400, d, k, "control character in header value");
	if (name_is(p + s, i - s, "content-length")) {
		int64_t v = 0;
		if (out->content_length >= 0)
			return bad(status, 400, d, s, "repeated Content-Length");
		if (ve == vs || ve - vs > 18)
			return bad(status, 400, d, vs, "malformed Content-Length");
		for (size_t k = vs; k < ve; k++) {
			if (p[k] < '0' || p[k] > '9')
				return bad(status, 400, d, k, "malformed Content-Length");
			v = v * 10 + (p[k] - '0');
		}
		out->content_length = v;
	} else if (name_is(p + s, i - s, "transfer-encoding")) {
		return bad(status, 501, d, s, "Transfer-Encoding is not supported");
	} else if (name_is(p + s, i - s, "connection")) {
		if (ve - vs == 5 && name_is(p + vs, 5, "close"))
			out->keep_alive = false;
		else if (ve - vs == 10 && name_is(p + vs, 10, "keep-alive"))
			out->keep_alive = true;
	} else if (name_is(p + s, i - s, "authorization")) {
		if (out->auth[0])
			return bad(status, 400, d, s, "repeated Authorization");
		if (ve - vs > TG_HTTP_AUTH_MAX)
			return bad(status, 431, d, vs, "Authorization too long");
		memcpy(out->auth, p + vs, ve - vs);
		out->auth[ve - vs] = '\0';
	} else if (name_is(p + s, i - s, "content-type")) {
		size_t k, n = 0;
		for (k = vs; k < ve && p[k] != ';' && p[k] != ' '; k++) {
			if (n + 1 >= sizeof(out->content_type))
				return bad(status, 400, d, k, "Content-Type too long");
			out->content_type[n++] = (char)lower(p[k]);
		}
		out->content_type[n] = '\0';
	}
	return TG_OK;
}

tg_err tg_http_parse_head(const uint8_t *p, size_t n, struct tg_http_req *out, int *status,
			  struct tg_diag *d)
{
	struct tg_http_req r;
	size_t off = 0, e, nh = 0, lim = n < TG_HTTP_HEAD_MAX ? n : TG_HTTP_HEAD_MAX;
	tg_err err;

	memset(&r, 0, sizeof(r));
	r.content_length = -1;
	*status = 0;
	/* the whole head must be there before anything is judged, except
	 * lines that are already too long */
	e = line_end(p, lim, 0);
	if (e == lim)
		return lim >= TG_HTTP_LINE_MAX ? bad(status, 414, d, 0, "request line too long")
					       : (n >= TG_HTTP_HEAD_MAX
							  ? bad(status, 431, d, 0, "request head too long")
							  : TG_E_AGAIN);
	if (e > TG_HTTP_LINE_MAX)
		return bad(status, 414, d, 0, "request line too long");
	if (e + 1 >= lim)
		return n >= TG_HTTP_HEAD_MAX ? bad(status, 431, d, e, "request head too long")
					     : TG_E_AGAIN;
	if (p[e] != '\r' || p[e + 1] != '\n')
		return bad(status, 400, d, e, "line not ended by CRLF");
	err = request_line(p, e, &r, status, d);
	if (err != TG_OK)
		return err;
	off = e + 2;
	for (;;) {
		e = line_end(p, lim, off);
		if (e == lim || e + 1 >= lim) {
			if (n >= TG_HTTP_HEAD_MAX || e - off > TG_HTTP_LINE_MAX)
				return bad(status, 431, d, off, "request head too long");
			return TG_E_AGAIN;
		}
		if (p[e] != '\r' || p[e + 1] != '\n')
			return bad(status, 400, d, e, "line not ended by CRLF");
		if (e == off)
			break;
		if (e - off > TG_HTTP_LINE_MAX)
			return bad(status, 431, d, off, "header line too long");
		if (++nh > TG_HTTP_HEADERS_MAX)
			return bad(status, 431, d, off, "too many header fields");
		err = header(p, off, e, &r, status, d);
		if (err != TG_OK)
			return err;
		off = e + 2;
	}
	r.head_len = e + 2;
	*out = r;
	return TG_OK;
}

const char *tg_http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}
