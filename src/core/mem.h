/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mem.h - allocation that aborts on failure (xmalloc), and overflow-checked
 * size arithmetic. Attacker-influenced sizes are capped before they get here.
 */
#ifndef TG_CORE_MEM_H
#define TG_CORE_MEM_H

#include <stdbool.h>
#include <stddef.h>

/* Allocate or abort; never return NULL. n == 0 allocates one byte. */
void *tg_xmalloc(size_t n);
void *tg_xcalloc(size_t count, size_t size);
void *tg_xrealloc(void *p, size_t n);
/* Reallocate an array of count elements of size bytes; aborts on overflow. */
void *tg_xreallocarray(void *p, size_t count, size_t size);
/* Duplicate n bytes and add a terminating NUL. */
char *tg_xstrndup(const char *s, size_t n);
char *tg_xstrdup(const char *s);

/* *out = a + b; false on overflow (then *out is untouched). */
static inline bool tg_size_add(size_t a, size_t b, size_t *out)
{
	return !__builtin_add_overflow(a, b, out);
}

/* *out = a * b; false on overflow (then *out is untouched). */
static inline bool tg_size_mul(size_t a, size_t b, size_t *out)
{
	return !__builtin_mul_overflow(a, b, out);
}

#define TG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
