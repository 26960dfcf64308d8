/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_num.c - Rego arithmetic: exact integers on OpenSSL BIGNUM and a
 * small model of Go's math/big.Float (binary mantissa, round to nearest
 * even, shortest decimal output) so results print as OPA prints them.
 */
#include "rego/rego_num.h"

#include <string.h>

#include "core/buf.h"
#include "core/limits.h"

#define GO_PREC 64u      /* big.Float.SetString and every result: 64 bits */
#define POW5_PREC 128u   /* Go's scan computes 5^n with 64 extra bits */
#define NDIG 40          /* decimal digits computed for the shortest form */

/* ---- literals ---- */

/* A literal taken apart as Go's Float.scan sees it: value = (-1)^neg x
 * D x 10^e10, D the digits as written (integer and fraction). */
struct lit {
	bool neg;
	char dig[TG_LIMIT_JSON_NUMBER + 1]; /* NUL-terminated, leading zeros dropped */
	size_t n;                           /* 0: the value is zero */
	int64_t e10;
};

static bool lit_split(const struct tg_json *v, struct lit *l)
{
	const char *s = v->u.s.p;
	size_t len = v->u.s.len, i = 0;
	int64_t nfrac = 0, ex = 0;
	bool eneg = false;

	l->neg = false;
	l->n = 0;
	if (i < len && s[i] == '-') {
		l->neg = true;
		i++;
	}
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		if (l->n > 0 || s[i] != '0')
			l->dig[l->n++] = s[i];
	if (i < len && s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			nfrac++;
			if (l->n > 0 || s[i] != '0')
				l->dig[l->n++] = s[i];
		}
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			ex = ex * 10 + (s[i] - '0');
			if (ex > 4000000000LL)
				return false;
		}
	}
	l->dig[l->n] = '\0';
	l->e10 = (eneg ? -ex : ex) - nfrac;
	return i == len;
}

/* Trailing zeros of the digit string. */
static size_t lit_tz(const struct lit *l)
{
	size_t z = 0;
	while (z < l->n && l->dig[l->n - 1 - z] == '0')
		z++;
	return z;
}

bool tg_rego_num_is_integral(const struct tg_json *v)
{
	struct lit l;
	if (!v || v->type != TG_JSON_NUMBER)
		return false;
	if (v->flags & TG_JSON_F_INTLIT)
		return true;
	if (!lit_split(v, &l))
		return false;
	return l.n == 0 || l.e10 >= 0 || (int64_t)lit_tz(&l) >= -l.e10;
}

bool tg_rego_num_int64_lit(const struct tg_json *v, int64_t *out)
{
	const char *s;
	size_t n, i = 0;
	uint64_t acc = 0, lim;
	bool neg = false;

	if (!v || v->type != TG_JSON_NUMBER || !(v->flags & TG_JSON_F_INTLIT))
		return false;
	s = v->u.s.p;
	n = v->u.s.len;
	if (i < n && s[i] == '-') {
		neg = true;
		i++;
	}
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		unsigned dg = (unsigned)(s[i] - '0');
		if (acc > (lim - dg) / 10)
			return false;
		acc = acc * 10 + dg;
	}
	*out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return true;
}

static tg_err bn_pow10(BIGNUM *r, int64_t k, BN_CTX *ctx)
{
	BIGNUM *ten = BN_new(), *e = BN_new();
	tg_err rc = TG_E_INTERNAL;
	if (!ten || !e || !BN_set_word(ten, 10) || !BN_set_word(e, (BN_ULONG)k))
		goto out;
	if (!BN_exp(r, ten, e, ctx))
		goto out;
	rc = TG_OK;
out:
	BN_free(ten);
	BN_free(e);
	return rc;
}

tg_err tg_rego_num_to_bn(const struct tg_json *v, BIGNUM **out)
{
	struct lit l;
	BIGNUM *r = NULL, *p = NULL;
	BN_CTX *ctx = NULL;
	tg_err rc = TG_E_INTERNAL;
	size_t tz;

	if (!v || v->type != TG_JSON_NUMBER || !lit_split(v, &l))
		return TG_E_TYPE;
	r = BN_new();
	if (!r)
		goto out;
	if (l.n == 0) {
		BN_zero(r);
		goto done;
	}
	tz = lit_tz(&l);
	if (l.e10 < 0) {
		if ((int64_t)tz < -l.e10) {
			rc = TG_E_TYPE;
			goto out;
		}
		l.n -= (size_t)-l.e10;
		l.dig[l.n] = '\0';
		l.e10 = 0;
	}
	if (l.e10 > TG_REGO_NUM_DIGITS || (int64_t)l.n + l.e10 > TG_REGO_NUM_DIGITS) {
		rc = TG_E_TOOBIG;
		goto out;
	}
	if (!BN_dec2bn(&r, l.dig))
		goto out;
	if (l.e10 > 0) {
		ctx = BN_CTX_new();
		p = BN_new();
		if (!ctx || !p || bn_pow10(p, l.e10, ctx) != TG_OK || !BN_mul(r, r, p, ctx))
			goto out;
	}
done:
	BN_set_negative(r, l.neg && !BN_is_zero(r));
	*out = r;
	r = NULL;
	rc = TG_OK;
out:
	BN_free(r);
	BN_free(p);
	BN_CTX_free(ctx);
	return rc;
}

