/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec.c - strict base64 and hex.
 * Every byte string has exactly one accepted encoding.
 */
#include "core/codec.h"

#include <string.h>

#include "core/mem.h"

static const char b64_std[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64_is_url(enum tg_b64 v)
{
	return v == TG_B64_URL || v == TG_B64_URL_PAD;
}

static int b64_pads(enum tg_b64 v)
{
	return v == TG_B64_STD || v == TG_B64_URL_PAD;
}

size_t tg_b64_encoded_len(size_t n, enum tg_b64 v)
{
	size_t groups = n / 3, rem = n % 3, len;
	if (groups > (SIZE_MAX - 4) / 4)
		return SIZE_MAX;
	len = groups * 4;
	if (rem)
		len += b64_pads(v) ? 4 : rem + 1;
	return len;
}

tg_err tg_b64_encode(struct tg_buf *out, const void *src, size_t n, enum tg_b64 v)
{
	const uint8_t *p = src;
	const char *alpha = b64_is_url(v) ? b64_url : b64_std;
	size_t len = tg_b64_encoded_len(n, v), i;
	uint8_t *o;

	if (len == SIZE_MAX)
		return TG_E_TOOBIG;
	o = tg_buf_reserve(out, len);
	if (!o)
		return TG_E_TOOBIG;
	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t w = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = (uint8_t)alpha[w >> 18];
		*o++ = (uint8_t)alpha[(w >> 12) & 63];
		*o++ = (uint8_t)alpha[(w >> 6) & 63];
		*o++ = (uint8_t)alpha[w & 63];
	}
	if (n - i == 1) {
		uint32_t w = (uint32_t)p[i] << 16;
		*o++ = (uint8_t)alpha[w >> 18];
		*o++ = (uint8_t)alpha[(w >> 12) & 63];
		if (b64_pads(v)) {
			*o++ = '=';
			*o++ = '=';
		}
	} else if (n - i == 2) {
		uint32_t w = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		*o++ = (uint8_t)alpha[w >> 18];
		*o++ = (uint8_t)alpha[(w >> 12) & 63];
		*o++ = (uint8_t)alpha[(w >> 6) & 63];
		if (b64_pads(v))
			*o++ = '=';
	}
	tg_buf_commit(out, len);
	return TG_OK;
}

/* Returns the 6-bit value of c in the variant's alphabet, or -1. */
static int b64_val(uint8_t c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (url) {
		if (c == '-')
			return 62;
		if (c == '_')
			return 63;
	} else {
		if (c == '+')
			return 62;
		if (c == '/')
			return 63;
	}
	return -1;
}

tg_err tg_b64_decode(struct tg_buf *out, const char *s, size_t n, enum tg_b64 v,
		     struct tg_diag *d)
{
	const uint8_t *p = (const uint8_t *)s;
	int url = b64_is_url(v);
	size_t data = n, pad = 0, i, olen, full;
	uint8_t *o;
	uint32_t w;

	/* Split off the padding, then check it is exactly what the length needs. */
	while (data > 0 && p[data - 1] == '=' && pad < 2) {
		data--;
		pad++;
	}
	if (b64_pads(v)) {
		if (n % 4 != 0) {
			tg_diag_at(d, 0, 0, n, "base64 length %zu is not a multiple of 4", n);
			return TG_E_ENCODING;
		}
		if ((data % 4 == 2 && pad != 2) || (data % 4 == 3 && pad != 1) ||
		    (data % 4 == 0 && pad != 0)) {
			tg_diag_at(d, 0, 0, data, "wrong base64 padding");
			return TG_E_ENCODING;
		}
	} else if (pad) {
		tg_diag_at(d, 0, 0, data, "base64 padding not allowed here");
		return TG_E_ENCODING;
	}
	if (data % 4 == 1) {
		tg_diag_at(d, 0, 0, data, "impossible base64 length %zu", data);
		return TG_E_ENCODING;
	}

