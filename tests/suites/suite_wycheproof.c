/* SPDX-License-Identifier: Apache-2.0 */
/*
 * suite_wycheproof.c - runs every test of the Wycheproof signature (ECDSA
 * DER and P1363, Ed25519, RSA PKCS#1 v1.5 and PSS), AES-GCM and HKDF files
 * in $TG_TESTDATA/wycheproof through tollgate's crypto API; prints a summary
 * per file and fails on any wrong answer. The policy is in docs/wycheproof.md.
 */
#include "tg_test.h"

#include "core/arena.h"
#include "core/buf.h"
#include "core/codec.h"
#include "core/json.h"
#include "core/mem.h"
#include "crypto/crypto.h"

#define ARENA_MAX ((size_t)512 * 1024 * 1024)
#define HEX_MAX ((size_t)1024 * 1024)

/* What we do with a vector whose result is "acceptable", per flag. Every
 * flag that marks an acceptable vector must be listed; docs/wycheproof.md
 * gives the reasons. */
static const struct {
	const char *flag;
	bool accept;
} acceptable_policy[] = {
	/* RSA PKCS#1 v1.5 DigestInfo without the NULL parameters (RFC 8017
	 * 9.2 note 2): we demand the one DER encoding with NULL */
	{"MissingNull", false},
};

struct stats {
	const char *file;
	int total, valid, valid_ok, invalid, invalid_rej, acc_ok, acc_rej, wrong;
	int key_refused; /* vectors whose group key tollgate refused */
};

static int wrong_total;
static int files_run;

/* Appends the bytes of a hex member (missing member: nothing). */
static struct tg_buf hex_member(const struct tg_json *o, const char *name)
{
	struct tg_buf b = TG_BUF_INIT(HEX_MAX);
	const char *s = NULL;
	size_t n = 0;
	if (tg_json_get_string(o, name, &s, &n) != TG_OK) {
		fprintf(stderr, "wycheproof: member '%s' missing\n", name);
		exit(2);
	}
	if (tg_hex_decode(&b, s, n) != TG_OK) {
		fprintf(stderr, "wycheproof: member '%s' is not hex\n", name);
		exit(2);
	}
	return b;
}

static const char *str_member(const struct tg_json *o, const char *name)
{
	const char *s = NULL;
	size_t n = 0;
	if (tg_json_get_string(o, name, &s, &n) != TG_OK)
		return "";
	return s;
}

static int64_t int_member(const struct tg_json *o, const char *name)
{
	int64_t v = -1;
	if (tg_json_get_i64(o, name, &v) != TG_OK)
		return -1;
	return v;
}

/* The one policy for an acceptable vector: every flag that has a policy
 * must agree; a flag without one is a wrong answer (undocumented). */
static bool acceptable_wanted(const struct tg_json *t, bool *known)
{
	const struct tg_json *flags = tg_json_get(t, "flags");
	size_t i, j;
	bool want = true, any = false;
	*known = false;
	for (i = 0; flags && flags->type == TG_JSON_ARRAY && i < flags->u.a.len; i++) {
		for (j = 0; j < TG_ARRAY_LEN(acceptable_policy); j++) {
			if (tg_json_str_eq(flags->u.a.items[i], acceptable_policy[j].flag)) {
				any = true;
				want = want && acceptable_policy[j].accept;
			}
		}
	}
	*known = any;
	return want;
}

static const char *first_flag(const struct tg_json *t)
{
	const struct tg_json *flags = tg_json_get(t, "flags");
	if (flags && flags->type == TG_JSON_ARRAY && flags->u.a.len > 0 &&
	    flags->u.a.items[0]->type == TG_JSON_STRING)
		return flags->u.a.items[0]->u.s.p;
	return "";
}

/* Records one answer: accepted is what tollgate did. */
static void record(struct stats *st, const struct tg_json *t, bool accepted, const char *why)
{
	const char *result = str_member(t, "result");
	bool ok;
	st->total++;
	if (!strcmp(result, "valid")) {
		st->valid++;
		ok = accepted;
		st->valid_ok += ok;
	} else if (!strcmp(result, "invalid")) {
		st->invalid++;
		ok = !accepted;
		st->invalid_rej += ok;
	} else {
		bool known = false;
		bool want = acceptable_wanted(t, &known);
		ok = known && want == accepted;
		if (accepted)
			st->acc_ok++;
		else
			st->acc_rej++;
		if (!known)
			fprintf(stderr, "%s: tcId %lld: acceptable vector with no policy (flag %s)\n",
				st->file, (long long)int_member(t, "tcId"), first_flag(t));
	}
	if (!ok) {
		st->wrong++;
		fprintf(stderr, "WRONG %s: tcId %lld (%s, %s, flag %s): %s%s%s\n", st->file,
			(long long)int_member(t, "tcId"), result, str_member(t, "comment"),
			first_flag(t), accepted ? "accepted" : "rejected", why ? ": " : "",
			why ? why : "");
	}
}

