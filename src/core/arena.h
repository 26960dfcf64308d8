/* SPDX-License-Identifier: Apache-2.0 */
/*
 * arena.h - a bump allocator for one request or one document: many small
 * allocations, one release. It has a hard cap on the bytes it hands out.
 */
#ifndef TG_CORE_ARENA_H
#define TG_CORE_ARENA_H

#include <stddef.h>

#include "core/err.h"

struct tg_arena_chunk;

struct tg_arena {
	struct tg_arena_chunk *head; /* current chunk; older ones follow ->prev */
	size_t used;                 /* bytes handed out (with alignment padding) */
	size_t max;                  /* cap on used */
	size_t chunk_size;           /* size of the next regular chunk */
};

/* Prepares an empty arena whose allocations may total max bytes.
 * Allocates nothing until the first tg_arena_alloc. */
void tg_arena_init(struct tg_arena *a, size_t max);

/* Frees every allocation at once. The arena can be reused. NULL ok. */
void tg_arena_release(struct tg_arena *a);

/*
 * Returns n bytes aligned for any type, or NULL when the cap would be
 * passed (the caller maps NULL to TG_E_TOOBIG). Running out of system
 * memory aborts. n == 0 returns a valid unique pointer.
 */
void *tg_arena_alloc(struct tg_arena *a, size_t n);

/* Like tg_arena_alloc with byte alignment (strings, raw bytes) or pointer
 * alignment (structs of pointers and sizes): denser than max alignment. */
void *tg_arena_alloc_bytes(struct tg_arena *a, size_t n);
void *tg_arena_alloc_ptrs(struct tg_arena *a, size_t n);

/* Like tg_arena_alloc for count * size bytes, NULL also on overflow. */
void *tg_arena_alloc_array(struct tg_arena *a, size_t count, size_t size);

/* Copies n bytes and adds a NUL; NULL when over the cap. */
char *tg_arena_strndup(struct tg_arena *a, const char *s, size_t n);

/* Copies n bytes (no NUL added, byte aligned); NULL when over the cap. */
void *tg_arena_memdup(struct tg_arena *a, const void *p, size_t n);

/* Returns the bytes handed out so far. */
size_t tg_arena_used(const struct tg_arena *a);

#endif
