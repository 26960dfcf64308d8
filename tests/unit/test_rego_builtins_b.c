/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_rego_builtins_b.c - the Rego built-ins of strings, regex, glob,
 * units, time, crypto, JWT and net, called through their table entries
 * (tg_rego_builtin_find) on values parsed with tg_json_parse.
 */

/*
 * Expected values come from OPA's documentation and its conformance suite
 * (test/cases/testdata), RFC 7515 (JWS examples), and Go run by hand where
 * named (fmt, regexp, time); never from the code under test.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "rego/re2_shim.h"
#include "rego/rego_builtin.h"
#include "tg_test.h"

static struct tg_arena arena;
static struct tg_diag diag;
static uint64_t budget = 100000000;
static int64_t now_ns = 1700000000000000000LL; /* 2023-11-14T22:13:20Z */
static unsigned caps;

/* Parses "[arg, ...]"; an argument written {"$set": [...]} becomes a set. */
static const struct tg_json *setify(const struct tg_json *v)
{
	const struct tg_json *s;
	if (v->type == TG_JSON_OBJECT && v->u.o.len == 1 &&
	    tg_json_str_eq(v->u.o.items[0].key, "$set")) {
		const struct tg_json *arr = v->u.o.items[0].val;
		const struct tg_json **items = tg_arena_alloc_array(&arena, arr->u.a.len + 1,
								    sizeof(*items));
		for (size_t i = 0; i < arr->u.a.len; i++)
			items[i] = setify(arr->u.a.items[i]);
		if (tg_json_new_set(&arena, items, arr->u.a.len, &s) != TG_OK)
			abort();
		return s;
	}
	if (v->type == TG_JSON_ARRAY) {
		const struct tg_json **items = tg_arena_alloc_array(&arena, v->u.a.len + 1,
								    sizeof(*items));
		for (size_t i = 0; i < v->u.a.len; i++)
			items[i] = setify(v->u.a.items[i]);
		if (tg_json_new_array(&arena, items, v->u.a.len, &s) != TG_OK)
			abort();
		return s;
	}
	if (v->type == TG_JSON_OBJECT) {
		struct tg_json_member *m = tg_arena_alloc_array(&arena, v->u.o.len + 1, sizeof(*m));
		for (size_t i = 0; i < v->u.o.len; i++) {
			m[i].key = v->u.o.items[i].key;
			m[i].val = setify(v->u.o.items[i].val);
		}
		if (tg_json_new_object(&arena, m, v->u.o.len, TG_JSON_DUP_REJECT, &s) != TG_OK)
			abort();
		return s;
	}
	return v;
}

static const struct tg_json *J(const char *text)
{
	const struct tg_json *v;
	struct tg_diag d;
	if (tg_json_parse(&arena, text, strlen(text), NULL, &v, NULL, &d) != TG_OK) {
		fprintf(stderr, "bad test JSON %s: %s\n", text, d.msg);
		abort();
	}
	return setify(v);
}

/* Calls name on the arguments in args_json; returns the code, the result
 * in *res (NULL for undefined). */
static tg_err call(const char *name, const char *args_json, const struct tg_json **res)
{
	const struct tg_rego_builtin *b = tg_rego_builtin_find(name, strlen(name));
	const struct tg_json *args = J(args_json);
	struct tg_rego_bctx c;
	if (!b) {
		fprintf(stderr, "no built-in %s\n", name);
		return TG_E_NOTFOUND;
	}
	if (b->arity >= 0 && (size_t)b->arity != args->u.a.len) {
		fprintf(stderr, "%s: arity %d, test gives %zu\n", name, b->arity, args->u.a.len);
		return TG_E_INVAL;
	}
	memset(&c, 0, sizeof(c));
	c.a = &arena;
	c.d = &diag;
	c.name = b->name;
	c.now_ns = now_ns;
	c.caps = caps;
	c.budget = &budget;
	tg_diag_init(&diag);
	*res = NULL;
	return b->fn(&c, args->u.a.items, args->u.a.len, res);
}

static int failed_eq(const char *name, const char *args, const struct tg_json *got,
		     const char *want, int line)
{
	struct tg_buf b = TG_BUF_INIT(1 << 20);
	bool ok = got && tg_json_emit(&b, got, 0) == TG_OK;
	fprintf(stderr, "%s:%d: %s(%s):\n  got  %s\n  want %s\n", __FILE__, line, name, args,
		!got ? "undefined" : ok ? tg_buf_str(&b) : "<unprintable>", want);
	tg_buf_release(&b);
	return 1;
}

/* The call succeeds with a result equal to the JSON want ("undefined" for
 * no result). */
static void check_res(const char *name, const char *args, const char *want, int line)
{
	const struct tg_json *got = NULL;
	tg_err r = call(name, args, &got);
	tg_test_checks++;
	if (r != TG_OK) {
		fprintf(stderr, "%s:%d: %s(%s): error %s: %s\n", __FILE__, line, name, args,
			tg_errname(r), diag.msg);
		tg_test_failures++;
		return;
	}
	if (strcmp(want, "undefined") == 0) {
		if (got)
			tg_test_failures += failed_eq(name, args, got, want, line);
		return;
	}
	if (!got || !tg_json_eq(got, J(want)))
		tg_test_failures += failed_eq(name, args, got, want, line);
}

/* The call fails with code want and a message containing msg. */
static void check_err(const char *name, const char *args, tg_err want, const char *msg, int line)
{
	const struct tg_json *got = NULL;
	tg_err r = call(name, args, &got);
	tg_test_checks++;
	if (r != want || (msg && !strstr(diag.msg, msg))) {
		fprintf(stderr, "%s:%d: %s(%s): got %s \"%s\", want %s \"%s\"\n", __FILE__, line,
			name, args, tg_errname(r), diag.msg, tg_errname(want), msg ? msg : "");
		tg_test_failures++;
	}
}

#define RES(name, args, want) check_res(name, args, want, __LINE__)
#define ERR(name, args, code, msg) check_err(name, args, code, msg, __LINE__)
#define TYPE_ERR(name, args, msg) check_err(name, args, TG_E_TYPE, msg, __LINE__)
/* a builtin error: any code but TG_OK and TG_E_TYPE */
static void check_berr(const char *name, const char *args, const char *msg, int line)
{
	const struct tg_json *got = NULL;
	tg_err r = call(name, args, &got);
	tg_test_checks++;
	if (r == TG_OK || r == TG_E_TYPE || (msg && !strstr(diag.msg, msg))) {
		fprintf(stderr, "%s:%d: %s(%s): got %s \"%s\", want a builtin error \"%s\"\n",
			__FILE__, line, name, args, tg_errname(r), diag.msg, msg ? msg : "");
		tg_test_failures++;
	}
}
#define BERR(name, args, msg) check_berr(name, args, msg, __LINE__)


/* ---- calls with values built in C (PEM texts and other long strings) ---- */

static const struct tg_json *S(const char *s)
{
	const struct tg_json *v;
	if (tg_json_new_string(&arena, s, strlen(s), &v) != TG_OK)
		abort();
	return v;
}

static tg_err callv(const char *name, const struct tg_json *const *args, size_t n,
		    const struct tg_json **res)
{
	const struct tg_rego_builtin *b = tg_rego_builtin_find(name, strlen(name));
	struct tg_rego_bctx c;
	if (!b || (size_t)b->arity != n)
		return TG_E_NOTFOUND;
	memset(&c, 0, sizeof(c));
	c.a = &arena;
	c.d = &diag;
	c.name = b->name;
	c.now_ns = now_ns;
	c.caps = caps;
	c.budget = &budget;
	tg_diag_init(&diag);
	*res = NULL;
	return b->fn(&c, args, n, res);
}

/* The member at a dotted path ("Subject.CommonName", "DNSNames.0"). */
static const struct tg_json *path(const struct tg_json *v, const char *p)
{
	char seg[128];
	while (v && *p) {
		size_t n = strcspn(p, ".");
		if (n >= sizeof(seg))
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		p += n + (p[n] == '.');
		if (v->type == TG_JSON_ARRAY) {
			size_t i = (size_t)strtoul(seg, NULL, 10);
			v = i < v->u.a.len ? v->u.a.items[i] : NULL;
		} else {
			v = tg_json_get(v, seg);
		}
	}
	return v;
}

static void check_path(const struct tg_json *v, const char *p, const char *want, int line)
{
	const struct tg_json *got = path(v, p);
	tg_test_checks++;
	if (!got || !tg_json_eq(got, J(want)))
		tg_test_failures += failed_eq("path", p, got, want, line);
}
#define PATH(v, p, want) check_path(v, p, want, __LINE__)

/* Test fixtures made with OpenSSL 3.0 for these tests (not anyone's keys):
 * a self-signed EC P-256 CA with every SAN type, a leaf it signed, a CSR,
 * the leaf's key (SEC1) and an RSA-2048 key (PKCS#1). */
static const char ca_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIICgzCCAimgAwIBAgICEjQwCgYIKoZIzj0EAwIwTzELMAkGA1UEBhMCVVMxFjAU\n"
	"BgNVBAoMDVRvbGxnYXRlIFRlc3QxDTALBgNVBAsMBFJlZ28xGTAXBgNVBAMMEHRl\n"
	"c3QuZXhhbXBsZS5jb20wHhcNMjYxMTI3MTQ0ODM1WhcNMzYxMTI0MTQ0ODM1WjBP\n"
	"MQswCQYDVQQGEwJVUzEWMBQGA1UECgwNVG9sbGdhdGUgVGVzdDENMAsGA1UECwwE\n"
	"UmVnbzEZMBcGA1UEAwwQdGVzdC5leGFtcGxlLmNvbTBZMBMGByqGSM49AgEGCCqG\n"
	"SM49AwEHA0IABHmsxHs8usE4AmfK/8zKrbPU3M5UCG6uhCHBVNtTsADng8YLxWZ9\n"
	"cZQSsdNDUkk1CP2NO1djcQXtW354nQA8j+ejgfQwgfEwEgYDVR0TAQH/BAgwBgEB\n"
	"/wIBADAOBgNVHQ8BAf8EBAMCAoQwHQYDVR0lBBYwFAYIKwYBBQUHAwEGCCsGAQUF\n"
	"BwMCMHsGA1UdEQR0MHKCEHRlc3QuZXhhbXBsZS5jb22CDSouZXhhbXBsZS5vcmeB\n"
	"D29wc0BleGFtcGxlLmNvbYYmc3BpZmZlOi8vZXhhbXBsZS5vcmcvbnMvZGVmYXVs\n"
	"dC9zYS93ZWKHBAoAAAGHECABDbgAAAAAAAAAAAAAAAEwHQYDVR0OBBYEFIgPiu8N\n"
	"nyQ0S2vHUwm0imW+OxweMBAGA1UdIAQJMAcwBQYDKgMEMAoGCCqGSM49BAMCA0gA\n"
	"MEUCIGRHfWXLXaoKVbV+AHQTHzaCa59rnNJ1YMMcuXvqD6K9AiEAtMayAmSYiYBx\n"
	"OUvoL8K970aRY8PgBX+XmoZ0DJWDqh0=\n"
	"-----END CERTIFICATE-----\n";

static const char leaf_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIB6jCCAZCgAwIBAgIBBTAKBggqhkjOPQQDAjBPMQswCQYDVQQGEwJVUzEWMBQG\n"
	"A1UECgwNVG9sbGdhdGUgVGVzdDENMAsGA1UECwwEUmVnbzEZMBcGA1UEAwwQdGVz\n"
	"dC5leGFtcGxlLmNvbTAeFw0yNjExMjcxNDQ4NDZaFw0yNzExMjcxNDQ4NDZaMBsx\n"
	"GTAXBgNVBAMMEGxlYWYuZXhhbXBsZS5jb20wWTATBgcqhkjOPQIBBggqhkjOPQMB\n"
	"BwNCAATBndRSOVjhQxedNva9tfzi6GdOjMP+bBWJKXyWAwHlsv4CC9jVOdIQx5YN\n"
	"I8B42IjNWda//Y5x8B0pssIzO3B5o4GQMIGNMAkGA1UdEwQCMAAwDgYDVR0PAQH/\n"
	"BAQDAgeAMBMGA1UdJQQMMAoGCCsGAQUFBwMBMBsGA1UdEQQUMBKCEGxlYWYuZXhh\n"
	"bXBsZS5jb20wHQYDVR0OBBYEFNGMMRfoGp9BwfmUtvdRg3VyBJwWMB8GA1UdIwQY\n"
	"MBaAFIgPiu8NnyQ0S2vHUwm0imW+OxweMAoGCCqGSM49BAMCA0gAMEUCIHie9Glx\n"
	"TryKuEFAqApUQOVmLmCncHQBXpzytIOWAjV4AiEAtYOMQGWD74HBUj7rfOsu1+2S\n"
	"T1+x0N+42rCLmaZvsVE=\n"
	"-----END CERTIFICATE-----\n";

static const char csr_pem[] =
	"-----BEGIN CERTIFICATE REQUEST-----\n"
	"MIIBFTCBvAIBADAnMQswCQYDVQQGEwJERTEYMBYGA1UEAwwPY3NyLmV4YW1wbGUu\n"
	"Y29tMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEwZ3UUjlY4UMXnTb2vbX84uhn\n"
	"TozD/mwViSl8lgMB5bL+AgvY1TnSEMeWDSPAeNiIzVnWv/2OcfAdKbLCMztweaAz\n"
	"MDEGCSqGSIb3DQEJDjEkMCIwIAYDVR0RBBkwF4IPY3NyLmV4YW1wbGUuY29thwTA\n"
	"AAIHMAoGCCqGSM49BAMCA0gAMEUCIQCRcAGAgwR/vzD1hyjb27ETh84jqokQoECL\n"
	"rWY9VCM1ZAIgLQioxk0r1V4StgXUXH2SdOBW082DVs7mWTVh8T1O0DU=\n"
	"-----END CERTIFICATE REQUEST-----\n";

static const char ec_key_pem[] =
	"-----BEGIN EC PRIVATE KEY-----\n"
	"MHcCAQEEIJLfyzW8PV1Al+ZRQmfExBl+YDSS9ve8DDHlX730MS0+oAoGCCqGSM49\n"
	"AwEHoUQDQgAEwZ3UUjlY4UMXnTb2vbX84uhnTozD/mwViSl8lgMB5bL+AgvY1TnS\n"
	"EMeWDSPAeNiIzVnWv/2OcfAdKbLCMztweQ==\n"
	"-----END EC PRIVATE KEY-----\n";

