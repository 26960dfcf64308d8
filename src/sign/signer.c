/* SPDX-License-Identifier: Apache-2.0 */
/*
 * signer.c - the local signing service: a code-signing CA issuing
 * 10-minute Fulcio-profile certificates, an RFC 3161 timestamp authority,
 * and a transparency log of hashedrekord 0.0.2 entries; bundles v0.3 out.
 */
#include "sign/sign.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/fs.h"
#include "core/limits.h"
#include "core/mem.h"
#include "sign/sign_internal.h"
#include "tlog/tlog.h"

#define BUNDLE_MEDIA_TYPE "application/vnd.dev.sigstore.bundle.v0.3+json"

struct tg_signer {
	char *dir;
	char name[TG_NOTE_NAME_MAX + 1];
	struct tg_x509 *ca_root, *ca_inter, *tsa_root, *tsa_cert;
	struct tg_key *ca_key, *tsa_key;
	struct tg_time created;
};

/* ---- files ---- */

static tg_err path_of(const char *dir, const char *name, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= cap ? TG_E_TOOBIG : TG_OK;
}

static tg_err write_cert(const char *dir, const char *name, const struct tg_x509 *c,
			 struct tg_diag *d)
{
	char p[PATH_MAX];
	struct tg_buf pem = TG_BUF_INIT(1 << 20);
	tg_err r = path_of(dir, name, p, sizeof(p));
	if (r == TG_OK)
		r = tg_x509_to_pem(c, &pem);
	if (r == TG_OK)
		r = tg_fs_write_atomic(p, pem.data, pem.len, 0644, TG_FS_SYNC | TG_FS_EXCL, d);
	tg_buf_release(&pem);
	return r;
}

static tg_err write_key(const char *dir, const char *name, const struct tg_key *k,
			struct tg_diag *d)
{
	char p[PATH_MAX];
	tg_err r = path_of(dir, name, p, sizeof(p));
	return r == TG_OK ? tg_key_save_private(k, p, d) : r;
}

tg_err tg_signer_read_cert(const char *dir, const char *name, struct tg_x509 **out,
			   struct tg_diag *d)
{
	char p[PATH_MAX];
	struct tg_buf pem = TG_BUF_INIT(1 << 20);
	struct tg_x509_list l = {NULL, 0};
	tg_err r = path_of(dir, name, p, sizeof(p));
	if (r == TG_OK)
		r = tg_fs_read(p, &pem, d);
	if (r == TG_OK)
		r = tg_x509_list_from_pem((const char *)pem.data, pem.len, &l, d);
	if (r == TG_OK && l.count != 1) {
		tg_diag_set(d, "'%s' must hold one certificate", p);
		r = TG_E_PARSE;
	}
	if (r == TG_OK)
		*out = tg_x509_ref(l.certs[0]);
	tg_x509_list_release(&l);
	tg_buf_release(&pem);
	return r;
}

tg_err tg_signer_read_key(const char *dir, const char *name, struct tg_key **out,
			  struct tg_diag *d)
{
	char p[PATH_MAX];
	tg_err r = path_of(dir, name, p, sizeof(p));
	return r == TG_OK ? tg_key_load_file(p, out, d) : r;
}

/* ---- init ---- */

static tg_err make_ca(const char *subject, const struct tg_key *key, const struct tg_x509 *issuer,
		      const struct tg_key *issuer_key, int path_len, unsigned eku,
		      struct tg_time from, int64_t days, struct tg_x509 **out, struct tg_diag *d)
{
	struct tg_x509_tmpl t;
	memset(&t, 0, sizeof(t));
	t.subject = subject;
	t.not_before = from;
	t.not_after = (struct tg_time){from.sec + days * 86400, 0};
	t.is_ca = true;
	t.path_len = path_len;
	t.key_usage = TG_KU_KEY_CERT_SIGN | TG_KU_CRL_SIGN;
	t.ext_key_usage = eku;
	return tg_x509_build(&t, key, issuer, issuer_key, out, d);
}

