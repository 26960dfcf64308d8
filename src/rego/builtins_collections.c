/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builtins_collections.c - Rego built-ins on arrays, sets and objects
 * (array.*, &, |, intersection, union, object.*, json.filter/remove/patch),
 * type tests (type_name, is_*, the v0 cast_* functions) and walk.
 */
#include <string.h>

#include "core/limits.h"
#include "rego/rego_bia.h"
#include "rego/rego_builtin.h"
#include "rego/rego_num.h"

#define DEPTH_MAX TG_LIMIT_JSON_DEPTH

static tg_err want(struct tg_rego_bctx *c, const struct tg_json *v, size_t i, enum tg_json_type t)
{
	if (v->type == t)
		return TG_OK;
	return tg_rego_bia_type(c, i, tg_json_type_name(t), v);
}

static tg_err fail_mem(struct tg_rego_bctx *c, tg_err rc)
{
	return rc == TG_OK ? rc : tg_rego_bia_err(c, rc);
}

/* OPA's IntOperand: a plain integer literal within int64. */
static tg_err int_operand(struct tg_rego_bctx *c, const struct tg_json *v, size_t i, int64_t *out)
{
	if (v->type != TG_JSON_NUMBER)
		return tg_rego_bia_type(c, i, "number", v);
	if (!tg_rego_num_int64_lit(v, out)) {
		tg_diag_set(c->d, "operand %zu must be integer number but got floating-point number",
			    i);
		return TG_E_TYPE;
	}
	return TG_OK;
}

/* ---- arrays ---- */

static tg_err bi_array_concat(struct tg_rego_bctx *c, const struct tg_json *const *args,
			      size_t nargs, const struct tg_json **out)
{
	const struct tg_json *a = args[0], *b = args[1];
	const struct tg_json **v;
	tg_err rc;
	(void)nargs;
	if ((rc = want(c, a, 1, TG_JSON_ARRAY)) != TG_OK || (rc = want(c, b, 2, TG_JSON_ARRAY)) != TG_OK)
		return rc;
	if ((rc = tg_rego_bia_charge(c, a->u.a.len + b->u.a.len + 1)) != TG_OK)
		return rc;
	v = tg_arena_alloc_array(c->a, a->u.a.len + b->u.a.len + 1, sizeof(*v));
	if (!v)
		return tg_rego_bia_err(c, TG_E_TOOBIG);
	if (a->u.a.len)
		memcpy(v, a->u.a.items, a->u.a.len * sizeof(*v));
	if (b->u.a.len)
		memcpy(v + a->u.a.len, b->u.a.items, b->u.a.len * sizeof(*v));
	return fail_mem(c, tg_json_new_array(c->a, v, a->u.a.len + b->u.a.len, out));
}

static tg_err bi_array_slice(struct tg_rego_bctx *c, const struct tg_json *const *args,
			     size_t nargs, const struct tg_json **out)
{
	const struct tg_json *a = args[0];
	int64_t start, stop, len;
	tg_err rc;
	(void)nargs;
	if ((rc = want(c, a, 1, TG_JSON_ARRAY)) != TG_OK ||
	    (rc = int_operand(c, args[1], 2, &start)) != TG_OK ||
	    (rc = int_operand(c, args[2], 3, &stop)) != TG_OK)
		return rc;
	len = (int64_t)a->u.a.len;
	if (stop < 0)
		stop = 0;
	else if (stop > len)
		stop = len;
	if (start < 0)
		start = 0;
	else if (start > stop)
		start = stop;
	return fail_mem(c, tg_json_new_array(c->a, a->u.a.items + start, (size_t)(stop - start), out));
}

static tg_err bi_array_reverse(struct tg_rego_bctx *c, const struct tg_json *const *args,
			       size_t nargs, const struct tg_json **out)
{
	const struct tg_json *a = args[0];
	const struct tg_json **v;
	size_t i, n;
	tg_err rc;
	(void)nargs;
	if ((rc = want(c, a, 1, TG_JSON_ARRAY)) != TG_OK)
		return rc;
	n = a->u.a.len;
	if ((rc = tg_rego_bia_charge(c, n + 1)) != TG_OK)
		return rc;
	v = tg_arena_alloc_array(c->a, n + 1, sizeof(*v));
	if (!v)
		return tg_rego_bia_err(c, TG_E_TOOBIG);
	for (i = 0; i < n; i++)
		v[i] = a->u.a.items[n - 1 - i];
	return fail_mem(c, tg_json_new_array(c->a, v, n, out));
}

/* ---- sets ---- */

/* a & b (and) or a | b (or) of two sets. */
static tg_err set_pair(struct tg_rego_bctx *c, const struct tg_json *a, const struct tg_json *b,
		       bool inter, const struct tg_json **out)
{
	struct tg_rego_bia_list l;
	size_t i;
	tg_err rc;
	if ((rc = tg_rego_bia_charge(c, a->u.a.len + b->u.a.len + 1)) != TG_OK)
		return rc;
	tg_rego_bia_list_init(&l, c->a);
	for (i = 0; i < a->u.a.len; i++)
		if ((!inter || tg_json_set_has(b, a->u.a.items[i])) &&
		    (rc = tg_rego_bia_list_add(&l, a->u.a.items[i])) != TG_OK)
			return tg_rego_bia_err(c, rc);
	for (i = 0; i < b->u.a.len && !inter; i++)
		if ((rc = tg_rego_bia_list_add(&l, b->u.a.items[i])) != TG_OK)
			return tg_rego_bia_err(c, rc);
	return fail_mem(c, tg_rego_bia_list_set(&l, out));
}

static tg_err bi_and(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		     const struct tg_json **out)
{
	tg_err rc;
	(void)nargs;
	if ((rc = want(c, args[0], 1, TG_JSON_SET)) != TG_OK ||
	    (rc = want(c, args[1], 2, TG_JSON_SET)) != TG_OK)
		return rc;
	return set_pair(c, args[0], args[1], true, out);
}

