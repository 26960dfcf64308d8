/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_admission_record.c - libFuzzer target for the signer's check of an
 * admission decision record (tg_server_admission_entry): what it accepts is
 * canonical JSON, and the log entry it builds is canonical JSON too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/json.h"
#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must_be_canonical(const uint8_t *p, size_t n)
{
	struct tg_arena a;
	struct tg_buf c = TG_BUF_INIT(TG_SMSG_MAX);
	const struct tg_json *v = NULL;
	tg_arena_init(&a, 16 * 1024 * 1024);
	if (tg_json_parse(&a, p, n, NULL, &v, NULL, NULL) != TG_OK || tg_json_canon(&c, v) != TG_OK ||
	    c.len != n || memcmp(c.data, p, n) != 0)
		abort();
	tg_buf_release(&c);
	tg_arena_release(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_buf e = TG_BUF_INIT(TG_SMSG_MAX);
	if (size > 1024 * 1024)
		return 0; /* the message cap of TG_SMSG_LOG_ADMISSION */
	if (tg_server_admission_entry(data, size, &e, NULL) == TG_OK) {
		must_be_canonical(data, size);
		must_be_canonical(e.data, e.len);
	}
	tg_buf_release(&e);
	return 0;
}
