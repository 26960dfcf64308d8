/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto.h - tollgate's only door to cryptography: thin, typed wrappers over
 * OpenSSL 3 EVP. The key decides the algorithm (a message never does), and
 * every verifier returns TG_OK only for a valid signature.
 */
#ifndef TG_CRYPTO_CRYPTO_H
#define TG_CRYPTO_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "core/secret.h"
#include "core/time.h"

/* ------------------------------------------------------------------ */
/* Hashes                                                              */
/* ------------------------------------------------------------------ */

enum tg_hash_alg {
	TG_HASH_NONE = 0,
	TG_SHA256 = 1,
	TG_SHA384 = 2,
	TG_SHA512 = 3,
};

#define TG_HASH_MAX 64 /* bytes of the longest digest */

/* Digest length in bytes (32, 48, 64), 0 for TG_HASH_NONE. */
size_t tg_hash_len(enum tg_hash_alg alg);
/* "sha256", "sha384", "sha512". */
const char *tg_hash_name(enum tg_hash_alg alg);
/* Parses "sha256"/"sha384"/"sha512" (also "SHA-256" etc.). */
tg_err tg_hash_from_name(const char *s, enum tg_hash_alg *out) TG_MUST_CHECK;

/* One-shot digest of n bytes into out (tg_hash_len(alg) bytes). */
tg_err tg_hash(enum tg_hash_alg alg, const void *p, size_t n, uint8_t *out) TG_MUST_CHECK;

/* Streaming digest. tg_hash_new aborts only on allocation failure. */
struct tg_hash_ctx;
tg_err tg_hash_new(enum tg_hash_alg alg, struct tg_hash_ctx **out) TG_MUST_CHECK;
tg_err tg_hash_update(struct tg_hash_ctx *c, const void *p, size_t n) TG_MUST_CHECK;
/* Writes the digest and resets nothing: the context is done after this. */
tg_err tg_hash_final(struct tg_hash_ctx *c, uint8_t *out) TG_MUST_CHECK;
void tg_hash_free(struct tg_hash_ctx *c);

/* Digest of everything readable from fd / the file at path, at memory
 * speed (large reads, sequential read-ahead). TG_E_IO with a message. */
tg_err tg_hash_fd(enum tg_hash_alg alg, int fd, uint8_t *out, struct tg_diag *d) TG_MUST_CHECK;
tg_err tg_hash_file(enum tg_hash_alg alg, const char *path, uint8_t *out,
		    struct tg_diag *d) TG_MUST_CHECK;

/* HMAC of n bytes under key (any length); writes tg_hash_len(alg) bytes. */
tg_err tg_hmac(enum tg_hash_alg alg, const void *key, size_t keylen, const void *p, size_t n,
	       uint8_t *out) TG_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* Randomness, KDF, AEAD                                               */
/* ------------------------------------------------------------------ */

/* Fills p with n bytes from OpenSSL's CSPRNG; TG_E_CRYPTO if it fails. */
tg_err tg_rand_bytes(void *p, size_t n) TG_MUST_CHECK;

/* RFC 5869 HKDF (extract and expand). outlen <= 255 * tg_hash_len(alg),
 * else TG_E_RANGE. salt may be NULL/0 (a string of zeros, as the RFC says). */
tg_err tg_hkdf(enum tg_hash_alg alg, const void *salt, size_t saltlen, const void *ikm,
	       size_t ikmlen, const void *info, size_t infolen, uint8_t *out,
	       size_t outlen) TG_MUST_CHECK;

#define TG_AEAD_KEY_LEN 32   /* AES-256-GCM key */
#define TG_AEAD_NONCE_LEN 12 /* the recommended GCM nonce */
#define TG_AEAD_TAG_LEN 16

/*
 * AES-GCM (NIST SP 800-38D). keylen 16, 24 or 32 (tollgate itself uses 32:
 * AES-256-GCM); noncelen >= 1 (12 recommended; a zero-length IV is rejected
 * with TG_E_INVAL); the tag is 16 bytes and follows the ciphertext.
 * seal appends ciphertext||tag to out; open appends the plaintext only
 * when the tag verifies (TG_E_VERIFY otherwise, out unchanged).
 */
