/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builtins_graphql.c - OPA's graphql.* built-ins: parse, parse_and_verify,
 * parse_query, parse_schema, is_valid, schema_is_valid, with OPA v1's
 * order of steps, results and messages (topdown/graphql.go over
 * gqlparser v2.5.1; see graphql.h).
 */
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "rego/graphql.h"
#include "rego/rego_bi.h"
#include "rego/rego_builtin.h"

#define TG_GQL_ANY "any<string, object[any: any]>"

/* The parser's and validator's first error as OPA words it. */
static tg_err tg_gql_error(struct tg_rego_bctx *c, struct tg_gql_ctx *g, const char *where)
{
	if (g->err.toobig) {
		tg_diag_set(c->d, "%s", g->err.msg);
		return TG_E_TOOBIG;
	}
	if (g->err.pos.line)
		return tg_rego_bi_fail(c, "%s in GraphQL %s at location %u:%u", g->err.msg, where,
		                       g->err.pos.line, g->err.pos.col);
	return tg_rego_bi_fail(c, "%s", g->err.msg);
}

static tg_err check_size(struct tg_rego_bctx *c, size_t n)
{
	if (n > TG_GQL_MAX_INPUT) {
		tg_diag_set(c->d, "graphql document of %zu bytes exceeds the limit of %u bytes", n,
		            TG_GQL_MAX_INPUT);
		return TG_E_TOOBIG;
	}
	return tg_rego_bi_charge(c, n / 16 + 1);
}

enum outcome { OK_DOC, BAD_TYPE, BAD_DOC };

/* A query (q) or schema (sd) operand, the other NULL: text to parse or an
 * AST object. */
static enum outcome get_doc(struct tg_rego_bctx *c, struct tg_gql_ctx *g, const struct tg_json *v,
                            struct tg_gql_qdoc **q, struct tg_gql_sdoc **sd, tg_err *e)
{
	bool ok;
	*e = TG_OK;
	if (v->type == TG_JSON_STRING) {
		if ((*e = check_size(c, v->u.s.len)) != TG_OK)
			return BAD_DOC;
		ok = q ? tg_gql_parse_query(g, v->u.s.p, v->u.s.len, q)
		       : tg_gql_parse_schema(g, v->u.s.p, v->u.s.len, false, sd);
		return ok ? OK_DOC : BAD_DOC;
	}
	if (v->type == TG_JSON_OBJECT) {
		ok = q ? tg_gql_qdoc_from_json(g, v, q) : tg_gql_sdoc_from_json(g, v, sd);
		return ok ? OK_DOC : BAD_DOC;
	}
	return BAD_TYPE;
}

static const char *const str_or_obj[] = {"string", "object", NULL};

/* The schema conversion error: "Error in gqlparser SchemaDocument to Schema
 * conversion: input:L:C: msg" (gqlerror's Error() with OPA's column). */
static tg_err schema_error(struct tg_rego_bctx *c, struct tg_gql_ctx *g)
{
	if (g->err.toobig)
		return tg_gql_error(c, g, "");
	if (g->err.pos.line)
		return tg_rego_bi_fail(
		        c, "Error in gqlparser SchemaDocument to Schema conversion: %s:%u:%u: %s",
		        g->err.pos.prelude ? "prelude.graphql" : "input", g->err.pos.line,
		        g->err.pos.col, g->err.msg);
	return tg_rego_bi_fail(
	        c, "Error in gqlparser SchemaDocument to Schema conversion: input: %s", g->err.msg);
}

/* Every validation error as gqlerror.List's Error() prints them:
 * "input:L:C: message\n" each (no ":L:C" without a position). */
struct errlist {
	struct tg_buf b;
	size_t n;
	bool full;
};

static void add_listed(void *ctx, const char *rule, const char *msg, struct tg_gql_pos pos)
{
	struct errlist *l = ctx;
	char loc[32] = "";
	(void)rule;
	l->n++;
	if (l->full)
		return;
	if (pos.line)
		snprintf(loc, sizeof(loc), ":%u:%u", pos.line, pos.col);
	if (tg_buf_addf(&l->b, "%s%s: %s\n", pos.prelude ? "prelude.graphql" : "input", loc, msg) !=
	    TG_OK)
		l->full = true;
}

/*
 * OPA's validateQuery: strings.SplitN(err.Error(), ":", 4) of the whole
 * list, the message part with leading spaces and one trailing ".\n"
 * trimmed, then "in GraphQL query string at location L:C". With several
 * errors the later ones stay in the message, as in OPA.
 */
