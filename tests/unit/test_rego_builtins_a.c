/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_rego_builtins_a.c - the built-ins of the numbers, compare,
 * collections, encoding and misc tables, called through the table
 * (tg_rego_builtin_find) on values built with tg_json_parse.
 */

/*
 * Expected values come from OPA's documentation and conformance suite
 * (../shared/testdata/rego/opa-conformance), from Go's behaviour as
 * documented (strconv, encoding/json, net/url, encoding/base64), and for
 * float arithmetic from an independent Python model of Go's big.Float
 * (exact fractions, round-to-nearest-even at 64 bits, Go's shortest
 * formatting), run while writing these tests. Arguments are JSON with two
 * extensions: {"$set": [...]} is a set, {"$obj": [[k, v], ...]} an object
 * with any keys.
 */
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "rego/rego_builtin.h"
#include "tg_test.h"

static struct tg_arena A;
static uint64_t budget;
static void *cache;

static const struct tg_json *conv(const struct tg_json *v)
{
	size_t i;
	if (v->type == TG_JSON_OBJECT && v->u.o.len == 1 && tg_json_str_eq(v->u.o.items[0].key, "$set")) {
		const struct tg_json *a = v->u.o.items[0].val, *out = NULL;
		const struct tg_json **items = tg_arena_alloc_array(&A, a->u.a.len + 1, sizeof(*items));
		for (i = 0; i < a->u.a.len; i++)
			items[i] = conv(a->u.a.items[i]);
		if (tg_json_new_set(&A, items, a->u.a.len, &out) != TG_OK)
			abort();
		return out;
	}
	if (v->type == TG_JSON_OBJECT && v->u.o.len == 1 && tg_json_str_eq(v->u.o.items[0].key, "$obj")) {
		const struct tg_json *a = v->u.o.items[0].val, *out = NULL;
		struct tg_json_member *m = tg_arena_alloc_array(&A, a->u.a.len + 1, sizeof(*m));
		for (i = 0; i < a->u.a.len; i++) {
			m[i].key = conv(a->u.a.items[i]->u.a.items[0]);
			m[i].val = conv(a->u.a.items[i]->u.a.items[1]);
		}
		if (tg_json_new_object(&A, m, a->u.a.len, TG_JSON_DUP_LAST, &out) != TG_OK)
			abort();
		return out;
	}
	if (v->type == TG_JSON_ARRAY) {
		const struct tg_json **items = tg_arena_alloc_array(&A, v->u.a.len + 1, sizeof(*items));
		const struct tg_json *out = NULL;
		for (i = 0; i < v->u.a.len; i++)
			items[i] = conv(v->u.a.items[i]);
		if (tg_json_new_array(&A, items, v->u.a.len, &out) != TG_OK)
			abort();
		return out;
	}
	if (v->type == TG_JSON_OBJECT) {
		struct tg_json_member *m = tg_arena_alloc_array(&A, v->u.o.len + 1, sizeof(*m));
		const struct tg_json *out = NULL;
		for (i = 0; i < v->u.o.len; i++) {
			m[i].key = v->u.o.items[i].key;
			m[i].val = conv(v->u.o.items[i].val);
		}
		if (tg_json_new_object(&A, m, v->u.o.len, TG_JSON_DUP_LAST, &out) != TG_OK)
			abort();
		return out;
	}
	return v;
}

static const struct tg_json *J(const char *text)
{
	const struct tg_json *v = NULL;
	struct tg_diag d;
	tg_diag_init(&d);
	if (tg_json_parse(&A, text, strlen(text), NULL, &v, NULL, &d) != TG_OK) {
		fprintf(stderr, "bad test JSON %s: %s\n", text, d.msg);
		abort();
	}
	return conv(v);
}

/* Emits v compactly; sets as arrays. */
static const char *show(const struct tg_json *v)
{
	struct tg_buf b = TG_BUF_INIT(1 << 24);
	char *s;
	if (!v)
		return "(undefined)";
	if (tg_json_emit(&b, v, 0) != TG_OK) {
		tg_buf_release(&b);
		return "(unprintable)";
	}
	s = tg_arena_strndup(&A, tg_buf_str(&b), b.len);
	tg_buf_release(&b);
	return s;
}

static char last_msg[TG_DIAG_MSG_MAX];

/* Calls name with the elements of the JSON array args. */
static tg_err call(const char *name, const char *args, const struct tg_json **out)
{
	const struct tg_rego_builtin *b = tg_rego_builtin_find(name, strlen(name));
	const struct tg_json *a = J(args);
	struct tg_rego_bctx c;
	struct tg_diag d;
	tg_err rc;
	if (!b) {
		fprintf(stderr, "no built-in %s\n", name);
		return TG_E_NOTFOUND;
	}
	if (b->arity >= 0 && (size_t)b->arity != a->u.a.len) {
		fprintf(stderr, "%s: arity %d, test gives %zu\n", name, b->arity, a->u.a.len);
		return TG_E_INVAL;
	}
	tg_diag_init(&d);
	memset(&c, 0, sizeof(c));
	c.a = &A;
	c.d = &d;
	c.name = b->name;
	c.budget = &budget;
	c.cache = cache;
	*out = NULL;
	rc = b->fn(&c, a->u.a.items, a->u.a.len, out);
	memcpy(last_msg, d.msg, sizeof(last_msg));
	return rc;
}

#define EXPECT(name, args, want)                                                               \
	do {                                                                                   \
		const struct tg_json *o_;                                                      \
		tg_err rc_ = call(name, args, &o_);                                            \
		tg_test_checks++;                                                              \
		if (rc_ != TG_OK || !o_ || strcmp(show(o_), show(J(want))) != 0) {             \
			fprintf(stderr, "%s:%d: %s%s: got %s %s (%s), want %s\n", __FILE__,    \
				__LINE__, name, args, tg_errname(rc_), show(o_), last_msg, want); \
			tg_test_failures++;                                                    \
		}                                                                              \
	} while (0)

/* The result's literal text (numbers: exact digits as OPA prints them). */
#define EXPECT_NUM(name, args, want) EXPECT(name, args, want)

#define EXPECT_UNDEF(name, args)                                                               \
	do {                                                                                   \
		const struct tg_json *o_;                                                      \
		tg_err rc_ = call(name, args, &o_);                                            \
		tg_test_checks++;                                                              \
		if (rc_ != TG_OK || o_) {                                                      \
			fprintf(stderr, "%s:%d: %s%s: got %s %s, want undefined\n", __FILE__,  \
				__LINE__, name, args, tg_errname(rc_), show(o_));              \
			tg_test_failures++;                                                    \
		}                                                                              \
	} while (0)

/* An error: code want_rc and a message containing msg. */
#define EXPECT_ERR(name, args, want_rc, msg)                                                   \
	do {                                                                                   \
		const struct tg_json *o_;                                                      \
		tg_err rc_ = call(name, args, &o_);                                            \
		tg_test_checks++;                                                              \
		if (rc_ != (want_rc) || !strstr(last_msg, msg)) {                              \
			fprintf(stderr, "%s:%d: %s%s: got %s \"%s\", want %s \"%s\"\n",        \
				__FILE__, __LINE__, name, args, tg_errname(rc_), last_msg,     \
				tg_errname(want_rc), msg);                                     \
			tg_test_failures++;                                                    \
		}                                                                              \
	} while (0)

#define TYPE_ERR(name, args, msg) EXPECT_ERR(name, args, TG_E_TYPE, msg)