static tg_err bi_or(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		    const struct tg_json **out)
{
	tg_err rc;
	(void)nargs;
	if ((rc = want(c, args[0], 1, TG_JSON_SET)) != TG_OK ||
	    (rc = want(c, args[1], 2, TG_JSON_SET)) != TG_OK)
		return rc;
	return set_pair(c, args[0], args[1], false, out);
}

static tg_err bi_set_diff(struct tg_rego_bctx *c, const struct tg_json *const *args,
			  size_t nargs, const struct tg_json **out)
{
	struct tg_rego_bia_list l;
	const struct tg_json *a = args[0], *b = args[1];
	size_t i;
	tg_err rc;
	(void)nargs;
	if ((rc = want(c, a, 1, TG_JSON_SET)) != TG_OK || (rc = want(c, b, 2, TG_JSON_SET)) != TG_OK)
		return rc;
	if ((rc = tg_rego_bia_charge(c, a->u.a.len + 1)) != TG_OK)
		return rc;
	tg_rego_bia_list_init(&l, c->a);
	for (i = 0; i < a->u.a.len; i++)
		if (!tg_json_set_has(b, a->u.a.items[i]) &&
		    (rc = tg_rego_bia_list_add(&l, a->u.a.items[i])) != TG_OK)
			return tg_rego_bia_err(c, rc);
	return fail_mem(c, tg_rego_bia_list_set(&l, out));
}

static tg_err set_of_sets(struct tg_rego_bctx *c, const struct tg_json *const *args, bool inter,
			  const struct tg_json **out)
{
	const struct tg_json *s = args[0], *acc = NULL;
	size_t i;
	tg_err rc;
	if ((rc = want(c, s, 1, TG_JSON_SET)) != TG_OK)
		return rc;
	for (i = 0; i < s->u.a.len; i++)
		if ((rc = want(c, s->u.a.items[i], 1, TG_JSON_SET)) != TG_OK)
			return rc;
	if (s->u.a.len == 0) {
		return fail_mem(c, tg_json_new_set(c->a, NULL, 0, out));
	}
	if (!inter) {
		struct tg_rego_bia_list l;
		tg_rego_bia_list_init(&l, c->a);
		for (i = 0; i < s->u.a.len; i++) {
			const struct tg_json *e = s->u.a.items[i];
			size_t j;
			if ((rc = tg_rego_bia_charge(c, e->u.a.len + 1)) != TG_OK)
				return rc;
			for (j = 0; j < e->u.a.len; j++)
				if ((rc = tg_rego_bia_list_add(&l, e->u.a.items[j])) != TG_OK)
					return tg_rego_bia_err(c, rc);
		}
		return fail_mem(c, tg_rego_bia_list_set(&l, out));
	}
	acc = s->u.a.items[0];
	for (i = 1; i < s->u.a.len; i++)
		if ((rc = set_pair(c, acc, s->u.a.items[i], true, &acc)) != TG_OK)
			return rc;
	*out = acc;
	return TG_OK;
}

static tg_err bi_intersection(struct tg_rego_bctx *c, const struct tg_json *const *args,
			      size_t nargs, const struct tg_json **out)
{
	(void)nargs;
	return set_of_sets(c, args, true, out);
}

static tg_err bi_union(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		       const struct tg_json **out)
{
	(void)nargs;
	return set_of_sets(c, args, false, out);
}

/* ---- objects ---- */

/* Follows one path segment into v (object key, array index, set member);
 * NULL when there is nothing there. */
static const struct tg_json *step_into(const struct tg_json *v, const struct tg_json *seg)
{
	int64_t i;
	switch (v->type) {
	case TG_JSON_OBJECT:
		return tg_json_get_value(v, seg);
	case TG_JSON_ARRAY:
		if (tg_rego_num_int64_lit(seg, &i) && i >= 0 && (uint64_t)i < v->u.a.len)
			return v->u.a.items[i];
		return NULL;
	case TG_JSON_SET:
		return tg_json_set_has(v, seg) ? seg : NULL;
	default:
		return NULL;
	}
}

static tg_err bi_object_get(struct tg_rego_bctx *c, const struct tg_json *const *args,
			    size_t nargs, const struct tg_json **out)
{
	const struct tg_json *obj = args[0], *key = args[1], *v;
	size_t i;
	tg_err rc;
	(void)nargs;
	if ((rc = want(c, obj, 1, TG_JSON_OBJECT)) != TG_OK)
		return rc;
	if (key->type != TG_JSON_ARRAY) {
		v = tg_json_get_value(obj, key);
		*out = v ? v : args[2];
		return TG_OK;
	}
	v = obj;
	for (i = 0; i < key->u.a.len && v; i++)
		v = step_into(v, key->u.a.items[i]);
	*out = v ? v : args[2];
	return TG_OK;
}

static tg_err bi_object_keys(struct tg_rego_bctx *c, const struct tg_json *const *args,
			     size_t nargs, const struct tg_json **out)
{
	const struct tg_json *obj = args[0];
	const struct tg_json **v;
	size_t i;
	tg_err rc;
	(void)nargs;
	if ((rc = want(c, obj, 1, TG_JSON_OBJECT)) != TG_OK)
		return rc;
	v = tg_arena_alloc_array(c->a, obj->u.o.len + 1, sizeof(*v));
	if (!v)
		return tg_rego_bia_err(c, TG_E_TOOBIG);
	for (i = 0; i < obj->u.o.len; i++)
		v[i] = obj->u.o.items[i].key;
	return fail_mem(c, tg_json_new_set(c->a, v, obj->u.o.len, out));
}

/* The keys named by an array, set or object (its keys) as a set. */
static tg_err keys_param(struct tg_rego_bctx *c, const struct tg_json *k,
			 const struct tg_json **set)
{
	switch (k->type) {
	case TG_JSON_SET:
		*set = k;
		return TG_OK;
	case TG_JSON_ARRAY:
		return fail_mem(c, tg_json_new_set(c->a, k->u.a.items, k->u.a.len, set));
	case TG_JSON_OBJECT: {
		const struct tg_json **v = tg_arena_alloc_array(c->a, k->u.o.len + 1, sizeof(*v));
		size_t i;
		if (!v)
			return tg_rego_bia_err(c, TG_E_TOOBIG);
		for (i = 0; i < k->u.o.len; i++)
			v[i] = k->u.o.items[i].key;
		return fail_mem(c, tg_json_new_set(c->a, v, k->u.o.len, set));
	}
	default:
		return tg_rego_bia_type(c, 2, "one of {object, set, array}", k);
	}
}

