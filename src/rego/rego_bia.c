/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_bia.c - helpers of the numbers, compare, collections, encoding and
 * misc built-ins (rego_bia.h): messages, the step budget, result builders.
 */
#include "rego/rego_bia.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"

tg_err tg_rego_bia_type(struct tg_rego_bctx *c, size_t i, const char *want,
			const struct tg_json *got)
{
	return tg_rego_type_error(c, i, want, got);
}

tg_err tg_rego_bia_elem(struct tg_rego_bctx *c, size_t i, const struct tg_json *coll,
			const struct tg_json *elem, const char *want)
{
	const char *t = tg_json_type_name((enum tg_json_type)coll->type);
	tg_diag_set(c->d, "operand %zu must be %s of %ss but got %s containing %s", i, t, want, t,
		    tg_json_type_name((enum tg_json_type)elem->type));
	return TG_E_TYPE;
}

tg_err tg_rego_bia_fail(struct tg_rego_bctx *c, const char *fmt, ...)
{
	char msg[TG_DIAG_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tg_diag_set(c->d, "%s", msg);
	return TG_E_INVAL;
}

tg_err tg_rego_bia_err(struct tg_rego_bctx *c, tg_err e)
{
	switch (e) {
	case TG_E_TOOBIG:
		tg_diag_set(c->d, "result too large");
		break;
	case TG_E_DEPTH:
		tg_diag_set(c->d, "value nested too deeply");
		break;
	default:
		tg_diag_set(c->d, "%s", tg_strerror(e));
		break;
	}
	return e;
}

tg_err tg_rego_bia_charge(struct tg_rego_bctx *c, uint64_t n)
{
	if (!c->budget)
		return TG_OK;
	if (*c->budget < n) {
		*c->budget = 0;
		tg_diag_set(c->d, "evaluation step limit reached");
		return TG_E_TOOBIG;
	}
	*c->budget -= n;
	return TG_OK;
}

void tg_rego_bia_list_init(struct tg_rego_bia_list *l, struct tg_arena *a)
{
	l->a = a;
	l->v = NULL;
	l->len = l->cap = 0;
}

tg_err tg_rego_bia_list_add(struct tg_rego_bia_list *l, const struct tg_json *v)
{
	if (l->len == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		const struct tg_json **nv;
		if (ncap > TG_REGO_BIA_MAX_ITEMS)
			return TG_E_TOOBIG;
		nv = tg_arena_alloc_array(l->a, ncap, sizeof(*nv));
		if (!nv)
			return TG_E_TOOBIG;
		if (l->len)
			memcpy(nv, l->v, l->len * sizeof(*nv));
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->len++] = v;
	return TG_OK;
}

tg_err tg_rego_bia_list_array(const struct tg_rego_bia_list *l, const struct tg_json **out)
{
	return tg_json_new_array(l->a, l->v, l->len, out);
}

tg_err tg_rego_bia_list_set(const struct tg_rego_bia_list *l, const struct tg_json **out)
{
	return tg_json_new_set(l->a, l->v, l->len, out);
}

void tg_rego_bia_members_init(struct tg_rego_bia_members *l, struct tg_arena *a)
{
	l->a = a;
	l->m = NULL;
	l->len = l->cap = 0;
}

tg_err tg_rego_bia_members_add(struct tg_rego_bia_members *l, const struct tg_json *k,
			       const struct tg_json *v)
{
	if (l->len == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		struct tg_json_member *nm;
		if (ncap > TG_REGO_BIA_MAX_ITEMS)
			return TG_E_TOOBIG;
		nm = tg_arena_alloc_array(l->a, ncap, sizeof(*nm));
		if (!nm)
			return TG_E_TOOBIG;
		if (l->len)
			memcpy(nm, l->m, l->len * sizeof(*nm));
		l->m = nm;
		l->cap = ncap;
	}
	l->m[l->len].key = k;
	l->m[l->len].val = v;
	l->len++;
	return TG_OK;
}

tg_err tg_rego_bia_members_object(const struct tg_rego_bia_members *l, const struct tg_json **out)
{
	return tg_json_new_object(l->a, l->m, l->len, TG_JSON_DUP_LAST, out);
}

tg_err tg_rego_bia_str(struct tg_arena *a, const void *p, size_t n, const struct tg_json **out)
{
	const uint8_t *s = p;
	struct tg_buf b;
	size_t i = 0;
	tg_err rc;

	if (tg_utf8_valid(s, n, NULL))
		return tg_json_new_string(a, (const char *)s, n, out);
	tg_buf_init(&b, n * 3 + 1);
	rc = TG_OK;
	while (i < n && rc == TG_OK) {
		uint32_t cp;
		size_t w = tg_utf8_decode(s + i, n - i, &cp);
		if (w == 0) {
			rc = tg_buf_add(&b, "\xEF\xBF\xBD", 3);
			i++;
		} else {
			rc = tg_buf_add(&b, s + i, w);
			i += w;
		}
	}
	if (rc == TG_OK)
		rc = tg_json_new_string(a, (const char *)tg_buf_str(&b), b.len, out);
	tg_buf_release(&b);
	return rc;
}

tg_err tg_rego_bia_int(struct tg_arena *a, int64_t v, const struct tg_json **out)
{
	return tg_json_new_int(a, v, out);
}

size_t tg_rego_bia_runes(const char *s, size_t n)
{
	size_t i, r = 0;
	for (i = 0; i < n; i++)
		if (((uint8_t)s[i] & 0xC0) != 0x80)
			r++;
	return r;
}

static void msort(const struct tg_json **v, const struct tg_json **tmp, size_t n)
{
	size_t h = n / 2, i = 0, j = h, k = 0;
	if (n < 2)
		return;
	msort(v, tmp, h);
	msort(v + h, tmp, n - h);
	while (i < h && j < n)
		tmp[k++] = tg_json_cmp(v[j], v[i]) < 0 ? v[j++] : v[i++];
	while (i < h)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

tg_err tg_rego_bia_sort(struct tg_arena *a, const struct tg_json **v, size_t n)
{
	const struct tg_json **tmp;
	if (n < 2)
		return TG_OK;
	tmp = tg_arena_alloc_array(a, n, sizeof(*tmp));
	if (!tmp)
		return TG_E_TOOBIG;
	msort(v, tmp, n);
	return TG_OK;
}
