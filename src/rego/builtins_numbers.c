/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builtins_numbers.c - Rego built-ins on numbers and aggregates: the
 * arithmetic operators, abs/round/ceil/floor, numbers.range*, bits.*,
 * to_number, count/sum/product/max/min/sort, all/any and membership (in).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>

#include "core/buf.h"
#include "core/limits.h"
#include "rego/rego_bia.h"
#include "rego/rego_builtin.h"
#include "rego/rego_num.h"

#define ANY_COLL "one of {set, array}"

static tg_err want_num(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (args[i]->type != TG_JSON_NUMBER)
			return tg_rego_bia_type(c, i + 1, "number", args[i]);
	return TG_OK;
}

static tg_err binop(struct tg_rego_bctx *c, enum tg_rego_numop op,
		    const struct tg_json *const *args, const struct tg_json **out)
{
	tg_err rc = want_num(c, args, 2);
	if (rc != TG_OK)
		return rc;
	return tg_rego_num_binop(c->a, op, args[0], args[1], out, c->d);
}

static tg_err bi_plus(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		      const struct tg_json **out)
{
	(void)nargs;
	return binop(c, TG_REGO_NUM_ADD, args, out);
}

static tg_err bi_mul(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		     const struct tg_json **out)
{
	(void)nargs;
	return binop(c, TG_REGO_NUM_MUL, args, out);
}

static tg_err bi_div(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		     const struct tg_json **out)
{
	(void)nargs;
	return binop(c, TG_REGO_NUM_DIV, args, out);
}

static tg_err bi_rem(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		     const struct tg_json **out)
{
	(void)nargs;
	return binop(c, TG_REGO_NUM_REM, args, out);
}

/* The elements of a that b lacks (both sets). */
static tg_err set_diff(struct tg_rego_bctx *c, const struct tg_json *a, const struct tg_json *b,
		       const struct tg_json **out)
{
	struct tg_rego_bia_list l;
	size_t i;
	tg_err rc = tg_rego_bia_charge(c, a->u.a.len + 1);
	if (rc != TG_OK)
		return rc;
	tg_rego_bia_list_init(&l, c->a);
	for (i = 0; i < a->u.a.len; i++)
		if (!tg_json_set_has(b, a->u.a.items[i]) &&
		    (rc = tg_rego_bia_list_add(&l, a->u.a.items[i])) != TG_OK)
			return tg_rego_bia_err(c, rc);
	rc = tg_rego_bia_list_set(&l, out);
	return rc == TG_OK ? rc : tg_rego_bia_err(c, rc);
}

static tg_err bi_minus(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		       const struct tg_json **out)
{
	bool n1 = args[0]->type == TG_JSON_NUMBER, n2 = args[1]->type == TG_JSON_NUMBER;
	bool s1 = args[0]->type == TG_JSON_SET, s2 = args[1]->type == TG_JSON_SET;
	(void)nargs;
	if (n1 && n2)
		return tg_rego_num_binop(c->a, TG_REGO_NUM_SUB, args[0], args[1], out, c->d);
	if (s1 && s2)
		return set_diff(c, args[0], args[1], out);
	if (!n1 && !s1)
		return tg_rego_bia_type(c, 1, "one of {number, set}", args[0]);
	if (n2)
		return tg_rego_bia_type(c, 2, "set", args[1]);
	return tg_rego_bia_type(c, 2, "number", args[1]);
}

static tg_err unop(struct tg_rego_bctx *c, enum tg_rego_numfn fn,
		   const struct tg_json *const *args, const struct tg_json **out)
{
	tg_err rc = want_num(c, args, 1);
	if (rc != TG_OK)
		return rc;
	return tg_rego_num_unop(c->a, fn, args[0], out, c->d);
}

static tg_err bi_abs(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		     const struct tg_json **out)
{
	(void)nargs;
	return unop(c, TG_REGO_NUM_ABS, args, out);
}

