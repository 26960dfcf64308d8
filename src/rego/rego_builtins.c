/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_builtins.c - the table of built-in functions (one table per file of
 * built-ins), name lookup, OPA-style type errors, and the per-query cache
 * that keeps nondeterministic built-ins consistent within a query.
 */
#include "rego/rego_builtin.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"

static const struct tg_rego_builtin *const tables[] = {
	tg_rego_builtins_numbers,  tg_rego_builtins_compare, tg_rego_builtins_collections,
	tg_rego_builtins_strings,  tg_rego_builtins_encoding, tg_rego_builtins_time,
	tg_rego_builtins_crypto,   tg_rego_builtins_net,      tg_rego_builtins_misc,
	tg_rego_builtins_aws,      tg_rego_builtins_astjson,  tg_rego_builtins_graphql,
};

const struct tg_rego_builtin *tg_rego_builtin_find(const char *name, size_t n)
{
	size_t t;
	const struct tg_rego_builtin *b;
	for (t = 0; t < TG_ARRAY_LEN(tables); t++)
		for (b = tables[t]; b->name; b++)
			if (strlen(b->name) == n && memcmp(b->name, name, n) == 0)
				return b;
	return NULL;
}

const struct tg_rego_builtin *tg_rego_builtin_at(size_t i)
{
	size_t t;
	const struct tg_rego_builtin *b;
	for (t = 0; t < TG_ARRAY_LEN(tables); t++)
		for (b = tables[t]; b->name; b++)
			if (i-- == 0)
				return b;
	return NULL;
}

tg_err tg_rego_type_error(struct tg_rego_bctx *c, size_t i, const char *want,
			  const struct tg_json *got)
{
	tg_diag_set(c->d, "operand %zu must be %s but got %s", i, want,
		    tg_json_type_name((enum tg_json_type)got->type));
	return TG_E_TYPE;
}

/* The cache is a linked list in the evaluation's arena: a handful of
 * entries per query at most. */
struct bcache_entry {
	struct bcache_entry *next;
	const char *name;
	const struct tg_json *key; /* array of the arguments */
	const struct tg_json *value;
};

struct bcache {
	struct bcache_entry *head;
};

static const struct tg_json *args_key(struct tg_rego_bctx *c, const struct tg_json *const *args,
				      size_t nargs)
{
	const struct tg_json *k = NULL;
	if (tg_json_new_array(c->a, args, nargs, &k) != TG_OK)
		return NULL;
	return k;
}

const struct tg_json *tg_rego_bcache_get(struct tg_rego_bctx *c, const struct tg_json *const *args,
					 size_t nargs)
{
	struct bcache *bc = c->cache;
	struct bcache_entry *e;
	const struct tg_json *k;
	if (!bc)
		return NULL;
	k = args_key(c, args, nargs);
	if (!k)
		return NULL;
	for (e = bc->head; e; e = e->next)
		if (strcmp(e->name, c->name) == 0 && tg_json_eq(e->key, k))
			return e->value;
	return NULL;
}

void tg_rego_bcache_put(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
			const struct tg_json *value)
{
	struct bcache *bc = c->cache;
	struct bcache_entry *e;
	if (!bc)
		return;
	e = tg_arena_alloc(c->a, sizeof(*e));
	if (!e)
		return;
	e->key = args_key(c, args, nargs);
	if (!e->key)
		return;
	e->name = c->name;
	e->value = value;
	e->next = bc->head;
	bc->head = e;
}
