/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sign.c - DSSE PAE vectors, protobuf JSON bytes, trusted root and
 * bundle parsing rejects, tampering of a real conformance bundle (every
 * change must fail), and the RFC 3161 fast path against OpenSSL's TS API
 * on timestamps altered one check at a time (re-signed where needed).
 */
#include "tg_test.h"

#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include "core/codec.h"
#include "core/fs.h"
#include "core/mem.h"
#include "sign/sign.h"
#include "sign/sign_internal.h"

TEST(dsse_pae)
{
	/* the DSSE specification's example (protocol.md) */
	struct tg_buf b = TG_BUF_INIT(256);
	CHECK_OK(tg_dsse_pae("http://example.com/HelloWorld", 29, (const uint8_t *)"hello world", 11,
			     &b));
	CHECK_STR(tg_buf_str(&b), "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
	tg_buf_reset(&b);
	CHECK_OK(tg_dsse_pae("", 0, (const uint8_t *)"", 0, &b));
	CHECK_STR(tg_buf_str(&b), "DSSEv1 0  0 ");
	tg_buf_release(&b);
}

TEST(protobuf_bytes)
{
	static const struct {
		const char *in;
		const char *want; /* NULL: rejected */
	} cases[] = {
		{"aGVsbG8=", "hello"},   {"aGVsbG8", "hello"},   {"aGVs\nbG8=", "hello"},
		{"-_8=", "\xfb\xff"},    {"+/8=", "\xfb\xff"},   {"aGVsbG8==", NULL},
		{"aGVsbG9", NULL},       {"aG Vs", NULL},        {"a", NULL},
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(cases); i++) {
		struct tg_buf b = TG_BUF_INIT(64);
		tg_err r = tg_sign_pb_bytes(cases[i].in, strlen(cases[i].in), &b);
		if (cases[i].want) {
			CHECK_OK(r);
			CHECK_STR(tg_buf_str(&b), cases[i].want);
		} else {
			CHECK(r != TG_OK);
		}
		tg_buf_release(&b);
	}
}

/* The decoder tg_sign_pb_bytes replaced: line breaks copied out, the
 * padding checked and dropped, then core's strict decoder. */
static tg_err pb_bytes_ref(const char *s, size_t n, struct tg_buf *out)
{
	struct tg_buf clean = TG_BUF_INIT(n + 4);
	bool url = false;
	size_t i, pad = 0;
	tg_err r;
	for (i = 0; i < n; i++) {
		if (s[i] == '\n' || s[i] == '\r')
			continue;
		url |= s[i] == '-' || s[i] == '_';
		if (tg_buf_addc(&clean, (uint8_t)s[i]) != TG_OK) {
			tg_buf_release(&clean);
			return TG_E_TOOBIG;
		}
	}
	while (pad < clean.len && clean.data[clean.len - 1 - pad] == '=')
		pad++;
	if (pad && (pad > 2 || clean.len % 4 != 0 || (clean.len - pad) % 4 == 1 ||
		    pad != (4 - (clean.len - pad) % 4) % 4)) {
		tg_buf_release(&clean);
		return TG_E_ENCODING;
	}
	r = tg_b64_decode(out, (const char *)clean.data, clean.len - pad,
			  url ? TG_B64_URL : TG_B64_STD_NOPAD, NULL);
	tg_buf_release(&clean);
	return r;
}

/* The single-pass decoder against the reference on random strings over
 * both alphabets, padding, line breaks and strays. */
TEST(protobuf_bytes_differential)
{
	static const char alpha[] = "AQgw09azZ+/-_=\n\r .";
	uint64_t x = 0x9e3779b97f4a7c15u;
	char in[48];
	size_t i, k, n, agree = 0, ok = 0;
	for (i = 0; i < 200000; i++) {
		struct tg_buf a = TG_BUF_INIT(64), b = TG_BUF_INIT(64);
		tg_err ra, rb;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		n = (size_t)(x % sizeof(in));
		for (k = 0; k < n; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* mostly digits of one alphabet, so that some strings are valid */
			in[k] = (x >> 8) % 8 ? "AQgw09azZI+/"[(x >> 16) % 12]
					     : alpha[(x >> 16) % (sizeof(alpha) - 1)];
		}
		ra = tg_sign_pb_bytes(in, n, &a);
		rb = pb_bytes_ref(in, n, &b);
		if (ra == rb && a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0) &&
		    (!a.data || a.data[a.len] == '\0'))
			agree++;
		else
			fprintf(stderr, "  differs on '%.*s': %d vs %d\n", (int)n, in, ra, rb);
		ok += ra == TG_OK;
		tg_buf_release(&a);
		tg_buf_release(&b);
	}
	fprintf(stderr, "  %zu strings, %zu decoded\n", i, ok);
	CHECK(agree == i);
	CHECK(ok > 1000); /* the valid ones were exercised too */
}

