/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json_parse.c - RFC 8259 parser: strict grammar, strict UTF-8, no lone
 * surrogates, bounded depth, values in an arena. Recursive descent with a
 * depth counter; children collect on shared scratch stacks and are copied
 * into the arena once their container closes.
 */
#include "core/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "core/json_internal.h"
#include "core/mem.h"
#include "core/utf8.h"

struct parser {
	const uint8_t *p;
	size_t n;
	size_t i;
	struct tg_arena *a;
	unsigned depth;
	unsigned max_depth;
	enum tg_json_dup dup;
	struct tg_diag *d;
	/* scratch: array items and object members of all open containers */
	const struct tg_json **vs;
	size_t vlen, vcap;
	struct tg_json_member *ms;
	size_t mlen, mcap;
	struct tg_buf sb; /* unescaped string under construction */
};

static tg_err fail(struct parser *P, size_t at, tg_err e, const char *fmt, ...)
	TG_PRINTF(4, 5);

static tg_err fail(struct parser *P, size_t at, tg_err e, const char *fmt, ...)
{
	uint32_t line, col;
	va_list ap;
	if (P->d) {
		tg_text_linecol(P->p, P->n, at, &line, &col);
		P->d->line = line;
		P->d->col = col;
		P->d->offset = at;
		va_start(ap, fmt);
		(void)vsnprintf(P->d->msg, sizeof(P->d->msg), fmt, ap);
		va_end(ap);
	}
	return e;
}

static tg_err fail_toobig(struct parser *P)
{
	return fail(P, P->i, TG_E_TOOBIG, "document needs more memory than its limit allows");
}

static void skip_ws(struct parser *P)
{
	while (P->i < P->n) {
		uint8_t c = P->p[P->i];
		if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
			break;
		P->i++;
	}
}

/* Describes the byte at P->i for an error message. */
static tg_err unexpected(struct parser *P, const char *what)
{
	uint8_t c;
	if (P->i >= P->n)
		return fail(P, P->i, TG_E_PARSE, "unexpected end of input, expected %s", what);
	c = P->p[P->i];
	if (c >= 0x21 && c < 0x7f)
		return fail(P, P->i, TG_E_PARSE, "unexpected '%c', expected %s", c, what);
	return fail(P, P->i, TG_E_PARSE, "unexpected byte 0x%02x, expected %s", c, what);
}

static tg_err parse_value(struct parser *P, const struct tg_json **out);

static int hex4(const uint8_t *p, uint32_t *out)
{
	uint32_t v = 0;
	int i;
	for (i = 0; i < 4; i++) {
		uint8_t c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return 0;
	}
	*out = v;
	return 1;
}

/* Parses a string starting at the opening quote; returns the bytes in the
 * arena (NUL-terminated). */
