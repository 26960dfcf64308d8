/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_astjson.c - rego.parse_module: a module's AST in the JSON shape
 * OPA's encoding/json gives *ast.Module (ast/policy.go and ast/term.go
 * MarshalJSON with the default options), as a Rego value.
 */

/*
 * OPA v1.1.0 parses the text as Rego v1 whatever the calling policy's
 * version (its topdown calls ast.ParseModule, whose default is v1); so
 * does this. The shape, with the default JSON options (no locations except
 * the comments', which OPA always includes):
 *
 *   {"package": {"path": [terms]}, "imports": [{"path": term, "alias"?}],
 *    "rules": [{"head": {"name"?, "ref", "key"?, "value"?, "args"?,
 *               "assign"?}, "body": [exprs], "default"?, "else"?}],
 *    "comments": [{"Text": base64, "Location": {"file","row","col"}}]}
 *   term: {"type": T, "value": V}; null's value is {} (Go marshals the
 *   empty struct); sets are their elements and objects their [key, value]
 *   pairs, both in OPA's sort order; calls and refs are term arrays;
 *   comprehensions {"term"|"key","value", "body"}.
 *   expr: {"index", "terms": term | [operator ref, args...] | {"symbols"}
 *          | {"key","value","domain","body"}, "negated"?, "with"?}
 *
 * The head follows OPA's parser (parseHead, parseRules, and the
 * ParseRuleFrom* helpers for rules without a body), which this parser
 * does not mirror field for field: rule.value NULL is OPA's generated
 * `true`, a missing body is OPA's generated [true], and the name/key of
 * two-part ref heads depends on the form written. Wildcards `_` become
 * OPA's "$0", "$1", ... in the order OPA's parser generates them (source
 * order; an else rule's wildcard arguments renumbered at its `else`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/limits.h"
#include "core/mem.h"
#include "rego/rego_ast.h"
#include "rego/rego_bi.h"
#include "rego/rego_builtin.h"

#define UNUSED_NARGS (void)nargs

/* ---- wildcard numbering ---- */

struct wc {
	const struct tg_rego_term *t;
	const void *ctx; /* the else rule whose head copy it is, or NULL */
	uint32_t row, col;
	size_t seq;
	size_t num;
};

struct aj {
	struct tg_arena *a;
	struct tg_rego_bctx *c;
	struct wc *wc;
	size_t nwc, capwc;
	unsigned depth;
	const struct tg_json *k_type, *k_value;
	const char *file;
};

static void wc_add(struct aj *j, const struct tg_rego_term *t, const void *ctx, uint32_t row,
		   uint32_t col)
{
	if (j->nwc == j->capwc) {
		j->capwc = j->capwc ? j->capwc * 2 : 16;
		j->wc = tg_xreallocarray(j->wc, j->capwc, sizeof(*j->wc));
	}
	j->wc[j->nwc] = (struct wc){t, ctx, row, col, j->nwc, 0};
	j->nwc++;
}

static bool is_wild(const struct tg_rego_term *t)
{
	return t && t->kind == TG_RT_VAR && t->u.var.len == 1 && t->u.var.name[0] == '_';
}

static void walk_body(struct aj *j, const struct tg_rego_body *b);

static void walk_term(struct aj *j, const struct tg_rego_term *t)
{
	size_t i;
	if (!t)
		return;
	switch (t->kind) {
	case TG_RT_VAR:
		if (is_wild(t))
			wc_add(j, t, NULL, t->loc.row, t->loc.col);
		break;
	case TG_RT_REF:
		for (i = 0; i < t->u.ref.n; i++)
			walk_term(j, t->u.ref.items[i]);
		break;
	case TG_RT_ARRAY:
	case TG_RT_SET:
	case TG_RT_OBJECT:
	case TG_RT_CALL:
	case TG_RT_TEMPLATE:
		for (i = 0; i < t->u.coll.n; i++)
			walk_term(j, t->u.coll.items[i]);
		break;
	case TG_RT_ARRAY_COMPR:
	case TG_RT_SET_COMPR:
	case TG_RT_OBJECT_COMPR:
		walk_term(j, t->u.compr.key);
		walk_term(j, t->u.compr.value);
		walk_body(j, t->u.compr.body);
		break;
	default:
		break;
	}
}

static void walk_expr(struct aj *j, const struct tg_rego_expr *e)
{
	size_t i;
	walk_term(j, e->term);
	for (i = 0; i < e->q.n; i++)
		walk_term(j, e->q.vars[i]);
	walk_term(j, e->q.key);
	walk_term(j, e->q.value);
	walk_term(j, e->q.domain);
	walk_body(j, e->q.body);
	for (i = 0; i < e->nwith; i++) {
		walk_term(j, e->with[i]->target);
		walk_term(j, e->with[i]->value);
	}
}

static void walk_body(struct aj *j, const struct tg_rego_body *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		walk_expr(j, b->exprs[i]);
}

static void walk_rule(struct aj *j, const struct tg_rego_rule *r)
{
	size_t i;
	walk_term(j, r->ref);
	for (i = 0; i < r->nargs; i++)
		walk_term(j, r->args[i]);
	walk_term(j, r->key);
	walk_term(j, r->value);
	walk_body(j, r->body);
	for (const struct tg_rego_rule *e = r->els; e; e = e->els) {
		/* OPA copies the head and generates fresh wildcards for its
		 * arguments when it reads `else` */
		for (i = 0; i < e->nargs; i++)
			if (is_wild(e->args[i]))
				wc_add(j, e->args[i], e, e->loc.row, e->loc.col);
		walk_term(j, e->value);
		walk_body(j, e->body);
	}
}

