/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_check.c - compile checks after rewriting: rule conflicts, undefined
 * functions and arity, recursion, built-in argument types, deprecated
 * built-ins, `with` targets; then the final pass (slots, constants).
 */
#include "rego/rego_compile.h"

#include <stdio.h>
#include <string.h>

#include "core/mem.h"

#define CHECK_MAX_DEPTH 1024

/* ---- arity ---- */

/* The built-in a call operator names, when it is one. */
static const struct tg_rego_builtin *op_builtin(struct rg_cc *cc, const struct rg_term *op)
{
	struct tg_buf tmp = TG_BUF_INIT(1024);
	const struct tg_rego_builtin *bi = NULL;
	const char *name;
	if (op->kind == RG_REF && tg_rego_ref_is_data(op))
		return NULL;
	if (op->kind == RG_REF && (op->u.c.items[0]->flags & RG_F_INPUT))
		return NULL;
	if (op->kind == RG_VAR) {
		name = op->u.var;
		return tg_rego_builtin_lookup(name, strlen(name));
	}
	{
		struct rg_term call = {0};
		struct rg_term *items[1] = {(struct rg_term *)op};
		call.kind = RG_CALL;
		call.u.c.items = items;
		call.u.c.n = 1;
		name = tg_rego_call_name(cc, &call, &tmp);
		if (name[0])
			bi = tg_rego_builtin_lookup(name, strlen(name));
	}
	tg_buf_release(&tmp);
	return bi;
}

int tg_rego_cc_arity(struct rg_cc *cc, const struct rg_term *op, bool *variadic)
{
	const struct tg_rego_builtin *bi;
	struct rg_node *n;
	*variadic = false;
	if (op->kind == RG_REF && tg_rego_ref_is_data(op)) {
		n = tg_rego_cc_find_node(cc, op);
		if (!n)
			return -1;
		if (n->nrules)
			return (int)n->rules[0]->nargs;
		if (n->deflt)
			return (int)n->deflt->nargs;
		return -1;
	}
	bi = op_builtin(cc, op);
	if (!bi)
		return -1;
	if (bi->arity < 0) {
		*variadic = true;
		return 0;
	}
	return bi->arity;
}

/* ---- rule conflicts ---- */

static void ref_string(struct tg_buf *b, const struct rg_term *ref)
{
	tg_rego_term_print(b, ref);
}

static void flatten_children(struct tg_buf *b, const struct rg_node *n, bool *first, unsigned depth)
{
	uint32_t i, j;
	if (depth > CHECK_MAX_DEPTH)
		return;
	for (i = 0; i < n->nkids; i++) {
		const struct rg_node *k = n->kids[i];
		for (j = 0; j < k->nrules; j++) {
			if (!*first)
				rg_puts(b, " ");
			*first = false;
			ref_string(b, k->rules[j]->ref);
			break;
		}
		flatten_children(b, k, first, depth + 1);
	}
}

static void conflicts_node(struct rg_cc *cc, struct rg_node *n, unsigned depth)
{
	uint32_t i;
	bool single_ground = false, partial = false, kinds[3] = {0}, ground_any = false;
	int arity = -2;
	bool arity_conflict = false;
	struct tg_buf name = TG_BUF_INIT(1024);
	if (depth > CHECK_MAX_DEPTH)
		return;
	for (i = 0; i < n->nrules + (n->deflt ? 1u : 0u); i++) {
		struct rg_rule *r = i < n->nrules ? n->rules[i] : n->deflt;
		bool ground = r->ground == r->ref->u.c.n;
		kinds[r->kind] = true;
		if (arity == -2)
			arity = (int)r->nargs;
		else if (arity != (int)r->nargs)
			arity_conflict = true;
		if (ground)
			ground_any = true;
		if (r->kind == RG_RK_SINGLE && ground)
			single_ground = true;
		else
			partial = true;
		if (name.len == 0) {
			/* data.p.q[r]: vars printed as written */
			tg_rego_term_print_cc(cc, &name, r->ref);
		}
	}
	if (n->nrules || n->deflt) {
		if (ground_any && n->nkids > 0) {
			struct tg_buf c = TG_BUF_INIT(4096);
			bool first = true;
			struct rg_rule *r = n->nrules ? n->rules[0] : n->deflt;
			rg_putc(&c, '[');
			flatten_children(&c, n, &first, 0);
			rg_putc(&c, ']');
			tg_rego_cc_err(cc, "rego_type_error", &r->loc, "rule %s conflicts with %s",
				       tg_buf_str(&name), tg_buf_str(&c));
			tg_buf_release(&c);
		} else if ((kinds[0] + kinds[1] + kinds[2]) > 1 || arity_conflict ||
			   (single_ground && partial)) {
			struct rg_rule *r = n->nrules ? n->rules[0] : n->deflt;
			tg_rego_cc_err(cc, "rego_type_error", &r->loc, "conflicting rules %s found",
				       tg_buf_str(&name));
		}
		tg_buf_release(&name);
		/* rules with vars in their ref may have rules in their extent */
		if (ground_any)
			return;
	}
	tg_buf_release(&name);
	for (i = 0; i < n->nkids; i++)
		conflicts_node(cc, n->kids[i], depth + 1);
}

void tg_rego_check_conflicts(struct rg_cc *cc)
{
	uint32_t mi, mj, ri;
	conflicts_node(cc, cc->p->root, 0);
	/* a package must not have the path of a rule of another package */
	for (mi = 0; mi < cc->nmods; mi++) {
		struct rg_module *m = cc->mods[mi];
		for (ri = 0; ri < m->nrules; ri++) {
			struct rg_rule *r = m->rules[ri];
			if (r->ground != r->ref->u.c.n)
				continue;
			for (mj = 0; mj < cc->nmods; mj++) {
				struct rg_module *o = cc->mods[mj];
				if (o == m || !tg_rego_t_eq(o->package, r->ref))
					continue;
				{
					struct tg_buf a = TG_BUF_INIT(1024), b = TG_BUF_INIT(1024);
					char at[300];
					rg_puts(&a, "package ");
					ref_string(&a, o->package);
					ref_string(&b, r->ref);
					(void)snprintf(at, sizeof(at), "%s:%u", r->mod->file, r->loc.row);
					tg_rego_cc_err(cc, "rego_type_error", &m->package_loc,
						       "%s conflicts with rule %s defined at %s", tg_buf_str(&a),
						       tg_buf_str(&b), at);
					tg_buf_release(&a);
					tg_buf_release(&b);
				}
			}
		}
	}
}

