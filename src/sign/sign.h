/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sign.h - keyless signing and its verification, Sigstore-compatible:
 * trusted roots, bundles v0.1-v0.3, Rekor v1/v2 entries, RFC 3161
 * timestamps, SCTs, DSSE and in-toto statements.
 */
#ifndef TG_SIGN_SIGN_H
#define TG_SIGN_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "core/time.h"
#include "crypto/crypto.h"

#define TG_SIGN_MAX_DOC (16 * 1024 * 1024) /* bytes of a bundle or trusted root */

/* ------------------------------------------------------------------ */
/* Trusted root (sigstore protobuf-specs TrustedRoot, JSON form)       */
/* ------------------------------------------------------------------ */

/* A closed time interval; has_end false means open-ended. */
struct tg_sign_validity {
	struct tg_time start;
	struct tg_time end;
	bool has_end;
};

/* A transparency log or CT log: its key, key ID (logId) and validity. */
struct tg_sign_log {
	char *base_url;
	char *origin;                  /* the checkpoint key name: base URL host */
	struct tg_key *key;
	uint8_t log_id[32];            /* logId.keyId */
	size_t log_id_len;
	struct tg_sign_validity valid;
};

/* A certificate authority (Fulcio) or timestamp authority. */
struct tg_sign_ca {
	char *uri;
	struct tg_x509_list chain;     /* leaf-most first, root last */
	struct tg_sign_validity valid;
	struct tg_tsa_anchor *tsa;     /* timestamp authorities: the chain prepared at load */
};

struct tg_sign_trustroot {
	struct tg_sign_log *tlogs;
	size_t ntlogs;
	struct tg_sign_log *ctlogs;
	size_t nctlogs;
	struct tg_sign_ca *cas;
	size_t ncas;
	struct tg_sign_ca *tsas;
	size_t ntsas;
};

/* Parses a trusted_root.json (media type ...trustedroot+json;version=0.1
 * or 0.2). Strict: a validity without start, a key that cannot be loaded,
 * an empty chain are errors. */
tg_err tg_sign_trustroot_parse(const char *json, size_t n, struct tg_sign_trustroot *out,
			       struct tg_diag *d) TG_MUST_CHECK;
tg_err tg_sign_trustroot_load(const char *path, struct tg_sign_trustroot *out,
			      struct tg_diag *d) TG_MUST_CHECK;
void tg_sign_trustroot_release(struct tg_sign_trustroot *t);
/* True when t lies in the closed interval v. */
bool tg_sign_validity_contains(const struct tg_sign_validity *v, struct tg_time t);

/* ------------------------------------------------------------------ */
/* Bundles (sigstore Bundle v0.1, v0.2, v0.3)                          */
/* ------------------------------------------------------------------ */

struct tg_sign_tlog_entry {
	int64_t log_index;
	uint8_t log_id[32];
	size_t log_id_len;
	char kind[32];                 /* "hashedrekord", "dsse", "intoto" */
	char version[16];              /* "0.0.1", "0.0.2" */
	int64_t integrated_time;       /* 0 when absent (Rekor v2) */
	uint8_t *set;                  /* inclusionPromise.signedEntryTimestamp */
	size_t set_len;
	bool has_proof;
	int64_t proof_index;
	int64_t proof_tree_size;
	uint8_t proof_root[32];
	struct {
		uint8_t h[64][32];
		size_t n;
	} proof;
	char *checkpoint;              /* inclusionProof.checkpoint.envelope */
	uint8_t *body;                 /* canonicalizedBody (decoded) */
	size_t body_len;
};

struct tg_sign_bundle {
	int minor;                     /* 1, 2 or 3 (v0.x) */
	/* verification material: exactly one of these */
	struct tg_x509_list certs;     /* certificate (v0.3) or x509CertificateChain */
	char *key_hint;                /* publicKey.hint, for managed keys */
	bool has_public_key;
	struct tg_sign_tlog_entry *tlog;
	size_t ntlog;
	uint8_t **tsa;                 /* rfc3161Timestamps[].signedTimestamp (DER) */
	size_t *tsa_len;
	size_t ntsa;
	/* content: a message signature or a DSSE envelope */
	bool is_dsse;
	enum tg_hash_alg digest_alg;   /* messageSignature.messageDigest */
	uint8_t digest[64];
	size_t digest_len;
	uint8_t *signature;            /* messageSignature.signature, or the DSSE signature */
	size_t signature_len;
	char *payload_type;            /* DSSE */
	uint8_t *payload;
	size_t payload_len;
	size_t dsse_nsigs;             /* DSSE signatures present (exactly 1 supported) */
};

/* Parses a bundle (JSON). Unknown media types and versions, malformed
 * base64, negative indices, missing required members are errors. */