static int wc_pos_cmp(const void *a, const void *b)
{
	const struct wc *x = a, *y = b;
	if (x->row != y->row)
		return x->row < y->row ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int wc_key_cmp(const void *a, const void *b)
{
	const struct wc *x = a, *y = b;
	if (x->t != y->t)
		return (uintptr_t)x->t < (uintptr_t)y->t ? -1 : 1;
	if (x->ctx != y->ctx)
		return (uintptr_t)x->ctx < (uintptr_t)y->ctx ? -1 : 1;
	return 0;
}

static bool wc_num(const struct aj *j, const struct tg_rego_term *t, const void *ctx, size_t *num)
{
	struct wc key = {t, ctx, 0, 0, 0, 0};
	const struct wc *w = j->nwc ? bsearch(&key, j->wc, j->nwc, sizeof(*j->wc), wc_key_cmp) : NULL;
	if (!w && ctx)
		return wc_num(j, t, NULL, num);
	if (!w)
		return false;
	*num = w->num;
	return true;
}

/* ---- OPA's order of AST terms (ast/compare.go) ---- */

static int sort_order(const struct tg_rego_term *t)
{
	switch (t->kind) {
	case TG_RT_SCALAR:
		return t->u.value->type; /* null 0, boolean 1, number 2, string 3 */
	case TG_RT_VAR: return 4;
	case TG_RT_REF: return 5;
	case TG_RT_ARRAY: return 6;
	case TG_RT_OBJECT: return 7;
	case TG_RT_SET: return 8;
	case TG_RT_ARRAY_COMPR: return 9;
	case TG_RT_OBJECT_COMPR: return 10;
	case TG_RT_SET_COMPR: return 11;
	case TG_RT_CALL: return 12;
	default: return 13;
	}
}

static int term_cmp(const struct aj *j, const struct tg_rego_term *a, const struct tg_rego_term *b,
		    const void *ctx);
static int body_cmp(const struct aj *j, const struct tg_rego_body *a, const struct tg_rego_body *b);

static int slice_cmp(const struct aj *j, struct tg_rego_term *const *a, size_t an,
		     struct tg_rego_term *const *b, size_t bn, const void *ctx)
{
	size_t n = an < bn ? an : bn;
	for (size_t i = 0; i < n; i++) {
		int c = term_cmp(j, a[i], b[i], ctx);
		if (c)
			return c;
	}
	return an < bn ? -1 : an > bn;
}

/* a var's name as OPA has it: wildcards numbered */
static void var_name(const struct aj *j, const struct tg_rego_term *t, const void *ctx, char *buf,
		     size_t bl, const char **s, size_t *n)
{
	size_t num;
	if (is_wild(t) && wc_num(j, t, ctx, &num)) {
		(void)snprintf(buf, bl, "$%zu", num);
		*s = buf;
		*n = strlen(buf);
		return;
	}
	*s = t->u.var.name;
	*n = t->u.var.len;
}

/* indexes of a set's or an object's items sorted and deduplicated as
 * OPA's set/object keeps them (objects: the last value of a key wins) */
struct sorter {
	const struct aj *j;
	const struct tg_rego_term *const *items;
	size_t step;
	const void *ctx;
};

/* qsort has no context argument; evaluations run on many threads */
static _Thread_local const struct sorter *g_sorter;

static int idx_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = term_cmp(g_sorter->j, g_sorter->items[x * g_sorter->step],
			 g_sorter->items[y * g_sorter->step], g_sorter->ctx);
	if (c)
		return c;
	return x < y ? -1 : x > y;
}

static size_t *sorted_unique(const struct aj *j, const struct tg_rego_term *const *items, size_t n,
			     size_t step, const void *ctx, size_t *outn)
{
	struct sorter s = {j, items, step, ctx};
	const struct sorter *saved = g_sorter;
	size_t *ix = tg_xmalloc((n ? n : 1) * sizeof(*ix)), k = 0;
	/* sorting nested sets and objects costs evaluation steps; at 0 the
	 * conversion stops (term_json checks) */
	if (j->c->budget)
		*j->c->budget = *j->c->budget > n + 1 ? *j->c->budget - n - 1 : 0;
	for (size_t i = 0; i < n; i++)
		ix[i] = i;
	g_sorter = &s;
	qsort(ix, n, sizeof(*ix), idx_cmp);
	g_sorter = saved;
	/* equal keys sort by position: keep the last of each run */
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && term_cmp(j, items[ix[i] * step], items[ix[i + 1] * step], ctx) == 0)
			continue;
		ix[k++] = ix[i];
	}
	*outn = k;
	return ix;
}

