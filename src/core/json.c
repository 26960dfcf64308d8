/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.c - the value model: singletons, builders, lookups, exact number
 * handling and the total order.
 */
#include "core/json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_internal.h"
#include "core/mem.h"
#include "core/utf8.h"

const struct tg_json tg_json_null_v = {.type = TG_JSON_NULL};
const struct tg_json tg_json_true_v = {.type = TG_JSON_BOOL, .u.b = true};
const struct tg_json tg_json_false_v = {.type = TG_JSON_BOOL, .u.b = false};
const struct tg_json tg_json_empty_array_v = {.type = TG_JSON_ARRAY};
const struct tg_json tg_json_empty_object_v = {.type = TG_JSON_OBJECT};

const char *tg_json_type_name(enum tg_json_type t)
{
	static const char *const names[] = {"null",  "boolean", "number", "string",
					    "array", "object",  "set"};
	return (unsigned)t < TG_ARRAY_LEN(names) ? names[t] : "unknown";
}

/* ---- number literals ---- */

bool tg_json_numlit_valid(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && s[i] == '-')
		i++;
	if (i >= n)
		return false;
	if (s[i] == '0') {
		i++;
	} else if (s[i] >= '1' && s[i] <= '9') {
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	} else {
		return false;
	}
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return false;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return false;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return i == n;
}

bool tg_numlit_split(const char *s, size_t n, struct tg_numparts *np)
{
	size_t i = 0, lead;
	int64_t e = 0;
	bool eneg = false;

	memset(np, 0, sizeof(*np));
	if (i < n && s[i] == '-') {
		np->neg = true;
		i++;
	}
	np->ip = s + i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	np->in = (size_t)(s + i - np->ip);
	if (i < n && s[i] == '.') {
		i++;
		np->fp = s + i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		np->fn = (size_t)(s + i - np->fp);
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			e = e * 10 + (s[i] - '0');
			if (e > TG_NUM_EXP_MAX)
				return false;
			i++;
		}
	}
	np->exp = eneg ? -e : e;
	/* Significant digits: skip leading zeros of int then frac part. */
	lead = 0;
	while (lead < np->in + np->fn && tg_numparts_digit_raw(np, lead) == '0')
		lead++;
	np->lead = lead;
	np->ndig = np->in + np->fn - lead;
	while (np->ndig > 0 && tg_numparts_digit_raw(np, lead + np->ndig - 1) == '0')
		np->ndig--;
	/* value = 0.D1D2... x 10^point */
	np->point = np->exp + (int64_t)np->in - (int64_t)lead;
	return true;
}

int tg_json_numlit_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	struct tg_numparts x, y;
	size_t i, m;
	int sign;

	if (!tg_numlit_split(a, an, &x) || !tg_numlit_split(b, bn, &y))
		return an < bn ? -1 : an > bn; /* unreachable for validated literals */
	if (x.ndig == 0 && y.ndig == 0)
		return 0; /* 0 == -0 == 0.0e5 */
	if (x.ndig == 0)
		return y.neg ? 1 : -1;
	if (y.ndig == 0)
		return x.neg ? -1 : 1;
	if (x.neg != y.neg)
		return x.neg ? -1 : 1;
	sign = x.neg ? -1 : 1;
	if (x.point != y.point)
		return x.point < y.point ? -sign : sign;
	m = x.ndig > y.ndig ? x.ndig : y.ndig;
	for (i = 0; i < m; i++) {
		char dx = i < x.ndig ? tg_numparts_digit(&x, i) : '0';
		char dy = i < y.ndig ? tg_numparts_digit(&y, i) : '0';
		if (dx != dy)
			return dx < dy ? -sign : sign;
	}
	return 0;
}

tg_err tg_json_num_i64(const struct tg_json *v, int64_t *out)
{
	struct tg_numparts np;
	uint64_t acc = 0, lim;
	int64_t i;

	if (!v || v->type != TG_JSON_NUMBER)
		return TG_E_TYPE;
	if (!tg_numlit_split(v->u.s.p, v->u.s.len, &np))
		return TG_E_RANGE;
	if (np.ndig == 0) {
		*out = 0;
		return TG_OK;
	}
	if (np.point < (int64_t)np.ndig)
		return TG_E_TYPE; /* has a fractional part */
	if (np.point > 19)
		return TG_E_RANGE;
	lim = np.neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (i = 0; i < np.point; i++) {
		unsigned dg = (size_t)i < np.ndig ? (unsigned)(tg_numparts_digit(&np, (size_t)i) - '0') : 0;
		if (acc > (lim - dg) / 10)
			return TG_E_RANGE;
		acc = acc * 10 + dg;
	}
	*out = np.neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return TG_OK;
}

