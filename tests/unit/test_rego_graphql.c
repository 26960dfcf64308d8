/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_rego_graphql.c - the GraphQL parser, validator and graphql.*
 * built-ins: parser errors and their positions, the nesting, token and
 * size limits, a few validation rules, and AST objects read back.
 */

/*
 * Expected messages and line:column come from gqlparser v2.5.1's own test
 * data (parser/query_test.yml, parser/schema_test.yml,
 * validator/schema_test.yml, validator/imported/spec, the
 * latter generated from graphql-js) and from OPA's topdown/graphql.go
 * message formats; never from the code under test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/json.h"
#include "rego/graphql.h"
#include "rego/rego_builtin.h"
#include "tg_test.h"

static struct tg_arena arena;
static struct tg_diag diag;
static uint64_t budget = 100000000;

/* Calls a built-in on JSON arguments; returns the code, *out the result. */
static tg_err call(const char *name, const char *argv_json, const struct tg_json **out)
{
	const struct tg_rego_builtin *b = tg_rego_builtin_find(name, strlen(name));
	const struct tg_json *args = NULL;
	struct tg_rego_bctx c;
	tg_err e;
	struct tg_json_parse_opts po = {TG_JSON_DUP_REJECT, 4096, false};
	memset(&c, 0, sizeof(c));
	memset(&diag, 0, sizeof(diag));
	if (!b)
		return TG_E_NOTFOUND;
	e = tg_json_parse(&arena, argv_json, strlen(argv_json), &po, &args, NULL, NULL);
	if (e != TG_OK)
		return e;
	c.a = &arena;
	c.d = &diag;
	c.name = name;
	c.budget = &budget;
	*out = NULL;
	return b->fn(&c, (const struct tg_json *const *)args->u.a.items, args->u.a.len, out);
}

/* Parses a query; returns the first error as "L:C: message" or "ok". */
static const char *query_err(const char *src, char *buf, size_t cap)
{
	struct tg_gql_ctx g;
	struct tg_gql_qdoc *d;
	tg_gql_ctx_init(&g);
	if (tg_gql_parse_query(&g, src, strlen(src), &d))
		snprintf(buf, cap, "ok");
	else
		snprintf(buf, cap, "%u:%u: %s", g.err.pos.line, g.err.pos.col, g.err.msg);
	tg_gql_ctx_release(&g);
	return buf;
}

static const char *schema_err(const char *src, char *buf, size_t cap)
{
	struct tg_gql_ctx g;
	struct tg_gql_sdoc *d;
	tg_gql_ctx_init(&g);
	if (tg_gql_parse_schema(&g, src, strlen(src), false, &d))
		snprintf(buf, cap, "ok");
	else
		snprintf(buf, cap, "%u:%u: %s", g.err.pos.line, g.err.pos.col, g.err.msg);
	tg_gql_ctx_release(&g);
	return buf;
}

/* Validates query against schema; the first error as "L:C: message". */
static const char *validate(const char *schema, const char *query, char *buf, size_t cap)
{
	struct tg_gql_ctx g;
	struct tg_gql_sdoc *sd;
	struct tg_gql_qdoc *qd;
	struct tg_gql_schema *s;
	tg_gql_ctx_init(&g);
	if (!tg_gql_parse_schema(&g, schema, strlen(schema), false, &sd) ||
	    !tg_gql_schema_load(&g, sd, &s) || !tg_gql_parse_query(&g, query, strlen(query), &qd) ||
	    !tg_gql_validate(&g, s, qd))
		snprintf(buf, cap, "%u:%u: %s", g.err.pos.line, g.err.pos.col, g.err.msg);
	else
		snprintf(buf, cap, "ok");
	tg_gql_ctx_release(&g);
	return buf;
}