/* eval_builtin_error: any code but TG_OK and TG_E_TYPE. */
#define BUILTIN_ERR(name, args, msg)                                                           \
	do {                                                                                   \
		const struct tg_json *o_;                                                      \
		tg_err rc_ = call(name, args, &o_);                                            \
		tg_test_checks++;                                                              \
		if (rc_ == TG_OK || rc_ == TG_E_TYPE || !strstr(last_msg, msg)) {              \
			fprintf(stderr, "%s:%d: %s%s: got %s \"%s\", want builtin error \"%s\"\n", \
				__FILE__, __LINE__, name, args, tg_errname(rc_), last_msg, msg); \
			tg_test_failures++;                                                    \
		}                                                                              \
	} while (0)

TEST(table_entries)
{
	static const char *const names[] = {
		"plus", "minus", "mul", "div", "rem", "abs", "round", "ceil", "floor",
		"numbers.range", "numbers.range_step", "bits.and", "bits.or", "bits.xor",
		"bits.negate", "bits.lsh", "bits.rsh", "to_number", "count", "sum", "product",
		"max", "min", "sort", "all", "any", "internal.member_2", "internal.member_3",
		"equal", "neq", "lt", "lte", "gt", "gte", "array.concat", "array.slice",
		"array.reverse", "and", "or", "intersection", "union", "set_diff", "object.get",
		"object.keys", "object.remove", "object.filter", "object.union", "object.union_n",
		"object.subset", "json.filter", "json.remove", "json.patch", "type_name",
		"is_number", "is_string", "is_boolean", "is_array", "is_set", "is_object",
		"is_null", "cast_array", "cast_set", "cast_string", "cast_boolean", "cast_null",
		"cast_object", "walk", "json.marshal", "json.marshal_with_options",
		"json.unmarshal", "json.is_valid", "yaml.marshal", "yaml.unmarshal",
		"yaml.is_valid", "base64.encode", "base64.decode", "base64.is_valid",
		"base64url.encode", "base64url.encode_no_pad", "base64url.decode", "hex.encode",
		"hex.decode", "urlquery.encode", "urlquery.decode", "urlquery.encode_object",
		"urlquery.decode_object", "semver.is_valid", "semver.compare", "graph.reachable",
		"graph.reachable_paths", "uuid.rfc4122", "uuid.parse", "rand.intn", "opa.runtime",
		"trace"};
	size_t i;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct tg_rego_builtin *b = tg_rego_builtin_find(names[i], strlen(names[i]));
		CHECK(b != NULL);
		if (b) {
			CHECK(b->fn != NULL);
			CHECK(b->decl != NULL && strstr(b->decl, ") => ") != NULL);
		}
	}
	CHECK_STR(tg_rego_builtin_find("plus", 4)->infix, "+");
	CHECK_STR(tg_rego_builtin_find("rem", 3)->infix, "%");
	CHECK_STR(tg_rego_builtin_find("and", 3)->infix, "&");
	CHECK_STR(tg_rego_builtin_find("internal.member_3", 17)->infix, "in");
	CHECK_STR(tg_rego_builtin_find("count", 5)->decl,
		  "(any<array[any], object[any: any], set[any], string>) => number");
	CHECK(tg_rego_builtin_find("walk", 4)->flags & TG_RB_RELATION);
	CHECK(tg_rego_builtin_find("all", 3)->flags & TG_RB_DEPRECATED);
	CHECK(tg_rego_builtin_find("cast_set", 8)->flags & TG_RB_DEPRECATED);
	CHECK(tg_rego_builtin_find("rand.intn", 9)->flags & TG_RB_NONDET);
}

TEST(arithmetic)
{
	/* conformance: the arithmetic category */
	EXPECT_NUM("plus", "[1, 2]", "3");
	EXPECT_NUM("minus", "[0, 1]", "-1");
	EXPECT_NUM("mul", "[3, 4]", "12");
	EXPECT_NUM("rem", "[7, 4]", "3");
	EXPECT_NUM("plus", "[49649733057, 1]", "49649733058");
	EXPECT_NUM("abs", "[-10]", "10");
	/* OPA (arithmetic/bignum, arithmetic/edges test data): exact integers */
	EXPECT_NUM("plus", "[18446744073709551617, 1]", "18446744073709551618");
	EXPECT_NUM("minus", "[-18446744073709551617, 1]", "-18446744073709551618");
	EXPECT_NUM("mul", "[18446744073709551617, 2]", "36893488147419103234");
	EXPECT_NUM("plus", "[123456789012345678901234567890, 1]", "123456789012345678901234567891");
	EXPECT_NUM("mul", "[2147483647, 2147483647]", "4611686014132420609");
	EXPECT_NUM("plus", "[9223372036854775807, 1]", "9223372036854775808");
	EXPECT_NUM("plus", "[1e30, 1]", "1000000000000000000000000000001");
	EXPECT_NUM("plus", "[10.00, 5]", "15");
	EXPECT_NUM("plus", "[1.5, 2.5]", "4");
	EXPECT_NUM("plus", "[1, 2.5]", "3.5");
	EXPECT_NUM("mul", "[2.5, 2]", "5");
	EXPECT_NUM("rem", "[10, 18446744073709551616]", "10");
	EXPECT_NUM("rem", "[18446744073709551617, 18446744073709551616]", "1");
	EXPECT_NUM("rem", "[100, -18446744073709551616]", "100");
	EXPECT_NUM("rem", "[-17, 5]", "-2");
	EXPECT_NUM("rem", "[17, -5]", "2");
	EXPECT_NUM("rem", "[4.0, 3]", "1");
	EXPECT_NUM("div", "[6, 3]", "2");
	EXPECT_NUM("div", "[-6, 3]", "-2");
	EXPECT_NUM("div", "[1, 4]", "0.25");
	EXPECT_NUM("div", "[0, 5]", "0");
	EXPECT_NUM("div", "[7, 2]", "3.5");
	/* Go big.Float at 64 bits, Text('g', -1) (Python model) */
	EXPECT_NUM("div", "[1, 3]", "0.33333333333333333334");
	EXPECT_NUM("div", "[2, 3]", "0.6666666666666666667");
	EXPECT_NUM("plus", "[0.1, 0.2]", "0.3");
	EXPECT_NUM("mul", "[1.1, 1.1]", "1.21");
	EXPECT_NUM("plus", "[1000000.5, 0]", "1.0000005e+06");
	EXPECT_NUM("plus", "[1234567.5, 0]", "1.2345675e+06");
	EXPECT_NUM("plus", "[123456.7, 0]", "123456.7");
	EXPECT_NUM("plus", "[1e-7, 0]", "1e-07");
	EXPECT_NUM("plus", "[0.00001, 0]", "1e-05");
	EXPECT_NUM("mul", "[0.0001, 1]", "0.0001");
	EXPECT_NUM("div", "[2, 1e100]", "2.0000000000000000001e-100");
	EXPECT_NUM("div", "[1e21, 1.0]", "1000000000000000000000");
	EXPECT_NUM("div", "[0, -5]", "-0");
	EXPECT_NUM("mul", "[1.5, 1000000]", "1500000");
	/* errors */
	BUILTIN_ERR("div", "[1, 0]", "divide by zero");
	BUILTIN_ERR("div", "[1, 0.0]", "divide by zero");
	BUILTIN_ERR("rem", "[7, 0]", "modulo by zero");
	BUILTIN_ERR("rem", "[1.1, 1]", "modulo on floating-point number");
	TYPE_ERR("plus", "[\"a\", 1]", "operand 1 must be number but got string");
	TYPE_ERR("mul", "[1, null]", "operand 2 must be number but got null");
	TYPE_ERR("minus", "[{\"$set\": [1]}, 1]", "operand 2 must be set but got number");
	TYPE_ERR("minus", "[1, {\"$set\": [1]}]", "operand 2 must be number but got set");
	TYPE_ERR("minus", "[\"x\", 1]", "operand 1 must be one of {number, set} but got string");
	EXPECT("minus", "[{\"$set\": [1, 2, 3]}, {\"$set\": [2]}]", "[1, 3]");
	/* caps: past TG_REGO_NUM_DIGITS digits is an error, not an allocation */
	BUILTIN_ERR("mul", "[1e4000, 1e4000]", "too large");
	BUILTIN_ERR("plus", "[1e99999, 1]", "too large");
	BUILTIN_ERR("plus", "[1e-99999, 0.5]", "out of range");
}