tg_err tg_signer_init(const char *dir, const char *name, struct tg_time now, struct tg_diag *d)
{
	struct tg_key *rk = NULL, *ik = NULL, *tk = NULL, *trk = NULL;
	struct tg_x509 *root = NULL, *inter = NULL, *troot = NULL, *tsa = NULL;
	struct tg_buf vkey = TG_BUF_INIT(4096), meta = TG_BUF_INIT(4096);
	char subj[512], logdir[PATH_MAX], p[PATH_MAX];
	struct tg_time from = {now.sec - 60, 0};
	tg_err r;

	if (strlen(name) == 0 || strlen(name) > 200 || strchr(name, ' ') || strchr(name, '+')) {
		tg_diag_set(d, "signer name '%s' must be a URL-like name without spaces or '+'", name);
		return TG_E_INVAL;
	}
	r = path_of(dir, "signer.json", p, sizeof(p));
	if (r == TG_OK && tg_fs_exists(p)) {
		tg_diag_set(d, "'%s' already holds a signer", dir);
		return TG_E_EXISTS;
	}
	r = tg_fs_mkdir_p(dir, 0700, d);
	if (r == TG_OK)
		r = tg_key_generate(TG_KEY_EC_P256, 0, &rk);
	if (r == TG_OK)
		r = tg_key_generate(TG_KEY_EC_P256, 0, &ik);
	if (r == TG_OK)
		r = tg_key_generate(TG_KEY_EC_P256, 0, &trk);
	if (r == TG_OK)
		r = tg_key_generate(TG_KEY_EC_P256, 0, &tk);
	if (r != TG_OK)
		goto out;
	/* the code-signing CA, shaped like Fulcio's: root, then an intermediate
	 * restricted to code signing */
	snprintf(subj, sizeof(subj), "O=tollgate,CN=%s signing root", name);
	r = make_ca(subj, rk, NULL, rk, 1, 0, from, 3650, &root, d);
	snprintf(subj, sizeof(subj), "O=tollgate,CN=%s signing intermediate", name);
	if (r == TG_OK)
		r = make_ca(subj, ik, root, rk, 0, TG_EKU_CODE_SIGNING, from, 3650, &inter, d);
	/* the timestamp authority: a root and the TSA certificate, whose
	 * extended key usage must be critical timeStamping (RFC 3161 2.3) */
	snprintf(subj, sizeof(subj), "O=tollgate,CN=%s timestamp root", name);
	if (r == TG_OK)
		r = make_ca(subj, trk, NULL, trk, 0, 0, from, 3650, &troot, d);
	if (r == TG_OK) {
		struct tg_x509_tmpl t;
		memset(&t, 0, sizeof(t));
		snprintf(subj, sizeof(subj), "O=tollgate,CN=%s timestamp authority", name);
		t.subject = subj;
		t.not_before = from;
		t.not_after = (struct tg_time){from.sec + 3650LL * 86400, 0};
		t.path_len = -1;
		t.key_usage = TG_KU_DIGITAL_SIGNATURE;
		t.ext_key_usage = TG_EKU_TIME_STAMPING;
		t.eku_critical = true;
		r = tg_x509_build(&t, tk, troot, trk, &tsa, d);
	}
	if (r != TG_OK)
		goto out;
	r = write_cert(dir, "ca-root.pem", root, d);
	if (r == TG_OK)
		r = write_cert(dir, "ca-intermediate.pem", inter, d);
	if (r == TG_OK)
		r = write_key(dir, "ca-intermediate.key", ik, d);
	if (r == TG_OK)
		r = write_cert(dir, "tsa-root.pem", troot, d);
	if (r == TG_OK)
		r = write_cert(dir, "tsa.pem", tsa, d);
	if (r == TG_OK)
		r = write_key(dir, "tsa.key", tk, d);
	if (r != TG_OK)
		goto out;
	/* the root keys signed once and are not kept: no one can mint
	 * another intermediate from this directory */
	r = path_of(dir, "log", logdir, sizeof(logdir));
	if (r == TG_OK)
		r = tg_tlog_create(logdir, name, NULL, &vkey, d);
	if (r == TG_OK)
		r = tg_buf_addf(&meta, "{\"name\":\"%s\",\"created\":%lld}\n", name,
				(long long)now.sec);
	if (r == TG_OK)
		r = tg_fs_write_atomic(p, meta.data, meta.len, 0644, TG_FS_SYNC | TG_FS_EXCL, d);
out:
	tg_key_free(rk);
	tg_key_free(ik);
	tg_key_free(tk);
	tg_key_free(trk);
	tg_x509_free(root);
	tg_x509_free(inter);
	tg_x509_free(troot);
	tg_x509_free(tsa);
	tg_buf_release(&vkey);
	tg_buf_release(&meta);
	return r;
}