static tg_err query_error(struct tg_rego_bctx *c, struct errlist *l)
{
	const char *s = l->b.data ? (const char *)l->b.data : "";
	size_t n = l->b.len, cut[3], k = 0;
	const char *m;
	size_t mn;
	for (size_t i = 0; i < n && k < 3; i++)
		if (s[i] == ':')
			cut[k++] = i;
	if (k < 3) /* no position: OPA indexes past its split */
		return tg_rego_bi_fail(c, "%.*s in GraphQL query string",
		                       (int)(n && s[n - 1] == '\n' ? n - 1 : n), s);
	m = s + cut[2] + 1;
	mn = n - (cut[2] + 1);
	while (mn && *m == ' ') {
		m++;
		mn--;
	}
	if (mn >= 2 && m[mn - 2] == '.' && m[mn - 1] == '\n')
		mn -= 2;
	return tg_rego_bi_fail(c, "%.*s in GraphQL query string at location %.*s:%.*s", (int)mn, m,
	                       (int)(cut[1] - cut[0] - 1), s + cut[0] + 1,
	                       (int)(cut[2] - cut[1] - 1), s + cut[1] + 1);
}

static tg_err charge_work(struct tg_rego_bctx *c, struct tg_gql_ctx *g)
{
	return tg_rego_bi_charge(c, g->work / 64 + 1);
}

/* graphql.parse and graphql.parse_and_verify share these steps; verify
 * turns every GraphQL error into [false, {}, {}]. */
static tg_err parse_both(struct tg_rego_bctx *c, const struct tg_json *const *args, bool verify,
                         const struct tg_json **out)
{
	struct tg_gql_ctx g;
	struct tg_gql_qdoc *q = NULL;
	struct tg_gql_sdoc *s = NULL;
	struct tg_gql_schema *schema = NULL;
	const struct tg_json *items[3], *qj = NULL, *sj = NULL;
	enum outcome o;
	tg_err r, e;
	tg_gql_ctx_init(&g);
	/* the query, then the schema */
	for (int i = 0; i < 2; i++) {
		o = get_doc(c, &g, args[i], i == 0 ? &q : NULL, i == 1 ? &s : NULL, &e);
		if (e) {
			r = e;
			goto out;
		}
		if (o == BAD_TYPE) {
			r = verify ? TG_OK : tg_rego_bi_type_error_any(c, i, str_or_obj, args[i]);
			goto unverified;
		}
		if (o == BAD_DOC) {
			r = g.err.toobig || !verify ? tg_gql_error(c, &g, "string") : TG_OK;
			goto unverified;
		}
	}
	/* OPA turns the ASTs into values before validation fills them in */
	if ((r = tg_gql_qdoc_json(&g, c->a, q, &qj)) != TG_OK ||
	    (r = tg_gql_sdoc_json(&g, c->a, s, &sj)) != TG_OK)
		goto out;
	if (!tg_gql_schema_load(&g, s, &schema)) {
		r = g.err.toobig || !verify ? schema_error(c, &g) : TG_OK;
		goto unverified;
	}
	if (verify) {
		if (!tg_gql_validate(&g, schema, q)) {
			r = g.err.toobig ? tg_gql_error(c, &g, "") : TG_OK;
			goto unverified;
		}
	} else {
		struct errlist l;
		memset(&l, 0, sizeof(l));
		tg_buf_init(&l.b, TG_GQL_MAX_MESSAGES);
		if (!tg_gql_validate_all(&g, schema, q, add_listed, &l))
			r = tg_gql_error(c, &g, "");
		else if (l.n)
			r = query_error(c, &l);
		tg_buf_release(&l.b);
		if (r != TG_OK || l.n)
			goto out;
	}
	if ((r = charge_work(c, &g)) != TG_OK)
		goto out;
	if (verify) {
		items[0] = tg_json_bool(true);
		items[1] = qj;
		items[2] = sj;
		r = tg_json_new_array(c->a, items, 3, out);
	} else {
		items[0] = qj;
		items[1] = sj;
		r = tg_json_new_array(c->a, items, 2, out);
	}
	goto out;
unverified:
	if (r == TG_OK) {
		items[0] = tg_json_bool(false);
		items[1] = &tg_json_empty_object_v;
		items[2] = &tg_json_empty_object_v;
		r = tg_json_new_array(c->a, items, 3, out);
	}
out:
	tg_gql_ctx_release(&g);
	return r;
}

static tg_err bi_parse(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
                       const struct tg_json **out)
{
	(void)nargs;
	return parse_both(c, args, false, out);
}