static int term_cmp(const struct aj *j, const struct tg_rego_term *a, const struct tg_rego_term *b,
		    const void *ctx)
{
	int oa, ob;
	if (!a || !b)
		return a ? 1 : b ? -1 : 0;
	oa = sort_order(a);
	ob = sort_order(b);
	if (oa != ob)
		return oa < ob ? -1 : 1;
	switch (a->kind) {
	case TG_RT_SCALAR:
		return tg_json_cmp(a->u.value, b->u.value);
	case TG_RT_VAR: {
		char b1[32], b2[32];
		const char *s1, *s2;
		size_t n1, n2;
		int c;
		var_name(j, a, ctx, b1, sizeof(b1), &s1, &n1);
		var_name(j, b, ctx, b2, sizeof(b2), &s2, &n2);
		c = memcmp(s1, s2, n1 < n2 ? n1 : n2);
		if (c)
			return c < 0 ? -1 : 1;
		return n1 < n2 ? -1 : n1 > n2;
	}
	case TG_RT_REF:
		return slice_cmp(j, a->u.ref.items, a->u.ref.n, b->u.ref.items, b->u.ref.n, ctx);
	case TG_RT_ARRAY:
	case TG_RT_CALL:
		return slice_cmp(j, a->u.coll.items, a->u.coll.n, b->u.coll.items, b->u.coll.n, ctx);
	case TG_RT_SET: {
		size_t na, nb, *ia = sorted_unique(j, (const struct tg_rego_term *const *)a->u.coll.items,
						   a->u.coll.n, 1, ctx, &na);
		size_t *ib = sorted_unique(j, (const struct tg_rego_term *const *)b->u.coll.items,
					   b->u.coll.n, 1, ctx, &nb);
		int c = 0;
		for (size_t i = 0; i < na && i < nb && !c; i++)
			c = term_cmp(j, a->u.coll.items[ia[i]], b->u.coll.items[ib[i]], ctx);
		if (!c)
			c = na < nb ? -1 : na > nb;
		free(ia);
		free(ib);
		return c;
	}
	case TG_RT_OBJECT: {
		size_t na, nb, *ia = sorted_unique(j, (const struct tg_rego_term *const *)a->u.coll.items,
						   a->u.coll.n / 2, 2, ctx, &na);
		size_t *ib = sorted_unique(j, (const struct tg_rego_term *const *)b->u.coll.items,
					   b->u.coll.n / 2, 2, ctx, &nb);
		int c = 0;
		for (size_t i = 0; i < na && i < nb && !c; i++) {
			c = term_cmp(j, a->u.coll.items[ia[i] * 2], b->u.coll.items[ib[i] * 2], ctx);
			if (!c)
				c = term_cmp(j, a->u.coll.items[ia[i] * 2 + 1],
					     b->u.coll.items[ib[i] * 2 + 1], ctx);
		}
		if (!c)
			c = na < nb ? -1 : na > nb;
		free(ia);
		free(ib);
		return c;
	}
	case TG_RT_ARRAY_COMPR:
	case TG_RT_SET_COMPR:
	case TG_RT_OBJECT_COMPR: {
		int c = term_cmp(j, a->u.compr.key, b->u.compr.key, ctx);
		if (!c)
			c = term_cmp(j, a->u.compr.value, b->u.compr.value, ctx);
		if (!c)
			c = body_cmp(j, a->u.compr.body, b->u.compr.body);
		return c;
	}
	default:
		return 0;
	}
}

/* ast.Expr.Compare, enough to order comprehensions */
static int expr_order(const struct tg_rego_expr *e)
{
	switch (e->kind) {
	case TG_RE_SOME_DECL:
	case TG_RE_SOME_IN:
		return 0;
	case TG_RE_EVERY:
		return 3;
	default:
		return e->term && e->term->kind == TG_RT_CALL ? 2 : 1;
	}
}

static int body_cmp(const struct aj *j, const struct tg_rego_body *a, const struct tg_rego_body *b)
{
	size_t an = a ? a->n : 0, bn = b ? b->n : 0;
	for (size_t i = 0; i < an && i < bn; i++) {
		const struct tg_rego_expr *x = a->exprs[i], *y = b->exprs[i];
		int c = expr_order(x) - expr_order(y);
		if (c)
			return c < 0 ? -1 : 1;
		if (x->index != y->index)
			return x->index < y->index ? -1 : 1;
		if (x->negated != y->negated)
			return x->negated ? 1 : -1;
		c = term_cmp(j, x->term, y->term, NULL);
		if (!c)
			c = term_cmp(j, x->q.key, y->q.key, NULL);
		if (!c)
			c = term_cmp(j, x->q.value, y->q.value, NULL);
		if (!c)
			c = term_cmp(j, x->q.domain, y->q.domain, NULL);
		if (!c)
			c = slice_cmp(j, x->q.vars, x->q.n, y->q.vars, y->q.n, NULL);
		if (!c)
			c = body_cmp(j, x->q.body, y->q.body);
		if (c)
			return c;
	}
	return an < bn ? -1 : an > bn;
}

/* ---- building the JSON value ---- */

#define TRY(x)                                                                                     \
	do {                                                                                       \
		if ((r = (x)) != TG_OK)                                                            \
			return r;                                                                  \
	} while (0)

static tg_err str(struct aj *j, const char *s, size_t n, const struct tg_json **out)
{
	return tg_json_new_string(j->a, s, n, out);
}

static tg_err obj(struct aj *j, struct tg_json_member *m, size_t n, const struct tg_json **out)
{
	return tg_json_new_object(j->a, m, n, TG_JSON_DUP_LAST, out);
}

static tg_err member(struct aj *j, struct tg_json_member *m, const char *k, const struct tg_json *v)
{
	m->val = v;
	return str(j, k, strlen(k), &m->key);
}

/* {"type": type, "value": value} */
static tg_err typed(struct aj *j, const char *type, const struct tg_json *value,
		    const struct tg_json **out)
{
	struct tg_json_member m[2];
	tg_err r;
	TRY(str(j, type, strlen(type), &m[0].val));
	m[0].key = j->k_type;
	m[1].key = j->k_value;
	m[1].val = value;
	return obj(j, m, 2, out);
}

static tg_err term_json(struct aj *j, const struct tg_rego_term *t, const void *ctx,
			const struct tg_json **out);
