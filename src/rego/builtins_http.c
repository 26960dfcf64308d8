/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builtins_http.c - http.send with OPA's semantics (topdown/http.go), an
 * HTTP/1.1 client over TCP and OpenSSL TLS, and what it shares with
 * providers.aws.sign_req and net.lookup_ip_addr: Go's url.Parse subset,
 * the request checks, the network allow-list and the response parser.
 */

/*
 * Nothing leaves the process unless the evaluation has TG_REGO_CAP_NET and
 * the URL's host is on the options' allow_net list: otherwise http.send
 * stops the evaluation (TG_E_PERM) with a message naming the host and the
 * way to allow it. One request per connection ("Connection: close"), a
 * deadline over connect, TLS handshake, write and read (the request's
 * timeout, 5 s by default as in OPA), and a cap on the response (headers
 * TG_LIMIT_REGO_HTTP_HEAD, body options.http_max_body). Within one query
 * the same request returns the same response or error (OPA's intra-query
 * cache: responses with a cacheable status, and errors); nothing is kept
 * across queries (OPA's inter-query cache is not implemented: "cache" and
 * "force_cache" are accepted and have no effect).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/limits.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "rego/rego.h"
#include "rego/rego_bi.h"
#include "rego/rego_builtin.h"
#include "rego/rego_http.h"
#include "tollgate/rego.h"

#define UNUSED_NARGS (void)nargs
#define HTTP_DEFAULT_TIMEOUT_NS 5000000000LL /* OPA's defaultHTTPRequestTimeout */
#define HTTP_MAX_REDIRECTS 10                 /* Go's http.Client default */
/* what Go's http.Client says when its Timeout passes */
#define GO_TIMEOUT "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"

/* ------------------------------------------------------------------ */
/* Go's url.Parse (the parts OPA's built-ins use)                      */
/* ------------------------------------------------------------------ */

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static bool is_unreserved(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_' || ch == '.' || ch == '~';
}

/* Go's shouldEscape(c, encodePath) */
static bool path_should_escape(int ch)
{
	if (is_unreserved(ch))
		return false;
	switch (ch) {
	case '$': case '&': case '+': case ',': case '/': case ':': case ';': case '=': case '@':
		return false;
	default:
		return true;
	}
}

static void url_error(char *msg, size_t msglen, const char *s, size_t n, const char *tail)
{
	struct tg_buf b = TG_BUF_INIT(TG_DIAG_MSG_MAX * 4);
	if (tg_buf_adds(&b, "parse ") == TG_OK)
		(void)!tg_rego_go_quote(&b, s, n > 200 ? 200 : n, false);
	(void)snprintf(msg, msglen, "%s: %s", b.len ? tg_buf_str(&b) : "parse", tail);
	tg_buf_release(&b);
}

/* Go's `invalid URL escape "%zz"` for the escape at e (len bytes left) */
static void escape_error(char *msg, size_t msglen, const char *s, size_t n, const char *e,
			 size_t len)
{
	char tail[64];
	(void)snprintf(tail, sizeof(tail), "invalid URL escape \"%.*s\"", (int)(len < 3 ? len : 3), e);
	url_error(msg, msglen, s, n, tail);
}

/* checks the %XX escapes of s (Go's unescape error) */
static bool escapes_ok(const char *s, size_t n, size_t *bad)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '%') {
			if (n - i < 3 || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0) {
				*bad = i;
				return false;
			}
			i += 2;
		}
	return true;
}

tg_err tg_rego_url_parse(const char *s, size_t n, struct tg_rego_url *u, char *msg, size_t msglen)
{
	const char *rest;
	size_t rn, i, bad;
	memset(u, 0, sizeof(*u));
	u->path = u->query = u->host = u->scheme = "";
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			url_error(msg, msglen, s, n, "net/url: invalid control character in URL");
			return TG_E_PARSE;
		}
	/* the fragment goes first (url.Parse cuts at '#') */
	for (i = 0; i < n && s[i] != '#'; i++)
		;
	if (i < n && !escapes_ok(s + i + 1, n - i - 1, &bad)) {
		const char *e = s + i + 1 + bad;
		size_t en = n - i - 1 - bad;
		escape_error(msg, msglen, s, n, e, en);
		return TG_E_PARSE;
	}
	rn = i;
	rest = s;
	/* getScheme */
	for (i = 0; i < rn; i++) {
		char ch = s[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))
			continue;
		if ((ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.') {
			if (i == 0)
				break;
			continue;
		}
		if (ch == ':') {
			if (i == 0) {
				url_error(msg, msglen, s, n, "missing protocol scheme");
				return TG_E_PARSE;
			}
			u->scheme = s;
			u->scheme_n = i;
			for (size_t j = 0; j < i && j + 1 < sizeof(u->scheme_lc); j++)
				u->scheme_lc[j] = (char)((s[j] >= 'A' && s[j] <= 'Z') ? s[j] + 32 : s[j]);
			rest = s + i + 1;
			rn -= i + 1;
		}
		break;
	}
	/* the query */
	{
		const char *q = memchr(rest, '?', rn);
		if (q) {
			u->query = q + 1;
			u->query_n = rn - (size_t)(q + 1 - rest);
			if (u->query_n == 0)
				u->force_query = true;
			rn = (size_t)(q - rest);
		}
	}
	if (u->scheme_n && (rn == 0 || rest[0] != '/')) {
		u->opaque = true;
		return TG_OK;
	}
	if (!u->scheme_n) {
		/* a colon in the first segment would read as a scheme */
		size_t k;
		for (k = 0; k < rn && rest[k] != '/'; k++)
			if (rest[k] == ':') {
				url_error(msg, msglen, s, n,
					  "first path segment in URL cannot contain colon");
				return TG_E_PARSE;
			}
	}
	if ((u->scheme_n || !(rn >= 3 && memcmp(rest, "///", 3) == 0)) && rn >= 2 &&
	    rest[0] == '/' && rest[1] == '/') {
		const char *auth = rest + 2, *slash = memchr(auth, '/', rn - 2), *at;
		size_t an = slash ? (size_t)(slash - auth) : rn - 2;
		/* userinfo@host: the last '@' ends the userinfo */
		at = NULL;
		for (size_t k = 0; k < an; k++)
			if (auth[k] == '@')
				at = auth + k;
		if (at) {
			an -= (size_t)(at + 1 - auth);
			auth = at + 1;
		}
		/* the port must be digits (Go's validOptionalPort) */
		{
			const char *colon = NULL;
			size_t start = 0;
			if (an && auth[0] == '[') {
				const char *rb = memchr(auth, ']', an);
				if (!rb) {
					url_error(msg, msglen, s, n, "missing ']' in host");
					return TG_E_PARSE;
				}
				start = (size_t)(rb - auth) + 1;
				if (start < an && auth[start] != ':') {
					char tail[160];
					(void)snprintf(tail, sizeof(tail), "invalid port \"%.*s\" after host",
						       (int)(an - start > 100 ? 100 : an - start),
						       auth + start);
					url_error(msg, msglen, s, n, tail);
					return TG_E_PARSE;
				}
			}
			for (size_t k = start; k < an; k++)
				if (auth[k] == ':')
					colon = auth + k;
			if (colon) {
				for (const char *p = colon + 1; p < auth + an; p++)
					if (*p < '0' || *p > '9') {
						char tail[160];
						size_t pn = (size_t)(auth + an - colon);
						(void)snprintf(tail, sizeof(tail),
							       "invalid port \"%.*s\" after host",
							       (int)(pn > 100 ? 100 : pn), colon);
						url_error(msg, msglen, s, n, tail);
						return TG_E_PARSE;
					}
			}
		}
		if (!escapes_ok(auth, an, &bad)) {
			escape_error(msg, msglen, s, n, auth + bad, an - bad);
			return TG_E_PARSE;
		}
		u->host = auth;
		u->host_n = an;
		rn -= (size_t)(auth + an - rest);
		rest = auth + an;
	}
	if (!escapes_ok(rest, rn, &bad)) {
		escape_error(msg, msglen, s, n, rest + bad, rn - bad);
		return TG_E_PARSE;
	}
	u->path = rest;
	u->path_n = rn;
	return TG_OK;
}

tg_err tg_rego_url_escaped_path(const struct tg_rego_url *u, struct tg_buf *out)
{
	bool valid = true;
	tg_err r;
	/* Go: RawPath (the path as written) when it is a valid encoding,
	 * else the decoded path escaped again */
	for (size_t i = 0; i < u->path_n && valid; i++) {
		char ch = u->path[i];
		switch (ch) {
		case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+':
		case ',': case ';': case '=': case ':': case '@': case '[': case ']': case '%':
			break;
		default:
			if (path_should_escape((unsigned char)ch))
				valid = false;
		}
	}
	if (valid)
		return tg_buf_add(out, u->path, u->path_n);
	for (size_t i = 0; i < u->path_n; i++) {
		int ch = (unsigned char)u->path[i];
		if (ch == '%' && u->path_n - i >= 3 && hexval(u->path[i + 1]) >= 0 &&
		    hexval(u->path[i + 2]) >= 0) {
			ch = hexval(u->path[i + 1]) * 16 + hexval(u->path[i + 2]);
			i += 2;
		}
		if (path_should_escape(ch))
			r = tg_buf_addf(out, "%%%02X", (unsigned)ch);
		else
			r = tg_buf_addc(out, (uint8_t)ch);
		if (r != TG_OK)
			return r;
	}
	return TG_OK;
}

