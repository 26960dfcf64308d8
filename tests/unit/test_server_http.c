/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_server_http.c - the HTTP/1.1 request-head parser of tollgated:
 * the fields it extracts, incremental arrival, and every refusal with
 * its status (RFC 9112 request line and field rules).
 */
#include <stdint.h>
#include <string.h>

#include "server/server.h"
#include "tg_test.h"

static tg_err parse(const char *s, struct tg_http_req *r, int *st)
{
	return tg_http_parse_head((const uint8_t *)s, strlen(s), r, st, NULL);
}

TEST(fields)
{
	struct tg_http_req r;
	int st = 0;
	const char *s = "POST /v1/attest?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n"
			"Content-Type: Application/JSON; charset=utf-8\r\n"
			"Authorization: Bearer abc.def.ghi  \r\n\r\n{\"a\":1}";
	CHECK_OK(parse(s, &r, &st));
	CHECK_STR(r.method, "POST");
	CHECK_STR(r.path, "/v1/attest");
	CHECK_STR(r.content_type, "application/json");
	CHECK_STR(r.auth, "Bearer abc.def.ghi");
	CHECK(r.content_length == 12);
	CHECK(r.keep_alive);
	CHECK(r.head_len == strlen(s) - strlen("{\"a\":1}"));
	CHECK_OK(parse("GET / HTTP/1.0\r\n\r\n", &r, &st));
	CHECK(!r.keep_alive && r.content_length == -1);
	CHECK_OK(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r, &st));
	CHECK(r.keep_alive);
	CHECK_OK(parse("GET / HTTP/1.1\r\nconnection: CLOSE\r\n\r\n", &r, &st));
	CHECK(!r.keep_alive);
}

/* Every proper prefix of a valid head asks for more bytes. */
TEST(incremental)
{
	const char *s = "GET /healthz HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n\r\n";
	struct tg_http_req r;
	size_t i;
	int st;
	for (i = 0; i < strlen(s); i++)
		CHECK_ERR(tg_http_parse_head((const uint8_t *)s, i, &r, &st, NULL), TG_E_AGAIN);
	CHECK_OK(tg_http_parse_head((const uint8_t *)s, strlen(s), &r, &st, NULL));
}

static void refused(const char *s, tg_err want, int status)
{
	struct tg_http_req r;
	struct tg_diag d;
	int st = 0;
	tg_diag_init(&d);
	CHECK_ERR(tg_http_parse_head((const uint8_t *)s, strlen(s), &r, &st, &d), want);
	if (st != status)
		fprintf(stderr, "  for %.40s: status %d, want %d (%s)\n", s, st, status, d.msg);
	CHECK(st == status);
	CHECK(d.msg[0] != '\0');
}

TEST(refusals)
{
	refused("GET /\r\n\r\n", TG_E_PARSE, 400);
	refused("GET  / HTTP/1.1\r\n\r\n", TG_E_PARSE, 400);
	refused("GET http://x/ HTTP/1.1\r\n\r\n", TG_E_PARSE, 400);
	refused("GET * HTTP/1.1\r\n\r\n", TG_E_PARSE, 400);
	refused("GET / HTTP/2.0\r\n\r\n", TG_E_PARSE, 400);
	refused("GET / HTTP/1.2\r\n\r\n", TG_E_UNSUPPORTED, 505);
	refused("GET / HTTP/1.1\n\n", TG_E_PARSE, 400);
	refused("GET /a b HTTP/1.1\r\n\r\n", TG_E_PARSE, 400);
	refused("GET /\x01 HTTP/1.1\r\n\r\n", TG_E_PARSE, 400);
	refused("VERYLONGMETHOD / HTTP/1.1\r\n\r\n", TG_E_UNSUPPORTED, 501);
	refused("GET / HTTP/1.1\r\nHost x\r\n\r\n", TG_E_PARSE, 400);
	refused("GET / HTTP/1.1\r\n Host: x\r\n\r\n", TG_E_PARSE, 400);
	refused("GET / HTTP/1.1\r\nHo st: x\r\n\r\n", TG_E_PARSE, 400);
	refused("GET / HTTP/1.1\r\nX: a\x01" "b\r\n\r\n", TG_E_PARSE, 400);
	refused("GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", TG_E_PARSE, 400);
	refused("GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", TG_E_PARSE, 400);
	refused("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", TG_E_PARSE,
		400);
	refused("GET / HTTP/1.1\r\nContent-Length: 9999999999999999999\r\n\r\n", TG_E_PARSE, 400);
	refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", TG_E_UNSUPPORTED, 501);
	refused("GET / HTTP/1.1\r\nAuthorization: a\r\nAuthorization: b\r\n\r\n", TG_E_PARSE, 400);
}

TEST(limits)
{
	char *s = malloc(TG_HTTP_HEAD_MAX + 64);
	size_t n, i;
	struct tg_http_req r;
	int st;

	/* a request target over the cap: 414 */
	n = (size_t)snprintf(s, 64, "GET /");
	memset(s + n, 'a', TG_HTTP_PATH_MAX + 1);
	n += TG_HTTP_PATH_MAX + 1;
	memcpy(s + n, " HTTP/1.1\r\n\r\n", 14);
	CHECK_ERR(tg_http_parse_head((uint8_t *)s, strlen(s), &r, &st, NULL), TG_E_TOOBIG);
	CHECK(st == 414);
	/* a request line that never ends: 414 once it passes the line cap */
	memset(s, 'a', TG_HTTP_HEAD_MAX);
	memcpy(s, "GET /", 5);
	CHECK_ERR(tg_http_parse_head((uint8_t *)s, TG_HTTP_LINE_MAX + 1, &r, &st, NULL),
		  TG_E_TOOBIG);
	CHECK(st == 414);
	/* too many header lines: 431 */
	n = (size_t)snprintf(s, 64, "GET / HTTP/1.1\r\n");
	for (i = 0; i <= TG_HTTP_HEADERS_MAX; i++)
		n += (size_t)snprintf(s + n, 64, "X-%zu: y\r\n", i);
	memcpy(s + n, "\r\n", 3);
	CHECK_ERR(tg_http_parse_head((uint8_t *)s, n + 2, &r, &st, NULL), TG_E_TOOBIG);
	CHECK(st == 431);
	/* a head that fills the cap without ending: 431 */
	n = (size_t)snprintf(s, 64, "GET / HTTP/1.1\r\nX: ");
	memset(s + n, 'b', TG_HTTP_HEAD_MAX - n);
	CHECK_ERR(tg_http_parse_head((uint8_t *)s, TG_HTTP_HEAD_MAX, &r, &st, NULL), TG_E_TOOBIG);
	CHECK(st == 431);
	free(s);
	CHECK_STR(tg_http_reason(413), "Content Too Large");
	CHECK_STR(tg_http_reason(299), "Unknown");
}

int main(void)
{
	RUN(fields);
	RUN(incremental);
	RUN(refusals);
	RUN(limits);
	return tg_test_done();
}
