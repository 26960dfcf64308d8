/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_intoto.c - libFuzzer target for in-toto links and layouts: what
 * parses must rebuild to the same canonical bytes after a JSON round trip,
 * and its artifact rules must evaluate (against its own link, or an empty
 * one) without crashing; every rejection carries a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sign/intoto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_arena a;
	struct tg_intoto_meta m, back;
	struct tg_buf out = TG_BUF_INIT(4 * TG_LIMIT_INTOTO_FILE);
	struct tg_diag d;
	size_t i;

	if (size > 256 * 1024)
		return 0;
	tg_arena_init(&a, 64 * TG_MIB);
	tg_diag_init(&d);
	if (tg_intoto_meta_parse(&a, data, size, &m, &d) != TG_OK) {
		if (d.msg[0] == '\0')
			abort(); /* every rejection says why */
		goto out;
	}
	/* {"signed": <rebuilt>} parses back to the same signed bytes */
	if (tg_buf_adds(&out, "{\"signed\":") != TG_OK ||
	    tg_json_emit(&out, m.signed_obj, 0) != TG_OK || tg_buf_addc(&out, '}') != TG_OK)
		abort();
	if (tg_intoto_meta_parse(&a, out.data, out.len, &back, &d) != TG_OK)
		abort();
	if (back.canon_len != m.canon_len || memcmp(back.canon, m.canon, m.canon_len) != 0)
		abort();
	if (m.type == TG_INTOTO_LAYOUT) {
		struct tg_intoto_link empty = {"x", &tg_json_empty_object_v, &tg_json_empty_object_v,
					       &tg_json_empty_object_v, &tg_json_empty_array_v,
					       &tg_json_empty_object_v};
		const char *names[1] = {"x"};
		const struct tg_intoto_link *links[1] = {&empty};
		struct tg_intoto_linkset ls = {names, links, 1};
		for (i = 0; i < m.layout.n_steps; i++) {
			(void)tg_intoto_rules_verify(&a, &m.layout.steps[i], false, &empty, &ls, &d);
			(void)tg_intoto_rules_verify(&a, &m.layout.steps[i], true, &empty, &ls, &d);
		}
	} else {
		/* a link's rules against itself: every pattern its paths suggest */
		const char *names[1] = {m.link.name};
		const struct tg_intoto_link *links[1] = {&m.link};
		struct tg_intoto_linkset ls = {names, links, 1};
		for (i = 0; i < m.link.materials->u.o.len && i < 16; i++) {
			const struct tg_json *p = m.link.materials->u.o.items[i].key;
			size_t j;
			for (j = 0; j < m.link.products->u.o.len && j < 16; j++) {
				const struct tg_json *q = m.link.products->u.o.items[j].key;
				(void)tg_intoto_fnmatch(p->u.s.p, p->u.s.len, q->u.s.p, q->u.s.len);
			}
		}
		(void)ls;
	}
out:
	tg_buf_release(&out);
	tg_arena_release(&a);
	return 0;
}