static const char rsa_key_pem[] =
	"-----BEGIN RSA PRIVATE KEY-----\n"
	"MIIEowIBAAKCAQEAxoOulhikXX9mNwOrsnAYPcehGVHJFrGLggMdjxhdyeIldP9l\n"
	"7upzhmyQTGireWkQtMNwurzDb6UaynZSPLOBd8a98LST9ilqi4Awb+XPjK/ou6yn\n"
	"zyDoS/g+QogVz5xUHxyk3eINIb7oSySA9jJdJtPZtBBKggblr44Cy0IE096JjOLW\n"
	"QtBaKsjf681rzGOtybET8b+5Nnwz67UhuVoMfjROwB3DEbZosaO6STOeMex+G584\n"
	"n1KErpqLEcvujmAwUnIUn2BxFMFXQF0+2HsqZnic0n9gwVCdW2XvglGfq7W1g/24\n"
	"jivLZJUGOlnh1NXkHK8NaRveRbO8sl6b0ZKufQIDAQABAoIBAAsRDTsN3Z/euc6I\n"
	"VFqKuDc9eUQllI3A0ROq48t14sid5FOs5zxV8qHETJkN3r1Sd510JcUrP8PqEt/F\n"
	"j9kVcrrAKBeSoYsADRIAz/J0/8iKh/FqcyJvZbPSf3oLBxg/UUs4uBIsh2nhsCZ8\n"
	"Pvo6nYnMFp9cpyKvir9qLcqx//3lmWet830nQEd8+Uc5Z2WTJVDegwAX5tTDIho4\n"
	"jyKEYN8KBQthLng2nynnm0J1Q39E8zNzPy5a8lCnnNIdfEI8R2ncsCLBebdvxB0F\n"
	"1kWtAyeSHVweQko1z0i+WSbRKGV+flI9XyE+wwSLzr+1ZcRuN7I4QR4gNducB7vF\n"
	"AlHQhgsCgYEA43v3e25mHoEkDPtOT29D0yai+BsZ5k3fXAohsIWrHKl/pCkZ3JYn\n"
	"oZUR9Dwp1g+JE8l6j3AD8kE0fkiEsvQQ/rVLnxEGgHQTZ8gxmCOr6k91e/yIQUP6\n"
	"RkogK0iPk5HXELvD76UaW/YyRE7Eat4dpbVTEQKQQPLI2wVNhs9RtfMCgYEA32YQ\n"
	"cekRmXgoJrGqi6vPUQTQhsrq/PBkljNw8WOlK4BHfeR2KOGSrN5dEdOvOD5iiqFK\n"
	"a1dOziedO0vv3VfqY1GJrZ2nXnfdcHKaex85xLDvyzqurWISuSBdAIJUILnYxVAu\n"
	"wgkQA/UkaOU7djR8vuGQg7+vqqZX69CuIyPl9c8CgYEApkg6edYT/V5GnNqhvnzF\n"
	"ZjYK0DL3Nppbl6qsP50lm9jmPXfxuIVlyL3vlsjXh+ppN7aByRGHQPCaz2hw32J6\n"
	"fcTF1ysZxpGSkb0LS3tfsfGNHilU6+glrHWImDr9AFCNlWS675SO9QO8cKPm/XsI\n"
	"ztUBOCDYkzEk0rxIlC89OjMCgYBgBVWiMISRC3VulETyvclhUIl0tnlkeMszSC8O\n"
	"gj73QK757J3hGnvZ88XbKLqSmTXv0j3Tf3Zu49YQK6aQ4/3p7J0Z076huzGh6JB/\n"
	"xT8mTMr09mcoPRRBICj5VAtm+ZqzzLAcVJreqJqav5TcTNkljnx4NIcD+XWm9U4z\n"
	"6nUoPwKBgDdA1hCTY/0lp/jMShhVJi09P2TQBKC+xWl6AsTK3x0VNY5z9o5lzIIi\n"
	"uMDGugkvAS1B7ERk6qsDoE8mAKq0hW6FRjcOF7T/oPHFRg2o9SHpi4+FQ+SEAbgM\n"
	"tuYWWgO5Y8AW2ZjtVomlZfxF97oMKOCg50E/lS/uMun50BRih8A5\n"
	"-----END RSA PRIVATE KEY-----\n";

static const char rsa_n_b64u[] = "xoOulhikXX9mNwOrsnAYPcehGVHJFrGLggMdjxhdyeIldP9l7upzhmyQTGireWkQtMNwurzDb6UaynZSPLOBd8a98LST9ilqi4Awb-XPjK_ou6ynzyDoS_g-QogVz5xUHxyk3eINIb7oSySA9jJdJtPZtBBKggblr44Cy0IE096JjOLWQtBaKsjf681rzGOtybET8b-5Nnwz67UhuVoMfjROwB3DEbZosaO6STOeMex-G584n1KErpqLEcvujmAwUnIUn2BxFMFXQF0-2HsqZnic0n9gwVCdW2XvglGfq7W1g_24jivLZJUGOlnh1NXkHK8NaRveRbO8sl6b0ZKufQ";
static const char ec_x_b64u[] = "wZ3UUjlY4UMXnTb2vbX84uhnTozD_mwViSl8lgMB5bI";
static const char ec_y_b64u[] = "_gIL2NU50hDHlg0jwHjYiM1Z1r_9jnHwHSmywjM7cHk";
static const char ec_d_b64u[] = "kt_LNbw9XUCX5lFCZ8TEGX5gNJL297wMMeVfvfQxLT4";
/* 87575240152721129309245157209633629720627017539176685348448160264198092350898 */

/* ------------------------------------------------------------------ */

TEST(test_table)
{
	/* names, arity and declarations follow OPA v1's catalogue */
	const struct tg_rego_builtin *b = tg_rego_builtin_find("sprintf", 7);
	CHECK(b && b->arity == 2 && strcmp(b->decl, "(string, array[any]) => string") == 0);
	b = tg_rego_builtin_find("re_match", 8);
	CHECK(b && (b->flags & TG_RB_DEPRECATED));
	b = tg_rego_builtin_find("regex.match", 11);
	CHECK(b && !(b->flags & TG_RB_DEPRECATED));
}

TEST(test_strings_basic)
{
	/* OPA conformance: strings */
	RES("concat", "[\"/\", [\"\", \"foo\", \"bar\", \"0\", \"baz\"]]", "\"/foo/bar/0/baz\"");
	RES("concat", "[\",\", {\"$set\": [\"1\", \"2\", \"3\"]}]", "\"1,2,3\"");
	RES("concat", "[\",\", []]", "\"\"");
	TYPE_ERR("concat", "[\",\", [1]]", "operand 2 must be array of strings but got array containing number");
	TYPE_ERR("concat", "[\",\", 1]", "operand 2 must be one of {set, array} but got number");
	RES("contains", "[\"abcdefgh\", \"defg\"]", "true");
	RES("contains", "[\"abcdefgh\", \"ac\"]", "false");
	RES("contains", "[\"abc\", \"\"]", "true");
	RES("startswith", "[\"abcdefgh\", \"abcd\"]", "true");
	RES("startswith", "[\"abcdefgh\", \"bcd\"]", "false");
	RES("endswith", "[\"abcdefgh\", \"fgh\"]", "true");
	RES("endswith", "[\"abcdefgh\", \"fg\"]", "false");
	TYPE_ERR("startswith", "[1, \"a\"]", "operand 1 must be string but got number");
	RES("indexof", "[\"abcdefgh\", \"cde\"]", "2");
	RES("indexof", "[\"abcabcabcdefgh\", \"cde\"]", "8");
	RES("indexof", "[\"abcdefgh\", \"xyz\"]", "-1");
	RES("indexof", "[\"\xce\xbcx\", \"x\"]", "1");
	RES("indexof", "[\"sk\xc3\xb6n var v\xc3\xa5ren\", \"v\xc3\xa5r\"]", "9");
	RES("indexof", "[\"\xce\xbc\", \"\xce\xbc\xce\xbc\"]", "-1");
	BERR("indexof", "[\"abc\", \"\"]", "empty search character");
	RES("indexof_n", "[\"dogcatdogcat\", \"cat\"]", "[3, 9]");
	RES("indexof_n", "[\"dogcat\", \"rabbit\"]", "[]");
	RES("indexof_n", "[\"aaa\", \"aa\"]", "[0, 1]");
	RES("substring", "[\"abcdefgh\", 2, 3]", "\"cde\"");
	RES("substring", "[\"\xc3\xa5\xc3\xa4\xc3\xb6\", 0, 2]", "\"\xc3\xa5\xc3\xa4\"");
	RES("substring", "[\"abcdefgh\", 2, -1]", "\"cdefgh\"");
	RES("substring", "[\"a\xc3\xa5\xc3\xa4\xc3\xb6\", 2, -1]", "\"\xc3\xa4\xc3\xb6\"");
	RES("substring", "[\"abcdefgh\", 2, 10000]", "\"cdefgh\"");
	RES("substring", "[\"aaa\", 3, -1]", "\"\"");
	RES("substring", "[\"aaa\", 4, -1]", "\"\"");
	BERR("substring", "[\"aaa\", -1, -1]", "negative offset");
	TYPE_ERR("substring", "[\"aaa\", 1.5, 1]", "operand 2 must be integer number but got floating-point number");
	RES("lower", "[\"AbCdEf\"]", "\"abcdef\"");
	RES("upper", "[\"AbCdEf\"]", "\"ABCDEF\"");
	RES("upper", "[\"\xc3\xa5\xc3\xa4\xc3\xb6\"]", "\"\xc3\x85\xc3\x84\xc3\x96\"");
	RES("lower", "[\"\xce\xa9\"]", "\"\xcf\x89\"");
	RES("split", "[\"\", \".\"]", "[\"\"]");
	RES("split", "[\"foo\", \".\"]", "[\"foo\"]");
	RES("split", "[\"foo.bar.baz\", \".\"]", "[\"foo\", \"bar\", \"baz\"]");
	RES("split", "[\"a,b,,\", \",\"]", "[\"a\", \"b\", \"\", \"\"]");
	RES("split", "[\"ab\", \"\"]", "[\"a\", \"b\"]");
	RES("replace", "[\"\", \"hi\", \"bye\"]", "\"\"");
	RES("replace", "[\"foo.bar.baz\", \".\", \",\"]", "\"foo,bar,baz\"");
	RES("replace", "[\"foo...bar\", \"..\", \",,\"]", "\"foo,,.bar\"");
	RES("replace", "[\"ab\", \"\", \"-\"]", "\"-a-b-\"");
	RES("strings.reverse", "[\"bar\"]", "\"rab\"");
	RES("strings.reverse", "[\"2\xef\xb8\x8f\xe2\x83\xa3\"]", "\"\xe2\x83\xa3\xef\xb8\x8f" "2\"");
	RES("strings.count", "[\"cheese\", \"e\"]", "3");
	RES("strings.count", "[\"five\", \"\"]", "5");
	RES("strings.count", "[\"aaaa\", \"aa\"]", "2");
}

TEST(test_strings_any_match)
{
	RES("strings.any_prefix_match", "[[\"a/b/c\", \"a/b/d\", \"e/f/g\"], [\"a/\", \"d/\"]]", "true");
	RES("strings.any_prefix_match", "[[\"a/b/c\", \"a/b/d\", \"e/f/g\"], [\"f/\", \"d/\"]]", "false");
	RES("strings.any_prefix_match", "[\"a/b/c\", [\"a/\", \"d/\"]]", "true");
	RES("strings.any_prefix_match", "[[], []]", "false");
	RES("strings.any_prefix_match", "[{\"$set\": [\"a/b/c\"]}, {\"$set\": [\"a/\"]}]", "true");
	TYPE_ERR("strings.any_prefix_match", "[[1, 2, 3], [\"f/\"]]",
		 "operand 1 must be array of strings but got array containing number");
	TYPE_ERR("strings.any_prefix_match", "[1, [\"f/\"]]",
		 "operand 1 must be one of {string, set, array} but got number");
	TYPE_ERR("strings.any_prefix_match", "[[\"a\"], 1]",
		 "operand 2 must be one of {string, set, array} but got number");
	RES("strings.any_suffix_match", "[[\"a/b/c\", \"a/b/d\", \"e/f/g\"], [\"/c\", \"/a\"]]", "true");
	RES("strings.any_suffix_match", "[[\"aa/bb/cc\"], [\"b/c\", \"f/g\"]]", "false");
	RES("strings.any_suffix_match", "[\"a/b/c\", \"/c\"]", "true");
}

TEST(test_format_int)
{
	RES("format_int", "[15.5, 16]", "\"f\"");
	RES("format_int", "[3.1, 10]", "\"3\"");
	RES("format_int", "[-3.9, 10]", "\"-3\"");
	RES("format_int", "[255, 2]", "\"11111111\"");
	RES("format_int", "[8, 8]", "\"10\"");
	RES("format_int", "[-255, 16]", "\"-ff\"");
	RES("format_int", "[123456789012345678901234567890, 16]", "\"18ee90ff6c373e0ee4e3f0ad2\"");
	TYPE_ERR("format_int", "[4.1, 199]", "operand 2 must be one of {2, 8, 10, 16}");
}

TEST(test_trim)
{
	RES("trim", "[\"\", \".\"]", "\"\"");
	RES("trim", "[\"...foo.bar...\", \".\"]", "\"foo.bar\"");
	RES("trim", "[\"...foo.bar...\", \".fr\"]", "\"oo.ba\"");
	RES("trim", "[\"\xc2\xa1\xc2\xa1\xc2\xa1" "foo, bar!!!\", \"!\xc2\xa1\"]", "\"foo, bar\"");
	RES("trim_left", "[\"\xc2\xa1\xc2\xa1\xc2\xa1" "foo, bar!!!\", \"!\xc2\xa1\"]", "\"foo, bar!!!\"");
	RES("trim_right", "[\"\xc2\xa1\xc2\xa1\xc2\xa1" "foo, bar!!!\", \"!\xc2\xa1\"]",
	    "\"\xc2\xa1\xc2\xa1\xc2\xa1" "foo, bar\"");
	RES("trim_prefix", "[\"\xc2\xa1\xc2\xa1\xc2\xa1" "foo, bar!!!\", \"\xc2\xa1\xc2\xa1\xc2\xa1" "foo\"]",
	    "\", bar!!!\"");
	RES("trim_suffix", "[\"foo, bar!!!\", \", bar!!!\"]", "\"foo\"");
	RES("trim_suffix", "[\"foo, bar!!!\", \", foo!!!\"]", "\"foo, bar!!!\"");
	RES("trim_space", "[\" \\t\\n foo, bar \\n\\t\\r\\n\"]", "\"foo, bar\"");
	RES("trim_space", "[\"\xe3\x80\x80x\xc2\xa0\"]", "\"x\"");
}

TEST(test_replace_n)
{
	RES("strings.replace_n", "[{\"<\": \"&lt;\", \">\": \"&gt;\"}, \"This is <b>HTML</b>!\"]",
	    "\"This is &lt;b&gt;HTML&lt;/b&gt;!\"");
	RES("strings.replace_n", "[{\"f\": \"x\", \"foo\": \"xxx\"}, \"foobar\"]", "\"xoobar\"");
	RES("strings.replace_n", "[{\"old1\": \"new1\"}, \"Everything is new1, new2\"]",
	    "\"Everything is new1, new2\"");
	TYPE_ERR("strings.replace_n", "[{\"f\": 100}, \"foo\"]",
		 "operand 1 non-string value found in pattern object");
	TYPE_ERR("strings.replace_n", "[{\"foo\": \"baz\"}, 100]", "operand 2 must be string but got number");
}

