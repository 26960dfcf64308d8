/* SPDX-License-Identifier: Apache-2.0 */
/*
 * suite_tlog_vectors.c - runs every transparency-dev/merkle proof vector in
 * $TG_TESTDATA/tlog (inclusion, consistency, subtree inclusion, subtree
 * consistency): each must verify exactly when its wantErr is false.
 */
#include "tg_test.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "core/codec.h"
#include "core/mem.h"
#include "core/json.h"
#include "tlog/tlog.h"

enum kind { INCLUSION, CONSISTENCY, SUB_INCLUSION, SUB_CONSISTENCY };

struct tally {
	int files, ok, wrong;
};

/*
 * Decodes a base64 hash field. Some vectors use placeholder "hashes" that
 * are not 32 bytes ("don't care"); the reference implementation compares
 * them as byte strings. Such a value can never equal a SHA-256 tree hash,
 * so it is mapped to SHA-256(0xff || bytes): equal inputs stay equal,
 * different inputs stay different, and none matches a computed hash.
 */
static bool get_hash(const struct tg_json *o, const char *key, uint8_t out[32])
{
	const char *s;
	size_t n;
	struct tg_buf b = TG_BUF_INIT(1024);
	bool ok = false;
	if (tg_json_get_string(o, key, &s, &n) != TG_OK)
		return false;
	if (tg_b64_decode(&b, s, n, TG_B64_STD, NULL) == TG_OK) {
		if (b.len == 32) {
			memcpy(out, b.data, 32);
		} else {
			uint8_t tag = 0xff;
			struct tg_buf t = TG_BUF_INIT(2048);
			ok = tg_buf_add(&t, &tag, 1) == TG_OK && tg_buf_add(&t, b.data, b.len) == TG_OK &&
			     tg_hash(TG_SHA256, t.data, t.len, out) == TG_OK;
			tg_buf_release(&t);
			tg_buf_release(&b);
			return ok;
		}
		ok = true;
	}
	tg_buf_release(&b);
	return ok;
}

/* Leaf hashes must be 32 bytes: the reference rejects any other size. */
static bool get_leaf(const struct tg_json *o, const char *key, uint8_t out[32])
{
	const char *s;
	size_t n;
	struct tg_buf b = TG_BUF_INIT(1024);
	bool ok = tg_json_get_string(o, key, &s, &n) == TG_OK &&
		  tg_b64_decode(&b, s, n, TG_B64_STD, NULL) == TG_OK && b.len == 32;
	if (ok)
		memcpy(out, b.data, 32);
	tg_buf_release(&b);
	return ok;
}

static bool get_u64(const struct tg_json *o, const char *key, uint64_t *out)
{
	int64_t v;
	if (tg_json_get_i64(o, key, &v) != TG_OK || v < 0)
		return false;
	*out = (uint64_t)v;
	return true;
}

/* proof: array of base64 hashes, or null (= empty). */
static bool get_proof(const struct tg_json *o, struct tg_tlog_proof *p)
{
	const struct tg_json *a = tg_json_get(o, "proof");
	size_t i;
	p->n = 0;
	if (!a || a->type == TG_JSON_NULL)
		return true;
	if (a->type != TG_JSON_ARRAY || a->u.a.len > TG_TLOG_MAX_PROOF)
		return false;
	for (i = 0; i < a->u.a.len; i++) {
		struct tg_buf b = TG_BUF_INIT(1024);
		const struct tg_json *h = a->u.a.items[i];
		bool ok = h->type == TG_JSON_STRING &&
			  tg_b64_decode(&b, h->u.s.p, h->u.s.len, TG_B64_STD, NULL) == TG_OK &&
			  b.len == 32;
		if (ok)
			memcpy(p->h[p->n++], b.data, 32);
		tg_buf_release(&b);
		if (!ok)
			return false;
	}
	return true;
}

