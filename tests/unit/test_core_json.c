/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_core_json.c - the JSON value model (core/json.h) against RFC 8259
 * (parser, emitter), RFC 8785 (canonical form; cases as files under
 * tests/data/json/canon) and the OPA total order, with exact numbers.
 */
#include "tg_test.h"

#include <dirent.h>
#include <math.h>
#include <stdint.h>

#include "core/json.h"
#include "core/limits.h"
#include "core/mem.h"

static struct tg_arena A;

static uint64_t rng_state = 0x6a09e667f3bcc908u;
static uint64_t rng(void) /* splitmix64: deterministic, no libc PRNG */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static tg_err parse_opts(const char *s, size_t n, const struct tg_json_parse_opts *o,
			 const struct tg_json **v, struct tg_diag *d)
{
	tg_diag_init(d);
	return tg_json_parse(&A, s, n, o, v, NULL, d);
}

/* Parses s strictly; NULL on error. */
static const struct tg_json *P(const char *s)
{
	const struct tg_json *v = NULL;
	struct tg_diag d;
	if (parse_opts(s, strlen(s), NULL, &v, &d) != TG_OK) {
		fprintf(stderr, "  cannot parse '%s': %u:%u %s\n", s, d.line, d.col, d.msg);
		return NULL;
	}
	return v;
}

static tg_err perr(const char *s)
{
	const struct tg_json *v = NULL;
	struct tg_diag d;
	return parse_opts(s, strlen(s), NULL, &v, &d);
}

static char out_text[1 << 16];

static const char *emit(const struct tg_json *v, unsigned flags)
{
	struct tg_buf b = TG_BUF_INIT(1 << 20);
	tg_err r;
	if (!v)
		return "(null)";
	r = tg_json_emit(&b, v, flags);
	snprintf(out_text, sizeof(out_text), "%s", r == TG_OK ? tg_buf_str(&b) : tg_errname(r));
	tg_buf_release(&b);
	return out_text;
}

static const char *canon(const struct tg_json *v)
{
	struct tg_buf b = TG_BUF_INIT(1 << 20);
	tg_err r;
	if (!v)
		return "(null)";
	r = tg_json_canon(&b, v);
	snprintf(out_text, sizeof(out_text), "%s", r == TG_OK ? tg_buf_str(&b) : tg_errname(r));
	tg_buf_release(&b);
	return out_text;
}

static const char *canon_of(const char *json)
{
	return canon(P(json));
}

/* ======================= parsing ======================= */

TEST(parse_types)
{
	const struct tg_json *v;
	v = P("null");
	CHECK(v && v->type == TG_JSON_NULL);
	v = P("true");
	CHECK(v && v->type == TG_JSON_BOOL && v->u.b);
	v = P(" false ");
	CHECK(v && v->type == TG_JSON_BOOL && !v->u.b);
	CHECK(tg_json_bool(true) == &tg_json_true_v && tg_json_bool(false) == &tg_json_false_v);

	/* numbers keep their literal; INTLIT only without fraction/exponent */
	v = P("-12");
	CHECK(v && v->type == TG_JSON_NUMBER && v->u.s.len == 3 &&
	      strcmp(v->u.s.p, "-12") == 0 && (v->flags & TG_JSON_F_INTLIT));
	v = P("1.50");
	CHECK(v && v->type == TG_JSON_NUMBER && strcmp(v->u.s.p, "1.50") == 0 &&
	      !(v->flags & TG_JSON_F_INTLIT));
	v = P("1E+2");
	CHECK(v && strcmp(v->u.s.p, "1E+2") == 0 && !(v->flags & TG_JSON_F_INTLIT));
	v = P("-0");
	CHECK(v && strcmp(v->u.s.p, "-0") == 0 && (v->flags & TG_JSON_F_INTLIT));
	v = P("123456789012345678901234567890123456789");
	CHECK(v && v->u.s.len == 39);

	v = P("\"hi\"");
	CHECK(v && v->type == TG_JSON_STRING && v->u.s.len == 2 && strcmp(v->u.s.p, "hi") == 0);
	v = P("\"\"");
	CHECK(v && v->type == TG_JSON_STRING && v->u.s.len == 0 && v->u.s.p[0] == '\0');

	v = P("[3, 1, 2, [], {}]");
	CHECK(v && v->type == TG_JSON_ARRAY && v->u.a.len == 5);
	if (v && v->u.a.len == 5) { /* arrays keep their order */
		CHECK(strcmp(v->u.a.items[0]->u.s.p, "3") == 0);
		CHECK(strcmp(v->u.a.items[2]->u.s.p, "2") == 0);
		CHECK(v->u.a.items[3]->type == TG_JSON_ARRAY && v->u.a.items[3]->u.a.len == 0);
		CHECK(v->u.a.items[4]->type == TG_JSON_OBJECT && v->u.a.items[4]->u.o.len == 0);
	}
	v = P("{\"b\": 1, \"a\": 2, \"c\": {\"z\": null, \"y\": true}}");
	CHECK(v && v->type == TG_JSON_OBJECT && v->u.o.len == 3);
	if (v && v->u.o.len == 3) { /* objects are sorted by key */
		CHECK(tg_json_str_eq(v->u.o.items[0].key, "a"));
		CHECK(tg_json_str_eq(v->u.o.items[1].key, "b"));
		CHECK(tg_json_str_eq(v->u.o.items[2].key, "c"));
		CHECK(tg_json_str_eq(v->u.o.items[2].val->u.o.items[0].key, "y"));
	}
	/* positions point into the text */
	v = P("  [1, \"x\"]");
	CHECK(v && v->pos == 2);
	if (v && v->u.a.len == 2) {
		CHECK(v->u.a.items[0]->pos == 3);
		CHECK(v->u.a.items[1]->pos == 6);
	}
	/* every kind of whitespace RFC 8259 2 allows, nothing else */
	CHECK(P(" \t\r\n[ \t\r\n1 \t\r\n, \t\r\n2 \t\r\n] \t\r\n") != NULL);
	CHECK_ERR(perr("\f[1]"), TG_E_PARSE);
	CHECK_ERR(perr("[1]\v"), TG_E_PARSE);
	CHECK_ERR(perr("\xc2\xa0[1]"), TG_E_PARSE); /* NO-BREAK SPACE */
}