static tg_err object_keep(struct tg_rego_bctx *c, const struct tg_json *const *args, bool keep,
			  const struct tg_json **out)
{
	const struct tg_json *obj = args[0], *keys;
	struct tg_json_member *m;
	size_t i, n = 0;
	tg_err rc;
	if ((rc = want(c, obj, 1, TG_JSON_OBJECT)) != TG_OK || (rc = keys_param(c, args[1], &keys)) != TG_OK)
		return rc;
	if ((rc = tg_rego_bia_charge(c, obj->u.o.len + 1)) != TG_OK)
		return rc;
	m = tg_arena_alloc_array(c->a, obj->u.o.len + 1, sizeof(*m));
	if (!m)
		return tg_rego_bia_err(c, TG_E_TOOBIG);
	for (i = 0; i < obj->u.o.len; i++)
		if (tg_json_set_has(keys, obj->u.o.items[i].key) == keep)
			m[n++] = obj->u.o.items[i];
	return fail_mem(c, tg_json_new_object(c->a, m, n, TG_JSON_DUP_LAST, out));
}

static tg_err bi_object_remove(struct tg_rego_bctx *c, const struct tg_json *const *args,
			       size_t nargs, const struct tg_json **out)
{
	(void)nargs;
	return object_keep(c, args, false, out);
}

static tg_err bi_object_filter(struct tg_rego_bctx *c, const struct tg_json *const *args,
			       size_t nargs, const struct tg_json **out)
{
	(void)nargs;
	return object_keep(c, args, true, out);
}

/* a merged with b: b's values win, except that two objects merge. */
static tg_err merge(struct tg_rego_bctx *c, const struct tg_json *a, const struct tg_json *b,
		    unsigned depth, const struct tg_json **out)
{
	struct tg_json_member *m;
	size_t i = 0, j = 0, n = 0;
	tg_err rc;
	if (depth > DEPTH_MAX)
		return tg_rego_bia_err(c, TG_E_DEPTH);
	if ((rc = tg_rego_bia_charge(c, a->u.o.len + b->u.o.len + 1)) != TG_OK)
		return rc;
	m = tg_arena_alloc_array(c->a, a->u.o.len + b->u.o.len + 1, sizeof(*m));
	if (!m)
		return tg_rego_bia_err(c, TG_E_TOOBIG);
	while (i < a->u.o.len || j < b->u.o.len) {
		int r = i >= a->u.o.len	  ? 1
			: j >= b->u.o.len ? -1
					  : tg_json_cmp(a->u.o.items[i].key, b->u.o.items[j].key);
		if (r < 0) {
			m[n++] = a->u.o.items[i++];
		} else if (r > 0) {
			m[n++] = b->u.o.items[j++];
		} else {
			const struct tg_json *va = a->u.o.items[i].val, *vb = b->u.o.items[j].val;
			m[n].key = a->u.o.items[i].key;
			if (va->type == TG_JSON_OBJECT && vb->type == TG_JSON_OBJECT) {
				if ((rc = merge(c, va, vb, depth + 1, &m[n].val)) != TG_OK)
					return rc;
			} else {
				m[n].val = vb;
			}
			n++;
			i++;
			j++;
		}
	}
	return fail_mem(c, tg_json_new_object(c->a, m, n, TG_JSON_DUP_LAST, out));
}

static tg_err bi_object_union(struct tg_rego_bctx *c, const struct tg_json *const *args,
			      size_t nargs, const struct tg_json **out)
{
	tg_err rc;
	(void)nargs;
	if ((rc = want(c, args[0], 1, TG_JSON_OBJECT)) != TG_OK ||
	    (rc = want(c, args[1], 2, TG_JSON_OBJECT)) != TG_OK)
		return rc;
	return merge(c, args[0], args[1], 0, out);
}

static tg_err bi_object_union_n(struct tg_rego_bctx *c, const struct tg_json *const *args,
				size_t nargs, const struct tg_json **out)
{
	const struct tg_json *arr = args[0], *acc = &tg_json_empty_object_v;
	size_t i;
	tg_err rc;
	(void)nargs;
	if ((rc = want(c, arr, 1, TG_JSON_ARRAY)) != TG_OK)
		return rc;
	for (i = 0; i < arr->u.a.len; i++)
		if (arr->u.a.items[i]->type != TG_JSON_OBJECT)
			return tg_rego_bia_elem(c, 1, arr, arr->u.a.items[i], "object");
	for (i = 0; i < arr->u.a.len; i++)
		if ((rc = merge(c, acc, arr->u.a.items[i], 0, &acc)) != TG_OK)
			return rc;
	*out = acc;
	return TG_OK;
}

static bool subset(const struct tg_json *sup, const struct tg_json *sub, unsigned depth);

static bool set_subset(const struct tg_json *sup, const struct tg_json *sub)
{
	size_t i;
	for (i = 0; i < sub->u.a.len; i++)
		if (!tg_json_set_has(sup, sub->u.a.items[i]))
			return false;
	return true;
}

/* sub appears contiguously in sup */
static bool array_subset(const struct tg_json *sup, const struct tg_json *sub)
{
	size_t i, j;
	if (sub->u.a.len == 0)
		return true;
	for (i = 0; i + sub->u.a.len <= sup->u.a.len; i++) {
		for (j = 0; j < sub->u.a.len; j++)
			if (!tg_json_eq(sup->u.a.items[i + j], sub->u.a.items[j]))
				break;
		if (j == sub->u.a.len)
			return true;
	}
	return false;
}