void tg_signer_close(struct tg_signer *s)
{
	if (!s)
		return;
	tg_x509_free(s->ca_root);
	tg_x509_free(s->ca_inter);
	tg_x509_free(s->tsa_root);
	tg_x509_free(s->tsa_cert);
	tg_key_free(s->ca_key);
	tg_key_free(s->tsa_key);
	free(s->dir);
	free(s);
}

tg_err tg_signer_open(const char *dir, struct tg_signer **out, struct tg_diag *d)
{
	struct tg_signer *s = tg_xcalloc(1, sizeof(*s));
	struct tg_buf meta = TG_BUF_INIT(4096);
	struct tg_arena a;
	const struct tg_json *m = NULL;
	const char *name;
	size_t nl;
	char p[PATH_MAX];
	tg_err r;

	tg_arena_init(&a, 1 << 20);
	s->dir = tg_xstrdup(dir);
	r = path_of(dir, "signer.json", p, sizeof(p));
	if (r == TG_OK)
		r = tg_fs_read(p, &meta, d);
	if (r == TG_OK)
		r = tg_json_parse(&a, meta.data, meta.len, NULL, &m, NULL, d);
	if (r == TG_OK && (tg_json_get_string(m, "name", &name, &nl) != TG_OK ||
			   nl >= sizeof(s->name) ||
			   tg_json_get_i64(m, "created", &s->created.sec) != TG_OK)) {
		tg_diag_set(d, "malformed signer.json");
		r = TG_E_PARSE;
	}
	if (r != TG_OK) {
		tg_diag_prefix(d, "'%s' is not a signer directory", dir);
		goto out;
	}
	memcpy(s->name, name, nl + 1);
	r = tg_signer_read_cert(dir, "ca-root.pem", &s->ca_root, d);
	if (r == TG_OK)
		r = tg_signer_read_cert(dir, "ca-intermediate.pem", &s->ca_inter, d);
	if (r == TG_OK)
		r = tg_signer_read_key(dir, "ca-intermediate.key", &s->ca_key, d);
	if (r == TG_OK)
		r = tg_signer_read_cert(dir, "tsa-root.pem", &s->tsa_root, d);
	if (r == TG_OK)
		r = tg_signer_read_cert(dir, "tsa.pem", &s->tsa_cert, d);
	if (r == TG_OK)
		r = tg_signer_read_key(dir, "tsa.key", &s->tsa_key, d);
	if (r != TG_OK)
		goto out;
	*out = s;
	s = NULL;
out:
	tg_signer_close(s);
	tg_buf_release(&meta);
	tg_arena_release(&a);
	return r;
}

static const struct tg_json *cert_json(struct tg_jb *b, const struct tg_x509 *c)
{
	struct tg_buf der = TG_BUF_INIT(TG_LIMIT_DER);
	const struct tg_json *v = NULL;
	if (b->r == TG_OK)
		b->r = tg_x509_to_der(c, &der);
	if (b->r == TG_OK)
		v = tg_jb_obj(b, "rawBytes", tg_jb_b64(b, der.data, der.len), NULL);
	tg_buf_release(&der);
	return v;
}

static const struct tg_json *validity_json(struct tg_jb *b, struct tg_time start)
{
	char t[TG_TIME_STR_MAX];
	if (b->r == TG_OK)
		b->r = tg_time_format(start, t, sizeof(t));
	return tg_jb_obj(b, "start", b->r == TG_OK ? tg_jb_str(b, t) : NULL, NULL);
}

/* ---- the trusted root ---- */

