/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_safety.c - OPA's safety analysis: which vars an expression binds,
 * the unifier that propagates safety through `a = b`, body reordering so
 * that every var is bound before it is used, and rego_unsafe_var_error.
 */
#include "rego/rego_compile.h"

#include <string.h>

#define SAFETY_MAX_DEPTH 512

#define SAFETY_PARAMS (RG_VV_SKIP_REF_CALL_HEAD | RG_VV_SKIP_CLOSURES)

/* ---- the unifier (OPA ast/unify.go) ---- */

struct dep {
	const char *v;
	struct rg_vset deps;
};

struct unifier {
	struct rg_cc *cc;
	const struct rg_vset *safe;
	struct rg_vset *unified;
	struct dep *unknown;
	uint32_t nunknown, capunknown;
};

static bool u_safe(struct unifier *u, const char *v)
{
	return tg_rego_vs_has(u->safe, v) || tg_rego_vs_has(u->unified, v);
}

static struct dep *u_dep(struct unifier *u, const char *v, bool create)
{
	uint32_t i;
	for (i = 0; i < u->nunknown; i++)
		if (u->unknown[i].v == v)
			return &u->unknown[i];
	if (!create)
		return NULL;
	if (u->nunknown == u->capunknown) {
		uint32_t ncap = u->capunknown ? u->capunknown * 2 : 8;
		struct dep *nd = tg_arena_alloc_array(&u->cc->tmp, ncap, sizeof(*nd));
		if (!nd) {
			u->cc->oom = true;
			return NULL;
		}
		if (u->nunknown)
			memcpy(nd, u->unknown, u->nunknown * sizeof(*nd));
		u->unknown = nd;
		u->capunknown = ncap;
	}
	memset(&u->unknown[u->nunknown], 0, sizeof(struct dep));
	u->unknown[u->nunknown].v = v;
	return &u->unknown[u->nunknown++];
}

static void u_mark_safe(struct unifier *u, const char *v, unsigned depth)
{
	struct dep *d;
	uint32_t i;
	if (depth > SAFETY_MAX_DEPTH)
		return;
	tg_rego_vs_add(u->cc, u->unified, v);
	/* dependencies of v become safe */
	d = u_dep(u, v, false);
	if (d) {
		struct rg_vset deps = d->deps;
		d->v = NULL; /* removed */
		for (i = 0; i < deps.n; i++)
			if (!tg_rego_vs_has(u->unified, deps.v[i]))
				u_mark_safe(u, deps.v[i], depth + 1);
	}
	/* dependants of v that have no dependencies left */
	for (i = 0; i < u->nunknown; i++) {
		struct dep *o = &u->unknown[i];
		if (!o->v || !tg_rego_vs_has(&o->deps, v))
			continue;
		tg_rego_vs_remove(&o->deps, v);
		if (o->deps.n == 0) {
			const char *w = o->v;
			o->v = NULL;
			u_mark_safe(u, w, depth + 1);
		}
	}
}

static void u_mark_unknown(struct unifier *u, const char *a, const char *b)
{
	struct dep *d = u_dep(u, a, true);
	if (d)
		tg_rego_vs_add(u->cc, &d->deps, b);
}

#define U_PARAMS (RG_VV_SKIP_REF_HEAD | RG_VV_SKIP_OBJECT_KEYS | RG_VV_SKIP_CLOSURES)

static void u_mark_all_safe(struct unifier *u, const struct rg_term *t)
{
	struct rg_vset vs = {0};
	uint32_t i;
	tg_rego_vars_term(u->cc, t, U_PARAMS, &vs);
	for (i = 0; i < vs.n; i++)
		u_mark_safe(u, vs.v[i], 0);
}

static void u_unify_all(struct unifier *u, const char *a, const struct rg_term *b)
{
	struct rg_vset vs = {0};
	uint32_t i, unsafe = 0;
	if (u_safe(u, a)) {
		u_mark_all_safe(u, b);
		return;
	}
	tg_rego_vars_term(u->cc, b, U_PARAMS, &vs);
	for (i = 0; i < vs.n; i++)
		if (!u_safe(u, vs.v[i]))
			unsafe++;
	if (unsafe == 0) {
		u_mark_safe(u, a, 0);
		return;
	}
	for (i = 0; i < vs.n; i++)
		if (!u_safe(u, vs.v[i]))
			u_mark_unknown(u, a, vs.v[i]);
}