/* ---- undefined functions, arity ---- */

static void funcs_body(struct rg_cc *cc, struct rg_body *b, unsigned depth);

static void funcs_term(struct rg_cc *cc, struct rg_term *t, unsigned depth)
{
	uint32_t i;
	if (!t || depth > CHECK_MAX_DEPTH)
		return;
	switch (t->kind) {
	case RG_ACOMP:
	case RG_SCOMP:
	case RG_OCOMP:
		funcs_body(cc, t->u.k.body, depth + 1);
		return;
	case RG_REF:
	case RG_ARR:
	case RG_OBJ:
	case RG_SET:
	case RG_CALL:
		for (i = 0; i < t->u.c.n; i++)
			funcs_term(cc, t->u.c.items[i], depth + 1);
		return;
	default:
		return;
	}
}

static void funcs_expr(struct rg_cc *cc, struct rg_expr *e, unsigned depth)
{
	const struct rg_term *op;
	bool variadic = false;
	int ar;
	uint32_t nops;
	struct tg_buf name = TG_BUF_INIT(1024);
	if (e->body)
		funcs_body(cc, e->body, depth + 1);
	funcs_term(cc, e->domain, depth + 1);
	if (!tg_rego_e_is_call(e)) {
		funcs_term(cc, e->t, depth + 1);
		return;
	}
	funcs_term(cc, e->t, depth + 1);
	op = e->t->u.c.items[0];
	nops = e->t->u.c.n - 1;
	tg_rego_term_print_cc(cc, &name, op);
	ar = tg_rego_cc_arity(cc, op, &variadic);
	if (ar < 0) {
		tg_rego_cc_err(cc, "rego_type_error", &e->loc, "undefined function %s", tg_buf_str(&name));
	} else if (!variadic) {
		bool bad;
		int have = (int)nops;
		if (e->generated && !tg_rego_e_is_eq(cc, e)) {
			bad = have != ar + 1;
			have--;
		} else
			bad = have != ar && have != ar + 1;
		if (bad) {
			const struct tg_rego_builtin *bi = op_builtin(cc, op);
			if (bi)
				tg_rego_cc_err(cc, "rego_type_error", &e->loc,
					       "%s: arity mismatch\n\thave: %d argument%s\n\twant: %s",
					       tg_buf_str(&name), have, have == 1 ? "" : "s",
					       bi->decl ? bi->decl : "");
			else
				tg_rego_cc_err(cc, "rego_type_error", &e->loc,
					       "function %s has arity %d, got %d argument%s", tg_buf_str(&name),
					       ar, have, have == 1 ? "" : "s");
		}
	}
	tg_buf_release(&name);
}

static void funcs_body(struct rg_cc *cc, struct rg_body *b, unsigned depth)
{
	uint32_t i;
	if (!b || depth > CHECK_MAX_DEPTH)
		return;
	for (i = 0; i < b->n; i++)
		funcs_expr(cc, b->e[i], depth + 1);
}

void tg_rego_check_funcs(struct rg_cc *cc, struct rg_body *b)
{
	funcs_body(cc, b, 0);
}

/* ---- recursion ---- */

struct rgraph {
	struct rg_rule **rules; /* all rules, else included */
	uint32_t n;
	uint32_t **adj;         /* adj[i]: indices of the rules i depends on */
	uint32_t *nadj, *capadj;
};

static uint32_t rule_index(const struct rgraph *g, const struct rg_rule *r)
{
	return r->id;
	(void)g;
}

static void graph_edge(struct rg_cc *cc, struct rgraph *g, uint32_t a, uint32_t b)
{
	uint32_t i;
	for (i = 0; i < g->nadj[a]; i++)
		if (g->adj[a][i] == b)
			return;
	if (g->nadj[a] == g->capadj[a]) {
		uint32_t ncap = g->capadj[a] ? g->capadj[a] * 2 : 4;
		uint32_t *na = tg_arena_alloc_array(&cc->tmp, ncap, sizeof(*na));
		if (!na) {
			cc->oom = true;
			return;
		}
		if (g->nadj[a])
			memcpy(na, g->adj[a], g->nadj[a] * sizeof(*na));
		g->adj[a] = na;
		g->capadj[a] = ncap;
	}
	g->adj[a][g->nadj[a]++] = b;
}

static void graph_node_rules(struct rg_cc *cc, struct rgraph *g, uint32_t from, const struct rg_node *n,
			     bool subtree, unsigned depth)
{
	uint32_t i;
	struct rg_rule *r;
	if (depth > CHECK_MAX_DEPTH)
		return;
	for (i = 0; i < n->nrules; i++)
		for (r = n->rules[i]; r; r = r->els)
			graph_edge(cc, g, from, rule_index(g, r));
	if (n->deflt)
		graph_edge(cc, g, from, rule_index(g, n->deflt));
	if (subtree)
		for (i = 0; i < n->nkids; i++)
			graph_node_rules(cc, g, from, n->kids[i], true, depth + 1);
}

/* OPA GetRulesDynamic: the rules a ref may refer to. */
static void graph_ref(struct rg_cc *cc, struct rgraph *g, uint32_t from, const struct rg_term *ref,
		      const struct rg_node *n, uint32_t i, unsigned depth)
{
	uint32_t k;
	if (!n || depth > CHECK_MAX_DEPTH)
		return;
	if (i >= ref->u.c.n) {
		graph_node_rules(cc, g, from, n, true, depth + 1);
		return;
	}
	if (ref->u.c.items[i]->kind == RG_VAL) {
		const struct rg_node *c = tg_rego_node_child(n, ref->u.c.items[i]->u.v);
		if (!c)
			return;
		graph_node_rules(cc, g, from, c, false, depth + 1);
		graph_ref(cc, g, from, ref, c, i + 1, depth + 1);
		return;
	}
	for (k = 0; k < n->nkids; k++) {
		graph_node_rules(cc, g, from, n->kids[k], false, depth + 1);
		graph_ref(cc, g, from, ref, n->kids[k], i + 1, depth + 1);
	}
}

