/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_lang.c - built-ins that belong to the language rather than to a
 * group: unification and assignment operators, membership (`in`), print
 * and rego.metadata.*; and lookup over these plus the built-in groups.
 */
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "rego/rego_eval.h"

/* fn is NULL: the evaluator handles them (tg_rego_lang_call). */
static const struct tg_rego_builtin lang[] = {
	{"eq", "=", 2, "(any, any) => boolean", NULL, 0},
	{"assign", ":=", 2, "(any, any) => boolean", NULL, 0},
	{"internal.member_2", "in", 2, "(any, any) => boolean", NULL, 0},
	{"internal.member_3", "in", 3, "(any, any, any) => boolean", NULL, 0},
	{"internal.print", NULL, 1, "(array[set[any]])", NULL, 0},
	{"print", NULL, -1, "(any...)", NULL, 0},
	{"rego.metadata.chain", NULL, 0, "() => array[any]", NULL, 0},
	{"rego.metadata.rule", NULL, 0, "() => any", NULL, 0},
	{NULL, NULL, 0, NULL, NULL, 0},
};

const struct tg_rego_builtin *tg_rego_lang_find(const char *name, size_t n)
{
	const struct tg_rego_builtin *b;
	for (b = lang; b->name; b++)
		if (strlen(b->name) == n && memcmp(b->name, name, n) == 0)
			return b;
	return NULL;
}

const struct tg_rego_builtin *tg_rego_builtin_lookup(const char *name, size_t n)
{
	const struct tg_rego_builtin *b = tg_rego_lang_find(name, n);
	return b ? b : tg_rego_builtin_find(name, n);
}

static bool member2(const struct tg_json *x, const struct tg_json *c)
{
	size_t i;
	switch (c->type) {
	case TG_JSON_ARRAY:
		for (i = 0; i < c->u.a.len; i++)
			if (tg_json_eq(c->u.a.items[i], x))
				return true;
		return false;
	case TG_JSON_OBJECT:
		for (i = 0; i < c->u.o.len; i++)
			if (tg_json_eq(c->u.o.items[i].val, x))
				return true;
		return false;
	case TG_JSON_SET:
		return tg_json_set_has(c, x);
	default:
		return false;
	}
}

static bool member3(const struct tg_json *k, const struct tg_json *v, const struct tg_json *c)
{
	const struct tg_json *x = NULL;
	int64_t i;
	switch (c->type) {
	case TG_JSON_ARRAY:
		if (k->type == TG_JSON_NUMBER && tg_json_num_i64(k, &i) == TG_OK && i >= 0 &&
		    (uint64_t)i < c->u.a.len)
			x = c->u.a.items[i];
		break;
	case TG_JSON_OBJECT:
		x = tg_json_get_value(c, k);
		break;
	default:
		break;
	}
	return x && tg_json_eq(x, v);
}

/* print(): the cross product of the operands' values (each a set of the
 * values the operand took; empty: "<undefined>"), joined by spaces. */
static tg_err print_cross(struct ev *e, const struct tg_json *ops, size_t i, struct tg_buf *line,
			  const struct tg_rego_loc *loc, unsigned *count)
{
	const struct tg_json *s;
	size_t j, len = line->len;
	tg_err rc;
	if (i == ops->u.a.len) {
		if (++*count > 1000)
			return TG_OK;
		if (e->o && e->o->print)
			e->o->print(e->o->print_ctx, loc && loc->file ? loc->file : "", loc ? loc->row : 0,
				    tg_buf_str(line));
		return TG_OK;
	}
	s = ops->u.a.items[i];
	if (i > 0 && (rc = tg_buf_addc(line, ' ')) != TG_OK)
		return rc;
	if (s->type != TG_JSON_SET || s->u.a.len == 0) {
		if ((rc = tg_buf_adds(line, "<undefined>")) != TG_OK)
			return rc;
		rc = print_cross(e, ops, i + 1, line, loc, count);
		tg_buf_truncate(line, len);
		return rc;
	}
	for (j = 0; j < s->u.a.len; j++) {
		size_t l2 = line->len;
		if ((rc = tg_rego_value_print(line, s->u.a.items[j], true)) != TG_OK)
			return rc;
		rc = print_cross(e, ops, i + 1, line, loc, count);
		tg_buf_truncate(line, l2);
		if (rc != TG_OK)
			return rc;
	}
	tg_buf_truncate(line, len);
	return TG_OK;
}

tg_err tg_rego_lang_call(struct ev *e, const struct tg_rego_builtin *bi, const struct tg_json *const *args,
			 size_t nargs, const struct tg_rego_loc *loc, const struct tg_json **out)
{
	*out = NULL;
	if (strcmp(bi->name, "internal.member_2") == 0 && nargs == 2) {
		*out = tg_json_bool(member2(args[0], args[1]));
		return TG_OK;
	}
	if (strcmp(bi->name, "internal.member_3") == 0 && nargs == 3) {
		*out = tg_json_bool(member3(args[0], args[1], args[2]));
		return TG_OK;
	}
	if (strcmp(bi->name, "internal.print") == 0 && nargs == 1) {
		struct tg_buf line = TG_BUF_INIT(1024 * 1024);
		unsigned count = 0;
		tg_err rc = TG_OK;
		if (args[0]->type == TG_JSON_ARRAY && e->o && e->o->print)
			rc = print_cross(e, args[0], 0, &line, loc, &count);
		tg_buf_release(&line);
		if (rc == TG_E_TOOBIG)
			rc = TG_OK; /* an over-long line is dropped, not an error */
		if (rc != TG_OK)
			return rc;
		*out = &tg_json_true_v;
		return TG_OK;
	}
	/* rego.metadata.* are replaced at compile time */
	return TG_OK;
}
