/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_gocompat.c - the helpers of rego_bi.h: operand checks with OPA's
 * messages, result builders, and Go's fmt/strconv/base64/json behaviour
 * that OPA's built-ins expose (see rego_bi.h for each contract).
 */
#include "rego/rego_bi.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "core/mem.h"

/* ------------------------------------------------------------------ */
/* Operands and results                                                */
/* ------------------------------------------------------------------ */

tg_err tg_rego_bi_str(struct tg_rego_bctx *c, const struct tg_json *v, size_t i, const char **s,
		      size_t *n)
{
	if (v->type != TG_JSON_STRING)
		return tg_rego_type_error(c, i, "string", v);
	*s = v->u.s.p;
	*n = v->u.s.len;
	return TG_OK;
}

/* Go's strconv.ParseInt(lit, 10, 64) on a JSON number literal. */
static bool lit_int64(const struct tg_json *v, int64_t *out)
{
	const char *p = v->u.s.p;
	size_t n = v->u.s.len, i = 0;
	bool neg = false;
	uint64_t acc = 0, lim;
	if (!(v->flags & TG_JSON_F_INTLIT))
		return false;
	if (i < n && p[i] == '-') {
		neg = true;
		i++;
	}
	if (i == n)
		return false;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		unsigned d;
		if (p[i] < '0' || p[i] > '9')
			return false;
		d = (unsigned)(p[i] - '0');
		if (acc > (lim - d) / 10)
			return false;
		acc = acc * 10 + d;
	}
	*out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return true;
}

tg_err tg_rego_bi_int(struct tg_rego_bctx *c, const struct tg_json *v, size_t i, int64_t *out)
{
	if (v->type != TG_JSON_NUMBER)
		return tg_rego_type_error(c, i, "number", v);
	if (!lit_int64(v, out)) {
		tg_diag_set(c->d, "operand %zu must be integer number but got floating-point number",
			    i);
		return TG_E_TYPE;
	}
	return TG_OK;
}

tg_err tg_rego_bi_type_error_any(struct tg_rego_bctx *c, size_t i, const char *const *wants,
				 const struct tg_json *got)
{
	char list[160];
	size_t off = 0;
	list[0] = '\0';
	for (size_t k = 0; wants[k]; k++) {
		int w = snprintf(list + off, sizeof(list) - off, "%s%s", k ? ", " : "", wants[k]);
		if (w < 0 || (size_t)w >= sizeof(list) - off)
			break;
		off += (size_t)w;
	}
	tg_diag_set(c->d, "operand %zu must be one of {%s} but got %s", i, list,
		    tg_json_type_name((enum tg_json_type)got->type));
	return TG_E_TYPE;
}

tg_err tg_rego_bi_elem_error(struct tg_rego_bctx *c, size_t i, const struct tg_json *coll,
			     const struct tg_json *elem, const char *want)
{
	const char *t = tg_json_type_name((enum tg_json_type)coll->type);
	tg_diag_set(c->d, "operand %zu must be %s of %ss but got %s containing %s", i, t, want, t,
		    tg_json_type_name((enum tg_json_type)elem->type));
	return TG_E_TYPE;
}

tg_err tg_rego_bi_fail(struct tg_rego_bctx *c, const char *fmt, ...)
{
	va_list ap;
	if (c->d) {
		va_start(ap, fmt);
		vsnprintf(c->d->msg, sizeof(c->d->msg), fmt, ap);
		va_end(ap);
	}
	return TG_E_INVAL;
}

tg_err tg_rego_bi_charge(struct tg_rego_bctx *c, uint64_t n)
{
	if (!c->budget)
		return TG_OK;
	if (*c->budget < n) {
		*c->budget = 0;
		tg_diag_set(c->d, "evaluation budget exhausted");
		return TG_E_TOOBIG;
	}
	*c->budget -= n;
	return TG_OK;
}

tg_err tg_rego_bi_new_str(struct tg_rego_bctx *c, const char *s, size_t n,
			  const struct tg_json **out)
{
	tg_err r = tg_json_new_string(c->a, s ? s : "", n, out);
	if (r == TG_E_TOOBIG)
		tg_diag_set(c->d, "result exceeds the evaluation's memory limit");
	else if (r == TG_E_ENCODING)
		tg_diag_set(c->d, "result is not valid UTF-8");
	return r;
}

tg_err tg_rego_bi_buf_str(struct tg_rego_bctx *c, const struct tg_buf *b, const struct tg_json **out)
{
	return tg_rego_bi_new_str(c, (const char *)b->data, b->len, out);
}

void tg_rego_bi_list_init(struct tg_rego_bi_list *l, struct tg_arena *a)
{
	l->items = NULL;
	l->len = l->cap = 0;
	l->a = a;
}

tg_err tg_rego_bi_list_add(struct tg_rego_bi_list *l, const struct tg_json *v)
{
	if (l->len == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		const struct tg_json **n;
		if (ncap > TG_LIMIT_JSON_MEMBERS)
			return TG_E_TOOBIG;
		n = tg_arena_alloc_array(l->a, ncap, sizeof(*n));
		if (!n)
			return TG_E_TOOBIG;
		if (l->len)
			memcpy(n, l->items, l->len * sizeof(*n));
		l->items = n;
		l->cap = ncap;
	}
	l->items[l->len++] = v;
	return TG_OK;
}

tg_err tg_rego_bi_list_array(struct tg_rego_bi_list *l, const struct tg_json **out)
{
	return tg_json_new_array(l->a, l->items, l->len, out);
}

tg_err tg_rego_bi_list_set(struct tg_rego_bi_list *l, const struct tg_json **out)
{
	return tg_json_new_set(l->a, l->items, l->len, out);
}

/* ------------------------------------------------------------------ */
/* UTF-8                                                               */
/* ------------------------------------------------------------------ */

size_t tg_rego_bi_rune(const char *s, size_t n, uint32_t *r)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t w;
	uint32_t v;
	if (n == 0) {
		*r = 0;
		return 0;
	}
	if (u[0] < 0x80) {
		*r = u[0];
		return 1;
	}
	if (u[0] >= 0xF0 && u[0] < 0xF8) {
		w = 4;
		v = u[0] & 0x07;
	} else if (u[0] >= 0xE0) {
		w = 3;
		v = u[0] & 0x0F;
	} else if (u[0] >= 0xC0) {
		w = 2;
		v = u[0] & 0x1F;
	} else {
		*r = 0xFFFD;
		return 1;
	}
	if (w > n) {
		*r = 0xFFFD;
		return 1;
	}
	for (size_t i = 1; i < w; i++) {
		if ((u[i] & 0xC0) != 0x80) {
			*r = 0xFFFD;
			return 1;
		}
		v = (v << 6) | (u[i] & 0x3F);
	}
	*r = v;
	return w;
}

size_t tg_rego_bi_runes(const char *s, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			count++;
	return count;
}

tg_err tg_rego_bi_put_rune(struct tg_buf *b, uint32_t r)
{
	uint8_t t[4];
	if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
		r = 0xFFFD;
	if (r < 0x80)
		return tg_buf_addc(b, (uint8_t)r);
	if (r < 0x800) {
		t[0] = (uint8_t)(0xC0 | (r >> 6));
		t[1] = (uint8_t)(0x80 | (r & 0x3F));
		return tg_buf_add(b, t, 2);
	}
	if (r < 0x10000) {
		t[0] = (uint8_t)(0xE0 | (r >> 12));
		t[1] = (uint8_t)(0x80 | ((r >> 6) & 0x3F));
		t[2] = (uint8_t)(0x80 | (r & 0x3F));
		return tg_buf_add(b, t, 3);
	}
	t[0] = (uint8_t)(0xF0 | (r >> 18));
	t[1] = (uint8_t)(0x80 | ((r >> 12) & 0x3F));
	t[2] = (uint8_t)(0x80 | ((r >> 6) & 0x3F));
	t[3] = (uint8_t)(0x80 | (r & 0x3F));
	return tg_buf_add(b, t, 4);
}

/* ------------------------------------------------------------------ */
/* strconv.Quote                                                       */
/* ------------------------------------------------------------------ */

/*
 * Go's unicode.IsPrint without its tables: every rune is printable except
 * controls, the non-ASCII spaces and format characters, private use,
 * surrogates and noncharacters. Unassigned code points (which Go does not
 * print) are treated as printable: the one known difference.
 */
