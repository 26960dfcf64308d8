/* SPDX-License-Identifier: Apache-2.0 */
/*
 * graphql.h - the GraphQL documents behind OPA's graphql.* built-ins: a
 * lexer and parser for executable documents and the schema definition
 * language, the AST as OPA emits it (gqlparser v2.5.1 structs serialized
 * to JSON), the reverse mapping from such objects, and gqlparser's schema
 * and query validation. Internal to src/rego.
 */

/*
 * Behaviour follows vektah/gqlparser v2.5.1 (the copy OPA v1.1 carries in
 * internal/gqlparser): the same first error, message and line:column, the
 * same AST fields. Everything lives in one arena per call; hostile input is
 * bounded by the TG_GQL_* limits below and gets an error, never deep
 * recursion.
 */
#ifndef TG_REGO_GRAPHQL_H
#define TG_REGO_GRAPHQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/json.h"

#define TG_GQL_MAX_INPUT (4u * 1024 * 1024) /* bytes of one query or schema text */
#define TG_GQL_MAX_TOKENS 2000000u          /* tokens of one document (comments count) */
#define TG_GQL_MAX_DEPTH 128u               /* nesting of selections, values and types in a text */
#define TG_GQL_MAX_OBJ_DEPTH 512u           /* nesting of objects in an AST given as a value */
#define TG_GQL_MAX_ARENA (256u * 1024 * 1024) /* bytes of AST and validator state per call */
#define TG_GQL_MAX_WORK 20000000ull           /* validator steps per call (overlap checks) */
#define TG_GQL_MAX_MESSAGES                                                                        \
	(1024u * 1024)        /* bytes of the validation errors graphql.parse reports */
#define TG_GQL_MAX_WALK 1024u /* nesting of the validator's walk (fragments inside fragments) */

/* A byte string (not NUL-terminated; may contain NUL from \u0000). */
struct tg_gql_s {
	const char *p;
	size_t n;
};

struct tg_gql_list {
	void **v;
	size_t n, cap;
};

struct tg_gql_pos {
	uint32_t line, col; /* 0: no position (AST built from an object) */
	bool prelude;       /* in the built-in prelude, not the caller's text */
};

enum tg_gql_vkind {
	TG_GQL_VARIABLE = 0,
	TG_GQL_INT,
	TG_GQL_FLOAT,
	TG_GQL_STRING,
	TG_GQL_BLOCK,
	TG_GQL_BOOLEAN,
	TG_GQL_NULL,
	TG_GQL_ENUM,
	TG_GQL_LIST,
	TG_GQL_OBJECT,
};

struct tg_gql_type {
	struct tg_gql_s named;
	struct tg_gql_type *elem;
	bool nonnull;
	struct tg_gql_pos pos;
};

struct tg_gql_def;
struct tg_gql_vardef;
struct tg_gql_dirdef;
struct tg_gql_frag;
struct tg_gql_fdef;

struct tg_gql_value {
	struct tg_gql_s raw;
	struct tg_gql_list children; /* struct tg_gql_child */
	int64_t kind;                /* enum tg_gql_vkind; anything from an object */
	struct tg_gql_pos pos;
	/* set by validation */
	struct tg_gql_def *def;
	struct tg_gql_vardef *vardef;
	struct tg_gql_type *expected;
};

struct tg_gql_child {
	struct tg_gql_s name;
	struct tg_gql_value *value;
	struct tg_gql_pos pos;
};

struct tg_gql_arg {
	struct tg_gql_s name;
	struct tg_gql_value *value;
	struct tg_gql_pos pos;
};

struct tg_gql_dir {
	struct tg_gql_s name;
	struct tg_gql_list args; /* struct tg_gql_arg */
	struct tg_gql_pos pos;
	struct tg_gql_def *parent_def;
	struct tg_gql_dirdef *def;
	const char *location; /* "" until validation */
};

struct tg_gql_vardef {
	struct tg_gql_s variable;
	struct tg_gql_type *type;
	struct tg_gql_value *defval;
	struct tg_gql_list dirs;
	struct tg_gql_pos pos;
	struct tg_gql_def *def;
	bool used;
};

enum tg_gql_selkind { TG_GQL_FIELD, TG_GQL_SPREAD, TG_GQL_INLINE };

/* Field, FragmentSpread or InlineFragment. */
struct tg_gql_sel {
	enum tg_gql_selkind kind;
	struct tg_gql_s alias, name; /* field; spread uses name */
	struct tg_gql_s type_cond;   /* inline fragment */
	struct tg_gql_list args;     /* field */
	struct tg_gql_list dirs;
	struct tg_gql_list selset; /* struct tg_gql_sel */
	struct tg_gql_pos pos;
	struct tg_gql_fdef *fdef;  /* field: Definition */
	struct tg_gql_def *objdef; /* ObjectDefinition */
	struct tg_gql_frag *frag;  /* spread: Definition */
	void *ov;                  /* validator's cache of selset */
};

struct tg_gql_frag {
	struct tg_gql_s name;
	struct tg_gql_list vardefs;
	struct tg_gql_s type_cond;
	struct tg_gql_list dirs;
	struct tg_gql_list selset;
	struct tg_gql_pos pos;
	struct tg_gql_def *def;
	void *ov;
};

struct tg_gql_op {
	struct tg_gql_s
	        operation; /* "query", "mutation", "subscription" (or anything from an object) */
	struct tg_gql_s name;
	struct tg_gql_list vardefs;
	struct tg_gql_list dirs;
	struct tg_gql_list selset;
	struct tg_gql_pos pos;
	void *ov;
};

struct tg_gql_qdoc {
	struct tg_gql_list ops;   /* struct tg_gql_op */
	struct tg_gql_list frags; /* struct tg_gql_frag */
};

