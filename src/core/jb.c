/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jb.c - building JSON values in an arena with the first error kept:
 * each call is a no-op once b->r is set, so a whole document is built in
 * one expression and checked once.
 */
#include "core/jb.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/codec.h"
#include "core/limits.h"
#include "core/mem.h"

/* bytes of one base64 value: the largest document built (a bundle,
 * TG_SIGN_MAX_DOC) */
#define JB_B64_MAX (16 * TG_MIB)

const struct tg_json *tg_jb_strn(struct tg_jb *b, const char *s, size_t n)
{
	const struct tg_json *v = NULL;
	if (b->r == TG_OK)
		b->r = tg_json_new_string(b->a, s, n, &v);
	return v;
}

const struct tg_json *tg_jb_str(struct tg_jb *b, const char *s)
{
	return tg_jb_strn(b, s, strlen(s));
}

const struct tg_json *tg_jb_b64(struct tg_jb *b, const void *p, size_t n)
{
	struct tg_buf t = TG_BUF_INIT(JB_B64_MAX);
	const struct tg_json *v = NULL;
	if (b->r == TG_OK)
		b->r = tg_b64_encode(&t, p, n, TG_B64_STD);
	if (b->r == TG_OK)
		v = tg_jb_strn(b, (const char *)t.data, t.len);
	tg_buf_release(&t);
	return v;
}

const struct tg_json *tg_jb_int_str(struct tg_jb *b, int64_t x)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)x);
	return tg_jb_strn(b, tmp, (size_t)n);
}

const struct tg_json *tg_jb_int(struct tg_jb *b, int64_t x)
{
	const struct tg_json *v = NULL;
	if (b->r == TG_OK)
		b->r = tg_json_new_int(b->a, x, &v);
	return v;
}

/* An object from NULL-terminated key, value pairs. */
const struct tg_json *tg_jb_obj(struct tg_jb *b, ...)
{
	struct tg_json_member m[16];
	size_t n = 0;
	const struct tg_json *v = NULL;
	va_list ap;
	va_start(ap, b);
	for (;;) {
		const char *k = va_arg(ap, const char *);
		const struct tg_json *val;
		if (!k)
			break;
		val = va_arg(ap, const struct tg_json *);
		if (!val)
			continue;
		if (n == TG_ARRAY_LEN(m)) {
			if (b->r == TG_OK)
				b->r = TG_E_TOOBIG;
			continue;
		}
		m[n].key = tg_jb_str(b, k);
		m[n].val = val;
		n++;
	}
	va_end(ap);
	if (b->r == TG_OK)
		b->r = tg_json_new_object(b->a, m, n, TG_JSON_DUP_REJECT, &v);
	return v;
}

const struct tg_json *tg_jb_arr(struct tg_jb *b, const struct tg_json *const *items, size_t n)
{
	const struct tg_json *v = NULL;
	if (b->r == TG_OK)
		b->r = tg_json_new_array(b->a, items, n, &v);
	return v;
}

