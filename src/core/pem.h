/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pem.h - RFC 7468 textual encoding: "-----BEGIN L-----", base64 lines,
 * "-----END L-----". Decoding is strict inside a block (matching labels,
 * standard base64 with correct padding, no RFC 1421 headers) and ignores
 * explanatory text between blocks, as RFC 7468 section 2 allows.
 */
#ifndef TG_CORE_PEM_H
#define TG_CORE_PEM_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

#define TG_PEM_LABEL_MAX 64

struct tg_pem_block {
	char label[TG_PEM_LABEL_MAX]; /* e.g. "CERTIFICATE", NUL-terminated */
	uint8_t *der;                 /* decoded bytes, owned (free()) */
	size_t len;
};

struct tg_pem_list {
	struct tg_pem_block *blocks;
	size_t count;
};

/*
 * Decodes every block of the n bytes at text into *out (owned; release
 * with tg_pem_list_release). TG_E_PARSE with line:column in d for a
 * malformed block; TG_E_NOTFOUND when there is no block at all; TG_E_TOOBIG
 * beyond TG_LIMIT_PEM_BLOCKS blocks or TG_LIMIT_PEM_FILE bytes.
 */
tg_err tg_pem_decode(const char *text, size_t n, struct tg_pem_list *out,
		     struct tg_diag *d) TG_MUST_CHECK;

void tg_pem_list_release(struct tg_pem_list *l);

/* Appends one block with 64-character lines and a final newline. */
tg_err tg_pem_encode(struct tg_buf *out, const char *label, const void *der,
		     size_t n) TG_MUST_CHECK;

#endif
