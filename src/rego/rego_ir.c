/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_ir.c - the compiler's intermediate form: interning of var names,
 * constructors and copies, conversion from the parser's AST, var sets and
 * var visitors, and printing terms for messages.
 */
#include "rego/rego_ir.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

/* Terms nest at most as deep as the parser allowed; the walkers below stop
 * at this depth rather than trusting it. */
#define IR_MAX_DEPTH 1024

/* ---- names ---- */

static uint64_t str_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static void strtab_grow(struct rg_strtab *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 64, i;
	const char **ns = tg_xcalloc(ncap, sizeof(*ns));
	for (i = 0; i < t->cap; i++) {
		const char *s = t->slot[i];
		size_t j;
		if (!s)
			continue;
		j = str_hash(s, strlen(s)) & (ncap - 1);
		while (ns[j])
			j = (j + 1) & (ncap - 1);
		ns[j] = s;
	}
	free(t->slot);
	t->slot = ns;
	t->cap = ncap;
}

const char *tg_rego_intern(struct rg_cc *cc, const char *s, size_t n)
{
	struct rg_strtab *t = cc->names;
	size_t j;
	char *c;
	if (t->n * 2 >= t->cap)
		strtab_grow(t);
	j = str_hash(s, n) & (t->cap - 1);
	while (t->slot[j]) {
		if (strlen(t->slot[j]) == n && memcmp(t->slot[j], s, n) == 0)
			return t->slot[j];
		j = (j + 1) & (t->cap - 1);
	}
	c = tg_arena_strndup(cc->a, s, n);
	if (!c) {
		cc->oom = true;
		return "";
	}
	t->slot[j] = c;
	t->n++;
	return c;
}

static bool strtab_has(const struct rg_strtab *t, const char *s, size_t n)
{
	size_t j;
	if (!t->cap)
		return false;
	j = str_hash(s, n) & (t->cap - 1);
	while (t->slot[j]) {
		if (strlen(t->slot[j]) == n && memcmp(t->slot[j], s, n) == 0)
			return true;
		j = (j + 1) & (t->cap - 1);
	}
	return false;
}

/* Names the user wrote are interned before any is generated, so a name
 * already in the table is never handed out again (OPA excludes the vars
 * of the modules the same way). */
const char *tg_rego_gen_local(struct rg_cc *cc)
{
	char b[48];
	int n;
	do
		n = snprintf(b, sizeof(b), "__local%u__", cc->gen++);
	while (strtab_has(cc->names, b, (size_t)n));
	return tg_rego_intern(cc, b, (size_t)n);
}

const char *tg_rego_gen_wild(struct rg_cc *cc)
{
	char b[48];
	int n = snprintf(b, sizeof(b), "$%u", cc->gen++);
	return tg_rego_intern(cc, b, (size_t)n);
}

bool tg_rego_name_wildcard(const char *name)
{
	return name[0] == '$' || strcmp(name, "_") == 0;
}

bool tg_rego_name_generated(const char *name)
{
	return name[0] == '$' || strncmp(name, "__local", 7) == 0;
}

void tg_rego_rewritten_add(struct rg_cc *cc, const char *gen, const char *orig)
{
	if (cc->nrw == cc->caprw) {
		cc->caprw = cc->caprw ? cc->caprw * 2 : 32;
		cc->rw = tg_xreallocarray(cc->rw, cc->caprw, sizeof(*cc->rw));
	}
	cc->rw[cc->nrw].gen = gen;
	cc->rw[cc->nrw].orig = orig;
	cc->nrw++;
}

const char *tg_rego_user_name(const struct rg_cc *cc, const char *name)
{
	uint32_t i;
	for (i = cc->nrw; i-- > 0;)
		if (cc->rw[i].gen == name)
			return cc->rw[i].orig;
	return name;
}

/* ---- constructors ---- */

static union {
	struct rg_term t;
	struct rg_expr e;
	struct rg_body b;
	char bytes[256];
} oom_dummy;

void *tg_rego_alloc(struct rg_cc *cc, size_t n)
{
	void *p = tg_arena_alloc(cc->a, n);
	if (!p) {
		cc->oom = true;
		/* Callers write into what they get; give them scratch memory
		 * that is never read back (compilation fails). */
		p = tg_arena_alloc(&cc->tmp, n);
		if (!p) {
			memset(&oom_dummy, 0, sizeof(oom_dummy));
			return &oom_dummy;
		}
	}
	memset(p, 0, n);
	return p;
}

struct rg_term *tg_rego_t_new(struct rg_cc *cc, uint8_t kind, const struct tg_rego_loc *loc)
{
	struct rg_term *t = tg_rego_alloc(cc, sizeof(*t));
	t->kind = kind;
	t->slot = -1;
	if (loc)
		t->loc = *loc;
	return t;
}

struct rg_term *tg_rego_t_var(struct rg_cc *cc, const char *name, const struct tg_rego_loc *loc)
{
	struct rg_term *t = tg_rego_t_new(cc, RG_VAR, loc);
	t->u.var = name;
	if (tg_rego_name_generated(name))
		t->flags |= RG_F_GEN;
	return t;
}

struct rg_term *tg_rego_t_val(struct rg_cc *cc, const struct tg_json *v, const struct tg_rego_loc *loc)
{
	struct rg_term *t = tg_rego_t_new(cc, RG_VAL, loc);
	t->u.v = v;
	return t;
}

struct rg_term *tg_rego_t_str(struct rg_cc *cc, const char *s, const struct tg_rego_loc *loc)
{
	const struct tg_json *v = NULL;
	if (tg_json_new_string(cc->a, s, strlen(s), &v) != TG_OK) {
		cc->oom = true;
		v = &tg_json_null_v;
	}
	return tg_rego_t_val(cc, v, loc);
}

struct rg_term *tg_rego_t_coll(struct rg_cc *cc, uint8_t kind, uint32_t n, const struct tg_rego_loc *loc)
{
	struct rg_term *t = tg_rego_t_new(cc, kind, loc);
	t->u.c.n = n;
	t->u.c.items = tg_rego_alloc(cc, (n ? n : 1) * sizeof(*t->u.c.items));
	return t;
}