static void graph_body(struct rg_cc *cc, struct rgraph *g, uint32_t from, const struct rg_body *b,
		       unsigned depth);

static void graph_term(struct rg_cc *cc, struct rgraph *g, uint32_t from, const struct rg_term *t,
		       unsigned depth)
{
	uint32_t i;
	if (!t || depth > CHECK_MAX_DEPTH)
		return;
	switch (t->kind) {
	case RG_REF:
		if (tg_rego_ref_is_data(t))
			graph_ref(cc, g, from, t, cc->p->root, 1, depth + 1);
		__attribute__((fallthrough));
	case RG_ARR:
	case RG_OBJ:
	case RG_SET:
	case RG_CALL:
		for (i = 0; i < t->u.c.n; i++)
			if (t->u.c.items[i]->kind != RG_VAR)
				graph_term(cc, g, from, t->u.c.items[i], depth + 1);
		return;
	case RG_ACOMP:
	case RG_SCOMP:
	case RG_OCOMP:
		graph_term(cc, g, from, t->u.k.key, depth + 1);
		graph_term(cc, g, from, t->u.k.val, depth + 1);
		graph_body(cc, g, from, t->u.k.body, depth + 1);
		return;
	default:
		return;
	}
}

static void graph_body(struct rg_cc *cc, struct rgraph *g, uint32_t from, const struct rg_body *b,
		       unsigned depth)
{
	uint32_t i, j;
	if (!b || depth > CHECK_MAX_DEPTH)
		return;
	for (i = 0; i < b->n; i++) {
		const struct rg_expr *e = b->e[i];
		graph_term(cc, g, from, e->t, depth + 1);
		graph_term(cc, g, from, e->domain, depth + 1);
		graph_body(cc, g, from, e->body, depth + 1);
		for (j = 0; j < e->nwith; j++) {
			graph_term(cc, g, from, e->with[j]->target, depth + 1);
			graph_term(cc, g, from, e->with[j]->value, depth + 1);
		}
	}
}

/* Depth-first search for a path from a back to target; path collects it. */
static bool dfs_path(const struct rgraph *g, uint32_t a, uint32_t target, uint8_t *seen,
		     uint32_t *path, uint32_t *np, unsigned depth)
{
	uint32_t i;
	if (depth > 4096)
		return false;
	for (i = 0; i < g->nadj[a]; i++) {
		uint32_t b = g->adj[a][i];
		if (b == target) {
			path[(*np)++] = b;
			return true;
		}
		if (seen[b])
			continue;
		seen[b] = 1;
		path[(*np)++] = b;
		if (dfs_path(g, b, target, seen, path, np, depth + 1))
			return true;
		(*np)--;
	}
	return false;
}

void tg_rego_check_recursion(struct rg_cc *cc)
{
	struct rgraph g = {0};
	struct rg_rule *r;
	uint32_t mi, ri, i, n = 0;
	uint8_t *seen;
	uint32_t *path;

	RG_FOR_EACH_RULE(cc, r, mi, ri)
	n++;
	if (n == 0)
		return;
	g.rules = tg_arena_alloc_array(&cc->tmp, n, sizeof(*g.rules));
	g.adj = tg_arena_alloc_array(&cc->tmp, n, sizeof(*g.adj));
	g.nadj = tg_arena_alloc_array(&cc->tmp, n, sizeof(*g.nadj));
	g.capadj = tg_arena_alloc_array(&cc->tmp, n, sizeof(*g.capadj));
	seen = tg_arena_alloc(&cc->tmp, n);
	path = tg_arena_alloc_array(&cc->tmp, n + 1, sizeof(*path));
	if (!g.rules || !g.adj || !g.nadj || !g.capadj || !seen || !path) {
		cc->oom = true;
		return;
	}
	memset(g.nadj, 0, n * sizeof(*g.nadj));
	memset(g.capadj, 0, n * sizeof(*g.capadj));
	RG_FOR_EACH_RULE(cc, r, mi, ri)
	{
		r->id = g.n;
		g.rules[g.n++] = r;
	}
	for (i = 0; i < g.n; i++) {
		struct rg_rule *x = g.rules[i];
		uint32_t k;
		for (k = 0; k < x->nargs; k++)
			graph_term(cc, &g, i, x->args[k], 0);
		graph_term(cc, &g, i, x->key, 0);
		graph_term(cc, &g, i, x->value, 0);
		graph_body(cc, &g, i, x->body, 0);
	}
	for (i = 0; i < g.n; i++) {
		uint32_t np = 0, k;
		memset(seen, 0, n);
		if (!dfs_path(&g, i, i, seen, path, &np, 0))
			continue;
		{
			struct tg_buf b = TG_BUF_INIT(4096), self = TG_BUF_INIT(1024);
			tg_rego_term_print_cc(cc, &self, g.rules[i]->ref);
			rg_puts(&b, tg_buf_str(&self));
			for (k = 0; k < np; k++) {
				rg_puts(&b, " -> ");
				tg_rego_term_print_cc(cc, &b, g.rules[path[k]]->ref);
			}
			tg_rego_cc_err(cc, "rego_recursion_error", &g.rules[i]->loc, "rule %s is recursive: %s",
				       tg_buf_str(&self), tg_buf_str(&b));
			tg_buf_release(&b);
			tg_buf_release(&self);
		}
	}
}

/* ---- deprecated built-ins (v1) ---- */

static const char *const deprecated[] = {
	"any",      "all",       "re_match",    "net.cidr_overlap", "set_diff", "cast_array",
	"cast_set", "cast_string", "cast_boolean", "cast_null",       "cast_object",
};

static void deprecated_body(struct rg_cc *cc, struct rg_body *b, unsigned depth);

static void deprecated_term(struct rg_cc *cc, const struct rg_term *t, unsigned depth)
{
	uint32_t i;
	if (!t || depth > CHECK_MAX_DEPTH)
		return;
	if (tg_rego_t_is_compr(t)) {
		deprecated_body(cc, t->u.k.body, depth + 1);
		return;
	}
	if (t->kind == RG_REF || t->kind == RG_ARR || t->kind == RG_OBJ || t->kind == RG_SET ||
	    t->kind == RG_CALL)
		for (i = 0; i < t->u.c.n; i++)
			deprecated_term(cc, t->u.c.items[i], depth + 1);
}