tg_err tg_rego_num_from_bn(struct tg_arena *a, const BIGNUM *bn, const struct tg_json **out)
{
	char *s;
	tg_err rc;
	/* 3.33 bits per digit: a cheap bound before converting */
	if (BN_num_bits(bn) > TG_REGO_NUM_DIGITS * 10 / 3 + 4)
		return TG_E_TOOBIG;
	s = BN_bn2dec(bn);
	if (!s)
		return TG_E_INTERNAL;
	if (strlen(s) > TG_REGO_NUM_DIGITS + 1) {
		OPENSSL_free(s);
		return TG_E_TOOBIG;
	}
	rc = tg_json_new_number(a, s, strlen(s), out);
	OPENSSL_free(s);
	return rc;
}

/* ---- Go big.Float at a given precision ---- */

/* value = (-1)^neg x m x 2^e; m odd (or the value is zero). */
struct gf {
	bool neg;
	bool zero;
	BIGNUM *m;
	int64_t e;
};

static bool gf_init(struct gf *x)
{
	x->neg = false;
	x->zero = true;
	x->e = 0;
	x->m = BN_new();
	return x->m != NULL;
}

static void gf_release(struct gf *x)
{
	BN_free(x->m);
	x->m = NULL;
}

static void gf_setzero(struct gf *x, bool neg)
{
	x->zero = true;
	x->neg = neg;
	x->e = 0;
	BN_zero(x->m);
}

/* Drops trailing zero bits of m into e. */
static bool gf_norm(struct gf *x)
{
	int i = 0;
	if (BN_is_zero(x->m)) {
		x->zero = true;
		x->e = 0;
		return true;
	}
	x->zero = false;
	while (!BN_is_bit_set(x->m, i))
		i++;
	if (i && !BN_rshift(x->m, x->m, i))
		return false;
	x->e += i;
	return true;
}

/* Rounds |m| to prec bits, nearest even; sticky says that bits below m
 * (a division remainder) are nonzero. */
static bool gf_round(struct gf *x, unsigned prec, bool sticky)
{
	int nb;
	if (BN_is_zero(x->m)) {
		x->zero = true;
		x->e = 0;
		return true;
	}
	nb = BN_num_bits(x->m);
	if (nb > (int)prec) {
		int sh = nb - (int)prec;
		bool rbit = BN_is_bit_set(x->m, sh - 1);
		if (!sticky) {
			int i;
			for (i = 0; i < sh - 1; i++)
				if (BN_is_bit_set(x->m, i)) {
					sticky = true;
					break;
				}
		}
		if (!BN_rshift(x->m, x->m, sh))
			return false;
		x->e += sh;
		if (rbit && (sticky || BN_is_odd(x->m))) {
			if (!BN_add_word(x->m, 1))
				return false;
			if (BN_num_bits(x->m) > (int)prec) {
				if (!BN_rshift1(x->m, x->m))
					return false;
				x->e++;
			}
		}
	}
	return gf_norm(x);
}

static bool gf_copy(struct gf *z, const struct gf *x)
{
	z->neg = x->neg;
	z->zero = x->zero;
	z->e = x->e;
	return BN_copy(z->m, x->m) != NULL;
}

static bool gf_mul(struct gf *z, const struct gf *x, const struct gf *y, unsigned prec,
		   BN_CTX *ctx)
{
	bool neg = x->neg != y->neg;
	if (x->zero || y->zero) {
		gf_setzero(z, neg);
		return true;
	}
	if (!BN_mul(z->m, x->m, y->m, ctx))
		return false;
	z->e = x->e + y->e;
	z->neg = neg;
	return gf_round(z, prec, false);
}

