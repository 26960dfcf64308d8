/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_compile.c - the compile driver and OPA's rewriting stages: rule
 * tree, resolution of refs and imports, local var rewriting (`:=`, some,
 * every), print calls, nested calls, comprehension and head terms, dynamic
 * terms; plus query compilation.
 */
#include "rego/rego_compile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "core/mem.h"

#define CC_MAX_DEPTH 1024

/* ---- rule tree ---- */

static int node_key_cmp(const struct rg_node *n, const struct tg_json *k)
{
	return tg_json_cmp(n->key, k);
}

struct rg_node *tg_rego_node_child(const struct rg_node *n, const struct tg_json *key)
{
	uint32_t lo = 0, hi = n ? n->nkids : 0;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = node_key_cmp(n->kids[mid], key);
		if (c == 0)
			return n->kids[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static struct rg_node *node_add(struct rg_cc *cc, struct rg_node *n, const struct tg_json *key)
{
	uint32_t lo = 0, hi = n->nkids;
	struct rg_node *c;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int r = node_key_cmp(n->kids[mid], key);
		if (r == 0)
			return n->kids[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (n->nkids == n->capkids) {
		uint32_t ncap = n->capkids ? n->capkids * 2 : 4;
		struct rg_node **nk = tg_rego_alloc(cc, ncap * sizeof(*nk));
		if (n->nkids)
			memcpy(nk, n->kids, n->nkids * sizeof(*nk));
		n->kids = nk;
		n->capkids = ncap;
	}
	c = tg_rego_alloc(cc, sizeof(*c));
	c->key = key;
	c->parent = n;
	c->depth = n->depth + 1;
	memmove(n->kids + lo + 1, n->kids + lo, (n->nkids - lo) * sizeof(*n->kids));
	n->kids[lo] = c;
	n->nkids++;
	if (n->depth == 0 && tg_json_str_eq(key, "system"))
		c->hide = true;
	return c;
}

static void node_add_rule(struct rg_cc *cc, struct rg_node *n, struct rg_rule *r)
{
	if (n->nrules == n->caprules) {
		uint32_t ncap = n->caprules ? n->caprules * 2 : 2;
		struct rg_rule **nr = tg_rego_alloc(cc, ncap * sizeof(*nr));
		if (n->nrules)
			memcpy(nr, n->rules, n->nrules * sizeof(*nr));
		n->rules = nr;
		n->caprules = ncap;
	}
	n->rules[n->nrules++] = r;
}

/* Length of the ground prefix of a rule ref (items after data that are
 * scalars). */
static uint32_t ref_ground_len(const struct rg_term *ref)
{
	uint32_t i;
	for (i = 1; i < ref->u.c.n; i++)
		if (!tg_rego_t_scalar(ref->u.c.items[i]))
			break;
	return i;
}

struct rg_node *tg_rego_cc_find_node(struct rg_cc *cc, const struct rg_term *ref)
{
	struct rg_node *n;
	uint32_t i;
	if (!tg_rego_ref_is_data(ref))
		return NULL;
	n = cc->p->root;
	for (i = 1; i < ref->u.c.n && n; i++) {
		if (ref->u.c.items[i]->kind != RG_VAL)
			return NULL;
		n = tg_rego_node_child(n, ref->u.c.items[i]->u.v);
	}
	return n;
}

static void build_tree(struct rg_cc *cc)
{
	uint32_t mi, ri, i;
	struct rg_node *root = cc->p->root;
	for (mi = 0; mi < cc->nmods; mi++) {
		struct rg_module *m = cc->mods[mi];
		struct rg_node *n = root;
		for (i = 1; i < m->package->u.c.n; i++)
			if (m->package->u.c.items[i]->kind == RG_VAL)
				n = node_add(cc, n, m->package->u.c.items[i]->u.v);
		for (ri = 0; ri < m->nrules; ri++) {
			struct rg_rule *r = m->rules[ri], *e;
			uint32_t g = ref_ground_len(r->ref);
			n = root;
			for (i = 1; i < g; i++)
				n = node_add(cc, n, r->ref->u.c.items[i]->u.v);
			for (e = r; e; e = e->els) {
				e->node = n;
				e->ground = g;
			}
			if (r->is_default) {
				if (n->deflt) {
					char a[256], b[256];
					struct tg_buf nb = TG_BUF_INIT(1024);
					(void)snprintf(a, sizeof(a), "%s:%u:%u", n->deflt->mod->file,
						       n->deflt->loc.row, n->deflt->loc.col);
					(void)snprintf(b, sizeof(b), "%s:%u:%u", r->mod->file, r->loc.row,
						       r->loc.col);
					tg_rego_term_print(&nb, r->ref);
					tg_rego_cc_err(cc, "rego_type_error", &r->mod->package_loc,
						       "multiple default rules %s found at %s, %s",
						       tg_buf_str(&nb), a, b);
					tg_buf_release(&nb);
				} else
					n->deflt = r;
			} else
				node_add_rule(cc, n, r);
		}
	}
}

/* ---- resolution of refs ---- */

struct global {
	const char *name;
	struct rg_term *ref;
};

struct globals {
	struct global *v;
	uint32_t n, cap;
};

static void globals_put(struct rg_cc *cc, struct globals *g, const char *name, struct rg_term *ref)
{
	uint32_t i;
	for (i = 0; i < g->n; i++)
		if (g->v[i].name == name) {
			g->v[i].ref = ref;
			return;
		}
	struct global *nv = tg_rego_tmp_grow(cc, g->v, g->n, &g->cap, sizeof(*g->v), 16);
	if (!nv)
		return;
	g->v = nv;
	g->v[g->n].name = name;
	g->v[g->n].ref = ref;
	g->n++;
}

static struct rg_term *globals_get(const struct globals *g, const char *name)
{
	uint32_t i;
	for (i = 0; i < g->n; i++)
		if (g->v[i].name == name)
			return g->v[i].ref;
	return NULL;
}

/* A stack of var sets that shadow globals (declared vars, args). */
struct ignore {
	struct rg_vset *s;
	uint32_t n, cap;
};

static void ign_push(struct rg_cc *cc, struct ignore *ig, struct rg_vset *vs)
{
	struct rg_vset *ns = tg_rego_tmp_grow(cc, ig->s, ig->n, &ig->cap, sizeof(*ig->s), 8);
	if (!ns)
		return;
	ig->s = ns;
	ig->s[ig->n++] = *vs;
}

static bool ign_has(const struct ignore *ig, const char *v)
{
	uint32_t i;
	for (i = ig->n; i-- > 0;)
		if (tg_rego_vs_has(&ig->s[i], v))
			return true;
	return false;
}

/* OPA declaredVars: vars assigned with := or declared with some, not
 * looking into comprehensions. */
static void declared_vars_body(struct rg_cc *cc, const struct rg_body *b, struct rg_vset *out,
			       unsigned depth);

static void declared_vars_expr(struct rg_cc *cc, const struct rg_expr *e, struct rg_vset *out,
			       unsigned depth)
{
	uint32_t i;
	if (depth > CC_MAX_DEPTH)
		return;
	if (tg_rego_e_is_assign(cc, e)) {
		tg_rego_vars_term(cc, e->t->u.c.items[1], 0, out);
	} else if (e->kind == RG_EX_SOME) {
		for (i = 0; i < e->nvars; i++)
			tg_rego_vars_term(cc, e->vars[i], 0, out);
	} else if (e->kind == RG_EX_SOMEIN) {
		if (e->key)
			tg_rego_vars_term(cc, e->key, 0, out);
		tg_rego_vars_term(cc, e->val, 0, out);
	} else if (e->kind == RG_EX_EVERY) {
		declared_vars_body(cc, e->body, out, depth + 1);
	}
}

static void declared_vars_body(struct rg_cc *cc, const struct rg_body *b, struct rg_vset *out,
			       unsigned depth)
{
	uint32_t i;
	for (i = 0; b && i < b->n; i++)
		declared_vars_expr(cc, b->e[i], out, depth + 1);
}

static struct rg_term *resolve_term(struct rg_cc *cc, const struct globals *g, struct ignore *ig,
				    struct rg_term *t, unsigned depth);
static void resolve_body(struct rg_cc *cc, const struct globals *g, struct ignore *ig,
			 struct rg_body *b, unsigned depth);

static struct rg_term *copy_global(struct rg_cc *cc, const struct rg_term *gref,
				   const struct tg_rego_loc *loc)
{
	struct rg_term *c = tg_rego_t_copy(cc, gref);
	uint32_t i;
	c->loc = *loc;
	if (c->kind == RG_REF)
		for (i = 0; i < c->u.c.n; i++)
			c->u.c.items[i]->loc = *loc;
	return c;
}

static struct rg_term *resolve_ref(struct rg_cc *cc, const struct globals *g, struct ignore *ig,
				   struct rg_term *t, unsigned depth)
{
	struct rg_term *head = t->u.c.items[0], *gr, *r;
	uint32_t i, n = 0;
	for (i = 1; i < t->u.c.n; i++) {
		struct rg_term *x = t->u.c.items[i];
		if (x->kind == RG_VAR && (gr = globals_get(g, x->u.var)) && !ign_has(ig, x->u.var))
			t->u.c.items[i] = copy_global(cc, gr, &x->loc);
		else if (x->kind != RG_VAR && x->kind != RG_VAL)
			t->u.c.items[i] = resolve_term(cc, g, ig, x, depth + 1);
	}
	if (head->kind == RG_VAR) {
		if ((gr = globals_get(g, head->u.var)) && !ign_has(ig, head->u.var)) {
			gr = copy_global(cc, gr, &head->loc);
			if (gr->kind != RG_REF) {
				t->u.c.items[0] = gr;
				return t;
			}
			r = tg_rego_t_coll(cc, RG_REF, gr->u.c.n + t->u.c.n - 1, &t->loc);
			for (i = 0; i < gr->u.c.n; i++)
				r->u.c.items[n++] = gr->u.c.items[i];
			for (i = 1; i < t->u.c.n; i++)
				r->u.c.items[n++] = t->u.c.items[i];
			return r;
		}
		if ((head->u.var == cc->n_data || head->u.var == cc->n_input) && !ign_has(ig, head->u.var))
			head->flags |= head->u.var == cc->n_data ? RG_F_DATA : RG_F_INPUT;
		return t;
	}
	t->u.c.items[0] = resolve_term(cc, g, ig, head, depth + 1);
	return t;
}

static struct rg_term *resolve_term(struct rg_cc *cc, const struct globals *g, struct ignore *ig,
				    struct rg_term *t, unsigned depth)
{
	struct rg_term *gr;
	uint32_t i;
	struct rg_vset vs = {0};
	if (!t || depth > CC_MAX_DEPTH)
		return t;
	switch (t->kind) {
	case RG_VAR:
		if ((gr = globals_get(g, t->u.var)) && !ign_has(ig, t->u.var))
			return copy_global(cc, gr, &t->loc);
		if ((t->u.var == cc->n_data || t->u.var == cc->n_input) && !ign_has(ig, t->u.var)) {
			struct rg_term *r = tg_rego_t_coll(cc, RG_REF, 1, &t->loc);
			t->flags |= t->u.var == cc->n_data ? RG_F_DATA : RG_F_INPUT;
			r->u.c.items[0] = t;
			return r;
		}
		return t;
	case RG_REF:
		return resolve_ref(cc, g, ig, t, depth);
	case RG_ARR:
	case RG_OBJ:
	case RG_SET:
	case RG_CALL:
		for (i = 0; i < t->u.c.n; i++)
			t->u.c.items[i] = resolve_term(cc, g, ig, t->u.c.items[i], depth + 1);
		return t;
	case RG_ACOMP:
	case RG_SCOMP:
	case RG_OCOMP:
		declared_vars_body(cc, t->u.k.body, &vs, 0);
		ign_push(cc, ig, &vs);
		t->u.k.key = resolve_term(cc, g, ig, t->u.k.key, depth + 1);
		t->u.k.val = resolve_term(cc, g, ig, t->u.k.val, depth + 1);
		resolve_body(cc, g, ig, t->u.k.body, depth + 1);
		ig->n--;
		return t;
	default:
		return t;
	}
}

static void resolve_expr(struct rg_cc *cc, const struct globals *g, struct ignore *ig,
			 struct rg_expr *e, unsigned depth)
{
	uint32_t i;
	struct rg_vset locals = {0};
	switch (e->kind) {
	case RG_EX_TERM:
		e->t = resolve_term(cc, g, ig, e->t, depth + 1);
		break;
	case RG_EX_SOMEIN:
		e->key = resolve_term(cc, g, ig, e->key, depth + 1);
		e->val = resolve_term(cc, g, ig, e->val, depth + 1);
		e->domain = resolve_term(cc, g, ig, e->domain, depth + 1);
		break;
	case RG_EX_EVERY:
		if (e->key)
			tg_rego_vars_term(cc, e->key, 0, &locals);
		tg_rego_vars_term(cc, e->val, 0, &locals);
		ign_push(cc, ig, &locals);
		e->domain = resolve_term(cc, g, ig, e->domain, depth + 1);
		resolve_body(cc, g, ig, e->body, depth + 1);
		ig->n--;
		break;
	default:
		break;
	}
	for (i = 0; i < e->nwith; i++) {
		e->with[i]->target = resolve_term(cc, g, ig, e->with[i]->target, depth + 1);
		e->with[i]->value = resolve_term(cc, g, ig, e->with[i]->value, depth + 1);
	}
}

static void resolve_body(struct rg_cc *cc, const struct globals *g, struct ignore *ig,
			 struct rg_body *b, unsigned depth)
{
	uint32_t i;
	if (!b || depth > CC_MAX_DEPTH)
		return;
	for (i = 0; i < b->n; i++)
		resolve_expr(cc, g, ig, b->e[i], depth + 1);
}

/* Vars of function args, for shadowing; args must not be data/input. */
static bool arg_vars(struct rg_cc *cc, const struct rg_term *t, struct rg_vset *s, unsigned depth)
{
	uint32_t i;
	if (!t || depth > CC_MAX_DEPTH)
		return true;
	switch (t->kind) {
	case RG_VAR:
		if (t->u.var == cc->n_data || t->u.var == cc->n_input) {
			tg_rego_cc_err(cc, "rego_compile_error", &t->loc,
				       "args must not shadow %s (use a different variable name)", t->u.var);
			return false;
		}
		tg_rego_vs_add(cc, s, t->u.var);
		return true;
	case RG_OBJ:
		for (i = 1; i < t->u.c.n; i += 2)
			if (!arg_vars(cc, t->u.c.items[i], s, depth + 1))
				return false;
		return true;
	case RG_REF:
	case RG_ARR:
		for (i = 0; i < t->u.c.n; i++)
			if (!arg_vars(cc, t->u.c.items[i], s, depth + 1))
				return false;
		return true;
	default:
		return true;
	}
}

static void resolve_rule(struct rg_cc *cc, const struct globals *g, struct rg_rule *r)
{
	struct ignore ig = {0};
	struct rg_vset args = {0}, decl = {0};
	uint32_t i;
	for (i = 0; i < r->nargs; i++)
		if (!arg_vars(cc, r->args[i], &args, 0))
			return;
	ign_push(cc, &ig, &args);
	declared_vars_body(cc, r->body, &decl, 0);
	ign_push(cc, &ig, &decl);
	if (!r->is_else)
		for (i = 1; i < r->ref->u.c.n; i++)
			r->ref->u.c.items[i] = resolve_term(cc, g, &ig, r->ref->u.c.items[i], 0);
	r->key = resolve_term(cc, g, &ig, r->key, 0);
	r->value = resolve_term(cc, g, &ig, r->value, 0);
	resolve_body(cc, g, &ig, r->body, 0);
}

static bool import_is(const struct rg_cc *cc, const struct rg_term *p, const char *root)
{
	const struct rg_term *h = p->kind == RG_REF ? p->u.c.items[0] : p;
	return h->kind == RG_VAR && strcmp(h->u.var, root) == 0;
	(void)cc;
}

/* The name an import binds: its alias or the last element of its path. */
static const char *import_name(struct rg_cc *cc, const struct rg_import *imp)
{
	const struct rg_term *p = imp->path, *last;
	if (imp->alias)
		return imp->alias;
	if (p->kind == RG_VAR)
		return p->u.var;
	if (p->kind != RG_REF)
		return NULL;
	last = p->u.c.items[p->u.c.n - 1];
	if (last->kind == RG_VAL && last->u.v->type == TG_JSON_STRING)
		return tg_rego_intern(cc, last->u.v->u.s.p, last->u.v->u.s.len);
	if (last->kind == RG_VAR)
		return last->u.var;
	return NULL;
}

static void resolve_module(struct rg_cc *cc, struct rg_module *m)
{
	struct globals g = {0};
	uint32_t mi, ri, i, plen = m->package->u.c.n;
	struct rg_rule *r;

	/* rules of the same package, in any module */
	for (mi = 0; mi < cc->nmods; mi++) {
		struct rg_module *o = cc->mods[mi];
		if (!tg_rego_t_eq(o->package, m->package))
			continue;
		for (ri = 0; ri < o->nrules; ri++) {
			const struct rg_term *name = o->rules[ri]->ref->u.c.items[plen];
			struct rg_term *ref;
			if (o->rules[ri]->ref->u.c.n <= plen || name->kind != RG_VAL ||
			    name->u.v->type != TG_JSON_STRING)
				continue;
			ref = tg_rego_t_coll(cc, RG_REF, plen + 1, &name->loc);
			for (i = 0; i < plen; i++)
				ref->u.c.items[i] = m->package->u.c.items[i];
			ref->u.c.items[plen] = (struct rg_term *)name;
			globals_put(cc, &g, tg_rego_intern(cc, name->u.v->u.s.p, name->u.v->u.s.len), ref);
		}
	}
	for (i = 0; i < m->nimports; i++) {
		struct rg_import *imp = &m->imports[i];
		const char *name;
		struct rg_term *path = imp->path;
		if (import_is(cc, path, "future") || import_is(cc, path, "rego"))
			continue;
		name = import_name(cc, imp);
		if (!name)
			continue;
		if (path->kind == RG_VAR) {
			struct rg_term *r2 = tg_rego_t_coll(cc, RG_REF, 1, &path->loc);
			r2->u.c.items[0] = path;
			path = r2;
		}
		if (path->kind == RG_REF && path->u.c.items[0]->kind == RG_VAR) {
			const char *h = path->u.c.items[0]->u.var;
			if (h == cc->n_data)
				path->u.c.items[0]->flags |= RG_F_DATA;
			else if (h == cc->n_input)
				path->u.c.items[0]->flags |= RG_F_INPUT;
		}
		globals_put(cc, &g, name, path);
	}
	for (ri = 0; ri < m->nrules; ri++)
		for (r = m->rules[ri]; r; r = r->els)
			resolve_rule(cc, &g, r);
}

/* ---- v1 checks: root document overrides, duplicate imports ---- */

static void check_overrides_body(struct rg_cc *cc, const struct rg_body *b, unsigned depth);

static void check_overrides_term(struct rg_cc *cc, const struct rg_term *t, unsigned depth)
{
	uint32_t i;
	if (!t || depth > CC_MAX_DEPTH)
		return;
	switch (t->kind) {
	case RG_REF:
	case RG_ARR:
	case RG_OBJ:
	case RG_SET:
	case RG_CALL:
		for (i = 0; i < t->u.c.n; i++)
			check_overrides_term(cc, t->u.c.items[i], depth + 1);
		break;
	case RG_ACOMP:
	case RG_SCOMP:
	case RG_OCOMP:
		check_overrides_term(cc, t->u.k.key, depth + 1);
		check_overrides_term(cc, t->u.k.val, depth + 1);
		check_overrides_body(cc, t->u.k.body, depth + 1);
		break;
	default:
		break;
	}
}

static void check_overrides_body(struct rg_cc *cc, const struct rg_body *b, unsigned depth)
{
	uint32_t i;
	for (i = 0; b && i < b->n; i++) {
		const struct rg_expr *e = b->e[i];
		if (tg_rego_e_is_assign(cc, e)) {
			const struct rg_term *lhs = e->t->u.c.items[1];
			if (lhs->kind == RG_VAR && (lhs->u.var == cc->n_data || lhs->u.var == cc->n_input))
				tg_rego_cc_err(cc, "rego_compile_error", &e->loc,
					       "variables must not shadow %s (use a different variable name)",
					       lhs->u.var);
		}
		check_overrides_term(cc, e->t, depth + 1);
		if (e->body)
			check_overrides_body(cc, e->body, depth + 1);
	}
}

static void check_v1_module(struct rg_cc *cc, struct rg_module *m)
{
	uint32_t i, j, ri;
	uint32_t plen = m->package->u.c.n;
	for (ri = 0; ri < m->nrules; ri++) {
		struct rg_rule *r = m->rules[ri], *e;
		const struct rg_term *name = r->ref->u.c.n > plen ? r->ref->u.c.items[plen] : NULL;
		if (name && name->kind == RG_VAL &&
		    (tg_json_str_eq(name->u.v, "input") || tg_json_str_eq(name->u.v, "data")))
			tg_rego_cc_err(cc, "rego_compile_error", &r->loc,
				       "rules must not shadow %.*s (use a different rule name)",
				       (int)name->u.v->u.s.len, name->u.v->u.s.p);
		for (e = r; e; e = e->els)
			check_overrides_body(cc, e->body, 0);
	}
	for (i = 0; i < m->nimports; i++) {
		const char *ni = import_name(cc, &m->imports[i]);
		for (j = 0; ni && j < i; j++) {
			if (import_name(cc, &m->imports[j]) == ni) {
				struct tg_buf b = TG_BUF_INIT(512);
				rg_puts(&b, "import ");
				tg_rego_term_print(&b, m->imports[j].path);
				if (m->imports[j].alias) {
					rg_puts(&b, " as ");
					rg_puts(&b, m->imports[j].alias);
				}
				tg_rego_cc_err(cc, "rego_compile_error", &m->imports[i].loc,
					       "import must not shadow %s", tg_buf_str(&b));
				tg_buf_release(&b);
				break;
			}
		}
	}
}

/* ---- rule head refs: non-scalar ref elements become vars ---- */

static void rewrite_head_refs(struct rg_cc *cc, struct rg_rule *r)
{
	uint32_t i;
	if (r->is_else)
		return;
	for (i = 1; i < r->ref->u.c.n; i++) {
		struct rg_term *x = r->ref->u.c.items[i];
		if (x->kind == RG_VAR || tg_rego_t_scalar(x))
			continue;
		{
			struct rg_term *v = tg_rego_t_var(cc, tg_rego_gen_local(cc), &x->loc);
			struct rg_rule *e;
			r->ref->u.c.items[i] = v;
			for (e = r; e; e = e->els)
				tg_rego_b_append(cc, e->body,
						 tg_rego_e_eq(cc, tg_rego_t_copy(cc, v), e == r ? x : tg_rego_t_copy(cc, x),
							      true, &x->loc));
		}
	}
}

/* ---- local vars (OPA rewriteLocalVars) ---- */

enum { OCC_NEW = 0, OCC_ARG, OCC_SEEN, OCC_ASSIGNED, OCC_DECLARED };

struct lv_ent {
	const char *v, *gv;
	uint8_t occ;
	uint32_t count;
};

struct lv_scope {
	struct lv_ent *e;
	uint32_t n, cap;
};

struct lv_stack {
	struct lv_scope *s;
	uint32_t n, cap;
};

static void lv_push(struct rg_cc *cc, struct lv_stack *st)
{
	struct lv_scope *ns = tg_rego_tmp_grow(cc, st->s, st->n, &st->cap, sizeof(*st->s), 8);
	if (!ns)
		return;
	st->s = ns;
	memset(&st->s[st->n++], 0, sizeof(struct lv_scope));
}

static struct lv_ent *lv_top_find(struct lv_stack *st, const char *v)
{
	struct lv_scope *s;
	uint32_t i;
	if (!st->n)
		return NULL;
	s = &st->s[st->n - 1];
	for (i = 0; i < s->n; i++)
		if (s->e[i].v == v)
			return &s->e[i];
	return NULL;
}

static void lv_insert(struct rg_cc *cc, struct lv_stack *st, const char *x, const char *y, uint8_t occ)
{
	struct lv_scope *s;
	struct lv_ent *e = lv_top_find(st, x);
	if (!e) {
		s = &st->s[st->n - 1];
		struct lv_ent *ne = tg_rego_tmp_grow(cc, s->e, s->n, &s->cap, sizeof(*s->e), 8);
		if (!ne)
			return;
		s->e = ne;
		e = &s->e[s->n++];
	}
	e->v = x;
	e->gv = y;
	e->occ = occ;
	e->count = 1;
	if (x != y)
		tg_rego_rewritten_add(cc, y, x);
}

static const char *lv_declared(struct lv_stack *st, const char *x)
{
	uint32_t i, j;
	for (i = st->n; i-- > 0;)
		for (j = 0; j < st->s[i].n; j++)
			if (st->s[i].e[j].v == x)
				return st->s[i].e[j].gv;
	return NULL;
}

static uint8_t lv_occurrence(struct lv_stack *st, const char *x)
{
	struct lv_ent *e = lv_top_find(st, x);
	return e ? e->occ : OCC_NEW;
}

static void lv_seen(struct lv_stack *st, const char *x)
{
	uint32_t i, j;
	for (i = st->n; i-- > 0;)
		for (j = 0; j < st->s[i].n; j++)
			if (st->s[i].e[j].v == x) {
				st->s[i].e[j].count++;
				return;
			}
}

static const char *lv_declare(struct rg_cc *cc, struct lv_stack *st, const char *v, uint8_t occ,
			      const struct tg_rego_loc *loc)
{
	const char *gv;
	switch (lv_occurrence(st, v)) {
	case OCC_SEEN:
		tg_rego_cc_err(cc, "rego_compile_error", loc, "var %s referenced above", v);
		return NULL;
	case OCC_ASSIGNED:
		tg_rego_cc_err(cc, "rego_compile_error", loc, "var %s assigned above", v);
		return NULL;
	case OCC_DECLARED:
		tg_rego_cc_err(cc, "rego_compile_error", loc, "var %s declared above", v);
		return NULL;
	case OCC_ARG:
		tg_rego_cc_err(cc, "rego_compile_error", loc, "arg %s redeclared", v);
		return NULL;
	default:
		break;
	}
	gv = tg_rego_gen_local(cc);
	lv_insert(cc, st, v, gv, occ);
	return gv;
}

static struct rg_body *lv_body(struct rg_cc *cc, struct lv_stack *st, const struct rg_vset *used,
			       struct rg_body *b, unsigned depth);
static void lv_term(struct rg_cc *cc, struct lv_stack *st, struct rg_term *t, unsigned depth);

static void lv_compr(struct rg_cc *cc, struct lv_stack *st, struct rg_term *t, unsigned depth)
{
	struct rg_vset used = {0};
	tg_rego_vars_term(cc, t->u.k.key, 0, &used);
	tg_rego_vars_term(cc, t->u.k.val, 0, &used);
	lv_push(cc, st);
	t->u.k.body = lv_body(cc, st, &used, t->u.k.body, depth + 1);
	lv_term(cc, st, t->u.k.key, depth + 1);
	lv_term(cc, st, t->u.k.val, depth + 1);
	st->n--;
}

static void lv_term(struct rg_cc *cc, struct lv_stack *st, struct rg_term *t, unsigned depth)
{
	const char *gv;
	uint32_t i;
	if (!t || depth > CC_MAX_DEPTH)
		return;
	switch (t->kind) {
	case RG_VAR:
		if (t->flags & (RG_F_DATA | RG_F_INPUT))
			return;
		if ((gv = lv_declared(st, t->u.var))) {
			lv_seen(st, t->u.var);
			t->u.var = gv;
			if (tg_rego_name_generated(gv))
				t->flags |= RG_F_GEN;
		} else if (lv_occurrence(st, t->u.var) == OCC_NEW) {
			lv_insert(cc, st, t->u.var, t->u.var, OCC_SEEN);
		}
		return;
	case RG_CALL: {
		const struct rg_term *op = t->u.c.items[0];
		const struct rg_term *h = op->kind == RG_REF ? op->u.c.items[0] : op;
		if (h->kind == RG_VAR && !(h->flags & (RG_F_DATA | RG_F_INPUT)) &&
		    (gv = lv_declared(st, h->u.var)) && gv != h->u.var) {
			struct tg_buf b = TG_BUF_INIT(512);
			tg_rego_term_print(&b, op);
			tg_rego_cc_err(cc, "rego_compile_error", &t->loc, "called function %s shadowed",
				       tg_buf_str(&b));
			tg_buf_release(&b);
		}
		for (i = 1; i < t->u.c.n; i++)
			lv_term(cc, st, t->u.c.items[i], depth + 1);
		return;
	}
	case RG_REF:
	case RG_ARR:
	case RG_OBJ:
	case RG_SET:
		for (i = 0; i < t->u.c.n; i++)
			lv_term(cc, st, t->u.c.items[i], depth + 1);
		return;
	case RG_ACOMP:
	case RG_SCOMP:
	case RG_OCOMP:
		lv_compr(cc, st, t, depth);
		return;
	default:
		return;
	}
}

static void lv_with(struct rg_cc *cc, struct lv_stack *st, struct rg_with *w, unsigned depth)
{
	const char *sdw;
	lv_term(cc, st, w->target, depth + 1);
	/* `with input as` keeps meaning the root even when input is shadowed */
	if ((sdw = lv_declared(st, cc->n_input))) {
		struct rg_term *t = w->target;
		struct rg_term *h = t->kind == RG_REF ? t->u.c.items[0] : t;
		if (h->kind == RG_VAR && h->u.var == sdw) {
			h->u.var = cc->n_input;
			h->flags = RG_F_INPUT;
			if (t->kind == RG_VAR) {
				struct rg_term *r = tg_rego_t_coll(cc, RG_REF, 1, &t->loc);
				r->u.c.items[0] = t;
				w->target = r;
			}
		}
	}
	lv_term(cc, st, w->value, depth + 1);
}

static void lv_expr_terms(struct rg_cc *cc, struct lv_stack *st, struct rg_expr *e, unsigned depth)
{
	uint32_t i;
	lv_term(cc, st, e->t, depth + 1);
	for (i = 0; i < e->nwith; i++)
		lv_with(cc, st, e->with[i], depth + 1);
}

/* LHS of :=: vars get new names; arrays recurse; objects recurse into
 * values; anything else cannot be assigned. */
static bool lv_assign_lhs(struct rg_cc *cc, struct lv_stack *st, struct rg_term *t, unsigned depth)
{
	uint32_t i;
	bool ok = true;
	const char *gv;
	static const char *const names[] = {"null", "boolean", "number", "string", "array", "object", "set"};
	if (depth > CC_MAX_DEPTH)
		return false;
	switch (t->kind) {
	case RG_VAR:
		if (t->flags & (RG_F_DATA | RG_F_INPUT))
			goto bad;
		gv = lv_declare(cc, st, t->u.var, OCC_ASSIGNED, &t->loc);
		if (!gv)
			return false;
		t->u.var = gv;
		t->flags |= RG_F_GEN;
		return true;
	case RG_ARR:
		for (i = 0; i < t->u.c.n; i++)
			ok = lv_assign_lhs(cc, st, t->u.c.items[i], depth + 1) && ok;
		return ok;
	case RG_OBJ:
		for (i = 1; i < t->u.c.n; i += 2)
			ok = lv_assign_lhs(cc, st, t->u.c.items[i], depth + 1) && ok;
		return ok;
	case RG_REF:
		if (t->u.c.n == 1 && t->u.c.items[0]->kind == RG_VAR &&
		    (t->u.c.items[0]->flags & (RG_F_DATA | RG_F_INPUT))) {
			gv = lv_declare(cc, st, t->u.c.items[0]->u.var, OCC_ASSIGNED, &t->loc);
			if (!gv)
				return false;
			t->kind = RG_VAR;
			t->flags = RG_F_GEN;
			t->u.var = gv;
			return true;
		}
		break;
	default:
		break;
	}
bad:
	tg_rego_cc_err(cc, "rego_compile_error", &t->loc, "cannot assign to %s",
		       t->kind == RG_VAL ? names[t->u.v->type]
		       : t->kind == RG_REF ? "ref"
		       : t->kind == RG_CALL ? "call"
		       : t->kind == RG_SET ? "set"
		       : t->kind == RG_VAR ? "var"
					   : "comprehension");
	return false;
}

static struct rg_expr *lv_assignment(struct rg_cc *cc, struct lv_stack *st, struct rg_expr *e,
				     unsigned depth)
{
	uint32_t i;
	size_t nerr = cc->errs ? cc->errs->n : 0;
	if (e->negated) {
		tg_rego_cc_err(cc, "rego_compile_error", &e->loc,
			       "cannot assign vars inside negated expression");
		return e;
	}
	lv_term(cc, st, e->t->u.c.items[2], depth + 1);
	for (i = 0; i < e->nwith; i++)
		lv_term(cc, st, e->with[i]->value, depth + 1);
	lv_assign_lhs(cc, st, e->t->u.c.items[1], depth + 1);
	if (!cc->errs || cc->errs->n == nerr)
		e->t->u.c.items[0] = tg_rego_t_var(cc, cc->n_eq, &e->t->u.c.items[0]->loc);
	return e;
}

static struct rg_expr *lv_somein(struct rg_cc *cc, struct lv_stack *st, struct rg_expr *e,
				 unsigned depth)
{
	struct rg_term *key = e->key ? e->key : tg_rego_t_var(cc, tg_rego_gen_local(cc), &e->loc);
	struct rg_term *dom = e->domain, *rhs;
	struct rg_vset safe = {0}, out = {0};
	struct rg_expr *x;
	uint32_t i;
	if (dom->kind == RG_REF) {
		rhs = tg_rego_t_coll(cc, RG_REF, dom->u.c.n + 1, &dom->loc);
		memcpy(rhs->u.c.items, dom->u.c.items, dom->u.c.n * sizeof(*rhs->u.c.items));
		rhs->u.c.items[dom->u.c.n] = key;
	} else {
		rhs = tg_rego_t_coll(cc, RG_REF, 2, &dom->loc);
		rhs->u.c.items[0] = dom;
		rhs->u.c.items[1] = key;
	}
	x = tg_rego_e_new(cc, &e->loc);
	*x = *e;
	x->kind = RG_EX_TERM;
	x->key = x->val = x->domain = NULL;
	x->t = tg_rego_t_coll(cc, RG_CALL, 3, &e->loc);
	x->t->u.c.items[0] = tg_rego_t_var(cc, cc->n_eq, &e->loc);
	x->t->u.c.items[1] = e->val;
	x->t->u.c.items[2] = rhs;
	tg_rego_vars_term(cc, dom, 0, &safe);
	tg_rego_output_vars_expr(cc, x, &safe, &out);
	for (i = 0; i < out.n; i++)
		if (!lv_declare(cc, st, out.v[i], OCC_DECLARED, &e->loc))
			return x;
	lv_expr_terms(cc, st, x, depth + 1);
	return x;
}

static struct rg_expr *lv_every(struct rg_cc *cc, struct lv_stack *st, struct rg_expr *e,
				unsigned depth)
{
	struct rg_vset used = {0};
	const char *gv;
	lv_term(cc, st, e->domain, depth + 1);
	lv_push(cc, st);
	if (e->key) {
		if (e->key->kind == RG_VAR && !tg_rego_name_wildcard(e->key->u.var)) {
			gv = lv_declare(cc, st, e->key->u.var, OCC_DECLARED, &e->loc);
			if (!gv) {
				st->n--;
				return e;
			}
			e->key->u.var = gv;
			e->key->flags |= RG_F_GEN;
		}
	} else {
		e->key = tg_rego_t_var(cc, tg_rego_gen_local(cc), &e->loc);
	}
	if (e->val->kind == RG_VAR && !tg_rego_name_wildcard(e->val->u.var)) {
		gv = lv_declare(cc, st, e->val->u.var, OCC_DECLARED, &e->loc);
		if (!gv) {
			st->n--;
			return e;
		}
		e->val->u.var = gv;
		e->val->flags |= RG_F_GEN;
	}
	e->body = lv_body(cc, st, &used, e->body, depth + 1);
	st->n--;
	return e;
}

/* The first expression of b that declares the user var v. */
static const struct rg_expr *declaring_expr(struct rg_cc *cc, const struct rg_body *b, const char *v)
{
	uint32_t i;
	for (i = 0; i < b->n; i++) {
		struct rg_vset d = {0};
		declared_vars_expr(cc, b->e[i], &d, 0);
		if (tg_rego_vs_has(&d, v))
			return b->e[i];
	}
	return b->n ? b->e[0] : NULL;
}

static struct rg_body *lv_body(struct rg_cc *cc, struct lv_stack *st, const struct rg_vset *used,
			       struct rg_body *b, unsigned depth)
{
	struct rg_body *out = tg_rego_b_new(cc, &b->loc);
	size_t nerr = cc->errs ? cc->errs->n : 0;
	uint32_t i;
	if (depth > CC_MAX_DEPTH) {
		tg_rego_cc_err(cc, "rego_compile_error", &b->loc, "body nested too deep");
		return b;
	}
	for (i = 0; i < b->n; i++) {
		struct rg_expr *e = b->e[i], *x = NULL;
		uint32_t j;
		if (tg_rego_e_is_assign(cc, e)) {
			x = lv_assignment(cc, st, e, depth);
		} else if (e->kind == RG_EX_SOME) {
			for (j = 0; j < e->nvars; j++)
				if (e->vars[j]->kind == RG_VAR)
					(void)lv_declare(cc, st, e->vars[j]->u.var, OCC_DECLARED, &e->loc);
		} else if (e->kind == RG_EX_SOMEIN) {
			x = lv_somein(cc, st, e, depth);
		} else if (e->kind == RG_EX_EVERY) {
			x = lv_every(cc, st, e, depth);
		} else {
			lv_expr_terms(cc, st, e, depth);
			x = e;
		}
		if (x)
			tg_rego_b_append(cc, out, x);
	}
	if (out->n == 0) {
		struct rg_expr *t = tg_rego_e_new(cc, &b->loc);
		t->t = tg_rego_t_val(cc, &tg_json_true_v, &b->loc);
		tg_rego_b_append(cc, out, t);
	}
	/* declared (some) vars that are never used */
	if ((!cc->errs || cc->errs->n == nerr) && st->n) {
		struct lv_scope *s = &st->s[st->n - 1];
		struct rg_vset bodyvars = {0};
		tg_rego_vars_body(cc, out, 0, &bodyvars);
		for (i = 0; i < s->n; i++) {
			const struct lv_ent *en = &s->e[i];
			const struct rg_expr *at;
			if (en->occ != OCC_DECLARED || tg_rego_vs_has(&bodyvars, en->gv) ||
			    (used && tg_rego_vs_has(used, en->v)) || tg_rego_name_generated(en->v))
				continue;
			at = declaring_expr(cc, b, en->v);
			tg_rego_cc_err(cc, "rego_compile_error", at ? &at->loc : &b->loc,
				       "declared var %s unused", en->v);
		}
	}
	return out;
}

/* Rewrites vars of function args: each gets a generated name. */
static void lv_args(struct rg_cc *cc, struct lv_stack *st, struct rg_term *t, unsigned depth)
{
	const char *gv;
	uint32_t i;
	if (!t || depth > CC_MAX_DEPTH)
		return;
	switch (t->kind) {
	case RG_VAR:
		if ((gv = lv_declared(st, t->u.var))) {
			lv_seen(st, t->u.var);
		} else {
			gv = tg_rego_gen_local(cc);
			lv_insert(cc, st, t->u.var, gv, OCC_ARG);
		}
		t->u.var = gv;
		t->flags |= RG_F_GEN;
		return;
	case RG_OBJ:
		for (i = 1; i < t->u.c.n; i += 2)
			lv_args(cc, st, t->u.c.items[i], depth + 1);
		return;
	case RG_CALL:
		tg_rego_cc_err(cc, "rego_compile_error", &t->loc, "rule arguments cannot contain calls");
		return;
	case RG_REF:
	case RG_ARR:
		for (i = 0; i < t->u.c.n; i++)
			lv_args(cc, st, t->u.c.items[i], depth + 1);
		return;
	default:
		return;
	}
}

/* Renames vars of a head term that the body declared. */
static void head_rename(struct lv_scope *s, struct rg_term *t, unsigned depth)
{
	uint32_t i;
	if (!t || depth > CC_MAX_DEPTH)
		return;
	switch (t->kind) {
	case RG_VAR:
		for (i = 0; i < s->n; i++)
			if (s->e[i].v == t->u.var) {
				t->u.var = s->e[i].gv;
				if (tg_rego_name_generated(t->u.var))
					t->flags |= RG_F_GEN;
				return;
			}
		return;
	case RG_REF:
	case RG_ARR:
	case RG_OBJ:
	case RG_SET:
	case RG_CALL:
		for (i = 0; i < t->u.c.n; i++)
			head_rename(s, t->u.c.items[i], depth + 1);
		return;
	default:
		return;
	}
}

static bool head_scalar(const struct rg_term *t)
{
	return !t || tg_rego_t_scalar(t);
}

/* Comprehensions inside head terms get their own scope first. */
static void head_comprehensions(struct rg_cc *cc, struct rg_term *t, unsigned depth)
{
	uint32_t i;
	struct lv_stack st = {0};
	if (!t || depth > CC_MAX_DEPTH)
		return;
	switch (t->kind) {
	case RG_ACOMP:
	case RG_SCOMP:
	case RG_OCOMP:
		lv_push(cc, &st);
		lv_compr(cc, &st, t, depth);
		return;
	case RG_REF:
	case RG_ARR:
	case RG_OBJ:
	case RG_SET:
	case RG_CALL:
		for (i = 0; i < t->u.c.n; i++)
			head_comprehensions(cc, t->u.c.items[i], depth + 1);
		return;
	default:
		return;
	}
}

static void rewrite_local_vars_rule(struct rg_cc *cc, struct rg_rule *first)
{
	struct lv_stack args = {0};
	struct rg_rule *r;
	uint32_t i;
	lv_push(cc, &args);
	for (r = first; r; r = r->els)
		for (i = 0; i < r->nargs; i++)
			lv_args(cc, &args, r->args[i], 0);
	for (r = first; r; r = r->els) {
		struct lv_stack st = {0};
		struct rg_vset used = {0};
		bool scalars = head_scalar(r->key) && head_scalar(r->value);
		for (i = 0; i < r->nargs; i++)
			if (!head_scalar(r->args[i]))
				scalars = false;
		for (i = 1; i < r->ref->u.c.n; i++)
			if (!tg_rego_t_scalar(r->ref->u.c.items[i]))
				scalars = false;
		if (!scalars) {
			head_comprehensions(cc, r->key, 0);
			head_comprehensions(cc, r->value, 0);
			if (!r->is_else)
				for (i = 1; i < r->ref->u.c.n; i++)
					if (!tg_rego_t_scalar(r->ref->u.c.items[i]))
						tg_rego_vars_term(cc, r->ref->u.c.items[i], 0, &used);
			tg_rego_vars_term(cc, r->key, 0, &used);
			tg_rego_vars_term(cc, r->value, 0, &used);
		}
		/* the arg scope, flattened into one */
		lv_push(cc, &st);
		for (i = 0; i < args.s[0].n; i++)
			lv_insert(cc, &st, args.s[0].e[i].v, args.s[0].e[i].gv, args.s[0].e[i].occ);
		r->body = lv_body(cc, &st, &used, r->body, 0);
		if (scalars)
			continue;
		if (!r->is_else)
			for (i = 1; i < r->ref->u.c.n; i++)
				head_rename(&st.s[0], r->ref->u.c.items[i], 0);
		head_rename(&st.s[0], r->key, 0);
		head_rename(&st.s[0], r->value, 0);
	}
}

/* ---- print calls ---- */

static bool is_print(struct rg_cc *cc, const struct rg_expr *e)
{
	return tg_rego_e_is_call(e) && tg_rego_t_is_var(e->t->u.c.items[0], cc->n_print);
}

static void print_body(struct rg_cc *cc, struct rg_body *b, const struct rg_vset *globals,
		       unsigned depth);

static void print_closures_term(struct rg_cc *cc, struct rg_term *t, const struct rg_vset *safe,
				unsigned depth)
{
	uint32_t i;
	if (!t || depth > CC_MAX_DEPTH)
		return;
	switch (t->kind) {
	case RG_ACOMP:
	case RG_SCOMP:
	case RG_OCOMP:
		print_body(cc, t->u.k.body, safe, depth + 1);
		return;
	case RG_REF:
	case RG_ARR:
	case RG_OBJ:
	case RG_SET:
	case RG_CALL:
		for (i = 0; i < t->u.c.n; i++)
			print_closures_term(cc, t->u.c.items[i], safe, depth + 1);
		return;
	default:
		return;
	}
}

static void print_body(struct rg_cc *cc, struct rg_body *b, const struct rg_vset *globals,
		       unsigned depth)
{
	uint32_t i, j, k;
	struct rg_vset safe = {0}, out = {0};
	if (depth > CC_MAX_DEPTH)
		return;
	tg_rego_vs_copy(cc, &safe, globals);
	for (i = 0; i < b->n; i++) {
		struct rg_expr *e = b->e[i];
		/* closures close over what is safe before them */
		print_closures_term(cc, e->t, &safe, depth + 1);
		if (e->kind == RG_EX_EVERY) {
			struct rg_vset s2 = {0};
			tg_rego_vs_copy(cc, &s2, &safe);
			tg_rego_vars_term(cc, e->key, 0, &s2);
			tg_rego_vars_term(cc, e->val, 0, &s2);
			print_body(cc, e->body, &s2, depth + 1);
		}
		if (is_print(cc, e)) {
			struct rg_term *arr = tg_rego_t_coll(cc, RG_ARR, e->t->u.c.n - 1, &e->loc);
			struct rg_term *call;
			bool bad = false;
			for (j = 1; j < e->t->u.c.n; j++) {
				struct rg_term *a = e->t->u.c.items[j], *v, *sc;
				struct rg_vset av = {0};
				tg_rego_vars_term(cc, a, RG_VV_SKIP_REF_CALL_HEAD | RG_VV_SKIP_CLOSURES, &av);
				for (k = 0; k < av.n; k++)
					if (!tg_rego_vs_has(&safe, av.v[k]) && !tg_rego_name_generated(av.v[k])) {
						tg_rego_cc_err(cc, "rego_compile_error", &a->loc,
							       "var %s is undeclared",
							       tg_rego_user_name(cc, av.v[k]));
						bad = true;
					}
				v = tg_rego_t_var(cc, tg_rego_gen_local(cc), &a->loc);
				sc = tg_rego_t_new(cc, RG_SCOMP, &a->loc);
				sc->u.k.val = v;
				sc->u.k.body = tg_rego_b_new(cc, &a->loc);
				tg_rego_b_append(cc, sc->u.k.body,
						 tg_rego_e_eq(cc, tg_rego_t_copy(cc, v), a, false, &a->loc));
				arr->u.c.items[j - 1] = sc;
			}
			if (bad)
				return;
			call = tg_rego_t_call(cc, "internal.print", 1, &e->loc);
			call->u.c.items[1] = arr;
			e->t = call;
		}
		out.n = 0;
		tg_rego_output_vars_expr(cc, e, &safe, &out);
		tg_rego_vs_union(cc, &safe, &out);
		/* generated vars seen so far count as safe (OPA #7647) */
		{
			struct rg_vset all = {0};
			tg_rego_vars_expr(cc, e, 0, &all);
			for (k = 0; k < all.n; k++)
				if (tg_rego_name_generated(all.v[k]))
					tg_rego_vs_add(cc, &safe, all.v[k]);
		}
	}
}

/* ---- nested calls become expressions (OPA rewriteExprTerms) ---- */

struct exprs {
	struct rg_expr **v;
	uint32_t n, cap;
};

static void exprs_add(struct rg_cc *cc, struct exprs *x, struct rg_expr *e)
{
	struct rg_expr **nv = tg_rego_tmp_grow(cc, x->v, x->n, &x->cap, sizeof(*x->v), 8);
	if (!nv)
		return;
	x->v = nv;
	x->v[x->n++] = e;
}

static struct rg_body *expr_terms_body(struct rg_cc *cc, struct rg_body *b, unsigned depth);

static struct rg_term *expand_term(struct rg_cc *cc, struct rg_term *t, struct exprs *sup,
				   unsigned depth);

static void expand_compr(struct rg_cc *cc, struct rg_term *t, unsigned depth)
{
	struct exprs s = {0};
	uint32_t i;
	if (t->kind == RG_OCOMP) {
		t->u.k.key = expand_term(cc, t->u.k.key, &s, depth + 1);
		for (i = 0; i < s.n; i++)
			tg_rego_b_append(cc, t->u.k.body, s.v[i]);
		s.n = 0;
	}
	t->u.k.val = expand_term(cc, t->u.k.val, &s, depth + 1);
	for (i = 0; i < s.n; i++)
		tg_rego_b_append(cc, t->u.k.body, s.v[i]);
	t->u.k.body = expr_terms_body(cc, t->u.k.body, depth + 1);
}

static struct rg_term *expand_term(struct rg_cc *cc, struct rg_term *t, struct exprs *sup,
				   unsigned depth)
{
	uint32_t i;
	if (!t || depth > CC_MAX_DEPTH)
		return t;
	switch (t->kind) {
	case RG_CALL: {
		struct rg_term *out = tg_rego_t_var(cc, tg_rego_gen_local(cc), &t->loc);
		struct rg_term *call = tg_rego_t_coll(cc, RG_CALL, t->u.c.n + 1, &t->loc);
		struct rg_expr *e = tg_rego_e_new(cc, &t->loc);
		for (i = 1; i < t->u.c.n; i++)
			t->u.c.items[i] = expand_term(cc, t->u.c.items[i], sup, depth + 1);
		memcpy(call->u.c.items, t->u.c.items, t->u.c.n * sizeof(*call->u.c.items));
		call->u.c.items[t->u.c.n] = out;
		e->t = call;
		e->generated = true;
		exprs_add(cc, sup, e);
		return tg_rego_t_copy(cc, out);
	}
	case RG_REF: {
		struct rg_term *h;
		for (i = 0; i < t->u.c.n; i++)
			t->u.c.items[i] = expand_term(cc, t->u.c.items[i], sup, depth + 1);
		h = t->u.c.items[0];
		if (h->kind == RG_ARR || h->kind == RG_OBJ || h->kind == RG_SET || h->kind == RG_CALL ||
		    tg_rego_t_is_compr(h) || h->kind == RG_VAL) {
			struct rg_term *v = tg_rego_t_var(cc, tg_rego_gen_local(cc), &h->loc);
			exprs_add(cc, sup, tg_rego_e_eq(cc, v, h, true, &h->loc));
			t->u.c.items[0] = tg_rego_t_copy(cc, v);
		}
		return t;
	}
	case RG_ARR:
	case RG_OBJ:
	case RG_SET:
		for (i = 0; i < t->u.c.n; i++)
			t->u.c.items[i] = expand_term(cc, t->u.c.items[i], sup, depth + 1);
		return t;
	case RG_ACOMP:
	case RG_SCOMP:
	case RG_OCOMP:
		expand_compr(cc, t, depth);
		return t;
	default:
		return t;
	}
}

static void with_copy_to(struct rg_cc *cc, struct rg_expr *from, struct rg_expr *to)
{
	(void)cc;
	to->with = from->with;
	to->nwith = from->nwith;
}

static void expand_expr(struct rg_cc *cc, struct rg_expr *e, struct exprs *out, unsigned depth)
{
	struct exprs s = {0};
	uint32_t i;
	for (i = 0; i < e->nwith; i++) {
		s.n = 0;
		e->with[i]->value = expand_term(cc, e->with[i]->value, &s, depth + 1);
		for (uint32_t j = 0; j < s.n; j++)
			exprs_add(cc, out, s.v[j]);
	}
	s.n = 0;
	if (e->kind == RG_EX_EVERY) {
		struct rg_term *v = tg_rego_t_var(cc, tg_rego_gen_local(cc), &e->domain->loc);
		struct rg_expr *eq = tg_rego_e_eq(cc, v, e->domain, true, &e->domain->loc);
		with_copy_to(cc, e, eq);
		expand_expr(cc, eq, out, depth + 1);
		e->domain = tg_rego_t_copy(cc, v);
		e->body = expr_terms_body(cc, e->body, depth + 1);
		exprs_add(cc, out, e);
		return;
	}
	if (tg_rego_e_is_call(e)) {
		for (i = 1; i < e->t->u.c.n; i++)
			e->t->u.c.items[i] = expand_term(cc, e->t->u.c.items[i], &s, depth + 1);
	} else {
		e->t = expand_term(cc, e->t, &s, depth + 1);
	}
	for (i = 0; i < s.n; i++) {
		if (e->nwith)
			with_copy_to(cc, e, s.v[i]);
		exprs_add(cc, out, s.v[i]);
	}
	exprs_add(cc, out, e);
}

static struct rg_body *expr_terms_body(struct rg_cc *cc, struct rg_body *b, unsigned depth)
{
	struct exprs out = {0};
	struct rg_body *nb;
	uint32_t i;
	if (!b || depth > CC_MAX_DEPTH)
		return b;
	for (i = 0; i < b->n; i++)
		expand_expr(cc, b->e[i], &out, depth + 1);
	nb = tg_rego_b_new(cc, &b->loc);
	for (i = 0; i < out.n; i++)
		tg_rego_b_append(cc, nb, out.v[i]);
	return nb;
}

static void expr_terms_rule(struct rg_cc *cc, struct rg_rule *r)
{
	struct exprs s = {0};
	uint32_t i;
	for (i = 0; i < r->nargs; i++)
		r->args[i] = expand_term(cc, r->args[i], &s, 0);
	r->key = expand_term(cc, r->key, &s, 0);
	r->value = expand_term(cc, r->value, &s, 0);
	for (i = 0; i < s.n; i++)
		tg_rego_b_append(cc, r->body, s.v[i]);
	r->body = expr_terms_body(cc, r->body, 0);
}

/* ---- rego.metadata.chain() / rule() ---- */

static const struct tg_json *jstr(struct rg_cc *cc, const char *str, size_t n)
{
	const struct tg_json *v = NULL;
	if (tg_json_new_string(cc->a, str, n, &v) != TG_OK) {
		cc->oom = true;
		return &tg_json_null_v;
	}
	return v;
}

/* An author as OPA shows it: "Name <email>" becomes {"name","email"}. */
static const struct tg_json *annot_author(struct rg_cc *cc, const struct tg_json *a)
{
	struct tg_json_member m[2];
	const struct tg_json *v = NULL;
	const char *s, *lt, *gt;
	size_t n, k = 0, nl;
	if (a->type != TG_JSON_STRING)
		return a;
	s = a->u.s.p;
	n = a->u.s.len;
	lt = memchr(s, '<', n);
	gt = lt ? memchr(lt, '>', n - (size_t)(lt - s)) : NULL;
	nl = lt && gt ? (size_t)(lt - s) : n;
	while (nl > 0 && s[nl - 1] == ' ')
		nl--;
	if (nl > 0) {
		m[k].key = jstr(cc, "name", 4);
		m[k++].val = jstr(cc, s, nl);
	}
	if (lt && gt) {
		m[k].key = jstr(cc, "email", 5);
		m[k++].val = jstr(cc, lt + 1, (size_t)(gt - lt - 1));
	}
	if (tg_json_new_object(cc->a, m, k, TG_JSON_DUP_LAST, &v) != TG_OK) {
		cc->oom = true;
		return a;
	}
	return v;
}

/* The annotations object of a METADATA block as OPA returns it: with a
 * scope, authors and related resources in their object form. */
static const struct tg_json *annot_norm(struct rg_cc *cc, const struct tg_json *raw,
					const char *scope)
{
	struct tg_json_member *m;
	const struct tg_json *v = NULL;
	size_t i, j, n = 0;
	bool has_scope = false;
	if (!raw || raw->type != TG_JSON_OBJECT)
		return NULL;
	m = tg_rego_alloc(cc, (raw->u.o.len + 1) * sizeof(*m));
	for (i = 0; i < raw->u.o.len; i++) {
		const struct tg_json *k = raw->u.o.items[i].key, *val = raw->u.o.items[i].val;
		if (tg_json_str_eq(k, "scope"))
			has_scope = true;
		if ((tg_json_str_eq(k, "authors") || tg_json_str_eq(k, "related_resources")) &&
		    val->type == TG_JSON_ARRAY) {
			const struct tg_json **items = tg_rego_alloc(cc, (val->u.a.len + 1) * sizeof(*items));
			bool rel = tg_json_str_eq(k, "related_resources");
			for (j = 0; j < val->u.a.len; j++) {
				const struct tg_json *x = val->u.a.items[j];
				if (rel && x->type == TG_JSON_STRING) {
					struct tg_json_member rm = {jstr(cc, "ref", 3), x};
					if (tg_json_new_object(cc->a, &rm, 1, TG_JSON_DUP_LAST, &x) != TG_OK)
						cc->oom = true;
				} else if (!rel)
					x = annot_author(cc, x);
				items[j] = x;
			}
			if (tg_json_new_array(cc->a, items, val->u.a.len, &val) != TG_OK)
				cc->oom = true;
		}
		m[n].key = k;
		m[n++].val = val;
	}
	if (!has_scope) {
		m[n].key = jstr(cc, "scope", 5);
		m[n++].val = jstr(cc, scope, strlen(scope));
	}
	if (tg_json_new_object(cc->a, m, n, TG_JSON_DUP_LAST, &v) != TG_OK) {
		cc->oom = true;
		return NULL;
	}
	return v;
}

static bool annot_scope_is(const struct tg_json *a, const char *scope)
{
	const struct tg_json *s = tg_json_get(a, "scope");
	return s && tg_json_str_eq(s, scope);
}

static const struct tg_json *metadata_rule_value(struct rg_cc *cc, const struct rg_rule *r)
{
	const struct tg_json *a = annot_norm(cc, r->annotations, "rule");
	if (!a || !annot_scope_is(a, "rule"))
		return &tg_json_empty_object_v;
	return a;
}

static bool is_metadata_call(const struct rg_expr *e, const char *which)
{
	const struct rg_term *op;
	char name[64];
	if (!tg_rego_e_is_call(e))
		return false;
	op = e->t->u.c.items[0];
	if (op->kind != RG_REF || op->u.c.n != 3 || op->u.c.items[0]->kind != RG_VAR ||
	    strcmp(op->u.c.items[0]->u.var, "rego") != 0)
		return false;
	(void)snprintf(name, sizeof(name), "%s", which);
	return tg_json_str_eq(op->u.c.items[1]->u.v, "metadata") &&
	       op->u.c.items[2]->kind == RG_VAL && tg_json_str_eq(op->u.c.items[2]->u.v, name);
}

static const struct tg_json *metadata_chain_value(struct rg_cc *cc, const struct rg_rule *r);

static void metadata_body(struct rg_cc *cc, struct rg_rule *r, struct rg_body *b, unsigned depth)
{
	uint32_t i;
	if (!b || depth > CC_MAX_DEPTH)
		return;
	for (i = 0; i < b->n; i++) {
		struct rg_expr *e = b->e[i];
		const struct tg_json *v = NULL;
		if (is_metadata_call(e, "rule"))
			v = metadata_rule_value(cc, r);
		else if (is_metadata_call(e, "chain"))
			v = metadata_chain_value(cc, r);
		if (v) {
			struct rg_term *val = tg_rego_t_val(cc, v, &e->loc);
			if (e->t->u.c.n > 1) {
				e->t = tg_rego_e_eq(cc, e->t->u.c.items[1], val, true, &e->loc)->t;
			} else {
				e->t = val;
			}
			e->generated = true;
		}
		if (e->body)
			metadata_body(cc, r, e->body, depth + 1);
		if (e->t && tg_rego_t_is_compr(e->t))
			metadata_body(cc, r, e->t->u.k.body, depth + 1);
		if (e->t && e->t->kind == RG_CALL) {
			uint32_t j;
			for (j = 1; j < e->t->u.c.n; j++)
				if (tg_rego_t_is_compr(e->t->u.c.items[j]))
					metadata_body(cc, r, e->t->u.c.items[j]->u.k.body, depth + 1);
		}
	}
}

static const struct tg_json *chain_link(struct rg_cc *cc, const struct rg_term *ref, uint32_t from,
					const struct tg_json *annot)
{
	const struct tg_json **items = tg_rego_alloc(cc, (ref->u.c.n + 1) * sizeof(*items));
	const struct tg_json *path = NULL, *v = NULL;
	struct tg_json_member m[2];
	uint32_t i, k = 0;
	for (i = from; i < ref->u.c.n; i++)
		if (ref->u.c.items[i]->kind == RG_VAL)
			items[k++] = ref->u.c.items[i]->u.v;
	if (tg_json_new_array(cc->a, items, k, &path) != TG_OK) {
		cc->oom = true;
		return &tg_json_null_v;
	}
	m[0].key = jstr(cc, "path", 4);
	m[0].val = path;
	k = 1;
	if (annot) {
		m[1].key = jstr(cc, "annotations", 11);
		m[1].val = annot;
		k = 2;
	}
	if (tg_json_new_object(cc->a, m, k, TG_JSON_DUP_LAST, &v) != TG_OK) {
		cc->oom = true;
		return &tg_json_null_v;
	}
	return v;
}

/* The annotations chain of a rule, nearest first: the rule's own, the
 * document's (any rule of the same path), the package's. */
static const struct tg_json *metadata_chain_value(struct rg_cc *cc, const struct rg_rule *r)
{
	const struct tg_json *items[3], *a, *v = NULL;
	size_t n = 0;
	uint32_t mi, ri;
	a = annot_norm(cc, r->annotations, "rule");
	items[n++] = chain_link(cc, r->ref, 1, a && annot_scope_is(a, "rule") ? a : NULL);
	for (mi = 0; mi < cc->nmods && n < 2; mi++)
		for (ri = 0; ri < cc->mods[mi]->nrules; ri++) {
			const struct rg_rule *o = cc->mods[mi]->rules[ri];
			const struct tg_json *d;
			if (!o->annotations || !tg_rego_t_eq(o->ref, r->ref))
				continue;
			d = annot_norm(cc, o->annotations, "rule");
			if (d && annot_scope_is(d, "document")) {
				items[n++] = chain_link(cc, r->ref, 1, d);
				break;
			}
		}
	a = annot_norm(cc, r->mod->package_annotations, "package");
	if (a)
		items[n++] = chain_link(cc, r->mod->package, 1, a);
	if (tg_json_new_array(cc->a, items, n, &v) != TG_OK) {
		cc->oom = true;
		return &tg_json_empty_array_v;
	}
	return v;
}

/* ---- comprehension terms, head terms ---- */

static void compr_terms_body(struct rg_cc *cc, struct rg_body *b, unsigned depth);

static void compr_terms_term(struct rg_cc *cc, struct rg_term *t, unsigned depth)
{
	uint32_t i;
	if (!t || depth > CC_MAX_DEPTH)
		return;
	switch (t->kind) {
	case RG_ACOMP:
	case RG_SCOMP:
	case RG_OCOMP:
		compr_terms_term(cc, t->u.k.key, depth + 1);
		compr_terms_term(cc, t->u.k.val, depth + 1);
		compr_terms_body(cc, t->u.k.body, depth + 1);
		if (t->kind == RG_OCOMP && tg_rego_t_requires_eval(t->u.k.key)) {
			struct rg_term *v = tg_rego_t_var(cc, tg_rego_gen_local(cc), &t->u.k.key->loc);
			tg_rego_b_append(cc, t->u.k.body, tg_rego_e_eq(cc, v, t->u.k.key, true, &t->u.k.key->loc));
			t->u.k.key = tg_rego_t_copy(cc, v);
		}
		if (tg_rego_t_requires_eval(t->u.k.val)) {
			struct rg_term *v = tg_rego_t_var(cc, tg_rego_gen_local(cc), &t->u.k.val->loc);
			tg_rego_b_append(cc, t->u.k.body, tg_rego_e_eq(cc, v, t->u.k.val, true, &t->u.k.val->loc));
			t->u.k.val = tg_rego_t_copy(cc, v);
		}
		return;
	case RG_REF:
	case RG_ARR:
	case RG_OBJ:
	case RG_SET:
	case RG_CALL:
		for (i = 0; i < t->u.c.n; i++)
			compr_terms_term(cc, t->u.c.items[i], depth + 1);
		return;
	default:
		return;
	}
}

static void compr_terms_body(struct rg_cc *cc, struct rg_body *b, unsigned depth)
{
	uint32_t i, j;
	if (!b || depth > CC_MAX_DEPTH)
		return;
	for (i = 0; i < b->n; i++) {
		struct rg_expr *e = b->e[i];
		compr_terms_term(cc, e->t, depth + 1);
		compr_terms_term(cc, e->domain, depth + 1);
		compr_terms_body(cc, e->body, depth + 1);
		for (j = 0; j < e->nwith; j++)
			compr_terms_term(cc, e->with[j]->value, depth + 1);
	}
}

static struct rg_term *head_to_body(struct rg_cc *cc, struct rg_rule *r, struct rg_term *t)
{
	struct rg_term *v;
	if (!t || !tg_rego_t_requires_eval(t))
		return t;
	v = tg_rego_t_var(cc, tg_rego_gen_local(cc), &t->loc);
	tg_rego_b_append(cc, r->body, tg_rego_e_eq(cc, v, t, true, &t->loc));
	return tg_rego_t_copy(cc, v);
}

static void refs_in_head(struct rg_cc *cc, struct rg_rule *r)
{
	uint32_t i;
	compr_terms_term(cc, r->key, 0);
	compr_terms_term(cc, r->value, 0);
	r->key = head_to_body(cc, r, r->key);
	r->value = head_to_body(cc, r, r->value);
	for (i = 0; i < r->nargs; i++)
		r->args[i] = head_to_body(cc, r, r->args[i]);
}

/* ---- == becomes = in modules (OPA rewriteEquals) ---- */

static void equals_body(struct rg_cc *cc, struct rg_body *b, unsigned depth);

static void equals_term(struct rg_cc *cc, struct rg_term *t, unsigned depth)
{
	uint32_t i;
	if (!t || depth > CC_MAX_DEPTH)
		return;
	if (tg_rego_t_is_compr(t)) {
		equals_body(cc, t->u.k.body, depth + 1);
		return;
	}
	if (t->kind == RG_REF || t->kind == RG_ARR || t->kind == RG_OBJ || t->kind == RG_SET ||
	    t->kind == RG_CALL)
		for (i = 0; i < t->u.c.n; i++)
			equals_term(cc, t->u.c.items[i], depth + 1);
}

static void equals_body(struct rg_cc *cc, struct rg_body *b, unsigned depth)
{
	uint32_t i;
	if (!b || depth > CC_MAX_DEPTH)
		return;
	for (i = 0; i < b->n; i++) {
		struct rg_expr *e = b->e[i];
		if (tg_rego_e_is_call(e) && e->t->u.c.n == 3 &&
		    tg_rego_t_is_var(e->t->u.c.items[0], cc->n_equal))
			e->t->u.c.items[0] = tg_rego_t_var(cc, cc->n_eq, &e->t->u.c.items[0]->loc);
		equals_term(cc, e->t, depth + 1);
		equals_body(cc, e->body, depth + 1);
	}
}

/* ---- dynamic terms are bound to vars first (OPA rewriteDynamics) ---- */

static struct rg_body *dyn_body(struct rg_cc *cc, struct rg_body *b, unsigned depth);

static struct rg_expr *dyn_gen(struct rg_cc *cc, struct rg_expr *orig, struct rg_term *t,
			       struct exprs *out)
{
	struct rg_term *v = tg_rego_t_var(cc, tg_rego_gen_local(cc), &t->loc);
	struct rg_expr *e = tg_rego_e_eq(cc, v, t, true, &t->loc);
	e->with = orig->with;
	e->nwith = orig->nwith;
	exprs_add(cc, out, e);
	return e;
}

static struct rg_term *dyn_one(struct rg_cc *cc, struct rg_expr *orig, struct rg_term *t,
			       struct exprs *out, unsigned depth)
{
	uint32_t i;
	if (!t || depth > CC_MAX_DEPTH)
		return t;
	switch (t->kind) {
	case RG_REF:
		for (i = 1; i < t->u.c.n; i++)
			t->u.c.items[i] = dyn_one(cc, orig, t->u.c.items[i], out, depth + 1);
		return tg_rego_t_copy(cc, dyn_gen(cc, orig, t, out)->t->u.c.items[1]);
	case RG_ARR:
	case RG_OBJ:
	case RG_SET:
		for (i = 0; i < t->u.c.n; i++)
			t->u.c.items[i] = dyn_one(cc, orig, t->u.c.items[i], out, depth + 1);
		return t;
	case RG_ACOMP:
	case RG_SCOMP:
	case RG_OCOMP:
		t->u.k.body = dyn_body(cc, t->u.k.body, depth + 1);
		return tg_rego_t_copy(cc, dyn_gen(cc, orig, t, out)->t->u.c.items[1]);
	default:
		return t;
	}
}

static struct rg_term *dyn_in_term(struct rg_cc *cc, struct rg_expr *orig, struct rg_term *t,
				   struct exprs *out, unsigned depth)
{
	uint32_t i;
	if (!t)
		return t;
	switch (t->kind) {
	case RG_REF:
		for (i = 1; i < t->u.c.n; i++)
			t->u.c.items[i] = dyn_one(cc, orig, t->u.c.items[i], out, depth + 1);
		return t;
	case RG_ACOMP:
	case RG_SCOMP:
	case RG_OCOMP:
		t->u.k.body = dyn_body(cc, t->u.k.body, depth + 1);
		return t;
	default:
		return dyn_one(cc, orig, t, out, depth + 1);
	}
}

static struct rg_body *dyn_body(struct rg_cc *cc, struct rg_body *b, unsigned depth)
{
	struct exprs out = {0};
	struct rg_body *nb;
	uint32_t i, j;
	if (!b || depth > CC_MAX_DEPTH)
		return b;
	for (i = 0; i < b->n; i++) {
		struct rg_expr *e = b->e[i];
		if (tg_rego_e_is_eq(cc, e)) {
			e->t->u.c.items[1] = dyn_in_term(cc, e, e->t->u.c.items[1], &out, depth);
			e->t->u.c.items[2] = dyn_in_term(cc, e, e->t->u.c.items[2], &out, depth);
		} else if (tg_rego_e_is_call(e)) {
			for (j = 1; j < e->t->u.c.n; j++)
				e->t->u.c.items[j] = dyn_one(cc, e, e->t->u.c.items[j], &out, depth);
		} else if (e->kind == RG_EX_EVERY) {
			e->domain = dyn_one(cc, e, e->domain, &out, depth);
			e->body = dyn_body(cc, e->body, depth + 1);
		} else {
			e->t = dyn_in_term(cc, e, e->t, &out, depth);
		}
		exprs_add(cc, &out, e);
	}
	nb = tg_rego_b_new(cc, &b->loc);
	for (i = 0; i < out.n; i++)
		tg_rego_b_append(cc, nb, out.v[i]);
	return nb;
}

/* ---- void calls: print() used as a value ---- */

static void void_term(struct rg_cc *cc, const struct rg_term *t, bool top, unsigned depth);

static void void_body(struct rg_cc *cc, const struct rg_body *b, unsigned depth)
{
	uint32_t i, j;
	for (i = 0; b && i < b->n; i++) {
		const struct rg_expr *e = b->e[i];
		if (tg_rego_e_is_call(e)) {
			for (j = 1; j < e->t->u.c.n; j++)
				void_term(cc, e->t->u.c.items[j], false, depth + 1);
		} else
			void_term(cc, e->t, false, depth + 1);
		void_term(cc, e->domain, false, depth + 1);
		void_body(cc, e->body, depth + 1);
	}
}

static void void_term(struct rg_cc *cc, const struct rg_term *t, bool top, unsigned depth)
{
	uint32_t i;
	if (!t || depth > CC_MAX_DEPTH)
		return;
	if (t->kind == RG_CALL && !top && tg_rego_t_is_var(t->u.c.items[0], cc->n_print)) {
		struct tg_buf b = TG_BUF_INIT(512);
		tg_rego_term_print_cc(cc, &b, t);
		tg_rego_cc_err(cc, "rego_type_error", &t->loc, "%s used as value", tg_buf_str(&b));
		tg_buf_release(&b);
		return;
	}
	if (tg_rego_t_is_compr(t)) {
		void_term(cc, t->u.k.key, false, depth + 1);
		void_term(cc, t->u.k.val, false, depth + 1);
		void_body(cc, t->u.k.body, depth + 1);
		return;
	}
	if (t->kind == RG_REF || t->kind == RG_ARR || t->kind == RG_OBJ || t->kind == RG_SET ||
	    t->kind == RG_CALL)
		for (i = 0; i < t->u.c.n; i++)
			void_term(cc, t->u.c.items[i], false, depth + 1);
}

/* ---- driver ---- */

static void cc_init(struct rg_cc *cc, struct tg_rego_policy *p, struct tg_arena *a,
		    struct rg_strtab *names, struct tg_rego_errors *errs)
{
	memset(cc, 0, sizeof(*cc));
	cc->a = a;
	cc->p = p;
	cc->names = names;
	cc->errs = errs;
	tg_arena_init(&cc->tmp, TG_LIMIT_ARENA_DEFAULT * 4);
#define I(f, s) cc->f = tg_rego_intern(cc, s, sizeof(s) - 1)
	I(n_data, "data");
	I(n_input, "input");
	I(n_eq, "eq");
	I(n_assign, "assign");
	I(n_equal, "equal");
	I(n_wild, "_");
	I(n_print, "print");
	I(n_iprint, "internal.print");
	I(n_member2, "internal.member_2");
	I(n_member3, "internal.member_3");
	I(n_future, "future");
	I(n_rego, "rego");
#undef I
}

static void cc_release(struct rg_cc *cc)
{
	tg_arena_release(&cc->tmp);
	free(cc->rw);
	cc->rw = NULL;
}

static bool cc_failed(const struct rg_cc *cc)
{
	return cc->oom || (cc->errs && cc->errs->n > 0);
}

/* Args vars of a rule: safe in its body. */
static void rule_globals(struct rg_cc *cc, const struct rg_rule *r, struct rg_vset *g)
{
	uint32_t i;
	g->n = 0;
	for (i = 0; i < r->nargs; i++)
		tg_rego_vars_term(cc, r->args[i], 0, g);
}

tg_err tg_rego_compile_modules(struct tg_rego_policy *p, const struct tg_rego_module *const *mods,
			       size_t n, struct tg_rego_errors *errs)
{
	struct rg_cc cc;
	struct rg_rule *r;
	uint32_t mi, ri;
	size_t i;
	tg_err rc = TG_E_INTERNAL;

	cc_init(&cc, p, &p->arena, &p->names, errs);
	p->root = tg_rego_alloc(&cc, sizeof(*p->root));
	cc.mods = tg_rego_alloc(&cc, (n ? n : 1) * sizeof(*cc.mods));
	for (i = 0; i < n; i++)
		cc.mods[cc.nmods++] = tg_rego_ir_module(&cc, mods[i]);
	if (cc_failed(&cc))
		goto out;

	/* ResolveRefs */
	for (mi = 0; mi < cc.nmods; mi++)
		resolve_module(&cc, cc.mods[mi]);
	/* RewriteRuleHeadRefs */
	for (mi = 0; mi < cc.nmods; mi++)
		for (ri = 0; ri < cc.mods[mi]->nrules; ri++)
			rewrite_head_refs(&cc, cc.mods[mi]->rules[ri]);
	/* CheckKeywordOverrides, CheckDuplicateImports (v1) */
	for (mi = 0; mi < cc.nmods; mi++)
		if (cc.mods[mi]->v1)
			check_v1_module(&cc, cc.mods[mi]);
	if (cc_failed(&cc))
		goto out;
	/* SetRuleTree */
	build_tree(&cc);
	/* RewriteLocalVars */
	for (mi = 0; mi < cc.nmods; mi++)
		for (ri = 0; ri < cc.mods[mi]->nrules; ri++)
			rewrite_local_vars_rule(&cc, cc.mods[mi]->rules[ri]);
	if (cc_failed(&cc))
		goto out;
	/* CheckVoidCalls */
	RG_FOR_EACH_RULE(&cc, r, mi, ri)
	{
		void_body(&cc, r->body, 0);
		void_term(&cc, r->value, false, 0);
		void_term(&cc, r->key, false, 0);
	}
	if (cc_failed(&cc))
		goto out;
	/* RewritePrintCalls */
	RG_FOR_EACH_RULE(&cc, r, mi, ri)
	{
		struct rg_vset g = {0};
		rule_globals(&cc, r, &g);
		print_body(&cc, r->body, &g, 0);
	}
	if (cc_failed(&cc))
		goto out;
	/* RewriteExprTerms */
	RG_FOR_EACH_RULE(&cc, r, mi, ri)
	expr_terms_rule(&cc, r);
	/* RewriteRegoMetadataCalls */
	RG_FOR_EACH_RULE(&cc, r, mi, ri)
	metadata_body(&cc, r, r->body, 0);
	/* RewriteComprehensionTerms, RewriteRefsInHead */
	RG_FOR_EACH_RULE(&cc, r, mi, ri)
	{
		compr_terms_body(&cc, r->body, 0);
		refs_in_head(&cc, r);
	}
	/* RewriteWithValues */
	RG_FOR_EACH_RULE(&cc, r, mi, ri)
	r->body = tg_rego_rewrite_with(&cc, r->body);
	if (cc_failed(&cc))
		goto out;
	/* CheckRuleConflicts */
	tg_rego_check_conflicts(&cc);
	if (cc_failed(&cc))
		goto out;
	/* CheckUndefinedFuncs */
	RG_FOR_EACH_RULE(&cc, r, mi, ri)
	tg_rego_check_funcs(&cc, r->body);
	if (cc_failed(&cc))
		goto out;
	/* CheckSafetyRuleHeads, CheckSafetyRuleBodies */
	RG_FOR_EACH_RULE(&cc, r, mi, ri)
	tg_rego_safety_head(&cc, r);
	if (cc_failed(&cc))
		goto out;
	RG_FOR_EACH_RULE(&cc, r, mi, ri)
	{
		struct rg_vset g = {0};
		rule_globals(&cc, r, &g);
		r->body = tg_rego_safety_body(&cc, r->body, &g);
	}
	if (cc_failed(&cc))
		goto out;
	/* RewriteEquals, RewriteDynamicTerms */
	RG_FOR_EACH_RULE(&cc, r, mi, ri)
	{
		equals_body(&cc, r->body, 0);
		r->body = dyn_body(&cc, r->body, 0);
	}
	/* CheckRecursion */
	tg_rego_tree_finish(&cc);
	tg_rego_check_recursion(&cc);
	if (cc_failed(&cc))
		goto out;
	/* CheckTypes, CheckDeprecatedBuiltins */
	RG_FOR_EACH_RULE(&cc, r, mi, ri)
	{
		tg_rego_check_types_body(&cc, r->body);
		if (r->mod->v1)
			tg_rego_check_deprecated(&cc, r->body);
	}
	if (cc_failed(&cc))
		goto out;
	RG_FOR_EACH_RULE(&cc, r, mi, ri)
	r->nslots = tg_rego_finalize_rule(&cc, r);
	if (cc_failed(&cc))
		goto out;
	p->mods = cc.mods;
	p->nmods = cc.nmods;
	p->nextgen = cc.gen;
	rc = TG_OK;
out:
	if (rc != TG_OK)
		rc = cc.oom ? TG_E_TOOBIG : TG_E_STATE;
	if (cc.oom && errs && errs->n == 0)
		tg_rego_errors_add(errs, "rego_compile_error", NULL, "policy too large");
	cc_release(&cc);
	return rc;
}

/* ---- queries ---- */

/* OPA's rewriteQueryToCaptureValue: term expressions and calls without an
 * output get a var that captures their value, for "expressions" output. */
static bool query_iterates(struct rg_cc *cc, const struct rg_term *t, unsigned depth)
{
	uint32_t i;
	if (!t || depth > CC_MAX_DEPTH)
		return false;
	switch (t->kind) {
	case RG_REF:
		for (i = 1; i < t->u.c.n; i++)
			if (t->u.c.items[i]->kind == RG_VAR)
				return true;
		__attribute__((fallthrough));
	case RG_ARR:
	case RG_OBJ:
	case RG_SET:
		for (i = 0; i < t->u.c.n; i++)
			if (query_iterates(cc, t->u.c.items[i], depth + 1))
				return true;
		return false;
	case RG_CALL: {
		const struct tg_rego_builtin *bi;
		struct tg_buf tmp = TG_BUF_INIT(1024);
		const char *name = tg_rego_call_name(cc, t, &tmp);
		bi = tg_rego_builtin_lookup(name, strlen(name));
		tg_buf_release(&tmp);
		if (bi && (bi->flags & TG_RB_RELATION))
			return true;
		for (i = 1; i < t->u.c.n; i++)
			if (query_iterates(cc, t->u.c.items[i], depth + 1))
				return true;
		return false;
	}
	default:
		return false;
	}
}

static void capture_query(struct rg_cc *cc, struct rg_body *b, struct tg_rego_query *q)
{
	bool check = b->n > 1;
	uint32_t i, n = b->n;
	for (i = 0; i < n && !check; i++)
		if (query_iterates(cc, b->e[i]->t, 0) || (b->e[i]->domain && query_iterates(cc, b->e[i]->domain, 0)))
			check = true;
	for (i = 0; i < n; i++) {
		struct rg_expr *e = b->e[i];
		struct rg_term *cap = NULL;
		e->capture = -2; /* no capture: the value is true */
		if (e->negated || e->kind != RG_EX_TERM || tg_rego_e_is_eq(cc, e) ||
		    tg_rego_e_is_assign(cc, e))
			continue;
		if (!tg_rego_e_is_call(e)) {
			cap = tg_rego_t_var(cc, tg_rego_gen_local(cc), &e->loc);
			e->t = tg_rego_e_eq(cc, e->t, cap, false, &e->loc)->t;
		} else {
			bool variadic = false;
			int ar = tg_rego_cc_arity(cc, e->t->u.c.items[0], &variadic);
			const char *op = e->t->u.c.items[0]->kind == RG_VAR ? e->t->u.c.items[0]->u.var : "";
			if (ar >= 0 && !variadic && (int)e->t->u.c.n - 1 == ar && strcmp(op, "print") != 0) {
				struct rg_term *c = tg_rego_t_coll(cc, RG_CALL, e->t->u.c.n + 1, &e->t->loc);
				cap = tg_rego_t_var(cc, tg_rego_gen_local(cc), &e->loc);
				memcpy(c->u.c.items, e->t->u.c.items, e->t->u.c.n * sizeof(*c->u.c.items));
				c->u.c.items[e->t->u.c.n] = cap;
				e->t = c;
			}
		}
		if (!cap)
			continue;
		e->capture = -3; /* resolved to a slot by name below */
		e->capvar = cap->u.var;
		if (check) {
			struct rg_expr *x = tg_rego_e_new(cc, &e->loc);
			x->t = tg_rego_t_copy(cc, cap);
			x->generated = true;
			tg_rego_b_append(cc, b, x);
		}
	}
	(void)q;
}

tg_err tg_rego_compile_query(struct tg_rego_query *q, const struct tg_rego_body *ast,
			     const char *text, size_t tn, struct tg_rego_errors *errs)
{
	struct rg_cc cc;
	struct rg_body *b;
	struct globals g = {0};
	struct ignore ig = {0};
	struct rg_vset decl = {0}, none = {0}, slots = {0};
	struct lv_stack st = {0};
	uint32_t i, j;
	tg_err rc = TG_E_INTERNAL;
	struct rg_strtab names = {0};

	/* the policy's name table is read-only once compiled: the query
	 * interns into its own, so that preparing never writes to the policy */
	cc_init(&cc, q->policy, &q->arena, &names, errs);
	cc.gen = q->policy->nextgen;
	cc.query = true;
	cc.mods = q->policy->mods;
	cc.nmods = q->policy->nmods;
	if (!ast || ast->n == 0) {
		tg_rego_errors_add(errs, "rego_compile_error", NULL, "empty query cannot be compiled");
		rc = TG_E_STATE;
		goto out;
	}
	b = tg_rego_ir_body(&cc, ast);
	if (cc_failed(&cc))
		goto out;
	/* original expressions, with their text, for the "expressions" output */
	q->norig = b->n;
	q->orig = tg_rego_alloc(&cc, b->n * sizeof(*q->orig));
	for (i = 0; i < b->n; i++) {
		q->orig[i] = b->e[i];
		b->e[i]->capture = -2;
	}
	{
		/* text of expression i: from its start to the start of the next */
		size_t *offs = tg_rego_alloc(&cc, (b->n + 1) * sizeof(*offs));
		for (i = 0; i < b->n; i++) {
			uint32_t row = 1, col = 1;
			size_t k = 0;
			while (k < tn && (row < b->e[i]->loc.row || col < b->e[i]->loc.col)) {
				if (text[k] == '\n') {
					row++;
					col = 1;
				} else
					col++;
				k++;
			}
			offs[i] = k;
		}
		offs[b->n] = tn;
		for (i = 0; i < b->n; i++) {
			size_t s = offs[i], e = offs[i + 1];
			while (e > s && (text[e - 1] == ' ' || text[e - 1] == '\t' || text[e - 1] == '\n' ||
					 text[e - 1] == '\r' || text[e - 1] == ';'))
				e--;
			b->e[i]->text = tg_arena_strndup(cc.a, text + s, e - s);
			if (!b->e[i]->text)
				cc.oom = true;
		}
	}
	/* ResolveRefs (no package) */
	declared_vars_body(&cc, b, &decl, 0);
	ign_push(&cc, &ig, &decl);
	resolve_body(&cc, &g, &ig, b, 0);
	/* RewriteLocalVars */
	lv_push(&cc, &st);
	b = lv_body(&cc, &st, NULL, b, 0);
	if (cc_failed(&cc))
		goto out;
	/* the user's vars, for "bindings": top-level, not generated */
	{
		struct rg_vset all = {0};
		tg_rego_vars_body(&cc, b, RG_VV_SKIP_CLOSURES, &all);
		q->vars = tg_rego_alloc(&cc, (all.n ? all.n : 1) * sizeof(*q->vars));
		for (i = 0; i < all.n; i++) {
			const char *u = tg_rego_user_name(&cc, all.v[i]);
			if (tg_rego_name_generated(u))
				continue;
			for (j = 0; j < q->nvars; j++)
				if (strcmp(q->vars[j].name, u) == 0)
					break;
			if (j < q->nvars)
				continue;
			q->vars[q->nvars].name = u;
			q->vars[q->nvars].var = all.v[i];
			q->vars[q->nvars].slot = -1;
			q->nvars++;
		}
	}
	capture_query(&cc, b, q);
	/* CheckVoidCalls, RewritePrintCalls, RewriteExprTerms, ... */
	void_body(&cc, b, 0);
	if (cc_failed(&cc))
		goto out;
	print_body(&cc, b, &none, 0);
	if (cc_failed(&cc))
		goto out;
	b = expr_terms_body(&cc, b, 0);
	compr_terms_body(&cc, b, 0);
	b = tg_rego_rewrite_with(&cc, b);
	if (cc_failed(&cc))
		goto out;
	tg_rego_check_funcs(&cc, b);
	if (cc_failed(&cc))
		goto out;
	b = tg_rego_safety_body(&cc, b, &none);
	if (cc_failed(&cc))
		goto out;
	b = dyn_body(&cc, b, 0);
	tg_rego_check_types_body(&cc, b);
	if (cc_failed(&cc))
		goto out;
	q->nslots = tg_rego_finalize_body(&cc, b, NULL, &slots);
	if (cc_failed(&cc))
		goto out;
	/* slots of the user's vars and of the captures */
	for (i = 0; i < q->nvars; i++) {
		q->vars[i].slot = -1;
		for (j = 0; j < slots.n; j++)
			if (slots.v[j] == q->vars[i].var) {
				q->vars[i].slot = (int32_t)j;
				break;
			}
	}
	for (i = 0; i < q->norig; i++) {
		struct rg_expr *e = q->orig[i];
		if (e->capture != -3)
			continue;
		e->capture = -2;
		for (j = 0; j < slots.n; j++)
			if (slots.v[j] == e->capvar) {
				e->capture = (int32_t)j;
				break;
			}
	}
	q->body = b;
	rc = TG_OK;
out:
	if (rc != TG_OK && rc != TG_E_STATE)
		rc = cc.oom ? TG_E_TOOBIG : TG_E_STATE;
	cc_release(&cc);
	free(names.slot);
	return rc;
}