tg_err tg_aead_seal(const uint8_t *key, size_t keylen, const uint8_t *nonce, size_t noncelen,
		    const void *aad, size_t aadlen, const void *pt, size_t ptlen,
		    struct tg_buf *out) TG_MUST_CHECK;
tg_err tg_aead_open(const uint8_t *key, size_t keylen, const uint8_t *nonce, size_t noncelen,
		    const void *aad, size_t aadlen, const void *ct_tag, size_t len,
		    struct tg_buf *out) TG_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* Keys                                                                */
/* ------------------------------------------------------------------ */

enum tg_key_type {
	TG_KEY_NONE = 0,
	TG_KEY_ED25519 = 1,
	TG_KEY_EC_P256 = 2,
	TG_KEY_EC_P384 = 3,
	TG_KEY_EC_P521 = 4, /* verification of others' ES512 tokens */
	TG_KEY_RSA = 5,     /* 2048..4096 bits */
	TG_KEY_HMAC = 6,    /* JWK "oct": symmetric, only from a JWK */
};

/* An asymmetric or symmetric key, with optional JWK metadata (kid, the
 * algorithm the key is pinned to, its intended use). Reference counted:
 * tg_key_ref adds a reference, tg_key_free drops one. Immutable after
 * creation, so it may be shared between threads. */
struct tg_key;

struct tg_key *tg_key_ref(struct tg_key *k);
void tg_key_free(struct tg_key *k);

enum tg_key_type tg_key_type(const struct tg_key *k);
bool tg_key_is_private(const struct tg_key *k);
/* Modulus bits for RSA, curve bits for EC, 256 for Ed25519, key bytes * 8
 * for HMAC. */
unsigned tg_key_bits(const struct tg_key *k);
/* The JWK "kid", or NULL. */
const char *tg_key_kid(const struct tg_key *k);

/* "ed25519", "ecdsa-p256", "ecdsa-p384", "ecdsa-p521", "rsa", "hmac". */
const char *tg_key_type_name(enum tg_key_type t);
/* Parses the CLI names: ed25519, ecdsa-p256, ecdsa-p384, rsa-2048,
 * rsa-3072, rsa-4096. *bits is set for RSA (0 otherwise). */
tg_err tg_key_type_from_name(const char *s, enum tg_key_type *t, unsigned *bits) TG_MUST_CHECK;

/* Generates a private key. bits: RSA only (2048..4096, 0 = 3072). */
tg_err tg_key_generate(enum tg_key_type t, unsigned bits, struct tg_key **out) TG_MUST_CHECK;

/*
 * Reads the first key of a PEM text: "PRIVATE KEY" (PKCS#8, unencrypted),
 * "PUBLIC KEY" (SPKI), "EC PRIVATE KEY" (SEC1), "RSA PRIVATE KEY" and
 * "RSA PUBLIC KEY" (PKCS#1). Rejects unsupported curves, RSA outside
 * 2048..4096 bits or with a weak exponent, and invalid EC points.
 */
tg_err tg_key_from_pem(const char *pem, size_t n, struct tg_key **out,
		       struct tg_diag *d) TG_MUST_CHECK;
/* Reads DER: PKCS#8 PrivateKeyInfo when is_private, else SPKI. */
tg_err tg_key_from_der(const uint8_t *der, size_t n, bool is_private, struct tg_key **out,
		       struct tg_diag *d) TG_MUST_CHECK;
/* Reads a PEM key file (at most TG_LIMIT_SMALL_FILE bytes). */
tg_err tg_key_load_file(const char *path, struct tg_key **out, struct tg_diag *d) TG_MUST_CHECK;

/* Appends PEM: PKCS#8 "PRIVATE KEY" when private_part (the key must be
 * private), SPKI "PUBLIC KEY" otherwise. HMAC keys have no PEM form. */
