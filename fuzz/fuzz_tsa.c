/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_tsa.c - the RFC 3161 fast path against OpenSSL's TS API: an input
 * edits a timestamp made at start-up (flips, inserts, deletes; re-signed
 * when its first bit is set) or, after 0xff, is one; the fast path must
 * never accept what tg_tsa_verify refuses, nor report another time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include "core/buf.h"
#include "core/limits.h"
#include "crypto/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FROM INT64_C(1780000000)
#define DAY INT64_C(86400)

static const uint8_t stamped[] = "the artifact signature";
static struct tg_key *leaf_key;
static struct tg_x509 *chain[2]; /* TSA certificate, root */
static struct tg_tsa_anchor *anchor;
static struct tg_buf good = TG_BUF_INIT(1 << 16);

static struct tg_x509 *cert(const char *subject, const struct tg_key *key,
			    const struct tg_x509 *issuer, const struct tg_key *issuer_key, bool ca)
{
	struct tg_x509_tmpl t;
	struct tg_x509 *x = NULL;
	memset(&t, 0, sizeof(t));
	t.subject = subject;
	t.not_before = (struct tg_time){ca ? FROM - 3650 * DAY : FROM, 0};
	t.not_after = (struct tg_time){FROM + (ca ? 3650 : 1) * DAY, 0};
	t.is_ca = ca;
	t.path_len = ca ? 0 : -1;
	t.key_usage = ca ? TG_KU_KEY_CERT_SIGN : TG_KU_DIGITAL_SIGNATURE;
	t.ext_key_usage = ca ? 0 : TG_EKU_TIME_STAMPING;
	t.eku_critical = !ca;
	if (tg_x509_build(&t, key, issuer, issuer_key, &x, NULL) != TG_OK)
		abort();
	return x;
}

static void setup(void)
{
	struct tg_key *root_key = NULL;
	if (tg_key_generate(TG_KEY_EC_P256, 0, &root_key) != TG_OK ||
	    tg_key_generate(TG_KEY_EC_P256, 0, &leaf_key) != TG_OK)
		abort();
	chain[1] = cert("O=fuzz,CN=tsa root", root_key, NULL, root_key, true);
	chain[0] = cert("O=fuzz,CN=tsa", leaf_key, chain[1], root_key, false);
	if (tg_tsa_anchor_new((const struct tg_x509 *const *)chain, 2, &anchor) != TG_OK ||
	    !tg_tsa_anchor_prepared(anchor) ||
	    tg_tsa_sign(leaf_key, chain[0], (const struct tg_x509 *const *)&chain[1], 1,
			"2.999.7.1", stamped, sizeof(stamped), (struct tg_time){FROM + 100, 0},
			&good) != TG_OK)
		abort();
	tg_key_free(root_key);
}

/* Sets messageDigest to the digest of the TSTInfo as it now is and signs
 * the signed attributes again with the TSA key; false when ts does not
 * decode as a TimeStampResp with one signer. */
static bool resign(struct tg_buf *ts)
{
	const unsigned char *p = ts->data;
	TS_RESP *resp = d2i_TS_RESP(NULL, &p, (long)ts->len);
	PKCS7 *tok = resp ? TS_RESP_get_token(resp) : NULL;
	PKCS7_SIGNER_INFO *si = NULL;
	ASN1_TYPE *md;
	ASN1_OCTET_STRING *os;
	struct tg_buf sig = TG_BUF_INIT(1024);
	unsigned char *abuf = NULL, *der = NULL;
	uint8_t dg[32];
	int alen, len;
	bool ok = false;

	if (!tok || !PKCS7_type_is_signed(tok) || !tok->d.sign ||
	    sk_PKCS7_SIGNER_INFO_num(tok->d.sign->signer_info) != 1 || !tok->d.sign->contents ||
	    OBJ_obj2nid(tok->d.sign->contents->type) != NID_id_smime_ct_TSTInfo ||
	    !tok->d.sign->contents->d.other ||
	    tok->d.sign->contents->d.other->type != V_ASN1_OCTET_STRING)
		goto out;
	si = sk_PKCS7_SIGNER_INFO_value(tok->d.sign->signer_info, 0);
	os = tok->d.sign->contents->d.other->value.octet_string;
	md = PKCS7_get_signed_attribute(si, NID_pkcs9_messageDigest);
	if (md && md->type == V_ASN1_OCTET_STRING &&
	    tg_hash(TG_SHA256, ASN1_STRING_get0_data(os), (size_t)ASN1_STRING_length(os), dg) ==
		    TG_OK &&
	    !ASN1_OCTET_STRING_set(md->value.octet_string, dg, 32))
		goto out;
	alen = ASN1_item_i2d((ASN1_VALUE *)si->auth_attr, &abuf, ASN1_ITEM_rptr(PKCS7_ATTR_SIGN));
	if (alen <= 0 ||
	    tg_sign(leaf_key, TG_SIG_ES256, TG_SIG_FORMAT_DER, abuf, (size_t)alen, &sig) != TG_OK ||
	    !ASN1_STRING_set(si->enc_digest, sig.data, (int)sig.len))
		goto out;
	len = i2d_TS_RESP(resp, &der);
	if (len <= 0)
		goto out;
	tg_buf_reset(ts);
	ok = tg_buf_add(ts, der, (size_t)len) == TG_OK;
out:
	OPENSSL_free(der);
	OPENSSL_free(abuf);
	tg_buf_release(&sig);
	TS_RESP_free(resp);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_buf ts = TG_BUF_INIT(TG_LIMIT_DER);
	struct tg_time w_fast = {0, 0}, w_gen = {0, 0};
	tg_err fast, gen;
	size_t i;

	if (!anchor)
		setup();
	if (size > 0 && data[0] == 0xff) {
		if (tg_buf_add(&ts, data + 1, size - 1) != TG_OK)
			goto out;
	} else {
		if (tg_buf_add(&ts, good.data, good.len) != TG_OK)
			goto out;
		/* after the mode byte, edits of 4 bytes: kind, offset (2), value */
		for (i = 1; i + 4 <= size && ts.len > 0; i += 4) {
			size_t off = ((size_t)data[i + 1] << 8 | data[i + 2]) % ts.len;
			uint8_t v = data[i + 3];
			switch (data[i] % 3) {
			case 0:
				ts.data[off] ^= v ? v : 1;
				break;
			case 1:
				if (tg_buf_addc(&ts, 0) != TG_OK)
					goto out;
				memmove(ts.data + off + 1, ts.data + off, ts.len - 1 - off);
				ts.data[off] = v;
				break;
			default:
				memmove(ts.data + off, ts.data + off + 1, ts.len - off - 1);
				ts.len--;
				break;
			}
		}
		if (size > 0 && (data[0] & 1) && !resign(&ts))
			goto out;
	}
	if (ts.len == 0)
		goto out;
	fast = tg_tsa_anchor_verify(anchor, ts.data, ts.len, stamped, sizeof(stamped),
				    TG_TSA_FAST_ONLY, &w_fast, NULL);
	gen = tg_tsa_verify(ts.data, ts.len, stamped, sizeof(stamped),
			    (const struct tg_x509 *const *)chain, 2, &w_gen, NULL);
	if (fast == TG_OK && (gen != TG_OK || w_fast.sec != w_gen.sec))
		abort(); /* the fast path accepted what the TS API refuses */
out:
	tg_buf_release(&ts);
	return 0;
}
