/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_tlog.c - transparency log: Merkle property tests, signed-note test
 * vectors (Go sumdb, C2SP), checkpoints, the tiles directory, tlog-proof
 * files and the witness.
 */
#include "tg_test.h"

#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/codec.h"
#include "core/fs.h"
#include "core/mem.h"
#include "tlog/tlog.h"

/* xorshift64*: a deterministic generator for test shapes only. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static void leaf_of(uint64_t i, uint8_t out[32])
{
	char e[32];
	int n = snprintf(e, sizeof(e), "entry %llu", (unsigned long long)i);
	tg_tlog_leaf_hash(e, (size_t)n, out);
}

/* RFC 9162 2.1.1 MTH computed directly by recursion, independent of the
 * node-source code under test. */
static void mth_ref(uint64_t lo, uint64_t hi, uint8_t out[32])
{
	uint64_t k = 1;
	uint8_t a[32], b[32];
	if (hi - lo == 1) {
		leaf_of(lo, out);
		return;
	}
	while (k << 1 < hi - lo)
		k <<= 1;
	mth_ref(lo, lo + k, a);
	mth_ref(lo + k, hi, b);
	tg_tlog_node_hash(a, b, out);
}

TEST(known_hashes)
{
	/* RFC 6962 test vectors: empty root, and leaf hash of the empty entry. */
	uint8_t h[32];
	char hex[65];
	tg_tlog_empty_root(h);
	tg_hex_encode_to(hex, h, 32);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	tg_tlog_leaf_hash("", 0, h);
	tg_hex_encode_to(hex, h, 32);
	CHECK_STR(hex, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

TEST(memtree_roots_match_reference)
{
	struct tg_tlog_memtree t;
	struct tg_tlog_nodes src;
	uint64_t n;
	uint8_t got[32], want[32], leaf[32];
	int bad = 0;
	tg_tlog_memtree_init(&t);
	src = tg_tlog_memtree_nodes(&t);
	for (n = 1; n <= 300; n++) {
		leaf_of(n - 1, leaf);
		tg_tlog_memtree_append(&t, leaf);
		CHECK_OK(tg_tlog_root(&src, n, got));
		mth_ref(0, n, want);
		if (memcmp(got, want, 32) != 0)
			bad++;
	}
	CHECK(bad == 0);
	tg_tlog_memtree_release(&t);
}

/* Every inclusion proof of every leaf verifies for all sizes up to 130,
 * and every consistency proof between all pairs of sizes. */
TEST(proofs_exhaustive_small)
{
	struct tg_tlog_memtree t;
	struct tg_tlog_nodes src;
	uint8_t roots[131][32], leaf[32];
	uint64_t n, m, i;
	int bad = 0;
	tg_tlog_memtree_init(&t);
	src = tg_tlog_memtree_nodes(&t);
	for (n = 1; n <= 130; n++) {
		leaf_of(n - 1, leaf);
		tg_tlog_memtree_append(&t, leaf);
		if (tg_tlog_root(&src, n, roots[n]) != TG_OK)
			bad++;
	}
	for (n = 1; n <= 130; n++) {
		for (i = 0; i < n; i++) {
			struct tg_tlog_proof p;
			leaf_of(i, leaf);
			if (tg_tlog_prove_inclusion(&src, i, n, &p) != TG_OK ||
			    tg_tlog_verify_inclusion(i, n, leaf, &p, roots[n]) != TG_OK)
				bad++;
		}
		for (m = 1; m <= n; m++) {
			struct tg_tlog_proof p;
			if (tg_tlog_prove_consistency(&src, m, n, &p) != TG_OK ||
			    tg_tlog_verify_consistency(m, n, roots[m], roots[n], &p) != TG_OK)
				bad++;
		}
	}
	CHECK(bad == 0);
	tg_tlog_memtree_release(&t);
}

/* Random trees up to 100k leaves: every inclusion proof verifies; any
 * single bit flip in leaf, proof, index, size or root fails. */
TEST(proofs_random_large_and_bitflips)
{
	struct tg_tlog_memtree t;
	struct tg_tlog_nodes src;
	const uint64_t N = 100000;
	uint8_t root[32], leaf[32];
	uint64_t i, size;
	int bad = 0, flips = 0, flip_ok = 0;

	tg_tlog_memtree_init(&t);
	src = tg_tlog_memtree_nodes(&t);
	for (i = 0; i < N; i++) {
		leaf_of(i, leaf);
		tg_tlog_memtree_append(&t, leaf);
	}
	/* every leaf of the full tree */
	CHECK_OK(tg_tlog_root(&src, N, root));
	for (i = 0; i < N; i++) {
		struct tg_tlog_proof p;
		leaf_of(i, leaf);
		if (tg_tlog_prove_inclusion(&src, i, N, &p) != TG_OK ||
		    tg_tlog_verify_inclusion(i, N, leaf, &p, root) != TG_OK)
			bad++;
	}
	CHECK(bad == 0);
	/* random sizes, indices, and bit flips */
	for (i = 0; i < 300; i++) {
		struct tg_tlog_proof p, q;
		uint8_t r2[32], l2[32], old_root[32];
		uint64_t idx, old;
		size_t k, bit;
		size = 1 + rnd() % N;
		idx = rnd() % size;
		leaf_of(idx, leaf);
		CHECK_OK(tg_tlog_root(&src, size, root));
		CHECK_OK(tg_tlog_prove_inclusion(&src, idx, size, &p));
		CHECK_OK(tg_tlog_verify_inclusion(idx, size, leaf, &p, root));
		for (bit = 0; bit < 256; bit += 37) {
			memcpy(l2, leaf, 32);
			l2[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			flips++;
			flip_ok += tg_tlog_verify_inclusion(idx, size, l2, &p, root) == TG_OK;
			memcpy(r2, root, 32);
			r2[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			flips++;
			flip_ok += tg_tlog_verify_inclusion(idx, size, leaf, &p, r2) == TG_OK;
		}
		for (k = 0; k < p.n; k++) {
			q = p;
			bit = rnd() % 256;
			q.h[k][bit / 8] ^= (uint8_t)(1u << (bit % 8));
			flips++;
			flip_ok += tg_tlog_verify_inclusion(idx, size, leaf, &q, root) == TG_OK;
		}
		for (bit = 0; bit < 17; bit++) {
			uint64_t m = (uint64_t)1 << bit;
			flips += 2;
			flip_ok += tg_tlog_verify_inclusion(idx ^ m, size, leaf, &p, root) == TG_OK;
		}
		/* consistency from a random older size */
		old = 1 + rnd() % size;
		CHECK_OK(tg_tlog_root(&src, old, old_root));
		CHECK_OK(tg_tlog_prove_consistency(&src, old, size, &q));
		CHECK_OK(tg_tlog_verify_consistency(old, size, old_root, root, &q));
		for (k = 0; k < q.n; k++) {
			struct tg_tlog_proof z = q;
			bit = rnd() % 256;
			z.h[k][bit / 8] ^= (uint8_t)(1u << (bit % 8));
			flips++;
			flip_ok += tg_tlog_verify_consistency(old, size, old_root, root, &z) == TG_OK;
		}
		for (bit = 0; bit < 17 && old < size; bit++) {
			uint64_t m = (uint64_t)1 << bit;
			flips += 2;
			flip_ok += tg_tlog_verify_consistency(old ^ m, size, old_root, root, &q) == TG_OK;
		}
	}
	fprintf(stderr, "  %d bit flips, %d accepted\n", flips, flip_ok);
	CHECK(flip_ok == 0);
	tg_tlog_memtree_release(&t);
}

/* golang.org/x/mod/sumdb/note TestSign: the exact bytes. */
TEST(note_go_vector)
{
	const char *skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
	const char *vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
	const char *text = "If you think cryptography is the answer to your problem,\n"
			   "then you don't know what your problem is.\n";
	const char *want = "If you think cryptography is the answer to your problem,\n"
			   "then you don't know what your problem is.\n"
			   "\n"
			   "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
	struct tg_note_key sk, vk;
	struct tg_buf out = TG_BUF_INIT(4096), vks = TG_BUF_INIT(4096);
	struct tg_note note;
	struct tg_diag d;
	size_t nv = 0;

	memset(&sk, 0, sizeof(sk));
	memset(&vk, 0, sizeof(vk));
	tg_diag_init(&d);
	CHECK_OK(tg_note_skey_parse(skey, strlen(skey), &sk, &d));
	CHECK_OK(tg_note_vkey_parse(vkey, strlen(vkey), &vk, &d));
	CHECK(sk.id == 0xc74f20a3 && vk.id == 0xc74f20a3);
	CHECK_OK(tg_note_vkey_format(&sk, &vks));
	CHECK_STR(tg_buf_str(&vks), vkey);
	CHECK_OK(tg_buf_adds(&out, text));
	CHECK_OK(tg_buf_addc(&out, '\n'));
	CHECK_OK(tg_note_sign_line(&sk, text, strlen(text), 0, &out));
	CHECK_STR(tg_buf_str(&out), want);
	CHECK_OK(tg_note_parse(want, strlen(want), &note, &d));
	CHECK_OK(tg_note_verify(&note, &vk, 1, NULL, &nv, NULL, &d));
	CHECK(nv == 1);
	tg_note_release(&note);
	/* Manglings of the vkey are rejected (as in Go's TestNewVerifier). */
	{
		char b[128];
		size_t i, n = strlen(vkey), accepted = 0;
		for (i = 0; i < n; i++) {
			struct tg_note_key x;
			memcpy(b, vkey, n + 1);
			b[i]++;
			if (tg_note_vkey_parse(b, n, &x, NULL) == TG_OK) {
				accepted++;
				tg_note_key_release(&x);
			}
		}
		CHECK(accepted == 0);
	}
	tg_note_key_release(&sk);
	tg_note_key_release(&vk);
	tg_buf_release(&out);
	tg_buf_release(&vks);
}

/* c2sp.org/signed-note: the example vkey verifies the example note, and
 * the signature line re-encodes to the same bytes. */
TEST(note_c2sp_vector)
{
	const char *vkey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
	const char *msg = "This is an example message.\n\n\xe2\x80\x94 example.com/foo "
			  "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
	struct tg_note_key vk;
	struct tg_note note;
	struct tg_buf re = TG_BUF_INIT(1024);
	struct tg_diag d;
	uint8_t id[4];

	tg_diag_init(&d);
	CHECK_OK(tg_note_vkey_parse(vkey, strlen(vkey), &vk, &d));
	CHECK_OK(tg_note_parse(msg, strlen(msg), &note, &d));
	CHECK_OK(tg_note_verify(&note, &vk, 1, NULL, NULL, NULL, &d));
	CHECK(note.nsigs == 1 && note.text_len == strlen("This is an example message.\n"));
	/* rebuild the line from the parsed parts */
	id[0] = (uint8_t)(note.sigs[0].id >> 24);
	id[1] = (uint8_t)(note.sigs[0].id >> 16);
	id[2] = (uint8_t)(note.sigs[0].id >> 8);
	id[3] = (uint8_t)note.sigs[0].id;
	{
		struct tg_buf raw = TG_BUF_INIT(1024);
		CHECK_OK(tg_buf_add(&raw, id, 4));
		CHECK_OK(tg_buf_add(&raw, note.sigs[0].sig, note.sigs[0].len));
		CHECK_OK(tg_buf_addf(&re, "\xe2\x80\x94 %s ", note.sigs[0].name));
		CHECK_OK(tg_b64_encode(&re, raw.data, raw.len, TG_B64_STD));
		CHECK_OK(tg_buf_addc(&re, '\n'));
		tg_buf_release(&raw);
	}
	CHECK(re.len == note.sigs[0].line_len &&
	      memcmp(re.data, note.sigs[0].line, re.len) == 0);
	tg_note_release(&note);
	/* tampered text fails; unknown-key-only note is rejected */
	{
		char *bad = tg_xstrdup(msg);
		bad[0] = 't';
		CHECK_OK(tg_note_parse(bad, strlen(bad), &note, &d));
		CHECK_ERR(tg_note_verify(&note, &vk, 1, NULL, NULL, NULL, &d), TG_E_VERIFY);
		tg_note_release(&note);
		free(bad);
	}
	tg_note_key_release(&vk);
	tg_buf_release(&re);
}

/* Reads a JSON file into a; NULL when it cannot. */
static const struct tg_json *load_json(struct tg_arena *a, const char *path)
{
	size_t len;
	char *text = tg_test_read_file(path, &len);
	const struct tg_json *v = NULL;
	if (tg_json_parse(a, text, len, NULL, &v, NULL, NULL) != TG_OK)
		v = NULL;
	free(text);
	return v;
}

/* Verifies the checkpoint of a Sigstore bundle with the key of the trusted
 * root's log whose baseUrl ends with host; alg is the note signature type. */
static void check_rekor_checkpoint(const char *dir, const char *root_file, const char *host,
				   const char *key_name, enum tg_note_alg alg)
{
	char path[4096];
	struct tg_arena a;
	const struct tg_json *bundle, *root, *tlogs, *entries, *cp, *env;
	struct tg_key *key = NULL;
	struct tg_note_key nk;
	struct tg_note note;
	struct tg_buf der = TG_BUF_INIT(4096);
	size_t i, nv = 0;
	struct tg_diag d;

	tg_diag_init(&d);
	tg_arena_init(&a, 1 << 24);
	snprintf(path, sizeof(path), "%s/bundle.sigstore.json", dir);
	bundle = load_json(&a, path);
	root = load_json(&a, root_file);
	CHECK(bundle && root);
	entries = tg_json_get(tg_json_get(bundle, "verificationMaterial"), "tlogEntries");
	cp = tg_json_get(tg_json_get(entries && entries->u.a.len ? entries->u.a.items[0] : NULL,
				     "inclusionProof"),
			 "checkpoint");
	env = tg_json_get(cp, "envelope");
	CHECK(env && env->type == TG_JSON_STRING);
	tlogs = tg_json_get(root, "tlogs");
	for (i = 0; tlogs && i < tlogs->u.a.len && !key; i++) {
		const char *url, *raw;
		size_t ul, rl, hl = strlen(host);
		const struct tg_json *t = tlogs->u.a.items[i];
		if (tg_json_get_string(t, "baseUrl", &url, &ul) != TG_OK || ul < hl ||
		    memcmp(url + ul - hl, host, hl) != 0)
			continue;
		if (tg_json_get_string(tg_json_get(t, "publicKey"), "rawBytes", &raw, &rl) == TG_OK &&
		    tg_b64_decode(&der, raw, rl, TG_B64_STD, NULL) == TG_OK)
			CHECK_OK(tg_key_from_der(der.data, der.len, false, &key, &d));
	}
	CHECK(key != NULL);
	if (env && key) {
		CHECK_OK(tg_note_key_from(key_name, alg, key, &nk, &d));
		CHECK_OK(tg_note_parse(env->u.s.p, env->u.s.len, &note, &d));
		CHECK_OK(tg_note_verify(&note, &nk, 1, NULL, &nv, NULL, &d));
		CHECK(nv == 1);
		/* one changed byte of the tree size: the signature fails */
		{
			char *bad = tg_xstrndup(env->u.s.p, env->u.s.len);
			char *nl = strchr(bad, '\n');
			struct tg_note bn;
			nl[1] = nl[1] == '9' ? '8' : '9';
			CHECK_OK(tg_note_parse(bad, env->u.s.len, &bn, &d));
			CHECK_ERR(tg_note_verify(&bn, &nk, 1, NULL, NULL, NULL, &d), TG_E_VERIFY);
			tg_note_release(&bn);
			free(bad);
		}
		tg_note_release(&note);
		tg_note_key_release(&nk);
	}
	tg_key_free(key);
	tg_buf_release(&der);
	tg_arena_release(&a);
}

/* Checkpoints signed by Sigstore's logs, from the conformance suite: Rekor
 * v1 (ECDSA P-256 note signature, key ID = SHA-256 of the SPKI) and
 * Rekor v2 (Ed25519). Independent signers, real keys. */
TEST(note_sigstore_rekor_checkpoints)
{
	const char *base = tg_test_testdata("sigstore-conformance/trusted_root.public-good.json");
	char root[4096], dir[4096], troot[4200];
	if (!base)
		return;
	snprintf(root, sizeof(root), "%s", base);
	snprintf(dir, sizeof(dir), "%.*s/bundle-verify/happy-path-v0.2",
		 (int)(strlen(root) - strlen("/trusted_root.public-good.json")), root);
	check_rekor_checkpoint(dir, root, "rekor.sigstore.dev", "rekor.sigstore.dev", TG_NOTE_ECDSA);
	snprintf(dir, sizeof(dir), "%.*s/bundle-verify/rekor2-timestamp-without-embedded-cert",
		 (int)(strlen(root) - strlen("/trusted_root.public-good.json")), root);
	snprintf(troot, sizeof(troot), "%s/trusted_root.json", dir);
	check_rekor_checkpoint(dir, troot, "log2025-alpha1.rekor.sigstage.dev",
			       "log2025-alpha1.rekor.sigstage.dev", TG_NOTE_ED25519);
}

/* signed-note: verifiers must accept at least 16 signatures and ignore
 * unknown keys (also one that shares the name but not the ID). */
TEST(note_many_signatures)
{
	const char *text = "tollgate.test/many\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
	struct tg_buf note = TG_BUF_INIT(1 << 16);
	struct tg_note_key known, other;
	struct tg_key *k1 = NULL, *k2 = NULL;
	struct tg_note parsed;
	size_t i, nv = 0;

	CHECK_OK(tg_key_generate(TG_KEY_ED25519, 0, &k1));
	CHECK_OK(tg_key_generate(TG_KEY_ED25519, 0, &k2));
	CHECK_OK(tg_note_key_from("tollgate.test/many", TG_NOTE_ED25519, k1, &known, NULL));
	CHECK_OK(tg_buf_adds(&note, text));
	CHECK_OK(tg_buf_addc(&note, '\n'));
	/* 40 signatures by keys the verifier does not know, the same name included */
	for (i = 0; i < 40; i++) {
		char name[64];
		snprintf(name, sizeof(name), i % 2 ? "witness%zu.example" : "tollgate.test/many", i);
		CHECK_OK(tg_note_key_from(name, i % 3 ? TG_NOTE_COSIG_V1 : TG_NOTE_ED25519, k2, &other,
					  NULL));
		CHECK_OK(tg_note_sign_line(&other, text, strlen(text), 1700000000 + i, &note));
		tg_note_key_release(&other);
	}
	CHECK_OK(tg_note_sign_line(&known, text, strlen(text), 0, &note));
	CHECK_OK(tg_note_parse((const char *)note.data, note.len, &parsed, NULL));
	CHECK(parsed.nsigs == 41);
	CHECK_OK(tg_note_verify(&parsed, &known, 1, NULL, &nv, NULL, NULL));
	CHECK(nv == 1);
	tg_note_release(&parsed);
	tg_note_key_release(&known);
	tg_key_free(k1);
	tg_key_free(k2);
	tg_buf_release(&note);
}

TEST(note_parse_rejects)
{
	static const char *bad[] = {
		"text\n",                                   /* no signature block */
		"text\n\n",                                 /* no signatures */
		"text\n\nnot a signature\n",                /* no em dash */
		"text\n\n\xe2\x80\x94 name\n",              /* no signature */
		"text\n\n\xe2\x80\x94 name AAAA\n",         /* shorter than key ID + 1 */
		"text\n\n\xe2\x80\x94 na+me AAAAAAA=\n",    /* '+' in name */
		"te\txt\n\n\xe2\x80\x94 name AAAAAAA=\n",   /* control character */
		"text\n\n\xe2\x80\x94 name AAAAAAA=",       /* no final newline */
		"\xff\n\n\xe2\x80\x94 name AAAAAAA=\n",     /* invalid UTF-8 */
		"text\n\n\xe2\x80\x94 name AAAAA A=\n",     /* bad base64 */
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(bad); i++) {
		struct tg_note note;
		tg_err r = tg_note_parse(bad[i], strlen(bad[i]), &note, NULL);
		if (r == TG_OK)
			tg_note_release(&note);
		CHECK(r != TG_OK);
	}
}

/* A temp directory for log tests. */
static char *tmpdir(void)
{
	char tmpl[] = "/tmp/tg-tlog-XXXXXX";
	char *p = mkdtemp(tmpl);
	return p ? tg_xstrdup(p) : NULL;
}

static void rm_rf(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	if (!d) {
		(void)unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char sub[4096];
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		rm_rf(sub);
	}
	closedir(d);
	(void)rmdir(path);
}

static bool file_size_is(const char *dir, const char *rel, long size)
{
	char p[4096];
	struct stat st;
	if (snprintf(p, sizeof(p), "%s/%s", dir, rel) >= (int)sizeof(p))
		return false;
	return stat(p, &st) == 0 && st.st_size == size;
}

/* Appends count entries "entry <i>" in batches of batch. */
static void append_entries(struct tg_tlog *log, uint64_t from, uint64_t count, size_t batch)
{
	uint8_t **e = tg_xcalloc(batch, sizeof(*e));
	size_t *l = tg_xcalloc(batch, sizeof(*l));
	uint64_t i = 0;
	size_t k;
	for (k = 0; k < batch; k++)
		e[k] = tg_xmalloc(32);
	while (i < count) {
		size_t n = count - i < batch ? (size_t)(count - i) : batch;
		uint64_t first = 0;
		struct tg_diag d;
		tg_diag_init(&d);
		for (k = 0; k < n; k++)
			l[k] = (size_t)snprintf((char *)e[k], 32, "entry %llu",
						(unsigned long long)(from + i + k));
		CHECK_OK(tg_tlog_append(log, (const uint8_t *const *)e, l, n, &first, &d));
		CHECK(first == from + i);
		i += n;
	}
	for (k = 0; k < batch; k++)
		free(e[k]);
	free(e);
	free(l);
}

/* The 70,000-entry example of c2sp.org/tlog-tiles: 273 full level-0
 * tiles, a partial level-0 tile of width 112, one full level-1 tile, a
 * partial level-1 tile of width 17, a partial level-2 tile of width 1. */
TEST(log_tiles_layout_70000)
{
	char *dir = tmpdir();
	char logdir[4096];
	struct tg_buf vkey = TG_BUF_INIT(4096), cp = TG_BUF_INIT(4096);
	struct tg_tlog *log = NULL;
	struct tg_diag d;
	uint8_t root[32];
	int full0 = 0;
	uint64_t t;

	tg_diag_init(&d);
	snprintf(logdir, sizeof(logdir), "%s/log", dir);
	CHECK_OK(tg_tlog_create(logdir, "example.com/test-log", NULL, &vkey, &d));
	CHECK(strncmp(tg_buf_str(&vkey), "example.com/test-log+", 21) == 0);
	CHECK_OK(tg_tlog_open(logdir, TG_TLOG_APPEND, &log, &d));
	append_entries(log, 0, 70000, 4000);
	CHECK(tg_tlog_size(log) == 70000);
	for (t = 0; t < 273; t++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "tile/0/%s%03llu", t >= 1000 ? "x" : "",
			 (unsigned long long)t);
		full0 += file_size_is(logdir, rel, 8192);
	}
	CHECK(full0 == 273);
	CHECK(file_size_is(logdir, "tile/0/273.p/112", 112 * 32));
	CHECK(file_size_is(logdir, "tile/1/000", 8192));
	CHECK(file_size_is(logdir, "tile/1/001.p/17", 17 * 32));
	CHECK(file_size_is(logdir, "tile/2/000.p/1", 32));
	{
		char p[8192];
		snprintf(p, sizeof(p), "%s/tile/0/273", logdir);
		CHECK(!tg_fs_exists(p));
	}
	/* partial tiles of filled tiles were dropped */
	{
		char p[8192];
		snprintf(p, sizeof(p), "%s/tile/0/000.p", logdir);
		CHECK(!tg_fs_exists(p));
	}
	/* the checkpoint root is the RFC 9162 root of the 70,000 entries */
	{
		struct tg_tlog_memtree mt;
		struct tg_tlog_nodes src;
		struct tg_checkpoint c;
		uint64_t i;
		uint8_t leaf[32];
		tg_tlog_memtree_init(&mt);
		for (i = 0; i < 70000; i++) {
			leaf_of(i, leaf);
			tg_tlog_memtree_append(&mt, leaf);
		}
		src = tg_tlog_memtree_nodes(&mt);
		CHECK_OK(tg_tlog_root(&src, 70000, root));
		CHECK_OK(tg_tlog_checkpoint(log, &cp));
		CHECK_OK(tg_checkpoint_open((const char *)cp.data, cp.len, tg_tlog_key(log), NULL, 0,
					    0, &c, &d));
		CHECK(c.size == 70000 && memcmp(c.root, root, 32) == 0);
		tg_tlog_memtree_release(&mt);
	}
	/* entries read back, including from the partial bundle */
	{
		struct tg_buf e = TG_BUF_INIT(1024);
		CHECK_OK(tg_tlog_entry(log, 69999, &e, &d));
		CHECK_STR(tg_buf_str(&e), "entry 69999");
		tg_buf_reset(&e);
		CHECK_OK(tg_tlog_entry(log, 256, &e, &d));
		CHECK_STR(tg_buf_str(&e), "entry 256");
		CHECK_ERR(tg_tlog_entry(log, 70000, &e, &d), TG_E_NOTFOUND);
		tg_buf_release(&e);
	}
	tg_tlog_close(log);
	tg_buf_release(&vkey);
	tg_buf_release(&cp);
	rm_rf(dir);
	free(dir);
}

/* Appending, reopening, proofs from disk at old sizes, tlog-proof files,
 * and the witness. */
TEST(log_proofs_and_witness)
{
	char *dir = tmpdir();
	char logdir[4096], wdir[4096];
	struct tg_buf vkey = TG_BUF_INIT(4096), cp = TG_BUF_INIT(8192), cp_old = TG_BUF_INIT(8192);
	struct tg_tlog *log = NULL, *rd = NULL;
	struct tg_note_key vk, wk;
	struct tg_key *wkey = NULL;
	struct tg_diag d;
	uint64_t old_size;

	tg_diag_init(&d);
	snprintf(logdir, sizeof(logdir), "%s/log", dir);
	snprintf(wdir, sizeof(wdir), "%s/witness", dir);
	CHECK_OK(tg_tlog_create(logdir, "tollgate.test/log", NULL, &vkey, &d));
	CHECK_OK(tg_note_vkey_parse((const char *)vkey.data, vkey.len, &vk, &d));
	CHECK_OK(tg_tlog_open(logdir, TG_TLOG_APPEND, &log, &d));
	append_entries(log, 0, 1000, 333);
	/* a second sequencer is refused while the first holds the lock */
	{
		struct tg_tlog *other = NULL;
		CHECK_ERR(tg_tlog_open(logdir, TG_TLOG_APPEND | TG_TLOG_NONBLOCK, &other, NULL),
			  TG_E_AGAIN);
	}
	tg_tlog_close(log);
	/* reopen (edge reloaded from tiles, root re-checked) and continue */
	CHECK_OK(tg_tlog_open(logdir, TG_TLOG_APPEND, &log, &d));
	CHECK(tg_tlog_size(log) == 1000);
	append_entries(log, 1000, 777, 100);
	tg_tlog_close(log);

	CHECK_OK(tg_tlog_open(logdir, TG_TLOG_READ, &rd, &d));
	CHECK(tg_tlog_size(rd) == 1777);
	CHECK_OK(tg_tlog_checkpoint(rd, &cp));
	CHECK_OK(tg_tlog_checkpoint_at(rd, 1000, &cp_old));
	{
		struct tg_buf none = TG_BUF_INIT(8192);
		/* batches of 333 then 100: sizes 333, 666, 999, 1000, 1100, ... */
		CHECK_ERR(tg_tlog_checkpoint_at(rd, 998, &none), TG_E_NOTFOUND);
		CHECK_OK(tg_tlog_checkpoint_at(rd, 999, &none));
		tg_buf_release(&none);
	}
	/* inclusion proof files for some entries at the current and an old size */
	{
		uint64_t idx[] = {0, 1, 255, 256, 999, 1776};
		size_t i;
		for (i = 0; i < TG_ARRAY_LEN(idx); i++) {
			struct tg_tlog_proof_file pf, back;
			struct tg_tlog_nodes src = tg_tlog_nodes(rd);
			struct tg_buf text = TG_BUF_INIT(1 << 16);
			char entry[32];
			int n = snprintf(entry, sizeof(entry), "entry %llu", (unsigned long long)idx[i]);
			memset(&pf, 0, sizeof(pf));
			pf.index = idx[i];
			CHECK_OK(tg_tlog_prove_inclusion(&src, idx[i], 1777, &pf.proof));
			pf.checkpoint = (char *)cp.data;
			pf.checkpoint_len = cp.len;
			CHECK_OK(tg_tlog_proof_file_format(&pf, &text));
			CHECK_OK(tg_tlog_proof_file_parse((const char *)text.data, text.len, &back, &d));
			CHECK_OK(tg_tlog_proof_file_verify(&back, entry, (size_t)n, &vk, NULL, 0, 0, NULL,
							   &d));
			CHECK_ERR(tg_tlog_proof_file_verify(&back, "entry x", 7, &vk, NULL, 0, 0, NULL,
							    &d),
				  TG_E_VERIFY);
			tg_tlog_proof_file_release(&back);
			tg_buf_release(&text);
		}
	}
	/* witness: first sight from size 0, then a consistent step */
	CHECK_OK(tg_key_generate(TG_KEY_ED25519, 0, &wkey));
	CHECK_OK(tg_note_key_from("witness.test/w1", TG_NOTE_COSIG_V1, wkey, &wk, &d));
	{
		struct tg_tlog_proof empty = {.n = 0}, p;
		struct tg_tlog_nodes src = tg_tlog_nodes(rd);
		struct tg_buf line = TG_BUF_INIT(4096), cosigned = TG_BUF_INIT(8192);
		struct tg_checkpoint c;
		struct tg_note_key wv;
		struct tg_buf wvk = TG_BUF_INIT(1024);

		CHECK_OK(tg_tlog_witness_cosign(wdir, &wk, &vk, (const char *)cp_old.data, cp_old.len,
						0, &empty, &old_size, &line, &d));
		/* the same size again with the same root is fine (idempotent) */
		CHECK_OK(tg_tlog_witness_cosign(wdir, &wk, &vk, (const char *)cp_old.data, cp_old.len,
						1000, &empty, &old_size, &line, &d));
		/* wrong old size: conflict, with the stored size */
		CHECK_ERR(tg_tlog_witness_cosign(wdir, &wk, &vk, (const char *)cp.data, cp.len, 5,
						 &empty, &old_size, &line, &d),
			  TG_E_CONFLICT);
		CHECK(old_size == 1000);
		/* no proof: refused */
		CHECK_ERR(tg_tlog_witness_cosign(wdir, &wk, &vk, (const char *)cp.data, cp.len, 1000,
						 &empty, &old_size, &line, &d),
			  TG_E_VERIFY);
		tg_buf_reset(&line);
		CHECK_OK(tg_tlog_prove_consistency(&src, 1000, 1777, &p));
		CHECK_OK(tg_tlog_witness_cosign(wdir, &wk, &vk, (const char *)cp.data, cp.len, 1000,
						&p, &old_size, &line, &d));
		/* rollback to the old checkpoint is refused */
		CHECK_ERR(tg_tlog_witness_cosign(wdir, &wk, &vk, (const char *)cp_old.data, cp_old.len,
						 UINT64_MAX, &empty, &old_size, &line, &d),
			  TG_E_VERIFY);
		/* the cosigned checkpoint verifies with one required witness */
		CHECK_OK(tg_buf_add(&cosigned, cp.data, cp.len));
		CHECK_OK(tg_buf_add(&cosigned, line.data, line.len));
		CHECK_OK(tg_note_vkey_format(&wk, &wvk));
		CHECK_OK(tg_note_vkey_parse((const char *)wvk.data, wvk.len, &wv, &d));
		CHECK_OK(tg_checkpoint_open((const char *)cosigned.data, cosigned.len, &vk, &wv, 1, 1,
					    &c, &d));
		CHECK_ERR(tg_checkpoint_open((const char *)cp.data, cp.len, &vk, &wv, 1, 1, &c, &d),
			  TG_E_VERIFY);
		CHECK_ERR(tg_checkpoint_open((const char *)cosigned.data, cosigned.len, &vk, &wv, 1, 2,
					     &c, &d),
			  TG_E_VERIFY);
		tg_note_key_release(&wv);
		tg_buf_release(&wvk);
		tg_buf_release(&line);
		tg_buf_release(&cosigned);
	}
	/* a split view: a different log key signs another tree of the same
	 * origin and size; the witness (which knows the real key) refuses it,
	 * and a forged checkpoint with the real name but another key fails. */
	{
		struct tg_key *evil = NULL;
		struct tg_note_key ek;
		struct tg_checkpoint c;
		struct tg_buf text = TG_BUF_INIT(4096), line = TG_BUF_INIT(4096);
		struct tg_tlog_proof empty = {.n = 0};
		CHECK_OK(tg_key_generate(TG_KEY_ED25519, 0, &evil));
		CHECK_OK(tg_note_key_from("tollgate.test/log", TG_NOTE_ED25519, evil, &ek, &d));
		memset(&c, 0, sizeof(c));
		snprintf(c.origin, sizeof(c.origin), "tollgate.test/log");
		c.size = 1777;
		memset(c.root, 0x42, 32);
		CHECK_OK(tg_checkpoint_text(&c, &text));
		CHECK_OK(tg_buf_addc(&text, '\n'));
		CHECK_OK(tg_note_sign_line(&ek, (const char *)text.data, text.len - 1, 0, &text));
		CHECK_ERR(tg_tlog_witness_cosign(wdir, &wk, &vk, (const char *)text.data, text.len,
						 UINT64_MAX, &empty, &old_size, &line, &d),
			  TG_E_VERIFY);
		tg_note_key_release(&ek);
		tg_key_free(evil);
		tg_buf_release(&text);
		tg_buf_release(&line);
	}
	tg_note_key_release(&wk);
	tg_key_free(wkey);
	tg_note_key_release(&vk);
	tg_tlog_close(rd);
	tg_buf_release(&vkey);
	tg_buf_release(&cp);
	tg_buf_release(&cp_old);
	rm_rf(dir);
	free(dir);
}

/* Any single bit flip in a tlog-proof file (index, proof hashes, the
 * signed checkpoint with its size and root) or in the entry is rejected. */
TEST(proof_file_bitflips)
{
	char *dir = tmpdir();
	char logdir[4096];
	struct tg_buf vkey = TG_BUF_INIT(4096), cp = TG_BUF_INIT(8192), text = TG_BUF_INIT(1 << 16);
	struct tg_tlog *log = NULL;
	struct tg_note_key vk;
	struct tg_tlog_proof_file pf;
	struct tg_tlog_nodes src;
	char entry[] = "entry 77";
	size_t i, accepted = 0, tried = 0;
	int bit;

	snprintf(logdir, sizeof(logdir), "%s/log", dir);
	CHECK_OK(tg_tlog_create(logdir, "tollgate.test/flips", NULL, &vkey, NULL));
	CHECK_OK(tg_note_vkey_parse((const char *)vkey.data, vkey.len, &vk, NULL));
	CHECK_OK(tg_tlog_open(logdir, TG_TLOG_APPEND, &log, NULL));
	append_entries(log, 0, 300, 300);
	src = tg_tlog_nodes(log);
	memset(&pf, 0, sizeof(pf));
	pf.index = 77;
	CHECK_OK(tg_tlog_prove_inclusion(&src, 77, 300, &pf.proof));
	CHECK_OK(tg_tlog_checkpoint(log, &cp));
	pf.checkpoint = (char *)cp.data;
	pf.checkpoint_len = cp.len;
	CHECK_OK(tg_tlog_proof_file_format(&pf, &text));
	for (i = 0; i < text.len; i++) {
		for (bit = 0; bit < 8; bit++) {
			struct tg_tlog_proof_file back;
			text.data[i] ^= (uint8_t)(1 << bit);
			tried++;
			if (tg_tlog_proof_file_parse((const char *)text.data, text.len, &back, NULL) ==
			    TG_OK) {
				if (tg_tlog_proof_file_verify(&back, entry, strlen(entry), &vk, NULL, 0, 0,
							      NULL, NULL) == TG_OK) {
					accepted++;
					fprintf(stderr, "  accepted flip of bit %d at byte %zu\n", bit, i);
				}
				tg_tlog_proof_file_release(&back);
			}
			text.data[i] ^= (uint8_t)(1 << bit);
		}
	}
	for (i = 0; i < strlen(entry); i++) {
		struct tg_tlog_proof_file back;
		CHECK_OK(tg_tlog_proof_file_parse((const char *)text.data, text.len, &back, NULL));
		for (bit = 0; bit < 8; bit++) {
			entry[i] ^= (char)(1 << bit);
			tried++;
			accepted += tg_tlog_proof_file_verify(&back, entry, strlen(entry), &vk, NULL, 0, 0,
							      NULL, NULL) == TG_OK;
			entry[i] ^= (char)(1 << bit);
		}
		tg_tlog_proof_file_release(&back);
	}
	fprintf(stderr, "  %zu flips of proof file and entry, %zu accepted\n", tried, accepted);
	CHECK(accepted == 0);
	tg_note_key_release(&vk);
	tg_tlog_close(log);
	tg_buf_release(&vkey);
	tg_buf_release(&cp);
	tg_buf_release(&text);
	rm_rf(dir);
	free(dir);
}

struct submitter {
	struct tg_tlog_seq *seq;
	int id;
	uint64_t idx[200];
	int errors;
};

static void *submit_thread(void *arg)
{
	struct submitter *s = arg;
	int k;
	for (k = 0; k < 200; k++) {
		char e[64];
		int n = snprintf(e, sizeof(e), "thread %d entry %d", s->id, k);
		if (tg_tlog_seq_submit(s->seq, e, (size_t)n, &s->idx[k]) != TG_OK)
			s->errors++;
	}
	return NULL;
}

/* Concurrent submitters through the sequencer: distinct indices, exact
 * contents, and fewer commits than entries (they were batched). */
TEST(sequencer_batches_concurrent_submitters)
{
	enum { THREADS = 8 };
	char *dir = tmpdir();
	char logdir[4096];
	struct tg_buf vkey = TG_BUF_INIT(4096), got = TG_BUF_INIT(1024);
	struct tg_tlog *log = NULL;
	struct tg_tlog_seq *seq = NULL;
	struct submitter subs[THREADS];
	pthread_t th[THREADS];
	uint64_t batches = 0, entries = 0;
	uint8_t *seen;
	int t, k, bad = 0;

	snprintf(logdir, sizeof(logdir), "%s/log", dir);
	CHECK_OK(tg_tlog_create(logdir, "tollgate.test/seq", NULL, &vkey, NULL));
	CHECK_OK(tg_tlog_open(logdir, TG_TLOG_APPEND, &log, NULL));
	CHECK_OK(tg_tlog_seq_start(log, 1000, &seq));
	for (t = 0; t < THREADS; t++) {
		memset(&subs[t], 0, sizeof(subs[t]));
		subs[t].seq = seq;
		subs[t].id = t;
		CHECK(pthread_create(&th[t], NULL, submit_thread, &subs[t]) == 0);
	}
	for (t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	tg_tlog_seq_stats(seq, &batches, &entries);
	tg_tlog_seq_stop(seq);
	fprintf(stderr, "  %llu entries in %llu batches\n", (unsigned long long)entries,
		(unsigned long long)batches);
	CHECK(entries == THREADS * 200 && batches < entries);
	CHECK(tg_tlog_size(log) == THREADS * 200);
	seen = tg_xcalloc(THREADS * 200, 1);
	for (t = 0; t < THREADS; t++) {
		CHECK(subs[t].errors == 0);
		for (k = 0; k < 200; k++) {
			char want[64];
			uint64_t i = subs[t].idx[k];
			snprintf(want, sizeof(want), "thread %d entry %d", t, k);
			tg_buf_reset(&got);
			if (i >= THREADS * 200 || seen[i]++ ||
			    tg_tlog_entry(log, i, &got, NULL) != TG_OK || strcmp(tg_buf_str(&got), want))
				bad++;
		}
	}
	CHECK(bad == 0);
	free(seen);
	tg_tlog_close(log);
	tg_buf_release(&vkey);
	tg_buf_release(&got);
	rm_rf(dir);
	free(dir);
}

TEST(log_entry_limits)
{
	char *dir = tmpdir();
	char logdir[4096];
	struct tg_buf vkey = TG_BUF_INIT(4096);
	struct tg_tlog *log = NULL;
	uint8_t *big = tg_xcalloc(1, TG_TLOG_ENTRY_MAX + 1);
	const uint8_t *e[1] = {big};
	size_t l[1] = {TG_TLOG_ENTRY_MAX + 1};
	uint64_t first;

	snprintf(logdir, sizeof(logdir), "%s/log", dir);
	CHECK_OK(tg_tlog_create(logdir, "tollgate.test/limits", NULL, &vkey, NULL));
	CHECK_ERR(tg_tlog_create(logdir, "tollgate.test/limits", NULL, &vkey, NULL), TG_E_EXISTS);
	CHECK_OK(tg_tlog_open(logdir, TG_TLOG_APPEND, &log, NULL));
	CHECK_ERR(tg_tlog_append(log, e, l, 1, &first, NULL), TG_E_TOOBIG);
	CHECK(tg_tlog_size(log) == 0);
	l[0] = TG_TLOG_ENTRY_MAX;
	CHECK_OK(tg_tlog_append(log, e, l, 1, &first, NULL));
	CHECK(first == 0 && tg_tlog_size(log) == 1);
	tg_tlog_close(log);
	free(big);
	tg_buf_release(&vkey);
	rm_rf(dir);
	free(dir);
}

/* Sequences entries "seq <i>" for i in [from, from + n). */
static void sequence_entries(struct tg_tlog *log, uint64_t from, size_t n, unsigned flags)
{
	uint8_t buf[8][32];
	const uint8_t *e[8];
	size_t l[8], k;
	uint64_t first = 0;
	CHECK(n <= 8);
	for (k = 0; k < n; k++) {
		l[k] = (size_t)snprintf((char *)buf[k], 32, "seq %llu", (unsigned long long)(from + k));
		e[k] = buf[k];
	}
	CHECK_OK(tg_tlog_sequence(log, e, l, n, flags, &first, NULL));
	CHECK(first == from);
}

/* Entry i of the log at dir, read by a fresh reader, equals want. */
static bool reader_sees(const char *dir, uint64_t i, const char *want)
{
	struct tg_tlog *r = NULL;
	struct tg_buf got = TG_BUF_INIT(1024);
	bool ok = tg_tlog_open(dir, TG_TLOG_READ, &r, NULL) == TG_OK &&
		  tg_tlog_entry(r, i, &got, NULL) == TG_OK && strcmp(tg_buf_str(&got), want) == 0;
	tg_buf_release(&got);
	tg_tlog_close(r);
	return ok;
}

/* The journal (tg_tlog_sequence): indices at once, readers see entries
 * only once integrated; replayed on reopen; a torn last record dropped; a
 * journal that skips indices refused; tg_tlog_append integrates it first. */
TEST(log_journal_sequence_integrate_replay)
{
	char *dir = tmpdir();
	char logdir[4096], jpath[4200];
	struct tg_buf vkey = TG_BUF_INIT(4096), j = TG_BUF_INIT(1 << 20);
	struct tg_tlog *log = NULL;
	struct tg_diag d;
	const uint8_t *e[1];
	size_t l[1];
	uint64_t first;
	FILE *f;

	snprintf(logdir, sizeof(logdir), "%s/log", dir);
	snprintf(jpath, sizeof(jpath), "%s/.tollgate/journal", logdir);
	CHECK_OK(tg_tlog_create(logdir, "tollgate.test/journal", NULL, &vkey, NULL));
	CHECK_OK(tg_tlog_open(logdir, TG_TLOG_APPEND, &log, NULL));
	append_entries(log, 0, 2, 2);
	sequence_entries(log, 2, 3, TG_TLOG_SYNC);
	CHECK(tg_tlog_size(log) == 2 && tg_tlog_pending(log) == 3);
	CHECK(!reader_sees(logdir, 2, "seq 2"));
	CHECK_OK(tg_tlog_integrate(log, NULL));
	CHECK(tg_tlog_size(log) == 5 && tg_tlog_pending(log) == 0);
	CHECK(reader_sees(logdir, 4, "seq 4") && reader_sees(logdir, 1, "entry 1"));
	CHECK(file_size_is(logdir, ".tollgate/journal", 0));

	/* sequenced, then an append: one batch, in order */
	sequence_entries(log, 5, 2, 0);
	e[0] = (const uint8_t *)"appended";
	l[0] = 8;
	CHECK_OK(tg_tlog_append(log, e, l, 1, &first, NULL));
	CHECK(first == 7 && tg_tlog_size(log) == 8 && tg_tlog_pending(log) == 0);
	CHECK(reader_sees(logdir, 6, "seq 6") && reader_sees(logdir, 7, "appended"));

	/* closed (as by a kill) with 3 sequenced: the next open integrates them */
	sequence_entries(log, 8, 3, TG_TLOG_SYNC);
	tg_tlog_close(log);
	log = NULL;
	CHECK(!reader_sees(logdir, 8, "seq 8"));
	CHECK_OK(tg_tlog_open(logdir, TG_TLOG_APPEND, &log, NULL));
	CHECK(log && tg_tlog_size(log) == 11 && tg_tlog_pending(log) == 0);
	CHECK(reader_sees(logdir, 10, "seq 10"));

	/* a torn last record (a crash inside write) was never acknowledged */
	sequence_entries(log, 11, 2, TG_TLOG_SYNC);
	tg_tlog_close(log);
	log = NULL;
	CHECK_OK(tg_fs_read(jpath, &j, NULL));
	CHECK(j.len > 5);
	CHECK(truncate(jpath, (off_t)(j.len - 5)) == 0);
	CHECK_OK(tg_tlog_open(logdir, TG_TLOG_APPEND, &log, NULL));
	CHECK(log && tg_tlog_size(log) == 12 && reader_sees(logdir, 11, "seq 11"));
	sequence_entries(log, 12, 1, 0); /* index 12 is given again */
	CHECK_OK(tg_tlog_integrate(log, NULL));
	CHECK(reader_sees(logdir, 12, "seq 12"));

	/* a journal that skips an index is refused, naming it */
	sequence_entries(log, 13, 2, TG_TLOG_SYNC);
	tg_tlog_close(log);
	log = NULL;
	tg_buf_reset(&j);
	CHECK_OK(tg_fs_read(jpath, &j, NULL));
	CHECK(j.len > 2 * 44);
	{
		/* drop the first record: the journal now starts at 14 */
		size_t first_len = 12 + 6 + 32; /* "seq 13" */
		f = fopen(jpath, "wb");
		CHECK(f != NULL);
		if (f) {
			CHECK(fwrite(j.data + first_len, 1, j.len - first_len, f) == j.len - first_len);
			fclose(f);
		}
	}
	tg_diag_init(&d);
	CHECK_ERR(tg_tlog_open(logdir, TG_TLOG_APPEND, &log, &d), TG_E_STATE);
	CHECK(strstr(d.msg, "skips from index 13 to 14") != NULL);
	CHECK(log == NULL);

	tg_buf_release(&j);
	tg_buf_release(&vkey);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	RUN(known_hashes);
	RUN(memtree_roots_match_reference);
	RUN(proofs_exhaustive_small);
	RUN(proofs_random_large_and_bitflips);
	RUN(note_go_vector);
	RUN(note_c2sp_vector);
	RUN(note_sigstore_rekor_checkpoints);
	RUN(note_many_signatures);
	RUN(note_parse_rejects);
	RUN(log_tiles_layout_70000);
	RUN(log_proofs_and_witness);
	RUN(proof_file_bitflips);
	RUN(sequencer_batches_concurrent_submitters);
	RUN(log_entry_limits);
	RUN(log_journal_sequence_integrate_replay);
	return tg_test_done();
}