tg_err tg_key_to_pem(const struct tg_key *k, bool private_part, struct tg_buf *out) TG_MUST_CHECK;
/* Appends the DER SubjectPublicKeyInfo. */
tg_err tg_key_to_spki_der(const struct tg_key *k, struct tg_buf *out) TG_MUST_CHECK;
/* Writes the private key as PKCS#8 PEM to a new file with mode 0600
 * (O_EXCL: TG_E_EXISTS when the path exists), fsync'd. */
tg_err tg_key_save_private(const struct tg_key *k, const char *path,
			   struct tg_diag *d) TG_MUST_CHECK;
/* A new key holding only the public half (metadata kept). */
tg_err tg_key_public(const struct tg_key *k, struct tg_key **out) TG_MUST_CHECK;

/* Ed25519 keys from and to their RFC 8032 raw encodings: the 32-byte
 * public key, or the 32-byte private seed. The seed written by
 * tg_key_ed25519_raw is a secret: the caller wipes it (tg_wipe). */
tg_err tg_key_from_ed25519_raw(const uint8_t raw[32], bool is_private,
			       struct tg_key **out) TG_MUST_CHECK;
tg_err tg_key_ed25519_raw(const struct tg_key *k, bool private_part,
			  uint8_t out[32]) TG_MUST_CHECK;

/* True when both keys have the same public part (constant-time for HMAC). */
bool tg_key_equal_public(const struct tg_key *a, const struct tg_key *b);

/* ---- JWK (RFC 7517, 7518 6, 8037) ---- */

#define TG_JWK_ALLOW_PRIVATE 0x01 /* accept private members (d, p, q, ...) */
#define TG_JWK_ALLOW_HMAC 0x02    /* accept "oct" keys */

/*
 * Builds a key from a JWK object. Checks kty/crv/alg/use/key_ops
 * consistency: "use" other than "sig" and "key_ops" without "verify" or
 * "sign" make a key unusable for signatures (TG_E_KEY); "alg" pins the
 * one JWS algorithm the key accepts. Rejects invalid points, RSA moduli
 * outside 2048..4096 bits, e = 1 or even, ROCA-vulnerable moduli, HMAC
 * keys shorter than their hash or empty.
 */
tg_err tg_key_from_jwk(const struct tg_json *jwk, unsigned flags, struct tg_key **out,
		       struct tg_diag *d) TG_MUST_CHECK;

/* Builds the JWK object of a key in a (public members only unless
 * private_part). kid and alg are included when set. */
tg_err tg_key_to_jwk(const struct tg_key *k, bool private_part, struct tg_arena *a,
		     const struct tg_json **out) TG_MUST_CHECK;

/* RFC 7638 JWK thumbprint (SHA-256 over the required members). */
tg_err tg_key_thumbprint(const struct tg_key *k, uint8_t out[32]) TG_MUST_CHECK;

/* Returns a new reference to k with kid replaced (k itself is unchanged). */
tg_err tg_key_with_kid(const struct tg_key *k, const char *kid, struct tg_key **out) TG_MUST_CHECK;

/* A JWK Set: keys in document order. */
struct tg_jwks {
	struct tg_key **keys;
	size_t count;
};

/*
 * Parses {"keys":[...]}. Rejects (TG_E_KEY, with the index in d) sets that
 * mix symmetric and asymmetric keys or repeat a kid, more than
 * TG_LIMIT_JWKS_KEYS keys, and any key tg_key_from_jwk rejects, except that
 * keys of unknown kty are skipped (RFC 7517 5) when skip_unknown is set.
 */
tg_err tg_jwks_parse(const struct tg_json *set, unsigned flags, bool skip_unknown,
		     struct tg_jwks *out, struct tg_diag *d) TG_MUST_CHECK;
void tg_jwks_release(struct tg_jwks *s);
/* Builds {"keys":[...]} of public JWKs. */
tg_err tg_jwks_to_json(const struct tg_key *const *keys, size_t n, struct tg_arena *a,
		       const struct tg_json **out) TG_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* Signatures                                                          */
/* ------------------------------------------------------------------ */