/* z = x / y, y nonzero. */
static bool gf_quo(struct gf *z, const struct gf *x, const struct gf *y, unsigned prec,
		   BN_CTX *ctx)
{
	BIGNUM *num = NULL, *rem = NULL;
	bool ok = false, neg = x->neg != y->neg;
	int s;
	if (x->zero) {
		gf_setzero(z, neg);
		return true;
	}
	num = BN_new();
	rem = BN_new();
	if (!num || !rem)
		goto out;
	s = (int)prec + 2 + BN_num_bits(y->m) - BN_num_bits(x->m);
	if (s < 0)
		s = 0;
	if (!BN_lshift(num, x->m, s) || !BN_div(z->m, rem, num, y->m, ctx))
		goto out;
	z->e = x->e - s - y->e;
	z->neg = neg;
	ok = gf_round(z, prec, !BN_is_zero(rem));
out:
	BN_free(num);
	BN_free(rem);
	return ok;
}

/* z = x + y (y negated when sub). */
static bool gf_add(struct gf *z, const struct gf *x, const struct gf *y, bool sub, unsigned prec)
{
	BIGNUM *a = NULL, *b = NULL;
	bool yneg = y->neg != sub, ok = false;
	int64_t e;
	if (x->zero && y->zero) {
		gf_setzero(z, x->neg && yneg);
		return true;
	}
	if (y->zero) {
		return gf_copy(z, x) && gf_round(z, prec, false);
	}
	if (x->zero) {
		if (!gf_copy(z, y))
			return false;
		z->neg = yneg;
		return gf_round(z, prec, false);
	}
	a = BN_new();
	b = BN_new();
	if (!a || !b)
		goto out;
	e = x->e < y->e ? x->e : y->e;
	if (!BN_lshift(a, x->m, (int)(x->e - e)) || !BN_lshift(b, y->m, (int)(y->e - e)))
		goto out;
	BN_set_negative(a, x->neg);
	BN_set_negative(b, yneg);
	if (!BN_add(z->m, a, b))
		goto out;
	z->neg = BN_is_negative(z->m);
	BN_set_negative(z->m, 0);
	z->e = e;
	if (BN_is_zero(z->m)) {
		gf_setzero(z, false); /* exact cancellation is +0 */
		ok = true;
		goto out;
	}
	ok = gf_round(z, prec, false);
out:
	BN_free(a);
	BN_free(b);
	return ok;
}

/* 5^n as Go's Float.pow5 computes it for a 64-bit target (precision 128,
 * factors at 192). */
static bool gf_pow5(struct gf *z, uint64_t n, BN_CTX *ctx)
{
	struct gf f;
	bool ok = false;
	uint64_t p27 = 7450580596923828125ULL; /* 5^27 */
	if (n <= 27) {
		uint64_t v = 1;
		while (n--)
			v *= 5;
		z->neg = false;
		z->e = 0;
		return BN_set_word(z->m, (BN_ULONG)v) && gf_round(z, POW5_PREC, false);
	}
	if (!gf_init(&f))
		return false;
	z->neg = false;
	z->e = 0;
	if (!BN_set_word(z->m, (BN_ULONG)p27) || !gf_norm(z))
		goto out;
	n -= 27;
	f.neg = false;
	f.e = 0;
	if (!BN_set_word(f.m, 5) || !gf_norm(&f))
		goto out;
	while (n > 0) {
		if ((n & 1) && !gf_mul(z, z, &f, POW5_PREC, ctx))
			goto out;
		if (!gf_mul(&f, &f, &f, POW5_PREC + 64, ctx))
			goto out;
		n >>= 1;
	}
	ok = true;
out:
	gf_release(&f);
	return ok;
}

/* big.Float.SetString(literal) at precision 64. */
static tg_err gf_from_lit(struct gf *z, const struct tg_json *v, BN_CTX *ctx)
{
	struct lit l;
	struct gf p;
	tg_err rc = TG_E_INTERNAL;
	if (!lit_split(v, &l))
		return TG_E_RANGE;
	if (l.n == 0) {
		gf_setzero(z, l.neg);
		return TG_OK;
	}
	if (l.e10 > TG_REGO_NUM_EXP10 || l.e10 < -TG_REGO_NUM_EXP10)
		return TG_E_RANGE;
	if (!BN_dec2bn(&z->m, l.dig))
		return TG_E_INTERNAL;
	z->neg = l.neg;
	z->e = l.e10; /* 10^e = 2^e x 5^e */
	if (!gf_norm(z))
		return TG_E_INTERNAL;
	if (l.e10 == 0)
		return gf_round(z, GO_PREC, false) ? TG_OK : TG_E_INTERNAL;
	if (!gf_init(&p))
		return TG_E_INTERNAL;
	if (!gf_pow5(&p, (uint64_t)(l.e10 < 0 ? -l.e10 : l.e10), ctx))
		goto out;
	if (l.e10 > 0 ? !gf_mul(z, z, &p, GO_PREC, ctx) : !gf_quo(z, z, &p, GO_PREC, ctx))
		goto out;
	rc = TG_OK;
out:
	gf_release(&p);
	return rc;
}