static tg_err bi_parse_and_verify(struct tg_rego_bctx *c, const struct tg_json *const *args,
                                  size_t nargs, const struct tg_json **out)
{
	(void)nargs;
	return parse_both(c, args, true, out);
}

/* graphql.parse_query and graphql.parse_schema: text only. */
static tg_err parse_text(struct tg_rego_bctx *c, const struct tg_json *v, bool schema,
                         const struct tg_json **out)
{
	struct tg_gql_ctx g;
	struct tg_gql_qdoc *q = NULL;
	struct tg_gql_sdoc *d = NULL;
	const char *s;
	size_t n;
	tg_err r;
	if ((r = tg_rego_bi_str(c, v, 1, &s, &n)) != TG_OK) /* objects too are a type error */
		return r;
	tg_gql_ctx_init(&g);
	if (get_doc(c, &g, v, schema ? NULL : &q, schema ? &d : NULL, &r) != OK_DOC)
		r = r != TG_OK ? r : tg_gql_error(c, &g, "string");
	else if (schema)
		r = tg_gql_sdoc_json(&g, c->a, d, out);
	else
		r = tg_gql_qdoc_json(&g, c->a, q, out);
	tg_gql_ctx_release(&g);
	return r;
}

static tg_err bi_parse_query(struct tg_rego_bctx *c, const struct tg_json *const *args,
                             size_t nargs, const struct tg_json **out)
{
	(void)nargs;
	return parse_text(c, args[0], false, out);
}

static tg_err bi_parse_schema(struct tg_rego_bctx *c, const struct tg_json *const *args,
                              size_t nargs, const struct tg_json **out)
{
	(void)nargs;
	return parse_text(c, args[0], true, out);
}

/* false for any GraphQL problem; limits still raise errors. */
static tg_err bool_result(struct tg_rego_bctx *c, struct tg_gql_ctx *g, bool ok,
                          const struct tg_json **out)
{
	tg_err r;
	if (!ok && g->err.toobig)
		return tg_gql_error(c, g, "");
	if ((r = charge_work(c, g)) != TG_OK)
		return r;
	*out = tg_json_bool(ok);
	return TG_OK;
}

/* graphql.is_valid (query qv against schema sv) and, with qv NULL,
 * graphql.schema_is_valid. */
static tg_err is_valid(struct tg_rego_bctx *c, const struct tg_json *qv, const struct tg_json *sv,
                       const struct tg_json **out)
{
	struct tg_gql_ctx g;
	struct tg_gql_qdoc *q = NULL;
	struct tg_gql_sdoc *s = NULL;
	struct tg_gql_schema *schema = NULL;
	bool ok = false;
	tg_err r, e = TG_OK;
	tg_gql_ctx_init(&g);
	if ((!qv || get_doc(c, &g, qv, &q, NULL, &e) == OK_DOC) &&
	    get_doc(c, &g, sv, NULL, &s, &e) == OK_DOC && tg_gql_schema_load(&g, s, &schema) &&
	    (!qv || tg_gql_validate(&g, schema, q)))
		ok = true;
	if (e)
		r = e;
	else
		r = bool_result(c, &g, ok, out);
	tg_gql_ctx_release(&g);
	return r;
}

static tg_err bi_is_valid(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
                          const struct tg_json **out)
{
	(void)nargs;
	return is_valid(c, args[0], args[1], out);
}

static tg_err bi_schema_is_valid(struct tg_rego_bctx *c, const struct tg_json *const *args,
                                 size_t nargs, const struct tg_json **out)
{
	(void)nargs;
	return is_valid(c, NULL, args[0], out);
}

const struct tg_rego_builtin tg_rego_builtins_graphql[] = {
        {"graphql.parse", NULL, 2,
         "(" TG_GQL_ANY ", " TG_GQL_ANY ") => array<object[any: any], object[any: any]>", bi_parse,
         0},
        {"graphql.parse_and_verify", NULL, 2,
         "(" TG_GQL_ANY ", " TG_GQL_ANY ") => array<boolean, object[any: any], object[any: any]>",
         bi_parse_and_verify, 0},
        {"graphql.parse_query", NULL, 1, "(string) => object[any: any]", bi_parse_query, 0},
        {"graphql.parse_schema", NULL, 1, "(string) => object[any: any]", bi_parse_schema, 0},
        {"graphql.is_valid", NULL, 2, "(" TG_GQL_ANY ", " TG_GQL_ANY ") => boolean", bi_is_valid,
         0},
        {"graphql.schema_is_valid", NULL, 1, "(" TG_GQL_ANY ") => boolean", bi_schema_is_valid, 0},
        {NULL, NULL, 0, NULL, NULL, 0},
};
