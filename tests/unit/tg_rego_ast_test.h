/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tg_rego_ast_test.h - helpers for Rego parser tests: a typed text dump of
 * the AST (S-expressions, with row:col of rules and expressions) and a
 * structural equality that ignores locations, for the fmt round trip.
 */
#ifndef TG_REGO_AST_TEST_H
#define TG_REGO_AST_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/json.h"
#include "rego/rego_ast.h"

/* ---- dump ---- */

static inline void rdump_body(struct tg_buf *b, const struct tg_rego_body *body, int depth);

static inline void rdump_add(struct tg_buf *b, const char *s)
{
	if (tg_buf_adds(b, s) != TG_OK)
		abort();
}

static inline void rdump_json(struct tg_buf *b, const struct tg_json *v)
{
	if (v->type == TG_JSON_SET) {
		size_t i;
		rdump_add(b, "(set-value");
		for (i = 0; i < v->u.a.len; i++) {
			rdump_add(b, " ");
			rdump_json(b, v->u.a.items[i]);
		}
		rdump_add(b, ")");
		return;
	}
	if (tg_json_emit(b, v, 0) != TG_OK)
		rdump_add(b, "<json?>");
}

static inline void rdump_term(struct tg_buf *b, const struct tg_rego_term *t, int depth)
{
	static const char *const names[] = {
	        "scalar",      "var",       "ref",          "array", "set",      "object",
	        "array-compr", "set-compr", "object-compr", "call",  "template",
	};
	size_t i;
	if (!t) {
		rdump_add(b, "nil");
		return;
	}
	if (depth > 10000) {
		rdump_add(b, "...");
		return;
	}
	switch (t->kind) {
	case TG_RT_SCALAR:
		rdump_json(b, t->u.value);
		return;
	case TG_RT_VAR:
		rdump_add(b, t->u.var.name);
		return;
	case TG_RT_ARRAY_COMPR:
	case TG_RT_SET_COMPR:
	case TG_RT_OBJECT_COMPR:
		rdump_add(b, "(");
		rdump_add(b, names[t->kind]);
		rdump_add(b, " ");
		if (t->kind == TG_RT_OBJECT_COMPR) {
			rdump_term(b, t->u.compr.key, depth + 1);
			rdump_add(b, " ");
		}
		rdump_term(b, t->u.compr.value, depth + 1);
		rdump_add(b, " ");
		rdump_body(b, t->u.compr.body, depth + 1);
		rdump_add(b, ")");
		return;
	default:
		if (t->kind >= sizeof(names) / sizeof(names[0])) {
			rdump_add(b, "<kind?>");
			return;
		}
		rdump_add(b, "(");
		rdump_add(b, names[t->kind]);
		for (i = 0; i < t->u.coll.n; i++) {
			rdump_add(b, " ");
			rdump_term(b, t->u.coll.items[i], depth + 1);
		}
		rdump_add(b, ")");
		return;
	}
}

static inline void rdump_loc(struct tg_buf *b, struct tg_rego_loc l)
{
	char s[64];
	snprintf(s, sizeof(s), "@%u:%u", l.row, l.col);
	rdump_add(b, s);
}

static inline void rdump_expr(struct tg_buf *b, const struct tg_rego_expr *e, int depth)
{
	size_t i;
	rdump_loc(b, e->loc);
	rdump_add(b, " ");
	if (e->negated)
		rdump_add(b, "not ");
	switch (e->kind) {
	case TG_RE_TERM:
		rdump_term(b, e->term, depth + 1);
		break;
	case TG_RE_SOME_DECL:
		rdump_add(b, "(some");
		for (i = 0; i < e->q.n; i++) {
			rdump_add(b, " ");
			rdump_term(b, e->q.vars[i], depth + 1);
		}
		rdump_add(b, ")");
		break;
	case TG_RE_SOME_IN:
	case TG_RE_EVERY:
		rdump_add(b, e->kind == TG_RE_EVERY ? "(every " : "(some-in ");
		rdump_term(b, e->q.key, depth + 1);
		rdump_add(b, " ");
		rdump_term(b, e->q.value, depth + 1);
		rdump_add(b, " ");
		rdump_term(b, e->q.domain, depth + 1);
		if (e->kind == TG_RE_EVERY) {
			rdump_add(b, " ");
			rdump_body(b, e->q.body, depth + 1);
		}
		rdump_add(b, ")");
		break;
	default:
		rdump_add(b, "<expr?>");
	}
	for (i = 0; i < e->nwith; i++) {
		rdump_add(b, " (with ");
		rdump_term(b, e->with[i]->target, depth + 1);
		rdump_add(b, " ");
		rdump_term(b, e->with[i]->value, depth + 1);
		rdump_add(b, ")");
	}
}

