/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_internal.h - what the compiler and the evaluator of src/rego share:
 * the intermediate form that the compile stages rewrite (terms, expressions,
 * bodies, rules), the rule tree, compiled policies and prepared queries.
 */
#ifndef TG_REGO_INTERNAL_H
#define TG_REGO_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "rego/rego.h"
#include "rego/rego_ast.h"
#include "rego/rego_builtin.h"

/*
 * The intermediate form follows OPA's AST after its compile stages: every
 * operator is a call, `_` and `:=` vars have unique generated names, nested
 * calls are separate expressions with an output var, refs and comprehensions
 * inside composites are bound to vars before use, and bodies are ordered for
 * safety. Var names are interned per compilation, so names compare by
 * pointer. Once compiled nothing changes: policies are shared by threads.
 */

enum rg_kind {
	RG_VAL = 0, /* a ground value: u.v */
	RG_VAR,     /* u.var */
	RG_REF,     /* u.c: items[0] the head, items[1..] the path */
	RG_ARR,     /* u.c */
	RG_OBJ,     /* u.c: key, value, key, value... */
	RG_SET,     /* u.c */
	RG_ACOMP,   /* u.k: val, body */
	RG_SCOMP,   /* u.k: val, body */
	RG_OCOMP,   /* u.k: key, val, body */
	RG_CALL,    /* u.c: items[0] the operator (a var or ref), then the args */
};

#define RG_F_DATA 0x01  /* var: the root document `data` */
#define RG_F_INPUT 0x02 /* var: the root document `input` */
#define RG_F_GEN 0x04   /* var: generated (wildcard or __local), hidden in output */

struct rg_body;
struct rg_node;
struct rg_rule;

struct rg_term {
	uint8_t kind; /* enum rg_kind */
	uint8_t flags;
	int32_t slot; /* var: frame slot after slot assignment, -1 before */
	struct tg_rego_loc loc;
	union {
		const struct tg_json *v;
		const char *var; /* interned name */
		struct {
			struct rg_term **items;
			uint32_t n;
		} c;
		struct {
			struct rg_term *key; /* object comprehensions only */
			struct rg_term *val;
			struct rg_body *body;
		} k;
	} u;
	/* call: what the operator resolved to (one of them) */
	const struct tg_rego_builtin *bi;
	struct rg_node *fn;
};

enum rg_expr_kind {
	RG_EX_TERM = 0, /* t is a term, or a call (RG_CALL) */
	RG_EX_SOME,     /* `some x, y` (removed by local var rewriting) */
	RG_EX_SOMEIN,   /* `some k, v in d` (rewritten to `v = d[k]`) */
	RG_EX_EVERY,    /* every key, val in domain { body } */
};

struct rg_with {
	struct rg_term *target;
	struct rg_term *value;
	struct tg_rego_loc loc;
	/* resolved at compile time */
	uint8_t kind;                     /* RG_W_* */
	const struct tg_json *path;       /* input/data: array of the keys after the root */
	const struct tg_rego_builtin *bi; /* RG_W_BUILTIN: replaced built-in */
	struct rg_node *fn;               /* RG_W_FUNC: replaced function */
	const struct tg_rego_builtin *vbi; /* value is a built-in ... */
	struct rg_node *vfn;              /* ... or a function (else a value) */
};

#define RG_W_INPUT 1
#define RG_W_DATA 2
#define RG_W_BUILTIN 3
#define RG_W_FUNC 4

struct rg_expr {
	uint8_t kind; /* enum rg_expr_kind */
	bool negated;
	bool generated;
	struct tg_rego_loc loc;
	struct rg_term *t;
	/* some / some-in / every */
	struct rg_term **vars;
	uint32_t nvars;
	struct rg_term *key, *val, *domain;
	struct rg_body *body;
	struct rg_with **with;
	uint32_t nwith;
	const char *text;   /* query expressions: the source text, for output */
	const char *capvar; /* query expressions: the var that captures the value */
	int32_t capture;    /* ... and its slot; -1 when the value is true */
};

struct rg_body {
	struct rg_expr **e;
	uint32_t n, cap;
	struct tg_rego_loc loc;
};

enum rg_rule_kind {
	RG_RK_SINGLE = 0, /* single value (complete, or partial object via a ref with vars) */
	RG_RK_MULTI,      /* multi value (`contains`, v0 partial set) */
	RG_RK_FUNC,       /* function */
};

struct rg_module {
	const char *file;
	bool v1;
	struct rg_term *package; /* ref data.a.b */
	struct tg_rego_loc package_loc;
	const struct tg_json *package_annotations;
	struct rg_import {
		struct rg_term *path;
		const char *alias; /* interned name the import binds, or NULL */
		struct tg_rego_loc loc;
	} *imports;
	uint32_t nimports;
	struct rg_rule **rules;
	uint32_t nrules;
};