static void deprecated_body(struct rg_cc *cc, struct rg_body *b, unsigned depth)
{
	uint32_t i, k;
	struct tg_buf tmp = TG_BUF_INIT(1024);
	if (!b || depth > CHECK_MAX_DEPTH)
		return;
	for (i = 0; i < b->n; i++) {
		struct rg_expr *e = b->e[i];
		if (tg_rego_e_is_call(e)) {
			const char *name = tg_rego_call_name(cc, e->t, &tmp);
			for (k = 0; k < TG_ARRAY_LEN(deprecated); k++)
				if (strcmp(name, deprecated[k]) == 0)
					tg_rego_cc_err(cc, "rego_type_error", &e->loc,
						       "deprecated built-in function calls in expression: %s", name);
		}
		deprecated_term(cc, e->t, depth + 1);
		deprecated_body(cc, e->body, depth + 1);
	}
	tg_buf_release(&tmp);
}

void tg_rego_check_deprecated(struct rg_cc *cc, struct rg_body *b)
{
	deprecated_body(cc, b, 0);
}

/* ---- types of built-in arguments ---- */

enum { TY_ANY = 0, TY_NULL, TY_BOOL, TY_NUM, TY_STR, TY_ARR, TY_OBJ, TY_SET, TY_UNION };

struct rg_type {
	uint8_t k;
	const struct rg_type *elem; /* array, set; object: value */
	const struct rg_type *key;  /* object */
	const struct rg_type **u;   /* union */
	uint32_t nu;
};

static const struct rg_type ty_any = {TY_ANY, NULL, NULL, NULL, 0};

struct decl_parser {
	struct tg_arena *a;
	const char *s;
	size_t i, n;
	bool bad;
};

static void dp_ws(struct decl_parser *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t'))
		p->i++;
}

static bool dp_lit(struct decl_parser *p, const char *lit)
{
	size_t n = strlen(lit);
	dp_ws(p);
	if (p->n - p->i >= n && memcmp(p->s + p->i, lit, n) == 0) {
		p->i += n;
		return true;
	}
	return false;
}

static const struct rg_type *dp_type(struct decl_parser *p, unsigned depth);

static struct rg_type *dp_new(struct decl_parser *p, uint8_t k)
{
	struct rg_type *t = tg_arena_alloc(p->a, sizeof(*t));
	if (!t) {
		p->bad = true;
		return NULL;
	}
	memset(t, 0, sizeof(*t));
	t->k = k;
	return t;
}

static const struct rg_type *dp_type(struct decl_parser *p, unsigned depth)
{
	struct rg_type *t;
	if (depth > 32) {
		p->bad = true;
		return &ty_any;
	}
	/* an optional "name: " prefix (named arguments) */
	dp_ws(p);
	{
		size_t j = p->i;
		while (j < p->n && (p->s[j] == '_' || (p->s[j] >= 'a' && p->s[j] <= 'z') ||
				    (p->s[j] >= '0' && p->s[j] <= '9')))
			j++;
		if (j > p->i && j + 1 < p->n && p->s[j] == ':' && p->s[j + 1] == ' ')
			p->i = j + 2;
	}
	if (dp_lit(p, "any<")) {
		const struct rg_type *items[32];
		uint32_t n = 0;
		t = dp_new(p, TY_UNION);
		if (!t)
			return &ty_any;
		do {
			const struct rg_type *x = dp_type(p, depth + 1);
			if (n < 32)
				items[n++] = x;
		} while (dp_lit(p, ","));
		if (!dp_lit(p, ">"))
			p->bad = true;
		t->u = tg_arena_alloc_array(p->a, n ? n : 1, sizeof(*t->u));
		if (!t->u) {
			p->bad = true;
			return &ty_any;
		}
		memcpy(t->u, items, n * sizeof(*items));
		t->nu = n;
		return t;
	}
	if (dp_lit(p, "any"))
		return &ty_any;
	if (dp_lit(p, "null"))
		return dp_new(p, TY_NULL);
	if (dp_lit(p, "boolean"))
		return dp_new(p, TY_BOOL);
	if (dp_lit(p, "number"))
		return dp_new(p, TY_NUM);
	if (dp_lit(p, "string"))
		return dp_new(p, TY_STR);
	if (dp_lit(p, "array[") || dp_lit(p, "set[")) {
		bool arr = p->s[p->i - 2] == 'y';
		t = dp_new(p, arr ? TY_ARR : TY_SET);
		if (!t)
			return &ty_any;
		t->elem = dp_type(p, depth + 1);
		if (!dp_lit(p, "]"))
			p->bad = true;
		return t;
	}
	if (dp_lit(p, "array"))
		return dp_new(p, TY_ARR);
	if (dp_lit(p, "set"))
		return dp_new(p, TY_SET);
	if (dp_lit(p, "object[")) {
		t = dp_new(p, TY_OBJ);
		if (!t)
			return &ty_any;
		t->key = dp_type(p, depth + 1);
		if (!dp_lit(p, ":"))
			p->bad = true;
		t->elem = dp_type(p, depth + 1);
		if (!dp_lit(p, "]"))
			p->bad = true;
		return t;
	}
	if (dp_lit(p, "object"))
		return dp_new(p, TY_OBJ);
	p->bad = true;
	return &ty_any;
}

/* The decl's arguments as an array type of n items, result in elem. */
const struct rg_type *tg_rego_decl_parse(struct tg_arena *a, const char *decl, int *arity,
					 bool *variadic)
{
	struct decl_parser p = {a, decl, 0, decl ? strlen(decl) : 0, false};
	const struct rg_type *items[64];
	uint32_t n = 0;
	struct rg_type *fn;
	*arity = 0;
	*variadic = false;
	if (!decl || !dp_lit(&p, "("))
		return NULL;
	if (!dp_lit(&p, ")")) {
		do {
			if (dp_lit(&p, "...")) {
				*variadic = true;
				break;
			}
			if (n < 64)
				items[n++] = dp_type(&p, 0);
			if (dp_lit(&p, "...")) {
				*variadic = true;
				break;
			}
		} while (dp_lit(&p, ","));
		if (!dp_lit(&p, ")"))
			return NULL;
	}
	fn = dp_new(&p, TY_UNION);
	if (!fn || p.bad)
		return NULL;
	fn->u = tg_arena_alloc_array(a, n ? n : 1, sizeof(*fn->u));
	if (!fn->u)
		return NULL;
	memcpy(fn->u, items, n * sizeof(*items));
	fn->nu = n;
	fn->elem = dp_lit(&p, "=>") ? dp_type(&p, 0) : NULL;
	if (p.bad)
		return NULL;
	*arity = (int)n;
	return fn;
}