/* A ref's head is safe: a root document, or a safe var. */
static bool u_ref_head_safe(struct unifier *u, const struct rg_term *r)
{
	const struct rg_term *h = r->u.c.items[0];
	if (h->kind != RG_VAR)
		return false;
	if (h->flags & (RG_F_DATA | RG_F_INPUT))
		return true;
	return u_safe(u, h->u.var);
}

static const struct rg_term *obj_get(const struct rg_term *o, const struct rg_term *k)
{
	uint32_t i;
	for (i = 0; i + 1 < o->u.c.n; i += 2)
		if (tg_rego_t_eq(o->u.c.items[i], k))
			return o->u.c.items[i + 1];
	return NULL;
}

static void u_unify(struct unifier *u, const struct rg_term *a, const struct rg_term *b, unsigned depth)
{
	uint32_t i;
	if (depth > SAFETY_MAX_DEPTH)
		return;
	switch (a->kind) {
	case RG_VAR:
		if (a->flags & (RG_F_DATA | RG_F_INPUT))
			break;
		switch (b->kind) {
		case RG_VAR:
			if (b->flags & (RG_F_DATA | RG_F_INPUT) || u_safe(u, b->u.var))
				u_mark_safe(u, a->u.var, 0);
			else if (u_safe(u, a->u.var))
				u_mark_safe(u, b->u.var, 0);
			else {
				u_mark_unknown(u, a->u.var, b->u.var);
				u_mark_unknown(u, b->u.var, a->u.var);
			}
			break;
		case RG_ARR:
		case RG_OBJ:
			u_unify_all(u, a->u.var, b);
			break;
		case RG_REF:
			if (u_ref_head_safe(u, b))
				u_mark_safe(u, a->u.var, 0);
			break;
		case RG_CALL:
			break;
		default:
			u_mark_safe(u, a->u.var, 0);
			break;
		}
		break;
	case RG_REF:
		if (u_ref_head_safe(u, a)) {
			if (b->kind == RG_VAR && !(b->flags & (RG_F_DATA | RG_F_INPUT)))
				u_mark_safe(u, b->u.var, 0);
			else if (b->kind == RG_ARR || b->kind == RG_OBJ)
				u_mark_all_safe(u, b);
		}
		break;
	case RG_ACOMP:
	case RG_SCOMP:
	case RG_OCOMP:
		if (b->kind == RG_VAR && !(b->flags & (RG_F_DATA | RG_F_INPUT)))
			u_mark_safe(u, b->u.var, 0);
		else if (b->kind == RG_ARR || b->kind == RG_OBJ)
			u_mark_all_safe(u, b);
		break;
	case RG_ARR:
		switch (b->kind) {
		case RG_VAR:
			if (!(b->flags & (RG_F_DATA | RG_F_INPUT)))
				u_unify_all(u, b->u.var, a);
			break;
		case RG_ACOMP:
		case RG_SCOMP:
		case RG_OCOMP:
			u_mark_all_safe(u, a);
			break;
		case RG_REF:
			if (u_ref_head_safe(u, b))
				u_mark_all_safe(u, a);
			break;
		case RG_ARR:
			if (a->u.c.n == b->u.c.n)
				for (i = 0; i < a->u.c.n; i++)
					u_unify(u, a->u.c.items[i], b->u.c.items[i], depth + 1);
			break;
		case RG_VAL:
			/* a constant array: every element is known */
			if (b->u.v->type == TG_JSON_ARRAY)
				u_mark_all_safe(u, a);
			break;
		default:
			break;
		}
		break;
	case RG_OBJ:
		switch (b->kind) {
		case RG_VAR:
			if (!(b->flags & (RG_F_DATA | RG_F_INPUT)))
				u_unify_all(u, b->u.var, a);
			break;
		case RG_REF:
			if (u_ref_head_safe(u, b))
				u_mark_all_safe(u, a);
			break;
		case RG_OBJ:
			if (a->u.c.n == b->u.c.n)
				for (i = 0; i + 1 < a->u.c.n; i += 2) {
					const struct rg_term *v2 = obj_get(b, a->u.c.items[i]);
					if (v2)
						u_unify(u, a->u.c.items[i + 1], v2, depth + 1);
				}
			break;
		case RG_VAL:
			if (b->u.v->type == TG_JSON_OBJECT)
				u_mark_all_safe(u, a);
			break;
		default:
			break;
		}
		break;
	default:
		if (b->kind == RG_VAR && !(b->flags & (RG_F_DATA | RG_F_INPUT)))
			u_mark_safe(u, b->u.var, 0);
		else if (a->kind == RG_VAL && (b->kind == RG_ARR || b->kind == RG_OBJ))
			u_unify(u, b, a, depth + 1);
		break;
	}
}

