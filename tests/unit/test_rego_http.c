/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_rego_http.c - what http.send and providers.aws.sign_req share
 * (src/rego/rego_http.h): Go's url.Parse subset and the HTTP/1.1 response
 * parser, on inputs whose answers come from Go's net/url and RFC 9112.
 */
#include <stdio.h>
#include <string.h>

#include "rego/rego_http.h"
#include "tg_test.h"

static void url_ok(const char *s, const char *host, const char *epath, const char *query)
{
	struct tg_rego_url u;
	char msg[256];
	struct tg_buf b = TG_BUF_INIT(4096);
	CHECK_OK(tg_rego_url_parse(s, strlen(s), &u, msg, sizeof(msg)));
	CHECK(u.host_n == strlen(host) && memcmp(u.host, host, u.host_n) == 0);
	CHECK(u.query_n == strlen(query) && memcmp(u.query, query, u.query_n) == 0);
	CHECK_OK(tg_rego_url_escaped_path(&u, &b));
	CHECK_STR(tg_buf_str(&b), epath);
	tg_buf_release(&b);
}

static void url_err(const char *s, const char *want)
{
	struct tg_rego_url u;
	char msg[256] = "";
	CHECK_ERR(tg_rego_url_parse(s, strlen(s), &u, msg, sizeof(msg)), TG_E_PARSE);
	CHECK_STR(msg, want);
}

TEST(url_parse)
{
	url_ok("http://example.com", "example.com", "", "");
	url_ok("https://user:pw@example.com:8443/a%20b/c?x=1&y=%2F#frag", "example.com:8443",
	       "/a%20b/c", "x=1&y=%2F");
	/* Go: a path that is not validly encoded is escaped from its decoding */
	url_ok("http://x/a b", "x", "/a%20b", "");
	url_ok("http://x/a%2fb", "x", "/a%2fb", "");
	url_ok("http://[::1]:80/p", "[::1]:80", "/p", "");
	url_ok("/relative/path?q", "", "/relative/path", "q");
	url_err("http://x/%zz", "parse \"http://x/%zz\": invalid URL escape \"%zz\"");
	url_err("http://x:port/", "parse \"http://x:port/\": invalid port \":port\" after host");
	url_err(":foo", "parse \":foo\": missing protocol scheme");
	url_err("1a:b/c", "parse \"1a:b/c\": first path segment in URL cannot contain colon");
	url_err("http://x/\x01", "parse \"http://x/\\x01\": net/url: invalid control character in URL");
	{
		struct tg_rego_url u;
		char msg[256];
		CHECK_OK(tg_rego_url_parse("mailto:a@b", 10, &u, msg, sizeof(msg)));
		CHECK(u.opaque && u.host_n == 0);
		CHECK_OK(tg_rego_url_parse("http://x/?", 10, &u, msg, sizeof(msg)));
		CHECK(u.force_query && u.query_n == 0);
	}
}

static tg_err parse(const char *s, bool eof, struct tg_rego_http_resp *r, char *msg)
{
	size_t used = 0;
	tg_rego_http_resp_init(r, 64);
	return tg_rego_http_resp_parse((const uint8_t *)s, strlen(s), eof, false, r, &used, msg, 256);
}

TEST(response_parse)
{
	struct tg_rego_http_resp r;
	char msg[256];
	/* Content-Length, repeated headers in order, names lower-cased */
	CHECK_OK(parse("HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie:  b=2 \r\n"
		       "Content-Length: 5\r\n\r\nhelloXX", false, &r, msg));
	CHECK(r.status == 200);
	CHECK_STR(r.status_text, "200 OK");
	CHECK(r.nheaders == 3);
	CHECK_STR(r.headers[0].name, "set-cookie");
	CHECK_STR(r.headers[1].value, "b=2");
	CHECK(r.body.len == 5 && memcmp(r.body.data, "hello", 5) == 0);
	tg_rego_http_resp_release(&r);
	/* RFC 9112 7.1: chunked with extensions and trailers */
	CHECK_OK(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		       "4;ext=1\r\nabcd\r\n2\r\nef\r\n0\r\nT: x\r\n\r\n", false, &r, msg));
	CHECK(r.body.len == 6 && memcmp(r.body.data, "abcdef", 6) == 0);
	tg_rego_http_resp_release(&r);
	/* no framing: the body runs to the end of the connection */
	CHECK_ERR(parse("HTTP/1.0 404 Not Found\nA: b\n\nuntil eof", false, &r, msg), TG_E_AGAIN);
	tg_rego_http_resp_release(&r);
	CHECK_OK(parse("HTTP/1.0 404 Not Found\nA: b\n\nuntil eof", true, &r, msg));
	CHECK(r.status == 404 && r.body.len == 9);
	tg_rego_http_resp_release(&r);
	/* 204 and 304 have no body */
	CHECK_OK(parse("HTTP/1.1 204 No Content\r\n\r\n", false, &r, msg));
	CHECK(r.body.len == 0);
	tg_rego_http_resp_release(&r);
	/* incomplete bodies ask for more, or fail at the end */
	CHECK_ERR(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", false, &r, msg),
		  TG_E_AGAIN);
	tg_rego_http_resp_release(&r);
	CHECK_ERR(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true, &r, msg),
		  TG_E_PARSE);
	CHECK_STR(msg, "unexpected EOF");
	tg_rego_http_resp_release(&r);
	/* refusals */
	CHECK_ERR(parse("HTTP/2 200\r\n\r\n", true, &r, msg), TG_E_PARSE);
	tg_rego_http_resp_release(&r);
	CHECK_ERR(parse("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", true, &r, msg), TG_E_PARSE);
	CHECK_STR(msg, "bad Content-Length \"1x\"");
	tg_rego_http_resp_release(&r);
	CHECK_ERR(parse("HTTP/1.1 200 OK\r\nContent-Length: 65\r\n\r\n", true, &r, msg), TG_E_TOOBIG);
	tg_rego_http_resp_release(&r);
	CHECK_ERR(parse("HTTP/1.1 200 OK\r\n folded: x\r\n\r\n", true, &r, msg), TG_E_PARSE);
	tg_rego_http_resp_release(&r);
	CHECK_ERR(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", true, &r, msg),
		  TG_E_PARSE);
	CHECK_STR(msg, "invalid byte in chunk length");
	tg_rego_http_resp_release(&r);
	CHECK_ERR(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", true, &r, msg),
		  TG_E_PARSE);
	tg_rego_http_resp_release(&r);
}

int main(void)
{
	RUN(url_parse);
	RUN(response_parse);
	return tg_test_done();
}