static tg_err body_json(struct aj *j, const struct tg_rego_body *b, const struct tg_rego_loc *loc,
			const struct tg_json **out);

static tg_err terms_array(struct aj *j, struct tg_rego_term *const *items, size_t n,
			  const void *ctx, const struct tg_json **out)
{
	const struct tg_json **v = tg_arena_alloc_array(j->a, n + 1, sizeof(*v));
	tg_err r;
	if (!v)
		return TG_E_TOOBIG;
	for (size_t i = 0; i < n; i++)
		TRY(term_json(j, items[i], ctx, &v[i]));
	return tg_json_new_array(j->a, v, n, out);
}

/* a call's operator as OPA has it: always a ref ("count" -> [count],
 * "internal.member_2" -> [internal, "member_2"]) */
static tg_err operator_json(struct aj *j, const struct tg_rego_term *op, const void *ctx,
			    const struct tg_json **out)
{
	const struct tg_json *items[16], *arr, *t;
	size_t n = 0;
	tg_err r;
	if (op->kind != TG_RT_VAR)
		return term_json(j, op, ctx, out);
	/* a dotted built-in name held as one var */
	{
		const char *s = op->u.var.name, *end = s + op->u.var.len;
		bool first = true;
		while (s <= end && n < 16) {
			const char *dot = memchr(s, '.', (size_t)(end - s));
			size_t len = dot ? (size_t)(dot - s) : (size_t)(end - s);
			TRY(str(j, s, len, &t));
			TRY(typed(j, first ? "var" : "string", t, &items[n++]));
			first = false;
			if (!dot)
				break;
			s = dot + 1;
		}
	}
	TRY(tg_json_new_array(j->a, items, n, &arr));
	return typed(j, "ref", arr, out);
}

static tg_err term_json(struct aj *j, const struct tg_rego_term *t, const void *ctx,
			const struct tg_json **out)
{
	const struct tg_json *v = NULL;
	tg_err r;
	if (!t) {
		*out = &tg_json_null_v;
		return TG_OK;
	}
	if (++j->depth > TG_LIMIT_REGO_PARSE_DEPTH) {
		j->depth--;
		return TG_E_DEPTH;
	}
	if (j->c->budget && *j->c->budget == 0) {
		j->depth--;
		return tg_rego_bi_charge(j->c, 1);
	}
	switch (t->kind) {
	case TG_RT_SCALAR: {
		static const char *const names[] = {"null", "boolean", "number", "string"};
		const struct tg_json *val = t->u.value;
		if (val->type > TG_JSON_STRING) {
			r = TG_E_INTERNAL;
			break;
		}
		/* Go marshals the value of ast.Null (an empty struct) as {} */
		r = typed(j, names[val->type],
			  val->type == TG_JSON_NULL ? &tg_json_empty_object_v : val, out);
		break;
	}
	case TG_RT_VAR: {
		char buf[32];
		const char *s;
		size_t n;
		var_name(j, t, ctx, buf, sizeof(buf), &s, &n);
		r = str(j, s, n, &v);
		if (r == TG_OK)
			r = typed(j, "var", v, out);
		break;
	}
	case TG_RT_REF:
		r = terms_array(j, t->u.ref.items, t->u.ref.n, ctx, &v);
		if (r == TG_OK)
			r = typed(j, "ref", v, out);
		break;
	case TG_RT_ARRAY:
		r = terms_array(j, t->u.coll.items, t->u.coll.n, ctx, &v);
		if (r == TG_OK)
			r = typed(j, "array", v, out);
		break;
	case TG_RT_CALL: {
		const struct tg_json **items = tg_arena_alloc_array(j->a, t->u.coll.n + 1, sizeof(*items));
		r = items ? TG_OK : TG_E_TOOBIG;
		for (size_t i = 0; r == TG_OK && i < t->u.coll.n; i++)
			r = i == 0 ? operator_json(j, t->u.coll.items[0], ctx, &items[0])
				   : term_json(j, t->u.coll.items[i], ctx, &items[i]);
		if (r == TG_OK)
			r = tg_json_new_array(j->a, items, t->u.coll.n, &v);
		if (r == TG_OK)
			r = typed(j, "call", v, out);
		break;
	}
	case TG_RT_SET: {
		size_t n, *ix = sorted_unique(j, (const struct tg_rego_term *const *)t->u.coll.items,
					      t->u.coll.n, 1, ctx, &n);
		const struct tg_json **items = tg_arena_alloc_array(j->a, n + 1, sizeof(*items));
		r = items ? TG_OK : TG_E_TOOBIG;
		for (size_t i = 0; r == TG_OK && i < n; i++)
			r = term_json(j, t->u.coll.items[ix[i]], ctx, &items[i]);
		free(ix);
		if (r == TG_OK)
			r = tg_json_new_array(j->a, items, n, &v);
		if (r == TG_OK)
			r = typed(j, "set", v, out);
		break;
	}
	case TG_RT_OBJECT: {
		size_t n, *ix = sorted_unique(j, (const struct tg_rego_term *const *)t->u.coll.items,
					      t->u.coll.n / 2, 2, ctx, &n);
		const struct tg_json **items = tg_arena_alloc_array(j->a, n + 1, sizeof(*items));
		r = items ? TG_OK : TG_E_TOOBIG;
		for (size_t i = 0; r == TG_OK && i < n; i++) {
			const struct tg_json *kv[2];
			r = term_json(j, t->u.coll.items[ix[i] * 2], ctx, &kv[0]);
			if (r == TG_OK)
				r = term_json(j, t->u.coll.items[ix[i] * 2 + 1], ctx, &kv[1]);
			if (r == TG_OK)
				r = tg_json_new_array(j->a, kv, 2, &items[i]);
		}
		free(ix);
		if (r == TG_OK)
			r = tg_json_new_array(j->a, items, n, &v);
		if (r == TG_OK)
			r = typed(j, "object", v, out);
		break;
	}
	case TG_RT_ARRAY_COMPR:
	case TG_RT_SET_COMPR:
	case TG_RT_OBJECT_COMPR: {
		struct tg_json_member m[3];
		size_t n = 0;
		const struct tg_json *x;
		r = TG_OK;
		if (t->kind == TG_RT_OBJECT_COMPR) {
			r = term_json(j, t->u.compr.key, ctx, &x);
			if (r == TG_OK)
				r = member(j, &m[n++], "key", x);
			if (r == TG_OK)
				r = term_json(j, t->u.compr.value, ctx, &x);
			if (r == TG_OK)
				r = member(j, &m[n++], "value", x);
		} else {
			r = term_json(j, t->u.compr.value, ctx, &x);
			if (r == TG_OK)
				r = member(j, &m[n++], "term", x);
		}
		if (r == TG_OK)
			r = body_json(j, t->u.compr.body, &t->loc, &x);
		if (r == TG_OK)
			r = member(j, &m[n++], "body", x);
		if (r == TG_OK)
			r = obj(j, m, n, &v);
		if (r == TG_OK)
			r = typed(j,
				  t->kind == TG_RT_ARRAY_COMPR ? "arraycomprehension"
				  : t->kind == TG_RT_SET_COMPR ? "setcomprehension"
							       : "objectcomprehension",
				  v, out);
		break;
	}
	case TG_RT_TEMPLATE:
		tg_diag_set(j->c->d, "1 error occurred: %s:%u: rego_parse_error: template strings "
				     "are not supported (OPA v1.1.0)",
			    j->file, t->loc.row);
		r = TG_E_UNSUPPORTED;
		break;
	default:
		r = TG_E_INTERNAL;
		break;
	}
	j->depth--;
	return r;
}