TEST(test_sprintf)
{
	/* OPA conformance: strings, sprintf */
	RES("sprintf", "[\"hi\", []]", "\"hi\"");
	RES("sprintf", "[\"hi %s\", [\"there\"]]", "\"hi there\"");
	RES("sprintf", "[\"hi %02d\", [5]]", "\"hi 05\"");
	RES("sprintf", "[\"hi %02X.%02X\", [127, 1]]", "\"hi 7F.01\"");
	RES("sprintf", "[\"hi %.2f\", [3.1415]]", "\"hi 3.14\"");
	RES("sprintf", "[\"hi %v\", [2e308]]", "\"hi 2e308\"");
	RES("sprintf", "[\"hi %s\", [true]]", "\"hi true\"");
	RES("sprintf", "[\"hi %v\", [[\"there\", 5, 3.14]]]", "\"hi [\\\"there\\\", 5, 3.14]\"");
	RES("sprintf", "[\"%s\", [123456789123456789123]]", "\"123456789123456789123\"");
	RES("sprintf", "[\"%s\", [1208925819614629174706175]]", "\"1208925819614629174706175\"");
	/* Go's fmt, checked with go1.22 */
	RES("sprintf", "[\"%d\", [\"x\"]]", "\"%!d(string=x)\"");
	RES("sprintf", "[\"%s\", [5]]", "\"%!s(int=5)\"");
	RES("sprintf", "[\"%d %d\", [1]]", "\"1 %!d(MISSING)\"");
	RES("sprintf", "[\"%d\", [1, 2]]", "\"1%!(EXTRA int=2)\"");
	RES("sprintf", "[\"%\", []]", "\"%!(NOVERB)\"");
	RES("sprintf", "[\"100%%\", []]", "\"100%\"");
	RES("sprintf", "[\"%5s|%-5s|\", [\"ab\", \"cd\"]]", "\"   ab|cd   |\"");
	RES("sprintf", "[\"%.2s\", [\"abcdef\"]]", "\"ab\"");
	RES("sprintf", "[\"%q\", [\"a\\\"b\\n\"]]", "\"\\\"a\\\\\\\"b\\\\n\\\"\"");
	RES("sprintf", "[\"%x\", [\"hi\"]]", "\"6869\"");
	RES("sprintf", "[\"%x %X %o %b\", [255, 255, 8, 5]]", "\"ff FF 10 101\"");
	RES("sprintf", "[\"%#x %#o\", [255, 8]]", "\"0xff 010\"");
	RES("sprintf", "[\"%+d % d\", [5, 5]]", "\"+5  5\"");
	RES("sprintf", "[\"%v\", [1.5]]", "\"1.5\"");
	RES("sprintf", "[\"%v\", [1e21]]", "\"1e+21\"");
	RES("sprintf", "[\"%v %v\", [1.0, 100000000.0]]", "\"1 1e+08\"");
	RES("sprintf", "[\"%e\", [1234.5678]]", "\"1.234568e+03\"");
	RES("sprintf", "[\"%g\", [0.00001234]]", "\"1.234e-05\"");
	RES("sprintf", "[\"%08.3f\", [-3.14159]]", "\"-003.142\"");
	RES("sprintf", "[\"%T %T %T %T\", [1, 1.5, \"s\", true]]", "\"int float64 string string\"");
	RES("sprintf", "[\"%v %v %v\", [null, {\"a\": 1}, {\"$set\": []}]]", "\"null {\\\"a\\\": 1} set()\"");
	RES("sprintf", "[\"%v\", [{\"$set\": [1, \"a\"]}]]", "\"{1, \\\"a\\\"}\"");
	RES("sprintf", "[\"%*d\", [4, 7]]", "\"   7\"");
	RES("sprintf", "[\"%[2]d %[1]d\", [1, 2]]", "\"2 1\"");
	RES("sprintf", "[\"%c%c\", [72, 105]]", "\"Hi\"");
	RES("sprintf", "[\"%U\", [9731]]", "\"U+2603\"");
	RES("sprintf", "[\"%x\", [123456789123456789123]]", "\"6b14e9f9b0df36a83\"");
	RES("sprintf", "[\"%f\", [123456789123456789123]]", "\"%!f(big.Int=123456789123456789123)\"");
	RES("sprintf", "[\"%d\", [1.5]]", "\"%!d(float64=1.5)\"");
	RES("sprintf", "[\"%05s\", [\"ab\"]]", "\"   ab\""); /* go1.23: 0 ignored for strings */
	TYPE_ERR("sprintf", "[\"%s\", \"x\"]", "operand 2 must be array but got string");
}

TEST(test_units)
{
	/* OPA conformance: units */
	RES("units.parse", "[\"500m\"]", "0.5");
	RES("units.parse", "[\"0.0005K\"]", "0.5");
	RES("units.parse", "[\"1.1Ki\"]", "1126.4");
	RES("units.parse", "[\"10KI\"]", "10240");
	RES("units.parse", "[\"100M\"]", "100000000");
	RES("units.parse", "[\"10Ei\"]", "11529215046068469760");
	RES("units.parse", "[\"\\\"100TI\\\"\"]", "109951162777600");
	RES("units.parse", "[\"12345\"]", "12345");
	RES("units.parse", "[\".5K\"]", "500");
	RES("units.parse", "[\"1e3\"]", "1000");
	BERR("units.parse", "[\"\"]", "no amount provided");
	BERR("units.parse", "[\"G\"]", "no amount provided");
	BERR("units.parse", "[\"0.0.0\"]", "could not parse amount to a number");
	BERR("units.parse", "[\"100 k\"]", "spaces not allowed in resource strings");
	BERR("units.parse", "[\"1xyz\"]", "unit xyz not recognized");
	{
		/* 0.001 as a float64, as OPA multiplies, printed with 10 decimals */
		const struct tg_json *v;
		CHECK_OK(call("units.parse", "[\"100m\"]", &v));
		CHECK(v && v->type == TG_JSON_NUMBER && strcmp(v->u.s.p, "0.1000000000") == 0);
		CHECK_OK(call("units.parse", "[\"1G\"]", &v));
		CHECK(v && strcmp(v->u.s.p, "1000000000") == 0);
	}
	RES("units.parse_bytes", "[\"1KiB\"]", "1024");
	RES("units.parse_bytes", "[\"10KB\"]", "10000");
	RES("units.parse_bytes", "[\"1.1KiB\"]", "1126");
	RES("units.parse_bytes", "[\"200mb\"]", "200000000");
	RES("units.parse_bytes", "[\"10eib\"]", "11529215046068469760");
	RES("units.parse_bytes", "[\".0\"]", "0");
	RES("units.parse_bytes", "[\"128Gi\"]", "137438953472");
	BERR("units.parse_bytes", "[\"GB\"]", "no byte amount provided");
	BERR("units.parse_bytes", "[\".5.2\"]", "could not parse byte amount to a number");
	BERR("units.parse_bytes", "[\" 327MiB \"]", "spaces not allowed in resource strings");
	BERR("units.parse_bytes", "[\"1e9999999KB\"]", "exponent too large");
}

TEST(test_regex)
{
	/* OPA conformance: regex* */
	RES("regex.match", "[\"^[a-z]+\\\\[[0-9]+\\\\]$\", \"foo[1]\"]", "true");
	RES("regex.match", "[\"^[a-z]+\\\\[[0-9]+\\\\]$\", \"foo[\\\"bar\\\"]\"]", "false");
	BERR("re_match", "[\"][\", \"x\"]", "error parsing regexp: missing closing ]: `[`");
	RES("regex.is_valid", "[\".+\"]", "true");
	RES("regex.is_valid", "[\"++\"]", "false");
	RES("regex.is_valid", "[10]", "false");
	/* Go's regexp has no backreferences and no \C; RE2 agrees on the first */
	RES("regex.is_valid", "[\"(a)\\\\1\"]", "false");
	RES("regex.is_valid", "[\"a\\\\C\"]", "false");
	BERR("regex.match", "[\"(a)\\\\1\", \"aa\"]", "error parsing regexp: invalid escape sequence: `\\1`");
	RES("regex.match", "[\"(?<name>x)\", \"x\"]", "true");
	RES("regex.find_n", "[\"a.\", \"paranormal\", -1]", "[\"ar\", \"an\", \"al\"]");
	RES("regex.find_n", "[\"a.\", \"paranormal\", 2]", "[\"ar\", \"an\"]");
	RES("regex.find_n", "[\"bork\", \"paranormal\", -1]", "[]");
	RES("regex.find_n", "[\"a*\", \"baaab\", -1]", "[\"\", \"aaa\", \"\"]");
	RES("regex.find_all_string_submatch_n", "[\"a(x*)b\", \"-ab-axb-\", -1]",
	    "[[\"ab\", \"\"], [\"axb\", \"x\"]]");
	RES("regex.find_all_string_submatch_n",
	    "[\"[^aouiye]([aouiye])([^aouiye])?\", \"somestri\", -1]",
	    "[[\"som\", \"o\", \"m\"], [\"ri\", \"i\", \"\"]]");
	RES("regex.find_all_string_submatch_n",
	    "[\"[^aouiye]([aouiye])([^aouiye])?\", \"somestri\", 1]", "[[\"som\", \"o\", \"m\"]]");
	RES("regex.split", "[\"^[a-z]+\\\\[[0-9]+\\\\]$\", \"\"]", "[\"\"]");
	RES("regex.split", "[\"a\", \"banana\"]", "[\"b\", \"n\", \"n\", \"\"]");
	RES("regex.split", "[\"z+\", \"pizza\"]", "[\"pi\", \"a\"]");
	RES("regex.split", "[\"\", \"abc\"]", "[\"a\", \"b\", \"c\"]");
	RES("regex.replace", "[\"-wy-wxxy-\", \"w(x*)y\", \"0\"]", "\"-0-0-\"");
	RES("regex.replace", "[\"foo\", \"(foo)\", \"$1$1\"]", "\"foofoo\"");
	RES("regex.replace", "[\"abc\", \"(?P<x>b)\", \"[${x}]\"]", "\"a[b]c\"");
	RES("regex.replace", "[\"abc\", \"b\", \"$$\"]", "\"a$c\"");
	RES("regex.replace", "[\"abc\", \"x*\", \"-\"]", "\"-a-b-c-\"");
	BERR("regex.replace", "[\"foo\", \"[\", \"$1\"]", "missing closing ]");
	RES("regex.template_match", "[\"urn:foo:{.*}\", \"urn:foo:bar:baz\", \"{\", \"}\"]", "true");
	RES("regex.template_match", "[\"urn:foo:<.*>\", \"urn:foo:bar:baz\", \"<\", \">\"]", "true");
	RES("regex.template_match", "[\"urn:foo.bar:<[a-z]+>\", \"urn:fooxbar:baz\", \"<\", \">\"]",
	    "false");
	BERR("regex.template_match", "[\"urn:{.*\", \"x\", \"{\", \"}\"]", "unbalanced braces");
	CHECK(tg_rego_re_cache_size() > 0 && tg_rego_re_cache_size() <= 256);
}

TEST(test_globs)
{
	/* OPA conformance: globsmatch */
	RES("regex.globs_match", "[\"a.a.[0-9]+z\", \".b.b2359825792*594823z\"]", "true");
	RES("regex.globs_match", "[\"[a-z]+\", \"[0-9]*\"]", "false");
	BERR("regex.globs_match", "[\"pqrs]\", \"[a-b]+\"]",
	     "input:pqrs], pos:5, set-close ']' with no preceding '[': the input provided is invalid");
	RES("regex.globs_match", "[\"b.*\", \"bar\"]", "true");
	RES("regex.globs_match", "[\"[a-z]+\\\\[[0-9]+\\\\]\", \"foo\\\\[1\\\\]\"]", "true");
	RES("regex.globs_match", "[\"[a-z]+\\\\[[0-9]+\\\\]\", \"foo[\\\"bar\\\"]\"]", "false");
	/* OPA conformance: globmatch */
	RES("glob.match", "[\"*.github.com\", [\".\"], \"api.github.com\"]", "true");
	RES("glob.match", "[\"api.**.com\", [\".\"], \"api.cdn.github.com\"]", "true");
	RES("glob.match", "[\"*:github:com\", [\":\"], \"api:github:com\"]", "true");
	RES("glob.match", "[\"*.github.com\", [\".\"], \"api.not-github.com\"]", "false");
	RES("glob.match", "[\"[abc]at\", [], \"cat\"]", "true");
	RES("glob.match", "[\"[!abc]at\", [], \"cat\"]", "false");
	RES("glob.match", "[\"[a-c]at\", [], \"bat\"]", "true");
	RES("glob.match", "[\"[!a-c]at\", [], \"fat\"]", "true");
	RES("glob.match", "[\"?at\", [], \"at\"]", "false");
	RES("glob.match", "[\"?at\", [\"f\"], \"bat\"]", "true");
	RES("glob.match", "[\"?at\", [\"f\"], \"fat\"]", "false");
	RES("glob.match", "[\"{cat,bat,[fr]at}\", [], \"rat\"]", "true");
	RES("glob.match", "[\"{cat,bat,[fr]at}\", [], \"at\"]", "false");
	RES("glob.match", "[\"*\", [], \"foo.bar\"]", "false");
	RES("glob.match", "[\"*\", null, \"foo.bar\"]", "true");
	RES("glob.match", "[\"foo*\", null, \"foo.bar\"]", "true");
	RES("glob.match", "[\"\", null, \"\"]", "true");
	RES("glob.match", "[\"a\\\\*b\", null, \"a*b\"]", "true");
	RES("glob.match", "[\"a\\\\*b\", null, \"axb\"]", "false");
	BERR("glob.match", "[\"[a\", null, \"a\"]", "unexpected end of input");
	BERR("glob.match", "[\"[]\", null, \"a\"]", "could not parse range");
	TYPE_ERR("glob.match", "[\"a\", [\"ab\"], \"a\"]",
		 "operand 2 must be array of runes but got array containing string");
	RES("glob.quote_meta", "[\"*.github.com\"]", "\"\\\\*.github.com\"");
	RES("glob.quote_meta", "[\"{a,b}[c]?\"]", "\"\\\\{a,b\\\\}\\\\[c\\\\]\\\\?\"");
	/* a pattern that makes backtracking matchers exponential */
	RES("glob.match", "[\"*a*a*a*a*a*a*a*a*a*a*a*a*b\", null, \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]",
	    "false");
}