struct rg_rule {
	struct tg_rego_loc loc;
	struct rg_module *mod;
	uint8_t kind;            /* enum rg_rule_kind */
	bool is_default;
	bool assign;
	bool is_else;
	struct rg_term *ref;     /* full ref: data.pkg.name... */
	uint32_t ground;         /* length of the ref's ground prefix */
	struct rg_term **args;   /* functions */
	uint32_t nargs;
	struct rg_term *key;     /* multi value */
	struct rg_term *value;   /* never NULL after compiling (true) */
	struct rg_body *body;
	struct rg_rule *els;     /* else chain */
	const struct tg_json *annotations;
	struct rg_node *node;
	uint32_t nslots;         /* frame size (shared by the else chain) */
	uint32_t id;
	bool const_value;        /* value is ground: stop after the first solution */
};

enum rg_node_kind {
	RG_NK_NONE = 0, /* no rules here (a package or a path to rules) */
	RG_NK_COMPLETE, /* single-value rules with a ground ref */
	RG_NK_MULTI,    /* multi-value rules with a ground ref: a set */
	RG_NK_GENERAL,  /* rules with vars in their ref after this node: an object */
	RG_NK_FUNC,     /* functions */
};

struct rg_node {
	const struct tg_json *key; /* NULL for the root (data) */
	struct rg_node *parent;
	struct rg_node **kids;     /* sorted by key */
	uint32_t nkids, capkids;
	struct rg_rule **rules;    /* rules whose ground prefix ends here (not default) */
	uint32_t nrules, caprules;
	struct rg_rule *deflt;
	uint8_t kind;              /* enum rg_node_kind */
	bool has_rules;            /* rules here or below */
	bool hide;                 /* data.system */
	uint32_t id;               /* index into per-evaluation memo tables */
	uint32_t depth;            /* keys from the root */
	uint32_t arity;            /* functions */
	struct rg_rule **all;      /* RG_NK_GENERAL: the rules of the subtree */
	uint32_t nall;
	const struct tg_json *path; /* array of the keys from the root */
};

/* Compile-time var interning: one table per compilation. */
struct rg_strtab {
	const char **slot;
	size_t cap, n;
};

/* ---- compiled policy and prepared query ---- */

struct tg_rego_policy {
	_Atomic long refs;
	struct tg_arena arena;       /* everything below */
	struct rg_node *root;        /* data */
	const struct tg_json *data;  /* base documents */
	uint32_t nnodes;
	uint32_t maxdepth;           /* deepest node of the rule tree */
	struct rg_module **mods;
	uint32_t nmods;
	struct rg_strtab names;      /* interned var names (read-only after compile) */
	uint32_t nextgen;            /* generated var counter after compile */
	unsigned caps;               /* TG_REGO_CAP_* the policy was compiled for */
};

struct tg_rego_query {
	struct tg_rego_policy *policy; /* a reference */
	struct tg_arena arena;
	struct rg_body *body;
	uint32_t nslots;
	/* output: the expressions as written and the vars that are bound */
	struct rg_expr **orig;  /* original (top-level) expressions for "expressions" */
	uint32_t norig;
	struct {
		const char *name; /* as the user wrote it */
		const char *var;  /* the interned (maybe generated) name */
		int32_t slot;
	} *vars;
	uint32_t nvars;
	const char *text;
};

/* ---- compiler entry points (rego_compile.c) ---- */

struct rg_cc; /* compile state */

/* Compiles the modules into p (whose arena receives everything); errors
 * are appended to errs. */
tg_err tg_rego_compile_modules(struct tg_rego_policy *p, const struct tg_rego_module *const *mods,
			       size_t n, struct tg_rego_errors *errs) TG_MUST_CHECK;

/* Compiles a query body against a compiled policy into q. */
tg_err tg_rego_compile_query(struct tg_rego_query *q, const struct tg_rego_body *body,
			     const char *text, size_t n, struct tg_rego_errors *errs) TG_MUST_CHECK;

/* ---- helpers shared by the compiler and the evaluator ---- */

/* Appends a Rego rendering of t (for messages): refs as a.b[c], values as
 * JSON; capped at a few hundred bytes. */
void tg_rego_term_print(struct tg_buf *b, const struct rg_term *t);

/* Formats a value the way OPA prints it in messages and print(): strings
 * raw when top-level raw is set, sets as {a, b}. */
tg_err tg_rego_value_print(struct tg_buf *b, const struct tg_json *v, bool raw) TG_MUST_CHECK;

/* The language-level built-ins that are not in the groups of
 * rego_builtin.h: eq, assign, internal.member_2/3, print, internal.print,
 * rego.metadata.chain/rule. */
const struct tg_rego_builtin *tg_rego_lang_find(const char *name, size_t n);

/* Finds a built-in in the language table, then the groups. */
const struct tg_rego_builtin *tg_rego_builtin_lookup(const char *name, size_t n);

/* Type declarations (rego_types.c). */
struct rg_type;
/* Parses a decl string into the argument types and result; NULL on a
 * malformed declaration (then the call is not checked). */
const struct rg_type *tg_rego_decl_parse(struct tg_arena *a, const char *decl, int *arity,
					 bool *variadic);

/* Node lookup in the rule tree by a child key. */
struct rg_node *tg_rego_node_child(const struct rg_node *n, const struct tg_json *key);

#endif