static tg_err parse_string_raw(struct parser *P, const char **sp, size_t *slen)
{
	size_t start = ++P->i, i = start;
	const uint8_t *p = P->p;
	size_t n = P->n;
	char *copy;

	/* Fast path: no escapes. */
	for (;;) {
		uint8_t c;
		if (i >= n)
			return fail(P, start - 1, TG_E_PARSE, "unterminated string");
		c = p[i];
		if (c == '"' || c == '\\')
			break;
		if (c < 0x20)
			return fail(P, i, TG_E_PARSE,
				    "control character 0x%02x in string must be escaped", c);
		if (c >= 0x80) {
			uint32_t cp;
			size_t k = tg_utf8_decode(p + i, n - i, &cp);
			if (k == 0)
				return fail(P, i, TG_E_PARSE, "invalid UTF-8 in string");
			i += k;
			continue;
		}
		i++;
	}
	if (p[i] == '"') {
		copy = tg_arena_strndup(P->a, (const char *)p + start, i - start);
		if (!copy)
			return fail_toobig(P);
		*sp = copy;
		*slen = i - start;
		P->i = i + 1;
		return TG_OK;
	}

	/* Slow path: unescape into the scratch buffer. */
	tg_buf_reset(&P->sb);
	if (tg_buf_add(&P->sb, p + start, i - start) != TG_OK)
		return fail_toobig(P);
	for (;;) {
		uint8_t c;
		if (i >= n)
			return fail(P, start - 1, TG_E_PARSE, "unterminated string");
		c = p[i];
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(P, i, TG_E_PARSE,
				    "control character 0x%02x in string must be escaped", c);
		if (c == '\\') {
			uint8_t e;
			uint32_t cp, lo;
			uint8_t enc[4];
			size_t k;
			if (i + 1 >= n)
				return fail(P, start - 1, TG_E_PARSE, "unterminated string");
			e = p[i + 1];
			switch (e) {
			case '"':
			case '\\':
			case '/':
				c = e;
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case 'u':
				if (n - i < 6 || !hex4(p + i + 2, &cp))
					return fail(P, i, TG_E_PARSE, "invalid \\u escape");
				k = 6;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return fail(P, i, TG_E_PARSE,
						    "lone low surrogate \\u%04x in string", (unsigned)cp);
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (n - i < 12 || p[i + 6] != '\\' || p[i + 7] != 'u' ||
					    !hex4(p + i + 8, &lo) || lo < 0xdc00 || lo > 0xdfff)
						return fail(P, i, TG_E_PARSE,
							    "lone high surrogate \\u%04x in string",
							    (unsigned)cp);
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					k = 12;
				}
				if (tg_buf_add(&P->sb, enc, tg_utf8_encode(cp, enc)) != TG_OK)
					return fail_toobig(P);
				i += k;
				continue;
			default:
				return fail(P, i, TG_E_PARSE, "invalid escape '\\%c'",
					    e >= 0x21 && e < 0x7f ? e : '?');
			}
			if (tg_buf_addc(&P->sb, c) != TG_OK)
				return fail_toobig(P);
			i += 2;
			continue;
		}
		if (c >= 0x80) {
			uint32_t cp;
			size_t k = tg_utf8_decode(p + i, n - i, &cp);
			if (k == 0)
				return fail(P, i, TG_E_PARSE, "invalid UTF-8 in string");
			if (tg_buf_add(&P->sb, p + i, k) != TG_OK)
				return fail_toobig(P);
			i += k;
			continue;
		}
		if (tg_buf_addc(&P->sb, c) != TG_OK)
			return fail_toobig(P);
		i++;
	}
	copy = tg_arena_strndup(P->a, (const char *)P->sb.data, P->sb.len);
	if (!copy)
		return fail_toobig(P);
	*sp = copy;
	*slen = P->sb.len;
	P->i = i + 1;
	return TG_OK;
}

static tg_err parse_string(struct parser *P, const struct tg_json **out)
{
	struct tg_json *v;
	size_t at = P->i;
	tg_err r;
	v = tg_arena_alloc_ptrs(P->a, sizeof(*v));
	if (!v)
		return fail_toobig(P);
	r = parse_string_raw(P, &v->u.s.p, &v->u.s.len);
	if (r != TG_OK)
		return r;
	v->type = TG_JSON_STRING;
	v->flags = 0;
	v->pos = at > UINT32_MAX ? UINT32_MAX : (uint32_t)at;
	*out = v;
	return TG_OK;
}