TEST(rounding)
{
	EXPECT_NUM("ceil", "[1.01]", "2");
	EXPECT_NUM("ceil", "[1.5]", "2");
	EXPECT_NUM("ceil", "[2222.2222222222]", "2223");
	EXPECT_NUM("ceil", "[1]", "1");
	EXPECT_NUM("ceil", "[-1.99999]", "-1");
	EXPECT_NUM("floor", "[1.01]", "1");
	EXPECT_NUM("floor", "[99.99999]", "99");
	EXPECT_NUM("floor", "[-1.001]", "-2");
	EXPECT_NUM("round", "[2.5]", "3");
	EXPECT_NUM("round", "[-2.5]", "-3");
	EXPECT_NUM("round", "[2.4]", "2");
	EXPECT_NUM("round", "[-5]", "-5");
	EXPECT_NUM("round", "[10.00]", "10");
	EXPECT_NUM("abs", "[-2.5]", "2.5");
	EXPECT_NUM("abs", "[-9223372036854775808]", "9223372036854775808");
	/* OPA v1.1's arithCeil/arithFloor for -1 < x < 0 */
	EXPECT_NUM("ceil", "[-0.5]", "1");
	EXPECT_NUM("floor", "[-0.5]", "0");
	TYPE_ERR("abs", "[\"1\"]", "operand 1 must be number but got string");
}

TEST(ranges_and_bits)
{
	EXPECT("numbers.range", "[0, 0]", "[0]");
	EXPECT("numbers.range", "[-2, 3]", "[-2, -1, 0, 1, 2, 3]");
	EXPECT("numbers.range", "[2, -3]", "[2, 1, 0, -1, -2, -3]");
	EXPECT("numbers.range", "[49649733057, 49649733060]",
	       "[49649733057, 49649733058, 49649733059, 49649733060]");
	EXPECT("numbers.range_step", "[0, 10, 3]", "[0, 3, 6, 9]");
	EXPECT("numbers.range_step", "[10, 0, 4]", "[10, 6, 2]");
	TYPE_ERR("numbers.range", "[3.14, 4]",
		 "operand 1 must be integer number but got floating-point number");
	TYPE_ERR("numbers.range", "[3, 3.14]",
		 "operand 2 must be integer number but got floating-point number");
	TYPE_ERR("numbers.range", "[\"a\", 3]", "operand 1 must be integer but got string");
	BUILTIN_ERR("numbers.range_step", "[0, 10, 0]", "step must be a positive integer");
	BUILTIN_ERR("numbers.range", "[0, 1e15]", "range too large");
	EXPECT("bits.and", "[7, 9]", "1");
	EXPECT("bits.and", "[50, 0]", "0");
	EXPECT("bits.or", "[7, 9]", "15");
	EXPECT("bits.xor", "[42, 3]", "41");
	EXPECT("bits.xor", "[42, 42]", "0");
	EXPECT("bits.negate", "[42]", "-43");
	EXPECT("bits.lsh", "[1, 3]", "8");
	EXPECT("bits.lsh", "[2147483647, 1]", "4294967294");
	EXPECT("bits.lsh", "[9223372036854775807, 1]", "18446744073709551614");
	EXPECT("bits.rsh", "[8, 3]", "1");
	/* Go big.Int two's complement: -6 & 3 = 2, -6 | 3 = -5, -6 ^ 3 = -7,
	 * -6 >> 1 = -3, -7 >> 1 = -4 */
	EXPECT("bits.and", "[-6, 3]", "2");
	EXPECT("bits.or", "[-6, 3]", "-5");
	EXPECT("bits.xor", "[-6, 3]", "-7");
	EXPECT("bits.and", "[-6, -3]", "-8");
	EXPECT("bits.rsh", "[-6, 1]", "-3");
	EXPECT("bits.rsh", "[-7, 1]", "-4");
	EXPECT("bits.rsh", "[-7, 100]", "-1");
	TYPE_ERR("bits.and", "[7.2, 42]", "operand 1 must be integer number but got floating-point number");
	TYPE_ERR("bits.lsh", "[7, -1]",
		 "operand 2 must be an unsigned integer number but got a negative integer");
	BUILTIN_ERR("bits.lsh", "[1, 100000]", "too large");
}

TEST(to_number)
{
	EXPECT("to_number", "[\"-42.0\"]", "-42.0");
	EXPECT("to_number", "[false]", "0");
	EXPECT("to_number", "[true]", "1");
	EXPECT("to_number", "[null]", "0");
	EXPECT("to_number", "[100.1]", "100.1");
	EXPECT("to_number", "[\"3\"]", "3");
	EXPECT("to_number", "[\"+1.5\"]", "1.5");
	EXPECT("to_number", "[\".5\"]", "0.5");
	EXPECT("to_number", "[\"007\"]", "7");
	BUILTIN_ERR("to_number", "[\"broken\"]", "strconv.ParseFloat: parsing \"broken\": invalid syntax");
	BUILTIN_ERR("to_number", "[\"1e400\"]", "value out of range");
	TYPE_ERR("to_number", "[\"Inf\"]", "operand 1 must be valid number string but got string");
	TYPE_ERR("to_number", "[[1]]", "operand 1 must be one of {null, boolean, number, string} but got array");
}