static bool gf_is_int(const struct gf *x)
{
	return x->zero || x->e >= 0;
}

/* Truncates toward zero into an integer BIGNUM (sign kept). */
static bool gf_trunc(BIGNUM *r, const struct gf *x)
{
	if (x->zero) {
		BN_zero(r);
		return true;
	}
	if (x->e >= 0) {
		if (!BN_lshift(r, x->m, (int)x->e))
			return false;
	} else if (x->e < -(int64_t)BN_num_bits(x->m)) {
		BN_zero(r);
		return true;
	} else if (!BN_rshift(r, x->m, (int)-x->e)) {
		return false;
	}
	BN_set_negative(r, x->neg && !BN_is_zero(r));
	return true;
}

/* ---- shortest decimal output (Go's Float.Text with precision -1) ---- */

/* A decimal 0.d1d2... x 10^exp; when !exact, digits continue past n. */
struct dec {
	char d[NDIG + 8];
	int n;
	bool exact;
	int64_t exp;
};

static char dec_at(const struct dec *x, int i)
{
	return i >= 0 && i < x->n ? x->d[i] : '0';
}

static void dec_trim(struct dec *x)
{
	while (x->n > 0 && x->d[x->n - 1] == '0')
		x->n--;
	if (x->n == 0)
		x->exp = 0;
}

/* Digits of v x 2^ex at scale 10^k: floor(v x 2^ex x 10^k). */
static bool dec_of(struct dec *o, const BIGNUM *v, int64_t ex, int64_t k, BN_CTX *ctx)
{
	BIGNUM *num = BN_new(), *p = BN_new(), *rem = BN_new();
	char *s = NULL;
	bool ok = false, exact = true;
	size_t len;

	if (!num || !p || !rem || !BN_copy(num, v))
		goto out;
	if (k > 0 && (bn_pow10(p, k, ctx) != TG_OK || !BN_mul(num, num, p, ctx)))
		goto out;
	if (ex > 0 && !BN_lshift(num, num, (int)ex))
		goto out;
	if (ex < 0) {
		int i, sh = (int)-ex;
		for (i = 0; i < sh && exact; i++)
			if (BN_is_bit_set(num, i))
				exact = false;
		if (!BN_rshift(num, num, sh))
			goto out;
	}
	if (k < 0) {
		if (bn_pow10(p, -k, ctx) != TG_OK || !BN_div(num, rem, num, p, ctx))
			goto out;
		if (!BN_is_zero(rem))
			exact = false;
	}
	s = BN_bn2dec(num);
	if (!s)
		goto out;
	len = strlen(s);
	if (len > NDIG + 4 || len < 4)
		goto out; /* the scale estimate is off: cannot happen */
	memcpy(o->d, s, len);
	o->n = (int)len;
	o->exp = (int64_t)len - k;
	o->exact = exact;
	if (exact)
		dec_trim(o);
	ok = true;
out:
	OPENSSL_free(s);
	BN_free(num);
	BN_free(p);
	BN_free(rem);
	return ok;
}

static void dec_round_down(struct dec *x, int n)
{
	if (n < 0 || (x->exact && n >= x->n))
		return;
	x->n = n;
	x->exact = true;
	dec_trim(x);
}

static void dec_round_up(struct dec *x, int n)
{
	if (n < 0 || (x->exact && n >= x->n))
		return;
	while (n > 0 && x->d[n - 1] >= '9')
		n--;
	if (n == 0) {
		x->d[0] = '1';
		x->n = 1;
		x->exp++;
	} else {
		x->d[n - 1]++;
		x->n = n;
	}
	x->exact = true;
}

static void dec_round(struct dec *x, int n)
{
	bool up;
	if (n < 0 || (x->exact && n >= x->n))
		return;
	if (x->d[n] == '5' && x->exact && n + 1 == x->n)
		up = n > 0 && ((x->d[n - 1] - '0') & 1) != 0;
	else
		up = x->d[n] >= '5';
	if (up)
		dec_round_up(x, n);
	else
		dec_round_down(x, n);
}