static bool object_subset(const struct tg_json *sup, const struct tg_json *sub, unsigned depth)
{
	size_t i;
	for (i = 0; i < sub->u.o.len; i++) {
		const struct tg_json *sv = sub->u.o.items[i].val;
		const struct tg_json *pv = tg_json_get_value(sup, sub->u.o.items[i].key);
		if (!pv)
			return false;
		if (sv->type == pv->type &&
		    (sv->type == TG_JSON_OBJECT || sv->type == TG_JSON_SET || sv->type == TG_JSON_ARRAY)) {
			if (!subset(pv, sv, depth + 1))
				return false;
		} else if (!tg_json_eq(pv, sv)) {
			return false;
		}
	}
	return true;
}

static bool subset(const struct tg_json *sup, const struct tg_json *sub, unsigned depth)
{
	if (depth > DEPTH_MAX)
		return false;
	if (sup->type == TG_JSON_OBJECT)
		return object_subset(sup, sub, depth);
	if (sup->type == TG_JSON_SET)
		return set_subset(sup, sub);
	if (sub->type == TG_JSON_SET) {
		size_t i, j;
		for (i = 0; i < sub->u.a.len; i++) {
			for (j = 0; j < sup->u.a.len; j++)
				if (tg_json_eq(sup->u.a.items[j], sub->u.a.items[i]))
					break;
			if (j == sup->u.a.len)
				return false;
		}
		return true;
	}
	return array_subset(sup, sub);
}

static tg_err bi_object_subset(struct tg_rego_bctx *c, const struct tg_json *const *args,
			       size_t nargs, const struct tg_json **out)
{
	const struct tg_json *sup = args[0], *sub = args[1];
	size_t i;
	tg_err rc;
	(void)nargs;
	for (i = 0; i < 2; i++) {
		const struct tg_json *v = args[i];
		if (v->type != TG_JSON_OBJECT && v->type != TG_JSON_SET && v->type != TG_JSON_ARRAY)
			return tg_rego_bia_type(c, i + 1, "one of {object, array, set}", v);
	}
	if (!(sup->type == sub->type || (sup->type == TG_JSON_ARRAY && sub->type == TG_JSON_SET))) {
		tg_diag_set(c->d, "both arguments to object.subset must be of the same type or array and set");
		return TG_E_TYPE;
	}
	if ((rc = tg_rego_bia_charge(c, (sup->type == TG_JSON_OBJECT ? sup->u.o.len : sup->u.a.len) + 1)) !=
	    TG_OK)
		return rc;
	*out = tg_json_bool(subset(sup, sub, 0));
	return TG_OK;
}

/* ---- JSON paths: json.filter, json.remove, json.patch ---- */

/* Splits a JSON path (string "a/b" or "/a/b", ~1 and ~0 unescaped; or an
 * array of segments) into an array of segments. */
static tg_err parse_path(struct tg_rego_bctx *c, const struct tg_json *p, const struct tg_json **out)
{
	struct tg_rego_bia_list l;
	const char *s, *e, *end;
	tg_err rc;
	if (p->type == TG_JSON_ARRAY) {
		*out = p;
		return TG_OK;
	}
	if (p->type != TG_JSON_STRING) {
		tg_diag_set(c->d,
			    "operand 2 must be one of {set, array} containing string paths or array of path segments but got %s",
			    tg_json_type_name((enum tg_json_type)p->type));
		return TG_E_TYPE;
	}
	tg_rego_bia_list_init(&l, c->a);
	s = p->u.s.p;
	end = s + p->u.s.len;
	if (s == end) {
		*out = &tg_json_empty_array_v;
		return TG_OK;
	}
	while (s < end && *s == '/')
		s++;
	for (;;) {
		struct tg_buf b = TG_BUF_INIT(p->u.s.len + 1);
		const struct tg_json *seg;
		const char *q;
		e = memchr(s, '/', (size_t)(end - s));
		if (!e)
			e = end;
		rc = TG_OK;
		for (q = s; q < e && rc == TG_OK; q++) {
			if (*q == '~' && q + 1 < e && (q[1] == '1' || q[1] == '0')) {
				rc = tg_buf_addc(&b, q[1] == '1' ? '/' : '~');
				q++;
			} else {
				rc = tg_buf_addc(&b, (uint8_t)*q);
			}
		}
		if (rc == TG_OK)
			rc = tg_json_new_string(c->a, tg_buf_str(&b), b.len, &seg);
		tg_buf_release(&b);
		if (rc == TG_OK)
			rc = tg_rego_bia_list_add(&l, seg);
		if (rc != TG_OK)
			return tg_rego_bia_err(c, rc);
		if (e == end)
			break;
		s = e + 1;
	}
	return fail_mem(c, tg_rego_bia_list_array(&l, out));
}

/* A tree of paths: an object whose leaves are null (OPA's pathsToObject).
 * Built as nested mutable nodes, then frozen. */
struct pnode {
	const struct tg_json *key;
	struct pnode *kids; /* first child */
	struct pnode *next; /* sibling */
	bool leaf;
};

static tg_err paths_tree(struct tg_rego_bctx *c, const struct tg_json *paths, struct pnode *root)
{
	size_t i, j, n;
	tg_err rc;
	if (paths->type != TG_JSON_ARRAY && paths->type != TG_JSON_SET)
		return tg_rego_bia_type(c, 2, "one of {set, array}", paths);
	memset(root, 0, sizeof(*root));
	for (i = 0; i < paths->u.a.len; i++) {
		const struct tg_json *p;
		struct pnode *node = root;
		if ((rc = parse_path(c, paths->u.a.items[i], &p)) != TG_OK)
			return rc;
		n = p->u.a.len;
		if ((rc = tg_rego_bia_charge(c, n + 1)) != TG_OK)
			return rc;
		if (n == 0)
			continue;
		for (j = 0; j < n && !node->leaf; j++) {
			struct pnode *k;
			for (k = node->kids; k; k = k->next)
				if (tg_json_eq(k->key, p->u.a.items[j]))
					break;
			if (!k) {
				k = tg_arena_alloc(c->a, sizeof(*k));
				if (!k)
					return tg_rego_bia_err(c, TG_E_TOOBIG);
				memset(k, 0, sizeof(*k));
				k->key = p->u.a.items[j];
				k->next = node->kids;
				node->kids = k;
			}
			if (j == n - 1) {
				k->leaf = true;
				k->kids = NULL;
			}
			node = k;
		}
	}
	return TG_OK;
}

