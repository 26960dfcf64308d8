/* SPDX-License-Identifier: Apache-2.0 */
/*
 * utf8.h - UTF-8 validation and decoding (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF).
 */
#ifndef TG_CORE_UTF8_H
#define TG_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Decodes one code point at p (n bytes available). Returns its length in
 * bytes (1-4) and stores it in *cp, or 0 when the bytes are not valid
 * UTF-8 at this position.
 */
size_t tg_utf8_decode(const uint8_t *p, size_t n, uint32_t *cp);

/* True when all n bytes are valid UTF-8. *bad (may be NULL) receives the
 * offset of the first invalid byte. */
bool tg_utf8_valid(const uint8_t *p, size_t n, size_t *bad);

/* Writes the encoding of cp (<= 0x10FFFF, not a surrogate) into out (4 bytes
 * room) and returns its length; 0 for an invalid code point. */
size_t tg_utf8_encode(uint32_t cp, uint8_t *out);

#endif
