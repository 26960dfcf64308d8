/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_ast.h - the abstract syntax of Rego modules and queries, shared by
 * the parser (rego_parse.c), the compiler and the evaluator. Internal to
 * src/rego; every node lives in the arena of the module or query.
 */
#ifndef TG_REGO_AST_H
#define TG_REGO_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/json.h"

/*
 * Conventions (OPA's):
 * - Operators are calls: `x = y` is a call to "eq", `x := y` to "assign",
 *   `x == y` "equal", `!=` "neq", `<` "lt", `<=` "lte", `>` "gt", `>=`
 *   "gte", `+` "plus", `-` "minus", `*` "mul", `/` "div", `%` "rem", `&`
 *   "and", `|` "or", `x in xs` "internal.member_2", `k, v in xs`
 *   "internal.member_3". The operator is args[0] of the call: a var term
 *   ("plus") or a ref term ("io.jwt.decode", "data.lib.f").
 * - `input`, `data` and imported names are plain vars/refs; the compiler
 *   resolves them.
 * - `_` is a var named "_"; the compiler makes each occurrence unique.
 * - Strings are decoded (escapes resolved, raw strings as written);
 *   numbers keep their literal text (tg_json numbers).
 *
 * What the parser produces (rego_parse.c; notes added by the parser):
 * - A bare `input` or `data` is a ref of one item (OPA's RefTerm), other
 *   bare names are vars. A call's operator is a var when it is one name
 *   ("count", "plus") and a ref otherwise ("io.jwt.decode").
 * - `set()` is an empty TG_RT_SET; `{}` an empty object.
 * - module.package is always a ref: `package a.b` -> (ref a "b"),
 *   `package a` -> (ref a).
 * - rule.body is never NULL; n == 0 means the body was not written
 *   (`p := 1`, `default p := 1`, `p contains 1`, `else := 2`). A rule
 *   body's loc is its `{`, or its one expression (`p if x > 1`).
 * - rule.value NULL means `true` was not written (`p if {...}`,
 *   `f(x) {...}`, `p[x] if {...}`); multi-value rules have key set, multi
 *   true and value NULL; `p[k] = v {...}` (v0) is the single-value rule
 *   with ref p[k].
 * - Else rules share ref/args with their rule; `p {a} {b}` (v0) becomes
 *   two rules with equal heads, each its own statement.
 * - TG_RT_TEMPLATE items alternate text and expression: items[0], [2],
 *   ... are strings (possibly empty), items[1], [3], ... terms; n is odd.
 * - module.v1 is true for v1 modules and for v0 modules that import
 *   rego.v1 (which then follow v1's rules).
 */

struct tg_rego_body;
struct tg_rego_module;

struct tg_rego_loc {
	const char *file; /* as given to the parser; "" for queries */
	uint32_t row;     /* 1-based */
	uint32_t col;     /* 1-based, in bytes */
};

enum tg_rego_term_kind {
	TG_RT_SCALAR = 0,     /* null, boolean, number or string: u.value */
	TG_RT_VAR,            /* u.var */
	TG_RT_REF,            /* u.ref: items[0] is the head (a var, call, or
			       * composite); items[1..] the path: strings for
			       * `.name`, any term for `[t]` */
	TG_RT_ARRAY,          /* u.coll */
	TG_RT_SET,            /* u.coll */
	TG_RT_OBJECT,         /* u.coll: items alternate key, value (n even) */
	TG_RT_ARRAY_COMPR,    /* u.compr: value, body */
	TG_RT_SET_COMPR,      /* u.compr: value, body */
	TG_RT_OBJECT_COMPR,   /* u.compr: key, value, body */
	TG_RT_CALL,           /* u.coll: items[0] operator (var or ref), then args */
	TG_RT_TEMPLATE,       /* u.coll: template string $"a {x} b": parts alternate
			       * literal strings (scalars) and expressions; optional */
};

struct tg_rego_term {
	uint8_t kind;              /* enum tg_rego_term_kind */
	struct tg_rego_loc loc;
	union {
		const struct tg_json *value;
		struct {
			const char *name; /* NUL-terminated */
			size_t len;
		} var;
		struct {
			struct tg_rego_term **items;
			size_t n;
		} ref;
		struct {
			struct tg_rego_term **items;
			size_t n;
		} coll;
		struct {
			struct tg_rego_term *key;   /* object comprehensions only */
			struct tg_rego_term *value;
			struct tg_rego_body *body;
		} compr;
	} u;
};

enum tg_rego_expr_kind {
	TG_RE_TERM = 0,   /* a term (a call for operators and function calls) */
	TG_RE_SOME_DECL,  /* `some x, y`: some.vars */
	TG_RE_SOME_IN,    /* `some v in xs` / `some k, v in xs`: key may be NULL */
	TG_RE_EVERY,      /* `every v in xs { body }` / `every k, v in xs { ... }` */
};

struct tg_rego_with {
	struct tg_rego_term *target; /* input, data..., or a function/built-in name */
	struct tg_rego_term *value;
	struct tg_rego_loc loc;
};