/* True when a value of type have may be of type want. */
static bool ty_compat(const struct rg_type *have, const struct rg_type *want, unsigned depth)
{
	uint32_t i;
	if (!have || !want || depth > 32 || have->k == TY_ANY || want->k == TY_ANY)
		return true;
	if (want->k == TY_UNION) {
		for (i = 0; i < want->nu; i++)
			if (ty_compat(have, want->u[i], depth + 1))
				return true;
		return false;
	}
	if (have->k == TY_UNION) {
		for (i = 0; i < have->nu; i++)
			if (ty_compat(have->u[i], want, depth + 1))
				return true;
		return false;
	}
	if (have->k != want->k)
		return false;
	switch (have->k) {
	case TY_ARR:
	case TY_SET:
		return ty_compat(have->elem, want->elem, depth + 1);
	case TY_OBJ:
		return ty_compat(have->key, want->key, depth + 1) &&
		       ty_compat(have->elem, want->elem, depth + 1);
	default:
		return true;
	}
}

static void ty_print(struct tg_buf *b, const struct rg_type *t, unsigned depth)
{
	static const char *const names[] = {"any", "null", "boolean", "number", "string"};
	uint32_t i;
	if (!t || depth > 16) {
		rg_puts(b, "any");
		return;
	}
	switch (t->k) {
	case TY_ARR:
	case TY_SET:
		rg_puts(b, t->k == TY_ARR ? "array[" : "set[");
		ty_print(b, t->elem, depth + 1);
		rg_putc(b, ']');
		return;
	case TY_OBJ:
		rg_puts(b, "object[");
		ty_print(b, t->key, depth + 1);
		rg_puts(b, ": ");
		ty_print(b, t->elem, depth + 1);
		rg_putc(b, ']');
		return;
	case TY_UNION:
		rg_puts(b, "any<");
		for (i = 0; i < t->nu; i++) {
			if (i)
				rg_puts(b, ", ");
			ty_print(b, t->u[i], depth + 1);
		}
		rg_putc(b, '>');
		return;
	default:
		rg_puts(b, names[t->k]);
		return;
	}
}

/* Var types known so far in a body (assignments of constants and
 * composite literals, built-in outputs). */
struct tyenv {
	const char **v;
	const struct rg_type **t;
	uint32_t n, cap;
};

static const struct rg_type *env_get(const struct tyenv *env, const char *v)
{
	uint32_t i;
	for (i = env->n; i-- > 0;)
		if (env->v[i] == v)
			return env->t[i];
	return NULL;
}

static void env_put(struct rg_cc *cc, struct tyenv *env, const char *v, const struct rg_type *t)
{
	if (!t || t->k == TY_ANY)
		return;
	if (env->n == env->cap) {
		uint32_t ncap = env->cap ? env->cap * 2 : 16;
		const char **nv = tg_arena_alloc_array(&cc->tmp, ncap, sizeof(*nv));
		const struct rg_type **nt = tg_arena_alloc_array(&cc->tmp, ncap, sizeof(*nt));
		if (!nv || !nt) {
			cc->oom = true;
			return;
		}
		if (env->n) {
			memcpy(nv, env->v, env->n * sizeof(*nv));
			memcpy(nt, env->t, env->n * sizeof(*nt));
		}
		env->v = nv;
		env->t = nt;
		env->cap = ncap;
	}
	env->v[env->n] = v;
	env->t[env->n++] = t;
}

static const struct rg_type *ty_of_value(struct rg_cc *cc, const struct tg_json *v)
{
	struct rg_type *t = tg_arena_alloc(&cc->tmp, sizeof(*t));
	if (!t)
		return &ty_any;
	memset(t, 0, sizeof(*t));
	switch (v->type) {
	case TG_JSON_NULL:
		t->k = TY_NULL;
		break;
	case TG_JSON_BOOL:
		t->k = TY_BOOL;
		break;
	case TG_JSON_NUMBER:
		t->k = TY_NUM;
		break;
	case TG_JSON_STRING:
		t->k = TY_STR;
		break;
	case TG_JSON_ARRAY:
		t->k = TY_ARR;
		break;
	case TG_JSON_OBJECT:
		t->k = TY_OBJ;
		break;
	default:
		t->k = TY_SET;
		break;
	}
	return t;
}

static const struct rg_type *ty_of_term(struct rg_cc *cc, const struct tyenv *env,
					const struct rg_term *t)
{
	struct rg_type *r;
	if (!t)
		return &ty_any;
	switch (t->kind) {
	case RG_VAL:
		return ty_of_value(cc, t->u.v);
	case RG_VAR: {
		const struct rg_type *x = env_get(env, t->u.var);
		return x ? x : &ty_any;
	}
	case RG_ARR:
	case RG_ACOMP:
	case RG_SET:
	case RG_SCOMP:
	case RG_OBJ:
	case RG_OCOMP:
		r = tg_arena_alloc(&cc->tmp, sizeof(*r));
		if (!r)
			return &ty_any;
		memset(r, 0, sizeof(*r));
		r->k = (t->kind == RG_ARR || t->kind == RG_ACOMP)   ? TY_ARR
		       : (t->kind == RG_SET || t->kind == RG_SCOMP) ? TY_SET
								    : TY_OBJ;
		return r;
	default:
		return &ty_any;
	}
}

static void types_body(struct rg_cc *cc, struct rg_body *b, struct tyenv *env, unsigned depth);