static bool go_isprint(uint32_t r)
{
	if (r < 0x80)
		return r >= 0x20 && r < 0x7F;
	if (r <= 0xA0 || r == 0xAD || r == 0x61C || r == 0x1680 || r == 0x180E)
		return false;
	if ((r >= 0x2000 && r <= 0x200F) || (r >= 0x2028 && r <= 0x202F) ||
	    (r >= 0x205F && r <= 0x206F) || r == 0x3000 || r == 0xFEFF ||
	    (r >= 0xFFF9 && r <= 0xFFFB) || (r >= 0xD800 && r <= 0xDFFF) ||
	    (r >= 0xE000 && r <= 0xF8FF) || (r >= 0xFDD0 && r <= 0xFDEF) ||
	    (r & 0xFFFE) == 0xFFFE || r >= 0xF0000 || (r >= 0xE0000 && r <= 0xE0FFF) ||
	    r == 0x110BD || r == 0x110CD || (r >= 0x13430 && r <= 0x1343F) ||
	    (r >= 0x1BCA0 && r <= 0x1BCA3) || (r >= 0x1D173 && r <= 0x1D17A) || r == 0x8E2 ||
	    r == 0x6DD || r == 0x70F || r == 0x890 || r == 0x891)
		return false;
	return true;
}

static const char lowerhex[] = "0123456789abcdef";

static tg_err escaped_rune(struct tg_buf *b, uint32_t r, char quote, bool ascii)
{
	char t[12];
	if (r == (uint32_t)quote || r == '\\') {
		if (tg_buf_addc(b, '\\') != TG_OK)
			return TG_E_TOOBIG;
		return tg_rego_bi_put_rune(b, r);
	}
	if (ascii) {
		if (r < 0x80 && go_isprint(r))
			return tg_buf_addc(b, (uint8_t)r);
	} else if (go_isprint(r)) {
		return tg_rego_bi_put_rune(b, r);
	}
	switch (r) {
	case '\a':
		return tg_buf_adds(b, "\\a");
	case '\b':
		return tg_buf_adds(b, "\\b");
	case '\f':
		return tg_buf_adds(b, "\\f");
	case '\n':
		return tg_buf_adds(b, "\\n");
	case '\r':
		return tg_buf_adds(b, "\\r");
	case '\t':
		return tg_buf_adds(b, "\\t");
	case '\v':
		return tg_buf_adds(b, "\\v");
	default:
		break;
	}
	if (r < ' ' || r == 0x7F) {
		t[0] = '\\';
		t[1] = 'x';
		t[2] = lowerhex[r >> 4];
		t[3] = lowerhex[r & 0xF];
		return tg_buf_add(b, t, 4);
	}
	if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
		r = 0xFFFD;
	if (r < 0x10000) {
		snprintf(t, sizeof(t), "\\u%04x", (unsigned)r);
		return tg_buf_add(b, t, 6);
	}
	snprintf(t, sizeof(t), "\\U%08x", (unsigned)r);
	return tg_buf_add(b, t, 10);
}

static tg_err quote_with(struct tg_buf *b, const char *s, size_t n, char quote, bool ascii)
{
	size_t start = b->len;
	if (tg_buf_addc(b, (uint8_t)quote) != TG_OK)
		goto toobig;
	for (size_t i = 0; i < n;) {
		uint32_t r;
		size_t w = tg_rego_bi_rune(s + i, n - i, &r);
		if (w == 1 && r == 0xFFFD && (unsigned char)s[i] >= 0x80) {
			char t[4] = {'\\', 'x', lowerhex[(unsigned char)s[i] >> 4],
				     lowerhex[(unsigned char)s[i] & 0xF]};
			if (tg_buf_add(b, t, 4) != TG_OK)
				goto toobig;
			i++;
			continue;
		}
		if (escaped_rune(b, r, quote, ascii) != TG_OK)
			goto toobig;
		i += w;
	}
	if (tg_buf_addc(b, (uint8_t)quote) != TG_OK)
		goto toobig;
	return TG_OK;
toobig:
	tg_buf_truncate(b, start);
	return TG_E_TOOBIG;
}

tg_err tg_rego_go_quote(struct tg_buf *b, const char *s, size_t n, bool ascii)
{
	return quote_with(b, s, n, '"', ascii);
}

/* ------------------------------------------------------------------ */
/* Floats                                                              */
/* ------------------------------------------------------------------ */

/* Shortest decimal digits of a finite double that round-trip: digits
 * (without leading zeros, no trailing zeros) and the decimal point
 * position dp (value = 0.d1d2... * 10^dp). */
struct shortest {
	char d[24];
	int nd;
	int dp;
	bool neg;
};

static void float_shortest(double x, struct shortest *s)
{
	char buf[40];
	s->neg = signbit(x) != 0;
	if (s->neg)
		x = -x;
	if (x == 0) {
		s->d[0] = '0';
		s->nd = 1;
		s->dp = 1;
		return;
	}
	for (int p = 1; p <= 17; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, x);
		if (p == 17 || strtod(buf, NULL) == x)
			break;
	}
	/* buf is d[.ddd]e[+-]XX */
	{
		char *e = strchr(buf, 'e');
		int exp10 = (int)strtol(e + 1, NULL, 10);
		int nd = 0;
		for (char *q = buf; q < e; q++)
			if (*q >= '0' && *q <= '9')
				s->d[nd++] = *q;
		while (nd > 1 && s->d[nd - 1] == '0')
			nd--;
		s->nd = nd;
		s->dp = exp10 + 1;
	}
}

/* strconv 'e' layout of shortest digits; upper selects 'E'. */
static tg_err put_e(struct tg_buf *b, const struct shortest *s, bool upper)
{
	char t[48];
	int exp = s->dp - 1;
	size_t k = 0;
	t[k++] = s->d[0];
	if (s->nd > 1) {
		t[k++] = '.';
		memcpy(t + k, s->d + 1, (size_t)s->nd - 1);
		k += (size_t)s->nd - 1;
	}
	t[k++] = upper ? 'E' : 'e';
	t[k++] = exp < 0 ? '-' : '+';
	if (exp < 0)
		exp = -exp;
	if (exp < 10) {
		t[k++] = '0';
		t[k++] = (char)('0' + exp);
	} else if (exp < 100) {
		t[k++] = (char)('0' + exp / 10);
		t[k++] = (char)('0' + exp % 10);
	} else {
		t[k++] = (char)('0' + exp / 100);
		t[k++] = (char)('0' + exp / 10 % 10);
		t[k++] = (char)('0' + exp % 10);
	}
	return tg_buf_add(b, t, k);
}

/* strconv 'f' layout of shortest digits. */
static tg_err put_f(struct tg_buf *b, const struct shortest *s)
{
	size_t start = b->len;
	tg_err r = TG_OK;
	if (s->dp <= 0) {
		r = tg_buf_adds(b, "0.");
		for (int i = 0; r == TG_OK && i < -s->dp; i++)
			r = tg_buf_addc(b, '0');
		if (r == TG_OK)
			r = tg_buf_add(b, s->d, (size_t)s->nd);
	} else if (s->dp >= s->nd) {
		r = tg_buf_add(b, s->d, (size_t)s->nd);
		for (int i = s->nd; r == TG_OK && i < s->dp; i++)
			r = tg_buf_addc(b, '0');
	} else {
		r = tg_buf_add(b, s->d, (size_t)s->dp);
		if (r == TG_OK)
			r = tg_buf_addc(b, '.');
		if (r == TG_OK)
			r = tg_buf_add(b, s->d + s->dp, (size_t)(s->nd - s->dp));
	}
	if (r != TG_OK)
		tg_buf_truncate(b, start);
	return r;
}

/* strconv.FormatFloat(x, 'g', -1, 64) without the sign. */
static tg_err put_g_shortest(struct tg_buf *b, const struct shortest *s, bool upper)
{
	int exp = s->dp - 1;
	if (exp < -4 || exp >= 6)
		return put_e(b, s, upper);
	return put_f(b, s);
}

tg_err tg_rego_go_float(struct tg_buf *b, double x)
{
	struct shortest s;
	size_t start = b->len;
	float_shortest(x, &s);
	if (s.neg && tg_buf_addc(b, '-') != TG_OK)
		return TG_E_TOOBIG;
	if (put_g_shortest(b, &s, false) != TG_OK) {
		tg_buf_truncate(b, start);
		return TG_E_TOOBIG;
	}
	return TG_OK;
}

/* ------------------------------------------------------------------ */
/* OPA term String()                                                   */
/* ------------------------------------------------------------------ */

