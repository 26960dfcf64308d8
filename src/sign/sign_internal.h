/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sign_internal.h - helpers shared by the files of src/sign: JSON member
 * decoding, validity windows, Rekor entry checks. Not used outside src/sign.
 */
#ifndef TG_SIGN_INTERNAL_H
#define TG_SIGN_INTERNAL_H

#include <string.h>

#include "core/jb.h"
#include "core/limits.h"
#include "sign/sign.h"

/* True when the n bytes at s equal the NUL-terminated lit. */
static inline bool tg_sign_str_is(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* Parses validFor {start (required), end}. */
tg_err tg_sign_validity_parse(const struct tg_json *vf, struct tg_sign_validity *out,
			      struct tg_diag *d) TG_MUST_CHECK;

/* Decodes protobuf JSON bytes (standard or URL-safe base64, padding
 * optional, line breaks ignored). */
tg_err tg_sign_pb_bytes(const char *s, size_t n, struct tg_buf *out) TG_MUST_CHECK;

/* Appends the decoded bytes of the string member key of o (protobuf JSON
 * bytes). */
tg_err tg_sign_b64_member(const struct tg_json *o, const char *key, struct tg_buf *out,
			  struct tg_diag *d) TG_MUST_CHECK;

/* Verifies a Rekor log entry against the bundle content and the trust
 * root: body binding, SET, inclusion proof and checkpoint. On success
 * *integrated gets the integrated time when the entry carries one that a
 * SET or checkpoint vouches for (0 otherwise), *log the log. */
tg_err tg_sign_verify_tlog_entry(const struct tg_sign_tlog_entry *e,
				 const struct tg_sign_bundle *b, const struct tg_x509 *leaf,
				 const struct tg_key *signer, const struct tg_sign_trustroot *t,
				 int64_t *integrated, const struct tg_sign_log **log,
				 struct tg_diag *d) TG_MUST_CHECK;

/* Verifies an RFC 3161 timestamp (DER TimeStampResp or token) over data
 * against the timestamp authorities of t; *when gets the time. */
tg_err tg_sign_verify_rfc3161(const uint8_t *der, size_t n, const uint8_t *data, size_t len,
			      const struct tg_sign_trustroot *t, struct tg_time *when,
			      struct tg_diag *d) TG_MUST_CHECK;

/* Verifies the embedded SCTs of leaf (issued by issuer) against the CT
 * logs of t; *valid counts SCTs from distinct known logs that verify. */
tg_err tg_sign_verify_scts(const struct tg_x509 *leaf, const struct tg_x509 *issuer,
			   const struct tg_sign_trustroot *t, size_t *valid,
			   struct tg_diag *d) TG_MUST_CHECK;

#endif