static const struct pnode *pn_get(const struct pnode *n, const struct tg_json *key)
{
	const struct pnode *k;
	for (k = n->kids; k; k = k->next)
		if (tg_json_eq(k->key, key))
			return k;
	return NULL;
}

/* The key under which an array element is addressed: its index as a string. */
static tg_err index_key(struct tg_rego_bctx *c, size_t i, const struct tg_json **out)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%zu", i);
	return fail_mem(c, tg_json_new_string(c->a, tmp, (size_t)n, out));
}

/* json.filter: keeps what the tree names (filterObject in OPA's ast). */
static tg_err filter_value(struct tg_rego_bctx *c, const struct tg_json *v, const struct pnode *f,
			   unsigned depth, const struct tg_json **out)
{
	struct tg_rego_bia_list l;
	struct tg_rego_bia_members m;
	size_t i;
	tg_err rc;
	if (f->leaf) {
		*out = v;
		return TG_OK;
	}
	if (depth > DEPTH_MAX)
		return tg_rego_bia_err(c, TG_E_DEPTH);
	switch (v->type) {
	case TG_JSON_ARRAY:
	case TG_JSON_SET:
		tg_rego_bia_list_init(&l, c->a);
		for (i = 0; i < v->u.a.len; i++) {
			const struct tg_json *k = v->u.a.items[i], *fv;
			const struct pnode *sub;
			if (v->type == TG_JSON_ARRAY && (rc = index_key(c, i, &k)) != TG_OK)
				return rc;
			sub = pn_get(f, k);
			if (!sub)
				continue;
			if ((rc = filter_value(c, v->u.a.items[i], sub, depth + 1, &fv)) != TG_OK)
				return rc;
			if ((rc = tg_rego_bia_list_add(&l, fv)) != TG_OK)
				return tg_rego_bia_err(c, rc);
		}
		return fail_mem(c, v->type == TG_JSON_ARRAY ? tg_rego_bia_list_array(&l, out)
							    : tg_rego_bia_list_set(&l, out));
	case TG_JSON_OBJECT:
		tg_rego_bia_members_init(&m, c->a);
		for (i = 0; i < v->u.o.len; i++) {
			const struct pnode *sub = pn_get(f, v->u.o.items[i].key);
			const struct tg_json *fv;
			if (!sub)
				continue;
			if ((rc = filter_value(c, v->u.o.items[i].val, sub, depth + 1, &fv)) != TG_OK)
				return rc;
			if ((rc = tg_rego_bia_members_add(&m, v->u.o.items[i].key, fv)) != TG_OK)
				return tg_rego_bia_err(c, rc);
		}
		return fail_mem(c, tg_rego_bia_members_object(&m, out));
	default:
		*out = v;
		return TG_OK;
	}
}

/* json.remove: drops what the tree's leaves name; *out NULL when v itself
 * is removed. */
static tg_err remove_value(struct tg_rego_bctx *c, const struct tg_json *v, const struct pnode *f,
			   unsigned depth, const struct tg_json **out)
{
	struct tg_rego_bia_list l;
	struct tg_rego_bia_members m;
	size_t i;
	tg_err rc;
	if (!f) {
		*out = v;
		return TG_OK;
	}
	if (f->leaf) {
		*out = NULL;
		return TG_OK;
	}
	if (depth > DEPTH_MAX)
		return tg_rego_bia_err(c, TG_E_DEPTH);
	switch (v->type) {
	case TG_JSON_ARRAY:
	case TG_JSON_SET:
		tg_rego_bia_list_init(&l, c->a);
		for (i = 0; i < v->u.a.len; i++) {
			const struct tg_json *k = v->u.a.items[i], *rv;
			if (v->type == TG_JSON_ARRAY && (rc = index_key(c, i, &k)) != TG_OK)
				return rc;
			if ((rc = remove_value(c, v->u.a.items[i], pn_get(f, k), depth + 1, &rv)) != TG_OK)
				return rc;
			if (rv && (rc = tg_rego_bia_list_add(&l, rv)) != TG_OK)
				return tg_rego_bia_err(c, rc);
		}
		return fail_mem(c, v->type == TG_JSON_ARRAY ? tg_rego_bia_list_array(&l, out)
							    : tg_rego_bia_list_set(&l, out));
	case TG_JSON_OBJECT:
		tg_rego_bia_members_init(&m, c->a);
		for (i = 0; i < v->u.o.len; i++) {
			const struct tg_json *rv;
			if ((rc = remove_value(c, v->u.o.items[i].val, pn_get(f, v->u.o.items[i].key),
					       depth + 1, &rv)) != TG_OK)
				return rc;
			if (rv && (rc = tg_rego_bia_members_add(&m, v->u.o.items[i].key, rv)) != TG_OK)
				return tg_rego_bia_err(c, rc);
		}
		return fail_mem(c, tg_rego_bia_members_object(&m, out));
	default:
		*out = v;
		return TG_OK;
	}
}

static tg_err bi_json_filter(struct tg_rego_bctx *c, const struct tg_json *const *args,
			     size_t nargs, const struct tg_json **out)
{
	struct pnode root;
	tg_err rc;
	(void)nargs;
	if ((rc = want(c, args[0], 1, TG_JSON_OBJECT)) != TG_OK ||
	    (rc = paths_tree(c, args[1], &root)) != TG_OK)
		return rc;
	if ((rc = tg_rego_bia_charge(c, args[0]->u.o.len + 1)) != TG_OK)
		return rc;
	return filter_value(c, args[0], &root, 0, out);
}

static tg_err bi_json_remove(struct tg_rego_bctx *c, const struct tg_json *const *args,
			     size_t nargs, const struct tg_json **out)
{
	struct pnode root;
	tg_err rc;
	(void)nargs;
	if ((rc = want(c, args[0], 1, TG_JSON_OBJECT)) != TG_OK ||
	    (rc = paths_tree(c, args[1], &root)) != TG_OK)
		return rc;
	if ((rc = tg_rego_bia_charge(c, args[0]->u.o.len + 1)) != TG_OK)
		return rc;
	return remove_value(c, args[0], &root, 0, out);
}