TEST(test_time)
{
	/* OPA conformance: time */
	RES("time.parse_ns", "[\"2006-01-02T15:04:05Z07:00\", \"2017-06-02T19:00:00-07:00\"]",
	    "1496455200000000000");
	RES("time.parse_ns", "[\"2006-01-02T15:04:05Z07:00\", \"1677-09-21T00:12:43.145224192-00:00\"]",
	    "-9223372036854775808");
	RES("time.parse_ns", "[\"2006-01-02T15:04:05Z07:00\", \"2262-04-11T23:47:16.854775807-00:00\"]",
	    "9223372036854775807");
	RES("time.parse_ns", "[\"01/02 03:04:05PM '06 -0700\", \"06/02 07:00:00PM '17 -0700\"]",
	    "1496455200000000000");
	RES("time.parse_ns", "[\"02 Jan 06 15:04 -0700\", \"02 Jun 17 19:00 -0700\"]",
	    "1496455200000000000");
	BERR("time.parse_ns", "[\"2006-01-02T15:04:05Z07:00\", \"1677-09-21T00:12:43.145224191-00:00\"]",
	     "time outside of valid range");
	BERR("time.parse_rfc3339_ns", "[\"2262-04-11T23:47:16.854775808-00:00\"]",
	     "time outside of valid range");
	RES("time.parse_rfc3339_ns", "[\"1970-01-01T00:00:00-00:00\"]", "0");
	RES("time.parse_rfc3339_ns", "[\"2017-06-02T19:00:00-07:00\"]", "1496455200000000000");
	RES("time.parse_ns", "[\"RFC822\", \"02 Jun 17 19:00 UTC\"]", "1496430000000000000");
	RES("time.parse_ns", "[\"2006-01-02\", \"2020-02-29\"]", "1582934400000000000");
	/* Go's ParseError texts (go1.22) */
	BERR("time.parse_ns", "[\"2006-01-02\", \"2020-13-01\"]",
	     "parsing time \"2020-13-01\": month out of range");
	BERR("time.parse_ns", "[\"2006-01-02\", \"2020/01/01\"]",
	     "parsing time \"2020/01/01\" as \"2006-01-02\": cannot parse \"/01/01\" as \"-\"");
	BERR("time.parse_ns", "[\"2006-01-02\", \"2021-02-29\"]",
	     "parsing time \"2021-02-29\": day out of range");
	BERR("time.parse_ns", "[\"2006-01-02\", \"2021-02-01x\"]",
	     "parsing time \"2021-02-01x\": extra text: \"x\"");
	RES("time.parse_duration_ns", "[\"100ms\"]", "100000000");
	RES("time.parse_duration_ns", "[\"1h30m\"]", "5400000000000");
	RES("time.parse_duration_ns", "[\"-1.5h\"]", "-5400000000000");
	RES("time.parse_duration_ns", "[\"1.5\xc2\xb5s\"]", "1500");
	RES("time.parse_duration_ns", "[\"0\"]", "0");
	BERR("time.parse_duration_ns", "[\"x\"]", "time: invalid duration \"x\"");
	BERR("time.parse_duration_ns", "[\"1x\"]", "time: unknown unit \"x\" in duration \"1x\"");
	BERR("time.parse_duration_ns", "[\"1\"]", "time: missing unit in duration \"1\"");
	RES("time.date", "[1517814000000000000]", "[2018, 2, 5]");
	RES("time.date", "[[1517814000000000000, \"America/Los_Angeles\"]]", "[2018, 2, 4]");
	RES("time.date", "[[1517832000000000000, \"\"]]", "[2018, 2, 5]");
	RES("time.date", "[1582977600000000000]", "[2020, 2, 29]");
	BERR("time.date", "[1582977600000000000000]", "timestamp too big");
	RES("time.clock", "[1517832000000000000]", "[12, 0, 0]");
	RES("time.clock", "[[1517832000000000000, \"America/New_York\"]]", "[7, 0, 0]");
	BERR("time.clock", "[[1517832000000000000, \"No/Such_Zone\"]]", "unknown time zone No/Such_Zone");
	BERR("time.clock", "[[1517832000000000000, \"../etc/passwd\"]]", "time: invalid location name");
	TYPE_ERR("time.clock", "[\"x\"]",
		 "operand 1 must be either number (ns) or [number (ns), string (tz)] but got string");
	RES("time.weekday", "[1517832000000000000]", "\"Monday\"");
	RES("time.weekday", "[1518350400000000000]", "\"Sunday\"");
	RES("time.add_date", "[1585852421593912000, 3, 9, 12]", "1705257221593912000");
	RES("time.add_date", "[1585852421593912000, -1, -1, -1]", "1551465221593912000");
	BERR("time.add_date", "[0, 2262, 1, 1]", "time outside of valid range");
	BERR("time.add_date", "[-9223372036854775808, 0, 0, -1]", "time outside of valid range");
	RES("time.diff", "[1583020800000000000, 1580601600000000000]", "[0, 0, 28, 0, 0, 0]");
	RES("time.diff", "[1612224000000000000, 1614556800000000000]", "[0, 0, 27, 0, 0, 0]");
	RES("time.diff", "[1078012800000000000, 1109635200000000000]", "[1, 0, 1, 0, 0, 0]");
	RES("time.diff", "[[1700000060000000000, \"UTC\"], [1700000000000000000, \"Asia/Shanghai\"]]",
	    "[0, 0, 0, 0, 1, 0]");
	RES("time.format", "[1670006453141828752]", "\"2022-12-02T18:40:53.141828752Z\"");
	RES("time.format", "[[1670006453141828752, \"Asia/Kolkata\"]]",
	    "\"2022-12-03T00:10:53.141828752+05:30\"");
	RES("time.format", "[[1670006453141828752, \"Asia/Kolkata\", \"Mon Jan 02 15:04:05 -0700 2006\"]]",
	    "\"Sat Dec 03 00:10:53 +0530 2022\"");
	RES("time.format", "[[1670006453141828752, \"America/New_York\", \"RFC1123\"]]",
	    "\"Fri, 02 Dec 2022 13:40:53 EST\"");
	RES("time.format", "[[1688000000000000000, \"Europe/Paris\", \"2006-01-02 15:04:05.000 MST\"]]",
	    "\"2023-06-29 02:53:20.000 CEST\"");
	/* beyond the last transition of the file: the POSIX TZ footer rules */
	RES("time.clock", "[[4102444800000000000, \"America/New_York\"]]", "[19, 0, 0]");
	RES("time.clock", "[[4118083200000000000, \"America/New_York\"]]", "[20, 0, 0]");
	BERR("time.format", "[15829776000000000000000000]", "timestamp too big");
	RES("time.now_ns", "[]", "1700000000000000000");
}

TEST(test_net)
{
	/* OPA conformance: netcidr* */
	RES("net.cidr_contains", "[\"10.0.0.0/8\", \"10.1.0.0/24\"]", "true");
	RES("net.cidr_contains", "[\"172.17.0.0/24\", \"172.17.0.0/16\"]", "false");
	RES("net.cidr_contains", "[\"10.0.0.0/8\", \"192.168.1.0/24\"]", "false");
	RES("net.cidr_contains", "[\"10.0.0.0/8\", \"10.1.1.1/32\"]", "true");
	RES("net.cidr_contains", "[\"2001:4860:4860::8888/32\", \"2001:4860:4860:1234::8888/40\"]", "true");
	RES("net.cidr_contains", "[\"2001:4860::/96\", \"2001:4860::/32\"]", "false");
	RES("net.cidr_contains", "[\"2001:4860::/32\", \"fd1e:5bfe:8af3:9ddc::/64\"]", "false");
	RES("net.cidr_contains", "[\"10.0.0.0/8\", \"10.1.2.3\"]", "true");
	RES("net.cidr_contains", "[\"10.0.0.0/8\", \"192.168.1.1\"]", "false");
	RES("net.cidr_contains", "[\"::/0\", \"1.2.3.4\"]", "false");
	BERR("net.cidr_contains", "[\"not-a-cidr\", \"192.168.1.67\"]", "invalid CIDR address: not-a-cidr");
	BERR("net.cidr_contains", "[\"192.168.1.0/28\", \"not-a-cidr\"]",
	     "not a valid textual representation of an IP address or CIDR: not-a-cidr");
	RES("net.cidr_overlap", "[\"192.168.1.0/24\", \"192.168.1.67\"]", "true");
	RES("net.cidr_overlap", "[\"192.168.1.0/28\", \"192.168.1.67\"]", "false");
	RES("net.cidr_intersects", "[\"192.168.1.0/25\", \"192.168.1.64/25\"]", "true");
	RES("net.cidr_intersects", "[\"192.168.1.0/24\", \"192.168.2.0/24\"]", "false");
	RES("net.cidr_intersects", "[\"fd1e:5bfe:8af3:9ddc::/64\", \"fd1e:5bfe:8af3:9ddc:1111::/72\"]", "true");
	BERR("net.cidr_intersects", "[\"not-a-cidr\", \"192.168.1.0/24\"]", "invalid CIDR address");
	RES("net.cidr_is_valid", "[\"192.168.1.0/24\"]", "true");
	RES("net.cidr_is_valid", "[\"\"]", "false");
	RES("net.cidr_is_valid", "[\"192.168.1.2\"]", "false");
	RES("net.cidr_is_valid", "[\"2002::1234:abcd:ffff:c0a8:101/64\"]", "true");
	RES("net.cidr_is_valid", "[\"010.0.0.0/8\"]", "false");
	RES("net.cidr_is_valid", "[\"10.0.0.0/33\"]", "false");
	RES("net.cidr_is_valid", "[1]", "false");
	RES("net.cidr_expand", "[\"192.168.1.1/30\"]",
	    "{\"$set\": [\"192.168.1.0\", \"192.168.1.1\", \"192.168.1.2\", \"192.168.1.3\"]}");
	RES("net.cidr_expand", "[\"172.16.100.255/30\"]",
	    "{\"$set\": [\"172.16.100.252\", \"172.16.100.253\", \"172.16.100.254\", \"172.16.100.255\"]}");
	RES("net.cidr_expand", "[\"192.168.1.1/32\"]", "{\"$set\": [\"192.168.1.1\"]}");
	RES("net.cidr_expand", "[\"fe80::/127\"]", "{\"$set\": [\"fe80::\", \"fe80::1\"]}");
	BERR("net.cidr_expand", "[\"192.168.1.1/33\"]", "invalid CIDR address: 192.168.1.1/33");
	BERR("net.cidr_expand", "[\"10.0.0.0/8\"]", "more than 65536 addresses");
	RES("net.cidr_contains_matches", "[\"1.1.1.0/24\", \"1.1.1.1\"]",
	    "{\"$set\": [[\"1.1.1.0/24\", \"1.1.1.1\"]]}");
	RES("net.cidr_contains_matches", "[[\"1.1.2.0/24\", \"1.1.1.0/24\"], [\"1.1.1.1\", \"1.1.2.1\"]]",
	    "{\"$set\": [[0, 1], [1, 0]]}");
	RES("net.cidr_contains_matches", "[[[\"1.1.2.0/24\", 1], \"1.1.1.0/24\"], [\"1.1.1.1\", \"1.1.2.1\"]]",
	    "{\"$set\": [[0, 1], [1, 0]]}");
	BERR("net.cidr_contains_matches", "[[\"1.1.2.0/24\"], [\"1.1.1.1\", 1]]",
	     "operand 2: element must be string or non-empty array");
	RES("net.cidr_contains_matches", "[{\"$set\": [\"1.1.1.0/24\", \"1.1.2.0/24\"]}, {\"$set\": [\"1.1.1.1\", \"1.1.2.1\"]}]",
	    "{\"$set\": [[\"1.1.1.0/24\", \"1.1.1.1\"], [\"1.1.2.0/24\", \"1.1.2.1\"]]}");
	RES("net.cidr_contains_matches", "[{\"k1\": \"1.1.1.1/24\", \"k2\": [\"1.1.1.2/24\", 1]}, \"1.1.1.128\"]",
	    "{\"$set\": [[\"k1\", \"1.1.1.128\"], [\"k2\", \"1.1.1.128\"]]}");
	RES("net.cidr_merge", "[[\"2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128\"]]",
	    "{\"$set\": [\"2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128\"]}");
	RES("net.cidr_merge", "[[\"2601:600:8a80:207e:a57d:7567:e2c9:e7b3/64\", \"2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128\"]]",
	    "{\"$set\": [\"2601:600:8a80:207e::/64\"]}");
	BERR("net.cidr_merge", "[[\"2601:600:8a80:207e:a57d:7567:e2c9:e7b3\"]]", "IPv6 invalid: needs prefix length");
	RES("net.cidr_merge", "[[\"192.0.128.0/24\", \"192.0.128.0/24\"]]", "{\"$set\": [\"192.0.128.0/24\"]}");
	RES("net.cidr_merge", "[[\"192.0.128.0/24\", \"0.0.0.0/0\"]]", "{\"$set\": [\"0.0.0.0/0\"]}");
	RES("net.cidr_merge", "[[\"192.0.128.0/24\", \"192.0.129.0/24\"]]", "{\"$set\": [\"192.0.128.0/23\"]}");
	RES("net.cidr_merge", "[[\"192.0.2.112/30\", \"192.0.2.116/31\", \"192.0.2.118/31\"]]",
	    "{\"$set\": [\"192.0.2.112/29\"]}");
	RES("net.cidr_merge", "[[\"192.0.129.0/24\", \"192.0.130.0/24\"]]",
	    "{\"$set\": [\"192.0.129.0/24\", \"192.0.130.0/24\"]}");
	RES("net.cidr_merge", "[[\"192.0.2.112/30\", \"192.0.2.116/32\", \"192.0.2.118/31\"]]",
	    "{\"$set\": [\"192.0.2.112/30\", \"192.0.2.116/32\", \"192.0.2.118/31\"]}");
	RES("net.cidr_merge", "[[\"192.0.2.112/31\", \"192.0.2.116/31\", \"192.0.2.118/31\"]]",
	    "{\"$set\": [\"192.0.2.112/31\", \"192.0.2.116/30\"]}");
	RES("net.cidr_merge", "[[\"192.0.1.254/31\", \"192.0.2.0/28\", \"192.0.2.16/28\", \"192.0.2.32/28\", \"192.0.2.48/28\", \"192.0.2.64/28\", \"192.0.2.80/28\", \"192.0.2.96/28\", \"192.0.2.112/28\", \"192.0.2.128/28\", \"192.0.2.144/28\", \"192.0.2.160/28\", \"192.0.2.176/28\", \"192.0.2.192/28\", \"192.0.2.208/28\", \"192.0.2.224/28\", \"192.0.2.240/28\", \"192.0.3.0/28\"]]",
	    "{\"$set\": [\"192.0.1.254/31\", \"192.0.2.0/24\", \"192.0.3.0/28\"]}");
	RES("net.cidr_merge", "[[\"::/0\", \"fe80::1/128\"]]", "{\"$set\": [\"::/0\"]}");
	RES("net.cidr_merge", "[[\"::/0\", \"::192.0.2.0/124\", \"ff00::101/128\"]]", "{\"$set\": [\"::/0\"]}");
	RES("net.cidr_merge", "[[\"fe80::/120\", \"192.0.2.0/24\", \"192.0.3.0/24\", \"192.0.4.0/25\", \"192.0.4.128/25\"]]",
	    "{\"$set\": [\"192.0.2.0/23\", \"192.0.4.0/24\", \"fe80::/120\"]}");
	RES("net.cidr_merge", "[[]]", "{\"$set\": []}");
	RES("net.cidr_merge", "[[\"192.0.2.112\", \"192.0.2.116/31\", \"192.0.2.118/31\"]]",
	    "{\"$set\": [\"192.0.2.0/24\"]}");
	RES("net.cidr_merge", "[[\"192.0.128.0\", \"192.0.129.0\"]]", "{\"$set\": [\"192.0.128.0/23\"]}");
	RES("net.cidr_merge", "[{\"$set\": [\"192.0.2.112/30\", \"192.0.2.116/31\", \"192.0.2.118/31\"]}]",
	    "{\"$set\": [\"192.0.2.112/29\"]}");
	BERR("net.cidr_merge", "[[\"foo\"]]", "invalid CIDR address: foo");
	/* Go keeps a bare IPv4 address unmasked with its class mask */
	RES("net.cidr_merge", "[[\"10.1.2.3\"]]", "{\"$set\": [\"10.1.2.3/8\"]}");
	/* no network without the capability; IP literals need none */
	RES("net.lookup_ip_addr", "[\"10.0.0.0\"]", "{\"$set\": [\"10.0.0.0\"]}");
	RES("net.lookup_ip_addr", "[\"::\"]", "{\"$set\": [\"::\"]}");
	RES("net.lookup_ip_addr", "[\"2001:DB8:0:0:0:0:0:1\"]", "{\"$set\": [\"2001:db8::1\"]}");
	/* RFC 6761 6.3: localhost names are answered without the network */
	RES("net.lookup_ip_addr", "[\"localhost\"]", "{\"$set\": [\"127.0.0.1\", \"::1\"]}");
	RES("net.lookup_ip_addr", "[\"db.LocalHost.\"]", "{\"$set\": [\"127.0.0.1\", \"::1\"]}");
	BERR("net.lookup_ip_addr", "[\"example.com\"]",
	     "network access to 'example.com' is not allowed: allow it with");
	BERR("net.lookup_ip_addr", "[\"notlocalhost\"]", "network access to 'notlocalhost'");
	BERR("http.send", "[{\"method\": \"get\", \"url\": \"http://127.0.0.1/\"}]",
	     "network access to '127.0.0.1' is not allowed: allow it with `tollgate policy eval "
	     "--allow-net 127.0.0.1`");
	/* the request is checked first (OPA conformance invalidkeyerror) */
	TYPE_ERR("http.send", "[{\"bad_key\": \"bad_value\", \"method\": \"get\", \"url\": \"http://127.0.0.1:51113\"}]",
		 "operand 1 invalid request parameters(s): {\"bad_key\"}");
	TYPE_ERR("http.send", "[{\"method\": \"get\"}]",
		 "operand 1 missing required request parameters(s): {\"url\"}");
	TYPE_ERR("http.send", "[{}]", "missing required request parameters(s): {\"method\", \"url\"}");
	BERR("http.send", "[{\"method\": \"get\", \"url\": \"x\", \"raise_error\": 1}]",
	     "invalid value for raise_error field");
	/* with the capability and no allow-list every host may be tried (port 1:
	 * nothing listens); tests/data/cli/policy/http-send.sh talks to a server */
	caps = TG_REGO_CAP_NET;
	BERR("http.send", "[{\"method\": \"get\", \"url\": \"http://127.0.0.1:1/\"}]",
	     "Get \"http://127.0.0.1:1/\": dial tcp 127.0.0.1:1: connect: ");
	caps = 0;
}


