/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jb.h - building JSON values in an arena with the first error kept, so a
 * whole document is built in one expression and checked once (jb.c).
 */
#ifndef TG_CORE_JB_H
#define TG_CORE_JB_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/json.h"

struct tg_jb {
	struct tg_arena *a;
	tg_err r; /* the first error; every builder is a no-op after it */
};
const struct tg_json *tg_jb_strn(struct tg_jb *b, const char *s, size_t n);
const struct tg_json *tg_jb_str(struct tg_jb *b, const char *s);
const struct tg_json *tg_jb_b64(struct tg_jb *b, const void *p, size_t n);
const struct tg_json *tg_jb_int(struct tg_jb *b, int64_t x);
/* The decimal digits of x as a string (protobuf JSON's int64). */
const struct tg_json *tg_jb_int_str(struct tg_jb *b, int64_t x);
/* An object from NULL-terminated key, value pairs; a NULL value omits
 * the member (at most 16 members). */
const struct tg_json *tg_jb_obj(struct tg_jb *b, ...);
const struct tg_json *tg_jb_arr(struct tg_jb *b, const struct tg_json *const *items, size_t n);

#endif