TEST(validity_closed_interval)
{
	struct tg_sign_validity v = {{100, 0}, {200, 0}, true};
	CHECK(!tg_sign_validity_contains(&v, (struct tg_time){99, 999999999}));
	CHECK(tg_sign_validity_contains(&v, (struct tg_time){100, 0}));
	CHECK(tg_sign_validity_contains(&v, (struct tg_time){200, 0}));
	CHECK(!tg_sign_validity_contains(&v, (struct tg_time){200, 1}));
	v.has_end = false;
	CHECK(tg_sign_validity_contains(&v, (struct tg_time){1LL << 40, 0}));
}

/* Loads the happy-path v0.3 bundle, checks it verifies, then flips one
 * byte at a time in the signature, the certificate and the log entry body,
 * and changes the artifact: each must fail. */
TEST(tampering_real_bundle)
{
	const char *root = tg_test_testdata("sigstore-conformance/trusted_root.public-good.json");
	char dir[4200], path[4300];
	struct tg_buf bb = TG_BUF_INIT(1 << 24), art = TG_BUF_INIT(1 << 20);
	struct tg_sign_trustroot tr;
	struct tg_sign_bundle b;
	struct tg_sign_policy pol;
	struct tg_sign_artifact a;
	struct tg_sign_result res;
	struct tg_diag d;
	size_t i, accepted = 0, tried = 0;

	if (!root)
		return;
	snprintf(dir, sizeof(dir), "%.*s/bundle-verify/happy-path-v0.3",
		 (int)(strlen(root) - strlen("/trusted_root.public-good.json")), root);
	tg_diag_init(&d);
	CHECK_OK(tg_sign_trustroot_load(root, &tr, &d));
	snprintf(path, sizeof(path), "%s/bundle.sigstore.json", dir);
	CHECK_OK(tg_fs_read(path, &bb, &d));
	snprintf(path, sizeof(path), "%s/../a.txt", dir);
	CHECK_OK(tg_fs_read(path, &art, &d));
	CHECK_OK(tg_sign_bundle_parse((const char *)bb.data, bb.len, &b, &d));
	memset(&pol, 0, sizeof(pol));
	pol.identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-"
		       "beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
	pol.issuer = "https://token.actions.githubusercontent.com";
	memset(&a, 0, sizeof(a));
	a.data = art.data;
	a.len = art.len;
	CHECK_OK(tg_sign_verify(&b, &a, &tr, &pol, &res, &d));
	CHECK_STR(res.issuer, pol.issuer);
	CHECK(res.log_index == 79571823);
	/* wrong identity, wrong issuer */
	pol.identity = "https://github.com/someone/else";
	CHECK_ERR(tg_sign_verify(&b, &a, &tr, &pol, &res, &d), TG_E_VERIFY);
	pol.identity = NULL;
	pol.identity_regex = "https://github\\.com/sigstore-conformance/.*";
	CHECK_OK(tg_sign_verify(&b, &a, &tr, &pol, &res, &d));
	pol.identity_regex = "github\\.com/sigstore-conformance/.*"; /* anchored: no match */
	CHECK_ERR(tg_sign_verify(&b, &a, &tr, &pol, &res, &d), TG_E_VERIFY);
	pol.identity_regex = "https://github\\.com/sigstore-conformance/.*";
	pol.issuer = "https://accounts.google.com";
	CHECK_ERR(tg_sign_verify(&b, &a, &tr, &pol, &res, &d), TG_E_VERIFY);
	pol.issuer = "https://token.actions.githubusercontent.com";
	/* the signature, every byte */
	for (i = 0; i < b.signature_len; i++) {
		b.signature[i] ^= 0x01;
		tried++;
		accepted += tg_sign_verify(&b, &a, &tr, &pol, &res, NULL) == TG_OK;
		b.signature[i] ^= 0x01;
	}
	/* the log entry body, every 7th byte */
	for (i = 0; i < b.tlog[0].body_len; i += 7) {
		b.tlog[0].body[i] ^= 0x01;
		tried++;
		accepted += tg_sign_verify(&b, &a, &tr, &pol, &res, NULL) == TG_OK;
		b.tlog[0].body[i] ^= 0x01;
	}
	/* integrated time and log index (covered by the SET) */
	b.tlog[0].integrated_time++;
	tried++;
	accepted += tg_sign_verify(&b, &a, &tr, &pol, &res, NULL) == TG_OK;
	b.tlog[0].integrated_time--;
	b.tlog[0].log_index++;
	tried++;
	accepted += tg_sign_verify(&b, &a, &tr, &pol, &res, NULL) == TG_OK;
	b.tlog[0].log_index--;
	/* the artifact */
	for (i = 0; i < art.len; i++) {
		art.data[i] ^= 0x20;
		tried++;
		accepted += tg_sign_verify(&b, &a, &tr, &pol, &res, NULL) == TG_OK;
		art.data[i] ^= 0x20;
	}
	fprintf(stderr, "  %zu tamperings, %zu accepted\n", tried, accepted);
	CHECK(accepted == 0);
	CHECK_OK(tg_sign_verify(&b, &a, &tr, &pol, &res, &d));
	tg_sign_bundle_release(&b);
	tg_sign_trustroot_release(&tr);
	tg_buf_release(&bb);
	tg_buf_release(&art);
}

