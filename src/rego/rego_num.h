/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_num.h - arithmetic on Rego numbers as OPA computes and prints it:
 * exact big integers (OpenSSL BIGNUM) when both operands are integers,
 * otherwise Go math/big binary floats with a 64-bit mantissa, printed in
 * the shortest form that reads back to the same float. Internal to src/rego.
 */
#ifndef TG_REGO_NUM_H
#define TG_REGO_NUM_H

/*
 * How OPA (topdown/arithmetic.go, aggregates.go, builtins.NumberToFloat and
 * FloatToNumber) computes, and what this file reproduces:
 *   - plus, minus, mul, rem, sum, product of integers are exact at any size
 *     (7 * 3 = 21, 18446744073709551617 + 1 = 18446744073709551618);
 *   - anything else converts each operand with big.Float.SetString at
 *     precision 64, computes with round-to-nearest-even at precision 64, and
 *     prints with Text('f', -1) when the result is an integer, Text('g', -1)
 *     otherwise: 7 / 2 = 3.5, 1 / 3 = 0.33333333333333333334,
 *     1.5 * 1e6 + 0.5 = 1.5000005e+06, 0 / -5 = -0;
 *   - division of integers is exact when the divisor divides the dividend.
 * Caps (TG_REGO_NUM_*): exact integers of at most TG_REGO_NUM_DIGITS decimal
 * digits, float operands with a decimal exponent within
 * +-TG_REGO_NUM_EXP10; past them TG_E_TOOBIG / TG_E_RANGE, where Go would
 * allocate without bound.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/bn.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/json.h"

#define TG_REGO_NUM_DIGITS 4096 /* decimal digits of an exact integer operand or result */
#define TG_REGO_NUM_EXP10 10000 /* magnitude of a float operand's decimal exponent */

enum tg_rego_numop {
	TG_REGO_NUM_ADD,
	TG_REGO_NUM_SUB,
	TG_REGO_NUM_MUL,
	TG_REGO_NUM_DIV,
	TG_REGO_NUM_REM,
};

enum tg_rego_numfn {
	TG_REGO_NUM_ABS,
	TG_REGO_NUM_ROUND,
	TG_REGO_NUM_CEIL,
	TG_REGO_NUM_FLOOR,
};

/*
 * x op y for two numbers; the result is allocated in a. Errors (message in
 * d, OPA's words): TG_E_RANGE "divide by zero", "modulo by zero",
 * "modulo on floating-point number", "number out of range"; TG_E_TOOBIG
 * "number too large" past the caps; TG_E_TOOBIG for the arena.
 */
tg_err tg_rego_num_binop(struct tg_arena *a, enum tg_rego_numop op, const struct tg_json *x,
			 const struct tg_json *y, const struct tg_json **out,
			 struct tg_diag *d) TG_MUST_CHECK;

/* abs, round (half away from zero), ceil, floor of one number. ceil and
 * floor reproduce OPA's results for -1 < x < 0 (ceil(-0.5) is 1 and
 * floor(-0.5) is 0 in OPA v1.1). */
tg_err tg_rego_num_unop(struct tg_arena *a, enum tg_rego_numfn fn, const struct tg_json *x,
			const struct tg_json **out, struct tg_diag *d) TG_MUST_CHECK;

/* The sum (product when product is true) of n numbers: exact when all are
 * integers, else accumulated in precision-64 floats as OPA does. */
tg_err tg_rego_num_fold(struct tg_arena *a, bool product, const struct tg_json *const *items,
			size_t n, const struct tg_json **out, struct tg_diag *d) TG_MUST_CHECK;

/* True when the number's exact value is an integer ("3", "3.0", "3e2"). */
bool tg_rego_num_is_integral(const struct tg_json *v);

/*
 * The exact integer value of an integral number as a new BIGNUM (caller
 * frees). TG_E_TYPE when the value is not an integer; TG_E_TOOBIG past
 * TG_REGO_NUM_DIGITS digits.
 */
tg_err tg_rego_num_to_bn(const struct tg_json *v, BIGNUM **out) TG_MUST_CHECK;

/* A number value holding the decimal form of bn; TG_E_TOOBIG past
 * TG_REGO_NUM_DIGITS digits or the arena's cap. */
tg_err tg_rego_num_from_bn(struct tg_arena *a, const BIGNUM *bn,
			   const struct tg_json **out) TG_MUST_CHECK;

/* Go's strconv.ParseInt(literal, 10, 64) on the literal text: true only for
 * a plain integer literal ("12", "-3", not "1.0" or "1e2") within int64.
 * OPA's IntOperand uses this test. */
bool tg_rego_num_int64_lit(const struct tg_json *v, int64_t *out);

#endif
