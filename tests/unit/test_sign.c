/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sign.c - DSSE PAE vectors, protobuf JSON bytes, trusted root and
 * bundle parsing rejects, and tampering of a real bundle from the Sigstore
 * conformance data (every single change must fail verification).
 */
#include "tg_test.h"

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

int main(void)
{
	RUN(dsse_pae);
	RUN(protobuf_bytes);
	RUN(validity_closed_interval);
	RUN(tampering_real_bundle);
	RUN(bundle_rejects);
	return tg_test_done();
}