TEST(bundle_rejects)
{
	static const char *bad[] = {
		"",
		"{}",
		"{\"mediaType\":\"application/vnd.dev.sigstore.bundle+json;version=0.4\"}",
		"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\"}",
		"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":"
		"{\"publicKey\":{}},\"messageSignature\":{\"signature\":\"AA==\"},\"dsseEnvelope\":{}}",
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(bad); i++) {
		struct tg_sign_bundle b;
		tg_err r = tg_sign_bundle_parse(bad[i], strlen(bad[i]), &b, NULL);
		if (r == TG_OK)
			tg_sign_bundle_release(&b);
		CHECK(r != TG_OK);
	}
}

/* ---- RFC 3161: the prepared chain's fast path against the TS API ---- */

#define TSA_POLICY "2.999.7.1"
#define TSA_FROM INT64_C(1780000000) /* 2026-05-28: the TSA leaf's notBefore */
#define TSA_DAY INT64_C(86400)

struct tsa_fixture {
	struct tg_key *root_key, *leaf_key, *other_key, *rogue_key;
	struct tg_x509 *root, *leaf, *other, *rogue_root, *rogue;
	struct tg_tsa_anchor *anchor;
};

static struct tg_x509 *tsa_cert(const char *subject, const struct tg_key *key,
				const struct tg_x509 *issuer, const struct tg_key *issuer_key,
				bool ca, int64_t from, int64_t days, unsigned eku)
{
	struct tg_x509_tmpl t;
	struct tg_x509 *x = NULL;
	struct tg_diag d;
	memset(&t, 0, sizeof(t));
	tg_diag_init(&d);
	t.subject = subject;
	t.not_before = (struct tg_time){from, 0};
	t.not_after = (struct tg_time){from + days * TSA_DAY, 0};
	t.is_ca = ca;
	t.path_len = ca ? 0 : -1;
	t.key_usage = ca ? TG_KU_KEY_CERT_SIGN | TG_KU_CRL_SIGN : TG_KU_DIGITAL_SIGNATURE;
	t.ext_key_usage = eku;
	t.eku_critical = eku != 0;
	if (tg_x509_build(&t, key, issuer, issuer_key, &x, &d) != TG_OK)
		fprintf(stderr, "tsa_cert '%s': %s\n", subject, d.msg);
	return x;
}

/* A TSA root (valid 10 years before and after), its TSA certificate valid
 * for one day from TSA_FROM, a second TSA certificate under the same root,
 * and a rogue root with its own TSA certificate. */
static bool tsa_fixture_init(struct tsa_fixture *f)
{
	const struct tg_x509 *chain[2];
	memset(f, 0, sizeof(*f));
	if (tg_key_generate(TG_KEY_EC_P256, 0, &f->root_key) != TG_OK ||
	    tg_key_generate(TG_KEY_EC_P256, 0, &f->leaf_key) != TG_OK ||
	    tg_key_generate(TG_KEY_EC_P256, 0, &f->other_key) != TG_OK ||
	    tg_key_generate(TG_KEY_EC_P256, 0, &f->rogue_key) != TG_OK)
		return false;
	f->root = tsa_cert("O=test,CN=tsa root", f->root_key, NULL, f->root_key, true,
			   TSA_FROM - 3650 * TSA_DAY, 7300, 0);
	f->rogue_root = tsa_cert("O=test,CN=tsa root", f->rogue_key, NULL, f->rogue_key, true,
				 TSA_FROM - 3650 * TSA_DAY, 7300, 0);
	if (!f->root || !f->rogue_root)
		return false;
	f->leaf = tsa_cert("O=test,CN=tsa", f->leaf_key, f->root, f->root_key, false, TSA_FROM, 1,
			   TG_EKU_TIME_STAMPING);
	f->other = tsa_cert("O=test,CN=tsa two", f->other_key, f->root, f->root_key, false,
			    TSA_FROM, 1, TG_EKU_TIME_STAMPING);
	f->rogue = tsa_cert("O=test,CN=tsa", f->rogue_key, f->rogue_root, f->rogue_key, false,
			    TSA_FROM, 1, TG_EKU_TIME_STAMPING);
	if (!f->leaf || !f->other || !f->rogue)
		return false;
	chain[0] = f->leaf;
	chain[1] = f->root;
	return tg_tsa_anchor_new(chain, 2, &f->anchor) == TG_OK;
}