static tg_err term_rec(struct tg_buf *b, const struct tg_json *v, unsigned depth)
{
	tg_err r = TG_OK;
	if (depth > TG_LIMIT_JSON_DEPTH + 8)
		return TG_E_DEPTH;
	switch (v->type) {
	case TG_JSON_NULL:
		return tg_buf_adds(b, "null");
	case TG_JSON_BOOL:
		return tg_buf_adds(b, v->u.b ? "true" : "false");
	case TG_JSON_NUMBER:
		return tg_buf_add(b, v->u.s.p, v->u.s.len);
	case TG_JSON_STRING:
		return tg_rego_go_quote(b, v->u.s.p, v->u.s.len, false);
	case TG_JSON_ARRAY:
	case TG_JSON_SET:
		if (v->type == TG_JSON_SET && v->u.a.len == 0)
			return tg_buf_adds(b, "set()");
		r = tg_buf_addc(b, v->type == TG_JSON_SET ? '{' : '[');
		for (size_t i = 0; r == TG_OK && i < v->u.a.len; i++) {
			if (i)
				r = tg_buf_adds(b, ", ");
			if (r == TG_OK)
				r = term_rec(b, v->u.a.items[i], depth + 1);
		}
		if (r == TG_OK)
			r = tg_buf_addc(b, v->type == TG_JSON_SET ? '}' : ']');
		return r;
	case TG_JSON_OBJECT:
		r = tg_buf_addc(b, '{');
		for (size_t i = 0; r == TG_OK && i < v->u.o.len; i++) {
			if (i)
				r = tg_buf_adds(b, ", ");
			if (r == TG_OK)
				r = term_rec(b, v->u.o.items[i].key, depth + 1);
			if (r == TG_OK)
				r = tg_buf_adds(b, ": ");
			if (r == TG_OK)
				r = term_rec(b, v->u.o.items[i].val, depth + 1);
		}
		if (r == TG_OK)
			r = tg_buf_addc(b, '}');
		return r;
	default:
		return TG_E_INTERNAL;
	}
}

tg_err tg_rego_go_term(struct tg_buf *b, const struct tg_json *v)
{
	size_t start = b->len;
	tg_err r = term_rec(b, v, 0);
	if (r != TG_OK)
		tg_buf_truncate(b, start);
	return r;
}

/* ------------------------------------------------------------------ */
/* Big integers in decimal text (for fmt of *big.Int)                  */
/* ------------------------------------------------------------------ */

/* Appends the decimal digits dec[0..n) in base 2, 8 or 16. */
tg_err tg_rego_go_big_base(struct tg_buf *b, const char *dec, size_t n, unsigned base, bool upper)
{
	/* little-endian 32-bit limbs */
	size_t nl = n / 9 + 2, used = 1, bits;
	uint32_t *limb;
	tg_err r = TG_OK;
	unsigned shift = base == 2 ? 1 : base == 8 ? 3 : 4;
	char *out;
	size_t nout, k;
	limb = tg_xcalloc(nl, sizeof(*limb));
	for (size_t i = 0; i < n; i++) {
		uint64_t carry = (uint64_t)(dec[i] - '0');
		for (size_t j = 0; j < used; j++) {
			uint64_t v = (uint64_t)limb[j] * 10 + carry;
			limb[j] = (uint32_t)v;
			carry = v >> 32;
		}
		if (carry)
			limb[used++] = (uint32_t)carry;
	}
	while (used > 1 && limb[used - 1] == 0)
		used--;
	bits = used * 32;
	nout = bits / shift + 1;
	out = tg_xmalloc(nout);
	k = 0;
	for (size_t bit = 0; bit < bits; bit += shift) {
		unsigned d = 0;
		for (unsigned s = 0; s < shift; s++) {
			size_t bb = bit + s;
			if (bb < bits && (limb[bb / 32] >> (bb % 32) & 1))
				d |= 1u << s;
		}
		out[k++] = (upper ? "0123456789ABCDEF" : lowerhex)[d];
	}
	while (k > 1 && out[k - 1] == '0')
		k--;
	for (size_t i = 0; r == TG_OK && i < k; i++)
		r = tg_buf_addc(b, (uint8_t)out[k - 1 - i]);
	free(out);
	free(limb);
	return r;
}

/* ------------------------------------------------------------------ */
/* fmt.Sprintf                                                         */
/* ------------------------------------------------------------------ */

enum go_kind { GO_INT, GO_BIG, GO_FLOAT, GO_STR };

struct go_arg {
	enum go_kind k;
	int64_t i;
	double f;
	const char *s; /* GO_STR: the string; GO_BIG: the digits (no sign) */
	size_t n;
	bool neg; /* GO_BIG */
};

struct go_flags {
	bool sharp, zero, plus, minus, space, sharpV, plusV;
	bool widp, precp;
	int wid, prec;
};

struct go_pp {
	struct tg_buf *b;
	struct go_flags f;
	tg_err err;
	bool reordered, good_arg;
};

static const char *go_type_name(enum go_kind k)
{
	switch (k) {
	case GO_INT:
		return "int";
	case GO_BIG:
		return "*big.Int";
	case GO_FLOAT:
		return "float64";
	default:
		return "string";
	}
}

static void pp_add(struct go_pp *p, const void *s, size_t n)
{
	if (p->err == TG_OK && n && tg_buf_add(p->b, s, n) != TG_OK)
		p->err = TG_E_TOOBIG;
}

static void pp_adds(struct go_pp *p, const char *s)
{
	pp_add(p, s, strlen(s));
}

static void pp_addc(struct go_pp *p, char c)
{
	pp_add(p, &c, 1);
}

static void pp_padding(struct go_pp *p, long n)
{
	char c = p->f.zero ? '0' : ' ';
	for (long i = 0; i < n && p->err == TG_OK; i++)
		pp_addc(p, c);
}

/* fmt.pad: width counted in runes. */
static void pp_pad(struct go_pp *p, const char *s, size_t n)
{
	long width;
	if (!p->f.widp || p->f.wid == 0) {
		pp_add(p, s, n);
		return;
	}
	width = (long)p->f.wid - (long)tg_rego_bi_runes(s, n);
	if (!p->f.minus) {
		pp_padding(p, width);
		pp_add(p, s, n);
	} else {
		pp_add(p, s, n);
		pp_padding(p, width);
	}
}

/* fmt.truncateString: at most prec runes. */
static size_t trunc_len(const struct go_pp *p, const char *s, size_t n)
{
	if (p->f.precp) {
		size_t runes = 0;
		for (size_t i = 0; i < n; i++) {
			if (((unsigned char)s[i] & 0xC0) != 0x80) {
				if (runes == (size_t)p->f.prec)
					return i;
				runes++;
			}
		}
	}
	return n;
}

/* Go 1.23+: the '0' flag is ignored for strings */
static void fmt_s(struct go_pp *p, const char *s, size_t n)
{
	bool oldzero = p->f.zero;
	p->f.zero = false;
	pp_pad(p, s, trunc_len(p, s, n));
	p->f.zero = oldzero;
}

static void fmt_q(struct go_pp *p, const char *s, size_t n)
{
	struct tg_buf t = TG_BUF_INIT(TG_LIMIT_JSON_DOC);
	bool back = p->f.sharp;
	n = trunc_len(p, s, n);
	if (back) {
		/* strconv.CanBackquote */
		for (size_t i = 0; i < n && back; i++) {
			unsigned char ch = (unsigned char)s[i];
			if ((ch < ' ' && ch != '\t') || ch == '`' || ch == 0x7F)
				back = false;
		}
		if (back && n >= 3) {
			for (size_t i = 0; i + 2 < n; i++)
				if ((unsigned char)s[i] == 0xEF && (unsigned char)s[i + 1] == 0xBB &&
				    (unsigned char)s[i + 2] == 0xBF)
					back = false;
		}
	}
	if (back) {
		if (tg_buf_addc(&t, '`') != TG_OK || tg_buf_add(&t, s, n) != TG_OK ||
		    tg_buf_addc(&t, '`') != TG_OK)
			p->err = TG_E_TOOBIG;
	} else if (tg_rego_go_quote(&t, s, n, p->f.plus) != TG_OK) {
		p->err = TG_E_TOOBIG;
	}
	if (p->err == TG_OK) {
		bool oldzero = p->f.zero;
		p->f.zero = false;
		pp_pad(p, (const char *)t.data, t.len);
		p->f.zero = oldzero;
	}
	tg_buf_release(&t);
}

static void fmt_sx(struct go_pp *p, const char *s, size_t n, bool upper)
{
	const char *dig = upper ? "0123456789ABCDEF" : lowerhex;
	struct tg_buf t = TG_BUF_INIT(TG_LIMIT_JSON_DOC);
	size_t len = n;
	long width;
	p->f.zero = false;
	if (p->f.precp && (size_t)p->f.prec < len)
		len = (size_t)p->f.prec;
	/* the encoded width, as fmt computes it */
	width = 2 * (long)len;
	if (width > 0) {
		if (p->f.space) {
			if (p->f.sharp)
				width *= 2;
			width += (long)len - 1;
		} else if (p->f.sharp) {
			width += 2;
		}
	} else {
		if (p->f.widp)
			pp_padding(p, p->f.wid);
		return;
	}
	if (p->f.widp && p->f.wid > width && !p->f.minus)
		pp_padding(p, p->f.wid - width);
	for (size_t i = 0; i < len; i++) {
		if (p->f.space && i > 0 && tg_buf_addc(&t, ' ') != TG_OK)
			p->err = TG_E_TOOBIG;
		if (p->f.sharp && (p->f.space || i == 0)) {
			if (tg_buf_addc(&t, '0') != TG_OK || tg_buf_addc(&t, upper ? 'X' : 'x') != TG_OK)
				p->err = TG_E_TOOBIG;
		}
		if (tg_buf_addc(&t, (uint8_t)dig[(unsigned char)s[i] >> 4]) != TG_OK ||
		    tg_buf_addc(&t, (uint8_t)dig[(unsigned char)s[i] & 0xF]) != TG_OK)
			p->err = TG_E_TOOBIG;
	}
	pp_add(p, t.data, t.len);
	tg_buf_release(&t);
	if (p->f.widp && p->f.wid > width && p->f.minus)
		pp_padding(p, p->f.wid - width);
}