tg_err tg_json_num_double(const struct tg_json *v, double *out)
{
	char *end;
	double x;
	if (!v || v->type != TG_JSON_NUMBER)
		return TG_E_TYPE;
	errno = 0;
	x = strtod(v->u.s.p, &end); /* literals are NUL-terminated */
	if (end != v->u.s.p + v->u.s.len)
		return TG_E_INTERNAL;
	if (isinf(x))
		return TG_E_RANGE;
	*out = x;
	return TG_OK;
}

/* ---- order ---- */

static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t m = an < bn ? an : bn;
	int c = m ? memcmp(a, b, m) : 0;
	if (c)
		return c < 0 ? -1 : 1;
	return an < bn ? -1 : an > bn;
}

int tg_json_cmp(const struct tg_json *a, const struct tg_json *b)
{
	size_t i, m;
	int c;

	if (a == b)
		return 0;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	switch ((enum tg_json_type)a->type) {
	case TG_JSON_NULL:
		return 0;
	case TG_JSON_BOOL:
		return (int)a->u.b - (int)b->u.b;
	case TG_JSON_NUMBER:
		if (a->u.s.len == b->u.s.len && memcmp(a->u.s.p, b->u.s.p, a->u.s.len) == 0)
			return 0;
		return tg_json_numlit_cmp(a->u.s.p, a->u.s.len, b->u.s.p, b->u.s.len);
	case TG_JSON_STRING:
		return bytes_cmp(a->u.s.p, a->u.s.len, b->u.s.p, b->u.s.len);
	case TG_JSON_ARRAY:
	case TG_JSON_SET:
		m = a->u.a.len < b->u.a.len ? a->u.a.len : b->u.a.len;
		for (i = 0; i < m; i++) {
			c = tg_json_cmp(a->u.a.items[i], b->u.a.items[i]);
			if (c)
				return c;
		}
		return a->u.a.len < b->u.a.len ? -1 : a->u.a.len > b->u.a.len;
	case TG_JSON_OBJECT:
		m = a->u.o.len < b->u.o.len ? a->u.o.len : b->u.o.len;
		for (i = 0; i < m; i++) {
			c = tg_json_cmp(a->u.o.items[i].key, b->u.o.items[i].key);
			if (c)
				return c;
			c = tg_json_cmp(a->u.o.items[i].val, b->u.o.items[i].val);
			if (c)
				return c;
		}
		return a->u.o.len < b->u.o.len ? -1 : a->u.o.len > b->u.o.len;
	}
	return 0;
}

/* ---- sorting ---- */

static void merge_sort_members(struct tg_json_member *m, struct tg_json_member *tmp, size_t n)
{
	size_t i, j, k, h;
	if (n < 2)
		return;
	if (n <= 8) {
		/* insertion sort: stable, fast for the common small object */
		for (i = 1; i < n; i++) {
			struct tg_json_member x = m[i];
			for (j = i; j > 0 && tg_json_cmp(m[j - 1].key, x.key) > 0; j--)
				m[j] = m[j - 1];
			m[j] = x;
		}
		return;
	}
	h = n / 2;
	merge_sort_members(m, tmp, h);
	merge_sort_members(m + h, tmp, n - h);
	if (tg_json_cmp(m[h - 1].key, m[h].key) <= 0)
		return; /* already in order */
	memcpy(tmp, m, h * sizeof(*m));
	i = 0;
	j = h;
	k = 0;
	while (i < h && j < n) {
		if (tg_json_cmp(m[j].key, tmp[i].key) < 0)
			m[k++] = m[j++];
		else
			m[k++] = tmp[i++];
	}
	while (i < h)
		m[k++] = tmp[i++];
}

void tg_json_sort_members(struct tg_json_member *m, size_t n)
{
	struct tg_json_member *tmp;
	size_t i;
	/* Fast exit for already sorted input (common for generated JSON). */
	for (i = 1; i < n; i++)
		if (tg_json_cmp(m[i - 1].key, m[i].key) > 0)
			break;
	if (i >= n)
		return;
	tmp = n > 8 ? tg_xmalloc((n / 2 + 1) * sizeof(*tmp)) : NULL;
	merge_sort_members(m, tmp, n);
	free(tmp);
}

