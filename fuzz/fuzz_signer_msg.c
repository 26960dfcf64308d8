/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_signer_msg.c - libFuzzer target for the signer request codec: a
 * decoded message's fields lie inside the input, and re-encoding it gives
 * back exactly the input (one encoding per message).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_smsg m;
	struct tg_buf b = TG_BUF_INIT(TG_SMSG_MAX);
	size_t i;
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (tg_smsg_decode(copy, size, &m, NULL) == TG_OK) {
		if (m.n > TG_SMSG_FIELDS)
			abort();
		for (i = 0; i < m.n; i++)
			if (m.f[i].len && (m.f[i].p < copy || m.f[i].p + m.f[i].len > copy + size))
				abort();
		if (tg_smsg_encode(&m, &b) != TG_OK || b.len != size || memcmp(b.data, copy, size) != 0)
			abort();
	}
	tg_buf_release(&b);
	free(copy);
	return 0;
}
