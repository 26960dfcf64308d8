/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builtins_strings.c - Rego's string built-ins (concat, sprintf, trim*,
 * replace, split, ...), units.parse*, and the table that also lists the
 * regex and glob built-ins of builtins_regex.c. Semantics follow OPA v1.
 */

/*
 * OPA implements these with Go's strings package, so positions are in
 * runes where OPA counts runes (indexof, substring) and replacement is
 * Go's strings.Replacer (leftmost, earliest pattern in argument order
 * first, no overlaps). Case mapping uses the C.UTF-8 locale's simple case
 * mapping (Unicode's, as Go's unicode.ToLower/ToUpper), ASCII when that
 * locale is unavailable.
 */
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "core/limits.h"
#include "rego/rego_bi.h"
#include "rego/rego_builtin.h"

#define UNUSED_NARGS (void)nargs

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

static const char *const set_or_array[] = {"set", "array", NULL};
static const char *const str_set_array[] = {"string", "set", "array", NULL};

/* The strings of a set or array operand (OPA's StringSliceOperand with
 * the element error of the operand's own type). */
static tg_err str_items(struct tg_rego_bctx *c, const struct tg_json *v, size_t pos)
{
	for (size_t i = 0; i < v->u.a.len; i++)
		if (v->u.a.items[i]->type != TG_JSON_STRING)
			return tg_rego_bi_elem_error(c, pos, v, v->u.a.items[i], "string");
	return TG_OK;
}

static bool has_prefix(const char *s, size_t n, const char *p, size_t pn)
{
	return pn <= n && memcmp(s, p, pn) == 0;
}

static bool has_suffix(const char *s, size_t n, const char *p, size_t pn)
{
	return pn <= n && memcmp(s + n - pn, p, pn) == 0;
}

static const char *find(const char *h, size_t hn, const char *nd, size_t nn)
{
	if (nn == 0)
		return h;
	if (nn > hn)
		return NULL;
	return memmem(h, hn, nd, nn);
}

/* ------------------------------------------------------------------ */
/* concat, contains, startswith, endswith, strings.count               */
/* ------------------------------------------------------------------ */

static tg_err bi_concat(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
			const struct tg_json **out)
{
	const char *sep;
	size_t seplen;
	const struct tg_json *coll = args[1];
	struct tg_buf b = TG_BUF_INIT(TG_LIMIT_JSON_DOC);
	tg_err r;
	UNUSED_NARGS;
	if ((r = tg_rego_bi_str(c, args[0], 1, &sep, &seplen)) != TG_OK)
		return r;
	if (coll->type != TG_JSON_ARRAY && coll->type != TG_JSON_SET)
		return tg_rego_bi_type_error_any(c, 2, set_or_array, coll);
	if ((r = str_items(c, coll, 2)) != TG_OK)
		return r;
	if ((r = tg_rego_bi_charge(c, coll->u.a.len)) != TG_OK)
		return r;
	for (size_t i = 0; i < coll->u.a.len && r == TG_OK; i++) {
		if (i)
			r = tg_buf_add(&b, sep, seplen);
		if (r == TG_OK)
			r = tg_buf_add(&b, coll->u.a.items[i]->u.s.p, coll->u.a.items[i]->u.s.len);
	}
	if (r == TG_OK)
		r = tg_rego_bi_buf_str(c, &b, out);
	else
		tg_diag_set(c->d, "result too large");
	tg_buf_release(&b);
	return r;
}

static tg_err two_strings(struct tg_rego_bctx *c, const struct tg_json *const *args, const char **a,
			  size_t *an, const char **b, size_t *bn)
{
	tg_err r = tg_rego_bi_str(c, args[0], 1, a, an);
	if (r == TG_OK)
		r = tg_rego_bi_str(c, args[1], 2, b, bn);
	return r;
}

static tg_err bi_contains(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
			  const struct tg_json **out)
{
	const char *s, *t;
	size_t sn, tn;
	tg_err r = two_strings(c, args, &s, &sn, &t, &tn);
	UNUSED_NARGS;
	if (r == TG_OK)
		*out = tg_json_bool(find(s, sn, t, tn) != NULL);
	return r;
}

static tg_err bi_startswith(struct tg_rego_bctx *c, const struct tg_json *const *args,
			    size_t nargs, const struct tg_json **out)
{
	const char *s, *t;
	size_t sn, tn;
	tg_err r = two_strings(c, args, &s, &sn, &t, &tn);
	UNUSED_NARGS;
	if (r == TG_OK)
		*out = tg_json_bool(has_prefix(s, sn, t, tn));
	return r;
}

static tg_err bi_endswith(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
			  const struct tg_json **out)
{
	const char *s, *t;
	size_t sn, tn;
	tg_err r = two_strings(c, args, &s, &sn, &t, &tn);
	UNUSED_NARGS;
	if (r == TG_OK)
		*out = tg_json_bool(has_suffix(s, sn, t, tn));
	return r;
}