TEST(aggregates)
{
	EXPECT("count", "[[1, 2, 3, 4]]", "4");
	EXPECT("count", "[{\"v1\": 1, \"v2\": 2}]", "2");
	EXPECT("count", "[{\"$set\": [1, 2, 3]}]", "3");
	EXPECT("count", "[\"\\u00e5\\u00e4\\u00f6\"]", "3");
	TYPE_ERR("count", "[null]", "operand 1 must be one of {array, object, set, string} but got null");
	TYPE_ERR("count", "[5]", "operand 1 must be one of {array, object, set, string} but got number");
	EXPECT("sum", "[[1, 2, 3, 4]]", "10");
	EXPECT("sum", "[{\"$set\": [1, 2, 3, 4]}]", "10");
	EXPECT("sum", "[[49649733057, 1]]", "49649733058");
	EXPECT("sum", "[[18446744073709551617, 1]]", "18446744073709551618");
	EXPECT("sum", "[[0.1, 0.2]]", "0.3");
	EXPECT("sum", "[[]]", "0");
	EXPECT("product", "[[1, 2, 3, 4]]", "24");
	EXPECT("product", "[[18446744073709551617, 2]]", "36893488147419103234");
	EXPECT("product", "[[]]", "1");
	EXPECT("product", "[[1.5, 2]]", "3");
	TYPE_ERR("sum", "[[1, \"a\"]]", "operand 1 must be array of numbers but got array containing string");
	TYPE_ERR("sum", "[1]", "operand 1 must be one of {set, array} but got number");
	EXPECT("max", "[[1, 2, 3, 4]]", "4");
	EXPECT("max", "[{\"$set\": [1, 2, 3, 4]}]", "4");
	EXPECT_UNDEF("max", "[[]]");
	EXPECT("min", "[[3, 2, 1, 4, 6, -7, 10]]", "-7");
	EXPECT("min", "[[1, 2, 1, 3, 4]]", "1");
	EXPECT("min", "[{\"$set\": [1, 2, 3, 4]}]", "1");
	EXPECT_UNDEF("min", "[{\"$set\": []}]");
	/* the last of equal extremes, as OPA's loops keep */
	EXPECT("max", "[[1, 1.0]]", "1.0");
	EXPECT("max", "[[null, \"a\", 2, [1]]]", "[1]");
	EXPECT("sort", "[[4, 3, 2, 1]]", "[1, 2, 3, 4]");
	EXPECT("sort", "[{\"$set\": [3, 1, 2]}]", "[1, 2, 3]");
	EXPECT("sort", "[[\"b\", 1, null, [0], true]]", "[null, true, 1, \"b\", [0]]");
	TYPE_ERR("sort", "[\"abc\"]", "operand 1 must be one of {set, array} but got string");
	EXPECT("all", "[[true, true]]", "true");
	EXPECT("all", "[[]]", "true");
	EXPECT("all", "[[true, 1]]", "false");
	EXPECT("any", "[{\"$set\": [false, true]}]", "true");
	EXPECT("any", "[[]]", "false");
	TYPE_ERR("any", "[1]", "operand 1 must be one of {array, set} but got number");
	EXPECT("internal.member_2", "[1, {\"$set\": [1]}]", "true");
	EXPECT("internal.member_2", "[1, [2]]", "false");
	EXPECT("internal.member_2", "[1, {\"foo\": 1}]", "true");
	EXPECT("internal.member_2", "[1, \"foo\"]", "false");
	EXPECT("internal.member_2", "[{\"foo\": {\"baz\": 2000}}, [{\"foo\": {\"baz\": 2000}}]]", "true");
	EXPECT("internal.member_3", "[\"foo\", 1, {\"foo\": 1}]", "true");
	EXPECT("internal.member_3", "[1, \"two\", [\"one\", \"two\", \"three\"]]", "true");
	EXPECT("internal.member_3", "[1, \"foo\", 1]", "false");
}

TEST(compare)
{
	EXPECT("equal", "[1, 1.0]", "true");
	EXPECT("equal", "[[1], [1.0]]", "true");
	EXPECT("equal", "[{\"x\": [1, 2, {\"b\": 3.0}]}, {\"x\": [1, 2, {\"b\": 3}]}]", "true");
	EXPECT("equal", "[28857836529306024611913, 28857836529306024611912]", "false");
	EXPECT("neq", "[0, 1]", "true");
	EXPECT("lt", "[-1, 0]", "true");
	EXPECT("lt", "[1, -1]", "false");
	EXPECT("lte", "[1, 1]", "true");
	EXPECT("gt", "[1, 0]", "true");
	EXPECT("gte", "[1, 2]", "false");
	/* the total order across types */
	EXPECT("lt", "[null, false]", "true");
	EXPECT("lt", "[true, 0]", "true");
	EXPECT("lt", "[99, \"a\"]", "true");
	EXPECT("lt", "[\"z\", []]", "true");
	EXPECT("lt", "[[], {}]", "true");
	EXPECT("lt", "[{}, {\"$set\": []}]", "true");
}

TEST(arrays_and_sets)
{
	EXPECT("array.concat", "[[1, 2], [3, 4]]", "[1, 2, 3, 4]");
	TYPE_ERR("array.concat", "[{\"a\": 1}, [3]]", "operand 1 must be array but got object");
	TYPE_ERR("array.concat", "[[1], {\"a\": 1}]", "operand 2 must be array but got object");
	EXPECT("array.slice", "[[1, 2, 3, 4, 5], 1, 3]", "[2, 3]");
	EXPECT("array.slice", "[[1, 2, 3], 0, 0]", "[]");
	EXPECT("array.slice", "[[1, 2, 3, 4, 5], -4, -1]", "[]");
	EXPECT("array.slice", "[[1, 2, 3, 4, 5], 4, 1]", "[]");
	EXPECT("array.slice", "[[1, 2, 3, 4, 5], -1, 2]", "[1, 2]");
	EXPECT("array.slice", "[[1, 2, 3, 4, 5], 3, 6]", "[4, 5]");
	EXPECT("array.slice", "[[], 1000, 2000]", "[]");
	TYPE_ERR("array.slice", "[[1], 1.5, 2]", "operand 2 must be integer number but got floating-point number");
	EXPECT("array.reverse", "[[1, 2, 3]]", "[3, 2, 1]");
	EXPECT("array.reverse", "[[]]", "[]");
	TYPE_ERR("array.reverse", "[{\"bar\": 1}]", "operand 1 must be array but got object");
	EXPECT("and", "[{\"$set\": [1, 2, 3]}, {\"$set\": [2, 3, 4]}]", "[2, 3]");
	EXPECT("or", "[{\"$set\": [1, 2]}, {\"$set\": [2, 3]}]", "[1, 2, 3]");
	TYPE_ERR("and", "[{\"$set\": []}, [1]]", "operand 2 must be set but got array");
	EXPECT("intersection", "[{\"$set\": [{\"$set\": [1, 2, 3]}, {\"$set\": [2, 3]}, {\"$set\": [3, 2, 9]}]}]",
	       "[2, 3]");
	EXPECT("intersection", "[{\"$set\": []}]", "[]");
	EXPECT("union", "[{\"$set\": [{\"$set\": [1, 2]}, {\"$set\": [2, 3]}]}]", "[1, 2, 3]");
	EXPECT("union", "[{\"$set\": []}]", "[]");
	TYPE_ERR("union", "[{\"$set\": [1]}]", "operand 1 must be set but got number");
	EXPECT("set_diff", "[{\"$set\": [1, 2, 3]}, {\"$set\": [1, 2]}]", "[3]");
}