static void tsa_fixture_release(struct tsa_fixture *f)
{
	tg_tsa_anchor_free(f->anchor);
	tg_x509_free(f->root);
	tg_x509_free(f->leaf);
	tg_x509_free(f->other);
	tg_x509_free(f->rogue_root);
	tg_x509_free(f->rogue);
	tg_key_free(f->root_key);
	tg_key_free(f->leaf_key);
	tg_key_free(f->other_key);
	tg_key_free(f->rogue_key);
}

static const uint8_t tsa_data[] = "the artifact signature";

/* A TimeStampResp over tsa_data at `at`, signed with key as cert (which
 * embeds itself and issuer). */
static void tsa_stamp(const struct tg_key *key, const struct tg_x509 *cert,
		      const struct tg_x509 *issuer, int64_t at, struct tg_buf *out)
{
	tg_buf_reset(out);
	CHECK_OK(tg_tsa_sign(key, cert, &issuer, 1, TSA_POLICY, tsa_data, sizeof(tsa_data),
			     (struct tg_time){at, 0}, out));
}

/* The three verdicts on one timestamp: the fast path alone, the TS API
 * (tg_tsa_verify), and tg_tsa_anchor_verify, which must equal the TS API's
 * (and give the same time). Returns the fast path's verdict. */
static tg_err tsa_verdicts(const struct tsa_fixture *f, const struct tg_buf *ts,
			   const uint8_t *data, size_t len, tg_err want_general, int line)
{
	const struct tg_x509 *chain[2] = {f->leaf, f->root};
	struct tg_time w_fast = {0, 0}, w_gen = {0, 0}, w_any = {0, 0};
	tg_err fast, gen, any;

	fast = tg_tsa_anchor_verify(f->anchor, ts->data, ts->len, data, len, TG_TSA_FAST_ONLY,
				    &w_fast, NULL);
	gen = tg_tsa_verify(ts->data, ts->len, data, len, chain, 2, &w_gen, NULL);
	any = tg_tsa_anchor_verify(f->anchor, ts->data, ts->len, data, len, 0, &w_any, NULL);
	if (gen != want_general || any != gen || (fast == TG_OK && gen != TG_OK) ||
	    (gen == TG_OK && w_any.sec != w_gen.sec) ||
	    (fast == TG_OK && w_fast.sec != w_gen.sec)) {
		fprintf(stderr, "test_sign.c:%d: fast %s, general %s (want %s), anchor %s\n", line,
			tg_errname(fast), tg_errname(gen), tg_errname(want_general), tg_errname(any));
		tg_test_failures++;
	}
	tg_test_checks++;
	return fast;
}
#define VERDICTS(f, ts, want) tsa_verdicts(f, ts, tsa_data, sizeof(tsa_data), want, __LINE__)

/* Decodes a TimeStampResp, lets edit change its token, re-signs the
 * signed attributes with key (when not NULL), and encodes it back. */
static void tsa_edit(struct tg_buf *ts, const struct tg_key *key,
		     void (*edit)(PKCS7 *tok, PKCS7_SIGNER_INFO *si))
{
	const unsigned char *p = ts->data;
	TS_RESP *resp = d2i_TS_RESP(NULL, &p, (long)ts->len);
	PKCS7 *tok = resp ? TS_RESP_get_token(resp) : NULL;
	PKCS7_SIGNER_INFO *si = tok ? sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(tok), 0) : NULL;
	struct tg_buf sig = TG_BUF_INIT(1024);
	unsigned char *abuf = NULL, *der = NULL;
	int alen, len;

	CHECK(si != NULL);
	if (!si) {
		TS_RESP_free(resp);
		return;
	}
	if (edit)
		edit(tok, si);
	if (key) {
		alen = ASN1_item_i2d((ASN1_VALUE *)si->auth_attr, &abuf,
				     ASN1_ITEM_rptr(PKCS7_ATTR_SIGN));
		CHECK(alen > 0);
		CHECK_OK(tg_sign(key, TG_SIG_ES256, TG_SIG_FORMAT_DER, abuf, (size_t)alen, &sig));
		CHECK(ASN1_STRING_set(si->enc_digest, sig.data, (int)sig.len) == 1);
	}
	len = i2d_TS_RESP(resp, &der);
	CHECK(len > 0);
	tg_buf_reset(ts);
	CHECK_OK(tg_buf_add(ts, der, (size_t)len));
	OPENSSL_free(der);
	OPENSSL_free(abuf);
	tg_buf_release(&sig);
	TS_RESP_free(resp);
}