static tg_err bi_count(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		       const struct tg_json **out)
{
	const char *s, *t;
	size_t sn, tn, n = 0;
	tg_err r = two_strings(c, args, &s, &sn, &t, &tn);
	UNUSED_NARGS;
	if (r != TG_OK)
		return r;
	if (tn == 0) {
		n = tg_rego_bi_runes(s, sn) + 1;
	} else {
		const char *p = s, *end = s + sn, *hit;
		while ((hit = find(p, (size_t)(end - p), t, tn)) != NULL) {
			n++;
			p = hit + tn;
		}
	}
	return tg_json_new_int(c->a, (int64_t)n, out);
}

/* strings.any_prefix_match / any_suffix_match */
static tg_err any_match(struct tg_rego_bctx *c, const struct tg_json *const *args,
			const struct tg_json **out, bool suffix)
{
	const struct tg_json *a = args[0], *b = args[1];
	const struct tg_json *const *as, *const *bs;
	size_t na, nb;
	tg_err r;
	if (a->type == TG_JSON_STRING) {
		as = &args[0];
		na = 1;
	} else if (a->type == TG_JSON_ARRAY || a->type == TG_JSON_SET) {
		if ((r = str_items(c, a, 1)) != TG_OK)
			return r;
		as = a->u.a.items;
		na = a->u.a.len;
	} else {
		return tg_rego_bi_type_error_any(c, 1, str_set_array, a);
	}
	if (b->type == TG_JSON_STRING) {
		bs = &args[1];
		nb = 1;
	} else if (b->type == TG_JSON_ARRAY || b->type == TG_JSON_SET) {
		if ((r = str_items(c, b, 2)) != TG_OK)
			return r;
		bs = b->u.a.items;
		nb = b->u.a.len;
	} else {
		return tg_rego_bi_type_error_any(c, 2, str_set_array, b);
	}
	if ((r = tg_rego_bi_charge(c, (uint64_t)na * nb)) != TG_OK)
		return r;
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++) {
			const struct tg_json *x = as[i], *y = bs[j];
			bool m = suffix ? has_suffix(x->u.s.p, x->u.s.len, y->u.s.p, y->u.s.len)
					: has_prefix(x->u.s.p, x->u.s.len, y->u.s.p, y->u.s.len);
			if (m) {
				*out = &tg_json_true_v;
				return TG_OK;
			}
		}
	*out = &tg_json_false_v;
	return TG_OK;
}

static tg_err bi_any_prefix(struct tg_rego_bctx *c, const struct tg_json *const *args,
			    size_t nargs, const struct tg_json **out)
{
	UNUSED_NARGS;
	return any_match(c, args, out, false);
}

static tg_err bi_any_suffix(struct tg_rego_bctx *c, const struct tg_json *const *args,
			    size_t nargs, const struct tg_json **out)
{
	UNUSED_NARGS;
	return any_match(c, args, out, true);
}

/* ------------------------------------------------------------------ */
/* format_int                                                          */
/* ------------------------------------------------------------------ */

static tg_err bi_format_int(struct tg_rego_bctx *c, const struct tg_json *const *args,
			    size_t nargs, const struct tg_json **out)
{
	const struct tg_json *x = args[0], *base = args[1];
	unsigned b;
	struct tg_rego_dec d;
	struct tg_buf dec = TG_BUF_INIT(4 * TG_LIMIT_JSON_NUMBER);
	struct tg_buf res = TG_BUF_INIT(16 * TG_LIMIT_JSON_NUMBER);
	const char *digits;
	size_t nd;
	bool neg;
	tg_err r;
	UNUSED_NARGS;
	if (x->type != TG_JSON_NUMBER)
		return tg_rego_type_error(c, 1, "number", x);
	if (base->type != TG_JSON_NUMBER)
		return tg_rego_type_error(c, 2, "number", base);
	/* OPA compares the base's literal text */
	if (base->u.s.len == 1 && base->u.s.p[0] == '2')
		b = 2;
	else if (base->u.s.len == 1 && base->u.s.p[0] == '8')
		b = 8;
	else if (base->u.s.len == 2 && memcmp(base->u.s.p, "10", 2) == 0)
		b = 10;
	else if (base->u.s.len == 2 && memcmp(base->u.s.p, "16", 2) == 0)
		b = 16;
	else {
		tg_diag_set(c->d, "operand 2 must be one of {2, 8, 10, 16}");
		return TG_E_TYPE;
	}
	r = tg_rego_dec_parse(c->a, x->u.s.p, x->u.s.len, &d);
	if (r == TG_OK)
		r = tg_rego_dec_trunc(&d, &dec);
	if (r != TG_OK) {
		tg_buf_release(&dec);
		return tg_rego_bi_fail(c, "number too large to format");
	}
	digits = (const char *)dec.data;
	nd = dec.len;
	neg = nd && digits[0] == '-';
	if (neg) {
		digits++;
		nd--;
	}
	if (nd == 1 && digits[0] == '0')
		neg = false;
	if (neg)
		r = tg_buf_addc(&res, '-');
	if (r == TG_OK)
		r = b == 10 ? tg_buf_add(&res, digits, nd) : tg_rego_go_big_base(&res, digits, nd, b, false);
	if (r == TG_OK)
		r = tg_rego_bi_buf_str(c, &res, out);
	tg_buf_release(&dec);
	tg_buf_release(&res);
	return r;
}

