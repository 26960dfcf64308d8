/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_tile_path.c - libFuzzer target for the tlog-tiles path parser of
 * tollgated's tile routes: never reads past the input, and the encoding
 * is canonical: whatever it accepts re-encodes to exactly the input, and
 * every refusal says why.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* c2sp.org/tlog-tiles, written again here: <L|entries>/x.../NNN[.p/W] */
static size_t encode(const struct tg_server_tile *t, char *out, size_t cap)
{
	unsigned part[8];
	size_t k = 0, len;
	uint64_t n = t->index;
	do {
		part[k++] = (unsigned)(n % 1000);
		n /= 1000;
	} while (n > 0);
	if (t->level < 0)
		len = (size_t)snprintf(out, cap, "entries/");
	else
		len = (size_t)snprintf(out, cap, "%d/", t->level);
	while (k > 0) {
		k--;
		len += (size_t)snprintf(out + len, cap - len, k ? "x%03u/" : "%03u", part[k]);
	}
	if (t->width < 256)
		len += (size_t)snprintf(out + len, cap - len, ".p/%u", t->width);
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_server_tile t;
	struct tg_diag d;
	char again[96];
	char *copy;
	tg_err e;

	/* an exact-size heap copy, so that ASan sees any over-read */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	tg_diag_init(&d);
	e = tg_server_tile_path_parse(copy, size, &t, &d);
	if (e == TG_OK) {
		if (t.level < TG_TILE_ENTRIES || t.level > 63 || t.width < 1 || t.width > 256)
			abort();
		if (encode(&t, again, sizeof(again)) != size || memcmp(again, copy, size) != 0)
			abort(); /* two spellings of one tile */
	} else if ((e != TG_E_PARSE && e != TG_E_RANGE) || !d.msg[0]) {
		abort();
	}
	free(copy);
	return 0;
}