static ASN1_OCTET_STRING *tst_octets(PKCS7 *tok)
{
	return tok->d.sign->contents->d.other->value.octet_string;
}

/* Sets the messageDigest attribute to the digest of the (edited) TSTInfo. */
static void fix_message_digest(PKCS7 *tok, PKCS7_SIGNER_INFO *si)
{
	uint8_t dg[32];
	ASN1_OCTET_STRING *os = tst_octets(tok);
	CHECK_OK(tg_hash(TG_SHA256, ASN1_STRING_get0_data(os), (size_t)ASN1_STRING_length(os), dg));
	{
		ASN1_TYPE *t = PKCS7_get_signed_attribute(si, NID_pkcs9_messageDigest);
		CHECK(t && t->type == V_ASN1_OCTET_STRING &&
		      ASN1_OCTET_STRING_set(t->value.octet_string, dg, 32) == 1);
	}
}

static void edit_none(PKCS7 *tok, PKCS7_SIGNER_INFO *si)
{
	(void)tok;
	(void)si;
}

static void edit_drop_ess(PKCS7 *tok, PKCS7_SIGNER_INFO *si)
{
	int nids[] = {NID_id_smime_aa_signingCertificate, NID_id_smime_aa_signingCertificateV2};
	size_t i;
	int idx, dropped = 0;
	(void)tok;
	for (i = 0; i < 2; i++)
		while ((idx = X509at_get_attr_by_NID(si->auth_attr, nids[i], -1)) >= 0) {
			X509_ATTRIBUTE_free(X509at_delete_attr(si->auth_attr, idx));
			dropped++;
		}
	CHECK(dropped == 1);
}

/* Flips a byte of the first ESSCertID's hash (after its OCTET STRING
 * header 04 14 or 04 20). */
static void edit_ess_hash(PKCS7 *tok, PKCS7_SIGNER_INFO *si)
{
	ASN1_TYPE *t = PKCS7_get_signed_attribute(si, NID_id_smime_aa_signingCertificate);
	unsigned char *v;
	int i, n;
	(void)tok;
	if (!t)
		t = PKCS7_get_signed_attribute(si, NID_id_smime_aa_signingCertificateV2);
	CHECK(t && t->type == V_ASN1_SEQUENCE);
	if (!t || t->type != V_ASN1_SEQUENCE)
		return;
	v = t->value.sequence->data;
	n = t->value.sequence->length;
	for (i = 0; i + 2 < n; i++)
		if (v[i] == 0x04 && (v[i + 1] == 0x14 || v[i + 1] == 0x20)) {
			v[i + 2] ^= 0x01;
			return;
		}
	CHECK(!"no ESSCertID hash found");
}

static void edit_message_digest(PKCS7 *tok, PKCS7_SIGNER_INFO *si)
{
	ASN1_TYPE *t = PKCS7_get_signed_attribute(si, NID_pkcs9_messageDigest);
	(void)tok;
	CHECK(t && t->type == V_ASN1_OCTET_STRING);
	if (t && t->type == V_ASN1_OCTET_STRING)
		t->value.octet_string->data[0] ^= 0x01;
}

/* A byte of the TSTInfo (its last: the end of genTime or the nonce). */
static void edit_tstinfo_byte(PKCS7 *tok, PKCS7_SIGNER_INFO *si)
{
	ASN1_OCTET_STRING *os = tst_octets(tok);
	(void)si;
	os->data[os->length - 1] ^= 0x01;
}

/* Re-encodes the TSTInfo after fn changed it, with a matching messageDigest. */
static void edit_tstinfo(PKCS7 *tok, PKCS7_SIGNER_INFO *si, void (*fn)(TS_TST_INFO *))
{
	ASN1_OCTET_STRING *os = tst_octets(tok);
	const unsigned char *p = ASN1_STRING_get0_data(os);
	TS_TST_INFO *info = d2i_TS_TST_INFO(NULL, &p, ASN1_STRING_length(os));
	unsigned char *der = NULL;
	int len;
	CHECK(info != NULL);
	if (!info)
		return;
	fn(info);
	len = i2d_TS_TST_INFO(info, &der);
	CHECK(len > 0 && ASN1_OCTET_STRING_set(os, der, len) == 1);
	OPENSSL_free(der);
	TS_TST_INFO_free(info);
	fix_message_digest(tok, si);
}