tg_err tg_sign_log_key_hash(const struct tg_note_key *k, uint8_t out[32])
{
	struct tg_buf m = TG_BUF_INIT(1024);
	uint8_t raw[32], type = 0x01;
	tg_err r = tg_key_ed25519_raw(k->key, false, raw);
	if (r == TG_OK)
		r = tg_buf_adds(&m, k->name);
	if (r == TG_OK)
		r = tg_buf_addc(&m, '\n');
	if (r == TG_OK)
		r = tg_buf_add(&m, &type, 1);
	if (r == TG_OK)
		r = tg_buf_add(&m, raw, 32);
	if (r == TG_OK)
		r = tg_hash(TG_SHA256, m.data, m.len, out);
	tg_buf_release(&m);
	return r;
}

static tg_err open_log(struct tg_signer *s, unsigned flags, struct tg_tlog **log,
		       struct tg_diag *d)
{
	char p[PATH_MAX];
	tg_err r = path_of(s->dir, "log", p, sizeof(p));
	return r == TG_OK ? tg_tlog_open(p, flags, log, d) : r;
}

tg_err tg_signer_trust_root(struct tg_signer *s, struct tg_buf *out)
{
	struct tg_arena a;
	struct tg_jb b;
	struct tg_tlog *log = NULL;
	struct tg_buf spki = TG_BUF_INIT(4096), url = TG_BUF_INIT(512);
	uint8_t kh[32];
	const struct tg_json *tlog, *ca, *tsa, *root, *chain_items[2];
	tg_err r;

	tg_arena_init(&a, 16 * 1024 * 1024);
	b.a = &a;
	b.r = TG_OK;
	r = open_log(s, TG_TLOG_READ, &log, NULL);
	if (r == TG_OK)
		r = tg_key_to_spki_der(tg_tlog_key(log)->key, &spki);
	if (r == TG_OK)
		r = tg_sign_log_key_hash(tg_tlog_key(log), kh);
	if (r == TG_OK)
		r = tg_buf_addf(&url, "https://%s", s->name);
	if (r != TG_OK)
		goto out;
	tlog = tg_jb_obj(&b, "baseUrl", tg_jb_str(&b, tg_buf_str(&url)), "hashAlgorithm", tg_jb_str(&b, "SHA2_256"),
		    "publicKey",
		    tg_jb_obj(&b, "rawBytes", tg_jb_b64(&b, spki.data, spki.len), "keyDetails",
			 tg_jb_str(&b, "PKIX_ED25519"), "validFor", validity_json(&b, s->created), NULL),
		    "logId", tg_jb_obj(&b, "keyId", tg_jb_b64(&b, kh, 32), NULL), NULL);
	chain_items[0] = cert_json(&b, s->ca_inter);
	chain_items[1] = cert_json(&b, s->ca_root);
	ca = tg_jb_obj(&b, "subject",
		  tg_jb_obj(&b, "organization", tg_jb_str(&b, "tollgate"), "commonName", tg_jb_str(&b, s->name), NULL),
		  "uri", tg_jb_str(&b, tg_buf_str(&url)), "certChain",
		  tg_jb_obj(&b, "certificates", tg_jb_arr(&b, chain_items, 2), NULL), "validFor",
		  validity_json(&b, (struct tg_time){s->created.sec - 120, 0}), NULL);
	chain_items[0] = cert_json(&b, s->tsa_cert);
	chain_items[1] = cert_json(&b, s->tsa_root);
	tsa = tg_jb_obj(&b, "subject",
		   tg_jb_obj(&b, "organization", tg_jb_str(&b, "tollgate"), "commonName", tg_jb_str(&b, s->name), NULL),
		   "uri", tg_jb_str(&b, tg_buf_str(&url)), "certChain",
		   tg_jb_obj(&b, "certificates", tg_jb_arr(&b, chain_items, 2), NULL), "validFor",
		   validity_json(&b, (struct tg_time){s->created.sec - 120, 0}), NULL);
	root = tg_jb_obj(&b, "mediaType", tg_jb_str(&b, "application/vnd.dev.sigstore.trustedroot+json;version=0.1"),
		    "tlogs", tg_jb_arr(&b, &tlog, 1), "certificateAuthorities", tg_jb_arr(&b, &ca, 1),
		    "ctlogs", tg_jb_arr(&b, NULL, 0), "timestampAuthorities", tg_jb_arr(&b, &tsa, 1), NULL);
	r = b.r;
	if (r == TG_OK)
		r = tg_json_emit(out, root, TG_JSON_EMIT_PRETTY);
	if (r == TG_OK)
		r = tg_buf_addc(out, '\n');
out:
	tg_tlog_close(log);
	tg_buf_release(&spki);
	tg_buf_release(&url);
	tg_arena_release(&a);
	return r;
}

