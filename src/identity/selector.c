/* SPDX-License-Identifier: Apache-2.0 */
/*
 * selector.c - selectors, the "type:key:value" facts an attestor proves
 * and a registration entry requires: strict parsing, formatting, and the
 * one validating constructor every attestor builds its selectors with.
 */
#include "identity/identity_internal.h"

#include <string.h>

#include "core/mem.h"
#include "core/utf8.h"

/* type: [a-z0-9_-]; key additionally [A-Z./] (claim names such as
 * "kubernetes.io" or camelCase ones reach keys through the generic
 * profile). ':' never: it ends the field. */
static bool type_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static bool key_char(unsigned char c)
{
	return type_char(c) || (c >= 'A' && c <= 'Z') || c == '.' || c == '/';
}

/* Offset of the first byte of s that is not a name character, or n. */
static size_t name_scan(const char *s, size_t n, bool key)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!(key ? key_char((unsigned char)s[i]) : type_char((unsigned char)s[i])))
			return i;
	return n;
}

size_t tg_selector_value_scan(const char *v, size_t n)
{
	const uint8_t *p = (const uint8_t *)v;
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t len = tg_utf8_decode(p + i, n - i, &cp);
		if (len == 0)
			return i;
		/* C0 controls (NUL, CR, LF, ...), DEL, C1 controls (NEL) and the
		 * Unicode line and paragraph separators: a value is one line. */
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029)
			return i;
		i += len;
	}
	return n;
}

static void diag_at(struct tg_diag *d, size_t off, const char *what)
{
	tg_diag_at(d, 1, (uint32_t)(off + 1), off, "invalid selector: %s at offset %zu", what, off);
}

/* Checks the three fields; offsets in messages are those of the
 * formatted "type:key:value". */
static tg_err check_fields(const char *type, size_t tn, const char *key, size_t kn,
			   const char *value, size_t vn, struct tg_diag *d)
{
	size_t bad, total;

	if (tn == 0) {
		diag_at(d, 0, "empty type");
		return TG_E_PARSE;
	}
	if ((bad = name_scan(type, tn, false)) != tn) {
		diag_at(d, bad, "type character outside [a-z0-9_-]");
		return TG_E_PARSE;
	}
	if (kn == 0) {
		diag_at(d, tn + 1, "empty key");
		return TG_E_PARSE;
	}
	if ((bad = name_scan(key, kn, true)) != kn) {
		diag_at(d, tn + 1 + bad, "key character outside [A-Za-z0-9_./-]");
		return TG_E_PARSE;
	}
	if (vn == 0) {
		diag_at(d, tn + kn + 2, "empty value");
		return TG_E_PARSE;
	}
	if ((bad = tg_selector_value_scan(value, vn)) != vn) {
		diag_at(d, tn + kn + 2 + bad, "control character or invalid UTF-8 in the value");
		return TG_E_PARSE;
	}
	/* tn, kn, vn are each below SIZE_MAX / 4 in every caller (bounded
	 * inputs), but the sum is checked anyway. */
	if (!tg_size_add(tn, kn, &total) || !tg_size_add(total, vn, &total) ||
	    !tg_size_add(total, 2, &total) || total > TG_SELECTOR_MAX) {
		tg_diag_set(d, "invalid selector: longer than %d bytes", TG_SELECTOR_MAX);
		return TG_E_TOOBIG;
	}
	return TG_OK;
}

tg_err tg_selector_parse(const char *s, size_t n, struct tg_arena *a, struct tg_selector *out,
			 struct tg_diag *d)
{
	const char *c1, *c2;
	size_t tn, kn, vn;
	struct tg_selector sel;
	tg_err r;

	if (!s || !a || !out)
		return TG_E_INVAL;
	if (n > TG_SELECTOR_MAX) {
		tg_diag_set(d, "invalid selector: longer than %d bytes", TG_SELECTOR_MAX);
		return TG_E_TOOBIG;
	}
	c1 = memchr(s, ':', n);
	if (!c1) {
		diag_at(d, n, "missing ':' after the type (want type:key:value)");
		return TG_E_PARSE;
	}
	tn = (size_t)(c1 - s);
	c2 = memchr(c1 + 1, ':', n - tn - 1);
	if (!c2) {
		diag_at(d, n, "missing ':' after the key (want type:key:value)");
		return TG_E_PARSE;
	}
	kn = (size_t)(c2 - c1 - 1);
	vn = n - tn - kn - 2;
	r = check_fields(s, tn, c1 + 1, kn, c2 + 1, vn, d);
	if (r != TG_OK)
		return r;
	sel.type = tg_arena_strndup(a, s, tn);
	sel.key = tg_arena_strndup(a, c1 + 1, kn);
	sel.value = tg_arena_strndup(a, c2 + 1, vn);
	if (!sel.type || !sel.key || !sel.value)
		return TG_E_TOOBIG;
	*out = sel;
	return TG_OK;
}

tg_err tg_selector_format(const struct tg_selector *s, struct tg_buf *out)
{
	size_t before;
	tg_err r;

	if (!s || !out || !s->type || !s->key || !s->value)
		return TG_E_INVAL;
	/* Never write what would parse differently. */
	if (check_fields(s->type, strlen(s->type), s->key, strlen(s->key), s->value,
			 strlen(s->value), NULL) != TG_OK)
		return TG_E_INVAL;
	before = out->len;
	r = tg_buf_addf(out, "%s:%s:%s", s->type, s->key, s->value);
	if (r != TG_OK)
		tg_buf_truncate(out, before);
	return r;
}

tg_err tg_selector_make(struct tg_arena *a, const char *type, const char *key, const char *value,
			size_t vn, struct tg_selector *out, struct tg_diag *d)
{
	struct tg_selector sel;
	tg_err r;

	if (!a || !type || !key || !value || !out)
		return TG_E_INVAL;
	if (vn > TG_SELECTOR_MAX) {
		tg_diag_set(d, "value of selector %s:%s is longer than %d bytes", type, key,
			    TG_SELECTOR_MAX);
		return TG_E_TOOBIG;
	}
	r = check_fields(type, strlen(type), key, strlen(key), value, vn, d);
	if (r != TG_OK)
		return r;
	sel.type = tg_arena_strndup(a, type, strlen(type));
	sel.key = tg_arena_strndup(a, key, strlen(key));
	sel.value = tg_arena_strndup(a, value, vn);
	if (!sel.type || !sel.key || !sel.value)
		return TG_E_TOOBIG;
	*out = sel;
	return TG_OK;
}

int tg_selector_cmp(const struct tg_selector *x, const struct tg_selector *y)
{
	int c = strcmp(x->type, y->type);
	if (c == 0)
		c = strcmp(x->key, y->key);
	if (c == 0)
		c = strcmp(x->value, y->value);
	return c;
}