TEST(parse_escapes)
{
	const struct tg_json *v;
	v = P("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"");
	CHECK(v && v->u.s.len == 8 && memcmp(v->u.s.p, "\"\\/\b\f\n\r\t", 8) == 0);
	v = P("\"a\\u0000b\""); /* NUL inside a string: length is authoritative */
	CHECK(v && v->u.s.len == 3 && memcmp(v->u.s.p, "a\0b", 4) == 0);
	v = P("\"\\u00e9\\u00E9\\u20AC\"");
	CHECK(v && v->u.s.len == 7 && memcmp(v->u.s.p, "\xc3\xa9\xc3\xa9\xe2\x82\xac", 7) == 0);
	v = P("\"\\ud83d\\ude00\""); /* U+1F600 as a surrogate pair (RFC 8259 7) */
	CHECK(v && v->u.s.len == 4 && memcmp(v->u.s.p, "\xf0\x9f\x98\x80", 4) == 0);
	v = P("\"\\uD834\\uDD1E\""); /* U+1D11E, upper-case hex */
	CHECK(v && v->u.s.len == 4 && memcmp(v->u.s.p, "\xf0\x9d\x84\x9e", 4) == 0);
	v = P("\"\\udbff\\udfff\""); /* U+10FFFF */
	CHECK(v && v->u.s.len == 4 && memcmp(v->u.s.p, "\xf4\x8f\xbf\xbf", 4) == 0);
	v = P("\"\\ud800\\udc00\""); /* U+10000 */
	CHECK(v && memcmp(v->u.s.p, "\xf0\x90\x80\x80", 4) == 0);
	v = P("\"\\uffff\\ufdd0\\ufffe\""); /* noncharacters are scalar values */
	CHECK(v && v->u.s.len == 9);
	v = P("\"\xf0\x9f\x98\x80 raw \xe2\x82\xac\""); /* raw UTF-8 kept as is */
	CHECK(v && v->u.s.len == 12);
	v = P("\"\x7f\""); /* DEL needs no escape */
	CHECK(v && v->u.s.len == 1);
	v = P("\"mix\\n\xc3\xa9\\u0041\"");
	CHECK(v && v->u.s.len == 7 && memcmp(v->u.s.p, "mix\n\xc3\xa9" "A", 7) == 0);
}

TEST(parse_surrogates_rejected)
{
	static const char *const bad[] = {
		"\"\\ud800\"",        "\"\\udbff\"",          "\"\\udc00\"",
		"\"\\udfff\"",        "\"\\ud800x\"",         "\"\\ud800\\u0041\"",
		"\"\\ud800\\ud800\"", "\"\\ude00\\ud83d\"",   "\"\\ud800\\\"",
		"\"\\ud800\\u\"",     "\"\\ud800\\udc0\"",    "\"\\ud800\\n\"",
		"[\"\\ud800\"]",      "{\"\\udc00\":1}",      "\"a\\udc00b\"",
		"\"\xed\xa0\x80\"",   /* U+D800 as raw (CESU-8) bytes */
		"\"\xed\xbf\xbf\"",   "\"\xed\xa0\xbd\xed\xb8\x80\"",
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(bad); i++) {
		tg_err r = perr(bad[i]);
		if (r != TG_E_PARSE)
			fprintf(stderr, "  lone surrogate accepted: %s\n", bad[i]);
		CHECK(r == TG_E_PARSE);
	}
}

TEST(parse_rejects)
{
	static const char *const bad[] = {
		"", " ", "\n", "[", "]", "{", "}", "[1", "[1,", "[1,]", "[,1]", "[1,,2]", "[1 2]",
		"{\"a\"}", "{\"a\":}", "{\"a\" 1}", "{\"a\":1,}", "{,}", "{\"a\":1 \"b\":2}",
		"{a:1}", "{'a':1}", "{1:1}", "{null:1}", "{\"a\"::1}", "['a']", "\"abc", "\"\\\"",
		"\"\\x41\"", "\"\\u12\"", "\"\\u12g4\"", "\"\\U0041\"", "\"\\a\"", "\"\\'\"",
		"\"\t\"", "\"\n\"", "\"\x01\"", "\"\x1f\"", "\"\\\n\"",
		"01", "-01", "00", "1.", ".1", "-", "+1", "1e", "1e+", "1E-", "1.e5", "-.5",
		"0x10", "1_000", "1,5", "NaN", "-NaN", "Infinity", "-Infinity", "inf",
		"tru", "true1", "nul", "nulll", "True", "NULL", "fals", "undefined",
		"1 2", "[] []", "{}x", "null,", "\"a\" \"b\"", "[1]]", "{}}",
		"\xef\xbb\xbf{}", /* a byte-order mark is not JSON text (RFC 8259 8.1) */
		"\"\xff\"", "\"\xc0\x80\"", "\"\xe0\x80\x80\"", "\"\xf4\x90\x80\x80\"",
		"\"\xc3\"", "\"\xe2\x82\"", "\"\x80\"", "[\"\xf8\x88\x80\x80\x80\"]",
		"/* c */ 1", "1 // c", "[1]\0",
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(bad); i++) {
		size_t n = strlen(bad[i]);
		const struct tg_json *v = NULL;
		struct tg_diag d;
		tg_err r;
		if (strcmp(bad[i], "[1]") == 0)
			n = 4; /* the embedded NUL case */
		r = parse_opts(bad[i], n, NULL, &v, &d);
		if (r != TG_E_PARSE)
			fprintf(stderr, "  not rejected as PARSE: '%s' (%s)\n", bad[i], tg_errname(r));
		CHECK(r == TG_E_PARSE);
		CHECK(v == NULL); /* *out untouched */
		CHECK(d.msg[0] != '\0' && d.line >= 1 && d.col >= 1);
	}
}

/* Depth: max_depth levels of arrays/objects are fine, one more is
 * TG_E_DEPTH; the default is TG_LIMIT_JSON_DEPTH; very deep input does
 * not exhaust the stack. */
TEST(parse_depth)
{
	static char doc[300000];
	struct tg_json_parse_opts o = {TG_JSON_DUP_REJECT, 0, false};
	const struct tg_json *v;
	struct tg_diag d;
	size_t i, n;

	for (n = 0, i = 0; i < TG_LIMIT_JSON_DEPTH; i++)
		doc[n++] = '[';
	for (i = 0; i < TG_LIMIT_JSON_DEPTH; i++)
		doc[n++] = ']';
	CHECK_OK(parse_opts(doc, n, NULL, &v, &d));
	CHECK_OK(parse_opts(doc, n, &o, &v, &d));
	for (n = 0, i = 0; i < TG_LIMIT_JSON_DEPTH + 1; i++)
		doc[n++] = '[';
	for (i = 0; i < TG_LIMIT_JSON_DEPTH + 1; i++)
		doc[n++] = ']';
	CHECK_ERR(parse_opts(doc, n, NULL, &v, &d), TG_E_DEPTH);
	CHECK(d.line == 1 && d.col == TG_LIMIT_JSON_DEPTH + 1);

	/* objects count too */
	for (n = 0, i = 0; i < TG_LIMIT_JSON_DEPTH + 1; i++) {
		memcpy(doc + n, "{\"a\":", 5);
		n += 5;
	}
	doc[n++] = '1';
	for (i = 0; i < TG_LIMIT_JSON_DEPTH + 1; i++)
		doc[n++] = '}';
	CHECK_ERR(parse_opts(doc, n, NULL, &v, &d), TG_E_DEPTH);
	CHECK_OK(parse_opts(doc + 5, n - 6, NULL, &v, &d));

	/* a custom limit */
	o.max_depth = 2;
	CHECK_OK(parse_opts("[[1]]", 5, &o, &v, &d));
	CHECK_OK(parse_opts("{\"a\":[1]}", 9, &o, &v, &d));
	CHECK_OK(parse_opts("[1, [2], {\"x\": 3}]", 18, &o, &v, &d));
	CHECK_ERR(parse_opts("[[[1]]]", 7, &o, &v, &d), TG_E_DEPTH);
	CHECK(d.line == 1 && d.col == 3 && d.msg[0]);
	CHECK_ERR(parse_opts("[{\"a\":{}}]", 10, &o, &v, &d), TG_E_DEPTH);
	o.max_depth = 1;
	CHECK_OK(parse_opts("[]", 2, &o, &v, &d));
	CHECK_ERR(parse_opts("[[]]", 4, &o, &v, &d), TG_E_DEPTH);
	CHECK_OK(parse_opts("\"scalars need no depth\"", 23, &o, &v, &d));

	/* 150000 levels: refused, not a stack overflow */
	memset(doc, '[', 150000);
	CHECK_ERR(parse_opts(doc, 150000, NULL, &v, &d), TG_E_DEPTH);
	CHECK(perr("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[") ==
	      TG_E_PARSE);
}

TEST(parse_duplicates)
{
	const struct tg_json *v = NULL;
	struct tg_diag d;
	struct tg_json_parse_opts last = {TG_JSON_DUP_LAST, 0, false};
	const char *s;

	/* strict by default, with the position of the repeated key */
	s = "{\"a\":1,\"a\":2}";
	CHECK_ERR(parse_opts(s, strlen(s), NULL, &v, &d), TG_E_DUPKEY);
	CHECK(v == NULL);
	CHECK(d.line == 1 && d.col == 8);
	CHECK(strstr(d.msg, "duplicate") != NULL);
	s = "{\n  \"k\": 1,\n  \"z\": 0,\n  \"k\": 2\n}";
	CHECK_ERR(parse_opts(s, strlen(s), NULL, &v, &d), TG_E_DUPKEY);
	CHECK(d.line == 4 && d.col == 3);
	/* equal after unescaping */
	s = "{\"a\":1,\"\\u0061\":2}";
	CHECK_ERR(parse_opts(s, strlen(s), NULL, &v, &d), TG_E_DUPKEY);
	s = "{\"\\u00e9\":1,\"\xc3\xa9\":2}";
	CHECK_ERR(parse_opts(s, strlen(s), NULL, &v, &d), TG_E_DUPKEY);
	/* nested, and different objects may share keys */
	s = "[{\"a\":1},{\"a\":{\"b\":1,\"c\":2,\"b\":3}}]";
	CHECK_ERR(parse_opts(s, strlen(s), NULL, &v, &d), TG_E_DUPKEY);
	CHECK(d.line == 1 && d.col == 28);
	CHECK(P("[{\"a\":1},{\"a\":2}]") != NULL);
	/* keys that differ only after a NUL are different */
	CHECK(P("{\"a\\u0000\":1,\"a\":2}") != NULL);

	/* TG_JSON_DUP_LAST keeps the last (ECMAScript JSON.parse) */
	s = "{\"a\":1,\"b\":0,\"a\":2,\"a\":3}";
	CHECK_OK(parse_opts(s, strlen(s), &last, &v, &d));
	CHECK(v && v->u.o.len == 2);
	CHECK_STR(emit(v, 0), "{\"a\":3,\"b\":0}");
	s = "{\"x\":{\"a\":[1]},\"x\":{\"b\":2}}";
	CHECK_OK(parse_opts(s, strlen(s), &last, &v, &d));
	CHECK_STR(emit(v, 0), "{\"x\":{\"b\":2}}");
	/* many duplicates of many keys, out of order */
	{
		struct tg_buf b = TG_BUF_INIT(1 << 20);
		int i;
		CHECK_OK(tg_buf_addc(&b, '{'));
		for (i = 0; i < 3000; i++)
			CHECK_OK(tg_buf_addf(&b, "%s\"k%d\":%d", i ? "," : "", (i * 7) % 100, i));
		CHECK_OK(tg_buf_addc(&b, '}'));
		CHECK_OK(parse_opts((const char *)b.data, b.len, &last, &v, &d));
		CHECK(v && v->u.o.len == 100);
		/* k0 was last written by the largest i with 7i % 100 == 0: i = 2900 */
		CHECK(v && tg_json_get(v, "k0") && strcmp(tg_json_get(v, "k0")->u.s.p, "2900") == 0);
		/* k7: i = 2901 */
		CHECK(v && tg_json_get(v, "k7") && strcmp(tg_json_get(v, "k7")->u.s.p, "2901") == 0);
		CHECK_ERR(parse_opts((const char *)b.data, b.len, NULL, &v, &d), TG_E_DUPKEY);
		tg_buf_release(&b);
	}
}

TEST(parse_trailing)
{
	struct tg_json_parse_opts o = {TG_JSON_DUP_REJECT, 0, true};
	const struct tg_json *v = NULL;
	size_t used = 0;
	struct tg_diag d;
	CHECK_OK(tg_json_parse(&A, "[1] [2]", 7, &o, &v, &used, &d));
	CHECK(used == 3);
	CHECK_STR(emit(v, 0), "[1]");
	CHECK_OK(tg_json_parse(&A, "{\"a\":1}xyz", 10, &o, &v, &used, &d));
	CHECK(used == 7);
	CHECK_OK(tg_json_parse(&A, "  12 34", 7, &o, &v, &used, &d));
	CHECK(used == 4);
	CHECK_STR(emit(v, 0), "12");
	CHECK_OK(tg_json_parse(&A, "\"s\"\n", 4, &o, &v, &used, &d));
	CHECK(used == 3 || used == 4);
	CHECK_OK(tg_json_parse(&A, "true", 4, &o, &v, NULL, &d)); /* consumed may be NULL */
	/* a stream of values read one after the other */
	{
		const char *s = "1 [2] {\"3\":3} \"4\"";
		size_t off = 0, n = strlen(s);
		int count = 0;
		while (off < n && count < 10) {
			if (tg_json_parse(&A, s + off, n - off, &o, &v, &used, &d) != TG_OK)
				break;
			off += used;
			while (off < n && s[off] == ' ')
				off++;
			count++;
		}
		CHECK(count == 4 && off == n);
	}
	/* the value itself must still be complete and valid */
	CHECK_ERR(tg_json_parse(&A, "[1,", 3, &o, &v, &used, &d), TG_E_PARSE);
	CHECK_ERR(tg_json_parse(&A, "", 0, &o, &v, &used, &d), TG_E_PARSE);
	/* without the option, trailing data is an error */
	CHECK_ERR(perr("[1] [2]"), TG_E_PARSE);
	CHECK_OK(perr("[1]  \n\t\r "));
}

/* Where the parser says the input broke (line:column, 1-based, bytes). */
TEST(parse_diagnostics)
{
	static const struct {
		const char *s;
		size_t n; /* 0: strlen */
		tg_err e;
		uint32_t line, col; /* col 0: only the line is checked */
	} t[] = {
		{"[1,\n 2,]", 0, TG_E_PARSE, 2, 4},
		{"{\"a\":1}\nx", 0, TG_E_PARSE, 2, 1},
		{"[\"ok\",\n \"bad\x01\"]", 0, TG_E_PARSE, 2, 6},
		{"[\"\xc3\xa9\", x]", 0, TG_E_PARSE, 1, 8},
		{"[1,\r\n2,\r\n]", 0, TG_E_PARSE, 3, 1},
		{"", 0, TG_E_PARSE, 1, 1},
		{"\"abc\xff\"", 0, TG_E_PARSE, 1, 5},
		{"{\"a\" 1}", 0, TG_E_PARSE, 1, 6},
		{"\n\n  tru", 0, TG_E_PARSE, 3, 3},
		{"{\"a\":1,}", 0, TG_E_PARSE, 1, 8},
		{"[\n\n   1.e5]", 0, TG_E_PARSE, 3, 0},
		{"[01]", 0, TG_E_PARSE, 1, 0},
		{"{\n\"a\":\n\"\\q\"}", 0, TG_E_PARSE, 3, 0},
		{"[\"\\ud800\"]", 0, TG_E_PARSE, 1, 0},
		{"{\"a\":1,\"a\":2}", 0, TG_E_DUPKEY, 1, 8},
		{"[1]\n\n   [2]", 0, TG_E_PARSE, 3, 4},
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(t); i++) {
		const struct tg_json *v = NULL;
		struct tg_diag d;
		size_t n = t[i].n ? t[i].n : strlen(t[i].s);
		tg_err r = parse_opts(t[i].s, n, NULL, &v, &d);
		int ok = r == t[i].e && d.line == t[i].line && (!t[i].col || d.col == t[i].col) &&
			 d.msg[0] != '\0';
		if (!ok)
			fprintf(stderr, "  diag for case %zu: %s at %u:%u '%s', want %s at %u:%u\n",
				i, tg_errname(r), d.line, d.col, d.msg, tg_errname(t[i].e), t[i].line,
				t[i].col);
		CHECK(ok);
	}
	/* a NULL diagnostic is allowed */
	{
		const struct tg_json *v;
		CHECK_ERR(tg_json_parse(&A, "[", 1, NULL, &v, NULL, NULL), TG_E_PARSE);
	}
}

/* Caps: the arena's and the number length (TG_LIMIT_JSON_NUMBER). */
TEST(parse_limits)
{
	struct tg_arena small;
	const struct tg_json *v = NULL;
	struct tg_diag d;
	static char num[TG_LIMIT_JSON_NUMBER + 2];
	const char *doc = "[\"a fairly long string that needs room\", [1, 2, 3], {\"k\": \"v\"}]";
	size_t i;
	int fits = 0;

	tg_arena_init(&small, 64);
	tg_diag_init(&d);
	CHECK_ERR(tg_json_parse(&small, doc, strlen(doc), NULL, &v, NULL, &d), TG_E_TOOBIG);
	CHECK(v == NULL && d.msg[0]);
	tg_arena_release(&small);
	/* some cap makes it fit; all smaller ones refuse with TOOBIG, never
	 * with another error, and never crash */
	for (i = 0; i < 4096 && !fits; i += 8) {
		tg_err r;
		tg_arena_init(&small, i);
		r = tg_json_parse(&small, doc, strlen(doc), NULL, &v, NULL, NULL);
		CHECK(r == TG_OK || r == TG_E_TOOBIG);
		CHECK(tg_arena_used(&small) <= i);
		fits = r == TG_OK;
		tg_arena_release(&small);
	}
	CHECK(fits);

	memset(num, '7', sizeof(num));
	CHECK_OK(parse_opts(num, TG_LIMIT_JSON_NUMBER, NULL, &v, &d));
	CHECK(v && v->u.s.len == TG_LIMIT_JSON_NUMBER);
	CHECK_ERR(parse_opts(num, TG_LIMIT_JSON_NUMBER + 1, NULL, &v, &d), TG_E_TOOBIG);
}

/* ======================= emitting ======================= */

TEST(emit_compact_pretty)
{
	const struct tg_json *v = P("{\"b\":[1,2.50,\"x\"],\"a\":null,\"c\":{},\"d\":[],"
				    "\"e\":{\"f\":true}, \"n\": -0.0e+0}");
	CHECK_STR(emit(v, 0), "{\"a\":null,\"b\":[1,2.50,\"x\"],\"c\":{},\"d\":[],"
			      "\"e\":{\"f\":true},\"n\":-0.0e+0}");
	CHECK_STR(emit(v, TG_JSON_EMIT_PRETTY), "{\n"
						"  \"a\": null,\n"
						"  \"b\": [\n"
						"    1,\n"
						"    2.50,\n"
						"    \"x\"\n"
						"  ],\n"
						"  \"c\": {},\n"
						"  \"d\": [],\n"
						"  \"e\": {\n"
						"    \"f\": true\n"
						"  },\n"
						"  \"n\": -0.0e+0\n"
						"}");
	CHECK_STR(emit(P("[]"), TG_JSON_EMIT_PRETTY), "[]");
	CHECK_STR(emit(P("7"), TG_JSON_EMIT_PRETTY), "7");
	CHECK_STR(emit(P(" [ false , null ] "), 0), "[false,null]");
	/* the emitted text parses back to an equal value */
	{
		const char *src = "{\"z\":[1e400,-0,{\"\":\"\\u0000\"}],\"a\":\"\\ud83d\\ude00\"}";
		const struct tg_json *a = P(src), *b;
		b = P(emit(a, 0));
		CHECK(a && b && tg_json_eq(a, b));
		b = P(emit(a, TG_JSON_EMIT_PRETTY));
		CHECK(a && b && tg_json_eq(a, b));
		b = P(emit(a, TG_JSON_EMIT_ASCII | TG_JSON_EMIT_PRETTY));
		CHECK(a && b && tg_json_eq(a, b));
	}
}

TEST(emit_escapes)
{
	const struct tg_json *v;
	/* RFC 8259 7: quote, backslash and controls must be escaped; the short
	 * forms where they exist, \u00xx for the rest; '/' and DEL need none */
	v = P("\"\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f \\\" \\\\ \\/ \x7f\"");
	CHECK_STR(emit(v, 0), "\"\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f \\\" \\\\ / \x7f\"");
	v = P("\"\xc3\xa9\xf0\x9f\x98\x80\xe2\x80\xa8\"");
	CHECK_STR(emit(v, 0), "\"\xc3\xa9\xf0\x9f\x98\x80\xe2\x80\xa8\"");
	/* ASCII-only output escapes non-ASCII, supplementary as a pair */
	CHECK_STR(emit(v, TG_JSON_EMIT_ASCII), "\"\\u00e9\\ud83d\\ude00\\u2028\"");
	v = P("{\"\xc3\xa9\":\"\\u0001\xf4\x8f\xbf\xbf\"}");
	CHECK_STR(emit(v, TG_JSON_EMIT_ASCII), "{\"\\u00e9\":\"\\u0001\\udbff\\udfff\"}");
	/* every byte 0x00-0x7f round-trips through emit */
	{
		char raw[128];
		const struct tg_json *s, *back;
		int i;
		for (i = 0; i < 128; i++)
			raw[i] = (char)i;
		CHECK_OK(tg_json_new_string(&A, raw, 128, &s));
		back = P(emit(s, 0));
		CHECK(back && back->u.s.len == 128 && memcmp(back->u.s.p, raw, 128) == 0);
	}
}

TEST(emit_errors)
{
	const struct tg_json *k, *val, *obj, *set, *items[2];
	struct tg_json_member m[1];
	struct tg_buf b = TG_BUF_INIT(1000);
	CHECK_OK(tg_json_new_int(&A, 1, &k));
	CHECK_OK(tg_json_new_string(&A, "v", 1, &val));
	m[0].key = k;
	m[0].val = val;
	CHECK_OK(tg_json_new_object(&A, m, 1, TG_JSON_DUP_REJECT, &obj));
	CHECK_OK(tg_buf_adds(&b, "prefix"));
	/* a non-string key cannot be JSON text; out is restored */
	CHECK_ERR(tg_json_emit(&b, obj, 0), TG_E_TYPE);
	CHECK_STR(tg_buf_str(&b), "prefix");
	CHECK_ERR(tg_json_canon(&b, obj), TG_E_TYPE);
	CHECK_STR(tg_buf_str(&b), "prefix");
	/* the same nested deep inside an array */
	items[0] = &tg_json_null_v;
	items[1] = obj;
	CHECK_OK(tg_json_new_array(&A, items, 2, &val));
	CHECK_ERR(tg_json_emit(&b, val, TG_JSON_EMIT_PRETTY), TG_E_TYPE);
	CHECK_STR(tg_buf_str(&b), "prefix");
	/* sets emit as arrays, are refused by canon */
	items[0] = k;
	items[1] = &tg_json_true_v;
	CHECK_OK(tg_json_new_set(&A, items, 2, &set));
	CHECK_OK(tg_json_emit(&b, set, 0));
	CHECK_STR(tg_buf_str(&b), "prefix[true,1]");
	tg_buf_truncate(&b, 6);
	CHECK_ERR(tg_json_canon(&b, set), TG_E_TYPE);
	CHECK_STR(tg_buf_str(&b), "prefix");
	tg_buf_release(&b);
	/* the buffer's cap: TOOBIG and restored */
	tg_buf_init(&b, 10);
	CHECK_OK(tg_buf_adds(&b, "ab"));
	CHECK_ERR(tg_json_emit(&b, P("[1,2,3,4,5]"), 0), TG_E_TOOBIG);
	CHECK_STR(tg_buf_str(&b), "ab");
	CHECK_ERR(tg_json_canon(&b, P("{\"abcdefgh\":1}")), TG_E_TOOBIG);
	CHECK_STR(tg_buf_str(&b), "ab");
	CHECK_OK(tg_json_emit(&b, P("[1,2,3]"), 0)); /* exactly fills */
	CHECK_STR(tg_buf_str(&b), "ab[1,2,3]");
	tg_buf_release(&b);
}

/* ======================= lookups ======================= */

TEST(lookups)
{
	const struct tg_json *v =
		P("{\"b\":2,\"a\":1,\"c\":{\"d\":[1,2]},\"\":0,\"a\\u0000b\":5,\"s\":\"str\","
		  "\"f\":1.5,\"big\":1e30,\"t\":true,\"\xc3\xa9\":\"e\"}");
	const struct tg_json *x;
	const char *s = NULL;
	size_t n = 0;
	int64_t i64 = 0;
	bool bv = false;
	CHECK(v != NULL);
	if (!v)
		return;
	x = tg_json_get(v, "a");
	CHECK(x && strcmp(x->u.s.p, "1") == 0);
	x = tg_json_get(v, "b");
	CHECK(x && strcmp(x->u.s.p, "2") == 0);
	x = tg_json_get(v, "");
	CHECK(x && strcmp(x->u.s.p, "0") == 0);
	x = tg_json_getn(v, "a\0b", 3);
	CHECK(x && strcmp(x->u.s.p, "5") == 0);
	x = tg_json_get(v, "\xc3\xa9");
	CHECK(x && tg_json_str_eq(x, "e"));
	CHECK(tg_json_get(v, "z") == NULL);
	CHECK(tg_json_get(v, "A") == NULL);
	CHECK(tg_json_getn(v, "ab", 1) != NULL); /* "a" */
	CHECK(tg_json_get(tg_json_get(v, "c"), "d") != NULL);
	CHECK(tg_json_get(tg_json_get(tg_json_get(v, "c"), "d"), "x") == NULL); /* array */
	CHECK(tg_json_get(P("[1]"), "a") == NULL);
	CHECK(tg_json_get(&tg_json_null_v, "a") == NULL);
	CHECK(tg_json_get(NULL, "a") == NULL);
	CHECK(tg_json_get(&tg_json_empty_object_v, "a") == NULL);

	CHECK_OK(tg_json_get_string(v, "s", &s, &n));
	CHECK(s && n == 3 && strcmp(s, "str") == 0);
	CHECK_ERR(tg_json_get_string(v, "a", &s, &n), TG_E_TYPE);
	CHECK_ERR(tg_json_get_string(v, "nope", &s, &n), TG_E_NOTFOUND);
	CHECK_OK(tg_json_get_i64(v, "b", &i64));
	CHECK(i64 == 2);
	CHECK_ERR(tg_json_get_i64(v, "s", &i64), TG_E_TYPE);
	CHECK_ERR(tg_json_get_i64(v, "f", &i64), TG_E_TYPE);
	CHECK_ERR(tg_json_get_i64(v, "big", &i64), TG_E_RANGE);
	CHECK_ERR(tg_json_get_i64(v, "nope", &i64), TG_E_NOTFOUND);
	CHECK(i64 == 2); /* untouched on error */
	CHECK_OK(tg_json_get_bool(v, "t", &bv));
	CHECK(bv);
	CHECK_ERR(tg_json_get_bool(v, "a", &bv), TG_E_TYPE);
	CHECK_ERR(tg_json_get_bool(v, "nope", &bv), TG_E_NOTFOUND);

	CHECK(tg_json_str_eq(tg_json_get(v, "s"), "str"));
	CHECK(!tg_json_str_eq(tg_json_get(v, "s"), "st"));
	CHECK(!tg_json_str_eq(tg_json_get(v, "s"), "strx"));
	CHECK(!tg_json_str_eq(tg_json_get(v, "a"), "1"));
	CHECK(!tg_json_str_eq(NULL, "x"));

	/* get_value with a key value */
	{
		const struct tg_json *key;
		CHECK_OK(tg_json_new_string(&A, "c", 1, &key));
		CHECK(tg_json_get_value(v, key) == tg_json_get(v, "c"));
		CHECK(tg_json_get_value(P("[]"), key) == NULL);
	}
}

/* A big object built from shuffled keys: every key is found by binary
 * search, and absent keys between them are not. */
TEST(lookups_large)
{
	enum { N = 5000 };
	static struct tg_json_member m[N];
	static int perm[N];
	const struct tg_json *obj;
	char key[32];
	int i, ok = 1;
	for (i = 0; i < N; i++)
		perm[i] = i;
	for (i = N - 1; i > 0; i--) {
		int j = (int)(rng() % (uint64_t)(i + 1)), t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	for (i = 0; i < N; i++) {
		int len = snprintf(key, sizeof(key), "key%d", perm[i] * 2);
		CHECK_OK(tg_json_new_string(&A, key, (size_t)len, &m[i].key));
		CHECK_OK(tg_json_new_int(&A, perm[i], &m[i].val));
	}
	CHECK_OK(tg_json_new_object(&A, m, N, TG_JSON_DUP_REJECT, &obj));
	CHECK(obj->u.o.len == N);
	for (i = 1; i < N; i++)
		if (tg_json_cmp(obj->u.o.items[i - 1].key, obj->u.o.items[i].key) >= 0)
			ok = 0;
	CHECK(ok);
	for (i = 0; i < N; i++) {
		const struct tg_json *x;
		int64_t got = -1;
		snprintf(key, sizeof(key), "key%d", i * 2);
		x = tg_json_get(obj, key);
		if (!x || tg_json_num_i64(x, &got) != TG_OK || got != i)
			ok = 0;
		snprintf(key, sizeof(key), "key%d", i * 2 + 1);
		if (tg_json_get(obj, key))
			ok = 0;
	}
	CHECK(ok);
}

TEST(set_membership)
{
	const struct tg_json *items[6], *set, *probe;
	items[0] = P("1");
	items[1] = P("\"a\"");
	items[2] = P("[1,{\"b\":null}]");
	items[3] = &tg_json_null_v;
	items[4] = P("1.0"); /* equal to 1: collapses */
	items[5] = P("{\"x\":[]}");
	CHECK_OK(tg_json_new_set(&A, items, 6, &set));
	CHECK(set->type == TG_JSON_SET && set->u.a.len == 5);
	CHECK(tg_json_set_has(set, P("1e0")));
	CHECK(tg_json_set_has(set, P("10e-1")));
	CHECK(tg_json_set_has(set, P("\"a\"")));
	CHECK(tg_json_set_has(set, P("[1.00, {\"b\": null}]")));
	CHECK(tg_json_set_has(set, &tg_json_null_v));
	CHECK(tg_json_set_has(set, P("{\"x\":[]}")));
	CHECK(!tg_json_set_has(set, P("2")));
	CHECK(!tg_json_set_has(set, P("\"A\"")));
	CHECK(!tg_json_set_has(set, P("[1]")));
	CHECK(!tg_json_set_has(set, &tg_json_false_v));
	CHECK(!tg_json_set_has(P("[1]"), P("1"))); /* not a set */
	CHECK(!tg_json_set_has(NULL, P("1")));
	/* sets nest and order as values */
	probe = set;
	CHECK_OK(tg_json_new_set(&A, &probe, 1, &set));
	CHECK(tg_json_set_has(set, probe));
}

/* ======================= order ======================= */

static int sgn(int x)
{
	return (x > 0) - (x < 0);
}

TEST(order_types)
{
	/* null < boolean < number < string < array < object < set (OPA) */
	const struct tg_json *v[8], *setv, *empty_set;
	size_t i, j;
	v[0] = &tg_json_null_v;
	v[1] = &tg_json_false_v;
	v[2] = &tg_json_true_v;
	v[3] = P("-1e999");
	v[4] = P("\"\"");
	v[5] = &tg_json_empty_array_v;
	v[6] = &tg_json_empty_object_v;
	CHECK_OK(tg_json_new_set(&A, NULL, 0, &empty_set));
	v[7] = empty_set;
	for (i = 0; i < 8; i++)
		for (j = 0; j < 8; j++)
			CHECK(sgn(tg_json_cmp(v[i], v[j])) == (i < j ? -1 : i > j));
	/* a "big" value of a lower type is still smaller */
	CHECK(tg_json_cmp(&tg_json_true_v, P("-1")) < 0);
	CHECK(tg_json_cmp(P("1e400"), P("\"\"")) < 0);
	CHECK(tg_json_cmp(P("\"\xf4\x8f\xbf\xbf\""), P("[]")) < 0);
	CHECK(tg_json_cmp(P("[[[[{}]]]]"), P("{}")) < 0);
	setv = P("{\"a\":[1,2,3]}");
	CHECK(tg_json_cmp(setv, empty_set) < 0);
	CHECK(strcmp(tg_json_type_name(TG_JSON_NULL), "null") == 0);
	CHECK(strcmp(tg_json_type_name(TG_JSON_BOOL), "boolean") == 0);
	CHECK(strcmp(tg_json_type_name(TG_JSON_NUMBER), "number") == 0);
	CHECK(strcmp(tg_json_type_name(TG_JSON_STRING), "string") == 0);
	CHECK(strcmp(tg_json_type_name(TG_JSON_ARRAY), "array") == 0);
	CHECK(strcmp(tg_json_type_name(TG_JSON_OBJECT), "object") == 0);
	CHECK(strcmp(tg_json_type_name(TG_JSON_SET), "set") == 0);
}

/* Exact decimal comparison; expected signs from python3
 * decimal.Decimal(a).compare(Decimal(b)). */
TEST(order_numbers)
{
	static const struct {
		const char *a, *b;
		int want;
	} t[] = {
		{"1", "1.0", 0},
		{"1", "1e0", 0},
		{"1", "10e-1", 0},
		{"1", "0.1e1", 0},
		{"-0", "0", 0},
		{"-0.0", "0e5", 0},
		{"0", "-0e-5", 0},
		{"123456789012345678901234567890", "123456789012345678901234567891", -1},
		{"123456789012345678901234567890", "1.2345678901234567890123456789e29", 0},
		{"123456789012345678901234567890", "123456789012345678901234567890.0000000000000000001", -1},
		{"-123456789012345678901234567890", "-123456789012345678901234567891", 1},
		{"1e400", "1e401", -1},
		{"1e400", "9.99e399", 1},
		{"-1e400", "1", -1},
		{"1e-400", "0", 1},
		{"-1e-400", "0", -1},
		{"-1e-400", "-2e-400", 1},
		{"2", "10", -1},
		{"9", "10", -1},
		{"0.9", "1", -1},
		{"-0.9", "-1", 1},
		{"1.5", "1.49999999999999999999999", 1},
		{"100", "1e2", 0},
		{"100", "1E+2", 0},
		{"12.5e1", "125", 0},
		{"1250e-1", "125", 0},
		{"0.000125e6", "125", 0},
		{"125.0000", "125", 0},
		{"-5", "5", -1},
		{"-5", "-4", -1},
		{"9007199254740993", "9007199254740992", 1},
		{"0.1", "0.10000000000000001", -1},
		{"1e-7", "0.0000001", 0},
		{"3", "3.0000000000000000000000000000000000000000001", -1},
		{"1e999999999", "1e999999998", 1},
		{"-1e-999999999", "0", -1},
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(t); i++) {
		const struct tg_json *a = P(t[i].a), *b = P(t[i].b);
		int c1, c2, c3;
		if (!a || !b) {
			CHECK(a && b);
			continue;
		}
		c1 = sgn(tg_json_cmp(a, b));
		c2 = sgn(tg_json_cmp(b, a));
		c3 = sgn(tg_json_numlit_cmp(t[i].a, strlen(t[i].a), t[i].b, strlen(t[i].b)));
		if (c1 != t[i].want || c2 != -t[i].want || c3 != t[i].want)
			fprintf(stderr, "  cmp(%s, %s) = %d/%d/%d, want %d\n", t[i].a, t[i].b, c1,
				-c2, c3, t[i].want);
		CHECK(c1 == t[i].want && c2 == -t[i].want && c3 == t[i].want);
	}
}

/* Random literals: the order agrees with the order of their doubles where
 * those differ (rounding is monotonic), and rewriting a literal with a
 * shifted point and compensating exponent never changes its value. */
TEST(order_numbers_random)
{
	int iter, ok_mono = 1, ok_eq = 1;
	for (iter = 0; iter < 20000; iter++) {
		char a[64], b[64], c[80];
		int da = (int)(rng() % 12) + 1, ea = (int)(rng() % 60) - 30;
		int db = (int)(rng() % 12) + 1, eb = (int)(rng() % 60) - 30;
		uint64_t ma = rng() % 1000000000000ull, mb = rng() % 1000000000000ull;
		int shift = (int)(rng() % 10);
		int cmpv, mlen;
		double xa, xb;
		const struct tg_json *va, *vb, *vc;
		snprintf(a, sizeof(a), "%s%llu.%0*llue%d", (rng() & 1) ? "-" : "",
			 (unsigned long long)(ma % 1000), da, (unsigned long long)(ma % 1000000),
			 ea);
		snprintf(b, sizeof(b), "%s%llue%d", (rng() & 1) ? "-" : "",
			 (unsigned long long)mb, eb + db - 12);
		va = P(a);
		vb = P(b);
		if (!va || !vb) {
			ok_mono = 0;
			continue;
		}
		xa = strtod(a, NULL);
		xb = strtod(b, NULL);
		cmpv = tg_json_cmp(va, vb);
		if ((xa < xb && cmpv >= 0) || (xa > xb && cmpv <= 0))
			ok_mono = 0;
		if (sgn(cmpv) != -sgn(tg_json_cmp(vb, va)))
			ok_mono = 0;
		/* b = mb x 10^E equals (mb x 10^shift) with zeros x 10^(E-shift)
		 * and (mb / 10^shift as a decimal fraction) x 10^(E+shift) */
		if (mb == 0)
			continue; /* "00..." would not be a valid literal */
		snprintf(c, sizeof(c), "%s%llu%0*de%d", b[0] == '-' ? "-" : "",
			 (unsigned long long)mb, shift + 1, 0, eb + db - 12 - shift - 1);
		vc = P(c);
		if (!vc || tg_json_cmp(vb, vc) != 0)
			ok_eq = 0;
		/* 0.000D x 10^(E + 3 + digits(D)) == D x 10^E */
		mlen = snprintf(c, sizeof(c), "%llu", (unsigned long long)mb);
		snprintf(c, sizeof(c), "%s0.000%llue%d", b[0] == '-' ? "-" : "",
			 (unsigned long long)mb, eb + db - 12 + 3 + mlen);
		vc = P(c);
		if (!vc || tg_json_cmp(vb, vc) != 0)
			ok_eq = 0;
	}
	CHECK(ok_mono);
	CHECK(ok_eq);
}

TEST(order_strings_arrays_objects)
{
	/* strings byte-wise (UTF-8 order = code point order) */
	CHECK(tg_json_cmp(P("\"a\""), P("\"b\"")) < 0);
	CHECK(tg_json_cmp(P("\"Z\""), P("\"a\"")) < 0);
	CHECK(tg_json_cmp(P("\"\""), P("\"a\"")) < 0);
	CHECK(tg_json_cmp(P("\"ab\""), P("\"a\"")) > 0);
	CHECK(tg_json_cmp(P("\"a\\u0000\""), P("\"a\"")) > 0);
	CHECK(tg_json_cmp(P("\"\\u00e9\""), P("\"z\"")) > 0);
	CHECK(tg_json_cmp(P("\"\\uffff\""), P("\"\\ud83d\\ude00\"")) < 0); /* not UTF-16 */
	CHECK(tg_json_cmp(P("\"\\u0080\""), P("\"\\u007f\"")) > 0); /* unsigned bytes */
	CHECK(tg_json_cmp(P("\"abc\""), P("\"a\\u0062c\"")) == 0);
	/* arrays element-wise, then by length */
	CHECK(tg_json_cmp(P("[1,2]"), P("[1,3]")) < 0);
	CHECK(tg_json_cmp(P("[1]"), P("[1,0]")) < 0);
	CHECK(tg_json_cmp(P("[2]"), P("[1,5]")) > 0);
	CHECK(tg_json_cmp(P("[]"), P("[null]")) < 0);
	CHECK(tg_json_cmp(P("[1,[2,\"x\"]]"), P("[1.0,[2e0,\"x\"]]")) == 0);
	CHECK(tg_json_cmp(P("[null]"), P("[false]")) < 0);
	/* objects by sorted (key, value) pairs, then size */
	CHECK(tg_json_cmp(P("{\"a\":1}"), P("{\"a\":2}")) < 0);
	CHECK(tg_json_cmp(P("{\"a\":1}"), P("{\"b\":0}")) < 0);
	CHECK(tg_json_cmp(P("{\"a\":1}"), P("{\"a\":1,\"b\":1}")) < 0);
	CHECK(tg_json_cmp(P("{\"a\":1,\"b\":1}"), P("{\"b\":0}")) < 0);
	CHECK(tg_json_cmp(P("{\"b\":1,\"a\":2}"), P("{\"a\":2.0,\"b\":1e0}")) == 0);
	CHECK(tg_json_cmp(P("{}"), P("{\"\":null}")) < 0);
	/* equality is reflexive on fresh copies and the shared singletons */
	CHECK(tg_json_eq(P("[]"), &tg_json_empty_array_v));
	CHECK(tg_json_eq(P("{}"), &tg_json_empty_object_v));
	CHECK(tg_json_eq(P("null"), &tg_json_null_v));
	CHECK(!tg_json_eq(P("0"), &tg_json_false_v));
	/* sets by sorted elements, then size */
	{
		const struct tg_json *x[3], *s1, *s2, *s3;
		x[0] = P("3");
		x[1] = P("1");
		CHECK_OK(tg_json_new_set(&A, x, 2, &s1)); /* {1,3} */
		x[0] = P("2");
		CHECK_OK(tg_json_new_set(&A, x, 1, &s2)); /* {2} */
		x[0] = P("1");
		x[1] = P("3.0");
		x[2] = P("4");
		CHECK_OK(tg_json_new_set(&A, x, 3, &s3)); /* {1,3,4} */
		CHECK(tg_json_cmp(s1, s2) < 0);
		CHECK(tg_json_cmp(s1, s3) < 0);
		CHECK(tg_json_cmp(s3, s2) < 0);
		x[0] = P("3e0");
		x[1] = P("1.0");
		CHECK_OK(tg_json_new_set(&A, x, 2, &s2));
		CHECK(tg_json_eq(s1, s2));
	}
}

/* The order is a total order: sorting random values by it leaves every
 * adjacent pair consistent, and cmp is antisymmetric. */
TEST(order_total_random)
{
	static const char *const pool[] = {
		"null", "false", "true", "0", "-0", "1", "1.0", "-2.5", "1e2", "100", "\"\"",
		"\"a\"", "\"b\"", "\"\\u00e9\"", "[]", "[1]", "[1,2]", "[null]", "{}",
		"{\"a\":1}", "{\"a\":1.0}", "{\"a\":[]}", "{\"b\":null}", "[[1]]", "[{}]",
	};
	const struct tg_json *v[TG_ARRAY_LEN(pool)];
	size_t i, j, k, n = TG_ARRAY_LEN(pool);
	int ok = 1;
	for (i = 0; i < n; i++) {
		v[i] = P(pool[i]);
		if (!v[i])
			return;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			int c = sgn(tg_json_cmp(v[i], v[j]));
			if (c != -sgn(tg_json_cmp(v[j], v[i])))
				ok = 0;
			for (k = 0; k < n; k++) /* transitivity */
				if (c <= 0 && sgn(tg_json_cmp(v[j], v[k])) <= 0 &&
				    tg_json_cmp(v[i], v[k]) > 0)
					ok = 0;
		}
	}
	CHECK(ok);
}

/* ======================= numbers ======================= */

TEST(num_i64)
{
	static const struct {
		const char *lit;
		tg_err e;
		int64_t v;
	} t[] = {
		{"0", TG_OK, 0},
		{"-0", TG_OK, 0},
		{"-0.0e7", TG_OK, 0},
		{"42", TG_OK, 42},
		{"-42", TG_OK, -42},
		{"1e3", TG_OK, 1000},
		{"1E+3", TG_OK, 1000},
		{"10.0", TG_OK, 10},
		{"12.50e1", TG_OK, 125},
		{"0.5e1", TG_OK, 5},
		{"100e-2", TG_OK, 1},
		{"1E-0", TG_OK, 1},
		{"9223372036854775807", TG_OK, INT64_MAX},
		{"-9223372036854775808", TG_OK, INT64_MIN},
		{"9.223372036854775807e18", TG_OK, INT64_MAX},
		{"-92233720368547758.08e2", TG_OK, INT64_MIN},
		{"1.5", TG_E_TYPE, 0},
		{"0.1", TG_E_TYPE, 0},
		{"1e-2", TG_E_TYPE, 0},
		{"-0.5", TG_E_TYPE, 0},
		{"1.0000000000000000000000001", TG_E_TYPE, 0},
		{"9223372036854775808", TG_E_RANGE, 0},
		{"-9223372036854775809", TG_E_RANGE, 0},
		{"1e19", TG_E_RANGE, 0},
		{"1e30", TG_E_RANGE, 0},
		{"123456789012345678901234567890", TG_E_RANGE, 0},
		{"-1e400", TG_E_RANGE, 0},
		{"18446744073709551616", TG_E_RANGE, 0},
		{"18446744073709551615", TG_E_RANGE, 0},
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(t); i++) {
		const struct tg_json *v = P(t[i].lit);
		int64_t got = 12345;
		tg_err r = v ? tg_json_num_i64(v, &got) : TG_E_INTERNAL;
		int ok = r == t[i].e && (r != TG_OK ? got == 12345 : got == t[i].v);
		if (!ok)
			fprintf(stderr, "  num_i64(%s) = %s %lld\n", t[i].lit, tg_errname(r),
				(long long)got);
		CHECK(ok);
	}
	{
		int64_t got;
		CHECK_ERR(tg_json_num_i64(P("\"1\""), &got), TG_E_TYPE);
		CHECK_ERR(tg_json_num_i64(&tg_json_null_v, &got), TG_E_TYPE);
		CHECK_ERR(tg_json_num_i64(NULL, &got), TG_E_TYPE);
	}
}

TEST(num_double)
{
	double x = 7;
	CHECK_OK(tg_json_num_double(P("1.5"), &x));
	CHECK(x == 1.5);
	CHECK_OK(tg_json_num_double(P("-0"), &x));
	CHECK(x == 0 && signbit(x));
	CHECK_OK(tg_json_num_double(P("1e-400"), &x)); /* underflow rounds to 0 */
	CHECK(x == 0);
	CHECK_OK(tg_json_num_double(P("1.7976931348623157e308"), &x));
	CHECK(x == 1.7976931348623157e308);
	CHECK_OK(tg_json_num_double(P("9007199254740993"), &x));
	CHECK(x == 9007199254740992.0); /* ties to even */
	x = 7;
	CHECK_ERR(tg_json_num_double(P("1e400"), &x), TG_E_RANGE);
	CHECK_ERR(tg_json_num_double(P("-1.8e308"), &x), TG_E_RANGE);
	CHECK(x == 7);
	CHECK_ERR(tg_json_num_double(P("\"1\""), &x), TG_E_TYPE);
}

TEST(numlit_valid)
{
	static const char *const good[] = {"0", "-0", "1", "-1", "10", "0.0", "1.25", "-0.5",
					   "1e5", "1E5", "1e+5", "1e-5", "1.5E-05", "0e0",
					   "123456789012345678901234567890"};
	static const char *const bad[] = {"", "-", "+1", "01", "-01", "1.", ".5", "1e",
					  "1e+", "e5", "1.5.5", "1e5e5", "0x1", " 1", "1 ",
					  "NaN", "Infinity", "1,0", "--1", "1ee5"};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(good); i++)
		CHECK(tg_json_numlit_valid(good[i], strlen(good[i])));
	for (i = 0; i < TG_ARRAY_LEN(bad); i++) {
		if (tg_json_numlit_valid(bad[i], strlen(bad[i])))
			fprintf(stderr, "  numlit_valid accepted '%s'\n", bad[i]);
		CHECK(!tg_json_numlit_valid(bad[i], strlen(bad[i])));
	}
	CHECK(!tg_json_numlit_valid("12", 0));
	CHECK(tg_json_numlit_valid("12x", 2)); /* length-bounded */
}

