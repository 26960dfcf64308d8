/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_json_smoke.c - first checks of the JSON model while the full
 * suite is written.
 */
#include "tg_test.h"

#include "core/json.h"

static const char *canon(const char *in)
{
	static char out[4096];
	struct tg_arena a;
	struct tg_buf b = TG_BUF_INIT(1 << 20);
	const struct tg_json *v;
	struct tg_diag d;
	tg_arena_init(&a, 1 << 20);
	tg_diag_init(&d);
	if (tg_json_parse(&a, in, strlen(in), NULL, &v, NULL, &d) != TG_OK) {
		snprintf(out, sizeof(out), "ERR %u:%u %s", d.line, d.col, d.msg);
	} else if (tg_json_canon(&b, v) != TG_OK) {
		snprintf(out, sizeof(out), "CANON ERR");
	} else {
		snprintf(out, sizeof(out), "%s", tg_buf_str(&b));
	}
	tg_buf_release(&b);
	tg_arena_release(&a);
	return out;
}

TEST(basic)
{
	CHECK_STR(canon("{\"b\": 1, \"a\": [true, null, \"x\"]}"), "{\"a\":[true,null,\"x\"],\"b\":1}");
	CHECK_STR(canon("[1e21, 1e-7, 0.000001, 123.456e3, -0, 1.0]"), "[1e+21,1e-7,0.000001,123456,0,1]");
	CHECK_STR(canon("{\"a\":1,\"a\":2}"), "ERR 1:8 duplicate object key \"a\"");
	CHECK_STR(canon("[1,\n 2,]"), "ERR 2:4 unexpected ']', expected a JSON value");
	CHECK_STR(canon("\"\\ud83d\\ude00\""), "\"\xf0\x9f\x98\x80\"");
	CHECK_STR(canon("[4.50, 2e-3, 0.0000001, 333333333.33333329, 1E30, 4.50e-300]"),
		  "[4.5,0.002,1e-7,333333333.3333333,1e+30,4.5e-300]");
}

int main(void)
{
	RUN(basic);
	return tg_test_done();
}
