/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sct.c - signed certificate timestamps embedded in Fulcio certificates
 * (RFC 6962 3.2-3.3): the TLS-encoded SCT list is parsed with length
 * checks and each SCT's signature is verified over the precertificate entry.
 */
#include "sign/sign.h"

#include <string.h>

#include "core/cursor.h"
#include "sign/sign_internal.h"

#define OID_SCT_LIST "1.3.6.1.4.1.11129.2.4.2"

/* Reads an uint16-length-prefixed slice. */
static bool vec16(struct tg_cursor *c, const uint8_t **p, size_t *n)
{
	uint16_t l;
	if (tg_cursor_u16be(c, &l) != TG_OK || tg_cursor_bytes(c, l, p) != TG_OK)
		return false;
	*n = l;
	return true;
}

/* Strips the DER OCTET STRING around the extension's TLS payload. */
static bool der_octets(const uint8_t *p, size_t n, const uint8_t **out, size_t *len)
{
	size_t l, off = 2;
	if (n < 2 || p[0] != 0x04)
		return false;
	if (p[1] < 0x80) {
		l = p[1];
	} else if (p[1] == 0x81 && n >= 3) {
		l = p[2];
		off = 3;
	} else if (p[1] == 0x82 && n >= 4) {
		l = (size_t)p[2] << 8 | p[3];
		off = 4;
	} else {
		return false;
	}
	if (l != n - off)
		return false;
	*out = p + off;
	*len = l;
	return true;
}

/* The signed data of RFC 6962 3.2 for a precert entry. */
static tg_err signed_data(uint8_t version, uint64_t ts, const uint8_t issuer_key_hash[32],
			  const struct tg_buf *tbs, const uint8_t *ext, size_t extlen,
			  struct tg_buf *out)
{
	uint8_t hdr[12];
	uint8_t l3[3], l2[2];
	size_t i;
	tg_err r;

	if (tbs->len > 0xffffff || extlen > 0xffff)
		return TG_E_TOOBIG;
	hdr[0] = version;
	hdr[1] = 0; /* signature_type: certificate_timestamp */
	for (i = 0; i < 8; i++)
		hdr[2 + i] = (uint8_t)(ts >> (56 - 8 * i));
	hdr[10] = 0;
	hdr[11] = 1; /* entry_type: precert_entry */
	l3[0] = (uint8_t)(tbs->len >> 16);
	l3[1] = (uint8_t)(tbs->len >> 8);
	l3[2] = (uint8_t)tbs->len;
	l2[0] = (uint8_t)(extlen >> 8);
	l2[1] = (uint8_t)extlen;
	r = tg_buf_add(out, hdr, sizeof(hdr));
	if (r == TG_OK)
		r = tg_buf_add(out, issuer_key_hash, 32);
	if (r == TG_OK)
		r = tg_buf_add(out, l3, 3);
	if (r == TG_OK)
		r = tg_buf_add(out, tbs->data, tbs->len);
	if (r == TG_OK)
		r = tg_buf_add(out, l2, 2);
	if (r == TG_OK && extlen)
		r = tg_buf_add(out, ext, extlen);
	return r;
}