/* ------------------------------------------------------------------ */
/* request checks, the allow-list                                      */
/* ------------------------------------------------------------------ */

/* the request keys OPA's http.send knows */
static const char *const http_keys[] = {
	"method", "url", "body", "enable_redirect", "force_json_decode", "force_yaml_decode",
	"headers", "raw_body", "tls_use_system_certs", "tls_ca_cert", "tls_ca_cert_file",
	"tls_ca_cert_env_variable", "tls_client_cert", "tls_client_cert_file",
	"tls_client_cert_env_variable", "tls_client_key", "tls_client_key_file",
	"tls_client_key_env_variable", "tls_insecure_skip_verify", "tls_server_name", "timeout",
	"cache", "force_cache", "force_cache_duration_seconds", "raise_error", "caching_mode",
	"max_retry_attempts", "cache_ignored_headers", NULL};

static bool http_key_known(const struct tg_json *k)
{
	if (k->type != TG_JSON_STRING)
		return false;
	for (size_t i = 0; http_keys[i]; i++)
		if (tg_json_str_eq(k, http_keys[i]))
			return true;
	return false;
}

tg_err tg_rego_http_check_request(struct tg_rego_bctx *c, const struct tg_json *req, size_t pos)
{
	struct tg_rego_bi_list bad;
	const struct tg_json *set;
	struct tg_buf b = TG_BUF_INIT(TG_DIAG_MSG_MAX);
	tg_err r;
	tg_rego_bi_list_init(&bad, c->a);
	for (size_t i = 0; i < req->u.o.len; i++)
		if (!http_key_known(req->u.o.items[i].key) &&
		    (r = tg_rego_bi_list_add(&bad, req->u.o.items[i].key)) != TG_OK)
			return r;
	if (bad.len == 0) {
		static const char *const required[] = {"method", "url"};
		for (size_t i = 0; i < 2; i++) {
			const struct tg_json *k;
			if (tg_json_get(req, required[i]))
				continue;
			if ((r = tg_json_new_string(c->a, required[i], strlen(required[i]), &k)) !=
				    TG_OK ||
			    (r = tg_rego_bi_list_add(&bad, k)) != TG_OK)
				return r;
		}
		if (bad.len == 0)
			return TG_OK;
		r = tg_buf_addf(&b, "operand %zu missing required request parameters(s): ", pos);
	} else {
		r = tg_buf_addf(&b, "operand %zu invalid request parameters(s): ", pos);
	}
	if (r != TG_OK)
		return r;
	if ((r = tg_rego_bi_list_set(&bad, &set)) != TG_OK)
		return r;
	/* a message cut at the diagnostic's size is still the right error */
	(void)!tg_rego_go_term(&b, set);
	tg_diag_set(c->d, "%s", tg_buf_str(&b));
	tg_buf_release(&b);
	return TG_E_TYPE;
}

bool tg_rego_net_allowed(const struct tg_rego_bctx *c, const char *host, size_t n)
{
	const char *const *l;
	if (!(c->caps & TG_REGO_CAP_NET))
		return false;
	l = c->opts ? c->opts->allow_net : NULL;
	if (!l)
		return true;
	for (; *l; l++)
		if (strlen(*l) == n && strncasecmp(*l, host, n) == 0)
			return true;
	return false;
}

tg_err tg_rego_net_refuse(struct tg_rego_bctx *c, const char *host, size_t n)
{
	int hn = (int)(n > 100 ? 100 : n);
	if (!(c->caps & TG_REGO_CAP_NET))
		tg_diag_set(c->d,
			    "network access to '%.*s' is not allowed: allow it with "
			    "`tollgate policy eval --allow-net %.*s` (C API: TG_REGO_CAP_NET in "
			    "options.caps and the host in options.allow_net)",
			    hn, host, hn, host);
	else
		tg_diag_set(c->d,
			    "unallowed host: %.*s (not on the --allow-net list / options.allow_net)",
			    hn, host);
	return TG_E_PERM;
}

/* ------------------------------------------------------------------ */
/* the response parser                                                 */
/* ------------------------------------------------------------------ */

void tg_rego_http_resp_init(struct tg_rego_http_resp *r, size_t max_body)
{
	memset(r, 0, sizeof(*r));
	tg_buf_init(&r->body, max_body);
}

void tg_rego_http_resp_release(struct tg_rego_http_resp *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	tg_buf_release(&r->body);
	r->headers = NULL;
	r->nheaders = 0;
}

/* finds the end of the line starting at off: the offset of '\n' */
static bool find_lf(const uint8_t *p, size_t n, size_t off, size_t *lf)
{
	const uint8_t *q = memchr(p + off, '\n', n - off);
	if (!q)
		return false;
	*lf = (size_t)(q - p);
	return true;
}

static bool is_tchar(int ch)
{
	return is_unreserved(ch) || strchr("!#$%&'*+^`|", ch) != NULL;
}

