/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_agent_view.c - libFuzzer target for the agent's parser of tollgated's
 * GET /v1/agent/entries answer (tg_server_agent_view_parse): never reads past
 * the input; what it accepts has a revision of 64 hex digits, entries whose
 * parent is the agent, a bundle of the agent's trust domain, and a deny list
 * sorted and unique; a refusal says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "identity/identity.h"
#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_server_agent_view v;
	struct tg_bundle_set bs = {NULL, 0};
	struct tg_arena a;
	struct tg_diag d;
	uint8_t *copy;
	char td[TG_SPIFFE_TD_MAX + 1];
	struct tg_spiffe_id id;
	size_t i;
	tg_err e;

	/* an exact-size heap copy, so that ASan sees any over-read */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	memset(&v, 0, sizeof(v));
	tg_arena_init(&a, 8 * 1024 * 1024);
	tg_diag_init(&d);
	e = tg_server_agent_view_parse(copy, size, &a, &v, &bs, &d);
	if (e == TG_OK) {
		if (strlen(v.revision) != 64 ||
		    tg_spiffe_id_parse(v.spiffe_id, strlen(v.spiffe_id), &id, NULL) != TG_OK)
			abort();
		tg_spiffe_id_td(&id, td);
		if (!tg_bundle_set_find(&bs, td))
			abort();
		for (i = 0; i < v.nentries; i++)
			if (strcmp(v.entries[i].parent_id.uri, v.spiffe_id) != 0 ||
			    v.entries[i].nselectors == 0 || strlen(v.entries[i].id) != 36)
				abort();
		/* the deny list: sorted and unique (lookups search it), serials
		 * lower-case hex of whole octets */
		for (i = 0; i < v.nrevoked_serials; i++) {
			size_t n = strlen(v.revoked_serials[i]);
			if (n == 0 || n % 2 || strspn(v.revoked_serials[i], "0123456789abcdef") != n ||
			    (i && strcmp(v.revoked_serials[i - 1], v.revoked_serials[i]) >= 0))
				abort();
		}
		for (i = 0; i < v.nrevoked_jtis; i++)
			if (!v.revoked_jtis[i][0] ||
			    (i && strcmp(v.revoked_jtis[i - 1], v.revoked_jtis[i]) >= 0))
				abort();
	} else if (!d.msg[0] || bs.n || bs.b) {
		abort(); /* a refusal says why, and leaves nothing behind */
	}
	tg_bundle_set_release(&bs);
	tg_arena_release(&a);
	free(copy);
	return 0;
}