void tg_rego_unify_vars(struct rg_cc *cc, const struct rg_vset *safe, const struct rg_term *a,
			const struct rg_term *b, struct rg_vset *out)
{
	struct unifier u = {cc, safe, out, NULL, 0, 0};
	u_unify(&u, a, b, 0);
}

/* ---- output vars ---- */

/* A ref is safe to evaluate when its head is. */
static bool ref_safe(struct rg_cc *cc, const struct rg_term *r, const struct rg_vset *safe)
{
	const struct rg_term *h = r->u.c.items[0];
	struct rg_vset vs = {0};
	uint32_t i;
	if (h->kind == RG_VAR)
		return (h->flags & (RG_F_DATA | RG_F_INPUT)) || tg_rego_vs_has(safe, h->u.var);
	tg_rego_vars_term(cc, h, 0, &vs);
	for (i = 0; i < vs.n; i++)
		if (!tg_rego_vs_has(safe, vs.v[i]))
			return false;
	return true;
}

/* OPA outputVarsForTerms: the vars in the path of refs whose head is safe. */
static void output_terms(struct rg_cc *cc, const struct rg_term *t, const struct rg_vset *safe,
			 struct rg_vset *out, unsigned depth)
{
	uint32_t i;
	if (!t || depth > SAFETY_MAX_DEPTH)
		return;
	switch (t->kind) {
	case RG_ACOMP:
	case RG_SCOMP:
	case RG_OCOMP:
		return;
	case RG_REF:
		if (!ref_safe(cc, t, safe))
			return;
		tg_rego_vars_term(cc, t, RG_VV_SKIP_REF_HEAD, out);
		for (i = 0; i < t->u.c.n; i++)
			output_terms(cc, t->u.c.items[i], safe, out, depth + 1);
		return;
	case RG_ARR:
	case RG_OBJ:
	case RG_SET:
	case RG_CALL:
		for (i = 0; i < t->u.c.n; i++)
			output_terms(cc, t->u.c.items[i], safe, out, depth + 1);
		return;
	default:
		return;
	}
}

static void output_expr_eq(struct rg_cc *cc, const struct rg_expr *e, const struct rg_vset *safe,
			   struct rg_vset *out)
{
	struct rg_vset o = {0}, u = {0};
	uint32_t i;
	output_terms(cc, e->t, safe, &o, 0);
	tg_rego_vs_union(cc, &o, safe);
	tg_rego_unify_vars(cc, &o, e->t->u.c.items[1], e->t->u.c.items[2], &u);
	tg_rego_vs_union(cc, &o, &u);
	for (i = 0; i < o.n; i++)
		if (!tg_rego_vs_has(safe, o.v[i]))
			tg_rego_vs_add(cc, out, o.v[i]);
}

#define CALL_PARAMS (RG_VV_SKIP_CLOSURES | RG_VV_SKIP_SETS | RG_VV_SKIP_OBJECT_KEYS | RG_VV_SKIP_REF_HEAD)

static void output_expr_call(struct rg_cc *cc, const struct rg_expr *e, int arity,
			     const struct rg_vset *safe, struct rg_vset *out)
{
	struct rg_vset o = {0}, in = {0};
	uint32_t i, ninput = (uint32_t)arity + 1;
	output_terms(cc, e->t, safe, &o, 0);
	if (ninput >= e->t->u.c.n) {
		tg_rego_vs_union(cc, out, &o);
		return;
	}
	for (i = 1; i < ninput; i++)
		tg_rego_vars_term(cc, e->t->u.c.items[i], CALL_PARAMS, &in);
	for (i = 0; i < in.n; i++)
		if (!tg_rego_vs_has(&o, in.v[i]) && !tg_rego_vs_has(safe, in.v[i]))
			return;
	for (i = ninput; i < e->t->u.c.n; i++)
		tg_rego_vars_term(cc, e->t->u.c.items[i], CALL_PARAMS, &o);
	tg_rego_vs_union(cc, out, &o);
}