/* ======================= builders ======================= */

TEST(builders)
{
	const struct tg_json *k[3], *val[3], *obj, *arr, *set, *x, *items[5];
	struct tg_json_member m[3];
	const struct tg_json *src[2];

	CHECK_OK(tg_json_new_string(&A, "b", 1, &k[0]));
	CHECK_OK(tg_json_new_string(&A, "a", 1, &k[1]));
	CHECK_OK(tg_json_new_string(&A, "b", 1, &k[2]));
	CHECK_OK(tg_json_new_int(&A, 1, &val[0]));
	CHECK_OK(tg_json_new_int(&A, 2, &val[1]));
	CHECK_OK(tg_json_new_int(&A, 3, &val[2]));
	for (int i = 0; i < 3; i++) {
		m[i].key = k[i];
		m[i].val = val[i];
	}
	/* sorts and keeps the last duplicate */
	CHECK_OK(tg_json_new_object(&A, m, 3, TG_JSON_DUP_LAST, &obj));
	CHECK_STR(emit(obj, 0), "{\"a\":2,\"b\":3}");
	CHECK(obj->pos == 0);
	/* or refuses duplicates */
	obj = NULL;
	CHECK_ERR(tg_json_new_object(&A, m, 3, TG_JSON_DUP_REJECT, &obj), TG_E_DUPKEY);
	CHECK(obj == NULL);
	CHECK_OK(tg_json_new_object(&A, m, 2, TG_JSON_DUP_REJECT, &obj));
	CHECK_STR(emit(obj, 0), "{\"a\":2,\"b\":1}");
	/* the caller's member array is copied and not reordered */
	CHECK(m[0].key == k[0] && m[1].key == k[1] && m[2].key == k[2]);
	CHECK_OK(tg_json_new_object(&A, NULL, 0, TG_JSON_DUP_REJECT, &obj));
	CHECK(obj->type == TG_JSON_OBJECT && obj->u.o.len == 0);
	CHECK_STR(emit(obj, 0), "{}");

	/* Rego objects: any value as key, sorted by the total order */
	items[0] = P("\"x\"");
	items[1] = P("2");
	items[2] = P("1");
	items[3] = &tg_json_null_v;
	items[4] = P("[0]");
	{
		struct tg_json_member rm[5];
		for (int i = 0; i < 5; i++) {
			rm[i].key = items[i];
			rm[i].val = &tg_json_true_v;
		}
		CHECK_OK(tg_json_new_object(&A, rm, 5, TG_JSON_DUP_REJECT, &obj));
		CHECK(obj->u.o.len == 5);
		CHECK(obj->u.o.items[0].key->type == TG_JSON_NULL);
		CHECK(tg_json_eq(obj->u.o.items[1].key, P("1")));
		CHECK(tg_json_eq(obj->u.o.items[2].key, P("2")));
		CHECK(tg_json_str_eq(obj->u.o.items[3].key, "x"));
		CHECK(obj->u.o.items[4].key->type == TG_JSON_ARRAY);
		CHECK(tg_json_get_value(obj, P("2.0")) == &tg_json_true_v);
		CHECK(tg_json_get_value(obj, P("3")) == NULL);
		CHECK(tg_json_get(obj, "x") == &tg_json_true_v);
		/* keys equal by value are duplicates */
		rm[0].key = P("1.0");
		CHECK_ERR(tg_json_new_object(&A, rm, 5, TG_JSON_DUP_REJECT, &obj), TG_E_DUPKEY);
	}

	/* arrays copy the pointer array */
	src[0] = val[0];
	src[1] = val[1];
	CHECK_OK(tg_json_new_array(&A, src, 2, &arr));
	src[0] = val[2];
	CHECK_STR(emit(arr, 0), "[1,2]");
	CHECK_OK(tg_json_new_array(&A, NULL, 0, &arr));
	CHECK_STR(emit(arr, 0), "[]");

	/* sets sort and collapse equal values (1 == 1.0 == 1e0) */
	items[0] = P("3");
	items[1] = P("1");
	items[2] = P("1.0");
	items[3] = P("1e0");
	items[4] = P("\"s\"");
	CHECK_OK(tg_json_new_set(&A, items, 5, &set));
	CHECK(set->type == TG_JSON_SET && set->u.a.len == 3);
	CHECK(tg_json_eq(set->u.a.items[0], P("1")));
	CHECK(tg_json_eq(set->u.a.items[1], P("3")));
	CHECK(tg_json_str_eq(set->u.a.items[2], "s"));
	CHECK_OK(tg_json_new_set(&A, NULL, 0, &set));
	CHECK(set->type == TG_JSON_SET && set->u.a.len == 0);

	/* strings must be valid UTF-8; NUL is fine */
	CHECK_OK(tg_json_new_string(&A, "a\0b", 3, &x));
	CHECK(x->u.s.len == 3 && x->u.s.p[3] == '\0');
	CHECK_ERR(tg_json_new_string(&A, "\xff", 1, &x), TG_E_ENCODING);
	CHECK_ERR(tg_json_new_string(&A, "\xed\xa0\x80", 3, &x), TG_E_ENCODING);
	CHECK_ERR(tg_json_new_string(&A, "\xc3", 1, &x), TG_E_ENCODING);

	/* numbers must follow RFC 8259 6 */
	CHECK_OK(tg_json_new_number(&A, "1.50", 4, &x));
	CHECK(strcmp(x->u.s.p, "1.50") == 0 && !(x->flags & TG_JSON_F_INTLIT));
	CHECK_OK(tg_json_new_number(&A, "-7", 2, &x));
	CHECK(x->flags & TG_JSON_F_INTLIT);
	CHECK_OK(tg_json_new_number(&A, "7e0", 3, &x));
	CHECK(!(x->flags & TG_JSON_F_INTLIT));
	CHECK_OK(tg_json_new_number(&A, "12345", 3, &x)); /* length-bounded */
	CHECK(x->u.s.len == 3 && strcmp(x->u.s.p, "123") == 0);
	CHECK_ERR(tg_json_new_number(&A, "01", 2, &x), TG_E_PARSE);
	CHECK_ERR(tg_json_new_number(&A, "1e", 2, &x), TG_E_PARSE);
	CHECK_ERR(tg_json_new_number(&A, "NaN", 3, &x), TG_E_PARSE);
	CHECK_ERR(tg_json_new_number(&A, "", 0, &x), TG_E_PARSE);
	CHECK_ERR(tg_json_new_number(&A, " 1", 2, &x), TG_E_PARSE);

	CHECK_OK(tg_json_new_int(&A, INT64_MIN, &x));
	CHECK(strcmp(x->u.s.p, "-9223372036854775808") == 0 && (x->flags & TG_JSON_F_INTLIT));
	CHECK_OK(tg_json_new_int(&A, INT64_MAX, &x));
	CHECK(strcmp(x->u.s.p, "9223372036854775807") == 0);
	CHECK_OK(tg_json_new_int(&A, 0, &x));
	CHECK(strcmp(x->u.s.p, "0") == 0);
	{
		int64_t back;
		CHECK_OK(tg_json_new_int(&A, INT64_MIN, &x));
		CHECK_OK(tg_json_num_i64(x, &back));
		CHECK(back == INT64_MIN);
	}
}

