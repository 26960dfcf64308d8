/* SPDX-License-Identifier: Apache-2.0 */
/*
 * arena.c - chunked bump allocator. Chunks double in size up to a ceiling;
 * an allocation larger than a chunk gets a chunk of its own.
 */
#include "core/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define ARENA_ALIGN alignof(max_align_t)
#define ARENA_FIRST_CHUNK (4 * 1024)
#define ARENA_MAX_CHUNK (1024 * 1024)

struct tg_arena_chunk {
	struct tg_arena_chunk *prev;
	size_t size; /* usable bytes after the header */
	size_t off;  /* next free byte */
	alignas(max_align_t) unsigned char mem[];
};

void tg_arena_init(struct tg_arena *a, size_t max)
{
	a->head = NULL;
	a->used = 0;
	a->max = max;
	a->chunk_size = ARENA_FIRST_CHUNK;
}

void tg_arena_release(struct tg_arena *a)
{
	struct tg_arena_chunk *c, *prev;

	if (!a)
		return;
	for (c = a->head; c; c = prev) {
		prev = c->prev;
		free(c);
	}
	a->head = NULL;
	a->used = 0;
	a->chunk_size = ARENA_FIRST_CHUNK;
}

static struct tg_arena_chunk *chunk_new(size_t size)
{
	struct tg_arena_chunk *c;
	c = tg_xmalloc(sizeof(*c) + size);
	c->prev = NULL;
	c->size = size;
	c->off = 0;
	return c;
}

/* Hands out n bytes aligned to align (a power of two <= ARENA_ALIGN). */
static void *arena_alloc(struct tg_arena *a, size_t n, size_t align)
{
	struct tg_arena_chunk *c = a->head;
	size_t off = 0, take;

	if (n == 0)
		n = 1;
	/* chunk_new adds its header to n: keep that sum from wrapping. */
	if (n > a->max || n > SIZE_MAX - ARENA_ALIGN - sizeof(struct tg_arena_chunk))
		return NULL;

	if (c) {
		off = (c->off + align - 1) & ~(align - 1);
		if (off <= c->size && c->size - off >= n) {
			take = off - c->off + n;
			/* padding can make take exceed max even though n does not */
			if (take > a->max || a->used > a->max - take)
				return NULL;
			c->off = off + n;
			a->used += take;
			return c->mem + off;
		}
	}
	if (a->used > a->max - n)
		return NULL;

	if (n > a->chunk_size / 2) {
		/* Large: a dedicated chunk, linked behind the current one so the
		 * current chunk's free space stays usable. */
		struct tg_arena_chunk *big = chunk_new(n);
		big->off = n;
		if (c) {
			big->prev = c->prev;
			c->prev = big;
		} else {
			a->head = big;
		}
		a->used += n;
		return big->mem;
	}

	c = chunk_new(a->chunk_size);
	c->prev = a->head;
	a->head = c;
	if (a->chunk_size < ARENA_MAX_CHUNK)
		a->chunk_size *= 2;
	c->off = n;
	a->used += n;
	return c->mem;
}

void *tg_arena_alloc(struct tg_arena *a, size_t n)
{
	return arena_alloc(a, n, ARENA_ALIGN);
}

void *tg_arena_alloc_bytes(struct tg_arena *a, size_t n)
{
	return arena_alloc(a, n, 1);
}

void *tg_arena_alloc_ptrs(struct tg_arena *a, size_t n)
{
	return arena_alloc(a, n, alignof(void *));
}

void *tg_arena_alloc_array(struct tg_arena *a, size_t count, size_t size)
{
	size_t n;
	if (!tg_size_mul(count, size, &n))
		return NULL;
	return tg_arena_alloc(a, n);
}

char *tg_arena_strndup(struct tg_arena *a, const char *s, size_t n)
{
	char *p;
	if (n == SIZE_MAX)
		return NULL;
	p = tg_arena_alloc_bytes(a, n + 1);
	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void *tg_arena_memdup(struct tg_arena *a, const void *src, size_t n)
{
	void *p = tg_arena_alloc_bytes(a, n);
	if (p && n)
		memcpy(p, src, n);
	return p;
}

size_t tg_arena_used(const struct tg_arena *a)
{
	return a->used;
}