void tg_rego_output_vars_expr(struct rg_cc *cc, const struct rg_expr *e, const struct rg_vset *safe,
			      struct rg_vset *out)
{
	uint32_t i, j;
	if (e->negated)
		return;
	for (i = 0; i < e->nwith; i++) {
		struct rg_vset wv = {0};
		tg_rego_vars_with(cc, e->with[i], SAFETY_PARAMS, &wv);
		for (j = 0; j < wv.n; j++)
			if (!tg_rego_vs_has(safe, wv.v[j]))
				return;
	}
	switch (e->kind) {
	case RG_EX_TERM:
		if (tg_rego_e_is_eq(cc, e)) {
			output_expr_eq(cc, e, safe, out);
		} else if (tg_rego_e_is_call(e)) {
			bool variadic = false;
			int ar = tg_rego_cc_arity(cc, e->t->u.c.items[0], &variadic);
			if (ar < 0 || variadic)
				return;
			output_expr_call(cc, e, ar, safe, out);
		} else {
			output_terms(cc, e->t, safe, out, 0);
		}
		return;
	case RG_EX_EVERY:
		output_terms(cc, e->domain, safe, out, 0);
		return;
	case RG_EX_SOMEIN: {
		/* only before local var rewriting, to decide what it declares */
		return;
	}
	default:
		return;
	}
}

static void output_body(struct rg_cc *cc, const struct rg_body *b, uint32_t n,
			const struct rg_vset *safe, struct rg_vset *out)
{
	struct rg_vset o = {0};
	uint32_t i;
	tg_rego_vs_copy(cc, &o, safe);
	for (i = 0; i < n; i++) {
		struct rg_vset x = {0};
		tg_rego_output_vars_expr(cc, b->e[i], &o, &x);
		tg_rego_vs_union(cc, &o, &x);
	}
	for (i = 0; i < o.n; i++)
		if (!tg_rego_vs_has(safe, o.v[i]))
			tg_rego_vs_add(cc, out, o.v[i]);
}

/* ---- reordering ---- */

/* unsafe vars per expression, for the error report */
struct unsafe_ent {
	const struct rg_expr *e;
	struct rg_vset vars;
};

struct unsafe {
	struct unsafe_ent *v;
	uint32_t n, cap;
};

static struct unsafe_ent *unsafe_get(struct rg_cc *cc, struct unsafe *u, const struct rg_expr *e,
				     bool create)
{
	uint32_t i;
	for (i = 0; i < u->n; i++)
		if (u->v[i].e == e)
			return &u->v[i];
	if (!create)
		return NULL;
	struct unsafe_ent *nv = tg_rego_tmp_grow(cc, u->v, u->n, &u->cap, sizeof(*u->v), 8);
	if (!nv)
		return NULL;
	u->v = nv;
	memset(&u->v[u->n], 0, sizeof(struct unsafe_ent));
	u->v[u->n].e = e;
	return &u->v[u->n++];
}

/* Vars inside closures of e: comprehensions (all their vars) and every
 * bodies. */
static void closure_vars_term(struct rg_cc *cc, const struct rg_term *t, struct rg_vset *s,
			      unsigned depth)
{
	uint32_t i;
	if (!t || depth > SAFETY_MAX_DEPTH)
		return;
	switch (t->kind) {
	case RG_ACOMP:
	case RG_SCOMP:
	case RG_OCOMP:
		tg_rego_vars_term(cc, t, 0, s);
		return;
	case RG_REF:
	case RG_ARR:
	case RG_OBJ:
	case RG_SET:
	case RG_CALL:
		for (i = 0; i < t->u.c.n; i++)
			closure_vars_term(cc, t->u.c.items[i], s, depth + 1);
		return;
	default:
		return;
	}
}