static void merge_sort_items(const struct tg_json **v, const struct tg_json **tmp, size_t n)
{
	size_t i, j, k, h;
	if (n < 2)
		return;
	if (n <= 8) {
		for (i = 1; i < n; i++) {
			const struct tg_json *x = v[i];
			for (j = i; j > 0 && tg_json_cmp(v[j - 1], x) > 0; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
		return;
	}
	h = n / 2;
	merge_sort_items(v, tmp, h);
	merge_sort_items(v + h, tmp, n - h);
	if (tg_json_cmp(v[h - 1], v[h]) <= 0)
		return;
	memcpy(tmp, v, h * sizeof(*v));
	i = 0;
	j = h;
	k = 0;
	while (i < h && j < n) {
		if (tg_json_cmp(v[j], tmp[i]) < 0)
			v[k++] = v[j++];
		else
			v[k++] = tmp[i++];
	}
	while (i < h)
		v[k++] = tmp[i++];
}

/* ---- builders ---- */

static struct tg_json *node_new(struct tg_arena *a, enum tg_json_type t)
{
	struct tg_json *v = tg_arena_alloc_ptrs(a, sizeof(*v));
	if (v) {
		v->type = (uint8_t)t;
		v->flags = 0;
		v->pos = 0;
	}
	return v;
}

tg_err tg_json_new_string(struct tg_arena *a, const char *s, size_t n, const struct tg_json **out)
{
	struct tg_json *v;
	char *p;
	if (!tg_utf8_valid((const uint8_t *)s, n, NULL))
		return TG_E_ENCODING;
	v = node_new(a, TG_JSON_STRING);
	p = v ? tg_arena_strndup(a, s, n) : NULL;
	if (!p)
		return TG_E_TOOBIG;
	v->u.s.p = p;
	v->u.s.len = n;
	*out = v;
	return TG_OK;
}

tg_err tg_json_new_number(struct tg_arena *a, const char *lit, size_t n, const struct tg_json **out)
{
	struct tg_json *v;
	struct tg_numparts np;
	char *p;
	if (n > TG_LIMIT_JSON_NUMBER)
		return TG_E_TOOBIG;
	if (!tg_json_numlit_valid(lit, n))
		return TG_E_PARSE;
	if (!tg_numlit_split(lit, n, &np))
		return TG_E_RANGE;
	v = node_new(a, TG_JSON_NUMBER);
	p = v ? tg_arena_strndup(a, lit, n) : NULL;
	if (!p)
		return TG_E_TOOBIG;
	v->u.s.p = p;
	v->u.s.len = n;
	if (!np.fp && np.exp == 0 && !memchr(lit, 'e', n) && !memchr(lit, 'E', n))
		v->flags |= TG_JSON_F_INTLIT;
	*out = v;
	return TG_OK;
}

tg_err tg_json_new_int(struct tg_arena *a, int64_t x, const struct tg_json **out)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	uint64_t u = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (x < 0)
		tmp[--i] = '-';
	return tg_json_new_number(a, tmp + i, sizeof(tmp) - i, out);
}

tg_err tg_json_new_array(struct tg_arena *a, const struct tg_json *const *items, size_t n,
			 const struct tg_json **out)
{
	struct tg_json *v;
	const struct tg_json **copy = NULL;
	if (n > TG_LIMIT_JSON_MEMBERS)
		return TG_E_TOOBIG;
	v = node_new(a, TG_JSON_ARRAY);
	if (!v)
		return TG_E_TOOBIG;
	if (n) {
		copy = tg_arena_alloc_array(a, n, sizeof(*copy));
		if (!copy)
			return TG_E_TOOBIG;
		memcpy(copy, items, n * sizeof(*copy));
	}
	v->u.a.items = copy;
	v->u.a.len = n;
	*out = v;
	return TG_OK;
}

tg_err tg_json_members_settle(struct tg_json_member *m, size_t n, enum tg_json_dup dup,
			      size_t *k_out, size_t *dup_index)
{
	size_t i, k;

	tg_json_sort_members(m, n);
	/* Collapse runs of equal keys; the sort is stable so the last in input
	 * order is the last of its run. */
	for (i = 0, k = 0; i < n; i++) {
		if (i + 1 < n && tg_json_cmp(m[i].key, m[i + 1].key) == 0) {
			if (dup == TG_JSON_DUP_REJECT) {
				if (dup_index)
					*dup_index = i;
				return TG_E_DUPKEY;
			}
			continue;
		}
		m[k++] = m[i];
	}
	*k_out = k;
	return TG_OK;
}

tg_err tg_json_object_finish(struct tg_arena *a, struct tg_json_member *m, size_t n,
			     enum tg_json_dup dup, const struct tg_json **out, size_t *dup_index)
{
	struct tg_json *v;
	struct tg_json_member *copy = NULL;
	size_t k = 0;
	tg_err r;

	r = tg_json_members_settle(m, n, dup, &k, dup_index);
	if (r != TG_OK)
		return r;
	v = node_new(a, TG_JSON_OBJECT);
	if (!v)
		return TG_E_TOOBIG;
	if (k) {
		/* members are two pointers: pointer alignment, no padding */
		copy = tg_arena_alloc_ptrs(a, k * sizeof(*copy));
		if (!copy)
			return TG_E_TOOBIG;
		memcpy(copy, m, k * sizeof(*copy));
	}
	v->u.o.items = copy;
	v->u.o.len = k;
	*out = v;
	return TG_OK;
}

tg_err tg_json_new_object(struct tg_arena *a, const struct tg_json_member *m, size_t n,
			  enum tg_json_dup dup, const struct tg_json **out)
{
	struct tg_json_member *tmp;
	tg_err r;
	if (n > TG_LIMIT_JSON_MEMBERS)
		return TG_E_TOOBIG;
	tmp = tg_xmalloc((n ? n : 1) * sizeof(*tmp));
	if (n)
		memcpy(tmp, m, n * sizeof(*tmp));
	r = tg_json_object_finish(a, tmp, n, dup, out, NULL);
	free(tmp);
	return r;
}

tg_err tg_json_new_set(struct tg_arena *a, const struct tg_json *const *items, size_t n,
		       const struct tg_json **out)
{
	struct tg_json *v;
	const struct tg_json **tmp, **sorttmp, **copy = NULL;
	size_t i, k;

	if (n > TG_LIMIT_JSON_MEMBERS)
		return TG_E_TOOBIG;
	tmp = tg_xmalloc((n ? n : 1) * sizeof(*tmp));
	if (n)
		memcpy(tmp, items, n * sizeof(*tmp));
	sorttmp = tg_xmalloc((n / 2 + 1) * sizeof(*tmp));
	merge_sort_items(tmp, sorttmp, n);
	free(sorttmp);
	for (i = 0, k = 0; i < n; i++)
		if (k == 0 || tg_json_cmp(tmp[k - 1], tmp[i]) != 0)
			tmp[k++] = tmp[i];
	v = node_new(a, TG_JSON_SET);
	if (v && k) {
		copy = tg_arena_alloc_array(a, k, sizeof(*copy));
		if (copy)
			memcpy(copy, tmp, k * sizeof(*copy));
	}
	free(tmp);
	if (!v || (k && !copy))
		return TG_E_TOOBIG;
	v->u.a.items = copy;
	v->u.a.len = k;
	*out = v;
	return TG_OK;
}

/* ---- lookups ---- */

/* Compares a member key with a string key without building a value. */
static int key_cmp_str(const struct tg_json *k, const char *s, size_t n)
{
	if (k->type != TG_JSON_STRING)
		return k->type < TG_JSON_STRING ? -1 : 1;
	return bytes_cmp(k->u.s.p, k->u.s.len, s, n);
}

const struct tg_json *tg_json_getn(const struct tg_json *obj, const char *key, size_t n)
{
	size_t lo = 0, hi;
	if (!obj || obj->type != TG_JSON_OBJECT)
		return NULL;
	hi = obj->u.o.len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp_str(obj->u.o.items[mid].key, key, n);
		if (c == 0)
			return obj->u.o.items[mid].val;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct tg_json *tg_json_get(const struct tg_json *obj, const char *key)
{
	return tg_json_getn(obj, key, strlen(key));
}

const struct tg_json *tg_json_get_value(const struct tg_json *obj, const struct tg_json *key)
{
	size_t lo = 0, hi;
	if (!obj || obj->type != TG_JSON_OBJECT)
		return NULL;
	hi = obj->u.o.len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = tg_json_cmp(obj->u.o.items[mid].key, key);
		if (c == 0)
			return obj->u.o.items[mid].val;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool tg_json_set_has(const struct tg_json *set, const struct tg_json *elem)
{
	size_t lo = 0, hi;
	if (!set || set->type != TG_JSON_SET)
		return false;
	hi = set->u.a.len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = tg_json_cmp(set->u.a.items[mid], elem);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

tg_err tg_json_get_string(const struct tg_json *obj, const char *key, const char **s, size_t *n)
{
	const struct tg_json *v = tg_json_get(obj, key);
	if (!v)
		return TG_E_NOTFOUND;
	if (v->type != TG_JSON_STRING)
		return TG_E_TYPE;
	*s = v->u.s.p;
	if (n)
		*n = v->u.s.len;
	return TG_OK;
}

tg_err tg_json_get_i64(const struct tg_json *obj, const char *key, int64_t *out)
{
	const struct tg_json *v = tg_json_get(obj, key);
	if (!v)
		return TG_E_NOTFOUND;
	return tg_json_num_i64(v, out);
}

tg_err tg_json_get_bool(const struct tg_json *obj, const char *key, bool *out)
{
	const struct tg_json *v = tg_json_get(obj, key);
	if (!v)
		return TG_E_NOTFOUND;
	if (v->type != TG_JSON_BOOL)
		return TG_E_TYPE;
	*out = v->u.b;
	return TG_OK;
}

bool tg_json_str_eq(const struct tg_json *v, const char *s)
{
	size_t n = strlen(s);
	return v && v->type == TG_JSON_STRING && v->u.s.len == n && memcmp(v->u.s.p, s, n) == 0;
}