/* The shortest digits of a nonzero x at precision prec (Go's roundShortest
 * in math/big/ftoa.go, including its digit-by-digit walk that compares
 * digit i of x, lower and upper regardless of their decimal points). */
static bool gf_shortest(struct dec *d, const struct gf *x, unsigned prec, BN_CTX *ctx)
{
	BIGNUM *mant = BN_new(), *v = BN_new();
	struct dec lo, up;
	int nb = BN_num_bits(x->m), i, s;
	int64_t ex, b, est, k;
	bool ok = false, inclusive;

	if (!mant || !v)
		goto out;
	s = (int)prec + 1 - nb;
	if (!BN_lshift(mant, x->m, s))
		goto out;
	ex = x->e - s;
	b = ex + (int64_t)prec + 1; /* x < 2^b */
	est = (b - 1) >= 0 ? (b - 1) * 30103 / 100000 + 1 : -((-(b - 1) * 30103 + 99999) / 100000) + 1;
	k = NDIG - est;
	if (!dec_of(d, mant, ex, k, ctx))
		goto out;
	if (!BN_copy(v, mant) || !BN_sub_word(v, 1) || !dec_of(&lo, v, ex, k, ctx))
		goto out;
	if (!BN_copy(v, mant) || !BN_add_word(v, 1) || !dec_of(&up, v, ex, k, ctx))
		goto out;
	inclusive = !BN_is_bit_set(mant, 1);
	for (i = 0; i < d->n; i++) {
		char m = d->d[i], l = dec_at(&lo, i), u = dec_at(&up, i);
		bool okdown, okup;
		if ((!lo.exact && i >= lo.n) || (!up.exact && i >= up.n))
			goto out;
		okdown = l != m || (inclusive && lo.exact && i + 1 == lo.n);
		okup = m != u && (inclusive || m + 1 < u || !up.exact || i + 1 < up.n);
		if (okdown && okup) {
			dec_round(d, i + 1);
			ok = true;
			goto out;
		}
		if (okdown) {
			dec_round_down(d, i + 1);
			ok = true;
			goto out;
		}
		if (okup) {
			dec_round_up(d, i + 1);
			ok = true;
			goto out;
		}
	}
	ok = d->exact; /* all of x's digits were needed */
out:
	BN_free(mant);
	BN_free(v);
	return ok;
}

/* Appends Go's x.Text('f' or 'g', -1): 'f' when x is an integer. */
static tg_err gf_text(struct tg_buf *b, const struct gf *x, BN_CTX *ctx)
{
	struct dec d;
	int i;
	if (x->neg && tg_buf_addc(b, '-') != TG_OK)
		return TG_E_TOOBIG;
	if (x->zero)
		return tg_buf_addc(b, '0');
	if (!gf_shortest(&d, x, GO_PREC, ctx))
		return TG_E_INTERNAL;
	if (gf_is_int(x) || (d.exp - 1 >= -4 && d.exp - 1 < 6)) {
		/* %f with max(len - exp, 0) fraction digits */
		int64_t fr = (int64_t)d.n - d.exp, j;
		if (d.exp > TG_REGO_NUM_DIGITS)
			return TG_E_TOOBIG;
		if (d.exp > 0) {
			for (j = 0; j < d.exp; j++)
				if (tg_buf_addc(b, (uint8_t)dec_at(&d, (int)j)) != TG_OK)
					return TG_E_TOOBIG;
		} else if (tg_buf_addc(b, '0') != TG_OK) {
			return TG_E_TOOBIG;
		}
		if (fr > 0) {
			if (tg_buf_addc(b, '.') != TG_OK)
				return TG_E_TOOBIG;
			for (j = 0; j < fr; j++)
				if (tg_buf_addc(b, (uint8_t)dec_at(&d, (int)(d.exp + j))) != TG_OK)
					return TG_E_TOOBIG;
		}
		return TG_OK;
	}
	/* %e with len-1 fraction digits, at least two exponent digits */
	if (tg_buf_addc(b, (uint8_t)d.d[0]) != TG_OK)
		return TG_E_TOOBIG;
	if (d.n > 1) {
		if (tg_buf_addc(b, '.') != TG_OK)
			return TG_E_TOOBIG;
		for (i = 1; i < d.n; i++)
			if (tg_buf_addc(b, (uint8_t)d.d[i]) != TG_OK)
				return TG_E_TOOBIG;
	}
	return tg_buf_addf(b, "e%c%02lld", d.exp - 1 < 0 ? '-' : '+',
			   (long long)(d.exp - 1 < 0 ? -(d.exp - 1) : d.exp - 1));
}

