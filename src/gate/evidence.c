/* SPDX-License-Identifier: Apache-2.0 */
/*
 * evidence.c - an index of Sigstore bundles by the artifact digests they
 * name (messageDigest, in-toto subjects), read from files or added by the
 * caller. Only a way to find candidates: the gate verifies each one.
 */
#include "gate/gate.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/limits.h"
#include "core/mem.h"

#define INDEX_SUBJECTS 1024 /* in-toto subjects of one statement that are indexed */

struct tg_gate_index {
	uint8_t (*digests)[32];          /* sorted; evs[i] covers digests[i] */
	struct tg_gate_evidence *evs;
	size_t n, cap;
	uint8_t **blobs;                 /* owned copies of the bundles */
	char **names;
	size_t nblobs;
};

tg_err tg_gate_index_new(struct tg_gate_index **out)
{
	*out = tg_xcalloc(1, sizeof(**out));
	return TG_OK;
}

void tg_gate_index_free(struct tg_gate_index *ix)
{
	size_t i;
	if (!ix)
		return;
	for (i = 0; i < ix->nblobs; i++) {
		free(ix->blobs[i]);
		free(ix->names[i]);
	}
	free(ix->blobs);
	free(ix->names);
	free(ix->digests);
	free(ix->evs);
	free(ix);
}

size_t tg_gate_index_count(const struct tg_gate_index *ix)
{
	return ix->nblobs;
}

/* First position whose digest is >= dg. */
static size_t lower_bound(const struct tg_gate_index *ix, const uint8_t dg[32])
{
	size_t lo = 0, hi = ix->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(ix->digests[mid], dg, 32) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void insert(struct tg_gate_index *ix, const uint8_t dg[32], const struct tg_gate_evidence *ev)
{
	size_t at = lower_bound(ix, dg);
	while (at < ix->n && memcmp(ix->digests[at], dg, 32) == 0)
		at++; /* after the ones already there: insertion order */
	if (ix->n == ix->cap) {
		ix->cap = ix->cap ? 2 * ix->cap : 64;
		ix->digests = tg_xreallocarray(ix->digests, ix->cap, sizeof(*ix->digests));
		ix->evs = tg_xreallocarray(ix->evs, ix->cap, sizeof(*ix->evs));
	}
	memmove(ix->digests + at + 1, ix->digests + at, (ix->n - at) * sizeof(*ix->digests));
	memmove(ix->evs + at + 1, ix->evs + at, (ix->n - at) * sizeof(*ix->evs));
	memcpy(ix->digests[at], dg, 32);
	ix->evs[at] = *ev;
	ix->n++;
}

tg_err tg_gate_bundle_digests(const struct tg_sign_bundle *b, uint8_t (*dg)[32], size_t max,
			      size_t *n, struct tg_diag *d)
{
	struct tg_arena a;
	const struct tg_json *st = NULL, *subj;
	size_t i;
	tg_err r;

	*n = 0;
	if (!b->is_dsse) {
		if (b->digest_len != 32 || b->digest_alg != TG_SHA256) {
			tg_diag_set(d, "the message signature names no SHA-256 digest");
			return TG_E_PARSE;
		}
		memcpy(dg[0], b->digest, 32);
		*n = 1;
		return TG_OK;
	}
	if (strcmp(b->payload_type, "application/vnd.in-toto+json") != 0) {
		tg_diag_set(d, "the DSSE payload type '%s' is not an in-toto statement", b->payload_type);
		return TG_E_PARSE;
	}
	tg_arena_init(&a, 4 * (size_t)TG_SIGN_MAX_DOC);
	r = tg_json_parse(&a, b->payload, b->payload_len, NULL, &st, NULL, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "the in-toto statement is not valid JSON");
		goto out;
	}
	subj = tg_json_get(st, "subject");
	for (i = 0; subj && subj->type == TG_JSON_ARRAY && i < subj->u.a.len && *n < max; i++) {
		const struct tg_json *h = tg_json_get(tg_json_get(subj->u.a.items[i], "digest"), "sha256");
		if (h && h->type == TG_JSON_STRING && h->u.s.len == 64 &&
		    tg_hex_decode_to(dg[*n], 32, h->u.s.p, 64) == TG_OK)
			(*n)++;
	}
	if (*n == 0) {
		tg_diag_set(d, "the in-toto statement has no subject with a SHA-256 digest");
		r = TG_E_PARSE;
	}
out:
	tg_arena_release(&a);
	return r;
}

tg_err tg_gate_index_add(struct tg_gate_index *ix, const char *name, const uint8_t *data, size_t n,
			 struct tg_diag *d)
{
	uint8_t(*tdg)[32] = NULL;
	struct tg_sign_bundle b;
	struct tg_gate_evidence ev;
	size_t i, ndg = 0;
	uint8_t *copy;
	tg_err r;