static inline void rdump_body(struct tg_buf *b, const struct tg_rego_body *body, int depth)
{
	size_t i;
	if (!body) {
		rdump_add(b, "{nil}");
		return;
	}
	rdump_add(b, "{");
	for (i = 0; i < body->n; i++) {
		if (i)
			rdump_add(b, "; ");
		rdump_expr(b, body->exprs[i], depth + 1);
	}
	rdump_add(b, "}");
}

static inline void rdump_rule(struct tg_buf *b, const struct tg_rego_rule *r, const char *what)
{
	size_t i;
	rdump_add(b, what);
	rdump_add(b, " ");
	rdump_loc(b, r->loc);
	if (r->is_default)
		rdump_add(b, " default");
	rdump_add(b, " ");
	rdump_term(b, r->ref, 0);
	if (r->is_func || r->nargs) {
		rdump_add(b, r->is_func ? " func(" : " args(");
		for (i = 0; i < r->nargs; i++) {
			if (i)
				rdump_add(b, " ");
			rdump_term(b, r->args[i], 0);
		}
		rdump_add(b, ")");
	}
	if (r->multi || r->key) {
		rdump_add(b, r->multi ? " contains " : " key ");
		rdump_term(b, r->key, 0);
	}
	if (r->value) {
		rdump_add(b, r->assign ? " := " : " = ");
		rdump_term(b, r->value, 0);
	}
	rdump_add(b, " ");
	rdump_body(b, r->body, 0);
	rdump_add(b, "\n");
	if (r->annotations) {
		rdump_add(b, "  annotations ");
		rdump_json(b, r->annotations);
		rdump_add(b, "\n");
	}
	if (r->els)
		rdump_rule(b, r->els, "  else");
}

/* The dump of a module: one line per statement. */
static inline void rdump_module(struct tg_buf *b, const struct tg_rego_module *m)
{
	size_t i;
	rdump_add(b, m->v1 ? "module v1 " : "module v0 ");
	rdump_add(b, "package ");
	rdump_term(b, m->package, 0);
	rdump_add(b, "\n");
	if (m->package_annotations) {
		rdump_add(b, "  annotations ");
		rdump_json(b, m->package_annotations);
		rdump_add(b, "\n");
	}
	for (i = 0; i < m->nimports; i++) {
		rdump_add(b, "import ");
		rdump_term(b, m->imports[i]->path, 0);
		if (m->imports[i]->alias) {
			rdump_add(b, " as ");
			rdump_add(b, m->imports[i]->alias);
		}
		rdump_add(b, "\n");
	}
	for (i = 0; i < m->nrules; i++)
		rdump_rule(b, m->rules[i], "rule");
}

/* ---- equality, ignoring locations ---- */

static inline bool req_body(const struct tg_rego_body *a, const struct tg_rego_body *b);

static inline bool req_term(const struct tg_rego_term *a, const struct tg_rego_term *b)
{
	size_t i;
	if (!a || !b)
		return a == b;
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case TG_RT_SCALAR:
		if (a->u.value->type != b->u.value->type)
			return false;
		if (a->u.value->type == TG_JSON_NUMBER)
			return a->u.value->u.s.len == b->u.value->u.s.len &&
			       memcmp(a->u.value->u.s.p, b->u.value->u.s.p, a->u.value->u.s.len) ==
			               0;
		return tg_json_cmp(a->u.value, b->u.value) == 0;
	case TG_RT_VAR:
		return strcmp(a->u.var.name, b->u.var.name) == 0;
	case TG_RT_ARRAY_COMPR:
	case TG_RT_SET_COMPR:
	case TG_RT_OBJECT_COMPR:
		return req_term(a->u.compr.key, b->u.compr.key) &&
		       req_term(a->u.compr.value, b->u.compr.value) &&
		       req_body(a->u.compr.body, b->u.compr.body);
	default:
		if (a->u.coll.n != b->u.coll.n)
			return false;
		for (i = 0; i < a->u.coll.n; i++)
			if (!req_term(a->u.coll.items[i], b->u.coll.items[i]))
				return false;
		return true;
	}
}

