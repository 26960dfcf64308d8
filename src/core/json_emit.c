/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json_emit.c - JSON text output: the plain emitter (numbers as written)
 * and RFC 8785 canonical form (numbers as ECMAScript prints their double,
 * members in UTF-16 order).
 */
#include "core/json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_internal.h"
#include "core/mem.h"
#include "core/utf8.h"

#define EMIT_DEPTH_MAX (TG_LIMIT_JSON_DEPTH * 4)

static const char hexd[] = "0123456789abcdef";

/* Writes "\\uXXXX" (6 bytes) for a 16-bit unit. */
static void put_u16(char *dst, uint32_t u)
{
	dst[0] = '\\';
	dst[1] = 'u';
	dst[2] = hexd[(u >> 12) & 15];
	dst[3] = hexd[(u >> 8) & 15];
	dst[4] = hexd[(u >> 4) & 15];
	dst[5] = hexd[u & 15];
}

/* Escapes per RFC 8785 3.2.2.2 (also fine for plain output): the short
 * forms for \b \t \n \f \r, \u00xx for other controls, \" and \\. */
static tg_err emit_string(struct tg_buf *out, const char *s, size_t n, unsigned flags)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i, run = 0;
	tg_err r = tg_buf_addc(out, '"');

	for (i = 0; r == TG_OK && i < n; i++) {
		uint8_t c = p[i];
		char esc[13];
		size_t el = 0;
		if (c >= 0x20 && c != '"' && c != '\\' && (c < 0x80 || !(flags & TG_JSON_EMIT_ASCII)))
			continue;
		if (i > run)
			r = tg_buf_add(out, p + run, i - run);
		if (r != TG_OK)
			break;
		switch (c) {
		case '"':
			memcpy(esc, "\\\"", 2);
			el = 2;
			break;
		case '\\':
			memcpy(esc, "\\\\", 2);
			el = 2;
			break;
		case '\b':
			memcpy(esc, "\\b", 2);
			el = 2;
			break;
		case '\t':
			memcpy(esc, "\\t", 2);
			el = 2;
			break;
		case '\n':
			memcpy(esc, "\\n", 2);
			el = 2;
			break;
		case '\f':
			memcpy(esc, "\\f", 2);
			el = 2;
			break;
		case '\r':
			memcpy(esc, "\\r", 2);
			el = 2;
			break;
		default:
			if (c < 0x20) {
				put_u16(esc, c);
				el = 6;
			} else {
				/* non-ASCII under TG_JSON_EMIT_ASCII */
				uint32_t cp;
				size_t k = tg_utf8_decode(p + i, n - i, &cp);
				if (k == 0)
					return TG_E_ENCODING;
				if (cp >= 0x10000) {
					uint32_t v = cp - 0x10000;
					uint32_t hi = 0xd800 + (v >> 10), lo = 0xdc00 + (v & 0x3ff);
					put_u16(esc, hi);
					put_u16(esc + 6, lo);
					el = 12;
				} else {
					put_u16(esc, cp);
					el = 6;
				}
				i += k - 1;
			}
		}
		r = tg_buf_add(out, esc, el);
		run = i + 1;
	}
	if (r == TG_OK && n > run)
		r = tg_buf_add(out, p + run, n - run);
	if (r == TG_OK)
		r = tg_buf_addc(out, '"');
	return r;
}

static tg_err indent(struct tg_buf *out, unsigned flags, unsigned depth)
{
	tg_err r;
	unsigned i;
	if (!(flags & TG_JSON_EMIT_PRETTY))
		return TG_OK;
	r = tg_buf_addc(out, '\n');
	for (i = 0; r == TG_OK && i < depth; i++)
		r = tg_buf_add(out, "  ", 2);
	return r;
}