tg_err tg_sign_bundle_parse(const char *json, size_t n, struct tg_sign_bundle *out,
			    struct tg_diag *d) TG_MUST_CHECK;
void tg_sign_bundle_release(struct tg_sign_bundle *b);

/* DSSE PAE: "DSSEv1" SP len(type) SP type SP len(body) SP body. */
tg_err tg_dsse_pae(const char *type, size_t tlen, const uint8_t *body, size_t blen,
		   struct tg_buf *out) TG_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* Verification (Sigstore client specification, offline)              */
/* ------------------------------------------------------------------ */

/* What must be true about the signer. */
struct tg_sign_policy {
	const char *identity;          /* exact SAN (URI or email), or NULL */
	const char *identity_regex;    /* anchored POSIX ERE over the SAN, or NULL */
	const char *issuer;            /* exact OIDC issuer (Fulcio OID), or NULL */
	const struct tg_key *key;      /* managed key instead of a certificate, or NULL */
	size_t tlog_threshold;         /* 0 = 1 */
	size_t ctlog_threshold;        /* SCTs required when the root lists CT logs; 0 = 1 */
	size_t tsa_threshold;          /* used only when there are timestamps */
	struct tg_time now;            /* for "current time" checks of managed keys */
	/* identity_regex compiled once (tg_sign_regex_compile) by a caller that
	 * verifies many bundles with one policy; NULL: compiled per call */
	const struct tg_sign_regex *identity_re;
};

/* A compiled identity pattern: anchored POSIX ERE, as identity_regex. */
struct tg_sign_regex;
/* Compiles pattern as identity_regex is matched (the whole SAN); TG_E_INVAL
 * with the reason in d when it is not a valid ERE. */
tg_err tg_sign_regex_compile(const char *pattern, struct tg_sign_regex **out,
			     struct tg_diag *d) TG_MUST_CHECK;
void tg_sign_regex_free(struct tg_sign_regex *re);

/* The artifact: its bytes or only its digest. */
struct tg_sign_artifact {
	const uint8_t *data;           /* NULL when only the digest is known */
	size_t len;
	enum tg_hash_alg alg;          /* with digest */
	uint8_t digest[64];
};

/* The facts a successful verification establishes. */
struct tg_sign_result {
	char san[1024];                /* the certificate's identity */
	char issuer[512];              /* Fulcio OIDC issuer */
	struct tg_time signed_at;      /* earliest verified time (tlog or TSA) */
	int64_t log_index;
	char log_url[256];
	char predicate_type[256];      /* DSSE in-toto statements */
};

/*
 * Verifies bundle b for artifact a under trust root t and policy p, as the
 * Sigstore client specification requires: verified times from the log
 * (integrated time covered by a SET or by an inclusion proof's signed
 * checkpoint) and/or RFC 3161 timestamps; the certificate chain to a CA
 * valid at those times; SCTs; identity and issuer; log entries bound to
 * the bundle's signature, digest and certificate; the signature over the
 * artifact digest or the DSSE PAE; in-toto subjects containing the
 * artifact digest. TG_E_VERIFY (or TG_E_PARSE for malformed material)
 * with the precise reason in d.
 */
tg_err tg_sign_verify(const struct tg_sign_bundle *b, const struct tg_sign_artifact *a,
		      const struct tg_sign_trustroot *t, const struct tg_sign_policy *p,
		      struct tg_sign_result *res, struct tg_diag *d) TG_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* Signing (a local signer directory; tollgated runs the same service)  */
/* ------------------------------------------------------------------ */

#define TG_SIGN_CERT_TTL 600 /* seconds: a signing certificate lives 10 minutes */

/* A verified signer identity and the Fulcio extensions it yields. */
struct tg_sign_identity {
	char san[1024];               /* the certificate SAN */
	bool san_is_email;            /* else a URI */
	char issuer[512];             /* OIDC issuer (Fulcio OID .1.8 / .1.1) */
	struct {
		char oid[32];             /* 1.3.6.1.4.1.57264.1.x */
		char value[1024];         /* UTF8String contents */
	} ext[24];
	size_t next;
	/* for SLSA provenance: what the CI said about the build */
	char repo_uri[1024], repo_digest[128], ref[1024], builder_id[1024], run_uri[1024];
	char trigger[64];
	bool overlong;                /* internal: a field did not fit */
};

/* Verifies a CI OIDC token (signature by a key of jwks with the key's own
 * algorithm, iss, aud, exp/nbf/iat with 60 s skew) and derives the
 * identity as Fulcio does: GitHub Actions (SAN https://github.com/<
 * job_workflow_ref>, the GitHub extensions), GitLab CI (SAN
 * https://<host>/<ci_config_ref_uri>), or any issuer (SAN = email when
 * email_verified, else the sub when it is a URI). */
