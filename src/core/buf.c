/* SPDX-License-Identifier: Apache-2.0 */
/*
 * buf.c - growable capped byte buffer.
 * Growth doubles, never beyond the cap chosen at creation.
 */
#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/mem.h"

void tg_buf_init(struct tg_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void tg_buf_release(struct tg_buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void tg_buf_release_wipe(struct tg_buf *b)
{
	if (!b)
		return;
	if (b->data)
		OPENSSL_cleanse(b->data, b->cap);
	tg_buf_release(b);
}

void tg_buf_reset(struct tg_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* Ensures room for n more bytes plus the NUL. */
static tg_err buf_grow(struct tg_buf *b, size_t n)
{
	size_t need, ncap;

	/* len + n == SIZE_MAX leaves no room for the NUL (possible only when
	 * max is SIZE_MAX); refuse it rather than wrap need around. */
	if (n > b->max || b->len > b->max - n || b->len + n == SIZE_MAX)
		return TG_E_TOOBIG;
	need = b->len + n + 1; /* cannot overflow: len + n < SIZE_MAX */
	if (need <= b->cap)
		return TG_OK;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2) {
			ncap = need;
			break;
		}
		ncap *= 2;
	}
	/* Never allocate far beyond what the cap can ever use. */
	if (b->max < SIZE_MAX && ncap > b->max + 1)
		ncap = b->max + 1;
	b->data = tg_xrealloc(b->data, ncap);
	b->cap = ncap;
	b->data[b->len] = '\0'; /* a fresh allocation must read as "" too */
	return TG_OK;
}

tg_err tg_buf_add(struct tg_buf *b, const void *p, size_t n)
{
	tg_err r = buf_grow(b, n);
	if (r != TG_OK)
		return r;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return TG_OK;
}

tg_err tg_buf_adds(struct tg_buf *b, const char *s)
{
	return tg_buf_add(b, s, strlen(s));
}

tg_err tg_buf_addc(struct tg_buf *b, uint8_t c)
{
	if (b->len + 1 < b->cap && b->len < b->max) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
		return TG_OK;
	}
	return tg_buf_add(b, &c, 1);
}

tg_err tg_buf_vaddf(struct tg_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n;
	tg_err r;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return TG_E_INTERNAL;
	r = buf_grow(b, (size_t)n);
	if (r != TG_OK)
		return r;
	n = vsnprintf((char *)b->data + b->len, b->cap - b->len, fmt, ap);
	if (n < 0) {
		b->data[b->len] = '\0';
		return TG_E_INTERNAL;
	}
	b->len += (size_t)n;
	return TG_OK;
}

tg_err tg_buf_addf(struct tg_buf *b, const char *fmt, ...)
{
	va_list ap;
	tg_err r;
	va_start(ap, fmt);
	r = tg_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return r;
}

uint8_t *tg_buf_reserve(struct tg_buf *b, size_t n)
{
	if (buf_grow(b, n) != TG_OK)
		return NULL;
	return b->data + b->len;
}

void tg_buf_commit(struct tg_buf *b, size_t n)
{
	if (n == 0)
		return;
	/* The caller reserved at least n bytes; keep the invariant anyway. */
	if (!b->data || n > b->cap - 1 - b->len)
		abort();
	b->len += n;
	b->data[b->len] = '\0';
}

void tg_buf_truncate(struct tg_buf *b, size_t n)
{
	if (n < b->len) {
		b->len = n;
		b->data[n] = '\0';
	}
}

const char *tg_buf_str(const struct tg_buf *b)
{
	return b->data ? (const char *)b->data : "";
}

void tg_buf_detach(struct tg_buf *b, uint8_t **out, size_t *outlen)
{
	if (!b->data) {
		b->data = tg_xmalloc(1);
		b->data[0] = '\0';
	}
	*out = b->data;
	if (outlen)
		*outlen = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}