TEST(test_crypto_hashes)
{
	/* OPA conformance: cryptomd5, cryptosha*, cryptohmac* */
	RES("crypto.md5", "[\"lorem ipsum\"]", "\"80a751fde577028640c419000e33eba6\"");
	RES("crypto.sha1", "[\"lorem ipsum\"]", "\"bfb7759a67daeb65410490b4d98bb9da7d1ea2ce\"");
	RES("crypto.sha256", "[\"lorem ipsum\"]",
	    "\"5e2bf57d3f40c4b6df69daf1936cb766f832374b4fc0259a7cbff06e2f70f269\"");
	RES("crypto.hmac.md5", "[\"foo\", \"bar\"]", "\"31b6db9e5eb4addb42f1a6ca07367adc\"");
	RES("crypto.hmac.sha1", "[\"foo\", \"bar\"]", "\"85d155c55ed286a300bd1cf124de08d87e914f3a\"");
	RES("crypto.hmac.sha256", "[\"foo\", \"bar\"]",
	    "\"147933218aaabc0b8b10a2b3a5c34684c8d94341bcf10a4736dc7270f7741851\"");
	RES("crypto.hmac.sha512", "[\"foo\", \"bar\"]",
	    "\"24257d7210582a65c731ec55159c8184cc24c02489453e58587f71f44c23a2d61b4b72154a89d17b2d49448a8452ea066f4fc56a2bcead45c088572ffccdb3d8\"");
	RES("crypto.hmac.md5", "[\"\xc3\xa5\xc3\xa4\xc3\xb6\xc3\xa7\xc3\x9f\xf0\x9f\xa5\xb2\xe2\x99\x99\xce\xa9\", \"\xe7\xa7\x98\xe5\xaf\x86\xe3\x81\xae\"]",
	    "\"20a8743c2157ac60b7e8b79c83651b8d\"");
	/* RFC 4231 test case 2 */
	RES("crypto.hmac.sha256", "[\"what do ya want for nothing?\", \"Jefe\"]",
	    "\"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843\"");
	RES("crypto.hmac.equal", "[\"abc\", \"abc\"]", "true");
	RES("crypto.hmac.equal", "[\"abc\", \"abd\"]", "false");
	RES("crypto.hmac.equal", "[\"abc\", \"ab\"]", "false");
	TYPE_ERR("crypto.md5", "[1]", "operand 1 must be string but got number");
}

/* RFC 7515 A.1 (HS256), A.2 (RS256), A.3 (ES256) */
static const char rfc_hdr_a1[] = "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}";
static const char rfc_payload[] =
	"{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
static const char rfc_oct[] =
	"{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}";
static const char rfc_a1_jws[] =
	"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
static const char rfc_rsa_jwk[] =
	"{\"kty\":\"RSA\",\"n\":\"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ\",\"e\":\"AQAB\","
	"\"d\":\"Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ\","
	"\"p\":\"4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc\","
	"\"q\":\"uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc\","
	"\"dp\":\"BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0\","
	"\"dq\":\"h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU\","
	"\"qi\":\"IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U\"}";
static const char rfc_a2_jws[] =
	"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
static const char rfc_ec_jwk[] =
	"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}";
static const char rfc_a3_jws[] =
	"eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

TEST(test_jwt)
{
	const struct tg_json *v, *args[3];
	/* OPA conformance: jwtbuiltins */
	RES("io.jwt.decode",
	    "[\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwIiwiaXNzIjoib3BhIn0.XmVoLoHI3pxMtMO_WRONMSJzGUDP9pDjy8Jp0_tdRXY\"]",
	    "[{\"alg\": \"HS256\", \"typ\": \"JWT\"}, {\"iss\": \"opa\", \"sub\": \"0\"}, \"5e65682e81c8de9c4cb4c3bf59138d3122731940cff690e3cbc269d3fb5d4576\"]");
	BERR("io.jwt.decode",
	     "[\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImVuYyI6ImJsYWgifQ.eyJuZXciOiJJIGFtIGEgdXNlciBjcmVhdGVkIGZpZWxkIiwiaXNzIjoib3BhIn0.McGUb1e-UviZKy6UyQErNNQzEUgeV25Buwk7OHOa8U8\"]",
	     "JWT is a JWE object, which is not supported");
	BERR("io.jwt.decode", "[\"abc\"]", "encoded JWT had no period separators");
	BERR("io.jwt.decode", "[\"a.b\"]", "encoded JWT must have 3 sections, found 2");
	BERR("io.jwt.decode",
	     "[\"eyJhbGciOiJIU^%zI1NiI+sInR5cCI6IkpXVCJ9.eyJzdWIiOiIwIiwiaXNzIjoib3BhIn0.XmVoLoHI3pxMtMO_WRONMSJzGUDP9pDjy8Jp0_tdRXY\"]",
	     "JWT header had invalid encoding: illegal base64 data at input byte 13");
	BERR("io.jwt.decode",
	     "[\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwIiwia/XNzIjoib3BhIn0.XmVoLoHI3pxMtMO_WRONMSJzGUDP9pDjy8Jp0_tdRXY\"]",
	     "JWT payload had invalid encoding: illegal base64 data at input byte 17");
	BERR("io.jwt.decode",
	     "[\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwIiwiaXNzIjoib3BhIn0.XmVoLoHI3pxMtMO(_WRONMSJzGUDP9pDjy8Jp0_tdRXY\"]",
	     "JWT signature had invalid encoding: illegal base64 data at input byte 15");
	/* repeated claims: the last one wins, as in Go */
	RES("io.jwt.decode",
	    "[\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiAiMCIsImlzcyI6ICJub3Qgb3BhIiwgImlzcyI6ICJhbHNvIG5vdCBvcGEiLCAiaXNzIjogIm9wYSJ9.XmVoLoHI3pxMtMO_WRONMSJzGUDP9pDjy8Jp0_tdRXY\"]",
	    "[{\"alg\": \"HS256\", \"typ\": \"JWT\"}, {\"iss\": \"opa\", \"sub\": \"0\"}, \"5e65682e81c8de9c4cb4c3bf59138d3122731940cff690e3cbc269d3fb5d4576\"]");
	/* nested (cty JWT, payload quoted) */
	RES("io.jwt.decode",
	    "[\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImN0eSI6IkpXVCJ9.ImV5SmhiR2NpT2lKSVV6STFOaUlzSW5SNWNDSTZJa3BYVkNKOS5leUp6ZFdJaU9pSXdJaXdpYVhOeklqb2liM0JoSW4wLlhtVm9Mb0hJM3B4TXRNT19XUk9OTVNKekdVRFA5cERqeThKcDBfdGRSWFki.8W0qx4mLxslmZl7wEMUWBxH7tST3XsEuWXxesXqFnRI\"]",
	    "[{\"alg\": \"HS256\", \"typ\": \"JWT\"}, {\"iss\": \"opa\", \"sub\": \"0\"}, \"5e65682e81c8de9c4cb4c3bf59138d3122731940cff690e3cbc269d3fb5d4576\"]");

	/* RFC 7515 A.1: encode_sign_raw is deterministic for HMAC */
	args[0] = S(rfc_hdr_a1);
	args[1] = S(rfc_payload);
	args[2] = S(rfc_oct);
	CHECK_OK(callv("io.jwt.encode_sign_raw", args, 3, &v));
	CHECK(v && tg_json_str_eq(v, rfc_a1_jws));
	/* RFC 7515 A.2: RSASSA-PKCS1-v1_5 is deterministic too */
	args[0] = S("{\"alg\":\"RS256\"}");
	args[2] = S(rfc_rsa_jwk);
	CHECK_OK(callv("io.jwt.encode_sign_raw", args, 3, &v));
	CHECK(v && tg_json_str_eq(v, rfc_a2_jws));
	/* and verifies with the public half */
	args[0] = S(rfc_a2_jws);
	args[1] = S(rfc_rsa_jwk);
	CHECK_OK(callv("io.jwt.verify_rs256", args, 2, &v));
	CHECK(v == &tg_json_true_v);
	CHECK_OK(callv("io.jwt.verify_ps256", args, 2, &v));
	CHECK(v == &tg_json_false_v);
	/* RFC 7515 A.3 ES256 */
	args[0] = S(rfc_a3_jws);
	args[1] = S(rfc_ec_jwk);
	CHECK_OK(callv("io.jwt.verify_es256", args, 2, &v));
	CHECK(v == &tg_json_true_v);
	args[0] = S("eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU2Q");
	CHECK_OK(callv("io.jwt.verify_es256", args, 2, &v));
	CHECK(v == &tg_json_false_v);
	/* decode_verify: [valid, header, payload]; exp is 1300819380 */
	args[0] = S(rfc_a3_jws);
	args[1] = J("{\"cert\": \"{\\\"kty\\\":\\\"EC\\\",\\\"crv\\\":\\\"P-256\\\",\\\"x\\\":\\\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\\\",\\\"y\\\":\\\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\\\"}\", \"time\": 1300819379000000000}");
	CHECK_OK(callv("io.jwt.decode_verify", args, 2, &v));
	CHECK(v && tg_json_eq(v, J("[true, {\"alg\": \"ES256\"}, {\"iss\": \"joe\", \"exp\": 1300819380, \"http://example.com/is_root\": true}]")));
	args[1] = J("{\"cert\": \"{\\\"kty\\\":\\\"EC\\\",\\\"crv\\\":\\\"P-256\\\",\\\"x\\\":\\\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\\\",\\\"y\\\":\\\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\\\"}\", \"time\": 1300819380000000000}");
	CHECK_OK(callv("io.jwt.decode_verify", args, 2, &v));
	CHECK(v && tg_json_eq(v, J("[false, {}, {}]")));
	args[1] = J("{\"cert\": \"{\\\"kty\\\":\\\"EC\\\",\\\"crv\\\":\\\"P-256\\\",\\\"x\\\":\\\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\\\",\\\"y\\\":\\\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\\\"}\", \"time\": 1, \"iss\": \"joe\", \"aud\": \"x\"}");
	CHECK_OK(callv("io.jwt.decode_verify", args, 2, &v));
	CHECK(v && tg_json_eq(v, J("[false, {}, {}]")));
	args[1] = J("{\"secret\": \"x\", \"cert\": \"y\"}");
	CHECK(callv("io.jwt.decode_verify", args, 2, &v) != TG_OK);
	args[1] = J("{\"time\": 1}");
	CHECK(callv("io.jwt.decode_verify", args, 2, &v) != TG_OK && strstr(diag.msg, "no key constraint"));
	args[1] = J("{\"secret\": \"x\", \"bogus\": 1}");
	CHECK(callv("io.jwt.decode_verify", args, 2, &v) != TG_OK &&
	      strstr(diag.msg, "unknown token validation constraint: bogus"));
	/* OPA conformance: jwtverifyhs256 */
	RES("io.jwt.verify_hs256",
	    "[\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyIjoiYWxpY2UiLCJhenAiOiJhbGljZSIsInN1Ym9yZGluYXRlcyI6W10sImhyIjpmYWxzZX0.rz3jTY033z-NrKfwrK89_dcLF7TN4gwCMj-fVBDyLoM\", \"secret\"]",
	    "true");
	RES("io.jwt.verify_hs256",
	    "[\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyIjoiYWxpY2UiLCJhenAiOiJhbGljZSIsInN1Ym9yZGluYXRlcyI6W10sImhyIjpmYWxzZX0.R0NDxM1gHTucWQKwayMDre2PbMNR9K9efmOfygDZWcE\", \"secret\"]",
	    "false");
	BERR("io.jwt.verify_hs256",
	     "[\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyIjoiYWxpY2UiLCJhenAiOiJhbGljZSIsInN1Ym9yZGluYXRlcyI6W10sImhyIjpmYWxzZX0\", \"secret\"]",
	     "encoded JWT must have 3 sections, found 2");
	/* decode_verify with a short HMAC secret (OPA accepts any length) */
	args[0] = J("{\"alg\": \"HS256\"}");
	args[1] = J("{\"iss\": \"me\", \"nbf\": 1000.1}");
	args[2] = J("{\"kty\": \"oct\", \"k\": \"NDI\"}");
	CHECK_OK(callv("io.jwt.encode_sign", args, 3, &v));
	if (v) {
		const struct tg_json *tok = v, *dv[2];
		dv[0] = tok;
		dv[1] = J("{\"secret\": \"42\", \"time\": 2000000000000.1}");
		CHECK_OK(callv("io.jwt.decode_verify", dv, 2, &v));
		CHECK(v && tg_json_eq(v, J("[true, {\"alg\": \"HS256\"}, {\"iss\": \"me\", \"nbf\": 1000.1}]")));
		dv[1] = J("{\"secret\": \"42\", \"time\": 1000000000000}");
		CHECK_OK(callv("io.jwt.decode_verify", dv, 2, &v));
		CHECK(v && tg_json_eq(v, J("[false, {}, {}]")));
		dv[1] = J("{\"secret\": \"43\"}");
		CHECK_OK(callv("io.jwt.decode_verify", dv, 2, &v));
		CHECK(v && tg_json_eq(v, J("[false, {}, {}]")));
	}
	args[1] = J("{\"exp\": null}");
	CHECK_OK(callv("io.jwt.encode_sign", args, 3, &v));
	if (v) {
		const struct tg_json *dv[2] = {v, J("{\"secret\": \"42\"}")};
		CHECK(callv("io.jwt.decode_verify", dv, 2, &v) == TG_E_INVAL &&
		      strstr(diag.msg, "exp value must be a number"));
	}
	/* OPA conformance: jwtencodesign*errors */
	args[0] = S("{\"typ:\"JWT\",\r\n \"alg\":\"HS256\"}");
	args[1] = S(rfc_payload);
	args[2] = S(rfc_oct);
	CHECK(callv("io.jwt.encode_sign_raw", args, 3, &v) != TG_OK && strstr(diag.msg, "invalid character"));
	args[0] = S("{\"alg\":\"dummy\"}");
	CHECK(callv("io.jwt.encode_sign_raw", args, 3, &v) != TG_OK &&
	      strstr(diag.msg, "unknown signature algorithm"));
	args[0] = S("{}");
	CHECK(callv("io.jwt.encode_sign_raw", args, 3, &v) != TG_OK &&
	      strstr(diag.msg, "unsupported signature algorithm"));
	args[0] = S("");
	CHECK(callv("io.jwt.encode_sign_raw", args, 3, &v) != TG_OK &&
	      strstr(diag.msg, "unexpected end of JSON input"));
	args[0] = S(rfc_hdr_a1);
	args[1] = S("e");
	CHECK(callv("io.jwt.encode_sign_raw", args, 3, &v) != TG_OK &&
	      strstr(diag.msg, "type is JWT but payload is not JSON"));
	args[0] = S("{\"typ\":\"text/plain\",\r\n \"alg\":\"HS256\"}");
	CHECK_OK(callv("io.jwt.encode_sign_raw", args, 3, &v));
	CHECK(v && tg_json_str_eq(v, "eyJ0eXAiOiJ0ZXh0L3BsYWluIiwNCiAiYWxnIjoiSFMyNTYifQ.ZQ.oO8Vnc4Jv7-J231a1bEcQrgXfKbNW-kEvVY7BP1v5rM"));
	/* keys from a PEM certificate; errors as OPA words them */
	args[0] = S(rfc_a3_jws);
	args[1] = S("-----BEGIN CERT-----\nAAAA\n-----END CERT-----\n");
	CHECK(callv("io.jwt.verify_es256", args, 2, &v) != TG_OK &&
	      strstr(diag.msg, "failed to extract a Key from the PEM certificate"));
	args[1] = S("{\"kty\":\"bogus key type\"}");
	CHECK(callv("io.jwt.verify_es256", args, 2, &v) != TG_OK &&
	      strstr(diag.msg, "failed to parse a JWK key (set)"));
	args[1] = S(leaf_pem);
	CHECK_OK(callv("io.jwt.verify_es256", args, 2, &v));
	CHECK(v == &tg_json_false_v);
	{
		char bad[4096];
		snprintf(bad, sizeof(bad), "%sEXTRA", leaf_pem);
		args[1] = S(bad);
		CHECK(callv("io.jwt.verify_es256", args, 2, &v) != TG_OK &&
		      strstr(diag.msg, "extra data after a PEM certificate block"));
	}
}