static tg_err bi_round(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		       const struct tg_json **out)
{
	(void)nargs;
	return unop(c, TG_REGO_NUM_ROUND, args, out);
}

static tg_err bi_ceil(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		      const struct tg_json **out)
{
	(void)nargs;
	return unop(c, TG_REGO_NUM_CEIL, args, out);
}

static tg_err bi_floor(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		       const struct tg_json **out)
{
	(void)nargs;
	return unop(c, TG_REGO_NUM_FLOOR, args, out);
}

/* ---- integers: OPA's BigIntOperand ---- */

static tg_err big_operand(struct tg_rego_bctx *c, const struct tg_json *v, size_t i, BIGNUM **out)
{
	tg_err rc;
	if (v->type != TG_JSON_NUMBER)
		return tg_rego_bia_type(c, i, "integer", v);
	rc = tg_rego_num_to_bn(v, out);
	if (rc == TG_E_TYPE) {
		tg_diag_set(c->d, "operand %zu must be integer number but got floating-point number",
			    i);
		return TG_E_TYPE;
	}
	if (rc == TG_E_TOOBIG)
		tg_diag_set(c->d, "operand %zu: number too large", i);
	return rc;
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

static tg_err bn_result(struct tg_rego_bctx *c, const BIGNUM *b, const struct tg_json **out)
{
	tg_err rc = tg_rego_num_from_bn(c->a, b, out);
	if (rc == TG_E_TOOBIG)
		tg_diag_set(c->d, "number too large");
	return rc;
}

static tg_err range(struct tg_rego_bctx *c, const struct tg_json *const *args, bool stepped,
		    const struct tg_json **out)
{
	BIGNUM *x = NULL, *y = NULL, *step = NULL, *span = NULL, *cnt = NULL;
	BN_CTX *ctx = NULL;
	struct tg_rego_bia_list l;
	tg_err rc;
	bool down;
	uint64_t n, k;

	rc = big_operand(c, args[0], 1, &x);
	if (rc == TG_OK)
		rc = big_operand(c, args[1], 2, &y);
	if (rc == TG_OK && stepped)
		rc = big_operand(c, args[2], 3, &step);
	if (rc != TG_OK)
		goto out;
	rc = TG_E_INTERNAL;
	if (!step && (!(step = BN_new()) || !BN_one(step)))
		goto out;
	if (BN_is_zero(step) || BN_is_negative(step)) {
		rc = tg_rego_bia_fail(c, "numbers.range_step: step must be a positive integer");
		goto out;
	}
	ctx = BN_CTX_new();
	span = BN_new();
	cnt = BN_new();
	if (!ctx || !span || !cnt || !BN_sub(span, y, x))
		goto out;
	down = BN_is_negative(span);
	BN_set_negative(span, 0);
	if (!BN_div(cnt, NULL, span, step, ctx))
		goto out;
	if (BN_num_bits(cnt) > 40 || BN_get_word(cnt) >= TG_REGO_BIA_MAX_ITEMS) {
		rc = tg_rego_bia_fail(c, "%s: range too large",
				      stepped ? "numbers.range_step" : "numbers.range");
		goto out;
	}
	n = BN_get_word(cnt) + 1;
	rc = tg_rego_bia_charge(c, n);
	if (rc != TG_OK)
		goto out;
	tg_rego_bia_list_init(&l, c->a);
	if (BN_num_bits(x) < 62 && BN_num_bits(y) < 62 && BN_num_bits(step) < 62) {
		/* the usual case: machine integers, no decimal conversions */
		int64_t i = (int64_t)BN_get_word(x), st = (int64_t)BN_get_word(step);
		if (BN_is_negative(x))
			i = -i;
		for (k = 0; k < n; k++, i = down ? i - st : i + st) {
			const struct tg_json *v;
			rc = tg_rego_bia_int(c->a, i, &v);
			if (rc == TG_OK)
				rc = tg_rego_bia_list_add(&l, v);
			if (rc != TG_OK) {
				rc = tg_rego_bia_err(c, rc);
				goto out;
			}
		}
		rc = tg_rego_bia_list_array(&l, out);
		if (rc != TG_OK)
			rc = tg_rego_bia_err(c, rc);
		goto out;
	}
	for (k = 0; k < n; k++) {
		const struct tg_json *v;
		rc = bn_result(c, x, &v);
		if (rc == TG_OK)
			rc = tg_rego_bia_list_add(&l, v);
		if (rc != TG_OK) {
			rc = tg_rego_bia_err(c, rc);
			goto out;
		}
		if (!(down ? BN_sub(x, x, step) : BN_add(x, x, step))) {
			rc = TG_E_INTERNAL;
			goto out;
		}
	}
	rc = tg_rego_bia_list_array(&l, out);
	if (rc != TG_OK)
		rc = tg_rego_bia_err(c, rc);
out:
	BN_free(x);
	BN_free(y);
	BN_free(step);
	BN_free(span);
	BN_free(cnt);
	BN_CTX_free(ctx);
	return rc;
}

static tg_err bi_range(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		       const struct tg_json **out)
{
	(void)nargs;
	return range(c, args, false, out);
}

static tg_err bi_range_step(struct tg_rego_bctx *c, const struct tg_json *const *args,
			    size_t nargs, const struct tg_json **out)
{
	(void)nargs;
	return range(c, args, true, out);
}

/* ---- bits: two's complement semantics of Go's big.Int ---- */

enum bitop { B_AND, B_OR, B_XOR };

/* r = a op b on non-negative values, byte by byte. */
static bool bn_bitwise(BIGNUM *r, const BIGNUM *a, const BIGNUM *b, enum bitop op)
{
	int na = BN_num_bytes(a), nb = BN_num_bytes(b), n = na > nb ? na : nb, i;
	unsigned char *pa, *pb;
	bool ok = false;
	if (n == 0) {
		BN_zero(r);
		return true;
	}
	pa = OPENSSL_zalloc((size_t)n);
	pb = OPENSSL_zalloc((size_t)n);
	if (!pa || !pb || BN_bn2binpad(a, pa, n) != n || BN_bn2binpad(b, pb, n) != n)
		goto out;
	for (i = 0; i < n; i++)
		pa[i] = (unsigned char)(op == B_AND ? pa[i] & pb[i] : op == B_OR ? pa[i] | pb[i]
										  : pa[i] ^ pb[i]);
	ok = BN_bin2bn(pa, n, r) != NULL;
out:
	OPENSSL_free(pa);
	OPENSSL_free(pb);
	return ok;
}

/* r = a & ~b on non-negative values. */
static bool bn_andnot(BIGNUM *r, const BIGNUM *a, const BIGNUM *b)
{
	BIGNUM *t = BN_new();
	bool ok = t && bn_bitwise(t, a, b, B_AND) && BN_sub(r, a, t);
	BN_free(t);
	return ok;
}

/* x' = -x - 1 (the complement, non-negative for negative x). */
static bool bn_not(BIGNUM *r, const BIGNUM *x)
{
	if (!BN_copy(r, x))
		return false;
	BN_set_negative(r, !BN_is_negative(x));
	return BN_sub_word(r, 1);
}

static bool bits2(BIGNUM *r, const BIGNUM *x, const BIGNUM *y, enum bitop op)
{
	BIGNUM *cx = BN_new(), *cy = BN_new();
	bool xn = BN_is_negative(x), yn = BN_is_negative(y), ok = false;
	if (!cx || !cy || !BN_copy(cx, x) || !BN_copy(cy, y))
		goto out;
	if (xn && !bn_not(cx, x))
		goto out;
	if (yn && !bn_not(cy, y))
		goto out;
	/* cx, cy are now x or ~x, y or ~y, all non-negative */
	switch (op) {
	case B_AND:
		if (!xn && !yn)
			ok = bn_bitwise(r, cx, cy, B_AND);
		else if (xn && !yn)
			ok = bn_andnot(r, cy, cx);
		else if (!xn && yn)
			ok = bn_andnot(r, cx, cy);
		else
			ok = bn_bitwise(r, cx, cy, B_OR) && bn_not(r, r);
		break;
	case B_OR:
		if (!xn && !yn)
			ok = bn_bitwise(r, cx, cy, B_OR);
		else if (xn && !yn)
			ok = bn_andnot(r, cx, cy) && bn_not(r, r);
		else if (!xn && yn)
			ok = bn_andnot(r, cy, cx) && bn_not(r, r);
		else
			ok = bn_bitwise(r, cx, cy, B_AND) && bn_not(r, r);
		break;
	case B_XOR:
	default:
		ok = bn_bitwise(r, cx, cy, B_XOR) && (xn == yn || bn_not(r, r));
		break;
	}
out:
	BN_free(cx);
	BN_free(cy);
	return ok;
}

static tg_err bits_binary(struct tg_rego_bctx *c, const struct tg_json *const *args,
			  enum bitop op, const struct tg_json **out)
{
	BIGNUM *x = NULL, *y = NULL, *r = NULL;
	tg_err rc = big_operand(c, args[0], 1, &x);
	if (rc == TG_OK)
		rc = big_operand(c, args[1], 2, &y);
	if (rc != TG_OK)
		goto out;
	rc = TG_E_INTERNAL;
	r = BN_new();
	if (!r || !bits2(r, x, y, op))
		goto out;
	rc = bn_result(c, r, out);
out:
	BN_free(x);
	BN_free(y);
	BN_free(r);
	return rc;
}

static tg_err bi_bits_and(struct tg_rego_bctx *c, const struct tg_json *const *args,
			  size_t nargs, const struct tg_json **out)
{
	(void)nargs;
	return bits_binary(c, args, B_AND, out);
}

static tg_err bi_bits_or(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
			 const struct tg_json **out)
{
	(void)nargs;
	return bits_binary(c, args, B_OR, out);
}

static tg_err bi_bits_xor(struct tg_rego_bctx *c, const struct tg_json *const *args,
			  size_t nargs, const struct tg_json **out)
{
	(void)nargs;
	return bits_binary(c, args, B_XOR, out);
}

static tg_err bi_bits_negate(struct tg_rego_bctx *c, const struct tg_json *const *args,
			     size_t nargs, const struct tg_json **out)
{
	BIGNUM *x = NULL;
	tg_err rc = big_operand(c, args[0], 1, &x);
	(void)nargs;
	if (rc != TG_OK)
		return rc;
	rc = bn_not(x, x) ? bn_result(c, x, out) : TG_E_INTERNAL;
	BN_free(x);
	return rc;
}

static tg_err shift(struct tg_rego_bctx *c, const struct tg_json *const *args, bool left,
		    const struct tg_json **out)
{
	BIGNUM *x = NULL;
	int64_t n;
	tg_err rc = big_operand(c, args[0], 1, &x);
	if (rc == TG_OK)
		rc = int_operand(c, args[1], 2, &n);
	if (rc != TG_OK)
		goto out;
	if (n < 0) {
		tg_diag_set(c->d,
			    "operand 2 must be an unsigned integer number but got a negative integer");
		rc = TG_E_TYPE;
		goto out;
	}
	rc = TG_E_INTERNAL;
	if (left) {
		if (!BN_is_zero(x) &&
		    (uint64_t)n + (uint64_t)BN_num_bits(x) > TG_REGO_NUM_DIGITS * 10 / 3) {
			tg_diag_set(c->d, "number too large");
			rc = TG_E_TOOBIG;
			goto out;
		}
		if (!BN_is_zero(x) && !BN_lshift(x, x, (int)n))
			goto out;
	} else if (!BN_is_negative(x)) {
		if (n >= BN_num_bits(x))
			BN_zero(x);
		else if (!BN_rshift(x, x, (int)n))
			goto out;
	} else {
		/* floor division by 2^n: -((|x| - 1) >> n) - 1 */
		BN_set_negative(x, 0);
		if (!BN_sub_word(x, 1))
			goto out;
		if (n >= BN_num_bits(x))
			BN_zero(x);
		else if (!BN_rshift(x, x, (int)n))
			goto out;
		if (!BN_add_word(x, 1))
			goto out;
		BN_set_negative(x, 1);
	}
	rc = bn_result(c, x, out);
out:
	BN_free(x);
	return rc;
}

static tg_err bi_bits_lsh(struct tg_rego_bctx *c, const struct tg_json *const *args,
			  size_t nargs, const struct tg_json **out)
{
	(void)nargs;
	return shift(c, args, true, out);
}

static tg_err bi_bits_rsh(struct tg_rego_bctx *c, const struct tg_json *const *args,
			  size_t nargs, const struct tg_json **out)
{
	(void)nargs;
	return shift(c, args, false, out);
}

/* ---- to_number ---- */

/* strconv.Quote for the error text: printable ASCII kept, the rest escaped. */
static void go_quote(struct tg_buf *b, const char *s, size_t n)
{
	size_t i;
	tg_err rc = tg_buf_addc(b, '"');
	for (i = 0; i < n && rc == TG_OK; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			rc = tg_buf_addf(b, "\\%c", ch);
		else if (ch >= 0x20 && ch != 0x7f)
			rc = tg_buf_addc(b, ch);
		else
			rc = tg_buf_addf(b, "\\x%02x", ch);
	}
	if (rc == TG_OK)
		rc = tg_buf_addc(b, '"');
	if (rc != TG_OK)
		tg_buf_reset(b);
}

static tg_err parse_float_err(struct tg_rego_bctx *c, const char *s, size_t n, const char *why)
{
	struct tg_buf q = TG_BUF_INIT(TG_DIAG_MSG_MAX);
	go_quote(&q, s, n > 128 ? 128 : n);
	tg_diag_set(c->d, "strconv.ParseFloat: parsing %s: %s", tg_buf_str(&q), why);
	tg_buf_release(&q);
	return TG_E_INVAL;
}

/* Go's decimal ParseFloat syntax, rewritten as an RFC 8259 literal. */
static bool go_float_lit(const char *s, size_t n, struct tg_buf *b)
{
	size_t i = 0, ds, de;
	bool digits = false;
	if (i < n && (s[i] == '+' || s[i] == '-')) {
		if (s[i] == '-' && tg_buf_addc(b, '-') != TG_OK)
			return false;
		i++;
	}
	ds = i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	de = i;
	while (ds + 1 < de && s[ds] == '0')
		ds++;
	if (ds < de) {
		digits = true;
		if (tg_buf_add(b, s + ds, de - ds) != TG_OK)
			return false;
	} else if (tg_buf_addc(b, '0') != TG_OK) {
		return false;
	}
	if (i < n && s[i] == '.') {
		i++;
		ds = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i > ds) {
			digits = true;
			if (tg_buf_addc(b, '.') != TG_OK || tg_buf_add(b, s + ds, i - ds) != TG_OK)
				return false;
		}
	}
	if (!digits)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (tg_buf_addc(b, 'e') != TG_OK)
			return false;
		if (i < n && (s[i] == '+' || s[i] == '-')) {
			if (tg_buf_addc(b, (uint8_t)s[i]) != TG_OK)
				return false;
			i++;
		}
		ds = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == ds || tg_buf_add(b, s + ds, i - ds) != TG_OK)
			return false;
	}
	return i == n;
}