tg_err tg_sign_verify_scts(const struct tg_x509 *leaf, const struct tg_x509 *issuer,
			   const struct tg_sign_trustroot *t, size_t *valid, struct tg_diag *d)
{
	struct tg_buf ext = TG_BUF_INIT(64 * 1024), tbs = TG_BUF_INIT(1 << 20);
	struct tg_buf spki = TG_BUF_INIT(1 << 16), msg = TG_BUF_INIT(1 << 20);
	struct tg_key *ik = NULL;
	uint8_t ikh[32];
	const uint8_t *list, *tls;
	size_t listlen, tlslen;
	bool seen[64] = {false};
	struct tg_cursor c, lc;
	tg_err r;

	*valid = 0;
	r = tg_x509_ext(leaf, OID_SCT_LIST, NULL, &ext);
	if (r == TG_E_NOTFOUND) {
		tg_diag_set(d, "the certificate carries no signed certificate timestamps");
		r = TG_OK; /* none valid */
		goto out;
	}
	if (r != TG_OK)
		goto out;
	r = TG_E_VERIFY;
	if (!der_octets(ext.data, ext.len, &tls, &tlslen)) {
		tg_diag_set(d, "malformed SCT list extension");
		goto out;
	}
	tg_cursor_init(&c, tls, tlslen);
	if (!vec16(&c, &list, &listlen) || !tg_cursor_eof(&c)) {
		tg_diag_set(d, "malformed SCT list");
		goto out;
	}
	if (tg_x509_tbs_without_ext(leaf, OID_SCT_LIST, &tbs) != TG_OK ||
	    tg_x509_public_key(issuer, &ik) != TG_OK || tg_key_to_spki_der(ik, &spki) != TG_OK ||
	    tg_hash(TG_SHA256, spki.data, spki.len, ikh) != TG_OK) {
		tg_diag_set(d, "cannot rebuild the precertificate entry");
		r = TG_E_CRYPTO;
		goto out;
	}
	tg_cursor_init(&lc, list, listlen);
	while (!tg_cursor_eof(&lc)) {
		const uint8_t *sct, *logid, *exts, *sig;
		size_t sctlen, extlen, siglen, i;
		uint8_t version, halg, salg;
		uint64_t ts;
		struct tg_cursor sc;
		const struct tg_sign_log *log = NULL;
		size_t logno = 0;

		if (!vec16(&lc, &sct, &sctlen)) {
			tg_diag_set(d, "malformed SCT list entry");
			goto out;
		}
		tg_cursor_init(&sc, sct, sctlen);
		if (tg_cursor_u8(&sc, &version) != TG_OK || version != 0 ||
		    tg_cursor_bytes(&sc, 32, &logid) != TG_OK || tg_cursor_u64be(&sc, &ts) != TG_OK ||
		    !vec16(&sc, &exts, &extlen) || tg_cursor_u8(&sc, &halg) != TG_OK ||
		    tg_cursor_u8(&sc, &salg) != TG_OK || !vec16(&sc, &sig, &siglen) ||
		    !tg_cursor_eof(&sc)) {
			tg_diag_set(d, "malformed SCT");
			goto out;
		}
		for (i = 0; i < t->nctlogs && !log; i++) {
			if (t->ctlogs[i].log_id_len == 32 && memcmp(t->ctlogs[i].log_id, logid, 32) == 0) {
				log = &t->ctlogs[i];
				logno = i;
			}
		}
		if (!log || logno >= 64 || seen[logno])
			continue; /* SCTs from unknown logs are ignored */
		/* hash 4 = sha256; signature 3 = ecdsa, 1 = rsa (RFC 5246 7.4.1.4.1) */
		if (halg != 4 || (salg != 3 && salg != 1))
			continue;
		tg_buf_reset(&msg);
		r = signed_data(version, ts, ikh, &tbs, exts, extlen, &msg);
		if (r != TG_OK)
			goto out;
		r = tg_verify(log->key, salg == 3 ? tg_key_default_alg(log->key) : TG_SIG_RS256,
			      TG_SIG_FORMAT_DER, msg.data, msg.len, sig, siglen);
		if (r == TG_OK &&
		    tg_sign_validity_contains(&log->valid,
					      (struct tg_time){(int64_t)(ts / 1000),
							       (int32_t)(ts % 1000) * 1000000})) {
			seen[logno] = true;
			(*valid)++;
		}
		r = TG_E_VERIFY;
	}
	if (*valid == 0)
		tg_diag_set(d, "no signed certificate timestamp verifies with a trusted CT log");
	r = TG_OK;
out:
	tg_key_free(ik);
	tg_buf_release(&ext);
	tg_buf_release(&tbs);
	tg_buf_release(&spki);
	tg_buf_release(&msg);
	return r;
}