static tg_err gf_to_json(struct tg_arena *a, const struct gf *x, BN_CTX *ctx,
			 const struct tg_json **out)
{
	struct tg_buf b = TG_BUF_INIT(TG_REGO_NUM_DIGITS + 64);
	tg_err rc = gf_text(&b, x, ctx);
	if (rc == TG_OK)
		rc = tg_json_new_number(a, (const char *)b.data, b.len, out);
	tg_buf_release(&b);
	return rc;
}

/* ---- the operations ---- */

static tg_err num_err(struct tg_diag *d, tg_err e)
{
	switch (e) {
	case TG_E_TOOBIG:
		tg_diag_set(d, "number too large");
		break;
	case TG_E_RANGE:
		tg_diag_set(d, "number out of range");
		break;
	default:
		tg_diag_set(d, "%s", tg_strerror(e));
		break;
	}
	return e;
}

/* Both operands as exact integers, or false (either is not integral). */
static tg_err both_ints(const struct tg_json *x, const struct tg_json *y, BIGNUM **bx, BIGNUM **by)
{
	tg_err rc;
	*bx = *by = NULL;
	if (!tg_rego_num_is_integral(x) || !tg_rego_num_is_integral(y))
		return TG_E_TYPE;
	rc = tg_rego_num_to_bn(x, bx);
	if (rc == TG_OK)
		rc = tg_rego_num_to_bn(y, by);
	if (rc != TG_OK) {
		BN_free(*bx);
		BN_free(*by);
		*bx = *by = NULL;
	}
	return rc;
}

static bool bn_fits_i64(const BIGNUM *b)
{
	return BN_num_bits(b) <= 62;
}

/* The common case without big numbers: two plain integer literals whose
 * result fits in an int64. Returns false when the general path must run. */
static bool small_ints(struct tg_arena *a, enum tg_rego_numop op, const struct tg_json *x,
		       const struct tg_json *y, const struct tg_json **out, tg_err *rc)
{
	int64_t i, j, r;
	if (!tg_rego_num_int64_lit(x, &i) || !tg_rego_num_int64_lit(y, &j))
		return false;
	switch (op) {
	case TG_REGO_NUM_ADD:
		if (__builtin_add_overflow(i, j, &r))
			return false;
		break;
	case TG_REGO_NUM_SUB:
		if (__builtin_sub_overflow(i, j, &r))
			return false;
		break;
	case TG_REGO_NUM_MUL:
		if (__builtin_mul_overflow(i, j, &r))
			return false;
		break;
	case TG_REGO_NUM_REM:
		if (j == 0) {
			*rc = TG_E_RANGE;
			return true;
		}
		if (j == -1) {
			r = 0;
			break;
		}
		r = i % j;
		break;
	case TG_REGO_NUM_DIV:
	default:
		if (j == 0) {
			*rc = TG_E_RANGE;
			return true;
		}
		/* exact quotients only; 0 / y goes to floats (it may be -0) */
		if (i == 0 || j == -1 || i % j != 0)
			return false;
		r = i / j;
		break;
	}
	*rc = tg_json_new_int(a, r, out);
	return true;
}

