/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builtins_compare.c - the Rego comparison operators (==, !=, <, <=, >,
 * >=) over OPA's total order of values (tg_json_cmp): numbers by exact
 * value, then null < boolean < number < string < array < object < set.
 */
#include "rego/rego_builtin.h"

enum cmp_op { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE };

static tg_err compare(const struct tg_json *const *args, enum cmp_op op,
		      const struct tg_json **out)
{
	int r = tg_json_cmp(args[0], args[1]);
	bool v;
	switch (op) {
	case C_EQ:
		v = r == 0;
		break;
	case C_NE:
		v = r != 0;
		break;
	case C_LT:
		v = r < 0;
		break;
	case C_LE:
		v = r <= 0;
		break;
	case C_GT:
		v = r > 0;
		break;
	case C_GE:
	default:
		v = r >= 0;
		break;
	}
	*out = tg_json_bool(v);
	return TG_OK;
}

#define CMP_FN(fname, op)                                                                         \
	static tg_err fname(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs, \
			    const struct tg_json **out)                                           \
	{                                                                                         \
		(void)c;                                                                          \
		(void)nargs;                                                                      \
		return compare(args, op, out);                                                    \
	}

CMP_FN(bi_equal, C_EQ)
CMP_FN(bi_neq, C_NE)
CMP_FN(bi_lt, C_LT)
CMP_FN(bi_lte, C_LE)
CMP_FN(bi_gt, C_GT)
CMP_FN(bi_gte, C_GE)

#define CMP_DECL "(any, any) => boolean"

const struct tg_rego_builtin tg_rego_builtins_compare[] = {
	{"equal", "==", 2, CMP_DECL, bi_equal, 0},
	{"neq", "!=", 2, CMP_DECL, bi_neq, 0},
	{"lt", "<", 2, CMP_DECL, bi_lt, 0},
	{"lte", "<=", 2, CMP_DECL, bi_lte, 0},
	{"gt", ">", 2, CMP_DECL, bi_gt, 0},
	{"gte", ">=", 2, CMP_DECL, bi_gte, 0},
	{NULL, NULL, 0, NULL, NULL, 0},
};