struct rg_term *tg_rego_t_call(struct rg_cc *cc, const char *op, uint32_t nargs,
			       const struct tg_rego_loc *loc)
{
	struct rg_term *t = tg_rego_t_coll(cc, RG_CALL, nargs + 1, loc);
	t->u.c.items[0] = tg_rego_t_var(cc, tg_rego_intern(cc, op, strlen(op)), loc);
	return t;
}

static struct rg_term *t_copy(struct rg_cc *cc, const struct rg_term *t, unsigned depth);
static struct rg_body *b_copy(struct rg_cc *cc, const struct rg_body *b, unsigned depth);

static struct rg_expr *e_copy(struct rg_cc *cc, const struct rg_expr *e, unsigned depth)
{
	struct rg_expr *c = tg_rego_alloc(cc, sizeof(*c));
	uint32_t i;
	*c = *e;
	c->t = t_copy(cc, e->t, depth + 1);
	c->key = t_copy(cc, e->key, depth + 1);
	c->val = t_copy(cc, e->val, depth + 1);
	c->domain = t_copy(cc, e->domain, depth + 1);
	c->body = b_copy(cc, e->body, depth + 1);
	if (e->nvars) {
		c->vars = tg_rego_alloc(cc, e->nvars * sizeof(*c->vars));
		for (i = 0; i < e->nvars; i++)
			c->vars[i] = t_copy(cc, e->vars[i], depth + 1);
	}
	if (e->nwith) {
		c->with = tg_rego_alloc(cc, e->nwith * sizeof(*c->with));
		for (i = 0; i < e->nwith; i++) {
			c->with[i] = tg_rego_alloc(cc, sizeof(**c->with));
			*c->with[i] = *e->with[i];
			c->with[i]->target = t_copy(cc, e->with[i]->target, depth + 1);
			c->with[i]->value = t_copy(cc, e->with[i]->value, depth + 1);
		}
	}
	return c;
}

static struct rg_body *b_copy(struct rg_cc *cc, const struct rg_body *b, unsigned depth)
{
	struct rg_body *c;
	uint32_t i;
	if (!b)
		return NULL;
	c = tg_rego_b_new(cc, &b->loc);
	if (depth > IR_MAX_DEPTH) {
		cc->oom = true;
		return c;
	}
	for (i = 0; i < b->n; i++)
		tg_rego_b_append(cc, c, e_copy(cc, b->e[i], depth + 1));
	return c;
}

static struct rg_term *t_copy(struct rg_cc *cc, const struct rg_term *t, unsigned depth)
{
	struct rg_term *c;
	uint32_t i;
	if (!t)
		return NULL;
	c = tg_rego_alloc(cc, sizeof(*c));
	*c = *t;
	if (depth > IR_MAX_DEPTH) {
		cc->oom = true;
		return c;
	}
	switch (t->kind) {
	case RG_REF:
	case RG_ARR:
	case RG_OBJ:
	case RG_SET:
	case RG_CALL:
		c->u.c.items = tg_rego_alloc(cc, (t->u.c.n ? t->u.c.n : 1) * sizeof(*c->u.c.items));
		for (i = 0; i < t->u.c.n; i++)
			c->u.c.items[i] = t_copy(cc, t->u.c.items[i], depth + 1);
		break;
	case RG_ACOMP:
	case RG_SCOMP:
	case RG_OCOMP:
		c->u.k.key = t_copy(cc, t->u.k.key, depth + 1);
		c->u.k.val = t_copy(cc, t->u.k.val, depth + 1);
		c->u.k.body = b_copy(cc, t->u.k.body, depth + 1);
		break;
	default:
		break;
	}
	return c;
}

struct rg_term *tg_rego_t_copy(struct rg_cc *cc, const struct rg_term *t)
{
	return t_copy(cc, t, 0);
}

struct rg_expr *tg_rego_e_copy(struct rg_cc *cc, const struct rg_expr *e)
{
	return e_copy(cc, e, 0);
}

struct rg_body *tg_rego_b_copy(struct rg_cc *cc, const struct rg_body *b)
{
	return b_copy(cc, b, 0);
}

struct rg_expr *tg_rego_e_new(struct rg_cc *cc, const struct tg_rego_loc *loc)
{
	struct rg_expr *e = tg_rego_alloc(cc, sizeof(*e));
	if (loc)
		e->loc = *loc;
	e->capture = -1;
	return e;
}

struct rg_expr *tg_rego_e_eq(struct rg_cc *cc, struct rg_term *a, struct rg_term *b, bool gen,
			     const struct tg_rego_loc *loc)
{
	struct rg_expr *e = tg_rego_e_new(cc, loc);
	struct rg_term *c = tg_rego_t_coll(cc, RG_CALL, 3, loc);
	c->u.c.items[0] = tg_rego_t_var(cc, cc->n_eq, loc);
	c->u.c.items[1] = a;
	c->u.c.items[2] = b;
	e->t = c;
	e->generated = gen;
	return e;
}

struct rg_body *tg_rego_b_new(struct rg_cc *cc, const struct tg_rego_loc *loc)
{
	struct rg_body *b = tg_rego_alloc(cc, sizeof(*b));
	if (loc)
		b->loc = *loc;
	return b;
}

void tg_rego_b_append(struct rg_cc *cc, struct rg_body *b, struct rg_expr *e)
{
	if (b->n == b->cap) {
		uint32_t ncap = b->cap ? b->cap * 2 : 4;
		struct rg_expr **ne = tg_rego_alloc(cc, ncap * sizeof(*ne));
		if (b->n)
			memcpy(ne, b->e, b->n * sizeof(*ne));
		b->e = ne;
		b->cap = ncap;
	}
	b->e[b->n++] = e;
}

/* ---- conversion from the AST ---- */

static struct rg_term *ir_term(struct rg_cc *cc, const struct tg_rego_term *t, unsigned depth);
static struct rg_body *ir_body(struct rg_cc *cc, const struct tg_rego_body *b, unsigned depth);

/* Locations name the module's file as the compiled policy keeps it. */
static const struct tg_rego_loc *ir_loc(struct rg_cc *cc, const struct tg_rego_loc *l)
{
	static _Thread_local struct tg_rego_loc x;
	x = *l;
	x.file = cc->curfile ? cc->curfile : "";
	return &x;
}

