/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_oidc_claims.c - libFuzzer target for the claim-to-selector mapping
 * of the OIDC attestor (GitHub, GitLab, Kubernetes, generic profiles) over
 * any JSON: the selectors are valid, sorted, unique, of the profile's type.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "identity/identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const types[] = {"oidc", "github", "gitlab", "k8s"};

static void check(const struct tg_json *claims, enum tg_oidc_profile p, struct tg_arena *a)
{
	struct tg_attestation att;
	struct tg_buf b = TG_BUF_INIT(TG_SELECTOR_MAX);
	struct tg_selector s;
	struct tg_diag d;
	struct tg_time now = {1767225600, 0};
	size_t i;
	tg_err r;

	tg_diag_init(&d);
	r = tg_oidc_claims_selectors(p, claims, now, a, &att, &d);
	if (r != TG_OK) {
		if ((r != TG_E_CLAIM && r != TG_E_TOOBIG) || !d.msg[0])
			abort();
		return;
	}
	if (att.n == 0 || !att.subject || strpbrk(att.subject, "\r\n"))
		abort();
	for (i = 0; i < att.n; i++) {
		tg_buf_reset(&b);
		if (strcmp(att.selectors[i].type, types[p]) != 0)
			abort();
		if (tg_selector_format(&att.selectors[i], &b) != TG_OK ||
		    tg_selector_parse((const char *)b.data, b.len, a, &s, NULL) != TG_OK)
			abort();
		/* a set: strictly increasing by (type, key, value) */
		if (i && (strcmp(att.selectors[i - 1].key, att.selectors[i].key) > 0 ||
			  (strcmp(att.selectors[i - 1].key, att.selectors[i].key) == 0 &&
			   strcmp(att.selectors[i - 1].value, att.selectors[i].value) >= 0)))
			abort();
	}
	if (p != TG_OIDC_KUBERNETES && att.flags != 0)
		abort();
	tg_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_arena a;
	const struct tg_json *v = NULL;
	int p;

	tg_arena_init(&a, 16 * 1024 * 1024);
	if (tg_json_parse(&a, data, size, NULL, &v, NULL, NULL) == TG_OK)
		for (p = TG_OIDC_GENERIC; p <= TG_OIDC_KUBERNETES; p++)
			check(v, (enum tg_oidc_profile)p, &a);
	tg_arena_release(&a);
	return 0;
}