static bool ieq(const char *s, size_t n, const char *w)
{
	size_t i;
	if (strlen(w) != n)
		return false;
	for (i = 0; i < n; i++) {
		char ch = s[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch != w[i])
			return false;
	}
	return true;
}

static tg_err bi_to_number(struct tg_rego_bctx *c, const struct tg_json *const *args,
			   size_t nargs, const struct tg_json **out)
{
	const struct tg_json *v = args[0];
	struct tg_buf b;
	const char *s, *t;
	size_t n, tn;
	double dv;
	tg_err rc;
	(void)nargs;

	switch (v->type) {
	case TG_JSON_NULL:
		return tg_rego_bia_int(c->a, 0, out);
	case TG_JSON_BOOL:
		return tg_rego_bia_int(c->a, v->u.b ? 1 : 0, out);
	case TG_JSON_NUMBER:
		*out = v;
		return TG_OK;
	case TG_JSON_STRING:
		break;
	default:
		return tg_rego_bia_type(c, 1, "one of {null, boolean, number, string}", v);
	}
	s = v->u.s.p;
	n = v->u.s.len;
	t = s;
	tn = n;
	while (tn > 0 && (*t == '+' || *t == '-')) {
		t++;
		tn--;
	}
	if (ieq(t, tn, "inf") || ieq(t, tn, "infinity") || ieq(t, tn, "nan"))
		return tg_rego_bia_type(c, 1, "valid number string", v);
	if (n > TG_LIMIT_JSON_NUMBER)
		return parse_float_err(c, s, n, "value out of range");
	tg_buf_init(&b, TG_LIMIT_JSON_NUMBER + 2);
	if (tg_json_numlit_valid(s, n)) {
		rc = tg_json_new_number(c->a, s, n, out);
	} else if (go_float_lit(s, n, &b)) {
		rc = tg_json_new_number(c->a, (const char *)b.data, b.len, out);
	} else {
		tg_buf_release(&b);
		return parse_float_err(c, s, n, "invalid syntax");
	}
	tg_buf_release(&b);
	if (rc == TG_E_RANGE)
		return parse_float_err(c, s, n, "value out of range");
	if (rc != TG_OK)
		return tg_rego_bia_err(c, rc);
	if (tg_json_num_double(*out, &dv) != TG_OK)
		return parse_float_err(c, s, n, "value out of range");
	return TG_OK;
}

