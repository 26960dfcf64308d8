/* SPDX-License-Identifier: Apache-2.0 */
/*
 * secret.c - secret bytes on OpenSSL's secure heap; constant-time compare.
 * Freeing always wipes.
 */
#include "core/secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/mem.h"

void tg_secure_heap_init(size_t size)
{
	if (CRYPTO_secure_malloc_initialized())
		return;
	/* minsize 32: the smallest unit of the buddy allocator. Failure
	 * (e.g. RLIMIT_MEMLOCK) leaves OpenSSL on the normal heap; the bytes
	 * are still wiped on free. */
	(void)CRYPTO_secure_malloc_init(size, 32);
}

struct tg_secret *tg_secret_new(size_t len)
{
	struct tg_secret *s = tg_xmalloc(sizeof(*s));
	s->p = OPENSSL_secure_zalloc(len ? len : 1);
	if (!s->p) {
		fprintf(stderr, "tollgate: out of secure memory\n");
		abort();
	}
	s->len = len;
	return s;
}

struct tg_secret *tg_secret_from(const void *p, size_t len)
{
	struct tg_secret *s = tg_secret_new(len);
	if (len)
		memcpy(s->p, p, len);
	return s;
}

void tg_secret_free(struct tg_secret *s)
{
	if (!s)
		return;
	OPENSSL_secure_clear_free(s->p, s->len ? s->len : 1);
	free(s);
}

bool tg_ct_eq(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

void tg_wipe(void *p, size_t n)
{
	if (p && n)
		OPENSSL_cleanse(p, n);
}