/* ---- json.patch (RFC 6902, extended to sets as OPA does) ---- */

enum pop { P_ADD, P_REMOVE };

/* An array index segment: a plain decimal integer (no sign, no leading
 * zero) as a string, or an integer number. */
static bool seg_index(const struct tg_json *seg, int64_t *out)
{
	if (seg->type == TG_JSON_NUMBER)
		return tg_rego_num_int64_lit(seg, out) && *out >= 0;
	if (seg->type == TG_JSON_STRING) {
		const char *s = seg->u.s.p;
		size_t n = seg->u.s.len, i;
		int64_t v = 0;
		if (n == 0 || n > 18 || (n > 1 && s[0] == '0'))
			return false;
		for (i = 0; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return false;
			v = v * 10 + (s[i] - '0');
		}
		*out = v;
		return true;
	}
	return false;
}

static const struct tg_json *patch_get(const struct tg_json *doc, const struct tg_json *path)
{
	size_t i;
	for (i = 0; i < path->u.a.len && doc; i++) {
		const struct tg_json *seg = path->u.a.items[i];
		int64_t k;
		if (doc->type == TG_JSON_ARRAY) {
			doc = seg_index(seg, &k) && (uint64_t)k < doc->u.a.len ? doc->u.a.items[k] : NULL;
		} else {
			doc = step_into(doc, seg);
		}
	}
	return doc;
}

/* Applies add (value) or remove at path[i..] of doc; *out NULL when the
 * operation does not apply. */
static tg_err patch_at(struct tg_rego_bctx *c, const struct tg_json *doc, const struct tg_json *path,
		       size_t i, enum pop op, const struct tg_json *value, const struct tg_json **out)
{
	const struct tg_json *seg, *child, *nv;
	const struct tg_json **items;
	struct tg_json_member *m;
	size_t n, j;
	int64_t k;
	tg_err rc;

	*out = NULL;
	if (i == path->u.a.len) {
		if (op == P_ADD)
			*out = value;
		return TG_OK; /* removing the root is not an operation */
	}
	if (i > DEPTH_MAX)
		return TG_OK;
	seg = path->u.a.items[i];
	if (i + 1 < path->u.a.len) {
		/* descend */
		if (doc->type == TG_JSON_ARRAY)
			child = seg_index(seg, &k) && (uint64_t)k < doc->u.a.len ? doc->u.a.items[k] : NULL;
		else
			child = step_into(doc, seg);
		if (!child)
			return TG_OK;
		if ((rc = patch_at(c, child, path, i + 1, op, value, &nv)) != TG_OK || !nv)
			return rc;
	} else {
		child = NULL;
		nv = NULL;
	}
	switch (doc->type) {
	case TG_JSON_OBJECT:
		n = doc->u.o.len;
		m = tg_arena_alloc_array(c->a, n + 1, sizeof(*m));
		if (!m)
			return tg_rego_bia_err(c, TG_E_TOOBIG);
		if (n)
			memcpy(m, doc->u.o.items, n * sizeof(*m));
		for (j = 0; j < n && !tg_json_eq(m[j].key, seg); j++)
			;
		if (child) {
			m[j].val = nv;
		} else if (op == P_ADD) {
			if (j == n) {
				m[n].key = seg;
				n++;
			}
			m[j].val = value;
		} else {
			if (j == n)
				return TG_OK;
			memmove(m + j, m + j + 1, (n - j - 1) * sizeof(*m));
			n--;
		}
		return fail_mem(c, tg_json_new_object(c->a, m, n, TG_JSON_DUP_LAST, out));
	case TG_JSON_ARRAY:
		n = doc->u.a.len;
		items = tg_arena_alloc_array(c->a, n + 1, sizeof(*items));
		if (!items)
			return tg_rego_bia_err(c, TG_E_TOOBIG);
		if (n)
			memcpy(items, doc->u.a.items, n * sizeof(*items));
		if (child) {
			seg_index(seg, &k);
			items[k] = nv;
		} else if (op == P_ADD) {
			if (seg->type == TG_JSON_STRING && seg->u.s.len == 1 && seg->u.s.p[0] == '-')
				k = (int64_t)n;
			else if (!seg_index(seg, &k) || (uint64_t)k > n)
				return TG_OK;
			memmove(items + k + 1, items + k, (n - (size_t)k) * sizeof(*items));
			items[k] = value;
			n++;
		} else {
			if (!seg_index(seg, &k) || (uint64_t)k >= n)
				return TG_OK;
			memmove(items + k, items + k + 1, (n - (size_t)k - 1) * sizeof(*items));
			n--;
		}
		return fail_mem(c, tg_json_new_array(c->a, items, n, out));
	case TG_JSON_SET:
		n = doc->u.a.len;
		items = tg_arena_alloc_array(c->a, n + 1, sizeof(*items));
		if (!items)
			return tg_rego_bia_err(c, TG_E_TOOBIG);
		if (n)
			memcpy(items, doc->u.a.items, n * sizeof(*items));
		for (j = 0; j < n && !tg_json_eq(items[j], seg); j++)
			;
		if (child) {
			items[j] = nv;
		} else if (op == P_ADD) {
			if (!tg_json_eq(seg, value))
				return TG_OK;
			items[n++] = value;
		} else {
			if (j == n)
				return TG_OK;
			memmove(items + j, items + j + 1, (n - j - 1) * sizeof(*items));
			n--;
		}
		return fail_mem(c, tg_json_new_set(c->a, items, n, out));
	default:
		return TG_OK;
	}
}