static const char *resp_header(const struct tg_rego_http_resp *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

static tg_err parse_body(const uint8_t *p, size_t n, size_t off, bool eof, bool no_body,
			 struct tg_rego_http_resp *r, size_t *used, char *msg, size_t msglen)
{
	const char *te = resp_header(r, "transfer-encoding"), *cl = resp_header(r, "content-length");
	if (no_body) {
		*used = off;
		return TG_OK;
	}
	if (te && strcasecmp(te, "identity") != 0) {
		if (strcasecmp(te, "chunked") != 0) {
			(void)snprintf(msg, msglen, "unsupported transfer encoding: \"%.60s\"", te);
			return TG_E_PARSE;
		}
		for (;;) {
			size_t lf, size = 0, k, digits = 0;
			if (!find_lf(p, n, off, &lf))
				return eof ? (snprintf(msg, msglen, "unexpected EOF"), TG_E_PARSE)
					   : TG_E_AGAIN;
			for (k = off; k < lf; k++) {
				int h = hexval(p[k]);
				if (h < 0)
					break;
				if (++digits > 15) {
					(void)snprintf(msg, msglen, "http chunk length too large");
					return TG_E_PARSE;
				}
				size = size * 16 + (size_t)h;
			}
			/* chunk extensions after ';' are ignored; anything else is bad */
			if (digits == 0 || (k < lf && p[k] != ';' && p[k] != '\r' && p[k] != ' ' &&
					    p[k] != '\t')) {
				(void)snprintf(msg, msglen, "invalid byte in chunk length");
				return TG_E_PARSE;
			}
			off = lf + 1;
			if (size == 0) {
				/* trailers up to an empty line */
				for (;;) {
					if (!find_lf(p, n, off, &lf))
						return eof ? (snprintf(msg, msglen, "unexpected EOF"),
							      TG_E_PARSE)
							   : TG_E_AGAIN;
					if (lf == off || (lf == off + 1 && p[off] == '\r')) {
						*used = lf + 1;
						return TG_OK;
					}
					off = lf + 1;
				}
			}
			if (size > n - off || n - off - size < 1)
				return eof ? (snprintf(msg, msglen, "unexpected EOF"), TG_E_PARSE)
					   : TG_E_AGAIN;
			if (size > r->body.max - r->body.len) {
				(void)snprintf(msg, msglen, "response body exceeds %zu bytes",
					       r->body.max);
				return TG_E_TOOBIG;
			}
			if (tg_buf_add(&r->body, p + off, size) != TG_OK)
				return TG_E_TOOBIG;
			off += size;
			if (p[off] == '\r') {
				if (n - off < 2)
					return eof ? (snprintf(msg, msglen, "unexpected EOF"), TG_E_PARSE)
						   : TG_E_AGAIN;
				off++;
			}
			if (p[off] != '\n') {
				(void)snprintf(msg, msglen, "malformed chunked encoding");
				return TG_E_PARSE;
			}
			off++;
		}
	}
	if (cl) {
		size_t len = 0;
		if (!*cl) {
			(void)snprintf(msg, msglen, "bad Content-Length \"\"");
			return TG_E_PARSE;
		}
		for (const char *q = cl; *q; q++) {
			if (*q < '0' || *q > '9' || len > (SIZE_MAX - 9) / 10) {
				(void)snprintf(msg, msglen, "bad Content-Length \"%.40s\"", cl);
				return TG_E_PARSE;
			}
			len = len * 10 + (size_t)(*q - '0');
		}
		if (len > r->body.max) {
			(void)snprintf(msg, msglen, "response body exceeds %zu bytes", r->body.max);
			return TG_E_TOOBIG;
		}
		if (len > n - off)
			return eof ? (snprintf(msg, msglen, "unexpected EOF"), TG_E_PARSE) : TG_E_AGAIN;
		if (tg_buf_add(&r->body, p + off, len) != TG_OK)
			return TG_E_TOOBIG;
		*used = off + len;
		return TG_OK;
	}
	/* neither: the body runs to the end of the connection */
	if (n - off > r->body.max) {
		(void)snprintf(msg, msglen, "response body exceeds %zu bytes", r->body.max);
		return TG_E_TOOBIG;
	}
	if (!eof)
		return TG_E_AGAIN;
	if (tg_buf_add(&r->body, p + off, n - off) != TG_OK)
		return TG_E_TOOBIG;
	*used = n;
	return TG_OK;
}

tg_err tg_rego_http_resp_parse(const uint8_t *p, size_t n, bool eof, bool head_only,
			       struct tg_rego_http_resp *r, size_t *used, char *msg, size_t msglen)
{
	size_t lf, off = 0, end, k;
	tg_err rc;
	msg[0] = 0;
	tg_rego_http_resp_release(r);
	tg_buf_reset(&r->body);
	r->status = 0;
	r->status_text[0] = 0;
	if (n == 0) {
		if (!eof)
			return TG_E_AGAIN;
		(void)snprintf(msg, msglen, "EOF");
		return TG_E_PARSE;
	}
	/* the status line: HTTP/1.x SP 3DIGIT [SP reason] */
	if (!find_lf(p, n, 0, &lf)) {
		if (n > TG_LIMIT_REGO_HTTP_HEAD) {
			(void)snprintf(msg, msglen, "response headers exceed %zu bytes",
				       (size_t)TG_LIMIT_REGO_HTTP_HEAD);
			return TG_E_TOOBIG;
		}
		if (eof) {
			(void)snprintf(msg, msglen, n ? "malformed HTTP response" : "EOF");
			return TG_E_PARSE;
		}
		return TG_E_AGAIN;
	}
	end = lf && p[lf - 1] == '\r' ? lf - 1 : lf;
	if (end < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' || p[7] > '9' || p[8] != ' ' ||
	    p[9] < '1' || p[9] > '9' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9' ||
	    (end > 12 && p[12] != ' ')) {
		(void)snprintf(msg, msglen, "malformed HTTP response \"%.*s\"",
			       (int)(end > 60 ? 60 : end), (const char *)p);
		for (k = 0; msg[k]; k++)
			if ((unsigned char)msg[k] < 0x20 || (unsigned char)msg[k] >= 0x7f)
				msg[k] = '?';
		return TG_E_PARSE;
	}
	r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	{
		/* Go's Status: the line after the protocol, left-trimmed */
		size_t s = 9, sl = end - s;
		if (sl >= sizeof(r->status_text))
			sl = sizeof(r->status_text) - 1;
		memcpy(r->status_text, p + s, sl);
		r->status_text[sl] = 0;
		if (!tg_utf8_valid((const uint8_t *)r->status_text, sl, NULL))
			for (k = 0; k < sl; k++)
				if ((unsigned char)r->status_text[k] >= 0x80)
					r->status_text[k] = '?';
		for (k = 0; k < sl; k++)
			if ((unsigned char)r->status_text[k] < 0x20)
				r->status_text[k] = ' ';
	}
	off = lf + 1;
	/* header fields up to the empty line */
	for (;;) {
		size_t colon, vs, ve;
		if (!find_lf(p, n, off, &lf)) {
			if (n > TG_LIMIT_REGO_HTTP_HEAD) {
				(void)snprintf(msg, msglen, "response headers exceed %zu bytes",
					       (size_t)TG_LIMIT_REGO_HTTP_HEAD);
				return TG_E_TOOBIG;
			}
			if (eof) {
				(void)snprintf(msg, msglen, "unexpected EOF reading headers");
				return TG_E_PARSE;
			}
			return TG_E_AGAIN;
		}
		if (lf > TG_LIMIT_REGO_HTTP_HEAD) {
			(void)snprintf(msg, msglen, "response headers exceed %zu bytes",
				       (size_t)TG_LIMIT_REGO_HTTP_HEAD);
			return TG_E_TOOBIG;
		}
		end = lf > off && p[lf - 1] == '\r' ? lf - 1 : lf;
		if (end == off) {
			off = lf + 1;
			break;
		}
		if (p[off] == ' ' || p[off] == '\t') {
			(void)snprintf(msg, msglen, "malformed MIME header: obsolete line folding");
			return TG_E_PARSE;
		}
		for (colon = off; colon < end && p[colon] != ':'; colon++)
			if (!is_tchar(p[colon])) {
				(void)snprintf(msg, msglen, "malformed MIME header line");
				return TG_E_PARSE;
			}
		if (colon == end || colon == off) {
			(void)snprintf(msg, msglen, "malformed MIME header line");
			return TG_E_PARSE;
		}
		for (vs = colon + 1; vs < end && (p[vs] == ' ' || p[vs] == '\t'); vs++)
			;
		for (ve = end; ve > vs && (p[ve - 1] == ' ' || p[ve - 1] == '\t'); ve--)
			;
		for (k = vs; k < ve; k++)
			if ((p[k] < 0x20 && p[k] != '\t') || p[k] == 0x7f) {
				(void)snprintf(msg, msglen, "malformed MIME header: invalid byte");
				return TG_E_PARSE;
			}
		r->headers = tg_xreallocarray(r->headers, r->nheaders + 1, sizeof(*r->headers));
		r->headers[r->nheaders].name = tg_xmalloc(colon - off + 1);
		for (k = off; k < colon; k++)
			r->headers[r->nheaders].name[k - off] =
				(char)((p[k] >= 'A' && p[k] <= 'Z') ? p[k] + 32 : p[k]);
		r->headers[r->nheaders].name[colon - off] = 0;
		r->headers[r->nheaders].value = tg_xmalloc(ve - vs + 1);
		memcpy(r->headers[r->nheaders].value, p + vs, ve - vs);
		r->headers[r->nheaders].value[ve - vs] = 0;
		r->nheaders++;
		off = lf + 1;
	}
	rc = parse_body(p, n, off, eof,
			head_only || r->status / 100 == 1 || r->status == 204 || r->status == 304, r,
			used, msg, msglen);
	return rc;
}

/* ------------------------------------------------------------------ */
/* the client                                                          */
/* ------------------------------------------------------------------ */

struct conn {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	int64_t deadline; /* CLOCK_MONOTONIC ns */
};

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* waits for fd to be readable (in) or writable; false on timeout */
static bool wait_fd(const struct conn *cn, bool in)
{
	for (;;) {
		struct pollfd pf = {.fd = cn->fd, .events = (short)(in ? POLLIN : POLLOUT)};
		int64_t left = cn->deadline - mono_ns();
		int rc;
		if (left <= 0)
			return false;
		rc = poll(&pf, 1, (int)(left / 1000000 + 1));
		if (rc > 0)
			return true;
		if (rc == 0)
			return false;
		if (errno != EINTR)
			return true; /* let the I/O call report it */
	}
}

struct http_err {
	bool network;  /* Go's *url.Error: eval_http_send_network_error */
	bool timeout;
	char msg[TG_DIAG_MSG_MAX];
};

static void conn_close(struct conn *cn)
{
	if (cn->ssl) {
		SSL_free(cn->ssl);
		cn->ssl = NULL;
	}
	if (cn->ctx) {
		SSL_CTX_free(cn->ctx);
		cn->ctx = NULL;
	}
	if (cn->fd >= 0) {
		close(cn->fd);
		cn->fd = -1;
	}
}

/* Go spells system errors in lower case ("connection refused") */
static void go_errno_case(char *msg)
{
	char *p = strrchr(msg, ':');
	if (p && p[1] == ' ' && p[2] >= 'A' && p[2] <= 'Z')
		p[2] = (char)(p[2] + 32);
}

static bool tcp_connect(struct conn *cn, const char *host, const char *port, struct http_err *he)
{
	struct addrinfo hints, *res = NULL, *ai;
	int rc, last = 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		(void)snprintf(he->msg, sizeof(he->msg), "dial tcp: lookup %.100s: %s", host,
			       rc == EAI_NONAME ? "no such host" : gai_strerror(rc));
		return false;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
				ai->ai_protocol);
		if (fd < 0) {
			last = errno;
			continue;
		}
		cn->fd = fd;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && wait_fd(cn, false))) {
			int err = 0;
			socklen_t el = sizeof(err);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0) {
				int one = 1;
				(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				freeaddrinfo(res);
				return true;
			}
			last = err;
		} else if (errno == EINPROGRESS) {
			last = ETIMEDOUT;
			he->timeout = true;
		} else {
			last = errno;
		}
		close(fd);
		cn->fd = -1;
	}
	freeaddrinfo(res);
	(void)snprintf(he->msg, sizeof(he->msg), "dial tcp %.100s:%s: connect: %s", host, port,
		       strerror(last ? last : ECONNREFUSED));
	go_errno_case(he->msg);
	return false;
}

struct tls_opts {
	bool insecure;
	bool system_certs;     /* tls_use_system_certs true */
	bool has_system_flag;  /* tls_use_system_certs given */
	const char *ca_pem;    /* tls_ca_cert (PEM, "\n" escapes already replaced) */
	size_t ca_n;
	const char *ca_file;
	const char *cert_pem, *key_pem; /* client certificate and key */
	size_t cert_n, key_n;
	const char *cert_file, *key_file;
	const char *server_name; /* tls_server_name or the Host header */
};

static void tls_error(struct http_err *he, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[160];
	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	else
		(void)snprintf(buf, sizeof(buf), "unknown error");
	ERR_clear_error();
	(void)snprintf(he->msg, sizeof(he->msg), "tls: %s: %s", what, buf);
}

static bool add_pem_certs(X509_STORE *st, const char *pem, size_t n, struct http_err *he)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)(n > INT32_MAX ? INT32_MAX : n));
	X509 *x;
	int count = 0;
	if (!bio)
		abort();
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		(void)X509_STORE_add_cert(st, x);
		X509_free(x);
		count++;
	}
	ERR_clear_error();
	BIO_free(bio);
	if (count == 0) {
		(void)snprintf(he->msg, sizeof(he->msg), "could not append certificates from PEM");
		return false;
	}
	return true;
}

