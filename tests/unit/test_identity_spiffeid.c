/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_identity_spiffeid.c - SPIFFE ID and trust domain parsing against
 * the examples of the SPIFFE-ID specification and the cases of go-spiffe's
 * spiffeid tests, with expected results taken from the specification text.
 */
#include <stdio.h>
#include <string.h>

#include "identity/identity.h"
#include "tg_test.h"

/* Parses s; on success checks the trust domain and the path. */
static void ok(const char *s, const char *want_td, const char *want_path)
{
	struct tg_spiffe_id id;
	struct tg_diag d;
	char td[TG_SPIFFE_TD_MAX + 1];
	tg_err r;

	tg_diag_init(&d);
	r = tg_spiffe_id_parse(s, strlen(s), &id, &d);
	if (r != TG_OK) {
		fprintf(stderr, "  want ok: '%s': %s\n", s, d.msg);
		CHECK_OK(r);
		return;
	}
	tg_spiffe_id_td(&id, td);
	CHECK_STR(id.uri, s);
	CHECK_STR(td, want_td);
	CHECK_STR(id.uri + id.path_off, want_path);
	CHECK(id.td_len == strlen(want_td));
	CHECK(tg_spiffe_id_in_td(&id, want_td));
}

/* Parses s and expects TG_E_PARSE with want in the message. */
static void bad_n(const char *s, size_t n, const char *want)
{
	struct tg_spiffe_id id;
	struct tg_diag d;
	tg_err r;

	memset(&id, 0x5a, sizeof(id));
	tg_diag_init(&d);
	r = tg_spiffe_id_parse(s, n, &id, &d);
	CHECK_ERR(r, TG_E_PARSE);
	if (r == TG_OK)
		fprintf(stderr, "  want error for '%.*s'\n", (int)n, s);
	if (want && !strstr(d.msg, want)) {
		fprintf(stderr, "  '%.*s': message '%s' lacks '%s'\n", (int)n, s, d.msg, want);
		CHECK(0);
	}
	CHECK(id.td_len == (size_t)0x5a5a5a5a5a5a5a5aULL); /* output untouched on error */
}

static void bad(const char *s, const char *want)
{
	bad_n(s, strlen(s), want);
}

/* SPIFFE-ID 2.2 examples, and go-spiffe's "path is optional" case */
TEST(spec_examples)
{
	ok("spiffe://trust-domain-name/path", "trust-domain-name", "/path");
	ok("spiffe://staging.example.com/payments/mysql", "staging.example.com", "/payments/mysql");
	ok("spiffe://staging.example.com/payments/web-fe", "staging.example.com",
	   "/payments/web-fe");
	ok("spiffe://k8s-west.example.com/ns/staging/sa/default", "k8s-west.example.com",
	   "/ns/staging/sa/default");
	ok("spiffe://example.com/9eebccd2-12bf-40a6-b262-65fe0487d453", "example.com",
	   "/9eebccd2-12bf-40a6-b262-65fe0487d453");
	ok("spiffe://trustdomain", "trustdomain", "");
	ok("spiffe://trustdomain/path", "trustdomain", "/path");
	/* 2.1: IPv4 dotted quads are not treated specially (still allowed) */
	ok("spiffe://192.168.0.1/x", "192.168.0.1", "/x");
	/* 2.2: segments that contain dots but are not "." or ".." */
	ok("spiffe://trustdomain/.path", "trustdomain", "/.path");
	ok("spiffe://trustdomain/..path", "trustdomain", "/..path");
	ok("spiffe://trustdomain/...", "trustdomain", "/...");
	ok("spiffe://trustdomain/a/B/c_d-e.f/0", "trustdomain", "/a/B/c_d-e.f/0");
}

/* SPIFFE-ID 2.1 and 2.2 character sets, byte by byte (go-spiffe walks
 * 0..255 the same way, which also covers UTF-8 lead bytes) */
TEST(charsets)
{
	char s[64], td[64], path[64];
	int c;
	for (c = 0; c < 256; c++) {
		bool tdc = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
			   c == '-' || c == '_';
		bool pc = tdc || (c >= 'A' && c <= 'Z');
		if (c == '/')
			continue;
		memcpy(s, "spiffe://trustdomain", 20);
		s[20] = (char)c;
		memcpy(s + 21, "/path", 6);
		snprintf(td, sizeof(td), "trustdomain%c", c);
		if (tdc)
			ok(s, td, "/path");
		else
			bad_n(s, 26, "trust domain");
		memcpy(s, "spiffe://trustdomain/path", 25);
		s[25] = (char)c;
		s[26] = '\0';
		snprintf(path, sizeof(path), "/path%c", c);
		if (pc)
			ok(s, "trustdomain", path);
		else
			bad_n(s, 26, c == '%' || c == '?' || c == '#' ? NULL : "path");
	}
}