TEST(parser_errors)
{
	char b[1024];
	/* parser/query_test.yml */
	CHECK_STR(query_err("{", b, sizeof(b)), "1:2: Expected Name, found <EOF>");
	CHECK_STR(query_err("{ ...MissingOn }\nfragment MissingOn Type", b, sizeof(b)),
	          "2:20: Expected \"on\", found Name \"Type\"");
	CHECK_STR(query_err("{ field: {} }", b, sizeof(b)), "1:10: Expected Name, found {");
	CHECK_STR(query_err("notanoperation Foo { field }", b, sizeof(b)),
	          "1:1: Unexpected Name \"notanoperation\"");
	CHECK_STR(query_err("...", b, sizeof(b)), "1:1: Unexpected ...");
	CHECK_STR(query_err("query Foo($x: Complex = { a: { b: [ $var ] } }) { field }", b,
	                    sizeof(b)),
	          "1:37: Unexpected $");
	CHECK_STR(query_err("fragment on on on { on }", b, sizeof(b)),
	          "1:10: Unexpected Name \"on\"");
	CHECK_STR(query_err("{ ...on }", b, sizeof(b)), "1:9: Expected Name, found }");
	CHECK_STR(query_err("{ f(a: \"\u00e9\u00e9\") }\n{ x", b, sizeof(b)),
	          "2:4: Expected Name, found <EOF>"); /* columns count runes */
	/* parser/schema_test.yml */
	CHECK_STR(schema_err("type Hello { }", b, sizeof(b)),
	          "1:14: expected at least one definition, found }");
	CHECK_STR(schema_err("extend type Hello", b, sizeof(b)), "1:18: Unexpected <EOF>");
	CHECK_STR(schema_err("\n\"Description\"\nextend type Hello {\n  world: String\n}", b,
	                     sizeof(b)),
	          "2:2: Unexpected String \"Description\"");
	CHECK_STR(schema_err("union Hello = |", b, sizeof(b)), "1:16: Expected Name, found <EOF>");
	CHECK_STR(schema_err("union Hello = Wo | | Rld", b, sizeof(b)),
	          "1:20: Expected Name, found |");
	CHECK_STR(schema_err("input Hello {\n  world(foo: Int): String\n}", b, sizeof(b)),
	          "2:8: Expected :, found (");
	CHECK_STR(schema_err("directive @foo on FIELD | INCORRECT_LOCATION", b, sizeof(b)),
	          "1:27: Unexpected Name \"INCORRECT_LOCATION\"");
	/* a lexer error surfaces as the parser's view of the Invalid token */
	CHECK_STR(schema_err("\"\"\"\r", b, sizeof(b)), "2:1: Unexpected <Invalid>");
	/* parseFieldDefinition expects a Name (gqlparser parser/schema.go) */
	CHECK_STR(schema_err("type X {\n\x01", b, sizeof(b)),
	          "2:1: Expected Name, found <Invalid>");
	CHECK_STR(query_err("{ f(a: \"abc) }", b, sizeof(b)), "1:15: Unexpected <Invalid>");
	CHECK_STR(query_err("", b, sizeof(b)), "ok");
}

