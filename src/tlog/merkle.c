/* SPDX-License-Identifier: Apache-2.0 */
/*
 * merkle.c - RFC 9162 Merkle tree hashing, inclusion and consistency
 * proofs (generation and verification), subtree proofs, and an in-memory tree.
 */
#include "tlog/tlog.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/mem.h"
#include "core/secret.h"

/* ---- hashing ---- */

/*
 * Tree hashing runs millions of tiny SHA-256 computations, so it avoids
 * OpenSSL 3's per-call algorithm fetch: the algorithm is fetched once per
 * process and each thread reuses one context. SHA-256 over valid buffers
 * cannot fail; abort rather than return a hash that was never computed.
 */
static EVP_MD *sha256_md;
static pthread_key_t ctx_key;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static void ctx_free(void *p)
{
	EVP_MD_CTX_free(p);
}

static void ctx_key_init(void)
{
	if (pthread_key_create(&ctx_key, ctx_free) != 0)
		abort();
}

static EVP_MD_CTX *hash_begin(void)
{
	EVP_MD *md = __atomic_load_n(&sha256_md, __ATOMIC_ACQUIRE);
	EVP_MD_CTX *ctx;
	if (!md) {
		EVP_MD *expected = NULL;
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
		if (!md)
			abort();
		if (!__atomic_compare_exchange_n(&sha256_md, &expected, md, false, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE)) {
			EVP_MD_free(md);
			md = expected;
		}
	}
	/* one context per thread, freed when the thread exits */
	pthread_once(&ctx_once, ctx_key_init);
	ctx = pthread_getspecific(ctx_key);
	if (!ctx) {
		ctx = EVP_MD_CTX_new();
		if (!ctx || pthread_setspecific(ctx_key, ctx) != 0)
			abort();
	}
	if (!EVP_DigestInit_ex2(ctx, md, NULL))
		abort();
	return ctx;
}

static void hash_end(EVP_MD_CTX *ctx, uint8_t out[32])
{
	unsigned int len = 0;
	if (!EVP_DigestFinal_ex(ctx, out, &len) || len != 32)
		abort();
}

void tg_tlog_leaf_hash(const void *entry, size_t n, uint8_t out[32])
{
	static const uint8_t prefix = 0x00; /* RFC 9162 2.1.1 */
	EVP_MD_CTX *ctx = hash_begin();
	if (!EVP_DigestUpdate(ctx, &prefix, 1) || (n && !EVP_DigestUpdate(ctx, entry, n)))
		abort();
	hash_end(ctx, out);
}

void tg_tlog_node_hash(const uint8_t left[32], const uint8_t right[32], uint8_t out[32])
{
	uint8_t buf[65];
	EVP_MD_CTX *ctx = hash_begin();
	buf[0] = 0x01; /* RFC 9162 2.1.1 */
	memcpy(buf + 1, left, 32);
	memcpy(buf + 33, right, 32);
	if (!EVP_DigestUpdate(ctx, buf, sizeof(buf)))
		abort();
	hash_end(ctx, out);
}

void tg_tlog_empty_root(uint8_t out[32])
{
	hash_end(hash_begin(), out);
}

static bool hash_eq(const uint8_t a[32], const uint8_t b[32])
{
	return tg_ct_eq(a, b, 32);
}

/* Largest power of two strictly less than n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
	uint64_t k = 1;
	while (k << 1 < n)
		k <<= 1;
	return k;
}

static bool is_pow2(uint64_t n)
{
	return n && (n & (n - 1)) == 0;
}

static unsigned log2_exact(uint64_t n)
{
	return (unsigned)__builtin_ctzll(n);
}

/* ---- verification ---- */