/* ---- aggregates ---- */

static tg_err bi_count(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		       const struct tg_json **out)
{
	const struct tg_json *v = args[0];
	(void)nargs;
	switch (v->type) {
	case TG_JSON_ARRAY:
	case TG_JSON_SET:
		return tg_rego_bia_int(c->a, (int64_t)v->u.a.len, out);
	case TG_JSON_OBJECT:
		return tg_rego_bia_int(c->a, (int64_t)v->u.o.len, out);
	case TG_JSON_STRING:
		return tg_rego_bia_int(c->a, (int64_t)tg_rego_bia_runes(v->u.s.p, v->u.s.len), out);
	default:
		return tg_rego_bia_type(c, 1, "one of {array, object, set, string}", v);
	}
}

static tg_err fold(struct tg_rego_bctx *c, const struct tg_json *const *args, bool product,
		   const struct tg_json **out)
{
	const struct tg_json *v = args[0];
	size_t i;
	tg_err rc;
	if (v->type != TG_JSON_ARRAY && v->type != TG_JSON_SET)
		return tg_rego_bia_type(c, 1, ANY_COLL, v);
	for (i = 0; i < v->u.a.len; i++)
		if (v->u.a.items[i]->type != TG_JSON_NUMBER)
			return tg_rego_bia_elem(c, 1, v, v->u.a.items[i], "number");
	rc = tg_rego_bia_charge(c, v->u.a.len + 1);
	if (rc != TG_OK)
		return rc;
	return tg_rego_num_fold(c->a, product, v->u.a.items, v->u.a.len, out, c->d);
}