static tg_err emit_value(struct tg_buf *out, const struct tg_json *v, unsigned flags,
			 unsigned depth)
{
	tg_err r = TG_OK;
	size_t i;

	if (depth > EMIT_DEPTH_MAX)
		return TG_E_DEPTH;
	switch ((enum tg_json_type)v->type) {
	case TG_JSON_NULL:
		return tg_buf_add(out, "null", 4);
	case TG_JSON_BOOL:
		return v->u.b ? tg_buf_add(out, "true", 4) : tg_buf_add(out, "false", 5);
	case TG_JSON_NUMBER:
		return tg_buf_add(out, v->u.s.p, v->u.s.len);
	case TG_JSON_STRING:
		return emit_string(out, v->u.s.p, v->u.s.len, flags);
	case TG_JSON_ARRAY:
	case TG_JSON_SET:
		r = tg_buf_addc(out, '[');
		for (i = 0; r == TG_OK && i < v->u.a.len; i++) {
			if (i)
				r = tg_buf_addc(out, ',');
			if (r == TG_OK)
				r = indent(out, flags, depth + 1);
			if (r == TG_OK)
				r = emit_value(out, v->u.a.items[i], flags, depth + 1);
		}
		if (r == TG_OK && v->u.a.len)
			r = indent(out, flags, depth);
		if (r == TG_OK)
			r = tg_buf_addc(out, ']');
		return r;
	case TG_JSON_OBJECT:
		r = tg_buf_addc(out, '{');
		for (i = 0; r == TG_OK && i < v->u.o.len; i++) {
			const struct tg_json *k = v->u.o.items[i].key;
			if (k->type != TG_JSON_STRING)
				return TG_E_TYPE;
			if (i)
				r = tg_buf_addc(out, ',');
			if (r == TG_OK)
				r = indent(out, flags, depth + 1);
			if (r == TG_OK)
				r = emit_string(out, k->u.s.p, k->u.s.len, flags);
			if (r == TG_OK)
				r = (flags & TG_JSON_EMIT_PRETTY) ? tg_buf_add(out, ": ", 2)
								  : tg_buf_addc(out, ':');
			if (r == TG_OK)
				r = emit_value(out, v->u.o.items[i].val, flags, depth + 1);
		}
		if (r == TG_OK && v->u.o.len)
			r = indent(out, flags, depth);
		if (r == TG_OK)
			r = tg_buf_addc(out, '}');
		return r;
	}
	return TG_E_INTERNAL;
}

tg_err tg_json_emit(struct tg_buf *out, const struct tg_json *v, unsigned flags)
{
	size_t orig = out->len;
	tg_err r = emit_value(out, v, flags, 0);
	if (r != TG_OK)
		tg_buf_truncate(out, orig);
	return r;
}

tg_err tg_json_add_string(struct tg_buf *out, const char *s, size_t n)
{
	size_t orig = out->len;
	tg_err r;
	if (!tg_utf8_valid((const uint8_t *)s, n, NULL))
		return TG_E_ENCODING;
	r = emit_string(out, s, n, 0);
	if (r != TG_OK)
		tg_buf_truncate(out, orig);
	return r;
}

/* ---- ECMAScript number formatting (ECMA-262 Number::toString) ---- */

/* Writes the decimal digits d (k of them, no leading/trailing zeros) with
 * decimal point position n (value = 0.d x 10^n) in ECMAScript form. */
static tg_err es_format(struct tg_buf *out, bool neg, const char *d, int k, int n)
{
	char tmp[64];
	size_t t = 0;
	int i;

	if (neg)
		tmp[t++] = '-';
	if (k <= n && n <= 21) {
		memcpy(tmp + t, d, (size_t)k);
		t += (size_t)k;
		for (i = 0; i < n - k; i++)
			tmp[t++] = '0';
	} else if (0 < n && n <= 21) {
		memcpy(tmp + t, d, (size_t)n);
		t += (size_t)n;
		tmp[t++] = '.';
		memcpy(tmp + t, d + n, (size_t)(k - n));
		t += (size_t)(k - n);
	} else if (-6 < n && n <= 0) {
		tmp[t++] = '0';
		tmp[t++] = '.';
		for (i = 0; i < -n; i++)
			tmp[t++] = '0';
		memcpy(tmp + t, d, (size_t)k);
		t += (size_t)k;
	} else {
		int e = n - 1, len;
		tmp[t++] = d[0];
		if (k > 1) {
			tmp[t++] = '.';
			memcpy(tmp + t, d + 1, (size_t)(k - 1));
			t += (size_t)(k - 1);
		}
		len = snprintf(tmp + t, sizeof(tmp) - t, "e%c%d", e < 0 ? '-' : '+', e < 0 ? -e : e);
		if (len < 0)
			return TG_E_INTERNAL;
		t += (size_t)len;
	}
	return tg_buf_add(out, tmp, t);
}

/*
 * sci holds the correctly rounded prec-digit form of x ("D.DDDe+XX"), which
 * does not round-trip. The one other prec-digit decimal that might is its
 * neighbour on the other side of x: next to a power of two the rounding
 * interval of x is twice as wide above x as below, so the nearest decimal
 * can fall outside while the next one up is inside (2^-1017 is
 * 7.120236347223045e-307, not 7.1202363472230444e-307). Rewrites sci to
 * that neighbour and returns 1 when it round-trips.
 */
