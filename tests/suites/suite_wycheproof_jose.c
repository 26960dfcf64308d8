/* SPDX-License-Identifier: Apache-2.0 */
/*
 * suite_wycheproof_jose.c - every test of Wycheproof's JOSE vectors
 * (json_web_signature_test.json, json_web_key_test.json) through
 * tg_key_from_jwk / tg_jwks_parse and tg_jws_verify. No wrong answer is
 * allowed; upstream mislabels are named overrides, each proven at run time.
 */
#include "tg_test.h"

#include <inttypes.h>
#include <stdbool.h>

#include "core/codec.h"
#include "core/limits.h"
#include "core/mem.h"
#include "crypto/crypto.h"

#define FILE_SIG "json_web_signature_test.json"
#define FILE_KEY "json_web_key_test.json"

/* One test group: the key or key set the tests verify with. */
struct group {
	const char *file;
	const struct tg_json *g;      /* the group object */
	const struct tg_json *jwk;    /* "public" when present, else "private" */
	unsigned flags;               /* tg_key_from_jwk flags used for jwk */
	struct tg_jwks set;           /* the loaded keys (one for a single JWK) */
	bool loaded;
	char why[TG_DIAG_MSG_MAX + 32]; /* why tollgate refused the key(s) */
};

struct stats {
	size_t total, valid_accepted, invalid_rejected, acceptable, overrides, wrong;
};

/*
 * A proof that an override is still needed: it recomputes, independently
 * of the code under test, why the label cannot be right. It returns false
 * (and the test then counts as wrong) when the reason no longer holds.
 */
typedef bool (*proof_fn)(const struct group *gr, const char *jws, size_t n, char *why,
			 size_t whylen);

struct override {
	const char *file;
	long tcid;
	const char *expect; /* the answer tollgate must give instead of the label */
	const char *name;
	const char *reason;
	proof_fn proof;
};

static bool proof_mac_over_unmodified(const struct group *gr, const char *jws, size_t n,
				      char *why, size_t whylen);
static bool proof_key_alg(const struct group *gr, const char *jws, size_t n, char *why,
			  size_t whylen);
static bool proof_same_as_valid(const struct group *gr, const char *jws, size_t n, char *why,
				size_t whylen);

/*
 * Upstream vectors whose label no conforming implementation can meet;
 * tollgate must give the answer in expect for each, and only for these.
 */
static const struct override overrides[] = {
	{FILE_SIG, 367, "valid", "same-bytes-as-a-valid-vector",
	 "labelled invalid for base64 padding, but the token has no '=' and is byte for byte "
	 "tcId 357, labelled valid (the padding was lost upstream since de8f0c1)",
	 proof_same_as_valid},
	{FILE_SIG, 370, "valid", "same-bytes-as-a-valid-vector",
	 "labelled invalid for base64 padding in the payload, but the token has no '=' and is "
	 "byte for byte tcId 357, labelled valid (the padding was lost upstream since de8f0c1)",
	 proof_same_as_valid},
	{FILE_SIG, 372, "invalid", "mac-over-unmodified-input",
	 "'?' inserted in the header; RFC 7515 2 forbids it and RFC 7515 5.2 MACs the received "
	 "ASCII, but the vector's MAC is over the input without the '?' (jose4j expected failure "
	 "since upstream de8f0c1)",
	 proof_mac_over_unmodified},
	{FILE_SIG, 373, "invalid", "mac-over-unmodified-input",
	 "'?' inserted in the payload; RFC 7515 2 forbids it and RFC 7515 5.2 MACs the received "
	 "ASCII, but the vector's MAC is over the input without the '?' (jose4j expected failure "
	 "since upstream de8f0c1)",
	 proof_mac_over_unmodified},
	{FILE_SIG, 346, "invalid", "key-alg-contradicts-token",
	 "RFC 7520 figure 20 is PS384, but Wycheproof gave its key \"alg\":\"PS256\"; a key's alg "
	 "pins it (RFC 7517 4.4, Wycheproof's own ps512 WrongPrimitive tests 332-340)",
	 proof_key_alg},
	{FILE_SIG, 350, "invalid", "key-alg-contradicts-token",
	 "RFC 7520 figure 20 is PS384, but Wycheproof gave its key \"alg\":\"PS256\"; a key's alg "
	 "pins it (RFC 7517 4.4, Wycheproof's own ps512 WrongPrimitive tests 332-340)",
	 proof_key_alg},
	{FILE_SIG, 347, "invalid", "key-alg-contradicts-token",
	 "RFC 7520 figure 27 is ES512, but Wycheproof gave its key \"alg\":\"ES521\", which is no "
	 "JWS algorithm (RFC 7518 3.1); a key naming an unknown algorithm is refused, as "
	 "Wycheproof's own json_web_key tests 19-20 require",
	 proof_key_alg},
	{FILE_SIG, 351, "invalid", "key-alg-contradicts-token",
	 "RFC 7520 figure 27 is ES512, but Wycheproof gave its key \"alg\":\"ES521\", which is no "
	 "JWS algorithm (RFC 7518 3.1); a key naming an unknown algorithm is refused, as "
	 "Wycheproof's own json_web_key tests 19-20 require",
	 proof_key_alg},
};