static tg_err bi_sum(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		     const struct tg_json **out)
{
	(void)nargs;
	return fold(c, args, false, out);
}

static tg_err bi_product(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
			 const struct tg_json **out)
{
	(void)nargs;
	return fold(c, args, true, out);
}

/* max keeps the last of equal maxima, min the last of equal minima, as
 * OPA's loops do (which shows with 1 and 1.0). */
static tg_err extreme(struct tg_rego_bctx *c, const struct tg_json *const *args, bool max,
		      const struct tg_json **out)
{
	const struct tg_json *v = args[0], *best;
	size_t i;
	tg_err rc;
	if (v->type != TG_JSON_ARRAY && v->type != TG_JSON_SET)
		return tg_rego_bia_type(c, 1, ANY_COLL, v);
	if (v->u.a.len == 0) {
		*out = NULL;
		return TG_OK;
	}
	rc = tg_rego_bia_charge(c, v->u.a.len);
	if (rc != TG_OK)
		return rc;
	if (v->type == TG_JSON_SET) {
		*out = v->u.a.items[max ? v->u.a.len - 1 : 0];
		return TG_OK;
	}
	best = v->u.a.items[0];
	for (i = 1; i < v->u.a.len; i++) {
		int r = tg_json_cmp(best, v->u.a.items[i]);
		if (max ? r <= 0 : r >= 0)
			best = v->u.a.items[i];
	}
	*out = best;
	return TG_OK;
}

