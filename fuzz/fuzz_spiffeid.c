/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_spiffeid.c - libFuzzer target for SPIFFE IDs and trust domain names
 * (checked against a second, independent reading of SPIFFE-ID 2) and for
 * the pre-verification reading of JWT-SVIDs. Must never crash or disagree.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "identity/identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* SPIFFE-ID 2 as a state machine over the bytes, written apart from
 * spiffeid.c so that the two can disagree. */
static bool oracle(const uint8_t *s, size_t n)
{
	static const char scheme[] = "spiffe://";
	size_t i, td = 0, seg = 0;
	enum { TD, SEG } st = TD;
	bool dots_only = true;

	if (n < 9 || n > 2048 || memcmp(s, scheme, 9) != 0)
		return false;
	for (i = 9; i < n; i++) {
		uint8_t c = s[i];
		bool lower = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
			     c == '-' || c == '_';
		if (st == TD) {
			if (c == '/') {
				st = SEG;
				seg = 0;
				dots_only = true;
				continue;
			}
			if (!lower)
				return false;
			td++;
			continue;
		}
		if (c == '/') {
			if (seg == 0 || (dots_only && seg <= 2))
				return false;
			seg = 0;
			dots_only = true;
			continue;
		}
		if (!lower && !(c >= 'A' && c <= 'Z'))
			return false;
		if (c != '.')
			dots_only = false;
		seg++;
	}
	if (td == 0 || td > 255)
		return false;
	if (st == SEG && (seg == 0 || (dots_only && seg <= 2)))
		return false;
	return true;
}

static struct tg_bundle_set *jwt_set(void)
{
	static struct tg_bundle_set set;
	static struct tg_bundle b;
	struct tg_key *k = NULL, *kk = NULL, *pub = NULL;
	if (set.n)
		return &set;
	/* one P-256 JWT authority "k1" for example.org, made once */
	if (tg_key_generate(TG_KEY_EC_P256, 0, &k) != TG_OK ||
	    tg_key_with_kid(k, "k1", &kk) != TG_OK || tg_key_public(kk, &pub) != TG_OK)
		abort();
	tg_key_free(k);
	tg_key_free(kk);
	memcpy(b.td, "example.org", 12);
	b.jwt.keys = tg_xcalloc(1, sizeof(*b.jwt.keys));
	b.jwt.keys[0] = pub;
	b.jwt.count = 1;
	set.b = &b;
	set.n = 1;
	return &set;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_spiffe_id id, again;
	struct tg_diag d;
	struct tg_arena a;
	struct tg_time now = {1700000000, 0};
	const struct tg_json *claims = NULL;
	char td[TG_SPIFFE_TD_MAX + 1];
	bool ok;

	tg_diag_init(&d);
	ok = tg_spiffe_id_parse((const char *)data, size, &id, &d) == TG_OK;
	if (ok != oracle(data, size))
		abort();
	if (ok) {
		if (strlen(id.uri) != size || memcmp(id.uri, data, size) != 0 ||
		    id.path_off != 9 + id.td_len || id.td_len == 0 || id.td_len > 255)
			abort();
		tg_spiffe_id_td(&id, td);
		if (!tg_spiffe_id_in_td(&id, td) ||
		    tg_spiffe_id_from(td, id.uri + id.path_off, &again, NULL) != TG_OK ||
		    strcmp(again.uri, id.uri) != 0)
			abort();
	} else if (d.msg[0] == '\0') {
		abort(); /* every rejection says why */
	}
	ok = tg_spiffe_td_parse((const char *)data, size, td, NULL) == TG_OK;
	if (ok && (strlen(td) != size || size > 255))
		abort();

	/* the same bytes as a JWT-SVID: header and claims are read before
	 * any key is chosen */
	tg_arena_init(&a, 1 << 22);
	if (tg_jwt_svid_verify((const char *)data, size, jwt_set(), "db", now, NULL, &a, &id,
			       &claims, NULL) == TG_OK)
		abort(); /* nothing signs with the fuzzer's key */
	tg_arena_release(&a);
	return 0;
}
