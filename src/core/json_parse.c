/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json_parse.c - RFC 8259 parser: strict grammar, strict UTF-8, no lone
 * surrogates, bounded depth, values in an arena, children on scratch stacks.
 * For data documents it shares repeated values (hash-consing) and parses
 * files from a mapping it gives back as it goes (docs/internals/json_memory.md).
 */
#include "core/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cursor.h"
#include "core/fs.h"
#include "core/json_internal.h"
#include "core/mem.h"
#include "core/utf8.h"

/* A value built before and the hash it was filed under: comparing the hash
 * first keeps misses from touching the value (a cache miss each). */
struct share_slot {
	const struct tg_json *v;
	uint64_t h;
};

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
	/* sharing: NULL when off, else share_mask + 1 slots */
	struct share_slot *share;
	size_t share_mask;
	uint64_t *seen;	  /* doorkeeper bits: hashes met once */
	size_t seen_mask; /* bits - 1 */
	size_t made;	  /* nodes built so far */
	/* giving back input pages: rel_next is SIZE_MAX when off */
	uint8_t *map;	 /* the mapping, page aligned */
	size_t rel_done; /* bytes of it given back */
	size_t rel_next; /* offset at which to give back more */
};

/* Strings and numbers longer than this are never shared: long strings are
 * rarely repeated and would cost hashing for nothing. */
#define SHARE_STR_MAX 64
/* Arrays and objects with more items than this are never shared. */
#define SHARE_ITEMS_MAX 8
/* Cache slots (16 bytes each): about one per 64 input bytes, within these
 * bounds. */
#define SHARE_SLOTS_MIN 256u
#ifndef SHARE_SLOTS_MAX
#define SHARE_SLOTS_MAX (1u << 17)
#endif
/* Input pages are given back in steps of this many bytes (a multiple of
 * any page size). */
#define RELEASE_STEP ((size_t)4 << 20)

#define HASH_K 0x9e3779b97f4a7c15ULL

static inline uint64_t hash_mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * HASH_K;
	return h ^ (h >> 32);
}

static inline uint64_t hash_end(uint64_t h)
{
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}

static uint64_t hash_bytes(unsigned type, const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = hash_mix(type, n), w;
	size_t i = 0;
	for (; n - i >= 8; i += 8) {
		memcpy(&w, b + i, 8);
		h = hash_mix(h, w);
	}
	if (i < n) {
		w = 0;
		memcpy(&w, b + i, n - i);
		h = hash_mix(h, w);
	}
	return hash_end(h);
}

/* The cache is two-way set associative: slots 2i and 2i+1 form a set, the
 * most recently used first. */

/* Returns the value of type filed under h whose len items (strings and
 * numbers: bytes; arrays: item pointers; objects: members) are the bytes
 * at data, or NULL. */
static const struct tg_json *share_get(struct parser *P, uint64_t h, uint8_t type, size_t len,
				       const void *data, size_t bytes)
{
	struct share_slot *set = &P->share[h & P->share_mask & ~(size_t)1];
	int w;
	for (w = 0; w < 2; w++) {
		const struct tg_json *c = set[w].v;
		const void *cd;
		size_t cn;
		if (!c || set[w].h != h || c->type != type)
			continue;
		if (type == TG_JSON_ARRAY) {
			cd = c->u.a.items;
			cn = c->u.a.len;
		} else if (type == TG_JSON_OBJECT) {
			cd = c->u.o.items;
			cn = c->u.o.len;
		} else {
			cd = c->u.s.p;
			cn = c->u.s.len;
		}
		if (cn != len || (bytes && memcmp(cd, data, bytes) != 0))
			continue;
		if (w) {
			struct share_slot t = set[0];
			set[0] = set[1];
			set[1] = t;
		}
		return c;
	}
	return NULL;
}

/* Files v under h when its hash was met before: values seen once (most
 * names, ids, digests) never enter the cache, so they do not push out the
 * values that do repeat. */
