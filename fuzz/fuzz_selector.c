/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_selector.c - libFuzzer target for selectors: a parsed selector
 * formats back to exactly the input, re-parses to the same fields, and
 * every rejection says why; the validating constructor agrees with parse.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "identity/identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_arena a;
	struct tg_buf b = TG_BUF_INIT(TG_SELECTOR_MAX);
	struct tg_selector s, t;
	struct tg_diag d;
	tg_err r;

	tg_arena_init(&a, 64 * 1024);
	tg_diag_init(&d);
	r = tg_selector_parse((const char *)data, size, &a, &s, &d);
	if (r != TG_OK) {
		if (!d.msg[0] || (r != TG_E_PARSE && r != TG_E_TOOBIG))
			abort();
		goto out;
	}
	/* the fields hold no ':' where it would shift them, no NUL, no line */
	if (strchr(s.type, ':') || strchr(s.key, ':') || !*s.type || !*s.key || !*s.value ||
	    strpbrk(s.value, "\n\r"))
		abort();
	if (strlen(s.type) + strlen(s.key) + strlen(s.value) + 2 != size)
		abort();
	/* reject, don't repair: the accepted text is its only form */
	if (tg_selector_format(&s, &b) != TG_OK || b.len != size || memcmp(b.data, data, size))
		abort();
	if (tg_selector_parse((const char *)b.data, b.len, &a, &t, NULL) != TG_OK ||
	    strcmp(s.type, t.type) || strcmp(s.key, t.key) || strcmp(s.value, t.value))
		abort();
out:
	tg_buf_release(&b);
	tg_arena_release(&a);
	return 0;
}
