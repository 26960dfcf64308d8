/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mem.c - aborting allocators. Running out of memory is not a recoverable
 * condition for tollgate; input sizes are capped long before it.
 */
#include "core/mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
	fprintf(stderr, "tollgate: out of memory allocating %zu bytes\n", n);
	abort();
}

void *tg_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *tg_xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		oom(count * size);
	return p;
}

void *tg_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

void *tg_xreallocarray(void *p, size_t count, size_t size)
{
	size_t n;
	if (!tg_size_mul(count, size, &n))
		oom(SIZE_MAX);
	return tg_xrealloc(p, n);
}

char *tg_xstrndup(const char *s, size_t n)
{
	char *p;
	size_t total;
	if (!tg_size_add(n, 1, &total))
		oom(SIZE_MAX);
	p = tg_xmalloc(total);
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *tg_xstrdup(const char *s)
{
	return tg_xstrndup(s, strlen(s));
}
