/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_load_resp.c - libFuzzer target for the HTTP/1.1 response-head parser
 * of bench/tg_load (resp_head, included from the bench source): never reads
 * past the input, a head it accepts ends in CRLF CRLF within the input and
 * names a status of 100..599 and a Content-Length within the client's cap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TG_LOAD_FUZZ 1
#include "../bench/tg_load.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_diag d;
	size_t head_len = 0, clen = 0;
	bool closes = false;
	uint8_t *copy;
	int st = 0;
	tg_err e;

	/* an exact-size heap copy, so that ASan sees any over-read */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	tg_diag_init(&d);
	e = resp_head(copy, size, &st, &head_len, &clen, &closes, &d);
	if (e == TG_OK) {
		if (head_len < 16 || head_len > size || memcmp(copy + head_len - 4, "\r\n\r\n", 4) != 0 ||
		    st < 100 || st > 599 || clen > LOAD_RESP_MAX)
			abort();
	} else if (e == TG_E_AGAIN) {
		if (size >= LOAD_HEAD_MAX || memmem(copy, size, "\r\n\r\n", 4))
			abort(); /* a full buffer or a complete head must be judged */
	} else if (!d.msg[0]) {
		abort(); /* a refusal says why */
	}
	free(copy);
	return 0;
}
