/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json_internal.h - pieces shared by json.c, json_parse.c and json_emit.c:
 * the decomposition of number literals and object construction.
 */
#ifndef TG_CORE_JSON_INTERNAL_H
#define TG_CORE_JSON_INTERNAL_H

#include "core/json.h"
#include "core/limits.h"

/* Exponents beyond this magnitude are rejected when a literal is parsed,
 * so that exact comparison works in 64-bit arithmetic. */
#define TG_NUM_EXP_MAX 999999999LL

/* A number literal taken apart: value = (-1)^neg x 0.D1..Dndig x 10^point,
 * where D are the significant digits (no leading or trailing zeros). */
struct tg_numparts {
	bool neg;
	const char *ip; /* integer digits */
	size_t in;
	const char *fp; /* fraction digits, NULL when absent */
	size_t fn;
	int64_t exp;    /* the literal's exponent */
	size_t lead;    /* leading zeros skipped over int+frac digits */
	size_t ndig;    /* significant digits */
	int64_t point;  /* decimal exponent of 0.D1D2... */
};

/* Digit i of the concatenated int and frac digits. */
static inline char tg_numparts_digit_raw(const struct tg_numparts *np, size_t i)
{
	return i < np->in ? np->ip[i] : np->fp[i - np->in];
}

/* Significant digit i (0-based). */
static inline char tg_numparts_digit(const struct tg_numparts *np, size_t i)
{
	return tg_numparts_digit_raw(np, np->lead + i);
}

/* Splits a literal that tg_json_numlit_valid accepted; false when its
 * exponent exceeds TG_NUM_EXP_MAX. */
bool tg_numlit_split(const char *s, size_t n, struct tg_numparts *np);

/* Sorts members by key (stable). */
void tg_json_sort_members(struct tg_json_member *m, size_t n);

/* Sorts m in place and applies dup (drops all but the last of equal keys,
 * or TG_E_DUPKEY with *dup_index as below); *k gets the members left. */
tg_err tg_json_members_settle(struct tg_json_member *m, size_t n, enum tg_json_dup dup, size_t *k,
			      size_t *dup_index);

/* Sorts m in place, applies dup, and copies the result into a new object.
 * On TG_E_DUPKEY, *dup_index (may be NULL) gets the index, in the sorted
 * array, of the first of two equal keys. */
tg_err tg_json_object_finish(struct tg_arena *a, struct tg_json_member *m, size_t n,
			     enum tg_json_dup dup, const struct tg_json **out,
			     size_t *dup_index);

#endif