/* ------------------------------------------------------------------ */
/* indexof, indexof_n, substring                                       */
/* ------------------------------------------------------------------ */

static tg_err bi_indexof(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
			 const struct tg_json **out)
{
	const char *s, *t, *hit;
	size_t sn, tn;
	tg_err r = two_strings(c, args, &s, &sn, &t, &tn);
	UNUSED_NARGS;
	if (r != TG_OK)
		return r;
	if (tn == 0)
		return tg_rego_bi_fail(c, "empty search character");
	hit = find(s, sn, t, tn);
	if (!hit)
		return tg_json_new_int(c->a, -1, out);
	return tg_json_new_int(c->a, (int64_t)tg_rego_bi_runes(s, (size_t)(hit - s)), out);
}

static tg_err bi_indexof_n(struct tg_rego_bctx *c, const struct tg_json *const *args,
			   size_t nargs, const struct tg_json **out)
{
	const char *s, *t;
	size_t sn, tn, runes = 0;
	struct tg_rego_bi_list l;
	tg_err r = two_strings(c, args, &s, &sn, &t, &tn);
	UNUSED_NARGS;
	if (r != TG_OK)
		return r;
	if (tn == 0)
		return tg_rego_bi_fail(c, "empty search character");
	tg_rego_bi_list_init(&l, c->a);
	if ((r = tg_rego_bi_charge(c, sn)) != TG_OK)
		return r;
	/* every rune position, overlapping matches included */
	for (size_t i = 0; i < sn; runes++) {
		uint32_t rn;
		size_t w;
		if (sn - i < tn)
			break;
		if (memcmp(s + i, t, tn) == 0) {
			const struct tg_json *v;
			if ((r = tg_json_new_int(c->a, (int64_t)runes, &v)) != TG_OK ||
			    (r = tg_rego_bi_list_add(&l, v)) != TG_OK)
				return r;
		}
		w = tg_rego_bi_rune(s + i, sn - i, &rn);
		i += w ? w : 1;
	}
	return tg_rego_bi_list_array(&l, out);
}

/* Byte offset of rune number k in s (sn if past the end). */
static size_t rune_offset(const char *s, size_t sn, int64_t k)
{
	size_t i = 0;
	for (int64_t n = 0; n < k && i < sn; n++) {
		uint32_t r;
		i += tg_rego_bi_rune(s + i, sn - i, &r);
	}
	return i;
}

static tg_err bi_substring(struct tg_rego_bctx *c, const struct tg_json *const *args,
			   size_t nargs, const struct tg_json **out)
{
	const char *s;
	size_t sn, a, b;
	int64_t start, len;
	tg_err r;
	UNUSED_NARGS;
	if ((r = tg_rego_bi_str(c, args[0], 1, &s, &sn)) != TG_OK ||
	    (r = tg_rego_bi_int(c, args[1], 2, &start)) != TG_OK ||
	    (r = tg_rego_bi_int(c, args[2], 3, &len)) != TG_OK)
		return r;
	if (start < 0)
		return tg_rego_bi_fail(c, "negative offset");
	if (sn == 0) {
		*out = args[0];
		return TG_OK;
	}
	a = rune_offset(s, sn, start);
	if (len < 0)
		b = sn;
	else
		b = a + rune_offset(s + a, sn - a, len);
	return tg_rego_bi_new_str(c, s + a, b - a, out);
}

/* ------------------------------------------------------------------ */
/* lower, upper, strings.reverse                                       */
/* ------------------------------------------------------------------ */