static bool verbose;

/* ---- helpers ---- */

/* Splits a compact token at its first and last '.'; false without two. */
static bool split(const char *jws, size_t n, size_t *d1, size_t *d2)
{
	const char *a = memchr(jws, '.', n), *b = NULL;
	size_t i;
	for (i = n; i > 0; i--) {
		if (jws[i - 1] == '.') {
			b = jws + i - 1;
			break;
		}
	}
	if (!a || !b || a == b)
		return false;
	*d1 = (size_t)(a - jws);
	*d2 = (size_t)(b - jws);
	return true;
}

/* The "alg" string of a token's header, decoded leniently enough for a
 * proof: characters outside the base64url alphabet are dropped first. */
static bool header_alg(const char *jws, size_t n, struct tg_arena *a, const struct tg_json **alg)
{
	struct tg_buf clean = TG_BUF_INIT(TG_LIMIT_JWS), hdr = TG_BUF_INIT(TG_LIMIT_JWS);
	const struct tg_json *h = NULL;
	size_t d1, d2, i;
	bool ok = false;

	if (!split(jws, n, &d1, &d2))
		return false;
	for (i = 0; i < d1; i++) {
		char c = jws[i];
		if (((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		     c == '-' || c == '_') &&
		    tg_buf_addc(&clean, (uint8_t)c) != TG_OK)
			goto out;
	}
	if (tg_b64_decode(&hdr, (const char *)clean.data, clean.len, TG_B64_URL, NULL) != TG_OK ||
	    tg_json_parse(a, hdr.data, hdr.len, NULL, &h, NULL, NULL) != TG_OK)
		goto out;
	*alg = tg_json_get(h, "alg");
	ok = *alg && (*alg)->type == TG_JSON_STRING;
out:
	tg_buf_release(&clean);
	tg_buf_release(&hdr);
	return ok;
}

/*
 * Proof for a MAC computed over an input other than the one received:
 * HMAC-SHA-256 under the group's "k" over the received signing input
 * differs from the token's MAC, and over the input with the characters
 * that RFC 7515 2 forbids removed it equals the MAC.
 */
static bool proof_mac_over_unmodified(const struct group *gr, const char *jws, size_t n,
				      char *why, size_t whylen)
{
	const struct tg_json *priv = tg_json_get(gr->g, "private"), *k;
	struct tg_buf key = TG_BUF_INIT(4096), mac = TG_BUF_INIT(4096);
	struct tg_buf stripped = TG_BUF_INIT(TG_LIMIT_JWS);
	uint8_t got[TG_HASH_MAX], fixed[TG_HASH_MAX];
	size_t d1, d2, i;
	bool ok = false;

	k = tg_json_get(priv, "k");
	if (!k || k->type != TG_JSON_STRING || !tg_json_str_eq(tg_json_get(priv, "alg"), "HS256") ||
	    !split(jws, n, &d1, &d2) ||
	    tg_b64_decode(&key, k->u.s.p, k->u.s.len, TG_B64_URL, NULL) != TG_OK ||
	    tg_b64_decode(&mac, jws + d2 + 1, n - d2 - 1, TG_B64_URL, NULL) != TG_OK ||
	    mac.len != 32) {
		snprintf(why, whylen, "the group is not an HS256 key with a well-formed MAC");
		goto out;
	}
	/* RFC 7515 5.2 step 8: the MAC is over the ASCII as received */
	if (tg_hmac(TG_SHA256, key.data, key.len, jws, d2, got) != TG_OK)
		goto out;
	if (tg_ct_eq(got, mac.data, 32)) {
		snprintf(why, whylen, "the MAC does match the received signing input");
		goto out;
	}
	for (i = 0; i < d2; i++) {
		char c = jws[i];
		if (((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		     c == '-' || c == '_' || c == '.') &&
		    tg_buf_addc(&stripped, (uint8_t)c) != TG_OK)
			goto out;
	}
	if (stripped.len == d2 ||
	    tg_hmac(TG_SHA256, key.data, key.len, stripped.data, stripped.len, fixed) != TG_OK ||
	    !tg_ct_eq(fixed, mac.data, 32)) {
		snprintf(why, whylen, "the MAC is not over the input with the stray characters removed");
		goto out;
	}
	snprintf(why, whylen,
		 "HMAC over the %zu received bytes differs from the token's MAC; HMAC over the %zu "
		 "bytes without the stray character equals it",
		 d2, stripped.len);
	ok = true;
out:
	tg_buf_release_wipe(&key);
	tg_buf_release(&mac);
	tg_buf_release(&stripped);
	return ok;
}

/*
 * Proof for a key whose JWK "alg" contradicts the token: the token's
 * header names another algorithm than the key's "alg", tollgate refuses
 * the key for that algorithm (or refuses the key), and the same JWK
 * without its "alg" member loads and verifies the token, so the
 * signature itself is genuine and only the key's pin rejects it.
 */
static bool proof_key_alg(const struct group *gr, const char *jws, size_t n, char *why,
			  size_t whylen)
{
	struct tg_arena a;
	const struct tg_json *kalg = tg_json_get(gr->jwk, "alg"), *halg = NULL, *bare = NULL;
	struct tg_json_member *m = NULL;
	struct tg_key *k = NULL;
	struct tg_jws out;
	struct tg_diag d;
	enum tg_sig_alg token_alg = TG_SIG_NONE, key_alg = TG_SIG_NONE;
	size_t i, nm = 0;
	bool ok = false;

	tg_arena_init(&a, TG_MIB);
	tg_diag_init(&d);
	if (!kalg || kalg->type != TG_JSON_STRING || !header_alg(jws, n, &a, &halg) ||
	    tg_json_eq(kalg, halg) ||
	    tg_sig_alg_from_name(halg->u.s.p, halg->u.s.len, &token_alg) != TG_OK) {
		snprintf(why, whylen, "the key's alg does not contradict a known token alg");
		goto out;
	}
	if (gr->loaded) {
		for (i = 0; i < gr->set.count; i++) {
			if (tg_key_check_alg(gr->set.keys[i], token_alg) == TG_OK) {
				snprintf(why, whylen, "a loaded key allows %s",
					 tg_sig_alg_name(token_alg));
				goto out;
			}
		}
	}
	m = tg_arena_alloc_array(&a, gr->jwk->u.o.len, sizeof(*m));
	if (!m)
		goto out;
	for (i = 0; i < gr->jwk->u.o.len; i++)
		if (!tg_json_str_eq(gr->jwk->u.o.items[i].key, "alg"))
			m[nm++] = gr->jwk->u.o.items[i];
	if (tg_json_new_object(&a, m, nm, TG_JSON_DUP_REJECT, &bare) != TG_OK ||
	    tg_key_from_jwk(bare, gr->flags, &k, &d) != TG_OK) {
		snprintf(why, whylen, "the JWK without alg does not load: %s", d.msg);
		goto out;
	}
	if (tg_jws_verify(jws, n, (const struct tg_key *const *)&k, 1, &a, &out, &d) != TG_OK) {
		snprintf(why, whylen, "the token does not verify with the unpinned key: %s", d.msg);
		goto out;
	}
	snprintf(why, whylen,
		 "key alg '%.*s' (%s) vs token alg '%.*s'; the same JWK without \"alg\" verifies "
		 "the token with %s",
		 (int)kalg->u.s.len, kalg->u.s.p,
		 tg_sig_alg_from_name(kalg->u.s.p, kalg->u.s.len, &key_alg) == TG_OK
			 ? "a JWS algorithm"
			 : "not a JWS algorithm",
		 (int)halg->u.s.len, halg->u.s.p, tg_sig_alg_name(out.alg));
	ok = true;
out:
	tg_key_free(k);
	tg_arena_release(&a);
	return ok;
}

/*
 * Proof for a vector labelled invalid that is byte-identical to a vector
 * of the same group labelled valid, and lacks the defect its comment
 * names (padding): one answer cannot meet both labels.
 */
static bool proof_same_as_valid(const struct group *gr, const char *jws, size_t n, char *why,
				size_t whylen)
{
	const struct tg_json *tests = tg_json_get(gr->g, "tests");
	int64_t other = -1;
	size_t i;

	if (memchr(jws, '=', n)) {
		snprintf(why, whylen, "the token does have padding");
		return false;
	}
	for (i = 0; tests && tests->type == TG_JSON_ARRAY && i < tests->u.a.len; i++) {
		const struct tg_json *t = tests->u.a.items[i], *j = tg_json_get(t, "jws");
		if (tg_json_str_eq(tg_json_get(t, "result"), "valid") && j &&
		    j->type == TG_JSON_STRING && j->u.s.len == n && memcmp(j->u.s.p, jws, n) == 0 &&
		    tg_json_num_i64(tg_json_get(t, "tcId"), &other) == TG_OK) {
			snprintf(why, whylen,
				 "no '=' in the token, and it is byte-identical to tcId %" PRId64
				 ", labelled valid",
				 other);
			return true;
		}
	}
	snprintf(why, whylen, "no vector labelled valid has the same bytes");
	return false;
}

static const struct override *find_override(const char *file, long tcid)
{
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(overrides); i++)
		if (overrides[i].tcid == tcid && strcmp(overrides[i].file, file) == 0)
			return &overrides[i];
	return NULL;
}

/* Loads the group's verification key(s): a refusal is recorded, and then
 * every test of the group counts as rejected. */
static void group_load(struct group *gr)
{
	const struct tg_json *pub = tg_json_get(gr->g, "public");
	struct tg_key *k = NULL;
	struct tg_diag d;
	tg_err r;

	tg_diag_init(&d);
	memset(&gr->set, 0, sizeof(gr->set));
	if (pub && pub->type == TG_JSON_OBJECT) {
		gr->jwk = pub;
		gr->flags = 0;
	} else {
		gr->jwk = tg_json_get(gr->g, "private");
		gr->flags = TG_JWK_ALLOW_HMAC | TG_JWK_ALLOW_PRIVATE;
	}
	if (!gr->jwk || gr->jwk->type != TG_JSON_OBJECT) {
		snprintf(gr->why, sizeof(gr->why), "the group has no key");
		gr->loaded = false;
		return;
	}
	if (tg_json_get(gr->jwk, "keys")) {
		r = tg_jwks_parse(gr->jwk, gr->flags, false, &gr->set, &d);
	} else {
		r = tg_key_from_jwk(gr->jwk, gr->flags, &k, &d);
		if (r == TG_OK) {
			gr->set.keys = tg_xcalloc(1, sizeof(*gr->set.keys));
			gr->set.keys[0] = k;
			gr->set.count = 1;
		}
	}
	gr->loaded = r == TG_OK;
	snprintf(gr->why, sizeof(gr->why), "%s: %s", tg_errname(r), d.msg);
}

static const char *result_of(const struct tg_json *t)
{
	const struct tg_json *r = tg_json_get(t, "result");
	if (tg_json_str_eq(r, "valid"))
		return "valid";
	if (tg_json_str_eq(r, "invalid"))
		return "invalid";
	if (tg_json_str_eq(r, "acceptable"))
		return "acceptable";
	return NULL;
}

static void run_test(struct group *gr, const struct tg_json *t, struct stats *st)
{
	const struct tg_json *jv = tg_json_get(t, "jws"), *cm = tg_json_get(t, "comment");
	const char *label = result_of(t), *want;
	const struct override *ov;
	struct tg_buf text = TG_BUF_INIT(TG_LIMIT_JSON_VERIFY_DOC);
	struct tg_arena a;
	struct tg_jws out;
	struct tg_diag d;
	char why[512] = "";
	const char *jws, *reason = d.msg;
	size_t n;
	int64_t tcid = -1;
	bool accepted = false;
	tg_err r = TG_E_VERIFY;

	st->total++;
	if (tg_json_num_i64(tg_json_get(t, "tcId"), &tcid) != TG_OK || !label || !jv) {
		fprintf(stderr, "WRONG %s: a test without tcId, jws or result\n", gr->file);
		st->wrong++;
		return;
	}
	/* The JSON serialisation (an object) goes in as its JSON text. */
	if (jv->type == TG_JSON_STRING) {
		jws = jv->u.s.p;
		n = jv->u.s.len;
	} else {
		if (tg_json_emit(&text, jv, 0) != TG_OK)
			exit(2);
		jws = (const char *)text.data;
		n = text.len;
	}
	tg_arena_init(&a, 16 * TG_MIB);
	tg_diag_init(&d);
	if (gr->loaded) {
		r = tg_jws_verify(jws, n, (const struct tg_key *const *)gr->set.keys, gr->set.count,
				  &a, &out, &d);
		accepted = r == TG_OK;
	} else {
		reason = gr->why;
	}

	want = label;
	ov = find_override(gr->file, (long)tcid);
	if (ov) {
		if (!ov->proof(gr, jws, n, why, sizeof(why))) {
			fprintf(stderr, "WRONG %s tcId %" PRId64 ": override '%s' no longer proven: %s\n",
				gr->file, tcid, ov->name, why);
			st->wrong++;
			goto out;
		}
		if (accepted == (strcmp(label, "valid") == 0)) {
			fprintf(stderr,
				"WRONG %s tcId %" PRId64 ": tollgate answers '%s' as labelled although "
				"override '%s' is proven: a bug, or a stale override\n",
				gr->file, tcid, label, ov->name);
			st->wrong++;
			goto out;
		}
		want = ov->expect;
	}
	if (strcmp(want, "acceptable") == 0) {
		st->acceptable++;
	} else if (accepted != (strcmp(want, "valid") == 0)) {
		fprintf(stderr, "WRONG %s tcId %" PRId64 " (%.*s): expected %s, tollgate %s (%s: %s)\n",
			gr->file, tcid, cm ? (int)cm->u.s.len : 0, cm ? cm->u.s.p : "", want,
			accepted ? "accepted" : "rejected", gr->loaded ? tg_errname(r) : "key refused",
			reason);
		st->wrong++;
	} else if (ov) {
		fprintf(stderr,
			"override applied: %s tcId %" PRId64 " labelled '%s', expected '%s' "
			"[%s]: %s\n    proof: %s\n    tollgate: %s: %s\n",
			gr->file, tcid, label, ov->expect, ov->name, ov->reason, why,
			accepted ? "accepted" : gr->loaded ? tg_errname(r) : "key refused",
			accepted ? "the signature verifies" : reason);
		st->overrides++;
	} else if (accepted) {
		st->valid_accepted++;
	} else {
		st->invalid_rejected++;
		if (verbose)
			fprintf(stderr, "  rejected tcId %" PRId64 ": %s: %s\n", tcid,
				gr->loaded ? tg_errname(r) : "key refused", reason);
	}
out:
	tg_arena_release(&a);
	tg_buf_release(&text);
}

/* Runs one file; returns false when it could not be run. */
static bool run_file(const char *name, struct stats *st)
{
	char sub[128];
	const char *path;
	struct tg_arena a;
	const struct tg_json *doc = NULL, *groups, *tests;
	struct tg_diag d;
	struct group gr;
	size_t len, i, j;
	int64_t declared = -1;
	char *text;

	snprintf(sub, sizeof(sub), "wycheproof/%s", name);
	path = tg_test_testdata(sub);
	if (!path)
		return false;
	text = tg_test_read_file(path, &len);
	tg_arena_init(&a, 256 * TG_MIB);
	tg_diag_init(&d);
	if (tg_json_parse(&a, text, len, NULL, &doc, NULL, &d) != TG_OK) {
		fprintf(stderr, "WRONG %s: cannot parse: %s at %u:%u\n", name, d.msg, d.line, d.col);
		st->wrong++;
		goto out;
	}
	groups = tg_json_get(doc, "testGroups");
	if (!groups || groups->type != TG_JSON_ARRAY) {
		fprintf(stderr, "WRONG %s: no testGroups\n", name);
		st->wrong++;
		goto out;
	}
	for (i = 0; i < groups->u.a.len; i++) {
		memset(&gr, 0, sizeof(gr));
		gr.file = name;
		gr.g = groups->u.a.items[i];
		group_load(&gr);
		if (!gr.loaded && verbose)
			fprintf(stderr, "  group %zu: key refused: %s\n", i, gr.why);
		tests = tg_json_get(gr.g, "tests");
		for (j = 0; tests && tests->type == TG_JSON_ARRAY && j < tests->u.a.len; j++)
			run_test(&gr, tests->u.a.items[j], st);
		tg_jwks_release(&gr.set);
	}
	if (tg_json_num_i64(tg_json_get(doc, "numberOfTests"), &declared) == TG_OK &&
	    (size_t)declared != st->total) {
		fprintf(stderr, "WRONG %s: ran %zu tests, the file declares %" PRId64 "\n", name,
			st->total, declared);
		st->wrong++;
	}
out:
	tg_arena_release(&a);
	free(text);
	return true;
}

int main(int argc, char **argv)
{
	static const char *const files[] = {FILE_SIG, FILE_KEY};
	struct stats all[2];
	size_t i, wrong = 0, ran = 0;

	verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
	for (i = 0; i < TG_ARRAY_LEN(files); i++) {
		memset(&all[i], 0, sizeof(all[i]));
		if (!run_file(files[i], &all[i]))
			continue;
		ran++;
		fprintf(stderr,
			"wycheproof %s: %zu tests: %zu valid accepted, %zu invalid rejected, "
			"%zu acceptable, %zu overrides applied, %zu wrong\n",
			files[i], all[i].total, all[i].valid_accepted, all[i].invalid_rejected,
			all[i].acceptable, all[i].overrides, all[i].wrong);
		wrong += all[i].wrong;
	}
	if (wrong)
		return 1;
	if (ran < TG_ARRAY_LEN(files))
		return TG_TEST_SKIP;
	return 0;
}
