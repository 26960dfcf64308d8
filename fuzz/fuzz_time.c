/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_time.c - libFuzzer target for RFC 3339 parsing and formatting: a
 * parsed time formats (when in 0000-9999 UTC) to text that parses back to
 * the same instant, and formatting arbitrary times never overruns.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void format_roundtrip(struct tg_time t)
{
	char buf[TG_TIME_STR_MAX], again[TG_TIME_STR_MAX];
	struct tg_time u;
	size_t n;
	if (tg_time_format(t, buf, sizeof(buf)) != TG_OK)
		return;
	n = strlen(buf);
	if (n < 20 || buf[n - 1] != 'Z')
		abort();
	if (tg_time_parse(buf, n, &u, NULL) != TG_OK || u.sec != t.sec || u.nsec != t.nsec)
		abort();
	if (tg_time_format(u, again, sizeof(again)) != TG_OK || strcmp(buf, again) != 0)
		abort();
	/* one byte short of room is refused, never overrun */
	if (tg_time_format(t, again, n) != TG_E_TOOBIG)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_time t = {0, 0};
	struct tg_diag d;
	tg_diag_init(&d);
	if (tg_time_parse((const char *)data, size, &t, &d) == TG_OK) {
		if (t.nsec < 0 || t.nsec > 999999999)
			abort();
		format_roundtrip(t);
	} else if (!d.msg[0]) {
		abort();
	}
	/* the input's first 12 bytes as a time value */
	if (size >= 12) {
		struct tg_time r;
		int64_t s;
		int32_t ns;
		memcpy(&s, data, sizeof(s));
		memcpy(&ns, data + 8, sizeof(ns));
		r.sec = s % 400000000000;
		r.nsec = (int32_t)((uint32_t)ns % 1000000000u);
		format_roundtrip(r);
		r.sec = s;
		r.nsec = ns;
		format_roundtrip(r);
	}
	return 0;
}
