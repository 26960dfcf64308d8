/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_rego_builtins_a.c - libFuzzer target for the built-ins of the
 * numbers, compare, collections, encoding and misc tables: random JSON
 * arguments to every entry; it must never crash nor pass its caps.
 */

/*
 * Input: one byte choosing the built-in (modulo the count), then a JSON
 * array of arguments; {"$set": [...]} becomes a set. Missing arguments are
 * null, extra ones are dropped. Each call gets a 64 MiB arena and a step
 * budget; a result must be a value or undefined, an error must carry a
 * message, and a result must emit as JSON (sets and non-string keys aside).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/limits.h"
#include "rego/rego_builtin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct tg_rego_builtin *const *tables(void)
{
	static const struct tg_rego_builtin *const t[] = {
		tg_rego_builtins_numbers, tg_rego_builtins_compare, tg_rego_builtins_collections,
		tg_rego_builtins_encoding, tg_rego_builtins_misc, NULL};
	return t;
}

static const struct tg_rego_builtin *pick(unsigned k)
{
	const struct tg_rego_builtin *const *t;
	const struct tg_rego_builtin *b;
	size_t n = 0;
	for (t = tables(); *t; t++)
		for (b = *t; b->name; b++)
			n++;
	k %= (unsigned)n;
	for (t = tables(); *t; t++)
		for (b = *t; b->name; b++)
			if (k-- == 0)
				return b;
	return NULL;
}

static const struct tg_json *sets(struct tg_arena *a, const struct tg_json *v, unsigned depth)
{
	size_t i;
	const struct tg_json *out = v;
	if (depth > 64)
		return v;
	if (v->type == TG_JSON_OBJECT && v->u.o.len == 1 && tg_json_str_eq(v->u.o.items[0].key, "$set") &&
	    v->u.o.items[0].val->type == TG_JSON_ARRAY) {
		const struct tg_json *arr = v->u.o.items[0].val;
		const struct tg_json **items = tg_arena_alloc_array(a, arr->u.a.len + 1, sizeof(*items));
		if (!items)
			return v;
		for (i = 0; i < arr->u.a.len; i++)
			items[i] = sets(a, arr->u.a.items[i], depth + 1);
		if (tg_json_new_set(a, items, arr->u.a.len, &out) != TG_OK)
			return v;
		return out;
	}
	if (v->type == TG_JSON_ARRAY) {
		const struct tg_json **items = tg_arena_alloc_array(a, v->u.a.len + 1, sizeof(*items));
		if (!items)
			return v;
		for (i = 0; i < v->u.a.len; i++)
			items[i] = sets(a, v->u.a.items[i], depth + 1);
		if (tg_json_new_array(a, items, v->u.a.len, &out) != TG_OK)
			return v;
	}
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_json_parse_opts o = {TG_JSON_DUP_LAST, 64, false};
	const struct tg_rego_builtin *b;
	const struct tg_json *v = NULL, *out = NULL;
	const struct tg_json *args[8];
	struct tg_rego_bctx c;
	struct tg_arena a;
	struct tg_diag d;
	uint64_t budget = 1000000;
	void *cache;
	size_t i, n;
	tg_err r;

	if (size < 1)
		return 0;
	b = pick(data[0]);
	if (!b)
		abort();
	tg_arena_init(&a, 64 * TG_MIB);
	if (tg_json_parse(&a, data + 1, size - 1, &o, &v, NULL, NULL) != TG_OK ||
	    v->type != TG_JSON_ARRAY) {
		tg_arena_release(&a);
		return 0;
	}
	v = sets(&a, v, 0);
	n = b->arity < 0 ? (v->u.a.len < 8 ? v->u.a.len : 8) : (size_t)b->arity;
	for (i = 0; i < n && i < 8; i++)
		args[i] = i < v->u.a.len ? v->u.a.items[i] : &tg_json_null_v;
	cache = calloc(1, 64);
	tg_diag_init(&d);
	memset(&c, 0, sizeof(c));
	c.a = &a;
	c.d = &d;
	c.name = b->name;
	c.budget = &budget;
	c.cache = cache;
	r = b->fn(&c, args, n, &out);
	if (r == TG_OK && out) {
		struct tg_buf e = TG_BUF_INIT(256 * TG_MIB);
		tg_err er = tg_json_emit(&e, out, 0);
		if (er != TG_OK && er != TG_E_TYPE && er != TG_E_TOOBIG)
			abort();
		tg_buf_release(&e);
	} else if (r != TG_OK && d.msg[0] == '\0') {
		abort(); /* every error explains itself */
	}
	free(cache);
	tg_arena_release(&a);
	return 0;
}
