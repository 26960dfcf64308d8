/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bundle.c - Sigstore bundles v0.1-v0.3 in their JSON form: verification
 * material (certificate, chain or key hint), log entries, timestamps, and
 * the signed content (message signature or DSSE envelope); and DSSE PAE.
 */
#include "sign/sign.h"

#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/mem.h"
#include "sign/sign_internal.h"

tg_err tg_dsse_pae(const char *type, size_t tlen, const uint8_t *body, size_t blen,
		   struct tg_buf *out)
{
	size_t orig = out->len;
	tg_err r = tg_buf_addf(out, "DSSEv1 %zu ", tlen);
	if (r == TG_OK)
		r = tg_buf_add(out, type, tlen);
	if (r == TG_OK)
		r = tg_buf_addf(out, " %zu ", blen);
	if (r == TG_OK)
		r = tg_buf_add(out, body, blen);
	if (r != TG_OK)
		tg_buf_truncate(out, orig);
	return r;
}

/* protobuf JSON int64: a decimal string (or a number); non-negative here. */
static tg_err get_i64(const struct tg_json *o, const char *key, bool required, int64_t *out,
		      struct tg_diag *d)
{
	const struct tg_json *v = tg_json_get(o, key);
	int64_t x = 0;
	size_t i;

	if (!v) {
		if (required) {
			tg_diag_set(d, "missing '%s'", key);
			return TG_E_PARSE;
		}
		*out = 0;
		return TG_OK;
	}
	if (v->type == TG_JSON_NUMBER) {
		if (tg_json_num_i64(v, &x) != TG_OK || x < 0) {
			tg_diag_set(d, "'%s' is not a non-negative integer", key);
			return TG_E_PARSE;
		}
	} else if (v->type == TG_JSON_STRING) {
		if (v->u.s.len == 0 || v->u.s.len > 19) {
			tg_diag_set(d, "'%s' is not a non-negative integer", key);
			return TG_E_PARSE;
		}
		for (i = 0; i < v->u.s.len; i++) {
			char c = v->u.s.p[i];
			if (c < '0' || c > '9' || x > (INT64_MAX - (c - '0')) / 10) {
				tg_diag_set(d, "'%s' is not a non-negative integer", key);
				return TG_E_PARSE;
			}
			x = x * 10 + (c - '0');
		}
	} else {
		tg_diag_set(d, "'%s' is not an integer", key);
		return TG_E_PARSE;
	}
	*out = x;
	return TG_OK;
}

static tg_err copy_b64(const struct tg_json *o, const char *key, uint8_t **out, size_t *len,
		       size_t max, struct tg_diag *d)
{
	struct tg_buf b = TG_BUF_INIT(max);
	tg_err r = tg_sign_b64_member(o, key, &b, d);
	if (r == TG_OK)
		tg_buf_detach(&b, out, len);
	tg_buf_release(&b);
	return r;
}

static tg_err fixed_b64(const struct tg_json *o, const char *key, uint8_t *out, size_t cap,
			size_t *len, struct tg_diag *d)
{
	struct tg_buf b = TG_BUF_INIT(cap);
	tg_err r = tg_sign_b64_member(o, key, &b, d);
	if (r == TG_OK) {
		if (len) {
			memcpy(out, b.data, b.len);
			*len = b.len;
		} else if (b.len != cap) {
			tg_diag_set(d, "'%s' must be %zu bytes", key, cap);
			r = TG_E_PARSE;
		} else {
			memcpy(out, b.data, cap);
		}
	} else if (r == TG_E_TOOBIG) {
		tg_diag_set(d, "'%s' is longer than %zu bytes", key, cap);
		r = TG_E_PARSE;
	}
	tg_buf_release(&b);
	return r;
}

static tg_err parse_entry(const struct tg_json *o, int minor, struct tg_sign_tlog_entry *e,
			  struct tg_diag *d)
{
	const struct tg_json *kv = tg_json_get(o, "kindVersion"), *ip, *promise, *hashes;
	const char *s;
	size_t n, i;
	tg_err r;

