/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_bia.h - helpers shared by the built-in files of numbers, compare,
 * collections, encoding and misc: OPA's operand messages, the step
 * budget, result lists and strings from raw bytes. Internal to src/rego.
 */
#ifndef TG_REGO_BIA_H
#define TG_REGO_BIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/json.h"
#include "rego/rego_builtin.h"

/* The largest collection a built-in of these files builds (elements). */
#define TG_REGO_BIA_MAX_ITEMS (16u * 1024 * 1024)

/* "operand i must be <want> but got <type>": TG_E_TYPE. want may be
 * "one of {a, b}". */
tg_err tg_rego_bia_type(struct tg_rego_bctx *c, size_t i, const char *want,
			const struct tg_json *got);

/* "operand i must be <coll> of <want>s but got <coll> containing <type>"
 * (OPA's NewOperandElementErr): TG_E_TYPE. */
tg_err tg_rego_bia_elem(struct tg_rego_bctx *c, size_t i, const struct tg_json *coll,
			const struct tg_json *elem, const char *want);

/* An eval_builtin_error carrying the formatted message: TG_E_INVAL. */
tg_err tg_rego_bia_fail(struct tg_rego_bctx *c, const char *fmt, ...) TG_PRINTF(2, 3);

/* Maps a failure of an internal call (arena full, too large) to its code
 * with a message; returns e. */
tg_err tg_rego_bia_err(struct tg_rego_bctx *c, tg_err e);

/* Subtracts n steps from the evaluation budget (when there is one);
 * TG_E_TOOBIG with a message when it runs out. */
tg_err tg_rego_bia_charge(struct tg_rego_bctx *c, uint64_t n) TG_MUST_CHECK;

/* A growing list of values (in the evaluation's arena) that becomes an
 * array, a set or an object's members. */
struct tg_rego_bia_list {
	struct tg_arena *a;
	const struct tg_json **v;
	size_t len, cap;
};
void tg_rego_bia_list_init(struct tg_rego_bia_list *l, struct tg_arena *a);
tg_err tg_rego_bia_list_add(struct tg_rego_bia_list *l, const struct tg_json *v) TG_MUST_CHECK;
tg_err tg_rego_bia_list_array(const struct tg_rego_bia_list *l,
			      const struct tg_json **out) TG_MUST_CHECK;
tg_err tg_rego_bia_list_set(const struct tg_rego_bia_list *l,
			    const struct tg_json **out) TG_MUST_CHECK;

/* Members for an object built piece by piece. */
struct tg_rego_bia_members {
	struct tg_arena *a;
	struct tg_json_member *m;
	size_t len, cap;
};
void tg_rego_bia_members_init(struct tg_rego_bia_members *l, struct tg_arena *a);
tg_err tg_rego_bia_members_add(struct tg_rego_bia_members *l, const struct tg_json *k,
			       const struct tg_json *v) TG_MUST_CHECK;
/* The object; a repeated key keeps the last value. */
tg_err tg_rego_bia_members_object(const struct tg_rego_bia_members *l,
				  const struct tg_json **out) TG_MUST_CHECK;

/*
 * A string value from n raw bytes. Our strings are UTF-8; where OPA (Go)
 * would carry invalid bytes, each invalid byte becomes U+FFFD, which is
 * what Go shows when it decodes such a string rune by rune.
 */
tg_err tg_rego_bia_str(struct tg_arena *a, const void *p, size_t n,
		       const struct tg_json **out) TG_MUST_CHECK;

/* A number value from an int64. */
tg_err tg_rego_bia_int(struct tg_arena *a, int64_t v, const struct tg_json **out) TG_MUST_CHECK;

/* Sorts n values in place by tg_json_cmp, keeping the order of equal
 * ones (1 and 1.0); scratch space comes from a. */
tg_err tg_rego_bia_sort(struct tg_arena *a, const struct tg_json **v, size_t n) TG_MUST_CHECK;

/* Runes in a valid UTF-8 string. */
size_t tg_rego_bia_runes(const char *s, size_t n);

#endif