static bool tls_setup(struct conn *cn, const char *host, const struct tls_opts *t,
		      struct http_err *he)
{
	const char *sni = t->server_name ? t->server_name : host;
	unsigned char ipbuf[16];
	bool is_ip = inet_pton(AF_INET, sni, ipbuf) == 1 || inet_pton(AF_INET6, sni, ipbuf) == 1;
	cn->ctx = SSL_CTX_new(TLS_client_method());
	if (!cn->ctx) {
		tls_error(he, "context");
		return false;
	}
	(void)SSL_CTX_set_min_proto_version(cn->ctx, TLS1_2_VERSION);
	if (!t->insecure) {
		X509_STORE *st = SSL_CTX_get_cert_store(cn->ctx);
		bool custom = t->ca_pem || t->ca_file;
		SSL_CTX_set_verify(cn->ctx, SSL_VERIFY_PEER, NULL);
		/* Go: RootCAs replaces the system pool unless tls_use_system_certs */
		if (!custom || (t->has_system_flag && t->system_certs))
			(void)SSL_CTX_set_default_verify_paths(cn->ctx);
		if (t->ca_pem && !add_pem_certs(st, t->ca_pem, t->ca_n, he))
			return false;
		if (t->ca_file && SSL_CTX_load_verify_locations(cn->ctx, t->ca_file, NULL) != 1) {
			tls_error(he, "tls_ca_cert_file");
			return false;
		}
	}
	if (t->cert_pem && t->key_pem) {
		BIO *b1 = BIO_new_mem_buf(t->cert_pem, (int)t->cert_n);
		BIO *b2 = BIO_new_mem_buf(t->key_pem, (int)t->key_n);
		X509 *x = b1 ? PEM_read_bio_X509(b1, NULL, NULL, NULL) : NULL;
		EVP_PKEY *k = b2 ? PEM_read_bio_PrivateKey(b2, NULL, NULL, NULL) : NULL;
		bool ok = x && k && SSL_CTX_use_certificate(cn->ctx, x) == 1 &&
			  SSL_CTX_use_PrivateKey(cn->ctx, k) == 1;
		X509_free(x);
		EVP_PKEY_free(k);
		BIO_free(b1);
		BIO_free(b2);
		if (!ok) {
			tls_error(he, "client certificate");
			return false;
		}
	}
	if (t->cert_file && t->key_file &&
	    (SSL_CTX_use_certificate_chain_file(cn->ctx, t->cert_file) != 1 ||
	     SSL_CTX_use_PrivateKey_file(cn->ctx, t->key_file, SSL_FILETYPE_PEM) != 1)) {
		tls_error(he, "client certificate file");
		return false;
	}
	cn->ssl = SSL_new(cn->ctx);
	if (!cn->ssl || SSL_set_fd(cn->ssl, cn->fd) != 1) {
		tls_error(he, "session");
		return false;
	}
	if (!is_ip)
		(void)SSL_set_tlsext_host_name(cn->ssl, sni);
	if (!t->insecure) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(cn->ssl);
		if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, sni) != 1
			  : SSL_set1_host(cn->ssl, sni) != 1) {
			tls_error(he, "server name");
			return false;
		}
	}
	for (;;) {
		int rc = SSL_connect(cn->ssl), e;
		if (rc == 1)
			return true;
		e = SSL_get_error(cn->ssl, rc);
		if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
		    wait_fd(cn, e == SSL_ERROR_WANT_READ))
			continue;
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			he->timeout = true;
			(void)snprintf(he->msg, sizeof(he->msg), "net/http: TLS handshake timeout");
			return false;
		}
		if (SSL_get_verify_result(cn->ssl) != X509_V_OK) {
			(void)snprintf(he->msg, sizeof(he->msg), "tls: failed to verify certificate: %s",
				       X509_verify_cert_error_string(SSL_get_verify_result(cn->ssl)));
			ERR_clear_error();
			return false;
		}
		tls_error(he, "handshake failed");
		return false;
	}
}

static bool conn_write(struct conn *cn, const uint8_t *p, size_t n, struct http_err *he)
{
	while (n) {
		ssize_t w;
		if (cn->ssl) {
			size_t done = 0;
			int rc = SSL_write_ex(cn->ssl, p, n, &done), e;
			if (rc == 1) {
				p += done;
				n -= done;
				continue;
			}
			e = SSL_get_error(cn->ssl, rc);
			if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
			    wait_fd(cn, e == SSL_ERROR_WANT_READ))
				continue;
			he->timeout = e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
			(void)snprintf(he->msg, sizeof(he->msg), "write: %s",
				       he->timeout ? "i/o timeout" : "connection reset by peer");
			return false;
		}
		w = send(cn->fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && (errno == EAGAIN || errno == EINTR) && wait_fd(cn, false))
			continue;
		he->timeout = w < 0 && errno == EAGAIN;
		(void)snprintf(he->msg, sizeof(he->msg), "write: %s",
			       he->timeout ? "i/o timeout" : strerror(errno));
		return false;
	}
	return true;
}

/* reads some bytes; 0 at EOF, -1 on error (he set) */
static ssize_t conn_read(struct conn *cn, uint8_t *p, size_t n, struct http_err *he)
{
	for (;;) {
		ssize_t rd;
		if (cn->ssl) {
			size_t got = 0;
			int rc = SSL_read_ex(cn->ssl, p, n, &got), e;
			if (rc == 1)
				return (ssize_t)got;
			e = SSL_get_error(cn->ssl, rc);
			if (e == SSL_ERROR_ZERO_RETURN)
				return 0;
			if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
			    wait_fd(cn, e == SSL_ERROR_WANT_READ))
				continue;
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
				he->timeout = true;
				(void)snprintf(he->msg, sizeof(he->msg), "%s", GO_TIMEOUT);
				return -1;
			}
			/* a peer that closes without close_notify: EOF, as Go reads it */
			if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_SSL) {
				ERR_clear_error();
				return 0;
			}
			(void)snprintf(he->msg, sizeof(he->msg), "read: tls error");
			return -1;
		}
		rd = recv(cn->fd, p, n, 0);
		if (rd >= 0)
			return rd;
		if ((errno == EAGAIN || errno == EINTR) && wait_fd(cn, true))
			continue;
		he->timeout = errno == EAGAIN;
		if (he->timeout)
			(void)snprintf(he->msg, sizeof(he->msg), "%s", GO_TIMEOUT);
		else
			(void)snprintf(he->msg, sizeof(he->msg), "read: %s", strerror(errno));
		go_errno_case(he->msg);
		return -1;
	}
}

/* what one http.send needs, read from the request object */
struct hreq {
	char method[32];
	const char *url;
	size_t url_n;
	const struct tg_json *headers; /* object of string values, or NULL */
	struct tg_buf body;
	int64_t timeout_ns;
	bool enable_redirect, force_json, force_yaml, raise_error;
	int64_t retries;
	struct tls_opts tls;
	const char *host_header;
	char *ca_copy; /* tls_ca_cert with "\n" escapes replaced (malloc) */
	char *env_ca, *env_cert, *env_key;
};

/* Go's http.CanonicalHeaderKey */
static void canonical_key(const char *k, size_t n, struct tg_buf *b, bool *ok)
{
	bool up = true;
	*ok = true;
	for (size_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)k[i]) || k[i] == ' ') {
			*ok = false;
			break;
		}
	for (size_t i = 0; i < n; i++) {
		char ch = k[i];
		if (*ok) {
			if (up && ch >= 'a' && ch <= 'z')
				ch = (char)(ch - 32);
			else if (!up && ch >= 'A' && ch <= 'Z')
				ch = (char)(ch + 32);
			up = ch == '-';
		}
		(void)!tg_buf_addc(b, (uint8_t)ch);
	}
}

static bool header_value_ok(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 && v[i] != '\t')
			return false;
	return true;
}

/* builds the request bytes for one attempt */
static tg_err build_request(const struct hreq *q, const struct tg_rego_url *u, const char *method,
			    bool with_body, struct tg_buf *out, char *msg, size_t msglen)
{
	bool has_ua = false, has_host = false;
	tg_err r;
	struct tg_buf tgt = TG_BUF_INIT(TG_LIMIT_REGO_HTTP_HEAD);
	if ((r = tg_rego_url_escaped_path(u, &tgt)) != TG_OK)
		goto out;
	if (tgt.len == 0 && (r = tg_buf_addc(&tgt, '/')) != TG_OK)
		goto out;
	if ((u->query_n || u->force_query) &&
	    ((r = tg_buf_addc(&tgt, '?')) != TG_OK ||
	     (r = tg_buf_add(&tgt, u->query, u->query_n)) != TG_OK))
		goto out;
	if ((r = tg_buf_addf(out, "%s %s HTTP/1.1\r\n", method, tg_buf_str(&tgt))) != TG_OK)
		goto out;
	for (size_t i = 0; q->headers && i < q->headers->u.o.len; i++) {
		const struct tg_json *k = q->headers->u.o.items[i].key, *v = q->headers->u.o.items[i].val;
		struct tg_buf ck = TG_BUF_INIT(8192);
		bool ok;
		canonical_key(k->u.s.p, k->u.s.len, &ck, &ok);
		if (!ok || ck.len == 0 || !header_value_ok(v->u.s.p, v->u.s.len)) {
			(void)snprintf(msg, msglen, "net/http: invalid header field %s %.60s",
				       ok ? "value for" : "name", tg_buf_str(&ck));
			tg_buf_release(&ck);
			r = TG_E_PARSE;
			goto out;
		}
		if (strcmp(tg_buf_str(&ck), "User-Agent") == 0)
			has_ua = true;
		if (strcmp(tg_buf_str(&ck), "Host") == 0) {
			has_host = true;
			r = tg_buf_addf(out, "Host: %.*s\r\n", (int)v->u.s.len, v->u.s.p);
		} else if (strcmp(tg_buf_str(&ck), "Content-Length") == 0 ||
			   strcmp(tg_buf_str(&ck), "Connection") == 0 ||
			   strcmp(tg_buf_str(&ck), "Transfer-Encoding") == 0) {
			r = TG_OK; /* framing is ours, as Go's transport does */
		} else {
			r = tg_buf_addf(out, "%s: %.*s\r\n", tg_buf_str(&ck), (int)v->u.s.len,
					v->u.s.p);
		}
		tg_buf_release(&ck);
		if (r != TG_OK)
			goto out;
	}
	if (!has_host && (r = tg_buf_addf(out, "Host: %.*s\r\n", (int)u->host_n, u->host)) != TG_OK)
		goto out;
	if (!has_ua && (r = tg_buf_adds(out, "User-Agent: tollgate/" TG_VERSION "\r\n")) != TG_OK)
		goto out;
	if (with_body && (q->body.len || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
			  strcmp(method, "PATCH") == 0) &&
	    (r = tg_buf_addf(out, "Content-Length: %zu\r\n", q->body.len)) != TG_OK)
		goto out;
	if ((r = tg_buf_adds(out, "Accept-Encoding: identity\r\nConnection: close\r\n\r\n")) != TG_OK)
		goto out;
	if (with_body && q->body.len && (r = tg_buf_add(out, q->body.data, q->body.len)) != TG_OK)
		goto out;
out:
	tg_buf_release(&tgt);
	return r;
}