enum tg_sig_alg {
	TG_SIG_NONE = 0, /* never signs, never verifies */
	TG_SIG_EDDSA,    /* Ed25519 (RFC 8032 pure) */
	TG_SIG_ES256,    /* ECDSA P-256 + SHA-256 */
	TG_SIG_ES384,    /* ECDSA P-384 + SHA-384 */
	TG_SIG_ES512,    /* ECDSA P-521 + SHA-512 */
	TG_SIG_RS256,    /* RSASSA-PKCS1-v1_5 */
	TG_SIG_RS384,
	TG_SIG_RS512,
	TG_SIG_PS256,    /* RSASSA-PSS, MGF1 with the same hash, salt = hash length */
	TG_SIG_PS384,
	TG_SIG_PS512,
	TG_SIG_HS256,    /* HMAC (JWS only) */
	TG_SIG_HS384,
	TG_SIG_HS512,
};

/* JOSE name ("ES256", "EdDSA", ...), "none" for TG_SIG_NONE. */
const char *tg_sig_alg_name(enum tg_sig_alg a);
/* Parses a JOSE name (exact, case-sensitive); TG_E_ALG for unknown names
 * and for "none". */
tg_err tg_sig_alg_from_name(const char *s, size_t n, enum tg_sig_alg *out) TG_MUST_CHECK;
/* The hash an algorithm uses (SHA-512 for EdDSA, as Ed25519 does inside). */
enum tg_hash_alg tg_sig_alg_hash(enum tg_sig_alg a);

/* The algorithm tollgate signs with by default for this key: EdDSA,
 * ES256/ES384/ES512 by curve, PS256 for RSA, HS256 for HMAC, or the
 * key's pinned algorithm. */
enum tg_sig_alg tg_key_default_alg(const struct tg_key *k);

/* TG_OK when the key may be used with alg: the algorithm family must match
 * the key type (and curve), a pinned algorithm must match exactly, the key
 * must be usable for signatures. TG_E_ALG otherwise. This is the check
 * that makes algorithm confusion impossible. */
tg_err tg_key_check_alg(const struct tg_key *k, enum tg_sig_alg alg) TG_MUST_CHECK;

enum tg_sig_format {
	TG_SIG_FORMAT_DER = 0, /* ECDSA: X9.62 DER SEQUENCE{r,s} (X.509, Sigstore) */
	TG_SIG_FORMAT_RAW = 1, /* ECDSA: fixed-size r||s (JOSE, P1363) */
};

/* Signs n bytes of msg; appends the signature to sig. The key must be
 * private and pass tg_key_check_alg. fmt matters only for ECDSA. */
tg_err tg_sign(const struct tg_key *k, enum tg_sig_alg alg, enum tg_sig_format fmt,
	       const void *msg, size_t n, struct tg_buf *sig) TG_MUST_CHECK;

/* Verifies sig over msg. TG_OK only for a valid signature; TG_E_VERIFY for
 * an invalid one (including any malformed or non-canonical encoding);
 * TG_E_ALG when alg does not fit the key. */
tg_err tg_verify(const struct tg_key *k, enum tg_sig_alg alg, enum tg_sig_format fmt,
		 const void *msg, size_t n, const void *sig, size_t siglen) TG_MUST_CHECK;

/* The same over a precomputed digest of the algorithm's hash (not for
 * EdDSA or HMAC: TG_E_ALG). */
tg_err tg_sign_digest(const struct tg_key *k, enum tg_sig_alg alg, enum tg_sig_format fmt,
		      const uint8_t *digest, size_t dlen, struct tg_buf *sig) TG_MUST_CHECK;
tg_err tg_verify_digest(const struct tg_key *k, enum tg_sig_alg alg, enum tg_sig_format fmt,
			const uint8_t *digest, size_t dlen, const void *sig,
			size_t siglen) TG_MUST_CHECK;

/* Converts an ECDSA signature between DER and r||s for a curve of
 * field_bytes (32, 48, 66). TG_E_VERIFY for malformed or non-minimal DER. */
tg_err tg_ecdsa_der_to_raw(const uint8_t *der, size_t n, size_t field_bytes,
			   struct tg_buf *out) TG_MUST_CHECK;