static tg_err bi_max(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		     const struct tg_json **out)
{
	(void)nargs;
	return extreme(c, args, true, out);
}

static tg_err bi_min(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		     const struct tg_json **out)
{
	(void)nargs;
	return extreme(c, args, false, out);
}

static tg_err bi_sort(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		      const struct tg_json **out)
{
	const struct tg_json *v = args[0];
	const struct tg_json **items;
	size_t n;
	tg_err rc;
	(void)nargs;
	if (v->type != TG_JSON_ARRAY && v->type != TG_JSON_SET)
		return tg_rego_bia_type(c, 1, ANY_COLL, v);
	n = v->u.a.len;
	rc = tg_rego_bia_charge(c, n + 1);
	if (rc != TG_OK)
		return rc;
	if (v->type == TG_JSON_SET || n < 2)
		return tg_json_new_array(c->a, v->u.a.items, n, out);
	items = tg_arena_alloc_array(c->a, n, sizeof(*items));
	if (!items)
		return tg_rego_bia_err(c, TG_E_TOOBIG);
	memcpy(items, v->u.a.items, n * sizeof(*items));
	rc = tg_rego_bia_sort(c->a, items, n);
	if (rc == TG_OK)
		rc = tg_json_new_array(c->a, items, n, out);
	return rc == TG_OK ? rc : tg_rego_bia_err(c, rc);
}

