/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_eval.h - the evaluator's state, shared by rego_eval.c (bodies,
 * unification, refs, virtual documents), rego_lang.c (language built-ins)
 * and rego_api.c (running a prepared query).
 */
#ifndef TG_REGO_EVAL_H
#define TG_REGO_EVAL_H

#include "rego/rego_internal.h"

/* Internal code: stop iterating, a solution was enough. Never escapes. */
#define EV_STOP ((tg_err)1000)

/* A var's binding: a value, or (for unification of two unbound terms)
 * another term of the same frame. */
struct ev_bnd {
	const struct tg_json *v;
	const struct rg_term *t;
};

struct ev_frame {
	struct ev_bnd *s;
	uint32_t n;
};

/* Memo of (node, key) -> value: partial documents looked up by key and
 * function results by arguments. */
struct ev_kent {
	const struct tg_json *key;
	const struct tg_json *val; /* NULL: undefined */
	uint32_t node;
	bool used;
};

struct ev_kmap {
	struct ev_kent *v;
	uint32_t cap, n;
};

/* What a `with` replaced. */
struct ev_mock {
	const struct tg_rego_builtin *bi; /* replaced built-in */
	const struct rg_node *fn;         /* or replaced function */
	const struct tg_rego_builtin *vbi; /* replacement: a built-in, */
	const struct rg_node *vfn;        /* a function, */
	const struct tg_json *val;        /* or a value */
	bool hidden;                      /* while the replacement itself runs */
};

/* The documents and replacements in effect: the query's, or those of
 * a `with`, each with its own memo. */
struct ev_ctx {
	struct ev_ctx *parent;
	const struct tg_json *input; /* NULL: undefined */
	const struct tg_json *data;  /* base documents with `with data` values */
	const struct tg_json **targets; /* paths replaced by `with data` */
	uint32_t ntargets;
	struct ev_mock *mocks;
	uint32_t nmocks;
	uint8_t *state;              /* per node id: 0 unknown, 1 computing, 2 done */
	const struct tg_json **val;  /* per node id: full extent (NULL undefined) */
	struct ev_kmap km;
};

struct ev {
	const struct tg_rego_policy *p;
	const struct tg_rego_options *o;
	struct tg_arena *a;
	struct ev_ctx *cx;
	struct tg_rego_errors *errs;
	/* undo trail */
	struct ev_bnd **trail;
	size_t ntrail, captrail;
	/* limits */
	uint64_t steps_left;
	uint64_t steps_max;
	uint32_t depth, depth_max;
	uintptr_t stack_base;
	size_t stack_max;
	uint64_t deadline_ns; /* 0: none */
	uint32_t tick;
	bool oom;
	/* built-ins */
	int64_t now_ns;
	void *bcache;
	const struct tg_json *ints[256]; /* small integers, made on demand */
};

/* Reports an evaluation error (sets errs) and returns code. */
tg_err tg_rego_ev_error(struct ev *e, tg_err code, const char *ecode, const struct tg_rego_loc *loc,
			const char *fmt, ...) TG_PRINTF(5, 6);

/* The value of a small non-negative integer (cached). */
const struct tg_json *tg_rego_ev_int(struct ev *e, int64_t i);

/* Language built-ins evaluated by the evaluator itself (rego_lang.c).
 * Return TG_OK with *out (NULL: undefined) or an error. */
tg_err tg_rego_lang_call(struct ev *e, const struct tg_rego_builtin *bi, const struct tg_json *const *args,
			 size_t nargs, const struct tg_rego_loc *loc, const struct tg_json **out);

/* Evaluates the prepared query q; calls row(ctx) for each solution with
 * the frame of the query. */
struct ev_row_sink {
	tg_err (*fn)(struct ev *e, struct ev_row_sink *s, const struct ev_frame *f);
};
tg_err tg_rego_ev_run(struct ev *e, const struct tg_rego_query *q, struct ev_row_sink *sink);

/* Plugs a term of frame f into a value; NULL when a var is unbound (or
 * memory ran out: e->oom). */
const struct tg_json *tg_rego_ev_plug(struct ev *e, const struct ev_frame *f, const struct rg_term *t);

#endif