static void closure_vars_expr(struct rg_cc *cc, const struct rg_expr *e, struct rg_vset *s)
{
	uint32_t i;
	closure_vars_term(cc, e->t, s, 0);
	if (e->kind == RG_EX_EVERY)
		tg_rego_vars_body(cc, e->body, 0, s);
	for (i = 0; i < e->nwith; i++)
		closure_vars_term(cc, e->with[i]->value, s, 0);
}

static struct rg_body *reorder(struct rg_cc *cc, struct rg_body *b, const struct rg_vset *globals,
			       struct unsafe *uns, unsigned depth);

struct xform {
	struct rg_cc *cc;
	const struct rg_expr *current;
	struct rg_vset *globals;
	struct unsafe *uns;
	unsigned depth;
};

static void xform_compr(struct xform *x, struct rg_term *t)
{
	struct rg_vset tv = {0}, bv = {0};
	struct unsafe u2 = {0};
	struct rg_body *r;
	uint32_t i;
	tg_rego_vars_term(x->cc, t->u.k.key, 0, &tv);
	tg_rego_vars_term(x->cc, t->u.k.val, 0, &tv);
	tg_rego_vars_body(x->cc, t->u.k.body, SAFETY_PARAMS, &bv);
	tg_rego_vs_union(x->cc, &bv, x->globals);
	for (i = 0; i < tv.n; i++)
		if (!tg_rego_vs_has(&bv, tv.v[i])) {
			struct unsafe_ent *ue = unsafe_get(x->cc, x->uns, x->current, true);
			if (ue)
				tg_rego_vs_add(x->cc, &ue->vars, tv.v[i]);
		}
	r = reorder(x->cc, t->u.k.body, x->globals, &u2, x->depth + 1);
	if (u2.n == 0) {
		t->u.k.body = r;
		return;
	}
	for (i = 0; i < u2.n; i++) {
		struct unsafe_ent *ue = unsafe_get(x->cc, x->uns, u2.v[i].e, true);
		if (ue)
			tg_rego_vs_union(x->cc, &ue->vars, &u2.v[i].vars);
	}
}

static void xform_term(struct xform *x, struct rg_term *t, unsigned depth)
{
	uint32_t i;
	if (!t || depth > SAFETY_MAX_DEPTH)
		return;
	switch (t->kind) {
	case RG_ACOMP:
	case RG_SCOMP:
	case RG_OCOMP:
		xform_compr(x, t);
		return;
	case RG_REF:
	case RG_ARR:
	case RG_OBJ:
	case RG_SET:
	case RG_CALL:
		for (i = 0; i < t->u.c.n; i++)
			xform_term(x, t->u.c.items[i], depth + 1);
		return;
	default:
		return;
	}
}

static void xform_expr(struct xform *x, struct rg_expr *e)
{
	uint32_t i;
	if (e->kind == RG_EX_EVERY) {
		struct unsafe u2 = {0};
		struct rg_body *r;
		tg_rego_vars_term(x->cc, e->key, 0, x->globals);
		tg_rego_vars_term(x->cc, e->val, 0, x->globals);
		r = reorder(x->cc, e->body, x->globals, &u2, x->depth + 1);
		if (u2.n == 0)
			e->body = r;
		for (i = 0; i < u2.n; i++) {
			struct unsafe_ent *ue = unsafe_get(x->cc, x->uns, u2.v[i].e, true);
			if (ue)
				tg_rego_vs_union(x->cc, &ue->vars, &u2.v[i].vars);
		}
		xform_term(x, e->domain, 0);
		return;
	}
	xform_term(x, e->t, 0);
	for (i = 0; i < e->nwith; i++)
		xform_term(x, e->with[i]->value, 0);
}

static bool vs_equal(const struct rg_vset *a, const struct rg_vset *b)
{
	uint32_t i;
	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (!tg_rego_vs_has(b, a->v[i]))
			return false;
	return true;
}

static struct rg_body *reorder(struct rg_cc *cc, struct rg_body *b, const struct rg_vset *globals,
			       struct unsafe *uns, unsigned depth)
{
	struct rg_vset body_vars = {0}, safe = {0}, g = {0};
	struct rg_body *out;
	bool *done;
	uint32_t i, j, k;
	struct xform x;