struct tg_rego_expr {
	uint8_t kind;         /* enum tg_rego_expr_kind */
	bool negated;         /* `not` */
	struct tg_rego_loc loc;
	struct tg_rego_term *term;                /* TG_RE_TERM */
	struct {
		struct tg_rego_term **vars;       /* TG_RE_SOME_DECL */
		size_t n;
		struct tg_rego_term *key;         /* TG_RE_SOME_IN / TG_RE_EVERY: may be NULL */
		struct tg_rego_term *value;
		struct tg_rego_term *domain;
		struct tg_rego_body *body;        /* TG_RE_EVERY */
	} q;
	struct tg_rego_with **with;
	size_t nwith;
	uint32_t index;       /* position in its body */
};

struct tg_rego_body {
	struct tg_rego_expr **exprs;
	size_t n;             /* 0: the body `true` */
	struct tg_rego_loc loc;
};

struct tg_rego_rule {
	struct tg_rego_loc loc;
	/* head */
	struct tg_rego_term *ref;     /* the rule's name: a var ("p") or a ref
				       * ("p.q[r]") relative to the package */
	struct tg_rego_term **args;   /* function rules: parameter terms */
	size_t nargs;
	bool is_func;
	struct tg_rego_term *key;     /* `p contains x` / v0 `p[x]` (multi-value) */
	bool multi;                   /* multi-value (partial set) rule */
	struct tg_rego_term *value;   /* `= v` / `:= v`; NULL means `true` */
	bool assign;                  /* `:=` */
	bool is_default;
	/* body; an empty body is `true` */
	struct tg_rego_body *body;
	struct tg_rego_rule *els;     /* `else [= v] { ... }` chain */
	/* links */
	struct tg_rego_module *module;
	const struct tg_json *annotations; /* METADATA comment block (YAML
					    * parsed to JSON) or NULL: the block
					    * right before this rule, as OPA's
					    * rego.metadata.rule() shows it, with
					    * "scope" ("rule" or "document"; a
					    * document block applies to every
					    * rule of the same ref) */
};

struct tg_rego_import {
	struct tg_rego_term *path;    /* a ref: data.x.y / input.z / future.keywords.in / rego.v1 */
	const char *alias;            /* `as name`, or NULL */
	struct tg_rego_loc loc;
};

struct tg_rego_module {
	const char *file;
	bool v1;                      /* parsed as Rego v1 */
	struct tg_rego_term *package; /* ref without the data prefix: `package a.b` -> a.b */
	struct tg_rego_loc package_loc;
	const struct tg_json *package_annotations; /* scope "package" or
						    * "subpackages" */
	struct tg_rego_import **imports;
	size_t nimports;
	struct tg_rego_rule **rules;
	size_t nrules;
	/* comments (for fmt): text after '#', with locations */
	struct {
		const char *text;
		struct tg_rego_loc loc;
	} *comments;
	size_t ncomments;
};

/* A parse or compile error: OPA's codes and file:row:col. */
struct tg_rego_error {
	const char *code;             /* "rego_parse_error", "rego_compile_error", ... */
	char msg[512];
	struct tg_rego_loc loc;
};

#define TG_REGO_V0 0
#define TG_REGO_V1 1

/*
 * Parses one module (text of n bytes, named file) into nodes allocated in
 * a. version is TG_REGO_V0 or TG_REGO_V1; a v0 module that imports rego.v1
 * is parsed with v1 keywords (and v1 rules are required from then on).
 * On error fills err (code rego_parse_error, location) and returns
 * TG_E_PARSE.
 */
tg_err tg_rego_parse_module(struct tg_arena *a, const char *file, const char *text, size_t n,
			    int version, struct tg_rego_module **out,
			    struct tg_rego_error *err) TG_MUST_CHECK;

/* Parses a query (a body: expressions separated by ';' or newlines). */
tg_err tg_rego_parse_query(struct tg_arena *a, const char *text, size_t n, int version,
			   struct tg_rego_body **out, struct tg_rego_error *err) TG_MUST_CHECK;

/* Parses a Rego term written as text (for input_term in test cases and
 * `with` values): composite values may contain sets. */
tg_err tg_rego_parse_term(struct tg_arena *a, const char *text, size_t n, int version,
			  struct tg_rego_term **out, struct tg_rego_error *err) TG_MUST_CHECK;

/* Formats a module in `opa fmt` style (Rego v1 syntax; comments kept).
 * TG_E_UNSUPPORTED when a v0 module uses a v1 keyword (in, if, every) as
 * a name, which v1 syntax cannot express; out is then unchanged. */
tg_err tg_rego_format_module(const struct tg_rego_module *m, struct tg_buf *out) TG_MUST_CHECK;

/*
 * Added by the parser (rego_fmt.c): appends a term, an expression or a
 * body (expressions joined by "; ") as Rego source that parses back to
 * the same AST (v1 syntax). For messages and tests. On error out is
 * restored to its previous length; TG_E_TOOBIG when out's cap is reached,
 * TG_E_DEPTH past TG_LIMIT_REGO_PARSE_DEPTH nesting.
 */
tg_err tg_rego_format_term(const struct tg_rego_term *t, struct tg_buf *out) TG_MUST_CHECK;
tg_err tg_rego_format_expr(const struct tg_rego_expr *e, struct tg_buf *out) TG_MUST_CHECK;
tg_err tg_rego_format_body(const struct tg_rego_body *b, struct tg_buf *out) TG_MUST_CHECK;

#endif