TEST(test_x509)
{
	const struct tg_json *v, *c, *args[2];
	args[0] = S(ca_pem);
	CHECK_OK(callv("crypto.x509.parse_certificates", args, 1, &v));
	CHECK(v && v->type == TG_JSON_ARRAY && v->u.a.len == 1);
	c = path(v, "0");
	/* expected values from `openssl x509 -text` of the fixture */
	PATH(c, "Subject.CommonName", "\"test.example.com\"");
	PATH(c, "Subject.Country", "[\"US\"]");
	PATH(c, "Subject.Organization", "[\"Tollgate Test\"]");
	PATH(c, "Subject.OrganizationalUnit", "[\"Rego\"]");
	PATH(c, "Subject.Locality", "null");
	PATH(c, "Subject.Names.3", "{\"Type\": [2, 5, 4, 3], \"Value\": \"test.example.com\"}");
	PATH(c, "Issuer.CommonName", "\"test.example.com\"");
	PATH(c, "SerialNumber", "4660");
	PATH(c, "Version", "3");
	PATH(c, "SignatureAlgorithm", "10");
	PATH(c, "PublicKeyAlgorithm", "3");
	PATH(c, "PublicKey.X", "55035108438470090060539670207321651810317112378420129389511283932211939639527");
	PATH(c, "PublicKey.Y", "59602900124346783380118229047465967774716939195042406419220722147853856444391");
	PATH(c, "NotBefore", "\"2026-11-27T14:48:35Z\"");
	PATH(c, "NotAfter", "\"2036-11-24T14:48:35Z\"");
	PATH(c, "IsCA", "true");
	PATH(c, "BasicConstraintsValid", "true");
	PATH(c, "MaxPathLen", "0");
	PATH(c, "MaxPathLenZero", "true");
	PATH(c, "KeyUsage", "33");
	PATH(c, "ExtKeyUsage", "[1, 2]");
	PATH(c, "DNSNames", "[\"test.example.com\", \"*.example.org\"]");
	PATH(c, "EmailAddresses", "[\"ops@example.com\"]");
	PATH(c, "IPAddresses", "[\"10.0.0.1\", \"2001:db8::1\"]");
	PATH(c, "URIStrings", "[\"spiffe://example.org/ns/default/sa/web\"]");
	PATH(c, "URIs.0.Scheme", "\"spiffe\"");
	PATH(c, "URIs.0.Host", "\"example.org\"");
	PATH(c, "URIs.0.Path", "\"/ns/default/sa/web\"");
	PATH(c, "SubjectKeyId", "\"iA+K7w2fJDRLa8dTCbSKZb47HB4=\"");
	PATH(c, "AuthorityKeyId", "null");
	PATH(c, "PolicyIdentifiers", "[[1, 2, 3, 4]]");
	PATH(c, "Policies", "[\"1.2.3.4\"]");
	PATH(c, "UnhandledCriticalExtensions", "null");
	PATH(c, "Extensions.0.Id", "[2, 5, 29, 19]");
	PATH(c, "Extensions.0.Critical", "true");
	/* a chain in one string, and the same as base64 */
	{
		char chain[8192];
		snprintf(chain, sizeof(chain), "%s%s", leaf_pem, ca_pem);
		args[0] = S(chain);
		CHECK_OK(callv("crypto.x509.parse_certificates", args, 1, &v));
		PATH(v, "0.Subject.CommonName", "\"leaf.example.com\"");
		PATH(v, "1.Subject.CommonName", "\"test.example.com\"");
		PATH(v, "0.ExtKeyUsage", "[1]");
		PATH(v, "0.IsCA", "false");
	}
	BERR("crypto.x509.parse_certificates", "[\"YmFkc3RyaW5n\"]", "x509: malformed certificate");
	BERR("crypto.x509.parse_certificates", "[\"foobar\"]", "illegal base64");
	/* chain verification at the evaluation's time (now_ns: 2023) and at
	 * a time inside the fixtures' validity */
	{
		char chain[8192];
		const struct tg_json *opts[2];
		snprintf(chain, sizeof(chain), "%s%s", ca_pem, leaf_pem);
		args[0] = S(chain);
		CHECK_OK(callv("crypto.x509.parse_and_verify_certificates", args, 1, &v));
		PATH(v, "0", "false");
		opts[0] = args[0];
		opts[1] = J("{\"CurrentTime\": 1800000000000000000, \"DNSName\": \"leaf.example.com\"}");
		CHECK_OK(callv("crypto.x509.parse_and_verify_certificates_with_options", opts, 2, &v));
		PATH(v, "0", "true");
		PATH(v, "1.0.Subject.CommonName", "\"leaf.example.com\"");
		PATH(v, "1.1.Subject.CommonName", "\"test.example.com\"");
		opts[1] = J("{\"CurrentTime\": 1800000000000000000, \"DNSName\": \"other.example.com\"}");
		CHECK_OK(callv("crypto.x509.parse_and_verify_certificates_with_options", opts, 2, &v));
		PATH(v, "0", "false");
		opts[1] = J("{\"CurrentTime\": 1800000000000000000, \"KeyUsages\": [\"KeyUsageClientAuth\"]}");
		CHECK_OK(callv("crypto.x509.parse_and_verify_certificates_with_options", opts, 2, &v));
		PATH(v, "0", "false");
		opts[1] = J("{\"Nope\": 1}");
		CHECK(callv("crypto.x509.parse_and_verify_certificates_with_options", opts, 2, &v) != TG_OK &&
		      strstr(diag.msg, "invalid key option"));
		now_ns = 1800000000000000000LL;
		CHECK_OK(callv("crypto.x509.parse_and_verify_certificates", args, 1, &v));
		PATH(v, "0", "true");
		PATH(v, "1.0.URIStrings", "null");
		now_ns = 1700000000000000000LL;
	}
	/* CSR */
	args[0] = S(csr_pem);
	CHECK_OK(callv("crypto.x509.parse_certificate_request", args, 1, &v));
	PATH(v, "Subject.CommonName", "\"csr.example.com\"");
	PATH(v, "Subject.Country", "[\"DE\"]");
	PATH(v, "DNSNames", "[\"csr.example.com\"]");
	PATH(v, "IPAddresses", "[\"192.0.2.7\"]");
	PATH(v, "Version", "0");
	PATH(v, "PublicKeyAlgorithm", "3");
	BERR("crypto.x509.parse_certificate_request", "[\"YmFkc3RyaW5n\"]", "asn1: structure error");
	BERR("crypto.x509.parse_certificate_request", "[\"foobar\"]", "illegal base64");
	/* keys */
	args[0] = S(rsa_key_pem);
	CHECK_OK(callv("crypto.x509.parse_rsa_private_key", args, 1, &v));
	PATH(v, "kty", "\"RSA\"");
	PATH(v, "e", "\"AQAB\"");
	CHECK(path(v, "n") && tg_json_str_eq(path(v, "n"), rsa_n_b64u));
	CHECK(path(v, "d") && path(v, "p") && path(v, "q") && path(v, "dp") && path(v, "dq") &&
	      path(v, "qi"));
	args[0] = S(ec_key_pem);
	CHECK_OK(callv("crypto.x509.parse_rsa_private_key", args, 1, &v));
	PATH(v, "kty", "\"EC\"");
	PATH(v, "crv", "\"P-256\"");
	CHECK(path(v, "x") && tg_json_str_eq(path(v, "x"), ec_x_b64u));
	CHECK(path(v, "y") && tg_json_str_eq(path(v, "y"), ec_y_b64u));
	CHECK(path(v, "d") && tg_json_str_eq(path(v, "d"), ec_d_b64u));
	BERR("crypto.x509.parse_rsa_private_key", "[\"invalid\"]", "illegal base64");
	BERR("crypto.x509.parse_rsa_private_key", "[\"\"]", "input PEM data was empty");
	CHECK_OK(callv("crypto.parse_private_keys", args, 1, &v));
	PATH(v, "0.X", "87575240152721129309245157209633629720627017539176685348448160264198092350898");
	RES("crypto.parse_private_keys", "[\"\"]", "null");
	/* key pair: the leaf and its key */
	args[0] = S(leaf_pem);
	args[1] = S(ec_key_pem);
	CHECK_OK(callv("crypto.x509.parse_keypair", args, 2, &v));
	PATH(v, "Leaf.Subject.CommonName", "\"leaf.example.com\"");
	CHECK(path(v, "Certificate.0") && path(v, "PrivateKey.D"));
	args[0] = S(ca_pem);
	CHECK(callv("crypto.x509.parse_keypair", args, 2, &v) != TG_OK &&
	      strstr(diag.msg, "tls: private key does not match public key"));
}

/*
 * strings.render_template: each row's expected output or message is what
 * Go 1.19's text/template printed for it (json.Decoder.UseNumber into
 * map[string]any, Option("missingkey=error"), as OPA's ast.As and
 * renderTemplate do), run while writing this test.
 */
