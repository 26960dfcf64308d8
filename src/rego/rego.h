/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego.h - the Rego engine as tollgate's modules use it (gate, admission,
 * scan): the public API of tollgate/rego.h plus calls that take and return
 * tg_json values, arenas and structured errors instead of JSON text.
 */
#ifndef TG_REGO_REGO_H
#define TG_REGO_REGO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "rego/rego_ast.h"
#include "tollgate/rego.h"

/* OPA reports at most this many compile errors, then "error limit reached". */
#define TG_REGO_MAX_ERRORS 10

/* A list of errors (parse, compile or evaluation), in OPA's codes. */
struct tg_rego_errors {
	struct tg_rego_error *v;
	size_t n, cap;
	bool limit; /* more were found than kept */
};

void tg_rego_errors_init(struct tg_rego_errors *e);
/* Appends an error (code, printf message, location) to errs; keeps at most
 * TG_REGO_MAX_ERRORS. */
void tg_rego_errors_add(struct tg_rego_errors *errs, const char *code,
			const struct tg_rego_loc *loc, const char *fmt, ...) TG_PRINTF(4, 5);

void tg_rego_errors_release(struct tg_rego_errors *e);

/* Appends OPA's JSON form {"errors":[{"code","message","location"}]}
 * (two-space indentation, keys in OPA's order). */
tg_err tg_rego_errors_json(const struct tg_rego_errors *e, struct tg_buf *out) TG_MUST_CHECK;

/* Appends OPA's text form: "file:row: code: message", one per line, with
 * "N errors occurred:" first when there are several. */
tg_err tg_rego_errors_text(const struct tg_rego_errors *e, struct tg_buf *out) TG_MUST_CHECK;

/* Adds a module that was parsed elsewhere (it must outlive the builder and
 * every policy compiled from it only until compile returns: the compiler
 * copies what it keeps). */
tg_err tg_rego_builder_add_ast(struct tg_rego_builder *b, const struct tg_rego_module *m) TG_MUST_CHECK;

/* Adds a data document (an object) merged at the root; the value is copied. */
tg_err tg_rego_builder_add_value(struct tg_rego_builder *b, const struct tg_json *doc,
				 const char *name) TG_MUST_CHECK;

/* Parses a data document (JSON, or YAML by name) straight into the
 * policy's data, nested under path (data.a.b for {"a","b"}); a document
 * that is not an object needs a path. Errors go to errs. */
tg_err tg_rego_builder_add_data_at(struct tg_rego_builder *b, const char *name, const char *text,
				   size_t n, const char *const *path, size_t npath,
				   struct tg_rego_errors *errs) TG_MUST_CHECK;

/* Like tg_rego_builder_add_data_at for the JSON file at path (at most
 * TG_LIMIT_JSON_DOC bytes), parsed from a mapping of the file so that its
 * text is never held whole in memory (tg_json_parse_fd). */
tg_err tg_rego_builder_add_data_file(struct tg_rego_builder *b, const char *path,
				     const char *const *keys, size_t nkeys,
				     struct tg_rego_errors *errs) TG_MUST_CHECK;

/* Parses and adds a module; parse errors go to errs. */
tg_err tg_rego_builder_add_text(struct tg_rego_builder *b, const char *file, const char *text,
				size_t n, int version, struct tg_rego_errors *errs) TG_MUST_CHECK;

/* Compiles; errors go to errs (TG_E_STATE for compile errors). */
tg_err tg_rego_builder_build(struct tg_rego_builder *b, unsigned caps,
			     struct tg_rego_policy **out, struct tg_rego_errors *errs) TG_MUST_CHECK;

/* The modules of a builder (for `policy fmt` and `policy test`). */
size_t tg_rego_builder_nmodules(const struct tg_rego_builder *b);
const struct tg_rego_module *tg_rego_builder_module(const struct tg_rego_builder *b, size_t i);

/* Prepares a query; errors go to errs. */
tg_err tg_rego_query_prepare(struct tg_rego_policy *p, const char *text, size_t n, int version,
			     struct tg_rego_query **out, struct tg_rego_errors *errs) TG_MUST_CHECK;

/* What one evaluation used. */
struct tg_rego_stats {
	uint64_t steps;
	size_t bytes; /* arena bytes */
};

/*
 * Evaluates q. input may be NULL (no input). The result, allocated in a,
 * is the array of OPA result rows [{"expressions":[...],"bindings":{...}}]
 * ([] when undefined). Evaluation errors (eval_conflict_error, strict
 * built-in errors, limits) go to errs with their location. stats may be
 * NULL.
 */
tg_err tg_rego_query_eval(const struct tg_rego_query *q, const struct tg_json *input,
			  const struct tg_rego_options *o, struct tg_arena *a,
			  const struct tg_json **result, struct tg_rego_errors *errs,
			  struct tg_rego_stats *stats) TG_MUST_CHECK;

/* Appends `opa eval --format json` output for a result of tg_rego_query_eval:
 * {"result":[...]} or {} (pretty, keys of the envelope in OPA's order). */
tg_err tg_rego_result_json(const struct tg_json *rows, struct tg_buf *out) TG_MUST_CHECK;

/* The test rules of a policy: full paths ("data.pkg.test_x") in order,
 * for `policy test`; *out allocated in a. */
tg_err tg_rego_policy_tests(const struct tg_rego_policy *p, struct tg_arena *a,
			    const struct tg_json **out) TG_MUST_CHECK;

/* The value of a ground term (scalars, arrays, objects, sets) parsed with
 * tg_rego_parse_term; TG_E_TYPE for anything that needs evaluation. */
tg_err tg_rego_term_value(struct tg_arena *a, const struct tg_rego_term *t,
			  const struct tg_json **out) TG_MUST_CHECK;

/* Reads a YAML document (a stream of one document) into a value in a. */
tg_err tg_rego_yaml_parse(struct tg_arena *a, const char *text, size_t n,
			  const struct tg_json **out, struct tg_diag *d) TG_MUST_CHECK;

#endif
