/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec.h - base64 (RFC 4648 sections 4 and 5) and hex, strict on decode:
 * stray characters, wrong or missing padding and non-zero unused bits are
 * errors, so every byte string has exactly one accepted encoding.
 */
#ifndef TG_CORE_CODEC_H
#define TG_CORE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

enum tg_b64 {
	TG_B64_STD,        /* RFC 4648 4: "+/", padding required */
	TG_B64_URL,        /* RFC 4648 5: "-_", no padding (JOSE, RFC 7515 2) */
	TG_B64_URL_PAD,    /* RFC 4648 5 with padding required */
	TG_B64_STD_NOPAD,  /* "+/" without padding */
};

/* Bytes needed to encode n bytes (without NUL); SIZE_MAX on overflow. */
size_t tg_b64_encoded_len(size_t n, enum tg_b64 v);

/* Appends the encoding of n bytes to out. */
tg_err tg_b64_encode(struct tg_buf *out, const void *p, size_t n, enum tg_b64 v) TG_MUST_CHECK;

/*
 * Appends the decoding of the n characters at s to out. TG_E_ENCODING for
 * any character outside the alphabet (including whitespace), padding that
 * is missing, misplaced or forbidden by the variant, a length that is
 * impossible, or non-zero unused bits in the last character. When d is
 * given it names the offset of the first bad character. On error out is
 * unchanged.
 */
tg_err tg_b64_decode(struct tg_buf *out, const char *s, size_t n, enum tg_b64 v,
		     struct tg_diag *d) TG_MUST_CHECK;

/* Appends lower-case hex of n bytes. */
tg_err tg_hex_encode(struct tg_buf *out, const void *p, size_t n) TG_MUST_CHECK;

/* Writes lower-case hex of n bytes and a NUL into dst (2n+1 bytes). */
void tg_hex_encode_to(char *dst, const void *p, size_t n);

/* Appends the bytes of an even-length hex string (either case).
 * TG_E_ENCODING on odd length or a non-hex character. */
tg_err tg_hex_decode(struct tg_buf *out, const char *s, size_t n) TG_MUST_CHECK;

/* Decodes hex of exactly 2*outlen characters into out. */
tg_err tg_hex_decode_to(uint8_t *out, size_t outlen, const char *s, size_t n) TG_MUST_CHECK;

#endif