static tg_err parse_number(struct parser *P, const struct tg_json **out)
{
	const uint8_t *p = P->p;
	size_t n = P->n, start = P->i, i = start;
	int intlit = 1;
	struct tg_numparts np;
	struct tg_json *v;
	char *lit;

	if (i < n && p[i] == '-')
		i++;
	if (i >= n)
		return fail(P, i, TG_E_PARSE, "unexpected end of input in number");
	if (p[i] == '0') {
		i++;
		if (i < n && p[i] >= '0' && p[i] <= '9')
			return fail(P, i, TG_E_PARSE, "leading zero in number");
	} else if (p[i] >= '1' && p[i] <= '9') {
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	} else {
		return fail(P, i, TG_E_PARSE, "expected a digit in number");
	}
	if (i < n && p[i] == '.') {
		intlit = 0;
		i++;
		if (i >= n || p[i] < '0' || p[i] > '9')
			return fail(P, i, TG_E_PARSE, "expected a digit after '.' in number");
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		intlit = 0;
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i >= n || p[i] < '0' || p[i] > '9')
			return fail(P, i, TG_E_PARSE, "expected a digit in exponent");
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	}
	if (i - start > TG_LIMIT_JSON_NUMBER)
		return fail(P, start, TG_E_TOOBIG, "number longer than %d characters",
			    TG_LIMIT_JSON_NUMBER);
	if (!intlit && !tg_numlit_split((const char *)p + start, i - start, &np))
		return fail(P, start, TG_E_RANGE, "number exponent out of range");
	v = tg_arena_alloc_ptrs(P->a, sizeof(*v));
	lit = v ? tg_arena_strndup(P->a, (const char *)p + start, i - start) : NULL;
	if (!lit)
		return fail_toobig(P);
	v->type = TG_JSON_NUMBER;
	v->flags = intlit ? TG_JSON_F_INTLIT : 0;
	v->pos = start > UINT32_MAX ? UINT32_MAX : (uint32_t)start;
	v->u.s.p = lit;
	v->u.s.len = i - start;
	P->i = i;
	*out = v;
	return TG_OK;
}

static tg_err push_value(struct parser *P, const struct tg_json *v)
{
	if (P->vlen == P->vcap) {
		if (P->vcap >= TG_LIMIT_JSON_MEMBERS)
			return fail(P, P->i, TG_E_TOOBIG, "too many array elements");
		P->vcap = P->vcap ? P->vcap * 2 : 64;
		P->vs = tg_xreallocarray(P->vs, P->vcap, sizeof(*P->vs));
	}
	P->vs[P->vlen++] = v;
	return TG_OK;
}

static tg_err push_member(struct parser *P, const struct tg_json *k, const struct tg_json *v)
{
	if (P->mlen == P->mcap) {
		if (P->mcap >= TG_LIMIT_JSON_MEMBERS)
			return fail(P, P->i, TG_E_TOOBIG, "too many object members");
		P->mcap = P->mcap ? P->mcap * 2 : 32;
		P->ms = tg_xreallocarray(P->ms, P->mcap, sizeof(*P->ms));
	}
	P->ms[P->mlen].key = k;
	P->ms[P->mlen].val = v;
	P->mlen++;
	return TG_OK;
}

static tg_err parse_array(struct parser *P, const struct tg_json **out)
{
	size_t base = P->vlen, start = P->i, count;
	const struct tg_json *item;
	const struct tg_json **items;
	struct tg_json *v;
	tg_err r;

	P->i++;
	skip_ws(P);
	if (P->i < P->n && P->p[P->i] == ']') {
		P->i++;
		*out = &tg_json_empty_array_v;
		return TG_OK;
	}
	for (;;) {
		r = parse_value(P, &item);
		if (r != TG_OK)
			return r;
		r = push_value(P, item);
		if (r != TG_OK)
			return r;
		skip_ws(P);
		if (P->i < P->n && P->p[P->i] == ',') {
			P->i++;
			continue;
		}
		if (P->i < P->n && P->p[P->i] == ']') {
			P->i++;
			break;
		}
		return unexpected(P, "',' or ']'");
	}
	count = P->vlen - base;
	v = tg_arena_alloc_ptrs(P->a, sizeof(*v));
	items = v ? tg_arena_alloc_array(P->a, count, sizeof(*items)) : NULL;
	if (!items)
		return fail_toobig(P);
	memcpy(items, P->vs + base, count * sizeof(*items));
	P->vlen = base;
	v->type = TG_JSON_ARRAY;
	v->flags = 0;
	v->pos = start > UINT32_MAX ? UINT32_MAX : (uint32_t)start;
	v->u.a.items = items;
	v->u.a.len = count;
	*out = v;
	return TG_OK;
}

