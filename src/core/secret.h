/* SPDX-License-Identifier: Apache-2.0 */
/*
 * secret.h - secret bytes (keys, tokens, passwords) and constant-time
 * comparison. Secrets live in OpenSSL's secure heap when it is enabled,
 * are wiped on every free, and have no formatter: they cannot be logged.
 */
#ifndef TG_CORE_SECRET_H
#define TG_CORE_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct tg_secret {
	uint8_t *p; /* private: do not print, do not copy out */
	size_t len;
};

/* Initialises the secure heap (call once at start-up, before threads).
 * Degrades to the normal heap, with wiping, where mlock is not allowed. */
void tg_secure_heap_init(size_t size);

/* Allocates a zero-filled secret of len bytes (len may be 0). */
struct tg_secret *tg_secret_new(size_t len);

/* Allocates a secret holding a copy of p. */
struct tg_secret *tg_secret_from(const void *p, size_t len);

/* Wipes and frees. NULL ok. */
void tg_secret_free(struct tg_secret *s);

/* Constant-time equality of two byte strings of the same length n; the
 * time depends only on n. */
bool tg_ct_eq(const void *a, const void *b, size_t n);

/* Overwrites n bytes with zeros in a way the compiler cannot elide. */
void tg_wipe(void *p, size_t n);

#endif
