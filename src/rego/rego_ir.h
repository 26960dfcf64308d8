/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_ir.h - building and walking the intermediate form of the compiler:
 * the compile state, var interning, constructors, the conversion from the
 * parser's AST, var sets and visitors. Shared by the rego_compile*.c files.
 */
#ifndef TG_REGO_IR_H
#define TG_REGO_IR_H

#include "rego/rego_internal.h"

struct rg_vset {
	const char **v;
	uint32_t n, cap;
};

/* Generated-name to user-name pairs, for messages. */
struct rg_rewritten {
	const char *gen, *orig;
};

struct rg_cc {
	struct tg_arena *a;      /* the IR (policy or query arena) */
	struct tg_arena tmp;     /* scratch, released after compiling */
	struct tg_rego_policy *p;
	struct rg_strtab *names;
	struct tg_rego_errors *errs;
	uint32_t gen;            /* generated var counter */
	struct rg_rewritten *rw;
	uint32_t nrw, caprw;
	struct rg_module **mods;
	uint32_t nmods;
	const char *curfile;     /* file of the module being converted */
	bool query;
	bool oom;                /* an arena cap was hit */
	/* interned names used everywhere */
	const char *n_data, *n_input, *n_eq, *n_assign, *n_equal, *n_wild, *n_print,
		*n_iprint, *n_member2, *n_member3, *n_future, *n_rego;
};

/* Message text: a full buffer only truncates the message. */
static inline void rg_puts(struct tg_buf *b, const char *s)
{
	if (tg_buf_adds(b, s) != TG_OK)
		return;
}
static inline void rg_putc(struct tg_buf *b, char c)
{
	if (tg_buf_addc(b, (uint8_t)c) != TG_OK)
		return;
}
static inline void rg_putn(struct tg_buf *b, const char *s, size_t n)
{
	if (tg_buf_add(b, s, n) != TG_OK)
		return;
}

/* ---- names ---- */
const char *tg_rego_intern(struct rg_cc *cc, const char *s, size_t n);
const char *tg_rego_gen_local(struct rg_cc *cc);  /* "__localN__" */
const char *tg_rego_gen_wild(struct rg_cc *cc);   /* "$N" */
bool tg_rego_name_generated(const char *name);
bool tg_rego_name_wildcard(const char *name);
void tg_rego_rewritten_add(struct rg_cc *cc, const char *gen, const char *orig);
/* The user's name for a var (generated names map back). */
const char *tg_rego_user_name(const struct rg_cc *cc, const char *name);

/* ---- constructors (allocate in cc->a; on the cap they set cc->oom and
 * return a static dummy, so callers need not check every call) ---- */
void *tg_rego_alloc(struct rg_cc *cc, size_t n);
struct rg_term *tg_rego_t_new(struct rg_cc *cc, uint8_t kind, const struct tg_rego_loc *loc);
struct rg_term *tg_rego_t_var(struct rg_cc *cc, const char *name, const struct tg_rego_loc *loc);
struct rg_term *tg_rego_t_val(struct rg_cc *cc, const struct tg_json *v, const struct tg_rego_loc *loc);
struct rg_term *tg_rego_t_str(struct rg_cc *cc, const char *s, const struct tg_rego_loc *loc);
struct rg_term *tg_rego_t_coll(struct rg_cc *cc, uint8_t kind, uint32_t n, const struct tg_rego_loc *loc);
struct rg_term *tg_rego_t_copy(struct rg_cc *cc, const struct rg_term *t);
struct rg_expr *tg_rego_e_new(struct rg_cc *cc, const struct tg_rego_loc *loc);
struct rg_expr *tg_rego_e_copy(struct rg_cc *cc, const struct rg_expr *e);
/* `a = b` (a generated expression when gen) */
struct rg_expr *tg_rego_e_eq(struct rg_cc *cc, struct rg_term *a, struct rg_term *b, bool gen,
			     const struct tg_rego_loc *loc);
struct rg_body *tg_rego_b_new(struct rg_cc *cc, const struct tg_rego_loc *loc);
void tg_rego_b_append(struct rg_cc *cc, struct rg_body *b, struct rg_expr *e);
struct rg_body *tg_rego_b_copy(struct rg_cc *cc, const struct rg_body *b);
/* A call term op(args...) where op is a var name. */
struct rg_term *tg_rego_t_call(struct rg_cc *cc, const char *op, uint32_t nargs,
			       const struct tg_rego_loc *loc);