	memset(e, 0, sizeof(*e));
	r = get_i64(o, "logIndex", true, &e->log_index, d);
	if (r == TG_OK)
		r = fixed_b64(tg_json_get(o, "logId"), "keyId", e->log_id, sizeof(e->log_id),
			      &e->log_id_len, d);
	if (r != TG_OK)
		return r;
	if (tg_json_get_string(kv, "kind", &s, &n) != TG_OK || n == 0 || n >= sizeof(e->kind)) {
		tg_diag_set(d, "tlog entry without kindVersion.kind");
		return TG_E_PARSE;
	}
	memcpy(e->kind, s, n);
	if (tg_json_get_string(kv, "version", &s, &n) != TG_OK || n == 0 ||
	    n >= sizeof(e->version)) {
		tg_diag_set(d, "tlog entry without kindVersion.version");
		return TG_E_PARSE;
	}
	memcpy(e->version, s, n);
	r = get_i64(o, "integratedTime", false, &e->integrated_time, d);
	if (r != TG_OK)
		return r;
	promise = tg_json_get(o, "inclusionPromise");
	if (promise) {
		r = copy_b64(promise, "signedEntryTimestamp", &e->set, &e->set_len, 4096, d);
		if (r != TG_OK)
			return r;
	}
	ip = tg_json_get(o, "inclusionProof");
	if (ip) {
		const struct tg_json *cp = tg_json_get(tg_json_get(ip, "checkpoint"), "envelope");
		e->has_proof = true;
		r = get_i64(ip, "logIndex", true, &e->proof_index, d);
		if (r == TG_OK)
			r = get_i64(ip, "treeSize", true, &e->proof_tree_size, d);
		if (r == TG_OK)
			r = fixed_b64(ip, "rootHash", e->proof_root, 32, NULL, d);
		if (r != TG_OK)
			return r;
		hashes = tg_json_get(ip, "hashes");
		if (hashes && (hashes->type != TG_JSON_ARRAY || hashes->u.a.len > 64)) {
			tg_diag_set(d, "inclusionProof.hashes must be an array of at most 64 hashes");
			return TG_E_PARSE;
		}
		for (i = 0; hashes && i < hashes->u.a.len; i++) {
			const struct tg_json *h = hashes->u.a.items[i];
			struct tg_buf hb = TG_BUF_INIT(64);
			bool ok = h->type == TG_JSON_STRING &&
				  tg_sign_pb_bytes(h->u.s.p, h->u.s.len, &hb) == TG_OK && hb.len == 32;
			if (ok)
				memcpy(e->proof.h[e->proof.n++], hb.data, 32);
			tg_buf_release(&hb);
			if (!ok) {
				tg_diag_set(d, "inclusionProof.hashes[%zu] is not a base64 SHA-256 hash", i);
				return TG_E_PARSE;
			}
		}
		/* v0.3 requires the signed checkpoint; older bundles may carry a
		 * bare proof, whose root then rests on the signed entry timestamp */
		if (cp && cp->type == TG_JSON_STRING) {
			e->checkpoint = tg_xstrndup(cp->u.s.p, cp->u.s.len);
		} else if (cp || minor >= 3) {
			tg_diag_set(d, "inclusionProof without a checkpoint");
			return TG_E_PARSE;
		}
	} else if (minor >= 2) {
		tg_diag_set(d, "a v0.%d bundle's log entry must carry an inclusion proof", minor);
		return TG_E_PARSE;
	}
	if (!promise && !ip) {
		tg_diag_set(d, "tlog entry has neither an inclusion promise nor a proof");
		return TG_E_PARSE;
	}
	return copy_b64(o, "canonicalizedBody", &e->body, &e->body_len, 4 * 1024 * 1024, d);
}

static void entry_release(struct tg_sign_tlog_entry *e)
{
	free(e->set);
	free(e->checkpoint);
	free(e->body);
}

void tg_sign_bundle_release(struct tg_sign_bundle *b)
{
	size_t i;
	if (!b)
		return;
	tg_x509_list_release(&b->certs);
	free(b->key_hint);
	for (i = 0; i < b->ntlog; i++)
		entry_release(&b->tlog[i]);
	free(b->tlog);
	for (i = 0; i < b->ntsa; i++)
		free(b->tsa[i]);
	free(b->tsa);
	free(b->tsa_len);
	free(b->signature);
	free(b->payload_type);
	free(b->payload);
	memset(b, 0, sizeof(*b));
}