#define TADD(expr)                                                             \
	do {                                                                   \
		if ((expr) != TG_OK)                                           \
			p->err = TG_E_TOOBIG;                                  \
	} while (0)

/* fmt.fmtInteger */
static void fmt_integer(struct go_pp *p, uint64_t u, unsigned base, bool is_signed, char verb,
			bool upper)
{
	const char *dig = upper ? "0123456789ABCDEFX" : "0123456789abcdefx";
	bool negative = is_signed && (int64_t)u < 0;
	char digits[70];
	size_t nd = 0;
	long prec = 0, zeros;
	struct tg_buf t = TG_BUF_INIT(TG_LIMIT_JSON_DOC);
	bool oldzero;
	if (negative)
		u = 0 - u;
	if (p->f.precp) {
		prec = p->f.prec;
		if (prec == 0 && u == 0) {
			oldzero = p->f.zero;
			p->f.zero = false;
			if (p->f.widp)
				pp_padding(p, p->f.wid);
			p->f.zero = oldzero;
			return;
		}
	} else if (p->f.zero && !p->f.minus && p->f.widp) {
		prec = p->f.wid;
		if (negative || p->f.plus || p->f.space)
			prec--;
	}
	do {
		digits[nd++] = dig[u % base];
		u /= base;
	} while (u);
	zeros = prec > (long)nd ? prec - (long)nd : 0;
	if (negative)
		TADD(tg_buf_addc(&t, '-'));
	else if (p->f.plus)
		TADD(tg_buf_addc(&t, '+'));
	else if (p->f.space)
		TADD(tg_buf_addc(&t, ' '));
	if (verb == 'O')
		TADD(tg_buf_adds(&t, "0o"));
	if (p->f.sharp) {
		if (base == 2)
			TADD(tg_buf_adds(&t, "0b"));
		else if (base == 16)
			TADD(tg_buf_add(&t, upper ? "0X" : "0x", 2));
		else if (base == 8 && zeros == 0 && digits[nd - 1] != '0')
			TADD(tg_buf_addc(&t, '0'));
	}
	for (long i = 0; i < zeros; i++)
		if (tg_buf_addc(&t, '0') != TG_OK)
			p->err = TG_E_TOOBIG;
	for (size_t i = 0; i < nd; i++)
		TADD(tg_buf_addc(&t, (uint8_t)digits[nd - 1 - i]));
	oldzero = p->f.zero;
	p->f.zero = false;
	pp_pad(p, (const char *)t.data, t.len);
	p->f.zero = oldzero;
	tg_buf_release(&t);
}

static void fmt_c(struct go_pp *p, uint64_t u)
{
	struct tg_buf t = TG_BUF_INIT(8);
	uint32_t r = u > 0x10FFFF ? 0xFFFD : (uint32_t)u;
	if (tg_rego_bi_put_rune(&t, r) == TG_OK)
		pp_pad(p, (const char *)t.data, t.len);
	tg_buf_release(&t);
}

static void fmt_qc(struct go_pp *p, uint64_t u)
{
	struct tg_buf t = TG_BUF_INIT(32);
	uint32_t r = u > 0x10FFFF ? 0xFFFD : (uint32_t)u;
	if (r >= 0xD800 && r <= 0xDFFF)
		r = 0xFFFD;
	if (tg_buf_addc(&t, '\'') == TG_OK && escaped_rune(&t, r, '\'', p->f.plus) == TG_OK &&
	    tg_buf_addc(&t, '\'') == TG_OK)
		pp_pad(p, (const char *)t.data, t.len);
	tg_buf_release(&t);
}

static void fmt_unicode(struct go_pp *p, uint64_t u)
{
	char t[64];
	int prec = 4, k;
	bool oldzero;
	if (p->f.precp && p->f.prec > 4)
		prec = p->f.prec > 40 ? 40 : p->f.prec;
	k = snprintf(t, sizeof(t), "U+%0*llX", prec, (unsigned long long)u);
	if (k < 0 || (size_t)k >= sizeof(t))
		k = 0;
	if (p->f.sharp && u <= 0x10FFFF && go_isprint((uint32_t)u) && (size_t)k + 8 < sizeof(t)) {
		struct tg_buf rb = TG_BUF_INIT(8);
		if (tg_rego_bi_put_rune(&rb, (uint32_t)u) == TG_OK) {
			t[k++] = ' ';
			t[k++] = '\'';
			memcpy(t + k, rb.data, rb.len);
			k += (int)rb.len;
			t[k++] = '\'';
		}
		tg_buf_release(&rb);
	}
	oldzero = p->f.zero;
	p->f.zero = false;
	pp_pad(p, t, (size_t)k);
	p->f.zero = oldzero;
}

/* Go's %b of a float64: mantissa 'p' binary exponent. */
static tg_err float_b(struct tg_buf *t, double x)
{
	uint64_t bits;
	int64_t exp;
	uint64_t mant;
	char s[64];
	memcpy(&bits, &x, sizeof(bits));
	exp = (int64_t)((bits >> 52) & 0x7FF);
	mant = bits & ((1ull << 52) - 1);
	if (exp == 0)
		exp++;
	else
		mant |= 1ull << 52;
	exp += -1023 - 52;
	snprintf(s, sizeof(s), "%s%llup%s%lld", (bits >> 63) ? "-" : "+", (unsigned long long)mant,
		 exp >= 0 ? "+" : "", (long long)exp);
	if (tg_buf_adds(t, s) != TG_OK)
		return TG_E_TOOBIG;
	return TG_OK;
}

/* The number of a float verb into t, with a leading sign always ('+' or
 * '-'), as strconv.AppendFloat after fmt reserved the sign byte. */
static tg_err float_number(struct tg_buf *t, double x, char verb, int prec)
{
	struct shortest s;
	char cf[8];
	tg_err r = TG_OK;
	bool upper = verb == 'E' || verb == 'G' || verb == 'X';
	if (verb == 'b') {
		return float_b(t, x);
	}
	if (prec < 0 && (verb == 'g' || verb == 'G')) {
		float_shortest(x, &s);
		r = tg_buf_addc(t, s.neg ? '-' : '+');
		if (r == TG_OK)
			r = put_g_shortest(t, &s, upper);
		return r;
	}
	if (prec < 0 && (verb == 'e' || verb == 'E')) {
		float_shortest(x, &s);
		r = tg_buf_addc(t, s.neg ? '-' : '+');
		if (r == TG_OK)
			r = put_e(t, &s, upper);
		return r;
	}
	if (verb == 'x' || verb == 'X') {
		/* C's %a with Go's two-digit exponent */
		char *tmp;
		int k;
		size_t len;
		if (prec < 0)
			snprintf(cf, sizeof(cf), "%%+%c", verb == 'x' ? 'a' : 'A');
		else
			snprintf(cf, sizeof(cf), "%%+.*%c", verb == 'x' ? 'a' : 'A');
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		k = prec < 0 ? snprintf(NULL, 0, cf, x) : snprintf(NULL, 0, cf, prec, x);
		if (k < 0)
			return TG_E_INTERNAL;
		tmp = tg_xmalloc((size_t)k + 4);
		if (prec < 0)
			snprintf(tmp, (size_t)k + 1, cf, x);
		else
			snprintf(tmp, (size_t)k + 1, cf, prec, x);
#pragma GCC diagnostic pop
		len = (size_t)k;
		{
			char *pp = strchr(tmp, upper ? 'P' : 'p');
			if (pp && strlen(pp + 2) == 1) {
				memmove(pp + 3, pp + 2, 2);
				pp[2] = '0';
				len++;
			}
		}
		r = tg_buf_add(t, tmp, len);
		free(tmp);
		return r;
	}
	/* e, E, f, F, g, G with a precision: C's printf rounds exactly as
	 * strconv does (both are correctly rounded) */
	{
		char *tmp;
		int k;
		char cv = verb == 'F' ? 'f' : verb;
		snprintf(cf, sizeof(cf), "%%+.*%c", cv);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		k = snprintf(NULL, 0, cf, prec, x);
		if (k < 0)
			return TG_E_INTERNAL;
		tmp = tg_xmalloc((size_t)k + 1);
		snprintf(tmp, (size_t)k + 1, cf, prec, x);
#pragma GCC diagnostic pop
		r = tg_buf_add(t, tmp, (size_t)k);
		free(tmp);
		return r;
	}
}