/* Values are copied: the policy must not depend on the parser's memory. */
const struct tg_json *tg_rego_json_copy(struct tg_arena *a, const struct tg_json *v, unsigned depth)
{
	const struct tg_json *out = NULL;
	size_t i;
	tg_err rc = TG_OK;
	if (!v || depth > 1024)
		return NULL;
	switch (v->type) {
	case TG_JSON_NULL:
		return &tg_json_null_v;
	case TG_JSON_BOOL:
		return tg_json_bool(v->u.b);
	case TG_JSON_NUMBER:
		rc = tg_json_new_number(a, v->u.s.p, v->u.s.len, &out);
		break;
	case TG_JSON_STRING:
		rc = tg_json_new_string(a, v->u.s.p, v->u.s.len, &out);
		break;
	case TG_JSON_ARRAY:
	case TG_JSON_SET: {
		const struct tg_json **items = tg_arena_alloc_array(a, v->u.a.len + 1, sizeof(*items));
		if (!items)
			return NULL;
		for (i = 0; i < v->u.a.len; i++)
			if (!(items[i] = tg_rego_json_copy(a, v->u.a.items[i], depth + 1)))
				return NULL;
		rc = v->type == TG_JSON_ARRAY ? tg_json_new_array(a, items, v->u.a.len, &out)
					      : tg_json_new_set(a, items, v->u.a.len, &out);
		break;
	}
	case TG_JSON_OBJECT: {
		struct tg_json_member *m = tg_arena_alloc_array(a, v->u.o.len + 1, sizeof(*m));
		if (!m)
			return NULL;
		for (i = 0; i < v->u.o.len; i++) {
			m[i].key = tg_rego_json_copy(a, v->u.o.items[i].key, depth + 1);
			m[i].val = tg_rego_json_copy(a, v->u.o.items[i].val, depth + 1);
			if (!m[i].key || !m[i].val)
				return NULL;
		}
		rc = tg_json_new_object(a, m, v->u.o.len, TG_JSON_DUP_LAST, &out);
		break;
	}
	default:
		return NULL;
	}
	return rc == TG_OK ? out : NULL;
}

static const struct tg_json *ir_value(struct rg_cc *cc, const struct tg_json *v)
{
	const struct tg_json *c = tg_rego_json_copy(cc->a, v, 0);
	if (!c) {
		cc->oom = true;
		return &tg_json_null_v;
	}
	return c;
}

static struct rg_term *ir_var(struct rg_cc *cc, const char *name, size_t len,
			      const struct tg_rego_loc *loc)
{
	const char *v = tg_rego_intern(cc, name, len);
	struct rg_term *t;
	if (v == cc->n_wild)
		v = tg_rego_gen_wild(cc);
	t = tg_rego_t_var(cc, v, loc);
	return t;
}

static struct rg_term *ir_coll(struct rg_cc *cc, uint8_t kind, struct tg_rego_term *const *items,
			       size_t n, const struct tg_rego_loc *loc, unsigned depth)
{
	struct rg_term *c = tg_rego_t_coll(cc, kind, (uint32_t)n, loc);
	size_t i;
	for (i = 0; i < n; i++)
		c->u.c.items[i] = ir_term(cc, items[i], depth + 1);
	return c;
}

static struct rg_term *ir_term(struct rg_cc *cc, const struct tg_rego_term *t, unsigned depth)
{
	struct rg_term *r;
	if (!t)
		return NULL;
	if (depth > IR_MAX_DEPTH) {
		tg_rego_cc_err(cc, "rego_compile_error", &t->loc, "term nested too deep");
		return tg_rego_t_val(cc, &tg_json_null_v, &t->loc);
	}
	switch (t->kind) {
	case TG_RT_SCALAR:
		return tg_rego_t_val(cc, ir_value(cc, t->u.value), ir_loc(cc, &t->loc));
	case TG_RT_VAR:
		return ir_var(cc, t->u.var.name, t->u.var.len, ir_loc(cc, &t->loc));
	case TG_RT_REF:
		if (t->u.ref.n == 1)
			return ir_term(cc, t->u.ref.items[0], depth + 1);
		return ir_coll(cc, RG_REF, t->u.ref.items, t->u.ref.n, ir_loc(cc, &t->loc), depth);
	case TG_RT_ARRAY:
		return ir_coll(cc, RG_ARR, t->u.coll.items, t->u.coll.n, ir_loc(cc, &t->loc), depth);
	case TG_RT_SET:
		return ir_coll(cc, RG_SET, t->u.coll.items, t->u.coll.n, ir_loc(cc, &t->loc), depth);
	case TG_RT_OBJECT:
		return ir_coll(cc, RG_OBJ, t->u.coll.items, t->u.coll.n & ~(size_t)1, ir_loc(cc, &t->loc),
			       depth);
	case TG_RT_CALL:
		return ir_coll(cc, RG_CALL, t->u.coll.items, t->u.coll.n, ir_loc(cc, &t->loc), depth);
	case TG_RT_ARRAY_COMPR:
	case TG_RT_SET_COMPR:
	case TG_RT_OBJECT_COMPR:
		r = tg_rego_t_new(cc,
				  t->kind == TG_RT_ARRAY_COMPR ? RG_ACOMP
				  : t->kind == TG_RT_SET_COMPR ? RG_SCOMP
							       : RG_OCOMP,
				  ir_loc(cc, &t->loc));
		r->u.k.key = ir_term(cc, t->u.compr.key, depth + 1);
		r->u.k.val = ir_term(cc, t->u.compr.value, depth + 1);
		r->u.k.body = ir_body(cc, t->u.compr.body, depth + 1);
		return r;
	case TG_RT_TEMPLATE:
	default:
		tg_rego_cc_err(cc, "rego_compile_error", ir_loc(cc, &t->loc),
			       "template-strings are not supported");
		return tg_rego_t_val(cc, &tg_json_null_v, ir_loc(cc, &t->loc));
	}
}