static int other_neighbour(char *sci, size_t cap, double x, int prec)
{
	char d[20];
	int n = 0, i, e;
	char *ep;
	d[n++] = sci[0];
	for (ep = sci + 1; *ep && *ep != 'e'; ep++)
		if (*ep != '.' && n < prec)
			d[n++] = *ep;
	if (*ep != 'e' || n != prec)
		return 0;
	e = (int)strtol(ep + 1, NULL, 10);
	if (strtod(sci, NULL) < x) { /* one unit in the last place up */
		for (i = n - 1; i >= 0 && d[i] == '9'; i--)
			d[i] = '0';
		if (i < 0) {
			d[0] = '1'; /* 9.99 -> 10.0: keep prec digits, next exponent */
			e++;
		} else {
			d[i]++;
		}
	} else { /* one unit down */
		for (i = n - 1; i >= 0 && d[i] == '0'; i--)
			d[i] = '9';
		d[i]--; /* i >= 0: the leading digit is not 0 */
		if (d[0] == '0') { /* 1.00 -> 0.99: one digit fewer */
			memmove(d, d + 1, (size_t)--n);
			e--;
			if (n == 0)
				return 0;
		}
	}
	d[n] = '\0';
	if (snprintf(sci, cap, "%c%s%se%+d", d[0], n > 1 ? "." : "", d + 1, e) >= (int)cap)
		return 0;
	return strtod(sci, NULL) == x;
}

tg_err tg_json_format_double(struct tg_buf *out, double x)
{
	char sci[40], digits[20];
	int prec, k = 0, e;
	char *ep;
	bool neg;

	if (!isfinite(x))
		return TG_E_RANGE;
	if (x == 0)
		return tg_buf_addc(out, '0'); /* also -0 (ECMA-262: "0") */
	neg = x < 0;
	if (neg)
		x = -x;
	/* The shortest precision that round-trips; %e rounds correctly, so
	 * the first hit is also the closest such decimal. When it misses and x
	 * is a power of two, the other neighbour at the same precision may
	 * still hit. */
	for (prec = 1; prec <= 17; prec++) {
		int len = snprintf(sci, sizeof(sci), "%.*e", prec - 1, x);
		if (len < 0 || (size_t)len >= sizeof(sci))
			return TG_E_INTERNAL;
		if (strtod(sci, NULL) == x)
			break;
		/* only a power of two has a lopsided rounding interval */
		if (frexp(x, &e) == 0.5 && other_neighbour(sci, sizeof(sci), x, prec))
			break;
	}
	/* sci is "D.DDDDe[+-]XX" */
	digits[k++] = sci[0];
	for (ep = sci + 1; *ep && *ep != 'e'; ep++)
		if (*ep != '.')
			digits[k++] = *ep;
	if (*ep != 'e')
		return TG_E_INTERNAL;
	e = (int)strtol(ep + 1, NULL, 10);
	while (k > 1 && digits[k - 1] == '0')
		k--;
	return es_format(out, neg, digits, k, e + 1);
}

/* Canonical form of a number literal. Literals with at most 15
 * significant digits and a moderate exponent already are the shortest
 * round-tripping decimal of their double (DBL_DIG = 15 makes the map from
 * such decimals to doubles injective), so they are formatted directly;
 * everything else goes through the double. */
static tg_err canon_number(struct tg_buf *out, const struct tg_json *v)
{
	struct tg_numparts np;
	double x;
	tg_err r;

	if (!tg_numlit_split(v->u.s.p, v->u.s.len, &np))
		return TG_E_RANGE;
	if (np.ndig == 0)
		return tg_buf_addc(out, '0');
	if (np.ndig <= 15 && np.point > -290 && np.point < 290) {
		char d[16];
		size_t i;
		for (i = 0; i < np.ndig; i++)
			d[i] = tg_numparts_digit(&np, i);
		return es_format(out, np.neg, d, (int)np.ndig, (int)np.point);
	}
	r = tg_json_num_double(v, &x);
	if (r != TG_OK)
		return r;
	return tg_json_format_double(out, x);
}