/* SPIFFE-ID 2 and go-spiffe's reject cases */
TEST(rejects)
{
	bad("", "empty");
	bad("s", "scheme");
	bad("spiffe:/", "scheme");
	bad("spiffe:/trustdomain/path", "scheme");
	bad("Spiffe://trustdomain/path", "lower case");
	bad("SPIFFE://trustdomain/path", "lower case");
	bad("https://trustdomain/path", "scheme");
	bad("spiffe://", "trust domain is missing");
	bad("spiffe:///", "trust domain is missing");
	bad("spiffe:///path", "trust domain is missing");
	/* 2.2: empty segments, trailing slash, dot segments */
	bad("spiffe://trustdomain/", "end with '/'");
	bad("spiffe://trustdomain//", "empty segment");
	bad("spiffe://trustdomain//path", "empty segment");
	bad("spiffe://trustdomain/path/", "end with '/'");
	bad("spiffe://trustdomain/path//other", "empty segment");
	bad("spiffe://trustdomain/.", "dot segment");
	bad("spiffe://trustdomain/./path", "dot segment");
	bad("spiffe://trustdomain/path/./other", "dot segment");
	bad("spiffe://trustdomain/path/..", "dot segment");
	bad("spiffe://trustdomain/..", "dot segment");
	bad("spiffe://trustdomain/../path", "dot segment");
	bad("spiffe://trustdomain/path/../other", "dot segment");
	/* 2.1 and 2.2: no percent-encoding (go-spiffe's four cases) */
	bad("spiffe://%F0%9F%A4%AF/path", "percent");
	bad("spiffe://trustdomain/%F0%9F%A4%AF", "percent");
	bad("spiffe://%62%61%64/path", "percent");
	bad("spiffe://trustdomain/%62%61%64", "percent");
	/* 2.1: lower case host, no userinfo, no port, no IPv6 */
	bad("spiffe://TrustDomain/path", "lower case");
	bad("spiffe://trustdomain:8080/path", "port");
	bad("spiffe://user@trustdomain/path", "userinfo");
	bad("spiffe://user:pw@trustdomain/path", "port"); /* ':' comes first */
	bad("spiffe://[::1]/path", "trust domain");
	bad("spiffe://trust$domain", "trust domain");
	bad("spiffe://trustdomain/path$", "path");
	/* 2: no query, no fragment */
	bad("spiffe://trustdomain/path?query=1", "query");
	bad("spiffe://trustdomain?query", "query");
	bad("spiffe://trustdomain/path#fragment", "fragment");
	bad("spiffe://trustdomain#fragment", "fragment");
	/* no whitespace, no NUL inside */
	bad(" spiffe://trustdomain/path", "scheme");
	bad("spiffe://trustdomain/path ", "path");
	bad_n("spiffe://trustdomain/pa\0th", 25, "0x00");
}

TEST(offsets)
{
	struct tg_spiffe_id id;
	struct tg_diag d;
	tg_diag_init(&d);
	CHECK_ERR(tg_spiffe_id_parse("spiffe://td/a/b$c", 17, &id, &d), TG_E_PARSE);
	CHECK(d.offset == 15);
	CHECK(d.col == 16);
	CHECK(strstr(d.msg, "offset 15") != NULL);
	tg_diag_init(&d);
	CHECK_ERR(tg_spiffe_id_parse("spiffe://td/a//b", 16, &id, &d), TG_E_PARSE);
	CHECK(d.offset == 13);
	tg_diag_init(&d);
	CHECK_ERR(tg_spiffe_id_parse("spiffe://tD", 11, &id, &d), TG_E_PARSE);
	CHECK(d.offset == 10);
}