/* ---- signing ---- */

/* DER UTF8String for a Fulcio v2 extension value. */
static tg_err der_utf8(const char *s, struct tg_buf *out)
{
	size_t n = strlen(s);
	uint8_t hdr[4];
	size_t hl;
	if (n < 0x80) {
		hdr[0] = 0x0c;
		hdr[1] = (uint8_t)n;
		hl = 2;
	} else if (n < 0x100) {
		hdr[0] = 0x0c;
		hdr[1] = 0x81;
		hdr[2] = (uint8_t)n;
		hl = 3;
	} else if (n < 0x10000) {
		hdr[0] = 0x0c;
		hdr[1] = 0x82;
		hdr[2] = (uint8_t)(n >> 8);
		hdr[3] = (uint8_t)n;
		hl = 4;
	} else {
		return TG_E_TOOBIG;
	}
	tg_err r = tg_buf_add(out, hdr, hl);
	return r == TG_OK ? tg_buf_add(out, s, n) : r;
}

tg_err tg_sign_fulcio_cert(const struct tg_sign_identity *id, const struct tg_key *pub,
			   struct tg_time now, const struct tg_x509 *issuer,
			   const struct tg_key *issuer_key, struct tg_x509 **out, struct tg_diag *d)
{
	struct tg_x509_tmpl t;
	struct tg_x509_ext_tmpl ext[TG_ARRAY_LEN(id->ext) + 2];
	struct tg_buf vals[TG_ARRAY_LEN(id->ext) + 2];
	const char *san[2] = {id->san, NULL};
	size_t i, n = 0;
	tg_err r = TG_OK;

	memset(&t, 0, sizeof(t));
	t.subject = "";
	t.not_before = now;
	t.not_after = (struct tg_time){now.sec + TG_SIGN_CERT_TTL, 0};
	t.path_len = -1;
	t.key_usage = TG_KU_DIGITAL_SIGNATURE;
	t.ext_key_usage = TG_EKU_CODE_SIGNING;
	if (id->san_is_email)
		t.san_email = san;
	else
		t.san_uri = san;
	t.san_critical = true;
	for (i = 0; i < TG_ARRAY_LEN(vals); i++)
		tg_buf_init(&vals[i], 4096);
	/* issuer: the v2 extension (UTF8String); the deprecated v1 .1.1 held
	 * raw bytes, not DER, and clients fall back to it only without .1.8 */
	r = der_utf8(id->issuer, &vals[n]);
	ext[n] = (struct tg_x509_ext_tmpl){"1.3.6.1.4.1.57264.1.8", false, NULL, 0};
	n++;
	for (i = 0; r == TG_OK && i < id->next; i++) {
		r = der_utf8(id->ext[i].value, &vals[n]);
		ext[n] = (struct tg_x509_ext_tmpl){id->ext[i].oid, false, NULL, 0};
		n++;
	}
	for (i = 0; i < n; i++) {
		ext[i].der = vals[i].data;
		ext[i].len = vals[i].len;
	}
	t.ext = ext;
	t.n_ext = n;
	if (r == TG_OK)
		r = tg_x509_build(&t, pub, issuer, issuer_key, out, d);
	for (i = 0; i < TG_ARRAY_LEN(vals); i++)
		tg_buf_release(&vals[i]);
	return r;
}