/* Splits URL.Host into a host name (brackets removed) and a port. */
static void split_host(const struct tg_rego_url *u, char *host, size_t hl, char *port, size_t pl)
{
	const char *h = u->host, *colon = NULL;
	size_t n = u->host_n;
	if (n && h[0] == '[') {
		const char *rb = memchr(h, ']', n);
		size_t in = rb ? (size_t)(rb - h - 1) : n - 1;
		(void)snprintf(host, hl, "%.*s", (int)in, h + 1);
		if (rb && (size_t)(rb - h) + 1 < n && rb[1] == ':')
			colon = rb + 1;
	} else {
		colon = memchr(h, ':', n);
		(void)snprintf(host, hl, "%.*s", (int)(colon ? (size_t)(colon - h) : n), h);
	}
	if (colon && (size_t)(h + n - colon) > 1)
		(void)snprintf(port, pl, "%.*s", (int)(h + n - colon - 1), colon + 1);
	else
		(void)snprintf(port, pl, "%s", strcmp(u->scheme_lc, "https") == 0 ? "443" : "80");
}

/* Go's urlErrorOp: "Get", "Post" */
static void op_name(const char *method, char *op, size_t ol)
{
	size_t i;
	for (i = 0; method[i] && i + 1 < ol; i++)
		op[i] = (char)(i == 0 ? method[i]
				      : ((method[i] >= 'A' && method[i] <= 'Z') ? method[i] + 32
										: method[i]));
	op[i] = 0;
}

/*
 * Whether the bytes read so far may hold a whole response, so that the
 * parser (which starts over each time) runs once per response rather than
 * once per read: the headers are complete and the body is as long as
 * Content-Length says, or a chunked body ends with an empty line, or the
 * peer closed. The parser decides; this only saves work.
 */
static bool worth_parsing(const uint8_t *p, size_t n, bool eof)
{
	const uint8_t *end = NULL;
	size_t hl, cl = 0;
	bool has_cl = false, chunked = false;
	if (eof || n > TG_LIMIT_REGO_HTTP_HEAD)
		return true;
	for (size_t i = 0; i + 1 < n && !end; i++)
		if (p[i] == '\n' && (p[i + 1] == '\n' || (p[i + 1] == '\r' && i + 2 < n && p[i + 2] == '\n')))
			end = p + i + (p[i + 1] == '\n' ? 2 : 3);
	if (!end)
		return false;
	hl = (size_t)(end - p);
	for (size_t i = 0; i < hl;) {
		const uint8_t *lf = memchr(p + i, '\n', hl - i);
		size_t ll = lf ? (size_t)(lf - (p + i)) : hl - i;
		if (ll > 15 && strncasecmp((const char *)p + i, "content-length:", 15) == 0) {
			has_cl = true;
			for (size_t k = i + 15; k < i + ll; k++)
				if (p[k] >= '0' && p[k] <= '9' && cl < SIZE_MAX / 16)
					cl = cl * 10 + (size_t)(p[k] - '0');
		}
		if (ll > 18 && strncasecmp((const char *)p + i, "transfer-encoding:", 18) == 0)
			chunked = true;
		i += ll + 1;
	}
	if (chunked)
		return n >= 2 && p[n - 1] == '\n' && (p[n - 2] == '\n' || (n >= 3 && p[n - 2] == '\r' &&
									   p[n - 3] == '\n'));
	if (has_cl)
		return n - hl >= cl;
	/* no body framing: 1xx, 204, 304 end at the headers, others at EOF */
	return n >= 12 && (p[9] == '1' || memcmp(p + 9, "204", 3) == 0 ||
			   memcmp(p + 9, "304", 3) == 0);
}

/* one exchange: connect, send, read; he set on failure */
static bool exchange(struct tg_rego_bctx *c, const struct hreq *q, const char *url, size_t url_n,
		     const char *method, bool with_body, struct tg_rego_http_resp *resp,
		     struct http_err *he, char *loc_out, size_t loc_len, bool *redirect)
{
	struct tg_rego_url u;
	struct conn cn = {.fd = -1};
	char host[256], port[16], pmsg[TG_DIAG_MSG_MAX];
	struct tg_buf req = TG_BUF_INIT(64 * TG_MIB), in;
	size_t cap = TG_LIMIT_REGO_HTTP_HEAD + resp->body.max + 64 * TG_KIB, used = 0;
	bool ok = false, is_https;
	tg_err r;
	*redirect = false;
	tg_buf_init(&in, cap);
	if (tg_rego_url_parse(url, url_n, &u, he->msg, sizeof(he->msg)) != TG_OK)
		goto out;
	if (strcmp(u.scheme_lc, "http") != 0 && strcmp(u.scheme_lc, "https") != 0) {
		(void)snprintf(he->msg, sizeof(he->msg), "unsupported protocol scheme \"%.20s\"",
			       u.scheme_lc);
		he->network = true;
		goto out;
	}
	if (u.host_n == 0 || u.host_n >= sizeof(host)) {
		(void)snprintf(he->msg, sizeof(he->msg), "http: no Host in request URL");
		he->network = true;
		goto out;
	}
	is_https = strcmp(u.scheme_lc, "https") == 0;
	split_host(&u, host, sizeof(host), port, sizeof(port));
	if ((r = build_request(q, &u, method, with_body, &req, he->msg, sizeof(he->msg))) != TG_OK) {
		if (r != TG_E_PARSE)
			(void)snprintf(he->msg, sizeof(he->msg), "request too large");
		he->network = true;
		goto out;
	}
	cn.deadline = mono_ns() + q->timeout_ns;
	he->network = true;
	if (!tcp_connect(&cn, host, port, he))
		goto out;
	if (is_https && !tls_setup(&cn, host, &q->tls, he))
		goto out;
	if (!conn_write(&cn, req.data, req.len, he))
		goto out;
	for (;;) {
		uint8_t buf[16384];
		ssize_t rd;
		bool eof;
		if (in.len >= cap) {
			(void)snprintf(he->msg, sizeof(he->msg), "response exceeds %zu bytes", cap);
			he->network = false;
			goto out;
		}
		rd = conn_read(&cn, buf, sizeof(buf) < cap - in.len ? sizeof(buf) : cap - in.len, he);
		if (rd < 0)
			goto out;
		eof = rd == 0;
		if (rd > 0 && tg_buf_add(&in, buf, (size_t)rd) != TG_OK) {
			(void)snprintf(he->msg, sizeof(he->msg), "response too large");
			he->network = false;
			goto out;
		}
		if (tg_rego_bi_charge(c, (size_t)rd / 4096 + 1) != TG_OK) {
			(void)snprintf(he->msg, sizeof(he->msg), "evaluation step limit reached");
			he->network = false;
			goto out;
		}
		if (!worth_parsing(in.data, in.len, eof) && strcmp(method, "HEAD") != 0)
			continue;
		r = tg_rego_http_resp_parse(in.data, in.len, eof, strcmp(method, "HEAD") == 0, resp,
					    &used, pmsg, sizeof(pmsg));
		if (r == TG_OK)
			break;
		if (r == TG_E_AGAIN && !eof)
			continue;
		(void)snprintf(he->msg, sizeof(he->msg), "%s",
			       r == TG_E_AGAIN ? "unexpected EOF" : pmsg);
		he->network = r != TG_E_TOOBIG;
		goto out;
	}
	if (q->enable_redirect &&
	    (resp->status == 301 || resp->status == 302 || resp->status == 303 ||
	     resp->status == 307 || resp->status == 308)) {
		const char *loc = resp_header(resp, "location");
		if (loc && *loc) {
			/* absolute locations, or paths on the same origin */
			if (loc[0] == '/' && loc[1] != '/')
				(void)snprintf(loc_out, loc_len, "%.*s://%.*s%s", (int)u.scheme_n,
					       u.scheme_lc, (int)u.host_n, u.host, loc);
			else
				(void)snprintf(loc_out, loc_len, "%s", loc);
			*redirect = true;
		}
	}
	ok = true;
out:
	conn_close(&cn);
	tg_buf_release(&req);
	tg_buf_release(&in);
	return ok;
}