static void types_expr(struct rg_cc *cc, struct rg_expr *e, struct tyenv *env, unsigned depth)
{
	uint32_t i, nenv = env->n;
	if (e->body) {
		types_body(cc, e->body, env, depth + 1);
		env->n = nenv;
	}
	if (!tg_rego_e_is_call(e))
		return;
	for (i = 1; i < e->t->u.c.n; i++)
		if (tg_rego_t_is_compr(e->t->u.c.items[i])) {
			types_body(cc, e->t->u.c.items[i]->u.k.body, env, depth + 1);
			env->n = nenv;
		}
	if (tg_rego_e_is_eq(cc, e)) {
		const struct rg_term *a = e->t->u.c.items[1], *b = e->t->u.c.items[2];
		if (e->negated)
			return;
		if (a->kind == RG_VAR && !env_get(env, a->u.var))
			env_put(cc, env, a->u.var, ty_of_term(cc, env, b));
		else if (b->kind == RG_VAR && !env_get(env, b->u.var))
			env_put(cc, env, b->u.var, ty_of_term(cc, env, a));
		return;
	}
	{
		const struct rg_term *op = e->t->u.c.items[0];
		const struct tg_rego_builtin *bi = op_builtin(cc, op);
		const struct rg_type *fn;
		int ar;
		bool variadic;
		uint32_t nargs;
		if (!bi || !bi->decl)
			return;
		fn = tg_rego_decl_parse(&cc->tmp, bi->decl, &ar, &variadic);
		if (!fn || variadic)
			return;
		nargs = e->t->u.c.n - 1;
		for (i = 0; i < (uint32_t)ar && i < nargs; i++) {
			const struct rg_type *have = ty_of_term(cc, env, e->t->u.c.items[i + 1]);
			if (!ty_compat(have, fn->u[i], 0)) {
				struct tg_buf hb = TG_BUF_INIT(2048), wb = TG_BUF_INIT(2048);
				struct tg_buf name = TG_BUF_INIT(512);
				uint32_t j;
				rg_putc(&hb, '(');
				for (j = 0; j < (uint32_t)ar && j < nargs; j++) {
					if (j)
						rg_puts(&hb, ", ");
					ty_print(&hb, ty_of_term(cc, env, e->t->u.c.items[j + 1]), 0);
				}
				rg_putc(&hb, ')');
				rg_putc(&wb, '(');
				for (j = 0; j < fn->nu; j++) {
					if (j)
						rg_puts(&wb, ", ");
					ty_print(&wb, fn->u[j], 0);
				}
				rg_putc(&wb, ')');
				tg_rego_term_print_cc(cc, &name, op);
				tg_rego_cc_err(cc, "rego_type_error", &e->loc,
					       "%s: invalid argument(s)\n\thave: %s\n\twant: %s", tg_buf_str(&name),
					       tg_buf_str(&hb), tg_buf_str(&wb));
				tg_buf_release(&hb);
				tg_buf_release(&wb);
				tg_buf_release(&name);
				return;
			}
		}
		if (nargs == (uint32_t)ar + 1 && e->t->u.c.items[nargs]->kind == RG_VAR && fn->elem)
			env_put(cc, env, e->t->u.c.items[nargs]->u.var, fn->elem);
	}
}

static void types_body(struct rg_cc *cc, struct rg_body *b, struct tyenv *env, unsigned depth)
{
	uint32_t i;
	if (!b || depth > CHECK_MAX_DEPTH)
		return;
	for (i = 0; i < b->n; i++)
		types_expr(cc, b->e[i], env, depth + 1);
}

void tg_rego_check_types_body(struct rg_cc *cc, struct rg_body *b)
{
	struct tyenv env = {0};
	types_body(cc, b, &env, 0);
}

/* ---- with ---- */

static bool names_builtin(struct rg_cc *cc, const struct rg_term *t, const struct tg_rego_builtin **bi)
{
	*bi = NULL;
	if (t->kind != RG_VAR && t->kind != RG_REF)
		return false;
	if (t->kind == RG_VAR && (t->flags & (RG_F_DATA | RG_F_INPUT)))
		return false;
	*bi = op_builtin(cc, t);
	return *bi != NULL;
}

/* The function a with value names (a data ref to function rules). */
static struct rg_node *names_function(struct rg_cc *cc, const struct rg_term *t)
{
	struct rg_node *n;
	if (!tg_rego_ref_is_data(t))
		return NULL;
	n = tg_rego_cc_find_node(cc, t);
	if (n && ((n->nrules && n->rules[0]->kind == RG_RK_FUNC) ||
		  (n->deflt && n->deflt->kind == RG_RK_FUNC)))
		return n;
	return NULL;
}

