/* SPDX-License-Identifier: Apache-2.0 */
/*
 * buf.h - a growable byte buffer with a hard cap chosen at creation
 * (after curl's dynbuf). The contents are always NUL-terminated so that
 * text can be handed to C APIs, but the length is authoritative.
 */
#ifndef TG_CORE_BUF_H
#define TG_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct tg_buf {
	uint8_t *data; /* NULL until the first append */
	size_t len;    /* bytes in use, excluding the terminating NUL */
	size_t cap;    /* bytes allocated */
	size_t max;    /* hard cap on len; appends beyond it fail with TG_E_TOOBIG */
};

#define TG_BUF_INIT(maxlen) {NULL, 0, 0, (maxlen)}

/* Prepares an empty buffer that may grow up to max bytes. Allocates nothing. */
void tg_buf_init(struct tg_buf *b, size_t max);

/* Frees the contents and leaves the buffer empty (max is kept). NULL ok. */
void tg_buf_release(struct tg_buf *b);

/* Like release, but wipes the bytes first (for buffers that held secrets). */
void tg_buf_release_wipe(struct tg_buf *b);

/* Sets the length to 0 and keeps the allocation. */
void tg_buf_reset(struct tg_buf *b);

/* Appends n bytes. On TG_E_TOOBIG the buffer is unchanged. */
tg_err tg_buf_add(struct tg_buf *b, const void *p, size_t n) TG_MUST_CHECK;

/* Appends a NUL-terminated string (without the NUL). */
tg_err tg_buf_adds(struct tg_buf *b, const char *s) TG_MUST_CHECK;

/* Appends one byte. */
tg_err tg_buf_addc(struct tg_buf *b, uint8_t c) TG_MUST_CHECK;

/* Appends formatted text. On error the buffer is unchanged. */
tg_err tg_buf_addf(struct tg_buf *b, const char *fmt, ...) TG_PRINTF(2, 3) TG_MUST_CHECK;
tg_err tg_buf_vaddf(struct tg_buf *b, const char *fmt, va_list ap) TG_MUST_CHECK TG_PRINTF(2, 0);

/* Makes room for at least n more bytes and returns where they go, so that
 * a producer can write in place and then call tg_buf_commit(b, n).
 * Returns NULL (and changes nothing) when n would pass the cap. */
uint8_t *tg_buf_reserve(struct tg_buf *b, size_t n);
void tg_buf_commit(struct tg_buf *b, size_t n);

/* Drops bytes from the end so that len becomes n (n <= len). */
void tg_buf_truncate(struct tg_buf *b, size_t n);

/* Returns the contents as a C string ("" when empty); valid until the
 * next change to the buffer. */
const char *tg_buf_str(const struct tg_buf *b);

/* Hands the allocation to the caller (*out, *outlen; free() it) and leaves
 * the buffer empty. An empty buffer yields an allocated "". */
void tg_buf_detach(struct tg_buf *b, uint8_t **out, size_t *outlen);

#endif
