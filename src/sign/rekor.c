/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rekor.c - Rekor log entries in bundles: the canonicalized body bound to
 * the bundle's content (hashedrekord 0.0.1/0.0.2, dsse 0.0.1/0.0.2, intoto
 * 0.0.2), the signed entry timestamp, and the inclusion proof with its checkpoint.
 */
#include "sign/sign.h"

#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/mem.h"
#include "core/pem.h"
#include "sign/sign_internal.h"
#include "tlog/tlog.h"

/* Decodes a standard base64 string member into out. */
static bool b64_str(const struct tg_json *o, const char *key, struct tg_buf *out)
{
	const char *s;
	size_t n;
	return tg_json_get_string(o, key, &s, &n) == TG_OK && tg_sign_pb_bytes(s, n, out) == TG_OK;
}

/* Compares a hex string member with bytes. */
static bool hex_is(const struct tg_json *o, const char *key, const uint8_t *want, size_t n)
{
	char hex[129];
	const char *s;
	size_t sl;
	if (n > 64 || tg_json_get_string(o, key, &s, &sl) != TG_OK || sl != 2 * n)
		return false;
	tg_hex_encode_to(hex, want, n);
	return memcmp(hex, s, sl) == 0;
}

/* Is this PEM (or DER) the leaf certificate, or the signer's public key? */
static bool verifier_matches(const uint8_t *material, size_t n, bool is_pem,
			     const struct tg_x509 *leaf, const struct tg_key *signer)
{
	struct tg_pem_list l = {NULL, 0};
	struct tg_buf want = TG_BUF_INIT(TG_LIMIT_DER);
	const uint8_t *der = material;
	size_t der_len = n;
	bool ok = false;

	if (is_pem) {
		if (tg_pem_decode((const char *)material, n, &l, NULL) != TG_OK || l.count != 1)
			goto out;
		der = l.blocks[0].der;
		der_len = l.blocks[0].len;
	}
	if (leaf) {
		if (tg_x509_to_der(leaf, &want) != TG_OK)
			goto out;
	} else if (signer) {
		if (tg_key_to_spki_der(signer, &want) != TG_OK)
			goto out;
	} else {
		goto out;
	}
	ok = der_len == want.len && memcmp(der, want.data, der_len) == 0;
out:
	tg_pem_list_release(&l);
	tg_buf_release(&want);
	return ok;
}

/* The digest a message-signature bundle signed, and its algorithm. */
static bool bundle_digest(const struct tg_sign_bundle *b, const uint8_t **dg, size_t *dl)
{
	if (b->is_dsse || b->digest_len == 0)
		return false;
	*dg = b->digest;
	*dl = b->digest_len;
	return true;
}

static tg_err bind_hashedrekord_v001(const struct tg_json *spec, const struct tg_sign_bundle *b,
				     const struct tg_x509 *leaf, const struct tg_key *signer,
				     struct tg_diag *d)
{
	const struct tg_json *hash = tg_json_get(tg_json_get(spec, "data"), "hash");
	const struct tg_json *sig = tg_json_get(spec, "signature");
	struct tg_buf sb = TG_BUF_INIT(16384), pk = TG_BUF_INIT(64 * 1024);
	const uint8_t *dg;
	size_t dl;
	tg_err r = TG_E_VERIFY;

	if (b->is_dsse) {
		tg_diag_set(d, "a hashedrekord entry cannot record a DSSE envelope");
		goto out;
	}
	if (!bundle_digest(b, &dg, &dl) || !tg_json_str_eq(tg_json_get(hash, "algorithm"), "sha256") ||
	    dl != 32 || !hex_is(hash, "value", dg, dl)) {
		tg_diag_set(d, "the log entry records a different artifact digest");
		goto out;
	}
	if (!b64_str(sig, "content", &sb) || sb.len != b->signature_len ||
	    memcmp(sb.data, b->signature, sb.len) != 0) {
		tg_diag_set(d, "the log entry records a different signature");
		goto out;
	}
	if (!b64_str(tg_json_get(sig, "publicKey"), "content", &pk) ||
	    !verifier_matches(pk.data, pk.len, true, leaf, signer)) {
		tg_diag_set(d, "the log entry records a different certificate or key");
		goto out;
	}
	r = TG_OK;
out:
	tg_buf_release(&sb);
	tg_buf_release(&pk);
	return r;
}