/* fmt.fmtFloat */
static void fmt_float(struct go_pp *p, double x, char verb, int prec)
{
	struct tg_buf t = TG_BUF_INIT(TG_LIMIT_JSON_DOC);
	const char *num;
	size_t n;
	if (p->f.precp)
		prec = p->f.prec;
	if (float_number(&t, x, verb, prec) != TG_OK) {
		p->err = TG_E_TOOBIG;
		tg_buf_release(&t);
		return;
	}
	num = (const char *)t.data;
	n = t.len;
	if (p->f.space && num[0] == '+' && !p->f.plus)
		t.data[0] = ' ';
	if (p->f.plus || num[0] != '+') {
		if (p->f.zero && !p->f.minus && p->f.widp && (size_t)p->f.wid > n) {
			pp_addc(p, num[0]);
			pp_padding(p, (long)p->f.wid - (long)n);
			pp_add(p, num + 1, n - 1);
		} else {
			pp_pad(p, num, n);
		}
	} else {
		pp_pad(p, num + 1, n - 1);
	}
	tg_buf_release(&t);
}

static void print_arg(struct go_pp *p, const struct go_arg *a, uint32_t verb);

static void bad_verb(struct go_pp *p, const struct go_arg *a, uint32_t verb)
{
	struct tg_buf t = TG_BUF_INIT(8);
	pp_adds(p, "%!");
	if (tg_rego_bi_put_rune(&t, verb) == TG_OK)
		pp_add(p, t.data, t.len);
	tg_buf_release(&t);
	pp_addc(p, '(');
	pp_adds(p, go_type_name(a->k));
	pp_addc(p, '=');
	print_arg(p, a, 'v');
	pp_addc(p, ')');
}

/* big.Int's Format method */
static void fmt_big(struct go_pp *p, const struct go_arg *a, uint32_t verb)
{
	unsigned base;
	const char *sign = "", *prefix = "";
	struct tg_buf digits = TG_BUF_INIT(TG_LIMIT_JSON_DOC);
	long left = 0, zeros = 0, right = 0, length;
	bool plus = p->f.plus || p->f.plusV, sharp = p->f.sharp || p->f.sharpV;
	switch (verb) {
	case 'b':
		base = 2;
		break;
	case 'o':
	case 'O':
		base = 8;
		break;
	case 'd':
	case 's':
	case 'v':
		base = 10;
		break;
	case 'x':
	case 'X':
		base = 16;
		break;
	default: {
		struct tg_buf t = TG_BUF_INIT(8);
		pp_adds(p, "%!");
		if (tg_rego_bi_put_rune(&t, verb) == TG_OK)
			pp_add(p, t.data, t.len);
		tg_buf_release(&t);
		pp_adds(p, "(big.Int=");
		if (a->neg)
			pp_addc(p, '-');
		pp_add(p, a->s, a->n);
		pp_addc(p, ')');
		return;
	}
	}
	if (a->neg)
		sign = "-";
	else if (plus)
		sign = "+";
	else if (p->f.space)
		sign = " ";
	if (sharp) {
		if (verb == 'b')
			prefix = "0b";
		else if (verb == 'o')
			prefix = "0";
		else if (verb == 'x')
			prefix = "0x";
		else if (verb == 'X')
			prefix = "0X";
	}
	if (verb == 'O')
		prefix = "0o";
	if (base == 10) {
		if (tg_buf_add(&digits, a->s, a->n) != TG_OK)
			p->err = TG_E_TOOBIG;
	} else if (tg_rego_go_big_base(&digits, a->s, a->n, base, verb == 'X') != TG_OK) {
		p->err = TG_E_TOOBIG;
	}
	if (p->f.precp) {
		if ((long)digits.len < p->f.prec)
			zeros = p->f.prec - (long)digits.len;
		else if (digits.len == 1 && digits.data[0] == '0' && p->f.prec == 0) {
			tg_buf_release(&digits);
			return;
		}
	}
	length = (long)(strlen(sign) + strlen(prefix)) + zeros + (long)digits.len;
	if (p->f.widp && length < p->f.wid) {
		long d = p->f.wid - length;
		if (p->f.minus)
			right = d;
		else if (p->f.zero && !p->f.precp)
			zeros = d;
		else
			left = d;
	}
	for (long i = 0; i < left; i++)
		pp_addc(p, ' ');
	pp_adds(p, sign);
	pp_adds(p, prefix);
	for (long i = 0; i < zeros; i++)
		pp_addc(p, '0');
	pp_add(p, digits.data, digits.len);
	for (long i = 0; i < right; i++)
		pp_addc(p, ' ');
	tg_buf_release(&digits);
}

static void print_arg(struct go_pp *p, const struct go_arg *a, uint32_t verb)
{
	if (p->err != TG_OK)
		return;
	if (verb == 'T') {
		const char *t = go_type_name(a->k);
		fmt_s(p, t, strlen(t));
		return;
	}
	switch (a->k) {
	case GO_INT: {
		uint64_t u = (uint64_t)a->i;
		switch (verb) {
		case 'v':
		case 'd':
			fmt_integer(p, u, 10, true, (char)verb, false);
			return;
		case 'b':
			fmt_integer(p, u, 2, true, (char)verb, false);
			return;
		case 'o':
		case 'O':
			fmt_integer(p, u, 8, true, (char)verb, false);
			return;
		case 'x':
			fmt_integer(p, u, 16, true, (char)verb, false);
			return;
		case 'X':
			fmt_integer(p, u, 16, true, (char)verb, true);
			return;
		case 'c':
			fmt_c(p, u);
			return;
		case 'q':
			fmt_qc(p, u);
			return;
		case 'U':
			fmt_unicode(p, u);
			return;
		default:
			bad_verb(p, a, verb);
			return;
		}
	}
	case GO_FLOAT:
		switch (verb) {
		case 'v':
			fmt_float(p, a->f, 'g', -1);
			return;
		case 'b':
		case 'g':
		case 'G':
		case 'x':
		case 'X':
			fmt_float(p, a->f, p->f.sharpV ? 'g' : (char)verb, -1);
			return;
		case 'f':
		case 'e':
		case 'E':
		case 'F':
			if (p->f.sharpV)
				fmt_float(p, a->f, 'g', -1);
			else
				fmt_float(p, a->f, (char)verb, 6);
			return;
		default:
			bad_verb(p, a, verb);
			return;
		}
	case GO_BIG:
		fmt_big(p, a, verb);
		return;
	case GO_STR:
		switch (verb) {
		case 'v':
			if (p->f.sharpV)
				fmt_q(p, a->s, a->n);
			else
				fmt_s(p, a->s, a->n);
			return;
		case 's':
			fmt_s(p, a->s, a->n);
			return;
		case 'x':
			fmt_sx(p, a->s, a->n, false);
			return;
		case 'X':
			fmt_sx(p, a->s, a->n, true);
			return;
		case 'q':
			fmt_q(p, a->s, a->n);
			return;
		default:
			bad_verb(p, a, verb);
			return;
		}
	}
}

/* fmt.parsenum */
static bool parsenum(const char *s, size_t start, size_t end, int *num, size_t *newi)
{
	bool isnum = false;
	long v = 0;
	size_t i;
	*num = 0;
	if (start >= end) {
		*newi = end;
		return false;
	}
	for (i = start; i < end && s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > 1000000) {
			*newi = end;
			return false;
		}
		v = v * 10 + (s[i] - '0');
		isnum = true;
	}
	*num = (int)v;
	*newi = i;
	return isnum;
}

/* fmt.argNumber: an explicit "[n]" index. */
static size_t arg_number(struct go_pp *p, size_t *argnum, const char *s, size_t i, size_t end,
			 size_t nargs, bool *found)
{
	*found = false;
	if (i >= end || s[i] != '[')
		return i;
	p->reordered = true;
	if (end - i < 3) {
		p->good_arg = false;
		return i + 1;
	}
	for (size_t j = i + 1; j < end; j++) {
		if (s[j] == ']') {
			int idx;
			size_t ni;
			bool ok = parsenum(s, i + 1, j, &idx, &ni);
			if (!ok || ni != j) {
				p->good_arg = false;
				return j + 1;
			}
			idx--;
			if (idx >= 0 && (size_t)idx < nargs) {
				*argnum = (size_t)idx;
				*found = true;
				return j + 1;
			}
			p->good_arg = false;
			*found = true;
			return j + 1;
		}
	}
	p->good_arg = false;
	return i + 1;
}

/* fmt.intFromArg */
static bool int_from_arg(const struct go_arg *args, size_t nargs, size_t *argnum, int *num)
{
	bool isint = false;
	*num = 0;
	if (*argnum < nargs) {
		const struct go_arg *a = &args[*argnum];
		if (a->k == GO_INT) {
			if (a->i > 1000000 || a->i < -1000000) {
				*num = 0;
				isint = false;
			} else {
				*num = (int)a->i;
				isint = true;
			}
		}
		(*argnum)++;
	}
	return isint;
}

