/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cursor.c - length-checked reads over untrusted bytes.
 * Every read checks the remaining length first and fails without moving.
 */
#include "core/cursor.h"

#include <string.h>

tg_err tg_cursor_u8(struct tg_cursor *c, uint8_t *out)
{
	if (c->off >= c->len)
		return TG_E_PARSE;
	*out = c->p[c->off++];
	return TG_OK;
}

static tg_err cursor_be(struct tg_cursor *c, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;
	if (n > c->len - c->off)
		return TG_E_PARSE;
	for (i = 0; i < n; i++)
		v = (v << 8) | c->p[c->off + i];
	c->off += n;
	*out = v;
	return TG_OK;
}

tg_err tg_cursor_u16be(struct tg_cursor *c, uint16_t *out)
{
	uint64_t v;
	tg_err r = cursor_be(c, 2, &v);
	if (r == TG_OK)
		*out = (uint16_t)v;
	return r;
}

tg_err tg_cursor_u32be(struct tg_cursor *c, uint32_t *out)
{
	uint64_t v;
	tg_err r = cursor_be(c, 4, &v);
	if (r == TG_OK)
		*out = (uint32_t)v;
	return r;
}

tg_err tg_cursor_u64be(struct tg_cursor *c, uint64_t *out)
{
	return cursor_be(c, 8, out);
}

tg_err tg_cursor_bytes(struct tg_cursor *c, size_t n, const uint8_t **out)
{
	if (n > c->len - c->off)
		return TG_E_PARSE;
	*out = c->p + c->off;
	c->off += n;
	return TG_OK;
}

tg_err tg_cursor_skip(struct tg_cursor *c, size_t n)
{
	if (n > c->len - c->off)
		return TG_E_PARSE;
	c->off += n;
	return TG_OK;
}

bool tg_cursor_accept(struct tg_cursor *c, const char *s, size_t n)
{
	if (n > c->len - c->off || memcmp(c->p + c->off, s, n) != 0)
		return false;
	c->off += n;
	return true;
}

tg_err tg_cursor_until(struct tg_cursor *c, uint8_t delim, size_t max,
		       const uint8_t **out, size_t *outlen)
{
	size_t left = c->len - c->off;
	size_t scan = left;
	const uint8_t *start = c->p + c->off;
	const uint8_t *hit;

	if (max < SIZE_MAX && scan > max + 1)
		scan = max + 1;
	hit = memchr(start, delim, scan);
	if (!hit)
		return scan < left || left > max ? TG_E_TOOBIG : TG_E_PARSE;
	*out = start;
	*outlen = (size_t)(hit - start);
	c->off += *outlen + 1;
	return TG_OK;
}

void tg_text_linecol(const uint8_t *p, size_t len, size_t off, uint32_t *line,
		     uint32_t *col)
{
	uint32_t l = 1, k = 1;
	size_t i;
	if (off > len)
		off = len;
	for (i = 0; i < off; i++) {
		if (p[i] == '\n') {
			if (l < UINT32_MAX)
				l++;
			k = 1;
		} else if (k < UINT32_MAX) {
			k++;
		}
	}
	*line = l;
	*col = k;
}

void tg_cursor_linecol(const struct tg_cursor *c, size_t off, uint32_t *line,
		       uint32_t *col)
{
	tg_text_linecol(c->p, c->len, off, line, col);
}
