/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builtins_time.c - Rego built-in functions of the time group (see
 * rego_builtin.h for the table format). Filled in group by group.
 */
#include "rego/rego_builtin.h"

const struct tg_rego_builtin tg_rego_builtins_time[] = {
	{NULL, NULL, 0, NULL, NULL, 0},
};