/* ---- conversion from the AST ---- */
/* A deep copy of v in a; NULL past the cap. */
const struct tg_json *tg_rego_json_copy(struct tg_arena *a, const struct tg_json *v, unsigned depth);
struct rg_term *tg_rego_ir_term(struct rg_cc *cc, const struct tg_rego_term *t);
struct rg_body *tg_rego_ir_body(struct rg_cc *cc, const struct tg_rego_body *b);
struct rg_module *tg_rego_ir_module(struct rg_cc *cc, const struct tg_rego_module *m);

/* ---- queries on terms ---- */
bool tg_rego_t_is_var(const struct rg_term *t, const char *name);
bool tg_rego_t_scalar(const struct rg_term *t);   /* null/bool/number/string */
bool tg_rego_t_ground(const struct rg_term *t);   /* no vars, refs, calls, comprehensions */
bool tg_rego_t_is_compr(const struct rg_term *t);
bool tg_rego_t_requires_eval(const struct rg_term *t); /* contains refs or comprehensions */
bool tg_rego_t_contains_call(const struct rg_term *t);
bool tg_rego_t_eq(const struct rg_term *a, const struct rg_term *b);
/* The ref's root: data, input or a plain var. */
bool tg_rego_ref_is_data(const struct rg_term *t);
bool tg_rego_ref_is_input(const struct rg_term *t);
/* expr `a = b` / `a := b` with two operands */
bool tg_rego_e_is_eq(const struct rg_cc *cc, const struct rg_expr *e);
bool tg_rego_e_is_assign(const struct rg_cc *cc, const struct rg_expr *e);
bool tg_rego_e_is_call(const struct rg_expr *e);
/* The operator name of a call ("count", "data.a.f"); "" when not a name. */
const char *tg_rego_call_name(struct rg_cc *cc, const struct rg_term *call, struct tg_buf *tmp);

/* ---- var sets ---- */
/* Makes room for one more element in a vector of n used and *cap allocated
 * elements of elem bytes in the compiler's scratch arena (first: the first
 * capacity). Returns the vector, moved when it grew; NULL and cc->oom when
 * the arena is exhausted (the old vector is left as it was). */
void *tg_rego_tmp_grow(struct rg_cc *cc, void *v, uint32_t n, uint32_t *cap, size_t elem,
		       uint32_t first);
void tg_rego_vs_add(struct rg_cc *cc, struct rg_vset *s, const char *v);
bool tg_rego_vs_has(const struct rg_vset *s, const char *v);
void tg_rego_vs_union(struct rg_cc *cc, struct rg_vset *s, const struct rg_vset *o);
void tg_rego_vs_copy(struct rg_cc *cc, struct rg_vset *dst, const struct rg_vset *src);
/* vars of s not in o */
void tg_rego_vs_diff(struct rg_cc *cc, struct rg_vset *out, const struct rg_vset *s,
		     const struct rg_vset *o);
void tg_rego_vs_remove(struct rg_vset *s, const char *v);

/* Var visitor parameters (OPA's VarVisitorParams). */
#define RG_VV_SKIP_REF_HEAD 0x01      /* the head var of refs */
#define RG_VV_SKIP_REF_CALL_HEAD 0x02 /* ref heads and call operators */
#define RG_VV_SKIP_CLOSURES 0x04      /* comprehension and every bodies */
#define RG_VV_SKIP_SETS 0x08
#define RG_VV_SKIP_OBJECT_KEYS 0x10
#define RG_VV_SKIP_WITH_TARGET 0x20

/* Adds the vars of t / e / b to s (root documents data/input excluded). */
void tg_rego_vars_term(struct rg_cc *cc, const struct rg_term *t, unsigned params, struct rg_vset *s);
void tg_rego_vars_expr(struct rg_cc *cc, const struct rg_expr *e, unsigned params, struct rg_vset *s);
void tg_rego_vars_body(struct rg_cc *cc, const struct rg_body *b, unsigned params, struct rg_vset *s);
void tg_rego_vars_with(struct rg_cc *cc, const struct rg_with *w, unsigned params, struct rg_vset *s);

/* Prints t with generated names mapped back to the user's. */
void tg_rego_term_print_cc(const struct rg_cc *cc, struct tg_buf *b, const struct rg_term *t);

/* Adds a compile error. */
void tg_rego_cc_err(struct rg_cc *cc, const char *code, const struct tg_rego_loc *loc,
		    const char *fmt, ...) TG_PRINTF(4, 5);

#endif