/* Compares two UTF-8 strings by their UTF-16 code units (RFC 8785 3.2.3). */
static int utf16_cmp(const struct tg_json *a, const struct tg_json *b)
{
	const uint8_t *p = (const uint8_t *)a->u.s.p, *q = (const uint8_t *)b->u.s.p;
	size_t i = 0, j = 0, n = a->u.s.len, m = b->u.s.len;

	while (i < n && j < m) {
		uint32_t x, y;
		size_t kx, ky;
		if (p[i] == q[j] && p[i] < 0x80) {
			i++;
			j++;
			continue;
		}
		kx = tg_utf8_decode(p + i, n - i, &x);
		ky = tg_utf8_decode(q + j, m - j, &y);
		if (!kx || !ky) /* not reachable for validated strings */
			return kx < ky ? -1 : kx > ky;
		if (x != y) {
			/* Map to the first UTF-16 unit; differing supplementary
			 * code points with equal high surrogates differ in the low
			 * one in the same direction as the code points. */
			uint32_t ux = x >= 0x10000 ? 0xd800 + ((x - 0x10000) >> 10) : x;
			uint32_t uy = y >= 0x10000 ? 0xd800 + ((y - 0x10000) >> 10) : y;
			if (ux != uy)
				return ux < uy ? -1 : 1;
			return x < y ? -1 : 1;
		}
		i += kx;
		j += ky;
	}
	return (i < n) - (j < m);
}

/* True when byte-wise UTF-8 order may differ from UTF-16 order, i.e. some
 * key holds a code point >= U+E000 (lead byte 0xEE or above). */
static bool needs_utf16_sort(const struct tg_json *obj)
{
	size_t i, k;
	for (i = 0; i < obj->u.o.len; i++) {
		const struct tg_json *key = obj->u.o.items[i].key;
		for (k = 0; k < key->u.s.len; k++)
			if ((uint8_t)key->u.s.p[k] >= 0xee)
				return true;
	}
	return false;
}

static int member_utf16_cmp(const void *x, const void *y)
{
	const struct tg_json_member *a = x, *b = y;
	return utf16_cmp(a->key, b->key);
}

static tg_err canon_value(struct tg_buf *out, const struct tg_json *v, unsigned depth)
{
	tg_err r = TG_OK;
	size_t i;

	if (depth > EMIT_DEPTH_MAX)
		return TG_E_DEPTH;
	switch ((enum tg_json_type)v->type) {
	case TG_JSON_NULL:
	case TG_JSON_BOOL:
	case TG_JSON_STRING:
		return emit_value(out, v, 0, depth);
	case TG_JSON_NUMBER:
		return canon_number(out, v);
	case TG_JSON_SET:
		return TG_E_TYPE;
	case TG_JSON_ARRAY:
		r = tg_buf_addc(out, '[');
		for (i = 0; r == TG_OK && i < v->u.a.len; i++) {
			if (i)
				r = tg_buf_addc(out, ',');
			if (r == TG_OK)
				r = canon_value(out, v->u.a.items[i], depth + 1);
		}
		if (r == TG_OK)
			r = tg_buf_addc(out, ']');
		return r;
	case TG_JSON_OBJECT: {
		const struct tg_json_member *m = v->u.o.items;
		struct tg_json_member *sorted = NULL;
		for (i = 0; i < v->u.o.len; i++)
			if (m[i].key->type != TG_JSON_STRING)
				return TG_E_TYPE;
		if (needs_utf16_sort(v)) {
			sorted = tg_xmalloc(v->u.o.len * sizeof(*sorted));
			memcpy(sorted, m, v->u.o.len * sizeof(*sorted));
			qsort(sorted, v->u.o.len, sizeof(*sorted), member_utf16_cmp);
			m = sorted;
		}
		r = tg_buf_addc(out, '{');
		for (i = 0; r == TG_OK && i < v->u.o.len; i++) {
			if (i)
				r = tg_buf_addc(out, ',');
			if (r == TG_OK)
				r = emit_string(out, m[i].key->u.s.p, m[i].key->u.s.len, 0);
			if (r == TG_OK)
				r = tg_buf_addc(out, ':');
			if (r == TG_OK)
				r = canon_value(out, m[i].val, depth + 1);
		}
		if (r == TG_OK)
			r = tg_buf_addc(out, '}');
		free(sorted);
		return r;
	}
	}
	return TG_E_INTERNAL;
}

tg_err tg_json_canon(struct tg_buf *out, const struct tg_json *v)
{
	size_t orig = out->len;
	tg_err r = canon_value(out, v, 0);
	if (r != TG_OK)
		tg_buf_truncate(out, orig);
	return r;
}