static void do_printf(struct go_pp *p, const char *s, size_t end, const struct go_arg *args,
		      size_t nargs)
{
	size_t argnum = 0, i = 0;
	bool after_index = false;
	while (i < end && p->err == TG_OK) {
		size_t lasti = i;
		uint32_t verb;
		size_t vsz;
		p->good_arg = true;
		while (i < end && s[i] != '%')
			i++;
		if (i > lasti)
			pp_add(p, s + lasti, i - lasti);
		if (i >= end)
			break;
		i++;
		memset(&p->f, 0, sizeof(p->f));
		for (; i < end; i++) {
			char ch = s[i];
			if (ch == '#')
				p->f.sharp = true;
			else if (ch == '0')
				p->f.zero = !p->f.minus;
			else if (ch == '+')
				p->f.plus = true;
			else if (ch == '-') {
				p->f.minus = true;
				p->f.zero = false;
			} else if (ch == ' ')
				p->f.space = true;
			else
				break;
		}
		/* the fast path of simple verbs is equivalent to the general
		 * one below for our argument types */
		i = arg_number(p, &argnum, s, i, end, nargs, &after_index);
		if (i < end && s[i] == '*') {
			i++;
			p->f.widp = int_from_arg(args, nargs, &argnum, &p->f.wid);
			if (!p->f.widp)
				pp_adds(p, "%!(BADWIDTH)");
			if (p->f.wid < 0) {
				p->f.wid = -p->f.wid;
				p->f.minus = true;
				p->f.zero = false;
			}
			after_index = false;
		} else {
			p->f.widp = parsenum(s, i, end, &p->f.wid, &i);
			if (after_index && p->f.widp)
				p->good_arg = false;
		}
		if (i + 1 < end && s[i] == '.') {
			i++;
			if (after_index)
				p->good_arg = false;
			i = arg_number(p, &argnum, s, i, end, nargs, &after_index);
			if (i < end && s[i] == '*') {
				i++;
				p->f.precp = int_from_arg(args, nargs, &argnum, &p->f.prec);
				if (p->f.prec < 0) {
					p->f.prec = 0;
					p->f.precp = false;
				}
				if (!p->f.precp)
					pp_adds(p, "%!(BADPREC)");
				after_index = false;
			} else {
				p->f.precp = parsenum(s, i, end, &p->f.prec, &i);
				if (!p->f.precp) {
					p->f.prec = 0;
					p->f.precp = true;
				}
			}
		}
		if (!after_index)
			i = arg_number(p, &argnum, s, i, end, nargs, &after_index);
		if (i >= end) {
			pp_adds(p, "%!(NOVERB)");
			break;
		}
		vsz = tg_rego_bi_rune(s + i, end - i, &verb);
		i += vsz;
		if (verb == '%') {
			pp_addc(p, '%');
			continue;
		}
		if (!p->good_arg || argnum >= nargs) {
			struct tg_buf t = TG_BUF_INIT(8);
			pp_adds(p, "%!");
			if (tg_rego_bi_put_rune(&t, verb) == TG_OK)
				pp_add(p, t.data, t.len);
			tg_buf_release(&t);
			pp_adds(p, !p->good_arg ? "(BADINDEX)" : "(MISSING)");
			continue;
		}
		if (verb == 'v') {
			p->f.sharpV = p->f.sharp;
			p->f.sharp = false;
			p->f.plusV = p->f.plus;
			p->f.plus = false;
		}
		print_arg(p, &args[argnum], verb);
		argnum++;
	}
	if (p->err == TG_OK && !p->reordered && argnum < nargs) {
		memset(&p->f, 0, sizeof(p->f));
		pp_adds(p, "%!(EXTRA ");
		for (size_t k = argnum; k < nargs; k++) {
			if (k > argnum)
				pp_adds(p, ", ");
			pp_adds(p, go_type_name(args[k].k));
			pp_addc(p, '=');
			print_arg(p, &args[k], 'v');
		}
		pp_addc(p, ')');
	}
}

tg_err tg_rego_go_sprintf(struct tg_buf *b, const char *fmt, size_t n, const struct tg_json *args)
{
	size_t nargs = args->u.a.len, start = b->len;
	struct go_arg *ga = NULL;
	struct tg_buf strs = TG_BUF_INIT(TG_LIMIT_JSON_DOC);
	size_t *offs = NULL;
	struct go_pp p;
	tg_err r = TG_OK;
	if (nargs) {
		ga = tg_xcalloc(nargs, sizeof(*ga));
		offs = tg_xcalloc(nargs, sizeof(*offs));
	}
	/* OPA's conversion of each element */
	for (size_t i = 0; i < nargs && r == TG_OK; i++) {
		const struct tg_json *v = args->u.a.items[i];
		struct go_arg *a = &ga[i];
		offs[i] = SIZE_MAX;
		if (v->type == TG_JSON_NUMBER) {
			int64_t iv;
			if (lit_int64(v, &iv)) {
				a->k = GO_INT;
				a->i = iv;
			} else if (v->flags & TG_JSON_F_INTLIT) {
				a->k = GO_BIG;
				a->neg = v->u.s.p[0] == '-';
				a->s = v->u.s.p + (a->neg ? 1 : 0);
				a->n = v->u.s.len - (a->neg ? 1 : 0);
			} else if (tg_json_num_double(v, &a->f) == TG_OK) {
				a->k = GO_FLOAT;
			} else {
				a->k = GO_STR;
				a->s = v->u.s.p;
				a->n = v->u.s.len;
			}
		} else if (v->type == TG_JSON_STRING) {
			a->k = GO_STR;
			a->s = v->u.s.p;
			a->n = v->u.s.len;
		} else {
			a->k = GO_STR;
			offs[i] = strs.len;
			r = tg_rego_go_term(&strs, v);
			a->n = strs.len - offs[i];
		}
	}
	for (size_t i = 0; i < nargs && r == TG_OK; i++)
		if (offs[i] != SIZE_MAX)
			ga[i].s = (const char *)strs.data + offs[i];
	if (r == TG_OK) {
		memset(&p, 0, sizeof(p));
		p.b = b;
		p.err = TG_OK;
		do_printf(&p, fmt, n, ga, nargs);
		r = p.err;
	}
	if (r != TG_OK)
		tg_buf_truncate(b, start);
	free(ga);
	free(offs);
	tg_buf_release(&strs);
	return r;
}

/* ------------------------------------------------------------------ */
/* base64                                                              */
/* ------------------------------------------------------------------ */

static int b64_val(unsigned char ch, bool url)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == (url ? '-' : '+'))
		return 62;
	if (ch == (url ? '_' : '/'))
		return 63;
	return -1;
}

/*
 * Go's encoding/base64 Decode (non-strict): CR and LF are ignored
 * anywhere; quanta of 4 symbols; with padding, a short final quantum must
 * be completed by '=' and nothing may follow; without padding it may be 2
 * or 3 symbols. The reported offset is Go's (a position in the input).
 */
tg_err tg_rego_go_b64_decode(const char *s, size_t n, bool url, bool pad, struct tg_buf *out,
			     size_t *bad)
{
	size_t si = 0, start = out->len;
	for (;;) {
		unsigned char dbuf[4];
		size_t dlen = 4, j;
		/* skip over newlines */
		while (si < n && (s[si] == '\n' || s[si] == '\r'))
			si++;
		if (si >= n)
			return TG_OK;
		for (j = 0; j < 4; j++) {
			unsigned char in;
			int v;
			if (si == n) {
				if (j == 0)
					return TG_OK;
				if (j == 1 || pad) {
					*bad = si - j;
					goto fail;
				}
				dlen = j;
				break;
			}
			in = (unsigned char)s[si];
			si++;
			v = b64_val(in, url);
			if (v >= 0) {
				dbuf[j] = (unsigned char)v;
				continue;
			}
			if (in == '\n' || in == '\r') {
				j--;
				continue;
			}
			if (!pad || in != '=') {
				*bad = si - 1;
				goto fail;
			}
			/* padding: we have seen j symbols */
			switch (j) {
			case 0:
			case 1:
				*bad = si - 1;
				goto fail;
			case 2:
				/* skip newlines, then expect a second '=' */
				while (si < n && (s[si] == '\n' || s[si] == '\r'))
					si++;
				if (si == n) {
					*bad = n;
					goto fail;
				}
				if (s[si] != '=') {
					*bad = si - 1;
					goto fail;
				}
				si++;
				break;
			default:
				break;
			}
			while (si < n && (s[si] == '\n' || s[si] == '\r'))
				si++;
			if (si < n) {
				*bad = si;
				goto fail;
			}
			dlen = j;
			break;
		}
		{
			uint32_t val = 0;
			uint8_t o[3];
			for (size_t k = 0; k < 4; k++)
				val = (val << 6) | (k < dlen ? dbuf[k] : 0);
			o[0] = (uint8_t)(val >> 16);
			o[1] = (uint8_t)(val >> 8);
			o[2] = (uint8_t)val;
			if (tg_buf_add(out, o, dlen - 1) != TG_OK) {
				tg_buf_truncate(out, start);
				return TG_E_TOOBIG;
			}
		}
		if (dlen < 4)
			return TG_OK;
	}
fail:
	tg_buf_truncate(out, start);
	return TG_E_ENCODING;
}