static tg_err true_term(struct aj *j, const struct tg_json **out)
{
	return typed(j, "boolean", &tg_json_true_v, out);
}

static tg_err expr_json(struct aj *j, const struct tg_rego_expr *e, const struct tg_json **out)
{
	struct tg_json_member m[5];
	size_t n = 0;
	const struct tg_json *terms = NULL, *x;
	tg_err r;
	switch (e->kind) {
	case TG_RE_TERM:
		if (e->term && e->term->kind == TG_RT_CALL) {
			/* a call at the top of an expression is a term list */
			const struct tg_json **items =
				tg_arena_alloc_array(j->a, e->term->u.coll.n + 1, sizeof(*items));
			if (!items)
				return TG_E_TOOBIG;
			for (size_t i = 0; i < e->term->u.coll.n; i++)
				TRY(i == 0 ? operator_json(j, e->term->u.coll.items[0], NULL, &items[0])
					   : term_json(j, e->term->u.coll.items[i], NULL, &items[i]));
			TRY(tg_json_new_array(j->a, items, e->term->u.coll.n, &terms));
		} else {
			TRY(term_json(j, e->term, NULL, &terms));
		}
		break;
	case TG_RE_SOME_DECL: {
		struct tg_json_member sm;
		TRY(terms_array(j, e->q.vars, e->q.n, NULL, &x));
		TRY(member(j, &sm, "symbols", x));
		TRY(obj(j, &sm, 1, &terms));
		break;
	}
	case TG_RE_SOME_IN: {
		/* SomeDecl{Symbols: [member_2(v, xs)]} or member_3(k, v, xs) */
		const struct tg_json *items[4], *call, *arr, *a1, *a2, *op;
		struct tg_json_member sm;
		size_t k = 0;
		const char *name = e->q.key ? "member_3" : "member_2";
		TRY(str(j, "internal", 8, &a1));
		TRY(typed(j, "var", a1, &items[0]));
		TRY(str(j, name, 8, &a2));
		TRY(typed(j, "string", a2, &items[1]));
		TRY(tg_json_new_array(j->a, items, 2, &arr));
		TRY(typed(j, "ref", arr, &op));
		items[k++] = op;
		if (e->q.key)
			TRY(term_json(j, e->q.key, NULL, &items[k++]));
		TRY(term_json(j, e->q.value, NULL, &items[k++]));
		TRY(term_json(j, e->q.domain, NULL, &items[k++]));
		TRY(tg_json_new_array(j->a, items, k, &arr));
		TRY(typed(j, "call", arr, &call));
		TRY(tg_json_new_array(j->a, &call, 1, &arr));
		TRY(member(j, &sm, "symbols", arr));
		TRY(obj(j, &sm, 1, &terms));
		break;
	}
	case TG_RE_EVERY: {
		struct tg_json_member em[4];
		TRY(term_json(j, e->q.key, NULL, &x));
		TRY(member(j, &em[0], "key", x));
		TRY(term_json(j, e->q.value, NULL, &x));
		TRY(member(j, &em[1], "value", x));
		TRY(term_json(j, e->q.domain, NULL, &x));
		TRY(member(j, &em[2], "domain", x));
		TRY(body_json(j, e->q.body, &e->loc, &x));
		TRY(member(j, &em[3], "body", x));
		TRY(obj(j, em, 4, &terms));
		break;
	}
	default:
		return TG_E_INTERNAL;
	}
	TRY(member(j, &m[n++], "terms", terms));
	TRY(tg_json_new_int(j->a, (int64_t)e->index, &x));
	TRY(member(j, &m[n++], "index", x));
	if (e->negated)
		TRY(member(j, &m[n++], "negated", &tg_json_true_v));
	if (e->nwith) {
		const struct tg_json **ws = tg_arena_alloc_array(j->a, e->nwith, sizeof(*ws));
		if (!ws)
			return TG_E_TOOBIG;
		for (size_t i = 0; i < e->nwith; i++) {
			struct tg_json_member wm[2];
			TRY(term_json(j, e->with[i]->target, NULL, &x));
			TRY(member(j, &wm[0], "target", x));
			TRY(term_json(j, e->with[i]->value, NULL, &x));
			TRY(member(j, &wm[1], "value", x));
			TRY(obj(j, wm, 2, &ws[i]));
		}
		TRY(tg_json_new_array(j->a, ws, e->nwith, &x));
		TRY(member(j, &m[n++], "with", x));
	}
	return obj(j, m, n, out);
}