static void summary(const struct stats *st, const char *acceptable_note)
{
	printf("%-42s total %4d  valid accepted %3d/%-3d  invalid rejected %3d/%-3d  "
	       "acceptable %d (accepted %d, rejected %d%s%s)  wrong %d\n",
	       st->file, st->total, st->valid_ok, st->valid, st->invalid_rej, st->invalid,
	       st->acc_ok + st->acc_rej, st->acc_ok, st->acc_rej, acceptable_note ? ": " : "",
	       acceptable_note ? acceptable_note : "", st->wrong);
	if (st->key_refused)
		printf("%-42s %d vectors had a group key tollgate refuses by policy\n", "",
		       st->key_refused);
	wrong_total += st->wrong;
}

/* Parses a whole suite file; NULL (after a loud SKIPPED line) when absent. */
static const struct tg_json *load(struct tg_arena *a, const char *file)
{
	char sub[256];
	const char *path;
	const struct tg_json *v = NULL;
	struct tg_diag d;
	char *text;
	size_t len = 0;
	snprintf(sub, sizeof(sub), "wycheproof/%s", file);
	path = tg_test_testdata(sub);
	if (!path)
		return NULL;
	text = tg_test_read_file(path, &len);
	tg_diag_init(&d);
	if (tg_json_parse(a, text, len, NULL, &v, NULL, &d) != TG_OK) {
		fprintf(stderr, "%s: cannot parse: %u:%u %s\n", file, d.line, d.col, d.msg);
		exit(2);
	}
	free(text);
	files_run++;
	return v;
}

static const struct tg_json *groups(const struct tg_json *doc)
{
	const struct tg_json *g = tg_json_get(doc, "testGroups");
	if (!g || g->type != TG_JSON_ARRAY) {
		fprintf(stderr, "wycheproof: no testGroups\n");
		exit(2);
	}
	return g;
}

static const struct tg_json *tests_of(const struct tg_json *g)
{
	const struct tg_json *t = tg_json_get(g, "tests");
	if (!t || t->type != TG_JSON_ARRAY) {
		fprintf(stderr, "wycheproof: group without tests\n");
		exit(2);
	}
	return t;
}

/* ---- signatures ---- */

enum sig_kind { SIG_ECDSA_DER, SIG_ECDSA_P1363, SIG_EDDSA, SIG_RSA_PKCS1, SIG_RSA_PSS };

/* The JOSE algorithm that matches a group's parameters, or TG_SIG_NONE. */
static enum tg_sig_alg group_alg(const struct tg_json *g, enum sig_kind kind)
{
	const char *sha = str_member(g, "sha");
	int h = !strcmp(sha, "SHA-256") ? 0 : !strcmp(sha, "SHA-384") ? 1
					  : !strcmp(sha, "SHA-512") ? 2 : -1;
	switch (kind) {
	case SIG_ECDSA_DER:
	case SIG_ECDSA_P1363:
		return h < 0 ? TG_SIG_NONE : (enum tg_sig_alg)(TG_SIG_ES256 + h);
	case SIG_EDDSA:
		return TG_SIG_EDDSA;
	case SIG_RSA_PKCS1:
		return h < 0 ? TG_SIG_NONE : (enum tg_sig_alg)(TG_SIG_RS256 + h);
	case SIG_RSA_PSS:
		/* JOSE PS*: MGF1 with the same hash, salt as long as the hash */
		if (h < 0 || strcmp(str_member(g, "mgf"), "MGF1") != 0 ||
		    strcmp(str_member(g, "mgfSha"), sha) != 0 ||
		    (size_t)int_member(g, "sLen") != (size_t)(32 + 16 * h))
			return TG_SIG_NONE;
		return (enum tg_sig_alg)(TG_SIG_PS256 + h);
	}
	return TG_SIG_NONE;
}

/* Imports the group's JWK (when it has one) and checks that it is the same
 * key as the DER one: a cross-check of tg_key_from_jwk. */
static void jwk_cross_check(struct stats *st, const struct tg_json *g, const struct tg_key *k)
{
	const struct tg_json *jwk = tg_json_get(g, "publicKeyJwk");
	struct tg_key *jk = NULL;
	struct tg_diag d;
	tg_err r;
	if (!jwk)
		jwk = tg_json_get(g, "keyJwk");
	if (!jwk || !k)
		return;
	tg_diag_init(&d);
	r = tg_key_from_jwk(jwk, 0, &jk, &d);
	if (r != TG_OK || !tg_key_equal_public(jk, k)) {
		fprintf(stderr, "WRONG %s: the group JWK does not import as the DER key: %s %s\n",
			st->file, tg_errname(r), d.msg);
		st->wrong++;
	}
	tg_key_free(jk);
}