tg_err tg_tlog_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf_hash[32],
				const struct tg_tlog_proof *proof, const uint8_t root[32])
{
	/* RFC 9162 2.1.3.2 */
	uint64_t fn, sn;
	uint8_t r[32];
	size_t i;

	if (index >= size || proof->n > TG_TLOG_MAX_PROOF)
		return TG_E_VERIFY;
	fn = index;
	sn = size - 1;
	memcpy(r, leaf_hash, 32);
	for (i = 0; i < proof->n; i++) {
		const uint8_t *p = proof->h[i];
		if (sn == 0)
			return TG_E_VERIFY;
		if ((fn & 1) || fn == sn) {
			tg_tlog_node_hash(p, r, r);
			if (!(fn & 1)) {
				while (fn != 0 && !(fn & 1)) {
					fn >>= 1;
					sn >>= 1;
				}
			}
		} else {
			tg_tlog_node_hash(r, p, r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || !hash_eq(r, root))
		return TG_E_VERIFY;
	return TG_OK;
}

/*
 * Verifies a (subtree) consistency proof by following the shape of its
 * generation: at each level the last proof hash is the sibling of the part
 * that holds the subtree. Computes h1, the subtree's hash as the proof
 * claims it, and h2, the tree's root. known: the verifier holds the
 * subtree hash itself, so the proof omits it when the recursion reaches it.
 */
static tg_err consistency_walk(uint64_t start, uint64_t end, uint64_t n, bool known,
			       const uint8_t sub_root[32], const struct tg_tlog_proof *proof,
			       size_t len, unsigned depth, uint8_t h1[32], uint8_t h2[32])
{
	uint64_t k;
	uint8_t a[32], b[32];
	const uint8_t *last;
	tg_err r;

	if (depth > 64)
		return TG_E_VERIFY;
	if (start == 0 && end == n) {
		if (known) {
			if (len != 0)
				return TG_E_VERIFY;
			memcpy(h1, sub_root, 32);
			memcpy(h2, sub_root, 32);
		} else {
			if (len != 1)
				return TG_E_VERIFY;
			memcpy(h1, proof->h[0], 32);
			memcpy(h2, proof->h[0], 32);
		}
		return TG_OK;
	}
	if (len == 0 || n < 2)
		return TG_E_VERIFY;
	k = split_point(n);
	last = proof->h[len - 1];
	if (end <= k) {
		r = consistency_walk(start, end, k, known, sub_root, proof, len - 1, depth + 1, a, b);
		if (r != TG_OK)
			return r;
		memcpy(h1, a, 32);
		tg_tlog_node_hash(b, last, h2);
	} else if (k <= start) {
		r = consistency_walk(start - k, end - k, n - k, known, sub_root, proof, len - 1,
				     depth + 1, a, b);
		if (r != TG_OK)
			return r;
		memcpy(h1, a, 32);
		tg_tlog_node_hash(last, b, h2);
	} else {
		/* A valid subtree that straddles k is a prefix (start == 0). */
		if (start != 0)
			return TG_E_VERIFY;
		r = consistency_walk(0, end - k, n - k, false, sub_root, proof, len - 1, depth + 1,
				     a, b);
		if (r != TG_OK)
			return r;
		tg_tlog_node_hash(last, a, h1);
		tg_tlog_node_hash(last, b, h2);
	}
	return TG_OK;
}

tg_err tg_tlog_verify_consistency(uint64_t size1, uint64_t size2, const uint8_t root1[32],
				  const uint8_t root2[32], const struct tg_tlog_proof *proof)
{
	uint8_t h1[32], h2[32];
	tg_err r;

	if (size1 > size2 || proof->n > TG_TLOG_MAX_PROOF)
		return TG_E_VERIFY;
	/* A proof from the empty tree proves nothing (it is a prefix of every
	 * tree); callers that start from size 0 handle that case themselves,
	 * as transparency-dev's reference verifier requires. */
	if (size1 == 0)
		return TG_E_VERIFY;
	r = consistency_walk(0, size1, size2, true, root1, proof, proof->n, 0, h1, h2);
	if (r != TG_OK)
		return r;
	return hash_eq(h1, root1) && hash_eq(h2, root2) ? TG_OK : TG_E_VERIFY;
}

bool tg_tlog_subtree_valid(uint64_t start, uint64_t end)
{
	uint64_t size, p = 1;
	if (end <= start)
		return false;
	size = end - start;
	while (p < size) {
		if (p > UINT64_MAX / 2)
			return false;
		p <<= 1;
	}
	return start % p == 0;
}

tg_err tg_tlog_verify_subtree_inclusion(uint64_t index, uint64_t start, uint64_t end,
					const uint8_t leaf_hash[32],
					const struct tg_tlog_proof *proof, const uint8_t root[32])
{
	if (!tg_tlog_subtree_valid(start, end) || index < start || index >= end)
		return TG_E_VERIFY;
	return tg_tlog_verify_inclusion(index - start, end - start, leaf_hash, proof, root);
}

tg_err tg_tlog_verify_subtree_consistency(uint64_t start, uint64_t end, uint64_t size,
					  const uint8_t sub_root[32], const uint8_t root[32],
					  const struct tg_tlog_proof *proof)
{
	uint8_t h1[32], h2[32], empty[32];
	tg_err r;

	if (proof->n > TG_TLOG_MAX_PROOF || end > size)
		return TG_E_VERIFY;
	if (start == end) {
		/* The empty subtree: trivially consistent, nothing to prove. */
		tg_tlog_empty_root(empty);
		return proof->n == 0 && hash_eq(sub_root, empty) ? TG_OK : TG_E_VERIFY;
	}
	if (!tg_tlog_subtree_valid(start, end))
		return TG_E_VERIFY;
	r = consistency_walk(start, end, size, true, sub_root, proof, proof->n, 0, h1, h2);
	if (r != TG_OK)
		return r;
	return hash_eq(h1, sub_root) && hash_eq(h2, root) ? TG_OK : TG_E_VERIFY;
}

/* ---- generation ---- */

/* MTH(D[lo:hi]) from perfect subtrees (RFC 9162 2.1.1). */
static tg_err mth(const struct tg_tlog_nodes *src, uint64_t lo, uint64_t hi, unsigned depth,
		  uint8_t out[32])
{
	uint64_t n = hi - lo, k;
	uint8_t a[32], b[32];
	tg_err r;

	if (depth > 64)
		return TG_E_INTERNAL;
	if (n == 0) {
		tg_tlog_empty_root(out);
		return TG_OK;
	}
	if (is_pow2(n) && lo % n == 0) {
		unsigned level = log2_exact(n);
		return src->node(src->ctx, level, lo >> level, out);
	}
	k = split_point(n);
	r = mth(src, lo, lo + k, depth + 1, a);
	if (r == TG_OK)
		r = mth(src, lo + k, hi, depth + 1, b);
	if (r == TG_OK)
		tg_tlog_node_hash(a, b, out);
	return r;
}

tg_err tg_tlog_root(const struct tg_tlog_nodes *src, uint64_t size, uint8_t out[32])
{
	return mth(src, 0, size, 0, out);
}

static tg_err proof_push(struct tg_tlog_proof *p, const uint8_t h[32])
{
	if (p->n >= TG_TLOG_MAX_PROOF)
		return TG_E_INTERNAL;
	memcpy(p->h[p->n++], h, 32);
	return TG_OK;
}

/* PATH(m, D[lo:hi]) with m absolute. */
static tg_err path(const struct tg_tlog_nodes *src, uint64_t m, uint64_t lo, uint64_t hi,
		   struct tg_tlog_proof *out)
{
	uint64_t k;
	uint8_t h[32];
	tg_err r;

	if (hi - lo <= 1)
		return TG_OK;
	k = split_point(hi - lo);
	if (m < lo + k) {
		r = path(src, m, lo, lo + k, out);
		if (r == TG_OK)
			r = mth(src, lo + k, hi, 0, h);
	} else {
		r = path(src, m, lo + k, hi, out);
		if (r == TG_OK)
			r = mth(src, lo, lo + k, 0, h);
	}
	return r == TG_OK ? proof_push(out, h) : r;
}

tg_err tg_tlog_prove_inclusion(const struct tg_tlog_nodes *src, uint64_t index, uint64_t size,
			       struct tg_tlog_proof *out)
{
	if (index >= size)
		return TG_E_RANGE;
	out->n = 0;
	return path(src, index, 0, size, out);
}

/* SUBPROOF(m, D[lo:hi], b) with m relative to lo. */
static tg_err subproof(const struct tg_tlog_nodes *src, uint64_t m, uint64_t lo, uint64_t hi,
		       bool b, struct tg_tlog_proof *out)
{
	uint64_t n = hi - lo, k;
	uint8_t h[32];
	tg_err r;

	if (m == n) {
		if (b)
			return TG_OK;
		r = mth(src, lo, hi, 0, h);
		return r == TG_OK ? proof_push(out, h) : r;
	}
	k = split_point(n);
	if (m <= k) {
		r = subproof(src, m, lo, lo + k, b, out);
		if (r == TG_OK)
			r = mth(src, lo + k, hi, 0, h);
	} else {
		r = subproof(src, m - k, lo + k, hi, false, out);
		if (r == TG_OK)
			r = mth(src, lo, lo + k, 0, h);
	}
	return r == TG_OK ? proof_push(out, h) : r;
}

tg_err tg_tlog_prove_consistency(const struct tg_tlog_nodes *src, uint64_t size1, uint64_t size2,
				 struct tg_tlog_proof *out)
{
	out->n = 0;
	if (size1 > size2)
		return TG_E_RANGE;
	if (size1 == 0 || size1 == size2)
		return TG_OK;
	return subproof(src, size1, 0, size2, true, out);
}

/* ---- in-memory tree ---- */

void tg_tlog_memtree_init(struct tg_tlog_memtree *t)
{
	memset(t, 0, sizeof(*t));
}

void tg_tlog_memtree_release(struct tg_tlog_memtree *t)
{
	unsigned l;
	for (l = 0; l < 64; l++)
		free(t->levels[l]);
	memset(t, 0, sizeof(*t));
}

static void level_push(struct tg_tlog_memtree *t, unsigned l, const uint8_t h[32])
{
	if (t->count[l] == t->cap[l]) {
		t->cap[l] = t->cap[l] ? t->cap[l] * 2 : 16;
		t->levels[l] = tg_xreallocarray(t->levels[l], t->cap[l], 32);
	}
	memcpy(t->levels[l][t->count[l]++], h, 32);
}

void tg_tlog_memtree_append(struct tg_tlog_memtree *t, const uint8_t leaf_hash[32])
{
	unsigned l = 0;
	uint8_t h[32];
	level_push(t, 0, leaf_hash);
	t->size++;
	/* Each completed pair makes a parent one level up. */
	while (l < 63 && t->count[l] % 2 == 0) {
		tg_tlog_node_hash(t->levels[l][t->count[l] - 2], t->levels[l][t->count[l] - 1], h);
		level_push(t, l + 1, h);
		l++;
	}
}

static tg_err memtree_node(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	struct tg_tlog_memtree *t = ctx;
	if (level >= 64 || index >= t->count[level])
		return TG_E_RANGE;
	memcpy(out, t->levels[level][index], 32);
	return TG_OK;
}

struct tg_tlog_nodes tg_tlog_memtree_nodes(struct tg_tlog_memtree *t)
{
	struct tg_tlog_nodes n = {memtree_node, t};
	return n;
}