static bool validate_with(struct rg_cc *cc, struct rg_with *w, bool *eval)
{
	struct rg_term *target = w->target, *value = w->value;
	const struct tg_rego_builtin *bi;
	*eval = false;
	/* built-ins named by a var are refs (OPA), so that they are not vars */
	if (target->kind == RG_VAR && !(target->flags & (RG_F_DATA | RG_F_INPUT)) &&
	    op_builtin(cc, target)) {
		struct rg_term *r = tg_rego_t_coll(cc, RG_REF, 1, &target->loc);
		r->u.c.items[0] = target;
		w->target = target = r;
	}
	if (value->kind == RG_VAR && !(value->flags & (RG_F_DATA | RG_F_INPUT)) && op_builtin(cc, value)) {
		struct rg_term *r = tg_rego_t_coll(cc, RG_REF, 1, &value->loc);
		r->u.c.items[0] = value;
		w->value = value = r;
	}
	/* value naming a function or built-in: a replacement function */
	w->vfn = names_function(cc, value);
	if (!w->vfn && names_builtin(cc, value, &bi))
		w->vbi = bi;
	if (tg_rego_ref_is_data(target) || (target->kind == RG_REF && target->u.c.n == 1 &&
					     (target->u.c.items[0]->flags & RG_F_DATA))) {
		struct rg_node *n = cc->p->root;
		uint32_t i, len = target->u.c.n;
		const struct tg_json **keys;
		for (i = 1; i + 1 < len && n; i++) {
			struct rg_node *c;
			if (target->u.c.items[i]->kind != RG_VAL)
				break;
			c = tg_rego_node_child(n, target->u.c.items[i]->u.v);
			if (!c)
				break;
			if (c->nrules || c->deflt) {
				tg_rego_cc_err(cc, "rego_compile_error", &target->loc,
					       "with keyword cannot partially replace virtual document(s)");
				return false;
			}
			n = c;
		}
		keys = tg_rego_alloc(cc, (len ? len : 1) * sizeof(*keys));
		for (i = 1; i < len; i++) {
			if (target->u.c.items[i]->kind != RG_VAL) {
				tg_rego_cc_err(cc, "rego_type_error", &target->loc,
					       "with keyword target must reference existing input, data, or a function");
				return false;
			}
			keys[i - 1] = target->u.c.items[i]->u.v;
		}
		if (tg_json_new_array(cc->a, keys, len - 1, &w->path) != TG_OK)
			cc->oom = true;
		w->fn = names_function(cc, target);
		if (w->fn) {
			w->kind = RG_W_FUNC;
			if (w->vfn || w->vbi)
				return true;
		} else {
			w->kind = RG_W_DATA;
			w->vfn = NULL;
			w->vbi = NULL;
		}
	} else if (tg_rego_ref_is_input(target) ||
		   (target->kind == RG_REF && target->u.c.n == 1 &&
		    (target->u.c.items[0]->flags & RG_F_INPUT))) {
		uint32_t i, len = target->u.c.n;
		const struct tg_json **keys = tg_rego_alloc(cc, (len ? len : 1) * sizeof(*keys));
		for (i = 1; i < len; i++) {
			if (target->u.c.items[i]->kind != RG_VAL) {
				tg_rego_cc_err(cc, "rego_type_error", &target->loc,
					       "with keyword target must reference existing input, data, or a function");
				return false;
			}
			keys[i - 1] = target->u.c.items[i]->u.v;
		}
		if (tg_json_new_array(cc->a, keys, len - 1, &w->path) != TG_OK)
			cc->oom = true;
		w->kind = RG_W_INPUT;
		w->vfn = NULL;
		w->vbi = NULL;
	} else if (names_builtin(cc, target, &bi)) {
		struct tg_buf name = TG_BUF_INIT(512);
		tg_rego_term_print(&name, target);
		if (strcmp(bi->name, "eq") == 0 || strcmp(bi->name, "rego.metadata.chain") == 0 ||
		    strcmp(bi->name, "rego.metadata.rule") == 0) {
			tg_rego_cc_err(cc, "rego_compile_error", &target->loc,
				       "with keyword replacing built-in function: replacement of \"%s\" invalid",
				       bi->name);
			tg_buf_release(&name);
			return false;
		}
		if (strncmp(bi->name, "internal.", 9) == 0) {
			tg_rego_cc_err(cc, "rego_compile_error", &target->loc,
				       "with keyword replacing built-in function: replacement of internal function \"%s\" invalid",
				       bi->name);
			tg_buf_release(&name);
			return false;
		}
		if (bi->flags & TG_RB_RELATION) {
			tg_rego_cc_err(cc, "rego_compile_error", &target->loc,
				       "with keyword replacing built-in function: target must not be a relation");
			tg_buf_release(&name);
			return false;
		}
		if (strcmp(bi->name, "print") == 0) {
			tg_rego_cc_err(cc, "rego_compile_error", &target->loc,
				       "with keyword replacing built-in function: target must not be a void function");
			tg_buf_release(&name);
			return false;
		}
		tg_buf_release(&name);
		w->kind = RG_W_BUILTIN;
		w->bi = bi;
		if (w->vfn || w->vbi)
			return true;
	} else {
		tg_rego_cc_err(cc, "rego_type_error", &target->loc,
			       "with keyword target must reference existing input, data, or a function");
		return false;
	}
	*eval = tg_rego_t_requires_eval(value);
	return true;
}

struct rg_body *tg_rego_rewrite_with(struct rg_cc *cc, struct rg_body *b)
{
	struct rg_body *out;
	uint32_t i, j;
	if (!b)
		return b;
	out = tg_rego_b_new(cc, &b->loc);
	for (i = 0; i < b->n; i++) {
		struct rg_expr *e = b->e[i];
		if (e->body)
			e->body = tg_rego_rewrite_with(cc, e->body);
		for (j = 0; j < e->nwith; j++) {
			bool eval;
			if (!validate_with(cc, e->with[j], &eval))
				return b;
			if (eval) {
				struct rg_term *v = tg_rego_t_var(cc, tg_rego_gen_local(cc), &e->with[j]->value->loc);
				tg_rego_b_append(cc, out, tg_rego_e_eq(cc, v, e->with[j]->value, true,
								       &e->with[j]->value->loc));
				e->with[j]->value = tg_rego_t_copy(cc, v);
			}
		}
		tg_rego_b_append(cc, out, e);
	}
	return out;
}

/* ---- tree: node kinds, subtree rules, ids ---- */

static void collect_rules(struct rg_cc *cc, struct rg_node *top, const struct rg_node *n, unsigned depth)
{
	uint32_t i, total;
	if (depth > CHECK_MAX_DEPTH)
		return;
	total = n->nrules + (n->deflt ? 1 : 0);
	if (total) {
		struct rg_rule **na = tg_rego_alloc(cc, (top->nall + total) * sizeof(*na));
		if (top->nall)
			memcpy(na, top->all, top->nall * sizeof(*na));
		memcpy(na + top->nall, n->rules, n->nrules * sizeof(*na));
		if (n->deflt)
			na[top->nall + n->nrules] = n->deflt;
		top->all = na;
		top->nall += total;
	}
	for (i = 0; i < n->nkids; i++)
		collect_rules(cc, top, n->kids[i], depth + 1);
}

static bool tree_finish_node(struct rg_cc *cc, struct rg_node *n, const struct tg_json **path,
			     unsigned depth)
{
	uint32_t i;
	bool below = false;
	if (depth > CHECK_MAX_DEPTH)
		return false;
	n->id = cc->p->nnodes++;
	if (depth > cc->p->maxdepth)
		cc->p->maxdepth = depth;
	if (tg_json_new_array(cc->a, path, depth, &n->path) != TG_OK)
		cc->oom = true;
	for (i = 0; i < n->nkids; i++) {
		path[depth] = n->kids[i]->key;
		if (tree_finish_node(cc, n->kids[i], path, depth + 1))
			below = true;
	}
	if (n->nrules || n->deflt) {
		struct rg_rule *r = n->nrules ? n->rules[0] : n->deflt;
		bool ground = true;
		for (i = 0; i < n->nrules; i++)
			if (n->rules[i]->ground != n->rules[i]->ref->u.c.n)
				ground = false;
		if (n->deflt && n->deflt->ground != n->deflt->ref->u.c.n)
			ground = false;
		if (r->kind == RG_RK_FUNC) {
			n->kind = RG_NK_FUNC;
			n->arity = r->nargs;
		} else if (!ground) {
			n->kind = RG_NK_GENERAL;
			collect_rules(cc, n, n, 0);
		} else if (r->kind == RG_RK_MULTI) {
			n->kind = RG_NK_MULTI;
		} else {
			n->kind = RG_NK_COMPLETE;
		}
		below = true;
	}
	n->has_rules = below;
	return below;
}