static void share_put(struct parser *P, uint64_t h, const struct tg_json *v)
{
	struct share_slot *set = &P->share[h & P->share_mask & ~(size_t)1];
	size_t bit = (size_t)(h >> 32) & P->seen_mask;
	uint64_t m = (uint64_t)1 << (bit & 63);
	if (!(P->seen[bit >> 6] & m)) {
		P->seen[bit >> 6] |= m;
		return;
	}
	set[1] = set[0];
	set[0].v = v;
	set[0].h = h;
}

/* Gives back the input pages the parser has moved past (the mapping stays;
 * touching a page again reads it from the file again). */
static void release_input(struct parser *P)
{
	size_t upto = P->i & ~(RELEASE_STEP - 1);
	if (upto > P->rel_done) {
		(void)madvise(P->map + P->rel_done, upto - P->rel_done, MADV_DONTNEED);
		P->rel_done = upto;
	}
	P->rel_next = upto + RELEASE_STEP;
}

static inline void maybe_release(struct parser *P)
{
	if (P->i >= P->rel_next)
		release_input(P);
}

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

/* Parses a string starting at the opening quote; returns its bytes, which
 * point into the input or into P->sb and stay valid until the next string
 * is parsed. */
static tg_err parse_string_raw(struct parser *P, const char **sp, size_t *slen)
{
	size_t start = ++P->i, i = start;
	const uint8_t *p = P->p;
	size_t n = P->n;

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
		*sp = (const char *)p + start;
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
	*sp = (const char *)P->sb.data;
	*slen = P->sb.len;
	P->i = i + 1;
	return TG_OK;
}

/* Returns a string or number node for the n bytes at s (copied), or the
 * equal node built before when sharing. */
static tg_err make_scalar(struct parser *P, enum tg_json_type type, uint8_t flags, const char *s,
			  size_t n, size_t at, const struct tg_json **out)
{
	bool share = P->share && n <= SHARE_STR_MAX;
	struct tg_json *v;
	uint64_t h = 0;
	char *copy;

	if (share) {
		const struct tg_json *c;
		h = hash_bytes(type, s, n);
		c = share_get(P, h, (uint8_t)type, n, s, n);
		if (c) {
			*out = c;
			return TG_OK;
		}
	}
	/* node and bytes in one piece: n < 4 GiB, checked on entry */
	v = tg_arena_alloc_ptrs(P->a, sizeof(*v) + n + 1);
	if (!v)
		return fail_toobig(P);
	copy = (char *)(v + 1);
	if (n)
		memcpy(copy, s, n);
	copy[n] = '\0';
	v->type = (uint8_t)type;
	v->flags = flags;
	v->pos = at > UINT32_MAX ? UINT32_MAX : (uint32_t)at;
	v->u.s.p = copy;
	v->u.s.len = n;
	P->made++;
	if (share)
		share_put(P, h, v);
	*out = v;
	return TG_OK;
}

static tg_err parse_string(struct parser *P, const struct tg_json **out)
{
	size_t at = P->i, len = 0;
	const char *sp = NULL;
	tg_err r;
	r = parse_string_raw(P, &sp, &len);
	if (r != TG_OK)
		return r;
	return make_scalar(P, TG_JSON_STRING, 0, sp, len, at, out);
}

