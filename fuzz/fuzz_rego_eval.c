/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_rego_eval.c - libFuzzer target for the Rego compiler and evaluator:
 * the input is a module, optionally followed by "\n--- input\n" and a JSON
 * input. Whatever compiles is evaluated under tight limits; nothing may
 * crash, leak or hang (steps, memory, depth and time are bounded).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "rego/rego.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const queries[] = {"data", "data.fuzz", "x := data.fuzz[_]", "data.fuzz.p = x"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\n--- input\n";
	const char *text = (const char *)data, *in = NULL;
	size_t n = size, nin = 0, i;
	struct tg_rego_builder *b = NULL;
	struct tg_rego_policy *p = NULL;
	struct tg_rego_errors errs;
	int version = TG_REGO_V1;

	if (size > 64 * 1024)
		return 0;
	if (size > 0 && data[0] == '0') {
		version = TG_REGO_V0; /* a leading '0' selects v0 syntax */
		text++;
		n--;
	}
	for (i = 0; i + sizeof(sep) - 1 <= n; i++)
		if (memcmp(text + i, sep, sizeof(sep) - 1) == 0) {
			in = text + i + sizeof(sep) - 1;
			nin = n - i - (sizeof(sep) - 1);
			n = i;
			break;
		}
	tg_rego_errors_init(&errs);
	if (tg_rego_builder_new(&b) != TG_OK)
		return 0;
	if (tg_rego_builder_add_text(b, "fuzz.rego", text, n, version, &errs) == TG_OK &&
	    tg_rego_builder_build(b, 0, &p, &errs) == TG_OK) {
		struct tg_rego_options o;
		struct tg_arena a;
		const struct tg_json *input = NULL;
		memset(&o, 0, sizeof(o));
		o.limits.steps = 20000;
		o.limits.memory = 8 * 1024 * 1024;
		o.limits.depth = 64;
		o.limits.timeout_ms = 2000;
		o.limits.stack = 256 * 1024;
		o.now_ns = 1700000000000000000LL;
		tg_arena_init(&a, o.limits.memory);
		if (in && tg_json_parse(&a, in, nin, NULL, &input, NULL, NULL) != TG_OK)
			input = NULL;
		for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
			struct tg_rego_query *q = NULL;
			struct tg_rego_errors qe;
			tg_rego_errors_init(&qe);
			if (tg_rego_query_prepare(p, queries[i], strlen(queries[i]), TG_REGO_V1, &q, &qe) ==
			    TG_OK) {
				struct tg_arena ea;
				const struct tg_json *rows = NULL;
				struct tg_buf out = TG_BUF_INIT(16 * 1024 * 1024);
				tg_arena_init(&ea, o.limits.memory);
				if (tg_rego_query_eval(q, input, &o, &ea, &rows, &qe, NULL) == TG_OK &&
				    tg_rego_result_json(rows, &out) != TG_OK)
					tg_buf_reset(&out); /* too large to print: fine */
				tg_buf_release(&out);
				tg_arena_release(&ea);
			}
			tg_rego_query_free(q);
			tg_rego_errors_release(&qe);
		}
		tg_arena_release(&a);
	}
	tg_rego_policy_free(p);
	tg_rego_builder_free(b);
	tg_rego_errors_release(&errs);
	return 0;
}