TEST(limits)
{
	char b[1024];
	size_t n = TG_GQL_MAX_DEPTH + 10, k = 0;
	char *deep = malloc(4 * n + 64);
	struct tg_gql_ctx g;
	struct tg_gql_qdoc *d;
	/* selection sets nested past the limit */
	for (size_t i = 0; i < n; i++) {
		memcpy(deep + k, "{a", 2);
		k += 2;
	}
	for (size_t i = 0; i < n; i++)
		deep[k++] = '}';
	deep[k] = '\0';
	tg_gql_ctx_init(&g);
	CHECK(!tg_gql_parse_query(&g, deep, k, &d));
	CHECK(g.err.toobig);
	CHECK(strstr(g.err.msg, "depth limit") != NULL);
	tg_gql_ctx_release(&g);
	/* list values nested past the limit */
	k = (size_t)snprintf(deep, 64, "{ f(a: ");
	for (size_t i = 0; i < n; i++)
		deep[k++] = '[';
	deep[k] = '\0';
	CHECK(strstr(query_err(deep, b, sizeof(b)), "depth limit") != NULL);
	/* list types too */
	k = (size_t)snprintf(deep, 64, "query ($a: ");
	for (size_t i = 0; i < n; i++)
		deep[k++] = '[';
	deep[k] = '\0';
	CHECK(strstr(query_err(deep, b, sizeof(b)), "depth limit") != NULL);
	/* just under the limit parses */
	k = 0;
	for (size_t i = 0; i + 2 < TG_GQL_MAX_DEPTH; i++) {
		memcpy(deep + k, "{a", 2);
		k += 2;
	}
	for (size_t i = 0; i + 2 < TG_GQL_MAX_DEPTH; i++)
		deep[k++] = '}';
	deep[k] = '\0';
	CHECK_STR(query_err(deep, b, sizeof(b)), "ok");
	free(deep);
	/* token count */
	{
		size_t m = (size_t)TG_GQL_MAX_TOKENS + 10;
		char *many = malloc(2 * m + 8);
		k = 0; /* comments count as tokens and build nothing */
		for (size_t i = 0; i < m; i++) {
			many[k++] = '#';
			many[k++] = '\n';
		}
		many[k] = '\0';
		CHECK(strstr(query_err(many, b, sizeof(b)), "tokens") != NULL);
		free(many);
	}
	/* a deep AST object is refused, not recursed into */
	{
		const struct tg_json *out;
		struct tg_buf jb;
		tg_buf_init(&jb, 1 << 20);
		size_t on = TG_GQL_MAX_OBJ_DEPTH + 10;
		CHECK_OK(tg_buf_adds(&jb, "[{\"Operations\": [{\"SelectionSet\": "));
		for (size_t i = 0; i < on; i++)
			CHECK_OK(tg_buf_adds(&jb, "[{\"Name\": \"a\", \"SelectionSet\": "));
		CHECK_OK(tg_buf_adds(&jb, "null"));
		for (size_t i = 0; i < on; i++)
			CHECK_OK(tg_buf_adds(&jb, "}]"));
		CHECK_OK(tg_buf_adds(&jb, "}]}, \"type Query { a: String }\"]"));
		CHECK_OK(tg_buf_addc(&jb, '\0'));
		CHECK_ERR(call("graphql.parse", (const char *)jb.data, &out), TG_E_TOOBIG);
		tg_buf_release(&jb);
	}
}

TEST(schema_validation)
{
	char b[1024];
	/* validator/schema_test.yml */
	CHECK_STR(validate("type A {\n  name: String\n}\ntype A {\n  name: String\n}", "{ a }", b,
	                   sizeof(b)),
	          "4:6: Cannot redeclare type A.");
	CHECK_STR(validate("type A {\n  name: String\n  name: String\n}", "{ a }", b, sizeof(b)),
	          "3:3: Field A.name can only be defined once.");
	CHECK_STR(validate("type __FooBar {\n  id: ID\n}", "{ a }", b, sizeof(b)),
	          "1:6: Name \"__FooBar\" must not begin with \"__\", which is reserved by GraphQL "
	          "introspection.");
}

TEST(query_validation)
{
	char b[1024];
	const char *s = "type Query { dog: Dog, field(a: Int!): String }\n"
	                "type Dog { name: String, barks: Boolean }\n"
	                "enum Locale { EN DE }";
	/* FieldsOnCorrectType (imported spec) */
	CHECK_STR(validate(s, "{ dog { meowVolume } }", b, sizeof(b)),
	          "1:9: Cannot query field \"meowVolume\" on type \"Dog\".");
	CHECK_STR(validate(s, "{ dog { nam } }", b, sizeof(b)),
	          "1:9: Cannot query field \"nam\" on type \"Dog\". Did you mean \"name\"?");
	/* ProvidedRequiredArguments: OPA's "validation rules are independent" */
	CHECK_STR(validate(s, "{ field }", b, sizeof(b)),
	          "1:3: Field \"field\" argument \"a\" of type \"Int!\" is required, but it was "
	          "not provided.");
	/* NoUnusedVariables, NoUndefinedVariables */
	CHECK_STR(validate(s, "query Foo($x: Int) { dog { name } }", b, sizeof(b)),
	          "1:11: Variable \"$x\" is never used in operation \"Foo\".");
	CHECK_STR(validate(s, "query Foo { field(a: $y) }", b, sizeof(b)),
	          "1:22: Variable \"$y\" is not defined by operation \"Foo\".");
	/* ScalarLeafs */
	CHECK_STR(validate(s, "{ dog }", b, sizeof(b)),
	          "1:3: Field \"dog\" of type \"Dog\" must have a selection of subfields. Did you "
	          "mean \"dog { ... }\"?");
	/* ValuesOfCorrectType */
	CHECK_STR(validate(s, "{ field(a: \"x\") }", b, sizeof(b)),
	          "1:13: Int cannot represent non-integer value: \"x\""); /* after the quote */
	CHECK_STR(validate(s, "{ field(a: 829384293849283498239482938) }", b, sizeof(b)),
	          "1:12: Int cannot represent non 32-bit signed integer value: "
	          "829384293849283498239482938");
	CHECK_STR(validate(s, "{ field(a: 3000000000) }", b, sizeof(b)), "ok"); /* v2.5.1 */
	/* NoFragmentCycles */
	CHECK_STR(
	        validate(s,
	                 "{ dog { ...A } }\nfragment A on Dog { ...B }\nfragment B on Dog { ...A }",
	                 b, sizeof(b)),
	        "3:24: Cannot spread fragment \"A\" within itself via \"B\".");
	/* OverlappingFieldsCanBeMerged */
	CHECK_STR(validate(s, "{ dog { name: barks name } }", b, sizeof(b)),
	          "1:21: Fields \"name\" conflict because \"barks\" and \"name\" are different "
	          "fields. Use different aliases on the fields to fetch both if this was "
	          "intentional.");
	/* KnownRootType */
	CHECK_STR(validate(s, "mutation { dog { name } }", b, sizeof(b)),
	          "1:1: Schema does not support operation type \"mutation\"");
	CHECK_STR(validate(s, "{ dog { name } __typename }", b, sizeof(b)), "ok");
}