tg_err tg_signer_sign(struct tg_signer *s, const struct tg_sign_identity *id,
		      const struct tg_sign_input *in, struct tg_time now, struct tg_buf *out,
		      struct tg_diag *d)
{
	struct tg_key *eph = NULL, *pub = NULL;
	struct tg_x509 *leaf = NULL;
	struct tg_tlog *log = NULL;
	struct tg_arena a;
	struct tg_jb b;
	struct tg_buf sig = TG_BUF_INIT(512), pae = TG_BUF_INIT(TG_SIGN_MAX_DOC + 256);
	struct tg_buf ts = TG_BUF_INIT(64 * 1024), body = TG_BUF_INIT(1 << 20),
		      leafder = TG_BUF_INIT(TG_LIMIT_DER);
	struct tg_buf cp = TG_BUF_INIT(TG_NOTE_MAX);
	uint8_t digest[32], kh[32];
	const struct tg_json *verifier, *data, *bodyj, *entry, *hashes[TG_TLOG_MAX_PROOF], *content, *bundle;
	struct tg_tlog_proof proof;
	struct tg_tlog_nodes src;
	uint64_t index = 0;
	size_t i;
	tg_err r;

	tg_arena_init(&a, 64 * 1024 * 1024);
	b.a = &a;
	b.r = TG_OK;
	/* a fresh key for this one signature; proof of possession is the
	 * signature itself, made before the certificate exists */
	r = tg_key_generate(TG_KEY_EC_P256, 0, &eph);
	if (r == TG_OK)
		r = tg_key_public(eph, &pub);
	if (r != TG_OK)
		goto out;
	if (in->payload) {
		r = tg_dsse_pae(in->payload_type, strlen(in->payload_type), in->payload,
				in->payload_len, &pae);
		if (r == TG_OK)
			r = tg_hash(TG_SHA256, pae.data, pae.len, digest);
		if (r == TG_OK)
			r = tg_sign(eph, TG_SIG_ES256, TG_SIG_FORMAT_DER, pae.data, pae.len, &sig);
	} else {
		r = tg_hash(TG_SHA256, in->artifact, in->artifact_len, digest);
		if (r == TG_OK)
			r = tg_sign(eph, TG_SIG_ES256, TG_SIG_FORMAT_DER, in->artifact, in->artifact_len,
				    &sig);
	}
	tg_key_free(eph); /* the private half is gone from here on */
	eph = NULL;
	if (r != TG_OK)
		goto out;
	r = tg_sign_fulcio_cert(id, pub, now, s->ca_inter, s->ca_key, &leaf, d);
	if (r == TG_OK)
		r = tg_x509_to_der(leaf, &leafder);
	if (r != TG_OK)
		goto out;
	/* the timestamp over the signature, within the certificate's life */
	r = tg_tsa_sign(s->tsa_key, s->tsa_cert, (const struct tg_x509 *const *)&s->tsa_root, 1,
			TG_SIGNER_TSA_POLICY, sig.data, sig.len, now, &ts);
	if (r != TG_OK) {
		tg_diag_set(d, "the timestamp authority could not sign");
		goto out;
	}
	/* the log entry, hashedrekord 0.0.2 as Rekor v2 writes it (RFC 8785);
	 * for an envelope the digest is that of the DSSE PAE, as Rekor v2 does */
	verifier = tg_jb_obj(&b, "keyDetails", tg_jb_str(&b, "PKIX_ECDSA_P256_SHA_256"),
			     "x509Certificate",
			     tg_jb_obj(&b, "rawBytes", tg_jb_b64(&b, leafder.data, leafder.len), NULL),
			     NULL);
	data = tg_jb_obj(&b, "algorithm", tg_jb_str(&b, "SHA2_256"), "digest",
			 tg_jb_b64(&b, digest, 32), NULL);
	bodyj = tg_jb_obj(
		&b, "apiVersion", tg_jb_str(&b, "0.0.2"), "kind", tg_jb_str(&b, "hashedrekord"), "spec",
		tg_jb_obj(&b, "hashedRekordV002",
			  tg_jb_obj(&b, "data", data, "signature",
				    tg_jb_obj(&b, "content", tg_jb_b64(&b, sig.data, sig.len),
					      "verifier", verifier, NULL),
				    NULL),
			  NULL),
		NULL);
	r = b.r;
	if (r == TG_OK)
		r = tg_json_canon(&body, bodyj);
	if (r != TG_OK)
		goto out;
	r = open_log(s, TG_TLOG_APPEND, &log, d);
	if (r == TG_OK) {
		const uint8_t *e[1] = {body.data};
		size_t l[1] = {body.len};
		r = tg_tlog_append(log, e, l, 1, &index, d);
	}
	if (r != TG_OK)
		goto out;
	src = tg_tlog_nodes(log);
	r = tg_tlog_prove_inclusion(&src, index, tg_tlog_size(log), &proof);
	if (r == TG_OK)
		r = tg_tlog_checkpoint(log, &cp);
	if (r == TG_OK)
		r = tg_sign_log_key_hash(tg_tlog_key(log), kh);
	if (r != TG_OK)
		goto out;
	for (i = 0; i < proof.n; i++)
		hashes[i] = tg_jb_b64(&b, proof.h[i], 32);
	{
		struct tg_checkpoint c;
		const char *text = (const char *)cp.data;
		const char *sep = strstr(text, "\n\n");
		r = sep ? tg_checkpoint_parse(text, (size_t)(sep - text) + 1, &c, d) : TG_E_PARSE;
		if (r != TG_OK)
			goto out;
		entry = tg_jb_obj(&b, "logIndex", tg_jb_int_str(&b, (int64_t)index), "logId",
			     tg_jb_obj(&b, "keyId", tg_jb_b64(&b, kh, 32), NULL), "kindVersion",
			     tg_jb_obj(&b, "kind", tg_jb_str(&b, "hashedrekord"), "version",
				       tg_jb_str(&b, "0.0.2"), NULL),
			     "inclusionProof",
			     tg_jb_obj(&b, "logIndex", tg_jb_int_str(&b, (int64_t)index), "rootHash",
				  tg_jb_b64(&b, c.root, 32), "treeSize", tg_jb_int_str(&b, (int64_t)c.size),
				  "hashes", tg_jb_arr(&b, hashes, proof.n), "checkpoint",
				  tg_jb_obj(&b, "envelope", tg_jb_strn(&b, text, cp.len), NULL), NULL),
			     "canonicalizedBody", tg_jb_b64(&b, body.data, body.len), NULL);
	}
	if (in->payload) {
		const struct tg_json *one = tg_jb_obj(&b, "sig", tg_jb_b64(&b, sig.data, sig.len), "keyid",
						 tg_jb_str(&b, ""), NULL);
		content = tg_jb_obj(&b, "payload", tg_jb_b64(&b, in->payload, in->payload_len), "payloadType",
			       tg_jb_str(&b, in->payload_type), "signatures", tg_jb_arr(&b, &one, 1), NULL);
	} else {
		content = tg_jb_obj(&b, "messageDigest",
			       tg_jb_obj(&b, "algorithm", tg_jb_str(&b, "SHA2_256"), "digest",
				    tg_jb_b64(&b, digest, 32), NULL),
			       "signature", tg_jb_b64(&b, sig.data, sig.len), NULL);
	}
	{
		const struct tg_json *tsj = tg_jb_obj(&b, "signedTimestamp", tg_jb_b64(&b, ts.data, ts.len), NULL);
		bundle = tg_jb_obj(&b, "mediaType", tg_jb_str(&b, BUNDLE_MEDIA_TYPE), "verificationMaterial",
			      tg_jb_obj(&b, "certificate",
				   tg_jb_obj(&b, "rawBytes", tg_jb_b64(&b, leafder.data, leafder.len), NULL),
				   "tlogEntries", tg_jb_arr(&b, &entry, 1), "timestampVerificationData",
				   tg_jb_obj(&b, "rfc3161Timestamps", tg_jb_arr(&b, &tsj, 1), NULL), NULL),
			      in->payload ? "dsseEnvelope" : "messageSignature", content, NULL);
	}
	r = b.r;
	if (r == TG_OK)
		r = tg_json_emit(out, bundle, 0);
	if (r == TG_OK)
		r = tg_buf_addc(out, '\n');
out:
	tg_tlog_close(log);
	tg_key_free(eph);
	tg_key_free(pub);
	tg_x509_free(leaf);
	tg_buf_release(&sig);
	tg_buf_release(&pae);
	tg_buf_release(&ts);
	tg_buf_release(&body);
	tg_buf_release(&leafder);
	tg_buf_release(&cp);
	tg_arena_release(&a);
	return r;
}