static const struct {
	const char *tpl, *vars;
	bool err;
	const char *want;
} tpl_cases[] = {
	{"{{.test}}", "{\"test\": \"hello world\"}", false, "hello world"},
	{"{{.x}}", "{}", true, "template: template:1:2: executing \"template\" at <.x>: map has no entry for key \"x\""},
	{"{{.a.b}}", "{\"a\": {\"c\": 1}}", true, "template: template:1:4: executing \"template\" at <.a.b>: map has no entry for key \"b\""},
	{"{{ .a.b }}", "{\"a\": \"str\"}", true, "template: template:1:5: executing \"template\" at <.a.b>: can't evaluate field b in type interface {}"},
	{"{{.a.b}}", "{\"a\": null}", true, "template: template:1:4: executing \"template\" at <.a.b>: nil pointer evaluating interface {}.b"},
	{"{{.n}}", "{\"n\": 1.50}", false, "1.50"},
	{"{{.}}", "{\"a\": 1, \"b\": [1, \"x\", null, {\"c\": true}]}", false, "map[a:1 b:[1 x <nil> map[c:true]]]"},
	{"{{.a}}|{{.b}}|{{.c}}", "{\"a\": null, \"b\": [], \"c\": {}}", false, "<no value>|[]|map[]"},
	{"{{if .a}}yes{{else}}no{{end}}", "{\"a\": 0}", false, "yes"},
	{"{{if .a}}yes{{else}}no{{end}}", "{\"a\": \"\"}", false, "no"},
	{"{{if .a}}yes{{else}}no{{end}}", "{\"a\": false}", false, "no"},
	{"{{if .a}}yes{{else if .b}}b{{else}}no{{end}}", "{\"a\": [], \"b\": {\"x\":1}}", false, "b"},
	{"{{range .l}}[{{.}}]{{end}}", "{\"l\": [1, 2, \"three\"]}", false, "[1][2][three]"},
	{"{{range $i, $e := .l}}{{$i}}={{$e}};{{end}}", "{\"l\": [\"a\", \"b\"]}", false, "0=a;1=b;"},
	{"{{range $k, $v := .m}}{{$k}}:{{$v}} {{end}}", "{\"m\": {\"z\": 1, \"a\": 2}}", false, "a:2 z:1 "},
	{"{{range .l}}x{{else}}empty{{end}}", "{\"l\": []}", false, "empty"},
	{"{{range .s}}x{{end}}", "{\"s\": \"abc\"}", true, "template: template:1:8: executing \"template\" at <.s>: range can't iterate over abc"},
	{"{{range .n}}x{{end}}", "{\"n\": 3}", true, "template: template:1:8: executing \"template\" at <.n>: range can't iterate over 3"},
	{"{{with .a}}{{.b}}{{end}}", "{\"a\": {\"b\": \"in\"}}", false, "in"},
	{"{{with .a}}{{.b}}{{else}}none{{end}}", "{\"a\": null}", false, "none"},
	{"{{with .s}}{{.b}}{{end}}", "{\"s\": \"x\"}", true, "template: template:1:13: executing \"template\" at <.b>: can't evaluate field b in type string"},
	{"{{len .l}} {{len .s}} {{len .m}}", "{\"l\": [1,2], \"s\": \"h\xc3""\xa9""llo\", \"m\": {\"a\": 1}}", false, "2 6 1"},
	{"{{len .n}}", "{\"n\": 12345}", false, "5"},
	{"{{len .z}}", "{\"z\": null}", true, "template: template:1:2: executing \"template\" at <len .z>: error calling len: len of nil pointer"},
	{"{{len 3}}", "{}", true, "template: template:1:2: executing \"template\" at <len 3>: error calling len: len of type int"},
	{"{{index .l 1}}", "{\"l\": [\"a\", \"b\"]}", false, "b"},
	{"{{index .m \"k\"}}", "{\"m\": {\"k\": \"v\"}}", false, "v"},
	{"{{index .m \"nope\"}}", "{\"m\": {\"k\": \"v\"}}", false, "<no value>"},
	{"{{index .l 5}}", "{\"l\": [\"a\"]}", true, "template: template:1:2: executing \"template\" at <index .l 5>: error calling index: index out of range: 5"},
	{"{{index .l \"x\"}}", "{\"l\": [\"a\"]}", true, "template: template:1:2: executing \"template\" at <index .l \"x\">: error calling index: cannot index slice/array with type string"},
	{"{{index .m 1}}", "{\"m\": {\"k\": \"v\"}}", true, "template: template:1:2: executing \"template\" at <index .m 1>: error calling index: value has type int; should be string"},
	{"{{index .l .i}}", "{\"l\": [\"a\"], \"i\": 0}", true, "template: template:1:2: executing \"template\" at <index .l .i>: error calling index: cannot index slice/array with type json.Number"},
	{"{{index .s 1}}", "{\"s\": \"abc\"}", false, "98"},
	{"{{eq .a \"x\"}} {{eq .a \"y\" \"x\"}} {{ne .a \"x\"}}", "{\"a\": \"x\"}", false, "true true false"},
	{"{{eq .n 1}}", "{\"n\": 1}", true, "template: template:1:2: executing \"template\" at <eq .n 1>: error calling eq: incompatible types for comparison"},
	{"{{eq .n \"1\"}}", "{\"n\": 1}", false, "true"},
	{"{{lt .a .b}} {{le .a .a}} {{gt .a .b}} {{ge .a .b}}", "{\"a\": \"10\", \"b\": \"9\"}", false, "true true false false"},
	{"{{lt 1 2}} {{lt 1.5 2.5}} {{lt 1 2.5}}", "{}", true, "template: template:1:28: executing \"template\" at <lt 1 2.5>: error calling lt: incompatible types for comparison"},
	{"{{eq .l .l}}", "{\"l\": [1]}", true, "template: template:1:2: executing \"template\" at <eq .l .l>: error calling eq: non-comparable type [1]: []interface {}"},
	{"{{eq true true}} {{lt true false}}", "{}", true, "template: template:1:19: executing \"template\" at <lt true false>: error calling lt: invalid type for comparison"},
	{"{{and .a .b}}|{{or .a .b}}|{{not .a}}", "{\"a\": \"\", \"b\": \"y\"}", false, "|y|true"},
	{"{{and 1 0 2}}|{{or 0 \"\" \"z\"}}", "{}", false, "0|z"},
	{"{{print .a .b 1 2 \"s\" 3}}", "{\"a\": \"x\", \"b\": 5}", false, "x51 2s3"},
	{"{{println 1 \"a\" 2}}", "{}", false, "1 a 2\n"},
	{"{{printf \"%s-%d-%v-%q-%5.2f|%-4s|%04d|%x\" \"a\" 3 .l \"q\" 3.14159 \"ab\" 42 \"hi\"}}", "{\"l\": [1, \"z\"]}", false, "a-3-[1 z]-\"q\"- 3.14|ab  |0042|6869"},
	{"{{printf \"%d %s\" .n .n}}", "{\"n\": 5}", false, "%!d(json.Number=5) 5"},
	{"{{printf \"%d\"}} {{printf \"%d\" 1 2}}", "{}", false, "%!d(MISSING) 1%!(EXTRA int=2)"},
	{"{{printf \"%v %T %T %T\" nil 1 .s .n}}", "{\"s\": \"x\", \"n\": 2}", false, "<nil> int string json.Number"},
	{"{{.a | printf \"%s!\"}}", "{\"a\": \"hey\"}", false, "hey!"},
	{"{{.a | len}}", "{\"a\": [1,2,3]}", false, "3"},
	{"{{html .a}} {{js .a}} {{urlquery .a}}", "{\"a\": \"<a href='x'>&\\\"=</a> b\"}", false, "&lt;a href=&#39;x&#39;&gt;&amp;&#34;=&lt;/a&gt; b \\u003Ca href\\u003D\\'x\\'\\u003E\\u0026\\\"\\u003D\\u003C/a\\u003E b %3Ca+href%3D%27x%27%3E%26%22%3D%3C%2Fa%3E+b"},
	{"{{html .n .s}}", "{\"n\": 1, \"s\": \"<\"}", false, "1&lt;"},
	{"{{$x := .a}}{{$x}}{{$x = \"new\"}}{{$x}}", "{\"a\": \"old\"}", false, "oldnew"},
	{"{{$}}", "{\"a\": 1}", false, "map[a:1]"},
	{"{{$.a}}", "{\"a\": 1}", false, "1"},
	{"{{/* comment */}}a  {{- \" b \" -}}  c", "{}", false, "a b c"},
	{"a {{- /* c */ -}} b", "{}", false, "ab"},
	{"{{\"a\\tb\\u00e9\\x41\"}} {{`raw\\n`}} {{'a'}} {{0x1F}} {{1e3}} {{1.5}} {{-3}}", "{}", false, "a\tb\xc3""\xa9""A raw\\n 97 31 1000 1.5 -3"},
	{"{{.a.b.c}}", "{\"a\": {\"b\": {\"c\": \"deep\"}}}", false, "deep"},
	{"{{(index .l 0).x}}", "{\"l\": [{\"x\": \"px\"}]}", false, "px"},
	{"{{slice .s 1 3}} {{slice .l 1}}", "{\"s\": \"abcd\", \"l\": [1,2,3]}", false, "bc [2 3]"},
	{"{{range .l}}{{if eq . \"b\"}}{{break}}{{end}}{{.}}{{end}}", "{\"l\": [\"a\", \"b\", \"c\"]}", false, "a"},
	{"{{range .l}}{{if eq . \"b\"}}{{continue}}{{end}}{{.}}{{end}}", "{\"l\": [\"a\", \"b\", \"c\"]}", false, "ac"},
	{"{{.x}", "{}", true, "template: template:1: bad character U+007D '}'"},
	{"{{.x", "{}", true, "template: template:1: unclosed action"},
	{"{{if .a}}", "{\"a\": 1}", true, "template: template:1: unexpected EOF"},
	{"{{end}}", "{}", true, "template: template:1: unexpected {{end}}"},
	{"{{else}}", "{}", true, "template: template:1: unexpected {{else}}"},
	{"{{foo}}", "{}", true, "template: template:1: function \"foo\" not defined"},
	{"{{$y}}", "{}", true, "template: template:1: undefined variable \"$y\""},
	{"{{range .l}}{{$e := .}}{{end}}{{$e}}", "{\"l\": [1]}", true, "template: template:1: undefined variable \"$e\""},
	{"{{.a | .b}}", "{\"a\": 1, \"b\": 2}", true, "template: template:1:7: executing \"template\" at <.b>: b is not a method but has arguments"},
	{"{{1 | 2}}", "{}", true, "template: template:1: non executable command in pipeline stage 2"},
	{"{{nil}}", "{}", true, "template: template:1:2: executing \"template\" at <nil>: nil is not a command"},
	{"{{.a 1}}", "{\"a\": 1}", true, "template: template:1:2: executing \"template\" at <.a>: a is not a method but has arguments"},
	{"{{\"x\".y}}", "{}", true, "template: template:1: unexpected . after term \"\\\"x\\\"\""},
	{"{{printf 1}}", "{}", true, "template: template:1:9: executing \"template\" at <1>: expected string; found 1"},
	{"{{printf .n}}", "{\"n\": 1}", true, "template: template:1:9: executing \"template\" at <.n>: wrong type for value; expected string; got json.Number"},
	{"{{.l.x}}", "{\"l\": [1]}", true, "template: template:1:4: executing \"template\" at <.l.x>: can't evaluate field x in type interface {}"},
	{"{{index nil 1}}", "{}", true, "template: template:1:2: executing \"template\" at <index nil 1>: error calling index: index of untyped nil"},
	{"{{eq .a nil}}", "{\"a\": 1}", false, "false"},
	{"{{ . }}", "{\"a\": {\"b\": [1.0, 2e10]}}", false, "map[a:map[b:[1.0 2e10]]]"},
	{"{{.big}}", "{\"big\": 123456789012345678901234567890}", false, "123456789012345678901234567890"},
	{"{{1e400}}", "{}", true, "template: template:1: illegal number syntax: \"1e400\""},
	{"{{99999999999999999999}}", "{}", true, "template: template:1: integer overflow: \"99999999999999999999\""},
	{"{{\"\\q\"}}", "{}", true, "template: template:1: invalid syntax"},
	{"{{3k}}", "{}", true, "template: template:1: bad number syntax: \"3k\""},
	{"{{.a-b}}", "{\"a\": 1}", true, "template: template:1: bad character U+002D '-'"},
	{"{{.a\n}}", "{\"a\": 1}", false, "1"},
	{"x\n{{.b}}", "{\"a\": 1}", true, "template: template:2:2: executing \"template\" at <.b>: map has no entry for key \"b\""},
	{"{{ .a.b.c }}", "{\"a\": {\"b\": {}}}", true, "template: template:1:5: executing \"template\" at <.a.b.c>: map has no entry for key \"c\""},
	{"{{ eq .a 1 }}", "{\"a\": \"s\"}", true, "template: template:1:3: executing \"template\" at <eq .a 1>: error calling eq: incompatible types for comparison"},
	{"{{ index .m .k }}", "{\"m\": {\"a\": 1}, \"k\": 2}", true, "template: template:1:3: executing \"template\" at <index .m .k>: error calling index: value has type json.Number; should be string"},
	{"{{- .a -}}", "{\"a\": 1}", false, "1"},
	{"  {{- .a}}  {{.a -}}  !", "{\"a\": 1}", false, "1  1!"},
	{"{{-.a}}", "{\"a\": 1}", true, "template: template:1: bad number syntax: \"-.a\""},
	{"{{.a-}}", "{\"a\": 1}", true, "template: template:1: bad character U+002D '-'"},
	{"{{/* x */ .a}}", "{\"a\": 1}", true, "template: template:1: comment ends before closing delimiter"},
	{"{{/* x", "{}", true, "template: template:1: unclosed comment"},
	{"{{- /* x */ -}} y", "{}", false, "y"},
	{"{{printf \"%6.2f|%-8v|%+d|% d|%x|%X|%o|%#x|%#o|%b|%c|%q|%U\" 3.14159 \"ab\" 5 5 255 255 8 255 8 5 65 66 67}}", "{}", false, "  3.14|ab      |+5| 5|ff|FF|10|0xff|010|101|A|'B'|U+0043"},
	{"{{printf \"%e|%E|%g|%G|%.3e|%.3g|%f\" 1234.5678 1234.5678 1234.5678 0.000012345 1234.5678 1234.5678 2.5}}", "{}", false, "1.234568e+03|1.234568E+03|1234.5678|1.2345E-05|1.235e+03|1.23e+03|2.500000"},
	{"{{printf \"%v %v %v %v\" 1e6 1e21 0.000001 100000.0}}", "{}", false, "1e+06 1e+21 1e-06 100000"},
	{"{{printf \"%s\" .l}} {{printf \"%d\" .l}} {{printf \"%v\" .m}} {{printf \"%q\" .l}}", "{\"l\": [\"a\", 1, null], \"m\": {\"k\": [true, null]}}", false, "[a 1 <nil>] [%!d(string=a) %!d(json.Number=1) <nil>] map[k:[true <nil>]] [\"a\" \"1\" <nil>]"},
	{"{{printf \"%t %t %v\" true .b .b}}", "{\"b\": false}", false, "true false false"},
	{"{{printf \"%5t|%-7s|%7q\" true \"x\" \"y\"}}", "{}", false, " true|x      |    \"y\""},
	{"{{printf \"%*d|%-*d|%.*f\" 5 1 4 2 2 3.14159}}", "{}", false, "    1|2   |3.14"},
	{"{{printf \"%!\" 1}} {{printf \"%\" 1}} {{printf \"%z\" 1}}", "{}", false, "%!!(int=1) %!(NOVERB)%!(EXTRA int=1) %!z(int=1)"},
	{"{{printf \"%s %s\" .n .s}}", "{\"n\": 1.5e3, \"s\": \"x\"}", false, "1.5e3 x"},
	{"{{printf \"%x %X %q\" .n .n .n}}", "{\"n\": 255}", false, "323535 323535 \"255\""},
	{"{{printf \"%.2s|%.0d|%5.1q\" \"h\xc3""\xa9""llo\" 0 \"abc\"}}", "{}", false, "h\xc3""\xa9""||  \"a\""},
	{"{{printf \"%T %T %T %T %T\" .l .m .b nil 1.5}}", "{\"l\": [], \"m\": {}, \"b\": true}", false, "[]interface {} map[string]interface {} bool <nil> float64"},
	{"{{printf \"%v\" .m}}", "{\"m\": {\"b\": {\"c\": {\"d\": [1, [2, [3]]]}}, \"a\": \"\"}}", false, "map[a: b:map[c:map[d:[1 [2 [3]]]]]]"},
	{"{{print nil}} {{print .l}} {{print 1 2 \"a\" \"b\" 3 .n .n}}", "{\"l\": [null], \"n\": 7}", false, "<nil> [<nil>] 1 2ab377"},
	{"{{println}}|{{print}}", "{}", false, "\n|"},
	{"{{html}}|{{html nil}}|{{js \"\\x00\\u2028\xc3""\xa9""<\"}}|{{urlquery \"a b/c?d=\xc3""\xa9""\"}}", "{}", false, "|&lt;no value&gt;|\\u0000\\u2028\xc3""\xa9""\\u003C|a+b%2Fc%3Fd%3D%C3%A9"},
	{"{{html .z}}", "{\"z\": null}", false, "&lt;no value&gt;"},
	{"{{.a | html | printf \"%s\"}}", "{\"a\": \"<>\"}", false, "&lt;&gt;"},
	{"{{len \"h\xc3""\xa9""llo\"}} {{index \"h\xc3""\xa9""llo\" 1}} {{slice \"h\xc3""\xa9""llo\" 0 1}}", "{}", false, "6 195 h"},
	{"{{slice .l 0 1 2}} {{slice .l 3 1}}", "{\"l\": [1,2,3]}", true, "template: template:1:21: executing \"template\" at <slice .l 3 1>: error calling slice: invalid slice index: 3 > 1"},
	{"{{slice \"abc\" 0 1 2}}", "{}", true, "template: template:1:2: executing \"template\" at <slice \"abc\" 0 1 2>: error calling slice: cannot 3-index slice a string"},
	{"{{slice .l 5}}", "{\"l\": [1]}", true, "template: template:1:2: executing \"template\" at <slice .l 5>: error calling slice: index out of range: 5"},
	{"{{slice 1 1}}", "{}", true, "template: template:1:2: executing \"template\" at <slice 1 1>: error calling slice: can't slice item of type int"},
	{"{{index .l -1}}", "{\"l\": [1]}", true, "template: template:1:2: executing \"template\" at <index .l -1>: error calling index: index out of range: -1"},
	{"{{index .l 1}}", "{\"l\": [1]}", true, "template: template:1:2: executing \"template\" at <index .l 1>: error calling index: reflect: slice index out of range"},
	{"{{index .m \"a\" \"b\"}}", "{\"m\": {\"a\": {\"b\": \"deep\"}}}", false, "deep"},
	{"{{index .m \"a\" 0}}", "{\"m\": {\"a\": [9]}}", false, "9"},
	{"{{index .m \"x\" \"y\"}}", "{\"m\": {\"x\": null}}", true, "template: template:1:2: executing \"template\" at <index .m \"x\" \"y\">: error calling index: index of nil pointer"},
	{"{{index 1 1}}", "{}", true, "template: template:1:2: executing \"template\" at <index 1 1>: error calling index: can't index item of type int"},
	{"{{index .l nil}}", "{\"l\": [1]}", true, "template: template:1:2: executing \"template\" at <index .l nil>: error calling index: cannot index slice/array with nil"},
	{"{{eq}}", "{}", true, "template: template:1:2: executing \"template\" at <eq>: wrong number of args for eq: want at least 1 got 0"},
	{"{{eq 1}}", "{}", true, "template: template:1:2: executing \"template\" at <eq 1>: error calling eq: missing argument for comparison"},
	{"{{eq .m .m}}", "{\"m\": {\"a\": 1}}", true, "template: template:1:2: executing \"template\" at <eq .m .m>: error calling eq: non-comparable type map[a:1]: map[string]interface {}"},
	{"{{eq .m .l}}", "{\"m\": {\"a\": 1}, \"l\": [1]}", true, "template: template:1:2: executing \"template\" at <eq .m .l>: error calling eq: non-comparable types map[a:1]: map[string]interface {}, []interface {}: [1]"},
	{"{{eq .z .z}}", "{\"z\": null}", false, "true"},
	{"{{eq .z 1}}", "{\"z\": null}", false, "false"},
	{"{{lt .z 1}}", "{\"z\": null}", true, "template: template:1:2: executing \"template\" at <lt .z 1>: error calling lt: invalid type for comparison"},
	{"{{lt .l 1}}", "{\"l\": []}", true, "template: template:1:2: executing \"template\" at <lt .l 1>: error calling lt: invalid type for comparison"},
	{"{{lt 1 \"a\"}}", "{}", true, "template: template:1:2: executing \"template\" at <lt 1 \"a\">: error calling lt: incompatible types for comparison"},
	{"{{ne 1 2}} {{le 2 1}} {{ge 2 1}} {{gt 1 1}}", "{}", false, "true false true false"},
	{"{{not}}", "{}", true, "template: template:1:2: executing \"template\" at <not>: wrong number of args for not: want 1 got 0"},
	{"{{not 1 2}}", "{}", true, "template: template:1:2: executing \"template\" at <not>: wrong number of args for not: want 1 got 2"},
	{"{{and}}", "{}", true, "template: template:1:2: executing \"template\" at <and>: wrong number of args for and: want at least 1 got 0"},
	{"{{and .a}} {{or .a}}", "{\"a\": \"q\"}", false, "q q"},
	{"{{if and .a (not .b)}}ok{{end}}", "{\"a\": 1, \"b\": false}", false, "ok"},
	{"{{if or (eq .x \"a\") (eq .x \"b\")}}ab{{else}}other{{end}}", "{\"x\": \"b\"}", false, "ab"},
	{"{{with $x := .a}}{{$x}}{{.}}{{end}}", "{\"a\": \"v\"}", false, "vv"},
	{"{{with $x := .a}}{{end}}{{$x}}", "{\"a\": \"v\"}", true, "template: template:1: undefined variable \"$x\""},
	{"{{range $i, $e := .l}}{{$i}}{{end}}{{$i}}", "{\"l\": [1]}", true, "template: template:1: undefined variable \"$i\""},
	{"{{range $i := .l}}{{$i}}{{end}}", "{\"l\": [\"a\", \"b\"]}", false, "ab"},
	{"{{range $i, $e, $f := .l}}{{end}}", "{\"l\": []}", true, "template: template:1: too many declarations in range"},
	{"{{range $i, 3 := .l}}{{end}}", "{\"l\": []}", true, "template: template:1: range can only initialize variables"},
	{"{{$a, $b := .l}}", "{\"l\": []}", true, "template: template:1: too many declarations in command"},
	{"{{$x := 1}}{{$x := 2}}{{$x}}", "{}", false, "2"},
	{"{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", "{}", false, "2"},
	{"{{$x := 1}}{{if true}}{{$x := 2}}{{end}}{{$x}}", "{}", false, "1"},
	{"{{$x = 1}}", "{}", true, "template: template:1:7: executing \"template\" at <1>: undefined variable: $x"},
	{"{{range .l}}{{$}}{{end}}", "{\"l\": [1]}", false, "map[l:[1]]"},
	{"{{range .l}}{{.a}}{{end}}", "{\"l\": [{\"a\": 1}, {\"b\": 2}]}", true, "template: template:1:14: executing \"template\" at <.a>: map has no entry for key \"a\""},
	{"{{range .l}}{{.a}}{{end}}", "{\"l\": [\"s\"]}", true, "template: template:1:14: executing \"template\" at <.a>: can't evaluate field a in type interface {}"},
	{"{{range .l}}{{.a}}{{end}}", "{\"l\": [null]}", true, "template: template:1:14: executing \"template\" at <.a>: nil pointer evaluating interface {}.a"},
	{"{{range .m}}{{.}},{{end}}", "{\"m\": {\"b\": 2, \"a\": 1, \"c\": 3}}", false, "1,2,3,"},
	{"{{range $k, $v := .m}}{{$k}}{{break}}{{end}}", "{\"m\": {\"b\": 2, \"a\": 1}}", false, "a"},
	{"{{break}}", "{}", true, "template: template:1: {{break}} outside {{range}}"},
	{"{{range .l}}{{break 1}}{{end}}", "{\"l\": []}", true, "template: template:1: unexpected \"1\" in {{break}}"},
	{"{{if}}{{end}}", "{}", true, "template: template:1: missing value for if"},
	{"{{range}}{{end}}", "{}", true, "template: template:1: missing value for range"},
	{"{{with}}{{end}}", "{}", true, "template: template:1: missing value for with"},
	{"{{if .a}}x{{else}}y{{else}}z{{end}}", "{\"a\": 1}", true, "template: template:1: expected end; found {{else}}"},
	{"{{if .a}}x{{end}", "{\"a\": 1}", true, "template: template:1: bad character U+007D '}'"},
	{"{{if .a}}x", "{\"a\": 1}", true, "template: template:1: unexpected EOF"},
	{"{{range .l}}x{{else if .a}}y{{end}}", "{\"l\": []}", true, "template: template:1: unexpected <if> in input"},
	{"{{.a.b.c.d.e.f.g.h.i.j.k.l.m}}", "{\"a\": {}}", true, "template: template:1:4: executing \"template\" at <.a.b.c.d.e.f.g.h.i.j.k.l.m>: map has no entry for key \"b\""},
	{"{{.averyveryverylongfieldname.b}}", "{\"averyveryverylongfieldname\": {}}", true, "template: template:1:29: executing \"template\" at <.averyveryverylongfieldname.b>: map has no entry for key \"b\""},
	{"{{(.a).b}}", "{\"a\": {\"b\": \"chain\"}}", false, "chain"},
	{"{{(.a).c}}", "{\"a\": {\"b\": \"chain\"}}", true, "template: template:1:3: executing \"template\" at <.a>: map has no entry for key \"c\""},
	{"{{(nil).c}}", "{}", true, "template: template:1:3: executing \"template\" at <nil>: nil is not a command"},
	{"{{(1).c}}", "{}", true, "template: template:1:3: executing \"template\" at <1>: can't evaluate field c in type int"},
	{"{{1.c}}", "{}", true, "template: template:1: bad number syntax: \"1.c\""},
	{"{{true.c}}", "{}", true, "template: template:1: unexpected . after term \"true\""},
	{"{{..}}", "{}", true, "template: template:1: unexpected <.> in operand"},
	{"{{.a..b}}", "{\"a\": 1}", true, "template: template:1: unexpected <.> in operand"},
	{"{{$x.a}}", "{}", true, "template: template:1: undefined variable \"$x\""},
	{"{{$x := .m}}{{$x.a.b}}", "{\"m\": {\"a\": {\"b\": \"v\"}}}", false, "v"},
	{"{{$x := .m}}{{$x.c}}", "{\"m\": {\"a\": {\"b\": \"v\"}}}", true, "template: template:1:16: executing \"template\" at <$x.c>: map has no entry for key \"c\""},
	{"{{\"unterminated}}", "{}", true, "template: template:1: unterminated quoted string"},
	{"{{`raw}}", "{}", true, "template: template:1: unterminated raw quoted string"},
	{"{{'ab'}}", "{}", true, "template: template:1: malformed character constant: 'ab'"},
	{"{{'\\n'}} {{'\\x41'}} {{'\xc3""\xa9""'}}", "{}", false, "10 65 233"},
	{"{{0b101}} {{0o17}} {{017}} {{1_000}} {{0x_1F}} {{0x1p-2}} {{.5}} {{-.5}} {{+3}}", "{}", false, "5 15 15 1000 31 0.25 0.5 -0.5 3"},
	{"{{1__0}}", "{}", true, "template: template:1: illegal number syntax: \"1__0\""},
	{"{{9223372036854775807}} {{-9223372036854775808}}", "{}", false, "9223372036854775807 -9223372036854775808"},
	{"{{18446744073709551615}}", "{}", true, "template: template:1:2: executing \"template\" at <18446744073709551615>: 18446744073709551615 overflows int"},
	{"{{1e5}} {{1E5}} {{1.0}} {{100.0}} {{3.0e0}}", "{}", false, "100000 100000 1 100 3"},
	{"{{\"\\u00e9\" | len}}", "{}", false, "2"},
	{"{{\"a\" \"b\"}}", "{}", true, "template: template:1:2: executing \"template\" at <\"a\">: can't give argument to non-function \"a\""},
	{"{{. 1}}", "{}", true, "template: template:1:2: executing \"template\" at <.>: can't give argument to non-function ."},
	{"{{true 1}}", "{}", true, "template: template:1:2: executing \"template\" at <true>: can't give argument to non-function true"},
	{"{{(1) 2}}", "{}", true, "template: template:1:2: executing \"template\" at <(1) 2>: can't give argument to non-function 1"},
	{"{{.a | not}}", "{\"a\": \"\"}", false, "true"},
	{"{{.a | eq \"x\"}}", "{\"a\": \"x\"}", false, "true"},
	{"{{.a | index .m}}", "{\"a\": \"k\", \"m\": {\"k\": \"v\"}}", false, "v"},
	{"{{. | .a}}", "{\"a\": 1}", true, "template: template:1:6: executing \"template\" at <.a>: a is not a method but has arguments"},
	{"{{$x := .a | len}}{{$x}}", "{\"a\": \"abc\"}", false, "3"},
	{"{{(printf \"%s\" \"x\") | len}}", "{}", false, "1"},
	{"{{len (index .l 0)}}", "{\"l\": [\"abc\"]}", false, "3"},
	{"{{print (.a)}}", "{\"a\": 5}", false, "5"},
	{"{{ .a | printf \"%v-%v\" \"p\" }}", "{\"a\": 5}", false, "p-5"},
	{"{{.a|printf \"%d\"}}", "{\"a\": 5}", false, "%!d(json.Number=5)"},
	{"{{ foo . }}", "{}", true, "template: template:1: function \"foo\" not defined"},
	{"{{ .a ( }}", "{}", true, "template: template:1: unclosed left paren"},
	{"{{ ( .a }}", "{}", true, "template: template:1: unclosed left paren"},
	{"{{ .a }} {{ | }}", "{}", true, "template: template:1: unexpected \"|\" in command"},
	{"{{ .a @ }}", "{}", true, "template: template:1: unexpected \"@\" in operand"},
	{"{{ .a,}}", "{}", true, "template: template:1: unexpected \",\" in operand"},
	{"{{ := }}", "{}", true, "template: template:1: unexpected \":=\" in command"},
	{"{{ .a : }}", "{}", true, "template: template:1: expected :="},
	{"{{ .\xc3""\xa9"" }}", "{\"\xc3""\xa9""\": \"accent\"}", false, "accent"},
	{"{{ $\xc3""\xa9"" := 1 }}{{ $\xc3""\xa9"" }}", "{}", false, "1"},
	{"{{ .a.b }}", "{\"a\": {\"b\": \"x\"}, \"c\": 1}", false, "x"},
	{"{{\"a\\\"b\"}}", "{}", false, "a\"b"},
	{"{{ 'a' | printf \"%c\" }}", "{}", false, "a"},
	{"{{ .x }}\n{{ .y }}", "{\"x\": 1}", true, "template: template:2:3: executing \"template\" at <.y>: map has no entry for key \"y\""},
	{"\n\n  {{ .y.z }}", "{\"y\": {}}", true, "template: template:3:7: executing \"template\" at <.y.z>: map has no entry for key \"z\""},
	{"{{ if .x }}\n{{ .nope }}{{end}}", "{\"x\": 1}", true, "template: template:2:3: executing \"template\" at <.nope>: map has no entry for key \"nope\""},
	{"{{.x\n", "{}", true, "template: template:2: unclosed action started at template:1"},
	{"{{if .x}}\n\n", "{\"x\": 1}", true, "template: template:3: unexpected EOF"},
	{"{{ (index .l 0).b }}", "{\"l\": [{}]}", true, "template: template:1:13: executing \"template\" at <0>: map has no entry for key \"b\""},
	{"{{ (index .l 0 | printf \"%v\").b }}", "{\"l\": [{}]}", true, "template: template:1:24: executing \"template\" at <\"%v\">: can't evaluate field b in type string"},
	{"{{ printf \"%v\" (index .l 0).b.c }}", "{\"l\": [{\"b\": {}}]}", true, "template: template:1:25: executing \"template\" at <0>: map has no entry for key \"c\""},
	{"{{ .n.x }}", "{\"n\": 1}", true, "template: template:1:5: executing \"template\" at <.n.x>: can't evaluate field x in type interface {}"},
	{"{{ with .n }}{{ .x }}{{end}}", "{\"n\": 1}", true, "template: template:1:16: executing \"template\" at <.x>: can't evaluate field x in type json.Number"},
	{"{{ with .l }}{{ .x }}{{end}}", "{\"l\": [1]}", true, "template: template:1:16: executing \"template\" at <.x>: can't evaluate field x in type []interface {}"},
	{"{{ with .m }}{{ .x.y }}{{end}}", "{\"m\": {\"x\": true}}", true, "template: template:1:18: executing \"template\" at <.x.y>: can't evaluate field y in type interface {}"},
	{"{{ with $m := .m }}{{ $m.x.y }}{{end}}", "{\"m\": {\"x\": null}}", true, "template: template:1:24: executing \"template\" at <$m.x.y>: nil pointer evaluating interface {}.y"},
	{"{{ $.a.b }}", "{\"a\": null}", true, "template: template:1:4: executing \"template\" at <$.a.b>: nil pointer evaluating interface {}.b"},
	{"{{ .a.b }}", "{\"a\": 1.5}", true, "template: template:1:5: executing \"template\" at <.a.b>: can't evaluate field b in type interface {}"},
};