tg_err tg_rego_go_b64_encode(const void *p, size_t n, bool url, bool pad, struct tg_buf *out)
{
	static const char std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char urla[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *al = url ? urla : std;
	const uint8_t *u = p;
	size_t start = out->len;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)u[i] << 16;
		size_t left = n - i;
		char q[4];
		size_t k;
		if (left > 1)
			v |= (uint32_t)u[i + 1] << 8;
		if (left > 2)
			v |= u[i + 2];
		q[0] = al[(v >> 18) & 63];
		q[1] = al[(v >> 12) & 63];
		q[2] = left > 1 ? al[(v >> 6) & 63] : '=';
		q[3] = left > 2 ? al[v & 63] : '=';
		k = 4;
		if (!pad)
			k = left > 2 ? 4 : left + 1;
		if (tg_buf_add(out, q, k) != TG_OK) {
			tg_buf_truncate(out, start);
			return TG_E_TOOBIG;
		}
	}
	return TG_OK;
}

tg_err tg_rego_go_b64url_lenient(const char *s, size_t n, struct tg_buf *out, char *msg,
				 size_t msglen)
{
	struct tg_buf tmp = TG_BUF_INIT(TG_LIMIT_JSON_DOC);
	size_t bad = 0;
	tg_err r;
	const char *in = s;
	size_t inlen = n;
	if (n == 0 || s[n - 1] != '=') {
		switch (n % 4) {
		case 0:
			break;
		case 2:
		case 3:
			if (tg_buf_add(&tmp, s, n) != TG_OK ||
			    tg_buf_add(&tmp, "==", n % 4 == 2 ? 2 : 1) != TG_OK) {
				tg_buf_release(&tmp);
				return TG_E_TOOBIG;
			}
			in = (const char *)tmp.data;
			inlen = tmp.len;
			break;
		default:
			snprintf(msg, msglen, "illegal base64url string: %.*s", (int)(n > 160 ? 160 : n),
				 s);
			tg_buf_release(&tmp);
			return TG_E_ENCODING;
		}
	}
	r = tg_rego_go_b64_decode(in, inlen, true, true, out, &bad);
	if (r == TG_E_ENCODING)
		snprintf(msg, msglen, "illegal base64 data at input byte %zu", bad);
	tg_buf_release(&tmp);
	return r;
}

/* ------------------------------------------------------------------ */
/* Go's pem.Decode                                                     */
/* ------------------------------------------------------------------ */

/* getLine: the line up to '\n' without trailing " \t\r"; *next after it */
static void pem_line(const char *s, size_t n, size_t *len, size_t *next)
{
	const char *nl = memchr(s, '\n', n);
	size_t l = nl ? (size_t)(nl - s) : n;
	*next = nl ? l + 1 : n;
	while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r'))
		l--;
	*len = l;
}

static const char *find_bytes(const char *h, size_t hn, const char *nd)
{
	return memmem(h, hn, nd, strlen(nd));
}

bool tg_rego_go_pem_decode(const char *data, size_t n, char *type, size_t typelen,
			   struct tg_buf *der, size_t *rest_off)
{
	static const char begin[] = "\n-----BEGIN ", end[] = "\n-----END ";
	size_t r = 0; /* offset of rest */
	for (;;) {
		size_t tl, next, tstart, hdrs = 0, end_i, trail_i, after;
		const char *hit;
		if (n - r >= sizeof(begin) - 2 && memcmp(data + r, begin + 1, sizeof(begin) - 2) == 0) {
			r += sizeof(begin) - 2;
		} else if ((hit = find_bytes(data + r, n - r, begin)) != NULL) {
			r = (size_t)(hit - data) + sizeof(begin) - 1;
		} else {
			return false;
		}
		tstart = r;
		pem_line(data + r, n - r, &tl, &next);
		r += next;
		if (tl < 5 || memcmp(data + tstart + tl - 5, "-----", 5) != 0)
			continue;
		tl -= 5;
		/* headers: "key: value" lines */
		for (;;) {
			size_t ll, nx;
			if (r >= n)
				return false;
			pem_line(data + r, n - r, &ll, &nx);
			if (!memchr(data + r, ':', ll))
				break;
			hdrs++;
			r += nx;
		}
		if (hdrs == 0 && n - r >= sizeof(end) - 2 &&
		    memcmp(data + r, end + 1, sizeof(end) - 2) == 0) {
			end_i = r;
			trail_i = r + sizeof(end) - 2;
		} else {
			hit = find_bytes(data + r, n - r, end);
			if (!hit)
				continue;
			end_i = (size_t)(hit - data);
			trail_i = end_i + sizeof(end) - 1;
		}
		if (n - trail_i < tl + 5)
			continue;
		if (memcmp(data + trail_i, data + tstart, tl) != 0 ||
		    memcmp(data + trail_i + tl, "-----", 5) != 0)
			continue;
		{
			size_t ll, nx;
			pem_line(data + trail_i + tl + 5, n - trail_i - tl - 5, &ll, &nx);
			if (ll != 0)
				continue;
		}
		{
			/* base64 without spaces and tabs; Go's decoder skips CR/LF */
			struct tg_buf b64 = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
			size_t start = der->len, bad;
			bool ok = true;
			for (size_t i = r; i < end_i && ok; i++)
				if (data[i] != ' ' && data[i] != '\t' &&
				    tg_buf_addc(&b64, (uint8_t)data[i]) != TG_OK)
					ok = false;
			if (ok && tg_rego_go_b64_decode((const char *)b64.data, b64.len, false, true, der,
							&bad) != TG_OK)
				ok = false;
			tg_buf_release(&b64);
			if (!ok) {
				tg_buf_truncate(der, start);
				continue;
			}
		}
		{
			size_t cp = tl < typelen ? tl : typelen - 1;
			memcpy(type, data + tstart, cp);
			type[cp] = '\0';
		}
		/* rest: after the line holding the END marker */
		after = end_i + sizeof(end) - 2;
		{
			size_t ll, nx;
			pem_line(data + after, n - after, &ll, &nx);
			*rest_off = after + nx;
		}
		return true;
	}
}

/* ------------------------------------------------------------------ */
/* Go's json.Marshal                                                   */
/* ------------------------------------------------------------------ */

static tg_err go_json_str(struct tg_buf *b, const char *s, size_t n)
{
	tg_err r = tg_buf_addc(b, '"');
	for (size_t i = 0; r == TG_OK && i < n;) {
		unsigned char ch = (unsigned char)s[i];
		char t[8];
		if (ch < 0x80) {
			switch (ch) {
			case '"':
				r = tg_buf_adds(b, "\\\"");
				break;
			case '\\':
				r = tg_buf_adds(b, "\\\\");
				break;
			case '\b':
				r = tg_buf_adds(b, "\\b");
				break;
			case '\f':
				r = tg_buf_adds(b, "\\f");
				break;
			case '\n':
				r = tg_buf_adds(b, "\\n");
				break;
			case '\r':
				r = tg_buf_adds(b, "\\r");
				break;
			case '\t':
				r = tg_buf_adds(b, "\\t");
				break;
			default:
				if (ch < 0x20 || ch == '<' || ch == '>' || ch == '&') {
					snprintf(t, sizeof(t), "\\u00%c%c", lowerhex[ch >> 4],
						 lowerhex[ch & 0xF]);
					r = tg_buf_add(b, t, 6);
				} else {
					r = tg_buf_addc(b, ch);
				}
			}
			i++;
			continue;
		}
		{
			uint32_t rune;
			size_t w = tg_rego_bi_rune(s + i, n - i, &rune);
			if (rune == 0x2028 || rune == 0x2029) {
				snprintf(t, sizeof(t), "\\u%04x", (unsigned)rune);
				r = tg_buf_add(b, t, 6);
			} else if (w == 1 && rune == 0xFFFD) {
				r = tg_buf_adds(b, "\\ufffd");
			} else {
				r = tg_buf_add(b, s + i, w);
			}
			i += w;
		}
	}
	if (r == TG_OK)
		r = tg_buf_addc(b, '"');
	return r;
}