TEST(builtins)
{
	const struct tg_json *out;
	/* OPA's message formats */
	CHECK_ERR(call("graphql.parse_query", "[\"{\"]", &out), TG_E_INVAL);
	CHECK_STR(diag.msg, "Expected Name, found <EOF> in GraphQL string at location 1:2");
	CHECK_ERR(call("graphql.parse", "[\"{ zzz }\", \"type Query { b: Int }\"]", &out),
	          TG_E_INVAL);
	CHECK_STR(diag.msg, "Cannot query field \"zzz\" on type \"Query\" in GraphQL query string "
	                    "at location 1:3");
	CHECK_ERR(call("graphql.parse", "[\"{ a }\", \"type Query { b: Int }\"]", &out),
	          TG_E_INVAL);
	CHECK_STR(diag.msg, "Cannot query field \"a\" on type \"Query\". Did you mean \"b\"?\n in "
	                    "GraphQL query string at location 1:3");
	/* several errors: OPA keeps the later ones in the message (SplitN on the list) */
	CHECK_ERR(call("graphql.parse", "[\"{ zzz yyy }\", \"type Query { b: Int }\"]", &out),
	          TG_E_INVAL);
	CHECK_STR(diag.msg,
	          "Cannot query field \"zzz\" on type \"Query\".\ninput:1:7: Cannot query field "
	          "\"yyy\" on type \"Query\" in GraphQL query string at location 1:3");
	CHECK_ERR(call("graphql.parse", "[\"{ a }\", \"type Query { b: Nope }\"]", &out),
	          TG_E_INVAL);
	CHECK_STR(diag.msg, "Error in gqlparser SchemaDocument to Schema conversion: input:1:17: "
	                    "Undefined type Nope.");
	CHECK_ERR(call("graphql.parse", "[1, \"type Query { b: Int }\"]", &out), TG_E_TYPE);
	CHECK_STR(diag.msg, "operand 0 must be one of {string, object} but got number");
	CHECK_OK(call("graphql.is_valid", "[\"{ a }\", \"type Query { b: Int }\"]", &out));
	CHECK(out == tg_json_bool(false));
	CHECK_OK(call("graphql.is_valid", "[\"{ b }\", \"type Query { b: Int }\"]", &out));
	CHECK(out == tg_json_bool(true));
	CHECK_OK(call("graphql.schema_is_valid", "[\"type Query { b: Int }\"]", &out));
	CHECK(out == tg_json_bool(true));
	CHECK_OK(call("graphql.schema_is_valid", "[\"type Query\"]", &out));
	CHECK(out == tg_json_bool(false));
	CHECK_OK(call("graphql.parse_and_verify", "[\"{ a }\", \"type Query { b: Int }\"]", &out));
	CHECK(out && out->type == TG_JSON_ARRAY && out->u.a.len == 3 &&
	      out->u.a.items[0] == tg_json_bool(false));
}

