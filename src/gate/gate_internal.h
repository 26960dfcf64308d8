/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gate_internal.h - helpers shared by the files of src/gate: the digest
 * as a JSON string, on top of core/jb.h. Not used outside src/gate.
 */
#ifndef TG_GATE_INTERNAL_H
#define TG_GATE_INTERNAL_H

#include "core/jb.h"
#include "gate/gate.h"

/* "sha256:<hex>" */
const struct tg_json *tg_gate_jb_digest(struct tg_jb *b, const uint8_t sha256[32]);

#endif
