/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_http.c - libFuzzer target for tollgated's HTTP/1.1 request-head
 * parser: never reads past the input, accepts only heads that end in
 * CRLF CRLF within the input, and a refusal always names a status.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_http_req r;
	struct tg_diag d;
	uint8_t *copy;
	int st = -1;
	tg_err e;

	/* an exact-size heap copy, so that ASan sees any over-read */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	tg_diag_init(&d);
	e = tg_http_parse_head(copy, size, &r, &st, &d);
	if (e == TG_OK) {
		if (r.head_len < 4 || r.head_len > size || r.head_len > TG_HTTP_HEAD_MAX ||
		    memcmp(copy + r.head_len - 4, "\r\n\r\n", 4) != 0)
			abort();
		if (r.path[0] != '/' || strlen(r.path) > TG_HTTP_PATH_MAX || !r.method[0] ||
		    r.content_length < -1)
			abort();
	} else if (e == TG_E_AGAIN) {
		if (size >= TG_HTTP_HEAD_MAX)
			abort(); /* a full buffer must be judged */
	} else if (st < 400 || st > 505 || !d.msg[0]) {
		abort();
	}
	free(copy);
	return 0;
}
