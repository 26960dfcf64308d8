/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cursor.h - a length-checked reader over untrusted bytes (after OpenSSH's
 * sshbuf and curl's strparse). Never assumes NUL termination; every read
 * checks `n > len - off` first and leaves the cursor unchanged on failure.
 */
#ifndef TG_CORE_CURSOR_H
#define TG_CORE_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct tg_cursor {
	const uint8_t *p; /* start of the input */
	size_t len;       /* bytes of input */
	size_t off;       /* next byte to read */
};

static inline void tg_cursor_init(struct tg_cursor *c, const void *p, size_t len)
{
	c->p = (const uint8_t *)p;
	c->len = len;
	c->off = 0;
}

static inline size_t tg_cursor_left(const struct tg_cursor *c)
{
	return c->len - c->off;
}

static inline bool tg_cursor_eof(const struct tg_cursor *c)
{
	return c->off >= c->len;
}

/* Returns the next byte without consuming it, or -1 at the end. */
static inline int tg_cursor_peek(const struct tg_cursor *c)
{
	return c->off < c->len ? c->p[c->off] : -1;
}

/* Reads one byte; TG_E_PARSE at the end. */
tg_err tg_cursor_u8(struct tg_cursor *c, uint8_t *out) TG_MUST_CHECK;

/* Reads big-endian integers; TG_E_PARSE when short. */
tg_err tg_cursor_u16be(struct tg_cursor *c, uint16_t *out) TG_MUST_CHECK;
tg_err tg_cursor_u32be(struct tg_cursor *c, uint32_t *out) TG_MUST_CHECK;
tg_err tg_cursor_u64be(struct tg_cursor *c, uint64_t *out) TG_MUST_CHECK;

/* Points *out at the next n bytes (no copy) and consumes them. */
tg_err tg_cursor_bytes(struct tg_cursor *c, size_t n, const uint8_t **out) TG_MUST_CHECK;

/* Consumes n bytes. */
tg_err tg_cursor_skip(struct tg_cursor *c, size_t n) TG_MUST_CHECK;

/* Consumes the literal s (length n) if the input continues with it. */
bool tg_cursor_accept(struct tg_cursor *c, const char *s, size_t n);

/* Points *out and *outlen at the bytes up to (not including) the next byte
 * equal to delim, consumes them and the delimiter. TG_E_PARSE when the
 * delimiter is missing; TG_E_TOOBIG when the span would exceed max. */
tg_err tg_cursor_until(struct tg_cursor *c, uint8_t delim, size_t max,
		       const uint8_t **out, size_t *outlen) TG_MUST_CHECK;

/* Computes the 1-based line and column (in bytes) of offset off in the
 * input; used only when reporting an error, so it scans from the start. */
void tg_cursor_linecol(const struct tg_cursor *c, size_t off, uint32_t *line,
		       uint32_t *col);

/* Computes the same for any byte range. */
void tg_text_linecol(const uint8_t *p, size_t len, size_t off, uint32_t *line,
		     uint32_t *col);

#endif