tg_err tg_ecdsa_raw_to_der(const uint8_t *raw, size_t n, struct tg_buf *out) TG_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* JWS (RFC 7515 compact serialisation) and JWT (RFC 7519)             */
/* ------------------------------------------------------------------ */

/* A verified JWS: header and payload belong to the arena passed in. */
struct tg_jws {
	const struct tg_json *header; /* the protected header object */
	const uint8_t *payload;       /* decoded payload bytes */
	size_t payload_len;
	enum tg_sig_alg alg;          /* the algorithm that verified */
	const struct tg_key *key;     /* the key that verified (borrowed) */
};

/*
 * Signs payload with k in compact form "h.p.s" appended to out. The header
 * is {"alg":...,"kid":...(when the key has one),"typ":typ (when not NULL)}
 * plus the members of extra (an object, may be NULL). alg 0 means
 * tg_key_default_alg(k).
 */
tg_err tg_jws_sign(const struct tg_key *k, enum tg_sig_alg alg, const char *typ,
		   const struct tg_json *extra, const void *payload, size_t n,
		   struct tg_buf *out) TG_MUST_CHECK;

/*
 * Verifies a compact JWS against candidate keys. Strict: exactly three
 * parts, base64url without padding or stray characters, a header that is a
 * JSON object without duplicate members, a known "alg" that is not "none"
 * and that the chosen key allows (tg_key_check_alg), no "crit" (unsupported
 * extensions must fail), no "b64":false. When the header has a "kid", only
 * keys with that kid are tried; otherwise each key whose type fits alg.
 * Header "jwk"/"jku"/"x5u"/"x5c" are never used to find a key.
 * Returns TG_OK and fills out; TG_E_VERIFY (bad signature, no key) or
 * TG_E_PARSE / TG_E_ALG with a reason in d.
 */
tg_err tg_jws_verify(const char *jws, size_t n, const struct tg_key *const *keys,
		     size_t nkeys, struct tg_arena *a, struct tg_jws *out,
		     struct tg_diag *d) TG_MUST_CHECK;

/* Claim checks for tg_jwt_verify. Zero/NULL fields are not checked, except
 * that exp is always required unless allow_no_exp. */
struct tg_jwt_check {
	struct tg_time now;   /* the time to check against (explicit) */
	int64_t skew;         /* seconds allowed on exp/nbf/iat, <= TG_LIMIT_JWT_SKEW_MAX */
	const char *iss;      /* required issuer (exact match) */
	const char *aud;      /* required audience: the aud string, or one of the aud array */
	int64_t max_age;      /* iat must be no older than this many seconds */
	bool require_iat;
	bool allow_no_exp;
	const char *typ;      /* required header typ (case-insensitive, "JWT" == "jwt") */
};

/*
 * Verifies a JWT (a JWS whose payload is a JSON object of claims) and its
 * registered claims: exp (now < exp + skew), nbf (now >= nbf - skew), iat
 * (not in the future beyond skew, not older than max_age), iss, aud.
 * Numeric dates must be JSON numbers. *claims gets the claims object.
 * TG_E_EXPIRED, TG_E_NOTYET, TG_E_CLAIM (iss/aud/typ/iat/format) with the
 * reason in d, or any error of tg_jws_verify.
 */
tg_err tg_jwt_verify(const char *jwt, size_t n, const struct tg_key *const *keys, size_t nkeys,
		     const struct tg_jwt_check *chk, struct tg_arena *a,
		     const struct tg_json **claims, struct tg_jws *jws,
		     struct tg_diag *d) TG_MUST_CHECK;

/* Signs a claims object as a JWT (header typ "JWT"). */
tg_err tg_jwt_sign(const struct tg_key *k, enum tg_sig_alg alg, const struct tg_json *claims,
		   struct tg_buf *out) TG_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* X.509 (RFC 5280)                                                    */
/* ------------------------------------------------------------------ */

struct tg_x509; /* an immutable certificate, reference counted */