static struct rg_expr *ir_expr(struct rg_cc *cc, const struct tg_rego_expr *x, unsigned depth)
{
	struct rg_expr *e = tg_rego_e_new(cc, ir_loc(cc, &x->loc));
	size_t i;
	e->negated = x->negated;
	switch (x->kind) {
	case TG_RE_TERM:
		e->kind = RG_EX_TERM;
		e->t = ir_term(cc, x->term, depth + 1);
		break;
	case TG_RE_SOME_DECL:
		e->kind = RG_EX_SOME;
		e->nvars = (uint32_t)x->q.n;
		e->vars = tg_rego_alloc(cc, (x->q.n ? x->q.n : 1) * sizeof(*e->vars));
		for (i = 0; i < x->q.n; i++)
			e->vars[i] = ir_term(cc, x->q.vars[i], depth + 1);
		break;
	case TG_RE_SOME_IN:
		e->kind = RG_EX_SOMEIN;
		e->key = ir_term(cc, x->q.key, depth + 1);
		e->val = ir_term(cc, x->q.value, depth + 1);
		e->domain = ir_term(cc, x->q.domain, depth + 1);
		break;
	case TG_RE_EVERY:
		e->kind = RG_EX_EVERY;
		e->key = ir_term(cc, x->q.key, depth + 1);
		e->val = ir_term(cc, x->q.value, depth + 1);
		e->domain = ir_term(cc, x->q.domain, depth + 1);
		e->body = ir_body(cc, x->q.body, depth + 1);
		break;
	default:
		tg_rego_cc_err(cc, "rego_compile_error", &x->loc, "unknown expression kind");
		e->t = tg_rego_t_val(cc, &tg_json_true_v, &x->loc);
		break;
	}
	if (x->nwith) {
		e->nwith = (uint32_t)x->nwith;
		e->with = tg_rego_alloc(cc, x->nwith * sizeof(*e->with));
		for (i = 0; i < x->nwith; i++) {
			struct rg_with *w = tg_rego_alloc(cc, sizeof(*w));
			w->target = ir_term(cc, x->with[i]->target, depth + 1);
			w->value = ir_term(cc, x->with[i]->value, depth + 1);
			w->loc = *ir_loc(cc, &x->with[i]->loc);
			e->with[i] = w;
		}
	}
	return e;
}

static struct rg_body *ir_body(struct rg_cc *cc, const struct tg_rego_body *b, unsigned depth)
{
	struct rg_body *r;
	size_t i;
	if (!b)
		return tg_rego_b_new(cc, NULL);
	r = tg_rego_b_new(cc, ir_loc(cc, &b->loc));
	for (i = 0; i < b->n; i++)
		tg_rego_b_append(cc, r, ir_expr(cc, b->exprs[i], depth + 1));
	return r;
}

struct rg_term *tg_rego_ir_term(struct rg_cc *cc, const struct tg_rego_term *t)
{
	return ir_term(cc, t, 0);
}

struct rg_body *tg_rego_ir_body(struct rg_cc *cc, const struct tg_rego_body *b)
{
	return ir_body(cc, b, 0);
}

/* Appends the items of a package or rule ref (var head as a string) to
 * the collection out. */
static void ref_to_path(struct rg_cc *cc, const struct rg_term *r, struct rg_term **out,
			uint32_t *n)
{
	uint32_t i;
	if (r->kind == RG_VAR) {
		out[(*n)++] = tg_rego_t_str(cc, r->u.var, &r->loc);
		return;
	}
	if (r->kind == RG_VAL) {
		out[(*n)++] = (struct rg_term *)r;
		return;
	}
	if (r->kind != RG_REF)
		return;
	for (i = 0; i < r->u.c.n; i++) {
		const struct rg_term *x = r->u.c.items[i];
		if (i == 0 && x->kind == RG_VAR)
			out[(*n)++] = tg_rego_t_str(cc, x->u.var, &x->loc);
		else
			out[(*n)++] = (struct rg_term *)x;
	}
}

static uint32_t ref_len(const struct rg_term *r)
{
	return r->kind == RG_REF ? r->u.c.n : 1;
}

/* Builds one rule (and its else chain) of module m. */
static struct rg_rule *ir_rule(struct rg_cc *cc, struct rg_module *m, const struct tg_rego_rule *x,
			       const struct rg_rule *first)
{
	struct rg_rule *r = tg_rego_alloc(cc, sizeof(*r));
	struct rg_term *rel, *full;
	uint32_t n = 0, cap;
	size_t i;

	r->loc = *ir_loc(cc, &x->loc);
	r->mod = m;
	r->is_default = x->is_default;
	r->assign = x->assign;
	r->annotations = x->annotations ? ir_value(cc, x->annotations) : NULL;
	if (first) {
		/* else: same ref and args as the rule it belongs to */
		r->is_else = true;
		r->ref = first->ref;
		r->kind = first->kind;
		r->args = tg_rego_alloc(cc, (first->nargs ? first->nargs : 1) * sizeof(*r->args));
		r->nargs = first->nargs;
		for (i = 0; i < first->nargs; i++) {
			if (x->args && i < x->nargs)
				r->args[i] = ir_term(cc, x->args[i], 1);
			else
				r->args[i] = tg_rego_t_copy(cc, first->args[i]);
		}
	} else {
		rel = ir_term(cc, x->ref, 1);
		cap = ref_len(m->package) + ref_len(rel) + 1;
		full = tg_rego_t_coll(cc, RG_REF, cap, &r->loc);
		full->u.c.items[n++] = tg_rego_t_var(cc, cc->n_data, &r->loc);
		full->u.c.items[n - 1]->flags |= RG_F_DATA;
		/* the package ref is data.a.b: skip its head */
		for (i = 1; i < m->package->u.c.n; i++)
			full->u.c.items[n++] = m->package->u.c.items[i];
		ref_to_path(cc, rel, full->u.c.items, &n);
		full->u.c.n = n;
		r->ref = full;
		r->nargs = (uint32_t)x->nargs;
		r->args = tg_rego_alloc(cc, (x->nargs ? x->nargs : 1) * sizeof(*r->args));
		for (i = 0; i < x->nargs; i++)
			r->args[i] = ir_term(cc, x->args[i], 1);
		if (x->is_func)
			r->kind = RG_RK_FUNC;
		else if (x->multi)
			r->kind = RG_RK_MULTI;
		else
			r->kind = RG_RK_SINGLE;
	}
	if (r->kind == RG_RK_MULTI && !first)
		r->key = ir_term(cc, x->key, 1);
	if (x->value)
		r->value = ir_term(cc, x->value, 1);
	else if (r->kind != RG_RK_MULTI)
		r->value = tg_rego_t_val(cc, &tg_json_true_v, &r->loc);
	r->body = ir_body(cc, x->body, 1);
	if (r->body->n == 0) {
		struct rg_expr *e = tg_rego_e_new(cc, &r->loc);
		e->t = tg_rego_t_val(cc, &tg_json_true_v, &r->loc);
		tg_rego_b_append(cc, r->body, e);
	}
	if (x->els)
		r->els = ir_rule(cc, m, x->els, first ? first : r);
	return r;
}