static tg_err bind_hashedrekord_v002(const struct tg_json *spec, const struct tg_sign_bundle *b,
				     const struct tg_x509 *leaf, const struct tg_key *signer,
				     struct tg_diag *d)
{
	const struct tg_json *hr = tg_json_get(spec, "hashedRekordV002");
	const struct tg_json *data = tg_json_get(hr, "data"), *sig = tg_json_get(hr, "signature");
	const struct tg_json *ver = tg_json_get(sig, "verifier");
	struct tg_buf db = TG_BUF_INIT(64), sb = TG_BUF_INIT(16384), vb = TG_BUF_INIT(TG_LIMIT_DER);
	struct tg_buf pae = TG_BUF_INIT(TG_SIGN_MAX_DOC + 256);
	uint8_t want[32];
	const uint8_t *dg = NULL;
	size_t dl = 0;
	tg_err r = TG_E_VERIFY;

	if (!tg_json_str_eq(tg_json_get(data, "algorithm"), "SHA2_256") ||
	    !b64_str(data, "digest", &db)) {
		tg_diag_set(d, "malformed hashedrekord 0.0.2 data");
		goto out;
	}
	if (b->is_dsse) {
		/* rekor-v2 "hashedrekord over DSSE": the digest of the PAE */
		if (tg_dsse_pae(b->payload_type, strlen(b->payload_type), b->payload, b->payload_len,
				&pae) != TG_OK ||
		    tg_hash(TG_SHA256, pae.data, pae.len, want) != TG_OK)
			goto out;
		dg = want;
		dl = 32;
	} else if (!bundle_digest(b, &dg, &dl)) {
		tg_diag_set(d, "the bundle has no message digest to compare");
		goto out;
	}
	if (db.len != dl || memcmp(db.data, dg, dl) != 0) {
		tg_diag_set(d, "the log entry records a different digest");
		goto out;
	}
	if (!b64_str(sig, "content", &sb) || sb.len != b->signature_len ||
	    memcmp(sb.data, b->signature, sb.len) != 0) {
		tg_diag_set(d, "the log entry records a different signature");
		goto out;
	}
	if (!(b64_str(tg_json_get(ver, "x509Certificate"), "rawBytes", &vb) ||
	      b64_str(tg_json_get(ver, "publicKey"), "rawBytes", &vb)) ||
	    !verifier_matches(vb.data, vb.len, false, leaf, signer)) {
		tg_diag_set(d, "the log entry records a different certificate or key");
		goto out;
	}
	r = TG_OK;
out:
	tg_buf_release(&db);
	tg_buf_release(&sb);
	tg_buf_release(&vb);
	tg_buf_release(&pae);
	return r;
}

static tg_err bind_dsse_v001(const struct tg_json *spec, const struct tg_sign_bundle *b,
			     const struct tg_x509 *leaf, const struct tg_key *signer,
			     struct tg_diag *d)
{
	const struct tg_json *ph = tg_json_get(spec, "payloadHash");
	const struct tg_json *sigs = tg_json_get(spec, "signatures");
	uint8_t h[32];
	size_t i;
	bool found = false;

	if (!b->is_dsse) {
		tg_diag_set(d, "a dsse entry needs a DSSE envelope in the bundle");
		return TG_E_VERIFY;
	}
	if (tg_hash(TG_SHA256, b->payload, b->payload_len, h) != TG_OK ||
	    !tg_json_str_eq(tg_json_get(ph, "algorithm"), "sha256") || !hex_is(ph, "value", h, 32)) {
		tg_diag_set(d, "the log entry records a different DSSE payload");
		return TG_E_VERIFY;
	}
	if (!sigs || sigs->type != TG_JSON_ARRAY || sigs->u.a.len != b->dsse_nsigs) {
		tg_diag_set(d, "the log entry records different DSSE signatures");
		return TG_E_VERIFY;
	}
	for (i = 0; i < sigs->u.a.len && !found; i++) {
		struct tg_buf sb = TG_BUF_INIT(16384), vb = TG_BUF_INIT(64 * 1024);
		found = b64_str(sigs->u.a.items[i], "signature", &sb) && sb.len == b->signature_len &&
			memcmp(sb.data, b->signature, sb.len) == 0 &&
			b64_str(sigs->u.a.items[i], "verifier", &vb) &&
			verifier_matches(vb.data, vb.len, true, leaf, signer);
		tg_buf_release(&sb);
		tg_buf_release(&vb);
	}
	if (!found) {
		tg_diag_set(d, "the log entry does not record the envelope's signature and certificate");
		return TG_E_VERIFY;
	}
	return TG_OK;
}