/* ------------------------------------------------------------------ */
/* http.send                                                           */
/* ------------------------------------------------------------------ */

/* Go's time.ParseDuration (units ns, us, µs, ms, s, m, h) */
static bool parse_duration(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	long double total = 0;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	if (n - i == 1 && s[i] == '0') {
		*out = 0;
		return true;
	}
	if (i == n)
		return false;
	while (i < n) {
		long double v = 0, scale = 1;
		bool digits = false;
		long double unit;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			v = v * 10 + (s[i++] - '0');
			digits = true;
		}
		if (i < n && s[i] == '.') {
			i++;
			while (i < n && s[i] >= '0' && s[i] <= '9') {
				scale /= 10;
				v += (s[i++] - '0') * scale;
				digits = true;
			}
		}
		if (!digits)
			return false;
		if (n - i >= 2 && memcmp(s + i, "ns", 2) == 0) {
			unit = 1;
			i += 2;
		} else if (n - i >= 2 && memcmp(s + i, "us", 2) == 0) {
			unit = 1e3;
			i += 2;
		} else if (n - i >= 3 && memcmp(s + i, "\xc2\xb5s", 3) == 0) {
			unit = 1e3;
			i += 3;
		} else if (n - i >= 2 && memcmp(s + i, "ms", 2) == 0) {
			unit = 1e6;
			i += 2;
		} else if (i < n && s[i] == 's') {
			unit = 1e9;
			i++;
		} else if (i < n && s[i] == 'm') {
			unit = 60e9;
			i++;
		} else if (i < n && s[i] == 'h') {
			unit = 3600e9;
			i++;
		} else {
			return false;
		}
		total += v * unit;
		if (total > 9.2e18L)
			return false;
	}
	*out = (int64_t)(neg ? -total : total);
	return true;
}

static tg_err bool_field(struct tg_rego_bctx *c, const struct tg_json *req, const char *k, bool *out)
{
	const struct tg_json *v = tg_json_get(req, k);
	if (!v)
		return TG_OK;
	if (v->type != TG_JSON_BOOL)
		return tg_rego_bi_fail(c, "invalid value for \"%s\" field", k);
	*out = v->u.b;
	return TG_OK;
}

static tg_err str_field(struct tg_rego_bctx *c, const struct tg_json *req, const char *k,
			const char **s, size_t *n)
{
	const struct tg_json *v = tg_json_get(req, k);
	if (!v)
		return TG_OK;
	if (v->type != TG_JSON_STRING || memchr(v->u.s.p, 0, v->u.s.len))
		return tg_rego_bi_fail(c, "\"%s\" must be a string", k);
	*s = v->u.s.p;
	if (n)
		*n = v->u.s.len;
	return TG_OK;
}

static void hreq_release(struct hreq *q)
{
	tg_buf_release(&q->body);
	free(q->ca_copy);
	q->ca_copy = NULL;
}

/* reads the request object into q (createHTTPRequest's checks) */
static tg_err read_request(struct tg_rego_bctx *c, const struct tg_json *req, struct hreq *q)
{
	const struct tg_json *v;
	const char *s = NULL;
	size_t n = 0;
	tg_err r;
	memset(q, 0, sizeof(*q));
	tg_buf_init(&q->body, 64 * TG_MIB);
	q->timeout_ns = HTTP_DEFAULT_TIMEOUT_NS;
	q->raise_error = true;
	v = tg_json_get(req, "method");
	if (v->type != TG_JSON_STRING)
		return tg_rego_bi_fail(c, "\"method\" must be a string");
	for (size_t i = 0; i < v->u.s.len; i++) {
		char ch = v->u.s.p[i];
		if (i + 1 >= sizeof(q->method) || !is_tchar((unsigned char)ch))
			return tg_rego_bi_fail(c, "net/http: invalid method %.40s", v->u.s.p);
		q->method[i] = (char)((ch >= 'a' && ch <= 'z') ? ch - 32 : ch);
	}
	if (!q->method[0])
		memcpy(q->method, "GET", 4);
	v = tg_json_get(req, "url");
	if (v->type != TG_JSON_STRING)
		return tg_rego_bi_fail(c, "\"url\" must be a string");
	q->url = v->u.s.p;
	q->url_n = v->u.s.len;
	if ((r = bool_field(c, req, "enable_redirect", &q->enable_redirect)) != TG_OK ||
	    (r = bool_field(c, req, "force_json_decode", &q->force_json)) != TG_OK ||
	    (r = bool_field(c, req, "force_yaml_decode", &q->force_yaml)) != TG_OK ||
	    (r = bool_field(c, req, "tls_insecure_skip_verify", &q->tls.insecure)) != TG_OK ||
	    (r = bool_field(c, req, "raise_error", &q->raise_error)) != TG_OK)
		return r;
	if ((v = tg_json_get(req, "tls_use_system_certs")) != NULL) {
		if ((r = bool_field(c, req, "tls_use_system_certs", &q->tls.system_certs)) != TG_OK)
			return r;
		q->tls.has_system_flag = true;
	}
	/* headers: an object of strings */
	if ((v = tg_json_get(req, "headers")) != NULL) {
		if (v->type != TG_JSON_OBJECT)
			return tg_rego_bi_fail(c, "invalid type for headers key");
		for (size_t i = 0; i < v->u.o.len; i++) {
			const struct tg_json *k = v->u.o.items[i].key, *hv = v->u.o.items[i].val;
			if (k->type != TG_JSON_STRING)
				return tg_rego_bi_fail(c, "invalid type for headers key");
			if (hv->type != TG_JSON_STRING) {
				struct tg_buf b = TG_BUF_INIT(120);
				(void)!tg_rego_go_term(&b, hv);
				r = tg_rego_bi_fail(c, "invalid type for headers value %s",
						    tg_buf_str(&b));
				tg_buf_release(&b);
				return r;
			}
			if (strncasecmp(k->u.s.p, "host", 5) == 0 && k->u.s.len == 4)
				q->host_header = hv->u.s.p;
		}
		q->headers = v;
	}
	/* the body: raw_body wins over body */
	if ((v = tg_json_get(req, "raw_body")) != NULL) {
		if (v->type != TG_JSON_STRING)
			return tg_rego_bi_fail(c, "\"raw_body\" must be a string");
		if ((r = tg_buf_add(&q->body, v->u.s.p, v->u.s.len)) != TG_OK)
			return r;
	} else if ((v = tg_json_get(req, "body")) != NULL) {
		if ((r = tg_rego_go_json(&q->body, v)) != TG_OK)
			return r == TG_E_TYPE ? tg_rego_bi_fail(c, "json: unsupported type") : r;
	}
	if ((v = tg_json_get(req, "timeout")) != NULL) {
		if (v->type == TG_JSON_NUMBER) {
			int64_t t;
			if (tg_json_num_i64(v, &t) != TG_OK || !(v->flags & TG_JSON_F_INTLIT))
				return tg_rego_bi_fail(c, "invalid timeout number value %.*s, must be int64",
						       (int)(v->u.s.len > 40 ? 40 : v->u.s.len), v->u.s.p);
			q->timeout_ns = t;
		} else if (v->type == TG_JSON_STRING) {
			int64_t t = 0;
			bool num = v->u.s.len > 0;
			for (size_t i = 0; i < v->u.s.len; i++)
				if (!((v->u.s.p[i] >= '0' && v->u.s.p[i] <= '9') ||
				      (i == 0 && (v->u.s.p[0] == '-' || v->u.s.p[0] == '+'))))
					num = false;
			if (num) {
				const struct tg_json *nv;
				if (tg_json_new_number(c->a, v->u.s.p, v->u.s.len, &nv) != TG_OK ||
				    tg_json_num_i64(nv, &t) != TG_OK)
					num = false;
			}
			if (!num && !parse_duration(v->u.s.p, v->u.s.len, &t))
				return tg_rego_bi_fail(c, "invalid timeout value \"%.*s\": time: invalid duration",
						       (int)(v->u.s.len > 40 ? 40 : v->u.s.len), v->u.s.p);
			q->timeout_ns = t;
		} else {
			tg_diag_set(c->d, "operand 1 'timeout' must be one of {string, number} but got %s",
				    tg_json_type_name((enum tg_json_type)v->type));
			return TG_E_TYPE;
		}
		/* Go: a zero timeout means none; ours is bounded by the default cap */
		if (q->timeout_ns <= 0)
			q->timeout_ns = 300000000000LL;
	}
	if ((v = tg_json_get(req, "max_retry_attempts")) != NULL) {
		int64_t t;
		if (v->type != TG_JSON_NUMBER || tg_json_num_i64(v, &t) != TG_OK || t < 0 ||
		    !(v->flags & TG_JSON_F_INTLIT)) {
			struct tg_buf b = TG_BUF_INIT(120);
			(void)!tg_rego_go_term(&b, v);
			r = tg_rego_bi_fail(c, "invalid value %s for field \"max_retry_attempts\"",
					    tg_buf_str(&b));
			tg_buf_release(&b);
			return r;
		}
		q->retries = t > 10 ? 10 : t;
	}
	/* TLS material */
	if ((r = str_field(c, req, "tls_ca_cert", &s, &n)) != TG_OK)
		return r;
	if (s) {
		/* OPA replaces the two characters \n by a newline */
		q->ca_copy = tg_xmalloc(n + 1);
		size_t j = 0;
		for (size_t i = 0; i < n; i++) {
			if (s[i] == '\\' && i + 1 < n && s[i + 1] == 'n') {
				q->ca_copy[j++] = '\n';
				i++;
			} else {
				q->ca_copy[j++] = s[i];
			}
		}
		q->ca_copy[j] = 0;
		q->tls.ca_pem = q->ca_copy;
		q->tls.ca_n = j;
	}
	s = NULL;
	if ((r = str_field(c, req, "tls_ca_cert_file", &q->tls.ca_file, NULL)) != TG_OK)
		return r;
	if ((r = str_field(c, req, "tls_ca_cert_env_variable", &s, NULL)) != TG_OK)
		return r;
	if (s && !q->tls.ca_pem) {
		const char *e = getenv(s);
		if (e) {
			q->tls.ca_pem = e;
			q->tls.ca_n = strlen(e);
		}
	}
	if ((r = str_field(c, req, "tls_client_cert", &q->tls.cert_pem, &q->tls.cert_n)) != TG_OK ||
	    (r = str_field(c, req, "tls_client_key", &q->tls.key_pem, &q->tls.key_n)) != TG_OK ||
	    (r = str_field(c, req, "tls_client_cert_file", &q->tls.cert_file, NULL)) != TG_OK ||
	    (r = str_field(c, req, "tls_client_key_file", &q->tls.key_file, NULL)) != TG_OK ||
	    (r = str_field(c, req, "tls_server_name", &q->tls.server_name, NULL)) != TG_OK)
		return r;
	{
		const char *ce = NULL, *ke = NULL;
		if ((r = str_field(c, req, "tls_client_cert_env_variable", &ce, NULL)) != TG_OK ||
		    (r = str_field(c, req, "tls_client_key_env_variable", &ke, NULL)) != TG_OK)
			return r;
		if (ce && ke && !q->tls.cert_pem && getenv(ce) && getenv(ke)) {
			q->tls.cert_pem = getenv(ce);
			q->tls.cert_n = strlen(q->tls.cert_pem);
			q->tls.key_pem = getenv(ke);
			q->tls.key_n = strlen(q->tls.key_pem);
		}
	}
	if (!q->tls.server_name && q->host_header) {
		/* the Host header also names the TLS server (without a port) */
		q->tls.server_name = q->host_header;
	}
	return TG_OK;
}

