/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_base64.c - libFuzzer target for strict base64 (every variant) and
 * hex: anything that decodes re-encodes to exactly the input (one accepted
 * encoding per byte string), and decode(encode(x)) == x for any bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_or_abort(const struct tg_buf *b, const void *p, size_t n)
{
	if (b->len != n || (n && memcmp(b->data, p, n) != 0))
		abort();
	if (b->data && b->data[b->len] != '\0')
		abort(); /* buffers stay NUL-terminated */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum tg_b64 vs[] = {TG_B64_STD, TG_B64_URL, TG_B64_URL_PAD,
					 TG_B64_STD_NOPAD};
	size_t i;
	for (i = 0; i < 4; i++) {
		struct tg_buf dec = TG_BUF_INIT(1 << 20), enc = TG_BUF_INIT(1 << 22);
		struct tg_diag d;
		tg_err r;
		tg_diag_init(&d);
		/* the input as base64 text */
		r = tg_b64_decode(&dec, (const char *)data, size, vs[i], &d);
		if (r == TG_OK) {
			if (tg_b64_encode(&enc, dec.data, dec.len, vs[i]) != TG_OK)
				abort();
			same_or_abort(&enc, data, size);
		} else {
			if (r != TG_E_ENCODING || dec.len != 0 || d.offset > size)
				abort();
			if (dec.data && dec.data[0] != '\0')
				abort(); /* out unchanged: still "" */
		}
		/* the input as bytes */
		tg_buf_reset(&enc);
		tg_buf_reset(&dec);
		if (tg_b64_encode(&enc, data, size, vs[i]) != TG_OK ||
		    enc.len != tg_b64_encoded_len(size, vs[i]))
			abort();
		if (tg_b64_decode(&dec, (const char *)enc.data, enc.len, vs[i], NULL) != TG_OK)
			abort();
		same_or_abort(&dec, data, size);
		tg_buf_release(&dec);
		tg_buf_release(&enc);
	}
	/* hex both ways */
	{
		struct tg_buf dec = TG_BUF_INIT(1 << 20), enc = TG_BUF_INIT(1 << 22);
		if (tg_hex_decode(&dec, (const char *)data, size) == TG_OK) {
			size_t k;
			if (tg_hex_encode(&enc, dec.data, dec.len) != TG_OK || enc.len != size)
				abort();
			for (k = 0; k < size; k++) {
				uint8_t c = data[k];
				if (c >= 'A' && c <= 'F')
					c = (uint8_t)(c - 'A' + 'a');
				if (enc.data[k] != c)
					abort();
			}
		}
		tg_buf_reset(&enc);
		tg_buf_reset(&dec);
		if (tg_hex_encode(&enc, data, size) != TG_OK || enc.len != 2 * size)
			abort();
		if (tg_hex_decode(&dec, (const char *)enc.data, enc.len) != TG_OK)
			abort();
		same_or_abort(&dec, data, size);
		tg_buf_release(&dec);
		tg_buf_release(&enc);
	}
	return 0;
}