static tg_err parse_number(struct parser *P, const struct tg_json **out)
{
	const uint8_t *p = P->p;
	size_t n = P->n, start = P->i, i = start;
	int intlit = 1;
	struct tg_numparts np;

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
	P->i = i;
	return make_scalar(P, TG_JSON_NUMBER, intlit ? TG_JSON_F_INTLIT : 0, (const char *)p + start,
			   i - start, start, out);
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
	size_t base = P->vlen, start = P->i, count, made0 = P->made;
	const struct tg_json *item;
	const struct tg_json **items;
	bool share = false;
	struct tg_json *v;
	uint64_t h = 0;
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
		maybe_release(P);
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
	P->vlen = base;
	/* an item built just now makes this array new: skip the cache */
	if (P->share && count <= SHARE_ITEMS_MAX && P->made == made0) {
		const struct tg_json *c;
		share = true;
		h = hash_bytes(TG_JSON_ARRAY, P->vs + base, count * sizeof(*items));
		c = share_get(P, h, TG_JSON_ARRAY, count, P->vs + base, count * sizeof(*items));
		if (c) {
			*out = c;
			return TG_OK;
		}
	}
	/* node and item pointers in one piece; count is below
	 * TG_LIMIT_JSON_MEMBERS, so the size cannot wrap */
	v = tg_arena_alloc_ptrs(P->a, sizeof(*v) + count * sizeof(*items));
	if (!v)
		return fail_toobig(P);
	items = (const struct tg_json **)(v + 1);
	memcpy(items, P->vs + base, count * sizeof(*items));
	P->made++;
	if (share)
		share_put(P, h, v);
	v->type = TG_JSON_ARRAY;
	v->flags = 0;
	v->pos = start > UINT32_MAX ? UINT32_MAX : (uint32_t)start;
	v->u.a.items = items;
	v->u.a.len = count;
	*out = v;
	return TG_OK;
}

/* Builds the object from the members P->ms[base..] (sorted and settled in
 * place), or hands back the equal object built before when sharing. */
static tg_err finish_object(struct parser *P, size_t base, size_t start, size_t made0,
			    const struct tg_json **out)
{
	struct tg_json_member *m = P->ms + base;
	size_t n = P->mlen - base, k = 0, dup_index = 0;
	bool share = false;
	struct tg_json_member *copy;
	struct tg_json *v;
	uint64_t h = 0;
	tg_err r;

	r = tg_json_members_settle(m, n, P->dup, &k, &dup_index);
	if (r == TG_E_DUPKEY) {
		const struct tg_json *key = m[dup_index + 1].key;
		/* a shared key node remembers where it first appeared, which
		 * may be in another object: point at this object instead */
		if (P->share)
			return fail(P, start, TG_E_DUPKEY, "duplicate key \"%.*s\" in this object",
				    (int)(key->u.s.len > 64 ? 64 : key->u.s.len), key->u.s.p);
		return fail(P, key->pos, TG_E_DUPKEY, "duplicate object key \"%.*s\"",
			    (int)(key->u.s.len > 64 ? 64 : key->u.s.len), key->u.s.p);
	}
	if (r != TG_OK)
		return fail_toobig(P);
	/* a key or value built just now makes this object new: skip the cache */
	if (P->share && k <= SHARE_ITEMS_MAX && P->made == made0) {
		const struct tg_json *c;
		share = true;
		h = hash_bytes(TG_JSON_OBJECT, m, k * sizeof(*m));
		c = share_get(P, h, TG_JSON_OBJECT, k, m, k * sizeof(*m));
		if (c) {
			*out = c;
			return TG_OK;
		}
	}
	/* node and members in one piece; k is below TG_LIMIT_JSON_MEMBERS */
	v = tg_arena_alloc_ptrs(P->a, sizeof(*v) + k * sizeof(*m));
	if (!v)
		return fail_toobig(P);
	copy = (struct tg_json_member *)(v + 1);
	memcpy(copy, m, k * sizeof(*m));
	v->type = TG_JSON_OBJECT;
	v->flags = 0;
	v->pos = start > UINT32_MAX ? UINT32_MAX : (uint32_t)start;
	v->u.o.items = copy;
	v->u.o.len = k;
	P->made++;
	if (share)
		share_put(P, h, v);
	*out = v;
	return TG_OK;
}