/* Rekor v2 dsse 0.0.2: the payload digest and each signature with its
 * verifier (certificate or key), binary fields base64 once. */
static tg_err bind_dsse_v002(const struct tg_json *spec, const struct tg_sign_bundle *b,
			     const struct tg_x509 *leaf, const struct tg_key *signer,
			     struct tg_diag *d)
{
	const struct tg_json *ds = tg_json_get(spec, "dsseV002");
	const struct tg_json *ph = tg_json_get(ds, "payloadHash");
	const struct tg_json *sigs = tg_json_get(ds, "signatures");
	struct tg_buf hb = TG_BUF_INIT(64);
	uint8_t h[32];
	size_t i;
	bool found = false;
	tg_err r = TG_E_VERIFY;

	if (!b->is_dsse) {
		tg_diag_set(d, "a dsse entry needs a DSSE envelope in the bundle");
		goto out;
	}
	if (tg_hash(TG_SHA256, b->payload, b->payload_len, h) != TG_OK ||
	    !tg_json_str_eq(tg_json_get(ph, "algorithm"), "SHA2_256") ||
	    !b64_str(ph, "digest", &hb) || hb.len != 32 || memcmp(hb.data, h, 32) != 0) {
		tg_diag_set(d, "the log entry records a different DSSE payload");
		goto out;
	}
	if (!sigs || sigs->type != TG_JSON_ARRAY || sigs->u.a.len != b->dsse_nsigs) {
		tg_diag_set(d, "the log entry records different DSSE signatures");
		goto out;
	}
	for (i = 0; i < sigs->u.a.len && !found; i++) {
		const struct tg_json *ver = tg_json_get(sigs->u.a.items[i], "verifier");
		struct tg_buf sb = TG_BUF_INIT(16384), vb = TG_BUF_INIT(TG_LIMIT_DER);
		found = b64_str(sigs->u.a.items[i], "content", &sb) && sb.len == b->signature_len &&
			memcmp(sb.data, b->signature, sb.len) == 0 &&
			(b64_str(tg_json_get(ver, "x509Certificate"), "rawBytes", &vb) ||
			 b64_str(tg_json_get(ver, "publicKey"), "rawBytes", &vb)) &&
			verifier_matches(vb.data, vb.len, false, leaf, signer);
		tg_buf_release(&sb);
		tg_buf_release(&vb);
	}
	if (!found) {
		tg_diag_set(d, "the log entry does not record the envelope's signature and certificate");
		goto out;
	}
	r = TG_OK;
out:
	tg_buf_release(&hb);
	return r;
}

/* intoto 0.0.2 stores the envelope with payload and signatures base64
 * encoded once more. */
static tg_err bind_intoto_v002(const struct tg_json *spec, const struct tg_sign_bundle *b,
			       const struct tg_x509 *leaf, const struct tg_key *signer,
			       struct tg_diag *d)
{
	const struct tg_json *env = tg_json_get(tg_json_get(spec, "content"), "envelope");
	const struct tg_json *sigs = tg_json_get(env, "signatures");
	struct tg_buf p1 = TG_BUF_INIT(TG_SIGN_MAX_DOC), p2 = TG_BUF_INIT(TG_SIGN_MAX_DOC);
	size_t i;
	bool found = false;
	tg_err r = TG_E_VERIFY;

	if (!b->is_dsse) {
		tg_diag_set(d, "an intoto entry needs a DSSE envelope in the bundle");
		goto out;
	}
	if (!tg_json_str_eq(tg_json_get(env, "payloadType"), b->payload_type) ||
	    !b64_str(env, "payload", &p1) ||
	    tg_b64_decode(&p2, (const char *)p1.data, p1.len, TG_B64_STD, NULL) != TG_OK ||
	    p2.len != b->payload_len || memcmp(p2.data, b->payload, p2.len) != 0) {
		tg_diag_set(d, "the log entry records a different in-toto envelope");
		goto out;
	}
	if (!sigs || sigs->type != TG_JSON_ARRAY || sigs->u.a.len != b->dsse_nsigs) {
		tg_diag_set(d, "the log entry records different envelope signatures");
		goto out;
	}
	for (i = 0; i < sigs->u.a.len && !found; i++) {
		struct tg_buf s1 = TG_BUF_INIT(32768), s2 = TG_BUF_INIT(16384),
			      vb = TG_BUF_INIT(64 * 1024);
		found = b64_str(sigs->u.a.items[i], "sig", &s1) &&
			tg_b64_decode(&s2, (const char *)s1.data, s1.len, TG_B64_STD, NULL) == TG_OK &&
			s2.len == b->signature_len && memcmp(s2.data, b->signature, s2.len) == 0 &&
			b64_str(sigs->u.a.items[i], "publicKey", &vb) &&
			verifier_matches(vb.data, vb.len, true, leaf, signer);
		tg_buf_release(&s1);
		tg_buf_release(&s2);
		tg_buf_release(&vb);
	}
	if (!found) {
		tg_diag_set(d, "the log entry does not record the envelope's signature and certificate");
		goto out;
	}
	r = TG_OK;
out:
	tg_buf_release(&p1);
	tg_buf_release(&p2);
	return r;
}