struct rg_module *tg_rego_ir_module(struct rg_cc *cc, const struct tg_rego_module *x)
{
	struct rg_module *m = tg_rego_alloc(cc, sizeof(*m));
	struct rg_term *pkg;
	uint32_t n = 0;
	size_t i;

	m->file = x->file ? tg_arena_strndup(cc->a, x->file, strlen(x->file)) : "";
	if (!m->file) {
		cc->oom = true;
		m->file = "";
	}
	cc->curfile = m->file;
	m->v1 = x->v1;
	m->package_loc = *ir_loc(cc, &x->package_loc);
	m->package_annotations = x->package_annotations ? ir_value(cc, x->package_annotations) : NULL;
	pkg = x->package ? ir_term(cc, x->package, 1) : NULL;
	m->package = tg_rego_t_coll(cc, RG_REF, 1 + (pkg ? ref_len(pkg) : 0), &m->package_loc);
	m->package->u.c.items[n++] = tg_rego_t_var(cc, cc->n_data, &m->package_loc);
	m->package->u.c.items[0]->flags |= RG_F_DATA;
	if (pkg)
		ref_to_path(cc, pkg, m->package->u.c.items, &n);
	m->package->u.c.n = n;

	m->nimports = (uint32_t)x->nimports;
	m->imports = tg_rego_alloc(cc, (x->nimports ? x->nimports : 1) * sizeof(*m->imports));
	for (i = 0; i < x->nimports; i++) {
		m->imports[i].path = ir_term(cc, x->imports[i]->path, 1);
		m->imports[i].loc = *ir_loc(cc, &x->imports[i]->loc);
		m->imports[i].alias = x->imports[i]->alias
					      ? tg_rego_intern(cc, x->imports[i]->alias,
							       strlen(x->imports[i]->alias))
					      : NULL;
	}
	m->nrules = (uint32_t)x->nrules;
	m->rules = tg_rego_alloc(cc, (x->nrules ? x->nrules : 1) * sizeof(*m->rules));
	for (i = 0; i < x->nrules; i++)
		m->rules[i] = ir_rule(cc, m, x->rules[i], NULL);
	return m;
}

/* ---- queries on terms ---- */

bool tg_rego_t_is_var(const struct rg_term *t, const char *name)
{
	return t && t->kind == RG_VAR && t->u.var == name;
}

bool tg_rego_t_scalar(const struct rg_term *t)
{
	return t && t->kind == RG_VAL && t->u.v->type <= TG_JSON_STRING;
}

bool tg_rego_t_is_compr(const struct rg_term *t)
{
	return t && (t->kind == RG_ACOMP || t->kind == RG_SCOMP || t->kind == RG_OCOMP);
}

static bool t_ground(const struct rg_term *t, unsigned depth)
{
	uint32_t i;
	if (depth > IR_MAX_DEPTH)
		return false;
	switch (t->kind) {
	case RG_VAL:
		return true;
	case RG_ARR:
	case RG_OBJ:
	case RG_SET:
		for (i = 0; i < t->u.c.n; i++)
			if (!t_ground(t->u.c.items[i], depth + 1))
				return false;
		return true;
	default:
		return false;
	}
}

bool tg_rego_t_ground(const struct rg_term *t)
{
	return t && t_ground(t, 0);
}

static bool t_contains(const struct rg_term *t, unsigned what, unsigned depth)
{
	uint32_t i;
	if (!t || depth > IR_MAX_DEPTH)
		return false;
	switch (t->kind) {
	case RG_REF:
		if (what & 1)
			return true;
		__attribute__((fallthrough));
	case RG_ARR:
	case RG_OBJ:
	case RG_SET:
		for (i = 0; i < t->u.c.n; i++)
			if (t_contains(t->u.c.items[i], what, depth + 1))
				return true;
		return false;
	case RG_CALL:
		if (what & 4)
			return true;
		for (i = 1; i < t->u.c.n; i++)
			if (t_contains(t->u.c.items[i], what, depth + 1))
				return true;
		return false;
	case RG_ACOMP:
	case RG_SCOMP:
	case RG_OCOMP:
		return (what & 2) != 0;
	default:
		return false;
	}
}

bool tg_rego_t_requires_eval(const struct rg_term *t)
{
	return t_contains(t, 1 | 2, 0);
}

bool tg_rego_t_contains_call(const struct rg_term *t)
{
	return t_contains(t, 4, 0);
}

static bool t_eq(const struct rg_term *a, const struct rg_term *b, unsigned depth)
{
	uint32_t i;
	if (a == b)
		return true;
	if (!a || !b || a->kind != b->kind || depth > IR_MAX_DEPTH)
		return false;
	switch (a->kind) {
	case RG_VAL:
		return tg_json_eq(a->u.v, b->u.v);
	case RG_VAR:
		return a->u.var == b->u.var;
	case RG_REF:
	case RG_ARR:
	case RG_OBJ:
	case RG_SET:
	case RG_CALL:
		if (a->u.c.n != b->u.c.n)
			return false;
		for (i = 0; i < a->u.c.n; i++)
			if (!t_eq(a->u.c.items[i], b->u.c.items[i], depth + 1))
				return false;
		return true;
	default:
		return false;
	}
}

bool tg_rego_t_eq(const struct rg_term *a, const struct rg_term *b)
{
	return t_eq(a, b, 0);
}

bool tg_rego_ref_is_data(const struct rg_term *t)
{
	return t && t->kind == RG_REF && t->u.c.items[0]->kind == RG_VAR &&
	       (t->u.c.items[0]->flags & RG_F_DATA);
}