static tg_err all_any(struct tg_rego_bctx *c, const struct tg_json *const *args, bool all,
		      const struct tg_json **out)
{
	const struct tg_json *v = args[0];
	size_t i;
	bool r = all;
	if (v->type != TG_JSON_ARRAY && v->type != TG_JSON_SET)
		return tg_rego_bia_type(c, 1, "one of {array, set}", v);
	for (i = 0; i < v->u.a.len; i++) {
		bool t = tg_json_eq(v->u.a.items[i], &tg_json_true_v);
		if (all && !t) {
			r = false;
			break;
		}
		if (!all && t) {
			r = true;
			break;
		}
	}
	*out = tg_json_bool(r);
	return TG_OK;
}

static tg_err bi_all(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		     const struct tg_json **out)
{
	(void)nargs;
	return all_any(c, args, true, out);
}

static tg_err bi_any(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		     const struct tg_json **out)
{
	(void)nargs;
	return all_any(c, args, false, out);
}

static tg_err bi_member(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
			const struct tg_json **out)
{
	const struct tg_json *x = args[0], *coll = args[1];
	bool r = false;
	size_t i;
	(void)nargs;
	switch (coll->type) {
	case TG_JSON_SET:
		r = tg_json_set_has(coll, x);
		break;
	case TG_JSON_ARRAY:
		for (i = 0; i < coll->u.a.len && !r; i++)
			r = tg_json_eq(coll->u.a.items[i], x);
		break;
	case TG_JSON_OBJECT:
		for (i = 0; i < coll->u.o.len && !r; i++)
			r = tg_json_eq(coll->u.o.items[i].val, x);
		break;
	default:
		break;
	}
	(void)c;
	*out = tg_json_bool(r);
	return TG_OK;
}