static tg_err bi_json_patch(struct tg_rego_bctx *c, const struct tg_json *const *args,
			    size_t nargs, const struct tg_json **out)
{
	const struct tg_json *doc = args[0], *ops = args[1];
	size_t i;
	tg_err rc;
	(void)nargs;
	if ((rc = want(c, ops, 2, TG_JSON_ARRAY)) != TG_OK)
		return rc;
	*out = NULL;
	for (i = 0; i < ops->u.a.len; i++) {
		const struct tg_json *o = ops->u.a.items[i], *opv, *pathv, *path, *from = NULL,
				     *value = NULL, *moved;
		if ((rc = tg_rego_bia_charge(c, 16)) != TG_OK)
			return rc;
		if (o->type != TG_JSON_OBJECT)
			return TG_OK;
		opv = tg_json_get(o, "op");
		pathv = tg_json_get(o, "path");
		if (!opv || opv->type != TG_JSON_STRING || !pathv)
			return TG_OK;
		if (parse_path(c, pathv, &path) != TG_OK)
			return TG_OK;
		if (tg_json_str_eq(opv, "move") || tg_json_str_eq(opv, "copy")) {
			const struct tg_json *fv = tg_json_get(o, "from");
			if (!fv || parse_path(c, fv, &from) != TG_OK)
				return TG_OK;
		} else if (tg_json_str_eq(opv, "add") || tg_json_str_eq(opv, "replace") ||
			   tg_json_str_eq(opv, "test")) {
			value = tg_json_get(o, "value");
			if (!value)
				return TG_OK;
		} else if (!tg_json_str_eq(opv, "remove")) {
			return TG_OK;
		}
		if (tg_json_str_eq(opv, "add")) {
			rc = patch_at(c, doc, path, 0, P_ADD, value, &doc);
		} else if (tg_json_str_eq(opv, "remove")) {
			rc = patch_at(c, doc, path, 0, P_REMOVE, NULL, &doc);
		} else if (tg_json_str_eq(opv, "replace")) {
			if (!patch_get(doc, path))
				return TG_OK;
			rc = path->u.a.len == 0 ? (doc = value, TG_OK)
						: patch_at(c, doc, path, 0, P_REMOVE, NULL, &doc);
			if (rc == TG_OK && doc && path->u.a.len)
				rc = patch_at(c, doc, path, 0, P_ADD, value, &doc);
		} else if (tg_json_str_eq(opv, "test")) {
			moved = patch_get(doc, path);
			if (!moved || !tg_json_eq(moved, value))
				return TG_OK;
		} else {
			moved = patch_get(doc, from);
			if (!moved)
				return TG_OK;
			rc = TG_OK;
			if (tg_json_str_eq(opv, "move") && from->u.a.len)
				rc = patch_at(c, doc, from, 0, P_REMOVE, NULL, &doc);
			if (rc == TG_OK && doc)
				rc = patch_at(c, doc, path, 0, P_ADD, moved, &doc);
		}
		if (rc != TG_OK)
			return rc == TG_E_TYPE ? TG_OK : rc;
		if (!doc)
			return TG_OK;
	}
	*out = doc;
	return TG_OK;
}

/* ---- types ---- */

static tg_err bi_type_name(struct tg_rego_bctx *c, const struct tg_json *const *args,
			   size_t nargs, const struct tg_json **out)
{
	const char *n = tg_json_type_name((enum tg_json_type)args[0]->type);
	(void)nargs;
	return fail_mem(c, tg_json_new_string(c->a, n, strlen(n), out));
}

#define IS_FN(fname, t)                                                                           \
	static tg_err fname(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs, \
			    const struct tg_json **out)                                           \
	{                                                                                         \
		(void)c;                                                                          \
		(void)nargs;                                                                      \
		*out = tg_json_bool(args[0]->type == (t));                                        \
		return TG_OK;                                                                     \
	}

IS_FN(bi_is_number, TG_JSON_NUMBER)
IS_FN(bi_is_string, TG_JSON_STRING)
IS_FN(bi_is_boolean, TG_JSON_BOOL)
IS_FN(bi_is_array, TG_JSON_ARRAY)
IS_FN(bi_is_set, TG_JSON_SET)
IS_FN(bi_is_object, TG_JSON_OBJECT)
IS_FN(bi_is_null, TG_JSON_NULL)

#define CAST_FN(fname, t)                                                                         \
	static tg_err fname(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs, \
			    const struct tg_json **out)                                           \
	{                                                                                         \
		tg_err rc_;                                                                       \
		(void)nargs;                                                                      \
		if ((rc_ = want(c, args[0], 1, (t))) != TG_OK)                                    \
			return rc_;                                                               \
		*out = args[0];                                                                   \
		return TG_OK;                                                                     \
	}

CAST_FN(bi_cast_string, TG_JSON_STRING)
CAST_FN(bi_cast_boolean, TG_JSON_BOOL)
CAST_FN(bi_cast_null, TG_JSON_NULL)
CAST_FN(bi_cast_object, TG_JSON_OBJECT)

static tg_err bi_cast_array(struct tg_rego_bctx *c, const struct tg_json *const *args,
			    size_t nargs, const struct tg_json **out)
{
	const struct tg_json *v = args[0];
	(void)nargs;
	if (v->type == TG_JSON_ARRAY) {
		*out = v;
		return TG_OK;
	}
	if (v->type == TG_JSON_SET)
		return fail_mem(c, tg_json_new_array(c->a, v->u.a.items, v->u.a.len, out));
	return tg_rego_bia_type(c, 1, "one of {array, set}", v);
}

static tg_err bi_cast_set(struct tg_rego_bctx *c, const struct tg_json *const *args,
			  size_t nargs, const struct tg_json **out)
{
	const struct tg_json *v = args[0];
	(void)nargs;
	if (v->type == TG_JSON_SET) {
		*out = v;
		return TG_OK;
	}
	if (v->type == TG_JSON_ARRAY)
		return fail_mem(c, tg_json_new_set(c->a, v->u.a.items, v->u.a.len, out));
	return tg_rego_bia_type(c, 1, "one of {array, set}", v);
}

/* ---- walk ---- */

