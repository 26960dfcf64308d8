/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_pem.c - libFuzzer target for the RFC 7468 decoder: every block it
 * accepts, encoded again, decodes to the same label and bytes, and so does
 * the whole list encoded together.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/pem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_block(const struct tg_pem_block *a, const struct tg_pem_block *b)
{
	if (strcmp(a->label, b->label) != 0 || a->len != b->len ||
	    memcmp(a->der, b->der, a->len) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_pem_list l = {NULL, 0}, again = {NULL, 0};
	struct tg_buf all = TG_BUF_INIT(64 << 20);
	struct tg_diag d;
	size_t i;
	tg_err r;

	tg_diag_init(&d);
	r = tg_pem_decode((const char *)data, size, &l, &d);
	if (r != TG_OK) {
		if (l.blocks || l.count || !d.msg[0])
			abort();
		return 0;
	}
	if (l.count == 0)
		abort();
	for (i = 0; i < l.count; i++) {
		struct tg_buf one = TG_BUF_INIT(64 << 20);
		struct tg_pem_list back = {NULL, 0};
		if (l.blocks[i].len == 0 || strlen(l.blocks[i].label) >= TG_PEM_LABEL_MAX)
			abort();
		if (tg_pem_encode(&one, l.blocks[i].label, l.blocks[i].der, l.blocks[i].len) != TG_OK)
			abort();
		if (tg_pem_decode((const char *)one.data, one.len, &back, NULL) != TG_OK ||
		    back.count != 1)
			abort();
		same_block(&l.blocks[i], &back.blocks[0]);
		if (tg_buf_add(&all, one.data, one.len) != TG_OK)
			abort();
		tg_pem_list_release(&back);
		tg_buf_release(&one);
	}
	if (tg_pem_decode((const char *)all.data, all.len, &again, NULL) != TG_OK ||
	    again.count != l.count)
		abort();
	for (i = 0; i < l.count; i++)
		same_block(&l.blocks[i], &again.blocks[i]);
	tg_pem_list_release(&again);
	tg_pem_list_release(&l);
	tg_buf_release(&all);
	return 0;
}