static void tst_version2(TS_TST_INFO *info)
{
	CHECK(TS_TST_INFO_set_version(info, 2) == 1);
}

static void tst_imprint(TS_TST_INFO *info)
{
	ASN1_OCTET_STRING *m = TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(info));
	m->data[5] ^= 0x40;
}

static void tst_serial(TS_TST_INFO *info)
{
	ASN1_INTEGER *s = ASN1_INTEGER_new();
	CHECK(s && ASN1_INTEGER_set(s, 4242) == 1 && TS_TST_INFO_set_serial(info, s) == 1);
	ASN1_INTEGER_free(s);
}

static void edit_tst_version2(PKCS7 *tok, PKCS7_SIGNER_INFO *si)
{
	edit_tstinfo(tok, si, tst_version2);
}

static void edit_tst_imprint(PKCS7 *tok, PKCS7_SIGNER_INFO *si)
{
	edit_tstinfo(tok, si, tst_imprint);
}

static void edit_tst_serial(PKCS7 *tok, PKCS7_SIGNER_INFO *si)
{
	edit_tstinfo(tok, si, tst_serial);
}

static void edit_signature(PKCS7 *tok, PKCS7_SIGNER_INFO *si)
{
	(void)tok;
	si->enc_digest->data[si->enc_digest->length / 2] ^= 0x01;
}

static X509 *der_x509(const struct tg_x509 *c)
{
	struct tg_buf b = TG_BUF_INIT(1 << 16);
	const unsigned char *p;
	X509 *x = NULL;
	if (tg_x509_to_der(c, &b) == TG_OK) {
		p = b.data;
		x = d2i_X509(NULL, &p, (long)b.len);
	}
	tg_buf_release(&b);
	return x;
}

/* The SignerInfo names another certificate of the same issuer (a serial
 * no certificate has); outside the signed attributes: no re-signing. */
static void edit_sid(PKCS7 *tok, PKCS7_SIGNER_INFO *si)
{
	(void)tok;
	CHECK(ASN1_INTEGER_set(si->issuer_and_serial->serial, 4242) == 1);
}

/* Sets the PKIStatus of a DER TimeStampResp (its first INTEGER: 30 xx xx
 * xx 30 03 02 01 <status>). */
static void set_status(struct tg_buf *ts, uint8_t status)
{
	static const uint8_t info[] = {0x30, 0x03, 0x02, 0x01};
	uint8_t *p = ts->len > 16 ? memmem(ts->data, 16, info, sizeof(info)) : NULL;
	CHECK(p != NULL);
	if (p)
		p[sizeof(info)] = status;
}

static const struct tg_x509 *extra_cert;
static void edit_add_cert(PKCS7 *tok, PKCS7_SIGNER_INFO *si)
{
	X509 *x = der_x509(extra_cert);
	(void)si;
	CHECK(x && PKCS7_add_certificate(tok, x) == 1);
	X509_free(x);
}

