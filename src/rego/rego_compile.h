/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_compile.h - the compile stages shared by rego_compile.c (resolution
 * and rewriting), rego_safety.c (safety, reordering) and rego_check.c
 * (conflicts, arity, types, recursion, with targets, slots).
 */
#ifndef TG_REGO_COMPILE_H
#define TG_REGO_COMPILE_H

#include "rego/rego_ir.h"

/* Every rule of every module, else branches included, in module order. */
#define RG_FOR_EACH_RULE(cc, r, mi, ri)                                                    \
	for ((mi) = 0; (mi) < (cc)->nmods; (mi)++)                                          \
		for ((ri) = 0; (ri) < (cc)->mods[(mi)]->nrules; (ri)++)                       \
			for ((r) = (cc)->mods[(mi)]->rules[(ri)]; (r); (r) = (r)->els)

/* Arity of the function or built-in a call operator names; -1 when none.
 * *variadic tells print()-like built-ins. */
int tg_rego_cc_arity(struct rg_cc *cc, const struct rg_term *op, bool *variadic);

/* The node of the rule tree a data ref (or a function name) names
 * exactly, or NULL. */
struct rg_node *tg_rego_cc_find_node(struct rg_cc *cc, const struct rg_term *ref);

/* ---- rego_safety.c ---- */

/* OPA's safety check: reorders b so that every var is bound before use;
 * globals are the vars known safe. Unsafe vars are reported. */
struct rg_body *tg_rego_safety_body(struct rg_cc *cc, struct rg_body *b, const struct rg_vset *globals);
/* Head vars must appear in the body or the args. */
void tg_rego_safety_head(struct rg_cc *cc, struct rg_rule *r);
/* The vars an expression binds given safe ones (OPA outputVarsForExpr). */
void tg_rego_output_vars_expr(struct rg_cc *cc, const struct rg_expr *e, const struct rg_vset *safe,
			      struct rg_vset *out);
/* The vars `a = b` binds given the safe ones. */
void tg_rego_unify_vars(struct rg_cc *cc, const struct rg_vset *safe, const struct rg_term *a,
			const struct rg_term *b, struct rg_vset *out);

/* ---- rego_check.c ---- */

void tg_rego_check_conflicts(struct rg_cc *cc);
void tg_rego_check_funcs(struct rg_cc *cc, struct rg_body *b);
void tg_rego_check_recursion(struct rg_cc *cc);
void tg_rego_check_types_body(struct rg_cc *cc, struct rg_body *b);
void tg_rego_check_deprecated(struct rg_cc *cc, struct rg_body *b);
/* Validates `with` targets, rewrites values that need evaluation. */
struct rg_body *tg_rego_rewrite_with(struct rg_cc *cc, struct rg_body *b);
/* Final pass: calls resolved, constants folded, vars given frame slots;
 * returns the frame size. */
uint32_t tg_rego_finalize_rule(struct rg_cc *cc, struct rg_rule *r);
uint32_t tg_rego_finalize_body(struct rg_cc *cc, struct rg_body *b, const struct rg_vset *pre,
			       struct rg_vset *slots);
/* Node kinds, subtree rule lists and ids. */
void tg_rego_tree_finish(struct rg_cc *cc);

#endif