/* Go's mime.ParseMediaType + application/json or application/...+json */
static bool is_json_type(const char *ct)
{
	size_t n;
	if (!ct)
		return false;
	while (*ct == ' ')
		ct++;
	n = strcspn(ct, ";");
	while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	if (n < 12 || strncasecmp(ct, "application/", 12) != 0)
		return false;
	if (n == 16 && strncasecmp(ct + 12, "json", 4) == 0)
		return true;
	return n > 17 && strncasecmp(ct + n - 5, "+json", 5) == 0 && !memchr(ct + 12, '/', n - 12);
}

/* a string value from bytes that may not be UTF-8 (U+FFFD for bad bytes,
 * as Go's JSON encoding of such a string shows them) */
static tg_err lossy_string(struct tg_rego_bctx *c, const uint8_t *p, size_t n,
			   const struct tg_json **out)
{
	struct tg_buf b;
	tg_err r = TG_OK;
	if (tg_utf8_valid(p, n, NULL))
		return tg_json_new_string(c->a, (const char *)p, n, out);
	tg_buf_init(&b, n * 3 + 16);
	for (size_t i = 0; i < n && r == TG_OK;) {
		uint32_t cp;
		size_t k = tg_utf8_decode(p + i, n - i, &cp);
		if (k == 0) {
			r = tg_buf_add(&b, "\xef\xbf\xbd", 3);
			i++;
		} else {
			r = tg_buf_add(&b, p + i, k);
			i += k;
		}
	}
	if (r == TG_OK)
		r = tg_json_new_string(c->a, (const char *)b.data, b.len, out);
	tg_buf_release(&b);
	return r;
}

static tg_err kv(struct tg_rego_bctx *c, struct tg_json_member *m, const char *k,
		 const struct tg_json *v)
{
	m->val = v;
	return tg_json_new_string(c->a, k, strlen(k), &m->key);
}

/* OPA's prepareASTResult */
static tg_err response_value(struct tg_rego_bctx *c, const struct hreq *q,
			     const struct tg_rego_http_resp *resp, const struct tg_json **out)
{
	struct tg_json_member m[5], *hm;
	const struct tg_json *body = &tg_json_null_v, *raw, *status, *code, *hdrs;
	const char *ct = resp_header(resp, "content-type");
	size_t nh = 0;
	tg_err r;
	if (q->force_json || is_json_type(ct)) {
		struct tg_json_parse_opts po = {.dup = TG_JSON_DUP_LAST};
		const struct tg_json *v;
		if (tg_json_parse(c->a, resp->body.data ? (const char *)resp->body.data : "",
				  resp->body.len, &po, &v, NULL, NULL) == TG_OK)
			body = v;
	} else if (q->force_yaml || (ct && (strstr(ct, "application/yaml") ||
					    strstr(ct, "application/x-yaml")))) {
		const struct tg_json *v;
		if (tg_rego_yaml_parse(c->a, resp->body.data ? (const char *)resp->body.data : "",
				       resp->body.len, &v, NULL) == TG_OK)
			body = v;
	}
	if ((r = lossy_string(c, resp->body.data ? resp->body.data : (const uint8_t *)"",
			      resp->body.len, &raw)) != TG_OK ||
	    (r = lossy_string(c, (const uint8_t *)resp->status_text, strlen(resp->status_text),
			      &status)) != TG_OK ||
	    (r = tg_json_new_int(c->a, resp->status, &code)) != TG_OK)
		return r;
	/* headers: lower-case name -> [values in order] */
	hm = tg_arena_alloc_array(c->a, resp->nheaders + 1, sizeof(*hm));
	if (!hm)
		return TG_E_TOOBIG;
	for (size_t i = 0; i < resp->nheaders; i++) {
		size_t j, cnt = 0, at = 0;
		const struct tg_json **vals, *arr;
		for (j = 0; j < i; j++)
			if (strcmp(resp->headers[j].name, resp->headers[i].name) == 0)
				break;
		if (j < i)
			continue; /* collected with its first occurrence */
		for (j = i; j < resp->nheaders; j++)
			if (strcmp(resp->headers[j].name, resp->headers[i].name) == 0)
				cnt++;
		vals = tg_arena_alloc_array(c->a, cnt, sizeof(*vals));
		if (!vals)
			return TG_E_TOOBIG;
		for (j = i; j < resp->nheaders; j++)
			if (strcmp(resp->headers[j].name, resp->headers[i].name) == 0 &&
			    (r = lossy_string(c, (const uint8_t *)resp->headers[j].value,
					      strlen(resp->headers[j].value), &vals[at++])) != TG_OK)
				return r;
		if ((r = tg_json_new_array(c->a, vals, cnt, &arr)) != TG_OK ||
		    (r = lossy_string(c, (const uint8_t *)resp->headers[i].name,
				      strlen(resp->headers[i].name), &hm[nh].key)) != TG_OK)
			return r;
		hm[nh++].val = arr;
	}
	if ((r = tg_json_new_object(c->a, hm, nh, TG_JSON_DUP_LAST, &hdrs)) != TG_OK)
		return r;
	if ((r = kv(c, &m[0], "status", status)) != TG_OK ||
	    (r = kv(c, &m[1], "status_code", code)) != TG_OK ||
	    (r = kv(c, &m[2], "body", body)) != TG_OK ||
	    (r = kv(c, &m[3], "raw_body", raw)) != TG_OK ||
	    (r = kv(c, &m[4], "headers", hdrs)) != TG_OK)
		return r;
	return tg_json_new_object(c->a, m, 5, TG_JSON_DUP_REJECT, out);
}

/* {"status_code": 0, "error": {"code": ..., "message": ...}} */
static tg_err error_value(struct tg_rego_bctx *c, bool network, const char *msg,
			  const struct tg_json **out)
{
	struct tg_json_member e[2], m[2];
	const struct tg_json *code, *text, *eo, *zero;
	tg_err r;
	const char *cs = network ? "eval_http_send_network_error" : "eval_http_send_internal_error";
	if ((r = tg_json_new_string(c->a, cs, strlen(cs), &code)) != TG_OK ||
	    (r = lossy_string(c, (const uint8_t *)msg, strlen(msg), &text)) != TG_OK ||
	    (r = kv(c, &e[0], "code", code)) != TG_OK || (r = kv(c, &e[1], "message", text)) != TG_OK ||
	    (r = tg_json_new_object(c->a, e, 2, TG_JSON_DUP_REJECT, &eo)) != TG_OK ||
	    (r = tg_json_new_int(c->a, 0, &zero)) != TG_OK ||
	    (r = kv(c, &m[0], "status_code", zero)) != TG_OK || (r = kv(c, &m[1], "error", eo)) != TG_OK)
		return r;
	return tg_json_new_object(c->a, m, 2, TG_JSON_DUP_REJECT, out);
}

/* the cache key: the request without the headers in cache_ignored_headers
 * (OPA's getKeyFromRequest) */