static tg_err parse_object(struct parser *P, const struct tg_json **out)
{
	size_t base = P->mlen, dup_index = 0;
	const struct tg_json *key = NULL, *val = NULL;
	tg_err r;

	P->i++;
	skip_ws(P);
	if (P->i < P->n && P->p[P->i] == '}') {
		P->i++;
		*out = &tg_json_empty_object_v;
		return TG_OK;
	}
	for (;;) {
		if (P->i >= P->n || P->p[P->i] != '"')
			return unexpected(P, "a string as object key");
		r = parse_string(P, &key);
		if (r != TG_OK)
			return r;
		skip_ws(P);
		if (P->i >= P->n || P->p[P->i] != ':')
			return unexpected(P, "':' after object key");
		P->i++;
		r = parse_value(P, &val);
		if (r != TG_OK)
			return r;
		r = push_member(P, key, val);
		if (r != TG_OK)
			return r;
		skip_ws(P);
		if (P->i < P->n && P->p[P->i] == ',') {
			P->i++;
			skip_ws(P);
			continue;
		}
		if (P->i < P->n && P->p[P->i] == '}') {
			P->i++;
			break;
		}
		return unexpected(P, "',' or '}'");
	}
	r = tg_json_object_finish(P->a, P->ms + base, P->mlen - base, P->dup, out, &dup_index);
	if (r == TG_E_DUPKEY) {
		const struct tg_json *k = P->ms[base + dup_index + 1].key;
		return fail(P, k->pos, TG_E_DUPKEY, "duplicate object key \"%.*s\"",
			    (int)(k->u.s.len > 64 ? 64 : k->u.s.len), k->u.s.p);
	}
	if (r != TG_OK)
		return fail_toobig(P);
	P->mlen = base;
	return TG_OK;
}

static tg_err parse_literal(struct parser *P, const char *word, size_t wl,
			    const struct tg_json *v, const struct tg_json **out)
{
	if (P->n - P->i < wl || memcmp(P->p + P->i, word, wl) != 0)
		return unexpected(P, "a JSON value");
	P->i += wl;
	*out = v;
	return TG_OK;
}

static tg_err parse_value(struct parser *P, const struct tg_json **out)
{
	tg_err r;
	skip_ws(P);
	if (P->i >= P->n)
		return unexpected(P, "a JSON value");
	switch (P->p[P->i]) {
	case '{':
	case '[':
		if (P->depth >= P->max_depth)
			return fail(P, P->i, TG_E_DEPTH, "nesting deeper than %u levels",
				    P->max_depth);
		P->depth++;
		r = P->p[P->i] == '{' ? parse_object(P, out) : parse_array(P, out);
		P->depth--;
		return r;
	case '"':
		return parse_string(P, out);
	case 't':
		return parse_literal(P, "true", 4, &tg_json_true_v, out);
	case 'f':
		return parse_literal(P, "false", 5, &tg_json_false_v, out);
	case 'n':
		return parse_literal(P, "null", 4, &tg_json_null_v, out);
	default:
		if (P->p[P->i] == '-' || (P->p[P->i] >= '0' && P->p[P->i] <= '9'))
			return parse_number(P, out);
		return unexpected(P, "a JSON value");
	}
}

tg_err tg_json_parse(struct tg_arena *a, const void *text, size_t len,
		     const struct tg_json_parse_opts *opts, const struct tg_json **out,
		     size_t *consumed, struct tg_diag *d)
{
	struct parser P;
	const struct tg_json *v = NULL;
	tg_err r;

	memset(&P, 0, sizeof(P));
	P.p = text;
	P.n = len;
	P.a = a;
	P.d = d;
	P.max_depth = opts && opts->max_depth ? opts->max_depth : TG_LIMIT_JSON_DEPTH;
	P.dup = opts ? opts->dup : TG_JSON_DUP_REJECT;
	tg_buf_init(&P.sb, len);
	if (len > UINT32_MAX) {
		r = fail(&P, 0, TG_E_TOOBIG, "document larger than 4 GiB");
		goto out;
	}
	r = parse_value(&P, &v);
	if (r != TG_OK)
		goto out;
	if (opts && opts->allow_trailing) {
		if (consumed)
			*consumed = P.i;
	} else {
		skip_ws(&P);
		if (P.i != P.n) {
			r = fail(&P, P.i, TG_E_PARSE, "unexpected data after the JSON value");
			goto out;
		}
	}
	*out = v;
out:
	free(P.vs);
	free(P.ms);
	tg_buf_release(&P.sb);
	return r;
}