/* The canonicalized body must describe exactly what the bundle holds. */
static tg_err bind_body(const struct tg_sign_tlog_entry *e, const struct tg_sign_bundle *b,
			const struct tg_x509 *leaf, const struct tg_key *signer, struct tg_diag *d)
{
	struct tg_arena a;
	const struct tg_json *body, *spec;
	tg_err r;

	tg_arena_init(&a, 64 * 1024 * 1024);
	r = tg_json_parse(&a, e->body, e->body_len, NULL, &body, NULL, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "the log entry body is not valid JSON");
		r = TG_E_VERIFY;
		goto out;
	}
	r = TG_E_VERIFY;
	if (!tg_json_str_eq(tg_json_get(body, "kind"), e->kind) ||
	    !tg_json_str_eq(tg_json_get(body, "apiVersion"), e->version)) {
		tg_diag_set(d, "the log entry body is not the %s %s the entry claims", e->kind,
			    e->version);
		goto out;
	}
	spec = tg_json_get(body, "spec");
	if (!strcmp(e->kind, "hashedrekord") && !strcmp(e->version, "0.0.1"))
		r = bind_hashedrekord_v001(spec, b, leaf, signer, d);
	else if (!strcmp(e->kind, "hashedrekord") && !strcmp(e->version, "0.0.2"))
		r = bind_hashedrekord_v002(spec, b, leaf, signer, d);
	else if (!strcmp(e->kind, "dsse") && !strcmp(e->version, "0.0.1"))
		r = bind_dsse_v001(spec, b, leaf, signer, d);
	else if (!strcmp(e->kind, "dsse") && !strcmp(e->version, "0.0.2"))
		r = bind_dsse_v002(spec, b, leaf, signer, d);
	else if (!strcmp(e->kind, "intoto") && !strcmp(e->version, "0.0.2"))
		r = bind_intoto_v002(spec, b, leaf, signer, d);
	else
		tg_diag_set(d, "unsupported log entry kind %s %s", e->kind, e->version);
out:
	tg_arena_release(&a);
	return r;
}

/* Rekor v1 signed entry timestamp: the log's signature over the RFC 8785
 * form of {body, integratedTime, logID, logIndex}. */
static tg_err verify_set(const struct tg_sign_tlog_entry *e, const struct tg_sign_log *log,
			 struct tg_diag *d)
{
	struct tg_buf msg = TG_BUF_INIT(8 * 1024 * 1024);
	char hex[65];
	tg_err r;

	tg_hex_encode_to(hex, e->log_id, e->log_id_len);
	/* keys in RFC 8785 order; the body is the base64 text as logged */
	r = tg_buf_adds(&msg, "{\"body\":\"");
	if (r == TG_OK)
		r = tg_b64_encode(&msg, e->body, e->body_len, TG_B64_STD);
	if (r == TG_OK)
		r = tg_buf_addf(&msg, "\",\"integratedTime\":%lld,\"logID\":\"%s\",\"logIndex\":%lld}",
				(long long)e->integrated_time, hex, (long long)e->log_index);
	if (r == TG_OK) {
		enum tg_sig_alg alg = tg_key_default_alg(log->key);
		r = tg_verify(log->key, alg, TG_SIG_FORMAT_DER, msg.data, msg.len, e->set, e->set_len);
		if (r != TG_OK) {
			tg_diag_set(d, "the signed entry timestamp does not verify with the log's key");
			r = TG_E_VERIFY;
		}
	}
	tg_buf_release(&msg);
	return r;
}