struct tg_x509 *tg_x509_ref(struct tg_x509 *c);
void tg_x509_free(struct tg_x509 *c);

/* Parses one DER certificate (strict: the whole input, no trailing bytes). */
tg_err tg_x509_from_der(const uint8_t *der, size_t n, struct tg_x509 **out,
			struct tg_diag *d) TG_MUST_CHECK;

/* A list of certificates in order. */
struct tg_x509_list {
	struct tg_x509 **certs;
	size_t count;
};
void tg_x509_list_release(struct tg_x509_list *l);

/* Parses every "CERTIFICATE" block of a PEM text (other blocks: error). */
tg_err tg_x509_list_from_pem(const char *pem, size_t n, struct tg_x509_list *out,
			     struct tg_diag *d) TG_MUST_CHECK;

tg_err tg_x509_to_der(const struct tg_x509 *c, struct tg_buf *out) TG_MUST_CHECK;
tg_err tg_x509_to_pem(const struct tg_x509 *c, struct tg_buf *out) TG_MUST_CHECK;

/* Field access. Strings are appended to out. */
tg_err tg_x509_serial_hex(const struct tg_x509 *c, struct tg_buf *out) TG_MUST_CHECK;
tg_err tg_x509_subject(const struct tg_x509 *c, struct tg_buf *out) TG_MUST_CHECK; /* RFC 4514 */
tg_err tg_x509_issuer(const struct tg_x509 *c, struct tg_buf *out) TG_MUST_CHECK;
tg_err tg_x509_validity(const struct tg_x509 *c, struct tg_time *not_before,
			struct tg_time *not_after) TG_MUST_CHECK;
/* The subject public key (a new reference the caller frees). */
tg_err tg_x509_public_key(const struct tg_x509 *c, struct tg_key **out) TG_MUST_CHECK;

/* RFC 5280 4.2.1.9 */
struct tg_x509_basic {
	bool present, critical, ca;
	int path_len; /* -1 when absent */
};
tg_err tg_x509_basic_constraints(const struct tg_x509 *c, struct tg_x509_basic *out) TG_MUST_CHECK;

/* RFC 5280 4.2.1.3 key usage bits */
#define TG_KU_DIGITAL_SIGNATURE 0x001
#define TG_KU_NON_REPUDIATION 0x002
#define TG_KU_KEY_ENCIPHERMENT 0x004
#define TG_KU_DATA_ENCIPHERMENT 0x008
#define TG_KU_KEY_AGREEMENT 0x010
#define TG_KU_KEY_CERT_SIGN 0x020
#define TG_KU_CRL_SIGN 0x040
#define TG_KU_ENCIPHER_ONLY 0x080
#define TG_KU_DECIPHER_ONLY 0x100
tg_err tg_x509_key_usage(const struct tg_x509 *c, bool *present, bool *critical,
			 unsigned *bits) TG_MUST_CHECK;

/* Extended key usage, as bit flags for the ones tollgate knows and the
 * dotted OIDs of all (appended, one per line) when oids is not NULL. */
#define TG_EKU_SERVER_AUTH 0x01
#define TG_EKU_CLIENT_AUTH 0x02
#define TG_EKU_CODE_SIGNING 0x04
#define TG_EKU_EMAIL_PROTECTION 0x08
#define TG_EKU_TIME_STAMPING 0x10
#define TG_EKU_OCSP_SIGNING 0x20
tg_err tg_x509_ext_key_usage(const struct tg_x509 *c, bool *present, bool *critical,
			     unsigned *bits, struct tg_buf *oids) TG_MUST_CHECK;

enum tg_san_type { TG_SAN_DNS = 1, TG_SAN_URI = 2, TG_SAN_EMAIL = 3, TG_SAN_IP = 4, TG_SAN_OTHER = 5 };
struct tg_san {
	enum tg_san_type type;
	const char *value; /* NUL-terminated; IP as text; OTHER as the type-id OID */
	size_t len;
};
/* The subject alternative names in order, allocated in a; at most
 * TG_LIMIT_SAN. *critical tells whether the extension is critical. */