void tg_rego_tree_finish(struct rg_cc *cc)
{
	const struct tg_json **path = tg_arena_alloc_array(&cc->tmp, CHECK_MAX_DEPTH + 2, sizeof(*path));
	if (!path) {
		cc->oom = true;
		return;
	}
	cc->p->nnodes = 0;
	tree_finish_node(cc, cc->p->root, path, 0);
}

/* ---- final pass: slots, resolved calls, folded constants ---- */

struct fin {
	struct rg_cc *cc;
	struct rg_vset *slots;
};

static void fin_body(struct fin *f, struct rg_body *b, unsigned depth);

static int32_t fin_slot(struct fin *f, const char *v)
{
	uint32_t i;
	for (i = 0; i < f->slots->n; i++)
		if (f->slots->v[i] == v)
			return (int32_t)i;
	tg_rego_vs_add(f->cc, f->slots, v);
	return (int32_t)f->slots->n - 1;
}

/* Folds a composite whose items are all values into one value. */
static void fold(struct fin *f, struct rg_term *t)
{
	const struct tg_json **items;
	const struct tg_json *v = NULL;
	uint32_t i;
	tg_err e;
	for (i = 0; i < t->u.c.n; i++)
		if (t->u.c.items[i]->kind != RG_VAL)
			return;
	if (t->kind == RG_OBJ) {
		struct tg_json_member *m = tg_arena_alloc_array(&f->cc->tmp, t->u.c.n / 2 + 1, sizeof(*m));
		if (!m) {
			f->cc->oom = true;
			return;
		}
		for (i = 0; i + 1 < t->u.c.n; i += 2) {
			m[i / 2].key = t->u.c.items[i]->u.v;
			m[i / 2].val = t->u.c.items[i + 1]->u.v;
		}
		e = tg_json_new_object(f->cc->a, m, t->u.c.n / 2, TG_JSON_DUP_LAST, &v);
	} else {
		items = tg_arena_alloc_array(&f->cc->tmp, t->u.c.n + 1, sizeof(*items));
		if (!items) {
			f->cc->oom = true;
			return;
		}
		for (i = 0; i < t->u.c.n; i++)
			items[i] = t->u.c.items[i]->u.v;
		e = t->kind == RG_ARR ? tg_json_new_array(f->cc->a, items, t->u.c.n, &v)
				      : tg_json_new_set(f->cc->a, items, t->u.c.n, &v);
	}
	if (e != TG_OK) {
		f->cc->oom = true;
		return;
	}
	t->kind = RG_VAL;
	t->u.v = v;
}

static void fin_term(struct fin *f, struct rg_term *t, unsigned depth)
{
	uint32_t i;
	if (!t || depth > CHECK_MAX_DEPTH)
		return;
	switch (t->kind) {
	case RG_VAR:
		if (!(t->flags & (RG_F_DATA | RG_F_INPUT)))
			t->slot = fin_slot(f, t->u.var);
		return;
	case RG_CALL: {
		const struct rg_term *op = t->u.c.items[0];
		for (i = 1; i < t->u.c.n; i++)
			fin_term(f, t->u.c.items[i], depth + 1);
		if (tg_rego_ref_is_data(op))
			t->fn = tg_rego_cc_find_node(f->cc, op);
		else
			t->bi = op_builtin(f->cc, op);
		return;
	}
	case RG_REF:
		for (i = 0; i < t->u.c.n; i++)
			fin_term(f, t->u.c.items[i], depth + 1);
		return;
	case RG_ARR:
	case RG_OBJ:
	case RG_SET:
		for (i = 0; i < t->u.c.n; i++)
			fin_term(f, t->u.c.items[i], depth + 1);
		fold(f, t);
		return;
	case RG_ACOMP:
	case RG_SCOMP:
	case RG_OCOMP:
		fin_term(f, t->u.k.key, depth + 1);
		fin_term(f, t->u.k.val, depth + 1);
		fin_body(f, t->u.k.body, depth + 1);
		return;
	default:
		return;
	}
}

static void fin_body(struct fin *f, struct rg_body *b, unsigned depth)
{
	uint32_t i, j;
	if (!b || depth > CHECK_MAX_DEPTH)
		return;
	for (i = 0; i < b->n; i++) {
		struct rg_expr *e = b->e[i];
		fin_term(f, e->t, depth + 1);
		fin_term(f, e->key, depth + 1);
		fin_term(f, e->val, depth + 1);
		fin_term(f, e->domain, depth + 1);
		fin_body(f, e->body, depth + 1);
		for (j = 0; j < e->nwith; j++) {
			struct rg_with *w = e->with[j];
			if (w->vfn || w->vbi)
				continue;
			fin_term(f, w->value, depth + 1);
		}
	}
}

uint32_t tg_rego_finalize_body(struct rg_cc *cc, struct rg_body *b, const struct rg_vset *pre,
			       struct rg_vset *slots)
{
	struct fin f = {cc, slots};
	uint32_t i;
	if (pre)
		for (i = 0; i < pre->n; i++)
			(void)fin_slot(&f, pre->v[i]);
	fin_body(&f, b, 0);
	return slots->n;
}

uint32_t tg_rego_finalize_rule(struct rg_cc *cc, struct rg_rule *r)
{
	struct rg_vset slots = {0};
	struct fin f = {cc, &slots};
	uint32_t i;
	for (i = 0; i < r->nargs; i++)
		fin_term(&f, r->args[i], 0);
	for (i = 1; i < r->ref->u.c.n; i++)
		fin_term(&f, r->ref->u.c.items[i], 0);
	fin_term(&f, r->key, 0);
	fin_term(&f, r->value, 0);
	fin_body(&f, r->body, 0);
	r->const_value = r->kind != RG_RK_MULTI && r->value && r->value->kind == RG_VAL &&
			 r->ground == r->ref->u.c.n;
	return slots.n;
}