static tg_err add_cert(struct tg_sign_bundle *b, const struct tg_json *c, struct tg_diag *d)
{
	struct tg_buf der = TG_BUF_INIT(TG_LIMIT_DER);
	struct tg_x509 *x = NULL;
	tg_err r = tg_sign_b64_member(c, "rawBytes", &der, d);
	if (r == TG_OK && b->certs.count >= TG_LIMIT_CHAIN) {
		tg_diag_set(d, "certificate chain longer than %d", TG_LIMIT_CHAIN);
		r = TG_E_PARSE;
	}
	if (r == TG_OK)
		r = tg_x509_from_der(der.data, der.len, &x, d);
	if (r == TG_OK) {
		b->certs.certs = tg_xreallocarray(b->certs.certs, b->certs.count + 1,
						  sizeof(*b->certs.certs));
		b->certs.certs[b->certs.count++] = x;
	}
	tg_buf_release(&der);
	return r;
}

tg_err tg_sign_bundle_parse(const char *json, size_t n, struct tg_sign_bundle *out,
			    struct tg_diag *d)
{
	struct tg_arena a;
	const struct tg_json *root, *vm, *v, *ms, *env;
	struct tg_sign_bundle b;
	const char *s;
	size_t sl, i;
	tg_err r;

	memset(&b, 0, sizeof(b));
	tg_arena_init(&a, 4 * (size_t)TG_SIGN_MAX_DOC);
	r = tg_json_parse(&a, json, n, NULL, &root, NULL, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "bundle is not valid JSON");
		r = TG_E_PARSE;
		goto out;
	}
	r = TG_E_PARSE;
	if (tg_json_get_string(root, "mediaType", &s, &sl) != TG_OK) {
		tg_diag_set(d, "bundle without mediaType");
		goto out;
	}
	if (tg_sign_str_is(s, sl, "application/vnd.dev.sigstore.bundle+json;version=0.1"))
		b.minor = 1;
	else if (tg_sign_str_is(s, sl, "application/vnd.dev.sigstore.bundle+json;version=0.2"))
		b.minor = 2;
	else if (tg_sign_str_is(s, sl, "application/vnd.dev.sigstore.bundle+json;version=0.3") ||
		 tg_sign_str_is(s, sl, "application/vnd.dev.sigstore.bundle.v0.3+json"))
		b.minor = 3;
	else {
		tg_diag_set(d, "unsupported bundle mediaType '%.*s'", (int)(sl > 80 ? 80 : sl), s);
		goto out;
	}

	vm = tg_json_get(root, "verificationMaterial");
	if (!vm || vm->type != TG_JSON_OBJECT) {
		tg_diag_set(d, "bundle without verificationMaterial");
		goto out;
	}
	if ((v = tg_json_get(vm, "certificate")) != NULL) {
		if (b.minor < 3) {
			tg_diag_set(d, "a single certificate needs a v0.3 bundle");
			goto out;
		}
		r = add_cert(&b, v, d);
		if (r != TG_OK)
			goto out;
	} else if ((v = tg_json_get(vm, "x509CertificateChain")) != NULL) {
		const struct tg_json *certs = tg_json_get(v, "certificates");
		if (b.minor >= 3) {
			tg_diag_set(d, "a v0.3 bundle carries one certificate, not a chain");
			goto out;
		}
		if (!certs || certs->type != TG_JSON_ARRAY || certs->u.a.len == 0) {
			tg_diag_set(d, "empty certificate chain");
			goto out;
		}
		for (i = 0; i < certs->u.a.len; i++) {
			r = add_cert(&b, certs->u.a.items[i], d);
			if (r != TG_OK)
				goto out;
		}
	} else if ((v = tg_json_get(vm, "publicKey")) != NULL) {
		b.has_public_key = true;
		if (tg_json_get_string(v, "hint", &s, &sl) == TG_OK)
			b.key_hint = tg_xstrndup(s, sl);
	} else {
		tg_diag_set(d, "no certificate, chain or public key in verificationMaterial");
		goto out;
	}
	r = TG_E_PARSE;
	v = tg_json_get(vm, "tlogEntries");
	if (v && (v->type != TG_JSON_ARRAY || v->u.a.len > 16)) {
		tg_diag_set(d, "tlogEntries must be an array of at most 16 entries");
		goto out;
	}
	if (v && v->u.a.len) {
		b.tlog = tg_xcalloc(v->u.a.len, sizeof(*b.tlog));
		for (i = 0; i < v->u.a.len; i++) {
			r = parse_entry(v->u.a.items[i], b.minor, &b.tlog[b.ntlog], d);
			if (r != TG_OK) {
				entry_release(&b.tlog[b.ntlog]);
				tg_diag_prefix(d, "tlog entry %zu", i);
				goto out;
			}
			b.ntlog++;
		}
	}
	v = tg_json_get(tg_json_get(vm, "timestampVerificationData"), "rfc3161Timestamps");
	if (v && (v->type != TG_JSON_ARRAY || v->u.a.len > 16)) {
		tg_diag_set(d, "rfc3161Timestamps must be an array of at most 16 timestamps");
		r = TG_E_PARSE;
		goto out;
	}
	if (v && v->u.a.len) {
		b.tsa = tg_xcalloc(v->u.a.len, sizeof(*b.tsa));
		b.tsa_len = tg_xcalloc(v->u.a.len, sizeof(*b.tsa_len));
		for (i = 0; i < v->u.a.len; i++) {
			r = copy_b64(v->u.a.items[i], "signedTimestamp", &b.tsa[i], &b.tsa_len[i],
				     64 * 1024, d);
			if (r != TG_OK) {
				tg_diag_prefix(d, "timestamp %zu", i);
				goto out;
			}
			b.ntsa++;
		}
	}

	r = TG_E_PARSE;
	ms = tg_json_get(root, "messageSignature");
	env = tg_json_get(root, "dsseEnvelope");
	if ((ms != NULL) == (env != NULL)) {
		tg_diag_set(d, "bundle needs exactly one of messageSignature and dsseEnvelope");
		goto out;
	}
	if (ms) {
		const struct tg_json *md = tg_json_get(ms, "messageDigest");
		if (md) {
			if (tg_json_get_string(md, "algorithm", &s, &sl) != TG_OK) {
				tg_diag_set(d, "messageDigest without algorithm");
				goto out;
			}
			if (tg_sign_str_is(s, sl, "SHA2_256"))
				b.digest_alg = TG_SHA256;
			else if (tg_sign_str_is(s, sl, "SHA2_384"))
				b.digest_alg = TG_SHA384;
			else if (tg_sign_str_is(s, sl, "SHA2_512"))
				b.digest_alg = TG_SHA512;
			else {
				tg_diag_set(d, "unsupported messageDigest algorithm '%.*s'",
					    (int)(sl > 40 ? 40 : sl), s);
				goto out;
			}
			r = fixed_b64(md, "digest", b.digest, tg_hash_len(b.digest_alg), NULL, d);
			if (r != TG_OK)
				goto out;
			b.digest_len = tg_hash_len(b.digest_alg);
		}
		r = copy_b64(ms, "signature", &b.signature, &b.signature_len, 16384, d);
		if (r != TG_OK)
			goto out;
	} else {
		const struct tg_json *sigs = tg_json_get(env, "signatures");
		b.is_dsse = true;
		if (tg_json_get_string(env, "payloadType", &s, &sl) != TG_OK) {
			tg_diag_set(d, "DSSE envelope without payloadType");
			goto out;
		}
		b.payload_type = tg_xstrndup(s, sl);
		r = copy_b64(env, "payload", &b.payload, &b.payload_len, TG_SIGN_MAX_DOC, d);
		if (r != TG_OK)
			goto out;
		if (!sigs || sigs->type != TG_JSON_ARRAY || sigs->u.a.len == 0) {
			tg_diag_set(d, "DSSE envelope without signatures");
			r = TG_E_PARSE;
			goto out;
		}
		b.dsse_nsigs = sigs->u.a.len;
		r = copy_b64(sigs->u.a.items[0], "sig", &b.signature, &b.signature_len, 16384, d);
		if (r != TG_OK)
			goto out;
	}
	*out = b;
	memset(&b, 0, sizeof(b));
	r = TG_OK;
out:
	tg_sign_bundle_release(&b);
	tg_arena_release(&a);
	return r;
}