/* a body; an empty one is OPA's generated `true` expression */
static tg_err body_json(struct aj *j, const struct tg_rego_body *b, const struct tg_rego_loc *loc,
			const struct tg_json **out)
{
	const struct tg_json **v;
	tg_err r;
	(void)loc;
	if (!b || b->n == 0) {
		struct tg_json_member m[2];
		const struct tg_json *t, *e, *zero;
		TRY(true_term(j, &t));
		TRY(tg_json_new_int(j->a, 0, &zero));
		TRY(member(j, &m[0], "terms", t));
		TRY(member(j, &m[1], "index", zero));
		TRY(obj(j, m, 2, &e));
		return tg_json_new_array(j->a, &e, 1, out);
	}
	if (++j->depth > TG_LIMIT_REGO_PARSE_DEPTH) {
		j->depth--;
		return TG_E_DEPTH;
	}
	v = tg_arena_alloc_array(j->a, b->n, sizeof(*v));
	r = v ? TG_OK : TG_E_TOOBIG;
	for (size_t i = 0; r == TG_OK && i < b->n; i++)
		r = expr_json(j, b->exprs[i], &v[i]);
	if (r == TG_OK)
		r = tg_json_new_array(j->a, v, b->n, out);
	j->depth--;
	return r;
}

/* OPA's Ref.IsGround on a ref-head element */
static bool ground(const struct tg_rego_term *t)
{
	switch (t->kind) {
	case TG_RT_SCALAR:
		return true;
	case TG_RT_REF:
		for (size_t i = 1; i < t->u.ref.n; i++)
			if (!ground(t->u.ref.items[i]))
				return false;
		return true;
	case TG_RT_ARRAY:
	case TG_RT_SET:
	case TG_RT_OBJECT:
	case TG_RT_CALL:
		for (size_t i = 0; i < t->u.coll.n; i++)
			if (!ground(t->u.coll.items[i]))
				return false;
		return true;
	default:
		return false;
	}
}

/*
 * The head of rule r (main is the first rule of its else chain; ctx the
 * else rule for wildcard numbering), with OPA's name/key/value choices.
 */
static tg_err head_json(struct aj *j, const struct tg_rego_rule *main, const struct tg_rego_rule *r,
			const void *ctx, const struct tg_json **out)
{
	struct tg_json_member m[6];
	size_t n = 0, nref;
	struct tg_rego_term *const *ref;
	struct tg_rego_term *one[1];
	const struct tg_rego_term *key = NULL, *value = NULL;
	bool named, gen_true = false, body_written = main->body && main->body->n > 0;
	const struct tg_json *x;
	tg_err e;
	if (main->ref->kind == TG_RT_REF) {
		ref = main->ref->u.ref.items;
		nref = main->ref->u.ref.n;
	} else {
		one[0] = main->ref;
		ref = one;
		nref = 1;
	}
	named = nref == 1;
	if (main->is_default) {
		value = main->value;
	} else if (main->multi) {
		key = main->key;
	} else if (main->is_func) {
		value = main->value;
		gen_true = !value;
	} else if (!body_written) {
		/* ParseRuleFromExpr: `p := 1`, `p.q := 1`, `p.q.r := 1`, `a.b.c`, `a.b` */
		value = main->value;
		if (nref == 2) {
			named = true;
			key = ref[1];
			if (!value)
				nref = 1; /* a partial set rule a[b] */
		} else if (!value) {
			gen_true = true;
		}
	} else {
		value = main->value;
		if (nref == 2) {
			if (!ground(ref[1]) || ref[1]->kind == TG_RT_REF)
				key = ref[1];
			if (value)
				named = true;
			else
				gen_true = true;
		} else if (!value) {
			gen_true = true;
		}
	}
	if (r != main) {
		/* else: a copy of the main head with its own value */
		value = r->value;
		gen_true = !value;
	}
	if (named) {
		char buf[32];
		const char *s;
		size_t sn;
		var_name(j, ref[0], ctx, buf, sizeof(buf), &s, &sn);
		if ((e = str(j, s, sn, &x)) != TG_OK || (e = member(j, &m[n++], "name", x)) != TG_OK)
			return e;
	}
	if ((e = terms_array(j, ref, nref, ctx, &x)) != TG_OK || (e = member(j, &m[n++], "ref", x)) != TG_OK)
		return e;
	if (key && ((e = term_json(j, key, ctx, &x)) != TG_OK ||
		    (e = member(j, &m[n++], "key", x)) != TG_OK))
		return e;
	if (value || gen_true) {
		if ((e = value ? term_json(j, value, ctx, &x) : true_term(j, &x)) != TG_OK ||
		    (e = member(j, &m[n++], "value", x)) != TG_OK)
			return e;
	}
	if (main->nargs) {
		if ((e = terms_array(j, main->args, main->nargs, ctx, &x)) != TG_OK ||
		    (e = member(j, &m[n++], "args", x)) != TG_OK)
			return e;
	}
	if ((r != main && r->value) ? r->assign : main->assign)
		if ((e = member(j, &m[n++], "assign", &tg_json_true_v)) != TG_OK)
			return e;
	return obj(j, m, n, out);
}