tg_err tg_rego_num_binop(struct tg_arena *a, enum tg_rego_numop op, const struct tg_json *x,
			 const struct tg_json *y, const struct tg_json **out, struct tg_diag *d)
{
	BIGNUM *bx = NULL, *by = NULL, *r = NULL;
	BN_CTX *ctx = NULL;
	struct gf fx, fy, fz;
	tg_err rc = TG_E_INTERNAL;
	bool ok, said = false;

	fx.m = fy.m = fz.m = NULL;
	if (small_ints(a, op, x, y, out, &rc)) {
		if (rc == TG_E_RANGE) {
			tg_diag_set(d, "%s", op == TG_REGO_NUM_REM ? "modulo by zero" : "divide by zero");
			said = true;
		}
		goto out;
	}
	ctx = BN_CTX_new();
	if (!ctx)
		goto out;
	rc = both_ints(x, y, &bx, &by);
	if (rc != TG_OK && rc != TG_E_TYPE)
		goto out;
	if (rc == TG_OK) {
		r = BN_new();
		if (!r) {
			rc = TG_E_INTERNAL;
			goto out;
		}
		switch (op) {
		case TG_REGO_NUM_ADD:
			ok = BN_add(r, bx, by);
			break;
		case TG_REGO_NUM_SUB:
			ok = BN_sub(r, bx, by);
			break;
		case TG_REGO_NUM_MUL:
			ok = BN_mul(r, bx, by, ctx);
			break;
		case TG_REGO_NUM_REM:
			if (BN_is_zero(by)) {
				tg_diag_set(d, "modulo by zero");
				said = true;
				rc = TG_E_RANGE;
				goto out;
			}
			/* BN_div's remainder has the dividend's sign, as Go's Rem */
			ok = BN_div(NULL, r, bx, by, ctx);
			break;
		case TG_REGO_NUM_DIV:
		default:
			if (BN_is_zero(by)) {
				tg_diag_set(d, "divide by zero");
				said = true;
				rc = TG_E_RANGE;
				goto out;
			}
			/* exact only when both fit and the divisor divides */
			if (!BN_is_zero(bx) && bn_fits_i64(bx) && bn_fits_i64(by)) {
				BIGNUM *q = BN_new();
				ok = q && BN_div(q, r, bx, by, ctx);
				if (ok && BN_is_zero(r)) {
					rc = tg_rego_num_from_bn(a, q, out);
					BN_free(q);
					goto out;
				}
				BN_free(q);
				if (!ok) {
					rc = TG_E_INTERNAL;
					goto out;
				}
			}
			goto floats;
		}
		if (!ok) {
			rc = TG_E_INTERNAL;
			goto out;
		}
		rc = tg_rego_num_from_bn(a, r, out);
		goto out;
	}
	if (op == TG_REGO_NUM_REM) {
		tg_diag_set(d, "modulo on floating-point number");
				said = true;
		rc = TG_E_RANGE;
		goto out;
	}
floats:
	rc = TG_E_INTERNAL;
	if (!gf_init(&fx) || !gf_init(&fy) || !gf_init(&fz))
		goto out;
	rc = gf_from_lit(&fx, x, ctx);
	if (rc == TG_OK)
		rc = gf_from_lit(&fy, y, ctx);
	if (rc != TG_OK)
		goto out;
	rc = TG_E_INTERNAL;
	switch (op) {
	case TG_REGO_NUM_ADD:
		ok = gf_add(&fz, &fx, &fy, false, GO_PREC);
		break;
	case TG_REGO_NUM_SUB:
		ok = gf_add(&fz, &fx, &fy, true, GO_PREC);
		break;
	case TG_REGO_NUM_MUL:
		ok = gf_mul(&fz, &fx, &fy, GO_PREC, ctx);
		break;
	default:
		if (fy.zero) {
			tg_diag_set(d, "divide by zero");
				said = true;
			rc = TG_E_RANGE;
			goto out;
		}
		ok = gf_quo(&fz, &fx, &fy, GO_PREC, ctx);
		break;
	}
	if (!ok)
		goto out;
	rc = gf_to_json(a, &fz, ctx, out);
out:
	if (rc != TG_OK && !said)
		num_err(d, rc);
	BN_free(bx);
	BN_free(by);
	BN_free(r);
	gf_release(&fx);
	gf_release(&fy);
	gf_release(&fz);
	BN_CTX_free(ctx);
	return rc;
}