static inline bool req_expr(const struct tg_rego_expr *a, const struct tg_rego_expr *b)
{
	size_t i;
	if (a->kind != b->kind || a->negated != b->negated || a->nwith != b->nwith)
		return false;
	for (i = 0; i < a->nwith; i++)
		if (!req_term(a->with[i]->target, b->with[i]->target) ||
		    !req_term(a->with[i]->value, b->with[i]->value))
			return false;
	switch (a->kind) {
	case TG_RE_TERM:
		return req_term(a->term, b->term);
	case TG_RE_SOME_DECL:
		if (a->q.n != b->q.n)
			return false;
		for (i = 0; i < a->q.n; i++)
			if (!req_term(a->q.vars[i], b->q.vars[i]))
				return false;
		return true;
	case TG_RE_EVERY:
	case TG_RE_SOME_IN:
		if (a->kind == TG_RE_EVERY && !req_body(a->q.body, b->q.body))
			return false;
		return req_term(a->q.key, b->q.key) && req_term(a->q.value, b->q.value) &&
		       req_term(a->q.domain, b->q.domain);
	default:
		return false;
	}
}

static inline bool req_body(const struct tg_rego_body *a, const struct tg_rego_body *b)
{
	size_t i, an = a ? a->n : 0, bn = b ? b->n : 0;
	if (an != bn)
		return false;
	for (i = 0; i < an; i++)
		if (!req_expr(a->exprs[i], b->exprs[i]))
			return false;
	return true;
}

static inline bool req_is_true(const struct tg_rego_term *v)
{
	return !v ||
	       (v->kind == TG_RT_SCALAR && v->u.value->type == TG_JSON_BOOL && v->u.value->u.b);
}

/* A value of NULL is `true`; `:=` and `=` differ only for other values. */
static inline bool req_rule(const struct tg_rego_rule *a, const struct tg_rego_rule *b)
{
	size_t i;
	for (; a && b; a = a->els, b = b->els) {
		if (!req_term(a->ref, b->ref) || a->nargs != b->nargs || a->is_func != b->is_func ||
		    a->multi != b->multi || !req_term(a->key, b->key) ||
		    a->is_default != b->is_default || !req_body(a->body, b->body))
			return false;
		for (i = 0; i < a->nargs; i++)
			if (!req_term(a->args[i], b->args[i]))
				return false;
		if (req_is_true(a->value) && req_is_true(b->value))
			continue;
		if (!req_term(a->value, b->value) || a->assign != b->assign)
			return false;
	}
	return a == b;
}

static inline bool req_json(const struct tg_json *a, const struct tg_json *b)
{
	if (!a || !b)
		return a == b;
	return tg_json_cmp(a, b) == 0;
}

static inline bool req_module(const struct tg_rego_module *a, const struct tg_rego_module *b)
{
	size_t i;
	if (!req_term(a->package, b->package) || a->nimports != b->nimports ||
	    a->nrules != b->nrules || !req_json(a->package_annotations, b->package_annotations))
		return false;
	for (i = 0; i < a->nimports; i++) {
		const char *x = a->imports[i]->alias, *y = b->imports[i]->alias;
		if (!req_term(a->imports[i]->path, b->imports[i]->path))
			return false;
		if ((x || y) && (!x || !y || strcmp(x, y) != 0))
			return false;
	}
	for (i = 0; i < a->nrules; i++)
		if (!req_rule(a->rules[i], b->rules[i]) ||
		    !req_json(a->rules[i]->annotations, b->rules[i]->annotations))
			return false;
	return true;
}

#endif