/* The checkpoint must be signed by the log and state the proof's tree. */
static tg_err verify_checkpoint(const struct tg_sign_tlog_entry *e, const struct tg_sign_log *log,
				struct tg_diag *d)
{
	struct tg_note note = {NULL, 0, NULL, 0};
	struct tg_note_key nk;
	struct tg_checkpoint c;
	size_t on = strlen(log->origin);
	enum tg_note_alg alg = tg_key_type(log->key) == TG_KEY_ED25519 ? TG_NOTE_ED25519
									: TG_NOTE_ECDSA;
	tg_err r;

	memset(&nk, 0, sizeof(nk));
	r = tg_note_parse(e->checkpoint, strlen(e->checkpoint), &note, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "malformed checkpoint");
		r = TG_E_VERIFY;
		goto out;
	}
	r = tg_note_key_from(log->origin, alg, log->key, &nk, d);
	if (r == TG_OK)
		r = tg_note_verify(&note, &nk, 1, NULL, NULL, NULL, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "the checkpoint is not signed by the log '%s'", log->origin);
		r = TG_E_VERIFY;
		goto out;
	}
	r = tg_checkpoint_parse(note.text, note.text_len, &c, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "malformed checkpoint");
		r = TG_E_VERIFY;
		goto out;
	}
	/* Rekor v1 origins are "<host> - <tree id>"; Rekor v2 uses the host. */
	if (!(strcmp(c.origin, log->origin) == 0 ||
	      (strncmp(c.origin, log->origin, on) == 0 && strncmp(c.origin + on, " - ", 3) == 0))) {
		tg_diag_set(d, "checkpoint origin '%s' is not the log '%s'", c.origin, log->origin);
		r = TG_E_VERIFY;
		goto out;
	}
	if (c.size != (uint64_t)e->proof_tree_size || memcmp(c.root, e->proof_root, 32) != 0) {
		tg_diag_set(d, "the checkpoint does not state the tree of the inclusion proof");
		r = TG_E_VERIFY;
		goto out;
	}
	r = TG_OK;
out:
	tg_note_key_release(&nk);
	tg_note_release(&note);
	return r;
}

tg_err tg_sign_verify_tlog_entry(const struct tg_sign_tlog_entry *e, const struct tg_sign_bundle *b,
				 const struct tg_x509 *leaf, const struct tg_key *signer,
				 const struct tg_sign_trustroot *t, int64_t *integrated,
				 const struct tg_sign_log **logp, struct tg_diag *d)
{
	const struct tg_sign_log *log = NULL;
	size_t i;
	tg_err r;

	for (i = 0; i < t->ntlogs && !log; i++)
		if (t->tlogs[i].log_id_len == e->log_id_len &&
		    memcmp(t->tlogs[i].log_id, e->log_id, e->log_id_len) == 0)
			log = &t->tlogs[i];
	if (!log) {
		tg_diag_set(d, "the log entry comes from a log the trusted root does not list");
		return TG_E_VERIFY;
	}
	r = bind_body(e, b, leaf, signer, d);
	if (r != TG_OK)
		return r;
	*integrated = 0;
	if (e->set) {
		r = verify_set(e, log, d);
		if (r != TG_OK)
			return r;
		*integrated = e->integrated_time;
	}
	if (e->has_proof) {
		struct tg_tlog_proof p;
		uint8_t leafh[32];
		if (e->proof_index >= e->proof_tree_size) {
			tg_diag_set(d, "inclusion proof index beyond its tree");
			return TG_E_VERIFY;
		}
		p.n = e->proof.n;
		memcpy(p.h, e->proof.h, e->proof.n * 32);
		tg_tlog_leaf_hash(e->body, e->body_len, leafh);
		if (tg_tlog_verify_inclusion((uint64_t)e->proof_index, (uint64_t)e->proof_tree_size,
					     leafh, &p, e->proof_root) != TG_OK) {
			tg_diag_set(d, "the inclusion proof does not verify");
			return TG_E_VERIFY;
		}
		if (e->checkpoint) {
			r = verify_checkpoint(e, log, d);
			if (r != TG_OK)
				return r;
		} else if (!e->set) {
			tg_diag_set(d, "an inclusion proof without a signed checkpoint or entry "
				       "timestamp proves nothing");
			return TG_E_VERIFY;
		}
	}
	if (*integrated && !tg_sign_validity_contains(&log->valid,
						      (struct tg_time){*integrated, 0})) {
		tg_diag_set(d, "the log's key was not valid at the entry's integrated time");
		return TG_E_VERIFY;
	}
	*logp = log;
	return TG_OK;
}