tg_err tg_sign_identity_from_oidc(const char *token, size_t n, const struct tg_jwks *jwks,
				  const char *issuer, const char *audience, struct tg_time now,
				  struct tg_sign_identity *out, struct tg_diag *d) TG_MUST_CHECK;

/* Verifies an X.509-SVID for signing: the chain (leaf, then any
 * intermediates) to one of roots (the trust domain's X.509 authorities)
 * at now, exactly one URI SAN that is a spiffe:// ID, and that key is the
 * certificate's key. The identity is SAN = the SPIFFE ID, issuer =
 * spiffe://<trust domain>. */
tg_err tg_sign_identity_from_svid(const struct tg_x509 *const *chain, size_t n,
				  const struct tg_key *key, const struct tg_x509 *const *roots,
				  size_t n_roots, struct tg_time now, struct tg_sign_identity *out,
				  struct tg_diag *d) TG_MUST_CHECK;

struct tg_signer;

/* Creates a signer directory: a code-signing CA (root, intermediate), a
 * timestamp authority (root, TSA certificate with the critical
 * timeStamping EKU) and a transparency log with origin name. */
tg_err tg_signer_init(const char *dir, const char *name, struct tg_time now,
		      struct tg_diag *d) TG_MUST_CHECK;
tg_err tg_signer_open(const char *dir, struct tg_signer **out, struct tg_diag *d) TG_MUST_CHECK;
/* The TSA policy OID of a signer directory's timestamps. */
#define TG_SIGNER_TSA_POLICY "2.999.7.1" /* the ITU "example" arc: a local deployment's */
/* Reads dir/name: exactly one PEM certificate; a PEM private key (wiped
 * after parsing). What tg_signer_open reads a signer directory with. */
tg_err tg_signer_read_cert(const char *dir, const char *name, struct tg_x509 **out,
			   struct tg_diag *d) TG_MUST_CHECK;
tg_err tg_signer_read_key(const char *dir, const char *name, struct tg_key **out,
			  struct tg_diag *d) TG_MUST_CHECK;
void tg_signer_close(struct tg_signer *s);

/* Appends the deployment's trusted_root.json (CA chain, log, TSA; no CT
 * log) that Sigstore clients verify tollgate bundles with. */
tg_err tg_signer_trust_root(struct tg_signer *s, struct tg_buf *out) TG_MUST_CHECK;

/* What to sign: an artifact (message signature over its bytes), or a DSSE
 * payload (an in-toto statement) when payload is not NULL. */
struct tg_sign_input {
	const uint8_t *artifact;
	size_t artifact_len;
	const char *payload_type;     /* DSSE */
	const uint8_t *payload;
	size_t payload_len;
};

/* The Fulcio-profile signing certificate for pub: empty subject, one
 * critical SAN (id->san), KU digitalSignature, EKU codeSigning, valid from
 * now for TG_SIGN_CERT_TTL, the issuer (.1.8) and id's Fulcio extensions
 * as DER UTF8Strings; signed by issuer with issuer_key. */
tg_err tg_sign_fulcio_cert(const struct tg_sign_identity *id, const struct tg_key *pub,
			   struct tg_time now, const struct tg_x509 *issuer,
			   const struct tg_key *issuer_key, struct tg_x509 **out,
			   struct tg_diag *d) TG_MUST_CHECK;

struct tg_note_key;
/* The C2SP key hash of an Ed25519 note key, SHA-256(name || "\n" || 0x01 ||
 * public key): the log's logId in trusted_root.json. */
tg_err tg_sign_log_key_hash(const struct tg_note_key *k, uint8_t out[32]) TG_MUST_CHECK;

/*
 * Signs with a fresh ECDSA P-256 key certified for id for 10 minutes,
 * timestamps the signature (RFC 3161), appends the hashedrekord 0.0.2
 * entry (over the DSSE PAE for envelopes) to the log, and writes the v0.3
 * bundle (JSON) to out. The ephemeral private key never leaves the call.
 */
tg_err tg_signer_sign(struct tg_signer *s, const struct tg_sign_identity *id,
		      const struct tg_sign_input *in, struct tg_time now, struct tg_buf *out,
		      struct tg_diag *d) TG_MUST_CHECK;

/* Builds an in-toto Statement v1 JSON (appended to out) with one subject
 * (name, sha256) and the given predicate type and predicate (JSON object
 * or NULL for {}). */
tg_err tg_intoto_statement(const char *name, const uint8_t sha256[32], const char *predicate_type,
			   const struct tg_json *predicate, struct tg_buf *out) TG_MUST_CHECK;

/* Builds a SLSA provenance v1 predicate (in a) from the verified identity
 * and the CI environment (GitHub Actions / GitLab CI variables). */
tg_err tg_slsa_provenance(const struct tg_sign_identity *id, struct tg_arena *a,
			  const struct tg_json **out) TG_MUST_CHECK;

#endif
