/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_admission.c - libFuzzer target for AdmissionReview v1 requests:
 * any bytes get an AdmissionReview response that parses, is never allowed
 * when the review was refused, says 400 for malformed reviews and echoes
 * the uid; every pinned digest is decided by the default policy.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/limits.h"
#include "gate/gate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tg_gate *gate;
static struct tg_gate_policy *policy;

static tg_err lookup(void *ctx, const uint8_t digest[32], const struct tg_gate_evidence **out,
		     size_t *n)
{
	(void)ctx;
	(void)digest;
	*out = NULL;
	*n = 0;
	return TG_OK;
}

static void setup(void)
{
	struct tg_sign_trustroot tr;
	struct tg_diag d;
	static const char config[] =
		"{\"tollgate\":{\"gate\":{\"config\":{\"signers\":[{\"identity\":\"x\",\"issuer\":\"y\"}],"
		"\"require_provenance\":false}}}}";
	memset(&tr, 0, sizeof(tr));
	tg_diag_init(&d);
	if (tg_gate_new(&tr, NULL, &gate) != TG_OK ||
	    tg_gate_policy_default(config, strlen(config), &policy, &d) != TG_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_gate_admission cfg;
	struct tg_gate_ns_rule rules[1] = {{"audit-ns", NULL, TG_GATE_AUDIT}};
	struct tg_gate_review rv;
	struct tg_arena a;
	const struct tg_json *doc = NULL, *resp, *allowed;
	struct tg_diag d;
	tg_err r;

	if (!gate)
		setup();
	memset(&cfg, 0, sizeof(cfg));
	cfg.gate = gate;
	cfg.policy = policy;
	cfg.mode = size > 0 ? (enum tg_gate_mode)(data[size - 1] % 3) : TG_GATE_ENFORCE;
	cfg.ns = rules;
	cfg.nns = 1;
	cfg.lookup = lookup;
	tg_diag_init(&d);
	r = tg_gate_admission_review(&cfg, (const char *)data, size, (struct tg_time){1800000000, 0},
				     &rv, &d);
	if (!rv.json)
		abort();
	if (r != TG_OK && (rv.allowed || d.msg[0] == '\0'))
		abort(); /* a refusal is never allowed and always says why */
	if ((r == TG_E_PARSE || r == TG_E_TOOBIG || r == TG_E_DUPKEY || r == TG_E_DEPTH) && rv.code != 400)
		abort();
	tg_arena_init(&a, 64 * TG_MIB);
	if (tg_json_parse(&a, rv.json, rv.json_len, NULL, &doc, NULL, NULL) != TG_OK)
		abort();
	resp = tg_json_get(doc, "response");
	allowed = tg_json_get(resp, "allowed");
	if (!allowed || allowed->type != TG_JSON_BOOL || allowed->u.b != rv.allowed ||
	    !tg_json_get(resp, "uid"))
		abort();
	tg_arena_release(&a);
	tg_gate_review_release(&rv);
	return 0;
}