tg_err tg_x509_sans(const struct tg_x509 *c, struct tg_arena *a, const struct tg_san **out,
		    size_t *count, bool *critical) TG_MUST_CHECK;

/* The DER value (the extnValue OCTET STRING contents) of the extension
 * with dotted OID oid. TG_E_NOTFOUND when absent. */
tg_err tg_x509_ext(const struct tg_x509 *c, const char *oid, bool *critical,
		   struct tg_buf *value) TG_MUST_CHECK;

/* Appends the DER TBSCertificate of c with the extension oid removed and
 * re-encoded (what a CT log signs for a precertificate, RFC 6962 3.2).
 * TG_E_NOTFOUND when c has no such extension. */
tg_err tg_x509_tbs_without_ext(const struct tg_x509 *c, const char *oid,
			       struct tg_buf *out) TG_MUST_CHECK;

/* A template for a new certificate, built only from these validated
 * fields. Unset (zero/NULL) fields are left out. */
struct tg_x509_ext_tmpl {
	const char *oid;       /* dotted */
	bool critical;
	const uint8_t *der;    /* the extnValue contents */
	size_t len;
};
struct tg_x509_tmpl {
	const uint8_t *serial;       /* big-endian; NULL: 20 random bytes (positive) */
	size_t serial_len;
	const char *subject;         /* RFC 4514-style "CN=a,O=b" (CN, O, OU, C, L, ST, DC); NULL or "": empty */
	struct tg_time not_before;
	struct tg_time not_after;
	bool is_ca;                  /* basicConstraints CA:TRUE (critical) */
	int path_len;                /* -1: no pathLenConstraint */
	unsigned key_usage;          /* TG_KU_* (critical when non-zero) */
	unsigned ext_key_usage;      /* TG_EKU_* */
	bool eku_critical;           /* e.g. a TSA's timeStamping (RFC 3161 2.3) */
	const char *const *san_uri;  /* NULL-terminated lists */
	const char *const *san_dns;
	const char *const *san_email;
	bool san_critical;           /* e.g. empty subject (RFC 5280 4.2.1.6) */
	const struct tg_x509_ext_tmpl *ext; /* extra extensions */
	size_t n_ext;
};

/*
 * Builds and signs a v3 certificate for subject_key (its public half) with
 * issuer_key, issued by issuer (NULL: self-signed, then issuer_key must be
 * the subject's private key). Adds subjectKeyIdentifier and (when not
 * self-signed) authorityKeyIdentifier. The signature algorithm follows the
 * issuer key: ECDSA with SHA-256/384/512 by curve, Ed25519, RSA-PSS SHA-256.
 */
tg_err tg_x509_build(const struct tg_x509_tmpl *t, const struct tg_key *subject_key,
		     const struct tg_x509 *issuer, const struct tg_key *issuer_key,
		     struct tg_x509 **out, struct tg_diag *d) TG_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* RFC 3161 timestamps                                                 */
/* ------------------------------------------------------------------ */

/*
 * Verifies an RFC 3161 TimeStampResp (or a bare TimeStampToken) over
 * data: status granted, the message imprint equals the hash of data (with
 * the imprint's algorithm), the CMS signature verifies with the signer
 * certificate (embedded, or taken from chain when the token omits it; ESS
 * signing-certificate binding checked), and that certificate chains to
 * chain's last certificate (a root; chain is leaf-most first) at the
 * token's own genTime, with the critical timeStamping EKU. *gen_time gets
 * the time. TG_E_VERIFY with the reason in d.
 */
tg_err tg_tsa_verify(const uint8_t *der, size_t n, const uint8_t *data, size_t len,
		     const struct tg_x509 *const *chain, size_t nchain, struct tg_time *gen_time,
		     struct tg_diag *d) TG_MUST_CHECK;