	if (depth > SAFETY_MAX_DEPTH) {
		tg_rego_cc_err(cc, "rego_compile_error", &b->loc, "body nested too deep");
		return b;
	}
	tg_rego_vars_body(cc, b, SAFETY_PARAMS, &body_vars);
	for (i = 0; i < body_vars.n; i++)
		if (tg_rego_vs_has(globals, body_vars.v[i]))
			tg_rego_vs_add(cc, &safe, body_vars.v[i]);
	for (i = 0; i < b->n; i++) {
		struct rg_vset ev = {0};
		tg_rego_vars_expr(cc, b->e[i], SAFETY_PARAMS, &ev);
		for (j = 0; j < ev.n; j++)
			if (!tg_rego_vs_has(&safe, ev.v[j])) {
				struct unsafe_ent *ue = unsafe_get(cc, uns, b->e[i], true);
				if (ue)
					tg_rego_vs_add(cc, &ue->vars, ev.v[j]);
			}
	}
	out = tg_rego_b_new(cc, &b->loc);
	done = tg_arena_alloc(&cc->tmp, b->n + 1);
	if (!done) {
		cc->oom = true;
		return b;
	}
	memset(done, 0, b->n + 1);
	for (;;) {
		uint32_t before = out->n;
		for (i = 0; i < b->n; i++) {
			struct rg_expr *e = b->e[i];
			struct rg_vset ovs = {0}, cv = {0}, ob = {0}, uv = {0};
			struct unsafe_ent *ue;
			if (done[i])
				continue;
			tg_rego_output_vars_expr(cc, e, &safe, &ovs);
			/* closures must not close over vars that are not yet bound */
			closure_vars_expr(cc, e, &cv);
			for (j = 0, k = 0; j < cv.n; j++)
				if (tg_rego_vs_has(&body_vars, cv.v[j]) && !tg_rego_vs_has(globals, cv.v[j]))
					cv.v[k++] = cv.v[j];
			cv.n = k;
			output_body(cc, out, out->n, &safe, &ob);
			for (j = 0; j < cv.n; j++)
				if (!tg_rego_vs_has(&ob, cv.v[j]) && !tg_rego_vs_has(&safe, cv.v[j]))
					tg_rego_vs_add(cc, &uv, cv.v[j]);
			if (uv.n > 0) {
				if (vs_equal(&uv, &ovs))
					continue; /* closure-self */
				ue = unsafe_get(cc, uns, e, true);
				if (ue)
					tg_rego_vs_copy(cc, &ue->vars, &uv);
			}
			ue = unsafe_get(cc, uns, e, false);
			if (ue) {
				for (j = 0, k = 0; j < ue->vars.n; j++)
					if (!tg_rego_vs_has(&ovs, ue->vars.v[j]) &&
					    !tg_rego_vs_has(&safe, ue->vars.v[j]))
						ue->vars.v[k++] = ue->vars.v[j];
				ue->vars.n = k;
			}
			if (!ue || ue->vars.n == 0) {
				if (ue)
					ue->e = NULL; /* deleted */
				done[i] = true;
				tg_rego_b_append(cc, out, e);
				tg_rego_vs_union(cc, &safe, &ovs);
			}
		}
		if (out->n == before)
			break;
	}
	/* drop emptied entries */
	for (i = 0, k = 0; i < uns->n; i++)
		if (uns->v[i].e && uns->v[i].vars.n)
			uns->v[k++] = uns->v[i];
	uns->n = k;

	/* closures of each expression, with the vars of the preceding ones */
	tg_rego_vs_copy(cc, &g, globals);
	x.cc = cc;
	x.globals = &g;
	x.uns = uns;
	x.depth = depth;
	for (i = 0; i < out->n; i++) {
		if (i > 0)
			tg_rego_vars_expr(cc, out->e[i - 1], SAFETY_PARAMS, &g);
		x.current = out->e[i];
		xform_expr(&x, out->e[i]);
	}
	if (out->n < b->n) {
		/* keep the unordered ones so that errors can point at them */
		for (i = 0; i < b->n; i++)
			if (!done[i])
				tg_rego_b_append(cc, out, b->e[i]);
	}
	return out;
}