TEST(builders_cap)
{
	struct tg_arena small;
	const struct tg_json *x = NULL;
	char big[200];
	memset(big, 'a', sizeof(big));
	tg_arena_init(&small, 128);
	CHECK_ERR(tg_json_new_string(&small, big, sizeof(big), &x), TG_E_TOOBIG);
	CHECK(x == NULL);
	CHECK_ERR(tg_json_new_number(&small, "1234567890123456789012345678901234567890"
					     "1234567890123456789012345678901234567890"
					     "1234567890123456789012345678901234567890"
					     "1234567890",
				     130, &x),
		  TG_E_TOOBIG);
	CHECK(tg_arena_used(&small) <= 128);
	tg_arena_release(&small);
}

/* ======================= canonical form (RFC 8785) ======================= */

TEST(canon_inline)
{
	CHECK_STR(canon_of("{\"b\": 1, \"a\": [true, null, \"x\"]}"),
		  "{\"a\":[true,null,\"x\"],\"b\":1}");
	CHECK_STR(canon_of("[1.0, 1e0, -0, 0.000001, 1e-7, 1e21, 1e20]"),
		  "[1,1,0,0.000001,1e-7,1e+21,100000000000000000000]");
	CHECK_STR(canon_of("\"\\u00e9\\/\\u007f\\u001f\""), "\"\xc3\xa9/\x7f\\u001f\"");
	CHECK_STR(canon_of("{}"), "{}");
	CHECK_STR(canon_of("[]"), "[]");
	/* numbers outside the double range cannot be canonicalised */
	CHECK_STR(canon_of("[1e400]"), "TG_E_RANGE");
	CHECK_STR(canon_of("{\"a\":-1.8e308}"), "TG_E_RANGE");
	CHECK_STR(canon_of("1.7976931348623157e308"), "1.7976931348623157e+308");
	/* canonical output is a fixed point */
	{
		const char *c = "{\"\":[0.5,\"\\u0000\"],\"a\":{\"\xef\xbf\xbf\":1,\"\xf0\x9f\x98\x80\":2}}";
		CHECK_STR(canon_of(c), "{\"\":[0.5,\"\\u0000\"],\"a\":{\"\xf0\x9f\x98\x80\":2,\"\xef\xbf\xbf\":1}}");
		CHECK_STR(canon_of(canon_of(c)), "{\"\":[0.5,\"\\u0000\"],\"a\":{\"\xf0\x9f\x98\x80\":2,\"\xef\xbf\xbf\":1}}");
	}
}