tg_err tg_rego_num_unop(struct tg_arena *a, enum tg_rego_numfn fn, const struct tg_json *x,
			const struct tg_json **out, struct tg_diag *d)
{
	BIGNUM *bx = NULL;
	BN_CTX *ctx = NULL;
	struct gf fx, half, t;
	tg_err rc = TG_E_INTERNAL;
	bool said = false;

	fx.m = half.m = t.m = NULL;
	if (x->flags & TG_JSON_F_INTLIT) {
		int64_t i;
		if (fn != TG_REGO_NUM_ABS) {
			*out = x; /* round, ceil, floor of an integer: itself */
			rc = TG_OK;
			goto out;
		}
		if (tg_rego_num_int64_lit(x, &i) && i != INT64_MIN) {
			rc = x->u.s.p[0] == '-' ? tg_json_new_int(a, -i, out) : (*out = x, TG_OK);
			goto out;
		}
	}
	ctx = BN_CTX_new();
	if (!ctx)
		goto out;
	if (tg_rego_num_is_integral(x)) {
		rc = tg_rego_num_to_bn(x, &bx);
		if (rc != TG_OK)
			goto out;
		if (fn == TG_REGO_NUM_ABS)
			BN_set_negative(bx, 0);
		else if (x->flags & TG_JSON_F_INTLIT) {
			*out = x; /* round, ceil, floor of an integer: itself */
			goto out;
		}
		rc = tg_rego_num_from_bn(a, bx, out);
		goto out;
	}
	if (!gf_init(&fx) || !gf_init(&half) || !gf_init(&t))
		goto out;
	rc = gf_from_lit(&fx, x, ctx);
	if (rc != TG_OK)
		goto out;
	rc = TG_E_INTERNAL;
	if (fn == TG_REGO_NUM_ABS) {
		fx.neg = false;
		rc = gf_to_json(a, &fx, ctx, out);
		goto out;
	}
	bx = BN_new();
	if (!bx)
		goto out;
	if (fn == TG_REGO_NUM_ROUND) {
		/* x +- 0.5 at precision 64, then toward zero */
		half.neg = fx.neg;
		half.e = -1;
		if (!BN_one(half.m) || !gf_norm(&half) || !gf_add(&t, &fx, &half, false, GO_PREC) ||
		    !gf_trunc(bx, &t))
			goto out;
	} else {
		/* OPA: i = trunc(x); ceil: i when i < 0 or x == i, else i + 1;
		 * floor: i when i >= 0 or x == i, else i - 1 (so ceil(-0.5) = 1
		 * and floor(-0.5) = 0, as OPA v1.1 returns) */
		bool exact = gf_is_int(&fx);
		if (!gf_trunc(bx, &fx))
			goto out;
		if (fn == TG_REGO_NUM_CEIL) {
			if (!(BN_is_negative(bx) || exact) && !BN_add_word(bx, 1))
				goto out;
		} else {
			if (!(!BN_is_negative(bx) || exact) && !BN_sub_word(bx, 1))
				goto out;
		}
	}
	rc = tg_rego_num_from_bn(a, bx, out);
out:
	if (rc != TG_OK && !said)
		num_err(d, rc);
	BN_free(bx);
	gf_release(&fx);
	gf_release(&half);
	gf_release(&t);
	BN_CTX_free(ctx);
	return rc;
}

tg_err tg_rego_num_fold(struct tg_arena *a, bool product, const struct tg_json *const *items,
			size_t n, const struct tg_json **out, struct tg_diag *d)
{
	BIGNUM *acc = NULL, *b = NULL;
	BN_CTX *ctx = NULL;
	struct gf facc, fx;
	bool ints = true, said = false;
	size_t i;
	tg_err rc = TG_E_INTERNAL;

	facc.m = fx.m = NULL;
	{
		int64_t acc64 = product ? 1 : 0, v;
		for (i = 0; i < n; i++)
			if (!tg_rego_num_int64_lit(items[i], &v) ||
			    (product ? __builtin_mul_overflow(acc64, v, &acc64)
				     : __builtin_add_overflow(acc64, v, &acc64)))
				break;
		if (i == n) {
			rc = tg_json_new_int(a, acc64, out);
			goto out;
		}
	}
	ctx = BN_CTX_new();
	if (!ctx)
		goto out;
	for (i = 0; i < n && ints; i++)
		ints = tg_rego_num_is_integral(items[i]);
	if (ints) {
		acc = BN_new();
		if (!acc || !(product ? BN_one(acc) : (BN_zero(acc), 1)))
			goto out;
		for (i = 0; i < n; i++) {
			rc = tg_rego_num_to_bn(items[i], &b);
			if (rc != TG_OK)
				goto out;
			rc = TG_E_INTERNAL;
			if (!(product ? BN_mul(acc, acc, b, ctx) : BN_add(acc, acc, b)))
				goto out;
			BN_free(b);
			b = NULL;
			if (BN_num_bits(acc) > TG_REGO_NUM_DIGITS * 10 / 3 + 4) {
				rc = TG_E_TOOBIG;
				goto out;
			}
		}
		rc = tg_rego_num_from_bn(a, acc, out);
		goto out;
	}
	if (!gf_init(&facc) || !gf_init(&fx))
		goto out;
	if (product) {
		facc.e = 0;
		if (!BN_one(facc.m) || !gf_norm(&facc))
			goto out;
	}
	for (i = 0; i < n; i++) {
		rc = gf_from_lit(&fx, items[i], ctx);
		if (rc != TG_OK)
			goto out;
		rc = TG_E_INTERNAL;
		if (product ? !gf_mul(&facc, &facc, &fx, GO_PREC, ctx)
			    : !gf_add(&facc, &facc, &fx, false, GO_PREC))
			goto out;
	}
	rc = gf_to_json(a, &facc, ctx, out);
out:
	if (rc != TG_OK && !said)
		num_err(d, rc);
	BN_free(acc);
	BN_free(b);
	gf_release(&facc);
	gf_release(&fx);
	BN_CTX_free(ctx);
	return rc;
}