/* SPIFFE-ID 2.3: 2048 bytes for the URI, 255 for the trust domain */
TEST(lengths)
{
	static char s[4096], td[512];
	struct tg_spiffe_id id;
	char out[TG_SPIFFE_TD_MAX + 1];
	size_t n;

	memcpy(s, "spiffe://example.org/", 21);
	memset(s + 21, 'a', sizeof(s) - 21);
	n = TG_SPIFFE_ID_MAX;
	CHECK_OK(tg_spiffe_id_parse(s, n, &id, NULL));
	CHECK(strlen(id.uri) == TG_SPIFFE_ID_MAX);
	bad_n(s, n + 1, "more than 2048");

	memset(td, 'a', sizeof(td));
	CHECK_OK(tg_spiffe_td_parse(td, 255, out, NULL));
	CHECK(strlen(out) == 255);
	CHECK_ERR(tg_spiffe_td_parse(td, 256, out, NULL), TG_E_PARSE);
	memcpy(s, "spiffe://", 9);
	memset(s + 9, 'b', 255);
	memcpy(s + 9 + 255, "/x", 3);
	memset(td, 'b', 255);
	td[255] = '\0';
	ok(s, td, "/x");
	memset(s + 9, 'b', 256);
	memcpy(s + 9 + 256, "/x", 3);
	bad(s, "more than 255");
}

TEST(td_parse)
{
	char out[TG_SPIFFE_TD_MAX + 1];
	struct tg_diag d;
	CHECK_OK(tg_spiffe_td_parse("example.org", 11, out, NULL));
	CHECK_STR(out, "example.org");
	CHECK_OK(tg_spiffe_td_parse("a_b-c.0", 7, out, NULL));
	tg_diag_init(&d);
	CHECK_ERR(tg_spiffe_td_parse("Example.org", 11, out, &d), TG_E_PARSE);
	CHECK(strstr(d.msg, "lower case") != NULL);
	CHECK_ERR(tg_spiffe_td_parse("", 0, out, NULL), TG_E_PARSE);
	CHECK_ERR(tg_spiffe_td_parse("spiffe://example.org", 20, out, NULL), TG_E_PARSE);
	CHECK_ERR(tg_spiffe_td_parse("example.org/x", 13, out, NULL), TG_E_PARSE);
	CHECK_ERR(tg_spiffe_td_parse("example.org:443", 15, out, NULL), TG_E_PARSE);
}

/* go-spiffe's FromSegments / FromPathf cases, as td + path */
TEST(id_from)
{
	struct tg_spiffe_id id;
	struct tg_diag d;
	CHECK_OK(tg_spiffe_id_from("trustdomain", "", &id, NULL));
	CHECK_STR(id.uri, "spiffe://trustdomain");
	CHECK_OK(tg_spiffe_id_from("trustdomain", NULL, &id, NULL));
	CHECK_STR(id.uri, "spiffe://trustdomain");
	CHECK_OK(tg_spiffe_id_from("trustdomain", "/foo", &id, NULL));
	CHECK_STR(id.uri, "spiffe://trustdomain/foo");
	CHECK_OK(tg_spiffe_id_from("trustdomain", "/foo/bar", &id, NULL));
	CHECK_STR(id.uri + id.path_off, "/foo/bar");
	tg_diag_init(&d);
	CHECK_ERR(tg_spiffe_id_from("trustdomain", "foo", &id, &d), TG_E_PARSE);
	CHECK(strstr(d.msg, "start with '/'") != NULL);
	tg_diag_init(&d);
	CHECK_ERR(tg_spiffe_id_from("trustdomain", "/", &id, &d), TG_E_PARSE);
	CHECK(strstr(d.msg, "end with '/'") != NULL);
	CHECK_ERR(tg_spiffe_id_from("trustdomain", "//", &id, NULL), TG_E_PARSE);
	CHECK_ERR(tg_spiffe_id_from("trustdomain", "/$", &id, NULL), TG_E_PARSE);
	CHECK_ERR(tg_spiffe_id_from("Trustdomain", "/x", &id, NULL), TG_E_PARSE);
	CHECK_ERR(tg_spiffe_id_from("", "/x", &id, NULL), TG_E_PARSE);
}

TEST(in_td)
{
	struct tg_spiffe_id id;
	CHECK_OK(tg_spiffe_id_parse("spiffe://example.org/a", 22, &id, NULL));
	CHECK(tg_spiffe_id_in_td(&id, "example.org"));
	CHECK(!tg_spiffe_id_in_td(&id, "example.or"));
	CHECK(!tg_spiffe_id_in_td(&id, "example.org.evil"));
	CHECK(!tg_spiffe_id_in_td(&id, "domain2.test"));
	CHECK(!tg_spiffe_id_in_td(&id, NULL));
}

int main(void)
{
	RUN(spec_examples);
	RUN(charsets);
	RUN(rejects);
	RUN(offsets);
	RUN(lengths);
	RUN(td_parse);
	RUN(id_from);
	RUN(in_td);
	return tg_test_done();
}
