/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_rego_graphql.c - libFuzzer target for the GraphQL parser, the
 * AST-to-JSON mapping and back, and schema and query validation behind
 * the graphql.* built-ins: never a crash, a hang or a partial result.
 */

/*
 * Input (UTF-8): the schema text, a NUL byte, then the query text (no NUL: the
 * whole input is both). Each is parsed; when both parse, the schema is
 * loaded and the query validated, every error collected. Each AST goes to
 * JSON, is read back as an AST object and must come out the same JSON
 * (selections aside, which Go's decoder turns into fields), and the
 * built-ins run on the same operands.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/json.h"
#include "rego/graphql.h"
#include "rego/rego_builtin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count_err(void *ctx, const char *rule, const char *msg, struct tg_gql_pos pos)
{
	size_t *n = ctx;
	(void)pos;
	if (!rule || !msg || !msg[0])
		abort();
	(*n)++;
}

static void call(struct tg_arena *a, const char *name, const struct tg_json *const *args)
{
	const struct tg_rego_builtin *b = tg_rego_builtin_find(name, strlen(name));
	struct tg_diag d;
	struct tg_rego_bctx c;
	uint64_t budget = 50000000;
	const struct tg_json *out = NULL;
	tg_err e;
	memset(&c, 0, sizeof(c));
	memset(&d, 0, sizeof(d));
	c.a = a;
	c.d = &d;
	c.name = name;
	c.budget = &budget;
	if (!b)
		abort();
	e = b->fn(&c, args, (size_t)b->arity, &out);
	if (e == TG_OK && !out)
		abort();
	if (e != TG_OK && !d.msg[0])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_arena a;
	struct tg_gql_ctx g;
	struct tg_gql_sdoc *sd = NULL, *sd2 = NULL;
	struct tg_gql_qdoc *qd = NULL;
	struct tg_gql_schema *s = NULL;
	const struct tg_json *sj = NULL, *qj = NULL, *sj2 = NULL, *args[2];
	const uint8_t *nul = memchr(data, 0, size);
	const char *st = (const char *)data, *qt = (const char *)data;
	size_t sn = size, qn = size, nerr = 0;
	if (size > 1u << 16)
		return 0;
	if (nul) {
		sn = (size_t)(nul - data);
		qt = (const char *)nul + 1;
		qn = size - sn - 1;
	}
	tg_arena_init(&a, 64u * 1024 * 1024);
	/* Rego strings are UTF-8: other input never reaches the built-ins */
	if (tg_json_new_string(&a, qt, qn, &args[0]) != TG_OK ||
	    tg_json_new_string(&a, st, sn, &args[1]) != TG_OK) {
		tg_arena_release(&a);
		return 0;
	}
	tg_gql_ctx_init(&g);
	if (tg_gql_parse_schema(&g, st, sn, false, &sd)) {
		if (tg_gql_sdoc_json(&g, &a, sd, &sj) != TG_OK)
			abort();
		/* the JSON reads back to the same JSON */
		if (!tg_gql_sdoc_from_json(&g, sj, &sd2) ||
		    tg_gql_sdoc_json(&g, &a, sd2, &sj2) != TG_OK || !tg_json_eq(sj, sj2))
			abort();
	}
	tg_gql_ctx_release(&g);
	tg_gql_ctx_init(&g);
	if (tg_gql_parse_query(&g, qt, qn, &qd) && tg_gql_qdoc_json(&g, &a, qd, &qj) != TG_OK)
		abort();
	tg_gql_ctx_release(&g);
	tg_gql_ctx_init(&g);
	if (sd && qd && tg_gql_parse_schema(&g, st, sn, false, &sd) &&
	    tg_gql_parse_query(&g, qt, qn, &qd) && tg_gql_schema_load(&g, sd, &s))
		(void)tg_gql_validate_all(&g, s, qd, count_err, &nerr);
	tg_gql_ctx_release(&g);
	/* the built-ins, on text and on the AST objects */
	{
		call(&a, "graphql.parse", args);
		call(&a, "graphql.is_valid", args);
		call(&a, "graphql.schema_is_valid", args + 1);
		if (qj && sj) {
			args[0] = qj;
			args[1] = sj;
			call(&a, "graphql.parse_and_verify", args);
		}
	}
	tg_arena_release(&a);
	return 0;
}
