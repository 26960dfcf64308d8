/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto_internal.h - the layouts behind the opaque crypto types, shared
 * by the files of src/crypto only. Nothing outside src/crypto includes it.
 */
#ifndef TG_CRYPTO_INTERNAL_H
#define TG_CRYPTO_INTERNAL_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crypto/crypto.h"

/* JWK "use"/"key_ops" outcome: may this key sign/verify? */
#define TG_KEYF_NO_SIG 0x01 /* "use" is not "sig", or key_ops lacks sign/verify */

struct tg_key {
	int refs;                  /* atomic reference count */
	enum tg_key_type type;
	bool is_private;
	unsigned bits;
	EVP_PKEY *pkey;            /* NULL for HMAC */
	struct tg_secret *secret;  /* HMAC key bytes; NULL otherwise */
	char *kid;                 /* JWK kid, or NULL */
	enum tg_sig_alg pinned;    /* JWK alg, or TG_SIG_NONE */
	unsigned flags;            /* TG_KEYF_* */
};

/* Allocates a key with one reference that takes ownership of pkey
 * (may be NULL for HMAC). Type and bits are derived from pkey. Returns
 * TG_E_KEY for unsupported key types or curves. Does not free pkey on
 * error. */
tg_err tg_key_wrap(EVP_PKEY *pkey, bool is_private, struct tg_key **out) TG_MUST_CHECK;

/* Checks the key rules every key must meet (RSA size and exponent,
 * EC point on the curve, ...). TG_E_KEY with the reason in d. */
tg_err tg_key_validate(const struct tg_key *k, struct tg_diag *d) TG_MUST_CHECK;

struct tg_x509 {
	int refs;
	X509 *x;
};

/* The SHA-2 EVP_MD of alg, fetched once per process (an implicit fetch,
 * EVP_sha256() and the like, takes the provider store's lock on every
 * use); NULL for TG_HASH_NONE. Never freed by the caller. */
const EVP_MD *tg_hash_md(enum tg_hash_alg alg);

/* Adds the queue of OpenSSL errors (most recent reason) to d after the
 * message "what". Clears the queue. Returns TG_E_CRYPTO. */
tg_err tg_ossl_err(struct tg_diag *d, const char *what);

#endif