/* The AST read back from its JSON is the same AST; selections come back
 * as fields, as gqlparser's UnmarshalSelectionSet makes them. */
TEST(ast_objects)
{
	const struct tg_json *q, *out, *again, *want;
	struct tg_buf b;
	const char *w =
	        "{\"Operations\": [{\"Name\": \"\", \"Operation\": \"query\", \"SelectionSet\": "
	        "[{\"Alias\": \"\", \"Name\": \"\", \"SelectionSet\": [{\"Alias\": \"b\", "
	        "\"Name\": \"b\"}]}]}]}";
	CHECK_OK(call("graphql.parse_query",
	              "[\"query Q($v: [Int!]! = [1]) { a(x: {y: $v}) @skip(if: true) { b } }\"]",
	              &q));
	tg_buf_init(&b, 1 << 20);
	CHECK_OK(tg_buf_adds(&b, "["));
	CHECK_OK(tg_json_emit(&b, q, 0));
	CHECK_OK(tg_buf_adds(
	        &b, ", \"type Query { a(x: In): A } input In { y: [Int!] } type A { b: Int }\"]"));
	CHECK_OK(tg_buf_addc(&b, '\0'));
	CHECK_OK(call("graphql.parse", (const char *)b.data, &out));
	tg_buf_release(&b);
	CHECK(out && out->type == TG_JSON_ARRAY && out->u.a.len == 2);
	if (out && out->type == TG_JSON_ARRAY && out->u.a.len == 2) {
		again = out->u.a.items[0];
		CHECK(tg_json_eq(again, q));
	}
	/* an inline fragment given as an object becomes a field named "" */
	CHECK_OK(call("graphql.is_valid", "[\"{ ... on Query { b } }\", \"type Query { b: Int }\"]",
	              &out));
	CHECK(out == tg_json_bool(true));
	CHECK_OK(call("graphql.is_valid",
	              "[{\"Operations\": [{\"Operation\": \"query\", \"SelectionSet\": "
	              "[{\"SelectionSet\": [{\"Alias\": \"b\", \"Name\": \"b\"}], "
	              "\"TypeCondition\": \"Query\"}]}]}, \"type Query { b: Int }\"]",
	              &out));
	CHECK(out == tg_json_bool(false));
	/* a type mismatch inside an AST object is Go's unmarshal error */
	CHECK_ERR(call("graphql.parse", "[{\"Operations\": 5}, \"type Query { b: Int }\"]", &out),
	          TG_E_INVAL);
	CHECK(strstr(diag.msg, "json: cannot unmarshal number") != NULL);
	/* read back directly, the inline fragment shows as that field */
	{
		struct tg_gql_ctx g;
		struct tg_gql_qdoc *d = NULL;
		const struct tg_json *in, *back = NULL;
		const char *inl = "{\"Operations\": [{\"Name\": \"\", \"Operation\": \"query\", "
		                  "\"SelectionSet\": [{\"SelectionSet\": [{\"Alias\": \"b\", "
		                  "\"Name\": \"b\"}], \"TypeCondition\": \"Query\"}]}]}";
		CHECK_OK(tg_json_parse(&arena, inl, strlen(inl), NULL, &in, NULL, NULL));
		CHECK_OK(tg_json_parse(&arena, w, strlen(w), NULL, &want, NULL, NULL));
		tg_gql_ctx_init(&g);
		CHECK(tg_gql_qdoc_from_json(&g, in, &d));
		if (d)
			CHECK_OK(tg_gql_qdoc_json(&g, &arena, d, &back));
		CHECK(back && tg_json_eq(back, want));
		tg_gql_ctx_release(&g);
	}
}

int main(void)
{
	tg_arena_init(&arena, 256u * 1024 * 1024);
	RUN(parser_errors);
	RUN(limits);
	RUN(schema_validation);
	RUN(query_validation);
	RUN(builtins);
	RUN(ast_objects);
	tg_arena_release(&arena);
	return tg_test_done();
}
