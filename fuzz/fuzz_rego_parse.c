/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_rego_parse.c - libFuzzer target for the Rego parser: modules (v0
 * and v1), queries and terms. What parses must format to text that parses
 * back to an equal AST; what fails must say where and why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "rego/rego_ast.h"
#include "../tests/unit/tg_rego_ast_test.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(const struct tg_rego_error *err, tg_err r)
{
	if (r != TG_E_PARSE && r != TG_E_TOOBIG)
		abort();
	if (!err->code || strcmp(err->code, "rego_parse_error") != 0 || !err->msg[0])
		abort();
}

static void module_case(struct tg_arena *a, const char *text, size_t n, int version)
{
	struct tg_rego_module *m = NULL, *back = NULL;
	struct tg_rego_error err;
	struct tg_buf out = TG_BUF_INIT(64 * TG_MIB);
	tg_err r = tg_rego_parse_module(a, "f.rego", text, n, version, &m, &err);
	if (r != TG_OK) {
		check_error(&err, r);
		return;
	}
	r = tg_rego_format_module(m, &out);
	if (r == TG_E_UNSUPPORTED && version == TG_REGO_V0)
		goto done;
	if (r != TG_OK)
		abort();
	if (tg_rego_parse_module(a, "f.rego", (const char *)out.data, out.len, TG_REGO_V1, &back,
	                         &err) != TG_OK)
		abort();
	if (!req_module(m, back))
		abort();
done:
	tg_buf_release(&out);
}

static void query_case(struct tg_arena *a, const char *text, size_t n, int version)
{
	struct tg_rego_body *b = NULL, *back = NULL;
	struct tg_rego_error err;
	struct tg_buf out = TG_BUF_INIT(64 * TG_MIB);
	tg_err r = tg_rego_parse_query(a, text, n, version, &b, &err);
	if (r != TG_OK) {
		check_error(&err, r);
		return;
	}
	if (tg_rego_format_body(b, &out) != TG_OK)
		abort();
	/* an empty query formats as "true" */
	if (b->n > 0) {
		/* v0 text may name a variable `in`: it reads back as v0 only */
		if (tg_rego_parse_query(a, (const char *)out.data, out.len, TG_REGO_V1, &back,
		                        &err) != TG_OK &&
		    (version == TG_REGO_V1 ||
		     tg_rego_parse_query(a, (const char *)out.data, out.len, TG_REGO_V0, &back,
		                         &err) != TG_OK))
			abort();
		if (!req_body(b, back))
			abort();
	}
	tg_buf_release(&out);
}

static void term_case(struct tg_arena *a, const char *text, size_t n, int version)
{
	struct tg_rego_term *t = NULL, *back = NULL;
	struct tg_rego_error err;
	struct tg_buf out = TG_BUF_INIT(64 * TG_MIB);
	tg_err r = tg_rego_parse_term(a, text, n, version, &t, &err);
	if (r != TG_OK) {
		check_error(&err, r);
		return;
	}
	if (tg_rego_format_term(t, &out) != TG_OK)
		abort();
	if (tg_rego_parse_term(a, (const char *)out.data, out.len, TG_REGO_V1, &back, &err) !=
	            TG_OK &&
	    (version == TG_REGO_V1 || tg_rego_parse_term(a, (const char *)out.data, out.len,
	                                                 TG_REGO_V0, &back, &err) != TG_OK))
		abort();
	if (!req_term(t, back))
		abort();
	tg_buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_arena a;
	const char *text;
	size_t n;
	uint8_t mode;
	if (size < 1)
		return 0;
	/* the first byte picks what to parse; the rest is the source */
	mode = data[0] & 3;
	text = (const char *)data + 1;
	n = size - 1;
	tg_arena_init(&a, 256 * TG_MIB);
	switch (mode) {
	case 0:
		module_case(&a, text, n, TG_REGO_V1);
		break;
	case 1:
		module_case(&a, text, n, TG_REGO_V0);
		break;
	case 2:
		query_case(&a, text, n, (data[0] & 4) ? TG_REGO_V0 : TG_REGO_V1);
		break;
	default:
		term_case(&a, text, n, (data[0] & 4) ? TG_REGO_V0 : TG_REGO_V1);
		break;
	}
	tg_arena_release(&a);
	return 0;
}