static const char *data_dir(char *buf, size_t n, const char *sub)
{
	const char *root = getenv("TG_SOURCE_DIR");
	const char *file = __FILE__, *slash;
	if (root && *root) {
		snprintf(buf, n, "%s/tests/data/%s", root, sub);
		return buf;
	}
	/* outside CTest: find tests/data next to this source file */
	slash = strrchr(file, '/');
	if (!slash)
		return NULL;
	snprintf(buf, n, "%.*s/../data/%s", (int)(slash - file), file, sub);
	return buf;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every tests/data/json/canon/<name>.json must canonicalise to exactly the
 * bytes of <name>.canon (one trailing newline in the file is ignored: JCS
 * output never ends with one). The .canon text is itself canonical. */
TEST(canon_files)
{
	char dir[4096], path[4200];
	DIR *dp;
	struct dirent *de;
	char *names[256];
	size_t count = 0, i;

	if (!data_dir(dir, sizeof(dir), "json/canon") || !(dp = opendir(dir))) {
		fprintf(stderr, "  cannot open the canon cases in %s\n", dir);
		CHECK(0);
		return;
	}
	while ((de = readdir(dp)) != NULL && count < TG_ARRAY_LEN(names)) {
		size_t len = strlen(de->d_name);
		if (len > 5 && strcmp(de->d_name + len - 5, ".json") == 0)
			names[count++] = tg_xstrndup(de->d_name, len - 5);
	}
	closedir(dp);
	qsort(names, count, sizeof(names[0]), name_cmp);
	CHECK(count >= 8);
	for (i = 0; i < count; i++) {
		char *in, *want;
		size_t inlen, wantlen;
		const struct tg_json *v = NULL, *v2 = NULL;
		struct tg_diag d;
		struct tg_buf b = TG_BUF_INIT(1 << 24), b2 = TG_BUF_INIT(1 << 24);
		int ok, all = 1;
		snprintf(path, sizeof(path), "%s/%s.json", dir, names[i]);
		in = tg_test_read_file(path, &inlen);
		snprintf(path, sizeof(path), "%s/%s.canon", dir, names[i]);
		want = tg_test_read_file(path, &wantlen);
		if (wantlen && want[wantlen - 1] == '\n')
			want[--wantlen] = '\0';
		tg_diag_init(&d);
		ok = tg_json_parse(&A, in, inlen, NULL, &v, NULL, &d) == TG_OK &&
		     tg_json_canon(&b, v) == TG_OK && b.len == wantlen &&
		     memcmp(b.data, want, wantlen) == 0;
		if (!ok) {
			size_t at = 0;
			while (at < b.len && at < wantlen && b.data && b.data[at] == (uint8_t)want[at])
				at++;
			fprintf(stderr, "  canon %s: differs at byte %zu (%s)\n    got  ...%.60s\n    want ...%.60s\n",
				names[i], at, d.msg, b.data ? (const char *)b.data + at : "",
				want + (at < wantlen ? at : wantlen));
		}
		CHECK(ok);
		all = ok;
		/* idempotent */
		ok = tg_json_parse(&A, want, wantlen, NULL, &v2, NULL, NULL) == TG_OK &&
		     tg_json_canon(&b2, v2) == TG_OK && b2.len == wantlen &&
		     memcmp(b2.data, want, wantlen) == 0;
		if (!ok)
			fprintf(stderr, "  canon %s: the .canon text is not a fixed point\n", names[i]);
		CHECK(ok);
		fprintf(stderr, "  canon %-36s %s\n", names[i], all && ok ? "ok" : "FAILED");
		tg_buf_release(&b);
		tg_buf_release(&b2);
		free(in);
		free(want);
		free(names[i]);
	}
}

/* Counts the significant digits of a decimal number string (leading and
 * trailing zeros of the digit string, sign and exponent aside). */
static int sig_digits(const char *s)
{
	char dig[64];
	int k = 0, i = 0;
	for (; *s && *s != 'e' && *s != 'E'; s++)
		if (*s >= '0' && *s <= '9' && k < (int)sizeof(dig))
			dig[k++] = *s;
	while (i < k && dig[i] == '0')
		i++;
	while (k > i && dig[k - 1] == '0')
		k--;
	return k - i;
}

/* True when some decimal of k significant digits rounds to x: the only
 * candidates are the two k-digit neighbours of x, which are the correctly
 * rounded one and the one a unit away on the other side. */
static int roundtrips_with(double x, int k)
{
	char s[64], m[32];
	int i, delta, exp10;
	uint64_t mant = 0;
	char *e;
	snprintf(s, sizeof(s), "%.*e", k - 1, x);
	e = strchr(s, 'e');
	exp10 = (int)strtol(e + 1, NULL, 10) - (k - 1);
	for (i = 0; s + i < e; i++)
		if (s[i] >= '0' && s[i] <= '9')
			mant = mant * 10 + (uint64_t)(s[i] - '0');
	for (delta = -1; delta <= 1; delta++) {
		snprintf(m, sizeof(m), "%llue%d", (unsigned long long)(mant + (uint64_t)(int64_t)delta),
			 exp10);
		if (strtod(m, NULL) == x)
			return 1;
	}
	return 0;
}

static int check_double(double x, const char **why)
{
	struct tg_buf b = TG_BUF_INIT(64);
	char g17[40];
	int k, ok = 1, k17;
	*why = "";
	if (tg_json_format_double(&b, x) != TG_OK) {
		*why = "format failed";
		tg_buf_release(&b);
		return 0;
	}
	if (strtod(tg_buf_str(&b), NULL) != x) {
		*why = "does not round-trip";
		ok = 0;
	}
	k = sig_digits(tg_buf_str(&b));
	snprintf(g17, sizeof(g17), "%.17g", fabs(x));
	k17 = sig_digits(g17);
	if (ok && (k > 17 || k > k17)) {
		*why = "more digits than %.17g";
		ok = 0;
	}
	if (ok && k > 1 && roundtrips_with(fabs(x), k - 1)) {
		*why = "not the shortest";
		ok = 0;
	}
	if (!ok)
		fprintf(stderr, "  format_double(%.17g) = %s: %s\n", x, tg_buf_str(&b), *why);
	tg_buf_release(&b);
	return ok;
}

/* Random doubles of every magnitude: the output parses back to the same
 * double, has no more digits than %.17g, and no decimal with one digit
 * fewer would round-trip (ECMA-262 Number::toString: k is minimal). */
TEST(format_double_random)
{
	int i, ok = 1, bad = 0;
	const char *why;
	for (i = 0; i < 5000 && bad < 10; i++) {
		uint64_t bits = rng();
		double x;
		memcpy(&x, &bits, sizeof(x));
		if (!isfinite(x))
			continue;
		if (!check_double(x, &why)) {
			ok = 0;
			bad++;
		}
	}
	/* every power of two: the edge where the rounding interval is lopsided */
	for (i = -1074; i <= 1023 && bad < 20; i++)
		if (!check_double(ldexp(1.0, i), &why)) {
			ok = 0;
			bad++;
		}
	/* short decimals, subnormals, extremes */
	{
		static const double xs[] = {0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, 1e21, 1e-7, 123e-20,
					    5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
					    9007199254740993.0, 4.35, 0.000001, 1e23};
		size_t j;
		for (j = 0; j < TG_ARRAY_LEN(xs); j++)
			if (!check_double(xs[j], &why) || !check_double(-xs[j], &why))
				ok = 0;
	}
	CHECK(ok);
}

TEST(format_double_layout)
{
	struct tg_buf b = TG_BUF_INIT(1000);
	/* ECMA-262 Number::toString, values checked with node's String(x) */
	static const struct {
		double x;
		const char *s;
	} t[] = {
		{0.0, "0"}, {-0.0, "0"}, {1.0, "1"}, {-1.5, "-1.5"}, {100.0, "100"},
		{1e20, "100000000000000000000"}, {1e21, "1e+21"}, {1.5e21, "1.5e+21"},
		{123456789012345680000.0, "123456789012345680000"}, {0.000001, "0.000001"},
		{1e-7, "1e-7"}, {1.2e-7, "1.2e-7"}, {0.00001234, "0.00001234"},
		{5e-324, "5e-324"}, {-5e-324, "-5e-324"}, {1.7976931348623157e308, "1.7976931348623157e+308"},
		{0.1, "0.1"}, {0.30000000000000004, "0.30000000000000004"}, {1e23, "1e+23"},
		{123.456, "123.456"}, {-0.000001, "-0.000001"},
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(t); i++) {
		tg_buf_reset(&b);
		CHECK_OK(tg_json_format_double(&b, t[i].x));
		CHECK_STR(tg_buf_str(&b), t[i].s);
	}
	tg_buf_reset(&b);
	CHECK_OK(tg_buf_adds(&b, "x"));
	CHECK_ERR(tg_json_format_double(&b, NAN), TG_E_RANGE);
	CHECK_ERR(tg_json_format_double(&b, INFINITY), TG_E_RANGE);
	CHECK_ERR(tg_json_format_double(&b, -INFINITY), TG_E_RANGE);
	CHECK_STR(tg_buf_str(&b), "x");
	tg_buf_release(&b);
}

/* tg_json_add_string: the same escapes as tg_json_emit, read back by the
 * parser; bytes that are not UTF-8 refused with out unchanged. */
TEST(add_string)
{
	static const char raw[] = "a\"b\\c\n\t\x01\x7f \xc3\xa9 \xf0\x9f\x98\x80 </script>";
	struct tg_buf b = TG_BUF_INIT(1024);
	struct tg_arena a;
	const struct tg_json *v = NULL;
	tg_arena_init(&a, 1 << 16);
	CHECK_OK(tg_buf_adds(&b, "x"));
	CHECK_OK(tg_json_add_string(&b, raw, sizeof(raw) - 1));
	CHECK(b.len > 1 && b.data[1] == '"' && b.data[b.len - 1] == '"');
	CHECK(memchr(b.data, '\n', b.len) == NULL && memchr(b.data, 0x01, b.len) == NULL);
	CHECK_OK(tg_json_parse(&a, b.data + 1, b.len - 1, NULL, &v, NULL, NULL));
	CHECK(v && v->type == TG_JSON_STRING && v->u.s.len == sizeof(raw) - 1 &&
	      memcmp(v->u.s.p, raw, sizeof(raw) - 1) == 0);
	tg_buf_reset(&b);
	CHECK_ERR(tg_json_add_string(&b, "ok\xff", 3), TG_E_ENCODING);
	CHECK(b.len == 0);
	CHECK_OK(tg_json_add_string(&b, "", 0));
	CHECK(b.len == 2 && memcmp(b.data, "\"\"", 2) == 0);
	tg_buf_release(&b);
	tg_arena_release(&a);
}

int main(void)
{
	tg_arena_init(&A, 256 * TG_MIB);
	RUN(parse_types);
	RUN(parse_escapes);
	RUN(parse_surrogates_rejected);
	RUN(parse_rejects);
	RUN(parse_depth);
	RUN(parse_duplicates);
	RUN(parse_trailing);
	RUN(parse_diagnostics);
	RUN(parse_limits);
	RUN(emit_compact_pretty);
	RUN(emit_escapes);
	RUN(emit_errors);
	RUN(lookups);
	RUN(lookups_large);
	RUN(set_membership);
	RUN(order_types);
	RUN(order_numbers);
	RUN(order_numbers_random);
	RUN(order_strings_arrays_objects);
	RUN(order_total_random);
	RUN(num_i64);
	RUN(num_double);
	RUN(numlit_valid);
	RUN(builders);
	RUN(builders_cap);
	RUN(canon_inline);
	RUN(canon_files);
	RUN(format_double_random);
	RUN(format_double_layout);
	RUN(add_string);
	tg_arena_release(&A);
	return tg_test_done();
}