static tg_err parse_object(struct parser *P, const struct tg_json **out)
{
	size_t base = P->mlen, start = P->i, made0 = P->made;
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
		maybe_release(P);
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
	r = finish_object(P, base, start, made0, out);
	if (r != TG_OK)
		return r;
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

/* share: build shared values (data documents); map: text is this mapping,
 * whose pages may be given back as the parser passes them. */
static tg_err parse_common(struct tg_arena *a, const void *text, size_t len,
			   const struct tg_json_parse_opts *opts, bool share, uint8_t *map,
			   const struct tg_json **out, size_t *consumed, struct tg_diag *d)
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
	P.rel_next = SIZE_MAX;
	tg_buf_init(&P.sb, len);
	if (len > UINT32_MAX) {
		r = fail(&P, 0, TG_E_TOOBIG, "document larger than 4 GiB");
		goto out;
	}
	if (share) {
		size_t slots = SHARE_SLOTS_MIN;
		while (slots < SHARE_SLOTS_MAX && slots < len / 64)
			slots *= 2;
		P.share = tg_xcalloc(slots, sizeof(*P.share));
		P.share_mask = slots - 1;
		/* 64 doorkeeper bits per slot */
		P.seen = tg_xcalloc(slots, sizeof(*P.seen));
		P.seen_mask = slots * 64 - 1;
	}
	if (map) {
		P.map = map;
		P.rel_next = RELEASE_STEP;
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
	free(P.share);
	free(P.seen);
	tg_buf_release(&P.sb);
	return r;
}

tg_err tg_json_parse(struct tg_arena *a, const void *text, size_t len,
		     const struct tg_json_parse_opts *opts, const struct tg_json **out,
		     size_t *consumed, struct tg_diag *d)
{
	return parse_common(a, text, len, opts, false, NULL, out, consumed, d);
}

tg_err tg_json_parse_data(struct tg_arena *a, const void *text, size_t len,
			  const struct tg_json_parse_opts *opts, const struct tg_json **out,
			  struct tg_diag *d)
{
	struct tg_json_parse_opts o = {TG_JSON_DUP_REJECT, 0, false};
	if (opts) {
		o.dup = opts->dup;
		o.max_depth = opts->max_depth;
	}
	return parse_common(a, text, len, &o, true, NULL, out, NULL, d);
}

tg_err tg_json_parse_fd(struct tg_arena *a, int fd, size_t max,
			const struct tg_json_parse_opts *opts, const struct tg_json **out,
			struct tg_diag *d)
{
	struct tg_json_parse_opts o = {TG_JSON_DUP_REJECT, 0, false};
	struct stat st;
	void *map;
	size_t len;
	tg_err r;

	if (opts) {
		o.dup = opts->dup;
		o.max_depth = opts->max_depth;
	}
	if (fstat(fd, &st) != 0) {
		tg_diag_set(d, "cannot read: %s", strerror(errno));
		return TG_E_IO;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		/* pipes, and files such as /proc ones that report no size */
		struct tg_buf b = TG_BUF_INIT(max);
		r = tg_fs_read_fd(fd, &b);
		if (r == TG_E_TOOBIG)
			tg_diag_set(d, "larger than the limit of %zu bytes", max);
		else if (r != TG_OK)
			tg_diag_set(d, "cannot read: %s", strerror(errno));
		if (r == TG_OK)
			r = parse_common(a, b.len ? (const void *)b.data : "", b.len, &o, true, NULL, out,
					 NULL, d);
		tg_buf_release(&b);
		return r;
	}
	if ((uintmax_t)st.st_size > max || (uintmax_t)st.st_size > SIZE_MAX) {
		tg_diag_set(d, "larger than the limit of %zu bytes", max);
		return TG_E_TOOBIG;
	}
	len = (size_t)st.st_size;
	map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		tg_diag_set(d, "cannot map: %s", strerror(errno));
		return TG_E_IO;
	}
	(void)madvise(map, len, MADV_SEQUENTIAL);
	r = parse_common(a, map, len, &o, true, map, out, NULL, d);
	munmap(map, len);
	return r;
}
