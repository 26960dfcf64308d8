/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_json_data.c - libFuzzer target for the sharing parser of data
 * documents (tg_json_parse_data) against the plain parser, in both
 * duplicate modes: same result code, same diagnostic, equal values, and
 * the same text when emitted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum tg_json_dup modes[] = {TG_JSON_DUP_REJECT, TG_JSON_DUP_LAST};
	size_t m;
	for (m = 0; m < 2; m++) {
		struct tg_arena a;
		struct tg_json_parse_opts o = {modes[m], 0, false};
		const struct tg_json *v1 = NULL, *v2 = NULL;
		struct tg_diag d1, d2;
		tg_err r1, r2;
		tg_arena_init(&a, 64 * TG_MIB);
		tg_diag_init(&d1);
		tg_diag_init(&d2);
		r1 = tg_json_parse(&a, data, size, &o, &v1, NULL, &d1);
		r2 = tg_json_parse_data(&a, data, size, &o, &v2, &d2);
		if (r1 != r2 && r1 != TG_E_TOOBIG && r2 != TG_E_TOOBIG)
			abort();
		/* a duplicate key is reported where its object starts: a shared
		 * key node remembers only its first place */
		if (r1 == r2 && r1 != TG_OK && r1 != TG_E_DUPKEY &&
		    (d1.line != d2.line || d1.col != d2.col || strcmp(d1.msg, d2.msg) != 0))
			abort();
		if (r1 == TG_OK && r2 == TG_OK) {
			struct tg_buf b1 = TG_BUF_INIT(64 * TG_MIB), b2 = TG_BUF_INIT(64 * TG_MIB);
			if (tg_json_cmp(v1, v2) != 0 || tg_json_cmp(v2, v1) != 0)
				abort();
			if (tg_json_emit(&b1, v1, 0) != TG_OK ||
			    tg_json_emit(&b2, v2, 0) != TG_OK || b1.len != b2.len ||
			    (b1.len && memcmp(b1.data, b2.data, b1.len) != 0))
				abort();
			tg_buf_release(&b1);
			tg_buf_release(&b2);
		}
		tg_arena_release(&a);
	}
	return 0;
}