static tg_err rule_json(struct aj *j, const struct tg_rego_rule *main, const struct tg_rego_rule *r,
			const struct tg_json **out)
{
	struct tg_json_member m[4];
	size_t n = 0;
	const struct tg_json *x;
	tg_err e;
	if (++j->depth > TG_LIMIT_REGO_PARSE_DEPTH) {
		j->depth--;
		return TG_E_DEPTH;
	}
	e = head_json(j, main, r, r == main ? NULL : r, &x);
	if (e == TG_OK)
		e = member(j, &m[n++], "head", x);
	if (e == TG_OK)
		e = body_json(j, r->is_default ? NULL : r->body, &r->loc, &x);
	if (e == TG_OK)
		e = member(j, &m[n++], "body", x);
	if (e == TG_OK && r == main && r->is_default)
		e = member(j, &m[n++], "default", &tg_json_true_v);
	if (e == TG_OK && r->els) {
		e = rule_json(j, main, r->els, &x);
		if (e == TG_OK)
			e = member(j, &m[n++], "else", x);
	}
	if (e == TG_OK)
		e = obj(j, m, n, out);
	j->depth--;
	return e;
}

static tg_err location(struct aj *j, const struct tg_rego_loc *l, const struct tg_json **out)
{
	struct tg_json_member m[3];
	const struct tg_json *x;
	tg_err r;
	TRY(str(j, j->file, strlen(j->file), &x));
	TRY(member(j, &m[0], "file", x));
	TRY(tg_json_new_int(j->a, l->row, &x));
	TRY(member(j, &m[1], "row", x));
	TRY(tg_json_new_int(j->a, l->col, &x));
	TRY(member(j, &m[2], "col", x));
	return obj(j, m, 3, out);
}

static tg_err module_json(struct aj *j, const struct tg_rego_module *mod, const struct tg_json **out)
{
	struct tg_json_member top[4];
	size_t nt = 0;
	const struct tg_json *x, **v;
	tg_err r;

	/* package: data, then the path's names as strings */
	{
		struct tg_rego_term *const *items;
		struct tg_rego_term *one[1];
		size_t np;
		const struct tg_json **pv, *d, *pth;
		struct tg_json_member pm;
		if (mod->package->kind == TG_RT_REF) {
			items = mod->package->u.ref.items;
			np = mod->package->u.ref.n;
		} else {
			one[0] = mod->package;
			items = one;
			np = 1;
		}
		pv = tg_arena_alloc_array(j->a, np + 1, sizeof(*pv));
		if (!pv)
			return TG_E_TOOBIG;
		TRY(str(j, "data", 4, &d));
		TRY(typed(j, "var", d, &pv[0]));
		for (size_t i = 0; i < np; i++) {
			if (i == 0 && items[0]->kind == TG_RT_VAR) {
				TRY(str(j, items[0]->u.var.name, items[0]->u.var.len, &d));
				TRY(typed(j, "string", d, &pv[1]));
			} else {
				TRY(term_json(j, items[i], NULL, &pv[i + 1]));
			}
		}
		TRY(tg_json_new_array(j->a, pv, np + 1, &pth));
		TRY(member(j, &pm, "path", pth));
		TRY(obj(j, &pm, 1, &x));
		TRY(member(j, &top[nt++], "package", x));
	}
	if (mod->nimports) {
		v = tg_arena_alloc_array(j->a, mod->nimports, sizeof(*v));
		if (!v)
			return TG_E_TOOBIG;
		for (size_t i = 0; i < mod->nimports; i++) {
			struct tg_json_member im[2];
			size_t n = 0;
			const struct tg_rego_import *imp = mod->imports[i];
			TRY(term_json(j, imp->path, NULL, &x));
			TRY(member(j, &im[n++], "path", x));
			if (imp->alias) {
				TRY(str(j, imp->alias, strlen(imp->alias), &x));
				TRY(member(j, &im[n++], "alias", x));
			}
			TRY(obj(j, im, n, &v[i]));
		}
		TRY(tg_json_new_array(j->a, v, mod->nimports, &x));
		TRY(member(j, &top[nt++], "imports", x));
	}
	if (mod->nrules) {
		v = tg_arena_alloc_array(j->a, mod->nrules, sizeof(*v));
		if (!v)
			return TG_E_TOOBIG;
		for (size_t i = 0; i < mod->nrules; i++)
			TRY(rule_json(j, mod->rules[i], mod->rules[i], &v[i]));
		TRY(tg_json_new_array(j->a, v, mod->nrules, &x));
		TRY(member(j, &top[nt++], "rules", x));
	}
	if (mod->ncomments) {
		v = tg_arena_alloc_array(j->a, mod->ncomments, sizeof(*v));
		if (!v)
			return TG_E_TOOBIG;
		for (size_t i = 0; i < mod->ncomments; i++) {
			/* Comment has no MarshalJSON: Go's field names, Text as
			 * base64 ([]byte; null when the comment is empty) */
			struct tg_json_member cm[2];
			const char *t = mod->comments[i].text ? mod->comments[i].text : "";
			size_t tl = strlen(t);
			if (tl) {
				struct tg_buf b = TG_BUF_INIT(TG_LIMIT_REGO_SOURCE * 2);
				r = tg_rego_go_b64_encode(t, tl, false, true, &b);
				if (r == TG_OK)
					r = str(j, (const char *)b.data, b.len, &x);
				tg_buf_release(&b);
				if (r != TG_OK)
					return r;
			} else {
				x = &tg_json_null_v;
			}
			TRY(member(j, &cm[0], "Text", x));
			TRY(location(j, &mod->comments[i].loc, &x));
			TRY(member(j, &cm[1], "Location", x));
			TRY(obj(j, cm, 2, &v[i]));
		}
		TRY(tg_json_new_array(j->a, v, mod->ncomments, &x));
		TRY(member(j, &top[nt++], "comments", x));
	}
	return obj(j, top, nt, out);
}