static void run_sig(const char *file, enum sig_kind kind)
{
	struct tg_arena a;
	struct stats st = {file, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	const struct tg_json *doc, *gs;
	size_t gi, ti;

	tg_arena_init(&a, ARENA_MAX);
	doc = load(&a, file);
	if (!doc) {
		tg_arena_release(&a);
		return;
	}
	gs = groups(doc);
	for (gi = 0; gi < gs->u.a.len; gi++) {
		const struct tg_json *g = gs->u.a.items[gi], *ts = tests_of(g);
		struct tg_buf der = hex_member(g, "publicKeyDer");
		struct tg_key *k = NULL;
		struct tg_diag d;
		enum tg_sig_alg alg = group_alg(g, kind);
		enum tg_sig_format fmt =
			kind == SIG_ECDSA_P1363 ? TG_SIG_FORMAT_RAW : TG_SIG_FORMAT_DER;
		bool refused;

		tg_diag_init(&d);
		refused = tg_key_from_der(der.data, der.len, false, &k, &d) != TG_OK;
		if (refused)
			fprintf(stderr, "%s: group %zu: key refused: %s\n", file, gi, d.msg);
		jwk_cross_check(&st, g, k);
		for (ti = 0; ti < ts->u.a.len; ti++) {
			const struct tg_json *t = ts->u.a.items[ti];
			struct tg_buf msg = hex_member(t, "msg"), sig = hex_member(t, "sig");
			uint8_t dig[TG_HASH_MAX];
			bool accepted = false;
			const char *why = NULL;
			tg_err r = TG_E_KEY;
			if (refused) {
				st.key_refused++;
				why = "group key refused";
			} else {
				r = tg_verify(k, alg, fmt, msg.data, msg.len, sig.data, sig.len);
				accepted = r == TG_OK;
				if (r != TG_OK && r != TG_E_VERIFY)
					why = tg_errname(r);
				/* the digest path must give the same answer */
				if (alg != TG_SIG_EDDSA) {
					enum tg_hash_alg h = tg_sig_alg_hash(alg);
					tg_err r2 = tg_hash(h, msg.data, msg.len, dig);
					if (r2 == TG_OK)
						r2 = tg_verify_digest(k, alg, fmt, dig,
								      tg_hash_len(h), sig.data,
								      sig.len);
					if (r2 != r) {
						fprintf(stderr,
							"WRONG %s: tcId %lld: tg_verify %s but "
							"tg_verify_digest %s\n",
							file, (long long)int_member(t, "tcId"),
							tg_errname(r), tg_errname(r2));
						st.wrong++;
					}
				}
			}
			record(&st, t, accepted, why);
			tg_buf_release(&msg);
			tg_buf_release(&sig);
		}
		tg_key_free(k);
		tg_buf_release(&der);
	}
	summary(&st, kind == SIG_RSA_PKCS1 && st.acc_ok + st.acc_rej ? "MissingNull rejected" : NULL);
	tg_arena_release(&a);
}

/* ---- AES-GCM ---- */

static void run_aes_gcm(void)
{
	const char *file = "aes_gcm_test.json";
	struct tg_arena a;
	struct stats st = {file, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	const struct tg_json *doc, *gs;
	size_t gi, ti;

	tg_arena_init(&a, ARENA_MAX);
	doc = load(&a, file);
	if (!doc) {
		tg_arena_release(&a);
		return;
	}
	gs = groups(doc);
	for (gi = 0; gi < gs->u.a.len; gi++) {
		const struct tg_json *g = gs->u.a.items[gi], *ts = tests_of(g);
		if (int_member(g, "tagSize") != 8 * TG_AEAD_TAG_LEN) {
			/* tollgate only makes and takes 16-byte tags */
			for (ti = 0; ti < ts->u.a.len; ti++)
				record(&st, ts->u.a.items[ti], false, "tag size not supported");
			continue;
		}
		for (ti = 0; ti < ts->u.a.len; ti++) {
			const struct tg_json *t = ts->u.a.items[ti];
			struct tg_buf key = hex_member(t, "key"), iv = hex_member(t, "iv"),
				      aad = hex_member(t, "aad"), msg = hex_member(t, "msg"),
				      ct = hex_member(t, "ct"), tag = hex_member(t, "tag");
			struct tg_buf sealed = TG_BUF_INIT(HEX_MAX), opened = TG_BUF_INIT(HEX_MAX),
				      ctag = TG_BUF_INIT(HEX_MAX);
			bool accepted;
			const char *why = NULL;
			tg_err rs, ro;

			if (tg_buf_add(&ctag, ct.data, ct.len) != TG_OK ||
			    tg_buf_add(&ctag, tag.data, tag.len) != TG_OK)
				exit(2);
			rs = tg_aead_seal(key.data, key.len, iv.data, iv.len, aad.data, aad.len,
					  msg.data, msg.len, &sealed);
			ro = tg_aead_open(key.data, key.len, iv.data, iv.len, aad.data, aad.len,
					  ctag.data, ctag.len, &opened);
			if (!strcmp(str_member(t, "result"), "valid")) {
				/* both directions: seal gives exactly ct||tag, open gives msg */
				accepted = rs == TG_OK && sealed.len == ctag.len &&
					   !memcmp(sealed.data, ctag.data, ctag.len) && ro == TG_OK &&
					   opened.len == msg.len &&
					   !memcmp(opened.data, msg.data, msg.len);
				if (!accepted) {
					static char buf[96];
					snprintf(buf, sizeof(buf), "%s with a %zu-byte IV: seal %s, open %s",
						 rs != TG_OK || ro != TG_OK ? "failed" : "output differs",
						 iv.len, tg_errname(rs), tg_errname(ro));
					why = buf;
				}
			} else {
				accepted = ro == TG_OK;
				if (ro == TG_OK && opened.len != msg.len)
					why = "opened to a different length";
			}
			record(&st, t, accepted, why);
			tg_buf_release(&key);
			tg_buf_release(&iv);
			tg_buf_release(&aad);
			tg_buf_release(&msg);
			tg_buf_release(&ct);
			tg_buf_release(&tag);
			tg_buf_release(&sealed);
			tg_buf_release(&opened);
			tg_buf_release(&ctag);
		}
	}
	summary(&st, NULL);
	tg_arena_release(&a);
}

/* ---- HKDF ---- */

static void run_hkdf(void)
{
	const char *file = "hkdf_sha256_test.json";
	struct tg_arena a;
	struct stats st = {file, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	const struct tg_json *doc, *gs;
	size_t gi, ti;

	tg_arena_init(&a, ARENA_MAX);
	doc = load(&a, file);
	if (!doc) {
		tg_arena_release(&a);
		return;
	}
	gs = groups(doc);
	for (gi = 0; gi < gs->u.a.len; gi++) {
		const struct tg_json *g = gs->u.a.items[gi], *ts = tests_of(g);
		for (ti = 0; ti < ts->u.a.len; ti++) {
			const struct tg_json *t = ts->u.a.items[ti];
			struct tg_buf ikm = hex_member(t, "ikm"), salt = hex_member(t, "salt"),
				      info = hex_member(t, "info"), okm = hex_member(t, "okm");
			int64_t size = int_member(t, "size");
			uint8_t *out;
			bool accepted = false;
			const char *why = NULL;
			tg_err r;

			if (size < 0 || size > 1024 * 1024) {
				fprintf(stderr, "%s: tcId %lld: unexpected size\n", file,
					(long long)int_member(t, "tcId"));
				exit(2);
			}
			out = malloc((size_t)size + 1);
			if (!out)
				exit(2);
			r = tg_hkdf(TG_SHA256, salt.data, salt.len, ikm.data, ikm.len, info.data,
				    info.len, out, (size_t)size);
			if (r == TG_OK) {
				accepted = okm.len == (size_t)size && !memcmp(out, okm.data, okm.len);
				if (!accepted)
					why = "output differs";
			}
			record(&st, t, accepted, why);
			free(out);
			tg_buf_release(&ikm);
			tg_buf_release(&salt);
			tg_buf_release(&info);
			tg_buf_release(&okm);
		}
	}
	summary(&st, NULL);
	tg_arena_release(&a);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	run_sig("ecdsa_secp256r1_sha256_test.json", SIG_ECDSA_DER);
	run_sig("ecdsa_secp384r1_sha384_test.json", SIG_ECDSA_DER);
	run_sig("ecdsa_secp256r1_sha256_p1363_test.json", SIG_ECDSA_P1363);
	run_sig("ecdsa_secp384r1_sha384_p1363_test.json", SIG_ECDSA_P1363);
	run_sig("ed25519_test.json", SIG_EDDSA);
	run_sig("rsa_signature_2048_sha256_test.json", SIG_RSA_PKCS1);
	run_sig("rsa_pss_2048_sha256_mgf1_32_test.json", SIG_RSA_PSS);
	run_aes_gcm();
	run_hkdf();
	if (files_run == 0)
		return TG_TEST_SKIP;
	printf("wycheproof: %d files, %d wrong answers\n", files_run, wrong_total);
	return wrong_total ? 1 : 0;
}