/*
 * A timestamp authority's chain (leaf-most first, root last; at most
 * TG_LIMIT_CHAIN) prepared once for many timestamps, as a trusted root
 * holds it: references to the certificates, their DER, and the outcome of
 * validating the chain once without the time (signatures, constraints, key
 * usages, the leaf's critical timeStamping EKU). A chain that does not
 * validate so, or whose leaf key is not EC or RSA, still gives an anchor:
 * its timestamps all take the general path. TG_E_INVAL for an empty or
 * over-long chain. The anchor is immutable and may be shared by threads.
 */
struct tg_tsa_anchor;
tg_err tg_tsa_anchor_new(const struct tg_x509 *const *chain, size_t n,
			 struct tg_tsa_anchor **out) TG_MUST_CHECK;
void tg_tsa_anchor_free(struct tg_tsa_anchor *a);
/* True when a's timestamps can take the fast path. */
bool tg_tsa_anchor_prepared(const struct tg_tsa_anchor *a);

#define TG_TSA_FAST_ONLY 0x1 /* tests: the fast path's verdict, no general path */
/*
 * tg_tsa_verify against a's chain, with the same verdict: a timestamp
 * signed by the chain's first certificate, embedding no certificates but
 * the chain's own, with SHA-2 digests, is checked on a fast path that
 * repeats every check of tg_tsa_verify (each certificate's validity at
 * genTime included) with the chain validated once; any other timestamp,
 * and any the fast path refuses, goes to tg_tsa_verify, whose reason
 * lands in d.
 */
tg_err tg_tsa_anchor_verify(const struct tg_tsa_anchor *a, const uint8_t *der, size_t n,
			    const uint8_t *data, size_t len, unsigned flags, struct tg_time *gen_time,
			    struct tg_diag *d) TG_MUST_CHECK;

/*
 * Issues an RFC 3161 TimeStampResp (DER, appended to out) over data: the
 * message imprint is SHA-256(data), genTime is `at` in whole seconds
 * (accuracy 1 s: sigstore-js parses a fraction of exactly three digits
 * only, and DER drops trailing zeros), the serial is random, policy is the dotted OID policy, and
 * the response embeds the signer certificate (cert) and the chain above it
 * (chain, may be empty) as certReq asks. key signs (ECDSA with SHA-256/384
 * by curve). cert must carry the critical timeStamping EKU.
 */
tg_err tg_tsa_sign(const struct tg_key *key, const struct tg_x509 *cert,
		   const struct tg_x509 *const *chain, size_t nchain, const char *policy,
		   const uint8_t *data, size_t len, struct tg_time at,
		   struct tg_buf *out) TG_MUST_CHECK;
/*
 * The responder under tg_tsa_sign, for a TimeStampReq (DER, req_len
 * bytes) from a client: imprints by SHA-256/384/512, the same response
 * profile, genTime `at` (NULL: now). Appends the TimeStampResp (DER) to
 * out, granted or not; *status gets its PKIStatus (0 granted, 2 rejection
 * for a request it cannot answer). TG_E_CRYPTO when OpenSSL fails.
 */
tg_err tg_tsa_respond(const struct tg_key *key, const struct tg_x509 *cert,
		      const struct tg_x509 *const *chain, size_t nchain, const char *policy,
		      const uint8_t *req, size_t req_len, const struct tg_time *at, int *status,
		      struct tg_buf *out) TG_MUST_CHECK;

#define TG_X509_VERIFY_NO_PURPOSE 0 /* no EKU requirement */
/*
 * Verifies that leaf chains to one of roots through intermediates at the
 * time at (not the clock), with RFC 5280 path validation (signatures,
 * validity of every certificate at `at`, basic constraints, key usage of
 * issuers, critical extensions understood, path length). eku (TG_EKU_*,
 * 0 for none) must be present in the leaf when non-zero. On success the
 * validated path (leaf first, root last) is stored in chain when not NULL.
 * TG_E_VERIFY with the reason in d.
 */
tg_err tg_x509_verify(const struct tg_x509 *leaf, const struct tg_x509 *const *intermediates,
		      size_t n_inter, const struct tg_x509 *const *roots, size_t n_roots,
		      struct tg_time at, unsigned eku, struct tg_x509_list *chain,
		      struct tg_diag *d) TG_MUST_CHECK;

#endif