TEST(tsa_fast_path)
{
	struct tsa_fixture f;
	struct tg_buf ts = TG_BUF_INIT(1 << 20), bare = TG_BUF_INIT(1 << 20);
	const struct tg_x509 *bad_chain[2];
	struct tg_tsa_anchor *unprepared = NULL;
	struct tg_time when;
	const int64_t at = TSA_FROM + 100;

	if (!tsa_fixture_init(&f)) {
		CHECK(!"TSA fixture");
		tsa_fixture_release(&f);
		return;
	}
	CHECK(tg_tsa_anchor_prepared(f.anchor));

	/* the good timestamp: every path says yes, at its genTime */
	tsa_stamp(f.leaf_key, f.leaf, f.root, at, &ts);
	CHECK_OK(VERDICTS(&f, &ts, TG_OK));
	CHECK_OK(tg_tsa_anchor_verify(f.anchor, ts.data, ts.len, tsa_data, sizeof(tsa_data), 0,
				      &when, NULL));
	CHECK(when.sec == at);
	/* re-signing unchanged attributes keeps it good: the edits below fail
	 * for what they change, not for the re-signing */
	tsa_edit(&ts, f.leaf_key, edit_none);
	CHECK_OK(VERDICTS(&f, &ts, TG_OK));

	/* a bare TimeStampToken (no TimeStampResp around it) */
	{
		const unsigned char *p = ts.data;
		TS_RESP *resp = d2i_TS_RESP(NULL, &p, (long)ts.len);
		unsigned char *der = NULL;
		int len = resp ? i2d_PKCS7(TS_RESP_get_token(resp), &der) : -1;
		CHECK(len > 0);
		if (len > 0)
			CHECK_OK(tg_buf_add(&bare, der, (size_t)len));
		OPENSSL_free(der);
		TS_RESP_free(resp);
		CHECK_OK(VERDICTS(&f, &bare, TG_OK));
	}

	/* wrong imprint: over other data, and a TSTInfo whose imprint changed */
	CHECK(tsa_verdicts(&f, &ts, (const uint8_t *)"other", 5, TG_E_VERIFY, __LINE__) != TG_OK);
	tsa_stamp(f.leaf_key, f.leaf, f.root, at, &ts);
	tsa_edit(&ts, f.leaf_key, edit_tst_imprint);
	CHECK(VERDICTS(&f, &ts, TG_E_VERIFY) != TG_OK);

	/* a tampered TSTInfo: a byte changed (messageDigest no longer
	 * matches); re-encoded with the digest fixed but version 2; another
	 * serial, digest fixed but not re-signed */
	tsa_stamp(f.leaf_key, f.leaf, f.root, at, &ts);
	tsa_edit(&ts, NULL, edit_tstinfo_byte);
	CHECK(VERDICTS(&f, &ts, TG_E_VERIFY) != TG_OK);
	tsa_stamp(f.leaf_key, f.leaf, f.root, at, &ts);
	tsa_edit(&ts, f.leaf_key, edit_tst_version2);
	CHECK(VERDICTS(&f, &ts, TG_E_VERIFY) != TG_OK);
	tsa_stamp(f.leaf_key, f.leaf, f.root, at, &ts);
	tsa_edit(&ts, NULL, edit_tst_serial);
	CHECK(VERDICTS(&f, &ts, TG_E_VERIFY) != TG_OK);
	/* the same serial change re-signed is a good timestamp */
	tsa_stamp(f.leaf_key, f.leaf, f.root, at, &ts);
	tsa_edit(&ts, f.leaf_key, edit_tst_serial);
	CHECK_OK(VERDICTS(&f, &ts, TG_OK));

	/* the ESS signing-certificate attribute: missing, or naming another
	 * certificate (both re-signed) */
	tsa_stamp(f.leaf_key, f.leaf, f.root, at, &ts);
	tsa_edit(&ts, f.leaf_key, edit_drop_ess);
	CHECK(VERDICTS(&f, &ts, TG_E_VERIFY) != TG_OK);
	tsa_stamp(f.leaf_key, f.leaf, f.root, at, &ts);
	tsa_edit(&ts, f.leaf_key, edit_ess_hash);
	CHECK(VERDICTS(&f, &ts, TG_E_VERIFY) != TG_OK);

	/* messageDigest attribute changed (re-signed), signature changed */
	tsa_stamp(f.leaf_key, f.leaf, f.root, at, &ts);
	tsa_edit(&ts, f.leaf_key, edit_message_digest);
	CHECK(VERDICTS(&f, &ts, TG_E_VERIFY) != TG_OK);
	tsa_stamp(f.leaf_key, f.leaf, f.root, at, &ts);
	tsa_edit(&ts, NULL, edit_signature);
	CHECK(VERDICTS(&f, &ts, TG_E_VERIFY) != TG_OK);

	/* wrong signer: a rogue TSA with a look-alike chain is refused; a
	 * second TSA certificate under the trusted root is not the prepared
	 * signer, so the fast path passes it on and the TS API accepts it as
	 * before (it embeds its certificate, which chains to the root) */
	tsa_stamp(f.rogue_key, f.rogue, f.rogue_root, at, &ts);
	CHECK(VERDICTS(&f, &ts, TG_E_VERIFY) != TG_OK);
	tsa_stamp(f.other_key, f.other, f.root, at, &ts);
	CHECK(VERDICTS(&f, &ts, TG_OK) != TG_OK);
	/* the right signer, but re-signed by the rogue key */
	tsa_stamp(f.leaf_key, f.leaf, f.root, at, &ts);
	tsa_edit(&ts, f.rogue_key, edit_none);
	CHECK(VERDICTS(&f, &ts, TG_E_VERIFY) != TG_OK);

	/* the right signature, but the SignerInfo names another certificate:
	 * the TS API finds no signer */
	tsa_stamp(f.leaf_key, f.leaf, f.root, at, &ts);
	tsa_edit(&ts, NULL, edit_sid);
	CHECK(VERDICTS(&f, &ts, TG_E_VERIFY) != TG_OK);

	/* PKIStatus: grantedWithMods (1) counts as granted; rejection (2)
	 * with a token is malformed */
	tsa_stamp(f.leaf_key, f.leaf, f.root, at, &ts);
	set_status(&ts, 1);
	CHECK_OK(VERDICTS(&f, &ts, TG_OK));
	set_status(&ts, 2);
	CHECK(VERDICTS(&f, &ts, TG_E_PARSE) != TG_OK);

	/* an embedded certificate that is not the chain's: outside the fast
	 * path's shape, the TS API decides (and accepts: it is unsigned data) */
	tsa_stamp(f.leaf_key, f.leaf, f.root, at, &ts);
	extra_cert = f.other;
	tsa_edit(&ts, NULL, edit_add_cert);
	CHECK(VERDICTS(&f, &ts, TG_OK) != TG_OK);

	/* genTime against the TSA certificate's validity (notBefore <= t <
	 * notAfter, as X509_verify_cert): the day's edges */
	tsa_stamp(f.leaf_key, f.leaf, f.root, TSA_FROM, &ts);
	CHECK_OK(VERDICTS(&f, &ts, TG_OK));
	tsa_stamp(f.leaf_key, f.leaf, f.root, TSA_FROM - 1, &ts);
	CHECK(VERDICTS(&f, &ts, TG_E_VERIFY) != TG_OK);
	tsa_stamp(f.leaf_key, f.leaf, f.root, TSA_FROM + TSA_DAY - 1, &ts);
	CHECK_OK(VERDICTS(&f, &ts, TG_OK));
	tsa_stamp(f.leaf_key, f.leaf, f.root, TSA_FROM + TSA_DAY, &ts);
	CHECK(VERDICTS(&f, &ts, TG_E_VERIFY) != TG_OK);

	/* malformed input: truncated, garbage, empty */
	tsa_stamp(f.leaf_key, f.leaf, f.root, at, &ts);
	ts.len -= 1;
	CHECK(VERDICTS(&f, &ts, TG_E_PARSE) != TG_OK);
	{
		static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x00, 0x30, 0x00};
		tg_buf_reset(&ts);
		CHECK_OK(tg_buf_add(&ts, junk, sizeof(junk)));
		CHECK(VERDICTS(&f, &ts, TG_E_PARSE) != TG_OK);
	}

	/* a chain that does not validate (its first certificate is a CA
	 * without timeStamping, not issued by the root) is not prepared: all
	 * its timestamps get the TS API's verdict (which accepts the good
	 * timestamp, whose embedded signer chains to the root) */
	bad_chain[0] = f.rogue_root;
	bad_chain[1] = f.root;
	CHECK_OK(tg_tsa_anchor_new(bad_chain, 2, &unprepared));
	CHECK(!tg_tsa_anchor_prepared(unprepared));
	tsa_stamp(f.leaf_key, f.leaf, f.root, at, &ts);
	CHECK_ERR(tg_tsa_anchor_verify(unprepared, ts.data, ts.len, tsa_data, sizeof(tsa_data),
				       TG_TSA_FAST_ONLY, &when, NULL),
		  TG_E_VERIFY);
	CHECK_OK(tg_tsa_anchor_verify(unprepared, ts.data, ts.len, tsa_data, sizeof(tsa_data), 0,
				      &when, NULL));
	CHECK_OK(tg_tsa_verify(ts.data, ts.len, tsa_data, sizeof(tsa_data), bad_chain, 2, &when,
			       NULL));
	tsa_stamp(f.rogue_key, f.rogue, f.rogue_root, at, &ts);
	CHECK(tg_tsa_anchor_verify(unprepared, ts.data, ts.len, tsa_data, sizeof(tsa_data), 0,
				   &when, NULL) != TG_OK);
	CHECK(tg_tsa_verify(ts.data, ts.len, tsa_data, sizeof(tsa_data), bad_chain, 2, &when,
			    NULL) != TG_OK);
	CHECK_ERR(tg_tsa_anchor_new(bad_chain, 0, &unprepared), TG_E_INVAL);
	tg_tsa_anchor_free(unprepared);

	tg_buf_release(&ts);
	tg_buf_release(&bare);
	tsa_fixture_release(&f);
}

TEST(identity_regex_compiled)
{
	struct tg_sign_regex *re = NULL;
	struct tg_diag d;
	tg_diag_init(&d);
	CHECK_ERR(tg_sign_regex_compile("a(b", &re, &d), TG_E_INVAL);
	CHECK(re == NULL && d.msg[0] != '\0');
	CHECK_OK(tg_sign_regex_compile("https://github\\.com/acme/.*", &re, &d));
	tg_sign_regex_free(re);
	tg_sign_regex_free(NULL);
}

int main(void)
{
	RUN(dsse_pae);
	RUN(protobuf_bytes);
	RUN(protobuf_bytes_differential);
	RUN(validity_closed_interval);
	RUN(tampering_real_bundle);
	RUN(bundle_rejects);
	RUN(tsa_fast_path);
	RUN(identity_regex_compiled);
	return tg_test_done();
}