/* Runs one vector; returns true when verification succeeded. */
static bool run_vector(enum kind k, const struct tg_json *v)
{
	struct tg_tlog_proof proof;
	uint8_t root[32], root2[32], leaf[32];
	uint64_t a, b, c, idx;

	if (!get_proof(v, &proof))
		return false;
	switch (k) {
	case INCLUSION:
		if (!get_u64(v, "leafIdx", &idx) || !get_u64(v, "treeSize", &a) ||
		    !get_hash(v, "root", root) || !get_leaf(v, "leafHash", leaf))
			return false;
		return tg_tlog_verify_inclusion(idx, a, leaf, &proof, root) == TG_OK;
	case CONSISTENCY:
		if (!get_u64(v, "size1", &a) || !get_u64(v, "size2", &b) ||
		    !get_hash(v, "root1", root) || !get_hash(v, "root2", root2))
			return false;
		return tg_tlog_verify_consistency(a, b, root, root2, &proof) == TG_OK;
	case SUB_INCLUSION:
		if (!get_u64(v, "leafIdx", &idx) || !get_u64(v, "start", &a) ||
		    !get_u64(v, "end", &b) || !get_hash(v, "root", root) ||
		    !get_leaf(v, "leafHash", leaf))
			return false;
		return tg_tlog_verify_subtree_inclusion(idx, a, b, leaf, &proof, root) == TG_OK;
	case SUB_CONSISTENCY:
		if (!get_u64(v, "start", &a) || !get_u64(v, "end", &b) || !get_u64(v, "size", &c) ||
		    !get_hash(v, "root1", root) || !get_hash(v, "root2", root2))
			return false;
		return tg_tlog_verify_subtree_consistency(a, b, c, root, root2, &proof) == TG_OK;
	}
	return false;
}

static void run_file(enum kind k, const char *path, struct tally *t)
{
	size_t len;
	char *text = tg_test_read_file(path, &len);
	struct tg_arena a;
	const struct tg_json *v;
	struct tg_diag d;
	bool want_err, got_ok;

	tg_arena_init(&a, 1 << 20);
	tg_diag_init(&d);
	t->files++;
	if (tg_json_parse(&a, text, len, NULL, &v, NULL, &d) != TG_OK ||
	    tg_json_get_bool(v, "wantErr", &want_err) != TG_OK) {
		fprintf(stderr, "WRONG %s: cannot read vector: %s\n", path, d.msg);
		t->wrong++;
	} else {
		got_ok = run_vector(k, v);
		if (got_ok == !want_err) {
			t->ok++;
		} else {
			const char *desc = "";
			size_t dn = 0;
			if (tg_json_get_string(v, "desc", &desc, &dn) != TG_OK)
				dn = 0;
			fprintf(stderr, "WRONG %s (%.*s): verification %s, want %s\n", path, (int)dn,
				desc, got_ok ? "succeeded" : "failed", want_err ? "error" : "success");
			t->wrong++;
		}
	}
	tg_arena_release(&a);
	free(text);
}

/* Walks dir recursively, running every .json file. */
static void run_dir(enum kind k, const char *dir, struct tally *t)
{
	DIR *dh = opendir(dir);
	struct dirent *e;
	if (!dh) {
		fprintf(stderr, "WRONG: cannot open %s\n", dir);
		t->wrong++;
		return;
	}
	while ((e = readdir(dh)) != NULL) {
		char path[4096];
		struct stat st;
		size_t nl = strlen(e->d_name);
		if (e->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			run_dir(k, path, t);
		else if (nl > 5 && strcmp(e->d_name + nl - 5, ".json") == 0)
			run_file(k, path, t);
	}
	closedir(dh);
}

int main(void)
{
	static const struct {
		const char *sub;
		enum kind k;
	} kinds[] = {
		{"inclusion", INCLUSION},
		{"consistency", CONSISTENCY},
		{"subtreeinclusion", SUB_INCLUSION},
		{"subtreeconsistency", SUB_CONSISTENCY},
	};
	const char *root = tg_test_testdata("tlog/LICENSE");
	char base[4096];
	int wrong = 0, total = 0;
	size_t i;

	if (!root)
		return TG_TEST_SKIP;
	snprintf(base, sizeof(base), "%s", root);
	base[strlen(base) - strlen("/LICENSE")] = '\0';
	for (i = 0; i < TG_ARRAY_LEN(kinds); i++) {
		char dir[4200];
		struct tally t = {0, 0, 0};
		snprintf(dir, sizeof(dir), "%s/%s", base, kinds[i].sub);
		run_dir(kinds[i].k, dir, &t);
		printf("tlog vectors %-19s %3d files: %3d right, %d wrong\n", kinds[i].sub, t.files,
		       t.ok, t.wrong);
		wrong += t.wrong;
		total += t.files;
	}
	printf("tlog vectors: %d files, %d wrong\n", total, wrong);
	return wrong || total == 0 ? 1 : 0;
}