TEST(test_render_template)
{
	for (size_t i = 0; i < sizeof(tpl_cases) / sizeof(tpl_cases[0]); i++) {
		const struct tg_json *args[2] = {S(tpl_cases[i].tpl), J(tpl_cases[i].vars)}, *got;
		tg_err r = callv("strings.render_template", args, 2, &got);
		tg_test_checks++;
		if (tpl_cases[i].err ? (r == TG_OK || r == TG_E_TYPE ||
					strcmp(diag.msg, tpl_cases[i].want) != 0)
				     : (r != TG_OK || !got || got->type != TG_JSON_STRING ||
					strcmp(got->u.s.p, tpl_cases[i].want) != 0)) {
			fprintf(stderr, "%s: template %zu %s: got %s \"%s\", want \"%s\"\n",
				__FILE__, i, tpl_cases[i].tpl, tg_errname(r),
				r == TG_OK && got ? got->u.s.p : diag.msg, tpl_cases[i].want);
			tg_test_failures++;
		}
	}
	/* Go 1.22 ranges over an int, Go 1.23 has {{else with}} (OPA v1.1
	 * is built with Go 1.23; text/template's documentation) */
	RES("strings.render_template", "[\"{{range 3}}{{.}}{{end}}\", {}]", "\"012\"");
	RES("strings.render_template", "[\"{{range $i := 2}}<{{$i}}>{{end}}\", {}]", "\"<0><1>\"");
	RES("strings.render_template",
	    "[\"{{with .a}}A{{else with .b}}B{{.}}{{else}}C{{end}}\", {\"a\": \"\", \"b\": 7}]",
	    "\"B7\"");
	/* what ast.As makes of Rego values: sets are arrays, non-string keys
	 * their JSON text (OPA's valueToInterface) */
	RES("strings.render_template", "[\"{{.s}} {{index .m \\\"1\\\"}} {{.m}}\", {\"s\": {\"$set\": [2, 1]}, \"m\": {\"x\": 0}}]",
	    "\"[1 2] <no value> map[x:0]\"");
	{
		/* a Rego object with number and array keys: ast.As JSON-encodes
		 * them ({1: "a", [1, "x"]: "b"} is map[1:a [1,"x"]:b]) */
		struct tg_json_member m[2] = {{J("1"), J("\"a\"")}, {J("[1, \"x\"]"), J("\"b\"")}};
		const struct tg_json *args[2], *got = NULL;
		if (tg_json_new_object(&arena, m, 2, TG_JSON_DUP_REJECT, &args[1]) != TG_OK)
			abort();
		args[0] = S("{{.}} {{index . \"1\"}}");
		tg_test_checks++;
		if (callv("strings.render_template", args, 2, &got) != TG_OK || !got ||
		    strcmp(got->u.s.p, "map[1:a [1,\"x\"]:b] a") != 0) {
			fprintf(stderr, "render_template non-string keys: %s\n",
				got ? got->u.s.p : diag.msg);
			tg_test_failures++;
		}
	}
	TYPE_ERR("strings.render_template", "[1, {}]", "operand 1 must be string but got number");
	TYPE_ERR("strings.render_template", "[\"x\", []]", "operand 2 must be object but got array");
	/* unsupported parts say so */
	BERR("strings.render_template", "[\"{{define \\\"x\\\"}}a{{end}}\", {}]", "not supported");
	BERR("strings.render_template", "[\"{{1i}}\", {}]", "complex constants are not supported");
	/* caps: nesting and output size */
	{
		struct tg_buf b = TG_BUF_INIT(1 << 20);
		const struct tg_json *args[2], *got;
		for (int i = 0; i < 300; i++)
			if (tg_buf_adds(&b, "{{if 1}}") != TG_OK)
				abort();
		args[0] = S(tg_buf_str(&b));
		args[1] = J("{}");
		tg_test_checks++;
		if (callv("strings.render_template", args, 2, &got) == TG_OK ||
		    !strstr(diag.msg, "nested too deeply")) {
			fprintf(stderr, "deep template: %s\n", diag.msg);
			tg_test_failures++;
		}
		tg_buf_release(&b);
	}
	BERR("strings.render_template",
	     "[\"{{range 100000}}{{range 100000}}{{printf \\\"%0100d\\\" 1}}{{end}}{{end}}\", {}]",
	     "too large");
}

int main(void)
{
	tg_arena_init(&arena, 256 * 1024 * 1024);
	RUN(test_table);
	RUN(test_strings_basic);
	RUN(test_strings_any_match);
	RUN(test_format_int);
	RUN(test_trim);
	RUN(test_replace_n);
	RUN(test_sprintf);
	RUN(test_units);
	RUN(test_regex);
	RUN(test_globs);
	RUN(test_time);
	RUN(test_net);
	RUN(test_crypto_hashes);
	RUN(test_jwt);
	RUN(test_x509);
	RUN(test_render_template);
	tg_arena_release(&arena);
	return tg_test_done();
}
