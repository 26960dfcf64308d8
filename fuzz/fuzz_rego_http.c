/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_rego_http.c - libFuzzer target for http.send's HTTP/1.1 response
 * parser and its Go url.Parse subset: no crash, consumed bytes and body
 * within bounds, lower-case header names, a message for every error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rego/rego_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BODY 4096

static void check(const uint8_t *data, size_t size, bool eof, bool head)
{
	struct tg_rego_http_resp r;
	char msg[256];
	size_t used = 0;
	tg_err rc;
	tg_rego_http_resp_init(&r, MAX_BODY);
	rc = tg_rego_http_resp_parse(data, size, eof, head, &r, &used, msg, sizeof(msg));
	if (rc == TG_OK) {
		if (used > size || r.body.len > MAX_BODY || r.status < 100 || r.status > 999)
			abort();
		for (size_t i = 0; i < r.nheaders; i++)
			for (const char *p = r.headers[i].name; *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					abort();
	} else if (rc == TG_E_AGAIN) {
		if (eof)
			abort(); /* at the end there is nothing more to wait for */
	} else if (rc != TG_E_PARSE && rc != TG_E_TOOBIG) {
		abort();
	} else if (!msg[0]) {
		abort();
	}
	tg_rego_http_resp_release(&r);
	/* a prefix that asks for more, then the whole: the whole decides */
	if (eof && size > 1) {
		struct tg_rego_http_resp p;
		size_t u2 = 0;
		tg_rego_http_resp_init(&p, MAX_BODY);
		rc = tg_rego_http_resp_parse(data, size / 2, false, head, &p, &u2, msg, sizeof(msg));
		if (rc == TG_OK && u2 > size / 2)
			abort();
		tg_rego_http_resp_release(&p);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_rego_url u;
	char msg[256];
	check(data, size, true, false);
	check(data, size, true, true);
	check(data, size, false, false);
	/* the same bytes as a URL */
	if (tg_rego_url_parse((const char *)data, size, &u, msg, sizeof(msg)) == TG_OK) {
		struct tg_buf b = TG_BUF_INIT(4 * size + 16);
		if (u.host_n > size || u.path_n > size || u.query_n > size)
			abort();
		if (tg_rego_url_escaped_path(&u, &b) != TG_OK)
			abort();
		tg_buf_release(&b);
	} else if (!msg[0]) {
		abort();
	}
	return 0;
}