/* Go's ast.Error.Error() details: the line and a caret under the column */
static void error_text(struct tg_rego_bctx *c, const char *file, const char *text, size_t n,
		       const struct tg_rego_error *err)
{
	struct tg_buf b = TG_BUF_INIT(TG_DIAG_MSG_MAX);
	(void)!tg_buf_adds(&b, "1 error occurred: ");
	if (file[0])
		(void)!tg_buf_addf(&b, "%s:%u: ", file, err->loc.row);
	else if (err->loc.row)
		(void)!tg_buf_addf(&b, "%u:%u: ", err->loc.row, err->loc.col);
	(void)!tg_buf_addf(&b, "%s: %s", err->code ? err->code : "rego_parse_error", err->msg);
	if (err->loc.row && n) {
		/* newParserErrorDetail: the offset of row:col, moved back over
		 * white space, and its line with leading tabs removed */
		size_t off = 0, row = 1, begin, end, tabs = 0;
		while (off < n && row < err->loc.row)
			if (text[off++] == '\n')
				row++;
		off += err->loc.col ? err->loc.col - 1 : 0;
		if (off >= n)
			off = n - 1;
		while (off > 0 && (text[off] == ' ' || text[off] == '\t' || text[off] == '\n' ||
				   text[off] == '\r'))
			off--;
		begin = off;
		while (begin > 0 && text[begin] != '\n')
			begin--;
		if (text[begin] == '\n')
			begin++;
		end = off;
		while (end < n && text[end] != '\n')
			end++;
		if (begin > end)
			begin = end;
		while (begin + tabs < end && text[begin + tabs] == '\t')
			tabs++;
		(void)!tg_buf_addf(&b, "\n\t%.*s\n\t%*s^", (int)(end - begin - tabs), text + begin + tabs,
				   (int)(off - begin > tabs ? off - begin - tabs : 0), "");
	}
	tg_diag_set(c->d, "%s", tg_buf_str(&b));
	tg_buf_release(&b);
}

static tg_err bi_parse_module(struct tg_rego_bctx *c, const struct tg_json *const *args,
			      size_t nargs, const struct tg_json **out)
{
	const char *fname, *text;
	size_t fn, tn;
	char *file;
	struct tg_rego_module *m = NULL;
	struct tg_rego_error err;
	struct aj j;
	tg_err r;
	UNUSED_NARGS;
	if ((r = tg_rego_bi_str(c, args[0], 1, &fname, &fn)) != TG_OK ||
	    (r = tg_rego_bi_str(c, args[1], 1, &text, &tn)) != TG_OK)
		return r;
	if ((r = tg_rego_bi_charge(c, tn / 16 + 1)) != TG_OK)
		return r;
	file = tg_arena_alloc(c->a, fn + 1);
	if (!file)
		return TG_E_TOOBIG;
	memcpy(file, fname, fn);
	file[fn] = 0;
	memset(&err, 0, sizeof(err));
	r = tg_rego_parse_module(c->a, file, text, tn, TG_REGO_V1, &m, &err);
	if (r != TG_OK) {
		if (r == TG_E_TOOBIG && !err.msg[0])
			return r;
		error_text(c, file, text, tn, &err);
		return TG_E_INVAL;
	}
	memset(&j, 0, sizeof(j));
	j.a = c->a;
	j.c = c;
	j.file = file;
	for (size_t i = 0; i < m->nimports; i++)
		walk_term(&j, m->imports[i]->path);
	for (size_t i = 0; i < m->nrules; i++)
		walk_rule(&j, m->rules[i]);
	if (j.nwc) {
		qsort(j.wc, j.nwc, sizeof(*j.wc), wc_pos_cmp);
		for (size_t i = 0; i < j.nwc; i++)
			j.wc[i].num = i;
		qsort(j.wc, j.nwc, sizeof(*j.wc), wc_key_cmp);
	}
	r = tg_json_new_string(c->a, "type", 4, &j.k_type);
	if (r == TG_OK)
		r = tg_json_new_string(c->a, "value", 5, &j.k_value);
	if (r == TG_OK)
		r = module_json(&j, m, out);
	free(j.wc);
	if (r == TG_E_UNSUPPORTED)
		return TG_E_INVAL; /* message set where it happened */
	if (r == TG_E_DEPTH)
		return tg_rego_bi_fail(c, "module nested too deeply");
	return r;
}

const struct tg_rego_builtin tg_rego_builtins_astjson[] = {
	{"rego.parse_module", NULL, 2, "(string, string) => object[string: any]", bi_parse_module, 0},
	{NULL, NULL, 0, NULL, NULL, 0},
};