static tg_err go_json_rec(struct tg_buf *b, const struct tg_json *v, unsigned depth)
{
	tg_err r = TG_OK;
	if (depth > TG_LIMIT_JSON_DEPTH + 8)
		return TG_E_DEPTH;
	switch (v->type) {
	case TG_JSON_NULL:
		return tg_buf_adds(b, "null");
	case TG_JSON_BOOL:
		return tg_buf_adds(b, v->u.b ? "true" : "false");
	case TG_JSON_NUMBER:
		return tg_buf_add(b, v->u.s.p, v->u.s.len);
	case TG_JSON_STRING:
		return go_json_str(b, v->u.s.p, v->u.s.len);
	case TG_JSON_ARRAY:
	case TG_JSON_SET:
		r = tg_buf_addc(b, '[');
		for (size_t i = 0; r == TG_OK && i < v->u.a.len; i++) {
			if (i)
				r = tg_buf_addc(b, ',');
			if (r == TG_OK)
				r = go_json_rec(b, v->u.a.items[i], depth + 1);
		}
		if (r == TG_OK)
			r = tg_buf_addc(b, ']');
		return r;
	case TG_JSON_OBJECT:
		r = tg_buf_addc(b, '{');
		for (size_t i = 0; r == TG_OK && i < v->u.o.len; i++) {
			const struct tg_json *k = v->u.o.items[i].key;
			if (k->type != TG_JSON_STRING)
				return TG_E_TYPE;
			if (i)
				r = tg_buf_addc(b, ',');
			if (r == TG_OK)
				r = go_json_str(b, k->u.s.p, k->u.s.len);
			if (r == TG_OK)
				r = tg_buf_addc(b, ':');
			if (r == TG_OK)
				r = go_json_rec(b, v->u.o.items[i].val, depth + 1);
		}
		if (r == TG_OK)
			r = tg_buf_addc(b, '}');
		return r;
	default:
		return TG_E_INTERNAL;
	}
}

tg_err tg_rego_go_json(struct tg_buf *b, const struct tg_json *v)
{
	size_t start = b->len;
	tg_err r = go_json_rec(b, v, 0);
	if (r != TG_OK)
		tg_buf_truncate(b, start);
	return r;
}

/* ------------------------------------------------------------------ */
/* Decimals                                                            */
/* ------------------------------------------------------------------ */

tg_err tg_rego_dec_parse(struct tg_arena *a, const char *s, size_t n, struct tg_rego_dec *out)
{
	size_t i = 0, nd = 0;
	int64_t exp = 0, frac = 0;
	bool neg = false, any = false, point = false;
	char *d;
	if (i < n && (s[i] == '+' || s[i] == '-')) {
		neg = s[i] == '-';
		i++;
	}
	d = tg_arena_alloc_bytes(a, n + 1);
	if (!d)
		return TG_E_TOOBIG;
	for (; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			any = true;
			if (nd == 0 && s[i] == '0') {
				if (point)
					frac++;
				continue;
			}
			d[nd++] = s[i];
			if (point)
				frac++;
		} else if (s[i] == '.' && !point) {
			point = true;
		} else {
			break;
		}
	}
	if (!any)
		return TG_E_PARSE;
	if (i < n) {
		int64_t e = 0;
		bool eneg = false, edig = false;
		if (s[i] != 'e' && s[i] != 'E')
			return TG_E_PARSE;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-')) {
			eneg = s[i] == '-';
			i++;
		}
		for (; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return TG_E_PARSE;
			edig = true;
			if (e > 100000000)
				return TG_E_TOOBIG;
			e = e * 10 + (s[i] - '0');
		}
		if (!edig)
			return TG_E_PARSE;
		exp = eneg ? -e : e;
	}
	if (nd > TG_LIMIT_JSON_NUMBER)
		return TG_E_TOOBIG;
	exp -= frac;
	while (nd > 0 && d[nd - 1] == '0') {
		nd--;
		exp++;
	}
	if (nd == 0) {
		d[0] = '0';
		nd = 1;
		exp = 0;
		neg = false;
	}
	out->neg = neg;
	out->d = d;
	out->n = nd;
	out->exp = exp;
	return TG_OK;
}

tg_err tg_rego_dec_mul(struct tg_arena *a, const struct tg_rego_dec *x, const struct tg_rego_dec *y,
		       struct tg_rego_dec *out)
{
	size_t n = x->n + y->n, k;
	uint32_t *acc;
	char *d;
	if (n > 2 * TG_LIMIT_JSON_NUMBER + 2)
		return TG_E_TOOBIG;
	acc = tg_xcalloc(n, sizeof(*acc));
	for (size_t i = 0; i < x->n; i++)
		for (size_t j = 0; j < y->n; j++)
			acc[i + j + 1] += (uint32_t)(x->d[i] - '0') * (uint32_t)(y->d[j] - '0');
	for (size_t i = n - 1; i > 0; i--) {
		acc[i - 1] += acc[i] / 10;
		acc[i] %= 10;
	}
	d = tg_arena_alloc_bytes(a, n + 1);
	if (!d) {
		free(acc);
		return TG_E_TOOBIG;
	}
	k = 0;
	while (k + 1 < n && acc[k] == 0)
		k++;
	out->n = 0;
	for (; k < n; k++)
		d[out->n++] = (char)('0' + acc[k]);
	free(acc);
	out->d = d;
	out->exp = x->exp + y->exp;
	out->neg = x->neg != y->neg;
	while (out->n > 1 && out->d[out->n - 1] == '0') {
		out->n--;
		out->exp++;
	}
	if (out->n == 1 && out->d[0] == '0') {
		out->exp = 0;
		out->neg = false;
	}
	return TG_OK;
}

bool tg_rego_dec_is_int(const struct tg_rego_dec *x)
{
	return x->exp >= 0;
}

tg_err tg_rego_dec_trunc(const struct tg_rego_dec *x, struct tg_buf *b)
{
	size_t start = b->len;
	tg_err r = TG_OK;
	if (x->exp >= 0) {
		if ((uint64_t)x->exp + x->n > 2 * TG_LIMIT_JSON_NUMBER)
			return TG_E_TOOBIG;
		if (x->neg)
			r = tg_buf_addc(b, '-');
		if (r == TG_OK)
			r = tg_buf_add(b, x->d, x->n);
		for (int64_t i = 0; r == TG_OK && i < x->exp; i++)
			r = tg_buf_addc(b, '0');
	} else if ((uint64_t)(-x->exp) >= x->n) {
		r = tg_buf_addc(b, '0');
	} else {
		if (x->neg)
			r = tg_buf_addc(b, '-');
		if (r == TG_OK)
			r = tg_buf_add(b, x->d, x->n - (size_t)(-x->exp));
	}
	if (r != TG_OK)
		tg_buf_truncate(b, start);
	return r;
}

tg_err tg_rego_dec_fixed(const struct tg_rego_dec *x, int prec, struct tg_buf *b)
{
	/* scaled = round(|x| * 10^prec), as decimal digits */
	int64_t shift = x->exp + prec;
	size_t start = b->len, len;
	char *digits;
	tg_err r = TG_OK;
	if (shift >= 0) {
		if ((uint64_t)shift + x->n > 2 * TG_LIMIT_JSON_NUMBER)
			return TG_E_TOOBIG;
		len = x->n + (size_t)shift;
		digits = tg_xmalloc(len + 1);
		memcpy(digits, x->d, x->n);
		memset(digits + x->n, '0', (size_t)shift);
	} else {
		size_t drop = (size_t)(-shift);
		bool up;
		if (drop > x->n) {
			len = 1;
			digits = tg_xmalloc(2);
			digits[0] = '0';
		} else {
			len = x->n - drop;
			up = x->d[len] >= '5';
			digits = tg_xmalloc(len + 2);
			memcpy(digits + 1, x->d, len);
			digits[0] = '0';
			len++;
			if (up) {
				size_t i = len;
				while (i > 0) {
					i--;
					if (digits[i] == '9') {
						digits[i] = '0';
					} else {
						digits[i]++;
						break;
					}
				}
			}
		}
	}
	/* strip leading zeros of the scaled integer, keep at least prec+1 */
	{
		size_t lead = 0;
		while (lead + 1 < len && digits[lead] == '0')
			lead++;
		if (x->neg)
			r = tg_buf_addc(b, '-');
		{
			size_t nd = len - lead;
			const char *p = digits + lead;
			if (nd <= (size_t)prec) {
				if (r == TG_OK)
					r = tg_buf_addc(b, '0');
				if (prec > 0 && r == TG_OK) {
					r = tg_buf_addc(b, '.');
					for (size_t i = nd; r == TG_OK && i < (size_t)prec; i++)
						r = tg_buf_addc(b, '0');
					if (r == TG_OK)
						r = tg_buf_add(b, p, nd);
				}
			} else {
				if (r == TG_OK)
					r = tg_buf_add(b, p, nd - (size_t)prec);
				if (prec > 0 && r == TG_OK) {
					r = tg_buf_addc(b, '.');
					if (r == TG_OK)
						r = tg_buf_add(b, p + nd - (size_t)prec, (size_t)prec);
				}
			}
		}
	}
	free(digits);
	if (r != TG_OK)
		tg_buf_truncate(b, start);
	return r;
}