	if (ix->nblobs >= TG_LIMIT_GATE_INDEX) {
		tg_diag_set(d, "more than %d bundles in one evidence index", TG_LIMIT_GATE_INDEX);
		return TG_E_TOOBIG;
	}
	if (n > TG_SIGN_MAX_DOC) {
		tg_diag_set(d, "the bundle is larger than %d bytes", TG_SIGN_MAX_DOC);
		return TG_E_TOOBIG;
	}
	memset(&b, 0, sizeof(b));
	r = tg_sign_bundle_parse((const char *)data, n, &b, d);
	if (r != TG_OK)
		return TG_E_PARSE;
	tdg = tg_xcalloc(INDEX_SUBJECTS, 32);
	r = tg_gate_bundle_digests(&b, tdg, INDEX_SUBJECTS, &ndg, d);
	tg_sign_bundle_release(&b);
	if (r != TG_OK) {
		free(tdg);
		return r;
	}
	copy = tg_xmalloc(n ? n : 1);
	if (n)
		memcpy(copy, data, n);
	memset(&ev, 0, sizeof(ev));
	ix->blobs = tg_xreallocarray(ix->blobs, ix->nblobs + 1, sizeof(*ix->blobs));
	ix->names = tg_xreallocarray(ix->names, ix->nblobs + 1, sizeof(*ix->names));
	ix->blobs[ix->nblobs] = copy;
	ix->names[ix->nblobs] = tg_xstrdup(name ? name : "");
	ev.name = ix->names[ix->nblobs];
	ix->nblobs++;
	ev.data = copy;
	ev.len = n;
	r = tg_hash(TG_SHA256, copy, n, ev.sha256);
	ev.has_sha256 = r == TG_OK;
	for (i = 0; i < ndg; i++) {
		size_t j;
		bool dup = false;
		for (j = 0; j < i && !dup; j++)
			dup = memcmp(tdg[j], tdg[i], 32) == 0;
		if (!dup)
			insert(ix, tdg[i], &ev);
	}
	free(tdg);
	return TG_OK;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_json_name(const char *s)
{
	size_t n = strlen(s);
	return s[0] != '.' && n > 5 && strcmp(s + n - 5, ".json") == 0;
}

tg_err tg_gate_index_add_dir(struct tg_gate_index *ix, const char *dir, bool skip_bad,
			     size_t *skipped, struct tg_diag *d)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i, bad = 0;
	tg_err r = TG_OK;

	if (!dh) {
		tg_diag_set(d, "cannot read the evidence directory '%s': %s", dir, strerror(errno));
		return errno == ENOENT || errno == ENOTDIR ? TG_E_NOTFOUND : TG_E_IO;
	}
	while ((de = readdir(dh))) {
		if (!is_json_name(de->d_name))
			continue;
		if (n >= TG_LIMIT_GATE_INDEX) {
			tg_diag_set(d, "more than %d bundles in '%s'", TG_LIMIT_GATE_INDEX, dir);
			r = TG_E_TOOBIG;
			break;
		}
		names = tg_xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = tg_xstrdup(de->d_name);
	}
	closedir(dh);
	if (r == TG_OK && n > 1)
		qsort(names, n, sizeof(*names), str_cmp);
	for (i = 0; i < n && r == TG_OK; i++) {
		size_t len = strlen(dir) + strlen(names[i]) + 2;
		char *path = tg_xmalloc(len);
		struct tg_buf t = TG_BUF_INIT(TG_SIGN_MAX_DOC);
		FILE *f;
		snprintf(path, len, "%s/%s", dir, names[i]);
		f = fopen(path, "rb");
		if (!f) {
			tg_diag_set(d, "cannot read '%s': %s", path, strerror(errno));
			r = TG_E_IO;
		} else {
			uint8_t chunk[65536];
			size_t k;
			while (r == TG_OK && (k = fread(chunk, 1, sizeof(chunk), f)) > 0)
				r = tg_buf_add(&t, chunk, k);
			if (r == TG_OK && ferror(f))
				r = TG_E_IO;
			fclose(f);
			if (r == TG_E_TOOBIG)
				tg_diag_set(d, "'%s' is larger than %d bytes", path, TG_SIGN_MAX_DOC);
			else if (r != TG_OK)
				tg_diag_set(d, "cannot read '%s'", path);
		}
		if (r == TG_OK) {
			r = tg_gate_index_add(ix, names[i], t.data ? t.data : (const uint8_t *)"", t.len, d);
			if (r == TG_E_PARSE && skip_bad) {
				bad++;
				r = TG_OK;
			} else if (r != TG_OK) {
				tg_diag_prefix(d, "'%s' is not usable evidence", path);
			}
		}
		tg_buf_release(&t);
		free(path);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (skipped)
		*skipped = bad;
	return r;
}

void tg_gate_index_find(const struct tg_gate_index *ix, const uint8_t digest[32],
			const struct tg_gate_evidence **out, size_t *n)
{
	size_t lo = lower_bound(ix, digest), hi = lo;
	while (hi < ix->n && memcmp(ix->digests[hi], digest, 32) == 0)
		hi++;
	*out = hi > lo ? &ix->evs[lo] : NULL;
	*n = hi - lo;
}

tg_err tg_gate_index_lookup(void *ix, const uint8_t digest[32], const struct tg_gate_evidence **out,
			    size_t *n)
{
	tg_gate_index_find(ix, digest, out, n);
	return TG_OK;
}