static tg_err bi_member_with_key(struct tg_rego_bctx *c, const struct tg_json *const *args,
				 size_t nargs, const struct tg_json **out)
{
	const struct tg_json *k = args[0], *v = args[1], *coll = args[2], *got = NULL;
	int64_t i;
	(void)nargs;
	(void)c;
	if (coll->type == TG_JSON_OBJECT) {
		got = tg_json_get_value(coll, k);
	} else if (coll->type == TG_JSON_ARRAY && tg_rego_num_int64_lit(k, &i) && i >= 0 &&
		   (uint64_t)i < coll->u.a.len) {
		got = coll->u.a.items[i];
	}
	*out = tg_json_bool(got && tg_json_eq(got, v));
	return TG_OK;
}

#define COLL_ANY "any<array[any], set[any]>"

const struct tg_rego_builtin tg_rego_builtins_numbers[] = {
	{"plus", "+", 2, "(number, number) => number", bi_plus, 0},
	{"minus", "-", 2, "(any<number, set[any]>, any<number, set[any]>) => any<number, set[any]>",
	 bi_minus, 0},
	{"mul", "*", 2, "(number, number) => number", bi_mul, 0},
	{"div", "/", 2, "(number, number) => number", bi_div, 0},
	{"rem", "%", 2, "(number, number) => number", bi_rem, 0},
	{"abs", NULL, 1, "(number) => number", bi_abs, 0},
	{"round", NULL, 1, "(number) => number", bi_round, 0},
	{"ceil", NULL, 1, "(number) => number", bi_ceil, 0},
	{"floor", NULL, 1, "(number) => number", bi_floor, 0},
	{"numbers.range", NULL, 2, "(number, number) => array[number]", bi_range, 0},
	{"numbers.range_step", NULL, 3, "(number, number, number) => array[number]", bi_range_step,
	 0},
	{"bits.and", NULL, 2, "(number, number) => number", bi_bits_and, 0},
	{"bits.or", NULL, 2, "(number, number) => number", bi_bits_or, 0},
	{"bits.xor", NULL, 2, "(number, number) => number", bi_bits_xor, 0},
	{"bits.negate", NULL, 1, "(number) => number", bi_bits_negate, 0},
	{"bits.lsh", NULL, 2, "(number, number) => number", bi_bits_lsh, 0},
	{"bits.rsh", NULL, 2, "(number, number) => number", bi_bits_rsh, 0},
	{"to_number", NULL, 1, "(any<boolean, null, number, string>) => number", bi_to_number, 0},
	{"count", NULL, 1, "(any<array[any], object[any: any], set[any], string>) => number",
	 bi_count, 0},
	{"sum", NULL, 1, "(any<array[number], set[number]>) => number", bi_sum, 0},
	{"product", NULL, 1, "(any<array[number], set[number]>) => number", bi_product, 0},
	{"max", NULL, 1, "(" COLL_ANY ") => any", bi_max, 0},
	{"min", NULL, 1, "(" COLL_ANY ") => any", bi_min, 0},
	{"sort", NULL, 1, "(" COLL_ANY ") => array[any]", bi_sort, 0},
	{"all", NULL, 1, "(" COLL_ANY ") => boolean", bi_all, TG_RB_DEPRECATED},
	{"any", NULL, 1, "(" COLL_ANY ") => boolean", bi_any, TG_RB_DEPRECATED},
	{"internal.member_2", "in", 2, "(any, any) => boolean", bi_member, 0},
	{"internal.member_3", "in", 3, "(any, any, any) => boolean", bi_member_with_key, 0},
	{NULL, NULL, 0, NULL, NULL, 0},
};