bool tg_rego_ref_is_input(const struct rg_term *t)
{
	return t && t->kind == RG_REF && t->u.c.items[0]->kind == RG_VAR &&
	       (t->u.c.items[0]->flags & RG_F_INPUT);
}

bool tg_rego_e_is_call(const struct rg_expr *e)
{
	return e->kind == RG_EX_TERM && e->t && e->t->kind == RG_CALL;
}

bool tg_rego_e_is_eq(const struct rg_cc *cc, const struct rg_expr *e)
{
	return tg_rego_e_is_call(e) && e->t->u.c.n == 3 && tg_rego_t_is_var(e->t->u.c.items[0], cc->n_eq);
}

bool tg_rego_e_is_assign(const struct rg_cc *cc, const struct rg_expr *e)
{
	return tg_rego_e_is_call(e) && e->t->u.c.n == 3 &&
	       tg_rego_t_is_var(e->t->u.c.items[0], cc->n_assign);
}

const char *tg_rego_call_name(struct rg_cc *cc, const struct rg_term *call, struct tg_buf *tmp)
{
	const struct rg_term *op = call->u.c.items[0];
	uint32_t i;
	if (op->kind == RG_VAR)
		return op->u.var;
	if (op->kind != RG_REF)
		return "";
	tg_buf_reset(tmp);
	for (i = 0; i < op->u.c.n; i++) {
		const struct rg_term *x = op->u.c.items[i];
		tg_err e = TG_OK;
		if (i == 0 && x->kind == RG_VAR)
			e = tg_buf_adds(tmp, x->u.var);
		else if (i > 0 && x->kind == RG_VAL && x->u.v->type == TG_JSON_STRING) {
			e = tg_buf_addc(tmp, '.');
			if (e == TG_OK)
				e = tg_buf_add(tmp, x->u.v->u.s.p, x->u.v->u.s.len);
		} else
			return "";
		if (e != TG_OK) {
			cc->oom = true;
			return "";
		}
	}
	return tg_buf_str(tmp);
}

/* ---- var sets ---- */

void *tg_rego_tmp_grow(struct rg_cc *cc, void *v, uint32_t n, uint32_t *cap, size_t elem,
		       uint32_t first)
{
	uint32_t ncap;
	void *nv;
	if (n < *cap)
		return v;
	if (*cap > UINT32_MAX / 2) {
		cc->oom = true;
		return NULL;
	}
	ncap = *cap ? *cap * 2 : first;
	nv = tg_arena_alloc_array(&cc->tmp, ncap, elem);
	if (!nv) {
		cc->oom = true;
		return NULL;
	}
	if (n)
		memcpy(nv, v, (size_t)n * elem);
	*cap = ncap;
	return nv;
}

void tg_rego_vs_add(struct rg_cc *cc, struct rg_vset *s, const char *v)
{
	if (tg_rego_vs_has(s, v))
		return;
	const char **nv = tg_rego_tmp_grow(cc, s->v, s->n, &s->cap, sizeof(*s->v), 8);
	if (!nv)
		return;
	s->v = nv;
	s->v[s->n++] = v;
}

bool tg_rego_vs_has(const struct rg_vset *s, const char *v)
{
	uint32_t i;
	for (i = 0; i < s->n; i++)
		if (s->v[i] == v)
			return true;
	return false;
}

void tg_rego_vs_union(struct rg_cc *cc, struct rg_vset *s, const struct rg_vset *o)
{
	uint32_t i;
	for (i = 0; i < o->n; i++)
		tg_rego_vs_add(cc, s, o->v[i]);
}

void tg_rego_vs_copy(struct rg_cc *cc, struct rg_vset *dst, const struct rg_vset *src)
{
	dst->n = 0;
	tg_rego_vs_union(cc, dst, src);
}

void tg_rego_vs_diff(struct rg_cc *cc, struct rg_vset *out, const struct rg_vset *s,
		     const struct rg_vset *o)
{
	uint32_t i;
	out->n = 0;
	for (i = 0; i < s->n; i++)
		if (!tg_rego_vs_has(o, s->v[i]))
			tg_rego_vs_add(cc, out, s->v[i]);
}

void tg_rego_vs_remove(struct rg_vset *s, const char *v)
{
	uint32_t i;
	for (i = 0; i < s->n; i++)
		if (s->v[i] == v) {
			s->v[i] = s->v[--s->n];
			return;
		}
}

/* ---- var visitors ---- */

static void vars_body(struct rg_cc *cc, const struct rg_body *b, unsigned p, struct rg_vset *s,
		      unsigned depth);
static void vars_expr(struct rg_cc *cc, const struct rg_expr *e, unsigned p, struct rg_vset *s,
		      unsigned depth);

static void vars_term(struct rg_cc *cc, const struct rg_term *t, unsigned p, struct rg_vset *s,
		      unsigned depth)
{
	uint32_t i;
	if (!t || depth > IR_MAX_DEPTH)
		return;
	switch (t->kind) {
	case RG_VAR:
		if (!(t->flags & (RG_F_DATA | RG_F_INPUT)))
			tg_rego_vs_add(cc, s, t->u.var);
		return;
	case RG_REF:
		for (i = (p & RG_VV_SKIP_REF_HEAD) ? 1 : 0; i < t->u.c.n; i++)
			vars_term(cc, t->u.c.items[i], p, s, depth + 1);
		return;
	case RG_CALL:
		if (p & RG_VV_SKIP_REF_CALL_HEAD) {
			/* the operator's name is not a var; its ref path may hold some */
			const struct rg_term *op = t->u.c.items[0];
			if (op->kind == RG_REF)
				for (i = 1; i < op->u.c.n; i++)
					vars_term(cc, op->u.c.items[i], p, s, depth + 1);
			for (i = 1; i < t->u.c.n; i++)
				vars_term(cc, t->u.c.items[i], p, s, depth + 1);
			return;
		}
		for (i = 0; i < t->u.c.n; i++)
			vars_term(cc, t->u.c.items[i], p, s, depth + 1);
		return;
	case RG_SET:
		if (p & RG_VV_SKIP_SETS)
			return;
		__attribute__((fallthrough));
	case RG_ARR:
		for (i = 0; i < t->u.c.n; i++)
			vars_term(cc, t->u.c.items[i], p, s, depth + 1);
		return;
	case RG_OBJ:
		for (i = 0; i < t->u.c.n; i++) {
			if ((i & 1) == 0 && (p & RG_VV_SKIP_OBJECT_KEYS))
				continue;
			vars_term(cc, t->u.c.items[i], p, s, depth + 1);
		}
		return;
	case RG_ACOMP:
	case RG_SCOMP:
	case RG_OCOMP:
		if (p & RG_VV_SKIP_CLOSURES)
			return;
		vars_term(cc, t->u.k.key, p, s, depth + 1);
		vars_term(cc, t->u.k.val, p, s, depth + 1);
		vars_body(cc, t->u.k.body, p, s, depth + 1);
		return;
	default:
		return;
	}
}