static int loc_cmp(const struct tg_rego_loc *a, const struct tg_rego_loc *b)
{
	int c;
	if (!a->file || !b->file)
		c = 0;
	else
		c = strcmp(a->file, b->file);
	if (c)
		return c;
	if (a->row != b->row)
		return a->row < b->row ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return 0;
}

static void report_unsafe(struct rg_cc *cc, const struct unsafe *u)
{
	struct {
		const char *v;
		const struct tg_rego_loc *loc;
	} *vl;
	uint32_t i, j, n = 0, total = 0;
	for (i = 0; i < u->n; i++)
		total += u->v[i].vars.n;
	if (total == 0)
		return;
	vl = tg_arena_alloc_array(&cc->tmp, total, sizeof(*vl));
	if (!vl) {
		cc->oom = true;
		return;
	}
	/* each var at its first location */
	for (i = 0; i < u->n; i++)
		for (j = 0; j < u->v[i].vars.n; j++) {
			uint32_t k;
			const char *v = u->v[i].vars.v[j];
			for (k = 0; k < n; k++)
				if (vl[k].v == v)
					break;
			if (k == n) {
				vl[n].v = v;
				vl[n++].loc = &u->v[i].e->loc;
			} else if (loc_cmp(&u->v[i].e->loc, vl[k].loc) < 0)
				vl[k].loc = &u->v[i].e->loc;
		}
	/* by location, then name */
	for (i = 1; i < n; i++)
		for (j = i; j > 0; j--) {
			int c = loc_cmp(vl[j].loc, vl[j - 1].loc);
			if (c > 0 || (c == 0 && strcmp(vl[j].v, vl[j - 1].v) >= 0))
				break;
			{
				__typeof__(*vl) t = vl[j];
				vl[j] = vl[j - 1];
				vl[j - 1] = t;
			}
		}
	{
		uint32_t reported = 0;
		for (i = 0; i < n; i++) {
			const char *name = tg_rego_user_name(cc, vl[i].v);
			if (tg_rego_name_generated(name))
				continue;
			reported++;
			if (strcmp(name, "in") == 0 || strcmp(name, "if") == 0 ||
			    strcmp(name, "contains") == 0 || strcmp(name, "every") == 0)
				tg_rego_cc_err(cc, "rego_unsafe_var_error", vl[i].loc,
					       "var %s is unsafe (hint: `import future.keywords.%s` to import a future keyword)",
					       name, name);
			else
				tg_rego_cc_err(cc, "rego_unsafe_var_error", vl[i].loc, "var %s is unsafe", name);
		}
		if (reported)
			return;
	}
	/* only generated vars: report the expressions */
	for (i = 0; i < u->n; i++)
		tg_rego_cc_err(cc, "rego_unsafe_var_error", &u->v[i].e->loc, "expression is unsafe");
}

struct rg_body *tg_rego_safety_body(struct rg_cc *cc, struct rg_body *b, const struct rg_vset *globals)
{
	struct unsafe u = {0};
	struct rg_body *r = reorder(cc, b, globals, &u, 0);
	if (u.n) {
		report_unsafe(cc, &u);
		return b;
	}
	return r;
}

void tg_rego_safety_head(struct rg_cc *cc, struct rg_rule *r)
{
	struct rg_vset hv = {0}, bv = {0};
	uint32_t i;
	tg_rego_vars_term(cc, r->key, 0, &hv);
	tg_rego_vars_term(cc, r->value, 0, &hv);
	if (!r->is_else)
		for (i = 1; i < r->ref->u.c.n; i++)
			tg_rego_vars_term(cc, r->ref->u.c.items[i], 0, &hv);
	if (hv.n == 0)
		return;
	tg_rego_vars_body(cc, r->body, SAFETY_PARAMS, &bv);
	for (i = 0; i < r->nargs; i++)
		tg_rego_vars_term(cc, r->args[i], 0, &bv);
	for (i = 0; i < hv.n; i++) {
		const char *name;
		if (tg_rego_vs_has(&bv, hv.v[i]))
			continue;
		name = tg_rego_user_name(cc, hv.v[i]);
		if (!tg_rego_name_generated(name))
			tg_rego_cc_err(cc, "rego_unsafe_var_error", &r->loc, "var %s is unsafe", name);
	}
}
