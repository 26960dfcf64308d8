/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tollgate/rego.h - the embeddable Rego engine: compile policies (Rego
 * modules plus JSON/YAML data) once, prepare queries, and evaluate them on
 * JSON input many times, from many threads. Results use OPA's JSON shapes.
 */

/*
 * Life cycle:
 *
 *   struct tg_rego_builder *b;       tg_rego_builder_new(&b);
 *   tg_rego_builder_add_module(b, "policy.rego", text, len, TG_REGO_V1);
 *   tg_rego_builder_add_data(b, "data.json", json, len);
 *   struct tg_rego_policy *p;        tg_rego_builder_compile(b, 0, &p);
 *   tg_rego_builder_free(b);         (p does not depend on b)
 *   struct tg_rego_query *q;         tg_rego_query_new(p, "data.x.allow", ...);
 *   ... any number of threads:       tg_rego_query_run(q, input, len, &opts, &out, &outlen);
 *   tg_rego_query_free(q);           tg_rego_policy_free(p);
 *
 * Policies and queries are immutable once built: any number of threads may
 * evaluate the same query at the same time. Every evaluation has its own
 * memory and bounded limits (steps, memory, depth, time), so a hostile
 * policy or input ends with an error instead of exhausting the process.
 *
 * Return values are tollgate error codes (0 is success); tg_rego_strerror
 * names them. Texts handed out (errors, results) are NUL-terminated JSON,
 * allocated with malloc; release them with tg_rego_string_free.
 */
#ifndef TOLLGATE_REGO_H
#define TOLLGATE_REGO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Rego syntax versions (Gatekeeper templates are v0). */
#define TG_REGO_V0 0
#define TG_REGO_V1 1

/* Error codes returned by these functions (a subset of tollgate's). */
#define TG_REGO_OK 0
#define TG_REGO_E_INTERNAL 1
#define TG_REGO_E_INVAL 2
#define TG_REGO_E_TOOBIG 3   /* a limit was reached (steps, memory, time, size) */
#define TG_REGO_E_PARSE 4    /* a module, query, input or data document is malformed */
#define TG_REGO_E_IO 5
#define TG_REGO_E_DEPTH 13   /* evaluation nested too deep */
#define TG_REGO_E_TIMEOUT 18 /* the evaluation's time limit passed */
#define TG_REGO_E_CONFLICT 20 /* eval_conflict_error */
#define TG_REGO_E_STATE 21   /* compile errors (see the errors text) */
#define TG_REGO_E_TYPE 22    /* eval_type_error (strict built-in errors) */

/* Capabilities a policy may use (tg_rego_builder_compile, options.caps). */
#ifndef TG_REGO_CAP_NET
#define TG_REGO_CAP_NET 0x01 /* http.send and net.lookup_ip_addr may reach the network */
#endif

struct tg_rego_builder; /* modules and data being collected */
struct tg_rego_policy;  /* compiled: immutable, shared by threads, reference counted */
struct tg_rego_query;   /* a query prepared against a policy */

/* Limits of one evaluation; 0 selects the default of each. */
struct tg_rego_limits {
	uint64_t steps;      /* evaluation steps (expressions, unifications, built-in work) */
	size_t memory;       /* bytes the evaluation may allocate */
	uint32_t depth;      /* nesting of rules, functions, comprehensions */
	uint64_t timeout_ms; /* wall-clock time; 0: no limit besides the steps */
	size_t stack;        /* bytes of C stack the evaluation may use; raise it
			      * (default 4 MiB) only on threads with larger stacks */
};

/* print() output: file and row of the call, the formatted message. */
typedef void (*tg_rego_print_fn)(void *ctx, const char *file, uint32_t row, const char *msg);