/* FieldDefinition, ArgumentDefinition and EnumValueDefinition (the unused
 * members stay empty, which is how they serialize too). */
struct tg_gql_fdef {
	struct tg_gql_s desc, name;
	struct tg_gql_list args; /* struct tg_gql_fdef */
	struct tg_gql_value *defval;
	struct tg_gql_type *type;
	struct tg_gql_list dirs;
	struct tg_gql_pos pos;
};

struct tg_gql_def {
	struct tg_gql_s kind; /* "SCALAR", "OBJECT", ... */
	struct tg_gql_s desc, name;
	struct tg_gql_list dirs;
	struct tg_gql_list ifaces; /* struct tg_gql_s */
	struct tg_gql_list fields; /* struct tg_gql_fdef */
	struct tg_gql_list types;  /* struct tg_gql_s */
	struct tg_gql_list evals;  /* struct tg_gql_fdef */
	struct tg_gql_pos pos;
	bool builtin;
};

struct tg_gql_dirdef {
	struct tg_gql_s desc, name;
	struct tg_gql_list args; /* struct tg_gql_fdef */
	struct tg_gql_list locs; /* struct tg_gql_s */
	bool repeatable;
	struct tg_gql_pos pos;
};

struct tg_gql_optype {
	struct tg_gql_s operation, type;
	struct tg_gql_pos pos;
};

struct tg_gql_schemadef {
	struct tg_gql_s desc;
	struct tg_gql_list dirs;
	struct tg_gql_list optypes; /* struct tg_gql_optype */
	struct tg_gql_pos pos;
};

struct tg_gql_sdoc {
	struct tg_gql_list schema, schema_ext; /* struct tg_gql_schemadef */
	struct tg_gql_list directives;         /* struct tg_gql_dirdef */
	struct tg_gql_list defs, exts;         /* struct tg_gql_def */
};

/* A first error: message and where (has_pos false for AST objects). */
struct tg_gql_err {
	char msg[768];
	struct tg_gql_pos pos;
	bool toobig; /* a TG_GQL_* limit, not a GraphQL error */
};

/* Per-call state: the arena everything above lives in. */
struct tg_gql_ctx {
	struct tg_arena a;
	struct tg_gql_err err;
	uint64_t work;
};

void tg_gql_ctx_init(struct tg_gql_ctx *g);
void tg_gql_ctx_release(struct tg_gql_ctx *g);

/* Helpers shared by the gql files. */
bool tg_gql_push(struct tg_gql_ctx *g, struct tg_gql_list *l, void *item);
void *tg_gql_new(struct tg_gql_ctx *g, size_t n);
bool tg_gql_eq(struct tg_gql_s a, const char *s);
bool tg_gql_seq(struct tg_gql_s a, struct tg_gql_s b);
void tg_gql_fail(struct tg_gql_ctx *g, struct tg_gql_pos pos, const char *fmt, ...) TG_PRINTF(3, 4);
void tg_gql_toobig(struct tg_gql_ctx *g, const char *what);
/* Go's strconv.Quote of s into buf (truncated to fit); returns buf. */
const char *tg_gql_quote(struct tg_gql_s s, char *buf, size_t cap);

/*
 * Parses an executable document (ParseQuery) or a schema document
 * (ParseSchema; builtin marks every definition BuiltIn). Returns false
 * with g->err set (the first error, as gqlparser reports it).
 */
bool tg_gql_parse_query(struct tg_gql_ctx *g, const char *src, size_t n, struct tg_gql_qdoc **out);
bool tg_gql_parse_schema(struct tg_gql_ctx *g, const char *src, size_t n, bool builtin,
                         struct tg_gql_sdoc **out);

/* The AST as OPA returns it: gqlparser's structs as JSON, with Position,
 * nulls and empty arrays pruned. Values go to arena a. */
tg_err tg_gql_qdoc_json(struct tg_gql_ctx *g, struct tg_arena *a, const struct tg_gql_qdoc *d,
                        const struct tg_json **out) TG_MUST_CHECK;
tg_err tg_gql_sdoc_json(struct tg_gql_ctx *g, struct tg_arena *a, const struct tg_gql_sdoc *d,
                        const struct tg_json **out) TG_MUST_CHECK;

/* The reverse, as Go's json.Unmarshal into gqlparser's structs (which
 * makes every selection a Field). false with g->err on a type mismatch. */
bool tg_gql_qdoc_from_json(struct tg_gql_ctx *g, const struct tg_json *v, struct tg_gql_qdoc **out);
bool tg_gql_sdoc_from_json(struct tg_gql_ctx *g, const struct tg_json *v, struct tg_gql_sdoc **out);

/* The validated schema (gqlparser's ast.Schema). */
struct tg_gql_schema;

/*
 * ValidateSchemaDocument over the prelude merged with doc (OPA's
 * convertSchema). false with g->err on the first error.
 */
bool tg_gql_schema_load(struct tg_gql_ctx *g, const struct tg_gql_sdoc *doc,
                        struct tg_gql_schema **out);

/* gqlparser's validator.Validate; false with g->err set to the first
 * error (message without the trailing full stop removed). */
bool tg_gql_validate(struct tg_gql_ctx *g, struct tg_gql_schema *s, struct tg_gql_qdoc *doc);

/* Every error with the name of the rule that raised it, in the order
 * gqlparser raises them (for tests; validation does not stop). Returns
 * false only when a TG_GQL_* limit stopped it. */
typedef void (*tg_gql_err_fn)(void *ctx, const char *rule, const char *msg, struct tg_gql_pos pos);
bool tg_gql_validate_all(struct tg_gql_ctx *g, struct tg_gql_schema *s, struct tg_gql_qdoc *doc,
                         tg_gql_err_fn all, void *ctx);

#endif