static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_init(void)
{
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static uint32_t map_case(uint32_t r, bool up)
{
	if (r < 0x80) {
		if (up && r >= 'a' && r <= 'z')
			return r - 32;
		if (!up && r >= 'A' && r <= 'Z')
			return r + 32;
		return r;
	}
	if (!utf8_locale)
		return r;
	return up ? (uint32_t)towupper_l((wint_t)r, utf8_locale)
		  : (uint32_t)towlower_l((wint_t)r, utf8_locale);
}

static tg_err case_map(struct tg_rego_bctx *c, const struct tg_json *const *args,
		       const struct tg_json **out, bool up)
{
	const char *s;
	size_t sn;
	struct tg_buf b = TG_BUF_INIT(4 * (size_t)TG_LIMIT_JSON_DOC);
	tg_err r = tg_rego_bi_str(c, args[0], 1, &s, &sn);
	if (r != TG_OK)
		return r;
	pthread_once(&utf8_once, utf8_init);
	for (size_t i = 0; i < sn && r == TG_OK;) {
		uint32_t rn;
		size_t w = tg_rego_bi_rune(s + i, sn - i, &rn);
		r = tg_rego_bi_put_rune(&b, map_case(rn, up));
		i += w;
	}
	if (r == TG_OK)
		r = tg_rego_bi_buf_str(c, &b, out);
	tg_buf_release(&b);
	return r;
}

static tg_err bi_lower(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		       const struct tg_json **out)
{
	UNUSED_NARGS;
	return case_map(c, args, out, false);
}

static tg_err bi_upper(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		       const struct tg_json **out)
{
	UNUSED_NARGS;
	return case_map(c, args, out, true);
}

static tg_err bi_reverse(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
			 const struct tg_json **out)
{
	const char *s;
	size_t sn;
	char *d;
	tg_err r = tg_rego_bi_str(c, args[0], 1, &s, &sn);
	UNUSED_NARGS;
	if (r != TG_OK)
		return r;
	d = tg_arena_alloc_bytes(c->a, sn + 1);
	if (!d)
		return TG_E_TOOBIG;
	for (size_t i = 0; i < sn;) {
		uint32_t rn;
		size_t w = tg_rego_bi_rune(s + i, sn - i, &rn);
		memcpy(d + sn - i - w, s + i, w);
		i += w;
	}
	return tg_rego_bi_new_str(c, d, sn, out);
}

/* ------------------------------------------------------------------ */
/* split, replace, strings.replace_n                                   */
/* ------------------------------------------------------------------ */

static tg_err bi_split(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		       const struct tg_json **out)
{
	const char *s, *t;
	size_t sn, tn;
	struct tg_rego_bi_list l;
	const struct tg_json *v;
	tg_err r = two_strings(c, args, &s, &sn, &t, &tn);
	UNUSED_NARGS;
	if (r != TG_OK)
		return r;
	tg_rego_bi_list_init(&l, c->a);
	if ((r = tg_rego_bi_charge(c, sn)) != TG_OK)
		return r;
	if (tn == 0) {
		/* strings.Split(s, ""): one element per rune */
		for (size_t i = 0; i < sn;) {
			uint32_t rn;
			size_t w = tg_rego_bi_rune(s + i, sn - i, &rn);
			if ((r = tg_rego_bi_new_str(c, s + i, w, &v)) != TG_OK ||
			    (r = tg_rego_bi_list_add(&l, v)) != TG_OK)
				return r;
			i += w;
		}
		return tg_rego_bi_list_array(&l, out);
	}
	for (const char *p = s, *end = s + sn;;) {
		const char *hit = find(p, (size_t)(end - p), t, tn);
		size_t len = hit ? (size_t)(hit - p) : (size_t)(end - p);
		if ((r = tg_rego_bi_new_str(c, p, len, &v)) != TG_OK ||
		    (r = tg_rego_bi_list_add(&l, v)) != TG_OK)
			return r;
		if (!hit)
			break;
		p = hit + tn;
	}
	return tg_rego_bi_list_array(&l, out);
}

struct pair {
	const char *old, *new;
	size_t on, nn;
};

/*
 * Go's strings.Replacer: at each position the first pair (in argument
 * order) whose old string is a prefix of the rest is replaced and the
 * scan skips it; an empty old string matches between runes, but not right
 * after another empty match. (Go's generic replacer steps over bytes and
 * so can insert between the bytes of one rune; this steps over runes.)
 */
static tg_err replacer(struct tg_rego_bctx *c, const struct pair *pp, size_t np, const char *s,
		       size_t sn, const struct tg_json *orig, const struct tg_json **out)
{
	struct tg_buf b = TG_BUF_INIT(TG_LIMIT_JSON_DOC);
	size_t last = 0, i = 0;
	bool prev_empty = false, changed = false;
	tg_err r = TG_OK;
	uint64_t work = 0;
	for (size_t k = 0; k < np; k++)
		work += pp[k].on + 1;
	if ((r = tg_rego_bi_charge(c, (sn + 1) * (work / 16 + 1))) != TG_OK)
		return r;
	while (i <= sn && r == TG_OK) {
		size_t k, found = np;
		for (k = 0; k < np; k++) {
			if (pp[k].on == 0) {
				if (prev_empty)
					continue;
				found = k;
				break;
			}
			if (has_prefix(s + i, sn - i, pp[k].old, pp[k].on)) {
				found = k;
				break;
			}
		}
		if (found < np) {
			r = tg_buf_add(&b, s + last, i - last);
			if (r == TG_OK)
				r = tg_buf_add(&b, pp[found].new, pp[found].nn);
			changed = true;
			i += pp[found].on;
			last = i;
			prev_empty = pp[found].on == 0;
			continue;
		}
		prev_empty = false;
		if (i == sn)
			break;
		{
			uint32_t rn;
			size_t w = tg_rego_bi_rune(s + i, sn - i, &rn);
			i += w ? w : 1;
		}
	}
	if (r == TG_OK && last < sn)
		r = tg_buf_add(&b, s + last, sn - last);
	if (r == TG_OK) {
		if (!changed && orig)
			*out = orig;
		else
			r = tg_rego_bi_buf_str(c, &b, out);
	} else {
		tg_diag_set(c->d, "result too large");
	}
	tg_buf_release(&b);
	return r;
}

static tg_err bi_replace(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
			 const struct tg_json **out)
{
	const char *s;
	size_t sn;
	struct pair p;
	tg_err r;
	UNUSED_NARGS;
	if ((r = tg_rego_bi_str(c, args[0], 1, &s, &sn)) != TG_OK ||
	    (r = tg_rego_bi_str(c, args[1], 2, &p.old, &p.on)) != TG_OK ||
	    (r = tg_rego_bi_str(c, args[2], 3, &p.new, &p.nn)) != TG_OK)
		return r;
	return replacer(c, &p, 1, s, sn, args[0], out);
}

static tg_err bi_replace_n(struct tg_rego_bctx *c, const struct tg_json *const *args,
			   size_t nargs, const struct tg_json **out)
{
	const struct tg_json *pat = args[0];
	const char *s;
	size_t sn;
	struct pair *pp;
	tg_err r;
	UNUSED_NARGS;
	if (pat->type != TG_JSON_OBJECT)
		return tg_rego_type_error(c, 1, "object", pat);
	if ((r = tg_rego_bi_str(c, args[1], 2, &s, &sn)) != TG_OK)
		return r;
	pp = tg_arena_alloc_array(c->a, pat->u.o.len ? pat->u.o.len : 1, sizeof(*pp));
	if (!pp)
		return TG_E_TOOBIG;
	/* objects are sorted by key: OPA sorts the keys the same way */
	for (size_t i = 0; i < pat->u.o.len; i++) {
		const struct tg_json *k = pat->u.o.items[i].key, *v = pat->u.o.items[i].val;
		if (k->type != TG_JSON_STRING) {
			tg_diag_set(c->d, "operand 1 non-string key found in pattern object");
			return TG_E_TYPE;
		}
		if (v->type != TG_JSON_STRING) {
			tg_diag_set(c->d, "operand 1 non-string value found in pattern object");
			return TG_E_TYPE;
		}
		pp[i].old = k->u.s.p;
		pp[i].on = k->u.s.len;
		pp[i].new = v->u.s.p;
		pp[i].nn = v->u.s.len;
	}
	return replacer(c, pp, pat->u.o.len, s, sn, NULL, out);
}

/* ------------------------------------------------------------------ */
/* trim*                                                               */
/* ------------------------------------------------------------------ */

static bool in_cutset(const char *cut, size_t cn, uint32_t rn)
{
	for (size_t i = 0; i < cn;) {
		uint32_t x;
		size_t w = tg_rego_bi_rune(cut + i, cn - i, &x);
		if (x == rn)
			return true;
		i += w;
	}
	return false;
}

/* Start of the last rune before s[end]. */
static size_t prev_rune(const char *s, size_t end)
{
	size_t i = end - 1;
	while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
		i--;
	return i;
}

static tg_err trim_common(struct tg_rego_bctx *c, const struct tg_json *const *args,
			  const struct tg_json **out, bool left, bool right)
{
	const char *s, *cut;
	size_t sn, cn, a = 0, b;
	tg_err r = two_strings(c, args, &s, &sn, &cut, &cn);
	if (r != TG_OK)
		return r;
	b = sn;
	if ((r = tg_rego_bi_charge(c, sn)) != TG_OK)
		return r;
	if (left)
		while (a < b) {
			uint32_t rn;
			size_t w = tg_rego_bi_rune(s + a, b - a, &rn);
			if (!in_cutset(cut, cn, rn))
				break;
			a += w;
		}
	if (right)
		while (b > a) {
			size_t p = prev_rune(s, b);
			uint32_t rn;
			(void)tg_rego_bi_rune(s + p, b - p, &rn);
			if (!in_cutset(cut, cn, rn))
				break;
			b = p;
		}
	if (a == 0 && b == sn) {
		*out = args[0];
		return TG_OK;
	}
	return tg_rego_bi_new_str(c, s + a, b - a, out);
}

static tg_err bi_trim(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		      const struct tg_json **out)
{
	UNUSED_NARGS;
	return trim_common(c, args, out, true, true);
}

static tg_err bi_trim_left(struct tg_rego_bctx *c, const struct tg_json *const *args,
			   size_t nargs, const struct tg_json **out)
{
	UNUSED_NARGS;
	return trim_common(c, args, out, true, false);
}

static tg_err bi_trim_right(struct tg_rego_bctx *c, const struct tg_json *const *args,
			    size_t nargs, const struct tg_json **out)
{
	UNUSED_NARGS;
	return trim_common(c, args, out, false, true);
}

static tg_err bi_trim_prefix(struct tg_rego_bctx *c, const struct tg_json *const *args,
			     size_t nargs, const struct tg_json **out)
{
	const char *s, *p;
	size_t sn, pn;
	tg_err r = two_strings(c, args, &s, &sn, &p, &pn);
	UNUSED_NARGS;
	if (r != TG_OK)
		return r;
	if (pn == 0 || !has_prefix(s, sn, p, pn)) {
		*out = args[0];
		return TG_OK;
	}
	return tg_rego_bi_new_str(c, s + pn, sn - pn, out);
}

static tg_err bi_trim_suffix(struct tg_rego_bctx *c, const struct tg_json *const *args,
			     size_t nargs, const struct tg_json **out)
{
	const char *s, *p;
	size_t sn, pn;
	tg_err r = two_strings(c, args, &s, &sn, &p, &pn);
	UNUSED_NARGS;
	if (r != TG_OK)
		return r;
	if (pn == 0 || !has_suffix(s, sn, p, pn)) {
		*out = args[0];
		return TG_OK;
	}
	return tg_rego_bi_new_str(c, s, sn - pn, out);
}

/* Go's unicode.IsSpace */
static bool go_space(uint32_t r)
{
	switch (r) {
	case '\t':
	case '\n':
	case '\v':
	case '\f':
	case '\r':
	case ' ':
	case 0x85:
	case 0xA0:
	case 0x1680:
	case 0x2028:
	case 0x2029:
	case 0x202F:
	case 0x205F:
	case 0x3000:
		return true;
	default:
		return r >= 0x2000 && r <= 0x200A;
	}
}

static tg_err bi_trim_space(struct tg_rego_bctx *c, const struct tg_json *const *args,
			    size_t nargs, const struct tg_json **out)
{
	const char *s;
	size_t sn, a = 0, b;
	tg_err r = tg_rego_bi_str(c, args[0], 1, &s, &sn);
	UNUSED_NARGS;
	if (r != TG_OK)
		return r;
	b = sn;
	while (a < b) {
		uint32_t rn;
		size_t w = tg_rego_bi_rune(s + a, b - a, &rn);
		if (!go_space(rn))
			break;
		a += w;
	}
	while (b > a) {
		size_t p = prev_rune(s, b);
		uint32_t rn;
		(void)tg_rego_bi_rune(s + p, b - p, &rn);
		if (!go_space(rn))
			break;
		b = p;
	}
	if (a == 0 && b == sn) {
		*out = args[0];
		return TG_OK;
	}
	return tg_rego_bi_new_str(c, s + a, b - a, out);
}

/* ------------------------------------------------------------------ */
/* sprintf                                                             */
/* ------------------------------------------------------------------ */

static tg_err bi_sprintf(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
			 const struct tg_json **out)
{
	const char *f;
	size_t fn;
	struct tg_buf b = TG_BUF_INIT(TG_LIMIT_JSON_DOC);
	tg_err r;
	UNUSED_NARGS;
	if ((r = tg_rego_bi_str(c, args[0], 1, &f, &fn)) != TG_OK)
		return r;
	if (args[1]->type != TG_JSON_ARRAY)
		return tg_rego_type_error(c, 2, "array", args[1]);
	if ((r = tg_rego_bi_charge(c, fn + args[1]->u.a.len)) != TG_OK)
		return r;
	r = tg_rego_go_sprintf(&b, f, fn, args[1]);
	if (r == TG_OK)
		r = tg_rego_bi_buf_str(c, &b, out);
	else
		tg_diag_set(c->d, "formatted string too large");
	tg_buf_release(&b);
	return r;
}

/* ------------------------------------------------------------------ */
/* units.parse, units.parse_bytes                                      */
/* ------------------------------------------------------------------ */

/*
 * OPA's extractNumAndUnit: the number is the leading run of digits, '.',
 * '+', '-' and exponents ('e' or 'E' followed by a digit or sign, at most
 * 6 exponent digits); the rest is the unit. Returns false when the
 * exponent is too long.
 */
static bool split_num_unit(const char *s, size_t n, size_t *numlen)
{
	size_t i;
	for (i = 0; i < n; i++) {
		char ch = s[i];
		bool num = (ch >= '0' && ch <= '9') || ch == '.';
		if (!num && ch != 'e' && ch != 'E' && ch != '+' && ch != '-')
			break;
		if (ch == 'e' || ch == 'E') {
			size_t es, ee;
			if (i == n - 1 ||
			    (!(s[i + 1] >= '0' && s[i + 1] <= '9') && s[i + 1] != '+' && s[i + 1] != '-'))
				break;
			if (s[i + 1] == '+' || s[i + 1] == '-')
				i++;
			es = i + 1;
			ee = es;
			while (ee < n && s[ee] >= '0' && s[ee] <= '9')
				ee++;
			if (ee - es > 6)
				return false;
		}
	}
	*numlen = i;
	return true;
}

/* The exact value of Go's float64 0.001, which OPA uses for 'm'. */
static const char milli_f64[] = "0.001000000000000000020816681711721685132943093776702880859375";

static tg_err units_common(struct tg_rego_bctx *c, const struct tg_json *const *args,
			   const struct tg_json **out, bool bytes)
{
	const char *raw, *name = bytes ? "units.parse_bytes" : "units.parse";
	size_t rn, numlen;
	char *s;
	size_t n = 0;
	const char *unit;
	size_t un;
	char u[8];
	const char *mult = NULL;
	struct tg_rego_dec x, m, prod;
	struct tg_buf b = TG_BUF_INIT(8 * TG_LIMIT_JSON_NUMBER);
	tg_err r = tg_rego_bi_str(c, args[0], 1, &raw, &rn);
	(void)name;
	if (r != TG_OK)
		return r;
	/* remove quotes (and lower-case everything for parse_bytes) */
	s = tg_arena_alloc_bytes(c->a, rn + 1);
	if (!s)
		return TG_E_TOOBIG;
	for (size_t i = 0; i < rn; i++) {
		char ch = raw[i];
		if (ch == '"')
			continue;
		if (bytes && ch >= 'A' && ch <= 'Z')
			ch = (char)(ch + 32);
		s[n++] = ch;
	}
	if (memchr(s, ' ', n))
		return tg_rego_bi_fail(c, "spaces not allowed in resource strings");
	if (!split_num_unit(s, n, &numlen))
		return tg_rego_bi_fail(c, "exponent too large");
	if (numlen == 0)
		return tg_rego_bi_fail(c, bytes ? "no byte amount provided" : "no amount provided");
	unit = s + numlen;
	un = n - numlen;
	if (un >= sizeof(u))
		goto unknown;
	memcpy(u, unit, un);
	u[un] = '\0';
	if (!bytes && un > 1)
		for (size_t i = 1; i < un; i++)
			if (u[i] >= 'A' && u[i] <= 'Z')
				u[i] = (char)(u[i] + 32);
	{
		struct unit_row {
			const char *u, *v;
		};
		static const struct unit_row si[] = {
			{"", "1"},
			{"k", "1000"},
			{"K", "1000"},
			{"M", "1000000"},
			{"g", "1000000000"},
			{"G", "1000000000"},
			{"t", "1000000000000"},
			{"T", "1000000000000"},
			{"p", "1000000000000000"},
			{"P", "1000000000000000"},
			{"e", "1000000000000000000"},
			{"E", "1000000000000000000"},
			{"ki", "1024"},
			{"Ki", "1024"},
			{"mi", "1048576"},
			{"Mi", "1048576"},
			{"gi", "1073741824"},
			{"Gi", "1073741824"},
			{"ti", "1099511627776"},
			{"Ti", "1099511627776"},
			{"pi", "1125899906842624"},
			{"Pi", "1125899906842624"},
			{"ei", "1152921504606846976"},
			{"Ei", "1152921504606846976"},
			{NULL, NULL},
		};
		static const struct unit_row by[] = {
			  {"", "1"},
			  {"k", "1000"},
			  {"kb", "1000"},
			  {"ki", "1024"},
			  {"kib", "1024"},
			  {"m", "1000000"},
			  {"mb", "1000000"},
			  {"mi", "1048576"},
			  {"mib", "1048576"},
			  {"g", "1000000000"},
			  {"gb", "1000000000"},
			  {"gi", "1073741824"},
			  {"gib", "1073741824"},
			  {"t", "1000000000000"},
			  {"tb", "1000000000000"},
			  {"ti", "1099511627776"},
			  {"tib", "1099511627776"},
			  {"p", "1000000000000000"},
			  {"pb", "1000000000000000"},
			  {"pi", "1125899906842624"},
			  {"pib", "1125899906842624"},
			  {"e", "1000000000000000000"},
			  {"eb", "1000000000000000000"},
			  {"ei", "1152921504606846976"},
			  {"eib", "1152921504606846976"},
			  {NULL, NULL},
		  };
		const struct unit_row *tab = bytes ? by : si;
		if (!bytes && strcmp(u, "m") == 0)
			mult = milli_f64;
		for (size_t i = 0; !mult && tab[i].u; i++)
			if (strcmp(tab[i].u, u) == 0)
				mult = tab[i].v;
	}
	if (!mult)
		goto unknown;
	r = tg_rego_dec_parse(c->a, s, numlen, &x);
	if (r == TG_E_TOOBIG)
		return tg_rego_bi_fail(c, "exponent too large");
	if (r != TG_OK)
		return tg_rego_bi_fail(c, bytes ? "could not parse byte amount to a number"
						 : "could not parse amount to a number");
	if ((r = tg_rego_dec_parse(c->a, mult, strlen(mult), &m)) != TG_OK ||
	    (r = tg_rego_dec_mul(c->a, &x, &m, &prod)) != TG_OK)
		return tg_rego_bi_fail(c, "exponent too large");
	if (bytes || tg_rego_dec_is_int(&prod))
		r = tg_rego_dec_trunc(&prod, &b);
	else
		r = tg_rego_dec_fixed(&prod, 10, &b);
	if (r != TG_OK || b.len > TG_LIMIT_JSON_NUMBER) {
		tg_buf_release(&b);
		return tg_rego_bi_fail(c, "exponent too large");
	}
	r = tg_json_new_number(c->a, (const char *)b.data, b.len, out);
	tg_buf_release(&b);
	return r;
unknown:
	return tg_rego_bi_fail(c, bytes ? "byte unit %.*s not recognized" : "unit %.*s not recognized",
			       (int)(un > 64 ? 64 : un), unit);
}

static tg_err bi_units_parse(struct tg_rego_bctx *c, const struct tg_json *const *args,
			     size_t nargs, const struct tg_json **out)
{
	UNUSED_NARGS;
	return units_common(c, args, out, false);
}

static tg_err bi_units_parse_bytes(struct tg_rego_bctx *c, const struct tg_json *const *args,
				   size_t nargs, const struct tg_json **out)
{
	UNUSED_NARGS;
	return units_common(c, args, out, true);
}

/* ------------------------------------------------------------------ */
/* the table                                                           */
/* ------------------------------------------------------------------ */

#define SS_B "(string, string) => boolean"
#define SS_S "(string, string) => string"
#define STRS "any<array[string], set[string], string>"

const struct tg_rego_builtin tg_rego_builtins_strings[] = {
	{"concat", NULL, 2, "(string, any<array[string], set[string]>) => string", bi_concat, 0},
	{"contains", NULL, 2, SS_B, bi_contains, 0},
	{"startswith", NULL, 2, SS_B, bi_startswith, 0},
	{"endswith", NULL, 2, SS_B, bi_endswith, 0},
	{"format_int", NULL, 2, "(number, number) => string", bi_format_int, 0},
	{"indexof", NULL, 2, "(string, string) => number", bi_indexof, 0},
	{"indexof_n", NULL, 2, "(string, string) => array[number]", bi_indexof_n, 0},
	{"lower", NULL, 1, "(string) => string", bi_lower, 0},
	{"upper", NULL, 1, "(string) => string", bi_upper, 0},
	{"replace", NULL, 3, "(string, string, string) => string", bi_replace, 0},
	{"split", NULL, 2, "(string, string) => array[string]", bi_split, 0},
	{"sprintf", NULL, 2, "(string, array[any]) => string", bi_sprintf, 0},
	{"substring", NULL, 3, "(string, number, number) => string", bi_substring, 0},
	{"trim", NULL, 2, SS_S, bi_trim, 0},
	{"trim_left", NULL, 2, SS_S, bi_trim_left, 0},
	{"trim_right", NULL, 2, SS_S, bi_trim_right, 0},
	{"trim_prefix", NULL, 2, SS_S, bi_trim_prefix, 0},
	{"trim_suffix", NULL, 2, SS_S, bi_trim_suffix, 0},
	{"trim_space", NULL, 1, "(string) => string", bi_trim_space, 0},
	{"strings.any_prefix_match", NULL, 2, "(" STRS ", " STRS ") => boolean", bi_any_prefix, 0},
	{"strings.any_suffix_match", NULL, 2, "(" STRS ", " STRS ") => boolean", bi_any_suffix, 0},
	{"strings.count", NULL, 2, "(string, string) => number", bi_count, 0},
	{"strings.render_template", NULL, 2, "(string, object[string: any]) => string",
	 tg_rego_bi_render_template, 0},
	{"strings.replace_n", NULL, 2, "(object[string: string], string) => string", bi_replace_n,
	 0},
	{"strings.reverse", NULL, 1, "(string) => string", bi_reverse, 0},
	{"units.parse", NULL, 1, "(string) => number", bi_units_parse, 0},
	{"units.parse_bytes", NULL, 1, "(string) => number", bi_units_parse_bytes, 0},
	/* builtins_regex.c */
	{"regex.match", NULL, 2, SS_B, tg_rego_bi_regex_match, 0},
	{"re_match", NULL, 2, SS_B, tg_rego_bi_regex_match, TG_RB_DEPRECATED},
	{"regex.is_valid", NULL, 1, "(string) => boolean", tg_rego_bi_regex_is_valid, 0},
	{"regex.split", NULL, 2, "(string, string) => array[string]", tg_rego_bi_regex_split, 0},
	{"regex.find_n", NULL, 3, "(string, string, number) => array[string]",
	 tg_rego_bi_regex_find_n, 0},
	{"regex.find_all_string_submatch_n", NULL, 3,
	 "(string, string, number) => array[array[string]]", tg_rego_bi_regex_find_all_submatch, 0},
	{"regex.replace", NULL, 3, "(string, string, string) => string", tg_rego_bi_regex_replace,
	 0},
	{"regex.template_match", NULL, 4, "(string, string, string, string) => boolean",
	 tg_rego_bi_regex_template_match, 0},
	{"regex.globs_match", NULL, 2, SS_B, tg_rego_bi_regex_globs_match, 0},
	{"glob.match", NULL, 3, "(string, any<array[string], null>, string) => boolean",
	 tg_rego_bi_glob_match, 0},
	{"glob.quote_meta", NULL, 1, "(string) => string", tg_rego_bi_glob_quote_meta, 0},
	{NULL, NULL, 0, NULL, NULL, 0},
};