static void vars_expr(struct rg_cc *cc, const struct rg_expr *e, unsigned p, struct rg_vset *s,
		      unsigned depth)
{
	uint32_t i;
	switch (e->kind) {
	case RG_EX_TERM:
		vars_term(cc, e->t, p, s, depth + 1);
		break;
	case RG_EX_SOME:
		for (i = 0; i < e->nvars; i++)
			vars_term(cc, e->vars[i], p, s, depth + 1);
		break;
	case RG_EX_SOMEIN:
		vars_term(cc, e->key, p, s, depth + 1);
		vars_term(cc, e->val, p, s, depth + 1);
		vars_term(cc, e->domain, p, s, depth + 1);
		break;
	case RG_EX_EVERY:
		vars_term(cc, e->domain, p, s, depth + 1);
		if (!(p & RG_VV_SKIP_CLOSURES)) {
			vars_term(cc, e->key, p, s, depth + 1);
			vars_term(cc, e->val, p, s, depth + 1);
			vars_body(cc, e->body, p, s, depth + 1);
		}
		break;
	default:
		break;
	}
	for (i = 0; i < e->nwith; i++)
		tg_rego_vars_with(cc, e->with[i], p, s);
}

void tg_rego_vars_with(struct rg_cc *cc, const struct rg_with *w, unsigned p, struct rg_vset *s)
{
	{
		const struct rg_term *tg = w->target, *v = w->value;
		unsigned depth = 1;
		if (p & RG_VV_SKIP_REF_CALL_HEAD) {
			/* targets and function values are names, not vars */
			uint32_t j;
			if (tg->kind == RG_REF)
				for (j = 1; j < tg->u.c.n; j++)
					vars_term(cc, tg->u.c.items[j], p, s, depth + 1);
			if (v->kind == RG_REF) {
				for (j = 1; j < v->u.c.n; j++)
					vars_term(cc, v->u.c.items[j], p, s, depth + 1);
			} else if (!(v->kind == RG_VAR && tg_rego_builtin_lookup(v->u.var, strlen(v->u.var))))
				vars_term(cc, v, p, s, depth + 1);
			return;
		}
		if (!(p & RG_VV_SKIP_WITH_TARGET))
			vars_term(cc, tg, p, s, depth + 1);
		vars_term(cc, v, p, s, depth + 1);
	}
}

static void vars_body(struct rg_cc *cc, const struct rg_body *b, unsigned p, struct rg_vset *s,
		      unsigned depth)
{
	uint32_t i;
	if (!b || depth > IR_MAX_DEPTH)
		return;
	for (i = 0; i < b->n; i++)
		vars_expr(cc, b->e[i], p, s, depth + 1);
}

void tg_rego_vars_term(struct rg_cc *cc, const struct rg_term *t, unsigned params, struct rg_vset *s)
{
	vars_term(cc, t, params, s, 0);
}

void tg_rego_vars_expr(struct rg_cc *cc, const struct rg_expr *e, unsigned params, struct rg_vset *s)
{
	vars_expr(cc, e, params, s, 0);
}

void tg_rego_vars_body(struct rg_cc *cc, const struct rg_body *b, unsigned params, struct rg_vset *s)
{
	vars_body(cc, b, params, s, 0);
}

/* ---- printing ---- */

static void print_term(const struct rg_cc *cc, struct tg_buf *b, const struct rg_term *t,
		       unsigned depth);

static void print_str_key(struct tg_buf *b, const struct tg_json *v, bool first)
{
	/* a.b for identifiers, a["b c"] otherwise */
	size_t i;
	bool ident = v->u.s.len > 0;
	for (i = 0; i < v->u.s.len && ident; i++) {
		char c = v->u.s.p[i];
		ident = (c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (i > 0 && c >= '0' && c <= '9'));
	}
	if (ident) {
		if (!first)
			rg_putc(b, '.');
		rg_putn(b, v->u.s.p, v->u.s.len);
	} else {
		rg_putc(b, '[');
		if (tg_json_emit(b, v, 0) != TG_OK)
			return;
		rg_putc(b, ']');
	}
}

static void print_items(const struct rg_cc *cc, struct tg_buf *b, const struct rg_term *t,
			uint32_t from, const char *sep, unsigned depth)
{
	uint32_t i;
	for (i = from; i < t->u.c.n; i++) {
		if (i > from)
			rg_puts(b, sep);
		print_term(cc, b, t->u.c.items[i], depth + 1);
	}
}

static void print_body(const struct rg_cc *cc, struct tg_buf *b, const struct rg_body *body,
		       unsigned depth)
{
	uint32_t i;
	for (i = 0; body && i < body->n; i++) {
		const struct rg_expr *e = body->e[i];
		if (i > 0)
			rg_puts(b, "; ");
		if (e->negated)
			rg_puts(b, "not ");
		if (e->kind == RG_EX_TERM)
			print_term(cc, b, e->t, depth + 1);
		else if (e->kind == RG_EX_EVERY)
			rg_puts(b, "every ...");
		else
			rg_puts(b, "some ...");
	}
}

