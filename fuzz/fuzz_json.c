/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_json.c - libFuzzer target for the JSON parser with both duplicate
 * modes, then the emitter (compact, pretty, ASCII) and RFC 8785 canonical
 * form: whatever parses must emit text that parses back to an equal value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Emits v with flags and parses the text back: it must parse, and the
 * value must be equal by the total order. */
static void emit_roundtrip(struct tg_arena *a, const struct tg_json *v, unsigned flags)
{
	struct tg_buf b = TG_BUF_INIT(64 * TG_MIB);
	const struct tg_json *back = NULL;
	if (tg_json_emit(&b, v, flags) != TG_OK)
		abort(); /* parsed values have string keys and fit */
	if (tg_json_parse(a, b.data, b.len, NULL, &back, NULL, NULL) != TG_OK)
		abort();
	if (tg_json_cmp(v, back) != 0 || tg_json_cmp(back, v) != 0)
		abort();
	tg_buf_release(&b);
}

/* The canonical form, when there is one, is valid JSON and a fixed point. */
static void canon_check(struct tg_arena *a, const struct tg_json *v)
{
	struct tg_buf c1 = TG_BUF_INIT(64 * TG_MIB), c2 = TG_BUF_INIT(64 * TG_MIB);
	const struct tg_json *back = NULL;
	tg_err r = tg_json_canon(&c1, v);
	if (r == TG_OK) {
		if (tg_json_parse(a, c1.data, c1.len, NULL, &back, NULL, NULL) != TG_OK)
			abort();
		if (tg_json_canon(&c2, back) != TG_OK || c1.len != c2.len ||
		    memcmp(c1.data, c2.data, c1.len) != 0)
			abort();
	} else if (r != TG_E_RANGE || c1.len != 0) {
		abort(); /* only numbers beyond a double may fail; out restored */
	}
	tg_buf_release(&c1);
	tg_buf_release(&c2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum tg_json_dup modes[] = {TG_JSON_DUP_REJECT, TG_JSON_DUP_LAST};
	size_t m;
	for (m = 0; m < 2; m++) {
		struct tg_arena a;
		struct tg_json_parse_opts o = {modes[m], 0, false};
		const struct tg_json *v = NULL;
		struct tg_diag d;
		tg_err r;
		tg_arena_init(&a, 64 * TG_MIB);
		tg_diag_init(&d);
		r = tg_json_parse(&a, data, size, &o, &v, NULL, &d);
		if (r == TG_OK) {
			if (!v)
				abort();
			emit_roundtrip(&a, v, 0);
			emit_roundtrip(&a, v, TG_JSON_EMIT_PRETTY);
			emit_roundtrip(&a, v, TG_JSON_EMIT_ASCII);
			canon_check(&a, v);
		} else {
			/* a failure says where, inside the input */
			if (v || d.line == 0 || d.col == 0 || d.offset > size || !d.msg[0])
				abort();
		}
		tg_arena_release(&a);
	}
	/* allow_trailing: a prefix is consumed, never more than the input */
	{
		struct tg_arena a;
		struct tg_json_parse_opts o = {TG_JSON_DUP_LAST, 0, true};
		const struct tg_json *v = NULL;
		size_t used = SIZE_MAX;
		tg_arena_init(&a, 64 * TG_MIB);
		if (tg_json_parse(&a, data, size, &o, &v, &used, NULL) == TG_OK && used > size)
			abort();
		tg_arena_release(&a);
	}
	return 0;
}