/* Appends [path, v] for v and everything below it, parents first. */
static tg_err walk_rec(struct tg_rego_bctx *c, const struct tg_json *v, const struct tg_json **path,
		       size_t depth, struct tg_rego_bia_list *res)
{
	const struct tg_json *p, *pair[2];
	const struct tg_json *row;
	size_t i;
	tg_err rc;
	if (depth > DEPTH_MAX)
		return tg_rego_bia_err(c, TG_E_DEPTH);
	if ((rc = tg_rego_bia_charge(c, depth + 1)) != TG_OK)
		return rc;
	if ((rc = tg_json_new_array(c->a, path, depth, &p)) != TG_OK)
		return tg_rego_bia_err(c, rc);
	pair[0] = p;
	pair[1] = v;
	if ((rc = tg_json_new_array(c->a, pair, 2, &row)) != TG_OK ||
	    (rc = tg_rego_bia_list_add(res, row)) != TG_OK)
		return tg_rego_bia_err(c, rc);
	switch (v->type) {
	case TG_JSON_ARRAY:
		for (i = 0; i < v->u.a.len; i++) {
			const struct tg_json *k;
			if ((rc = tg_rego_bia_int(c->a, (int64_t)i, &k)) != TG_OK)
				return tg_rego_bia_err(c, rc);
			path[depth] = k;
			if ((rc = walk_rec(c, v->u.a.items[i], path, depth + 1, res)) != TG_OK)
				return rc;
		}
		break;
	case TG_JSON_SET:
		for (i = 0; i < v->u.a.len; i++) {
			path[depth] = v->u.a.items[i];
			if ((rc = walk_rec(c, v->u.a.items[i], path, depth + 1, res)) != TG_OK)
				return rc;
		}
		break;
	case TG_JSON_OBJECT:
		for (i = 0; i < v->u.o.len; i++) {
			path[depth] = v->u.o.items[i].key;
			if ((rc = walk_rec(c, v->u.o.items[i].val, path, depth + 1, res)) != TG_OK)
				return rc;
		}
		break;
	default:
		break;
	}
	return TG_OK;
}

static tg_err bi_walk(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		      const struct tg_json **out)
{
	struct tg_rego_bia_list res;
	const struct tg_json **path;
	tg_err rc;
	(void)nargs;
	path = tg_arena_alloc_array(c->a, DEPTH_MAX + 2, sizeof(*path));
	if (!path)
		return tg_rego_bia_err(c, TG_E_TOOBIG);
	tg_rego_bia_list_init(&res, c->a);
	if ((rc = walk_rec(c, args[0], path, 0, &res)) != TG_OK)
		return rc;
	return fail_mem(c, tg_rego_bia_list_array(&res, out));
}

#define OBJ "object[any: any]"
#define KEYS "any<array[any], object[any: any], set[any]>"
#define PATHS "any<array[any<array[any], string>], set[any<array[any], string>]>"

const struct tg_rego_builtin tg_rego_builtins_collections[] = {
	{"array.concat", NULL, 2, "(array[any], array[any]) => array[any]", bi_array_concat, 0},
	{"array.slice", NULL, 3, "(array[any], number, number) => array[any]", bi_array_slice, 0},
	{"array.reverse", NULL, 1, "(array[any]) => array[any]", bi_array_reverse, 0},
	{"and", "&", 2, "(set[any], set[any]) => set[any]", bi_and, 0},
	{"or", "|", 2, "(set[any], set[any]) => set[any]", bi_or, 0},
	{"intersection", NULL, 1, "(set[set[any]]) => set[any]", bi_intersection, 0},
	{"union", NULL, 1, "(set[set[any]]) => set[any]", bi_union, 0},
	{"set_diff", NULL, 2, "(set[any], set[any]) => set[any]", bi_set_diff, TG_RB_DEPRECATED},
	{"object.get", NULL, 3, "(" OBJ ", any, any) => any", bi_object_get, 0},
	{"object.keys", NULL, 1, "(" OBJ ") => set[any]", bi_object_keys, 0},
	{"object.remove", NULL, 2, "(" OBJ ", " KEYS ") => any", bi_object_remove, 0},
	{"object.filter", NULL, 2, "(" OBJ ", " KEYS ") => any", bi_object_filter, 0},
	{"object.union", NULL, 2, "(" OBJ ", " OBJ ") => any", bi_object_union, 0},
	{"object.union_n", NULL, 1, "(array[" OBJ "]) => any", bi_object_union_n, 0},
	{"object.subset", NULL, 2, "(" KEYS ", " KEYS ") => any", bi_object_subset, 0},
	{"json.filter", NULL, 2, "(" OBJ ", " PATHS ") => any", bi_json_filter, 0},
	{"json.remove", NULL, 2, "(" OBJ ", " PATHS ") => any", bi_json_remove, 0},
	{"json.patch", NULL, 2,
	 "(any, array[object<op: string, path: any>[any: any]]) => any", bi_json_patch, 0},
	{"type_name", NULL, 1, "(any) => string", bi_type_name, 0},
	{"is_number", NULL, 1, "(any) => boolean", bi_is_number, 0},
	{"is_string", NULL, 1, "(any) => boolean", bi_is_string, 0},
	{"is_boolean", NULL, 1, "(any) => boolean", bi_is_boolean, 0},
	{"is_array", NULL, 1, "(any) => boolean", bi_is_array, 0},
	{"is_set", NULL, 1, "(any) => boolean", bi_is_set, 0},
	{"is_object", NULL, 1, "(any) => boolean", bi_is_object, 0},
	{"is_null", NULL, 1, "(any) => boolean", bi_is_null, 0},
	{"cast_array", NULL, 1, "(any) => array[any]", bi_cast_array, TG_RB_DEPRECATED},
	{"cast_set", NULL, 1, "(any) => set[any]", bi_cast_set, TG_RB_DEPRECATED},
	{"cast_string", NULL, 1, "(any) => string", bi_cast_string, TG_RB_DEPRECATED},
	{"cast_boolean", NULL, 1, "(any) => boolean", bi_cast_boolean, TG_RB_DEPRECATED},
	{"cast_null", NULL, 1, "(any) => null", bi_cast_null, TG_RB_DEPRECATED},
	{"cast_object", NULL, 1, "(any) => " OBJ, bi_cast_object, TG_RB_DEPRECATED},
	{"walk", NULL, 1, "(any) => array<array[any], any>", bi_walk, TG_RB_RELATION},
	{NULL, NULL, 0, NULL, NULL, 0},
};