struct tg_rego_options {
	struct tg_rego_limits limits;
	bool strict_builtin_errors; /* built-in errors abort instead of being undefined */
	unsigned caps;              /* TG_REGO_CAP_*; 0: no network */
	int64_t now_ns;             /* time.now_ns() of the evaluation; 0: the clock */
	tg_rego_print_fn print;     /* NULL: print() output is dropped */
	void *print_ctx;
	/*
	 * Network access of http.send and net.lookup_ip_addr, which also needs
	 * TG_REGO_CAP_NET in caps: the hosts they may reach (names or IP
	 * literals, no port; compared case-insensitively), NULL-terminated.
	 * NULL allows any host. Without the capability, or for a host not on
	 * the list, the built-in stops the evaluation with an
	 * eval_builtin_error saying how to allow it.
	 */
	const char *const *allow_net;
	size_t http_max_body;       /* bytes of one http.send response body;
				     * 0: TG_LIMIT_REGO_HTTP_BODY (16 MiB) */
};

/* Starts collecting modules and data. */
int tg_rego_builder_new(struct tg_rego_builder **out);
/* Frees the builder (NULL ok); compiled policies stay valid. */
void tg_rego_builder_free(struct tg_rego_builder *b);

/*
 * Adds one module: text of n bytes, named file in messages, in Rego
 * version TG_REGO_V0 or TG_REGO_V1 (a v0 module with `import rego.v1` is
 * v1). A parse error is TG_REGO_E_PARSE; tg_rego_builder_errors explains.
 */
int tg_rego_builder_add_module(struct tg_rego_builder *b, const char *file, const char *text,
			       size_t n, int version);

/* Adds a data document merged at the root of `data`: JSON, or YAML when
 * name ends in .yaml or .yml. The document must be an object. */
int tg_rego_builder_add_data(struct tg_rego_builder *b, const char *name, const char *text,
			     size_t n);

/*
 * Compiles everything added so far for the capabilities caps. On success
 * *out is a new policy (release with tg_rego_policy_free). Compile errors
 * (OPA's rego_*_error codes) are TG_REGO_E_STATE, listed by
 * tg_rego_builder_errors.
 */
int tg_rego_builder_compile(struct tg_rego_builder *b, unsigned caps,
			    struct tg_rego_policy **out);

/* The errors of the last failed call on b as OPA's JSON
 * {"errors":[{"code","message","location":{"file","row","col"}}]}, or NULL.
 * Valid until the next call on b. */
const char *tg_rego_builder_errors(const struct tg_rego_builder *b);

/* Takes another reference to p (for another owner or thread). */
struct tg_rego_policy *tg_rego_policy_ref(struct tg_rego_policy *p);
/* Drops a reference; the last one frees the policy (NULL ok). */
void tg_rego_policy_free(struct tg_rego_policy *p);

/*
 * Prepares a query (e.g. "data.k8s.deny" or "x := data.a.b[_]") against p.
 * The query keeps a reference to p. On error returns the code and, when
 * errors is not NULL, sets *errors to the JSON errors text.
 */
int tg_rego_query_new(struct tg_rego_policy *p, const char *query, size_t n, int version,
		      struct tg_rego_query **out, char **errors);
/* Frees a prepared query (NULL ok). */
void tg_rego_query_free(struct tg_rego_query *q);

/*
 * Evaluates q on the JSON input of n bytes (input NULL: no input document)
 * with options o (NULL: defaults). On success *out is OPA's `opa eval
 * --format json` document: {"result":[{"expressions":[...],"bindings":{...}}]},
 * or {} when the query is undefined. On an evaluation error returns its
 * code and *out is {"errors":[...]}. *outlen (may be NULL) gets the length.
 * Safe to call from many threads at once.
 */
int tg_rego_query_run(const struct tg_rego_query *q, const char *input, size_t n,
		      const struct tg_rego_options *o, char **out, size_t *outlen);

/*
 * A decision: evaluates q and sets *allowed to true when the query has
 * exactly one result whose first expression is the value true (the shape of
 * `data.pkg.allow`); undefined and anything else is false. errors as in
 * tg_rego_query_new.
 */
int tg_rego_query_decide(const struct tg_rego_query *q, const char *input, size_t n,
			 const struct tg_rego_options *o, bool *allowed, char **errors);

/* Frees a text handed out by these functions (NULL ok). */
void tg_rego_string_free(char *s);

/* A static message for a return code. */
const char *tg_rego_strerror(int code);

#ifdef __cplusplus
}
#endif

#endif