static tg_err cache_key(struct tg_rego_bctx *c, const struct tg_json *req, const struct tg_json **out)
{
	const struct tg_json *ign = tg_json_get(req, "cache_ignored_headers");
	const struct tg_json *hdrs = tg_json_get(req, "headers");
	struct tg_json_member *m;
	size_t n = 0;
	tg_err r;
	m = tg_arena_alloc_array(c->a, req->u.o.len + 1, sizeof(*m));
	if (!m)
		return TG_E_TOOBIG;
	for (size_t i = 0; i < req->u.o.len; i++)
		m[n++] = req->u.o.items[i];
	if ((r = tg_json_new_string(c->a, "cache_ignored_headers", 21, &m[n].key)) != TG_OK)
		return r;
	m[n++].val = &tg_json_null_v;
	if (ign && hdrs && hdrs->type == TG_JSON_OBJECT &&
	    (ign->type == TG_JSON_ARRAY || ign->type == TG_JSON_SET)) {
		struct tg_json_member *hm = tg_arena_alloc_array(c->a, hdrs->u.o.len + 1, sizeof(*hm));
		const struct tg_json *nh;
		size_t k = 0;
		if (!hm)
			return TG_E_TOOBIG;
		for (size_t i = 0; i < hdrs->u.o.len; i++) {
			bool drop = false;
			for (size_t j = 0; j < ign->u.a.len; j++)
				if (tg_json_eq(ign->u.a.items[j], hdrs->u.o.items[i].key))
					drop = true;
			if (!drop)
				hm[k++] = hdrs->u.o.items[i];
		}
		if ((r = tg_json_new_object(c->a, hm, k, TG_JSON_DUP_LAST, &nh)) != TG_OK)
			return r;
		for (size_t i = 0; i < n; i++)
			if (tg_json_str_eq(m[i].key, "headers"))
				m[i].val = nh;
	}
	return tg_json_new_object(c->a, m, n, TG_JSON_DUP_LAST, out);
}

/* OPA's cacheableHTTPStatusCodes (RFC 7231 6.1) */
static bool cacheable(int s)
{
	return s == 200 || s == 203 || s == 204 || s == 206 || s == 300 || s == 301 || s == 404 ||
	       s == 405 || s == 410 || s == 414 || s == 501;
}

/* Reports an http.send failure: the error object when raise_error is false,
 * else an eval_builtin_error as OPA words it. */
static tg_err send_failed(struct tg_rego_bctx *c, const struct hreq *q, const struct http_err *he,
			  const char *url, size_t url_n, const struct tg_json **out)
{
	char op[16], text[TG_DIAG_MSG_MAX];
	struct tg_buf b = TG_BUF_INIT(TG_DIAG_MSG_MAX * 2);
	op_name(q->method, op, sizeof(op));
	if (he->network) {
		/* Go's url.Error: Op "URL": err */
		if (tg_buf_addf(&b, "%s ", op) == TG_OK &&
		    tg_rego_go_quote(&b, url, url_n > 150 ? 150 : url_n, false) == TG_OK)
			(void)!tg_buf_addf(&b, ": %s", he->msg);
	} else {
		(void)!tg_buf_adds(&b, he->msg);
	}
	(void)snprintf(text, sizeof(text), "%s", b.len ? tg_buf_str(&b) : he->msg);
	tg_buf_release(&b);
	if (!q->raise_error)
		return error_value(c, he->network, text, out);
	if (he->network && he->timeout)
		return tg_rego_bi_fail(c, "%s %.*s: request timed out", op,
				       (int)(url_n > 150 ? 150 : url_n), url);
	return tg_rego_bi_fail(c, "%s", text);
}

tg_err tg_rego_bi_http_send(struct tg_rego_bctx *c, const struct tg_json *const *args,
			    size_t nargs, const struct tg_json **out)
{
	const struct tg_json *req = args[0], *key, *cached, *raise;
	const struct tg_json *ckey[2];
	struct hreq q;
	struct tg_rego_http_resp resp;
	struct http_err he;
	struct tg_rego_url u;
	char urlbuf[8192], next[8192], host[256], port[16];
	const char *url;
	size_t url_n;
	const char *method;
	bool with_body = true;
	tg_err r;
	UNUSED_NARGS;
	if (req->type != TG_JSON_OBJECT)
		return tg_rego_type_error(c, 1, "object", req);
	raise = tg_json_get(req, "raise_error");
	if (raise && raise->type != TG_JSON_BOOL)
		return tg_rego_bi_fail(c, "invalid value for raise_error field");
	if ((r = tg_rego_http_check_request(c, req, 1)) != TG_OK) {
		if (raise && !raise->u.b && r == TG_E_TYPE) {
			char m[TG_DIAG_MSG_MAX + 40];
			(void)snprintf(m, sizeof(m), "eval_type_error: http.send: %s", c->d->msg);
			return error_value(c, false, m, out);
		}
		return r;
	}
	/* the network gate comes before anything else touches the request */
	{
		const struct tg_json *uv = tg_json_get(req, "url");
		char pm[TG_DIAG_MSG_MAX];
		if (uv->type == TG_JSON_STRING &&
		    tg_rego_url_parse(uv->u.s.p, uv->u.s.len, &u, pm, sizeof(pm)) == TG_OK &&
		    u.host_n < sizeof(host)) {
			split_host(&u, host, sizeof(host), port, sizeof(port));
			if (!tg_rego_net_allowed(c, host, strlen(host)))
				return tg_rego_net_refuse(c, host, strlen(host));
		} else if (!(c->caps & TG_REGO_CAP_NET)) {
			return tg_rego_net_refuse(c, uv->type == TG_JSON_STRING ? uv->u.s.p : "?",
						  uv->type == TG_JSON_STRING ? uv->u.s.len : 1);
		}
	}
	/* the same request within a query: the same response or error */
	if ((r = cache_key(c, req, &key)) != TG_OK)
		return r;
	ckey[0] = key;
	ckey[1] = &tg_json_null_v;
	if ((cached = tg_rego_bcache_get(c, ckey, 1)) != NULL) {
		*out = cached;
		return TG_OK;
	}
	if ((cached = tg_rego_bcache_get(c, ckey, 2)) != NULL) {
		tg_diag_set(c->d, "%.*s", (int)cached->u.s.len, cached->u.s.p);
		return TG_E_INVAL;
	}
	if ((r = read_request(c, req, &q)) != TG_OK) {
		hreq_release(&q);
		if (!q.raise_error) {
			char m[TG_DIAG_MSG_MAX + 40];
			(void)snprintf(m, sizeof(m), "eval_builtin_error: http.send: %s", c->d->msg);
			return error_value(c, false, m, out);
		}
		return r;
	}
	tg_rego_http_resp_init(&resp, c->opts && c->opts->http_max_body ? c->opts->http_max_body
									: TG_LIMIT_REGO_HTTP_BODY);
	url = q.url;
	url_n = q.url_n;
	method = q.method;
	memset(&he, 0, sizeof(he));
	for (int hop = 0;; hop++) {
		bool redirect = false, ok = false;
		for (int64_t attempt = 0; attempt <= q.retries; attempt++) {
			memset(&he, 0, sizeof(he));
			if (attempt) {
				/* OPA: exponential backoff from 100 ms */
				int64_t d = 100000000LL << (attempt - 1 > 9 ? 9 : attempt - 1);
				struct timespec ts = {.tv_sec = d / 1000000000,
						      .tv_nsec = d % 1000000000};
				(void)nanosleep(&ts, NULL);
			}
			ok = exchange(c, &q, url, url_n, method, with_body, &resp, &he, next,
				      sizeof(next), &redirect);
			if (ok || !he.network)
				break;
		}
		if (!ok) {
			const struct tg_json *ev;
			r = send_failed(c, &q, &he, url, url_n, out);
			if (r == TG_E_INVAL && tg_json_new_string(c->a, c->d->msg, strlen(c->d->msg),
								   &ev) == TG_OK)
				tg_rego_bcache_put(c, ckey, 2, ev);
			else if (r == TG_OK)
				tg_rego_bcache_put(c, ckey, 1, *out);
			goto out;
		}
		if (!redirect || hop >= HTTP_MAX_REDIRECTS) {
			if (redirect) {
				memset(&he, 0, sizeof(he));
				he.network = true;
				(void)snprintf(he.msg, sizeof(he.msg), "stopped after %d redirects",
					       HTTP_MAX_REDIRECTS);
				r = send_failed(c, &q, &he, url, url_n, out);
				goto out;
			}
			break;
		}
		/* a redirect: its host must be allowed too (OPA's verifyURLHost) */
		{
			char pm[TG_DIAG_MSG_MAX];
			if (tg_rego_url_parse(next, strlen(next), &u, pm, sizeof(pm)) != TG_OK) {
				memset(&he, 0, sizeof(he));
				he.network = true;
				(void)snprintf(he.msg, sizeof(he.msg), "%s", pm);
				r = send_failed(c, &q, &he, url, url_n, out);
				goto out;
			}
			split_host(&u, host, sizeof(host), port, sizeof(port));
			if (!tg_rego_net_allowed(c, host, strlen(host))) {
				r = tg_rego_net_refuse(c, host, strlen(host));
				goto out;
			}
		}
		if (resp.status == 303 || ((resp.status == 301 || resp.status == 302) &&
					   strcmp(method, "POST") == 0)) {
			method = strcmp(method, "HEAD") == 0 ? "HEAD" : "GET";
			with_body = false;
		}
		(void)snprintf(urlbuf, sizeof(urlbuf), "%s", next);
		url = urlbuf;
		url_n = strlen(urlbuf);
	}
	r = response_value(c, &q, &resp, out);
	if (r == TG_OK && cacheable(resp.status))
		tg_rego_bcache_put(c, ckey, 1, *out);
out:
	tg_rego_http_resp_release(&resp);
	hreq_release(&q);
	return r;
}