static void print_term(const struct rg_cc *cc, struct tg_buf *b, const struct rg_term *t,
		       unsigned depth)
{
	uint32_t i;
	if (!t)
		return;
	if (depth > 32 || b->len > 400) {
		rg_puts(b, "...");
		return;
	}
	switch (t->kind) {
	case RG_VAL:
		if (tg_rego_value_print(b, t->u.v, false) != TG_OK)
			return;
		break;
	case RG_VAR:
		rg_puts(b, cc ? tg_rego_user_name(cc, t->u.var) : t->u.var);
		break;
	case RG_REF:
		for (i = 0; i < t->u.c.n; i++) {
			const struct rg_term *x = t->u.c.items[i];
			if (i == 0) {
				print_term(cc, b, x, depth + 1);
			} else if (x->kind == RG_VAL && x->u.v->type == TG_JSON_STRING) {
				print_str_key(b, x->u.v, false);
			} else {
				rg_putc(b, '[');
				print_term(cc, b, x, depth + 1);
				rg_putc(b, ']');
			}
		}
		break;
	case RG_ARR:
		rg_putc(b, '[');
		print_items(cc, b, t, 0, ", ", depth);
		rg_putc(b, ']');
		break;
	case RG_SET:
		if (t->u.c.n == 0) {
			rg_puts(b, "set()");
			break;
		}
		rg_putc(b, '{');
		print_items(cc, b, t, 0, ", ", depth);
		rg_putc(b, '}');
		break;
	case RG_OBJ:
		rg_putc(b, '{');
		for (i = 0; i + 1 < t->u.c.n; i += 2) {
			if (i)
				rg_puts(b, ", ");
			print_term(cc, b, t->u.c.items[i], depth + 1);
			rg_puts(b, ": ");
			print_term(cc, b, t->u.c.items[i + 1], depth + 1);
		}
		rg_putc(b, '}');
		break;
	case RG_CALL:
		print_term(cc, b, t->u.c.items[0], depth + 1);
		rg_putc(b, '(');
		print_items(cc, b, t, 1, ", ", depth);
		rg_putc(b, ')');
		break;
	case RG_ACOMP:
	case RG_SCOMP:
	case RG_OCOMP:
		rg_puts(b, t->kind == RG_ACOMP ? "[" : "{");
		if (t->kind == RG_OCOMP) {
			print_term(cc, b, t->u.k.key, depth + 1);
			rg_puts(b, ": ");
		}
		print_term(cc, b, t->u.k.val, depth + 1);
		rg_puts(b, " | ");
		print_body(cc, b, t->u.k.body, depth + 1);
		rg_puts(b, t->kind == RG_ACOMP ? "]" : "}");
		break;
	default:
		break;
	}
}

void tg_rego_term_print(struct tg_buf *b, const struct rg_term *t)
{
	print_term(NULL, b, t, 0);
}

void tg_rego_term_print_cc(const struct rg_cc *cc, struct tg_buf *b, const struct rg_term *t)
{
	print_term(cc, b, t, 0);
}

static tg_err value_print(struct tg_buf *b, const struct tg_json *v, unsigned depth)
{
	size_t i;
	tg_err e;
	if (depth > 64)
		return tg_buf_adds(b, "...");
	switch (v->type) {
	case TG_JSON_SET:
		if (v->u.a.len == 0)
			return tg_buf_adds(b, "set()");
		if ((e = tg_buf_addc(b, '{')) != TG_OK)
			return e;
		for (i = 0; i < v->u.a.len; i++) {
			if (i && (e = tg_buf_adds(b, ", ")) != TG_OK)
				return e;
			if ((e = value_print(b, v->u.a.items[i], depth + 1)) != TG_OK)
				return e;
		}
		return tg_buf_addc(b, '}');
	case TG_JSON_ARRAY:
		if ((e = tg_buf_addc(b, '[')) != TG_OK)
			return e;
		for (i = 0; i < v->u.a.len; i++) {
			if (i && (e = tg_buf_adds(b, ", ")) != TG_OK)
				return e;
			if ((e = value_print(b, v->u.a.items[i], depth + 1)) != TG_OK)
				return e;
		}
		return tg_buf_addc(b, ']');
	case TG_JSON_OBJECT:
		if ((e = tg_buf_addc(b, '{')) != TG_OK)
			return e;
		for (i = 0; i < v->u.o.len; i++) {
			if (i && (e = tg_buf_adds(b, ", ")) != TG_OK)
				return e;
			if ((e = value_print(b, v->u.o.items[i].key, depth + 1)) != TG_OK)
				return e;
			if ((e = tg_buf_adds(b, ": ")) != TG_OK)
				return e;
			if ((e = value_print(b, v->u.o.items[i].val, depth + 1)) != TG_OK)
				return e;
		}
		return tg_buf_addc(b, '}');
	default:
		return tg_json_emit(b, v, 0);
	}
}

tg_err tg_rego_value_print(struct tg_buf *b, const struct tg_json *v, bool raw)
{
	if (raw && v->type == TG_JSON_STRING)
		return tg_buf_add(b, v->u.s.p, v->u.s.len);
	return value_print(b, v, 0);
}

/* ---- errors ---- */

void tg_rego_errors_add(struct tg_rego_errors *errs, const char *code,
			const struct tg_rego_loc *loc, const char *fmt, ...)
{
	struct tg_rego_error *e;
	va_list ap;
	if (!errs)
		return;
	if (errs->n >= TG_REGO_MAX_ERRORS) {
		errs->limit = true;
		return;
	}
	if (errs->n == errs->cap) {
		errs->cap = errs->cap ? errs->cap * 2 : 4;
		errs->v = tg_xreallocarray(errs->v, errs->cap, sizeof(*errs->v));
	}
	e = &errs->v[errs->n++];
	memset(e, 0, sizeof(*e));
	e->code = code;
	if (loc)
		e->loc = *loc;
	if (!e->loc.file)
		e->loc.file = "";
	va_start(ap, fmt);
	(void)vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

void tg_rego_cc_err(struct rg_cc *cc, const char *code, const struct tg_rego_loc *loc,
		    const char *fmt, ...)
{
	struct tg_rego_error *e;
	va_list ap;
	struct tg_rego_errors *errs = cc->errs;
	if (!errs)
		return;
	if (errs->n >= TG_REGO_MAX_ERRORS) {
		errs->limit = true;
		return;
	}
	tg_rego_errors_add(errs, code, loc, "%s", "");
	e = &errs->v[errs->n - 1];
	va_start(ap, fmt);
	(void)vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}
