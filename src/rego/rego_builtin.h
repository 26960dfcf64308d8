/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_builtin.h - the interface between the evaluator and built-in
 * functions: one table entry per built-in (name, arity, type declaration,
 * implementation), grouped by file. Internal to src/rego.
 */
#ifndef TG_REGO_BUILTIN_H
#define TG_REGO_BUILTIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/json.h"

struct tg_rego_options;

/* What a built-in may use during one call. */
struct tg_rego_bctx {
	struct tg_arena *a;       /* results and temporaries: the evaluation's arena */
	struct tg_diag *d;        /* message on error (no "name:" prefix needed) */
	const char *name;         /* the built-in's name, for messages */
	int64_t now_ns;           /* time.now_ns of this evaluation (fixed per query) */
	bool strict;              /* --strict-builtin-errors (informational) */
	unsigned caps;            /* TG_REGO_CAP_*: what the policy is allowed to do */
	uint64_t *budget;         /* evaluation steps left: built-ins that loop over
				   * large inputs subtract their work and fail with
				   * TG_E_TOOBIG when it reaches 0 */
	void *cache;              /* per-query cache for nondeterministic built-ins
				   * (rand.intn, uuid.rfc4122 return the same value for
				   * the same arguments within one query); see
				   * tg_rego_bcache_* */
	const struct tg_rego_options *opts; /* the evaluation's options (allow_net,
					     * http_max_body), or NULL */
};

#define TG_REGO_CAP_NET 0x01      /* http.send, net.lookup_ip_addr may reach the network */

/*
 * A built-in: args are ground values (never NULL), nargs == arity.
 * Returns TG_OK with *out set, or TG_OK with *out = NULL for "undefined".
 * Errors: TG_E_TYPE for an operand of the wrong type (reported as
 * eval_type_error, message as OPA prints it, e.g. "operand 1 must be string
 * but got number"); any other code is an eval_builtin_error (message in d,
 * e.g. "divide by zero"). Unless strict, the evaluator turns errors into
 * undefined, as OPA does.
 */
typedef tg_err (*tg_rego_bfn)(struct tg_rego_bctx *c, const struct tg_json *const *args,
			      size_t nargs, const struct tg_json **out);

#define TG_RB_RELATION 0x01 /* *out is an array of results, each a solution (walk) */
#define TG_RB_NONDET 0x02   /* nondeterministic (time.now_ns, rand.intn, uuid, http.send) */
#define TG_RB_NET 0x04      /* needs TG_REGO_CAP_NET, else eval_builtin_error */
#define TG_RB_DEPRECATED 0x08 /* removed from Rego v1 (OPA v1 compiles it only for v0
			     * modules): all, any, cast_*, set_diff, re_match,
			     * net.cidr_overlap */

struct tg_rego_builtin {
	const char *name;   /* "count", "startswith", "io.jwt.decode", "plus" */
	const char *infix;  /* "+" for plus, NULL for most */
	int arity;          /* number of operands (the output is not counted); -1: variadic */
	/*
	 * Type declaration in OPA's notation, for the compile-time type checker
	 * (rego_type_error) and `opa capabilities`-like listings:
	 *   "(string, string) => boolean"
	 *   "(any<array[any], object[any: any], set[any], string>) => number"
	 * Types: any, null, boolean, number, string, array[T], set[T],
	 * object[K: V], any<T1, T2, ...> (a union). A trailing "..." in the
	 * operand list marks variadic.
	 */
	const char *decl;
	tg_rego_bfn fn;
	unsigned flags;     /* TG_RB_* */
};

/* Each file of built-ins exports one table ending with a {NULL} entry;
 * rego_builtins.c lists the tables and looks names up. */
extern const struct tg_rego_builtin tg_rego_builtins_numbers[];   /* arithmetic, aggregates, numbers.*, bits.* */
extern const struct tg_rego_builtin tg_rego_builtins_compare[];   /* equal, neq, lt, ... */
extern const struct tg_rego_builtin tg_rego_builtins_collections[]; /* arrays, sets, objects, types, walk */
extern const struct tg_rego_builtin tg_rego_builtins_strings[];   /* strings, sprintf, regex, glob, units */
extern const struct tg_rego_builtin tg_rego_builtins_encoding[];  /* json, yaml, base64, hex, urlquery */
extern const struct tg_rego_builtin tg_rego_builtins_time[];      /* time.* */
extern const struct tg_rego_builtin tg_rego_builtins_crypto[];    /* crypto.*, io.jwt.*, x509 */
extern const struct tg_rego_builtin tg_rego_builtins_net[];       /* net.cidr_*, http.send, net.lookup_ip_addr */
extern const struct tg_rego_builtin tg_rego_builtins_misc[];      /* semver, graph, uuid, rand, opa.runtime, trace */
extern const struct tg_rego_builtin tg_rego_builtins_aws[];       /* providers.aws.sign_req */
extern const struct tg_rego_builtin tg_rego_builtins_astjson[];   /* rego.parse_module */
extern const struct tg_rego_builtin tg_rego_builtins_graphql[];   /* graphql.* */

/* Looks a built-in up by name (n bytes); NULL when there is none. */
const struct tg_rego_builtin *tg_rego_builtin_find(const char *name, size_t n);
/* Iterates all built-ins (for listings); i from 0 until NULL. */
const struct tg_rego_builtin *tg_rego_builtin_at(size_t i);

/* Per-query cache of nondeterministic results (key: built-in name and
 * arguments). get returns NULL when absent. */
const struct tg_json *tg_rego_bcache_get(struct tg_rego_bctx *c, const struct tg_json *const *args,
					 size_t nargs);
void tg_rego_bcache_put(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
			const struct tg_json *value);

/* Helpers for implementations: OPA's type error text for operand i
 * (1-based) that should be one of the names in want ("string", "number",
 * "array", "set", "object", "boolean", "null"); returns TG_E_TYPE. */
tg_err tg_rego_type_error(struct tg_rego_bctx *c, size_t i, const char *want,
			  const struct tg_json *got);

#endif