TEST(objects)
{
	EXPECT("object.get", "[{\"a\": \"b\"}, \"a\", \"c\"]", "\"b\"");
	EXPECT("object.get", "[{\"a\": \"b\"}, \"c\", \"c\"]", "\"c\"");
	EXPECT("object.get", "[{\"$obj\": [[1, 2]]}, 1, 3]", "2");
	EXPECT("object.get", "[{\"a\": 1}, [], 2]", "{\"a\": 1}");
	EXPECT("object.get", "[{\"a\": {\"b\": {\"c\": 1}}}, [\"a\", \"b\", \"c\"], 2]", "1");
	EXPECT("object.get", "[{\"a\": {\"b\": 1}}, [\"b\", \"a\"], 2]", "2");
	EXPECT("object.get", "[{\"a\": {\"b\": [{\"c\": 1}]}}, [\"a\", \"b\", 0, \"c\"], 2]", "1");
	EXPECT("object.get", "[{\"a\": {\"b\": [1, 2, 3]}}, [\"a\", \"b\", \"a\"], 2]", "2");
	EXPECT("object.get",
	       "[{\"$obj\": [[1, {\"b\": {\"$obj\": [[[1, 2, 3], 1]]}}]]}, [1, \"b\", [1, 2, 3]], 2]", "1");
	TYPE_ERR("object.get", "[\"x\", [\"a\"], 2]", "operand 1 must be object but got string");
	EXPECT("object.keys", "[{\"a\": 1, \"b\": 2}]", "[\"a\", \"b\"]");
	TYPE_ERR("object.keys", "[\"a\"]", "operand 1 must be object but got string");
	EXPECT("object.remove", "[{\"a\": 1, \"b\": {\"c\": 3}}, {\"$set\": [\"a\"]}]", "{\"b\": {\"c\": 3}}");
	EXPECT("object.remove", "[{\"a\": 1, \"b\": 2}, [\"a\", \"x\"]]", "{\"b\": 2}");
	EXPECT("object.remove", "[{\"a\": 1, \"b\": 2}, {\"b\": 9}]", "{\"a\": 1}");
	TYPE_ERR("object.remove", "[[1], {\"$set\": [\"a\"]}]", "operand 1 must be object but got array");
	TYPE_ERR("object.remove", "[{\"a\": 1}, \"a\"]",
		 "operand 2 must be one of {object, set, array} but got string");
	EXPECT("object.filter", "[{\"a\": 1, \"b\": 2, \"c\": 3}, [\"a\", \"c\"]]", "{\"a\": 1, \"c\": 3}");
	TYPE_ERR("object.filter", "[{\"a\": 1}, null]",
		 "operand 2 must be one of {object, set, array} but got null");
	EXPECT("object.union", "[{\"a\": 1, \"b\": {\"c\": 1}}, {\"b\": {\"d\": 2}, \"e\": 3}]",
	       "{\"a\": 1, \"b\": {\"c\": 1, \"d\": 2}, \"e\": 3}");
	EXPECT("object.union", "[{\"a\": {\"b\": 1}}, {\"a\": 2}]", "{\"a\": 2}");
	TYPE_ERR("object.union", "[[1], {}]", "operand 1 must be object but got array");
	EXPECT("object.union_n", "[[{\"a\": {\"b\": 2}}, {\"a\": 4}, {\"a\": {\"c\": 3}}]]", "{\"a\": {\"c\": 3}}");
	EXPECT("object.union_n", "[[]]", "{}");
	TYPE_ERR("object.union_n", "[[{}, 1]]", "operand 1 must be array of objects but got array containing number");
	EXPECT("object.subset", "[{\"a\": 5, \"b\": 7}, {\"a\": 5}]", "true");
	EXPECT("object.subset", "[{\"a\": 5}, {\"a\": 5, \"b\": 7}]", "false");
	EXPECT("object.subset",
	       "[{\"n\": {\"x\": 10, \"s\": {\"$set\": [1, 2, 3, 4]}, \"a\": [6, 7, 8, 9]}},"
	       " {\"n\": {\"s\": {\"$set\": [4, 1]}, \"a\": [6, 7]}}]",
	       "true");
	EXPECT("object.subset", "[[1, 2, 3, 4, 5, 6], [3, 4, 5]]", "true");
	EXPECT("object.subset", "[[1, 2, 3, 4, 5, 6], [3, 5]]", "false");
	EXPECT("object.subset", "[[1, 2, 3, 4, 5, 6], {\"$set\": [4, 3, 2]}]", "true");
	EXPECT("object.subset", "[{\"$set\": [1, 2, 3, {\"$set\": [\"a\"]}]}, {\"$set\": [3, {\"$set\": [\"a\"]}]}]",
	       "true");
	TYPE_ERR("object.subset", "[{\"$set\": [1]}, [1]]", "same type");
}

TEST(json_paths)
{
	EXPECT("json.filter", "[{\"a\": {\"b\": {\"c\": 7, \"d\": 8}}, \"e\": 9}, {\"$set\": [\"a/b/c\"]}]",
	       "{\"a\": {\"b\": {\"c\": 7}}}");
	EXPECT("json.filter", "[{\"a\": {\"b\": {\"c\": 7, \"d\": 8}}, \"e\": 9}, [\"a/b/c\", \"e\"]]",
	       "{\"a\": {\"b\": {\"c\": 7}}, \"e\": 9}");
	EXPECT("json.filter", "[{\"a\": [{\"b\": 1, \"c\": 2}, {\"b\": 3}]}, [\"a/0/b\"]]", "{\"a\": [{\"b\": 1}]}");
	EXPECT("json.filter", "[{\"a\": {\"b\": 1}}, [[\"a\", \"b\"]]]", "{\"a\": {\"b\": 1}}");
	EXPECT("json.filter", "[{\"a\": {\"b\": 1, \"c\": 2}}, [\"a\", \"a/b\"]]", "{\"a\": {\"b\": 1, \"c\": 2}}");
	EXPECT("json.filter", "[{\"a/b\": 1, \"c~d\": 2}, [\"/a~1b\", \"c~0d\"]]", "{\"a/b\": 1, \"c~d\": 2}");
	EXPECT("json.filter", "[{\"a\": 1}, [\"\"]]", "{}");
	TYPE_ERR("json.filter", "[\"x\", [\"a\"]]", "operand 1 must be object but got string");
	TYPE_ERR("json.filter", "[{}, \"a\"]", "operand 2 must be one of {set, array} but got string");
	EXPECT("json.remove", "[{\"a\": {\"b\": {\"c\": 7, \"d\": 8}}, \"e\": 9}, {\"$set\": [\"a/b/c\"]}]",
	       "{\"a\": {\"b\": {\"d\": 8}}, \"e\": 9}");
	EXPECT("json.remove", "[{\"a\": [1, 2, 3]}, [\"a/1\"]]", "{\"a\": [1, 3]}");
	EXPECT("json.remove", "[{\"a\": {\"$set\": [\"x\", \"y\"]}}, [\"a/x\"]]", "{\"a\": [\"y\"]}");
	TYPE_ERR("json.remove", "[{}, 1]", "operand 2 must be one of {set, array} but got number");
	TYPE_ERR("json.remove", "[{}, [1]]",
		 "operand 2 must be one of {set, array} containing string paths or array of path segments but got number");
	/* RFC 6902 Appendix A */
	EXPECT("json.patch", "[{\"foo\": \"bar\"}, [{\"op\": \"add\", \"path\": \"/baz\", \"value\": \"qux\"}]]",
	       "{\"baz\": \"qux\", \"foo\": \"bar\"}");
	EXPECT("json.patch", "[{\"foo\": [\"bar\", \"baz\"]}, [{\"op\": \"add\", \"path\": \"/foo/1\", \"value\": \"qux\"}]]",
	       "{\"foo\": [\"bar\", \"qux\", \"baz\"]}");
	EXPECT("json.patch", "[{\"foo\": [1]}, [{\"op\": \"add\", \"path\": \"/foo/-\", \"value\": 2}]]",
	       "{\"foo\": [1, 2]}");
	EXPECT("json.patch", "[{\"baz\": \"qux\", \"foo\": \"bar\"}, [{\"op\": \"remove\", \"path\": \"/baz\"}]]",
	       "{\"foo\": \"bar\"}");
	EXPECT("json.patch", "[{\"baz\": \"qux\"}, [{\"op\": \"replace\", \"path\": \"/baz\", \"value\": \"boo\"}]]",
	       "{\"baz\": \"boo\"}");
	EXPECT("json.patch",
	       "[{\"foo\": {\"bar\": \"baz\", \"waldo\": \"fred\"}, \"qux\": {\"corge\": \"grault\"}},"
	       " [{\"op\": \"move\", \"from\": \"/foo/waldo\", \"path\": \"/qux/thud\"}]]",
	       "{\"foo\": {\"bar\": \"baz\"}, \"qux\": {\"corge\": \"grault\", \"thud\": \"fred\"}}");
	EXPECT("json.patch",
	       "[{\"foo\": [\"all\", \"grass\", \"cows\", \"eat\"]}, [{\"op\": \"move\", \"from\": \"/foo/1\", \"path\": \"/foo/3\"}]]",
	       "{\"foo\": [\"all\", \"cows\", \"eat\", \"grass\"]}");
	EXPECT("json.patch", "[{\"a\": 1}, [{\"op\": \"copy\", \"from\": \"/a\", \"path\": \"/b\"}]]",
	       "{\"a\": 1, \"b\": 1}");
	EXPECT("json.patch", "[{\"a\": 1}, [{\"op\": \"test\", \"path\": \"/a\", \"value\": 1}]]", "{\"a\": 1}");
	EXPECT_UNDEF("json.patch", "[{\"a\": 1}, [{\"op\": \"test\", \"path\": \"/a\", \"value\": 2}]]");
	EXPECT_UNDEF("json.patch", "[{\"q\": {\"bar\": 2}}, [{\"op\": \"add\", \"path\": \"/a/b\", \"value\": 1}]]");
	EXPECT_UNDEF("json.patch", "[{\"foo\": [1]}, [{\"op\": \"add\", \"path\": \"/foo/01\", \"value\": 2}]]");
	EXPECT_UNDEF("json.patch", "[{}, [{\"op\": \"nope\", \"path\": \"/a\"}]]");
	EXPECT("json.patch", "[1, [{\"op\": \"replace\", \"path\": \"\", \"value\": 2}]]", "2");
	/* conformance jsonpatch/set */
	EXPECT("json.patch", "[{\"foo\": {\"$set\": [\"a\", \"b\", \"c\"]}}, [{\"op\": \"remove\", \"path\": \"foo/b\"}]]",
	       "{\"foo\": [\"a\", \"c\"]}");
	EXPECT("json.patch", "[{\"foo\": {\"$set\": [\"a\"]}}, [{\"op\": \"add\", \"path\": \"foo/d\", \"value\": \"d\"}]]",
	       "{\"foo\": [\"a\", \"d\"]}");
	EXPECT_UNDEF("json.patch", "[{\"foo\": {\"$set\": [\"a\"]}}, [{\"op\": \"add\", \"path\": \"foo/d\", \"value\": \"e\"}]]");
	EXPECT("json.patch", "[{\"$set\": [[1]]}, [{\"op\": \"add\", \"path\": [[1], 1], \"value\": 2}]]", "[[1, 2]]");
	TYPE_ERR("json.patch", "[{}, {}]", "operand 2 must be array but got object");
}

