/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gate_internal.h - helpers shared by the files of src/gate: JSON values
 * built in an arena with the first error kept. Not used outside src/gate.
 */
#ifndef TG_GATE_INTERNAL_H
#define TG_GATE_INTERNAL_H

#include "gate/gate.h"

struct tg_gate_jb {
	struct tg_arena *a;
	tg_err r; /* the first error; every builder is a no-op after it */
};
const struct tg_json *tg_gate_jb_strn(struct tg_gate_jb *b, const char *s, size_t n);
const struct tg_json *tg_gate_jb_str(struct tg_gate_jb *b, const char *s);
const struct tg_json *tg_gate_jb_int(struct tg_gate_jb *b, int64_t x);
/* An object from NULL-terminated key, value pairs; a NULL value omits the
 * member (at most 16 members). */
const struct tg_json *tg_gate_jb_obj(struct tg_gate_jb *b, ...);
const struct tg_json *tg_gate_jb_arr(struct tg_gate_jb *b, const struct tg_json *const *items,
				     size_t n);
/* "sha256:<hex>" */
const struct tg_json *tg_gate_jb_digest(struct tg_gate_jb *b, const uint8_t sha256[32]);

#endif