	full = data / 4;
	olen = full * 3 + (data % 4 ? data % 4 - 1 : 0);
	o = tg_buf_reserve(out, olen);
	if (!o)
		return TG_E_TOOBIG;

	for (i = 0; i < data; i++) {
		if (b64_val(p[i], url) < 0) {
			tg_diag_at(d, 0, 0, i, "invalid base64 character 0x%02x at offset %zu",
				   p[i], i);
			return TG_E_ENCODING;
		}
	}
	for (i = 0; i + 4 <= data; i += 4) {
		w = (uint32_t)b64_val(p[i], url) << 18 | (uint32_t)b64_val(p[i + 1], url) << 12 |
		    (uint32_t)b64_val(p[i + 2], url) << 6 | (uint32_t)b64_val(p[i + 3], url);
		*o++ = (uint8_t)(w >> 16);
		*o++ = (uint8_t)(w >> 8);
		*o++ = (uint8_t)w;
	}
	if (data - i == 2) {
		w = (uint32_t)b64_val(p[i], url) << 18 | (uint32_t)b64_val(p[i + 1], url) << 12;
		if (w & 0xffff) {
			tg_diag_at(d, 0, 0, i + 1, "non-zero unused bits in base64");
			out->data[out->len] = '\0'; /* undo the bytes written past len */
			return TG_E_ENCODING;
		}
		*o++ = (uint8_t)(w >> 16);
	} else if (data - i == 3) {
		w = (uint32_t)b64_val(p[i], url) << 18 | (uint32_t)b64_val(p[i + 1], url) << 12 |
		    (uint32_t)b64_val(p[i + 2], url) << 6;
		if (w & 0xff) {
			tg_diag_at(d, 0, 0, i + 2, "non-zero unused bits in base64");
			out->data[out->len] = '\0'; /* undo the bytes written past len */
			return TG_E_ENCODING;
		}
		*o++ = (uint8_t)(w >> 16);
		*o++ = (uint8_t)(w >> 8);
	}
	tg_buf_commit(out, olen);
	return TG_OK;
}

static const char hexdig[] = "0123456789abcdef";

void tg_hex_encode_to(char *dst, const void *src, size_t n)
{
	const uint8_t *p = src;
	size_t i;
	for (i = 0; i < n; i++) {
		dst[2 * i] = hexdig[p[i] >> 4];
		dst[2 * i + 1] = hexdig[p[i] & 15];
	}
	dst[2 * n] = '\0';
}

tg_err tg_hex_encode(struct tg_buf *out, const void *p, size_t n)
{
	uint8_t *o;
	size_t len;
	if (!tg_size_mul(n, 2, &len))
		return TG_E_TOOBIG;
	/* reserve() keeps room for the NUL that tg_hex_encode_to writes, so
	 * ask for len only: len + 1 would refuse exactly-fitting output. */
	o = tg_buf_reserve(out, len);
	if (!o)
		return TG_E_TOOBIG;
	tg_hex_encode_to((char *)o, p, n);
	tg_buf_commit(out, len);
	return TG_OK;
}

static int hex_val(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

tg_err tg_hex_decode_to(uint8_t *out, size_t outlen, const char *s, size_t n)
{
	size_t i;
	if (n % 2 != 0 || n / 2 != outlen)
		return TG_E_ENCODING;
	for (i = 0; i < outlen; i++) {
		int hi = hex_val((uint8_t)s[2 * i]), lo = hex_val((uint8_t)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return TG_E_ENCODING;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return TG_OK;
}

tg_err tg_hex_decode(struct tg_buf *out, const char *s, size_t n)
{
	uint8_t *o;
	tg_err r;
	if (n % 2 != 0)
		return TG_E_ENCODING;
	o = tg_buf_reserve(out, n / 2);
	if (!o)
		return TG_E_TOOBIG;
	r = tg_hex_decode_to(o, n / 2, s, n);
	if (r == TG_OK)
		tg_buf_commit(out, n / 2);
	else if (out->data)
		out->data[out->len] = '\0';
	return r;
}