TEST(types_and_walk)
{
	EXPECT("type_name", "[null]", "\"null\"");
	EXPECT("type_name", "[true]", "\"boolean\"");
	EXPECT("type_name", "[1.5]", "\"number\"");
	EXPECT("type_name", "[\"\"]", "\"string\"");
	EXPECT("type_name", "[[]]", "\"array\"");
	EXPECT("type_name", "[{}]", "\"object\"");
	EXPECT("type_name", "[{\"$set\": []}]", "\"set\"");
	EXPECT("is_number", "[-42.0]", "true");
	EXPECT("is_number", "[null]", "false");
	EXPECT("is_string", "[\"Hello\"]", "true");
	EXPECT("is_boolean", "[\"Hello\"]", "false");
	EXPECT("is_array", "[{\"$set\": [1]}]", "false");
	EXPECT("is_set", "[{\"$set\": [1]}]", "true");
	EXPECT("is_object", "[{}]", "true");
	EXPECT("is_null", "[null]", "true");
	EXPECT("cast_null", "[null]", "null");
	TYPE_ERR("cast_null", "[{}]", "operand 1 must be null but got object");
	TYPE_ERR("cast_string", "[[1, 2, 3]]", "operand 1 must be string but got array");
	EXPECT("cast_boolean", "[false]", "false");
	EXPECT("cast_object", "[{}]", "{}");
	EXPECT("cast_array", "[{\"$set\": [2, 1]}]", "[1, 2]");
	EXPECT("cast_set", "[[1, 1, 2]]", "[1, 2]");
	TYPE_ERR("cast_set", "[1]", "operand 1 must be one of {array, set} but got number");
	EXPECT("walk", "[1]", "[[[], 1]]");
	EXPECT("walk", "[[1, 2]]", "[[[], [1, 2]], [[0], 1], [[1], 2]]");
	EXPECT("walk", "[{\"v1\": \"hello\", \"v2\": \"goodbye\"}]",
	       "[[[], {\"v1\": \"hello\", \"v2\": \"goodbye\"}], [[\"v1\"], \"hello\"], [[\"v2\"], \"goodbye\"]]");
	EXPECT("walk", "[{\"$set\": [{\"$set\": [1, 2]}]}]",
	       "[[[], [[1, 2]]], [[[1, 2]], [1, 2]], [[[1, 2], 1], 1], [[[1, 2], 2], 2]]");
}

TEST(json_encoding)
{
	EXPECT("json.marshal", "[[{\"foo\": {\"$set\": [1, 2, 3]}}]]", "\"[{\\\"foo\\\":[1,2,3]}]\"");
	/* Go's encoding/json: HTML characters escaped; numbers as written */
	EXPECT("json.marshal", "[\"<a&b>\\n\"]", "\"\\\"\\\\u003ca\\\\u0026b\\\\u003e\\\\n\\\"\"");
	EXPECT("json.marshal", "[1.50]", "\"1.50\"");
	/* non-string keys are written as their JSON text */
	EXPECT("json.marshal", "[{\"$obj\": [[1, \"a\"], [[1, 2], \"b\"]]}]",
	       "\"{\\\"1\\\":\\\"a\\\",\\\"[1,2]\\\":\\\"b\\\"}\"");
	EXPECT("json.marshal_with_options", "[{\"a\": [1, 2]}, {\"pretty\": true}]",
	       "\"{\\n\\t\\\"a\\\": [\\n\\t\\t1,\\n\\t\\t2\\n\\t]\\n}\"");
	EXPECT("json.marshal_with_options", "[{\"a\": []}, {\"indent\": \"  \", \"prefix\": \"> \"}]",
	       "\"> {\\n>   \\\"a\\\": []\\n> }\"");
	EXPECT("json.marshal_with_options", "[{\"a\": 1}, {\"pretty\": false, \"indent\": \"  \"}]",
	       "\"{\\\"a\\\":1}\"");
	TYPE_ERR("json.marshal_with_options", "[1, {\"nope\": 1}]", "operand 2 object contained unknown key nope");
	EXPECT("json.unmarshal", "[\"[{\\\"foo\\\":[1,2,3]}]\"]", "[{\"foo\": [1, 2, 3]}]");
	EXPECT("json.unmarshal", "[\"{\\\"a\\\":1,\\\"a\\\":2}\"]", "{\"a\": 2}");
	BUILTIN_ERR("json.unmarshal", "[\"{\"]", "");
	TYPE_ERR("json.unmarshal", "[1]", "operand 1 must be string but got number");
	EXPECT("json.is_valid", "[\"plainstring\"]", "false");
	EXPECT("json.is_valid", "[\"{\"]", "false");
	EXPECT("json.is_valid", "[\"{\\\"json\\\": \\\"ok\\\"}\"]", "true");
	EXPECT("json.is_valid", "[1]", "false");
}

