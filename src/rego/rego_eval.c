/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_eval.c - top-down evaluation of compiled Rego: bodies in
 * continuation-passing style with unification and backtracking over an
 * undo trail, refs into input, base and virtual documents, rules and
 * functions with per-evaluation memos, negation, every, comprehensions, with.
 */

/*
 * Rule and function evaluations are materialised (all solutions collected)
 * before the caller continues, as OPA does, so the C stack grows with the
 * nesting of rules and the length of one body, never with iteration. Depth
 * and stack use are checked on entry of every recursive step.
 */
#include "rego/rego_eval.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"

struct k {
	tg_err (*fn)(struct ev *e, struct k *k);
};

struct kv {
	tg_err (*fn)(struct ev *e, struct kv *k, const struct tg_json *v);
};

#define CONTAINER(p, type, member) ((type *)(void *)((char *)(p) - offsetof(type, member)))

/* ---- errors and limits ---- */

tg_err tg_rego_ev_error(struct ev *e, tg_err code, const char *ecode, const struct tg_rego_loc *loc,
			const char *fmt, ...)
{
	struct tg_rego_error *x;
	va_list ap;
	if (e->errs && e->errs->n == 0) {
		tg_rego_errors_add(e->errs, ecode, loc, "%s", "");
		x = &e->errs->v[e->errs->n - 1];
		va_start(ap, fmt);
		(void)vsnprintf(x->msg, sizeof(x->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

static tg_err ev_oom(struct ev *e)
{
	return tg_rego_ev_error(e, TG_E_TOOBIG, "eval_cancel_error", NULL,
				"evaluation exceeded its memory limit (%zu bytes)", e->a->max);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static tg_err ev_step(struct ev *e, const struct tg_rego_loc *loc)
{
	if (e->steps_left == 0)
		return tg_rego_ev_error(e, TG_E_TOOBIG, "eval_cancel_error", loc,
					"evaluation exceeded its step limit (%llu steps)",
					(unsigned long long)e->steps_max);
	e->steps_left--;
	if (e->oom)
		return ev_oom(e);
	if (e->deadline_ns && ++e->tick >= 1024) {
		e->tick = 0;
		if (mono_ns() > e->deadline_ns)
			return tg_rego_ev_error(e, TG_E_TIMEOUT, "eval_cancel_error", loc,
						"evaluation exceeded its time limit");
	}
	return TG_OK;
}

/* Entered before every nested evaluation (rule, function, comprehension,
 * negation, every): depth and C stack are bounded. */
static tg_err ev_enter(struct ev *e, const struct tg_rego_loc *loc)
{
	char probe;
	uintptr_t here = (uintptr_t)&probe;
	size_t used = e->stack_base > here ? e->stack_base - here : here - e->stack_base;
	if (++e->depth > e->depth_max || used > e->stack_max) {
		e->depth--;
		return tg_rego_ev_error(e, TG_E_DEPTH, "eval_cancel_error", loc,
					"evaluation exceeded its depth limit (%u nested evaluations)",
					e->depth_max);
	}
	return TG_OK;
}

static void ev_leave(struct ev *e)
{
	e->depth--;
}

const struct tg_json *tg_rego_ev_int(struct ev *e, int64_t i)
{
	const struct tg_json *v = NULL;
	if (i >= 0 && i < (int64_t)TG_ARRAY_LEN(e->ints) && e->ints[i])
		return e->ints[i];
	if (tg_json_new_int(e->a, i, &v) != TG_OK) {
		e->oom = true;
		return NULL;
	}
	if (i >= 0 && i < (int64_t)TG_ARRAY_LEN(e->ints))
		e->ints[i] = v;
	return v;
}

static bool is_compr(const struct rg_term *t)
{
	return t && (t->kind == RG_ACOMP || t->kind == RG_SCOMP || t->kind == RG_OCOMP);
}

/* ---- bindings ---- */

static const struct rg_term *deref(const struct ev_frame *f, const struct rg_term *t,
				   const struct tg_json **v)
{
	unsigned hops = 0;
	*v = NULL;
	while (t && t->kind == RG_VAR && t->slot >= 0 && hops++ < 10000) {
		const struct ev_bnd *b = &f->s[t->slot];
		if (b->v) {
			*v = b->v;
			return NULL;
		}
		if (!b->t)
			return t;
		t = b->t;
	}
	if (t && t->kind == RG_VAL) {
		*v = t->u.v;
		return NULL;
	}
	return t;
}

static bool ev_bind(struct ev *e, const struct ev_frame *f, int32_t slot, const struct tg_json *v,
		    const struct rg_term *t)
{
	struct ev_bnd *b = &f->s[slot];
	if (e->ntrail == e->captrail) {
		size_t ncap = e->captrail ? e->captrail * 2 : 256;
		e->trail = tg_xreallocarray(e->trail, ncap, sizeof(*e->trail));
		e->captrail = ncap;
	}
	b->v = v;
	b->t = t;
	e->trail[e->ntrail++] = b;
	return true;
}

static void undo(struct ev *e, size_t mark)
{
	while (e->ntrail > mark) {
		struct ev_bnd *b = e->trail[--e->ntrail];
		b->v = NULL;
		b->t = NULL;
	}
}

static const struct tg_json *plug(struct ev *e, const struct ev_frame *f, const struct rg_term *t,
				  unsigned depth)
{
	const struct tg_json *v, **items, *out = NULL;
	uint32_t i;
	tg_err rc;
	if (depth > 512)
		return NULL;
	t = deref(f, t, &v);
	if (!t)
		return v;
	switch (t->kind) {
	case RG_ARR:
	case RG_SET:
		items = tg_arena_alloc_array(e->a, t->u.c.n + 1, sizeof(*items));
		if (!items) {
			e->oom = true;
			return NULL;
		}
		for (i = 0; i < t->u.c.n; i++)
			if (!(items[i] = plug(e, f, t->u.c.items[i], depth + 1)))
				return NULL;
		rc = t->kind == RG_ARR ? tg_json_new_array(e->a, items, t->u.c.n, &out)
				       : tg_json_new_set(e->a, items, t->u.c.n, &out);
		if (rc != TG_OK) {
			e->oom = true;
			return NULL;
		}
		return out;
	case RG_OBJ: {
		struct tg_json_member *m = tg_arena_alloc_array(e->a, t->u.c.n / 2 + 1, sizeof(*m));
		if (!m) {
			e->oom = true;
			return NULL;
		}
		for (i = 0; i + 1 < t->u.c.n; i += 2) {
			if (!(m[i / 2].key = plug(e, f, t->u.c.items[i], depth + 1)))
				return NULL;
			if (!(m[i / 2].val = plug(e, f, t->u.c.items[i + 1], depth + 1)))
				return NULL;
		}
		if (tg_json_new_object(e->a, m, t->u.c.n / 2, TG_JSON_DUP_LAST, &out) != TG_OK) {
			e->oom = true;
			return NULL;
		}
		return out;
	}
	default:
		return NULL;
	}
}

const struct tg_json *tg_rego_ev_plug(struct ev *e, const struct ev_frame *f, const struct rg_term *t)
{
	return plug(e, f, t, 0);
}

/* ---- deterministic unification (no refs: they were bound to vars) ---- */

static bool udet_vt(struct ev *e, const struct ev_frame *f, const struct tg_json *v,
		    const struct rg_term *t, unsigned depth);

static bool udet_tt(struct ev *e, const struct ev_frame *f, const struct rg_term *a,
		    const struct rg_term *b, unsigned depth)
{
	const struct tg_json *va, *vb;
	uint32_t i, j;
	if (depth > 512)
		return false;
	a = deref(f, a, &va);
	b = deref(f, b, &vb);
	if (!a && !b)
		return tg_json_eq(va, vb);
	if (!a)
		return udet_vt(e, f, va, b, depth + 1);
	if (!b)
		return udet_vt(e, f, vb, a, depth + 1);
	if (a->kind == RG_VAR || b->kind == RG_VAR) {
		const struct rg_term *var = a->kind == RG_VAR ? a : b, *other = var == a ? b : a;
		const struct tg_json *pv;
		if (other->kind == RG_VAR && other->slot == var->slot)
			return true;
		if (var->slot < 0)
			return false;
		pv = other->kind == RG_VAR ? NULL : plug(e, f, other, depth + 1);
		return ev_bind(e, f, var->slot, pv, pv ? NULL : other);
	}
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case RG_ARR:
		if (a->u.c.n != b->u.c.n)
			return false;
		for (i = 0; i < a->u.c.n; i++)
			if (!udet_tt(e, f, a->u.c.items[i], b->u.c.items[i], depth + 1))
				return false;
		return true;
	case RG_OBJ:
		if (a->u.c.n != b->u.c.n)
			return false;
		for (i = 0; i + 1 < a->u.c.n; i += 2) {
			const struct tg_json *ka = plug(e, f, a->u.c.items[i], depth + 1);
			bool found = false;
			if (!ka)
				return false;
			for (j = 0; j + 1 < b->u.c.n; j += 2) {
				const struct tg_json *kb = plug(e, f, b->u.c.items[j], depth + 1);
				if (kb && tg_json_eq(ka, kb)) {
					if (!udet_tt(e, f, a->u.c.items[i + 1], b->u.c.items[j + 1], depth + 1))
						return false;
					found = true;
					break;
				}
			}
			if (!found)
				return false;
		}
		return true;
	case RG_SET: {
		const struct tg_json *pa = plug(e, f, a, depth + 1), *pb = plug(e, f, b, depth + 1);
		return pa && pb && tg_json_eq(pa, pb);
	}
	default:
		return false;
	}
}

static bool udet_vt(struct ev *e, const struct ev_frame *f, const struct tg_json *v,
		    const struct rg_term *t, unsigned depth)
{
	const struct tg_json *tv;
	uint32_t i;
	if (depth > 512)
		return false;
	t = deref(f, t, &tv);
	if (!t)
		return tg_json_eq(v, tv);
	switch (t->kind) {
	case RG_VAR:
		if (t->slot < 0)
			return false;
		return ev_bind(e, f, t->slot, v, NULL);
	case RG_ARR:
		if (v->type != TG_JSON_ARRAY || v->u.a.len != t->u.c.n)
			return false;
		for (i = 0; i < t->u.c.n; i++)
			if (!udet_vt(e, f, v->u.a.items[i], t->u.c.items[i], depth + 1))
				return false;
		return true;
	case RG_OBJ:
		if (v->type != TG_JSON_OBJECT || v->u.o.len != t->u.c.n / 2)
			return false;
		for (i = 0; i + 1 < t->u.c.n; i += 2) {
			const struct tg_json *k = plug(e, f, t->u.c.items[i], depth + 1), *x;
			if (!k)
				return false;
			x = tg_json_get_value(v, k);
			if (!x || !udet_vt(e, f, x, t->u.c.items[i + 1], depth + 1))
				return false;
		}
		return true;
	case RG_SET: {
		const struct tg_json *p = plug(e, f, t, depth + 1);
		return p && tg_json_eq(p, v);
	}
	default:
		return false;
	}
}

/* ---- forward declarations ---- */

static tg_err eval_body(struct ev *e, const struct ev_frame *f, const struct rg_body *b, uint32_t i,
			struct k *k);
static tg_err eval_term(struct ev *e, const struct ev_frame *f, const struct rg_term *t, struct kv *k);
static tg_err eval_ref(struct ev *e, const struct ev_frame *f, const struct rg_term *ref, struct kv *k);
static tg_err walk(struct ev *e, const struct ev_frame *f, const struct tg_json *v,
		   const struct rg_term *ref, uint32_t i, struct kv *k);
static tg_err eval_compr(struct ev *e, const struct ev_frame *f, const struct rg_term *t,
			 const struct tg_json **out);

/* ---- kmap ---- */

static uint64_t jhash(const struct tg_json *v, unsigned depth)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;
	double d;
	if (depth > 64)
		return h;
	switch (v->type) {
	case TG_JSON_NULL:
		return 11;
	case TG_JSON_BOOL:
		return v->u.b ? 13 : 17;
	case TG_JSON_NUMBER:
		if (tg_json_num_double(v, &d) != TG_OK)
			return 19;
		if (d == 0)
			d = 0; /* -0 */
		{
			uint64_t bits;
			memcpy(&bits, &d, sizeof(bits));
			return bits * 0x9E3779B97F4A7C15ULL;
		}
	case TG_JSON_STRING:
		for (i = 0; i < v->u.s.len; i++)
			h = (h ^ (unsigned char)v->u.s.p[i]) * 1099511628211ULL;
		return h;
	case TG_JSON_ARRAY:
	case TG_JSON_SET:
		for (i = 0; i < v->u.a.len; i++)
			h = (h ^ jhash(v->u.a.items[i], depth + 1)) * 1099511628211ULL;
		return h + v->type;
	case TG_JSON_OBJECT:
		for (i = 0; i < v->u.o.len; i++) {
			h = (h ^ jhash(v->u.o.items[i].key, depth + 1)) * 1099511628211ULL;
			h = (h ^ jhash(v->u.o.items[i].val, depth + 1)) * 1099511628211ULL;
		}
		return h + 7;
	default:
		return h;
	}
}

static struct ev_kent *kmap_find(struct ev *e, struct ev_kmap *m, uint32_t node,
				 const struct tg_json *key, bool create)
{
	uint64_t h;
	uint32_t i;
	if (m->cap == 0 || (create && (m->n + 1) * 2 > m->cap)) {
		uint32_t ncap = m->cap ? m->cap * 2 : 64, j;
		struct ev_kent *nv;
		if (!create && m->cap == 0)
			return NULL;
		nv = tg_arena_alloc_array(e->a, ncap, sizeof(*nv));
		if (!nv) {
			e->oom = true;
			return NULL;
		}
		memset(nv, 0, ncap * sizeof(*nv));
		for (j = 0; j < m->cap; j++) {
			struct ev_kent *o = &m->v[j];
			if (!o->used)
				continue;
			i = (uint32_t)((jhash(o->key, 0) ^ o->node * 0x9E3779B1u) & (ncap - 1));
			while (nv[i].used)
				i = (i + 1) & (ncap - 1);
			nv[i] = *o;
		}
		m->v = nv;
		m->cap = ncap;
	}
	h = jhash(key, 0) ^ node * 0x9E3779B1u;
	i = (uint32_t)(h & (m->cap - 1));
	while (m->v[i].used) {
		if (m->v[i].node == node && tg_json_eq(m->v[i].key, key))
			return &m->v[i];
		i = (i + 1) & (m->cap - 1);
	}
	if (!create)
		return NULL;
	m->v[i].used = true;
	m->v[i].node = node;
	m->v[i].key = key;
	m->v[i].val = NULL;
	m->n++;
	return &m->v[i];
}

/* ---- contexts ---- */

static bool ctx_memo(struct ev *e, struct ev_ctx *c)
{
	if (c->state)
		return true;
	c->state = tg_arena_alloc(e->a, e->p->nnodes + 1);
	c->val = tg_arena_alloc_array(e->a, e->p->nnodes + 1, sizeof(*c->val));
	if (!c->state || !c->val) {
		e->oom = true;
		return false;
	}
	memset(c->state, 0, e->p->nnodes + 1);
	memset(c->val, 0, (e->p->nnodes + 1) * sizeof(*c->val));
	return true;
}

/* True when path (keys[0..n)) is at or below a `with data` target. */
static bool ctx_shadowed(const struct ev_ctx *c, const struct tg_json *const *keys, uint32_t n)
{
	uint32_t i, j;
	for (i = 0; i < c->ntargets; i++) {
		const struct tg_json *t = c->targets[i];
		if (t->u.a.len > n)
			continue;
		for (j = 0; j < t->u.a.len; j++)
			if (!tg_json_eq(t->u.a.items[j], keys[j]))
				break;
		if (j == t->u.a.len)
			return true;
	}
	return false;
}

/* ---- growing lists of values ---- */

struct vlist {
	const struct tg_json **v;
	size_t n, cap;
};

static bool vlist_add(struct ev *e, struct vlist *l, const struct tg_json *v)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		const struct tg_json **nv = tg_arena_alloc_array(e->a, ncap, sizeof(*nv));
		if (!nv) {
			e->oom = true;
			return false;
		}
		if (l->n)
			memcpy(nv, l->v, l->n * sizeof(*nv));
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = v;
	return true;
}

/* ---- frames ---- */

static bool frame_new(struct ev *e, struct ev_frame *f, uint32_t n)
{
	f->n = n;
	f->s = tg_arena_alloc_array(e->a, n ? n : 1, sizeof(*f->s));
	if (!f->s) {
		e->oom = true;
		return false;
	}
	memset(f->s, 0, (n ? n : 1) * sizeof(*f->s));
	return true;
}

/* ---- rules: evaluating one rule body ---- */

/* Collects the solutions of a rule body. */
struct k_rule {
	struct k base;
	const struct ev_frame *f;
	const struct rg_rule *r;
	void (*on)(struct ev *e, struct k_rule *kr);
	/* complete rules and functions */
	const struct tg_json *v;
	bool produced;
	const char *conflict; /* message on two different values */
	/* multi-value and general rules */
	struct vlist *paths;  /* flattened: path array, value, (multi flag as bool value) */
	uint32_t from;        /* first ref item that is part of the object */
	bool stop_first;      /* membership test: one solution is enough */
	tg_err rc;
};

static tg_err k_rule_single(struct ev *e, struct k *k)
{
	struct k_rule *kr = CONTAINER(k, struct k_rule, base);
	const struct tg_json *v = plug(e, kr->f, kr->r->value, 0);
	if (!v)
		return e->oom ? ev_oom(e) : TG_OK;
	if (kr->v && !tg_json_eq(kr->v, v))
		return tg_rego_ev_error(e, TG_E_CONFLICT, "eval_conflict_error", &kr->r->loc, "%s",
					kr->conflict);
	kr->v = v;
	kr->produced = true;
	if (kr->r->const_value || kr->stop_first)
		return EV_STOP;
	return TG_OK;
}

/* One entry of a partial document: the path below the node, the value,
 * and whether the value is an element of a set at that path. */
static tg_err k_rule_partial(struct ev *e, struct k *k)
{
	struct k_rule *kr = CONTAINER(k, struct k_rule, base);
	const struct rg_rule *r = kr->r;
	uint32_t i, n = r->ref->u.c.n - kr->from;
	const struct tg_json **keys, *path = NULL, *val;
	keys = tg_arena_alloc_array(e->a, n + 1, sizeof(*keys));
	if (!keys)
		return ev_oom(e);
	for (i = 0; i < n; i++)
		if (!(keys[i] = plug(e, kr->f, r->ref->u.c.items[kr->from + i], 0)))
			return e->oom ? ev_oom(e) : TG_OK;
	if (tg_json_new_array(e->a, keys, n, &path) != TG_OK)
		return ev_oom(e);
	val = plug(e, kr->f, r->kind == RG_RK_MULTI ? r->key : r->value, 0);
	if (!val)
		return e->oom ? ev_oom(e) : TG_OK;
	if (!vlist_add(e, kr->paths, path) || !vlist_add(e, kr->paths, val) ||
	    !vlist_add(e, kr->paths, tg_json_bool(r->kind == RG_RK_MULTI)) ||
	    !vlist_add(e, kr->paths, (const struct tg_json *)(const void *)r))
		return ev_oom(e);
	kr->produced = true;
	return kr->stop_first ? EV_STOP : TG_OK;
}

/* Evaluates rule r (in a new frame) with optional pre-bound args or ref
 * element; kr collects. */
static tg_err eval_rule(struct ev *e, const struct rg_rule *r, struct k_rule *kr,
			const struct tg_json *const *args, uint32_t nargs, int32_t keypos,
			const struct tg_json *key)
{
	struct ev_frame f;
	size_t mark = e->ntrail;
	uint32_t i;
	tg_err rc;
	if ((rc = ev_enter(e, &r->loc)) != TG_OK)
		return rc;
	if (!frame_new(e, &f, r->nslots)) {
		ev_leave(e);
		return ev_oom(e);
	}
	kr->f = &f;
	kr->r = r;
	rc = TG_OK;
	for (i = 0; i < nargs && i < r->nargs; i++)
		if (!udet_vt(e, &f, args[i], r->args[i], 0))
			goto out;
	if (keypos >= 0) {
		const struct rg_term *kt = (uint32_t)keypos < r->ref->u.c.n ? r->ref->u.c.items[keypos]
									: r->key;
		if (!kt || !udet_vt(e, &f, key, kt, 0))
			goto out;
	}
	rc = eval_body(e, &f, r->body, 0, &kr->base);
	if (rc == EV_STOP)
		rc = TG_OK;
out:
	undo(e, mark);
	ev_leave(e);
	return rc;
}

/* A complete rule set (or function): each rule with its else chain; the
 * default when nothing was produced. */
static tg_err eval_complete_rules(struct ev *e, struct rg_rule *const *rules, uint32_t n,
				  const struct rg_rule *deflt, const struct tg_json *const *args,
				  uint32_t nargs, const char *conflict, const struct tg_json **out)
{
	struct k_rule kr;
	const struct tg_json *v = NULL;
	uint32_t i;
	tg_err rc;
	for (i = 0; i < n; i++) {
		const struct rg_rule *r;
		for (r = rules[i]; r; r = r->els) {
			memset(&kr, 0, sizeof(kr));
			kr.base.fn = k_rule_single;
			kr.conflict = conflict;
			kr.v = v;
			if ((rc = eval_rule(e, r, &kr, args, nargs, -1, NULL)) != TG_OK)
				return rc;
			if (kr.produced) {
				v = kr.v;
				break;
			}
		}
	}
	if (!v && deflt) {
		memset(&kr, 0, sizeof(kr));
		kr.base.fn = k_rule_single;
		kr.conflict = conflict;
		if ((rc = eval_rule(e, deflt, &kr, args, nargs, -1, NULL)) != TG_OK)
			return rc;
		v = kr.v;
	}
	*out = v;
	return TG_OK;
}

static tg_err recursion_error(struct ev *e, const struct rg_node *n)
{
	const struct rg_rule *r = n->nrules ? n->rules[0] : n->deflt;
	return tg_rego_ev_error(e, TG_E_STATE, "rego_recursion_error", r ? &r->loc : NULL,
				"rule is recursive");
}

static tg_err complete_value(struct ev *e, const struct rg_node *n, const struct tg_json **out)
{
	struct ev_ctx *c = e->cx;
	tg_err rc;
	if (!ctx_memo(e, c))
		return ev_oom(e);
	if (c->state[n->id] == 2) {
		*out = c->val[n->id];
		return TG_OK;
	}
	if (c->state[n->id] == 1)
		return recursion_error(e, n);
	c->state[n->id] = 1;
	rc = eval_complete_rules(e, n->rules, n->nrules, n->deflt, NULL, 0,
				 "complete rules must not produce multiple outputs", out);
	if (rc != TG_OK) {
		c->state[n->id] = 0;
		return rc;
	}
	c->state[n->id] = 2;
	c->val[n->id] = *out;
	return TG_OK;
}

/* ---- partial documents: sets and objects built from rule solutions ---- */

static int path_cmp(const void *a, const void *b);

struct pentry {
	const struct tg_json *path; /* array of keys */
	const struct tg_json *val;
	bool multi;
	const struct rg_rule *r;
};

static int pentry_cmp(const void *a, const void *b)
{
	const struct pentry *x = a, *y = b;
	return tg_json_cmp(x->path, y->path);
}

static int path_cmp(const void *a, const void *b)
{
	return pentry_cmp(a, b);
}

/* Builds the object of entries es[0..n) (sorted by path) at depth d. */
static tg_err build_object(struct ev *e, struct pentry *es, size_t n, uint32_t d,
			   const struct tg_json **out, unsigned depth)
{
	struct tg_json_member *m;
	size_t i = 0, nm = 0;
	tg_err rc;
	if (depth > 256)
		return tg_rego_ev_error(e, TG_E_DEPTH, "eval_cancel_error", NULL, "document nested too deep");
	m = tg_arena_alloc_array(e->a, n + 1, sizeof(*m));
	if (!m)
		return ev_oom(e);
	while (i < n) {
		const struct tg_json *key = es[i].path->u.a.items[d];
		size_t j = i, leaves = 0, deeper = 0;
		while (j < n && tg_json_eq(es[j].path->u.a.items[d], key)) {
			if (es[j].path->u.a.len == d + 1)
				leaves++;
			else
				deeper++;
			j++;
		}
		if (leaves && deeper)
			return tg_rego_ev_error(e, TG_E_CONFLICT, "eval_conflict_error", &es[i].r->loc,
						"object keys must be unique");
		if (leaves) {
			/* all single values equal, or all set elements */
			size_t k;
			bool multi = es[i].multi;
			for (k = i; k < j; k++)
				if (es[k].multi != multi ||
				    (!multi && !tg_json_eq(es[k].val, es[i].val)))
					return tg_rego_ev_error(e, TG_E_CONFLICT, "eval_conflict_error",
								&es[k].r->loc, "object keys must be unique");
			if (multi) {
				const struct tg_json **items = tg_arena_alloc_array(e->a, j - i + 1, sizeof(*items));
				const struct tg_json *set = NULL;
				if (!items)
					return ev_oom(e);
				for (k = i; k < j; k++)
					items[k - i] = es[k].val;
				if (tg_json_new_set(e->a, items, j - i, &set) != TG_OK)
					return ev_oom(e);
				m[nm].val = set;
			} else
				m[nm].val = es[i].val;
		} else {
			if ((rc = build_object(e, es + i, j - i, d + 1, &m[nm].val, depth + 1)) != TG_OK)
				return rc;
		}
		m[nm++].key = key;
		i = j;
	}
	if (tg_json_new_object(e->a, m, nm, TG_JSON_DUP_LAST, out) != TG_OK)
		return ev_oom(e);
	return TG_OK;
}

/* Evaluates the rules of a partial node (multi-value or general), all of
 * them or only for one key (keypos >= 0); builds the set or object. */
static tg_err partial_eval(struct ev *e, const struct rg_node *n, const struct tg_json *key,
			   const struct tg_json **out)
{
	struct vlist paths = {0};
	struct k_rule kr;
	struct rg_rule *const *rules = n->kind == RG_NK_GENERAL ? n->all : n->rules;
	uint32_t nr = n->kind == RG_NK_GENERAL ? n->nall : n->nrules;
	uint32_t i, from = n->depth + 1;
	tg_err rc;

	for (i = 0; i < nr; i++) {
		const struct rg_rule *r = rules[i];
		int32_t keypos = -1;
		memset(&kr, 0, sizeof(kr));
		kr.base.fn = k_rule_partial;
		kr.paths = &paths;
		kr.from = from;
		if (key) {
			if (from < r->ref->u.c.n) {
				const struct rg_term *x = r->ref->u.c.items[from];
				if (x->kind == RG_VAL) {
					if (!tg_json_eq(x->u.v, key))
						continue;
				} else
					keypos = (int32_t)from;
			} else
				keypos = (int32_t)r->ref->u.c.n; /* the set element: r->key */
		}
		for (; r; r = r->els) {
			if ((rc = eval_rule(e, r, &kr, NULL, 0, keypos, key)) != TG_OK)
				return rc;
			if (kr.produced)
				break;
		}
	}
	if (n->kind == RG_NK_MULTI) {
		const struct tg_json **items = tg_arena_alloc_array(e->a, paths.n / 4 + 1, sizeof(*items));
		if (!items)
			return ev_oom(e);
		for (i = 0; i < paths.n / 4; i++)
			items[i] = paths.v[i * 4 + 1];
		if (tg_json_new_set(e->a, items, paths.n / 4, out) != TG_OK)
			return ev_oom(e);
		return TG_OK;
	}
	{
		size_t ne = paths.n / 4;
		struct pentry *es = tg_arena_alloc_array(e->a, ne + 1, sizeof(*es));
		if (!es)
			return ev_oom(e);
		for (i = 0; i < ne; i++) {
			es[i].path = paths.v[i * 4];
			es[i].val = paths.v[i * 4 + 1];
			es[i].multi = paths.v[i * 4 + 2]->u.b;
			es[i].r = (const struct rg_rule *)(const void *)paths.v[i * 4 + 3];
			if (es[i].path->u.a.len == 0)
				return tg_rego_ev_error(e, TG_E_CONFLICT, "eval_conflict_error", &es[i].r->loc,
							"object keys must be unique");
		}
		qsort(es, ne, sizeof(*es), path_cmp);
		return build_object(e, es, ne, 0, out, 0);
	}
}

static tg_err partial_value(struct ev *e, const struct rg_node *n, const struct tg_json **out)
{
	struct ev_ctx *c = e->cx;
	tg_err rc;
	if (!ctx_memo(e, c))
		return ev_oom(e);
	if (c->state[n->id] == 2) {
		*out = c->val[n->id];
		return TG_OK;
	}
	if (c->state[n->id] == 1)
		return recursion_error(e, n);
	c->state[n->id] = 1;
	rc = partial_eval(e, n, NULL, out);
	if (rc != TG_OK) {
		c->state[n->id] = 0;
		return rc;
	}
	c->state[n->id] = 2;
	c->val[n->id] = *out;
	return TG_OK;
}

/* The partial document restricted to one key; memoised per key. */
static tg_err partial_key_value(struct ev *e, const struct rg_node *n, const struct tg_json *key,
				const struct tg_json **out)
{
	struct ev_ctx *c = e->cx;
	struct ev_kent *ke;
	tg_err rc;
	if (!ctx_memo(e, c))
		return ev_oom(e);
	if (c->state[n->id] == 2) {
		*out = c->val[n->id];
		return TG_OK;
	}
	if (c->state[n->id] == 1)
		return recursion_error(e, n);
	ke = kmap_find(e, &c->km, n->id, key, false);
	if (ke) {
		*out = ke->val;
		return TG_OK;
	}
	c->state[n->id] = 1;
	rc = partial_eval(e, n, key, out);
	c->state[n->id] = 0;
	if (rc != TG_OK)
		return rc;
	ke = kmap_find(e, &c->km, n->id, key, true);
	if (!ke)
		return ev_oom(e);
	ke->val = *out;
	return TG_OK;
}

/* ---- functions ---- */

static const struct ev_mock *find_mock(const struct ev_ctx *c, const struct tg_rego_builtin *bi,
				       const struct rg_node *fn)
{
	uint32_t i;
	for (i = c->nmocks; i-- > 0;) {
		const struct ev_mock *m = &c->mocks[i];
		if (m->hidden)
			continue;
		if ((bi && m->bi == bi) || (fn && m->fn == fn))
			return m;
	}
	return NULL;
}

static tg_err call_value(struct ev *e, const struct tg_rego_builtin *bi, const struct rg_node *fn,
			 const struct tg_json *const *args, uint32_t nargs, const struct tg_rego_loc *loc,
			 const struct tg_json **out);

/* Runs a replacement with every mock hidden, as OPA does: a replacement
 * function sees the real functions. */
static tg_err call_mock(struct ev *e, const struct ev_mock *m, const struct tg_json *const *args,
			uint32_t nargs, const struct tg_rego_loc *loc, const struct tg_json **out)
{
	struct ev_ctx *c = e->cx, sub;
	tg_err rc;
	if (m->val) {
		*out = m->val;
		return TG_OK;
	}
	sub = *c;
	sub.nmocks = 0;
	e->cx = &sub;
	rc = call_value(e, m->vbi, m->vfn, args, nargs, loc, out);
	e->cx = c;
	/* keep what the replacement memoised */
	c->km = sub.km;
	if (!c->state) {
		c->state = sub.state;
		c->val = sub.val;
	}
	return rc;
}

static tg_err call_func(struct ev *e, const struct rg_node *fn, const struct tg_json *const *args,
			uint32_t nargs, const struct tg_json **out)
{
	struct ev_ctx *c = e->cx;
	const struct tg_json *key = NULL;
	struct ev_kent *ke;
	tg_err rc;
	if (nargs > 0) {
		if (tg_json_new_array(e->a, args, nargs, &key) != TG_OK)
			return ev_oom(e);
		ke = kmap_find(e, &c->km, fn->id, key, false);
		if (ke) {
			*out = ke->val;
			return TG_OK;
		}
	} else if (ctx_memo(e, c) && c->state[fn->id] == 2) {
		*out = c->val[fn->id];
		return TG_OK;
	}
	rc = eval_complete_rules(e, fn->rules, fn->nrules, fn->deflt, args, nargs,
				 "functions must not produce multiple outputs for same inputs", out);
	if (rc != TG_OK)
		return rc;
	if (key) {
		ke = kmap_find(e, &c->km, fn->id, key, true);
		if (!ke)
			return ev_oom(e);
		ke->val = *out;
	} else if (ctx_memo(e, c)) {
		c->state[fn->id] = 2;
		c->val[fn->id] = *out;
	}
	return TG_OK;
}

static tg_err call_builtin(struct ev *e, const struct tg_rego_builtin *bi,
			   const struct tg_json *const *args, uint32_t nargs,
			   const struct tg_rego_loc *loc, const struct tg_json **out)
{
	struct tg_diag d;
	struct tg_rego_bctx bc;
	const char *code;
	tg_err rc;
	*out = NULL;
	if (!bi->fn)
		return tg_rego_lang_call(e, bi, args, nargs, loc, out);
	/* network built-ins check bc.caps themselves (they validate their
	 * arguments first, as OPA does, then refuse without TG_REGO_CAP_NET) */
	tg_diag_init(&d);
	memset(&bc, 0, sizeof(bc));
	bc.a = e->a;
	bc.d = &d;
	bc.name = bi->name;
	bc.now_ns = e->now_ns;
	bc.strict = e->o && e->o->strict_builtin_errors;
	bc.caps = e->o ? e->o->caps : 0;
	bc.budget = &e->steps_left;
	bc.cache = e->bcache;
	bc.opts = e->o;
	if (bi->flags & TG_RB_NONDET) {
		const struct tg_json *cached = tg_rego_bcache_get(&bc, args, nargs);
		if (cached) {
			*out = cached;
			return TG_OK;
		}
	}
	rc = bi->fn(&bc, args, nargs, out);
	if (rc == TG_OK) {
		if ((bi->flags & TG_RB_NONDET) && *out)
			tg_rego_bcache_put(&bc, args, nargs, *out);
		return TG_OK;
	}
	*out = NULL;
	if (rc == TG_E_TOOBIG && e->steps_left == 0)
		return tg_rego_ev_error(e, TG_E_TOOBIG, "eval_cancel_error", loc,
					"evaluation exceeded its step limit (%llu steps)",
					(unsigned long long)e->steps_max);
	if (rc == TG_E_TOOBIG && tg_arena_used(e->a) + 4096 > e->a->max)
		return ev_oom(e);
	/* a refused network access (TG_E_PERM) stops the evaluation even
	 * without strict built-in errors: it is configuration, not data */
	if (rc != TG_E_PERM && !(e->o && e->o->strict_builtin_errors))
		return TG_OK; /* undefined, as OPA does */
	code = rc == TG_E_TYPE ? "eval_type_error" : "eval_builtin_error";
	if (!d.msg[0])
		(void)snprintf(d.msg, sizeof(d.msg), "%s", tg_strerror(rc));
	return tg_rego_ev_error(e, rc == TG_E_TYPE ? TG_E_TYPE : TG_E_INVAL, code, loc, "%s: %s", bi->name,
				d.msg);
}

static tg_err call_value(struct ev *e, const struct tg_rego_builtin *bi, const struct rg_node *fn,
			 const struct tg_json *const *args, uint32_t nargs, const struct tg_rego_loc *loc,
			 const struct tg_json **out)
{
	const struct ev_mock *m = find_mock(e->cx, bi, fn);
	*out = NULL;
	if (m)
		return call_mock(e, m, args, nargs, loc, out);
	if (fn)
		return call_func(e, fn, args, nargs, out);
	if (bi)
		return call_builtin(e, bi, args, nargs, loc, out);
	return TG_OK;
}

/* ---- refs ---- */

/* Calls k with each (key, value) of a collection; the key is unified with
 * the ref element t first. */
struct k_walk {
	struct kv base;
	const struct ev_frame *f;
	const struct rg_term *ref;
	uint32_t i;
	struct kv *next;
};

static tg_err walk(struct ev *e, const struct ev_frame *f, const struct tg_json *v,
		   const struct rg_term *ref, uint32_t i, struct kv *k)
{
	const struct rg_term *t;
	const struct tg_json *key;
	size_t j, mark;
	tg_err rc;
	for (; i < ref->u.c.n; i++) {
		t = deref(f, ref->u.c.items[i], &key);
		if (t && t->kind != RG_VAR) {
			key = plug(e, f, t, 0);
			if (!key && e->oom)
				return ev_oom(e);
		}
		if (!key)
			break;
		switch (v->type) {
		case TG_JSON_OBJECT:
			v = tg_json_get_value(v, key);
			break;
		case TG_JSON_ARRAY: {
			int64_t idx;
			if (key->type != TG_JSON_NUMBER || tg_json_num_i64(key, &idx) != TG_OK || idx < 0 ||
			    (uint64_t)idx >= v->u.a.len)
				return TG_OK;
			v = v->u.a.items[idx];
			break;
		}
		case TG_JSON_SET:
			if (!tg_json_set_has(v, key))
				return TG_OK;
			v = key;
			break;
		default:
			return TG_OK;
		}
		if (!v)
			return TG_OK;
	}
	if (i == ref->u.c.n)
		return k->fn(e, k, v);
	/* an unbound element: enumerate */
	t = ref->u.c.items[i];
	mark = e->ntrail;
	switch (v->type) {
	case TG_JSON_OBJECT:
		for (j = 0; j < v->u.o.len; j++) {
			if ((rc = ev_step(e, &t->loc)) != TG_OK)
				return rc;
			if (udet_vt(e, f, v->u.o.items[j].key, t, 0)) {
				rc = walk(e, f, v->u.o.items[j].val, ref, i + 1, k);
				undo(e, mark);
				if (rc != TG_OK)
					return rc;
			} else
				undo(e, mark);
		}
		return TG_OK;
	case TG_JSON_ARRAY:
		for (j = 0; j < v->u.a.len; j++) {
			const struct tg_json *idx = tg_rego_ev_int(e, (int64_t)j);
			if (!idx)
				return ev_oom(e);
			if ((rc = ev_step(e, &t->loc)) != TG_OK)
				return rc;
			if (udet_vt(e, f, idx, t, 0)) {
				rc = walk(e, f, v->u.a.items[j], ref, i + 1, k);
				undo(e, mark);
				if (rc != TG_OK)
					return rc;
			} else
				undo(e, mark);
		}
		return TG_OK;
	case TG_JSON_SET:
		for (j = 0; j < v->u.a.len; j++) {
			if ((rc = ev_step(e, &t->loc)) != TG_OK)
				return rc;
			if (udet_vt(e, f, v->u.a.items[j], t, 0)) {
				rc = walk(e, f, v->u.a.items[j], ref, i + 1, k);
				undo(e, mark);
				if (rc != TG_OK)
					return rc;
			} else
				undo(e, mark);
		}
		return TG_OK;
	default:
		return TG_OK;
	}
}

/* The extent of node n (rules materialised) merged with base data b. */
static tg_err extent(struct ev *e, const struct rg_node *n, const struct tg_json *b,
		     const struct tg_json **keys, uint32_t nk, const struct tg_json **out);

static tg_err virtual_value(struct ev *e, const struct rg_node *n, const struct tg_json **out)
{
	switch (n->kind) {
	case RG_NK_COMPLETE:
		return complete_value(e, n, out);
	case RG_NK_MULTI:
	case RG_NK_GENERAL:
		return partial_value(e, n, out);
	default:
		*out = NULL; /* functions are not part of documents */
		return TG_OK;
	}
}

/* OPA merge: objects merge recursively, otherwise a wins. */
static const struct tg_json *merge(struct ev *e, const struct tg_json *a, const struct tg_json *b,
				   unsigned depth)
{
	struct tg_json_member *m;
	const struct tg_json *out = NULL;
	size_t i = 0, j = 0, n = 0;
	if (!a)
		return b;
	if (!b || a->type != TG_JSON_OBJECT || b->type != TG_JSON_OBJECT || depth > 256)
		return a;
	m = tg_arena_alloc_array(e->a, a->u.o.len + b->u.o.len + 1, sizeof(*m));
	if (!m) {
		e->oom = true;
		return a;
	}
	while (i < a->u.o.len || j < b->u.o.len) {
		int c = i == a->u.o.len	  ? 1
			: j == b->u.o.len ? -1
					  : tg_json_cmp(a->u.o.items[i].key, b->u.o.items[j].key);
		if (c < 0)
			m[n++] = a->u.o.items[i++];
		else if (c > 0)
			m[n++] = b->u.o.items[j++];
		else {
			m[n].key = a->u.o.items[i].key;
			m[n++].val = merge(e, a->u.o.items[i].val, b->u.o.items[j].val, depth + 1);
			i++;
			j++;
		}
	}
	if (tg_json_new_object(e->a, m, n, TG_JSON_DUP_LAST, &out) != TG_OK) {
		e->oom = true;
		return a;
	}
	return out;
}

static tg_err extent(struct ev *e, const struct rg_node *n, const struct tg_json *b,
		     const struct tg_json **keys, uint32_t nk, const struct tg_json **out)
{
	struct tg_json_member *m;
	const struct tg_json *obj = NULL;
	uint32_t i, nm = 0;
	tg_err rc;
	*out = b;
	if (!n)
		return TG_OK;
	if (!n->has_rules && n->nkids == 0) {
		/* a package without rules is an object, maybe empty */
		if (!b)
			*out = &tg_json_empty_object_v;
		return TG_OK;
	}
	if (e->cx->ntargets && ctx_shadowed(e->cx, keys, nk))
		return TG_OK;
	if ((rc = ev_step(e, NULL)) != TG_OK)
		return rc;
	if (n->nrules || n->deflt)
		return virtual_value(e, n, out);
	m = tg_arena_alloc_array(e->a, n->nkids + 1, sizeof(*m));
	if (!m)
		return ev_oom(e);
	for (i = 0; i < n->nkids; i++) {
		const struct rg_node *c = n->kids[i];
		const struct tg_json *cb = b && b->type == TG_JSON_OBJECT ? tg_json_get_value(b, c->key) : NULL;
		const struct tg_json *cv = NULL;
		if (c->hide)
			continue;
		keys[nk] = c->key;
		if ((rc = extent(e, c, cb, keys, nk + 1, &cv)) != TG_OK)
			return rc;
		if (cv) {
			m[nm].key = c->key;
			m[nm++].val = cv;
		}
	}
	if (tg_json_new_object(e->a, m, nm, TG_JSON_DUP_LAST, &obj) != TG_OK)
		return ev_oom(e);
	*out = merge(e, b, obj, 0);
	if (e->oom)
		return ev_oom(e);
	return TG_OK;
}

/* Walks a data ref: the rule tree and base data side by side. */
static tg_err data_walk(struct ev *e, const struct ev_frame *f, const struct rg_term *ref,
			uint32_t i, const struct rg_node *n, const struct tg_json *b,
			const struct tg_json **keys, struct kv *k)
{
	const struct rg_term *t;
	const struct tg_json *key, *v;
	tg_err rc;
	uint32_t nk = i - 1;

	if (nk > ref->u.c.n + e->p->maxdepth)
		return tg_rego_ev_error(e, TG_E_DEPTH, "eval_cancel_error", &ref->loc, "ref too deep");
	if (n && e->cx->ntargets && ctx_shadowed(e->cx, keys, nk))
		n = NULL; /* replaced by `with`: the base value only */
	if (!n || (!n->has_rules && n->nkids == 0)) {
		if (!b && !n)
			return TG_OK;
		return walk(e, f, b ? b : &tg_json_empty_object_v, ref, i, k);
	}
	if (n->nrules || n->deflt) {
		/* virtual documents at this node */
		if (n->kind == RG_NK_FUNC)
			return TG_OK;
		if (n->kind == RG_NK_COMPLETE || i == ref->u.c.n) {
			if ((rc = virtual_value(e, n, &v)) != TG_OK)
				return rc;
			return v ? walk(e, f, v, ref, i, k) : TG_OK;
		}
		t = deref(f, ref->u.c.items[i], &key);
		if (t && t->kind != RG_VAR) {
			key = plug(e, f, t, 0);
			if (!key && e->oom)
				return ev_oom(e);
		}
		if (!key) {
			if ((rc = partial_value(e, n, &v)) != TG_OK)
				return rc;
			return v ? walk(e, f, v, ref, i, k) : TG_OK;
		}
		if ((rc = partial_key_value(e, n, key, &v)) != TG_OK)
			return rc;
		return v ? walk(e, f, v, ref, i, k) : TG_OK;
	}
	if (i == ref->u.c.n) {
		if ((rc = extent(e, n, b, keys, nk, &v)) != TG_OK)
			return rc;
		return v ? k->fn(e, k, v) : TG_OK;
	}
	t = deref(f, ref->u.c.items[i], &key);
	if (t && t->kind != RG_VAR) {
		key = plug(e, f, t, 0);
		if (!key && e->oom)
			return ev_oom(e);
	}
	if (key) {
		const struct rg_node *c = tg_rego_node_child(n, key);
		const struct tg_json *cb = NULL;
		if (b) {
			switch (b->type) {
			case TG_JSON_OBJECT:
				cb = tg_json_get_value(b, key);
				break;
			case TG_JSON_ARRAY: {
				int64_t idx;
				if (key->type == TG_JSON_NUMBER && tg_json_num_i64(key, &idx) == TG_OK &&
				    idx >= 0 && (uint64_t)idx < b->u.a.len)
					cb = b->u.a.items[idx];
				break;
			}
			case TG_JSON_SET:
				cb = tg_json_set_has(b, key) ? key : NULL;
				break;
			default:
				break;
			}
		}
		if (!c && !cb)
			return TG_OK;
		keys[nk] = key;
		return data_walk(e, f, ref, i + 1, c, cb, keys, k);
	}
	/* enumerate the keys of the base document and of the virtual ones */
	{
		size_t mark = e->ntrail, bi = 0, nb;
		uint32_t ki = 0;
		const struct tg_json *bo = b && b->type == TG_JSON_OBJECT ? b : NULL;
		nb = bo ? bo->u.o.len : 0;
		while (bi < nb || ki < n->nkids) {
			const struct tg_json *kk, *cb = NULL;
			const struct rg_node *c = NULL;
			int cmp;
			if ((rc = ev_step(e, &t->loc)) != TG_OK)
				return rc;
			cmp = bi == nb		  ? 1
			      : ki == n->nkids ? -1
					       : tg_json_cmp(bo->u.o.items[bi].key, n->kids[ki]->key);
			if (cmp <= 0) {
				kk = bo->u.o.items[bi].key;
				cb = bo->u.o.items[bi].val;
				bi++;
				if (cmp == 0)
					c = n->kids[ki++];
			} else {
				c = n->kids[ki++];
				kk = c->key;
			}
			if (c && c->hide)
				c = NULL;
			if (!c && !cb)
				continue;
			if (udet_vt(e, f, kk, t, 0)) {
				keys[nk] = kk;
				rc = data_walk(e, f, ref, i + 1, c, cb, keys, k);
				undo(e, mark);
				if (rc != TG_OK)
					return rc;
			} else
				undo(e, mark);
		}
		return TG_OK;
	}
}

static tg_err eval_ref(struct ev *e, const struct ev_frame *f, const struct rg_term *ref, struct kv *k)
{
	const struct rg_term *h = ref->u.c.items[0];
	const struct tg_json *v;
	if (h->kind == RG_VAR && (h->flags & RG_F_DATA)) {
		/* the path walked so far matters only to `with data` targets and
		 * extents; it lives in the arena, not on the stack */
		const struct tg_json **keys =
			tg_arena_alloc_array(e->a, ref->u.c.n + e->p->maxdepth + 2, sizeof(*keys));
		if (!keys)
			return ev_oom(e);
		return data_walk(e, f, ref, 1, e->p->root, e->cx->data, keys, k);
	}
	if (h->kind == RG_VAR && (h->flags & RG_F_INPUT)) {
		if (!e->cx->input)
			return TG_OK;
		return walk(e, f, e->cx->input, ref, 1, k);
	}
	if (is_compr(h)) {
		tg_err rc = eval_compr(e, f, h, &v);
		if (rc != TG_OK)
			return rc;
		return walk(e, f, v, ref, 1, k);
	}
	v = plug(e, f, h, 0);
	if (!v)
		return e->oom ? ev_oom(e) : TG_OK;
	return walk(e, f, v, ref, 1, k);
}

/* ---- terms to values ---- */

static tg_err eval_compr(struct ev *e, const struct ev_frame *f, const struct rg_term *t,
			 const struct tg_json **out);

struct k_compr {
	struct k base;
	const struct ev_frame *f;
	const struct rg_term *t;
	struct vlist items; /* values; object comprehensions: key, value pairs */
};

static tg_err k_compr(struct ev *e, struct k *k)
{
	struct k_compr *kc = CONTAINER(k, struct k_compr, base);
	const struct tg_json *v;
	if (kc->t->kind == RG_OCOMP) {
		const struct tg_json *key = plug(e, kc->f, kc->t->u.k.key, 0);
		size_t i;
		if (!key)
			return e->oom ? ev_oom(e) : TG_OK;
		v = plug(e, kc->f, kc->t->u.k.val, 0);
		if (!v)
			return e->oom ? ev_oom(e) : TG_OK;
		for (i = 0; i < kc->items.n; i += 2)
			if (tg_json_eq(kc->items.v[i], key)) {
				if (!tg_json_eq(kc->items.v[i + 1], v))
					return tg_rego_ev_error(e, TG_E_CONFLICT, "eval_conflict_error",
								&kc->t->u.k.key->loc,
								"object keys must be unique");
				return TG_OK;
			}
		if (!vlist_add(e, &kc->items, key) || !vlist_add(e, &kc->items, v))
			return ev_oom(e);
		return TG_OK;
	}
	v = plug(e, kc->f, kc->t->u.k.val, 0);
	if (!v)
		return e->oom ? ev_oom(e) : TG_OK;
	if (!vlist_add(e, &kc->items, v))
		return ev_oom(e);
	return TG_OK;
}

static tg_err eval_compr(struct ev *e, const struct ev_frame *f, const struct rg_term *t,
			 const struct tg_json **out)
{
	struct k_compr kc;
	size_t mark = e->ntrail;
	tg_err rc;
	memset(&kc, 0, sizeof(kc));
	kc.base.fn = k_compr;
	kc.f = f;
	kc.t = t;
	if ((rc = ev_enter(e, &t->loc)) != TG_OK)
		return rc;
	rc = eval_body(e, f, t->u.k.body, 0, &kc.base);
	undo(e, mark);
	ev_leave(e);
	if (rc != TG_OK)
		return rc;
	switch (t->kind) {
	case RG_ACOMP:
		rc = tg_json_new_array(e->a, kc.items.v, kc.items.n, out);
		break;
	case RG_SCOMP:
		rc = tg_json_new_set(e->a, kc.items.v, kc.items.n, out);
		break;
	default: {
		struct tg_json_member *m = tg_arena_alloc_array(e->a, kc.items.n / 2 + 1, sizeof(*m));
		size_t i;
		if (!m)
			return ev_oom(e);
		for (i = 0; i + 1 < kc.items.n; i += 2) {
			m[i / 2].key = kc.items.v[i];
			m[i / 2].val = kc.items.v[i + 1];
		}
		rc = tg_json_new_object(e->a, m, kc.items.n / 2, TG_JSON_DUP_LAST, out);
		break;
	}
	}
	return rc == TG_OK ? TG_OK : ev_oom(e);
}

static tg_err eval_term(struct ev *e, const struct ev_frame *f, const struct rg_term *t, struct kv *k)
{
	const struct tg_json *v;
	tg_err rc;
	t = deref(f, t, &v);
	if (!t)
		return k->fn(e, k, v);
	switch (t->kind) {
	case RG_REF:
		return eval_ref(e, f, t, k);
	case RG_ACOMP:
	case RG_SCOMP:
	case RG_OCOMP:
		if ((rc = eval_compr(e, f, t, &v)) != TG_OK)
			return rc;
		return k->fn(e, k, v);
	default:
		v = plug(e, f, t, 0);
		if (!v)
			return e->oom ? ev_oom(e) : TG_OK;
		return k->fn(e, k, v);
	}
}

/* ---- unification with evaluation ---- */

static bool stack_ok(struct ev *e)
{
	char probe;
	uintptr_t here = (uintptr_t)&probe;
	size_t used = e->stack_base > here ? e->stack_base - here : here - e->stack_base;
	return used <= e->stack_max;
}

static tg_err stack_error(struct ev *e, const struct tg_rego_loc *loc)
{
	return tg_rego_ev_error(e, TG_E_DEPTH, "eval_cancel_error", loc,
				"evaluation exceeded its stack limit (%zu bytes)", e->stack_max);
}

/* value v against the values of term b (a ref or comprehension) */
struct k_cmp {
	struct kv base;
	const struct tg_json *v;
	struct k *next;
};

static tg_err k_cmp(struct ev *e, struct kv *kk, const struct tg_json *v)
{
	struct k_cmp *kc = CONTAINER(kk, struct k_cmp, base);
	if (!tg_json_eq(kc->v, v))
		return TG_OK;
	return kc->next->fn(e, kc->next);
}

static tg_err unify_v(struct ev *e, const struct ev_frame *f, const struct tg_json *v,
		      const struct rg_term *b, struct k *k)
{
	const struct tg_json *bv;
	size_t mark = e->ntrail;
	tg_err rc;
	b = deref(f, b, &bv);
	if (!b)
		return tg_json_eq(v, bv) ? k->fn(e, k) : TG_OK;
	if (b->kind == RG_REF || is_compr(b)) {
		struct k_cmp kc = {{k_cmp}, v, k};
		return eval_term(e, f, b, &kc.base);
	}
	if (!udet_vt(e, f, v, b, 0)) {
		undo(e, mark);
		return e->oom ? ev_oom(e) : TG_OK;
	}
	rc = k->fn(e, k);
	undo(e, mark);
	return rc;
}

struct k_unify {
	struct kv base;
	const struct ev_frame *f;
	const struct rg_term *other;
	struct k *next;
};

static tg_err k_unify(struct ev *e, struct kv *kk, const struct tg_json *v)
{
	struct k_unify *ku = CONTAINER(kk, struct k_unify, base);
	return unify_v(e, ku->f, v, ku->other, ku->next);
}

static tg_err unify(struct ev *e, const struct ev_frame *f, const struct rg_term *a,
		    const struct rg_term *b, struct k *k)
{
	const struct tg_json *av, *bv;
	size_t mark = e->ntrail;
	tg_err rc;
	a = deref(f, a, &av);
	if (!a)
		return unify_v(e, f, av, b, k);
	b = deref(f, b, &bv);
	if (!b)
		return unify_v(e, f, bv, a, k);
	if (a->kind == RG_REF || is_compr(a)) {
		struct k_unify ku = {{k_unify}, f, b, k};
		return eval_term(e, f, a, &ku.base);
	}
	if (b->kind == RG_REF || is_compr(b)) {
		struct k_unify ku = {{k_unify}, f, a, k};
		return eval_term(e, f, b, &ku.base);
	}
	if (!udet_tt(e, f, a, b, 0)) {
		undo(e, mark);
		return e->oom ? ev_oom(e) : TG_OK;
	}
	rc = k->fn(e, k);
	undo(e, mark);
	return rc;
}

/* ---- expressions ---- */

static tg_err eval_expr(struct ev *e, const struct ev_frame *f, const struct rg_expr *x, struct k *k);
static tg_err eval_expr_core(struct ev *e, const struct ev_frame *f, const struct rg_expr *x,
			     struct k *k);

static tg_err eval_call(struct ev *e, const struct ev_frame *f, const struct rg_expr *x,
			const struct rg_term *call, struct k *k)
{
	const struct tg_rego_builtin *bi = call->bi;
	const struct rg_node *fn = call->fn;
	const struct tg_json *argv[16], **args = argv, *res = NULL;
	uint32_t n = call->u.c.n - 1, nin, i;
	int arity;
	tg_err rc;

	if (bi && !bi->fn && strcmp(bi->name, "eq") == 0)
		return unify(e, f, call->u.c.items[1], call->u.c.items[2], k);
	if (fn)
		arity = (int)fn->arity;
	else if (bi)
		arity = bi->arity;
	else
		return tg_rego_ev_error(e, TG_E_STATE, "eval_internal_error", &x->loc, "undefined function");
	nin = arity < 0 || (uint32_t)arity > n ? n : (uint32_t)arity;
	if (nin > TG_ARRAY_LEN(argv)) {
		args = tg_arena_alloc_array(e->a, nin, sizeof(*args));
		if (!args)
			return ev_oom(e);
	}
	for (i = 0; i < nin; i++) {
		args[i] = plug(e, f, call->u.c.items[i + 1], 0);
		if (!args[i])
			return e->oom ? ev_oom(e) : TG_OK;
	}
	if ((rc = ev_enter(e, &x->loc)) != TG_OK)
		return rc;
	rc = call_value(e, bi, fn, args, nin, &x->loc, &res);
	ev_leave(e);
	if (rc != TG_OK)
		return rc;
	if (!res)
		return TG_OK;
	if (bi && (bi->flags & TG_RB_RELATION) && !find_mock(e->cx, bi, NULL)) {
		/* each element of the result is a solution */
		size_t j;
		if (res->type != TG_JSON_ARRAY)
			return TG_OK;
		for (j = 0; j < res->u.a.len; j++) {
			size_t mark = e->ntrail;
			if (nin < n) {
				if (udet_vt(e, f, res->u.a.items[j], call->u.c.items[n], 0))
					rc = k->fn(e, k);
			} else
				rc = k->fn(e, k);
			undo(e, mark);
			if (rc != TG_OK)
				return rc;
		}
		return TG_OK;
	}
	if (nin < n) {
		size_t mark = e->ntrail;
		if (!udet_vt(e, f, res, call->u.c.items[n], 0)) {
			undo(e, mark);
			return e->oom ? ev_oom(e) : TG_OK;
		}
		rc = k->fn(e, k);
		undo(e, mark);
		return rc;
	}
	if (res->type == TG_JSON_BOOL && !res->u.b)
		return TG_OK;
	return k->fn(e, k);
}

struct k_found {
	struct k base;
	bool found;
};

static tg_err k_found(struct ev *e, struct k *k)
{
	(void)e;
	CONTAINER(k, struct k_found, base)->found = true;
	return EV_STOP;
}

static tg_err eval_not(struct ev *e, const struct ev_frame *f, const struct rg_expr *x, struct k *k)
{
	struct k_found kf = {{k_found}, false};
	size_t mark = e->ntrail;
	tg_err rc;
	if ((rc = ev_enter(e, &x->loc)) != TG_OK)
		return rc;
	rc = eval_expr_core(e, f, x, &kf.base);
	undo(e, mark);
	ev_leave(e);
	if (rc != TG_OK && rc != EV_STOP)
		return rc;
	if (kf.found)
		return TG_OK;
	return k->fn(e, k);
}

static tg_err eval_every(struct ev *e, const struct ev_frame *f, const struct rg_expr *x, struct k *k)
{
	const struct tg_json *d = plug(e, f, x->domain, 0);
	size_t j, n;
	tg_err rc;
	if (!d)
		return e->oom ? ev_oom(e) : TG_OK;
	if (d->type != TG_JSON_ARRAY && d->type != TG_JSON_OBJECT && d->type != TG_JSON_SET)
		return TG_OK;
	n = d->type == TG_JSON_OBJECT ? d->u.o.len : d->u.a.len;
	if ((rc = ev_enter(e, &x->loc)) != TG_OK)
		return rc;
	for (j = 0; j < n; j++) {
		const struct tg_json *key, *val;
		struct k_found kf = {{k_found}, false};
		size_t mark = e->ntrail;
		if ((rc = ev_step(e, &x->loc)) != TG_OK)
			break;
		if (d->type == TG_JSON_OBJECT) {
			key = d->u.o.items[j].key;
			val = d->u.o.items[j].val;
		} else if (d->type == TG_JSON_ARRAY) {
			key = tg_rego_ev_int(e, (int64_t)j);
			val = d->u.a.items[j];
			if (!key) {
				rc = ev_oom(e);
				break;
			}
		} else {
			key = val = d->u.a.items[j];
		}
		if (!udet_vt(e, f, key, x->key, 0) || !udet_vt(e, f, val, x->val, 0)) {
			undo(e, mark);
			continue;
		}
		rc = eval_body(e, f, x->body, 0, &kf.base);
		undo(e, mark);
		if (rc == EV_STOP)
			rc = TG_OK;
		if (rc != TG_OK)
			break;
		if (!kf.found) {
			ev_leave(e);
			return TG_OK;
		}
	}
	ev_leave(e);
	if (rc != TG_OK)
		return rc;
	return k->fn(e, k);
}

/* A copy of doc with value at path (objects created as needed). */
static const struct tg_json *patch(struct ev *e, const struct tg_json *doc, const struct tg_json *path,
				   size_t i, const struct tg_json *value)
{
	struct tg_json_member *m;
	const struct tg_json *key, *child = NULL, *out = NULL;
	size_t j, n = 0;
	if (i == path->u.a.len)
		return value;
	key = path->u.a.items[i];
	if (doc && doc->type == TG_JSON_OBJECT)
		child = tg_json_get_value(doc, key);
	child = patch(e, child, path, i + 1, value);
	if (!child)
		return NULL;
	n = doc && doc->type == TG_JSON_OBJECT ? doc->u.o.len : 0;
	m = tg_arena_alloc_array(e->a, n + 1, sizeof(*m));
	if (!m) {
		e->oom = true;
		return NULL;
	}
	for (j = 0; j < n; j++)
		m[j] = doc->u.o.items[j];
	m[n].key = key;
	m[n].val = child;
	if (tg_json_new_object(e->a, m, n + 1, TG_JSON_DUP_LAST, &out) != TG_OK) {
		e->oom = true;
		return NULL;
	}
	return out;
}

struct k_restore {
	struct k base;
	struct ev_ctx *outer, *inner;
	struct k *next;
};

static tg_err k_restore(struct ev *e, struct k *k)
{
	struct k_restore *kr = CONTAINER(k, struct k_restore, base);
	tg_err rc;
	e->cx = kr->outer;
	rc = kr->next->fn(e, kr->next);
	e->cx = kr->inner;
	return rc;
}

static tg_err eval_with(struct ev *e, const struct ev_frame *f, const struct rg_expr *x, struct k *k)
{
	struct ev_ctx *outer = e->cx, nc;
	struct k_restore kr;
	uint32_t i, nt = 0, nm = 0;
	tg_err rc;

	memset(&nc, 0, sizeof(nc));
	nc.parent = outer;
	nc.input = outer->input;
	nc.data = outer->data;
	nc.targets = tg_arena_alloc_array(e->a, outer->ntargets + x->nwith + 1, sizeof(*nc.targets));
	nc.mocks = tg_arena_alloc_array(e->a, outer->nmocks + x->nwith + 1, sizeof(*nc.mocks));
	if (!nc.targets || !nc.mocks)
		return ev_oom(e);
	for (i = 0; i < outer->ntargets; i++)
		nc.targets[nt++] = outer->targets[i];
	for (i = 0; i < outer->nmocks; i++)
		nc.mocks[nm++] = outer->mocks[i];
	for (i = 0; i < x->nwith; i++) {
		const struct rg_with *w = x->with[i];
		const struct tg_json *v = NULL;
		if (!w->vfn && !w->vbi) {
			v = plug(e, f, w->value, 0);
			if (!v)
				return e->oom ? ev_oom(e) : TG_OK;
		}
		switch (w->kind) {
		case RG_W_INPUT:
			nc.input = patch(e, nc.input, w->path, 0, v);
			break;
		case RG_W_DATA:
			nc.data = patch(e, nc.data, w->path, 0, v);
			nc.targets[nt++] = w->path;
			break;
		case RG_W_BUILTIN:
		case RG_W_FUNC:
			memset(&nc.mocks[nm], 0, sizeof(nc.mocks[nm]));
			nc.mocks[nm].bi = w->kind == RG_W_BUILTIN ? w->bi : NULL;
			nc.mocks[nm].fn = w->kind == RG_W_FUNC ? w->fn : NULL;
			nc.mocks[nm].vbi = w->vbi;
			nc.mocks[nm].vfn = w->vfn;
			nc.mocks[nm].val = v;
			nm++;
			break;
		default:
			break;
		}
		if (e->oom)
			return ev_oom(e);
	}
	nc.ntargets = nt;
	nc.nmocks = nm;
	kr.base.fn = k_restore;
	kr.outer = outer;
	kr.inner = &nc;
	kr.next = k;
	e->cx = &nc;
	rc = eval_expr_core(e, f, x, &kr.base);
	e->cx = outer;
	return rc;
}

struct k_truthy {
	struct kv base;
	struct k *next;
};

static tg_err k_truthy(struct ev *e, struct kv *kk, const struct tg_json *v)
{
	struct k_truthy *kt = CONTAINER(kk, struct k_truthy, base);
	if (v->type == TG_JSON_BOOL && !v->u.b)
		return TG_OK;
	return kt->next->fn(e, kt->next);
}

/* An expression without its with modifiers; negation applies here. */
static tg_err eval_expr_core(struct ev *e, const struct ev_frame *f, const struct rg_expr *x,
			     struct k *k)
{
	if (x->negated) {
		struct rg_expr pos = *x;
		pos.negated = false;
		pos.nwith = 0;
		return eval_not(e, f, &pos, k);
	}
	switch (x->kind) {
	case RG_EX_EVERY:
		return eval_every(e, f, x, k);
	case RG_EX_TERM:
		if (x->t->kind == RG_CALL)
			return eval_call(e, f, x, x->t, k);
		{
			struct k_truthy kt = {{k_truthy}, k};
			return eval_term(e, f, x->t, &kt.base);
		}
	default:
		return k->fn(e, k);
	}
}

static tg_err eval_expr(struct ev *e, const struct ev_frame *f, const struct rg_expr *x, struct k *k)
{
	tg_err rc;
	if ((rc = ev_step(e, &x->loc)) != TG_OK)
		return rc;
	if (!stack_ok(e))
		return stack_error(e, &x->loc);
	if (x->nwith)
		return eval_with(e, f, x, k);
	return eval_expr_core(e, f, x, k);
}

struct k_body {
	struct k base;
	const struct ev_frame *f;
	const struct rg_body *b;
	uint32_t i;
	struct k *next;
};

static tg_err k_body(struct ev *e, struct k *k)
{
	struct k_body *kb = CONTAINER(k, struct k_body, base);
	return eval_body(e, kb->f, kb->b, kb->i, kb->next);
}

static tg_err eval_body(struct ev *e, const struct ev_frame *f, const struct rg_body *b, uint32_t i,
			struct k *k)
{
	struct k_body kb;
	if (i >= b->n)
		return k->fn(e, k);
	kb.base.fn = k_body;
	kb.f = f;
	kb.b = b;
	kb.i = i + 1;
	kb.next = k;
	return eval_expr(e, f, b->e[i], &kb.base);
}

/* ---- running a query ---- */

struct k_query {
	struct k base;
	const struct ev_frame *f;
	struct ev_row_sink *sink;
};

static tg_err k_query(struct ev *e, struct k *k)
{
	struct k_query *kq = CONTAINER(k, struct k_query, base);
	return kq->sink->fn(e, kq->sink, kq->f);
}

tg_err tg_rego_ev_run(struct ev *e, const struct tg_rego_query *q, struct ev_row_sink *sink)
{
	struct ev_frame f;
	struct k_query kq;
	tg_err rc;
	if (!frame_new(e, &f, q->nslots))
		return ev_oom(e);
	kq.base.fn = k_query;
	kq.f = &f;
	kq.sink = sink;
	rc = eval_body(e, &f, q->body, 0, &kq.base);
	if (rc == EV_STOP)
		rc = TG_OK;
	undo(e, 0);
	return rc;
}