TEST(yaml_encoding)
{
	EXPECT("yaml.is_valid", "[\"foo:\\n   - qux: bar\\n   - baz: 2\"]", "true");
	EXPECT("yaml.is_valid", "[\"foo:\\n   - qux: bar\\n   - baz: {\"]", "false");
	EXPECT("yaml.is_valid", "[\"{\\\"json\\\": \\\"ok\\\"}\"]", "true");
	EXPECT("yaml.is_valid", "[1]", "false");
	EXPECT("yaml.unmarshal", "[\"foo:\\n   - qux: bar\\n   - baz: 2\"]",
	       "{\"foo\": [{\"qux\": \"bar\"}, {\"baz\": 2}]}");
	/* go-yaml v2 resolution (YAML 1.1): yes/no/on/off are booleans,
	 * 0x and leading-zero octal integers, ~ is null, quoted stays a string */
	EXPECT("yaml.unmarshal", "[\"a: yes\\nb: off\\nc: 0x1F\\nd: 017\\ne: ~\\nf: '12'\\ng: 1.5\\nh: 1e3\\ni: -0\"]",
	       "{\"a\": true, \"b\": false, \"c\": 31, \"d\": 15, \"e\": null, \"f\": \"12\", \"g\": 1.5,"
	       " \"h\": 1000, \"i\": 0}");
	EXPECT("yaml.unmarshal", "[\"1: a\\ntrue: b\"]", "{\"1\": \"a\", \"true\": \"b\"}");
	EXPECT("yaml.unmarshal", "[\"base: &b {x: 1, z: 2}\\nd:\\n  <<: *b\\n  z: 3\"]",
	       "{\"base\": {\"x\": 1, \"z\": 2}, \"d\": {\"x\": 1, \"z\": 3}}");
	/* go-yaml v2 reads the key y as the boolean true */
	EXPECT("yaml.unmarshal", "[\"y: 1\"]", "{\"true\": 1}");
	EXPECT("yaml.unmarshal", "[\"\"]", "null");
	EXPECT("yaml.unmarshal", "[\"a: 1\\n---\\nb: 2\"]", "{\"a\": 1}");
	BUILTIN_ERR("yaml.unmarshal", "[\"[1,2,3\"]", "yaml: line 1: did not find");
	BUILTIN_ERR("yaml.unmarshal", "[\"a: .inf\"]", "unsupported value");
	/* billion laughs: aliases count against the node cap */
	BUILTIN_ERR("yaml.unmarshal",
		    "[\"a: &a [x,x,x,x,x,x,x,x,x,x]\\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\\n"
		    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\\n"
		    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\\n"
		    "g: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\"]",
		    "excessive aliasing");
	/* go-yaml v2 output: block style, sequences not indented under keys,
	 * strings that would read back as other types double-quoted */
	EXPECT("yaml.marshal", "[[{\"foo\": {\"$set\": [1, 2, 3]}}]]", "\"- foo:\\n  - 1\\n  - 2\\n  - 3\\n\"");
	EXPECT("yaml.marshal", "[{\"a\": \"true\", \"b\": \"x\", \"c\": [], \"d\": {}, \"e\": null}]",
	       "\"a: \\\"true\\\"\\nb: x\\nc: []\\nd: {}\\ne: null\\n\"");
	EXPECT("yaml.marshal", "[{\"a10\": 1, \"a9\": 2}]", "\"a9: 2\\na10: 1\\n\"");
	EXPECT("yaml.marshal", "[{\"f\": 1234567.5, \"g\": 0.5}]", "\"f: 1.2345675e+06\\ng: 0.5\\n\"");
}

TEST(base64_hex_url)
{
	EXPECT("base64.encode", "[\"hello\"]", "\"aGVsbG8=\"");
	EXPECT("base64.encode", "[\"subjects?_d\"]", "\"c3ViamVjdHM/X2Q=\"");
	EXPECT("base64.decode", "[\"aGVsbG8=\"]", "\"hello\"");
	EXPECT("base64.decode", "[\"c3ViamVjdHM/X2Q=\"]", "\"subjects?_d\"");
	EXPECT("base64.decode", "[\"aGVs\\nbG8=\"]", "\"hello\"");
	BUILTIN_ERR("base64.decode", "[\"aGVsbG8\"]", "illegal base64 data at input byte 4");
	BUILTIN_ERR("base64.decode", "[\"a$==\"]", "illegal base64 data at input byte 1");
	/* invalid UTF-8 becomes U+FFFD per byte: 30 runes, as OPA's count */
	EXPECT("count", "[\"\\u0000\"]", "1");
	{
		const struct tg_json *o = NULL;
		CHECK_OK(call("base64.decode", "[\"2E84ZuPUd7zfvCZSNEchVpDEIj6PL7JfLpIqyxVG16k=\"]", &o));
		if (o) {
			const struct tg_json *n = NULL;
			char args[512];
			snprintf(args, sizeof(args), "[%s]", show(o));
			CHECK_OK(call("count", args, &n));
			CHECK(n && strcmp(show(n), "30") == 0);
		}
	}
	EXPECT("base64.is_valid", "[\"aGVsbG8=\"]", "true");
	EXPECT("base64.is_valid", "[\"{'not':'base64'}\"]", "false");
	EXPECT("base64.is_valid", "[1]", "false");
	EXPECT("base64url.encode", "[\"hello\"]", "\"aGVsbG8=\"");
	EXPECT("base64url.encode_no_pad", "[\"there\"]", "\"dGhlcmU\"");
	EXPECT("base64url.encode", "[\"\\u00ff\\u00fe?\"]", "\"w7_Dvj8=\"");
	EXPECT("base64url.decode", "[\"aGVsbG8=\"]", "\"hello\"");
	EXPECT("base64url.decode", "[\"aGVsbG8\"]", "\"hello\"");
	BUILTIN_ERR("base64url.decode", "[\"aGVsb\"]", "illegal base64url string: aGVsb");
	EXPECT("hex.encode", "[\"lorem ipsum\"]", "\"6c6f72656d20697073756d\"");
	EXPECT("hex.decode", "[\"6c6f72656d20697073756d\"]", "\"lorem ipsum\"");
	BUILTIN_ERR("hex.decode", "[\"fghijkl\"]", "invalid byte: U+0067 'g'");
	BUILTIN_ERR("hex.decode", "[\"abc\"]", "odd length hex string");
	EXPECT("urlquery.encode", "[\"a=b+1\"]", "\"a%3Db%2B1\"");
	EXPECT("urlquery.encode", "[\"a b~\"]", "\"a+b~\"");
	EXPECT("urlquery.encode", "[\"\"]", "\"\"");
	EXPECT("urlquery.decode", "[\"a%3Db%2B1\"]", "\"a=b+1\"");
	EXPECT("urlquery.decode", "[\"a+b\"]", "\"a b\"");
	BUILTIN_ERR("urlquery.decode", "[\"%zz\"]", "invalid URL escape \"%zz\"");
	EXPECT("urlquery.encode_object", "[{}]", "\"\"");
	EXPECT("urlquery.encode_object", "[{\"a\": \"b\", \"c\": \"d\"}]", "\"a=b&c=d\"");
	EXPECT("urlquery.encode_object", "[{\"a\": \"c=b+1\"}]", "\"a=c%3Db%2B1\"");
	EXPECT("urlquery.encode_object", "[{\"a\": [\"b+1\", \"c+2\"]}]", "\"a=b%2B1&a=c%2B2\"");
	EXPECT("urlquery.encode_object", "[{\"a\": {\"$set\": [\"b+1\"]}}]", "\"a=b%2B1\"");
	TYPE_ERR("urlquery.encode_object", "[{\"a\": 1}]", "values must be string, array[string], or set[string]");
	EXPECT("urlquery.decode_object", "[\"a=value_a1&b=value_b&a=value_a2\"]",
	       "{\"a\": [\"value_a1\", \"value_a2\"], \"b\": [\"value_b\"]}");
	EXPECT("urlquery.decode_object", "[\"a=value_a1&b\"]", "{\"a\": [\"value_a1\"], \"b\": [\"\"]}");
	EXPECT("urlquery.decode_object", "[\"\"]", "{}");
	BUILTIN_ERR("urlquery.decode_object", "[\"a=1;b=2\"]", "invalid semicolon separator in query");
}

TEST(misc)
{
	const struct tg_json *a = NULL, *b = NULL;
	EXPECT("semver.compare", "[\"1.0.0\", \"2.0.0\"]", "-1");
	EXPECT("semver.compare", "[\"2.0.0\", \"1.0.0\"]", "1");
	EXPECT("semver.compare", "[\"1.0.0\", \"1.0.0\"]", "0");
	/* SemVer 2.0.0 11: 1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta < 1.0.0-beta
	 * < 1.0.0-beta.2 < 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0; build metadata ignored */
	EXPECT("semver.compare", "[\"1.0.0-alpha\", \"1.0.0-alpha.1\"]", "-1");
	EXPECT("semver.compare", "[\"1.0.0-alpha.1\", \"1.0.0-alpha.beta\"]", "-1");
	EXPECT("semver.compare", "[\"1.0.0-beta.2\", \"1.0.0-beta.11\"]", "-1");
	EXPECT("semver.compare", "[\"1.0.0-rc.1\", \"1.0.0\"]", "-1");
	EXPECT("semver.compare", "[\"1.0.0+build.1\", \"1.0.0+build.2\"]", "0");
	BUILTIN_ERR("semver.compare", "[\"1\", \"1.0.0\"]", "operand 1: string \"1\" is not a valid SemVer");
	BUILTIN_ERR("semver.compare", "[\"1.0.0\", \"1\"]", "operand 2: string \"1\" is not a valid SemVer");
	EXPECT("semver.is_valid", "[\"1.0.0\"]", "true");
	EXPECT("semver.is_valid", "[\"1.0.0-rc.1+build.5\"]", "true");
	EXPECT("semver.is_valid", "[\"1\"]", "false");
	EXPECT("semver.is_valid", "[\"1.0.0-\"]", "true");
	EXPECT("semver.is_valid", "[\"1.0.0-a..b\"]", "false");
	EXPECT("semver.is_valid", "[1]", "false");
	EXPECT("graph.reachable", "[{}, {\"$set\": [\"a\"]}]", "[]");
	EXPECT("graph.reachable", "[{\"a\": {\"$set\": [\"b\"]}, \"b\": {\"$set\": [\"c\"]}, \"c\": {\"$set\": [\"a\"]}}, [\"a\"]]",
	       "[\"a\", \"b\", \"c\"]");
	EXPECT("graph.reachable",
	       "[{\"a\": [\"b\", \"c\"], \"b\": [\"d\"], \"c\": [\"d\"], \"d\": [], \"e\": [\"f\"], \"f\": [\"e\"], \"x\": [\"x\"]},"
	       " {\"$set\": [\"b\", \"e\"]}]",
	       "[\"b\", \"d\", \"e\", \"f\"]");
	EXPECT("graph.reachable", "[{\"a\": null}, [\"a\"]]", "[\"a\"]");
	TYPE_ERR("graph.reachable", "[1, [1]]", "operand 1 must be object but got number");
	TYPE_ERR("graph.reachable", "[{\"a\": []}, \"a\"]", "operand 2 must be {array, set} but got string");
	EXPECT("graph.reachable_paths", "[{\"a\": [\"b\", \"c\"], \"b\": [\"c\"], \"c\": []}, {\"$set\": [\"a\"]}]",
	       "[[\"a\", \"b\", \"c\"], [\"a\", \"c\"]]");
	EXPECT("graph.reachable_paths", "[{\"a\": [\"b\"], \"b\": [\"nonexistent\"]}, {\"$set\": [\"a\", \"b\"]}]",
	       "[[\"a\", \"b\"], [\"b\"]]");
	EXPECT("graph.reachable_paths",
	       "[{\"one\": [\"two\", \"five\"], \"two\": [\"four\"], \"three\": [\"\"], \"four\": [\"three\"],"
	       " \"five\": [\"seven\", \"six\"], \"six\": [\"nine\", \"seven\"], \"seven\": [\"eight\"],"
	       " \"eight\": [\"three\"], \"nine\": [\"\"]}, {\"$set\": [\"one\"]}]",
	       "[[\"one\", \"five\", \"seven\", \"eight\", \"three\"], [\"one\", \"five\", \"six\"],"
	       " [\"one\", \"five\", \"six\", \"nine\"], [\"one\", \"two\", \"four\", \"three\"]]");
	EXPECT("graph.reachable_paths", "[{\"a\": null}, [\"a\"]]", "[[\"a\"]]");
	CHECK_OK(call("uuid.rfc4122", "[\"k\"]", &a));
	CHECK_OK(call("uuid.rfc4122", "[\"k\"]", &b));
	CHECK(a && b && tg_json_eq(a, b));
	CHECK(a && a->u.s.len == 36 && a->u.s.p[14] == '4' && strchr("89ab", a->u.s.p[19]));
	CHECK_OK(call("uuid.rfc4122", "[\"other\"]", &b));
	CHECK(a && b && !tg_json_eq(a, b));
	EXPECT("uuid.parse", "[\"00000000-0000-4000-8000-000000000000\"]", "{\"variant\": \"RFC4122\", \"version\": 4}");
	/* v1, RFC 4122 Appendix C's DNS namespace: 1998-02-04 in ns since 1970 */
	EXPECT("uuid.parse", "[\"6ba7b810-9dad-11d1-80b4-00c04fd430c8\"]",
	       "{\"clocksequence\": 180, \"macvariables\": \"global:unicast\", \"nodeid\": \"00-c0-4f-d4-30-c8\","
	       " \"time\": 886630433151182400, \"variant\": \"RFC4122\", \"version\": 1}");
	EXPECT("uuid.parse", "[\"{00000000-0000-4000-c000-000000000000}\"]", "{\"variant\": \"Microsoft\", \"version\": 4}");
	EXPECT_UNDEF("uuid.parse", "[\"not-a-uuid\"]");
	CHECK_OK(call("rand.intn", "[\"key\", 100]", &a));
	CHECK_OK(call("rand.intn", "[\"key\", 100]", &b));
	CHECK(a && b && tg_json_eq(a, b));
	EXPECT("rand.intn", "[\"key\", 0]", "0");
	TYPE_ERR("rand.intn", "[\"key\", 1.5]", "operand 2 must be integer number but got floating-point number");
	/* conformance withkeyword/builtin-builtin: arity 0 */
	EXPECT("opa.runtime", "[]", "{}");
	EXPECT("trace", "[\"hello\"]", "true");
	TYPE_ERR("trace", "[1]", "operand 1 must be string but got number");
}

TEST(budget_runs_out)
{
	const struct tg_json *o;
	budget = 10;
	CHECK_ERR(call("numbers.range", "[1, 100]", &o), TG_E_TOOBIG);
	CHECK(strstr(last_msg, "limit") != NULL);
	budget = UINT64_MAX;
}

int main(void)
{
	tg_arena_init(&A, 256 * 1024 * 1024);
	budget = UINT64_MAX;
	cache = calloc(1, 64); /* rego_builtins.c's per-query cache: one list head */
	RUN(table_entries);
	RUN(arithmetic);
	RUN(rounding);
	RUN(ranges_and_bits);
	RUN(to_number);
	RUN(aggregates);
	RUN(compare);
	RUN(arrays_and_sets);
	RUN(objects);
	RUN(json_paths);
	RUN(types_and_walk);
	RUN(json_encoding);
	RUN(yaml_encoding);
	RUN(base64_hex_url);
	RUN(misc);
	RUN(budget_runs_out);
	free(cache);
	tg_arena_release(&A);
	return tg_test_done();
}
